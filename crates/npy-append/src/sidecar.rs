//! The journal file beside an array.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};
use crate::files::sync_dir;
use crate::storage::Storage;

/// [`Sidecar::beside`] `path`, as this crate's error.
pub(crate) fn sidecar(path: &Path) -> Result<Sidecar> {
    Sidecar::beside(path).map_err(|e| {
        Error::io("cannot locate the recovery journal beside the file", e).with_path(path)
    })
}

/// The recovery journal of an array on disk: the file `NAME-journal` beside the array
/// `NAME` (symbolic links resolved, so every path to one array finds one journal), as
/// SQLite keeps `DB-journal` beside a database.
///
/// As a [`Storage`] it is a file that exists only while it holds bytes: the first
/// write creates it, cutting it to length 0 removes it, and a sync after either also
/// `fsync`s the directory, so that its appearance and its removal are durable in the
/// right order with the array's changes. Reading a missing journal finds 0 bytes.
///
/// The order of writes is what makes it safe: (1) the journal is created, its record
/// written and `fdatasync`ed, and the directory `fsync`ed; (2) only then is the array
/// changed, and the change made durable; (3) then the journal is removed and the
/// directory `fsync`ed, before anything else changes the array. So a journal without a
/// valid record belongs to an operation that had not touched the array yet, and a
/// journal is never older than the array's last change. A record is believed only when
/// its magic, CRC-32 and fields agree, its header parses as a header of exactly its
/// length, and the array's length is one the operation can have left; a valid record
/// that does not fit the array is refused, never applied. The format is in
/// `spec/npy-format.md`, section 9.1.
///
/// The path-based operations ([`recover`](crate::recover),
/// [`Appender::open`](crate::Appender::open), …) use it themselves; pass one to the
/// `*_on` functions when they work on a real file. Move or copy an array together with
/// its journal, if it has one: an array without the journal of its interrupted
/// operation may hold a half-written header or half-moved data.
#[derive(Debug)]
pub struct Sidecar {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    file: Option<File>,
    /// The journal was created or removed since the directory was last synced.
    dir_dirty: bool,
}

impl Sidecar {
    /// The journal of the array at `array`, which need not exist yet (its directory
    /// must). Nothing is created.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let j = npy_append::Sidecar::beside(dir.path().join("log.npy"))?;
    /// assert_eq!(j.path().file_name().unwrap(), "log.npy-journal");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn beside(array: impl AsRef<Path>) -> io::Result<Sidecar> {
        Ok(Sidecar::at(journal_path(&resolve(array.as_ref())?)))
    }

    /// A journal at exactly `path`.
    pub fn at(path: impl Into<PathBuf>) -> Sidecar {
        Sidecar {
            path: path.into(),
            state: Mutex::new(State::default()),
        }
    }

    /// Where the journal is (or would be).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The open journal; created if `create`, else `None` when there is none.
    fn open<'a>(&self, st: &'a mut State, create: bool) -> io::Result<Option<&'a File>> {
        if st.file.is_none() {
            let mut opts = OpenOptions::new();
            opts.read(true).write(true);
            let file = match opts.open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    let f = opts.create_new(true).open(&self.path)?;
                    st.dir_dirty = true;
                    f
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            st.file = Some(file);
        }
        Ok(st.file.as_ref())
    }

    fn sync(&self, all: bool) -> io::Result<()> {
        let mut st = self.state();
        if let Some(f) = &st.file {
            if all {
                f.sync_all()?;
            } else {
                f.sync_data()?;
            }
        }
        if st.dir_dirty {
            sync_dir(&self.path)?;
            st.dir_dirty = false;
        }
        Ok(())
    }
}

/// `NAME-journal` beside `NAME`.
pub(crate) fn journal_path(array: &Path) -> PathBuf {
    let mut name = array.file_name().unwrap_or_default().to_os_string();
    name.push("-journal");
    array.with_file_name(name)
}

/// The path with symbolic links resolved: the file's, or (when it does not exist) its
/// directory's joined with its name.
pub(crate) fn resolve(path: &Path) -> io::Result<PathBuf> {
    match fs::canonicalize(path) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let name = path.file_name().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "the path names no file")
            })?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Ok(fs::canonicalize(dir)?.join(name))
        }
        Err(e) => Err(e),
    }
}

impl Storage for Sidecar {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut st = self.state();
        match self.open(&mut st, false)? {
            Some(f) => Storage::read_at(f, buf, offset),
            None => Ok(0),
        }
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut st = self.state();
        let f = self.open(&mut st, true)?.expect("created if missing");
        let written = Storage::write_at(f, buf, offset);
        let empty = written.is_err() && f.metadata().is_ok_and(|m| m.len() == 0);
        if empty && st.dir_dirty {
            // Just created, and nothing could be written (a full disk): leave no empty
            // journal behind. The error stands either way.
            st.file = None;
            let _ = fs::remove_file(&self.path);
        }
        written
    }
    fn len(&self) -> io::Result<u64> {
        let mut st = self.state();
        match self.open(&mut st, false)? {
            Some(f) => Ok(f.metadata()?.len()),
            None => Ok(0),
        }
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut st = self.state();
        if len > 0 {
            let f = self.open(&mut st, true)?.expect("created if missing");
            return f.set_len(len);
        }
        st.file = None;
        match fs::remove_file(&self.path) {
            Ok(()) => {
                st.dir_dirty = true;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    fn sync_data(&self) -> io::Result<()> {
        self.sync(false)
    }
    fn sync_all(&self) -> io::Result<()> {
        self.sync(true)
    }
}
