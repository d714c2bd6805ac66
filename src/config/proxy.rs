//! `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` for the exporters. Either case works; when both
//! are set the lowercase one wins, as curl, wget and Python read them. Only http:// proxies
//! (CONNECT for https:// and gRPC targets, absolute-form for plain http); credentials in the
//! proxy URL go as Proxy-Authorization and are never printed.

use super::endpoint::{check_url, redact_url};
use super::read::Ctx;
use hyper_util::client::proxy::matcher::{Intercept, Matcher};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxy {
    /// For http:// targets.
    pub http: Option<String>,
    /// For https:// targets.
    pub https: Option<String>,
    /// Hosts that go direct: comma list of names (a leading dot or not: the name and its
    /// subdomains), IP addresses or CIDR ranges.
    pub no_proxy: String,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = |u: &Option<String>| u.as_deref().map(redact_url);
        write!(f, "Proxy(http={:?}, https={:?}, no_proxy={:?})", r(&self.http), r(&self.https), self.no_proxy)
    }
}

impl Proxy {
    pub fn is_set(&self) -> bool {
        self.http.is_some() || self.https.is_some()
    }

    pub fn matcher(&self) -> Matcher {
        Matcher::builder()
            .http(self.http.clone().unwrap_or_default())
            .https(self.https.clone().unwrap_or_default())
            .no(self.no_proxy.as_str())
            .build()
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn route(&self, url: &str) -> Option<Intercept> {
        let uri = url.parse::<http::Uri>().ok()?;
        self.matcher().intercept(&uri)
    }

    /// For the startup line: " via proxy http://***@host:port", or nothing.
    pub fn describe(&self, url: &str) -> String {
        self.route(url).map_or(String::new(), |i| format!(" via proxy {}", shown(&i)))
    }
}

/// A proxy as printed: `http://***@host:port` when it has credentials (the matcher has already
/// taken them out of the URL).
pub fn shown(via: &Intercept) -> String {
    let uri = via.uri();
    let auth = if via.basic_auth().is_some() { "***@" } else { "" };
    format!("{}://{auth}{}", uri.scheme_str().unwrap_or("http"), uri.authority().map_or("", |a| a.as_str()))
}

/// The lowercase variable over the uppercase one (one warning when they differ).
fn either_case(cx: &mut Ctx, upper: &str) -> Option<(String, String)> {
    let lower = upper.to_ascii_lowercase();
    let (l, u) = (cx.env(&lower).map(str::to_string), cx.env(upper).map(str::to_string));
    if let (Some(l), Some(u)) = (&l, &u) {
        if l != u {
            cx.warn(format!("{lower} and {upper} are both set and differ; using {lower}"));
        }
    }
    l.map(|v| (lower, v)).or_else(|| u.map(|v| (upper.to_string(), v)))
}

/// An http:// proxy URL (no scheme means http://, as curl reads it), else a warning and none.
fn proxy_url(cx: &mut Ctx, upper: &str) -> Option<String> {
    let (key, raw) = either_case(cx, upper)?;
    let url = if raw.contains("://") { raw.clone() } else { format!("http://{raw}") };
    let fallback = "connecting directly";
    match check_url(&url) {
        Ok(u) if u.starts_with("http://") => Some(u),
        Ok(_) => {
            cx.warn(format!("{key} \"{}\" is an https:// proxy; only http:// proxies are supported; {fallback}", redact_url(&raw)));
            None
        }
        Err(problem) => {
            cx.warn(format!("{key} \"{}\" is not a usable http:// proxy URL ({problem}); {fallback}", redact_url(&raw)));
            None
        }
    }
}

pub(super) fn resolve_proxy(cx: &mut Ctx) -> Proxy {
    let no_proxy = either_case(cx, "NO_PROXY").map(|(_, v)| v).unwrap_or_default();
    let http = proxy_url(cx, "HTTP_PROXY");
    let https = proxy_url(cx, "HTTPS_PROXY");
    // `*` means no proxy for any host; the matcher applies it to names only, not to IP addresses.
    if no_proxy.split(',').any(|e| e.trim() == "*") {
        return Proxy::default();
    }
    Proxy { http, https, no_proxy }
}
