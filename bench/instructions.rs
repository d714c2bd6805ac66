//! Deterministic cost per event: records `N` copies of one event type through a running
//! generation (metrics and traces on) and stops it, which exports everything once to a collector
//! on a thread here that answers 200 to every request (a retry would make the count depend on
//! timing). `bench/instructions.mjs` runs it under callgrind for N = 0 and
//! N > 0 and prints (instructions(N) - instructions(0)) / N by event type.
//!
//! Usage: instructions <fixture.jsonl> <event type> <N>

use openclaw_diagnostics_otel_rs::config::{resolve, Env, Outcome};
use openclaw_diagnostics_otel_rs::event::compact::Columns;
use openclaw_diagnostics_otel_rs::event::Trust;
use openclaw_diagnostics_otel_rs::generation::{Generation, HostInfo};
use std::time::Duration;

/// Reads each request whole (headers, then Content-Length bytes) and answers 200, keeping the
/// connection open.
fn collector() -> Result<u16, String> {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(mut out) = stream.try_clone() else { return };
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; length];
                    if reader.read_exact(&mut body).is_err() || out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(port)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, fixture, kind, n] = args.as_slice() else { return Err("usage: instructions <fixture.jsonl> <event type> <N>".into()) };
    let n: usize = n.parse().map_err(|e| format!("N: {e}"))?;
    let text = std::fs::read_to_string(fixture).map_err(|e| format!("{fixture}: {e}"))?;
    // The first event of that type in the recording, with its delivery metadata.
    let line = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["evt"]["type"] == kind.as_str())
        .ok_or_else(|| format!("no {kind} event in {fixture}"))?;
    let meta = &line["meta"];
    let flag = |k: &str| meta[k].as_bool().unwrap_or(false);
    let trust = Trust { trusted: flag("trusted"), internal: flag("internal"), trusted_trace_context: flag("trustedTraceContext") };
    // Its time moved to now: spans from a week ago are skipped as implausible.
    let mut evt = line["evt"].clone();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis() as u64;
    evt["ts"] = now.into();
    let port = collector()?;
    let config = serde_json::json!({"enabled": true, "otel": {"enabled": true, "endpoint": format!("http://127.0.0.1:{port}"), "traces": true, "flushIntervalMs": 600000}});
    let Outcome::Enabled(settings) = resolve(&config, &Env::default()).outcome else { return Err("not enabled".into()) };
    let g = Generation::start(&settings, &HostInfo::default());
    // Compact records in batches of 1,024, as index.js sends them (a type the projection does
    // not read is only counted there).
    let mut one = Columns::default();
    let read = one.push(&g.projection, &evt, trust);
    // One record's columns repeated: its text indexes hold for every copy.
    let (texts, lens) = one.joined();
    let mut left = n;
    while left > 0 {
        let k = left.min(1024);
        match read {
            true => g.push_columns(&one.tags.repeat(k), &one.vals.repeat(k), texts.clone(), lens.clone(), k as u32, 0),
            false => g.push_columns(&[], &[], String::new(), Vec::new(), 0, k as u32),
        }
        left -= k;
    }
    // Generous: under callgrind everything runs about 50 times slower.
    let _ = g.shutdown(Duration::from_secs(600));
    let s = g.snapshot();
    let spans = s.traces.map_or(0, |t| t.counts.exported);
    eprintln!(
        "{kind}: received {}, recorded {}, malformed {}, ignored {}, spans exported {spans}, metric exports ok {}",
        s.received, s.recorded, s.malformed, s.ignored, s.metrics.exports_ok
    );
    Ok(())
}
