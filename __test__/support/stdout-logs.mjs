// Child process of traces-logs.test.mjs: replays the captured turn with logsExporter "stdout"
// so the test can read the JSON lines this process writes to its stdout.
import { TURN as turn } from "./events.mjs";
import { ctxFor, makeHost, register } from "./host.mjs";

const host = await makeHost("2026.9.6");
try {
  const [service] = register(host.plugin);
  // Metrics and traces off: only the log route runs, so nothing needs a collector.
  await service.start(ctxFor({ enabled: true, metrics: false, traces: false, logs: true, logsExporter: "stdout", serviceName: "gw-stdout" }));
  for (const { evt, meta } of turn) host.bus.emitRaw(evt, meta);
  const flushed = await host.plugin.flush(5000);
  if (!flushed.ok) throw new Error(flushed.error);
  await service.stop();
} finally {
  host.cleanup();
}
