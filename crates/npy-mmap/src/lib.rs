//! Read NumPy `.npy` files (format 1.0, 2.0, 3.0 and the proposed 4.0): into memory or
//! memory-mapped, typed slices in place, strides for C and Fortran order, structured
//! fields, a streaming reader for pipes, and a reader that follows a file while another
//! process appends to it.
//!
//! The header is parsed by [`npy_header`] with its limits; this crate adds the I/O.
//!
//! * [`NpyBuffer`] reads an array into memory: a file ([`NpyBuffer::read_file`]) or any
//!   [`std::io::Read`] (stdin, a pipe). It owns its bytes, so nothing another program
//!   does to the file can affect it.
//! * [`NpyFile::map`] opens a file and maps its data read-only instead. Opening reads the
//!   header and the file's size, never the data: it takes the same time for 4 KiB as
//!   for 4 GiB, and arrays larger than memory work (pages are read when touched).
//!   [`NpyFile::refresh`] extends the array to rows appended since. Mapping is
//!   `unsafe`: the caller promises that no other program truncates or overwrites the
//!   mapped data (see [Reading or mapping](#reading-or-mapping)).
//! * Both give a [`Layout`] (shape with a 4.0 `-1` resolved, strides, data and trailing
//!   bytes) and an [`ArrayView`]: raw bytes, row ranges, items by logical index,
//!   `&[T]` slices for plain numeric types ([`Element`]), converting copies, fields of
//!   structured dtypes ([`FieldView`]) and, with the `ndarray` feature,
//!   `ndarray::ArrayViewD`.
//!
//! # Reading a file
//!
//! ```
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
//! use npy_mmap::{NpyBuffer, NpyFile};
//!
//! let buffer = NpyBuffer::read_file(path)?; // (np.arange(12.0) / 4).reshape(3, 4), saved by NumPy
//! let layout = buffer.layout();
//! assert_eq!(layout.shape(), [3, 4]);
//! assert_eq!(layout.strides(), [32, 8]);
//! assert_eq!(layout.dtype().to_descr(), "'<f8'");
//!
//! let values: &[f64] = buffer.view().as_slice()?; // in place, no copy after the read
//! assert_eq!(values[5], 1.25);
//! let row = buffer.view().slice_rows(2..3)?; // the last row, still in place
//! assert_eq!(row.as_slice::<f64>()?, [2.0, 2.25, 2.5, 2.75]);
//!
//! // The same file mapped: only the header is read now, the data when it is touched.
//! // SAFETY: a sample file of this repository, which nothing truncates or writes while
//! // it is mapped.
//! let mapped = unsafe { NpyFile::map(path)? };
//! assert_eq!(mapped.layout(), buffer.layout());
//! assert_eq!(mapped.view().as_slice::<f64>()?, values);
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
//! let buffer = npy_mmap::NpyBuffer::read_file(path)?;
//! let view = buffer.view();
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
//! let buffer = npy_mmap::NpyBuffer::read_file(path)?;
//! let view = buffer.view();
//! let y = view.field("pos")?.field("y")?;
//! assert_eq!((y.offset(), y.stride()), (8, 34));
//! assert_eq!(y.to_vec::<f32>()?.len(), 2);
//! assert_eq!(view.field("Identifier")?.name(), "id"); // titles work too
//! # Ok::<(), npy_mmap::Error>(())
//! ```
//!
//! # Streaming from a pipe
//!
//! [`NpyBuffer::read`] reads from any `io::Read` and gives the same layout and views as
//! reading or mapping the file (the test suite reads every file mapped, from the file,
//! whole from a slice and one byte at a time, and compares).
//!
//! ```
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/v4_open_partial_row.npy");
//! let bytes = std::fs::read(path)?; // stands for io::stdin().lock()
//! let streamed = npy_mmap::NpyBuffer::read(&bytes[..])?;
//! let from_file = npy_mmap::NpyBuffer::read_file(path)?;
//! assert_eq!(streamed.layout(), from_file.layout());
//! assert_eq!(streamed.bytes(), from_file.bytes());
//! assert_eq!(streamed.layout().trailing_bytes(), 5); // a partial row, not exposed
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
//! # Reading or mapping
//!
//! [`NpyBuffer::read_file`] copies the array into memory. Whatever another program does
//! to the file meanwhile, the worst it can cause is an error or the file as it was.
//!
//! [`NpyFile::map`] maps the array instead, and a map shows the file as it is now, not
//! as it was when it was mapped. Two things another program can do to a mapped file
//! are beyond what Rust can check: truncate it (touching a page past the new end raises
//! `SIGBUS`, which kills the process) or overwrite mapped bytes (a slice would change
//! under a shared reference, which is undefined behaviour). So mapping is `unsafe`,
//! as memmap2's `Mmap::map` is. The "Safety" section of [`NpyFile::map`] states what
//! the caller promises, what this crate does to keep the promise small (it maps only
//! the array's bytes, never the header or a partial row), which writers keep it
//! (`npy-append`'s appends and recovery do), and what it does not cover. Map when the
//! file is large and only parts of it are needed, or when following a file that
//! another process appends to; read it otherwise, and always when something else may
//! truncate or rewrite it (`spec/` rule `S-8`).
//!
//! `unsafe` code in this crate is confined to the mapping: one call to memmap2, in a
//! function whose contract is the one [`NpyFile::map`] states.

#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
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
pub use crate::view::{ArrayView, COrderItems, FieldView, Items};
/// The Rust number types views give (from `npy-header`).
pub use npy_header::Element;

/// Reads or maps arrays with chosen header [`Limits`] (the defaults are
/// [`npy_header::Limits::default`]).
///
/// ```
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/structured_padded.npy");
/// use npy_header::HeaderParser;
/// use npy_mmap::Loader;
///
/// let strict = Loader::with_parser(HeaderParser::new().max_header_len(100));
/// let err = strict.read_file(path).unwrap_err();
/// assert_eq!(err.kind().name(), "header_too_long");
/// assert!(Loader::new().read_file(path).is_ok());
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
