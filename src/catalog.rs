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
    /// Attribute keys this instrument may carry.
    pub attributes: &'static [&'static str],
    /// Which diagnostic events feed it.
    pub events: &'static [&'static str],
    /// Why the bucket layout differs from the official plugin, when it does.
    pub note: &'static str,
}

const USAGE_ATTRS: &[&str] = &["openclaw.channel", "openclaw.agent", "openclaw.provider", "openclaw.model"];
const WEBHOOK_ATTRS: &[&str] = &["openclaw.channel", "openclaw.webhook"];
const MESSAGE_ATTRS: &[&str] = &["openclaw.channel", "openclaw.outcome"];
const LANE_ATTRS: &[&str] = &["openclaw.lane"];

pub const CATALOG: &[Spec] = &[
    Spec { id: Inst::Tokens, name: "openclaw.tokens", kind: Kind::Counter, unit: "1",
        description: "Token usage by type",
        buckets: &[], attributes: &["openclaw.channel", "openclaw.agent", "openclaw.provider", "openclaw.model", "openclaw.token"],
        events: &["model.usage"], note: "" },
    Spec { id: Inst::CostUsd, name: "openclaw.cost.usd", kind: Kind::Counter, unit: "1",
        description: "Estimated model cost (USD)",
        buckets: &[], attributes: USAGE_ATTRS, events: &["model.usage"], note: "" },
    Spec { id: Inst::RunDuration, name: "openclaw.run.duration_ms", kind: Kind::Histogram, unit: "ms",
        description: "Agent run duration",
        buckets: DURATION_MS_BUCKETS, attributes: USAGE_ATTRS, events: &["model.usage"], note: "" },
    Spec { id: Inst::ContextTokens, name: "openclaw.context.tokens", kind: Kind::Histogram, unit: "1",
        description: "Context window size and usage",
        buckets: CONTEXT_TOKENS_BUCKETS,
        attributes: &["openclaw.channel", "openclaw.agent", "openclaw.provider", "openclaw.model", "openclaw.context"],
        events: &["model.usage"], note: "" },
    Spec { id: Inst::WebhookReceived, name: "openclaw.webhook.received", kind: Kind::Counter, unit: "1",
        description: "Webhook requests received",
        buckets: &[], attributes: WEBHOOK_ATTRS, events: &["webhook.received"], note: "" },
    Spec { id: Inst::WebhookError, name: "openclaw.webhook.error", kind: Kind::Counter, unit: "1",
        description: "Webhook processing errors",
        buckets: &[], attributes: WEBHOOK_ATTRS, events: &["webhook.error"], note: "" },
    Spec { id: Inst::WebhookDuration, name: "openclaw.webhook.duration_ms", kind: Kind::Histogram, unit: "ms",
        description: "Webhook processing duration",
        buckets: DEFAULT_BUCKETS, attributes: WEBHOOK_ATTRS, events: &["webhook.processed"], note: "" },
    Spec { id: Inst::MessageQueued, name: "openclaw.message.queued", kind: Kind::Counter, unit: "1",
        description: "Messages queued for processing",
        buckets: &[], attributes: &["openclaw.channel", "openclaw.source"], events: &["message.queued"], note: "" },
    Spec { id: Inst::MessageProcessed, name: "openclaw.message.processed", kind: Kind::Counter, unit: "1",
        description: "Messages processed by outcome",
        buckets: &[], attributes: MESSAGE_ATTRS, events: &["message.processed"], note: "" },
    Spec { id: Inst::MessageDuration, name: "openclaw.message.duration_ms", kind: Kind::Histogram, unit: "ms",
        description: "Message processing duration",
        buckets: DURATION_MS_BUCKETS, attributes: MESSAGE_ATTRS, events: &["message.processed"],
        note: "extended through one hour: a processed message includes the model run, which routinely exceeds the official 10 s ceiling" },
    Spec { id: Inst::QueueDepth, name: "openclaw.queue.depth", kind: Kind::Histogram, unit: "1",
        description: "Queue depth on enqueue/dequeue",
        buckets: DEFAULT_BUCKETS,
        attributes: &["openclaw.channel", "openclaw.source", "openclaw.lane"],
        events: &["message.queued", "queue.lane.enqueue", "queue.lane.dequeue", "diagnostic.heartbeat"], note: "" },
    Spec { id: Inst::QueueWait, name: "openclaw.queue.wait_ms", kind: Kind::Histogram, unit: "ms",
        description: "Queue wait time before execution",
        buckets: DEFAULT_BUCKETS, attributes: LANE_ATTRS, events: &["queue.lane.dequeue"], note: "" },
    Spec { id: Inst::LaneEnqueue, name: "openclaw.queue.lane.enqueue", kind: Kind::Counter, unit: "1",
        description: "Command queue lane enqueue events",
        buckets: &[], attributes: LANE_ATTRS, events: &["queue.lane.enqueue"], note: "" },
    Spec { id: Inst::LaneDequeue, name: "openclaw.queue.lane.dequeue", kind: Kind::Counter, unit: "1",
        description: "Command queue lane dequeue events",
        buckets: &[], attributes: LANE_ATTRS, events: &["queue.lane.dequeue"], note: "" },
    Spec { id: Inst::SessionState, name: "openclaw.session.state", kind: Kind::Counter, unit: "1",
        description: "Session state transitions",
        buckets: &[], attributes: &["openclaw.state", "openclaw.reason"], events: &["session.state"], note: "" },
    Spec { id: Inst::SessionStuck, name: "openclaw.session.stuck", kind: Kind::Counter, unit: "1",
        description: "Sessions stuck in processing",
        buckets: &[], attributes: &["openclaw.state"], events: &["session.stuck"], note: "" },
    Spec { id: Inst::SessionStuckAge, name: "openclaw.session.stuck_age_ms", kind: Kind::Histogram, unit: "ms",
        description: "Age of stuck sessions",
        buckets: DURATION_MS_BUCKETS, attributes: &["openclaw.state"], events: &["session.stuck"],
        note: "extended through one hour: stuck sessions are reported after minutes, all past the official 10 s ceiling" },
    Spec { id: Inst::RunAttempt, name: "openclaw.run.attempt", kind: Kind::Counter, unit: "1",
        description: "Run attempts",
        buckets: &[], attributes: &["openclaw.attempt"], events: &["run.attempt"], note: "" },
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
        let attrs: Vec<String> = s.attributes.iter().map(|a| format!("`{a}`")).collect();
        let events: Vec<String> = s.events.iter().map(|e| format!("`{e}`")).collect();
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
