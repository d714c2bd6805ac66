// The Grafana dashboards: dashboards/*.json is what scripts/dashboards.mjs renders (no drift);
// each has the datasource and six filter variables and every panel uses them; every metric and
// label a query names is in docs/prometheus.md's table; and every query, variables substituted,
// is valid PromQL for Prometheus 2.42 (promtool check rules, from e2e/lib/prometheus.mjs).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_VALUES, loadDashboards, panelQueries, substitute, VARIABLES } from "../dashboards/queries.mjs";
import { ensurePrometheus, promtool } from "../e2e/lib/prometheus.mjs";
import { DASHBOARDS, drift, readPrometheusTable, render } from "../scripts/dashboards.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dashboards = loadDashboards();
const table = readPrometheusTable(path.join(root, "docs/prometheus.md"));
/** Series Prometheus writes itself; the scrape's own (up, scrape_*) carry the target's labels. */
const SCRAPE_SERIES = new Set(["up", "scrape_samples_scraped", "scrape_duration_seconds"]);
const SYNTHETIC = new Set(["target_info", ...SCRAPE_SERIES]);
/** Labels any series may be matched or grouped on besides its own. */
const ALWAYS = new Set(["job", "instance", "le", "__name__", "otel_metric_overflow"]);
const ALL_LABELS = new Set([...table.values()].flatMap((s) => [...s]));
const DS = { type: "prometheus", uid: "${datasource}" };

function panelsOf(d) {
  const out = [];
  for (const p of d.panels) {
    out.push(p);
    if (p.type === "row") out.push(...(p.panels ?? []));
  }
  return out;
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]);

/** `job=~"$job", openclaw_token="total"` -> [{ label, op, value }]. */
function matchers(body) {
  return [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ label: m[1], op: m[2], value: m[3] }));
}

/**
 * A PromQL expression's vector selectors ({ name or null, matchers }) and the labels its
 * grouping clauses (by, without, on, ignoring, group_left/right) name. Enough of a parser for
 * the dashboards' expressions; promtool checks the syntax itself.
 */
function analyze(expr) {
  const grouping = [];
  let e = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw, labels) => {
    grouping.push(...labels.split(",").map((s) => s.trim()).filter(Boolean));
    return " ";
  });
  const selectors = [];
  e = e.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_, name, body) => {
    selectors.push({ name: name ?? null, matchers: matchers(body) });
    return " ";
  });
  // Ranges, strings and an offset's duration (`offset $__range`, `offset 1d`) name no series.
  e = e.replace(/\[[^\]]*\]/g, " ").replace(/"(?:[^"\\]|\\.)*"/g, " ").replace(/\boffset\s+\$?[a-zA-Z0-9_]+/g, " ");
  for (const m of e.matchAll(/(?<![a-zA-Z0-9_.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1])) continue; // a function call, or a keyword
    selectors.push({ name: m[1], matchers: [] });
  }
  return { selectors, grouping };
}

function labelsOf(name) {
  if (SYNTHETIC.has(name)) return new Set(["job", "instance"]);
  return table.get(name);
}

test("the generator's output is what dashboards/*.json hold (node scripts/dashboards.mjs --check)", () => {
  assert.deepEqual(drift(), []);
  const want = render();
  assert.deepEqual(dashboards.map((d) => d.file), Object.keys(want).sort());
  for (const { file, dashboard } of dashboards) assert.equal(JSON.stringify(dashboard, null, 2) + "\n", want[file], file);
  const r = spawnSync(process.execPath, [path.join(root, "scripts/dashboards.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

test("--check fails on a file that differs", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dash-drift-"));
  try {
    for (const [file, text] of Object.entries(render())) fs.writeFileSync(path.join(dir, file), text);
    assert.deepEqual(drift(dir), []);
    const f = path.join(dir, DASHBOARDS[0][0]);
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace('"schemaVersion": 39', '"schemaVersion": 38'));
    assert.deepEqual(drift(dir), [DASHBOARDS[0][0]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("four dashboards with unique stable uids, unique panel ids, schemaVersion 39, marked as generated", () => {
  assert.deepEqual(dashboards.map((d) => d.dashboard.uid).sort(), ["openclaw-gateway", "openclaw-overview", "openclaw-sessions", "openclaw-telemetry"]);
  for (const { file, dashboard: d } of dashboards) {
    assert.equal(file, `${d.uid}.json`);
    assert.equal(d.schemaVersion, 39, file);
    assert.equal(d.id, null, file);
    assert.match(d.description, /Generated by scripts\/dashboards\.mjs/, file);
    const ids = panelsOf(d).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids`);
    for (const p of panelsOf(d)) {
      const g = p.gridPos;
      assert.ok(g && g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${file} ${p.title}: gridPos ${JSON.stringify(g)}`);
    }
  }
  const readme = fs.readFileSync(path.join(root, "dashboards/README.md"), "utf8");
  assert.match(readme, /scripts\/dashboards\.mjs/);
});

test("panels do not overlap", () => {
  for (const { file, dashboard: d } of dashboards) {
    const boxes = panelsOf(d).map((p) => ({ t: p.title, ...p.gridPos }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        assert.ok(!overlap, `${file}: "${a.t}" overlaps "${b.t}"`);
      }
    }
  }
});

for (const { file, dashboard: d } of dashboards) {
  describe(file, () => {
    test("datasource variable first, then job, instance, agent, provider, model, channel: multi, All = .*", () => {
      const list = d.templating.list;
      assert.deepEqual(list.map((v) => v.name).slice(0, 7), ["datasource", ...VARIABLES]);
      assert.equal(list[0].type, "datasource");
      assert.equal(list[0].query, "prometheus");
      for (const v of list.slice(1, 7)) {
        assert.equal(v.type, "query", v.name);
        assert.deepEqual(v.datasource, DS, v.name);
        assert.equal(v.multi, true, v.name);
        assert.equal(v.includeAll, true, v.name);
        assert.equal(v.allValue, ".*", v.name);
        assert.match(v.query, /^label_values\(.+, [a-z_]+\)$/, v.name);
        assert.equal(v.definition, v.query, v.name);
      }
      // Chained: each variable's query filters on the ones before it.
      assert.match(list[2].query, /job=~"\$job"/);
      for (const v of list.slice(3, 7)) assert.match(v.query, /job=~"\$job", instance=~"\$instance"/, v.name);
      assert.match(list[4].query, /openclaw_agent=~"\$agent"/);
      assert.match(list[5].query, /openclaw_provider=~"\$provider"/);
    });

    test("every panel queries through ${datasource}", () => {
      const panels = panelsOf(d).filter((p) => p.type !== "row");
      assert.ok(panels.length >= 8, `${panels.length} panels`);
      for (const p of panels) {
        assert.deepEqual(p.datasource, DS, p.title);
        assert.ok(p.targets?.length > 0, `${p.title}: no targets`);
        for (const t of p.targets) {
          assert.deepEqual(t.datasource, DS, `${p.title} ${t.refId}`);
          assert.ok(t.expr.trim(), `${p.title} ${t.refId}: empty expr`);
        }
        assert.ok(p.fieldConfig.defaults.unit, `${p.title}: no unit`);
      }
    });

    test("every metric is in docs/prometheus.md and every matcher, grouping and legend label is one it has", () => {
      for (const p of panelsOf(d).filter((x) => x.type !== "row")) {
        for (const t of p.targets) {
          const where = `${p.title} ${t.refId}: ${t.expr}`;
          const { selectors, grouping } = analyze(t.expr);
          assert.ok(selectors.length > 0, `${where}: no selector found`);
          const own = new Set(ALWAYS);
          for (const s of selectors) {
            let labels;
            if (s.name) {
              labels = labelsOf(s.name);
              assert.ok(labels, `${where}: ${s.name} is not in docs/prometheus.md`);
            } else {
              // {__name__=~"...", ...} or {otel_metric_overflow="true", ...}: any of our series.
              labels = ALL_LABELS;
              const names = s.matchers.filter((m) => m.label === "__name__");
              for (const n of names.filter((m) => m.op === "=~")) {
                const re = new RegExp(`^(?:${n.value})$`);
                assert.ok([...table.keys()].some((k) => re.test(k)), `${where}: ${n.value} matches no metric`);
              }
            }
            for (const m of s.matchers) {
              assert.ok(labels.has(m.label) || ALWAYS.has(m.label), `${where}: ${s.name ?? "{...}"} has no label ${m.label}`);
            }
            // Every selector filters by job, and (but for the scrape's own series, whose
            // instance is the target's host:port) by instance.
            assert.ok(s.matchers.some((m) => m.label === "job" && m.op === "=~" && m.value === "$job"), `${where}: ${s.name} not filtered by $job`);
            if (!SCRAPE_SERIES.has(s.name)) {
              assert.ok(s.matchers.some((m) => m.label === "instance" && m.op === "=~" && m.value === "$instance"), `${where}: ${s.name} not filtered by $instance`);
            }
            for (const m of s.matchers) {
              if (m.value.includes("$")) assert.equal(m.op, "=~", `${where}: ${m.label} takes a variable with ${m.op}`);
            }
            for (const l of labels) own.add(l);
          }
          for (const l of grouping) assert.ok(own.has(l), `${where}: groups by ${l}, which none of its metrics has`);
          for (const [, l] of (t.legendFormat ?? "").matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
            assert.ok(own.has(l), `${where}: legend names ${l}, which none of its metrics has`);
          }
        }
      }
    });

    test("a variable's matcher appears wherever the metric has the label, unless the generator says why not", () => {
      // The lane, run-outcome and heartbeat panels leave a variable out on purpose (their
      // series never carry it); everywhere else a metric with openclaw_agent etc. is filtered.
      const exempt = /Runs\/s by outcome|Errors\/s|Lane depth|Queued at heartbeat/;
      for (const p of panelsOf(d).filter((x) => x.type !== "row")) {
        if (exempt.test(p.title)) continue;
        for (const t of p.targets) {
          for (const s of analyze(t.expr).selectors.filter((x) => x.name && !SYNTHETIC.has(x.name))) {
            const labels = labelsOf(s.name);
            const genAi = s.name.startsWith("gen_ai_");
            const want = genAi
              ? { provider: "gen_ai_provider_name", model: "gen_ai_request_model" }
              : { agent: "openclaw_agent", provider: "openclaw_provider", model: "openclaw_model", channel: "openclaw_channel" };
            for (const [v, label] of Object.entries(want)) {
              if (!labels.has(label)) continue;
              assert.ok(
                s.matchers.some((m) => m.label === label && m.value === `$${v}`),
                `${p.title} ${t.refId}: ${s.name} has ${label} but is not filtered by $${v}`,
              );
            }
          }
        }
      }
    });

    test("rates use $__rate_interval; totals over the range use $__range in instant queries", () => {
      for (const p of panelsOf(d).filter((x) => x.type !== "row")) {
        for (const t of p.targets) {
          for (const [, fn, range] of t.expr.matchAll(/\b(rate|increase|irate)\([^[]*\[([^\]]+)\]/g)) {
            assert.ok(["$__rate_interval", "$__range", "1d"].includes(range), `${p.title}: ${fn}[${range}]`);
            if (fn === "rate") assert.equal(range, "$__rate_interval", `${p.title}: rate over ${range}`);
            if (range === "$__range") assert.equal(t.instant, true, `${p.title}: a total over $__range must be an instant query`);
          }
        }
      }
    });
  });
}

test("panelQueries substitutes every variable", () => {
  const vals = { job: "openclaw", instance: "abc-123", agent: "main", provider: "openai", model: "gpt-5", channel: "webchat" };
  let n = 0;
  for (const { dashboard } of dashboards) {
    for (const q of panelQueries(dashboard, vals)) {
      n++;
      assert.doesNotMatch(q.expr, /\$/, `${q.dashboard} ${q.panel} ${q.refId}`);
      assert.ok(q.dashboard && q.panel && q.refId, JSON.stringify(q));
      if (/instance=~/.test(q.expr)) assert.match(q.expr, /instance=~"abc-123"/);
    }
  }
  assert.ok(n > 60, `${n} queries`);
  assert.equal(substitute('x{a=~"$job"}[$__rate_interval] [$__range] ${agent}', DEFAULT_VALUES), 'x{a=~".*"}[1m] [1h] .*');
});

test("every panel query is valid PromQL for Prometheus 2.42 (promtool check rules)", () => {
  ensurePrometheus();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dash-rules-"));
  try {
    const rules = [];
    for (const { dashboard } of dashboards) {
      for (const q of panelQueries(dashboard)) {
        rules.push({ record: `dashboard:${dashboard.uid.replace(/-/g, "_")}:panel${q.panelId}_${q.refId}`, expr: q.expr, panel: `${q.dashboard} "${q.panel}" ${q.refId}` });
      }
    }
    // One group per rule, so promtool names the failing one; JSON is valid YAML.
    const file = path.join(dir, "dashboards.rules.yml");
    fs.writeFileSync(file, JSON.stringify({ groups: rules.map((r, i) => ({ name: `q${i}`, rules: [{ record: r.record, expr: r.expr }] })) }, null, 1));
    const r = promtool(["check", "rules", file]);
    assert.ok(r.ok, `promtool check rules:\n${r.out}`);
    assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`), r.out);
    // And promtool does reject a broken expression (the check is not vacuous).
    const bad = path.join(dir, "bad.rules.yml");
    fs.writeFileSync(bad, JSON.stringify({ groups: [{ name: "bad", rules: [{ record: "x", expr: 'rate(openclaw_tokens_total{job=~".*"})' }] }] }));
    assert.equal(promtool(["check", "rules", bad]).ok, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
