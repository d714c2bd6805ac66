//! The headers each export carries, set on the request itself: the signal's static headers
//! (config over environment, as README says; the OTLP crate's own re-read of
//! `OTEL_EXPORTER_OTLP_*HEADERS` is overwritten here) and then the rotating ones, from a file
//! re-read before each export or a helper command cached for a TTL. Values are never printed.

use crate::config::credentials::parse_headers;
use crate::config::{HeaderSource, Level};
use crate::export::otlp::Reporter;
use http::{HeaderName, HeaderValue};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A file is read again at most this often (several signals export at once).
const FILE_RECHECK: Duration = Duration::from_secs(1);
/// A failing helper is not run again before this, whatever its TTL.
const HELPER_RETRY: Duration = Duration::from_secs(5);

type Pairs = Arc<Vec<(HeaderName, HeaderValue)>>;

fn to_pairs(raw: &[(String, String)]) -> Vec<(HeaderName, HeaderValue)> {
    raw.iter()
        .filter_map(|(k, v)| {
            let mut value = HeaderValue::from_str(v).ok()?;
            value.set_sensitive(true);
            Some((HeaderName::from_bytes(k.as_bytes()).ok()?, value))
        })
        .collect()
}

#[derive(Default)]
struct State {
    pairs: Pairs,
    /// When the source was last read or run, and whether that worked.
    checked: Option<Instant>,
    /// Set after the collector refused a credential: the next export fetches again first.
    stale: bool,
    /// The text of the source as last read (a file's change is told once).
    last_text: Option<String>,
    /// The problem last warned about, so that a lasting one is told once.
    problem: Option<String>,
}

/// One rotating source and its cached headers.
pub struct Rotating {
    source: HeaderSource,
    state: Mutex<State>,
    /// Only one helper run at a time; exports that arrive meanwhile wait for its result.
    running: tokio::sync::Mutex<()>,
    reporter: Arc<Reporter>,
}

impl Rotating {
    pub fn new(source: HeaderSource, reporter: Arc<Reporter>) -> Arc<Self> {
        Arc::new(Rotating { source, state: Mutex::new(State::default()), running: tokio::sync::Mutex::new(()), reporter })
    }

    pub fn current(&self) -> Pairs {
        self.state.lock().map(|s| s.pairs.clone()).unwrap_or_default()
    }

    /// After a 401/403: fetch again before the next export.
    pub fn invalidate(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.stale = true;
        }
    }

    fn due(&self) -> bool {
        let Ok(s) = self.state.lock() else { return false };
        let Some(at) = s.checked else { return true };
        let every = match &self.source {
            HeaderSource::File(_) => FILE_RECHECK,
            HeaderSource::Helper { ttl, .. } if s.problem.is_none() => *ttl,
            HeaderSource::Helper { ttl, .. } => HELPER_RETRY.min(*ttl),
        };
        (s.stale && at.elapsed() >= FILE_RECHECK.min(every)) || at.elapsed() >= every
    }

    /// Called before each export: reads the file or runs the helper when due.
    pub async fn refresh(&self) {
        if !self.due() {
            return;
        }
        let _one = self.running.lock().await;
        if !self.due() {
            return;
        }
        let got = match &self.source {
            HeaderSource::File(path) => std::fs::read_to_string(path).map_err(|e| format!("could not be read ({})", e.kind())),
            HeaderSource::Helper { command, timeout, .. } => {
                let (command, timeout) = (command.clone(), *timeout);
                tokio::task::spawn_blocking(move || run_helper(&command, timeout)).await.unwrap_or_else(|_| Err("could not be run".into()))
            }
        };
        self.settle(got);
    }

    fn settle(&self, got: Result<String, String>) {
        let parsed = got.and_then(|text| parse_headers(&text).map(|p| (text, p)));
        let Ok(mut s) = self.state.lock() else { return };
        s.checked = Some(Instant::now());
        s.stale = false;
        let what = self.source.describe();
        match parsed {
            Ok((text, pairs)) => {
                if s.last_text.as_deref() != Some(text.as_str()) {
                    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
                    let verb = if s.last_text.is_none() { "read" } else { "changed" };
                    self.reporter
                        .logs
                        .push(Level::Info, format!("diagnostics-otel: {what} {verb}: sending header(s) {}", names.join(", ")));
                    s.last_text = Some(text);
                }
                s.pairs = Arc::new(to_pairs(&pairs));
                s.problem = None;
            }
            Err(problem) => {
                if s.problem.as_deref() != Some(problem.as_str()) {
                    let kept = if s.pairs.is_empty() { "sending no rotating headers" } else { "keeping the headers it gave last" };
                    self.reporter.logs.push(Level::Warn, format!("diagnostics-otel: {what} {problem}; {kept}"));
                    s.problem = Some(problem);
                }
            }
        }
    }
}

/// Runs the helper with a timeout; its stdout, or why there is none (never its stderr, which
/// may echo a secret).
fn run_helper(command: &str, timeout: Duration) -> Result<String, String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut cmd = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", command]);
        c
    } else {
        let mut c = Command::new("/bin/sh");
        c.args(["-c", command]);
        c
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not be started ({})", e.kind()))?;
    let mut stdout = child.stdout.take();
    // Read while it runs, so that a large output cannot block it on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(1 << 20).read_to_end(&mut out);
        }
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} ms", timeout.as_millis()));
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".into(),
        });
    }
    String::from_utf8(out).map_err(|_| "printed something that is not UTF-8".into())
}

/// What one signal's requests carry.
#[derive(Clone)]
pub struct SignalHeaders {
    fixed: Pairs,
    rotating: Arc<Vec<Arc<Rotating>>>,
}

impl SignalHeaders {
    pub fn new(fixed: &[(String, String)], rotating: &[Arc<Rotating>]) -> Self {
        SignalHeaders { fixed: Arc::new(to_pairs(fixed)), rotating: Arc::new(rotating.to_vec()) }
    }

    pub async fn refresh(&self) {
        for r in self.rotating.iter() {
            r.refresh().await;
        }
    }

    pub fn invalidate(&self) {
        for r in self.rotating.iter() {
            r.invalidate();
        }
    }

    /// Static headers, then rotating ones, each replacing a header of the same name.
    pub fn each(&self, mut set: impl FnMut(&HeaderName, &HeaderValue)) {
        for (k, v) in self.fixed.iter() {
            set(k, v);
        }
        for r in self.rotating.iter() {
            for (k, v) in r.current().iter() {
                set(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_of(h: &SignalHeaders) -> Vec<(String, String)> {
        let mut map = http::HeaderMap::new();
        h.each(|k, v| {
            map.insert(k.clone(), v.clone());
        });
        let mut out: Vec<_> = map.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        out.sort();
        out
    }

    /// A fresh scratch directory for one test.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("otel-rs-{name}-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    /// A runtime like a generation's (helpers run on its blocking threads).
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap_or_else(|_| std::process::abort())
    }

    #[test]
    fn a_file_is_reread_and_wins_over_static_headers_and_problems_keep_the_last_good_ones() {
        let dir = scratch("cred");
        let file = dir.join("headers");
        std::fs::write(&file, "authorization: Bearer one\n").unwrap_or_default();
        let logs = Arc::new(Reporter::default());
        let r = Rotating::new(HeaderSource::File(file.display().to_string()), logs.clone());
        let h = SignalHeaders::new(
            &[("authorization".into(), "Bearer static".into()), ("x-team".into(), "a".into())],
            std::slice::from_ref(&r),
        );
        let rt = runtime();
        rt.block_on(h.refresh());
        assert_eq!(headers_of(&h), vec![("authorization".into(), "Bearer one".into()), ("x-team".into(), "a".into())]);
        std::fs::write(&file, "authorization: Bearer two\n").unwrap_or_default();
        rt.block_on(h.refresh());
        assert_eq!(headers_of(&h)[0].1, "Bearer one", "not re-read within a second");
        h.invalidate();
        std::thread::sleep(FILE_RECHECK);
        rt.block_on(h.refresh());
        assert_eq!(headers_of(&h)[0].1, "Bearer two");
        std::fs::write(&file, "Bearer three-s3cret\n").unwrap_or_default();
        std::thread::sleep(FILE_RECHECK);
        rt.block_on(h.refresh());
        assert_eq!(headers_of(&h)[0].1, "Bearer two", "a bad file keeps the last good headers");
        let lines: Vec<String> = logs.logs.take().into_iter().map(|(_, m)| m).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].ends_with("read: sending header(s) authorization"), "{lines:?}");
        assert!(lines[1].ends_with("changed: sending header(s) authorization"), "{lines:?}");
        assert!(lines[2].contains("line 1 has no ':' or '='; keeping the headers it gave last"), "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains("one") && !l.contains("two") && !l.contains("s3cret")), "{lines:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_helper_wins_over_a_file_which_wins_over_static_headers() {
        let dir = scratch("order");
        let file = dir.join("headers");
        std::fs::write(&file, "authorization: Bearer file\nx-file: f\n").unwrap_or_default();
        let reporter = Arc::new(Reporter::default());
        let helper = HeaderSource::Helper {
            command: "printf '{\"authorization\": \"Bearer helper\"}'".into(),
            ttl: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
        };
        // The order config::credentials::resolve gives them: file, then helper.
        let sources = [Rotating::new(HeaderSource::File(file.display().to_string()), reporter.clone()), Rotating::new(helper, reporter)];
        let h = SignalHeaders::new(&[("authorization".into(), "Bearer static".into()), ("x-static".into(), "s".into())], &sources);
        let rt = runtime();
        rt.block_on(h.refresh());
        let expected = [("authorization", "Bearer helper"), ("x-file", "f"), ("x-static", "s")];
        assert_eq!(headers_of(&h), expected.map(|(k, v)| (k.to_string(), v.to_string())).to_vec());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_helper_is_cached_for_its_ttl_rerun_after_a_refusal_and_bounded_by_its_timeout() {
        let dir = scratch("helper");
        let count = dir.join("runs");
        let command = format!("echo x >> {0}; printf '{{\"authorization\": \"Bearer %s\"}}' $(wc -l < {0})", count.display());
        let logs = Arc::new(Reporter::default());
        let source = HeaderSource::Helper { command, ttl: Duration::from_secs(3600), timeout: Duration::from_secs(5) };
        let h = SignalHeaders::new(&[], &[Rotating::new(source, logs.clone())]);
        let rt = runtime();
        rt.block_on(h.refresh());
        rt.block_on(h.refresh());
        assert_eq!(headers_of(&h), vec![("authorization".into(), "Bearer 1".into())], "cached for the TTL");
        h.invalidate();
        std::thread::sleep(FILE_RECHECK);
        rt.block_on(h.refresh());
        assert_eq!(headers_of(&h)[0].1, "Bearer 2", "run again after a refusal");
        let slow = HeaderSource::Helper { command: "sleep 5".into(), ttl: Duration::from_secs(3600), timeout: Duration::from_millis(200) };
        let h = SignalHeaders::new(&[], &[Rotating::new(slow, logs.clone())]);
        let t = Instant::now();
        rt.block_on(h.refresh());
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        let lines: Vec<String> = logs.logs.take().into_iter().map(|(_, m)| m).collect();
        assert!(
            lines
                .last()
                .is_some_and(|l| l.contains("headersHelper sleep (cached 3600s) timed out after 200 ms; sending no rotating headers")),
            "{lines:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
