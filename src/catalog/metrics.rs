//! The one table of exported instruments and the rules that feed them. Names, units,
//! descriptions, bucket layouts and attribute mappings live here only; `docs/metrics.md` is
//! rendered from these tables (see `render_markdown`). The mapping follows the official
//! plugin's behaviour for OpenClaw 2026.9; deliberate differences are in docs/differences.md.

/// OpenTelemetry's default explicit-bucket layout, the base the official plugin extends.
pub const DEFAULT_BUCKETS: &[f64] =
    &[0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0, 10000.0];

/// Default layout extended through one hour: agent runs routinely exceed 10 s.
pub const DURATION_MS_BUCKETS: &[f64] = &[
    0.0,
    5.0,
    10.0,
    25.0,
    50.0,
    75.0,
    100.0,
    250.0,
    500.0,
    750.0,
    1000.0,
    2500.0,
    5000.0,
    7500.0,
    10000.0,
    15000.0,
    20000.0,
    30000.0,
    45000.0,
    60000.0,
    120000.0,
    180000.0,
    240000.0,
    300000.0,
    600000.0,
    900000.0,
    1_800_000.0,
    3_600_000.0,
];

/// Default layout extended with common context-window sizes up to 2M tokens.
pub const CONTEXT_TOKENS_BUCKETS: &[f64] = &[
    0.0,
    5.0,
    10.0,
    25.0,
    50.0,
    75.0,
    100.0,
    250.0,
    500.0,
    750.0,
    1000.0,
    2500.0,
    5000.0,
    7500.0,
    10000.0,
    16000.0,
    32000.0,
    64000.0,
    128000.0,
    200000.0,
    400000.0,
    1_000_000.0,
    2_000_000.0,
];

/// GenAI semantic conventions: token counts, powers of four.
pub const GEN_AI_TOKEN_BUCKETS: &[f64] =
    &[1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0, 67108864.0];

/// GenAI semantic conventions: operation duration in seconds, doubling from 10 ms.
pub const GEN_AI_DURATION_S_BUCKETS: &[f64] = &[0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Histogram,
    /// A counter the plugin reports about itself at each collection (no event feeds it).
    ObservedCounter,
}

pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub description: &'static str,
    pub buckets: &'static [f64],
    /// The largest value one event may plausibly carry; values outside `0..=bound` are counted
    /// as implausible and skipped, never exported.
    pub bound: f64,
    /// Why this differs from the official plugin, when it does.
    pub note: &'static str,
}

/// Plausibility bounds by unit. Generous on purpose: they catch corrupt numbers (1e15 tokens,
/// a 1970 start), not unusual ones.
pub const BOUND_MS: f64 = 30.0 * 24.0 * 3_600_000.0;
pub const BOUND_S: f64 = BOUND_MS / 1000.0;
/// One TiB.
pub const BOUND_BYTES: f64 = 1_099_511_627_776.0;
/// 100M tokens in one event: 50x the largest context window.
pub const BOUND_TOKENS: f64 = 1e8;
/// USD 10,000 for one model call.
pub const BOUND_COST_USD: f64 = 1e4;
/// Counts, depths and other dimensionless values.
pub const BOUND_COUNT: f64 = 1e9;

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn bound_for(unit: &str) -> f64 {
    if same(unit, "ms") {
        BOUND_MS
    } else if same(unit, "s") {
        BOUND_S
    } else if same(unit, "By") {
        BOUND_BYTES
    } else if same(unit, "{token}") {
        BOUND_TOKENS
    } else {
        BOUND_COUNT
    }
}

const fn counter(name: &'static str, unit: &'static str, description: &'static str) -> Spec {
    Spec { name, kind: Kind::Counter, unit, description, buckets: &[], bound: bound_for(unit), note: "" }
}

const fn histogram(name: &'static str, unit: &'static str, description: &'static str, buckets: &'static [f64]) -> Spec {
    Spec { name, kind: Kind::Histogram, unit, description, buckets, bound: bound_for(unit), note: "" }
}

const fn noted(spec: Spec, note: &'static str) -> Spec {
    Spec { note, ..spec }
}

/// A bound tighter or wider than the unit's.
const fn bounded(spec: Spec, bound: f64) -> Spec {
    Spec { bound, ..spec }
}

const D: &[f64] = DEFAULT_BUCKETS;
const LONG: &[f64] = DURATION_MS_BUCKETS;

pub const CATALOG: &[Spec] = &[
    // Gateway process
    histogram("openclaw.gc.duration_ms", "ms", "Elapsed garbage collection duration for the hosting JavaScript isolate", LONG),
    histogram("openclaw.gateway.event_loop.delay_max_ms", "ms", "Maximum event-loop delay per completed Gateway observation window", LONG),
    counter("openclaw.gateway.event_loop.observed_ms", "ms", "Elapsed time covered by completed Gateway event-loop observation windows"),
    counter("openclaw.gateway.rpc.requests", "1", "Authenticated Gateway WebSocket requests received"),
    counter("openclaw.gateway.rpc.outcomes", "1", "Gateway RPC observations by phase and outcome"),
    histogram("openclaw.gateway.rpc.first_response_ms", "ms", "Elapsed time until the first Gateway RPC response is sent", LONG),
    histogram("openclaw.gateway.rpc.handler_ms", "ms", "Gateway RPC handler duration until return or throw", LONG),
    histogram("openclaw.gateway.rpc.admission_ms", "ms", "Elapsed time from Gateway RPC receipt until handler invocation", LONG),
    histogram("openclaw.gateway.rpc.queue_wait_ms", "ms", "Gateway operator start queue or worker frame queue wait", LONG),
    // Model usage and calls
    bounded(counter("openclaw.tokens", "1", "Token usage by type"), BOUND_TOKENS),
    histogram(
        "gen_ai.client.token.usage",
        "{token}",
        "Number of input and output tokens used by GenAI client operations",
        GEN_AI_TOKEN_BUCKETS,
    ),
    histogram("gen_ai.client.operation.duration", "s", "GenAI client operation duration", GEN_AI_DURATION_S_BUCKETS),
    bounded(counter("openclaw.cost.usd", "1", "Estimated model cost (USD)"), BOUND_COST_USD),
    histogram("openclaw.run.duration_ms", "ms", "Agent run duration", LONG),
    histogram("openclaw.harness.duration_ms", "ms", "Agent harness lifecycle duration", LONG),
    bounded(histogram("openclaw.context.tokens", "1", "Context window size and usage", CONTEXT_TOKENS_BUCKETS), BOUND_TOKENS),
    histogram("openclaw.model_call.duration_ms", "ms", "Model call duration", D),
    histogram("openclaw.model_call.request_bytes", "By", "UTF-8 byte size of sanitized model request payloads", D),
    histogram("openclaw.model_call.response_bytes", "By", "UTF-8 byte size of bounded streamed model response payloads", D),
    histogram("openclaw.model_call.time_to_first_byte_ms", "ms", "Elapsed time before the first streamed model response event", D),
    counter("openclaw.model.failover", "1", "Model failovers by source, destination, lane, and reason"),
    counter("openclaw.skill.used", "1", "Skills used by agent runs"),
    // Message flow
    counter("openclaw.webhook.received", "1", "Webhook requests received"),
    counter("openclaw.webhook.error", "1", "Webhook processing errors"),
    histogram("openclaw.webhook.duration_ms", "ms", "Webhook processing duration", D),
    counter("openclaw.message.queued", "1", "Messages queued for processing"),
    counter("openclaw.message.received", "1", "Inbound messages received"),
    counter("openclaw.message.dispatch.started", "1", "Inbound message dispatch attempts started"),
    counter("openclaw.message.dispatch.completed", "1", "Inbound message dispatch attempts completed"),
    histogram("openclaw.message.dispatch.duration_ms", "ms", "Inbound message dispatch duration", D),
    counter("openclaw.message.processed", "1", "Messages processed by outcome"),
    noted(
        histogram("openclaw.message.duration_ms", "ms", "Message processing duration", LONG),
        "buckets extended through one hour: a processed message includes the model run, which routinely exceeds the official 10 s ceiling",
    ),
    counter("openclaw.message.delivery.started", "1", "Outbound message delivery attempts started"),
    histogram("openclaw.message.delivery.duration_ms", "ms", "Outbound message delivery duration", D),
    // Talk
    counter("openclaw.talk.event", "1", "Talk events emitted by type"),
    histogram("openclaw.talk.event.duration_ms", "ms", "Talk event duration when reported", D),
    histogram("openclaw.talk.audio.bytes", "By", "Talk audio frame byte lengths", D),
    // Queues and sessions
    histogram("openclaw.queue.depth", "1", "Queue depth on enqueue/dequeue", D),
    histogram("openclaw.queue.wait_ms", "ms", "Queue wait time before execution", D),
    counter("openclaw.queue.lane.enqueue", "1", "Command queue lane enqueue events"),
    counter("openclaw.queue.lane.dequeue", "1", "Command queue lane dequeue events"),
    counter("openclaw.session.state", "1", "Session state transitions"),
    counter("openclaw.session.turn.created", "1", "Agent session turns created"),
    counter("openclaw.session.stuck", "1", "Sessions stuck in processing"),
    noted(
        histogram("openclaw.session.stuck_age_ms", "ms", "Age of stuck sessions", LONG),
        "buckets extended through one hour: stuck sessions are reported after minutes, all past the official 10 s ceiling",
    ),
    counter("openclaw.session.recovery.requested", "1", "Session recovery attempts requested"),
    counter("openclaw.session.recovery.completed", "1", "Session recovery attempts completed"),
    noted(
        histogram("openclaw.session.recovery.age_ms", "ms", "Age of sessions selected for recovery", LONG),
        "buckets extended through one hour, like stuck ages",
    ),
    counter("openclaw.run.attempt", "1", "Run attempts"),
    // Liveness
    counter("openclaw.liveness.warning", "1", "Diagnostic liveness warning events"),
    histogram("openclaw.liveness.event_loop_delay_p99_ms", "ms", "P99 event-loop delay reported by diagnostic liveness warnings", D),
    histogram("openclaw.liveness.event_loop_delay_max_ms", "ms", "Maximum event-loop delay reported by diagnostic liveness warnings", D),
    bounded(
        histogram("openclaw.liveness.event_loop_utilization", "1", "Event-loop utilization reported by diagnostic liveness warnings", D),
        1.0,
    ),
    // Core equivalents: 1,024 cores is beyond any host that runs a gateway.
    bounded(
        histogram(
            "openclaw.liveness.cpu_core_ratio",
            "1",
            "Whole-process CPU usage in core equivalents, including worker and native threads; can exceed 1.",
            D,
        ),
        1024.0,
    ),
    // Tools and exec
    histogram("openclaw.tool.execution.duration_ms", "ms", "Tool execution duration", D),
    counter("openclaw.tool.execution.blocked", "1", "Tool executions blocked by policy or sandbox diagnostics"),
    counter("openclaw.tool.loop", "1", "Detected repetitive tool-call loop events"),
    histogram("openclaw.exec.duration_ms", "ms", "Exec process duration", D),
    // Diagnostics internals
    histogram("openclaw.memory.rss_bytes", "By", "Resident set size reported by diagnostic memory samples", D),
    histogram("openclaw.memory.heap_used_bytes", "By", "Heap used bytes reported by diagnostic memory samples", D),
    histogram("openclaw.memory.heap_total_bytes", "By", "Heap total bytes reported by diagnostic memory samples", D),
    histogram("openclaw.memory.external_bytes", "By", "External memory bytes reported by diagnostic memory samples", D),
    histogram("openclaw.memory.array_buffers_bytes", "By", "ArrayBuffer bytes reported by diagnostic memory samples", D),
    counter("openclaw.memory.pressure", "1", "Diagnostic memory pressure events"),
    counter("openclaw.diagnostic.async_queue.dropped", "1", "Async diagnostic queue drops by dropped event class"),
    counter("openclaw.payload.large", "1", "Oversized payload diagnostics by surface and action"),
    histogram("openclaw.payload.large_bytes", "By", "Oversized payload byte sizes by surface and action", D),
    counter("openclaw.telemetry.exporter.events", "1", "Diagnostic telemetry exporter lifecycle and failure events"),
    noted(
        Spec {
            name: "openclaw.telemetry.dropped",
            kind: Kind::ObservedCounter,
            unit: "1",
            description: "Telemetry this plugin lost, by signal and reason",
            buckets: &[],
            bound: BOUND_COUNT,
            note: "",
        },
        "Not in the official plugin. `openclaw.signal` events, traces or logs; `openclaw.reason` recording_queue_full (events \
         the recording thread could not take), implausible (values and span times outside the bounds above), queue_full \
         or rejected (refused for good by the collector). Only reasons that \
         occurred are exported. Loss at the stop deadline is logged and in status() (`lostAtStop`).",
    ),
];

/// How a text attribute value is made safe for a metric label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Norm {
    /// The low-cardinality policy, with this fallback.
    Low(&'static str),
    /// The policy plus `/ @ +` (provider and model ids).
    Model,
    /// Only the lane's kind (`session:agent:x` -> `session`).
    Lane,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// A text field, normalized by `Norm`.
    Field(&'static str),
    /// The first present of two text fields.
    EitherField(&'static str, &'static str),
    /// A numeric field exported as an integer.
    Integer(&'static str),
    /// A boolean field as `true`/`false`, `unknown` when absent.
    BoolText(&'static str),
    /// One of two constants, by a boolean field's truth.
    BoolChoice(&'static str, &'static str, &'static str),
    /// An array of strings joined with `:`.
    Joined(&'static str),
    /// The GenAI operation name from `api` and `observationUnit`.
    GenAiOperation,
    /// The event's agent (`catalog::agent`): `agentId`, else the agent segment of `sessionKey`,
    /// else the agent learned for its run, session id or key.
    Agent,
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

pub use super::{Gate, When};

const UNKNOWN: &str = crate::policy::UNKNOWN;

/// Attribute sets an instrument keeps before new ones are collapsed (the SDK's own limit is
/// 2,000, past which it merges everything into one `otel.metric.overflow` series).
pub const SERIES_CAP: usize = 1_900;
/// The value a collapsed attribute gets.
pub const OVERFLOW: &str = "overflow";
/// Identity-like keys (names of channels, models, tools, agents...) that a collapsed set gives up;
/// every other key (token type, outcome, reason, state, signal...) is kept, so totals by type
/// stay right past the cap.
pub const COLLAPSIBLE: &[&str] = &[
    "openclaw.channel",
    "openclaw.provider",
    "openclaw.model",
    "openclaw.agent",
    "openclaw.toolName",
    "openclaw.lane",
    "openclaw.webhook",
    "openclaw.plugin",
    "openclaw.skill.name",
    "openclaw.harness.id",
    "openclaw.harness.plugin",
    "openclaw.gateway.rpc.method",
    "openclaw.failover.to_provider",
    "openclaw.failover.to_model",
    "openclaw.talk.provider",
    "openclaw.tool.owner",
    "openclaw.exec.target",
    "openclaw.loop.paired_tool",
    "gen_ai.request.model",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.tool.name",
    "error.type",
];

pub const fn low(key: &'static str, field: &'static str) -> Attr {
    Attr { key, source: Source::Field(field), norm: Norm::Low(UNKNOWN), optional: false }
}

pub const fn low_or(key: &'static str, field: &'static str, fallback: &'static str) -> Attr {
    Attr { norm: Norm::Low(fallback), ..low(key, field) }
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

pub const fn derived(key: &'static str, source: Source) -> Attr {
    Attr { key, source, norm: Norm::Low(UNKNOWN), optional: false }
}

pub const fn fixed(key: &'static str, value: &'static str) -> Attr {
    derived(key, Source::Const(value))
}

/// `openclaw.agent`: the event's `agentId`, else its session key's agent, else the agent learned
/// for its run or session (`catalog::agent`), else `unknown`.
pub const AGENT: Attr = derived("openclaw.agent", Source::Agent);

#[derive(Clone, Copy, Debug)]
pub enum Value {
    /// Count the event once.
    One,
    /// A numeric field; the rule is skipped when it is absent.
    Field(&'static str),
    /// A numeric field, skipped when absent or zero (the official plugin's `if (x)`).
    NonZero(&'static str),
    /// Milliseconds exported as seconds.
    MsAsSeconds(&'static str),
}

/// One measurement taken from one event type.
pub struct Rule {
    pub event: &'static str,
    pub metric: &'static str,
    pub value: Value,
    /// Attribute groups, concatenated.
    pub attrs: &'static [&'static [Attr]],
    /// Fields without which the event is malformed.
    pub required: &'static [&'static str],
    pub gate: Gate,
    pub when: When,
}

const fn rule(event: &'static str, metric: &'static str, value: Value, attrs: &'static [&'static [Attr]]) -> Rule {
    Rule { event, metric, value, attrs, required: &[], gate: Gate::Any, when: When::Always }
}

const fn needs(r: Rule, required: &'static [&'static str]) -> Rule {
    Rule { required, ..r }
}

const fn gated(r: Rule, gate: Gate) -> Rule {
    Rule { gate, ..r }
}

const fn only(r: Rule, when: When) -> Rule {
    Rule { when, ..r }
}

use Value::{Field, MsAsSeconds, NonZero, One};

const NONE: &[Attr] = &[];
const USAGE: &[Attr] =
    &[low("openclaw.channel", "channel"), AGENT, model("openclaw.provider", "provider"), model("openclaw.model", "model")];
const GEN_AI_USAGE: &[Attr] =
    &[fixed("gen_ai.operation.name", "chat"), model("gen_ai.provider.name", "provider"), model("gen_ai.request.model", "model")];
const RPC_METHOD: &[Attr] = &[low("openclaw.gateway.rpc.method", "method")];
const RPC_OUTCOME: &[Attr] = &[low("openclaw.gateway.rpc.phase", "phase"), low("openclaw.gateway.rpc.outcome", "outcome")];
const RUN: &[Attr] = &[
    low("openclaw.outcome", "outcome"),
    model("openclaw.provider", "provider"),
    model("openclaw.model", "model"),
    opt("openclaw.channel", "channel"),
    opt("openclaw.blocked_by", "blockedBy"),
    AGENT,
];
const HARNESS: &[Attr] = &[
    low("openclaw.harness.id", "harnessId"),
    low("openclaw.harness.plugin", "pluginId"),
    model("openclaw.provider", "provider"),
    model("openclaw.model", "model"),
    opt("openclaw.channel", "channel"),
    AGENT,
];
const HARNESS_ERROR: &[Attr] = &[
    fixed("openclaw.outcome", "error"),
    low("openclaw.harness.phase", "phase"),
    low_or("openclaw.errorCategory", "errorCategory", "other"),
];
const MODEL_CALL: &[Attr] = &[
    model("openclaw.provider", "provider"),
    model("openclaw.model", "model"),
    low("openclaw.api", "api"),
    low("openclaw.transport", "transport"),
    low_or("openclaw.model_call.observation_unit", "observationUnit", "request"),
    AGENT,
];
const MODEL_CALL_ERROR: &[Attr] = &[
    low_or("openclaw.errorCategory", "errorCategory", "other"),
    Attr { optional: true, ..low_or("openclaw.failureKind", "failureKind", "other") },
];
const GEN_AI_CALL: &[Attr] = &[
    derived("gen_ai.operation.name", Source::GenAiOperation),
    model("gen_ai.provider.name", "provider"),
    model("gen_ai.request.model", "model"),
];
const WEBHOOK: &[Attr] = &[low("openclaw.channel", "channel"), low("openclaw.webhook", "updateType")];
const CHANNEL_SOURCE: &[Attr] = &[low("openclaw.channel", "channel"), low("openclaw.source", "source")];
const DISPATCH_DONE: &[Attr] = &[
    low("openclaw.channel", "channel"),
    low("openclaw.outcome", "outcome"),
    low_or("openclaw.reason", "reason", "none"),
    low("openclaw.source", "source"),
];
const PROCESSED: &[Attr] = &[low("openclaw.channel", "channel"), low("openclaw.outcome", "outcome")];
const DELIVERY: &[Attr] = &[low("openclaw.channel", "channel"), low_or("openclaw.delivery.kind", "deliveryKind", "other")];
const DELIVERY_ERROR: &[Attr] = &[fixed("openclaw.outcome", "error"), low_or("openclaw.errorCategory", "errorCategory", "other")];
const TALK: &[Attr] = &[
    low("openclaw.talk.brain", "brain"),
    low("openclaw.talk.event_type", "talkEventType"),
    low("openclaw.talk.mode", "mode"),
    low("openclaw.talk.provider", "provider"),
    low("openclaw.talk.transport", "transport"),
];
const LANE: &[Attr] = &[lane("openclaw.lane", "lane")];
const STATE: &[Attr] = &[low("openclaw.state", "state")];
const RECOVERY: &[Attr] = &[low("openclaw.state", "state"), opt("openclaw.active_work_kind", "activeWorkKind")];
const RECOVERY_REQUESTED: &[Attr] =
    &[opt("openclaw.reason", "reason"), derived("openclaw.action", Source::BoolChoice("allowActiveAbort", "abort", "recover"))];
const RECOVERY_COMPLETED: &[Attr] = &[
    Attr { optional: true, ..derived("openclaw.reason", Source::EitherField("outcomeReason", "reason")) },
    low("openclaw.status", "status"),
    low("openclaw.action", "action"),
];
const LIVENESS: &[Attr] = &[derived("openclaw.liveness.reason", Source::Joined("reasons"))];
const TOOL: &[Attr] = &[
    low("openclaw.toolName", "toolName"),
    low_or("openclaw.tool.source", "toolSource", "core"),
    low("gen_ai.tool.name", "toolName"),
    opt("openclaw.tool.owner", "toolOwner"),
    opt("openclaw.tool.params.kind", "paramsSummary.kind"),
    int("openclaw.tool.params.length", "paramsSummary.length"),
    AGENT,
];
const TOOL_LOOP: &[Attr] = &[
    low_or("openclaw.toolName", "toolName", "tool"),
    low("openclaw.loop.level", "level"),
    low("openclaw.loop.action", "action"),
    low("openclaw.loop.detector", "detector"),
    int("openclaw.loop.count", "count"),
    Attr { optional: true, ..low_or("openclaw.loop.paired_tool", "pairedToolName", "tool") },
    AGENT,
];
const SKILL: &[Attr] = &[
    low_or("openclaw.skill.name", "skillName", "skill"),
    low("openclaw.skill.source", "skillSource"),
    low("openclaw.skill.activation", "activation"),
    opt("openclaw.agent", "agentId"),
    Attr { optional: true, ..low_or("openclaw.toolName", "toolName", "tool") },
];
const FAILOVER: &[Attr] = &[
    low("openclaw.failover.reason", "reason"),
    derived("openclaw.failover.suspended", Source::BoolText("suspended")),
    lane("openclaw.lane", "lane"),
    model("openclaw.model", "fromModel"),
    model("openclaw.provider", "fromProvider"),
    model("openclaw.failover.to_model", "toModel"),
    model("openclaw.failover.to_provider", "toProvider"),
];
const EXEC: &[Attr] = &[
    low("openclaw.exec.target", "target"),
    low("openclaw.exec.mode", "mode"),
    low("openclaw.outcome", "outcome"),
    opt("openclaw.failureKind", "failureKind"),
];
const MEMORY_PRESSURE: &[Attr] = &[low("openclaw.memory.level", "level"), low("openclaw.memory.reason", "reason")];
const PAYLOAD: &[Attr] = &[
    low("openclaw.payload.action", "action"),
    low("openclaw.payload.surface", "surface"),
    low_or("openclaw.channel", "channel", "none"),
    low_or("openclaw.plugin", "pluginId", "none"),
    low_or("openclaw.reason", "reason", "none"),
];
const EXPORTER: &[Attr] = &[
    low("openclaw.exporter", "exporter"),
    low("openclaw.signal", "signal"),
    low("openclaw.status", "status"),
    opt("openclaw.reason", "reason"),
    Attr { optional: true, ..low_or("openclaw.errorCategory", "errorCategory", "other") },
];

const fn drop_class(field: &'static str, class: &'static [&'static [Attr]]) -> Rule {
    rule("diagnostic.async_queue.dropped", "openclaw.diagnostic.async_queue.dropped", Field(field), class)
}

const fn memory(event: &'static str, metric: &'static str, field: &'static str, attrs: &'static [&'static [Attr]]) -> Rule {
    needs(rule(event, metric, Field(field), attrs), &["memory"])
}

const TRUSTED: Gate = Gate::Trusted;
const PROCESS: Gate = Gate::TrustedOrInternal;
const ON_ERROR_OR_OK: &[&str] = &["ok", "error"];

/// Every measurement, in the order they are taken for an event.
pub const RULES: &[Rule] = &[
    gated(needs(rule("diagnostic.gc", "openclaw.gc.duration_ms", Field("durationMs"), &[NONE]), &["durationMs"]), PROCESS),
    gated(rule("gateway.event_loop.sample", "openclaw.gateway.event_loop.delay_max_ms", Field("delayMaxMs"), &[NONE]), PROCESS),
    gated(rule("gateway.event_loop.sample", "openclaw.gateway.event_loop.observed_ms", Field("intervalMs"), &[NONE]), PROCESS),
    gated(only(rule("gateway.rpc", "openclaw.gateway.rpc.requests", One, &[RPC_METHOD]), When::Is("phase", &["received"])), TRUSTED),
    gated(only(rule("gateway.rpc", "openclaw.gateway.rpc.outcomes", One, &[RPC_OUTCOME]), When::IsNot("phase", "received")), TRUSTED),
    gated(
        only(
            only(
                rule("gateway.rpc", "openclaw.gateway.rpc.first_response_ms", Field("durationMs"), &[RPC_METHOD]),
                When::Is("phase", &["response"]),
            ),
            When::Is("outcome", ON_ERROR_OR_OK),
        ),
        TRUSTED,
    ),
    gated(
        only(rule("gateway.rpc", "openclaw.gateway.rpc.handler_ms", Field("durationMs"), &[RPC_METHOD]), When::Is("phase", &["handler"])),
        TRUSTED,
    ),
    gated(
        only(
            rule("gateway.rpc", "openclaw.gateway.rpc.admission_ms", Field("admissionMs"), &[RPC_METHOD]),
            When::Is("phase", &["handler"]),
        ),
        TRUSTED,
    ),
    gated(
        only(
            rule("gateway.rpc", "openclaw.gateway.rpc.queue_wait_ms", Field("queueWaitMs"), &[RPC_METHOD]),
            When::Is("phase", &["dispatch"]),
        ),
        TRUSTED,
    ),
    rule("model.usage", "openclaw.tokens", NonZero("usage.input"), &[USAGE, &[fixed("openclaw.token", "input")]]),
    rule("model.usage", "gen_ai.client.token.usage", NonZero("usage.input"), &[GEN_AI_USAGE, &[fixed("gen_ai.token.type", "input")]]),
    rule("model.usage", "openclaw.tokens", NonZero("usage.output"), &[USAGE, &[fixed("openclaw.token", "output")]]),
    rule("model.usage", "gen_ai.client.token.usage", NonZero("usage.output"), &[GEN_AI_USAGE, &[fixed("gen_ai.token.type", "output")]]),
    rule("model.usage", "openclaw.tokens", NonZero("usage.cacheRead"), &[USAGE, &[fixed("openclaw.token", "cache_read")]]),
    rule("model.usage", "openclaw.tokens", NonZero("usage.cacheWrite"), &[USAGE, &[fixed("openclaw.token", "cache_write")]]),
    rule("model.usage", "openclaw.tokens", NonZero("usage.promptTokens"), &[USAGE, &[fixed("openclaw.token", "prompt")]]),
    rule("model.usage", "openclaw.tokens", NonZero("usage.total"), &[USAGE, &[fixed("openclaw.token", "total")]]),
    rule("model.usage", "openclaw.cost.usd", NonZero("costUsd"), &[USAGE]),
    rule("model.usage", "openclaw.run.duration_ms", NonZero("durationMs"), &[USAGE]),
    rule("model.usage", "openclaw.context.tokens", NonZero("context.limit"), &[USAGE, &[fixed("openclaw.context", "limit")]]),
    rule("model.usage", "openclaw.context.tokens", NonZero("context.used"), &[USAGE, &[fixed("openclaw.context", "used")]]),
    needs(rule("run.completed", "openclaw.run.duration_ms", Field("durationMs"), &[RUN]), &["durationMs"]),
    rule("harness.run.completed", "openclaw.harness.duration_ms", Field("durationMs"), &[HARNESS, &[low("openclaw.outcome", "outcome")]]),
    rule("harness.run.error", "openclaw.harness.duration_ms", Field("durationMs"), &[HARNESS, HARNESS_ERROR]),
    rule("model.call.completed", "openclaw.model_call.duration_ms", Field("durationMs"), &[MODEL_CALL]),
    rule("model.call.completed", "openclaw.model_call.request_bytes", NonZero("requestPayloadBytes"), &[MODEL_CALL]),
    rule("model.call.completed", "openclaw.model_call.response_bytes", NonZero("responseStreamBytes"), &[MODEL_CALL]),
    rule("model.call.completed", "openclaw.model_call.time_to_first_byte_ms", NonZero("timeToFirstByteMs"), &[MODEL_CALL]),
    rule("model.call.completed", "gen_ai.client.operation.duration", MsAsSeconds("durationMs"), &[GEN_AI_CALL]),
    rule("model.call.error", "openclaw.model_call.duration_ms", Field("durationMs"), &[MODEL_CALL, MODEL_CALL_ERROR]),
    rule("model.call.error", "openclaw.model_call.request_bytes", NonZero("requestPayloadBytes"), &[MODEL_CALL, MODEL_CALL_ERROR]),
    rule("model.call.error", "openclaw.model_call.response_bytes", NonZero("responseStreamBytes"), &[MODEL_CALL, MODEL_CALL_ERROR]),
    rule("model.call.error", "openclaw.model_call.time_to_first_byte_ms", NonZero("timeToFirstByteMs"), &[MODEL_CALL, MODEL_CALL_ERROR]),
    rule(
        "model.call.error",
        "gen_ai.client.operation.duration",
        MsAsSeconds("durationMs"),
        &[GEN_AI_CALL, &[low_or("error.type", "errorCategory", "other")]],
    ),
    rule("model.failover", "openclaw.model.failover", One, &[FAILOVER]),
    gated(rule("skill.used", "openclaw.skill.used", One, &[SKILL]), TRUSTED),
    rule("webhook.received", "openclaw.webhook.received", One, &[WEBHOOK]),
    rule("webhook.processed", "openclaw.webhook.duration_ms", Field("durationMs"), &[WEBHOOK]),
    rule("webhook.error", "openclaw.webhook.error", One, &[WEBHOOK]),
    rule("message.queued", "openclaw.message.queued", One, &[CHANNEL_SOURCE]),
    rule("message.queued", "openclaw.queue.depth", Field("queueDepth"), &[CHANNEL_SOURCE]),
    rule("message.received", "openclaw.message.received", One, &[CHANNEL_SOURCE]),
    rule("message.dispatch.started", "openclaw.message.dispatch.started", One, &[CHANNEL_SOURCE]),
    rule("message.dispatch.completed", "openclaw.message.dispatch.completed", One, &[DISPATCH_DONE]),
    rule("message.dispatch.completed", "openclaw.message.dispatch.duration_ms", Field("durationMs"), &[DISPATCH_DONE]),
    rule("message.processed", "openclaw.message.processed", One, &[PROCESSED]),
    rule("message.processed", "openclaw.message.duration_ms", Field("durationMs"), &[PROCESSED]),
    rule("message.delivery.started", "openclaw.message.delivery.started", One, &[DELIVERY]),
    rule(
        "message.delivery.completed",
        "openclaw.message.delivery.duration_ms",
        Field("durationMs"),
        &[DELIVERY, &[fixed("openclaw.outcome", "completed")]],
    ),
    rule("message.delivery.error", "openclaw.message.delivery.duration_ms", Field("durationMs"), &[DELIVERY, DELIVERY_ERROR]),
    gated(rule("talk.event", "openclaw.talk.event", One, &[TALK]), TRUSTED),
    gated(rule("talk.event", "openclaw.talk.event.duration_ms", Field("durationMs"), &[TALK]), TRUSTED),
    gated(rule("talk.event", "openclaw.talk.audio.bytes", Field("byteLength"), &[TALK]), TRUSTED),
    needs(rule("queue.lane.enqueue", "openclaw.queue.lane.enqueue", One, &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.enqueue", "openclaw.queue.depth", Field("queueSize"), &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.dequeue", "openclaw.queue.lane.dequeue", One, &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.dequeue", "openclaw.queue.depth", Field("queueSize"), &[LANE]), &["lane", "queueSize"]),
    needs(rule("queue.lane.dequeue", "openclaw.queue.wait_ms", Field("waitMs"), &[LANE]), &["lane", "queueSize"]),
    needs(rule("diagnostic.heartbeat", "openclaw.queue.depth", Field("queued"), &[&[fixed("openclaw.channel", "heartbeat")]]), &["queued"]),
    needs(rule("session.state", "openclaw.session.state", One, &[STATE, &[opt("openclaw.reason", "reason")]]), &["state"]),
    rule(
        "session.turn.created",
        "openclaw.session.turn.created",
        One,
        &[&[AGENT, low("openclaw.channel", "channel"), low("openclaw.trigger", "trigger")]],
    ),
    needs(rule("session.stuck", "openclaw.session.stuck", One, &[STATE]), &["state"]),
    needs(rule("session.stuck", "openclaw.session.stuck_age_ms", Field("ageMs"), &[STATE]), &["state"]),
    rule("session.recovery.requested", "openclaw.session.recovery.requested", One, &[RECOVERY, RECOVERY_REQUESTED]),
    rule("session.recovery.requested", "openclaw.session.recovery.age_ms", Field("ageMs"), &[RECOVERY, RECOVERY_REQUESTED]),
    rule("session.recovery.completed", "openclaw.session.recovery.completed", One, &[RECOVERY, RECOVERY_COMPLETED]),
    rule("session.recovery.completed", "openclaw.session.recovery.age_ms", Field("ageMs"), &[RECOVERY, RECOVERY_COMPLETED]),
    needs(rule("run.attempt", "openclaw.run.attempt", One, &[&[int("openclaw.attempt", "attempt")]]), &["attempt"]),
    rule("diagnostic.liveness.warning", "openclaw.liveness.warning", One, &[LIVENESS]),
    rule("diagnostic.liveness.warning", "openclaw.queue.depth", Field("queued"), &[&[fixed("openclaw.channel", "liveness")]]),
    rule("diagnostic.liveness.warning", "openclaw.liveness.event_loop_delay_p99_ms", Field("eventLoopDelayP99Ms"), &[LIVENESS]),
    rule("diagnostic.liveness.warning", "openclaw.liveness.event_loop_delay_max_ms", Field("eventLoopDelayMaxMs"), &[LIVENESS]),
    rule("diagnostic.liveness.warning", "openclaw.liveness.event_loop_utilization", Field("eventLoopUtilization"), &[LIVENESS]),
    rule("diagnostic.liveness.warning", "openclaw.liveness.cpu_core_ratio", Field("cpuCoreRatio"), &[LIVENESS]),
    rule("tool.execution.completed", "openclaw.tool.execution.duration_ms", Field("durationMs"), &[TOOL]),
    rule(
        "tool.execution.error",
        "openclaw.tool.execution.duration_ms",
        Field("durationMs"),
        &[TOOL, &[low_or("openclaw.errorCategory", "errorCategory", "other")]],
    ),
    rule(
        "tool.execution.blocked",
        "openclaw.tool.execution.blocked",
        One,
        &[TOOL, &[low_or("openclaw.deniedReason", "deniedReason", "other")]],
    ),
    rule("tool.loop", "openclaw.tool.loop", One, &[TOOL_LOOP]),
    rule("exec.process.completed", "openclaw.exec.duration_ms", Field("durationMs"), &[EXEC]),
    memory("diagnostic.memory.sample", "openclaw.memory.rss_bytes", "memory.rssBytes", &[NONE]),
    memory("diagnostic.memory.sample", "openclaw.memory.heap_used_bytes", "memory.heapUsedBytes", &[NONE]),
    memory("diagnostic.memory.sample", "openclaw.memory.heap_total_bytes", "memory.heapTotalBytes", &[NONE]),
    memory("diagnostic.memory.sample", "openclaw.memory.external_bytes", "memory.externalBytes", &[NONE]),
    memory("diagnostic.memory.sample", "openclaw.memory.array_buffers_bytes", "memory.arrayBuffersBytes", &[NONE]),
    rule("diagnostic.memory.pressure", "openclaw.memory.pressure", One, &[MEMORY_PRESSURE]),
    memory("diagnostic.memory.pressure", "openclaw.memory.rss_bytes", "memory.rssBytes", &[MEMORY_PRESSURE]),
    memory("diagnostic.memory.pressure", "openclaw.memory.heap_used_bytes", "memory.heapUsedBytes", &[MEMORY_PRESSURE]),
    memory("diagnostic.memory.pressure", "openclaw.memory.heap_total_bytes", "memory.heapTotalBytes", &[MEMORY_PRESSURE]),
    memory("diagnostic.memory.pressure", "openclaw.memory.external_bytes", "memory.externalBytes", &[MEMORY_PRESSURE]),
    memory("diagnostic.memory.pressure", "openclaw.memory.array_buffers_bytes", "memory.arrayBuffersBytes", &[MEMORY_PRESSURE]),
    needs(drop_class("droppedEvents", &[&[fixed("openclaw.diagnostic.async_queue.drop_class", "total")]]), &["droppedEvents"]),
    drop_class("droppedTrustedEvents", &[&[fixed("openclaw.diagnostic.async_queue.drop_class", "trusted")]]),
    drop_class("droppedUntrustedEvents", &[&[fixed("openclaw.diagnostic.async_queue.drop_class", "untrusted")]]),
    drop_class("droppedPriorityEvents", &[&[fixed("openclaw.diagnostic.async_queue.drop_class", "priority")]]),
    rule("payload.large", "openclaw.payload.large", One, &[PAYLOAD]),
    rule("payload.large", "openclaw.payload.large_bytes", NonZero("bytes"), &[PAYLOAD]),
    gated(rule("telemetry.exporter", "openclaw.telemetry.exporter.events", One, &[EXPORTER]), TRUSTED),
];

pub fn spec(name: &str) -> Option<&'static Spec> {
    CATALOG.iter().find(|s| s.name == name)
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

/// A bound as a reader thinks of it.
fn fmt_limit(b: f64) -> String {
    if b == BOUND_MS {
        "30 days".into()
    } else if b == BOUND_S {
        "30 days (in s)".into()
    } else if b == BOUND_BYTES {
        "1 TiB".into()
    } else {
        let digits = format!("{b}");
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 && !digits.contains('.') {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// The metric catalog as Markdown; `docs/metrics.md` must equal this (a test checks).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from src/catalog/metrics.rs by `UPDATE_DOCS=1 cargo test catalog_doc`; do not edit. -->\n\
         # Metric catalog\n\n\
         Every instrument this plugin exports. Names starting with `openclaw.` take\n\
         `diagnostics.otel.metricNamePrefix` in place of `openclaw.` when it is set. All values are\n\
         doubles; counters are monotonic sums; temporality is cumulative unless\n\
         `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` asks otherwise.\n\n\
         A value outside `0..=bound` (negative, non-finite or past the bound) is implausible: it is\n\
         skipped alone, never exported, and counted in status() (`implausible`) and in\n\
         `openclaw.telemetry.dropped{openclaw.signal=\"events\",openclaw.reason=\"implausible\"}`; the\n\
         event's other values are still recorded. Spans ending more than an hour ahead of the clock\n\
         or starting more than 7 days before it are skipped and counted the same way.\n\n\
         | name | kind | unit | description | attributes | fed by | bound |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in CATALOG {
        let kind = match s.kind {
            Kind::Counter | Kind::ObservedCounter => "counter",
            Kind::Histogram => "histogram",
        };
        let mut attrs: Vec<String> = Vec::new();
        let mut events: Vec<String> = Vec::new();
        for r in RULES.iter().filter(|r| r.metric == s.name) {
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
        if s.kind == Kind::ObservedCounter {
            attrs = vec!["`openclaw.signal`".into(), "`openclaw.reason`".into()];
            events = vec![format!("the plugin's own loss counts, at each collection. {}", s.note)];
        }
        out.push_str(&format!(
            "| `{}` | {} | `{}` | {} | {} | {} | {} |\n",
            s.name,
            kind,
            s.unit,
            s.description,
            attrs.join(", "),
            events.join(", "),
            fmt_limit(s.bound)
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
    fn names_are_unique_and_rules_name_real_instruments() {
        for (i, s) in CATALOG.iter().enumerate() {
            assert!(CATALOG[..i].iter().all(|o| o.name != s.name), "{} twice", s.name);
        }
        for r in RULES {
            assert!(spec(r.metric).is_some(), "rule for unknown {}", r.metric);
        }
    }

    #[test]
    fn every_instrument_is_fed_by_a_rule() {
        for s in CATALOG {
            // An observed counter is fed by the plugin's own counts, never by an event.
            let fed = RULES.iter().any(|r| r.metric == s.name);
            assert_eq!(fed, s.kind != Kind::ObservedCounter, "{}: fed by a rule = {fed}", s.name);
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
                Kind::Counter | Kind::ObservedCounter => assert!(s.buckets.is_empty(), "{}", s.name),
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
