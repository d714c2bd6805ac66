// The one setup the Node tests share: a real OTLP receiver, a stand-in host with the plugin
// registered and started, the addon loaded through index.js, and free ports. Every test that
// needs a server starts its own through here and leaves nothing behind.
import net from "node:net";
import { ctxFor, makeHost, makeLogger, register } from "./host.mjs";
import { startReceiver } from "./receiver.mjs";

/**
 * Runs `fn({receiver, host, logger, service})` with the plugin started in a `version` host and
 * exporting to its own receiver (`receiverMode`, see otlp_receiver.py) or to `receiver` (the
 * caller's, left running), `otel` merged over `{enabled, endpoint}`, `plugin` as the plugin
 * entry's config, and `env` set in process.env for the run. Everything is stopped and restored
 * afterwards, whatever `fn` did (stop() is safe to call twice).
 */
export async function withPlugin({ version = "2026.9.6", otel = {}, env = {}, receiverMode = "ok", receiver: given, plugin, binary } = {}, fn) {
  const receiver = given ?? (await startReceiver({ mode: receiverMode }));
  const host = await makeHost(version, { binary });
  const logger = makeLogger();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const [service] = register(host.plugin, { version });
  try {
    const endpoint = otel.protocol === "grpc" ? receiver.grpcBase : receiver.httpBase;
    const ctx = ctxFor({ enabled: true, endpoint, ...otel }, { logger });
    if (plugin) ctx.config.plugins = { entries: { "diagnostics-otel": { enabled: true, config: plugin } } };
    await service.start(ctx);
    return await fn({ receiver, host, logger, service });
  } finally {
    await service.stop();
    process.env = saved;
    if (!given) await receiver.stop();
    host.cleanup();
  }
}

/**
 * One generation: start, feed events, flush, read status, stop. `events` are emitted like the
 * host does (seq/ts stamped, frozen) with meta `{trusted}`; `recorded` are `{evt, meta}` pairs
 * delivered untouched (captured from a real gateway).
 */
export async function runOnce({ version = "2026.9.6", otel, events = [], recorded = [], trusted = false, env = {}, receiverOpts, binary }) {
  return withPlugin({ version, otel: { flushIntervalMs: 60000, ...otel }, env, receiverMode: receiverOpts?.mode, binary }, async ({ receiver, host, logger, service }) => {
    for (const e of events) host.bus.emit(e, { trusted });
    for (const { evt, meta } of recorded) host.bus.emitRaw(evt, meta);
    const flushed = await host.plugin.flush(5000);
    const status = host.plugin.status();
    await service.stop();
    // The receiver prints each request before answering it; the barrier makes sure every
    // printed line was read (a slow machine, e.g. qemu, otherwise races the assertions).
    await receiver.sync();
    return { receiver, logger, flushed, status, requests: receiver.requests };
  });
}

let loaded;
/** The addon as index.js loads it (the `.node` beside it, else the platform package). */
export async function native() {
  loaded ??= (await import("../../index.js")).loadNative();
  return loaded;
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function closedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
