//! Operations on files by path: the checks npy-append-array offers
//! (`is_appendable`, `needs_recovery`) and the repairs of `npy-append` (`recover`,
//! `ensure_appendable`, `finalize`, `convert`). Each runs with the GIL released and
//! returns what the Rust function reports, as a dict.

use std::path::{Path, PathBuf};

use npy_append::{Adopt, EnsureMode, RecoverOptions};
use npy_header::Version;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::{refuse, OrRaise};

/// [`npy_append::status`] of `path`, read with the GIL released: the writer's own
/// checks, without its lock.
fn status(py: Python<'_>, path: &Path) -> PyResult<npy_append::Status> {
    py.detach(|| npy_append::status(path)).or_raise()
}

/// Whether the writer can continue `path` as its header stands: a valid header of an
/// array with a growth axis (not 0-d), no Python objects, and room in the header for
/// a longer count (NumPy's layout since 1.24; a 4.0 header never needs any). Whether
/// the data matches the header is [`needs_recovery`]'s question.
#[pyfunction]
pub fn is_appendable(py: Python<'_>, path: PathBuf) -> PyResult<bool> {
    Ok(status(py, &path)?.is_appendable())
}

/// Whether `path` must be recovered before it can be appended to: an interrupted
/// operation left a journal beside it, or its data is not what its header says (a 4.0
/// file: a partial trailing row). Arrays without rows (0-d, or a pickle of objects)
/// never need it.
#[pyfunction]
pub fn needs_recovery(py: Python<'_>, path: PathBuf) -> PyResult<bool> {
    Ok(status(py, &path)?.needs_recovery())
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

/// `npy_append::recover` with npy-append-array's `zerofill_incomplete`, keeping every
/// whole row the file holds (or, `counted`, only the rows its header counts), and the
/// header of the file `like` when the file's own does not parse.
#[pyfunction]
#[pyo3(signature = (path, zerofill_incomplete, like=None, counted=false))]
pub fn recover<'py>(
    py: Python<'py>,
    path: PathBuf,
    zerofill_incomplete: bool,
    like: Option<PathBuf>,
    counted: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let mut opts = RecoverOptions::new()
        .zerofill_incomplete(zerofill_incomplete)
        .adopt(if counted {
            Adopt::Counted
        } else {
            Adopt::WholeRows
        });
    if let Some(like) = like {
        opts = py.detach(|| opts.template_file(like)).or_raise()?;
    }
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
