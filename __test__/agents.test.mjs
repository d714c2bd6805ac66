// Agent attribution (issue #13 item 5) in a stand-in 2026.9 host: `openclaw.agent` on usage,
// cost, run, harness, model-call and tool metrics and spans is the event's `agentId` when the
// low-cardinality policy keeps it, else the agent segment of its session key
// (`agent:<id>:<rest>`), else `unknown` (metrics; spans other than usage leave it out). The
// session key itself, and the rest of it, never appear in any attribute.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ctxFor, makeHost, register } from "./support/host.mjs";
import { metricsOf, spansOf, startReceiver } from "./support/receiver.mjs";

const T = { trusted: true };
const AGENT = "openclaw.agent";
const REST = "telegram:dm:+15551230001";
const usage = (extra) => ({ type: "model.usage", channel: "webchat", provider: "mock", model: "m1", usage: { input: 10, output: 5, total: 15 }, costUsd: 0.01, durationMs: 100, ...extra });
const run = (extra) => ({ type: "run.completed", runId: "r1", provider: "mock", model: "m1", durationMs: 200, outcome: "completed", ...extra });
const call = (extra) => ({ type: "model.call.completed", runId: "r1", callId: "c1", provider: "mock", model: "m1", api: "openai-completions", durationMs: 50, ...extra });
const harness = (extra) => ({ type: "harness.run.completed", runId: "r1", harnessId: "pi", provider: "mock", model: "m1", durationMs: 300, outcome: "completed", ...extra });
const tool = (extra) => ({ type: "tool.execution.completed", runId: "r1", toolName: "read", durationMs: 5, ...extra });
const ALL = [usage, run, call, harness, tool];
const METRIC = {
  "model.usage": "openclaw.tokens",
  "run.completed": "openclaw.run.duration_ms",
  "model.call.completed": "openclaw.model_call.duration_ms",
  "harness.run.completed": "openclaw.harness.duration_ms",
  "tool.execution.completed": "openclaw.tool.execution.duration_ms",
};
const SPAN = {
  "model.usage": "openclaw.model.usage",
  "run.completed": "openclaw.run",
  "model.call.completed": "openclaw.model.call",
  "harness.run.completed": "openclaw.harness.run",
  "tool.execution.completed": "openclaw.tool.execution",
};

describe("openclaw.agent derivation", () => {
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

  /** Emits the events through a fresh generation; returns {metric: [agent per point], span: [agent per span]} by event type, and every attribute value. */
  async function emit(events) {
    await service.start(ctxFor({ enabled: true, endpoint: receiver.httpBase, traces: true }));
    const seen = receiver.requests.length;
    for (const e of events) host.bus.emit(e, T);
    assert.equal((await host.plugin.flush(5000)).ok, true);
    assert.equal(host.plugin.status().recorded, events.length, "every event recorded, none malformed");
    await service.stop();
    await receiver.sync();
    const reqs = receiver.requests.slice(seen);
    const metrics = metricsOf(reqs);
    const spans = spansOf(reqs);
    const out = {};
    for (const type of new Set(events.map((e) => e.type))) {
      const m = metrics.filter((x) => x.name === METRIC[type]).at(-1);
      out[type] = {
        metric: [...new Set((m?.points ?? []).map((p) => p.attrs[AGENT]))],
        span: spans.filter((s) => s.name === SPAN[type]).map((s) => s.attrs[AGENT]),
      };
    }
    const values = [
      ...metrics.flatMap((m) => m.points.flatMap((p) => Object.entries(p.attrs).map(([k, v]) => [`${m.name} ${k}`, v]))),
      ...spans.flatMap((s) => Object.entries(s.attrs).map(([k, v]) => [`${s.name} ${k}`, v])),
    ];
    return { by: out, values };
  }

  test("the event's agentId wins over its session key", async () => {
    const { by } = await emit(ALL.map((f) => f({ agentId: "ops", sessionKey: `agent:main:${REST}` })));
    for (const [type, { metric, span }] of Object.entries(by)) {
      assert.deepEqual(metric, ["ops"], type);
      assert.deepEqual(span, ["ops"], type);
    }
  });

  test("without agentId, the session key's agent", async () => {
    const { by } = await emit(ALL.map((f) => f({ sessionKey: `agent:helper:${REST}` })));
    for (const [type, { metric, span }] of Object.entries(by)) {
      assert.deepEqual(metric, ["helper"], type);
      assert.deepEqual(span, ["helper"], type);
    }
  });

  test("an agentId the policy refuses falls back to the session key, then to unknown", async () => {
    let { by } = await emit([usage({ agentId: "two words", sessionKey: "agent:helper:main" })]);
    assert.deepEqual(by["model.usage"].metric, ["helper"]);
    for (const bad of [{ agentId: "two words" }, { agentId: "agent:main:main" }, { agentId: "x".repeat(121) }, { sessionKey: "agent:bad id:main" }, { sessionKey: "main" }, {}]) {
      ({ by } = await emit(ALL.map((f) => f(bad))));
      for (const [type, { metric, span }] of Object.entries(by)) {
        assert.deepEqual(metric, ["unknown"], `${type} ${JSON.stringify(bad)}`);
        // The usage span always has the key (as before); the others leave it out.
        assert.deepEqual(span, [type === "model.usage" ? "unknown" : undefined], `${type} ${JSON.stringify(bad)}`);
      }
    }
  });

  test("the session key, or any part past its agent, is never an attribute", async () => {
    const keys = [`agent:main:${REST}`, `agent:helper:${REST}`, "agent:main:main"];
    const { values } = await emit(ALL.flatMap((f) => keys.map((sessionKey) => f({ sessionKey, sessionId: "sess-123" }))));
    assert.ok(values.length > 50);
    for (const [where, v] of values) {
      const s = String(v);
      assert.ok(!keys.includes(s) && !/agent:/i.test(s) && !s.includes("+15551230001") && !s.includes("dm:") && s !== "sess-123", `${where} = ${s}`);
    }
  });
});
