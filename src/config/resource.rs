//! Which host and process facts go into the resource (`OTEL_NODE_RESOURCE_DETECTORS`, as the
//! Node SDK names its detectors), and the plugin config's `resourceAttributes`.
//!
//! The default is the safe subset docs/differences.md argues for: `host.name`, `host.arch`,
//! `os.type`, `process.pid` and `process.runtime.*`. Command lines and arguments can carry
//! secrets, and the process owner is a user name: they go only where asked for (`process` or
//! `all`), like the machine id (`host`).

use super::read::type_name;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detectors {
    /// host.name, host.arch.
    pub host: bool,
    /// host.id (the machine id).
    pub host_id: bool,
    /// os.type.
    pub os: bool,
    /// os.version.
    pub os_version: bool,
    /// process.pid, process.runtime.*.
    pub process: bool,
    /// process.command, .command_args, .executable.*, .owner.
    pub process_full: bool,
}

impl Detectors {
    pub const SAFE: Detectors = Detectors { host: true, host_id: false, os: true, os_version: false, process: true, process_full: false };
    pub const ALL: Detectors = Detectors { host: true, host_id: true, os: true, os_version: true, process: true, process_full: true };
    pub const NONE: Detectors =
        Detectors { host: false, host_id: false, os: false, os_version: false, process: false, process_full: false };
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors::SAFE
    }
}

/// `OTEL_NODE_RESOURCE_DETECTORS`: unset for the safe default, `all`, `none`, or a list of
/// `host`, `os`, `process`, `env` and `serviceinstance` (both always on here); cloud and
/// container detectors are not available and are warned about.
pub fn resolve_detectors(raw: Option<&str>, warn: &mut dyn FnMut(String)) -> Detectors {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Detectors::SAFE };
    let mut d = Detectors::NONE;
    for name in raw.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()) {
        match name.as_str() {
            "all" => d = Detectors::ALL,
            "none" => {}
            "host" => {
                d.host = true;
                d.host_id = true;
            }
            "os" => {
                d.os = true;
                d.os_version = true;
            }
            "process" => {
                d.process = true;
                d.process_full = true;
            }
            // OTEL_RESOURCE_ATTRIBUTES and service.instance.id always apply.
            "env" | "serviceinstance" => {}
            "container" | "alibaba" | "aws" | "azure" | "gcp" => {
                warn(format!("OTEL_NODE_RESOURCE_DETECTORS: the {name} detector is not available in this plugin; ignoring it (set what you need with OTEL_RESOURCE_ATTRIBUTES)"))
            }
            other => warn(format!(
                "OTEL_NODE_RESOURCE_DETECTORS: unknown detector {other:?} (known: all, none, env, host, os, process, serviceinstance); ignoring it"
            )),
        }
    }
    d
}

/// `plugins.entries["diagnostics-otel"].config.resourceAttributes`: an object of strings
/// (numbers and booleans are taken as their text); anything else is warned about and skipped.
pub fn resolve_config_attributes(plugin: &Value, warn: &mut dyn FnMut(String)) -> Vec<(String, String)> {
    const WHERE: &str = "plugins.entries.diagnostics-otel.config.resourceAttributes";
    let attrs = match plugin.get("resourceAttributes") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            warn(format!("{WHERE} must be an object of strings, got {}; ignoring it", type_name(other)));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (k, v) in attrs {
        let key = k.trim();
        let text = match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match text {
            Some(t) if !key.is_empty() && key.len() <= 255 && t.len() <= 4096 => out.push((key.to_string(), t)),
            _ => warn(format!("{WHERE}.{key} must be a string of at most 4096 characters (got {}); skipping it", type_name(v))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detectors(raw: Option<&str>) -> (Detectors, Vec<String>) {
        let mut w = Vec::new();
        let d = resolve_detectors(raw, &mut |m| w.push(m));
        (d, w)
    }

    #[test]
    fn detectors_default_safe_all_none_and_lists() {
        assert_eq!(detectors(None), (Detectors::SAFE, vec![]));
        assert_eq!(detectors(Some(" ")), (Detectors::SAFE, vec![]));
        assert_eq!(detectors(Some("all")), (Detectors::ALL, vec![]));
        assert_eq!(detectors(Some("none")), (Detectors::NONE, vec![]));
        let (d, w) = detectors(Some("Host, env,serviceinstance"));
        assert_eq!(d, Detectors { host: true, host_id: true, ..Detectors::NONE });
        assert!(w.is_empty());
        let (d, w) = detectors(Some("process,aws,bogus"));
        assert!(d.process && d.process_full && !d.host);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("aws detector is not available") && w[1].contains("\"bogus\""), "{w:?}");
    }

    #[test]
    fn config_attributes_take_scalars_and_warn_about_the_rest() {
        let mut w = Vec::new();
        let a = resolve_config_attributes(
            &json!({"resourceAttributes": {"deployment.environment": "prod", "replicas": 3, "canary": false, "bad": {"x": 1}}}),
            &mut |m| w.push(m),
        );
        assert_eq!(a.len(), 3);
        assert!(a.contains(&("replicas".into(), "3".into())) && a.contains(&("canary".into(), "false".into())));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("resourceAttributes.bad"), "{w:?}");
        let mut w = Vec::new();
        assert!(resolve_config_attributes(&json!({"resourceAttributes": "a=b"}), &mut |m| w.push(m)).is_empty());
        assert!(w[0].contains("must be an object"));
    }
}
