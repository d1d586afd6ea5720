//! Typed slices and the conversions an append may apply.

use npy_header::{ByteOrder, Dtype, Element, Kind, Scalar};

/// Which conversions [`Appender::append_npy`](crate::Appender::append_npy) may apply
/// when the input's dtype is not the file's. Nothing is ever converted silently
/// (`A-2`): npy-append-array casts unsafely (float64 rows into an int32 file are
/// truncated); here the caller names the cast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cast {
    /// The input's dtype must equal the file's, byte order included.
    #[default]
    No,
    /// NumPy's `safe` casting (`np.can_cast(from, to, 'safe')`) between booleans,
    /// integers, floats of 2, 4 and 8 bytes and complex numbers of 8 and 16 bytes
    /// (`int64` → `float64` is "safe" to NumPy, though it rounds above 2⁵³); a change of
    /// byte order for any other scalar type; longer byte (`S`) and unicode (`U`)
    /// strings, padded with zeros. Structured, void, datetime and long double types
    /// convert only to themselves.
    Safe,
}

impl Cast {
    /// Whether this cast turns `from` items into `to` items.
    pub fn allows(self, from: &Dtype, to: &Dtype) -> bool {
        from == to || (self == Cast::Safe && Converter::plan(from, to).is_some())
    }
}

/// A number type the numeric conversions handle, by item size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    Bool,
    Int(usize),
    UInt(usize),
    Float(usize),
    Complex(usize),
}

impl Num {
    fn of(s: &Scalar) -> Option<Num> {
        let size = usize::try_from(s.itemsize()).ok()?;
        match (s.kind(), size) {
            (Kind::Bool, 1) => Some(Num::Bool),
            (Kind::Int, 1 | 2 | 4 | 8) => Some(Num::Int(size)),
            (Kind::UInt, 1 | 2 | 4 | 8) => Some(Num::UInt(size)),
            (Kind::Float, 2 | 4 | 8) => Some(Num::Float(size)),
            (Kind::Complex, 8 | 16) => Some(Num::Complex(size)),
            _ => None,
        }
    }

    /// NumPy's `safe` casting table for these types.
    fn safe_to(self, to: Num) -> bool {
        // The smallest float that holds every integer of a size exactly, as NumPy rules.
        let float_for = |n: usize| match n {
            1 => 2,
            2 => 4,
            _ => 8,
        };
        match (self, to) {
            (Num::Bool, _) => true,
            (_, Num::Bool) => false,
            (Num::UInt(a), Num::UInt(b)) | (Num::Int(a), Num::Int(b)) => b >= a,
            (Num::UInt(a), Num::Int(b)) => b > a,
            (Num::Int(_), Num::UInt(_)) => false,
            (Num::Int(a) | Num::UInt(a), Num::Float(b)) => b >= float_for(a),
            (Num::Int(a) | Num::UInt(a), Num::Complex(b)) => b >= 2 * float_for(a),
            (Num::Float(a), Num::Float(b)) => b >= a,
            (Num::Float(a), Num::Complex(b)) => b >= 2 * a,
            (Num::Complex(a), Num::Complex(b)) => b >= a,
            (Num::Float(_) | Num::Complex(_), Num::Int(_) | Num::UInt(_))
            | (Num::Complex(_), Num::Float(_)) => false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Plan {
    /// Same type, other byte order: reverse each `unit`-byte group.
    Swap {
        unit: usize,
    },
    Numeric {
        from: Num,
        to: Num,
    },
    /// A longer string: copy, pad with zeros; `unit` 1 for `S`, 4 for `U`.
    Widen {
        unit: usize,
        swap: bool,
    },
}

/// Converts items of one scalar dtype into another.
#[derive(Clone, Debug)]
pub(crate) struct Converter {
    from: Scalar,
    to: Scalar,
    plan: Plan,
}

impl Converter {
    /// The conversion [`Cast::Safe`] allows from `from` to `to`, if any (`None` also
    /// when they are equal: nothing to do).
    pub fn plan(from: &Dtype, to: &Dtype) -> Option<Converter> {
        let (Dtype::Scalar(a), Dtype::Scalar(b)) = (from, to) else {
            return None;
        };
        if a == b {
            return None;
        }
        let swapped = a.byte_order() != b.byte_order()
            && a.byte_order() != ByteOrder::NotApplicable
            && b.byte_order() != ByteOrder::NotApplicable;
        let plan = if a.kind() == b.kind()
            && a.itemsize() == b.itemsize()
            && a.time_unit() == b.time_unit()
        {
            let unit = match (a.kind(), a.itemsize()) {
                // x87 long doubles have no portable byte-swapped form.
                (Kind::Float, 16) | (Kind::Complex, 32) => return None,
                (Kind::Complex, n) => n / 2,
                (Kind::Unicode, _) => 4,
                (_, n) => n,
            };
            Plan::Swap {
                unit: usize::try_from(unit).ok()?,
            }
        } else if let (Some(x), Some(y)) = (Num::of(a), Num::of(b)) {
            if !x.safe_to(y) {
                return None;
            }
            Plan::Numeric { from: x, to: y }
        } else if a.kind() == b.kind() && matches!(a.kind(), Kind::Bytes | Kind::Unicode) {
            if b.itemsize() < a.itemsize() {
                return None;
            }
            Plan::Widen {
                unit: if a.kind() == Kind::Unicode { 4 } else { 1 },
                swap: swapped,
            }
        } else {
            return None;
        };
        Some(Converter {
            from: a.clone(),
            to: b.clone(),
            plan,
        })
    }

    pub fn in_size(&self) -> usize {
        usize::try_from(self.from.itemsize()).expect("scalar sizes are small")
    }

    pub fn out_size(&self) -> usize {
        usize::try_from(self.to.itemsize()).expect("scalar sizes are small")
    }

    /// Converts whole items of `src` and appends them to `dst`.
    pub fn convert(&self, src: &[u8], dst: &mut Vec<u8>) {
        let (fs, ts) = (self.in_size(), self.out_size());
        debug_assert_eq!(src.len() % fs.max(1), 0);
        match self.plan {
            Plan::Swap { unit } => {
                let start = dst.len();
                dst.extend_from_slice(src);
                for group in dst[start..].chunks_exact_mut(unit) {
                    group.reverse();
                }
            }
            Plan::Widen { unit, swap } => {
                for item in src.chunks_exact(fs) {
                    let start = dst.len();
                    dst.extend_from_slice(item);
                    dst.resize(start + ts, 0);
                    if swap {
                        for group in dst[start..].chunks_exact_mut(unit) {
                            group.reverse();
                        }
                    }
                }
            }
            Plan::Numeric { from, to } => {
                let big_in = self.from.byte_order() == ByteOrder::Big;
                let big_out = self.to.byte_order() == ByteOrder::Big;
                for item in src.chunks_exact(fs) {
                    let v = decode(from, item, big_in);
                    encode(v, to, big_out, dst);
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Value {
    Int(i128),
    Float(f64),
    Complex(f64, f64),
}

/// The item's bytes as a little-endian array of `N`.
fn le<const N: usize>(item: &[u8], big: bool) -> [u8; N] {
    let mut b: [u8; N] = item[..N].try_into().expect("item size checked");
    if big {
        b.reverse();
    }
    b
}

fn float(item: &[u8], size: usize, big: bool) -> f64 {
    match size {
        2 => half::f16::from_bits(u16::from_le_bytes(le(item, big))).to_f64(),
        4 => f64::from(f32::from_le_bytes(le(item, big))),
        _ => f64::from_le_bytes(le(item, big)),
    }
}

fn decode(num: Num, item: &[u8], big: bool) -> Value {
    match num {
        Num::Bool => Value::Int(i128::from(item[0] != 0)),
        Num::Int(1) => Value::Int(i128::from(i8::from_le_bytes(le(item, big)))),
        Num::Int(2) => Value::Int(i128::from(i16::from_le_bytes(le(item, big)))),
        Num::Int(4) => Value::Int(i128::from(i32::from_le_bytes(le(item, big)))),
        Num::Int(_) => Value::Int(i128::from(i64::from_le_bytes(le(item, big)))),
        Num::UInt(1) => Value::Int(i128::from(item[0])),
        Num::UInt(2) => Value::Int(i128::from(u16::from_le_bytes(le(item, big)))),
        Num::UInt(4) => Value::Int(i128::from(u32::from_le_bytes(le(item, big)))),
        Num::UInt(_) => Value::Int(i128::from(u64::from_le_bytes(le(item, big)))),
        Num::Float(n) => Value::Float(float(item, n, big)),
        Num::Complex(n) => Value::Complex(
            float(&item[..n / 2], n / 2, big),
            float(&item[n / 2..], n / 2, big),
        ),
    }
}

fn put(bytes: &[u8], big: bool, dst: &mut Vec<u8>) {
    let start = dst.len();
    dst.extend_from_slice(bytes);
    if big {
        dst[start..].reverse();
    }
}

fn put_float(x: f64, size: usize, big: bool, dst: &mut Vec<u8>) {
    match size {
        2 => put(&half::f16::from_f64(x).to_bits().to_le_bytes(), big, dst),
        // Only reached for values a safe cast makes exact in f32.
        #[allow(clippy::cast_possible_truncation)]
        4 => put(&(x as f32).to_le_bytes(), big, dst),
        _ => put(&x.to_le_bytes(), big, dst),
    }
}

/// Writes `v` as `num`. A safe cast guarantees that integers fit; the `as`
/// conversions below cannot truncate for the pairs `Num::safe_to` allows.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn encode(v: Value, num: Num, big: bool, dst: &mut Vec<u8>) {
    let real = |v: Value| match v {
        Value::Int(i) => i as f64,
        Value::Float(x) => x,
        Value::Complex(re, _) => re,
    };
    match (num, v) {
        (Num::Bool, Value::Int(i)) => dst.push(u8::from(i != 0)),
        (Num::Int(n) | Num::UInt(n), Value::Int(i)) => {
            put(&i.to_le_bytes()[..n], big, dst);
        }
        (Num::Float(n), v) => put_float(real(v), n, big, dst),
        (Num::Complex(n), Value::Complex(re, im)) => {
            put_float(re, n / 2, big, dst);
            put_float(im, n / 2, big, dst);
        }
        (Num::Complex(n), v) => {
            put_float(real(v), n / 2, big, dst);
            put_float(0.0, n / 2, big, dst);
        }
        (Num::Bool | Num::Int(_) | Num::UInt(_), _) => {
            unreachable!("no safe cast from a float to an integer or bool")
        }
    }
}

/// Whether `dtype` is the scalar type of `T`, and whether its bytes must be swapped.
pub(crate) fn element_order<T: Element>(dtype: &Dtype) -> Option<bool> {
    match dtype {
        Dtype::Scalar(s)
            if s.kind() == T::KIND
                && s.itemsize() == std::mem::size_of::<T>() as u64
                && s.time_unit().is_none() =>
        {
            Some(s.byte_order() != ByteOrder::NATIVE && s.byte_order() != ByteOrder::NotApplicable)
        }
        _ => None,
    }
}
