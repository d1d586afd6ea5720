//! What a file's header, length and journal say about continuing it, read without
//! taking its lock: npy-append-array's `is_appendable` and `needs_recovery`, answered
//! by the checks [`Appender::open`](crate::Appender::open) makes, so that the answer
//! and the writer never disagree.

use std::fs::File;
use std::path::Path;

use npy_header::{python_tuple, Header};

use crate::error::{Error, ErrorKind, Result};
use crate::layout::{read_header, Geometry, HeaderState};
use crate::sidecar::sidecar;
use crate::storage::Storage;
use crate::writer::no_journal;

/// What [`status`] found: whether the header lets the file be continued, and whether
/// it must be recovered first. Each "no" keeps the error
/// [`Appender::open`](crate::Appender::open) would give, which says what to run.
///
/// ```
/// use std::io::Write;
/// use npy_append::{status, Appender, ErrorKind, NewArray, Options};
/// use npy_header::{ByteOrder, Dtype, Kind, Scalar};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.npy");
/// let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap());
/// let w = Appender::create(&path, &NewArray::new(f8, [2]), Options::new())?;
/// w.append(&[1.0f64, 2.0, 3.0, 4.0])?;
/// w.close()?;
/// let st = status(&path)?;
/// assert!(st.is_appendable() && !st.needs_recovery());
/// assert_eq!(st.rows(), Some(2));
///
/// // Half a row more, as an append cut short leaves it.
/// std::fs::OpenOptions::new().append(true).open(&path)?.write_all(&[0; 8])?;
/// let st = status(&path)?;
/// assert!(st.needs_recovery());
/// assert_eq!(st.recovery_reason().map(|e| e.kind()), Some(&ErrorKind::NeedsRecovery));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Status {
    /// The journal an interrupted operation left.
    journal: Option<Error>,
    /// Why the header does not let the file be continued.
    header: Option<Error>,
    /// Why the data is not what the header says.
    data: Option<Error>,
    /// The geometry and row count, when the header has rows.
    found: Option<(Geometry, u64)>,
}

/// The answers, not the geometry kept for [`Appender::open`](crate::Appender::open).
impl std::fmt::Debug for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Status")
            .field("appendable", &self.is_appendable())
            .field("needs_recovery", &self.needs_recovery())
            .field("rows", &self.rows())
            .field("not_appendable", &self.not_appendable().map(Error::message))
            .field(
                "recovery_reason",
                &self.recovery_reason().map(Error::message),
            )
            .finish()
    }
}

impl Status {
    /// Whether the header lets the writer continue the file: a valid header of an
    /// array with rows (not 0-d, no Python objects) with room for a longer row count
    /// (NumPy's layout since 1.24; a 4.0 header is never rewritten). Says nothing of
    /// the data: see [`Status::needs_recovery`].
    pub fn is_appendable(&self) -> bool {
        self.header.is_none()
    }

    /// Why the header does not let the file be continued
    /// ([`ErrorKind::NotAppendable`], [`ErrorKind::ObjectDtype`],
    /// [`ErrorKind::NoGrowthAxis`], [`ErrorKind::TooLarge`], or the header's own error
    /// when a journal explains why it does not parse).
    pub fn not_appendable(&self) -> Option<&Error> {
        self.header.as_ref()
    }

    /// Whether [`recover`](crate::recover) must run before the file is continued: an
    /// interrupted operation left its journal, or the data is not what the header says
    /// (a fixed header, 0-d included: another length than its shape's; a 4.0 header: a
    /// partial last row). Never for an array of Python objects, whose data is a pickle
    /// of any length.
    pub fn needs_recovery(&self) -> bool {
        self.journal.is_some() || self.data.is_some()
    }

    /// Why the file needs recovery ([`ErrorKind::NeedsRecovery`]).
    pub fn recovery_reason(&self) -> Option<&Error> {
        self.journal.as_ref().or(self.data.as_ref())
    }

    /// The rows the file holds, when its header has rows and its data matches.
    pub fn rows(&self) -> Option<u64> {
        match (&self.found, &self.data) {
            (Some((_, rows)), None) => Some(*rows),
            _ => None,
        }
    }

    /// The geometry and rows to continue from, or the first error in the order
    /// [`Appender::open`](crate::Appender::open) documents.
    pub(crate) fn into_open(self) -> Result<(Geometry, u64)> {
        let refusal = self.journal.or(self.header).or(self.data);
        match (refusal, self.found) {
            (Some(e), _) => Err(e),
            (None, Some(found)) => Ok(found),
            (None, None) => unreachable!("a header without rows is refused"),
        }
    }
}

/// Reads `path`'s header, length and journal without taking the file's lock (a writer
/// may hold it) or changing anything. An error means the file could not be read or its
/// header is not valid (and no journal explains why).
pub fn status(path: impl AsRef<Path>) -> Result<Status> {
    let path = path.as_ref();
    let file =
        File::open(path).map_err(|e| Error::io("cannot open the file", e).with_path(path))?;
    let journal = sidecar(path)?;
    let mut st = status_on(&file, &journal).map_err(|e| e.with_path(path))?;
    for e in [&mut st.journal, &mut st.header, &mut st.data] {
        *e = e.take().map(|e| e.with_path(path));
    }
    Ok(st)
}

/// [`status`] of any storage, with its journal (see [`Sidecar`](crate::Sidecar)).
pub fn status_on<S: Storage + ?Sized, J: Storage + ?Sized>(
    storage: &S,
    journal: &J,
) -> Result<Status> {
    let snap = read_header(storage).map_err(|e| Error::io("cannot read the header", e))?;
    // The journal first: an interrupted operation (a range insert cut short leaves
    // zeros where the magic was) explains a header that does not parse.
    let journal = match no_journal(journal, snap.file_len) {
        Ok(()) => None,
        Err(e) if *e.kind() == ErrorKind::NeedsRecovery => Some(e),
        // The journal could not be read: no answer can be given.
        Err(e) => return Err(e),
    };
    let parsed = match snap.state {
        HeaderState::Valid(p) => p,
        HeaderState::BadText { error, .. } | HeaderState::BadPreamble(error) => {
            let error = Error::header("the header", error);
            if journal.is_none() {
                return Err(error);
            }
            return Ok(Status {
                journal,
                header: Some(error),
                data: None,
                found: None,
            });
        }
    };
    let geo = match Geometry::new(&parsed) {
        Ok(geo) => geo,
        Err(e) => {
            // No rows to append to. A 0-d array's data can still be cut short or run
            // on, which `recover` repairs; an object array's is a pickle of any length.
            let header = &parsed.header;
            let data = if header.dtype().has_object() {
                None
            } else {
                wrong_length(header, snap.file_len - parsed.data_offset())
            };
            return Ok(Status {
                journal,
                header: Some(e),
                data,
                found: None,
            });
        }
    };
    let header = geo.check_appendable().err();
    let data_len = snap.file_len - geo.data_offset;
    let (rows, data) = match geo.count() {
        None => {
            let partial = data_len % geo.row_bytes;
            let error = (partial != 0).then(|| {
                Error::new(
                    ErrorKind::NeedsRecovery,
                    format!(
                        "the file ends with a partial row of {partial} bytes (rows are {} bytes): run recover",
                        geo.row_bytes
                    ),
                )
            });
            (data_len / geo.row_bytes, error)
        }
        Some(count) => (count, wrong_length(&geo.header, data_len)),
    };
    Ok(Status {
        journal,
        header,
        data,
        found: Some((geo, rows)),
    })
}

/// Why the data of a fixed header's file is not the length its shape needs, if it is
/// not (too short: an interrupted append; too long: rows written, not yet counted).
fn wrong_length(header: &Header, data_len: u64) -> Option<Error> {
    let shape = header.fixed_shape()?;
    // A parsed header's size is checked, so it is known.
    let need = header.data_bytes().ok().flatten()?;
    (data_len != need).then(|| {
        Error::new(
            ErrorKind::NeedsRecovery,
            format!(
                "the file holds {data_len} bytes of data but its header's shape {} needs {need}: run recover",
                python_tuple(shape)
            ),
        )
    })
}
