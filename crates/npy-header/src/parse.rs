//! Reading headers: the preamble, then the dict, with the limits checked first.

use crate::descr::{descr_from_value, DescrCtx};
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind};
use crate::fast::{self, GrowthDim};
use crate::header::{Header, Parsed, Warning};
use crate::limits::Limits;
use crate::literal::{self, Encoding, Int, Node, Value};
use crate::version::{Preamble, Version, ARRAY_ALIGN, MAGIC, MAX_DIM};

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
    /// otherwise; [`MAX_PREAMBLE_LEN`](crate::MAX_PREAMBLE_LEN) always suffices) and checks the header length
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
                let opts = self.literal_options(version);
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
        if header.dtype().has_object() {
            warnings.push(Warning::ObjectDtype);
        }
        Ok(Parsed {
            version,
            header_len: preamble.header_len,
            header,
            warnings,
        })
    }

    /// Parses a descr on its own: the value of a header's `'descr'` key, as
    /// `repr(numpy.lib.format.dtype_to_descr(dtype))` prints it, read as a 3.0 header's
    /// (UTF-8) with this parser's limits on length, nesting, fields and dimensions.
    /// Error offsets count from the start of `text`. For writers that are handed a
    /// dtype as text, such as a binding to another language.
    ///
    /// ```
    /// use npy_header::{Dtype, HeaderParser};
    /// let p = HeaderParser::new();
    /// let dt = p.parse_descr("[('t', '<M8[ns]'), ('xy', '<f4', (2,))]").unwrap();
    /// assert_eq!(dt.itemsize(), 16);
    /// assert!(matches!(p.parse_descr("'<f8'").unwrap(), Dtype::Scalar(_)));
    /// assert_eq!(p.parse_descr("'<f8', 1").unwrap_err().offset(), Some(0));
    /// assert!(p.parse_descr("<f8").unwrap_err().message().ends_with("quoted: '<f8'"));
    /// ```
    pub fn parse_descr(&self, text: &str) -> Result<Dtype, Error> {
        let len = text.len() as u64;
        if len > self.limits.max_header_len {
            return Err(Error::at(
                ErrorKind::HeaderTooLong {
                    len,
                    limit: self.limits.max_header_len,
                },
                0,
                format!(
                    "the descr is {len} bytes, over the limit of {} bytes for a header",
                    self.limits.max_header_len
                ),
            ));
        }
        let opts = self.literal_options(Version::V3_0);
        let parsed = literal::parse(text.as_bytes(), 0, &opts).map_err(|e| {
            // A bare type string is the likeliest slip: say how to write it.
            if crate::typestr::parse_type_str(text.trim()).is_ok() {
                Error::at(
                    e.kind().clone(),
                    e.offset().unwrap_or(0),
                    format!(
                        "{}: a descr is a Python literal, so a type string is quoted: '{}'",
                        e.message(),
                        text.trim()
                    ),
                )
            } else {
                e
            }
        })?;
        descr_from_value(&parsed.node, &mut self.descr_ctx())
    }

    /// How the header text of `version` is read: its encoding, whether Python 2's `L`
    /// suffix is allowed, and this parser's nesting limit.
    fn literal_options(&self, version: Version) -> literal::Options {
        literal::Options {
            encoding: if version.is_utf8() {
                Encoding::Utf8
            } else {
                Encoding::Latin1
            },
            allow_long_suffix: version <= Version::V2_0,
            max_depth: self.limits.max_depth.min(Limits::MAX_DEPTH),
        }
    }

    /// A descr's reading state, with this parser's limits on fields and dimensions.
    fn descr_ctx(&self) -> DescrCtx {
        DescrCtx {
            max_fields: self.limits.max_fields,
            max_dims: self.limits.max_dims,
            fields_seen: 0,
            deprecated_at: None,
        }
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
        let mut ctx = self.descr_ctx();
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
        mut dims: Vec<u64>,
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
        let header = if open_ended {
            dims.remove(growth_dims[0].0);
            Header::open_ended(dtype, fortran_order, dims)
        } else {
            Header::new(dtype, fortran_order, dims)
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
/// assert_eq!(parsed.header.fixed_shape(), Some(&[3, 4][..]));
/// assert_eq!(parsed.header.dtype().to_descr(), "'<f8'");
/// assert_eq!(parsed.data_offset(), 128);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Parsed, Error> {
    HeaderParser::new().parse(bytes)
}
