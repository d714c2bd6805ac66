// One end-to-end run: fresh plugin tarball, mock model, OTLP receiver, a real gateway, a few
// turns, a clean stop. Shared by e2e.test.mjs and demo.mjs. Expected values are computed here
// from what the mock served and the prices in the config the gateway read, never from what
// the plugin exported.
import fs from "node:fs";
import path from "node:path";
import { latest, startReceiver } from "../../__test__/support/receiver.mjs";
import { MODEL_ID, startMockModel } from "./mock-model.mjs";
import { PROVIDER, packPlugin, startGateway } from "./gateway.mjs";
import { CACHE } from "./versions.mjs";

/** Token counts and cost the gateway should report for the replies the mock served. */
export function expectedFromServed(served, prices) {
  const t = { input: 0, output: 0, cache_read: 0, cache_write: 0, prompt: 0, total: 0 };
  let costUsd = 0;
  for (const { usage: u } of served) {
    // OpenAI's prompt_tokens include cached ones; OpenClaw reports them apart.
    const input = u.prompt_tokens - u.cached_tokens;
    const output = u.completion_tokens;
    const cacheRead = u.cached_tokens;
    t.input += input;
    t.output += output;
    t.cache_read += cacheRead;
    t.prompt += input + cacheRead;
    t.total += input + output + cacheRead;
    costUsd += (input * prices.input + output * prices.output + cacheRead * prices.cacheRead) / 1e6;
  }
  return { tokens: t, costUsd };
}

/** The model prices as the gateway's config file holds them. */
export function pricesFromConfig(configPath) {
  const cfg = JSON.parse(fs.readFileSync(configPath, "utf8"));
  const model = cfg.models.providers[PROVIDER].models.find((m) => m.id === MODEL_ID);
  return model.cost;
}

/** Sum of a counter's latest values over the points matching `match`. */
export function counterSum(requests, name, match = {}) {
  const m = latest(requests, name);
  if (!m) return undefined;
  return m.points
    .filter((p) => Object.entries(match).every(([k, v]) => p.attrs[k] === v))
    .reduce((s, p) => s + p.value, 0);
}

/** Strings under keys that name a session (sessionKey, sessionId, key) anywhere in a value. */
function collectSessionIds(value, out) {
  if (Array.isArray(value)) for (const v of value) collectSessionIds(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (/^(key|sessionKey|sessionId)$/.test(k) && typeof v === "string") out.add(v);
      else collectSessionIds(v, out);
    }
  }
  return out;
}

/**
 * Runs `turns` ("agent" | "chat") against a gateway of `version`, waits until the exported
 * token total matches the mock, stops the gateway, and returns everything the tests assert on.
 * Call `cleanup()` on the result; on error everything started is already stopped.
 *
 * Optional: `pluginConfig` (plugins.entries["diagnostics-otel"].config); `turnPauseMs`, a pause
 * between turns; `beforeTurns({ gw, mock, receiver, defer })`, called once the plugin has said
 * it exports, before the first turn (its result is `run.beforeTurns`); `whileRunning({ gw, mock,
 * receiver, expected, before, defer })`, called after the turns and the export wait, before the
 * gateway stops (its result is `run.whileRunning`). `defer(stop)` registers a stop for whatever
 * a hook started, run by `cleanup()` (or at once on error), before the gateway's.
 */
export async function runScenario({ version, turns, serviceName = "openclaw-e2e", flushIntervalMs = 1000, endpoint, label, log = () => {}, exportWaitMs = 30000, install, registry, pluginConfig, turnPauseMs = 0, beforeTurns, whileRunning }) {
  const started = [];
  const defer = (stop) => started.push(async () => stop());
  const cleanup = async () => {
    for (const s of started.reverse()) await s().catch(() => {});
  };
  try {
    // Always a fresh tarball: the lead may have rebuilt the binary since the last run. None
    // when the plugin comes from a registry (registry.test.mjs publishes its own).
    let tarball;
    if (install !== "registry") {
      const packDir = path.join(CACHE, "pack");
      fs.rmSync(packDir, { recursive: true, force: true });
      tarball = packPlugin(packDir);
    }
    const mock = await startMockModel();
    started.push(() => mock.stop());
    let receiver;
    if (!endpoint) {
      receiver = await startReceiver();
      started.push(() => receiver.stop());
    }
    const otel = { enabled: true, endpoint: endpoint ?? receiver.httpBase, flushIntervalMs, serviceName, logs: true };
    const gw = await startGateway({ version, tarball, mockBaseUrl: mock.baseUrl, otel, pluginConfig, label, log, ...(install ? { install, registry } : {}) });
    started.push(() => gw.stop());
    const startupLine = await gw.waitForLog(/diagnostics-otel: exporting metrics/, 60000);
    const before = beforeTurns ? await beforeTurns({ gw, mock, receiver, defer }) : undefined;

    const results = [];
    for (const [i, kind] of turns.entries()) {
      if (i > 0 && turnPauseMs > 0) await new Promise((r) => setTimeout(r, turnPauseMs));
      const message = `hello from e2e turn ${i + 1}`;
      const r = kind === "chat" ? await gw.chatTurn(message, `e2e-${i + 1}-${gw.runId.slice(0, 8)}`) : await gw.agentTurn(message);
      log(`[e2e] ${version}: turn ${i + 1} via ${r.via} done in ${(r.ms / 1000).toFixed(1)} s`);
      results.push({ kind, ...r });
    }
    const prices = pricesFromConfig(gw.configPath);
    const expected = expectedFromServed(mock.served, prices);

    let exportWaitError;
    if (receiver) {
      try {
        await receiver.waitFor((reqs) => counterSum(reqs, "openclaw.tokens", { "openclaw.token": "total" }) === expected.tokens.total, exportWaitMs);
      } catch (err) {
        exportWaitError = err.message;
      }
    }

    const sessionIds = new Set();
    try {
      collectSessionIds(await gw.call("sessions.list", {}), sessionIds);
    } catch (err) {
      log(`[e2e] ${version}: sessions.list failed: ${err.message.slice(0, 300)}`);
    }
    for (const r of results) collectSessionIds(r.result?.meta ?? r.result?.result?.meta ?? {}, sessionIds);
    const store = path.join(gw.env.OPENCLAW_STATE_DIR, "agents", "main", "sessions", "sessions.json");
    if (fs.existsSync(store)) {
      const entries = JSON.parse(fs.readFileSync(store, "utf8"));
      for (const [k, v] of Object.entries(entries)) {
        sessionIds.add(k);
        if (typeof v?.sessionId === "string") sessionIds.add(v.sessionId);
      }
    }

    // The plugin's own status, as an operator reads it through the gateway.
    let pluginStatus;
    try {
      pluginStatus = await gw.call("diagnostics-otel.status", {});
    } catch (err) {
      pluginStatus = { callError: err.message.slice(0, 300) };
    }

    const during = whileRunning ? await whileRunning({ gw, mock, receiver, expected, before, defer }) : undefined;

    const requestsBeforeStop = receiver?.requests.length ?? 0;
    const stopStarted = Date.now();
    const stopReport = await gw.stop();
    const stopMs = Date.now() - stopStarted;
    const leftover = gw.pids();
    // What crossed the wire, decoded, kept beside the gateway's logs for post-mortems.
    if (receiver) fs.writeFileSync(path.join(gw.dir, "otlp-requests.jsonl"), receiver.requests.map((r) => JSON.stringify(r)).join("\n") + "\n");
    fs.writeFileSync(path.join(gw.dir, "mock-served.json"), JSON.stringify({ served: mock.served, unexpected: mock.unexpected }, null, 1));
    return {
      version,
      gw,
      mock,
      receiver,
      tarball,
      startupLine,
      turns: results,
      prices,
      expected,
      exportWaitError,
      pluginStatus,
      sessionIds: [...sessionIds],
      requestsBeforeStop,
      stopReport,
      stopMs,
      leftover,
      logMessages: gw.logMessages(),
      beforeTurns: before,
      whileRunning: during,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
