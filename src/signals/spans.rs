//! Completed diagnostic events to spans, driven by `SPANS` in `catalog/spans.rs`.
//!
//! A span is built when its event arrives (events carry `ts` and `durationMs`), so nothing is
//! held open and nothing leaks when a run never finishes. Ids come from the event's trace
//! context: a lifecycle span (run, model call, harness run, tool execution) takes the
//! diagnostic span id as its own and the diagnostic parent as its parent, so the exported tree
//! is exactly the runtime's; a point span (usage, message, webhook, ...) is a new child of the
//! diagnostic span it happened in. Without a trace context a span is a new root.

use crate::catalog::metrics::BOUND_MS;
use crate::catalog::spans::{Ids, Kind, Msg, SpanAttr, SpanSpec, Src, Status, ANNOUNCES, SPANS};
use crate::catalog::{agent, gen_ai_operation, holds};
use crate::config::{Sampling, UnknownParents};
use crate::event::{trace_ctx, Event, Malformed, TraceCtx, Trust, MAX_VALUE};
use crate::policy::{bounded_owned, bounded_text, lane_kept, low_cardinality, low_cardinality_kept, UNKNOWN};
use crate::time::{from_unix_ms, plausible};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Span ids already exported by this generation, so a repeated lifecycle id can never yield
/// two spans with one id (the later one becomes a child instead).
const RECENT_IDS: usize = 8192;

/// Inserts into a bounded set of recent ids; false when it was there already.
fn remember(set: &Mutex<(VecDeque<SpanId>, HashSet<SpanId>)>, id: SpanId) -> bool {
    let Ok(mut r) = set.lock() else { return false };
    if !r.1.insert(id) {
        return false;
    }
    r.0.push_back(id);
    if r.0.len() > RECENT_IDS {
        if let Some(old) = r.0.pop_front() {
            r.1.remove(&old);
        }
    }
    true
}

/// What `Tracer::build` made of one span rule.
enum Built {
    Span(Box<SpanData>),
    SampledOut,
    Implausible,
}

/// Uniformly random bits for new ids: SplitMix64 per thread, seeded once from the OS. Ids need
/// uniqueness and uniform bits (the ratio sampler reads them), not secrecy; a system call per id
/// would cost more than building the span.
fn random_u64() -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(os_seed());
    }
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

fn os_seed() -> u64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    // No OS randomness: time and thread still make distinct streams.
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    nanos ^ h.finish()
}

fn random_u128() -> u128 {
    (u128::from(random_u64()) << 64) | u128::from(random_u64())
}

fn new_span_id() -> SpanId {
    loop {
        let v = random_u64();
        if v != 0 {
            return SpanId::from(v);
        }
    }
}

/// The trace-id ratio rule of the OpenTelemetry specification: the lower 8 bytes against the
/// ratio, so every span of one trace gets the same answer without shared state.
pub fn ratio_keeps(trace_id: TraceId, ratio: f64) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    if ratio <= 0.0 {
        return false;
    }
    let bytes = trace_id.to_bytes();
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[8..]);
    let x = u64::from_be_bytes(low) >> 1;
    (x as f64) < ratio * (1u64 << 63) as f64
}

/// A salted SHA-256 of a session key: 16 hex characters, for grouping without the key.
pub fn session_hash(salt: &str, key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("{salt}\u{0}{key}").as_bytes());
    digest.as_ref().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `usage.promptTokens`, else the sum of the input parts that are present.
fn prompt_tokens(ev: &Event, read: &mut Numbers) -> Result<Option<f64>, Malformed> {
    if let Some(p) = number(ev, "usage.promptTokens", read)? {
        return Ok(Some(p));
    }
    let parts = [number(ev, "usage.input", read)?, number(ev, "usage.cacheRead", read)?, number(ev, "usage.cacheWrite", read)?];
    Ok(parts.iter().any(Option::is_some).then(|| parts.iter().flatten().sum()))
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// What a policy keeps of `v` (`kept` is a slice of it) as a value: `v` itself when kept whole,
/// so the usual value costs no second copy.
fn kept_value(v: String, kept: fn(&str) -> Option<&str>, fallback: &'static str) -> opentelemetry::Value {
    match kept(&v) {
        Some(k) if k.len() == v.len() => v.into(),
        Some(k) => k.to_string().into(),
        None => fallback.into(),
    }
}

/// A low-cardinality value: the event's text if the policy keeps it, else `fallback`.
fn low_value(v: Option<String>, fallback: &'static str) -> opentelemetry::Value {
    match v {
        Some(v) => kept_value(v, low_cardinality_kept, fallback),
        None => fallback.into(),
    }
}

/// Numbers already read for this span: attributes often read one field twice (`usage.output`
/// for the OpenClaw and the GenAI key, and again for the prompt total).
type Numbers = Vec<(&'static str, Option<f64>)>;

fn number(ev: &Event, field: &'static str, read: &mut Numbers) -> Result<Option<f64>, Malformed> {
    if let Some((_, v)) = read.iter().find(|(f, _)| *f == field) {
        return Ok(*v);
    }
    let v = ev.num(field)?;
    read.push((field, v));
    Ok(v)
}

impl Tracer {
    /// A quantity for a span attribute: negative or corrupt ones are left out and counted.
    fn plausible(&self, v: Option<f64>) -> Option<f64> {
        let v = v?;
        if (0.0..=MAX_VALUE).contains(&v) {
            return Some(v);
        }
        self.implausible.fetch_add(1, Relaxed);
        None
    }

    fn attribute(&self, ev: &Event, a: &SpanAttr, read: &mut Numbers) -> Result<Option<KeyValue>, Malformed> {
        let key = a.key;
        let text = |v: opentelemetry::Value| Some(KeyValue::new(key, v));
        let int = |v: f64| Some(KeyValue::new(key, v as i64));
        Ok(match a.src {
            Src::Const(v) => Some(KeyValue::new(key, v)),
            Src::Low(f) => nonempty(ev.text(f)?).and_then(|v| text(kept_value(v, low_cardinality_kept, UNKNOWN))),
            Src::LowOr(f, fallback) => text(low_value(nonempty(ev.text(f)?), fallback)),
            Src::Text(f) => nonempty(ev.text(f)?).and_then(|v| text(bounded_owned(v).into())),
            Src::TextOr(f, fallback) => text(nonempty(ev.text(f)?).map_or_else(|| fallback.into(), |v| bounded_owned(v).into())),
            Src::Int(f) => self.plausible(number(ev, f, read)?).and_then(int),
            Src::IntOr0(f) => self.plausible(Some(number(ev, f, read)?.unwrap_or(0.0))).and_then(int),
            Src::Positive(f) => self.plausible(number(ev, f, read)?).filter(|v| *v > 0.0).and_then(int),
            Src::Num(f) => self.plausible(number(ev, f, read)?).map(|v| KeyValue::new(key, v)),
            Src::Bool(f) => ev.flag(f)?.map(|b| KeyValue::new(key, b)),
            Src::TrueOnly(f) => ev.flag(f)?.filter(|b| *b).map(|b| KeyValue::new(key, b)),
            Src::GenAiOperation => Some(KeyValue::new(key, gen_ai_operation(ev)?)),
            Src::GenAiProvider(f) => Some(KeyValue::new(self.gen_ai_provider_key(), low_value(nonempty(ev.text(f)?), UNKNOWN))),
            Src::PromptTokens(positive_only) => {
                self.plausible(prompt_tokens(ev, read)?).filter(|v| !positive_only || *v > 0.0).and_then(int)
            }
            Src::Joined(f) => text(low_value(ev.strings(f)?.map(|v| v.join(":")), UNKNOWN)),
            Src::Lane(f) => nonempty(ev.text(f)?).and_then(|v| text(kept_value(v, lane_kept, UNKNOWN))),
            Src::Agent(fallback) => match (agent(ev)?, fallback) {
                (Some(id), _) => text(id.into()),
                (None, Some(f)) => text(f.into()),
                (None, None) => None,
            },
        })
    }

    fn gen_ai_provider_key(&self) -> &'static str {
        if self.latest_gen_ai {
            "gen_ai.provider.name"
        } else {
            "gen_ai.system"
        }
    }

    fn message(&self, ev: &Event, msg: Msg) -> Result<String, Malformed> {
        Ok(match msg {
            Msg::None => String::new(),
            Msg::Const(c) => c.to_string(),
            Msg::FieldOr(f, fallback) => nonempty(ev.text(f)?).map_or_else(|| fallback.to_string(), |v| bounded_text(v.trim())),
            Msg::DetectorAction => format!("{}:{}", ev.text("detector")?.unwrap_or_default(), ev.text("action")?.unwrap_or_default()),
            Msg::Joined(f) => ev.strings(f)?.map(|v| v.join(":")).unwrap_or_default(),
        })
    }
}

/// What `Tracer::spans` decided about one event.
#[derive(Debug, Default, PartialEq)]
pub struct Decision {
    pub built: usize,
    pub sampled_out: usize,
}

/// A span rule with what `build` needs to know of its attributes ahead of time.
struct Planned {
    spec: &'static SpanSpec,
    /// How many attributes it can have at most.
    attrs: usize,
    /// Whether two of its attributes share a key (then a later one replaces an earlier one).
    repeats: bool,
}

pub struct Tracer {
    specs: rustc_hash::FxHashMap<&'static str, Vec<Planned>>,
    sampling: Sampling,
    salt: Option<String>,
    scope: InstrumentationScope,
    /// OTEL_SEMCONV_STABILITY_OPT_IN has gen_ai_latest_experimental.
    latest_gen_ai: bool,
    recent: Mutex<(VecDeque<SpanId>, HashSet<SpanId>)>,
    /// Lifecycle span ids announced (`ANNOUNCES`) that will be exported when they complete.
    announced: Mutex<(VecDeque<SpanId>, HashSet<SpanId>)>,
    /// For a span whose parent is neither exported nor announced.
    pub unknown_parents: UnknownParents,
    /// Spans placed away from a parent that is never exported.
    pub reparented: Arc<AtomicU64>,
    /// Spans the sampler left out; shared with the status view.
    pub sampled_out: Arc<AtomicU64>,
    /// Spans and numeric attributes skipped as implausible; shared with the status view.
    pub implausible: Arc<AtomicU64>,
    /// The clock span times are judged against (fixed in tests that replay old events).
    pub now_ms: fn() -> f64,
}

impl Tracer {
    pub fn new(sampling: Sampling, salt: Option<String>, latest_gen_ai: bool) -> Self {
        let mut specs: rustc_hash::FxHashMap<&'static str, Vec<Planned>> = Default::default();
        for s in SPANS {
            let keys: Vec<&str> = s
                .attrs
                .iter()
                .flat_map(|g| g.iter())
                .map(|a| match a.src {
                    Src::GenAiProvider(_) if latest_gen_ai => "gen_ai.provider.name",
                    Src::GenAiProvider(_) => "gen_ai.system",
                    _ => a.key,
                })
                .collect();
            let repeats = keys.iter().enumerate().any(|(i, k)| keys.get(..i).is_some_and(|before| before.contains(k)));
            specs.entry(s.event).or_default().push(Planned { spec: s, attrs: keys.len(), repeats });
        }
        Tracer {
            specs,
            sampling,
            salt,
            latest_gen_ai,
            scope: InstrumentationScope::builder("openclaw").with_version(env!("CARGO_PKG_VERSION")).build(),
            recent: Mutex::new((VecDeque::new(), HashSet::new())),
            announced: Mutex::new((VecDeque::new(), HashSet::new())),
            unknown_parents: UnknownParents::default(),
            reparented: Arc::default(),
            sampled_out: Default::default(),
            implausible: Default::default(),
            now_ms: crate::time::now_ms,
        }
    }

    /// True the first time this generation sees `id`.
    fn claim(&self, id: SpanId) -> bool {
        remember(&self.recent, id)
    }

    /// Exported (claimed) or announced by a lifecycle that has started.
    fn known(&self, id: SpanId) -> bool {
        let has = |set: &Mutex<(VecDeque<SpanId>, HashSet<SpanId>)>| set.lock().map(|r| r.1.contains(&id)).unwrap_or(false);
        has(&self.recent) || has(&self.announced)
    }

    /// The trace, parent and link of a span that happened in context `c`, whose parent would be
    /// the first of `candidates`: the first that is exported or announced (or a remote caller's
    /// span), else per `unknown_parents`. No exported span names a parent that is never exported.
    fn place(
        &self,
        c: &TraceCtx,
        candidates: [Option<SpanId>; 2],
    ) -> (TraceId, Option<(SpanId, bool)>, Option<opentelemetry::trace::Link>) {
        let remote = |id: SpanId| c.parent_remote && c.parent_span_id == Some(id);
        if let Some(p) = candidates.iter().flatten().find(|id| remote(**id) || self.known(**id)) {
            return (c.trace_id, Some((*p, remote(*p))), None);
        }
        let Some(wanted) = candidates.iter().flatten().next() else { return (c.trace_id, None, None) };
        self.reparented.fetch_add(1, Relaxed);
        match self.unknown_parents {
            UnknownParents::Nearest => (c.trace_id, None, None),
            UnknownParents::NewTrace => {
                let from = SpanContext::new(c.trace_id, *wanted, TraceFlags::SAMPLED, false, TraceState::default());
                (TraceId::from(random_u128().max(1)), None, Some(opentelemetry::trace::Link::with_context(from)))
            }
        }
    }

    fn keeps(&self, cx: Option<&TraceCtx>, trace_id: TraceId, has_parent: bool) -> bool {
        if self.sampling.parent_based && has_parent {
            if let Some(sampled) = cx.filter(|c| c.parent_remote).and_then(|c| c.sampled) {
                return sampled;
            }
        }
        ratio_keeps(trace_id, self.sampling.ratio)
    }

    /// The spans one event yields (empty for types without spans or not trusted enough).
    pub fn spans(&self, ev: &Event, trust: Trust) -> Result<(Vec<SpanData>, Decision), Malformed> {
        let mut out = Vec::new();
        let mut decision = Decision::default();
        if ANNOUNCES.contains(&ev.kind()) {
            if let Some(id) = trace_ctx(ev, trust).and_then(|c| c.span_id) {
                remember(&self.announced, id);
            }
        }
        let Some(specs) = self.specs.get(ev.kind()) else { return Ok((out, decision)) };
        for planned in specs {
            let spec = planned.spec;
            if !spec.gate.admits(trust) || !holds(ev, spec.when)? {
                continue;
            }
            match self.build(ev, trust, planned)? {
                Built::Span(span) => {
                    decision.built += 1;
                    out.push(*span);
                }
                Built::SampledOut => {
                    decision.sampled_out += 1;
                    self.sampled_out.fetch_add(1, Relaxed);
                }
                Built::Implausible => {
                    self.implausible.fetch_add(1, Relaxed);
                }
            }
        }
        Ok((out, decision))
    }

    /// The span, unless the sampler leaves it out (then nothing else is computed) or its times
    /// are implausible.
    fn build(&self, ev: &Event, trust: Trust, planned: &Planned) -> Result<Built, Malformed> {
        let spec = planned.spec;
        let cx = trace_ctx(ev, trust);
        let ((trace_id, parent, link), span_id) = match (&cx, spec.ids) {
            (None, _) => ((TraceId::from(random_u128().max(1)), None, None), new_span_id()),
            (Some(c), Ids::Own) => match c.span_id.filter(|id| self.claim(*id)) {
                Some(own) => (self.place(c, [c.parent_span_id, None]), own),
                None => (self.place(c, [c.span_id, c.parent_span_id]), new_span_id()),
            },
            (Some(c), Ids::Child) => (self.place(c, [c.span_id, c.parent_span_id]), new_span_id()),
        };
        if !self.keeps(cx.as_ref(), trace_id, parent.is_some()) {
            return Ok(Built::SampledOut);
        }
        let now = (self.now_ms)();
        let end_ms = ev.num(spec.end_at)?.or(ev.num("ts")?).unwrap_or(now);
        let duration = match spec.duration {
            Some(f) => ev.num(f)?,
            None => None,
        };
        let start_ms = end_ms - duration.unwrap_or(0.0);
        if duration.is_some_and(|d| !(0.0..=BOUND_MS).contains(&d)) || !plausible(end_ms, now) || !plausible(start_ms, now) {
            return Ok(Built::Implausible);
        }
        let end_time = from_unix_ms(end_ms);
        let start_time = from_unix_ms(start_ms);
        let mut numbers = Numbers::new();
        let mut attributes = Vec::with_capacity(planned.attrs + 1);
        for a in spec.attrs.iter().flat_map(|g| g.iter()) {
            if let Some(kv) = self.attribute(ev, a, &mut numbers)? {
                // A later group may refine a key an earlier one set (completion over start).
                if planned.repeats {
                    attributes.retain(|x: &KeyValue| x.key != kv.key);
                }
                attributes.push(kv);
            }
        }
        if let Some(salt) = &self.salt {
            if let Some(key) = ev.text("sessionKey")?.or(ev.text("sessionId")?).filter(|k| !k.is_empty()) {
                attributes.push(KeyValue::new("openclaw.session.hash", session_hash(salt, &key)));
            }
        }
        let status = match spec.status {
            Status::Unset => opentelemetry::trace::Status::Unset,
            Status::ErrorWhen(when, msg) if holds(ev, when)? => opentelemetry::trace::Status::error(self.message(ev, msg)?),
            Status::ErrorWhen(..) => opentelemetry::trace::Status::Unset,
        };
        let mut events = SpanEvents::default();
        if let Some((name, attr)) = spec.span_event {
            if let Some(kv) = self.attribute(ev, &attr, &mut numbers)?.filter(|kv| kv.value.as_str() != UNKNOWN) {
                events.events.push(opentelemetry::trace::Event::new(name, end_time, vec![kv], 0));
            }
        }
        let name: std::borrow::Cow<'static, str> = if spec.kind == Kind::Client && self.latest_gen_ai {
            match gen_ai_operation(ev)? {
                "invoke_agent" => "invoke_agent".into(),
                op => format!("{op} {}", low_cardinality(ev.text("model")?.as_deref(), UNKNOWN)).into(),
            }
        } else {
            spec.name.into()
        };
        Ok(Built::Span(Box::new(SpanData {
            span_context: SpanContext::new(trace_id, span_id, TraceFlags::SAMPLED, false, TraceState::default()),
            parent_span_id: parent.map_or(SpanId::INVALID, |(p, _)| p),
            parent_span_is_remote: parent.is_some_and(|(_, remote)| remote),
            span_kind: match spec.kind {
                Kind::Internal => SpanKind::Internal,
                Kind::Client => SpanKind::Client,
            },
            name,
            start_time,
            end_time,
            attributes,
            dropped_attributes_count: 0,
            events,
            links: {
                let mut links = SpanLinks::default();
                links.links.extend(link);
                links
            },
            status,
            instrumentation_scope: self.scope.clone(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse;

    const TRUSTED: Trust = Trust { trusted: true, internal: false, trusted_trace_context: false };

    /// The fixtures' events happened at 1795332876000 ms; judge their times from then.
    fn replaying(mut t: Tracer) -> Tracer {
        t.now_ms = || 1_795_332_880_000.0;
        t
    }

    fn tracer(ratio: f64) -> Tracer {
        replaying(Tracer::new(Sampling { ratio, parent_based: true, source: "test" }, None, false))
    }

    fn one(t: &Tracer, json: &str, trust: Trust) -> SpanData {
        let (mut spans, d) = t.spans(&parse(json).unwrap(), trust).unwrap();
        assert_eq!((spans.len(), d.sampled_out), (1, 0), "{json}");
        spans.remove(0)
    }

    fn attr(s: &SpanData, key: &str) -> Option<String> {
        s.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
    }

    const RUN: &str = r#"{"type":"run.completed","runId":"r1","sessionKey":"agent:main:main","sessionId":"s1","provider":"openai","model":"gpt-5","channel":"webchat","outcome":"error","errorCategory":"provider_error","durationMs":1500,"ts":1795332876000,
        "trace":{"traceId":"a53beef80061e282ce750b1826601f3c","spanId":"9dd1d2a483f23586","parentSpanId":"e44af4882ea5a7cb","traceFlags":"01"}}"#;

    #[test]
    fn implausible_times_skip_the_span_and_count_it() {
        let t = tracer(1.0);
        for (what, json) in [
            ("a corrupt duration would start it in 1970", RUN.replace(r#""durationMs":1500"#, r#""durationMs":1e15"#)),
            ("a negative duration", RUN.replace(r#""durationMs":1500"#, r#""durationMs":-5"#)),
            ("ts 0", RUN.replace("1795332876000", "0")),
            ("two hours ahead of the clock", RUN.replace("1795332876000", "1795340080000")),
        ] {
            let (spans, d) = t.spans(&parse(&json).unwrap(), TRUSTED).unwrap();
            assert!(spans.is_empty() && d == Decision::default(), "{what}");
        }
        assert_eq!(t.implausible.load(Relaxed), 4);
        let usage = RUN.replace(r#""type":"run.completed""#, r#""type":"model.usage","usage":{"input":-3,"output":7}"#);
        let s = one(&t, &usage, TRUSTED);
        assert_eq!(attr(&s, "openclaw.tokens.output").as_deref(), Some("7"));
        assert_eq!(attr(&s, "openclaw.tokens.input"), None, "a negative count is left out");
        // The input count feeds two attributes: openclaw.tokens.input and the GenAI input tokens.
        assert_eq!(t.implausible.load(Relaxed), 6);
    }

    /// A lifecycle start in `trace` with span `span`: its id will be exported.
    fn announce(t: &Tracer, trace: &str, span: &str) {
        let ev = format!(
            r#"{{"type":"harness.run.started","ts":1795332870000,"trace":{{"traceId":"{trace}","spanId":"{span}","traceFlags":"01"}}}}"#
        );
        assert!(t.spans(&parse(&ev).unwrap(), TRUSTED).unwrap().0.is_empty());
    }

    #[test]
    fn lifecycle_spans_keep_the_runtime_ids_and_times() {
        let t = tracer(1.0);
        announce(&t, "a53beef80061e282ce750b1826601f3c", "e44af4882ea5a7cb");
        let s = one(&t, RUN, TRUSTED);
        assert_eq!(s.name, "openclaw.run");
        assert_eq!(s.span_context.trace_id().to_string(), "a53beef80061e282ce750b1826601f3c");
        assert_eq!(s.span_context.span_id().to_string(), "9dd1d2a483f23586");
        assert_eq!(s.parent_span_id.to_string(), "e44af4882ea5a7cb");
        let ms = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_millis();
        assert_eq!((ms(s.start_time), ms(s.end_time)), (1795332874500, 1795332876000));
        assert_eq!(s.status, opentelemetry::trace::Status::error("provider_error"));
        assert_eq!(attr(&s, "openclaw.errorCategory").as_deref(), Some("provider_error"));
        for k in ["openclaw.sessionKey", "openclaw.sessionId", "openclaw.runId", "openclaw.session.hash"] {
            assert_eq!(attr(&s, k), None, "{k}");
        }
        assert!(s.attributes.iter().all(|kv| !kv.value.to_string().contains("agent:main")));
    }

    #[test]
    fn a_repeated_id_becomes_a_child_and_untrusted_context_a_new_root() {
        let t = tracer(1.0);
        announce(&t, "fd9c3f71a139a76f5871d8a18c69eaea", "44fee54ae5485663");
        let first = one(&t, RUN, TRUSTED);
        let again = one(&t, RUN, TRUSTED);
        assert_ne!(again.span_context.span_id(), first.span_context.span_id());
        assert_eq!(again.parent_span_id, first.span_context.span_id());
        let untrusted = one(&t, RUN, Trust::default());
        assert_ne!(untrusted.span_context.trace_id(), first.span_context.trace_id());
        assert_eq!(untrusted.parent_span_id, SpanId::INVALID);
        let vouched = Trust { trusted_trace_context: true, ..Trust::default() };
        let exec = r#"{"type":"exec.process.completed","target":"host","mode":"child","outcome":"failed","failureKind":"exit_code","exitCode":2,"commandLength":16,"durationMs":124,"ts":1795332881233,
            "trace":{"traceId":"fd9c3f71a139a76f5871d8a18c69eaea","spanId":"44fee54ae5485663","parentSpanId":"39b663c0e244045c","traceFlags":"01"}}"#;
        let s = one(&t, exec, vouched);
        assert_eq!(s.parent_span_id.to_string(), "44fee54ae5485663", "a point span hangs under the span it happened in");
        assert_eq!(attr(&s, "openclaw.exec.exit_code").as_deref(), Some("2"));
        assert_eq!(s.status, opentelemetry::trace::Status::error("exit_code"));
    }

    #[test]
    fn no_span_names_a_parent_that_is_never_exported() {
        // The run's parent was never announced nor exported: a root in the same trace.
        let t = tracer(1.0);
        let s = one(&t, RUN, TRUSTED);
        assert_eq!(s.span_context.trace_id().to_string(), "a53beef80061e282ce750b1826601f3c");
        assert_eq!(s.span_context.span_id().to_string(), "9dd1d2a483f23586");
        assert_eq!(s.parent_span_id, SpanId::INVALID);
        assert_eq!(t.reparented.load(Relaxed), 1);
        // A point span in a context whose own span is unknown goes to the nearest known ancestor.
        let usage = r#"{"type":"model.usage","provider":"p","model":"m","usage":{"input":1},"ts":1795332876000,
            "trace":{"traceId":"a53beef80061e282ce750b1826601f3c","spanId":"1111111111111111","parentSpanId":"9dd1d2a483f23586","traceFlags":"01"}}"#;
        assert_eq!(one(&t, usage, TRUSTED).parent_span_id.to_string(), "9dd1d2a483f23586");
        // A remote caller's span stays the parent: it is exported by the caller.
        let remote = RUN
            .replace("9dd1d2a483f23586", "2222222222222222")
            .replace(r#""traceFlags":"01"}"#, r#""traceFlags":"01","parentSpanIdSource":"remote"}"#);
        let r = one(&t, &remote, TRUSTED);
        assert_eq!(r.parent_span_id.to_string(), "e44af4882ea5a7cb");
        assert!(r.parent_span_is_remote);
        // new-trace: its own trace, linked to where it happened.
        let mut t = tracer(1.0);
        t.unknown_parents = UnknownParents::NewTrace;
        let s = one(&t, RUN, TRUSTED);
        assert_ne!(s.span_context.trace_id().to_string(), "a53beef80061e282ce750b1826601f3c");
        assert_eq!(s.parent_span_id, SpanId::INVALID);
        let link = &s.links.links[0].span_context;
        assert_eq!(
            (link.trace_id().to_string(), link.span_id().to_string()),
            ("a53beef80061e282ce750b1826601f3c".into(), "e44af4882ea5a7cb".into())
        );
    }

    #[test]
    fn invalid_trace_context_is_ignored_whole() {
        for bad in [
            r#"{"traceId":"00000000000000000000000000000000","spanId":"9dd1d2a483f23586"}"#,
            r#"{"traceId":"a53beef80061e282ce750b1826601f3c","spanId":"xyz"}"#,
            r#"{"traceId":"a53beef8","spanId":"9dd1d2a483f23586"}"#,
        ] {
            let ev = parse(&format!(r#"{{"type":"run.completed","trace":{bad}}}"#)).unwrap();
            assert_eq!(trace_ctx(&ev, TRUSTED), None, "{bad}");
        }
    }

    #[test]
    fn ratio_sampling_is_per_trace_and_near_the_ratio() {
        let kept = (0..20_000u128).filter(|i| ratio_keeps(TraceId::from(random_u128() ^ i), 0.25)).count();
        assert!((4_000..6_000).contains(&kept), "{kept}");
        let t = tracer(0.0);
        let (spans, d) = t.spans(&parse(RUN).unwrap(), TRUSTED).unwrap();
        assert!(spans.is_empty() && d.sampled_out == 1);
        // A remote parent's sampled flag wins under a parent-based sampler.
        let remote = RUN.replace(r#""traceFlags":"01"}"#, r#""traceFlags":"01","parentSpanIdSource":"remote"}"#);
        assert_eq!(t.spans(&parse(&remote).unwrap(), TRUSTED).unwrap().0.len(), 1);
    }

    #[test]
    fn model_call_client_span_with_usage_and_request_hash_event() {
        let json = r#"{"type":"model.call.completed","runId":"r","callId":"r:model:1","provider":"openai","model":"gpt-5.4","api":"openai-completions","transport":"auto","observationUnit":"request",
            "promptStats":{"inputMessagesCount":2,"totalChars":60345},"durationMs":312,"requestPayloadBytes":61288,"responseStreamBytes":0,"timeToFirstByteMs":239,
            "usage":{"input":1200,"output":37,"cacheRead":0,"cacheWrite":0,"total":1237},"upstreamRequestIdHash":"sha256:0123456789ab","ts":1795332876000}"#;
        let s = one(&tracer(1.0), json, TRUSTED);
        assert_eq!(s.span_kind, SpanKind::Client);
        assert_eq!(attr(&s, "gen_ai.operation.name").as_deref(), Some("text_completion"));
        assert_eq!(attr(&s, "gen_ai.system").as_deref(), Some("openai"));
        assert_eq!(attr(&s, "gen_ai.usage.input_tokens").as_deref(), Some("1200"));
        assert_eq!(attr(&s, "gen_ai.usage.cache_read.input_tokens").as_deref(), Some("0"));
        assert_eq!(attr(&s, "openclaw.model_call.response_bytes"), None, "zero sizes are omitted");
        assert_eq!(s.events.len(), 1);
        assert_eq!(s.events.events[0].name, "openclaw.provider.request");
        let latest = replaying(Tracer::new(Sampling { ratio: 1.0, parent_based: true, source: "t" }, Some("pepper".into()), true));
        let s = one(&latest, &json.replace(r#""ts""#, r#""sessionKey":"agent:main:main","ts""#), TRUSTED);
        assert_eq!(s.name, "text_completion gpt-5.4");
        assert_eq!(attr(&s, "gen_ai.provider.name").as_deref(), Some("openai"));
        assert_eq!(attr(&s, "openclaw.session.hash"), Some(session_hash("pepper", "agent:main:main")));
        assert_eq!(session_hash("pepper", "agent:main:main").len(), 16);
    }
}
