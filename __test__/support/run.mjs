// One plugin generation in a fake host, exporting to a real OTLP receiver: start, feed events,
// flush, read status, stop. Shared by the wire tests.
import { ctxFor, makeHost, makeLogger, register } from "./host.mjs";
import { startReceiver } from "./receiver.mjs";

/**
 * `events` are emitted like the host does (seq/ts stamped, frozen) with meta `{trusted}`;
 * `recorded` are `{evt, meta}` pairs delivered untouched (captured from a real gateway).
 * `env` is set in process.env for the generation's start; `binary` is makeHost's option.
 */
export async function runOnce({ version = "2026.9.6", otel, events = [], recorded = [], trusted = false, env = {}, receiverOpts, binary }) {
  const receiver = await startReceiver(receiverOpts);
  const host = await makeHost(version, { binary });
  const logger = makeLogger();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const [service] = register(host.plugin, { version });
    const endpoint = otel.protocol === "grpc" ? receiver.grpcBase : receiver.httpBase;
    await service.start(ctxFor({ enabled: true, endpoint, flushIntervalMs: 60000, ...otel }, { logger }));
    for (const e of events) host.bus.emit(e, { trusted });
    for (const { evt, meta } of recorded) host.bus.emitRaw(evt, meta);
    const flushed = await host.plugin.flush(5000);
    const status = host.plugin.status();
    await service.stop();
    // The receiver prints each request before answering it; the barrier makes sure every
    // printed line was read (a slow machine, e.g. qemu, otherwise races the assertions).
    await receiver.sync();
    return { receiver, logger, flushed, status, requests: receiver.requests };
  } finally {
    process.env = saved;
    await receiver.stop();
    host.cleanup();
  }
}
