//! Rewrites renamed over the file (`EnsureMode::Replace`, `convert`'s rewrite): what
//! the path names stays what it was (a symlink stays a link, the owner and mode stay),
//! and a hard-linked file is refused. (That a lock taken on a file renamed over is
//! noticed is tested beside the check itself, in `src/writer.rs`.)

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use npy_append::{convert, ensure_appendable, Appender, EnsureMode, ErrorKind, Method, Options};
use npy_header::Version;
use npy_testing::header;

use crate::common::parsed;
use crate::workload::rows;

/// A 1.0 file of `rows` rows of 3 `<u2`, its header 128 bytes with no padding (as NumPy
/// before 1.24 wrote a long field name): not appendable, and too long for 2.0 in place.
fn no_room(path: &Path, n: u64) -> Vec<u8> {
    let mut bytes = header::filled(Version::V1_0, 128, |len| {
        format!(
            "{{'descr': [('{}', '<u2')], 'fortran_order': False, 'shape': ({n}, 3), }}",
            "n".repeat(len)
        )
    });
    bytes.extend_from_slice(&rows(0, n));
    fs::write(path, &bytes).unwrap();
    bytes
}

/// The bytes after the header.
fn data(path: &Path) -> Vec<u8> {
    let offset = usize::try_from(parsed(path).data_offset()).unwrap();
    fs::read(path).unwrap()[offset..].to_vec()
}

/// The names in `dir`, sorted: no temporary file is left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn replace_through_a_symlink_rewrites_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let (data_dir, link_dir) = (dir.path().join("data"), dir.path().join("links"));
    fs::create_dir(&data_dir).unwrap();
    fs::create_dir(&link_dir).unwrap();
    let real = data_dir.join("real.npy");
    let link = link_dir.join("a.npy");
    std::os::unix::fs::symlink("../data/real.npy", &link).unwrap();
    no_room(&real, 5);
    let done = ensure_appendable(&link, EnsureMode::Replace).unwrap();
    assert_eq!((done.method, done.header_growth), (Method::Copy, 64));
    // The link is still the same link; the file it names was rewritten.
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("../data/real.npy"));
    assert_eq!(parsed(&real).data_offset(), 192);
    assert_eq!(data(&real), rows(0, 5));
    let w = Appender::open(&link, Options::new()).unwrap();
    w.append_bytes(&rows(5, 1)).unwrap();
    w.close().unwrap();
    assert_eq!(data(&real), rows(0, 6));
    assert_eq!(names(&data_dir), ["real.npy"]);
    assert_eq!(names(&link_dir), ["a.npy"]);

    // convert's rewrite (2.0 needs 2 bytes more than this 1.0 header has) likewise.
    no_room(&real, 5);
    let done = convert(&link, Version::V2_0).unwrap();
    assert!(!done.in_place);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(parsed(&real).version, Version::V2_0);
    assert_eq!(data(&real), rows(0, 5));
    assert_eq!(names(&data_dir), ["real.npy"]);
    assert_eq!(names(&link_dir), ["a.npy"]);
}

#[test]
fn replace_keeps_the_owner_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let owned = |mode: u32| {
        no_room(&p, 5);
        std::os::unix::fs::chown(&p, Some(1234), Some(1234)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    };
    let kept = |what: &str| {
        let m = fs::metadata(&p).unwrap();
        assert_eq!(
            (m.uid(), m.gid(), m.mode() & 0o7777),
            (1234, 1234, 0o640),
            "{what}"
        );
    };
    owned(0o640);
    let ino = fs::metadata(&p).unwrap().ino();
    let done = ensure_appendable(&p, EnsureMode::Replace).unwrap();
    assert_eq!(done.method, Method::Copy);
    assert_ne!(fs::metadata(&p).unwrap().ino(), ino, "renamed over");
    kept("ensure_appendable");
    assert_eq!(data(&p), rows(0, 5));
    owned(0o640);
    assert!(!convert(&p, Version::V2_0).unwrap().in_place);
    kept("convert");
    // A copy elsewhere is the caller's file.
    owned(0o640);
    let out = dir.path().join("out.npy");
    ensure_appendable(&p, EnsureMode::To(out.clone())).unwrap();
    let (m, me) = (
        fs::metadata(&out).unwrap(),
        fs::metadata(dir.path()).unwrap(),
    );
    assert_eq!(
        (m.uid(), m.gid(), m.mode() & 0o7777),
        (me.uid(), me.gid(), 0o640)
    );
}

#[test]
fn replace_refuses_a_hard_linked_file() {
    let dir = tempfile::tempdir().unwrap();
    let (p, other) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    let bytes = no_room(&p, 5);
    fs::hard_link(&p, &other).unwrap();
    let message = "the file has 2 hard links: renaming a rewritten copy over it would split them (the other names would keep the old file); rewrite it in place instead (EnsureMode::InPlace, `npy ensure-appendable --in-place`)";
    for (what, r) in [
        (
            "ensure_appendable",
            ensure_appendable(&p, EnsureMode::Replace).map(drop),
        ),
        ("convert", convert(&p, Version::V2_0).map(drop)),
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Parameter, "{what}: {e}");
        assert_eq!(
            e.to_string(),
            format!("{}: {message}", p.display()),
            "{what}"
        );
        assert_eq!(fs::read(&p).unwrap(), bytes, "{what}");
        assert_eq!(fs::metadata(&p).unwrap().nlink(), 2, "{what}");
        assert_eq!(names(dir.path()), ["a.npy", "b.npy"], "{what}");
    }
    // In place, both names see the rewritten file.
    let done = ensure_appendable(&p, EnsureMode::InPlace).unwrap();
    assert!(!done.already);
    assert_eq!(fs::read(&other).unwrap(), fs::read(&p).unwrap());
    Appender::open(&other, Options::new()).unwrap();
}
