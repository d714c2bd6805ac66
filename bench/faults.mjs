#!/usr/bin/env node
// Faults side by side: our plugin and the official diagnostics-otel plugin (openclaw@2026.2.19)
// against the same misbehaving collector, each run in its own child process (faults-child.mjs)
// through the bench host (host.mjs). The collector is the real OTLP receiver of the tests
// (__test__/support/otlp_receiver.py: upstream's protobuf classes decode every request), one per
// run; a closed port stands in for "connection refused". Prints a Markdown table and writes it
// to bench/faults-results.md (raw results: .cache/bench/faults-results.json). Asserts nothing.
//
//   node bench/faults.mjs [--only outage,throttle,too-large,hang,refused,implausible,secrets]
//                         [--out FILE] [--no-pack]
//
// Needs the built addon in the repo root and .venv (npm run setup:py); --no-pack reuses the
// ours/ copy setup.mjs unpacked last time instead of packing the current build again.
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { BENCH_DIR, CACHE, PLUGINS, REPO, prepare } from "./setup.mjs";
import { metricsOf, spansOf, startReceiver } from "../__test__/support/receiver.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const OUT = path.resolve(option("--out", path.join(BENCH_DIR, "faults-results.md")));
const ALL = ["outage", "throttle", "too-large", "hang", "refused", "implausible", "secrets"];
const ONLY = option("--only", ALL.join(",")).split(",");
const VARIANTS = ["ours", "official"];
const SECRET = "S3CRET";
const CHILD_TIMEOUT_MS = 120000;

// The plan: every figure in the table is produced by one of these.
const PLAN = {
  outage: { runs: 3, flows: 500, outageMs: 10000, recoverMs: 8000, flushIntervalMs: 1000 },
  throttle: { throttleMs: 5000, recoverMs: 3000, flushIntervalMs: 1000, traces: false },
  "too-large": { flows: 50, waitMs: 6500, flushIntervalMs: 1000 },
  hang: { flows: 2500, loadMs: 10000, flushIntervalMs: 1000, stopCapMs: 60000 },
  refused: { flows: 200, loadMs: 10000, flushIntervalMs: 1000 },
  implausible: { flushIntervalMs: 1000 },
  secrets: { flows: 40, loadMs: 4000, flushIntervalMs: 1000 },
};

const log = (...a) => console.error(...a);
const children = new Set();
const receivers = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const r of receivers) await r.stop().catch(() => undefined);
    process.exit(130);
  });
}

function childEnv() {
  // The plugins read OTEL_*: nothing from the caller's shell may change what they do.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("OTEL_")) env[k] = v;
  return env;
}

/** Runs one scenario for one plugin; resolves with its result, or with why there is none. */
function runChild(opts) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ["--expose-gc", path.join(BENCH_DIR, "faults-child.mjs"), JSON.stringify(opts)], {
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(proc);
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => proc.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(proc);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      const result = line ? JSON.parse(line.slice(7)) : undefined;
      // Everything the process printed besides the result line: scanned for secrets too.
      const printed = out.split("\n").filter((l) => l && !l.startsWith("RESULT ")).concat(err.split("\n").filter(Boolean));
      resolve({ result, code, signal, printed, stderrTail: err.trim().slice(-1500) });
    });
  });
}

/** A port nothing listens on (bound, then closed): connecting is refused. */
async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function withReceiver(mode, fn) {
  const receiver = await startReceiver({ mode });
  receivers.add(receiver);
  try {
    return await fn(receiver);
  } finally {
    receivers.delete(receiver);
    await receiver.stop();
  }
}

// ---- what the receiver decoded --------------------------------------------------------------

const ofPath = (requests, p) => requests.filter((r) => r.path === p);
// The receiver answers 200 in "ok" and in any mode it does not know: the outage run switches to
// "ok-at-stop" just before stop() to tell what stop() alone delivered.
const accepted = (requests) => requests.filter((r) => r.mode?.startsWith("ok") && !r.error);

/** Cumulative counter totals from accepted requests: the newest value of each series, summed
 * by the value of `byKey` (e.g. openclaw.token). */
function counterBy(requests, name, byKey) {
  const series = new Map();
  for (const m of metricsOf(accepted(ofPath(requests, "/v1/metrics")))) {
    if (m.name !== name) continue;
    for (const p of m.points) series.set(JSON.stringify(p.attrs), p);
  }
  const out = {};
  for (const p of series.values()) {
    const k = byKey ? p.attrs[byKey] : "all";
    out[k] = (out[k] ?? 0) + p.value;
  }
  return out;
}

function spanCounts(requests) {
  const spans = spansOf(requests);
  return { spans: spans.length, distinct: new Set(spans.map((s) => s.spanId)).size };
}

const contentTypes = {};
function noteContentTypes(variant, requests) {
  for (const r of requests) {
    if (r.path?.startsWith("/v1/")) (contentTypes[variant] ??= new Set()).add(`${r.path} ${r.contentType}`);
  }
}

// ---- formatting -----------------------------------------------------------------------------

const int = (n) => (n === undefined || Number.isNaN(n) ? "?" : Math.round(n).toLocaleString("en-US"));
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
const short = (s, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);
const cellText = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A child that produced no result: the cell says so. */
function failed(run) {
  if (run.result) return undefined;
  return `n/a: child ${run.signal ? `killed (${run.signal})` : `exited ${run.code}`}: ${short(run.stderrTail.split("\n").pop() ?? "", 120)}`;
}

function warnLines(result) {
  return (result.lines ?? []).filter((l) => l.level === "warn" || l.level === "error");
}

// ---- scenarios ------------------------------------------------------------------------------
// Each returns { cells: {ours, official}, note, raw }.

const SCENARIOS = {
  async outage(plan) {
    // Repeated: where a batch's retries end relative to the recovery decides its fate, so one
    // run can show all spans delivered and the next half of them lost.
    const per = { ours: [], official: [] };
    const raw = { ours: [], official: [] };
    for (let i = 0; i < plan.runs; i++) {
      for (const variant of VARIANTS) {
        const run = await withReceiver("fail", async (rcv) => {
          const r = await runChild({ scenario: "outage", variant, endpoint: rcv.httpBase, receiverBase: rcv.httpBase, ...plan });
          await rcv.sync();
          return { ...r, requests: rcv.requests };
        });
        noteContentTypes(variant, run.requests);
        const entry = { ...run, requests: undefined };
        raw[variant].push(entry);
        if (failed(run)) {
          per[variant].push({ failed: failed(run) });
          continue;
        }
        const res = run.result;
        const traces = ofPath(run.requests, "/v1/traces");
        const ok = spanCounts(accepted(traces));
        const beforeStop = spanCounts(traces.filter((r) => r.mode === "ok"));
        const sentDuring = traces.filter((r) => r.mode === "fail").length;
        const wire = counterBy(run.requests, "openclaw.tokens", "openclaw.token");
        const off = Object.keys(res.emitted.tokens).filter((t) => wire[t] !== res.emitted.tokens[t]);
        entry.wire = { accepted: ok, beforeStop, sentDuring, tokens: wire };
        per[variant].push({ produced: res.emitted.spanEvents, ok, beforeStop, sentDuring, off, wire, emitted: res.emitted.tokens, status: res.statusAfter?.traces });
      }
    }
    const cells = {};
    for (const variant of VARIANTS) {
      const runs = per[variant].filter((r) => !r.failed);
      const failures = per[variant].filter((r) => r.failed);
      if (runs.length === 0) {
        cells[variant] = failures[0]?.failed ?? "n/a";
        continue;
      }
      const list = (f) => runs.map(f).join(" / ");
      const dupes = runs.reduce((a, r) => a + r.ok.spans - r.ok.distinct, 0);
      const tokensOk = runs.filter((r) => r.off.length === 0).length;
      const offText = runs
        .filter((r) => r.off.length)
        .map((r) => r.off.map((t) => `${t} ${int(r.wire[t] ?? 0)} of ${int(r.emitted[t])}`).join(", "))
        .join("; ");
      cells[variant] =
        `spans accepted per run: ${list((r) => int(r.ok.distinct))} of ${int(runs[0].produced)}` +
        ` (within ${sec(plan.recoverMs)} of recovery: ${list((r) => int(r.beforeStop.distinct))}; ${dupes ? `${int(dupes)} duplicates` : "no duplicates"})` +
        `; trace requests during the outage: ${list((r) => r.sentDuring)}` +
        `; tokens on the wire = emitted, every type: ${tokensOk === runs.length ? "yes" : "no"} in ${tokensOk === runs.length ? tokensOk : runs.length - tokensOk} of ${runs.length} runs${offText ? ` (${offText})` : ""}`;
      if (runs.every((r) => r.status)) cells[variant] += `; status before stop(): dropped ${list((r) => int(r.status.dropped))}, state ${list((r) => r.status.state)}`;
      if (failures.length) cells[variant] += `; ${failures.length} run(s) without a result: ${failures[0].failed}`;
    }
    return {
      cells,
      raw,
      note:
        `${plan.runs} runs each. 503 for ${sec(plan.outageMs)} while ${int(plan.flows)} flows (${int(plan.flows * 8)} events, ${int(plan.flows * 2)} span events, ` +
        `model.usage tokens) are emitted evenly; then 200, ${sec(plan.recoverMs)}, stop(). Spans: distinct span ids in requests the ` +
        "receiver answered 200, and how many of them before stop() began. Tokens: newest cumulative `openclaw.tokens` per series in " +
        "accepted requests, summed by type, against the sums of the emitted model.usage fields",
    };
  },

  async throttle(plan) {
    const cells = {};
    const raw = {};
    for (const variant of VARIANTS) {
      const run = await withReceiver("throttle", async (rcv) => {
        const r = await runChild({ scenario: "throttle", variant, endpoint: rcv.httpBase, receiverBase: rcv.httpBase, ...plan });
        await rcv.sync();
        return { ...r, requests: rcv.requests };
      });
      noteContentTypes(variant, run.requests);
      raw[variant] = { ...run, requests: undefined };
      if (failed(run)) {
        cells[variant] = failed(run);
        continue;
      }
      const res = run.result;
      const metrics = ofPath(run.requests, "/v1/metrics");
      const throttled = metrics.filter((r) => r.mode === "throttle");
      const during = throttled.length;
      // A retry sends the same payload again; a new periodic export has new timestamps.
      const distinct = new Set(throttled.map((r) => JSON.stringify(r.request))).size;
      const input = counterBy(run.requests, "openclaw.tokens", "openclaw.token").input;
      raw[variant].wire = { during, distinct, after: metrics.length - during, input };
      cells[variant] =
        `${during} metric export requests in ${sec(res.throttleMs)} (${distinct} distinct payloads${during > distinct ? `, ${during - distinct} resent copies` : ""})` +
        `; input tokens after recovery ${input === res.emitted.tokens.input ? "exact" : `${int(input ?? 0)} of ${int(res.emitted.tokens.input)}`}`;
      if (res.statusDuring) cells[variant] += ` (status: ${res.statusDuring.exportsDeferred} deferred)`;
    }
    return {
      cells,
      raw,
      note:
        `429 + \`Retry-After: 2\` from start() for ${sec(plan.throttleMs)}, \`flushIntervalMs\` 1000, traces off; ` +
        "requests the receiver answered 429 (a plain 1 s interval would send ~5); then 200 and stop()",
    };
  },

  async "too-large"(plan) {
    const cells = {};
    const raw = {};
    for (const variant of VARIANTS) {
      const run = await withReceiver("too-large", async (rcv) => {
        const r = await runChild({ scenario: "too-large", variant, endpoint: rcv.httpBase, receiverBase: rcv.httpBase, ...plan });
        await rcv.sync();
        return { ...r, requests: rcv.requests };
      });
      noteContentTypes(variant, run.requests);
      raw[variant] = { ...run, requests: undefined };
      if (failed(run)) {
        cells[variant] = failed(run);
        continue;
      }
      const res = run.result;
      const traces = ofPath(run.requests, "/v1/traces");
      const sent = spanCounts(traces);
      const metrics = ofPath(run.requests, "/v1/metrics").length;
      const warns = warnLines(res);
      raw[variant].wire = { traceRequests: traces.length, sent, metrics };
      const resent = sent.spans - sent.distinct;
      cells[variant] =
        `traces: ${traces.length} request${traces.length === 1 ? "" : "s"} carrying ${int(sent.distinct)} of ${int(res.emitted.spanEvents)} spans, ` +
        `${resent ? `${int(resent)} span copies sent again` : "none sent again"}; metrics: ${metrics} requests (a new cumulative export each interval); ` +
        `all answered 413; logged: ${warns.length} warn/error line${warns.length === 1 ? "" : "s"}`;
      const st = res.statusBeforeStop?.traces;
      if (st) cells[variant] += `; status: rejected ${int(st.rejected)}, retries ${int(st.retries)}`;
    }
    return {
      cells,
      raw,
      note: `413 throughout; ${int(plan.flows)} flows at once (${int(plan.flows * 2)} spans, one batch), ${sec(plan.waitMs)} (past the official 5 s batch delay), then stop()`,
    };
  },

  async hang(plan) {
    const cells = {};
    const raw = {};
    for (const variant of VARIANTS) {
      const hung = await withReceiver("hang", async (rcv) => {
        const r = await runChild({ scenario: "hang", variant, endpoint: rcv.httpBase, receiverBase: rcv.httpBase, ...plan });
        await rcv.sync();
        return { ...r, requests: rcv.requests.length };
      });
      // The control: the same load against a collector that answers 200.
      const control = await withReceiver("ok", async (rcv) => {
        const r = await runChild({ scenario: "load-ok", variant, endpoint: rcv.httpBase, receiverBase: rcv.httpBase, ...plan });
        return { ...r, requests: rcv.requests.length };
      });
      raw[variant] = { hung, control };
      if (failed(hung)) {
        cells[variant] = failed(hung);
        continue;
      }
      const h = hung.result;
      const c = control.result;
      const stopText = h.stopOutcome === "cap" ? `stop() had not returned after ${sec(h.stopMs)} (cap)` : `stop() ${h.stopOutcome} in ${sec(h.stopMs)}`;
      cells[variant] =
        `${stopText}; RSS ${h.rssGrowthMb >= 0 ? "+" : ""}${h.rssGrowthMb.toFixed(1)} MB over the load ` +
        `(${c ? `${c.rssGrowthMb >= 0 ? "+" : ""}${c.rssGrowthMb.toFixed(1)} MB with a collector answering 200, stop ${sec(c.stopMs)}` : "control n/a"}); ` +
        `${hung.requests} requests reached the collector (none answered)`;
    }
    return {
      cells,
      raw,
      note:
        `the receiver reads each request and never answers; ${int(plan.flows * 8)} events over ${sec(plan.loadMs)} (${int((plan.flows * 8 * 1000) / plan.loadMs)}/s), ` +
        "RSS after gc() 300 ms after start() vs 200 ms after the last event; then stop() (capped at 60 s). Control: the same run against a 200 collector",
    };
  },

  async refused(plan) {
    const cells = {};
    const raw = {};
    for (const variant of VARIANTS) {
      const port = await closedPort();
      const run = await runChild({ scenario: "refused", variant, endpoint: `http://127.0.0.1:${port}`, ...plan });
      raw[variant] = run;
      if (failed(run)) {
        cells[variant] = `${failed(run)}; gateway process died`;
        continue;
      }
      const res = run.result;
      const atStop = res.warnings - res.warningsDuring;
      cells[variant] =
        `${res.warningsDuring} warn/error line${res.warningsDuring === 1 ? "" : "s"} in ${sec(plan.loadMs)} (${atStop} more at stop); ` +
        `${run.printed.length} lines on stdout/stderr; process alive (exit ${run.code})`;
    }
    return { cells, raw, note: `a closed port on 127.0.0.1; ${int(plan.flows * 8)} events over ${sec(plan.loadMs)}, traces and metrics on, then stop()` };
  },

  async implausible(plan) {
    const cells = {};
    const raw = {};
    for (const variant of VARIANTS) {
      const run = await withReceiver("ok", async (rcv) => {
        const r = await runChild({ scenario: "implausible", variant, endpoint: rcv.httpBase, receiverBase: rcv.httpBase, ...plan });
        await rcv.sync();
        return { ...r, requests: rcv.requests };
      });
      noteContentTypes(variant, run.requests);
      raw[variant] = { ...run, requests: undefined };
      if (failed(run)) {
        cells[variant] = failed(run);
        continue;
      }
      const output = counterBy(run.requests, "openclaw.tokens", "openclaw.token").output;
      const cost = counterBy(run.requests, "openclaw.cost.usd").all;
      raw[variant].wire = { output, cost };
      cells[variant] = `tokens{output} = ${output === undefined ? "absent" : int(output)}; cost.usd = ${cost === undefined ? "absent" : String(Number(cost.toPrecision(6)))}`;
      if (run.result.status) cells[variant] += `; status().implausible ${run.result.status.implausible}`;
    }
    return {
      cells,
      raw,
      note: "two model.usage events on one series: output 40 tokens / USD 0.0031, and output 1e15 tokens / USD 20,000; values from the final cumulative export",
    };
  },

  async secrets(plan) {
    const cells = {};
    const raw = {};
    for (const variant of VARIANTS) {
      const port = await closedPort();
      const run = await runChild({
        scenario: "secrets",
        variant,
        endpoint: `http://user:${SECRET}pw@127.0.0.1:${port}`,
        otelExtra: { headers: { Authorization: `Bearer ${SECRET}tok` } },
        ...plan,
      });
      raw[variant] = run;
      if (failed(run)) {
        cells[variant] = failed(run);
        continue;
      }
      const lines = run.result.lines;
      const leaked = lines.filter((l) => l.message.includes(SECRET)).length;
      const printedLeaks = run.printed.filter((l) => l.includes(SECRET)).length;
      cells[variant] =
        `${leaked ? `**yes**: ${leaked}` : "no: 0"} of ${lines.length} logged lines contain ${SECRET}` +
        `; stdout/stderr: ${printedLeaks} of ${run.printed.length} lines`;
    }
    return {
      cells,
      raw,
      note: `endpoint \`http://user:${SECRET}pw@127.0.0.1:<closed port>\`, headers \`{Authorization: "Bearer ${SECRET}tok"}\`; ${int(plan.flows * 8)} events over ${sec(plan.loadMs)}, then stop(); every line the host logger captured, and everything the process printed`,
    };
  },
};

const TITLES = {
  outage: "503 outage (10 s), then recovery",
  throttle: "429 with `Retry-After: 2`, 1 s interval",
  "too-large": "413 payload too large",
  hang: "hung collector (accepts, never answers)",
  refused: "connection refused (closed port)",
  implausible: "implausible values (1e15 tokens, USD 20,000)",
  secrets: "secrets in endpoint user info and headers",
};

// ---- main -----------------------------------------------------------------------------------

const t0 = Date.now();
if (!argv.includes("--no-pack")) {
  log("setup: packing ours from the repo root (no build), official from the cache");
  await prepare({ log });
}
const stamp = JSON.parse(fs.readFileSync(path.join(PLUGINS, "official/.bench-ready"), "utf8"));
const git = (...a) => {
  try {
    return execFileSync("git", a, { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
};
const nodeFile = fs.readdirSync(path.join(PLUGINS, "ours")).find((f) => f.endsWith(".node"));
const nodeSha = nodeFile ? crypto.createHash("sha256").update(fs.readFileSync(path.join(PLUGINS, "ours", nodeFile))).digest("hex").slice(0, 12) : "none";
const info = {
  date: new Date().toISOString(),
  commit: git("rev-parse", "--short", "HEAD"),
  dirty: git("status", "--porcelain", "--", "src", "index.js", "Cargo.toml").length > 0,
  nodeSha,
  node: process.version,
  cpus: os.cpus().length,
  loadavg: os.loadavg().map((l) => l.toFixed(2)).join(" "),
};

const rows = [];
const raw = {};
for (const name of ALL.filter((s) => ONLY.includes(s))) {
  const t = Date.now();
  log(`${name}: running ours, then official`);
  const out = await SCENARIOS[name](PLAN[name]);
  raw[name] = out.raw;
  rows.push([TITLES[name], out.cells.ours, out.cells.official, out.note]);
  log(`${name}: done in ${sec(Date.now() - t)}`);
  log(`  ours:     ${out.cells.ours}`);
  log(`  official: ${out.cells.official}`);
}
const elapsed = Date.now() - t0;
// The children loaded the copy packed at the start; say so if the root build moved meanwhile.
const rootNode = path.join(REPO, nodeFile ?? "none");
const rootSha = fs.existsSync(rootNode) ? crypto.createHash("sha256").update(fs.readFileSync(rootNode)).digest("hex").slice(0, 12) : "none";

// First warning of each plugin per scenario: what an operator would read in the gateway log.
const firstWarnings = [];
for (const [name, byVariant] of Object.entries(raw)) {
  for (const variant of VARIANTS) {
    const r = [byVariant[variant]].flat()[0];
    const res = r?.result ?? r?.hung?.result;
    const w = res ? warnLines(res)[0] : undefined;
    firstWarnings.push(`| ${name} | ${variant} | ${w ? `\`${cellText(short(w.message, 220)).replace(/`/g, "'")}\`` : "(none)"} |`);
  }
}

// Lines each plugin logged over the whole run (any level), for the reader of an all-zero column.
const totalLines = {};
for (const byVariant of Object.values(raw)) {
  for (const variant of VARIANTS) {
    for (const r of [byVariant[variant]].flat()) {
      for (const res of [r?.result, r?.hung?.result, r?.control?.result]) totalLines[variant] = (totalLines[variant] ?? 0) + (res?.lines?.length ?? 0);
    }
  }
}

const versions = Object.entries(stamp.versions ?? {}).map(([k, v]) => `${k.replace("@opentelemetry/", "")} ${v}`).join(", ");
const md = [
  "<!-- Generated by bench/faults.mjs; do not edit by hand: run `npm run bench:faults`. -->",
  `## Faults side by side: ours vs official diagnostics-otel (${info.date.slice(0, 10)})`,
  "",
  `Generated by \`bench/faults.mjs\` on ${info.date}, commit ${info.commit}${info.dirty ? " with uncommitted changes to src/ or index.js" : ""}, ` +
    `ours: the .node in the repo root (sha256 ${info.nodeSha}…) packed as a user installs it. Official: openclaw@${stamp.openclaw} ` +
    `extensions/diagnostics-otel (${versions}).${rootSha !== info.nodeSha ? ` (The root .node was rebuilt during the run, now ${rootSha}…; these figures are of ${info.nodeSha}….)` : ""} Node ${info.node}, ${info.cpus} CPUs, load ${info.loadavg}; the run took ${sec(elapsed)}.`,
  "",
  `Each cell is one run (the outage: ${PLAN.outage.runs}, one figure per run) of one plugin in its own process,` +
    " loaded through the bench host (bench/host.mjs: OpenClaw 2026.2.19's " +
    "bus, `diagnostics.otel = {enabled, endpoint, flushIntervalMs, traces, metrics: true}`, nothing from `OTEL_*`), exporting to its own " +
    "`__test__/support/otlp_receiver.py` (upstream protobuf classes decode every request, JSON or protobuf). Both plugins run their defaults " +
    "otherwise: on this host both make one span per model.usage and per message.processed. Figures are what the receiver decoded and what " +
    "the host logger captured; \"status\" is our `status()` (the official plugin has none).",
  "",
  "| scenario | ours | official | note |",
  "| --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.map(cellText).join(" | ")} |`),
  "",
  "Content types seen: " +
    VARIANTS.map((v) => `${v}: ${[...(contentTypes[v] ?? [])].sort().map((s) => `\`${s}\``).join(", ") || "none"}`).join("; ") +
    ".",
  "",
  `Lines logged to the host logger over the whole run, any level: ${VARIANTS.map((v) => `${v} ${totalLines[v] ?? 0}`).join(", ")}.`,
  "",
  "First warn/error line each plugin logged, per scenario:",
  "",
  "| scenario | plugin | line |",
  "| --- | --- | --- |",
  ...firstWarnings,
  "",
].join("\n");

process.stdout.write(`${md}\n`);
fs.writeFileSync(OUT, md);
fs.mkdirSync(CACHE, { recursive: true });
fs.writeFileSync(path.join(CACHE, "faults-results.json"), JSON.stringify({ info, plan: PLAN, elapsedMs: elapsed, raw }, null, 1));
log(`wrote ${path.relative(process.cwd(), OUT)} and .cache/bench/faults-results.json (${sec(elapsed)})`);
process.exit(0);
