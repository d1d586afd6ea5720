//! Helpers shared by the integration tests.

use std::path::Path;

use npy_header::{Dtype, Header};
use serde_json::Value;

/// Runs Python code in the NumPy oracle and returns `result`; panics with the code on
/// a Python error (a test that cannot ask NumPy fails, it never skips).
pub fn py(code: &str) -> Value {
    npy_oracle::eval_json(code)
        .unwrap_or_else(|e| panic!("Python failed: {e}\n--- code ---\n{code}"))
}

/// A Python string literal for a path (JSON string syntax is valid Python).
pub fn lit(p: &Path) -> String {
    serde_json::to_string(p.to_str().expect("temporary paths are UTF-8")).unwrap()
}

/// The dtype a descr expression (as written in a header) means.
pub fn dtype(descr: &str) -> Dtype {
    header(&format!(
        "{{'descr': {descr}, 'fortran_order': False, 'shape': (), }}"
    ))
    .dtype
}

/// Parses a header dict (padded here to a valid 3.0 header, so that any field name
/// reads as written).
pub fn header(dict: &str) -> Header {
    let mut text = dict.as_bytes().to_vec();
    while !(12 + text.len() + 1).is_multiple_of(64) {
        text.push(b' ');
    }
    text.push(b'\n');
    let mut file = b"\x93NUMPY\x03\x00".to_vec();
    file.extend_from_slice(&u32::try_from(text.len()).unwrap().to_le_bytes());
    file.extend_from_slice(&text);
    npy_header::parse(&file).unwrap().header
}

/// A header of the file at `path` as parsed.
pub fn parsed(path: &Path) -> npy_header::Parsed {
    npy_header::HeaderParser::new()
        .max_header_len(1 << 20)
        .parse(&std::fs::read(path).unwrap())
        .unwrap()
}

/// Python that defines `same(a, b)`: same shape, dtype and bytes in C order, padding
/// bytes of structured types excepted (NumPy's copies do not keep them).
pub const PY_SAME: &str = r#"
from numpy.lib import recfunctions as _rfn
def _fields(a):
    return _rfn.repack_fields(a, recurse=True) if a.dtype.names is not None else a
def same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and _fields(a).tobytes() == _fields(b).tobytes()
"#;
