//! Parse and emit the headers of NumPy `.npy` files, format 1.0, 2.0, 3.0 and the
//! proposed 4.0, byte-exact with NumPy and safe on untrusted input.
//!
//! This crate works on bytes the caller owns and does no I/O; the loader
//! (`npy-mmap`) and the appending writer (`npy-append`) stand on it.
//!
//! # Reading a header
//!
//! ```
//! use npy_header::{parse, Version};
//!
//! // A header as NumPy writes it for np.zeros((3, 4)).
//! let mut file = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
//! file.extend_from_slice(b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }");
//! file.resize(127, b' ');
//! file.push(b'\n');
//!
//! let parsed = parse(&file)?;
//! assert_eq!(parsed.version, Version::V1_0);
//! assert_eq!(parsed.header.fixed_shape(), Some(&[3, 4][..]));
//! assert_eq!(parsed.header.dtype().itemsize(), 8);
//! assert_eq!(parsed.data_offset(), 128);
//! # Ok::<(), npy_header::Error>(())
//! ```
//!
//! A reader that reads from a file should read [`MAX_PREAMBLE_LEN`] bytes, call
//! [`HeaderParser::parse_preamble`] (which checks the header length against the limit),
//! and only then size a buffer for the header text and call
//! [`HeaderParser::parse_text`].
//!
//! # Writing a header
//!
//! ```
//! use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar, Version};
//!
//! let dtype = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap());
//! let header = Header::new(dtype, false, vec![3, 4]);
//! let out = header.emit(None)?; // the oldest version that holds it, as NumPy chooses
//! assert_eq!(out.version, Version::V1_0);
//! assert_eq!(out.bytes.len() % 64, 0);
//! assert_eq!(npy_header::parse(&out.bytes)?.header, header);
//! # Ok::<(), npy_header::Error>(())
//! ```
//!
//! # Format 4.0
//!
//! A 4.0 header is a 3.0 header whose growth-axis length (axis 0 in C order, the last
//! axis in Fortran order) may be `-1`: the reader derives it from the data length.
//! Parsing one gives a header whose [`Header::is_open_ended`] is true (a writer builds
//! one with [`Header::open_ended`]); [`Header::resolve`] does the arithmetic with
//! checked math and reports a partial trailing row.
//!
//! ```
//! use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar, Version};
//!
//! let dtype = Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 2).unwrap());
//! let header = Header::open_ended(dtype, false, vec![10]); // shape (-1, 10)
//! let out = header.emit(None)?;
//! assert_eq!(out.version, Version::V4_0);
//! let resolved = npy_header::parse(&out.bytes)?.header.resolve(20 * 7 + 3)?;
//! assert_eq!(resolved.shape, [7, 10]);
//! assert_eq!(resolved.trailing_bytes, 3);
//! # Ok::<(), npy_header::Error>(())
//! ```
//!
//! # Input safety
//!
//! Every header is treated as hostile. The parser never panics, never sizes a buffer
//! from an unchecked number, and runs in time linear in the header length whatever its
//! nesting: it is a single-pass recursive-descent parser with one token of lookahead
//! and no backtracking. Every size read from the header is combined with checked
//! arithmetic. These [`Limits`] apply, each with its own [`ErrorKind`]:
//!
//! | limit | default | error kind |
//! |---|---|---|
//! | [`Limits::max_header_len`] | 10 000 bytes (NumPy's `max_header_size`), up to 2³²−1 | [`ErrorKind::HeaderTooLong`] |
//! | [`Limits::max_depth`] | 64 nested brackets, at most 200 (CPython's limit) | [`ErrorKind::NestTooDeep`] |
//! | [`Limits::max_dims`] | 64 (NumPy's `NPY_MAXDIMS`) | [`ErrorKind::TooManyDims`] |
//! | [`Limits::max_fields`] | 65 536 fields, all levels | [`ErrorKind::TooManyFields`] |
//! | [`Limits::max_data_bytes`] | 2⁶³−1 | [`ErrorKind::DataTooLarge`] |
//!
//! The header-length limit is checked against the length field, before the header
//! text is read. Memory use is at most a small constant times the header length.
//!
//! # Compatibility
//!
//! The reader accepts what NumPy's reader accepts (`ast.literal_eval` and its checks),
//! except where NumPy is looser than sense; each such difference is listed with its
//! reason in `spec/npy-format.md`, section "Deliberate differences". The writer's
//! output is byte-identical to NumPy ≥ 1.24's. Type codes whose size depends on the C
//! platform (`l`, `long`, …) are read as on LP64 systems (Linux, macOS). Field names are
//! escaped with the Unicode tables of this crate's `unicode-general-category`
//! dependency; Python versions with older tables differ only for characters assigned
//! since.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod descr;
mod dtype;
mod element;
mod emit;
mod error;
mod fast;
mod header;
mod limits;
mod literal;
mod parse;
mod repr;
mod typestr;
mod version;

pub use crate::dtype::{ByteOrder, Dtype, Field, Kind, Scalar, TimeUnit, MAX_ITEMSIZE};
pub use crate::element::Element;
pub use crate::emit::Emitted;
pub use crate::error::{Category, Error, ErrorKind};
pub use crate::header::{Header, Parsed, Resolved, Warning};
pub use crate::limits::Limits;
pub use crate::parse::{parse, HeaderParser};
pub use crate::repr::{python_str_repr, python_tuple};
pub use crate::version::{
    Preamble, Version, ARRAY_ALIGN, GROWTH_AXIS_MAX_DIGITS, MAGIC, MAX_DIM, MAX_PREAMBLE_LEN,
};
