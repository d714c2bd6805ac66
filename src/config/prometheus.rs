//! The Prometheus exposition's settings. They live in the plugin's own config
//! (`plugins.entries["diagnostics-otel"].config.prometheus`), because OpenClaw's schema for
//! `diagnostics.otel` is strict: a key it does not know there fails the whole config.

use super::read::type_name;
use serde_json::Value;

pub const WHERE: &str = "plugins.entries.diagnostics-otel.config.prometheus";
pub const WHERE_ENABLED: &str = "plugins.entries.diagnostics-otel.config.prometheus.enabled";
pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_MAX_SERIES: usize = 2048;
const MAX_MAX_SERIES: u64 = 1_000_000;
/// The path on the gateway's own HTTP server (OpenClaw 2026.9+): under our plugin id, so it can
/// never collide with diagnostics-prometheus' `/api/diagnostics/prometheus`.
pub const ROUTE_PATH: &str = "/api/diagnostics-otel/prometheus";
pub const LISTENER_PATH: &str = "/metrics";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrometheusSettings {
    /// Serve on the gateway's authenticated plugin route (where the host has one).
    pub route: bool,
    /// The standalone listener, when a port is set.
    pub listen: Option<Listen>,
    pub max_series: usize,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Listen {
    pub host: String,
    pub port: u16,
    /// Required as `Authorization: Bearer <token>` when set. Never printed.
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listen")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Listen {
    pub fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "127.0.0.1" | "::1" | "localhost") || self.host.starts_with("127.")
    }

    /// `http://127.0.0.1:9464/metrics`, for the startup line and the docs.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("http://{host}:{}{LISTENER_PATH}", self.port)
    }
}

/// `plugin` is the plugin entry's `config` object (may be null). None when the exposition is
/// off; each bad value gets one warning naming its key and the fallback.
pub fn resolve(plugin: &Value, warn: &mut dyn FnMut(String)) -> Option<PrometheusSettings> {
    let p = match plugin.get("prometheus") {
        None | Some(Value::Null) => return None,
        Some(Value::Object(p)) => p,
        Some(other) => {
            warn(format!("{WHERE} must be an object, got {}; the Prometheus exposition stays off", type_name(other)));
            return None;
        }
    };
    let boolean = |key: &str, default: bool, warn: &mut dyn FnMut(String)| match p.get(key) {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            warn(format!("{WHERE}.{key} must be true or false, got {}; using {default}", type_name(other)));
            default
        }
    };
    if !boolean("enabled", false, warn) {
        return None;
    }
    let route = boolean("route", true, warn);
    let text = |key: &str, warn: &mut dyn FnMut(String)| match p.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(other) => {
            warn(format!("{WHERE}.{key} must be a string, got {}; ignoring it", type_name(other)));
            None
        }
    };
    let max_series = match p.get("maxSeries") {
        None | Some(Value::Null) => DEFAULT_MAX_SERIES,
        Some(v) => match v.as_u64().filter(|n| (1..=MAX_MAX_SERIES).contains(n)) {
            Some(n) => n as usize,
            None => {
                warn(format!("{WHERE}.maxSeries must be an integer from 1 to {MAX_MAX_SERIES}, got {v}; using {DEFAULT_MAX_SERIES}"));
                DEFAULT_MAX_SERIES
            }
        },
    };
    let port = match p.get("port") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|n| (1..=65535).contains(n)) {
            Some(n) => Some(n as u16),
            None => {
                warn(format!("{WHERE}.port must be an integer from 1 to 65535, got {}; the standalone listener stays off", describe(v)));
                None
            }
        },
    };
    let host = text("host", warn).unwrap_or_else(|| DEFAULT_HOST.to_string());
    let inline = text("bearerToken", warn);
    let file = text("bearerTokenFile", warn);
    let listen = port.and_then(|port| {
        let bearer_token = match (inline, file) {
            (Some(t), None) => Some(t),
            (None, None) => None,
            (inline, Some(path)) => {
                if inline.is_some() {
                    warn(format!("{WHERE}: both bearerToken and bearerTokenFile are set; using bearerTokenFile"));
                }
                match std::fs::read_to_string(&path) {
                    Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
                    Ok(_) => {
                        warn(format!("{WHERE}.bearerTokenFile {path} is empty; the standalone listener stays off rather than serve without its token"));
                        return None;
                    }
                    Err(e) => {
                        warn(format!("{WHERE}.bearerTokenFile {path} could not be read ({}); the standalone listener stays off rather than serve without its token", e.kind()));
                        return None;
                    }
                }
            }
        };
        let listen = Listen { host: host.clone(), port, bearer_token };
        if !listen.is_loopback() && listen.bearer_token.is_none() {
            warn(format!(
                "{WHERE}: the standalone listener binds {} without a bearer token: anyone who reaches that address can read the metrics; set bearerTokenFile",
                listen.host
            ));
        }
        Some(listen)
    });
    Some(PrometheusSettings { route, listen, max_series })
}

/// A value as a warning may show it: numbers as they are, text only by its type (a port field
/// may have been handed a secret by mistake).
fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => type_name(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> (Option<PrometheusSettings>, Vec<String>) {
        let mut warnings = Vec::new();
        let s = resolve(&v, &mut |w| warnings.push(w));
        (s, warnings)
    }

    #[test]
    fn off_unless_enabled() {
        assert_eq!(run(json!(null)), (None, vec![]));
        assert_eq!(run(json!({})), (None, vec![]));
        assert_eq!(run(json!({"prometheus": {"port": 9464}})), (None, vec![]));
        let (s, w) = run(json!({"prometheus": "yes"}));
        assert!(s.is_none() && w[0].contains("must be an object"), "{w:?}");
    }

    #[test]
    fn defaults_and_listener() {
        let (s, w) = run(json!({"prometheus": {"enabled": true}}));
        assert_eq!(s, Some(PrometheusSettings { route: true, listen: None, max_series: 2048 }));
        assert!(w.is_empty());
        let (s, w) = run(json!({"prometheus": {"enabled": true, "route": false, "port": 9464, "bearerToken": "s3cret", "maxSeries": 10}}));
        let s = s.unwrap();
        assert!(!s.route);
        assert_eq!(s.max_series, 10);
        let l = s.listen.unwrap();
        assert_eq!((l.host.as_str(), l.port, l.bearer_token.as_deref()), ("127.0.0.1", 9464, Some("s3cret")));
        assert_eq!(l.url(), "http://127.0.0.1:9464/metrics");
        assert!(!format!("{l:?}").contains("s3cret"));
        assert!(w.is_empty());
    }

    #[test]
    fn bad_values_warn_once_and_fall_back_safely() {
        let (s, w) = run(json!({"prometheus": {"enabled": true, "port": "s3cret", "maxSeries": 0, "route": 1}}));
        let s = s.unwrap();
        assert!(s.route && s.listen.is_none() && s.max_series == 2048);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().all(|m| m.starts_with(WHERE) && !m.contains("s3cret")), "{w:?}");
        // An unreadable token file keeps the listener off: never serve without the token.
        let (s, w) = run(json!({"prometheus": {"enabled": true, "port": 9464, "bearerTokenFile": "/nonexistent/token"}}));
        assert!(s.unwrap().listen.is_none());
        assert!(w[0].contains("could not be read") && w[0].contains("stays off"), "{w:?}");
        // Open to the network without a token: allowed, but said.
        let (s, w) = run(json!({"prometheus": {"enabled": true, "port": 9464, "host": "0.0.0.0"}}));
        assert!(s.unwrap().listen.is_some());
        assert!(w[0].contains("without a bearer token"), "{w:?}");
    }

    #[test]
    fn token_file_is_read_and_trimmed() {
        let dir = std::env::temp_dir().join(format!("otel-rs-prom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("token");
        std::fs::write(&f, "from-file\n").unwrap();
        let (s, w) = run(json!({"prometheus": {"enabled": true, "port": 1, "bearerToken": "inline", "bearerTokenFile": f}}));
        assert_eq!(s.unwrap().listen.unwrap().bearer_token.as_deref(), Some("from-file"));
        assert!(w[0].contains("both bearerToken and bearerTokenFile"), "{w:?}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
