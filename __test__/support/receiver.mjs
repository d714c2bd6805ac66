// Starts otlp_receiver.py (upstream protobuf classes decode every request) and collects what
// it printed. Every test that needs a collector starts its own.
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const python = process.env.OTLP_TEST_PYTHON ?? path.join(root, ".venv/bin/python");

/**
 * `tls` {cert, key, clientCa}: both ports speak TLS only (clientCa: and want a client certificate
 * it signed); `token`: requests need "authorization: Bearer <token>" (setToken changes it).
 */
export async function startReceiver({ mode = "ok", tls, token } = {}) {
  const args = ["--mode", mode];
  if (tls) args.push("--tls-cert", tls.cert, "--tls-key", tls.key, ...(tls.clientCa ? ["--tls-client-ca", tls.clientCa] : []));
  if (token) args.push("--token", token);
  const proc = spawn(python, [path.join(here, "otlp_receiver.py"), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const requests = [];
  const tlsRejected = [];
  const waiters = new Set();
  const syncs = new Map();
  let syncId = 0;
  const ports = await new Promise((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code) => reject(new Error(`receiver exited early (${code})`)));
    readline.createInterface({ input: proc.stdout }).on("line", (line) => {
      const msg = JSON.parse(line);
      if (msg.ready) return resolve(msg.ready);
      if (msg.sync) return syncs.get(msg.sync)?.();
      if (msg.tlsRejected) return tlsRejected.push(msg.tlsRejected);
      requests.push(msg);
      for (const w of waiters) w();
    });
  });
  proc.removeAllListeners("exit");
  const scheme = tls ? "https" : "http";
  const control = `http://127.0.0.1:${ports.control ?? ports.http}`;
  return {
    ports,
    requests,
    /** Why the TLS receiver refused handshakes (OpenSSL's reasons), in order. */
    tlsRejected,
    httpBase: `${scheme}://127.0.0.1:${ports.http}`,
    grpcBase: `${scheme}://127.0.0.1:${ports.grpc}`,
    async setMode(m) {
      await fetch(`${control}/__mode/${m}`);
    },
    async setToken(t) {
      await fetch(`${control}/__token/${encodeURIComponent(t)}`);
    },
    /** Resolves once every request the receiver answered so far is in `requests`. */
    async sync() {
      const id = String(++syncId);
      const seen = new Promise((resolve) => syncs.set(id, resolve));
      await fetch(`${control}/__sync/${id}`);
      await seen;
      syncs.delete(id);
    },
    /** Resolves when predicate(requests) holds, rejects after timeoutMs. */
    waitFor(predicate, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(requests)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(requests);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${requests.length} requests)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    /** Sends the receiver process a signal (SIGSTOP freezes it with its sockets open). */
    signal(sig) {
      proc.kill(sig);
    },
    async stop() {
      proc.kill("SIGCONT");
      proc.stdin.end();
      proc.kill("SIGKILL");
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r() : proc.once("exit", r)));
    },
  };
}

function attrValue(v) {
  if (v == null) return undefined;
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("boolValue" in v) return v.boolValue;
  return JSON.stringify(v);
}

export function attrs(list = []) {
  return Object.fromEntries(list.map((kv) => [kv.key, attrValue(kv.value)]));
}

/** One entry per item of decoded requests: `map(item, {resource, scope, request})` for each item
 * under `resourceKey` -> `scopeKey` -> `itemKey` (e.g. resourceSpans -> scopeSpans -> spans). */
function flatten(requests, [resourceKey, scopeKey, itemKey], map) {
  const out = [];
  for (const request of requests) {
    for (const r of request.request?.[resourceKey] ?? []) {
      const resource = attrs(r.resource?.attributes);
      for (const sc of r[scopeKey] ?? []) {
        for (const item of sc[itemKey] ?? []) out.push(map(item, { resource, scope: sc.scope?.name, request }));
      }
    }
  }
  return out;
}

/** Flattens decoded requests into one entry per (request, metric). */
export function metricsOf(requests) {
  return flatten(requests, ["resourceMetrics", "scopeMetrics", "metrics"], (m, { resource, scope, request }) => {
    const kind = m.sum ? "sum" : m.histogram ? "histogram" : m.gauge ? "gauge" : "other";
    const data = m.sum ?? m.histogram ?? m.gauge ?? {};
    return {
      name: m.name,
      unit: m.unit,
      description: m.description,
      kind,
      monotonic: data.isMonotonic === true,
      temporality: data.aggregationTemporality,
      scope,
      resource,
      request,
      points: (data.dataPoints ?? []).map((p) => ({
        attrs: attrs(p.attributes),
        value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : undefined),
        count: p.count !== undefined ? Number(p.count) : undefined,
        sum: p.sum,
        bucketCounts: (p.bucketCounts ?? []).map(Number),
        explicitBounds: p.explicitBounds ?? [],
        start: p.startTimeUnixNano,
      })),
    };
  });
}

/** The newest export of a metric (cumulative: it holds the totals). */
export function latest(requests, name) {
  const all = metricsOf(requests).filter((m) => m.name === name);
  return all[all.length - 1];
}

/** The point whose attributes include every given key/value. */
export function pointWith(metric, match) {
  return metric?.points.find((p) => Object.entries(match).every(([k, v]) => p.attrs[k] === v));
}

const hex = (b64) => (b64 ? Buffer.from(b64, "base64").toString("hex") : "");
const ms = (nanos) => (nanos === undefined ? undefined : Number(BigInt(nanos) / 1000000n));

/** Every decoded span, flattened, with hex ids and millisecond times. */
export function spansOf(requests) {
  return flatten(requests, ["resourceSpans", "scopeSpans", "spans"], (s, { resource, scope }) => ({
    name: s.name,
    kind: s.kind,
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    startMs: ms(s.startTimeUnixNano),
    endMs: ms(s.endTimeUnixNano),
    attrs: attrs(s.attributes),
    events: (s.events ?? []).map((e) => ({ name: e.name, attrs: attrs(e.attributes) })),
    statusCode: s.status?.code,
    statusMessage: s.status?.message,
    scope,
    resource,
  }));
}

/** Every decoded log record, flattened. */
export function logsOf(requests) {
  return flatten(requests, ["resourceLogs", "scopeLogs", "logRecords"], (l, { resource, scope }) => ({
    body: l.body?.stringValue,
    severityText: l.severityText,
    severityNumber: l.severityNumber,
    timeMs: ms(l.timeUnixNano),
    traceId: hex(l.traceId),
    spanId: hex(l.spanId),
    attrs: attrs(l.attributes),
    scope,
    resource,
  }));
}
