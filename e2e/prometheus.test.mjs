// A real Prometheus (Debian 2.42, scrape only: no OTLP receiver) scrapes real gateways: the
// plugin's route on OpenClaw 2026.9.6 (behind the gateway's token) and its standalone listener
// on 2026.2.19 (behind a bearer token), plus a stand-in host fed one event of every catalog type
// (job "openclaw-catalog"), so that every series a panel names exists. Then every dashboard
// panel and every alert expression runs against Prometheus' HTTP API. Expected token and cost
// values come from what the mock model served and the prices in the gateways' configs.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CASES } from "../__test__/support/catalog-cases.mjs";
import { heartbeat, messageFlow, runAttempt, stuck, webhookError } from "../__test__/support/events.mjs";
import { makeHost, makeLogger, register } from "../__test__/support/host.mjs";
import { startReceiver } from "../__test__/support/receiver.mjs";
import { loadDashboards, panelQueries } from "../dashboards/queries.mjs";
import { freePort, packPlugin, startGateway } from "./lib/gateway.mjs";
import { startMockModel } from "./lib/mock-model.mjs";
import { startPrometheus } from "./lib/prometheus.mjs";
import { counterSum, expectedFromServed, pricesFromConfig } from "./lib/scenario.mjs";
import { CACHE, ROOT } from "./lib/versions.mjs";

const ROUTE = "/api/diagnostics-otel/prometheus";
const log = (m) => console.log(m);
const value = (r) => r.result.reduce((n, s) => n + Number(s.value[1]), 0);
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

// The panels one chat turn must fill on every gateway (by dashboard uid and title): tokens,
// cost, messages, sessions and queues, and that the gateway reports.
const EXERCISED = {
  "openclaw-overview": ["Tokens", "Cost", "Gateways reporting", "Tokens/s by type", "Tokens/s by model", "Cost per hour by model", "Cost per hour by provider", "Cost per day by model", "Cost over the range by agent and model"],
  "openclaw-sessions": ["Session state transitions/s", "Session state transitions over the range", "Lane enqueue and dequeue/s", "Queue wait by lane", "Messages processed/s", "Message processing duration"],
  "openclaw-gateway": [],
  "openclaw-telemetry": ["Gateways reporting", "Seconds since last report", "Series per gateway"],
};
// And on 2026.9.6, whose catalog is larger: runs, model calls, RPCs, the event loop.
const EXERCISED_9 = {
  "openclaw-overview": ["Model calls", "Model-call latency", "Time to first byte", "Model calls/s by model", "Runs/s by outcome", "Run duration"],
  "openclaw-gateway": ["RPC requests/s by method", "RPC outcomes/s", "RPC first response", "RPC handler"],
};

/** Catalog series names a query mentions (names as docs/prometheus.md lists them). */
function seriesNamesIn(expr, known) {
  return [...new Set(expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [])].filter((w) => known.has(w));
}

describe("Prometheus 2.42 scrapes real gateways; dashboards and alerts run on what it stored", { timeout: 20 * 60 * 1000 }, () => {
  const stops = [];
  let prom;
  let gw9;
  let gw2;
  let expected9;
  let expected2;
  let receiver;
  let instances = {};
  const knownSeries = new Set(["up", "target_info"]);
  const catalogHost = {};

  before(async () => {
    const { prometheusNames } = (await import("../index.js")).loadNative();
    for (const n of prometheusNames()) {
      if (n.kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) knownSeries.add(n.prometheus + s);
      else knownSeries.add(n.prometheus);
    }
    const packDir = path.join(CACHE, "pack-prometheus");
    fs.rmSync(packDir, { recursive: true, force: true });
    const tarball = packPlugin(packDir);
    const mock9 = await startMockModel();
    const mock2 = await startMockModel();
    stops.push(() => mock9.stop(), () => mock2.stop());
    receiver = await startReceiver();
    stops.push(() => receiver.stop());

    // 2026.9.6: OTLP push to a receiver and scrapes on the gateway's route.
    gw9 = await startGateway({
      version: "2026.9.6",
      tarball,
      mockBaseUrl: mock9.baseUrl,
      label: "prometheus-2026.9.6",
      log,
      otel: { enabled: true, endpoint: receiver.httpBase, flushIntervalMs: 1000, serviceName: "openclaw" },
      pluginConfig: { prometheus: { enabled: true } },
    });
    stops.push(() => gw9.stop());
    // 2026.2.19: scrape only, on the standalone listener.
    const port2 = await freePort();
    const token2 = crypto.randomBytes(12).toString("hex");
    gw2 = await startGateway({
      version: "2026.2.19",
      tarball,
      mockBaseUrl: mock2.baseUrl,
      label: "prometheus-2026.2.19",
      log,
      otel: { enabled: false, serviceName: "openclaw" },
      pluginConfig: { prometheus: { enabled: true, port: port2, bearerToken: token2 } },
    });
    stops.push(() => gw2.stop());
    gw2.scrapePort = port2;
    gw2.scrapeToken = token2;

    // Every catalog type once, from a stand-in 2026.9 host, on its own listener.
    const portC = await freePort();
    catalogHost.host = await makeHost("2026.9.6");
    [catalogHost.service] = register(catalogHost.host.plugin);
    await catalogHost.service.start({
      config: {
        diagnostics: { enabled: true, otel: { enabled: false, serviceName: "openclaw-catalog" } },
        plugins: { entries: { "diagnostics-otel": { enabled: true, config: { prometheus: { enabled: true, port: portC } } } } },
      },
      logger: makeLogger(),
    });
    stops.push(async () => {
      await catalogHost.service.stop();
      catalogHost.host.cleanup();
    });
    for (const [, evt, meta] of CASES) catalogHost.host.bus.emit(evt, meta);
    // And the 2026.2.19-era types the 2026.9 cases do not cover, a full memory sample, and an
    // implausible value (so that the loss counter has a series too).
    const older = [...messageFlow(), heartbeat, stuck, webhookError, runAttempt];
    const memory = { type: "diagnostic.memory.sample", memory: { rssBytes: 3e8, heapUsedBytes: 1e8, heapTotalBytes: 2e8, externalBytes: 1e7, arrayBuffersBytes: 1e6 } };
    const implausible = { type: "model.usage", provider: "p", model: "m", usage: { input: -5 } };
    for (const evt of [...older, memory, implausible]) catalogHost.host.bus.emit(evt, { trusted: true, internal: true });

    const alerts = fs.existsSync(path.join(ROOT, "alerts")) ? fs.readdirSync(path.join(ROOT, "alerts")).filter((f) => f.endsWith(".rules.yml")).map((f) => path.join(ROOT, "alerts", f)) : [];
    prom = await startPrometheus({
      log,
      ruleFiles: alerts,
      scrapeConfigs: [
        // As docs/prometheus.md tells users: honor_labels keeps job/instance from the resource.
        { job_name: "openclaw", honor_labels: true, metrics_path: ROUTE, authorization: { credentials: gw9.token }, static_configs: [{ targets: [`127.0.0.1:${gw9.port}`] }] },
        { job_name: "openclaw-listener", honor_labels: true, authorization: { credentials: token2 }, static_configs: [{ targets: [`127.0.0.1:${port2}`] }] },
        { job_name: "openclaw-catalog", honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${portC}`] }] },
      ],
    });
    stops.push(() => prom.stop());

    for (const [gw, i] of [[gw9, 1], [gw9, 2], [gw2, 1], [gw2, 2]]) {
      const r = await gw.chatTurn(`hello prometheus ${i}`, `prom-${i}-${gw.runId.slice(0, 8)}`);
      log(`[e2e] ${gw.version}: turn ${i} done in ${(r.ms / 1000).toFixed(1)} s`);
    }
    expected9 = expectedFromServed(mock9.served, pricesFromConfig(gw9.configPath));
    expected2 = expectedFromServed(mock2.served, pricesFromConfig(gw2.configPath));
    // Which instance is which gateway: target_info carries service.version.
    const deadline = Date.now() + 90000;
    for (;;) {
      const info = await prom.query(`target_info{job="openclaw"}`);
      instances = Object.fromEntries(info.result.map((s) => [s.metric.service_version ?? s.metric.job, s.metric.instance]));
      const tokensOf = async (inst) => value(await prom.query(`sum(openclaw_tokens_total{openclaw_token="total",instance="${inst}"})`));
      const got9 = instances["2026.9.6"] ? await tokensOf(instances["2026.9.6"]) : 0;
      const got2 = instances["2026.2.19"] ? await tokensOf(instances["2026.2.19"]) : 0;
      if (got9 === expected9.tokens.total && got2 === expected2.tokens.total) break;
      if (Date.now() > deadline) throw new Error(`scraped tokens ${got9}/${got2}, want ${expected9.tokens.total}/${expected2.tokens.total}; targets: ${JSON.stringify(await prom.targets())}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await prom.scraped();
  });

  after(async () => {
    for (const s of stops.reverse()) await s().catch((e) => log(`cleanup: ${e.message}`));
  });

  test("the route needs the gateway's token and the listener its bearer token", async () => {
    const url9 = `http://127.0.0.1:${gw9.port}${ROUTE}`;
    assert.equal((await fetch(url9)).status, 401);
    const ok9 = await fetch(url9, { headers: { authorization: `Bearer ${gw9.token}` } });
    assert.equal(ok9.status, 200);
    assert.match(ok9.headers.get("content-type"), /^application\/openmetrics-text/);
    const url2 = `http://127.0.0.1:${gw2.scrapePort}/metrics`;
    assert.equal((await fetch(url2)).status, 401);
    assert.equal((await fetch(url2, { headers: { authorization: `Bearer ${gw2.scrapeToken}` } })).status, 200);
    for (const gw of [gw9, gw2]) {
      const line = gw.logMessages().find((m) => m.includes("Prometheus scrapes"));
      assert.ok(line, `${gw.version}: no startup line naming the scrape endpoint`);
      assert.ok(!line.includes(gw2.scrapeToken) && !line.includes(gw9.token), line);
      log(`[e2e] ${gw.version}: ${line}`);
    }
  });

  test("scraped tokens and cost equal the mock's usage times the prices, and what OTLP pushed", async () => {
    for (const [version, exp] of [["2026.9.6", expected9], ["2026.2.19", expected2]]) {
      const inst = instances[version];
      assert.ok(inst, `no target_info for ${version}: ${JSON.stringify(instances)}`);
      for (const [type, n] of Object.entries(exp.tokens)) {
        const got = value(await prom.query(`sum(openclaw_tokens_total{instance="${inst}",openclaw_token="${type}"})`));
        assert.equal(got, n, `${version} ${type} tokens`);
      }
      const cost = value(await prom.query(`sum(openclaw_cost_usd_total{instance="${inst}"})`));
      assert.ok(close(cost, exp.costUsd), `${version} cost ${cost} != ${exp.costUsd}`);
    }
    // Push and pull agree: the receiver's last cumulative export equals the scrape.
    await receiver.waitFor((reqs) => counterSum(reqs, "openclaw.tokens", { "openclaw.token": "total" }) === expected9.tokens.total, 30000);
    assert.ok(close(counterSum(receiver.requests, "openclaw.cost.usd"), expected9.costUsd));
  });

  test("every panel query runs, names only series Prometheus stored, and the exercised panels have data", async () => {
    const stored = new Set(await prom.names());
    const rows = [];
    const problems = [];
    for (const { dashboard } of loadDashboards()) {
      const uid = dashboard.uid;
      const scopes = [
        ["catalog", { job: "openclaw-catalog" }],
        ["2026.9.6", { job: "openclaw", instance: instances["2026.9.6"] }],
        ["2026.2.19", { job: "openclaw", instance: instances["2026.2.19"] }],
      ];
      for (const [scope, vars] of scopes) {
        const byPanel = new Map();
        for (const q of panelQueries(dashboard, vars)) {
          for (const name of seriesNamesIn(q.expr, knownSeries)) assert.ok(stored.has(name), `${uid} "${q.panel}": Prometheus never saw ${name}`);
          const r = await prom.query(q.expr);
          const has = r.resultType === "scalar" ? true : r.result.length > 0;
          byPanel.set(q.panel, (byPanel.get(q.panel) ?? false) || has);
        }
        const want = scope === "catalog" ? [] : [...(EXERCISED[uid] ?? []), ...(scope === "2026.9.6" ? EXERCISED_9[uid] ?? [] : [])];
        for (const title of want) {
          if (!byPanel.has(title)) problems.push(`${uid}: no panel "${title}"`);
          else if (!byPanel.get(title)) problems.push(`${uid} "${title}" has no data for ${scope}`);
        }
        const empty = [...byPanel].filter(([, has]) => !has).map(([t]) => t);
        rows.push(`${scope.padEnd(9)} ${uid.padEnd(20)} ${byPanel.size - empty.length}/${byPanel.size} panels with data${empty.length ? `; empty: ${empty.join(", ")}` : ""}`);
      }
    }
    log(rows.join("\n"));
    assert.deepEqual(problems, []);
  });

  test("the token and cost panels equal the mock's usage times the prices", async () => {
    const overview = loadDashboards().find((d) => d.dashboard.uid === "openclaw-overview").dashboard;
    for (const [version, exp] of [["2026.9.6", expected9], ["2026.2.19", expected2]]) {
      const queries = panelQueries(overview, { job: "openclaw", instance: instances[version] });
      const one = async (title) => {
        const q = queries.find((x) => x.panel === title);
        assert.ok(q, `no panel ${title}`);
        return value(await prom.query(q.expr));
      };
      assert.equal(await one("Tokens"), exp.tokens.total, `${version} Tokens panel`);
      const cost = await one("Cost");
      assert.ok(close(cost, exp.costUsd), `${version} Cost panel ${cost} != ${exp.costUsd}`);
    }
  });

  test("every alert rule evaluates cleanly in Prometheus", async (t) => {
    const rules = (await fetch(`${prom.url}/api/v1/rules`).then((r) => r.json())).data.groups.flatMap((g) => g.rules);
    if (rules.length === 0) return t.skip("no alerts/*.rules.yml yet");
    await new Promise((r) => setTimeout(r, 3000)); // a few evaluation rounds
    const again = (await fetch(`${prom.url}/api/v1/rules`).then((r) => r.json())).data.groups.flatMap((g) => g.rules);
    for (const rule of again) {
      assert.equal(rule.health, "ok", `${rule.name}: ${rule.lastError}`);
      await prom.query(rule.query);
    }
    const firing = again.filter((r) => r.type === "alerting" && r.alerts?.some((a) => a.labels.job === "openclaw" && a.state === "firing"));
    assert.deepEqual(firing.map((r) => r.name), [], "a healthy run fired alerts");
    log(`[e2e] ${again.length} rules evaluated, ${again.filter((r) => r.type === "alerting").length} alerts; firing on the catalog job: ${again.filter((r) => r.alerts?.some((a) => a.labels.job === "openclaw-catalog")).map((r) => r.name).join(", ") || "none"}`);
  });
});
