//! The one table of exported instruments. Names, units, descriptions and bucket layouts live
//! here only; `docs/metrics.md` is rendered from this table (see `render_markdown`).

/// OpenTelemetry's default explicit-bucket layout, the base the official plugin extends.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0,
    7500.0, 10000.0,
];

/// Default layout extended through one hour: agent runs routinely exceed 10 s.
pub const DURATION_MS_BUCKETS: &[f64] = &[
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0,
    7500.0, 10000.0, 15000.0, 20000.0, 30000.0, 45000.0, 60000.0, 120000.0, 180000.0, 240000.0,
    300000.0, 600000.0, 900000.0, 1_800_000.0, 3_600_000.0,
];

/// Default layout extended with common context-window sizes up to 2M tokens.
pub const CONTEXT_TOKENS_BUCKETS: &[f64] = &[
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0,
    7500.0, 10000.0, 16000.0, 32000.0, 64000.0, 128000.0, 200000.0, 400000.0, 1_000_000.0,
    2_000_000.0,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Histogram,
}

/// Index into `CATALOG`; the order of variants is the order of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inst {
    Tokens,
    CostUsd,
    RunDuration,
    ContextTokens,
    WebhookReceived,
    WebhookError,
    WebhookDuration,
    MessageQueued,
    MessageProcessed,
    MessageDuration,
    QueueDepth,
    QueueWait,
    LaneEnqueue,
    LaneDequeue,
    SessionState,
    SessionStuck,
    SessionStuckAge,
    RunAttempt,
}

pub struct Spec {
    pub id: Inst,
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub description: &'static str,
    pub buckets: &'static [f64],
    /// Why the bucket layout differs from the official plugin, when it does.
    pub note: &'static str,
}

const fn counter(id: Inst, name: &'static str, unit: &'static str, description: &'static str) -> Spec {
    Spec { id, name, kind: Kind::Counter, unit, description, buckets: &[], note: "" }
}

const fn histogram(id: Inst, name: &'static str, unit: &'static str, description: &'static str, buckets: &'static [f64]) -> Spec {
    Spec { id, name, kind: Kind::Histogram, unit, description, buckets, note: "" }
}

const fn noted(spec: Spec, note: &'static str) -> Spec {
    Spec { note, ..spec }
}

pub const CATALOG: &[Spec] = &[
    counter(Inst::Tokens, "openclaw.tokens", "1", "Token usage by type"),
    counter(Inst::CostUsd, "openclaw.cost.usd", "1", "Estimated model cost (USD)"),
    histogram(Inst::RunDuration, "openclaw.run.duration_ms", "ms", "Agent run duration", DURATION_MS_BUCKETS),
    histogram(Inst::ContextTokens, "openclaw.context.tokens", "1", "Context window size and usage", CONTEXT_TOKENS_BUCKETS),
    counter(Inst::WebhookReceived, "openclaw.webhook.received", "1", "Webhook requests received"),
    counter(Inst::WebhookError, "openclaw.webhook.error", "1", "Webhook processing errors"),
    histogram(Inst::WebhookDuration, "openclaw.webhook.duration_ms", "ms", "Webhook processing duration", DEFAULT_BUCKETS),
    counter(Inst::MessageQueued, "openclaw.message.queued", "1", "Messages queued for processing"),
    counter(Inst::MessageProcessed, "openclaw.message.processed", "1", "Messages processed by outcome"),
    noted(
        histogram(Inst::MessageDuration, "openclaw.message.duration_ms", "ms", "Message processing duration", DURATION_MS_BUCKETS),
        "extended through one hour: a processed message includes the model run, which routinely exceeds the official 10 s ceiling",
    ),
    histogram(Inst::QueueDepth, "openclaw.queue.depth", "1", "Queue depth on enqueue/dequeue", DEFAULT_BUCKETS),
    histogram(Inst::QueueWait, "openclaw.queue.wait_ms", "ms", "Queue wait time before execution", DEFAULT_BUCKETS),
    counter(Inst::LaneEnqueue, "openclaw.queue.lane.enqueue", "1", "Command queue lane enqueue events"),
    counter(Inst::LaneDequeue, "openclaw.queue.lane.dequeue", "1", "Command queue lane dequeue events"),
    counter(Inst::SessionState, "openclaw.session.state", "1", "Session state transitions"),
    counter(Inst::SessionStuck, "openclaw.session.stuck", "1", "Sessions stuck in processing"),
    noted(
        histogram(Inst::SessionStuckAge, "openclaw.session.stuck_age_ms", "ms", "Age of stuck sessions", DURATION_MS_BUCKETS),
        "extended through one hour: stuck sessions are reported after minutes, all past the official 10 s ceiling",
    ),
    counter(Inst::RunAttempt, "openclaw.run.attempt", "1", "Run attempts"),
];

/// How an attribute value is made safe for a metric label.
#[derive(Clone, Copy, Debug)]
pub enum Norm {
    /// The low-cardinality policy, with this fallback.
    Low(&'static str),
    /// The policy plus `/ @ +` (provider and model ids).
    Model,
    /// Only the lane's kind (`session:agent:x` -> `session`).
    Lane,
}

#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// A string field, normalized by `Norm`.
    Field(&'static str),
    /// A numeric field exported as an integer.
    Integer(&'static str),
    Const(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub struct Attr {
    pub key: &'static str,
    pub source: Source,
    pub norm: Norm,
    /// Omit the key when the field is absent (instead of the fallback).
    pub optional: bool,
}

pub const fn low(key: &'static str, field: &'static str) -> Attr {
    Attr { key, source: Source::Field(field), norm: Norm::Low(crate::attributes::UNKNOWN), optional: false }
}

pub const fn opt(key: &'static str, field: &'static str) -> Attr {
    Attr { optional: true, ..low(key, field) }
}

pub const fn model(key: &'static str, field: &'static str) -> Attr {
    Attr { norm: Norm::Model, ..low(key, field) }
}

pub const fn lane(key: &'static str, field: &'static str) -> Attr {
    Attr { norm: Norm::Lane, ..low(key, field) }
}

pub const fn int(key: &'static str, field: &'static str) -> Attr {
    Attr { source: Source::Integer(field), ..low(key, field) }
}

pub const fn fixed(key: &'static str, value: &'static str) -> Attr {
    Attr { key, source: Source::Const(value), norm: Norm::Low(crate::attributes::UNKNOWN), optional: false }
}

#[derive(Clone, Copy, Debug)]
pub enum Value {
    /// Count the event once.
    One,
    /// A numeric field; the rule is skipped when it is absent.
    Field(&'static str),
    /// A numeric field, skipped when absent or zero (the official plugin's `if (x)`).
    NonZero(&'static str),
}

/// One measurement taken from one event type.
pub struct Rule {
    pub event: &'static str,
    pub inst: Inst,
    pub value: Value,
    /// Attribute groups, concatenated.
    pub attrs: &'static [&'static [Attr]],
    /// Fields without which the event is malformed.
    pub required: &'static [&'static str],
}

const fn rule(event: &'static str, inst: Inst, value: Value, attrs: &'static [&'static [Attr]]) -> Rule {
    Rule { event, inst, value, attrs, required: &[] }
}

const fn needs(r: Rule, required: &'static [&'static str]) -> Rule {
    Rule { required, ..r }
}

const USAGE: &[Attr] = &[
    low("openclaw.channel", "channel"),
    low("openclaw.agent", "agentId"),
    model("openclaw.provider", "provider"),
    model("openclaw.model", "model"),
];
const WEBHOOK: &[Attr] = &[low("openclaw.channel", "channel"), low("openclaw.webhook", "updateType")];
const QUEUED: &[Attr] = &[low("openclaw.channel", "channel"), low("openclaw.source", "source")];
const PROCESSED: &[Attr] = &[low("openclaw.channel", "channel"), low("openclaw.outcome", "outcome")];
const LANE: &[Attr] = &[lane("openclaw.lane", "lane")];
const STATE: &[Attr] = &[low("openclaw.state", "state")];

/// Every measurement, in the order they are taken for an event.
pub const RULES: &[Rule] = &[
    rule("model.usage", Inst::Tokens, Value::NonZero("usage.input"), &[USAGE, &[fixed("openclaw.token", "input")]]),
    rule("model.usage", Inst::Tokens, Value::NonZero("usage.output"), &[USAGE, &[fixed("openclaw.token", "output")]]),
    rule("model.usage", Inst::Tokens, Value::NonZero("usage.cacheRead"), &[USAGE, &[fixed("openclaw.token", "cache_read")]]),
    rule("model.usage", Inst::Tokens, Value::NonZero("usage.cacheWrite"), &[USAGE, &[fixed("openclaw.token", "cache_write")]]),
    rule("model.usage", Inst::Tokens, Value::NonZero("usage.promptTokens"), &[USAGE, &[fixed("openclaw.token", "prompt")]]),
    rule("model.usage", Inst::Tokens, Value::NonZero("usage.total"), &[USAGE, &[fixed("openclaw.token", "total")]]),
    rule("model.usage", Inst::CostUsd, Value::NonZero("costUsd"), &[USAGE]),
    rule("model.usage", Inst::RunDuration, Value::NonZero("durationMs"), &[USAGE]),
    rule("model.usage", Inst::ContextTokens, Value::NonZero("context.limit"), &[USAGE, &[fixed("openclaw.context", "limit")]]),
    rule("model.usage", Inst::ContextTokens, Value::NonZero("context.used"), &[USAGE, &[fixed("openclaw.context", "used")]]),
    rule("webhook.received", Inst::WebhookReceived, Value::One, &[WEBHOOK]),
    rule("webhook.processed", Inst::WebhookDuration, Value::Field("durationMs"), &[WEBHOOK]),
    rule("webhook.error", Inst::WebhookError, Value::One, &[WEBHOOK]),
    rule("message.queued", Inst::MessageQueued, Value::One, &[QUEUED]),
    rule("message.queued", Inst::QueueDepth, Value::Field("queueDepth"), &[QUEUED]),
    rule("message.processed", Inst::MessageProcessed, Value::One, &[PROCESSED]),
    rule("message.processed", Inst::MessageDuration, Value::Field("durationMs"), &[PROCESSED]),
    needs(rule("queue.lane.enqueue", Inst::LaneEnqueue, Value::One, &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.enqueue", Inst::QueueDepth, Value::Field("queueSize"), &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.dequeue", Inst::LaneDequeue, Value::One, &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.dequeue", Inst::QueueDepth, Value::Field("queueSize"), &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.dequeue", Inst::QueueWait, Value::Field("waitMs"), &[LANE]), &["lane", "queueSize"]),
    needs(rule("session.state", Inst::SessionState, Value::One, &[STATE, &[opt("openclaw.reason", "reason")]]), &["state"]),
    needs(rule("session.stuck", Inst::SessionStuck, Value::One, &[STATE]), &["state"]),
    needs(rule("session.stuck", Inst::SessionStuckAge, Value::Field("ageMs"), &[STATE]), &["state"]),
    needs(rule("run.attempt", Inst::RunAttempt, Value::One, &[&[int("openclaw.attempt", "attempt")]]), &["attempt"]),
    needs(rule("diagnostic.heartbeat", Inst::QueueDepth, Value::Field("queued"), &[&[fixed("openclaw.channel", "heartbeat")]]), &["queued"]),
];

pub fn spec(id: Inst) -> &'static Spec {
    &CATALOG[id as usize]
}

/// The exported name: `metricNamePrefix` replaces the leading `openclaw.` of our own names.
pub fn exported_name(name: &str, prefix: &str) -> String {
    match name.strip_prefix("openclaw.") {
        Some(rest) => format!("{prefix}{rest}"),
        None => name.to_string(),
    }
}

fn fmt_bound(b: f64) -> String {
    format!("{b}")
}

/// The metric catalog as Markdown; `docs/metrics.md` must equal this (a test checks).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from src/catalog.rs by `UPDATE_DOCS=1 cargo test catalog_doc`; do not edit. -->\n\
         # Metric catalog\n\n\
         Every instrument this plugin exports. Names starting with `openclaw.` take\n\
         `diagnostics.otel.metricNamePrefix` in place of `openclaw.` when it is set. All values are\n\
         doubles; counters are monotonic sums; temporality is cumulative unless\n\
         `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` asks otherwise.\n\n\
         | name | kind | unit | description | attributes | fed by |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in CATALOG {
        let kind = match s.kind {
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        };
        let mut attrs: Vec<String> = Vec::new();
        let mut events: Vec<String> = Vec::new();
        for r in RULES.iter().filter(|r| r.inst == s.id) {
            let e = format!("`{}`", r.event);
            if !events.contains(&e) {
                events.push(e);
            }
            for a in r.attrs.iter().flat_map(|g| g.iter()) {
                let k = format!("`{}`", a.key);
                if !attrs.contains(&k) {
                    attrs.push(k);
                }
            }
        }
        out.push_str(&format!(
            "| `{}` | {} | `{}` | {} | {} | {} |\n",
            s.name, kind, s.unit, s.description, attrs.join(", "), events.join(", ")
        ));
    }
    out.push_str("\n## Histogram bucket boundaries\n\n");
    for s in CATALOG.iter().filter(|s| s.kind == Kind::Histogram) {
        let bounds: Vec<String> = s.buckets.iter().map(|b| fmt_bound(*b)).collect();
        out.push_str(&format!("- `{}`: {}\n", s.name, bounds.join(", ")));
        if !s.note.is_empty() {
            out.push_str(&format!("  - differs from the official plugin: {}\n", s.note));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_ids() {
        for (i, s) in CATALOG.iter().enumerate() {
            assert_eq!(s.id as usize, i, "{} is out of order", s.name);
        }
    }

    #[test]
    fn histograms_have_sorted_buckets_and_counters_none() {
        for s in CATALOG {
            match s.kind {
                Kind::Histogram => {
                    assert!(!s.buckets.is_empty(), "{}", s.name);
                    assert!(s.buckets.windows(2).all(|w| w[0] < w[1]), "{}", s.name);
                }
                Kind::Counter => assert!(s.buckets.is_empty(), "{}", s.name),
            }
        }
    }

    #[test]
    fn extended_layouts_keep_the_default_prefix() {
        assert!(DURATION_MS_BUCKETS.starts_with(DEFAULT_BUCKETS));
        assert!(CONTEXT_TOKENS_BUCKETS.starts_with(DEFAULT_BUCKETS));
    }

    #[test]
    fn every_instrument_is_fed_by_a_rule() {
        for s in CATALOG {
            assert!(RULES.iter().any(|r| r.inst == s.id), "{} has no rule", s.name);
        }
    }

    #[test]
    fn prefix_applies_to_own_names_only() {
        assert_eq!(exported_name("openclaw.tokens", "acme."), "acme.tokens");
        assert_eq!(exported_name("openclaw.tokens", ""), "tokens");
        assert_eq!(exported_name("gen_ai.client.token.usage", "acme."), "gen_ai.client.token.usage");
    }

    #[test]
    fn catalog_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md");
        let rendered = render_markdown();
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(path, &rendered).expect("write docs/metrics.md");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(on_disk, rendered, "docs/metrics.md is stale: run UPDATE_DOCS=1 cargo test catalog_doc");
    }
}
