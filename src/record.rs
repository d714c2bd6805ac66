//! Events to measurements, driven by the rule table in `catalog.rs`. One `Recorder` per
//! exporter generation.

use crate::attributes::{lane, low_cardinality, model_id};
use crate::catalog::{exported_name, Attr, Inst, Kind, Norm, Rule, Source, Value, CATALOG, RULES};
use crate::event::{parse, Event, Malformed};
use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;
use std::collections::HashMap;

enum Instrument {
    Counter(Counter<f64>),
    Histogram(Histogram<f64>),
}

pub struct Recorder {
    instruments: Vec<Instrument>,
    rules: HashMap<&'static str, Vec<&'static Rule>>,
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Recorded,
    /// A type this version does not export (newer hosts add types all the time).
    Ignored,
    Malformed(String),
}

fn attribute(ev: &Event, a: &Attr) -> Result<Option<KeyValue>, Malformed> {
    let field = match a.source {
        Source::Const(v) => return Ok(Some(KeyValue::new(a.key, v))),
        Source::Integer(f) => return Ok(ev.num(f)?.map(|n| KeyValue::new(a.key, n as i64))),
        Source::Field(f) => f,
    };
    let raw = ev.text(field)?;
    if raw.is_none() && a.optional {
        return Ok(None);
    }
    let value = match a.norm {
        Norm::Low(fallback) => low_cardinality(raw.as_deref(), fallback),
        Norm::Model => model_id(raw.as_deref()),
        Norm::Lane => lane(raw.as_deref()),
    };
    Ok(Some(KeyValue::new(a.key, value)))
}

fn measurement(ev: &Event, r: &Rule) -> Result<Option<(f64, Vec<KeyValue>)>, Malformed> {
    for f in r.required {
        if ev.get(f).is_none() {
            return Err(Malformed(format!("`{}` without `{f}`", r.event)));
        }
    }
    let value = match r.value {
        Value::One => Some(1.0),
        Value::Field(p) => ev.num(p)?,
        Value::NonZero(p) => ev.num(p)?.filter(|x| *x != 0.0),
    };
    let Some(value) = value else { return Ok(None) };
    let mut attrs = Vec::new();
    for a in r.attrs.iter().flat_map(|g| g.iter()) {
        if let Some(kv) = attribute(ev, a)? {
            attrs.push(kv);
        }
    }
    Ok(Some((value, attrs)))
}

impl Recorder {
    pub fn new(meter: &Meter, prefix: &str) -> Self {
        let instruments = CATALOG
            .iter()
            .map(|s| {
                let name = exported_name(s.name, prefix);
                match s.kind {
                    Kind::Counter => Instrument::Counter(
                        meter.f64_counter(name).with_unit(s.unit).with_description(s.description).build(),
                    ),
                    Kind::Histogram => Instrument::Histogram(
                        meter
                            .f64_histogram(name)
                            .with_unit(s.unit)
                            .with_description(s.description)
                            .with_boundaries(s.buckets.to_vec())
                            .build(),
                    ),
                }
            })
            .collect();
        let mut rules: HashMap<&'static str, Vec<&'static Rule>> = HashMap::new();
        for r in RULES {
            rules.entry(r.event).or_default().push(r);
        }
        Recorder { instruments, rules }
    }

    /// Decode one event and record all of its measurements, or none if any part is malformed.
    pub fn record_json(&self, json: &str) -> Outcome {
        let ev = match parse(json) {
            Ok(ev) => ev,
            Err(Malformed(why)) => return Outcome::Malformed(why),
        };
        let Some(rules) = self.rules.get(ev.kind()) else { return Outcome::Ignored };
        let mut taken = Vec::with_capacity(rules.len());
        for r in rules {
            match measurement(&ev, r) {
                Ok(Some((value, attrs))) => taken.push((r.inst, value, attrs)),
                Ok(None) => {}
                Err(Malformed(why)) => return Outcome::Malformed(why),
            }
        }
        for (inst, value, attrs) in taken {
            self.apply(inst, value, &attrs);
        }
        Outcome::Recorded
    }

    fn apply(&self, id: Inst, value: f64, attrs: &[KeyValue]) {
        match self.instruments.get(id as usize) {
            Some(Instrument::Counter(c)) => c.add(value, attrs),
            Some(Instrument::Histogram(h)) => h.record(value, attrs),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    fn run(events: &[&str], prefix: &str) -> Vec<ResourceMetrics> {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let recorder = Recorder::new(&provider.meter("openclaw"), prefix);
        for j in events {
            assert_eq!(recorder.record_json(j), Outcome::Recorded, "{j}");
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
    fn malformed_events_record_nothing() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        let recorder = Recorder::new(&provider.meter("openclaw"), "openclaw.");
        for j in [
            "not json",
            r#"{"seq":1}"#,
            r#"{"type":"queue.lane.enqueue","queueSize":1}"#,
            r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":"3"}"#,
            r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":-1}"#,
            r#"{"type":"model.usage","channel":"c","usage":{"input":5,"output":1e300}}"#,
            r#"{"type":"model.usage","channel":{"nested":1},"usage":{"input":5}}"#,
            r#"{"type":"session.stuck","state":"processing","ageMs":"long"}"#,
            r#"{"type":"model.usage","usage":"lots"}"#,
            r#"[1,2]"#,
        ] {
            assert!(matches!(recorder.record_json(j), Outcome::Malformed(_)), "{j}");
        }
        assert_eq!(recorder.record_json(r#"{"type":"run.started","runId":"r"}"#), Outcome::Ignored);
        provider.force_flush().unwrap();
        let rms = exporter.get_finished_metrics().unwrap();
        assert!(points(&rms, "openclaw.tokens").is_empty(), "a malformed event records nothing, not even its valid parts");
        assert!(points(&rms, "openclaw.queue.lane.enqueue").is_empty());
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
}
