//! The Prometheus scrape: on each request the SDK is read through our own pull reader (always
//! cumulative, whatever the OTLP push uses), and its data is written in the OpenMetrics text
//! format by `prometheus-client`, named as Prometheus' OTLP receiver would name it
//! (`catalog::prometheus`): `job`/`instance` from the resource on every series, and the rest of
//! the resource on `target_info`. A series cap keeps the exposition bounded.

use crate::catalog::prometheus::{label_name, metric_name, PromKind};
use opentelemetry::Value as AttrValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{InstrumentKind, ManualReader, Pipeline, Temporality};
use opentelemetry_sdk::Resource;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use rustc_hash::{FxHashSet, FxHasher};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const DEFAULT_MAX_SERIES: usize = 2048;
/// Refused series are remembered (to count each once) up to this many; past it each refusal
/// counts once per scrape.
const MAX_REMEMBERED_REFUSALS: usize = 65_536;
/// Never capped: they are how an operator sees the cap and the loss.
const UNCAPPED: &[&str] = &["target", "openclaw_telemetry_dropped"];

/// The provider's handle on the reader the scrape reads.
#[derive(Debug)]
pub struct PullReader(Arc<ManualReader>);

impl MetricReader for PullReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// Which series may appear: the first `max` seen stay, later ones are refused and counted.
struct SeriesCap {
    max: usize,
    admitted: FxHashSet<u64>,
    refused: FxHashSet<u64>,
}

impl SeriesCap {
    fn admits(&mut self, family: &str, labels: &[(String, String)], dropped: &AtomicU64) -> bool {
        if UNCAPPED.contains(&family) {
            return true;
        }
        let mut h = FxHasher::default();
        family.hash(&mut h);
        labels.hash(&mut h);
        let key = h.finish();
        if self.admitted.contains(&key) {
            return true;
        }
        if self.admitted.len() < self.max {
            self.admitted.insert(key);
            return true;
        }
        if self.refused.len() < MAX_REMEMBERED_REFUSALS {
            if self.refused.insert(key) {
                dropped.fetch_add(1, Relaxed);
            }
        } else if !self.refused.contains(&key) {
            dropped.fetch_add(1, Relaxed);
        }
        false
    }
}

pub struct Exposition {
    reader: Arc<ManualReader>,
    cap: Mutex<SeriesCap>,
    /// Distinct series refused by the cap (`openclaw.telemetry.dropped{signal="prometheus"}`).
    pub dropped: Arc<AtomicU64>,
}

impl Exposition {
    /// The exposition and the reader to give the meter provider.
    pub fn new(max_series: usize) -> (Self, PullReader) {
        let reader = Arc::new(ManualReader::builder().with_temporality(Temporality::Cumulative).build());
        let cap = SeriesCap { max: max_series, admitted: FxHashSet::default(), refused: FxHashSet::default() };
        (Exposition { reader: reader.clone(), cap: Mutex::new(cap), dropped: Arc::new(AtomicU64::new(0)) }, PullReader(reader))
    }

    /// One scrape's body; an error once the generation has stopped.
    pub fn render(&self) -> Result<String, String> {
        let mut rm = ResourceMetrics::default();
        self.reader.collect(&mut rm).map_err(|e| format!("no metrics to scrape: {e}"))?;
        let mut cap = self.cap.lock().map_err(|_| "the series cap is poisoned".to_string())?;
        encode(families(&rm, &mut cap, &self.dropped))
    }
}

#[derive(Debug)]
enum Sample {
    Number(f64),
    /// Sum, count, and per-bucket (not cumulative) counts by upper bound, `+Inf` last.
    Histogram(f64, u64, Vec<(f64, u64)>),
}

#[derive(Debug)]
struct Family {
    /// Without the `_total` of counters (the encoder adds it) and `_info` of info metrics.
    name: String,
    help: String,
    kind: MetricType,
    series: Vec<(Vec<(String, String)>, Sample)>,
}

fn text_of(v: &AttrValue) -> String {
    v.as_str().into_owned()
}

/// Attributes as labels: translated names, and values joined with `;` where two keys translate
/// to one name (as the OTLP receiver does), sorted by name.
fn labels_of<'a>(attrs: impl Iterator<Item = (&'a str, String)>, extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (k, v) in attrs {
        by_name.entry(label_name(k)).or_default().push((k.to_string(), v));
    }
    let mut out: Vec<(String, String)> = by_name
        .into_iter()
        .map(|(name, mut kv)| {
            kv.sort();
            (name, kv.into_iter().map(|(_, v)| v).collect::<Vec<_>>().join(";"))
        })
        .collect();
    for (k, v) in extra {
        out.retain(|(n, _)| n != k);
        out.push((k.clone(), v.clone()));
    }
    out.sort();
    out
}

/// `job` and `instance` from the resource, as the OTLP receiver derives them.
fn job_and_instance(resource: &Resource) -> Vec<(String, String)> {
    let get = |k: &str| resource.iter().find(|(key, _)| key.as_str() == k).map(|(_, v)| text_of(v));
    let mut out = Vec::new();
    if let Some(name) = get("service.name") {
        let job = match get("service.namespace") {
            Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
            _ => name,
        };
        out.push(("job".to_string(), job));
    }
    if let Some(id) = get("service.instance.id") {
        out.push(("instance".to_string(), id));
    }
    out
}

trait AsF64: Copy {
    fn f(self) -> f64;
}
impl AsF64 for f64 {
    fn f(self) -> f64 {
        self
    }
}
impl AsF64 for u64 {
    fn f(self) -> f64 {
        self as f64
    }
}
impl AsF64 for i64 {
    fn f(self) -> f64 {
        self as f64
    }
}

fn family_of<T: AsF64>(name: &str, unit: &str, help: &str, data: &MetricData<T>, job: &[(String, String)]) -> Option<Family> {
    let attrs = |it: &mut dyn Iterator<Item = &opentelemetry::KeyValue>| {
        let pairs: Vec<(&str, String)> = it.map(|kv| (kv.key.as_str(), text_of(&kv.value))).collect();
        labels_of(pairs.into_iter(), job)
    };
    let (kind, prom, series): (PromKind, MetricType, Vec<_>) = match data {
        MetricData::Sum(s) if s.is_monotonic() => (
            PromKind::Counter,
            MetricType::Counter,
            s.data_points().map(|p| (attrs(&mut p.attributes()), Sample::Number(p.value().f()))).collect(),
        ),
        MetricData::Sum(s) => (
            PromKind::Gauge,
            MetricType::Gauge,
            s.data_points().map(|p| (attrs(&mut p.attributes()), Sample::Number(p.value().f()))).collect(),
        ),
        MetricData::Gauge(g) => (
            PromKind::Gauge,
            MetricType::Gauge,
            g.data_points().map(|p| (attrs(&mut p.attributes()), Sample::Number(p.value().f()))).collect(),
        ),
        MetricData::Histogram(h) => (
            PromKind::Histogram,
            MetricType::Histogram,
            h.data_points()
                .map(|p| {
                    let bounds: Vec<f64> = p.bounds().collect();
                    let counts: Vec<u64> = p.bucket_counts().collect();
                    let mut buckets: Vec<(f64, u64)> = bounds.iter().copied().zip(counts.iter().copied()).collect();
                    buckets.push((f64::INFINITY, counts.get(bounds.len()).copied().unwrap_or(0)));
                    (attrs(&mut p.attributes()), Sample::Histogram(p.sum().f(), p.count(), buckets))
                })
                .collect(),
        ),
        // We record no exponential histograms; Prometheus 2.x could not scrape them as text.
        MetricData::ExponentialHistogram(_) => return None,
    };
    let full = metric_name(name, unit, kind);
    let name = if kind == PromKind::Counter { full.strip_suffix("_total").unwrap_or(&full).to_string() } else { full };
    Some(Family { name, help: help.to_string(), kind: prom, series })
}

fn families(rm: &ResourceMetrics, cap: &mut SeriesCap, dropped: &AtomicU64) -> Vec<Family> {
    let job = job_and_instance(rm.resource());
    let mut out = Vec::new();
    // target_info: the resource beyond what job and instance already say.
    let rest: Vec<(&str, String)> = rm
        .resource()
        .iter()
        .map(|(k, v)| (k.as_str(), text_of(v)))
        .filter(|(k, _)| !matches!(*k, "service.name" | "service.namespace" | "service.instance.id"))
        .collect();
    if !rest.is_empty() {
        out.push(Family {
            name: "target".into(),
            help: "Target metadata".into(),
            kind: MetricType::Info,
            series: vec![(labels_of(rest.into_iter(), &job), Sample::Number(1.0))],
        });
    }
    for scope in rm.scope_metrics() {
        for m in scope.metrics() {
            let family = match m.data() {
                AggregatedMetrics::F64(d) => family_of(m.name(), m.unit(), m.description(), d, &job),
                AggregatedMetrics::U64(d) => family_of(m.name(), m.unit(), m.description(), d, &job),
                AggregatedMetrics::I64(d) => family_of(m.name(), m.unit(), m.description(), d, &job),
            };
            let Some(mut family) = family else { continue };
            family.series.retain(|(labels, _)| cap.admits(&family.name, labels, dropped));
            if !family.series.is_empty() {
                out.push(family);
            }
        }
    }
    out
}

/// One scrape's families, handed to the registry as a collector.
#[derive(Debug)]
struct Scrape(Vec<Family>);

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in &self.0 {
            // HELP is not escaped by the encoder: keep it one line.
            let help = f.help.replace(['\n', '\r'], " ");
            let mut metric = encoder.encode_descriptor(&f.name, &help, None, f.kind)?;
            for (labels, sample) in &f.series {
                // An info's labels go in directly: as a family with no extra labels the encoder
                // writes `{,` (prometheus-client 0.25).
                if matches!(f.kind, MetricType::Info) {
                    metric.encode_info(labels)?;
                    continue;
                }
                let mut s = metric.encode_family(labels)?;
                match (sample, &f.kind) {
                    (Sample::Number(v), MetricType::Counter) => s.encode_counter::<NoLabelSet, _, f64>(v, None)?,
                    (Sample::Number(v), _) => s.encode_gauge(v)?,
                    (Sample::Histogram(sum, count, buckets), _) => s.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?,
                }
            }
        }
        Ok(())
    }
}

fn encode(families: Vec<Family>) -> Result<String, String> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape(families)));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry).map_err(|_| "could not encode the scrape".to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry::KeyValue;
    use opentelemetry_sdk::metrics::SdkMeterProvider;

    fn provider(max_series: usize) -> (SdkMeterProvider, Exposition) {
        let (exposition, reader) = Exposition::new(max_series);
        let resource = Resource::builder_empty()
            .with_attributes([
                KeyValue::new("service.name", "openclaw"),
                KeyValue::new("service.instance.id", "i-1"),
                KeyValue::new("host.arch", "x64"),
            ])
            .build();
        (SdkMeterProvider::builder().with_resource(resource).with_reader(reader).build(), exposition)
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn a_scrape_names_series_as_the_otlp_receiver_would() {
        let (p, e) = provider(100);
        let m = p.meter("openclaw");
        let tokens = m.f64_counter("openclaw.tokens").with_unit("1").with_description("Token usage by type").build();
        tokens.add(120.0, &[KeyValue::new("openclaw.token", "input"), KeyValue::new("openclaw.model", "gpt-5.4")]);
        tokens.add(30.0, &[KeyValue::new("openclaw.token", "input"), KeyValue::new("openclaw.model", "gpt-5.4")]);
        let run = m.f64_histogram("openclaw.run.duration_ms").with_unit("ms").with_boundaries(vec![10.0, 100.0]).build();
        run.record(5.0, &[]);
        run.record(50.0, &[]);
        run.record(500.0, &[]);
        let text = e.render().unwrap();
        let l = lines(&text);
        assert!(l.contains(&"# TYPE openclaw_tokens counter"), "{text}");
        assert!(
            l.contains(&r#"openclaw_tokens_total{instance="i-1",job="openclaw",openclaw_model="gpt-5.4",openclaw_token="input"} 150.0"#),
            "{text}"
        );
        assert!(l.contains(&"# TYPE openclaw_run_duration_ms_milliseconds histogram"), "{text}");
        assert!(l.contains(&r#"openclaw_run_duration_ms_milliseconds_bucket{le="10.0",instance="i-1",job="openclaw"} 1"#), "{text}");
        assert!(l.contains(&r#"openclaw_run_duration_ms_milliseconds_bucket{le="100.0",instance="i-1",job="openclaw"} 2"#), "{text}");
        assert!(l.contains(&r#"openclaw_run_duration_ms_milliseconds_bucket{le="+Inf",instance="i-1",job="openclaw"} 3"#), "{text}");
        assert!(l.contains(&r#"openclaw_run_duration_ms_milliseconds_sum{instance="i-1",job="openclaw"} 555.0"#), "{text}");
        assert!(l.contains(&r#"openclaw_run_duration_ms_milliseconds_count{instance="i-1",job="openclaw"} 3"#), "{text}");
        assert!(l.contains(&r#"target_info{host_arch="x64",instance="i-1",job="openclaw"} 1"#), "{text}");
        assert_eq!(l.last(), Some(&"# EOF"));
        // Cumulative across scrapes.
        tokens.add(1.0, &[KeyValue::new("openclaw.token", "input"), KeyValue::new("openclaw.model", "gpt-5.4")]);
        assert!(e.render().unwrap().contains(r#"openclaw_token="input"} 151.0"#));
    }

    #[test]
    fn label_values_are_escaped_and_colliding_keys_joined() {
        let (p, e) = provider(100);
        let c = p.meter("openclaw").f64_counter("x").build();
        c.add(1.0, &[KeyValue::new("a.b", "one"), KeyValue::new("a_b", "two"), KeyValue::new("q", "say \"hi\"\n\\")]);
        let text = e.render().unwrap();
        assert!(text.contains(r#"x_total{a_b="one;two",instance="i-1",job="openclaw",q="say \"hi\"\n\\"} 1.0"#), "{text}");
    }

    #[test]
    fn the_series_cap_keeps_the_first_series_and_counts_new_ones_once() {
        let (p, e) = provider(2);
        let c = p.meter("openclaw").f64_counter("openclaw.tokens").build();
        for model in ["a", "b", "c", "d"] {
            c.add(1.0, &[KeyValue::new("openclaw.model", model)]);
        }
        let first = e.render().unwrap();
        assert_eq!(first.matches("openclaw_tokens_total{").count(), 2, "{first}");
        assert_eq!(e.dropped.load(Relaxed), 2);
        // The same series stay; refused ones are not counted again.
        let again = e.render().unwrap();
        let kept = |t: &str| t.lines().filter(|l| l.starts_with("openclaw_tokens_total{")).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(kept(&first), kept(&again));
        assert_eq!(e.dropped.load(Relaxed), 2);
        // target_info is never capped.
        assert!(again.contains("target_info{"));
    }

    #[test]
    fn after_shutdown_a_scrape_is_an_error_not_a_panic() {
        let (p, e) = provider(10);
        p.shutdown().unwrap();
        assert!(e.render().is_err());
        assert!(e.render().is_err());
    }
}
