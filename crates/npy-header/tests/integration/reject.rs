//! Headers that are rejected, each with its kind, byte offset and exact message.

use npy_header::{parse, Category, ErrorKind, HeaderParser, Version};

use npy_testing::header::{padded, raw, raw_bytes};

fn d(shape: &str) -> String {
    format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}}}")
}

/// Runs `file` through the default parser and checks the full error text
/// (`at byte N: message`) and the kind's stable name.
#[track_caller]
fn rejects(file: &[u8], kind: &str, text: &str) {
    let err = parse(file).expect_err("should be rejected");
    assert_eq!(err.to_string(), text);
    assert_eq!(err.kind().name(), kind, "{text}");
}

#[test]
fn preamble_errors() {
    rejects(
        b"\x93NUMPZ\x01\x00",
        "bad_magic",
        "at byte 5: not a .npy file: it does not start with the magic string \\x93NUMPY",
    );
    rejects(
        b"PK\x03\x04",
        "bad_magic",
        "at byte 0: not a .npy file: it does not start with the magic string \\x93NUMPY",
    );
    rejects(
        b"",
        "truncated",
        "at byte 0: file ends after 0 bytes, inside the magic string and version (which needs 8)",
    );
    rejects(
        b"\x93NUM",
        "truncated",
        "at byte 4: file ends after 4 bytes, inside the magic string and version (which needs 8)",
    );
    rejects(
        b"\x93NUMPY\x05\x00\x10\x00",
        "unsupported_version",
        "at byte 6: unsupported format version 5.0: this reader supports 1.0, 2.0, 3.0 and 4.0",
    );
    rejects(
        b"\x93NUMPY\x01\x01\x10\x00",
        "unsupported_version",
        "at byte 6: unsupported format version 1.1: this reader supports 1.0, 2.0, 3.0 and 4.0",
    );
    rejects(
        b"\x93NUMPY\x02\x00\x10\x00",
        "truncated",
        "at byte 10: file ends after 10 bytes, inside the header length field (which needs 12)",
    );
    rejects(
        b"\x93NUMPY\x01\x00\x76\x00{'descr'",
        "truncated",
        "at byte 18: file ends after 18 bytes, inside the header (which needs 128)",
    );
}

#[test]
fn header_length_is_checked_before_reading() {
    // A 12-byte file that claims a 4 GiB header: rejected from the length field alone.
    let file = b"\x93NUMPY\x02\x00\xf0\xff\xff\xff";
    rejects(file, "header_too_long", "at byte 8: header length 4294967280 exceeds the limit of 10000 bytes (raise it if you trust this file)");
    let err = parse(file).unwrap_err();
    assert_eq!(err.category(), Category::Limit);
    assert_eq!(
        err.kind(),
        &ErrorKind::HeaderTooLong {
            len: 4294967280,
            limit: 10000
        }
    );
    // With the limit raised, it is a truncation, still without allocating.
    let err = HeaderParser::new()
        .max_header_len(u64::from(u32::MAX))
        .parse(file)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Truncated {
            needed: 4294967292,
            available: 12
        }
    );
}

/// (version, header text, kind name, full error text)
pub(crate) const CASES: &[(Version, &str, &str, &str)] = &[
    // syntax (offsets are from the start of the file: 1.0 text starts at byte 10)
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)", "syntax", "at byte 10: '{' is never closed"),
    (Version::V1_0, "{'descr': '<f8' 'fortran_order': False, 'shape': ()}", "syntax", "at byte 41: expected ',' or '}', found ':'"),
    (Version::V1_0, "{'descr': '<f8, 'fortran_order': False, 'shape': ()}", "syntax", "at byte 27: expected ',' or '}', found 'f'"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': false, 'shape': ()}", "syntax", "at byte 44: name 'false' is not a literal: expected a string, number, True, False or None"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (012,)}", "syntax", "at byte 61: leading zeros in decimal integer literals are not permitted (use 0o for octal)"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1__0,)}", "syntax", "at byte 61: invalid number literal: misplaced '_'"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4 + 1)}", "syntax", "at byte 66: '+' is not allowed here: a header holds literals, not expressions"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (--3,)}", "syntax", "at byte 62: a sign may be applied only once to a number"),
    (Version::V1_0, "{'descr': f'<f8', 'fortran_order': False, 'shape': ()}", "syntax", "at byte 20: f-strings are not literals"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': ()} x", "syntax", "at byte 64: unexpected 'x' after the end of the header literal"),
    (Version::V1_0, "\n  {'descr': '<f8', 'fortran_order': False, 'shape': ()}", "syntax", "at byte 11: unexpected indentation before the header dict"),
    (Version::V1_0, "{'descr': '<f8\n', 'fortran_order': False, 'shape': ()}", "syntax", "at byte 20: string literal is never closed on its line"),
    (Version::V1_0, "{'descr': '<\\N{LATIN SMALL LETTER F}8', 'fortran_order': False, 'shape': ()}", "syntax", "at byte 22: \\N{...} escapes are not supported (write the character itself or use \\u)"),
    (Version::V1_0, "{'descr': [('\\ud800', '<f8')], 'fortran_order': False, 'shape': ()}", "syntax", "at byte 23: escape names a lone surrogate, which cannot be represented"),
    (Version::V1_0, "", "syntax", "at byte 10: header text is empty"),
    // The L suffix is Python 2 syntax NumPy strips only for 1.0 and 2.0.
    (Version::V3_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3L,)}", "syntax", "at byte 63: invalid number literal"),
    // structure
    (Version::V1_0, "['descr', '<f8']", "not_a_dict", "at byte 10: header is a list, not a dict"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': ()}, ", "not_a_dict", "at byte 10: header is a tuple, not a dict"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False}", "missing_key", "at byte 10: header has no \"shape\" key: the header has exactly the keys 'descr', 'fortran_order' and 'shape'"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (), 'extra': 1}", "unknown_key", "at byte 64: unknown header key \"extra\": the header has exactly the keys 'descr', 'fortran_order' and 'shape'"),
    (Version::V1_0, "{b'descr': '<f8', 'fortran_order': False, 'shape': ()}", "unknown_key", "at byte 11: header key is a bytes; keys are the strings 'descr', 'fortran_order' and 'shape'"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (), 'shape': (2,)}", "duplicate_key", "at byte 64: header key \"shape\" appears twice (readers disagree on which one counts)"),
    // shape
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': [3]}", "invalid_shape", "at byte 60: shape must be a tuple of ints, not a list"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3)}", "invalid_shape", "at byte 60: shape must be a tuple of ints, not a int (3)"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3.0,)}", "invalid_shape", "at byte 61: shape entries must be ints, not a float"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (True,)}", "invalid_shape", "at byte 61: shape entries must be ints, not True or False (NumPy reads them as 1 and 0; this reader refuses)"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", "invalid_shape", "at byte 61: shape entries must not be negative"),
    (Version::V3_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3)}", "invalid_growth_dim", "at byte 63: -1 in the shape is allowed only in format 4.0, not 3.0"),
    (Version::V4_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, -1)}", "invalid_growth_dim", "at byte 66: -1 is allowed only on the growth axis (0 for C order), not on axis 1"),
    (Version::V4_0, "{'descr': '<f8', 'fortran_order': True, 'shape': (-1, 3)}", "invalid_growth_dim", "at byte 62: -1 is allowed only on the growth axis (1 for Fortran order), not on axis 0"),
    (Version::V4_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -1)}", "invalid_growth_dim", "at byte 67: shape holds -1 more than once; only the growth axis may be -1"),
    (Version::V4_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 0)}", "invalid_growth_dim", "at byte 62: a -1 growth axis needs rows of at least one byte: with a zero-size dimension or item the length cannot be derived"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775808,)}", "invalid_shape", "at byte 61: shape entry is larger than 9223372036854775807, the largest dimension NumPy can address"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", "data_too_large", "at byte 60: shape times itemsize overflows: the data would exceed 9223372036854775807 bytes"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2305843009213693952)}", "data_too_large", "at byte 60: shape times itemsize overflows: the data would exceed 9223372036854775807 bytes"),
    (Version::V4_0, "{'descr': [('o', '|O')], 'fortran_order': False, 'shape': (-1,)}", "invalid_growth_dim", "at byte 71: a -1 growth axis cannot be used with an object dtype: its data is a pickle, not rows"),
    // Layout CPython refuses around the literal. (In 1.0/2.0 NumPy re-tokenizes a header
    // that fails to parse, which repairs the first and third of these: DIFF-17.)
    (Version::V3_0, "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n  ", "syntax", "at byte 66: the header's last line holds only indentation (end it with a newline)"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\\\n", "syntax", "at byte 63: the header ends with a line continuation"),
    (Version::V3_0, "\x0c {'descr': '<f8', 'fortran_order': False, 'shape': ()}", "syntax", "at byte 12: unexpected indentation before the header dict"),
    (Version::V1_0, "# c\n {'descr': '<f8', 'fortran_order': False, 'shape': ()}", "syntax", "at byte 14: unexpected indentation before the header dict"),
    // fortran_order
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': 0, 'shape': ()}", "invalid_fortran_order", "at byte 44: fortran_order must be True or False, not a int (0)"),
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': 'False', 'shape': ()}", "invalid_fortran_order", "at byte 44: fortran_order must be True or False, not a str (\"False\")"),
    // descr
    (Version::V1_0, "{'descr': 'f3', 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 20: \"f3\" is not a data type NumPy understands"),
    (Version::V1_0, "{'descr': 'f8,i4', 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 20: \"f8,i4\" is not a data type NumPy understands"),
    (Version::V1_0, "{'descr': '<M8[ns/2]', 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 20: \"<M8[ns/2]\" is not a data type NumPy understands"),
    (Version::V1_0, "{'descr': 'S2147483648', 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 20: \"S2147483648\" is larger than the largest item NumPy supports (2147483647 bytes)"),
    (Version::V1_0, "{'descr': ('<f8', (2,)), 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 20: a (type, shape) subarray tuple is allowed only as a field's type, not as the whole descr (NumPy writes such arrays as '|V<n>')"),
    (Version::V1_0, "{'descr': {'ab': 0}, 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 20: descr must be a type string or a list of fields, not a dict"),
    (Version::V1_0, "{'descr': [('a', '<f8'), ('a', '<i4')], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 36: field name \"a\" is already used as a name or title"),
    (Version::V1_0, "{'descr': [(('a', 'a'), '<f8')], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 22: a field's title equals its name"),
    (Version::V1_0, "{'descr': [('a',)], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 21: a field is (name, type) or (name, type, shape), not 1 items"),
    (Version::V1_0, "{'descr': ['ab'], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 21: a field must be a tuple, not a str"),
    (Version::V1_0, "{'descr': [(1, '<f8')], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 22: field names must be strings"),
    (Version::V1_0, "{'descr': [('a', '<f8', -1)], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 34: subarray dimension is negative"),
    (Version::V1_0, "{'descr': [('a', '<f8', (True,))], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 35: subarray dimension must be an int, not a bool"),
    (Version::V1_0, "{'descr': [('a', 'S0', ())], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 21: a subarray of a zero-size string or void type with a tuple shape is invalid (NumPy: \"invalid itemsize in generic type tuple\")"),
    // DIFF-16: NumPy reads it as a 3-byte item holding a (0,) array, and writes it back as 0 bytes.
    (Version::V1_0, "{'descr': [('a', ('<f8', (0,)), 3)], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 21: a subarray of a zero-byte subarray with an int shape is not supported: NumPy reads it as an item of that many bytes holding an empty array, which it cannot write back"),
    (Version::V1_0, "{'descr': [('a', '<f8', (268435456,))], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 21: subarray is larger than the largest item NumPy supports (2147483647 bytes)"),
    (Version::V1_0, "{'descr': [('a', 'S1', (2147483647,)), ('b', 'S1')], 'fortran_order': False, 'shape': ()}", "invalid_descr", "at byte 49: structured type is larger than the largest item NumPy supports (2147483647 bytes)"),
];

#[test]
fn rejected_headers_say_where_and_why() {
    let mut report = String::new();
    for &(version, text, _, msg) in CASES {
        match parse(&raw(version, text)) {
            Err(e) if e.to_string() == msg => {}
            Err(e) => report.push_str(&format!(
                "{text}\n  got: {e}\n want: {msg}\n  at: {:?}\n",
                String::from_utf8_lossy(
                    &raw(version, text)[usize::try_from(e.offset().unwrap_or(0)).unwrap()..]
                )
                .chars()
                .take(12)
                .collect::<String>()
            )),
            Ok(_) => report.push_str(&format!("{text}\n  accepted\n")),
        }
    }
    assert!(report.is_empty(), "{report}");
    for &(version, text, kind, msg) in CASES {
        let file = raw(version, text);
        let err = parse(&file).expect_err(text);
        assert_eq!(err.to_string(), msg, "{text}");
        assert_eq!(err.kind().name(), kind, "{text}");
        // The same case padded as NumPy pads is rejected the same way.
        if !text.is_empty() && !text.contains('\n') {
            assert_eq!(
                parse(&padded(version, text)).unwrap_err().to_string(),
                msg,
                "{text} (padded)"
            );
        }
    }
}

#[test]
fn encoding_errors() {
    // Invalid UTF-8 in a 3.0 header; the same bytes are latin-1 (valid) in 2.0.
    let mut body = b"{'descr': [('".to_vec();
    body.push(0xff);
    body.extend_from_slice(b"', '<f8')], 'fortran_order': False, 'shape': ()}");
    rejects(
        &raw_bytes(Version::V3_0, &body),
        "encoding",
        "at byte 25: header text is not valid UTF-8 (required for format 3.0 and 4.0)",
    );
    let p = parse(&raw_bytes(Version::V2_0, &body)).unwrap();
    assert_eq!(p.header.dtype().to_descr(), "[('ÿ', '<f8')]");
    rejects(
        &raw(Version::V1_0, &d("(\0,)")),
        "encoding",
        "at byte 61: header text contains a NUL byte, which Python source cannot hold",
    );
}

#[test]
fn limits_have_their_own_kinds() {
    let deep = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': {}1{}}}",
        "(".repeat(70),
        ")".repeat(70)
    );
    rejects(
        &raw(Version::V1_0, &deep),
        "nest_too_deep",
        "at byte 123: header nests brackets deeper than the limit of 64",
    );
    let dims = vec!["1"; 65].join(", ");
    rejects(
        &raw(Version::V1_0, &d(&format!("({dims})"))),
        "too_many_dims",
        "at byte 60: shape has 65 dimensions, more than the limit of 64",
    );
    let fields: Vec<String> = (0..11).map(|i| format!("('f{i}', '<f8')")).collect();
    let text = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': ()}}",
        fields.join(", ")
    );
    let err = HeaderParser::new()
        .max_fields(10)
        .parse(&raw(Version::V1_0, &text))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "at byte 171: descr has more than the limit of 10 fields"
    );
    assert_eq!(err.kind(), &ErrorKind::TooManyFields { limit: 10 });
    let err = HeaderParser::new()
        .max_data_bytes(1 << 20)
        .parse(&raw(Version::V1_0, &d("(1024, 129)")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "at byte 60: header declares 1056768 bytes of data, more than the limit of 1048576"
    );
    assert_eq!(err.category(), Category::Limit);
}

/// Regression: a non-ASCII identifier directly before a quote was taken for a string
/// prefix, and the parser then sliced UTF-8 text inside a character (found by the
/// `mutated_valid_headers_never_panic` property).
#[test]
fn regression_non_ascii_name_before_quote() {
    let file = raw(
        Version::V3_0,
        "{'descr': [((é'', 'x'), '<f2')], 'fortran_order': False, 'shape': ()}",
    );
    rejects(
        &file,
        "syntax",
        "at byte 25: 'é' is not a valid string prefix",
    );
}

/// Headers in NumPy's exact layout (the parser's fast path) that must still be
/// refused, each for the same reason as when the general parser reads them.
#[test]
fn canonical_layout_is_checked_like_any_other() {
    let cases: &[(&str, &str, &str)] = &[
        ("'<f8'", "(012,)", "syntax"),
        ("'<f8'", "(-1,)", "invalid_growth_dim"),
        ("'<f8'", "(9223372036854775808,)", "invalid_shape"),
        ("'<f8'", "(4611686018427387904, 4)", "data_too_large"),
        ("'<f9'", "(3,)", "invalid_descr"),
        ("[('a\0', '<f8')]", "(3,)", "encoding"),
        ("[('a', '<f8'), ('a', '<i4')]", "(3,)", "invalid_descr"),
        ("[('a', 'S0', (2,))]", "(3,)", "invalid_descr"),
        ("[('a', '<f8', (268435456,))]", "(3,)", "invalid_descr"),
        ("[(('a', 'a'), '<f8')]", "(3,)", "invalid_descr"),
        ("[('o', '|O')]", "(1,)", "ok"),
    ];
    for &(descr, shape, kind) in cases {
        let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
        for version in [Version::V1_0, Version::V3_0] {
            match parse(&padded(version, &text)) {
                Ok(_) => assert_eq!(kind, "ok", "{text}"),
                Err(e) => assert_eq!(e.kind().name(), kind, "{text}: {e}"),
            }
        }
    }
    // Limits apply on the fast path too.
    let text = "{'descr': [('a', [('b', '<f8')])], 'fortran_order': False, 'shape': (3, 4), }";
    let err = HeaderParser::new()
        .max_depth(4)
        .parse(&padded(Version::V1_0, text))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NestTooDeep { limit: 4 });
    let err = HeaderParser::new()
        .max_dims(1)
        .parse(&padded(Version::V1_0, text))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooManyDims { limit: 1 });
    let err = HeaderParser::new()
        .max_fields(1)
        .parse(&padded(Version::V1_0, text))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooManyFields { limit: 1 });
    let err = HeaderParser::new()
        .max_data_bytes(95)
        .parse(&padded(Version::V1_0, text))
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::DataTooLarge { limit: 95 });
    assert!(HeaderParser::new()
        .max_data_bytes(96)
        .parse(&padded(Version::V1_0, text))
        .is_ok());
    // A deprecated code still warns.
    let text = "{'descr': 'a5', 'fortran_order': False, 'shape': (3,), }";
    assert_eq!(
        parse(&padded(Version::V1_0, text)).unwrap().warnings.len(),
        1
    );
}

/// A descr on its own is refused as it would be inside a header, with the offset
/// counted from the start of the text, and within the parser's limits.
#[test]
fn a_descr_alone_is_refused_as_in_a_header() {
    let p = HeaderParser::new();
    let cases = [
        ("'<q17'", 0, ErrorKind::InvalidDescr),
        ("[('a', '<f8'), ('a', '<i4')]", 16, ErrorKind::InvalidDescr),
        ("'<f8' junk", 6, ErrorKind::Syntax),
        ("[('x', 'O')] + 1", 13, ErrorKind::Syntax),
    ];
    for (text, offset, kind) in cases {
        let e = p.parse_descr(text).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (&kind, Some(offset)), "{text}: {e}");
    }
    let deep = format!("{}'<f8'{}", "[('a', ".repeat(40), ")]".repeat(40));
    let e = HeaderParser::new()
        .max_depth(8)
        .parse_descr(&deep)
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NestTooDeep { .. }), "{e}");
    let e = HeaderParser::new()
        .max_header_len(4)
        .parse_descr("'<f8'")
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::HeaderTooLong { len: 5, limit: 4 }),
        "{e}"
    );
}
