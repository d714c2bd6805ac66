// Realistic diagnostic events, shaped as OpenClaw 2026.2.19 emits them (see REFERENCE.md), and
// one recorded 2026.9.6 turn.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
export const SESSION_KEY = "agent:main:main";
export const SESSION_ID = "7f0c1a9e-5d1b-4c55-9d0e-2f4a8c1b9e77";

export function messageFlow({ channel = "webchat", provider = "mock", model = "mock-1", input = 120, output = 40, cacheRead = 0, cost = 0.0031, durationMs = 1850 } = {}) {
  return [
    { type: "webhook.received", channel: "telegram", updateType: "message" },
    { type: "message.queued", sessionId: SESSION_ID, sessionKey: SESSION_KEY, channel, source: "dispatch", queueDepth: 1 },
    { type: "queue.lane.enqueue", lane: `session:${SESSION_KEY}`, queueSize: 1 },
    { type: "session.state", sessionId: SESSION_ID, sessionKey: SESSION_KEY, prevState: "idle", state: "processing", reason: "message", queueDepth: 0 },
    { type: "queue.lane.dequeue", lane: `session:${SESSION_KEY}`, queueSize: 0, waitMs: 12 },
    {
      type: "model.usage", sessionKey: SESSION_KEY, sessionId: SESSION_ID, channel, provider, model,
      usage: { input, output, cacheRead, cacheWrite: 0, promptTokens: input + cacheRead, total: input + output + cacheRead },
      lastCallUsage: { input, output }, context: { limit: 128000, used: input + cacheRead }, costUsd: cost, durationMs,
    },
    { type: "message.processed", channel, messageId: "m-1", sessionKey: SESSION_KEY, sessionId: SESSION_ID, durationMs: durationMs + 40, outcome: "completed", chatId: 42 },
    { type: "session.state", sessionId: SESSION_ID, sessionKey: SESSION_KEY, prevState: "processing", state: "idle", reason: "run_completed", queueDepth: 0 },
    { type: "webhook.processed", channel: "telegram", updateType: "message", durationMs: 25, chatId: 42 },
  ];
}

export const heartbeat = { type: "diagnostic.heartbeat", webhooks: { received: 1, processed: 1, errors: 0 }, active: 1, waiting: 0, queued: 2 };
export const stuck = { type: "session.stuck", state: "processing", ageMs: 185000, queueDepth: 1, sessionKey: SESSION_KEY, sessionId: SESSION_ID };
export const webhookError = { type: "webhook.error", channel: "telegram", updateType: "message", error: "boom", chatId: 42 };
export const runAttempt = { type: "run.attempt", attempt: 2 };

const RECORDED = fs
  .readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/chat-tool-turn-2026.9.6.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));
// Moved to the present, as a live gateway delivers it: the plugin skips spans from more than a
// week ago as implausible (docs/metrics.md), and the recording is older than that. The shift is
// passed on to child processes, so that a test and its child replay the same times.
const DAY = 86_400_000;
const shift =
  Number(process.env.OTEL_RS_TEST_TURN_SHIFT_MS) || Math.floor((Date.now() - Math.max(...RECORDED.map((e) => e.evt.ts ?? 0))) / DAY) * DAY;
process.env.OTEL_RS_TEST_TURN_SHIFT_MS = String(shift);

/** One real 2026.9.6 turn as `{meta, evt}` pairs in delivery order (see fixtures/README.md),
 * its `ts` times moved by whole days so that it ended within the last day. */
export const TURN = RECORDED.map(({ meta, evt }) => ({ meta, evt: evt.ts === undefined ? evt : { ...evt, ts: evt.ts + shift } }));
