//! Events to records, one mapper per signal, side by side: metrics (measurements), spans, log
//! records, and the gateway's file log for hosts without `log.record` events.

pub mod filelog;
pub mod logs;
pub mod metrics;
pub mod spans;
