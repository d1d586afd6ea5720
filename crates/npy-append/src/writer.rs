//! The appending writer.

use std::fs::{File, OpenOptions};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use npy_header::{Dtype, Element, Header, Version};

use crate::cast::element_order;
use crate::error::{Error, ErrorKind, Result};
use crate::files::{lock, open_locked, sync_dir};
use crate::journal::{self, Found};
use crate::layout::{parser, Geometry, HeaderText};
use crate::sidecar::{sidecar, Sidecar};
use crate::status::status_on;
use crate::storage::{write_all_at, Storage};

/// The default write buffer: 1 MiB.
pub const DEFAULT_BUFFER_BYTES: usize = 1 << 20;

/// When a 1.0–3.0 header is rewritten to count the rows written so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HeaderPolicy {
    /// After every append that wrote rows to the file (that is, whenever the write
    /// buffer is written out, and at `flush`, `sync` and `close`): the file is then a
    /// valid array of every row written, for NumPy and any other reader. With a buffer
    /// of 0 bytes this is npy-append-array's `rewrite_header_on_append=True`.
    #[default]
    EveryWrite,
    /// Only at [`Appender::flush`], [`Appender::sync`] and [`Appender::close`] (and
    /// drop). Between them, readers see the rows of the last flush; `recover` can count
    /// the rest from the file size (`Adopt::WholeRows`).
    OnFlush,
}

/// What the writer does to make rows survive a power loss (a process crash loses only
/// the write buffer either way: written rows are in the page cache).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Durability {
    /// No `fdatasync` unless [`Appender::sync`] is called. After a power loss, the
    /// header may count rows whose bytes never reached the disk.
    #[default]
    None,
    /// Every header rewrite is ordered (`A-4`): the data is `fdatasync`ed first, then
    /// the header is written and `fdatasync`ed. A header on disk therefore never counts
    /// rows that are not on disk. For 4.0 files (no count in the header) every write is
    /// followed by `fdatasync`.
    Synced,
}

/// How a writer behaves: header policy, durability, buffer size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    header_policy: HeaderPolicy,
    durability: Durability,
    buffer_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            header_policy: HeaderPolicy::default(),
            durability: Durability::default(),
            buffer_bytes: DEFAULT_BUFFER_BYTES,
        }
    }
}

impl Options {
    /// The defaults: [`HeaderPolicy::EveryWrite`], [`Durability::None`], a buffer of
    /// [`DEFAULT_BUFFER_BYTES`].
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets when the header is rewritten (ignored for 4.0 files).
    pub fn header_policy(mut self, policy: HeaderPolicy) -> Options {
        self.header_policy = policy;
        self
    }

    /// Sets the durability level.
    pub fn durability(mut self, durability: Durability) -> Options {
        self.durability = durability;
        self
    }

    /// Sets the write buffer size. Appends smaller than the buffer are copied into it
    /// and written when it would overflow; larger ones are written directly. 0 writes
    /// every append at once.
    pub fn buffer_bytes(mut self, bytes: usize) -> Options {
        self.buffer_bytes = bytes;
        self
    }
}

/// What a new file holds: the dtype, the shape of one row (the non-growth dimensions),
/// the order and the format version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewArray {
    dtype: Dtype,
    row_shape: Vec<u64>,
    fortran_order: bool,
    version: Option<Version>,
}

impl NewArray {
    /// A C-order array of `dtype` whose rows have shape `row_shape` (empty for a 1-d
    /// array), in the oldest format version that holds the header (as NumPy chooses).
    pub fn new(dtype: Dtype, row_shape: impl Into<Vec<u64>>) -> NewArray {
        NewArray {
            dtype,
            row_shape: row_shape.into(),
            fortran_order: false,
            version: None,
        }
    }

    /// The dtype, order and non-growth dimensions of an existing header.
    pub fn like(header: &Header) -> Result<NewArray> {
        header.growth_axis().ok_or_else(|| {
            Error::new(
                ErrorKind::NoGrowthAxis,
                "a 0-d array (shape ()) has no axis to append along",
            )
        })?;
        Ok(NewArray {
            dtype: header.dtype().clone(),
            row_shape: header.row_shape().to_vec(),
            fortran_order: header.fortran_order(),
            version: None,
        })
    }

    /// Fortran order: the array grows along its last axis, and `row_shape` is the
    /// dimensions before it.
    pub fn fortran_order(mut self, fortran_order: bool) -> NewArray {
        self.fortran_order = fortran_order;
        self
    }

    /// The format version: 1.0, 2.0 or 3.0 (the header counts the rows and is rewritten
    /// in place), or 4.0 (the header says `-1` and is never rewritten; NumPy cannot read
    /// the file until it is finalised).
    pub fn version(mut self, version: Version) -> NewArray {
        self.version = Some(version);
        self
    }

    /// The header with 0 rows, and its bytes.
    fn emit(&self) -> Result<(Header, Vec<u8>)> {
        if self.dtype.has_object() {
            return Err(Error::new(
                ErrorKind::ObjectDtype,
                "the dtype holds Python objects: such data is a pickle, not rows, and cannot be appended",
            ));
        }
        let open = Header::open_ended(
            self.dtype.clone(),
            self.fortran_order,
            self.row_shape.clone(),
        );
        let header = if self.version == Some(Version::V4_0) {
            open
        } else {
            open.with_growth_len(0)
                .expect("an open-ended header has a growth axis")
        };
        let emitted = header.emit(self.version).map_err(|e| {
            Error::new(
                ErrorKind::Parameter,
                format!("cannot write this header: {}", e.message()),
            )
        })?;
        Ok((header, emitted.bytes))
    }
}

struct State {
    /// Rows accepted: written or in the buffer.
    rows: u64,
    /// Data bytes accepted.
    accepted: u64,
    /// Data bytes in the file (the rest is in `buf`).
    written: u64,
    /// The rows the header in the file counts.
    header_rows: u64,
    /// The header text last written (made at the first rewrite), patched in place by
    /// later ones.
    text: Option<HeaderText>,
    buf: Vec<u8>,
    poisoned: Option<String>,
    closed: bool,
}

/// Appends rows to a `.npy` file along its growth axis (axis 0 in C order, the last
/// axis in Fortran order).
///
/// One writer may be shared by many threads (`Appender<File>` is `Send + Sync`):
/// appends take `&self`, each one's rows are contiguous in the file, and the row
/// ranges they return say where. See the crate documentation for what is on disk
/// when, and the crash guarantees.
pub struct Appender<S: Storage = File, J: Storage = Sidecar> {
    storage: S,
    journal: J,
    geo: Geometry,
    opts: Options,
    path: Option<PathBuf>,
    state: Mutex<State>,
}

/// The Rust type [`Appender::append`] takes for a file of `dtype`, if there is one:
/// the [`Element`] that [`element_order`] accepts for it.
fn rust_type_of(dtype: &Dtype) -> Option<&'static str> {
    fn name<T: Element>(dtype: &Dtype) -> Option<&'static str> {
        element_order::<T>(dtype).map(|_| T::RUST_NAME)
    }
    name::<u8>(dtype)
        .or_else(|| name::<i8>(dtype))
        .or_else(|| name::<u16>(dtype))
        .or_else(|| name::<i16>(dtype))
        .or_else(|| name::<u32>(dtype))
        .or_else(|| name::<i32>(dtype))
        .or_else(|| name::<u64>(dtype))
        .or_else(|| name::<i64>(dtype))
        .or_else(|| name::<f32>(dtype))
        .or_else(|| name::<f64>(dtype))
        .or_else(|| name::<[f32; 2]>(dtype))
        .or_else(|| name::<[f64; 2]>(dtype))
}

/// The size of the unit a disk writes atomically, at least: a power loss can land
/// some of a write's sectors and not others, in any order.
const SECTOR: usize = 512;

/// Whether `bytes` (a range of a header, which starts at offset 0) lies in one sector.
fn within_a_sector(bytes: &std::ops::Range<usize>) -> bool {
    bytes.is_empty() || bytes.start / SECTOR == (bytes.end - 1) / SECTOR
}

/// Refuses a journal that holds anything: run `recover`.
pub(crate) fn no_journal<J: Storage + ?Sized>(journal: &J, file_len: u64) -> Result<()> {
    match journal::find(journal, file_len)
        .map_err(|e| Error::io("cannot read the recovery journal", e))?
    {
        Found::Empty => Ok(()),
        Found::Incomplete | Found::Record(_) => Err(Error::new(
            ErrorKind::NeedsRecovery,
            "an interrupted operation left a recovery journal beside the file: run recover",
        )),
        Found::Foreign(why) => Err(Error::new(
            ErrorKind::NeedsRecovery,
            format!("a recovery journal beside the file does not fit it ({why}): run recover, which explains what to do"),
        )),
    }
}

/// Refuses to start a new file beside a journal: it was left by an interrupted
/// operation on an earlier file of the same name.
fn no_stale_journal<J: Storage + ?Sized>(journal: &J) -> Result<()> {
    let len = journal
        .len()
        .map_err(|e| Error::io("cannot read the recovery journal", e))?;
    if len != 0 {
        return Err(Error::new(
            ErrorKind::Parameter,
            format!("a recovery journal ({len} bytes) is beside the path, left by an interrupted operation on an earlier file of this name: move it away with that file, or remove it"),
        ));
    }
    Ok(())
}

impl Appender<File, Sidecar> {
    /// Creates a new file (it must not exist), writes the header for 0 rows and takes
    /// the file's lock. With [`Durability::Synced`] the header and the directory entry
    /// are made durable before this returns.
    ///
    /// ```
    /// use npy_append::{Appender, NewArray, Options};
    /// use npy_header::{ByteOrder, Dtype, Kind, Scalar};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap());
    /// let w = Appender::create(&path, &NewArray::new(f8, [3]), Options::new())?;
    /// w.append(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    /// assert_eq!(w.close()?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, new: &NewArray, opts: Options) -> Result<Appender<File>> {
        let path = path.as_ref();
        // Refuse a header that cannot be written, or a journal left by an earlier file
        // of this name, before creating anything.
        new.emit().map_err(|e| e.with_path(path))?;
        let journal = sidecar(path)?;
        no_stale_journal(&journal).map_err(|e| e.with_path(path))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("cannot create the file", e).with_path(path))?;
        lock(&file).map_err(|e| e.with_path(path))?;
        let synced = opts.durability == Durability::Synced;
        let mut app =
            Appender::create_on(file, journal, new, opts).map_err(|e| e.with_path(path))?;
        if synced {
            sync_dir(path).map_err(|e| {
                Error::io("cannot sync the directory of the new file", e).with_path(path)
            })?;
        }
        app.path = Some(path.to_path_buf());
        Ok(app)
    }

    /// Opens an existing file to continue it, taking its lock. Checks, in this order,
    /// without changing the file: no interrupted operation left a journal
    /// ([`ErrorKind::NeedsRecovery`]: run [`recover`](crate::recover)); the header is
    /// valid; the dtype holds no objects ([`ErrorKind::ObjectDtype`]); the array is not
    /// 0-d ([`ErrorKind::NoGrowthAxis`]); the header has room for a longer count
    /// ([`ErrorKind::NotAppendable`]: run [`ensure_appendable`](crate::ensure_appendable));
    /// the data length matches the header ([`ErrorKind::NeedsRecovery`]).
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Appender<File>> {
        let path = path.as_ref();
        let file = open_locked(path)?;
        let journal = sidecar(path)?;
        let mut app = Appender::open_on(file, journal, opts).map_err(|e| e.with_path(path))?;
        app.path = Some(path.to_path_buf());
        Ok(app)
    }
}

impl<S: Storage, J: Storage> Appender<S, J> {
    /// [`Appender::create`] on any storage, which must be empty, with its journal (see
    /// [`Sidecar`]), which must be empty too. No lock is taken: keeping other writers
    /// away is the caller's business.
    pub fn create_on(
        storage: S,
        journal: J,
        new: &NewArray,
        opts: Options,
    ) -> Result<Appender<S, J>> {
        let (_, bytes) = new.emit()?;
        no_stale_journal(&journal)?;
        let len = storage
            .len()
            .map_err(|e| Error::io("cannot read the file's length", e))?;
        if len != 0 {
            return Err(Error::new(
                ErrorKind::Parameter,
                format!("the file is not empty ({len} bytes): open it to continue it"),
            ));
        }
        write_all_at(&storage, &bytes, 0).map_err(|e| Error::io("cannot write the header", e))?;
        if opts.durability == Durability::Synced {
            storage
                .sync_all()
                .map_err(|e| Error::io("cannot sync the new file", e))?;
        }
        let parsed = parser()
            .parse(&bytes)
            .expect("a header this crate emitted parses");
        let geo = Geometry::new(&parsed)?;
        Ok(Appender::from_parts(storage, journal, geo, opts, 0))
    }

    /// [`Appender::open`] on any storage, with its journal (see [`Sidecar`]). No lock
    /// is taken.
    pub fn open_on(storage: S, journal: J, opts: Options) -> Result<Appender<S, J>> {
        let (geo, rows) = status_on(&storage, &journal)?.into_open()?;
        Ok(Appender::from_parts(storage, journal, geo, opts, rows))
    }

    fn from_parts(
        storage: S,
        journal: J,
        geo: Geometry,
        opts: Options,
        rows: u64,
    ) -> Appender<S, J> {
        let bytes = rows * geo.row_bytes;
        Appender {
            storage,
            journal,
            geo,
            opts,
            path: None,
            state: Mutex::new(State {
                rows,
                accepted: bytes,
                written: bytes,
                header_rows: rows,
                text: None,
                buf: Vec::new(),
                poisoned: None,
                closed: false,
            }),
        }
    }

    /// The rows appended so far (written or buffered), including those the file held.
    pub fn rows(&self) -> u64 {
        self.lock_state().rows
    }

    /// The array's header with the current row count: a fixed header, for a 4.0 file
    /// the one finalising it would write (see [`Appender::version`] for the format).
    pub fn header(&self) -> Header {
        self.geo.fixed_header(self.rows())
    }

    /// The format version of the file.
    pub fn version(&self) -> Version {
        self.geo.version
    }

    /// Bytes of one row (one step along the growth axis).
    pub fn row_bytes(&self) -> u64 {
        self.geo.row_bytes
    }

    /// Where the array data starts.
    pub fn data_offset(&self) -> u64 {
        self.geo.data_offset
    }

    /// The path, for writers opened or created by path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The storage written to.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Appends rows given as raw bytes in the file's layout and dtype: a whole number
    /// of rows, each [`Appender::row_bytes`] long. Returns the rows they became.
    pub fn append_bytes(&self, bytes: &[u8]) -> Result<Range<u64>> {
        let rows = self.rows_in(bytes.len() as u64, 1, "bytes")?;
        self.append_with(rows, |sink| sink.push(bytes))
    }

    /// Takes the writer for a run of appends from this thread: appends from other
    /// threads wait until the [`Batch`] is dropped. Appending a small row to the buffer
    /// is cheap enough that taking the writer's lock is a large share of it; a batch
    /// takes it once.
    ///
    /// ```
    /// # use npy_append::{Appender, NewArray, Options};
    /// # use npy_header::{ByteOrder, Dtype, Kind, Scalar};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// let u1 = Dtype::Scalar(Scalar::new(Kind::UInt, ByteOrder::NotApplicable, 1).unwrap());
    /// let w = Appender::create(&path, &NewArray::new(u1, [2]), Options::new())?;
    /// let mut batch = w.batch();
    /// for i in 0..1000u16 {
    ///     batch.append_bytes(&i.to_le_bytes())?;
    /// }
    /// drop(batch);
    /// assert_eq!(w.close()?, 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn batch(&self) -> Batch<'_, S, J> {
        Batch {
            app: self,
            st: self.lock_state(),
        }
    }

    /// Appends rows given as values of a plain number type in native byte order, in
    /// the file's layout: a whole number of rows. The file's dtype must be that type
    /// (in either byte order: values are converted for a file in the other order).
    ///
    /// ```
    /// # use npy_append::{Appender, NewArray, Options};
    /// # use npy_header::{ByteOrder, Dtype, Kind, Scalar};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("a.npy");
    /// let be = Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Big, 2).unwrap());
    /// let w = Appender::create(&path, &NewArray::new(be, []), Options::new())?;
    /// assert_eq!(w.append(&[1i16, 2, 3])?, 0..3);
    /// w.close()?;
    /// assert!(std::fs::read(&path)?.ends_with(&[0, 1, 0, 2, 0, 3]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append<T: Element>(&self, items: &[T]) -> Result<Range<u64>> {
        let swap = element_order::<T>(self.geo.header.dtype()).ok_or_else(|| {
            self.err(Error::new(
                ErrorKind::DtypeMismatch,
                format!(
                    "cannot append {} values to an array of {} ('{}'): {}",
                    T::NAME,
                    self.geo.header.dtype(),
                    self.geo.header.dtype().to_descr().trim_matches('\''),
                    match rust_type_of(self.geo.header.dtype()) {
                        Some(t) => format!("typed appends do not convert: append {t} values, or the rows' bytes with append_bytes"),
                        None => "append the rows' bytes in the file's layout with append_bytes".to_string(),
                    }
                ),
            ))
        })?;
        let size = std::mem::size_of::<T>();
        let rows = self.rows_in(items.len() as u64, size as u64, "values")?;
        let bytes: &[u8] = bytemuck::cast_slice(items);
        if !swap {
            return self.append_with(rows, |sink| sink.push(bytes));
        }
        // Each value swapped as its type says (a complex number's two parts apart).
        self.append_with(rows, |sink| {
            let mut scratch: Vec<T> = Vec::with_capacity(SCRATCH_BYTES / size);
            for chunk in items.chunks((SCRATCH_BYTES / size).max(1)) {
                scratch.clear();
                scratch.extend(chunk.iter().map(|&v| v.swap_bytes()));
                sink.push(bytemuck::cast_slice(&scratch))?;
            }
            Ok(())
        })
    }

    /// Rows in `n` units of `unit` bytes, or the error for a partial row.
    fn rows_in(&self, n: u64, unit: u64, what: &str) -> Result<u64> {
        let row = self.geo.row_bytes;
        if row == 0 {
            return Err(self.err(Error::new(
                ErrorKind::Parameter,
                "rows of this array are 0 bytes (a zero-size dimension or item), so raw data cannot say how many rows to add: append a .npy array instead",
            )));
        }
        let bytes = n.checked_mul(unit).ok_or_else(|| self.too_large())?;
        if bytes % row != 0 {
            let per_row = row / unit;
            return Err(self.err(Error::new(
                ErrorKind::PartialRow,
                format!("{n} {what} are not a whole number of rows (a row is {per_row} {what})"),
            )));
        }
        Ok(bytes / row)
    }

    fn too_large(&self) -> Error {
        self.err(Error::new(
            ErrorKind::TooLarge,
            "the array would grow past 2^63-1 bytes or rows, more than NumPy can address",
        ))
    }

    /// Adds the path (when opened by path) to an error.
    pub(crate) fn err(&self, e: Error) -> Error {
        match &self.path {
            Some(p) => e.with_path(p),
            None => e,
        }
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geo
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state consistent enough to report
        // (every field is updated after the I/O it describes).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn usable(&self, st: &State) -> Result<()> {
        if let Some(why) = &st.poisoned {
            return Err(self.err(Error::new(
                ErrorKind::Poisoned,
                format!(
                    "the writer stopped after an earlier error ({why}); rows appended since the last successful flush may be lost: run recover on the file"
                ),
            )));
        }
        Ok(())
    }

    /// Runs `fill`, which pushes the bytes of `rows` rows, as one append: its rows are
    /// contiguous, and if `fill` fails without an I/O error on the file, the file and
    /// the writer are as before.
    pub(crate) fn append_with(
        &self,
        rows: u64,
        fill: impl FnOnce(&mut Sink<'_, S, J>) -> Result<()>,
    ) -> Result<Range<u64>> {
        let mut st = self.lock_state();
        self.append_locked(&mut st, rows, fill)
    }

    /// [`Appender::append_with`] with the lock held.
    fn append_locked(
        &self,
        st: &mut State,
        rows: u64,
        fill: impl FnOnce(&mut Sink<'_, S, J>) -> Result<()>,
    ) -> Result<Range<u64>> {
        self.usable(st)?;
        let start = st.rows;
        let end = start
            .checked_add(rows)
            .filter(|&e| e <= self.geo.max_rows())
            .ok_or_else(|| self.too_large())?;
        let (accepted, written) = (st.accepted, st.written);
        let filled = fill(&mut Sink { app: self, st });
        if let Err(e) = filled {
            if st.poisoned.is_none() {
                self.rollback(st, accepted)?;
            }
            return Err(self.err(e));
        }
        debug_assert_eq!(st.accepted - accepted, rows * self.geo.row_bytes);
        st.rows = end;
        if st.written != written {
            self.after_write(st)?;
        }
        Ok(start..end)
    }

    /// Undoes a failed append's bytes: the buffer's share, or what reached the file.
    fn rollback(&self, st: &mut State, accepted: u64) -> Result<()> {
        if st.written > accepted {
            let r = self.storage.set_len(self.geo.data_offset + accepted);
            self.check(st, "cannot cut off a failed append", r)?;
            st.written = accepted;
            st.buf.clear();
        } else {
            let keep = usize::try_from(accepted - st.written).expect("the buffer is in memory");
            st.buf.truncate(keep);
        }
        st.accepted = accepted;
        Ok(())
    }

    /// An I/O result; an error poisons the writer.
    fn check<T>(&self, st: &mut State, what: &str, r: io::Result<T>) -> Result<T> {
        r.map_err(|e| {
            let err = self.err(Error::io(what, e));
            st.poisoned = Some(err.message().to_string());
            st.buf = Vec::new();
            err
        })
    }

    fn write_buffer(&self, st: &mut State) -> Result<()> {
        if st.buf.is_empty() {
            return Ok(());
        }
        let r = write_all_at(&self.storage, &st.buf, self.geo.data_offset + st.written);
        self.check(st, "cannot write rows", r)?;
        st.written += st.buf.len() as u64;
        st.buf.clear();
        Ok(())
    }

    fn push(&self, st: &mut State, bytes: &[u8]) -> Result<()> {
        let cap = self.opts.buffer_bytes;
        if !st.buf.is_empty() && st.buf.len() + bytes.len() > cap {
            self.write_buffer(st)?;
        }
        if st.buf.is_empty() && bytes.len() >= cap {
            let r = write_all_at(&self.storage, bytes, self.geo.data_offset + st.written);
            self.check(st, "cannot write rows", r)?;
            st.written += bytes.len() as u64;
        } else {
            // Grow towards the cap, never past it (Vec's own doubling could).
            let need = st.buf.len() + bytes.len();
            if st.buf.capacity() < need {
                let target = need.max(st.buf.capacity() * 2).min(cap);
                st.buf.reserve_exact(target - st.buf.len());
            }
            st.buf.extend_from_slice(bytes);
        }
        st.accepted += bytes.len() as u64;
        Ok(())
    }

    /// What the policy asks for after rows reached the file.
    fn after_write(&self, st: &mut State) -> Result<()> {
        let synced = self.opts.durability == Durability::Synced;
        if self.geo.header.is_open_ended() || self.opts.header_policy == HeaderPolicy::EveryWrite {
            self.commit(st, synced)?;
        }
        Ok(())
    }

    /// Rows whose bytes are all in the file.
    fn written_rows(&self, st: &State) -> u64 {
        match self.geo.row_bytes {
            0 => st.rows,
            r => st.written / r,
        }
    }

    /// Makes the header count the rows written. `durable`: first make the data durable,
    /// and the header after it (`A-4`).
    fn commit(&self, st: &mut State, durable: bool) -> Result<()> {
        let rows = self.written_rows(st);
        if self.geo.header.is_open_ended() || rows == st.header_rows {
            if durable {
                let r = self.storage.sync_data();
                self.check(st, "cannot sync the data (fdatasync)", r)?;
            }
            return Ok(());
        }
        // The text is kept between rewrites, so that only the count is formatted
        // again; a file from another writer (laid out differently) gets this crate's.
        let mut text = match st.text.take() {
            Some(t) => t,
            None => HeaderText::new(&self.geo, st.header_rows).map_err(|e| self.err(e))?,
        };
        debug_assert_eq!(text.rows(), st.header_rows);
        let patched = text.set(&self.geo, rows).map_err(|e| self.err(e))?;
        let bytes = text.bytes();
        // The preamble never changes: rewriting it could only tear or garble it (with
        // several unsynced rewrites, into a valid magic with a wrong header length,
        // which no template can repair). The rest is written whole even when only the
        // count's digits changed (`A-4`): a power loss can garble a write, and garbled
        // digits alone can read as a plausible smaller count, which `Adopt::Counted`
        // would believe, losing acknowledged rows; a garbled header fails to parse.
        let keep = self.geo.preamble_len();
        debug_assert!(bytes.len() > keep);
        let (after_preamble, at) = (&bytes[keep..], keep as u64);
        if durable {
            let r = self.storage.sync_data();
            self.check(st, "cannot sync the data (fdatasync)", r)?;
            if patched.is_some_and(|digits| within_a_sector(&digits)) {
                // Only the digits changed, and they lie in one sector: a torn write
                // leaves a count between the old one and one that recovery clamps to
                // the file size (crate docs, "Crash guarantees"). Digits across a
                // sector boundary could tear into a smaller count (a later sector
                // landing without an earlier one), so those rewrites are journaled.
                let r = write_all_at(&self.storage, after_preamble, at);
                self.check(st, "cannot write the header", r)?;
                let r = self.storage.sync_data();
                self.check(st, "cannot sync the header (fdatasync)", r)?;
            } else {
                let end = self.geo.data_offset + st.written;
                let r = journal::write_header(&self.storage, &self.journal, bytes, end, end);
                self.check(st, "cannot rewrite the header", r)?;
            }
        } else {
            let r = write_all_at(&self.storage, after_preamble, at);
            self.check(st, "cannot write the header", r)?;
        }
        st.text = Some(text);
        st.header_rows = rows;
        Ok(())
    }

    /// Writes the buffered rows and makes the header count them (1.0–3.0). With
    /// [`Durability::Synced`], this is [`Appender::sync`]. Afterwards the file is a
    /// complete array of every row appended, in the page cache: other processes see it,
    /// and it survives this process crashing.
    pub fn flush(&self) -> Result<()> {
        let mut st = self.lock_state();
        self.usable(&st)?;
        self.write_buffer(&mut st)?;
        self.commit(&mut st, self.opts.durability == Durability::Synced)
    }

    /// Like [`Appender::flush`], then makes everything durable in the order of `A-4`
    /// (data `fdatasync`, header, `fdatasync`). When it returns `Ok`, every row appended
    /// before the call survives a power loss. An error here poisons the writer and is
    /// never retried: after a failed `fdatasync` the kernel may have dropped the pages.
    pub fn sync(&self) -> Result<()> {
        let mut st = self.lock_state();
        self.usable(&st)?;
        self.write_buffer(&mut st)?;
        self.commit(&mut st, true)
    }

    /// Flushes (syncs, with [`Durability::Synced`]), releases the lock and returns the
    /// number of rows. Dropping a writer does the same but cannot report errors.
    pub fn close(self) -> Result<u64> {
        let mut st = self.lock_state();
        st.closed = true;
        self.usable(&st)?;
        self.write_buffer(&mut st)?;
        self.commit(&mut st, self.opts.durability == Durability::Synced)?;
        Ok(st.rows)
    }
}

impl<S: Storage, J: Storage> std::fmt::Debug for Appender<S, J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock_state();
        f.debug_struct("Appender")
            .field("path", &self.path)
            .field("version", &self.geo.version)
            .field("header", &self.geo.header)
            .field("rows", &st.rows)
            .field("buffered_bytes", &st.buf.len())
            .field("poisoned", &st.poisoned)
            .finish_non_exhaustive()
    }
}

impl<S: Storage, J: Storage> Drop for Appender<S, J> {
    fn drop(&mut self) {
        let mut st = self.lock_state();
        if st.closed || st.poisoned.is_some() {
            return;
        }
        st.closed = true;
        // Errors cannot be reported here; the file stays recoverable either way.
        if self.write_buffer(&mut st).is_ok() {
            let _ = self.commit(&mut st, self.opts.durability == Durability::Synced);
        }
    }
}

/// A writer held by one thread for a run of appends ([`Appender::batch`]). Appends
/// through it behave as the writer's own; other threads' calls on the writer wait until
/// it is dropped.
pub struct Batch<'a, S: Storage = File, J: Storage = Sidecar> {
    app: &'a Appender<S, J>,
    st: MutexGuard<'a, State>,
}

impl<S: Storage, J: Storage> Batch<'_, S, J> {
    /// [`Appender::append_bytes`] without taking the lock again.
    pub fn append_bytes(&mut self, bytes: &[u8]) -> Result<Range<u64>> {
        let rows = self.app.rows_in(bytes.len() as u64, 1, "bytes")?;
        self.app
            .append_locked(&mut self.st, rows, |sink| sink.push(bytes))
    }

    /// The rows appended so far, as [`Appender::rows`].
    pub fn rows(&self) -> u64 {
        self.st.rows
    }
}

impl<S: Storage, J: Storage> std::fmt::Debug for Batch<'_, S, J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("rows", &self.st.rows)
            .finish_non_exhaustive()
    }
}

/// Where an append's bytes go: the buffer or the file.
pub(crate) struct Sink<'a, S: Storage, J: Storage> {
    app: &'a Appender<S, J>,
    st: &'a mut State,
}

impl<S: Storage, J: Storage> Sink<'_, S, J> {
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.app.push(self.st, bytes)
    }
}

/// Bytes converted at a time (byte swaps, casts, reordering reads).
pub(crate) const SCRATCH_BYTES: usize = 64 << 10;
