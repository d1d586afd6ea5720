//! The one error type of this crate.

use std::fmt;

/// An error from parsing or emitting a header.
///
/// The error is small (one pointer) so that `Result<T, Error>` stays cheap on the
/// success path. Inspect it with [`Error::kind`], [`Error::offset`] and
/// [`Error::category`]; its `Display` text is a complete sentence fragment a person
/// can act on: lowercase, no trailing period, with the byte offset when there is one.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    message: String,
}

/// Who is at fault for an error, in the manner of image-png's `DecodingError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// The bytes are not a valid `.npy` header (the file is at fault).
    Format,
    /// The header may be valid but exceeds a configured limit (see [`crate::Limits`]).
    Limit,
    /// The caller asked for something that cannot be done (for example a version that
    /// cannot hold the header).
    Parameter,
}

/// What went wrong. Each variant names the rule of `spec/npy-format.md` it enforces.
///
/// New kinds may be added in minor releases.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Fewer bytes were given than the preamble or the header needs (`F-1`, `F-3`).
    /// `needed` is the total number of bytes from the start of the file.
    Truncated {
        /// Bytes needed from the start of the file.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// The file does not start with `\x93NUMPY` (`F-1`).
    BadMagic,
    /// The version bytes name a version this crate does not know (`F-2`).
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The header text is not valid in its encoding: latin-1 cannot fail, so this is
    /// invalid UTF-8 in a 3.0/4.0 header, or a NUL byte anywhere (`F-4`).
    Encoding,
    /// The header text is not a Python literal of the accepted grammar (`H-1`).
    Syntax,
    /// The literal is valid but is not a dict (`H-2`).
    NotADict,
    /// A key other than `descr`, `fortran_order` and `shape` (`H-3`).
    UnknownKey,
    /// One of the three keys is absent (`H-3`).
    MissingKey,
    /// A key appears twice (`H-4`, a deliberate difference from NumPy).
    DuplicateKey,
    /// `shape` is not a tuple of non-negative integers (`H-5`, `H-6`).
    InvalidShape,
    /// `fortran_order` is not `True` or `False` (`H-7`).
    InvalidFortranOrder,
    /// `descr` is not a valid dtype descriptor (`D-1` … `D-9`).
    InvalidDescr,
    /// A `-1` in the shape where it is not allowed (`V4-2`, `V4-3`).
    InvalidGrowthDim,
    /// The header length field exceeds [`crate::Limits::max_header_len`].
    HeaderTooLong {
        /// The length the file declares.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Containers nested deeper than [`crate::Limits::max_depth`].
    NestTooDeep {
        /// The configured limit.
        limit: u32,
    },
    /// More dimensions than [`crate::Limits::max_dims`] in the shape or a subarray.
    TooManyDims {
        /// The configured limit.
        limit: u32,
    },
    /// More fields in the descr than [`crate::Limits::max_fields`].
    TooManyFields {
        /// The configured limit.
        limit: u32,
    },
    /// `prod(shape) * itemsize` exceeds [`crate::Limits::max_data_bytes`] or overflows.
    DataTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// Data length inconsistent with the header (used by resolution helpers).
    DataLength,
    /// The requested header cannot be written in the requested version or length.
    CannotEmit,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, offset: Option<u64>, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            offset,
            message: message.into(),
        }))
    }

    pub(crate) fn at(kind: ErrorKind, offset: u64, message: impl Into<String>) -> Error {
        Error::new(kind, Some(offset), message)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset from the start of the file where the problem was found, when it
    /// has one.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The message without the offset prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Who is at fault: [`ErrorKind::category`].
    pub fn category(&self) -> Category {
        self.0.kind.category()
    }
}

impl ErrorKind {
    /// Who is at fault: the file ([`Category::Format`]), a limit the caller may raise
    /// ([`Category::Limit`]), or the caller's own arguments ([`Category::Parameter`]).
    pub fn category(&self) -> Category {
        match self {
            ErrorKind::HeaderTooLong { .. }
            | ErrorKind::NestTooDeep { .. }
            | ErrorKind::TooManyDims { .. }
            | ErrorKind::TooManyFields { .. }
            | ErrorKind::DataTooLarge { .. } => Category::Limit,
            ErrorKind::CannotEmit => Category::Parameter,
            _ => Category::Format,
        }
    }

    /// A short stable name for the kind, for machine-readable output (`"syntax"`,
    /// `"header_too_long"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Truncated { .. } => "truncated",
            ErrorKind::BadMagic => "bad_magic",
            ErrorKind::UnsupportedVersion { .. } => "unsupported_version",
            ErrorKind::Encoding => "encoding",
            ErrorKind::Syntax => "syntax",
            ErrorKind::NotADict => "not_a_dict",
            ErrorKind::UnknownKey => "unknown_key",
            ErrorKind::MissingKey => "missing_key",
            ErrorKind::DuplicateKey => "duplicate_key",
            ErrorKind::InvalidShape => "invalid_shape",
            ErrorKind::InvalidFortranOrder => "invalid_fortran_order",
            ErrorKind::InvalidDescr => "invalid_descr",
            ErrorKind::InvalidGrowthDim => "invalid_growth_dim",
            ErrorKind::HeaderTooLong { .. } => "header_too_long",
            ErrorKind::NestTooDeep { .. } => "nest_too_deep",
            ErrorKind::TooManyDims { .. } => "too_many_dims",
            ErrorKind::TooManyFields { .. } => "too_many_fields",
            ErrorKind::DataTooLarge { .. } => "data_too_large",
            ErrorKind::DataLength => "data_length",
            ErrorKind::CannotEmit => "cannot_emit",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.offset {
            Some(off) => write!(f, "at byte {off}: {}", self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for Error {}
