//! The memory-mapped reader: the one place in the project that needs `unsafe`.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapOptions};
use npy_header::{HeaderParser, Parsed};

use crate::error::{Error, ErrorKind};
use crate::layout::{read_raw_header, Layout};
use crate::view::ArrayView;

/// A `.npy` file opened for reading, its data memory-mapped read-only.
///
/// Opening reads the header and the file's size, never the data, so it takes the same
/// time for a 4 KiB file as for one larger than memory; pages are read when a view
/// touches them. Empty arrays are not mapped at all (a zero-length map is not allowed).
///
/// See the crate documentation, section "Safety", for what the map assumes about
/// other programs writing the file.
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
    /// Opens `path` with the default [`npy_header::Limits`]; see [`crate::Loader`] to
    /// change them.
    pub fn open(path: impl AsRef<Path>) -> Result<NpyFile, Error> {
        crate::Loader::new().open(path)
    }

    pub(crate) fn open_with(path: &Path, parser: &HeaderParser) -> Result<NpyFile, Error> {
        let inner = || {
            let file = File::open(path)?;
            let (parsed, file_len) = read_state(&file, parser)?;
            let layout = resolve(parsed, file_len, parser)?;
            let map = map_data(&file, &layout, file_len)?;
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
    ///   program truncated it, and this `NpyFile` should be dropped (see "Safety").
    ///
    /// On error nothing changes. `refresh` takes `&mut self`, so no view or slice of
    /// the old map can be alive when it is replaced.
    ///
    /// ```
    /// use std::io::Write;
    /// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("growing.npy");
    /// let u1 = Dtype::Scalar(Scalar::new(Kind::UInt, ByteOrder::Little, 1).unwrap());
    /// let header = Header { dtype: u1, fortran_order: false, shape: vec![0, 2], open_ended: true };
    /// let mut writer = std::fs::File::create(&path)?;
    /// writer.write_all(&header.emit(None)?.bytes)?;
    /// writer.write_all(&[1, 2, 3])?; // a row and a half
    ///
    /// let mut file = npy_mmap::NpyFile::open(&path)?;
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

    fn try_refresh(&mut self) -> Result<u64, Error> {
        let old = &self.layout;
        let (parsed, file_len) = if old.header().open_ended {
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
            map_data(&self.file, &layout, file_len)?
        };
        self.layout = layout;
        self.file_len = file_len;
        self.map = map;
        Ok(added)
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
    if parsed.header.dtype.has_object() {
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
    let growth = o.growth_axis();
    let same_dims = h.shape.len() == o.shape.len()
        && (0..h.shape.len()).all(|axis| Some(axis) == growth || h.shape[axis] == o.shape[axis]);
    if h.dtype != o.dtype || h.fortran_order != o.fortran_order || h.open_ended || !same_dims {
        return changed(format!(
            "the header now describes {} {} order, shape {:?}; it was {} {} order, shape {:?}",
            h.dtype.to_descr(),
            if h.fortran_order { "Fortran" } else { "C" },
            h.shape,
            o.dtype.to_descr(),
            if o.fortran_order { "Fortran" } else { "C" },
            old.shape()
        ));
    }
    if let Some(axis) = growth {
        if h.shape[axis] < old.shape()[axis] {
            return changed(format!(
                "the header now counts {} rows, fewer than the {} already mapped",
                h.shape[axis],
                old.shape()[axis]
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
#[allow(unsafe_code)]
fn map_data(file: &File, layout: &Layout, file_len: u64) -> Result<Option<Mmap>, Error> {
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
    // mapped. The remaining hazards are other programs: truncating the file below
    // `offset + len` makes reads fault (SIGBUS), and writing these bytes changes memory
    // behind shared references. Appending writers that follow `spec/npy-format.md`
    // do neither, and recovery cuts only bytes beyond what readers map; the crate
    // documentation, section "Safety", states exactly what is and is not covered
    // (finalising a 4.0 file while a reader refreshes is not).
    let map = unsafe { MmapOptions::new().offset(offset).len(map_len).map(file) }?;
    debug_assert_eq!(map.len(), map_len);
    debug_assert_eq!(map.as_ptr() as u64 % 64, offset % 64);
    Ok(Some(map))
}
