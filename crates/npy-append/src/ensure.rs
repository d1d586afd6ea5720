//! `ensure_appendable`: give a header NumPy's spare room so that it can grow in place.
//!
//! In place, the room is made in one of two ways. Where the filesystem can insert a
//! range at the start of a file (`fallocate(FALLOC_FL_INSERT_RANGE)`: ext4, XFS on
//! Linux), a multiple of its block size (4 KiB) is inserted before the old header and
//! the new header is written over both, padded with spaces: the data does not move, and
//! the time does not depend on the data size. The header is then longer than NumPy's
//! (by up to 4 KiB of spaces, still under NumPy's `max_header_size` of 10 000, so every
//! NumPy reads it). Elsewhere, or when the padded header would pass that limit, or the
//! old header length is not a multiple of 64 (the data would not be 64-aligned), or
//! with [`MoveOptions::insert_range`]`(false)`, the data is moved by journaled chunks
//! and the header is exactly NumPy's.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use npy_header::{Parsed, Version};

use crate::error::{Error, ErrorKind, Result};
use crate::files::{is_still_at, open_locked, sync_dir};
use crate::journal::{self, Move, Progress, MAX_MOVE_CHUNK};
use crate::layout::{read_header, Geometry, HeaderState, Snapshot};
use crate::sidecar::sidecar;
use crate::storage::{read_exact_at, write_all_at, Storage};
use crate::writer::no_journal;

/// Where [`ensure_appendable`] puts the rewritten file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum EnsureMode {
    /// Write a new file beside the old one (same directory), `fsync` it, rename it over
    /// the old one and `fsync` the directory. A crash leaves the old file or the new
    /// one, never a mixture; needs room for a second copy. Through a symlink, the file
    /// it names is replaced (the link stays); the owner, group and mode are kept. A
    /// file with more than one hard link is refused ([`ErrorKind::Parameter`]): the
    /// rename would leave the other names on the old file.
    #[default]
    Replace,
    /// Make room in the same file. Every step is journaled beside the file
    /// ([`Sidecar`](crate::Sidecar)) before the file is touched, so a crash midway is
    /// finished by [`crate::recover`] or, an insert that had not happened, undone
    /// ([`Replayed::RangeInsertUndone`](crate::Replayed::RangeInsertUndone)), after
    /// which `ensure_appendable` runs again.
    ///
    /// Where the filesystem can (`fallocate(FALLOC_FL_INSERT_RANGE)`: ext4 and XFS on
    /// Linux; `A-9`), a range is inserted at the start of the file: the new header and
    /// the file's geometry are journaled, 4 KiB (or a multiple) inserted at offset 0
    /// and `fsync`ed, the header (NumPy's, padded with spaces to the new length)
    /// written and `fdatasync`ed, and the journal removed. No data moves, so the time
    /// does not depend on the data size; the header keeps up to 4 KiB of padding, under
    /// NumPy's `max_header_size` (10 000), so NumPy reads it;
    /// [`MoveOptions::insert_range`]`(false)` gives NumPy's exact header. The insert is
    /// one journaled metadata change while the shift of the file's extents fits one
    /// transaction; for a file of very many extents (ext4) or several (XFS, one
    /// transaction per extent) a power loss *during* the `fallocate` call can leave the
    /// size grown and only the tail shifted. `recover` detects that (the old header is
    /// still at offset 0) and refuses with
    /// [`ErrorKind::Unrecoverable`](crate::ErrorKind::Unrecoverable), changing nothing:
    /// the file then has to be restored from a copy, so keep one, or use
    /// [`EnsureMode::Replace`], where a power loss is a concern.
    ///
    /// Otherwise (another filesystem, a padded header that would exceed 10 000 bytes,
    /// an old header length that is not a multiple of 64, or the opt-out) the data is
    /// moved towards the end, last chunk first; each chunk is journaled (the new header
    /// and a copy of the chunk, in two alternating slots of at most one data length
    /// each) before it is copied, so a chunk whose source was already overwritten is
    /// redone from its copy. The file never grows past its final length; the journal
    /// needs room for two chunks and two headers.
    InPlace,
    /// Write the appendable copy to another path (which must not exist); the original
    /// is left as it is. A file that is appendable already is copied byte for byte, so
    /// that the path holds the array whenever this returns `Ok`.
    To(PathBuf),
}

/// Tuning for operations that move data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveOptions {
    chunk_bytes: u64,
    insert_range: bool,
    allow_large_header: bool,
}

impl Default for MoveOptions {
    fn default() -> MoveOptions {
        MoveOptions {
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            insert_range: true,
            allow_large_header: false,
        }
    }
}

/// Bytes moved or copied at a time by default: 16 MiB, as npy-append-array.
pub const DEFAULT_CHUNK_BYTES: u64 = 16 << 20;

impl MoveOptions {
    /// The defaults: chunks of [`DEFAULT_CHUNK_BYTES`], range inserts where possible.
    pub fn new() -> MoveOptions {
        MoveOptions::default()
    }

    /// Sets the chunk size (at least 1 byte, at most [`MAX_MOVE_CHUNK`], 64 MiB). Memory use is one chunk
    /// (in place: the journal holds a second copy on disk).
    pub fn chunk_bytes(mut self, bytes: u64) -> MoveOptions {
        self.chunk_bytes = bytes.clamp(1, MAX_MOVE_CHUNK);
        self
    }

    /// Whether [`EnsureMode::InPlace`] may insert a range at the start of the file
    /// instead of moving the data (default `true`). The insert takes the same time
    /// whatever the data size, but leaves a header padded to a multiple of 4 KiB more
    /// than the old one (NumPy reads it); `false` always moves the data, for NumPy's
    /// exact, minimal layout.
    pub fn insert_range(mut self, yes: bool) -> MoveOptions {
        self.insert_range = yes;
        self
    }

    /// Whether a rewrite may make a header longer than NumPy's default
    /// `max_header_size`, 10 000 bytes of header text (default `false`). NumPy writes
    /// such headers but `np.load` refuses them unless given `max_header_size=` or
    /// `allow_pickle=True`, as `npy inspect` does unless given `--max-header-len`; so by
    /// default a rewrite that would take a header from within the limit past it is
    /// refused ([`ErrorKind::LargeHeader`]) before anything is written. A header over
    /// the limit already may grow either way.
    pub fn allow_large_header(mut self, yes: bool) -> MoveOptions {
        self.allow_large_header = yes;
        self
    }
}

/// How [`ensure_appendable`] made room for the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// Nothing was done: the header was appendable already.
    None,
    /// Only the header was rewritten, in place: the file holds no data.
    HeaderOnly,
    /// A range was inserted at the start of the file; no data moved.
    InsertRange,
    /// The data was moved within the file, by journaled chunks.
    ChunkedMove,
    /// The file was copied ([`EnsureMode::Replace`], [`EnsureMode::To`]).
    Copy,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::None => "nothing to do",
            Method::HeaderOnly => "header rewritten in place",
            Method::InsertRange => "range inserted in place",
            Method::ChunkedMove => "moved in place",
            Method::Copy => "copied",
        })
    }
}

/// The filesystem block size a range insert must be a multiple of: 4 KiB on ext4 and
/// XFS as usually made. Where it is larger, the insert is refused and the data moved.
const INSERT_GRANULE: u64 = 4096;

/// NumPy's `max_header_size` (characters of header text, length field excluded): a
/// padded header must stay readable by default.
const NUMPY_MAX_HEADER_SIZE: u64 = 10_000;

/// What [`ensure_appendable`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Appendable {
    /// The file's format version (unchanged).
    pub version: Version,
    /// Whether the header was already appendable: nothing was changed (with
    /// [`EnsureMode::To`], the file was copied as it is, [`Method::Copy`]).
    pub already: bool,
    /// Bytes the header grew by (the data moved this far).
    pub header_growth: u64,
    /// Bytes of data moved, copied or (range insert) shifted.
    pub data_bytes: u64,
    /// How the room was made.
    pub method: Method,
    /// The header's length field afterwards: the bytes of header text, which NumPy's
    /// `max_header_size` limits (see [`MoveOptions::allow_large_header`]).
    pub header_len: u64,
}

/// Rewrites a file whose header has no spare room for a longer growth-axis length
/// (written by NumPy before 1.24, or by another writer) with NumPy's layout, so that
/// [`Appender::open`](crate::Appender::open) accepts it. The version, dtype, order,
/// shape and data are kept; every byte after the old header is kept, whole rows or not.
/// Takes the file's lock. A file that is already appendable is left alone, except that
/// [`EnsureMode::To`] copies it unchanged. A header that NumPy's layout would take past
/// NumPy's default `max_header_size` is refused ([`ErrorKind::LargeHeader`]) before
/// anything is written, unless allowed with [`ensure_appendable_with`] and
/// [`MoveOptions::allow_large_header`].
///
/// ```
/// # use npy_append::{ensure_appendable, EnsureMode, Appender, Method, Options};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.npy");
/// // A header as NumPy before 1.24 wrote it, its dict filling the 128 bytes: no room
/// // for a longer count.
/// let dict = |n: usize| {
///     format!("{{'descr': [('{}', '<i2')], 'fortran_order': False, 'shape': (3,), }}", "x".repeat(n))
/// };
/// let text = dict(117 - dict(0).len());
/// let mut file = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
/// file.extend_from_slice(text.as_bytes());
/// file.push(b'\n');
/// file.extend_from_slice(&[1, 0, 2, 0, 3, 0]);
/// std::fs::write(&path, &file)?;
/// let done = ensure_appendable(&path, EnsureMode::InPlace)?;
/// // Where the filesystem can insert a range, 4 KiB were inserted; else NumPy's
/// // header (64 bytes longer) was written after the data was moved.
/// match done.method {
///     Method::InsertRange => assert_eq!(done.header_growth, 4096),
///     _ => assert_eq!((done.method, done.header_growth), (Method::ChunkedMove, 64)),
/// }
/// Appender::open(&path, Options::new())?.append_bytes(&[4, 0])?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ensure_appendable(path: impl AsRef<Path>, mode: EnsureMode) -> Result<Appendable> {
    ensure_appendable_with(path, mode, &MoveOptions::new(), &mut |_, _| {})
}

/// [`ensure_appendable`] with a chunk size, the choice of a range insert and of a header
/// past NumPy's `max_header_size`, calling `progress(done, total)` with data bytes.
pub fn ensure_appendable_with(
    path: impl AsRef<Path>,
    mode: EnsureMode,
    opts: &MoveOptions,
    progress: Progress<'_>,
) -> Result<Appendable> {
    let path = path.as_ref();
    let file = open_locked(path)?;
    let journal = sidecar(path)?;
    let with = |e: Error| e.with_path(path);
    match mode {
        EnsureMode::InPlace => {
            ensure_appendable_in_place_on(&file, &journal, opts, progress).map_err(with)
        }
        EnsureMode::Replace | EnsureMode::To(_) => {
            let (snap, parsed) = checked(&file, &journal).map_err(with)?;
            let data_len = snap.file_len - parsed.data_offset();
            let Some(new_header) = needed(&parsed, opts).map_err(with)? else {
                let EnsureMode::To(out) = &mode else {
                    return Ok(done_already(&parsed));
                };
                // The copy was asked for: it is the file as it is, header included.
                let mut header = vec![
                    0u8;
                    usize::try_from(parsed.data_offset())
                        .expect("a header read with MAX_HEADER_LEN checked")
                ];
                read_exact_at(&file, &mut header, 0)
                    .map_err(|e| with(Error::io("cannot read the header", e)))?;
                copy_rewrite(
                    path,
                    &file,
                    &header,
                    parsed.data_offset(),
                    data_len,
                    Dest::To(out),
                    opts,
                    progress,
                )?;
                return Ok(Appendable {
                    data_bytes: data_len,
                    method: Method::Copy,
                    ..done_already(&parsed)
                });
            };
            let dest = match &mode {
                EnsureMode::To(out) => Dest::To(out),
                _ => Dest::Replace,
            };
            copy_rewrite(
                path,
                &file,
                &new_header,
                parsed.data_offset(),
                data_len,
                dest,
                opts,
                progress,
            )?;
            Ok(Appendable {
                version: parsed.version,
                already: false,
                header_growth: new_header.len() as u64 - parsed.data_offset(),
                data_bytes: data_len,
                method: Method::Copy,
                header_len: length_field(parsed.version, new_header.len()),
            })
        }
    }
}

/// [`EnsureMode::InPlace`] on any storage `s`, whose journal is `j` (see
/// [`Sidecar`](crate::Sidecar)). No lock is taken.
pub fn ensure_appendable_in_place_on<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    opts: &MoveOptions,
    progress: Progress<'_>,
) -> Result<Appendable> {
    let (snap, parsed) = checked(s, j)?;
    let Some(new_header) = needed(&parsed, opts)? else {
        return Ok(done_already(&parsed));
    };
    let old_offset = parsed.data_offset();
    let data_len = snap.file_len - old_offset;
    let done = |header_len: usize, method| Appendable {
        version: parsed.version,
        already: false,
        header_growth: header_len as u64 - old_offset,
        data_bytes: data_len,
        method,
        header_len: length_field(parsed.version, header_len),
    };
    if data_len == 0 {
        journal::write_header(s, j, &new_header, new_header.len() as u64, snap.file_len)
            .map_err(|e| Error::io("cannot rewrite the header", e))?;
        return Ok(done(new_header.len(), Method::HeaderOnly));
    }
    if opts.insert_range {
        if let Some(padded) = padded_for_insert(&parsed, new_header.len() as u64) {
            let inserted = journal::insert_header(s, j, &padded, old_offset, data_len)
                .map_err(|e| Error::io("cannot insert room for the header", e))?;
            if inserted {
                progress(data_len, data_len);
                return Ok(done(padded.len(), Method::InsertRange));
            }
        }
    }
    Move {
        new_header: &new_header,
        old_offset,
        data_len,
        chunk: opts.chunk_bytes.min(data_len),
    }
    .run(s, j, old_offset + data_len, 0, progress)
    .map_err(|e| Error::io("cannot move the data", e))?;
    Ok(done(new_header.len(), Method::ChunkedMove))
}

/// The header for a range insert: NumPy's, padded with spaces to the old length plus
/// the smallest multiple of [`INSERT_GRANULE`] that holds NumPy's (`need` bytes).
/// `None` when the old length is not a multiple of 64 (the data would stay unaligned,
/// `F-5`) or the padded header would exceed NumPy's `max_header_size`.
fn padded_for_insert(parsed: &Parsed, need: u64) -> Option<Vec<u8>> {
    let old = parsed.data_offset();
    if !old.is_multiple_of(64) || need <= old {
        return None;
    }
    let total = old + (need - old).div_ceil(INSERT_GRANULE) * INSERT_GRANULE;
    let text = total - parsed.version.preamble_len() as u64;
    if text > NUMPY_MAX_HEADER_SIZE {
        return None;
    }
    parsed.header.emit_in_place(parsed.version, total).ok()
}

fn done_already(parsed: &Parsed) -> Appendable {
    Appendable {
        version: parsed.version,
        already: true,
        header_growth: 0,
        data_bytes: 0,
        method: Method::None,
        header_len: parsed.data_offset() - parsed.version.preamble_len() as u64,
    }
}

/// The length field of a header of `total` bytes (preamble included).
pub(crate) fn length_field(version: Version, total: usize) -> u64 {
    (total - version.preamble_len()) as u64
}

/// Refuses, unless `opts` allow it, a rewrite that would take the header of `old`
/// from within NumPy's default `max_header_size` past it: to `total` bytes (preamble
/// included) in `version`.
pub(crate) fn check_header_size(
    old: &Parsed,
    version: Version,
    total: usize,
    opts: &MoveOptions,
) -> Result<()> {
    let before = old.data_offset() - old.version.preamble_len() as u64;
    let after = length_field(version, total);
    if opts.allow_large_header || after <= NUMPY_MAX_HEADER_SIZE || before > NUMPY_MAX_HEADER_SIZE {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::LargeHeader,
        format!(
            "the header would grow from {before} to {after} bytes, past NumPy's default max_header_size ({NUMPY_MAX_HEADER_SIZE}): np.load would refuse the file unless given max_header_size={after} or allow_pickle=True, and `npy inspect` unless given --max-header-len {after}; allow it with MoveOptions::allow_large_header (`--allow-large-header`)"
        ),
    ))
}

/// The header, refused if an interrupted operation left a journal or it does not parse
/// (in that order: an interrupted range insert leaves zeros where the header was).
pub(crate) fn checked<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
) -> Result<(Snapshot, Parsed)> {
    let snap = read_header(s).map_err(|e| Error::io("cannot read the header", e))?;
    no_journal(j, snap.file_len)?;
    let parsed = match &snap.state {
        HeaderState::Valid(p) => p.clone(),
        HeaderState::BadText { error, .. } | HeaderState::BadPreamble(error) => {
            return Err(Error::header("the header", error.clone()))
        }
    };
    Ok((snap, parsed))
}

/// NumPy's header for this array, if the file's is not appendable; refused if it would
/// pass NumPy's `max_header_size` and `opts` do not allow that.
fn needed(parsed: &Parsed, opts: &MoveOptions) -> Result<Option<Vec<u8>>> {
    let geo = Geometry::new(parsed)?;
    match geo.check_appendable() {
        Ok(()) => Ok(None),
        Err(e) if *e.kind() == ErrorKind::NotAppendable => {
            let emitted = geo.header.emit(Some(geo.version)).map_err(|e| {
                Error::new(
                    ErrorKind::Version,
                    format!(
                        "NumPy's header for this array does not fit format {}: {}",
                        geo.version,
                        e.message()
                    ),
                )
            })?;
            check_header_size(parsed, geo.version, emitted.bytes.len(), opts)?;
            Ok(Some(emitted.bytes))
        }
        Err(e) => Err(e),
    }
}

/// Where a copying rewrite goes.
pub(crate) enum Dest<'a> {
    /// Over the source, by rename.
    Replace,
    /// To a new file.
    To(&'a Path),
}

/// Writes `header` and `data_len` bytes of `src` from `data_from` into a temporary file
/// in the destination's directory, syncs it, renames it into place and syncs the
/// directory. [`Dest::Replace`] replaces the file `src_path` names: a symlink's target
/// (in the target's directory), keeping its owner, group and mode; a file with more
/// than one hard link is refused (see [`replace_target`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_rewrite(
    src_path: &Path,
    src: &File,
    header: &[u8],
    data_from: u64,
    data_len: u64,
    dest: Dest<'_>,
    opts: &MoveOptions,
    progress: Progress<'_>,
) -> Result<()> {
    let src_meta = src
        .metadata()
        .map_err(|e| Error::io("cannot read the file's metadata", e).with_path(src_path))?;
    let target: PathBuf = match dest {
        Dest::Replace => replace_target(src_path, src, &src_meta)?,
        Dest::To(p) => p.to_path_buf(),
    };
    let on_target = |what: &str| {
        let target = target.clone();
        let what = what.to_string();
        move |e| Error::io(&what, e).with_path(&target)
    };
    if let Dest::To(p) = dest {
        // `symlink_metadata`: a symbolic link to nothing is a name taken too.
        if fs::symlink_metadata(p).is_ok() {
            return Err(Error::new(
                ErrorKind::Parameter,
                "the output file exists already: choose another path or remove it",
            )
            .with_path(p));
        }
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".npy-rewrite-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(on_target(
            "cannot create a temporary file beside the output",
        ))?;
    let out = tmp.as_file();
    if let Dest::Replace = dest {
        keep_owner(out, &src_meta).map_err(on_target(
            "cannot give the rewritten file the owner and group of the old one, which the rename would change: rewrite it in place instead (EnsureMode::InPlace, `npy ensure-appendable --in-place`)",
        ))?;
    }
    // After the change of owner, which may clear the set-user-ID and set-group-ID bits.
    out.set_permissions(src_meta.permissions())
        .map_err(on_target("cannot set the new file's permissions"))?;
    write_all_at(out, header, 0).map_err(on_target("cannot write the new file"))?;
    let chunk = opts.chunk_bytes.min(data_len.max(1));
    let mut buf =
        vec![0u8; usize::try_from(chunk).expect("MoveOptions clamps chunks to MAX_MOVE_CHUNK")];
    let mut done = 0;
    while done < data_len {
        let n = usize::try_from((data_len - done).min(chunk)).expect("at most one chunk");
        read_exact_at(src, &mut buf[..n], data_from + done)
            .map_err(|e| Error::io("cannot read the data", e).with_path(src_path))?;
        write_all_at(out, &buf[..n], header.len() as u64 + done)
            .map_err(on_target("cannot write the new file"))?;
        done += n as u64;
        progress(done, data_len);
    }
    out.sync_all()
        .map_err(on_target("cannot sync the new file (fsync)"))?;
    let persisted = match dest {
        Dest::Replace => tmp.persist(&target),
        Dest::To(_) => tmp.persist_noclobber(&target),
    };
    persisted.map_err(|e| {
        Error::io("cannot rename the new file into place", e.error).with_path(&target)
    })?;
    sync_dir(&target).map_err(on_target("cannot sync the directory (fsync)"))?;
    Ok(())
}

/// The path to rename a rewritten copy of `src` (opened as `src_path`) to: `src_path`
/// with its symlinks resolved, so that a link stays a link to the rewritten file.
/// Refuses a file with more than one hard link, whose other names would keep the old
/// file.
fn replace_target(src_path: &Path, src: &File, meta: &fs::Metadata) -> Result<PathBuf> {
    let links = hard_links(meta);
    if links > 1 {
        return Err(Error::new(
            ErrorKind::Parameter,
            format!(
                "the file has {links} hard links: renaming a rewritten copy over it would split them (the other names would keep the old file); rewrite it in place instead (EnsureMode::InPlace, `npy ensure-appendable --in-place`)"
            ),
        )
        .with_path(src_path));
    }
    let target = fs::canonicalize(src_path)
        .map_err(|e| Error::io("cannot resolve the file's path", e).with_path(src_path))?;
    // The lock is the open file's: the path must still name it.
    let here = is_still_at(src, &target)
        .map_err(|e| Error::io("cannot read the file's metadata", e).with_path(&target))?;
    if !here {
        return Err(Error::new(
            ErrorKind::Locked,
            "another file was renamed over this one after it was opened: another process is rewriting it; let it finish first",
        )
        .with_path(src_path));
    }
    Ok(target)
}

/// How many names the file has; a rewrite renamed over one of them refuses more than 1.
pub(crate) fn hard_links(meta: &fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// Gives `out` the owner and group in `meta`, unless it has them already.
fn keep_owner(out: &File, meta: &fs::Metadata) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let now = out.metadata()?;
        if (now.uid(), now.gid()) != (meta.uid(), meta.gid()) {
            std::os::unix::fs::fchown(out, Some(meta.uid()), Some(meta.gid()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (out, meta);
    Ok(())
}
