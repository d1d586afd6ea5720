//! Reading a file's header through [`Storage`] and the arithmetic of rows.

use std::io;

use npy_header::{Header, HeaderParser, Parsed, Preamble, Version, MAX_DIM, MAX_PREAMBLE_LEN};

use crate::error::{Error, ErrorKind, Result};
use crate::storage::{read_exact_at, Storage};

/// The longest header this crate reads: 1 MiB, a hundred times NumPy's default limit.
/// A longer length field is refused before any buffer is sized from it.
pub const MAX_HEADER_LEN: u64 = 1 << 20;

pub(crate) const MAX_PREAMBLE_LEN_U64: u64 = MAX_PREAMBLE_LEN as u64;

/// The parser every operation uses: default limits except the header length.
pub(crate) fn parser() -> HeaderParser {
    HeaderParser::new().max_header_len(MAX_HEADER_LEN)
}

/// What the start of a file holds.
pub(crate) enum HeaderState {
    /// A valid header.
    Valid(Parsed),
    /// The preamble is valid but the header text is not (a torn header, or not ours).
    BadText {
        preamble: Preamble,
        error: npy_header::Error,
    },
    /// Not even the magic, version and length field are valid.
    BadPreamble(npy_header::Error),
}

/// A file's length and header as read at one moment.
pub(crate) struct Snapshot {
    pub file_len: u64,
    pub state: HeaderState,
}

/// Reads the preamble, then (its length checked against [`MAX_HEADER_LEN`]) the header.
pub(crate) fn read_header<S: Storage + ?Sized>(s: &S) -> io::Result<Snapshot> {
    let file_len = s.len()?;
    let parser = parser();
    let pre_len = file_len.min(MAX_PREAMBLE_LEN as u64);
    let mut pre = vec![0u8; usize::try_from(pre_len).expect("at most 12")];
    read_exact_at(s, &mut pre, 0)?;
    let preamble = match parser.parse_preamble(&pre) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Snapshot {
                file_len,
                state: HeaderState::BadPreamble(e),
            })
        }
    };
    // Bounded: the preamble parser checked the length field against MAX_HEADER_LEN.
    let end = preamble.data_offset().min(file_len);
    let mut bytes = vec![0u8; usize::try_from(end).expect("bounded by MAX_HEADER_LEN")];
    read_exact_at(s, &mut bytes, 0)?;
    let state = match parser.parse(&bytes) {
        Ok(parsed) => HeaderState::Valid(parsed),
        Err(error) => HeaderState::BadText { preamble, error },
    };
    Ok(Snapshot { file_len, state })
}

/// A header and where its rows are: everything the writer and `recover` compute with.
#[derive(Clone, Debug)]
pub(crate) struct Geometry {
    pub version: Version,
    pub data_offset: u64,
    /// The header; `shape[axis]` is the row count it states (0 when open-ended).
    pub header: Header,
    pub axis: usize,
    pub row_bytes: u64,
}

impl Geometry {
    /// The geometry of a parsed header. Errors for 0-d arrays and object dtypes, which
    /// have no rows.
    pub fn new(parsed: &Parsed) -> Result<Geometry> {
        let header = &parsed.header;
        if header.dtype.has_object() {
            return Err(Error::new(
                ErrorKind::ObjectDtype,
                "the dtype holds Python objects: the data is a pickle, not rows, and cannot be appended to",
            ));
        }
        let axis = header.growth_axis().ok_or_else(|| {
            Error::new(
                ErrorKind::NoGrowthAxis,
                "the array is 0-d (shape ()): it has no axis to append along",
            )
        })?;
        let row_bytes = header
            .row_bytes()
            .map_err(|e| Error::new(ErrorKind::TooLarge, e.message().to_string()))?;
        Ok(Geometry {
            version: parsed.version,
            data_offset: parsed.data_offset(),
            header: header.clone(),
            axis,
            row_bytes,
        })
    }

    /// The row count the header states (meaningless when open-ended).
    pub fn count(&self) -> u64 {
        self.header.shape[self.axis]
    }

    /// The most rows the array can have: 2⁶³−1 bytes of data at most.
    pub fn max_rows(&self) -> u64 {
        MAX_DIM.checked_div(self.row_bytes).unwrap_or(MAX_DIM)
    }

    /// The shape with `rows` on the growth axis.
    pub fn shape(&self, rows: u64) -> Vec<u64> {
        let mut shape = self.header.shape.clone();
        shape[self.axis] = rows;
        shape
    }

    /// The fixed header for `rows` rows.
    pub fn fixed_header(&self, rows: u64) -> Header {
        Header::new(
            self.header.dtype.clone(),
            self.header.fortran_order,
            self.shape(rows),
        )
    }

    /// The length of the preamble (magic, version, header length), which a rewrite
    /// of the count never changes.
    pub fn preamble_len(&self) -> usize {
        if self.version == Version::V1_0 {
            10
        } else {
            12
        }
    }

    /// The header bytes for `rows` rows, in this file's version and header length.
    pub fn header_bytes(&self, rows: u64) -> Result<Vec<u8>> {
        self.fixed_header(rows)
            .emit_in_place(self.version, self.data_offset)
            .map_err(|e| {
                Error::new(
                    ErrorKind::NotAppendable,
                    format!(
                        "the header has no room for {rows} rows ({}): make the file appendable first (ensure_appendable)",
                        e.message()
                    ),
                )
            })
    }

    /// Whether the header is as long as NumPy's with its spare growth-axis space
    /// (`A-1`; npy-append-array's test): then every valid row count fits in place.
    /// Open-ended headers are never rewritten while appending.
    pub fn check_appendable(&self) -> Result<()> {
        if self.header.open_ended {
            return Ok(());
        }
        let need = self
            .header
            .emit(Some(self.version))
            .map(|e| e.bytes.len() as u64)
            .map_err(|e| {
                Error::new(
                    ErrorKind::NotAppendable,
                    format!(
                        "the header cannot be written again in format {}: {}",
                        self.version,
                        e.message()
                    ),
                )
            })?;
        if need > self.data_offset {
            return Err(Error::new(
                ErrorKind::NotAppendable,
                format!(
                    "the header is not appendable: it has no spare room for a longer growth-axis length ({} bytes, NumPy's layout needs {need}); run ensure_appendable first",
                    self.data_offset
                ),
            ));
        }
        Ok(())
    }
}

/// A shape as Python writes a tuple: `()`, `(3,)`, `(3, 4)`.
pub(crate) fn fmt_shape(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The growth axis in words, for messages.
pub(crate) fn describe_axis(fortran_order: bool, ndim: usize) -> String {
    if fortran_order {
        format!("axis {} in Fortran order", ndim.saturating_sub(1))
    } else {
        "axis 0 in C order".to_string()
    }
}
