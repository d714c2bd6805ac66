//! A diagnostic event as delivered by OpenClaw (any version): a JSON object with a `type`.
//! Field access is by dotted path; wrong types are reported so the event can be skipped.

use opentelemetry::trace::{SpanId, TraceId};
use serde_json::{Map, Value};

pub mod compact;

/// The trace context fields `trace_ctx` reads (the projection sends exactly these).
pub const TRACE_FIELDS: &[&str] = &["trace.traceId", "trace.spanId", "trace.parentSpanId", "trace.traceFlags", "trace.parentSpanIdSource"];

/// Numbers above this are corrupt: no real token count, cost, size or duration gets near.
/// Per-instrument bounds (`catalog::Spec::bound`) are tighter; this one guards span attributes.
pub const MAX_VALUE: f64 = 1e15;

pub struct Event {
    /// Top-level fields hashed (Fx): every rule looks a field up, and a B-tree of twenty keys
    /// cost about 1k instructions per lookup in compares.
    fields: Fields,
    /// The agent the generation resolved for this event (`catalog::agent::Agents`), set once
    /// before any signal reads it: `Some(None)` is resolved as unknown. `None`: not resolved
    /// (tests, fuzzing), so readers derive it from the event's own fields.
    agent: Option<Option<String>>,
}

type Fields = std::collections::HashMap<String, Value, std::hash::BuildHasherDefault<rustc_hash::FxHasher>>;

/// Why an event was skipped, short and free of the event's content.
#[derive(Debug, PartialEq)]
pub struct Malformed(pub String);

pub fn parse(json: &str) -> Result<Event, Malformed> {
    match parse_value(json) {
        Ok(Value::Object(fields)) => match fields.get("type") {
            Some(Value::String(_)) => Ok(Event::of(fields.into_iter().collect())),
            Some(_) => Err(Malformed("`type` is not a string".into())),
            None => Err(Malformed("no `type`".into())),
        },
        Ok(_) => Err(Malformed("not an object".into())),
        Err(e) => Err(Malformed(format!("invalid JSON ({:?} at column {})", e.classify(), e.column()))),
    }
}

/// JSON as JS writes it, with the two repairs an event deserves before it is refused.
pub fn parse_value(json: &str) -> Result<Value, serde_json::Error> {
    match serde_json::from_str::<Value>(json) {
        // JS truncation can cut an emoji in half; JSON.stringify then writes a lone `\udXXX`,
        // which serde_json refuses. Only that one character is lost, not the event.
        Err(e) if json.contains("\\ud") || json.contains("\\uD") => match without_lone_surrogates(json) {
            Some(fixed) => serde_json::from_str::<Value>(&fixed).map_err(|_| e),
            None => Err(e),
        },
        // Nesting past serde_json's limit (128) in some field the catalog never reads must not
        // cost the event: the deep part becomes null and the rest is read as sent.
        Err(e) if e.to_string().contains("recursion limit") => serde_json::from_str::<Value>(&shallow(json, MAX_DEPTH)).map_err(|_| e),
        other => other,
    }
}

/// Depth past which a value is replaced by `null` when an event nests too deeply to parse. No
/// field any rule reads is deeper than 4.
const MAX_DEPTH: usize = 64;

/// `json` (valid JSON nested too deeply) with every object or array that opens deeper than
/// `max` replaced by `null`. Strings are copied as they are; only their quotes and escapes are
/// tracked.
fn shallow(json: &str, max: usize) -> String {
    let b = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let (mut depth, mut skip_from) = (0usize, None::<usize>);
    let (mut in_string, mut escaped) = (false, false);
    let mut copied = 0;
    for (i, &c) in b.iter().enumerate() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max && skip_from.is_none() {
                    out.push_str(&json[copied..i]);
                    out.push_str("null");
                    skip_from = Some(depth);
                }
            }
            b'}' | b']' => {
                if skip_from == Some(depth) {
                    skip_from = None;
                    copied = i + 1;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    if skip_from.is_none() {
        out.push_str(&json[copied..]);
    }
    out
}

/// `json` with every `\uD800`-`\uDFFF` escape that is not half of a valid pair replaced by
/// `\uFFFD`; None when there is none (the JSON is broken some other way).
fn without_lone_surrogates(json: &str) -> Option<String> {
    let b = json.as_bytes();
    let hex_at = |i: usize| -> Option<u32> { json.get(i + 2..i + 6).and_then(|h| u32::from_str_radix(h, 16).ok()) };
    let mut out = String::with_capacity(json.len());
    let mut last = 0;
    let mut changed = false;
    let mut i = 0;
    while i + 6 <= b.len() {
        // An escape starts at an odd run of backslashes; `\\ud800` is a literal backslash.
        if b[i] == b'\\' && b[i + 1] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == b'\\' && b[i + 1] == b'u' {
            if let Some(cp) = hex_at(i) {
                let pair_low = (0xD800..0xDC00).contains(&cp)
                    && b.get(i + 6) == Some(&b'\\')
                    && b.get(i + 7) == Some(&b'u')
                    && hex_at(i + 6).is_some_and(|lo| (0xDC00..0xE000).contains(&lo));
                if pair_low {
                    i += 12;
                    continue;
                }
                if (0xD800..0xE000).contains(&cp) {
                    out.push_str(&json[last..i]);
                    out.push_str("\\ufffd");
                    last = i + 6;
                    changed = true;
                }
            }
            i += 6;
            continue;
        }
        i += 1;
    }
    changed.then(|| {
        out.push_str(&json[last..]);
        out
    })
}

impl Event {
    /// An event built in-process (e.g. from the gateway's file log); None without a string `type`.
    pub fn from_fields(fields: Map<String, Value>) -> Option<Self> {
        fields.get("type").and_then(Value::as_str)?;
        Some(Event::of(fields.into_iter().collect()))
    }

    pub(crate) fn of(fields: Fields) -> Self {
        Event { fields, agent: None }
    }

    /// The agent resolved for this event, if the generation resolved one (see the field).
    pub fn resolved_agent(&self) -> Option<Option<&str>> {
        self.agent.as_ref().map(Option::as_deref)
    }

    pub fn set_resolved_agent(&mut self, agent: Option<String>) {
        self.agent = Some(agent);
    }

    /// A top-level string field, borrowed (ids looked up on every event, never copied).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    /// The event as a JSON object again (tests, comparisons).
    pub fn to_value(&self) -> Value {
        Value::Object(self.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    pub fn kind(&self) -> &str {
        self.fields.get("type").and_then(Value::as_str).unwrap_or("")
    }

    /// The value at a dotted path; JSON null counts as absent.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.lookup(path).ok().flatten()
    }

    /// Like `get`, but a path through something that is not an object is malformed.
    fn lookup(&self, path: &str) -> Result<Option<&Value>, Malformed> {
        let mut parts = path.split('.');
        let Some(mut cur) = parts.next().and_then(|p| self.fields.get(p)) else { return Ok(None) };
        for p in parts {
            cur = match cur {
                Value::Object(m) => match m.get(p) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Value::Null => return Ok(None),
                _ => return Err(Malformed(format!("`{path}`: a parent is not an object"))),
            };
        }
        Ok((!cur.is_null()).then_some(cur))
    }

    /// A number as sent, any sign: absent is None, another type is malformed. Whether it is
    /// plausible is the caller's rule (a metric's bound, `MAX_VALUE` for span attributes), so an
    /// implausible value costs only itself, not the event.
    pub fn num(&self, path: &str) -> Result<Option<f64>, Malformed> {
        match self.lookup(path)? {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64().filter(|x| x.is_finite())),
            Some(_) => Err(Malformed(format!("`{path}` is not a number"))),
        }
    }

    /// A label source: strings as they are, numbers and booleans as text, objects refused.
    pub fn text(&self, path: &str) -> Result<Option<String>, Malformed> {
        match self.lookup(path)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(Malformed(format!("`{path}` is not a string"))),
        }
    }

    /// An array of strings; anything else is malformed.
    pub fn strings(&self, path: &str) -> Result<Option<Vec<String>>, Malformed> {
        match self.lookup(path)? {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| Malformed(format!("`{path}` has a non-string item"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(Malformed(format!("`{path}` is not an array"))),
        }
    }

    pub fn flag(&self, path: &str) -> Result<Option<bool>, Malformed> {
        match self.lookup(path)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Malformed(format!("`{path}` is not a boolean"))),
        }
    }
}

/// What the host said about an event's origin (OpenClaw 2026.9 metadata).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    pub trusted: bool,
    pub internal: bool,
    /// The event's trace context came from OpenClaw-owned scope, even if the event is public.
    pub trusted_trace_context: bool,
}

impl Trust {
    pub fn from_bits(bits: u32) -> Self {
        Trust { trusted: bits & 1 != 0, internal: bits & 2 != 0, trusted_trace_context: bits & 4 != 0 }
    }

    pub fn bits(self) -> u32 {
        u32::from(self.trusted) | (u32::from(self.internal) << 1) | (u32::from(self.trusted_trace_context) << 2)
    }
}

/// A valid W3C trace context from an event's `trace` object.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceCtx {
    pub trace_id: TraceId,
    pub span_id: Option<SpanId>,
    pub parent_span_id: Option<SpanId>,
    pub sampled: Option<bool>,
    pub parent_remote: bool,
}

fn hex_id<const N: usize>(v: &str) -> Option<[u8; N]> {
    if v.len() != N * 2 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(v.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    out.iter().any(|b| *b != 0).then_some(out)
}

/// The event's trace context when the host vouches for it; any invalid part voids the whole.
pub fn trace_ctx(ev: &Event, trust: Trust) -> Option<TraceCtx> {
    if !(trust.trusted || trust.internal || trust.trusted_trace_context) {
        return None;
    }
    // One lookup of the trace object; this runs for every span.
    let trace = ev.get("trace")?.as_object()?;
    // Hex digits of either case parse alike: nothing here needs a lower-cased copy.
    let text = |k: &str| trace.get(k).and_then(Value::as_str);
    let trace_id = TraceId::from_bytes(hex_id::<16>(text("traceId")?)?);
    let span = |k: &str| -> Result<Option<SpanId>, ()> {
        match text(k) {
            None => Ok(None),
            Some(v) => hex_id::<8>(v).map(|b| Some(SpanId::from_bytes(b))).ok_or(()),
        }
    };
    let span_id = span("spanId").ok()?;
    let parent_span_id = span("parentSpanId").ok()?;
    let sampled = match text("traceFlags") {
        None => None,
        Some(f) => Some(u8::from_str_radix(f, 16).ok().filter(|_| f.len() == 2)? & 1 == 1),
    };
    let parent_remote = text("parentSpanIdSource").is_some_and(|s| s.eq_ignore_ascii_case("remote"));
    Some(TraceCtx { trace_id, span_id, parent_span_id, sampled, parent_remote })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_types() {
        let e = parse(r#"{"type":"model.usage","usage":{"input":10,"cacheRead":null},"channel":"webchat","n":-1,"s":"3"}"#).unwrap();
        assert_eq!(e.kind(), "model.usage");
        assert_eq!(e.num("usage.input"), Ok(Some(10.0)));
        assert_eq!(e.num("usage.cacheRead"), Ok(None));
        assert_eq!(e.num("usage.missing"), Ok(None));
        assert!(e.num("channel.deep").is_err(), "a string has no fields");
        assert_eq!(e.num("n"), Ok(Some(-1.0)), "the sign is the caller's to judge");
        assert!(e.num("s").is_err());
        assert_eq!(e.text("channel"), Ok(Some("webchat".into())));
        assert!(e.text("usage").is_err());
    }

    #[test]
    fn a_lone_surrogate_costs_one_character_not_the_event() {
        // What JSON.stringify writes for a string cut in the middle of an emoji.
        let e =
            parse(r#"{"type":"message.processed","channel":"webchat","error":"cut \ud83d","ok":"\ud83d\ude00","lit":"\\ud800"}"#).unwrap();
        assert_eq!(e.text("channel"), Ok(Some("webchat".into())));
        assert_eq!(e.text("error"), Ok(Some("cut \u{fffd}".into())));
        assert_eq!(e.text("ok"), Ok(Some("\u{1f600}".into())), "a valid pair stays");
        assert_eq!(e.text("lit"), Ok(Some("\\ud800".into())), "an escaped backslash is not an escape");
        let e = parse(r#"{"type":"x","a":"\udc00\ud800x"}"#).unwrap();
        assert_eq!(e.text("a"), Ok(Some("\u{fffd}\u{fffd}x".into())));
        assert!(parse(r#"{"type":"x","a":"\ud800"#).is_err(), "still broken JSON");
    }

    #[test]
    fn deep_nesting_in_an_unrelated_field_costs_that_field_not_the_event() {
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        let json = format!(r#"{{"type":"message.queued","channel":"webchat","extra":{{"a":{deep}}},"note":"[[\"]]","queueDepth":2}}"#);
        assert!(serde_json::from_str::<Value>(&json).is_err(), "past serde_json's limit");
        let e = parse(&json).unwrap();
        assert_eq!(e.text("channel"), Ok(Some("webchat".into())));
        assert_eq!(e.num("queueDepth"), Ok(Some(2.0)));
        assert_eq!(e.text("note"), Ok(Some("[[\"]]".into())), "brackets inside strings are text");
        assert!(e.get("extra.a").is_some(), "the shallow part stays");
        assert!(parse(&format!("{{\"type\":\"x\",\"a\":{}", "[".repeat(300))).is_err(), "still broken JSON");
    }

    #[test]
    fn rejects_non_events() {
        for j in ["not json", "[1]", "42", r#"{"seq":1}"#, r#"{"type":7}"#, "null"] {
            assert!(parse(j).is_err(), "{j}");
        }
    }
}
