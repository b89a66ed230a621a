//! Business calendars: which days are working, their hours, windows, and the time
//! arithmetic of `domain.md` §2.
//!
//! A [`CalendarSpec`] is what the files declare, with `extends` already resolved. A
//! [`WorkingCalendar`] is the compiled form: every working period of every valid date as an
//! absolute interval, with running totals, so each query is a binary search however far
//! away the answer is.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::convert::{to_i64, to_u32};

/// A period of a day in minutes since midnight, half-open; crosses midnight when
/// `end <= start`.
pub type Minutes = (u32, u32);

/// A calendar as declared, after merging what it extends.
#[derive(Debug, Clone)]
pub struct CalendarSpec {
    /// The calendar's name.
    pub name: Arc<str>,
    /// Its label for people.
    pub label: Option<String>,
    /// The zone its hours are in.
    pub zone: Tz,
    /// The first and last year it is valid for, inclusive.
    pub valid: (i32, i32),
    /// Where those years are written (in the calendar it extends, when it sets none).
    pub valid_at: crate::source::Span,
    /// Working periods per weekday, Monday first.
    pub weekly: [Vec<Minutes>; 7],
    /// Hours of a make-up working day that gives none of its own; Monday's when `None`.
    pub makeup_hours: Option<Vec<Minutes>>,
    /// Make-up working days are ignored (`makeup days off`).
    pub makeup_off: bool,
    /// Public holidays and their names.
    pub holidays: BTreeMap<NaiveDate, Arc<str>>,
    /// Make-up working days, their names, and their own hours if any.
    pub workdays: BTreeMap<NaiveDate, (Arc<str>, Option<Vec<Minutes>>)>,
    /// Dates declared off.
    pub days_off: BTreeMap<NaiveDate, Arc<str>>,
    /// Dates with special hours.
    pub special: BTreeMap<NaiveDate, (Arc<str>, Vec<Minutes>)>,
    /// Named daily windows.
    pub windows: Vec<(Arc<str>, Vec<Minutes>)>,
}

/// Why a date has the hours it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// An ordinary day, working or not by the weekly hours.
    Regular,
    /// A public holiday.
    Holiday(Arc<str>),
    /// A make-up working day.
    Makeup(Arc<str>),
    /// Declared off.
    Off(Arc<str>),
    /// Declared with special hours.
    Special(Arc<str>),
}

impl CalendarSpec {
    /// The working periods of a date and why.
    pub fn day(&self, date: NaiveDate) -> (&[Minutes], DayKind) {
        if let Some((label, periods)) = self.special.get(&date) {
            return (periods, DayKind::Special(label.clone()));
        }
        if let Some(label) = self.days_off.get(&date) {
            return (&[], DayKind::Off(label.clone()));
        }
        if !self.makeup_off {
            if let Some((label, own)) = self.workdays.get(&date) {
                let periods = own.as_deref().or(self.makeup_hours.as_deref()).unwrap_or(&self.weekly[0]);
                return (periods, DayKind::Makeup(label.clone()));
            }
        }
        if let Some(label) = self.holidays.get(&date) {
            return (&[], DayKind::Holiday(label.clone()));
        }
        (&self.weekly[date.weekday().num_days_from_monday() as usize], DayKind::Regular)
    }

    /// The index of a named window.
    pub fn window(&self, name: &str) -> Option<usize> {
        self.windows.iter().position(|(n, _)| &**n == name)
    }
}

/// A question the calendar cannot answer: it needs a date outside the years the calendar
/// declares, and guessing would silently give wrong deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideCalendar {
    /// The calendar.
    pub calendar: Arc<str>,
    /// The date that was needed: the instant's own date when that lies outside, else the
    /// first date past the calendar's years that the reckoning had to reach.
    pub date: NaiveDate,
    /// First valid date.
    pub first: NaiveDate,
    /// Last valid date.
    pub last: NaiveDate,
    /// Where the calendar's years are set, `file:line:column`: the file to extend.
    pub years_set_in: Arc<str>,
    /// How much of a duration lies beyond the calendar's years, when counting ran off an end.
    pub shortfall: Option<Shortfall>,
}

/// The part of a duration a calendar could not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// How much was left to count past the calendar's years.
    pub missing: i64,
    /// Of how much in all.
    pub of: i64,
    /// What was counted.
    pub unit: CountedUnit,
}

/// What a calendar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountedUnit {
    /// Working days.
    WorkingDays,
    /// Seconds of working time.
    WorkingSeconds,
}

impl std::fmt::Display for OutsideCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let beyond =
            if self.date < self.first { ("before", self.first, "first") } else { ("after", self.last, "last") };
        match self.shortfall {
            Some(Shortfall { missing, of, unit }) => {
                let what = match unit {
                    CountedUnit::WorkingDays => format!("{missing} of {of} working day{}", plural(of)),
                    CountedUnit::WorkingSeconds => {
                        format!("{} of {} of working time", clock_words(missing), clock_words(of))
                    }
                };
                let verb = if missing == 1 && unit == CountedUnit::WorkingDays { "falls" } else { "fall" };
                write!(
                    f,
                    "{what} {verb} {} {}, the {} date calendar `{}` knows",
                    beyond.0, beyond.1, beyond.2, self.calendar
                )?;
            }
            None => write!(
                f,
                "{} is outside calendar `{}`, which is valid for {} to {}",
                self.date, self.calendar, self.first, self.last
            )?,
        }
        write!(f, "; its years are set at {}", self.years_set_in)
    }
}

impl std::error::Error for OutsideCalendar {}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Seconds in words: `4 h`, `30 min`, `90 s`.
pub(crate) fn clock_words(seconds: i64) -> String {
    match (seconds % 3600, seconds % 60) {
        (0, _) => format!("{} h", seconds / 3600),
        (_, 0) => format!("{} min", seconds / 60),
        _ => format!("{seconds} s"),
    }
}

#[derive(Debug, Clone, Copy)]
struct Interval {
    start: i64,
    end: i64,
}

#[derive(Debug, Clone)]
struct Day {
    date: NaiveDate,
    kind: DayKind,
    /// Index of the first interval that starts on this date.
    first: u32,
    /// How many intervals start on this date.
    count: u32,
    /// Working days strictly before this date.
    working_before: u32,
}

/// A calendar compiled for fast queries.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    name: Arc<str>,
    years_set_in: Arc<str>,
    zone: Tz,
    first: NaiveDate,
    last: NaiveDate,
    intervals: Vec<Interval>,
    /// INVARIANT: `before[i]` is the working seconds of `intervals[..i]`.
    before: Vec<i64>,
    days: Vec<Day>,
    /// Date indices of the working days, in order.
    working_days: Vec<u32>,
    /// INVARIANT: `starts[i]` is the instant (UTC seconds) the `i`th day begins, and the
    /// last entry is the end of the last day, so there is one more than there are days.
    starts: Vec<i64>,
    windows: Vec<(Arc<str>, Vec<Minutes>)>,
}

impl WorkingCalendar {
    /// Precompute every working interval of every valid date. `years_set_in` says where the
    /// calendar's years are written, for errors about dates outside them.
    pub fn compile(spec: &CalendarSpec, years_set_in: Arc<str>) -> WorkingCalendar {
        let first = NaiveDate::from_ymd_opt(spec.valid.0, 1, 1).expect("valid year");
        let last = NaiveDate::from_ymd_opt(spec.valid.1, 12, 31).expect("valid year");
        let mut intervals: Vec<Interval> = Vec::new();
        let mut days = Vec::new();
        let mut working_days = Vec::new();
        for (index, date) in first.iter_days().take_while(|d| *d <= last).enumerate() {
            let (periods, kind) = spec.day(date);
            let start_count = intervals.len();
            let mut ordered: Vec<Minutes> = periods.to_vec();
            ordered.sort_unstable();
            for (from, to) in ordered {
                let start = local_instant(spec.zone, date, from).timestamp();
                let end_date = if to <= from { date.succ_opt().expect("in range") } else { date };
                let end = local_instant(spec.zone, end_date, to).timestamp();
                // A period crossing midnight may run into the next day's first one; the
                // overlap counts once.
                let start = intervals.last().map_or(start, |prev: &Interval| start.max(prev.end));
                if start < end {
                    intervals.push(Interval { start, end });
                }
            }
            let count = to_u32(intervals.len() - start_count);
            let (first, working_before) = (to_u32(start_count), to_u32(working_days.len()));
            days.push(Day { date, kind, first, count, working_before });
            if count > 0 {
                working_days.push(to_u32(index));
            }
        }
        let starts = first
            .iter_days()
            .take_while(|d| *d <= last)
            .chain(last.succ_opt())
            .map(|d| local_instant(spec.zone, d, 0).timestamp())
            .collect();
        let mut before = Vec::with_capacity(intervals.len());
        let mut total = 0;
        for iv in &intervals {
            before.push(total);
            total += iv.end - iv.start;
        }
        WorkingCalendar {
            name: spec.name.clone(),
            years_set_in,
            zone: spec.zone,
            first,
            last,
            intervals,
            before,
            days,
            working_days,
            starts,
            // Sorted by start, so a day's periods come in order.
            windows: spec
                .windows
                .iter()
                .map(|(name, periods)| {
                    let mut periods = periods.clone();
                    periods.sort_unstable();
                    (name.clone(), periods)
                })
                .collect(),
        }
    }

    /// The calendar's zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    fn outside(&self, date: NaiveDate) -> OutsideCalendar {
        OutsideCalendar {
            calendar: self.name.clone(),
            date,
            first: self.first,
            last: self.last,
            years_set_in: self.years_set_in.clone(),
            shortfall: None,
        }
    }

    /// Counting ran off the calendar's last (or, going back, first) date with `missing` of
    /// `of` still to count.
    fn ran_out(&self, backwards: bool, missing: i64, of: i64, unit: CountedUnit) -> OutsideCalendar {
        let date = if backwards { self.first.pred_opt() } else { self.last.succ_opt() };
        OutsideCalendar { shortfall: Some(Shortfall { missing, of, unit }), ..self.outside(date.unwrap_or(self.last)) }
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.zone).date_naive()
    }

    fn day_index(&self, date: NaiveDate) -> Result<usize, OutsideCalendar> {
        if date < self.first || date > self.last {
            return Err(self.outside(date));
        }
        usize::try_from((date - self.first).num_days()).map_err(|_| self.outside(date))
    }

    /// The index of the day `t` falls on, found from the days' starts without converting `t`
    /// to local time; outside the calendar, the error names `t`'s local date.
    fn check(&self, t: DateTime<Utc>) -> Result<usize, OutsideCalendar> {
        let s = t.timestamp();
        let (Some(&start), Some(&end)) = (self.starts.first(), self.starts.last()) else {
            return self.day_index(self.local_date(t));
        };
        if s < start || s >= end {
            return self.day_index(self.local_date(t));
        }
        // Days are about 86,400 s long: guess, then step to the right one.
        let mut i = usize::try_from((s - start) / 86_400).unwrap_or(0).min(self.days.len() - 1);
        while i > 0 && self.starts[i] > s {
            i -= 1;
        }
        while self.starts.get(i + 1).is_some_and(|&next| next <= s) {
            i += 1;
        }
        Ok(i)
    }

    /// Whether `t` lies inside a working period (periods are half-open).
    pub fn in_working_hours(&self, t: DateTime<Utc>) -> Result<bool, OutsideCalendar> {
        self.check(t)?;
        let s = t.timestamp();
        let i = self.intervals.partition_point(|iv| iv.end <= s);
        Ok(self.intervals.get(i).is_some_and(|iv| iv.start <= s))
    }

    /// Working seconds from the calendar's start until `t`.
    fn position(&self, t: i64) -> i64 {
        let i = self.intervals.partition_point(|iv| iv.end <= t);
        match self.intervals.get(i) {
            Some(iv) if iv.start <= t => self.before[i] + (t - iv.start),
            Some(_) => self.before[i],
            None => self.before.last().map_or(0, |b| b + self.len(self.intervals.len() - 1)),
        }
    }

    fn len(&self, i: usize) -> i64 {
        self.intervals[i].end - self.intervals[i].start
    }

    /// `t` plus (or minus, when `seconds` is negative) working time. A deadline that falls
    /// on the boundary of two periods is the end of the earlier one when adding and the
    /// start of the later one when subtracting.
    pub fn add_working_time(&self, t: DateTime<Utc>, seconds: i64) -> Result<DateTime<Utc>, OutsideCalendar> {
        self.check(t)?;
        let target = self.position(t.timestamp()) + seconds;
        if target < 0 {
            return Err(self.ran_out(true, -target, seconds.saturating_abs(), CountedUnit::WorkingSeconds));
        }
        // The first interval whose end lies at (adding) or after (subtracting) the target.
        let j = self.first_interval(|j| {
            let end = self.before[j] + self.len(j);
            if seconds >= 0 {
                end >= target
            } else {
                end > target
            }
        });
        let Some(iv) = self.intervals.get(j) else {
            let total = self.before.last().map_or(0, |b| b + self.len(self.intervals.len() - 1));
            return Err(self.ran_out(false, target - total, seconds.saturating_abs(), CountedUnit::WorkingSeconds));
        };
        Ok(DateTime::from_timestamp(iv.start + (target - self.before[j]), 0).expect("in range"))
    }

    /// The first interval index for which `reached` holds; `reached` must be monotonic.
    fn first_interval(&self, reached: impl Fn(usize) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.intervals.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if reached(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Working seconds between two instants (negative when `b` is before `a`).
    pub fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Result<i64, OutsideCalendar> {
        self.check(a)?;
        self.check(b)?;
        Ok(self.position(b.timestamp()) - self.position(a.timestamp()))
    }

    /// The working days counted from the day after `t`'s through the `n`th: date indices.
    fn working_days_after(&self, t: DateTime<Utc>, n: i64) -> Result<&[u32], OutsideCalendar> {
        let day = &self.days[self.check(t)?];
        let first = day.working_before as usize + usize::from(day.count > 0);
        let last = usize::try_from(n - 1).ok().map(|n| first + n).filter(|&k| k < self.working_days.len());
        match last {
            Some(last) => Ok(&self.working_days[first..=last]),
            None => {
                let counted = to_i64(self.working_days.len().saturating_sub(first));
                Err(self.ran_out(false, n - counted, n, CountedUnit::WorkingDays))
            }
        }
    }

    /// Close of business on the `n`th working day after the day of `t` (that day not counted).
    pub fn add_working_days(&self, t: DateTime<Utc>, n: i64) -> Result<DateTime<Utc>, OutsideCalendar> {
        let counted = self.working_days_after(t, n)?;
        Ok(self.close_of(&self.days[*counted.last().expect("n >= 1") as usize]))
    }

    /// Opening of the `n`th working day before the day of `t` (that day not counted):
    /// the mirror of [`add_working_days`](Self::add_working_days), for early warnings.
    pub fn sub_working_days(&self, t: DateTime<Utc>, n: i64) -> Result<DateTime<Utc>, OutsideCalendar> {
        let d = self.check(t)?;
        let before = self.days[d].working_before as i64;
        if before < n {
            return Err(self.ran_out(true, n - before, n, CountedUnit::WorkingDays));
        }
        let k = usize::try_from(before - n).map_err(|_| self.ran_out(true, n, n, CountedUnit::WorkingDays))?;
        let target = &self.days[self.working_days[k] as usize];
        Ok(DateTime::from_timestamp(self.intervals[target.first as usize].start, 0).expect("in range"))
    }

    /// The day whose close of business [`same_day`](Self::same_day) answers, and whether it
    /// is `t`'s own day.
    fn same_day_target(&self, t: DateTime<Utc>) -> Result<(&Day, bool), OutsideCalendar> {
        let day = &self.days[self.check(t)?];
        if day.count > 0 && t < self.close_of(day) {
            return Ok((day, true));
        }
        let k = day.working_before as usize + usize::from(day.count > 0);
        match self.working_days.get(k) {
            Some(&next) => Ok((&self.days[next as usize], false)),
            None => Err(self.ran_out(false, 1, 1, CountedUnit::WorkingDays)),
        }
    }

    /// Close of business of the day of `t`, or of the next working day when `t` is on a
    /// non-working day or after closing.
    pub fn same_day(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, OutsideCalendar> {
        Ok(self.close_of(self.same_day_target(t)?.0))
    }

    /// The day [`same_day`](Self::same_day) closes, and whether it is `t`'s own day.
    pub fn same_day_date(&self, t: DateTime<Utc>) -> Result<(NaiveDate, bool), OutsideCalendar> {
        self.same_day_target(t).map(|(day, own)| (day.date, own))
    }

    fn close_of(&self, day: &Day) -> DateTime<Utc> {
        let end = self.intervals[(day.first + day.count - 1) as usize].end;
        DateTime::from_timestamp(end, 0).expect("in range")
    }

    /// The dates after the day of `from` through the day of `to`, each with why it has the
    /// hours it has and whether it is a working day: what a count of working days passed over.
    pub fn days_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = (NaiveDate, &DayKind, bool)> + '_ {
        let index = |t: DateTime<Utc>| self.check(t).ok();
        let range = match (index(from), index(to)) {
            (Some(a), Some(b)) if a < b => &self.days[a + 1..=b],
            _ => &[],
        };
        range.iter().map(|d| (d.date, &d.kind, d.count > 0))
    }

    /// The working periods between two instants, clipped to them.
    pub fn periods_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let (a, b) = (from.timestamp().min(to.timestamp()), from.timestamp().max(to.timestamp()));
        let first = self.intervals.partition_point(|iv| iv.end <= a);
        let end = self.intervals.partition_point(|iv| iv.start < b).max(first);
        self.intervals[first..end].iter().filter_map(move |iv| {
            Some((DateTime::from_timestamp(iv.start.max(a), 0)?, DateTime::from_timestamp(iv.end.min(b), 0)?))
        })
    }

    /// The instant (UTC seconds) of a minute of a day, the day counted from the calendar's
    /// first: from the day's start when that day has no daylight-saving change (it is 24 h
    /// long), else, and outside the calendar, through the time-zone database.
    fn local_time(&self, day: i64, minute: u32) -> i64 {
        if minute >= 24 * 60 {
            return self.local_time(day + 1, minute - 24 * 60);
        }
        let fast = usize::try_from(day).ok().and_then(|i| Some((*self.starts.get(i)?, *self.starts.get(i + 1)?)));
        match fast {
            Some((start, next)) if next - start == 86_400 => start + i64::from(minute) * 60,
            _ => {
                let date = self.first.checked_add_signed(Duration::days(day)).unwrap_or(self.first);
                local_instant(self.zone, date, minute).timestamp()
            }
        }
    }

    /// The day of `t`, counted from the calendar's first; outside the calendar's years, an
    /// error: windows too hold only for the years the calendar declares.
    fn day_number(&self, t: DateTime<Utc>) -> Result<i64, OutsideCalendar> {
        self.check(t).map(to_i64)
    }

    /// An instant a window query answers with, which must fall inside the calendar too.
    fn answer(&self, seconds: i64) -> Result<DateTime<Utc>, OutsideCalendar> {
        let t = DateTime::from_timestamp(seconds, 0).ok_or_else(|| self.outside(self.last))?;
        self.check(t)?;
        Ok(t)
    }

    /// The periods of a named window on a day, as UTC seconds, in order of their start.
    fn window_on(&self, window: usize, day: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let periods = self.windows.get(window).map_or(&[][..], |(_, p)| &p[..]);
        periods.iter().map(move |&(from, to)| {
            // A period that ends at or before it starts ends the next day.
            let to = if to <= from { to + 24 * 60 } else { to };
            (self.local_time(day, from), self.local_time(day, to))
        })
    }

    /// Whether `t` lies inside the named window (every day, working or not).
    pub fn in_window(&self, t: DateTime<Utc>, window: usize) -> Result<bool, OutsideCalendar> {
        let (day, s) = (self.day_number(t)?, t.timestamp());
        Ok((day - 1..=day).flat_map(|d| self.window_on(window, d)).any(|(a, b)| a <= s && s < b))
    }

    /// The next permitted moment of the window: `t` itself when inside it.
    pub fn window_from(&self, t: DateTime<Utc>, window: usize) -> Result<DateTime<Utc>, OutsideCalendar> {
        let (day, s) = (self.day_number(t)?, t.timestamp());
        // Every window has a period a day (the checker sees to that), so one opens within two.
        let from =
            (day - 1..=day + 2).flat_map(|d| self.window_on(window, d)).find(|(_, b)| s < *b).map(|(a, _)| a.max(s));
        self.answer(from.unwrap_or(s))
    }

    /// The end of the day's last window: of `t`'s day, or of the next day when that end
    /// has passed.
    pub fn window_end(&self, t: DateTime<Utc>, window: usize) -> Result<DateTime<Utc>, OutsideCalendar> {
        let (day, s) = (self.day_number(t)?, t.timestamp());
        let end_of = |d: i64| self.window_on(window, d).map(|(_, b)| b).max();
        let end = match end_of(day) {
            Some(end) if s < end => end,
            _ => end_of(day + 1).unwrap_or(s),
        };
        // The end of a period crossing midnight lies in the next day, which may be past the
        // calendar: the end, not the start, must fall inside it.
        self.answer(end - 1).map(|_| DateTime::from_timestamp(end, 0).unwrap_or(t))
    }
}

/// The instant of a local date and minute in a zone. A time skipped by a daylight-saving
/// change is read with the offset in force before it (02:30 in a 02:00→03:00 gap is 03:30);
/// a repeated time is its first occurrence.
pub fn local_instant(zone: Tz, date: NaiveDate, minute: u32) -> DateTime<Utc> {
    let (date, minute) =
        if minute >= 24 * 60 { (date.succ_opt().expect("in range"), minute - 24 * 60) } else { (date, minute) };
    let naive = date.and_hms_opt(minute / 60, minute % 60, 0).expect("valid time");
    from_local(zone, naive)
}

/// The instant of a local date-time, with the gap and overlap rules of [`local_instant`].
pub fn from_local(zone: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let before = zone.offset_from_utc_datetime(&(naive - Duration::hours(24)));
            use chrono::Offset;
            let offset = before.fix();
            (naive - Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc()
        }
    }
}

/// 24:00 of the `n`th calendar day after the day of `t` in `zone`.
pub fn add_days(zone: Tz, t: DateTime<Utc>, n: i64) -> DateTime<Utc> {
    let date = t.with_timezone(&zone).date_naive() + Duration::days(n);
    local_instant(zone, date, 24 * 60)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use proptest::prelude::*;

    use super::*;

    /// Compile the last calendar declared in `src`, through the real parser and checker.
    fn calendar(src: &str) -> WorkingCalendar {
        let limits = crate::Limits::default();
        let file = crate::syntax::parse(src, 0, limits.expression_depth).expect("the test calendar parses");
        let checked = crate::check::check(&[file], 0, &limits, None);
        let model = checked.model.unwrap_or_else(|| panic!("the test calendar checks: {:?}", checked.diagnostics));
        WorkingCalendar::compile(model.calendars.last().expect("a calendar is declared"), "test.triage:1:1".into())
    }

    fn cn_mainland() -> WorkingCalendar {
        calendar(include_str!("../rules/calendars/cn-mainland.triage"))
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("an RFC 3339 instant").with_timezone(&Utc)
    }

    const NEW_YORK_OFFICE: &str = "calendar ny zone America/New_York valid 2024 hours mon-fri 09:00-17:00";
    const NEW_YORK_ALWAYS: &str = "calendar ny zone America/New_York valid 2024 hours mon-sun 00:00-24:00";

    #[test]
    fn working_hours_across_the_spring_gap_count_elapsed_time() {
        let ny = calendar(NEW_YORK_ALWAYS);
        // 02:00-03:00 does not exist on 2024-03-10: one working hour from 01:30 EST is 03:30 EDT.
        let r = ny.add_working_time(at("2024-03-10T01:30:00-05:00"), 3600).unwrap();
        assert_eq!(r, at("2024-03-10T03:30:00-04:00"));
    }

    #[test]
    fn working_hours_across_the_repeated_autumn_hour_count_it_twice() {
        let ny = calendar(NEW_YORK_ALWAYS);
        // 01:00-02:00 happens twice on 2024-11-03: an hour after the first 01:30 is the second.
        let r = ny.add_working_time(at("2024-11-03T01:30:00-04:00"), 3600).unwrap();
        assert_eq!(r, at("2024-11-03T01:30:00-05:00"));
        let day = ny.working_time_between(at("2024-11-03T00:00:00-04:00"), at("2024-11-04T00:00:00-05:00")).unwrap();
        assert_eq!(day, 25 * 3600, "the day of the change has 25 hours");
    }

    #[test]
    fn office_hours_keep_their_local_times_across_the_changes() {
        let ny = calendar(NEW_YORK_OFFICE);
        // Friday 16:00 EST + 2 working hours: 1 h on Friday, 1 h on Monday, now EDT.
        let r = ny.add_working_time(at("2024-03-08T16:00:00-05:00"), 2 * 3600).unwrap();
        assert_eq!(r, at("2024-03-11T10:00:00-04:00"));
        let r = ny.add_working_time(at("2024-11-01T16:00:00-04:00"), 2 * 3600).unwrap();
        assert_eq!(r, at("2024-11-04T10:00:00-05:00"));
        let r = ny.add_working_days(at("2024-03-08T10:00:00-05:00"), 1).unwrap();
        assert_eq!(r, at("2024-03-11T17:00:00-04:00"));
    }

    #[test]
    fn periods_crossing_midnight_survive_the_changes() {
        let berlin = calendar("calendar night zone Europe/Berlin valid 2024 hours mon-sun 22:00-02:00");
        // Saturday 23:00 CET: 3 h left that night (the period ends as the clocks jump at 02:00),
        // then 1 h of Sunday night's shift, now CEST.
        let r = berlin.add_working_time(at("2024-03-30T23:00:00+01:00"), 4 * 3600).unwrap();
        assert_eq!(r, at("2024-03-31T23:00:00+02:00"));
        assert!(berlin.in_working_hours(at("2024-03-31T01:30:00+01:00")).unwrap());
        assert!(!berlin.in_working_hours(at("2024-03-31T03:00:00+02:00")).unwrap());
    }

    #[test]
    fn a_period_ending_at_24_00_runs_to_midnight() {
        let late = calendar("calendar late zone Asia/Shanghai valid 2024 hours mon-fri 18:00-24:00");
        assert!(late.in_working_hours(at("2024-05-10T23:59:59+08:00")).unwrap());
        assert!(!late.in_working_hours(at("2024-05-11T00:00:00+08:00")).unwrap());
        let r = late.add_working_days(at("2024-05-09T12:00:00+08:00"), 1).unwrap();
        assert_eq!(r, at("2024-05-11T00:00:00+08:00"));
    }

    #[test]
    fn calendar_days_end_at_local_midnight_in_daylight_saving_zones() {
        let tz: Tz = "America/New_York".parse().unwrap();
        assert_eq!(add_days(tz, at("2024-03-09T12:00:00-05:00"), 1), at("2024-03-11T00:00:00-04:00"));
        assert_eq!(
            local_instant(tz, NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(), 150),
            at("2024-03-10T03:30:00-04:00")
        );
    }

    #[test]
    fn periods_are_half_open() {
        let cn = cn_mainland();
        assert!(cn.in_working_hours(at("2024-05-10T09:00:00+08:00")).unwrap());
        assert!(!cn.in_working_hours(at("2024-05-10T18:00:00+08:00")).unwrap());
        assert!(cn.in_working_hours(at("2024-05-10T17:59:59+08:00")).unwrap());
    }

    #[test]
    fn same_day_is_close_of_business_or_the_next_working_day() {
        let cn = cn_mainland();
        assert_eq!(cn.same_day(at("2024-05-10T10:00:00+08:00")).unwrap(), at("2024-05-10T18:00:00+08:00"));
        // After closing on Friday: the make-up Saturday 2024-05-11 is the next working day.
        assert_eq!(cn.same_day(at("2024-05-10T18:00:00+08:00")).unwrap(), at("2024-05-11T18:00:00+08:00"));
        assert_eq!(cn.same_day(at("2024-10-01T10:00:00+08:00")).unwrap(), at("2024-10-08T18:00:00+08:00"));
    }

    #[test]
    fn windows_give_the_next_permitted_moment_and_the_days_last_end() {
        let calls = calendar("calendar c zone Asia/Shanghai valid 2024 window calls 08:30-12:00, 14:30-21:00");
        let w = 0;
        assert_eq!(calls.window_from(at("2024-05-10T12:30:00+08:00"), w), Ok(at("2024-05-10T14:30:00+08:00")));
        assert_eq!(calls.window_from(at("2024-05-10T09:00:00+08:00"), w), Ok(at("2024-05-10T09:00:00+08:00")));
        assert_eq!(calls.window_from(at("2024-05-10T21:00:00+08:00"), w), Ok(at("2024-05-11T08:30:00+08:00")));
        assert_eq!(calls.window_end(at("2024-05-10T20:59:00+08:00"), w), Ok(at("2024-05-10T21:00:00+08:00")));
        assert_eq!(calls.window_end(at("2024-05-10T21:00:00+08:00"), w), Ok(at("2024-05-11T21:00:00+08:00")));
        assert_eq!(calls.in_window(at("2024-05-10T21:00:00+08:00"), w), Ok(false));
        // Outside the calendar's years, windows are not guessed either.
        let outside = calls.window_end(at("2031-05-10T10:00:00+08:00"), w).unwrap_err();
        assert_eq!(outside.date.to_string(), "2031-05-10");
        let last = calls.window_from(at("2024-12-31T21:30:00+08:00"), w).unwrap_err();
        assert_eq!(last.date.to_string(), "2025-01-01", "the next window opens past the calendar");
        assert!(calls.in_window(at("2023-12-31T10:00:00+08:00"), w).is_err());
    }

    /// A company calendar layered on the national one, as a policy file would write it.
    fn layered(company: &str) -> WorkingCalendar {
        calendar(&format!("{}\n{company}", include_str!("../rules/calendars/cn-mainland.triage")))
    }

    #[test]
    fn a_company_calendar_replaces_the_hours_and_keeps_the_holidays() {
        let company = layered("calendar company extends cn_mainland\n  hours mon-fri 08:30-12:00, 13:30-17:30");
        assert!(!company.in_working_hours(at("2024-05-10T12:30:00+08:00")).unwrap(), "lunch break");
        assert!(company.in_working_hours(at("2024-05-10T08:45:00+08:00")).unwrap());
        assert!(!company.in_working_hours(at("2024-10-02T10:00:00+08:00")).unwrap(), "National Day");
        // The make-up Saturday keeps a Monday's hours, lunch break included.
        assert!(company.in_working_hours(at("2024-05-11T14:00:00+08:00")).unwrap());
        assert!(!company.in_working_hours(at("2024-05-11T12:30:00+08:00")).unwrap());
        // 11:30 + 1 working hour: 30 min before lunch, 30 min after.
        let r = company.add_working_time(at("2024-05-10T11:30:00+08:00"), 3600).unwrap();
        assert_eq!(r, at("2024-05-10T14:00:00+08:00"));
    }

    #[test]
    fn a_team_that_does_not_work_make_up_days_is_one_line_away() {
        let finance = layered("calendar company extends cn_mainland\n  makeup days off");
        assert!(!finance.in_working_hours(at("2024-05-11T10:00:00+08:00")).unwrap());
        // Friday 05-10 + 1 working day: the make-up Saturday is skipped.
        assert_eq!(
            finance.add_working_days(at("2024-05-10T10:00:00+08:00"), 1).unwrap(),
            at("2024-05-13T18:00:00+08:00")
        );
        assert!(!finance.in_working_hours(at("2024-10-01T10:00:00+08:00")).unwrap(), "holidays stay off");
    }

    #[test]
    fn date_overrides_win_over_the_national_schedule() {
        let company = layered(concat!(
            "calendar company extends cn_mainland\n",
            "  off 2024-05-13 to 2024-05-14 \"offsite\"\n",
            "  on 2024-12-31 hours 09:00-15:00 \"new year's eve\"\n",
            "  on 2024-10-03 hours 10:00-12:00 \"holiday duty\"\n",
            "  workday 2024-09-29 \"make-up\" hours 10:00-16:00\n",
            "  makeup hours 09:00-17:00",
        ));
        assert!(!company.in_working_hours(at("2024-05-14T10:00:00+08:00")).unwrap());
        assert_eq!(company.same_day(at("2024-12-31T10:00:00+08:00")).unwrap(), at("2024-12-31T15:00:00+08:00"));
        assert!(company.in_working_hours(at("2024-10-03T11:00:00+08:00")).unwrap(), "special hours on a holiday");
        assert!(!company.in_working_hours(at("2024-09-29T09:30:00+08:00")).unwrap(), "its own hours");
        assert!(company.in_working_hours(at("2024-09-29T15:30:00+08:00")).unwrap());
        assert!(company.in_working_hours(at("2024-10-12T16:30:00+08:00")).unwrap(), "makeup hours");
        assert!(!company.in_working_hours(at("2024-10-12T17:30:00+08:00")).unwrap());
    }

    /// Instants from 2024-01-01 to 2026-06-30, far enough from the end for 60 working days.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let start = at("2024-01-01T00:00:00+08:00").timestamp();
        let end = at("2026-06-30T00:00:00+08:00").timestamp();
        (start..end).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    /// The window periods of a date the slow way, every instant through the database.
    fn window_periods_by_database(cal: &WorkingCalendar, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut out: Vec<_> = cal.windows[0]
            .1
            .iter()
            .map(|&(from, to)| {
                let end_date = if to <= from { date.succ_opt().unwrap() } else { date };
                (local_instant(cal.zone, date, from), local_instant(cal.zone, end_date, to))
            })
            .collect();
        out.sort_unstable();
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn windows_agree_with_the_database_across_daylight_saving_changes(
            seconds in 1_704_085_200i64..1_735_707_600, // 2024 in New York
        ) {
            let ny = calendar("calendar ny zone America/New_York valid 2024 window night 22:00-02:30, 08:30-12:00");
            let t = DateTime::from_timestamp(seconds, 0).unwrap();
            let date = t.with_timezone(&ny.zone).date_naive();
            for d in [date.pred_opt().unwrap(), date, date.succ_opt().unwrap()] {
                let day = (d - ny.first).num_days();
                let by_database: Vec<(i64, i64)> =
                    window_periods_by_database(&ny, d).iter().map(|(a, b)| (a.timestamp(), b.timestamp())).collect();
                prop_assert_eq!(ny.window_on(0, day).collect::<Vec<_>>(), by_database);
            }
            let inside = [date.pred_opt().unwrap(), date]
                .into_iter()
                .flat_map(|d| window_periods_by_database(&ny, d))
                .any(|(s, e)| s <= t && t < e);
            prop_assert_eq!(ny.in_window(t, 0), Ok(inside));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn working_time_deadlines_close_a_working_period(t in instant(), seconds in 1i64..300 * 3600) {
            let cn = cn_mainland();
            let due = cn.add_working_time(t, seconds).unwrap();
            prop_assert!(due > t);
            // The deadline is the end of counted working time: the second before it is working.
            prop_assert!(cn.in_working_hours(due - Duration::seconds(1)).unwrap());
            prop_assert_eq!(cn.working_time_between(t, due).unwrap(), seconds);
        }

        #[test]
        fn adding_working_time_is_monotonic_and_additive(
            t in instant(), a in 1i64..100 * 3600, b in 1i64..100 * 3600, later in 0i64..30 * 86400,
        ) {
            let cn = cn_mainland();
            let once = cn.add_working_time(t, a + b).unwrap();
            let twice = cn.add_working_time(cn.add_working_time(t, a).unwrap(), b).unwrap();
            prop_assert_eq!(once, twice);
            prop_assert!(cn.add_working_time(t, a).unwrap() <= once);
            let t2 = t + Duration::seconds(later);
            prop_assert!(cn.add_working_time(t, a).unwrap() <= cn.add_working_time(t2, a).unwrap());
        }

        #[test]
        fn working_days_close_business_on_a_working_day(t in instant(), n in 1i64..60) {
            let cn = cn_mainland();
            let due = cn.add_working_days(t, n).unwrap();
            let local = due.with_timezone(&cn.zone());
            prop_assert_eq!(local.format("%H:%M").to_string(), "18:00");
            prop_assert!(cn.in_working_hours(due - Duration::seconds(1)).unwrap(), "{} is not a working day", local);
            // The day of `t` is not counted: exactly n working days lie after it, up to `due`.
            let next_day = local_instant(cn.zone(), t.with_timezone(&cn.zone()).date_naive() + Duration::days(1), 0);
            let counted = cn.working_time_between(next_day, due).unwrap();
            prop_assert_eq!(counted, n * 9 * 3600);
            prop_assert!(cn.add_working_days(t, n + 1).unwrap() > due);
        }
    }
}
