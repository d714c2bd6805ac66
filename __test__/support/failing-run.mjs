// Child process of faults.test.mjs: a run in which everything fails, with secrets planted in
// every place a user puts them. It prints every line the plugin logs and its status(), and the
// test scans all of this process's output for the planted secrets.
import { TURN } from "./events.mjs";
import { closedPort } from "./fixture.mjs";
import { ctxFor, makeHost, register, sleep } from "./host.mjs";

export const SECRET = "S3CRET";

const closed = await closedPort();
Object.assign(process.env, {
  OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Basic ${SECRET}b64==,x-api-key=${SECRET}-env-key,${SECRET}-not-a-pair`,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://tracer:${SECRET}-dns@collector.invalid:4318/v1/traces`,
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://logger:${SECRET}-bad@[::1`,
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_EXPORTER_OTLP_TIMEOUT: "1500",
});
const lines = [];
const logger = Object.fromEntries(["debug", "info", "warn", "error"].map((level) => [level, (m) => lines.push(`${level}: ${m}`)]));
const host = await makeHost("2026.9.6");
try {
  const [service] = register(host.plugin);
  await service.start(
    ctxFor(
      {
        enabled: true,
        endpoint: `http://user:${SECRET}-pw@127.0.0.1:${closed}`,
        headers: { Authorization: `Bearer ${SECRET}-tok`, "x-api-key": `${SECRET}-key`, [`bad name ${SECRET}`]: "v" },
        traces: true,
        logs: true,
        flushIntervalMs: 500,
        serviceName: `gw token=${SECRET}-svc`,
      },
      { logger },
    ),
  );
  for (const { evt, meta } of TURN) host.bus.emitRaw(evt, meta);
  // Secrets in event text: errors, log records, webhook failures.
  host.bus.emit({ type: "webhook.error", channel: "telegram", updateType: "message", error: `401 for Bearer ${SECRET}-evt (chat id chat-4242)`, chatId: 4242 });
  host.bus.emit(
    { type: "log.record", level: "error", message: `login failed password=${SECRET}-msg`, attributes: { password: `${SECRET}-attr`, apiKey: `${SECRET}-attr2`, email: "a@b.c" } },
    { trusted: true },
  );
  await sleep(2500);
  const flushed = await host.plugin.flush(3000);
  lines.push(`flush: ${JSON.stringify(flushed)}`);
  lines.push(`status: ${JSON.stringify(host.plugin.status())}`);
  await service.stop();
  lines.push(`status after stop: ${JSON.stringify(host.plugin.status())}`);
} finally {
  host.cleanup();
}
for (const l of lines) console.log(l);
