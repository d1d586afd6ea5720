//! Operations on files by path: the checks npy-append-array offers
//! (`is_appendable`, `needs_recovery`) and the repairs of `npy-append` (`recover`,
//! `ensure_appendable`, `finalize`, `convert`). Each runs with the GIL released and
//! returns what the Rust function reports, as a dict.

use std::fs::File;
use std::path::{Path, PathBuf};

use npy_append::{EnsureMode, RecoverOptions, Sidecar};
use npy_header::{HeaderParser, Parsed, Version};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::{io_error, load_error, refuse, OrRaise};

/// The header of `path` and the file's length, read with the writer's header-length
/// limit ([`npy_append::MAX_HEADER_LEN`]).
fn read(py: Python<'_>, path: &Path) -> PyResult<(Parsed, u64)> {
    let parser = HeaderParser::new().max_header_len(npy_append::MAX_HEADER_LEN);
    py.detach(|| -> Result<(Parsed, u64), npy_mmap::Error> {
        let mut file = File::open(path)?;
        let parsed = npy_mmap::read_header(&mut file, &parser)?;
        Ok((parsed, file.metadata()?.len()))
    })
    .map_err(|e| load_error(&e, Some(path)))
}

/// Whether the writer can continue `path` as its header stands: a valid header of an
/// array with a growth axis (not 0-d), no Python objects, and room in the header for
/// a longer count (NumPy's layout since 1.24; a 4.0 header never needs any). Whether
/// the data matches the header is [`needs_recovery`]'s question.
#[pyfunction]
pub fn is_appendable(py: Python<'_>, path: PathBuf) -> PyResult<bool> {
    let (parsed, _) = read(py, &path)?;
    let h = &parsed.header;
    if h.dtype().has_object() || h.growth_axis().is_none() {
        return Ok(false);
    }
    if h.is_open_ended() {
        return Ok(true);
    }
    // The writer's own test: NumPy's header for the current shape, in the file's
    // version, fits in the space the header has.
    Ok(h.emit(Some(parsed.version))
        .is_ok_and(|e| e.bytes.len() as u64 <= parsed.data_offset()))
}

/// Whether `path` must be recovered before it can be appended to: an interrupted
/// operation left a journal beside it, or its data is not what its header says (a 4.0
/// file: a partial trailing row). Object arrays (a pickle) never need it.
#[pyfunction]
pub fn needs_recovery(py: Python<'_>, path: PathBuf) -> PyResult<bool> {
    let journal = Sidecar::beside(&path)
        .map_err(|e| io_error("cannot locate the recovery journal", &path, &e))?;
    match std::fs::metadata(journal.path()) {
        Ok(m) if m.len() > 0 => return Ok(true),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("cannot read the recovery journal", &path, &e)),
    }
    let (parsed, file_len) = read(py, &path)?;
    let h = &parsed.header;
    if h.dtype().has_object() {
        return Ok(false);
    }
    let data_len = file_len.saturating_sub(parsed.data_offset());
    let bad = |e: npy_header::Error| crate::errors::header_error(&e, Some(&path));
    if h.is_open_ended() {
        let row = h.row_bytes().map_err(bad)?;
        return Ok(row != 0 && data_len % row != 0);
    }
    let need = h.data_bytes().map_err(bad)?.unwrap_or(0);
    Ok(data_len != need)
}

/// `npy_append::ensure_appendable`, in place or into a new file renamed over the old.
#[pyfunction]
pub fn ensure_appendable<'py>(
    py: Python<'py>,
    path: PathBuf,
    inplace: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let mode = if inplace {
        EnsureMode::InPlace
    } else {
        EnsureMode::Replace
    };
    let done = py
        .detach(|| npy_append::ensure_appendable(&path, mode))
        .or_raise()?;
    let d = PyDict::new(py);
    d.set_item("version", done.version.to_string())?;
    d.set_item("already", done.already)?;
    d.set_item("header_growth", done.header_growth)?;
    d.set_item("data_bytes", done.data_bytes)?;
    d.set_item("method", done.method.to_string())?;
    d.set_item("header_len", done.header_len)?;
    Ok(d)
}

/// `npy_append::recover` with the default policy (every whole row the file holds,
/// crash-safe) and npy-append-array's `zerofill_incomplete`.
#[pyfunction]
pub fn recover<'py>(
    py: Python<'py>,
    path: PathBuf,
    zerofill_incomplete: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = RecoverOptions::new().zerofill_incomplete(zerofill_incomplete);
    let done = py.detach(|| npy_append::recover(&path, &opts)).or_raise()?;
    let d = PyDict::new(py);
    d.set_item("version", done.version.to_string())?;
    d.set_item("shape", PyTuple::new(py, &done.shape)?)?;
    d.set_item("header_rows", done.header_rows)?;
    d.set_item("rows", done.rows)?;
    d.set_item("truncated_bytes", done.truncated_bytes)?;
    d.set_item("zero_filled_bytes", done.zero_filled_bytes)?;
    d.set_item("replayed", done.replayed.map(|r| format!("{r:?}")))?;
    d.set_item("changed", done.changed())?;
    Ok(d)
}

fn converted<'py>(py: Python<'py>, done: &npy_append::Converted) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("from", done.from.to_string())?;
    d.set_item("to", done.to.to_string())?;
    d.set_item("shape", PyTuple::new(py, &done.shape)?)?;
    d.set_item("in_place", done.in_place)?;
    d.set_item("trimmed_bytes", done.trimmed_bytes)?;
    d.set_item("header_len", done.header_len)?;
    d.set_item("lost_room", done.lost_room)?;
    Ok(d)
}

/// `npy_append::finalize`: a 4.0 file into the version NumPy reads.
#[pyfunction]
pub fn finalize<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let done = py.detach(|| npy_append::finalize(&path)).or_raise()?;
    converted(py, &done)
}

/// `npy_append::convert` to format `version` (1 to 4).
#[pyfunction]
pub fn convert<'py>(py: Python<'py>, path: PathBuf, version: u8) -> PyResult<Bound<'py, PyDict>> {
    let to = version_of(version)?;
    let done = py.detach(|| npy_append::convert(&path, to)).or_raise()?;
    converted(py, &done)
}

/// The format version `major`.0.
pub fn version_of(major: u8) -> PyResult<Version> {
    Version::from_bytes(major, 0).ok_or_else(|| {
        refuse(
            "parameter",
            None,
            &format!("format version {major} does not exist: use 1, 2, 3 or 4"),
        )
    })
}
