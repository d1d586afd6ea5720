//! End-to-end tests of the commands that change files: `npy append`, `recover`,
//! `ensure-appendable`, `finalize` and `convert`. What the files mean is checked
//! against NumPy in `npy-append`'s own tests; here, the commands' behaviour, output and
//! exit status.

use std::path::Path;
use std::process::{Command, Output};

use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar, Version};
use npy_testing::header;

pub(crate) fn npy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(args)
        .output()
        .expect("run npy")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn i2() -> Dtype {
    Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 2).unwrap())
}

/// A file of NumPy's header for `header` in `version` (`None`: NumPy's choice), and
/// `data`.
fn write_npy(path: &Path, header: &Header, version: Option<Version>, data: &[u8]) {
    let mut bytes = header.emit(version).unwrap().bytes;
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// A file with NumPy's header for `shape` (`<i2`, C or Fortran order) in `version`
/// (`None`: NumPy's choice), and `data`.
pub(crate) fn npy_file(
    path: &Path,
    shape: &[u64],
    fortran: bool,
    version: Option<Version>,
    data: &[u8],
) {
    write_npy(
        path,
        &Header::new(i2(), fortran, shape.to_vec()),
        version,
        data,
    );
}

/// A 4.0 file of `<i2` rows of `row` items.
pub(crate) fn v4_file(path: &Path, row: u64, data: &[u8]) {
    write_npy(
        path,
        &Header::open_ended(i2(), false, vec![row]),
        None,
        data,
    );
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub(crate) fn parsed(path: &Path) -> npy_header::Parsed {
    npy_header::parse(&std::fs::read(path).unwrap()).unwrap()
}

pub(crate) fn data(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let offset = usize::try_from(parsed(path).data_offset()).unwrap();
    bytes[offset..].to_vec()
}

/// `n` distinct bytes starting at `from`.
pub(crate) fn seq(from: u8, n: u8) -> Vec<u8> {
    (from..from + n).collect()
}

#[test]
fn append_creates_from_the_first_source_and_appends_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.npy"),
        dir.path().join("b.npy"),
        dir.path().join("c.npy"),
    );
    npy_file(&a, &[2, 3], false, None, &seq(0, 12));
    npy_file(&b, &[1, 3], false, None, &seq(12, 6));
    // Fortran order, reordered into the C-order file.
    npy_file(
        &c,
        &[2, 3],
        true,
        None,
        &[30, 31, 36, 37, 32, 33, 38, 39, 34, 35, 40, 41],
    );
    let dest = dir.path().join("all.npy");
    let out = npy(&["append", s(&dest), s(&a), s(&b), s(&c)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: created; appended 3 of 3 files (5 rows): shape (5, 3), format 1.0\n",
            dest.display()
        )
    );
    assert_eq!(text(&out.stderr), "");
    let mut want = seq(0, 18);
    want.extend(30..42);
    assert_eq!(data(&dest), want);
    assert_eq!(parsed(&dest).header.fixed_shape(), Some(&[5, 3][..]));
    // The header is NumPy's for the final array.
    let numpy_layout = Header::new(i2(), false, vec![5, 3])
        .emit(None)
        .unwrap()
        .bytes;
    assert!(std::fs::read(&dest).unwrap().starts_with(&numpy_layout));

    // Appending to an existing file; options.
    for (rows, flags) in [
        (6, &["--sync"][..]),
        (7, &["--header-on-close"]),
        (8, &["--sync", "--header-on-close"]),
    ] {
        let args = [&["append"][..], flags, &[s(&dest), s(&b)]].concat();
        let out = npy(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{flags:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout),
            format!(
                "{}: appended 1 of 1 files (1 row): shape ({rows}, 3), format 1.0\n",
                dest.display()
            )
        );
    }
    assert_eq!(parsed(&dest).header.fixed_shape(), Some(&[8, 3][..]));
}

#[test]
fn append_stops_at_the_first_bad_source() {
    let dir = tempfile::tempdir().unwrap();
    let (a, bad, b) = (
        dir.path().join("a.npy"),
        dir.path().join("bad.npy"),
        dir.path().join("b.npy"),
    );
    npy_file(&a, &[2, 3], false, None, &seq(0, 12));
    npy_file(&bad, &[2, 4], false, None, &seq(0, 16));
    npy_file(&b, &[1, 3], false, None, &seq(0, 6));
    let dest = dir.path().join("d.npy");
    let out = npy(&["append", s(&dest), s(&a), s(&bad), s(&b)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: created; appended 1 of 3 files (2 rows): shape (2, 3), format 1.0\n",
            dest.display()
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: cannot append an array of shape (2, 4) to an array of shape (2, 3): the shapes may differ only on the growth axis (axis 0 in C order)\n",
            dest.display()
        )
    );
    assert_eq!(parsed(&dest).header.fixed_shape(), Some(&[2, 3][..]));

    let missing = dir.path().join("missing.npy");
    let out = npy(&["append", s(&dest), s(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: cannot open the input: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    let out = npy(&["append", "--v4", s(&dest), s(&b)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: exists in format 1.0: --v4 applies only when creating the file (convert it with `npy convert --to-version 4`)\n",
            dest.display()
        )
    );
    assert_eq!(npy(&["append", s(&dest)]).status.code(), Some(2));
}

#[test]
fn v4_then_finalize() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.npy");
    npy_file(&a, &[2, 3], false, None, &seq(0, 12));
    let dest = dir.path().join("s.npy");
    let out = npy(&["append", "--v4", s(&dest), s(&a), s(&a)]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: created; appended 2 of 2 files (4 rows): shape (4, 3), format 4.0\n",
            dest.display()
        )
    );
    assert!(parsed(&dest).header.is_open_ended());
    // An interrupted append: half a row more.
    let mut bytes = std::fs::read(&dest).unwrap();
    bytes.extend_from_slice(&[9, 9, 9]);
    std::fs::write(&dest, bytes).unwrap();
    let out = npy(&["finalize", s(&dest)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 4.0 -> 1.0, shape (4, 3); cut 3 bytes of a partial row\n",
            dest.display()
        )
    );
    assert_eq!(parsed(&dest).version, Version::V1_0);
    assert_eq!(parsed(&dest).header.fixed_shape(), Some(&[4, 3][..]));
    let out = npy(&["finalize", s(&dest)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: the file is format 1.0, not 4.0: there is nothing to finalize (convert changes versions)\n",
            dest.display()
        )
    );
}

#[test]
fn recover_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.npy");
    let line = |args: &[&str]| {
        let out = npy(&[&["recover"][..], args, &[s(&f)]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // The header counts 4 rows of 6 bytes; the file holds 2 and a half.
    npy_file(&f, &[4, 3], false, None, &seq(0, 15));
    assert_eq!(
        line(&[]),
        format!(
            "{}: recovered: 2 rows (the header said 4), cut 3 bytes; shape (2, 3), format 1.0\n",
            f.display()
        )
    );
    assert_eq!(
        line(&[]),
        format!(
            "{}: nothing to recover: 2 rows; shape (2, 3), format 1.0\n",
            f.display()
        )
    );
    npy_file(&f, &[1, 3], false, None, &seq(0, 15));
    assert_eq!(
        line(&["--zerofill-incomplete"]),
        format!(
            "{}: recovered: 3 rows (the header said 1), completed a partial row with 3 zero bytes; shape (3, 3), format 1.0\n",
            f.display()
        )
    );
    npy_file(&f, &[4, 3], false, None, &seq(0, 15));
    assert_eq!(
        line(&["--no-sync"]),
        format!(
            "{}: recovered: 2 rows (the header said 4), cut 3 bytes; shape (2, 3), format 1.0\n",
            f.display()
        )
    );
    assert_eq!(std::fs::metadata(&f).unwrap().len(), 128 + 12);
    npy_file(&f, &[1, 3], false, None, &seq(0, 15));
    assert_eq!(
        line(&["--counted"]),
        format!(
            "{}: recovered: 1 row, cut 9 bytes; shape (1, 3), format 1.0\n",
            f.display()
        )
    );
    // A garbled header, and another file's as the template.
    let template = dir.path().join("t.npy");
    npy_file(&template, &[0, 3], false, None, &[]);
    let mut bytes = std::fs::read(&template).unwrap();
    bytes.extend_from_slice(&seq(0, 12));
    bytes[30] = b'@';
    std::fs::write(&f, bytes).unwrap();
    let out = npy(&["recover", s(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: the header does not parse (at byte 27: unknown header key \"fo@tran_order\": the header has exactly the keys 'descr', 'fortran_order' and 'shape'): if a crash tore it, recover it with a template: a file with the same dtype, order, other dimensions, version and header length, such as this file as it was created\n\
             hint: `npy recover --like TEMPLATE FILE` takes the header from TEMPLATE\n",
            f.display()
        )
    );
    assert_eq!(
        line(&["--like", s(&template)]),
        format!(
            "{}: recovered: the header did not parse: rewrote it from the template, 2 rows; shape (2, 3), format 1.0\n",
            f.display()
        )
    );
}

#[test]
fn ensure_appendable_modes_and_convert() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.npy");
    // A header as NumPy before 1.24 wrote it, whose padding happens to leave room.
    let padded = |path: &Path| {
        let text = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }";
        let mut bytes = header::padded_to(Version::V1_0, 128, text);
        bytes.extend_from_slice(&seq(0, 12));
        std::fs::write(path, bytes).unwrap();
    };
    padded(&f);
    let out = npy(&["ensure-appendable", s(&f)]);
    assert_eq!(
        text(&out.stdout),
        format!("{}: already appendable: nothing to do\n", f.display())
    );

    // No room: a 1.0 header of 128 bytes with no padding.
    let no_room = |path: &Path| {
        let mut bytes = header::filled(Version::V1_0, 128, |n| {
            format!(
                "{{'descr': [('{}', '<i2')], 'fortran_order': False, 'shape': (2, 3), }}",
                "n".repeat(n)
            )
        });
        bytes.extend_from_slice(&seq(0, 12));
        std::fs::write(path, bytes).unwrap();
    };
    let out_path = dir.path().join("copy.npy");
    for (args, how) in [
        (
            vec![],
            "rewritten beside it and renamed over it".to_string(),
        ),
        (
            vec!["--in-place", "--exact-layout"],
            "moved in place".to_string(),
        ),
        (
            vec!["--out", s(&out_path)],
            format!("copied to {}", out_path.display()),
        ),
    ] {
        no_room(&f);
        let out = npy(&[&["ensure-appendable"][..], &args, &[s(&f)]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!(
                "{}: header grown by 64 bytes ({how}), 12 data bytes; format 1.0\n",
                f.display()
            )
        );
    }
    assert_eq!(data(&out_path), seq(0, 12));
    // In place by default: a 4 KiB range insert where the filesystem can, else the move.
    no_room(&f);
    let out = npy(&["ensure-appendable", "--in-place", s(&f)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (growth, how) = if parsed(&f).data_offset() == 128 + 4096 {
        (4096, "range inserted in place")
    } else {
        (64, "moved in place")
    };
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: header grown by {growth} bytes ({how}), 12 data bytes; format 1.0\n",
            f.display()
        )
    );
    assert_eq!(data(&f), seq(0, 12));
    no_room(&f);
    assert_eq!(
        npy(&["ensure-appendable", "--exact-layout", s(&f)])
            .status
            .code(),
        Some(2),
        "--exact-layout needs --in-place"
    );
    assert_eq!(
        npy(&["ensure-appendable", "--in-place", "--out", "x", s(&f)])
            .status
            .code(),
        Some(2)
    );

    // --out left f as it was: with no room, 4.0's longer preamble means a rewrite.
    let out = npy(&["convert", "--to-version", "4", s(&f)]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 1.0 -> 4.0, rewritten (the header grew); shape (2, 3)\n",
            f.display()
        )
    );
    assert_eq!(
        npy(&["convert", "--to-version", "1", s(&f)]).status.code(),
        Some(0)
    );
    let out = npy(&["convert", "--to-version", "4", s(&f)]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 1.0 -> 4.0, in place; shape (2, 3)\n",
            f.display()
        )
    );
    assert!(parsed(&f).header.is_open_ended());
    let out = npy(&["convert", "--to-version", "4", s(&f)]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 4.0 -> 4.0, already: nothing to do; shape (2, 3)\n",
            f.display()
        )
    );
    let out = npy(&["convert", "--to-version", "2", s(&f)]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 4.0 -> 2.0, in place; shape (2, 3)\n",
            f.display()
        )
    );
    assert_eq!(data(&f), seq(0, 12));
    no_room(&f);
    let out = npy(&["convert", "--to-version", "2", s(&f)]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 1.0 -> 2.0, rewritten (the header grew); shape (2, 3)\n",
            f.display()
        )
    );
    assert_eq!(
        npy(&["convert", "--to-version", "5", s(&f)]).status.code(),
        Some(2)
    );
    v4_file(&f, 3, &seq(0, 12));
    assert_eq!(
        npy(&["convert", "--to-version", "1", s(&f)]).status.code(),
        Some(0)
    );
    assert_eq!(parsed(&f).version, Version::V1_0);
}

/// A 1.0 file of 3 rows of a 551-field structured dtype, its header as NumPy before
/// 1.24 wrote it, with no padding: 9974 bytes of header text, which NumPy's layout
/// (room for a longer count) makes 10038, past NumPy's default max_header_size.
fn wide(path: &Path) -> Vec<u8> {
    let mut fields: Vec<String> = (0..550).map(|i| format!("('f{i:04}', '<u2')")).collect();
    fields.push("('last_one', '<u2')".to_string());
    let dict = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': (3,), }}\n",
        fields.join(", ")
    );
    let mut bytes = header::raw(Version::V1_0, &dict);
    assert_eq!(bytes.len(), 9984, "no padding");
    bytes.extend_from_slice(&vec![7; 3 * 551 * 2]);
    std::fs::write(path, &bytes).unwrap();
    bytes
}

#[test]
fn a_header_past_numpys_max_header_size_needs_allow_large_header() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("wide.npy");
    let copy = dir.path().join("copy.npy");
    let refused = |grown: u64| {
        format!(
            "error: {}: the header would grow from 9974 to {grown} bytes, past NumPy's default max_header_size (10000): np.load would refuse the file unless given max_header_size={grown} or allow_pickle=True, and `npy inspect` unless given --max-header-len {grown}; allow it with MoveOptions::allow_large_header (`--allow-large-header`)\n",
            f.display()
        )
    };
    let warned = |path: &Path, len: u64| {
        format!(
            "warning: {}: the header is {len} bytes long, past NumPy's default max_header_size (10000): np.load reads the file only with max_header_size={len} or allow_pickle=True, npy inspect only with --max-header-len {len}\n",
            path.display()
        )
    };
    for (args, how, target) in [
        (
            vec![],
            "rewritten beside it and renamed over it".to_string(),
            &f,
        ),
        (vec!["--in-place"], "moved in place".to_string(), &f),
        (
            vec!["--in-place", "--exact-layout"],
            "moved in place".to_string(),
            &f,
        ),
        (
            vec!["--out", s(&copy)],
            format!("copied to {}", copy.display()),
            &copy,
        ),
    ] {
        let bytes = wide(&f);
        let _ = std::fs::remove_file(&copy);
        assert_eq!(npy(&["inspect", s(&f)]).status.code(), Some(0));
        let out = npy(&[&["ensure-appendable"][..], &args, &[s(&f)]].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert_eq!(text(&out.stderr), refused(10038), "{args:?}");
        assert_eq!(std::fs::read(&f).unwrap(), bytes, "{args:?}: unchanged");
        assert!(!copy.exists(), "{args:?}");

        let forced = [&args[..], &["--allow-large-header"]].concat();
        let out = npy(&[&["ensure-appendable"][..], &forced, &[s(&f)]].concat());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout),
            format!(
                "{}: header grown by 64 bytes ({how}), 3306 data bytes; format 1.0\n",
                f.display()
            ),
            "{args:?}"
        );
        assert_eq!(text(&out.stderr), warned(target, 10038), "{args:?}");
        // What the warning says: inspect needs the longer limit.
        assert_eq!(npy(&["inspect", s(target)]).status.code(), Some(1));
        let out = npy(&["inspect", "--max-header-len", "10038", s(target)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }

    // convert's rewrite (2.0's preamble is 2 bytes longer) likewise.
    let bytes = wide(&f);
    let out = npy(&["convert", "--to-version", "2", s(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), refused(10036));
    assert_eq!(std::fs::read(&f).unwrap(), bytes);
    let out = npy(&[
        "convert",
        "--to-version",
        "2",
        "--allow-large-header",
        s(&f),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 1.0 -> 2.0, rewritten (the header grew); shape (3,)\n",
            f.display()
        )
    );
    assert_eq!(text(&out.stderr), warned(&f, 10036));
}

/// A 1.0 file of 4 rows of 3 `<u2` in one field, written as NumPy writes it, whose name
/// is as long as makes the header 128 bytes in 1.0 and 192 in 2.0 (2 bytes longer
/// preamble).
fn at_the_edge_of_2_0(path: &Path) {
    let header = (1..100)
        .map(|n| {
            let dict = format!(
                "{{'descr': [('{}', '<u2')], 'fortran_order': False, 'shape': (4, 3), }}",
                "n".repeat(n)
            );
            let bytes = header::raw(Version::V3_0, &format!("{dict}\n"));
            npy_header::HeaderParser::new()
                .parse(&bytes)
                .unwrap()
                .header
        })
        .find(|h| {
            let len = |v| h.emit(Some(v)).unwrap().bytes.len();
            (len(Version::V1_0), len(Version::V2_0)) == (128, 192)
        })
        .unwrap();
    let mut bytes = header.emit(Some(Version::V1_0)).unwrap().bytes;
    bytes.extend_from_slice(&seq(0, 24));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn convert_keeps_the_room_to_grow_or_warns() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.npy");
    let row = dir.path().join("row.npy");
    at_the_edge_of_2_0(&f);
    // A source of one more row of the same dtype.
    let mut one = std::fs::read(&f).unwrap()[..128].to_vec();
    let at = one.windows(6).position(|w| w == b"(4, 3)").unwrap();
    one.splice(at..at + 6, b"(1, 3)".iter().copied());
    one.extend_from_slice(&seq(100, 6));
    std::fs::write(&row, one).unwrap();

    let out = npy(&["convert", "--to-version", "2", s(&f)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 1.0 -> 2.0, rewritten (the header grew); shape (4, 3)\n",
            f.display()
        )
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(parsed(&f).data_offset(), 192);
    let out = npy(&["append", s(&f), s(&row)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(data(&f), [seq(0, 24), seq(100, 6)].concat());

    // Hard-linked: converted in place, with a warning.
    at_the_edge_of_2_0(&f);
    std::fs::hard_link(&f, dir.path().join("g.npy")).unwrap();
    let out = npy(&["convert", "--to-version", "2", s(&f)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: format 1.0 -> 2.0, in place; shape (4, 3)\n",
            f.display()
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "warning: {}: converted in place, leaving the header no room for a longer growth-axis length (a rewrite that kept it would split the file's hard links or pass NumPy's max_header_size): run `npy ensure-appendable --in-place` before appending to it\n",
            f.display()
        )
    );
    assert_eq!(parsed(&f).data_offset(), 128);
    assert_eq!(npy(&["append", s(&f), s(&row)]).status.code(), Some(1));
    let out = npy(&["ensure-appendable", "--in-place", s(&f)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = npy(&["append", s(&f), s(&row)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(data(&f), [seq(0, 24), seq(100, 6)].concat());
}

#[test]
fn ensure_appendable_out_copies_an_appendable_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.npy");
    npy_file(&f, &[2, 3], false, None, &seq(0, 12));
    let original = std::fs::read(&f).unwrap();
    let copy = dir.path().join("copy.npy");
    let out = npy(&["ensure-appendable", "--out", s(&copy), s(&f)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: already appendable: copied unchanged to {} (12 data bytes); format 1.0\n",
            f.display(),
            copy.display()
        )
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(std::fs::read(&copy).unwrap(), original, "a byte copy");
    assert_eq!(std::fs::read(&f).unwrap(), original, "FILE is left alone");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["copy.npy", "f.npy"], "no temporary file is left");

    // The copy is continued, not started afresh.
    let b = dir.path().join("b.npy");
    npy_file(&b, &[1, 3], false, None, &seq(12, 6));
    let out = npy(&["append", s(&copy), s(&b)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: appended 1 of 1 files (1 row): shape (3, 3), format 1.0\n",
            copy.display()
        )
    );
    assert_eq!(data(&copy), seq(0, 18));

    // A PATH that exists, or is a symbolic link to nothing, is refused and untouched.
    let before = std::fs::read(&copy).unwrap();
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink(dir.path().join("nowhere.npy"), &link).unwrap();
    for target in [&copy, &link] {
        let out = npy(&["ensure-appendable", "--out", s(target), s(&f)]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(text(&out.stdout), "");
        assert_eq!(
            text(&out.stderr),
            format!(
                "error: {}: the output file exists already: choose another path or remove it\n",
                target.display()
            )
        );
    }
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    assert!(!dir.path().join("nowhere.npy").exists());
    assert_eq!(std::fs::read(&f).unwrap(), original);
}

/// An error whose remedy is another command or option ends with a `hint:` line naming
/// it in this tool's words; the file is unchanged.
#[test]
fn errors_end_with_the_command_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let (dest, src) = (dir.path().join("d.npy"), dir.path().join("s.npy"));
    let tight = |shape: &str| {
        header::filled(Version::V1_0, 128, |n| {
            format!(
                "{{'descr': [('{}', '<i2')], 'fortran_order': False, 'shape': {shape}, }}",
                "n".repeat(n)
            )
        })
    };
    let i4 = Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 4).unwrap());
    // Makes DEST and SRC; the hint appending SRC to DEST gives.
    type Case<'a> = (Box<dyn Fn() + 'a>, &'static str);
    let cases: Vec<Case<'_>> = vec![
        (
            Box::new(|| {
                std::fs::write(&dest, [tight("(3,)"), vec![0; 6]].concat()).unwrap();
                std::fs::write(&src, [tight("(1,)"), vec![0; 2]].concat()).unwrap();
            }),
            "hint: `npy ensure-appendable FILE` gives the header room (--in-place keeps the file where it is)",
        ),
        (
            Box::new(|| {
                npy_file(&dest, &[3], false, None, &[0; 4]);
                npy_file(&src, &[1], false, None, &[0; 2]);
            }),
            "hint: `npy recover FILE` makes the file complete again",
        ),
        (
            Box::new(|| {
                write_npy(&dest, &Header::new(i4.clone(), false, vec![1]), None, &[0; 4]);
                npy_file(&src, &[1], false, None, &[0; 2]);
            }),
            "hint: pass --safe-cast to convert, as NumPy's casting='safe' allows",
        ),
        // Float into int is no safe cast: no hint, the error's last word stands.
        (
            Box::new(|| {
                write_npy(&dest, &Header::new(i4.clone(), false, vec![1]), None, &[0; 4]);
                let f8 = Header::new(Dtype::of::<f64>(), false, vec![1]);
                write_npy(&src, &f8, None, &[0; 8]);
            }),
            "",
        ),
    ];
    for (make, hint) in cases {
        make();
        let before = std::fs::read(&dest).unwrap();
        let out = npy(&["append", s(&dest), s(&src)]);
        assert_eq!(out.status.code(), Some(1), "{hint}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
        if hint.is_empty() {
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains("not a safe cast"), "{stderr}");
        } else {
            assert_eq!(stderr.lines().last(), Some(hint), "{stderr}");
        }
        assert_eq!(std::fs::read(&dest).unwrap(), before, "{hint}");
    }
}
