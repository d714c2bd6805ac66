//! OTLP exporters for the three signals, wrapped so that every export is bounded by a timeout,
//! aborted at the stop deadline, and reported: per-signal health for `status()`, a rate-limited
//! warning naming the cause, a recovery line, and `openclaw.telemetry.exporter.events`.

use crate::config::{redact_url, Compression, Endpoint, Level, Protocol, Signal, Tls};
use crate::export::batch::{backoff, Sent, Sink};
use crate::export::credentials::SignalHeaders;
use crate::export::health::{categorize, retryable, status_in, tls_cause, unix_ms, Logs, RateLimited};
use crate::export::transport::{Clients, HttpClient, Route};
use crate::policy::printable;
use crate::signals::logs::LogItem;
use opentelemetry::KeyValue;
use opentelemetry_otlp::tonic_types::transport::ClientTlsConfig;
use opentelemetry_otlp::{RetryPolicy, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter as _, SdkLogRecord};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Failed exports in a row after which a signal is `failing` rather than `degraded`.
const FAILING_AFTER: u64 = 3;

/// One signal's export health, shown by `status()`.
pub struct SignalHealth {
    pub signal: Signal,
    /// Where it goes (credentials removed), or None when the signal is off.
    pub destination: Option<String>,
    raw_url: String,
    pub exports_ok: AtomicU64,
    pub exports_failed: AtomicU64,
    pub last_success_unix_ms: AtomicU64,
    pub last_failure_unix_ms: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    failing_streak: AtomicU64,
    warning: RateLimited,
    /// What the latest HTTP request ended with (the exporter only says "network error").
    last_response: Arc<Mutex<LastResponse>>,
    /// No metrics export before this: the collector asked for time (cumulative data waits losslessly).
    not_before: Mutex<Option<Instant>>,
    pub exports_deferred: AtomicU64,
    /// When `state()` last changed.
    state_since_unix_ms: AtomicU64,
    /// Set by flush and stop: the export they cause goes out whatever the backoff says.
    pub urgent: std::sync::atomic::AtomicBool,
}

/// The transport cause of a failed request, or the status and Retry-After of a refused one.
#[derive(Default)]
struct LastResponse {
    transport: Option<String>,
    status: Option<u16>,
    retry_after: Option<Duration>,
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    httpdate::parse_http_date(v).ok().map(|t| t.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

impl SignalHealth {
    pub fn new(signal: Signal, url: Option<&str>) -> Self {
        SignalHealth {
            signal,
            destination: url.map(|u| if u == "stdout" { u.to_string() } else { redact_url(u) }),
            raw_url: url.unwrap_or_default().to_string(),
            exports_ok: AtomicU64::new(0),
            exports_failed: AtomicU64::new(0),
            last_success_unix_ms: AtomicU64::new(0),
            last_failure_unix_ms: AtomicU64::new(0),
            last_error: Mutex::new(None),
            failing_streak: AtomicU64::new(0),
            warning: RateLimited::default(),
            last_response: Arc::new(Mutex::new(LastResponse::default())),
            not_before: Mutex::new(None),
            exports_deferred: AtomicU64::new(0),
            state_since_unix_ms: AtomicU64::new(0),
            urgent: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|g| g.clone())
    }

    /// `healthy` (the last export went through), `degraded` (1-2 failures in a row), `failing`
    /// (3 or more), or `starting` (nothing sent yet); since when (unix ms); and the current
    /// cause, which clears on recovery (`last_error` keeps the history).
    pub fn state(&self) -> (&'static str, Option<u64>, Option<String>) {
        let since = Some(self.state_since_unix_ms.load(Relaxed)).filter(|t| *t > 0);
        match self.failing_streak.load(Relaxed) {
            0 if self.exports_ok.load(Relaxed) == 0 => ("starting", since, None),
            0 => ("healthy", since, None),
            n => (if n < FAILING_AFTER { "degraded" } else { "failing" }, since, self.last_error()),
        }
    }
}

/// `openclaw.telemetry.exporter.events` and the operator's log lines, shared by all signals.
pub struct Reporter {
    pub logs: Logs,
    /// Taken at stop: the SDK sizes each counter's table for 2,000 series (~135 KB), and a
    /// stopped generation's handle lives on until the JS garbage collector finalizes it.
    exporter_events: Mutex<Option<opentelemetry::metrics::Counter<f64>>>,
    /// Failure categories already counted per signal: like the official plugin, each once per generation.
    reported_failures: Mutex<Vec<(Signal, &'static str)>>,
}

impl Default for Reporter {
    fn default() -> Self {
        Reporter { logs: Logs::default(), exporter_events: Mutex::new(None), reported_failures: Mutex::new(Vec::new()) }
    }
}

impl Reporter {
    pub fn set_counter(&self, counter: opentelemetry::metrics::Counter<f64>) {
        if let Ok(mut slot) = self.exporter_events.lock() {
            *slot = Some(counter);
        }
    }

    /// After the final export nothing reads the counter again.
    pub fn release_counter(&self) {
        if let Ok(mut slot) = self.exporter_events.lock() {
            slot.take();
        }
    }

    #[cfg(test)]
    pub(crate) fn holds_counter(&self) -> bool {
        self.exporter_events.lock().is_ok_and(|c| c.is_some())
    }

    pub fn exporter_event(&self, signal: Signal, status: &'static str, reason: &'static str, category: Option<&str>) {
        let Some(counter) = self.exporter_events.lock().ok().and_then(|c| c.clone()) else {
            return;
        };
        let mut attrs = vec![
            KeyValue::new("openclaw.exporter", "diagnostics-otel"),
            KeyValue::new("openclaw.signal", signal.as_str()),
            KeyValue::new("openclaw.status", status),
            KeyValue::new("openclaw.reason", reason),
        ];
        if let Some(c) = category {
            attrs.push(KeyValue::new("openclaw.errorCategory", c.to_string()));
        }
        counter.add(1.0, &attrs);
    }

    fn report_failure(&self, signal: Signal, category: &'static str) {
        let first = match self.reported_failures.lock() {
            Ok(mut seen) if !seen.contains(&(signal, category)) => {
                seen.push((signal, category));
                true
            }
            _ => false,
        };
        if first {
            let slug: String = category.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_");
            self.exporter_event(signal, "failure", "emit_failed", Some(&slug));
        }
    }

    /// Count one export's result; warn (rate-limited) on failure, say so on recovery. Says
    /// whether the data is worth sending again.
    pub fn note(&self, h: &SignalHealth, result: Result<(), String>) -> Sent {
        let what = h.signal.as_str();
        let dest = h.destination.as_deref().unwrap_or("?");
        match result {
            Ok(()) => {
                let first = h.exports_ok.fetch_add(1, Relaxed) == 0;
                h.last_success_unix_ms.store(unix_ms(), Relaxed);
                let failed = h.failing_streak.swap(0, Relaxed);
                if failed > 0 || first {
                    h.state_since_unix_ms.store(unix_ms(), Relaxed);
                }
                if failed > 0 {
                    self.logs
                        .push(Level::Info, format!("diagnostics-otel: {what} export to {dest} recovered after {failed} failed attempt(s)"));
                }
                Sent::Ok
            }
            Err(e) => {
                h.exports_failed.fetch_add(1, Relaxed);
                h.last_failure_unix_ms.store(unix_ms(), Relaxed);
                let streak = h.failing_streak.fetch_add(1, Relaxed) + 1;
                if streak == 1 || streak == FAILING_AFTER {
                    h.state_since_unix_ms.store(unix_ms(), Relaxed);
                }
                let last = h.last_response.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
                let text = match last.transport {
                    Some(t) => format!("{e}: {t}"),
                    None => e,
                };
                let category = categorize(&text);
                let status = last.status.or_else(|| status_in(&text));
                let sent = if retryable(category, status) { Sent::Retry(last.retry_after) } else { Sent::Rejected };
                self.report_failure(h.signal, category);
                let cause = if category == "tls" { tls_cause(&text).map(|c| format!("{c}; ")) } else { None };
                let detail = printable(&format!(
                    "{}{}",
                    cause.unwrap_or_default(),
                    if h.raw_url.is_empty() { text } else { text.replace(&h.raw_url, dest) }.chars().take(300).collect::<String>()
                ));
                if let Ok(mut last) = h.last_error.lock() {
                    *last = Some(format!("{category}: {detail}"));
                }
                if category == "cancelled at shutdown" {
                    self.logs.push(
                        Level::Warn,
                        format!("diagnostics-otel: final {what} export to {dest} abandoned at the stop deadline (the collector did not answer); this generation's last {what} are lost"),
                    );
                } else if let Some(n) = h.warning.due() {
                    let consequence = match (h.signal, sent) {
                        (Signal::Metrics, Sent::Retry(_)) => "data is kept and sent again after a backoff",
                        (Signal::Metrics, _) => "data is kept and sent again at the next interval",
                        (_, Sent::Retry(_)) => "the batch waits and is sent again after a backoff; newer ones queue behind it",
                        _ => "the collector refused that batch for good: it is dropped and counted; later batches are still sent",
                    };
                    self.logs.push(
                        Level::Warn,
                        format!(
                            "diagnostics-otel: {what} export to {dest} failed: {category} ({detail}); {n} failure(s) since the last warning; {consequence}"
                        ),
                    );
                }
                sent
            }
        }
    }
}

/// Wraps the HTTP client so that it sets the signal's headers on each request and remembers
/// why a request failed.
struct DiagnosingClient {
    inner: HttpClient,
    slot: Arc<Mutex<LastResponse>>,
    headers: SignalHeaders,
}

impl std::fmt::Debug for DiagnosingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiagnosingClient")
    }
}

pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
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
        mut request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<opentelemetry_http::Response<opentelemetry_http::Bytes>, opentelemetry_http::HttpError> {
        let map = request.headers_mut();
        self.headers.each(|k, v| {
            map.insert(k.clone(), v.clone());
        });
        let result = self.inner.send(request).await;
        let last = match &result {
            Err(e) => LastResponse { transport: Some(error_chain(e.as_ref())), ..LastResponse::default() },
            Ok(r) if !r.status().is_success() => LastResponse {
                status: Some(r.status().as_u16()),
                retry_after: r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after),
                ..LastResponse::default()
            },
            Ok(_) => LastResponse::default(),
        };
        if let Ok(mut slot) = self.slot.lock() {
            *slot = last;
        }
        result
    }
}

fn http_options<B: WithExportConfig + WithHttpConfig>(b: B, ep: &Endpoint, client: &HttpClient, x: &Build) -> B {
    let protocol =
        if ep.protocol == Protocol::HttpJson { opentelemetry_otlp::Protocol::HttpJson } else { opentelemetry_otlp::Protocol::HttpBinary };
    let b = b
        .with_http_client(DiagnosingClient { inner: client.clone(), slot: x.health.last_response.clone(), headers: x.headers.clone() })
        .with_protocol(protocol)
        .with_endpoint(ep.url.clone())
        .with_timeout(ep.timeout)
        .with_retry_policy(RetryPolicy::disabled());
    match ep.compression {
        Compression::Gzip => b.with_compression(opentelemetry_otlp::Compression::Gzip),
        Compression::None => b,
    }
}

/// tonic's TLS: the CA replaces the webpki roots, as for HTTP.
fn grpc_tls(tls: &Tls) -> ClientTlsConfig {
    let config = match &tls.ca {
        Some(ca) => ClientTlsConfig::new().ca_certificate(tonic::transport::Certificate::from_pem(&ca.pem)),
        None => ClientTlsConfig::new().with_webpki_roots(),
    };
    match &tls.client {
        Some((cert, key)) => config.identity(tonic::transport::Identity::from_pem(&cert.pem, &key.pem)),
        None => config,
    }
}

/// Sets the signal's headers as gRPC metadata on each call, after the crate's own.
fn interceptor(headers: SignalHeaders) -> impl tonic::service::Interceptor + Clone + Send + Sync + 'static {
    move |mut req: tonic::Request<()>| {
        let metadata = req.metadata_mut();
        headers.each(|k, v| {
            if let (Ok(k), Ok(v)) = (
                tonic::metadata::AsciiMetadataKey::from_bytes(k.as_str().as_bytes()),
                tonic::metadata::AsciiMetadataValue::try_from(v.as_bytes()),
            ) {
                metadata.insert(k, v);
            }
        });
        Ok(req)
    }
}

fn grpc_options<B: WithExportConfig + WithTonicConfig>(b: B, ep: &Endpoint, x: &Build) -> Result<B, String> {
    let proxy = x.clients.proxy();
    let mut b = b
        .with_protocol(opentelemetry_otlp::Protocol::Grpc)
        .with_endpoint(ep.url.clone())
        .with_timeout(ep.timeout)
        .with_interceptor(interceptor(x.headers.clone()))
        .with_retry_policy(RetryPolicy::disabled());
    if ep.compression == Compression::Gzip {
        b = b.with_compression(opentelemetry_otlp::Compression::Gzip);
    }
    let tls = ep.url.starts_with("https://").then(|| grpc_tls(&ep.tls));
    let proxied = proxy.filter(|m| ep.url.parse::<http::Uri>().is_ok_and(|u| m.intercept(&u).is_some()));
    match (proxied, tls) {
        // Through a proxy the channel is ours, on the tunnelling connector; tonic adds the TLS.
        (Some(m), tls) => {
            let mut endpoint = tonic::transport::Endpoint::from_shared(ep.url.clone()).map_err(|e| e.to_string())?.timeout(ep.timeout);
            if let Some(tls) = tls {
                endpoint = endpoint.tls_config(tls).map_err(|e| error_chain(&e))?;
            }
            Ok(b.with_channel(endpoint.connect_with_connector_lazy(Route::new(Some(m), true))))
        }
        (None, Some(tls)) => Ok(b.with_tls_config(tls)),
        (None, None) => Ok(b),
    }
}

/// Builds one signal's OTLP exporter; hyper and tonic spawn their tasks on the runtime.
macro_rules! build_otlp {
    ($builder:expr, $ep:expr, $x:expr) => {{
        let _guard = $x.runtime.enter();
        match $ep.protocol {
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                let client = $x.clients.for_tls(&$ep.tls)?;
                http_options($builder.with_http(), $ep, &client, $x).build().map_err(|e| e.to_string())
            }
            Protocol::Grpc => grpc_options($builder.with_tonic(), $ep, $x)?.build().map_err(|e| e.to_string()),
        }
    }};
}

/// What building any signal's exporter needs.
pub struct Build<'a> {
    pub runtime: &'a tokio::runtime::Runtime,
    pub clients: &'a Clients,
    pub health: &'a SignalHealth,
    /// The signal's headers: every request gets them as they are at that moment.
    pub headers: SignalHeaders,
}

impl<'a> Build<'a> {
    /// For the exporter a guard wraps: its requests carry the headers the guard refreshes.
    pub fn for_guard(runtime: &'a tokio::runtime::Runtime, clients: &'a Clients, g: &'a Guard) -> Self {
        Build { runtime, clients, health: &g.health, headers: g.headers.clone() }
    }
}

pub fn metric_exporter(ep: &Endpoint, temporality: Temporality, x: &Build) -> Result<opentelemetry_otlp::MetricExporter, String> {
    build_otlp!(opentelemetry_otlp::MetricExporter::builder().with_temporality(temporality), ep, x)
}

pub fn span_exporter(ep: &Endpoint, x: &Build) -> Result<opentelemetry_otlp::SpanExporter, String> {
    build_otlp!(opentelemetry_otlp::SpanExporter::builder(), ep, x)
}

pub fn log_exporter(ep: &Endpoint, x: &Build) -> Result<opentelemetry_otlp::LogExporter, String> {
    build_otlp!(opentelemetry_otlp::LogExporter::builder(), ep, x)
}

/// Runs an export future on the generation's runtime, bounded by `deadline` and the stop signal.
fn bounded<F: std::future::Future<Output = OTelSdkResult>>(
    handle: &tokio::runtime::Handle,
    cancel: &watch::Receiver<bool>,
    deadline: Instant,
    fut: F,
) -> Result<(), String> {
    if *cancel.borrow() {
        return Err("skipped: shutdown deadline reached".into());
    }
    let mut cancel = cancel.clone();
    let limit = deadline.saturating_duration_since(Instant::now());
    handle
        .block_on(async {
            tokio::select! {
                r = tokio::time::timeout(limit, fut) => r.unwrap_or(Err(OTelSdkError::Timeout(limit))),
                _ = cancel.wait_for(|c| *c) => Err(OTelSdkError::InternalFailure("aborted: shutdown deadline reached".into())),
            }
        })
        .map_err(|e| e.to_string())
}

/// What every wrapped exporter needs: where to run, when to give up, whom to tell.
#[derive(Clone)]
pub struct Guard {
    pub handle: tokio::runtime::Handle,
    /// One request's limit: our HTTP client is the exporter's, so its own timeout setting does
    /// not reach the request.
    pub timeout: Duration,
    pub cancel: watch::Receiver<bool>,
    pub reporter: Arc<Reporter>,
    pub health: Arc<SignalHealth>,
    pub headers: SignalHeaders,
}

impl Guard {
    /// Runs one export: rotating headers first brought up to date, the result reported, and a
    /// refused credential fetched again before the next one.
    fn export<F: std::future::Future<Output = OTelSdkResult>>(&self, deadline: Instant, fut: F) -> (Result<(), String>, Sent) {
        let headers = self.headers.clone();
        let result = bounded(&self.handle, &self.cancel, deadline, async move {
            headers.refresh().await;
            fut.await
        });
        let sent = self.reporter.note(&self.health, result.clone());
        if result.is_err() && self.health.last_error().is_some_and(|e| e.starts_with("rejected: unauthorized")) {
            self.headers.invalidate();
        }
        (result, sent)
    }
}

/// The metric exporter the periodic reader calls.
pub struct GuardedMetrics {
    pub inner: opentelemetry_otlp::MetricExporter,
    pub guard: Guard,
    pub temporality: Temporality,
}

impl PushMetricExporter for GuardedMetrics {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let g = &self.guard;
        let h = &g.health;
        // Cumulative totals lose nothing by waiting out a collector's backoff; delta points
        // would, so delta is always sent. The final export at stop is always attempted.
        let gate = h.not_before.lock().ok().and_then(|g| *g);
        if self.temporality == Temporality::Cumulative && !h.urgent.load(Relaxed) && gate.is_some_and(|t| Instant::now() < t) {
            h.exports_deferred.fetch_add(1, Relaxed);
            return Ok(());
        }
        let (result, sent) = g.export(Instant::now() + g.timeout, self.inner.export(metrics));
        let next = match sent {
            Sent::Retry(hint) => Some(Instant::now() + backoff(h.failing_streak.load(Relaxed).min(16) as u32, hint)),
            _ => None,
        };
        if let Ok(mut gate) = h.not_before.lock() {
            *gate = next;
        }
        result.map_err(OTelSdkError::InternalFailure)
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let _guard = self.guard.handle.enter();
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.temporality
    }
}

pub struct SpanSink {
    pub inner: opentelemetry_otlp::SpanExporter,
    pub guard: Guard,
}

impl SpanSink {
    pub fn new(mut inner: opentelemetry_otlp::SpanExporter, resource: &Resource, guard: Guard) -> Self {
        opentelemetry_sdk::trace::SpanExporter::set_resource(&mut inner, resource);
        SpanSink { inner, guard }
    }
}

impl Sink<SpanData> for SpanSink {
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Sent {
        let g = &self.guard;
        let deadline = deadline.min(Instant::now() + g.timeout);
        g.export(deadline, self.inner.export(batch.to_vec())).1
    }
}

pub struct LogSink {
    pub otlp: Option<(opentelemetry_otlp::LogExporter, Guard)>,
    pub scope: opentelemetry::InstrumentationScope,
}

impl LogSink {
    pub fn new(otlp: Option<(opentelemetry_otlp::LogExporter, Guard)>, resource: &Resource) -> Self {
        let otlp = otlp.map(|(mut e, g)| {
            opentelemetry_sdk::logs::LogExporter::set_resource(&mut e, resource);
            (e, g)
        });
        LogSink { otlp, scope: opentelemetry::InstrumentationScope::builder("openclaw").build() }
    }
}

impl Sink<LogItem> for LogSink {
    fn export(&mut self, batch: &[LogItem], deadline: Instant) -> Sent {
        // stdout lines go once, not again with each retry of the OTLP export.
        let mut out = String::new();
        for item in batch.iter().filter(|i| !i.printed.swap(true, Relaxed)) {
            if let Some(line) = &item.stdout_line {
                out.push_str(line);
                out.push('\n');
            }
        }
        if !out.is_empty() {
            use std::io::Write;
            // Errors (a closed stdout) are not ours to raise; the batch still goes to OTLP.
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
        }
        let Some((exporter, g)) = &self.otlp else {
            return Sent::Ok;
        };
        let pairs: Vec<(&SdkLogRecord, &opentelemetry::InstrumentationScope)> = batch.iter().map(|i| (&i.record, &self.scope)).collect();
        let deadline = deadline.min(Instant::now() + g.timeout);
        g.export(deadline, exporter.export(LogBatch::new(&pairs))).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_states_move_and_the_cause_clears_on_recovery() {
        let r = Reporter::default();
        let h = SignalHealth::new(Signal::Traces, Some("http://user:pw@collector:4318/v1/traces"));
        assert_eq!(h.state().0, "starting");
        assert_eq!(r.note(&h, Ok(())), Sent::Ok);
        assert_eq!(h.state().0, "healthy");
        let fail = || Err("HTTP export failed with status code: 503".to_string());
        assert_eq!(r.note(&h, fail()), Sent::Retry(None), "503 is worth sending again");
        let (state, since, cause) = h.state();
        assert_eq!(state, "degraded");
        assert!(since.is_some());
        assert!(cause.as_deref().is_some_and(|c| c.starts_with("collector error")), "{cause:?}");
        r.note(&h, fail());
        r.note(&h, fail());
        assert_eq!(h.state().0, "failing");
        assert_eq!(r.note(&h, Err("HTTP export failed with status code: 401".into())), Sent::Rejected);
        r.note(&h, Ok(()));
        let (state, _, cause) = h.state();
        assert_eq!((state, cause), ("healthy", None));
        assert!(h.last_error().is_some(), "the history stays");
        let lines: Vec<String> = r.logs.take().into_iter().map(|(_, m)| m).collect();
        assert!(lines.iter().any(|m| m.contains("recovered after 4 failed attempt(s)")), "{lines:?}");
        assert!(lines.iter().all(|m| !m.contains("pw@")), "{lines:?}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let d = retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(d > Duration::from_secs(110) && d <= Duration::from_secs(120), "{d:?}");
        assert_eq!(retry_after("soon"), None);
    }
}
