//! Reading a header without trusting it, and resolving it against a data length.

use std::io::Read;

use npy_header::{
    Dtype, Header, HeaderParser, Limits, Parsed, Preamble, Version, Warning, MAX_DIM,
    MAX_PREAMBLE_LEN,
};

use crate::error::{Error, ErrorKind};

/// Reads and parses the header at the start of `reader`, and nothing after it.
///
/// The order of reads is what makes this safe on hostile input (`R-1`, `S-1`): at most
/// [`MAX_PREAMBLE_LEN`] bytes first; then [`HeaderParser::parse_preamble`] checks the
/// header-length field against the parser's limit before anything is sized from it;
/// then exactly the header text is read, into a buffer that grows with what actually
/// arrives, so a 12-byte file that claims a 4 GiB header costs 12 bytes. A stream that
/// ends early gives [`ErrorKind::Header`] with the parser's `Truncated` kind.
///
/// ```
/// use npy_header::HeaderParser;
///
/// let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy"))?;
/// let mut reader = &file[..];
/// let parsed = npy_mmap::read_header(&mut reader, &HeaderParser::new())?;
/// assert_eq!(parsed.header.fixed_shape(), Some(&[3, 4][..]));
/// assert_eq!(reader.len(), 96); // the data is left unread
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_header<R: Read + ?Sized>(
    reader: &mut R,
    parser: &HeaderParser,
) -> Result<Parsed, Error> {
    let (preamble, text) = read_raw_header(reader, parser)?;
    Ok(parser.parse_text(preamble, &text)?)
}

/// The preamble and the exact bytes of the header text (shorter than the preamble
/// says only when the input ended early; [`HeaderParser::parse_text`] reports that).
pub(crate) fn read_raw_header<R: Read + ?Sized>(
    reader: &mut R,
    parser: &HeaderParser,
) -> Result<(Preamble, Vec<u8>), Error> {
    let mut start = Vec::with_capacity(MAX_PREAMBLE_LEN);
    reader
        .take(MAX_PREAMBLE_LEN as u64)
        .read_to_end(&mut start)?;
    // The length field is checked against the limit here, before it sizes anything.
    let preamble = parser.parse_preamble(&start)?;
    let pre_len = preamble.version.preamble_len();
    // A 1.0 preamble is 10 bytes, so up to 2 bytes of header text were read already.
    let mut text = start.split_off(pre_len.min(start.len()));
    let already = text.len() as u64;
    if already > preamble.header_len {
        // A header shorter than 2 bytes: keep only what the length field covers.
        text.truncate(usize::try_from(preamble.header_len).expect("less than 2"));
    } else {
        // `read_to_end` grows the buffer with the bytes that arrive, never from the
        // (checked but still untrusted) length field.
        reader
            .take(preamble.header_len - already)
            .read_to_end(&mut text)?;
    }
    Ok((preamble, text))
}

/// A header resolved against the number of data bytes a file holds: the shape with
/// a 4.0 file's `-1` derived, the bytes of array data, the bytes after it, strides.
///
/// Both readers build one, and [`Layout::new`] is public so a tool that only inspects
/// files (no data access) resolves them exactly as the readers do.
///
/// ```
/// use npy_header::{HeaderParser, Limits};
/// use npy_mmap::Layout;
///
/// // A 4.0 header for rows of three <i4, with 2 whole rows and 5 bytes of a third.
/// let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/v4_open_partial_row.npy"))?;
/// let parsed = npy_header::parse(&file)?;
/// let data_len = file.len() as u64 - parsed.data_offset();
/// let layout = Layout::new(parsed, data_len, &Limits::default())?;
/// assert_eq!(layout.shape(), [2, 3]);
/// assert_eq!((layout.rows(), layout.row_bytes(), layout.data_bytes()), (2, 12, 24));
/// assert_eq!(layout.trailing_bytes(), 5);
/// assert!(layout.has_partial_row());
/// assert_eq!(layout.strides(), [12, 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    parsed: Parsed,
    shape: Vec<u64>,
    row_bytes: u64,
    data_bytes: u64,
    trailing_bytes: u64,
    strides: Vec<u64>,
}

impl Layout {
    /// Resolves `parsed` against `data_len`, the bytes after the header:
    ///
    /// * a fixed (1.0–3.0, or 4.0 without `-1`) shape needs at least
    ///   `prod(shape) * itemsize` bytes, else [`ErrorKind::DataTooShort`] (`R-9`); bytes
    ///   beyond are trailing bytes, ignored as NumPy ignores them;
    /// * an open-ended 4.0 shape takes the whole rows that fit (`V4-4`); the rest is a
    ///   partial row, never part of the array;
    /// * the array's bytes must be within `limits.max_data_bytes`
    ///   ([`ErrorKind::DataTooLarge`]), and the shape's non-zero dimensions must
    ///   multiply to fewer than 2⁶³ items (which only an item of 0 bytes, `|V0`, can
    ///   break once the parser has checked `H-8`), so that counts and strides fit.
    pub fn new(parsed: Parsed, data_len: u64, limits: &Limits) -> Result<Layout, Error> {
        let header = &parsed.header;
        check_countable(header)?;
        if let Some(needed) = header.data_bytes()? {
            if data_len < needed {
                return Err(Error::new(
                    ErrorKind::DataTooShort {
                        needed,
                        available: data_len,
                    },
                    format!(
                        "file holds {data_len} bytes of data but the header's shape needs {needed}: it was truncated or an append was interrupted (recover the file to keep its whole rows)"
                    ),
                ));
            }
        }
        let resolved = header.resolve(data_len)?;
        if resolved.data_bytes > limits.max_data_bytes {
            return Err(Error::new(
                ErrorKind::DataTooLarge {
                    size: resolved.data_bytes,
                    limit: limits.max_data_bytes,
                },
                format!(
                    "the array holds {} bytes of data, more than the limit of {} (raise it if you trust this file)",
                    resolved.data_bytes, limits.max_data_bytes
                ),
            ));
        }
        let strides = strides(
            &resolved.shape,
            header.dtype().itemsize(),
            header.fortran_order(),
        );
        Ok(Layout {
            parsed,
            shape: resolved.shape,
            row_bytes: resolved.row_bytes,
            data_bytes: resolved.data_bytes,
            trailing_bytes: resolved.trailing_bytes,
            strides,
        })
    }

    /// The parsed header: version, header length, the header as written, warnings.
    pub fn parsed(&self) -> &Parsed {
        &self.parsed
    }

    /// The header as written (for a 4.0 file it may be open-ended, see
    /// [`Header::is_open_ended`]; [`Layout::shape`] is the shape resolved).
    pub fn header(&self) -> &Header {
        &self.parsed.header
    }

    /// The format version.
    pub fn version(&self) -> Version {
        self.parsed.version
    }

    /// The data type of one item.
    pub fn dtype(&self) -> &Dtype {
        self.parsed.header.dtype()
    }

    /// Whether the data is in Fortran (column-major) order.
    pub fn fortran_order(&self) -> bool {
        self.parsed.header.fortran_order()
    }

    /// The shape, a 4.0 file's growth axis resolved.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// Bytes to step along each axis: C order has the last axis contiguous, Fortran
    /// order the first. A 0-d array has none.
    pub fn strides(&self) -> &[u64] {
        &self.strides
    }

    /// The axis along which the file grows: 0 in C order, the last in Fortran order,
    /// none for a 0-d array.
    pub fn growth_axis(&self) -> Option<usize> {
        self.parsed.header.growth_axis()
    }

    /// Length of the growth axis: the number of rows (1 for a 0-d array).
    pub fn rows(&self) -> u64 {
        self.growth_axis().map_or(1, |axis| self.shape[axis])
    }

    /// Bytes of one row, a step along the growth axis; in either order a row is
    /// contiguous. For a 0-d array, the item size.
    pub fn row_bytes(&self) -> u64 {
        self.row_bytes
    }

    /// Number of items: the product of the shape.
    pub fn len(&self) -> u64 {
        // Bounded by `check_countable`.
        self.shape.iter().product()
    }

    /// Whether the array has no items (a zero in the shape).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of the first data byte in the file.
    pub fn data_offset(&self) -> u64 {
        self.parsed.data_offset()
    }

    /// Bytes of array data: `prod(shape) * itemsize`.
    pub fn data_bytes(&self) -> u64 {
        self.data_bytes
    }

    /// Bytes after the array data that are not part of it: extra bytes after a fixed
    /// shape's data, or a partial row of an open-ended file.
    pub fn trailing_bytes(&self) -> u64 {
        self.trailing_bytes
    }

    /// Whether an open-ended file ends with a partial row (a writer mid-append, or an
    /// interrupted one), which is not part of the array (`V4-4`).
    pub fn has_partial_row(&self) -> bool {
        self.parsed.header.is_open_ended() && self.trailing_bytes > 0
    }

    /// The parser's warnings (`R-8`). A partial row and trailing bytes are not among
    /// them; see [`Layout::trailing_bytes`].
    pub fn warnings(&self) -> &[Warning] {
        &self.parsed.warnings
    }
}

/// The parser bounds the item size times the non-zero dimensions (`H-8`); with an
/// item of 0 bytes (`|V0`) that bounds nothing, so the item count is checked here:
/// item counts, indices and strides then always fit in a `u64`.
fn check_countable(header: &Header) -> Result<(), Error> {
    let mut n = 1u64;
    for d in header.dims().flatten() {
        if d == 0 {
            continue;
        }
        n = match n.checked_mul(d).filter(|&n| n <= MAX_DIM) {
            Some(n) => n,
            None => {
                return Err(Error::new(
                    ErrorKind::DataTooLarge {
                        size: u64::MAX,
                        limit: MAX_DIM,
                    },
                    format!(
                        "the shape's non-zero dimensions multiply to more than {MAX_DIM} items, too many to index (NumPy's own count of them overflows)"
                    ),
                ))
            }
        };
    }
    Ok(())
}

/// Byte strides of a contiguous array. Cannot overflow once `check_countable`
/// passed and the growth axis is resolved within the data length.
pub(crate) fn strides(shape: &[u64], itemsize: u64, fortran_order: bool) -> Vec<u64> {
    let mut strides = vec![0; shape.len()];
    let mut step = itemsize;
    let mut set = |axis: usize| {
        strides[axis] = step;
        step = step.saturating_mul(shape[axis].max(1));
    };
    if fortran_order {
        (0..shape.len()).for_each(&mut set);
    } else {
        (0..shape.len()).rev().for_each(&mut set);
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_c_and_fortran() {
        assert_eq!(strides(&[2, 3, 4], 8, false), [96, 32, 8]);
        assert_eq!(strides(&[2, 3, 4], 8, true), [8, 16, 48]);
        assert_eq!(strides(&[], 8, false), Vec::<u64>::new());
        // A zero dimension does not zero the strides of the axes outside it.
        assert_eq!(strides(&[0, 5], 4, false), [20, 4]);
        assert_eq!(strides(&[5, 0, 2], 1, true), [1, 5, 5]);
    }

    fn parsed(major: u8, dict: &str) -> Parsed {
        let mut text = dict.as_bytes().to_vec();
        while (12 + text.len() + 1) % 64 != 0 {
            text.push(b' ');
        }
        text.push(b'\n');
        let mut file = b"\x93NUMPY".to_vec();
        file.extend_from_slice(&[major, 0]);
        file.extend_from_slice(&u32::try_from(text.len()).unwrap().to_le_bytes());
        file.extend_from_slice(&text);
        npy_header::parse(&file).unwrap()
    }

    #[test]
    fn too_many_empty_items() {
        let p = parsed(
            3,
            "{'descr': '|V0', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
        );
        let err = Layout::new(p, 0, &Limits::default()).unwrap_err();
        assert_eq!(err.kind().name(), "data_too_large");
        assert_eq!(
            err.to_string(),
            "the shape's non-zero dimensions multiply to more than 9223372036854775807 items, too many to index (NumPy's own count of them overflows)"
        );
        // Just below the bound is fine, and holds no bytes.
        let p = parsed(
            3,
            "{'descr': '|V0', 'fortran_order': False, 'shape': (0, 4294967296, 2147483647), }",
        );
        let layout = Layout::new(p, 0, &Limits::default()).unwrap();
        assert!(layout.is_empty());
        assert_eq!(layout.strides(), [0, 0, 0]);
        let p = parsed(
            3,
            "{'descr': '|V0', 'fortran_order': False, 'shape': (4294967296, 2147483647), }",
        );
        let layout = Layout::new(p, 0, &Limits::default()).unwrap();
        assert_eq!(layout.len(), 9223372032559808512);
        assert_eq!(layout.data_bytes(), 0);
    }

    #[test]
    fn data_limit_applies_to_derived_lengths() {
        let p = parsed(
            4,
            "{'descr': '<i2', 'fortran_order': False, 'shape': (-1, 2), }",
        );
        let mut limits = Limits::default();
        limits.max_data_bytes = 8;
        assert_eq!(Layout::new(p.clone(), 11, &limits).unwrap().rows(), 2);
        let err = Layout::new(p, 12, &limits).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::DataTooLarge { size: 12, limit: 8 });
        assert_eq!(
            err.to_string(),
            "the array holds 12 bytes of data, more than the limit of 8 (raise it if you trust this file)"
        );
    }
}
