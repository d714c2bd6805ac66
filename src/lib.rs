//! Native OpenClaw `diagnostics-otel` plugin: diagnostic events to OTLP metrics.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod attributes;
pub mod binding;
pub mod catalog;
pub mod config;
pub mod event;
pub mod health;
pub mod pipeline;
pub mod record;
