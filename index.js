// OpenClaw plugin entry for the native diagnostics-otel exporter. Thin by design: it finds the
// host's diagnostic bus, copies the fields the addon reads from each event into compact
// batches (src/event/compact.rs), and relays the addon's log lines to the host logger. All
// telemetry logic lives in src/ (Rust).
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const PLUGIN_ID = "diagnostics-otel";
// Must equal config::prometheus::ROUTE_PATH (the addon names it in its startup line).
const PROMETHEUS_ROUTE = "/api/diagnostics-otel/prometheus";
const STOP_TIMEOUT_MS = 4000;
const FLUSH_TIMEOUT_MS = 10000;
const LOG_DRAIN_MS = 1000;
// Larger values (and whole events) are skipped and counted rather than copied on the gateway's
// thread.
const MAX_EVENT_CHARS = 1 << 20;
const BATCH_EVENTS = 1024;
const BATCH_CHARS = 1 << 20;
// One active generation per process, shared across re-imports of this module (OpenClaw
// 2026.9 re-imports plugins on in-process restarts), so a stale listener can never survive.
const ACTIVE = Symbol.for("openclaw-diagnostics-otel-rs.active");

const require = createRequire(import.meta.url);
const PACKAGE = "openclaw-diagnostics-otel-rs";
let nativeModule;
let nativeLoadError;

/**
 * napi-rs platform tags to try, most likely first: linux tries glibc then musl (loading the
 * wrong one fails cleanly, and probing libc costs ~5 ms), windows msvc then a local gnu build.
 */
function platformTags() {
  const { platform, arch } = process;
  if (platform === "linux") return [`linux-${arch}-gnu`, `linux-${arch}-musl`];
  if (platform === "win32") return [`win32-${arch}-msvc`, `win32-${arch}-gnu`];
  return [`${platform}-${arch}`];
}

/** "glibc 2.36" or "musl" on linux, for the one error line; only called when loading failed. */
function libcOf() {
  if (process.platform !== "linux") return undefined;
  try {
    const glibc = process.report?.getReport?.()?.header?.glibcVersionRuntime;
    return glibc ? `glibc ${glibc}` : "musl";
  } catch {
    return "unknown libc";
  }
}

/**
 * The addon: a `.node` beside this file first (a local build or a bundled tarball), then the
 * per-platform package npm installed as an optional dependency. Never throws.
 */
export function loadNative() {
  if (nativeModule || nativeLoadError) return nativeModule;
  const tags = platformTags();
  const errors = [];
  for (const id of [...tags.map((t) => `./diagnostics-otel.${t}.node`), ...tags.map((t) => `${PACKAGE}-${t}`)]) {
    try {
      nativeModule = require(id);
      return nativeModule;
    } catch (err) {
      // "not found" is the expected miss; a binary that exists but fails to load says why.
      if (err?.code !== "MODULE_NOT_FOUND") errors.push(`${id}: ${String(err?.message ?? err).split("\n")[0]}`);
    }
  }
  const libc = libcOf();
  const where = `${process.platform}-${process.arch}${libc ? ` (${libc})` : ""}`;
  const want = libc === "musl" ? tags[1] : tags[0];
  let version = "";
  try {
    version = `@${require("./package.json").version}`;
  } catch {
    // a copy without its package.json still gets the package name
  }
  nativeLoadError =
    `no native binary for ${where}: install ${PACKAGE}-${want}${version} beside the plugin ` +
    `(npm installs it as an optional dependency unless optional dependencies are omitted), ` +
    `or see the README's platform list` + (errors.length ? `; tried: ${errors.join("; ")}` : "");
  return undefined;
}

/** The host's diagnostic subscription, newest API first. */
async function resolveSubscription() {
  try {
    const m = await import("openclaw/plugin-sdk/diagnostic-runtime");
    if (typeof m.onInternalDiagnosticEvent === "function") {
      return { name: "onInternalDiagnosticEvent", subscribe: (fn) => m.onInternalDiagnosticEvent((evt, meta) => fn(evt, meta)) };
    }
  } catch {
    // older hosts have no diagnostic-runtime subpath
  }
  try {
    const m = await import("openclaw/plugin-sdk");
    if (typeof m.onDiagnosticEvent === "function") {
      return { name: "onDiagnosticEvent", subscribe: (fn) => m.onDiagnosticEvent(fn) };
    }
  } catch {
    // handled below
  }
  return undefined;
}

/**
 * Lines the addon made already passed its redaction funnel (src/policy.rs); this backstop covers
 * the few made here, e.g. a loader error: no URL user info, no raw control characters, bounded.
 */
function printable(message) {
  return String(message)
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1***@")
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === "\n" ? "\\n" : `\\u{${c.charCodeAt(0).toString(16)}}`))
    .slice(0, 2000);
}

function logTo(logger, level, message) {
  const fn = logger?.[level] ?? logger?.info;
  message = printable(message);
  try {
    if (typeof fn === "function") fn.call(logger, message);
    else console.log(message);
  } catch {
    // a broken host logger must not break telemetry
  }
}

/**
 * The host's OpenClaw version for `service.version`. 2026.2.19 hands plugins "unknown"
 * (it looks for its package.json in the wrong folder), so fall back to the package.json of the
 * `openclaw` package that runs this process.
 */
function hostVersion(api) {
  const reported = api?.runtime?.version;
  if (typeof reported === "string" && reported && reported !== "unknown") return reported;
  try {
    let dir = path.dirname(fs.realpathSync(process.argv[1] ?? ""));
    for (let i = 0; i < 6; i++) {
      const file = path.join(dir, "package.json");
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
        if (pkg?.name === "openclaw" && typeof pkg.version === "string") return pkg.version;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  } catch {
    // no version is better than a wrong one
  }
  return undefined;
}

// Semantic-convention values for Node's process.arch and process.platform.
const HOST_ARCH = { x64: "amd64", arm64: "arm64", ia32: "x86", arm: "arm32", ppc64: "ppc64", s390x: "s390x" };
const OS_TYPE = { win32: "windows", darwin: "darwin", linux: "linux", freebsd: "freebsd", openbsd: "openbsd", netbsd: "netbsd", sunos: "solaris", aix: "aix" };
let facts;

/**
 * Machine and process facts for the resource, read once per process. The addon keeps only what
 * OTEL_NODE_RESOURCE_DETECTORS allows: by default no command line, arguments, owner or machine id.
 */
function hostFacts() {
  const text = (fn) => {
    try {
      const v = fn();
      return typeof v === "string" && v.trim() ? v.trim() : undefined;
    } catch {
      return undefined;
    }
  };
  facts ??= {
    hostName: text(() => os.hostname()),
    hostArch: HOST_ARCH[process.arch] ?? process.arch,
    hostId: text(() => fs.readFileSync("/etc/machine-id", "utf8")) ?? text(() => fs.readFileSync("/var/lib/dbus/machine-id", "utf8")),
    osType: OS_TYPE[process.platform] ?? process.platform,
    osVersion: text(() => os.release()),
    pid: process.pid,
    runtimeName: "nodejs",
    runtimeVersion: process.versions.node,
    runtimeDescription: "Node.js",
    command: text(() => process.argv[1]),
    commandArgs: process.argv.filter((a) => typeof a === "string"),
    executableName: text(() => process.title),
    executablePath: text(() => process.execPath),
    owner: text(() => os.userInfo().username),
  };
  return facts;
}

// The proxy variables the exporters honour, in either case (the addon prefers lowercase).
const PROXY_ENV = new Set(["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"].flatMap((k) => [k, k.toLowerCase()]));

function otelEnv() {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if ((k.startsWith("OTEL_") || k.startsWith("OPENCLAW_OTEL_") || PROXY_ENV.has(k)) && typeof v === "string") out[k] = v;
  }
  return out;
}

/**
 * The config as plain JSON data, one bad value at a time: a BigInt becomes a number (or a
 * string when it does not fit), a cycle, function or throwing getter is left out and named in
 * `skipped`, and lone surrogates become U+FFFD. Nothing here can throw.
 */
export function plainConfig(value, where = "diagnostics", skipped = [], seen = new Set(), depth = 0) {
  try {
    if (typeof value === "string") return value.toWellFormed?.() ?? value;
    if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
    if (value === null || typeof value === "number" || typeof value === "boolean") return value;
    if (typeof value !== "object" || seen.has(value) || depth > 32) {
      if (value !== undefined) skipped.push(where);
      return undefined;
    }
    seen.add(value);
    const out = Array.isArray(value) ? [] : {};
    for (const key of Object.keys(value)) {
      let v;
      try {
        v = value[key];
      } catch {
        skipped.push(`${where}.${key}`);
        continue;
      }
      const plain = plainConfig(v, `${where}.${key}`, skipped, seen, depth + 1);
      if (plain !== undefined) out[Array.isArray(value) ? out.length : key.toWellFormed?.() ?? key] = plain;
    }
    seen.delete(value);
    return out;
  } catch {
    skipped.push(where);
    return undefined;
  }
}

const UNSERIALIZABLE = Symbol("unserializable");
const COMPILED = new Map();
// Slot tags of the compact hand-off (src/event/compact.rs).
const ABSENT = 0;
const NUMBER = 1;
const TEXT = 2;
const TRUE = 3;
const FALSE = 4;
const JSON_TEXT = 5;
const OBJECT = 6;
const HEADER = 7;
// Slots per batch: the columns are allocated once per generation and reused.
const BATCH_SLOTS = 1 << 16;

const BATCH = Symbol.for("openclaw-diagnostics-otel-rs.batch");

/** Empties a batch for the next one; its columns are kept. */
function resetBatch(b) {
  b.slot = b.records = b.unknown = b.chars = 0;
  b.texts = [];
  b.ids.clear();
  return b;
}

/**
 * The batch being written: slot columns, and its distinct texts each sent once. One per process
 * (one generation runs at a time, and the previous one has sent its last batch before the next
 * starts), so reloads do not churn 576 kB of columns each: glibc then keeps such blocks on its
 * heap, and RSS crept up over start/stop cycles.
 */
function sharedBatch() {
  globalThis[BATCH] ??= { tags: new Uint8Array(BATCH_SLOTS), vals: new Float64Array(BATCH_SLOTS), slot: 0, texts: [], ids: new Map(), chars: 0, records: 0, unknown: 0, owner: null };
  return resetBatch(globalThis[BATCH]);
}

/** The index of `s` among the batch's texts. */
function textId(b, s) {
  let id = b.ids.get(s);
  if (id === undefined) {
    if (s.length > MAX_EVENT_CHARS) throw UNSERIALIZABLE;
    id = b.texts.length;
    b.texts.push(s);
    b.ids.set(s, id);
    b.chars += s.length;
  }
  return id;
}

/** Slot `i` for any value, as JSON.stringify would keep it. */
function put(b, i, x) {
  const t = b.tags;
  switch (typeof x) {
    case "string":
      t[i] = TEXT;
      b.vals[i] = textId(b, x);
      return;
    case "number":
      if (x - x === 0) {
        t[i] = NUMBER;
        b.vals[i] = x;
      } else t[i] = ABSENT; // NaN and ±Infinity: JSON's null
      return;
    case "boolean":
      t[i] = x ? TRUE : FALSE;
      return;
    case "object": {
      const json = x === null ? undefined : JSON.stringify(x);
      if (json === undefined) t[i] = ABSENT;
      else {
        t[i] = JSON_TEXT;
        b.vals[i] = textId(b, json);
      }
      return;
    }
    case "bigint":
      throw UNSERIALIZABLE; // as JSON.stringify would
    default:
      t[i] = ABSENT; // undefined, functions, symbols
  }
}

const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const slotsOf = (fields) => fields.reduce((n, f) => n + 1 + (typeof f === "string" ? 0 : slotsOf(f[1])), 0);

/** The walker behind generated encoders where code generation is not allowed. */
function walk(fields, obj, b, i) {
  for (const f of fields) {
    if (typeof f === "string") put(b, i++, obj[f]);
    else {
      const v = obj[f[0]];
      if (isRecord(v)) {
        b.tags[i++] = OBJECT;
        i = walk(f[1], v, b, i);
      } else {
        put(b, i++, v);
        const n = slotsOf(f[1]);
        b.tags.fill(ABSENT, i, i + n);
        i += n;
      }
    }
  }
  return i;
}

/**
 * The addon's projection (which fields of which event type it reads) as one encoder per type,
 * `encode(event, batch, header)`. Each is generated code with constant property names, so V8
 * keeps fast property access per event shape; keys come from the addon, quoted with
 * JSON.stringify. An encoder commits its slots only at its end: one that throws leaves none.
 */
export function compileProjection(json) {
  // A generation per reload: compile each projection (a handful of variants) once per process,
  // rather than leave V8 a new set of functions each time.
  const cached = COMPILED.get(json);
  if (cached) return cached;
  const encoders = new Map();
  let types;
  try {
    types = JSON.parse(json);
  } catch {
    return encoders;
  }
  if (COMPILED.size < 16) COMPILED.set(json, encoders);
  const leaf = (x) =>
    `if(typeof ${x}==="string"){t[i]=${TEXT};v[i]=T(b,${x});}` +
    `else if(typeof ${x}==="number"&&${x}-${x}===0){t[i]=${NUMBER};v[i]=${x};}` +
    `else if(${x}===undefined||${x}===null)t[i]=${ABSENT};else P(b,i,${x});i++;`;
  const code = (fields, src, depth) =>
    fields
      .map((f) => {
        if (typeof f === "string") return `x=${src}[${JSON.stringify(f)}];${leaf("x")}`;
        const y = `y${depth}`;
        return (
          `{const ${y}=${src}[${JSON.stringify(f[0])}];` +
          `if(R(${y})){t[i++]=${OBJECT};${code(f[1], y, depth + 1)}}` +
          `else{${leaf(y)}t.fill(${ABSENT},i,i+${slotsOf(f[1])});i+=${slotsOf(f[1])};}}`
        );
      })
      .join("");
  const generated = (fields) => {
    try {
      const body = `return function(e,b,h){const t=b.tags,v=b.vals;let i=b.slot,x;t[i]=${HEADER};v[i]=h;i++;${code(fields, "e", 0)}b.slot=i;};`;
      return new Function("T", "P", "R", body)(textId, put, isRecord);
    } catch {
      return undefined; // node --disallow-code-generation-from-strings: the walker instead
    }
  };
  types.forEach((t, index) => {
    let encode;
    if (t.whole) {
      encode = (e, b, h) => {
        const j = JSON.stringify(e);
        if (typeof j !== "string") throw UNSERIALIZABLE;
        const id = textId(b, j);
        b.tags[b.slot] = HEADER;
        b.vals[b.slot] = h;
        b.tags[b.slot + 1] = JSON_TEXT;
        b.vals[b.slot + 1] = id;
        b.slot += 2;
      };
    } else {
      encode =
        generated(t.fields) ??
        ((e, b, h) => {
          b.tags[b.slot] = HEADER;
          b.vals[b.slot] = h;
          b.slot = walk(t.fields, e, b, b.slot + 1);
        });
    }
    encoders.set(t.type, { index, slots: t.whole ? 2 : 1 + slotsOf(t.fields), encode });
  });
  return encoders;
}

// The Prometheus route was registered on the gateway's HTTP server (OpenClaw 2026.9+).
let routeRegistered = false;

/** The plugin entry's own config (`plugins.entries["diagnostics-otel"].config`). */
const pluginConfigOf = (config) => config?.plugins?.entries?.[PLUGIN_ID]?.config;

const bearerOk = (req, token) => {
  const got = Buffer.from(String(req.headers.authorization ?? ""));
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && crypto.timingSafeEqual(got, want);
};

/** One scrape of the running generation's exposition; never throws. */
async function serveScrape(req, res) {
  try {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end("method not allowed\n");
      return true;
    }
    const generation = globalThis[ACTIVE]?.generation;
    const plan = generation?.prometheus;
    const scrape = plan ? await generation.prometheusText() : { ok: false, error: "the Prometheus exposition is not enabled" };
    if (!scrape.ok) {
      res.writeHead(503, { "Content-Type": "text/plain" }).end(`diagnostics-otel: ${scrape.error}\n`);
      return true;
    }
    res.writeHead(200, { "Content-Type": plan.contentType, "Cache-Control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : scrape.body);
  } catch {
    // a client gone mid-response must not reach the gateway's handler
    try {
      res.destroy();
    } catch {
      // already gone
    }
  }
  return true;
}

/**
 * The standalone listener (any OpenClaw): GET /metrics, with the bearer token when set. Resolves
 * with the server, or undefined after one warning (port taken, bad host): the gateway goes on.
 */
function startListener(plan, logger) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const url = String(req.url ?? "").split("?")[0];
      if (url !== plan.listenPath) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found: try /metrics\n");
      } else if (plan.bearerToken && !bearerOk(req, plan.bearerToken)) {
        res.writeHead(401, { "WWW-Authenticate": "Bearer", "Content-Type": "text/plain" }).end("unauthorized\n");
      } else {
        serveScrape(req, res);
      }
    });
    server.keepAliveTimeout = 65000;
    server.once("error", (err) => {
      logTo(logger, "warn", `diagnostics-otel: the Prometheus listener could not listen on ${plan.listenHost}:${plan.listenPort} (${err?.code ?? err?.message ?? err}); scrapes are not served there`);
      resolve(undefined);
    });
    server.listen(plan.listenPort, plan.listenHost, () => {
      server.on("error", () => undefined);
      resolve(server);
    });
  });
}

/** Closes the listener and its keep-alive connections, so the next generation can bind the port. */
async function closeListener(server) {
  if (!server) return;
  await new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

// A stop in progress: flush() called meanwhile waits for its final export instead of saying
// "not running" about data that is being exported.
const STOPPING = Symbol.for("openclaw-diagnostics-otel-rs.stopping");

async function stopActive() {
  const active = globalThis[ACTIVE];
  if (!active) return;
  globalThis[ACTIVE] = undefined;
  let settle;
  globalThis[STOPPING] = new Promise((resolve) => (settle = resolve));
  try {
    active.unsubscribe?.();
  } catch {
    // the bus may already be gone
  }
  clearInterval(active.timer);
  await closeListener(active.scrapeServer);
  active.sendPending();
  let outcome;
  let guard;
  try {
    // The addon bounds this itself; the race guards against a promise that never settles.
    outcome = await Promise.race([
      active.generation.shutdown(STOP_TIMEOUT_MS),
      new Promise((resolve) => {
        guard = setTimeout(() => resolve({ ok: false, error: "shutdown did not settle" }), STOP_TIMEOUT_MS + 1000).unref();
      }),
    ]);
  } catch (err) {
    outcome = { ok: false, error: String(err?.message ?? err) };
  }
  // Else each stop leaves a pending timer (and what it closes over) for 5 s.
  clearTimeout(guard);
  active.drainLogs();
  if (!outcome.ok) logTo(active.logger, "warn", `diagnostics-otel: stop: ${outcome.error}`);
  globalThis[STOPPING] = undefined;
  settle(outcome);
}

// Hosts before 2026.9 send no log.record events, and their plugin SDK's registerLogTransport
// never fires for a plugin (separate logger state): logs are then read from the gateway's file
// log (logging.file, else its rolling openclaw-YYYY-MM-DD.log).
function fileLogSource(ctx, subscription) {
  if (subscription?.name !== "onDiagnosticEvent") return undefined;
  const file = ctx?.config?.logging?.file;
  const dirs = [...new Set(["/tmp/openclaw", path.join(os.tmpdir(), "openclaw")])];
  return { file: typeof file === "string" && file.trim() ? file : undefined, dirs };
}

async function startGeneration(ctx, host) {
  await stopActive();
  const logger = ctx?.logger;
  const native = loadNative();
  if (!native) {
    logTo(logger, "error", `diagnostics-otel: not exporting: ${nativeLoadError}`);
    return;
  }
  const subscription = await resolveSubscription();
  const skipped = [];
  const diagnostics = plainConfig(ctx?.config?.diagnostics, "diagnostics", skipped);
  for (const where of skipped) {
    logTo(logger, "warn", `diagnostics-otel: ${where} could not be read as JSON (a cycle, a function or a getter that throws); using its default`);
  }
  // The config goes as JSON (arbitrary user data, made plain above); env and host go as typed
  // values, which the addon rejects by throwing if mistyped: otelEnv keeps only strings, and
  // host fields are strings or undefined. A throw still ends in start()'s catch.
  const pluginConfig = plainConfig(pluginConfigOf(ctx?.config), `plugins.entries.${PLUGIN_ID}.config`, skipped);
  const generation = new native.NativeGeneration(JSON.stringify(diagnostics ?? null), otelEnv(), {
    openclawVersion: host.version,
    subscription: subscription?.name ?? "",
    fileLog: fileLogSource(ctx, subscription),
    pluginConfig: JSON.stringify(pluginConfig ?? null),
    prometheusRoute: routeRegistered,
    facts: hostFacts(),
  });
  const drainLogs = () => {
    for (const line of generation.takeLogs()) logTo(logger, line.level, line.message);
  };
  drainLogs();
  if (!generation.running) return;
  if (!subscription) {
    logTo(logger, "error", "diagnostics-otel: not exporting: this OpenClaw exposes no diagnostic event API");
    await generation.shutdown(STOP_TIMEOUT_MS);
    return;
  }
  // Events go to the addon in compact batches (one call per BATCH_EVENTS, or at the next turn
  // of the event loop): only the fields it reads, written into reused typed arrays, with no
  // per-event serialization, allocation or native call.
  const encoders = compileProjection(generation.projection);
  const batch = sharedBatch();
  // The shared batch belongs to this generation until the next one starts: a late setImmediate
  // or a stale listener of this one must not touch the next one's records.
  const owner = {};
  batch.owner = owner;
  let scheduled = false;
  const sendPending = () => {
    scheduled = false;
    const b = batch;
    if (b.owner !== owner || (b.records === 0 && b.unknown === 0)) return;
    try {
      const lens = new Uint32Array(b.texts.length);
      for (let k = 0; k < lens.length; k++) lens[k] = b.texts[k].length;
      generation.pushColumns(b.tags.subarray(0, b.slot), b.vals.subarray(0, b.slot), b.texts.join(""), lens, b.records, b.unknown);
    } catch {
      // runs from setImmediate too: nothing may escape into the gateway's event loop
    }
    resetBatch(b);
  };
  const listener = (evt, meta) => {
    if (batch.owner !== owner) return;
    try {
      const type = typeof evt === "object" && evt !== null ? evt.type : undefined;
      const enc = encoders.get(type);
      if (enc === undefined) {
        if (typeof type === "string") batch.unknown++;
        else {
          // Not an event: the addon says why (and counts it) from its JSON.
          const json = JSON.stringify(evt);
          generation.push(typeof json === "string" && json.length <= MAX_EVENT_CHARS ? json : "null", 0);
          return;
        }
      } else {
        if (batch.slot + enc.slots > BATCH_SLOTS) sendPending();
        // The trust bits: OpenClaw 2026.9 metadata (1 trusted, 2 internal, 4 trace context
        // from OpenClaw's own scope).
        const trust = (meta?.trusted === true ? 1 : 0) | (meta?.internal === true ? 2 : 0) | (meta?.trustedTraceContext === true ? 4 : 0);
        enc.encode(evt, batch, enc.index * 8 + trust);
        batch.records++;
      }
      if (batch.records + batch.unknown >= BATCH_EVENTS || batch.chars > BATCH_CHARS) sendPending();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(sendPending);
      }
    } catch {
      // cycles, BigInt, throwing getters in a field the addon reads: counted, never thrown
      // into the host's bus
      generation.pushUnserializable();
    }
  };
  let unsubscribe;
  try {
    unsubscribe = subscription.subscribe(listener);
  } catch (err) {
    // Without a subscription this generation would only hold threads: release it.
    logTo(logger, "error", `diagnostics-otel: not exporting: subscribing failed: ${err?.message ?? err}`);
    await generation.shutdown(STOP_TIMEOUT_MS);
    return;
  }
  const timer = setInterval(drainLogs, LOG_DRAIN_MS);
  timer.unref?.();
  const plan = generation.prometheus;
  const scrapeServer = plan?.listenPort ? await startListener(plan, logger) : undefined;
  if (plan && !(plan.route && routeRegistered) && !plan.listenPort) {
    logTo(logger, "warn", `diagnostics-otel: the Prometheus exposition has nowhere to serve: ${plan.route ? "this OpenClaw has no plugin HTTP routes (2026.9+)" : "prometheus.route is false"}; set plugins.entries.${PLUGIN_ID}.config.prometheus.port for the standalone listener`);
  }
  globalThis[ACTIVE] = { generation, unsubscribe, timer, drainLogs, logger, sendPending, scrapeServer };
}

// start/stop of every service instance run one at a time, in call order.
let queue = Promise.resolve();
function serialized(fn) {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function createService(host) {
  return {
    id: PLUGIN_ID,
    // OpenClaw 2026.9 then restarts only this service when diagnostics.otel changes.
    reload: { configPrefixes: ["diagnostics.otel"] },
    start: (ctx) =>
      serialized(() => startGeneration(ctx, host)).catch((err) =>
        logTo(ctx?.logger, "error", `diagnostics-otel: start failed: ${err?.message ?? err}`),
      ),
    stop: () => serialized(stopActive).catch(() => undefined),
  };
}

/**
 * Record everything received so far and export it now (tests, graceful exits). During a stop it
 * resolves with the stop's final export (`stopped: true`); when nothing runs, "not running".
 */
export async function flush(timeoutMs = FLUSH_TIMEOUT_MS) {
  const t0 = performance.now();
  const active = globalThis[ACTIVE];
  if (active) {
    active.sendPending();
    const outcome = await active.generation.flush(timeoutMs);
    active.drainLogs();
    // A stop that began meanwhile took the generation: its final export has the data.
    if (outcome.ok || globalThis[ACTIVE] === active || !globalThis[STOPPING]) return outcome;
  }
  const stopping = globalThis[STOPPING];
  if (!stopping) return { ok: false, error: "not running", elapsedMs: 0 };
  const left = Math.max(0, timeoutMs - (performance.now() - t0));
  let guard;
  const outcome = await Promise.race([
    stopping,
    new Promise((resolve) => {
      guard = setTimeout(() => resolve({ ok: false, error: "the stop's final export did not finish in time" }), left).unref();
    }),
  ]);
  clearTimeout(guard);
  return { ok: outcome.ok, error: outcome.error, elapsedMs: performance.now() - t0, stopped: true };
}

/** Counters and export health of the running generation, or undefined. */
export function status() {
  return globalThis[ACTIVE]?.generation.status();
}

const plugin = {
  id: PLUGIN_ID,
  name: "Diagnostics OpenTelemetry (native)",
  description: "Export diagnostics events to OpenTelemetry (Rust, OTLP protobuf/json/grpc)",
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  register(api) {
    api.registerService(createService({ version: hostVersion(api) }));
    // OpenClaw 2026.9+: scrapes on the gateway's own port, behind its operator auth, at a path
    // under our id (never diagnostics-prometheus' /api/diagnostics/prometheus).
    const prom = pluginConfigOf(api?.config)?.prometheus ?? api?.pluginConfig?.prometheus;
    if (typeof api.registerHttpRoute === "function" && prom?.enabled === true && prom?.route !== false) {
      try {
        api.registerHttpRoute({ path: PROMETHEUS_ROUTE, auth: "gateway", match: "exact", gatewayRuntimeScopeSurface: "trusted-operator", handler: serveScrape });
        routeRegistered = true;
      } catch {
        // already registered by an earlier register() call
        routeRegistered = true;
      }
    }
    // `openclaw gateway call diagnostics-otel.status`: what is exported, last success, last
    // failure category, drops. register() runs once per mode, so a repeat may be refused.
    if (typeof api.registerGatewayMethod === "function") {
      try {
        api.registerGatewayMethod(
          "diagnostics-otel.status",
          ({ respond }) => respond(true, status() ?? { running: false }),
          { scope: "operator.read" },
        );
      } catch {
        // already registered by an earlier register() call
      }
    }
  },
};

export default plugin;
