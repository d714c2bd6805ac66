//! Every `#[napi]` item, and nothing else: JS values in, one core call, plain values out.
//! Nothing here throws into the host or panics across the boundary.

use crate::config::{self, Level, Outcome, PrometheusSettings};
use crate::event::Trust;
use crate::generation::status::{SignalSnapshot, Snapshot};
use crate::generation::{Generation, HostFacts, HostInfo};
use crate::policy::printable;
use crate::signals::filelog::FileLogSource;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hard upper bound for flush/shutdown, whatever the caller asks.
const MAX_WAIT_MS: u32 = 30_000;

#[napi(object)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

#[napi(object)]
pub struct Status {
    pub running: bool,
    pub summary: String,
    pub received: f64,
    pub recorded: f64,
    pub malformed: f64,
    /// Values and span times outside their plausibility bounds (docs/metrics.md), skipped.
    pub implausible: f64,
    pub ignored: f64,
    pub dropped: f64,
    pub late: f64,
    pub exports_ok: f64,
    pub exports_failed: f64,
    /// Periodic metric exports skipped while the collector's backoff ran (cumulative data waits).
    pub exports_deferred: f64,
    /// Metrics export: `starting`, `healthy`, `degraded` (1-2 failures in a row) or `failing`.
    pub state: String,
    pub state_since_unix_ms: Option<f64>,
    /// Why it is degraded or failing; cleared on recovery.
    pub cause: Option<String>,
    pub last_success_unix_ms: Option<f64>,
    pub last_failure_unix_ms: Option<f64>,
    pub last_error: Option<String>,
    /// Span export, when traces are on.
    pub traces: Option<SignalStatus>,
    /// Log record export, when logs are on.
    pub logs: Option<SignalStatus>,
}

#[napi(object)]
pub struct SignalStatus {
    pub destination: String,
    /// Items handed to the exporter successfully.
    pub exported: f64,
    /// Items lost, all causes: `droppedQueueFull + rejected + lostAtStop`.
    pub dropped: f64,
    /// Items the bounded batch queue refused (full while the collector was slow or away).
    pub dropped_queue_full: f64,
    /// Items the collector refused for good (4xx other than 408/429, TLS, unknown errors).
    pub rejected: f64,
    /// Items still unsent when the stop deadline came.
    pub lost_at_stop: f64,
    /// Export attempts that sent a batch again after a retryable failure.
    pub retries: f64,
    pub state: String,
    pub state_since_unix_ms: Option<f64>,
    pub cause: Option<String>,
    /// Spans the sampler left out (traces only).
    pub sampled_out: f64,
    pub exports_ok: f64,
    pub exports_failed: f64,
    pub last_success_unix_ms: Option<f64>,
    pub last_failure_unix_ms: Option<f64>,
    pub last_error: Option<String>,
}

/// napi has no u64: counts and times go to JS as doubles (exact below 2^53).
fn num(v: u64) -> f64 {
    v as f64
}

impl From<SignalSnapshot> for SignalStatus {
    fn from(s: SignalSnapshot) -> Self {
        SignalStatus {
            destination: s.destination.clone(),
            exported: num(s.counts.exported),
            dropped: num(s.lost()),
            dropped_queue_full: num(s.counts.dropped),
            rejected: num(s.counts.rejected),
            lost_at_stop: num(s.counts.lost_at_stop),
            retries: num(s.counts.retries),
            state: s.state.to_string(),
            state_since_unix_ms: s.state_since_unix_ms.map(num),
            cause: s.cause,
            sampled_out: num(s.sampled_out),
            exports_ok: num(s.exports_ok),
            exports_failed: num(s.exports_failed),
            last_success_unix_ms: s.last_success_unix_ms.map(num),
            last_failure_unix_ms: s.last_failure_unix_ms.map(num),
            last_error: s.last_error,
        }
    }
}

impl From<Snapshot> for Status {
    fn from(s: Snapshot) -> Self {
        let m = s.metrics;
        Status {
            running: s.running,
            summary: s.summary,
            received: num(s.received),
            recorded: num(s.recorded),
            malformed: num(s.malformed),
            implausible: num(s.implausible),
            ignored: num(s.ignored),
            dropped: num(s.dropped),
            late: num(s.late),
            exports_ok: num(m.exports_ok),
            exports_failed: num(m.exports_failed),
            exports_deferred: num(s.exports_deferred),
            state: m.state.to_string(),
            state_since_unix_ms: m.state_since_unix_ms.map(num),
            cause: m.cause,
            last_success_unix_ms: m.last_success_unix_ms.map(num),
            last_failure_unix_ms: m.last_failure_unix_ms.map(num),
            last_error: m.last_error,
            traces: s.traces.map(SignalStatus::from),
            logs: s.logs.map(SignalStatus::from),
        }
    }
}

#[napi(object)]
pub struct Settled {
    pub ok: bool,
    pub error: Option<String>,
    pub elapsed_ms: f64,
}

fn level_name(l: Level) -> String {
    match l {
        Level::Info => "info".into(),
        Level::Warn => "warn".into(),
    }
}

/// What the host tells about itself (index.js builds it; every field optional).
#[napi(object)]
pub struct HostInput {
    /// For `service.version`.
    pub openclaw_version: Option<String>,
    /// The diagnostic API subscribed to, for the startup line.
    pub subscription: Option<String>,
    /// Set on hosts whose logs are read from the gateway's file log.
    pub file_log: Option<FileLogInput>,
    /// The plugin entry's own `config` as JSON (`plugins.entries["diagnostics-otel"].config`):
    /// user data like the diagnostics block, made plain by index.js.
    pub plugin_config: Option<String>,
    /// index.js registered the Prometheus route on the gateway (OpenClaw 2026.9+).
    pub prometheus_route: Option<bool>,
    /// Machine and process facts for the resource detectors.
    pub facts: Option<FactsInput>,
}

/// As Node's `os` and `process` report them; the addon picks what OTEL_NODE_RESOURCE_DETECTORS
/// allows (by default no command line, arguments or owner).
#[napi(object)]
pub struct FactsInput {
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
    pub command_args: Option<Vec<String>>,
    pub executable_name: Option<String>,
    pub executable_path: Option<String>,
    pub owner: Option<String>,
}

#[napi(object)]
pub struct FileLogInput {
    /// `logging.file`, when configured.
    pub file: Option<String>,
    /// Where the rolling `openclaw-YYYY-MM-DD.log` may be.
    pub dirs: Option<Vec<String>>,
}

impl From<HostInput> for HostInfo {
    fn from(h: HostInput) -> Self {
        let non_empty = |s: Option<String>| s.filter(|x| !x.is_empty());
        HostInfo {
            openclaw_version: non_empty(h.openclaw_version),
            subscription: h.subscription.unwrap_or_default(),
            file_log: h.file_log.map(|f| FileLogSource {
                file: non_empty(f.file).map(Into::into),
                dirs: f.dirs.unwrap_or_default().into_iter().map(Into::into).collect(),
            }),
            prometheus_route: h.prometheus_route.unwrap_or(false),
            facts: h.facts.map(HostFacts::from).unwrap_or_default(),
        }
    }
}

impl From<FactsInput> for HostFacts {
    fn from(f: FactsInput) -> Self {
        HostFacts {
            host_name: f.host_name,
            host_arch: f.host_arch,
            host_id: f.host_id,
            os_type: f.os_type,
            os_version: f.os_version,
            pid: f.pid,
            runtime_name: f.runtime_name,
            runtime_version: f.runtime_version,
            runtime_description: f.runtime_description,
            command: f.command,
            command_args: f.command_args.unwrap_or_default(),
            executable_name: f.executable_name,
            executable_path: f.executable_path,
            owner: f.owner,
        }
    }
}

/// Build a generation from the host's `diagnostics` block; never fails, `running` tells.
fn open(diagnostics_json: &str, env: &config::Env, host: HostInput) -> (Generation, Option<PrometheusSettings>) {
    let diagnostics: serde_json::Value = serde_json::from_str(diagnostics_json).unwrap_or_default();
    let plugin: serde_json::Value = host.plugin_config.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    let resolved = config::resolve_with(&diagnostics, &plugin, env);
    let prometheus = match &resolved.outcome {
        Outcome::Enabled(s) => s.prometheus.clone(),
        Outcome::Disabled { .. } => None,
    };
    let generation = match resolved.outcome {
        Outcome::Disabled { level, reason } => {
            let g = Generation::inert(reason.clone());
            g.shared.reporter.logs.push(level, reason);
            g
        }
        Outcome::Enabled(settings) => {
            let g = Generation::start(&settings, &HostInfo::from(host));
            if g.is_running() {
                g.shared.reporter.logs.push(Level::Info, g.summary.clone());
            }
            g
        }
    };
    for w in resolved.warnings {
        generation.shared.reporter.logs.push(Level::Warn, w);
    }
    let serves = generation.is_running() && generation.prometheus.is_some();
    (generation, prometheus.filter(|_| serves))
}

/// One exporter generation. Create it in `start()`, drop it after `shutdown()`.
#[napi]
pub struct NativeGeneration {
    inner: Arc<Generation>,
    prometheus: Option<PrometheusSettings>,
}

/// Where index.js serves the Prometheus scrape; the token stays in JS memory, never printed.
#[napi(object)]
pub struct PrometheusPlan {
    /// Serve on the gateway's route (`routePath`) where the host has plugin HTTP routes.
    pub route: bool,
    pub route_path: String,
    /// The standalone listener, when configured.
    pub listen_host: Option<String>,
    pub listen_port: Option<u32>,
    pub listen_path: String,
    pub bearer_token: Option<String>,
    pub content_type: String,
}

#[napi(object)]
pub struct Scrape {
    pub ok: bool,
    pub body: Option<String>,
    pub error: Option<String>,
}

#[napi]
impl NativeGeneration {
    /// `diagnosticsJson` stays JSON: it is the user's arbitrary config, made plain data by
    /// index.js's `plainConfig`, and the resolver reads it as such. `env` and `host` are typed:
    /// napi throws on a wrong type before this runs, so index.js passes only strings there
    /// (`otelEnv` keeps string values only) and calls this inside startGeneration, whose
    /// rejection the service's start() catches and logs.
    #[napi(constructor)]
    pub fn new(diagnostics_json: String, env: BTreeMap<String, String>, host: HostInput) -> Self {
        let (generation, prometheus) = open(&diagnostics_json, &env, host);
        NativeGeneration { inner: Arc::new(generation), prometheus }
    }

    /// Where to serve Prometheus scrapes; undefined when the exposition is off or not running.
    #[napi(getter)]
    pub fn prometheus(&self) -> Option<PrometheusPlan> {
        self.prometheus.as_ref().map(|p| PrometheusPlan {
            route: p.route,
            route_path: config::prometheus::ROUTE_PATH.to_string(),
            listen_host: p.listen.as_ref().map(|l| l.host.clone()),
            listen_port: p.listen.as_ref().map(|l| u32::from(l.port)),
            listen_path: config::prometheus::LISTENER_PATH.to_string(),
            bearer_token: p.listen.as_ref().and_then(|l| l.bearer_token.clone()),
            content_type: crate::export::prometheus::CONTENT_TYPE.to_string(),
        })
    }

    /// One scrape's body, read and encoded off the JS thread.
    #[napi(ts_return_type = "Promise<Scrape>")]
    pub fn prometheus_text<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let g = self.inner.clone();
        let (deferred, promise) = env.create_deferred()?;
        let spawned = std::thread::Builder::new().name("otel-rs-scrape".into()).spawn(move || {
            let scrape = match g.prometheus_text() {
                Ok(body) => Scrape { ok: true, body: Some(body), error: None },
                Err(e) => Scrape { ok: false, body: None, error: Some(printable(&e)) },
            };
            deferred.resolve(move |_| Ok(scrape));
        });
        match spawned {
            Ok(_) => Ok(promise),
            Err(e) => Err(Error::from_reason(format!("diagnostics-otel: could not start a thread: {e}"))),
        }
    }

    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.inner.is_running()
    }

    #[napi(getter)]
    pub fn summary(&self) -> String {
        printable(&self.inner.summary)
    }

    /// One diagnostic event as JSON, with the host's trust bits (1 trusted, 2 internal).
    /// Cheap and non-blocking; after shutdown it only counts.
    #[napi]
    pub fn push(&self, event_json: String, trust: Option<u32>) {
        self.inner.push(&event_json, Trust::from_bits(trust.unwrap_or(0)));
    }

    /// Events as lines, each a trust digit then the event's JSON (what index.js batches).
    #[napi]
    pub fn push_batch(&self, lines: String) {
        self.inner.push_batch(lines);
    }

    /// The fields to hand over per event type, as JSON (see `event::compact`); empty when not
    /// running.
    #[napi(getter)]
    pub fn projection(&self) -> String {
        self.inner.projection.to_json()
    }

    /// `records` compact records of this generation's projection as columns (see
    /// `event::compact`: slot tags and values, the batch's texts joined with their UTF-16
    /// lengths), and the count of events of types it does not read. What index.js sends; the
    /// arrays are packed into the queue here, so index.js reuses them.
    #[napi]
    pub fn push_columns(&self, tags: Uint8Array, vals: Float64Array, texts: String, lens: Uint32Array, records: u32, unknown: u32) {
        self.inner.push_columns(&tags, &vals, texts, lens.to_vec(), records, unknown);
    }

    #[napi]
    pub fn push_unserializable(&self) {
        self.inner.push_unserializable();
    }

    #[napi]
    pub fn take_logs(&self) -> Vec<LogLine> {
        self.inner.shared.reporter.logs.take().into_iter().map(|(l, m)| LogLine { level: level_name(l), message: m }).collect()
    }

    #[napi]
    pub fn status(&self) -> Status {
        Status::from(self.inner.snapshot())
    }

    /// Record everything pushed so far and export it; resolves within `timeoutMs`.
    #[napi(ts_return_type = "Promise<Settled>")]
    pub fn flush<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let g = self.inner.clone();
        settle_on_thread(env, timeout_ms, move |t| g.flush(t))
    }

    /// Stop, export the last data and release every thread; resolves within `timeoutMs`.
    #[napi(ts_return_type = "Promise<Settled>")]
    pub fn shutdown<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let g = self.inner.clone();
        settle_on_thread(env, timeout_ms, move |t| g.shutdown(t))
    }
}

/// Run a blocking core call on its own thread and settle a promise with its outcome, so the
/// JS thread and libuv's pool are never blocked.
fn settle_on_thread<'env>(
    env: &'env Env,
    timeout_ms: u32,
    work: impl FnOnce(Duration) -> std::result::Result<(), String> + Send + 'static,
) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred()?;
    let timeout = Duration::from_millis(u64::from(timeout_ms.min(MAX_WAIT_MS)));
    let spawned = std::thread::Builder::new().name("otel-rs-settle".into()).spawn(move || {
        let started = Instant::now();
        let result = work(timeout);
        let outcome = Settled {
            ok: result.is_ok(),
            error: result.err().map(|e| printable(&e)),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        deferred.resolve(move |_| Ok(outcome));
    });
    match spawned {
        Ok(_) => Ok(promise),
        Err(e) => Err(Error::from_reason(format!("diagnostics-otel: could not start a thread: {e}"))),
    }
}

#[napi(object)]
pub struct PrometheusName {
    pub otlp: String,
    pub prometheus: String,
    /// `counter`, `gauge` or `histogram`.
    pub kind: String,
    pub unit: String,
    pub labels: Vec<String>,
}

/// Every catalog metric's OTLP name and its Prometheus name (as Prometheus' OTLP receiver and
/// our scrape name it), with `metricNamePrefix` applied (default `openclaw.`).
#[napi]
pub fn prometheus_names(prefix: Option<String>) -> Vec<PrometheusName> {
    use crate::catalog::prometheus::{catalog_names, PromKind};
    catalog_names(prefix.as_deref().unwrap_or(config::DEFAULT_PREFIX))
        .into_iter()
        .map(|p| PrometheusName {
            kind: match p.kind {
                PromKind::Counter => "counter",
                PromKind::Gauge => "gauge",
                PromKind::Histogram => "histogram",
            }
            .to_string(),
            otlp: p.otlp,
            prometheus: p.prometheus,
            unit: p.unit.to_string(),
            labels: p.labels,
        })
        .collect()
}
