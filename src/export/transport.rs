//! How the exporters reach the collector: TCP, directly or through an http:// proxy (a CONNECT
//! tunnel for https:// and gRPC, absolute-form requests for plain http), then TLS with the
//! signal's CA and client certificate. One HTTP client per distinct TLS setup, shared by the
//! signals that have it.

use crate::config::{shown_proxy as shown, Proxy, Tls};
use crate::export::otlp::error_chain;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A TCP connection, marked when it goes to a proxy that takes absolute-form requests.
pub struct Conn {
    io: TokioIo<tokio::net::TcpStream>,
    proxied: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: hyper::rt::ReadBufCursor<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Connects directly, or through the proxy the matcher picks for the destination.
#[derive(Clone)]
pub struct Route {
    tcp: HttpConnector,
    proxy: Option<Arc<Matcher>>,
    /// gRPC is HTTP/2: through a proxy it always needs a tunnel, plain http:// targets too.
    always_tunnel: bool,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Route(proxied: {})", self.proxy.is_some())
    }
}

impl Route {
    pub fn new(proxy: Option<Arc<Matcher>>, always_tunnel: bool) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(Duration::from_secs(10)));
        Route { tcp, proxy, always_tunnel }
    }
}

impl Service<http::Uri> for Route {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let via = self.proxy.as_ref().and_then(|m| m.intercept(&dst));
        let mut tcp = self.tcp.clone();
        let tunnel = self.always_tunnel || dst.scheme_str() == Some("https");
        Box::pin(async move {
            let Some(via) = via else {
                return Ok(Conn { io: tcp.call(dst).await?, proxied: false });
            };
            let result: Result<Conn, BoxError> = if tunnel {
                let mut t = Tunnel::new(via.uri().clone(), tcp);
                if let Some(auth) = via.basic_auth() {
                    t = t.with_auth(auth.clone());
                }
                t.call(dst).await.map(|io| Conn { io, proxied: false }).map_err(Into::into)
            } else {
                tcp.call(via.uri().clone()).await.map(|io| Conn { io, proxied: true }).map_err(Into::into)
            };
            result.map_err(|e| format!("via proxy {}: {}", shown(&via), error_chain(e.as_ref())).into())
        })
    }
}

type Hyper = opentelemetry_http::hyper::HyperClient<hyper_rustls::HttpsConnector<Route>>;

/// The HTTP client for OTLP/HTTP: hyper (already here for gRPC) with rustls on ring; no
/// reqwest, whose TLS stack would add aws-lc and the platform verifier for nothing we use.
#[derive(Clone, Debug)]
pub struct HttpClient {
    hyper: Hyper,
    proxy: Option<Arc<Matcher>>,
}

impl HttpClient {
    /// Each export is bounded by its signal's own timeout (Guard): the client's is a backstop.
    pub fn new(tls: &Tls, proxy: Option<Arc<Matcher>>) -> Result<Self, String> {
        let config = tls.client_config()?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(Route::new(proxy.clone(), false));
        Ok(HttpClient { hyper: Hyper::new(connector, Duration::from_secs(300), None), proxy })
    }

    pub async fn send(
        &self,
        mut request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<opentelemetry_http::Response<opentelemetry_http::Bytes>, opentelemetry_http::HttpError> {
        // A plain-http request through a proxy carries the proxy's credentials itself (a
        // tunnel carries them on its CONNECT).
        let absolute = request.uri().scheme_str() == Some("http");
        let via = if absolute { self.proxy.as_ref().and_then(|m| m.intercept(request.uri())) } else { None };
        if let Some(auth) = via.as_ref().and_then(Intercept::basic_auth) {
            request.headers_mut().insert(http::header::PROXY_AUTHORIZATION, auth.clone());
        }
        let result = opentelemetry_http::HttpClient::send_bytes(&self.hyper, request).await;
        match (result, via) {
            // The request went to the proxy: say so (a tunnel's failures already do).
            (Err(e), Some(via)) => Err(format!("via proxy {}: {}", shown(&via), error_chain(e.as_ref())).into()),
            (result, _) => result,
        }
    }
}

/// A generation's HTTP clients, one per distinct TLS setup, built on first use.
pub struct Clients {
    proxy: Option<Arc<Matcher>>,
    built: Mutex<Vec<(Tls, HttpClient)>>,
}

impl Clients {
    pub fn new(proxy: &Proxy) -> Self {
        Clients { proxy: proxy.is_set().then(|| Arc::new(proxy.matcher())), built: Mutex::new(Vec::new()) }
    }

    pub fn proxy(&self) -> Option<Arc<Matcher>> {
        self.proxy.clone()
    }

    /// Call inside the generation's runtime.
    pub fn for_tls(&self, tls: &Tls) -> Result<HttpClient, String> {
        let mut built = self.built.lock().map_err(|_| "HTTP client table poisoned".to_string())?;
        if let Some((_, c)) = built.iter().find(|(t, _)| t == tls) {
            return Ok(c.clone());
        }
        let client = HttpClient::new(tls, self.proxy.clone())?;
        built.push((tls.clone(), client.clone()));
        Ok(client)
    }

    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.built.lock().map_or(0, |b| b.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PemFile;

    #[test]
    fn signals_with_the_same_tls_share_one_client() {
        let clients = Clients::new(&Proxy::default());
        let plain = Tls::default();
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/config/testdata/ca.pem")).unwrap_or_default();
        let ca = Tls { ca: Some(PemFile { var: "OTEL_EXPORTER_OTLP_CERTIFICATE".into(), path: "ca.pem".into(), pem }), client: None };
        for tls in [&plain, &plain, &ca, &ca, &plain] {
            assert!(clients.for_tls(tls).is_ok());
        }
        assert_eq!(clients.count(), 2);
    }
}
