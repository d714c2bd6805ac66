//! Bytes as batch lines (a trust digit, then an event's JSON) through the recording thread's
//! per-event path: decode, metrics, spans, log records, and the file-log mapping.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| openclaw_diagnostics_otel_rs::fuzz_props::targets::event_decode(data));
