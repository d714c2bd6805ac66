// Captures for the side-by-side comparison (compare.test.mjs): the same mock replies and turns
// through a 2026.2.19 gateway running either the official diagnostics-otel bundled with it or
// our packed plugin, into a receiver that decodes metrics, traces and logs by path.
import fs from "node:fs";
import path from "node:path";
import { startMockModel } from "./mock-model.mjs";
import { packPlugin, startGateway } from "./gateway.mjs";
import { sleep } from "./procs.mjs";
import { counterSum, expectedFromServed, pricesFromConfig } from "./scenario.mjs";
import { CACHE } from "./versions.mjs";
import { latest, pointWith, startReceiver } from "../../__test__/support/receiver.mjs";

/**
 * One capture: `plugin` is "official" (the host's bundled plugin, ours not installed) or
 * "ours" (the packed tarball). Chat turns only: 2026.2.19 emits model.usage on chat.send.
 * Stops everything it started, also on error.
 */
export async function captureRun({ plugin, version = "2026.2.19", turns = 3, serviceName = "openclaw-compare", log = () => {}, exportWaitMs = 30000, heartbeatWaitMs = 45000, spec }) {
  const started = [];
  const cleanup = async () => {
    for (const s of started.reverse()) await s().catch(() => {});
  };
  try {
    let tarball;
    if (plugin === "ours") {
      // Its own pack dir: e2e.test.mjs repacks into .cache/e2e/pack.
      const packDir = path.join(CACHE, "pack-compare");
      fs.rmSync(packDir, { recursive: true, force: true });
      tarball = packPlugin(packDir);
    }
    const mock = await startMockModel();
    started.push(() => mock.stop());
    const receiver = await startReceiver();
    started.push(() => receiver.stop());
    const otel = { enabled: true, endpoint: receiver.httpBase, flushIntervalMs: 1000, serviceName };
    const gw = await startGateway({
      version, tarball, mockBaseUrl: mock.baseUrl, otel, log, spec,
      install: plugin === "official" ? "none" : undefined,
      label: `compare-${plugin}-${version}`,
    });
    started.push(() => gw.stop());
    const turnMs = [];
    for (let i = 0; i < turns; i++) {
      const r = await gw.chatTurn(`hello from compare turn ${i + 1}`, `cmp-${i + 1}-${gw.runId.slice(0, 8)}`);
      turnMs.push(r.ms);
    }
    const expected = expectedFromServed(mock.served, pricesFromConfig(gw.configPath));
    let exportWaitError;
    try {
      await receiver.waitFor((reqs) => counterSum(reqs, "openclaw.tokens", { "openclaw.token": "output" }) === expected.tokens.output, exportWaitMs);
    } catch (err) {
      exportWaitError = err.message;
    }
    // The host emits diagnostic.heartbeat every 30 s after activity (queue.depth with channel
    // heartbeat): wait for it so both captures hold the same series, whatever the timing.
    let heartbeatWaitError;
    try {
      await receiver.waitFor((reqs) => pointWith(latest(reqs, "openclaw.queue.depth"), { "openclaw.channel": "heartbeat" }), heartbeatWaitMs);
      // Two more intervals so every counter fed up to now is in the newest export.
      const n = receiver.requests.length;
      await receiver.waitFor((reqs) => reqs.filter((r) => r.path === "/v1/metrics").length >= n + 2, 10000);
    } catch (err) {
      heartbeatWaitError = err.message;
    }
    const stopReport = await gw.stop();
    // Lines the receiver printed while the gateway flushed on shutdown.
    await sleep(500);
    const leftover = gw.pids();
    fs.writeFileSync(path.join(gw.dir, "otlp-requests.jsonl"), receiver.requests.map((r) => JSON.stringify(r)).join("\n") + "\n");
    fs.writeFileSync(path.join(gw.dir, "mock-served.json"), JSON.stringify({ served: mock.served, unexpected: mock.unexpected }, null, 1));
    const logMessages = gw.logMessages();
    await cleanup();
    return {
      plugin, version, dir: gw.dir, installMethod: gw.installMethod, requests: receiver.requests, served: mock.served,
      unexpected: mock.unexpected, expected, exportWaitError, heartbeatWaitError, stopReport, leftover, logMessages, turnMs,
      gatewayOut: gw.tail(400),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
