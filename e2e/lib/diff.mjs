// Reduces two OTLP captures (requests as __test__/support/otlp_receiver.py printed them) to comparable facts
// and lists every fact on which they differ. compare.test.mjs checks the list against
// e2e/expected-differences.json.
import { attrs, metricsOf } from "../../__test__/support/receiver.mjs";

const sorted = (set) => [...set].sort((a, b) => String(a).localeCompare(String(b)));

/** What one capture exported, as plain data. */
export function summarize(requests) {
  const paths = {};
  for (const r of requests) {
    const p = (paths[r.path] ??= { requests: 0, contentTypes: new Set(), transferEncodings: new Set(), errors: 0 });
    p.requests++;
    p.contentTypes.add(r.contentType);
    p.transferEncodings.add(r.headers?.["x-received-transfer-encoding"] ?? "content-length");
    if (r.error) p.errors++;
  }
  const resource = {};
  const scopes = new Set();
  const metrics = {};
  for (const m of metricsOf(requests)) {
    for (const [k, v] of Object.entries(m.resource)) (resource[k] ??= new Set()).add(v);
    scopes.add(m.scope ?? "");
    const s = (metrics[m.name] ??= { attrs: {}, bounds: new Set() });
    Object.assign(s, {
      kind: m.kind, unit: m.unit ?? "", description: m.description ?? "", monotonic: m.monotonic,
      temporality: m.temporality ?? "", scope: m.scope ?? "",
    });
    for (const p of m.points) {
      for (const [k, v] of Object.entries(p.attrs)) (s.attrs[k] ??= new Set()).add(v);
      if (m.kind === "histogram") s.bounds.add(JSON.stringify(p.explicitBounds));
    }
    // Cumulative: the newest export of a metric holds its totals. Heartbeat series are fed
    // every 30 s, so their count depends on run length: presence is compared, not totals.
    const counted = m.points.filter((p) => p.attrs["openclaw.channel"] !== "heartbeat");
    s.total = counted.reduce((t, p) => t + (m.kind === "histogram" ? p.count : p.value), 0);
  }
  const spans = {};
  for (const r of requests) {
    for (const rs of r.request?.resourceSpans ?? []) {
      for (const [k, v] of Object.entries(attrs(rs.resource?.attributes))) (resource[k] ??= new Set()).add(v);
      for (const ss of rs.scopeSpans ?? []) {
        for (const sp of ss.spans ?? []) {
          const s = (spans[sp.name] ??= { count: 0, attrs: new Set() });
          s.count++;
          for (const kv of sp.attributes ?? []) s.attrs.add(kv.key);
        }
      }
    }
  }
  return { paths, resource, scopes, metrics, spans };
}

const fmt = (v) => (v === undefined ? "(absent)" : Array.isArray(v) ? v.join(", ") : String(v));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every difference between two summaries: [{id, official, ours}] with JSON-comparable values.
 * Per-process resource values (pid, host, instance id) count by key only; values that
 * legitimately vary per run are never compared.
 */
export function diffSummaries(official, ours) {
  const rows = [];
  const push = (id, a, b) => {
    if (!same(a, b)) rows.push({ id, official: a, ours: b });
  };
  for (const p of sorted(new Set([...Object.keys(official.paths), ...Object.keys(ours.paths)]))) {
    const a = official.paths[p];
    const b = ours.paths[p];
    push(`path ${p}`, a ? "requests" : undefined, b ? "requests" : undefined);
    if (a && b) {
      push(`path ${p} content-type`, sorted(a.contentTypes), sorted(b.contentTypes));
      push(`path ${p} body framing`, sorted(a.transferEncodings), sorted(b.transferEncodings));
    }
    push(`path ${p} undecodable requests`, a?.errors ?? 0, b?.errors ?? 0);
  }
  for (const k of sorted(new Set([...Object.keys(official.resource), ...Object.keys(ours.resource)]))) {
    push(`resource ${k}`, official.resource[k] ? "present" : undefined, ours.resource[k] ? "present" : undefined);
  }
  push("resource service.name value", sorted(official.resource["service.name"] ?? []), sorted(ours.resource["service.name"] ?? []));
  push("instrumentation scopes", sorted(official.scopes), sorted(ours.scopes));
  for (const name of sorted(new Set([...Object.keys(official.metrics), ...Object.keys(ours.metrics)]))) {
    const a = official.metrics[name];
    const b = ours.metrics[name];
    push(`metric ${name}`, a ? "exported" : undefined, b ? "exported" : undefined);
    if (!a || !b) continue;
    for (const f of ["kind", "unit", "description", "monotonic", "temporality"]) push(`metric ${name} ${f}`, a[f], b[f]);
    push(`metric ${name} bucket bounds`, sorted(a.bounds), sorted(b.bounds));
    for (const k of sorted(new Set([...Object.keys(a.attrs), ...Object.keys(b.attrs)]))) {
      push(`metric ${name} attr ${k}`, a.attrs[k] ? "present" : undefined, b.attrs[k] ? "present" : undefined);
      if (a.attrs[k] && b.attrs[k]) push(`metric ${name} attr ${k} values`, sorted(a.attrs[k]), sorted(b.attrs[k]));
    }
    // Counts of points and counter totals must agree; histogram sums (durations) cannot.
    const close = Math.abs(a.total - b.total) <= 1e-9 * Math.max(1, Math.abs(a.total));
    if (!close) push(`metric ${name} ${a.kind === "histogram" ? "count" : "total"}`, a.total, b.total);
  }
  for (const name of sorted(new Set([...Object.keys(official.spans), ...Object.keys(ours.spans)]))) {
    push(`span ${name}`, official.spans[name] ? "exported" : undefined, ours.spans[name] ? "exported" : undefined);
    if (official.spans[name] && ours.spans[name]) {
      push(`span ${name} attribute keys`, sorted(official.spans[name].attrs), sorted(ours.spans[name].attrs));
    }
  }
  return rows;
}

/** Entries of the expected list that apply to an official plugin from `host`. */
export function expectedFor(expected, host) {
  return expected.filter((e) => !e.hosts || e.hosts.includes(host));
}

/** Splits differences into unexpected ones and listed-but-absent (stale) entries. */
export function checkExpected(rows, expected) {
  const matches = (e, r) => e.id === r.id && (e.official === "*" || same(e.official, r.official ?? null)) && (e.ours === "*" || same(e.ours, r.ours ?? null));
  const unexpected = rows.filter((r) => !expected.some((e) => matches(e, r)));
  const stale = expected.filter((e) => !rows.some((r) => matches(e, r)));
  return { unexpected, stale };
}

/** The diff as a fixed-width table, one row per difference. */
export function table(rows, expected = [], officialLabel = "official") {
  const cell = (v, n) => {
    const s = fmt(v).replace(/\s+/g, " ");
    return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
  };
  const lines = [`${"difference".padEnd(62)} | ${officialLabel.padEnd(40)} | ${"ours".padEnd(40)} | reason`];
  lines.push("-".repeat(lines[0].length + 20));
  for (const r of rows) {
    const e = expected.find((x) => x.id === r.id);
    lines.push(`${cell(r.id, 62)} | ${cell(r.official, 40)} | ${cell(r.ours, 40)} | ${e ? e.reason : "UNEXPECTED"}`);
  }
  return lines.join("\n");
}
