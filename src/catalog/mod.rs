//! The tables of what is exported: metric instruments and their rules (`metrics`), spans and
//! their rules (`spans`), and the gates and derivations both kinds of rule share. Generated docs
//! are rendered from these tables.

pub mod agent;
pub mod metrics;
pub mod projection;
pub mod prometheus;
pub mod spans;

use crate::event::{Event, Malformed, Trust};
pub use agent::{agent, AGENT_FIELDS};

/// Which events count: some are only believed when the host marks them trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Any,
    Trusted,
    TrustedOrInternal,
}

impl Gate {
    pub fn admits(self, trust: Trust) -> bool {
        match self {
            Gate::Any => true,
            Gate::Trusted => trust.trusted,
            Gate::TrustedOrInternal => trust.trusted || trust.internal,
        }
    }
}

/// A condition on a text field.
#[derive(Clone, Copy, Debug)]
pub enum When {
    Always,
    Is(&'static str, &'static [&'static str]),
    IsNot(&'static str, &'static str),
    AnyOf(&'static [When]),
}

/// Whether an event meets a rule's condition.
pub fn holds(ev: &Event, when: When) -> Result<bool, Malformed> {
    Ok(match when {
        When::Always => true,
        When::Is(f, values) => ev.text(f)?.is_some_and(|v| values.contains(&v.as_str())),
        When::IsNot(f, value) => ev.text(f)?.as_deref() != Some(value),
        When::AnyOf(any) => {
            for w in any {
                if holds(ev, *w)? {
                    return Ok(true);
                }
            }
            false
        }
    })
}

/// The GenAI operation name of a model call (semantic conventions).
pub fn gen_ai_operation(ev: &Event) -> Result<&'static str, Malformed> {
    if ev.text("observationUnit")?.as_deref() == Some("turn") {
        return Ok("invoke_agent");
    }
    let api = ev.text("api")?.unwrap_or_default();
    // Compared ignoring ASCII case in place: this runs for every model call, twice.
    let api = api.trim().as_bytes();
    let is = |word: &[u8]| api.eq_ignore_ascii_case(word);
    let ends_with =
        |word: &[u8]| api.len().checked_sub(word.len()).and_then(|i| api.get(i..)).is_some_and(|t| t.eq_ignore_ascii_case(word));
    let contains = |word: &[u8]| api.windows(word.len()).any(|w| w.eq_ignore_ascii_case(word));
    Ok(if api.is_empty() {
        "chat"
    } else if is(b"completions") || ends_with(b"-completions") {
        "text_completion"
    } else if is(b"generate_content") || contains(b"generative-ai") {
        "generate_content"
    } else {
        "chat"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse;

    #[test]
    fn gen_ai_operations() {
        let op = |api: &str| gen_ai_operation(&parse(&format!(r#"{{"type":"model.call.completed","api":{api:?}}}"#)).unwrap()).unwrap();
        assert_eq!(op(""), "chat");
        assert_eq!(op(" Completions "), "text_completion");
        assert_eq!(op("openai-COMPLETIONS"), "text_completion");
        assert_eq!(op("completions-x"), "chat");
        assert_eq!(op("generate_content"), "generate_content");
        assert_eq!(op("google-Generative-AI"), "generate_content");
        assert_eq!(op("openai-responses"), "chat");
        assert_eq!(op("ü-completions"), "text_completion");
        let turn = parse(r#"{"type":"model.call.completed","api":"completions","observationUnit":"turn"}"#).unwrap();
        assert_eq!(gen_ai_operation(&turn).unwrap(), "invoke_agent");
    }
}
