//! `datetime64` values as NumPy's `datetime_as_string` writes them (naive ISO 8601 in
//! the dtype's unit).

use std::fmt::Write as _;

use npy_header::TimeUnit;

/// NumPy's "not a time": the smallest `i64`.
pub const NAT: i64 = i64::MIN;

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).expect("1..=31");
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).expect("1..=12");
    let year = yoe + era * 400 + i128::from(month <= 2);
    (year, month, day)
}

/// Sub-day units: how many per day, and how many fractional-second digits they print.
fn per_day(unit: TimeUnit) -> Option<(i128, usize)> {
    let sec: i128 = 86_400;
    Some(match unit {
        TimeUnit::Hours => (24, 0),
        TimeUnit::Minutes => (24 * 60, 0),
        TimeUnit::Seconds => (sec, 0),
        TimeUnit::Milliseconds => (sec * 1_000, 3),
        TimeUnit::Microseconds => (sec * 1_000_000, 6),
        TimeUnit::Nanoseconds => (sec * 1_000_000_000, 9),
        TimeUnit::Picoseconds => (sec * 1_000_000_000_000, 12),
        TimeUnit::Femtoseconds => (sec * 1_000_000_000_000_000, 15),
        TimeUnit::Attoseconds => (sec * 1_000_000_000_000_000_000, 18),
        _ => return None,
    })
}

/// NumPy prints years with C's `%04lld`: at least four characters, the sign counted.
fn year(y: i128) -> String {
    format!("{y:04}")
}

/// `value` units of `count × unit` since the epoch, as `datetime_as_string(x,
/// unit=unit)` writes it, without quotes.
pub fn datetime_string(value: i64, count: u32, unit: TimeUnit) -> String {
    let v = i128::from(value) * i128::from(count);
    match unit {
        TimeUnit::Years => year(1970 + v),
        TimeUnit::Months => format!(
            "{}-{:02}",
            year(1970 + v.div_euclid(12)),
            v.rem_euclid(12) + 1
        ),
        TimeUnit::Weeks | TimeUnit::Days => {
            let days = if unit == TimeUnit::Weeks { v * 7 } else { v };
            let (y, m, d) = civil_from_days(days);
            format!("{}-{m:02}-{d:02}", year(y))
        }
        _ => {
            let (n, digits) = per_day(unit).expect("a sub-day unit");
            let (y, m, d) = civil_from_days(v.div_euclid(n));
            let within = v.rem_euclid(n);
            let mut s = format!("{}-{m:02}-{d:02}", year(y));
            let per_hour = n / 24;
            let hour = within / per_hour;
            write!(s, "T{hour:02}").expect("String");
            if unit != TimeUnit::Hours {
                let per_minute = per_hour / 60;
                write!(s, ":{:02}", within % per_hour / per_minute).expect("String");
                if unit != TimeUnit::Minutes {
                    let per_second = per_minute / 60;
                    write!(s, ":{:02}", within % per_minute / per_second).expect("String");
                    if digits > 0 {
                        write!(s, ".{:0digits$}", within % per_second).expect("String");
                    }
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expectation is what NumPy 2.4 prints for the same value and unit.
    #[test]
    fn matches_numpy() {
        assert_eq!(datetime_string(0, 1, TimeUnit::Days), "1970-01-01");
        assert_eq!(datetime_string(-1, 1, TimeUnit::Weeks), "1969-12-25");
        assert_eq!(datetime_string(-719_893, 1, TimeUnit::Days), "-001-01-01");
        assert_eq!(datetime_string(2_932_897, 1, TimeUnit::Days), "10000-01-01");
        assert_eq!(
            datetime_string(1, 10, TimeUnit::Milliseconds),
            "1970-01-01T00:00:00.010"
        );
        assert_eq!(
            datetime_string(1_709_209_800_000_000_001, 1, TimeUnit::Nanoseconds),
            "2024-02-29T12:30:00.000000001"
        );
        assert_eq!(datetime_string(54 * 12 + 1, 1, TimeUnit::Months), "2024-02");
        assert_eq!(
            datetime_string(-1, 1, TimeUnit::Seconds),
            "1969-12-31T23:59:59"
        );
        assert_eq!(datetime_string(25, 1, TimeUnit::Hours), "1970-01-02T01");
    }
}
