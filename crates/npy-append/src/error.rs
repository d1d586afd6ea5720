//! The one error type of this crate.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error from appending, recovering, making appendable, finalising or converting.
///
/// One pointer wide. Inspect it with [`Error::kind`], [`Error::offset`] (a byte offset
/// in the file, for header errors) and [`Error::path`]; [`ErrorKind::name`] is a
/// stable short name for machine-readable output; [`Error::io_error`] and
/// [`Error::header_error`] give the underlying cause when there is one (also as
/// [`std::error::Error::source`]). The `Display` text is `PATH: message` when the
/// error concerns a file opened by path, otherwise just the message: lowercase, no
/// trailing period, saying what to do. The same shape as `npy_header::Error` and
/// `npy_mmap::Error`.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    path: Option<PathBuf>,
    message: String,
    source: Option<Source>,
}

/// The underlying error, when there is one.
enum Source {
    Io(io::Error),
    Header(npy_header::Error),
}

/// What went wrong. The variants that refuse a file cite the rule of
/// `spec/npy-format.md` they enforce.
///
/// New kinds may be added in minor releases.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system reported an error (see [`Error::io_error`]). A writer that
    /// gets one is poisoned: later calls fail with [`ErrorKind::Poisoned`].
    Io,
    /// The header (of the file, a template or an input) is not a valid `.npy` header;
    /// the kind is the header parser's, and [`Error::header_error`] has its error.
    Header(npy_header::ErrorKind),
    /// The dtype holds Python objects: the data is one pickle, not rows (`D-8`, `A-1`).
    ObjectDtype,
    /// The array is 0-d: it has no growth axis to append along.
    NoGrowthAxis,
    /// The header has no spare room for a longer growth-axis length (`A-1`): run
    /// [`ensure_appendable`](crate::ensure_appendable) first.
    NotAppendable,
    /// The data length does not match the header, or an interrupted operation left a
    /// journal (`A-8`): run [`recover`](crate::recover) first.
    NeedsRecovery,
    /// Another writer holds the file's advisory lock (`A-3`).
    Locked,
    /// An earlier I/O error stopped this writer; nothing more is written (`A-4`).
    Poisoned,
    /// The appended array's shape differs from the file's on an axis other than the
    /// growth axis (`A-2`).
    ShapeMismatch,
    /// The appended data's dtype is not the file's and no allowed cast converts it
    /// (`A-2`). A safe cast is made only when asked for: [`Cast::Safe`](crate::Cast).
    DtypeMismatch,
    /// Raw bytes that are not a whole number of rows.
    PartialRow,
    /// The array would exceed 2⁶³−1 bytes, the most NumPy can address (`H-8`).
    TooLarge,
    /// The operation does not apply to this format version, or the header does not fit
    /// the requested version.
    Version,
    /// `recover` cannot work out what the file should be (for example, its header does
    /// not parse and no template was given:
    /// [`RecoverOptions::template_file`](crate::RecoverOptions::template_file)).
    Unrecoverable,
    /// An argument that cannot work (for example, a dtype that cannot be written).
    Parameter,
    /// A rewrite would make the header longer than NumPy's default `max_header_size`
    /// (10 000 bytes of header text), which `np.load` refuses without
    /// `max_header_size=` or `allow_pickle=True`: allow it with
    /// [`MoveOptions::allow_large_header`](crate::MoveOptions::allow_large_header).
    LargeHeader,
}

impl ErrorKind {
    /// A short stable name for machine-readable output (`"not_appendable"`, …); for a
    /// header error, the header parser's (`"syntax"`, `"bad_magic"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Header(kind) => kind.name(),
            ErrorKind::ObjectDtype => "object_dtype",
            ErrorKind::NoGrowthAxis => "no_growth_axis",
            ErrorKind::NotAppendable => "not_appendable",
            ErrorKind::NeedsRecovery => "needs_recovery",
            ErrorKind::Locked => "locked",
            ErrorKind::Poisoned => "poisoned",
            ErrorKind::ShapeMismatch => "shape_mismatch",
            ErrorKind::DtypeMismatch => "dtype_mismatch",
            ErrorKind::PartialRow => "partial_row",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Version => "version",
            ErrorKind::Unrecoverable => "unrecoverable",
            ErrorKind::Parameter => "parameter",
            ErrorKind::LargeHeader => "large_header",
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            path: None,
            message: message.into(),
            source: None,
        }))
    }

    /// An I/O error; `what` says what was being done ("cannot write the header").
    pub(crate) fn io(what: &str, e: io::Error) -> Error {
        let mut err = Error::new(ErrorKind::Io, format!("{what}: {e}"));
        err.0.source = Some(Source::Io(e));
        err
    }

    /// A header that does not parse; `whose` names it ("the header", "the input's header").
    pub(crate) fn header(whose: &str, e: npy_header::Error) -> Error {
        Error::new(
            ErrorKind::Header(e.kind().clone()),
            format!("{whose} is not valid: {e}"),
        )
        .caused_by(e)
    }

    /// Keeps the header error that led to this one (its kind and offset stay
    /// inspectable through [`Error::header_error`] and [`Error::offset`]).
    pub(crate) fn caused_by(mut self, e: npy_header::Error) -> Error {
        self.0.source = Some(Source::Header(e));
        self
    }

    /// Sets the path the error concerns, unless one is set already.
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

    /// The file the error concerns, when it was opened by path.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The message without the path.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The operating system's error, for [`ErrorKind::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.0.source {
            Some(Source::Io(e)) => Some(e),
            _ => None,
        }
    }

    /// The header parser's error, for [`ErrorKind::Header`] and the errors a header
    /// that does not parse leads to (such as [`ErrorKind::Unrecoverable`]).
    pub fn header_error(&self) -> Option<&npy_header::Error> {
        match &self.0.source {
            Some(Source::Header(e)) => Some(e),
            _ => None,
        }
    }

    /// The byte offset in the file where a header error was found.
    pub fn offset(&self) -> Option<u64> {
        self.header_error().and_then(npy_header::Error::offset)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
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

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
