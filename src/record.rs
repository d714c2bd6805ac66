//! Decoded events to measurements. One `Recorder` per exporter generation.

use crate::attributes::{lane, low_cardinality, model_id, UNKNOWN};
use crate::catalog::{exported_name, Inst, Kind, CATALOG};
use crate::event::{Event, ModelUsage, Webhook};
use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;

enum Instrument {
    Counter(Counter<f64>),
    Histogram(Histogram<f64>),
}

pub struct Recorder {
    instruments: Vec<Instrument>,
}

fn kv(key: &'static str, value: String) -> KeyValue {
    KeyValue::new(key, value)
}

fn with(attrs: &[KeyValue], extra: KeyValue) -> Vec<KeyValue> {
    let mut v = Vec::with_capacity(attrs.len() + 1);
    v.extend_from_slice(attrs);
    v.push(extra);
    v
}

/// The official plugin records only present, non-zero values.
fn nonzero(v: Option<f64>) -> Option<f64> {
    v.filter(|x| *x != 0.0)
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
        Recorder { instruments }
    }

    fn add(&self, id: Inst, value: f64, attrs: &[KeyValue]) {
        if let Some(Instrument::Counter(c)) = self.instruments.get(id as usize) {
            c.add(value, attrs);
        }
    }

    fn observe(&self, id: Inst, value: f64, attrs: &[KeyValue]) {
        if let Some(Instrument::Histogram(h)) = self.instruments.get(id as usize) {
            h.record(value, attrs);
        }
    }

    pub fn record(&self, event: &Event) {
        match event {
            Event::ModelUsage(e) => self.model_usage(e),
            Event::WebhookReceived(e) => self.add(Inst::WebhookReceived, 1.0, &webhook_attrs(e)),
            Event::WebhookProcessed(e) => {
                if let Some(d) = e.duration_ms {
                    self.observe(Inst::WebhookDuration, d, &webhook_attrs(e));
                }
            }
            Event::WebhookError(e) => self.add(Inst::WebhookError, 1.0, &webhook_attrs(e)),
            Event::MessageQueued(e) => {
                let attrs = [
                    kv("openclaw.channel", low_cardinality(e.channel.as_deref(), UNKNOWN)),
                    kv("openclaw.source", low_cardinality(e.source.as_deref(), UNKNOWN)),
                ];
                self.add(Inst::MessageQueued, 1.0, &attrs);
                if let Some(d) = e.queue_depth {
                    self.observe(Inst::QueueDepth, d, &attrs);
                }
            }
            Event::MessageProcessed(e) => {
                let attrs = [
                    kv("openclaw.channel", low_cardinality(e.channel.as_deref(), UNKNOWN)),
                    kv("openclaw.outcome", low_cardinality(e.outcome.as_deref(), UNKNOWN)),
                ];
                self.add(Inst::MessageProcessed, 1.0, &attrs);
                if let Some(d) = e.duration_ms {
                    self.observe(Inst::MessageDuration, d, &attrs);
                }
            }
            Event::LaneEnqueue(e) => {
                let attrs = [kv("openclaw.lane", lane(Some(&e.lane)))];
                self.add(Inst::LaneEnqueue, 1.0, &attrs);
                self.observe(Inst::QueueDepth, e.queue_size, &attrs);
            }
            Event::LaneDequeue(e) => {
                let attrs = [kv("openclaw.lane", lane(Some(&e.lane)))];
                self.add(Inst::LaneDequeue, 1.0, &attrs);
                self.observe(Inst::QueueDepth, e.queue_size, &attrs);
                if let Some(w) = e.wait_ms {
                    self.observe(Inst::QueueWait, w, &attrs);
                }
            }
            Event::SessionState(e) => {
                let mut attrs = vec![kv("openclaw.state", low_cardinality(Some(&e.state), UNKNOWN))];
                if let Some(r) = e.reason.as_deref().filter(|r| !r.is_empty()) {
                    attrs.push(kv("openclaw.reason", low_cardinality(Some(r), UNKNOWN)));
                }
                self.add(Inst::SessionState, 1.0, &attrs);
            }
            Event::SessionStuck(e) => {
                let attrs = [kv("openclaw.state", low_cardinality(Some(&e.state), UNKNOWN))];
                self.add(Inst::SessionStuck, 1.0, &attrs);
                if let Some(age) = e.age_ms {
                    self.observe(Inst::SessionStuckAge, age, &attrs);
                }
            }
            Event::RunAttempt(e) => {
                self.add(Inst::RunAttempt, 1.0, &[KeyValue::new("openclaw.attempt", e.attempt as i64)]);
            }
            Event::Heartbeat(e) => {
                self.observe(Inst::QueueDepth, e.queued, &[kv("openclaw.channel", "heartbeat".into())]);
            }
            Event::Unknown => {}
        }
    }

    fn model_usage(&self, e: &ModelUsage) {
        let attrs = [
            kv("openclaw.channel", low_cardinality(e.channel.as_deref(), UNKNOWN)),
            kv("openclaw.agent", low_cardinality(e.agent_id.as_deref(), UNKNOWN)),
            kv("openclaw.provider", model_id(e.provider.as_deref())),
            kv("openclaw.model", model_id(e.model.as_deref())),
        ];
        let u = &e.usage;
        for (value, token) in [
            (u.input, "input"),
            (u.output, "output"),
            (u.cache_read, "cache_read"),
            (u.cache_write, "cache_write"),
            (u.prompt_tokens, "prompt"),
            (u.total, "total"),
        ] {
            if let Some(v) = nonzero(value) {
                self.add(Inst::Tokens, v, &with(&attrs, kv("openclaw.token", token.into())));
            }
        }
        if let Some(c) = nonzero(e.cost_usd) {
            self.add(Inst::CostUsd, c, &attrs);
        }
        if let Some(d) = nonzero(e.duration_ms) {
            self.observe(Inst::RunDuration, d, &attrs);
        }
        if let Some(ctx) = &e.context {
            for (value, which) in [(ctx.limit, "limit"), (ctx.used, "used")] {
                if let Some(v) = nonzero(value) {
                    self.observe(Inst::ContextTokens, v, &with(&attrs, kv("openclaw.context", which.into())));
                }
            }
        }
    }
}

fn webhook_attrs(e: &Webhook) -> [KeyValue; 2] {
    [
        kv("openclaw.channel", low_cardinality(e.channel.as_deref(), UNKNOWN)),
        kv("openclaw.webhook", low_cardinality(e.update_type.as_deref(), UNKNOWN)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, Decoded};
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
            match decode(j) {
                Decoded::Event(e) => recorder.record(&e),
                other => panic!("{j}: {other:?}"),
            }
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
