//! The in-place `ensure_appendable` on a real file: a range insert
//! (`fallocate(FALLOC_FL_INSERT_RANGE)`) where the filesystem of the temporary
//! directory can, the chunked move where it cannot, and the opt-out; judged by NumPy.

use std::path::Path;

use npy_append::{
    ensure_appendable, ensure_appendable_with, Appender, EnsureMode, Method, MoveOptions, Options,
};
use npy_header::Version;
use npy_testing::header;

use crate::common::{lit, py, PY_SAME};
use crate::workload::rows;

/// Rows in the test files: 12 000 bytes of data, more than the 4 KiB inserted.
const ROWS: u64 = 2000;

/// A file of `ROWS` rows of three `<u2` in a structured dtype, in `version`, whose
/// header (128 bytes) has no spare room, as NumPy before 1.24 wrote it. The 3.0 file's
/// field name needs UTF-8.
fn tight_file(version: Version) -> Vec<u8> {
    tight_file_of(version, ROWS)
}

/// [`tight_file`] with `count` rows.
fn tight_file_of(version: Version, count: u64) -> Vec<u8> {
    let first = if version.is_utf8() { "ψ" } else { "n" };
    let mut bytes = header::filled(version, 128, |n| {
        format!(
            "{{'descr': [('{first}{}', '<u2', (3,))], 'fortran_order': False, 'shape': ({count},), }}",
            "n".repeat(n)
        )
    });
    assert_eq!(bytes.len(), 128);
    bytes.extend_from_slice(&rows(0, count));
    bytes
}

/// Python: whether NumPy loads `path` as the array in `orig`, in the same version.
fn numpy_reads_the_same(path: &Path, orig: &Path) -> bool {
    py(&format!(
        "{PY_SAME}\nfrom numpy.lib import format as fmt\n\
         result = same(np.load({p}), np.load({o})) and \
         fmt.read_magic(open({p}, 'rb')) == fmt.read_magic(open({o}, 'rb'))",
        p = lit(path),
        o = lit(orig),
    )) == true
}

/// Python: whether `path` is byte for byte what NumPy writes for the array in `orig`.
fn numpy_writes_the_same(path: &Path, orig: &Path, major: u8) -> bool {
    py(&format!(
        "import io\nbuf = io.BytesIO()\n\
         np.lib.format.write_array(buf, np.load({o}), version=({major}, 0))\n\
         result = buf.getvalue() == open({p}, 'rb').read()",
        p = lit(path),
        o = lit(orig),
    )) == true
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn in_place_inserts_a_range_where_the_filesystem_can_and_numpy_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let orig = dir.path().join("orig.npy");
    let p = dir.path().join("a.npy");
    for version in [Version::V1_0, Version::V2_0, Version::V3_0] {
        let original = tight_file(version);
        std::fs::write(&orig, &original).unwrap();
        std::fs::write(&p, &original).unwrap();
        let done = ensure_appendable(&p, EnsureMode::InPlace).unwrap();
        let after = std::fs::read(&p).unwrap();
        let parsed = npy_header::parse(&after).unwrap();
        assert_eq!(parsed.version, version);
        assert_eq!(done.data_bytes, ROWS * 6);
        match done.method {
            Method::InsertRange => {
                // 4 KiB inserted before the old header; the data did not change.
                assert_eq!(done.header_growth, 4096, "{version}");
                assert_eq!(parsed.data_offset(), 128 + 4096);
                assert_eq!(after.len(), original.len() + 4096);
                assert_eq!(after[128 + 4096..], original[128..]);
                let text = &after[version.preamble_len()..128 + 4096];
                assert!(text.ends_with(b"  \n"), "{version}: padded with spaces");
            }
            Method::ChunkedMove => {
                eprintln!(
                    "the filesystem of {} refused FALLOC_FL_INSERT_RANGE: checked the chunked move instead",
                    dir.path().display()
                );
                assert_eq!(done.header_growth, 64, "{version}");
                assert!(numpy_writes_the_same(&p, &orig, version.major()));
            }
            other => panic!("{version}: {other:?}"),
        }
        // npy-append-array's test (NumPy's header fits), and NumPy reads the array.
        assert!(numpy_reads_the_same(&p, &orig), "{version}");
        let their = py(&format!(
            "import npy_append_array\nresult = bool(npy_append_array.is_appendable({}))",
            lit(&p)
        ));
        assert_eq!(their, true, "{version}");
        // It grows in place now, and NumPy reads the grown array.
        let w = Appender::open(&p, Options::new()).unwrap();
        w.append_bytes(&rows(ROWS, 3)).unwrap();
        w.close().unwrap();
        let grown = py(&format!(
            "a = np.load({})\nresult = [a.shape[0], int(a[-1][0][2]), a.dtype.names[0][0]]",
            lit(&p)
        ));
        let last = rows(ROWS + 2, 1);
        let first = if version == Version::V3_0 { "ψ" } else { "n" };
        assert_eq!(
            grown,
            serde_json::json!([ROWS + 3, u16::from_le_bytes([last[4], last[5]]), first]),
            "{version}"
        );
        assert!(ensure_appendable(&p, EnsureMode::InPlace).unwrap().already);
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn without_the_range_insert_the_layout_is_numpys_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let orig = dir.path().join("orig.npy");
    let p = dir.path().join("a.npy");
    for version in [Version::V1_0, Version::V2_0, Version::V3_0] {
        let original = tight_file(version);
        std::fs::write(&orig, &original).unwrap();
        std::fs::write(&p, &original).unwrap();
        let opts = MoveOptions::new().insert_range(false).chunk_bytes(4000);
        let done = ensure_appendable_with(&p, EnsureMode::InPlace, &opts, &mut |_, _| {}).unwrap();
        assert_eq!(
            (done.method, done.header_growth, done.data_bytes),
            (Method::ChunkedMove, 64, ROWS * 6),
            "{version}"
        );
        assert!(
            numpy_writes_the_same(&p, &orig, version.major()),
            "{version}"
        );
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn headers_not_on_64_bytes_are_moved_to_keep_the_data_aligned() {
    // A 1.0 header of 96 bytes (NumPy before 1.14 aligned to 16): a range insert would
    // leave the data at 96 + 4096, not a multiple of 64 (F-5), so the data is moved.
    let dict = |n: usize| {
        format!(
            "{{'descr': [('{}', '<u2', (3,))], 'fortran_order': False, 'shape': ({ROWS},), }}",
            "n".repeat(n)
        )
    };
    let mut bytes = header::filled(Version::V1_0, 96, dict);
    assert_eq!(bytes.len(), 96);
    bytes.extend_from_slice(&rows(0, ROWS));
    let dir = tempfile::tempdir().unwrap();
    let orig = dir.path().join("orig.npy");
    let p = dir.path().join("a.npy");
    std::fs::write(&orig, &bytes).unwrap();
    std::fs::write(&p, &bytes).unwrap();
    let done = ensure_appendable(&p, EnsureMode::InPlace).unwrap();
    assert_eq!((done.method, done.header_growth), (Method::ChunkedMove, 32));
    assert!(numpy_writes_the_same(&p, &orig, 1));
}

/// Set in the child's environment: `path|insert` for [`ensure_child`].
const ENSURE_CHILD: &str = "NPY_APPEND_ENSURE_SIGKILL_CHILD";
/// Set in the environment of the process that runs the kill cycles.
const ENSURE_DRIVER: &str = "NPY_APPEND_ENSURE_SIGKILL_DRIVER";
/// The SIGKILL test's name, for `--exact`.
const ENSURE_TEST: &str =
    "insert_range::a_sigkill_during_ensure_appendable_in_place_leaves_a_file_recover_finishes";
/// Kill cycles per way of making room in CI.
const CI_ENSURE_KILLS: u64 = 30;

/// The child: makes the file appendable in place, printing `@ready` just before.
fn ensure_child(spec: &str) -> ! {
    let (path, insert) = spec.split_once('|').expect("path|insert");
    let opts = MoveOptions::new()
        .chunk_bytes(64 << 10)
        .insert_range(insert == "true");
    println!("\n@ready");
    ensure_appendable_with(path, EnsureMode::InPlace, &opts, &mut |_, _| {}).unwrap();
    println!("\n@done");
    std::process::exit(0)
}

#[test]
fn a_sigkill_during_ensure_appendable_in_place_leaves_a_file_recover_finishes() {
    if let Ok(spec) = std::env::var(ENSURE_CHILD) {
        ensure_child(&spec);
    }
    if !crate::common::in_a_process_of_its_own(ENSURE_TEST, ENSURE_DRIVER) {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let cycles = crate::common::kill_cycles(CI_ENSURE_KILLS);
    // The temporary directory's filesystem, and ext4 and XFS images: the range insert
    // and the chunked move on each filesystem that has them.
    let tmp = tempfile::tempdir().unwrap();
    let images: Vec<crate::common::Mount> = ["ext4", "xfs"]
        .iter()
        .filter_map(|fs| crate::common::Mount::image(fs, 320))
        .collect();
    let dirs = std::iter::once(tmp.path()).chain(images.iter().map(|m| m.path()));
    for dir in dirs {
        kill_cycles_in(&exe, dir, cycles);
    }
}

/// The kill cycles of [`a_sigkill_during_ensure_appendable_in_place_leaves_a_file_recover_finishes`]
/// on the filesystem of `dir`: each way of making room, killed at a random moment,
/// then recovered with each policy in turn and run again must give the clean result.
fn kill_cycles_in(exe: &Path, dir: &Path, cycles: u64) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use npy_append::{recover, Adopt, RecoverOptions, Replayed};
    use npy_testing::Rng;

    let p = dir.join("a.npy");
    // 1 MiB of data: 16 journaled chunks of 64 KiB when moved.
    let original = tight_file_of(Version::V1_0, (1 << 20) / 6);
    let mut rng = Rng::with_seed(0xe45e_0001);
    for insert in [true, false] {
        // A clean run on this filesystem: the file to expect, and how long it takes.
        std::fs::write(&p, &original).unwrap();
        let opts = MoveOptions::new()
            .chunk_bytes(64 << 10)
            .insert_range(insert);
        let start = Instant::now();
        let clean = ensure_appendable_with(&p, EnsureMode::InPlace, &opts, &mut |_, _| {}).unwrap();
        let took = start.elapsed();
        let expected = std::fs::read(&p).unwrap();
        let mut replayed = Vec::new();
        for i in 0..cycles {
            std::fs::write(&p, &original).unwrap();
            let mut child = Command::new(exe)
                .args([ENSURE_TEST, "--exact", "--nocapture", "--test-threads=1"])
                .env(ENSURE_CHILD, format!("{}|{insert}", p.to_str().unwrap()))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            assert!(
                crate::common::ran_one_test_until(&mut lines, "@ready"),
                "cycle {i}: the child did not start ({ENSURE_TEST}: is that still its name?)"
            );
            let wait = took.as_micros() * u128::from(rng.u64(0..120)) / 100;
            std::thread::sleep(Duration::from_micros(u64::try_from(wait).unwrap()));
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            // Every policy: the interrupted operation leaves nothing to adopt.
            let adopt = [Adopt::WholeRows, Adopt::Counted][usize::try_from(i % 2).unwrap()];
            let done = recover(&p, &RecoverOptions::new().adopt(adopt))
                .unwrap_or_else(|e| panic!("{:?}, cycle {i}: {e}", clean.method));
            replayed.extend(done.replayed);
            ensure_appendable_with(&p, EnsureMode::InPlace, &opts, &mut |_, _| {}).unwrap();
            assert!(
                std::fs::read(&p).unwrap() == expected,
                "{:?}, cycle {i}: a different file after {done:?}",
                clean.method
            );
        }
        eprintln!(
            "{:?} in {}: {cycles} kills, recover replayed {replayed:?}",
            clean.method,
            dir.display()
        );
        // The kills landed inside the operation, not only before or after it.
        let inside: &[Replayed] = match (clean.method, insert) {
            (Method::InsertRange, _) => &[Replayed::RangeInsert, Replayed::RangeInsertUndone],
            // The filesystem refused the insert after its record was written.
            (_, true) => &[Replayed::DataMove, Replayed::RangeInsertUndone],
            _ => &[Replayed::DataMove],
        };
        assert!(
            replayed.iter().any(|r| inside.contains(r)),
            "{:?}: no kill landed inside it ({replayed:?})",
            clean.method
        );
    }
}

#[test]
fn recover_refuses_an_insert_a_power_loss_left_half_done() {
    use npy_append::{
        ensure_appendable_in_place_on, recover_on, ErrorKind, RecoverOptions, Replayed,
    };
    use npy_testing::{CrashFile, MemFile};

    // 19 998 bytes of data: several 4 KiB blocks.
    let original = tight_file_of(Version::V1_0, 3333);
    let opts = MoveOptions::new();
    let clean = MemFile::from_bytes(original.clone());
    ensure_appendable_in_place_on(&clean, &MemFile::new(), &opts, &mut |_, _| {}).unwrap();
    // The file as the insert finds it: the journal record written and synced (calls 0
    // and 1); the power fails before the insert (call 2).
    let file = CrashFile::from_bytes(original.clone());
    let journal = file.on_same_disk();
    file.crash_after(2);
    ensure_appendable_in_place_on(&file, &journal, &opts, &mut |_, _| {}).unwrap_err();
    let before = file.page_cache();
    let journal = journal.page_cache();
    assert_eq!(before, original, "the journal is beside the file");
    assert_eq!(journal.len(), (128 + 4096) + 160);
    // XFS (or ext4 for a file of very many extents) grew the size and shifted the
    // extents after the first two blocks when the power failed: the old header is
    // still at offset 0.
    let mut half = before[..8192].to_vec();
    half.extend_from_slice(&[0; 4096]);
    half.extend_from_slice(&before[8192..]);
    let disk = MemFile::from_bytes(half.clone());
    let err = recover_on(
        &disk,
        &MemFile::from_bytes(journal.clone()),
        &RecoverOptions::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unrecoverable);
    assert_eq!(
        err.message(),
        "an in-place ensure_appendable was cut off by a power loss while the filesystem inserted 4096 bytes at the start: only part of the file was shifted, so the first bytes are still at their old offsets and the rest moved; nothing was changed: restore the file from a copy"
    );
    assert!(disk.bytes() == half, "recover changed nothing");
    // The whole shift, the first block included: recover finishes it.
    let mut whole = vec![0; 4096];
    whole.extend_from_slice(&before);
    let disk = MemFile::from_bytes(whole);
    let done = recover_on(&disk, &MemFile::from_bytes(journal), &RecoverOptions::new()).unwrap();
    assert_eq!(done.replayed, Some(Replayed::RangeInsert));
    assert!(disk.bytes() == clean.bytes());
}
