//! Pure resolution of the host's `diagnostics` block plus `OTEL_*` environment into typed
//! settings. Every invalid value yields one warning naming the key, the problem and the
//! fallback; header values never appear in a message.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

pub const DEFAULT_SERVICE_NAME: &str = "openclaw";
pub const DEFAULT_INTERVAL_MS: u64 = 30_000;
pub const MIN_INTERVAL_MS: u64 = 1_000;
pub const DEFAULT_EXPORT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_PREFIX: &str = "openclaw.";
const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";
const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

pub mod credentials;
mod endpoint;
pub mod prometheus;
mod proxy;
mod read;
pub mod resource;
mod tls;

pub use credentials::HeaderSource;
use endpoint::*;
pub use endpoint::{redact_url, url_from_base, Endpoint};
pub use prometheus::PrometheusSettings;
pub use proxy::{shown as shown_proxy, Proxy};
use read::{type_name, Ctx};
pub use resource::Detectors;
pub use tls::{PemFile, Tls};

pub type Env = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    HttpProtobuf,
    HttpJson,
    Grpc,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
            Protocol::Grpc => "grpc",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemporalityPref {
    Cumulative,
    Delta,
    LowMemory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// Each signal owns its endpoint; what every signal shares (the resource) stays at the top.
#[derive(Clone, Debug)]
pub struct Settings {
    pub service_name: String,
    /// OTEL_RESOURCE_ATTRIBUTES.
    pub resource_attributes: Vec<(String, String)>,
    /// The plugin config's `resourceAttributes`: wins over OTEL_RESOURCE_ATTRIBUTES.
    pub config_resource_attributes: Vec<(String, String)>,
    /// Which host and process facts go in (OTEL_NODE_RESOURCE_DETECTORS).
    pub detectors: Detectors,
    pub metrics: MetricsSettings,
    pub traces: Option<TracesSettings>,
    pub logs: Option<LogsSettings>,
    /// Scrapes of the metrics (the plugin's own config), alongside or instead of OTLP.
    pub prometheus: Option<PrometheusSettings>,
    /// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, for every signal's exporter.
    pub proxy: Proxy,
    /// Rotating headers (the plugin's own config) over every OTLP signal's static ones.
    pub header_sources: Vec<HeaderSource>,
}

/// Resolved even when metrics are off (`enabled` false, not None): its problems are warned
/// about either way, its prefix still names the recorder's instruments, and a configured
/// interval also paces span and log batches.
#[derive(Clone, Debug)]
pub struct MetricsSettings {
    pub enabled: bool,
    /// Its timeout is the per-export cap (OTEL_METRIC_EXPORT_TIMEOUT) already applied.
    pub endpoint: Endpoint,
    pub interval: Duration,
    pub name_prefix: String,
    pub temporality: TemporalityPref,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Metrics,
    Traces,
    Logs,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Metrics => "metrics",
            Signal::Traces => "traces",
            Signal::Logs => "logs",
        }
    }

    pub(crate) fn env_infix(self) -> &'static str {
        match self {
            Signal::Metrics => "METRICS",
            Signal::Traces => "TRACES",
            Signal::Logs => "LOGS",
        }
    }
}

/// A bounded batch processor's limits (`OTEL_BSP_*` for spans, `OTEL_BLRP_*` for logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSettings {
    pub max_queue: usize,
    pub max_batch: usize,
    pub delay: Duration,
    pub export_timeout: Duration,
}

/// Which root spans are kept: the ratio applies to trace ids, so every span of one trace gets
/// the same decision; with `parent_based`, a remote parent's sampled flag decides instead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    pub ratio: f64,
    pub parent_based: bool,
    pub source: &'static str,
}

/// Where a span goes whose diagnostic parent this plugin never exports (nor was told it will):
/// the plugin config's `unknownParents`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownParents {
    /// Under the nearest ancestor that is exported; with none, a root in the same trace.
    #[default]
    Nearest,
    /// A new trace of its own, linked to the context it happened in.
    NewTrace,
}

#[derive(Clone, Debug)]
pub struct TracesSettings {
    pub endpoint: Endpoint,
    pub sampling: Sampling,
    pub batch: BatchSettings,
    /// Opt-in (OPENCLAW_OTEL_SESSION_HASH_SALT): spans carry a salted hash of the session key.
    pub session_hash_salt: Option<String>,
    /// OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental: latest GenAI names.
    pub latest_gen_ai: bool,
    pub unknown_parents: UnknownParents,
}

#[derive(Clone, Debug)]
pub struct LogsSettings {
    /// OTLP destination, unless `logsExporter` is `stdout`.
    pub endpoint: Option<Endpoint>,
    pub stdout: bool,
    /// Log bodies leave the process only with `captureContent: true`.
    pub capture_content: bool,
    pub batch: BatchSettings,
}

#[derive(Debug)]
pub enum Outcome {
    /// Nothing starts; the message says why (logged at `level`).
    Disabled {
        level: Level,
        reason: String,
    },
    Enabled(Box<Settings>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
}

#[derive(Debug)]
pub struct Resolved {
    pub outcome: Outcome,
    pub warnings: Vec<String>,
}

/// Resolve everything. `diagnostics` is the host's `config.diagnostics` block (may be null).
pub fn resolve(diagnostics: &Value, env: &Env) -> Resolved {
    resolve_with(diagnostics, &Value::Null, env)
}

/// With the plugin's own config (`plugins.entries["diagnostics-otel"].config`, may be null),
/// which holds the Prometheus exposition: it works with OTLP off (scrape only).
pub fn resolve_with(diagnostics: &Value, plugin: &Value, env: &Env) -> Resolved {
    let empty = Map::new();
    let otel = diagnostics.get("otel").and_then(Value::as_object).unwrap_or(&empty);
    let mut cx = Ctx { otel, env, warnings: Vec::new() };
    let prometheus = prometheus::resolve(plugin, &mut |w| cx.warn(w));
    let otel_on = otel.get("enabled") == Some(&Value::Bool(true));
    let disabled = |level, reason: &str, cx: Ctx| Resolved {
        outcome: Outcome::Disabled { level, reason: format!("diagnostics-otel: not exporting: {reason}") },
        warnings: cx.warnings,
    };

    if !otel_on && prometheus.is_none() {
        return disabled(Level::Info, "diagnostics.otel.enabled is not true", cx);
    }
    if diagnostics.get("enabled") != Some(&Value::Bool(true)) {
        let what = if otel_on { "diagnostics.otel.enabled" } else { prometheus::WHERE_ENABLED };
        let reason =
            format!("{what} is true but diagnostics.enabled is not, so OpenClaw emits no diagnostic events; set diagnostics.enabled: true");
        return disabled(Level::Warn, &reason, cx);
    }
    if sdk_disabled(&mut cx) {
        return disabled(Level::Warn, "OTEL_SDK_DISABLED=true in the gateway's environment", cx);
    }

    // With OTLP off (the Prometheus exposition alone) no signal is pushed.
    let metrics_on = cx.cfg_bool("metrics", true) && otel_on;
    let traces_on = cx.cfg_bool("traces", true) && otel_on;
    let logs_on = cx.cfg_bool("logs", false) && otel_on;
    let mut metrics_endpoint = resolve_endpoint(&mut cx, Signal::Metrics);
    let resource_attributes = resolve_resource_attributes(&mut cx);
    let config_resource_attributes = resource::resolve_config_attributes(plugin, &mut |w| cx.warn(w));
    let detectors_raw = cx.env("OTEL_NODE_RESOURCE_DETECTORS").map(str::to_string);
    let detectors = resource::resolve_detectors(detectors_raw.as_deref(), &mut |w| cx.warn(w));
    // serviceName, OTEL_SERVICE_NAME, then a service.name among the resource attributes.
    let named = |attrs: &[(String, String)]| attrs.iter().rev().find(|(k, _)| k == "service.name").map(|(_, v)| v.clone());
    let service_name = cx
        .cfg_str("serviceName")
        .or_else(|| cx.env("OTEL_SERVICE_NAME").map(str::to_string))
        .or_else(|| named(&config_resource_attributes))
        .or_else(|| named(&resource_attributes))
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_string());
    let interval = resolve_interval(&mut cx);
    let cap = env_millis(&mut cx, "OTEL_METRIC_EXPORT_TIMEOUT", 30_000).unwrap_or(30_000);
    // Independent of the interval: a slow but healthy collector at a 1 s interval still
    // gets the whole request timeout (the reader simply skips ticks while it waits).
    metrics_endpoint.timeout = metrics_endpoint.timeout.min(Duration::from_millis(cap));
    let name_prefix = resolve_prefix(&mut cx);
    let temporality = resolve_temporality(&mut cx);
    // Like the official plugin, a configured flushIntervalMs also paces span and log batches.
    let paced = matches!(cx.otel.get("flushIntervalMs"), Some(Value::Number(_))).then_some(interval);
    let unknown_parents = resolve_unknown_parents(plugin, &mut |w| cx.warn(w));
    let mut traces = traces_on.then(|| TracesSettings { unknown_parents, ..resolve_traces(&mut cx, paced) });
    let mut logs = logs_on.then(|| resolve_logs(&mut cx, paced));
    let proxy = proxy::resolve_proxy(&mut cx);
    let header_sources = credentials::resolve(plugin, &mut |w| cx.warn(w));

    // A signal whose TLS files are missing, incomplete or unreadable stays off alone; each
    // problem is warned once, naming the signals it keeps off.
    let mut tls_problems: Vec<(String, Vec<&str>)> = Vec::new();
    let mut tls_for = |endpoint: &mut Endpoint, signal: Signal| match tls::resolve_tls(&cx, signal, &endpoint.url) {
        Ok(t) => {
            endpoint.tls = t;
            true
        }
        Err(problem) => {
            match tls_problems.iter_mut().find(|(p, _)| *p == problem) {
                Some((_, signals)) => signals.push(signal.as_str()),
                None => tls_problems.push((problem, vec![signal.as_str()])),
            }
            false
        }
    };
    let metrics_on = metrics_on && tls_for(&mut metrics_endpoint, Signal::Metrics);
    if let Some(t) = &mut traces {
        if !tls_for(&mut t.endpoint, Signal::Traces) {
            traces = None;
        }
    }
    if let Some(l) = &mut logs {
        if let Some(ep) = &mut l.endpoint {
            if !tls_for(ep, Signal::Logs) {
                l.endpoint = None;
            }
        }
        if l.endpoint.is_none() && !l.stdout {
            logs = None;
        }
    }
    let tls_failed = !tls_problems.is_empty();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let endpoints =
        [metrics_on.then_some(&metrics_endpoint), traces.as_ref().map(|t| &t.endpoint), logs.as_ref().and_then(|l| l.endpoint.as_ref())];
    let mut expired: Vec<String> = Vec::new();
    for problem in endpoints.into_iter().flatten().filter_map(|e| e.tls.client_validity_problem(now)) {
        if !expired.contains(&problem) {
            expired.push(problem);
        }
    }
    for (problem, signals) in tls_problems {
        cx.warn(format!("{problem}; not exporting {}", signals.join(" and ")));
    }
    for problem in expired {
        cx.warn(problem);
    }

    let settings = Settings {
        service_name,
        resource_attributes,
        config_resource_attributes,
        detectors,
        metrics: MetricsSettings { enabled: metrics_on, endpoint: metrics_endpoint, interval, name_prefix, temporality },
        traces,
        logs,
        prometheus,
        proxy,
        header_sources,
    };
    if !metrics_on && settings.traces.is_none() && settings.logs.is_none() && settings.prometheus.is_none() {
        let why = if tls_failed {
            "no signal has a usable TLS setup (see the TLS warnings)"
        } else {
            "diagnostics.otel.metrics and .traces are false and .logs is not true; nothing to export"
        };
        return disabled(Level::Warn, why, cx);
    }
    let mut defaulted: Vec<String> = Vec::new();
    if settings.metrics.enabled && settings.metrics.endpoint.defaulted {
        defaulted.push(format!("metrics to {}", settings.metrics.endpoint.url));
    }
    if let Some(e) = settings.traces.as_ref().map(|t| &t.endpoint).filter(|e| e.defaulted) {
        defaulted.push(format!("traces to {}", e.url));
    }
    if let Some(e) = settings.logs.as_ref().and_then(|l| l.endpoint.as_ref()).filter(|e| e.defaulted) {
        defaulted.push(format!("logs to {}", e.url));
    }
    if !defaulted.is_empty() {
        cx.warn(format!(
            "no endpoint configured (diagnostics.otel.endpoint, diagnostics.otel.<signal>Endpoint, OTEL_EXPORTER_OTLP_ENDPOINT); sending {}",
            defaulted.join(", ")
        ));
    }
    Resolved { outcome: Outcome::Enabled(Box::new(settings)), warnings: cx.warnings }
}

/// `plugins.entries["diagnostics-otel"].config.unknownParents`: `nearest` (default) or `new-trace`.
fn resolve_unknown_parents(plugin: &Value, warn: &mut dyn FnMut(String)) -> UnknownParents {
    match plugin.get("unknownParents") {
        None | Some(Value::Null) => UnknownParents::Nearest,
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("nearest") => UnknownParents::Nearest,
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("new-trace") => UnknownParents::NewTrace,
        Some(other) => {
            warn(format!(
                "plugins.entries.diagnostics-otel.config.unknownParents must be \"nearest\" or \"new-trace\", got {}; using nearest",
                if other.is_string() { other.to_string() } else { type_name(other).to_string() }
            ));
            UnknownParents::Nearest
        }
    }
}

/// `OTEL_BSP_*` / `OTEL_BLRP_*`: positive integers, else the OpenTelemetry default with a warning;
/// the batch never exceeds the queue.
fn resolve_batch(cx: &mut Ctx, prefix: &str, default_delay_ms: u64) -> BatchSettings {
    let mut int = |name: &str, default: u64| -> u64 {
        let key = format!("{prefix}_{name}");
        let Some(raw) = cx.env(&key).map(str::to_string) else { return default };
        match raw.parse::<u64>() {
            Ok(v) if v > 0 => v,
            _ => {
                cx.warn(format!("{key} \"{raw}\" is not a positive integer; using {default}"));
                default
            }
        }
    };
    let max_queue = int("MAX_QUEUE_SIZE", 2048).min(1 << 20) as usize;
    let max_batch = (int("MAX_EXPORT_BATCH_SIZE", 512) as usize).min(max_queue);
    let delay = Duration::from_millis(int("SCHEDULE_DELAY", default_delay_ms));
    let export_timeout = Duration::from_millis(int("EXPORT_TIMEOUT", 30_000));
    BatchSettings { max_queue, max_batch, delay, export_timeout }
}

fn ratio_arg(cx: &mut Ctx) -> f64 {
    let Some(raw) = cx.env("OTEL_TRACES_SAMPLER_ARG").map(str::to_string) else { return 1.0 };
    match raw.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => v,
        _ => {
            cx.warn(format!("OTEL_TRACES_SAMPLER_ARG \"{raw}\" is not a ratio between 0 and 1; using 1.0"));
            1.0
        }
    }
}

/// Priority: config `sampleRate` (a parent-based ratio on root spans) > OTEL_TRACES_SAMPLER(_ARG)
/// > keep everything.
fn resolve_sampling(cx: &mut Ctx) -> Sampling {
    match cx.otel.get("sampleRate") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_f64().is_some_and(|v| (0.0..=1.0).contains(&v)) => {
            let ratio = n.as_f64().unwrap_or(1.0);
            return Sampling { ratio, parent_based: true, source: "diagnostics.otel.sampleRate" };
        }
        Some(other) => cx.warn(format!(
            "diagnostics.otel.sampleRate must be a number from 0.0 to 1.0, got {}; ignoring it",
            match other {
                Value::Number(n) => n.to_string(),
                v => type_name(v).to_string(),
            }
        )),
    }
    let source = "OTEL_TRACES_SAMPLER";
    let Some(name) = cx.env(source).map(str::to_ascii_lowercase) else {
        return Sampling { ratio: 1.0, parent_based: true, source: "default" };
    };
    let (ratio, parent_based) = match name.as_str() {
        "always_on" => (1.0, false),
        "always_off" => (0.0, false),
        "traceidratio" => (ratio_arg(cx), false),
        "parentbased_always_on" => (1.0, true),
        "parentbased_always_off" => (0.0, true),
        "parentbased_traceidratio" => (ratio_arg(cx), true),
        other => {
            cx.warn(format!(
                "OTEL_TRACES_SAMPLER \"{other}\" is not supported (always_on, always_off, traceidratio, parentbased_*); keeping every trace"
            ));
            (1.0, true)
        }
    };
    Sampling { ratio, parent_based, source }
}

fn resolve_traces(cx: &mut Ctx, paced: Option<Duration>) -> TracesSettings {
    let endpoint = resolve_endpoint(cx, Signal::Traces);
    let sampling = resolve_sampling(cx);
    let mut batch = resolve_batch(cx, "OTEL_BSP", 5_000);
    batch.delay = paced.unwrap_or(batch.delay);
    let session_hash_salt = cx.env("OPENCLAW_OTEL_SESSION_HASH_SALT").map(str::to_string);
    let latest_gen_ai =
        cx.env("OTEL_SEMCONV_STABILITY_OPT_IN").is_some_and(|v| v.split(',').any(|x| x.trim() == "gen_ai_latest_experimental"));
    TracesSettings { endpoint, sampling, batch, session_hash_salt, latest_gen_ai, unknown_parents: UnknownParents::Nearest }
}

fn resolve_logs(cx: &mut Ctx, paced: Option<Duration>) -> LogsSettings {
    let exporter = match cx.otel.get("logsExporter") {
        None | Some(Value::Null) => "otlp".to_string(),
        Some(Value::String(s)) if ["otlp", "stdout", "both"].contains(&s.trim().to_ascii_lowercase().as_str()) => {
            s.trim().to_ascii_lowercase()
        }
        Some(other) => {
            cx.warn(format!(
                "diagnostics.otel.logsExporter must be \"otlp\", \"stdout\" or \"both\", got {}; using \"otlp\"",
                match other {
                    Value::String(s) => format!("\"{s}\""),
                    v => type_name(v).to_string(),
                }
            ));
            "otlp".to_string()
        }
    };
    let endpoint = (exporter != "stdout").then(|| resolve_endpoint(cx, Signal::Logs));
    let capture_content = match cx.otel.get("captureContent") {
        Some(Value::Bool(b)) => *b,
        // The object form selects content classes for model and tool spans, which we never export.
        None | Some(Value::Null) | Some(Value::Object(_)) => false,
        Some(other) => {
            cx.warn(format!("diagnostics.otel.captureContent must be true or false, got {}; using false", type_name(other)));
            false
        }
    };
    let mut batch = resolve_batch(cx, "OTEL_BLRP", 1_000);
    batch.delay = paced.unwrap_or(batch.delay);
    LogsSettings { endpoint, stdout: exporter != "otlp", capture_content, batch }
}

fn sdk_disabled(cx: &mut Ctx) -> bool {
    match cx.env("OTEL_SDK_DISABLED").map(str::to_ascii_lowercase) {
        None => false,
        Some(v) if v == "true" => true,
        Some(v) if v == "false" => false,
        Some(_) => {
            cx.warn("OTEL_SDK_DISABLED must be true or false; treating it as false".into());
            false
        }
    }
}

fn resolve_resource_attributes(cx: &mut Ctx) -> Vec<(String, String)> {
    match cx.env("OTEL_RESOURCE_ATTRIBUTES").map(str::to_string) {
        Some(raw) => parse_pairs(cx, "OTEL_RESOURCE_ATTRIBUTES", &raw, "value"),
        None => Vec::new(),
    }
}

/// Priority: config `flushIntervalMs` (min 1000) > OTEL_METRIC_EXPORT_INTERVAL > 30000.
fn resolve_interval(cx: &mut Ctx) -> Duration {
    let ms = match cx.otel.get("flushIntervalMs") {
        None | Some(Value::Null) => env_millis(cx, "OTEL_METRIC_EXPORT_INTERVAL", DEFAULT_INTERVAL_MS).unwrap_or(DEFAULT_INTERVAL_MS),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= MIN_INTERVAL_MS as f64 => v as u64,
            Some(v) if v.is_finite() && v > 0.0 => {
                cx.warn(format!("diagnostics.otel.flushIntervalMs {v} is below the minimum; using {MIN_INTERVAL_MS}"));
                MIN_INTERVAL_MS
            }
            _ => {
                cx.warn(format!("diagnostics.otel.flushIntervalMs must be a positive number of milliseconds; using {DEFAULT_INTERVAL_MS}"));
                DEFAULT_INTERVAL_MS
            }
        },
        Some(other) => {
            cx.warn(format!(
                "diagnostics.otel.flushIntervalMs must be a number of milliseconds, got {}; using {DEFAULT_INTERVAL_MS}",
                type_name(other)
            ));
            DEFAULT_INTERVAL_MS
        }
    };
    Duration::from_millis(ms.max(MIN_INTERVAL_MS))
}

fn valid_prefix(p: &str) -> bool {
    p.is_empty()
        || (p.len() <= 128
            && p.as_bytes()[0].is_ascii_alphabetic()
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/')))
}

fn resolve_prefix(cx: &mut Ctx) -> String {
    match cx.otel.get("metricNamePrefix") {
        None | Some(Value::Null) => DEFAULT_PREFIX.to_string(),
        Some(Value::String(p)) if valid_prefix(p) => p.clone(),
        Some(Value::String(p)) => {
            cx.warn(format!(
                "diagnostics.otel.metricNamePrefix \"{p}\" must start with a letter and use only letters, digits, _ . - / (at most 128); using \"{DEFAULT_PREFIX}\""
            ));
            DEFAULT_PREFIX.to_string()
        }
        Some(other) => {
            cx.warn(format!("diagnostics.otel.metricNamePrefix must be a string, got {}; using \"{DEFAULT_PREFIX}\"", type_name(other)));
            DEFAULT_PREFIX.to_string()
        }
    }
}

fn resolve_temporality(cx: &mut Ctx) -> TemporalityPref {
    let key = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    match cx.env(key).map(str::to_ascii_lowercase).as_deref() {
        None | Some("cumulative") => TemporalityPref::Cumulative,
        Some("delta") => TemporalityPref::Delta,
        Some("lowmemory") => TemporalityPref::LowMemory,
        Some(other) => {
            cx.warn(format!("{key} \"{other}\" is not one of cumulative, delta, lowmemory; using cumulative"));
            TemporalityPref::Cumulative
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn enabled(otel: Value, e: &[(&str, &str)]) -> (Settings, Vec<String>) {
        let r = resolve(&json!({"enabled": true, "otel": otel}), &env(e));
        match r.outcome {
            Outcome::Enabled(s) => (*s, r.warnings),
            Outcome::Disabled { reason, .. } => panic!("disabled: {reason}"),
        }
    }

    #[test]
    fn gates() {
        let r = resolve(&json!({"enabled": true}), &env(&[]));
        assert!(matches!(r.outcome, Outcome::Disabled { level: Level::Info, .. }));
        let r = resolve(&json!({"otel": {"enabled": true}}), &env(&[]));
        let Outcome::Disabled { level, reason } = r.outcome else { panic!() };
        assert_eq!(level, Level::Warn);
        assert!(reason.contains("diagnostics.enabled"), "{reason}");
        let r = resolve(&json!({"enabled": true, "otel": {"enabled": true}}), &env(&[("OTEL_SDK_DISABLED", "TRUE")]));
        assert!(matches!(r.outcome, Outcome::Disabled { level: Level::Warn, .. }));
        let r = resolve(&Value::Null, &env(&[]));
        assert!(matches!(r.outcome, Outcome::Disabled { .. }));
    }

    #[test]
    fn defaults_and_missing_endpoint_warning() {
        let (s, w) = enabled(json!({"enabled": true}), &[]);
        assert_eq!(s.metrics.endpoint.protocol, Protocol::HttpProtobuf);
        assert_eq!(s.metrics.endpoint.url, "http://localhost:4318/v1/metrics");
        assert!(s.metrics.endpoint.defaulted);
        assert_eq!(s.service_name, "openclaw");
        assert_eq!(s.metrics.interval, Duration::from_millis(30_000));
        assert_eq!(s.metrics.endpoint.timeout, Duration::from_millis(10_000));
        assert_eq!(s.metrics.name_prefix, "openclaw.");
        assert_eq!(s.metrics.temporality, TemporalityPref::Cumulative);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("no endpoint configured"), "{w:?}");
    }

    #[test]
    fn endpoint_resolution() {
        let cases = [
            ("http://c:4318", "http://c:4318/v1/metrics"),
            ("http://c:4318/", "http://c:4318/v1/metrics"),
            ("http://prom:9090/api/v1/otlp", "http://prom:9090/api/v1/otlp/v1/metrics"),
            ("https://h/otlp/v1/traces", "https://h/otlp/v1/metrics"),
            ("https://h/v1/metrics", "https://h/v1/metrics"),
            ("https://h/x?token=1", "https://h/x/v1/metrics?token=1"),
        ];
        for (base, want) in cases {
            let (s, _) = enabled(json!({"enabled": true, "endpoint": base}), &[]);
            assert_eq!(s.metrics.endpoint.url, want, "{base}");
            assert!(!s.metrics.endpoint.defaulted);
        }
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://a:1", "metricsEndpoint": "http://b:2/custom"}), &[]);
        assert_eq!(s.metrics.endpoint.url, "http://b:2/custom");
        let (s, _) = enabled(
            json!({"enabled": true}),
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://e:1"), ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:2/x")],
        );
        assert_eq!(s.metrics.endpoint.url, "http://m:2/x");
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://cfg:1"}), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:1")]);
        assert_eq!(s.metrics.endpoint.url, "http://cfg:1/v1/metrics");
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://g:4317", "protocol": "grpc"}), &[]);
        assert_eq!(s.metrics.endpoint.url, "http://g:4317");
    }

    #[test]
    fn bad_endpoint_warns_and_falls_back() {
        let (s, w) = enabled(json!({"enabled": true, "endpoint": "collector:4318"}), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318")]);
        assert_eq!(s.metrics.endpoint.url, "http://env:4318/v1/metrics");
        assert!(w[0].contains("diagnostics.otel.endpoint") && w[0].contains("http://"), "{w:?}");
    }

    #[test]
    fn endpoints_are_fully_checked_at_config_time() {
        for (bad, why) in [
            ("http://[::1", "invalid"),
            ("http://collector:99999", "port"),
            ("http://collector:-1", "port"),
            ("http://collector:abc", "port"),
            ("http://collector:0", "port is 0"),
            ("ftp://collector", "http://"),
            ("http://user:PASSWORD@%zz:1", "invalid"),
            ("https://u127.0.0.1:4318", "not a valid DNS name"),
            ("http://collector:4318/#a\u{7}b", "control character"),
        ] {
            let (s, w) = enabled(json!({"enabled": true, "endpoint": bad}), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318")]);
            assert_eq!(s.metrics.endpoint.url, "http://env:4318/v1/metrics", "{bad}");
            assert_eq!(w.len(), 1, "{bad}: {w:?}");
            assert!(w[0].contains("diagnostics.otel.endpoint") && w[0].contains(why), "{bad}: {w:?}");
            assert!(!w[0].contains("PASSWORD"), "{w:?}");
        }
        // Schemes are case-insensitive; an IPv6 literal with a port is fine.
        let (s, w) = enabled(json!({"enabled": true, "endpoint": "HTTP://[::1]:4318"}), &[]);
        assert_eq!(s.metrics.endpoint.url, "http://[::1]:4318/v1/metrics", "{w:?}");
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn protocol_priority_and_fallback() {
        let (s, _) = enabled(
            json!({"enabled": true, "endpoint": "http://x"}),
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json")],
        );
        assert_eq!(s.metrics.endpoint.protocol, Protocol::HttpJson);
        let (s, w) =
            enabled(json!({"enabled": true, "endpoint": "http://x", "protocol": "thrift"}), &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(s.metrics.endpoint.protocol, Protocol::HttpProtobuf);
        assert!(w.iter().any(|m| m.contains("diagnostics.otel.protocol") && m.contains("thrift")), "{w:?}");
    }

    #[test]
    fn headers_merge_and_never_leak_values() {
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": "http://x", "headers": {"Authorization": "Bearer s3cret", "bad header": "zzz", "n": 5}}),
            &[
                ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=env-secret,x-tenant=a%20b"),
                ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-tenant=m"),
            ],
        );
        assert_eq!(
            s.metrics.endpoint.headers,
            vec![("authorization".to_string(), "Bearer s3cret".to_string()), ("x-tenant".to_string(), "m".to_string())]
        );
        assert_eq!(w.len(), 2, "{w:?}");
        for m in &w {
            assert!(!m.contains("s3cret") && !m.contains("env-secret") && !m.contains("zzz"), "{m}");
        }
    }

    #[test]
    fn a_credential_split_into_a_header_name_is_reported_by_position() {
        // `Authorization: Basic <b64>=` splits at the base64 '=': the "name" is the credential.
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": "http://x", "headers": {"x-ok": "1", "Bad Name dXNlcjpwYXNzd29yZA": "v"}}),
            &[("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=a,Authorization: Basic dXNlcjpwYXNzd29yZA==")],
        );
        assert_eq!(s.metrics.endpoint.headers, vec![("x-ok".to_string(), "1".to_string()), ("x-tenant".to_string(), "a".to_string())]);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("OTEL_EXPORTER_OTLP_HEADERS entry #2"), "{w:?}");
        assert!(w[1].contains("diagnostics.otel.headers entry #1"), "{w:?}");
        for m in &w {
            assert!(!m.contains("dXNlcjpwYXNzd29yZA") && !m.contains("Basic"), "{m}");
        }
    }

    #[test]
    fn service_name_priority() {
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://x", "serviceName": " gw "}), &[("OTEL_SERVICE_NAME", "env")]);
        assert_eq!(s.service_name, "gw");
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://x"}), &[("OTEL_SERVICE_NAME", "env")]);
        assert_eq!(s.service_name, "env");
    }

    #[test]
    fn interval_and_timeout() {
        let (s, w) =
            enabled(json!({"enabled": true, "endpoint": "http://x", "flushIntervalMs": 10}), &[("OTEL_METRIC_EXPORT_INTERVAL", "5000")]);
        assert_eq!(s.metrics.interval, Duration::from_millis(1000));
        assert_eq!(s.metrics.endpoint.timeout, Duration::from_millis(10_000), "the request timeout is not cut to the interval");
        assert!(w[0].contains("flushIntervalMs"));
        let (s, _) = enabled(
            json!({"enabled": true, "endpoint": "http://x"}),
            &[("OTEL_METRIC_EXPORT_INTERVAL", "5000"), ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")],
        );
        assert_eq!(s.metrics.interval, Duration::from_millis(5000));
        assert_eq!(s.metrics.endpoint.timeout, Duration::from_millis(2500));
        let (s, w) = enabled(json!({"enabled": true, "endpoint": "http://x", "flushIntervalMs": "soon"}), &[]);
        assert_eq!(s.metrics.interval, Duration::from_millis(30_000));
        assert!(w[0].contains("flushIntervalMs") && w[0].contains("string"), "{w:?}");
        let (s, w) = enabled(json!({"enabled": true, "endpoint": "http://x"}), &[("OTEL_METRIC_EXPORT_INTERVAL", "-3")]);
        assert_eq!(s.metrics.interval, Duration::from_millis(30_000));
        assert!(w[0].contains("OTEL_METRIC_EXPORT_INTERVAL"));
    }

    #[test]
    fn prefix_temporality_compression_resource() {
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://x", "metricNamePrefix": ""}), &[]);
        assert_eq!(s.metrics.name_prefix, "");
        let (s, w) = enabled(json!({"enabled": true, "endpoint": "http://x", "metricNamePrefix": "9bad"}), &[]);
        assert_eq!(s.metrics.name_prefix, "openclaw.");
        assert!(w[0].contains("metricNamePrefix"));
        let (s, _) = enabled(
            json!({"enabled": true, "endpoint": "http://x"}),
            &[
                ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=a%2Cb"),
            ],
        );
        assert_eq!(s.metrics.temporality, TemporalityPref::Delta);
        assert_eq!(s.metrics.endpoint.compression, Compression::Gzip);
        assert_eq!(s.resource_attributes, vec![("deployment.environment".into(), "prod".into()), ("team".into(), "a,b".into())]);
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": "http://x"}),
            &[("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes")],
        );
        assert_eq!(s.metrics.temporality, TemporalityPref::Cumulative);
        assert!(w[0].contains("TEMPORALITY"));
    }

    #[test]
    fn redacts_credentials_in_urls() {
        assert_eq!(redact_url("https://user:pw@h:1/v1/metrics?key=abc"), "https://***@h:1/v1/metrics?***");
        assert_eq!(redact_url("http://h:4318/v1/metrics"), "http://h:4318/v1/metrics");
        assert_eq!(redact_url("http://u:12/pw@h:1/v1/metrics"), "http://***@h:1/v1/metrics", "a valid URL, typed as user info");
        // Found by fuzzing: a password with `/`, `?` or `#` typed unencoded.
        for (bad, shown) in [
            ("http://user:pa#ss@h:1", "http://***@h:1"),
            ("http://user:pa/ss@h:1/v1", "http://***@h:1/v1"),
            ("https://u:p?w@h", "https://***@h"),
            ("u:pa/ss@h:1", "***@h:1"),
            ("http://http://u:/pa/@:4318/", "http://***@:4318/"),
            ("#pa/@h://", "***@h://"),
        ] {
            assert_eq!(redact_url(bad), shown);
            let (_, w) = enabled(json!({"enabled": true, "endpoint": bad}), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318")]);
            assert!(w.iter().all(|m| !m.contains("pa") && !m.contains("p?w")), "{w:?}");
        }
    }

    #[test]
    fn wrong_typed_toggles_warn() {
        let (s, w) = enabled(json!({"enabled": true, "endpoint": "http://x", "metrics": "yes"}), &[]);
        assert!(s.metrics.enabled);
        assert!(w[0].contains("diagnostics.otel.metrics"));
    }

    #[test]
    fn signals_resolve_their_own_endpoints() {
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://c:4318", "logs": true}), &[]);
        let t = s.traces.expect("traces default on");
        assert_eq!(t.endpoint.url, "http://c:4318/v1/traces");
        let l = s.logs.expect("logs on");
        assert_eq!(l.endpoint.expect("otlp logs").url, "http://c:4318/v1/logs");
        assert!(!l.stdout);
        let (s, _) = enabled(
            json!({"enabled": true, "endpoint": "http://c:4318", "tracesEndpoint": "http://t:1/x", "logs": true, "logsExporter": "stdout"}),
            &[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-t=1")],
        );
        let t = s.traces.expect("traces");
        assert_eq!((t.endpoint.url.as_str(), t.endpoint.protocol), ("http://t:1/x", Protocol::Grpc));
        assert_eq!(t.endpoint.headers, vec![("x-t".to_string(), "1".to_string())]);
        assert_eq!(s.metrics.endpoint.protocol, Protocol::HttpProtobuf, "the metrics protocol is unaffected");
        assert!(s.metrics.endpoint.headers.is_empty());
        let l = s.logs.expect("logs");
        assert!(l.endpoint.is_none() && l.stdout);
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://c", "traces": false, "logs": true, "logsExporter": "both"}), &[]);
        assert!(s.traces.is_none());
        let l = s.logs.expect("logs");
        assert!(l.endpoint.is_some() && l.stdout);
        let r = resolve(&json!({"enabled": true, "otel": {"enabled": true, "metrics": false, "traces": false}}), &env(&[]));
        assert!(matches!(r.outcome, Outcome::Disabled { level: Level::Warn, .. }));
    }

    #[test]
    fn sampling_priority_and_fallbacks() {
        let sampling = |otel: Value, e: &[(&str, &str)]| {
            let (s, w) = enabled(otel, e);
            (s.traces.expect("traces").sampling, w)
        };
        let (x, _) =
            sampling(json!({"enabled": true, "endpoint": "http://x", "sampleRate": 0.25}), &[("OTEL_TRACES_SAMPLER", "always_off")]);
        assert_eq!((x.ratio, x.parent_based, x.source), (0.25, true, "diagnostics.otel.sampleRate"));
        let (x, w) = sampling(
            json!({"enabled": true, "endpoint": "http://x", "sampleRate": 2}),
            &[("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.5")],
        );
        assert_eq!((x.ratio, x.parent_based), (0.5, false));
        assert!(w.iter().any(|m| m.contains("sampleRate must be a number from 0.0 to 1.0, got 2")), "{w:?}");
        let (x, _) = sampling(json!({"enabled": true, "endpoint": "http://x"}), &[("OTEL_TRACES_SAMPLER", "parentbased_always_off")]);
        assert_eq!((x.ratio, x.parent_based), (0.0, true));
        let (x, w) = sampling(json!({"enabled": true, "endpoint": "http://x"}), &[("OTEL_TRACES_SAMPLER", "jaeger_remote")]);
        assert_eq!((x.ratio, x.parent_based), (1.0, true));
        assert!(w[0].contains("jaeger_remote"));
        let (x, _) = sampling(json!({"enabled": true, "endpoint": "http://x"}), &[]);
        assert_eq!((x.ratio, x.source), (1.0, "default"));
    }

    #[test]
    fn batch_limits_from_env() {
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": "http://x", "logs": true}),
            &[
                ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500"),
                ("OTEL_BSP_SCHEDULE_DELAY", "-1"),
                ("OTEL_BLRP_SCHEDULE_DELAY", "250"),
            ],
        );
        let b = s.traces.expect("traces").batch;
        assert_eq!((b.max_queue, b.max_batch, b.delay), (100, 100, Duration::from_millis(5000)));
        assert!(w.iter().any(|m| m.contains("OTEL_BSP_SCHEDULE_DELAY \"-1\"")), "{w:?}");
        assert_eq!(s.logs.expect("logs").batch.delay, Duration::from_millis(250));
        let (s, _) = enabled(
            json!({"enabled": true, "endpoint": "http://x", "logs": true, "flushIntervalMs": 2000}),
            &[("OTEL_BSP_SCHEDULE_DELAY", "9000")],
        );
        assert_eq!(s.traces.expect("traces").batch.delay, Duration::from_millis(2000), "a configured interval paces spans too");
        assert_eq!(s.logs.expect("logs").batch.delay, Duration::from_millis(2000));
    }

    #[test]
    fn logs_exporter_and_capture_content() {
        let (s, w) =
            enabled(json!({"enabled": true, "endpoint": "http://x", "logs": true, "logsExporter": "file", "captureContent": "yes"}), &[]);
        let l = s.logs.expect("logs");
        assert!(l.endpoint.is_some() && !l.stdout && !l.capture_content);
        assert!(w.iter().any(|m| m.contains("logsExporter must be")), "{w:?}");
        assert!(w.iter().any(|m| m.contains("captureContent must be")), "{w:?}");
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://x", "logs": true, "captureContent": true}), &[]);
        assert!(s.logs.expect("logs").capture_content);
    }
}

/// TLS and proxy resolution. testdata/: a unit-test CA, a client certificate it signed and its
/// key, and an unrelated key (made once with openssl, valid for 100 years; test-only).
#[cfg(test)]
mod tls_proxy_tests {
    use super::*;
    use serde_json::json;

    fn data(name: &str) -> String {
        format!("{}/src/config/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn resolve_env(otel: Value, e: &[(&str, &str)]) -> Resolved {
        resolve(&json!({"enabled": true, "otel": otel}), &e.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn enabled(otel: Value, e: &[(&str, &str)]) -> (Settings, Vec<String>) {
        let r = resolve_env(otel, e);
        match r.outcome {
            Outcome::Enabled(s) => (*s, r.warnings),
            Outcome::Disabled { reason, .. } => panic!("disabled: {reason} {:?}", r.warnings),
        }
    }

    const HTTPS: &str = "https://collector:4318";

    #[test]
    fn per_signal_files_win_per_variable() {
        let (ca, cert, key) = (data("ca.pem"), data("client.pem"), data("client.key"));
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": HTTPS}),
            &[
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
                ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", &ca),
                ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key),
            ],
        );
        let t = s.traces.expect("traces stay on");
        assert_eq!(
            t.endpoint.tls.ca.as_ref().map(|f| (f.var.as_str(), f.path.as_str())),
            Some(("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", ca.as_str()))
        );
        let (c, k) = t.endpoint.tls.client.as_ref().expect("the generic client pair applies to traces too");
        assert_eq!((c.var.as_str(), k.var.as_str()), ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY"));
        assert!(!s.metrics.enabled, "metrics read the unreadable generic CA");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("OTEL_EXPORTER_OTLP_CERTIFICATE \"/nonexistent/ca.pem\" could not be read")
                && w[0].ends_with("not exporting metrics"),
            "{w:?}"
        );
    }

    #[test]
    fn an_incomplete_pair_keeps_only_its_signal_off() {
        let cert = data("client.pem");
        let (s, w) = enabled(json!({"enabled": true, "endpoint": HTTPS}), &[("OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE", &cert)]);
        assert!(!s.metrics.enabled);
        assert!(s.traces.is_some_and(|t| t.endpoint.tls == Tls::default()));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE is set but OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY or OTEL_EXPORTER_OTLP_CLIENT_KEY is not")
                && w[0].ends_with("not exporting metrics"),
            "{w:?}"
        );
        let key = data("client.key");
        let r = resolve_env(json!({"enabled": true, "endpoint": HTTPS, "logs": true}), &[("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key)]);
        let w = &r.warnings;
        assert_eq!(w.len(), 1, "one warning for the one bad value: {w:?}");
        assert!(
            w[0].contains("OTEL_EXPORTER_OTLP_CLIENT_KEY is set but OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is not")
                && w[0].ends_with("not exporting metrics and traces and logs"),
            "{w:?}"
        );
        let Outcome::Disabled { reason, .. } = r.outcome else { panic!("nothing left to export") };
        assert!(reason.contains("TLS"), "{reason}");
    }

    #[test]
    fn shared_files_give_equal_setups_and_plain_http_ignores_them() {
        let env = [
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", data("ca.pem")),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", data("client.pem")),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", data("client.key")),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, w) = enabled(json!({"enabled": true, "endpoint": HTTPS}), &env);
        assert!(w.is_empty(), "{w:?}");
        let t = s.traces.expect("traces");
        assert_eq!(s.metrics.endpoint.tls, t.endpoint.tls, "one client serves both");
        assert!(s.metrics.endpoint.tls.client_config().is_ok());
        assert!(
            format!("{:?}", s.metrics.endpoint.tls).contains("client.pem") && !format!("{:?}", s.metrics.endpoint.tls).contains("BEGIN")
        );
        let (s, w) =
            enabled(json!({"enabled": true, "endpoint": "http://collector:4318"}), &[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent")]);
        assert!(s.metrics.enabled && s.metrics.endpoint.tls == Tls::default() && w.is_empty(), "{w:?}");
    }

    #[test]
    fn bad_files_are_named_never_quoted() {
        let dir = std::env::temp_dir().join(format!("otel-rs-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "SECRET-LOOKING-CONTENT\n").expect("write");
        let junk = junk.to_string_lossy().to_string();
        let (s, w) = enabled(json!({"enabled": true, "endpoint": HTTPS}), &[("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", &junk)]);
        assert!(s.metrics.enabled && s.traces.is_none());
        assert!(w[0].contains(&format!("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE \"{junk}\" holds no PEM certificate")), "{w:?}");
        let (cert, key, other) = (data("client.pem"), data("client.key"), data("other.key"));
        let (_, w) = enabled(
            json!({"enabled": true, "endpoint": HTTPS}),
            &[
                ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &other),
                ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", &key),
            ],
        );
        assert!(w.len() == 1 && w[0].contains("do not go together") && w[0].ends_with("not exporting metrics"), "{w:?}");
        let (_, w) = enabled(
            json!({"enabled": true, "endpoint": HTTPS, "traces": false, "logs": true, "logsExporter": "both"}),
            &[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert), ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &junk)],
        );
        assert!(w[0].contains("holds no PEM private key"), "{w:?}");
        for m in &w {
            assert!(!m.contains("SECRET-LOOKING") && !m.contains("BEGIN"), "{m}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn proxy_variables_lowercase_wins_and_credentials_stay_hidden() {
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": "http://collector:4318"}),
            &[("HTTP_PROXY", "http://upper:3128"), ("http_proxy", "user:s3cret@lower:3128"), ("HTTPS_PROXY", "http://p:8080")],
        );
        assert_eq!(s.proxy.http.as_deref(), Some("http://user:s3cret@lower:3128"), "no scheme means http://");
        assert_eq!(s.proxy.https.as_deref(), Some("http://p:8080"));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("http_proxy and HTTP_PROXY are both set and differ; using http_proxy"), "{w:?}");
        assert_eq!(s.proxy.describe(&s.metrics.endpoint.url), " via proxy http://***@lower:3128");
        assert_eq!(s.proxy.describe("https://collector:4318/v1/metrics"), " via proxy http://p:8080");
        assert!(!format!("{:?}", s.proxy).contains("s3cret"));
        let (s, w) = enabled(
            json!({"enabled": true, "endpoint": "http://collector:4318"}),
            &[("HTTPS_PROXY", "https://u:s3cret@p:443"), ("HTTP_PROXY", "socks5://p:1080")],
        );
        assert!(!s.proxy.is_set());
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().all(|m| m.contains("connecting directly") && !m.contains("s3cret")), "{w:?}");
    }

    #[test]
    fn no_proxy_lists() {
        let (s, _) = enabled(
            json!({"enabled": true, "endpoint": "http://collector:4318"}),
            &[("HTTP_PROXY", "http://p:3128"), ("NO_PROXY", " .internal, 127.0.0.1,10.0.0.0/8,localhost")],
        );
        for (url, proxied) in [
            ("http://collector:4318", true),
            ("http://otel.internal:4318", false),
            ("http://a.b.internal", false),
            ("http://internal", false),
            ("http://127.0.0.1:4318", false),
            ("http://10.1.2.3:4318", false),
            ("http://localhost:4318", false),
            ("http://notinternal:1", true),
        ] {
            assert_eq!(s.proxy.route(url).is_some(), proxied, "{url}");
        }
        let (s, _) = enabled(json!({"enabled": true, "endpoint": "http://c:1"}), &[("HTTP_PROXY", "http://p:3128"), ("no_proxy", "x,*")]);
        assert!(s.proxy.route("http://127.0.0.1:4318").is_none() && s.proxy.route("http://c:1").is_none(), "* covers names and addresses");
    }
}
