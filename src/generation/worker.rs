//! The ingest side of a generation: batches of event lines from the JS thread, decoded and fed to
//! every signal's mapper on one recording thread, plus the gateway's file log where it is followed.

use super::Shared;
use crate::catalog::agent::Agents;
use crate::config::Level;
use crate::event::compact::{split_texts, Batch, Projection};
use crate::event::{parse, Event, Malformed, Trust};
use crate::export::batch::Batcher;
use crate::signals::filelog::{follow, FileLogSource};
use crate::signals::logs::{LogItem, LogMapper};
use crate::signals::metrics::{Outcome, Recorder};
use crate::signals::spans::Tracer;
use opentelemetry_sdk::trace::SpanData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

pub enum Msg {
    /// Events as lines: one trust digit (`Trust::from_bits`), then the event's JSON.
    Batch(String),
    /// `records` compact records (`event::compact`) in the generation's projection: the slots
    /// packed, the texts joined.
    Columns {
        packed: Vec<u8>,
        texts: String,
        lens: Vec<u32>,
        records: u32,
    },
    Barrier(SyncSender<()>),
}

/// A batch line's trust digit and JSON; a line without a digit counts as untrusted.
pub fn split_trust(line: &str) -> (Trust, &str) {
    match line.as_bytes().first() {
        Some(d @ b'0'..=b'7') => (Trust::from_bits(u32::from(d - b'0')), &line[1..]),
        _ => (Trust::default(), line),
    }
}

/// Follow the gateway's file log into the log batcher; None (with a warning) if it cannot start.
pub(super) fn follow_file_log(
    source: &FileLogSource,
    mapper: LogMapper,
    batcher: Arc<Batcher<LogItem>>,
    shared: &Arc<Shared>,
) -> Option<(SyncSender<()>, std::thread::JoinHandle<()>)> {
    let (stop, stopped) = sync_channel::<()>(1);
    let counting = shared.clone();
    let each = move |ev: crate::event::Event| {
        counting.counters.received.fetch_add(1, Relaxed);
        match mapper.map(&ev, Trust::default()) {
            Ok(Some(item)) => {
                counting.counters.recorded.fetch_add(1, Relaxed);
                batcher.push(item);
            }
            Ok(None) => {}
            Err(Malformed(why)) => counting.note_malformed(&why),
        }
    };
    match follow(source.clone(), stopped, each) {
        Ok(handle) => Some((stop, handle)),
        Err(e) => {
            shared.reporter.logs.push(Level::Warn, format!("diagnostics-otel: not following the gateway's file log: {e}"));
            None
        }
    }
}

/// Everything the recording thread feeds: metrics always (the exporter's own events live
/// there), spans and log records when those signals are on; and the generation's memory of
/// which agent each run and session belongs to, which lives and dies with this thread.
pub(super) struct Feeds {
    pub(super) recorder: Recorder,
    pub(super) spans: Option<(Tracer, Arc<Batcher<SpanData>>)>,
    pub(super) logs: Option<(LogMapper, Arc<Batcher<LogItem>>)>,
    pub(super) agents: Agents,
}

impl Feeds {
    fn record(&mut self, ev: Result<Event, Malformed>, trust: Trust) -> Outcome {
        let ev = ev.map(|mut ev| {
            self.agents.resolve(&mut ev);
            ev
        });
        let mappers =
            Mappers { recorder: &self.recorder, spans: self.spans.as_ref().map(|(t, _)| t), logs: self.logs.as_ref().map(|(m, _)| m) };
        let push_span = |span| {
            if let Some((_, batcher)) = &self.spans {
                batcher.push(span);
            }
        };
        let push_log = |item| {
            if let Some((_, batcher)) = &self.logs {
                batcher.push(item);
            }
        };
        match ev {
            Ok(ev) => mappers.record_event(&ev, trust, push_span, push_log),
            Err(Malformed(why)) => Outcome::Malformed(why),
        }
    }

    /// One event through every mapper, a panic counted as malformed, not let through.
    fn count(&mut self, ev: Result<Event, Malformed>, trust: Trust, shared: &Shared) {
        let c = &shared.counters;
        match catch_unwind(AssertUnwindSafe(|| self.record(ev, trust))) {
            Ok(Outcome::Recorded) => {
                c.recorded.fetch_add(1, Relaxed);
            }
            Ok(Outcome::Ignored) => {
                c.ignored.fetch_add(1, Relaxed);
            }
            Ok(Outcome::Malformed(why)) => shared.note_malformed(&why),
            Err(_) => shared.note_malformed("internal error while recording"),
        }
    }
}

/// One event through every signal's mapper: what the recording thread runs per event, with the
/// spans and the log record handed to `span_out` and `log_out` (the batchers here; the property
/// tests and fuzz targets pass their own checks).
pub struct Mappers<'a> {
    pub recorder: &'a Recorder,
    pub spans: Option<&'a Tracer>,
    pub logs: Option<&'a LogMapper>,
}

impl Mappers<'_> {
    pub fn record(&self, json: &str, trust: Trust, span_out: impl FnMut(SpanData), log_out: impl FnMut(LogItem)) -> Outcome {
        match parse(json) {
            Ok(ev) => self.record_event(&ev, trust, span_out, log_out),
            Err(Malformed(why)) => Outcome::Malformed(why),
        }
    }

    pub fn record_event(&self, ev: &Event, trust: Trust, mut span_out: impl FnMut(SpanData), mut log_out: impl FnMut(LogItem)) -> Outcome {
        // Every signal reads the event before any records it: a malformed event is skipped
        // whole, not counted malformed after its metrics went in.
        let taken = match self.recorder.take(ev, trust) {
            Ok(taken) => taken,
            Err(Malformed(why)) => return Outcome::Malformed(why),
        };
        let mut outcome = if taken.is_some() { Outcome::Recorded } else { Outcome::Ignored };
        let spans = match self.spans.map(|tracer| tracer.spans(ev, trust)) {
            None => Vec::new(),
            Some(Ok((spans, decision))) => {
                if decision.built + decision.sampled_out > 0 {
                    outcome = Outcome::Recorded;
                }
                spans
            }
            Some(Err(Malformed(why))) => return Outcome::Malformed(why),
        };
        let item = match self.logs.map(|mapper| mapper.map(ev, trust)) {
            None => None,
            Some(Ok(item)) => item,
            Some(Err(Malformed(why))) => return Outcome::Malformed(why),
        };
        if let Some(taken) = taken {
            self.recorder.apply(taken);
        }
        for span in spans {
            span_out(span);
        }
        if let Some(item) = item {
            log_out(item);
            outcome = Outcome::Recorded;
        }
        outcome
    }
}

/// What a columns batch holds in memory, for the queue's byte bound.
pub fn columns_bytes(packed: &[u8], texts: &str, lens: &[u32]) -> usize {
    packed.len() + texts.len() + lens.len() * 4
}

pub(super) fn worker(rx: Receiver<Msg>, mut feeds: Feeds, projection: Arc<Projection>, shared: Arc<Shared>, done: SyncSender<()>) {
    for msg in rx {
        match msg {
            Msg::Batch(lines) => {
                shared.queued_bytes.fetch_sub(lines.len(), Relaxed);
                for line in lines.split('\n').filter(|l| !l.is_empty()) {
                    let (trust, json) = split_trust(line);
                    let ev = catch_unwind(|| parse(json)).unwrap_or_else(|_| Err(Malformed("internal error while decoding".into())));
                    feeds.count(ev, trust, &shared);
                }
            }
            Msg::Columns { packed, texts, lens, records } => {
                shared.queued_bytes.fetch_sub(columns_bytes(&packed, &texts, &lens), Relaxed);
                let mut read = 0usize;
                if let Some(texts) = split_texts(&texts, &lens) {
                    let batch = Batch { packed: &packed, texts };
                    let _ = catch_unwind(AssertUnwindSafe(|| {
                        projection.decode(&batch, |trust, ev| {
                            read += 1;
                            feeds.count(ev, trust, &shared);
                        })
                    }));
                }
                // A bug, not the events' fault; counted so that nothing goes missing unseen.
                for _ in read..records as usize {
                    shared.note_malformed("internal error: a compact batch went out of step");
                }
            }
            Msg::Barrier(ack) => {
                let _ = ack.try_send(());
            }
        }
    }
    let _ = done.try_send(());
}
