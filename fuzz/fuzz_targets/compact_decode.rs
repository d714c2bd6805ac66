//! Bytes as a compact batch (index.js's hand-off, `event::compact`) through the recording
//! thread's per-event path with every signal on: it must read what it can and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| openclaw_diagnostics_otel_rs::fuzz_props::targets::compact_decode(data));
