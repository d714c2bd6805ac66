//! The one table of exported spans: which event makes which span, with which attributes and
//! status. `docs/spans.md` is rendered from it (`render_markdown`). Follows the official
//! plugin for OpenClaw 2026.9; deliberate differences are in docs/differences.md.

use crate::catalog::metrics::{Gate, When};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Internal,
    Client,
}

/// How a span gets its ids from the event's trace context (see `spans.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ids {
    /// A lifecycle with its own diagnostic span: that id is the span's id, its parent the parent.
    Own,
    /// Something that happened inside the diagnostic span: a new id under it.
    Child,
}

#[derive(Clone, Copy, Debug)]
pub enum Src {
    Const(&'static str),
    /// Low-cardinality policy; omitted when absent.
    Low(&'static str),
    /// Low-cardinality policy with a fallback; always present.
    LowOr(&'static str, &'static str),
    /// The value as sent (credentials masked, length bounded); omitted when absent.
    Text(&'static str),
    /// As `Text`, with a fallback when absent.
    TextOr(&'static str, &'static str),
    /// An integer; omitted when absent.
    Int(&'static str),
    /// An integer, 0 when absent.
    IntOr0(&'static str),
    /// An integer only when above zero.
    Positive(&'static str),
    /// A number (fractions kept); omitted when absent.
    Num(&'static str),
    Bool(&'static str),
    /// `true` when the field is true; omitted otherwise.
    TrueOnly(&'static str),
    GenAiOperation,
    /// `gen_ai.system`, or `gen_ai.provider.name` under the latest GenAI conventions.
    GenAiProvider(&'static str),
    /// `usage.promptTokens`, else input + cacheRead + cacheWrite; the flag keeps only values > 0.
    PromptTokens(bool),
    /// An array of strings joined with `:`, low-cardinality.
    Joined(&'static str),
    /// A queue lane reduced to its kind; omitted when absent.
    Lane(&'static str),
    /// The event's agent (`catalog::agent`: `agentId`, else the session key's agent segment, else
    /// the agent learned for its run or session); without one, the fallback, or omitted when None.
    Agent(Option<&'static str>),
}

#[derive(Clone, Copy, Debug)]
pub struct SpanAttr {
    pub key: &'static str,
    pub src: Src,
}

const fn a(key: &'static str, src: Src) -> SpanAttr {
    SpanAttr { key, src }
}

/// The status description of an error span.
#[derive(Clone, Copy, Debug)]
pub enum Msg {
    None,
    Const(&'static str),
    /// A field's text (masked, bounded), else the constant.
    FieldOr(&'static str, &'static str),
    /// `<detector>:<action>` of a tool loop.
    DetectorAction,
    /// An array of strings joined with `:`.
    Joined(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub enum Status {
    Unset,
    ErrorWhen(When, Msg),
}

pub struct SpanSpec {
    pub name: &'static str,
    pub event: &'static str,
    pub when: When,
    pub gate: Gate,
    pub kind: Kind,
    pub ids: Ids,
    /// The span ends at this field (ms since the epoch) if present, else at `ts`.
    pub end_at: &'static str,
    /// Its start is backdated by this duration field; without it the span has no length.
    pub duration: Option<&'static str>,
    pub attrs: &'static [&'static [SpanAttr]],
    pub status: Status,
    /// A span event: its name and one attribute, added when that attribute has a value.
    pub span_event: Option<(&'static str, SpanAttr)>,
}

const fn span(name: &'static str, event: &'static str, ids: Ids, attrs: &'static [&'static [SpanAttr]]) -> SpanSpec {
    SpanSpec {
        name,
        event,
        when: When::Always,
        gate: Gate::Any,
        kind: Kind::Internal,
        ids,
        end_at: "ts",
        duration: Some("durationMs"),
        attrs,
        status: Status::Unset,
        span_event: None,
    }
}

const fn error_when(s: SpanSpec, when: When, msg: Msg) -> SpanSpec {
    SpanSpec { status: Status::ErrorWhen(when, msg), ..s }
}

const fn always_error(s: SpanSpec, msg: Msg) -> SpanSpec {
    error_when(s, When::Always, msg)
}

const fn instant(s: SpanSpec) -> SpanSpec {
    SpanSpec { duration: None, ..s }
}

const fn trusted(s: SpanSpec) -> SpanSpec {
    SpanSpec { gate: Gate::Trusted, ..s }
}

use Ids::{Child, Own};
use Src::*;

const RUN_ATTRS: &[SpanAttr] = &[
    a("openclaw.provider", Text("provider")),
    a("openclaw.model", Text("model")),
    a("openclaw.channel", Text("channel")),
    a("openclaw.trigger", Text("trigger")),
    a("openclaw.agent", Agent(None)),
];
const GEN_AI_ID: &[SpanAttr] =
    &[a("gen_ai.system", GenAiProvider("provider")), a("gen_ai.request.model", Text("model")), a("gen_ai.operation.name", GenAiOperation)];
const RPC: &[SpanAttr] = &[
    a("openclaw.gateway.rpc.method", Text("method")),
    a("openclaw.gateway.rpc.phase", Text("phase")),
    a("openclaw.gateway.rpc.outcome", Text("outcome")),
    a("openclaw.gateway.rpc.admission_ms", Num("admissionMs")),
    a("openclaw.gateway.rpc.response", Text("response")),
];
const USAGE: &[SpanAttr] = &[
    a("openclaw.channel", TextOr("channel", "unknown")),
    a("openclaw.agent", Agent(Some("unknown"))),
    a("openclaw.provider", TextOr("provider", "unknown")),
    a("openclaw.model", TextOr("model", "unknown")),
    a("openclaw.tokens.input", IntOr0("usage.input")),
    a("openclaw.tokens.output", IntOr0("usage.output")),
    a("openclaw.tokens.cache_read", IntOr0("usage.cacheRead")),
    a("openclaw.tokens.cache_write", IntOr0("usage.cacheWrite")),
    a("openclaw.tokens.total", IntOr0("usage.total")),
    a("gen_ai.usage.input_tokens", PromptTokens(true)),
    a("gen_ai.usage.output_tokens", Positive("usage.output")),
    a("gen_ai.usage.cache_read.input_tokens", Positive("usage.cacheRead")),
    a("gen_ai.usage.cache_creation.input_tokens", Positive("usage.cacheWrite")),
];
const USAGE_GEN_AI: &[SpanAttr] =
    &[a("gen_ai.system", GenAiProvider("provider")), a("gen_ai.request.model", Text("model")), a("gen_ai.operation.name", Const("chat"))];
const RUN_DONE: &[SpanAttr] = &[
    a("openclaw.outcome", Text("outcome")),
    a("openclaw.blocked_by", Low("blockedBy")),
    a("openclaw.errorCategory", Low("errorCategory")),
];
const HARNESS: &[SpanAttr] = &[
    a("openclaw.harness.id", LowOr("harnessId", "unknown")),
    a("openclaw.harness.plugin", LowOr("pluginId", "unknown")),
    a("openclaw.provider", LowOr("provider", "unknown")),
    a("openclaw.model", LowOr("model", "unknown")),
    a("openclaw.channel", Low("channel")),
    a("openclaw.agent", Agent(None)),
];
const HARNESS_DONE: &[SpanAttr] = &[
    a("openclaw.outcome", Text("outcome")),
    a("openclaw.harness.result_classification", Low("resultClassification")),
    a("openclaw.harness.yield_detected", Bool("yieldDetected")),
    a("openclaw.harness.items.started", Int("itemLifecycle.startedCount")),
    a("openclaw.harness.items.completed", Int("itemLifecycle.completedCount")),
    a("openclaw.harness.items.active", Int("itemLifecycle.activeCount")),
];
const HARNESS_ERROR: &[SpanAttr] = &[
    a("openclaw.outcome", Const("error")),
    a("openclaw.harness.phase", Text("phase")),
    a("openclaw.errorCategory", LowOr("errorCategory", "other")),
    a("error.type", LowOr("errorCategory", "other")),
    a("openclaw.harness.cleanup_failed", TrueOnly("cleanupFailed")),
];
const MODEL_CALL: &[SpanAttr] = &[
    a("openclaw.provider", Text("provider")),
    a("openclaw.model", Text("model")),
    a("openclaw.model_call.observation_unit", TextOr("observationUnit", "request")),
    a("openclaw.api", Text("api")),
    a("openclaw.transport", Text("transport")),
    a("openclaw.agent", Agent(None)),
    a("openclaw.model_call.request_bytes", Positive("requestPayloadBytes")),
    a("openclaw.model_call.response_bytes", Positive("responseStreamBytes")),
    a("openclaw.model_call.time_to_first_byte_ms", Positive("timeToFirstByteMs")),
    a("openclaw.model_call.prompt.input_messages_count", Int("promptStats.inputMessagesCount")),
    a("openclaw.model_call.prompt.input_messages_chars", Int("promptStats.inputMessagesChars")),
    a("openclaw.model_call.prompt.system_prompt_chars", Int("promptStats.systemPromptChars")),
    a("openclaw.model_call.prompt.tool_definitions_count", Int("promptStats.toolDefinitionsCount")),
    a("openclaw.model_call.prompt.tool_definitions_chars", Int("promptStats.toolDefinitionsChars")),
    a("openclaw.model_call.prompt.total_chars", Int("promptStats.totalChars")),
    a("openclaw.model_call.usage.input_tokens", Int("usage.input")),
    a("openclaw.model_call.usage.output_tokens", Int("usage.output")),
    a("openclaw.model_call.usage.cache_read_input_tokens", Int("usage.cacheRead")),
    a("openclaw.model_call.usage.cache_creation_input_tokens", Int("usage.cacheWrite")),
    a("openclaw.model_call.usage.reasoning_output_tokens", Int("usage.reasoningTokens")),
    a("openclaw.model_call.usage.prompt_tokens", PromptTokens(false)),
    a("openclaw.model_call.usage.total_tokens", Int("usage.total")),
    a("gen_ai.usage.input_tokens", PromptTokens(false)),
    a("gen_ai.usage.output_tokens", Int("usage.output")),
    a("gen_ai.usage.cache_read.input_tokens", Int("usage.cacheRead")),
    a("gen_ai.usage.cache_creation.input_tokens", Int("usage.cacheWrite")),
];
const MODEL_CALL_ERROR: &[SpanAttr] = &[
    a("openclaw.errorCategory", LowOr("errorCategory", "other")),
    a("error.type", LowOr("errorCategory", "other")),
    a("openclaw.failureKind", Low("failureKind")),
];
const TOOL: &[SpanAttr] = &[
    a("openclaw.toolName", Text("toolName")),
    a("openclaw.tool.source", LowOr("toolSource", "core")),
    a("gen_ai.tool.name", Text("toolName")),
    a("openclaw.tool.owner", Low("toolOwner")),
    a("openclaw.tool.params.kind", Text("paramsSummary.kind")),
    a("openclaw.tool.params.length", Int("paramsSummary.length")),
    a("gen_ai.operation.name", Const("execute_tool")),
];
const TOOL_ERROR: &[SpanAttr] = &[a("openclaw.errorCategory", LowOr("errorCategory", "other")), a("openclaw.errorCode", Low("errorCode"))];
const TOOL_BLOCKED: &[SpanAttr] = &[a("openclaw.outcome", Const("blocked")), a("openclaw.deniedReason", LowOr("deniedReason", "other"))];
const EXEC: &[SpanAttr] = &[
    a("openclaw.exec.target", Text("target")),
    a("openclaw.exec.mode", Text("mode")),
    a("openclaw.outcome", Text("outcome")),
    a("openclaw.failureKind", Text("failureKind")),
    a("openclaw.exec.command_length", Int("commandLength")),
    a("openclaw.exec.exit_code", Int("exitCode")),
    a("openclaw.exec.exit_signal", Low("exitSignal")),
    a("openclaw.exec.timed_out", Bool("timedOut")),
];
const WEBHOOK: &[SpanAttr] = &[a("openclaw.channel", LowOr("channel", "unknown")), a("openclaw.webhook", LowOr("updateType", "unknown"))];
const WEBHOOK_ERROR: &[SpanAttr] = &[a("openclaw.error", Text("error"))];
const MESSAGE: &[SpanAttr] = &[
    a("openclaw.channel", LowOr("channel", "unknown")),
    a("openclaw.outcome", TextOr("outcome", "unknown")),
    a("openclaw.reason", Low("reason")),
];
const DELIVERY: &[SpanAttr] =
    &[a("openclaw.channel", LowOr("channel", "unknown")), a("openclaw.delivery.kind", LowOr("deliveryKind", "other"))];
const DELIVERY_DONE: &[SpanAttr] = &[a("openclaw.outcome", Const("completed")), a("openclaw.delivery.result_count", Int("resultCount"))];
const DELIVERY_ERROR: &[SpanAttr] = &[a("openclaw.outcome", Const("error")), a("openclaw.errorCategory", LowOr("errorCategory", "other"))];
const STUCK: &[SpanAttr] =
    &[a("openclaw.state", Text("state")), a("openclaw.queueDepth", IntOr0("queueDepth")), a("openclaw.ageMs", Int("ageMs"))];
const CONTEXT: &[SpanAttr] = &[
    a("openclaw.context.message_count", Int("messageCount")),
    a("openclaw.context.history_text_chars", Int("historyTextChars")),
    a("openclaw.context.history_image_blocks", Int("historyImageBlocks")),
    a("openclaw.context.max_message_text_chars", Int("maxMessageTextChars")),
    a("openclaw.context.system_prompt_chars", Int("systemPromptChars")),
    a("openclaw.context.prompt_chars", Int("promptChars")),
    a("openclaw.context.prompt_images", Int("promptImages")),
    a("openclaw.context.token_budget", Int("contextTokenBudget")),
    a("openclaw.context.reserve_tokens", Int("reserveTokens")),
];
const TOOL_LOOP: &[SpanAttr] = &[
    a("openclaw.toolName", LowOr("toolName", "tool")),
    a("openclaw.loop.level", Text("level")),
    a("openclaw.loop.action", Text("action")),
    a("openclaw.loop.detector", Text("detector")),
    a("openclaw.loop.count", Int("count")),
    a("openclaw.loop.paired_tool", Low("pairedToolName")),
    a("openclaw.agent", Agent(None)),
];
const MEMORY: &[SpanAttr] = &[
    a("openclaw.memory.level", Text("level")),
    a("openclaw.memory.reason", Text("reason")),
    a("openclaw.memory.rss_bytes", Int("memory.rssBytes")),
    a("openclaw.memory.heap_used_bytes", Int("memory.heapUsedBytes")),
    a("openclaw.memory.heap_total_bytes", Int("memory.heapTotalBytes")),
    a("openclaw.memory.external_bytes", Int("memory.externalBytes")),
    a("openclaw.memory.array_buffers_bytes", Int("memory.arrayBuffersBytes")),
    a("openclaw.memory.threshold_bytes", Int("thresholdBytes")),
    a("openclaw.memory.rss_growth_bytes", Int("rssGrowthBytes")),
    a("openclaw.memory.window_ms", Int("windowMs")),
];
const SKILL: &[SpanAttr] = &[
    a("openclaw.skill.name", LowOr("skillName", "skill")),
    a("openclaw.skill.source", LowOr("skillSource", "unknown")),
    a("openclaw.skill.activation", LowOr("activation", "unknown")),
    a("openclaw.toolName", Low("toolName")),
];
const FAILOVER: &[SpanAttr] = &[
    a("openclaw.failover.reason", LowOr("reason", "unknown")),
    a("openclaw.provider", Text("fromProvider")),
    a("openclaw.model", Text("fromModel")),
    a("openclaw.failover.to_provider", Text("toProvider")),
    a("openclaw.failover.to_model", Text("toModel")),
    a("openclaw.lane", Lane("lane")),
    a("openclaw.failover.suspended", Bool("suspended")),
    a("openclaw.failover.cascade_depth", Int("cascadeDepth")),
];
const LIVENESS: &[SpanAttr] = &[
    a("openclaw.liveness.reason", Joined("reasons")),
    a("openclaw.liveness.active", Int("active")),
    a("openclaw.liveness.waiting", Int("waiting")),
    a("openclaw.liveness.queued", Int("queued")),
    a("openclaw.liveness.interval_ms", Num("intervalMs")),
    a("openclaw.liveness.event_loop_delay_p99_ms", Num("eventLoopDelayP99Ms")),
    a("openclaw.liveness.event_loop_delay_max_ms", Num("eventLoopDelayMaxMs")),
    a("openclaw.liveness.event_loop_utilization", Num("eventLoopUtilization")),
    a("openclaw.liveness.cpu_user_ms", Num("cpuUserMs")),
    a("openclaw.liveness.cpu_system_ms", Num("cpuSystemMs")),
    a("openclaw.liveness.cpu_total_ms", Num("cpuTotalMs")),
    a("openclaw.liveness.cpu_core_ratio", Num("cpuCoreRatio")),
];
const PHASE: &[SpanAttr] = &[
    a("openclaw.phase", LowOr("name", "unknown")),
    a("openclaw.phase.cpu_user_ms", Num("cpuUserMs")),
    a("openclaw.phase.cpu_system_ms", Num("cpuSystemMs")),
    a("openclaw.phase.cpu_total_ms", Num("cpuTotalMs")),
    a("openclaw.phase.cpu_core_ratio", Num("cpuCoreRatio")),
];

const fn rpc(name: &'static str, phase: &'static [&'static str]) -> SpanSpec {
    let s = trusted(span(name, "gateway.rpc", Own, &[RPC]));
    SpanSpec { when: When::Is("phase", phase), ..error_when(s, When::Is("outcome", &["error", "threw"]), Msg::None) }
}

const fn model_call(event: &'static str, attrs: &'static [&'static [SpanAttr]]) -> SpanSpec {
    let s = span("openclaw.model.call", event, Own, attrs);
    SpanSpec {
        kind: Kind::Client,
        span_event: Some(("openclaw.provider.request", a("openclaw.upstreamRequestIdHash", Low("upstreamRequestIdHash")))),
        ..s
    }
}

const fn tool(event: &'static str, attrs: &'static [&'static [SpanAttr]]) -> SpanSpec {
    SpanSpec { end_at: "sourceTimestampMs", ..span("openclaw.tool.execution", event, Own, attrs) }
}

/// Events that announce a lifecycle span before it completes: the span id in their trace
/// context will be exported when the lifecycle ends (gateway.rpc: its response phase), so a
/// span that happens inside it may name it as its parent right away.
pub const ANNOUNCES: &[&str] = &["gateway.rpc", "harness.run.started", "run.started", "model.call.started", "tool.execution.started"];

pub const SPANS: &[SpanSpec] = &[
    rpc("openclaw.gateway.rpc.response", &["response"]),
    rpc("openclaw.gateway.rpc.handler", &["handler"]),
    rpc("openclaw.gateway.rpc.dispatch", &["dispatch"]),
    span("openclaw.model.usage", "model.usage", Own, &[USAGE, USAGE_GEN_AI]),
    error_when(
        span("openclaw.run", "run.completed", Own, &[RUN_DONE, RUN_ATTRS]),
        When::Is("outcome", &["error"]),
        Msg::FieldOr("errorCategory", ""),
    ),
    error_when(
        span("openclaw.harness.run", "harness.run.completed", Own, &[HARNESS, HARNESS_DONE]),
        When::Is("outcome", &["error"]),
        Msg::Const("error"),
    ),
    always_error(span("openclaw.harness.run", "harness.run.error", Own, &[HARNESS, HARNESS_ERROR]), Msg::FieldOr("errorCategory", "other")),
    model_call("model.call.completed", &[MODEL_CALL, GEN_AI_ID]),
    always_error(model_call("model.call.error", &[MODEL_CALL, GEN_AI_ID, MODEL_CALL_ERROR]), Msg::FieldOr("errorCategory", "")),
    tool("tool.execution.completed", &[TOOL, RUN_ATTRS]),
    always_error(tool("tool.execution.error", &[TOOL, TOOL_ERROR, RUN_ATTRS]), Msg::FieldOr("errorCategory", "")),
    instant(tool("tool.execution.blocked", &[TOOL, TOOL_BLOCKED, RUN_ATTRS])),
    error_when(
        span("openclaw.exec", "exec.process.completed", Child, &[EXEC]),
        When::Is("outcome", &["failed"]),
        Msg::FieldOr("failureKind", ""),
    ),
    span("openclaw.webhook.processed", "webhook.processed", Child, &[WEBHOOK]),
    always_error(instant(span("openclaw.webhook.error", "webhook.error", Child, &[WEBHOOK, WEBHOOK_ERROR])), Msg::FieldOr("error", "")),
    error_when(
        span("openclaw.message.processed", "message.processed", Own, &[MESSAGE]),
        When::Is("outcome", &["error"]),
        Msg::FieldOr("error", ""),
    ),
    span("openclaw.message.delivery", "message.delivery.completed", Child, &[DELIVERY, DELIVERY_DONE]),
    always_error(
        span("openclaw.message.delivery", "message.delivery.error", Child, &[DELIVERY, DELIVERY_ERROR]),
        Msg::FieldOr("errorCategory", ""),
    ),
    always_error(instant(span("openclaw.session.stuck", "session.stuck", Child, &[STUCK])), Msg::Const("session stuck")),
    instant(span("openclaw.context.assembled", "context.assembled", Own, &[CONTEXT, RUN_ATTRS])),
    error_when(
        instant(span("openclaw.tool.loop", "tool.loop", Child, &[TOOL_LOOP])),
        When::AnyOf(&[When::Is("level", &["critical"]), When::Is("action", &["block"])]),
        Msg::DetectorAction,
    ),
    error_when(
        instant(span("openclaw.memory.pressure", "diagnostic.memory.pressure", Child, &[MEMORY])),
        When::Is("level", &["critical"]),
        Msg::FieldOr("reason", ""),
    ),
    trusted(instant(span("openclaw.skill.used", "skill.used", Child, &[SKILL, RUN_ATTRS]))),
    instant(span("openclaw.model.failover", "model.failover", Child, &[FAILOVER])),
    always_error(instant(span("openclaw.liveness.warning", "diagnostic.liveness.warning", Child, &[LIVENESS])), Msg::Joined("reasons")),
    span("openclaw.diagnostic.phase", "diagnostic.phase.completed", Child, &[PHASE]),
];

/// The span catalog as Markdown; `docs/spans.md` must equal this (a test checks).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from src/catalog/spans.rs by `UPDATE_DOCS=1 cargo test span_doc`; do not edit. -->\n\
         # Span catalog\n\n\
         Every span this plugin exports, built when the event that completes it arrives: it ends at\n\
         the event's `ts` and starts `durationMs` earlier (instants have no duration). Ids come from\n\
         the event's trust-vouched `trace` context: **own** spans take the runtime's diagnostic span\n\
         id as their id and its parent as their parent, so the exported tree is the runtime's own and\n\
         log records' span ids point at exported spans; **child** spans are new spans under the\n\
         diagnostic span they happened in. Without a trace context a span is a new root.\n\n\
         No exported span names a parent that is never exported. A parent is kept when it was\n\
         exported already, when a lifecycle start announced it (`gateway.rpc`, `harness.run.started`,\n\
         `run.started`, `model.call.started`, `tool.execution.started`: it is exported when that\n\
         lifecycle completes), or when it is a remote caller's span. Otherwise the span goes under\n\
         the context's parent if that is known, else becomes a root of the same trace; with the\n\
         plugin config's `unknownParents: \"new-trace\"` it starts a trace of its own, linked to\n\
         the context it happened in. The default keeps a turn in one tree, which is what trace\n\
         backends such as Jaeger and Langfuse show best. A child may end after its parent (a\n\
         message processed after its RPC answered): OpenTelemetry allows it, and it is what\n\
         happened.\n\n\
         Session keys, session/run/call/message ids never become attributes; `OPENCLAW_OTEL_SESSION_HASH_SALT`\n\
         adds `openclaw.session.hash` (salted SHA-256, 16 hex) for grouping.\n\n\
         | span | event | kind | ids | gate | attributes | error status |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in SPANS {
        let kind = match s.kind {
            Kind::Internal => "internal",
            Kind::Client => "client",
        };
        let ids = match s.ids {
            Ids::Own => "own",
            Ids::Child => "child",
        };
        let gate = match s.gate {
            Gate::Any => "any",
            Gate::Trusted => "trusted",
            Gate::TrustedOrInternal => "trusted or internal",
        };
        let mut attrs: Vec<String> = Vec::new();
        for x in s.attrs.iter().flat_map(|g| g.iter()) {
            let k = match x.src {
                Src::GenAiProvider(_) => "`gen_ai.system` (or `gen_ai.provider.name`)".to_string(),
                _ => format!("`{}`", x.key),
            };
            if !attrs.contains(&k) {
                attrs.push(k);
            }
        }
        let event = match s.when {
            When::Is(f, v) => format!("`{}` ({f} {})", s.event, v.join("/")),
            _ => format!("`{}`", s.event),
        };
        let status = match s.status {
            Status::Unset => "never".to_string(),
            Status::ErrorWhen(When::Always, _) => "always".to_string(),
            Status::ErrorWhen(When::Is(f, v), _) => format!("{f} = {}", v.join("/")),
            Status::ErrorWhen(When::AnyOf(_), _) => "level critical or action block".to_string(),
            Status::ErrorWhen(When::IsNot(f, v), _) => format!("{f} != {v}"),
        };
        let mut extra = String::new();
        if let Some((name, attr)) = s.span_event {
            extra = format!("; span event `{name}` with `{}`", attr.key);
        }
        out.push_str(&format!("| `{}` | {event} | {kind} | {ids} | {gate} | {}{extra} | {status} |\n", s.name, attrs.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spans.md");
        let rendered = render_markdown();
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(path, &rendered).expect("write docs/spans.md");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(on_disk, rendered, "docs/spans.md is stale: run UPDATE_DOCS=1 cargo test span_doc");
    }
}
