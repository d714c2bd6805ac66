// A real Prometheus for the tests and the demo: Debian's `prometheus` package (2.42, with
// promtool), unpacked into the gitignored cache (deb.mjs). Started on 127.0.0.1 with its own config
// and storage, queried over its HTTP API.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureDeb, run } from "./deb.mjs";
import { freePort } from "./gateway.mjs";
import { CACHE } from "./versions.mjs";

export { freePort };

export const PROMETHEUS = { version: "2.42", dir: path.join(CACHE, "prometheus") };
const bin = (name) => path.join(PROMETHEUS.dir, "root/usr/bin", name);
export const prometheusBin = () => bin("prometheus");
export const promtoolBin = () => bin("promtool");

/** Fetches and unpacks the package once; its binary must say the expected version. */
export function ensurePrometheus() {
  const works = () => fs.existsSync(promtoolBin()) && run(prometheusBin(), ["--version"]).out.includes(`version ${PROMETHEUS.version}`);
  return ensureDeb("prometheus", PROMETHEUS.dir, works);
}

/** The YAML of a prometheus.yml: JSON is valid YAML, so the config is written as JSON. */
function configText({ scrapeConfigs, ruleFiles, scrapeInterval, evaluationInterval }) {
  return JSON.stringify(
    {
      global: { scrape_interval: scrapeInterval, evaluation_interval: evaluationInterval },
      rule_files: ruleFiles,
      scrape_configs: scrapeConfigs,
    },
    null,
    2,
  );
}

/**
 * Starts Prometheus on a free loopback port. `scrapeConfigs` are Prometheus scrape_configs
 * objects. Resolves once it is ready; `stop()` kills it and removes its storage.
 */
export async function startPrometheus({ scrapeConfigs = [], ruleFiles = [], scrapeInterval = "1s", evaluationInterval = "1s", log } = {}) {
  ensurePrometheus();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "otel-rs-prom-"));
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(config, configText({ scrapeConfigs, ruleFiles, scrapeInterval, evaluationInterval }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const out = fs.openSync(path.join(dir, "prometheus.log"), "w");
  const child = spawn(
    prometheusBin(),
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
      // Series that stop being scraped stay queryable for the whole test.
      "--query.lookback-delta=10m",
    ],
    { stdio: ["ignore", out, out] },
  );
  fs.closeSync(out);
  const logText = () => fs.readFileSync(path.join(dir, "prometheus.log"), "utf8");
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${logText().slice(-2000)}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`prometheus not ready in 30 s: ${logText().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log?.(`prometheus ${PROMETHEUS.version} on ${url}`);
  const api = async (p, params = {}) => {
    const r = await fetch(`${url}/api/v1/${p}?${new URLSearchParams(params)}`);
    const body = await r.json();
    if (body.status !== "success") throw new Error(`prometheus ${p} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    dir,
    log: logText,
    /** An instant query: the result vector (or scalar) at `time` (default now). */
    query: (query, time) => api("query", time === undefined ? { query } : { query, time: String(time) }),
    queryRange: (query, start, end, step) => api("query_range", { query, start: String(start), end: String(end), step: String(step) }),
    /** Every metric name Prometheus has stored. */
    names: () => api("label/__name__/values"),
    targets: () => api("targets"),
    /** Waits until every target has been scraped successfully at least `n` times after now. */
    async scraped({ timeoutMs = 30000 } = {}) {
      const since = Date.now();
      const end = since + timeoutMs;
      for (;;) {
        const t = await api("targets");
        const active = t.activeTargets ?? [];
        if (active.length > 0 && active.every((a) => a.health === "up" && Date.parse(a.lastScrape) > since)) return active;
        if (Date.now() > end) throw new Error(`targets not scraped: ${JSON.stringify(active.map((a) => ({ url: a.scrapeUrl, health: a.health, err: a.lastError })))}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `promtool <args>`: { ok, out }. */
export function promtool(args, opts = {}) {
  ensurePrometheus();
  return run(promtoolBin(), args, opts);
}
