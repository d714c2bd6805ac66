//! Which agent an event belongs to (`openclaw.agent`), in order: the event's `agentId` when the
//! label policy keeps it; else the agent segment of its `sessionKey` (`agent:<id>:...`); else the
//! agent this generation learned for the event's `runId`, `sessionId` or `sessionKey` from an
//! earlier event that carried both; else unknown. Only the agent id (configuration, so bounded)
//! can become an attribute; the ids and keys it is looked up by stay in this memory, which is
//! bounded, per generation, and dropped with it.

use super::projection::agent_types;
use crate::event::{Event, Malformed};
use crate::policy::{low_cardinality_kept, session_key_agent};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;
use std::sync::Arc;

/// The fields the agent is read or looked up by, for the projection.
pub const AGENT_FIELDS: &[&str] = &["agentId", "sessionKey", "sessionId", "runId"];

/// Ids remembered at most, over the three kinds; the oldest learned goes first. A gateway runs
/// a handful of concurrent runs and sessions; 4096 is hours of them.
pub const MAX_LEARNED: usize = 4096;

/// The ids an agent is learned for, most specific first: a run belongs to one agent, a session
/// id to one session, while a key without an agent segment (`global`, `main`) may be shared.
const IDS: [&str; 3] = ["runId", "sessionId", "sessionKey"];
const KEY: usize = 2;

/// The event's own agent: its `agentId` when the policy keeps it, else its session key's agent.
pub fn own_agent(ev: &Event) -> Result<Option<String>, Malformed> {
    if let Some(id) = ev.text("agentId")? {
        if let Some(kept) = low_cardinality_kept(&id) {
            return Ok(Some(if kept.len() == id.len() { id } else { kept.to_string() }));
        }
    }
    Ok(ev.text("sessionKey")?.as_deref().and_then(session_key_agent).map(str::to_string))
}

/// The agent an event belongs to: as resolved by its generation (`Agents::resolve`), else its
/// own. None is unknown. Never a session key or id.
pub fn agent(ev: &Event) -> Result<Option<String>, Malformed> {
    match ev.resolved_agent() {
        Some(resolved) => Ok(resolved.map(str::to_string)),
        None => own_agent(ev),
    }
}

/// Whether a session key has the `agent:` prefix `session_key_agent` reads (cheap: no policy).
fn agent_shaped(key: &str) -> bool {
    key.trim_start().get(..6).is_some_and(|p| p.eq_ignore_ascii_case("agent:"))
}

/// A generation's memory of which agent its runs, sessions and session keys belong to.
pub struct Agents {
    /// Event types some rule reads the agent of: only these are resolved, learned from, and
    /// carry the id fields across the hand-off.
    types: FxHashSet<&'static str>,
    by: [FxHashMap<Arc<str>, Box<str>>; 3],
    /// Insertion order, for eviction.
    order: VecDeque<(usize, Arc<str>)>,
    cap: usize,
}

impl Default for Agents {
    fn default() -> Self {
        Self::with_capacity(MAX_LEARNED)
    }
}

impl Agents {
    pub fn with_capacity(cap: usize) -> Self {
        Agents { types: agent_types().into_iter().collect(), by: Default::default(), order: VecDeque::new(), cap: cap.max(1) }
    }

    /// Ids remembered now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Resolves the event's agent once, for every signal to read (`agent`), learning from it
    /// when it names its own agent. A malformed `agentId` or `sessionKey` is left unresolved,
    /// for the signals to report.
    pub fn resolve(&mut self, ev: &mut Event) {
        if !self.types.contains(ev.kind()) {
            return;
        }
        let Ok(own) = own_agent(ev) else { return };
        let resolved = match own {
            Some(agent) => {
                for (kind, field) in IDS.iter().enumerate() {
                    // A key of the `agent:` form resolves itself, or is refused whoever reads
                    // it: never stored. Only other keys are learned.
                    if let Some(id) = ev.str(field).filter(|id| kind != KEY || !agent_shaped(id)) {
                        self.learn(kind, id, &agent);
                    }
                }
                Some(agent)
            }
            None => IDS.iter().enumerate().find_map(|(kind, field)| self.by[kind].get(ev.str(field)?)).map(|a| a.to_string()),
        };
        ev.set_resolved_agent(resolved);
    }

    fn learn(&mut self, kind: usize, id: &str, agent: &str) {
        if id.is_empty() {
            return;
        }
        if let Some(known) = self.by[kind].get_mut(id) {
            if **known != *agent {
                *known = agent.into();
            }
            return;
        }
        while self.order.len() >= self.cap {
            match self.order.pop_front() {
                Some((k, old)) => {
                    self.by[k].remove(&old);
                }
                None => break,
            }
        }
        let id: Arc<str> = id.into();
        self.by[kind].insert(id.clone(), agent.into());
        self.order.push_back((kind, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse;

    fn resolved(agents: &mut Agents, json: &str) -> Option<String> {
        let mut ev = parse(json).unwrap();
        agents.resolve(&mut ev);
        agent(&ev).unwrap()
    }

    #[test]
    fn own_agent_from_agent_id_else_session_key() {
        let of = |json: &str| agent(&parse(json).unwrap()).unwrap();
        assert_eq!(of(r#"{"type":"model.usage","agentId":"ops","sessionKey":"agent:main:main"}"#).as_deref(), Some("ops"));
        assert_eq!(of(r#"{"type":"model.usage","agentId":" ops ","sessionKey":"agent:main:main"}"#).as_deref(), Some("ops"));
        assert_eq!(of(r#"{"type":"run.completed","sessionKey":"agent:helper:telegram:dm:42"}"#).as_deref(), Some("helper"));
        assert_eq!(of(r#"{"type":"run.completed","agentId":"agent:x:y","sessionKey":"agent:helper:main"}"#).as_deref(), Some("helper"));
        assert_eq!(of(r#"{"type":"run.completed","agentId":"two words"}"#), None);
        assert_eq!(of(r#"{"type":"run.completed","sessionKey":"main"}"#), None);
        assert_eq!(of(r#"{"type":"run.completed","sessionKey":"agent:bad id:main"}"#), None);
        assert_eq!(of(r#"{"type":"run.completed"}"#), None);
        assert!(parse(r#"{"type":"run.completed","sessionKey":{"a":1}}"#).map(|e| agent(&e).is_err()).unwrap_or(true));
    }

    #[test]
    fn agent_id_wins_then_the_key_then_what_was_learned() {
        let mut a = Agents::default();
        // Learned: run r1 and session s1 belong to ops (its agentId), key `global` too.
        assert_eq!(
            resolved(&mut a, r#"{"type":"session.turn.created","runId":"r1","sessionId":"s1","sessionKey":"global","agentId":"ops"}"#)
                .as_deref(),
            Some("ops")
        );
        // The event's own agentId wins over anything learned, then its key's agent.
        assert_eq!(resolved(&mut a, r#"{"type":"run.completed","runId":"r1","agentId":"main"}"#).as_deref(), Some("main"));
        assert_eq!(
            resolved(&mut a, r#"{"type":"run.completed","runId":"r2","sessionKey":"agent:helper:main"}"#).as_deref(),
            Some("helper")
        );
        // Learning moved r1 to main; s1 and `global` still say ops.
        assert_eq!(resolved(&mut a, r#"{"type":"model.call.completed","runId":"r1"}"#).as_deref(), Some("main"));
        assert_eq!(resolved(&mut a, r#"{"type":"tool.execution.completed","sessionId":"s1"}"#).as_deref(), Some("ops"));
        assert_eq!(resolved(&mut a, r#"{"type":"model.usage","sessionKey":"global"}"#).as_deref(), Some("ops"));
        // The run is the most specific: r2 (helper) over s1 (ops).
        assert_eq!(resolved(&mut a, r#"{"type":"run.completed","runId":"r2","sessionId":"s1"}"#).as_deref(), Some("helper"));
        // Nothing known: unknown.
        assert_eq!(resolved(&mut a, r#"{"type":"run.completed","runId":"r9","sessionId":"s9","sessionKey":"main"}"#), None);
        assert_eq!(resolved(&mut a, r#"{"type":"run.completed"}"#), None);
        // A policy-refused agentId teaches nothing and resolves as learned.
        assert_eq!(resolved(&mut a, r#"{"type":"run.completed","runId":"r1","agentId":"two words"}"#).as_deref(), Some("main"));
    }

    #[test]
    fn keys_with_an_agent_resolve_themselves_and_are_not_stored() {
        let mut a = Agents::default();
        resolved(&mut a, r#"{"type":"run.completed","runId":"r1","sessionId":"s1","sessionKey":"agent:main:telegram:dm:42"}"#);
        assert_eq!(a.len(), 2, "the run and the session id, not the key");
        assert!(a.by[KEY].is_empty());
        // Nor a refused agent-shaped key, empty ids, or types that read no agent.
        resolved(&mut a, r#"{"type":"run.completed","sessionKey":" Agent:bad id:x","agentId":"ops"}"#);
        resolved(&mut a, r#"{"type":"run.completed","runId":"","agentId":"ops"}"#);
        resolved(&mut a, r#"{"type":"session.state","sessionId":"s2","sessionKey":"agent:main:main"}"#);
        assert_eq!(a.len(), 2);
        let mut ev = parse(r#"{"type":"session.state","sessionId":"s1"}"#).unwrap();
        a.resolve(&mut ev);
        assert_eq!(ev.resolved_agent(), None, "not resolved: no rule of session.state reads the agent");
    }

    #[test]
    fn memory_is_bounded_and_forgets_the_oldest() {
        let mut a = Agents::with_capacity(4);
        for i in 0..6 {
            resolved(&mut a, &format!(r#"{{"type":"model.call.completed","runId":"r{i}","agentId":"a{i}"}}"#));
            assert!(a.len() <= 4);
        }
        assert_eq!(a.len(), 4);
        let of = |a: &mut Agents, run: &str| resolved(a, &format!(r#"{{"type":"run.completed","runId":"{run}"}}"#));
        assert_eq!(of(&mut a, "r0"), None);
        assert_eq!(of(&mut a, "r1"), None);
        assert_eq!(of(&mut a, "r2").as_deref(), Some("a2"));
        assert_eq!(of(&mut a, "r5").as_deref(), Some("a5"));
        // Relearning a known id changes its agent, not the count.
        resolved(&mut a, r#"{"type":"run.completed","runId":"r2","agentId":"z"}"#);
        assert_eq!((a.len(), of(&mut a, "r2").as_deref()), (4, Some("z")));
        // The full default bound holds too.
        let mut big = Agents::default();
        for i in 0..MAX_LEARNED + 10 {
            resolved(&mut big, &format!(r#"{{"type":"tool.execution.completed","runId":"r{i}","sessionId":"s{i}","agentId":"ops"}}"#));
        }
        assert_eq!(big.len(), MAX_LEARNED);
        assert_eq!(big.by.iter().map(|m| m.len()).sum::<usize>(), MAX_LEARNED);
    }

    #[test]
    fn a_malformed_agent_field_is_left_for_the_signals_to_report() {
        let mut a = Agents::default();
        let mut ev = parse(r#"{"type":"run.completed","runId":"r1","agentId":{"x":1}}"#).unwrap();
        a.resolve(&mut ev);
        assert_eq!(ev.resolved_agent(), None);
        assert!(agent(&ev).is_err());
        assert!(a.is_empty());
    }

    #[test]
    fn the_agent_types_are_the_catalog_s() {
        let a = Agents::default();
        for t in [
            "model.usage",
            "run.completed",
            "model.call.completed",
            "model.call.error",
            "tool.execution.completed",
            "tool.execution.error",
            "harness.run.completed",
            "session.turn.created",
        ] {
            assert!(a.types.contains(t), "{t}");
        }
        for t in ["session.state", "queue.lane.enqueue", "run.started", "message.processed"] {
            assert!(!a.types.contains(t), "{t}");
        }
    }
}
