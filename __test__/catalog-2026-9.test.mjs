// One realistic 2026.9 payload per event type (shapes from OpenClaw 2026.9.6's declarations),
// each asserting what reached the receiver: metric names, kinds, units, values, attributes, and
// the span it makes (or that it makes none).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ctxFor, makeHost, register } from "./support/host.mjs";
import { metricsOf, pointWith, spansOf, startReceiver } from "./support/receiver.mjs";

const SK = "agent:main:main";
const T = { trusted: true };
const I = { trusted: false, internal: true };
const U = { trusted: false };

// The span each case's event makes (docs/spans.md): [name, attribute subset, error status
// message or null, duration ms]. Cases not listed here must make no span.
const SPANS = {
  "gateway.rpc response": ["openclaw.gateway.rpc.response", { "openclaw.gateway.rpc.method": "chat.send", "openclaw.gateway.rpc.outcome": "ok" }, null, 42],
  "gateway.rpc handler": ["openclaw.gateway.rpc.handler", { "openclaw.gateway.rpc.admission_ms": 3, "openclaw.gateway.rpc.outcome": "returned" }, null, 7],
  "gateway.rpc dispatch": ["openclaw.gateway.rpc.dispatch", { "openclaw.gateway.rpc.response": "sent" }, null, 9],
  "model.usage": ["openclaw.model.usage", { "openclaw.tokens.input": 120, "openclaw.tokens.cache_write": 10, "gen_ai.usage.input_tokens": 160, "gen_ai.system": "openai", "gen_ai.request.model": "gpt-5.4", "openclaw.agent": "main" }, null, 850],
  "run.completed": ["openclaw.run", { "openclaw.outcome": "completed", "openclaw.channel": "telegram", "openclaw.model": "gpt-5.4" }, null, 61000],
  "harness.run.completed": ["openclaw.harness.run", { "openclaw.harness.id": "claude-cli", "openclaw.harness.plugin": "anthropic", "openclaw.outcome": "completed" }, null, 5000],
  "harness.run.error": ["openclaw.harness.run", { "openclaw.harness.phase": "send", "openclaw.outcome": "error", "error.type": "timeout" }, "timeout", 800],
  "model.call.completed": ["openclaw.model.call", { "gen_ai.operation.name": "text_completion", "openclaw.model_call.request_bytes": 2048, "openclaw.model_call.time_to_first_byte_ms": 300 }, null, 1500],
  "model.call.error": ["openclaw.model.call", { "openclaw.errorCategory": "rate_limit", "openclaw.failureKind": "terminated", "gen_ai.operation.name": "invoke_agent" }, "rate_limit", 250],
  "model.failover": ["openclaw.model.failover", { "openclaw.failover.to_model": "claude-sonnet-4", "openclaw.lane": "session", "openclaw.failover.suspended": true }, null, 0],
  "skill.used": ["openclaw.skill.used", { "openclaw.skill.name": "weather", "openclaw.skill.activation": "command" }, null, 0],
  "message.delivery.completed": ["openclaw.message.delivery", { "openclaw.delivery.kind": "media", "openclaw.delivery.result_count": 1, "openclaw.outcome": "completed" }, null, 120],
  "message.delivery.error": ["openclaw.message.delivery", { "openclaw.errorCategory": "network", "openclaw.outcome": "error" }, "network", 80],
  "diagnostic.liveness.warning": ["openclaw.liveness.warning", { "openclaw.liveness.reason": "event_loop_delay:cpu" }, "event_loop_delay:cpu", 0],
  "tool.execution.completed": ["openclaw.tool.execution", { "gen_ai.tool.name": "web_search", "openclaw.tool.params.kind": "object", "gen_ai.operation.name": "execute_tool" }, null, 640],
  "tool.execution.error": ["openclaw.tool.execution", { "openclaw.tool.owner": "shell", "openclaw.tool.params.length": 42, "openclaw.errorCategory": "denied" }, "denied", 10],
  "tool.execution.blocked": ["openclaw.tool.execution", { "openclaw.outcome": "blocked", "openclaw.deniedReason": "sandbox" }, null, 0],
  "tool.loop": ["openclaw.tool.loop", { "openclaw.loop.detector": "generic_repeat", "openclaw.loop.count": 5, "openclaw.loop.level": "warning" }, null, 0],
  "exec.process.completed": ["openclaw.exec", { "openclaw.exec.mode": "pty", "openclaw.exec.command_length": 12, "openclaw.failureKind": "overall-timeout" }, "overall-timeout", 3000],
  "diagnostic.memory.pressure": ["openclaw.memory.pressure", { "openclaw.memory.rss_bytes": 2e9, "openclaw.memory.threshold_bytes": 1.5e9, "openclaw.memory.reason": "rss_threshold" }, null, 0],
};

// [label, event, meta, [[metric, kind, unit, attrs, value-or-{count,sum}], ...]]
const CASES = [
  ["gateway.rpc received", { type: "gateway.rpc", method: "chat.send", phase: "received" }, T,
    [["openclaw.gateway.rpc.requests", "sum", "1", { "openclaw.gateway.rpc.method": "chat.send" }, 1]]],
  ["gateway.rpc response", { type: "gateway.rpc", method: "chat.send", phase: "response", outcome: "ok", durationMs: 42 }, T,
    [["openclaw.gateway.rpc.outcomes", "sum", "1", { "openclaw.gateway.rpc.phase": "response", "openclaw.gateway.rpc.outcome": "ok" }, 1],
     ["openclaw.gateway.rpc.first_response_ms", "histogram", "ms", { "openclaw.gateway.rpc.method": "chat.send" }, { count: 1, sum: 42 }]]],
  ["gateway.rpc handler", { type: "gateway.rpc", method: "sessions.list", phase: "handler", outcome: "returned", durationMs: 7, admissionMs: 3 }, T,
    [["openclaw.gateway.rpc.handler_ms", "histogram", "ms", { "openclaw.gateway.rpc.method": "sessions.list" }, { count: 1, sum: 7 }],
     ["openclaw.gateway.rpc.admission_ms", "histogram", "ms", { "openclaw.gateway.rpc.method": "sessions.list" }, { count: 1, sum: 3 }]]],
  ["gateway.rpc dispatch", { type: "gateway.rpc", method: "agent", phase: "dispatch", outcome: "returned", durationMs: 9, queueWaitMs: 2, response: "sent" }, T,
    [["openclaw.gateway.rpc.queue_wait_ms", "histogram", "ms", { "openclaw.gateway.rpc.method": "agent" }, { count: 1, sum: 2 }],
     ["openclaw.gateway.rpc.outcomes", "sum", "1", { "openclaw.gateway.rpc.phase": "dispatch", "openclaw.gateway.rpc.outcome": "returned" }, 1]]],
  ["diagnostic.gc", { type: "diagnostic.gc", durationMs: 12.5 }, I,
    [["openclaw.gc.duration_ms", "histogram", "ms", {}, { count: 1, sum: 12.5 }]]],
  ["gateway.event_loop.sample", { type: "gateway.event_loop.sample", intervalMs: 1000, delayMaxMs: 35 }, T,
    [["openclaw.gateway.event_loop.delay_max_ms", "histogram", "ms", {}, { count: 1, sum: 35 }],
     ["openclaw.gateway.event_loop.observed_ms", "sum", "ms", {}, 1000]]],
  ["model.usage", { type: "model.usage", sessionKey: SK, channel: "webchat", agentId: "main", provider: "openai", model: "gpt-5.4",
      usage: { input: 120, output: 40, cacheRead: 30, cacheWrite: 10, promptTokens: 160, total: 200 }, context: { limit: 128000, used: 160 }, costUsd: 0.0012, durationMs: 850 }, T,
    [["openclaw.tokens", "sum", "1", { "openclaw.token": "cache_write", "openclaw.agent": "main", "openclaw.model": "gpt-5.4" }, 10],
     ["gen_ai.client.token.usage", "histogram", "{token}", { "gen_ai.token.type": "input", "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-5.4" }, { count: 1, sum: 120 }],
     ["gen_ai.client.token.usage", "histogram", "{token}", { "gen_ai.token.type": "output" }, { count: 1, sum: 40 }],
     ["openclaw.cost.usd", "sum", "1", { "openclaw.agent": "main" }, 0.0012],
     ["openclaw.run.duration_ms", "histogram", "ms", { "openclaw.provider": "openai" }, { count: 1, sum: 850 }],
     ["openclaw.context.tokens", "histogram", "1", { "openclaw.context": "used" }, { count: 1, sum: 160 }]]],
  ["run.completed", { type: "run.completed", runId: "r1", sessionKey: SK, provider: "openai", model: "gpt-5.4", channel: "telegram", durationMs: 61000, outcome: "completed" }, T,
    [["openclaw.run.duration_ms", "histogram", "ms", { "openclaw.outcome": "completed", "openclaw.channel": "telegram" }, { count: 1, sum: 61000 }]]],
  ["harness.run.completed", { type: "harness.run.completed", runId: "r1", harnessId: "claude-cli", pluginId: "anthropic", provider: "anthropic", model: "claude-sonnet-4", durationMs: 5000, outcome: "completed" }, T,
    [["openclaw.harness.duration_ms", "histogram", "ms", { "openclaw.harness.id": "claude-cli", "openclaw.harness.plugin": "anthropic", "openclaw.outcome": "completed" }, { count: 1, sum: 5000 }]]],
  ["harness.run.error", { type: "harness.run.error", runId: "r2", harnessId: "codex", durationMs: 800, phase: "send", errorCategory: "timeout" }, T,
    [["openclaw.harness.duration_ms", "histogram", "ms", { "openclaw.harness.id": "codex", "openclaw.outcome": "error", "openclaw.harness.phase": "send", "openclaw.errorCategory": "timeout", "openclaw.harness.plugin": "unknown" }, { count: 1, sum: 800 }]]],
  ["model.call.completed", { type: "model.call.completed", runId: "r1", callId: "c1", provider: "openai", model: "gpt-5.4", api: "openai-completions", transport: "http",
      durationMs: 1500, requestPayloadBytes: 2048, responseStreamBytes: 512, timeToFirstByteMs: 300 }, T,
    [["openclaw.model_call.duration_ms", "histogram", "ms", { "openclaw.api": "openai-completions", "openclaw.transport": "http", "openclaw.model_call.observation_unit": "request" }, { count: 1, sum: 1500 }],
     ["openclaw.model_call.request_bytes", "histogram", "By", { "openclaw.provider": "openai" }, { count: 1, sum: 2048 }],
     ["openclaw.model_call.response_bytes", "histogram", "By", {}, { count: 1, sum: 512 }],
     ["openclaw.model_call.time_to_first_byte_ms", "histogram", "ms", {}, { count: 1, sum: 300 }],
     ["gen_ai.client.operation.duration", "histogram", "s", { "gen_ai.operation.name": "text_completion", "gen_ai.request.model": "gpt-5.4" }, { count: 1, sum: 1.5 }]]],
  ["model.call.error", { type: "model.call.error", runId: "r1", callId: "c2", provider: "anthropic", model: "claude-sonnet-4", api: "anthropic-messages", observationUnit: "turn",
      durationMs: 250, errorCategory: "rate_limit", failureKind: "terminated" }, T,
    [["openclaw.model_call.duration_ms", "histogram", "ms", { "openclaw.errorCategory": "rate_limit", "openclaw.failureKind": "terminated", "openclaw.model_call.observation_unit": "turn" }, { count: 1, sum: 250 }],
     ["gen_ai.client.operation.duration", "histogram", "s", { "gen_ai.operation.name": "invoke_agent", "error.type": "rate_limit" }, { count: 1, sum: 0.25 }]]],
  ["model.failover", { type: "model.failover", lane: `session:${SK}`, fromProvider: "openai", fromModel: "gpt-5.4", toProvider: "anthropic", toModel: "claude-sonnet-4", reason: "rate_limit", suspended: true }, U,
    [["openclaw.model.failover", "sum", "1", { "openclaw.lane": "session", "openclaw.failover.suspended": "true", "openclaw.failover.to_provider": "anthropic", "openclaw.failover.reason": "rate_limit" }, 1]]],
  ["skill.used", { type: "skill.used", runId: "r1", agentId: "main", skillName: "weather", skillSource: "bundled", activation: "command" }, T,
    [["openclaw.skill.used", "sum", "1", { "openclaw.skill.name": "weather", "openclaw.skill.source": "bundled", "openclaw.skill.activation": "command", "openclaw.agent": "main" }, 1]]],
  ["message.received", { type: "message.received", channel: "telegram", source: "webhook", messageId: 99, chatId: 5 }, U,
    [["openclaw.message.received", "sum", "1", { "openclaw.channel": "telegram", "openclaw.source": "webhook" }, 1]]],
  ["message.dispatch.started", { type: "message.dispatch.started", channel: "telegram", source: "webhook" }, U,
    [["openclaw.message.dispatch.started", "sum", "1", { "openclaw.channel": "telegram" }, 1]]],
  ["message.dispatch.completed", { type: "message.dispatch.completed", channel: "telegram", source: "webhook", durationMs: 300, outcome: "skipped" }, U,
    [["openclaw.message.dispatch.completed", "sum", "1", { "openclaw.outcome": "skipped", "openclaw.reason": "none" }, 1],
     ["openclaw.message.dispatch.duration_ms", "histogram", "ms", { "openclaw.reason": "none" }, { count: 1, sum: 300 }]]],
  ["message.delivery.started", { type: "message.delivery.started", channel: "telegram", deliveryKind: "text" }, U,
    [["openclaw.message.delivery.started", "sum", "1", { "openclaw.delivery.kind": "text" }, 1]]],
  ["message.delivery.completed", { type: "message.delivery.completed", channel: "telegram", deliveryKind: "media", durationMs: 120, resultCount: 1 }, U,
    [["openclaw.message.delivery.duration_ms", "histogram", "ms", { "openclaw.outcome": "completed", "openclaw.delivery.kind": "media" }, { count: 1, sum: 120 }]]],
  ["message.delivery.error", { type: "message.delivery.error", channel: "telegram", deliveryKind: "text", durationMs: 80, errorCategory: "network" }, U,
    [["openclaw.message.delivery.duration_ms", "histogram", "ms", { "openclaw.outcome": "error", "openclaw.errorCategory": "network" }, { count: 1, sum: 80 }]]],
  ["talk.event", { type: "talk.event", talkEventType: "output.audio.delta", mode: "realtime", transport: "webrtc", brain: "agent-consult", provider: "openai", durationMs: 20, byteLength: 3200 }, T,
    [["openclaw.talk.event", "sum", "1", { "openclaw.talk.event_type": "output.audio.delta", "openclaw.talk.mode": "realtime", "openclaw.talk.brain": "agent-consult" }, 1],
     ["openclaw.talk.event.duration_ms", "histogram", "ms", { "openclaw.talk.transport": "webrtc" }, { count: 1, sum: 20 }],
     ["openclaw.talk.audio.bytes", "histogram", "By", { "openclaw.talk.provider": "openai" }, { count: 1, sum: 3200 }]]],
  ["session.turn.created", { type: "session.turn.created", runId: "r1", sessionKey: SK, agentId: "main", channel: "webchat", trigger: "user" }, U,
    [["openclaw.session.turn.created", "sum", "1", { "openclaw.agent": "main", "openclaw.channel": "webchat", "openclaw.trigger": "user" }, 1]]],
  ["session.recovery.requested", { type: "session.recovery.requested", sessionKey: SK, state: "processing", ageMs: 240000, reason: "stale", activeWorkKind: "model_call", allowActiveAbort: true }, U,
    [["openclaw.session.recovery.requested", "sum", "1", { "openclaw.state": "processing", "openclaw.action": "abort", "openclaw.active_work_kind": "model_call", "openclaw.reason": "stale" }, 1],
     ["openclaw.session.recovery.age_ms", "histogram", "ms", { "openclaw.action": "abort" }, { count: 1, sum: 240000 }]]],
  ["session.recovery.completed", { type: "session.recovery.completed", state: "processing", ageMs: 241000, reason: "stale", status: "released", action: "release", outcomeReason: "lane_released" }, U,
    [["openclaw.session.recovery.completed", "sum", "1", { "openclaw.status": "released", "openclaw.action": "release", "openclaw.reason": "lane_released" }, 1]]],
  ["diagnostic.liveness.warning", { type: "diagnostic.liveness.warning", reasons: ["event_loop_delay", "cpu"], intervalMs: 30000, eventLoopDelayP99Ms: 120, eventLoopDelayMaxMs: 900,
      eventLoopUtilization: 0.97, cpuCoreRatio: 1.4, active: 2, waiting: 1, queued: 4 }, U,
    [["openclaw.liveness.warning", "sum", "1", { "openclaw.liveness.reason": "event_loop_delay:cpu" }, 1],
     ["openclaw.queue.depth", "histogram", "1", { "openclaw.channel": "liveness" }, { count: 1, sum: 4 }],
     ["openclaw.liveness.event_loop_delay_p99_ms", "histogram", "ms", {}, { count: 1, sum: 120 }],
     ["openclaw.liveness.event_loop_delay_max_ms", "histogram", "ms", {}, { count: 1, sum: 900 }],
     ["openclaw.liveness.event_loop_utilization", "histogram", "1", {}, { count: 1, sum: 0.97 }],
     ["openclaw.liveness.cpu_core_ratio", "histogram", "1", {}, { count: 1, sum: 1.4 }]]],
  ["tool.execution.completed", { type: "tool.execution.completed", runId: "r1", toolName: "web_search", toolSource: "core", paramsSummary: { kind: "object" }, durationMs: 640 }, U,
    [["openclaw.tool.execution.duration_ms", "histogram", "ms", { "openclaw.toolName": "web_search", "gen_ai.tool.name": "web_search", "openclaw.tool.source": "core", "openclaw.tool.params.kind": "object" }, { count: 1, sum: 640 }]]],
  ["tool.execution.error", { type: "tool.execution.error", toolName: "exec", toolSource: "plugin", toolOwner: "shell", paramsSummary: { kind: "string", length: 42 }, durationMs: 10, errorCategory: "denied" }, U,
    [["openclaw.tool.execution.duration_ms", "histogram", "ms", { "openclaw.errorCategory": "denied", "openclaw.tool.owner": "shell", "openclaw.tool.params.length": 42 }, { count: 1, sum: 10 }]]],
  ["tool.execution.blocked", { type: "tool.execution.blocked", toolName: "exec", deniedReason: "sandbox", reason: "policy" }, U,
    [["openclaw.tool.execution.blocked", "sum", "1", { "openclaw.deniedReason": "sandbox", "openclaw.tool.source": "core" }, 1]]],
  ["tool.loop", { type: "tool.loop", toolName: "read_file", level: "warning", action: "warn", detector: "generic_repeat", count: 5, message: "looping over /etc/passwd" }, U,
    [["openclaw.tool.loop", "sum", "1", { "openclaw.toolName": "read_file", "openclaw.loop.level": "warning", "openclaw.loop.detector": "generic_repeat", "openclaw.loop.count": 5 }, 1]]],
  ["exec.process.completed", { type: "exec.process.completed", target: "sandbox", mode: "pty", outcome: "failed", durationMs: 3000, commandLength: 12, failureKind: "overall-timeout" }, U,
    [["openclaw.exec.duration_ms", "histogram", "ms", { "openclaw.exec.target": "sandbox", "openclaw.exec.mode": "pty", "openclaw.outcome": "failed", "openclaw.failureKind": "overall-timeout" }, { count: 1, sum: 3000 }]]],
  ["diagnostic.memory.sample", { type: "diagnostic.memory.sample", memory: { rssBytes: 300e6, heapTotalBytes: 120e6, heapUsedBytes: 90e6, externalBytes: 5e6, arrayBuffersBytes: 1e6 }, uptimeMs: 1000 }, U,
    [["openclaw.memory.rss_bytes", "histogram", "By", {}, { count: 1, sum: 300e6 }],
     ["openclaw.memory.array_buffers_bytes", "histogram", "By", {}, { count: 1, sum: 1e6 }]]],
  ["diagnostic.memory.pressure", { type: "diagnostic.memory.pressure", level: "warning", reason: "rss_threshold", memory: { rssBytes: 2e9, heapTotalBytes: 1e9, heapUsedBytes: 9e8, externalBytes: 1e7, arrayBuffersBytes: 2e6 }, thresholdBytes: 1.5e9 }, U,
    [["openclaw.memory.pressure", "sum", "1", { "openclaw.memory.level": "warning", "openclaw.memory.reason": "rss_threshold" }, 1],
     ["openclaw.memory.heap_used_bytes", "histogram", "By", { "openclaw.memory.level": "warning" }, { count: 1, sum: 9e8 }]]],
  ["diagnostic.async_queue.dropped", { type: "diagnostic.async_queue.dropped", droppedEvents: 7, droppedTrustedEvents: 2, droppedUntrustedEvents: 5, queueLength: 1000, maxQueueLength: 1000, drainBatchSize: 100 }, U,
    [["openclaw.diagnostic.async_queue.dropped", "sum", "1", { "openclaw.diagnostic.async_queue.drop_class": "total" }, 7],
     ["openclaw.diagnostic.async_queue.dropped", "sum", "1", { "openclaw.diagnostic.async_queue.drop_class": "untrusted" }, 5]]],
  ["payload.large", { type: "payload.large", surface: "gateway.ws", action: "truncated", bytes: 5e6, limitBytes: 4e6, channel: "webchat" }, U,
    [["openclaw.payload.large", "sum", "1", { "openclaw.payload.surface": "gateway.ws", "openclaw.payload.action": "truncated", "openclaw.channel": "webchat", "openclaw.plugin": "none", "openclaw.reason": "none" }, 1],
     ["openclaw.payload.large_bytes", "histogram", "By", { "openclaw.payload.action": "truncated" }, { count: 1, sum: 5e6 }]]],
  ["telemetry.exporter", { type: "telemetry.exporter", exporter: "diagnostics-prometheus", signal: "metrics", status: "failure", reason: "handler_failed", errorCategory: "TypeError" }, T,
    [["openclaw.telemetry.exporter.events", "sum", "1", { "openclaw.exporter": "diagnostics-prometheus", "openclaw.signal": "metrics", "openclaw.status": "failure", "openclaw.reason": "handler_failed", "openclaw.errorCategory": "TypeError" }, 1]]],
];

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
