//! Attribute keys and values: metric labels bounded and low-cardinality, never a session key or
//! raw id; keys in the form OpenClaw accepts.

pub const UNKNOWN: &str = "unknown";
const MAX_LEN: usize = 120;

fn looks_like_session_key(v: &str) -> bool {
    // Case-insensitive `agent:` at the start or `:agent:` anywhere, without allocating.
    let b = v.as_bytes();
    let at = |i: usize| b.len() >= i + 6 && b[i..i + 6].eq_ignore_ascii_case(b"agent:");
    at(0) || b.iter().enumerate().any(|(i, &c)| c == b':' && at(i + 1))
}

fn all_chars(v: &str, extra: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= MAX_LEN
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-') || extra.contains(&b))
}

/// The official policy: `^[A-Za-z0-9_.:-]{1,120}$` and not a session key, else `fallback`.
pub fn low_cardinality(value: Option<&str>, fallback: &str) -> String {
    value.and_then(low_cardinality_kept).unwrap_or(fallback).to_string()
}

/// What `low_cardinality` keeps of a value (a slice of it), or None for the fallback; the
/// recording thread builds no String for a value it has seen before.
pub fn low_cardinality_kept(value: &str) -> Option<&str> {
    let v = value.trim();
    (all_chars(v, b"") && !looks_like_session_key(v)).then_some(v)
}

/// Provider and model ids also allow `/`, `@` and `+` (e.g. `openrouter/anthropic/claude-sonnet-4`):
/// they come from the operator's config, not from users, and `unknown` would hide real spend.
pub fn model_id(value: Option<&str>) -> String {
    value.and_then(model_id_kept).unwrap_or(UNKNOWN).to_string()
}

/// What `model_id` keeps of a value, or None for `unknown`.
pub fn model_id_kept(value: &str) -> Option<&str> {
    let v = value.trim();
    (all_chars(v, b"/@+") && !looks_like_session_key(v)).then_some(v)
}

/// The agent id of an OpenClaw session key (`agent:<agentId>:<rest>`, e.g. `main` of
/// `agent:main:main`) when the policy keeps it, else None. Agent ids are configured names
/// (bounded); the rest of the key names a user or a channel and is never returned.
pub fn session_key_agent(key: &str) -> Option<&str> {
    let k = key.trim();
    let prefix = k.get(..6)?;
    if !prefix.eq_ignore_ascii_case("agent:") {
        return None;
    }
    let rest = k.get(6..)?;
    let id = rest.split(':').next().unwrap_or(rest);
    low_cardinality_kept(id)
}

/// A lane keeps only its kind: `session:agent:main:main` becomes `session`.
pub fn lane(value: Option<&str>) -> String {
    value.and_then(lane_kept).unwrap_or(UNKNOWN).to_string()
}

/// What `lane` keeps of a value (its kind), or None for `unknown`.
pub fn lane_kept(value: &str) -> Option<&str> {
    let v = value.trim();
    if v.len() >= 6 && v.as_bytes()[..6].eq_ignore_ascii_case(b"agent:") {
        return None;
    }
    low_cardinality_kept(v.split(':').next().unwrap_or(v))
}

/// An attribute or logger key OpenClaw would accept: `[A-Za-z0-9_.:-]`, at most `max` long.
pub fn valid_key(k: &str, max: usize) -> bool {
    (1..=max).contains(&k.len())
        && k.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
        && !matches!(k, "__proto__" | "prototype" | "constructor")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_values() {
        assert_eq!(low_cardinality(Some("webchat"), UNKNOWN), "webchat");
        assert_eq!(low_cardinality(Some(" telegram "), UNKNOWN), "telegram");
    }

    #[test]
    fn rejects_session_keys_spaces_and_long_values() {
        assert_eq!(low_cardinality(Some("agent:main:main"), UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some("x:agent:main"), UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some("AGENT:Main"), UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some("x:Agent:"), UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some("agent"), UNKNOWN), "agent");
        assert_eq!(low_cardinality(Some("x:agentx"), UNKNOWN), "x:agentx");
        assert_eq!(low_cardinality(Some("two words"), UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some(&"a".repeat(121)), UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some(""), "none"), "none");
        assert_eq!(low_cardinality(None, UNKNOWN), UNKNOWN);
        assert_eq!(low_cardinality(Some("héllo"), UNKNOWN), UNKNOWN);
    }

    #[test]
    fn model_ids_may_have_slashes() {
        assert_eq!(model_id(Some("openrouter/anthropic/claude-sonnet-4")), "openrouter/anthropic/claude-sonnet-4");
        assert_eq!(model_id(Some("gpt 4")), UNKNOWN);
    }

    #[test]
    fn session_keys_yield_their_agent_only() {
        assert_eq!(session_key_agent("agent:main:main"), Some("main"));
        assert_eq!(session_key_agent(" Agent:helper:telegram:dm:+15551230001 "), Some("helper"));
        assert_eq!(session_key_agent("agent:ops"), Some("ops"));
        assert_eq!(session_key_agent("agent::main"), None);
        assert_eq!(session_key_agent("agent:two words:main"), None);
        assert_eq!(session_key_agent(&format!("agent:{}:main", "a".repeat(121))), None);
        assert_eq!(session_key_agent("main"), None);
        assert_eq!(session_key_agent("global"), None);
        assert_eq!(session_key_agent("x:agent:main:main"), None);
        assert_eq!(session_key_agent("agent"), None);
        assert_eq!(session_key_agent("agenté:x"), None);
    }

    #[test]
    fn lanes_keep_their_kind() {
        assert_eq!(lane(Some("session:agent:main:main")), "session");
        assert_eq!(lane(Some("main")), "main");
        assert_eq!(lane(Some("agent:main")), UNKNOWN);
        assert_eq!(lane(None), UNKNOWN);
    }
}
