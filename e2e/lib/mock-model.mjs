// A mock OpenAI-compatible model on 127.0.0.1: POST /v1/chat/completions, streaming (SSE, usage
// in the last chunk) and not. Reply n (0-based) reports USAGE[n % USAGE.length], so tests know
// every token count in advance; `served` records what was answered.
import http from "node:http";

export const MODEL_ID = "mock-1";

// Distinct per reply and with cached tokens, so a dropped or doubled turn changes every total.
export const USAGE = [
  { prompt_tokens: 1200, cached_tokens: 0, completion_tokens: 37 },
  { prompt_tokens: 1530, cached_tokens: 1024, completion_tokens: 53 },
  { prompt_tokens: 1877, cached_tokens: 1536, completion_tokens: 71 },
  { prompt_tokens: 2210, cached_tokens: 2048, completion_tokens: 19 },
];

/** The usage object as an OpenAI endpoint reports it. */
export function openAiUsage(u) {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function readBody(req, limit = 8 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) reject(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startMockModel({ usage = USAGE } = {}) {
  const served = [];
  const unexpected = [];
  const sockets = new Set();
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && /\/v1\/models$/.test(path)) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: MODEL_ID, object: "model", owned_by: "mock" }] }));
      return;
    }
    if (req.method !== "POST" || !/\/v1\/chat\/completions$/.test(path)) {
      unexpected.push({ method: req.method, path });
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `mock: no route ${req.method} ${path}` } }));
      return;
    }
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      unexpected.push({ method: req.method, path, error: String(err) });
      res.writeHead(400).end();
      return;
    }
    const n = served.length;
    const u = usage[n % usage.length];
    const text = `mock reply ${n + 1}`;
    const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
    served.push({
      n,
      stream: body.stream === true,
      model: body.model,
      usage: u,
      messages: body.messages?.length ?? 0,
      tools: body.tools?.length ?? 0,
      lastUser: typeof lastUser?.content === "string" ? lastUser.content : JSON.stringify(lastUser?.content ?? null),
      at: Date.now(),
    });
    const id = `chatcmpl-mock-${n + 1}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        id, object: "chat.completion", created, model: body.model ?? MODEL_ID,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage: openAiUsage(u),
      }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (choices, extra = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model ?? MODEL_ID, choices, ...extra })}\n\n`);
    chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
    for (const word of text.split(/(?= )/)) chunk([{ index: 0, delta: { content: word }, finish_reason: null }]);
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
    // As OpenAI does with stream_options.include_usage: a final chunk with no choices.
    chunk([], { usage: openAiUsage(u) });
    res.end("data: [DONE]\n\n");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    served,
    unexpected,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(() => r()));
    },
  };
}
