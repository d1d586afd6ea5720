//! A rewrite that would take a header past NumPy's default `max_header_size` (10 000
//! bytes of header text) is refused, before anything is written, unless allowed.

use std::fs;
use std::path::Path;

use npy_append::{
    convert_with, ensure_appendable_with, Appender, EnsureMode, ErrorKind, Method, MoveOptions,
    Options,
};
use npy_header::Version;
use npy_testing::header;

use crate::common::{lit, parsed, py};

/// A 1.0 file of `rows` rows of a 551-field structured dtype (`f0000`…`f0549` and
/// `last_one`, `<u2`), its header as NumPy before 1.24 wrote it, with no padding at
/// all: 9974 bytes of header text, which NumPy's layout (room for a longer count) makes
/// 10038.
fn wide(path: &Path, rows: u64) -> Vec<u8> {
    let mut fields: Vec<String> = (0..550).map(|i| format!("('f{i:04}', '<u2')")).collect();
    fields.push("('last_one', '<u2')".to_string());
    let dict = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': ({rows},), }}",
        fields.join(", ")
    );
    let mut bytes = header::raw(Version::V1_0, &format!("{dict}\n"));
    assert_eq!(bytes.len(), 9984, "no padding: 64-byte aligned as it is");
    let row: Vec<u8> = (0..551 * 2).map(|i| (i % 251) as u8).collect();
    for _ in 0..rows {
        bytes.extend_from_slice(&row);
    }
    fs::write(path, &bytes).unwrap();
    bytes
}

const REFUSED: &str = "the header would grow from 9974 to 10038 bytes, past NumPy's default max_header_size (10000): np.load would refuse the file unless given max_header_size=10038 or allow_pickle=True, and `npy inspect` unless given --max-header-len 10038; allow it with MoveOptions::allow_large_header (`--allow-large-header`)";

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn ensure_appendable_refuses_to_pass_numpys_max_header_size_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.npy");
    let out = dir.path().join("out.npy");
    let modes = [
        (EnsureMode::Replace, MoveOptions::new()),
        (EnsureMode::To(out.clone()), MoveOptions::new()),
        (EnsureMode::InPlace, MoveOptions::new()),
        (EnsureMode::InPlace, MoveOptions::new().insert_range(false)),
    ];
    for rows in [0, 3] {
        for (mode, opts) in &modes {
            let what = format!("{mode:?} {opts:?}, {rows} rows");
            let bytes = wide(&p, rows);
            let e = ensure_appendable_with(&p, mode.clone(), opts, &mut |_, _| {}).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::LargeHeader, "{what}: {e}");
            assert_eq!(
                e.to_string(),
                format!("{}: {REFUSED}", p.display()),
                "{what}"
            );
            assert_eq!(fs::read(&p).unwrap(), bytes, "{what}: unchanged");
            assert!(!out.exists(), "{what}");
            let names: Vec<_> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["wide.npy"], "{what}: no temporary file left");

            // Allowed, the header is NumPy's, which NumPy reads only when told to.
            let opts = opts.clone().allow_large_header(true);
            let done = ensure_appendable_with(&p, mode.clone(), &opts, &mut |_, _| {}).unwrap();
            let method = match (mode, rows) {
                (EnsureMode::InPlace, 0) => Method::HeaderOnly,
                // A range insert would pad the header further past the limit: the move.
                (EnsureMode::InPlace, _) => Method::ChunkedMove,
                _ => Method::Copy,
            };
            assert_eq!(
                (done.method, done.header_growth, done.header_len),
                (method, 64, 10038),
                "{what}"
            );
            let target = if let EnsureMode::To(o) = mode { o } else { &p };
            assert_eq!(parsed(target).data_offset(), 10048, "{what}");
            let seen = py(&format!(
                "try:\n    np.load({t})\n    refused = ''\nexcept ValueError as e:\n    refused = str(e)\n\
                 a = np.load({t}, max_header_size=10038)\n\
                 result = ['max_header_size' in refused, len(a.dtype.names), list(a.shape)]",
                t = lit(target)
            ));
            assert_eq!(seen.to_string(), format!("[true,551,[{rows}]]"), "{what}");
            Appender::open(target, Options::new()).unwrap();
            let _ = fs::remove_file(&out);
        }
    }
}

#[test]
fn convert_refuses_to_pass_numpys_max_header_size_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.npy");
    // 2.0's preamble is 2 bytes longer: the tight 1.0 header does not fit in place.
    let bytes = wide(&p, 3);
    let none = MoveOptions::new();
    let e = convert_with(&p, Version::V2_0, &none, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::LargeHeader, "{e}");
    assert_eq!(
        e.to_string(),
        format!("{}: {}", p.display(), REFUSED.replace("10038", "10036"))
    );
    assert_eq!(fs::read(&p).unwrap(), bytes);
    let done = convert_with(
        &p,
        Version::V2_0,
        &none.clone().allow_large_header(true),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!((done.in_place, done.header_len), (false, 10036));
    assert_eq!(parsed(&p).data_offset(), 10048);
}
