//! The native part of the Python package `npy_append` (`npy_append._native`).
//!
//! A thin layer over the Rust crates: [`npy_append`] appends, recovers, makes
//! appendable, finalises and converts; [`npy_mmap`] resolves a header against the file
//! size (a 4.0 file's `-1`); [`npy_header`] parses and describes headers. Everything
//! NumPy-specific (dtypes, casting, building arrays) is in the Python package
//! (`python/npy_append/__init__.py`); this module only moves bytes and describes
//! headers, so that it follows the Rust crates' API with small changes.
//!
//! Errors become `npy_append.Error` (a `ValueError`) carrying the Rust message, with
//! `kind` (the Rust error kind's stable name) and `offset` (a byte offset in the file,
//! or `None`); I/O errors become `OSError` with the operating system's `errno` (so
//! `FileNotFoundError` and friends), also with `kind == "io"`. File I/O and syncs run
//! with the GIL released.

use pyo3::prelude::*;

mod descr;
mod errors;
mod files;
mod read;
mod writer;

pyo3::create_exception!(
    npy_append,
    Error,
    pyo3::exceptions::PyValueError,
    "A file or an argument that npy_append refuses. `kind` names what went wrong \
     (\"not_appendable\", \"needs_recovery\", \"locked\", \"shape_mismatch\", ...), \
     `offset` is the byte offset in the file where a header error was found, or None."
);

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add_class::<writer::Writer>()?;
    m.add_function(wrap_pyfunction!(read::layout, m)?)?;
    m.add_function(wrap_pyfunction!(read::layout_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(read::check_header, m)?)?;
    m.add_function(wrap_pyfunction!(read::header, m)?)?;
    m.add_function(wrap_pyfunction!(files::is_appendable, m)?)?;
    m.add_function(wrap_pyfunction!(files::needs_recovery, m)?)?;
    m.add_function(wrap_pyfunction!(files::ensure_appendable, m)?)?;
    m.add_function(wrap_pyfunction!(files::recover, m)?)?;
    m.add_function(wrap_pyfunction!(files::finalize, m)?)?;
    m.add_function(wrap_pyfunction!(files::convert, m)?)?;
    m.add("MAX_HEADER_LEN", npy_append::MAX_HEADER_LEN)?;
    m.add("DEFAULT_BUFFER_BYTES", npy_append::DEFAULT_BUFFER_BYTES)?;
    Ok(())
}
