//! `Policy::calendar_month`, the page behind the REPL's `:calendar [MONTH]`: the after-sales
//! policy's months checked by hand against `rules/calendars/cn-mainland.triage`, every kind of
//! day a calendar can declare, and every way a month is refused.

use std::path::Path;

use triage::{parse_month, CalendarViewError, Policy};

/// The after-sales policy: calendar `office` extends `cn_mainland`, Monday to Friday
/// 09:00-18:00. Loaded by its relative path (tests run from the crate root), so the
/// locations in errors read the same on every machine.
fn after_sales() -> Policy {
    Policy::from_file("rules/after-sales-quality.triage").unwrap()
}

/// A shop whose calendar declares one of everything, over the mainland holidays: split
/// weekday hours, Saturday hours, make-up hours of its own, a make-up Sunday with hours of its
/// own, a day of special hours, days off, and windows (one across midnight); and a second
/// calendar that ignores make-up working days.
const SHOP: &str = r#"
policy shop "门店投诉"
  zone Asia/Shanghai
  default calendar store

import "calendars/cn-mainland.triage"

calendar store extends cn_mainland "门店营业时间"
  hours mon-fri 09:00-12:00, 13:30-18:00
  hours sat 10:00-16:00
  makeup hours 10:00-15:00
  on 2024-12-24 hours 09:00-12:00 "平安夜"
  workday 2024-12-29 "盘点补班" hours 08:00-12:00
  off 2024-12-30 to 2024-12-31 "年终盘点"
  window calls "回访时间" 08:30-12:00, 14:30-21:00
  window night 22:00-02:00

calendar no_makeup extends cn_mainland "不补班"
  makeup days off
"#;

fn shop() -> Policy {
    Policy::from_source("shop.triage", SHOP, Path::new("rules")).unwrap()
}

// By hand, from rules/calendars/cn-mainland.triage: 2024-05-01 is a Wednesday; 劳动节 is
// 05-01 to 05-05 (Wed-Sun), and 05-11 (Saturday) is its make-up working day (the other one,
// 04-28, is in April). The office works Monday-Friday 09:00-18:00, and a make-up day that
// names no hours works Monday's.
#[test]
fn labour_day_2024() {
    insta::assert_snapshot!(after_sales().calendar_month(None, 2024, 5, false).unwrap());
}

// By hand: 2024-10-01 is a Tuesday; 国庆节 is 10-01 to 10-07 (Tue-Mon), and 10-12 (Saturday)
// is its make-up working day (the other one, 09-29, is in September).
#[test]
fn national_day_2024() {
    insta::assert_snapshot!(after_sales().calendar_month(None, 2024, 10, false).unwrap());
}

// The same month coloured for a terminal: the marks stay, colour only adds to them.
#[test]
fn national_day_2024_in_colour() {
    let page = after_sales().calendar_month(None, 2024, 10, true).unwrap();
    // The escape character written as `\e`, so the snapshot reads in any editor.
    insta::assert_snapshot!(page.replace('\u{1b}', "\\e"));
    let plain = after_sales().calendar_month(None, 2024, 10, false).unwrap();
    assert_eq!(strip_colour(&page), plain, "without its colours, the coloured page is the plain one");
}

/// Remove ANSI SGR sequences (`ESC [ … m`).
fn strip_colour(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

// By hand: 2024-12-01 is a Sunday, and the mainland calendar has no date in December 2024.
// The store adds 12-24 (Tue, special hours 09:00-12:00), 12-29 (Sun, make-up working day
// 08:00-12:00), 12-30 and 12-31 (Mon-Tue, off); its Saturdays are worked, its Sundays not.
#[test]
fn every_kind_of_day() {
    insta::assert_snapshot!(shop().calendar_month(None, 2024, 12, false).unwrap());
}

// `makeup days off`: 2024-10-12 is an ordinary Saturday without hours, not a make-up day.
#[test]
fn make_up_days_ignored() {
    let page = shop().calendar_month(Some("no_makeup"), 2024, 10, false).unwrap();
    insta::assert_snapshot!(page);
    assert!(page.contains("12. 13."), "{page}");
    assert!(!page.contains("国庆节调休"), "{page}");
}

#[test]
fn the_default_calendar_unless_one_is_named() {
    let policy = after_sales();
    let default = policy.calendar_month(None, 2024, 5, false).unwrap();
    assert_eq!(default, policy.calendar_month(Some("office"), 2024, 5, false).unwrap());
    let named = policy.calendar_month(Some("cn_mainland"), 2024, 5, false).unwrap();
    assert!(named.starts_with("calendar cn_mainland \"中国大陆法定节假日\": May 2024, Asia/Shanghai\n"), "{named}");
    // The default is the one the header names, not the first declared.
    let policy: Policy = "policy p\n  zone UTC\n  default calendar second\n\
                          calendar first\n  zone UTC\n  valid 2024 to 2024\n\
                          calendar second extends first\n  hours mon-fri 08:00-16:00\n"
        .parse()
        .unwrap();
    let page = policy.calendar_month(None, 2024, 2, false).unwrap();
    assert!(page.starts_with("calendar second: February 2024, UTC\n"), "{page}");
}

#[test]
fn the_first_calendar_when_the_policy_names_no_default() {
    let policy: Policy =
        "policy p\n  zone Europe/Berlin\ncalendar only\n  zone Europe/Berlin\n  valid 2024 to 2024\n  \
                          hours mon-fri 08:00-16:00\n"
            .parse()
            .unwrap();
    let page = policy.calendar_month(None, 2024, 2, false).unwrap();
    assert!(page.starts_with("calendar only: February 2024, Europe/Berlin\n"), "{page}");
    // 2024 is a leap year.
    assert!(page.contains("26  27  28  29\n"), "{page}");
}

#[test]
fn unknown_calendar() {
    let policy = after_sales();
    let error = policy.calendar_month(Some("ofice"), 2024, 5, false).unwrap_err();
    insta::assert_snapshot!(error, @"unknown calendar `ofice` (did you mean `office`?); this policy's calendars are `cn_mainland` and `office`");
    assert_eq!(
        error,
        CalendarViewError::UnknownCalendar {
            name: "ofice".into(),
            suggestion: Some("did you mean `office`?".into()),
            calendars: vec!["cn_mainland".into(), "office".into()],
        }
    );
    let error = policy.calendar_month(Some("holidays"), 2024, 5, false).unwrap_err();
    insta::assert_snapshot!(error, @"unknown calendar `holidays`; this policy's calendars are `cn_mainland` and `office`");
}

#[test]
fn month_outside_the_calendar_years() {
    let policy = after_sales();
    let error = policy.calendar_month(None, 2027, 1, false).unwrap_err();
    // `office` sets no years of its own: they are those of `cn_mainland`, in its file.
    insta::assert_snapshot!(error, @"2027-01 is outside calendar `office`, which is valid for 2024 to 2026; its years are set at rules/calendars/cn-mainland.triage:9:9");
    let error = policy.calendar_month(None, 2023, 12, false).unwrap_err();
    assert!(matches!(error, CalendarViewError::OutsideYears { year: 2023, month: 12, first: 2024, last: 2026, .. }));
}

#[test]
fn month_not_1_to_12() {
    let policy = after_sales();
    for month in [0, 13, u32::MAX] {
        let error = policy.calendar_month(None, 2024, month, false).unwrap_err();
        assert_eq!(error, CalendarViewError::NoSuchMonth { month });
    }
    insta::assert_snapshot!(policy.calendar_month(None, 2024, 13, false).unwrap_err(), @"there is no month 13: months run from 1 to 12");
}

#[test]
fn policy_without_calendar() {
    let policy: Policy = "policy bare\n  zone Asia/Shanghai\n".parse().unwrap();
    let error = policy.calendar_month(None, 2024, 5, false).unwrap_err();
    insta::assert_snapshot!(error, @"policy `bare` has no calendar; declare one with `calendar NAME`, or `import` a file that does");
    // Naming a calendar does not make it an unknown one: there are none to choose from.
    assert_eq!(policy.calendar_month(Some("office"), 2024, 5, false), Err(error));
}

// Whatever the year and month, an answer or an error, never a panic.
#[test]
fn any_month_is_answered() {
    let policy = after_sales();
    for year in [i32::MIN, -1, 0, 1, 2023, 2024, 2025, 2026, 2027, 9999, 10_000, 262_143, 262_144, i32::MAX] {
        for month in 0..=13 {
            let answer = policy.calendar_month(None, year, month, true);
            assert_eq!(answer.is_ok(), (2024..=2026).contains(&year) && (1..=12).contains(&month), "{year}-{month}");
        }
    }
}

#[test]
fn months_are_read_as_year_and_month() {
    assert_eq!(parse_month("2024-05"), Ok((2024, 5)));
    assert_eq!(parse_month("2024-5"), Ok((2024, 5)));
    assert_eq!(parse_month(" 2024-10 "), Ok((2024, 10)));
    assert_eq!(parse_month("2024-13"), Err(CalendarViewError::NoSuchMonth { month: 13 }));
    assert_eq!(parse_month("2024-00"), Err(CalendarViewError::NoSuchMonth { month: 0 }));
    for text in [
        "",
        "-",
        "2024",
        "2024-",
        "-05",
        "2024-05-01",
        "2024/05",
        "May 2024",
        "+2024-05",
        "2024-+5",
        "-2024-05",
        "12345-01",
        "2024-005",
        "２０２４-05",
        "2024 - 05",
    ] {
        assert_eq!(parse_month(text), Err(CalendarViewError::NotAMonth { text: text.into() }), "`{text}`");
    }
    insta::assert_snapshot!(parse_month("2024/05").unwrap_err(), @"`2024/05` is not a month; write the year and the month, as in `2024-05`");
}
