// Agent attribution (issue #13 item 5) in a stand-in 2026.9 host, decoded from the wire:
// `openclaw.agent` on usage, cost, run, harness, model-call and tool metrics and spans is the
// event's `agentId` when the low-cardinality policy keeps it, else the agent segment of its
// session key (`agent:<id>:<rest>`), else the agent the generation learned for its run, session
// id or key from an earlier event, else `unknown` (metrics; spans other than usage leave it
// out). The session key itself, the rest of it, and the ids never appear in any attribute.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ctxFor, makeHost, register } from "./support/host.mjs";
import { TURN } from "./support/events.mjs";
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
  "model.usage": ["openclaw.tokens", "openclaw.cost.usd"],
  "run.completed": ["openclaw.run.duration_ms"],
  "model.call.completed": ["openclaw.model_call.duration_ms"],
  "harness.run.completed": ["openclaw.harness.duration_ms"],
  "tool.execution.completed": ["openclaw.tool.execution.duration_ms"],
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
  async function emit(events, { metas, traces = true } = {}) {
    await service.start(ctxFor({ enabled: true, endpoint: receiver.httpBase, traces }));
    const seen = receiver.requests.length;
    for (const [i, e] of events.entries()) host.bus.emit(e, metas?.[i] ?? T);
    assert.equal((await host.plugin.flush(5000)).ok, true);
    if (metas) assert.equal(host.plugin.status().malformed, 0, "none malformed");
    else assert.equal(host.plugin.status().recorded, events.length, "every event recorded, none malformed");
    await service.stop();
    await receiver.sync();
    const reqs = receiver.requests.slice(seen);
    const metrics = metricsOf(reqs);
    const spans = spansOf(reqs);
    const out = {};
    for (const type of new Set(events.map((e) => e.type).filter((t) => METRIC[t]))) {
      // Every listed metric exported, each point's agent; the union over them.
      const agents = METRIC[type].map((name) => {
        const m = metrics.filter((x) => x.name === name).at(-1);
        assert.ok(m?.points.length, `${name} exported`);
        return m.points.map((p) => p.attrs[AGENT]);
      });
      out[type] = {
        metric: [...new Set(agents.flat())],
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

  test("without either, the agent learned for the event's run, session id or key", async () => {
    // The teacher names its agent and carries the ids; the others carry only one id each.
    const teacher = run({ runId: "r-ops", sessionId: "s-ops", sessionKey: "global", agentId: "ops" });
    const { by } = await emit([
      teacher,
      usage({ sessionId: "s-ops" }),
      usage({ sessionKey: "global" }),
      ...[run, call, harness, tool].map((f) => f({ runId: "r-ops" })),
    ]);
    for (const [type, { metric, span }] of Object.entries(by)) {
      assert.deepEqual(metric, ["ops"], type);
      assert.deepEqual([...new Set(span)], ["ops"], type);
    }
  });

  test("the run is the most specific id, and the event's own agent still wins", async () => {
    const { by } = await emit([
      run({ runId: "r-ops", sessionId: "s-shared", agentId: "ops" }),
      run({ runId: "r-main", sessionId: "s-shared", sessionKey: `agent:main:${REST}` }),
      call({ runId: "r-ops", sessionId: "s-shared" }),
      tool({ runId: "r-ops", agentId: "helper" }),
    ]);
    assert.deepEqual(by["model.call.completed"].span, ["ops"]);
    assert.deepEqual(by["tool.execution.completed"].span, ["helper"]);
  });

  test("what a generation learned is gone after stop: the next one starts empty", async () => {
    await emit([run({ runId: "r-ops", sessionId: "s-ops", agentId: "ops" })]);
    const { by } = await emit([call({ runId: "r-ops", sessionId: "s-ops" })]);
    assert.deepEqual(by["model.call.completed"].metric, ["unknown"]);
    assert.deepEqual(by["model.call.completed"].span, [undefined]);
  });

  // The recorded 2026.9.6 turn (two tools): its usage and tool events carry agentId, its run,
  // harness and model-call events only the session key `agent:main:main`.
  const turn = TURN.filter(({ evt }) => evt.type !== "log.record");
  const check = (by) => {
    assert.deepEqual(Object.keys(by).sort(), Object.keys(METRIC).sort(), "every attributed type is in the turn");
    for (const [type, { metric, span }] of Object.entries(by)) {
      assert.deepEqual(metric, ["main"], type);
      assert.ok(span.length > 0 && span.every((a) => a === "main"), `${type}: ${span}`);
    }
  };

  test("the recorded 2026.9.6 tool turn: every usage, run, harness, model-call and tool point and span is main", async () => {
    check((await emit(turn.map((t) => t.evt), { metas: turn.map((t) => t.meta) })).by);
    // Metrics only: the projection still carries what the agent is read from.
    const { by } = await emit(turn.map((t) => t.evt), { metas: turn.map((t) => t.meta), traces: false });
    for (const [type, { metric }] of Object.entries(by)) assert.deepEqual(metric, ["main"], type);
  });

  test("the same turn from a host that names the agent once: the rest resolved from what was learned", async () => {
    // Only session.turn.created keeps agentId and its key; every other event loses both.
    let named = false;
    const events = turn.map(({ evt }) => {
      if (evt.type === "session.turn.created" && !named) {
        named = true;
        return { ...evt, sessionKey: "custom-key" };
      }
      const { agentId, sessionKey, ...rest } = evt;
      return rest;
    });
    assert.ok(named);
    // model.usage carries sessionId but no runId; the others runId and sessionId.
    check((await emit(events, { metas: turn.map((t) => t.meta) })).by);
  });

  test("the session key, or any part past its agent, is never an attribute", async () => {
    const keys = [`agent:main:${REST}`, `agent:helper:${REST}`, "agent:main:main"];
    const learned = [run({ runId: "run-777", sessionId: "sess-777", sessionKey: "custom-key-777", agentId: "ops" }), ...ALL.map((f) => f({ runId: "run-777", sessionId: "sess-777", sessionKey: "custom-key-777" }))];
    const { values } = await emit([...ALL.flatMap((f) => keys.map((sessionKey) => f({ sessionKey, sessionId: "sess-123" }))), ...learned]);
    assert.ok(values.length > 50);
    for (const [where, v] of values) {
      const s = String(v);
      assert.ok(!keys.includes(s) && !/agent:/i.test(s) && !s.includes("+15551230001") && !s.includes("dm:") && !/sess-|run-777|custom-key/.test(s), `${where} = ${s}`);
    }
  });
});
