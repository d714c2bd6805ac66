#!/usr/bin/env node
// `openclaw-diagnostics-otel doctor`: says whether the gateway will export telemetry with this
// plugin, and if not, the one thing to change. It reads openclaw.json as the gateway does, asks
// the addon itself what it would export (a real generation, the same warnings), and probes each
// endpoint with one real OTLP export. Plain Node, no dependencies; nothing it prints may hold a
// secret: every line passes `redact`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Json5Error, parseJson5 } from "./json5.mjs";
import { configPathOf, enablement, findOpenClaw, findPlugin, includesIn, officialDepsMissing, OUR_PACKAGE, PLUGIN_ID, substituteVars } from "./locate.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OWN_ROOT = path.resolve(HERE, "..");
const OWN_VERSION = (() => {
  try {
    return JSON.parse(fs.readFileSync(path.join(OWN_ROOT, "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
})();

const HELP = `Usage: openclaw-diagnostics-otel doctor [--config <path>] [--json] [--no-probe] [--timeout <ms>]

Checks, as the OpenClaw gateway would see them, that the diagnostics-otel plugin will export:
  config    which openclaw.json is read (--config, else OPENCLAW_CONFIG_PATH, else the state
            dir: OPENCLAW_STATE_DIR or ~/.openclaw) and that it parses (JSON5)
  install   which copy of diagnostics-otel the gateway loads (plugins.load.paths, the
            workspace, install records, <state dir>/extensions, the copy bundled with the
            openclaw on PATH), whether it is this package, and whether its binary loads
  enabled   plugins.enabled, plugins.deny, plugins.allow, plugins.entries["diagnostics-otel"]
  diagnostics  diagnostics.enabled, diagnostics.otel.enabled, the Prometheus exposition
  export    what the addon would export where, over which protocol, and its every warning
  probe     one real OTLP export per signal (resource attribute openclaw.doctor=true);
            skipped with --no-probe
  names     the Prometheus names of the key metrics (metricNamePrefix applied)

Options:
  --config <path>   read this file instead of the gateway's
  --json            print one JSON report instead of text
  --no-probe        no network: do not send the probe exports
  --timeout <ms>    per probe step (default 5000)
  -h, --help        this text

Exit codes:
  0  will export (and every probe was accepted)
  1  misconfigured: nothing, or not everything asked for, will be exported
  2  configured, but an endpoint refused the probe or could not be reached
  3  the doctor could not run (config unreadable or unparsable, no native binary)

Secrets (header values, tokens, URL user info, API keys) are never printed.`;

// ---- redaction: the one funnel for everything printed --------------------------------------

const SECRET_KEY = /(token|secret|passw|api[-_]?key|apikey|authorization|credential|cookie|private|signature|bearer)/i;

function makeRedactor() {
  const secrets = new Set();
  const addSecret = (v) => {
    if (typeof v !== "string") return;
    const t = v.trim();
    if (t.length >= 4) secrets.add(t);
    // "Bearer abc", "Basic abc": the credential alone may be printed elsewhere.
    for (const part of t.split(/[\s,;=]+/)) if (part.length >= 6 && !/^(bearer|basic|token)$/i.test(part)) secrets.add(part);
    try {
      const d = decodeURIComponent(t);
      if (d !== t && d.length >= 4) secrets.add(d);
    } catch {
      // not percent-encoded
    }
  };
  const redact = (text) => {
    let s = String(text)
      // URL user info: scheme://user:pass@host
      .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@?#]*@/gi, "$1***@")
      .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 ***");
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) s = s.split(secret).join("***");
    return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "?");
  };
  return { addSecret, redact };
}

/** Every value that may be a credential: headers, token/key-named fields, OTLP header vars. */
function collectSecrets(value, addSecret, key = "", inHeaders = false) {
  if (typeof value === "string") {
    if (inHeaders || SECRET_KEY.test(key)) addSecret(value);
    return;
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, addSecret, k, inHeaders || /headers$/i.test(k));
  }
}

function secretsFromVars(vars, addSecret) {
  for (const [k, v] of Object.entries(vars)) {
    if (typeof v !== "string") continue;
    if (/HEADERS$/.test(k)) {
      addSecret(v);
      for (const pair of v.split(",")) addSecret(pair.slice(pair.indexOf("=") + 1));
    } else if (SECRET_KEY.test(k) || /(_KEY|_PAT)$/.test(k)) addSecret(v);
  }
}

// ---- the report ---------------------------------------------------------------------------

class Report {
  constructor() {
    this.checks = [];
    this.fatal = false;
  }
  add(id, status, message, details = []) {
    const c = { id, status, message, details };
    this.checks.push(c);
    return c;
  }
}

function parseArgs(argv) {
  const opts = { command: undefined, config: undefined, json: false, probe: true, timeout: 5000, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a.split("=")[0]} needs a value`);
      return v;
    };
    if (a === "-h" || a === "--help" || a === "help") opts.help = true;
    else if (a === "--json") opts.json = true;
    else if (a === "--no-probe") opts.probe = false;
    else if (a === "--config" || a.startsWith("--config=")) opts.config = value();
    else if (a === "--timeout" || a.startsWith("--timeout=")) {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 100 || n > 600000) throw new Error("--timeout must be a number of milliseconds from 100 to 600000");
      opts.timeout = Math.round(n);
    } else if (!a.startsWith("-") && opts.command === undefined) opts.command = a;
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

/** The addon of a plugin copy (its index.js's loadNative), or why not. */
async function nativeOf(entry) {
  try {
    const mod = await import(pathToFileURL(entry).href);
    if (typeof mod.loadNative !== "function") return { error: "its index.js has no loadNative() (an older copy?)" };
    const native = mod.loadNative();
    return native ? { native } : { error: "loadNative() found no binary" };
  } catch (err) {
    return { error: `its index.js did not load (${String(err?.message ?? err).split("\n")[0]})` };
  }
}

function platformTag() {
  const { platform, arch } = process;
  if (platform === "linux") return `linux-${arch}-${process.report?.getReport?.()?.header?.glibcVersionRuntime ? "gnu" : "musl"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** OTEL_* (and OPENCLAW_OTEL_*) strings the addon reads: the process's, then the config's `env`. */
function otelVars(vars, config) {
  const out = {};
  const take = (k, v) => {
    if ((k.startsWith("OTEL_") || k.startsWith("OPENCLAW_OTEL_")) && typeof v === "string" && v.trim() && !(k in out)) out[k] = v;
  };
  for (const [k, v] of Object.entries(vars)) take(k, v);
  // The gateway applies config.env.vars (and config.env's own strings) where the process has none.
  const block = config?.env && typeof config.env === "object" ? config.env : {};
  for (const [k, v] of Object.entries(block.vars && typeof block.vars === "object" ? block.vars : {})) take(k, v);
  for (const [k, v] of Object.entries(block)) if (k !== "vars" && k !== "shellEnv") take(k, v);
  return out;
}

/** Each pushed signal's plan as the addon's startup line states it. */
function plansOf(summary) {
  const plans = {};
  for (const signal of ["metrics", "traces", "logs"]) {
    const m = new RegExp(`(?:^|; |exporting )${signal}[^;]*?via OTLP (\\S+) to ([^\\s;]+)`).exec(summary);
    if (m) plans[signal] = { protocol: m[1], url: m[2] };
    else if (signal === "logs" && /; logs[^;]* via stdout/.test(summary)) plans.logs = { stdout: true };
  }
  return plans;
}

const KEY_METRICS = [
  ["openclaw.tokens", "tokens"],
  ["openclaw.cost.usd", "cost"],
  ["openclaw.run.duration_ms", "run duration"],
  ["openclaw.model_call.duration_ms", "model-call duration"],
  ["openclaw.queue.wait_ms", "queue wait"],
  ["openclaw.session.state", "session state"],
  ["openclaw.session.stuck", "session stuck"],
  ["openclaw.gateway.event_loop.delay_max_ms", "event loop delay"],
  ["openclaw.telemetry.exporter.events", "exporter events"],
  ["openclaw.telemetry.dropped", "telemetry dropped"],
];

function promNames(native, prefix) {
  const plain = native.prometheusNames();
  const named = typeof prefix === "string" ? native.prometheusNames(prefix) : plain;
  return KEY_METRICS.map(([otlp, what]) => {
    const i = plain.findIndex((p) => p.otlp === otlp);
    const p = named[i];
    if (!p) return undefined;
    const series = p.kind === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => p.prometheus + s) : [p.prometheus];
    return { what, otlp: p.otlp, kind: p.kind, prometheus: p.prometheus, series };
  }).filter(Boolean);
}

/** One span (diagnostic.phase.completed) and one log record (log.record), nothing else. */
function probeEvents() {
  const ts = Date.now();
  return {
    traces: { type: "diagnostic.phase.completed", seq: 1, ts, name: "openclaw.doctor.probe", durationMs: 1 },
    logs: { type: "log.record", seq: 2, ts, level: "INFO", loggerName: "openclaw-diagnostics-otel.doctor", message: "openclaw-diagnostics-otel doctor probe" },
  };
}

// The addon's failure categories (src/export/health.rs) and what to do about each.
const ADVICE = [
  ["rejected: unauthorized", "check the credentials in diagnostics.otel.headers or OTEL_EXPORTER_OTLP_HEADERS"],
  ["rejected: not found", "check the endpoint's path (a base URL gets /v1/<signal> appended)"],
  ["rejected: unsupported media type", "the collector does not take this encoding: check diagnostics.otel.protocol"],
  ["rejected", "the collector refused the data: check its logs"],
  ["connection refused", "nothing listens there: start the collector or fix the endpoint's host and port"],
  ["dns", "the host name does not resolve from here"],
  ["timeout", "no answer in time: check the network path (firewall, proxy, NetworkPolicy) or raise --timeout"],
  ["tls", "TLS failed: check http versus https and the collector's certificate"],
  ["throttled", "the collector is throttling: check its limits"],
];

function adviceFor(cause) {
  const hit = ADVICE.find(([c]) => cause.startsWith(c));
  const category = hit ? (/^rejected: [a-z ]+/.exec(cause)?.[0] ?? hit[0]) : cause.split(":")[0];
  return [category, hit ? hit[1] : "check the endpoint and the collector's logs"];
}

function outcomeOf(signal, st, flushed) {
  const s = signal === "metrics" ? st : st?.[signal];
  if (!s) return { ok: false, cause: "no status for this signal" };
  const sent = signal === "metrics" ? s.exportsOk : s.exported;
  if (signal === "traces" && s.sampledOut > 0 && !sent) return { ok: true, skipped: true, cause: "the sampler left the probe span out (sampleRate)" };
  if (sent > 0 && !s.cause) return { ok: true };
  const cause = s.cause ?? s.lastError ?? (flushed && !flushed.ok ? flushed.error : undefined) ?? "nothing was accepted before the timeout";
  return { ok: false, cause, lastError: s.lastError, state: s.state };
}

async function doctor(opts, vars, report, secrets) {
  const facts = { version: OWN_VERSION, node: process.version, platform: platformTag() };

  // 1. config
  const where = configPathOf(vars, opts.config);
  facts.config = { path: where.file, why: where.why, stateDir: where.stateDir.dir, stateDirWhy: where.stateDir.why };
  let config = {};
  let text;
  try {
    text = fs.readFileSync(where.file, "utf8");
  } catch (err) {
    if (err?.code !== "ENOENT" || where.why === "--config") {
      report.add("config", "fail", `${where.file} (${where.why}) could not be read (${err?.code ?? "error"}): check the path and its permissions.`);
      report.fatal = true;
      return facts;
    }
  }
  if (text === undefined) {
    report.add("config", "fail", `no config at ${where.file} (${where.why}): the gateway runs with defaults, which export nothing; create it or point OPENCLAW_CONFIG_PATH at yours.`);
  } else {
    try {
      config = parseJson5(text);
    } catch (err) {
      const at = err instanceof Json5Error ? `${where.file}:${err.line}:${err.column}` : where.file;
      report.add("config", "fail", `${at}: not valid JSON5 (${err instanceof Json5Error ? err.message.replace(/^line \d+, column \d+: /, "") : "parse error"}): fix the file; the gateway refuses it too.`);
      report.fatal = true;
      return facts;
    }
    if (!config || typeof config !== "object" || Array.isArray(config)) {
      report.add("config", "fail", `${where.file}: the top level is not an object: the gateway refuses it.`);
      report.fatal = true;
      return facts;
    }
    const missing = [];
    config = substituteVars(config, vars, missing);
    collectSecrets(config, secrets.addSecret);
    const notes = [];
    const includes = includesIn(config);
    if (includes.length) notes.push(`$include at ${includes.join(", ")} was not expanded: the doctor reads only this file`);
    for (const m of missing) notes.push(`\${${m.name}} at ${m.where} is not set in this shell (left as written); the gateway needs it set`);
    report.add("config", notes.length ? "warn" : "ok", `${where.file} (${where.why}), parsed as JSON5${notes.length ? `; ${notes.join("; ")}` : ""}.`);
  }

  // 2. install
  const openclaw = findOpenClaw(vars);
  facts.openclaw = openclaw ? { version: openclaw.version, root: openclaw.root } : undefined;
  const { copies, unreadInstallDb } = await findPlugin(config, where.stateDir.dir, vars, openclaw);
  const winner = copies[0];
  facts.plugin = winner ? { dir: winner.dir, origin: winner.origin, via: winner.via, name: winner.name, version: winner.version } : undefined;
  facts.overridden = copies.slice(1).map((c) => ({ dir: c.dir, origin: c.origin, via: c.via, name: c.name }));
  let native;
  let nativeFrom;
  const overriddenNote = copies.length > 1 ? copies.slice(1).map((c) => `overrides ${c.name ?? "a copy"} at ${c.dir} (${c.via})`) : [];
  if (unreadInstallDb) overriddenNote.push(`install records in ${unreadInstallDb} were not read (node:sqlite needs Node 22.5+)`);
  const ours = winner?.name === OUR_PACKAGE;
  if (!winner) {
    report.add(
      "install",
      "fail",
      `no copy of ${PLUGIN_ID} where the gateway looks (plugins.load.paths, ${path.join(where.stateDir.dir, "extensions")}, install records${openclaw ? `, OpenClaw ${openclaw.version}'s bundled plugins` : ""}): install ${OUR_PACKAGE} (see its README).`,
      overriddenNote,
    );
  } else if (ours) {
    const loaded = await nativeOf(winner.entry);
    native = loaded.native;
    nativeFrom = winner.dir;
    const onStartup = winner.manifest?.activation?.onStartup === true;
    if (!native) {
      report.add(
        "install",
        "fail",
        `${OUR_PACKAGE} ${winner.version ?? ""} at ${winner.dir} (${winner.via}) has no native binary for ${platformTag()}: ${loaded.error}; install ${OUR_PACKAGE}-${platformTag()}@${winner.version} in that folder (npm install --no-save) or reinstall without omitting optional dependencies.`,
        overriddenNote,
      );
    } else if (!onStartup) {
      report.add("install", "fail", `${OUR_PACKAGE} ${winner.version} at ${winner.dir} declares no activation.onStartup in openclaw.plugin.json: OpenClaw 2026.9 never imports it; install a current version.`, overriddenNote);
    } else {
      report.add("install", "ok", `${OUR_PACKAGE} ${winner.version} at ${winner.dir} (${winner.via}); its native binary loads on ${platformTag()}.`, overriddenNote);
    }
  } else {
    const notes = [...overriddenNote];
    if (winner.origin === "bundled" && officialDepsMissing(winner.dir)) {
      notes.unshift("its @opentelemetry dependencies are missing here (Cannot find module '@opentelemetry/api'): it will not load");
    }
    report.add(
      "install",
      "warn",
      `the gateway loads ${winner.name ?? "another plugin"} ${winner.version ?? ""} at ${winner.dir} (${winner.via}), not ${OUR_PACKAGE}: the checks below describe ${OUR_PACKAGE}; install it (README) to get them, it overrides a bundled copy.`,
      notes,
    );
  }
  if (!native) {
    const own = await nativeOf(path.join(OWN_ROOT, "index.js"));
    native = own.native;
    nativeFrom = OWN_ROOT;
  }
  facts.nativeFrom = nativeFrom;

  // 3. enabled
  const on = enablement(config.plugins, winner?.origin);
  facts.enablement = on;
  if (on.state === "off") report.add("enabled", "fail", `${on.why}: ${on.fix}.`);
  else if (on.state === "default") report.add("enabled", "warn", `${on.why}: ${on.fix}.`);
  else report.add("enabled", "ok", `${on.why}.`);

  // 4. diagnostics flags
  const diagnostics = config.diagnostics && typeof config.diagnostics === "object" ? config.diagnostics : undefined;
  const otel = diagnostics?.otel && typeof diagnostics.otel === "object" ? diagnostics.otel : {};
  const entries = config.plugins?.entries && typeof config.plugins.entries === "object" ? config.plugins.entries : {};
  const pluginConfig = entries[PLUGIN_ID]?.config;
  const prometheusOn = pluginConfig?.prometheus?.enabled === true;
  if (diagnostics?.enabled !== true) {
    report.add("diagnostics", "fail", "diagnostics.enabled is not true, so OpenClaw emits no diagnostic events: set diagnostics.enabled: true.");
  } else if (otel.enabled !== true && !prometheusOn) {
    report.add("diagnostics", "fail", "diagnostics.otel.enabled is not true and the Prometheus exposition is off: set diagnostics.otel.enabled: true.");
  } else if (otel.enabled !== true) {
    report.add("diagnostics", "ok", 'diagnostics.enabled is true; OTLP is off (diagnostics.otel.enabled), metrics only for Prometheus scrapes (plugins.entries["diagnostics-otel"].config.prometheus).');
  } else {
    report.add("diagnostics", "ok", `diagnostics.enabled and diagnostics.otel.enabled are true${prometheusOn ? ", and the Prometheus exposition is on" : ""}.`);
  }

  // 5. what the addon would export
  if (!native) {
    report.add("export", "fail", `no native binary for ${platformTag()} loads, in the plugin's copy or the doctor's own (${OWN_ROOT}): install ${OUR_PACKAGE}-${platformTag()}@${OWN_VERSION}.`);
    report.fatal = true;
    return facts;
  }
  const otelEnv = otelVars(vars, config);
  const resourceAttributes = otelEnv.OTEL_RESOURCE_ATTRIBUTES;
  otelEnv.OTEL_RESOURCE_ATTRIBUTES = resourceAttributes ? `${resourceAttributes},openclaw.doctor=true` : "openclaw.doctor=true";
  // Host plugin HTTP routes (for the Prometheus route) arrived in OpenClaw 2026.9.
  const routes = !openclaw?.version || Number(String(openclaw.version).split(".")[0]) * 100 + Number(String(openclaw.version).split(".")[1]) >= 202609;
  let generation;
  try {
    generation = new native.NativeGeneration(JSON.stringify(diagnostics ?? null), otelEnv, {
      openclawVersion: openclaw?.version,
      subscription: "doctor",
      pluginConfig: JSON.stringify(pluginConfig ?? null),
      prometheusRoute: routes,
    });
  } catch (err) {
    report.add("export", "fail", `the addon refused to start (${err?.message ?? err}): report this as a bug.`);
    report.fatal = true;
    return facts;
  }
  const lines = generation.takeLogs();
  const summary = generation.summary;
  const running = generation.running;
  const plans = running ? plansOf(summary) : {};
  facts.export = { running, summary, lines, plans, prometheus: undefined };
  const plan = running ? generation.prometheus : undefined;
  if (plan) {
    facts.export.prometheus = {
      route: plan.route && routes ? plan.routePath : undefined,
      listen: plan.listenPort ? `http://${plan.listenHost}:${plan.listenPort}${plan.listenPath}` : undefined,
      bearerToken: plan.bearerToken ? "set" : "none",
    };
  }
  const officialGrpc = winner && !ours && Object.values(plans).some((p) => p.protocol === "grpc");
  if (!running) {
    report.add("export", "fail", sentence(summary));
  } else if (officialGrpc) {
    report.add("export", "fail", `protocol grpc: the official plugin accepts it and never exports; install ${OUR_PACKAGE}, or use http/protobuf.`);
  } else {
    report.add("export", "ok", sentence(summary));
  }
  if (winner && !ours && /^2026\.[1-8]\./.test(winner.version ?? "") && Object.values(plans).some((p) => p.protocol === "http/protobuf")) {
    report.add("export", "warn", `the official plugin ${winner.version} sends OTLP JSON while claiming http/protobuf: backends that need protobuf (VictoriaMetrics) reject it; install ${OUR_PACKAGE}.`);
  }
  for (const l of lines) {
    if (l.message === summary) continue;
    const bad = l.level === "warn" || l.level === "error";
    report.add("export", bad ? (/not exporting/.test(l.message) ? "fail" : "warn") : "ok", sentence(l.message));
  }

  // 6. probes: one real export per signal, through this same generation
  facts.probes = {};
  if (running && opts.probe) {
    const events = probeEvents();
    const stdoutLogs = plans.logs?.stdout || /logs[^;]*stdout/.test(summary);
    if (plans.traces) generation.push(JSON.stringify(events.traces), 0);
    if (plans.logs && !stdoutLogs) generation.push(JSON.stringify(events.logs), 0);
    const flushed = await generation.flush(opts.timeout);
    const st = generation.status();
    for (const signal of ["metrics", "traces", "logs"]) {
      const p = plans[signal];
      if (!p) continue;
      if (signal === "logs" && stdoutLogs) {
        facts.probes.logs = { ok: true, skipped: true, cause: "logs go to stdout too: the probe record would print here" };
        report.add("probe", "skip", "logs: not probed, logsExporter includes stdout (the probe record would print here).");
        continue;
      }
      const o = outcomeOf(signal, st, flushed);
      facts.probes[signal] = { ...o, url: p.url, protocol: p.protocol };
      if (o.skipped) report.add("probe", "skip", `${signal}: ${o.cause}.`);
      else if (o.ok) report.add("probe", "ok", `${signal}: ${p.url} accepted the probe (OTLP ${p.protocol}).`);
      else {
        const [category, advice] = adviceFor(o.cause);
        facts.probes[signal].category = category;
        report.add("probe", "fail", `${signal}: ${p.url} did not accept the probe: ${o.cause}; ${advice}.`);
      }
    }
  } else if (running) {
    for (const signal of Object.keys(plans)) report.add("probe", "skip", `${signal}: not probed (--no-probe).`);
  }
  // Without probes the generation is left to the process exit: a stop would send its final export.
  if (running && opts.probe) {
    const stopped = await generation.shutdown(opts.timeout);
    facts.stopped = stopped;
    for (const l of generation.takeLogs()) {
      if (l.level === "warn" || l.level === "error") (report.checks.filter((c) => c.id === "probe").at(-1) ?? report.checks.at(-1)).details.push(l.message);
    }
  }

  // 7. Prometheus names
  const prefix = typeof otel.metricNamePrefix === "string" ? otel.metricNamePrefix : undefined;
  facts.prometheusNames = promNames(native, prefix);
  report.add(
    "names",
    "ok",
    `Prometheus names of the key metrics${prefix !== undefined ? ` (metricNamePrefix "${prefix}")` : ""}, as Prometheus' OTLP receiver and the scrape name them; histograms are _bucket/_sum/_count:`,
    facts.prometheusNames.map((n) => `${n.what.padEnd(20)} ${n.kind.padEnd(9)} ${n.prometheus}${n.kind === "histogram" ? "_bucket|_sum|_count" : ""}   (${n.otlp})`),
  );
  return facts;
}

function verdictOf(report) {
  const fails = report.checks.filter((c) => c.status === "fail");
  if (report.fatal) {
    return { code: 3, text: `the doctor could not finish: ${fails.at(-1)?.message ?? "unknown error"}` };
  }
  const config = fails.filter((c) => c.id !== "probe");
  if (config.length) {
    const first = config[0].message;
    return { code: 1, text: `NOT EXPORTING as configured: ${first}${config.length > 1 ? ` (and ${config.length - 1} more problem${config.length > 2 ? "s" : ""} above)` : ""}` };
  }
  const probes = fails.filter((c) => c.id === "probe");
  if (probes.length) {
    const which = probes.map((c) => c.message.replace(/^(\w+): \S+ did not accept the probe: ([^:]+(?:: [a-z ]+)?).*$/, "$1 ($2)"));
    return { code: 2, text: `configured, but the collector did not accept the probe: ${which.join(", ")}; see the probe lines above.` };
  }
  const probed = report.checks.some((c) => c.id === "probe" && c.status === "ok");
  const warns = report.checks.filter((c) => c.status === "warn").length;
  return { code: 0, text: `will export${probed ? "; the probes were accepted" : " (not probed)"}${warns ? `; ${warns} warning${warns > 1 ? "s" : ""} above` : ""}.` };
}

/** An addon line as a check message: without its plugin prefix, ending in a full stop. */
function sentence(line) {
  const s = String(line).replace(/^diagnostics-otel: /, "");
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function deepRedact(value, redact) {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => deepRedact(v, redact));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepRedact(v, redact)]));
  return value;
}

function renderText(report, facts, verdict) {
  const out = [`openclaw-diagnostics-otel doctor ${OWN_VERSION} (node ${process.version}, ${facts.platform ?? process.platform})`, ""];
  for (const c of report.checks) {
    out.push(`${c.status.padEnd(5)} ${c.id.padEnd(12)} ${c.message}`);
    for (const d of c.details) out.push(`${" ".repeat(19)}${d}`);
  }
  out.push("", `verdict: ${verdict.text}`, `exit code ${verdict.code}`);
  return out.join("\n") + "\n";
}

async function main(argv) {
  const secrets = makeRedactor();
  secretsFromVars(process.env, secrets.addSecret);
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    process.stderr.write(secrets.redact(`openclaw-diagnostics-otel: ${err.message}\n\n${HELP}\n`));
    return 3;
  }
  if (opts.help || opts.command === undefined) {
    process.stdout.write(`${HELP}\n`);
    return opts.help ? 0 : 3;
  }
  if (opts.command !== "doctor") {
    process.stderr.write(secrets.redact(`openclaw-diagnostics-otel: unknown command ${opts.command}\n\n${HELP}\n`));
    return 3;
  }
  const report = new Report();
  let facts = {};
  try {
    facts = await doctor(opts, { ...process.env }, report, secrets);
  } catch (err) {
    report.add("doctor", "fail", `internal error: ${err?.message ?? err}`);
    report.fatal = true;
  }
  const verdict = verdictOf(report);
  if (opts.json) {
    const json = deepRedact({ ...facts, checks: report.checks, verdict: verdict.text, exitCode: verdict.code }, secrets.redact);
    process.stdout.write(secrets.redact(JSON.stringify(json, null, 2)) + "\n");
  } else {
    process.stdout.write(secrets.redact(renderText(report, facts, verdict)));
  }
  return verdict.code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(3),
);
