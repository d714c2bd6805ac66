//! The bounded batch processor behind spans and log records: items wait in a queue of at most
//! `max_queue` (the rest are dropped and counted, never blocking the recorder) and leave from
//! one export thread in batches of `max_batch`, every `delay`, when a batch fills, on flush and
//! at shutdown.

use crate::config::BatchSettings;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where a batch goes. `deadline` bounds the whole call.
pub trait Sink<T>: Send + 'static {
    fn export(&mut self, batch: Vec<T>, deadline: Instant) -> Result<(), String>;
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

    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Relaxed)
    }

    pub fn exported(&self) -> u64 {
        self.inner.exported.load(Relaxed)
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
                let n = batch.len() as u64;
                if sink.export(batch, deadline).is_ok() {
                    self.exported.fetch_add(n, Relaxed);
                } else {
                    self.failed_exports.fetch_add(1, Relaxed);
                }
                last_export = Instant::now();
            }
            let Ok(mut s) = self.state.lock() else { return };
            if let Some(t) = ticket {
                s.flush_done = s.flush_done.max(t);
            }
            if closing || (s.closed && s.final_deadline.is_some_and(|d| Instant::now() >= d)) {
                let abandoned = s.queue.len() as u64;
                self.dropped.fetch_add(abandoned, Relaxed);
                s.queue.clear();
                s.finished = true;
            }
            self.progress.notify_all();
            if s.finished {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Sender};

    struct Collect(Sender<Vec<u32>>);
    impl Sink<u32> for Collect {
        fn export(&mut self, batch: Vec<u32>, _: Instant) -> Result<(), String> {
            self.0.send(batch).map_err(|e| e.to_string())
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
        assert_eq!(b.dropped() as usize, 15 - accepted);
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(5)), Ok(()));
        let got: Vec<u32> = rx.try_iter().flatten().collect();
        assert_eq!(got.len(), accepted);
        assert!(got.windows(2).all(|w| w[0] < w[1]), "order kept: {got:?}");
        assert_eq!(b.exported() as usize, accepted);
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
        fn export(&mut self, _: Vec<u32>, deadline: Instant) -> Result<(), String> {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            Err("timed out".into())
        }
    }

    struct Refuse;
    impl Sink<u32> for Refuse {
        fn export(&mut self, _: Vec<u32>, _: Instant) -> Result<(), String> {
            Err("refused".into())
        }
    }

    #[test]
    fn flush_reports_a_failed_export() {
        let b = Batcher::start("t", settings(10, 4, 60_000), Refuse).expect("thread");
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(5)), Ok(()), "nothing to export");
        b.push(1);
        assert_eq!(b.flush(Instant::now() + Duration::from_secs(5)), Err("export failed"));
        assert_eq!(b.exported(), 0);
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
