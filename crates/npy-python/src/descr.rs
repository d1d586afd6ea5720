//! A dtype as NumPy's `numpy.lib.format.dtype_to_descr` gives it, as Python objects.
//!
//! With tuples, it is what `numpy.lib.format.descr_to_dtype` takes back: a type string
//! (`'<f8'`), or a list of fields, each `(name, descr)` or `(name, descr, shape)`, a
//! titled field's name being `(title, name)`, and padding `('', '|Vn')`. With lists in
//! place of tuples it is what `npy inspect --json` prints, read by `json.loads`.

use npy_header::Dtype;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Tuples (`descr_to_dtype`'s input) or lists (the JSON form).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Tuples,
    Lists,
}

fn seq<'py>(
    py: Python<'py>,
    form: Form,
    items: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match form {
        Form::Tuples => PyTuple::new(py, items)?.into_any(),
        Form::Lists => PyList::new(py, items)?.into_any(),
    })
}

fn dims<'py>(py: Python<'py>, form: Form, shape: &[u64]) -> PyResult<Bound<'py, PyAny>> {
    match form {
        Form::Tuples => Ok(PyTuple::new(py, shape)?.into_any()),
        Form::Lists => Ok(PyList::new(py, shape)?.into_any()),
    }
}

fn padding<'py>(py: Python<'py>, form: Form, n: u64) -> PyResult<Bound<'py, PyAny>> {
    seq(
        py,
        form,
        vec![
            "".into_pyobject(py)?.into_any(),
            format!("|V{n}").into_pyobject(py)?.into_any(),
        ],
    )
}

/// `dtype_to_descr(dtype)` for the dtype a header describes.
pub fn descr<'py>(py: Python<'py>, dtype: &Dtype, form: Form) -> PyResult<Bound<'py, PyAny>> {
    match dtype {
        Dtype::Scalar(s) => Ok(s.to_string().into_pyobject(py)?.into_any()),
        Dtype::Subarray { base, shape } => seq(
            py,
            form,
            vec![descr(py, base, form)?, dims(py, form, shape)?],
        ),
        Dtype::Record { fields, itemsize } => {
            let mut out = Vec::with_capacity(fields.len());
            let mut offset = 0u64;
            for f in fields {
                if f.offset > offset {
                    out.push(padding(py, form, f.offset - offset)?);
                }
                let name = match &f.title {
                    Some(title) => seq(
                        py,
                        form,
                        vec![
                            title.into_pyobject(py)?.into_any(),
                            f.name.as_str().into_pyobject(py)?.into_any(),
                        ],
                    )?,
                    None => f.name.as_str().into_pyobject(py)?.into_any(),
                };
                let entry = match &f.dtype {
                    Dtype::Subarray { base, shape } => {
                        vec![name, descr(py, base, form)?, dims(py, form, shape)?]
                    }
                    other => vec![name, descr(py, other, form)?],
                };
                out.push(seq(py, form, entry)?);
                offset = f.offset.saturating_add(f.dtype.itemsize());
            }
            if *itemsize > offset {
                out.push(padding(py, form, itemsize - offset)?);
            }
            // A structured descr is a list in both forms, as NumPy writes it.
            Ok(PyList::new(py, out)?.into_any())
        }
    }
}
