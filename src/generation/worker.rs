//! The ingest side of a generation: batches of event lines from the JS thread, decoded and fed to
//! every signal's mapper on one recording thread, plus the gateway's file log where it is followed.

use super::Shared;
use crate::config::Level;
use crate::event::{parse, Malformed, Trust};
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
/// there), spans and log records when those signals are on.
pub(super) struct Feeds {
    pub(super) recorder: Recorder,
    pub(super) spans: Option<(Tracer, Arc<Batcher<SpanData>>)>,
    pub(super) logs: Option<(LogMapper, Arc<Batcher<LogItem>>)>,
}

impl Feeds {
    fn record(&self, json: &str, trust: Trust) -> Outcome {
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
        mappers.record(json, trust, push_span, push_log)
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
    pub fn record(&self, json: &str, trust: Trust, mut span_out: impl FnMut(SpanData), mut log_out: impl FnMut(LogItem)) -> Outcome {
        let ev = match parse(json) {
            Ok(ev) => ev,
            Err(Malformed(why)) => return Outcome::Malformed(why),
        };
        // Every signal reads the event before any records it: a malformed event is skipped
        // whole, not counted malformed after its metrics went in.
        let taken = match self.recorder.take(&ev, trust) {
            Ok(taken) => taken,
            Err(Malformed(why)) => return Outcome::Malformed(why),
        };
        let mut outcome = if taken.is_some() { Outcome::Recorded } else { Outcome::Ignored };
        let spans = match self.spans.map(|tracer| tracer.spans(&ev, trust)) {
            None => Vec::new(),
            Some(Ok((spans, decision))) => {
                if decision.built + decision.sampled_out > 0 {
                    outcome = Outcome::Recorded;
                }
                spans
            }
            Some(Err(Malformed(why))) => return Outcome::Malformed(why),
        };
        let item = match self.logs.map(|mapper| mapper.map(&ev, trust)) {
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

pub(super) fn worker(rx: Receiver<Msg>, feeds: Feeds, shared: Arc<Shared>, done: SyncSender<()>) {
    let c = &shared.counters;
    for msg in rx {
        match msg {
            Msg::Batch(lines) => {
                shared.queued_bytes.fetch_sub(lines.len(), Relaxed);
                for line in lines.split('\n').filter(|l| !l.is_empty()) {
                    let (trust, json) = split_trust(line);
                    match catch_unwind(AssertUnwindSafe(|| feeds.record(json, trust))) {
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
            Msg::Barrier(ack) => {
                let _ = ack.try_send(());
            }
        }
    }
    let _ = done.try_send(());
}
