//! What an operator sees of a generation: plain data, read from the shared counters and health,
//! with the summary and error texts through the funnel. binding.rs only converts it for JS.

use super::Generation;
use crate::export::batch::Counts;
use crate::export::otlp::SignalHealth;
use crate::policy::printable;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub running: bool,
    pub summary: String,
    pub received: u64,
    pub recorded: u64,
    pub malformed: u64,
    pub implausible: u64,
    pub ignored: u64,
    pub dropped: u64,
    pub late: u64,
    /// The metrics signal; its destination is the metrics endpoint.
    pub metrics: SignalSnapshot,
    pub exports_deferred: u64,
    pub traces: Option<SignalSnapshot>,
    pub logs: Option<SignalSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignalSnapshot {
    pub destination: String,
    pub counts: Counts,
    pub state: &'static str,
    pub state_since_unix_ms: Option<u64>,
    pub cause: Option<String>,
    pub sampled_out: u64,
    pub exports_ok: u64,
    pub exports_failed: u64,
    pub last_success_unix_ms: Option<u64>,
    pub last_failure_unix_ms: Option<u64>,
    pub last_error: Option<String>,
}

impl SignalSnapshot {
    fn of(h: &SignalHealth, counts: Counts, sampled_out: u64) -> Self {
        let (state, since, cause) = h.state();
        let time = |a: &AtomicU64| Some(a.load(Relaxed)).filter(|v| *v > 0);
        SignalSnapshot {
            destination: h.destination.clone().unwrap_or_default(),
            counts,
            state,
            state_since_unix_ms: since,
            cause,
            sampled_out,
            exports_ok: h.exports_ok.load(Relaxed),
            exports_failed: h.exports_failed.load(Relaxed),
            last_success_unix_ms: time(&h.last_success_unix_ms),
            last_failure_unix_ms: time(&h.last_failure_unix_ms),
            last_error: h.last_error(),
        }
    }

    /// Items lost, all causes.
    pub fn lost(&self) -> u64 {
        self.counts.dropped + self.counts.rejected + self.counts.lost_at_stop
    }
}

impl Generation {
    pub fn snapshot(&self) -> Snapshot {
        let sh = &self.shared;
        let c = &sh.counters;
        let signal = |h: &SignalHealth, counts: Option<Counts>, sampled_out: u64| {
            h.destination.is_some().then(|| SignalSnapshot::of(h, counts.unwrap_or_default(), sampled_out))
        };
        Snapshot {
            running: self.is_running(),
            // The summary names config values (service name, endpoints): it passes the funnel too.
            summary: printable(&self.summary),
            received: c.received.load(Relaxed),
            recorded: c.recorded.load(Relaxed),
            malformed: c.malformed.load(Relaxed),
            implausible: sh.implausible.load(Relaxed),
            ignored: c.ignored.load(Relaxed),
            dropped: c.dropped.load(Relaxed),
            late: c.late.load(Relaxed),
            metrics: SignalSnapshot::of(&sh.metrics_health, Counts::default(), 0),
            exports_deferred: sh.metrics_health.exports_deferred.load(Relaxed),
            traces: signal(
                &sh.traces_health,
                sh.spans.get().map(|b| b.counts()),
                sh.spans_sampled_out.get().map_or(0, |n| n.load(Relaxed)),
            ),
            logs: signal(&sh.logs_health, sh.log_records.get().map(|b| b.counts()), 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{resolve, Env, Outcome};
    use crate::generation::HostInfo;
    use std::time::Duration;

    #[test]
    fn an_inert_generation_reports_why_and_nothing_else() {
        let s = Generation::inert("diagnostics-otel: not exporting: token=hunter2 set".into()).snapshot();
        assert!(!s.running);
        assert!(!s.summary.contains("hunter2"), "{}", s.summary);
        assert_eq!((s.received, s.traces.is_none(), s.logs.is_none()), (0, true, true));
    }

    #[test]
    fn counts_and_health_of_a_running_generation_with_an_absent_collector() {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        let config = serde_json::json!({"enabled": true, "otel": {"enabled": true, "endpoint": "http://127.0.0.1:9", "traces": true}});
        let Outcome::Enabled(settings) = resolve(&config, &Env::default()).outcome else { panic!("enabled") };
        let g = Generation::start(&settings, &HostInfo::default());
        g.push_batch("0{\"type\":\"message.queued\",\"channel\":\"webchat\",\"source\":\"dispatch\"}\n0{\"type\":\"model.usage\",\"usage\":\"lots\"}\n0{\"type\":\"run.started\"}\n".into());
        assert!(g.flush(Duration::from_secs(3)).is_err(), "nothing can be exported");
        let s = g.snapshot();
        assert!(s.running);
        assert_eq!((s.received, s.recorded, s.malformed, s.ignored), (3, 1, 1, 1));
        assert_eq!(s.metrics.destination, "http://127.0.0.1:9/v1/metrics");
        assert_eq!(s.metrics.state, "degraded");
        assert!(s.metrics.cause.as_deref().is_some_and(|c| c.starts_with("connection refused")), "{:?}", s.metrics.cause);
        assert!(s.metrics.last_failure_unix_ms.is_some() && s.metrics.last_success_unix_ms.is_none());
        assert_eq!(s.traces.as_ref().map(|t| t.destination.as_str()), Some("http://127.0.0.1:9/v1/traces"));
        assert!(g.shutdown(Duration::from_secs(3)).is_err());
        assert!(!g.snapshot().running);
    }
}
