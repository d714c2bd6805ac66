// Spans and log records on the wire: a real OpenClaw 2026.9.6 turn (captured, see
// fixtures/README.md) replayed through the fake host into a real OTLP receiver; assertions on
// what the receiver decoded with upstream's protobuf classes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { logsOf, spansOf } from "./support/receiver.mjs";
import { runOnce } from "./support/fixture.mjs";
import { TURN } from "./support/events.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const own = (type) => TURN.filter((e) => e.evt.type === type).map((e) => e.evt.trace.spanId);
const SECRETS = new Set(TURN.flatMap(({ evt }) => [evt.sessionKey, evt.sessionId, evt.runId, evt.callId, evt.toolCallId, evt.messageId]).filter(Boolean));

const replay = ({ otel, events = TURN, env }) => runOnce({ otel, recorded: events, env });

describe("traces from a real 2026.9.6 turn", () => {
  let run;
  let spans;
  before(async () => {
    run = await replay({ otel: { serviceName: "gw-traces", logs: true } });
    spans = spansOf(run.requests);
  });

  test("spans go as protobuf to /v1/traces and the startup line names them", () => {
    assert.equal(run.flushed.ok, true, run.flushed.error);
    const traceRequests = run.requests.filter((r) => r.path === "/v1/traces");
    assert.ok(traceRequests.length >= 1);
    for (const r of traceRequests) {
      assert.equal(r.error, undefined, r.error);
      assert.equal(r.contentType, "application/x-protobuf");
    }
    const startup = run.logger.lines.find((l) => l.message.startsWith("diagnostics-otel: exporting")).message;
    assert.match(startup, /traces via OTLP http\/protobuf to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    assert.match(startup, /logs via OTLP http\/protobuf to http:\/\/127\.0\.0\.1:\d+\/v1\/logs without bodies/);
    assert.equal(spans[0].resource["service.name"], "gw-traces");
    assert.equal(spans[0].scope, "openclaw");
  });

  test("one span per completed lifecycle and point event, with the catalog's names", () => {
    const count = (name) => spans.filter((s) => s.name === name).length;
    assert.equal(count("openclaw.gateway.rpc.response"), 1);
    assert.equal(count("openclaw.gateway.rpc.handler"), 1);
    assert.equal(count("openclaw.gateway.rpc.dispatch"), 1);
    assert.equal(count("openclaw.harness.run"), own("harness.run.completed").length);
    assert.equal(count("openclaw.run"), own("run.completed").length);
    assert.equal(count("openclaw.model.call"), own("model.call.completed").length);
    assert.equal(count("openclaw.tool.execution"), own("tool.execution.completed").length);
    assert.equal(count("openclaw.context.assembled"), own("context.assembled").length);
    assert.equal(count("openclaw.exec"), own("exec.process.completed").length);
    assert.equal(count("openclaw.model.usage"), 1);
    assert.equal(count("openclaw.message.processed"), 1);
    assert.equal(run.status.traces.exported, spans.length);
    assert.equal(run.status.traces.dropped, 0);
  });

  test("the exported tree is the runtime's: one trace, lifecycle ids kept, every parent exported", () => {
    const traceId = TURN[0].evt.trace.traceId;
    const ids = new Set(spans.map((s) => s.spanId));
    assert.ok(spans.every((s) => s.traceId === traceId));
    for (const type of ["harness.run.completed", "run.completed", "model.call.completed", "tool.execution.completed", "context.assembled"]) {
      for (const e of TURN.filter((x) => x.evt.type === type)) {
        const s = spans.find((x) => x.spanId === e.evt.trace.spanId);
        assert.ok(s, `${type} ${e.evt.trace.spanId} exported under its own id`);
        assert.equal(s.parentSpanId, e.evt.trace.parentSpanId, type);
      }
    }
    const roots = spans.filter((s) => !s.parentSpanId);
    assert.equal(roots.length, 1, JSON.stringify(roots.map((r) => r.name)));
    assert.match(roots[0].name, /^openclaw\.gateway\.rpc\./);
    for (const s of spans.filter((x) => x.parentSpanId)) assert.ok(ids.has(s.parentSpanId), `${s.name}'s parent ${s.parentSpanId} was exported`);
    const byId = Object.fromEntries(spans.map((s) => [s.spanId, s]));
    const run = spans.find((s) => s.name === "openclaw.run");
    assert.equal(byId[run.parentSpanId].name, "openclaw.harness.run");
    for (const s of spans.filter((x) => ["openclaw.model.call", "openclaw.tool.execution", "openclaw.context.assembled"].includes(x.name))) {
      assert.equal(s.parentSpanId, run.spanId, s.name);
    }
    assert.equal(byId[spans.find((s) => s.name === "openclaw.exec").parentSpanId].name, "openclaw.harness.run");
  });

  test("a span whose diagnostic parent is never exported goes under the nearest exported one, else is a root", async () => {
    const { evt: turnEnd } = TURN.find((e) => e.evt.type === "message.processed");
    const traceId = turnEnd.trace.traceId;
    // An RPC phase the host never reports: its span id is announced by no event.
    const unknown = { ...turnEnd, trace: { traceId, spanId: "0badc0ffee000001", parentSpanId: turnEnd.trace.spanId, traceFlags: "01" } };
    const lost = { ...turnEnd, trace: { traceId, spanId: "0badc0ffee000002", parentSpanId: "0badc0ffee000003", traceFlags: "01" } };
    const run = await replay({ otel: { serviceName: "gw-orphans" }, events: [...TURN, { meta: TURN.at(-1).meta, evt: unknown }, { meta: TURN.at(-1).meta, evt: lost }] });
    const all = spansOf(run.requests);
    const ids = new Set(all.map((x) => x.spanId));
    for (const x of all.filter((y) => y.parentSpanId)) assert.ok(ids.has(x.parentSpanId), `${x.name}'s parent ${x.parentSpanId} was never exported`);
    const processed = all.filter((x) => x.name === "openclaw.message.processed");
    assert.equal(processed.length, 3);
    assert.equal(processed.filter((x) => x.parentSpanId === turnEnd.trace.spanId).length, 2, "the nearest exported ancestor");
    const root = processed.find((x) => !x.parentSpanId);
    assert.ok(root, "no ancestor exported: a root");
    assert.equal(root.traceId, traceId, "in the same trace");
  });

  test("start times are backdated by durationMs and end at the event's ts", () => {
    const ev = TURN.find((e) => e.evt.type === "run.completed").evt;
    const s = spans.find((x) => x.name === "openclaw.run");
    assert.equal(s.endMs, ev.ts);
    assert.equal(s.endMs - s.startMs, ev.durationMs);
    const ctx = spans.find((x) => x.name === "openclaw.context.assembled");
    assert.equal(ctx.startMs, ctx.endMs, "an instant");
  });

  test("attributes: kinds, GenAI keys, sizes and usage, never a session or run id", () => {
    const call = spans.find((s) => s.name === "openclaw.model.call");
    const ev = TURN.find((e) => e.evt.type === "model.call.completed" && e.evt.trace.spanId === call.spanId).evt;
    assert.equal(call.kind, "SPAN_KIND_CLIENT");
    assert.equal(call.attrs["gen_ai.system"], "mock");
    assert.equal(call.attrs["gen_ai.request.model"], "mock-1");
    assert.equal(call.attrs["gen_ai.operation.name"], "text_completion");
    assert.equal(call.attrs["openclaw.api"], "openai-completions");
    assert.equal(call.attrs["openclaw.model_call.prompt.total_chars"], ev.promptStats.totalChars);
    assert.equal(call.attrs["openclaw.model_call.request_bytes"], ev.requestPayloadBytes);
    assert.equal(call.attrs["gen_ai.usage.output_tokens"], ev.usage.output);
    const tool = spans.find((s) => s.name === "openclaw.tool.execution" && s.attrs["openclaw.toolName"] === "exec");
    assert.equal(tool.attrs["gen_ai.operation.name"], "execute_tool");
    assert.equal(tool.attrs["openclaw.tool.source"], "core");
    const usage = spans.find((s) => s.name === "openclaw.model.usage");
    const u = TURN.find((e) => e.evt.type === "model.usage").evt.usage;
    assert.equal(usage.attrs["openclaw.tokens.input"], u.input);
    assert.equal(usage.attrs["gen_ai.usage.input_tokens"], u.promptTokens);
    assert.equal(spans.find((s) => s.name === "openclaw.harness.run").attrs["openclaw.harness.items.completed"], 2);
    assert.equal(spans.find((s) => s.name === "openclaw.gateway.rpc.handler").attrs["openclaw.gateway.rpc.method"], "chat.send");
    for (const s of spans) {
      for (const [k, v] of Object.entries(s.attrs)) {
        assert.ok(!SECRETS.has(v) && !/agent:main/.test(String(v)), `${s.name} ${k}=${v}`);
        assert.ok(!/session(Key|Id|_key|_id)|runId|callId|messageId/.test(k), `${s.name} ${k}`);
      }
      assert.notEqual(s.statusCode, "STATUS_CODE_ERROR", s.name);
    }
  });

  test("log records correlate to exported spans, with severity, logger and code location but no body", () => {
    const logs = logsOf(run.requests);
    const shipped = TURN.filter((e) => e.evt.type === "log.record");
    assert.equal(logs.length, shipped.length);
    const ids = new Set(spans.map((s) => s.spanId));
    for (const [i, l] of logs.entries()) {
      const ev = shipped[i].evt;
      assert.equal(l.body, "log");
      assert.equal(l.severityText, ev.level);
      assert.equal(l.severityNumber, "SEVERITY_NUMBER_INFO");
      assert.equal(l.timeMs, ev.ts);
      assert.equal(l.attrs["openclaw.log.level"], ev.level);
      assert.equal(l.attrs["openclaw.logger.parents"], "openclaw");
      assert.equal(l.attrs["openclaw.subsystem"], ev.attributes.subsystem);
      assert.equal(l.attrs["code.lineno"], ev.code.line);
      assert.equal(l.attrs["code.function"], ev.code.functionName);
      assert.equal(l.traceId, ev.trace.traceId);
      assert.equal(l.spanId, ev.trace.spanId);
      assert.ok(ids.has(l.spanId), "the record's span id is an exported span");
    }
  });
});

describe("trace and log options", () => {
  test("sampleRate 0 keeps no span and counts them; metrics still flow", async () => {
    const run = await replay({ otel: { sampleRate: 0 } });
    assert.equal(spansOf(run.requests).length, 0);
    assert.ok(run.status.traces.sampledOut >= 10, JSON.stringify(run.status.traces));
    assert.ok(run.requests.some((r) => r.path === "/v1/metrics"));
  });

  test("OTEL_BSP_MAX_QUEUE_SIZE bounds the span queue: a stalled collector costs counted drops, not memory", async () => {
    const env = { OTEL_BSP_MAX_QUEUE_SIZE: "4", OTEL_EXPORTER_OTLP_TIMEOUT: "300" };
    const run = await runOnce({ otel: {}, recorded: TURN, env, receiverOpts: { mode: "hang" } });
    const { exported, dropped, exportsFailed, lastError } = run.status.traces;
    assert.equal(exported, 0, "the collector never answered");
    // The turn makes 13 spans (see above); one batch of 4 waits in the stalled export and 4 more
    // fill the queue, so at least 5 are dropped and counted.
    assert.ok(dropped >= 5, JSON.stringify(run.status.traces));
    assert.ok(exportsFailed >= 1, "the per-request timeout ended the stalled export");
    assert.match(lastError ?? "", /^timeout/);
  });

  test("traces: false sends no spans; captureContent: true sends log bodies", async () => {
    const run = await replay({ otel: { traces: false, logs: true, captureContent: true } });
    assert.equal(run.requests.filter((r) => r.path === "/v1/traces").length, 0);
    assert.equal(run.status.traces, undefined);
    const bodies = logsOf(run.requests).map((l) => l.body);
    assert.deepEqual(bodies, TURN.filter((e) => e.evt.type === "log.record").map((e) => e.evt.message));
  });

  test("OPENCLAW_OTEL_SESSION_HASH_SALT adds a salted session hash, never the key", async () => {
    const run = await replay({ otel: {}, env: { OPENCLAW_OTEL_SESSION_HASH_SALT: "pepper" } });
    const hashes = new Set(spansOf(run.requests).map((s) => s.attrs["openclaw.session.hash"]).filter(Boolean));
    assert.equal(hashes.size, 1, [...hashes].join());
    assert.match([...hashes][0], /^[0-9a-f]{16}$/);
  });

  test("an error lifecycle gets error status and its category", async () => {
    const failing = TURN.map(({ evt, meta }) =>
      evt.type === "run.completed" ? { meta, evt: { ...evt, outcome: "error", errorCategory: "provider_error" } } : { evt, meta },
    );
    const run = await replay({ otel: {}, events: failing });
    const s = spansOf(run.requests).find((x) => x.name === "openclaw.run");
    assert.equal(s.statusCode, "STATUS_CODE_ERROR");
    assert.equal(s.statusMessage, "provider_error");
    assert.equal(s.attrs["openclaw.outcome"], "error");
  });

  test("logsExporter stdout: one JSON object per line on the gateway's stdout", () => {
    // A separate process, so the test runner's own stdout stays clean.
    const child = spawnSync(process.execPath, [path.join(here, "support/stdout-logs.mjs")], { encoding: "utf8", timeout: 30000 });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.split("\n").filter((l) => l.startsWith("{"));
    const shipped = TURN.filter((e) => e.evt.type === "log.record");
    assert.equal(lines.length, shipped.length, child.stdout);
    for (const [i, line] of lines.entries()) {
      const rec = JSON.parse(line);
      const ev = shipped[i].evt;
      assert.deepEqual(Object.keys(rec), ["ts", "signal", "service.name", "severityText", "severityNumber", "body", "attributes", "trace_id", "span_id", "trace_flags"]);
      assert.equal(rec.ts, new Date(ev.ts).toISOString());
      assert.equal(rec.signal, "openclaw.diagnostic.log");
      assert.equal(rec["service.name"], "gw-stdout");
      assert.equal(rec.severityNumber, 9);
      assert.equal(rec.body, "log");
      assert.equal(rec.attributes["openclaw.subsystem"], ev.attributes.subsystem);
      assert.equal(rec.trace_id, ev.trace.traceId);
      assert.equal(rec.span_id, ev.trace.spanId);
    }
  });
});

test("log.record attributes: secrets, personal data and ids never leave; the rest does", async () => {
  const attributes = {
    subsystem: "gateway/ws", password: "hunter2", cookie: "sid=abc", userId: "u-42", email: "a@example.com",
    phone: "+15550100", upstreamRequestId: "req_abc", apiKey: "k", sessionKey: "agent:main:main", lane: "main",
  };
  const evt = { type: "log.record", level: "WARN", message: "m", attributes, seq: 1, ts: Date.now() };
  const run = await runOnce({ otel: { logs: true }, recorded: [{ evt, meta: { trusted: false } }] });
  const [l] = logsOf(run.requests);
  assert.ok(l, "the record was exported");
  assert.equal(l.attrs["openclaw.subsystem"], "gateway/ws");
  assert.equal(l.attrs["openclaw.lane"], "main");
  for (const k of ["password", "cookie", "userId", "email", "phone", "upstreamRequestId", "apiKey", "sessionKey"]) {
    assert.equal(l.attrs[`openclaw.${k}`], undefined, k);
  }
  const wire = JSON.stringify(run.requests.filter((r) => r.path === "/v1/logs"));
  for (const v of ["hunter2", "sid=abc", "u-42", "a@example.com", "+15550100", "req_abc", "agent:main:main"]) assert.ok(!wire.includes(v), v);
});
