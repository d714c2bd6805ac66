#!/usr/bin/env node
// The real thing: OpenClaw 2026.9.6 with this plugin installed from its packed tarball, a mock
// OpenAI-compatible model, and an embedded OTLP receiver (upstream's protobuf classes). Three
// turns, then a table of every metric the plugin exported and a summary of its spans and logs. Builds nothing: the .node binary
// must exist (`npm run build`); OpenClaw and Node 24 are fetched by e2e/setup.mjs (cached).
//   node e2e/demo.mjs
import { logsOf, metricsOf, spansOf } from "../__test__/support/receiver.mjs";
import { installExitSweep } from "./lib/procs.mjs";
import { counterSum, runScenario } from "./lib/scenario.mjs";
import { setup } from "./setup.mjs";

const VERSION = "2026.9.6";
// Two CLI turns (`openclaw agent`) and one webchat turn (chat.send, which alone emits the
// message.* events).
const TURNS = ["agent", "agent", "chat"];

installExitSweep();
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const phases = [];
const phase = (name, since) => phases.push([name, secs(Date.now() - since)]);

let t = Date.now();
setup({ only: ["node-24", `openclaw-${VERSION}`, "python"], log: (m) => console.log(m) });
phase("setup (cached after the first run)", t);

t = Date.now();
const run = await runScenario({ version: VERSION, turns: TURNS, serviceName: "openclaw-demo", log: (m) => console.log(m) });
phase("gateway start, 3 turns, stop", t);
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

  const ok = exportedTotal === expected.tokens.total && Math.abs(exportedCost - expected.costUsd) < 1e-12 + 1e-9 * expected.costUsd && run.leftover.length === 0;
  phases.push(["total", secs(Date.now() - t0)]);
  console.log(`\nwall time: ${phases.map(([n, s]) => `${n} ${s}`).join("; ")}`);
  console.log(ok ? "OK: exported tokens and cost match the mock; every process stopped." : "MISMATCH: see above.");
  process.exitCode = ok ? 0 : 1;
} finally {
  await run.cleanup();
}
