// End to end: the packed plugin inside a real OpenClaw gateway (2026.2.19 and 2026.9.6), a mock
// OpenAI-compatible model with known usage, and assertions on what our OTLP receiver decoded
// (upstream protobuf classes) and on what rotel, an independent collector, accepted.
//   node e2e/setup.mjs && node --test --test-concurrency=1 e2e/
// E2E_VERSIONS=2026.9.6 limits the gateway suites; E2E_ROTEL=0 skips the rotel run.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { latest, logsOf, metricsOf, spansOf } from "../__test__/support/receiver.mjs";
import { CONTEXT_WINDOW, PROVIDER } from "./lib/gateway.mjs";
import { MODEL_ID } from "./lib/mock-model.mjs";
import { startRecordingProxy, startRotel } from "./lib/rotel.mjs";
import { parseRotelMetrics } from "./lib/rotel-log.mjs";
import { counterSum, runScenario } from "./lib/scenario.mjs";
import { setup } from "./setup.mjs";
import { CACHE } from "./lib/versions.mjs";

const SUITE_TIMEOUT_MS = 15 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSIONS = (process.env.E2E_VERSIONS ?? "2026.2.19,2026.9.6").split(",").filter(Boolean);
const log = (m) => console.log(m);

// 2026.2.19 emits model.usage only on the chat.send (webchat) path. On 2026.9.6 `openclaw
// agent` emits it too, but message.queued/processed come only from chat.send, so both are used.
const PLAN = {
  "2026.2.19": { turns: ["chat", "chat", "chat"], subscription: "onDiagnosticEvent" },
  "2026.9.6": { turns: ["agent", "agent", "chat"], subscription: "onInternalDiagnosticEvent" },
};

// Kinds and units of the seed catalog (docs/metrics.md), written out here independently.
const INSTRUMENTS = {
  "openclaw.tokens": ["sum", "1"],
  "openclaw.cost.usd": ["sum", "1"],
  "openclaw.run.duration_ms": ["histogram", "ms"],
  "openclaw.context.tokens": ["histogram", "1"],
  "openclaw.message.queued": ["sum", "1"],
  "openclaw.message.processed": ["sum", "1"],
  "openclaw.message.duration_ms": ["histogram", "ms"],
  "openclaw.queue.depth": ["histogram", "1"],
  "openclaw.queue.wait_ms": ["histogram", "ms"],
  "openclaw.queue.lane.enqueue": ["sum", "1"],
  "openclaw.queue.lane.dequeue": ["sum", "1"],
  "openclaw.session.state": ["sum", "1"],
};

const TOKEN_TYPES = ["input", "output", "cache_read", "prompt", "total"];

function histogramCount(requests, name, match = {}) {
  const m = latest(requests, name);
  return m?.points.filter((p) => Object.entries(match).every(([k, v]) => p.attrs[k] === v)).reduce((s, p) => s + p.count, 0);
}

before(() => {
  // Seconds when .cache/e2e is complete; the full download otherwise.
  setup({ log });
});

for (const version of VERSIONS) {
  const plan = PLAN[version];
  describe(`OpenClaw ${version}: the packed plugin in a real gateway`, { timeout: SUITE_TIMEOUT_MS }, () => {
    let run;
    let reqs;
    before(async () => {
      run = await runScenario({ version, turns: plan.turns, log });
      reqs = run.receiver.requests;
      log(`[e2e] ${version}: ${reqs.length} OTLP requests; expected ${JSON.stringify(run.expected)}`);
    });
    after(async () => {
      await run?.cleanup();
    });

    test("the tarball installed the way a user installs it on this version", () => {
      // 2026.9.6 has `openclaw plugins install`; the driver falls back to the extensions dir
      // only when it fails, and that fallback must not pass unnoticed.
      const want = version === "2026.2.19" ? /^extensions dir$/ : /^openclaw plugins install /;
      assert.match(run.gw.installMethod, want);
    });

    test("each turn got exactly one mock reply and nothing else hit the mock", () => {
      assert.equal(run.mock.served.length, plan.turns.length, JSON.stringify(run.mock.served));
      assert.deepEqual(run.mock.unexpected, []);
    });

    test("the plugin's startup line is in the gateway log, once, naming what goes where", () => {
      // Log records only: 2026.2.19 also logs the diagnostics-otel.status reply, whose summary
      // quotes the same words.
      const lines = run.logMessages.filter((m) => m.includes("diagnostics-otel: exporting metrics") && !m.includes('"summary"'));
      assert.equal(lines.length, 1, lines.join("\n"));
      const port = new URL(run.receiver.httpBase).port;
      assert.match(lines[0], new RegExp(`OTLP http/protobuf to http://127\\.0\\.0\\.1:${port}/v1/metrics every 1s `));
      assert.match(lines[0], /every 1s \(temporality=cumulative\)/);
      assert.match(lines[0], new RegExp(`traces via OTLP http/protobuf to http://127\\.0\\.0\\.1:${port}/v1/traces`));
      // 2026.2.19 has no log.record events: logs come from the gateway's file log there.
      const from = version === "2026.2.19" ? " from the gateway's file log" : "";
      assert.match(lines[0], new RegExp(`logs${from} via OTLP http/protobuf to http://127\\.0\\.0\\.1:${port}/v1/logs without bodies`));
      assert.match(lines[0], /service\.name=openclaw-e2e/);
      assert.match(lines[0], new RegExp(`events via ${plan.subscription}\\)`));
      assert.equal(run.logMessages.filter((m) => /diagnostics-otel: (not exporting|start failed|stop:)/.test(m)).length, 0);
    });

    test("exports arrived as OTLP protobuf on /v1/metrics, /v1/traces and /v1/logs, and all decode", () => {
      assert.equal(run.exportWaitError, undefined, run.exportWaitError);
      assert.ok(reqs.filter((r) => r.path === "/v1/metrics").length >= 2, `${reqs.length} requests`);
      assert.ok(reqs.some((r) => r.path === "/v1/traces"), "spans arrived");
      assert.ok(reqs.some((r) => r.path === "/v1/logs"), "log records arrived");
      for (const r of reqs) {
        assert.equal(r.error, undefined, r.error);
        assert.ok(["/v1/metrics", "/v1/traces", "/v1/logs"].includes(r.path), r.path);
        assert.equal(r.contentType, "application/x-protobuf");
      }
    });

    test("spans: one usage span per turn, the run's lifecycle tree on 2026.9, no session ids", () => {
      const spans = spansOf(reqs);
      const named = (n) => spans.filter((s) => s.name === n);
      assert.equal(named("openclaw.model.usage").length, plan.turns.length, spans.map((s) => s.name).join());
      const usage = named("openclaw.model.usage");
      const tokens = usage.reduce((t, s) => t + s.attrs["openclaw.tokens.total"], 0);
      assert.equal(tokens, run.expected.tokens.total, "span token totals equal the mock's usage");
      if (version === "2026.9.6") {
        for (const n of ["openclaw.run", "openclaw.harness.run", "openclaw.model.call"]) assert.equal(named(n).length, plan.turns.length, n);
        assert.ok(named("openclaw.gateway.rpc.response").length >= plan.turns.length);
        const ids = new Set(spans.map((s) => s.spanId));
        // Each run hangs under its harness run, each model call under its run.
        for (const r of named("openclaw.run")) assert.equal(spans.find((s) => s.spanId === r.parentSpanId)?.name, "openclaw.harness.run");
        for (const c of named("openclaw.model.call")) assert.equal(spans.find((s) => s.spanId === c.parentSpanId)?.name, "openclaw.run");
        for (const s of spans.filter((x) => x.parentSpanId && ["openclaw.run", "openclaw.model.call", "openclaw.harness.run"].includes(x.name))) {
          assert.ok(ids.has(s.parentSpanId), `${s.name}: parent exported`);
        }
      }
      const secrets = run.sessionIds.filter((x) => x.length >= 8 || x.includes(":"));
      for (const s of spans) {
        for (const [k, v] of Object.entries(s.attrs)) assert.ok(!secrets.some((id) => String(v).includes(id)), `${s.name} ${k}=${v}`);
      }
    });

    test("log records: the gateway's own log lines, with severity and logger, no bodies", () => {
      const all = logsOf(reqs);
      const logs = all.filter((l) => "openclaw.log.level" in l.attrs);
      assert.ok(logs.length >= 3, `${logs.length} log records`);
      assert.ok(logs.every((l) => l.body === "log"), "bodies only with captureContent");
      // Trusted security events (2026.9: gateway auth) are log records with a constant body.
      const security = all.filter((l) => !("openclaw.log.level" in l.attrs));
      assert.ok(security.every((l) => l.body === "openclaw.security.event" && l.attrs["openclaw.security.action"]), JSON.stringify(security[0]));
      assert.ok(logs.some((l) => l.severityText === "INFO" && l.severityNumber === "SEVERITY_NUMBER_INFO"));
      assert.ok(logs.some((l) => typeof l.attrs["openclaw.subsystem"] === "string"), JSON.stringify(logs.slice(0, 3)));
      if (version === "2026.9.6") {
        const ids = new Set(spansOf(reqs).map((s) => s.spanId));
        assert.ok(logs.some((l) => ids.has(l.spanId)), "some log record points at an exported span");
      }
    });

    test("resource: service.name and one UUID service.instance.id for the gateway process", () => {
      const resources = metricsOf(reqs).map((m) => m.resource);
      assert.ok(resources.length > 0);
      const ids = new Set(resources.map((r) => r["service.instance.id"]));
      assert.equal(ids.size, 1, [...ids].join(", "));
      assert.match([...ids][0], UUID);
      for (const r of resources) assert.equal(r["service.name"], "openclaw-e2e");
    });

    // 2026.2.19 hands plugins runtime.version "unknown" (it reads the wrong package.json); the
    // plugin then reads the version of the openclaw package that runs the gateway.
    test("the gateway method diagnostics-otel.status reports the running exporter", () => {
      const st = run.pluginStatus;
      assert.equal(st?.running, true, JSON.stringify(st));
      assert.ok(st.received > 0 && st.recorded > 0, JSON.stringify(st));
      assert.equal(st.malformed, 0);
      assert.ok(st.exportsOk > 0, JSON.stringify(st));
      assert.equal(st.exportsFailed, 0);
      assert.match(st.summary, /exporting metrics via OTLP http\/protobuf/);
    });

    test("resource: service.version is the host's OpenClaw version", () => {
      assert.equal(latest(reqs, "openclaw.tokens").resource["service.version"], version);
    });

    test("openclaw.tokens per token type equal what the mock reported", () => {
      const tokens = latest(reqs, "openclaw.tokens");
      assert.ok(tokens, "openclaw.tokens missing");
      for (const type of TOKEN_TYPES) {
        assert.equal(counterSum(reqs, "openclaw.tokens", { "openclaw.token": type }), run.expected.tokens[type], type);
      }
      assert.equal(counterSum(reqs, "openclaw.tokens", { "openclaw.token": "cache_write" }), 0, "no cache writes were reported");
      for (const p of tokens.points) {
        assert.equal(p.attrs["openclaw.provider"], PROVIDER);
        assert.equal(p.attrs["openclaw.model"], MODEL_ID);
      }
      // The chat.send turns are attributed to webchat; the mock served turns in order.
      const chatServed = run.mock.served.filter((_, i) => plan.turns[i] === "chat");
      const chatOutput = chatServed.reduce((s, x) => s + x.usage.completion_tokens, 0);
      assert.equal(counterSum(reqs, "openclaw.tokens", { "openclaw.token": "output", "openclaw.channel": "webchat" }), chatOutput);
    });

    test("openclaw.cost.usd equals the configured prices applied to the mock's usage", () => {
      // Guard against a vacuous match: prices and usage are both non-zero.
      assert.ok(run.expected.costUsd > 0.001, String(run.expected.costUsd));
      const cost = counterSum(reqs, "openclaw.cost.usd");
      assert.ok(Math.abs(cost - run.expected.costUsd) <= 1e-12 + 1e-9 * run.expected.costUsd, `exported ${cost}, expected ${run.expected.costUsd}`);
    });

    test("one run duration per turn from each feeding event, one context limit per turn", () => {
      // model.usage feeds series without openclaw.outcome; 2026.9's run.completed feeds series
      // with it (docs/metrics.md), so on 2026.9.6 each turn is observed twice in total.
      const runs = latest(reqs, "openclaw.run.duration_ms").points;
      const fromUsage = runs.filter((p) => !("openclaw.outcome" in p.attrs));
      const fromCompleted = runs.filter((p) => p.attrs["openclaw.outcome"] === "completed");
      assert.equal(fromUsage.reduce((s, p) => s + p.count, 0), plan.turns.length);
      assert.equal(fromCompleted.reduce((s, p) => s + p.count, 0), version === "2026.2.19" ? 0 : plan.turns.length);
      assert.equal(fromUsage.length + fromCompleted.length, runs.length, JSON.stringify(runs.map((p) => p.attrs)));
      const limit = latest(reqs, "openclaw.context.tokens").points.filter((p) => p.attrs["openclaw.context"] === "limit");
      assert.equal(limit.reduce((s, p) => s + p.count, 0), plan.turns.length);
      assert.equal(limit.reduce((s, p) => s + p.sum, 0), plan.turns.length * CONTEXT_WINDOW);
    });

    test("message, queue, session and run instruments arrive with their kinds and units", () => {
      for (const [name, [kind, unit]] of Object.entries(INSTRUMENTS)) {
        const m = latest(reqs, name);
        assert.ok(m, `${name} missing`);
        assert.equal(m.kind, kind, name);
        assert.equal(m.unit, unit, name);
        assert.equal(m.temporality, "AGGREGATION_TEMPORALITY_CUMULATIVE", name);
        if (kind === "sum") assert.equal(m.monotonic, true, name);
        assert.ok(m.points.length > 0, `${name} has no points`);
      }
      const chats = plan.turns.filter((t) => t === "chat").length;
      assert.equal(counterSum(reqs, "openclaw.message.queued", { "openclaw.channel": "webchat" }), chats);
      assert.equal(counterSum(reqs, "openclaw.message.processed", { "openclaw.channel": "webchat", "openclaw.outcome": "completed" }), chats);
      assert.equal(histogramCount(reqs, "openclaw.message.duration_ms", { "openclaw.channel": "webchat" }), chats);
      const enq = counterSum(reqs, "openclaw.queue.lane.enqueue");
      assert.ok(enq >= plan.turns.length, `enqueue ${enq}`);
      assert.equal(counterSum(reqs, "openclaw.queue.lane.dequeue"), enq);
      assert.ok(counterSum(reqs, "openclaw.session.state", { "openclaw.state": "processing" }) >= plan.turns.length);
      assert.ok(counterSum(reqs, "openclaw.session.state", { "openclaw.state": "idle" }) >= plan.turns.length);
    });

    test("no metric attribute carries a session key or session id", () => {
      // The gateway's own records name the sessions; short generic names ("main") are also
      // agent ids and lane names, so only specific identifiers are checked verbatim.
      const ids = run.sessionIds.filter((s) => s.length >= 8 || s.includes(":"));
      assert.ok(ids.some((s) => UUID.test(s)), `no session id found to check: ${run.sessionIds}`);
      assert.ok(ids.some((s) => s.startsWith("agent:")), `no session key found to check: ${run.sessionIds}`);
      for (const m of metricsOf(reqs)) {
        for (const p of m.points) {
          for (const [k, v] of Object.entries(p.attrs)) {
            assert.doesNotMatch(k, /session/i, `${m.name} attribute key ${k}`);
            const s = String(v);
            assert.doesNotMatch(s, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, `${m.name} ${k}=${s}`);
            for (const id of ids) assert.ok(!s.includes(id), `${m.name} ${k}=${s} carries ${id}`);
          }
        }
      }
    });

    test("SIGTERM stops the gateway cleanly and no process is left behind", () => {
      assert.deepEqual(run.stopReport.killed, [], "needed SIGKILL");
      assert.deepEqual(run.leftover, []);
    });
  });
}

describe("rotel (an independent OTLP collector) accepts every request", { skip: process.env.E2E_ROTEL === "0", timeout: SUITE_TIMEOUT_MS }, () => {
  const version = VERSIONS.includes("2026.9.6") ? "2026.9.6" : VERSIONS[0];
  let rotel;
  let proxy;
  let run;
  let seen;
  before(async () => {
    rotel = await startRotel(path.join(CACHE, "runs", "rotel"));
    proxy = await startRecordingProxy(rotel.httpPort);
    log(`[e2e] rotel: ${rotel.command}`);
    run = await runScenario({ version, turns: ["chat"], endpoint: `http://127.0.0.1:${proxy.port}`, label: `${version}-rotel`, log });
    // rotel prints what it accepted; give its log a moment to show the turn's tokens.
    const want = run.expected.tokens.total;
    for (let i = 0; i < 100; i++) {
      seen = parseRotelMetrics(rotel.log());
      const total = seen.points.filter((p) => p.name === "openclaw.tokens" && p.attrs["openclaw.token"] === "total").reduce((s, p) => s + p.value, 0);
      if (total === want) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await run?.cleanup();
    await proxy?.stop();
    await rotel?.stop();
  });

  test("rotel answered 200 with an empty protobuf Export*ServiceResponse to every request of each signal", () => {
    assert.ok(proxy.exchanges.filter((e) => e.path === "/v1/metrics").length >= 2, `${proxy.exchanges.length} requests`);
    assert.ok(proxy.exchanges.some((e) => e.path === "/v1/traces"), "spans reached rotel");
    assert.ok(proxy.exchanges.some((e) => e.path === "/v1/logs"), "log records reached rotel");
    for (const e of proxy.exchanges) {
      assert.equal(e.error, undefined, e.error);
      assert.ok(["/v1/metrics", "/v1/traces", "/v1/logs"].includes(e.path), e.path);
      assert.equal(e.contentType, "application/x-protobuf");
      assert.equal(e.status, 200, JSON.stringify({ ...e, responseBody: e.responseBody?.toString("base64") }));
      assert.equal(e.responseType, "application/x-protobuf");
      // An empty response (no partial_success: nothing rejected) encodes as zero bytes.
      assert.equal(e.responseBody.length, 0);
    }
  });

  test("rotel decoded the turn's tokens and cost exactly as the mock and prices imply", () => {
    for (const type of TOKEN_TYPES) {
      const got = seen.points.filter((p) => p.name === "openclaw.tokens" && p.attrs["openclaw.token"] === type).reduce((s, p) => s + p.value, 0);
      assert.equal(got, run.expected.tokens[type], type);
    }
    const cost = seen.points.filter((p) => p.name === "openclaw.cost.usd").reduce((s, p) => s + p.value, 0);
    assert.ok(Math.abs(cost - run.expected.costUsd) <= 1e-12 + 1e-9 * run.expected.costUsd, `${cost} vs ${run.expected.costUsd}`);
    for (const name of ["openclaw.message.processed", "openclaw.queue.lane.enqueue", "openclaw.session.state", "openclaw.run.duration_ms"]) {
      assert.ok(seen.names.has(name), `${name} not in rotel's log`);
    }
  });

  test("the plugin logged no export failure", () => {
    const bad = run.logMessages.filter((m) => /diagnostics-otel/.test(m) && /(fail|error|rejected|timed out)/i.test(m) && !/Config warnings/.test(m));
    assert.deepEqual(bad, []);
    assert.deepEqual(run.leftover, []);
  });
});
