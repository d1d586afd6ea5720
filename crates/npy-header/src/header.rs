//! Reading and writing whole headers: preamble, dict, limits, emission.

use std::fmt;

use crate::dtype::{descr_from_value, write_tuple, DescrCtx, Dtype, MAX_ITEMSIZE};
use crate::error::{Error, ErrorKind};
use crate::fast;
use crate::literal::{self, Encoding, Int, Node, Value};

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Data starts on a multiple of this many bytes (NumPy's `ARRAY_ALIGN`).
pub const ARRAY_ALIGN: u64 = 64;

/// Spare characters NumPy reserves for the growth-axis length so that appending can
/// rewrite the header in place (NumPy's `GROWTH_AXIS_MAX_DIGITS`).
pub const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// Bytes needed to read any preamble (magic, version, a 4-byte length field).
pub const MAX_PREAMBLE_LEN: usize = 12;

/// NumPy addresses arrays with a signed 64-bit `npy_intp`; no dimension or byte count
/// can exceed it.
pub const MAX_DIM: u64 = i64::MAX as u64;

/// The format versions this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// 1.0: 2-byte length field, latin-1 header.
    V1_0,
    /// 2.0: 4-byte length field, latin-1 header (NumPy ≥ 1.9).
    V2_0,
    /// 3.0: 4-byte length field, UTF-8 header (NumPy ≥ 1.17).
    V3_0,
    /// 4.0 (proposed, not read by NumPy): as 3.0, and the growth-axis length may be
    /// `-1`, derived by the reader from the data length.
    V4_0,
}

impl Version {
    /// All versions, oldest first.
    pub const ALL: [Version; 4] = [Version::V1_0, Version::V2_0, Version::V3_0, Version::V4_0];

    /// The version for the two version bytes, if it is one this crate knows.
    pub fn from_bytes(major: u8, minor: u8) -> Option<Version> {
        match (major, minor) {
            (1, 0) => Some(Version::V1_0),
            (2, 0) => Some(Version::V2_0),
            (3, 0) => Some(Version::V3_0),
            (4, 0) => Some(Version::V4_0),
            _ => None,
        }
    }

    /// The major version byte.
    pub fn major(self) -> u8 {
        match self {
            Version::V1_0 => 1,
            Version::V2_0 => 2,
            Version::V3_0 => 3,
            Version::V4_0 => 4,
        }
    }

    /// The minor version byte (always 0).
    pub fn minor(self) -> u8 {
        0
    }

    /// Size of the little-endian header-length field: 2 for 1.0, else 4.
    pub fn length_field_size(self) -> usize {
        if self == Version::V1_0 {
            2
        } else {
            4
        }
    }

    /// Bytes before the header text: magic, version, length field.
    pub fn preamble_len(self) -> usize {
        8 + self.length_field_size()
    }

    /// Whether the header text is UTF-8 (3.0, 4.0) rather than latin-1.
    pub fn is_utf8(self) -> bool {
        self >= Version::V3_0
    }

    fn max_header_field(self) -> u64 {
        if self == Version::V1_0 {
            u64::from(u16::MAX)
        } else {
            u64::from(u32::MAX)
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

/// Resource limits for parsing untrusted headers. Each has its own [`ErrorKind`].
///
/// | limit | default | why |
/// |---|---|---|
/// | `max_header_len` | 10 000 bytes | NumPy's `max_header_size` (it counts characters) |
/// | `max_depth` | 64 | nesting of brackets; at most 200, CPython's own parser limit |
/// | `max_dims` | 64 | NumPy 2's `NPY_MAXDIMS` |
/// | `max_fields` | 65 536 | fields counted across all nesting levels |
/// | `max_data_bytes` | 2⁶³−1 | `prod(shape) * itemsize`; NumPy cannot address more |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted header-length field (header text plus padding, in bytes).
    /// Checked before any buffer is sized from it.
    pub max_header_len: u64,
    /// Deepest accepted bracket nesting. Values above [`Limits::MAX_DEPTH`] act as it.
    pub max_depth: u32,
    /// Most dimensions in the shape or in any subarray.
    pub max_dims: u32,
    /// Most fields in the descr, counted at every nesting level.
    pub max_fields: u32,
    /// Largest data size the header may declare.
    pub max_data_bytes: u64,
}

impl Limits {
    /// The hard ceiling on `max_depth`: CPython refuses to parse more than 200 nested
    /// parentheses, so NumPy can never read such a header.
    pub const MAX_DEPTH: u32 = 200;

    /// No limit beyond what the format and NumPy themselves impose: the largest header
    /// a 4-byte length field holds, the deepest nesting CPython parses.
    pub fn none() -> Limits {
        Limits {
            max_header_len: u64::from(u32::MAX),
            max_depth: Limits::MAX_DEPTH,
            max_dims: u32::MAX,
            max_fields: u32::MAX,
            max_data_bytes: MAX_DIM,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_header_len: 10_000,
            max_depth: 64,
            max_dims: 64,
            max_fields: 65_536,
            max_data_bytes: MAX_DIM,
        }
    }
}

/// The fixed-size start of a file: version and header length, read before the header
/// text so a reader knows how much to read (and can refuse before allocating).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preamble {
    /// The format version.
    pub version: Version,
    /// The value of the header-length field: bytes of header text and padding.
    pub header_len: u64,
}

impl Preamble {
    /// Offset of the first byte of array data.
    pub fn data_offset(&self) -> u64 {
        self.version.preamble_len() as u64 + self.header_len
    }
}

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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The data type of one item.
    pub dtype: Dtype,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The dimensions. When `open_ended` is set, the entry on the growth axis is a
    /// placeholder 0 until [`Header::resolve`] derives it from the data length.
    pub shape: Vec<u64>,
    /// Format 4.0: the growth-axis length is written as `-1` and derived from the file
    /// size by the reader.
    pub open_ended: bool,
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

/// Reads and checks headers with configurable [`Limits`].
///
/// ```
/// use npy_header::{HeaderParser, ErrorKind};
/// let file = b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
/// let err = HeaderParser::new().max_header_len(64).parse(file).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::HeaderTooLong { len: 118, limit: 64 }));
/// ```
#[derive(Clone, Debug, Default)]
pub struct HeaderParser {
    limits: Limits,
}

impl HeaderParser {
    /// A parser with the default [`Limits`].
    pub fn new() -> HeaderParser {
        HeaderParser::default()
    }

    /// A parser with the given limits.
    pub fn with_limits(limits: Limits) -> HeaderParser {
        HeaderParser { limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sets [`Limits::max_header_len`].
    pub fn max_header_len(mut self, n: u64) -> Self {
        self.limits.max_header_len = n;
        self
    }

    /// Sets [`Limits::max_depth`] (at most [`Limits::MAX_DEPTH`]).
    pub fn max_depth(mut self, n: u32) -> Self {
        self.limits.max_depth = n;
        self
    }

    /// Sets [`Limits::max_dims`].
    pub fn max_dims(mut self, n: u32) -> Self {
        self.limits.max_dims = n;
        self
    }

    /// Sets [`Limits::max_fields`].
    pub fn max_fields(mut self, n: u32) -> Self {
        self.limits.max_fields = n;
        self
    }

    /// Sets [`Limits::max_data_bytes`].
    pub fn max_data_bytes(mut self, n: u64) -> Self {
        self.limits.max_data_bytes = n;
        self
    }

    /// Reads the preamble from the first bytes of a file (at least 10 for 1.0, 12
    /// otherwise; [`MAX_PREAMBLE_LEN`] always suffices) and checks the header length
    /// against the limit, so a reader can size its buffer from the result safely.
    pub fn parse_preamble(&self, bytes: &[u8]) -> Result<Preamble, Error> {
        let magic_len = MAGIC.len().min(bytes.len());
        if bytes[..magic_len] != MAGIC[..magic_len] {
            let at = bytes
                .iter()
                .zip(MAGIC.iter())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            return Err(Error::at(
                ErrorKind::BadMagic,
                at as u64,
                "not a .npy file: it does not start with the magic string \\x93NUMPY",
            ));
        }
        if bytes.len() < 8 {
            return Err(truncated(8, bytes.len(), "the magic string and version"));
        }
        let (major, minor) = (bytes[6], bytes[7]);
        let version = Version::from_bytes(major, minor).ok_or_else(|| {
            Error::at(
                ErrorKind::UnsupportedVersion { major, minor },
                6,
                format!(
                    "unsupported format version {major}.{minor}: this reader supports 1.0, 2.0, 3.0 and 4.0"
                ),
            )
        })?;
        let pre = version.preamble_len();
        if bytes.len() < pre {
            return Err(truncated(pre, bytes.len(), "the header length field"));
        }
        let header_len = if version == Version::V1_0 {
            u64::from(u16::from_le_bytes([bytes[8], bytes[9]]))
        } else {
            u64::from(u32::from_le_bytes([
                bytes[8], bytes[9], bytes[10], bytes[11],
            ]))
        };
        if header_len > self.limits.max_header_len {
            return Err(Error::at(
                ErrorKind::HeaderTooLong {
                    len: header_len,
                    limit: self.limits.max_header_len,
                },
                8,
                format!(
                    "header length {header_len} exceeds the limit of {} bytes (raise it if you trust this file)",
                    self.limits.max_header_len
                ),
            ));
        }
        Ok(Preamble {
            version,
            header_len,
        })
    }

    /// Parses a header from the start of a file. `bytes` must hold at least the whole
    /// header (the array data may follow; it is not read).
    pub fn parse(&self, bytes: &[u8]) -> Result<Parsed, Error> {
        let preamble = self.parse_preamble(bytes)?;
        let start = preamble.version.preamble_len();
        let end = preamble.data_offset();
        if (bytes.len() as u64) < end {
            return Err(truncated_u64(end, bytes.len() as u64, "the header"));
        }
        let end = usize::try_from(end).expect("end <= bytes.len()");
        self.parse_text(preamble, &bytes[start..end])
    }

    /// Parses the header text (exactly `preamble.header_len` bytes, starting right
    /// after the preamble), for readers that read the preamble first.
    pub fn parse_text(&self, preamble: Preamble, text: &[u8]) -> Result<Parsed, Error> {
        let version = preamble.version;
        let base = version.preamble_len() as u64;
        if text.len() as u64 != preamble.header_len {
            return Err(truncated_u64(
                preamble.data_offset(),
                base + text.len() as u64,
                "the header",
            ));
        }
        let mut warnings = Vec::new();
        let fast = fast::parse(text, version, &self.limits).and_then(|c| {
            self.finish(c.dtype, c.fortran_order, c.dims, &c.growth, 0)
                .ok()
        });
        let header = match fast {
            Some(header) => header,
            None => {
                let opts = literal::Options {
                    encoding: if version.is_utf8() {
                        Encoding::Utf8
                    } else {
                        Encoding::Latin1
                    },
                    allow_long_suffix: version <= Version::V2_0,
                    max_depth: self.limits.max_depth.min(Limits::MAX_DEPTH),
                };
                let parsed = literal::parse(text, base, &opts)?;
                if let Some(offset) = parsed.long_suffix_at {
                    warnings.push(Warning::Python2LongSuffix { offset });
                }
                self.interpret(version, parsed.node, &mut warnings)?
            }
        };
        if text.last() != Some(&b'\n') {
            warnings.push(Warning::MissingNewline);
        }
        if preamble.data_offset() % ARRAY_ALIGN != 0 {
            warnings.push(Warning::UnalignedData {
                data_offset: preamble.data_offset(),
            });
        }
        if header.dtype.has_object() {
            warnings.push(Warning::ObjectDtype);
        }
        Ok(Parsed {
            version,
            header_len: preamble.header_len,
            header,
            warnings,
        })
    }

    /// Checks the dict as NumPy's `_read_array_header` does, then this project's
    /// stricter rules (see `spec/`, "Deliberate differences").
    fn interpret(
        &self,
        version: Version,
        node: Node,
        warnings: &mut Vec<Warning>,
    ) -> Result<Header, Error> {
        let Value::Dict(pairs) = node.value else {
            return Err(Error::at(
                ErrorKind::NotADict,
                node.offset,
                format!("header is a {}, not a dict", node.value.type_name()),
            ));
        };
        let mut descr = None;
        let mut fortran = None;
        let mut shape = None;
        for (k, v) in pairs {
            let Value::Str(key) = &k.value else {
                return Err(Error::at(
                    ErrorKind::UnknownKey,
                    k.offset,
                    format!(
                        "header key is a {}; keys are the strings 'descr', 'fortran_order' and 'shape'",
                        k.value.type_name()
                    ),
                ));
            };
            let slot = match key.as_str() {
                "descr" => &mut descr,
                "fortran_order" => &mut fortran,
                "shape" => &mut shape,
                _ => {
                    return Err(Error::at(
                        ErrorKind::UnknownKey,
                        k.offset,
                        format!(
                            "unknown header key {key:?}: the header has exactly the keys 'descr', 'fortran_order' and 'shape'"
                        ),
                    ))
                }
            };
            if slot.is_some() {
                return Err(Error::at(
                    ErrorKind::DuplicateKey,
                    k.offset,
                    format!(
                        "header key {key:?} appears twice (readers disagree on which one counts)"
                    ),
                ));
            }
            *slot = Some(v);
        }
        let dict_end = node.offset;
        let missing = |name: &str| {
            Error::at(
                ErrorKind::MissingKey,
                dict_end,
                format!("header has no {name:?} key: the header has exactly the keys 'descr', 'fortran_order' and 'shape'"),
            )
        };
        let descr = descr.ok_or_else(|| missing("descr"))?;
        let fortran = fortran.ok_or_else(|| missing("fortran_order"))?;
        let shape = shape.ok_or_else(|| missing("shape"))?;

        let (dims, growth_dims) = self.shape_from_value(version, &shape)?;
        let fortran_order = match fortran.value {
            Value::Bool(b) => b,
            ref other => {
                return Err(Error::at(
                    ErrorKind::InvalidFortranOrder,
                    fortran.offset,
                    format!(
                        "fortran_order must be True or False, not a {}",
                        describe_value(other)
                    ),
                ))
            }
        };
        let mut ctx = DescrCtx {
            max_fields: self.limits.max_fields,
            max_dims: self.limits.max_dims,
            fields_seen: 0,
            deprecated_at: None,
        };
        let dtype = descr_from_value(&descr, &mut ctx)?;
        if let Some(offset) = ctx.deprecated_at {
            warnings.push(Warning::DeprecatedTypeCode { offset });
        }

        self.finish(dtype, fortran_order, dims, &growth_dims, shape.offset)
    }

    /// The checks that need the whole header: `-1` placement (V4-2), object dtypes
    /// with an open axis (V4-8), empty rows (V4-3), the data size (H-8, limits).
    /// Offsets point at the `-1` entries or at the shape.
    pub(crate) fn finish(
        &self,
        dtype: Dtype,
        fortran_order: bool,
        dims: Vec<u64>,
        growth_dims: &[GrowthDim],
        shape_offset: u64,
    ) -> Result<Header, Error> {
        let open_ended = !growth_dims.is_empty();
        if open_ended {
            let growth_axis = if fortran_order { dims.len() - 1 } else { 0 };
            if growth_dims.len() > 1 {
                return Err(Error::at(
                    ErrorKind::InvalidGrowthDim,
                    growth_dims[1].1,
                    "shape holds -1 more than once; only the growth axis may be -1",
                ));
            }
            let (axis, offset) = growth_dims[0];
            if axis != growth_axis {
                return Err(Error::at(
                    ErrorKind::InvalidGrowthDim,
                    offset,
                    format!(
                        "-1 is allowed only on the growth axis ({growth_axis} for {} order), not on axis {axis}",
                        if fortran_order { "Fortran" } else { "C" }
                    ),
                ));
            }
        }
        if open_ended && dtype.has_object() {
            return Err(Error::at(
                ErrorKind::InvalidGrowthDim,
                growth_dims[0].1,
                "a -1 growth axis cannot be used with an object dtype: its data is a pickle, not rows",
            ));
        }
        let header = Header {
            dtype,
            fortran_order,
            shape: dims,
            open_ended,
        };
        // The declared size must be representable and within the limit.
        let size = if open_ended {
            header.row_bytes().and_then(|r| {
                if r == 0 {
                    Err(Error::at(
                        ErrorKind::InvalidGrowthDim,
                        shape_offset,
                        "a -1 growth axis needs rows of at least one byte: with a zero-size dimension or item the length cannot be derived",
                    ))
                } else {
                    Ok(r)
                }
            })
        } else {
            header.fixed_data_bytes()
        };
        let size = size.map_err(|e| {
            if matches!(e.kind(), ErrorKind::DataTooLarge { .. }) {
                Error::at(e.kind().clone(), shape_offset, e.message().to_string())
            } else {
                e
            }
        })?;
        if size > self.limits.max_data_bytes {
            return Err(Error::at(
                ErrorKind::DataTooLarge {
                    limit: self.limits.max_data_bytes,
                },
                shape_offset,
                format!(
                    "header declares {size} bytes of data, more than the limit of {}",
                    self.limits.max_data_bytes
                ),
            ));
        }
        Ok(header)
    }

    /// `shape`: a tuple of non-negative ints. Returns the dims (0 where `-1` stood)
    /// and the axes and offsets of every `-1`.
    fn shape_from_value(
        &self,
        version: Version,
        shape: &Node,
    ) -> Result<(Vec<u64>, Vec<GrowthDim>), Error> {
        let Value::Tuple(items) = &shape.value else {
            return Err(Error::at(
                ErrorKind::InvalidShape,
                shape.offset,
                format!(
                    "shape must be a tuple of ints, not a {}",
                    describe_value(&shape.value)
                ),
            ));
        };
        if items.len() > self.limits.max_dims as usize {
            return Err(Error::at(
                ErrorKind::TooManyDims {
                    limit: self.limits.max_dims,
                },
                shape.offset,
                format!(
                    "shape has {} dimensions, more than the limit of {}",
                    items.len(),
                    self.limits.max_dims
                ),
            ));
        }
        let mut dims = Vec::with_capacity(items.len());
        let mut growth = Vec::new();
        for (axis, item) in items.iter().enumerate() {
            let v = match item.value {
                Value::Int(i) => i,
                Value::Bool(_) => {
                    return Err(Error::at(
                        ErrorKind::InvalidShape,
                        item.offset,
                        "shape entries must be ints, not True or False (NumPy reads them as 1 and 0; this reader refuses)",
                    ))
                }
                ref other => {
                    return Err(Error::at(
                        ErrorKind::InvalidShape,
                        item.offset,
                        format!("shape entries must be ints, not a {}", describe_value(other)),
                    ))
                }
            };
            match v {
                Int {
                    negative: true,
                    magnitude: Some(1),
                } => {
                    if version != Version::V4_0 {
                        return Err(Error::at(
                            ErrorKind::InvalidGrowthDim,
                            item.offset,
                            format!("-1 in the shape is allowed only in format 4.0, not {version}"),
                        ));
                    }
                    growth.push((axis, item.offset));
                    dims.push(0);
                }
                Int { negative: true, .. } => {
                    return Err(Error::at(
                        ErrorKind::InvalidShape,
                        item.offset,
                        "shape entries must not be negative",
                    ))
                }
                Int {
                    magnitude: Some(m), ..
                } if m <= MAX_DIM => dims.push(m),
                _ => {
                    return Err(Error::at(
                        ErrorKind::InvalidShape,
                        item.offset,
                        format!("shape entry is larger than {MAX_DIM}, the largest dimension NumPy can address"),
                    ))
                }
            }
        }
        Ok((dims, growth))
    }
}

/// The axis and file offset of a `-1` in the shape.
pub(crate) type GrowthDim = (usize, u64);

fn describe_value(v: &Value) -> String {
    match v {
        Value::Int(Int {
            negative,
            magnitude: Some(m),
        }) => format!("int ({}{m})", if *negative { "-" } else { "" }),
        Value::Str(s) => format!("str ({s:?})"),
        other => other.type_name().to_string(),
    }
}

fn truncated(needed: usize, available: usize, what: &str) -> Error {
    truncated_u64(needed as u64, available as u64, what)
}

fn truncated_u64(needed: u64, available: u64, what: &str) -> Error {
    Error::at(
        ErrorKind::Truncated { needed, available },
        available,
        format!("file ends after {available} bytes, inside {what} (which needs {needed})"),
    )
}

/// Parses a header with the default [`Limits`]. `bytes` must hold at least the whole
/// header; array data may follow.
///
/// ```
/// let file = b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }                    \n";
/// # let mut file = file.to_vec(); file.truncate(10); file.extend_from_slice(b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"); file.resize(127, b' '); file.push(b'\n');
/// let parsed = npy_header::parse(&file).unwrap();
/// assert_eq!(parsed.header.shape, [3, 4]);
/// assert_eq!(parsed.header.dtype.to_descr(), "'<f8'");
/// assert_eq!(parsed.data_offset(), 128);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Parsed, Error> {
    HeaderParser::new().parse(bytes)
}

impl Header {
    /// A header for a fixed shape.
    pub fn new(dtype: Dtype, fortran_order: bool, shape: Vec<u64>) -> Header {
        Header {
            dtype,
            fortran_order,
            shape,
            open_ended: false,
        }
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
        let axis = self.growth_axis();
        let dims = self
            .shape
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != axis)
            .map(|(_, &d)| d);
        checked_size(self.dtype.itemsize(), dims)
    }

    /// `prod(shape) * itemsize` for a fixed header, checked.
    fn fixed_data_bytes(&self) -> Result<u64, Error> {
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
    /// let h = Header { dtype: f8, fortran_order: false, shape: vec![0, 3], open_ended: true };
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

/// A header serialised for writing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emitted {
    /// The version written (the one asked for, or the oldest that fits).
    pub version: Version,
    /// Magic through the final newline; array data follows.
    pub bytes: Vec<u8>,
}

impl Header {
    /// The dict text exactly as NumPy's `_write_array_header` builds it, with the
    /// spare growth-axis spaces, before padding.
    pub fn dict_text(&self) -> String {
        let mut s = String::with_capacity(128);
        s.push_str("{'descr': ");
        s.push_str(&self.dtype.to_descr());
        s.push_str(", 'fortran_order': ");
        s.push_str(if self.fortran_order { "True" } else { "False" });
        s.push_str(", 'shape': ");
        let axis = self.growth_axis();
        if self.open_ended {
            s.push('(');
            for (i, d) in self.shape.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                if Some(i) == axis {
                    s.push_str("-1");
                } else {
                    s.push_str(&d.to_string());
                }
            }
            if self.shape.len() == 1 {
                s.push(',');
            }
            s.push(')');
        } else {
            write_tuple(&mut s, &self.shape);
        }
        s.push_str(", }");
        if let Some(axis) = axis {
            let digits = if self.open_ended {
                2
            } else {
                self.shape[axis].to_string().len()
            };
            s.extend(std::iter::repeat_n(
                ' ',
                GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
            ));
        }
        s
    }

    fn check_emittable(&self, version: Version) -> Result<(), Error> {
        // A zero-size item or dimension keeps the byte count at 0, so the size check
        // below would not see a dimension no reader accepts.
        if let Some(d) = self.shape.iter().find(|&&d| d > MAX_DIM) {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("shape entry {d} is larger than {MAX_DIM}, the largest dimension NumPy can address"),
            ));
        }
        if self.open_ended && version != Version::V4_0 {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("an open-ended (-1) shape needs format 4.0, not {version}"),
            ));
        }
        if self.open_ended && self.shape.is_empty() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "a 0-d array has no growth axis to leave open",
            ));
        }
        if matches!(self.dtype, Dtype::Subarray { .. }) {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "a subarray type cannot be the whole dtype (NumPy writes such arrays as '|V<n>'); use it as a field",
            ));
        }
        if self.dtype.itemsize() > MAX_ITEMSIZE {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("the item size exceeds {MAX_ITEMSIZE} bytes"),
            ));
        }
        if let Err(why) = self.dtype.check_layout() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("the dtype cannot be written: {why}"),
            ));
        }
        if self.open_ended && self.dtype.has_object() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "an open-ended (-1) shape cannot be used with an object dtype",
            ));
        }
        // A reader must be able to read back what is written: the size must be
        // representable, and an open growth axis needs non-empty rows.
        let size = if self.open_ended {
            self.row_bytes()
        } else {
            self.fixed_data_bytes()
        };
        match size {
            Ok(0) if self.open_ended => Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "an open-ended (-1) shape needs rows of at least one byte",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                e.message().to_string(),
            )),
        }
    }

    /// Serialises the header as NumPy ≥ 1.24 would: with `version`, or (`None`) the
    /// oldest version that holds it, chosen as NumPy's `_wrap_header_guess_version`
    /// does (1.0; 2.0 if the header is too long; 3.0 if it is not latin-1). An
    /// open-ended header is always 4.0.
    ///
    /// ```
    /// use npy_header::{Header, Dtype, Scalar, Kind, ByteOrder, Version};
    /// let h = Header::new(Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 4).unwrap()), false, vec![2]);
    /// let out = h.emit(None).unwrap();
    /// assert_eq!(out.version, Version::V1_0);
    /// assert_eq!(out.bytes.len(), 128);
    /// assert!(out.bytes.starts_with(b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"));
    /// ```
    pub fn emit(&self, version: Option<Version>) -> Result<Emitted, Error> {
        let text = self.dict_text();
        let version = match version {
            Some(v) => v,
            None if self.open_ended => Version::V4_0,
            None => {
                // The length that decides between 1.0 and 2.0 is the latin-1 one.
                match encode(&text, Version::V1_0) {
                    Err(_) => Version::V3_0,
                    Ok(body)
                        if padded_len(Version::V1_0, body.len() as u64 + 1)
                            <= Version::V1_0.max_header_field() =>
                    {
                        Version::V1_0
                    }
                    Ok(_) => Version::V2_0,
                }
            }
        };
        self.check_emittable(version)?;
        let body = encode(&text, version)?;
        let hlen = body.len() as u64 + 1;
        let field = padded_len(version, hlen);
        if field > version.max_header_field() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("header length {hlen} too big for version {version}"),
            ));
        }
        Ok(Emitted {
            version,
            bytes: assemble(version, &body, field),
        })
    }

    /// Serialises the header padded to exactly `total_len` bytes (magic through
    /// newline), for rewriting the header of an existing file in place after its shape
    /// changed. The spare growth-axis spaces are absorbed into the padding. An error if
    /// the header no longer fits.
    pub fn emit_in_place(&self, version: Version, total_len: u64) -> Result<Vec<u8>, Error> {
        self.check_emittable(version)?;
        let text = self.dict_text();
        let body = encode(text.trim_end_matches(' '), version)?;
        let pre = version.preamble_len() as u64;
        let need = pre + body.len() as u64 + 1;
        if need > total_len {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!(
                    "the header for shape {:?} needs {need} bytes but the file has room for {total_len} (make it appendable first)",
                    self.shape
                ),
            ));
        }
        let field = total_len - pre;
        if field > version.max_header_field() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("header length {field} too big for version {version}"),
            ));
        }
        Ok(assemble(version, &body, field))
    }
}

/// The header-length field for `hlen` bytes of text plus newline: padded so the data
/// starts on a multiple of 64, and NumPy never pads by zero (an aligned header gets 64
/// more spaces).
fn padded_len(version: Version, hlen: u64) -> u64 {
    let pre = version.preamble_len() as u64;
    let pad = ARRAY_ALIGN - (pre + hlen) % ARRAY_ALIGN;
    hlen + pad
}

fn encode(text: &str, version: Version) -> Result<Vec<u8>, Error> {
    if version.is_utf8() {
        return Ok(text.as_bytes().to_vec());
    }
    text.chars()
        .map(|c| u8::try_from(c as u32))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| {
            Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("the header holds characters outside latin-1, which format {version} cannot store (use 3.0)"),
            )
        })
}

/// magic + version + length field + body + spaces + newline, `field` bytes after the
/// preamble.
fn assemble(version: Version, body: &[u8], field: u64) -> Vec<u8> {
    let pre = version.preamble_len();
    let total = pre + usize::try_from(field).expect("header fits in memory");
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(version.major());
    out.push(version.minor());
    if version == Version::V1_0 {
        out.extend_from_slice(
            &u16::try_from(field)
                .expect("checked against u16")
                .to_le_bytes(),
        );
    } else {
        out.extend_from_slice(
            &u32::try_from(field)
                .expect("checked against u32")
                .to_le_bytes(),
        );
    }
    out.extend_from_slice(body);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}
