//! Getting records out: OTLP exporters bounded by timeouts (`otlp`), bounded batches with retry
//! (`batch`), and export health for status() and warnings (`health`).

pub mod batch;
pub mod credentials;
pub mod health;
pub mod otlp;
pub mod prometheus;
pub mod transport;
