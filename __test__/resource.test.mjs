// The resource on the wire: the safe default detectors, OTEL_NODE_RESOURCE_DETECTORS (all,
// none, a list), OTEL_RESOURCE_ATTRIBUTES and the plugin config's resourceAttributes, with the
// precedence README states. Read back from what the real receiver decoded.
import assert from "node:assert/strict";
import os from "node:os";
import { test } from "node:test";
import { makeHost, makeLogger, register } from "./support/host.mjs";
import { metricsOf, startReceiver } from "./support/receiver.mjs";

const SAFE = ["host.name", "host.arch", "os.type", "process.pid", "process.runtime.name", "process.runtime.version", "process.runtime.description"];
const ASKED_FOR = ["host.id", "os.version", "process.command", "process.command_args", "process.executable.name", "process.executable.path", "process.owner"];

/** The resource of the first metrics export with `env` set and `config` as the plugin config. */
async function resourceWith({ env = {}, config, otel = {} } = {}) {
  const receiver = await startReceiver();
  const host = await makeHost("2026.9.6");
  const [service] = register(host.plugin);
  const logger = makeLogger();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await service.start({
      config: {
        diagnostics: { enabled: true, otel: { enabled: true, endpoint: receiver.httpBase, traces: false, flushIntervalMs: 60000, ...otel } },
        plugins: { entries: { "diagnostics-otel": { enabled: true, ...(config ? { config } : {}) } } },
      },
      logger,
    });
    host.bus.emit({ type: "model.usage", provider: "p", model: "m", usage: { input: 1 } }, { trusted: true });
    await host.plugin.flush(5000);
    await service.stop();
    await receiver.sync();
    return { resource: metricsOf(receiver.requests)[0]?.resource ?? {}, logger };
  } finally {
    process.env = saved;
    await receiver.stop();
    host.cleanup();
  }
}

test("by default: host name and arch, OS type, pid and runtime; no command line, owner or machine id", async () => {
  const { resource } = await resourceWith();
  for (const k of SAFE) assert.ok(k in resource, `${k} missing: ${JSON.stringify(resource)}`);
  for (const k of ASKED_FOR) assert.ok(!(k in resource), `${k} exported by default`);
  assert.equal(resource["host.name"], os.hostname());
  assert.equal(resource["host.arch"], { x64: "amd64", arm64: "arm64" }[process.arch]);
  assert.equal(resource["os.type"], "linux");
  assert.equal(Number(resource["process.pid"]), process.pid);
  assert.equal(resource["process.runtime.name"], "nodejs");
  assert.equal(resource["process.runtime.version"], process.versions.node);
});

test("OTEL_NODE_RESOURCE_DETECTORS: all adds what was asked for, none and a list take away", async () => {
  const all = (await resourceWith({ env: { OTEL_NODE_RESOURCE_DETECTORS: "all" } })).resource;
  for (const k of [...SAFE, "os.version", "process.command", "process.command_args", "process.executable.path", "process.owner"]) assert.ok(k in all, `${k} missing with all`);
  // An array attribute (the receiver shows arrays as their OTLP JSON).
  assert.deepEqual(JSON.parse(all["process.command_args"]).arrayValue.values.map((v) => v.stringValue), process.argv);
  assert.equal(all["process.owner"], os.userInfo().username);
  const none = (await resourceWith({ env: { OTEL_NODE_RESOURCE_DETECTORS: "none" } })).resource;
  for (const k of [...SAFE, ...ASKED_FOR]) assert.ok(!(k in none), `${k} with none`);
  assert.equal(none["service.name"], "openclaw");
  const { resource: list, logger } = await resourceWith({ env: { OTEL_NODE_RESOURCE_DETECTORS: "os,env,gcp" } });
  assert.ok("os.type" in list && "os.version" in list);
  assert.ok(!("host.name" in list) && !("process.pid" in list));
  assert.equal(logger.lines.filter((l) => l.level === "warn" && /gcp detector is not available/.test(l.message)).length, 1);
});

test("precedence: detectors < OTEL_RESOURCE_ATTRIBUTES < resourceAttributes; service.name from serviceName, OTEL_SERVICE_NAME, then the attributes", async () => {
  const env = { OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=staging,team=env,host.name=from-env,service.name=svc-env" };
  const config = { resourceAttributes: { team: "config", "k8s.pod.name": "gw-0" } };
  const a = (await resourceWith({ env, config })).resource;
  assert.equal(a["deployment.environment"], "staging");
  assert.equal(a.team, "config");
  assert.equal(a["k8s.pod.name"], "gw-0");
  assert.equal(a["host.name"], "from-env");
  assert.equal(a["service.name"], "svc-env");
  assert.match(a["service.instance.id"], /^[0-9a-f-]{36}$/);
  const b = (await resourceWith({ env: { ...env, OTEL_SERVICE_NAME: "svc-var" }, config: { resourceAttributes: { "service.name": "svc-config" } } })).resource;
  assert.equal(b["service.name"], "svc-var");
  const c = (await resourceWith({ env: { OTEL_SERVICE_NAME: "svc-var" }, otel: { serviceName: "svc-otel" }, config: { resourceAttributes: { "service.instance.id": "gw-0" } } })).resource;
  assert.equal(c["service.name"], "svc-otel");
  assert.equal(c["service.instance.id"], "gw-0");
});
