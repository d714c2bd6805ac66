// Faults at the collector: an outage costs time, not data; a collector's Retry-After is
// honoured; a permanent refusal is counted, not retried. Everything asserted is what reached
// the receiver and what status() counts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TURN, messageFlow } from "./support/events.mjs";
import { native, withPlugin } from "./support/fixture.mjs";
import { sleep } from "./support/host.mjs";
import { latest, pointWith, spansOf, startReceiver } from "./support/receiver.mjs";

const SPANS_IN_TURN = 13; // the captured turn's span count (traces-logs.test.mjs)

// Spans leave in batches every 200 ms, so the test sees several attempts in a few seconds.
const QUICK = { OTEL_BSP_SCHEDULE_DELAY: "200", OTEL_EXPORTER_OTLP_TIMEOUT: "2000" };
const withFaults = (receiverMode, otel, fn) => withPlugin({ receiverMode, otel, env: QUICK }, fn);

const replay = (host) => {
  for (const { evt, meta } of TURN) host.bus.emitRaw(evt, meta);
};

describe("faults at the collector", () => {
  test("a 503 outage, then recovery: every span arrives once, none counted lost", async () => {
    await withFaults("fail", { flushIntervalMs: 1000 }, async ({ receiver, host, logger, service }) => {
      replay(host);
      await sleep(2500);
      const during = host.plugin.status().traces;
      assert.equal(during.exported, 0);
      assert.ok(during.retries >= 1, JSON.stringify(during));
      assert.match(during.state, /^(degraded|failing)$/);
      assert.match(during.cause ?? "", /^collector error: .*503/);
      await receiver.setMode("ok");
      const accepted = (rs) => spansOf(rs.filter((r) => r.path === "/v1/traces" && r.mode === "ok"));
      // The plugin counts an export once the collector's answer is back: wait for that.
      for (let i = 0; i < 150 && host.plugin.status().traces.exported < SPANS_IN_TURN; i++) await sleep(100);
      const st = host.plugin.status().traces;
      await service.stop();
      const ids = accepted(receiver.requests).map((s) => s.spanId);
      assert.equal(new Set(ids).size, SPANS_IN_TURN, `${new Set(ids).size} distinct spans accepted`);
      assert.equal(ids.length, SPANS_IN_TURN, "each accepted once");
      assert.ok(receiver.requests.some((r) => r.path === "/v1/traces" && r.mode === "fail"), "the outage was real");
      const warn = logger.lines.find((l) => l.level === "warn" && /traces export .* failed/.test(l.message));
      assert.match(warn?.message ?? "", /sent again after a backoff/);
      assert.ok(logger.lines.some((l) => /traces export .* recovered/.test(l.message)), JSON.stringify(logger.lines));
      assert.equal(st.dropped, 0, JSON.stringify(st));
      assert.equal(st.exported, SPANS_IN_TURN);
      assert.equal(st.state, "healthy");
      assert.ok(st.stateSinceUnixMs >= during.stateSinceUnixMs);
      assert.equal(st.cause, undefined, "the cause clears on recovery");
      assert.match(st.lastError, /503/, "the history stays");
    });
  });

  test("429 with Retry-After: metrics wait it out instead of sending every interval, then catch up exactly", async () => {
    await withFaults("throttle", { flushIntervalMs: 1000, traces: false }, async ({ receiver, host, service }) => {
      for (const e of messageFlow({ input: 11, output: 5 })) host.bus.emit(e, { trusted: true });
      await sleep(4200);
      const attempts = receiver.requests.filter((r) => r.path === "/v1/metrics").length;
      // Without the backoff a 1 s interval sends about 4 times in 4.2 s; Retry-After: 2 allows 2.
      assert.ok(attempts >= 1 && attempts <= 2, `${attempts} metric exports during the throttle`);
      assert.ok(host.plugin.status().exportsDeferred >= 1, JSON.stringify(host.plugin.status()));
      await receiver.setMode("ok");
      await sleep(2500);
      await service.stop();
      await receiver.sync();
      const tokens = latest(receiver.requests, "openclaw.tokens");
      assert.equal(pointWith(tokens, { "openclaw.token": "input" })?.value, 11, "cumulative totals lost nothing");
    });
  });

  test("413: a refused batch is counted as rejected and not sent again", async () => {
    await withFaults("too-large", { flushIntervalMs: 60000 }, async ({ receiver, host, service }) => {
      replay(host);
      await host.plugin.flush(5000);
      await sleep(1000);
      const st = host.plugin.status().traces;
      assert.equal(st.exported, 0);
      assert.equal(st.rejected, SPANS_IN_TURN, JSON.stringify(st));
      assert.equal(st.retries, 0);
      assert.equal(st.dropped, SPANS_IN_TURN, "dropped counts every loss");
      assert.equal(receiver.requests.filter((r) => r.path === "/v1/traces").length, 1, "sent once");
      await service.stop();
      await receiver.sync();
      // Loss shows on a dashboard too: the self-metric, from the stop's final metrics export.
      const lost = latest(receiver.requests, "openclaw.telemetry.dropped");
      assert.equal(pointWith(lost, { "openclaw.signal": "traces", "openclaw.reason": "rejected" })?.value, SPANS_IN_TURN, JSON.stringify(lost?.points));
      assert.equal(lost.kind, "sum");
      assert.equal(lost.monotonic, true);
    });
  });

  test("https:// to a plain-HTTP port is a TLS problem, said so, and not retried", async () => {
    const receiver = await startReceiver();
    const addon = await native();
    try {
      const endpoint = receiver.httpBase.replace("http://", "https://");
      const g = new addon.NativeGeneration(JSON.stringify({ enabled: true, otel: { enabled: true, endpoint, flushIntervalMs: 60000 } }), {}, {});
      g.pushBatch(`0${JSON.stringify({ type: "message.queued", channel: "webchat", source: "dispatch" })}\n`);
      assert.equal((await g.flush(5000)).ok, false);
      const st = g.status();
      assert.match(st.lastError, /^tls: /);
      assert.equal(st.state, "degraded");
      assert.match(st.cause, /^tls: /);
      assert.equal(receiver.requests.length, 0, "no plain request was sent");
      await g.shutdown(3000);
    } finally {
      await receiver.stop();
    }
  });

  test("a collector that stays away: what is unsent at stop is counted lost, and stop stays bounded", async () => {
    const receiver = await startReceiver({ mode: "fail" });
    const addon = await native();
    try {
      const g = new addon.NativeGeneration(JSON.stringify({ enabled: true, otel: { enabled: true, endpoint: receiver.httpBase, flushIntervalMs: 60000 } }), { OTEL_BSP_SCHEDULE_DELAY: "100" }, {});
      const trust = (m) => (m.trusted ? 1 : 0) | (m.internal ? 2 : 0) | (m.trustedTraceContext ? 4 : 0);
      g.pushBatch(TURN.map(({ evt, meta }) => `${trust(meta)}${JSON.stringify(evt)}\n`).join(""));
      await sleep(800);
      const t0 = performance.now();
      await g.shutdown(4000);
      const elapsed = performance.now() - t0;
      const st = g.status().traces;
      assert.ok(elapsed < 5000, `stop took ${elapsed} ms`);
      assert.equal(st.exported, 0);
      assert.equal(st.lostAtStop, SPANS_IN_TURN, JSON.stringify(st));
      assert.equal(st.dropped, SPANS_IN_TURN);
      assert.ok(st.retries >= 1, JSON.stringify(st));
      console.log(`# stop while the collector is away: ${elapsed.toFixed(0)} ms, ${st.lostAtStop} spans counted lost`);
    } finally {
      await receiver.stop();
    }
  });

  test("a SIGSTOPped collector (sockets open, nothing answers): bounded waits, then every span once it resumes", async () => {
    await withFaults("ok", { flushIntervalMs: 1000 }, async ({ receiver, host, service }) => {
      receiver.signal("SIGSTOP");
      const t0 = performance.now();
      replay(host);
      const emitMs = performance.now() - t0;
      await sleep(4500);
      const during = host.plugin.status();
      assert.equal(during.traces.exported, 0);
      assert.notEqual(during.traces.state, "healthy", JSON.stringify(during.traces));
      assert.match(during.traces.cause ?? "", /timeout/);
      receiver.signal("SIGCONT");
      for (let i = 0; i < 150 && host.plugin.status().traces.exported < SPANS_IN_TURN; i++) await sleep(100);
      await receiver.sync();
      const ids = spansOf(receiver.requests).map((s) => s.spanId);
      // A request sent while frozen may be answered after the resume and also sent again: OTLP
      // delivery is at least once. None is lost.
      assert.equal(new Set(ids).size, SPANS_IN_TURN, `${new Set(ids).size} distinct spans accepted`);
      const st = host.plugin.status().traces;
      assert.equal(st.dropped, 0, JSON.stringify(st));
      assert.equal(st.state, "healthy");
      console.log(`# SIGSTOPped collector: replay took ${emitMs.toFixed(1)} ms on the JS thread; ${st.retries} retries; ${ids.length} span deliveries for ${SPANS_IN_TURN} spans`);
      await service.stop();
    });
  });

  test("a collector name that does not resolve: categorised dns, retried, the other signals flow", async () => {
    const env = { OTEL_BSP_SCHEDULE_DELAY: "200", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector.invalid:4318/v1/traces" };
    // flushIntervalMs also paces span batches (as in the official plugin).
    await withPlugin({ otel: { traces: true, flushIntervalMs: 1000 }, env }, async ({ receiver, host, service }) => {
      replay(host);
      const t0 = performance.now();
      for (let i = 0; i < 100 && host.plugin.status().traces.retries < 1; i++) await sleep(100);
      console.log(`# unresolvable collector: first failure after ${(performance.now() - t0).toFixed(0)} ms`);
      const st = host.plugin.status();
      assert.match(st.traces.cause ?? "", /^dns/, JSON.stringify(st));
      assert.ok(st.traces.retries >= 1, JSON.stringify(st.traces));
      assert.equal((await host.plugin.flush(3000)).ok, false, "the traces part of the flush cannot succeed");
      await receiver.sync();
      assert.ok(latest(receiver.requests, "openclaw.tokens"), "metrics still reach their collector");
      await service.stop();
    });
  });

  test("the secret scan: a run where everything fails prints none of the secrets planted in config, env and events", () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const child = spawnSync(process.execPath, [path.join(here, "support/failing-run.mjs")], { encoding: "utf8", timeout: 60000 });
    assert.equal(child.status, 0, child.stderr);
    const out = `${child.stdout}\n${child.stderr}`;
    const lines = out.split("\n").filter(Boolean);
    // Not vacuous: the run did fail in each of the planted ways, and said so.
    for (const expected of [/connection refused/, /traces export .* failed: dns/, /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT .* not a usable URL/, /headers entry #\d/, /^status: /m]) {
      assert.match(out, expected);
    }
    const leaks = lines.filter((l) => l.includes("S3CRET"));
    assert.deepEqual(leaks, [], `${leaks.length} of ${lines.length} lines leak a planted secret`);
    assert.ok(lines.every((l) => l.length <= 4000), "every line is bounded");
    console.log(`# secret scan: ${lines.length} lines (${out.length} characters) printed by a failing run, 0 with a planted secret`);
  });
});
