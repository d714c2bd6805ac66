// A fixed-seed, realistic diagnostic event mix, shaped as OpenClaw 2026.2.19 emits it
// (REFERENCE.md; __test__/support/events.mjs). One message flow is 8 events:
//   webhook.received -> message.queued -> queue.lane.enqueue -> session.state(processing) ->
//   queue.lane.dequeue -> model.usage -> message.processed -> session.state(idle)
// Providers, models, channels, sessions and lanes come from bounded sets, so metric series
// stay bounded as they do in a real gateway. The pool is built once, before any timing.

const PROVIDERS = {
  openai: ["gpt-5", "gpt-5-mini", "gpt-4.1"],
  anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5"],
  google: ["gemini-2.5-pro", "gemini-2.5-flash"],
  openrouter: ["deepseek/deepseek-chat", "qwen/qwen3-coder"],
};
const CHANNELS = ["telegram", "webchat", "discord", "slack", "whatsapp"];
const SESSIONS_PER_CHANNEL = 4;
const CONTEXT_LIMITS = [128000, 200000, 1000000];

// mulberry32: tiny, fast, and the same sequence on every machine.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(r) {
  const hex = () => Math.floor(r() * 16).toString(16);
  const part = (n) => Array.from({ length: n }, hex).join("");
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

/** Event types that a flow emits, with how many times each appears in one flow. */
export const FLOW = [
  "webhook.received",
  "message.queued",
  "queue.lane.enqueue",
  "session.state",
  "queue.lane.dequeue",
  "model.usage",
  "message.processed",
  "session.state",
];
export const EVENTS_PER_FLOW = FLOW.length;

/** Counters that count one per event of a type: the receiver's totals must match these. */
export const COUNTED = {
  "openclaw.webhook.received": "webhook.received",
  "openclaw.message.queued": "message.queued",
  "openclaw.queue.lane.enqueue": "queue.lane.enqueue",
  "openclaw.queue.lane.dequeue": "queue.lane.dequeue",
  "openclaw.session.state": "session.state",
  "openclaw.message.processed": "message.processed",
};

/** Span-producing events in this mix for the official plugin with traces on. */
export const SPAN_EVENTS = new Set(["model.usage", "message.processed"]);

/** `flows` message flows (8 events each) from a fixed seed. */
export function eventPool({ flows = 2048, seed = 20260219 } = {}) {
  const r = rng(seed);
  const pick = (list) => list[Math.floor(r() * list.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const sessions = [];
  for (const channel of CHANNELS) {
    for (let i = 0; i < SESSIONS_PER_CHANNEL; i++) {
      const sessionKey = i === 0 && channel === "webchat" ? "agent:main:main" : `agent:main:${channel}:dm:${100000 + int(0, 899999)}`;
      sessions.push({ channel, sessionKey, sessionId: uuid(r), chatId: int(1000, 9_999_999) });
    }
  }
  const providers = Object.keys(PROVIDERS);
  const events = [];
  for (let f = 0; f < flows; f++) {
    const s = pick(sessions);
    const provider = pick(providers);
    const model = pick(PROVIDERS[provider]);
    const lane = `session:${s.sessionKey}`;
    const depth = int(0, 3);
    const input = int(200, 24000);
    const output = int(20, 2500);
    const cacheRead = r() < 0.6 ? int(0, 60000) : 0;
    const cacheWrite = r() < 0.2 ? int(0, 4000) : 0;
    const durationMs = int(400, 45000);
    const failed = r() < 0.04;
    const messageId = `m-${f}`;
    events.push(
      { type: "webhook.received", channel: s.channel, updateType: "message" },
      { type: "message.queued", sessionId: s.sessionId, sessionKey: s.sessionKey, channel: s.channel, source: "dispatch", queueDepth: depth + 1 },
      { type: "queue.lane.enqueue", lane, queueSize: depth + 1 },
      { type: "session.state", sessionId: s.sessionId, sessionKey: s.sessionKey, prevState: "idle", state: "processing", reason: "message", queueDepth: depth },
      { type: "queue.lane.dequeue", lane, queueSize: depth, waitMs: int(0, 1500) },
      {
        type: "model.usage",
        sessionKey: s.sessionKey,
        sessionId: s.sessionId,
        channel: s.channel,
        provider,
        model,
        usage: { input, output, cacheRead, cacheWrite, promptTokens: input + cacheRead + cacheWrite, total: input + output + cacheRead + cacheWrite },
        lastCallUsage: { input: Math.min(input, 8000), output },
        context: { limit: pick(CONTEXT_LIMITS), used: input + cacheRead },
        costUsd: Math.round((input * 3 + output * 15) / 10) / 1e5,
        durationMs,
      },
      failed
        ? { type: "message.processed", channel: s.channel, messageId, sessionKey: s.sessionKey, sessionId: s.sessionId, chatId: s.chatId, durationMs: durationMs + int(5, 200), outcome: "error", error: "model request failed: 529 overloaded" }
        : { type: "message.processed", channel: s.channel, messageId, sessionKey: s.sessionKey, sessionId: s.sessionId, chatId: s.chatId, durationMs: durationMs + int(5, 200), outcome: "completed" },
      { type: "session.state", sessionId: s.sessionId, sessionKey: s.sessionKey, prevState: "processing", state: "idle", reason: failed ? "run_failed" : "run_completed", queueDepth: 0 },
    );
  }
  return events;
}

/** How many events of each counted type `n` emitted events (cycling the pool) contain. */
export function expectedCounts(pool, n) {
  const perType = {};
  const full = Math.floor(n / pool.length);
  const rest = n % pool.length;
  for (let i = 0; i < pool.length; i++) {
    const times = full + (i < rest ? 1 : 0);
    if (times) perType[pool[i].type] = (perType[pool[i].type] ?? 0) + times;
  }
  return perType;
}
