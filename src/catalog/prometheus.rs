//! Prometheus names for our OTLP metrics, exactly as Prometheus' own OTLP receiver translates
//! them (its default `UnderscoreEscapingWithSuffixes`, per the OpenTelemetry-to-Prometheus
//! compatibility spec): the scrape endpoint uses these names, so one dashboard serves both push
//! (OTLP receiver) and pull (scrape). `docs/prometheus.md` is rendered from the catalog here.

use super::metrics::{exported_name, Kind, CATALOG};

/// What the translator needs to know about an instrument's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromKind {
    /// A monotonic sum: `_total`.
    Counter,
    /// A gauge or a non-monotonic sum; unit `1` gets `_ratio`.
    Gauge,
    Histogram,
}

impl PromKind {
    pub fn of(kind: Kind) -> Self {
        match kind {
            Kind::Counter | Kind::ObservedCounter => PromKind::Counter,
            Kind::Histogram => PromKind::Histogram,
        }
    }
}

fn metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ':'
}

/// UCUM units to Prometheus base-unit words; a unit not listed is kept (cleaned).
fn unit_word(unit: &str) -> &str {
    match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

fn per_unit_word(unit: &str) -> &str {
    match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

/// Invalid characters to `_`, runs of `_` to one, no leading `_`.
fn clean_unit(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let c = if metric_char(c) { c } else { '_' };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_start_matches('_').to_string()
}

/// The unit's main and "per" words: `By/s` is (`bytes`, `per_second`); a part in `{}` (an
/// annotation such as `{token}`) adds nothing.
fn unit_suffixes(unit: &str) -> (String, String) {
    let mut parts = unit.splitn(2, '/');
    let main = parts.next().unwrap_or("").trim();
    let main = if main.is_empty() || main.contains(['{', '}']) { String::new() } else { clean_unit(unit_word(main)) };
    let per = match parts.next().map(str::trim) {
        Some(p) if !p.is_empty() && !p.contains(['{', '}']) => clean_unit(&format!("per_{}", per_unit_word(p))),
        _ => String::new(),
    };
    (main, per)
}

/// The Prometheus metric name of an OTLP metric: `openclaw.run.duration_ms` in `ms` is
/// `openclaw_run_duration_ms_milliseconds`, the counter `openclaw.tokens` is
/// `openclaw_tokens_total`. Histograms add `_bucket`, `_sum` and `_count` to this.
pub fn metric_name(name: &str, unit: &str, kind: PromKind) -> String {
    let mut tokens: Vec<String> = name.split(|c| !metric_char(c)).filter(|t| !t.is_empty()).map(str::to_string).collect();
    let (main, per) = unit_suffixes(unit);
    let per = if per == "per_" { String::new() } else { per.trim_end_matches('_').to_string() };
    let per = if tokens.contains(&per) { String::new() } else { per };
    let mut main = if tokens.contains(&main) { String::new() } else { main };
    if !per.is_empty() {
        main = main.trim_end_matches('_').to_string();
    }
    for suffix in [main, per] {
        if !suffix.is_empty() {
            tokens.push(suffix);
        }
    }
    let mut last = |word: &str| {
        tokens.retain(|t| t != word);
        tokens.push(word.to_string());
    };
    if kind == PromKind::Counter {
        last("total");
    }
    if unit == "1" && kind == PromKind::Gauge {
        last("ratio");
    }
    let joined = tokens.join("_");
    if joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{joined}")
    } else {
        joined
    }
}

/// The Prometheus label name of an attribute key: `openclaw.model` is `openclaw_model`.
pub fn label_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("key_{out}")
    } else {
        out
    }
}

/// One catalog instrument's names on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePair {
    pub otlp: String,
    pub prometheus: String,
    pub kind: PromKind,
    pub unit: &'static str,
    pub description: &'static str,
    /// Label names, in catalog order, plus `job` and `instance`.
    pub labels: Vec<String>,
}

/// Every catalog instrument, named with `prefix` as exported (`metricNamePrefix`).
pub fn catalog_names(prefix: &str) -> Vec<NamePair> {
    CATALOG
        .iter()
        .map(|s| {
            let otlp = exported_name(s.name, prefix);
            let kind = PromKind::of(s.kind);
            let mut labels: Vec<String> = Vec::new();
            let keys: Vec<&str> = if s.kind == Kind::ObservedCounter {
                vec!["openclaw.signal", "openclaw.reason"]
            } else {
                super::metrics::RULES
                    .iter()
                    .filter(|r| r.metric == s.name)
                    .flat_map(|r| r.attrs.iter().flat_map(|g| g.iter()))
                    .map(|a| a.key)
                    .collect()
            };
            for k in keys {
                let l = label_name(k);
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            labels.extend(["job".to_string(), "instance".to_string()]);
            NamePair { prometheus: metric_name(&otlp, s.unit, kind), otlp, kind, unit: s.unit, description: s.description, labels }
        })
        .collect()
}

/// The name table of docs/prometheus.md (a test keeps the file current).
pub fn render_name_table() -> String {
    let mut out = String::from(
        "| OTLP name | unit | Prometheus series | labels |\n\
         | --- | --- | --- | --- |\n",
    );
    for p in catalog_names(crate::config::DEFAULT_PREFIX) {
        let series = match p.kind {
            PromKind::Histogram => format!("`{0}_bucket`, `{0}_sum`, `{0}_count`", p.prometheus),
            PromKind::Counter | PromKind::Gauge => format!("`{}`", p.prometheus),
        };
        let labels: Vec<String> = p.labels.iter().map(|l| format!("`{l}`")).collect();
        out.push_str(&format!("| `{}` | `{}` | {} | {} |\n", p.otlp, p.unit, series, labels.join(", ")));
    }
    out
}

/// Between these markers docs/prometheus.md holds the generated table; the rest is prose.
pub const TABLE_BEGIN: &str =
    "<!-- BEGIN generated from src/catalog/prometheus.rs by `UPDATE_DOCS=1 cargo test prometheus_doc`; do not edit -->\n";
pub const TABLE_END: &str = "<!-- END generated -->\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_otlp_translator() {
        // The cases Prometheus' translator documents, and ours.
        assert_eq!(metric_name("openclaw.run.duration_ms", "ms", PromKind::Histogram), "openclaw_run_duration_ms_milliseconds");
        assert_eq!(metric_name("openclaw.tokens", "1", PromKind::Counter), "openclaw_tokens_total");
        assert_eq!(metric_name("http.server.request.duration", "s", PromKind::Histogram), "http_server_request_duration_seconds");
        assert_eq!(metric_name("memory.usage", "By", PromKind::Gauge), "memory_usage_bytes");
        assert_eq!(metric_name("requests.count", "1", PromKind::Counter), "requests_count_total");
        assert_eq!(metric_name("cpu.utilization", "1", PromKind::Gauge), "cpu_utilization_ratio");
        assert_eq!(metric_name("net.io", "By/s", PromKind::Gauge), "net_io_bytes_per_second");
        assert_eq!(metric_name("gen_ai.client.token.usage", "{token}", PromKind::Histogram), "gen_ai_client_token_usage");
        // A unit word already in the name is not repeated; `total` moves to the end.
        assert_eq!(metric_name("openclaw.memory.rss_bytes", "By", PromKind::Histogram), "openclaw_memory_rss_bytes");
        assert_eq!(metric_name("a.total.count", "1", PromKind::Counter), "a_count_total");
        assert_eq!(metric_name("x__y", "", PromKind::Gauge), "x_y");
        assert_eq!(metric_name("2xx.rate", "", PromKind::Gauge), "_2xx_rate");
        assert_eq!(metric_name("q", "{req}/s", PromKind::Gauge), "q_per_second");
        assert_eq!(metric_name("odd", "foo-bar", PromKind::Gauge), "odd_foo_bar");
    }

    #[test]
    fn labels_follow_the_otlp_translator() {
        assert_eq!(label_name("openclaw.model"), "openclaw_model");
        assert_eq!(label_name("gen_ai.request.model"), "gen_ai_request_model");
        assert_eq!(label_name("a..b"), "a_b");
        assert_eq!(label_name("123invalid"), "key_123invalid");
    }

    #[test]
    fn catalog_names_are_unique_on_the_prometheus_side() {
        let names = catalog_names(crate::config::DEFAULT_PREFIX);
        for (i, n) in names.iter().enumerate() {
            assert!(names[..i].iter().all(|o| o.prometheus != n.prometheus), "{} twice", n.prometheus);
        }
        let run = names.iter().find(|n| n.otlp == "openclaw.run.duration_ms").map(|n| n.prometheus.as_str());
        assert_eq!(run, Some("openclaw_run_duration_ms_milliseconds"));
    }

    #[test]
    fn prometheus_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/prometheus.md");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        let (Some(b), Some(e)) = (on_disk.find(TABLE_BEGIN), on_disk.find(TABLE_END)) else {
            panic!("docs/prometheus.md lacks the generated table markers");
        };
        let rendered = format!("{}{}{}{}", &on_disk[..b], TABLE_BEGIN, render_name_table(), &on_disk[e..]);
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(path, &rendered).expect("write docs/prometheus.md");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(on_disk, rendered, "docs/prometheus.md is stale: run UPDATE_DOCS=1 cargo test prometheus_doc");
    }
}
