//! Read NumPy `.npy` files (format 1.0, 2.0, 3.0 and the proposed 4.0) without copying:
//! memory-mapped views of the data, typed slices, strides for C and Fortran order,
//! structured fields, a streaming reader for pipes, and a reader that follows a file
//! while another process appends to it.
//!
//! The header is parsed by [`npy_header`] with its limits; this crate adds the I/O.
//!
//! * [`NpyFile`] opens a file and maps its data read-only. Opening reads the header
//!   and the file's size, never the data: it takes the same time for 4 KiB as for
//!   4 GiB, and arrays larger than memory work (pages are read when touched).
//!   [`NpyFile::refresh`] extends the array to rows appended since.
//! * [`NpyBuffer`] reads the same into memory: a file ([`NpyBuffer::read_file`]) or any
//!   [`std::io::Read`] (stdin, a pipe).
//! * Both give a [`Layout`] (shape with a 4.0 `-1` resolved, strides, data and trailing
//!   bytes) and an [`ArrayView`]: raw bytes, row ranges, items by logical index,
//!   `&[T]` slices for plain numeric types ([`Element`]), converting copies, fields of
//!   structured dtypes ([`FieldView`]) and, with the `ndarray` feature,
//!   `ndarray::ArrayViewD`.
//!
//! # Opening a file
//!
//! ```
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
//! use npy_mmap::NpyFile;
//!
//! let file = NpyFile::open(path)?; // (np.arange(12.0) / 4).reshape(3, 4), saved by NumPy
//! let layout = file.layout();
//! assert_eq!(layout.shape(), [3, 4]);
//! assert_eq!(layout.strides(), [32, 8]);
//! assert_eq!(layout.dtype().to_descr(), "'<f8'");
//!
//! let values: &[f64] = file.view().as_slice()?; // in place, no copy
//! assert_eq!(values[5], 1.25);
//! let row = file.view().slice_rows(2..3)?; // the last row, still in place
//! assert_eq!(row.as_slice::<f64>()?, [2.0, 2.25, 2.5, 2.75]);
//! # Ok::<(), npy_mmap::Error>(())
//! ```
//!
//! # Byte order, Fortran order and logical indices
//!
//! A `&[T]` view needs the file's byte order to be this machine's; [`ArrayView::to_vec`]
//! copies and swaps otherwise. Slices and [`ArrayView::items`] are in storage order;
//! [`ArrayView::item`] and [`ArrayView::items_c_order`] take logical indices through the
//! strides, as NumPy's `arr[i, j]` and `arr.flat` do.
//!
//! ```
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/fortran_be_i2.npy");
//! // np.asfortranarray(np.arange(-3, 3, dtype='>i2').reshape(2, 3)), saved by NumPy:
//! // [[-3, -2, -1], [0, 1, 2]]
//! let file = npy_mmap::NpyFile::open(path)?;
//! let view = file.view();
//! assert!(view.fortran_order());
//! assert_eq!(view.strides(), [2, 4]);
//! # if cfg!(target_endian = "little") {
//! assert!(view.as_slice::<i16>().is_err()); // big-endian data on a little-endian machine
//! # }
//! assert_eq!(view.to_vec::<i16>()?, [-3, 0, -2, 1, -1, 2]); // storage (column) order
//! assert_eq!(view.item(&[0, 1]), Some(&[0xff, 0xfe][..])); // arr[0, 1] == -2, big-endian
//! let flat: Vec<&[u8]> = view.items_c_order().collect(); // arr.flat: -3, -2, -1, 0, 1, 2
//! assert_eq!(flat[2], [0xff, 0xff]);
//! # Ok::<(), npy_mmap::Error>(())
//! ```
//!
//! # Structured dtypes
//!
//! ```
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/structured_nested.npy");
//! // [(('Identifier', 'id'), '<u4'), ('pos', [('x', '<f4'), ('y', '<f4')]), ...]
//! let file = npy_mmap::NpyFile::open(path)?;
//! let view = file.view();
//! let y = view.field("pos")?.field("y")?;
//! assert_eq!((y.offset(), y.stride()), (8, 34));
//! assert_eq!(y.to_vec::<f32>()?.len(), 2);
//! assert_eq!(view.field("Identifier")?.name(), "id"); // titles work too
//! # Ok::<(), npy_mmap::Error>(())
//! ```
//!
//! # Streaming from a pipe
//!
//! [`NpyBuffer`] reads from any `io::Read` and gives the same layout and views as the
//! map (the test suite reads every file whole, one byte at a time, and mapped, and
//! compares).
//!
//! ```
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/v4_open_partial_row.npy");
//! let bytes = std::fs::read(path)?; // stands for io::stdin().lock()
//! let buffer = npy_mmap::NpyBuffer::read(&bytes[..])?;
//! let mapped = npy_mmap::NpyFile::open(path)?;
//! assert_eq!(buffer.layout(), mapped.layout());
//! assert_eq!(buffer.bytes(), mapped.bytes());
//! assert_eq!(buffer.layout().trailing_bytes(), 5); // a partial row, not exposed
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Following a growing file
//!
//! A 4.0 file with a `-1` in its shape grows by whole rows appended at its end
//! (`V4-5`); a 1.0–3.0 file grows by rows appended and then a header rewritten in place
//! (`A-4`). [`NpyFile::refresh`] follows both; see its documentation for an example and
//! the exact rules. A partial trailing row (a writer mid-append) is never part of the
//! array; [`Layout::has_partial_row`] reports it.
//!
//! # The `ndarray` feature
//!
//! `ArrayView::to_ndarray` returns an `ndarray::ArrayViewD` with the array's shape and
//! its C or Fortran strides, in place, under the conditions of [`ArrayView::as_slice`].
//!
//! # Input safety
//!
//! Files are untrusted. The header is read as [`read_header`] describes: the length
//! field is checked against [`npy_header::Limits::max_header_len`] before anything is
//! sized from it, and the parser's limits (header length, nesting, dimensions, fields,
//! declared data bytes) apply as [`npy_header`] documents; set them with [`Loader`].
//! Then:
//!
//! | check | error kind |
//! |---|---|
//! | the data the shape needs is compared with the file's size before mapping or reading it (`R-10`) | [`ErrorKind::DataTooShort`] |
//! | a 4.0 array's derived size is within [`npy_header::Limits::max_data_bytes`] (`V4-4`) | [`ErrorKind::DataTooLarge`] |
//! | the item count fits in 2⁶³−1 (only `\|V0` items can break it once `H-8` holds) | [`ErrorKind::DataTooLarge`] |
//! | the data fits this platform's address space | [`ErrorKind::DataTooLarge`] |
//! | object dtypes (pickles) are refused, never unpickled (`R-11`) | [`ErrorKind::ObjectDtype`] |
//!
//! [`NpyBuffer::read`] grows its memory with the bytes that arrive, never from the
//! header's claims, and keeps at most the array's bytes (for an open-ended stream, at
//! most the data limit plus a row); [`NpyBuffer::read_file`] sizes its memory once, from
//! the array's bytes after they were checked against the file's size and the limit. Every size is computed with checked arithmetic; indexing
//! returns `None` or an error, never panics, on bad input.
//!
//! # Alignment
//!
//! A `&[T]` view needs the data's address to be a multiple of `T`'s alignment; this
//! crate checks it and returns [`ErrorKind::Unaligned`] rather than casting an
//! unaligned pointer ([`ArrayView::to_vec`] copies instead). Both readers place the
//! data at an address congruent to its file offset (the map modulo the page size, the
//! buffer modulo 8), so the answer depends only on the file: files NumPy writes have
//! data offsets that are multiples of 64 and always pass; files others write may not.
//! The casts themselves are `bytemuck`'s checked casts, not hand-written `unsafe`.
//!
//! # Safety: memory maps and files that change
//!
//! A map shows the file as it is now, not as it was when it was mapped. Two things
//! another process can do to a mapped file are beyond what Rust can check:
//!
//! * **truncate it** below the mapped range: touching a page past the new end raises
//!   `SIGBUS`, which kills the process (it is not a panic and not an error this crate
//!   could return);
//! * **overwrite mapped bytes**: a slice from this crate would change under a shared
//!   reference.
//!
//! What this crate guarantees:
//!
//! * It maps only the array's bytes, `[data_offset, data_offset + data_bytes)`, below the
//!   file size it observed after reading the header: never the header (which 1.0–3.0
//!   appenders rewrite in place), never a partial trailing row (which a writer is still
//!   writing), nothing at all for an empty array. So a file that only grows, or whose
//!   header alone is rewritten, never faults and never changes under a reference.
//! * [`NpyFile::refresh`] never extends the map beyond the size it observes, and refuses
//!   ([`ErrorKind::Shrunk`]) a file that became shorter than the map. It cannot make an
//!   existing map safe again: after `Shrunk`, drop the `NpyFile`.
//!
//! What it relies on, for files written as `spec/npy-format.md` prescribes (checked
//! against the `npy-append` crate):
//!
//! * An open-ended 4.0 file only grows, by whole rows at its end; its header and data
//!   are not modified while it is open-ended (`V4-5`). A partial row being written is
//!   never mapped.
//! * A 1.0–3.0 append writes rows after the data and then rewrites the header (`A-4`),
//!   so no mapped byte changes. When the new count has more digits, `npy-append`
//!   journals the rewrite in a file beside the array (`NAME-journal`), never in it:
//!   nothing but rows is ever past an array's data.
//! * Recovery (`A-7`) keeps every row a reader can have mapped: it truncates to
//!   `min(h, f)` rows (`h` the header's count, `f` the whole rows in the file) or, by
//!   default in `npy-append`, to `f`; a reader maps at most the count of a header it
//!   read, that count's data was written before the count, and counts only grow.
//!   Zero-filling a partial row only grows the file.
//!
//! What is not guaranteed:
//!
//! * A 4.0 file being finalised or converted (`V4-7`) while a reader follows it: the
//!   rows stay as they are (`npy-append` journals beside the file, and cuts only a
//!   partial row, which is never mapped), but the header changes under the reader:
//!   a 4.0 view's `refresh` reads only the size, so it keeps seeing the file as 4.0
//!   until it is opened again.
//! * Files changed by other programs: `np.save` to the same path truncates the file
//!   and writes it anew; `truncate(1)`; editors; an in-place `ensure_appendable`
//!   (npy-append-array's or `npy-append`'s), which moves the data. Reading such a file
//!   while it is rewritten may crash the process.
//! * A 1.0–3.0 header read while a writer rewrites it can be torn. `refresh` reads the
//!   header twice around the size and requires both reads to agree, and any count it
//!   accepts must be backed by the file's size; a torn count that passes both checks
//!   (two identical torn reads) would be exposed, and a later recovery could cut below
//!   it. This needs two rewrites torn at the same byte and is not known to happen.
//! * After a power loss the disk may hold an older or torn header; readers of the old
//!   file do not survive that, and recovery is then the writer's business.
//!
//! If a file may be truncated or rewritten by something else, read it with
//! [`NpyBuffer`] (a copy; `spec/` rule `S-8`), or hold a lock that keeps writers out.

#![deny(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod layout;
mod mmap;
mod stream;
mod view;

use std::io::Read;
use std::path::Path;

use npy_header::{HeaderParser, Limits};

pub use crate::error::{Error, ErrorKind};
pub use crate::layout::{read_header, Layout};
pub use crate::mmap::NpyFile;
pub use crate::stream::NpyBuffer;
pub use crate::view::{ArrayView, COrderItems, Element, FieldView, Items};

/// Opens or reads arrays with chosen header [`Limits`] (the defaults are
/// [`npy_header::Limits::default`]).
///
/// ```
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/structured_padded.npy");
/// use npy_header::HeaderParser;
/// use npy_mmap::Loader;
///
/// let strict = Loader::with_parser(HeaderParser::new().max_header_len(100));
/// let err = strict.open(path).unwrap_err();
/// assert_eq!(err.kind_name(), "header_too_long");
/// assert!(Loader::new().open(path).is_ok());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Loader {
    parser: HeaderParser,
}

impl Loader {
    /// A loader with the default limits.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// A loader with these limits.
    pub fn with_limits(limits: Limits) -> Loader {
        Loader::with_parser(HeaderParser::with_limits(limits))
    }

    /// A loader that parses headers with `parser`.
    pub fn with_parser(parser: HeaderParser) -> Loader {
        Loader { parser }
    }

    /// The header parser (and its limits).
    pub fn parser(&self) -> &HeaderParser {
        &self.parser
    }

    /// Opens `path` and maps its data (see [`NpyFile`]). Errors carry the path.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<NpyFile, Error> {
        NpyFile::open_with(path.as_ref(), &self.parser)
    }

    /// Reads the array in the file at `path` into memory (see
    /// [`NpyBuffer::read_file`]). Errors carry the path.
    pub fn read_file(&self, path: impl AsRef<Path>) -> Result<NpyBuffer, Error> {
        NpyBuffer::read_file_with(path.as_ref(), &self.parser)
    }

    /// Reads an array from `reader` into memory (see [`NpyBuffer`]).
    pub fn read<R: Read>(&self, reader: R) -> Result<NpyBuffer, Error> {
        NpyBuffer::read_with(reader, &self.parser)
    }
}
