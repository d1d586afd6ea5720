//! A fast path for headers in exactly the form NumPy (and this crate) writes them.
//!
//! Almost every header a reader meets was written by `np.save`: the keys in sorted
//! order, single-quoted strings without escapes, `", "` separators, canonical integers.
//! This scanner reads that form directly into a [`Dtype`] and shape without building a
//! literal tree. It gives up (`None`) at the first byte that deviates, and at any rule
//! it would have to report; the general parser then reads the header again and
//! produces the same result or the proper error. So it never decides what is valid:
//! it only ever agrees with the general parser (checked by property tests), faster.

use crate::dtype::{subarray_of, Dtype, RecordBuilder, Scalar, MAX_ITEMSIZE};
use crate::limits::Limits;
use crate::typestr::parse_type_str;
use crate::version::{Version, MAX_DIM};

/// The axis and file offset of a `-1` in the shape.
pub(crate) type GrowthDim = (usize, u64);

/// What the dict says, before the whole-header checks of `HeaderParser::finish`.
pub(crate) struct Canonical {
    pub dtype: Dtype,
    pub fortran_order: bool,
    pub dims: Vec<u64>,
    pub growth: Vec<GrowthDim>,
}

pub(crate) fn parse(text: &[u8], version: Version, limits: &Limits) -> Option<Canonical> {
    let mut s = Scanner {
        src: text,
        pos: 0,
        utf8: version.is_utf8(),
        depth: 1,
        max_depth: limits.max_depth.min(Limits::MAX_DEPTH),
        fields: 0,
        max_fields: u64::from(limits.max_fields),
        max_dims: limits.max_dims as usize,
        last_type: None,
    };
    if s.max_depth < 1 {
        return None;
    }
    s.eat(b"{'descr': ")?;
    let dtype = s.descr()?;
    s.eat(b", 'fortran_order': ")?;
    let fortran_order = if s.eat(b"True").is_some() {
        true
    } else {
        s.eat(b"False")?;
        false
    };
    s.eat(b", 'shape': ")?;
    let (dims, growth) = s.shape(version == Version::V4_0)?;
    s.eat(b", }")?;
    // Padding: spaces, then a newline at the very end (or nothing: the general parser's
    // caller reports the missing newline either way).
    let rest = &s.src[s.pos..];
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    match &rest[spaces..] {
        b"" | b"\n" => Some(Canonical {
            dtype,
            fortran_order,
            dims,
            growth,
        }),
        _ => None,
    }
}

/// Bytes that end the fast scan of a string: its quote, or anything it does not handle
/// (escapes, line ends, NUL; in 1.0/2.0 headers, non-ASCII bytes, which are latin-1).
const STOP_LATIN1: [bool; 256] = stop_table(false);
/// [`STOP_LATIN1`] for 3.0/4.0 headers, whose text is UTF-8.
const STOP_UTF8: [bool; 256] = stop_table(true);

const fn stop_table(utf8: bool) -> [bool; 256] {
    let mut t = [false; 256];
    t[b'\'' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t[0] = true;
    if !utf8 {
        let mut b = 0x80;
        while b < 256 {
            t[b] = true;
            b += 1;
        }
    }
    t
}

struct Scanner<'a> {
    src: &'a [u8],
    pos: usize,
    utf8: bool,
    depth: u32,
    max_depth: u32,
    fields: u64,
    max_fields: u64,
    max_dims: usize,
    /// The last type string read and what it means: structured headers repeat a few
    /// type strings many times.
    last_type: Option<(&'a str, Scalar)>,
}

impl<'a> Scanner<'a> {
    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        if self.src[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Some(())
        } else {
            None
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn open(&mut self, b: u8) -> Option<()> {
        self.eat(&[b])?;
        self.depth += 1;
        (self.depth <= self.max_depth).then_some(())
    }

    fn close(&mut self, b: u8) -> Option<()> {
        self.eat(&[b])?;
        self.depth -= 1;
        Some(())
    }

    /// `'...'` with no backslash, quote or line break inside. Latin-1 text must be
    /// ASCII here (other bytes need decoding: left to the general parser).
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b"'")?;
        let start = self.pos;
        let stop = if self.utf8 { &STOP_UTF8 } else { &STOP_LATIN1 };
        let len = self.src[start..]
            .iter()
            .position(|&b| stop[usize::from(b)])?;
        if self.src[start + len] != b'\'' {
            return None;
        }
        self.pos = start + len + 1;
        std::str::from_utf8(&self.src[start..start + len]).ok()
    }

    /// `0` or a decimal without leading zeros, at most 2^63-1.
    fn uint(&mut self) -> Option<u64> {
        let start = self.pos;
        let len = self.src[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if len == 0 || len > 19 || (len > 1 && self.src[start] == b'0') {
            return None;
        }
        let mut n: u64 = 0;
        for &d in &self.src[start..start + len] {
            n = n * 10 + u64::from(d - b'0');
        }
        self.pos += len;
        (n <= MAX_DIM).then_some(n)
    }

    /// `()`, `(n,)` or `(a, b, ...)`; `-1` entries only when `allow_open`.
    fn shape(&mut self, allow_open: bool) -> Option<(Vec<u64>, Vec<GrowthDim>)> {
        self.open(b'(')?;
        let mut dims = Vec::new();
        let mut growth = Vec::new();
        if self.close(b')').is_some() {
            return Some((dims, growth));
        }
        loop {
            if allow_open && self.eat(b"-1").is_some() {
                growth.push((dims.len(), 0));
                dims.push(0);
            } else {
                dims.push(self.uint()?);
            }
            if dims.len() > self.max_dims {
                return None;
            }
            if dims.len() == 1 && self.eat(b",)").is_some() {
                break;
            }
            if dims.len() > 1 && self.close(b')').is_some() {
                break;
            }
            self.eat(b", ")?;
        }
        if dims.len() == 1 {
            self.depth -= 1;
        }
        Some((dims, growth))
    }

    /// A subarray shape: a non-empty tuple whose dimensions fit NumPy's C `int` (the
    /// general parser reports the others).
    fn subarray_dims(&mut self) -> Option<Vec<u64>> {
        let (dims, growth) = self.shape(false)?;
        let valid =
            growth.is_empty() && !dims.is_empty() && dims.iter().all(|&d| d <= MAX_ITEMSIZE);
        valid.then_some(dims)
    }

    /// The whole descr: a type string or a list of fields.
    fn descr(&mut self) -> Option<Dtype> {
        match self.peek()? {
            b'\'' => self.type_str(),
            b'[' => self.record(),
            _ => None,
        }
    }

    fn type_str(&mut self) -> Option<Dtype> {
        let s = self.string()?;
        if let Some((last, scalar)) = &self.last_type {
            if *last == s {
                return Some(Dtype::Scalar(scalar.clone()));
            }
        }
        match parse_type_str(s) {
            // A deprecated spelling carries a warning: the general parser reports it.
            Ok((scalar, false)) => {
                self.last_type = Some((s, scalar.clone()));
                Some(Dtype::Scalar(scalar))
            }
            _ => None,
        }
    }

    /// `[]` or `[(name, type[, shape]), ...]`.
    fn record(&mut self) -> Option<Dtype> {
        self.open(b'[')?;
        let mut record = RecordBuilder::default();
        if self.close(b']').is_none() {
            loop {
                self.fields += 1;
                if self.fields > self.max_fields {
                    return None;
                }
                self.open(b'(')?;
                let (title, name) = if self.peek()? == b'(' {
                    self.open(b'(')?;
                    let t = self.string()?;
                    self.eat(b", ")?;
                    let n = self.string()?;
                    self.close(b')')?;
                    (Some(t.to_owned()), n.to_owned())
                } else {
                    (None, self.string()?.to_owned())
                };
                self.eat(b", ")?;
                let mut dtype = self.field_type()?;
                if self.eat(b", ").is_some() {
                    if dtype.is_unsized_flexible() {
                        return None;
                    }
                    dtype = subarray_of(dtype, self.subarray_dims()?).ok()?;
                }
                self.close(b')')?;
                record.add(name, title, dtype).ok()?;
                if self.close(b']').is_some() {
                    break;
                }
                self.eat(b", ")?;
            }
        }
        let dtype = record.finish();
        (dtype.itemsize() <= MAX_ITEMSIZE).then_some(dtype)
    }

    /// A field's type: a type string, a nested record, or `(type, shape)`.
    fn field_type(&mut self) -> Option<Dtype> {
        match self.peek()? {
            b'\'' => self.type_str(),
            b'[' => self.record(),
            b'(' => {
                self.open(b'(')?;
                let base = self.field_type()?;
                self.eat(b", ")?;
                if base.is_unsized_flexible() {
                    return None;
                }
                let dims = self.subarray_dims()?;
                self.close(b')')?;
                subarray_of(base, dims).ok()
            }
            _ => None,
        }
    }
}
