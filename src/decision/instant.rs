//! Instants in a decision: absolute, shown at the offset the policy's zone has then.

use std::fmt;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

/// An instant with the offset of the policy's zone at that moment, written as RFC 3339
/// (`2024-05-16T18:00:00+08:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z.
    utc: i64,
    /// The zone's offset from UTC then, in seconds.
    offset: i32,
}

impl Instant {
    /// The instant at the offset `zone` has then, looked up in the time-zone database.
    pub(crate) fn new(t: DateTime<Utc>, zone: Tz) -> Instant {
        Instant::at_offset(t, crate::zone::offset_of(zone, t))
    }

    pub(crate) fn at_offset(t: DateTime<Utc>, offset: i32) -> Instant {
        Instant { utc: t.timestamp(), offset }
    }

    /// The instant in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.utc, 0).unwrap_or_default()
    }

    /// The instant at the policy zone's offset.
    pub fn local(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset).unwrap_or_else(|| Utc.fix());
        self.utc().with_timezone(&offset)
    }

    /// RFC 3339 text, written digit by digit from the day number: chrono's format strings
    /// are parsed on every call, and decisions write many instants.
    pub(crate) fn write(&self, buf: &mut [u8; 25]) -> usize {
        let local = self.utc + i64::from(self.offset);
        let (days, secs) = (local.div_euclid(86_400), u32::try_from(local.rem_euclid(86_400)).unwrap_or(0));
        let (year, month, day) = civil(days);
        let minutes = self.offset.unsigned_abs() / 60;
        let sign = if self.offset < 0 { b'-' } else { b'+' };
        // RFC 3339 years have four digits; the language's instants stay within them.
        let year = u32::try_from(year.clamp(0, 9999)).unwrap_or(0);
        let fields: [(u32, usize, u8); 8] = [
            (year, 4, b'-'),
            (month, 2, b'-'),
            (day, 2, b'T'),
            (secs / 3600, 2, b':'),
            (secs / 60 % 60, 2, b':'),
            (secs % 60, 2, sign),
            (minutes / 60, 2, b':'),
            (minutes % 60, 2, 0),
        ];
        let mut at = 0;
        for (value, width, after) in fields {
            let mut n = value;
            for i in (0..width).rev() {
                buf[at + i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
            at += width;
            if after != 0 {
                buf[at] = after;
                at += 1;
            }
        }
        at
    }
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01): Howard Hinnant's
/// `civil_from_days`.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Days 1 to 31, months 1 to 12.
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 25];
        let n = self.write(&mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 25];
        let n = self.write(&mut buf);
        s.serialize_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn written_as_chrono_formats_it(seconds in 0i64..253_402_300_799, minutes in -1439i32..1440) {
            let t = DateTime::from_timestamp(seconds, 0).unwrap();
            let offset = FixedOffset::east_opt(minutes * 60).unwrap();
            let local = t.with_timezone(&offset);
            prop_assume!(local.format("%Y").to_string().len() == 4);
            let instant = Instant::at_offset(t, minutes * 60);
            prop_assert_eq!(instant.to_string(), local.format("%Y-%m-%dT%H:%M:%S%:z").to_string());
            prop_assert_eq!(instant.local(), local);
        }
    }

    #[test]
    fn written_as_rfc3339_with_the_zones_offset_then() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        let new_york: Tz = "America/New_York".parse().unwrap();
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let cases = [
            (at("2024-05-16T10:00:00Z"), shanghai, "2024-05-16T18:00:00+08:00"),
            (at("2024-01-15T17:00:00Z"), new_york, "2024-01-15T12:00:00-05:00"),
            (at("2024-07-15T16:00:00Z"), new_york, "2024-07-15T12:00:00-04:00"),
            (at("2024-12-31T18:29:59Z"), kolkata, "2024-12-31T23:59:59+05:30"),
        ];
        for (t, zone, text) in cases {
            let instant = Instant::new(t, zone);
            assert_eq!(instant.to_string(), text);
            assert_eq!(instant.local().to_rfc3339(), text);
            assert_eq!(instant.to_string(), instant.local().format("%Y-%m-%dT%H:%M:%S%:z").to_string());
            assert_eq!(instant.utc(), t);
        }
    }
}
