//! Rewrites renamed over the file: a lock taken on a file renamed over is noticed.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use npy_append::testing::is_still_at;
use npy_append::{Appender, NewArray, Options};

use crate::common::{dtype, parsed};
use crate::workload::rows;

/// The bytes after the header.
fn data(path: &Path) -> Vec<u8> {
    let offset = usize::try_from(parsed(path).data_offset()).unwrap();
    fs::read(path).unwrap()[offset..].to_vec()
}

#[test]
fn a_lock_on_a_file_renamed_over_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink(&p, &link).unwrap();
    Appender::create(&p, &NewArray::new(dtype("'<u2'"), [3]), Options::new())
        .unwrap()
        .close()
        .unwrap();
    let open = File::options().read(true).write(true).open(&p).unwrap();
    assert!(is_still_at(&open, &p).unwrap());
    assert!(is_still_at(&open, &link).unwrap());
    // A rewrite renames its copy over the path after this open.
    let copy = dir.path().join("copy.npy");
    fs::copy(&p, &copy).unwrap();
    fs::rename(&copy, &p).unwrap();
    assert!(!is_still_at(&open, &p).unwrap());
    assert!(!is_still_at(&open, &link).unwrap());
    // Opening again reaches the file now at the path.
    let w = Appender::open(&p, Options::new()).unwrap();
    w.append_bytes(&rows(0, 2)).unwrap();
    w.close().unwrap();
    assert_eq!(data(&p), rows(0, 2));
    // The file opened first is the old one, unlinked: its 0 rows.
    assert_eq!(open.metadata().unwrap().len(), 128);
    fs::remove_file(&p).unwrap();
    assert!(!is_still_at(&open, &p).unwrap());
}
