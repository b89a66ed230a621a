//! A policy zone's offsets, precomputed over the years its calendars cover, so that
//! writing an instant in the policy's zone is a short binary search rather than a walk
//! through the time-zone database.

use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::decision::Instant;

/// The offsets of one zone: exact inside `[from, to)`, looked up in the database outside.
#[derive(Debug, Clone)]
pub(crate) struct ZoneOffsets {
    zone: Tz,
    from: i64,
    to: i64,
    /// From each instant on (UTC seconds), the offset in seconds; the first entry is `from`.
    spans: Vec<(i64, i32)>,
}

/// Seconds between samples: a zone changes its offset at most a few times a year, never
/// twice within a day.
const STEP: i64 = 86_400;

impl ZoneOffsets {
    /// Precompute the offsets of the years `first..=last`; `None` precomputes nothing.
    pub fn new(zone: Tz, years: Option<(i32, i32)>) -> ZoneOffsets {
        let bounds = years.and_then(|(first, last)| {
            let start = NaiveDate::from_ymd_opt(first, 1, 1)?.and_hms_opt(0, 0, 0)?.and_utc().timestamp() - STEP;
            let end =
                NaiveDate::from_ymd_opt(last.checked_add(1)?, 1, 1)?.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + STEP;
            Some((start, end))
        });
        let Some((from, to)) = bounds else {
            return ZoneOffsets { zone, from: 0, to: 0, spans: Vec::new() };
        };
        let offset = |t: i64| DateTime::from_timestamp(t, 0).map_or(0, |t| offset_of(zone, t));
        let mut spans = vec![(from, offset(from))];
        let mut t = from;
        while t < to {
            let next = (t + STEP).min(to);
            let (before, after) = (offset(t), offset(next));
            if before != after {
                // The first second with the new offset.
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset(mid) == before {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                spans.push((hi, after));
            }
            t = next;
        }
        ZoneOffsets { zone, from, to, spans }
    }

    /// An instant shown at the zone's offset then.
    pub fn instant(&self, t: DateTime<Utc>) -> Instant {
        let s = t.timestamp();
        if s < self.from || s >= self.to {
            return Instant::new(t, self.zone);
        }
        let i = self.spans.partition_point(|(start, _)| *start <= s);
        let offset = self.spans.get(i.wrapping_sub(1)).map_or(0, |(_, o)| *o);
        Instant::at_offset(t, offset)
    }
}

/// The zone's offset from UTC at `t`, in seconds.
pub(crate) fn offset_of(zone: Tz, t: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Zones with daylight saving, half-hour saving, a Ramadan pause and none at all.
        #[test]
        fn the_table_agrees_with_the_time_zone_database(
            zone in prop::sample::select(vec![
                "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Africa/Casablanca",
                "America/Santiago", "Asia/Shanghai", "Asia/Kolkata", "Pacific/Chatham",
            ]),
            seconds in 1_672_531_200i64..1_830_297_600,
        ) {
            let zone: Tz = zone.parse().unwrap();
            let table = ZoneOffsets::new(zone, Some((2023, 2027)));
            let t = DateTime::from_timestamp(seconds, 0).unwrap();
            prop_assert_eq!(table.instant(t), Instant::new(t, zone));
            // Around each change, to the second.
            for &(start, _) in &table.spans[1..] {
                for s in [start - 1, start, start + 1] {
                    let t = DateTime::from_timestamp(s, 0).unwrap();
                    prop_assert_eq!(table.instant(t), Instant::new(t, zone));
                }
            }
        }
    }

    #[test]
    fn outside_the_years_the_database_answers() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let table = ZoneOffsets::new(zone, Some((2024, 2024)));
        for s in [0, 1_000_000_000, 1_900_000_000] {
            let t = DateTime::from_timestamp(s, 0).unwrap();
            assert_eq!(table.instant(t), Instant::new(t, zone));
        }
        assert!(table.spans.len() >= 3, "2024 has two changes in Berlin: {:?}", table.spans);
    }
}
