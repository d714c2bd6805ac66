#!/usr/bin/env node
// Bounded cargo-fuzz run of fuzz/'s targets on the stable toolchain: installs cargo-fuzz into
// .cache/cargo-fuzz if missing, seeds each corpus (the captured 2026.9.6 event stream, a few
// configs), builds, runs each target for FUZZ_SECONDS (default 20), prints executions and
// coverage, and exits non-zero on any crash (its input is in fuzz/artifacts/<target>/).
//
//   node scripts/fuzz.mjs [target...]      FUZZ_SECONDS=60  FUZZ_SANITIZER=address  FUZZ_CODEGEN_UNITS=1
//
// Without a sanitizer (the default) nothing here needs nightly. AddressSanitizer needs the
// unstable -Zsanitizer flag: on stable that is allowed only with RUSTC_BOOTSTRAP=1, which this
// script then sets for the fuzz build alone.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FUZZ = join(ROOT, "fuzz");
const CARGO_FUZZ_VERSION = "0.13.2";
const CARGO_FUZZ = join(ROOT, ".cache", "cargo-fuzz", "bin", process.platform === "win32" ? "cargo-fuzz.exe" : "cargo-fuzz");
const TARGETS = ["event_decode", "compact_decode", "config_resolve"];
const seconds = Number(process.env.FUZZ_SECONDS ?? 20);
const sanitizer = process.env.FUZZ_SANITIZER ?? "none";
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : TARGETS;

function fail(msg) {
  console.error(`fuzz: ${msg}`);
  process.exit(1);
}

if (!(seconds > 0)) fail(`FUZZ_SECONDS must be a positive number, got ${process.env.FUZZ_SECONDS}`);
for (const t of wanted) if (!TARGETS.includes(t)) fail(`unknown target ${t} (have ${TARGETS.join(", ")})`);
if (process.platform !== "linux" && process.platform !== "darwin") fail("libFuzzer runs on Linux and macOS only");

function timed(label, cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 256 << 20, ...opts });
  const s = (Date.now() - t0) / 1000;
  if (r.error) fail(`${label}: ${r.error.message}`);
  return { ...r, seconds: s };
}

// 1. cargo-fuzz, project-local and pinned.
if (!existsSync(CARGO_FUZZ)) {
  console.log(`fuzz: installing cargo-fuzz ${CARGO_FUZZ_VERSION} into .cache/cargo-fuzz ...`);
  const r = timed("cargo install", "cargo", ["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION, "--root", join(ROOT, ".cache", "cargo-fuzz")]);
  if (r.status !== 0) fail(`cargo install cargo-fuzz failed:\n${r.stderr.slice(-4000)}`);
  console.log(`fuzz: installed cargo-fuzz in ${r.seconds.toFixed(0)} s`);
}

// 2. Seed corpora; libFuzzer adds what it finds beside them (fuzz/corpus is not committed).
function seed(target, name, content) {
  const dir = join(FUZZ, "corpus", target);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `seed-${name}`);
  if (!existsSync(file) || readFileSync(file, "utf8") !== content) writeFileSync(file, content);
}

// The captured stream, as index.js hands it over: one trust digit (1 trusted, 2 internal,
// 4 trusted trace context), then the event's JSON; one file per event and one for the batch.
const fixture = readFileSync(join(ROOT, "__test__", "fixtures", "chat-tool-turn-2026.9.6.jsonl"), "utf8");
const lines = fixture
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => {
    const { meta = {}, evt } = JSON.parse(l);
    const bits = (meta.trusted ? 1 : 0) | (meta.internal ? 2 : 0) | (meta.trustedTraceContext ? 4 : 0);
    return `${bits}${JSON.stringify(evt)}`;
  });
lines.forEach((l, i) => seed("event_decode", `fixture-${String(i).padStart(2, "0")}`, l));
seed("event_decode", "fixture-batch", lines.join("\n"));
// A gateway file-log line (the 2026.2 path) and a lone-surrogate cut.
seed(
  "event_decode",
  "filelog",
  `0${JSON.stringify({ 0: '{"subsystem":"gateway"}', 1: "listening", _meta: { logLevelName: "INFO", name: "gateway", parentNames: ["openclaw"], date: "2026-11-22T05:34:48.677Z", path: { fileLine: "324", method: "logToFile" } } })}`,
);
seed("event_decode", "surrogate", '1{"type":"message.processed","channel":"webchat","outcome":"error","error":"cut \\ud83d","durationMs":5}');

// Configs: the diagnostics block on the first line, then the environment (`#N=` names the
// N-th variable of ENV_KEYS in src/fuzz_props.rs).
const configs = {
  defaults: ['{"enabled":true,"otel":{"enabled":true}}'],
  full: [
    JSON.stringify({
      enabled: true,
      otel: {
        enabled: true,
        endpoint: "http://collector:4318",
        protocol: "http/protobuf",
        headers: { Authorization: "Bearer tok" },
        serviceName: "gw",
        flushIntervalMs: 5000,
        sampleRate: 0.5,
        logs: true,
        logsExporter: "both",
        captureContent: true,
        metricNamePrefix: "acme.",
      },
    }),
    "OTEL_EXPORTER_OTLP_HEADERS=x-tenant=a%20b",
    "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod,team=a%2Cb",
    "OTEL_BSP_MAX_QUEUE_SIZE=100",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta",
  ],
  grpc: [
    JSON.stringify({ enabled: true, otel: { enabled: true, protocol: "grpc", tracesEndpoint: "https://u:pw@traces.example:4317" } }),
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://[::1]:4318/v1/metrics",
    "OTEL_TRACES_SAMPLER=parentbased_traceidratio",
    "OTEL_TRACES_SAMPLER_ARG=0.25",
    "OTEL_EXPORTER_OTLP_COMPRESSION=gzip",
  ],
  bad: [
    JSON.stringify({ enabled: true, otel: { enabled: true, endpoint: "collector:4318", flushIntervalMs: "soon", metrics: "yes", logs: true, logsExporter: "file" } }),
    "OTEL_EXPORTER_OTLP_TIMEOUT=0.5",
    "OTEL_METRIC_EXPORT_INTERVAL=-3",
    "#11=Authorization: Basic dXNlcjpwYXNz==",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http://user:pa#ss@logs:99999",
  ],
  disabled: ['{"enabled":false,"otel":{"enabled":true}}', "OTEL_SDK_DISABLED=true"],
};
for (const [name, cfg] of Object.entries(configs)) seed("config_resolve", name, cfg.join("\n"));

// Compact batches: each 3 bytes a slot (0x2<tag>, then a small value; see
// fuzz_props::targets::compact_decode), all below 0x80 so that they stay single UTF-8 bytes.
const slot = (tag, v) => [0x20 | tag, v & 0x7f, 0];
const record = (type) => [slot(7, type * 8 + 1), ...Array.from({ length: 30 }, (_, i) => slot(i % 3, i % 5))].flat();
for (const type of [0, 5, 20, 40]) seed("compact_decode", `record-${type}`, String.fromCharCode(...record(type)));
seed("compact_decode", "json", String.fromCharCode(...slot(7, 9), ...slot(5, 7), ...slot(6, 0), ...slot(5, 2)));

// 3. Build, then run each target for its time.
const env = { ...process.env, ...(sanitizer === "none" ? {} : { RUSTC_BOOTSTRAP: "1" }) };
// One target dir per sanitizer (their flags differ, so each would rebuild the other's world).
// cargo-fuzz builds with one codegen unit: on two cores 16 built no faster and ran slower.
const common = ["--sanitizer", sanitizer, "--target-dir", join("target", sanitizer)];
if (process.env.FUZZ_CODEGEN_UNITS) common.push("--codegen-units", process.env.FUZZ_CODEGEN_UNITS);
console.log(`fuzz: building ${wanted.join(", ")} (sanitizer ${sanitizer}) ...`);
const build = timed("cargo fuzz build", CARGO_FUZZ, ["build", ...common], { cwd: FUZZ, env });
if (build.status !== 0) fail(`cargo fuzz build failed:\n${build.stderr.slice(-6000)}`);
console.log(`fuzz: built in ${build.seconds.toFixed(0)} s`);

const results = [];
let crashed = false;
for (const target of wanted) {
  const corpus = join(FUZZ, "corpus", target);
  const before = readdirSync(corpus).length;
  console.log(`fuzz: ${target} for ${seconds} s (corpus ${before} inputs) ...`);
  const args = ["run", target, ...common, "--", `-max_total_time=${seconds}`, "-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048", "-max_len=65536"];
  const r = timed(`cargo fuzz run ${target}`, CARGO_FUZZ, args, { cwd: FUZZ, env });
  const out = `${r.stdout}\n${r.stderr}`;
  mkdirSync(join(FUZZ, "target"), { recursive: true });
  writeFileSync(join(FUZZ, "target", `${target}-${sanitizer}.log`), out);
  const stat = (k) => Number(out.match(new RegExp(`stat::${k}:\\s*(\\d+)`))?.[1] ?? NaN);
  const pulses = [...out.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)/g)];
  const last = pulses.at(-1);
  const row = {
    target,
    seconds: Number(r.seconds.toFixed(1)),
    execs: stat("number_of_executed_units"),
    execsPerSec: stat("average_exec_per_sec"),
    cov: Number(last?.[1] ?? NaN),
    features: Number(last?.[2] ?? NaN),
    corpus: Number(last?.[3] ?? NaN),
    newUnits: stat("new_units_added"),
    peakRssMb: stat("peak_rss_mb"),
    ok: r.status === 0,
  };
  results.push(row);
  if (r.status !== 0) {
    crashed = true;
    const artifact = out.match(/Test unit written to (\S+)/)?.[1];
    console.error(`fuzz: ${target} FAILED (exit ${r.status}); log in fuzz/target/${target}-${sanitizer}.log`);
    console.error(out.split("\n").filter((l) => !/^#\d+\s+(NEW|REDUCE|pulse)/.test(l)).slice(-60).join("\n"));
    if (artifact && existsSync(artifact)) {
      const bytes = readFileSync(artifact);
      console.error(`fuzz: crashing input ${artifact} (${bytes.length} bytes, sha1 ${createHash("sha1").update(bytes).digest("hex")}):`);
      console.error(JSON.stringify(bytes.toString("latin1").slice(0, 2000)));
      console.error(`fuzz: reproduce with: cd fuzz && ${CARGO_FUZZ} run ${target} ${common.join(" ")} ${artifact}`);
    }
  }
}

const pad = (v, n) => String(v).padStart(n);
console.log("\ntarget           seconds      execs   exec/s     cov   features  corpus  new  rss MB  result");
for (const r of results) {
  console.log(
    `${r.target.padEnd(15)} ${pad(r.seconds, 8)} ${pad(r.execs, 10)} ${pad(r.execsPerSec, 8)} ${pad(r.cov, 7)} ${pad(r.features, 10)} ${pad(r.corpus, 7)} ${pad(r.newUnits, 4)} ${pad(r.peakRssMb, 7)}  ${r.ok ? "ok" : "CRASH"}`,
  );
}
console.log(`FUZZ_SUMMARY ${JSON.stringify({ sanitizer, seconds, buildSeconds: Number(build.seconds.toFixed(1)), results })}`);
process.exit(crashed ? 1 : 0);
