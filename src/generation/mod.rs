//! One exporter generation: its tokio runtime, meter provider, periodic reader, recording
//! worker and health. `start` never fails the host; `flush` and `shutdown` are bounded.

use crate::catalog::metrics::{exported_name, CATALOG};
use crate::catalog::projection::projection;
use crate::config::{redact_url, Endpoint, Level, Settings, Signal, TemporalityPref};
use crate::event::compact::{pack, Projection};
use crate::event::Trust;
use crate::export::batch::Batcher;
use crate::export::credentials::{Rotating, SignalHeaders};
use crate::export::health::{Counters, RateLimited};
use crate::export::otlp::{
    log_exporter, metric_exporter, span_exporter, Build, Guard, GuardedMetrics, LogSink, Reporter, SignalHealth, SpanSink,
};
use crate::export::prometheus::Exposition;
use crate::export::transport::Clients;
use crate::signals::filelog::FileLogSource;
use crate::signals::logs::{LogItem, LogMapper};
use crate::signals::metrics::Recorder;
use crate::signals::spans::Tracer;
use opentelemetry::metrics::MeterProvider;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Batches waiting for the recording thread (the plugin entry sends up to 1,024 events per
/// batch); beyond this they are dropped and counted, so a stalled recorder can never grow
/// memory or block the gateway.
pub const QUEUE_CAPACITY: usize = 4096;
/// And at most this many bytes queued, whatever the batch sizes: packed compact records take
/// about 20 bytes an event, so a burst of 1M events fits.
pub const QUEUE_MAX_BYTES: usize = 32 << 20;
pub mod status;
mod worker;
use crate::catalog::agent::Agents;
use worker::{columns_bytes, follow_file_log, worker, Feeds};
pub use worker::{split_trust, Mappers, Msg};

pub const METER_NAME: &str = "openclaw";

/// One id per process: reloads keep it, so a backend sees one instance restarting its series.
pub fn service_instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::new_v4().to_string())
}

/// What the host tells us about itself.
#[derive(Default, Clone)]
pub struct HostInfo {
    pub openclaw_version: Option<String>,
    pub subscription: String,
    /// On hosts without `log.record` events: the gateway's file log, followed for log export.
    pub file_log: Option<FileLogSource>,
    /// The plugin's Prometheus route is registered on the gateway (OpenClaw 2026.9+).
    pub prometheus_route: bool,
    /// What the host knows about its machine and process, for the resource detectors.
    pub facts: HostFacts,
}

/// Host and process facts as Node reports them (index.js); each is optional.
#[derive(Default, Clone, Debug)]
pub struct HostFacts {
    pub host_name: Option<String>,
    pub host_arch: Option<String>,
    pub host_id: Option<String>,
    pub os_type: Option<String>,
    pub os_version: Option<String>,
    pub pid: Option<i64>,
    pub runtime_name: Option<String>,
    pub runtime_version: Option<String>,
    pub runtime_description: Option<String>,
    pub command: Option<String>,
    pub command_args: Vec<String>,
    pub executable_name: Option<String>,
    pub executable_path: Option<String>,
    pub owner: Option<String>,
}

/// State shared by the JS-facing handle, the recording thread and the exporters.
pub struct Shared {
    pub counters: Counters,
    pub reporter: Arc<Reporter>,
    malformed_warning: RateLimited,
    dropped_warning: RateLimited,
    /// Bytes of event JSON waiting for the recording thread (bounded by QUEUE_MAX_BYTES).
    queued_bytes: std::sync::atomic::AtomicUsize,
    pub metrics_health: Arc<SignalHealth>,
    pub traces_health: Arc<SignalHealth>,
    pub logs_health: Arc<SignalHealth>,
    pub spans: OnceLock<Arc<Batcher<SpanData>>>,
    pub log_records: OnceLock<Arc<Batcher<LogItem>>>,
    /// Spans the sampler left out.
    pub spans_sampled_out: OnceLock<Arc<AtomicU64>>,
    /// Values and span times outside their plausibility bounds, skipped (recorder and tracer).
    pub implausible: Arc<AtomicU64>,
    /// Series the Prometheus exposition's cap refused.
    pub prometheus_dropped: OnceLock<Arc<AtomicU64>>,
}

struct Running {
    provider: SdkMeterProvider,
    /// `openclaw.telemetry.dropped`: reads the loss counters at each collection.
    _dropped: opentelemetry::metrics::ObservableCounter<f64>,
    /// Dropping the sender stops the file-log follower.
    file_log: Option<(SyncSender<()>, std::thread::JoinHandle<()>)>,
    runtime: tokio::runtime::Runtime,
    cancel: watch::Sender<bool>,
    worker_done: Receiver<()>,
}

/// `openclaw.telemetry.dropped`, so that loss shows on a dashboard, not only in a log or status().
fn dropped_counter(
    meter: &opentelemetry::metrics::Meter,
    prefix: &str,
    shared: std::sync::Weak<Shared>,
) -> opentelemetry::metrics::ObservableCounter<f64> {
    let spec = CATALOG.iter().find(|s| s.name == "openclaw.telemetry.dropped");
    meter
        .f64_observable_counter(exported_name("openclaw.telemetry.dropped", prefix))
        .with_unit("1")
        .with_description(spec.map_or("", |s| s.description))
        .with_callback(move |o| {
            let Some(sh) = shared.upgrade() else { return };
            let put = |signal: &'static str, reason: &'static str, n: u64| {
                if n > 0 {
                    o.observe(n as f64, &[KeyValue::new("openclaw.signal", signal), KeyValue::new("openclaw.reason", reason)]);
                }
            };
            put("events", "recording_queue_full", sh.counters.dropped.load(Relaxed));
            put("events", "implausible", sh.implausible.load(Relaxed));
            put("prometheus", "series_limit", sh.prometheus_dropped.get().map_or(0, |d| d.load(Relaxed)));
            for (signal, counts) in [("traces", sh.spans.get().map(|b| b.counts())), ("logs", sh.log_records.get().map(|b| b.counts()))] {
                if let Some(c) = counts {
                    put(signal, "queue_full", c.dropped);
                    put(signal, "rejected", c.rejected);
                }
            }
        })
        .build()
}

pub struct Generation {
    pub shared: Arc<Shared>,
    sender: Mutex<Option<SyncSender<Msg>>>,
    running: Mutex<Option<Running>>,
    pub summary: String,
    /// The fields index.js hands over per event type (`catalog::projection`).
    pub projection: Arc<Projection>,
    /// What Prometheus scrapes, when the exposition is on.
    pub prometheus: Option<Arc<Exposition>>,
}

fn temporality_of(p: TemporalityPref) -> Temporality {
    match p {
        TemporalityPref::Cumulative => Temporality::Cumulative,
        TemporalityPref::Delta => Temporality::Delta,
        TemporalityPref::LowMemory => Temporality::LowMemory,
    }
}

/// Later entries win: detected facts, OTEL_RESOURCE_ATTRIBUTES, the plugin config's
/// `resourceAttributes`, then what we know for sure (service.name as resolved; our distro).
/// `service.instance.id` and `service.version` are ours unless the user set them.
fn resource(s: &Settings, host: &HostInfo) -> Resource {
    use opentelemetry::{Array, StringValue, Value};
    let d = s.detectors;
    let f = &host.facts;
    let mut attrs: BTreeMap<String, Value> = BTreeMap::new();
    let mut put = |on: bool, key: &str, v: &Option<String>| {
        if let (true, Some(v)) = (on, v.as_ref().filter(|v| !v.is_empty())) {
            attrs.insert(key.to_string(), Value::from(v.clone()));
        }
    };
    put(d.host, "host.name", &f.host_name);
    put(d.host, "host.arch", &f.host_arch);
    put(d.host_id, "host.id", &f.host_id);
    put(d.os, "os.type", &f.os_type);
    put(d.os_version, "os.version", &f.os_version);
    put(d.process, "process.runtime.name", &f.runtime_name);
    put(d.process, "process.runtime.version", &f.runtime_version);
    put(d.process, "process.runtime.description", &f.runtime_description);
    put(d.process_full, "process.command", &f.command);
    put(d.process_full, "process.executable.name", &f.executable_name);
    put(d.process_full, "process.executable.path", &f.executable_path);
    put(d.process_full, "process.owner", &f.owner);
    if let (true, Some(pid)) = (d.process, f.pid) {
        attrs.insert("process.pid".into(), Value::I64(pid));
    }
    if d.process_full && !f.command_args.is_empty() {
        let args: Vec<StringValue> = f.command_args.iter().cloned().map(StringValue::from).collect();
        attrs.insert("process.command_args".into(), Value::Array(Array::String(args)));
    }
    for (k, v) in s.resource_attributes.iter().chain(&s.config_resource_attributes) {
        attrs.insert(k.clone(), Value::from(v.clone()));
    }
    attrs.insert("service.name".into(), Value::from(s.service_name.clone()));
    attrs.entry("service.instance.id".into()).or_insert_with(|| Value::from(service_instance_id().to_string()));
    if let Some(v) = &host.openclaw_version {
        attrs.entry("service.version".into()).or_insert_with(|| Value::from(v.clone()));
    }
    attrs.insert("telemetry.distro.name".into(), Value::from(env!("CARGO_PKG_NAME")));
    attrs.insert("telemetry.distro.version".into(), Value::from(env!("CARGO_PKG_VERSION")));
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attrs.into_iter().map(|(k, v)| KeyValue::new(k, v)))
        .build()
}

/// "to <url>", its TLS files and the proxy it goes through.
fn destination(s: &Settings, ep: &Endpoint) -> String {
    format!("{}{}{}", redact_url(&ep.url), ep.tls.describe(), s.proxy.describe(&ep.url))
}

/// The startup line: what goes where, for the signals that did start.
pub(crate) fn describe(s: &Settings, host: &HostInfo, started: &[Signal]) -> String {
    let mut parts = Vec::new();
    if started.contains(&Signal::Metrics) {
        parts.push(format!(
            "metrics via OTLP {} to {} every {}s (temporality={})",
            s.metrics.endpoint.protocol.as_str(),
            destination(s, &s.metrics.endpoint),
            s.metrics.interval.as_secs_f64(),
            match s.metrics.temporality {
                TemporalityPref::Cumulative => "cumulative",
                TemporalityPref::Delta => "delta",
                TemporalityPref::LowMemory => "lowmemory",
            }
        ));
    }
    if let Some(t) = s.traces.as_ref().filter(|_| started.contains(&Signal::Traces)) {
        let sampling = if t.sampling.ratio >= 1.0 && t.sampling.parent_based {
            String::new()
        } else {
            format!(
                ", sampling {}{} from {}",
                t.sampling.ratio,
                if t.sampling.parent_based { " parent-based" } else { "" },
                t.sampling.source
            )
        };
        parts.push(format!("traces via OTLP {} to {}{sampling}", t.endpoint.protocol.as_str(), destination(s, &t.endpoint)));
    }
    if let Some(l) = s.logs.as_ref().filter(|_| started.contains(&Signal::Logs)) {
        let mut to = Vec::new();
        if let Some(e) = &l.endpoint {
            to.push(format!("OTLP {} to {}", e.protocol.as_str(), destination(s, e)));
        }
        if l.stdout {
            to.push("stdout (JSON lines)".into());
        }
        let from = if host.file_log.is_some() { " from the gateway's file log" } else { "" };
        parts.push(format!("logs{from} via {}{}", to.join(" and "), if l.capture_content { " with bodies" } else { " without bodies" }));
    }
    let otlp_logs = started.contains(&Signal::Logs) && s.logs.as_ref().is_some_and(|l| l.endpoint.is_some());
    let otlp = started.contains(&Signal::Metrics) || started.contains(&Signal::Traces) || otlp_logs;
    if !s.header_sources.is_empty() && otlp {
        let from: Vec<String> = s.header_sources.iter().map(|h| h.describe()).collect();
        parts.push(format!("OTLP requests carry headers from {}", from.join(" and ")));
    }
    if let Some(p) = &s.prometheus {
        let mut at = Vec::new();
        if p.route && host.prometheus_route {
            at.push(format!("{} on the gateway's port (gateway auth)", crate::config::prometheus::ROUTE_PATH));
        }
        if let Some(l) = &p.listen {
            at.push(format!("{}{}", l.url(), if l.bearer_token.is_some() { " (token required)" } else { "" }));
        }
        let at = if at.is_empty() { "nowhere yet (see the warning)".to_string() } else { at.join(" and ") };
        parts.push(format!("metrics for Prometheus scrapes at {at}, at most {} series", p.max_series));
    }
    format!(
        "diagnostics-otel: exporting {} (service.name={}, events via {})",
        parts.join("; "),
        s.service_name,
        if host.subscription.is_empty() { "unknown" } else { &host.subscription },
    )
}

impl Generation {
    /// A generation that exports nothing; `summary` says why.
    pub fn inert(summary: String) -> Self {
        Generation {
            shared: Arc::new(Shared::new(None)),
            sender: Mutex::new(None),
            running: Mutex::new(None),
            summary,
            projection: Default::default(),
            prometheus: None,
        }
    }

    pub fn start(s: &Settings, host: &HostInfo) -> Self {
        let shared = Arc::new(Shared::new(Some(s)));
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
        let (cancel_tx, cancel_rx) = watch::channel(false);
        // One of each rotating source, shared by the signals' requests and their guards.
        let rotating: Vec<Arc<Rotating>> = s.header_sources.iter().map(|src| Rotating::new(src.clone(), shared.reporter.clone())).collect();
        let guard = |health: &Arc<SignalHealth>, ep: &Endpoint| Guard {
            handle: runtime.handle().clone(),
            timeout: ep.timeout,
            cancel: cancel_rx.clone(),
            reporter: shared.reporter.clone(),
            health: health.clone(),
            headers: SignalHeaders::new(&ep.headers, &rotating),
        };
        let resource = resource(s, host);
        let clients = Clients::new(&s.proxy);
        let mut provider = SdkMeterProvider::builder().with_resource(resource.clone());
        let m = &s.metrics;
        if m.enabled {
            let g = guard(&shared.metrics_health, &m.endpoint);
            let inner = match metric_exporter(&m.endpoint, temporality_of(m.temporality), &Build::for_guard(&runtime, &clients, &g)) {
                Ok(x) => x,
                Err(e) => return Self::failed(shared, format!("could not build the OTLP metrics exporter: {e}")),
            };
            let exporter = GuardedMetrics { inner, guard: g, temporality: temporality_of(m.temporality) };
            provider = provider.with_reader(PeriodicReader::builder(exporter).with_interval(m.interval).build());
        }
        let exposition = s.prometheus.as_ref().map(|p| {
            let (exposition, reader) = Exposition::new(p.max_series);
            provider = std::mem::take(&mut provider).with_reader(reader);
            let _ = shared.prometheus_dropped.set(exposition.dropped.clone());
            Arc::new(exposition)
        });
        let provider = provider.build();
        let meter = provider.meter(METER_NAME);
        let mut recorder = Recorder::new(&meter, &m.name_prefix);
        recorder.implausible = shared.implausible.clone();
        let dropped = dropped_counter(&meter, &m.name_prefix, Arc::downgrade(&shared));
        if let Some(counter) = recorder.counter("openclaw.telemetry.exporter.events") {
            shared.reporter.set_counter(counter);
        }
        let mut feeds = Feeds { recorder, spans: None, logs: None, agents: Agents::default() };
        let mut started: Vec<Signal> = Vec::new();
        let mut file_log = None;
        if m.enabled {
            started.push(Signal::Metrics);
        }
        if let Some(t) = &s.traces {
            let g = guard(&shared.traces_health, &t.endpoint);
            let built = span_exporter(&t.endpoint, &Build::for_guard(&runtime, &clients, &g))
                .and_then(|e| Batcher::start("otel-rs-spans", t.batch, SpanSink::new(e, &resource, g)));
            match built {
                Ok(b) => {
                    let b = Arc::new(b);
                    let _ = shared.spans.set(b.clone());
                    let mut tracer = Tracer::new(t.sampling, t.session_hash_salt.clone(), t.latest_gen_ai);
                    tracer.implausible = shared.implausible.clone();
                    tracer.unknown_parents = t.unknown_parents;
                    let _ = shared.spans_sampled_out.set(tracer.sampled_out.clone());
                    feeds.spans = Some((tracer, b));
                    started.push(Signal::Traces);
                }
                Err(e) => shared.reporter.logs.push(Level::Warn, format!("diagnostics-otel: not exporting traces: {e}")),
            }
        }
        if let Some(l) = &s.logs {
            let otlp = match &l.endpoint {
                Some(ep) => {
                    let g = guard(&shared.logs_health, ep);
                    match log_exporter(ep, &Build::for_guard(&runtime, &clients, &g)) {
                        Ok(e) => Some((e, g)),
                        Err(e) => {
                            shared.reporter.logs.push(Level::Warn, format!("diagnostics-otel: not exporting logs via OTLP: {e}"));
                            None
                        }
                    }
                }
                None => None,
            };
            if otlp.is_some() || l.stdout {
                match Batcher::start("otel-rs-logs", l.batch, LogSink::new(otlp, &resource)) {
                    Ok(b) => {
                        let b = Arc::new(b);
                        let _ = shared.log_records.set(b.clone());
                        feeds.logs = Some((LogMapper::new(l, &s.service_name), b.clone()));
                        started.push(Signal::Logs);
                        if let Some(source) = &host.file_log {
                            file_log = follow_file_log(source, LogMapper::new(l, &s.service_name), b, &shared);
                        }
                    }
                    Err(e) => shared.reporter.logs.push(Level::Warn, format!("diagnostics-otel: not exporting logs: {e}")),
                }
            }
        }
        for signal in &started {
            shared.reporter.exporter_event(*signal, "started", "configured", None);
        }
        let projection = Arc::new(projection(feeds.spans.is_some(), feeds.logs.is_some()));
        let (tx, rx) = sync_channel::<Msg>(QUEUE_CAPACITY);
        let (done_tx, done_rx) = sync_channel::<()>(1);
        let worker_shared = shared.clone();
        let reads = projection.clone();
        let spawned =
            std::thread::Builder::new().name("otel-rs-record".into()).spawn(move || worker(rx, feeds, reads, worker_shared, done_tx));
        if let Err(e) = spawned {
            let _ = provider.shutdown();
            drop(file_log);
            shared.stop_batchers(Instant::now());
            return Self::failed(shared, format!("could not start its recording thread: {e}"));
        }
        Generation {
            shared,
            sender: Mutex::new(Some(tx)),
            running: Mutex::new(Some(Running { provider, _dropped: dropped, file_log, runtime, cancel: cancel_tx, worker_done: done_rx })),
            summary: describe(s, host, &started),
            projection,
            prometheus: exposition,
        }
    }

    fn failed(shared: Arc<Shared>, why: String) -> Self {
        let summary = format!("diagnostics-otel: not exporting: {why}");
        shared.reporter.logs.push(Level::Warn, summary.clone());
        Generation {
            shared,
            sender: Mutex::new(None),
            running: Mutex::new(None),
            summary,
            projection: Default::default(),
            prometheus: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.sender.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// One Prometheus scrape's body (OpenMetrics text); an error when the exposition is off or
    /// the generation has stopped.
    pub fn prometheus_text(&self) -> Result<String, String> {
        match (&self.prometheus, self.is_running()) {
            (Some(p), true) => p.render(),
            (Some(_), false) => Err("stopped".into()),
            (None, _) => Err("the Prometheus exposition is off".into()),
        }
    }

    /// One event (tests and simple callers); the plugin entry sends batches.
    pub fn push(&self, json: &str, trust: Trust) {
        self.push_batch(format!("{}{}\n", trust.bits(), json.replace('\n', " ")));
    }

    /// Hand a batch of JSON lines (see `Msg::Batch`) to the recording thread, never blocking.
    pub fn push_batch(&self, lines: String) {
        let events = lines.split('\n').filter(|l| !l.is_empty()).count() as u64;
        self.shared.counters.received.fetch_add(events, Relaxed);
        let bytes = lines.len();
        self.enqueue(Msg::Batch(lines), events, bytes);
    }

    /// The hot path: `records` compact records (`event::compact`, in this generation's
    /// `projection`), plus `unknown` events of types no signal reads, which index.js only
    /// counted. One call per batch keeps the JS thread from waking the recorder per event.
    pub fn push_columns(&self, tags: &[u8], vals: &[f64], texts: String, lens: Vec<u32>, records: u32, unknown: u32) {
        let c = &self.shared.counters;
        c.received.fetch_add(u64::from(records) + u64::from(unknown), Relaxed);
        if unknown > 0 {
            let counter = if self.is_running() { &c.ignored } else { &c.late };
            counter.fetch_add(u64::from(unknown), Relaxed);
        }
        if records > 0 {
            let packed = pack(tags, vals);
            let bytes = columns_bytes(&packed, &texts, &lens);
            self.enqueue(Msg::Columns { packed, texts, lens, records }, u64::from(records), bytes);
        }
    }

    /// Queue `events` events for the recording thread, or count them dropped (queue full) or
    /// late (stopped).
    fn enqueue(&self, msg: Msg, events: u64, bytes: usize) {
        let c = &self.shared.counters;
        let Ok(guard) = self.sender.lock() else { return };
        let Some(tx) = guard.as_ref() else {
            c.late.fetch_add(events, Relaxed);
            return;
        };
        let queued = self.shared.queued_bytes.fetch_add(bytes, Relaxed);
        let sent = if queued + bytes > QUEUE_MAX_BYTES { Err(TrySendError::Full(msg)) } else { tx.try_send(msg) };
        if sent.is_err() {
            self.shared.queued_bytes.fetch_sub(bytes, Relaxed);
        }
        match sent {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                c.dropped.fetch_add(events, Relaxed);
                if let Some(n) = self.shared.dropped_warning.due() {
                    self.shared.reporter.logs.push(
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
        let shared = self.shared.clone();
        run_bounded(deadline, move || {
            let mut problems = Vec::new();
            shared.metrics_health.urgent.store(true, Relaxed);
            let flushed = provider.force_flush();
            shared.metrics_health.urgent.store(false, Relaxed);
            if let Err(e) = flushed {
                problems.push(format!("metrics: {e}"));
            }
            if let Some(Err(e)) = shared.spans.get().map(|b| b.flush(deadline)) {
                problems.push(format!("spans: {e}"));
            }
            if let Some(Err(e)) = shared.log_records.get().map(|b| b.flush(deadline)) {
                problems.push(format!("log records: {e}"));
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("; "))
            }
        })
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
        self.shared.metrics_health.urgent.store(true, Relaxed);
        let running = match self.running.lock() {
            Ok(mut g) => g.take(),
            Err(_) => None,
        };
        let Some(Running { provider, file_log, runtime, cancel, worker_done, .. }) = running else { return Ok(()) };
        if let Some((stop, handle)) = file_log {
            // Joining keeps a late record from racing the final export.
            drop(stop);
            let _ = run_bounded(started + timeout.mul_f64(0.2), move || handle.join());
        }
        let export_budget = timeout.mul_f64(0.8);
        let _ = worker_done.recv_timeout(export_budget.saturating_sub(started.elapsed()));
        // Abort hanging exports once the budget is spent, so every exporting thread can exit.
        let (finished_tx, finished_rx) = sync_channel::<()>(1);
        let remaining = export_budget.saturating_sub(started.elapsed());
        let canceller = std::thread::Builder::new().name("otel-rs-deadline".into()).spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished_rx.recv_timeout(remaining) {
                let _ = cancel.send(true);
            }
        });
        let shared = self.shared.clone();
        let export_deadline = started + export_budget;
        let outcome = run_bounded(deadline, move || {
            // Spans and logs drain in parallel with the metric reader's final export.
            let batchers = std::thread::Builder::new().name("otel-rs-drain".into()).spawn(move || shared.stop_batchers(export_deadline));
            let metrics = provider.shutdown();
            let drained = batchers.ok().map(|h| h.join().unwrap_or(false)).unwrap_or(false);
            (metrics, drained)
        });
        let result = match outcome {
            Some((Ok(()), true)) => Ok(()),
            // The SDK only says "Failed to shutdown"; the exporter knows why.
            Some((Err(_), _)) => Err(format!("final export failed: {}", self.last_error().unwrap_or_else(|| "unknown".into()))),
            Some((Ok(()), false)) => Err("final span/log export did not finish in time".into()),
            None => Err(format!("final export did not finish within {} ms", timeout.as_millis())),
        };
        drop(finished_tx);
        if let Ok(handle) = canceller {
            let _ = handle.join();
        }
        runtime.shutdown_timeout(deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(500)));
        self.shared.reporter.release_counter();
        result
    }

    /// The latest export failure of any signal.
    pub fn last_error(&self) -> Option<String> {
        [&self.shared.metrics_health, &self.shared.traces_health, &self.shared.logs_health]
            .iter()
            .filter_map(|h| h.last_error().map(|e| (h.last_failure_unix_ms.load(Relaxed), h.signal, e)))
            .max_by_key(|(t, _, _)| *t)
            .map(|(_, signal, e)| if signal == Signal::Metrics { e } else { format!("{}: {e}", signal.as_str()) })
    }
}

impl Shared {
    fn note_malformed(&self, why: &str) {
        self.counters.malformed.fetch_add(1, Relaxed);
        if let Some(n) = self.malformed_warning.due() {
            self.reporter.logs.push(
                Level::Warn,
                format!("diagnostics-otel: skipped {n} malformed diagnostic event(s) since the last warning (latest: {why})"),
            );
        }
    }

    /// Final export of queued spans and log records; true when both finished by `deadline`.
    fn stop_batchers(&self, deadline: Instant) -> bool {
        let spans = self.spans.get().is_none_or(|b| b.shutdown(deadline));
        let logs = self.log_records.get().is_none_or(|b| b.shutdown(deadline));
        spans && logs
    }

    fn new(s: Option<&Settings>) -> Self {
        let metrics_url = s.map(|s| &s.metrics).filter(|m| m.enabled).map(|m| m.endpoint.url.as_str());
        let traces_url = s.and_then(|s| s.traces.as_ref()).map(|t| t.endpoint.url.as_str());
        let logs_url = s.and_then(|s| s.logs.as_ref()).map(|l| match (&l.endpoint, l.stdout) {
            (Some(e), false) => e.url.clone(),
            (Some(e), true) => format!("{} and stdout", e.url),
            (None, _) => "stdout".to_string(),
        });
        Shared {
            counters: Counters::default(),
            reporter: Arc::new(Reporter::default()),
            malformed_warning: RateLimited::default(),
            dropped_warning: RateLimited::default(),
            queued_bytes: Default::default(),
            metrics_health: Arc::new(SignalHealth::new(Signal::Metrics, metrics_url)),
            traces_health: Arc::new(SignalHealth::new(Signal::Traces, traces_url)),
            logs_health: Arc::new(SignalHealth::new(Signal::Logs, logs_url.as_deref())),
            spans: OnceLock::new(),
            log_records: OnceLock::new(),
            spans_sampled_out: OnceLock::new(),
            implausible: Arc::default(),
            prometheus_dropped: OnceLock::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{resolve, Outcome};

    #[test]
    fn a_stopped_generation_keeps_no_instrument() {
        // A port nobody listens on: the final export fails fast.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap().port();
        let diagnostics = serde_json::json!({"enabled": true, "otel": {"enabled": true, "endpoint": format!("http://127.0.0.1:{port}"), "traces": false}});
        let Outcome::Enabled(s) = resolve(&diagnostics, &Default::default()).outcome else { panic!("not enabled") };
        let g = Generation::start(&s, &HostInfo::default());
        assert!(g.is_running());
        assert!(g.shared.reporter.holds_counter());
        let _ = g.shutdown(Duration::from_secs(2));
        // The JS handle (and with it `shared`) lives on until a GC finalizes it.
        assert!(!g.shared.reporter.holds_counter(), "the exporter-events counter outlived the stop");
    }
}
