//! Property tests: emit/parse round trips and no panics on arbitrary bytes.

use npy_header::{
    parse, ByteOrder, Dtype, Field, Header, HeaderParser, Kind, Limits, Scalar, TimeUnit, Version,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn scalar() -> impl Strategy<Value = Dtype> {
    let order = prop_oneof![
        Just(ByteOrder::Little),
        Just(ByteOrder::Big),
        Just(ByteOrder::NotApplicable)
    ];
    let kind_size = prop_oneof![
        Just((Kind::Bool, 1u64)),
        prop::sample::select(vec![1u64, 2, 4, 8]).prop_map(|s| (Kind::Int, s)),
        prop::sample::select(vec![1u64, 2, 4, 8]).prop_map(|s| (Kind::UInt, s)),
        prop::sample::select(vec![2u64, 4, 8, 16]).prop_map(|s| (Kind::Float, s)),
        prop::sample::select(vec![8u64, 16, 32]).prop_map(|s| (Kind::Complex, s)),
        (0u64..40).prop_map(|s| (Kind::Bytes, s)),
        (0u64..10).prop_map(|s| (Kind::Unicode, s * 4)),
        (0u64..40).prop_map(|s| (Kind::Void, s)),
        Just((Kind::Object, 8)),
        Just((Kind::Datetime, 8)),
        Just((Kind::Timedelta, 8)),
    ];
    let unit = prop::option::of((
        prop_oneof![Just(1u32), 2u32..1000, Just(i32::MAX as u32)],
        prop::sample::select(vec![
            TimeUnit::Years,
            TimeUnit::Months,
            TimeUnit::Weeks,
            TimeUnit::Days,
            TimeUnit::Hours,
            TimeUnit::Minutes,
            TimeUnit::Seconds,
            TimeUnit::Milliseconds,
            TimeUnit::Microseconds,
            TimeUnit::Nanoseconds,
            TimeUnit::Picoseconds,
            TimeUnit::Femtoseconds,
            TimeUnit::Attoseconds,
        ]),
    ));
    (kind_size, order, unit).prop_map(|((kind, size), order, unit)| {
        let s = Scalar::new(kind, order, size).expect("sizes chosen per kind");
        Dtype::Scalar(match unit {
            Some((count, u)) if matches!(kind, Kind::Datetime | Kind::Timedelta) => {
                s.with_time_unit(count, u).expect("counts chosen in range")
            }
            _ => s,
        })
    })
}

fn name() -> impl Strategy<Value = String> {
    // Quotes, escapes, latin-1 and non-latin-1 characters, non-printables.
    "[a-zA-Z0-9_ '\"\\\\\t\u{e9}\u{a0}\u{4e2d}\u{1f600}\u{200b}]{1,6}"
}

fn dtype() -> impl Strategy<Value = Dtype> {
    scalar()
        .prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                (inner.clone(), prop::collection::vec(0u64..4, 1..3)).prop_map(|(base, shape)| {
                    Dtype::Subarray {
                        base: Box::new(base),
                        shape,
                    }
                }),
                prop::collection::vec((name(), prop::option::of(name()), inner, 0u64..4), 0..5)
                    .prop_map(|raw| {
                        let mut fields: Vec<Field> = Vec::new();
                        let mut offset = 0;
                        for (name, title, dtype, gap) in raw {
                            let clash = |s: &str| {
                                fields
                                    .iter()
                                    .any(|f| f.name == s || f.title.as_deref() == Some(s))
                            };
                            if clash(&name)
                                || title.as_deref().is_some_and(|t| t == name || clash(t))
                            {
                                continue;
                            }
                            offset += gap;
                            let size = dtype.itemsize();
                            fields.push(Field {
                                name,
                                title,
                                dtype,
                                offset,
                            });
                            offset += size;
                        }
                        Dtype::Record {
                            fields,
                            itemsize: offset + 3,
                        }
                    }),
            ]
        })
        // A subarray is only allowed as a field type.
        .prop_filter("top-level subarray", |d| {
            !matches!(d, Dtype::Subarray { .. })
        })
}

/// 2000 cases; failures are kept in a file beside this one and replayed first.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/integration/props.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

pub(crate) fn header() -> impl Strategy<Value = (Header, Option<Version>)> {
    (
        dtype(),
        any::<bool>(),
        prop::collection::vec(0u64..100_000, 0..5),
        any::<bool>(),
        0usize..4,
    )
        .prop_map(|(dtype, fortran_order, shape, open, v)| {
            let fixed = Header::new(dtype.clone(), fortran_order, shape);
            let open_ended =
                open && fixed.growth_axis().is_some() && fixed.row_bytes().is_ok_and(|r| r > 0);
            if open_ended {
                let row_shape = fixed.row_shape().to_vec();
                (
                    Header::open_ended(dtype, fortran_order, row_shape),
                    Some(Version::V4_0),
                )
            } else {
                (
                    fixed,
                    [None, Some(Version::V3_0), Some(Version::V4_0), None][v],
                )
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn emit_then_parse_gives_the_same_header((h, version) in header()) {
        let out = match h.emit(version) {
            Ok(out) => out,
            // Refusals are for headers no reader could accept (sizes beyond 2^63-1,
            // subarrays NumPy cannot build); they are the caller's fault.
            Err(e) => {
                prop_assert_eq!(e.kind(), &npy_header::ErrorKind::CannotEmit);
                return Ok(());
            }
        };
        let p = HeaderParser::with_limits(Limits::none()).parse(&out.bytes).unwrap();
        prop_assert_eq!(&p.header, &h);
        prop_assert_eq!(p.version, out.version);
        prop_assert_eq!(out.bytes.len() % 64, 0);
        // Parse -> emit -> parse is a fixed point, byte for byte.
        let again = p.header.emit(Some(p.version)).unwrap();
        prop_assert_eq!(again.bytes, out.bytes);
    }

    #[test]
    fn a_descr_alone_parses_as_in_its_header((h, version) in header()) {
        let Ok(out) = h.emit(version) else { return Ok(()) };
        let parser = HeaderParser::with_limits(Limits::none());
        let p = parser.parse(&out.bytes).unwrap();
        let alone = parser.parse_descr(&p.header.dtype().to_descr()).unwrap();
        prop_assert_eq!(&alone, p.header.dtype());
    }

    #[test]
    fn in_place_rewrite_parses_back((h, _) in header(), rows in 0u64..u64::from(u32::MAX)) {
        let (out, grown) = match (h.emit(None), h.with_growth_len(rows)) {
            (Ok(out), Some(grown)) if !h.is_open_ended() => (out, grown),
            _ => return Ok(()),
        };
        if grown.data_bytes().is_err() {
            return Ok(());
        }
        let bytes = grown.emit_in_place(out.version, out.bytes.len() as u64).unwrap();
        prop_assert_eq!(bytes.len(), out.bytes.len());
        let p = HeaderParser::with_limits(Limits::none()).parse(&bytes).unwrap();
        prop_assert_eq!(p.header, grown);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn arbitrary_header_text_never_panics(version in 1u8..=4, body in prop::collection::vec(any::<u8>(), 0..300)) {
        let version = Version::from_bytes(version, 0).unwrap();
        let _ = parse(&npy_testing::header::raw_bytes(version, &body));
    }

    #[test]
    fn mutated_valid_headers_never_panic((h, version) in header(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let Ok(out) = h.emit(version) else { return Ok(()) };
        let mut bytes = out.bytes;
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        if let Err(e) = parse(&bytes) {
            // Every error points inside the input (or just past it).
            prop_assert!(e.offset().unwrap_or(0) <= bytes.len() as u64, "{e}");
        }
    }

    #[test]
    fn tokens_shuffled_never_panic(tokens in prop::collection::vec(prop::sample::select(vec![
        "{", "}", "(", ")", "[", "]", ",", ":", "'descr'", "'shape'", "'fortran_order'", "'<f8'",
        "True", "False", "None", "-1", "3", "0x1f", "1_0", "3L", "1.5", "2j", "+", "-", "#c\n", "\n",
        " ", "\\\n", "'a", "\"", "r'", "b'x'", "'''", "set()", "{1}", "\\x", "é", "\u{4e2d}",
    ]), 0..60)) {
        let text: String = tokens.concat();
        for v in [Version::V1_0, Version::V3_0, Version::V4_0] {
            let _ = parse(&npy_testing::header::raw_bytes(v, text.as_bytes()));
        }
    }
}

/// The same header with one space inserted after the opening `{`: neutral in Python's
/// syntax, but it takes the header off the fast path for NumPy's exact layout, so the
/// general parser reads it.
fn off_the_fast_path(file: &[u8]) -> Option<Vec<u8>> {
    let parsed_len = if file.get(6) == Some(&1) { 10 } else { 12 };
    if file.len() < parsed_len + 1 || file[parsed_len] != b'{' {
        return None;
    }
    let mut body = file[parsed_len..].to_vec();
    body.insert(1, b' ');
    let mut out = file[..8].to_vec();
    if parsed_len == 10 {
        out.extend_from_slice(&u16::try_from(body.len()).ok()?.to_le_bytes());
    } else {
        out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_le_bytes());
    }
    out.extend_from_slice(&body);
    Some(out)
}

proptest! {
    #![proptest_config(config())]

    /// The fast path and the general parser agree on every header we emit.
    #[test]
    fn fast_path_agrees_with_the_general_parser((h, version) in header()) {
        let Ok(out) = h.emit(version) else { return Ok(()) };
        let parser = HeaderParser::with_limits(Limits::none());
        let fast = parser.parse(&out.bytes).unwrap();
        let general = parser.parse(&off_the_fast_path(&out.bytes).unwrap()).unwrap();
        prop_assert_eq!(fast.header, general.header);
    }

    /// ... and on the verdict for damaged headers: the fast path never accepts what the
    /// general parser refuses, nor reads it differently.
    #[test]
    fn fast_path_never_accepts_more((h, version) in header(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let Ok(out) = h.emit(version) else { return Ok(()) };
        let mut bytes = out.bytes;
        let start = if bytes[6] == 1 { 11 } else { 13 }; // keep the preamble and the `{`
        for (i, b) in edits {
            let at = start + i.index(bytes.len() - start);
            bytes[at] = b;
        }
        let Some(general_input) = off_the_fast_path(&bytes) else { return Ok(()) };
        let parser = HeaderParser::with_limits(Limits::none());
        match (parser.parse(&bytes), parser.parse(&general_input)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a.header, b.header),
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (a, b) => prop_assert!(false, "verdicts differ: {:?} vs {:?}", a.map(|p| p.header), b.map(|p| p.header)),
        }
    }
}
