//! Deciding JSON Lines in bulk: one decision per line, in input order, on several threads,
//! in constant memory. Every line is accounted for: decided, decided with problems, or
//! reported with its line number and, when readable, its ticket id.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::{mpsc, Mutex};

use crate::decision::Decision;
use crate::eval::trace::TraceLevel;
use crate::policy::Policy;
use crate::ticket::PreparedTicket;

/// How to decide a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// How much trace each decision carries.
    pub trace: TraceLevel,
    /// Indent each decision for people (one decision then spans several lines).
    pub pretty: bool,
    /// Threads deciding, the calling thread included; 1 decides on the calling thread alone.
    pub jobs: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { trace: TraceLevel::Rules, pretty: false, jobs: 1 }
    }
}

/// Something to tell about one input line: why it was not decided, or what its decision
/// could not reckon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineReport {
    /// The line, from 1.
    pub line: usize,
    /// Whether the line was decided (its decision lacks what could not be reckoned) or not.
    pub decided: bool,
    /// What went wrong, naming the ticket when its id is readable.
    pub message: String,
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
/// thread reading and writing does little more than copy. It carries an empty output
/// buffer for the worker to fill, and the buffers travel back in [`Done`] to be used again:
/// large buffers allocated anew for every chunk would cost more in page faults than
/// deciding the tickets.
struct Chunk {
    seq: u64,
    bytes: Vec<u8>,
    output: Vec<u8>,
}

/// A chunk decided: its output, what to tell (lines counted from 1 within the chunk), how
/// many lines it had, its counts, and its buffers back.
struct Done {
    seq: u64,
    output: Vec<u8>,
    reports: Vec<LineReport>,
    lines: usize,
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
        Worker { policy, options, ticket: PreparedTicket::new(), decision: policy.decision(options.trace) }
    }

    /// Decide one line; blank lines are skipped.
    fn line(&mut self, n: usize, bytes: &[u8], out: &mut Vec<u8>, reports: &mut Vec<LineReport>) -> BatchSummary {
        let mut summary = BatchSummary::default();
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.trim_end_matches(['\n', '\r']),
            Err(e) => {
                summary.failed = 1;
                reports.push(LineReport { line: n, decided: false, message: format!("not valid UTF-8: {e}") });
                return summary;
            }
        };
        if text.trim().is_empty() {
            return summary;
        }
        if let Err(e) = self.policy.read_into(text, &mut self.ticket) {
            summary.failed = 1;
            reports.push(LineReport { line: n, decided: false, message: e.to_string() });
            return summary;
        }
        self.policy.decide_into(&self.ticket, &mut self.decision);
        if self.options.pretty {
            if let Err(e) = serde_json::to_writer_pretty(&mut *out, &self.decision) {
                summary.failed = 1;
                reports.push(LineReport {
                    line: n,
                    decided: false,
                    message: format!("cannot write the decision: {e}"),
                });
                return summary;
            }
        } else {
            self.decision.write_json(out);
        }
        out.push(b'\n');
        for problem in self.decision.problems() {
            let message = format!("{}: {problem}", self.decision.ticket());
            reports.push(LineReport { line: n, decided: true, message });
        }
        if self.decision.problems().is_empty() {
            summary.decided = 1;
        } else {
            summary.with_problems = 1;
        }
        summary
    }

    fn chunk(&mut self, chunk: Chunk) -> Done {
        let Chunk { seq, bytes, mut output } = chunk;
        output.clear();
        let mut reports = Vec::new();
        let mut summary = BatchSummary::default();
        let (mut start, mut lines) = (0, 0);
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
            lines += 1;
            summary += self.line(lines, &bytes[start..end], &mut output, &mut reports);
            start = end;
        }
        Done { seq, output, reports, lines, summary, bytes }
    }
}

/// Read whole lines, about [`CHUNK_BYTES`] of them, into `bytes`, taking from the reader
/// only what ends at a line end (or the input's end). Whether the input has ended.
fn read_block(input: &mut impl BufRead, bytes: &mut Vec<u8>) -> io::Result<bool> {
    bytes.clear();
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(true);
        }
        // Once a chunk's worth is there: the last line end that fits, or else (a line longer
        // than a chunk) the first one after.
        let room = CHUNK_BYTES.saturating_sub(bytes.len());
        let end = if buffer.len() < room {
            None
        } else {
            memchr::memrchr(b'\n', &buffer[..room]).or_else(|| memchr::memchr(b'\n', &buffer[room..]).map(|i| room + i))
        };
        match end {
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

/// Decide every line of `input` (JSON Lines), writing one decision per decided line to
/// `output` in input order, and telling `report` about every line that was not decided or
/// whose decision has problems, in input order too. With `jobs` above 1, lines are decided
/// on that many threads, with a bounded number of lines in flight.
pub fn decide_lines(
    policy: &Policy,
    mut input: impl BufRead,
    output: &mut impl Write,
    options: BatchOptions,
    mut report: impl FnMut(&LineReport),
) -> io::Result<BatchSummary> {
    let mut total = BatchSummary::default();
    if options.jobs <= 1 {
        let mut worker = Worker::new(policy, options);
        let mut decided = Vec::new();
        let mut reports = Vec::new();
        // A line split by the reader's buffer is put together here; whole lines are decided
        // where they lie.
        let mut partial: Vec<u8> = Vec::new();
        let mut line = 1;
        loop {
            let buffer = input.fill_buf()?;
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
                    output.write_all(&decided)?;
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
        output.write_all(&decided)?;
        reports.iter().for_each(&mut report);
        return Ok(total);
    }

    // The calling thread reads, writes, and decides chunks too, between the `jobs - 1`
    // threads it starts: `jobs` threads in all, none waiting on another to be scheduled.
    let limit = (options.jobs * IN_FLIGHT) as u64;
    let (work, queue) = mpsc::sync_channel::<Chunk>(options.jobs * IN_FLIGHT);
    let queue = Mutex::new(queue);
    let (finished, results) = mpsc::channel::<Done>();
    std::thread::scope(|scope| -> io::Result<BatchSummary> {
        for _ in 1..options.jobs {
            let (queue, finished) = (&queue, finished.clone());
            scope.spawn(move || {
                let mut worker = Worker::new(policy, options);
                loop {
                    // The lock is held only to take the next chunk.
                    let next = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    if finished.send(worker.chunk(chunk)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(finished);
        let mut own = Worker::new(policy, options);
        // Chunks decided out of turn wait here; at most the chunks in flight.
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        // Chunks written, whose buffers are used again.
        let mut spare: Vec<Done> = Vec::new();
        let (mut sent, mut written, mut first_line) = (0u64, 0u64, 0usize);
        let mut input_done = false;
        let result = (|| -> io::Result<()> {
            loop {
                while !input_done && sent - written < limit {
                    let (mut bytes, output) = spare.pop().map_or_else(Default::default, |d| (d.bytes, d.output));
                    input_done = read_block(&mut input, &mut bytes)?;
                    if bytes.is_empty() {
                        continue;
                    }
                    if work.send(Chunk { seq: sent, bytes, output }).is_err() {
                        return Err(io::Error::other("a worker stopped"));
                    }
                    sent += 1;
                }
                if written == sent {
                    return Ok(());
                }
                // Decide a chunk here while there is one; else wait for a worker's. A worker
                // waits for work holding the queue's lock, so that lock is only tried.
                let mine = match queue.try_lock() {
                    Ok(q) => q.try_recv().ok(),
                    Err(_) => None,
                };
                let done = match mine {
                    Some(chunk) => own.chunk(chunk),
                    None => results.recv().map_err(|_| io::Error::other("a worker stopped"))?,
                };
                waiting.insert(done.seq, done);
                waiting.extend(results.try_iter().map(|d| (d.seq, d)));
                while let Some(mut done) = waiting.remove(&written) {
                    output.write_all(&done.output)?;
                    for mut r in done.reports.drain(..) {
                        r.line += first_line;
                        report(&r);
                    }
                    first_line += done.lines;
                    total += done.summary;
                    written += 1;
                    spare.push(done);
                }
            }
        })();
        // Closing the queue lets the workers finish, whether or not all went well.
        drop(work);
        result.map(|()| total)
    })
}
