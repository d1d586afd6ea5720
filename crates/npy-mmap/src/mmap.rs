//! The memory-mapped reader: the only `unsafe` code in the npy library crates, and the
//! contract the callers of [`NpyFile::map`] keep.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapOptions};
use npy_header::{Header, HeaderParser, Parsed};

use crate::error::{Error, ErrorKind};
use crate::layout::{read_raw_header, Layout};
use crate::view::ArrayView;
use crate::Loader;

/// A `.npy` file opened for reading, its data memory-mapped read-only.
///
/// Made by [`NpyFile::map`] or [`Loader::map`], which are `unsafe`: see
/// [`NpyFile::map`]'s "Safety" section for what the caller promises about other
/// programs writing the file. [`crate::NpyBuffer::read_file`] reads the same file into
/// memory, with the same layout and views, and needs no promise.
///
/// Opening reads the header and the file's size, never the data, so it takes the same
/// time for a 4 KiB file as for one larger than memory; pages are read when a view
/// touches them. Empty arrays are not mapped at all (a zero-length map is not allowed).
#[derive(Debug)]
pub struct NpyFile {
    file: File,
    path: PathBuf,
    parser: HeaderParser,
    layout: Layout,
    file_len: u64,
    map: Option<Mmap>,
}

impl NpyFile {
    /// Opens `path` and maps its array data read-only, with the default
    /// [`npy_header::Limits`]; see [`Loader::map`] to change them. Errors carry the
    /// path.
    ///
    /// The header is read, then the file's size; the header is resolved against the
    /// size with the checks the crate documentation lists under "Input safety", and
    /// then exactly the array's bytes are mapped.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/structured_padded.npy");
    /// // SAFETY: a sample file of this repository, which nothing truncates or writes
    /// // while it is mapped.
    /// let file = unsafe { npy_mmap::NpyFile::map(path)? };
    /// assert_eq!(file.layout().shape(), [3]);
    /// assert_eq!(file.view().field("b")?.to_vec::<f64>()?.len(), 3);
    ///
    /// // The safe alternative reads the data into memory, with the same views.
    /// let buffer = npy_mmap::NpyBuffer::read_file(path)?;
    /// assert_eq!(buffer.bytes(), file.bytes());
    /// # Ok::<(), npy_mmap::Error>(())
    /// ```
    ///
    /// # Safety
    ///
    /// The returned `NpyFile`'s bytes and views are the file's pages, not a copy. For as
    /// long as the `NpyFile` lives, the caller must ensure that no other program, and
    /// nothing else in this one, does either of these to the file:
    ///
    /// * **truncate it** below the end of the mapped data: touching a page past the
    ///   new end raises `SIGBUS`, which kills the process (it is not a panic and not an
    ///   error this crate could return);
    /// * **overwrite mapped bytes**: a slice from this crate would change under a shared
    ///   reference, which is undefined behaviour.
    ///
    /// The mapped data is the array's bytes, `[data_offset, data_offset + data_bytes)`
    /// of [`NpyFile::layout`]; after [`NpyFile::refresh`], that of the layout it
    /// resolved. The promise covers the rows `refresh` maps later too, which is why
    /// `refresh` is safe to call. Nothing else is mapped: the header, a partial trailing
    /// row and anything past the size observed may change freely.
    ///
    /// What this crate does to keep the promise small:
    ///
    /// * It maps only the array's bytes, below the file size it observed after reading
    ///   the header: never the header (which 1.0–3.0 appenders rewrite in place),
    ///   never a partial trailing row (which a writer is still writing), nothing at all
    ///   for an empty array. So a file that only grows, or whose header alone is
    ///   rewritten, never faults and never changes under a reference.
    /// * [`NpyFile::refresh`] never extends the map beyond the size it observes, and
    ///   refuses ([`ErrorKind::Shrunk`]) a file that became shorter than the map. It
    ///   cannot make an existing map safe again: after `Shrunk` the promise was broken;
    ///   drop the `NpyFile`.
    ///
    /// Writers that follow `spec/npy-format.md` keep the promise; the `npy-append`
    /// crate is checked against it:
    ///
    /// * An open-ended 4.0 file only grows, by whole rows at its end; its header and
    ///   data are not modified while it is open-ended (`V4-5`). A partial row being
    ///   written is never mapped.
    /// * A 1.0–3.0 append writes rows after the data and then rewrites the header
    ///   (`A-4`), so no mapped byte changes. When the new count has more digits,
    ///   `npy-append` journals the rewrite in a file beside the array (`NAME-journal`),
    ///   never in it: nothing but rows is ever past an array's data.
    /// * Recovery (`A-7`) keeps every row a reader can have mapped: it truncates to
    ///   `min(h, f)` rows (`h` the header's count, `f` the whole rows in the file) or,
    ///   by default in `npy-append`, to `f`; a reader maps at most the count of a header
    ///   it read, that count's data was written before the count, and counts only grow.
    ///   Zero-filling a partial row only grows the file.
    ///
    /// What breaks the promise, or is not guaranteed:
    ///
    /// * Files changed by other programs: `np.save` to the same path truncates the file
    ///   and writes it anew; `truncate(1)`; editors; an in-place `ensure_appendable`
    ///   (npy-append-array's or `npy-append`'s), which moves the data. Mapping such a
    ///   file while it is rewritten breaks the promise and may crash the process.
    /// * A 4.0 file being finalised or converted (`V4-7`) while a reader follows it: the
    ///   rows stay as they are (`npy-append` journals beside the file, and cuts only a
    ///   partial row, which is never mapped), but the header changes under the reader:
    ///   a 4.0 view's `refresh` reads only the size, so it keeps seeing the file as 4.0
    ///   until it is opened again.
    /// * A 1.0–3.0 header read while a writer rewrites it can be torn. `refresh` reads
    ///   the header twice around the size and requires both reads to agree, and any
    ///   count it accepts must be backed by the file's size; a torn count that passes
    ///   both checks (two identical torn reads) would be exposed, and a later recovery
    ///   could cut below it. This needs two rewrites torn at the same byte and is not
    ///   known to happen.
    /// * After a power loss the disk may hold an older or torn header; readers of the
    ///   old file do not survive that, and recovery is then the writer's business.
    ///
    /// If a file may be truncated or rewritten by something else, read it with
    /// [`crate::NpyBuffer::read_file`] (a copy; `spec/` rule `S-8`), or hold a lock
    /// that keeps writers out for as long as it is mapped.
    #[allow(unsafe_code)]
    pub unsafe fn map(path: impl AsRef<Path>) -> Result<NpyFile, Error> {
        // SAFETY: the caller keeps the contract above, which is `Loader::map`'s.
        unsafe { Loader::new().map(path) }
    }

    /// Opens and maps `path` with `parser`.
    ///
    /// # Safety
    ///
    /// The contract of [`NpyFile::map`].
    #[allow(unsafe_code)]
    unsafe fn map_with(path: &Path, parser: &HeaderParser) -> Result<NpyFile, Error> {
        let inner = || {
            let file = File::open(path)?;
            let (parsed, file_len) = read_state(&file, parser)?;
            let layout = resolve(parsed, file_len, parser)?;
            // SAFETY: the caller keeps `NpyFile::map`'s contract for this file, and the
            // range `map_data` maps is the layout's data, below `file_len`.
            let map = unsafe { map_data(&file, &layout, file_len) }?;
            Ok(NpyFile {
                file,
                path: path.to_path_buf(),
                parser: parser.clone(),
                layout,
                file_len,
                map,
            })
        };
        inner().map_err(|e: Error| e.with_path(path))
    }

    /// The header resolved against the file's size when it was opened or last
    /// refreshed: shape, strides, data and trailing bytes.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The path the file was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's length when it was opened or last refreshed.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// The array data, exactly the bytes the shape covers (never a partial row or
    /// trailing bytes).
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// A view of the whole array.
    pub fn view(&self) -> ArrayView<'_> {
        ArrayView::new(&self.layout, self.bytes())
    }

    /// Extends the view to the rows appended since the file was opened or last
    /// refreshed, and returns how many there are.
    ///
    /// * Format 4.0 with `-1`: the file's size is read again and whole rows below it
    ///   become part of the array; the header is not read again (`V4-5`: it does not
    ///   change while the file is open-ended).
    /// * 1.0–3.0 (and 4.0 without `-1`): the header is read again, then the size, then
    ///   the header once more; the two reads must agree (else the header was being
    ///   rewritten: [`ErrorKind::HeaderChanged`], try again). The header may differ
    ///   only in its growth-axis length, which may only grow, and its length must be
    ///   the same. Because writers append the data before they rewrite the header
    ///   (`A-4`), reading the header before the size sees data for every row it counts;
    ///   a file whose data is still short is [`ErrorKind::DataTooShort`] (`A-6`), and
    ///   the caller may retry.
    /// * A file now shorter than the mapped data is [`ErrorKind::Shrunk`]: another
    ///   program truncated it, breaking the contract of [`NpyFile::map`], and this
    ///   `NpyFile` should be dropped.
    ///
    /// On error nothing changes. `refresh` takes `&mut self`, so no view or slice of
    /// the old map can be alive when it is replaced.
    ///
    /// `refresh` maps more of the file, yet is safe: the promise made to
    /// [`NpyFile::map`] covers every range this `NpyFile` maps, now and after any
    /// refresh, and `refresh` maps only the whole rows below the size it observes, as
    /// `map` does.
    ///
    /// ```
    /// use std::io::Write;
    /// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("growing.npy");
    /// let u1 = Dtype::Scalar(Scalar::new(Kind::UInt, ByteOrder::Little, 1).unwrap());
    /// let header = Header::open_ended(u1, false, vec![2]); // shape (-1, 2)
    /// let mut writer = std::fs::File::create(&path)?;
    /// writer.write_all(&header.emit(None)?.bytes)?;
    /// writer.write_all(&[1, 2, 3])?; // a row and a half
    ///
    /// // SAFETY: the file is this example's own, in a temporary directory, and it is
    /// // only appended to while it is mapped.
    /// let mut file = unsafe { npy_mmap::NpyFile::map(&path)? };
    /// assert_eq!(file.layout().shape(), [1, 2]);
    /// assert!(file.layout().has_partial_row());
    ///
    /// writer.write_all(&[4, 5, 6])?;
    /// assert_eq!(file.refresh()?, 2);
    /// assert_eq!(file.layout().shape(), [3, 2]);
    /// assert_eq!(file.view().as_slice::<u8>()?, [1, 2, 3, 4, 5, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh(&mut self) -> Result<u64, Error> {
        self.try_refresh().map_err(|e| e.with_path(&self.path))
    }

    #[allow(unsafe_code)]
    fn try_refresh(&mut self) -> Result<u64, Error> {
        let old = &self.layout;
        let (parsed, file_len) = if old.header().is_open_ended() {
            (old.parsed().clone(), self.file.metadata()?.len())
        } else {
            let (first, file_len) = read_raw_state(&self.file, &self.parser)?;
            let (second, _) = read_raw_state(&self.file, &self.parser)?;
            if first != second {
                return Err(Error::new(
                    ErrorKind::HeaderChanged,
                    "the header changed while it was read (a writer is rewriting it): refresh again",
                ));
            }
            let (preamble, text) = first;
            let parsed = self.parser.parse_text(preamble, &text)?;
            check_growth(old, &parsed)?;
            (parsed, file_len)
        };
        let mapped_end = old.data_offset() + old.data_bytes();
        if file_len < mapped_end {
            return Err(Error::new(
                ErrorKind::Shrunk {
                    mapped: mapped_end,
                    now: file_len,
                },
                format!(
                    "the file shrank to {file_len} bytes, below the {mapped_end} bytes already mapped: another program truncated it (drop this reader and open the file again)"
                ),
            ));
        }
        let layout = resolve(parsed, file_len, &self.parser)?;
        let added = layout.rows() - old.rows();
        let map = if layout.data_bytes() == old.data_bytes() {
            self.map.take()
        } else {
            // SAFETY: `self` was made by `NpyFile::map`, whose contract covers every
            // range this `NpyFile` maps during its life; the range is the new layout's
            // data, below `file_len`, the size just observed.
            unsafe { map_data(&self.file, &layout, file_len) }?
        };
        self.layout = layout;
        self.file_len = file_len;
        self.map = map;
        Ok(added)
    }
}

impl Loader {
    /// Opens `path` and maps its array data read-only, with this loader's limits (see
    /// [`NpyFile::map`]). Errors carry the path.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
    /// use npy_header::HeaderParser;
    /// use npy_mmap::Loader;
    ///
    /// let loader = Loader::with_parser(HeaderParser::new().max_data_bytes(64));
    /// // SAFETY: a sample file of this repository, which nothing truncates or writes
    /// // while it is mapped.
    /// let err = unsafe { loader.map(path) }.unwrap_err();
    /// assert_eq!(err.kind().name(), "data_too_large"); // 96 bytes of data
    /// # Ok::<(), npy_mmap::Error>(())
    /// ```
    ///
    /// # Safety
    ///
    /// The contract of [`NpyFile::map`]: while the returned `NpyFile` lives, no other
    /// program (and nothing else in this one) truncates the file below the end of the
    /// data it maps or writes any byte of that data.
    #[allow(unsafe_code)]
    pub unsafe fn map(&self, path: impl AsRef<Path>) -> Result<NpyFile, Error> {
        // SAFETY: the caller keeps the same contract.
        unsafe { NpyFile::map_with(path.as_ref(), &self.parser) }
    }
}

/// The header, then the file's size: in this order, a count in a header written by
/// the append protocol is backed by data in the size (`A-4`, `A-6`).
pub(crate) fn read_state(file: &File, parser: &HeaderParser) -> Result<(Parsed, u64), Error> {
    let ((preamble, text), file_len) = read_raw_state(file, parser)?;
    Ok((parser.parse_text(preamble, &text)?, file_len))
}

type RawHeader = (npy_header::Preamble, Vec<u8>);

fn read_raw_state(file: &File, parser: &HeaderParser) -> Result<(RawHeader, u64), Error> {
    // One positional read of a page covers the preamble and the header of nearly every
    // file (NumPy's are 128 bytes): no seek, and not one read per piece the header
    // parser asks for. Opening is a handful of system calls, so each one shows.
    let mut reader = BufReader::with_capacity(4096, At { file, offset: 0 });
    let raw = read_raw_header(&mut reader, parser)?;
    let file_len = file.metadata()?.len();
    Ok((raw, file_len))
}

/// Reads a file from an offset with `pread` (on Windows, `ReadFile` at an offset).
pub(crate) struct At<'a> {
    pub(crate) file: &'a File,
    pub(crate) offset: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.offset)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

fn resolve(parsed: Parsed, file_len: u64, parser: &HeaderParser) -> Result<Layout, Error> {
    if parsed.header.dtype().has_object() {
        return Err(object_error());
    }
    let data_len = file_len.saturating_sub(parsed.data_offset());
    Layout::new(parsed, data_len, parser.limits())
}

pub(crate) fn object_error() -> Error {
    Error::new(
        ErrorKind::ObjectDtype,
        "the dtype holds Python objects: the data is a pickle, which this reader never loads (unpickling runs code from the file)",
    )
}

/// A 1.0–3.0 header read again may differ from the old one only by a longer growth
/// axis, in the same number of header bytes.
fn check_growth(old: &Layout, new: &Parsed) -> Result<(), Error> {
    let changed = |what: String| {
        Err(Error::new(
            ErrorKind::HeaderChanged,
            format!("{what}: the file was rewritten, not appended to (open it again)"),
        ))
    };
    if new.version != old.version() || new.header_len != old.parsed().header_len {
        return changed(format!(
            "the header is now format {} with {} bytes, was {} with {}",
            new.version,
            new.header_len,
            old.version(),
            old.parsed().header_len
        ));
    }
    let (h, o) = (&new.header, old.header());
    let same_dims = h.ndim() == o.ndim() && h.row_shape() == o.row_shape();
    let order = |h: &Header| if h.fortran_order() { "Fortran" } else { "C" };
    if h.dtype() != o.dtype()
        || h.fortran_order() != o.fortran_order()
        || h.is_open_ended()
        || !same_dims
    {
        return changed(format!(
            "the header now describes {} {} order, shape {}; it was {} {} order, shape {}",
            h.dtype().to_descr(),
            order(h),
            npy_header::python_tuple(&h.written_shape()),
            o.dtype().to_descr(),
            order(o),
            npy_header::python_tuple(old.shape())
        ));
    }
    if let Some(rows) = h.growth_len() {
        if rows < old.rows() {
            return changed(format!(
                "the header now counts {rows} rows, fewer than the {} already mapped",
                old.rows()
            ));
        }
    }
    Ok(())
}

/// Maps exactly the array's bytes, `[data_offset, data_offset + data_bytes)`.
///
/// memmap2 maps from the page boundary at or below `data_offset` and hands out a
/// slice that starts at `data_offset`, so the slice's address is congruent to the
/// file offset modulo the page size: alignment is a property of the file (NumPy's
/// data offsets are multiples of 64), the same as in [`crate::NpyBuffer`]. Mapping
/// from the boundary below the data rather than from offset 0 keeps the header out of
/// every Rust reference: a 1.0–3.0 appender rewrites the header in place, and no `&[u8]`
/// this crate creates covers bytes that change. For the same reason the map ends at the
/// last whole row: a partial row is still being written.
///
/// # Safety
///
/// `layout` was resolved against `file_len`, a size of `file` observed after its
/// header was read, and the caller keeps the contract of [`NpyFile::map`] for
/// `[data_offset, data_offset + data_bytes)` of `file` while the map lives.
#[allow(unsafe_code)]
unsafe fn map_data(file: &File, layout: &Layout, file_len: u64) -> Result<Option<Mmap>, Error> {
    let len = layout.data_bytes();
    if len == 0 {
        // mmap(2) refuses zero-length maps, and an empty array needs none.
        return Ok(None);
    }
    let offset = layout.data_offset();
    let map_len = usize::try_from(len).map_err(|_| {
        Error::new(
            ErrorKind::DataTooLarge {
                size: len,
                limit: usize::MAX as u64,
            },
            format!(
                "the array holds {len} bytes, more than this platform can map (read it in parts)"
            ),
        )
    })?;
    debug_assert!(offset.checked_add(len).is_some_and(|end| end <= file_len));
    // SAFETY: the map is read-only and covers only bytes below `file_len`, the size
    // observed after the header was read, so every page is backed by the file when
    // mapped. The remaining hazards are other programs truncating the file below
    // `offset + len` (reads fault with SIGBUS) or writing these bytes (memory changes
    // behind shared references): this function's caller rules both out for as long as
    // the map lives, as `NpyFile::map`'s contract requires of its own caller.
    let map = unsafe { MmapOptions::new().offset(offset).len(map_len).map(file) }?;
    debug_assert_eq!(map.len(), map_len);
    debug_assert_eq!(map.as_ptr() as u64 % 64, offset % 64);
    Ok(Some(map))
}
