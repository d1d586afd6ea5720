//! The NumPy oracle: real NumPy, embedded through pyo3, for differential tests.
//!
//! This crate is a test-only helper (use it as a `dev-dependency`). It embeds
//! CPython and asks the real `numpy.lib.format` module what it writes and what
//! it accepts, so the project's tests compare against NumPy itself rather than
//! against a hand-written model of it. Nothing is mocked.
//!
//! # Where NumPy comes from
//!
//! The interpreter is the one pyo3 was built against (`PYO3_PYTHON`). NumPy is
//! taken from a virtualenv: `$NPY_ORACLE_VENV` if set (a relative path is
//! resolved against the workspace root), otherwise `<workspace root>/.venv`,
//! which `cargo xtask setup` creates with the pinned versions from
//! `requirements-oracle.txt`. On first use the virtualenv's
//! `lib/pythonX.Y/site-packages` (matching the embedded interpreter's version)
//! is put in front of `sys.path`, and numpy must be imported from there.
//!
//! If that fails, every function **panics** with instructions to
//! run `cargo xtask setup` (creates .venv with the pinned NumPy) or set
//! NPY_ORACLE_VENV to a virtualenv that has numpy. Tests using the oracle
//! therefore fail, never silently pass, when NumPy is missing.
//!
//! # The `oracle` feature
//!
//! The interpreter is embedded only with the `oracle` feature, whose build needs a
//! Python 3 with a shared libpython (found as pyo3 finds one: `PYO3_PYTHON`, else
//! `python3` on the `PATH`). Without it, nothing of pyo3 or Python is built and every
//! function panics, saying how to turn it on; so a plain `cargo test` builds and passes
//! on a machine without Python. Each crate that tests against NumPy has an `oracle`
//! feature of its own that turns this one on; without it, its NumPy tests are ignored.
//! `cargo xtask test` turns it on everywhere.
//!
//! # Errors
//!
//! When NumPy raises, functions return `Err("ExceptionType: message")`, e.g.
//! `Err("ValueError: the magic string is not correct; ...")`, so tests can
//! assert on the exception type with `starts_with`. Errors produced by the
//! oracle itself rather than by Python start with `OracleError:`.
//!
//! # Example
//!
#![cfg_attr(feature = "oracle", doc = "```")]
#![cfg_attr(not(feature = "oracle"), doc = "```ignore")]
//! let header = npy_oracle::header_bytes("'<f8'", "(3,)", false, None).unwrap();
//! assert_eq!(header.len(), 128);
//! let info = npy_oracle::read_header(&header).unwrap();
//! assert_eq!(info.shape, vec![3]);
//! ```
//!
//! # libpython at run time
//!
//! Test binaries link the interpreter's shared `libpython`. This crate's build
//! script makes `cargo test` (of this crate and of crates depending on it) load
//! the libpython pyo3 was built against, even from a non-system prefix such as
//! pyenv's; `cargo xtask test` also sets `LD_LIBRARY_PATH`. If a test binary
//! is run some other way and the loader picks a different libpython with the
//! same soname (e.g. the distribution's), the oracle panics ("wrong Python")
//! instead of silently testing against another interpreter.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use serde_json::Value;

/// How to get NumPy; part of every "NumPy is missing" panic.
const INSTALL_HINT: &str = "run `cargo xtask setup` (creates .venv with the pinned NumPy) \
     or set NPY_ORACLE_VENV to a virtualenv that has numpy";

#[cfg(feature = "oracle")]
mod python;

#[cfg(feature = "oracle")]
use crate::python::call;

/// Without the `oracle` feature there is no interpreter to ask: every function panics
/// here, saying how to build one in.
#[cfg(not(feature = "oracle"))]
fn call<A>(name: &str, _args: A) -> Result<Value, String> {
    panic!(
        "npy-oracle: built without its `oracle` feature, so there is no NumPy to ask \
         (`{name}`).\n\
         The tests that ask NumPy are behind the crates' `oracle` feature: run them with \
         `cargo xtask test`, which turns it on, or `cargo test --features oracle` with \
         PYO3_PYTHON naming a Python 3 built with a shared libpython. NumPy then comes \
         from a virtualenv: {INSTALL_HINT}."
    )
}

/// Header fields as NumPy's own reader (`numpy.lib.format`) understands them.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderInfo {
    /// Format version from the magic string, e.g. `(1, 0)`.
    pub version: (u8, u8),
    /// The `shape` tuple of the header.
    pub shape: Vec<i128>,
    /// The `fortran_order` flag of the header.
    pub fortran_order: bool,
    /// `dtype.str` of the dtype NumPy built from `descr`, e.g. `"<f8"` or `"|V16"`.
    pub descr_str: String,
    /// `dtype.itemsize` in bytes.
    pub itemsize: u64,
    /// `numpy.lib.format.dtype_to_descr(dtype)` as JSON: Python strings stay
    /// strings, ints stay numbers, tuples and lists become arrays.
    pub descr: Value,
    /// Top-level fields in `dtype.names` order, or `None` if the dtype is not structured.
    pub fields: Option<Vec<FieldInfo>>,
    /// Byte offset of the array data: position after the header's final newline.
    pub data_offset: u64,
    /// Warnings NumPy emitted while reading, as `"Category: message"`.
    pub warnings: Vec<String>,
}

/// One top-level field of a structured dtype (from `dtype.fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Field name.
    pub name: String,
    /// Byte offset of the field within an item.
    pub offset: u64,
    /// `itemsize` of the field's dtype.
    pub itemsize: u64,
    /// Field title, if any (`repr` of it if it is not a string).
    pub title: Option<String>,
    /// `dtype.str` of the field's dtype.
    pub descr_str: String,
}

/// What `np.dtype(<expression>)` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtypeInfo {
    /// `dtype.str`, e.g. `"<f8"`.
    pub str_: String,
    /// `dtype.itemsize` in bytes.
    pub itemsize: u64,
    /// Warnings emitted while constructing the dtype, as `"Category: message"`.
    pub warnings: Vec<String>,
}

/// The NumPy version the oracle runs, e.g. `"2.4.6"`.
pub fn numpy_version() -> String {
    let v = call("numpy_version", ()).expect("numpy.__version__");
    expect_str(&v, "numpy version").to_owned()
}

/// Runs Python `code` and returns the value it assigns to `result`, as JSON.
///
/// The code runs in a fresh namespace with `np` (numpy), `fmt`
/// (numpy.lib.format), `fmt_impl` (numpy.lib._format_impl, where NumPy 2 keeps
/// private helpers such as `_read_array_header` and `_MAX_HEADER_SIZE`), `io`,
/// `json` and `warnings` already imported. NumPy
/// scalars and arrays in `result` are converted with `.tolist()`; anything
/// else must be JSON-serializable (NaN and infinities are rejected).
///
/// # Errors
///
/// `Err("ExceptionType: message")` if the code raises or `result` is not
/// serializable; `Err("OracleError: ...")` if `result` is never assigned.
pub fn eval_json(code: &str) -> Result<Value, String> {
    call("eval_json", (code,))
}

/// The header bytes NumPy writes for an array of this dtype and shape.
///
/// `dtype_expr` is a Python expression passed to `np.dtype(...)`, e.g.
/// `"'<f8'"`, `"[('a','<i4'),('b','>f8',(2,3))]"` or
/// `"{'names':['a'],'formats':['<f8'],'offsets':[4],'itemsize':16}"`;
/// `shape_expr` is a Python expression for the shape, e.g. `"(3,)"` or `"()"`.
/// The header dict is built as `header_data_from_array_1_0` does and written
/// by `_write_array_header` (in `numpy.lib._format_impl`) after the same version check as
/// `write_array`. `version: None` lets NumPy pick the oldest version that
/// works. Warnings (such as "Stored array in format 2.0") are suppressed.
///
/// Returns the header only: magic string through the final `\n`.
///
/// # Errors
///
/// `Err("ExceptionType: message")` if NumPy raises.
pub fn header_bytes(
    dtype_expr: &str,
    shape_expr: &str,
    fortran_order: bool,
    version: Option<(u8, u8)>,
) -> Result<Vec<u8>, String> {
    let v = call(
        "header_bytes",
        (dtype_expr, shape_expr, fortran_order, version),
    )?;
    Ok(decode_hex(expect_str(&v, "header hex")))
}

/// Reads the header of `file_bytes` the way NumPy does, without a header size limit.
///
/// Runs `read_magic` and then `_read_array_header` with a `max_header_size`
/// no header can exceed. Warnings are recorded in [`HeaderInfo::warnings`].
///
/// # Errors
///
/// `Err("ExceptionType: message")` if NumPy raises, e.g.
/// `"ValueError: the magic string is not correct; ..."`. A shape dimension
/// NumPy accepts but that does not fit `i128` gives `Err("OracleError: ...")`.
pub fn read_header(file_bytes: &[u8]) -> Result<HeaderInfo, String> {
    read_header_impl(file_bytes, Some(u64::MAX))
}

/// Like [`read_header`], with NumPy's header size limit.
///
/// `max_header_size` is passed to `_read_array_header` as is (NumPy rejects a
/// header whose decoded length exceeds it); `None` uses NumPy's own default
/// (`_MAX_HEADER_SIZE` in `numpy.lib._format_impl`, 10000), i.e. what `np.load` does.
///
/// # Errors
///
/// As [`read_header`]; an oversized header gives `Err("ValueError: Header info length ...")`.
pub fn read_header_with_limit(
    file_bytes: &[u8],
    max_header_size: Option<u64>,
) -> Result<HeaderInfo, String> {
    read_header_impl(file_bytes, max_header_size)
}

/// What `np.dtype(<descr_python_expr>)` gives, with the warnings it emitted.
///
/// `descr_python_expr` is evaluated as Python, e.g. `"'<f8'"` or
/// `"[('a', '<i4')]"`. Warnings (e.g. `DeprecationWarning`) are recorded,
/// not raised.
///
/// # Errors
///
/// `Err("ExceptionType: message")` if evaluation or `np.dtype` raises.
pub fn dtype_info(descr_python_expr: &str) -> Result<DtypeInfo, String> {
    let v = call("dtype_info", (descr_python_expr,))?;
    Ok(DtypeInfo {
        str_: expect_str(key(&v, "str"), "str").to_owned(),
        itemsize: expect_u64(key(&v, "itemsize"), "itemsize"),
        warnings: expect_strings(key(&v, "warnings"), "warnings"),
    })
}

/// Loads a whole `.npy` file with `np.load` (pickles not allowed).
///
/// Returns a JSON object with `"shape"` (array of integers), `"dtype"`
/// (`dtype.str`), `"fortran"` (`arr.flags.fnc`: Fortran- and not
/// C-contiguous), `"data_hex"` (`arr.tobytes(order='C')` in lowercase hex) and
/// `"warnings"` (recorded warnings).
///
/// # Errors
///
/// `Err("ExceptionType: message")` if `np.load` raises.
pub fn load_array_json(file_bytes: &[u8]) -> Result<Value, String> {
    call("load_array_json", (file_bytes,))
}

fn read_header_impl(file_bytes: &[u8], max_header_size: Option<u64>) -> Result<HeaderInfo, String> {
    let v = call("read_header", (file_bytes, max_header_size))?;
    let version = match key(&v, "version").as_array().map(Vec::as_slice) {
        Some([major, minor]) => (expect_u8(major), expect_u8(minor)),
        _ => bug("version", &v),
    };
    let mut shape = Vec::new();
    for dim in expect_strings(key(&v, "shape"), "shape") {
        shape.push(dim.parse::<i128>().map_err(|_| {
            format!("OracleError: NumPy accepted shape dimension {dim}, which does not fit in i128")
        })?);
    }
    let fields = match key(&v, "fields") {
        Value::Null => None,
        Value::Array(items) => Some(items.iter().map(field_info).collect()),
        other => bug("fields", other),
    };
    Ok(HeaderInfo {
        version,
        shape,
        fortran_order: key(&v, "fortran_order")
            .as_bool()
            .unwrap_or_else(|| bug("fortran_order", &v)),
        descr_str: expect_str(key(&v, "descr_str"), "descr_str").to_owned(),
        itemsize: expect_u64(key(&v, "itemsize"), "itemsize"),
        descr: key(&v, "descr").clone(),
        fields,
        data_offset: expect_u64(key(&v, "data_offset"), "data_offset"),
        warnings: expect_strings(key(&v, "warnings"), "warnings"),
    })
}

fn field_info(v: &Value) -> FieldInfo {
    FieldInfo {
        name: expect_str(key(v, "name"), "field name").to_owned(),
        offset: expect_u64(key(v, "offset"), "field offset"),
        itemsize: expect_u64(key(v, "itemsize"), "field itemsize"),
        title: match key(v, "title") {
            Value::Null => None,
            t => Some(expect_str(t, "field title").to_owned()),
        },
        descr_str: expect_str(key(v, "descr_str"), "field descr_str").to_owned(),
    }
}

fn key<'a>(v: &'a Value, k: &str) -> &'a Value {
    v.get(k).unwrap_or_else(|| bug(k, v))
}

fn expect_str<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| bug(what, v))
}

fn expect_u64(v: &Value, what: &str) -> u64 {
    v.as_u64().unwrap_or_else(|| bug(what, v))
}

fn expect_u8(v: &Value) -> u8 {
    v.as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .unwrap_or_else(|| bug("version number", v))
}

fn expect_strings(v: &Value, what: &str) -> Vec<String> {
    match v.as_array() {
        Some(items) => items
            .iter()
            .map(|s| expect_str(s, what).to_owned())
            .collect(),
        None => bug(what, v),
    }
}

fn bug(what: &str, v: &Value) -> ! {
    panic!("npy-oracle bug: unexpected {what} in helper output: {v}")
}

fn decode_hex(hex: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("npy-oracle bug: invalid hex digit {:?}", char::from(c)),
    };
    hex.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => (digit(*hi) << 4) | digit(*lo),
            _ => panic!("npy-oracle bug: odd-length hex string"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
