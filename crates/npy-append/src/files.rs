//! Opening an array by path: the advisory lock, checking that the locked file is still
//! the one at the path, and the directory `fsync`s that make new, renamed and removed
//! entries durable.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Takes the file's advisory lock (`flock`) or says who has it.
pub(crate) fn lock(file: &File) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
            ErrorKind::Locked,
            "another writer has this file open (it holds the file's lock): let it finish or close it first",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("cannot lock the file", e)),
    }
}

/// How many times [`open_locked`] opens a path whose file is replaced before it is
/// locked.
const OPEN_ATTEMPTS: usize = 3;

/// Opens `path` for reading and writing and takes its lock. If the file at `path` is
/// no longer the one locked (a rewrite renamed another over it between the open and
/// the lock, and released its own lock on the old one), the lock protects nothing:
/// opens again, a few times.
pub(crate) fn open_locked(path: &Path) -> Result<File> {
    for _ in 0..OPEN_ATTEMPTS {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io("cannot open the file", e).with_path(path))?;
        lock(&file).map_err(|e| e.with_path(path))?;
        let here = is_still_at(&file, path)
            .map_err(|e| Error::io("cannot read the file's metadata", e).with_path(path))?;
        if here {
            return Ok(file);
        }
    }
    Err(Error::new(
        ErrorKind::Locked,
        format!(
            "another file was renamed over this one each of the {OPEN_ATTEMPTS} times it was opened and locked: another process is rewriting it; let it finish first"
        ),
    )
    .with_path(path))
}

/// Whether `file` is the file at `path` (the same device and inode; `false` when
/// nothing is there any more).
pub(crate) fn is_still_at(file: &File, path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let open = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) => Ok((open.dev(), open.ino()) == (now.dev(), now.ino())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        Ok(true)
    }
}

/// `fsync` of the directory holding `path`, so that a new or renamed entry survives a
/// power loss.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs::{self, File};

    use npy_header::{ByteOrder, Dtype, Kind, Scalar};

    use super::is_still_at;
    use crate::{Appender, NewArray, Options};

    /// 2 rows of 3 `<u2`.
    const ROWS: [u8; 12] = [1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0];

    /// The bytes after the header.
    fn data(path: &std::path::Path) -> Vec<u8> {
        let bytes = fs::read(path).unwrap();
        let offset = usize::try_from(npy_header::parse(&bytes).unwrap().data_offset()).unwrap();
        bytes[offset..].to_vec()
    }

    #[test]
    fn a_lock_on_a_file_renamed_over_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let link = dir.path().join("link.npy");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let u2 = Dtype::Scalar(Scalar::new(Kind::UInt, ByteOrder::Little, 2).unwrap());
        Appender::create(&p, &NewArray::new(u2, [3]), Options::new())
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
        w.append_bytes(&ROWS).unwrap();
        w.close().unwrap();
        assert_eq!(data(&p), ROWS);
        // The file opened first is the old one, unlinked: its 0 rows.
        assert_eq!(open.metadata().unwrap().len(), 128);
        fs::remove_file(&p).unwrap();
        assert!(!is_still_at(&open, &p).unwrap());
    }
}
