//! Events to measurements, driven by the rule table in `catalog.rs`. One `Recorder` per
//! exporter generation.
//!
//! Per measurement the recording thread hashes the attribute values it read and records through
//! a handle bound to that set: the set is built, capped and resolved by the SDK only the first
//! time an instrument sees it, not on every `add`.

use crate::catalog::metrics::{exported_name, Attr, Kind, Norm, Rule, Source, Value, CATALOG, COLLAPSIBLE, OVERFLOW, RULES, SERIES_CAP};
use crate::catalog::{agent, gen_ai_operation, holds};
use crate::event::{parse, Event, Malformed, Trust};
use crate::policy::{lane_kept, low_cardinality_kept, model_id_kept, UNKNOWN};
use opentelemetry::metrics::{BoundCounter, BoundHistogram, Counter, Histogram, Meter};
use opentelemetry::{KeyValue, StringValue};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

enum Instrument {
    Counter(Counter<f64>),
    Histogram(Histogram<f64>),
    /// Built by the pipeline with its callback; nothing records into it here.
    Observed,
}

impl Instrument {
    fn record(&self, value: f64, attrs: &[KeyValue]) {
        match self {
            Instrument::Counter(c) => c.add(value, attrs),
            Instrument::Histogram(h) => h.record(value, attrs),
            Instrument::Observed => {}
        }
    }

    fn bind(&self, attrs: &[KeyValue]) -> Option<Bound> {
        match self {
            Instrument::Counter(c) => Some(Bound::Counter(c.bind(attrs))),
            Instrument::Histogram(h) => Some(Bound::Histogram(h.bind(attrs))),
            Instrument::Observed => None,
        }
    }
}

/// An instrument with its attribute set resolved: a measurement is one atomic update.
enum Bound {
    Counter(BoundCounter<f64>),
    Histogram(BoundHistogram<f64>),
}

impl Bound {
    fn record(&self, value: f64) {
        match self {
            Bound::Counter(c) => c.add(value),
            Bound::Histogram(h) => h.record(value),
        }
    }
}

/// Attribute sets one instrument keeps a bound handle for: the series cap plus room for collapsed
/// sets. A set past it is still recorded right, through the SDK's lookup.
const BOUND_SETS: usize = SERIES_CAP + 64;

/// One instrument's attribute sets.
#[derive(Default)]
struct Series {
    /// Hashes of the sets it has recorded (see `SERIES_CAP`).
    seen: FxHashSet<u64>,
    /// By the hash of a set as read: that set (a hash collision must not merge two sets) and the
    /// handle bound to what it records as (itself, or collapsed past the cap).
    bound: FxHashMap<u64, (Vec<KeyValue>, Bound)>,
}

pub struct Recorder {
    meter: Meter,
    prefix: String,
    /// Built at first use: the SDK sizes each instrument for 2,000 series (~135 KB, ~9 MB for the
    /// catalog per generation) and most see no event. An unused one exported nothing anyway; a
    /// cumulative series now starts at its instrument's first measurement.
    instruments: Vec<OnceLock<Instrument>>,
    /// Per event type: its rules with the index of their instrument.
    rules: FxHashMap<&'static str, Vec<(&'static Rule, usize)>>,
    /// Per instrument; one lock for all, taken once per event.
    series: Mutex<Vec<Series>>,
    /// The last event's buffers, emptied, so that an event allocates only the text it reads.
    spare: Mutex<Option<Taken>>,
    /// Values outside their instrument's `bound`, skipped; the pipeline shares it with status().
    pub implausible: Arc<AtomicU64>,
}

/// One attribute's hash, by key and value; text by content, whatever holds it. Fx, not SipHash:
/// this runs for every attribute of every measurement on the recording thread.
fn text_hash(key: &str, value: &str) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

fn int_hash(key: &str, value: i64) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

fn kv_hash(kv: &KeyValue) -> u64 {
    match &kv.value {
        opentelemetry::Value::String(s) => text_hash(kv.key.as_str(), s.as_str()),
        opentelemetry::Value::I64(i) => int_hash(kv.key.as_str(), *i),
        other => text_hash(kv.key.as_str(), &other.as_str()),
    }
}

/// A set's hash from its attributes' hashes, order-sensitive (rules always build a set in one order).
fn set_hash(attrs: impl Iterator<Item = u64>) -> u64 {
    let mut h = FxHasher::default();
    for a in attrs {
        h.write_u64(a);
    }
    h.finish()
}

/// An attribute value as read from one event; it becomes a `KeyValue` only in a set its
/// instrument has not seen.
#[derive(Debug)]
enum Val {
    Static(&'static str),
    Text(String),
    Int(i64),
}

impl Val {
    fn hash(&self, key: &str) -> u64 {
        match self {
            Val::Static(s) => text_hash(key, s),
            Val::Text(s) => text_hash(key, s),
            Val::Int(i) => int_hash(key, *i),
        }
    }

    fn value(&self) -> opentelemetry::Value {
        match self {
            Val::Static(s) => opentelemetry::Value::from(*s),
            // Shared, so the SDK's two copies of a new set (as given and sorted) copy no text.
            Val::Text(s) => StringValue::from(Arc::<str>::from(s.as_str())).into(),
            Val::Int(i) => opentelemetry::Value::from(*i),
        }
    }

    fn is(&self, v: &opentelemetry::Value) -> bool {
        match (self, v) {
            (Val::Static(s), opentelemetry::Value::String(v)) => v.as_str() == *s,
            (Val::Text(s), opentelemetry::Value::String(v)) => v.as_str() == s,
            (Val::Int(i), opentelemetry::Value::I64(v)) => i == v,
            _ => false,
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Recorded,
    /// A type this version does not export, or one not trusted enough to count.
    Ignored,
    Malformed(String),
}

fn attribute(ev: &Event, a: &Attr) -> Result<Option<Val>, Malformed> {
    let raw = match a.source {
        Source::Const(v) => return Ok(Some(Val::Static(v))),
        // Absent numbers are omitted, as OpenTelemetry drops undefined attribute values.
        Source::Integer(f) => return Ok(ev.num(f)?.map(|n| Val::Int(n as i64))),
        Source::GenAiOperation => return Ok(Some(Val::Static(gen_ai_operation(ev)?))),
        Source::Agent => return Ok(Some(agent(ev)?.map_or(Val::Static(UNKNOWN), Val::Text))),
        Source::BoolText(f) => {
            return Ok(Some(Val::Static(ev.flag(f)?.map_or(UNKNOWN, |b| if b { "true" } else { "false" }))));
        }
        Source::BoolChoice(f, yes, no) => return Ok(Some(Val::Static(if ev.flag(f)?.unwrap_or(false) { yes } else { no }))),
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
    let (kept, fallback) = match a.norm {
        Norm::Low(fallback) => (raw.as_deref().and_then(low_cardinality_kept), fallback),
        Norm::Model => (raw.as_deref().and_then(model_id_kept), UNKNOWN),
        Norm::Lane => (raw.as_deref().and_then(lane_kept), UNKNOWN),
    };
    // A value kept whole (the usual case) is the event's string itself, not a copy.
    let whole = raw.as_ref().map_or(0, String::len);
    let part = kept.map(|k| (k.len() != whole).then(|| k.to_string()));
    Ok(Some(match part {
        None => Val::Static(fallback),
        Some(Some(part)) => Val::Text(part),
        Some(None) => Val::Text(raw.unwrap_or_default()),
    }))
}

/// An attribute read for this event: rules of one event share attribute groups (model.usage has
/// ten rules over the same four usage attributes), and groups share fields under other keys.
struct Read {
    attr: &'static Attr,
    /// Index into `Taken::values`; None for an omitted optional attribute.
    val: Option<usize>,
    hash: u64,
}

fn same_source(a: &Attr, b: &Attr) -> bool {
    a.source == b.source && a.norm == b.norm && a.optional == b.optional
}

/// One measurement: the instrument, the value, and its attribute set (a range of `Taken::attrs`).
struct Measure {
    instrument: usize,
    value: f64,
    hash: u64,
    attrs: Range<usize>,
}

/// One event's measurements, from `Recorder::take`: nothing is built per measurement until its
/// set turns out to be new. Its buffers go back to the recorder for the next event.
#[derive(Default)]
pub struct Taken {
    values: Vec<Val>,
    /// Key and index into `values`, each measurement's set back to back.
    attrs: Vec<(&'static str, usize)>,
    measures: Vec<Measure>,
    /// Scratch for `take`: the attributes and numbers read so far.
    reads: Vec<Read>,
    numbers: Vec<(&'static str, Option<f64>)>,
}

/// Each measurement as (instrument, value, attributes): what the equivalence tests compare.
impl std::fmt::Debug for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.measures.iter().map(|m| (m.instrument, m.value, self.key_values(m)))).finish()
    }
}

impl Taken {
    fn clear(&mut self) {
        self.values.clear();
        self.attrs.clear();
        self.measures.clear();
        self.reads.clear();
        self.numbers.clear();
    }

    /// Whether `set` is this measurement's attribute set.
    fn is(&self, m: &Measure, set: &[KeyValue]) -> bool {
        let attrs = self.attrs.get(m.attrs.clone()).unwrap_or_default();
        attrs.len() == set.len()
            && attrs.iter().zip(set).all(|((k, v), kv)| kv.key.as_str() == *k && self.values.get(*v).is_some_and(|v| v.is(&kv.value)))
    }

    fn key_values(&self, m: &Measure) -> Vec<KeyValue> {
        let attrs = self.attrs.get(m.attrs.clone()).unwrap_or_default();
        attrs.iter().filter_map(|(k, v)| Some(KeyValue::new(*k, self.values.get(*v)?.value()))).collect()
    }
}

/// The numeric value a rule reads; rules of one event often read the same field.
fn number(ev: &Event, field: &'static str, read: &mut Vec<(&'static str, Option<f64>)>) -> Result<Option<f64>, Malformed> {
    if let Some((_, v)) = read.iter().find(|(f, _)| *f == field) {
        return Ok(*v);
    }
    let v = ev.num(field)?;
    read.push((field, v));
    Ok(v)
}

impl Recorder {
    pub fn new(meter: &Meter, prefix: &str) -> Self {
        let mut rules: FxHashMap<&'static str, Vec<(&'static Rule, usize)>> = FxHashMap::default();
        for r in RULES {
            if let Some(i) = CATALOG.iter().position(|s| s.name == r.metric) {
                rules.entry(r.event).or_default().push((r, i));
            }
        }
        let series = Mutex::new(CATALOG.iter().map(|_| Series::default()).collect());
        let instruments = CATALOG.iter().map(|_| OnceLock::new()).collect();
        Recorder {
            meter: meter.clone(),
            prefix: prefix.to_string(),
            instruments,
            rules,
            series,
            spare: Mutex::default(),
            implausible: Arc::default(),
        }
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
        let mut taken = self.spare.lock().ok().and_then(|mut s| s.take()).unwrap_or_default();
        match self.fill(&mut taken, ev, trust, rules) {
            Ok(true) => Ok(Some(taken)),
            other => {
                self.give_back(taken);
                other.map(|_| None)
            }
        }
    }

    fn give_back(&self, mut taken: Taken) {
        taken.clear();
        if let Ok(mut spare) = self.spare.lock() {
            *spare = Some(taken);
        }
    }

    /// Reads `rules` into `taken`; false when no rule admits an event of this trust.
    fn fill(&self, taken: &mut Taken, ev: &Event, trust: Trust, rules: &[(&'static Rule, usize)]) -> Result<bool, Malformed> {
        for (r, i) in rules {
            if !r.gate.admits(trust) {
                continue;
            }
            for f in r.required {
                if ev.get(f).is_none() {
                    return Err(Malformed(format!("`{}` without `{f}`", r.event)));
                }
            }
            if !holds(ev, r.when)? {
                continue;
            }
            let value = match r.value {
                Value::One => Some(1.0),
                Value::Field(p) => number(ev, p, &mut taken.numbers)?,
                Value::NonZero(p) => number(ev, p, &mut taken.numbers)?.filter(|x| *x != 0.0),
                Value::MsAsSeconds(p) => number(ev, p, &mut taken.numbers)?.map(|ms| ms / 1000.0),
            };
            let Some(value) = value else { continue };
            let start = taken.attrs.len();
            let mut h = FxHasher::default();
            for a in r.attrs.iter().flat_map(|g| g.iter()) {
                let j = match taken.reads.iter().position(|x| std::ptr::eq(x.attr, a)) {
                    Some(j) => j,
                    None => {
                        let val = match taken.reads.iter().find(|x| same_source(x.attr, a)) {
                            Some(x) => x.val,
                            None => attribute(ev, a)?.map(|v| {
                                taken.values.push(v);
                                taken.values.len() - 1
                            }),
                        };
                        let hash = val.and_then(|v| taken.values.get(v)).map_or(0, |v| v.hash(a.key));
                        taken.reads.push(Read { attr: a, val, hash });
                        taken.reads.len() - 1
                    }
                };
                if let Some((val, hash)) = taken.reads.get(j).and_then(|x| Some((x.val?, x.hash))) {
                    taken.attrs.push((a.key, val));
                    h.write_u64(hash);
                }
            }
            taken.measures.push(Measure { instrument: *i, value, hash: h.finish(), attrs: start..taken.attrs.len() });
        }
        Ok(!taken.measures.is_empty() || rules.iter().any(|(r, _)| r.gate.admits(trust)))
    }

    pub fn apply(&self, taken: Taken) {
        // Nothing panics while it is held; a poisoned lock still holds consistent sets.
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        for m in &taken.measures {
            if !CATALOG.get(m.instrument).is_some_and(|spec| (0.0..=spec.bound).contains(&m.value)) {
                // Only this value is lost: the event's other measurements still count.
                self.implausible.fetch_add(1, Relaxed);
                continue;
            }
            let (Some(instrument), Some(s)) = (self.instrument(m.instrument), series.get_mut(m.instrument)) else { continue };
            match s.bound.get(&m.hash) {
                Some((set, bound)) if taken.is(m, set) => bound.record(m.value),
                _ => first_sight(s, instrument, &taken, m),
            }
        }
        drop(series);
        self.give_back(taken);
    }
}

/// A set this instrument has no handle for: recorded as given while the instrument has room,
/// else (for a set it has not seen) with its identity-like values collapsed to `overflow`, so
/// that the enum-like ones keep their meaning and every value is still counted. Bound for next
/// time while the instrument holds fewer than `BOUND_SETS`.
fn first_sight(s: &mut Series, instrument: &Instrument, taken: &Taken, m: &Measure) {
    let attrs = taken.key_values(m);
    let collapsed = if s.seen.contains(&m.hash) || s.seen.len() < SERIES_CAP {
        s.seen.insert(m.hash);
        None
    } else {
        let collapsed: Vec<KeyValue> = attrs
            .iter()
            .map(|kv| if COLLAPSIBLE.contains(&kv.key.as_str()) { KeyValue::new(kv.key.clone(), OVERFLOW) } else { kv.clone() })
            .collect();
        // Collapsed sets are few (enum values only); the SDK's limit still backs this up.
        s.seen.insert(set_hash(collapsed.iter().map(kv_hash)));
        Some(collapsed)
    };
    let recorded = collapsed.as_deref().unwrap_or(&attrs);
    if s.bound.len() < BOUND_SETS && !s.bound.contains_key(&m.hash) {
        if let Some(bound) = instrument.bind(recorded) {
            bound.record(m.value);
            s.bound.insert(m.hash, (attrs, bound));
            return;
        }
    }
    instrument.record(m.value, recorded);
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
    use std::collections::HashSet;

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

    /// Bound handles keep their series across collections: under delta temporality a set exports
    /// only what was recorded since the last export, and an idle set exports nothing.
    #[test]
    fn bound_sets_under_delta_temporality() {
        use opentelemetry_sdk::metrics::{InMemoryMetricExporterBuilder, Temporality};
        let exporter = InMemoryMetricExporterBuilder::new().with_temporality(Temporality::Delta).build();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
        let other = USAGE.replace("webchat", "telegram");
        for j in [USAGE, USAGE, &other] {
            assert_eq!(recorder.record_json(j, Trust::default()), Outcome::Recorded);
        }
        provider.force_flush().unwrap();
        exporter.reset();
        assert_eq!(recorder.record_json(USAGE, Trust::default()), Outcome::Recorded);
        provider.force_flush().unwrap();
        let rms = exporter.get_finished_metrics().unwrap();
        let input: Vec<_> =
            points(&rms, "openclaw.tokens").into_iter().filter(|(_, a)| attr(a, "openclaw.token") == Some("input")).collect();
        assert_eq!(input.len(), 1, "{input:?}");
        assert_eq!(input[0].0, 10.0);
        assert_eq!(attr(&input[0].1, "openclaw.channel"), Some("webchat"));
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
        // No agentId: the agent of the session key `agent:main:main`, never the key.
        assert_eq!(attr(a, "openclaw.agent"), Some("main"));
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
