//! A diagnostic event as delivered by OpenClaw (any version): a JSON object with a `type`.
//! Field access is by dotted path; wrong types are reported so the event can be skipped.

use serde_json::{Map, Value};

/// Numbers above this are corrupt: no real token count, cost, size or duration gets near.
pub const MAX_VALUE: f64 = 1e15;

pub struct Event {
    fields: Map<String, Value>,
}

/// Why an event was skipped, short and free of the event's content.
#[derive(Debug, PartialEq)]
pub struct Malformed(pub String);

pub fn parse(json: &str) -> Result<Event, Malformed> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(fields)) => match fields.get("type") {
            Some(Value::String(_)) => Ok(Event { fields }),
            Some(_) => Err(Malformed("`type` is not a string".into())),
            None => Err(Malformed("no `type`".into())),
        },
        Ok(_) => Err(Malformed("not an object".into())),
        Err(e) => Err(Malformed(format!("invalid JSON ({:?} at column {})", e.classify(), e.column()))),
    }
}

impl Event {
    /// An event built in-process (e.g. from the gateway's file log); None without a string `type`.
    pub fn from_fields(fields: Map<String, Value>) -> Option<Self> {
        fields.get("type").and_then(Value::as_str)?;
        Some(Event { fields })
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

    /// A measurement: absent is None; present must be finite, >= 0 and plausible.
    pub fn num(&self, path: &str) -> Result<Option<f64>, Malformed> {
        match self.lookup(path)? {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() && (0.0..=MAX_VALUE).contains(&x) => Ok(Some(x)),
                _ => Err(Malformed(format!("`{path}` is negative or implausibly large"))),
            },
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
        assert!(e.num("n").is_err());
        assert!(e.num("s").is_err());
        assert_eq!(e.text("channel"), Ok(Some("webchat".into())));
        assert!(e.text("usage").is_err());
    }

    #[test]
    fn rejects_non_events() {
        for j in ["not json", "[1]", "42", r#"{"seq":1}"#, r#"{"type":7}"#, "null"] {
            assert!(parse(j).is_err(), "{j}");
        }
    }
}
