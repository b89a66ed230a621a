//! The REPL on a terminal: rustyline with completion of commands, field paths, enum values
//! and the policy's names, hints of what a command takes, multi-line input and history
//! kept in the user's data directory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Config, Context, Editor, Helper};
use triage::Policy;

use super::{incomplete, Flow, Session, COMMANDS};

/// What completion offers, taken from the loaded policy.
#[derive(Default)]
struct Vocabulary {
    fields: Vec<String>,
    /// The values a field may take, when few.
    values: HashMap<String, Vec<String>>,
    /// Names by kind: `rule`, `action`, `deadline`, `exempt`, `value`, `calendar`.
    names: HashMap<&'static str, Vec<String>>,
}

impl Vocabulary {
    fn of(policy: Option<&Policy>) -> Vocabulary {
        let Some(policy) = policy else { return Vocabulary::default() };
        let fields: Vec<String> = policy.field_paths().map(str::to_string).collect();
        let values = fields.iter().filter_map(|f| Some((f.clone(), policy.field_type(f)?.1))).collect();
        let mut names: HashMap<&'static str, Vec<String>> = HashMap::new();
        for kind in ["rule", "exemption", "action", "deadline", "value", "calendar"] {
            names.insert(kind, policy.names(kind).into_iter().map(str::to_string).collect());
        }
        Vocabulary { fields, values, names }
    }

    fn named(&self, kind: &str) -> impl Iterator<Item = &str> {
        self.names.get(kind).into_iter().flatten().map(String::as_str)
    }
}

/// Completion, hints and multi-line input for the REPL's line editor.
struct ReplHelper {
    vocabulary: Vocabulary,
    files: FilenameCompleter,
    colour: bool,
}

/// Candidates among `options` that start with `word`.
fn matching<'a>(word: &str, options: impl Iterator<Item = &'a str>) -> Vec<Pair> {
    let mut out: Vec<Pair> = options
        .filter(|o| o.starts_with(word))
        .map(|o| Pair { display: o.to_string(), replacement: o.to_string() })
        .collect();
    out.dedup_by(|a, b| a.replacement == b.replacement);
    out
}

impl ReplHelper {
    /// The candidates for the word that ends at the cursor, and where it starts.
    fn candidates(&self, before: &str) -> (usize, Vec<Pair>) {
        let start = before.rfind(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '(').map_or(0, |i| i + 1);
        let word = &before[start..];
        let head = before.trim_start();
        let Some((command, rest)) = head.split_once(char::is_whitespace) else {
            let commands = COMMANDS.iter().map(|(c, ..)| *c).chain(["?"]);
            return (start, matching(word, commands));
        };
        let v = &self.vocabulary;
        let fields = || v.fields.iter().map(String::as_str);
        let parts = ["grade", "route", "action", "deadline", "exempt", "value"];
        let candidates = match command {
            "set" | ":set" | ":what-if" => {
                // After `field =`, the field's values; else a field.
                let segment = rest.rsplit(',').next().unwrap_or("");
                match segment.split_once('=') {
                    Some((field, _)) => {
                        matching(word, v.values.get(field.trim()).into_iter().flatten().map(String::as_str))
                    }
                    None => matching(word, fields()),
                }
            }
            "unset" | ":unset" => matching(word, fields()),
            "?" => matching(word, fields()),
            ":why-not" => matching(word, v.named("rule").chain(v.named("exemption"))),
            ":calendar" => matching(word, v.named("calendar")),
            ":why" | ":flip" => match rest.split_whitespace().next() {
                Some(kind) if rest.contains(char::is_whitespace) || rest.ends_with(' ') => {
                    let kind = if kind == "exempt" { "exemption" } else { kind };
                    matching(word, v.named(kind))
                }
                _ => matching(word, parts.into_iter()),
            },
            _ => Vec::new(),
        };
        (start, candidates)
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let head = before.trim_start();
        if head.starts_with(":load ") || head.starts_with(":ticket ") {
            return self.files.complete(line, pos, ctx);
        }
        Ok(self.candidates(before))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    /// What a command takes, once its name is typed.
    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        let command = line.trim_end();
        let (_, args, _) = COMMANDS.iter().find(|(c, ..)| *c == command)?;
        if args.is_empty() {
            return None;
        }
        let gap = if line.ends_with(' ') { "" } else { " " };
        Some(format!("{gap}{args}"))
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if incomplete(ctx.input()) { ValidationResult::Incomplete } else { ValidationResult::Valid(None) })
    }
}

impl Helper for ReplHelper {}

/// Where history is kept: `TRIAGE_HISTORY` if set, else `triage/history` in the user's
/// data directory (`$XDG_DATA_HOME`, or `~/.local/share`).
fn history_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TRIAGE_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))?;
    Some(data.join("triage").join("history"))
}

/// Read commands from the terminal until `:quit` or Ctrl-D; Ctrl-C cancels the line.
pub(super) fn interactive(mut session: Session, _failed_at_start: bool) -> crate::Outcome {
    let config = Config::builder().auto_add_history(true).max_history_size(1000).map_or_else(
        |_| Config::default(),
        |b| b.history_ignore_dups(true).map_or_else(|_| Config::default(), |b| b.build()),
    );
    let mut editor: Editor<ReplHelper, rustyline::history::DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the line editor: {e}");
            return crate::Outcome::Failed;
        }
    };
    let colour = session.ui.colour;
    editor.set_helper(Some(ReplHelper {
        vocabulary: Vocabulary::of(session.policy()),
        files: FilenameCompleter::new(),
        colour,
    }));
    let history = history_file();
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.load_history(path);
    }
    println!("triage repl: `:help` lists the commands, Tab completes, Ctrl-D leaves");
    loop {
        let prompt = match session.policy() {
            Some(p) => format!("{}> ", p.name()),
            None => "triage> ".to_string(),
        };
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("cannot read the line: {e}");
                break;
            }
        };
        let mut out = String::new();
        let flow = session.run(&line, &mut out);
        print!("{out}");
        if let Some(path) = &history {
            let _ = editor.save_history(path);
        }
        if flow == Ok(Flow::Quit) {
            break;
        }
        // A command may have loaded another policy: complete its names.
        if let Some(helper) = editor.helper_mut() {
            helper.vocabulary = Vocabulary::of(session.policy());
        }
    }
    crate::Outcome::Done
}
