//! Resolves calendar declarations, merging each with the calendar it extends.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::{declared_twice, Checker};
use crate::calendar::{CalendarSpec, Minutes};
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::source::Spanned;
use crate::syntax::ast::{CalendarDecl, CalendarItem, Period};

/// Label every date from `from` to `to`, both included (a range the checker has bounded).
fn mark_dates(dates: &mut BTreeMap<NaiveDate, Arc<str>>, from: NaiveDate, to: NaiveDate, label: &str) {
    let label: Arc<str> = label.into();
    for d in from.iter_days().take_while(|d| *d <= to) {
        dates.insert(d, label.clone());
    }
}

fn minutes(periods: &[Period]) -> Vec<Minutes> {
    periods.iter().map(|p| (p.start, p.end)).collect()
}

impl Checker {
    /// Resolve every calendar of every file, parents before children.
    pub(super) fn calendars(&mut self, decls: &[&CalendarDecl]) {
        let mut by_name: HashMap<&str, &CalendarDecl> = HashMap::new();
        for decl in decls {
            if let Some(first) = by_name.insert(&decl.name.node, decl) {
                let help = "give each calendar its own name, or extend one from the other";
                self.diags.push(declared_twice("calendar", &decl.name, first.name.span, help));
            }
        }
        let mut done: HashMap<String, Option<CalendarSpec>> = HashMap::new();
        for decl in decls {
            self.resolve_calendar(decl, &by_name, &mut done, &mut Vec::new());
        }
        let mut warned = Vec::new();
        for decl in decls {
            if let Some(Some(spec)) = done.get(&decl.name.node) {
                if !warned.contains(&spec.valid_at) {
                    warned.push(spec.valid_at);
                    self.runs_out(spec);
                }
            }
        }
        for decl in decls {
            if let Some(Some(spec)) = done.remove(&decl.name.node) {
                let Some(id) = self.new_id(self.calendars.len(), decl.name.span, "calendars") else { break };
                self.calendar_index.insert(decl.name.node.clone(), id);
                self.calendars.push(spec);
            }
        }
    }

    fn resolve_calendar(
        &mut self,
        decl: &CalendarDecl,
        by_name: &HashMap<&str, &CalendarDecl>,
        done: &mut HashMap<String, Option<CalendarSpec>>,
        stack: &mut Vec<String>,
    ) -> Option<CalendarSpec> {
        if let Some(spec) = done.get(&decl.name.node) {
            return spec.clone();
        }
        if stack.contains(&decl.name.node) {
            self.diags.push(
                Diagnostic::error("calendar_cycle", format!("calendar `{}` extends itself", decl.name.node))
                    .label(decl.name.span, "through this chain: ".to_string() + &stack.join(" → "))
                    .help("a calendar may extend another only if that one does not extend it back"),
            );
            return None;
        }
        stack.push(decl.name.node.clone());
        let parent = match &decl.extends {
            None => None,
            Some(base) => match by_name.get(base.node.as_str()) {
                Some(parent) => {
                    let spec = self.resolve_calendar(parent, by_name, done, stack);
                    if spec.is_none() {
                        stack.pop();
                        done.insert(decl.name.node.clone(), None);
                        return None;
                    }
                    spec
                }
                None => {
                    self.diags.push(
                        Diagnostic::error("unknown_calendar", format!("unknown calendar `{}`", base.node))
                            .label(base.span, "no calendar of this name is declared or imported")
                            .maybe_help(did_you_mean(&base.node, by_name.keys().copied()).or(Some(
                                "import the file that declares it: `import \"calendars/cn-mainland.triage\"`".into(),
                            ))),
                    );
                    stack.pop();
                    done.insert(decl.name.node.clone(), None);
                    return None;
                }
            },
        };
        stack.pop();
        let spec = self.merge_calendar(decl, parent);
        done.insert(decl.name.node.clone(), spec.clone());
        spec
    }

    fn merge_calendar(&mut self, decl: &CalendarDecl, parent: Option<CalendarSpec>) -> Option<CalendarSpec> {
        let name: Arc<str> = decl.name.node.as_str().into();
        let mut spec = match parent {
            Some(p) => CalendarSpec { name, label: decl.label.clone().or(p.label.clone()), ..p },
            None => CalendarSpec {
                name,
                label: decl.label.clone(),
                zone: Tz::UTC,
                valid: (0, -1),
                valid_at: decl.name.span,
                weekly: Default::default(),
                makeup_hours: None,
                makeup_off: false,
                holidays: Default::default(),
                workdays: Default::default(),
                days_off: Default::default(),
                special: Default::default(),
                windows: Vec::new(),
            },
        };
        let has_zone = decl.items.iter().any(|i| matches!(i, CalendarItem::Zone(_))) || decl.extends.is_some();
        let has_valid = decl.items.iter().any(|i| matches!(i, CalendarItem::Valid { .. })) || decl.extends.is_some();
        let mut ok = true;
        // A calendar that declares its own weekly hours replaces those it extends.
        if decl.items.iter().any(|i| matches!(i, CalendarItem::Hours { .. })) {
            spec.weekly = Default::default();
        }
        ok &= self.one_meaning_per_date(decl);
        for item in &decl.items {
            ok &= self.validate_periods(item);
            match item {
                CalendarItem::Zone(z) => match self.zone(z) {
                    Some(zone) => spec.zone = zone,
                    None => ok = false,
                },
                CalendarItem::Valid { from, to } => {
                    let years = i64::from(to.node) - i64::from(from.node) + 1;
                    if to.node < from.node {
                        self.diags.push(
                            Diagnostic::error("invalid_literal", "the years a calendar is valid for run backwards")
                                .label(from.span.to(to.span), "here")
                                .help("write the earlier year first: `valid 2024 to 2026`"),
                        );
                        ok = false;
                    } else if !(1..=9999).contains(&from.node) || !(1..=9999).contains(&to.node) {
                        self.diags.push(
                            Diagnostic::error("invalid_literal", "a calendar's years lie between 1 and 9999")
                                .label(from.span.to(to.span), "here")
                                .help("write the years the calendar's holidays are known for: `valid 2024 to 2026`"),
                        );
                        ok = false;
                    } else if years > i64::from(self.limits.calendar_years) {
                        self.diags.push(
                            Diagnostic::error(
                                "too_large",
                                format!(
                                    "this calendar covers {years} years; at most {} are allowed",
                                    self.limits.calendar_years
                                ),
                            )
                            .label(from.span.to(to.span), "here")
                            .help("every year is precomputed when the policy loads; cover the years whose holidays are known"),
                        );
                        ok = false;
                    }
                    spec.valid = (from.node, to.node);
                    spec.valid_at = from.span.to(to.span);
                }
                CalendarItem::Hours { days, periods } => {
                    for &d in &days.node {
                        spec.weekly[d as usize] = minutes(periods);
                    }
                }
                CalendarItem::MakeupHours(periods) => spec.makeup_hours = Some(minutes(periods)),
                CalendarItem::MakeupOff => spec.makeup_off = true,
                CalendarItem::Holiday { from, to, label } => match self.range_fits(from, to) {
                    true => mark_dates(&mut spec.holidays, from.node, to.node, label.as_deref().unwrap_or("holiday")),
                    false => ok = false,
                },
                CalendarItem::Workday { date, label, periods } => {
                    let label: Arc<str> = label.as_deref().unwrap_or("make-up working day").into();
                    spec.workdays.insert(date.node, (label, periods.as_deref().map(minutes)));
                }
                CalendarItem::Off { from, to, label } => match self.range_fits(from, to) {
                    true => mark_dates(&mut spec.days_off, from.node, to.node, label.as_deref().unwrap_or("day off")),
                    false => ok = false,
                },
                CalendarItem::Special { date, periods, label } => {
                    let label: Arc<str> = label.as_deref().unwrap_or("special hours").into();
                    spec.special.insert(date.node, (label, minutes(periods)));
                }
                CalendarItem::Window { name, periods, .. } => {
                    let window: Arc<str> = name.node.as_str().into();
                    spec.windows.retain(|(n, _)| *n != window);
                    spec.windows.push((window, minutes(periods)));
                }
            }
        }
        if !has_zone {
            self.diags.push(
                Diagnostic::error("missing_zone", format!("calendar `{}` has no time zone", decl.name.node))
                    .label(decl.name.span, "declared here")
                    .help("add a line such as `zone Asia/Shanghai`"),
            );
            ok = false;
        }
        if !has_valid {
            self.diags.push(
                Diagnostic::error(
                    "missing_validity",
                    format!("calendar `{}` does not say which years it is valid for", decl.name.node),
                )
                .label(decl.name.span, "declared here")
                .help(
                    "add a line such as `valid 2024 to 2026`: outside those years deadlines are errors, never guesses",
                ),
            );
            ok = false;
        }
        ok.then_some(spec)
    }

    /// A range of dates no longer than a calendar may cover; else an error at it.
    fn range_fits(&mut self, from: &Spanned<NaiveDate>, to: &Spanned<NaiveDate>) -> bool {
        let days = (to.node - from.node).num_days() + 1;
        let most = 366 * i64::from(self.limits.calendar_years);
        if days <= most {
            return true;
        }
        self.diags.push(
            Diagnostic::error("too_large", format!("this range covers {days} days, more than a calendar may cover"))
                .label(from.span.to(to.span), "here")
                .help(format!("a calendar covers at most {} years", self.limits.calendar_years)),
        );
        false
    }

    /// Warn when a calendar ends within 60 days of today (or has ended): the State Council
    /// publishes each year's holidays only in November or December, and tickets will soon
    /// need dates the calendar does not know.
    fn runs_out(&mut self, spec: &CalendarSpec) {
        let (Some(today), Some(last)) = (self.today, NaiveDate::from_ymd_opt(spec.valid.1, 12, 31)) else { return };
        let left = (last - today).num_days();
        if left > 60 {
            return;
        }
        let when = match left {
            ..=-1 => format!("ended on {last}"),
            0 => format!("ends today, {last}"),
            1 => format!("ends tomorrow, {last}"),
            n => format!("ends on {last}, in {n} days"),
        };
        self.diags.push(
            Diagnostic::warning("calendar_ends", format!("calendar `{}` {when}", spec.name))
                .label(spec.valid_at, "its years are set here")
                .help(format!(
                    "add {}'s holidays and make-up working days to this file and extend `valid`; past {last}, deadlines that need a later date are left out of decisions and reported as problems",
                    spec.valid.1 + 1
                )),
        );
    }

    /// Within one calendar, a date is a holiday, a make-up working day, a day off or a day
    /// of special hours, not two of them: whichever were kept, the other would be lost
    /// without a word. (A calendar that extends another may override it.)
    fn one_meaning_per_date(&mut self, decl: &CalendarDecl) -> bool {
        let mut meant: BTreeMap<NaiveDate, (&'static str, crate::source::Span)> = BTreeMap::new();
        let mut ok = true;
        for item in &decl.items {
            let (what, from, to) = match item {
                CalendarItem::Holiday { from, to, .. } => ("a holiday", from, to),
                CalendarItem::Workday { date, .. } => ("a make-up working day", date, date),
                CalendarItem::Off { from, to, .. } => ("a day off", from, to),
                CalendarItem::Special { date, .. } => ("a day of special hours", date, date),
                _ => continue,
            };
            let span = from.span.to(to.span);
            // A range is checked day by day; the calendar's years bound its length.
            for date in from.node.iter_days().take_while(|d| *d <= to.node).take(366 * 100) {
                match meant.get(&date) {
                    Some(&(before, first)) if before != what => {
                        self.diags.push(
                            Diagnostic::error("conflicting_dates", format!("{date} is declared {what} and {before}"))
                                .label(span, format!("{what} here"))
                                .label(first, format!("{before} here"))
                                .help("keep one meaning for the date; a calendar that extends this one may change it"),
                        );
                        ok = false;
                        break;
                    }
                    Some(_) => {}
                    None => {
                        meant.insert(date, (what, span));
                    }
                }
            }
        }
        ok
    }

    /// Periods of one day must not overlap.
    fn validate_periods(&mut self, item: &CalendarItem) -> bool {
        let periods = match item {
            CalendarItem::Hours { periods, .. }
            | CalendarItem::MakeupHours(periods)
            | CalendarItem::Special { periods, .. }
            | CalendarItem::Window { periods, .. } => periods,
            CalendarItem::Workday { periods: Some(periods), .. } => periods,
            _ => return true,
        };
        let mut sorted: Vec<&Period> = periods.iter().collect();
        sorted.sort_by_key(|p| p.start);
        for pair in sorted.windows(2) {
            let end = if pair[0].end <= pair[0].start { pair[0].end + 24 * 60 } else { pair[0].end };
            if pair[1].start < end {
                self.diags.push(
                    Diagnostic::error("overlapping_periods", "these periods overlap")
                        .label(pair[1].span, "starts before the previous period ends")
                        .label(pair[0].span, "previous period")
                        .help("list each stretch of time once, e.g. `08:30-12:00, 13:30-17:30`"),
                );
                return false;
            }
        }
        true
    }
}
