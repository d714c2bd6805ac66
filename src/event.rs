//! Diagnostic events as OpenClaw emits them (2026.2.19 and 2026.9 shapes). Unknown types are
//! data, not errors; malformed events are reported as `Decoded::Malformed` and skipped.

use serde::Deserialize;

/// Values above this are treated as corrupt (no real token count, cost or duration gets near).
pub const MAX_VALUE: f64 = 1e15;

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    pub prompt_tokens: Option<f64>,
    pub total: Option<f64>,
}

#[derive(Deserialize, Default, Debug)]
pub struct ContextWindow {
    pub limit: Option<f64>,
    pub used: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    pub channel: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub agent_id: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    pub context: Option<ContextWindow>,
    pub cost_usd: Option<f64>,
    pub duration_ms: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub channel: Option<String>,
    pub update_type: Option<String>,
    pub duration_ms: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct MessageQueued {
    pub channel: Option<String>,
    pub source: Option<String>,
    pub queue_depth: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct MessageProcessed {
    pub channel: Option<String>,
    pub outcome: Option<String>,
    pub duration_ms: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Lane {
    pub lane: String,
    pub queue_size: f64,
    pub wait_ms: Option<f64>,
}

#[derive(Deserialize, Debug)]
pub struct SessionState {
    pub state: String,
    pub reason: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SessionStuck {
    pub state: String,
    pub age_ms: Option<f64>,
}

#[derive(Deserialize, Debug)]
pub struct RunAttempt {
    pub attempt: f64,
}

#[derive(Deserialize, Debug)]
pub struct Heartbeat {
    pub queued: f64,
}

#[derive(Deserialize, Debug)]
#[serde(tag = "type")]
pub enum Event {
    #[serde(rename = "model.usage")]
    ModelUsage(ModelUsage),
    #[serde(rename = "webhook.received")]
    WebhookReceived(Webhook),
    #[serde(rename = "webhook.processed")]
    WebhookProcessed(Webhook),
    #[serde(rename = "webhook.error")]
    WebhookError(Webhook),
    #[serde(rename = "message.queued")]
    MessageQueued(MessageQueued),
    #[serde(rename = "message.processed")]
    MessageProcessed(MessageProcessed),
    #[serde(rename = "queue.lane.enqueue")]
    LaneEnqueue(Lane),
    #[serde(rename = "queue.lane.dequeue")]
    LaneDequeue(Lane),
    #[serde(rename = "session.state")]
    SessionState(SessionState),
    #[serde(rename = "session.stuck")]
    SessionStuck(SessionStuck),
    #[serde(rename = "run.attempt")]
    RunAttempt(RunAttempt),
    #[serde(rename = "diagnostic.heartbeat")]
    Heartbeat(Heartbeat),
    /// A type this version does not export (newer hosts add types all the time).
    #[serde(other)]
    Unknown,
}

#[derive(Debug)]
pub enum Decoded {
    Event(Event),
    Unknown,
    /// Why it was skipped, short and free of the event's content.
    Malformed(String),
}

fn valid(v: Option<f64>) -> bool {
    v.is_none_or(|x| x.is_finite() && (0.0..=MAX_VALUE).contains(&x))
}

impl Event {
    /// Every number we record must be finite, non-negative and plausible.
    fn numbers_valid(&self) -> bool {
        match self {
            Event::ModelUsage(e) => {
                let u = &e.usage;
                let c = e.context.as_ref();
                [u.input, u.output, u.cache_read, u.cache_write, u.prompt_tokens, u.total,
                 e.cost_usd, e.duration_ms, c.and_then(|c| c.limit), c.and_then(|c| c.used)]
                    .into_iter()
                    .all(valid)
            }
            Event::WebhookReceived(e) | Event::WebhookProcessed(e) | Event::WebhookError(e) => valid(e.duration_ms),
            Event::MessageQueued(e) => valid(e.queue_depth),
            Event::MessageProcessed(e) => valid(e.duration_ms),
            Event::LaneEnqueue(e) | Event::LaneDequeue(e) => valid(Some(e.queue_size)) && valid(e.wait_ms),
            Event::SessionStuck(e) => valid(e.age_ms),
            Event::RunAttempt(e) => valid(Some(e.attempt)),
            Event::Heartbeat(e) => valid(Some(e.queued)),
            Event::SessionState(_) | Event::Unknown => true,
        }
    }
}

/// Decode one event serialized by `JSON.stringify` in the plugin entry.
pub fn decode(json: &str) -> Decoded {
    match serde_json::from_str::<Event>(json) {
        Ok(Event::Unknown) => Decoded::Unknown,
        Ok(ev) if ev.numbers_valid() => Decoded::Event(ev),
        Ok(_) => Decoded::Malformed("a number is negative, non-finite or implausibly large".into()),
        Err(e) => Decoded::Malformed(format!("{:?} at column {}", e.classify(), e.column())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_model_usage_of_2026_2() {
        let j = r#"{"type":"model.usage","seq":3,"ts":1,"sessionKey":"agent:main:main","sessionId":"s1",
            "channel":"webchat","provider":"mock","model":"m1",
            "usage":{"input":10,"output":5,"cacheRead":2,"cacheWrite":1,"promptTokens":13,"total":18},
            "lastCallUsage":{"input":10},"context":{"limit":128000,"used":13},"costUsd":0.25,"durationMs":1200}"#;
        let Decoded::Event(Event::ModelUsage(e)) = decode(j) else { panic!("not decoded") };
        assert_eq!(e.usage.input, Some(10.0));
        assert_eq!(e.usage.prompt_tokens, Some(13.0));
        assert_eq!(e.context.and_then(|c| c.limit), Some(128000.0));
        assert_eq!(e.cost_usd, Some(0.25));
    }

    #[test]
    fn unknown_types_are_not_malformed() {
        assert!(matches!(decode(r#"{"type":"run.started","runId":"r"}"#), Decoded::Unknown));
    }

    #[test]
    fn malformed_events_are_reported() {
        for j in [
            "not json",
            r#"{"seq":1}"#,
            r#"{"type":"queue.lane.enqueue","queueSize":1}"#,
            r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":"3"}"#,
            r#"{"type":"queue.lane.enqueue","lane":"main","queueSize":-1}"#,
            r#"{"type":"model.usage","usage":{"input":1e300}}"#,
            r#"{"type":"model.usage","usage":"lots"}"#,
            r#"{"type":"session.stuck","state":7}"#,
            r#"[1,2]"#,
        ] {
            assert!(matches!(decode(j), Decoded::Malformed(_)), "{j}");
        }
    }

    #[test]
    fn nulls_count_as_absent() {
        let j = r#"{"type":"message.processed","channel":null,"outcome":"completed","durationMs":null}"#;
        assert!(matches!(decode(j), Decoded::Event(Event::MessageProcessed(_))));
    }
}
