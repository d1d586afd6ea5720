//! Python's `repr()` of a `str` (field names and type strings in headers) and of a tuple
//! of integers (shapes).

use std::fmt::{self, Write};

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Python's `str.isprintable()` for one code point: every character except those in
/// the categories "Other" (Cc, Cf, Cs, Co, Cn) and "Separator" (Zl, Zp, Zs), with the
/// ASCII space as the one printable separator. Surrogates (not `char`s in Rust) are not
/// printable.
fn is_printable(c: u32) -> bool {
    if c == 0x20 {
        return true;
    }
    let Some(c) = char::from_u32(c) else {
        return false;
    };
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::SpaceSeparator
    )
}

/// Appends `repr(s)` as CPython writes it: single quotes unless the text holds a single
/// quote and no double quote; `\\`, the quote, `\t`, `\n`, `\r` escaped; other ASCII
/// control characters as `\xNN`; non-printable non-ASCII as `\xNN`, `\uNNNN` or
/// `\UNNNNNNNN`; printable non-ASCII characters raw.
pub(crate) fn write_str_repr(out: &mut String, s: &str) -> fmt::Result {
    write_repr(out, s.chars().map(u32::from))
}

/// Python's `repr()` of a `str` given as code points, as NumPy writes field names in
/// headers and prints strings: single quotes unless the text holds a single quote and
/// no double quote; `\\`, the quote, `\t`, `\n`, `\r` escaped; other non-printable
/// characters as `\xNN`, `\uNNNN` or `\UNNNNNNNN`; printable non-ASCII characters raw.
/// Code points need not be `char`s: lone surrogates, which NumPy's UCS-4 strings can
/// hold, are escaped as Python escapes them. Printability follows the Unicode tables of
/// the `unicode-general-category` crate.
///
/// ```
/// assert_eq!(npy_header::python_str_repr(&[0x69, 0x74, 0x27, 0x73]), "\"it's\"");
/// assert_eq!(npy_header::python_str_repr(&[0xe9, 0x200b, 0xd800]), "'\u{e9}\\u200b\\ud800'");
/// ```
pub fn python_str_repr(code_points: &[u32]) -> String {
    let mut out = String::with_capacity(code_points.len() + 2);
    write_repr(&mut out, code_points.iter().copied()).expect("writing to a String");
    out
}

fn write_repr(out: &mut String, code_points: impl Iterator<Item = u32> + Clone) -> fmt::Result {
    let (mut single, mut double) = (false, false);
    for c in code_points.clone() {
        single |= c == u32::from('\'');
        double |= c == u32::from('"');
    }
    let quote = if single && !double { '"' } else { '\'' };
    out.push(quote);
    for c in code_points {
        match char::from_u32(c) {
            Some('\\') => out.push_str("\\\\"),
            Some('\t') => out.push_str("\\t"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some(ch) if ch == quote => {
                out.push('\\');
                out.push(ch);
            }
            Some(ch) if (0x20..0x7f).contains(&c) => out.push(ch),
            Some(ch) if c >= 0x80 && is_printable(c) => out.push(ch),
            _ if c <= 0xff => write!(out, "\\x{c:02x}")?,
            _ if c <= 0xffff => write!(out, "\\u{c:04x}")?,
            _ => write!(out, "\\U{c:08x}")?,
        }
    }
    out.push(quote);
    Ok(())
}

/// Writes `dims` as Python writes a tuple: `()`, `(3,)`, `(3, 4)`.
pub(crate) fn write_tuple<T: fmt::Display>(out: &mut String, dims: &[T]) {
    out.push('(');
    for (i, d) in dims.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write!(out, "{d}").expect("writing to a String cannot fail");
    }
    if dims.len() == 1 {
        out.push(',');
    }
    out.push(')');
}

/// `repr()` of a Python tuple of integers, as NumPy prints shapes and headers hold
/// them: `()`, `(3,)`, `(3, 4)`; `-1` for an open-ended dimension if given as `i64`.
///
/// ```
/// assert_eq!(npy_header::python_tuple::<u64>(&[]), "()");
/// assert_eq!(npy_header::python_tuple(&[3u64]), "(3,)");
/// assert_eq!(npy_header::python_tuple(&[-1i64, 3]), "(-1, 3)");
/// ```
pub fn python_tuple<T: fmt::Display>(dims: &[T]) -> String {
    let mut s = String::new();
    write_tuple(&mut s, dims);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        let mut o = String::new();
        write_str_repr(&mut o, s).unwrap();
        o
    }

    #[test]
    fn matches_python_repr() {
        // Each expectation is what CPython 3.11 prints for repr() of the input.
        assert_eq!(r("abc"), "'abc'");
        assert_eq!(r("it's"), "\"it's\"");
        assert_eq!(r("both ' and \""), "'both \\' and \"'");
        assert_eq!(r("tab\there"), "'tab\\there'");
        assert_eq!(r("back\\slash"), "'back\\\\slash'");
        assert_eq!(r("\x00\x1f\x7f"), "'\\x00\\x1f\\x7f'");
        assert_eq!(r("caf\u{e9}"), "'caf\u{e9}'");
        assert_eq!(r("\u{a0}"), "'\\xa0'");
        assert_eq!(r("\u{ad}"), "'\\xad'");
        assert_eq!(r("\u{200b}"), "'\\u200b'");
        assert_eq!(r("\u{4e2d}\u{6587}"), "'\u{4e2d}\u{6587}'");
        assert_eq!(r("\u{1f600}"), "'\u{1f600}'");
        assert_eq!(r("\u{e000}"), "'\\ue000'");
        assert_eq!(r("\u{f0000}"), "'\\U000f0000'");
    }
}
