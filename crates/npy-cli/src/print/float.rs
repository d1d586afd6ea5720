//! NumPy's `FloatingFormat` (default print options: `precision=8`,
//! `floatmode='maxprec'`): one layout for all the values shown, positional or
//! scientific, with the shortest digits that identify each value in its own type.
//!
//! Digits come from Rust's float formatting, which is exact: `{:e}` gives the shortest
//! round-trip digits of an `f32` or `f64` (as NumPy's Dragon4 does in unique mode), and
//! `{:.N}`/`{:.Ne}` round the exact binary value half to even (as Dragon4 does at a
//! cutoff). `float16` has no Rust formatting; its shortest digits are searched for.

use half::f16;

/// Which IEEE type the values are; they are held as `f64`, which represents each
/// exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// `float16`.
    F16,
    /// `float32`.
    F32,
    /// `float64`.
    F64,
}

impl Width {
    /// `x` rounded to this type, as NumPy compares a Python float with a typed value.
    fn round(self, x: f64) -> f64 {
        match self {
            Width::F16 => f16::from_f64(x).to_f64(),
            // `as` from f64 to f32 rounds to nearest, ties to even.
            #[allow(clippy::cast_possible_truncation)]
            Width::F32 => f64::from(x as f32),
            Width::F64 => x,
        }
    }

    /// NumPy 2.3+ switches to scientific notation from `10**min(8, finfo.precision)`.
    fn exp_cutoff(self) -> f64 {
        match self {
            Width::F16 => 1e3,
            Width::F32 => 1e6,
            Width::F64 => 1e8,
        }
    }
}

/// The shortest decimal that reads back as `v` in type `width`: its digits (no
/// leading zeros; `"0"` for zero) and the exponent of the first digit.
///
/// When two candidates of that length are equally close (the value lies exactly
/// between them), Dragon4 takes the even digit and Rust's shortest formatting the
/// upper one; the exact rounding to the same length is half-to-even, so it is used
/// whenever it reads back as the value.
fn shortest(v: f64, width: Width) -> (String, i32) {
    let v = v.abs();
    #[allow(clippy::cast_possible_truncation)]
    let (s, reads_back): (String, &dyn Fn(&str) -> bool) = match width {
        Width::F64 => (format!("{v:e}"), &|t: &str| t.parse::<f64>() == Ok(v)),
        Width::F32 => (format!("{:e}", v as f32), &|t: &str| {
            t.parse::<f32>() == Ok(v as f32)
        }),
        Width::F16 => return split_sci(&shortest_f16(v)),
    };
    let (digits, _) = split_sci(&s);
    let even = format!("{v:.*e}", digits.len() - 1);
    split_sci(if reads_back(&even) { &even } else { &s })
}

/// Digits and exponent of `d.ddde±x` text.
fn split_sci(s: &str) -> (String, i32) {
    let (mantissa, exp) = s.split_once('e').expect("`{:e}` output has an exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (
        digits,
        exp.parse().expect("`{:e}` output has an integer exponent"),
    )
}

/// For each number of digits, the correctly rounded candidate and its neighbours in
/// the last digit (the rounding interval of a power of two is lopsided); the first
/// that reads back as `v`, closest first.
fn shortest_f16(v: f64) -> String {
    let target = f16::from_f64(v);
    for p in 0..6usize {
        let s = format!("{v:.p$e}");
        let (digits, exp) = split_sci(&s);
        let m: u64 = digits.parse().expect("at most 6 decimal digits of an f16");
        let scale = exp - i32::try_from(p).expect("p < 6");
        let mut best: Option<(f64, String)> = None;
        for cand in [m, m.saturating_sub(1), m + 1] {
            let text = format!("{cand}e{scale}");
            let value: f64 = text
                .parse()
                .expect("`{digits}e{exponent}` is a float literal");
            if f16::from_f64(value) == target {
                let distance = (value - v).abs();
                if best.as_ref().is_none_or(|(d, _)| distance < *d) {
                    let cand_digits = cand.to_string();
                    let e = scale + i32::try_from(cand_digits.len()).expect("at most 7 digits") - 1;
                    best = Some((
                        distance,
                        format!("{}.{}e{e}", &cand_digits[..1], &cand_digits[1..]),
                    ));
                }
            }
        }
        if let Some((_, s)) = best {
            return s;
        }
    }
    format!("{v:e}")
}

/// Positional text of `|v|`, at most `precision` fractional digits (exactly rounded
/// beyond the shortest digits): (integer part, fractional part).
fn positional(v: f64, width: Width, precision: usize) -> (String, String) {
    let (digits, exp) = shortest(v, width);
    let frac_len =
        usize::try_from(i32::try_from(digits.len()).expect("at most 17 shortest digits") - 1 - exp)
            .unwrap_or(0);
    if frac_len > precision {
        let s = format!("{:.precision$}", v.abs());
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        return (int.to_string(), frac.to_string());
    }
    if exp >= 0 {
        let e = usize::try_from(exp).expect("exp >= 0 in this branch");
        if digits.len() > e + 1 {
            (digits[..=e].to_string(), digits[e + 1..].to_string())
        } else {
            (format!("{digits:0<width$}", width = e + 1), String::new())
        }
    } else {
        let zeros = usize::try_from(-exp - 1).expect("exp < 0 in this branch");
        ("0".to_string(), format!("{}{digits}", "0".repeat(zeros)))
    }
}

/// Scientific text of `|v|`: (leading digit, fractional digits, exponent), at most
/// `precision` and at least `min_digits` fractional digits, exactly rounded when cut
/// or extended.
fn scientific(v: f64, width: Width, precision: usize, min_digits: usize) -> (String, String, i32) {
    let (digits, exp) = shortest(v, width);
    let frac = digits.len() - 1;
    let (digits, exp) = if frac > precision {
        split_sci(&format!("{:.precision$e}", v.abs()))
    } else if frac < min_digits {
        split_sci(&format!("{:.min_digits$e}", v.abs()))
    } else {
        (digits, exp)
    };
    (digits[..1].to_string(), digits[1..].to_string(), exp)
}

fn trim_zeros(frac: &str) -> &str {
    frac.trim_end_matches('0')
}

fn sign(v: f64, plus: bool) -> &'static str {
    if v.is_sign_negative() {
        "-"
    } else if plus {
        "+"
    } else {
        ""
    }
}

/// One layout for a set of values, as NumPy's `FloatingFormat` computes it.
#[derive(Clone, Debug)]
pub struct FloatFormat {
    width: Width,
    plus: bool,
    exp_format: bool,
    precision: usize,
    pad_left: usize,
    pad_right: usize,
    exp_size: usize,
}

const PRECISION: usize = 8;

impl FloatFormat {
    /// The layout for `values` (all the values that will be shown). `plus` prints `+`
    /// on positive values (the imaginary parts of complex numbers).
    pub fn new(values: &[f64], width: Width, plus: bool) -> FloatFormat {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let mut exp_format = false;
        let abs_non_zero = finite.iter().filter(|v| **v != 0.0).map(|v| v.abs());
        if let (Some(max), Some(min)) = (
            abs_non_zero.clone().reduce(f64::max),
            abs_non_zero.reduce(f64::min),
        ) {
            // NumPy compares in the array's type: the Python constants are rounded to
            // it, and the ratio is computed in it (it may overflow to inf).
            exp_format = max >= width.exp_cutoff()
                || min < width.round(0.0001)
                || width.round(max / min) > 1000.0;
        }
        let mut f = FloatFormat {
            width,
            plus,
            exp_format,
            precision: PRECISION,
            pad_left: 0,
            pad_right: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
            // Nothing to measure.
        } else if exp_format {
            let parts: Vec<_> = finite
                .iter()
                .map(|&v| {
                    let (int, frac, exp) = scientific(v, width, PRECISION, 0);
                    (
                        format!("{}{int}", sign(v, plus)),
                        trim_zeros(&frac).len(),
                        exp,
                    )
                })
                .collect();
            f.exp_size = parts
                .iter()
                .map(|(_, _, e)| e.unsigned_abs().to_string().len().max(2))
                .max()
                .expect("a summary prints at least one value");
            f.precision = parts
                .iter()
                .map(|(_, n, _)| *n)
                .max()
                .expect("a summary prints at least one value");
            f.pad_left = parts
                .iter()
                .map(|(i, _, _)| i.len())
                .max()
                .expect("a summary prints at least one value");
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            for &v in &finite {
                let (int, frac) = positional(v, width, PRECISION);
                f.pad_left = f.pad_left.max(sign(v, plus).len() + int.len());
                f.pad_right = f.pad_right.max(trim_zeros(&frac).len());
            }
        }
        if finite.len() != values.len() {
            let neg_inf = plus || values.iter().any(|v| v.is_infinite() && *v < 0.0);
            let offset = f.pad_right + 1;
            let need = |n: usize| n.saturating_sub(offset);
            f.pad_left = f.pad_left.max(need(3)).max(need(3 + usize::from(neg_inf)));
        }
        f
    }

    /// One value in the layout.
    pub fn format(&self, v: f64) -> String {
        if !v.is_finite() {
            let text = if v.is_nan() {
                format!("{}nan", if self.plus { "+" } else { "" })
            } else {
                format!("{}inf", sign(v, self.plus))
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{text:>width$}");
        }
        let s = sign(v, self.plus);
        if self.exp_format {
            let (int, frac, exp) = scientific(v, self.width, self.precision, self.precision);
            let int = format!("{s}{int}");
            format!(
                "{int:>pad$}.{frac}e{}{:0>digits$}",
                if exp < 0 { '-' } else { '+' },
                exp.unsigned_abs(),
                pad = self.pad_left,
                digits = self.exp_size
            )
        } else {
            let (int, frac) = positional(v, self.width, PRECISION);
            let int = format!("{s}{int}");
            let frac = trim_zeros(&frac);
            format!(
                "{int:>pad$}.{frac:<right$}",
                pad = self.pad_left,
                right = self.pad_right
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(values: &[f64], width: Width) -> Vec<String> {
        let f = FloatFormat::new(values, width, false);
        values.iter().map(|&v| f.format(v)).collect()
    }

    /// Each expectation is an element of `repr(np.array(values, dtype))` in NumPy 2.4.
    #[test]
    fn matches_numpy() {
        assert_eq!(
            layout(&[0.125, 0.375, 1e-3], Width::F64),
            ["0.125", "0.375", "0.001"]
        );
        assert_eq!(layout(&[2.5e-9, 1.0], Width::F64), ["2.5e-09", "1.0e+00"]);
        assert_eq!(
            layout(&[123456789.0, 1.0], Width::F64),
            ["1.23456789e+08", "1.00000000e+00"]
        );
        assert_eq!(
            layout(&[1.00000005, 1e-300], Width::F64),
            ["1.00000005e+000", "1.00000000e-300"]
        );
        assert_eq!(
            layout(&[0.001953125, 1.5], Width::F64),
            ["0.00195312", "1.5       "]
        );
        assert_eq!(layout(&[0.1 + 0.2], Width::F64), ["0.3"]);
        assert_eq!(
            layout(&[1.0, f64::NAN, f64::NEG_INFINITY], Width::F64),
            ["  1.", " nan", "-inf"]
        );
        assert_eq!(layout(&[f64::NAN], Width::F64), ["nan"]);
        let third = f64::from(1.0f32 / 3.0);
        let two_thirds = f64::from(2.0f32 / 3.0);
        assert_eq!(
            layout(&[third, two_thirds], Width::F32),
            ["0.33333334", "0.6666667 "]
        );
        assert_eq!(
            layout(&[999999.0, 2.0], Width::F32),
            ["9.99999e+05", "2.00000e+00"]
        );
        let h = |x: f64| f16::from_f64(x).to_f64();
        assert_eq!(
            layout(&[h(0.1), h(0.3), h(1e-5)], Width::F16),
            ["1.e-01", "3.e-01", "1.e-05"]
        );
        assert_eq!(
            layout(&[h(65504.0), h(0.5)], Width::F16),
            ["6.55e+04", "5.00e-01"]
        );
        assert_eq!(layout(&[h(0.0001), 1.0], Width::F16), ["1.e-04", "1.e+00"]);
        assert_eq!(layout(&[-0.0, 2.0], Width::F64), ["-0.", " 2."]);
        // 3864131.25 lies exactly between 3864131.2 and 3864131.3: the even digit.
        assert_eq!(
            layout(&[-3864131.25, 1e-4], Width::F32),
            ["-3.8641312e+06", " 1.0000000e-04"]
        );
    }
}
