// One measurement in one fresh process: loads one plugin through the host shim, runs one
// scenario, prints one line `RESULT {json}` and exits. Started by run.mjs, never by hand
// (though `node --expose-gc bench/child.mjs '{"scenario":"startup","variant":"ours",...}'` works).
import { monitorEventLoopDelay } from "node:perf_hooks";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setImmediate as immediate, setTimeout as sleep } from "node:timers/promises";
import { CACHE, PLUGINS, OPENCLAW_VERSION } from "./setup.mjs";
import { importBus, loadPlugin, serviceContext } from "./host.mjs";
import { eventPool } from "./events.mjs";

export const VARIANTS = {
  noop: { dir: "noop", traces: false },
  stringify: { dir: "stringify", traces: false },
  ours: { dir: "ours", traces: true },
  "official-metrics": { dir: "official", traces: false },
  official: { dir: "official", traces: true },
};

const opts = JSON.parse(process.argv[2]);
const variant = VARIANTS[opts.variant];
const result = { variant: opts.variant, scenario: opts.scenario };

const gc = () => {
  if (typeof global.gc !== "function") throw new Error("run with --expose-gc");
  global.gc();
  global.gc();
};
const mem = () => {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
};

const bus = await importBus(path.join(CACHE, "node_modules/openclaw"));
const pool = eventPool();
let cursor = 0;
function emitN(n) {
  const emit = bus.emit;
  const len = pool.length;
  let i = cursor;
  for (let k = 0; k < n; k++) {
    emit(pool[i]);
    if (++i === len) i = 0;
  }
  cursor = i;
}
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, sub-microsecond resolution
// CPU time of this (the JS) thread alone, in ms: tells "burned CPU" from "was descheduled"
// while our worker threads, the receiver and anything else on the machine compete for cores.
const TICK_MS = 10; // USER_HZ is 100 on Linux
function jsThreadCpuMs() {
  try {
    const stat = fs.readFileSync("/proc/thread-self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return NaN;
  }
}

const ctx = serviceContext({
  endpoint: opts.endpoint,
  flushIntervalMs: opts.flushIntervalMs ?? 1000,
  traces: variant.traces,
  stateDir: os.tmpdir(),
});

const t0 = now();
const loaded = await loadPlugin(path.join(PLUGINS, variant.dir), { version: OPENCLAW_VERSION });
const tImported = now();
const service = loaded.services[0];
await service.start(ctx);
const tStarted = now();
result.importMs = tImported - t0;
result.startMs = tStarted - tImported;
result.totalMs = tStarted - t0;
result.listeners = bus.listenerCount();
const ourStatus = () => loaded.module.status?.();

async function stop() {
  const t = now();
  await Promise.race([service.stop?.(ctx), sleep(20000)]);
  result.stopMs = now() - t;
  const errors = ctx.logger.lines.filter((l) => l.level === "error" || l.level === "warn").map((l) => l.message);
  if (errors.length) result.logWarnings = errors.slice(0, 5);
}

switch (opts.scenario) {
  case "startup":
    break;

  case "cost": {
    // Memory after start, then the tight loops, then memory after ~1M events.
    await sleep(300);
    result.memStart = mem();
    emitN(opts.warmup);
    const sizes = {};
    const cpu = {};
    for (const n of opts.sizes) {
      const c = jsThreadCpuMs();
      const t = now();
      emitN(n);
      sizes[n] = ((now() - t) * 1e6) / n;
      cpu[n] = ((jsThreadCpuMs() - c) * 1e6) / n;
      if (n === opts.memoryAfter) {
        // Let the periodic export and any background recording run, then measure.
        await sleep(opts.settleMs);
        result.memAfter = mem();
        result.memAfterEvents = opts.warmup + opts.sizes.slice(0, opts.sizes.indexOf(n) + 1).reduce((a, b) => a + b, 0);
      }
    }
    result.nsPerEvent = sizes;
    result.jsCpuNsPerEvent = cpu;
    result.emitted = opts.warmup + opts.sizes.reduce((a, b) => a + b, 0);
    result.status = ourStatus();
    break;
  }

  case "paced": {
    // A steady rate on timers, like a busy gateway, while exports run every flushIntervalMs.
    const h = monitorEventLoopDelay({ resolution: opts.resolutionMs });
    await sleep(200);
    result.memStart = mem();
    h.enable();
    const t = now();
    let emitted = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const elapsed = now() - t;
        const due = Math.min(opts.total, Math.floor((elapsed * opts.rate) / 1000));
        if (due > emitted) {
          emitN(due - emitted);
          emitted = due;
        }
        if (emitted >= opts.total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    h.disable();
    const lateness = (ns) => Math.max(0, ns / 1e6 - opts.resolutionMs);
    result.elapsedMs = now() - t;
    result.emitted = emitted;
    result.eld = { p50: lateness(h.percentile(50)), p99: lateness(h.percentile(99)), max: lateness(h.max), samples: h.count };
    result.status = ourStatus();
    await sleep(opts.settleMs);
    result.memAfter = mem();
    break;
  }

  case "saturation": {
    // As fast as the JS thread can emit, yielding to the loop between chunks so timers, I/O and
    // exports keep running. Then stop(), which exports what is left.
    const cpu0 = process.cpuUsage();
    const t = now();
    let emitted = 0;
    while (now() - t < opts.durationMs) {
      emitN(opts.chunk);
      emitted += opts.chunk;
      await immediate();
    }
    result.elapsedMs = now() - t;
    result.emitted = emitted;
    result.eventsPerSec = emitted / (result.elapsedMs / 1000);
    result.status = ourStatus();
    await stop();
    // Every thread's CPU, from the first event until stop() has exported the last data.
    const cpu = process.cpuUsage(cpu0);
    result.cpuNsPerEvent = ((cpu.user + cpu.system) * 1000) / emitted;
    break;
  }

  case "breakdown": {
    // Ours only: split the listener's JS-thread cost into building compact records (index.js's
    // encoders for this generation's projection) and the batched native push, with the old
    // per-event JSON.stringify beside them.
    const active = globalThis[Symbol.for("openclaw-diagnostics-otel-rs.active")];
    if (!active) throw new Error("breakdown needs our plugin running");
    const generation = active.generation;
    const encoders = loaded.module.compileProjection(generation.projection);
    const enriched = pool.map((e, i) => ({ ...e, seq: i + 1, ts: Date.now() }));
    const strings = enriched.map((e) => JSON.stringify(e));
    const len = pool.length;
    const n = opts.n;
    let sink = 0;
    const batch = { tags: new Uint8Array(1 << 16), vals: new Float64Array(1 << 16), slot: 0, texts: [], ids: new Map(), chars: 0 };
    const reset = () => {
      batch.slot = batch.chars = 0;
      batch.texts = [];
      batch.ids.clear();
    };
    const send = (records, unknown) => {
      const lens = new Uint32Array(batch.texts.length);
      for (let k = 0; k < lens.length; k++) lens[k] = batch.texts[k].length;
      generation.pushColumns(batch.tags.subarray(0, batch.slot), batch.vals.subarray(0, batch.slot), batch.texts.join(""), lens, records, unknown);
    };
    const loops = {
      stringify: () => {
        for (let k = 0, i = 0; k < n; k++) {
          sink += JSON.stringify(enriched[i]).length;
          if (++i === len) i = 0;
        }
      },
      // Writing each event's projected fields into the reused columns, 1,024 per batch, as the
      // listener does, without sending.
      encode: () => {
        for (let k = 0, i = 0; k < n; k++) {
          const enc = encoders.get(enriched[i].type);
          if (enc !== undefined) enc.encode(enriched[i], batch, enc.index * 8);
          if (++i === len) i = 0;
          if ((k & 1023) === 1023) {
            sink += batch.slot;
            reset();
          }
        }
        reset();
      },
      // The same, sent: one pushColumns per 1,024 events.
      encodeAndPush: () => {
        let records = 0;
        let unknown = 0;
        for (let k = 0, i = 0; k < n; k++) {
          const enc = encoders.get(enriched[i].type);
          if (enc !== undefined) {
            enc.encode(enriched[i], batch, enc.index * 8);
            records++;
          } else unknown++;
          if (++i === len) i = 0;
          if (records + unknown === 1024) {
            send(records, unknown);
            reset();
            records = unknown = 0;
          }
        }
        send(records, unknown);
        reset();
      },
    };
    result.breakdown = {};
    for (const [name, loop] of Object.entries(loops)) {
      await loaded.module.flush(); // an empty queue before each timed loop
      const before = generation.status().dropped;
      const c = jsThreadCpuMs();
      const t = now();
      loop();
      result.breakdown[name] = ((now() - t) * 1e6) / n;
      result.breakdown[`${name}Cpu`] = ((jsThreadCpuMs() - c) * 1e6) / n;
      result.breakdown[`${name}Dropped`] = generation.status().dropped - before;
    }
    // The recording thread alone: a burst that fits its queue, pushed at once, then timed until
    // flush() has recorded all of it (and exported once to the blackhole).
    {
      await loaded.module.flush();
      const burst = Math.min(n, 500000);
      const before = generation.status().recorded + generation.status().ignored;
      const t = now();
      let records = 0;
      for (let k = 0, i = 0; k < burst; k++) {
        const enc = encoders.get(enriched[i].type);
        enc.encode(enriched[i], batch, enc.index * 8);
        records++;
        if (++i === len) i = 0;
        if (records === 1024) {
          send(records, 0);
          reset();
          records = 0;
        }
      }
      send(records, 0);
      reset();
      await loaded.module.flush();
      const st = generation.status();
      result.breakdown.recorderEventsPerSec = ((st.recorded + st.ignored - before) * 1000) / (now() - t);
      result.breakdown.recorderBurst = burst;
      result.breakdown.recorderDropped = st.dropped;
    }
    result.breakdown.meanChars = strings.reduce((a, s) => a + s.length, 0) / strings.length;
    const read = enriched.filter((e) => encoders.has(e.type));
    result.breakdown.meanSlots = read.reduce((a, e) => a + encoders.get(e.type).slots, 0) / Math.max(1, read.length);
    result.breakdown.compactShare = read.length / enriched.length;
    result.sink = sink;
    break;
  }

  default:
    throw new Error(`unknown scenario ${opts.scenario}`);
}

if (result.stopMs === undefined) await stop();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
