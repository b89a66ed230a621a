//! Diagnostics of rule files.
//!
//! `tests/corpus/check/err/` holds broken rule files, one kind of mistake per file (and one
//! file with five); each is snapshotted as a policy owner sees it on a terminal. Beside the
//! snapshots, targeted assertions pin the code, the message, the help and the exact
//! underlined text of the key cases. `tests/corpus/check/ok/` holds files that must check
//! without errors.

mod common;

use std::collections::HashSet;

use common::{diagnostics, errors, line_of, relative, render_all, single_error, Expected};
use triage::{check_file, Diagnostic, Policy, Severity};

const ERR: &str = "tests/corpus/check/err";

fn err(name: &str) -> String {
    format!("{ERR}/{name}.triage")
}

/// The source text under every label of a diagnostic, in label order.
fn label_texts(d: &Diagnostic, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::crate_root().join(file)).expect("corpus file");
    d.labels().iter().map(|l| text[l.span.start as usize..l.span.end as usize].to_string()).collect()
}

/// The `.triage` files of `tests/corpus/check/{ok,err}`, relative to the crate root.
/// (`insta::glob!` is kept for the snapshot test: its failure count is shared between
/// tests running at the same time.)
fn corpus_files(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = format!("tests/corpus/check/{kind}");
    let mut files: Vec<_> = std::fs::read_dir(common::crate_root().join(&dir))
        .expect("corpus folder")
        .map(|e| relative(&e.expect("corpus entry").path()))
        .filter(|p| p.extension().is_some_and(|x| x == "triage"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{dir} holds too few files: {files:?}");
    files
}

// ---------------------------------------------------------------- the corpus

#[test]
fn every_broken_file_renders_its_diagnostics() {
    insta::glob!("corpus/check/err/*.triage", |path| {
        let shown = relative(path);
        let ds = check_file(&shown);
        assert!(
            ds.iter().any(|d| d.severity() == Severity::Error),
            "`{}` is in the err corpus but has no error",
            shown.display()
        );
        insta::assert_snapshot!(render_all(&ds));
    });
}

#[test]
fn every_good_file_checks_without_errors() {
    for path in corpus_files("ok") {
        let ds = check_file(&path);
        let errors: Vec<Diagnostic> = ds.into_iter().filter(|d| d.severity() == Severity::Error).collect();
        assert!(errors.is_empty(), "`{}` should check cleanly, got:\n{}", path.display(), render_all(&errors));
    }
}

#[test]
fn every_diagnostic_of_the_corpus_is_located_coded_and_worded_for_people() {
    for path in corpus_files("err") {
        for d in check_file(&path) {
            let shown = common::render(&d);
            assert!(d.code().starts_with("triage::"), "{shown}");
            assert!(d.location().is_some(), "no location:\n{shown}");
            assert!(!d.labels().is_empty(), "no label:\n{shown}");
            let message = d.message();
            // The style guide: lowercase start, no final period, no Rust type names.
            assert!(!message.starts_with(|c: char| c.is_uppercase()), "message starts in upper case:\n{shown}");
            assert!(!message.ends_with('.'), "message ends with a period:\n{shown}");
            for rust in ["String", "Option", "Vec<", "i64", "Decimal", "Rule::"] {
                assert!(!message.contains(rust), "Rust type name in:\n{shown}");
            }
        }
    }
}

// ---------------------------------------------------------------- name resolution

#[test]
fn unknown_field_suggests_the_near_miss() {
    Expected::error("triage::unknown_field")
        .message("unknown field `impact.saftey`")
        .help_contains("did you mean `impact.safety`?")
        .underlined("impact.saftey")
        .line(12)
        .assert(&single_error(&err("unknown_field")));
}

#[test]
fn a_field_far_from_every_declared_one_gets_no_suggestion() {
    let policy = "policy p\n  zone Asia/Shanghai\nticket\n  id text\n  score int\n\
                  actions a\nrule r\n  when customer_region = 3\n  action a\n";
    let diagnostics = policy.parse::<Policy>().expect_err("unknown field");
    let d = diagnostics.errors().next().expect("an error");
    Expected::error("triage::unknown_field")
        .message("unknown field `customer_region`")
        .underlined("customer_region")
        .line(8)
        .assert(d);
    assert!(
        !d.help_text().unwrap_or("").contains("did you mean"),
        "no near miss, so no suggestion: {:?}",
        d.help_text()
    );
}

#[test]
fn unknown_enum_value_lists_the_values() {
    Expected::error("triage::unknown_enum_value")
        .message("`platinum` is not a value of `customer.tier`")
        .help_contains("`normal`, `vip`, `gotone`")
        .underlined("platinum")
        .line(12)
        .assert(&single_error(&err("unknown_enum_value")));
}

#[test]
fn unknown_grade_points_at_the_grade() {
    Expected::error("triage::unknown_grade")
        .message("unknown grade `IV`")
        .underlined("IV")
        .line(13)
        .assert(&single_error(&err("unknown_grade")));
}

#[test]
fn unknown_action_suggests_the_declared_one() {
    Expected::error("triage::unknown_action")
        .message("unknown action `writen_report`")
        .help_contains("did you mean `written_report`?")
        .underlined("writen_report")
        .line(13)
        .assert(&single_error(&err("unknown_action")));
}

#[test]
fn unknown_role_says_how_to_declare_it() {
    Expected::error("triage::unknown_role")
        .message("unknown role `legal_department`")
        .help_contains("`roles legal_department`")
        .underlined("legal_department")
        .line(13)
        .assert(&single_error(&err("unknown_role")));
}

#[test]
fn unknown_function_suggests_count() {
    Expected::error("triage::unknown_function")
        .message("unknown function `cout`")
        .help_contains("did you mean `count`?")
        .underlined("cout")
        .line(12)
        .assert(&single_error(&err("unknown_function")));
}

#[test]
fn a_field_passed_to_a_misspelled_function_is_not_reported_unused() {
    // `agents` is used, in `cout(agents)`; the only mistake is the function's name.
    let ds = diagnostics(&err("unknown_function"));
    assert_eq!(
        ds.iter().map(Diagnostic::code).collect::<Vec<_>>(),
        ["triage::unknown_function"],
        "a follow-on warning is noise:\n{}",
        render_all(&ds)
    );
}

#[test]
fn unknown_window_suggests_the_declared_window() {
    Expected::error("triage::unknown_window")
        .message("unknown window `call`")
        .help_contains("did you mean `calls`?")
        .underlined("call")
        .line(17)
        .assert(&single_error(&err("unknown_window")));
}

#[test]
fn unknown_calendar_in_a_duration_suggests_the_imported_one() {
    Expected::error("triage::unknown_calendar")
        .message("unknown calendar `cn_mainlnd`")
        .help_contains("did you mean `cn_mainland`?")
        .underlined("cn_mainlnd")
        .line(12)
        .assert(&single_error(&err("unknown_calendar_in_duration")));
}

#[test]
fn unknown_default_calendar_is_one_error_not_a_cascade() {
    // The policy *does* name a default calendar, misspelled; a second error saying that
    // "the policy names none" for every working duration would be false.
    Expected::error("triage::unknown_calendar")
        .message("unknown calendar `ofice`")
        .help_contains("did you mean `office`?")
        .underlined("ofice")
        .line(4)
        .assert(&single_error(&err("unknown_calendar")));
}

#[test]
fn unknown_zone_suggests_the_iana_name() {
    Expected::error("triage::unknown_zone")
        .message("unknown time zone `Asia/Shangai`")
        .help_contains("did you mean `Asia/Shanghai`?")
        .underlined("Asia/Shangai")
        .line(3)
        .assert(&single_error(&err("unknown_zone")));
}

#[test]
fn missing_import_points_at_the_import() {
    let d = single_error(&err("missing_import"));
    Expected::error("triage::import").help_contains("relative to the importing file").line(6).assert(&d);
    assert!(
        d.message().starts_with("cannot read `") && d.message().contains("no-such-calendar.triage"),
        "{}",
        d.message()
    );
    assert!(
        d.primary_text().is_some_and(|t| t.contains("calendars/no-such-calendar.triage")),
        "{:?}",
        d.primary_text()
    );
}

#[test]
fn an_import_cycle_terminates_without_bogus_syntax_errors() {
    // Valid files that import each other in a circle: each is read once, so they check
    // clean, the same way every time. Reading the files again and again exhausted the
    // stack instead.
    for file in ["tests/corpus/check/cycle/self_import.triage", "tests/corpus/check/cycle/uses_cycle.triage"] {
        for _ in 0..3 {
            let found = diagnostics(file);
            assert!(found.is_empty(), "`{file}` is valid:\n{}", common::render_all(&found));
        }
    }
    // And the calendar reached through the cycle works.
    let policy = triage::Policy::from_file(common::crate_root().join("tests/corpus/check/cycle/uses_cycle.triage"))
        .expect("the policy loads");
    let decision = policy
        .evaluate_str(r#"{"id": "C1", "received_at": "2024-05-10T10:00:00+08:00"}"#)
        .expect("the ticket is decided");
    assert_eq!(decision.deadline("resolve").map(|d| d.to_string()).as_deref(), Some("2024-05-14T18:00:00+08:00"));
}

// ---------------------------------------------------------------- policy tests

#[test]
fn no_warn_of_an_unknown_deadline_suggests_the_deadline() {
    Expected::error("triage::unknown_deadline")
        .message("unknown deadline `respnd`")
        .help_contains("did you mean `respond`?")
        .underlined("respnd")
        .line(20)
        .assert(&single_error(&err("unknown_deadline_in_no_warn")));
}

#[test]
fn refused_of_an_unknown_field_suggests_the_field() {
    Expected::error("triage::unknown_field")
        .message("unknown field `completed_in_tme`")
        .help_contains("did you mean `completed_in_time`?")
        .underlined("completed_in_tme")
        .line(18)
        .assert(&single_error(&err("unknown_field_in_refused")));
}

#[test]
fn refused_of_a_field_without_bounds_lists_the_fields_with_bounds() {
    Expected::error("triage::never_refused")
        .message("`group_customers` has no bounds, so it is never refused")
        .help_contains("`complaints`, `completed_in_time`")
        .underlined("group_customers")
        .line(20)
        .assert(&single_error(&err("refused_field_without_bounds")));
}

#[test]
fn a_test_cannot_expect_its_ticket_refused_and_decided() {
    let file = err("refused_and_decided");
    let d = single_error(&file);
    Expected::error("triage::refused_and_decided")
        .message("a test expects its ticket both refused and decided")
        .underlined("refused completed_in_time")
        .line(18)
        .assert(&d);
    assert_eq!(label_texts(&d, &file), ["refused completed_in_time", "no action rectify"]);
}

#[test]
fn refused_without_a_field_is_a_syntax_error_and_the_next_test_still_parses() {
    let d = single_error(&err("syntax_refused_without_field"));
    Expected::error("triage::syntax").message("expected a field name, found `test`").line(20).assert(&d);
}

#[test]
fn a_given_out_of_bounds_is_located_at_the_value_and_names_field_value_and_bound() {
    Expected::error("triage::out_of_bounds")
        .message(
            "the reader refuses this test's ticket: `completed_in_time` is 9, and must be at most `complaints` (3)",
        )
        .help_contains("write `expect refused completed_in_time` and expect nothing else")
        .underlined("completed_in_time = 9")
        .line(18)
        .assert(&single_error(&err("given_out_of_bounds")));
}

/// A record with bounds, for tests written inline; `months` is at least 1, so a test that
/// does not give it breaks its bound.
const BOUNDED: &str = "policy bounded\n  zone Asia/Shanghai\nrecord\n  id text\n  months int >= 1\n\
                       complaints int >= 0\n  completed_in_time int >= 0, <= complaints\nactions rectify\n\
                       rule late\n  when completed_in_time < complaints or months > 2\n  action rectify\n";

fn bounded_errors(tests: &str) -> Vec<Diagnostic> {
    let text = format!("{BOUNDED}{tests}");
    let diagnostics = Policy::from_source("bounded.triage", &text, std::path::Path::new(".")).expect_err("errors");
    diagnostics.errors().cloned().collect()
}

#[test]
fn every_field_a_given_ticket_breaks_is_reported_and_the_help_names_them_all() {
    let ds = bounded_errors(
        "test \"negative\"\n  given months = 1, complaints = -1, completed_in_time = 2\n  expect action rectify\n",
    );
    let messages: Vec<&str> = ds.iter().map(Diagnostic::message).collect();
    assert_eq!(
        messages,
        [
            "the reader refuses this test's ticket: `complaints` is -1, and must be at least 0",
            "the reader refuses this test's ticket: `completed_in_time` is 2, and must be at most `complaints` (-1)",
        ]
    );
    assert_eq!(
        ds.iter().map(|d| d.primary_text()).collect::<Vec<_>>(),
        [Some("complaints = -1"), Some("completed_in_time = 2")]
    );
    for d in &ds {
        assert_eq!(d.code(), "triage::out_of_bounds");
        assert!(
            d.help_text().is_some_and(|h| h.contains("`expect refused complaints, completed_in_time`")),
            "{:?}",
            d.help_text()
        );
    }
}

#[test]
fn a_field_a_test_leaves_empty_out_of_bounds_is_reported_at_the_test() {
    let ds = bounded_errors("test \"no months\"\n  given complaints = 1\n  expect no action rectify\n");
    let [d] = &ds[..] else { panic!("one error: {}", render_all(&ds)) };
    Expected::error("triage::out_of_bounds")
        .message("the reader refuses this test's ticket: `months` is 0, and must be at least 1")
        .underlined("\"no months\"")
        .assert(d);
    assert_eq!(d.labels()[0].text, "this test does not give `months`, so it has its empty value");
}

#[test]
fn over_a_base_ticket_only_the_bounds_among_given_values_are_checked_before_the_test_runs() {
    // The base record is read when the test runs: `completed_in_time = 9` may be within its
    // complaints, but `complaints = -1` is out of bounds whatever the base.
    let ds = bounded_errors(
        "test \"within the base\"\n  given ticket \"base.json\", completed_in_time = 9\n  expect action rectify\n\
         test \"negative\"\n  given ticket \"base.json\", complaints = -1\n  expect action rectify\n",
    );
    let [d] = &ds[..] else { panic!("one error: {}", render_all(&ds)) };
    Expected::error("triage::out_of_bounds")
        .message("the reader refuses this test's ticket: `complaints` is -1, and must be at least 0")
        .underlined("complaints = -1")
        .assert(d);
}

#[test]
fn a_test_of_refusal_may_give_values_out_of_bounds() {
    let text =
        format!("{BOUNDED}test \"negative\"\n  given months = 1, complaints = -1\n  expect refused complaints, completed_in_time\n");
    let policy = Policy::from_source("bounded.triage", &text, std::path::Path::new(".")).expect("no error");
    assert!(policy.warnings().is_empty(), "{}", render_all(policy.warnings()));
}

// ---------------------------------------------------------------- types

#[test]
fn comparing_a_number_with_text_labels_both_sides() {
    let file = err("type_mismatch");
    let d = single_error(&file);
    Expected::error("triage::type_mismatch")
        .message("cannot compare a whole number (`int`) with text")
        .help_contains("same kind")
        .underlined("score")
        .line(12)
        .assert(&d);
    assert_eq!(label_texts(&d, &file), ["score", "\"three\""]);
    assert_eq!(d.labels()[1].text, "text");
}

#[test]
fn a_number_as_a_condition_asks_for_a_comparison() {
    Expected::error("triage::type_mismatch")
        .message("expected a yes/no flag (`bool`), found a whole number (`int`)")
        .help_contains("`score >= 3`")
        .underlined("score")
        .line(12)
        .assert(&single_error(&err("condition_not_bool")));
}

// ---------------------------------------------------------------- declarations

#[test]
fn duplicate_rule_points_at_both_declarations() {
    let file = err("duplicate_rule");
    let d = single_error(&file);
    Expected::error("triage::duplicate_name")
        .message("rule `report` is declared twice")
        .underlined("report")
        .line(15)
        .assert(&d);
    assert_eq!(label_texts(&d, &file), ["report", "report"]);
    assert_eq!(d.labels()[1].text, "first declared here");
    assert!(d.labels()[1].span.start < d.labels()[0].span.start);
}

#[test]
fn duplicate_field_and_duplicate_exemption_are_duplicate_names() {
    Expected::error("triage::duplicate_name")
        .message("field `score` is declared twice")
        .underlined("score")
        .line(8)
        .assert(&single_error(&err("duplicate_field")));
    Expected::error("triage::duplicate_name")
        .message("exemption `no_call` is declared twice")
        .underlined("no_call")
        .line(19)
        .assert(&single_error(&err("duplicate_exemption")));
}

#[test]
fn grade_rule_reading_the_grade_underlines_exactly_the_condition() {
    let file = err("grade_cycle");
    let d = single_error(&file);
    Expected::error("triage::grade_cycle")
        .message("a rule that sets the grade cannot depend on the grade")
        .help_contains("decided first")
        .underlined("grade is II and media")
        .line(12)
        .assert(&d);
    assert_eq!(label_texts(&d, &file), ["grade is II and media", "I"]);
}

#[test]
fn working_duration_without_calendar_underlines_exactly_the_duration() {
    Expected::error("triage::no_calendar")
        .message("working durations need a calendar, and the policy names none")
        .help_contains("default calendar")
        .underlined("5 working days")
        .line(10)
        .assert(&single_error(&err("no_calendar")));
}

#[test]
fn header_and_schema_mistakes() {
    Expected::error("triage::missing_zone")
        .message("policy `missing_zone` has no time zone")
        .help_contains("zone Asia/Shanghai")
        .underlined("missing_zone")
        .line(2)
        .assert(&single_error(&err("missing_zone")));
    Expected::error("triage::missing_id_field")
        .message("the ticket has no `id` field")
        .help_contains("id text")
        .underlined("ticket")
        .line(5)
        .assert(&single_error(&err("missing_id_field")));
    Expected::error("triage::missing_reason")
        .message("exemption `specialist_complainer` gives no reason")
        .underlined("specialist_complainer")
        .line(14)
        .assert(&single_error(&err("missing_reason")));
    Expected::error("triage::missing_policy")
        .message("rules need a policy header")
        .help_contains("policy my_policy")
        .line(2)
        .assert(&single_error(&err("rules_without_policy")));
}

// ---------------------------------------------------------------- syntax

#[test]
fn missing_because_is_a_syntax_error_naming_because() {
    let d = single_error(&err("syntax_missing_because"));
    Expected::error("triage::syntax").assert(&d);
    assert!(d.message().contains("`because"), "{}", d.message());
    // Not earlier than the exemption's condition, not later than the next item.
    assert!((15..=17).contains(&line_of(&d)), "line {}", line_of(&d));
}

#[test]
fn misspelled_keyword_is_reported_where_it_stands() {
    let d = single_error(&err("syntax_misspelled_keyword"));
    Expected::error("triage::syntax").line(12).assert(&d);
    assert!(d.message().contains("`when`"), "{}", d.message());
    assert!(d.message().ends_with("found `wehn`"), "{}", d.message());
    assert_eq!(d.location().map(|l| l.ends_with(":12:3")), Some(true));
}

#[test]
fn unclosed_string_says_the_quote_is_not_closed() {
    let d = single_error(&err("syntax_unclosed_string"));
    Expected::error("triage::syntax").line(2).assert(&d);
    assert_eq!(d.primary_text(), Some("\""), "points at the opening quote");
    // "expected … a quoted text …, found `\"投诉处理`" leaves the owner guessing; the
    // diagnostic must say that the text is not closed.
    let words = format!("{} {}", d.message(), d.help_text().unwrap_or("")).to_lowercase();
    assert!(
        words.contains("clos") || words.contains("unterminated"),
        "does not mention the missing closing quote:\n{}",
        common::render(&d)
    );
}

#[test]
fn syntax_errors_in_two_items_are_both_reported() {
    let ds = errors(&err("syntax_two_items"));
    assert_eq!(ds.len(), 2, "one error per broken item, got:\n{}", render_all(&ds));
    assert!(ds.iter().all(|d| d.code() == "triage::syntax"));
    let lines: Vec<usize> = ds.iter().map(line_of).collect();
    // `action written_report,` ends line 13; `when score >=` ends line 16.
    assert!((13..=15).contains(&lines[0]), "{lines:?}");
    assert!((16..=17).contains(&lines[1]), "{lines:?}");
}

#[test]
fn a_suggestion_never_repeats_the_word_that_was_found() {
    // "found `rule`" with "did you mean `rule`?" sends the owner looking for a typo that
    // is not there.
    for path in corpus_files("err") {
        let text = std::fs::read_to_string(&path).expect("corpus file");
        for d in check_file(&path) {
            let (Some(label), Some(help)) = (d.labels().first(), d.help_text()) else {
                continue;
            };
            if !d.location().is_some_and(|l| l.starts_with(&*path.to_string_lossy())) {
                continue; // a label in an imported file
            }
            let word: String =
                text[label.span.start as usize..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if word.is_empty() {
                continue;
            }
            assert!(
                !help.contains(&format!("did you mean `{word}`?")),
                "suggests what is already written:\n{}",
                common::render(&d)
            );
        }
    }
}

// ---------------------------------------------------------------- five mistakes at once

#[test]
fn five_mistakes_yield_five_located_errors_in_one_run() {
    let file = err("five_mistakes");
    let ds = errors(&file);
    assert_eq!(ds.len(), 5, "{}", render_all(&ds));
    let codes: HashSet<String> = ds.iter().map(Diagnostic::code).collect();
    assert_eq!(codes.len(), 5, "distinct codes: {codes:?}");
    let found: Vec<(String, usize, Option<&str>)> =
        ds.iter().map(|d| (d.code(), line_of(d), d.primary_text())).collect();
    let expected = [
        ("triage::unknown_field", 18, "impact.saftey"),
        ("triage::unknown_enum_value", 22, "platinum"),
        ("triage::unknown_grade", 23, "V"),
        ("triage::unknown_role", 27, "cs_supervisr"),
        ("triage::unknown_action", 28, "written_reprot"),
    ];
    for (code, line, text) in expected {
        assert!(
            found.contains(&(code.to_string(), line, Some(text))),
            "missing {code} at line {line} on `{text}`; found {found:?}"
        );
    }
    for d in &ds {
        assert!(d.location().is_some_and(|l| l.contains("five_mistakes.triage:")), "{:?}", d.location());
    }
}

#[test]
fn a_failed_load_lists_every_error_with_its_location() {
    let diagnostics = Policy::from_file(err("five_mistakes")).expect_err("five errors");
    assert_eq!(diagnostics.errors().count(), 5);
    let text = diagnostics.to_string();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("5 errors in the policy"));
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 5, "{text}");
    for (entry, line) in rest.iter().zip([18, 22, 23, 27, 28]) {
        assert!(entry.contains(&format!("five_mistakes.triage:{line}:")), "{entry:?} should be located at line {line}");
    }
    assert!(rest[0].ends_with("unknown field `impact.saftey`"), "{}", rest[0]);
}

// ---------------------------------------------------------------- warnings

#[test]
fn unused_declarations_are_warnings_not_errors() {
    let ds = diagnostics("tests/corpus/check/ok/warnings_only.triage");
    assert!(ds.iter().all(|d| d.severity() == Severity::Warning), "{}", render_all(&ds));
    let messages: Vec<&str> = ds.iter().map(Diagnostic::message).collect();
    assert_eq!(messages, ["field `channel` is never used", "role `cs_supervisor` is never routed to"]);
    Expected::warning("triage::unused")
        .message("field `channel` is never used")
        .underlined("channel")
        .line(8)
        .assert(&ds[0]);
    Expected::warning("triage::unused").underlined("cs_supervisor").line(10).assert(&ds[1]);
    // A policy with warnings still loads, and keeps them.
    let policy = Policy::from_file("tests/corpus/check/ok/warnings_only.triage").expect("loads");
    assert_eq!(policy.warnings().len(), 2);
}

#[test]
fn a_clean_policy_has_no_diagnostics_at_all() {
    assert_eq!(render_all(&diagnostics("tests/corpus/check/ok/minimal.triage")), "");
    assert_eq!(render_all(&diagnostics("rules/after-sales-quality.triage")), "");
}

#[test]
fn the_good_policy_with_a_calendar_loads_and_its_tests_pass() {
    let policy = Policy::from_file("tests/corpus/check/ok/working_calendar.triage").expect("loads");
    let report = policy.run_tests();
    assert_eq!((report.passed(), report.failed()), (1, 0), "{:?}", report.outcomes);
}

// ---------------------------------------------------------------- the form for tools

#[test]
fn the_serialisable_form_carries_code_place_and_help() {
    let d = single_error(&err("unknown_field"));
    let report = serde_json::to_value(d.to_report()).expect("serialises");
    assert_eq!(report["code"], "triage::unknown_field");
    assert_eq!(report["severity"], "error");
    assert_eq!(report["message"], "unknown field `impact.saftey`");
    assert_eq!(report["line"], 12);
    assert_eq!(report["column"], 8);
    assert_eq!(report["help"], "did you mean `impact.safety`?");
    assert!(report["file"].as_str().is_some_and(|f| f.ends_with("unknown_field.triage")));
}

#[test]
fn an_inline_error_renders_with_its_source() {
    let text = "policy p\n  zone Asia/Shanghai\nticket\n  id text\n  media bool\n\
                grades I > II, default II\nrule press\n  when media\n  grade IV\n";
    let diagnostics = Policy::from_source("inline.triage", text, std::path::Path::new(".")).expect_err("unknown grade");
    let d = diagnostics.errors().next().expect("an error");
    insta::assert_snapshot!(common::render(d), @r"
    triage::unknown_grade

      × unknown grade `IV`
       ╭─[inline.triage:9:9]
     8 │   when media
     9 │   grade IV
       ·         ─┬
       ·          ╰── not on the grade scale
       ╰────
      help: did you mean `I`?
    ");
}
