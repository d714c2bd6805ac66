//! One exporter generation: its tokio runtime, meter provider, periodic reader, recording
//! worker and health. `start` never fails the host; `flush` and `shutdown` are bounded.

use crate::config::{redact_url, Compression, Level, Protocol, Settings, TemporalityPref};
use crate::health::{categorize, unix_ms, Counters, Logs, RateLimited};
use crate::record::{Outcome, Recorder, Trust};
use opentelemetry::metrics::MeterProvider;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{MetricExporter, RetryPolicy, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::Resource;
use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Batches waiting for the recording thread (the plugin entry sends up to 256 events per batch,
/// so about 260,000 events); beyond this they are dropped and counted, so a stalled recorder
/// can never grow memory or block the gateway.
pub const QUEUE_CAPACITY: usize = 1024;
/// And at most this many bytes of queued JSON, whatever the batch sizes.
pub const QUEUE_MAX_BYTES: usize = 32 << 20;
pub const METER_NAME: &str = "openclaw";

/// One id per process: reloads keep it, so a backend sees one instance restarting its series.
pub fn service_instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::new_v4().to_string())
}

pub enum Msg {
    /// Events as lines: one trust digit (`Trust::from_bits`), then the event's JSON.
    Batch(String),
    Barrier(SyncSender<()>),
}

/// What the host tells us about itself.
#[derive(Default, Clone)]
pub struct HostInfo {
    pub openclaw_version: Option<String>,
    pub subscription: String,
}

/// The HTTP client for the OTLP exporter: reqwest, but it remembers why a request failed
/// (the exporter reduces every transport failure to "network error").
struct DiagnosingClient {
    inner: reqwest::Client,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DiagnosingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiagnosingClient")
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for DiagnosingClient {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<opentelemetry_http::Response<opentelemetry_http::Bytes>, opentelemetry_http::HttpError> {
        let result = opentelemetry_http::HttpClient::send_bytes(&self.inner, request).await;
        if let Err(e) = &result {
            if let Ok(mut slot) = self.shared.transport_error.lock() {
                *slot = Some(error_chain(e.as_ref()));
            }
        }
        result
    }
}

/// Wraps the OTLP exporter: runs it on our runtime with a hard timeout, aborts it when the
/// shutdown deadline passes, and turns failures into rate-limited warnings.
struct GuardedExporter {
    inner: MetricExporter,
    handle: tokio::runtime::Handle,
    timeout: Duration,
    cancel: watch::Receiver<bool>,
    temporality: Temporality,
    url: String,
    shared: Arc<Shared>,
}

impl GuardedExporter {
    fn note(&self, result: &OTelSdkResult) {
        let c = &self.shared.counters;
        match result {
            Ok(()) => {
                c.exports_ok.fetch_add(1, Relaxed);
                c.last_success_unix_ms.store(unix_ms(), Relaxed);
                let failed = self.shared.failing_streak.swap(0, Relaxed);
                if failed > 0 {
                    self.shared.logs.push(
                        Level::Info,
                        format!("diagnostics-otel: metrics export to {} recovered after {failed} failed attempt(s)", self.url),
                    );
                }
            }
            Err(e) => {
                c.exports_failed.fetch_add(1, Relaxed);
                c.last_failure_unix_ms.store(unix_ms(), Relaxed);
                self.shared.failing_streak.fetch_add(1, Relaxed);
                let transport = self.shared.transport_error.lock().ok().and_then(|mut s| s.take());
                let text = match transport {
                    Some(t) => format!("{e}: {t}"),
                    None => e.to_string(),
                };
                let category = categorize(&text);
                self.shared.report_exporter_failure(category);
                let detail: String = text.replace(&self.shared.raw_url, &self.url).chars().take(300).collect();
                if let Ok(mut last) = self.shared.last_error.lock() {
                    *last = Some(format!("{category}: {detail}"));
                }
                if category == "cancelled at shutdown" {
                    self.shared.logs.push(
                        Level::Warn,
                        format!("diagnostics-otel: final metrics export to {} abandoned at the stop deadline (the collector did not answer); this generation's last interval of data is lost", self.url),
                    );
                } else if let Some(n) = self.shared.export_warning.due() {
                    self.shared.logs.push(
                        Level::Warn,
                        format!(
                            "diagnostics-otel: metrics export to {} failed: {category} ({detail}); {n} failure(s) since the last warning; data is kept and retried at the next interval",
                            self.url
                        ),
                    );
                }
            }
        }
    }
}

impl PushMetricExporter for GuardedExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        if *self.cancel.borrow() {
            let r = Err(OTelSdkError::InternalFailure("skipped: shutdown deadline reached".into()));
            self.note(&r);
            return r;
        }
        let mut cancel = self.cancel.clone();
        let result = self.handle.block_on(async {
            tokio::select! {
                r = tokio::time::timeout(self.timeout, self.inner.export(metrics)) => {
                    r.unwrap_or(Err(OTelSdkError::Timeout(self.timeout)))
                }
                _ = cancel.wait_for(|c| *c) => {
                    Err(OTelSdkError::InternalFailure("aborted: shutdown deadline reached".into()))
                }
            }
        });
        self.note(&result);
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let _guard = self.handle.enter();
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.temporality
    }
}

/// State shared by the JS-facing handle, the recording thread and the exporter.
pub struct Shared {
    pub counters: Counters,
    pub logs: Logs,
    malformed_warning: RateLimited,
    dropped_warning: RateLimited,
    export_warning: RateLimited,
    failing_streak: std::sync::atomic::AtomicU64,
    pub last_error: Mutex<Option<String>>,
    /// The cause of the latest failed HTTP request, for the next export report.
    transport_error: Mutex<Option<String>>,
    /// Bytes of event JSON waiting for the recording thread (bounded by QUEUE_MAX_BYTES).
    queued_bytes: std::sync::atomic::AtomicUsize,
    /// `openclaw.telemetry.exporter.events`, for our own exporter's lifecycle.
    exporter_events: OnceLock<opentelemetry::metrics::Counter<f64>>,
    /// Failure categories already counted: like the official plugin, each once per generation.
    reported_failures: Mutex<Vec<&'static str>>,
    raw_url: String,
}

struct Running {
    provider: SdkMeterProvider,
    runtime: tokio::runtime::Runtime,
    cancel: watch::Sender<bool>,
    worker_done: Receiver<()>,
}

pub struct Generation {
    pub shared: Arc<Shared>,
    sender: Mutex<Option<SyncSender<Msg>>>,
    running: Mutex<Option<Running>>,
    pub summary: String,
}

fn temporality_of(p: TemporalityPref) -> Temporality {
    match p {
        TemporalityPref::Cumulative => Temporality::Cumulative,
        TemporalityPref::Delta => Temporality::Delta,
        TemporalityPref::LowMemory => Temporality::LowMemory,
    }
}

fn build_exporter(s: &Settings, rt: &tokio::runtime::Runtime, shared: &Arc<Shared>) -> Result<MetricExporter, String> {
    let temporality = temporality_of(s.temporality);
    let built = match s.protocol {
        Protocol::HttpProtobuf | Protocol::HttpJson => {
            let protocol = if s.protocol == Protocol::HttpJson {
                opentelemetry_otlp::Protocol::HttpJson
            } else {
                opentelemetry_otlp::Protocol::HttpBinary
            };
            let headers: HashMap<String, String> = s.headers.iter().cloned().collect();
            let client = reqwest::Client::builder()
                .build()
                .map_err(|e| format!("could not build the HTTP client: {e}"))?;
            let b = MetricExporter::builder()
                .with_http()
                .with_http_client(DiagnosingClient { inner: client, shared: shared.clone() })
                .with_protocol(protocol)
                .with_endpoint(s.metrics_url.clone())
                .with_timeout(s.export_timeout)
                .with_headers(headers)
                .with_retry_policy(RetryPolicy::disabled())
                .with_temporality(temporality);
            let b = match s.compression {
                Compression::Gzip => b.with_compression(opentelemetry_otlp::Compression::Gzip),
                Compression::None => b,
            };
            // reqwest's async client spawns its connection tasks on the current runtime.
            let _guard = rt.enter();
            b.build()
        }
        Protocol::Grpc => {
            let mut metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::new();
            for (k, v) in &s.headers {
                if let (Ok(k), Ok(v)) = (
                    k.parse::<tonic_key::Key>(),
                    v.parse::<tonic_key::Value>(),
                ) {
                    metadata.insert(k, v);
                }
            }
            let mut b = MetricExporter::builder()
                .with_tonic()
                .with_protocol(opentelemetry_otlp::Protocol::Grpc)
                .with_endpoint(s.metrics_url.clone())
                .with_timeout(s.export_timeout)
                .with_metadata(metadata)
                .with_retry_policy(RetryPolicy::disabled())
                .with_temporality(temporality);
            if s.compression == Compression::Gzip {
                b = b.with_compression(opentelemetry_otlp::Compression::Gzip);
            }
            if s.metrics_url.starts_with("https://") {
                b = b.with_tls_config(
                    opentelemetry_otlp::tonic_types::transport::ClientTlsConfig::new().with_webpki_roots(),
                );
            }
            // tonic's channel spawns its worker on the current runtime.
            let _guard = rt.enter();
            b.build()
        }
    };
    built.map_err(|e| e.to_string())
}

mod tonic_key {
    pub type Key = tonic::metadata::MetadataKey<tonic::metadata::Ascii>;
    pub type Value = tonic::metadata::MetadataValue<tonic::metadata::Ascii>;
}

fn resource(s: &Settings, host: &HostInfo) -> Resource {
    // Later entries win: OTEL_RESOURCE_ATTRIBUTES first, then what we know for sure.
    let mut attrs: BTreeMap<String, String> = s.resource_attributes.iter().cloned().collect();
    attrs.insert("service.name".into(), s.service_name.clone());
    attrs.insert("service.instance.id".into(), service_instance_id().to_string());
    if let Some(v) = &host.openclaw_version {
        attrs.insert("service.version".into(), v.clone());
    }
    attrs.insert("telemetry.distro.name".into(), env!("CARGO_PKG_NAME").into());
    attrs.insert("telemetry.distro.version".into(), env!("CARGO_PKG_VERSION").into());
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attrs.into_iter().map(|(k, v)| KeyValue::new(k, v)))
        .build()
}

fn describe(s: &Settings, host: &HostInfo) -> String {
    let mut not_exported = Vec::new();
    if s.traces_requested {
        not_exported.push("traces");
    }
    if s.logs_requested {
        not_exported.push("logs");
    }
    let note = if not_exported.is_empty() {
        String::new()
    } else {
        format!("; {} requested but not implemented in this version", not_exported.join(" and "))
    };
    format!(
        "diagnostics-otel: exporting metrics via OTLP {} to {} every {}s (service.name={}, temporality={}, events via {}){}",
        s.protocol.as_str(),
        redact_url(&s.metrics_url),
        s.interval.as_secs_f64(),
        s.service_name,
        match s.temporality {
            TemporalityPref::Cumulative => "cumulative",
            TemporalityPref::Delta => "delta",
            TemporalityPref::LowMemory => "lowmemory",
        },
        if host.subscription.is_empty() { "unknown" } else { &host.subscription },
        note
    )
}

/// A batch line's trust digit and JSON; a line without a digit counts as untrusted.
fn split_trust(line: &str) -> (Trust, &str) {
    match line.as_bytes().first() {
        Some(d @ b'0'..=b'3') => (Trust::from_bits(u32::from(d - b'0')), &line[1..]),
        _ => (Trust::default(), line),
    }
}

fn worker(rx: Receiver<Msg>, recorder: Recorder, shared: Arc<Shared>, done: SyncSender<()>) {
    let c = &shared.counters;
    for msg in rx {
        match msg {
            Msg::Batch(lines) => {
                shared.queued_bytes.fetch_sub(lines.len(), Relaxed);
                for line in lines.split('\n').filter(|l| !l.is_empty()) {
                    let (trust, json) = split_trust(line);
                    match catch_unwind(AssertUnwindSafe(|| recorder.record_json(json, trust))) {
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

impl Generation {
    /// A generation that exports nothing; `summary` says why.
    pub fn inert(summary: String) -> Self {
        Generation {
            shared: Arc::new(Shared::new(String::new())),
            sender: Mutex::new(None),
            running: Mutex::new(None),
            summary,
        }
    }

    pub fn start(s: &Settings, host: &HostInfo) -> Self {
        let shared = Arc::new(Shared::new(s.metrics_url.clone()));
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(2)
            .thread_name("otel-rs-io")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return Self::failed(shared, format!("could not start its I/O runtime: {e}")),
        };
        let inner = match build_exporter(s, &runtime, &shared) {
            Ok(x) => x,
            Err(e) => return Self::failed(shared, format!("could not build the OTLP exporter: {e}")),
        };
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let exporter = GuardedExporter {
            inner,
            handle: runtime.handle().clone(),
            timeout: s.export_timeout,
            cancel: cancel_rx,
            temporality: temporality_of(s.temporality),
            url: redact_url(&s.metrics_url),
            shared: shared.clone(),
        };
        let reader = PeriodicReader::builder(exporter).with_interval(s.interval).build();
        let provider = SdkMeterProvider::builder().with_resource(resource(s, host)).with_reader(reader).build();
        let recorder = Recorder::new(&provider.meter(METER_NAME), &s.metric_name_prefix);
        if let Some(counter) = recorder.counter("openclaw.telemetry.exporter.events") {
            let _ = shared.exporter_events.set(counter);
            shared.exporter_event("started", "configured", None);
        }
        let (tx, rx) = sync_channel::<Msg>(QUEUE_CAPACITY);
        let (done_tx, done_rx) = sync_channel::<()>(1);
        let worker_shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("otel-rs-record".into())
            .spawn(move || worker(rx, recorder, worker_shared, done_tx));
        if let Err(e) = spawned {
            let _ = provider.shutdown();
            return Self::failed(shared, format!("could not start its recording thread: {e}"));
        }
        Generation {
            shared,
            sender: Mutex::new(Some(tx)),
            running: Mutex::new(Some(Running { provider, runtime, cancel: cancel_tx, worker_done: done_rx })),
            summary: describe(s, host),
        }
    }

    fn failed(shared: Arc<Shared>, why: String) -> Self {
        let summary = format!("diagnostics-otel: not exporting: {why}");
        shared.logs.push(Level::Warn, summary.clone());
        Generation { shared, sender: Mutex::new(None), running: Mutex::new(None), summary }
    }

    pub fn is_running(&self) -> bool {
        self.sender.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// One event (tests and simple callers); the plugin entry sends batches.
    pub fn push(&self, json: &str, trust: Trust) {
        let digit = u32::from(trust.trusted) | (u32::from(trust.internal) << 1);
        self.push_batch(format!("{digit}{}\n", json.replace('\n', " ")));
    }

    /// The hot path: hand a batch of events (see `Msg::Batch`) to the recording thread, never
    /// blocking. One call per batch keeps the JS thread from waking the recorder per event.
    pub fn push_batch(&self, lines: String) {
        let c = &self.shared.counters;
        let events = lines.split('\n').filter(|l| !l.is_empty()).count() as u64;
        c.received.fetch_add(events, Relaxed);
        let Ok(guard) = self.sender.lock() else { return };
        let Some(tx) = guard.as_ref() else {
            c.late.fetch_add(events, Relaxed);
            return;
        };
        let bytes = lines.len();
        let queued = self.shared.queued_bytes.fetch_add(bytes, Relaxed);
        let sent = if queued + bytes > QUEUE_MAX_BYTES {
            Err(TrySendError::Full(Msg::Batch(String::new())))
        } else {
            tx.try_send(Msg::Batch(lines))
        };
        if sent.is_err() {
            self.shared.queued_bytes.fetch_sub(bytes, Relaxed);
        }
        match sent {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                c.dropped.fetch_add(events, Relaxed);
                if let Some(n) = self.shared.dropped_warning.due() {
                    self.shared.logs.push(
                        Level::Warn,
                        format!("diagnostics-otel: dropped diagnostic events ({n} batch(es) since the last warning): the recording queue is full"),
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                c.late.fetch_add(events, Relaxed);
            }
        }
    }

    /// Counts an event the JS side could not serialize (cycles, BigInt, throwing getters).
    pub fn push_unserializable(&self) {
        self.shared.counters.received.fetch_add(1, Relaxed);
        self.shared.note_malformed("not serializable");
    }

    /// Wait until every event pushed so far is recorded.
    fn drain(&self, deadline: Instant) -> bool {
        let tx = match self.sender.lock() {
            Ok(g) => g.clone(),
            Err(_) => None,
        };
        let Some(tx) = tx else { return true };
        let (ack_tx, ack_rx) = sync_channel(1);
        // The queue may be full: retry until the deadline rather than block the caller.
        let mut msg = Msg::Barrier(ack_tx);
        loop {
            match tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(_) => return false,
            }
        }
        ack_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok()
    }

    /// Record everything pushed so far and export it now. Blocks up to `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        if !self.drain(deadline) {
            return Err("recording queue did not drain in time".into());
        }
        let provider = match self.running.lock() {
            Ok(g) => g.as_ref().map(|r| r.provider.clone()),
            Err(_) => None,
        };
        let Some(provider) = provider else { return Err("not running".into()) };
        run_bounded(deadline, move || provider.force_flush().map_err(|e| e.to_string()))
            .unwrap_or_else(|| Err("flush timed out".into()))
    }

    /// Stop accepting events, record what is queued, export once more, release every thread.
    /// Returns within `timeout` even when the collector hangs; safe to call repeatedly.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), String> {
        let started = Instant::now();
        let deadline = started + timeout;
        // Closing the channel lets the worker finish the queue and exit.
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
        let running = match self.running.lock() {
            Ok(mut g) => g.take(),
            Err(_) => None,
        };
        let Some(Running { provider, runtime, cancel, worker_done }) = running else { return Ok(()) };
        let export_budget = timeout.mul_f64(0.8);
        let _ = worker_done.recv_timeout(export_budget.saturating_sub(started.elapsed()));
        // Abort a hanging export once the budget is spent, so the reader thread can exit.
        let (finished_tx, finished_rx) = sync_channel::<()>(1);
        let remaining = export_budget.saturating_sub(started.elapsed());
        let canceller = std::thread::Builder::new().name("otel-rs-deadline".into()).spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished_rx.recv_timeout(remaining) {
                let _ = cancel.send(true);
            }
        });
        let result = match run_bounded(deadline, move || provider.shutdown()) {
            Some(Ok(())) => Ok(()),
            // The SDK only says "Failed to shutdown"; the exporter knows why.
            Some(Err(_)) => Err(format!("final export failed: {}", self.last_error().unwrap_or_else(|| "unknown".into()))),
            None => Err(format!("final export did not finish within {} ms", timeout.as_millis())),
        };
        drop(finished_tx);
        if let Ok(handle) = canceller {
            let _ = handle.join();
        }
        runtime.shutdown_timeout(deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(500)));
        result
    }

    pub fn last_error(&self) -> Option<String> {
        self.shared.last_error.lock().ok().and_then(|g| g.clone())
    }
}

impl Shared {
    fn exporter_event(&self, status: &'static str, reason: &'static str, category: Option<&str>) {
        let Some(counter) = self.exporter_events.get() else { return };
        let mut attrs = vec![
            KeyValue::new("openclaw.exporter", "diagnostics-otel"),
            KeyValue::new("openclaw.signal", "metrics"),
            KeyValue::new("openclaw.status", status),
            KeyValue::new("openclaw.reason", reason),
        ];
        if let Some(c) = category {
            attrs.push(KeyValue::new("openclaw.errorCategory", c.to_string()));
        }
        counter.add(1.0, &attrs);
    }

    fn report_exporter_failure(&self, category: &'static str) {
        let first = match self.reported_failures.lock() {
            Ok(mut seen) if !seen.contains(&category) => {
                seen.push(category);
                true
            }
            _ => false,
        };
        if first {
            let slug: String = category
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            self.exporter_event("failure", "emit_failed", Some(&slug));
        }
    }

    fn note_malformed(&self, why: &str) {
        self.counters.malformed.fetch_add(1, Relaxed);
        if let Some(n) = self.malformed_warning.due() {
            self.logs.push(
                Level::Warn,
                format!("diagnostics-otel: skipped {n} malformed diagnostic event(s) since the last warning (latest: {why})"),
            );
        }
    }

    fn new(raw_url: String) -> Self {
        Shared {
            counters: Counters::default(),
            logs: Logs::default(),
            malformed_warning: RateLimited::default(),
            dropped_warning: RateLimited::default(),
            export_warning: RateLimited::default(),
            failing_streak: Default::default(),
            last_error: Mutex::new(None),
            transport_error: Mutex::new(None),
            queued_bytes: Default::default(),
            exporter_events: OnceLock::new(),
            reported_failures: Mutex::new(Vec::new()),
            raw_url,
        }
    }
}

/// Run `f` on its own thread and wait until `deadline`; None when it did not finish in time
/// (the thread then finishes on its own).
fn run_bounded<T: Send + 'static>(deadline: Instant, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("otel-rs-bounded".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()
}
