//! A calendar month as a policy owner reads it: which days are worked, which are holidays,
//! make-up working days, days off or days of special hours, and the hours of each, for the
//! REPL's `:calendar [MONTH]`.
//!
//! Every day is classified by [`CalendarSpec::day`], the function the compiled calendar is
//! built from, so the page agrees with the deadlines the policy reckons.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use crate::calendar::{CalendarSpec, DayKind, Minutes};
use crate::diagnostic::did_you_mean;
use crate::model::{Id, Model};
use crate::policy::Policy;

/// Why a calendar month cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarViewError {
    /// No calendar of this name is declared or imported: `:calendar` on `ofice`.
    #[error("unknown calendar `{name}`{}; this policy's calendars are {}",
        .suggestion.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(), names(.calendars))]
    UnknownCalendar {
        /// The name asked for.
        name: String,
        /// `did you mean `office`?` when a calendar's name is a near miss.
        suggestion: Option<String>,
        /// Every calendar the policy declares or imports.
        calendars: Vec<String>,
    },
    /// The month lies outside the years the calendar knows: `2027-01` on a calendar valid
    /// for 2024 to 2026.
    #[error(
        "{year:04}-{month:02} is outside calendar `{calendar}`, which is valid for {first} to {last}; \
         its years are set at {years_set_in}"
    )]
    OutsideYears {
        /// The calendar.
        calendar: String,
        /// The year asked for.
        year: i32,
        /// The month asked for, 1 to 12.
        month: u32,
        /// The calendar's first year.
        first: i32,
        /// The calendar's last year.
        last: i32,
        /// Where the calendar's years are written, `file:line:column`: the file to extend.
        years_set_in: String,
    },
    /// A month number other than 1 to 12: `2024-13`.
    #[error("there is no month {month}: months run from 1 to 12")]
    NoSuchMonth {
        /// The number given.
        month: u32,
    },
    /// Text that is not a year and a month: `May 2024`, `2024/05`.
    #[error("`{text}` is not a month; write the year and the month, as in `2024-05`")]
    NotAMonth {
        /// The text given.
        text: String,
    },
    /// The policy declares and imports no calendar, so it has no month to show.
    #[error("policy `{policy}` has no calendar; declare one with `calendar NAME`, or `import` a file that does")]
    NoCalendar {
        /// The policy's name.
        policy: String,
    },
}

/// `` `a`, `b` and `c` ``.
fn names(list: &[String]) -> String {
    let quoted: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => "none".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Read a month as `2024-05` or `2024-5`: the year, then the month, 1 to 12.
pub fn parse_month(text: &str) -> Result<(i32, u32), CalendarViewError> {
    let not_a_month = || CalendarViewError::NotAMonth { text: text.to_string() };
    let (year, month) = text.trim().split_once('-').ok_or_else(not_a_month)?;
    // Digits only: `parse` would also take a sign, and a calendar's years are 1 to 9999.
    let digits = |s: &str, most: usize| !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) {
        return Err(not_a_month());
    }
    let year = year.parse().map_err(|_| not_a_month())?;
    let month = month.parse().map_err(|_| not_a_month())?;
    if !(1..=12).contains(&month) {
        return Err(CalendarViewError::NoSuchMonth { month });
    }
    Ok((year, month))
}

impl Policy {
    /// One month of a calendar as text: a title (calendar, label, month, zone), a grid of the
    /// month from Monday to Sunday with every day marked by kind, a key to the marks, then the
    /// month's holidays, make-up working days, days off and days of special hours by date,
    /// the weekly working hours, the hours of make-up working days and the named windows.
    ///
    /// `calendar` names one of the policy's calendars; `None` is the policy's default
    /// calendar, or its first when it names none. The marks are plain characters, so the page
    /// reads the same without colour; `color` adds ANSI colours for a terminal.
    pub fn calendar_month(
        &self,
        calendar: Option<&str>,
        year: i32,
        month: u32,
        color: bool,
    ) -> Result<String, CalendarViewError> {
        let model = &self.program().model;
        let spec = chosen_calendar(model, calendar)?;
        if !(1..=12).contains(&month) {
            return Err(CalendarViewError::NoSuchMonth { month });
        }
        let outside = || CalendarViewError::OutsideYears {
            calendar: spec.name.to_string(),
            year,
            month,
            first: spec.valid.0,
            last: spec.valid.1,
            years_set_in: self.location(spec.valid_at),
        };
        if year < spec.valid.0 || year > spec.valid.1 {
            return Err(outside());
        }
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(outside)?;
        Ok(Page { spec, first, paint: Paint(color) }.render())
    }
}

/// The calendar asked for, else the default, else the first.
fn chosen_calendar<'m>(model: &'m Model, name: Option<&str>) -> Result<&'m CalendarSpec, CalendarViewError> {
    // Checked first: with no calendar at all, a named one is not a misspelling.
    let Some(first) = model.calendars.first() else {
        return Err(CalendarViewError::NoCalendar { policy: model.name.to_string() });
    };
    let Some(name) = name else {
        return Ok(model.default_calendar.and_then(|id| model.calendars.get(id.index())).unwrap_or(first));
    };
    model.calendars.iter().find(|c| &*c.name == name).ok_or_else(|| {
        let mut calendars: Vec<String> = model.calendars.iter().map(|c| c.name.to_string()).collect();
        calendars.sort();
        CalendarViewError::UnknownCalendar {
            name: name.to_string(),
            suggestion: did_you_mean(name, calendars.iter().map(String::as_str)),
            calendars,
        }
    })
}

/// How a day is marked: by what the calendar says of it, and whether it has working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// An ordinary day with working hours.
    Working,
    /// An ordinary day without: the weekend, as a rule.
    Closed,
    Holiday,
    Makeup,
    Off,
    Special,
}

impl Mark {
    fn of(periods: &[Minutes], kind: &DayKind) -> Mark {
        match kind {
            DayKind::Regular if periods.is_empty() => Mark::Closed,
            DayKind::Regular => Mark::Working,
            DayKind::Holiday(_) => Mark::Holiday,
            DayKind::Makeup(_) => Mark::Makeup,
            DayKind::Off(_) => Mark::Off,
            DayKind::Special(_) => Mark::Special,
        }
    }

    /// The character after the day's number: it carries the meaning where colour cannot.
    fn symbol(self) -> char {
        match self {
            Mark::Working => ' ',
            Mark::Closed => '.',
            Mark::Holiday => '*',
            Mark::Makeup => '+',
            Mark::Off => '-',
            Mark::Special => '!',
        }
    }

    /// ANSI SGR parameters: grey for closed days, red for days off of either kind (bold for
    /// public holidays), bold blue for make-up working days, yellow for special hours.
    fn style(self) -> Option<&'static str> {
        match self {
            Mark::Working => None,
            Mark::Closed => Some("2"),
            Mark::Holiday => Some("1;31"),
            Mark::Makeup => Some("1;34"),
            Mark::Off => Some("31"),
            Mark::Special => Some("33"),
        }
    }

    fn words(self) -> &'static str {
        match self {
            Mark::Working => "working day",
            Mark::Closed => "no working hours",
            Mark::Holiday => "public holiday",
            Mark::Makeup => "make-up working day",
            Mark::Off => "day off",
            Mark::Special => "special hours",
        }
    }
}

/// ANSI colour, when wanted.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn paint(self, style: Option<&str>, text: &str) -> String {
        match style {
            Some(style) if self.0 => format!("\x1b[{style}m{text}\x1b[0m"),
            _ => text.to_string(),
        }
    }
}

/// One month of one calendar.
struct Page<'a> {
    spec: &'a CalendarSpec,
    /// The month's first day.
    first: NaiveDate,
    paint: Paint,
}

impl Page<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.title(&mut out);
        out.push('\n');
        self.grid(&mut out);
        self.key(&mut out);
        self.marked_days(&mut out);
        self.hours(&mut out);
        out
    }

    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take_while(|d| d.month() == self.first.month())
    }

    fn title(&self, out: &mut String) {
        let spec = self.spec;
        let label = spec.label.as_deref().map(|l| format!(" \"{l}\"")).unwrap_or_default();
        let title = format!("calendar {}{label}: {}, {}", spec.name, self.first.format("%B %Y"), spec.zone.name());
        let _ = writeln!(out, "{}", self.paint.paint(Some("1"), &title));
    }

    fn grid(&self, out: &mut String) {
        let _ = writeln!(out, "Mo  Tu  We  Th  Fr  Sa  Su");
        let mut line = "    ".repeat(self.first.weekday().num_days_from_monday() as usize);
        for date in self.days() {
            let (periods, kind) = self.spec.day(date);
            let mark = Mark::of(periods, &kind);
            let cell = format!("{:>2}{}", date.day(), mark.symbol());
            line.push_str(&self.paint.paint(mark.style(), &cell));
            line.push(' ');
            if date.weekday() == chrono::Weekday::Sun {
                let _ = writeln!(out, "{}", line.trim_end());
                line.clear();
            }
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    fn key(&self, out: &mut String) {
        let entry =
            |mark: Mark| format!("{} {}", self.paint.paint(mark.style(), &mark.symbol().to_string()), mark.words());
        // A working day's blank mark cannot be shown on its own: it is said in words.
        let _ = writeln!(out, "\nkey: {}, {}, {},", entry(Mark::Closed), entry(Mark::Holiday), entry(Mark::Makeup));
        let _ = writeln!(out, "     {}, {}; a working day is unmarked", entry(Mark::Off), entry(Mark::Special));
    }

    fn marked_days(&self, out: &mut String) {
        let mut heading = false;
        for date in self.days() {
            let (periods, kind) = self.spec.day(date);
            let mark = Mark::of(periods, &kind);
            let (name, hours) = match &kind {
                DayKind::Regular => continue,
                DayKind::Holiday(name) | DayKind::Off(name) => (name, false),
                DayKind::Makeup(name) | DayKind::Special(name) => (name, true),
            };
            if !heading {
                let _ = writeln!(out, "\n{}", self.paint.paint(Some("1"), "marked days"));
                heading = true;
            }
            let symbol = self.paint.paint(mark.style(), &mark.symbol().to_string());
            let hours = if hours { format!(" ({})", periods_words(periods)) } else { String::new() };
            let _ = writeln!(out, "  {}  {symbol} {:<19}  {name}{hours}", date.format("%a %Y-%m-%d"), mark.words());
        }
    }

    fn hours(&self, out: &mut String) {
        let spec = self.spec;
        let _ = writeln!(out, "\n{}", self.paint.paint(Some("1"), "working hours"));
        // Neighbouring weekdays with the same hours share a line: `Mon-Fri 09:00-18:00`.
        let mut weekdays = WEEKDAYS.iter().zip(&spec.weekly).peekable();
        while let Some((first, periods)) = weekdays.next() {
            let mut last = first;
            while let Some((day, _)) = weekdays.next_if(|(_, p)| *p == periods) {
                last = day;
            }
            let days = if first == last { first.to_string() } else { format!("{first}-{last}") };
            let _ = writeln!(out, "  {days:<12} {}", periods_words(periods));
        }
        let [monday, ..] = &spec.weekly;
        let makeup = if spec.makeup_off {
            "ignored (`makeup days off`): each keeps its weekday's hours".to_string()
        } else {
            match &spec.makeup_hours {
                Some(periods) => periods_words(periods),
                None => format!("{} (Monday's hours)", periods_words(monday)),
            }
        };
        let _ = writeln!(out, "  {:<12} {makeup}", "make-up days");
        if !spec.windows.is_empty() {
            let _ = writeln!(out, "\n{}", self.paint.paint(Some("1"), "windows"));
            for (name, periods) in &spec.windows {
                let _ = writeln!(out, "  window {name} {}", periods_words(periods));
            }
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `09:00-12:00, 13:30-18:00` in order of starting time, as a calendar file writes them; a
/// period that ends at or before its start runs past midnight, as in the file.
fn periods_words(periods: &[Minutes]) -> String {
    if periods.is_empty() {
        return "no working hours".into();
    }
    let mut ordered = periods.to_vec();
    ordered.sort_unstable();
    let clock = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    ordered.iter().map(|&(from, to)| format!("{}-{}", clock(from), clock(to))).collect::<Vec<_>>().join(", ")
}
