//! A hand-written mainland-China working-day calendar, and the Asia/Shanghai clock the
//! hand-written deciders share: reading instants as triage reads them and writing them as
//! triage writes them.
//!
//! Asia/Shanghai is taken as a fixed +08:00. The tz database has had no other offset there
//! since 1991, so this holds for every date the calendar knows; an instant decades away would
//! be written at +08:00 where triage would use the historical offset.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use serde::de::{self, Deserializer, Visitor};

/// Asia/Shanghai's offset.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

const OFFSET: i64 = 8 * 3600;
const DAY: i64 = 24 * 3600;
/// Working hours, in seconds after local midnight.
const OPENING: i64 = 9 * 3600;
const CLOSING: i64 = 18 * 3600;

/// The days since 1970-01-01 of `t`'s date in Shanghai, and the whole seconds since that
/// date's midnight.
pub fn local_day(t: DateTime<FixedOffset>) -> (i64, i64) {
    let local = t.timestamp() + OFFSET;
    (local.div_euclid(DAY), local.rem_euclid(DAY))
}

/// The instant `seconds` after midnight of Shanghai day number `day`, at +08:00.
pub fn at(day: i64, seconds: i64) -> DateTime<FixedOffset> {
    DateTime::from_timestamp(day * DAY + seconds - OFFSET, 0)
        .expect("the calendar's days are within chrono's range")
        .with_timezone(&SHANGHAI)
}

/// `t` at Shanghai's offset, the one decisions are written at.
pub fn shanghai(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_timezone(&SHANGHAI)
}

/// The working days of mainland China, with office hours 09:00-18:00 on each.
///
/// Built once from the day-by-day table; every query is a couple of array look-ups.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The day number (days since 1970-01-01) of the first date in the table.
    first_day: i64,
    /// `working_before[i]`: how many working days precede date `i` of the table. It has one
    /// more element than the table has dates, so `working_before[i + 1]` counts date `i`
    /// itself when it is a working day.
    working_before: Vec<usize>,
    /// The day numbers of the working days, in order.
    working_days: Vec<i64>,
}

impl Calendar {
    /// Read the table of `tests/data/cn-mainland-2024-2026.tsv`: `#` comments, a
    /// `date\tstatus` header, then `YYYY-MM-DD\tworking|off` for consecutive dates.
    ///
    /// # Panics
    ///
    /// When the text is not such a table: it is test data shipped with the crate, so a
    /// malformed one is a bug to report loudly, not an input to recover from.
    pub fn load(tsv: &str) -> Calendar {
        let mut rows = tsv.lines().map(str::trim_end).filter(|l| !l.is_empty() && !l.starts_with('#'));
        assert_eq!(rows.next(), Some("date\tstatus"), "the calendar table starts with its header");
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
        let mut first_day = None;
        let mut working_before = vec![0];
        let mut working_days = Vec::new();
        for row in rows {
            let (date, status) = row.split_once('\t').unwrap_or_else(|| panic!("not `date<TAB>status`: {row:?}"));
            let date: NaiveDate = date.parse().unwrap_or_else(|e| panic!("{date:?} is not a date: {e}"));
            let day = (date - epoch).num_days();
            let first = *first_day.get_or_insert(day);
            let expected = first + working_before.len() as i64 - 1;
            assert_eq!(day, expected, "the table skips or repeats a date at {date}");
            match status {
                "working" => working_days.push(day),
                "off" => {}
                _ => panic!("{date}: status {status:?} is neither `working` nor `off`"),
            }
            working_before.push(working_days.len());
        }
        Calendar { first_day: first_day.expect("the table lists at least one date"), working_before, working_days }
    }

    /// The table index of `t`'s Shanghai date, if the table has it.
    fn index(&self, t: DateTime<FixedOffset>) -> Option<usize> {
        let i = usize::try_from(local_day(t).0 - self.first_day).ok()?;
        (i + 1 < self.working_before.len()).then_some(i)
    }

    /// Close of business (18:00) on the `n`th working day after the day of `t`, that day not
    /// counted: `t + n working days`. `None` when `n` is 0 or the count runs off the table.
    pub fn add_working_days(&self, t: DateTime<FixedOffset>, n: usize) -> Option<DateTime<FixedOffset>> {
        let i = self.index(t)?;
        // The working days up to and including t's day come before the first one counted.
        let counted = self.working_before[i + 1];
        let day = *self.working_days.get(counted + n.checked_sub(1)?)?;
        Some(at(day, CLOSING))
    }

    /// Opening (09:00) of the `n`th working day before the day of `t`, that day not counted:
    /// how triage reckons `warn n working days before` a working-day deadline. `None` when
    /// the count runs off the start of the table or `t` is outside it.
    pub fn sub_working_days(&self, t: DateTime<FixedOffset>, n: usize) -> Option<DateTime<FixedOffset>> {
        let i = self.index(t)?;
        let k = self.working_before[i].checked_sub(n)?;
        Some(at(self.working_days[k], OPENING))
    }
}

/// Append `t` as triage writes an instant in JSON: a quoted RFC 3339 text at Shanghai's
/// offset, whole seconds (a fraction is cut, not rounded), e.g. `"2024-05-16T18:00:00+08:00"`.
pub fn write_instant(out: &mut Vec<u8>, t: DateTime<FixedOffset>) {
    let t = shanghai(t);
    // RFC 3339 has four-digit years; triage clamps to them, and so does this.
    let year = t.year().clamp(0, 9999) as u32;
    out.push(b'"');
    for (value, width, after) in [
        (year, 4, b'-'),
        (t.month(), 2, b'-'),
        (t.day(), 2, b'T'),
        (t.hour(), 2, b':'),
        (t.minute(), 2, b':'),
        (t.second(), 2, b'+'),
    ] {
        let mut digits = [b'0'; 4];
        let mut n = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(&digits[..width]);
        out.push(after);
    }
    out.extend_from_slice(b"08:00\"");
}

/// Read an instant as triage reads one: strict RFC 3339. (chrono's own `Deserialize`
/// accepts a relaxed form, e.g. `+0800` or spaces between the parts, which triage rejects.)
pub fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
    d.deserialize_str(Rfc3339)
}

/// [`rfc3339`] for an optional instant: `null` (or, with `#[serde(default)]`, absence) is
/// `None`.
pub fn optional_rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    d.deserialize_option(OptionalRfc3339)
}

struct Rfc3339;

impl Visitor<'_> for Rfc3339 {
    type Value = DateTime<FixedOffset>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time such as \"2024-05-10T10:30:00+08:00\"")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        DateTime::parse_from_rfc3339(s).map_err(|e| E::custom(format_args!("{s:?}: {e}")))
    }
}

struct OptionalRfc3339;

impl<'de> Visitor<'de> for OptionalRfc3339 {
    type Value = Option<DateTime<FixedOffset>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time such as \"2024-05-10T10:30:00+08:00\", or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        rfc3339(d).map(Some)
    }
}
