//! Reading a file's header through [`Storage`] and the arithmetic of rows.

use std::io;
use std::ops::Range;

use npy_header::{Header, HeaderParser, Parsed, Preamble, Version, MAX_DIM, MAX_PREAMBLE_LEN};

use crate::error::{Error, ErrorKind, Result};
use crate::storage::{read_exact_at, Storage};

/// The longest header this crate reads: 1 MiB, a hundred times NumPy's default limit.
/// A longer length field is refused before any buffer is sized from it.
pub const MAX_HEADER_LEN: u64 = 1 << 20;

pub(crate) const MAX_PREAMBLE_LEN_U64: u64 = MAX_PREAMBLE_LEN as u64;

/// Bytes read at once from the start of a file for its header.
const FIRST_READ: u64 = 4096;

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
    read_header_of(s, s.len()?)
}

/// [`read_header`] of a file whose length the caller has just read.
pub(crate) fn read_header_of<S: Storage + ?Sized>(s: &S, file_len: u64) -> io::Result<Snapshot> {
    let parser = parser();
    // One read covers the preamble and the header of nearly every file (NumPy's are 128
    // bytes); a longer header is read on once its length field has been checked.
    let first = file_len.min(FIRST_READ);
    let mut bytes = vec![0u8; usize::try_from(first).expect("at most a page")];
    read_exact_at(s, &mut bytes, 0)?;
    let pre_len = bytes.len().min(MAX_PREAMBLE_LEN);
    let preamble = match parser.parse_preamble(&bytes[..pre_len]) {
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
    if end <= first {
        bytes.truncate(usize::try_from(end).expect("at most a page"));
    } else {
        let have = bytes.len();
        bytes.resize(
            usize::try_from(end)
                .expect("the preamble parser checked the length field against MAX_HEADER_LEN"),
            0,
        );
        read_exact_at(s, &mut bytes[have..], first)?;
    }
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
    /// The header as the file holds it.
    pub header: Header,
    pub axis: usize,
    pub row_bytes: u64,
}

impl Geometry {
    /// The geometry of a parsed header. Errors for 0-d arrays and object dtypes, which
    /// have no rows.
    pub fn new(parsed: &Parsed) -> Result<Geometry> {
        let header = &parsed.header;
        if header.dtype().has_object() {
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

    /// The row count the header states; `None` when open-ended (the file size counts
    /// the rows).
    pub fn count(&self) -> Option<u64> {
        self.header.growth_len()
    }

    /// The most rows the array can have: 2⁶³−1 bytes of data at most.
    pub fn max_rows(&self) -> u64 {
        MAX_DIM.checked_div(self.row_bytes).unwrap_or(MAX_DIM)
    }

    /// The shape with `rows` on the growth axis.
    pub fn shape(&self, rows: u64) -> Vec<u64> {
        let mut shape = self.header.row_shape().to_vec();
        shape.insert(self.axis, rows);
        shape
    }

    /// The fixed header for `rows` rows.
    pub fn fixed_header(&self, rows: u64) -> Header {
        self.header
            .with_growth_len(rows)
            .expect("a geometry has a growth axis")
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
        if self.header.is_open_ended() {
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

/// A header as last written, and where the growth-axis count's digits are in it.
///
/// Rewriting the header after every append is the writer's hot path: when the count
/// keeps its number of digits, only those bytes change, so they are patched and written
/// alone instead of emitting the whole header again (which allocates and formats the
/// dtype). When the digit count changes, the header is emitted afresh.
#[derive(Debug)]
pub(crate) struct HeaderText {
    rows: u64,
    bytes: Vec<u8>,
    /// The count's digits; `None` if they could not be located (then every rewrite
    /// emits the header).
    digits: Option<Range<usize>>,
}

impl HeaderText {
    /// The header for `rows` rows.
    pub fn new(geo: &Geometry, rows: u64) -> Result<HeaderText> {
        let bytes = geo.header_bytes(rows)?;
        let digits = locate_count(&bytes, &geo.shape(rows), geo.axis);
        Ok(HeaderText {
            rows,
            bytes,
            digits,
        })
    }

    /// Makes this the header for `rows` rows. Returns the byte range that changed if
    /// only the count's digits did (`None` after a full rewrite of the text).
    pub fn set(&mut self, geo: &Geometry, rows: u64) -> Result<Option<Range<usize>>> {
        if let Some(span) = self.digits.clone() {
            if decimal_len(rows) == span.len() {
                write_decimal(&mut self.bytes[span.clone()], rows);
                self.rows = rows;
                return Ok(Some(span));
            }
        }
        *self = HeaderText::new(geo, rows)?;
        Ok(None)
    }

    /// The rows this header counts.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The whole header, preamble included.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Where the digits of `shape[axis]` are in an emitted header, checked against the
/// expected text (a field name may contain anything, but `shape` is the last key).
fn locate_count(header: &[u8], shape: &[u64], axis: usize) -> Option<Range<usize>> {
    const KEY: &[u8] = b"'shape': (";
    let open = header.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let start = open
        + shape[..axis]
            .iter()
            .map(|&d| decimal_len(d) + 2)
            .sum::<usize>();
    let end = start + decimal_len(shape[axis]);
    let found = header.get(start..end)?;
    let expected = shape[axis].to_string();
    let before = header[start - 1];
    let after = *header.get(end)?;
    let delimited = matches!(before, b'(' | b' ') && matches!(after, b',' | b')');
    (found == expected.as_bytes() && delimited).then_some(start..end)
}

/// How many digits `n` has in decimal.
pub(crate) fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Writes `n` in decimal into `out`, which is exactly as long as its digits.
fn write_decimal(out: &mut [u8], mut n: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + u8::try_from(n % 10).expect("a digit");
        n /= 10;
    }
    debug_assert_eq!(n, 0, "the digits fit");
}

/// The growth axis in words, for messages.
pub(crate) fn describe_axis(fortran_order: bool, ndim: usize) -> String {
    if fortran_order {
        format!("axis {} in Fortran order", ndim.saturating_sub(1))
    } else {
        "axis 0 in C order".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parsed header as NumPy lays it out for this descr and shape.
    fn geometry(descr: &str, fortran: bool, shape: &str) -> Geometry {
        let order = if fortran { "True" } else { "False" };
        let dict = format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}");
        let header = npy_header::parse(&padded(&dict)).expect("the test header parses");
        let emitted = header.header.emit(Some(Version::V1_0)).expect("emits");
        Geometry::new(&npy_header::parse(&emitted.bytes).expect("reparses")).expect("appendable")
    }

    fn padded(dict: &str) -> Vec<u8> {
        let mut text = dict.as_bytes().to_vec();
        while !(10 + text.len() + 1).is_multiple_of(64) {
            text.push(b' ');
        }
        text.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&u16::try_from(text.len()).expect("short").to_le_bytes());
        out.extend_from_slice(&text);
        out
    }

    #[test]
    fn patching_the_count_gives_the_emitted_header() {
        let cases = [
            ("'<f8'", false, "(0, 16)"),
            ("'<f8'", false, "(0,)"),
            ("'<f8'", true, "(16, 0)"),
            ("'<f8'", true, "(0,)"),
            ("'<i2'", true, "(3, 123456, 0)"),
            (
                "[('shape', '<f8'), (\"'shape': (\", '<i4', (2,))]",
                false,
                "(0, 7)",
            ),
            ("[(\"'shape': (1, \", '<u1')]", true, "(7, 0)"),
        ];
        let counts = [1, 2, 9, 10, 11, 99, 100, 101, 12_345, 99_999, 100_000, 7];
        for (descr, fortran, shape) in cases {
            let geo = geometry(descr, fortran, shape);
            let mut text = HeaderText::new(&geo, 0).expect("text");
            assert!(text.digits.is_some(), "{descr} {shape}: the count is found");
            let mut last = 0;
            for rows in counts {
                let patched = text.set(&geo, rows).expect("set");
                let expected = geo.header_bytes(rows).expect("emit");
                assert_eq!(text.bytes(), &expected[..], "{descr} {shape} {rows}");
                assert_eq!(text.rows(), rows);
                let same_len = decimal_len(rows) == decimal_len(last);
                assert_eq!(
                    patched.is_some(),
                    same_len,
                    "{descr} {shape} {last}->{rows}"
                );
                if let Some(span) = patched {
                    assert_eq!(&expected[span], rows.to_string().as_bytes());
                }
                last = rows;
            }
        }
    }

    #[test]
    fn a_count_that_cannot_be_located_is_not_patched() {
        let geo = geometry("'<f8'", false, "(5, 2)");
        let bytes = geo.header_bytes(5).expect("emit");
        let at = bytes
            .windows(6)
            .position(|w| w == b"(5, 2)")
            .expect("the shape")
            + 1;
        assert_eq!(locate_count(&bytes, &[5, 2], 0), Some(at..at + 1));
        // The expected digits are not where the shape says they would be.
        assert_eq!(locate_count(&bytes, &[6, 2], 0), None);
        assert_eq!(locate_count(&bytes, &[55, 2], 0), None);
        assert_eq!(locate_count(b"{'descr': '<f8'}", &[5], 0), None);
    }
}
