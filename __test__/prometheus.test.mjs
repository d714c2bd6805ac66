// The Prometheus exposition in the stand-in host, scraped by a real Prometheus (Debian 2.42, from
// e2e/lib/prometheus.mjs): names as the OTLP receiver would give them, values read back through
// Prometheus' query API, the bearer token, the series cap, scrape-only mode, and reloads that
// rebind the port.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freePort, startPrometheus } from "../e2e/lib/prometheus.mjs";
import { CASES } from "./support/catalog-cases.mjs";
import { makeHost, makeLogger, register, sleep } from "./support/host.mjs";

const TOKEN = "scrape-token-7f3a";
const sum = (r) => r.result.reduce((n, s) => n + Number(s.value[1]), 0);

function ctx(prometheus, otel = { enabled: false }, logger = makeLogger()) {
  return {
    config: { diagnostics: { enabled: true, otel }, plugins: { entries: { "diagnostics-otel": { enabled: true, config: { prometheus } } } } },
    logger,
  };
}

async function get(url, headers = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
}

describe("Prometheus exposition, scraped by Prometheus 2.42", () => {
  let prom;
  let host;
  let service;
  let port;
  const logger = makeLogger();

  before(async () => {
    port = await freePort();
    // 2026.9's bus: the catalog's events are mostly trusted ones (the listener serves any host).
    host = await makeHost("2026.9.6");
    [service] = register(host.plugin);
    await service.start(ctx({ enabled: true, port, bearerToken: TOKEN }, { enabled: false }, logger));
    prom = await startPrometheus({
      scrapeConfigs: [
        {
          job_name: "openclaw-scrape",
          honor_labels: true,
          authorization: { credentials: TOKEN },
          static_configs: [{ targets: [`127.0.0.1:${port}`] }],
        },
      ],
    });
  });

  after(async () => {
    await service?.stop();
    await prom?.stop();
    host?.cleanup();
  });

  test("the startup line says where scrapes are served; a scrape needs the token", async () => {
    const line = logger.lines.find((l) => l.message.includes("Prometheus scrapes"));
    assert.ok(line, JSON.stringify(logger.lines));
    assert.match(line.message, new RegExp(`http://127\\.0\\.0\\.1:${port}/metrics \\(token required\\)`));
    assert.ok(!logger.lines.some((l) => l.message.includes(TOKEN)), "the token was printed");
    assert.equal((await get(`http://127.0.0.1:${port}/metrics`)).status, 401);
    assert.equal((await get(`http://127.0.0.1:${port}/metrics`, { authorization: "Bearer wrong-token-xxxx" })).status, 401);
    assert.equal((await get(`http://127.0.0.1:${port}/other`, { authorization: `Bearer ${TOKEN}` })).status, 404);
    const ok = await get(`http://127.0.0.1:${port}/metrics`, { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.match(ok.type, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.match(ok.text, /# EOF\n$/);
  });

  test("every catalog event's values come back from Prometheus under the translated names", async () => {
    for (const [, evt, meta] of CASES) host.bus.emit(evt, meta);
    await sleep(300); // the recording thread
    await prom.scraped();
    const names = new Set(await prom.names());
    const { prometheusNames } = (await import("../index.js")).loadNative();
    const byOtlp = new Map(prometheusNames().map((n) => [n.otlp, n]));
    const checked = new Set();
    for (const [label, , , expected] of CASES) {
      for (const [metric, kind, , attrs, value] of expected) {
        const p = byOtlp.get(metric);
        assert.ok(p, `${metric} has no Prometheus name`);
        const series = kind === "histogram" ? `${p.prometheus}_count` : p.prometheus;
        assert.ok(names.has(series), `${label}: Prometheus never saw ${series}`);
        const matchers = Object.entries(attrs).map(([k, v]) => `${k.replaceAll(".", "_")}=${JSON.stringify(String(v))}`);
        const sel = (name) => `${name}{${[`job="openclaw"`, ...matchers].join(",")}}`;
        if (kind === "histogram") {
          // The whole catalog is emitted once, so one series may have several observations.
          const count = sum(await prom.query(`sum(${sel(`${p.prometheus}_count`)})`));
          assert.ok(count >= value.count, `${label}: ${p.prometheus}_count ${count} < ${value.count}`);
        } else if (!checked.has(sel(series))) {
          checked.add(sel(series));
          const want = CASES.flatMap(([, , , e]) => e).filter(([m, , , a]) => m === metric && Object.entries(attrs).every(([k, v]) => a[k] === v)).length;
          const got = sum(await prom.query(`sum(${sel(series)})`));
          assert.ok(got >= value, `${label}: ${series} is ${got}, want at least ${value} (${want} cases)`);
        }
      }
    }
    // The resource: job/instance on every series, the rest on target_info.
    const info = await prom.query(`target_info{job="openclaw"}`);
    assert.equal(info.result.length, 1);
    assert.match(info.result[0].metric.instance, /^[0-9a-f-]{36}$/);
    assert.equal(info.result[0].metric.telemetry_sdk_language, "rust");
    const tokens = await prom.query(`openclaw_tokens_total{openclaw_token="input",openclaw_model="gpt-5.4"}`);
    assert.equal(tokens.result[0].metric.instance, info.result[0].metric.instance);
    assert.equal(Number(tokens.result[0].value[1]), 120);
  });

  test("scrapes are cumulative and survive stop/start: the port is rebound each time", async () => {
    for (let i = 0; i < 3; i++) {
      await service.stop();
      const down = await fetch(`http://127.0.0.1:${port}/metrics`).then(() => "up", () => "down");
      assert.equal(down, "down", "the listener outlived its generation");
      await service.start(ctx({ enabled: true, port, bearerToken: TOKEN }));
      host.bus.emit({ type: "model.usage", provider: "openai", model: "m-reload", usage: { input: 7 } }, { trusted: true });
      await sleep(200);
    }
    const scrape = await get(`http://127.0.0.1:${port}/metrics`, { authorization: `Bearer ${TOKEN}` });
    assert.match(scrape.text, /openclaw_tokens_total\{[^}]*openclaw_model="m-reload"[^}]*openclaw_token="input"[^}]*\} 7\.0/);
    await prom.scraped();
    // Each generation restarts its counters; rate()/increase() handle the reset.
    const r = await prom.query(`max(openclaw_tokens_total{openclaw_model="m-reload",openclaw_token="input"})`);
    assert.equal(sum(r), 7);
  });
});

describe("Prometheus exposition, options", () => {
  test("the series cap keeps the first series and shows what it refused", async () => {
    const host = await makeHost("2026.9.6");
    const [service] = register(host.plugin);
    const port = await freePort();
    try {
      await service.start(ctx({ enabled: true, port, maxSeries: 3 }));
      for (let i = 0; i < 10; i++) host.bus.emit({ type: "message.queued", channel: "webchat", source: `s${i}` }, { trusted: true });
      host.bus.emit({ type: "diagnostic.heartbeat", queued: 1 }, { trusted: true });
      await sleep(300);
      await get(`http://127.0.0.1:${port}/metrics`); // the cap counts on this scrape
      const text = (await get(`http://127.0.0.1:${port}/metrics`)).text;
      const capped = text.split("\n").filter((l) => /^[a-z_]+(_total|_bucket|_count|_sum)?\{/.test(l) && !/^(target_info|openclaw_telemetry_dropped_total)\{/.test(l));
      const series = new Set(capped.map((l) => l.replace(/(_bucket|_sum|_count)\{le="[^"]*",/, "{").replace(/(_sum|_count)\{/, "{").replace(/ .*$/, "")));
      assert.ok(series.size <= 3, `${series.size} series: ${[...series].join("\n")}`);
      const dropped = text.match(/openclaw_telemetry_dropped_total\{[^}]*openclaw_reason="series_limit"[^}]*openclaw_signal="prometheus"[^}]*\} (\S+)/);
      assert.ok(dropped && Number(dropped[1]) > 0, text);
    } finally {
      await service.stop();
      host.cleanup();
    }
  });

  test("OpenClaw 2026.9: the plugin route is registered under the plugin's id, at operator scope", async () => {
    const host = await makeHost("2026.9.6");
    const routes = [];
    const services = [];
    const config = ctx({ enabled: true }).config;
    host.plugin.default.register({ id: "diagnostics-otel", runtime: { version: "2026.9.6" }, config, logger: makeLogger(), registerService: (s) => services.push(s), registerHttpRoute: (r) => routes.push(r) });
    assert.equal(routes.length, 1);
    const [route] = routes;
    assert.equal(route.path, "/api/diagnostics-otel/prometheus");
    assert.notEqual(route.path, "/api/diagnostics/prometheus");
    assert.deepEqual([route.auth, route.match, route.gatewayRuntimeScopeSurface], ["gateway", "exact", "trusted-operator"]);
    const logger = makeLogger();
    try {
      await services[0].start(ctx({ enabled: true }, { enabled: false }, logger));
      const summary = logger.lines.find((l) => l.message.includes("Prometheus scrapes"))?.message ?? "";
      assert.match(summary, /\/api\/diagnostics-otel\/prometheus on the gateway's port/);
      host.bus.emit({ type: "model.usage", provider: "p", model: "m", usage: { output: 5 } }, { trusted: true });
      await sleep(200);
      // The handler as the gateway calls it, after its own auth.
      const res = fakeResponse();
      await route.handler({ method: "GET", url: route.path, headers: {} }, res);
      assert.equal(res.status, 200);
      assert.match(res.body, /openclaw_tokens_total\{[^}]*openclaw_token="output"[^}]*\} 5\.0/);
      // Off: route disabled or the exposition not enabled registers nothing.
      const none = [];
      host.plugin.default.register({ id: "diagnostics-otel", config: ctx({ enabled: true, route: false }).config, registerService: () => {}, registerHttpRoute: (r) => none.push(r) });
      host.plugin.default.register({ id: "diagnostics-otel", config: {}, registerService: () => {}, registerHttpRoute: (r) => none.push(r) });
      assert.equal(none.length, 0);
    } finally {
      await services[0].stop();
      host.cleanup();
    }
    // After the stop, a late scrape gets 503, not a crash.
    const res = fakeResponse();
    await route.handler({ method: "GET", url: route.path, headers: {} }, res);
    assert.equal(res.status, 503);
  });

  test("a taken port or an unreadable token file warns once and the gateway goes on", async () => {
    const host = await makeHost("2026.2.19");
    const [service] = register(host.plugin, { version: "2026.2.19" });
    const blocker = (await import("node:net")).createServer();
    const port = await freePort();
    await new Promise((r) => blocker.listen(port, "127.0.0.1", r));
    const logger = makeLogger();
    try {
      await service.start(ctx({ enabled: true, port }, { enabled: false }, logger));
      const warn = logger.lines.filter((l) => l.level === "warn" && l.message.includes(`127.0.0.1:${port}`));
      assert.equal(warn.length, 1, JSON.stringify(logger.lines));
      assert.match(warn[0].message, /EADDRINUSE/);
      await service.stop();
      const logger2 = makeLogger();
      await service.start(ctx({ enabled: true, port: port + 1, bearerTokenFile: "/nonexistent/token" }, { enabled: false }, logger2));
      assert.ok(logger2.lines.some((l) => l.level === "warn" && /bearerTokenFile .* could not be read .*stays off/.test(l.message)), JSON.stringify(logger2.lines));
      assert.ok(logger2.lines.some((l) => l.level === "warn" && /nowhere to serve/.test(l.message)), JSON.stringify(logger2.lines));
    } finally {
      await service.stop();
      blocker.close();
      host.cleanup();
    }
  });
});

function fakeResponse() {
  const res = { status: 0, headers: {}, body: "" };
  res.writeHead = (status, headers) => {
    res.status = status;
    res.headers = headers;
    return res;
  };
  res.end = (body) => {
    res.body += body ?? "";
    return res;
  };
  res.destroy = () => {};
  return res;
}
