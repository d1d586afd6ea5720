//! Type strings (`'<f8'`, `'M8[ns]'`, `'float64'`) read as `np.dtype` reads them.

use crate::dtype::{normalise_order, ByteOrder, Kind, Scalar, TimeUnit, MAX_ITEMSIZE};

/// Type names `np.dtype` accepts, with the scalar they mean on an LP64 platform
/// (Linux and macOS on 64 bits), where NumPy writes the same files.
const NAMES: &[(&str, char, u64)] = &[
    ("bool", '?', 1),
    ("bool_", '?', 1),
    ("byte", 'i', 1),
    ("short", 'i', 2),
    ("intc", 'i', 4),
    ("int", 'i', 8),
    ("int_", 'i', 8),
    ("intp", 'i', 8),
    ("long", 'i', 8),
    ("longlong", 'i', 8),
    ("int8", 'i', 1),
    ("int16", 'i', 2),
    ("int32", 'i', 4),
    ("int64", 'i', 8),
    ("ubyte", 'u', 1),
    ("ushort", 'u', 2),
    ("uintc", 'u', 4),
    ("uint", 'u', 8),
    ("uintp", 'u', 8),
    ("ulong", 'u', 8),
    ("ulonglong", 'u', 8),
    ("uint8", 'u', 1),
    ("uint16", 'u', 2),
    ("uint32", 'u', 4),
    ("uint64", 'u', 8),
    ("half", 'f', 2),
    ("single", 'f', 4),
    ("double", 'f', 8),
    ("float", 'f', 8),
    ("longdouble", 'f', 16),
    ("float16", 'f', 2),
    ("float32", 'f', 4),
    ("float64", 'f', 8),
    ("float128", 'f', 16),
    ("csingle", 'c', 8),
    ("cdouble", 'c', 16),
    ("complex", 'c', 16),
    ("clongdouble", 'c', 32),
    ("complex64", 'c', 8),
    ("complex128", 'c', 16),
    ("complex256", 'c', 32),
    ("bytes", 'S', 0),
    ("bytes_", 'S', 0),
    ("str", 'U', 0),
    ("str_", 'U', 0),
    ("unicode", 'U', 0),
    ("void", 'V', 0),
    ("object", 'O', 8),
    ("object_", 'O', 8),
];

/// Parses a type string as `np.dtype(str)` does for the forms listed in `spec/`
/// (`D-2`). Returns the scalar and whether the form is deprecated (`a` for `S`).
pub(crate) fn parse_type_str(s: &str) -> Result<(Scalar, bool), String> {
    // The canonical form (`<f8`) is by far the most common: try it before the names,
    // which never parse as a code (a name's letters after its first are not digits).
    parse_code_str(s).or_else(|e| match NAMES.iter().find(|(n, _, _)| *n == s) {
        Some(&(_, code, size)) => {
            Ok((scalar_from_code(code, size, ByteOrder::NATIVE, None), false))
        }
        None => Err(e),
    })
}

/// `[order] code [size] [meta]`, or `[order] datetime64|timedelta64 [meta]`.
fn parse_code_str(s: &str) -> Result<(Scalar, bool), String> {
    let fail = || format!("{s:?} is not a data type NumPy understands");
    let (order, rest) = match s.as_bytes().first() {
        Some(b'<') => (ByteOrder::Little, &s[1..]),
        Some(b'>') => (ByteOrder::Big, &s[1..]),
        Some(b'|' | b'=') => (ByteOrder::NATIVE, &s[1..]),
        _ => (ByteOrder::NATIVE, s),
    };
    // datetime64 / timedelta64 by name take a byte order and a unit.
    for (name, code) in [("datetime64", 'M'), ("timedelta64", 'm')] {
        if let Some(meta) = rest.strip_prefix(name) {
            let unit = parse_time_meta(meta).ok_or_else(fail)?;
            return Ok((scalar_from_code(code, 8, order, unit), false));
        }
    }
    let mut chars = rest.chars();
    let code = chars.next().ok_or_else(fail)?;
    let tail = chars.as_str();
    let digits_end = tail
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(tail.len());
    let (digits, meta) = tail.split_at(digits_end);
    let size: Option<u64> = if digits.is_empty() {
        None
    } else {
        // Leading zeros are accepted, as NumPy does ("i08").
        Some(digits.parse::<u64>().map_err(|_| fail())?)
    };
    if !meta.is_empty() && !matches!(code, 'M' | 'm') {
        return Err(fail());
    }
    let flexible_size = |per_char: u64| -> Result<u64, String> {
        let n = size.unwrap_or(0);
        match n.checked_mul(per_char) {
            Some(b) if b <= MAX_ITEMSIZE => Ok(b),
            _ => Err(format!(
                "{s:?} is larger than the largest item NumPy supports ({MAX_ITEMSIZE} bytes)"
            )),
        }
    };
    let (kind_code, itemsize, unit, deprecated) = match (code, size) {
        ('b', None) => ('i', 1, None, false),
        ('b', Some(1)) | ('?', None) => ('?', 1, None, false),
        ('i', None) => ('i', 4, None, false),
        ('i' | 'u', Some(n @ (1 | 2 | 4 | 8))) => (code, n, None, false),
        ('f', None) => ('f', 4, None, false),
        ('f', Some(n @ (2 | 4 | 8 | 16))) => ('f', n, None, false),
        ('c', None) => ('S', 1, None, false),
        ('c', Some(n @ (8 | 16 | 32))) => ('c', n, None, false),
        ('S', _) => ('S', flexible_size(1)?, None, false),
        // NumPy refuses a byte order on a bare `a` (but not on `a5`).
        ('a', None) if rest.len() != s.len() => return Err(fail()),
        ('a', _) => ('S', flexible_size(1)?, None, true),
        ('U', _) => ('U', flexible_size(4)?, None, false),
        ('V', _) => ('V', flexible_size(1)?, None, false),
        ('O', None | Some(4 | 8)) => ('O', 8, None, false),
        // A unit needs the explicit size: `M8[ns]`, not `M[ns]`.
        ('M' | 'm', None) if meta.is_empty() => (code, 8, None, false),
        ('M' | 'm', Some(8)) => (code, 8, parse_time_meta(meta).ok_or_else(fail)?, false),
        (c, None) => match c {
            'B' => ('u', 1, None, false),
            'h' => ('i', 2, None, false),
            'H' => ('u', 2, None, false),
            'I' => ('u', 4, None, false),
            'l' | 'q' | 'p' | 'n' => ('i', 8, None, false),
            'L' | 'Q' | 'P' | 'N' => ('u', 8, None, false),
            'e' => ('f', 2, None, false),
            'd' => ('f', 8, None, false),
            'g' => ('f', 16, None, false),
            'F' => ('c', 8, None, false),
            'D' => ('c', 16, None, false),
            'G' => ('c', 32, None, false),
            _ => return Err(fail()),
        },
        _ => return Err(fail()),
    };
    Ok((
        scalar_from_code(kind_code, itemsize, order, unit),
        deprecated,
    ))
}

fn scalar_from_code(
    code: char,
    itemsize: u64,
    order: ByteOrder,
    unit: Option<(u32, TimeUnit)>,
) -> Scalar {
    let kind = match code {
        '?' => Kind::Bool,
        'i' => Kind::Int,
        'u' => Kind::UInt,
        'f' => Kind::Float,
        'c' => Kind::Complex,
        'S' => Kind::Bytes,
        'U' => Kind::Unicode,
        'V' => Kind::Void,
        'O' => Kind::Object,
        'M' => Kind::Datetime,
        'm' => Kind::Timedelta,
        _ => unreachable!("codes come from the table above"),
    };
    Scalar {
        kind,
        byte_order: normalise_order(kind, itemsize, order),
        itemsize,
        time_unit: unit,
    }
}

/// `""` (generic), or `[unit]`, `[Nunit]`, `[generic]`. Like NumPy's `strtol`, the count
/// may have leading spaces, a `+` and leading zeros. Divisor forms (`[ns/2]`) are not
/// accepted (a deliberate difference, `spec/` `DIFF-6`).
fn parse_time_meta(meta: &str) -> Option<Option<(u32, TimeUnit)>> {
    if meta.is_empty() {
        return Some(None);
    }
    let inner = meta.strip_prefix('[')?.strip_suffix(']')?;
    let trimmed = inner.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let digits_end = unsigned
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(unsigned.len());
    let (digits, unit) = unsigned.split_at(digits_end);
    if digits.is_empty() && unsigned.len() != inner.len() {
        return None; // a sign or spaces with no number
    }
    let count: u32 = if digits.is_empty() {
        1
    } else {
        let n: u64 = digits.parse().ok()?;
        u32::try_from(n).ok().filter(|&n| n <= i32::MAX as u32)?
    };
    if unit == "generic" {
        return Some(None);
    }
    Some(Some((count, TimeUnit::from_symbol(unit)?)))
}
