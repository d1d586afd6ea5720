//! The meaning of a header (data type, order, shape) and its resolution against the
//! data length.

use std::fmt;

use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind};
use crate::version::{Version, ARRAY_ALIGN, MAX_DIM};

/// Something surprising but allowed that a reader may want to report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A Python 2 `L` suffix on an integer (1.0/2.0 only; NumPy strips it and warns).
    Python2LongSuffix {
        /// File offset of the first `L`.
        offset: u64,
    },
    /// The deprecated type code `a` (an alias of `S`).
    DeprecatedTypeCode {
        /// File offset of the type string.
        offset: u64,
    },
    /// The header does not end with `\n` (`W-5`; NumPy does not check).
    MissingNewline,
    /// The data does not start on a multiple of 64 bytes (`W-4`; NumPy does not check).
    UnalignedData {
        /// The data offset.
        data_offset: u64,
    },
    /// The dtype holds Python objects: the data is a pickle and loading it runs
    /// arbitrary code (`D-8`).
    ObjectDtype,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Python2LongSuffix { offset } => write!(
                f,
                "at byte {offset}: Python 2 'L' integer suffix (accepted in format 1.0 and 2.0; save the file again to remove it)"
            ),
            Warning::DeprecatedTypeCode { offset } => write!(
                f,
                "at byte {offset}: type code 'a' is a deprecated alias of 'S'"
            ),
            Warning::MissingNewline => f.write_str("header does not end with a newline"),
            Warning::UnalignedData { data_offset } => write!(
                f,
                "data starts at byte {data_offset}, not a multiple of {ARRAY_ALIGN}"
            ),
            Warning::ObjectDtype => f.write_str(
                "dtype holds Python objects: the data is a pickle and cannot be loaded without unpickling untrusted code",
            ),
        }
    }
}

/// The meaning of a header: data type, order and shape.
///
/// A header is either fixed (every dimension stated, formats 1.0–3.0 and 4.0) or
/// open-ended (format 4.0: the growth-axis length is written as `-1` and derived from
/// the data length). Build one with [`Header::new`] or [`Header::open_ended`]; a
/// 0-d array has no growth axis, so an open-ended header always has at least one
/// dimension.
///
/// ```
/// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
///
/// let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap());
/// let fixed = Header::new(f8.clone(), false, vec![5, 3]);
/// assert_eq!(fixed.fixed_shape(), Some(&[5, 3][..]));
///
/// let open = Header::open_ended(f8, false, vec![3]); // shape (-1, 3)
/// assert_eq!(open.fixed_shape(), None);
/// assert_eq!(open.dims().collect::<Vec<_>>(), [None, Some(3)]);
/// assert_eq!(open.with_growth_len(5), Some(fixed));
/// assert!(format!("{open:?}").ends_with("shape: [-1, 3] }"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Header {
    dtype: Dtype,
    fortran_order: bool,
    /// The dimensions in file order. When `open_ended` is set the shape is never empty
    /// and its growth-axis entry is always 0 (the constructors and `with_growth_len`
    /// keep to this), so that the derived equality and hash treat equal headers alike.
    shape: Vec<u64>,
    open_ended: bool,
}

/// Shows the shape as the header writes it ([`Header::written_shape`], `-1` on an open
/// growth axis), rather than the placeholder kept inside.
impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("dtype", &self.dtype)
            .field("fortran_order", &self.fortran_order)
            .field("shape", &self.written_shape())
            .finish()
    }
}

/// A parsed header and where it sits in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The format version.
    pub version: Version,
    /// The value of the header-length field.
    pub header_len: u64,
    /// The header's meaning.
    pub header: Header,
    /// Things a reader may want to report.
    pub warnings: Vec<Warning>,
}

impl Parsed {
    /// Offset of the first byte of array data.
    pub fn data_offset(&self) -> u64 {
        self.version.preamble_len() as u64 + self.header_len
    }
}

/// The shape and layout once the data length is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The full shape, growth axis resolved.
    pub shape: Vec<u64>,
    /// Bytes of one step along the growth axis (`itemsize` times the other dimensions);
    /// for a 0-d array, the itemsize.
    pub row_bytes: u64,
    /// Bytes of array data the shape covers.
    pub data_bytes: u64,
    /// Bytes after the array data: a partial row (open-ended headers, a writer
    /// mid-append) or extra bytes NumPy ignores (fixed headers).
    pub trailing_bytes: u64,
}

impl Header {
    /// A header for a fixed shape (formats 1.0–3.0, or a 4.0 header without `-1`).
    ///
    /// ```
    /// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
    /// let i4 = Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 4).unwrap());
    /// let h = Header::new(i4, false, vec![2, 3]);
    /// assert_eq!(h.fixed_shape(), Some(&[2, 3][..]));
    /// assert!(!h.is_open_ended());
    /// ```
    pub fn new(dtype: Dtype, fortran_order: bool, shape: Vec<u64>) -> Header {
        Header {
            dtype,
            fortran_order,
            shape,
            open_ended: false,
        }
    }

    /// An open-ended (format 4.0) header: the growth-axis length is written as `-1`.
    /// `row_shape` is the other dimensions in file order, empty for a 1-d array: the
    /// shape is `(-1, *row_shape)` in C order and `(*row_shape, -1)` in Fortran order.
    ///
    /// ```
    /// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
    /// let i2 = Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 2).unwrap());
    /// let h = Header::open_ended(i2, true, vec![4, 5]);
    /// assert_eq!(h.dims().collect::<Vec<_>>(), [Some(4), Some(5), None]);
    /// assert_eq!(h.growth_axis(), Some(2));
    /// assert!(h.dict_text().starts_with("{'descr': '<i2', 'fortran_order': True, 'shape': (4, 5, -1), }"));
    /// ```
    pub fn open_ended(dtype: Dtype, fortran_order: bool, row_shape: Vec<u64>) -> Header {
        let mut shape = row_shape;
        if fortran_order {
            shape.push(0);
        } else {
            shape.insert(0, 0);
        }
        Header {
            dtype,
            fortran_order,
            shape,
            open_ended: true,
        }
    }

    /// The data type of one item.
    pub fn dtype(&self) -> &Dtype {
        &self.dtype
    }

    /// The data type of one item, taken out of the header.
    pub fn into_dtype(self) -> Dtype {
        self.dtype
    }

    /// Whether the data is in Fortran (column-major) order.
    pub fn fortran_order(&self) -> bool {
        self.fortran_order
    }

    /// Whether the growth-axis length is `-1` (format 4.0), to be derived from the
    /// data length with [`Header::resolve`].
    pub fn is_open_ended(&self) -> bool {
        self.open_ended
    }

    /// The number of dimensions, the growth axis included.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The shape the header states, or `None` for an open-ended header, whose shape
    /// [`Header::resolve`] works out from the data length.
    pub fn fixed_shape(&self) -> Option<&[u64]> {
        (!self.open_ended).then_some(&self.shape[..])
    }

    /// Every dimension in file order, `None` for the `-1` of an open-ended header.
    ///
    /// ```
    /// use npy_header::{Dtype, Header};
    /// let open = Header::open_ended(Dtype::of::<u8>(), false, vec![3]);
    /// assert_eq!(open.dims().collect::<Vec<_>>(), [None, Some(3)]);
    /// ```
    pub fn dims(&self) -> impl ExactSizeIterator<Item = Option<u64>> + '_ {
        let open = self.growth_axis().filter(|_| self.open_ended);
        self.shape
            .iter()
            .enumerate()
            .map(move |(axis, &d)| (Some(axis) != open).then_some(d))
    }

    /// The shape as the header's text writes it: `-1` on the growth axis of an
    /// open-ended header. A dimension above `i64::MAX`, which no parsed header has and
    /// `emit` refuses, shows as `i64::MAX`.
    ///
    /// ```
    /// use npy_header::{Dtype, Header};
    /// let open = Header::open_ended(Dtype::of::<u8>(), true, vec![3]);
    /// assert_eq!(open.written_shape(), [3, -1]);
    /// ```
    pub fn written_shape(&self) -> Vec<i64> {
        self.dims()
            .map(|d| d.map_or(-1, |d| i64::try_from(d).unwrap_or(i64::MAX)))
            .collect()
    }

    /// The dimensions other than the growth axis, in file order: the shape of one row.
    /// For a 0-d array, which has no growth axis, empty.
    ///
    /// ```
    /// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
    /// let f4 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 4).unwrap());
    /// assert_eq!(Header::new(f4.clone(), false, vec![7, 2, 3]).row_shape(), [2, 3]);
    /// assert_eq!(Header::new(f4.clone(), true, vec![2, 3, 7]).row_shape(), [2, 3]);
    /// assert_eq!(Header::open_ended(f4, false, vec![2, 3]).row_shape(), [2, 3]);
    /// ```
    pub fn row_shape(&self) -> &[u64] {
        match self.growth_axis() {
            None => &[],
            Some(0) if !self.fortran_order => &self.shape[1..],
            Some(axis) => &self.shape[..axis],
        }
    }

    /// The growth-axis length a fixed header states; `None` for an open-ended header
    /// and for a 0-d array.
    pub fn growth_len(&self) -> Option<u64> {
        let axis = self.growth_axis()?;
        (!self.open_ended).then(|| self.shape[axis])
    }

    /// The fixed header with `len` on the growth axis: what a writer states after
    /// appending, or what finalising a 4.0 file writes. `None` for a 0-d array, which
    /// has no growth axis.
    ///
    /// ```
    /// use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
    /// let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap());
    /// let open = Header::open_ended(f8.clone(), true, vec![3]);
    /// let fixed = open.with_growth_len(10).unwrap();
    /// assert_eq!(fixed.fixed_shape(), Some(&[3, 10][..]));
    /// assert_eq!(fixed.growth_len(), Some(10));
    /// assert_eq!(Header::new(f8, false, vec![]).with_growth_len(10), None);
    /// ```
    pub fn with_growth_len(&self, len: u64) -> Option<Header> {
        let axis = self.growth_axis()?;
        let mut shape = self.shape.clone();
        shape[axis] = len;
        Some(Header::new(self.dtype.clone(), self.fortran_order, shape))
    }

    /// The axis along which the array grows when appended to: 0 for C order, the last
    /// for Fortran order, none for a 0-d array.
    pub fn growth_axis(&self) -> Option<usize> {
        if self.shape.is_empty() {
            None
        } else if self.fortran_order {
            Some(self.shape.len() - 1)
        } else {
            Some(0)
        }
    }

    /// Bytes of one step along the growth axis: the itemsize times every other
    /// dimension (for a 0-d array, the itemsize). Checked: an overflow is an error.
    pub fn row_bytes(&self) -> Result<u64, Error> {
        checked_size(self.dtype.itemsize(), self.row_shape().iter().copied())
    }

    /// `prod(shape) * itemsize` for a fixed header, checked.
    pub(crate) fn fixed_data_bytes(&self) -> Result<u64, Error> {
        checked_size(self.dtype.itemsize(), self.shape.iter().copied())
    }

    /// Bytes of data the header declares, or `None` for an open-ended header.
    pub fn data_bytes(&self) -> Result<Option<u64>, Error> {
        if self.open_ended {
            Ok(None)
        } else {
            self.fixed_data_bytes().map(Some)
        }
    }

    /// Works out the shape from the number of data bytes in the file (everything after
    /// the header). A fixed header needs at least its declared bytes (an error says
    /// both lengths otherwise); an open-ended header takes as many whole rows as fit.
    ///
    /// ```
    /// use npy_header::{Header, Dtype, Scalar, Kind, ByteOrder};
    /// let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap());
    /// let h = Header::open_ended(f8, false, vec![3]);
    /// let r = h.resolve(24 * 5 + 7).unwrap();
    /// assert_eq!(r.shape, [5, 3]);
    /// assert_eq!((r.row_bytes, r.data_bytes, r.trailing_bytes), (24, 120, 7));
    /// ```
    pub fn resolve(&self, data_len: u64) -> Result<Resolved, Error> {
        let row_bytes = self.row_bytes()?;
        if !self.open_ended {
            let need = self.fixed_data_bytes()?;
            if data_len < need {
                return Err(Error::new(
                    ErrorKind::DataLength,
                    None,
                    format!(
                        "file holds {data_len} bytes of data but the header's shape needs {need} (truncated, or an interrupted append)"
                    ),
                ));
            }
            return Ok(Resolved {
                shape: self.shape.clone(),
                row_bytes,
                data_bytes: need,
                trailing_bytes: data_len - need,
            });
        }
        let axis = self
            .growth_axis()
            .expect("open-ended headers have a growth axis");
        if row_bytes == 0 {
            return Err(Error::new(
                ErrorKind::InvalidGrowthDim,
                None,
                "rows of zero bytes: the growth-axis length cannot be derived from the data length",
            ));
        }
        // Capped so that the resolved array stays addressable: at most MAX_DIM bytes,
        // hence also at most MAX_DIM rows.
        let rows = (data_len / row_bytes).min(MAX_DIM / row_bytes);
        let data_bytes = rows * row_bytes;
        let mut shape = self.shape.clone();
        shape[axis] = rows;
        Ok(Resolved {
            shape,
            row_bytes,
            data_bytes,
            trailing_bytes: data_len - data_bytes,
        })
    }
}

/// `itemsize * prod(dims)`, checked as NumPy checks array sizes (`H-8`): zero
/// dimensions are skipped in the overflow check, so `(0, 2**62)` of `<f8` is refused
/// in whatever order its dimensions come, and then count as zero.
fn checked_size(itemsize: u64, dims: impl Iterator<Item = u64>) -> Result<u64, Error> {
    let mut n = itemsize;
    let mut empty = false;
    for d in dims {
        if d == 0 {
            empty = true;
            continue;
        }
        n = n.checked_mul(d).filter(|&n| n <= MAX_DIM).ok_or_else(|| {
            Error::new(
                ErrorKind::DataTooLarge { limit: MAX_DIM },
                None,
                format!("shape times itemsize overflows: the data would exceed {MAX_DIM} bytes"),
            )
        })?;
    }
    Ok(if empty { 0 } else { n })
}
