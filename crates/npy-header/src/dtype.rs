//! The data type model: scalars, fields, structured and subarray types, their sizes,
//! and how they are written back exactly as NumPy's `dtype_to_descr` + `repr` would.

use std::fmt::{self, Write as _};

use crate::repr::write_tuple;

use crate::repr::write_str_repr;

/// NumPy stores item sizes in a C `int`; larger types cannot exist.
pub const MAX_ITEMSIZE: u64 = i32::MAX as u64;

/// Byte order of a scalar type, after NumPy's normalisation (`=` and `|` on
/// multi-byte types mean the native order of the machine that reads the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`
    Little,
    /// `>`
    Big,
    /// `|`: single bytes, byte strings, void and object data have no byte order.
    NotApplicable,
}

impl ByteOrder {
    /// The byte order of the machine running this code.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };

    /// The character NumPy writes for this order.
    pub fn as_char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        }
    }
}

/// The kind of a scalar type (NumPy's `dtype.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `b`: bool, one byte.
    Bool,
    /// `i`: signed integer of 1, 2, 4 or 8 bytes.
    Int,
    /// `u`: unsigned integer of 1, 2, 4 or 8 bytes.
    UInt,
    /// `f`: IEEE float of 2, 4 or 8 bytes, or x87 extended precision stored in 16.
    Float,
    /// `c`: complex of two floats, 8, 16 or 32 bytes.
    Complex,
    /// `S`: fixed-length byte string (NUL padded).
    Bytes,
    /// `U`: fixed-length UCS-4 string; the itemsize is 4 bytes per character.
    Unicode,
    /// `V`: raw bytes.
    Void,
    /// `O`: Python object references. The data is a pickle and cannot be loaded
    /// without unpickling, which runs arbitrary code.
    Object,
    /// `M`: `datetime64`, 8 bytes.
    Datetime,
    /// `m`: `timedelta64`, 8 bytes.
    Timedelta,
}

impl Kind {
    fn as_char(self) -> char {
        match self {
            Kind::Bool => 'b',
            Kind::Int => 'i',
            Kind::UInt => 'u',
            Kind::Float => 'f',
            Kind::Complex => 'c',
            Kind::Bytes => 'S',
            Kind::Unicode => 'U',
            Kind::Void => 'V',
            Kind::Object => 'O',
            Kind::Datetime => 'M',
            Kind::Timedelta => 'm',
        }
    }
}

/// The unit of a `datetime64`/`timedelta64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum TimeUnit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
    Picoseconds,
    Femtoseconds,
    Attoseconds,
}

impl TimeUnit {
    const ALL: [(&'static str, TimeUnit); 14] = [
        ("Y", TimeUnit::Years),
        ("M", TimeUnit::Months),
        ("W", TimeUnit::Weeks),
        ("D", TimeUnit::Days),
        ("h", TimeUnit::Hours),
        ("m", TimeUnit::Minutes),
        ("s", TimeUnit::Seconds),
        ("ms", TimeUnit::Milliseconds),
        ("us", TimeUnit::Microseconds),
        ("\u{3bc}s", TimeUnit::Microseconds),
        ("ns", TimeUnit::Nanoseconds),
        ("ps", TimeUnit::Picoseconds),
        ("fs", TimeUnit::Femtoseconds),
        ("as", TimeUnit::Attoseconds),
    ];

    /// The symbol NumPy writes (`"ns"`, `"D"`, …).
    pub fn symbol(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, u)| *u == self)
            .map(|(s, _)| *s)
            .expect("every unit has a symbol")
    }

    pub(crate) fn from_symbol(s: &str) -> Option<TimeUnit> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, u)| *u)
    }
}

/// A scalar (non-structured, non-subarray) data type: a kind, a size the kind has, a
/// byte order normalised as NumPy normalises it, and for datetimes a unit. Built only
/// by [`Scalar::new`] and [`Scalar::with_time_unit`] (or read from a header), so every
/// `Scalar` is one NumPy writes the way it reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scalar {
    pub(crate) kind: Kind,
    pub(crate) byte_order: ByteOrder,
    pub(crate) itemsize: u64,
    pub(crate) time_unit: Option<(u32, TimeUnit)>,
}

/// A field of a structured data type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field name (may be empty for a non-void field, as NumPy allows).
    pub name: String,
    /// The optional title (an alias NumPy also accepts for lookup).
    pub title: Option<String>,
    /// The field's type.
    pub dtype: Dtype,
    /// Byte offset of the field within one item.
    pub offset: u64,
}

/// A data type as a `.npy` header describes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// A scalar type such as `<f8`.
    Scalar(Scalar),
    /// A structured type: named fields at offsets, and a total item size. Bytes not
    /// covered by a field are padding.
    Record {
        /// Fields in declaration order, offsets increasing.
        fields: Vec<Field>,
        /// Size of one item in bytes.
        itemsize: u64,
    },
    /// A fixed-shape subarray of another type (only inside a structured type).
    Subarray {
        /// The element type (which may itself be a subarray, as NumPy keeps it).
        base: Box<Dtype>,
        /// The subarray shape (never empty: an empty shape means the base type).
        shape: Vec<u64>,
    },
}

impl Dtype {
    /// Size of one item in bytes.
    pub fn itemsize(&self) -> u64 {
        match self {
            Dtype::Scalar(s) => s.itemsize,
            Dtype::Record { itemsize, .. } => *itemsize,
            Dtype::Subarray { base, shape } => {
                // Parsing checks this product against MAX_ITEMSIZE; saturate for
                // hand-built values so emission can refuse them instead of panicking.
                shape
                    .iter()
                    .fold(base.itemsize(), |n, &d| n.saturating_mul(d))
            }
        }
    }

    /// Whether any part of this type holds Python objects, so that the data is a pickle
    /// and loading it means running untrusted code (`D-8`).
    pub fn has_object(&self) -> bool {
        match self {
            Dtype::Scalar(s) => s.kind == Kind::Object,
            Dtype::Record { fields, .. } => fields.iter().any(|f| f.dtype.has_object()),
            Dtype::Subarray { base, .. } => base.has_object(),
        }
    }

    /// `S0`, `U0`, `V0` or a zero-byte subarray: NumPy treats these as "unsized" and
    /// refuses them as the base of a subarray, even with an empty shape.
    pub(crate) fn is_unsized_flexible(&self) -> bool {
        match self {
            Dtype::Scalar(s) => {
                s.itemsize == 0 && matches!(s.kind, Kind::Bytes | Kind::Unicode | Kind::Void)
            }
            // A subarray is a void type to NumPy; one of zero bytes counts as unsized.
            Dtype::Subarray { .. } => self.itemsize() == 0,
            Dtype::Record { .. } => false,
        }
    }

    /// Checks that a hand-built type means the same after writing and reading back:
    /// fields in increasing, non-overlapping offsets within the item size, unique names
    /// and titles, no field that reads back as padding, subarrays NumPy can build.
    pub(crate) fn check_layout(&self) -> Result<(), String> {
        match self {
            Dtype::Scalar(s) => {
                // A size the kind does not have, or a byte order NumPy normalises away,
                // would be written as is and read back as something else (or not at all).
                let canonical = Scalar::new(s.kind, s.byte_order, s.itemsize).map(|c| Scalar {
                    time_unit: s.time_unit,
                    ..c
                });
                if canonical.as_ref() != Some(s) {
                    return Err(format!(
                        "'{s}' is not how NumPy writes this type (build scalars with Scalar::new)"
                    ));
                }
                match s.time_unit {
                    Some(_) if !matches!(s.kind, Kind::Datetime | Kind::Timedelta) => Err(format!(
                        "'{s}': only datetime64 and timedelta64 have a time unit"
                    )),
                    Some((count, _)) if count > i32::MAX as u32 => {
                        Err(format!("'{s}': the unit count exceeds {}", i32::MAX))
                    }
                    _ => Ok(()),
                }
            }
            Dtype::Subarray { base, shape } => {
                if shape.is_empty() {
                    return Err("a subarray has an empty shape".into());
                }
                if base.is_unsized_flexible() {
                    return Err("a subarray of S0, U0, V0 or of zero bytes".into());
                }
                if let Some(d) = shape.iter().find(|&&d| d > MAX_ITEMSIZE) {
                    return Err(format!(
                        "subarray dimension {d} is larger than {MAX_ITEMSIZE}, the largest NumPy supports"
                    ));
                }
                subarray_size(base.itemsize(), shape)?;
                base.check_layout()
            }
            Dtype::Record { fields, itemsize } => {
                let mut end = 0u64;
                // Hashed: a linear scan per field made emitting 10,000 fields quadratic.
                let mut seen = std::collections::HashSet::with_capacity(fields.len());
                for f in fields {
                    if f.offset < end {
                        return Err(format!(
                            "field {:?} overlaps or precedes the field before it",
                            f.name
                        ));
                    }
                    if f.title.is_none() && f.name.is_empty() && f.dtype.is_unnamed_void() {
                        return Err(
                            "a void field with an empty name would read back as padding".into()
                        );
                    }
                    for n in std::iter::once(f.name.as_str()).chain(f.title.as_deref()) {
                        if !seen.insert(n) {
                            return Err(format!("{n:?} is used twice as a field name or title"));
                        }
                    }
                    f.dtype.check_layout()?;
                    end = f.offset.saturating_add(f.dtype.itemsize());
                }
                if end > *itemsize {
                    return Err(format!(
                        "fields end at byte {end}, past the item size {itemsize}"
                    ));
                }
                Ok(())
            }
        }
    }

    /// Whether NumPy would treat this type as padding when its field name is empty:
    /// a void type with no fields (a plain `|V` or any subarray).
    fn is_unnamed_void(&self) -> bool {
        match self {
            Dtype::Scalar(s) => s.kind == Kind::Void,
            Dtype::Record { .. } => false,
            Dtype::Subarray { .. } => true,
        }
    }

    /// Looks up a field by name (or title) in a structured type.
    pub fn field(&self, name: &str) -> Option<&Field> {
        match self {
            Dtype::Record { fields, .. } => fields
                .iter()
                .find(|f| f.name == name || f.title.as_deref() == Some(name)),
            _ => None,
        }
    }

    /// The dtype of the Rust number type `T`, in this machine's byte order
    /// ([`Scalar::of`]).
    pub fn of<T: crate::Element>() -> Dtype {
        Dtype::Scalar(Scalar::of::<T>())
    }

    /// The descr exactly as NumPy's `repr(dtype_to_descr(dtype))` writes it.
    pub fn to_descr(&self) -> String {
        let mut s = String::new();
        self.write_descr(&mut s).expect("writing to a String");
        s
    }

    fn write_descr(&self, out: &mut String) -> fmt::Result {
        match self {
            Dtype::Scalar(s) => write_str_repr(out, &s.to_string()),
            Dtype::Subarray { base, shape } => {
                out.push('(');
                base.write_descr(out)?;
                out.push_str(", ");
                write_tuple(out, shape);
                out.push(')');
                Ok(())
            }
            Dtype::Record { fields, itemsize } => {
                out.push('[');
                let mut offset = 0u64;
                let mut first = true;
                let mut sep = |out: &mut String| {
                    if !std::mem::take(&mut first) {
                        out.push_str(", ");
                    }
                };
                for f in fields {
                    if f.offset > offset {
                        sep(out);
                        write!(out, "('', '|V{}')", f.offset - offset)?;
                    }
                    sep(out);
                    out.push('(');
                    match &f.title {
                        Some(t) => {
                            out.push('(');
                            write_str_repr(out, t)?;
                            out.push_str(", ");
                            write_str_repr(out, &f.name)?;
                            out.push(')');
                        }
                        None => write_str_repr(out, &f.name)?,
                    }
                    out.push_str(", ");
                    match &f.dtype {
                        Dtype::Subarray { base, shape } => {
                            base.write_descr(out)?;
                            out.push_str(", ");
                            write_tuple(out, shape);
                        }
                        other => other.write_descr(out)?,
                    }
                    out.push(')');
                    // Saturating: a hand-built type may hold any offsets, and describing
                    // it must not panic (emit refuses it afterwards).
                    offset = f.offset.saturating_add(f.dtype.itemsize());
                }
                if *itemsize > offset {
                    sep(out);
                    write!(out, "('', '|V{}')", itemsize - offset)?;
                }
                out.push(']');
                Ok(())
            }
        }
    }
}

impl fmt::Display for Scalar {
    /// The type string NumPy writes (`dtype.str`): `<f8`, `|S3`, `<U7`, `<M8[ns]`, `|O`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char(self.byte_order.as_char())?;
        f.write_char(self.kind.as_char())?;
        match self.kind {
            Kind::Object => {}
            Kind::Unicode => write!(f, "{}", self.itemsize / 4)?,
            _ => write!(f, "{}", self.itemsize)?,
        }
        if let Some((count, unit)) = self.time_unit {
            if count == 1 {
                write!(f, "[{}]", unit.symbol())?;
            } else {
                write!(f, "[{count}{}]", unit.symbol())?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Dtype {
    /// A human-readable name: `float64 (little-endian)`, `struct {a: int32, …}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dtype::Scalar(s) => {
                let name = match s.kind {
                    Kind::Bool => "bool".to_string(),
                    Kind::Int => format!("int{}", s.itemsize * 8),
                    Kind::UInt => format!("uint{}", s.itemsize * 8),
                    Kind::Float if s.itemsize == 16 => "longdouble (x87 80-bit in 16 bytes)".into(),
                    Kind::Float => format!("float{}", s.itemsize * 8),
                    Kind::Complex if s.itemsize == 32 => "clongdouble".into(),
                    Kind::Complex => format!("complex{}", s.itemsize * 8),
                    Kind::Bytes => format!("bytes[{}]", s.itemsize),
                    Kind::Unicode => format!("str[{}]", s.itemsize / 4),
                    Kind::Void => format!("void[{}]", s.itemsize),
                    Kind::Object => "object (pickled)".into(),
                    Kind::Datetime | Kind::Timedelta => {
                        let base = if s.kind == Kind::Datetime {
                            "datetime64"
                        } else {
                            "timedelta64"
                        };
                        match s.time_unit {
                            None => base.to_string(),
                            Some((1, u)) => format!("{base}[{}]", u.symbol()),
                            Some((n, u)) => format!("{base}[{n}{}]", u.symbol()),
                        }
                    }
                };
                f.write_str(&name)?;
                match s.byte_order {
                    ByteOrder::Little => f.write_str(" little-endian"),
                    ByteOrder::Big => f.write_str(" big-endian"),
                    ByteOrder::NotApplicable => Ok(()),
                }
            }
            Dtype::Subarray { base, shape } => {
                let mut dims = String::new();
                write_tuple(&mut dims, shape);
                write!(f, "{base} x {dims}")
            }
            Dtype::Record { fields, itemsize } => {
                f.write_str("struct {")?;
                for (i, fl) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match &fl.title {
                        Some(t) => write!(f, "{:?} ({t:?}) @{}: {}", fl.name, fl.offset, fl.dtype)?,
                        None => write!(f, "{:?} @{}: {}", fl.name, fl.offset, fl.dtype)?,
                    }
                }
                write!(f, "}} ({itemsize} bytes)")
            }
        }
    }
}

/// Constructs checked scalars for callers who build headers by hand.
impl Scalar {
    /// What kind of value.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The byte order, normalised as NumPy does ([`ByteOrder::NotApplicable`] for
    /// one-byte numbers, `S`, `V` and `O`).
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// The size of one item in bytes (for `U`, four times the character count).
    pub fn itemsize(&self) -> u64 {
        self.itemsize
    }

    /// For `datetime64`/`timedelta64`: the unit and its multiplier, or `None` for the
    /// generic (unit-less) type and every other kind.
    pub fn time_unit(&self) -> Option<(u32, TimeUnit)> {
        self.time_unit
    }

    /// This `datetime64`/`timedelta64` with a unit and its multiplier (`M8[5s]` is
    /// `(5, TimeUnit::Seconds)`; NumPy also has `M8[0s]`). `None` for other kinds, or a
    /// multiplier above 2³¹−1, which NumPy does not have.
    ///
    /// ```
    /// use npy_header::{ByteOrder, Dtype, Kind, Scalar, TimeUnit};
    /// let ns = Scalar::new(Kind::Datetime, ByteOrder::Little, 8)
    ///     .and_then(|s| s.with_time_unit(1, TimeUnit::Nanoseconds))
    ///     .unwrap();
    /// assert_eq!(Dtype::Scalar(ns).to_descr(), "'<M8[ns]'");
    /// assert!(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap().with_time_unit(1, TimeUnit::Seconds).is_none());
    /// ```
    pub fn with_time_unit(mut self, count: u32, unit: TimeUnit) -> Option<Scalar> {
        let ok = matches!(self.kind, Kind::Datetime | Kind::Timedelta) && count <= i32::MAX as u32;
        ok.then(|| {
            self.time_unit = Some((count, unit));
            self
        })
    }

    /// A scalar of `kind` with `itemsize` bytes, NumPy's canonical byte order rules
    /// applied (one-byte numbers, `S`, `V`, `O` have none). Returns `None` for a size the
    /// kind does not have.
    pub fn new(kind: Kind, byte_order: ByteOrder, itemsize: u64) -> Option<Scalar> {
        let ok = match kind {
            Kind::Bool => itemsize == 1,
            Kind::Int | Kind::UInt => matches!(itemsize, 1 | 2 | 4 | 8),
            Kind::Float => matches!(itemsize, 2 | 4 | 8 | 16),
            Kind::Complex => matches!(itemsize, 8 | 16 | 32),
            Kind::Bytes | Kind::Void => itemsize <= MAX_ITEMSIZE,
            Kind::Unicode => itemsize % 4 == 0 && itemsize <= MAX_ITEMSIZE,
            Kind::Object | Kind::Datetime | Kind::Timedelta => itemsize == 8,
        };
        ok.then(|| Scalar {
            kind,
            byte_order: normalise_order(kind, itemsize, byte_order),
            itemsize,
            time_unit: None,
        })
    }
}

impl Scalar {
    /// The scalar of the Rust number type `T`, in this machine's byte order: what
    /// `np.dtype(np.float32)` is for `f32`.
    ///
    /// ```
    /// use npy_header::{Dtype, Scalar};
    /// assert_eq!(Scalar::of::<f32>(), "=f4".parse().unwrap());
    /// assert_eq!(Dtype::of::<u8>().to_descr(), "'|u1'");
    /// assert_eq!(Dtype::of::<[f64; 2]>(), Dtype::Scalar("complex128".parse().unwrap()));
    /// ```
    pub fn of<T: crate::Element>() -> Scalar {
        Scalar::new(T::KIND, ByteOrder::NATIVE, std::mem::size_of::<T>() as u64)
            .expect("every Element has a size its kind has")
    }
}

/// Reads a type string as a header's descr holds it (`'<f4'` without the quotes,
/// `'|S10'`, `'<M8[ns]'`), or a NumPy type name (`float32`, `int64`): what
/// `np.dtype(text)` takes for a scalar. A byte order of `=` is this machine's.
///
/// ```
/// use npy_header::{ByteOrder, Kind, Scalar};
/// let s: Scalar = "<f4".parse().unwrap();
/// assert_eq!((s.kind(), s.byte_order(), s.itemsize()), (Kind::Float, ByteOrder::Little, 4));
/// assert!("<f3".parse::<Scalar>().is_err());
/// ```
impl std::str::FromStr for Scalar {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Scalar, crate::Error> {
        crate::typestr::parse_type_str(text)
            .map(|(scalar, _)| scalar)
            .map_err(|m| crate::Error::new(crate::ErrorKind::InvalidDescr, None, m))
    }
}

/// Reads a type string or NumPy name ([`Scalar`]'s `FromStr`), or a descr as a header
/// holds it, quoted or a list of fields ([`HeaderParser::parse_descr`](crate::HeaderParser::parse_descr)
/// with the default limits).
///
/// ```
/// use npy_header::Dtype;
/// assert_eq!("<f8".parse::<Dtype>().unwrap().to_descr(), "'<f8'");
/// assert_eq!("'<f8'".parse::<Dtype>().unwrap().to_descr(), "'<f8'");
/// let rec: Dtype = "[('t', '<i8'), ('v', '<f4', (3,))]".parse().unwrap();
/// assert_eq!(rec.itemsize(), 20);
/// ```
impl std::str::FromStr for Dtype {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Dtype, crate::Error> {
        match text.trim_start().as_bytes().first() {
            Some(b'\'' | b'"' | b'[' | b'(') => crate::HeaderParser::new().parse_descr(text),
            _ => text.parse::<Scalar>().map(Dtype::Scalar),
        }
    }
}

impl From<Scalar> for Dtype {
    fn from(s: Scalar) -> Dtype {
        Dtype::Scalar(s)
    }
}

pub(crate) fn normalise_order(kind: Kind, itemsize: u64, order: ByteOrder) -> ByteOrder {
    let order = if order == ByteOrder::NotApplicable {
        ByteOrder::NATIVE
    } else {
        order
    };
    match kind {
        Kind::Bytes | Kind::Void | Kind::Object | Kind::Bool => ByteOrder::NotApplicable,
        Kind::Int | Kind::UInt if itemsize == 1 => ByteOrder::NotApplicable,
        _ => order,
    }
}

/// `np.dtype((base, dims))` once the dims are known: `()` is the base itself, and the
/// total size must fit NumPy's C `int`. (The unsized-base rule is checked before.)
pub(crate) fn subarray_of(base: Dtype, dims: Vec<u64>) -> Result<Dtype, String> {
    if dims.is_empty() {
        return Ok(base);
    }
    subarray_size(base.itemsize(), &dims)?;
    Ok(Dtype::Subarray {
        base: Box::new(base),
        shape: dims,
    })
}

/// The size of a subarray, computed as NumPy computes it: the dimensions multiplied in
/// order in a signed 64-bit integer, which fails on overflow even when a later
/// dimension is 0 (`(2**31-1, 2**31-1, 3, 0)` is refused, `(0, 2**31-1, 2**31-1, 3)` is
/// not), then the item size, and the result must fit a C `int`.
pub(crate) fn subarray_size(base_itemsize: u64, dims: &[u64]) -> Result<u64, String> {
    let mut elements: u64 = 1;
    for &d in dims {
        elements = elements
            .checked_mul(d)
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or_else(|| {
                "the product of the subarray dimensions overflows a 64-bit integer (NumPy refuses it even when a later dimension is 0)".to_string()
            })?;
    }
    match elements.checked_mul(base_itemsize) {
        Some(total) if total <= MAX_ITEMSIZE => Ok(total),
        _ => Err(format!(
            "subarray is larger than the largest item NumPy supports ({MAX_ITEMSIZE} bytes)"
        )),
    }
}

/// Why a field could not be added to a structured type.
pub(crate) enum FieldError {
    /// The name or title is already in use (blame the name).
    Clash(String),
    /// The type grew past NumPy's largest item (blame the field).
    TooLarge(String),
}

/// Builds a structured type field by field with `descr_to_dtype`'s rules: padding
/// entries (empty name, unnamed void type) are skipped but advance the offset; names
/// and titles are unique; offsets and the item size are running sums.
#[derive(Default)]
pub(crate) struct RecordBuilder {
    fields: Vec<Field>,
    offset: u64,
    /// Every name and title so far, once there are enough fields that scanning them
    /// for each new one would make a large descr quadratic.
    index: Option<std::collections::HashSet<String>>,
}

/// Below this many fields a linear scan beats hashing.
const INDEX_AFTER: usize = 32;

/// String equality that looks at the last byte before comparing the rest: field names
/// often share a prefix and differ at the end (`field_1`, `field_2`).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

impl RecordBuilder {
    pub(crate) fn add(
        &mut self,
        name: String,
        title: Option<String>,
        dtype: Dtype,
    ) -> Result<(), FieldError> {
        let size = dtype.itemsize();
        let is_padding = title.is_none() && name.is_empty() && dtype.is_unnamed_void();
        if !is_padding {
            if title.as_deref() == Some(name.as_str()) {
                return Err(FieldError::Clash("a field's title equals its name".into()));
            }
            if self.index.is_none() && self.fields.len() >= INDEX_AFTER {
                let all = self
                    .fields
                    .iter()
                    .flat_map(|f| std::iter::once(f.name.clone()).chain(f.title.clone()));
                self.index = Some(all.collect());
            }
            let clash = match &mut self.index {
                Some(index) => {
                    let taken =
                        index.contains(&name) || title.as_ref().is_some_and(|t| index.contains(t));
                    index.insert(name.clone());
                    index.extend(title.clone());
                    taken
                }
                None => self.fields.iter().any(|f| {
                    same(&f.name, &name)
                        || title.as_deref().is_some_and(|t| same(t, &f.name))
                        || f.title.as_deref().is_some_and(|t| same(t, &name))
                        || (title.is_some() && f.title == title)
                }),
            };
            if clash {
                return Err(FieldError::Clash(format!(
                    "field name {name:?} is already used as a name or title"
                )));
            }
            self.fields.push(Field {
                name,
                title,
                dtype,
                offset: self.offset,
            });
        }
        self.offset = match self.offset.checked_add(size) {
            Some(o) if o <= MAX_ITEMSIZE => o,
            _ => {
                return Err(FieldError::TooLarge(format!(
                    "structured type is larger than the largest item NumPy supports ({MAX_ITEMSIZE} bytes)"
                )))
            }
        };
        Ok(())
    }

    pub(crate) fn finish(self) -> Dtype {
        Dtype::Record {
            fields: self.fields,
            itemsize: self.offset,
        }
    }
}
