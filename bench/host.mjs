// The host side of the benchmark: a fake `openclaw` package with OpenClaw 2026.2.19's
// diagnostic bus semantics, and the calls OpenClaw makes to load and start a plugin.
// Every plugin under test (ours, the official one, the no-op floor) goes through this code.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { makeLogger } from "../__test__/support/host.mjs";

// 2026.2.19 semantics: state on globalThis; each emit makes one enriched copy (seq, ts), then
// calls every listener in subscription order, synchronously; a throwing listener is logged and
// skipped; a re-entrancy guard drops events past depth 100. Events are not frozen in 2026.2.19.
const BUS = `const KEY = "__openclawDiagnosticEventsState";
function state() {
  return (globalThis[KEY] ??= { seq: 0, listeners: new Set(), depth: 0 });
}
export function emit(event) {
  const s = state();
  if (s.depth > 100) return;
  const enriched = { ...event, seq: ++s.seq, ts: Date.now() };
  s.depth += 1;
  for (const fn of s.listeners) {
    try {
      fn(enriched);
    } catch (err) {
      console.error("[bench bus] listener error", enriched.type, err?.stack ?? err);
    }
  }
  s.depth -= 1;
}
export function subscribe(fn) {
  const s = state();
  s.listeners.add(fn);
  return () => s.listeners.delete(fn);
}
export function listenerCount() { return state().listeners.size; }
`;

const SDK = `import { subscribe } from "../bus.js";
export const onDiagnosticEvent = (listener) => subscribe(listener);
// 2026.2.19: exists, but never fires for a plugin (REFERENCE.md).
export const registerLogTransport = () => () => {};
export const emptyPluginConfigSchema = () => ({ type: "object", additionalProperties: false, properties: {} });
`;

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Writes the fake `openclaw` package (2026.2.19 flavor: `openclaw/plugin-sdk` only). */
export function writeHostShim(dir, version) {
  write(
    path.join(dir, "package.json"),
    JSON.stringify({
      name: "openclaw",
      version,
      type: "module",
      exports: { "./plugin-sdk": "./plugin-sdk/index.js", "./bench-bus": "./bus.js" },
    }),
  );
  write(path.join(dir, "bus.js"), BUS);
  write(path.join(dir, "plugin-sdk/index.js"), SDK);
}

export async function importBus(shimDir) {
  return import(pathToFileURL(path.join(shimDir, "bus.js")).href);
}

/** What OpenClaw does for an enabled plugin: import its entry, register(api), keep services. */
export async function loadPlugin(pluginDir, { version }) {
  const pkg = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8"));
  const entry = pkg.openclaw?.extensions?.[0] ?? "./index.js";
  const mod = await import(pathToFileURL(path.join(pluginDir, entry)).href);
  const plugin = mod.default;
  const services = [];
  plugin.register({
    id: plugin.id,
    name: plugin.name,
    source: pluginDir,
    config: {},
    pluginConfig: {},
    runtime: { version },
    logger: makeLogger(),
    registerService: (s) => services.push(s),
  });
  return { module: mod, plugin, services };
}

/** The service context OpenClaw passes to start(): diagnostics.otel switched on. */
export function serviceContext({ endpoint, flushIntervalMs, traces = true, stateDir }) {
  const logger = makeLogger();
  return {
    config: {
      diagnostics: {
        enabled: true,
        otel: { enabled: true, endpoint, flushIntervalMs, traces, metrics: true, logs: false },
      },
    },
    workspaceDir: stateDir,
    stateDir,
    logger,
  };
}
