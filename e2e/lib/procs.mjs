// Process bookkeeping for the harness. Every child the harness starts inherits
// OPENCLAW_E2E_SESSION (set below, so it reaches even children spawned by helpers we import);
// each gateway run adds its own OPENCLAW_E2E_RUN. OpenClaw 2026.2.19 respawns the gateway under
// a new, detached pid, so processes are found by these markers in /proc/<pid>/environ, never by
// name. On exit, whatever still carries the session marker is killed.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CACHE } from "./versions.mjs";

export const SESSION_VAR = "OPENCLAW_E2E_SESSION";
export const RUN_VAR = "OPENCLAW_E2E_RUN";

// Fresh per harness process: never inherited, so a nested harness cannot sweep its parent's.
export const SESSION = crypto.randomUUID();
process.env[SESSION_VAR] = SESSION;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Pids (other than ours) whose environment holds name=value. */
export function findMarked(name, value) {
  const needle = Buffer.from(`${name}=${value}\0`);
  const out = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let env;
    try {
      env = fs.readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    // environ starts with the first variable: also match it without a leading NUL.
    const i = env.indexOf(needle);
    if (i === 0 || (i > 0 && env[i - 1] === 0)) out.push(pid);
  }
  return out;
}

export function commOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops every process carrying the marker: SIGTERM to `first(pids)` (the process that shuts
 * the others down cleanly), then to the rest, then SIGKILL. Resolves with what it had to do;
 * rejects only if something survives SIGKILL.
 */
export async function stopMarked(name, value, { graceMs = 15000, first = (pids) => pids } = {}) {
  const report = { termed: [], killed: [] };
  let pids = findMarked(name, value);
  if (pids.length === 0) return report;
  const lead = first(pids);
  report.termed.push(...lead);
  signal(lead, "SIGTERM");
  const deadline = Date.now() + graceMs;
  let restTermed = false;
  while (Date.now() < deadline) {
    await sleep(200);
    pids = findMarked(name, value);
    if (pids.length === 0) return report;
    if (!restTermed && Date.now() > deadline - graceMs / 2) {
      restTermed = true;
      report.termed.push(...pids);
      signal(pids, "SIGTERM");
    }
  }
  report.killed.push(...pids.map((p) => `${p}:${commOf(p)}`));
  signal(pids, "SIGKILL");
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    if (findMarked(name, value).length === 0) return report;
  }
  throw new Error(`processes survived SIGKILL: ${findMarked(name, value).join(", ")}`);
}

/** SIGKILL everything this harness session started (synchronous: usable in 'exit'). */
export function killSessionNow() {
  const pids = findMarked(SESSION_VAR, SESSION);
  signal(pids, "SIGKILL");
  return pids;
}

const SESSIONS_DIR = path.join(CACHE, "sessions");

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * A harness killed with SIGKILL cannot clean up; its detached gateway would live on. Each
 * session leaves a note with its owner pid, and the next harness kills what such a dead
 * owner's session left running.
 */
function sweepOrphanedSessions() {
  fs.mkdirSync(SESSIONS_DIR, { recursive: true });
  for (const f of fs.readdirSync(SESSIONS_DIR)) {
    const file = path.join(SESSIONS_DIR, f);
    let note;
    try {
      note = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (note.session === SESSION || pidAlive(note.pid)) continue;
    const pids = findMarked(SESSION_VAR, note.session);
    signal(pids, "SIGKILL");
    if (pids.length) process.stderr.write(`[e2e] killed ${pids.length} processes left by a dead harness (pid ${note.pid}): ${pids.join(", ")}\n`);
    fs.rmSync(file, { force: true });
  }
}

let hooked = false;
/** Last line of defence: kill leftovers on exit and on SIGINT/SIGTERM/SIGHUP. */
export function installExitSweep() {
  if (hooked) return;
  hooked = true;
  sweepOrphanedSessions();
  const note = path.join(SESSIONS_DIR, `${SESSION}.json`);
  fs.writeFileSync(note, JSON.stringify({ session: SESSION, pid: process.pid }));
  process.on("exit", () => {
    const left = killSessionNow();
    if (left.length) process.stderr.write(`[e2e] killed leftover processes at exit: ${left.join(", ")}\n`);
    fs.rmSync(note, { force: true });
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      killSessionNow();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

/**
 * Runs a command to completion with a hard timeout (its whole process group is killed), and
 * returns {code, stdout, stderr, ms}. Never rejects on a non-zero exit; the caller decides.
 */
/**
 * Starts a long-running process detached, its output appended to `logFile`; `exitCode()` is
 * its exit code or signal once it has exited (undefined while it runs).
 */
export function spawnDetached(cmd, args, { env, cwd, logFile }) {
  const out = fs.openSync(logFile, "a");
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  child.unref();
  let exited;
  child.once("exit", (code, sig) => (exited = code ?? sig));
  return { child, exitCode: () => exited };
}

export function runCommand(cmd, args, { env = process.env, cwd, timeoutMs = 120000, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(input ?? "");
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, sig) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? "timeout" : (code ?? sig), stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
