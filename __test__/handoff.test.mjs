// The compact hand-off (index.js -> src/event/compact.rs): only the fields the addon's catalog
// reads cross, any text arrives exactly, and types nothing reads are only counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { closedPort, native, withPlugin } from "./support/fixture.mjs";
import { latest, spansOf } from "./support/receiver.mjs";

const { compileProjection } = await import("../index.js");

test("text that looks like the format itself arrives exactly, in metrics and spans", async () => {
  // Separators, lengths, braces and newlines of the format; UTF-16 pairs and a lone half.
  const tricky = ["a|b\nc", "s5:hello", "{j2:[]}-n1;", "模型😀", "x\u0085y", "end\ud83d"];
  await withPlugin({ otel: { traces: true, flushIntervalMs: 60000 } }, async ({ receiver, host, service }) => {
    for (const [i, model] of tricky.entries()) {
      host.bus.emit({ type: "model.usage", channel: "webchat", provider: "openai", model, usage: { input: i + 1, output: 2 } });
    }
    assert.equal((await host.plugin.flush(5000)).ok, true);
    await receiver.sync();
    const st = host.plugin.status();
    assert.equal(st.malformed, 0);
    assert.equal(st.recorded, tricky.length);
    await service.stop();
    const spans = spansOf(receiver.requests).filter((s) => s.name === "openclaw.model.usage");
    const models = spans.map((s) => [s.attrs["openclaw.model"], s.attrs["openclaw.tokens.input"]]);
    // The lone surrogate becomes U+FFFD on the way in (one character, not the event).
    const expected = tricky.map((m, i) => [m.replace(/\ud83d$/, "\ufffd"), i + 1]);
    const byInput = (a, b) => a[1] - b[1];
    assert.deepEqual(models.sort(byInput), expected.sort(byInput));
    const tokens = latest(receiver.requests, "openclaw.tokens");
    const input = tokens.points.filter((p) => p.attrs["openclaw.token"] === "input").reduce((a, p) => a + p.value, 0);
    assert.equal(input, 21, "1 + 2 + ... + 6 input tokens");
  });
});

test("only fields some rule reads cross; unknown types are only counted", async () => {
  const g = new (await native()).NativeGeneration(
    JSON.stringify({ enabled: true, otel: { enabled: true, endpoint: `http://127.0.0.1:${await closedPort()}`, traces: true } }),
    {},
    {},
  );
  try {
    const encoders = compileProjection(g.projection);
    const usage = encoders.get("model.usage");
    assert.equal(typeof usage?.encode, "function");
    const b = { tags: new Uint8Array(1024), vals: new Float64Array(1024), slot: 0, texts: [], ids: new Map(), chars: 0 };
    const evt = { type: "model.usage", provider: "openai", model: "gpt-5", usage: { input: 7, output: 3, secretNested: "nested-private" }, prompt: "private prompt text" };
    usage.encode(evt, b, usage.index * 8);
    usage.encode({ ...evt, usage: { input: 8 } }, b, usage.index * 8);
    assert.equal(b.slot, 2 * usage.slots, "a fixed number of slots per type");
    assert.deepEqual(b.texts.sort(), ["gpt-5", "openai"], "each distinct text once; unread fields never leave the JS thread");
    assert.ok([...b.vals.subarray(0, b.slot)].includes(7) && [...b.vals.subarray(0, b.slot)].includes(8));
    assert.equal(encoders.get("run.progress"), undefined, "no rule reads run.progress");
    assert.equal(encoders.get("log.record"), undefined, "log records cross only when logs are on");
    const lens = Uint32Array.from(b.texts, (t) => t.length);
    g.pushColumns(b.tags.subarray(0, b.slot), b.vals.subarray(0, b.slot), b.texts.join(""), lens, 2, 3);
    await g.flush(500); // records what was pushed; the export itself fails (closed port)
    const st = g.status();
    assert.equal(st.received, 5);
    assert.equal(st.recorded, 2);
    assert.equal(st.ignored, 3);
    assert.equal(st.malformed, 0);
    // A batch out of step (a bug, never the events' content) is counted, not lost unseen:
    // a header naming no type, and columns of different lengths.
    g.pushColumns(Uint8Array.of(7, 0), Float64Array.of(999 * 8, 0), "", new Uint32Array(0), 2, 0);
    g.pushColumns(Uint8Array.of(7), new Float64Array(0), "", new Uint32Array(0), 1, 0);
    await g.flush(500);
    assert.equal(g.status().malformed, 3);
  } finally {
    await g.shutdown(500);
  }
});

test("with logs on, log records cross whole", async () => {
  const g = new (await native()).NativeGeneration(
    JSON.stringify({ enabled: true, otel: { enabled: true, endpoint: `http://127.0.0.1:${await closedPort()}`, logs: true } }),
    {},
    {},
  );
  try {
    const enc = compileProjection(g.projection).get("log.record");
    const b = { tags: new Uint8Array(8), vals: new Float64Array(8), slot: 0, texts: [], ids: new Map(), chars: 0 };
    const evt = { type: "log.record", level: "INFO", message: "hello", attributes: { any: "key" } };
    enc.encode(evt, b, enc.index * 8 + 1);
    assert.deepEqual([...b.tags.subarray(0, b.slot)], [7, 5], "a header, then the event as JSON");
    assert.deepEqual(b.texts, [JSON.stringify(evt)]);
  } finally {
    await g.shutdown(500);
  }
});

test("where code generation is disallowed, the walker writes the same slots as the generated encoders", async () => {
  const { execFileSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const g = new (await native()).NativeGeneration(
    JSON.stringify({ enabled: true, otel: { enabled: true, endpoint: `http://127.0.0.1:${await closedPort()}`, traces: true } }),
    {},
    {},
  );
  const json = g.projection;
  await g.shutdown(500);
  const events = [
    { type: "model.usage", provider: "openai", model: "gpt-5", channel: 7, usage: { input: 7, output: NaN, cacheRead: true }, costUsd: 0.25, trace: "not an object" },
    { type: "message.processed", channel: "webchat", outcome: "error", error: { nested: [1, "x"] }, durationMs: 12, usage: [1, 2] },
    { type: "session.state", state: "idle", prevState: null, sessionKey: "agent:main:main" },
  ];
  // Each event's slots and texts, written by the encoders index.js compiles in this process.
  const script = `
    const { compileProjection } = await import(${JSON.stringify(fileURLToPath(new URL("../index.js", import.meta.url)))});
    const [json, events] = JSON.parse(process.argv[1]);
    // JSON in argv has no NaN: put it back.
    const events2 = events.map((e) => (e.type === "model.usage" ? { ...e, usage: { ...e.usage, output: NaN } } : e));
    const enc = compileProjection(json);
    const out = events2.map((e) => {
      const b = { tags: new Uint8Array(256), vals: new Float64Array(256), slot: 0, texts: [], ids: new Map(), chars: 0 };
      const x = enc.get(e.type);
      x.encode(e, b, x.index * 8 + 1);
      return { tags: [...b.tags.subarray(0, b.slot)], vals: [...b.vals.subarray(0, b.slot)].map(String), texts: b.texts };
    });
    let codegen = true;
    try {
      new Function("");
    } catch {
      codegen = false;
    }
    console.log(JSON.stringify({ codegen, out }));`;
  const run = (flags) => JSON.parse(execFileSync(process.execPath, [...flags, "--input-type=module", "-e", script, JSON.stringify([json, events])], { encoding: "utf8" }));
  const { codegen, out: generated } = run([]);
  const walked = run(["--disallow-code-generation-from-strings"]);
  assert.equal(codegen, true);
  assert.equal(walked.codegen, false, "the flag leaves index.js its walker");
  assert.deepEqual(walked.out, generated);
  assert.ok(generated.every((r) => r.tags[0] === 7 && r.tags.length >= 3), `each record has a header and its slots: ${JSON.stringify(generated)}`);
});
