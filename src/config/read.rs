//! Reading the host's `diagnostics.otel` object and the environment as data: each problem is
//! warned once, and a bad value falls back alone.

use super::Env;
use serde_json::{Map, Value};

pub(super) struct Ctx<'a> {
    pub(super) otel: &'a Map<String, Value>,
    pub(super) env: &'a Env,
    pub(super) warnings: Vec<String>,
}

impl Ctx<'_> {
    /// Each problem once, even when several signals read the same setting.
    pub(super) fn warn(&mut self, msg: String) {
        let msg = format!("diagnostics-otel: {msg}");
        if !self.warnings.contains(&msg) {
            self.warnings.push(msg);
        }
    }

    pub(super) fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A non-blank config string, or None; a non-string value is warned about.
    pub(super) fn cfg_str(&mut self, key: &str) -> Option<String> {
        match self.otel.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(other) => {
                self.warn(format!("diagnostics.otel.{key} must be a string, got {}; ignoring it", type_name(other)));
                None
            }
        }
    }

    /// Booleans: only `true`/`false` count; anything else warns and takes the default.
    pub(super) fn cfg_bool(&mut self, key: &str, default: bool) -> bool {
        match self.otel.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.warn(format!("diagnostics.otel.{key} must be true or false, got {}; using {default}", type_name(other)));
                default
            }
        }
    }
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
