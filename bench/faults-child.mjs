// One fault scenario for one plugin in a fresh process: loads the plugin through the bench
// host (host.mjs), points it at the collector faults.mjs prepared, drives events, and prints
// one line `RESULT {json}`. What reached the collector is judged by faults.mjs from the
// receiver's decoded requests; this side reports what was emitted, timings, RSS and the lines
// the plugin logged. Started by faults.mjs, never by hand.
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CACHE, PLUGINS, OPENCLAW_VERSION } from "./setup.mjs";
import { importBus, loadPlugin, serviceContext } from "./host.mjs";
import { eventPool } from "./events.mjs";

// Both with their defaults on this host: metrics plus one span per model.usage and per
// message.processed in the bench mix.
const VARIANTS = { ours: { dir: "ours", traces: true }, official: { dir: "official", traces: true } };

const opts = JSON.parse(process.argv[2]);
const variant = VARIANTS[opts.variant];
const result = { variant: opts.variant, scenario: opts.scenario };
const now = () => Number(process.hrtime.bigint()) / 1e6;

const rssMb = () => {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};

const bus = await importBus(path.join(CACHE, "node_modules/openclaw"));
const pool = eventPool();

// What was emitted, so the wire can be checked against it.
const emitted = { events: 0, spanEvents: 0, tokens: {} };
const TOKEN_FIELDS = { input: "input", output: "output", cacheRead: "cache_read", cacheWrite: "cache_write", promptTokens: "prompt", total: "total" };
function emit(evt) {
  bus.emit(evt);
  emitted.events += 1;
  // In this mix both plugins make one span per model.usage and per message.processed.
  if (evt.type === "model.usage" || evt.type === "message.processed") emitted.spanEvents += 1;
  if (evt.type === "model.usage") {
    for (const [field, type] of Object.entries(TOKEN_FIELDS)) {
      const v = evt.usage?.[field];
      if (typeof v === "number" && v) emitted.tokens[type] = (emitted.tokens[type] ?? 0) + v;
    }
  }
}
let cursor = 0;
const emitFlowEvents = (n) => {
  for (let k = 0; k < n; k++) {
    emit(pool[cursor]);
    cursor = (cursor + 1) % pool.length;
  }
};
/** `flows` message flows (8 events each) spread evenly over `ms`, on timers like a gateway. */
async function paced(flows, ms) {
  const total = flows * 8;
  const t = now();
  let done = 0;
  while (done < total) {
    const due = Math.min(total, Math.ceil(((now() - t) / ms) * total));
    if (due > done) {
      emitFlowEvents(due - done);
      done = due;
    }
    if (done < total) await sleep(10);
  }
}

const setMode = (m) => fetch(`${opts.receiverBase}/__mode/${m}`).then((r) => r.arrayBuffer());

const ctx = serviceContext({
  endpoint: opts.endpoint,
  flushIntervalMs: opts.flushIntervalMs,
  traces: opts.traces ?? variant.traces,
  stateDir: os.tmpdir(),
});
Object.assign(ctx.config.diagnostics.otel, opts.otelExtra ?? {});
const lines = ctx.logger.lines;
const warnings = () => lines.filter((l) => l.level === "warn" || l.level === "error");

const loaded = await loadPlugin(path.join(PLUGINS, variant.dir), { version: OPENCLAW_VERSION });
const service = loaded.services[0];
await service.start(ctx);
const status = () => loaded.module.status?.(); // ours only
const tStart = now();

async function stop(capMs = opts.stopCapMs ?? 60000) {
  const t = now();
  const outcome = await Promise.race([
    Promise.resolve(service.stop?.(ctx)).then(
      () => "returned",
      (err) => `threw: ${err?.message ?? err}`,
    ),
    sleep(capMs).then(() => "cap"),
  ]);
  result.stopMs = now() - t;
  result.stopOutcome = outcome;
}

switch (opts.scenario) {
  case "outage": {
    // Receiver answers 503 from the start; a fixed workload over the outage, then recovery.
    await paced(opts.flows, opts.outageMs);
    result.statusDuring = status();
    await setMode("ok");
    result.outageMs = now() - tStart;
    await sleep(opts.recoverMs);
    result.statusAfter = status();
    // Still 200, but requests from here on are tagged: what only stop() delivered.
    await setMode("ok-at-stop");
    await stop();
    break;
  }

  case "throttle": {
    // Receiver answers 429 + Retry-After: 2 from the start; a few flows, one more each second.
    emitFlowEvents(8 * 4);
    while (now() - tStart < opts.throttleMs) {
      await sleep(1000);
      emitFlowEvents(8);
    }
    result.statusDuring = status();
    await setMode("ok");
    result.throttleMs = now() - tStart;
    await sleep(opts.recoverMs);
    await stop();
    break;
  }

  case "too-large": {
    // Receiver answers 413 throughout: one batch of spans, then long enough for a retry.
    emitFlowEvents(8 * opts.flows);
    await sleep(opts.waitMs);
    result.statusBeforeStop = status();
    await stop();
    break;
  }

  case "hang":
  case "load-ok": {
    // Events keep flowing while the collector accepts and never answers (or, as the control,
    // answers 200): RSS after gc before and after, then how long stop() takes.
    await sleep(300);
    result.rssStartMb = rssMb();
    await paced(opts.flows, opts.loadMs);
    await sleep(200);
    result.rssEndMb = rssMb();
    result.rssGrowthMb = result.rssEndMb - result.rssStartMb;
    result.status = status();
    await stop();
    break;
  }

  case "refused": {
    // A closed port: what the plugin logs while events flow, and that the process lives on.
    await paced(opts.flows, opts.loadMs);
    result.warningsDuring = warnings().length;
    result.linesDuring = lines.length;
    result.status = status();
    await stop();
    break;
  }

  case "implausible": {
    const base = { type: "model.usage", sessionKey: "agent:main:main", sessionId: "7f0c1a9e-5d1b-4c55-9d0e-2f4a8c1b9e77", channel: "webchat", provider: "openai", model: "gpt-5", durationMs: 1850, context: { limit: 128000, used: 120 } };
    emit({ ...base, usage: { input: 120, output: 40, promptTokens: 120, total: 160 }, costUsd: 0.0031 });
    emit({ ...base, usage: { input: 120, output: 1e15, promptTokens: 120, total: 1e15 + 120 }, costUsd: 20000 });
    await sleep(1500);
    result.status = status();
    await stop();
    break;
  }

  case "secrets": {
    // Credentials in the endpoint's user info and in a header, the collector away.
    await paced(opts.flows, opts.loadMs);
    result.status = status();
    await stop();
    break;
  }

  default:
    throw new Error(`unknown scenario ${opts.scenario}`);
}

result.emitted = emitted;
result.lines = lines;
result.warnings = warnings().length;
result.alive = true; // reaching this line is the point: nothing took the process down
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
