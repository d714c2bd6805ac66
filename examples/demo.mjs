// The main job until the real-gateway demo lands: SYNTHETIC. The plugin is loaded through
// index.js in a stand-in host (the same one the tests use), fed a scripted stream of
// OpenClaw-shaped diagnostic events, and exports over OTLP http/protobuf to a local receiver
// that decodes with upstream's protobuf classes. It prints what crossed the wire.
import { ctxFor, makeHost, makeLogger, register } from "../__test__/support/host.mjs";
import { heartbeat, messageFlow, stuck } from "../__test__/support/events.mjs";
import { metricsOf, startReceiver } from "../__test__/support/receiver.mjs";

const receiver = await startReceiver();
const host = await makeHost("2026.9.6");
const logger = makeLogger();
try {
  const [service] = register(host.plugin);
  await service.start(ctxFor({ enabled: true, endpoint: receiver.httpBase, serviceName: "openclaw-demo" }, { logger }));
  const events = [
    ...messageFlow(),
    ...messageFlow({ input: 900, output: 310, cacheRead: 2048, cost: 0.0127, durationMs: 23500 }),
    ...messageFlow({ channel: "telegram", provider: "openrouter/anthropic", model: "claude-sonnet-4", input: 1500, output: 420, cost: 0.0108, durationMs: 9100 }),
    heartbeat,
    stuck,
  ];
  for (const e of events) host.bus.emit(e, { trusted: true });
  await service.stop(); // the final export of the generation carries everything

  for (const l of logger.lines) console.log(`[plugin ${l.level}] ${l.message}`);
  const req = receiver.requests.at(-1);
  const metrics = metricsOf([req]);
  const resource = metrics[0]?.resource ?? {};
  console.log(`\nSYNTHETIC demo: ${events.length} scripted events -> ${receiver.requests.length} OTLP request(s), ${req.contentType}, ${metrics.length} metrics`);
  console.log(`resource: service.name=${resource["service.name"]} service.instance.id=${resource["service.instance.id"]} service.version=${resource["service.version"]}\n`);
  const rows = [["metric", "kind", "unit", "attributes", "value"]];
  for (const m of metrics.sort((a, b) => a.name.localeCompare(b.name))) {
    for (const p of m.points) {
      const attrs = Object.entries(p.attrs).map(([k, v]) => `${k.replace(/^openclaw\./, "")}=${v}`).join(" ");
      const value = m.kind === "histogram" ? `count=${p.count} sum=${+p.sum.toFixed(6)}` : String(+p.value.toFixed(6));
      rows.push([m.name, m.kind === "sum" ? "counter" : m.kind, m.unit, attrs, value]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => c.padEnd(widths[j])).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
} finally {
  await receiver.stop();
  host.cleanup();
}
