//! Reading headers for `load` and `header`: parsed with the crates' limits, resolved
//! against the file size as the loader (`npy-mmap`) resolves them.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use npy_header::{HeaderParser, Parsed, MAGIC};
use npy_mmap::Layout;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::descr::{descr, Form};
use crate::errors::load_error;

/// A header and the length of the file (or buffer) it came from.
struct Found {
    parsed: Parsed,
    file_len: u64,
}

impl Found {
    /// Bytes after the header.
    fn data_len(&self) -> u64 {
        self.file_len.saturating_sub(self.parsed.data_offset())
    }

    /// The header resolved as the loader resolves it. An object array's data is one
    /// pickle, not items: its shape is the header's as it stands.
    fn resolve(&self, parser: &HeaderParser) -> Result<Layout, npy_mmap::Error> {
        let data_len = match self.parsed.header.data_bytes() {
            Ok(Some(n)) if self.parsed.header.dtype().has_object() => n,
            _ => self.data_len(),
        };
        Layout::new(self.parsed.clone(), data_len, parser.limits())
    }
}

/// Whether `path` starts with the `.npy` magic string; then its header and length.
fn read_file(path: &Path, parser: &HeaderParser) -> Result<Option<Found>, npy_mmap::Error> {
    let mut file = File::open(path)?;
    let mut magic = Vec::with_capacity(MAGIC.len());
    (&mut file)
        .take(MAGIC.len() as u64)
        .read_to_end(&mut magic)?;
    if magic[..] != MAGIC[..] {
        return Ok(None);
    }
    let parsed = npy_mmap::read_header(&mut magic.as_slice().chain(&mut file), parser)?;
    let file_len = file.metadata()?.len();
    Ok(Some(Found { parsed, file_len }))
}

fn parser(max_header_len: u64) -> HeaderParser {
    HeaderParser::new().max_header_len(max_header_len)
}

/// What `load` needs: `None` when the file is not a `.npy` file (no magic string: an
/// `.npz` archive or a pickle, left to `np.load`), else `(major version, descr,
/// fortran_order, shape, data_offset, has_object)` with a 4.0 `-1` resolved to the
/// whole rows present. An object array's shape is the header's.
#[pyfunction]
pub fn layout<'py>(
    py: Python<'py>,
    path: PathBuf,
    max_header_len: u64,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let parser = parser(max_header_len);
    let found = py
        .detach(|| read_file(&path, &parser))
        .map_err(|e| load_error(&e, Some(&path)))?;
    found
        .map(|found| describe(py, &found, &parser, Some(&path)))
        .transpose()
}

/// [`layout`] for the bytes of a whole file (a file object's contents): the data
/// length is what follows the header in `data`.
#[pyfunction]
pub fn layout_bytes<'py>(
    py: Python<'py>,
    data: &[u8],
    max_header_len: u64,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    if !data.starts_with(MAGIC) {
        return Ok(None);
    }
    let parser = parser(max_header_len);
    let parsed = parser
        .parse(data)
        .map_err(|e| load_error(&npy_mmap::Error::from(e), None))?;
    let found = Found {
        parsed,
        file_len: data.len() as u64,
    };
    describe(py, &found, &parser, None).map(Some)
}

/// Parses the header at the start of `data` (the whole header, with or without data
/// after it) and raises what the parser refuses. For file objects handed to `np.load`.
#[pyfunction]
pub fn check_header(data: &[u8], max_header_len: u64) -> PyResult<()> {
    parser(max_header_len)
        .parse(data)
        .map(drop)
        .map_err(|e| load_error(&npy_mmap::Error::from(e), None))
}

/// The tuple [`layout`] returns for a header found in a file of `path` (or a buffer).
fn describe<'py>(
    py: Python<'py>,
    found: &Found,
    parser: &HeaderParser,
    path: Option<&Path>,
) -> PyResult<Bound<'py, PyTuple>> {
    let header = &found.parsed.header;
    let has_object = header.dtype().has_object();
    let layout = found.resolve(parser).map_err(|e| load_error(&e, path))?;
    // An object array's shape is the header's as it stands (its data is a pickle).
    let shape = match header.fixed_shape().filter(|_| has_object) {
        Some(shape) => shape,
        None => layout.shape(),
    };
    (
        found.parsed.version.major(),
        descr(py, header.dtype(), Form::Tuples)?,
        header.fortran_order(),
        PyTuple::new(py, shape)?,
        found.parsed.data_offset(),
        has_object,
    )
        .into_pyobject(py)
}

/// `npy inspect --json FILE` as a dict: the same keys, in the same order, with the
/// same values (`json.loads` of the tool's output equals it). A header that cannot be
/// read raises (the tool prints `{"file", "error"}` and exits 1).
#[pyfunction]
pub fn header<'py>(
    py: Python<'py>,
    path: PathBuf,
    name: &str,
    max_header_len: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let parser = parser(max_header_len);
    let found = py
        .detach(|| -> Result<Found, npy_mmap::Error> {
            let mut file = File::open(&path)?;
            let parsed = npy_mmap::read_header(&mut file, &parser)?;
            let file_len = file.metadata()?.len();
            Ok(Found { parsed, file_len })
        })
        .map_err(|e| load_error(&e, Some(&path)))?;
    let resolution = found.resolve(&parser);
    let p = &found.parsed;
    let h = &p.header;
    let pickled = h.dtype().has_object();

    let header_shape = h.written_shape();
    let expected_data_bytes = if pickled {
        None
    } else {
        match &resolution {
            Ok(layout) => Some(layout.data_bytes()),
            Err(_) => h.data_bytes().ok().flatten(),
        }
    };
    let mut warnings: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
    if let (Ok(layout), false) = (&resolution, pickled) {
        if layout.has_partial_row() {
            warnings.push(format!(
                "partial trailing row of {} (rows are {}; an append in progress or interrupted?)",
                bytes(layout.trailing_bytes()),
                bytes(layout.row_bytes())
            ));
        } else if layout.trailing_bytes() > 0 {
            warnings.push(format!(
                "{} after the array data (NumPy ignores them)",
                bytes(layout.trailing_bytes()).replace("byte", "extra byte")
            ));
        }
    }

    let d = PyDict::new(py);
    d.set_item("file", name)?;
    d.set_item("version", p.version.to_string())?;
    d.set_item("dtype", h.dtype().to_string())?;
    d.set_item("descr", descr(py, h.dtype(), Form::Lists)?)?;
    d.set_item("descr_repr", h.dtype().to_descr())?;
    d.set_item("fortran_order", h.fortran_order())?;
    d.set_item(
        "shape",
        resolution
            .as_ref()
            .ok()
            .map(|l| PyList::new(py, l.shape()))
            .transpose()?,
    )?;
    d.set_item("header_shape", PyList::new(py, header_shape)?)?;
    d.set_item("open_ended", h.is_open_ended())?;
    d.set_item("header_len", p.header_len)?;
    d.set_item("data_offset", p.data_offset())?;
    d.set_item("itemsize", h.dtype().itemsize())?;
    d.set_item("row_bytes", h.row_bytes().ok())?;
    d.set_item("expected_data_bytes", expected_data_bytes)?;
    d.set_item("data_bytes", found.data_len())?;
    d.set_item(
        "trailing_bytes",
        resolution
            .as_ref()
            .ok()
            .filter(|_| !pickled)
            .map(Layout::trailing_bytes),
    )?;
    d.set_item("warnings", PyList::new(py, warnings)?)?;
    if let Err(e) = &resolution {
        let err = PyDict::new(py);
        err.set_item("kind", e.kind().name())?;
        err.set_item("offset", e.offset())?;
        err.set_item("message", e.message())?;
        d.set_item("error", err)?;
    }
    Ok(d)
}

/// `1 byte`, `2 bytes`.
fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}
