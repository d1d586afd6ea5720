//! The embedded interpreter (the `python` feature): loads NumPy from the oracle
//! virtualenv on first use and calls the helper module `oracle.py`.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;
use serde_json::Value;

use crate::{bug, INSTALL_HINT};

const BOOTSTRAP_PY: &str = include_str!("bootstrap.py");
const ORACLE_PY: &str = include_str!("oracle.py");

/// The `_npy_oracle` helper module (oracle.py), loaded once per process.
static ORACLE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Calls `name(*args)` in the helper module; it answers `{"ok": v}` or `{"err": "..."}`.
pub(crate) fn call<A>(name: &str, args: A) -> Result<Value, String>
where
    A: for<'py> pyo3::call::PyCallArgs<'py>,
{
    // One call at a time: the helper records warnings with `warnings.catch_warnings`,
    // which swaps process-global state, and test threads switching inside it lose
    // each other's warnings.
    let _one_at_a_time = CALLS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let answer = Python::attach(|py| -> PyResult<String> {
        oracle(py).call_method1(name, args)?.extract::<String>()
    })
    // The helper catches NumPy's exceptions itself; reaching this is an
    // oracle bug (e.g. an argument that did not convert), reported the same way.
    .map_err(|e| e.to_string())?;
    let mut v: Value = serde_json::from_str(&answer).unwrap_or_else(|e| {
        panic!("npy-oracle bug: helper {name} returned invalid JSON ({e}): {answer}")
    });
    if let Some(ok) = v.get_mut("ok") {
        return Ok(ok.take());
    }
    match v.get("err").and_then(Value::as_str) {
        Some(err) => Err(err.to_owned()),
        None => bug(name, &v),
    }
}

/// Serialises every call into Python (see [`call`]).
static CALLS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The helper module, loading it (and NumPy) on first use.
fn oracle(py: Python<'_>) -> &Bound<'_, PyModule> {
    ORACLE.get_or_init(py, || load_oracle(py)).bind(py)
}

fn load_oracle(py: Python<'_>) -> Py<PyModule> {
    let venv = venv_dir();
    let boot = module(
        py,
        BOOTSTRAP_PY,
        "npy_oracle_bootstrap.py",
        "_npy_oracle_bootstrap",
    );
    let (interpreter, wrong_python, problem) = boot
        .call_method1("prepare", (&venv, option_env!("NPY_ORACLE_PYTHON_LIBDIR")))
        .and_then(|o| o.extract::<(String, String, String)>())
        .unwrap_or_else(|e| panic!("npy-oracle bug: bootstrap failed: {e}"));
    if !wrong_python.is_empty() {
        panic!("npy-oracle: wrong Python: {wrong_python}.");
    }
    if !problem.is_empty() {
        panic!(
            "npy-oracle: NumPy is not available: {problem}.\n\
             Embedded interpreter: {interpreter}; oracle virtualenv: {} \
             (NPY_ORACLE_VENV, default <workspace root>/.venv).\n\
             To fix: {INSTALL_HINT}.",
            venv.display()
        );
    }
    module(py, ORACLE_PY, "npy_oracle.py", "_npy_oracle").unbind()
}

fn module<'py>(py: Python<'py>, code: &str, file: &str, name: &str) -> Bound<'py, PyModule> {
    let c = |s: &str| CString::new(s).expect("embedded Python source has no NUL bytes");
    PyModule::from_code(py, &c(code), &c(file), &c(name))
        .unwrap_or_else(|e| panic!("npy-oracle bug: cannot load embedded {file}: {e}"))
}

/// `$NPY_ORACLE_VENV` (relative to the workspace root if relative), else `<workspace root>/.venv`.
fn venv_dir() -> PathBuf {
    // npy-oracle lives at <workspace root>/crates/npy-oracle.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("crates/npy-oracle is two levels below the workspace root");
    match std::env::var_os("NPY_ORACLE_VENV") {
        Some(v) if !v.is_empty() => root.join(v), // join keeps an absolute path as is
        _ => root.join(".venv"),
    }
}
