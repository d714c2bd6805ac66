//! Which fields of which event type some signal reads, from the metric and span tables plus the
//! few fields the mappers read outside them. index.js copies only these into the compact
//! hand-off (`event::compact`), so this is where a new rule's field becomes visible to Rust.

use super::metrics::{Source, Value as Measure, RULES};
use super::spans::{Msg, Src, Status, ANNOUNCES, SPANS};
use super::{When, AGENT_FIELDS};
use crate::event::compact::{Field, Projection, TypeShape};
use crate::event::TRACE_FIELDS;
use std::collections::{BTreeMap, BTreeSet};

/// Types the log mapper reads whole (attributes of any key, free text): sent as JSON.
pub const LOG_TYPES: &[&str] = &["log.record", "security.event"];

/// Fields every span reads beside its table row: its end time, the trace context, the session
/// (hashed when a salt is set), and what names a client span.
const SPAN_FIELDS: &[&str] = &["ts", "sessionKey", "sessionId", "model", "api", "observationUnit"];
/// `gen_ai_operation`'s inputs.
const OPERATION_FIELDS: &[&str] = &["api", "observationUnit"];
/// `Src::PromptTokens`: the total, else its parts.
const PROMPT_FIELDS: &[&str] = &["usage.promptTokens", "usage.input", "usage.cacheRead", "usage.cacheWrite"];
/// `Msg::DetectorAction`.
const DETECTOR_FIELDS: &[&str] = &["detector", "action"];

fn when_fields(w: When, out: &mut BTreeSet<&'static str>) {
    match w {
        When::Always => {}
        When::Is(f, _) | When::IsNot(f, _) => {
            out.insert(f);
        }
        When::AnyOf(ws) => ws.iter().for_each(|w| when_fields(*w, out)),
    }
}

/// The dotted paths each event type's metric rules read.
pub fn metric_paths() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut by_type: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for r in RULES {
        let out = by_type.entry(r.event).or_default();
        out.extend(r.required.iter().copied());
        match r.value {
            Measure::One => {}
            Measure::Field(f) | Measure::NonZero(f) | Measure::MsAsSeconds(f) => {
                out.insert(f);
            }
        }
        when_fields(r.when, out);
        for a in r.attrs.iter().flat_map(|g| g.iter()) {
            match a.source {
                Source::Field(f) | Source::Integer(f) | Source::BoolText(f) | Source::BoolChoice(f, ..) | Source::Joined(f) => {
                    out.insert(f);
                }
                Source::EitherField(x, y) => out.extend([x, y]),
                Source::GenAiOperation => out.extend(OPERATION_FIELDS),
                Source::Agent => out.extend(AGENT_FIELDS),
                Source::Const(_) => {}
            }
        }
    }
    by_type
}

/// The event types some metric rule or span reads the agent of (`Source::Agent`, `Src::Agent`).
pub fn agent_types() -> BTreeSet<&'static str> {
    let metrics =
        RULES.iter().filter(|r| r.attrs.iter().flat_map(|g| g.iter()).any(|a| matches!(a.source, Source::Agent))).map(|r| r.event);
    let spans = SPANS
        .iter()
        .filter(|s| {
            s.attrs.iter().flat_map(|g| g.iter()).chain(s.span_event.iter().map(|(_, a)| a)).any(|a| matches!(a.src, Src::Agent(_)))
        })
        .map(|s| s.event);
    metrics.chain(spans).collect()
}

/// The dotted paths each event type's spans read.
pub fn span_paths() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut by_type: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for t in ANNOUNCES {
        by_type.entry(t).or_default().extend(TRACE_FIELDS);
    }
    for s in SPANS {
        let out = by_type.entry(s.event).or_default();
        out.extend(SPAN_FIELDS);
        out.extend(TRACE_FIELDS);
        out.insert(s.end_at);
        out.extend(s.duration);
        when_fields(s.when, out);
        for a in s.attrs.iter().flat_map(|g| g.iter()).chain(s.span_event.iter().map(|(_, a)| a)) {
            match a.src {
                Src::Low(f)
                | Src::LowOr(f, _)
                | Src::Text(f)
                | Src::TextOr(f, _)
                | Src::Int(f)
                | Src::IntOr0(f)
                | Src::Positive(f)
                | Src::Num(f)
                | Src::Bool(f)
                | Src::TrueOnly(f)
                | Src::GenAiProvider(f)
                | Src::Joined(f)
                | Src::Lane(f) => {
                    out.insert(f);
                }
                Src::GenAiOperation => out.extend(OPERATION_FIELDS),
                Src::Agent(_) => out.extend(AGENT_FIELDS),
                Src::PromptTokens(_) => out.extend(PROMPT_FIELDS),
                Src::Const(_) => {}
            }
        }
        if let Status::ErrorWhen(w, msg) = s.status {
            when_fields(w, out);
            match msg {
                Msg::FieldOr(f, _) | Msg::Joined(f) => {
                    out.insert(f);
                }
                Msg::DetectorAction => out.extend(DETECTOR_FIELDS),
                Msg::None | Msg::Const(_) => {}
            }
        }
    }
    by_type
}

/// The hand-off for a generation: metric types always, span types when traces are on, the log
/// types (whole) when logs are on. Types outside it are only counted, in index.js.
pub fn projection(traces: bool, logs: bool) -> Projection {
    let mut paths = metric_paths();
    if traces {
        for (kind, p) in span_paths() {
            paths.entry(kind).or_default().extend(p);
        }
    }
    let mut types: Vec<TypeShape> = Vec::new();
    for (kind, p) in paths {
        if logs && LOG_TYPES.contains(&kind) {
            continue;
        }
        types.push(TypeShape { kind: kind.to_string(), whole: false, fields: tree(&p) });
    }
    if logs {
        types.extend(LOG_TYPES.iter().map(|k| TypeShape { kind: k.to_string(), whole: true, fields: Vec::new() }));
    }
    Projection::new(types)
}

/// Dotted paths as a tree of keys. A key read whole somewhere (`usage` and `usage.input`) is a
/// leaf: the whole value then travels.
fn tree(paths: &BTreeSet<&str>) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for path in paths {
        let mut level = &mut fields;
        let mut parts = path.split('.').peekable();
        while let Some(key) = parts.next() {
            let last = parts.peek().is_none();
            let i = match level.iter().position(|f| f.key == key) {
                Some(i) => i,
                None => {
                    level.push(Field { key: key.to_string(), children: Vec::new(), whole: false });
                    level.len() - 1
                }
            };
            let node = &mut level[i];
            if last || node.whole {
                node.whole = true;
                node.children.clear();
                break;
            }
            level = &mut node.children;
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_read_whole_and_by_parts_travels_whole() {
        let t = tree(&["usage.input", "usage", "trace.traceId", "trace.spanId", "ts"].into_iter().collect());
        let shape: Vec<(String, bool, usize)> = t.iter().map(|f| (f.key.clone(), f.whole, f.children.len())).collect();
        assert_eq!(shape, [("trace".into(), false, 2), ("ts".into(), true, 0), ("usage".into(), true, 0)]);
    }

    #[test]
    fn log_types_travel_whole_only_when_logs_are_on() {
        let on = projection(true, true);
        assert!(on.types.iter().any(|t| t.kind == "log.record" && t.whole));
        let off = projection(true, false);
        assert!(off.types.iter().all(|t| t.kind != "log.record" && !t.whole));
        let usage = off.types.iter().find(|t| t.kind == "model.usage").unwrap();
        let keys: Vec<&str> = usage.fields.iter().map(|f| f.key.as_str()).collect();
        for k in ["provider", "model", "channel", "usage", "trace", "ts"] {
            assert!(keys.contains(&k), "model.usage projects {k}: {keys:?}");
        }
        assert!(!keys.contains(&"message"), "no rule reads model.usage's message");
    }
}
