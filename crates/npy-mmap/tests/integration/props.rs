//! proptest: on arbitrary valid files (and truncated ones), the mapped reader and the
//! streaming reader, fed whole or one byte at a time, agree on everything.
//!
//! 400 cases by default; set `PROPTEST_CASES` for more. Failures are kept in a file
//! beside this one and replayed first.

use npy_header::{ByteOrder, Dtype, Field, Header, Kind, Scalar, Version};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::common::read_every_way;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(400),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/integration/props.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

fn scalar() -> impl Strategy<Value = Dtype> {
    let kinds = prop_oneof![
        Just((Kind::Bool, 1)),
        Just((Kind::Int, 1)),
        Just((Kind::Int, 2)),
        Just((Kind::Int, 4)),
        Just((Kind::Int, 8)),
        Just((Kind::UInt, 1)),
        Just((Kind::UInt, 2)),
        Just((Kind::UInt, 4)),
        Just((Kind::UInt, 8)),
        Just((Kind::Float, 2)),
        Just((Kind::Float, 4)),
        Just((Kind::Float, 8)),
        Just((Kind::Complex, 8)),
        Just((Kind::Complex, 16)),
        Just((Kind::Bytes, 3)),
        Just((Kind::Unicode, 8)),
        Just((Kind::Void, 5)),
        Just((Kind::Datetime, 8)),
    ];
    (kinds, any::<bool>()).prop_map(|((kind, size), big)| {
        let order = if big {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        };
        Dtype::Scalar(Scalar::new(kind, order, size).expect("valid scalar"))
    })
}

/// Scalars, and records of up to three scalar fields with gaps between them.
fn dtype() -> impl Strategy<Value = Dtype> {
    prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec((scalar(), 0u64..3), 1..4).prop_map(|fields| {
            let mut offset = 0;
            let fields = fields
                .into_iter()
                .enumerate()
                .map(|(i, (dtype, gap))| {
                    offset += gap;
                    let field = Field { name: format!("f{i}"), title: None, offset, dtype };
                    offset += field.dtype.itemsize();
                    field
                })
                .collect();
            Dtype::Record { fields, itemsize: offset + 1 }
        }),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    header: Header,
    version: Option<Version>,
    /// Extra spaces in the header padding, to move the data offset off 64.
    repad: Option<usize>,
    /// How the data length relates to what the header needs.
    data: DataLen,
    seed: u8,
}

#[derive(Debug, Clone, Copy)]
enum DataLen {
    /// Exactly, plus `n` trailing bytes (for an open-ended header: `rows` whole rows
    /// plus `n` bytes).
    Extra { rows: u64, n: u64 },
    /// `n` bytes short of what a fixed header needs.
    Short(u64),
}

fn case() -> impl Strategy<Value = Case> {
    (
        dtype(),
        any::<bool>(),
        prop::collection::vec(0u64..5, 0..4),
        0usize..4,
        prop::option::weighted(0.3, 0usize..80),
        prop_oneof![
            4 => (0u64..6, 0u64..40).prop_map(|(rows, n)| DataLen::Extra { rows, n }),
            1 => (1u64..50).prop_map(DataLen::Short),
        ],
        any::<u8>(),
    )
        .prop_map(|(dtype, fortran, shape, v, repad, data, seed)| {
            let mut header = Header::new(dtype, fortran, shape);
            let version = match v {
                0 => None,
                1 => Some(Version::V2_0),
                2 => Some(Version::V3_0),
                _ => {
                    // Open-ended when it can be: a growth axis and non-empty rows.
                    if header.growth_axis().is_some() && header.row_bytes().unwrap() > 0 {
                        let row_shape = header.row_shape().to_vec();
                        header = Header::open_ended(header.into_dtype(), fortran, row_shape);
                    }
                    Some(Version::V4_0).filter(|_| header.is_open_ended())
                }
            };
            Case {
                header,
                version,
                repad,
                data,
                seed,
            }
        })
}

/// The file's bytes: the header as emitted (or with other padding), then data.
fn build(case: &Case) -> Vec<u8> {
    let emitted = case.header.emit(case.version).expect("emittable");
    let mut bytes = emitted.bytes;
    if let Some(pad) = case.repad {
        let pre = emitted.version.preamble_len();
        while bytes.last() == Some(&b'\n') || bytes.last() == Some(&b' ') {
            bytes.pop();
        }
        bytes.extend(std::iter::repeat_n(b' ', pad));
        bytes.push(b'\n');
        let len = bytes.len() - pre;
        if pre == 10 {
            bytes[8..10].copy_from_slice(&u16::try_from(len).unwrap().to_le_bytes());
        } else {
            bytes[8..12].copy_from_slice(&u32::try_from(len).unwrap().to_le_bytes());
        }
    }
    let row = case.header.row_bytes().unwrap();
    let len = match (case.data, case.header.data_bytes().unwrap()) {
        (DataLen::Extra { rows, n }, None) => rows * row + n,
        (DataLen::Extra { n, .. }, Some(need)) => need + n,
        (DataLen::Short(n), Some(need)) => need.saturating_sub(n),
        (DataLen::Short(n), None) => n,
    };
    let mut state = u32::from(case.seed) | 1;
    bytes.extend((0..len).map(|_| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        state.to_be_bytes()[1]
    }));
    bytes
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mapped_and_streamed_agree(case in case()) {
        let bytes = build(&case);
        // `read_every_way` asserts that the four readers agree.
        match read_every_way(&bytes) {
            Ok(file) => {
                let layout = file.layout();
                prop_assert_eq!(file.bytes().len() as u64, layout.data_bytes());
                prop_assert_eq!(
                    layout.data_offset() + layout.data_bytes() + layout.trailing_bytes(),
                    bytes.len() as u64
                );
                prop_assert!(!matches!(case.data, DataLen::Short(n) if n > 0 && case.header.data_bytes().unwrap().is_some_and(|need| need > 0)));
            }
            Err(e) => {
                prop_assert_eq!(e.kind().name(), "data_length", "{}", e);
                prop_assert!(matches!(case.data, DataLen::Short(_)));
            }
        }
    }
}
