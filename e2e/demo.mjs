#!/usr/bin/env node
// The real thing: OpenClaw 2026.9.6 with this plugin installed from its packed tarball, a mock
// OpenAI-compatible model, and an embedded OTLP receiver (upstream's protobuf classes). Six
// turns, then a table of every metric the plugin exported and a summary of its spans and logs.
// Meanwhile a real Prometheus (Debian's 2.42) scrapes the plugin's route on the gateway; the
// Overview dashboard's panel queries run against it, a few values are printed, and every panel
// of that run is rendered to docs/overview.png (e2e/render_overview.py, matplotlib in .venv).
// Builds nothing: the .node binary must exist (`npm run build`); OpenClaw, Node 24 and
// Prometheus are fetched by e2e/setup.mjs (cached).
//   node e2e/demo.mjs
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { logsOf, metricsOf, spansOf } from "../__test__/support/receiver.mjs";
import { panelQueries } from "../dashboards/queries.mjs";
import { installExitSweep } from "./lib/procs.mjs";
import { PROMETHEUS, startPrometheus } from "./lib/prometheus.mjs";
import { counterSum, runScenario } from "./lib/scenario.mjs";
import { ROOT, VENV_PYTHON } from "./lib/versions.mjs";
import { setup } from "./setup.mjs";

const VERSION = "2026.9.6";
const SERVICE = "openclaw-demo";
// CLI turns (`openclaw agent`) and webchat turns (chat.send, which alone emits the message.*
// events), 12 s apart: longer than the panels' 10 s rate window, so each turn is its own bump.
const TURNS = ["agent", "agent", "chat", "agent", "chat", "chat"];
const TURN_PAUSE_MS = 12000;
const ROUTE = "/api/diagnostics-otel/prometheus";
// Prometheus scrapes every second; the panels' $__rate_interval is 10 s (Grafana would pick
// 4 x the scrape interval; a little wider reads better on a two-minute run).
const RATE_INTERVAL_S = 10;
const PNG = path.join(ROOT, "docs", "overview.png");
const OVERVIEW = JSON.parse(fs.readFileSync(path.join(ROOT, "dashboards", "openclaw-overview.json"), "utf8"));

installExitSweep();
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const phases = [];
const phase = (name, since) => phases.push([name, secs(Date.now() - since)]);

let t = Date.now();
setup({ only: ["node-24", `openclaw-${VERSION}`, "prometheus", "python"], log: (m) => console.log(m) });
phase("setup (cached after the first run)", t);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sumOf = (r) => r.result.reduce((n, x) => n + Number(x.value[1]), 0);
const close = (a, b) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);

/** Prometheus on the plugin's route, started before the first turn so that rates see every turn. */
async function startScraping({ gw, defer }) {
  const prom = await startPrometheus({
    scrapeInterval: "1s",
    scrapeConfigs: [
      // As docs/prometheus.md tells users: honor_labels keeps job/instance from the resource.
      { job_name: SERVICE, honor_labels: true, metrics_path: ROUTE, authorization: { credentials: gw.token }, static_configs: [{ targets: [`127.0.0.1:${gw.port}`] }] },
    ],
  });
  defer(() => prom.stop());
  await prom.scraped();
  return { prom, url: `http://127.0.0.1:${gw.port}${ROUTE}`, startS: Date.now() / 1000 };
}

/** `{{label}}` legends as Grafana fills them in. */
const legendOf = (format, metric) => (!format || format === "__auto" ? "" : format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? ""));

/**
 * Waits until Prometheus holds the turns' tokens, then evaluates every Overview panel over the
 * run's window (query_range for time series, instant queries at the end for stats and bar
 * gauges) and writes them for the renderer. Errors are returned, not thrown: the demo's own
 * output still prints, and its verdict says MISMATCH.
 */
async function scrapeAndQuery({ gw, expected, before }) {
  const { prom, url, startS } = before;
  try {
    const deadline = Date.now() + 60000;
    let got;
    for (;;) {
      got = sumOf(await prom.query(`sum(openclaw_tokens_total{job="${SERVICE}",openclaw_token="total"})`));
      if (got === expected.tokens.total) break;
      if (Date.now() > deadline) throw new Error(`Prometheus scraped ${got} tokens, want ${expected.tokens.total}`);
      await sleep(500);
    }
    // Let the last turn's rate window fill before the picture ends.
    await sleep(6000);
    const info = await prom.query(`target_info{job="${SERVICE}"}`);
    const instance = info.result[0]?.metric.instance;
    const endS = Date.now() / 1000;
    const rangeS = Math.ceil(endS - startS);
    const stepS = rangeS <= 300 ? 1 : 2;
    const vars = { job: SERVICE, instance, __range: `${rangeS}s`, __rate_interval: `${RATE_INTERVAL_S}s`, __interval: `${stepS}s` };
    const queries = panelQueries(OVERVIEW, vars);
    const panels = [];
    for (const p of OVERVIEW.panels) {
      const d = p.fieldConfig?.defaults ?? {};
      const panel = { id: p.id, type: p.type, title: p.title, gridPos: p.gridPos, unit: d.unit, decimals: d.decimals, min: d.min, max: d.max, custom: d.custom ?? {}, interval: p.interval, series: [] };
      panels.push(panel);
      if (p.type === "row") continue;
      for (const target of p.targets ?? []) {
        const q = queries.find((x) => x.panelId === p.id && x.refId === target.refId);
        // A panel whose interval is longer than the run (Cost per day: 1d) has one point, at the end.
        const oneStep = target.instant || (p.interval && /^\d+d$/.test(p.interval));
        if (oneStep) {
          const r = await prom.query(q.expr, endS);
          const vec = r.resultType === "scalar" ? [{ metric: {}, value: r.result }] : r.result;
          for (const x of vec) panel.series.push({ name: legendOf(target.legendFormat, x.metric), metric: x.metric, points: [[endS, Number(x.value[1])]] });
        } else {
          const r = await prom.queryRange(q.expr, startS, endS, stepS);
          for (const x of r.result) panel.series.push({ name: legendOf(target.legendFormat, x.metric), metric: x.metric, points: x.values.map(([ts, v]) => [ts, Number(v)]) });
        }
      }
    }
    const targets = await prom.targets();
    await prom.stop();
    const out = path.join(gw.dir, "overview-series.json");
    const meta = { dashboard: OVERVIEW.title, openclaw: VERSION, prometheus: PROMETHEUS.version, job: SERVICE, instance, startS, endS, stepS, rateIntervalS: RATE_INTERVAL_S, turns: TURNS.length, generatedAt: new Date().toISOString() };
    fs.writeFileSync(out, JSON.stringify({ meta, panels }, null, 1));
    return { url, instance, rangeS, stepS, panels, out, health: targets.activeTargets.map((a) => a.health) };
  } catch (err) {
    await prom.stop().catch(() => {});
    return { url, error: err.message };
  }
}

t = Date.now();
const run = await runScenario({
  version: VERSION,
  turns: TURNS,
  turnPauseMs: TURN_PAUSE_MS,
  serviceName: SERVICE,
  // The plugin's Prometheus exposition, on the gateway's route (behind its token).
  pluginConfig: { prometheus: { enabled: true } },
  beforeTurns: startScraping,
  whileRunning: scrapeAndQuery,
  log: (m) => console.log(m),
});
phase(`gateway start, ${TURNS.length} turns, Prometheus, stop`, t);
try {
  const { receiver, mock, expected } = run;
  console.log(`\nplugin: ${run.startupLine.replace(/^\{[^}]*\}\s*/, "")}`);
  console.log(`installed via: ${run.gw.installMethod}; gateway ready in ${secs(run.gw.readyMs)}; stopped in ${secs(run.stopMs)}`);
  console.log("\nturns (mock model usage per reply):");
  for (const [i, s] of mock.served.entries()) {
    const u = s.usage;
    console.log(`  ${i + 1}. ${run.turns[i].via.padEnd(14)} prompt=${u.prompt_tokens} (cached ${u.cached_tokens}) completion=${u.completion_tokens}`);
  }
  const exportedTotal = counterSum(receiver.requests, "openclaw.tokens", { "openclaw.token": "total" });
  const exportedCost = counterSum(receiver.requests, "openclaw.cost.usd");
  const p = run.prices;
  console.log(`\nexpected from the mock and the configured prices (USD/M: input ${p.input}, output ${p.output}, cache read ${p.cacheRead}):`);
  console.log(`  tokens total ${expected.tokens.total} -> exported ${exportedTotal}; cost ${expected.costUsd.toFixed(9)} -> exported ${exportedCost?.toFixed(9)}`);

  // Cumulative temporality: the last metrics request holds every series' totals.
  const last = receiver.requests.filter((r) => r.path === "/v1/metrics").at(-1);
  const metrics = metricsOf([last]);
  const res = metrics[0]?.resource ?? {};
  const byPath = {};
  for (const r of receiver.requests) byPath[r.path] = (byPath[r.path] ?? 0) + 1;
  const perPath = Object.entries(byPath).map(([p, n]) => `${n} to ${p}`).join(", ");
  console.log(`\n${receiver.requests.length} OTLP requests (${last.contentType}: ${perPath}); last metrics request: ${metrics.length} metrics`);
  console.log(`resource: service.name=${res["service.name"]} service.instance.id=${res["service.instance.id"]} service.version=${res["service.version"]}\n`);
  const rows = [["metric", "attributes", "value"]];
  for (const m of metrics.sort((a, b) => a.name.localeCompare(b.name))) {
    const points = m.points.map((pt) => ({ pt, attrs: Object.entries(pt.attrs).sort().map(([k, v]) => `${k.replace(/^openclaw\./, "")}=${v}`).join(" ") }));
    for (const { pt, attrs } of points.sort((a, b) => a.attrs.localeCompare(b.attrs))) {
      const value = m.kind === "histogram" ? `count=${pt.count} sum=${+pt.sum.toFixed(6)}${m.unit && m.unit !== "1" ? ` ${m.unit}` : ""}` : `${+pt.value.toFixed(9)}`;
      rows.push([m.name, attrs, value]);
    }
  }
  const widths = [0, 1].map((i) => Math.min(70, Math.max(...rows.map((r) => r[i].length))));
  for (const [i, r] of rows.entries()) {
    console.log(`${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`);
    if (i === 0) console.log(`${"-".repeat(widths[0])}  ${"-".repeat(widths[1])}  -----`);
  }
  // Spans: the tree of the last turn's trace, as the gateway's own ids nest it.
  const spans = spansOf(receiver.requests);
  const lastTrace = spans.filter((x) => x.name === "openclaw.run").at(-1)?.traceId;
  const inTrace = spans.filter((x) => x.traceId === lastTrace);
  const children = (id) => inTrace.filter((x) => x.parentSpanId === id).sort((a, b) => a.startMs - b.startMs);
  const ids = new Set(inTrace.map((x) => x.spanId));
  const print = (x, depth) => {
    console.log(`  ${"  ".repeat(depth)}${x.name} ${x.endMs - x.startMs} ms${x.statusCode === "STATUS_CODE_ERROR" ? " (error)" : ""}`);
    for (const c of children(x.spanId)) print(c, depth + 1);
  };
  console.log(`\n${spans.length} spans; the last turn's trace ${lastTrace}:`);
  for (const root of inTrace.filter((x) => !x.parentSpanId || !ids.has(x.parentSpanId))) print(root, 0);
  const logs = logsOf(receiver.requests);
  console.log(`${logs.length} log records (${logs.filter((l) => l.spanId && ids.has(l.spanId)).length} of them in that trace)`);

  // Prometheus: what it scraped from the route, through the Overview dashboard's own queries.
  const pr = run.whileRunning;
  console.log("\nPrometheus (scraped from the plugin's route):");
  console.log(`  ${pr.url} every 1 s, authorization: the gateway's token; Prometheus ${PROMETHEUS.version}`);
  let promOk = false;
  if (pr.error) console.log(`  failed: ${pr.error}`);
  else {
    const panel = (title) => pr.panels.find((x) => x.title === title && x.type !== "row");
    const stat = (title) => panel(title).series.reduce((n, x) => n + x.points.at(-1)[1], 0);
    const lastNotNull = (x) => x.points.filter(([, v]) => Number.isFinite(v)).at(-1)?.[1];
    const fmt = (v, digits = 3) => (v === undefined ? "no data" : `${+v.toFixed(digits)}`);
    const tokens = stat("Tokens");
    const cost = stat("Cost");
    const tokensOk = tokens === expected.tokens.total;
    const costOk = close(cost, expected.costUsd);
    promOk = tokensOk && costOk;
    console.log(`  Overview panels, job="${SERVICE}" instance="${pr.instance}", over the run's ${pr.rangeS} s (step ${pr.stepS} s, $__rate_interval ${RATE_INTERVAL_S} s):`);
    console.log(`    Tokens                  ${tokens} ${tokensOk ? "=" : "!="} expected ${expected.tokens.total}`);
    console.log(`    Cost                    $${cost.toFixed(9)} ${costOk ? "=" : "!="} expected $${expected.costUsd.toFixed(9)}`);
    console.log(`    Gateways reporting      ${stat("Gateways reporting")}`);
    const byType = panel("Tokens/s by type").series;
    const peak = (x) => Math.max(...x.points.map(([, v]) => v).filter(Number.isFinite));
    const list = (f) => byType.map((x) => `${x.name} ${fmt(f(x), 1)}`).join(", ");
    console.log(`    Tokens/s by type        ${byType.length ? `latest: ${list(lastNotNull)}; peak: ${list(peak)}` : "no data"}`);
    const p95 = panel("Model-call latency").series.filter((x) => x.name.startsWith("p95")).map((x) => `${x.name.replace(/^p95 /, "")} ${fmt(lastNotNull(x))} ms`).join(", ");
    console.log(`    Model-call latency p95  ${p95 || "no data"} (last non-null)`);
    const empty = pr.panels.filter((x) => x.type !== "row" && !x.series.some((s) => s.points.some(([, v]) => Number.isFinite(v))));
    console.log(`    ${pr.panels.filter((x) => x.type !== "row").length - empty.length} of ${pr.panels.filter((x) => x.type !== "row").length} panels with data${empty.length ? `; no data: ${empty.map((x) => x.title).join(", ")}` : ""}`);
    // The picture of those panels.
    const r = spawnSync(VENV_PYTHON, [path.join(ROOT, "e2e", "render_overview.py"), pr.out, PNG], { encoding: "utf8", env: { ...process.env, MPLBACKEND: "Agg" } });
    if (r.status === 0) console.log(`  rendered the Overview dashboard of this run: ${path.relative(process.cwd(), PNG)}`);
    else {
      promOk = false;
      console.log(`  rendering failed (npm run demo installs e2e/demo-requirements.txt): ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" | ")}`);
    }
  }

  const ok = exportedTotal === expected.tokens.total && Math.abs(exportedCost - expected.costUsd) < 1e-12 + 1e-9 * expected.costUsd && run.leftover.length === 0 && promOk;
  phases.push(["total", secs(Date.now() - t0)]);
  console.log(`\nwall time: ${phases.map(([n, s]) => `${n} ${s}`).join("; ")}`);
  console.log(ok ? "OK: exported and scraped tokens and cost match the mock; every process stopped." : "MISMATCH: see above.");
  process.exitCode = ok ? 0 : 1;
} finally {
  await run.cleanup();
}
