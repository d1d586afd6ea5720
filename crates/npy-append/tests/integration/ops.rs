//! recover, finalize, convert and ensure_appendable: what they make of files, judged by
//! NumPy and, for recover, by npy-append-array's own `recover` on the same bytes.

use std::path::Path;

use npy_append::{
    convert, ensure_appendable, ensure_appendable_with, finalize, recover, Adopt, Appender,
    EnsureMode, ErrorKind, Method, MoveOptions, NewArray, Options, RecoverOptions, Replayed,
};
use npy_header::{Header, Version};
use npy_testing::header;

use crate::common::{dtype, lit, py, PY_SAME};

fn append_raw(path: &Path, bytes: &[u8]) {
    let mut all = std::fs::read(path).unwrap();
    all.extend_from_slice(bytes);
    std::fs::write(path, all).unwrap();
}

/// A file of `rows` rows of 3 `<u2` written by the crate, `version`, C or Fortran.
fn written(path: &Path, rows: u64, version: Version, fortran: bool) {
    let _ = std::fs::remove_file(path);
    let new = NewArray::new(dtype("'<u2'"), [3])
        .fortran_order(fortran)
        .version(version);
    let w = Appender::create(path, &new, Options::new()).unwrap();
    w.append_bytes(&crate::workload::rows(0, rows)).unwrap();
    w.close().unwrap();
}

/// NumPy loads `path` as rows `0..rows` of the workload pattern (as a (rows, 3) or
/// (3, rows) array).
fn numpy_sees(path: &Path, rows: u64, fortran: bool) -> bool {
    let expect = crate::workload::rows(0, rows);
    let hex: String = expect.iter().map(|b| format!("{b:02x}")).collect();
    py(&format!(
        r#"
a = np.load({p})
flat = bytes.fromhex('{hex}')
ref = np.frombuffer(flat, dtype='<u2').reshape(({rows}, 3))
if {f}:
    ref = ref.T
result = bool(a.shape == ref.shape and a.dtype == ref.dtype and np.array_equal(a, ref))
"#,
        p = lit(path),
        f = if fortran { "True" } else { "False" },
    ))
    .as_bool()
    .unwrap()
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn adopt_policies_and_zerofill() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    // 5 counted rows, then 2 whole rows and 3 bytes of another that the header does not
    // count: (adopt, zerofill) -> (rows, truncated, zero-filled).
    for (adopt, zerofill, rows, cut, filled) in [
        (Adopt::WholeRows, false, 7, 3, 0),
        (Adopt::WholeRows, true, 8, 0, 3),
        (Adopt::Counted, false, 5, 15, 0),
        (Adopt::Counted, true, 5, 15, 0),
    ] {
        written(&p, 5, Version::V1_0, false);
        append_raw(&p, &crate::workload::rows(5, 3)[..15]);
        let opts = RecoverOptions::new()
            .adopt(adopt)
            .zerofill_incomplete(zerofill);
        let done = recover(&p, &opts).unwrap();
        let what = format!("{adopt:?}, zerofill {zerofill}");
        assert_eq!(
            (
                done.header_rows,
                done.rows,
                done.truncated_bytes,
                done.zero_filled_bytes
            ),
            (Some(5), rows, cut, filled),
            "{what}"
        );
        if filled == 0 {
            assert!(numpy_sees(&p, rows, false), "{what}");
        } else {
            let mut want = crate::workload::rows(0, 8);
            want[7 * 6 + 3..].fill(0);
            let got = py(&format!(
                "result = np.load({}).view(np.uint8).ravel().tolist()",
                lit(&p)
            ));
            assert_eq!(got, serde_json::json!(want), "{what}");
        }
        assert!(!recover(&p, &opts).unwrap().changed(), "{what}");
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn a_count_beyond_the_data_is_clamped_for_both_policies() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    for adopt in [Adopt::WholeRows, Adopt::Counted] {
        for fortran in [false, true] {
            written(&p, 100, Version::V2_0, fortran);
            let len = std::fs::metadata(&p).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.set_len(len - 93 * 6 - 4).unwrap();
            drop(f);
            let done = recover(&p, &RecoverOptions::new().adopt(adopt)).unwrap();
            assert_eq!(
                (done.header_rows, done.rows, done.truncated_bytes),
                (Some(100), 6, 2)
            );
            assert!(numpy_sees(&p, 6, fortran), "{adopt:?} {fortran}");
        }
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn a_garbled_header_needs_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let template = {
        let f = npy_testing::MemFile::new();
        let new = NewArray::new(dtype("'<u2'"), [3]).version(Version::V3_0);
        drop(Appender::create_on(&f, npy_testing::MemFile::new(), &new, Options::new()).unwrap());
        f.bytes()
    };
    written(&p, 40, Version::V3_0, false);
    let mut bytes = std::fs::read(&p).unwrap();
    for b in &mut bytes[20..60] {
        *b = 0xff;
    }
    std::fs::write(&p, &bytes).unwrap();
    assert_eq!(
        recover(&p, &RecoverOptions::new()).unwrap_err().kind(),
        &npy_append::ErrorKind::Unrecoverable
    );
    let done = recover(&p, &RecoverOptions::new().template(&template).unwrap()).unwrap();
    assert!(done.used_template);
    assert_eq!((done.header_rows, done.rows), (None, 40));
    assert!(numpy_sees(&p, 40, false));
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn edge_cases_npy_append_array_crashes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let f8 = dtype("'<f8'");
    let write = |h: &Header, data: &[u8]| {
        let mut b = h.emit(None).unwrap().bytes;
        b.extend_from_slice(data);
        std::fs::write(&p, b).unwrap();
    };
    // 0-d: consistent, extra bytes, incomplete + zerofill.
    let zero_d = Header::new(f8.clone(), false, vec![]);
    write(&zero_d, &1.5f64.to_le_bytes());
    assert!(!recover(&p, &RecoverOptions::new()).unwrap().changed());
    write(&zero_d, &[0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 9, 9]);
    assert_eq!(
        recover(&p, &RecoverOptions::new()).unwrap().truncated_bytes,
        2
    );
    assert_eq!(py(&format!("result = float(np.load({}))", lit(&p))), 1.5);
    write(&zero_d, &[0, 0, 0]);
    let done = recover(&p, &RecoverOptions::new().zerofill_incomplete(true)).unwrap();
    assert_eq!((done.rows, done.zero_filled_bytes), (1, 5));
    assert_eq!(py(&format!("result = float(np.load({}))", lit(&p))), 0.0);
    // A zero-size non-growth dimension: the count stands, stray bytes go.
    write(&Header::new(f8.clone(), false, vec![5, 0]), &[1, 2, 3]);
    let done = recover(&p, &RecoverOptions::new()).unwrap();
    assert_eq!((done.rows, done.truncated_bytes), (5, 3));
    assert_eq!(
        py(&format!("result = list(np.load({}).shape)", lit(&p))).to_string(),
        "[5,0]"
    );
    // Empty data.
    write(&Header::new(f8.clone(), false, vec![0, 3]), &[]);
    assert!(!recover(&p, &RecoverOptions::new()).unwrap().changed());
    write(&Header::new(f8, false, vec![0, 3]), &[7; 4]);
    let done = recover(&p, &RecoverOptions::new().zerofill_incomplete(true)).unwrap();
    assert_eq!((done.rows, done.zero_filled_bytes), (1, 20));
    let got = py(&format!(
        "result = np.load({}).view(np.uint8).ravel().tolist()",
        lit(&p)
    ));
    let mut want = vec![0u8; 24];
    want[..4].fill(7);
    assert_eq!(got, serde_json::json!(want));
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn recover_equals_npy_append_array_recover_at_every_cut() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ours.npy");
    let theirs = dir.path().join("theirs.npy");
    for fortran in [false, true] {
        written(&p, 4, Version::V1_0, fortran);
        let full = std::fs::read(&p).unwrap();
        for cut in 128..=full.len() {
            for zerofill in [false, true] {
                std::fs::write(&p, &full[..cut]).unwrap();
                std::fs::write(&theirs, &full[..cut]).unwrap();
                recover(&p, &RecoverOptions::new().zerofill_incomplete(zerofill)).unwrap();
                let same = py(&format!(
                    "import npy_append_array\nnpy_append_array.recover({t}, {z})\nresult = open({t}, 'rb').read() == open({o}, 'rb').read()",
                    t = lit(&theirs),
                    o = lit(&p),
                    z = if zerofill { "True" } else { "False" },
                ));
                assert_eq!(
                    same, true,
                    "fortran {fortran}, cut at {cut}, zerofill {zerofill}"
                );
            }
        }
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn finalize_makes_a_4_0_file_numpy_readable() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    for fortran in [false, true] {
        written(&p, 12, Version::V4_0, fortran);
        append_raw(&p, &[1, 2, 3, 4, 5]);
        let refused = py(&format!("try:\n    np.load({})\n    result = 'loaded'\nexcept ValueError as e:\n    result = str(e)", lit(&p)));
        assert_eq!(
            refused,
            "we only support format version (1,0), (2,0), and (3,0), not (4, 0)"
        );
        let done = finalize(&p).unwrap();
        assert_eq!(
            (
                done.from,
                done.to,
                done.shape.clone(),
                done.trimmed_bytes,
                done.in_place
            ),
            (
                Version::V4_0,
                Version::V1_0,
                if fortran { vec![3, 12] } else { vec![12, 3] },
                5,
                true
            )
        );
        assert!(numpy_sees(&p, 12, fortran));
        // The header is NumPy's for that array (the spare space absorbed the length).
        let numpy_header = py(&format!(
            "a = np.load({p})\nbuf = io.BytesIO()\nfmt_impl._write_array_header(buf, {{'descr': '<u2', 'fortran_order': {f}, 'shape': a.shape}}, (1, 0))\nresult = open({p}, 'rb').read(len(buf.getvalue())) == buf.getvalue()",
            p = lit(&p),
            f = if fortran { "True" } else { "False" },
        ));
        assert_eq!(numpy_header, true);
        // And it can be continued.
        let w = Appender::open(&p, Options::new()).unwrap();
        w.append_bytes(&crate::workload::rows(12, 2)).unwrap();
        w.close().unwrap();
        assert!(numpy_sees(&p, 14, fortran));
    }
    // A field name outside latin-1 needs 3.0.
    let new = NewArray::new(dtype("[('ψ', '<u2')]"), [3]).version(Version::V4_0);
    let w = Appender::create(dir.path().join("psi.npy"), &new, Options::new()).unwrap();
    w.append_bytes(&crate::workload::rows(0, 2)).unwrap();
    w.close().unwrap();
    assert_eq!(
        finalize(dir.path().join("psi.npy")).unwrap().to,
        Version::V3_0
    );
    assert_eq!(
        py(&format!(
            "result = np.load({}).shape[0]",
            lit(&dir.path().join("psi.npy"))
        )),
        2
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn convert_round_trip_through_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    for fortran in [false, true] {
        written(&p, 9, Version::V1_0, fortran);
        for to in [
            Version::V2_0,
            Version::V3_0,
            Version::V4_0,
            Version::V2_0,
            Version::V1_0,
            Version::V4_0,
            Version::V1_0,
        ] {
            let done = convert(&p, to).unwrap();
            assert!(done.in_place, "{to}");
            assert_eq!(done.shape, if fortran { vec![3, 9] } else { vec![9, 3] });
            let version = py(&format!(
                "result = list(fmt.read_magic(open({}, 'rb')))",
                lit(&p)
            ));
            assert_eq!(version.to_string(), format!("[{},0]", to.major()));
            if to != Version::V4_0 {
                assert!(numpy_sees(&p, 9, fortran), "{to}");
            }
        }
        assert_eq!(convert(&p, Version::V1_0).unwrap().from, Version::V1_0);
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn convert_rewrites_when_the_header_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    // A 1.0 header with no padding: 2.0's 2 more preamble bytes do not fit.
    let dict = |n: usize| {
        format!(
            "{{'descr': [('{}', '<u2')], 'fortran_order': False, 'shape': (2, 3), }}",
            "n".repeat(n)
        )
    };
    let mut bytes = header::filled(Version::V1_0, 128, dict);
    bytes.extend_from_slice(&crate::workload::rows(0, 2));
    std::fs::write(&p, &bytes).unwrap();
    let done = convert(&p, Version::V2_0).unwrap();
    assert!(!done.in_place);
    let ok = py(&format!(
        "{PY_SAME}\na = np.load({p})\nresult = [list(fmt.read_magic(open({p}, 'rb'))), list(a.shape), a.dtype.names[0] == 'n' * {n}]",
        p = lit(&p),
        n = 117 - dict(0).len()
    ));
    assert_eq!(ok.to_string(), "[[2,0],[2,3],true]");
    drop(Appender::open(&p, Options::new()).unwrap());
}

/// The dtype of one `<u2` field whose name is as long as makes NumPy's header for
/// `(0, 3)` rows 128 bytes in format 1.0 and 192 in 2.0 (whose preamble is 2 bytes
/// longer).
fn one_field_at_the_edge_of_2_0() -> npy_header::Dtype {
    (1..100)
        .map(|n| dtype(&format!("[('{}', '<u2')]", "n".repeat(n))))
        .find(|dt| {
            let h = Header::new(dt.clone(), false, vec![0, 3]);
            let len = |v| h.emit(Some(v)).unwrap().bytes.len();
            (len(Version::V1_0), len(Version::V2_0)) == (128, 192)
        })
        .unwrap()
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn convert_keeps_the_room_to_grow() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let new = NewArray::new(one_field_at_the_edge_of_2_0(), [3]).version(Version::V1_0);
    let make = || {
        let _ = std::fs::remove_file(&p);
        let w = Appender::create(&p, &new, Options::new()).unwrap();
        w.append_bytes(&crate::workload::rows(0, 4)).unwrap();
        w.close().unwrap();
        assert_eq!(crate::common::parsed(&p).data_offset(), 128);
    };
    make();
    // The 2.0 header would fit in the 128 bytes, but with no room for a longer count:
    // the file is rewritten with NumPy's 2.0 header instead.
    let done = convert(&p, Version::V2_0).unwrap();
    assert_eq!(
        (done.in_place, done.lost_room, done.header_len),
        (false, false, 180)
    );
    assert_eq!(crate::common::parsed(&p).data_offset(), 192);
    let w = Appender::open(&p, Options::new()).unwrap();
    w.append_bytes(&crate::workload::rows(4, 2)).unwrap();
    w.close().unwrap();
    let expect: String = crate::workload::rows(0, 6)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let seen = py(&format!(
        "a = np.load({p})\nresult = [list(fmt.read_magic(open({p}, 'rb'))), list(a.shape), a.tobytes().hex() == '{expect}']",
        p = lit(&p)
    ));
    assert_eq!(seen.to_string(), "[[2,0],[6,3],true]");
    // Back to 1.0 fits in place with room to spare.
    let done = convert(&p, Version::V1_0).unwrap();
    assert_eq!((done.in_place, done.lost_room), (true, false));
    Appender::open(&p, Options::new()).unwrap();

    // convert_on works in place only: it reports the loss.
    make();
    let mem = npy_testing::MemFile::from_bytes(std::fs::read(&p).unwrap());
    let done = npy_append::convert_on(&mem, &npy_testing::MemFile::new(), Version::V2_0).unwrap();
    assert_eq!((done.in_place, done.lost_room), (true, true));
    let in_place = mem.bytes();
    let done = npy_append::convert_on(&mem, &npy_testing::MemFile::new(), Version::V1_0).unwrap();
    assert_eq!(
        (done.in_place, done.lost_room),
        (true, false),
        "none to lose"
    );

    // A hard-linked file cannot be renamed over: converted in place, the loss reported.
    make();
    let other = dir.path().join("b.npy");
    std::fs::hard_link(&p, &other).unwrap();
    let done = convert(&p, Version::V2_0).unwrap();
    assert_eq!((done.in_place, done.lost_room), (true, true));
    assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(&other).unwrap());
    assert_eq!(std::fs::read(&p).unwrap(), in_place);
    assert_eq!(
        Appender::open(&p, Options::new()).unwrap_err().kind(),
        &npy_append::ErrorKind::NotAppendable
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn ensure_appendable_modes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let out = dir.path().join("out.npy");
    let dict = |n: usize, rows: u64| {
        format!(
            "{{'descr': [('{}', '<u2')], 'fortran_order': False, 'shape': ({rows}, 3), }}",
            "n".repeat(n)
        )
    };
    for rows in [0u64, 5] {
        let mut bytes = header::filled(Version::V1_0, 128, |n| dict(n, rows));
        bytes.extend_from_slice(&crate::workload::rows(0, rows));
        for mode in [
            EnsureMode::InPlace,
            EnsureMode::Replace,
            EnsureMode::To(out.clone()),
        ] {
            std::fs::write(&p, &bytes).unwrap();
            let _ = std::fs::remove_file(&out);
            let done = ensure_appendable(&p, mode.clone()).unwrap();
            let methods: &[Method] = match (&mode, rows) {
                (EnsureMode::InPlace, 0) => &[Method::HeaderOnly],
                // A range insert where the filesystem can (insert_range.rs checks which).
                (EnsureMode::InPlace, _) => &[Method::InsertRange, Method::ChunkedMove],
                _ => &[Method::Copy],
            };
            assert!(
                methods.contains(&done.method),
                "{mode:?}: {:?}",
                done.method
            );
            let growth = if done.method == Method::InsertRange {
                4096
            } else {
                64
            };
            assert_eq!(
                (done.already, done.header_growth, done.data_bytes),
                (false, growth, rows * 6),
                "{mode:?}"
            );
            let target = if matches!(mode, EnsureMode::To(_)) {
                assert_eq!(
                    std::fs::read(&p).unwrap(),
                    bytes,
                    "To leaves the original alone"
                );
                &out
            } else {
                &p
            };
            let w = Appender::open(target, Options::new()).unwrap();
            w.append_bytes(&crate::workload::rows(rows, 2)).unwrap();
            w.close().unwrap();
            let n = py(&format!("result = np.load({}).shape[0]", lit(target)));
            assert_eq!(n, rows + 2, "{mode:?}");
            assert!(
                ensure_appendable(target, EnsureMode::InPlace)
                    .unwrap()
                    .already
            );
        }
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn ensure_appendable_to_copies_an_appendable_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let out = dir.path().join("out.npy");
    written(&p, 5, Version::V1_0, false);
    let bytes = std::fs::read(&p).unwrap();
    let mut calls = Vec::new();
    let done = ensure_appendable_with(
        &p,
        EnsureMode::To(out.clone()),
        &MoveOptions::new().chunk_bytes(7),
        &mut |d, t| calls.push((d, t)),
    )
    .unwrap();
    assert_eq!(
        (
            done.already,
            done.method,
            done.header_growth,
            done.data_bytes
        ),
        (true, Method::Copy, 0, 30)
    );
    assert_eq!(std::fs::read(&out).unwrap(), bytes, "a byte copy");
    assert_eq!(
        std::fs::read(&p).unwrap(),
        bytes,
        "the original is left alone"
    );
    assert_eq!(calls.first(), Some(&(7, 30)));
    assert_eq!(calls.last(), Some(&(30, 30)));
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["a.npy", "out.npy"], "no temporary file is left");
    let w = Appender::open(&out, Options::new()).unwrap();
    w.append_bytes(&crate::workload::rows(5, 1)).unwrap();
    w.close().unwrap();
    assert!(numpy_sees(&out, 6, false));

    // An output that exists, or is a symbolic link to nothing, is refused and left alone.
    std::fs::write(&out, b"keep").unwrap();
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink(dir.path().join("missing.npy"), &link).unwrap();
    for target in [&out, &link] {
        let err = ensure_appendable(&p, EnsureMode::To(target.clone())).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Parameter, "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: the output file exists already: choose another path or remove it",
                target.display()
            )
        );
    }
    assert_eq!(std::fs::read(&out).unwrap(), b"keep");
    assert!(!dir.path().join("missing.npy").exists());
    assert_eq!(std::fs::read(&p).unwrap(), bytes);
}

#[test]
fn a_crash_during_a_synced_digit_change_is_finished_by_recover() {
    use npy_testing::{CrashFile, MemFile};
    // Calls of the append: data, sync, journal, sync, header, sync, journal removed,
    // sync.
    for (ops_before_crash, replayed, rows) in [
        (2, false, 9),
        (4, true, 10),
        (5, true, 10),
        (6, true, 10),
        (7, true, 10),
        (8, false, 10),
    ] {
        let file = CrashFile::new();
        let journal = file.on_same_disk();
        let opts = Options::new()
            .durability(npy_append::Durability::Synced)
            .buffer_bytes(0);
        let w = Appender::create_on(&file, &journal, &NewArray::new(dtype("'<u2'"), [3]), opts)
            .unwrap();
        w.append_bytes(&crate::workload::rows(0, 9)).unwrap();
        file.crash_after(file.ops() + ops_before_crash);
        let _ = w.append_bytes(&crate::workload::rows(9, 1));
        drop(w);
        let disk = MemFile::from_bytes(file.durable());
        let journal = MemFile::from_bytes(journal.durable());
        let done = npy_append::recover_on(
            &disk,
            &journal,
            &RecoverOptions::new().adopt(Adopt::Counted),
        )
        .unwrap();
        assert_eq!(
            done.replayed == Some(Replayed::HeaderRewrite),
            replayed,
            "{ops_before_crash}: {done:?}"
        );
        assert_eq!(
            crate::workload::check_recovered(&disk.bytes(), 9, true).unwrap(),
            rows
        );
    }
}

#[test]
fn a_damaged_journal_is_removed_and_the_file_kept() {
    use npy_testing::{CrashFile, MemFile};
    let file = CrashFile::new();
    let journal = file.on_same_disk();
    let opts = Options::new()
        .durability(npy_append::Durability::Synced)
        .buffer_bytes(0);
    let w =
        Appender::create_on(&file, &journal, &NewArray::new(dtype("'<u2'"), [3]), opts).unwrap();
    w.append_bytes(&crate::workload::rows(0, 9)).unwrap();
    // Stop with the journal durable and the header not yet rewritten.
    file.crash_after(file.ops() + 4);
    let _ = w.append_bytes(&crate::workload::rows(9, 1));
    drop(w);
    let data = file.durable();
    let good = journal.durable();
    // The journal: the 128-byte header, its footer, an empty footer slot.
    assert_eq!(good.len(), 128 + 160);
    for (at, what) in [(20, "payload"), (128 + 30, "footer"), (128, "magic")] {
        let mut bytes = good.clone();
        bytes[at] ^= 0x40;
        let disk = MemFile::from_bytes(data.clone());
        let journal = MemFile::from_bytes(bytes);
        let done = npy_append::recover_on(
            &disk,
            &journal,
            &RecoverOptions::new().adopt(Adopt::Counted),
        )
        .unwrap();
        // As if the journal had never been written: the header was not touched.
        assert_eq!(
            (done.replayed, done.rows),
            (Some(Replayed::Discarded), 9),
            "{what}"
        );
        assert_eq!(npy_append::Storage::len(&journal).unwrap(), 0, "{what}");
    }
    // The intact journal is finished.
    let disk = MemFile::from_bytes(data);
    let journal = MemFile::from_bytes(good);
    let done = npy_append::recover_on(
        &disk,
        &journal,
        &RecoverOptions::new().adopt(Adopt::Counted),
    )
    .unwrap();
    assert_eq!(
        (done.replayed, done.rows),
        (Some(Replayed::HeaderRewrite), 10)
    );
}

#[test]
fn the_buffer_grows_only_as_needed() {
    // A buffer limit beyond memory is a limit, not an allocation.
    let f = npy_testing::MemFile::new();
    let w = Appender::create_on(
        &f,
        npy_testing::MemFile::new(),
        &NewArray::new(dtype("'<u2'"), [3]),
        Options::new().buffer_bytes(usize::MAX),
    )
    .unwrap();
    w.append_bytes(&crate::workload::rows(0, 1000)).unwrap();
    assert_eq!(f.bytes().len(), 128, "rows stay in the buffer");
    w.flush().unwrap();
    assert_eq!(
        crate::workload::check_recovered(&f.bytes(), 1000, true).unwrap(),
        1000
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn a_header_laid_out_by_another_writer_is_rewritten_whole_then_patched() {
    // Keys in another order, no spaces after colons, the shape first: the count is not
    // where this crate's own text would have it, so the first rewrite must write the
    // whole header; later ones only patch the count's digits of that new text.
    let dir = tempfile::tempdir().unwrap();
    for (fortran, shape) in [(false, "(2,3)"), (true, "(3,2)")] {
        let path = dir.path().join(format!("foreign-{fortran}.npy"));
        let order = if fortran { "True" } else { "False" };
        let dict = format!("{{'shape':{shape},'fortran_order':{order},'descr':'<u2'}}");
        let mut file = header::padded_to(Version::V1_0, 128, &dict);
        // In Fortran order the (3, n) array's columns are the rows, stored one after another.
        file.extend_from_slice(&crate::workload::rows(0, 2));
        std::fs::write(&path, &file).unwrap();
        let w = Appender::open(&path, Options::new().buffer_bytes(0)).unwrap();
        for n in 2..12 {
            w.append_bytes(&crate::workload::rows(n, 1)).unwrap();
            assert!(
                numpy_sees(&path, n + 1, fortran),
                "{fortran} after {} rows",
                n + 1
            );
        }
        w.close().unwrap();
    }
}

/// Damaged files for `recover`: 5 counted rows of the workload, then what a crash may
/// leave (`<u2` rows of 3, so 6 bytes a row).
fn damaged_files() -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    written(&p, 5, Version::V1_0, false);
    let clean = std::fs::read(&p).unwrap();
    let rows = |n: u64| crate::workload::rows(5, n);
    let with = |extra: &[u8]| [&clean[..], extra].concat();
    let mut short = clean.clone();
    short.truncate(clean.len() - 8);
    let mut big = with(&rows(7));
    // 5 -> 95 rows counted, 12 held: the count shrinks by a digit.
    let text = std::str::from_utf8(&big[10..128])
        .unwrap()
        .replace("(5, 3), } ", "(95, 3), }");
    big[10..128].copy_from_slice(text.as_bytes());
    vec![
        ("clean", clean.clone()),
        ("partial row", with(&rows(1)[..4])),
        ("whole rows and a partial one", with(&rows(3)[..15])),
        ("count beyond the data", short),
        ("count shrinks by a digit", big),
    ]
}

#[test]
fn unsynced_recover_makes_the_same_file_without_syncing() {
    use npy_append::Durability;
    use npy_testing::{Call, FaultyFile, MemFile};
    for (what, bytes) in damaged_files() {
        for adopt in [Adopt::WholeRows, Adopt::Counted] {
            for zerofill in [false, true] {
                let opts = RecoverOptions::new()
                    .adopt(adopt)
                    .zerofill_incomplete(zerofill);
                let case = format!("{what}, {adopt:?}, zerofill {zerofill}");
                let synced = FaultyFile::new(MemFile::from_bytes(bytes.clone()));
                let journal = synced.sharing(MemFile::new());
                let a = npy_append::recover_on(&synced, &journal, &opts).unwrap();
                let unsynced = FaultyFile::new(MemFile::from_bytes(bytes.clone()));
                let journal = unsynced.sharing(MemFile::new());
                let b = npy_append::recover_on(
                    &unsynced,
                    &journal,
                    &opts.clone().durability(Durability::None),
                )
                .unwrap();
                assert_eq!(a, b, "{case}");
                assert_eq!(synced.inner().bytes(), unsynced.inner().bytes(), "{case}");
                let syncs =
                    |f: &FaultyFile<MemFile>| f.count(Call::SyncData) + f.count(Call::SyncAll);
                assert_eq!(syncs(&unsynced), 0, "{case}");
                assert_eq!(syncs(&synced) > 0, a.changed(), "{case}");
            }
        }
    }
}

#[test]
fn unsynced_recover_survives_its_process_crashing_at_every_step() {
    use npy_append::Durability;
    use npy_testing::CrashFile;
    for (what, bytes) in damaged_files() {
        let opts = RecoverOptions::new();
        let clean = CrashFile::from_bytes(bytes.clone());
        let unsynced = opts.clone().durability(Durability::None);
        npy_append::recover_on(&clean, &clean.on_same_disk(), &unsynced).unwrap();
        let expect = clean.page_cache();
        for op in 0..=clean.ops() {
            let file = CrashFile::from_bytes(bytes.clone());
            let journal = file.on_same_disk();
            file.crash_after(op);
            let _ = npy_append::recover_on(&file, &journal, &unsynced);
            // A process crash keeps what reached the page cache; recover runs again.
            let again = CrashFile::from_bytes(file.page_cache());
            let journal = again.on_same_disk_with(journal.page_cache());
            npy_append::recover_on(&again, &journal, &opts).unwrap();
            assert_eq!(again.page_cache(), expect, "{what}: crash before call {op}");
        }
    }
}

#[test]
fn a_batch_holds_the_writer_for_its_appends() {
    // Four threads each append 200 rows through a batch, and 200 more one call at a
    // time: a batch's rows are contiguous; the single calls interleave anyhow.
    let f = npy_testing::MemFile::new();
    let w = Appender::create_on(
        &f,
        npy_testing::MemFile::new(),
        &NewArray::new(dtype("'<u2'"), [3]),
        Options::new(),
    )
    .unwrap();
    std::thread::scope(|scope| {
        for t in 0..4u16 {
            let w = &w;
            scope.spawn(move || {
                let row = |i: u16| {
                    [t, 1, i]
                        .iter()
                        .flat_map(|v| v.to_le_bytes())
                        .collect::<Vec<u8>>()
                };
                let mut batch = w.batch();
                let first = batch.rows();
                for i in 0..200 {
                    assert_eq!(
                        batch.append_bytes(&row(i)).unwrap(),
                        first + u64::from(i)..first + u64::from(i) + 1
                    );
                }
                drop(batch);
                for i in 0..200 {
                    let r = [t, 0, i]
                        .iter()
                        .flat_map(|v| v.to_le_bytes())
                        .collect::<Vec<u8>>();
                    w.append_bytes(&r).unwrap();
                }
            });
        }
    });
    assert_eq!(w.close().unwrap(), 1600);
    let bytes = f.bytes();
    let data: Vec<[u16; 3]> = bytes[128..]
        .chunks_exact(6)
        .map(|c| [0, 2, 4].map(|k| u16::from_le_bytes([c[k], c[k + 1]])))
        .collect();
    for t in 0..4u16 {
        let start = data.iter().position(|r| r[0] == t && r[1] == 1).unwrap();
        for i in 0..200u16 {
            assert_eq!(
                data[start + usize::from(i)],
                [t, 1, i],
                "thread {t}'s batch is contiguous"
            );
        }
        let singles: Vec<u16> = data
            .iter()
            .filter(|r| r[0] == t && r[1] == 0)
            .map(|r| r[2])
            .collect();
        assert_eq!(
            singles,
            (0..200).collect::<Vec<u16>>(),
            "thread {t}'s single appends, in order"
        );
    }
}

#[test]
fn zero_filling_a_huge_partial_row_writes_nothing() {
    // The header says rows are 1 TiB; the file holds 100 bytes of the first. Completing
    // it with zeros extends the file (a hole) instead of writing a terabyte.
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.npy");
    let dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 1099511627776), }";
    let mut file = header::padded_to(Version::V1_0, 128, dict);
    file.extend_from_slice(&[7; 100]);
    std::fs::write(&p, &file).unwrap();
    let opts = RecoverOptions::new().zerofill_incomplete(true);
    let done = recover(&p, &opts).unwrap();
    assert_eq!((done.rows, done.zero_filled_bytes), (1, (1 << 40) - 100));
    let meta = std::fs::metadata(&p).unwrap();
    assert_eq!(meta.len(), 128 + (1 << 40));
    assert!(
        meta.blocks() * 512 < 1 << 20,
        "{} bytes on disk",
        meta.blocks() * 512
    );
    let mut head = [0u8; 128];
    std::io::Read::read_exact(&mut std::fs::File::open(&p).unwrap(), &mut head).unwrap();
    assert_eq!(
        npy_header::parse(&head).unwrap().header.fixed_shape(),
        Some(&[1, 1 << 40][..])
    );
}

/// `V4-7` over every header length modulo 64: finalize writes NumPy's own header for
/// the finished array (NumPy's padding, `W-4`), in the version NumPy would choose when
/// its header has the 4.0 header's length, else in 2.0, whose layout is 4.0's; the
/// data offset never moves. NumPy writes the same bytes.
#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn finalize_writes_numpys_header_at_every_header_length() {
    use npy_testing::MemFile;
    let mut to_v2 = Vec::new();
    for n in 1..=64 {
        let name = "f".repeat(n);
        let descr = format!("[('{name}', '<u2')]");
        let f = MemFile::new();
        let new = NewArray::new(dtype(&descr), [3]).version(Version::V4_0);
        let w = Appender::create_on(&f, MemFile::new(), &new, Options::new()).unwrap();
        let offset = w.data_offset();
        w.append_bytes(&crate::workload::rows(0, 5)).unwrap();
        w.close().unwrap();
        let done = npy_append::finalize_on(&f, &MemFile::new()).unwrap();
        let bytes = f.bytes();
        let parsed = npy_header::parse(&bytes).unwrap();
        assert_eq!(parsed.data_offset(), offset, "{n}: the data moved");
        let header = &bytes[..usize::try_from(offset).unwrap()];
        let numpy = npy_oracle::header_bytes(
            &format!("np.dtype({descr})"),
            "(5, 3)",
            false,
            Some((done.to.major(), 0)),
        )
        .unwrap();
        assert_eq!(header, &numpy[..], "{n}: not NumPy's {} header", done.to);
        let choice = parsed.header.emit(None).unwrap().version;
        if done.to != choice {
            assert_eq!((choice, done.to), (Version::V1_0, Version::V2_0), "{n}");
            to_v2.push(n);
        }
    }
    // The 1.0 preamble's 2 bytes move NumPy's padding past a multiple of 64 for 2 of
    // the 64 lengths.
    assert_eq!(to_v2.len(), 2, "{to_v2:?}");
}

/// The writer and the loader share npy-header's `Element`: complex numbers, which the
/// loader viewed as `[f64; 2]`, are appended as such too, in either byte order.
#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn complex_values_are_appended_as_pairs() {
    let dir = tempfile::tempdir().unwrap();
    for descr in ["'<c16'", "'>c16'"] {
        let p = dir.path().join("c.npy");
        let w = Appender::create(&p, &NewArray::new(dtype(descr), [2]), Options::new()).unwrap();
        w.append(&[[1.0f64, -2.0], [3.5, 0.25]]).unwrap();
        w.close().unwrap();
        let got = py(&format!(
            "a = np.load({})\nresult = [a.dtype.str, [[z.real, z.imag] for z in a[0]]]",
            lit(&p)
        ));
        let want = serde_json::json!([descr.trim_matches('\''), [[1.0, -2.0], [3.5, 0.25]]]);
        assert_eq!(got, want);
        std::fs::remove_file(&p).unwrap();
    }
}
