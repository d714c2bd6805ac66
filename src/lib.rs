//! Native OpenClaw `diagnostics-otel` plugin: diagnostic events to OTLP metrics, traces and logs.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(feature = "node")]
pub mod binding;
pub mod catalog;
pub mod config;
pub mod event;
pub mod export;
// Invariants and fixed-seed property tests; the fuzz targets (fuzz/) call them too.
#[cfg(any(test, fuzzing))]
pub mod fuzz_props;
pub mod generation;
pub mod policy;
pub mod signals;
pub mod time;
