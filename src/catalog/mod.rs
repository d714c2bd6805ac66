//! The tables of what is exported: metric instruments and their rules (`metrics`), spans and
//! their rules (`spans`), and the gates and derivations both kinds of rule share. Generated docs
//! are rendered from these tables.

pub mod metrics;
pub mod projection;
pub mod spans;

use crate::event::{Event, Malformed, Trust};

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
    let api = ev.text("api")?.unwrap_or_default().trim().to_ascii_lowercase();
    Ok(if api.is_empty() {
        "chat"
    } else if api == "completions" || api.ends_with("-completions") {
        "text_completion"
    } else if api == "generate_content" || api.contains("generative-ai") {
        "generate_content"
    } else {
        "chat"
    })
}
