//! `npy append` on a filesystem that fills up (a tmpfs of 1 MiB, mounted for the test):
//! what the command prints must be what the file holds afterwards, as `npy inspect`
//! reads it, and the `npy recover` it suggests must keep what it says.
//!
//! Mounting needs root. Without it the test is skipped with a message, unless the
//! environment variable `CI` is set: there it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::append::{data, npy, npy_file, s, text};
use crate::inspect_json;

/// A tmpfs mounted on a directory, unmounted on drop (also when the test panics).
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Busy (a child still running after a failure): detach it instead.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// A 1 MiB tmpfs on `dir`, or `None` (with the reason printed) where mounting is not
/// permitted; under `CI`, not being able to mount fails the test.
fn small_tmpfs(dir: &Path) -> Option<Tmpfs> {
    match Tmpfs::mount(dir, "1m") {
        Ok(m) => Some(m),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but a tmpfs cannot be mounted to fill up ({why}): run the tests as root"
            )
        }
        Err(why) => {
            eprintln!(
                "skipped: a tmpfs cannot be mounted to fill up ({why}); run the tests as root to include this test"
            );
            None
        }
    }
}

/// `rows` rows of 3 `<i2` whose bytes follow a pattern starting at `seed`.
fn rows_data(rows: usize, seed: usize) -> Vec<u8> {
    (0..rows * 6)
        .map(|i| u8::try_from((i * 7 + seed) % 251).unwrap())
        .collect()
}

/// What `npy inspect --json` says: (the header's count, data bytes, row bytes).
fn inspected(path: &Path) -> (u64, u64, u64) {
    let (j, _) = inspect_json(s(path));
    let count = j["header_shape"][0].as_i64().unwrap();
    assert_eq!(j["row_bytes"], json!(6), "{j}");
    (
        u64::try_from(count).unwrap_or(u64::MAX),
        j["data_bytes"].as_u64().unwrap(),
        j["row_bytes"].as_u64().unwrap(),
    )
}

/// What the advice adds when the filesystem is full.
const FULL: &str = "; the filesystem is full and recover needs a little room for its journal: free some first (or add --no-sync, which writes none but is not safe against a power loss during it)";

/// ` and N bytes of a partial row`, or nothing.
fn partial(bytes: u64) -> String {
    match bytes {
        0 => String::new(),
        n => format!(" and {n} bytes of a partial row"),
    }
}

#[test]
fn append_to_a_full_filesystem_reports_what_the_file_holds() {
    let dir = tempfile::tempdir().unwrap();
    // The sources are on the ordinary filesystem, DEST on the small one.
    let (one, two, three, big) = (
        dir.path().join("one.npy"),
        dir.path().join("two.npy"),
        dir.path().join("three.npy"),
        dir.path().join("big.npy"),
    );
    let d1 = rows_data(100_000, 1);
    let d2 = rows_data(100_000, 2);
    let d3 = rows_data(2, 3);
    let d4 = rows_data(200_000, 4);
    npy_file(&one, &[100_000, 3], false, None, &d1);
    npy_file(&two, &[100_000, 3], false, None, &d2);
    npy_file(&three, &[2, 3], false, None, &d3);
    npy_file(&big, &[200_000, 3], false, None, &d4);
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_tmpfs) = small_tmpfs(&mnt) else {
        return;
    };
    let dest = mnt.join("d.npy");
    let no_space = format!(
        "error: {}: cannot write rows: No space left on device (os error 28)\n",
        dest.display()
    );

    // 1.2 MB into 1 MiB. The writer buffers up to 1 MiB: `two` makes it write `one`
    // and count it in the header; closing writes `two` and `three`, and fails.
    let out = npy(&["append", s(&dest), s(&one), s(&two), s(&three)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), no_space);
    let (counted, bytes, row) = inspected(&dest);
    let whole = bytes / row;
    assert_eq!(counted, 100_000, "the header counts `one`");
    assert!(
        (100_001..200_000).contains(&whole),
        "part of `two` reached the file: {whole} whole rows"
    );
    assert_eq!(
        text(&out.stdout),
        format!(
            "\
{dest}: created; an I/O error stopped the append: 1 of 3 files reached the file whole; by file:
  {one}: all 100000 rows
  {two}: {k} of its 100000 rows (the header counts none of them)
  {three}: none of its 2 rows
{dest}: the header counts 100000 rows, shape (100000, 3), format 1.0; the file holds {bytes} bytes of data: {whole} whole rows of 6 bytes{partial}
{dest}: `npy recover --counted {dest}` keeps only the 100000 rows the header counts (whole files only); `npy recover {dest}` keeps all {whole} whole rows ({k} of them not counted){cut}{FULL}
",
            dest = dest.display(),
            one = one.display(),
            two = two.display(),
            three = three.display(),
            k = whole - 100_000,
            partial = partial(bytes % row),
            cut = if bytes % row > 0 {
                " and cuts the partial row"
            } else {
                ""
            },
        )
    );
    // The rows that reached the file are `one`, then the start of `two`.
    let mut want = d1.clone();
    want.extend_from_slice(&d2);
    want.truncate(usize::try_from(bytes).unwrap());
    assert_eq!(data(&dest), want);

    // The suggested recovery keeps the counted rows: `one`, whole.
    let out = npy(&["recover", "--counted", s(&dest)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(inspected(&dest), (100_000, 600_000, 6));
    assert_eq!(data(&dest), d1);

    // A source larger than the buffer is written as it is read, and fails midway.
    // Some room is taken first, to be freed for the recovery.
    let ballast = mnt.join("ballast");
    std::fs::write(&ballast, [0u8; 16 << 10]).unwrap();
    let out = npy(&["append", s(&dest), s(&big)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), no_space);
    let (counted, bytes, row) = inspected(&dest);
    let whole = bytes / row;
    assert_eq!(counted, 100_000, "the header still counts `one` only");
    assert!(
        (100_001..300_000).contains(&whole),
        "part of `big` reached the file: {whole} whole rows"
    );
    assert_eq!(
        text(&out.stdout),
        format!(
            "\
{dest}: an I/O error stopped the append: 0 of 1 files reached the file whole; by file:
  {big}: {k} of its 200000 rows (the header counts none of them)
{dest}: the header counts 100000 rows, shape (100000, 3), format 1.0; the file holds {bytes} bytes of data: {whole} whole rows of 6 bytes{partial}
{dest}: `npy recover --counted {dest}` keeps only the 100000 rows the header counts (those the file had before); `npy recover {dest}` keeps all {whole} whole rows ({k} of them not counted){cut}{FULL}
",
            dest = dest.display(),
            big = big.display(),
            k = whole - 100_000,
            partial = partial(bytes % row),
            cut = if bytes % row > 0 {
                " and cuts the partial row"
            } else {
                ""
            },
        )
    );
    let mut want = d1.clone();
    want.extend_from_slice(&d4);
    want.truncate(usize::try_from(bytes).unwrap());
    assert_eq!(data(&dest), want);
    // The other policy keeps every whole row and cuts the rest, given some room.
    std::fs::remove_file(&ballast).unwrap();
    let out = npy(&["recover", s(&dest)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(inspected(&dest), (whole, whole * 6, 6));
    want.truncate(usize::try_from(whole * 6).unwrap());
    assert_eq!(data(&dest), want);
    std::fs::remove_file(&dest).unwrap();

    // Format 4.0 has no count: the size says how many rows there are.
    let out = npy(&["append", "--v4", s(&dest), s(&three), s(&one), s(&two)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), no_space);
    let (j, _) = inspect_json(s(&dest));
    assert_eq!(j["header_shape"], json!([-1, 3]));
    let bytes = j["data_bytes"].as_u64().unwrap();
    let whole = bytes / 6;
    assert!(
        (100_003..200_002).contains(&whole),
        "part of `two` reached the file: {whole} whole rows"
    );
    assert_eq!(j["shape"], json!([whole, 3]));
    let advice = if bytes % 6 > 0 {
        format!(
            "`npy recover {}` keeps the {whole} whole rows and cuts the partial row",
            dest.display()
        )
    } else {
        format!("the file is a complete format 4.0 array of {whole} rows")
    };
    assert_eq!(
        text(&out.stdout),
        format!(
            "\
{dest}: created; an I/O error stopped the append: 2 of 3 files reached the file whole; by file:
  {three}: all 2 rows
  {one}: all 100000 rows
  {two}: {k} of its 100000 rows
{dest}: the header counts no rows (format 4.0: the size does), shape ({whole}, 3), format 4.0; the file holds {bytes} bytes of data: {whole} whole rows of 6 bytes{partial}
{dest}: {advice}; {k} of them are from a file that was not appended whole (format 4.0 has no count to cut them at){full}
",
            dest = dest.display(),
            three = three.display(),
            one = one.display(),
            two = two.display(),
            k = whole - 100_002,
            partial = partial(bytes % 6),
            full = if bytes % 6 > 0 { FULL } else { "" },
        )
    );
}

/// Fills the filesystem of `dir` with a file that takes every free byte.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    while f.write_all(&[0xee; 4096]).is_ok() {}
    while f.write_all(&[0xee]).is_ok() {}
    filler
}

/// A 1.0 file of `rows` rows of 3 `<i2` whose header, as NumPy before 1.24 wrote it,
/// has no room to grow.
fn tight(path: &Path, rows: usize) -> Vec<u8> {
    let mut bytes = npy_testing::header::filled(npy_header::Version::V1_0, 128, |n| {
        format!(
            "{{'descr': [('{}', '<i2')], 'fortran_order': False, 'shape': ({rows}, 3), }}",
            "n".repeat(n)
        )
    });
    bytes.extend_from_slice(&rows_data(rows, 5));
    std::fs::write(path, &bytes).unwrap();
    bytes
}

#[test]
fn every_command_on_a_full_filesystem_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_tmpfs) = small_tmpfs(&mnt) else {
        return;
    };
    let f = mnt.join("f.npy");
    let row = dir.path().join("row.npy");
    npy_file(&row, &[1, 3], false, None, &rows_data(1, 9));
    // Each command, and the file it starts from.
    type Make = fn(&Path) -> Vec<u8>;
    let cases: [(&[&str], Make); 6] = [
        (&["finalize"], |p| {
            crate::append::v4_file(p, 3, &rows_data(3868, 1));
            std::fs::read(p).unwrap()
        }),
        (&["convert", "--to-version", "4"], |p| {
            npy_file(p, &[1000, 3], false, None, &rows_data(1000, 2));
            std::fs::read(p).unwrap()
        }),
        (&["convert", "--to-version", "3"], |p| {
            crate::append::v4_file(p, 3, &rows_data(1000, 3));
            std::fs::read(p).unwrap()
        }),
        (
            &["ensure-appendable", "--in-place", "--exact-layout"],
            |p| tight(p, 20_000),
        ),
        (&["ensure-appendable", "--in-place"], |p| tight(p, 20_000)),
        (&["recover"], |p| {
            npy_file(p, &[8, 3], false, None, &rows_data(12, 4));
            std::fs::read(p).unwrap()
        }),
    ];
    for (args, make) in cases {
        let before = make(&f);
        let (j0, _) = inspect_json(s(&f));
        let filler = fill(&mnt);
        let mut argv = args.to_vec();
        argv.push(s(&f));
        let out = npy(&argv);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stderr).contains("No space left on device (os error 28)"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            std::fs::read(&f).unwrap() == before,
            "{args:?}: the file changed"
        );
        // What a reader sees, rows included, is what it saw before.
        let (j1, _) = inspect_json(s(&f));
        assert_eq!(j1, j0, "{args:?}");
        let journal = mnt.join("f.npy-journal");
        std::fs::remove_file(filler).unwrap();
        // recover removes whatever the failed command left, and changes no row.
        let out = npy(&["recover", "--counted", s(&f)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!journal.exists(), "{args:?}: a journal is left");
        if args != ["recover"] {
            assert!(
                std::fs::read(&f).unwrap() == before,
                "{args:?}: recover changed it"
            );
        }
        let out = npy(&argv);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        std::fs::remove_file(&f).unwrap();
    }

    // A synced append whose count gains a digit (9 -> 10): its journal cannot be written.
    npy_file(&f, &[9, 3], false, None, &rows_data(9, 6));
    let before = std::fs::read(&f).unwrap();
    let filler = fill(&mnt);
    let out = npy(&["append", "--sync", s(&f), s(&row)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    std::fs::remove_file(filler).unwrap();
    for policy in [&["recover"][..], &["recover", "--counted"]] {
        let mut argv = policy.to_vec();
        argv.push(s(&f));
        assert_eq!(npy(&argv).status.code(), Some(0));
        let got = data(&f);
        // The rows it had, and at most the row appended: nothing else.
        assert!(
            got == before[128..] || got == [&before[128..], &rows_data(1, 9)[..]].concat(),
            "{policy:?}: {} bytes of data",
            got.len()
        );
    }
}
