//! What the plugin tells its operator: a bounded queue of log lines the JS side drains into
//! the host's logger, counters for the status view, and the rate limits on repeated warnings.

use crate::config::Level;
use crate::policy::printable;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const MAX_LINES: usize = 256;
pub const WARN_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Logs {
    lines: Mutex<VecDeque<(Level, String)>>,
    dropped: AtomicU64,
}

impl Logs {
    /// Every line the plugin prints passes here, through the redaction funnel.
    pub fn push(&self, level: Level, msg: String) {
        let msg = printable(&msg);
        let Ok(mut q) = self.lines.lock() else { return };
        if q.len() >= MAX_LINES {
            q.pop_front();
            self.dropped.fetch_add(1, Relaxed);
        }
        q.push_back((level, msg));
    }

    pub fn take(&self) -> Vec<(Level, String)> {
        let Ok(mut q) = self.lines.lock() else { return Vec::new() };
        let mut out: Vec<_> = q.drain(..).collect();
        let dropped = self.dropped.swap(0, Relaxed);
        if dropped > 0 {
            out.insert(0, (Level::Warn, format!("diagnostics-otel: {dropped} log line(s) dropped (log queue full)")));
        }
        out
    }
}

/// At most one message per `WARN_EVERY`; occurrences in between are counted into the next.
#[derive(Default)]
pub struct RateLimited {
    state: Mutex<(Option<Instant>, u64)>,
}

impl RateLimited {
    /// Some(n) when a warning is due now, n counting this occurrence and the suppressed ones.
    pub fn due(&self) -> Option<u64> {
        let Ok(mut s) = self.state.lock() else { return None };
        s.1 += 1;
        let now = Instant::now();
        if s.0.is_none_or(|last| now.duration_since(last) >= WARN_EVERY) {
            s.0 = Some(now);
            let n = s.1;
            s.1 = 0;
            Some(n)
        } else {
            None
        }
    }
}

#[derive(Default)]
pub struct Counters {
    pub received: AtomicU64,
    pub recorded: AtomicU64,
    pub malformed: AtomicU64,
    pub ignored: AtomicU64,
    pub dropped: AtomicU64,
    pub late: AtomicU64,
}

pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A short, stable category for an export error's text, for operators and for `status()`.
pub fn categorize(err: &str) -> &'static str {
    let e = err.to_ascii_lowercase();
    let has = |s: &str| e.contains(s);
    if has("shutdown deadline") {
        "cancelled at shutdown"
    } else if has("via proxy") {
        // Set by our connector: the proxy, not the collector, is the problem.
        if has("proxy authorization required") || has(" 407") {
            "proxy: authentication required"
        } else if has("tunnel error: unsuccessful") {
            "proxy: tunnel refused"
        } else if has("connection refused") || has("failed to lookup") || has("dns") || has("timed out") {
            "proxy unreachable"
        } else {
            // tinyproxy, refusing credentials on a plain-http request, may reset the connection
            // before hyper reads its 407.
            "proxy: connection failed (wrong proxy credentials, or the proxy refused the request)"
        }
    } else if has("timed out") || has("timeout") || has("deadline") {
        "timeout"
    } else if has("connection refused") {
        "connection refused"
    } else if has("dns") || has("failed to lookup") || has("name or service not known") {
        "dns"
    } else if has("certificate")
        || has("tls")
        || has("fatal alert")
        || has("handshake")
        || has("corrupt message")
        || has("invalidcontenttype")
        || has("wrong version number")
    {
        // The last three: https:// to a plain-HTTP port (the reply is not a TLS record).
        "tls"
    } else if let Some(code) = http_status(&e) {
        match code {
            401 | 403 => "rejected: unauthorized",
            407 => "proxy: authentication required",
            404 => "rejected: not found (check the endpoint path)",
            413 => "rejected: payload too large",
            415 => "rejected: unsupported media type",
            429 => "throttled",
            400..=499 => "rejected by collector",
            _ => "collector error",
        }
    } else if has("code: unauthenticated") || has("code: permissiondenied") {
        // gRPC's 401 and 403.
        "rejected: unauthorized"
    } else if has("resourceexhausted") || has("resource exhausted") {
        "throttled"
    } else if has("unavailable") || has("connection reset") || has("broken pipe") || has("connect") {
        "connection failed"
    } else {
        "other"
    }
}

/// What a TLS failure means, in words an operator can act on (rustls' error names and the
/// alerts a collector sends).
pub fn tls_cause(err: &str) -> Option<&'static str> {
    let e = err.to_ascii_lowercase().replace([' ', '_'], "");
    let has = |s: &str| e.contains(s);
    Some(if has("unknownissuer") || has("certificateverifyfailed") {
        "the collector's certificate is not signed by a trusted CA (OTEL_EXPORTER_OTLP_CERTIFICATE)"
    } else if has("certificaterequired") {
        "the collector requires a client certificate (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and _CLIENT_KEY)"
    } else if has("alert") && has("unknownca") {
        "the collector does not trust our client certificate (signed by a CA it does not know)"
    } else if has("alert") && has("expired") {
        "our client certificate expired (the collector refused it)"
    } else if has("expired") {
        "the collector's certificate expired"
    } else if has("notvalidforname") {
        "the collector's certificate is not valid for the endpoint's host name"
    } else if has("alert") && (has("badcertificate") || has("handshakefailure")) {
        "the collector refused our client certificate, or wants one"
    } else if has("closenotify") || has("unexpectedeof") {
        // gRPC servers (grpc-core) refuse a client certificate by closing, without an alert.
        "the collector closed the TLS connection: it may want a client certificate, or refuse ours (expired, or from a CA it does not trust)"
    } else if has("corruptmessage") || has("invalidcontenttype") || has("wrongversionnumber") {
        "the endpoint does not speak TLS (an https:// URL to a plain-HTTP port?)"
    } else {
        return None;
    })
}

/// Whether data that failed with this category (and HTTP status, when there was a response) is
/// worth sending again, as the OTLP spec lists it: throttling, 502/503/504, timeouts and
/// transport failures. A refusal (4xx), a TLS problem or an unknown error is not.
pub fn retryable(category: &str, status: Option<u16>) -> bool {
    match status {
        Some(code) => matches!(code, 408 | 429 | 502 | 503 | 504),
        None => matches!(
            category,
            "cancelled at shutdown"
                | "timeout"
                | "connection refused"
                | "dns"
                | "connection failed"
                | "throttled"
                | "proxy unreachable"
                | "proxy: tunnel refused"
                | "proxy: connection failed (wrong proxy credentials, or the proxy refused the request)"
        ),
    }
}

/// The HTTP status an error text names, if any.
pub fn status_in(err: &str) -> Option<u16> {
    http_status(&err.to_ascii_lowercase())
}

fn http_status(e: &str) -> Option<u16> {
    for marker in ["status code", "status:", "status "] {
        if let Some(i) = e.find(marker) {
            let digits: String =
                e[i + marker.len()..].trim_start_matches([' ', ':', '=']).chars().take_while(|c| c.is_ascii_digit()).collect();
            if let Ok(code) = digits.parse::<u16>() {
                if (100..600).contains(&code) {
                    return Some(code);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_worth_sending_again() {
        assert!(retryable("throttled", Some(429)));
        assert!(retryable("collector error", Some(503)));
        assert!(!retryable("collector error", Some(500)));
        assert!(!retryable("rejected: payload too large", Some(413)));
        assert!(!retryable("rejected: unauthorized", Some(401)));
        assert!(retryable(categorize("tcp connect error: Connection refused (os error 111)"), None));
        assert!(retryable(categorize("status: Unavailable, message: receiver in fail mode"), None));
        assert!(retryable(categorize("export timed out after 10s"), None));
        assert!(!retryable(categorize("invalid peer certificate: UnknownIssuer"), None));
    }

    #[test]
    fn categories() {
        assert_eq!(categorize("error sending request: tcp connect error: Connection refused (os error 111)"), "connection refused");
        assert_eq!(categorize("export timed out after 10s"), "timeout");
        assert_eq!(categorize("OTLP export failed with status code 415 Unsupported Media Type"), "rejected: unsupported media type");
        assert_eq!(categorize("status: 503"), "collector error");
        assert_eq!(categorize("Operation failed: HTTP export failed with status code: 503"), "collector error");
        assert_eq!(categorize("weird"), "other");
        assert_eq!(categorize("TonicMetricsClient export failed with gRPC code: Unauthenticated"), "rejected: unauthorized");
        assert_eq!(categorize("HTTP export failed: network error: received fatal alert: UnknownCA"), "tls");
        assert_eq!(
            categorize("via proxy http://***@p:3128: error reading a body from connection: Connection reset by peer").split(' ').next(),
            Some("proxy:")
        );
        assert_eq!(categorize("via proxy http://p:3128: tcp connect error: Connection refused"), "proxy unreachable");
        assert_eq!(categorize("HTTP export failed with status code: 407"), "proxy: authentication required");
        assert_eq!(
            tls_cause("invalid peer certificate: UnknownIssuer"),
            Some("the collector's certificate is not signed by a trusted CA (OTEL_EXPORTER_OTLP_CERTIFICATE)")
        );
        assert!(tls_cause("received fatal alert: CertificateExpired").is_some_and(|c| c.contains("our client certificate expired")));
    }

    #[test]
    fn rate_limit_counts_suppressed() {
        let r = RateLimited::default();
        assert_eq!(r.due(), Some(1));
        assert_eq!(r.due(), None);
        assert_eq!(r.due(), None);
    }

    #[test]
    fn log_queue_is_bounded() {
        let l = Logs::default();
        for i in 0..(MAX_LINES + 5) {
            l.push(Level::Info, format!("{i}"));
        }
        let out = l.take();
        assert_eq!(out.len(), MAX_LINES + 1);
        assert!(out[0].1.contains("5 log line(s) dropped"));
        assert!(l.take().is_empty());
    }
}
