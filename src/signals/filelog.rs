//! Log export on hosts without `log.record` events (OpenClaw 2026.2.x). There the plugin SDK's
//! `registerLogTransport` never fires for a plugin (the SDK bundle has its own logger state), so
//! we follow the gateway's own JSONL file log instead: new lines only, from where the file was
//! when the generation started, across daily rotation; each tslog line becomes the same
//! `log.record` shape OpenClaw 2026.9 emits, and takes the same path to OTLP and stdout.

use crate::event::Event;
use crate::policy::valid_key;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime};

/// Where the gateway writes its file log: `logging.file`, else the newest `openclaw-*.log` in
/// the default directories.
#[derive(Clone, Debug, Default)]
pub struct FileLogSource {
    pub file: Option<PathBuf>,
    pub dirs: Vec<PathBuf>,
}

const POLL: Duration = Duration::from_millis(250);
/// Bytes read per poll; a burst beyond this is read over the next polls.
const MAX_READ: u64 = 1 << 20;
/// Longer lines are not log records we can use; they are skipped.
const MAX_LINE: usize = 64 << 10;
const MAX_ATTRIBUTES: usize = 32;

impl FileLogSource {
    fn current(&self) -> Option<PathBuf> {
        if let Some(f) = &self.file {
            return Some(f.clone());
        }
        let mut newest: Option<(SystemTime, PathBuf)> = None;
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !(name.starts_with("openclaw-") && name.ends_with(".log")) {
                    continue;
                }
                let Ok(modified) = e.metadata().and_then(|m| m.modified()) else { continue };
                if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                    newest = Some((modified, e.path()));
                }
            }
        }
        newest.map(|(_, p)| p)
    }
}

/// Follows the file log on its own thread until `stop` is dropped (or sent to); `each` gets every
/// record.
pub fn follow(
    source: FileLogSource,
    stop: Receiver<()>,
    mut each: impl FnMut(Event) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("otel-rs-filelog".into()).spawn(move || {
        // Start at the end: only what is logged while this generation runs is exported.
        // Read offsets per file: a file seen before continues where it was, so switching back to
        // yesterday's file for a late line never re-exports it; a new file starts at 0.
        let mut offsets: Vec<(PathBuf, u64)> = source
            .current()
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                vec![(p, len)]
            })
            .unwrap_or_default();
        let mut reading: Option<PathBuf> = offsets.first().map(|(p, _)| p.clone());
        let mut partial: Vec<u8> = Vec::new();
        // Waiting on the channel (not sleeping) lets a stop end the thread at once.
        while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(POLL) {
            let Some(path) = source.current() else { continue };
            if reading.as_ref() != Some(&path) {
                partial.clear();
                reading = Some(path.clone());
            }
            let offset = offsets.iter().find(|(p, _)| *p == path).map_or(0, |(_, o)| *o);
            let Ok(len) = std::fs::metadata(&path).map(|m| m.len()) else { continue };
            let offset = if len < offset { 0 } else { offset };
            let read = read_from(&path, offset, (len - offset).min(MAX_READ)).unwrap_or_default();
            offsets.retain(|(p, _)| *p != path);
            offsets.push((path, offset + read.len() as u64));
            if offsets.len() > 4 {
                offsets.remove(0);
            }
            partial.extend_from_slice(&read);
            let mut start = 0;
            while let Some(i) = partial[start..].iter().position(|b| *b == b'\n') {
                let line = &partial[start..start + i];
                if line.len() <= MAX_LINE {
                    if let Some(ev) = std::str::from_utf8(line).ok().and_then(to_log_record) {
                        each(ev);
                    }
                }
                start += i + 1;
            }
            partial.drain(..start);
            if partial.len() > MAX_LINE {
                partial.clear();
            }
        }
    })
}

fn read_from(path: &Path, offset: u64, n: u64) -> std::io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(n as usize);
    f.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS(.sss)Z`.
fn parse_iso_ms(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = match b.get(19) {
        Some(b'.') => {
            let digits: String = s[20..].chars().take_while(char::is_ascii_digit).take(3).collect();
            format!("{digits:0<3}").parse::<i64>().ok()?
        }
        _ => 0,
    };
    let days = crate::time::days_from_civil(y, m, d);
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000 + frac) as f64)
}

fn key_ok(k: &str) -> bool {
    valid_key(k, 64)
}

/// One tslog JSON line (`{"0": bindings?, "1": message, "_meta": {...}}`) as a `log.record`.
pub fn to_log_record(line: &str) -> Option<Event> {
    let Value::Object(obj) = serde_json::from_str::<Value>(line).ok()? else { return None };
    let meta = obj.get("_meta")?.as_object()?;
    let mut args: Vec<(usize, &Value)> = obj.iter().filter_map(|(k, v)| k.parse::<usize>().ok().map(|i| (i, v))).collect();
    args.sort_by_key(|(i, _)| *i);
    let mut attributes = Map::new();
    // A leading JSON-object string holds the logger's bindings (e.g. the subsystem).
    if let Some((_, Value::String(first))) = args.first() {
        if let Ok(Value::Object(bindings)) = serde_json::from_str::<Value>(first) {
            for (k, v) in bindings.into_iter().filter(|(k, v)| key_ok(k) && !v.is_object() && !v.is_array() && !v.is_null()) {
                if attributes.len() < MAX_ATTRIBUTES {
                    attributes.insert(k, v);
                }
            }
            args.remove(0);
        }
    }
    let message = args
        .iter()
        .rev()
        .find_map(|(_, v)| v.as_str().map(str::to_string))
        .or_else(|| match args.as_slice() {
            [(_, v)] if v.is_number() || v.is_boolean() => Some(v.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "log".into());
    let text = |k: &str| meta.get(k).and_then(Value::as_str);
    let mut ev = Map::new();
    ev.insert("type".into(), "log.record".into());
    ev.insert("level".into(), text("logLevelName").unwrap_or("INFO").into());
    ev.insert("message".into(), message.into());
    if let Some(name) = text("name").filter(|n| !n.starts_with('{') && key_ok(n)) {
        ev.insert("loggerName".into(), name.into());
    }
    if let Some(Value::Array(parents)) = meta.get("parentNames") {
        let parents: Vec<Value> = parents.iter().filter(|p| p.as_str().is_some_and(key_ok)).cloned().collect();
        ev.insert("loggerParents".into(), Value::Array(parents));
    }
    ev.insert("attributes".into(), Value::Object(attributes));
    let path = meta.get("path").and_then(Value::as_object);
    let mut code = Map::new();
    if let Some(line) = path.and_then(|p| p.get("fileLine")).and_then(|l| l.as_str().and_then(|s| s.parse::<u64>().ok()).or(l.as_u64())) {
        code.insert("line".into(), line.into());
    }
    if let Some(f) = path.and_then(|p| p.get("method")).and_then(Value::as_str).filter(|f| key_ok(f)) {
        code.insert("functionName".into(), f.into());
    }
    ev.insert("code".into(), Value::Object(code));
    if let Some(ts) = text("date").and_then(parse_iso_ms) {
        ev.insert("ts".into(), ts.into());
    }
    Event::from_fields(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"0":"{\"subsystem\":\"gmail-watcher\"}","1":"gmail watcher stopped","_meta":{"runtime":"node","name":"{\"subsystem\":\"gmail-watcher\"}","parentNames":["openclaw"],"date":"2026-11-22T05:34:48.677Z","logLevelId":3,"logLevelName":"INFO","path":{"fileLine":"324","filePath":"/x/subsystem.js","method":"logToFile"}},"time":"2026-11-22T05:34:48.678+00:00"}"#;

    #[test]
    fn tslog_lines_become_log_records() {
        let ev = to_log_record(LINE).unwrap();
        assert_eq!(ev.kind(), "log.record");
        assert_eq!(ev.text("level").unwrap().as_deref(), Some("INFO"));
        assert_eq!(ev.text("message").unwrap().as_deref(), Some("gmail watcher stopped"));
        assert_eq!(ev.text("attributes.subsystem").unwrap().as_deref(), Some("gmail-watcher"));
        assert_eq!(ev.text("loggerName").unwrap(), None, "JSON child-logger names are skipped");
        assert_eq!(ev.strings("loggerParents").unwrap(), Some(vec!["openclaw".to_string()]));
        assert_eq!(ev.num("code.line").unwrap(), Some(324.0));
        assert_eq!(ev.text("code.functionName").unwrap().as_deref(), Some("logToFile"));
        assert_eq!(ev.num("ts").unwrap(), Some(1_795_325_688_677.0));
        assert!(to_log_record("not json").is_none());
        assert!(to_log_record(r#"{"0":"no meta"}"#).is_none());
    }

    #[test]
    fn iso_parsing() {
        assert_eq!(parse_iso_ms("1970-01-01T00:00:00.000Z"), Some(0.0));
        assert_eq!(parse_iso_ms("2000-02-29T00:00:00Z"), Some(951_782_400_000.0));
        assert_eq!(parse_iso_ms("nonsense"), None);
    }

    #[test]
    fn follows_appended_lines_and_rotation() {
        let dir = std::env::temp_dir().join(format!("oc-filelog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let day1 = dir.join("openclaw-2026-11-21.log");
        std::fs::write(&day1, format!("{LINE}\n")).unwrap();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let source = FileLogSource { file: None, dirs: vec![dir.clone(), dir.join("missing")] };
        let handle = follow(source, stopped, move |ev| {
            let _ = tx.send(ev.text("message").ok().flatten().unwrap_or_default());
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(400));
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&day1).unwrap();
        let second = LINE.replace("gmail watcher stopped", "second");
        write!(f, "{second}\n{}", &LINE[..20]).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "second", "the line already there is not exported");
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(dir.join("openclaw-2026-11-22.log"), format!("{}\n", LINE.replace("gmail watcher stopped", "next day"))).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "next day");
        // A late line in yesterday's file (now the newest again) is read alone, not the file again.
        std::thread::sleep(Duration::from_millis(20));
        let mut f = std::fs::OpenOptions::new().append(true).open(&day1).unwrap();
        writeln!(f, "{}", LINE.replace("gmail watcher stopped", "late")).unwrap();
        drop(f);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "late");
        let t = std::time::Instant::now();
        drop(stop);
        handle.join().unwrap();
        assert!(t.elapsed() < POLL, "stops without waiting out a poll");
        assert!(rx.try_recv().is_err(), "the partial line is never emitted");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
