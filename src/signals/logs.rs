//! `log.record` (and trusted `security.event`) events to OTLP log records and stdout JSON lines.
//! The record's body is the message only with `captureContent: true`, else the literal `log`;
//! attributes are bounded and credential-masked; trace correlation uses the event's
//! trust-vouched trace context, whose span ids are our exported lifecycle spans' ids.

use crate::config::LogsSettings;
use crate::event::{trace_ctx, Event, Malformed, Trust};
use crate::policy::{bounded_text, is_withheld_key, low_cardinality, valid_key, UNKNOWN};
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::TraceFlags;
use opentelemetry_sdk::logs::{SdkLogRecord, SdkLogger, SdkLoggerProvider};
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Attributes per record, as the official plugin bounds them.
const MAX_ATTRIBUTES: usize = 64;
const MAX_BODY: usize = 4096;
fn severity(level: &str) -> (&'static str, Severity) {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => ("TRACE", Severity::Trace),
        "DEBUG" => ("DEBUG", Severity::Debug),
        "WARN" | "WARNING" => ("WARN", Severity::Warn),
        "ERROR" => ("ERROR", Severity::Error),
        "FATAL" => ("FATAL", Severity::Fatal),
        _ => ("INFO", Severity::Info),
    }
}

fn clamp(v: &str, max: usize) -> String {
    if v.chars().count() <= max {
        return v.to_string();
    }
    let mut s: String = v.chars().take(max).collect();
    s.push_str("...(truncated)");
    s
}

/// A log record ready for export, with its stdout form when stdout is on.
pub struct LogItem {
    pub record: SdkLogRecord,
    pub stdout_line: Option<String>,
    /// Set once its stdout line is written (a retried batch prints nothing twice).
    pub printed: std::sync::atomic::AtomicBool,
}

/// One attribute in both forms: OTLP and the stdout JSON object.
struct Attrs {
    otlp: Vec<(String, AnyValue)>,
    json: Map<String, Value>,
}

impl Attrs {
    fn put(&mut self, key: String, value: &Value) {
        if self.otlp.len() >= MAX_ATTRIBUTES || !valid_key(&key, 96) {
            return;
        }
        let (otlp, json) = match value {
            Value::String(s) => {
                let v = clamp(&bounded_text(s), MAX_BODY);
                (AnyValue::from(v.clone()), Value::String(v))
            }
            Value::Bool(b) => (AnyValue::from(*b), Value::Bool(*b)),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => (AnyValue::from(i), Value::from(i)),
                (None, Some(f)) if f.is_finite() => (AnyValue::from(f), Value::from(f)),
                _ => return,
            },
            _ => return,
        };
        self.otlp.retain(|(k, _)| *k != key);
        self.otlp.push((key.clone(), otlp));
        self.json.insert(key, json);
    }
}

fn iso_time(t: SystemTime) -> String {
    let ms = t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = crate::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000)
}

pub struct LogMapper {
    capture_content: bool,
    stdout: bool,
    service_name: String,
    // Records are created by an SDK logger with no processors: we batch and export them ourselves.
    _provider: SdkLoggerProvider,
    logger: SdkLogger,
}

impl LogMapper {
    pub fn new(s: &LogsSettings, service_name: &str) -> Self {
        let provider = SdkLoggerProvider::builder().build();
        let logger = provider.logger("openclaw");
        LogMapper {
            capture_content: s.capture_content,
            stdout: s.stdout,
            service_name: service_name.to_string(),
            _provider: provider,
            logger,
        }
    }

    pub fn map(&self, ev: &Event, trust: Trust) -> Result<Option<LogItem>, Malformed> {
        match ev.kind() {
            "log.record" => self.log_record(ev, trust).map(Some),
            "security.event" if trust.trusted => self.security_event(ev, trust).map(Some),
            _ => Ok(None),
        }
    }

    fn log_record(&self, ev: &Event, trust: Trust) -> Result<LogItem, Malformed> {
        let level = ev.text("level")?.filter(|l| !l.trim().is_empty()).unwrap_or_else(|| "INFO".into());
        let mut attrs = Attrs { otlp: Vec::new(), json: Map::new() };
        attrs.put("openclaw.log.level".into(), &Value::String(level.clone()));
        if let Some(name) = ev.text("loggerName")?.filter(|n| !n.is_empty()) {
            attrs.put("openclaw.logger".into(), &Value::String(name));
        }
        if let Some(parents) = ev.strings("loggerParents")?.filter(|p| !p.is_empty()) {
            attrs.put("openclaw.logger.parents".into(), &Value::String(parents.join(".")));
        }
        if let Some(Value::Object(map)) = ev.get("attributes") {
            for (k, v) in map {
                let k = k.trim();
                if valid_key(k, 64) && !is_withheld_key(k) {
                    attrs.put(format!("openclaw.{k}"), v);
                }
            }
        }
        if let Some(line) = ev.num("code.line")?.filter(|l| *l > 0.0) {
            attrs.put("code.lineno".into(), &Value::from(line as i64));
        }
        if let Some(f) = ev.text("code.functionName")?.filter(|f| !f.is_empty()) {
            attrs.put("code.function".into(), &Value::String(f));
        }
        let body = if self.capture_content {
            clamp(&bounded_text(&ev.text("message")?.filter(|m| !m.is_empty()).unwrap_or_else(|| "log".into())), MAX_BODY)
        } else {
            "log".to_string()
        };
        let (text, number) = severity(&level);
        self.item(ev, trust, text, number, body, attrs)
    }

    fn security_event(&self, ev: &Event, trust: Trust) -> Result<LogItem, Malformed> {
        let (text, number) = match ev.text("severity")?.as_deref() {
            Some("critical") => ("FATAL", Severity::Fatal),
            Some("high") => ("ERROR", Severity::Error),
            Some("medium") => ("WARN", Severity::Warn),
            _ => ("INFO", Severity::Info),
        };
        let mut attrs = Attrs { otlp: Vec::new(), json: Map::new() };
        for (key, path) in [
            ("category", "category"),
            ("action", "action"),
            ("outcome", "outcome"),
            ("severity", "severity"),
            ("reason", "reason"),
            ("actor.kind", "actor.kind"),
            ("actor.role", "actor.role"),
            ("actor.channel", "actor.channel"),
            ("target.kind", "target.kind"),
            ("target.name", "target.name"),
            ("policy.id", "policy.id"),
            ("policy.decision", "policy.decision"),
            ("control.id", "control.id"),
            ("control.family", "control.family"),
        ] {
            if let Some(v) = ev.text(path)?.filter(|v| !v.is_empty()) {
                attrs.put(format!("openclaw.security.{key}"), &Value::String(low_cardinality(Some(&v), UNKNOWN)));
            }
        }
        if let Some(Value::Object(map)) = ev.get("attributes") {
            for (k, v) in map {
                if valid_key(k, 64) && !is_withheld_key(k) {
                    let v = match v {
                        Value::String(s) => Value::String(low_cardinality(Some(s), UNKNOWN)),
                        other => other.clone(),
                    };
                    attrs.put(format!("openclaw.security.attribute.{k}"), &v);
                }
            }
        }
        self.item(ev, trust, text, number, "openclaw.security.event".into(), attrs)
    }

    fn item(
        &self,
        ev: &Event,
        trust: Trust,
        text: &'static str,
        number: Severity,
        body: String,
        attrs: Attrs,
    ) -> Result<LogItem, Malformed> {
        // An implausible time (1970, far ahead) is replaced by now, like a missing one.
        let now = crate::time::now_ms();
        let ts = crate::time::from_unix_ms(ev.num("ts")?.filter(|ms| crate::time::plausible(*ms, now)).unwrap_or(now));
        let cx = trace_ctx(ev, trust);
        let mut record = self.logger.create_log_record();
        record.set_timestamp(ts);
        record.set_observed_timestamp(SystemTime::now());
        record.set_severity_text(text);
        record.set_severity_number(number);
        record.set_body(AnyValue::from(body.clone()));
        if let Some(c) = &cx {
            if let Some(span_id) = c.span_id {
                let flags = if c.sampled.unwrap_or(true) { TraceFlags::SAMPLED } else { TraceFlags::default() };
                record.set_trace_context(c.trace_id, span_id, Some(flags));
            }
        }
        // Keys in the documented order (serde_json's map would sort them).
        let stdout_line = self.stdout.then(|| {
            let mut fields: Vec<(&str, Value)> = vec![
                ("ts", Value::String(iso_time(ts))),
                ("signal", Value::String("openclaw.diagnostic.log".into())),
                ("service.name", Value::String(self.service_name.clone())),
                ("severityText", Value::String(text.into())),
                ("severityNumber", Value::from(number as i32)),
                ("body", Value::String(body)),
                ("attributes", Value::Object(attrs.json)),
            ];
            if let Some(c) = &cx {
                fields.push(("trace_id", Value::String(c.trace_id.to_string())));
                if let Some(s) = c.span_id {
                    fields.push(("span_id", Value::String(s.to_string())));
                }
                if let Some(sampled) = c.sampled {
                    fields.push(("trace_flags", Value::String(if sampled { "01" } else { "00" }.into())));
                }
            }
            let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{v}", Value::String((*k).to_string()))).collect();
            format!("{{{}}}", body.join(","))
        });
        record.add_attributes(attrs.otlp);
        Ok(LogItem { record, stdout_line, printed: Default::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(iso_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(UNIX_EPOCH + std::time::Duration::from_millis(1_767_268_800_123)), "2026-01-01T12:00:00.123Z");
        assert_eq!(iso_time(UNIX_EPOCH + std::time::Duration::from_millis(951_782_400_000)), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn keys_and_clamps() {
        assert!(valid_key("subsystem", 64) && !valid_key("a b", 64) && !valid_key("__proto__", 64));
        assert_eq!(clamp("abcdef", 3), "abc...(truncated)");
    }
}
