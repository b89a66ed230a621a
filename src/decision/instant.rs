//! Instants in a decision: absolute, shown at the offset the policy's zone has then.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

/// An instant with the offset of the policy's zone at that moment, written as RFC 3339
/// (`2024-05-16T18:00:00+08:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(DateTime<FixedOffset>);

impl Instant {
    pub(crate) fn new(t: DateTime<Utc>, zone: Tz) -> Instant {
        let offset = zone.offset_from_utc_datetime(&t.naive_utc()).fix();
        Instant(t.with_timezone(&offset))
    }

    /// The instant in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// The instant at the policy zone's offset.
    pub fn local(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// RFC 3339 text, written digit by digit: chrono's format strings are parsed on every
    /// call, and decisions write many instants.
    pub(crate) fn write(&self, buf: &mut [u8; 25]) -> usize {
        let t = self.0;
        let offset = t.offset().local_minus_utc();
        let minutes = offset.unsigned_abs() / 60;
        let sign = if offset < 0 { b'-' } else { b'+' };
        // RFC 3339 years have four digits; the language's instants stay within them.
        let year = t.year().clamp(0, 9999) as u32;
        let fields: [(u32, usize, u8); 8] = [
            (year, 4, b'-'),
            (t.month(), 2, b'-'),
            (t.day(), 2, b'T'),
            (t.hour(), 2, b':'),
            (t.minute(), 2, b':'),
            (t.second(), 2, sign),
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
    use super::*;

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
            assert_eq!(instant.to_string(), instant.local().format("%Y-%m-%dT%H:%M:%S%:z").to_string());
            assert_eq!(instant.utc(), t);
        }
    }
}
