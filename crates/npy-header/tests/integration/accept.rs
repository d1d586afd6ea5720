//! Headers NumPy accepts, and what they mean.

use npy_header::{parse, HeaderParser, Limits, Version, Warning};

use npy_testing::header::{padded, raw};

/// (version, header text, expected descr as re-emitted, fortran_order, shape with `-1`
/// on an open growth axis)
pub(crate) type Case = (Version, &'static str, &'static str, bool, &'static [i64]);

pub(crate) const CASES: &[Case] = &[
    (Version::V1_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", "'<f8'", false, &[3, 4]),
    // keys in any order, double quotes, no trailing comma, odd spacing
    (Version::V1_0, "{\"shape\":(3,4),\"descr\":\"<f8\",\"fortran_order\":True}", "'<f8'", true, &[3, 4]),
    (Version::V1_0, "  {'descr' : '>i4' ,\n 'fortran_order' :\tFalse,\n\n 'shape' : ( 5 , ) ,}", "'>i4'", false, &[5]),
    // comments, line continuation, implicit line joining
    (Version::V1_0, "{'descr': '<u2', # the type\n 'fortran_order': False, \\\n 'shape': (2,)} # done\n", "'<u2'", false, &[2]),
    // integer forms literal_eval takes
    (Version::V1_0, "{'descr': '|u1', 'fortran_order': False, 'shape': (0x10, 0o7, 0b11, 1_000, +2, 0, 00)}", "'|u1'", false, &[16, 7, 3, 1000, 2, 0, 0]),
    (Version::V1_0, "{'descr': '<f4', 'fortran_order': False, 'shape': (-0,)}", "'<f4'", false, &[0]),
    // grouping parentheses are not tuples; `-(1)` is the same AST as `-1`
    (Version::V1_0, "{'descr': ('<f8'), 'fortran_order': (False), 'shape': ((2), (3))}", "'<f8'", false, &[2, 3]),
    // string prefixes, implicit concatenation, escapes
    (Version::V1_0, "{'descr': '<' \"c\" '16', 'fortran_order': False, 'shape': ()}", "'<c16'", false, &[]),
    (Version::V1_0, "{'de\\x73cr': '\\x3cf8', 'fortran_order': False, 'shape': ()}", "'<f8'", false, &[]),
    (Version::V1_0, "{'descr': [('a\\tb', '<i2'), (\"it's\", '|S3'), ('\\u00e9', '<f4')], 'fortran_order': False, 'shape': (1,)}",
        "[('a\\tb', '<i2'), (\"it's\", '|S3'), ('é', '<f4')]", false, &[1]),
    (Version::V1_0, "{'descr': '''<f8''', 'fortran_order': False, 'shape': (1,)}", "'<f8'", false, &[1]),
    // fields as lists, titles, padding, subarrays, nesting
    (Version::V1_0, "{'descr': [['a', '<i4'], ['', '|V4'], [('T', 'b'), '>f8', (2, 3)], ('c', [('d', '|b1', 2)])], 'fortran_order': False, 'shape': (2,)}",
        "[('a', '<i4'), ('', '|V4'), (('T', 'b'), '>f8', (2, 3)), ('c', [('d', '|b1', (2,))])]", false, &[2]),
    (Version::V1_0, "{'descr': [('a', ('<f8', (2,)), (3,))], 'fortran_order': False, 'shape': (1,)}",
        "[('a', ('<f8', (2,)), (3,))]", false, &[1]),
    (Version::V1_0, "{'descr': [('', '<f8'), ('x', '<f8', ())], 'fortran_order': False, 'shape': (1,)}",
        "[('', '<f8'), ('x', '<f8')]", false, &[1]),
    (Version::V1_0, "{'descr': [('', '|V4', (2,)), ('x', '<i8')], 'fortran_order': False, 'shape': (1,)}",
        "[('', '|V8'), ('x', '<i8')]", false, &[1]),
    (Version::V1_0, "{'descr': [], 'fortran_order': False, 'shape': (4,)}", "[]", false, &[4]),
    // NumPy's old sized-flexible spelling, padding from V0, a None title
    (Version::V1_0, "{'descr': [('a', 'S', 3), ('', 'V0', 4), ((None, 'b'), ('U', 2))], 'fortran_order': False, 'shape': (1,)}",
        "[('a', '|S3'), ('', '|V4'), ('b', '<U2')]", false, &[1]),
    // zero dims make an empty array whatever the other dims (H-8 skips zeros)
    (Version::V1_0, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4611686018427387904)}", "'|u1'", false, &[0, 4611686018427387904]),
    // type strings np.dtype accepts and normalises
    (Version::V1_0, "{'descr': 'float64', 'fortran_order': False, 'shape': ()}", "'<f8'", false, &[]),
    (Version::V1_0, "{'descr': '>u1', 'fortran_order': False, 'shape': ()}", "'|u1'", false, &[]),
    (Version::V1_0, "{'descr': 'i08', 'fortran_order': False, 'shape': ()}", "'<i8'", false, &[]),
    (Version::V1_0, "{'descr': '>M8[25s]', 'fortran_order': False, 'shape': ()}", "'>M8[25s]'", false, &[]),
    (Version::V1_0, "{'descr': 'datetime64[1Y]', 'fortran_order': False, 'shape': ()}", "'<M8[Y]'", false, &[]),
    (Version::V1_0, "{'descr': '<m8[generic]', 'fortran_order': False, 'shape': ()}", "'<m8'", false, &[]),
    (Version::V1_0, "{'descr': '|U3', 'fortran_order': False, 'shape': ()}", "'<U3'", false, &[]),
    (Version::V1_0, "{'descr': 'c', 'fortran_order': False, 'shape': ()}", "'|S1'", false, &[]),
    (Version::V1_0, "{'descr': '=g', 'fortran_order': False, 'shape': ()}", "'<f16'", false, &[]),
    (Version::V1_0, "{'descr': 'O4', 'fortran_order': False, 'shape': ()}", "'|O'", false, &[]),
    // latin-1 in 1.0/2.0, UTF-8 in 3.0
    (Version::V2_0, "{'descr': [('caf\u{e9}', '<f8')], 'fortran_order': False, 'shape': (1,)}", "[('café', '<f8')]", false, &[1]),
    (Version::V3_0, "{'descr': [('温度', '<f8')], 'fortran_order': False, 'shape': (1,)}", "[('温度', '<f8')]", false, &[1]),
    // 4.0: -1 on the growth axis
    (Version::V4_0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }", "'<f8'", false, &[-1, 3]),
    (Version::V4_0, "{'descr': '<f8', 'fortran_order': True, 'shape': (3, -1), }", "'<f8'", true, &[3, -1]),
    (Version::V4_0, "{'descr': '<i2', 'fortran_order': False, 'shape': (-1,), }", "'<i2'", false, &[-1]),
    (Version::V4_0, "{'descr': '<i2', 'fortran_order': False, 'shape': (7,), }", "'<i2'", false, &[7]),
];

#[test]
fn accepted_headers_mean_what_numpy_reads() {
    for (i, &(version, text, descr, fortran, shape)) in CASES.iter().enumerate() {
        let file = padded(version, text);
        let p = parse(&file).unwrap_or_else(|e| panic!("case {i} {text:?}: {e}"));
        assert_eq!(p.version, version, "case {i}");
        assert_eq!(p.header.dtype().to_descr(), descr, "case {i}");
        assert_eq!(p.header.fortran_order(), fortran, "case {i}");
        assert_eq!(p.header.written_shape(), shape, "case {i}");
        assert_eq!(p.header.is_open_ended(), shape.contains(&-1), "case {i}");
        assert_eq!(p.data_offset() % 64, 0, "case {i}");
        let expected_warnings: &[npy_header::Warning] = if p.header.dtype().has_object() {
            &[npy_header::Warning::ObjectDtype]
        } else {
            &[]
        };
        assert_eq!(p.warnings, expected_warnings, "case {i}");
    }
}

#[test]
fn structured_offsets_and_itemsize_follow_descr_to_dtype() {
    let text = "{'descr': [('a', '<i4'), ('', '|V4'), (('T', 'b'), '>f8', (2, 3)), ('c', [('d', '|b1', 2)]), ('', '|V3')], 'fortran_order': False, 'shape': (2,)}";
    let p = parse(&padded(Version::V1_0, text)).unwrap();
    let dt = p.header.dtype();
    assert_eq!(dt.itemsize(), 4 + 4 + 48 + 2 + 3);
    let offsets: Vec<(&str, u64)> = match dt {
        npy_header::Dtype::Record { fields, .. } => {
            fields.iter().map(|f| (f.name.as_str(), f.offset)).collect()
        }
        other => panic!("not a record: {other:?}"),
    };
    assert_eq!(offsets, [("a", 0), ("b", 8), ("c", 56)]);
    assert_eq!(dt.field("T").map(|f| f.name.as_str()), Some("b"));
    assert_eq!(dt.field("c").unwrap().dtype.itemsize(), 2);
}

#[test]
fn python2_long_suffix_is_accepted_in_1_0_and_2_0_with_a_warning() {
    for version in [Version::V1_0, Version::V2_0] {
        let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4 L), }";
        let p = parse(&padded(version, text)).unwrap();
        assert_eq!(p.header.fixed_shape(), Some(&[3, 4][..]));
        let at = version.preamble_len() as u64 + text.find('L').unwrap() as u64;
        assert_eq!(p.warnings, [Warning::Python2LongSuffix { offset: at }]);
    }
}

#[test]
fn missing_newline_and_unaligned_data_are_warnings() {
    let file = raw(
        Version::V1_0,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
    );
    let p = parse(&file).unwrap();
    assert_eq!(
        p.warnings,
        [
            Warning::MissingNewline,
            Warning::UnalignedData {
                data_offset: file.len() as u64
            }
        ]
    );
    assert_eq!(
        p.warnings[1].to_string(),
        format!("data starts at byte {}, not a multiple of 64", file.len())
    );
}

#[test]
fn object_dtype_is_parsed_and_flagged() {
    let p = parse(&padded(
        Version::V1_0,
        "{'descr': [('a', '<i4'), ('o', '|O')], 'fortran_order': False, 'shape': (2,)}",
    ))
    .unwrap();
    assert!(p.header.dtype().has_object());
    assert_eq!(p.warnings, [Warning::ObjectDtype]);
}

#[test]
fn deprecated_a_code_warns() {
    let text = "{'descr': 'a5', 'fortran_order': False, 'shape': ()}";
    let p = parse(&padded(Version::V1_0, text)).unwrap();
    assert_eq!(p.header.dtype().to_descr(), "'|S5'");
    assert_eq!(
        p.warnings,
        [Warning::DeprecatedTypeCode { offset: 10 + 10 }]
    );
}

#[test]
fn data_after_the_header_is_not_read() {
    let mut file = padded(
        Version::V1_0,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
    );
    file.extend_from_slice(b"not data the parser should look at \xff\x00");
    assert_eq!(parse(&file).unwrap().header.fixed_shape(), Some(&[3][..]));
}

#[test]
fn two_step_parsing_matches_one_step() {
    let file = padded(
        Version::V3_0,
        "{'descr': [('温度', '<f8')], 'fortran_order': False, 'shape': (1,)}",
    );
    let parser = HeaderParser::new();
    let pre = parser
        .parse_preamble(&file[..npy_header::MAX_PREAMBLE_LEN])
        .unwrap();
    assert_eq!(pre.data_offset(), file.len() as u64);
    let start = pre.version.preamble_len();
    let two = parser.parse_text(pre, &file[start..]).unwrap();
    assert_eq!(two, parser.parse(&file).unwrap());
}

#[test]
fn nesting_up_to_the_limit_passes_and_one_more_fails() {
    // Each nested struct adds a list and a tuple; the dict is one more level.
    fn nested(levels: usize) -> String {
        let mut d = "'<f8'".to_string();
        for _ in 0..levels {
            d = format!("[('x', {d})]");
        }
        format!("{{'descr': {d}, 'fortran_order': False, 'shape': (1,)}}")
    }
    let mut limits = Limits::default();
    limits.max_depth = 9;
    let parser = HeaderParser::with_limits(limits);
    // 4 structs: dict(1) + 4 * (list + tuple) = 9 levels.
    assert!(parser.parse(&padded(Version::V1_0, &nested(4))).is_ok());
    let err = parser
        .parse(&padded(Version::V1_0, &nested(5)))
        .unwrap_err();
    assert_eq!(err.kind(), &npy_header::ErrorKind::NestTooDeep { limit: 9 });
    // The default limit takes a 12-deep struct (25 levels) with room to spare.
    let p = parse(&padded(Version::V1_0, &nested(12))).unwrap();
    assert_eq!(p.header.dtype().itemsize(), 8);
}

#[test]
fn dims_and_fields_up_to_the_limit_pass() {
    let shape = vec!["1"; 64].join(", ");
    let text = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({shape})}}");
    assert_eq!(
        parse(&padded(Version::V1_0, &text)).unwrap().header.ndim(),
        64
    );
    let fields: Vec<String> = (0..100).map(|i| format!("('f{i}', '<f8')")).collect();
    let text = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': (1,)}}",
        fields.join(", ")
    );
    let p = HeaderParser::new()
        .max_fields(100)
        .parse(&padded(Version::V1_0, &text))
        .unwrap();
    assert_eq!(p.header.dtype().itemsize(), 800);
}

#[test]
fn largest_header_for_each_version() {
    // Exactly at the limit passes.
    let file = padded(
        Version::V1_0,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
    );
    let len = u64::from(u16::from_le_bytes([file[8], file[9]]));
    assert!(HeaderParser::new().max_header_len(len).parse(&file).is_ok());
}

/// Layout around the literal that CPython's tokenizer accepts (each checked against
/// NumPy in the oracle tests); these cannot be padded, so they are tested raw.
pub(crate) const LAYOUT_CASES: &[&str] = &[
    "\x0c{'descr': '<f8', 'fortran_order': False, 'shape': ()}",
    "\n\x0c{'descr': '<f8', 'fortran_order': False, 'shape': ()}",
    "\n \x0c{'descr': '<f8', 'fortran_order': False, 'shape': ()}",
    "\n\t\x0c{'descr': '<f8', 'fortran_order': False, 'shape': ()}",
    " \x0c{'descr': '<f8', 'fortran_order': False, 'shape': ()}",
    "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n  #c",
    "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n\x0c",
    "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n  \n",
    "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\\\n\n",
    "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\x0c",
];

#[test]
fn layout_around_the_literal_follows_cpython() {
    for text in LAYOUT_CASES {
        let p = parse(&raw(Version::V1_0, text)).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(p.header.dtype().to_descr(), "'<f8'");
    }
}

#[test]
fn every_python2_suffix_after_a_number_is_dropped() {
    for text in [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2 L L, 3\x0cL)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2\\\nL, 3L)}",
    ] {
        let p = parse(&padded(Version::V2_0, text)).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(p.header.fixed_shape(), Some(&[2, 3][..]));
        assert!(matches!(
            p.warnings[..],
            [Warning::Python2LongSuffix { .. }]
        ));
    }
}

#[test]
fn ten_thousand_fields_parse_and_duplicates_are_still_found() {
    let fields: Vec<String> = (0..10_000).map(|i| format!("('f{i}', '<f8')")).collect();
    let text = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': (1,), }}",
        fields.join(", ")
    );
    let parser = HeaderParser::with_limits(Limits::none());
    for version in [Version::V2_0, Version::V3_0] {
        let p = parser.parse(&padded(version, &text)).unwrap();
        assert_eq!(p.header.dtype().itemsize(), 80_000);
    }
    // A name reused far past the first fields, and a title equal to an early name.
    for dup in ["('f9999', '<f8')", "(('f3', 'g'), '<f8')"] {
        let text = format!(
            "{{'descr': [{}, {dup}], 'fortran_order': False, 'shape': (1,), }}",
            fields.join(", ")
        );
        let err = parser.parse(&padded(Version::V2_0, &text)).unwrap_err();
        assert_eq!(err.kind().name(), "invalid_descr", "{dup}");
        assert!(
            err.message()
                .ends_with("is already used as a name or title"),
            "{err}"
        );
    }
}

/// `Scalar::of::<T>()` is the scalar NumPy names `T::NAME` (`np.dtype("float32")`), in
/// this machine's order, and a type string reads back as the scalar it writes.
#[test]
fn each_element_type_has_its_numpy_scalar() {
    fn check<T: npy_header::Element>() {
        let of = npy_header::Scalar::of::<T>();
        assert_eq!(of, T::NAME.parse().unwrap(), "{}", T::RUST_NAME);
        assert_eq!(of.kind(), T::KIND);
        assert_eq!(of.itemsize(), std::mem::size_of::<T>() as u64);
        let descr = npy_header::Dtype::of::<T>().to_descr();
        assert_eq!(descr.trim_matches('\'').parse(), Ok(of), "{descr}");
    }
    check::<u8>();
    check::<i8>();
    check::<u16>();
    check::<i16>();
    check::<u32>();
    check::<i32>();
    check::<u64>();
    check::<i64>();
    check::<f32>();
    check::<f64>();
    check::<[f32; 2]>();
    check::<[f64; 2]>();
    let e = "<f3".parse::<npy_header::Scalar>().unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (&npy_header::ErrorKind::InvalidDescr, None)
    );
}
