// One realistic 2026.9 payload per event type (shapes from OpenClaw 2026.9.6's declarations),
// each asserting what reached the receiver: metric names, kinds, units, values, attributes, and
// the span it makes (or that it makes none).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ctxFor, makeHost, register } from "./support/host.mjs";
import { CASES, U } from "./support/catalog-cases.mjs";
import { metricsOf, pointWith, spansOf, startReceiver } from "./support/receiver.mjs";

// The span each case's event makes (docs/spans.md): [name, attribute subset, error status
// message or null, duration ms]. Cases not listed here must make no span.
const SPANS = {
  "gateway.rpc response": ["openclaw.gateway.rpc.response", { "openclaw.gateway.rpc.method": "chat.send", "openclaw.gateway.rpc.outcome": "ok" }, null, 42],
  "gateway.rpc handler": ["openclaw.gateway.rpc.handler", { "openclaw.gateway.rpc.admission_ms": 3, "openclaw.gateway.rpc.outcome": "returned" }, null, 7],
  "gateway.rpc dispatch": ["openclaw.gateway.rpc.dispatch", { "openclaw.gateway.rpc.response": "sent" }, null, 9],
  "model.usage": ["openclaw.model.usage", { "openclaw.tokens.input": 120, "openclaw.tokens.cache_write": 10, "gen_ai.usage.input_tokens": 160, "gen_ai.system": "openai", "gen_ai.request.model": "gpt-5.4", "openclaw.agent": "main" }, null, 850],
  "run.completed": ["openclaw.run", { "openclaw.outcome": "completed", "openclaw.channel": "telegram", "openclaw.model": "gpt-5.4", "openclaw.agent": "main" }, null, 61000],
  "harness.run.completed": ["openclaw.harness.run", { "openclaw.harness.id": "claude-cli", "openclaw.harness.plugin": "anthropic", "openclaw.outcome": "completed", "openclaw.agent": undefined }, null, 5000],
  "harness.run.error": ["openclaw.harness.run", { "openclaw.harness.phase": "send", "openclaw.outcome": "error", "error.type": "timeout" }, "timeout", 800],
  "model.call.completed": ["openclaw.model.call", { "gen_ai.operation.name": "text_completion", "openclaw.model_call.request_bytes": 2048, "openclaw.model_call.time_to_first_byte_ms": 300, "openclaw.agent": "helper" }, null, 1500],
  "model.call.error": ["openclaw.model.call", { "openclaw.errorCategory": "rate_limit", "openclaw.failureKind": "terminated", "gen_ai.operation.name": "invoke_agent" }, "rate_limit", 250],
  "model.failover": ["openclaw.model.failover", { "openclaw.failover.to_model": "claude-sonnet-4", "openclaw.lane": "session", "openclaw.failover.suspended": true }, null, 0],
  "skill.used": ["openclaw.skill.used", { "openclaw.skill.name": "weather", "openclaw.skill.activation": "command" }, null, 0],
  "message.delivery.completed": ["openclaw.message.delivery", { "openclaw.delivery.kind": "media", "openclaw.delivery.result_count": 1, "openclaw.outcome": "completed" }, null, 120],
  "message.delivery.error": ["openclaw.message.delivery", { "openclaw.errorCategory": "network", "openclaw.outcome": "error" }, "network", 80],
  "diagnostic.liveness.warning": ["openclaw.liveness.warning", { "openclaw.liveness.reason": "event_loop_delay:cpu" }, "event_loop_delay:cpu", 0],
  "tool.execution.completed": ["openclaw.tool.execution", { "gen_ai.tool.name": "web_search", "openclaw.tool.params.kind": "object", "gen_ai.operation.name": "execute_tool", "openclaw.agent": "ops" }, null, 640],
  "tool.execution.error": ["openclaw.tool.execution", { "openclaw.tool.owner": "shell", "openclaw.tool.params.length": 42, "openclaw.errorCategory": "denied" }, "denied", 10],
  "tool.execution.blocked": ["openclaw.tool.execution", { "openclaw.outcome": "blocked", "openclaw.deniedReason": "sandbox" }, null, 0],
  "tool.loop": ["openclaw.tool.loop", { "openclaw.loop.detector": "generic_repeat", "openclaw.loop.count": 5, "openclaw.loop.level": "warning", "openclaw.agent": "main" }, null, 0],
  "exec.process.completed": ["openclaw.exec", { "openclaw.exec.mode": "pty", "openclaw.exec.command_length": 12, "openclaw.failureKind": "overall-timeout" }, "overall-timeout", 3000],
  "diagnostic.memory.pressure": ["openclaw.memory.pressure", { "openclaw.memory.rss_bytes": 2e9, "openclaw.memory.threshold_bytes": 1.5e9, "openclaw.memory.reason": "rss_threshold" }, null, 0],
};

// [label, event, meta, [[metric, kind, unit, attrs, value-or-{count,sum}], ...]]

// Events that must NOT count when the host does not mark them trusted.
const UNTRUSTED_IGNORED = [
  { type: "gateway.rpc", method: "chat.send", phase: "received" },
  { type: "talk.event", talkEventType: "turn.started", mode: "realtime", transport: "webrtc", brain: "none" },
  { type: "skill.used", skillName: "x", skillSource: "workspace", activation: "read" },
  { type: "telemetry.exporter", exporter: "x", signal: "logs", status: "started" },
  { type: "diagnostic.gc", durationMs: 1 },
];

describe("2026.9 catalog, one event type at a time", () => {
  let receiver;
  let host;
  let service;
  before(async () => {
    receiver = await startReceiver();
    host = await makeHost("2026.9.6");
    [service] = register(host.plugin);
  });
  after(async () => {
    await service.stop();
    await receiver.stop();
    host.cleanup();
  });

  for (const [label, event, meta, expected] of CASES) {
    test(label, async () => {
      // A fresh generation per case, so cumulative values belong to this event alone.
      await service.start(ctxFor({ enabled: true, endpoint: receiver.httpBase }));
      const seen = receiver.requests.length;
      host.bus.emit(event, meta);
      assert.equal((await host.plugin.flush(5000)).ok, true);
      await receiver.sync();
      assert.equal(host.plugin.status().recorded, 1, "recorded, not malformed or ignored");
      await service.stop();
      // The stop's final export too, so that none of it lands in the next case's requests.
      await receiver.sync();
      const metrics = metricsOf(receiver.requests.slice(seen));
      const spans = spansOf(receiver.requests.slice(seen));
      const want = SPANS[label];
      if (!want) assert.deepEqual(spans.map((x) => x.name), [], "this event makes no span");
      else {
        const [name, attrs, error, durationMs] = want;
        assert.deepEqual(spans.map((x) => x.name), [name]);
        const [span] = spans;
        for (const [k, v] of Object.entries(attrs)) assert.equal(span.attrs[k], v, `${name} ${k}`);
        assert.equal(span.statusCode, error === null ? undefined : "STATUS_CODE_ERROR", name);
        if (error !== null) assert.equal(span.statusMessage, error, name);
        assert.equal(span.endMs - span.startMs, durationMs, `${name} backdated by durationMs`);
        for (const [k, v] of Object.entries(span.attrs)) assert.ok(!String(v).startsWith("agent:") && !/^(r1|r2|c1|c2)$/.test(String(v)), `${name} ${k}=${v}`);
      }
      for (const [name, kind, unit, attrs, value] of expected) {
        const m = metrics.filter((x) => x.name === name).at(-1);
        assert.ok(m, `${name} not exported; got ${[...new Set(metrics.map((x) => x.name))].join(", ")}`);
        assert.equal(m.kind, kind, name);
        assert.equal(m.unit, unit, name);
        const p = pointWith(m, attrs);
        assert.ok(p, `${name}: no point with ${JSON.stringify(attrs)} in ${JSON.stringify(m.points.map((x) => x.attrs))}`);
        for (const v of Object.values(p.attrs)) assert.ok(!String(v).startsWith("agent:"), `${name} leaks ${v}`);
        if (typeof value === "number") assert.ok(Math.abs(p.value - value) < 1e-9, `${name}: ${p.value} != ${value}`);
        else {
          assert.equal(p.count, value.count, name);
          assert.ok(Math.abs(p.sum - value.sum) < 1e-9, `${name}: sum ${p.sum} != ${value.sum}`);
        }
      }
    });
  }

  test("trust-gated events are ignored when untrusted", async () => {
    await service.start(ctxFor({ enabled: true, endpoint: receiver.httpBase }));
    const seen = receiver.requests.length;
    for (const e of UNTRUSTED_IGNORED) host.bus.emit(e, U);
    await host.plugin.flush(5000);
    await receiver.sync();
    const st = host.plugin.status();
    await service.stop();
    await receiver.sync();
    assert.equal(st.ignored, UNTRUSTED_IGNORED.length);
    assert.equal(st.recorded, 0);
    // Only the plugin's own exporter lifecycle may be exported, nothing from those events.
    for (const m of metricsOf(receiver.requests.slice(seen))) {
      assert.equal(m.name, "openclaw.telemetry.exporter.events");
      for (const p of m.points) assert.equal(p.attrs["openclaw.exporter"], "diagnostics-otel");
    }
  });
});
