// Never silent, never loud: gates explain themselves, failing exports warn once a minute,
// recovery is announced, bad config gets one actionable warning each.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { closedPort } from "./support/fixture.mjs";
import { ctxFor, makeHost, makeLogger, register, sleep } from "./support/host.mjs";
import { latest, pointWith, startReceiver } from "./support/receiver.mjs";

const queued = { type: "message.queued", channel: "webchat", source: "dispatch" };

async function withService(fn, version = "2026.9.6") {
  const host = await makeHost(version);
  const [service] = register(host.plugin);
  try {
    await fn(service, host);
  } finally {
    await service.stop();
    host.cleanup();
  }
}

describe("operator messages", () => {
  test("otel.enabled without diagnostics.enabled warns and does not subscribe", async () => {
    await withService(async (service, host) => {
      const logger = makeLogger();
      await service.start(ctxFor({ enabled: true, endpoint: "http://127.0.0.1:9" }, { diagnosticsEnabled: false, logger }));
      assert.equal(host.bus.listenerCount(), 0);
      const warn = logger.lines.find((l) => l.level === "warn");
      assert.match(warn.message, /diagnostics\.enabled is not.*set diagnostics\.enabled: true/);
    });
  });

  test("otel disabled says so at info", async () => {
    await withService(async (service, host) => {
      const logger = makeLogger();
      await service.start(ctxFor({ enabled: false }, { logger }));
      assert.equal(host.bus.listenerCount(), 0);
      assert.deepEqual(logger.lines.map((l) => l.level), ["info"]);
      assert.match(logger.lines[0].message, /diagnostics\.otel\.enabled is not true/);
    });
  });

  test("no endpoint: a warning naming the default, and bad values each get one warning", async () => {
    await withService(async (service) => {
      const logger = makeLogger();
      await service.start(ctxFor({ enabled: true, protocol: "thrift", flushIntervalMs: "often", headers: { "bad header": "s3cr3t" } }, { logger }));
      const warns = logger.lines.filter((l) => l.level === "warn").map((l) => l.message);
      assert.ok(warns.some((m) => /no endpoint configured.*http:\/\/localhost:4318\/v1\/metrics/.test(m)), warns.join("\n"));
      assert.ok(warns.some((m) => /diagnostics\.otel\.protocol "thrift".*using http\/protobuf/.test(m)));
      assert.ok(warns.some((m) => /flushIntervalMs must be a number.*using 30000/.test(m)));
      // A malformed header name may be a credential split at '=': named by position, never echoed.
      assert.ok(warns.some((m) => /diagnostics\.otel\.headers entry #1 has no valid HTTP header name/.test(m)), warns.join("\n"));
      assert.ok(warns.every((m) => !m.includes("bad header")));
      assert.equal(warns.length, 4, warns.join("\n"));
      assert.ok(logger.lines.every((l) => !l.message.includes("s3cr3t")));
    });
  });

  test("a failing collector: one warning per minute with URL and cause, then a recovery line", async () => {
    const receiver = await startReceiver({ mode: "fail" });
    try {
      await withService(async (service, host) => {
        const logger = makeLogger();
        await service.start(ctxFor({ enabled: true, endpoint: receiver.httpBase, flushIntervalMs: 1000 }, { logger }));
        host.bus.emit(queued);
        await receiver.waitFor((rs) => rs.length >= 3, 8000);
        await sleep(1200); // the plugin relays log lines once a second
        const failures = logger.lines.filter((l) => l.level === "warn" && l.message.includes("export"));
        assert.equal(failures.length, 1, JSON.stringify(logger.lines));
        assert.ok(failures[0].message.includes(`${receiver.httpBase}/v1/metrics`));
        assert.match(failures[0].message, /failed: collector error/);
        const st = host.plugin.status();
        assert.ok(st.exportsFailed >= 3);
        assert.match(st.lastError, /^collector error/);
        await receiver.setMode("ok");
        await receiver.waitFor(() => host.plugin.status().exportsOk > 0, 5000).catch(() => {});
        await sleep(2500);
        assert.ok(host.plugin.status().exportsOk >= 1);
        assert.ok(logger.lines.some((l) => l.level === "info" && /recovered after \d+ failed attempt/.test(l.message)), JSON.stringify(logger.lines));
        // The exporter's own lifecycle is counted too: started once, each failure kind once.
        const ev = latest(receiver.requests, "openclaw.telemetry.exporter.events");
        const base = { "openclaw.exporter": "diagnostics-otel", "openclaw.signal": "metrics" };
        assert.equal(pointWith(ev, { ...base, "openclaw.status": "started", "openclaw.reason": "configured" })?.value, 1);
        assert.equal(pointWith(ev, { ...base, "openclaw.status": "failure", "openclaw.reason": "emit_failed", "openclaw.errorCategory": "collector_error" })?.value, 1);
      });
    } finally {
      await receiver.stop();
    }
  });

  test("an unreachable collector is reported as connection refused, and the gateway carries on", async () => {
    const port = await closedPort();
    await withService(async (service, host) => {
      const logger = makeLogger();
      await service.start(ctxFor({ enabled: true, endpoint: `http://user:pw@127.0.0.1:${port}` }, { logger }));
      host.bus.emit(queued);
      const r = await host.plugin.flush(5000);
      assert.equal(r.ok, false);
      await sleep(1100);
      const warn = logger.lines.find((l) => l.level === "warn" && l.message.includes("export"));
      assert.ok(warn, JSON.stringify(logger.lines));
      assert.match(warn.message, /connection refused/);
      assert.ok(!warn.message.includes("pw@"), warn.message);
      assert.ok(!logger.lines.some((l) => l.message.includes("user:pw")));
    });
  });

  test("a failing span endpoint is its own signal: warned, counted and reported while metrics flow", async () => {
    const port = await closedPort();
    const receiver = await startReceiver();
    try {
      await withService(async (service, host) => {
        const logger = makeLogger();
        const otel = { enabled: true, endpoint: receiver.httpBase, tracesEndpoint: `http://127.0.0.1:${port}/v1/traces`, flushIntervalMs: 60000 };
        await service.start(ctxFor(otel, { logger }));
        host.bus.emit({ type: "run.completed", runId: "r1", provider: "openai", model: "gpt-5.4", durationMs: 900, outcome: "completed" }, { trusted: true });
        const r = await host.plugin.flush(5000);
        await receiver.sync();
        assert.equal(r.ok, false, "the span export failed");
        const st = host.plugin.status();
        assert.equal(st.exportsFailed, 0, "metrics are unaffected");
        assert.ok(st.exportsOk >= 1);
        assert.equal(st.traces.destination, `http://127.0.0.1:${port}/v1/traces`);
        // Connection refused is retryable: the batch was tried again with backoff during the flush.
        assert.ok(st.traces.exportsFailed >= 1, JSON.stringify(st.traces));
        assert.ok(st.traces.retries >= 1, JSON.stringify(st.traces));
        assert.equal(st.traces.exported, 0);
        assert.match(st.traces.lastError, /^connection refused/);
        await sleep(1100);
        assert.ok(logger.lines.some((l) => l.level === "warn" && /traces export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: connection refused/.test(l.message)), JSON.stringify(logger.lines));
        // The failure is counted under the traces signal the next time metrics go out.
        await host.plugin.flush(5000);
        await receiver.sync();
        const ev = latest(receiver.requests, "openclaw.telemetry.exporter.events");
        assert.ok(pointWith(ev, { "openclaw.signal": "traces", "openclaw.status": "failure", "openclaw.errorCategory": "connection_refused" }), JSON.stringify(ev.points));
        assert.ok(pointWith(ev, { "openclaw.signal": "traces", "openclaw.status": "started" }));
        assert.ok(pointWith(ev, { "openclaw.signal": "metrics", "openclaw.status": "started" }));
      });
    } finally {
      await receiver.stop();
    }
  });
});
