//! Events to measurements, driven by the rule table in `catalog.rs`. One `Recorder` per
//! exporter generation.

use crate::catalog::metrics::{exported_name, Attr, Kind, Norm, Rule, Source, Value, CATALOG, COLLAPSIBLE, OVERFLOW, RULES, SERIES_CAP};
use crate::catalog::{gen_ai_operation, holds};
use crate::event::{parse, Event, Malformed, Trust};
use crate::policy::{lane, low_cardinality, model_id, UNKNOWN};
use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};

enum Instrument {
    Counter(Counter<f64>),
    Histogram(Histogram<f64>),
    /// Built by the pipeline with its callback; nothing records into it here.
    Observed,
}

pub struct Recorder {
    meter: Meter,
    prefix: String,
    /// Built at first use: the SDK sizes each instrument for 2,000 series (~135 KB, ~9 MB for the
    /// catalog per generation) and most see no event. An unused one exported nothing anyway; a
    /// cumulative series now starts at its instrument's first measurement.
    instruments: Vec<OnceLock<Instrument>>,
    /// Per event type: its rules with the index of their instrument.
    rules: HashMap<&'static str, Vec<(&'static Rule, usize)>>,
    /// Per instrument: hashes of the attribute sets it has recorded (see `SERIES_CAP`).
    series: Vec<Mutex<HashSet<u64, BuildHasherDefault<rustc_hash::FxHasher>>>>,
    /// Values outside their instrument's `bound`, skipped; the pipeline shares it with status().
    pub implausible: Arc<AtomicU64>,
}

/// A hash of one attribute set, order-sensitive (rules always build a set in one order). Fx, not
/// SipHash, and no allocation: this runs for every measurement on the recording thread.
fn set_hash(attrs: &[KeyValue]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for kv in attrs {
        kv.key.as_str().hash(&mut h);
        match &kv.value {
            opentelemetry::Value::String(s) => s.as_str().hash(&mut h),
            opentelemetry::Value::I64(i) => i.hash(&mut h),
            opentelemetry::Value::Bool(b) => b.hash(&mut h),
            opentelemetry::Value::F64(f) => f.to_bits().hash(&mut h),
            other => other.as_str().hash(&mut h),
        }
    }
    h.finish()
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Recorded,
    /// A type this version does not export, or one not trusted enough to count.
    Ignored,
    Malformed(String),
}

fn attribute(ev: &Event, a: &Attr) -> Result<Option<KeyValue>, Malformed> {
    let raw = match a.source {
        Source::Const(v) => return Ok(Some(KeyValue::new(a.key, v))),
        // Absent numbers are omitted, as OpenTelemetry drops undefined attribute values.
        Source::Integer(f) => return Ok(ev.num(f)?.map(|n| KeyValue::new(a.key, n as i64))),
        Source::GenAiOperation => return Ok(Some(KeyValue::new(a.key, gen_ai_operation(ev)?))),
        Source::BoolText(f) => {
            let v = ev.flag(f)?.map_or(UNKNOWN, |b| if b { "true" } else { "false" });
            return Ok(Some(KeyValue::new(a.key, v)));
        }
        Source::BoolChoice(f, yes, no) => {
            let v = if ev.flag(f)?.unwrap_or(false) { yes } else { no };
            return Ok(Some(KeyValue::new(a.key, v)));
        }
        Source::Field(f) => ev.text(f)?,
        Source::EitherField(first, second) => match ev.text(first)? {
            Some(v) if !v.is_empty() => Some(v),
            _ => ev.text(second)?,
        },
        Source::Joined(f) => ev.strings(f)?.map(|v| v.join(":")),
    };
    // The official plugin adds optional keys only for truthy values.
    if a.optional && raw.as_deref().is_none_or(str::is_empty) {
        return Ok(None);
    }
    let value = match a.norm {
        Norm::Low(fallback) => low_cardinality(raw.as_deref(), fallback),
        Norm::Model => model_id(raw.as_deref()),
        Norm::Lane => lane(raw.as_deref()),
    };
    // Shared, so the per-event memo and each measurement clone it without copying.
    Ok(Some(KeyValue::new(a.key, opentelemetry::StringValue::from(std::sync::Arc::<str>::from(value)))))
}

/// Attribute values already computed for this event: rules of one event share attribute
/// groups (model.usage has ten rules over the same four usage attributes).
type Memo = Vec<(*const Attr, Option<KeyValue>)>;

fn memoized(ev: &Event, a: &Attr, memo: &mut Memo) -> Result<Option<KeyValue>, Malformed> {
    let id = a as *const Attr;
    if let Some((_, kv)) = memo.iter().find(|(p, _)| *p == id) {
        return Ok(kv.clone());
    }
    let kv = attribute(ev, a)?;
    memo.push((id, kv.clone()));
    Ok(kv)
}

fn measurement(ev: &Event, r: &Rule, memo: &mut Memo) -> Result<Option<(f64, Vec<KeyValue>)>, Malformed> {
    for f in r.required {
        if ev.get(f).is_none() {
            return Err(Malformed(format!("`{}` without `{f}`", r.event)));
        }
    }
    if !holds(ev, r.when)? {
        return Ok(None);
    }
    let value = match r.value {
        Value::One => Some(1.0),
        Value::Field(p) => ev.num(p)?,
        Value::NonZero(p) => ev.num(p)?.filter(|x| *x != 0.0),
        Value::MsAsSeconds(p) => ev.num(p)?.map(|ms| ms / 1000.0),
    };
    let Some(value) = value else { return Ok(None) };
    let mut attrs = Vec::with_capacity(8);
    for a in r.attrs.iter().flat_map(|g| g.iter()) {
        if let Some(kv) = memoized(ev, a, memo)? {
            attrs.push(kv);
        }
    }
    Ok(Some((value, attrs)))
}

impl Recorder {
    pub fn new(meter: &Meter, prefix: &str) -> Self {
        let mut rules: HashMap<&'static str, Vec<(&'static Rule, usize)>> = HashMap::new();
        for r in RULES {
            if let Some(i) = CATALOG.iter().position(|s| s.name == r.metric) {
                rules.entry(r.event).or_default().push((r, i));
            }
        }
        let series = CATALOG.iter().map(|_| Mutex::new(HashSet::default())).collect();
        let instruments = CATALOG.iter().map(|_| OnceLock::new()).collect();
        Recorder { meter: meter.clone(), prefix: prefix.to_string(), instruments, rules, series, implausible: Arc::default() }
    }

    fn instrument(&self, i: usize) -> Option<&Instrument> {
        let (spec, cell) = (CATALOG.get(i)?, self.instruments.get(i)?);
        Some(cell.get_or_init(|| {
            let name = exported_name(spec.name, &self.prefix);
            match spec.kind {
                Kind::Counter => {
                    Instrument::Counter(self.meter.f64_counter(name).with_unit(spec.unit).with_description(spec.description).build())
                }
                Kind::Histogram => Instrument::Histogram(
                    self.meter
                        .f64_histogram(name)
                        .with_unit(spec.unit)
                        .with_description(spec.description)
                        .with_boundaries(spec.buckets.to_vec())
                        .build(),
                ),
                Kind::ObservedCounter => Instrument::Observed,
            }
        }))
    }

    /// The attribute set to record: as given while the instrument has room, else (for a set
    /// it has not seen) with its identity-like values collapsed to `overflow`, so that the
    /// enum-like ones keep their meaning and every value is still counted.
    fn bounded(&self, instrument: usize, attrs: Vec<KeyValue>) -> Vec<KeyValue> {
        let Some(Ok(mut seen)) = self.series.get(instrument).map(|m| m.lock()) else { return attrs };
        let hash = set_hash(&attrs);
        if seen.contains(&hash) {
            return attrs;
        }
        if seen.len() < SERIES_CAP {
            seen.insert(hash);
            return attrs;
        }
        let collapsed: Vec<KeyValue> =
            attrs.into_iter().map(|kv| if COLLAPSIBLE.contains(&kv.key.as_str()) { KeyValue::new(kv.key, OVERFLOW) } else { kv }).collect();
        // Collapsed sets are few (enum values only); the SDK's limit still backs this up.
        seen.insert(set_hash(&collapsed));
        collapsed
    }

    /// The counter behind a catalog name, for measurements the plugin takes about itself.
    pub fn counter(&self, name: &str) -> Option<Counter<f64>> {
        let i = CATALOG.iter().position(|s| s.name == name)?;
        match self.instrument(i) {
            Some(Instrument::Counter(c)) => Some(c.clone()),
            _ => None,
        }
    }

    /// Decode one event and record all of its measurements, or none if any part is malformed.
    pub fn record_json(&self, json: &str, trust: Trust) -> Outcome {
        match parse(json) {
            Ok(ev) => self.record(&ev, trust),
            Err(Malformed(why)) => Outcome::Malformed(why),
        }
    }

    /// Record all of one event's measurements, or none if any part is malformed.
    pub fn record(&self, ev: &Event, trust: Trust) -> Outcome {
        match self.take(ev, trust) {
            Ok(Some(taken)) => {
                self.apply(taken);
                Outcome::Recorded
            }
            Ok(None) => Outcome::Ignored,
            Err(Malformed(why)) => Outcome::Malformed(why),
        }
    }

    /// One event's measurements, read but not yet recorded, so that the worker can let the
    /// other signals read the event first: a malformed event must leave no measurement behind.
    /// None for a type this version does not export, or one not trusted enough to count.
    pub fn take(&self, ev: &Event, trust: Trust) -> Result<Option<Taken>, Malformed> {
        let Some(rules) = self.rules.get(ev.kind()) else { return Ok(None) };
        let mut taken = Vec::with_capacity(rules.len());
        let mut memo = Memo::new();
        for (r, i) in rules {
            if r.gate.admits(trust) {
                if let Some((value, attrs)) = measurement(ev, r, &mut memo)? {
                    taken.push((*i, value, attrs));
                }
            }
        }
        if taken.is_empty() && rules.iter().all(|(r, _)| !r.gate.admits(trust)) {
            return Ok(None);
        }
        Ok(Some(Taken(taken)))
    }

    pub fn apply(&self, taken: Taken) {
        for (i, value, attrs) in taken.0 {
            if !CATALOG.get(i).is_some_and(|spec| (0.0..=spec.bound).contains(&value)) {
                // Only this value is lost: the event's other measurements still count.
                self.implausible.fetch_add(1, Relaxed);
                continue;
            }
            let attrs = self.bounded(i, attrs);
            match self.instrument(i) {
                Some(Instrument::Counter(c)) => c.add(value, &attrs),
                Some(Instrument::Histogram(h)) => h.record(value, &attrs),
                Some(Instrument::Observed) | None => {}
            }
        }
    }
}

/// One event's measurements (instrument, value, attributes), from `Recorder::take`.
#[derive(Debug)]
pub struct Taken(Vec<(usize, f64, Vec<KeyValue>)>);

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    fn run(events: &[&str], prefix: &str) -> Vec<ResourceMetrics> {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        let recorder = Recorder::new(&provider.meter("openclaw"), prefix);
        for j in events {
            assert_eq!(recorder.record_json(j, Trust::default()), Outcome::Recorded, "{j}");
        }
        provider.force_flush().expect("flush");
        exporter.get_finished_metrics().expect("metrics")
    }

    /// (value, attributes) of every point of a named f64 sum or histogram (count, sum).
    fn points(rms: &[ResourceMetrics], name: &str) -> Vec<(f64, Vec<(String, String)>)> {
        let mut out = Vec::new();
        for rm in rms {
            for sm in rm.scope_metrics() {
                for m in sm.metrics().filter(|m| m.name() == name) {
                    match m.data() {
                        AggregatedMetrics::F64(MetricData::Sum(s)) => {
                            for p in s.data_points() {
                                let a = p.attributes().map(|kv| (kv.key.to_string(), kv.value.to_string())).collect();
                                out.push((p.value(), a));
                            }
                        }
                        AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                            for p in h.data_points() {
                                let a = p.attributes().map(|kv| (kv.key.to_string(), kv.value.to_string())).collect();
                                out.push((p.sum(), a));
                            }
                        }
                        _ => panic!("{name}: unexpected data"),
                    }
                }
            }
        }
        out
    }

    fn attr<'a>(a: &'a [(String, String)], k: &str) -> Option<&'a str> {
        a.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }

    const USAGE: &str = r#"{"type":"model.usage","channel":"webchat","provider":"mock","model":"m1","sessionKey":"agent:main:main",
        "usage":{"input":10,"output":5,"cacheRead":0,"promptTokens":10,"total":15},"context":{"limit":128000,"used":10},"costUsd":0.5,"durationMs":1200}"#;

    #[test]
    fn past_the_series_cap_identity_values_collapse_and_totals_by_type_stay_exact() {
        let events: Vec<String> = (0..2_500).map(|i| USAGE.replace("\"model\":\"m1\"", &format!("\"model\":\"m{i}\""))).collect();
        let refs: Vec<&str> = events.iter().map(String::as_str).collect();
        let rms = run(&refs, "openclaw.");
        let tokens = points(&rms, "openclaw.tokens");
        let total = |t: &str| tokens.iter().filter(|(_, a)| attr(a, "openclaw.token") == Some(t)).map(|p| p.0).sum::<f64>();
        assert_eq!(total("input"), 25_000.0, "every input token counted, by type");
        assert_eq!(total("output"), 12_500.0);
        assert_eq!(total("total"), 37_500.0);
        assert!(tokens.len() <= SERIES_CAP + 8, "{} series", tokens.len());
        assert!(tokens.iter().all(|(_, a)| attr(a, "otel.metric.overflow").is_none()), "the SDK's all-merging overflow never kicks in");
        let collapsed: Vec<_> = tokens.iter().filter(|(_, a)| attr(a, "openclaw.model") == Some(OVERFLOW)).collect();
        let types: HashSet<&str> = collapsed.iter().filter_map(|(_, a)| attr(a, "openclaw.token")).collect();
        assert_eq!(types, HashSet::from(["input", "output", "prompt", "total"]), "token types survive the collapse");
        assert!(collapsed.iter().all(|(_, a)| attr(a, "openclaw.channel") == Some(OVERFLOW)));
    }

    #[test]
    fn model_usage_records_tokens_by_type_cost_duration_context() {
        let rms = run(&[USAGE, USAGE], "openclaw.");
        let tokens = points(&rms, "openclaw.tokens");
        let by_type = |t: &str| tokens.iter().find(|(_, a)| attr(a, "openclaw.token") == Some(t)).map(|p| p.0);
        assert_eq!(by_type("input"), Some(20.0));
        assert_eq!(by_type("output"), Some(10.0));
        assert_eq!(by_type("prompt"), Some(20.0));
        assert_eq!(by_type("total"), Some(30.0));
        assert_eq!(by_type("cache_read"), None, "zero values are not recorded");
        let (_, a) = &tokens[0];
        assert_eq!(attr(a, "openclaw.channel"), Some("webchat"));
        assert_eq!(attr(a, "openclaw.agent"), Some("unknown"));
        assert_eq!(attr(a, "openclaw.provider"), Some("mock"));
        assert!(a.iter().all(|(k, v)| !k.contains("session") && !v.contains("agent:main")));
        assert_eq!(points(&rms, "openclaw.cost.usd")[0].0, 1.0);
        assert_eq!(points(&rms, "openclaw.run.duration_ms")[0].0, 2400.0);
        let ctx = points(&rms, "openclaw.context.tokens");
        assert_eq!(ctx.len(), 2);
    }

    #[test]
    fn instruments_are_built_at_first_use() {
        let provider = SdkMeterProvider::builder().build();
        let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
        let built = |r: &Recorder| r.instruments.iter().filter(|c| c.get().is_some()).count();
        assert_eq!(built(&recorder), 0);
        recorder.record_json(r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":1}"#, Trust::default());
        let after_one = built(&recorder);
        assert!(after_one > 0 && after_one < 4, "{after_one} instruments for one event type");
    }

    #[test]
    fn malformed_events_record_nothing() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
        for j in [
            "not json",
            r#"{"seq":1}"#,
            r#"{"type":"queue.lane.enqueue","queueSize":1}"#,
            r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":"3"}"#,
            r#"{"type":"model.usage","channel":{"nested":1},"usage":{"input":5}}"#,
            r#"{"type":"session.stuck","state":"processing","ageMs":"long"}"#,
            r#"{"type":"model.usage","usage":"lots"}"#,
            r#"[1,2]"#,
        ] {
            assert!(matches!(recorder.record_json(j, Trust::default()), Outcome::Malformed(_)), "{j}");
        }
        assert_eq!(recorder.record_json(r#"{"type":"run.started","runId":"r"}"#, Trust::default()), Outcome::Ignored);
        provider.force_flush().unwrap();
        let rms = exporter.get_finished_metrics().unwrap();
        assert!(points(&rms, "openclaw.tokens").is_empty(), "a malformed event records nothing, not even its valid parts");
        assert!(points(&rms, "openclaw.queue.lane.enqueue").is_empty());
    }

    #[test]
    fn an_implausible_value_is_skipped_alone_and_counted() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
        for j in [
            r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":-1}"#,
            r#"{"type":"model.usage","channel":"c","usage":{"input":5,"output":1e15},"costUsd":20000}"#,
            r#"{"type":"diagnostic.liveness.warning","reasons":["event_loop_delay"],"eventLoopUtilization":1.5,"eventLoopDelayMaxMs":40}"#,
        ] {
            assert_eq!(recorder.record_json(j, Trust::default()), Outcome::Recorded, "{j}");
        }
        provider.force_flush().unwrap();
        let rms = exporter.get_finished_metrics().unwrap();
        let by_type: Vec<(f64, String)> =
            points(&rms, "openclaw.tokens").into_iter().map(|(v, a)| (v, attr(&a, "openclaw.token").unwrap_or("").to_string())).collect();
        assert_eq!(by_type, vec![(5.0, "input".to_string())], "the output count (1e15) is skipped, the input kept");
        assert!(points(&rms, "openclaw.cost.usd").is_empty(), "USD 20,000 for one call is past the bound");
        assert!(points(&rms, "openclaw.queue.depth").is_empty(), "a negative depth is skipped");
        assert_eq!(points(&rms, "openclaw.queue.lane.enqueue").len(), 1, "the enqueue itself still counts");
        assert!(points(&rms, "openclaw.liveness.event_loop_utilization").is_empty(), "utilization is at most 1");
        assert_eq!(points(&rms, "openclaw.liveness.event_loop_delay_max_ms").len(), 1);
        // depth, output in openclaw.tokens and in gen_ai.client.token.usage, cost, utilization.
        assert_eq!(recorder.implausible.load(Relaxed), 5);
    }

    #[test]
    fn lanes_states_and_prefix() {
        let rms = run(
            &[
                r#"{"type":"queue.lane.enqueue","lane":"session:agent:main:main","queueSize":2}"#,
                r#"{"type":"queue.lane.dequeue","lane":"session:agent:main:main","queueSize":1,"waitMs":40}"#,
                r#"{"type":"session.state","state":"processing","reason":"message"}"#,
                r#"{"type":"run.attempt","attempt":2}"#,
                r#"{"type":"diagnostic.heartbeat","queued":3}"#,
            ],
            "acme.",
        );
        let enq = points(&rms, "acme.queue.lane.enqueue");
        assert_eq!(enq, vec![(1.0, vec![("openclaw.lane".into(), "session".into())])]);
        assert_eq!(points(&rms, "acme.queue.wait_ms")[0].0, 40.0);
        let st = points(&rms, "acme.session.state");
        assert_eq!(attr(&st[0].1, "openclaw.reason"), Some("message"));
        assert_eq!(points(&rms, "acme.run.attempt")[0].1, vec![("openclaw.attempt".to_string(), "2".to_string())]);
        assert!(points(&rms, "openclaw.queue.depth").is_empty());
        assert_eq!(points(&rms, "acme.queue.depth").len(), 2, "lane session + heartbeat");
    }

    /// Dev measurement, not a check: `cargo test --release --lib recorder_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn recorder_throughput() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter).build()).build();
        let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
        for e in [
            USAGE,
            r#"{"type":"queue.lane.enqueue","seq":2,"ts":1,"lane":"session:agent:main:main","queueSize":1}"#,
            r#"{"type":"session.state","seq":3,"ts":1,"sessionKey":"agent:main:main","prevState":"idle","state":"processing","reason":"message"}"#,
            r#"{"type":"message.processed","seq":4,"ts":1,"channel":"webchat","outcome":"completed","durationMs":900}"#,
        ] {
            let n = 100_000;
            let t = std::time::Instant::now();
            for _ in 0..n {
                recorder.record_json(e, Trust::default());
            }
            println!("{:>8.0} ns/event  {}", t.elapsed().as_nanos() as f64 / n as f64, &e[..40.min(e.len())]);
        }
    }
}
