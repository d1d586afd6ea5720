//! End-to-end tests of the `npy` binary on the files in `conformance/samples` and on
//! malformed files made in a temporary directory.
//!
//! The tests that ask NumPy (through `npy-oracle`, or the oracle virtualenv's Python
//! for the conformance corpus) are ignored unless the `oracle` feature is on, as
//! `cargo xtask test` has it: a plain `cargo test` needs no Python.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

// Tests of `npy cat` and `npy head`, in this binary (one link step).
#[path = "cli/print.rs"]
mod print;

// Tests of the commands that change files (npy-append).
#[path = "cli/append.rs"]
mod append;

// What `npy append` does with inputs it cannot use: streams, links to nothing.
#[path = "cli/inputs.rs"]
mod inputs;

// `npy append` on a full filesystem: what it reports against what the file holds.
#[path = "cli/full_disk.rs"]
mod full_disk;

// The conformance corpus against this reader and NumPy, and the runner itself.
#[path = "cli/conformance.rs"]
mod conformance;

/// The workspace root: the binary runs there so that paths in its output are the
/// short relative ones below.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SAMPLES: &str = "conformance/samples";

fn sample(name: &str) -> String {
    format!("{SAMPLES}/{name}")
}

fn npy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run npy")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn inspect_json(path: &str) -> (Value, Output) {
    let out = npy(&["inspect", "--json", path]);
    let json = serde_json::from_str(&stdout(&out)).expect("stdout is one JSON object");
    (json, out)
}

/// A v1.0 file: the dict padded as NumPy pads it, then `data`.
fn v1_file(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut file = npy_testing::header::padded(npy_header::Version::V1_0, dict);
    file.extend_from_slice(data);
    file
}

#[test]
fn inspect_human_c_order() {
    let out = npy(&["inspect", &sample("c_order_f8_2d.npy")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(
        stdout(&out),
        "\
file: conformance/samples/c_order_f8_2d.npy
version: 1.0
dtype: float64 little-endian
descr: '<f8'
shape: (3, 4)
header shape: (3, 4)
order: C
header length: 118
data offset: 128
item size: 8
expected data bytes: 96
actual data bytes: 96
trailing bytes: 0
warnings: none
"
    );
}

#[test]
fn inspect_human_padded_struct() {
    let out = npy(&["inspect", &sample("structured_padded.npy")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
file: conformance/samples/structured_padded.npy
version: 1.0
dtype: struct {\"a\" @0: int32 little-endian, \"b\" @8: float64 little-endian, \"c\" @16: uint8} (24 bytes)
descr: [('a', '<i4'), ('', '|V4'), ('b', '<f8'), ('c', '|u1'), ('', '|V7')]
shape: (3,)
header shape: (3,)
order: C
header length: 182
data offset: 192
item size: 24
expected data bytes: 72
actual data bytes: 72
trailing bytes: 0
warnings: none
"
    );
}

#[test]
fn inspect_human_open_ended_partial_row() {
    let out = npy(&["inspect", &sample("v4_open_partial_row.npy")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
file: conformance/samples/v4_open_partial_row.npy
version: 4.0
dtype: int32 little-endian
descr: '<i4'
shape: (2, 3)
header shape: (-1, 3)
order: C
header length: 116
data offset: 128
item size: 4
expected data bytes: 24 (2 rows of 12 bytes)
actual data bytes: 29
trailing bytes: 5 (partial row)
warning: partial trailing row of 5 bytes (rows are 12 bytes; an append in progress or interrupted?)
"
    );
}

#[test]
fn inspect_human_fortran_order() {
    let out = npy(&["inspect", &sample("fortran_be_i2.npy")]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("\ndtype: int16 big-endian\ndescr: '>i2'\n"),
        "{text}"
    );
    assert!(text.contains("\norder: Fortran\n"), "{text}");
}

/// Every required key of `inspect --json`, for every valid sample.
#[test]
fn inspect_json_samples() {
    struct Expect {
        file: &'static str,
        version: &'static str,
        descr: Value,
        fortran_order: bool,
        shape: Value,
        header_shape: Value,
        data_offset: u64,
        itemsize: u64,
        data_bytes: u64,
    }
    let cases = [
        Expect {
            file: "c_order_f8_2d.npy",
            version: "1.0",
            descr: json!("<f8"),
            fortran_order: false,
            shape: json!([3, 4]),
            header_shape: json!([3, 4]),
            data_offset: 128,
            itemsize: 8,
            data_bytes: 96,
        },
        Expect {
            file: "fortran_be_i2.npy",
            version: "1.0",
            descr: json!(">i2"),
            fortran_order: true,
            shape: json!([2, 3]),
            header_shape: json!([2, 3]),
            data_offset: 128,
            itemsize: 2,
            data_bytes: 12,
        },
        Expect {
            file: "structured_nested.npy",
            version: "1.0",
            descr: json!([
                [["Identifier", "id"], "<u4"],
                ["pos", [["x", "<f4"], ["y", "<f4"]]],
                ["samples", "<i2", [2, 3]],
                ["grid", ["|u1", [2]], [3]],
                ["tag", "|S4"]
            ]),
            fortran_order: false,
            shape: json!([2]),
            header_shape: json!([2]),
            data_offset: 256,
            itemsize: 34,
            data_bytes: 68,
        },
        Expect {
            file: "structured_padded.npy",
            version: "1.0",
            descr: json!([
                ["a", "<i4"],
                ["", "|V4"],
                ["b", "<f8"],
                ["c", "|u1"],
                ["", "|V7"]
            ]),
            fortran_order: false,
            shape: json!([3]),
            header_shape: json!([3]),
            data_offset: 192,
            itemsize: 24,
            data_bytes: 72,
        },
        Expect {
            file: "v3_utf8_field_names.npy",
            version: "3.0",
            descr: json!([["温度", "<f8"], ["湿度", "<i4"]]),
            fortran_order: false,
            shape: json!([2]),
            header_shape: json!([2]),
            data_offset: 128,
            itemsize: 12,
            data_bytes: 24,
        },
        Expect {
            file: "scalar_0d.npy",
            version: "1.0",
            descr: json!("<f8"),
            fortran_order: false,
            shape: json!([]),
            header_shape: json!([]),
            data_offset: 128,
            itemsize: 8,
            data_bytes: 8,
        },
        Expect {
            file: "empty_0x5.npy",
            version: "1.0",
            descr: json!("<f4"),
            fortran_order: false,
            shape: json!([0, 5]),
            header_shape: json!([0, 5]),
            data_offset: 128,
            itemsize: 4,
            data_bytes: 0,
        },
        Expect {
            file: "unicode_u5.npy",
            version: "1.0",
            descr: json!("<U5"),
            fortran_order: false,
            shape: json!([4]),
            header_shape: json!([4]),
            data_offset: 128,
            itemsize: 20,
            data_bytes: 80,
        },
        Expect {
            file: "datetime_ns.npy",
            version: "1.0",
            descr: json!("<M8[ns]"),
            fortran_order: false,
            shape: json!([3]),
            header_shape: json!([3]),
            data_offset: 128,
            itemsize: 8,
            data_bytes: 24,
        },
        Expect {
            file: "bool_2x3.npy",
            version: "1.0",
            descr: json!("|b1"),
            fortran_order: false,
            shape: json!([2, 3]),
            header_shape: json!([2, 3]),
            data_offset: 128,
            itemsize: 1,
            data_bytes: 6,
        },
        Expect {
            file: "v4_open_whole_rows.npy",
            version: "4.0",
            descr: json!("<f8"),
            fortran_order: false,
            shape: json!([4, 3]),
            header_shape: json!([-1, 3]),
            data_offset: 128,
            itemsize: 8,
            data_bytes: 96,
        },
        Expect {
            file: "v4_open_partial_row.npy",
            version: "4.0",
            descr: json!("<i4"),
            fortran_order: false,
            shape: json!([2, 3]),
            header_shape: json!([-1, 3]),
            data_offset: 128,
            itemsize: 4,
            data_bytes: 29,
        },
    ];
    for e in cases {
        let (j, out) = inspect_json(&sample(e.file));
        assert_eq!(out.status.code(), Some(0), "{}: {}", e.file, stderr(&out));
        assert_eq!(j["file"], json!(sample(e.file)));
        assert_eq!(j["version"], json!(e.version), "{}", e.file);
        assert_eq!(j["descr"], e.descr, "{}", e.file);
        assert_eq!(j["fortran_order"], json!(e.fortran_order), "{}", e.file);
        assert_eq!(j["shape"], e.shape, "{}", e.file);
        assert_eq!(j["header_shape"], e.header_shape, "{}", e.file);
        assert_eq!(j["data_offset"], json!(e.data_offset), "{}", e.file);
        assert_eq!(j["itemsize"], json!(e.itemsize), "{}", e.file);
        assert_eq!(j["data_bytes"], json!(e.data_bytes), "{}", e.file);
        assert_eq!(
            j["header_len"],
            json!(e.data_offset - if e.version == "1.0" { 10 } else { 12 })
        );
        assert!(j.get("error").is_none(), "{}", e.file);
    }
}

#[test]
fn inspect_json_trailing_and_warnings() {
    let (j, _) = inspect_json(&sample("v4_open_partial_row.npy"));
    assert_eq!(j["open_ended"], json!(true));
    assert_eq!(j["row_bytes"], json!(12));
    assert_eq!(j["expected_data_bytes"], json!(24));
    assert_eq!(j["trailing_bytes"], json!(5));
    assert_eq!(
        j["warnings"],
        json!(["partial trailing row of 5 bytes (rows are 12 bytes; an append in progress or interrupted?)"])
    );
    let (j, _) = inspect_json(&sample("c_order_f8_2d.npy"));
    assert_eq!(j["expected_data_bytes"], json!(96));
    assert_eq!(j["trailing_bytes"], json!(0));
    assert_eq!(j["warnings"], json!([]));
    assert_eq!(j["descr_repr"], json!("'<f8'"));
    assert_eq!(j["dtype"], json!("float64 little-endian"));
}

#[test]
fn inspect_short_data_prints_header_then_fails() {
    let path = sample("broken_v1_short_data.npy");
    let err_line = "error: conformance/samples/broken_v1_short_data.npy: data_length: file holds 96 bytes of data but the header's shape needs 128: it was truncated or an append was interrupted (recover the file to keep its whole rows)\n";

    let out = npy(&["inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), err_line);
    let text = stdout(&out);
    assert!(
        text.starts_with("file: conformance/samples/broken_v1_short_data.npy\nversion: 1.0\n"),
        "{text}"
    );
    assert!(
        text.contains("\nshape: unresolved (see the error)\nheader shape: (4, 4)\n"),
        "{text}"
    );
    assert!(text.contains("\nexpected data bytes: 128\nactual data bytes: 96\ntrailing bytes: none (the data is too short)\n"), "{text}");

    let (j, out) = inspect_json(&path);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), err_line);
    assert_eq!(j["shape"], Value::Null);
    assert_eq!(j["header_shape"], json!([4, 4]));
    assert_eq!(j["expected_data_bytes"], json!(128));
    assert_eq!(j["data_bytes"], json!(96));
    assert_eq!(j["trailing_bytes"], Value::Null);
    assert_eq!(j["error"]["kind"], json!("data_length"));
    assert_eq!(j["error"]["offset"], Value::Null);
}

#[test]
fn validate_samples_directory() {
    let out = npy(&["validate", SAMPLES]);
    assert_eq!(out.status.code(), Some(1), "the broken sample fails");
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    for expected in [
        "ok   conformance/samples/c_order_f8_2d.npy  1.0 '<f8' (3, 4)",
        "ok   conformance/samples/fortran_be_i2.npy  1.0 '>i2' (2, 3)",
        "ok   conformance/samples/scalar_0d.npy  1.0 '<f8' ()",
        "ok   conformance/samples/structured_padded.npy  1.0 [('a', '<i4'), ('', '|V4'), ('b', '<f8'), ('c', '|u1'), ('', '|V7')] (3,)",
        "ok   conformance/samples/v3_utf8_field_names.npy  3.0 [('温度', '<f8'), ('湿度', '<i4')] (2,)",
        "ok   conformance/samples/v4_open_whole_rows.npy  4.0 '<f8' (4, 3)",
        "ok   conformance/samples/v4_open_partial_row.npy  4.0 '<i4' (2, 3) (warning: partial trailing row of 5 bytes (rows are 12 bytes; an append in progress or interrupted?))",
        "FAIL conformance/samples/broken_v1_short_data.npy  data_length: file holds 96 bytes of data but the header's shape needs 128: it was truncated or an append was interrupted (recover the file to keep its whole rows)",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
    }
    let npy_files = fs::read_dir(root().join(SAMPLES))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "npy")
        })
        .count();
    assert_eq!(lines.len(), npy_files + 1);
    assert_eq!(
        lines.last().unwrap(),
        &format!("{npy_files} files: {} ok, 1 failed", npy_files - 1)
    );
    // Sorted by path, so the output is the same on every machine.
    let mut sorted = lines[..npy_files].to_vec();
    sorted.sort_by_key(|l| l[5..].split("  ").next().unwrap().to_string());
    assert_eq!(sorted, lines[..npy_files]);
}

#[test]
fn validate_good_files() {
    let out = npy(&[
        "validate",
        &sample("c_order_f8_2d.npy"),
        &sample("v4_open_whole_rows.npy"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "\
ok   conformance/samples/c_order_f8_2d.npy  1.0 '<f8' (3, 4)
ok   conformance/samples/v4_open_whole_rows.npy  4.0 '<f8' (4, 3)
2 files: 2 ok, 0 failed
"
    );
}

/// The 4.0 samples are built by `generate.py`, not NumPy; check they are exactly what
/// this project's writer emits for the same header.
#[test]
fn open_ended_samples_match_the_writer() {
    for name in ["v4_open_whole_rows.npy", "v4_open_partial_row.npy"] {
        let bytes = fs::read(root().join(sample(name))).unwrap();
        let parsed = npy_header::parse(&bytes).unwrap();
        assert!(parsed.warnings.is_empty(), "{name}: {:?}", parsed.warnings);
        let emitted = parsed.header.emit(None).unwrap();
        assert_eq!(emitted.version, npy_header::Version::V4_0);
        assert_eq!(emitted.bytes, bytes[..emitted.bytes.len()], "{name}");
    }
}

/// Malformed files, made in a temporary directory.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    }
}

#[test]
fn inspect_bad_magic() {
    let s = Scratch::new();
    let path = s.write("bad_magic.npy", b"\x93NUMPZ\x01\x00v\x00{}");
    let out = npy(&["inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("error: {path}: bad_magic at byte 5: not a .npy file: it does not start with the magic string \\x93NUMPY\n")
    );
    let (j, out) = inspect_json(&path);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        j,
        json!({"file": path, "error": {"kind": "bad_magic", "offset": 5, "message": "not a .npy file: it does not start with the magic string \\x93NUMPY"}})
    );
}

#[test]
fn inspect_truncated_header() {
    let s = Scratch::new();
    let good = fs::read(root().join(sample("c_order_f8_2d.npy"))).unwrap();
    let path = s.write("truncated.npy", &good[..40]);
    let out = npy(&["inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("error: {path}: truncated at byte 40: file ends after 40 bytes, inside the header (which needs 128)\n")
    );

    let path = s.write("preamble.npy", &good[..9]);
    let out = npy(&["inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {path}: truncated at byte 9: file ends after 9 bytes, inside the header length field (which needs 10)\n")
    );
}

#[test]
fn inspect_header_over_limit() {
    let path = sample("structured_padded.npy"); // header length 182
    let out = npy(&["inspect", "--max-header-len", "100", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "error: conformance/samples/structured_padded.npy: header_too_long at byte 8: header length 182 exceeds the limit of 100 bytes (raise it if you trust this file)\n"
    );
    let out = npy(&["inspect", "--max-header-len", "182", &path]);
    assert_eq!(out.status.code(), Some(0));

    // A length field far beyond the default limit is refused before anything is read.
    let s = Scratch::new();
    let mut huge = b"\x93NUMPY\x02\x00".to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    let path = s.write("huge.npy", &huge);
    let out = npy(&["inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {path}: header_too_long at byte 8: header length 4294967295 exceeds the limit of 10000 bytes (raise it if you trust this file)\n")
    );
    // Raising the limit does not make the reader trust the length field: the file
    // holds no header text, and that is what it reports.
    let out = npy(&["inspect", "--max-header-len", "4294967295", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {path}: truncated at byte 12: file ends after 12 bytes, inside the header (which needs 4294967307)\n")
    );
}

#[test]
fn inspect_missing_file_and_syntax_error() {
    let out = npy(&["inspect", "no/such/file.npy"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: no/such/file.npy: io: No such file or directory (os error 2)\n"
    );

    let s = Scratch::new();
    let path = s.write(
        "syntax.npy",
        &v1_file(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,) }}",
            &[0; 24],
        ),
    );
    let out = npy(&["inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("error: {path}: syntax at byte ")),
        "{err}"
    );
}

#[test]
fn validate_malformed_and_warnings() {
    let s = Scratch::new();
    let dir = s.dir.path().to_str().unwrap().to_string();
    s.write("a_bad_magic.npy", b"NUMPY\x01\x00");
    s.write(
        "b_extra.npy",
        &v1_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
            &[0; 7],
        ),
    );
    s.write(
        "c_long.npy",
        &v1_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (2L,), }",
            &[0; 4],
        ),
    );
    s.write(
        "d_short.npy",
        &v1_file(
            "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }",
            &[0; 7],
        ),
    );
    s.write(
        "e_growth_in_v1.npy",
        &v1_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (-1,), }",
            &[],
        ),
    );
    s.write("notes.txt", b"not checked");
    fs::create_dir(s.dir.path().join("sub")).unwrap();
    s.write(
        "sub/f_ok.npy",
        &v1_file(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (), }",
            &[7],
        ),
    );

    let out = npy(&["validate", &dir]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!(
            "\
FAIL {dir}/a_bad_magic.npy  bad_magic at byte 0: not a .npy file: it does not start with the magic string \\x93NUMPY
ok   {dir}/b_extra.npy  1.0 '<i2' (2,) (warning: 3 extra bytes after the array data (NumPy ignores them))
ok   {dir}/c_long.npy  1.0 '<i2' (2,) (warning: at byte 62: Python 2 'L' integer suffix (accepted in format 1.0 and 2.0; save the file again to remove it))
FAIL {dir}/d_short.npy  data_length: file holds 7 bytes of data but the header's shape needs 8: it was truncated or an append was interrupted (recover the file to keep its whole rows)
FAIL {dir}/e_growth_in_v1.npy  invalid_growth_dim at byte 61: -1 in the shape is allowed only in format 4.0, not 1.0
ok   {dir}/sub/f_ok.npy  1.0 '|u1' ()
6 files: 3 ok, 3 failed
"
        )
    );

    let ok = format!("{dir}/sub");
    let out = npy(&["validate", &ok]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        format!("ok   {dir}/sub/f_ok.npy  1.0 '|u1' ()\n1 file: 1 ok, 0 failed\n")
    );

    // The limit applies to validate too.
    let out = npy(&["validate", "--max-header-len", "64", &ok]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!("FAIL {dir}/sub/f_ok.npy  header_too_long at byte 8: header length 118 exceeds the limit of 64 bytes (raise it if you trust this file)\n1 file: 0 ok, 1 failed\n")
    );

    // A missing path is a failure, not silence.
    let out = npy(&["validate", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "FAIL no/such/dir  io: No such file or directory (os error 2)\n1 file: 0 ok, 1 failed\n"
    );
}

#[test]
fn help_and_usage() {
    for args in [
        &["--help"][..],
        &["help"],
        &["inspect", "--help"],
        &["help", "validate"],
    ] {
        let out = npy(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = stdout(&out);
        assert!(text.contains("Usage: npy"), "{args:?}: {text}");
        assert!(text.contains("Examples:\n  npy "), "{args:?}: {text}");
    }
    let text = stdout(&npy(&["help", "inspect"]));
    assert!(text.contains("--max-header-len <N>"), "{text}");
    assert!(text.contains("--json"), "{text}");

    // Usage errors exit with 2.
    for args in [
        &[][..],
        &["inspect"],
        &["validate"],
        &["frobnicate"],
        &["inspect", "--max-header-len", "x", "a.npy"],
    ] {
        let out = npy(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("Usage: npy") || err.contains("try '--help'"),
            "{args:?}: {err}"
        );
    }
}
