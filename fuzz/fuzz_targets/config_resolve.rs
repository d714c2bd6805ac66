//! Bytes as a host config (first line, JSON) and an environment (then `KEY=value` lines, or
//! `#N=value` for the N-th variable the resolver reads) through `config::resolve`, with every
//! resolved endpoint built into its exporter and every operator-visible line checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| openclaw_diagnostics_otel_rs::fuzz_props::targets::config_resolve(data));
