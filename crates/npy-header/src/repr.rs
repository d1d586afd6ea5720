//! Python's `repr()` of a `str`, which NumPy uses to write field names and type strings.

use std::fmt::{self, Write};

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Python's `str.isprintable()` for one character: every character except those in the
/// categories "Other" (Cc, Cf, Cs, Co, Cn) and "Separator" (Zl, Zp, Zs), with the
/// ASCII space as the one printable separator.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
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
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(out, "\\x{:02x}", c as u32)?,
            c if c.is_ascii() => out.push(c),
            c if is_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => write!(out, "\\x{:02x}", c as u32)?,
            c if (c as u32) <= 0xffff => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "\\U{:08x}", c as u32)?,
        }
    }
    out.push(quote);
    Ok(())
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
