//! One signal's TLS: the CA(s) to trust and the client certificate for mTLS, from
//! `OTEL_EXPORTER_OTLP_[<SIGNAL>_]{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}` (per-signal wins,
//! per variable). Files are read and checked here, at start; messages name the variable and the
//! path, never what the file holds.

use super::read::Ctx;
use super::Signal;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// A PEM file as read at start, with the variable that named it.
#[derive(Clone, PartialEq, Eq)]
pub struct PemFile {
    pub var: String,
    pub path: String,
    pub pem: Vec<u8>,
}

impl std::fmt::Debug for PemFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PemFile({}={:?})", self.var, self.path)
    }
}

impl PemFile {
    fn problem(&self, what: &str) -> String {
        format!("{} \"{}\" {what}", self.var, self.path)
    }

    fn certs(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        // The parser's error may quote a line of the file: say only that it is not PEM.
        let certs = CertificateDer::pem_slice_iter(&self.pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| self.problem("is not a valid PEM file"))?;
        if certs.is_empty() {
            return Err(self.problem("holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        Ok(certs)
    }
}

/// Default (no files): the webpki roots, no client certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tls {
    /// Replaces the webpki roots, as the Node SDK's `ca` replaces Node's bundled CAs.
    pub ca: Option<PemFile>,
    /// Certificate chain and private key for mTLS.
    pub client: Option<(PemFile, PemFile)>,
}

impl Tls {
    /// The rustls setup for the HTTP exporters; it also checks every file at start.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, String> {
        let roots = match &self.ca {
            None => rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() },
            Some(ca) => {
                let mut store = rustls::RootCertStore::empty();
                let (added, _) = store.add_parsable_certificates(ca.certs()?);
                if added == 0 {
                    return Err(ca.problem("holds no usable CA certificate"));
                }
                store
            }
        };
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("could not set up TLS: {e}"))?
            .with_root_certificates(roots);
        let Some((cert, key)) = &self.client else { return Ok(builder.with_no_client_auth()) };
        let chain = cert.certs()?;
        let der = PrivateKeyDer::from_pem_slice(&key.pem).map_err(|_| key.problem("holds no PEM private key (PKCS#8, PKCS#1 or SEC1)"))?;
        // rustls checks that the key is usable and belongs to the certificate.
        builder
            .with_client_auth_cert(chain, der)
            .map_err(|e| format!("{} \"{}\" and {} \"{}\" do not go together ({e})", cert.var, cert.path, key.var, key.path))
    }

    /// For the startup line: which files are in use.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(ca) = &self.ca {
            parts.push(format!("CA {}", ca.path));
        }
        if let Some((cert, _)) = &self.client {
            parts.push(format!("client certificate {}", cert.path));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" (TLS: {})", parts.join(", "))
        }
    }
}

/// The first set of the per-signal and generic variable, as (name, value).
fn pick(cx: &Ctx, signal: Signal, suffix: &str) -> Option<(String, String)> {
    let per_signal = format!("OTEL_EXPORTER_OTLP_{}_{suffix}", signal.env_infix());
    let generic = format!("OTEL_EXPORTER_OTLP_{suffix}");
    [per_signal, generic].into_iter().find_map(|k| cx.env(&k).map(|v| (k.clone(), v.to_string())))
}

/// The half of a client pair that is missing, named in the form of the half that is set (so
/// a generic variable gives one message for every signal).
fn missing(set: &str, suffix: &str, signal: Signal) -> String {
    let generic = format!("OTEL_EXPORTER_OTLP_{suffix}");
    if set.starts_with(&format!("OTEL_EXPORTER_OTLP_{}_", signal.env_infix())) {
        format!("OTEL_EXPORTER_OTLP_{}_{suffix} or {generic}", signal.env_infix())
    } else {
        generic
    }
}

fn read(var: String, path: String) -> Result<PemFile, String> {
    match std::fs::read(&path) {
        Ok(pem) => Ok(PemFile { var, path, pem }),
        Err(e) => Err(format!("{var} \"{path}\" could not be read ({e})")),
    }
}

/// The signal's TLS for an https:// URL (plain http ignores the variables), or the one problem
/// that keeps the signal off.
pub(super) fn resolve_tls(cx: &Ctx, signal: Signal, url: &str) -> Result<Tls, String> {
    if !url.starts_with("https://") {
        return Ok(Tls::default());
    }
    let ca = pick(cx, signal, "CERTIFICATE");
    let client = match (pick(cx, signal, "CLIENT_CERTIFICATE"), pick(cx, signal, "CLIENT_KEY")) {
        (None, None) => None,
        (Some((var, _)), None) => {
            let other = missing(&var, "CLIENT_KEY", signal);
            return Err(format!("{var} is set but {other} is not: a client certificate needs its key"));
        }
        (None, Some((var, _))) => {
            let other = missing(&var, "CLIENT_CERTIFICATE", signal);
            return Err(format!("{var} is set but {other} is not: a client key needs its certificate"));
        }
        (Some((cv, cp)), Some((kv, kp))) => Some((read(cv, cp)?, read(kv, kp)?)),
    };
    let ca = ca.map(|(var, path)| read(var, path)).transpose()?;
    let tls = Tls { ca, client };
    tls.client_config()?;
    Ok(tls)
}
