// Helpers for the hot-reload runs: an atomic config rewrite as a config-manager sidecar does
// it, per-process thread and socket counts from /proc, arrival stamps on received requests,
// and views of decoded requests grouped by exporting generation.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { attrs, metricsOf } from "../../__test__/support/receiver.mjs";
import { commOf, sleep } from "./procs.mjs";

/**
 * Rewrites a JSON config the way a sidecar does: a new file in the same directory (so the
 * rename stays on one filesystem), fsynced, then renamed over the original. mutate edits the
 * parsed document in place (its return value is ignored); returns what was written.
 */
export function rewriteConfigAtomic(configPath, mutate) {
  const doc = JSON.parse(fs.readFileSync(configPath, "utf8"));
  mutate(doc);
  const next = doc;
  const tmp = path.join(path.dirname(configPath), `.${path.basename(configPath)}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(next, null, 2) + "\n");
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, configPath);
  return next;
}

/** The gateway process among a run's marked pids (its comm is "openclaw-gateway", truncated). */
export function gatewayPids(pids) {
  return pids.filter((p) => commOf(p)?.startsWith("openclaw-gatewa"));
}

export function threadCount(pid) {
  return fs.readdirSync(`/proc/${pid}/task`).length;
}

/** Open file descriptors of pid that are sockets (TCP, UDP, unix, netlink alike). */
export function socketCount(pid) {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // closed between readdir and readlink
    }
  }
  return n;
}

/**
 * Stamps each request the receiver records with its arrival time in this process. The
 * receiver appends to its `requests` array as lines arrive, so wrapping push sees each one
 * as it lands (pipe latency is far below the spacing measured with it).
 */
export function stampArrivals(receiver) {
  const reqs = receiver.requests;
  const push = reqs.push.bind(reqs);
  reqs.push = (...items) => {
    const now = Date.now();
    for (const it of items) if (it && typeof it === "object") it.receivedAt = now;
    return push(...items);
  };
  return receiver;
}

/** service.name of every resource in a request (normally one). */
export function serviceNamesOf(request) {
  const req = request.request ?? {};
  const resources = [...(req.resourceMetrics ?? []), ...(req.resourceSpans ?? []), ...(req.resourceLogs ?? [])];
  return [...new Set(resources.map((r) => attrs(r.resource?.attributes)["service.name"]))];
}

/** Requests whose every resource carries service.name = name. */
export function requestsOfService(requests, name) {
  return requests.filter((r) => {
    const names = serviceNamesOf(r);
    return names.length > 0 && names.every((n) => n === name);
  });
}

/** Distinct startTimeUnixNano over the points of a metric in the given requests. */
export function startTimesOf(requests, metricName) {
  const out = new Set();
  for (const m of metricsOf(requests)) if (m.name === metricName) for (const p of m.points) out.add(p.start);
  return out;
}

/** Polls the gateway's log until at least n messages match re; returns the matches. */
export async function waitForLogCount(gw, re, n, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let hits = [];
  while (Date.now() < deadline) {
    hits = gw.logMessages().filter((m) => re.test(m));
    if (hits.length >= n) return hits;
    await sleep(200);
  }
  throw new Error(`${gw.version}: ${hits.length} log lines matching ${re} after ${timeoutMs} ms, wanted ${n}; gateway output:\n${gw.tail()}`);
}

/** Polls fn until it returns a truthy value; returns it, or throws after timeoutMs. */
export async function until(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(200);
  }
}

/** Thread names (comm) of pid with how many threads carry each. */
export function threadNames(pid) {
  const out = {};
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    let name;
    try {
      name = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim();
    } catch {
      continue; // exited meanwhile
    }
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** TCP sockets held by pid whose remote end is 127.0.0.1/::1 port `port` (any live state). */
export function socketsTo(pid, port) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  let n = 0;
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (parseInt(f[2].split(":")[1], 16) === port && inodes.has(f[9])) n++;
    }
  }
  return n;
}

// Moved beside the driver that writes the log; kept exported here for the tests.
export { logRecords } from "./gateway.mjs";

/**
 * Splits requests (in arrival order) into runs of consecutive requests with the same
 * service.name. Two generations exporting at once show up as interleaved runs.
 */
export function serviceRuns(requests) {
  const runs = [];
  for (const r of requests) {
    const name = serviceNamesOf(r).join(",");
    if (runs.length && runs.at(-1).name === name) runs.at(-1).requests.push(r);
    else runs.push({ name, requests: [r] });
  }
  return runs;
}
