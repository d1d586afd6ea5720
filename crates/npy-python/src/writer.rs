//! `Writer`: an [`npy_append::Appender`] for Python.
//!
//! The Python class `NpyAppendArray` holds one. Its `append` is the hot path: for an
//! `ndarray` whose dtype equals the file's and whose shape matches except on the
//! growth axis, the bytes are taken in the file's order (`tobytes`) and appended with
//! the GIL released, without going through Python code. Anything else (another dtype,
//! another type, a mismatch) returns `False`, and the Python layer converts the array
//! (casting rules, error messages) and calls again.

use std::fs::File;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use npy_append::{Appender, Cast, Durability, HeaderPolicy, NewArray, Options};
use npy_header::{HeaderParser, Version};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyTuple, PyType};

use crate::descr::{descr, Form};
use crate::errors::{refuse, OrRaise};
use crate::files::version_of;

static NDARRAY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Arrays of at least this many bytes are appended from their own memory when they
/// are contiguous in the file's order; smaller ones are copied (`tobytes`), which is
/// cheaper than asking NumPy for the address.
const ZERO_COPY_MIN: usize = 64 << 10;
static DESCR_TO_DTYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An open writer of one `.npy` file.
#[pyclass(frozen, module = "npy_append._native")]
pub struct Writer {
    /// `None` once closed.
    app: RwLock<Option<Appender<File>>>,
    path: PathBuf,
    /// The dimensions other than the growth axis.
    row_shape: Vec<u64>,
    axis: usize,
    fortran: bool,
    row_bytes: u64,
    version: Version,
    /// The file's dtype as NumPy sees it (`descr_to_dtype` of its descr).
    dtype: Py<PyAny>,
    /// Rows when closed.
    closed_rows: AtomicU64,
}

fn options(durability: &str, every_write: bool, buffer_bytes: usize) -> PyResult<Options> {
    let durability = match durability {
        "none" => Durability::None,
        "synced" => Durability::Synced,
        other => {
            return Err(refuse(
                "parameter",
                None,
                &format!("durability must be \"none\" or \"synced\", not {other:?}"),
            ))
        }
    };
    let policy = if every_write {
        HeaderPolicy::EveryWrite
    } else {
        HeaderPolicy::OnFlush
    };
    Ok(Options::new()
        .durability(durability)
        .header_policy(policy)
        .buffer_bytes(buffer_bytes))
}

/// The dtype `descr_text` (Python's `repr` of NumPy's descr, as NumPy writes it in a
/// header) in the form the writer takes, read by this project's header parser.
fn parse_descr(descr_text: &str) -> PyResult<npy_header::Dtype> {
    HeaderParser::new()
        .max_header_len(npy_append::MAX_HEADER_LEN)
        .parse_descr(descr_text)
        .map_err(|e| {
            refuse(
                e.kind().name(),
                None,
                &format!(
                    "this dtype cannot be written to a .npy file: {}",
                    e.message()
                ),
            )
        })
}

impl Writer {
    fn new(py: Python<'_>, app: Appender<File>, path: PathBuf) -> PyResult<Writer> {
        let header = app.header();
        let axis = header.growth_axis().ok_or_else(|| {
            refuse(
                "no_growth_axis",
                Some(&path),
                "a 0-d array has no axis to append along",
            )
        })?;
        let to_dtype = DESCR_TO_DTYPE.get_or_try_init(py, || {
            py.import("numpy.lib.format")?
                .getattr("descr_to_dtype")
                .map(Bound::unbind)
        })?;
        let dtype = to_dtype
            .bind(py)
            .call1((descr(py, header.dtype(), Form::Tuples)?,))?
            .unbind();
        Ok(Writer {
            row_shape: header.row_shape().to_vec(),
            axis,
            fortran: header.fortran_order(),
            row_bytes: app.row_bytes(),
            version: app.version(),
            dtype,
            path,
            closed_rows: AtomicU64::new(0),
            app: RwLock::new(Some(app)),
        })
    }

    /// The address of `arr`'s data when it is laid out as the file's rows (contiguous
    /// in the file's order) and holds `len` bytes; `None` when it must be copied.
    fn contiguous_data(
        &self,
        py: Python<'_>,
        arr: &Bound<'_, PyAny>,
        len: usize,
    ) -> PyResult<Option<usize>> {
        let flags = arr.getattr(intern!(py, "flags"))?;
        let order = if self.fortran && !self.row_shape.is_empty() {
            intern!(py, "f_contiguous")
        } else {
            intern!(py, "c_contiguous")
        };
        if !flags.getattr(order)?.is_truthy()?
            || arr.getattr(intern!(py, "nbytes"))?.extract::<usize>()? != len
        {
            return Ok(None);
        }
        let interface = arr.getattr(intern!(py, "__array_interface__"))?;
        let (ptr, _read_only): (usize, bool) =
            interface.get_item(intern!(py, "data"))?.extract()?;
        Ok((ptr != 0).then_some(ptr))
    }

    fn app(&self) -> RwLockReadGuard<'_, Option<Appender<File>>> {
        self.app.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn closed_error(&self) -> PyErr {
        refuse(
            "closed",
            Some(&self.path),
            "this NpyAppendArray is closed: open a new one to append more",
        )
    }

    /// Runs `f` on the open writer with the GIL released.
    fn with_app<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Appender<File>) -> npy_append::Result<T> + Send,
    ) -> PyResult<T> {
        let r = py.detach(|| self.app().as_ref().map(f));
        match r {
            None => Err(self.closed_error()),
            Some(r) => r.or_raise(),
        }
    }
}

#[pymethods]
impl Writer {
    /// Creates `path` (which must not exist) for rows of `row_shape` (the dimensions
    /// other than the growth axis, in axis order) of the dtype whose NumPy descr is
    /// `descr_text`, and takes its lock.
    #[staticmethod]
    #[pyo3(signature = (path, descr_text, fortran_order, row_shape, version, durability, every_write, buffer_bytes))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        py: Python<'_>,
        path: PathBuf,
        descr_text: &str,
        fortran_order: bool,
        row_shape: Vec<u64>,
        version: Option<u8>,
        durability: &str,
        every_write: bool,
        buffer_bytes: usize,
    ) -> PyResult<Writer> {
        let opts = options(durability, every_write, buffer_bytes)?;
        let mut new =
            NewArray::new(parse_descr(descr_text)?, row_shape).fortran_order(fortran_order);
        if let Some(v) = version {
            new = new.version(version_of(v)?);
        }
        let app = py
            .detach(|| Appender::create(&path, &new, opts))
            .or_raise()?;
        Writer::new(py, app, path)
    }

    /// Opens `path` to continue it, taking its lock; refuses a file that is not
    /// appendable or needs recovery (the error says which function to run).
    #[staticmethod]
    #[pyo3(signature = (path, durability, every_write, buffer_bytes))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        durability: &str,
        every_write: bool,
        buffer_bytes: usize,
    ) -> PyResult<Writer> {
        let opts = options(durability, every_write, buffer_bytes)?;
        let app = py.detach(|| Appender::open(&path, opts)).or_raise()?;
        Writer::new(py, app, path)
    }

    /// Appends `arr` if it needs no conversion: an `ndarray` (not a subclass) of the
    /// file's dtype whose shape matches except on the growth axis, with rows of more
    /// than 0 bytes. Returns `False` (nothing appended) otherwise.
    fn append(&self, py: Python<'_>, arr: &Bound<'_, PyAny>) -> PyResult<bool> {
        let ndarray = NDARRAY.import(py, "numpy", "ndarray")?;
        if !arr.get_type().is(ndarray) || self.row_bytes == 0 {
            return Ok(false);
        }
        let dtype = arr.getattr(intern!(py, "dtype"))?;
        let file_dtype = self.dtype.bind(py);
        if !dtype.is(file_dtype) && !dtype.eq(file_dtype)? {
            return Ok(false);
        }
        let shape = arr.getattr(intern!(py, "shape"))?;
        let shape = shape.cast::<PyTuple>()?;
        if shape.len() != self.row_shape.len() + 1 {
            return Ok(false);
        }
        let mut row = self.row_shape.iter();
        for (i, d) in shape.iter().enumerate() {
            if i != self.axis && Some(&d.extract::<u64>()?) != row.next() {
                return Ok(false);
            }
        }
        let rows = shape.get_item(self.axis)?.extract::<u64>()?;
        let len = rows
            .checked_mul(self.row_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| refuse("too_large", Some(&self.path), "the array is too large"))?;
        if len >= ZERO_COPY_MIN {
            if let Some(ptr) = self.contiguous_data(py, arr, len)? {
                // SAFETY: `ptr` is the data pointer NumPy reports for `arr`, an exact
                // ndarray that is contiguous in the file's order and holds `len` bytes
                // (its shape and itemsize were checked above; `contiguous_data` checks
                // `nbytes`). `arr` is borrowed for the whole call, so the array and its
                // memory stay alive while the slice is used. As with NumPy's own
                // `tofile`, which also releases the GIL while it reads an array's
                // memory, another thread that writes to the array meanwhile makes the
                // rows a mixture of old and new values, and one that frees the memory
                // behind NumPy's back (`resize(refcheck=False)`) breaks the contract
                // NumPy itself documents.
                let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len) };
                self.with_app(py, |app| app.append_bytes(bytes))?;
                return Ok(true);
            }
        }
        // The bytes in the file's order: `tobytes` copies whatever the array's layout.
        let data = if self.fortran && !self.row_shape.is_empty() {
            arr.call_method1(intern!(py, "tobytes"), (intern!(py, "F"),))?
        } else {
            arr.call_method0(intern!(py, "tobytes"))?
        };
        let data = data.cast::<PyBytes>()?;
        let bytes = data.as_bytes();
        debug_assert_eq!(bytes.len(), len);
        self.with_app(py, |app| app.append_bytes(bytes))?;
        Ok(true)
    }

    /// Appends the rows of the `.npy` file held in `data` (NumPy's `np.save` output):
    /// its dtype must be the file's and its shape match but on the growth axis; an
    /// array in the other order is reordered. Returns the number of rows added.
    fn append_npy(&self, py: Python<'_>, data: &[u8]) -> PyResult<u64> {
        let rows = self.with_app(py, |app| app.append_npy(Cursor::new(data), Cast::No))?;
        Ok(rows.end - rows.start)
    }

    /// Writes buffered rows and makes the header count them.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.with_app(py, Appender::flush)
    }

    /// As `flush`, then makes every row appended so far durable (`fdatasync`).
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        self.with_app(py, Appender::sync)
    }

    /// Flushes (syncs, when durable), releases the lock and returns the row count.
    /// Closing again does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<u64> {
        let taken = py.detach(|| {
            self.app
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        });
        let Some(app) = taken else {
            return Ok(self.closed_rows.load(Ordering::Relaxed));
        };
        self.closed_rows.store(app.rows(), Ordering::Relaxed);
        let rows = py.detach(|| app.close()).or_raise()?;
        self.closed_rows.store(rows, Ordering::Relaxed);
        Ok(rows)
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.app().is_none()
    }

    /// The rows appended so far, the file's included (written or buffered).
    #[getter]
    fn rows(&self) -> u64 {
        match self.app().as_ref() {
            Some(app) => app.rows(),
            None => self.closed_rows.load(Ordering::Relaxed),
        }
    }

    /// The array's shape now.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let mut shape = self.row_shape.clone();
        shape.insert(self.axis, self.rows());
        PyTuple::new(py, shape)
    }

    /// The file's dtype, as `numpy.lib.format.descr_to_dtype` reads its descr.
    #[getter]
    fn dtype(&self, py: Python<'_>) -> Py<PyAny> {
        self.dtype.clone_ref(py)
    }

    #[getter]
    fn fortran_order(&self) -> bool {
        self.fortran
    }

    /// The format version, `(major, minor)`.
    #[getter]
    fn version(&self) -> (u8, u8) {
        (self.version.major(), self.version.minor())
    }

    /// Bytes of one row (one step along the growth axis).
    #[getter]
    fn row_bytes(&self) -> u64 {
        self.row_bytes
    }
}
