//! The Rust crates' errors as Python exceptions.
//!
//! Every error keeps the Rust message word for word (it says what to do). I/O errors
//! become `OSError(errno, message, filename)`, which Python turns into the matching
//! subclass (`FileNotFoundError`, `PermissionError`, ...); everything else becomes
//! `npy_append.Error`, a `ValueError`. Both get `kind` and `offset` attributes.

use std::io;
use std::path::Path;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::PyErr;

use crate::Error;

/// Builds the exception: `OSError` when there is an operating-system error, else
/// `npy_append.Error`.
fn raise(
    kind: &str,
    offset: Option<u64>,
    path: Option<&Path>,
    message: &str,
    io: Option<&io::Error>,
) -> PyErr {
    Python::attach(|py| {
        let err = match io {
            Some(e) => {
                let errno = e.raw_os_error().unwrap_or(0);
                // Python prints `[Errno N]` itself: Rust's `(os error N)` would say it twice.
                let message = message.replace(&format!(" (os error {errno})"), "");
                match path {
                    Some(p) => PyOSError::new_err((errno, message, p.as_os_str().to_os_string())),
                    None => PyOSError::new_err((errno, message)),
                }
            }
            None => {
                let text = match path {
                    Some(p) => format!("{}: {message}", p.display()),
                    None => message.to_string(),
                };
                Error::new_err(text)
            }
        };
        let value = err.value(py);
        // Exceptions made by Python (these are) have a __dict__; failing to set an
        // attribute would lose nothing the message does not say.
        let _ = value.setattr("kind", kind);
        let _ = value.setattr("offset", offset);
        err
    })
}

/// An error of the writer and the file operations.
pub fn append_error(e: &npy_append::Error) -> PyErr {
    raise(
        e.kind().name(),
        e.offset(),
        e.path(),
        e.message(),
        e.io_error(),
    )
}

/// An error of the loader about `path` (unless it names its own): `at byte N: ` is
/// kept in the message, as the `npy` tool prints it.
pub fn load_error(e: &npy_mmap::Error, path: Option<&Path>) -> PyErr {
    let message = match e.offset() {
        Some(at) => format!("at byte {at}: {}", e.message()),
        None => e.message().to_string(),
    };
    raise(
        e.kind().name(),
        e.offset(),
        e.path().or(path),
        &message,
        e.io_error(),
    )
}

/// A refusal of an argument or a state, with the kind `kind`.
pub fn refuse(kind: &str, path: Option<&Path>, message: &str) -> PyErr {
    raise(kind, None, path, message, None)
}

/// Extension trait: `?` on the crates' results inside `#[pyfunction]`s.
pub trait OrRaise<T> {
    /// The result with its error as a Python exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, npy_append::Error> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|e| append_error(&e))
    }
}
