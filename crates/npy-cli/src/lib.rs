//! The library behind the `npy` command: read a `.npy` header from a file safely,
//! describe it for people and for programs, check that a file is consistent, print
//! arrays as NumPy does, change files through `npy-append`, and read the conformance
//! corpus.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`cli::run`]; everything
//! else lives here so it can be unit-tested.
//!
//! * [`read`] reads a header the safe way, with `npy-mmap`'s reader: at most
//!   [`npy_header::MAX_PREAMBLE_LEN`] bytes, then the length field is checked against
//!   the limit before any buffer is sized from it, then exactly the header text. The
//!   array data is never read: its length comes from the file's metadata.
//! * [`report`] works out everything `npy inspect` shows (shape resolved against the
//!   file size by the loader's [`npy_mmap::Layout`], expected and actual data bytes,
//!   trailing bytes and partial rows, warnings) and renders it as `key: value` lines or
//!   as one JSON object.
//! * [`descr`] turns a [`npy_header::Dtype`] into JSON that mirrors NumPy's
//!   `numpy.lib.format.dtype_to_descr` list exactly.
//! * [`validate`] finds `.npy` files under directories and gives a one-line verdict
//!   per file.
//! * [`print`](mod@print) writes an array as NumPy's `repr()` does, for `npy cat` and `npy head`;
//!   the arrays come from `npy-mmap` (files read whole, or stdin), or only the items
//!   shown are read from a large file ([`print::Shown`]). Files are never mapped.
//! * [`conformance`] is the reader `npy conformance` checks against the corpus; the
//!   corpus (built in) and the runner are the `npy-conformance` crate's.
//! * [`append`](mod@append) holds the commands that change files (`npy append`,
//!   `recover`, `ensure-appendable`, `finalize`, `convert`), backed by `npy-append`.
//! * [`cli`] holds the command-line definitions and the commands themselves.
//!
//! ```
//! use npy_cli::descr::descr_to_json;
//!
//! let text = "{'descr': [('a', '<i4'), ('', '|V4')], 'fortran_order': False, 'shape': (2,), }\n";
//! let mut file = b"\x93NUMPY\x01\x00".to_vec();
//! file.extend_from_slice(&u16::try_from(text.len()).unwrap().to_le_bytes());
//! file.extend_from_slice(text.as_bytes());
//! let parsed = npy_header::parse(&file)?;
//! assert_eq!(
//!     descr_to_json(parsed.header.dtype()).to_string(),
//!     r#"[["a","<i4"],["","|V4"]]"#
//! );
//! # Ok::<(), npy_header::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod append;
pub mod cli;
pub mod conformance;
pub mod descr;
pub mod print;
pub mod read;
pub mod report;
pub mod validate;
