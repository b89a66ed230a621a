//! `triage fmt`: every shipped file is already formatted; formatting keeps every comment,
//! is idempotent, and never changes a decision or a test result, for the shipped policies
//! and for messed-up copies of them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proptest::prelude::*;
use serde_json::Value;
use triage::{format_source, Policy, TraceLevel};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The shipped policies, by file stem; each example ticket's prefix names its policy (as in
/// `tests/decisions.rs`).
const POLICIES: &[(&str, &str)] = &[
    ("after-sales-quality", "as-"),
    ("dongguan-service-quality", "dg-"),
    ("hotline-kpi", "ec5-"),
    ("hotline-standard", "ec-"),
    ("property-complaints", "pm-"),
    ("si-partner-assessment", "si13-"),
    ("si-partners", "si-"),
];

/// Every `.triage` file under `rules/`, calendars and companion test files included.
fn rule_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![Path::new(ROOT).join("rules")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "triage") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The comments of a rule file, as written (without the white space that ends them): a
/// `#` outside a string starts one.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    out.push(line[i..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// The example tickets of a policy, and variants of each: every boolean flipped, every
/// whole number moved by one, one at a time.
fn tickets(prefix: &str) -> Vec<Value> {
    let longer: Vec<&str> =
        POLICIES.iter().map(|p| p.1).filter(|p| p.len() > prefix.len() && p.starts_with(prefix)).collect();
    let mut out = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("examples/tickets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json") && name.starts_with(prefix) && !longer.iter().any(|l| name.starts_with(l))
        })
        .collect();
    names.sort();
    for path in names {
        let ticket: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut variants = Vec::new();
        vary(&ticket, &mut Vec::new(), &mut variants, &ticket);
        out.push(ticket);
        out.extend(variants);
    }
    out
}

fn vary(value: &Value, at: &mut Vec<String>, out: &mut Vec<Value>, whole: &Value) {
    let mut with = |new: Value| {
        let mut copy = whole.clone();
        let mut slot = &mut copy;
        for key in at.iter() {
            slot = slot.get_mut(key.as_str()).unwrap();
        }
        *slot = new;
        out.push(copy);
    };
    match value {
        Value::Bool(b) => with(Value::Bool(!b)),
        Value::Number(n) if n.is_i64() => {
            let n = n.as_i64().unwrap();
            with(Value::from(n + 1));
            with(Value::from((n - 1).max(0)));
        }
        Value::Object(map) => {
            for (key, v) in map {
                at.push(key.clone());
                vary(v, at, out, whole);
                at.pop();
            }
        }
        _ => {}
    }
}

/// What a policy makes of a ticket, as JSON: its decision with the full trace, or why it
/// could not decide it.
fn decide(policy: &Policy, ticket: &Value) -> String {
    match policy.prepare(ticket) {
        Ok(prepared) => serde_json::to_string(&policy.decide(&prepared, TraceLevel::Full)).unwrap(),
        Err(e) => format!("refused: {e}"),
    }
}

/// A policy's test results without their locations, which formatting may move.
fn test_results(policy: &Policy) -> Vec<String> {
    policy
        .run_tests()
        .outcomes
        .iter()
        .map(|o| {
            let failures: Vec<String> = o.failures.iter().map(|f| format!("{} / {}", f.expected, f.actual)).collect();
            format!("{} {:?} passed={} {failures:?} {:?}", o.name, o.clauses, o.passed(), o.error)
        })
        .collect()
}

/// A copy of `rules/` with every file rewritten by `rewrite`, beside a copy of `examples/`,
/// so that the policies' imports and `given ticket` paths find what they name.
fn copy_of_rules(name: &str, rewrite: impl Fn(&str) -> String) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for file in rule_files() {
        let relative = file.strip_prefix(ROOT).unwrap();
        let target = dir.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&target, rewrite(&text)).unwrap();
    }
    let tickets = dir.join("examples/tickets");
    std::fs::create_dir_all(&tickets).unwrap();
    for entry in std::fs::read_dir(Path::new(ROOT).join("examples/tickets")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tickets.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn every_shipped_rule_file_is_formatted() {
    let files = rule_files();
    assert!(files.len() >= 9, "rules/ holds the shipped policies");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let formatted = format_source(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if formatted != text {
            panic!(
                "{} is not formatted; run `triage fmt rules/`. First difference at line {}",
                file.display(),
                text.lines().zip(formatted.lines()).position(|(a, b)| a != b).map_or(0, |n| n + 1)
            );
        }
    }
}

#[test]
fn formatting_the_shipped_files_keeps_comments_and_is_idempotent() {
    for file in rule_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        // Laid out as messily as the grammar allows first, so that formatting has work to do.
        let messy = mess_up(&text, 7);
        let formatted = format_source(&messy).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(comments(&formatted), comments(&messy), "{}", file.display());
        assert_eq!(format_source(&formatted).unwrap(), formatted, "{}", file.display());
    }
}

#[test]
fn formatted_policies_decide_every_ticket_and_pass_every_test_as_before() {
    // The shipped files are formatted already: they are messed up first, calendars and
    // companion test files included, so that formatting has work to do.
    let messy = copy_of_rules("messy", |text| mess_up(text, 11));
    let formatted = copy_of_rules("formatted", |text| format_source(&mess_up(text, 11)).unwrap());
    for (stem, prefix) in POLICIES {
        let original = Policy::from_file(messy.join(format!("rules/{stem}.triage"))).unwrap();
        let formatted = Policy::from_file(formatted.join(format!("rules/{stem}.triage"))).unwrap();
        let tickets = tickets(prefix);
        assert!(!tickets.is_empty(), "{stem} has example tickets");
        for ticket in &tickets {
            assert_eq!(decide(&formatted, ticket), decide(&original, ticket), "{stem}: {ticket}");
        }
        assert_eq!(test_results(&formatted), test_results(&original), "{stem}");
        assert!(test_results(&original).iter().all(|r| r.contains("passed=true")), "{stem}");
    }
    let _ = std::fs::remove_dir_all(messy);
    let _ = std::fs::remove_dir_all(formatted);
}

#[test]
fn a_file_that_does_not_parse_is_an_error_not_formatted() {
    let error = format_source("policy p\nrule r when\n").unwrap_err();
    let text = common::render_all(&error.0);
    assert!(text.contains("triage::syntax"), "{text}");
}

/// A policy written as carelessly as the grammar allows, with comments everywhere.
const MESSY: &str = r#"# A header comment.
policy   messy "A messy one"   zone Asia/Shanghai # trailing, on the header
default calendar office
import "calendars/cn-mainland.triage"
calendar office extends cn_mainland
 hours mon - fri 09:00 - 18:00
      window calls 08:30-12:00,14:30 - 21:00
ticket
 id text
    received_at   time "when" # trailing, on a field
  tier (normal,vip , gold)
 # between fields
 score int>=0,<=100
   tags  set of (a,b,
 c)
grades I>II>III,default III
roles a,b
# before actions, two blank lines after


actions x ,y
let   s=score+1
let long_name = - score * ( 2+3 )
rule r1 [AS-1,AS-2] "label" when tier in {vip,gold} and score>=50 or received_at in working hours or tier = normal and score < 10 or max(score, 3) > 4
 grade I # why
  route a when score>3
   deadline d=received_at+2 h,warn at 75%
 deadline longer=received_at + 1 working day
      # inside a rule
 value v = tags has a
exempt e from x when tier is vip because "reason #1, not a comment"
test "t" given received_at = 2024-05-10 10:30, tier = vip
  # inside a test
 expect grade I, route = a,
  action x
# the end
"#;

#[test]
fn a_messy_policy_is_laid_out_canonically() {
    let formatted = format_source(MESSY).unwrap();
    insta::assert_snapshot!(formatted);
    assert_eq!(comments(&formatted), comments(MESSY));
    assert_eq!(format_source(&formatted).unwrap(), formatted);
    let base = Path::new(ROOT).join("rules");
    let before = Policy::from_source("messy.triage", MESSY, &base).unwrap();
    let after = Policy::from_source("messy.triage", &formatted, &base).unwrap();
    let ticket = serde_json::json!({"id": "M1", "received_at": "2024-05-10T10:30:00+08:00", "tier": "vip", "score": 60, "tags": ["a"]});
    assert_eq!(decide(&after, &ticket), decide(&before, &ticket));
}

/// Rewrite the white space between tokens: `seed` picks, for each run outside strings and
/// comments, one of several layouts, some with line breaks and comments. A space inside a
/// date-time (`2024-05-10 10:30`) is part of the token and is left alone.
fn mess_up(text: &str, seed: u64) -> String {
    const LAYOUTS: &[&str] = &[" ", "  ", "\n", "\n\n  ", "\t", " # a note\n", "\n   # own line\n ", "\n\n\n"];
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        usize::try_from(state >> 33).unwrap()
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_comment {
            out.push(c);
            in_comment = c != '\n';
            i += 1;
            continue;
        }
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
                i += 1;
            }
            '#' => {
                in_comment = true;
                out.push(c);
                i += 1;
            }
            ' ' | '\t' | '\n' | '\r' => {
                let start = i;
                while i < chars.len() && matches!(chars[i], ' ' | '\t' | '\n' | '\r') {
                    i += 1;
                }
                let run: String = chars[start..i].iter().collect();
                let digits = start > 0
                    && chars[start - 1].is_ascii_digit()
                    && chars.get(i).is_some_and(|c| c.is_ascii_digit())
                    && run == " ";
                let n = next();
                if digits || n % 3 == 0 || start == 0 || i == chars.len() {
                    out.push_str(&run);
                } else {
                    out.push_str(LAYOUTS[n % LAYOUTS.len()]);
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_messed_up_policy_formats_idempotently_and_decides_as_before(which in 0usize..POLICIES.len(), seed in any::<u64>()) {
        let (stem, prefix) = POLICIES[which];
        let text = std::fs::read_to_string(Path::new(ROOT).join(format!("rules/{stem}.triage"))).unwrap();
        let messy = mess_up(&text, seed);
        let formatted = format_source(&messy).unwrap();
        prop_assert_eq!(comments(&formatted), comments(&messy));
        prop_assert_eq!(&format_source(&formatted).unwrap(), &formatted);
        let base = Path::new(ROOT).join("rules");
        let before = Policy::from_source(&format!("{stem}.triage"), &messy, &base).unwrap();
        let after = Policy::from_source(&format!("{stem}.triage"), &formatted, &base).unwrap();
        for ticket in tickets(prefix).iter().take(40) {
            prop_assert_eq!(decide(&after, ticket), decide(&before, ticket));
        }
        prop_assert_eq!(test_results(&after), test_results(&before));
    }
}

// ---------------------------------------------------------------- the command line

fn triage(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn fmt_check_passes_on_the_shipped_rules() {
    let (code, stdout, stderr) = triage(&["fmt", "--check", "rules/"], "");
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
}

#[test]
fn fmt_check_shows_a_diff_and_fails_on_a_messy_file() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fmt-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("messy.triage");
    let messy = "policy  p\n zone Asia/Shanghai\nticket\n  id text\n";
    std::fs::write(&file, messy).unwrap();
    let path = file.to_str().unwrap();
    let (code, stdout, stderr) = triage(&["fmt", "--check", path], "");
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("-policy  p\n") && stdout.contains("+policy p\n"), "{stdout}");
    assert!(stderr.contains("1 of 1 file not formatted"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy, "--check changes nothing");

    // Without --check: rewritten in place and listed; then it is formatted.
    let (code, stdout, _) = triage(&["fmt", path], "");
    assert_eq!((code, stdout.trim()), (0, path));
    let (code, stdout, _) = triage(&["fmt", "--check", path], "");
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, stdout, _) = triage(&["fmt", path], "");
    assert_eq!((code, stdout.as_str()), (0, ""), "an unchanged file is not listed");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fmt_reads_standard_input_and_writes_standard_output() {
    let (code, stdout, _) = triage(&["fmt", "-"], "policy  p\n zone Asia/Shanghai\n");
    assert_eq!((code, stdout.as_str()), (0, "policy p\n  zone Asia/Shanghai\n"));
    let (code, stdout, stderr) = triage(&["fmt", "-"], "policy p\nrule r when\n");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("<stdin>"), "{stderr}");
    let (code, _, _) = triage(&["fmt", "-", "-"], "");
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------- generated policies

/// An expression built from the language's operators: long chains to wrap, nesting to
/// indent.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("score > 1".to_string()),
        Just("flag".to_string()),
        Just("tier in {vip, gotone}".to_string()),
        Just("received_at + 2 working days > received_at".to_string()),
        Just("transcript mentions {\"XX你XX吗\", \"请你撤消投诉\"}".to_string()),
        Just("max(score, -score) >= 2".to_string()),
    ];
    leaf.prop_recursive(6, 60, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("not {e}")),
            inner.clone().prop_map(|e| format!("({e})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (1usize..30).prop_map(|n| format!("{} > 3", vec!["score"; n].join(" + "))),
        ]
    })
}

/// A policy around two conditions, with a field for every leaf above.
fn generated_policy(a: &str, b: &str) -> String {
    format!(
        "policy generated\n  zone Asia/Shanghai\n  default calendar cn_mainland\nimport \"calendars/cn-mainland.triage\"\n\
         ticket\n  id text\n  received_at time\n  score int\n  flag bool\n  tier (normal, vip, gotone)\n  \
         transcript text\ngrades I > II, default II\nactions flagged\nlet deep = {a}\n\
         rule r\n  when deep or {b}\n  grade I\n  action flagged when {a}\n  value v = score when {b}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_generated_policy_formats_idempotently_and_decides_as_before(
        a in expression(), b in expression(), seed in any::<u64>(), score in -5i64..40, flag: bool, vip: bool,
    ) {
        let messy = mess_up(&generated_policy(&a, &b), seed);
        let formatted = format_source(&messy).unwrap();
        prop_assert_eq!(comments(&formatted), comments(&messy));
        prop_assert_eq!(&format_source(&formatted).unwrap(), &formatted);
        let base = Path::new(ROOT).join("rules");
        let before = Policy::from_source("generated.triage", &messy, &base).unwrap();
        let after = Policy::from_source("generated.triage", &formatted, &base).unwrap();
        let ticket = serde_json::json!({
            "id": "G1", "received_at": "2024-05-10T10:30:00+08:00", "score": score, "flag": flag,
            "tier": if vip { "vip" } else { "normal" }, "transcript": "请你撤消投诉",
        });
        prop_assert_eq!(decide(&after, &ticket), decide(&before, &ticket));
    }

    #[test]
    fn formatting_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Ok(formatted) = format_source(&text) {
            prop_assert_eq!(&format_source(&formatted).unwrap(), &formatted);
        }
    }
}

#[test]
fn empty_files_comments_alone_and_crlf_line_ends() {
    assert_eq!(format_source("").unwrap(), "");
    assert_eq!(format_source("\n\n  \n").unwrap(), "");
    assert_eq!(
        format_source("  # only a comment   \n\n\n# and another").unwrap(),
        "# only a comment\n\n# and another\n"
    );
    assert_eq!(
        format_source("policy p\r\n  zone Asia/Shanghai # why\r\n").unwrap(),
        "policy p\n  zone Asia/Shanghai # why\n"
    );
}
