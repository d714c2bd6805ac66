//! Native OpenClaw `diagnostics-otel` plugin: diagnostic events to OTLP metrics, traces and logs.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod attributes;
pub mod batch;
pub mod binding;
pub mod catalog;
pub mod config;
pub mod event;
pub mod export;
pub mod filelog;
pub mod health;
pub mod logs;
pub mod pipeline;
pub mod policy;
pub mod record;
pub mod span_catalog;
pub mod spans;
pub mod time;
