//! One signal's endpoint: protocol, URL (fully validated, user info never printed), headers and
//! compression, from `diagnostics.otel` and the `OTEL_EXPORTER_OTLP_*` variables.

use super::read::Ctx;
use super::*;

/// Where and how one signal is sent; each signal's settings own one.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub protocol: Protocol,
    pub url: String,
    /// True when neither config nor environment named an endpoint.
    pub defaulted: bool,
    pub headers: Vec<(String, String)>,
    pub compression: Compression,
    pub timeout: Duration,
    /// CA and client certificate for https:// (default: webpki roots, no client certificate).
    pub tls: Tls,
}

/// One signal's protocol, URL, headers, compression and request timeout.
pub(super) fn resolve_endpoint(cx: &mut Ctx, signal: Signal) -> Endpoint {
    let protocol = resolve_protocol(cx, signal);
    let (url, defaulted) = resolve_url(cx, protocol, signal);
    let headers = resolve_headers(cx, signal);
    let compression = resolve_compression(cx, signal);
    let infix = signal.env_infix();
    let timeout = env_millis(cx, &format!("OTEL_EXPORTER_OTLP_{infix}_TIMEOUT"), DEFAULT_EXPORT_TIMEOUT_MS)
        .or_else(|| env_millis(cx, "OTEL_EXPORTER_OTLP_TIMEOUT", DEFAULT_EXPORT_TIMEOUT_MS))
        .unwrap_or(DEFAULT_EXPORT_TIMEOUT_MS);
    Endpoint { protocol, url, defaulted, headers, compression, timeout: Duration::from_millis(timeout), tls: Tls::default() }
}

pub(super) fn parse_protocol(s: &str) -> Option<Protocol> {
    match s.to_ascii_lowercase().as_str() {
        "http/protobuf" => Some(Protocol::HttpProtobuf),
        "http/json" => Some(Protocol::HttpJson),
        "grpc" => Some(Protocol::Grpc),
        _ => None,
    }
}

/// Priority: config `protocol` > OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL > OTEL_EXPORTER_OTLP_PROTOCOL > http/protobuf.
pub(super) fn resolve_protocol(cx: &mut Ctx, signal: Signal) -> Protocol {
    let per_signal = format!("OTEL_EXPORTER_OTLP_{}_PROTOCOL", signal.env_infix());
    let candidates = [
        ("diagnostics.otel.protocol".to_string(), cx.cfg_str("protocol")),
        (per_signal.clone(), cx.env(&per_signal).map(str::to_string)),
        ("OTEL_EXPORTER_OTLP_PROTOCOL".to_string(), cx.env("OTEL_EXPORTER_OTLP_PROTOCOL").map(str::to_string)),
    ];
    for (key, value) in candidates {
        if let Some(v) = value {
            return parse_protocol(&v).unwrap_or_else(|| {
                cx.warn(format!("{key} \"{v}\" is not one of http/protobuf, http/json, grpc; using http/protobuf"));
                Protocol::HttpProtobuf
            });
        }
    }
    Protocol::HttpProtobuf
}

/// An http(s) URL with a host and a usable port, with its scheme lower-cased; the problem
/// otherwise (never the URL itself: it may carry credentials).
pub(super) fn check_url(url: &str) -> Result<String, String> {
    let (scheme, rest) = url.split_once("://").ok_or("it does not start with http:// or https://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err("it does not start with http:// or https://".into());
    }
    // http::Uri lets a control character through in a fragment (found by fuzzing).
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace or a control character".into());
    }
    let normalized = format!("{scheme}://{rest}");
    let uri = normalized.parse::<http::Uri>().map_err(|e| format!("{e}"))?;
    let authority = uri.authority().ok_or("it has no host")?;
    if authority.host().is_empty() {
        return Err("it has no host".into());
    }
    // http::Uri keeps a port it cannot read as u16 (e.g. 99999) as text without a number.
    let port_text = authority.as_str().rsplit_once(':').map(|(_, p)| p).filter(|p| !p.ends_with(']'));
    match (port_text, authority.port_u16()) {
        (Some(p), None) if !p.is_empty() => return Err("its port is not a number from 1 to 65535".into()),
        (_, Some(0)) => return Err("its port is 0".into()),
        _ => {}
    }
    // TLS needs a DNS name or an IP address: `https://u127.0.0.1` would fail every export (or,
    // for gRPC, the exporter's build). Found by fuzzing.
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    if scheme == "https" && rustls::pki_types::ServerName::try_from(host).is_err() {
        return Err("its host is not a valid DNS name or IP address for TLS".into());
    }
    Ok(normalized)
}

/// A shared base endpoint becomes a signal's URL: `/v1/<signal>` is appended, and a base that
/// already ends in a signal path has that last segment replaced.
pub fn url_from_base(base: &str, protocol: Protocol, signal: Signal) -> String {
    let base = base.trim_end_matches('/');
    if protocol == Protocol::Grpc {
        return base.to_string();
    }
    let cut = base.find(['?', '#']).unwrap_or(base.len());
    let (path, suffix) = base.split_at(cut);
    let lower = path.to_ascii_lowercase();
    for tail in ["/v1/traces", "/v1/metrics", "/v1/logs"] {
        if lower.ends_with(tail) {
            let stem = &path[..path.len() - tail.len()];
            return format!("{stem}/v1/{}{suffix}", signal.as_str());
        }
    }
    format!("{path}/v1/{}{suffix}", signal.as_str())
}

/// Priority: config `<signal>Endpoint` > OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT (both exact URLs) >
/// config `endpoint` > OTEL_EXPORTER_OTLP_ENDPOINT (bases) > localhost default.
pub(super) fn resolve_url(cx: &mut Ctx, protocol: Protocol, signal: Signal) -> (String, bool) {
    let cfg_key = format!("{}Endpoint", signal.as_str());
    let env_key = format!("OTEL_EXPORTER_OTLP_{}_ENDPOINT", signal.env_infix());
    let exact = [(format!("diagnostics.otel.{cfg_key}"), cx.cfg_str(&cfg_key)), (env_key.clone(), cx.env(&env_key).map(str::to_string))];
    let bases = [
        ("diagnostics.otel.endpoint".to_string(), cx.cfg_str("endpoint")),
        ("OTEL_EXPORTER_OTLP_ENDPOINT".to_string(), cx.env("OTEL_EXPORTER_OTLP_ENDPOINT").map(str::to_string)),
    ];
    let candidates = exact.into_iter().map(|(k, v)| (k, v, true)).chain(bases.into_iter().map(|(k, v)| (k, v, false)));
    let default_base = if protocol == Protocol::Grpc { DEFAULT_GRPC_ENDPOINT } else { DEFAULT_HTTP_ENDPOINT };
    for (key, value, is_exact) in candidates {
        let Some(raw) = value else { continue };
        let url = match check_url(raw.trim()) {
            Ok(url) => url,
            Err(problem) => {
                cx.warn(format!("{key} \"{}\" is not a usable URL ({problem}); trying the next setting", redact_url(&raw)));
                continue;
            }
        };
        let url = if is_exact { url } else { url_from_base(&url, protocol, signal) };
        return (url, false);
    }
    (url_from_base(default_base, protocol, signal), true)
}

/// A URL fit for logs: no user info, no query, no fragment. Everything up to the last `@` is
/// user info, even past a `/`, `?` or `#`: a password typed with one of those in it
/// (`http://u:pa#ss@h`, `http://u:12/pw@h`) is still a password, whatever a parser makes of it.
pub fn redact_url(url: &str) -> String {
    let scheme_like = |i: &usize| url[..*i].bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let (scheme, rest) = match url.find("://").filter(scheme_like) {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let (userinfo, rest) = match rest.rfind('@') {
        Some(at) => ("***@", &rest[at + 1..]),
        None => ("", rest),
    };
    let query = if rest.contains('?') { "?***" } else { "" };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    format!("{scheme}{userinfo}{rest}{query}")
}

pub(super) fn valid_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

pub(super) fn valid_header_value(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
}

pub(super) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `k=v,k2=v2` with percent-encoding, as the OTel spec writes headers and resource attributes.
pub(super) fn parse_pairs(cx: &mut Ctx, source: &str, raw: &str, what: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            cx.warn(format!("{source} has an entry without '=' (entry {} chars long); skipping it", item.len()));
            continue;
        };
        match (percent_decode(k.trim()), percent_decode(v.trim())) {
            (Some(k), Some(v)) if !k.is_empty() => out.push((k, v)),
            _ => cx.warn(format!("{source} has a {what} that is not valid percent-encoded UTF-8; skipping it")),
        }
    }
    out
}

/// A malformed name may be a credential split at a base64 '=' (`Authorization: Basic ab=`): it is
/// reported by where it stands, never echoed.
pub(super) fn header_name_ok(cx: &mut Ctx, name: &str, at: &str) -> bool {
    let ok = valid_header_name(name);
    if !ok {
        cx.warn(format!(
            "{at} has no valid HTTP header name (write name=value pairs, comma-separated, with values percent-encoded, a space as %20); skipping it"
        ));
    }
    ok
}

/// Headers: OTEL_EXPORTER_OTLP_HEADERS, overridden by OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS,
/// overridden by config `headers`. Names are lower-cased; values are never logged.
pub(super) fn resolve_headers(cx: &mut Ctx, signal: Signal) -> Vec<(String, String)> {
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    let per_signal = format!("OTEL_EXPORTER_OTLP_{}_HEADERS", signal.env_infix());
    for key in ["OTEL_EXPORTER_OTLP_HEADERS", per_signal.as_str()] {
        if let Some(raw) = cx.env(key).map(str::to_string) {
            for (i, (k, v)) in parse_pairs(cx, key, &raw, "header").into_iter().enumerate() {
                if header_name_ok(cx, &k, &format!("{key} entry #{}", i + 1)) {
                    merged.insert(k.to_ascii_lowercase(), v);
                }
            }
        }
    }
    match cx.otel.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (i, (k, v)) in map.iter().enumerate() {
                let at = format!("diagnostics.otel.headers entry #{}", i + 1);
                match v {
                    Value::String(s) => {
                        if header_name_ok(cx, k.trim(), &at) {
                            merged.insert(k.trim().to_ascii_lowercase(), s.clone());
                        }
                    }
                    other => cx.warn(format!("{at}: a header value must be a string, got {}; skipping that header", type_name(other))),
                }
            }
        }
        Some(other) => cx.warn(format!(
            "diagnostics.otel.headers must be an object of strings, got {}; sending no configured headers",
            type_name(other)
        )),
    }
    let mut out = Vec::new();
    for (k, v) in merged {
        if !valid_header_value(&v) {
            cx.warn(format!("header \"{k}\" has a value with control characters; skipping it"));
        } else {
            out.push((k, v));
        }
    }
    out
}

pub(super) fn env_millis(cx: &mut Ctx, key: &str, default: u64) -> Option<u64> {
    let raw = cx.env(key)?.to_string();
    match raw.parse::<f64>() {
        // A fraction of a millisecond rounds up: truncated to 0, every export would time out.
        Ok(v) if v.is_finite() && v > 0.0 => Some(v.ceil() as u64),
        _ => {
            cx.warn(format!("{key} \"{raw}\" is not a positive number of milliseconds; using {default}"));
            None
        }
    }
}

pub(super) fn resolve_compression(cx: &mut Ctx, signal: Signal) -> Compression {
    let per_signal = format!("OTEL_EXPORTER_OTLP_{}_COMPRESSION", signal.env_infix());
    for key in [per_signal.as_str(), "OTEL_EXPORTER_OTLP_COMPRESSION"] {
        match cx.env(key).map(str::to_ascii_lowercase).as_deref() {
            None => continue,
            Some("gzip") => return Compression::Gzip,
            Some("none") => return Compression::None,
            Some(other) => {
                cx.warn(format!("{key} \"{other}\" is not gzip or none; sending uncompressed"));
                return Compression::None;
            }
        }
    }
    Compression::None
}
