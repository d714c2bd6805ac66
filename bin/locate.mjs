// Where the gateway reads its config and finds the diagnostics-otel plugin, following OpenClaw's
// own rules (read in openclaw 2026.2.19 and 2026.9.6: src/config/paths.ts, src/plugins/
// discovery.ts, manifest-registry, config-activation). Pure lookups: nothing here writes.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { parseJson5 } from "./json5.mjs";

export const PLUGIN_ID = "diagnostics-otel";
export const OUR_PACKAGE = "openclaw-diagnostics-otel-rs";
const CONFIG_NAMES = ["openclaw.json", "clawdbot.json", "moldbot.json", "moltbot.json"];
const LEGACY_STATE_DIRS = [".clawdbot", ".moldbot", ".moltbot"];
// Lower wins when two copies share the id (both versions rank origins this way).
const RANK = { config: 0, workspace: 1, global: 2, bundled: 3 };

const exists = (p) => {
  try {
    return fs.existsSync(p);
  } catch {
    return false;
  }
};
const clean = (v) => {
  const t = typeof v === "string" ? v.trim() : "";
  return t && t !== "undefined" && t !== "null" ? t : undefined;
};

/** OPENCLAW_HOME (with ~ from HOME), else HOME, USERPROFILE, the OS home, the cwd. */
export function homeDir(vars) {
  const osHome = clean(vars.HOME) ?? clean(vars.USERPROFILE) ?? clean(os.homedir());
  const explicit = clean(vars.OPENCLAW_HOME);
  if (explicit) {
    if (/^~(?=$|[\\/])/.test(explicit) && osHome) return path.resolve(explicit.replace(/^~/, osHome));
    return path.resolve(explicit);
  }
  return path.resolve(osHome ?? process.cwd());
}

export function userPath(p, vars) {
  const t = p.trim();
  return path.resolve(/^~(?=$|[\\/])/.test(t) ? t.replace(/^~/, homeDir(vars)) : t);
}

/** The state dir and why; the gateway keeps plugins, installs and its default config there. */
export function stateDirOf(vars) {
  const override = clean(vars.OPENCLAW_STATE_DIR) ?? clean(vars.CLAWDBOT_STATE_DIR);
  if (override) return { dir: userPath(override, vars), why: "set by OPENCLAW_STATE_DIR" };
  const home = homeDir(vars);
  const dir = path.join(home, ".openclaw");
  if (exists(dir)) return { dir, why: "the default ~/.openclaw" };
  const legacy = LEGACY_STATE_DIRS.map((d) => path.join(home, d)).find(exists);
  if (legacy) return { dir: legacy, why: "a legacy state dir, as there is no ~/.openclaw" };
  return { dir, why: "the default ~/.openclaw, which does not exist" };
}

/** The config file the gateway would read: { file, why, stateDir }. */
export function configPathOf(vars, flag) {
  const state = stateDirOf(vars);
  const at = (file, why) => ({ file, why, stateDir: state });
  if (flag) return at(path.resolve(flag), "--config");
  const override = clean(vars.OPENCLAW_CONFIG_PATH) ?? clean(vars.CLAWDBOT_CONFIG_PATH);
  if (override) return at(userPath(override, vars), "OPENCLAW_CONFIG_PATH");
  const inState = CONFIG_NAMES.map((n) => path.join(state.dir, n)).find(exists);
  if (inState) return at(inState, `the state dir's, ${state.why}`);
  if (state.why.includes("OPENCLAW_STATE_DIR")) return at(path.join(state.dir, CONFIG_NAMES[0]), "the state dir's, set by OPENCLAW_STATE_DIR");
  const home = homeDir(vars);
  for (const d of [".openclaw", ...LEGACY_STATE_DIRS]) {
    const found = CONFIG_NAMES.map((n) => path.join(home, d, n)).find(exists);
    if (found) return at(found, "the first existing default location");
  }
  return at(path.join(state.dir, CONFIG_NAMES[0]), "the default location");
}

/**
 * `${VAR}` in config strings, as the gateway substitutes them (upper-case names; `$${VAR}` stays
 * literal). A missing variable is kept as written and reported.
 */
export function substituteVars(value, vars, missing, where = "") {
  if (typeof value === "string") {
    return value.replace(/\$?\$\{([A-Z_][A-Z0-9_]*)\}/g, (m, name) => {
      if (m.startsWith("$$")) return m.slice(1);
      const v = vars[name];
      if (v === undefined || v === "") {
        missing.push({ name, where: where || "(root)" });
        return m;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteVars(v, vars, missing, `${where}[${i}]`));
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: substituteVars(v, vars, missing, where ? `${where}.${k}` : k), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** Paths of `$include` directives anywhere in the file (the doctor does not expand them). */
export function includesIn(value, where = "", out = []) {
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$include") out.push(where || "(root)");
      else includesIn(v, where ? `${where}.${k}` : k, out);
    }
  }
  return out;
}

function readJson(file) {
  try {
    return parseJson5(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** A plugin directory: its manifest id, package name and version, entry file. */
function pluginAt(dir) {
  const manifest = readJson(path.join(dir, "openclaw.plugin.json"));
  if (!manifest || typeof manifest.id !== "string") return undefined;
  const pkg = readJson(path.join(dir, "package.json")) ?? {};
  const entry = Array.isArray(pkg.openclaw?.extensions) ? pkg.openclaw.extensions[0] : pkg.main;
  return {
    dir,
    id: manifest.id.trim(),
    manifest,
    name: typeof pkg.name === "string" ? pkg.name : undefined,
    version: typeof pkg.version === "string" ? pkg.version : undefined,
    entry: path.join(dir, typeof entry === "string" ? entry : "index.js"),
  };
}

/** A plugin dir itself, or the plugin dirs one level below it. */
function pluginsUnder(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return [];
  }
  const dir = st.isFile() ? path.dirname(p) : p;
  const own = pluginAt(dir);
  if (own || st.isFile()) return own ? [own] : [];
  let names = [];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => d.name).sort();
  } catch {
    return [];
  }
  return names.map((n) => pluginAt(path.join(dir, n))).filter(Boolean);
}

/** The `openclaw` on PATH (or OPENCLAW_BUNDLED_PLUGINS_DIR): its version and bundled plugins. */
export function findOpenClaw(vars) {
  for (const d of (vars.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const bin = path.join(d, process.platform === "win32" ? "openclaw.cmd" : "openclaw");
    if (!exists(bin)) continue;
    let dir;
    try {
      dir = path.dirname(fs.realpathSync(bin));
    } catch {
      continue;
    }
    for (let i = 0; i < 6; i++) {
      const pkg = readJson(path.join(dir, "package.json"));
      if (pkg?.name === "openclaw") {
        const bundled = [path.join(dir, "dist", "extensions"), path.join(dir, "extensions")].find(exists);
        return { root: dir, version: pkg.version, bin, bundled };
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

/** Install records of `openclaw plugins install` (2026.9: the state database; older: JSON). */
async function installRecords(config, stateDir) {
  const records = [];
  const add = (recs, via) => {
    for (const [id, r] of Object.entries(recs && typeof recs === "object" ? recs : {})) {
      for (const p of [r?.installPath, r?.sourcePath]) if (typeof p === "string" && p.trim()) records.push({ id, path: p, via });
    }
  };
  add(config?.plugins?.installs, "plugins.installs in the config");
  const legacy = readJson(path.join(stateDir, "plugins", "installs.json"));
  add(legacy?.installRecords ?? legacy?.index?.installRecords ?? legacy?.records, "plugins/installs.json");
  const db = path.join(stateDir, "state", "openclaw.sqlite");
  if (exists(db)) {
    // node:sqlite exists from Node 22.5; on older Node the database is not read (reported).
    try {
      const emit = process.emitWarning;
      process.emitWarning = () => {};
      const { DatabaseSync } = await import("node:sqlite").finally(() => (process.emitWarning = emit));
      const conn = new DatabaseSync(db, { readOnly: true });
      try {
        const row = conn.prepare("SELECT value_json FROM config_machine_state WHERE state_key = ?").get("plugins.installedIndex");
        const value = row ? JSON.parse(row.value_json) : undefined;
        add(value?.index?.installRecords ?? value?.installRecords, "the install records in state/openclaw.sqlite");
      } finally {
        conn.close();
      }
    } catch {
      records.unread = db;
    }
  }
  return records;
}

/**
 * Every copy of the plugin the gateway could load, best first: `plugins.load.paths`, the
 * workspace's `.openclaw/extensions`, install records and the state dir's `extensions/`, then
 * the copy bundled with OpenClaw.
 */
export async function findPlugin(config, stateDir, vars, openclaw) {
  const found = [];
  const seen = new Set();
  const add = (plugins, origin, via) => {
    for (const p of plugins) {
      if (p.id !== PLUGIN_ID) continue;
      let real = p.dir;
      try {
        real = fs.realpathSync(p.dir);
      } catch {
        // keep the path as given
      }
      if (seen.has(real)) continue;
      seen.add(real);
      found.push({ ...p, origin, via });
    }
  };
  const paths = config?.plugins?.load?.paths;
  (Array.isArray(paths) ? paths : []).forEach((p, i) => {
    if (typeof p === "string" && p.trim()) add(pluginsUnder(userPath(p, vars)), "config", `plugins.load.paths[${i}]`);
  });
  const ws = config?.agents?.defaults?.workspace;
  const workspace = typeof ws === "string" && ws.trim() ? userPath(ws, vars) : path.join(stateDir, "workspace");
  add(pluginsUnder(path.join(workspace, ".openclaw", "extensions")), "workspace", "the workspace's .openclaw/extensions");
  const records = await installRecords(config, stateDir);
  for (const r of records) add(pluginsUnder(userPath(r.path, vars)), "global", `an install record (${r.via})`);
  add(pluginsUnder(path.join(stateDir, "extensions")), "global", "the state dir's extensions/");
  // Managed npm installs of 2026.9 (`plugins install <npm-spec>`), when no record was readable.
  const projects = path.join(stateDir, "npm", "projects");
  let managed = [];
  try {
    managed = fs.readdirSync(projects).sort();
  } catch {
    // no managed npm installs
  }
  for (const proj of managed) {
    add(pluginsUnder(path.join(projects, proj, "node_modules")), "global", "a managed npm install (state dir npm/projects)");
    add(pluginsUnder(path.join(projects, proj, "node_modules", "@openclaw")), "global", "a managed npm install (state dir npm/projects)");
  }
  const bundledDir = clean(vars.OPENCLAW_BUNDLED_PLUGINS_DIR) ?? openclaw?.bundled;
  if (bundledDir) add(pluginsUnder(path.join(bundledDir, PLUGIN_ID)), "bundled", `bundled with OpenClaw${openclaw?.version ? ` ${openclaw.version}` : ""}`);
  found.sort((a, b) => RANK[a.origin] - RANK[b.origin]);
  return { copies: found, unreadInstallDb: records.unread };
}

/** Whether a bundled official copy can resolve its OpenTelemetry dependencies. */
export function officialDepsMissing(dir) {
  try {
    createRequire(path.join(dir, "package.json")).resolve("@opentelemetry/api");
    return false;
  } catch {
    return true;
  }
}

/**
 * Whether the gateway enables the plugin, as its activation rules decide (both versions):
 * { state: "on" | "default" | "off", why, fix }.
 */
export function enablement(plugins, origin) {
  const p = plugins && typeof plugins === "object" ? plugins : {};
  const list = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === "string").map((x) => x.trim()) : []);
  const allow = list(p.allow);
  const deny = list(p.deny);
  const entries = p.entries && typeof p.entries === "object" ? p.entries : {};
  const key = Object.keys(entries).find((k) => k.trim() === PLUGIN_ID);
  const entry = key !== undefined && entries[key] && typeof entries[key] === "object" ? entries[key] : key !== undefined ? {} : undefined;
  const ENTRY = 'plugins.entries["diagnostics-otel"].enabled';
  if (p.enabled === false) return { state: "off", why: "plugins.enabled is false, so no plugin loads", fix: "remove plugins.enabled or set it to true" };
  if (deny.includes(PLUGIN_ID)) return { state: "off", why: 'plugins.deny lists "diagnostics-otel"', fix: 'remove "diagnostics-otel" from plugins.deny' };
  if (entry?.enabled === false) return { state: "off", why: `${ENTRY} is false`, fix: `set ${ENTRY} to true` };
  if (origin === "workspace" && !allow.includes(PLUGIN_ID) && entry?.enabled !== true) {
    return { state: "off", why: "a workspace plugin is off unless enabled", fix: `set ${ENTRY} to true` };
  }
  if (allow.length > 0 && !allow.includes(PLUGIN_ID)) {
    return { state: "off", why: `plugins.allow (${allow.length} id${allow.length === 1 ? "" : "s"}) does not list "diagnostics-otel", so it is not loaded`, fix: 'add "diagnostics-otel" to plugins.allow' };
  }
  if (entry?.enabled === true) return { state: "on", why: `${ENTRY} is true${allow.length ? " and plugins.allow lists it" : ""}` };
  if (origin === "bundled" || origin === undefined) {
    const what = origin === "bundled" ? "a plugin bundled with OpenClaw is off unless enabled" : "the plugin is off unless enabled";
    const where = key === undefined ? 'plugins.entries has no "diagnostics-otel"' : `${ENTRY} is not set`;
    return { state: "off", why: `${where}: ${what}`, fix: `set ${ENTRY} to true (add "diagnostics-otel": {"enabled": true} under plugins.entries)` };
  }
  if (allow.includes(PLUGIN_ID)) return { state: "on", why: "plugins.allow lists it" };
  return {
    state: "default",
    why: `${ENTRY} is not set; a copy from ${origin === "config" ? "plugins.load.paths" : "the state dir"} loads by default`,
    fix: `set ${ENTRY} to true so that it stays on whichever copy loads`,
  };
}
