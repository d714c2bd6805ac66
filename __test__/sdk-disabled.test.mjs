// OTEL_SDK_DISABLED=true turns off every signal this plugin has, logs and the Prometheus
// exposition included (openclaw#119927: the official plugin still exported logs), with one
// warning saying why; nothing reaches the receiver, stdout or a listener.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { freePort } from "../e2e/lib/prometheus.mjs";
import { TURN } from "./support/events.mjs";
import { makeHost, makeLogger, register, sleep } from "./support/host.mjs";
import { startReceiver } from "./support/receiver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

test("OTEL_SDK_DISABLED=true: no metrics, spans, log records (OTLP or stdout) or scrapes", async () => {
  const receiver = await startReceiver();
  const host = await makeHost("2026.9.6");
  const [service] = register(host.plugin);
  const port = await freePort();
  const logger = makeLogger();
  const saved = process.env.OTEL_SDK_DISABLED;
  process.env.OTEL_SDK_DISABLED = "true";
  try {
    await service.start({
      config: {
        diagnostics: { enabled: true, otel: { enabled: true, endpoint: receiver.httpBase, metrics: true, traces: true, logs: true, logsExporter: "both", flushIntervalMs: 1000 } },
        plugins: { entries: { "diagnostics-otel": { enabled: true, config: { prometheus: { enabled: true, port } } } } },
      },
      logger,
    });
    for (const { evt, meta } of TURN) host.bus.emitRaw(evt, meta);
    await sleep(1500);
    const flushed = await host.plugin.flush(2000);
    assert.equal(flushed.ok, false);
    assert.equal(host.plugin.status(), undefined, "a generation is running");
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`).then(() => "served", () => "refused");
    assert.equal(scrape, "refused");
    await receiver.sync();
    assert.deepEqual(receiver.requests.map((r) => r.path), []);
    const warnings = logger.lines.filter((l) => l.level === "warn");
    assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
    assert.match(warnings[0].message, /not exporting: OTEL_SDK_DISABLED=true/);
    assert.ok(!logger.lines.some((l) => /exporting (metrics|traces|logs)/.test(l.message)), JSON.stringify(logger.lines));
  } finally {
    await service.stop();
    if (saved === undefined) delete process.env.OTEL_SDK_DISABLED;
    else process.env.OTEL_SDK_DISABLED = saved;
    await receiver.stop();
    host.cleanup();
  }
});

test("OTEL_SDK_DISABLED=true: the stdout log exporter writes no line", () => {
  const child = spawnSync(process.execPath, [path.join(here, "support/stdout-logs.mjs")], { encoding: "utf8", env: { ...process.env, OTEL_SDK_DISABLED: "true" }, timeout: 60000 });
  const jsonLines = child.stdout.split("\n").filter((l) => l.startsWith("{"));
  assert.deepEqual(jsonLines, [], child.stdout);
});
