// The plugin loaded through index.js in a fake host, exporting to a real OTLP receiver that
// decodes with upstream's protobuf classes. Assertions are on what crossed the wire.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { heartbeat, messageFlow, runAttempt, SESSION_ID, SESSION_KEY, stuck, webhookError } from "./support/events.mjs";
import { latest, logsOf, metricsOf, pointWith, spansOf } from "./support/receiver.mjs";
import { TURN } from "./support/events.mjs";
import { runOnce } from "./support/fixture.mjs";
import { ctxFor, makeHost, register } from "./support/host.mjs";
import { startReceiver } from "./support/receiver.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// What the official 2026.2.19 plugin declares (its src/service.ts), written out independently.
const SEED_CATALOG = {
  "openclaw.tokens": ["sum", "1", "Token usage by type"],
  "openclaw.cost.usd": ["sum", "1", "Estimated model cost (USD)"],
  "openclaw.run.duration_ms": ["histogram", "ms", "Agent run duration"],
  "openclaw.context.tokens": ["histogram", "1", "Context window size and usage"],
  "openclaw.webhook.received": ["sum", "1", "Webhook requests received"],
  "openclaw.webhook.error": ["sum", "1", "Webhook processing errors"],
  "openclaw.webhook.duration_ms": ["histogram", "ms", "Webhook processing duration"],
  "openclaw.message.queued": ["sum", "1", "Messages queued for processing"],
  "openclaw.message.processed": ["sum", "1", "Messages processed by outcome"],
  "openclaw.message.duration_ms": ["histogram", "ms", "Message processing duration"],
  "openclaw.queue.depth": ["histogram", "1", "Queue depth on enqueue/dequeue"],
  "openclaw.queue.wait_ms": ["histogram", "ms", "Queue wait time before execution"],
  "openclaw.queue.lane.enqueue": ["sum", "1", "Command queue lane enqueue events"],
  "openclaw.queue.lane.dequeue": ["sum", "1", "Command queue lane dequeue events"],
  "openclaw.session.state": ["sum", "1", "Session state transitions"],
  "openclaw.session.stuck": ["sum", "1", "Sessions stuck in processing"],
  "openclaw.session.stuck_age_ms": ["histogram", "ms", "Age of stuck sessions"],
  "openclaw.run.attempt": ["sum", "1", "Run attempts"],
};

describe("http/protobuf export of the seed catalog (OpenClaw 2026.9 bus)", () => {
  let run;
  const flows = [messageFlow(), messageFlow({ input: 80, output: 20, cacheRead: 500, cost: 0.002, durationMs: 42000 }), messageFlow({ channel: "telegram", provider: "openrouter/anthropic", model: "claude-sonnet-4" })];
  before(async () => {
    run = await runOnce({
      otel: { serviceName: "gw-test" },
      trusted: true,
      events: [...flows.flat(), heartbeat, stuck, webhookError, runAttempt, runAttempt],
    });
  });

  test("the flush succeeded and the startup line says what goes where", () => {
    assert.equal(run.flushed.ok, true, run.flushed.error);
    const info = run.logger.lines.filter((l) => l.level === "info").map((l) => l.message);
    const startup = info.find((m) => m.startsWith("diagnostics-otel: exporting metrics"));
    assert.ok(startup, JSON.stringify(run.logger.lines));
    assert.match(startup, /OTLP http\/protobuf to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics every 60s/);
    assert.match(startup, /service\.name=gw-test/);
    assert.match(startup, /temporality=cumulative/);
    assert.match(startup, /events via onInternalDiagnosticEvent/);
  });

  test("requests are real protobuf on /v1/metrics (and spans on /v1/traces)", () => {
    assert.ok(run.requests.some((r) => r.path === "/v1/metrics"));
    for (const r of run.requests) {
      assert.equal(r.error, undefined, r.error);
      assert.ok(["/v1/metrics", "/v1/traces"].includes(r.path), r.path);
      assert.equal(r.contentType, "application/x-protobuf");
    }
  });

  test("every seed instrument arrives with its official name, kind, unit and description", () => {
    for (const [name, [kind, unit, description]] of Object.entries(SEED_CATALOG)) {
      const m = latest(run.requests, name);
      assert.ok(m, `${name} missing`);
      assert.equal(m.kind, kind, name);
      assert.equal(m.unit, unit, name);
      assert.equal(m.description, description, name);
      assert.equal(m.scope, "openclaw");
      assert.equal(m.temporality, "AGGREGATION_TEMPORALITY_CUMULATIVE", name);
      if (kind === "sum") assert.equal(m.monotonic, true, name);
    }
  });

  test("resource carries service.name, a UUID service.instance.id, the host version and sdk", () => {
    const { resource } = latest(run.requests, "openclaw.tokens");
    assert.equal(resource["service.name"], "gw-test");
    assert.match(resource["service.instance.id"], UUID);
    assert.equal(resource["service.version"], "2026.9.6");
    assert.equal(resource["telemetry.sdk.language"], "rust");
    assert.equal(resource["telemetry.sdk.name"], "opentelemetry");
  });

  test("tokens per type and cost equal what the events reported", () => {
    const tokens = latest(run.requests, "openclaw.tokens");
    const at = (model, token) => pointWith(tokens, { "openclaw.model": model, "openclaw.token": token })?.value;
    assert.equal(at("mock-1", "input"), 120 + 80);
    assert.equal(at("mock-1", "output"), 40 + 20);
    assert.equal(at("mock-1", "cache_read"), 500);
    assert.equal(at("mock-1", "prompt"), 120 + 580);
    assert.equal(at("mock-1", "total"), 160 + 600);
    assert.equal(at("mock-1", "cache_write"), undefined, "zero values are not recorded");
    assert.equal(at("claude-sonnet-4", "input"), 120);
    const p = pointWith(tokens, { "openclaw.model": "claude-sonnet-4", "openclaw.token": "input" });
    assert.deepEqual(p.attrs, {
      "openclaw.channel": "telegram",
      // No agentId on the event: the agent of its session key, agent:main:main.
      "openclaw.agent": "main",
      "openclaw.provider": "openrouter/anthropic",
      "openclaw.model": "claude-sonnet-4",
      "openclaw.token": "input",
    });
    const cost = latest(run.requests, "openclaw.cost.usd");
    const c = pointWith(cost, { "openclaw.model": "mock-1", "openclaw.channel": "webchat" }).value;
    assert.ok(Math.abs(c - (0.0031 + 0.002)) < 1e-12, String(c));
  });

  test("histograms carry counts, sums and the documented bucket layouts", () => {
    const run_ = latest(run.requests, "openclaw.run.duration_ms");
    const p = pointWith(run_, { "openclaw.model": "mock-1" });
    assert.equal(p.count, 2);
    assert.equal(p.sum, 1850 + 42000);
    assert.equal(p.explicitBounds.at(-1), 3600000);
    assert.equal(p.bucketCounts.length, p.explicitBounds.length + 1);
    // 42 s lands in (30000, 45000], a bucket the SDK default (max 10000) would not have.
    assert.equal(p.bucketCounts[p.explicitBounds.indexOf(45000)], 1);
    const ctx = latest(run.requests, "openclaw.context.tokens");
    assert.equal(pointWith(ctx, { "openclaw.model": "mock-1", "openclaw.context": "limit" }).count, 2);
    assert.equal(ctx.points[0].explicitBounds.at(-1), 2000000);
    const age = latest(run.requests, "openclaw.session.stuck_age_ms");
    assert.equal(age.points[0].sum, 185000);
    assert.equal(age.points[0].explicitBounds.at(-1), 3600000);
    const wait = latest(run.requests, "openclaw.queue.wait_ms");
    assert.deepEqual(wait.points[0].explicitBounds, [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
  });

  test("counters count events with the official attribute keys", () => {
    const v = (name, match) => pointWith(latest(run.requests, name), match)?.value;
    assert.equal(v("openclaw.message.queued", { "openclaw.channel": "webchat", "openclaw.source": "dispatch" }), 2);
    assert.equal(v("openclaw.message.processed", { "openclaw.channel": "webchat", "openclaw.outcome": "completed" }), 2);
    assert.equal(v("openclaw.queue.lane.enqueue", { "openclaw.lane": "session" }), 3);
    assert.equal(v("openclaw.queue.lane.dequeue", { "openclaw.lane": "session" }), 3);
    assert.equal(v("openclaw.session.state", { "openclaw.state": "processing", "openclaw.reason": "message" }), 3);
    assert.equal(v("openclaw.session.state", { "openclaw.state": "idle", "openclaw.reason": "run_completed" }), 3);
    assert.equal(v("openclaw.session.stuck", { "openclaw.state": "processing" }), 1);
    assert.equal(v("openclaw.webhook.received", { "openclaw.channel": "telegram", "openclaw.webhook": "message" }), 3);
    assert.equal(v("openclaw.webhook.error", { "openclaw.channel": "telegram", "openclaw.webhook": "message" }), 1);
    assert.equal(v("openclaw.run.attempt", { "openclaw.attempt": 2 }), 2);
    const depth = latest(run.requests, "openclaw.queue.depth");
    assert.equal(pointWith(depth, { "openclaw.channel": "heartbeat" }).sum, 2);
  });

  test("no session key or session id ever becomes a metric attribute", () => {
    for (const m of metricsOf(run.requests)) {
      for (const p of m.points) {
        for (const [k, val] of Object.entries(p.attrs)) {
          assert.ok(!/session(key|id)|chatid|messageid/i.test(k), `${m.name} has ${k}`);
          assert.ok(![SESSION_KEY, SESSION_ID, "m-1"].includes(val) && !String(val).includes("agent:"), `${m.name}.${k}=${val}`);
        }
      }
    }
  });

  test("status counts every event as recorded", () => {
    const expected = flows.flat().length + 5;
    assert.equal(run.status.received, expected);
    assert.equal(run.status.recorded, expected);
    assert.equal(run.status.malformed, 0);
    assert.equal(run.status.exportsFailed, 0);
  });
});

describe("other wire protocols", () => {
  for (const protocol of ["http/json", "grpc"]) {
    test(`${protocol} delivers the same telemetry`, async () => {
      const run = await runOnce({ otel: { protocol, logs: true }, trusted: true, events: messageFlow({ channel: "telegram" }), recorded: TURN });
      assert.equal(run.flushed.ok, true, run.flushed.error);
      for (const x of run.requests) assert.equal(x.error, undefined, x.error);
      const r = run.requests[0];
      if (protocol === "grpc") assert.equal(r.transport, "grpc");
      else {
        assert.equal(r.contentType, "application/json");
        assert.equal(r.path, "/v1/metrics");
      }
      const tokens = latest(run.requests, "openclaw.tokens");
      assert.equal(pointWith(tokens, { "openclaw.token": "input", "openclaw.channel": "telegram" }).value, 120);
      assert.equal(tokens.temporality, "AGGREGATION_TEMPORALITY_CUMULATIVE");
      assert.ok(Math.abs(pointWith(latest(run.requests, "openclaw.cost.usd"), { "openclaw.channel": "telegram" }).value - 0.0031) < 1e-12);
      assert.match(run.logger.lines.find((l) => l.message.includes("exporting metrics")).message, new RegExp(`OTLP ${protocol} to`));
      // Spans and log records take the same protocol, ids intact (OTLP/JSON writes them as hex).
      const harness = TURN.find((e) => e.evt.type === "harness.run.completed").evt.trace;
      const span = spansOf(run.requests).find((x) => x.name === "openclaw.harness.run");
      assert.deepEqual([span.traceId, span.spanId, span.parentSpanId], [harness.traceId, harness.spanId, harness.parentSpanId]);
      const logs = logsOf(run.requests);
      assert.deepEqual(logs.map((l) => l.spanId), TURN.filter((e) => e.evt.type === "log.record").map((e) => e.evt.trace.spanId));
    });
  }

  test("gzip compression from OTEL_EXPORTER_OTLP_COMPRESSION", async () => {
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = "gzip";
    try {
      const run = await runOnce({ otel: {}, events: messageFlow() });
      assert.equal(run.requests[0].contentEncoding, "gzip");
      assert.equal(run.requests[0].error, undefined);
      assert.ok(latest(run.requests, "openclaw.tokens"));
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
    }
  });
});

describe("subscription styles", () => {
  test("2026.2.19 hosts are served through onDiagnosticEvent", async () => {
    const run = await runOnce({ version: "2026.2.19", otel: {}, events: messageFlow() });
    assert.match(run.logger.lines.find((l) => l.message.includes("exporting metrics")).message, /events via onDiagnosticEvent/);
    assert.equal(pointWith(latest(run.requests, "openclaw.tokens"), { "openclaw.token": "output" }).value, 40);
    assert.equal(latest(run.requests, "openclaw.tokens").resource["service.version"], "2026.2.19");
  });

  test("on 2026.9 trusted events (model.usage) arrive because the internal API is used", async () => {
    const run = await runOnce({ otel: {}, trusted: true, events: [messageFlow()[5]] });
    assert.equal(pointWith(latest(run.requests, "openclaw.tokens"), { "openclaw.token": "input" }).value, 120);
  });
});

describe("configuration on the wire", () => {
  test("headers are sent but never logged; prefix renames our metrics", async () => {
    const run = await runOnce({
      otel: { headers: { Authorization: "Bearer top-secret-token", "X-Tenant": "acme" }, metricNamePrefix: "acme." },
      events: messageFlow(),
    });
    const r = run.requests[0];
    assert.equal(r.headers.authorization, "Bearer top-secret-token");
    assert.equal(r.headers["x-tenant"], "acme");
    assert.ok(latest(run.requests, "acme.tokens"));
    assert.equal(latest(run.requests, "openclaw.tokens"), undefined);
    for (const l of run.logger.lines) assert.ok(!l.message.includes("top-secret"), l.message);
  });

  test("delta temporality when the environment asks for it", async () => {
    const run = await runOnce({ otel: {}, events: messageFlow(), env: { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta" } });
    assert.equal(latest(run.requests, "openclaw.tokens").temporality, "AGGREGATION_TEMPORALITY_DELTA");
    assert.match(run.logger.lines.find((l) => l.message.includes("exporting metrics")).message, /temporality=delta/);
  });

  test("endpoint from OTEL_EXPORTER_OTLP_ENDPOINT and service name from OTEL_SERVICE_NAME", async () => {
    const receiver = await startReceiver();
    const host = await makeHost();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.httpBase;
    process.env.OTEL_SERVICE_NAME = "from-env";
    try {
      const [service] = register(host.plugin);
      await service.start(ctxFor({ enabled: true }));
      host.bus.emit(messageFlow()[1]);
      assert.equal((await host.plugin.flush(5000)).ok, true);
      await receiver.sync();
      assert.equal(latest(receiver.requests, "openclaw.message.queued").resource["service.name"], "from-env");
      await service.stop();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete process.env.OTEL_SERVICE_NAME;
      await receiver.stop();
      host.cleanup();
    }
  });
});
