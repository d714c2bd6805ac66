// Side by side with the official plugin (issue #3 item 4): the same mock replies and chat turns
// through OpenClaw 2026.2.19 running (a) its bundled official diagnostics-otel, our plugin not
// installed, and (b) our packed plugin; and (c) the official build bundled in openclaw
// 2026.4.15 on its own host. Every difference in what reached the receiver must be listed in
// e2e/expected-differences.json with its reason (a row of docs/differences.md), and every
// listed difference must still occur.
//   node e2e/setup.mjs --official && node --test e2e/compare.test.mjs
// E2E_COMPARE_BUNDLE=0 skips (c).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { checkExpected, diffSummaries, expectedFor, summarize, table } from "./lib/diff.mjs";
import { captureRun } from "./lib/official.mjs";
import { counterSum } from "./lib/scenario.mjs";
import { OFFICIAL_BUNDLE, officialBundle, officialOtelDeps, setup } from "./setup.mjs";
import { E2E, ROOT } from "./lib/versions.mjs";

const VERSION = "2026.2.19";
const BUNDLE = process.env.E2E_COMPARE_BUNDLE !== "0";
const TURNS = 3;
const TOKEN_TYPES = ["input", "output", "cache_read", "prompt", "total"];
const log = (m) => console.log(m);
const EXPECTED_FILE = path.join(E2E, "expected-differences.json");

describe("official diagnostics-otel vs ours, same traffic", { timeout: 10 * 60 * 1000 }, () => {
  const runs = {};
  const labels = { official: `official ${VERSION}`, ours: `ours on ${VERSION}`, bundle: `official ${OFFICIAL_BUNDLE.version} bundle` };
  let expected;
  const rows = {};
  before(async () => {
    setup({ log, only: ["node-22", `openclaw-${VERSION}`, "python"] });
    log(`[compare] official diagnostics-otel deps: ${officialOtelDeps(VERSION)}`);
    if (BUNDLE) log(`[compare] openclaw ${OFFICIAL_BUNDLE.version}: ${officialBundle()}`);
    // Two at a time: each spends most of its time waiting (startup, the 30 s heartbeat), so a
    // pair keeps the file within minutes; three at once starved a CLI call into a dropped
    // connection on this 2-core box. Each run has its own mock, receiver, home and port.
    const t = Date.now();
    const waves = [
      { official: { plugin: "official", version: VERSION }, ours: { plugin: "ours", version: VERSION } },
      BUNDLE ? { bundle: { plugin: "official", version: OFFICIAL_BUNDLE.version, spec: OFFICIAL_BUNDLE.spec } } : {},
    ];
    for (const wave of waves) {
      const settled = await Promise.allSettled(Object.entries(wave).map(async ([name, plan]) => {
        runs[name] = await captureRun({ ...plan, turns: TURNS, log });
        log(`[compare] ${labels[name]}: ${runs[name].requests.length} OTLP requests after ${((Date.now() - t) / 1000).toFixed(1)} s (${runs[name].dir})`);
      }));
      const failed = settled.filter((s) => s.status === "rejected");
      if (failed.length) throw failed[0].reason;
    }
    expected = JSON.parse(fs.readFileSync(EXPECTED_FILE, "utf8"));
    const ours = summarize(runs.ours.requests);
    for (const [name, host] of [["official", VERSION], ...(BUNDLE ? [["bundle", OFFICIAL_BUNDLE.version]] : [])]) {
      rows[name] = diffSummaries(summarize(runs[name].requests), ours);
      log(`[compare] ${rows[name].length} differences, ${labels[name]} vs ours:\n${table(rows[name], expectedFor(expected, host), labels[name])}`);
    }
  });
  after(() => {
    // captureRun stops what it started; this only reports a leftover, should one exist.
    for (const r of Object.values(runs)) if (r.leftover.length) log(`[compare] leftover pids ${r.leftover}`);
  });
  const names = () => Object.keys(runs);

  test("every run saw the same traffic: one mock reply per turn, same usage, nothing else", () => {
    assert.equal(names().length, BUNDLE ? 3 : 2);
    for (const name of names()) {
      assert.equal(runs[name].served.length, TURNS, name);
      assert.deepEqual(runs[name].unexpected, [], name);
      assert.deepEqual(runs[name].served.map((s) => s.usage), runs.ours.served.map((s) => s.usage), name);
    }
  });

  test("the official plugins ran, not ours, and ours ran, not the official", () => {
    const ourLine = (r) => r.logMessages.some((m) => m.includes("diagnostics-otel: exporting metrics"));
    // The official plugin's OTel JS exporters name themselves in every request.
    const agents = (r) => [...new Set(r.requests.map((q) => (q.headers?.["user-agent"] ?? "").split("/")[0]))];
    for (const name of names().filter((n) => n !== "ours")) {
      assert.equal(runs[name].installMethod, "none (bundled plugin)", name);
      assert.equal(ourLine(runs[name]), false, name);
      assert.deepEqual(agents(runs[name]), ["OTel-OTLP-Exporter-JavaScript"], name);
    }
    assert.equal(ourLine(runs.ours), true);
    assert.ok(!agents(runs.ours).includes("OTel-OTLP-Exporter-JavaScript"));
  });

  test("each exported the mock's token totals per type and the configured cost", () => {
    for (const name of names()) {
      const r = runs[name];
      assert.equal(r.exportWaitError, undefined, `${name}: ${r.exportWaitError}`);
      // Without the heartbeat in every capture, the diff would depend on timing.
      assert.equal(r.heartbeatWaitError, undefined, `${name}: ${r.heartbeatWaitError}`);
      for (const type of TOKEN_TYPES) {
        assert.equal(counterSum(r.requests, "openclaw.tokens", { "openclaw.token": type }), r.expected.tokens[type], `${name} ${type}`);
      }
      const cost = counterSum(r.requests, "openclaw.cost.usd");
      assert.ok(r.expected.costUsd > 0.001);
      assert.ok(Math.abs(cost - r.expected.costUsd) <= 1e-9, `${name} cost ${cost}, expected ${r.expected.costUsd}`);
    }
  });

  test("every request decoded and every process stopped", () => {
    for (const name of names()) {
      const r = runs[name];
      assert.deepEqual(r.requests.filter((q) => q.error).map((q) => `${q.path}: ${q.error}`), [], name);
      assert.deepEqual(r.leftover, [], name);
      assert.deepEqual(r.stopReport.killed, [], `${name} needed SIGKILL`);
    }
  });

  test("every listed difference names a row of docs/differences.md and a reason", () => {
    // E2E_DIFFERENCES_MD: check a proposed edit of docs/differences.md before applying it.
    const docs = fs.readFileSync(process.env.E2E_DIFFERENCES_MD ?? path.join(ROOT, "docs/differences.md"), "utf8").split("\n");
    const rowless = expected.filter((e) => !(e.docs && docs.some((l) => l.startsWith("|") && l.includes(e.docs))));
    assert.deepEqual([...new Set(rowless.map((e) => e.docs))], [], "docs/differences.md has no table row containing these");
    assert.deepEqual(expected.filter((e) => !(e.reason?.length > 10)).map((e) => e.id), [], "entries without a reason");
  });

  test("the diff notices a changed unit, attribute value, total and resource key", () => {
    // Guards against a diff that finds nothing: ours against a doctored copy of itself.
    const doctored = JSON.parse(JSON.stringify(runs.ours.requests));
    for (const r of doctored) {
      for (const rs of [...(r.request?.resourceSpans ?? []), ...(r.request?.resourceLogs ?? [])]) {
        rs.resource.attributes = rs.resource.attributes.filter((kv) => kv.key !== "service.version");
      }
      for (const rm of r.request?.resourceMetrics ?? []) {
        rm.resource.attributes = rm.resource.attributes.filter((kv) => kv.key !== "service.version");
        for (const m of rm.scopeMetrics.flatMap((sm) => sm.metrics)) {
          if (m.name === "openclaw.tokens") m.unit = "token";
          if (m.name === "openclaw.cost.usd") for (const p of m.sum.dataPoints) p.asDouble *= 2;
          if (m.name === "openclaw.message.queued") for (const p of m.sum.dataPoints) for (const kv of p.attributes) kv.value = { stringValue: "x" };
        }
      }
    }
    const ids = diffSummaries(summarize(runs.ours.requests), summarize(doctored)).map((r) => r.id);
    for (const want of ["metric openclaw.tokens unit", "metric openclaw.cost.usd total", "resource service.version"]) assert.ok(ids.includes(want), `${want} not in ${ids}`);
    assert.ok(ids.some((id) => /^metric openclaw\.message\.queued attr .* values$/.test(id)), ids.join(", "));
    assert.deepEqual(diffSummaries(summarize(runs.ours.requests), summarize(runs.ours.requests)), []);
  });

  const gate = (name, host) => () => {
    const listed = expectedFor(expected, host);
    const { unexpected, stale } = checkExpected(rows[name], listed);
    assert.deepEqual(
      { unexpected, stale: stale.map((e) => ({ id: e.id, official: e.official, ours: e.ours })) },
      { unexpected: [], stale: [] },
      `unexpected: not in e2e/expected-differences.json; stale: listed but no longer occurring\n${table(rows[name], listed, labels[name])}`,
    );
  };
  test(`official ${VERSION} vs ours on the same host: exactly the expected differences`, gate("official", VERSION));
  // Our plugin is not run on 2026.4.15: the bundle is compared with ours on 2026.2.19, which
  // holds because the same turns feed the same events there (checked by the list itself).
  test(`official ${OFFICIAL_BUNDLE.version} bundle vs ours: exactly the expected differences`, { skip: !BUNDLE && "E2E_COMPARE_BUNDLE=0" }, gate("bundle", OFFICIAL_BUNDLE.version));
});
