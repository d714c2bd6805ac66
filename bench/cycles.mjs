// RSS across service start/stop cycles (metrics, traces and logs on, a few events per
// generation): a command that prints a table, not a test. Run with --expose-gc so the JS heap
// is collected before each sample and what grows is native memory.
//
//   node --expose-gc bench/cycles.mjs [--cycles 1000] [--warmup 50] [--every 100] [--settle 100]
//                                     [--unreachable] [--json]
//
// The collector is bench/blackhole.mjs in its own process (answers 200). --unreachable points
// at a closed 127.0.0.1 port instead: each stop then waits out its span/log retries (~3 s).
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { ctxFor, makeHost, makeLogger, register, sleep, threadCount } from "../__test__/support/host.mjs";
import { messageFlow } from "../__test__/support/events.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const cycles = opt("cycles", 1000);
const warmup = opt("warmup", 50);
const every = opt("every", 100);
const settleMs = opt("settle", 100);
const useReceiver = !args.includes("--unreachable");
const asJson = args.includes("--json");

if (typeof global.gc !== "function") {
  console.error("run with node --expose-gc");
  process.exit(2);
}

/** A 127.0.0.1 port nobody listens on (bound once, then released). */
async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function blackhole() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const proc = spawn(process.execPath, [path.join(here, "blackhole.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`blackhole exited (${code})`)));
    readline.createInterface({ input: proc.stdout }).on("line", (line) => {
      const msg = JSON.parse(line);
      if (msg.ready) resolve(msg.ready);
    });
  });
  proc.removeAllListeners("exit");
  return { endpoint: `http://127.0.0.1:${port}/r/cycles`, stop: () => proc.kill() };
}

// Native handles are released by finalizers that run after a GC, on a later turn: collect,
// let them run and the exited threads be reaped, collect again.
async function rssMb() {
  global.gc();
  await sleep(settleMs);
  global.gc();
  return process.memoryUsage().rss / (1 << 20);
}

const receiver = useReceiver ? await blackhole() : undefined;
const endpoint = receiver?.endpoint ?? `http://127.0.0.1:${await closedPort()}`;
const host = await makeHost();
const samples = [];
const t0 = performance.now();
try {
  const [service] = register(host.plugin);
  const logger = makeLogger();
  const ctx = ctxFor({ enabled: true, endpoint, traces: true, logs: true, flushIntervalMs: 60000 }, { logger });
  const events = messageFlow();
  const cycle = async () => {
    await service.start(ctx);
    for (const e of events) host.bus.emit(e, { trusted: true });
    host.bus.emit({ type: "log.record", level: "INFO", message: "cycle", attributes: { subsystem: "bench" } }, { trusted: true });
    await service.stop();
    logger.lines.length = 0;
  };
  for (let i = 0; i < warmup; i++) await cycle();
  await sleep(200);
  const base = { cycle: 0, rssMb: await rssMb(), threads: threadCount() };
  samples.push(base);
  for (let i = 1; i <= cycles; i++) {
    await cycle();
    if (i % every === 0) samples.push({ cycle: i, rssMb: await rssMb(), threads: threadCount() });
  }
} finally {
  receiver?.stop();
  host.cleanup();
}
const seconds = (performance.now() - t0) / 1000;

if (asJson) {
  console.log(JSON.stringify({ warmup, cycles, seconds, samples }));
} else {
  console.log(`endpoint: ${useReceiver ? "blackhole receiver (200)" : "unreachable 127.0.0.1 port"}; warm-up ${warmup} cycles; ${seconds.toFixed(1)} s`);
  console.log("| cycle | RSS MB | vs cycle 0 | threads |");
  console.log("| ---: | ---: | ---: | ---: |");
  for (const s of samples) {
    console.log(`| ${s.cycle} | ${s.rssMb.toFixed(1)} | ${(s.rssMb - samples[0].rssMb >= 0 ? "+" : "")}${(s.rssMb - samples[0].rssMb).toFixed(1)} | ${s.threads} |`);
  }
}
