// Installs everything the benchmark loads into the gitignored cache (.cache/bench/):
//   node_modules/openclaw/        the host shim (a fake `openclaw` package: synchronous bus)
//   plugins/ours/                 our `npm pack` tarball, unpacked (what a user installs)
//   plugins/official/             openclaw@2026.2.19's extensions/diagnostics-otel, transpiled
//                                 to JS, with its own @opentelemetry dependencies installed
//   plugins/official-shipped/     the same extension dir exactly as the tarball ships it (TS);
//                                 its footprint is this dir plus plugins/official/node_modules
//   plugins/noop/                 a listener that does nothing: the floor
// Both plugins and the floor resolve `openclaw/plugin-sdk` to the same shim, so they run in
// the same host. The official plugin's code is never copied into the repository.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packBundle } from "../scripts/pack.mjs";
import { writeHostShim } from "./host.mjs";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(BENCH_DIR, "..");
export const CACHE = path.join(REPO, ".cache/bench");
export const PLUGINS = path.join(CACHE, "plugins");
export const OPENCLAW_VERSION = "2026.2.19";
const ESBUILD_VERSION = "0.25.12";
const EXT = "package/extensions/diagnostics-otel";

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...opts });
}

function npm(args, cwd) {
  // A clean npm environment: no scripts, no audit, no funding noise.
  return sh("npm", [...args, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd });
}

function rm(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * Our plugin as a tarball user installs it (the bundle: main package + this machine's binary,
 * the same files the registry path installs as two packages), unpacked. Re-done every run.
 */
function installOurs(log) {
  const packDir = path.join(CACHE, "pack");
  rm(packDir);
  fs.mkdirSync(packDir, { recursive: true });
  const tgz = packBundle(packDir);
  const dest = path.join(PLUGINS, "ours");
  rm(dest);
  fs.mkdirSync(dest, { recursive: true });
  sh("tar", ["xzf", tgz, "-C", dest, "--strip-components=1"]);
  const bytes = fs.statSync(tgz).size;
  log(`ours: ${path.basename(tgz)} (${bytes} bytes packed)`);
  return { tarball: tgz, tarballBytes: bytes };
}

async function esbuild(log) {
  const dir = path.join(CACHE, "tools");
  const entry = path.join(dir, "node_modules/esbuild/lib/main.js");
  if (!fs.existsSync(entry)) {
    log(`tools: installing esbuild@${ESBUILD_VERSION} (transpiles the official TypeScript)`);
    write(path.join(dir, "package.json"), JSON.stringify({ name: "bench-tools", private: true }));
    npm(["install", `esbuild@${ESBUILD_VERSION}`, "--no-save"], dir);
  }
  return (await import(pathToFileURL(entry).href)).default ?? (await import(pathToFileURL(entry).href));
}

/** The official plugin as OpenClaw 2026.2.19 bundles it, runnable on plain Node. */
async function installOfficial(log) {
  const dest = path.join(PLUGINS, "official");
  const shipped = path.join(PLUGINS, "official-shipped");
  const stamp = path.join(dest, ".bench-ready");
  if (fs.existsSync(stamp)) return JSON.parse(fs.readFileSync(stamp, "utf8"));

  const tgzDir = path.join(CACHE, "openclaw");
  const tgz = path.join(tgzDir, `openclaw-${OPENCLAW_VERSION}.tgz`);
  if (!fs.existsSync(tgz)) {
    log(`official: npm pack openclaw@${OPENCLAW_VERSION}`);
    fs.mkdirSync(tgzDir, { recursive: true });
    npm(["pack", `openclaw@${OPENCLAW_VERSION}`, "--pack-destination", tgzDir], tgzDir);
  }
  rm(shipped);
  fs.mkdirSync(shipped, { recursive: true });
  sh("tar", ["xzf", tgz, "-C", shipped, "--strip-components=3", EXT]);

  rm(dest);
  fs.mkdirSync(dest, { recursive: true });
  const es = await esbuild(log);
  const files = [];
  const walk = (rel) => {
    for (const ent of fs.readdirSync(path.join(shipped, rel), { withFileTypes: true })) {
      const r = path.join(rel, ent.name);
      if (ent.isDirectory()) {
        if (ent.name !== "node_modules") walk(r);
      } else files.push(r);
    }
  };
  walk("");
  for (const rel of files) {
    const src = path.join(shipped, rel);
    if (rel.endsWith(".ts") && !rel.endsWith(".d.ts") && !rel.endsWith(".test.ts")) {
      const out = await es.transform(fs.readFileSync(src, "utf8"), { loader: "ts", format: "esm", target: "node20" });
      write(path.join(dest, rel.replace(/\.ts$/, ".js")), out.code);
    } else if (!rel.endsWith(".ts")) {
      write(path.join(dest, rel), fs.readFileSync(src));
    }
  }
  const pkgFile = path.join(dest, "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  delete pkg.devDependencies; // `openclaw: workspace:*`: the host provides it
  // Each ^range pinned to its lower bound: the consistent set the plugin was written against
  // (sdk 0.212.0 / 2.5.1). Today's ^ resolution mixes newer 2.x minors with sdk-node's exact
  // 2.5.1 pins, which only adds duplicate copies.
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    pkg.dependencies[name] = String(range).replace(/^[\^~]/, "");
  }
  pkg.openclaw = { ...pkg.openclaw, extensions: ["./index.js"] };
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  log("official: npm install of its @opentelemetry dependencies (first run only)");
  npm(["install", "--omit=dev", "--omit=peer"], dest);
  const versions = {};
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const p = path.join(dest, "node_modules", name, "package.json");
    if (fs.existsSync(p)) versions[name] = JSON.parse(fs.readFileSync(p, "utf8")).version;
  }
  const info = { openclaw: OPENCLAW_VERSION, versions };
  fs.writeFileSync(stamp, JSON.stringify(info));
  return info;
}

const NOOP_PLUGIN = `// The floor: subscribes to the bus exactly like a plugin and does nothing per event.
import { onDiagnosticEvent } from "openclaw/plugin-sdk";
let unsubscribe;
export default {
  id: "diagnostics-otel",
  register(api) {
    api.registerService({
      id: "diagnostics-otel",
      async start() { unsubscribe = onDiagnosticEvent(() => {}); },
      async stop() { unsubscribe?.(); unsubscribe = undefined; },
    });
  },
};
`;

// Breakdown helper: what our listener costs without the native call (JSON.stringify only).
const STRINGIFY_PLUGIN = `// Breakdown only: serializes each event like index.js does, and drops the string.
import { onDiagnosticEvent } from "openclaw/plugin-sdk";
let unsubscribe;
export let chars = 0;
export default {
  id: "diagnostics-otel",
  register(api) {
    api.registerService({
      id: "diagnostics-otel",
      async start() { unsubscribe = onDiagnosticEvent((evt) => { chars += JSON.stringify(evt).length; }); },
      async stop() { unsubscribe?.(); unsubscribe = undefined; },
    });
  },
};
`;

export async function prepare({ log = console.error } = {}) {
  fs.mkdirSync(PLUGINS, { recursive: true });
  writeHostShim(path.join(CACHE, "node_modules/openclaw"), OPENCLAW_VERSION);
  write(path.join(PLUGINS, "noop/index.js"), NOOP_PLUGIN);
  write(path.join(PLUGINS, "noop/package.json"), JSON.stringify({ name: "noop", type: "module" }));
  write(path.join(PLUGINS, "stringify/index.js"), STRINGIFY_PLUGIN);
  write(path.join(PLUGINS, "stringify/package.json"), JSON.stringify({ name: "stringify", type: "module" }));
  const ours = installOurs(log);
  const official = await installOfficial(log);
  return { ours, official };
}

/** Bytes, files and packages under a directory, as installed (apparent sizes, no links followed). */
export function footprint(dir) {
  let bytes = 0;
  let files = 0;
  let packages = 0;
  const walk = (d, inModules) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p, inModules || ent.name === "node_modules");
      else {
        files += 1;
        bytes += fs.lstatSync(p).size;
        if (ent.name === "package.json" && path.basename(path.dirname(path.dirname(p))).match(/^(node_modules|@.+)$/)) {
          packages += 1;
        }
      }
    }
  };
  walk(dir, false);
  return { bytes, files, packages: packages + 1 }; // + the plugin itself
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const info = await prepare();
  console.log(JSON.stringify(info, null, 2));
}
