//! Deciding JSON Lines in bulk: one decision per line, in input order, on several threads,
//! in constant memory. Every line is accounted for: decided, decided with problems, or
//! reported with its line number and, when readable, its ticket id.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use serde::Serialize;

use crate::decision::Decision;
use crate::eval::trace::TraceLevel;
use crate::policy::Policy;
use crate::ticket::{FieldProblemKind, PreparedTicket, TicketError, WHOLE};

/// How to decide a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// How much trace each decision carries.
    pub trace: TraceLevel,
    /// Indent each decision for people (one decision then spans several lines).
    pub pretty: bool,
    /// Threads deciding, the calling thread included; 1 decides on the calling thread alone.
    /// At most [`MAX_JOBS`] are started: each keeps chunks of lines in flight, and more
    /// threads than a machine has cores decide no faster.
    pub jobs: usize,
    /// When decisions are pushed through to the output.
    pub flush: Flush,
    /// Write an error record in place of each line that could not be decided, and an empty
    /// line for each blank one, so that output line N answers input line N. Without it, a
    /// line not decided is told to `report` only and leaves no line in the output.
    pub inline_errors: bool,
    /// Refuse a ticket with a key one edit away from an optional field it lacks (a near
    /// miss, see [`PreparedTicket::strict`]); without it, a near miss is told to `report`
    /// as a warning and the ticket is decided with the field absent.
    pub strict: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            trace: TraceLevel::Rules,
            pretty: false,
            jobs: 1,
            flush: Flush::Blocks,
            inline_errors: false,
            strict: false,
        }
    }
}

/// When decisions are pushed through to the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flush {
    /// In large blocks, and the output is left for the caller to flush: fastest, for files.
    #[default]
    Blocks,
    /// Before more input is read, every decision of the input read so far is written and the
    /// output flushed; with several threads, only the lines at hand are read, so no decision
    /// waits for input that may not come. For streams (a pipe, a terminal): a program that
    /// writes a ticket and waits for its decision gets it.
    Streaming,
}

/// Why a batch stopped before the end of its input. Lines decided before it stopped were
/// written and reported; nothing is decided after it.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The input could not be read.
    #[error("cannot read the tickets: {0}")]
    Read(#[source] io::Error),
    /// The output could not be written: a full disk, or a reader that went away
    /// ([`io::ErrorKind::BrokenPipe`]), which a command line may take as a quiet end.
    #[error("cannot write the decisions: {0}")]
    Write(#[source] io::Error),
}

impl BatchError {
    /// The underlying error, whichever side it came from.
    pub fn io_error(&self) -> &io::Error {
        match self {
            BatchError::Read(e) | BatchError::Write(e) => e,
        }
    }
}

impl From<BatchError> for io::Error {
    fn from(e: BatchError) -> io::Error {
        match e {
            BatchError::Read(e) | BatchError::Write(e) => e,
        }
    }
}

/// Something to tell about one input line: why it was not decided, or what its decision
/// could not reckon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineReport {
    /// The line, from 1.
    pub line: usize,
    /// What kind of thing is told.
    pub kind: ReportKind,
    /// What went wrong, naming the ticket when its id is readable.
    pub message: String,
}

/// What a [`LineReport`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// The line could not be decided.
    NotDecided,
    /// The line was decided, but its decision lacks what could not be reckoned.
    Problem,
    /// The line was decided in full; something about it deserves a look (a near miss).
    Warning,
}

/// What a batch did with its lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Lines decided in full.
    pub decided: usize,
    /// Lines decided, with parts that could not be reckoned (listed in their `problems`).
    pub with_problems: usize,
    /// Lines that could not be decided.
    pub failed: usize,
}

impl std::ops::AddAssign for BatchSummary {
    fn add_assign(&mut self, other: BatchSummary) {
        self.decided += other.decided;
        self.with_problems += other.with_problems;
        self.failed += other.failed;
    }
}

/// Bytes of input per chunk handed to a worker: enough to make handing over cheap, few
/// enough to keep memory constant and output flowing.
const CHUNK_BYTES: usize = 1 << 17;
/// Chunks in flight per worker.
const IN_FLIGHT: usize = 4;

/// Whole lines of input, read in one block: the worker finds where each ends, so the
/// thread reading and writing does little more than copy and count line ends (so that a
/// worker numbers its lines as the input does, in reports and error records). It carries an empty output
/// buffer for the worker to fill, and the buffers travel back in [`Done`] to be used again:
/// large buffers allocated anew for every chunk would cost more in page faults than
/// deciding the tickets.
struct Chunk {
    seq: u64,
    /// Lines of input before this chunk's first.
    lines_before: usize,
    bytes: Vec<u8>,
    output: Vec<u8>,
}

/// A chunk decided: its output, what to tell, its counts, and its buffers back.
struct Done {
    seq: u64,
    output: Vec<u8>,
    reports: Vec<LineReport>,
    summary: BatchSummary,
    bytes: Vec<u8>,
}

/// Decides lines into output, reusing its buffers from line to line.
struct Worker<'p> {
    policy: &'p Policy,
    options: BatchOptions,
    ticket: PreparedTicket,
    decision: Decision<'p>,
}

impl<'p> Worker<'p> {
    fn new(policy: &'p Policy, options: BatchOptions) -> Worker<'p> {
        let ticket = if options.strict { PreparedTicket::strict() } else { PreparedTicket::new() };
        Worker { policy, options, ticket, decision: policy.decision(options.trace) }
    }

    /// Decide one line; blank lines are skipped (or, with inline errors, answered by an empty
    /// line).
    fn line(&mut self, n: usize, bytes: &[u8], out: &mut Vec<u8>, reports: &mut Vec<LineReport>) -> BatchSummary {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.trim_end_matches(['\n', '\r']),
            Err(e) => {
                let message = format!("not valid UTF-8: {e}");
                return self.fail(ErrorRecord::new(n, None, "not_utf8", message, Vec::new()), out, reports);
            }
        };
        if text.trim().is_empty() {
            if self.options.inline_errors {
                out.push(b'\n');
            }
            return BatchSummary::default();
        }
        if let Err(e) = self.policy.read_into(text, &mut self.ticket) {
            return self.fail(ErrorRecord::of_ticket(n, &e), out, reports);
        }
        self.policy.decide_into(&self.ticket, &mut self.decision);
        for miss in self.ticket.near_misses() {
            let message = format!(
                "{}: warning: `{}` is not a field of the policy, did you mean `{}`? It is decided as absent",
                self.decision.ticket(),
                miss.given,
                miss.meant
            );
            reports.push(LineReport { line: n, kind: ReportKind::Warning, message });
        }
        let mut summary = BatchSummary::default();
        if self.options.pretty {
            let start = out.len();
            if let Err(e) = serde_json::to_writer_pretty(&mut *out, &self.decision) {
                out.truncate(start);
                let id = Some(self.decision.ticket());
                let record = ErrorRecord::new(n, id, "output", format!("cannot write the decision: {e}"), Vec::new());
                return self.fail(record, out, reports);
            }
        } else {
            self.decision.write_json(out);
        }
        out.push(b'\n');
        for problem in self.decision.problems() {
            let message = format!("{}: {problem}", self.decision.ticket());
            reports.push(LineReport { line: n, kind: ReportKind::Problem, message });
        }
        if self.decision.problems().is_empty() {
            summary.decided = 1;
        } else {
            summary.with_problems = 1;
        }
        summary
    }

    /// A line not decided: reported, and with inline errors, its record written in its place.
    fn fail(&self, record: ErrorRecord<'_>, out: &mut Vec<u8>, reports: &mut Vec<LineReport>) -> BatchSummary {
        if self.options.inline_errors {
            let written = match self.options.pretty {
                true => serde_json::to_writer_pretty(&mut *out, &record),
                false => serde_json::to_writer(&mut *out, &record),
            };
            // INVARIANT: a record is texts and numbers, which always serialise.
            debug_assert!(written.is_ok(), "an error record serialises");
            out.push(b'\n');
        }
        reports.push(LineReport { line: record.line, kind: ReportKind::NotDecided, message: record.message });
        BatchSummary { failed: 1, ..BatchSummary::default() }
    }

    fn chunk(&mut self, chunk: Chunk) -> Done {
        let Chunk { seq, lines_before, bytes, mut output } = chunk;
        output.clear();
        let mut reports = Vec::new();
        let mut summary = BatchSummary::default();
        let (mut start, mut line) = (0, lines_before);
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
            line += 1;
            summary += self.line(line, &bytes[start..end], &mut output, &mut reports);
            start = end;
        }
        Done { seq, output, reports, summary, bytes }
    }
}

/// What the output holds, with inline errors, in place of a line that could not be decided:
/// `{"line": 3, "ticket": "BAD", "error": "invalid_ticket", "message": "BAD: received_at: is
/// missing", "problems": [{"path": "received_at", "problem": "missing", "message": "is
/// missing"}]}`. A decision never has an `error` key, so a reader tells them apart by it.
#[derive(Serialize)]
struct ErrorRecord<'a> {
    /// The input line, from 1.
    line: usize,
    /// The ticket's id, when it is readable; else `null`.
    ticket: Option<&'a str>,
    /// What kind of failure: `not_utf8`, `not_json`, `invalid_ticket` or `output`.
    error: &'static str,
    /// The whole story in words, as `report` is told it.
    message: String,
    /// Each thing wrong with the ticket, in schema order.
    problems: Vec<ProblemRecord<'a>>,
}

/// One thing wrong with one field of a ticket, in an [`ErrorRecord`].
#[derive(Serialize)]
struct ProblemRecord<'a> {
    /// The field's dotted path; `null` for the ticket as a whole.
    path: Option<&'a str>,
    /// A stable code: `missing`, `null`, `wrong_type`, `not_one_of`, `syntax`, …
    problem: &'static str,
    /// What is wrong, in words.
    message: String,
}

impl<'a> ErrorRecord<'a> {
    fn new(
        line: usize,
        ticket: Option<&'a str>,
        error: &'static str,
        message: String,
        problems: Vec<ProblemRecord<'a>>,
    ) -> ErrorRecord<'a> {
        ErrorRecord { line, ticket, error, message, problems }
    }

    fn of_ticket(line: usize, e: &'a TicketError) -> ErrorRecord<'a> {
        let syntax = e.problems.iter().any(|p| matches!(p.kind, FieldProblemKind::Syntax { .. }));
        let problems = e
            .problems
            .iter()
            .map(|p| ProblemRecord {
                path: Some(p.path.as_str()).filter(|&path| path != WHOLE),
                problem: p.kind.code(),
                message: p.kind.to_string(),
            })
            .collect();
        let error = if syntax { "not_json" } else { "invalid_ticket" };
        ErrorRecord::new(line, e.ticket.as_deref(), error, e.to_string(), problems)
    }
}

/// Read whole lines, about [`CHUNK_BYTES`] of them, into `bytes`, taking from the reader
/// only what ends at a line end (or the input's end). Whether the input has ended.
fn read_block(input: &mut impl BufRead, bytes: &mut Vec<u8>) -> io::Result<bool> {
    read_lines(input, bytes, |bytes, buffer| {
        // Once a chunk's worth is there: the last line end that fits, or else (a line longer
        // than a chunk) the first one after.
        let room = CHUNK_BYTES.saturating_sub(bytes.len());
        if buffer.len() < room {
            None
        } else {
            memchr::memrchr(b'\n', &buffer[..room]).or_else(|| memchr::memchr(b'\n', &buffer[room..]).map(|i| room + i))
        }
    })
}

/// Read the whole lines the reader has at hand into `bytes`, waiting for more only to
/// complete a line: a stream's writer may wait for our answers before it writes again.
/// Whether the input has ended.
fn read_available(input: &mut impl BufRead, bytes: &mut Vec<u8>) -> io::Result<bool> {
    read_lines(input, bytes, |_, buffer| memchr::memrchr(b'\n', buffer))
}

/// Fill `bytes` from the reader's buffers up to the line end `end` picks in one of them
/// (given what is read so far); a buffer without one is taken whole. Whether the input
/// has ended.
fn read_lines(
    input: &mut impl BufRead,
    bytes: &mut Vec<u8>,
    end: impl Fn(&[u8], &[u8]) -> Option<usize>,
) -> io::Result<bool> {
    bytes.clear();
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(true);
        }
        match end(bytes, buffer) {
            Some(last) => {
                bytes.extend_from_slice(&buffer[..=last]);
                input.consume(last + 1);
                return Ok(false);
            }
            None => {
                bytes.extend_from_slice(buffer);
                let n = buffer.len();
                input.consume(n);
            }
        }
    }
}

/// The most threads a batch starts, whatever it is asked.
pub const MAX_JOBS: usize = 256;

/// The smallest piece of a stream's block worth handing to another thread.
const MIN_PIECE: usize = 1 << 14;

/// A block of whole lines cut at line ends into at most `jobs` pieces of at least
/// [`MIN_PIECE`] bytes (one piece when the block is smaller), to decide side by side.
fn pieces(block: &[u8], jobs: usize) -> Vec<&[u8]> {
    let count = (block.len() / MIN_PIECE).clamp(1, jobs.max(1));
    let mut out = Vec::with_capacity(count);
    let mut start = 0;
    for i in 1..count {
        let target = (block.len() * i / count).max(start);
        let Some(end) = memchr::memchr(b'\n', &block[target..]).map(|j| target + j + 1) else { break };
        out.push(&block[start..end]);
        start = end;
    }
    if start < block.len() {
        out.push(&block[start..]);
    }
    out
}

/// Decide every line of `input` (JSON Lines), writing one decision per decided line to
/// `output` in input order, and telling `report` about every line that was not decided or
/// whose decision has problems, in input order too. With `jobs` above 1, lines are decided
/// on that many threads, with a bounded number of lines in flight.
///
/// The first error reading or writing stops the batch at once: nothing more is read or
/// decided. With [`Flush::Blocks`] the caller flushes `output` at the end; with
/// [`Flush::Streaming`] it is flushed before every read.
pub fn decide_lines(
    policy: &Policy,
    input: impl BufRead,
    output: &mut impl Write,
    options: BatchOptions,
    report: impl FnMut(&LineReport),
) -> Result<BatchSummary, BatchError> {
    let options = BatchOptions { jobs: options.jobs.min(MAX_JOBS), ..options };
    if options.jobs <= 1 {
        on_one_thread(policy, input, output, options, report)
    } else {
        on_threads(policy, input, output, options, report)
    }
}

/// Lines decided in place in the reader's buffer, on the calling thread.
fn on_one_thread(
    policy: &Policy,
    mut input: impl BufRead,
    output: &mut impl Write,
    options: BatchOptions,
    mut report: impl FnMut(&LineReport),
) -> Result<BatchSummary, BatchError> {
    let streaming = options.flush == Flush::Streaming;
    let mut total = BatchSummary::default();
    let mut worker = Worker::new(policy, options);
    let mut decided = Vec::new();
    let mut reports = Vec::new();
    // A line split by the reader's buffer is put together here; whole lines are decided
    // where they lie.
    let mut partial: Vec<u8> = Vec::new();
    let mut line = 1;
    loop {
        if streaming {
            // Reading may wait for the other side, which may wait for these decisions.
            output.write_all(&decided).and_then(|()| output.flush()).map_err(BatchError::Write)?;
            decided.clear();
        }
        let buffer = input.fill_buf().map_err(BatchError::Read)?;
        if buffer.is_empty() {
            break;
        }
        let mut start = 0;
        while let Some(end) = memchr::memchr(b'\n', &buffer[start..]).map(|i| start + i + 1) {
            let summary = if partial.is_empty() {
                worker.line(line, &buffer[start..end], &mut decided, &mut reports)
            } else {
                partial.extend_from_slice(&buffer[start..end]);
                let summary = worker.line(line, &partial, &mut decided, &mut reports);
                partial.clear();
                summary
            };
            total += summary;
            line += 1;
            start = end;
            // Written every few hundred decisions, so output flows and memory stays flat.
            if decided.len() >= 1 << 16 || !reports.is_empty() {
                output.write_all(&decided).map_err(BatchError::Write)?;
                decided.clear();
                reports.drain(..).for_each(|r| report(&r));
            }
        }
        partial.extend_from_slice(&buffer[start..]);
        let consumed = buffer.len();
        input.consume(consumed);
    }
    if !partial.is_empty() {
        total += worker.line(line, &partial, &mut decided, &mut reports);
    }
    output.write_all(&decided).map_err(BatchError::Write)?;
    reports.iter().for_each(&mut report);
    if streaming {
        output.flush().map_err(BatchError::Write)?;
    }
    Ok(total)
}

/// Blocks of lines decided on `jobs` threads, written in input order by the calling thread.
/// Sends `None` when the worker that holds it panics.
struct Alarm(mpsc::Sender<Option<Done>>);

impl Drop for Alarm {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The calling thread may have stopped listening already; then nobody waits.
            let _ = self.0.send(None);
        }
    }
}

fn on_threads(
    policy: &Policy,
    mut input: impl BufRead,
    output: &mut impl Write,
    options: BatchOptions,
    mut report: impl FnMut(&LineReport),
) -> Result<BatchSummary, BatchError> {
    let streaming = options.flush == Flush::Streaming;
    let mut total = BatchSummary::default();
    // The calling thread reads, writes, and decides chunks too, between the `jobs - 1`
    // threads it starts: `jobs` threads in all, none waiting on another to be scheduled.
    let limit = (options.jobs * IN_FLIGHT) as u64;
    let (work, queue) = mpsc::sync_channel::<Chunk>(options.jobs * IN_FLIGHT);
    let queue = Mutex::new(queue);
    // `None` says a worker panicked: its chunk will never come.
    let (finished, results) = mpsc::channel::<Option<Done>>();
    // Set when the batch stops early: the chunks still queued are then left undecided.
    let stop = AtomicBool::new(false);
    // Only a panic ends a worker while chunks are in flight, and the scope raises it again.
    let stopped = || BatchError::Read(io::Error::other("a thread deciding tickets stopped"));
    std::thread::scope(|scope| -> Result<BatchSummary, BatchError> {
        for _ in 1..options.jobs {
            let (queue, finished, stop) = (&queue, finished.clone(), &stop);
            // The system may refuse a thread (`--jobs 65535`): those started decide the
            // batch alone, as the calling thread would.
            let started = std::thread::Builder::new().spawn_scoped(scope, move || {
                // Without this, the calling thread would wait for the lost chunk forever
                // while the other workers keep the channel open; told, it stops, and the
                // scope raises the panic again.
                let _alarm = Alarm(finished.clone());
                let mut worker = Worker::new(policy, options);
                loop {
                    // The lock is held only to take the next chunk.
                    let next = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    if stop.load(Ordering::SeqCst) || finished.send(Some(worker.chunk(chunk))).is_err() {
                        return;
                    }
                }
            });
            if started.is_err() {
                break;
            }
        }
        drop(finished);
        let mut own = Worker::new(policy, options);
        // Chunks decided out of turn wait here; at most the chunks in flight.
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        // Chunks written, whose buffers are used again.
        let mut spare: Vec<Done> = Vec::new();
        // What a stream has at hand, before it is cut into chunks.
        let mut block = Vec::new();
        let (mut sent, mut written, mut lines_sent) = (0u64, 0u64, 0usize);
        let mut input_done = false;
        let result = (|| -> Result<(), BatchError> {
            loop {
                if streaming {
                    // Read only once every line read so far is answered: reading may wait
                    // for the other side, which may wait for those answers.
                    if written == sent {
                        output.flush().map_err(BatchError::Write)?;
                        if input_done {
                            return Ok(());
                        }
                        input_done = read_available(&mut input, &mut block).map_err(BatchError::Read)?;
                        for piece in pieces(&block, options.jobs) {
                            let (mut bytes, output) =
                                spare.pop().map_or_else(Default::default, |d| (d.bytes, d.output));
                            bytes.clear();
                            bytes.extend_from_slice(piece);
                            let lines_before = lines_sent;
                            lines_sent += memchr::memchr_iter(b'\n', &bytes).count();
                            work.send(Chunk { seq: sent, lines_before, bytes, output }).map_err(|_| stopped())?;
                            sent += 1;
                        }
                        continue;
                    }
                } else {
                    while !input_done && sent - written < limit {
                        let (mut bytes, output) = spare.pop().map_or_else(Default::default, |d| (d.bytes, d.output));
                        input_done = read_block(&mut input, &mut bytes).map_err(BatchError::Read)?;
                        if bytes.is_empty() {
                            continue;
                        }
                        // Only the input's last chunk may end without a line end.
                        let lines_before = lines_sent;
                        lines_sent += memchr::memchr_iter(b'\n', &bytes).count();
                        work.send(Chunk { seq: sent, lines_before, bytes, output }).map_err(|_| stopped())?;
                        sent += 1;
                    }
                    if written == sent {
                        return Ok(());
                    }
                }
                // Decide a chunk here while there is one; else wait for a worker's. A worker
                // waits for work holding the queue's lock, so that lock is only tried.
                let mine = match queue.try_lock() {
                    Ok(q) => q.try_recv().ok(),
                    Err(_) => None,
                };
                let done = match mine {
                    Some(chunk) => own.chunk(chunk),
                    None => results.recv().ok().flatten().ok_or_else(stopped)?,
                };
                waiting.insert(done.seq, done);
                for done in results.try_iter() {
                    let done = done.ok_or_else(stopped)?;
                    waiting.insert(done.seq, done);
                }
                while let Some(mut done) = waiting.remove(&written) {
                    output.write_all(&done.output).map_err(BatchError::Write)?;
                    done.reports.drain(..).for_each(|r| report(&r));
                    total += done.summary;
                    written += 1;
                    spare.push(done);
                }
            }
        })();
        if result.is_err() {
            stop.store(true, Ordering::SeqCst);
        }
        // Closing the queue lets the workers finish, whether or not all went well.
        drop(work);
        result.map(|()| total)
    })
}
