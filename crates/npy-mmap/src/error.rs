//! The one error type of this crate.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error from opening, reading, viewing or refreshing an array.
///
/// One pointer wide. Inspect it with [`Error::kind`], [`Error::offset`] (a byte offset
/// in the file) and [`Error::path`]; [`ErrorKind::name`] is a stable short name for
/// machine-readable output. The `Display` text is `PATH: at byte N: message` (each
/// prefix only when known); the message alone ([`Error::message`]) is lowercase, has
/// no trailing period and says what to do.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    path: Option<PathBuf>,
    message: String,
    source: Option<Source>,
}

enum Source {
    Io(io::Error),
    Header(npy_header::Error),
}

/// What went wrong. Variants name the rule of `spec/npy-format.md` they enforce where
/// there is one.
///
/// New kinds may be added in minor releases.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Opening, reading, inspecting or mapping the file failed; [`Error::io_error`]
    /// has the operating system's error.
    Io,
    /// The header is invalid or exceeds a limit (`R-1`…`R-7`); the kind is the header
    /// parser's, and [`Error::header_error`] has its error.
    Header(npy_header::ErrorKind),
    /// A 1.0–3.0 file holds fewer data bytes than its shape needs (`R-9`): it was
    /// truncated, or an append was interrupted.
    DataTooShort {
        /// Bytes of data the header's shape needs.
        needed: u64,
        /// Bytes of data the file holds.
        available: u64,
    },
    /// The data is larger than the data-size limit (`R-7`, `V4-4`) or than this
    /// platform can address, or the shape holds more than 2⁶³−1 items.
    DataTooLarge {
        /// The size in bytes (saturated at `u64::MAX`).
        size: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// The dtype holds Python objects: the data is a pickle, which this crate never
    /// reads (`D-8`, `R-11`).
    ObjectDtype,
    /// A typed view was asked for a type that is not the array's dtype.
    TypeMismatch,
    /// A typed slice was asked for data that is not in this machine's byte order.
    ByteOrder,
    /// A typed slice was asked for data whose file offset is not a multiple of the
    /// type's alignment.
    Unaligned {
        /// The alignment the type needs.
        align: usize,
    },
    /// A row range or index outside the array.
    OutOfBounds,
    /// A field lookup on a dtype that has no field of that name.
    NoSuchField,
    /// [`crate::NpyFile::refresh`] found the header changed in a way that is not
    /// growth, or found it mid-rewrite.
    HeaderChanged,
    /// [`crate::NpyFile::refresh`] found the file shorter than the data already
    /// mapped: another program truncated it.
    Shrunk {
        /// File length the mapped data needs.
        mapped: u64,
        /// File length now.
        now: u64,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            offset: None,
            path: None,
            message: message.into(),
            source: None,
        }))
    }

    pub(crate) fn at(mut self, offset: u64) -> Error {
        self.0.offset = Some(offset);
        self
    }

    /// Adds the path of the file the error is about, unless one is set already.
    pub(crate) fn with_path(mut self, path: &Path) -> Error {
        if self.0.path.is_none() {
            self.0.path = Some(path.to_path_buf());
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset from the start of the file where the problem is, when there is
    /// one.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The file the error is about, when it was opened by path.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The message without path and offset.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The header parser's error, for [`ErrorKind::Header`].
    pub fn header_error(&self) -> Option<&npy_header::Error> {
        match &self.0.source {
            Some(Source::Header(e)) => Some(e),
            _ => None,
        }
    }

    /// The operating system's error, for [`ErrorKind::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.0.source {
            Some(Source::Io(e)) => Some(e),
            _ => None,
        }
    }
}

impl ErrorKind {
    /// A short stable name for the kind, for machine-readable output: the header
    /// parser's names (`"bad_magic"`, `"truncated"`, …) for header errors, and `"io"`,
    /// `"data_length"`, `"data_too_large"`, `"object_dtype"`, `"type_mismatch"`,
    /// `"byte_order"`, `"unaligned"`, `"out_of_bounds"`, `"no_such_field"`,
    /// `"header_changed"`, `"shrunk"`.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Header(kind) => kind.name(),
            ErrorKind::DataTooShort { .. } => "data_length",
            ErrorKind::DataTooLarge { .. } => "data_too_large",
            ErrorKind::ObjectDtype => "object_dtype",
            ErrorKind::TypeMismatch => "type_mismatch",
            ErrorKind::ByteOrder => "byte_order",
            ErrorKind::Unaligned { .. } => "unaligned",
            ErrorKind::OutOfBounds => "out_of_bounds",
            ErrorKind::NoSuchField => "no_such_field",
            ErrorKind::HeaderChanged => "header_changed",
            ErrorKind::Shrunk { .. } => "shrunk",
        }
    }
}

impl From<io::Error> for Error {
    /// An [`ErrorKind::Io`] error whose message is the operating system's.
    fn from(e: io::Error) -> Error {
        let mut err = Error::new(ErrorKind::Io, e.to_string());
        err.0.source = Some(Source::Io(e));
        err
    }
}

impl From<npy_header::Error> for Error {
    /// An [`ErrorKind::Header`] error with the parser's message and offset.
    fn from(e: npy_header::Error) -> Error {
        let mut err = Error::new(ErrorKind::Header(e.kind().clone()), e.message());
        err.0.offset = e.offset();
        err.0.source = Some(Source::Header(e));
        err
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.0.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(offset) = self.0.offset {
            write!(f, "at byte {offset}: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("path", &self.0.path)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.source {
            Some(Source::Io(e)) => Some(e),
            Some(Source::Header(e)) => Some(e),
            None => None,
        }
    }
}
