// Whatever the bus delivers, the plugin never throws into it: malformed events are counted
// and skipped, and the valid events around them are exported exactly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withPlugin, native } from "./support/fixture.mjs";
import { ctxFor, makeHost, makeLogger, register, sleep } from "./support/host.mjs";
import { latest, pointWith, spansOf, startReceiver } from "./support/receiver.mjs";

const good = { type: "message.queued", channel: "webchat", source: "dispatch", queueDepth: 1 };

// A cycle where the addon reads (channel) makes the event unserializable; one in a field no
// rule reads is never looked at, so the event counts (the compact hand-off copies only the
// fields the catalog reads).
function cyclic(where) {
  const o = { type: "model.usage", usage: { input: 1 } };
  o[where] = o;
  return o;
}

const BAD = [
  ["missing required field", { type: "queue.lane.enqueue", queueSize: 1 }],
  ["wrong-typed field", { type: "queue.lane.enqueue", lane: "main", queueSize: "3" }],
  ["NaN (serialized as null)", { type: "queue.lane.enqueue", lane: "main", queueSize: NaN }],
  ["Infinity", { type: "diagnostic.heartbeat", queued: Infinity }],
  ["usage not an object", { type: "model.usage", usage: "lots" }],
  ["huge string", { type: "message.queued", channel: "x".repeat(2 << 20) }],
  ["cyclic object", cyclic("channel")],
  ["BigInt", { type: "run.attempt", attempt: 10n }],
  ["throwing getter", Object.defineProperty({ type: "message.queued" }, "channel", { enumerable: true, get() { throw new Error("nope"); } })],
  ["throwing proxy", new Proxy({}, { get() { throw new Error("trap"); }, ownKeys() { throw new Error("trap"); } })],
  ["no type", { channel: "webchat" }],
  ["array", [1, 2, 3]],
  ["number", 42],
  ["string", "model.usage"],
  ["null", null],
];
const HARMLESS = [["cycle in a field nothing reads", cyclic("self")]];
const IGNORED = [
  ["unknown type", { type: "run.started", runId: "r-1" }],
  ["undefined", undefined],
];

test("malformed events are counted and skipped, never thrown; valid ones export exactly", async () => {
  await withPlugin({}, async ({ receiver, host, logger, service }) => {
    for (const [label, evt] of [...BAD, ...HARMLESS, ...IGNORED]) {
      const exotic = label.startsWith("throwing");
      assert.doesNotThrow(() => (exotic ? host.bus.emitRaw(evt) : host.bus.emit(evt)), label);
      host.bus.emit(good);
    }
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    const st = host.plugin.status();
    const total = BAD.length + HARMLESS.length + IGNORED.length;
    assert.equal(st.received, total * 2);
    assert.equal(st.recorded, total + HARMLESS.length);
    // `undefined` stringifies to nothing and is counted as malformed too.
    assert.equal(st.malformed, BAD.length + 1);
    assert.equal(st.ignored, 1);
    const q = pointWith(latest(receiver.requests, "openclaw.message.queued"), { "openclaw.channel": "webchat" });
    assert.equal(q.value, total);
    await sleep(1100);
    const warns = logger.lines.filter((l) => l.level === "warn");
    assert.equal(warns.length, 1, "one rate-limited warning for all of them");
    assert.match(warns[0].message, /skipped 1 malformed diagnostic event/);
    await service.stop();
  });
});

test("attribute values outside the low-cardinality policy become unknown", async () => {
  await withPlugin({}, async ({ receiver, host, logger, service }) => {
    host.bus.emit({ type: "message.queued", channel: "agent:main:telegram:123", source: "has spaces" });
    host.bus.emit({ type: "message.queued", channel: "c".repeat(121), source: "ok" });
    await host.plugin.flush(5000);
    await receiver.sync();
    const m = latest(receiver.requests, "openclaw.message.queued");
    assert.equal(pointWith(m, { "openclaw.channel": "unknown", "openclaw.source": "unknown" }).value, 1);
    assert.equal(pointWith(m, { "openclaw.channel": "unknown", "openclaw.source": "ok" }).value, 1);
    await service.stop();
  });
});

test("series per instrument are capped: past the cap names collapse to `overflow`, kinds keep their meaning, nothing is lost", async () => {
  await withPlugin({}, async ({ receiver, host, logger, service }) => {
    const n = 2500;
    // Two sources (an enum-like attribute) over 2,500 channels (an identity-like one).
    for (let i = 0; i < n; i++) host.bus.emit({ type: "message.queued", channel: `ch-${i}`, source: i % 5 ? "dispatch" : "cron" });
    await host.plugin.flush(10000);
    await receiver.sync();
    await service.stop();
    const m = latest(receiver.requests, "openclaw.message.queued");
    assert.ok(m.points.length <= 2000, `${m.points.length} series`);
    assert.equal(m.points.filter((p) => p.attrs["otel.metric.overflow"] === true).length, 0, "the SDK's everything-merged overflow is not reached");
    const overflow = m.points.filter((p) => p.attrs["openclaw.channel"] === "overflow");
    assert.deepEqual(overflow.map((p) => p.attrs["openclaw.source"]).sort(), ["cron", "dispatch"], "one overflow series per source");
    const total = m.points.reduce((a, p) => a + p.value, 0);
    assert.equal(total, n, "every event is counted, in its own series or an overflow one");
    const bySource = (src) => m.points.filter((p) => p.attrs["openclaw.source"] === src).reduce((a, p) => a + p.value, 0);
    assert.equal(bySource("cron"), n / 5, "totals by source stay exact past the cap");
    assert.equal(bySource("dispatch"), (n * 4) / 5);
    console.log(`# ${n} distinct channels -> ${m.points.length} series; overflow holds ${overflow.map((p) => p.value).join(" + ")}`);
  });
});

test("the recording queue is bounded in bytes: an oversized backlog is dropped and counted", async () => {
  const addon = await native();
  const receiver = await startReceiver();
  try {
    const g = new addon.NativeGeneration(JSON.stringify({ enabled: true, otel: { enabled: true, endpoint: receiver.httpBase } }), {}, {});
    const line = `0${JSON.stringify({ type: "message.queued", channel: "webchat", source: "dispatch", pad: "x".repeat(200) })}\n`;
    const n = Math.ceil((40 << 20) / line.length); // one batch larger than the 32 MiB bound
    g.pushBatch(line.repeat(n));
    g.pushBatch(line);
    assert.equal((await g.flush(5000)).ok, true);
    await receiver.sync();
    const st = g.status();
    assert.equal(st.received, n + 1);
    assert.equal(st.dropped, n);
    assert.equal(st.recorded, 1, "later events still flow");
    assert.ok(g.takeLogs().some((l) => l.level === "warn" && /recording queue is full/.test(l.message)));
    await g.shutdown(4000);
  } finally {
    await receiver.stop();
  }
});

test("the constructor's env and host are typed: napi throws on a mistyped value, so index.js sends only strings", async () => {
  const addon = await native();
  const off = JSON.stringify({ enabled: true, otel: { enabled: false } });
  const g = new addon.NativeGeneration(off, { OTEL_SERVICE_NAME: "x" }, { openclawVersion: undefined, fileLog: { dirs: ["/tmp"] } });
  assert.equal(g.running, false);
  assert.throws(() => new addon.NativeGeneration(off, { OTEL_SERVICE_NAME: 5 }, {}), /into rust type `String`/);
  assert.throws(() => new addon.NativeGeneration(off, {}, { openclawVersion: 5 }), /HostInput\.openclawVersion/);
  // Only undefined means "absent": null is a mistyped value too.
  assert.throws(() => new addon.NativeGeneration(off, {}, { subscription: null }), /HostInput\.subscription/);
});

test("one bad config value costs only itself: BigInt, cycles, throwing getters, lone surrogates", async () => {
  const receiver = await startReceiver();
  const host = await makeHost();
  const logger = makeLogger();
  try {
    const otel = { enabled: true, endpoint: receiver.httpBase, flushIntervalMs: 60000n, serviceName: "gw\ud800" };
    otel.loop = otel;
    Object.defineProperty(otel, "headers", { enumerable: true, get() { throw new Error("secret store offline"); } });
    const [service] = register(host.plugin);
    await service.start(ctxFor(otel, { logger }));
    host.bus.emit(good, { trusted: false });
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    await service.stop();
    const warns = logger.lines.filter((l) => l.level === "warn").map((l) => l.message);
    assert.ok(warns.some((m) => /diagnostics\.otel\.loop could not be read/.test(m)), warns.join("\n"));
    assert.ok(warns.some((m) => /diagnostics\.otel\.headers could not be read/.test(m)), warns.join("\n"));
    assert.ok(warns.every((m) => !m.includes("secret store")), "a getter's error text is not echoed");
    const m = latest(receiver.requests, "openclaw.message.queued");
    assert.equal(pointWith(m, { "openclaw.channel": "webchat" })?.value, 1);
    assert.equal(m.resource["service.name"], "gw\ufffd", "the lone surrogate became U+FFFD, the rest of the config stayed");
    assert.ok(logger.lines.some((l) => l.level === "info" && /every 60s/.test(l.message)), "the BigInt interval was read as a number");
  } finally {
    await receiver.stop();
    host.cleanup();
  }
});

test("a lone surrogate in an event field costs one character, not the event", async () => {
  await withPlugin({ otel: { flushIntervalMs: 60000 } }, async ({ receiver, host, logger, service }) => {
    // What JS truncation leaves of "✅ done 😀": half an emoji at the end of an unrelated field.
    host.bus.emit({ ...good, reason: "done \ud83d" }, { trusted: false });
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    assert.equal(host.plugin.status().malformed, 0);
    await service.stop();
    assert.equal(pointWith(latest(receiver.requests, "openclaw.message.queued"), { "openclaw.channel": "webchat" })?.value, 1);
  });
});

test("implausible values are skipped alone and counted on the wire; the event's other values stay", async () => {
  await withPlugin({ otel: { traces: true, flushIntervalMs: 60000 } }, async ({ receiver, host, logger, service }) => {
    const usage = { channel: "webchat", provider: "openai", model: "gpt-5" };
    // 1e15 output tokens and USD 20,000 for one call are corrupt; the 5 input tokens are real.
    host.bus.emit({ type: "model.usage", ...usage, usage: { input: 5, output: 1e15 }, costUsd: 20000 });
    host.bus.emit({ type: "model.usage", ...usage, usage: { input: -7 } });
    host.bus.emit({ type: "queue.lane.enqueue", lane: "main", queueSize: -1 });
    // A corrupt duration would start the run span in 1970 and put 31,000 years in the histogram.
    host.bus.emit({ type: "run.completed", ...usage, runId: "r-1", outcome: "completed", durationMs: 1e15 });
    host.bus.emit({ type: "run.completed", ...usage, runId: "r-2", outcome: "completed", durationMs: 1200 });
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    const st = host.plugin.status();
    assert.equal(st.malformed, 0, "implausible is not malformed: the event's other values count");
    const tokens = latest(receiver.requests, "openclaw.tokens");
    assert.equal(pointWith(tokens, { "openclaw.token": "input" })?.value, 5);
    assert.equal(pointWith(tokens, { "openclaw.token": "output" }), undefined);
    assert.equal(latest(receiver.requests, "openclaw.cost.usd"), undefined);
    assert.equal(pointWith(latest(receiver.requests, "openclaw.queue.lane.enqueue"), { "openclaw.lane": "main" })?.value, 1);
    assert.equal(latest(receiver.requests, "openclaw.queue.depth"), undefined);
    const runs = latest(receiver.requests, "openclaw.run.duration_ms");
    assert.deepEqual(runs.points.map((p) => [p.count, p.sum]), [[1, 1200]]);
    const runSpans = spansOf(receiver.requests).filter((s) => s.name === "openclaw.run");
    assert.equal(runSpans.length, 1, "the 1970 span is not exported");
    assert.ok(runSpans[0].startMs > Date.now() - 60_000);
    // input -7, output 1e15 (two instruments), cost, depth, the run's duration, the 1970 span,
    // and span attributes: -7 and 1e15 on the usage spans.
    assert.ok(st.implausible >= 7, `implausible ${st.implausible}`);
    const dropped = latest(receiver.requests, "openclaw.telemetry.dropped");
    assert.equal(pointWith(dropped, { "openclaw.signal": "events", "openclaw.reason": "implausible" })?.value, st.implausible);
    await service.stop();
  });
});

test("an event one signal finds malformed leaves nothing in the others", async () => {
  await withPlugin({ otel: { traces: true, flushIntervalMs: 60000 } }, async ({ receiver, host }) => {
    const call = { type: "model.call.completed", provider: "openai", model: "gpt-5", api: "openai-completions", durationMs: 300 };
    // Only the span reads promptStats; a string where its count should be makes the event malformed.
    host.bus.emit({ ...call, promptStats: { totalChars: "lots" } }, { trusted: true });
    host.bus.emit({ ...call, promptStats: { totalChars: 120 } }, { trusted: true });
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    const st = host.plugin.status();
    assert.equal(st.malformed, 1);
    const durations = latest(receiver.requests, "openclaw.model_call.duration_ms");
    assert.equal(durations.points.reduce((a, p) => a + p.count, 0), 1, "the malformed call recorded no duration");
    assert.equal(spansOf(receiver.requests).filter((s) => s.name === "openclaw.model.call").length, 1);
  });
});

test("nesting deeper than the decoder's limit in an unrelated field costs that field, not the event", async () => {
  await withPlugin({ otel: { flushIntervalMs: 60000 } }, async ({ receiver, host }) => {
    let deep = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    host.bus.emit({ ...good, debug: { tree: deep } }, { trusted: false });
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    assert.equal(host.plugin.status().malformed, 0);
    assert.equal(pointWith(latest(receiver.requests, "openclaw.message.queued"), { "openclaw.channel": "webchat" })?.value, 1);
  });
});
