// A stand-in for the OpenClaw host: the plugin package is copied into a temp dir beside a
// fake `openclaw` package that exposes the diagnostic bus the way each host version does.
// The bus is synchronous and does NOT catch listener errors, so a throwing plugin fails tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const BUS = `
const listeners = new Set();
let seq = 0;
function deepFreeze(o) {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
export function emit(evt, meta = { trusted: false }) {
  const enriched = evt && typeof evt === "object" && !Array.isArray(evt)
    ? deepFreeze({ ...evt, seq: ++seq, ts: Date.now() }) : evt;
  for (const l of [...listeners]) l.fn(enriched, meta);
}
// Delivers the object untouched (no seq/ts, no freeze): for exotic objects a real host could
// hand over, such as ones with throwing getters.
export function emitRaw(evt, meta = { trusted: false }) {
  for (const l of [...listeners]) l.fn(evt, meta);
}
export function subscribe(fn, internal) {
  const entry = { fn: internal ? fn : (evt, meta) => { if (!meta?.trusted) fn(evt); } };
  listeners.add(entry);
  return () => listeners.delete(entry);
}
export function listenerCount() { return listeners.size; }
`;

const FLAVORS = {
  // 2026.2.19: one entry point, onDiagnosticEvent only.
  "2026.2.19": {
    exports: { "./plugin-sdk": "./plugin-sdk/index.js", "./test-bus": "./bus.js" },
    files: {
      "plugin-sdk/index.js": `import { subscribe } from "../bus.js";\nexport const onDiagnosticEvent = (fn) => subscribe(fn, false);\nexport const emptyPluginConfigSchema = () => ({});\n`,
    },
  },
  // 2026.9.6: onInternalDiagnosticEvent sees trusted events; onDiagnosticEvent drops them.
  "2026.9.6": {
    exports: {
      "./plugin-sdk": "./plugin-sdk/index.js",
      "./plugin-sdk/diagnostic-runtime": "./plugin-sdk/diagnostic-runtime.js",
      "./test-bus": "./bus.js",
    },
    files: {
      "plugin-sdk/index.js": `import { subscribe } from "../bus.js";\nexport const onDiagnosticEvent = (fn) => subscribe(fn, false);\n`,
      "plugin-sdk/diagnostic-runtime.js": `import { subscribe } from "../bus.js";\nexport const onInternalDiagnosticEvent = (fn) => subscribe(fn, true);\nexport const onDiagnosticEvent = (fn) => subscribe(fn, false);\n`,
    },
  },
};

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * Installs the built plugin next to a fake host of the given version; returns handles.
 * `binary`: "beside" puts the .node next to index.js (a local build or bundle), "package" into
 * node_modules/<name>-<platform> as npm installs the optional platform package, "none" nowhere.
 */
export async function makeHost(version = "2026.9.6", { binary = "beside" } = {}) {
  const flavor = FLAVORS[version];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `oc-host-${version}-`));
  const pluginDir = path.join(dir, "plugin");
  for (const f of ["index.js", "package.json", "openclaw.plugin.json"]) {
    write(path.join(pluginDir, f), fs.readFileSync(path.join(root, f)));
  }
  // A link, so every fake host shares one loaded addon (require resolves the real path).
  for (const f of binary === "none" ? [] : fs.readdirSync(root).filter((n) => n.endsWith(".node"))) {
    if (binary === "beside") {
      fs.symlinkSync(path.join(root, f), path.join(pluginDir, f));
      continue;
    }
    const platform = f.replace(/^diagnostics-otel\.|\.node$/g, "");
    const pkgDir = path.join(pluginDir, "node_modules", `openclaw-diagnostics-otel-rs-${platform}`);
    write(path.join(pkgDir, "package.json"), fs.readFileSync(path.join(root, "npm", platform, "package.json")));
    fs.symlinkSync(path.join(root, f), path.join(pkgDir, f));
  }
  const sdk = path.join(pluginDir, "node_modules/openclaw");
  write(path.join(sdk, "package.json"), JSON.stringify({ name: "openclaw", version, type: "module", exports: flavor.exports }));
  write(path.join(sdk, "bus.js"), BUS);
  for (const [f, text] of Object.entries(flavor.files)) write(path.join(sdk, f), text);

  const plugin = await import(pathToFileURL(path.join(pluginDir, "index.js")).href);
  const bus = await import(pathToFileURL(path.join(sdk, "bus.js")).href);
  return { dir, version, plugin, bus, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A recording logger shaped like the host's. */
export function makeLogger() {
  const lines = [];
  const at = (level) => (message) => lines.push({ level, message: String(message) });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Calls register() like the host and returns the registered services. */
export function register(plugin, { version = "2026.9.6" } = {}) {
  const services = [];
  plugin.default.register({
    id: "diagnostics-otel",
    runtime: { version },
    logger: makeLogger(),
    registerService: (s) => services.push(s),
  });
  return services;
}

export function ctxFor(otel, { diagnosticsEnabled = true, logger = makeLogger() } = {}) {
  return { config: { diagnostics: { enabled: diagnosticsEnabled, otel } }, logger, stateDir: os.tmpdir() };
}

export function threadCount() {
  return fs.readdirSync("/proc/self/task").length;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
