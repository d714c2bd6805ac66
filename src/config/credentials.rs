//! Headers that rotate without a restart, from the plugin's own config
//! (`plugins.entries["diagnostics-otel"].config`): `headersFile`, re-read before each export (a
//! mounted Kubernetes secret), and `headersHelper`, a command whose output is cached for
//! `headersHelperTtlMs` and run again at once after the collector refuses a credential (Claude
//! Code's `otelHeadersHelper`). They go on every OTLP signal, over its static headers.

use super::read::type_name;
use serde_json::Value;
use std::time::Duration;

pub const WHERE: &str = "plugins.entries.diagnostics-otel.config";
pub const DEFAULT_HELPER_TTL_MS: u64 = 300_000;
pub const DEFAULT_HELPER_TIMEOUT_MS: u64 = 10_000;
const MIN_TTL_MS: u64 = 1_000;
const MAX_TIMEOUT_MS: u64 = 120_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderSource {
    File(String),
    Helper { command: String, ttl: Duration, timeout: Duration },
}

impl HeaderSource {
    /// For the startup line and the warnings: never the command's arguments (they may hold a
    /// secret), only its program.
    pub fn describe(&self) -> String {
        match self {
            HeaderSource::File(path) => format!("headersFile {path}"),
            HeaderSource::Helper { command, ttl, .. } => {
                let program = command.split_whitespace().next().unwrap_or("");
                format!("headersHelper {program} (cached {}s)", ttl.as_secs())
            }
        }
    }
}

fn millis(plugin: &Value, key: &str, default: u64, min: u64, max: u64, warn: &mut dyn FnMut(String)) -> Duration {
    let ms = match plugin.get(key) {
        None | Some(Value::Null) => default,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= min as f64 && v <= max as f64 => v as u64,
            _ => {
                warn(format!("{WHERE}.{key} must be between {min} and {max} ms, got {n}; using {default}"));
                default
            }
        },
        Some(other) => {
            warn(format!("{WHERE}.{key} must be a number of milliseconds, got {}; using {default}", type_name(other)));
            default
        }
    };
    Duration::from_millis(ms)
}

fn text(plugin: &Value, key: &str, warn: &mut dyn FnMut(String)) -> Option<String> {
    match plugin.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(other) => {
            warn(format!("{WHERE}.{key} must be a non-empty string, got {}; ignoring it", type_name(other)));
            None
        }
    }
}

/// The rotating sources in the order they apply (a later one wins per header name).
pub fn resolve(plugin: &Value, warn: &mut dyn FnMut(String)) -> Vec<HeaderSource> {
    let mut out = Vec::new();
    if let Some(path) = text(plugin, "headersFile", warn) {
        out.push(HeaderSource::File(path));
    }
    let command = text(plugin, "headersHelper", warn);
    let ttl = millis(plugin, "headersHelperTtlMs", DEFAULT_HELPER_TTL_MS, MIN_TTL_MS, u64::MAX / 2, warn);
    let timeout = millis(plugin, "headersHelperTimeoutMs", DEFAULT_HELPER_TIMEOUT_MS, 100, MAX_TIMEOUT_MS, warn);
    if let Some(command) = command {
        out.push(HeaderSource::Helper { command, ttl, timeout });
    }
    out
}

/// Header pairs from a file or a helper's output: a JSON object of strings, or one
/// `name: value` / `name=value` per line (blank lines and `#` comments skipped). Problems name
/// the line, never its text.
pub fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) else {
            return Err("is not a valid JSON object".into());
        };
        let mut out = Vec::new();
        for (i, (k, v)) in map.iter().enumerate() {
            let Value::String(v) = v else { return Err(format!("entry #{} is not a string", i + 1)) };
            out.push(checked(k, v).ok_or_else(|| format!("entry #{} is not a valid header", i + 1))?);
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(at) = line.find([':', '=']) else { return Err(format!("line {} has no ':' or '='", i + 1)) };
        out.push(checked(&line[..at], &line[at + 1..]).ok_or_else(|| format!("line {} is not a valid header", i + 1))?);
    }
    Ok(out)
}

fn checked(name: &str, value: &str) -> Option<(String, String)> {
    let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
    let ok = http::HeaderName::from_bytes(name.as_bytes()).is_ok() && http::HeaderValue::from_str(value).is_ok();
    ok.then(|| (name, value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_formats_and_problems_that_never_echo() {
        let lines = "# rotated by vault\n\nAuthorization: Bearer abc==\nx-tenant=acme:eu\n";
        assert_eq!(parse_headers(lines), Ok(vec![("authorization".into(), "Bearer abc==".into()), ("x-tenant".into(), "acme:eu".into())]));
        assert_eq!(parse_headers(r#" {"Authorization": "Bearer xyz"} "#), Ok(vec![("authorization".into(), "Bearer xyz".into())]));
        assert_eq!(parse_headers(""), Ok(vec![]));
        for (bad, why) in [
            ("ok: 1\nBearer s3cret-only\n", "line 2 has no ':' or '='"),
            ("bad name: s3cret", "line 1 is not a valid header"),
            (r#"{"a": 1}"#, "entry #1 is not a string"),
            ("{s3cret", "is not a valid JSON object"),
        ] {
            let e = parse_headers(bad).expect_err(bad);
            assert_eq!(e, why);
            assert!(!e.contains("s3cret"));
        }
    }

    #[test]
    fn sources_defaults_and_bad_values() {
        let mut warns = Vec::new();
        let got = resolve(&json!({"headersFile": "/run/secrets/otel", "headersHelper": "vault-token --field x"}), &mut |w| warns.push(w));
        assert_eq!(
            got,
            vec![
                HeaderSource::File("/run/secrets/otel".into()),
                HeaderSource::Helper {
                    command: "vault-token --field x".into(),
                    ttl: Duration::from_millis(DEFAULT_HELPER_TTL_MS),
                    timeout: Duration::from_millis(DEFAULT_HELPER_TIMEOUT_MS)
                }
            ]
        );
        assert_eq!(got[1].describe(), "headersHelper vault-token (cached 300s)");
        assert!(warns.is_empty());
        let got =
            resolve(&json!({"headersFile": 7, "headersHelper": "h", "headersHelperTtlMs": 5, "headersHelperTimeoutMs": "x"}), &mut |w| {
                warns.push(w)
            });
        assert_eq!(got.len(), 1);
        assert_eq!(warns.len(), 3, "{warns:?}");
        assert!(warns[0].contains("headersFile must be a non-empty string"));
        assert!(warns[1].contains("headersHelperTtlMs must be between 1000"));
        assert!(warns[2].contains("headersHelperTimeoutMs must be a number"));
    }
}
