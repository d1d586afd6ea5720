//! NumPy's `repr()` of an array, for `npy cat` and `npy head`, with NumPy's default
//! print options: 75 columns, 8 digits of precision (`floatmode='maxprec'`), and
//! arrays of more than 1000 items summarised with `...` (3 items at each edge of each
//! axis) unless everything is asked for.
//!
//! The layout follows `numpy/_core/arrayprint.py` (NumPy 2.4): one format per dtype
//! computed over the items shown (`FloatingFormat`, `IntegerFormat`, …), then
//! `_formatArray`'s line wrapping, then `dtype=` and `shape=` where the values do not
//! imply them. The integration tests compare the output with NumPy's own `repr` of the
//! same file.
//!
//! Items are looked up by logical index ([`Array::item`]), so only the items shown are
//! touched: [`Shown`] reads just those from a file, and the summary of a 4 GiB array
//! costs a few pages.

pub mod float;
pub mod python;
mod shown;
pub mod time;

use std::fmt;

use npy_header::{ByteOrder, Dtype, Field, Kind, Scalar, TimeUnit};
use npy_mmap::ArrayView;

use self::float::{FloatFormat, Width};
use self::python::{bytes_repr, len, str_repr, void_str};
use self::time::{datetime_string, NAT};

pub use self::shown::Shown;

/// More items than this are summarised (NumPy's `threshold`).
const THRESHOLD: u64 = 1000;
/// Items shown at each edge of a summarised axis (NumPy's `edgeitems`).
const EDGE: u64 = 3;
/// NumPy's `linewidth`.
const LINE_WIDTH: usize = 75;

/// How much to print.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Print every item (NumPy's `threshold=sys.maxsize`) instead of summarising
    /// arrays of more than 1000 items.
    pub all: bool,
}

/// An array the printer reads: its dtype and shape, and items by logical index.
///
/// An [`ArrayView`] is one; [`Shown`] is another, which holds only the items a repr
/// shows.
pub trait Array {
    /// The data type of one item.
    fn dtype(&self) -> &Dtype;
    /// The array's shape.
    fn shape(&self) -> &[u64];
    /// The bytes of the item at `index` (one entry per axis), or `None` outside the
    /// array (or, for [`Shown`], outside the items it holds).
    fn item(&self, index: &[u64]) -> Option<&[u8]>;
}

impl Array for ArrayView<'_> {
    fn dtype(&self) -> &Dtype {
        ArrayView::dtype(self)
    }

    fn shape(&self) -> &[u64] {
        ArrayView::shape(self)
    }

    fn item(&self, index: &[u64]) -> Option<&[u8]> {
        ArrayView::item(self, index)
    }
}

/// Whether the repr of an array of this shape is summarised with `...`.
pub fn summarises(shape: &[u64], options: Options) -> bool {
    !options.all && shape.iter().product::<u64>() > THRESHOLD
}

/// A dtype this printer cannot show as NumPy would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

/// `repr(arr)` of `array`, restricted to the logical shape `shape` (which may be
/// shorter than the array's on the first axis: `repr(arr[:n])`).
///
/// ```
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
/// let buffer = npy_mmap::NpyBuffer::read_file(path)?;
/// let view = buffer.view();
/// let text = npy_cli::print::array_repr(&view, view.shape(), npy_cli::print::Options::default())?;
/// assert_eq!(text, "array([[0.  , 0.25, 0.5 , 0.75],\n       [1.  , 1.25, 1.5 , 1.75],\n       [2.  , 2.25, 2.5 , 2.75]])");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn array_repr(
    array: &dyn Array,
    shape: &[u64],
    options: Options,
) -> Result<String, Unsupported> {
    debug_assert!(shape.len() == array.shape().len());
    let dtype = array.dtype();
    check_supported(dtype)?;
    let size: u64 = shape.iter().product();
    let summarise = summarises(shape, options);
    let body = if size == 0 {
        "[]".to_string()
    } else {
        let shown = shown_indices(shape, summarise);
        let mut items = Vec::new();
        for_each_index(&shown, &mut |index| {
            items.push(array.item(index).expect("index within the shape"));
        });
        let format = Format::new(dtype, &items, shape.is_empty(), options)?;
        let printer = Printer {
            array,
            shape,
            format: &format,
            summarise,
        };
        printer.recurse(&mut Vec::new(), "       ", LINE_WIDTH - 1)
    };
    let mut extras = Vec::new();
    if (size == 0 && shape != [0]) || summarise {
        extras.push(format!("shape={}", npy_header::python_tuple(shape)));
    }
    if size == 0 || !dtype_is_implied(dtype) {
        extras.push(format!("dtype={}", dtype_short_repr(dtype)));
    }
    if extras.is_empty() {
        return Ok(format!("array({body})"));
    }
    let text = format!("array({body},");
    let extra = format!("{})", extras.join(", "));
    let last_line = len(text.rsplit('\n').next().expect("rsplit yields one"));
    let spacer = if last_line + len(&extra) + 1 > LINE_WIDTH {
        "\n      "
    } else {
        " "
    };
    Ok(format!("{text}{spacer}{extra}"))
}

/// The indices shown along each axis: all, or the edges when summarising.
fn shown_indices(shape: &[u64], summarise: bool) -> Vec<Vec<u64>> {
    shape
        .iter()
        .map(|&n| {
            if summarise && n > 2 * EDGE {
                (0..EDGE).chain(n - EDGE..n).collect()
            } else {
                (0..n).collect()
            }
        })
        .collect()
}

/// Calls `f` with every combination of the per-axis indices, in C order.
fn for_each_index(axes: &[Vec<u64>], f: &mut dyn FnMut(&[u64])) {
    fn go(axes: &[Vec<u64>], index: &mut Vec<u64>, f: &mut dyn FnMut(&[u64])) {
        match axes.split_first() {
            None => f(index),
            Some((first, rest)) => {
                for &i in first {
                    index.push(i);
                    go(rest, index, f);
                    index.pop();
                }
            }
        }
    }
    go(axes, &mut Vec::with_capacity(axes.len()), f);
}

fn unsupported(what: &str) -> Unsupported {
    Unsupported(format!(
        "cannot print {what} as NumPy does (its bytes are still readable: npy inspect shows the layout)"
    ))
}

fn check_supported(dtype: &Dtype) -> Result<(), Unsupported> {
    match dtype {
        Dtype::Scalar(s) => match (s.kind(), s.itemsize()) {
            (Kind::Float, 16) => Err(unsupported("longdouble (80-bit extended) values")),
            (Kind::Complex, 32) => Err(unsupported("clongdouble values")),
            (Kind::Object, _) => Err(unsupported("Python objects")),
            (Kind::Datetime | Kind::Timedelta, _) if s.time_unit().is_none() => {
                Err(unsupported("datetimes without a unit"))
            }
            _ => Ok(()),
        },
        Dtype::Record { fields, .. } => fields.iter().try_for_each(|f| check_supported(&f.dtype)),
        Dtype::Subarray { base, .. } => check_supported(base),
    }
}

/// `_formatArray`: nested brackets, `, ` between items, lines wrapped at the width.
struct Printer<'a> {
    array: &'a dyn Array,
    shape: &'a [u64],
    format: &'a Format,
    summarise: bool,
}

impl Printer<'_> {
    fn recurse(&self, index: &mut Vec<u64>, hanging: &str, width: usize) -> String {
        let axis = index.len();
        let left = self.shape.len() - axis;
        if left == 0 {
            return self
                .format
                .format(self.array.item(index).expect("index within the shape"));
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width.saturating_sub(1);
        let n = self.shape[axis];
        let show_summary = self.summarise && 2 * EDGE < n;
        let (leading, trailing) = if show_summary { (EDGE, EDGE) } else { (0, n) };
        let mut sub = |i: u64| {
            index.push(i);
            let s = self.recurse(index, &next_hanging, next_width);
            index.pop();
            s
        };
        let mut s = String::new();
        if left == 1 {
            let elem_width = width.saturating_sub(1);
            let mut line = hanging.to_string();
            for i in 0..leading {
                extend_line(&mut s, &mut line, &sub(i), elem_width, hanging);
                line.push_str(", ");
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging);
                line.push_str(", ");
            }
            for i in (2..=trailing).rev() {
                extend_line(&mut s, &mut line, &sub(n - i), elem_width, hanging);
                line.push_str(", ");
            }
            extend_line(&mut s, &mut line, &sub(n - 1), elem_width, hanging);
            s.push_str(&line);
        } else {
            let line_sep = format!(",{}", "\n".repeat(left - 1));
            for i in 0..leading {
                s.push_str(hanging);
                s.push_str(&sub(i));
                s.push_str(&line_sep);
            }
            if show_summary {
                s.push_str(hanging);
                s.push_str("...");
                s.push_str(&line_sep);
            }
            for i in (2..=trailing).rev() {
                s.push_str(hanging);
                s.push_str(&sub(n - i));
                s.push_str(&line_sep);
            }
            s.push_str(hanging);
            s.push_str(&sub(n - 1));
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// `_extendLine`: wrap before `word` if the line would pass `width`, unless the line
/// holds nothing but the indent.
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, prefix: &str) {
    let wrap = len(line) + len(word) > width && len(line) > len(prefix);
    if wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        line.clear();
        line.push_str(prefix);
    }
    line.push_str(word);
}

fn uint(bytes: &[u8], order: ByteOrder) -> u64 {
    let fold = |n: u64, b: &u8| n << 8 | u64::from(*b);
    if order == ByteOrder::Big {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

fn int(bytes: &[u8], order: ByteOrder) -> i64 {
    // Sign-extend from the item's width: shift the value to the top, then back.
    let shift = 64 - 8 * u32::try_from(bytes.len()).expect("at most 8 bytes");
    i64::from_ne_bytes((uint(bytes, order) << shift).to_ne_bytes()) >> shift
}

fn float(bytes: &[u8], order: ByteOrder) -> f64 {
    let u = uint(bytes, order);
    match bytes.len() {
        2 => half::f16::from_bits(u16::try_from(u).expect("2 bytes")).to_f64(),
        4 => f64::from(f32::from_bits(u32::try_from(u).expect("4 bytes"))),
        _ => f64::from_bits(u),
    }
}

fn width_of(size: usize) -> Width {
    match size {
        2 => Width::F16,
        4 => Width::F32,
        _ => Width::F64,
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).expect("item sizes fit in memory")
}

/// One format for all the items shown, as `_get_format_function` picks it.
enum Format {
    Bool {
        zero_d: bool,
    },
    Int {
        signed: bool,
        order: ByteOrder,
        width: usize,
    },
    Float {
        format: FloatFormat,
        order: ByteOrder,
    },
    Complex {
        re: FloatFormat,
        im: FloatFormat,
        order: ByteOrder,
    },
    Bytes,
    Str {
        order: ByteOrder,
    },
    Void,
    Datetime {
        order: ByteOrder,
        count: u32,
        unit: TimeUnit,
        width: usize,
    },
    Timedelta {
        order: ByteOrder,
        width: usize,
    },
    Record(Vec<FieldFormat>),
}

/// A field's format: where it is in the item, and for a subarray field its shape.
struct FieldFormat {
    offset: usize,
    size: usize,
    sub_shape: Vec<u64>,
    base_size: usize,
    format: Format,
    all: bool,
}

impl Format {
    fn new(
        dtype: &Dtype,
        items: &[&[u8]],
        zero_d: bool,
        options: Options,
    ) -> Result<Format, Unsupported> {
        match dtype {
            Dtype::Scalar(s) => Ok(Format::scalar(s, items, zero_d)),
            Dtype::Record { fields, .. } => fields
                .iter()
                .map(|f| FieldFormat::new(f, items, zero_d, options))
                .collect::<Result<_, _>>()
                .map(Format::Record),
            Dtype::Subarray { .. } => Err(unsupported("a top-level subarray dtype")),
        }
    }

    fn scalar(s: &Scalar, items: &[&[u8]], zero_d: bool) -> Format {
        let order = s.byte_order();
        match s.kind() {
            Kind::Bool => Format::Bool { zero_d },
            Kind::Int | Kind::UInt => {
                let signed = s.kind() == Kind::Int;
                let value = |b: &&[u8]| -> i128 {
                    if signed {
                        i128::from(int(b, order))
                    } else {
                        i128::from(uint(b, order))
                    }
                };
                let max = items.iter().map(value).max().expect("items shown");
                let min = items.iter().map(value).min().expect("items shown");
                let width = max.to_string().len().max(min.to_string().len());
                Format::Int {
                    signed,
                    order,
                    width,
                }
            }
            Kind::Float => {
                let values: Vec<f64> = items.iter().map(|b| float(b, order)).collect();
                Format::Float {
                    format: FloatFormat::new(&values, width_of(items[0].len()), false),
                    order,
                }
            }
            Kind::Complex => {
                let half = items[0].len() / 2;
                let re: Vec<f64> = items.iter().map(|b| float(&b[..half], order)).collect();
                let im: Vec<f64> = items.iter().map(|b| float(&b[half..], order)).collect();
                Format::Complex {
                    re: FloatFormat::new(&re, width_of(half), false),
                    im: FloatFormat::new(&im, width_of(half), true),
                    order,
                }
            }
            Kind::Bytes => Format::Bytes,
            Kind::Unicode => Format::Str { order },
            Kind::Void | Kind::Object => Format::Void,
            Kind::Datetime => {
                let (count, unit) = s.time_unit().expect("checked: has a unit");
                let text = |v: i64| format!("'{}'", datetime_string(v, count, unit));
                let width = time_width(items, order, text);
                Format::Datetime {
                    order,
                    count,
                    unit,
                    width,
                }
            }
            Kind::Timedelta => {
                let width = time_width(items, order, |v| v.to_string());
                Format::Timedelta { order, width }
            }
        }
    }

    fn format(&self, item: &[u8]) -> String {
        match self {
            Format::Bool { zero_d } => match (item[0] != 0, zero_d) {
                (true, true) => "True".into(),
                (true, false) => " True".into(),
                (false, _) => "False".into(),
            },
            Format::Int {
                signed,
                order,
                width,
            } => {
                if *signed {
                    format!("{:>width$}", int(item, *order))
                } else {
                    format!("{:>width$}", uint(item, *order))
                }
            }
            Format::Float { format, order } => format.format(float(item, *order)),
            Format::Complex { re, im, order } => {
                let half = item.len() / 2;
                let r = re.format(float(&item[..half], *order));
                let i = im.format(float(&item[half..], *order));
                // The 'j' goes before the imaginary part's padding.
                let end = i.trim_end().len();
                format!("{r}{}j{}", &i[..end], &i[end..])
            }
            Format::Bytes => {
                let end = item.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
                bytes_repr(&item[..end])
            }
            Format::Str { order } => {
                let mut points: Vec<u32> = item
                    .chunks_exact(4)
                    .map(|c| u32::try_from(uint(c, *order)).expect("4 bytes"))
                    .collect();
                while points.last() == Some(&0) {
                    points.pop();
                }
                str_repr(&points)
            }
            Format::Void => void_str(item),
            Format::Datetime {
                order,
                count,
                unit,
                width,
            } => {
                let v = int(item, *order);
                let text = if v == NAT {
                    "'NaT'".to_string()
                } else {
                    format!("'{}'", datetime_string(v, *count, *unit))
                };
                format!("{text:>width$}")
            }
            Format::Timedelta { order, width } => {
                let v = int(item, *order);
                let text = if v == NAT {
                    "'NaT'".to_string()
                } else {
                    v.to_string()
                };
                format!("{text:>width$}")
            }
            Format::Record(fields) => {
                let parts: Vec<String> = fields.iter().map(|f| f.format(item)).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
        }
    }
}

/// `_TimelikeFormat`: the width of the longer of the largest and the smallest value
/// (not every value), at least 5 when a NaT is shown.
fn time_width(items: &[&[u8]], order: ByteOrder, text: impl Fn(i64) -> String) -> usize {
    let values: Vec<i64> = items
        .iter()
        .map(|b| int(b, order))
        .filter(|&v| v != NAT)
        .collect();
    let mut width = match (values.iter().max(), values.iter().min()) {
        (Some(&max), Some(&min)) => len(&text(max)).max(len(&text(min))),
        _ => 0,
    };
    if values.len() < items.len() {
        width = width.max(5);
    }
    width
}

impl FieldFormat {
    fn new(
        field: &Field,
        items: &[&[u8]],
        zero_d: bool,
        options: Options,
    ) -> Result<FieldFormat, Unsupported> {
        let offset = to_usize(field.offset);
        let size = to_usize(field.dtype.itemsize());
        // Nested subarrays are one subarray of the combined shape.
        let mut base = &field.dtype;
        let mut sub_shape = Vec::new();
        while let Dtype::Subarray { base: inner, shape } = base {
            sub_shape.extend_from_slice(shape);
            base = inner;
        }
        let base_size = to_usize(base.itemsize());
        let fields: Vec<&[u8]> = items.iter().map(|b| &b[offset..offset + size]).collect();
        let elements: Vec<&[u8]> = if sub_shape.is_empty() {
            fields
        } else {
            fields
                .iter()
                .flat_map(|b| b.chunks_exact(base_size.max(1)))
                .collect()
        };
        let format = if elements.is_empty() {
            // A subarray of zero items: nothing to measure, nothing to print.
            Format::Bytes
        } else {
            Format::new(base, &elements, zero_d && sub_shape.is_empty(), options)?
        };
        Ok(FieldFormat {
            offset,
            size,
            sub_shape,
            base_size,
            format,
            all: options.all,
        })
    }

    fn format(&self, item: &[u8]) -> String {
        let bytes = &item[self.offset..self.offset + self.size];
        if self.sub_shape.is_empty() {
            return self.format.format(bytes);
        }
        let size: u64 = self.sub_shape.iter().product();
        let summarise = !self.all && size > THRESHOLD;
        self.subarray(bytes, &self.sub_shape, summarise)
    }

    /// `SubArrayFormat.format_array`: nested lists on one line.
    fn subarray(&self, bytes: &[u8], shape: &[u64], summarise: bool) -> String {
        let Some((&n, rest)) = shape.split_first() else {
            return self.format.format(bytes);
        };
        let step = to_usize(rest.iter().product::<u64>()) * self.base_size;
        let part = |i: u64| {
            let start = to_usize(i) * step;
            self.subarray(&bytes[start..start + step], rest, summarise)
        };
        let parts: Vec<String> = if summarise && n > 2 * EDGE {
            (0..EDGE)
                .map(part)
                .chain(std::iter::once("...".to_string()))
                .chain((n - EDGE..n).map(part))
                .collect()
        } else {
            (0..n).map(part).collect()
        };
        format!("[{}]", parts.join(", "))
    }
}

/// `dtype_is_implied`: int64, float64, complex128 and bool in native order print
/// without `dtype=`.
fn dtype_is_implied(dtype: &Dtype) -> bool {
    let Dtype::Scalar(s) = dtype else {
        return false;
    };
    let native = s.byte_order() == ByteOrder::NATIVE || s.byte_order() == ByteOrder::NotApplicable;
    native
        && matches!(
            (s.kind(), s.itemsize()),
            (Kind::Int, 8) | (Kind::Float, 8) | (Kind::Complex, 16) | (Kind::Bool, 1)
        )
}

fn time_meta(s: &Scalar) -> String {
    match s.time_unit() {
        None => String::new(),
        Some((1, unit)) => format!("[{}]", unit.symbol()),
        Some((n, unit)) => format!("[{n}{}]", unit.symbol()),
    }
}

/// `dtype_short_repr`: what follows `dtype=`.
fn dtype_short_repr(dtype: &Dtype) -> String {
    let s = match dtype {
        Dtype::Scalar(s) => s,
        Dtype::Record { .. } => return struct_str(dtype),
        Dtype::Subarray { .. } => return subarray_str(dtype),
    };
    if matches!(s.kind(), Kind::Bytes | Kind::Unicode | Kind::Void) {
        return format!("'{s}'");
    }
    let native = s.byte_order() == ByteOrder::NATIVE || s.byte_order() == ByteOrder::NotApplicable;
    if !native {
        return format!("'{s}'");
    }
    let bits = s.itemsize() * 8;
    match s.kind() {
        Kind::Bool => "bool".into(),
        Kind::Int => format!("int{bits}"),
        Kind::UInt => format!("uint{bits}"),
        Kind::Float => format!("float{bits}"),
        Kind::Complex => format!("complex{bits}"),
        Kind::Datetime => format!("'datetime64{}'", time_meta(s)),
        Kind::Timedelta => format!("'timedelta64{}'", time_meta(s)),
        _ => format!("'{s}'"),
    }
}

/// `_scalar_str(dtype, short=True)`, quoted.
fn scalar_str(s: &Scalar) -> String {
    let order = match s.byte_order() {
        ByteOrder::NotApplicable => "",
        ByteOrder::Little => "<",
        ByteOrder::Big => ">",
    };
    match s.kind() {
        Kind::Bool => "'?'".into(),
        Kind::Object => "'O'".into(),
        Kind::Bytes if s.itemsize() == 0 => "'S'".into(),
        Kind::Bytes => format!("'S{}'", s.itemsize()),
        Kind::Unicode => format!("'{order}U{}'", s.itemsize() / 4),
        Kind::Void if s.itemsize() == 0 => "'V'".into(),
        Kind::Void => format!("'V{}'", s.itemsize()),
        Kind::Datetime => format!("'{order}M8{}'", time_meta(s)),
        Kind::Timedelta => format!("'{order}m8{}'", time_meta(s)),
        Kind::Int => format!("'{order}i{}'", s.itemsize()),
        Kind::UInt => format!("'{order}u{}'", s.itemsize()),
        Kind::Float => format!("'{order}f{}'", s.itemsize()),
        Kind::Complex => format!("'{order}c{}'", s.itemsize()),
    }
}

/// `_construction_repr(dtype, short=True)`.
fn construction_repr(dtype: &Dtype) -> String {
    match dtype {
        Dtype::Scalar(s) => scalar_str(s),
        Dtype::Record { .. } => struct_str(dtype),
        Dtype::Subarray { .. } => subarray_str(dtype),
    }
}

fn subarray_str(dtype: &Dtype) -> String {
    match dtype {
        Dtype::Subarray { base, shape } => {
            format!(
                "({}, {})",
                construction_repr(base),
                npy_header::python_tuple(shape)
            )
        }
        other => construction_repr(other),
    }
}

fn py_str(s: &str) -> String {
    str_repr(&s.chars().map(u32::from).collect::<Vec<_>>())
}

/// `str(dtype)` of a structured dtype: the list form when the fields are packed in
/// order, else the dict form with offsets.
fn struct_str(dtype: &Dtype) -> String {
    let Dtype::Record { fields, itemsize } = dtype else {
        return construction_repr(dtype);
    };
    let mut total = 0;
    let mut packed = true;
    for f in fields {
        packed &= f.offset == total;
        total = f.offset + f.dtype.itemsize();
    }
    packed &= total == *itemsize;
    if packed {
        let items: Vec<String> = fields
            .iter()
            .map(|f| {
                let name = match &f.title {
                    Some(t) => format!("({}, {})", py_str(t), py_str(&f.name)),
                    None => py_str(&f.name),
                };
                match &f.dtype {
                    Dtype::Subarray { base, shape } => {
                        format!(
                            "({name}, {}, {})",
                            construction_repr(base),
                            npy_header::python_tuple(shape)
                        )
                    }
                    other => format!("({name}, {})", construction_repr(other)),
                }
            })
            .collect();
        return format!("[{}]", items.join(", "));
    }
    let join = |parts: Vec<String>| parts.join(", ");
    let mut s = format!(
        "{{'names': [{}], 'formats': [{}], 'offsets': [{}]",
        join(fields.iter().map(|f| py_str(&f.name)).collect()),
        join(fields.iter().map(|f| construction_repr(&f.dtype)).collect()),
        join(fields.iter().map(|f| f.offset.to_string()).collect()),
    );
    if fields.iter().any(|f| f.title.is_some()) {
        let titles = fields
            .iter()
            .map(|f| f.title.as_deref().map_or("None".to_string(), py_str))
            .collect();
        s.push_str(&format!(", 'titles': [{}]", join(titles)));
    }
    s.push_str(&format!(", 'itemsize': {itemsize}}}"));
    s
}
