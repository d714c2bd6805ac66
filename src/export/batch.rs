//! The bounded batch processor behind spans and log records: items wait in a queue of at most
//! `max_queue` (the rest are dropped and counted, never blocking the recorder) and leave from
//! one export thread in batches of `max_batch`, every `delay`, when a batch fills, on flush and
//! at shutdown. A batch the collector could not take for now (429, 503, a timeout) is kept and
//! sent again after a backoff, so an outage costs queue space rather than data; what is finally
//! lost is counted by cause.

use crate::config::BatchSettings;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What became of one export attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sent {
    Ok,
    /// Worth sending again, after at least this long when the collector said so (Retry-After).
    Retry(Option<Duration>),
    /// Refused for good (400, 401, 413...): sending it again would fail the same way.
    Rejected,
}

/// Where a batch goes. `deadline` bounds the whole call; the batch stays the caller's, for a retry.
pub trait Sink<T>: Send + 'static {
    fn export(&mut self, batch: &[T], deadline: Instant) -> Sent;
}

/// First wait before sending a batch again; doubles per attempt up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest Retry-After we honour: a collector asking for more is waited on this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
const STOP_MARGIN: Duration = Duration::from_millis(50);

/// The wait before attempt `attempt + 1` (attempt counts from 1): exponential with +-20 %
/// jitter, so that gateways restarted together do not retry in step; at least `hint`.
pub fn backoff(attempt: u32, hint: Option<Duration>) -> Duration {
    let exp = FIRST_BACKOFF.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let jitter = 0.8 + f64::from(nanos % 1000) / 2500.0;
    exp.mul_f64(jitter).max(hint.map_or(Duration::ZERO, |h| h.min(MAX_RETRY_AFTER)))
}

struct State<T> {
    queue: VecDeque<T>,
    flush_asked: u64,
    flush_done: u64,
    closed: bool,
    finished: bool,
    /// Bounds the exports that happen after `closed` (the final drain).
    final_deadline: Option<Instant>,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    wake: Condvar,
    progress: Condvar,
    settings: BatchSettings,
    dropped: AtomicU64,
    exported: AtomicU64,
    failed_exports: AtomicU64,
    /// Items the collector refused for good.
    rejected: AtomicU64,
    /// Items still unsent when the stop deadline came (the collector was away).
    lost_at_stop: AtomicU64,
    /// Export attempts that were a retry of a batch.
    retries: AtomicU64,
}

/// What happened to the items, for `status()`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counts {
    pub exported: u64,
    /// The queue was full (or closed): never queued.
    pub dropped: u64,
    pub rejected: u64,
    pub lost_at_stop: u64,
    pub retries: u64,
}

pub struct Batcher<T> {
    inner: Arc<Inner<T>>,
}

impl<T: Send + 'static> Batcher<T> {
    /// Starts the export thread; Err when the thread cannot be spawned.
    pub fn start(name: &str, settings: BatchSettings, mut sink: impl Sink<T>) -> Result<Self, String> {
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                flush_asked: 0,
                flush_done: 0,
                closed: false,
                finished: false,
                final_deadline: None,
            }),
            wake: Condvar::new(),
            progress: Condvar::new(),
            settings,
            dropped: AtomicU64::new(0),
            exported: AtomicU64::new(0),
            failed_exports: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            lost_at_stop: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        });
        let worker = inner.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || worker.run(&mut sink))
            .map_err(|e| format!("could not start its {name} thread: {e}"))?;
        Ok(Batcher { inner })
    }

    /// Queue one item; false (and counted) when the queue is full or closed.
    pub fn push(&self, item: T) -> bool {
        let Ok(mut s) = self.inner.state.lock() else { return false };
        if s.closed || s.queue.len() >= self.inner.settings.max_queue {
            self.inner.dropped.fetch_add(1, Relaxed);
            return false;
        }
        s.queue.push_back(item);
        if s.queue.len() >= self.inner.settings.max_batch {
            self.inner.wake.notify_one();
        }
        true
    }

    pub fn counts(&self) -> Counts {
        let i = &self.inner;
        Counts {
            exported: i.exported.load(Relaxed),
            dropped: i.dropped.load(Relaxed),
            rejected: i.rejected.load(Relaxed),
            lost_at_stop: i.lost_at_stop.load(Relaxed),
            retries: i.retries.load(Relaxed),
        }
    }

    /// Export everything queued so far, by `deadline`; Err says what went wrong.
    pub fn flush(&self, deadline: Instant) -> Result<(), &'static str> {
        let Ok(mut s) = self.inner.state.lock() else { return Err("unavailable") };
        if s.finished {
            return Ok(());
        }
        let failed_before = self.inner.failed_exports.load(Relaxed);
        s.flush_asked += 1;
        let ticket = s.flush_asked;
        self.inner.wake.notify_one();
        if !self.inner.wait(s, deadline, |s| s.flush_done >= ticket || s.finished) {
            return Err("not exported in time");
        }
        if self.inner.failed_exports.load(Relaxed) > failed_before {
            return Err("export failed");
        }
        Ok(())
    }

    /// Refuse new items, export what is queued, stop the thread; true when it stopped in time.
    /// Safe to call repeatedly.
    pub fn shutdown(&self, deadline: Instant) -> bool {
        let Ok(mut s) = self.inner.state.lock() else { return false };
        s.closed = true;
        s.final_deadline = Some(deadline);
        self.inner.wake.notify_one();
        self.inner.wait(s, deadline, |s| s.finished)
    }
}

impl<T: Send + 'static> Inner<T> {
    /// Wait for the export thread's progress until `done` holds; false at `deadline`.
    fn wait(&self, mut s: std::sync::MutexGuard<'_, State<T>>, deadline: Instant, done: impl Fn(&State<T>) -> bool) -> bool {
        while !done(&s) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            s = match self.progress.wait_timeout(s, left) {
                Ok((g, _)) => g,
                Err(_) => return false,
            };
        }
        true
    }

    fn run(&self, sink: &mut impl Sink<T>) {
        let mut last_export = Instant::now();
        loop {
            let (batch, ticket, deadline, closing) = {
                let Ok(mut s) = self.state.lock() else { return };
                loop {
                    let due = last_export.elapsed() >= self.settings.delay;
                    if s.closed || s.flush_asked > s.flush_done || s.queue.len() >= self.settings.max_batch || (due && !s.queue.is_empty())
                    {
                        break;
                    }
                    let wait =
                        if s.queue.is_empty() { self.settings.delay } else { self.settings.delay.saturating_sub(last_export.elapsed()) };
                    s = match self.wake.wait_timeout(s, wait.max(Duration::from_millis(1))) {
                        Ok((g, _)) => g,
                        Err(_) => return,
                    };
                    if s.queue.is_empty() && !s.closed && s.flush_asked == s.flush_done {
                        last_export = Instant::now();
                    }
                }
                let take = s.queue.len().min(self.settings.max_batch);
                let batch: Vec<T> = s.queue.drain(..take).collect();
                let drained = s.queue.is_empty();
                let ticket = if drained { Some(s.flush_asked) } else { None };
                let timeout = Instant::now() + self.settings.export_timeout;
                let deadline = s.final_deadline.map_or(timeout, |d| d.min(timeout));
                (batch, ticket, deadline, s.closed && drained)
            };
            if !batch.is_empty() {
                self.send(sink, &batch, deadline);
                last_export = Instant::now();
            }
            let Ok(mut s) = self.state.lock() else { return };
            if let Some(t) = ticket {
                s.flush_done = s.flush_done.max(t);
            }
            if closing || (s.closed && s.final_deadline.is_some_and(|d| Instant::now() >= d)) {
                let abandoned = s.queue.len() as u64;
                self.lost_at_stop.fetch_add(abandoned, Relaxed);
                // Its capacity too: the stopped generation's handle outlives it until a JS GC.
                s.queue = VecDeque::new();
                s.finished = true;
            }
            self.progress.notify_all();
            if s.finished {
                return;
            }
        }
    }

    /// Sends one batch until it is exported, refused for good, or the stop deadline passes.
    fn send(&self, sink: &mut impl Sink<T>, batch: &[T], mut deadline: Instant) {
        let n = batch.len() as u64;
        let mut attempt = 0u32;
        loop {
            match sink.export(batch, deadline) {
                Sent::Ok => {
                    self.exported.fetch_add(n, Relaxed);
                    return;
                }
                Sent::Rejected => {
                    self.failed_exports.fetch_add(1, Relaxed);
                    self.rejected.fetch_add(n, Relaxed);
                    return;
                }
                Sent::Retry(hint) => {
                    attempt += 1;
                    match self.pause(backoff(attempt, hint)) {
                        Some(next_deadline) => deadline = next_deadline,
                        None => {
                            self.failed_exports.fetch_add(1, Relaxed);
                            self.lost_at_stop.fetch_add(n, Relaxed);
                            return;
                        }
                    }
                    self.retries.fetch_add(1, Relaxed);
                }
            }
        }
    }

    /// Waits `wait` (cut short by the stop deadline); the next attempt's deadline, or None when
    /// the stop deadline has (nearly) passed. Flushes waiting meanwhile see no progress and time out.
    fn pause(&self, wait: Duration) -> Option<Instant> {
        let until = Instant::now() + wait;
        let Ok(mut s) = self.state.lock() else { return None };
        loop {
            // Give up a little before the stop deadline, so that stop() sees this thread finish.
            let cutoff = s.final_deadline.map(|d| d.checked_sub(STOP_MARGIN).unwrap_or(d));
            let end = cutoff.map_or(until, |d| d.min(until));
            let now = Instant::now();
            if cutoff.is_some_and(|d| now >= d) {
                return None;
            }
            if now >= end {
                let timeout = now + self.settings.export_timeout;
                return Some(s.final_deadline.map_or(timeout, |d| d.min(timeout)));
            }
            s = match self.wake.wait_timeout(s, end - now) {
                Ok((g, _)) => g,
                Err(_) => return None,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Sender};

    struct Collect(Sender<Vec<u32>>);
    impl Sink<u32> for Collect {
        fn export(&mut self, batch: &[u32], _: Instant) -> Sent {
            if self.0.send(batch.to_vec()).is_ok() {
                Sent::Ok
            } else {
                Sent::Rejected
            }
        }
    }

    fn settings(max_queue: usize, max_batch: usize, delay_ms: u64) -> BatchSettings {
        BatchSettings { max_queue, max_batch, delay: Duration::from_millis(delay_ms), export_timeout: Duration::from_secs(1) }
    }

    #[test]
    fn bounded_queue_counts_drops_and_flush_exports_everything() {
        let (tx, rx) = channel();
        let b = Batcher::start("t", settings(10, 4, 60_000), Collect(tx)).expect("thread");
        let accepted = (0..15).filter(|i| b.push(*i)).count();
        assert!((10..=15).contains(&accepted), "{accepted}");
        assert_eq!(b.counts().dropped as usize, 15 - accepted);
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(5)), Ok(()));
        let got: Vec<u32> = rx.try_iter().flatten().collect();
        assert_eq!(got.len(), accepted);
        assert!(got.windows(2).all(|w| w[0] < w[1]), "order kept: {got:?}");
        assert_eq!(b.counts().exported as usize, accepted);
        assert!(b.shutdown(Instant::now() + Duration::from_secs(5)));
        assert!(!b.push(99), "closed");
        assert!(b.shutdown(Instant::now() + Duration::from_secs(1)), "twice is fine");
    }

    #[test]
    fn exports_on_schedule_and_at_shutdown() {
        let (tx, rx) = channel();
        let b = Batcher::start("t", settings(100, 50, 50), Collect(tx)).expect("thread");
        b.push(1);
        let first = rx.recv_timeout(Duration::from_secs(5)).expect("scheduled export");
        assert_eq!(first, vec![1]);
        b.push(2);
        b.push(3);
        assert!(b.shutdown(Instant::now() + Duration::from_secs(5)));
        let rest: Vec<u32> = rx.try_iter().flatten().collect();
        assert_eq!(rest, vec![2, 3]);
    }

    struct Hang;
    impl Sink<u32> for Hang {
        fn export(&mut self, _: &[u32], deadline: Instant) -> Sent {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            Sent::Retry(None)
        }
    }

    struct Refuse;
    impl Sink<u32> for Refuse {
        fn export(&mut self, _: &[u32], _: Instant) -> Sent {
            Sent::Rejected
        }
    }

    /// Asks for a retry `outage` times (with Retry-After `hint`), then takes everything.
    struct Outage {
        outage: u32,
        hint: Option<Duration>,
        attempts: Vec<Instant>,
        got: Sender<Vec<u32>>,
    }
    impl Sink<u32> for Outage {
        fn export(&mut self, batch: &[u32], _: Instant) -> Sent {
            self.attempts.push(Instant::now());
            if self.attempts.len() as u32 <= self.outage {
                return Sent::Retry(self.hint);
            }
            let _ = self.got.send(batch.to_vec());
            Sent::Ok
        }
    }

    #[test]
    fn an_outage_costs_time_not_data() {
        let (tx, rx) = channel();
        let sink = Outage { outage: 3, hint: None, attempts: Vec::new(), got: tx };
        let b = Batcher::start("t", settings(100, 10, 60_000), sink).expect("thread");
        for i in 0..5 {
            b.push(i);
        }
        let t = Instant::now();
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(10)), Ok(()));
        // Three backoffs of about 0.5, 1 and 2 s (+-20 %).
        assert!(t.elapsed() >= Duration::from_millis(2800), "{:?}", t.elapsed());
        assert_eq!(rx.try_iter().flatten().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(b.counts(), Counts { exported: 5, dropped: 0, rejected: 0, lost_at_stop: 0, retries: 3 });
    }

    #[test]
    fn retry_after_is_honoured() {
        let (tx, rx) = channel();
        let sink = Outage { outage: 1, hint: Some(Duration::from_millis(1500)), attempts: Vec::new(), got: tx };
        let b = Batcher::start("t", settings(100, 10, 60_000), sink).expect("thread");
        b.push(7);
        let t = Instant::now();
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(10)), Ok(()));
        assert!(t.elapsed() >= Duration::from_millis(1500), "waited the collector's Retry-After: {:?}", t.elapsed());
        assert_eq!(rx.try_iter().flatten().collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn what_is_still_unsent_at_the_stop_deadline_is_counted_lost() {
        let (tx, _rx) = channel();
        let sink = Outage { outage: u32::MAX, hint: None, attempts: Vec::new(), got: tx };
        let b = Batcher::start("t", settings(100, 2, 60_000), sink).expect("thread");
        for i in 0..5 {
            b.push(i);
        }
        std::thread::sleep(Duration::from_millis(100));
        let t = Instant::now();
        assert!(b.shutdown(Instant::now() + Duration::from_millis(700)));
        assert!(t.elapsed() < Duration::from_millis(1500), "{:?}", t.elapsed());
        let c = b.counts();
        assert_eq!(c.exported, 0);
        assert_eq!(c.lost_at_stop, 5, "{c:?}");
        assert_eq!(c.dropped, 0);
    }

    #[test]
    fn backoff_grows_with_jitter_and_respects_retry_after() {
        for attempt in 1..=10 {
            let d = backoff(attempt, None);
            let base = FIRST_BACKOFF.saturating_mul(1 << (attempt - 1)).min(MAX_BACKOFF);
            assert!(d >= base.mul_f64(0.79) && d <= base.mul_f64(1.21), "{attempt}: {d:?}");
        }
        assert!(backoff(1, Some(Duration::from_secs(20))) >= Duration::from_secs(20));
        assert_eq!(backoff(1, Some(Duration::from_secs(3600))), MAX_RETRY_AFTER);
    }

    #[test]
    fn flush_reports_a_failed_export() {
        let b = Batcher::start("t", settings(10, 4, 60_000), Refuse).expect("thread");
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(5)), Ok(()), "nothing to export");
        b.push(1);
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(5)), Err("export failed"));
        assert_eq!(b.counts().exported, 0);
        assert_eq!(b.counts().rejected, 1, "a refused batch is counted, not retried");
    }

    #[test]
    fn shutdown_is_bounded_when_the_sink_hangs() {
        let b = Batcher::start("t", settings(100, 1, 10), Hang).expect("thread");
        for i in 0..5 {
            b.push(i);
        }
        let t = Instant::now();
        b.shutdown(Instant::now() + Duration::from_millis(300));
        assert!(t.elapsed() < Duration::from_millis(1500), "{:?}", t.elapsed());
    }
}
