//! Emitted headers: golden snapshots (regenerate with `INSTA_UPDATE=always cargo test -p
//! npy-header`, then review the diff; the NumPy oracle test checks the same bytes
//! against NumPy itself) and the rules of emission.

use npy_header::{parse, ByteOrder, Dtype, ErrorKind, Field, Header, Kind, Scalar, Version};

fn scalar(kind: Kind, order: ByteOrder, size: u64) -> Dtype {
    Dtype::Scalar(Scalar::new(kind, order, size).unwrap())
}

fn f8() -> Dtype {
    scalar(Kind::Float, ByteOrder::Little, 8)
}

/// Shows a header as text: non-printable bytes escaped, the padding's length stated.
fn show(bytes: &[u8]) -> String {
    let body = &bytes[..bytes.len() - 1];
    let trimmed = body.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    let mut s = String::new();
    for &b in &bytes[..trimmed] {
        if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    format!(
        "{s}<{} spaces>\\n ({} bytes)",
        body.len() - trimmed,
        bytes.len()
    )
}

fn record(fields: Vec<(&str, Option<&str>, Dtype, u64)>, itemsize: u64) -> Dtype {
    Dtype::Record {
        fields: fields
            .into_iter()
            .map(|(name, title, dtype, offset)| Field {
                name: name.into(),
                title: title.map(Into::into),
                dtype,
                offset,
            })
            .collect(),
        itemsize,
    }
}

fn cases() -> Vec<(&'static str, Header, Option<Version>)> {
    let i4 = scalar(Kind::Int, ByteOrder::Little, 4);
    let nested = record(
        vec![
            ("a", None, i4.clone(), 0),
            (
                "b",
                Some("B title"),
                Dtype::Subarray {
                    base: Box::new(scalar(Kind::Float, ByteOrder::Big, 8)),
                    shape: vec![2, 3],
                },
                8,
            ),
            (
                "c",
                None,
                record(
                    vec![(
                        "d",
                        None,
                        scalar(Kind::Bool, ByteOrder::NotApplicable, 1),
                        0,
                    )],
                    4,
                ),
                56,
            ),
        ],
        64,
    );
    vec![
        ("c_f8_3x4", Header::new(f8(), false, vec![3, 4]), None),
        (
            "fortran_i2",
            Header::new(scalar(Kind::Int, ByteOrder::Big, 2), true, vec![3, 4]),
            None,
        ),
        ("zero_d", Header::new(f8(), false, vec![]), None),
        ("one_d", Header::new(f8(), false, vec![10]), None),
        ("empty", Header::new(f8(), false, vec![0, 5]), None),
        (
            "huge_dim",
            Header::new(
                scalar(Kind::UInt, ByteOrder::NotApplicable, 1),
                false,
                vec![1 << 62],
            ),
            None,
        ),
        (
            "structured_nested",
            Header::new(nested, false, vec![2]),
            None,
        ),
        (
            "quotes_in_name",
            Header::new(
                record(vec![("it's", None, i4.clone(), 0)], 4),
                false,
                vec![1],
            ),
            None,
        ),
        (
            "latin1_name_v1",
            Header::new(
                record(vec![("café", None, i4.clone(), 0)], 4),
                false,
                vec![1],
            ),
            None,
        ),
        (
            "utf8_name_v3",
            Header::new(
                record(vec![("温度", None, i4.clone(), 0)], 4),
                false,
                vec![1],
            ),
            None,
        ),
        (
            "explicit_v2",
            Header::new(f8(), false, vec![3]),
            Some(Version::V2_0),
        ),
        (
            "explicit_v3",
            Header::new(f8(), false, vec![3]),
            Some(Version::V3_0),
        ),
        ("v4_c", Header::open_ended(f8(), false, vec![3]), None),
        ("v4_fortran", Header::open_ended(f8(), true, vec![3]), None),
        ("v4_1d", Header::open_ended(i4, false, vec![]), None),
    ]
}

#[test]
fn emitted_headers_match_golden_snapshots() {
    for (name, header, version) in cases() {
        let out = header.emit(version).unwrap();
        let text = format!("version {}\n{}", out.version, show(&out.bytes));
        insta::assert_snapshot!(name, text);
        // Every emitted header parses back to itself, aligned, with no warnings.
        let p = parse(&out.bytes).unwrap();
        assert_eq!(p.header, header, "{name}");
        assert!(p.warnings.is_empty(), "{name}");
        assert_eq!(out.bytes.len() % 64, 0, "{name}");
    }
}

#[test]
fn padding_is_never_zero() {
    // Find a shape whose header text lands exactly on a 64-byte boundary: NumPy then adds
    // 64 spaces rather than none.
    for n in 1..=64usize {
        let name = "n".repeat(n);
        let h = Header::new(
            record(vec![(name.as_str(), None, f8(), 0)], 8),
            false,
            vec![3],
        );
        let text_len = h.dict_text().len() as u64 + 1;
        let out = h.emit(None).unwrap();
        let pad = out.bytes.len() as u64 - 10 - text_len;
        assert!((1..=64).contains(&pad), "pad {pad}");
        if (10 + text_len) % 64 == 0 {
            assert_eq!(pad, 64);
            return;
        }
    }
    panic!("no shape produced an aligned header text; widen the search");
}

#[test]
fn version_choice_follows_numpy() {
    // Too long for a u16 length field: 2.0.
    let fields: Vec<(String, Option<&str>, Dtype, u64)> = (0..5000)
        .map(|i| (format!("field_{i:05}"), None, f8(), i * 8))
        .collect();
    let big = Dtype::Record {
        fields: fields
            .into_iter()
            .map(|(name, title, dtype, offset)| Field {
                name,
                title: title.map(Into::into),
                dtype,
                offset,
            })
            .collect(),
        itemsize: 40_000,
    };
    let h = Header::new(big, false, vec![1]);
    assert_eq!(h.emit(None).unwrap().version, Version::V2_0);
    let err = h.emit(Some(Version::V1_0)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::CannotEmit);
    assert!(err.to_string().starts_with("header length "), "{err}");
    assert!(
        err.to_string().ends_with(" too big for version 1.0"),
        "{err}"
    );
    // Not latin-1: 3.0, even when short; and 1.0/2.0 refuse it.
    let h = Header::new(record(vec![("温度", None, f8(), 0)], 8), false, vec![1]);
    assert_eq!(h.emit(None).unwrap().version, Version::V3_0);
    assert_eq!(
        h.emit(Some(Version::V2_0)).unwrap_err().to_string(),
        "the header holds characters outside latin-1, which format 2.0 cannot store (use 3.0)"
    );
    // Latin-1 but not ASCII stays 1.0, and its length is counted in latin-1 bytes.
    let h = Header::new(record(vec![("é", None, f8(), 0)], 8), false, vec![1]);
    let out = h.emit(None).unwrap();
    assert_eq!(out.version, Version::V1_0);
    assert_eq!(out.bytes.len() % 64, 0);
}

#[test]
fn open_ended_headers_need_4_0() {
    let h = Header::open_ended(f8(), false, vec![3]);
    assert_eq!(
        h.emit(Some(Version::V3_0)).unwrap_err().to_string(),
        "an open-ended (-1) shape needs format 4.0, not 3.0"
    );
}

#[test]
fn in_place_rewrite_keeps_the_length() {
    let h = Header::new(f8(), false, vec![0, 3]);
    let original = h.emit(None).unwrap();
    let grown = Header::new(f8(), false, vec![123_456_789_012_345_678, 3]);
    let rewritten = grown
        .emit_in_place(original.version, original.bytes.len() as u64)
        .unwrap();
    assert_eq!(rewritten.len(), original.bytes.len());
    let p = parse(&rewritten).unwrap();
    assert_eq!(p.header, grown);
    assert!(p.warnings.is_empty());
    // 21 digits fit in the spare space NumPy leaves; a header that has no spare room
    // cannot take a longer shape.
    let widest = Header::new(f8(), false, vec![u64::from(u32::MAX) * 1000, 3]);
    assert!(widest
        .emit_in_place(original.version, original.bytes.len() as u64)
        .is_ok());
    let names: Vec<String> = (0..8).map(|i| format!("field{i}")).collect();
    let wide = record(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), None, f8(), i as u64 * 8))
            .collect(),
        64,
    );
    let wider_dtype = Header::new(wide, false, vec![1, 3]);
    let small = Header::new(f8(), false, vec![1]).emit(None).unwrap();
    let err = wider_dtype
        .emit_in_place(small.version, small.bytes.len() as u64)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the header for shape (1, 3) needs 217 bytes but the file has room for 128 (make it appendable first)"
    );
}

#[test]
fn finalizing_4_0_into_3_0_is_an_in_place_rewrite() {
    // The spare spaces after `-1` leave room for any length up to 21 digits, so a 4.0
    // header can become a 3.0 header of the same length.
    let open = Header::open_ended(f8(), false, vec![3]);
    let v4 = open.emit(None).unwrap();
    let closed = Header::new(f8(), false, vec![npy_header::MAX_DIM / 24, 3]);
    let v3 = closed
        .emit_in_place(Version::V3_0, v4.bytes.len() as u64)
        .unwrap();
    assert_eq!(v3.len(), v4.bytes.len());
    // And it is exactly what NumPy would write for the closed header as 3.0.
    assert_eq!(v3, closed.emit(Some(Version::V3_0)).unwrap().bytes);
}

#[test]
fn hand_built_types_that_would_not_read_back_are_refused() {
    let i4 = scalar(Kind::Int, ByteOrder::Little, 4);
    let cases = [
        (
            record(
                vec![("a", None, i4.clone(), 4), ("b", None, i4.clone(), 0)],
                8,
            ),
            "field \"b\" overlaps or precedes the field before it",
        ),
        (
            record(
                vec![("a", None, i4.clone(), 0), ("a", None, i4.clone(), 4)],
                8,
            ),
            "\"a\" is used twice as a field name or title",
        ),
        (
            record(
                vec![("a", Some("t"), i4.clone(), 0), ("t", None, i4.clone(), 4)],
                8,
            ),
            "\"t\" is used twice as a field name or title",
        ),
        (
            record(
                vec![("", None, scalar(Kind::Void, ByteOrder::NotApplicable, 4), 0)],
                4,
            ),
            "a void field with an empty name would read back as padding",
        ),
        (
            record(vec![("a", None, i4.clone(), 0)], 2),
            "fields end at byte 4, past the item size 2",
        ),
        (
            record(
                vec![(
                    "a",
                    None,
                    Dtype::Subarray {
                        base: Box::new(scalar(Kind::Bytes, ByteOrder::NotApplicable, 0)),
                        shape: vec![2],
                    },
                    0,
                )],
                0,
            ),
            "a subarray of S0, U0, V0 or of zero bytes",
        ),
    ];
    for (dtype, why) in cases {
        let err = Header::new(dtype, false, vec![1]).emit(None).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::CannotEmit);
        assert_eq!(
            err.to_string(),
            format!("the dtype cannot be written: {why}")
        );
    }
}
