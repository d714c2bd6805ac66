//! One signal's TLS: the CA(s) to trust and the client certificate for mTLS, from
//! `OTEL_EXPORTER_OTLP_[<SIGNAL>_]{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}` (per-signal wins,
//! per variable). Files are read and checked here, at start; messages name the variable and the
//! path, never what the file holds.

use super::read::Ctx;
use super::Signal;
use crate::time::{civil_from_days, days_from_civil};
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

/// One DER element at the start of `der`: (tag, contents, rest).
fn der_element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as unix seconds.
fn der_time(tag: u8, text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 if s.len() == 12 => {
            let yy: i64 = s[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &s[2..])
        }
        0x18 if s.len() == 14 => (s[..4].parse().ok()?, &s[4..]),
        _ => return None,
    };
    let n = |i: usize| rest.get(i..i + 2).and_then(|d| d.parse::<i64>().ok());
    let (month, day, h, m, sec) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

/// A certificate's (not before, not after), in unix seconds.
fn validity(cert: &[u8]) -> Option<(i64, i64)> {
    let (_, certificate, _) = der_element(cert)?;
    let (_, tbs, _) = der_element(certificate)?;
    let mut rest = tbs;
    // [0] version is optional; then serial, signature algorithm, issuer, validity.
    if rest.first() == Some(&0xa0) {
        rest = der_element(rest)?.2;
    }
    for _ in 0..3 {
        rest = der_element(rest)?.2;
    }
    let (_, validity, _) = der_element(rest)?;
    let (t1, from, after) = der_element(validity)?;
    let (t2, until, _) = der_element(after)?;
    Some((der_time(t1, from)?, der_time(t2, until)?))
}

fn utc(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

impl Tls {
    /// The client certificate outside its validity at `now` (unix seconds): the collector will
    /// refuse it, and over gRPC the refusal does not say why, so it is said at start.
    pub fn client_validity_problem(&self, now: i64) -> Option<String> {
        let (cert, _) = self.client.as_ref()?;
        let first = cert.certs().ok()?.into_iter().next()?;
        let (from, until) = validity(first.as_ref())?;
        if now > until {
            Some(format!("{} \"{}\" expired on {}; the collector will refuse it", cert.var, cert.path, utc(until)))
        } else if now < from {
            Some(format!(
                "{} \"{}\" is not valid before {} (check the clock); the collector will refuse it",
                cert.var,
                cert.path,
                utc(from)
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_validity_is_read_from_the_der() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/config/testdata/client.pem");
        let pem = std::fs::read(path).unwrap_or_default();
        let file = PemFile { var: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE".into(), path: "client.pem".into(), pem: pem.clone() };
        let certs = file.certs().unwrap_or_default();
        // openssl x509 -noout -dates: notBefore=Dec  2 09:13:50 2026 GMT, notAfter=Nov  8 09:13:50 2126 GMT
        let (from, until) = validity(certs[0].as_ref()).unwrap_or_default();
        assert_eq!((utc(from), utc(until)), ("2026-12-02 09:13 UTC".to_string(), "2126-11-08 09:13 UTC".to_string()));
        assert_eq!(der_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(der_time(0x18, b"20000301000000Z"), Some(951_868_800));
        let key = PemFile { var: "K".into(), path: "k".into(), pem: vec![] };
        let tls = Tls { ca: None, client: Some((file, key)) };
        assert_eq!(tls.client_validity_problem(from + 1), None);
        let late = tls.client_validity_problem(until + 1).unwrap_or_default();
        assert_eq!(
            late,
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE \"client.pem\" expired on 2126-11-08 09:13 UTC; the collector will refuse it"
        );
        assert!(tls.client_validity_problem(from - 60).is_some_and(|p| p.contains("is not valid before 2026-12-02 09:13 UTC")));
        assert_eq!(validity(b"\x30\x03\x02\x01"), None, "truncated DER");
    }
}
