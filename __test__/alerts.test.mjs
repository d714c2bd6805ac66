// alerts/: the rule files load, their promtool unit tests pass, every alert has a test that
// fires it and one where it stays quiet, and every name they use is one the plugin exports.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ensurePrometheus, promtool } from "../e2e/lib/prometheus.mjs";
import { ROOT, VENV_PYTHON } from "../e2e/lib/versions.mjs";

const ALERTS = path.join(ROOT, "alerts");
const TESTS = path.join(ALERTS, "tests");
const list = (dir, suffix) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => path.join(dir, f));
const ruleFiles = list(ALERTS, ".rules.yml");
// Rule files used only by tests (a per-agent budget override, written as users would).
const testRuleFiles = list(TESTS, ".rules.yml");
const testFiles = list(TESTS, ".test.yml");
const rel = (f) => path.relative(ROOT, f);

/** YAML files as data, by pyyaml from the project's .venv. */
function loadYaml(files) {
  const script = "import sys, json, yaml; print(json.dumps({f: yaml.safe_load(open(f)) for f in sys.argv[1:]}))";
  const r = spawnSync(VENV_PYTHON, ["-c", script, ...files], { encoding: "utf8" });
  assert.equal(r.status, 0, `pyyaml failed: ${r.stderr}${r.error?.message ?? ""}`);
  return JSON.parse(r.stdout);
}

/** docs/prometheus.md's table: every exported series name and the labels it carries. */
function exportedSeries() {
  const doc = fs.readFileSync(path.join(ROOT, "docs/prometheus.md"), "utf8");
  const series = new Map();
  for (const line of doc.split("\n")) {
    const cols = line.split(" | ");
    if (!line.startsWith("| `") || cols.length !== 4) continue;
    const names = [...cols[2].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const labels = [...cols[3].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    for (const n of names) series.set(n, new Set([...labels, ...(n.endsWith("_bucket") ? ["le"] : [])]));
  }
  return series;
}

// Series that are not instruments, with their labels: Prometheus' `up`, and `target_info`
// (the resource: on every scrape of the exposition, and from the OTLP receiver on every push).
const PROMETHEUS_SERIES = new Map([
  ["up", new Set(["job", "instance"])],
  [
    "target_info",
    new Set(["job", "instance", "service_version", "telemetry_distro_name", "telemetry_distro_version", "telemetry_sdk_language", "telemetry_sdk_name", "telemetry_sdk_version"]),
  ],
]);
const KEYWORDS = new Set(["and", "or", "unless", "offset", "bool", "inf", "nan"]);
const LABEL_LISTS = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

/** Metric names and label names one PromQL expression uses. */
function namesIn(expr) {
  const labels = new Set();
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of noStrings.matchAll(/\{([^}]*)\}/g)) {
    for (const l of m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]);
  }
  for (const m of noStrings.matchAll(LABEL_LISTS)) {
    for (const l of m[1].split(",").map((s) => s.trim()).filter(Boolean)) labels.add(l);
  }
  const bare = noStrings
    .replace(/\{[^}]*\}/g, " ")
    .replace(LABEL_LISTS, " ")
    .replace(/\[[^\]]*\]/g, " ");
  const metrics = new Set();
  for (const m of bare.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase()) || /^\d/.test(m[1])) continue;
    metrics.add(m[1]);
  }
  return { metrics, labels };
}

/** `name{a="x", b="y"}` as written in a test's input_series. */
function parseSeries(text) {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/.exec(text);
  assert.ok(m, `cannot parse input series ${text}`);
  const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/g)].map((l) => l[1]);
  return { name: m[1], labels };
}

const yaml = loadYaml([...ruleFiles, ...testRuleFiles, ...testFiles]);
const rulesOf = (file) => (yaml[file].groups ?? []).flatMap((g) => g.rules ?? []);
const alerts = ruleFiles.flatMap((file) => rulesOf(file).filter((r) => r.alert).map((r) => ({ ...r, file })));
const records = new Map();
for (const file of [...ruleFiles, ...testRuleFiles]) {
  for (const r of rulesOf(file).filter((r) => r.record)) records.set(r.record, [...(records.get(r.record) ?? []), r.expr]);
}

/** The exported series an expression rests on, through recording rules. */
function baseMetrics(expr, seen = new Set()) {
  const out = new Set();
  for (const name of namesIn(expr).metrics) {
    if (!records.has(name)) out.add(name);
    else if (!seen.has(name)) {
      seen.add(name);
      for (const e of records.get(name)) for (const b of baseMetrics(e, seen)) out.add(b);
    }
  }
  return out;
}

describe("alerts/", () => {
  test("promtool check rules accepts every rule file", () => {
    ensurePrometheus();
    assert.ok(ruleFiles.length >= 5, `rule files: ${ruleFiles.map(rel)}`);
    const r = promtool(["check", "rules", ...ruleFiles, ...testRuleFiles], { cwd: ROOT });
    assert.ok(r.ok, `promtool check rules failed:\n${r.out}`);
  });

  test("promtool test rules passes every unit test", () => {
    ensurePrometheus();
    const r = promtool(["test", "rules", ...testFiles], { cwd: ROOT });
    assert.ok(r.ok, `promtool test rules failed:\n${r.out}`);
    assert.equal((r.out.match(/SUCCESS/g) ?? []).length, testFiles.length, r.out);
  });

  test("every alert has a severity, its annotations, a test that fires it and one where it stays quiet", () => {
    const cases = new Map(alerts.map((a) => [a.alert, { firing: [], quiet: [] }]));
    for (const file of testFiles) {
      const doc = yaml[file];
      const loaded = new Set((doc.rule_files ?? []).map((f) => path.resolve(path.dirname(file), f)));
      for (const group of doc.tests ?? []) {
        const inputs = new Set((group.input_series ?? []).map((s) => parseSeries(s.series).name));
        for (const c of group.alert_rule_test ?? []) {
          const alert = alerts.find((a) => a.alert === c.alertname);
          const where = `${rel(file)} "${group.name}" at ${c.eval_time}`;
          assert.ok(alert, `${where}: no alert ${c.alertname} in alerts/*.rules.yml`);
          // An alert the test did not load would pass any exp_alerts: [] vacuously.
          assert.ok(loaded.has(alert.file), `${where}: ${c.alertname} is in ${rel(alert.file)}, which the test does not load`);
          const exp = c.exp_alerts ?? [];
          if (exp.length > 0) {
            for (const e of exp) {
              assert.match(e.exp_labels?.severity ?? "", /^(warning|critical)$/, `${where}: exp_labels.severity`);
              assert.ok(e.exp_annotations?.summary && e.exp_annotations?.description && e.exp_annotations?.runbook, `${where}: exp_annotations`);
            }
            cases.get(c.alertname).firing.push(where);
          } else {
            // Quiet because the data says so, not because the test fed the alert nothing.
            const used = [...baseMetrics(alert.expr)];
            assert.ok(used.some((m) => inputs.has(m)), `${where}: a quiet case for ${c.alertname} needs input of ${used.join(" or ")}`);
            cases.get(c.alertname).quiet.push(where);
          }
        }
      }
    }
    for (const a of alerts) {
      assert.match(a.labels?.severity ?? "", /^(warning|critical)$/, `${a.alert}: severity`);
      for (const k of ["summary", "description", "runbook"]) assert.ok(a.annotations?.[k], `${a.alert}: annotation ${k}`);
    }
    const missing = [...cases].filter(([, c]) => c.firing.length === 0 || c.quiet.length === 0).map(([name, c]) => `${name} (firing ${c.firing.length}, quiet ${c.quiet.length})`);
    assert.deepEqual(missing, [], `alerts without both a firing and a quiet test: ${missing.join(", ")}`);
  });

  test("every metric and label the rules and tests use is one the plugin exports (docs/prometheus.md)", () => {
    const series = exportedSeries();
    assert.ok(series.size > 100, `docs/prometheus.md table not found (${series.size} series)`);
    const allLabels = new Set(["le", ...[...series.values(), ...PROMETHEUS_SERIES.values()].flatMap((s) => [...s])]);
    const problems = [];
    const rules = [...ruleFiles, ...testRuleFiles].flatMap((file) => rulesOf(file).map((r) => ({ ...r, file })));
    for (const r of rules) {
      const what = `${rel(r.file)} ${r.alert ?? r.record}`;
      const { metrics, labels } = namesIn(r.expr);
      for (const m of metrics) if (!series.has(m) && !PROMETHEUS_SERIES.has(m) && !records.has(m)) problems.push(`${what}: metric ${m}`);
      for (const l of labels) if (!allLabels.has(l)) problems.push(`${what}: label ${l}`);
      for (const l of Object.keys(r.labels ?? {})) if (r.record && !allLabels.has(l)) problems.push(`${what}: recorded label ${l}`);
      for (const [k, text] of Object.entries(r.annotations ?? {})) {
        for (const m of text.matchAll(/\$labels\.([a-zA-Z0-9_]+)/g)) if (!allLabels.has(m[1])) problems.push(`${what} ${k}: $labels.${m[1]}`);
        // Names in the runbook prose are to be copied into queries: a series, a label, or a histogram's base name.
        for (const m of text.replaceAll(/\$labels\.[a-zA-Z0-9_]+/g, "").matchAll(/\b(?:openclaw|gen_ai)_[a-zA-Z0-9_]+/g)) {
          if (!series.has(m[0]) && !allLabels.has(m[0]) && !series.has(`${m[0]}_bucket`)) problems.push(`${what} ${k}: ${m[0]}`);
        }
      }
    }
    for (const file of testFiles) {
      for (const group of yaml[file].tests ?? []) {
        for (const s of group.input_series ?? []) {
          const { name, labels } = parseSeries(s.series);
          const known = series.get(name) ?? PROMETHEUS_SERIES.get(name);
          if (!known) problems.push(`${rel(file)} "${group.name}": input metric ${name}`);
          else for (const l of labels) if (!known.has(l)) problems.push(`${rel(file)} "${group.name}": ${name} has no label ${l}`);
        }
      }
    }
    assert.deepEqual(problems, [], `names not in docs/prometheus.md:\n${problems.join("\n")}`);
  });
});
