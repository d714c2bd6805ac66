//! Fuzzing invariants, shared by the fixed-seed property tests below (`cargo test --release --lib
//! fuzz_props -- --nocapture` prints seeds and counts) and the cargo-fuzz targets in `fuzz/`
//! (built with `--cfg fuzzing`, see scripts/fuzz.mjs). Two inputs, each through the code the
//! plugin runs: a batch line through the recording thread's per-event path (`Mappers`), and a
//! host config plus environment through `config::resolve`. What they must never do: panic, leave
//! a usable-looking result that is not, or print a line that is unbounded, forged or a secret.
//! Only in test and fuzzing builds; panicking is how a check reports.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use crate::config::{self, Env, LogsSettings, Outcome as Config, Sampling, Signal};
use crate::event::compact::{Batch, Projection};
use crate::export::credentials::SignalHeaders;
use crate::export::otlp::{log_exporter, metric_exporter, span_exporter, Build, SignalHealth};
use crate::export::transport::Clients;
use crate::generation::{describe, split_trust, HostInfo, Mappers};
use crate::policy::{printable, MAX_LINE};
use crate::signals::logs::LogItem;
use crate::signals::logs::LogMapper;
use crate::signals::metrics::{Outcome, Recorder};
use crate::signals::spans::Tracer;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::trace::SpanData;
use serde_json::Value;
use std::time::Duration;

/// What `printable` may add past `MAX_LINE` characters: `... (N more characters)`.
const MAX_NOTE: usize = 48;

/// The per-event path with every signal on: spans at ratio 1 with a session-hash salt, log
/// records to stdout (formatted, not printed).
pub struct EventHarness<'a> {
    mappers: Mappers<'a>,
    logs: &'a LogMapper,
}

fn tracer(latest_gen_ai: bool) -> Tracer {
    let mut t = Tracer::new(Sampling { ratio: 1.0, parent_based: true, source: "fuzz" }, Some("fuzz-salt".into()), latest_gen_ai);
    // The generated and recorded events are from November 2026: judge span times from then, so
    // that spans are built (times far from this clock are still skipped as implausible).
    t.now_ms = || 1_795_332_880_000.0;
    t
}

fn log_settings(capture_content: bool) -> LogsSettings {
    let batch =
        config::BatchSettings { max_queue: 16, max_batch: 16, delay: Duration::from_secs(1), export_timeout: Duration::from_secs(1) };
    LogsSettings { endpoint: None, stdout: true, capture_content, batch }
}

impl<'a> EventHarness<'a> {
    pub fn with(recorder: &'a Recorder, tracer: &'a Tracer, logs: &'a LogMapper) -> Self {
        EventHarness { mappers: Mappers { recorder, spans: Some(tracer), logs: Some(logs) }, logs }
    }

    /// One batch line (trust digit, then the event's JSON), as the recording thread runs it;
    /// returns the outcome and how many spans and log records it yielded, each checked.
    pub fn line(&self, line: &str) -> (Outcome, usize, usize) {
        let (trust, json) = split_trust(line);
        let (mut spans, mut logs) = (0, 0);
        let outcome = self.mappers.record(
            json,
            trust,
            |s| {
                check_span(&s);
                spans += 1;
            },
            |l| {
                check_log(&l);
                logs += 1;
            },
        );
        // The gateway's file log takes the same log mapper (filelog.rs); its events are built
        // well-typed, so they are never malformed.
        if let Some(ev) = crate::signals::filelog::to_log_record(json) {
            match self.logs.map(&ev, Default::default()) {
                Ok(Some(item)) => check_log(&item),
                Ok(None) => panic!("a file-log line became no log record"),
                Err(e) => panic!("a file-log line became a malformed log.record ({e:?})"),
            }
        }
        (outcome, spans, logs)
    }
}

impl EventHarness<'_> {
    /// A compact batch (`event::compact`), as the recording thread runs it; returns how many
    /// records it read, and checks each span and log record as `line` does.
    pub fn compact(&self, projection: &Projection, batch: &Batch) -> usize {
        projection.decode(batch, |trust, ev| {
            if let Ok(ev) = ev {
                self.mappers.record_event(&ev, trust, |s| check_span(&s), |l| check_log(&l));
            }
        })
    }
}

fn check_span(s: &SpanData) {
    assert!(s.start_time <= s.end_time, "span {} starts after it ends", s.name);
    assert!(!s.name.is_empty());
}

fn check_log(item: &LogItem) {
    if let Some(line) = &item.stdout_line {
        assert!(!line.contains('\n') && !line.contains('\r'), "a stdout log record spans lines: {line}");
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("a stdout log record is not JSON ({e}): {line}"));
        assert!(v.is_object(), "{line}");
    }
}

/// A runtime and HTTP client to build exporters with, as a generation does.
pub struct ExporterKit {
    runtime: tokio::runtime::Runtime,
    clients: Clients,
}

impl ExporterKit {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        ExporterKit { runtime, clients: Clients::new(&config::Proxy::default()) }
    }
}

impl Default for ExporterKit {
    fn default() -> Self {
        Self::new()
    }
}

/// The config keys (under `diagnostics.otel`) and environment variables that name each
/// signal's endpoint, in `resolve_url`'s order.
fn endpoint_keys(signal: Signal) -> [(bool, String); 4] {
    let (name, infix) = match signal {
        Signal::Metrics => ("metrics", "METRICS"),
        Signal::Traces => ("traces", "TRACES"),
        Signal::Logs => ("logs", "LOGS"),
    };
    [
        (true, format!("{name}Endpoint")),
        (false, format!("OTEL_EXPORTER_OTLP_{infix}_ENDPOINT")),
        (true, "endpoint".to_string()),
        (false, "OTEL_EXPORTER_OTLP_ENDPOINT".to_string()),
    ]
}

fn check_endpoint(kit: &ExporterKit, signal: Signal, ep: &config::Endpoint, diagnostics: &Value, env: &Env, warnings: &[String]) {
    let uri: http::Uri = ep.url.parse().unwrap_or_else(|e| panic!("{signal:?} URL {:?} does not parse: {e}", ep.url));
    assert!(matches!(uri.scheme_str(), Some("http" | "https")), "{signal:?} URL {:?}", ep.url);
    assert!(uri.host().is_some_and(|h| !h.is_empty()), "{signal:?} URL {:?} has no host", ep.url);
    assert_ne!(uri.port_u16(), Some(0), "{signal:?} URL {:?}", ep.url);
    assert!(!ep.url.chars().any(|c| c.is_whitespace() || c.is_control()), "{signal:?} URL {:?}", ep.url);
    for (k, v) in &ep.headers {
        assert!(http::HeaderName::from_bytes(k.as_bytes()).is_ok(), "{signal:?} header name {k:?}");
        assert!(http::HeaderValue::from_str(v).is_ok(), "{signal:?} header {k:?} has an unsendable value");
    }
    assert!(ep.timeout > Duration::ZERO);
    if ep.defaulted {
        // Nothing usable was named: every setting that was given must have been warned about.
        assert!(warnings.iter().any(|w| w.contains("no endpoint configured")), "{signal:?} defaulted silently: {warnings:?}");
        let otel = diagnostics.get("otel");
        for (in_config, key) in endpoint_keys(signal) {
            let given = if in_config {
                otel.and_then(|o| o.get(&key)).is_some_and(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
            } else {
                env.get(&key).is_some_and(|v| !v.trim().is_empty())
            };
            let shown = if in_config { format!("diagnostics.otel.{key}") } else { key.clone() };
            assert!(!given || warnings.iter().any(|w| w.contains(&shown)), "{shown} was given, unused and not warned about: {warnings:?}");
        }
    }
    let health = SignalHealth::new(signal, Some(&ep.url));
    let x = Build { runtime: &kit.runtime, clients: &kit.clients, health: &health, headers: SignalHeaders::new(&ep.headers, &[]) };
    let built = match signal {
        Signal::Metrics => metric_exporter(ep, Temporality::Cumulative, &x).map(drop),
        Signal::Traces => span_exporter(ep, &x).map(drop),
        Signal::Logs => log_exporter(ep, &x).map(drop),
    };
    if let Err(e) = built {
        panic!("{signal:?} exporter rejects the resolved endpoint {:?}: {e}", ep.url);
    }
}

/// Resolve and check: every enabled signal's endpoint is one its exporter accepts (else it fell
/// back with a warning), and every line the operator can see is bounded and printable. Returns
/// those lines as printed (warnings, the disabled reason or the startup summary, status
/// destinations), plus the raw summary the `summary` getter hands to JS.
pub fn check_config(kit: &ExporterKit, diagnostics: &Value, env: &Env) -> (config::Resolved, Vec<String>, Option<String>) {
    let r = config::resolve(diagnostics, env);
    let mut lines = r.warnings.clone();
    let mut summary = None;
    match &r.outcome {
        Config::Disabled { reason, .. } => lines.push(reason.clone()),
        Config::Enabled(s) => {
            assert!(s.metrics.enabled || s.traces.is_some() || s.logs.is_some(), "enabled with nothing to export");
            assert!(s.metrics.interval >= Duration::from_millis(config::MIN_INTERVAL_MS));
            assert!(!s.service_name.is_empty());
            let mut destinations = Vec::new();
            if s.metrics.enabled {
                let ep = &s.metrics.endpoint;
                check_endpoint(kit, Signal::Metrics, ep, diagnostics, env, &r.warnings);
                destinations.push((Signal::Metrics, ep.url.clone()));
            }
            if let Some(t) = &s.traces {
                check_endpoint(kit, Signal::Traces, &t.endpoint, diagnostics, env, &r.warnings);
                assert!((0.0..=1.0).contains(&t.sampling.ratio), "{}", t.sampling.ratio);
                assert!(t.batch.max_batch <= t.batch.max_queue && t.batch.max_batch > 0);
                destinations.push((Signal::Traces, t.endpoint.url.clone()));
            }
            if let Some(l) = &s.logs {
                if let Some(ep) = &l.endpoint {
                    check_endpoint(kit, Signal::Logs, ep, diagnostics, env, &r.warnings);
                    destinations.push((Signal::Logs, ep.url.clone()));
                }
                assert!(l.endpoint.is_some() || l.stdout, "logs on with nowhere to go");
                assert!(l.batch.max_batch <= l.batch.max_queue && l.batch.max_batch > 0);
            }
            for (signal, url) in destinations {
                lines.extend(SignalHealth::new(signal, Some(&url)).destination);
            }
            let line = describe(s, &HostInfo::default(), &[Signal::Metrics, Signal::Traces, Signal::Logs]);
            summary = Some(line.clone());
            lines.push(line);
        }
    }
    let printed: Vec<String> = lines.iter().map(|l| printable(l)).collect();
    for p in &printed {
        let n = p.chars().count();
        assert!(n <= MAX_LINE + MAX_NOTE, "a printed line of {n} characters: {p:?}");
        assert!(!p.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}')), "a control character in {p:?}");
    }
    (r, printed, summary)
}

/// Environment variables the resolver reads: a fuzz input names one by number (`#7=value`), as
/// libFuzzer without a sanitizer cannot learn string compares.
pub const ENV_KEYS: &[&str] = &[
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
    "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_METRIC_EXPORT_TIMEOUT",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_BLRP_MAX_QUEUE_SIZE",
    "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BLRP_SCHEDULE_DELAY",
    "OTEL_BLRP_EXPORT_TIMEOUT",
    "OTEL_SEMCONV_STABILITY_OPT_IN",
    "OPENCLAW_OTEL_SESSION_HASH_SALT",
];

/// A fuzz input for the config target: the `diagnostics` JSON on the first line, then one
/// `KEY=value` per line for the environment (`#N=value` names `ENV_KEYS[N]`).
pub fn config_input(text: &str) -> (Value, Env) {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let diagnostics = serde_json::from_str(first).unwrap_or(Value::Null);
    let mut env = Env::new();
    for line in rest.split('\n') {
        let Some((k, v)) = line.split_once('=') else { continue };
        let key = match k.strip_prefix('#').and_then(|n| n.trim().parse::<usize>().ok()) {
            Some(n) => ENV_KEYS[n % ENV_KEYS.len()].to_string(),
            None => k.to_string(),
        };
        env.insert(key, v.to_string());
    }
    (diagnostics, env)
}

/// Collected metrics go nowhere: the fuzz targets want the SDK's aggregation, not its output.
struct Discard;

impl PushMetricExporter for Discard {
    async fn export(&self, _: &ResourceMetrics) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Delta
    }
}

/// libFuzzer entry points (fuzz/fuzz_targets/*.rs). The tracer and log mapper (the span ids
/// they have seen) are fresh per input, so that a crash reproduces from its input alone; the
/// recorder and its meter provider (the SDK's aggregation, collected every second on its
/// reader's thread) are built once, as building ~100 instruments costs more than an input.
/// Only their series bookkeeping carries over (the overflow collapse past `SERIES_CAP`).
pub mod targets {
    use super::*;

    struct Metrics {
        _provider: SdkMeterProvider,
        recorder: Recorder,
    }

    thread_local! {
        static METRICS: Metrics = {
            let reader = PeriodicReader::builder(Discard).with_interval(Duration::from_secs(1)).build();
            let provider = SdkMeterProvider::builder().with_reader(reader).build();
            let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
            Metrics { _provider: provider, recorder }
        };
        static KIT: ExporterKit = ExporterKit::new();
    }

    /// Bytes as batch lines (lossy UTF-8, as JS strings reach Rust whole); bits of the first
    /// byte choose captureContent and the latest GenAI names.
    pub fn event_decode(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let first = data.first().copied().unwrap_or(0);
        let tracer = tracer(first & 0x20 != 0);
        let logs = LogMapper::new(&log_settings(first & 0x10 != 0), "openclaw");
        METRICS.with(|m| {
            let harness = EventHarness::with(&m.recorder, &tracer, &logs);
            for line in text.split('\n').filter(|l| !l.is_empty()) {
                harness.line(line);
            }
        });
    }

    /// Bytes as a compact batch in the projection with every signal on (what index.js sends,
    /// damaged any way): each 3 bytes a slot (a tag and how to read the value, then 2 bytes of value), over a fixed
    /// set of texts.
    pub fn compact_decode(data: &[u8]) {
        const TEXTS: &[&str] = &["webchat", "gpt-5", r#"{"a":1}"#, r#"["x",1]"#, "[x", "😀", "", r#"{"type":"log.record","message":"m"}"#];
        let projection = crate::catalog::projection::projection(true, true);
        let (mut tags, mut vals) = (Vec::new(), Vec::new());
        for chunk in data.chunks(3) {
            let b = |i: usize| chunk.get(i).copied().unwrap_or(0);
            // The low nibble is the tag (8 and above are no tag); the high one how to read the value:
            // mostly small indexes and counts, sometimes huge, negative or fractional.
            tags.push(b(0) & 0x0f);
            vals.push(match b(0) >> 4 {
                0 => f64::from(i16::from_le_bytes([b(1), b(2)])) / 7.0,
                1 => 1e300,
                _ => f64::from(u16::from_le_bytes([b(1), b(2)]) % 1024),
            });
        }
        let packed = crate::event::compact::pack(&tags, &vals);
        let batch = Batch { packed: &packed, texts: TEXTS.to_vec() };
        let tracer = tracer(true);
        let logs = LogMapper::new(&log_settings(true), "openclaw");
        METRICS.with(|m| {
            EventHarness::with(&m.recorder, &tracer, &logs).compact(&projection, &batch);
        });
    }

    pub fn config_resolve(data: &[u8]) {
        let (diagnostics, env) = config_input(&String::from_utf8_lossy(data));
        KIT.with(|kit| {
            check_config(kit, &diagnostics, &env);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::metrics::RULES;
    use crate::catalog::projection::{metric_paths, projection, span_paths};
    use crate::catalog::spans::{Status, SPANS};
    use crate::catalog::When;
    use crate::event::compact::{split_texts, Columns};
    use crate::event::{parse, Event, Trust};
    use opentelemetry::metrics::Meter;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader};
    use serde_json::{json, Map};
    use std::collections::{BTreeMap, BTreeSet};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// The fixed seed; `PROPS_SEED=<n>` explores others, `PROPS_CASES=<n>` scales the counts.
    const SEED: u64 = 0x0C1A_F022_2026_0906;

    fn seed() -> u64 {
        std::env::var("PROPS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(SEED)
    }

    fn cases(n: usize) -> usize {
        std::env::var("PROPS_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(n)
    }

    /// SplitMix64: tiny, deterministic, good enough to pick shapes.
    struct Rng(u64);

    impl Rng {
        fn new(name: &str) -> Self {
            // One stream per property, so adding cases to one does not reshuffle the others.
            let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
            Rng(seed() ^ h)
        }
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        /// True with probability `pct` percent.
        fn pct(&mut self, pct: u64) -> bool {
            self.next() % 100 < pct
        }
        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len())]
        }
    }

    /// Stands for a lone surrogate escape, which a `Value` cannot hold: swapped in after
    /// serializing (see `surrogates`).
    const LONE: char = '\u{e000}';

    fn surrogates(json: &str, rng: &mut Rng) -> String {
        if !json.contains(LONE) {
            return json.to_string();
        }
        let mut out = String::with_capacity(json.len() + 16);
        for c in json.chars() {
            if c == LONE {
                out.push_str(rng.pick::<&str>(&[
                    "\\ud800",
                    "\\udc00",
                    "\\ud83d",
                    "\\uDFFF",
                    "\\ud83d\\ude00",
                    "\\\\ud800",
                    "\\ud800\\ud800",
                ]));
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Every field the catalogs read, and the text values their conditions test.
    fn catalog_fields() -> (BTreeSet<&'static str>, BTreeSet<&'static str>) {
        let mut fields: BTreeSet<&'static str> = BTreeSet::new();
        for paths in metric_paths().into_values().chain(span_paths().into_values()) {
            fields.extend(paths);
        }
        let mut values = BTreeSet::new();
        fn when(w: When, values: &mut BTreeSet<&'static str>) {
            match w {
                When::Always => {}
                When::Is(_, vs) => values.extend(vs.iter().copied()),
                When::IsNot(_, v) => {
                    values.insert(v);
                }
                When::AnyOf(ws) => ws.iter().for_each(|w| when(*w, values)),
            }
        }
        for w in RULES.iter().map(|r| r.when).chain(SPANS.iter().map(|s| s.when)) {
            when(w, &mut values);
        }
        for s in SPANS {
            if let Status::ErrorWhen(w, _) = s.status {
                when(w, &mut values);
            }
        }
        // What the log and file-log mappers read (their types travel whole), and a few others.
        fields.extend([
            "seq",
            "trace",
            "level",
            "message",
            "loggerName",
            "loggerParents",
            "attributes",
            "code.line",
            "code.functionName",
            "severity",
            "detector",
            "action",
            "category",
            "_meta",
            "_meta.logLevelName",
            "_meta.name",
            "_meta.parentNames",
            "_meta.path.fileLine",
            "_meta.path.method",
            "_meta.date",
            "0",
            "1",
        ]);
        (fields, values)
    }

    struct Gen {
        types: Vec<&'static str>,
        fields: Vec<&'static str>,
        texts: Vec<&'static str>,
    }

    const UNKNOWN_TYPES: &[&str] = &["", "model.usage.v2", "MODEL.USAGE", "log.record ", "x", "run.completed\u{0}", "__proto__"];

    impl Gen {
        fn new() -> Self {
            let mut types: BTreeSet<&'static str> = RULES.iter().map(|r| r.event).collect();
            types.extend(SPANS.iter().map(|s| s.event));
            types.extend(["log.record", "security.event"]);
            let (fields, values) = catalog_fields();
            let mut texts: Vec<&'static str> = values.into_iter().collect();
            texts.extend([
                "webchat",
                "openai",
                "gpt-5",
                "openrouter/anthropic/claude-sonnet-4",
                "session:agent:main:main",
                "agent:main:main",
                "main",
                "turn",
                "completions",
                "generate_content",
                "remote",
                "INFO",
                "warn",
                "critical",
                "high",
                "true",
                "a53beef80061e282ce750b1826601f3c",
                "9dd1d2a483f23586",
                "00000000000000000000000000000000",
                "01",
                "2026-09-06T12:00:00.123Z",
                "sk-abc123def456",
                "Bearer ghp_0123456789abcdefABCDEF0123",
                "password=hunter2",
            ]);
            Gen { types: types.into_iter().collect(), fields: fields.into_iter().collect(), texts }
        }

        fn number(&self, rng: &mut Rng) -> Value {
            match rng.below(12) {
                0 => json!(0),
                1 => json!(rng.below(1000)),
                2 => json!(rng.next() % 2_000_000_000),
                3 => json!(-(rng.below(1000) as i64) - 1),
                4 => json!(*rng.pick(&[1e15, 1e15 + 1.0, 1e16, 1e300, -1e300, f64::MAX, f64::MIN_POSITIVE, 5e-324, -0.0, 0.5])),
                5 => json!(*rng.pick(&[i64::MAX, i64::MIN, -1])),
                6 => json!(u64::MAX),
                7 => json!(*rng.pick(&["NaN", "Infinity", "-Infinity", "1e999", "12", "-0", "0x10", " 5 "])),
                8 => json!((rng.next() % 1_000_000) as f64 / 7.0),
                9 => json!(1_795_332_876_000u64 + rng.next() % 10_000_000),
                _ => json!(rng.below(100_000)),
            }
        }

        fn string(&self, rng: &mut Rng) -> String {
            match rng.below(10) {
                0..=4 => rng.pick(&self.texts).to_string(),
                5 => {
                    let n = rng.below(40);
                    (0..n)
                        .map(|_| {
                            *rng.pick(&[
                                'a', 'Z', '0', ':', '.', '-', '_', '/', '@', ' ', '\n', '\t', '\u{1b}', '\u{7f}', '\u{0}', '\u{2028}',
                                '\u{202e}', 'é', '😀', LONE, '"', '\\', '=',
                            ])
                        })
                        .collect()
                }
                6 => "x".repeat(rng.below(5000)),
                7 => format!("{}{LONE}", rng.pick(&self.texts)),
                8 => format!("{:032x}", u128::from(rng.next()) << 64 | u128::from(rng.next())),
                _ => format!("{:016x}", rng.next()),
            }
        }

        fn value(&self, rng: &mut Rng, depth: usize) -> Value {
            let top = if depth == 0 { 5 } else { 8 };
            match rng.below(top) {
                0 => Value::Null,
                1 => Value::Bool(rng.pct(50)),
                2 => self.number(rng),
                3 | 4 => Value::String(self.string(rng)),
                5 => Value::Array((0..rng.below(5)).map(|_| self.value(rng, depth - 1)).collect()),
                6 => Value::Array((0..rng.below(5)).map(|_| Value::String(self.string(rng))).collect()),
                _ => {
                    let mut m = Map::new();
                    for _ in 0..rng.below(5) {
                        let key = match rng.below(4) {
                            0 => self.string(rng),
                            1 => (*rng.pick(&["__proto__", "constructor", "", "a b", "sessionKey", "password", "subsystem"])).to_string(),
                            _ => (*rng.pick(&self.fields)).to_string(),
                        };
                        m.insert(key, self.value(rng, depth - 1));
                    }
                    Value::Object(m)
                }
            }
        }

        fn trace(&self, rng: &mut Rng) -> Value {
            let mut t = json!({"traceId": format!("{:016x}{:016x}", rng.next(), rng.next()), "spanId": format!("{:016x}", rng.next())});
            if rng.pct(50) {
                t["parentSpanId"] = json!(format!("{:016x}", rng.next()));
            }
            if rng.pct(50) {
                t["traceFlags"] = json!(rng.pick(&["01", "00", "1", "zz"]));
            }
            if rng.pct(30) {
                t["parentSpanIdSource"] = json!("remote");
            }
            t
        }

        /// An event-shaped object: a (mostly) real type and catalog fields of random types.
        fn event(&self, rng: &mut Rng) -> Value {
            let mut m = Map::new();
            match rng.below(20) {
                0 => {}
                1 => {
                    m.insert("type".into(), self.value(rng, 1));
                }
                2 | 3 => {
                    m.insert("type".into(), json!(rng.pick(UNKNOWN_TYPES)));
                }
                _ => {
                    m.insert("type".into(), json!(rng.pick(&self.types)));
                }
            }
            let mut ev = Value::Object(m);
            for _ in 0..rng.below(14) {
                let path = *rng.pick(&self.fields);
                let v = match rng.below(4) {
                    0 => self.number(rng),
                    1 => Value::String(self.string(rng)),
                    _ => self.value(rng, 3),
                };
                set_path(&mut ev, path, v, rng.pct(50));
            }
            if rng.pct(30) {
                ev["trace"] = self.trace(rng);
            }
            ev
        }

        /// One batch line: a trust digit (mostly), then the event's JSON, sometimes damaged.
        fn line(&self, rng: &mut Rng) -> String {
            let mut json = if rng.pct(3) {
                // Deeper than serde_json's recursion limit, or just under it.
                let d = *rng.pick(&[100, 127, 128, 129, 4000]);
                format!("{{\"type\":\"model.usage\",\"usage\":{}1{}}}", "[".repeat(d), "]".repeat(d))
            } else {
                surrogates(&serde_json::to_string(&self.event(rng)).expect("serialize"), rng)
            };
            match rng.below(25) {
                0 => {
                    let mut cut = rng.below(json.len() + 1);
                    while !json.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    json.truncate(cut);
                }
                1 => json = json.replacen(':', ":1e999,\"x\":", 1),
                2 => json = json.replacen('{', "{\"type\":\"model.usage\",", 1),
                3 => json = json.replace('"', "\\\""),
                4 => json = format!("{json}{json}"),
                _ => {}
            }
            match rng.below(10) {
                0 => json,
                1 => format!("9{json}"),
                _ => format!("{}{json}", rng.below(8)),
            }
        }
    }

    /// Sets a dotted path, making objects on the way (or, with `clobber` false, leaving a
    /// non-object parent in place so the path is malformed).
    fn set_path(ev: &mut Value, path: &str, v: Value, clobber: bool) {
        let mut cur = ev;
        let mut parts = path.split('.').peekable();
        while let Some(p) = parts.next() {
            let Value::Object(m) = cur else { return };
            if parts.peek().is_none() {
                m.insert(p.to_string(), v);
                return;
            }
            let next = m.entry(p.to_string()).or_insert_with(|| json!({}));
            if !next.is_object() && !next.is_null() && !clobber {
                return;
            }
            if !next.is_object() {
                *next = json!({});
            }
            cur = next;
        }
    }

    /// Delta, so that each collection holds only what the last event recorded.
    fn in_memory(temporality: Temporality) -> (SdkMeterProvider, InMemoryMetricExporter) {
        let exporter = opentelemetry_sdk::metrics::InMemoryMetricExporterBuilder::new().with_temporality(temporality).build();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        (provider, exporter)
    }

    /// (metric, attributes, sum, count) of every f64 sum and histogram point.
    fn points(rms: &[ResourceMetrics]) -> Vec<(String, BTreeMap<String, String>, f64, u64)> {
        let mut out = Vec::new();
        for rm in rms {
            for sm in rm.scope_metrics() {
                for m in sm.metrics() {
                    fn attrs<'a>(a: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> BTreeMap<String, String> {
                        a.map(|kv| (kv.key.to_string(), kv.value.to_string())).collect()
                    }
                    match m.data() {
                        AggregatedMetrics::F64(MetricData::Sum(s)) => {
                            for p in s.data_points() {
                                out.push((m.name().to_string(), attrs(p.attributes()), p.value(), 1));
                            }
                        }
                        AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                            for p in h.data_points() {
                                out.push((m.name().to_string(), attrs(p.attributes()), p.sum(), p.count()));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// What an `EventHarness` borrows.
    struct Parts {
        recorder: Recorder,
        tracer: Tracer,
        logs: LogMapper,
    }

    impl Parts {
        fn new(meter: &Meter, capture_content: bool, latest_gen_ai: bool) -> Self {
            Parts {
                recorder: Recorder::new(meter, "openclaw."),
                tracer: tracer(latest_gen_ai),
                logs: LogMapper::new(&log_settings(capture_content), "openclaw"),
            }
        }

        fn harness(&self) -> EventHarness<'_> {
            EventHarness::with(&self.recorder, &self.tracer, &self.logs)
        }
    }

    #[derive(Default, Debug)]
    struct Tally {
        recorded: usize,
        ignored: usize,
        malformed: usize,
        spans: usize,
        logs: usize,
    }

    impl Tally {
        fn add(&mut self, (outcome, spans, logs): &(Outcome, usize, usize)) {
            match outcome {
                Outcome::Recorded => self.recorded += 1,
                Outcome::Ignored => self.ignored += 1,
                Outcome::Malformed(_) => self.malformed += 1,
            }
            self.spans += spans;
            self.logs += logs;
        }
    }

    /// A failing input, cut for the terminal (the seed and case number reproduce it whole).
    fn shown(line: &str) -> String {
        match line.char_indices().nth(3000) {
            Some((i, _)) => format!("{}... ({} bytes in all)", &line[..i], line.len()),
            None => line.to_string(),
        }
    }

    fn run_line(h: &EventHarness, line: &str, case: usize) -> (Outcome, usize, usize) {
        match catch_unwind(AssertUnwindSafe(|| h.line(line))) {
            Ok(r) => r,
            Err(e) => {
                let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                panic!("case {case} (seed {:#x}) panicked ({msg:?}) on line:\n{}", seed(), shown(line))
            }
        }
    }

    #[test]
    fn decoding_and_recording_arbitrary_events_never_panics() {
        let n = cases(4000);
        let mut rng = Rng::new("events");
        let g = Gen::new();
        let (provider, exporter) = in_memory(Temporality::Cumulative);
        let meter = provider.meter("openclaw");
        let parts = [Parts::new(&meter, false, false), Parts::new(&meter, true, true)];
        let hs = [parts[0].harness(), parts[1].harness()];
        let mut tally = Tally::default();
        for case in 0..n {
            let line = g.line(&mut rng);
            tally.add(&run_line(&hs[case % 2], &line, case));
        }
        provider.force_flush().unwrap();
        let recorded = points(&exporter.get_finished_metrics().unwrap()).len();
        println!("events: seed {:#x}, {n} cases: {tally:?}, {recorded} metric series", seed());
        // The generator must reach every branch, or the property says little.
        assert!(tally.recorded > n / 10 && tally.malformed > n / 10 && tally.ignored > n / 100, "{tally:?}");
        // Series vary by seed (91 to 108 over four seeds at 4000 cases): the bound says "many".
        assert!(tally.spans > n / 20 && tally.logs > n / 100 && recorded > 80, "{tally:?}");
    }

    /// What one event yields in every signal, ids aside (fresh ones are random).
    fn yields(m: &Mappers, ev: &Event, trust: Trust) -> String {
        let taken = m.recorder.take(ev, trust).map(|t| t.map(|t| format!("{t:?}")));
        let spans = m.spans.map(|t| {
            t.spans(ev, trust).map(|(spans, d)| {
                let shown: Vec<String> = spans
                    .iter()
                    .map(|s| format!("{} {:?} {:?} {:?} {:?} {:?}", s.name, s.span_kind, s.start_time, s.end_time, s.attributes, s.status))
                    .collect();
                (shown, d.sampled_out)
            })
        });
        // Without a plausible time of its own a record takes the clock's, which moves between
        // the two sides.
        let own_time = matches!(ev.num("ts"), Ok(Some(ms)) if crate::time::plausible(ms, crate::time::now_ms()));
        let timeless = |line: String| match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(mut o)) if !own_time => {
                o.remove("ts");
                Value::Object(o).to_string()
            }
            _ => line,
        };
        let log = m.logs.map(|l| l.map(ev, trust).map(|i| i.map(|i| i.stdout_line.map(timeless))));
        format!("{taken:?}\n{spans:?}\n{log:?}")
    }

    fn as_js(v: Value) -> Value {
        match v {
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                // JSON.stringify(-0) is "0".
                let printed = if x == 0.0 {
                    "0".to_string()
                } else if x.fract() == 0.0 && x.abs() < 1e21 {
                    format!("{x:.0}")
                } else {
                    format!("{x:e}")
                };
                serde_json::from_str(&printed).unwrap_or(Value::Null)
            }
            Value::Array(a) => Value::Array(a.into_iter().map(as_js).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, as_js(v))).collect()),
            other => other,
        }
    }

    #[test]
    fn the_compact_hand_off_yields_what_the_json_does() {
        let n = cases(4000);
        let mut rng = Rng::new("compact");
        let g = Gen::new();
        let (provider, _) = in_memory(Temporality::Cumulative);
        let meter = provider.meter("openclaw");
        let recorder = Recorder::new(&meter, "openclaw.");
        let logs = LogMapper::new(&log_settings(true), "openclaw");
        // Two tracers fed the same events, since a tracer remembers the span ids it claimed.
        let (json_tracer, compact_tracer) = (tracer(true), tracer(true));
        let (mut compared, mut unknown) = (0, 0);
        for case in 0..n {
            let all_on = case % 2 == 0;
            let p = projection(all_on, all_on);
            let json_side = Mappers { recorder: &recorder, spans: all_on.then_some(&json_tracer), logs: all_on.then_some(&logs) };
            let compact_side = Mappers { recorder: &recorder, spans: all_on.then_some(&compact_tracer), logs: all_on.then_some(&logs) };
            let ev = g.event(&mut rng);
            let trust = Trust::from_bits(rng.below(8) as u32);
            // JS holds numbers as doubles, and JSON.stringify prints them whole below 1e21: the
            // JSON path sees that, not the generator's u64 or i64.
            let ev = as_js(ev);
            let Ok(from_json) = parse(&ev.to_string()) else { continue };
            let expected = yields(&json_side, &from_json, trust);
            let mut cols = Columns::default();
            match cols.push(&p, &ev, trust).then_some(()) {
                // index.js only counts a type outside the projection: nothing may read it.
                None => {
                    let nothing = yields(&json_side, &parse(r#"{"type":"(no such type)"}"#).unwrap(), trust);
                    assert_eq!(expected, nothing, "case {case}: {ev}");
                    unknown += 1;
                }
                Some(()) => {
                    let (joined, lens) = cols.joined();
                    let packed = cols.packed();
                    let batch = Batch { packed: &packed, texts: split_texts(&joined, &lens).unwrap() };
                    let mut got = Vec::new();
                    assert_eq!(p.decode(&batch, |t, e| got.push((t, e))), 1, "case {case}: {cols:?}");
                    let (t, decoded) = got.pop().unwrap();
                    assert_eq!(t, trust);
                    let actual = match decoded {
                        Ok(e) => yields(&compact_side, &e, t),
                        Err(m) => format!("{m:?}"),
                    };
                    assert_eq!(actual, expected, "case {case}: {ev}\nsent as {cols:?}");
                    compared += 1;
                }
            }
        }
        println!("compact: seed {:#x}, {n} cases: {compared} compared, {unknown} outside the projection", seed());
        assert!(compared > n / 2 && unknown > n / 50, "{compared} {unknown}");
    }

    #[test]
    fn damaged_compact_batches_never_panic_and_never_overcount() {
        let n = cases(3000);
        let mut rng = Rng::new("compact-damage");
        let g = Gen::new();
        let (provider, _) = in_memory(Temporality::Cumulative);
        let parts = Parts::new(&provider.meter("openclaw"), true, true);
        let h = parts.harness();
        let p = projection(true, true);
        let mut whole = 0;
        for case in 0..n {
            let mut cols = Columns::default();
            let mut records = 0;
            for _ in 0..1 + rng.below(4) {
                records += usize::from(cols.push(&p, &g.event(&mut rng), Trust::from_bits(7)));
            }
            let intact = cols.clone();
            let slots = cols.tags.len();
            match rng.below(5) {
                0 => {
                    let cut = rng.below(slots + 1);
                    cols.tags.truncate(cut);
                    cols.vals.truncate(cut);
                }
                1 if slots > 0 => cols.tags[rng.below(slots)] = rng.below(10) as u8,
                2 if slots > 0 => cols.vals[rng.below(slots)] = *rng.pick(&[-1.0, 0.5, 1e300, f64::NAN, 7.0, 4096.0]),
                3 => {
                    cols.texts.pop();
                }
                _ => {}
            }
            let packed = cols.packed();
            let batch = Batch { packed: &packed, texts: cols.texts.iter().map(String::as_str).collect() };
            let read = catch_unwind(AssertUnwindSafe(|| h.compact(&p, &batch)))
                .unwrap_or_else(|_| panic!("case {case} (seed {:#x}) panicked on batch:\n{cols:?}", seed()));
            assert!(read <= records, "case {case}: read {read} records of {records}");
            if cols.tags == intact.tags
                && cols.vals.iter().zip(&intact.vals).all(|(a, b)| a.to_bits() == b.to_bits())
                && cols.texts == intact.texts
            {
                assert_eq!(read, records, "case {case}: an intact batch reads whole");
                whole += 1;
            }
        }
        assert!(whole > n / 3, "{whole}");
    }

    #[test]
    fn a_malformed_event_is_skipped_whole() {
        let n = cases(2500);
        let mut rng = Rng::new("malformed");
        let g = Gen::new();
        let (provider, exporter) = in_memory(Temporality::Delta);
        let parts = Parts::new(&provider.meter("openclaw"), true, false);
        let h = parts.harness();
        let mut tally = Tally::default();
        let mut partial = Vec::new();
        for case in 0..n {
            let line = g.line(&mut rng);
            let r = run_line(&h, &line, case);
            provider.force_flush().unwrap();
            let taken = points(&exporter.get_finished_metrics().unwrap());
            exporter.reset();
            match &r {
                (Outcome::Malformed(why), spans, logs) => {
                    assert!(!why.is_empty() && why.len() < 200, "{why}");
                    assert_eq!((*spans, *logs), (0, 0), "case {case}: a malformed event yielded spans or logs: {line}");
                    if !taken.is_empty() {
                        partial.push((why.clone(), line.clone(), taken.iter().map(|p| p.0.clone()).collect::<Vec<_>>()));
                    }
                }
                (Outcome::Ignored, spans, logs) => {
                    assert!(taken.is_empty() && *spans == 0 && *logs == 0, "case {case}: an ignored event recorded something: {line}");
                }
                (Outcome::Recorded, ..) => {}
            }
            tally.add(&r);
        }
        println!("malformed: seed {:#x}, {n} cases: {tally:?}", seed());
        for (why, line, metrics) in partial.iter().take(3) {
            println!("  malformed ({why}) after recording {metrics:?}: {line}");
        }
        assert!(tally.malformed > n / 10, "{tally:?}");
        assert!(partial.is_empty(), "{} malformed event(s) still recorded metrics (first shown above)", partial.len());
    }

    /// A count as JSON may write it: 12, 12.0, 1.2e1.
    fn count_literal(v: u64, rng: &mut Rng) -> String {
        match rng.below(4) {
            0 => format!("{v}.0"),
            1 if v.is_multiple_of(10) && v > 0 => format!("{}e1", v / 10),
            _ => v.to_string(),
        }
    }

    #[test]
    fn model_usage_token_counts_are_recorded_exactly() {
        let n = cases(3000);
        let mut rng = Rng::new("usage");
        let (provider, exporter) = in_memory(Temporality::Cumulative);
        let parts = Parts::new(&provider.meter("openclaw"), false, false);
        let h = parts.harness();
        let kinds = [
            ("input", "input"),
            ("output", "output"),
            ("cacheRead", "cache_read"),
            ("cacheWrite", "cache_write"),
            ("promptTokens", "prompt"),
            ("total", "total"),
        ];
        let mut want: BTreeMap<&str, f64> = BTreeMap::new();
        let mut want_gen_ai: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
        for case in 0..n {
            let mut usage = Vec::new();
            for (field, kind) in kinds {
                let v = match rng.below(5) {
                    0 => continue,
                    1 => 0,
                    2 => rng.next() % 100,
                    // Up to the plausibility bound: beyond it a count is skipped (and counted).
                    3 => rng.next() % (crate::catalog::metrics::BOUND_TOKENS as u64 + 1),
                    _ => rng.next() % 200_000,
                };
                *want.entry(kind).or_default() += v as f64;
                if v > 0 && (kind == "input" || kind == "output") {
                    let e = want_gen_ai.entry(kind).or_default();
                    e.0 += v as f64;
                    e.1 += 1;
                }
                usage.push(format!("\"{field}\":{}", count_literal(v, &mut rng)));
            }
            // Identity values beyond the series cap, and a trace context now and then.
            let trace = if rng.pct(30) {
                format!(",\"trace\":{{\"traceId\":\"{:016x}{:016x}\",\"spanId\":\"{:016x}\"}}", rng.next() | 1, rng.next(), rng.next() | 1)
            } else {
                String::new()
            };
            let line = format!(
                "{}{{\"type\":\"model.usage\",\"channel\":\"{}\",\"provider\":\"p{}\",\"model\":\"m{}\",\"sessionKey\":\"agent:main:{case}\",\"usage\":{{{}}},\"costUsd\":0.25,\"durationMs\":{},\"ts\":{}{trace}}}",
                rng.below(8),
                rng.pick(&["webchat", "telegram", "bad channel!", ""]),
                rng.below(5),
                rng.below(3000),
                usage.join(","),
                rng.below(100_000),
                1_795_332_876_000u64 + case as u64,
            );
            let (outcome, ..) = run_line(&h, &line, case);
            assert_eq!(outcome, Outcome::Recorded, "case {case}: {line}");
        }
        provider.force_flush().unwrap();
        let pts = points(&exporter.get_finished_metrics().unwrap());
        let mut got: BTreeMap<&str, f64> = BTreeMap::new();
        let mut got_gen_ai: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
        for (name, attrs, sum, count) in &pts {
            if name == "openclaw.tokens" {
                let kind = kinds.iter().map(|k| k.1).find(|k| attrs.get("openclaw.token").map(String::as_str) == Some(*k)).unwrap();
                *got.entry(kind).or_default() += sum;
            }
            if name == "gen_ai.client.token.usage" {
                let kind = if attrs.get("gen_ai.token.type").map(String::as_str) == Some("input") { "input" } else { "output" };
                let e = got_gen_ai.entry(kind).or_default();
                e.0 += sum;
                e.1 += count;
            }
        }
        want.retain(|_, v| *v > 0.0);
        println!("usage: seed {:#x}, {n} cases, {} points; tokens by type {want:?}", seed(), pts.len());
        assert_eq!(got, want, "openclaw.tokens by type");
        assert_eq!(got_gen_ai, want_gen_ai, "gen_ai.client.token.usage (sum, count) by type");
    }

    // ---- config ----

    const SECRET: &str = "S3CRET";

    struct ConfigGen;

    impl ConfigGen {
        fn junk(rng: &mut Rng) -> String {
            if rng.pct(3) {
                // Long, and all escapes once printed.
                return rng.pick(&["\u{1}", "\n", "\u{2028}", "x"]).repeat(500 + rng.below(3000));
            }
            let n = rng.below(30);
            (0..n)
                .map(|_| {
                    *rng.pick(&[
                        'a', 'Z', '9', ' ', '\n', '\r', '\t', '\u{1b}', '\u{0}', '\u{7f}', '\u{85}', '\u{2028}', '\u{202e}', '%', '=', ',',
                        ':', '/', '@', '"', 'é',
                    ])
                })
                .collect()
        }

        /// Where a credential goes: user info (its password may hold `#?/@:%` unencoded, as
        /// people type them), or a query.
        fn url(rng: &mut Rng) -> String {
            Self::url_with(rng, true)
        }

        /// With `plant` false, no credential: for settings whose values are echoed in warnings.
        fn url_with(rng: &mut Rng, plant: bool) -> String {
            // Half well-formed (the credential then sits in real user info), half anything.
            let clean = rng.pct(50);
            let pick = |rng: &mut Rng, good: &[&'static str], bad: &[&'static str]| -> &'static str {
                if clean || rng.pct(50) {
                    good[rng.below(good.len())]
                } else {
                    bad[rng.below(bad.len())]
                }
            };
            let scheme = pick(rng, &["http://", "https://", "HTTP://", "HtTpS://"], &["ftp://", "", "http:/", "grpc://", "http://http://"]);
            let user = pick(rng, &["", "u:", "user:", "admin%40corp:"], &["u@x:", ":", "u"]);
            let password = if plant && rng.pct(70) {
                let around =
                    pick(rng, &["", "pw", "%40", "-_.~", "!$&'()*+,;="], &["#", "?", "/", "@", ":", "%zz", " ", "\n", "#frag/", "p?q=1"]);
                format!("{around}{SECRET}{}{}@", rng.pick(&["pw", "tok", ""]), pick(rng, &["", "9"], &["#", "/", "?x"]))
            } else {
                String::new()
            };
            let host = pick(
                rng,
                &["localhost", "collector", "127.0.0.1", "[::1]", "xn--bcher-kva.example", "a.b.c"],
                &["[::1", "", "%zz", "exa mple", "h\u{7}", "u127.0.0.1"],
            );
            let port = pick(rng, &["", ":4318", ":4317", ":65535"], &[":0", ":99999", ":-1", ":abc", ":"]);
            let path = pick(rng, &["", "/", "/v1/metrics", "/v1/traces/", "/api/v1/otlp", "/V1/LOGS"], &["//", "/a b", "/@x"]);
            let query = if plant && rng.pct(20) { format!("?token={SECRET}q&x=1") } else { String::new() };
            let frag = if rng.pct(5) { "#top" } else { "" };
            let mut url = format!("{scheme}{user}{password}{host}{port}{path}{query}{frag}");
            if !clean && rng.pct(10) {
                url = format!(" {url}\t");
            }
            if !clean && rng.pct(10) {
                url.push_str(&Self::junk(rng));
            }
            url
        }

        /// `k=v,k2=v2`, each value carrying the credential.
        fn header_list(rng: &mut Rng) -> String {
            let n = 1 + rng.below(4);
            (0..n)
                .map(|_| {
                    let name = rng.pick(&[
                        "Authorization",
                        "authorization",
                        "x-api-key",
                        "x-tenant",
                        "bad name",
                        "",
                        "Authorization: Basic",
                        "x%20y",
                        "%zz",
                    ]);
                    let values = [
                        format!("Bearer {SECRET}tok"),
                        format!("Bearer%20{SECRET}tok"),
                        format!("Basic {SECRET}dXNlcg=="),
                        format!("{SECRET}%zz"),
                        format!("{SECRET}%0A"),
                        format!("{SECRET}\u{1}"),
                        format!("a%2C{SECRET}"),
                    ];
                    let value = rng.pick(&values);
                    match rng.below(6) {
                        0 => format!("{name} {value}"),
                        1 => format!("{name}:{value}"),
                        _ => format!("{name}={value}"),
                    }
                })
                .collect::<Vec<_>>()
                .join(*rng.pick(&[",", " , ", ",,"]))
        }

        fn number_text(rng: &mut Rng) -> String {
            rng.pick(&[
                "1000",
                "5000",
                "0",
                "-3",
                "1e400",
                "99999999999999999999999",
                "NaN",
                "inf",
                " 250 ",
                "0x10",
                "1.5",
                "",
                "\u{1b}[31m",
                "18446744073709551616",
                "1e-9",
            ])
            .to_string()
        }

        fn env(rng: &mut Rng) -> Env {
            let mut env = Env::new();
            for _ in 0..rng.below(10) {
                let key = *rng.pick(ENV_KEYS);
                let value = if key.ends_with("ENDPOINT") {
                    Self::url(rng)
                } else if key.ends_with("HEADERS") {
                    Self::header_list(rng)
                } else if key.ends_with("TIMEOUT") || key.ends_with("INTERVAL") || key.ends_with("SIZE") || key.ends_with("DELAY") {
                    Self::number_text(rng)
                } else if key == "OTEL_SDK_DISABLED" {
                    rng.pick(&["false", "FALSE", "yes", "true"]).to_string()
                } else if key.ends_with("PROTOCOL") {
                    rng.pick(&["grpc", "http/json", "http/protobuf", "HTTP/PROTOBUF", "thrift", ""]).to_string()
                } else if key == "OTEL_TRACES_SAMPLER" {
                    rng.pick(&["always_on", "traceidratio", "parentbased_traceidratio", "jaeger_remote", ""]).to_string()
                } else if key == "OTEL_TRACES_SAMPLER_ARG" {
                    rng.pick(&["0.5", "2", "-1", "NaN", "x"]).to_string()
                } else if key == "OTEL_RESOURCE_ATTRIBUTES" {
                    rng.pick(&["a=b,c=d", "team=a%2Cb", "bad", "=v", "k=%zz", "k=\u{1}"]).to_string()
                } else if rng.pct(50) {
                    Self::junk(rng)
                } else {
                    rng.pick(&["gzip", "none", "delta", "lowmemory", "zstd", "gen_ai_latest_experimental", "x"]).to_string()
                };
                env.insert(key.to_string(), value);
            }
            if rng.pct(10) {
                env.insert(Self::junk(rng), Self::junk(rng));
            }
            // Mostly not disabled, or nothing gets resolved.
            if env.get("OTEL_SDK_DISABLED").is_some_and(|v| v == "true") && rng.pct(80) {
                env.remove("OTEL_SDK_DISABLED");
            }
            env
        }

        fn any(rng: &mut Rng) -> Value {
            match rng.below(9) {
                0 => Value::Null,
                1 => json!(rng.pct(50)),
                2 => json!(*rng.pick(&[0.0, -1.0, 0.5, 1.0, 2.0, 10.0, 999.0, 1e300, f64::MIN_POSITIVE, 30000.0, 1e20])),
                3 => json!(rng.next()),
                4 => json!(Self::junk(rng)),
                5 => json!([1, "a"]),
                6 => json!({"x": 1}),
                7 => json!(Self::url_with(rng, false)),
                _ => json!(rng.pick(&["otlp", "stdout", "both", "BOTH ", "file", "grpc", "http/json", "openclaw.", "9bad", "acme/", ""])),
            }
        }

        fn diagnostics(rng: &mut Rng) -> Value {
            if rng.pct(3) {
                return Self::any(rng);
            }
            let mut otel = Map::new();
            otel.insert("enabled".into(), if rng.pct(90) { json!(true) } else { Self::any(rng) });
            for key in [
                "endpoint",
                "metricsEndpoint",
                "tracesEndpoint",
                "logsEndpoint",
                "protocol",
                "headers",
                "serviceName",
                "flushIntervalMs",
                "sampleRate",
                "metricNamePrefix",
                "logsExporter",
                "captureContent",
                "metrics",
                "traces",
                "logs",
            ] {
                if !rng.pct(35) {
                    continue;
                }
                let v = match key {
                    k if k.ends_with("ndpoint") && rng.pct(85) => json!(Self::url(rng)),
                    "headers" if rng.pct(80) => {
                        let mut h = Map::new();
                        h.insert("Authorization".into(), json!(format!("Bearer {SECRET}tok")));
                        for _ in 0..rng.below(3) {
                            let name = rng.pick(&["x-tenant", "Bad Name", "", "x-api-key", "x-n"]).to_string();
                            let value = match rng.below(4) {
                                0 => json!(5),
                                1 => json!(format!("{SECRET}\u{1}")),
                                _ => json!(format!("k-{SECRET}")),
                            };
                            h.insert(name, value);
                        }
                        Value::Object(h)
                    }
                    "metrics" | "traces" | "logs" if rng.pct(80) => json!(rng.pct(60)),
                    _ => Self::any(rng),
                };
                otel.insert(key.into(), v);
            }
            let mut d = Map::new();
            d.insert("enabled".into(), if rng.pct(90) { json!(true) } else { Self::any(rng) });
            d.insert("otel".into(), if rng.pct(97) { Value::Object(otel) } else { Self::any(rng) });
            Value::Object(d)
        }
    }

    #[test]
    fn config_resolution_is_total_usable_and_keeps_secrets() {
        let n = cases(4000);
        let mut rng = Rng::new("config");
        let kit = ExporterKit::new();
        let (mut enabled, mut fell_back, mut warned) = (0, 0, 0);
        let mut raw_leaks = Vec::new();
        for case in 0..n {
            let diagnostics = ConfigGen::diagnostics(&mut rng);
            let env = ConfigGen::env(&mut rng);
            let run = catch_unwind(AssertUnwindSafe(|| check_config(&kit, &diagnostics, &env)));
            let Ok((r, printed, summary)) = run else {
                panic!("case {case} (seed {:#x}) failed on\n  diagnostics: {diagnostics}\n  env: {env:?}", seed());
            };
            for line in &printed {
                assert!(
                    !line.contains(SECRET),
                    "case {case}: a secret in a printed line: {line}\n  diagnostics: {diagnostics}\n  env: {env:?}"
                );
            }
            if let Some(s) = &summary {
                assert!(!s.contains(SECRET), "case {case}: a secret in the summary: {s}");
            }
            if let Some(w) = r.warnings.iter().find(|w| w.contains(SECRET)) {
                raw_leaks.push(w.clone());
            }
            if let Config::Enabled(s) = &r.outcome {
                enabled += 1;
                fell_back += usize::from(s.metrics.endpoint.defaulted);
            }
            warned += usize::from(!r.warnings.is_empty());
        }
        println!("config: seed {:#x}, {n} cases: {enabled} enabled ({fell_back} on the default endpoint), {warned} with warnings", seed());
        assert!(
            enabled > n / 2 && warned > n / 2 && fell_back > n / 50 && enabled - fell_back > n / 10,
            "the generator must reach every outcome"
        );
        // The funnel masks user info, but a warning should not need it to.
        assert!(raw_leaks.is_empty(), "{} warning(s) carry a secret before the funnel, e.g. {:?}", raw_leaks.len(), raw_leaks.first());
    }

    #[test]
    fn fuzz_inputs_round_trip() {
        let (d, env) = config_input("{\"enabled\":true}\n#3=http://x:1\nOTEL_SERVICE_NAME=gw\nnot a pair");
        assert_eq!(d, json!({"enabled": true}));
        assert_eq!(env.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(String::as_str), Some("http://x:1"));
        assert_eq!(env.get("OTEL_SERVICE_NAME").map(String::as_str), Some("gw"));
        targets::event_decode(b"1{\"type\":\"model.usage\",\"usage\":{\"input\":1}}\n\xff\xfe\n");
        targets::config_resolve(b"{\"enabled\":true,\"otel\":{\"enabled\":true}}\n#12=Authorization=Bearer x");
    }
}
