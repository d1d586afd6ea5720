//! Python's `repr()` of the values NumPy prints: `str`, `bytes`, tuples.

use std::fmt::Write as _;

/// `repr(s)` of a Python `str` given as code points (which may include surrogates, as
/// NumPy's UCS-4 strings can): the same function that writes field names in headers.
pub use npy_header::python_str_repr as str_repr;

/// `repr(b)` of Python `bytes`: `b'...'`, quotes chosen as for `str`, printable ASCII
/// as is, `\\`, the quote, `\t`, `\n`, `\r` escaped, other bytes as `\xNN`.
pub fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(char::from(quote));
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b if b == quote => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => write!(out, "\\x{b:02x}").expect("String"),
        }
    }
    out.push(char::from(quote));
    out
}

/// `str()` of a NumPy `void` scalar: every byte as an upper-case `\xNN` escape,
/// `b'\x00\x7A'`.
pub fn void_str(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + 3);
    out.push_str("b'");
    for b in bytes {
        write!(out, "\\x{b:02X}").expect("String");
    }
    out.push('\'');
    out
}

/// Python's `len()` of a string: code points.
pub fn len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        str_repr(&s.chars().map(u32::from).collect::<Vec<_>>())
    }

    #[test]
    fn str_repr_matches_python() {
        // Each expectation is what CPython 3.11 prints for repr() of the input.
        assert_eq!(r("abc"), "'abc'");
        assert_eq!(r("it's"), "\"it's\"");
        assert_eq!(r("both ' and \""), "'both \\' and \"'");
        assert_eq!(r("tab\there\n"), "'tab\\there\\n'");
        assert_eq!(r("\x00\x1f\x7f"), "'\\x00\\x1f\\x7f'");
        assert_eq!(
            r("caf\u{e9} \u{4e2d} \u{1f600}"),
            "'caf\u{e9} \u{4e2d} \u{1f600}'"
        );
        assert_eq!(r("\u{a0}\u{ad}\u{200b}"), "'\\xa0\\xad\\u200b'");
        assert_eq!(r("\u{f0000}"), "'\\U000f0000'");
        assert_eq!(str_repr(&[0x61, 0xd800]), "'a\\ud800'");
    }

    #[test]
    fn bytes_and_void() {
        assert_eq!(bytes_repr(b"ab"), "b'ab'");
        assert_eq!(bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(bytes_repr(b"\x00\x7f\xff\\"), "b'\\x00\\x7f\\xff\\\\'");
        assert_eq!(void_str(b"\x00\x01az"), "b'\\x00\\x01\\x61\\x7A'");
    }
}
