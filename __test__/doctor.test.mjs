// `openclaw-diagnostics-otel doctor`, spawned as users run it, each time with its own HOME,
// state dir and config; assertions are on the check lines, verdict and exit code it printed,
// and for the probes on what a real OTLP receiver decoded.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { logsOf, metricsOf, spansOf, startReceiver } from "./support/receiver.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "bin", "openclaw-diagnostics-otel.mjs");
const OPENCLAW_9 = path.join(ROOT, ".cache/e2e/openclaw/2026.9.6/node_modules/openclaw");
const ENTRY = 'plugins.entries["diagnostics-otel"].enabled';

// Seed 001's ConfigMap, as reported: diagnostics.otel right, the plugin never enabled.
const SEED_001 = {
  plugins: { entries: { discord: { enabled: true }, telegram: { enabled: true } } },
  diagnostics: {
    enabled: true,
    otel: {
      enabled: true,
      endpoint: "http://prometheus-k8s.monitoring.svc:9090/api/v1/otlp",
      protocol: "http/protobuf",
      serviceName: "openclaw",
      traces: false,
      metrics: true,
      logs: false,
      flushIntervalMs: 30000,
    },
  },
};

const tmpDirs = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** This package, loaded through plugins.load.paths (the repo itself), and enabled. */
function ours(diagnostics, plugins = {}) {
  return { plugins: { load: { paths: [ROOT] }, entries: { "diagnostics-otel": { enabled: true } }, ...plugins }, diagnostics };
}

/** A stand-in for the official plugin as OpenClaw 2026.2.19 bundles it. */
function fakeBundled(home) {
  const dir = path.join(home, "openclaw-bundled", "diagnostics-otel");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "@openclaw/diagnostics-otel", version: "2026.2.19", type: "module", openclaw: { extensions: ["./index.ts"] } }));
  fs.writeFileSync(path.join(dir, "openclaw.plugin.json"), JSON.stringify({ id: "diagnostics-otel", configSchema: {} }));
  return path.dirname(dir);
}

/**
 * Runs the doctor with a fresh HOME / OPENCLAW_STATE_DIR / OPENCLAW_CONFIG_PATH and nothing else
 * from this process's environment. `config` is an object or raw text.
 */
async function doctor({ config, args = [], vars = {}, setup } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-test-"));
  tmpDirs.push(home);
  const stateDir = path.join(home, ".openclaw");
  fs.mkdirSync(stateDir, { recursive: true });
  const configPath = path.join(stateDir, "openclaw.json");
  if (config !== undefined) fs.writeFileSync(configPath, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  const extra = setup?.({ home, stateDir }) ?? {};
  const env = { PATH: "/usr/bin:/bin", HOME: home, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: configPath, ...extra, ...vars };
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [BIN, "doctor", ...args], { env, timeout: 60000 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
  });
  const checks = stdout
    .split("\n")
    .map((l) => /^(ok|warn|fail|skip)\s+(\S+)\s+(.*)$/.exec(l))
    .filter(Boolean)
    .map(([, status, id, message]) => ({ status, id, message }));
  const verdict = /^verdict: (.*)$/m.exec(stdout)?.[1];
  return { code, stdout, stderr, checks, verdict, home, stateDir, configPath };
}

const show = (r) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const lineOf = (r, id, status) => r.checks.find((c) => c.id === id && (status === undefined || c.status === status));

describe("doctor: misconfigurations that export nothing (exit 1)", () => {
  test("seed 001: diagnostics.otel right, plugins.entries lacks diagnostics-otel (bundled copy)", async () => {
    const r = await doctor({ config: SEED_001, args: ["--no-probe"], setup: ({ home }) => ({ OPENCLAW_BUNDLED_PLUGINS_DIR: fakeBundled(home) }) });
    assert.equal(r.code, 1, show(r));
    assert.equal(lineOf(r, "config").status, "ok", show(r));
    assert.match(lineOf(r, "install").message, /@openclaw\/diagnostics-otel 2026\.2\.19 .*bundled with OpenClaw/, show(r));
    const enabled = lineOf(r, "enabled");
    assert.equal(enabled.status, "fail", show(r));
    assert.match(enabled.message, /plugins\.entries has no "diagnostics-otel": a plugin bundled with OpenClaw is off unless enabled/);
    assert.equal(lineOf(r, "diagnostics").status, "ok");
    assert.ok(r.verdict.startsWith("NOT EXPORTING"), show(r));
    assert.ok(r.verdict.includes(ENTRY), show(r));
    assert.match(r.stdout, /exit code 1\n$/);
  });

  test("seed 001 against the real OpenClaw 2026.2.19 on PATH, when the e2e cache has it", async (t) => {
    const bin = path.join(ROOT, ".cache/e2e/openclaw/2026.2.19/node_modules/.bin");
    if (!fs.existsSync(path.join(bin, "openclaw"))) return t.skip("no .cache/e2e/openclaw/2026.2.19 (npm run setup:e2e)");
    const r = await doctor({ config: SEED_001, args: ["--no-probe"], vars: { PATH: `${bin}:/usr/bin:/bin` } });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "install").message, /@openclaw\/diagnostics-otel 2026\.2\.19 at .*openclaw\/extensions\/diagnostics-otel \(bundled with OpenClaw 2026\.2\.19\)/, show(r));
    assert.ok(r.verdict.includes(ENTRY), show(r));
    // Its 2026.2.19 exporter claims protobuf and sends JSON: said, as a warning.
    assert.ok(r.checks.some((c) => c.status === "warn" && /sends OTLP JSON while claiming http\/protobuf/.test(c.message)), show(r));
  });

  test("plugins.allow without diagnostics-otel", async () => {
    const r = await doctor({ config: ours(SEED_001.diagnostics, { allow: ["discord", "telegram"] }), args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.equal(lineOf(r, "install").status, "ok", show(r));
    const enabled = lineOf(r, "enabled");
    assert.equal(enabled.status, "fail");
    assert.match(enabled.message, /plugins\.allow \(2 ids\) does not list "diagnostics-otel".*add "diagnostics-otel" to plugins\.allow/);
    assert.match(r.verdict, /plugins\.allow/);
  });

  test("plugins.deny with diagnostics-otel", async () => {
    const r = await doctor({ config: ours(SEED_001.diagnostics, { deny: ["diagnostics-otel"] }), args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "enabled", "fail").message, /plugins\.deny lists "diagnostics-otel": remove "diagnostics-otel" from plugins\.deny/);
    assert.match(r.verdict, /plugins\.deny/);
  });

  test("plugins.enabled false", async () => {
    const r = await doctor({ config: ours(SEED_001.diagnostics, { enabled: false }), args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "enabled", "fail").message, /plugins\.enabled is false, so no plugin loads/);
    assert.match(r.verdict, /plugins\.enabled is false/);
  });

  test("diagnostics.enabled missing while diagnostics.otel.enabled is true: OpenClaw emits no events", async () => {
    const { enabled, ...noFlag } = SEED_001.diagnostics;
    const r = await doctor({ config: ours(noFlag), args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "diagnostics", "fail").message, /diagnostics\.enabled is not true, so OpenClaw emits no diagnostic events: set diagnostics\.enabled: true/);
    // The addon says it too, and starts nothing.
    assert.match(lineOf(r, "export", "fail").message, /not exporting: diagnostics\.otel\.enabled is true but diagnostics\.enabled is not/);
    assert.equal(lineOf(r, "probe"), undefined, show(r));
    assert.match(r.verdict, /diagnostics\.enabled/);
  });

  test("diagnostics.otel.enabled false", async () => {
    const r = await doctor({ config: ours({ enabled: true, otel: { ...SEED_001.diagnostics.otel, enabled: false } }), args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "diagnostics", "fail").message, /diagnostics\.otel\.enabled is not true/);
    assert.match(lineOf(r, "export", "fail").message, /not exporting: diagnostics\.otel\.enabled is not true/);
  });

  test("metrics, traces and logs all false", async () => {
    const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true, endpoint: "http://127.0.0.1:4318", metrics: false, traces: false, logs: false } }), args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "export", "fail").message, /metrics and \.traces are false and \.logs is not true; nothing to export/);
    assert.match(r.verdict, /nothing to export/);
  });

  test("no copy of the plugin anywhere the gateway looks", async () => {
    const r = await doctor({ config: { ...SEED_001, plugins: { entries: { "diagnostics-otel": { enabled: true } } } }, args: ["--no-probe"] });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "install", "fail").message, /no copy of diagnostics-otel where the gateway looks/);
    // The rest is still checked, with the doctor's own addon.
    assert.equal(lineOf(r, "export").status, "ok", show(r));
  });
});

describe("doctor: warnings and file formats", () => {
  test("no endpoint at all: the addon's localhost:4318 fallback warning is surfaced", async () => {
    const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true } }), args: ["--no-probe"] });
    assert.equal(r.code, 0, show(r));
    const w = r.checks.find((c) => c.id === "export" && c.status === "warn");
    assert.ok(w, show(r));
    assert.match(w.message, /no endpoint configured .*sending metrics to http:\/\/localhost:4318\/v1\/metrics, traces to http:\/\/localhost:4318\/v1\/traces/);
    assert.deepEqual(r.checks.filter((c) => c.id === "probe").map((c) => c.status), ["skip", "skip"]);
    assert.match(r.verdict, /will export \(not probed\); 1 warning above/);
  });

  test("a JSON5 file with comments, unquoted keys, single quotes and trailing commas parses", async () => {
    const text = `// the gateway's config
{
  /* the plugin */
  plugins: { load: { paths: ['${ROOT}'], }, entries: { 'diagnostics-otel': { enabled: true, }, }, },
  diagnostics: { enabled: true, otel: { enabled: true, endpoint: 'http://127.0.0.1:4318', metrics: true, traces: false, metricNamePrefix: 'oc.', }, },
}
`;
    const r = await doctor({ config: text, args: ["--no-probe"] });
    assert.equal(r.code, 0, show(r));
    assert.match(lineOf(r, "config", "ok").message, /openclaw\.json \(OPENCLAW_CONFIG_PATH\), parsed as JSON5\./);
    assert.match(lineOf(r, "export", "ok").message, /metrics via OTLP http\/protobuf to http:\/\/127\.0\.0\.1:4318\/v1\/metrics every 30s/);
    // The names table applies metricNamePrefix.
    assert.match(lineOf(r, "names").message, /metricNamePrefix "oc\."/);
    assert.match(r.stdout, /tokens +counter +oc_tokens_total +\(oc\.tokens\)/);
    assert.match(r.stdout, /run duration +histogram +oc_run_duration_ms_milliseconds_bucket\|_sum\|_count/);
    assert.match(r.stdout, /exporter events +counter +oc_telemetry_exporter_events_total/);
  });

  test("a broken file: exit 3 with the file, line and column", async () => {
    const text = `{\n  plugins: { entries: { 'diagnostics-otel': { enabled: true } } }\n  diagnostics: { enabled: true },\n}\n`;
    const r = await doctor({ config: text });
    assert.equal(r.code, 3, show(r));
    const c = lineOf(r, "config", "fail");
    assert.match(c.message, /openclaw\.json:3:3: not valid JSON5 \(expected ',' or '}', got a letter or digit\)/);
    assert.match(r.verdict, /could not finish/);
  });

  test("the config path rules: OPENCLAW_STATE_DIR's openclaw.json, then ~/.openclaw when nothing is set", async () => {
    const viaState = await doctor({ config: SEED_001, args: ["--no-probe"], vars: { OPENCLAW_CONFIG_PATH: "" } });
    assert.match(lineOf(viaState, "config").message, /\.openclaw\/openclaw\.json \(the state dir's, set by OPENCLAW_STATE_DIR\)/, show(viaState));
    const viaHome = await doctor({ config: SEED_001, args: ["--no-probe"], vars: { OPENCLAW_CONFIG_PATH: "", OPENCLAW_STATE_DIR: "" } });
    assert.match(lineOf(viaHome, "config").message, /\.openclaw\/openclaw\.json \(the state dir's, the default ~\/\.openclaw\)/, show(viaHome));
    const missing = await doctor({ args: ["--no-probe"] });
    assert.equal(missing.code, 1, show(missing));
    assert.match(lineOf(missing, "config", "fail").message, /no config at .*openclaw\.json \(OPENCLAW_CONFIG_PATH\)/);
  });

  test("${VAR} in the config is substituted like the gateway does; $include is reported, not expanded", async () => {
    const config = ours({ enabled: true, otel: { enabled: true, endpoint: "${COLLECTOR_URL}", serviceName: "${UNSET_NAME}" } });
    config.$include = "./more.json5";
    const r = await doctor({ config, args: ["--no-probe"], vars: { COLLECTOR_URL: "http://127.0.0.1:4999" } });
    assert.match(lineOf(r, "export", "ok").message, /to http:\/\/127\.0\.0\.1:4999\/v1\/metrics/, show(r));
    const c = lineOf(r, "config", "warn");
    assert.match(c.message, /\$include at \(root\) was not expanded/);
    assert.match(c.message, /\$\{UNSET_NAME\} at diagnostics\.otel\.serviceName is not set/);
  });

  test("an extension copy and a bundled copy: the state dir's extensions/ copy wins and says so", async () => {
    const r = await doctor({
      config: { ...SEED_001, plugins: { entries: { "diagnostics-otel": { enabled: true } } } },
      args: ["--no-probe"],
      setup: ({ home, stateDir }) => {
        const ext = path.join(stateDir, "extensions", "diagnostics-otel");
        fs.mkdirSync(ext, { recursive: true });
        for (const f of ["index.js", "package.json", "openclaw.plugin.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(ext, f));
        for (const f of fs.readdirSync(ROOT).filter((f) => f.endsWith(".node"))) fs.symlinkSync(path.join(ROOT, f), path.join(ext, f));
        return { OPENCLAW_BUNDLED_PLUGINS_DIR: fakeBundled(home) };
      },
    });
    assert.equal(r.code, 0, show(r));
    const install = lineOf(r, "install", "ok");
    assert.match(install.message, /openclaw-diagnostics-otel-rs 0\.1\.0 at .*extensions\/diagnostics-otel \(the state dir's extensions\/\); its native binary loads/);
    assert.match(r.stdout, /overrides @openclaw\/diagnostics-otel at .*openclaw-bundled\/diagnostics-otel \(bundled with OpenClaw\)/);
  });

  test("a copy without its native binary", async () => {
    const r = await doctor({
      config: { ...SEED_001, plugins: { entries: { "diagnostics-otel": { enabled: true } } } },
      args: ["--no-probe"],
      setup: ({ stateDir }) => {
        const ext = path.join(stateDir, "extensions", "otel");
        fs.mkdirSync(ext, { recursive: true });
        for (const f of ["index.js", "package.json", "openclaw.plugin.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(ext, f));
      },
    });
    assert.equal(r.code, 1, show(r));
    assert.match(lineOf(r, "install", "fail").message, /has no native binary for linux-x64-gnu: loadNative\(\) found no binary; install openclaw-diagnostics-otel-rs-linux-x64-gnu@0\.1\.0 in that folder/);
  });

  test("--help lists the checks and the exit codes", async () => {
    const out = await new Promise((resolve) => execFile(process.execPath, [BIN, "--help"], (err, stdout) => resolve({ code: err ? err.code : 0, stdout })));
    assert.equal(out.code, 0);
    for (const s of ["doctor", "--config <path>", "--json", "--no-probe", "--timeout <ms>", "0  will export", "1  misconfigured", "2  configured, but an endpoint refused", "3  the doctor could not run"]) {
      assert.ok(out.stdout.includes(s), s);
    }
  });
});

describe("doctor: probes against a real OTLP receiver", () => {
  let receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.stop();
  });

  test("everything right: each signal's probe is accepted, and the receiver decoded them (exit 0)", async () => {
    await receiver.sync();
    const seen = receiver.requests.length;
    const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true, endpoint: receiver.httpBase, serviceName: "doctor-test", traces: true, logs: true } }) });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(
      r.checks.filter((c) => c.id === "probe").map((c) => `${c.status} ${c.message.split(":")[0]}`),
      ["ok metrics", "ok traces", "ok logs"],
      show(r),
    );
    assert.match(r.verdict, /will export; the probes were accepted/);
    await receiver.sync();
    const got = receiver.requests.slice(seen);
    const metrics = metricsOf(got.filter((q) => q.path === "/v1/metrics"));
    const started = metrics.find((m) => m.name === "openclaw.telemetry.exporter.events");
    assert.ok(started, JSON.stringify(got.map((q) => q.path)));
    assert.equal(started.resource["openclaw.doctor"], "true");
    assert.equal(started.resource["service.name"], "doctor-test");
    assert.ok(started.points.some((p) => p.attrs["openclaw.status"] === "started" && p.attrs["openclaw.signal"] === "metrics" && p.value === 1), JSON.stringify(started.points));
    const spans = spansOf(got.filter((q) => q.path === "/v1/traces"));
    assert.deepEqual(spans.map((s) => s.name), ["openclaw.diagnostic.phase"]);
    assert.equal(spans[0].resource["openclaw.doctor"], "true");
    const logs = logsOf(got.filter((q) => q.path === "/v1/logs"));
    assert.equal(logs.length, 1);
    assert.equal(logs[0].resource["openclaw.doctor"], "true");
    assert.equal(logs[0].attrs["openclaw.logger"], "openclaw-diagnostics-otel.doctor");
  });

  test("grpc is fine for this plugin: the probe goes over gRPC", async () => {
    const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true, endpoint: receiver.grpcBase, protocol: "grpc", traces: false } }) });
    assert.equal(r.code, 0, show(r));
    assert.match(lineOf(r, "probe", "ok").message, /^metrics: .* accepted the probe \(OTLP grpc\)/);
  });

  test("--no-probe sends nothing", async () => {
    await receiver.sync();
    const seen = receiver.requests.length;
    const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true, endpoint: receiver.httpBase, flushIntervalMs: 1000 } }), args: ["--no-probe"] });
    assert.equal(r.code, 0, show(r));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await receiver.sync();
    assert.equal(receiver.requests.length, seen, JSON.stringify(receiver.requests.slice(seen).map((q) => q.path)));
  });

  test("a receiver answering 401: exit 2 with the cause", async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(401, { "content-length": "0" }).end());
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true, endpoint: `http://127.0.0.1:${server.address().port}`, traces: true } }), args: ["--timeout", "3000"] });
      assert.equal(r.code, 2, show(r));
      const fails = r.checks.filter((c) => c.id === "probe" && c.status === "fail");
      assert.equal(fails.length, 2, show(r));
      for (const f of fails) assert.match(f.message, /did not accept the probe: rejected: unauthorized: .*401.*; check the credentials in diagnostics\.otel\.headers or OTEL_EXPORTER_OTLP_HEADERS/);
      assert.match(r.verdict, /did not accept the probe: metrics \(rejected: unauthorized\), traces \(rejected: unauthorized\)/);
    } finally {
      server.close();
    }
  });

  test("a closed port: exit 2, connection refused", async () => {
    const port = await new Promise((resolve) => {
      const s = http.createServer().listen(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const r = await doctor({ config: ours({ enabled: true, otel: { enabled: true, endpoint: `http://127.0.0.1:${port}`, traces: false } }), args: ["--timeout", "1500"] });
    assert.equal(r.code, 2, show(r));
    assert.match(lineOf(r, "probe", "fail").message, /connection refused.*nothing listens there/);
    assert.match(r.verdict, /metrics \(connection refused\)/);
  });
});

describe("doctor: never prints a secret", () => {
  const SECRETS = {
    header: "hdr-value-7f3a9c1e5b",
    userinfo: "url-pass-0d8e2b4f6a",
    gateway: "gw-token-5c7e9a1b3d",
    envHeader: "env-hdr-2b4d6f8a0c",
    apiKey: "sk-model-key-9e1c3a5b7d",
    bearer: "prom-bearer-4a6c8e0b2d",
  };
  const planted = (endpoint) => ({
    gateway: { mode: "local", auth: { mode: "token", token: SECRETS.gateway } },
    models: { providers: { mock: { baseUrl: "http://127.0.0.1:1/v1", apiKey: SECRETS.apiKey } } },
    plugins: {
      load: { paths: [ROOT] },
      entries: { "diagnostics-otel": { enabled: true, config: { prometheus: { enabled: true, port: 19464, bearerToken: SECRETS.bearer } } } },
    },
    diagnostics: {
      enabled: true,
      otel: {
        enabled: true,
        endpoint: endpoint.replace("://", `://doctor:${SECRETS.userinfo}@`),
        headers: { Authorization: `Bearer ${SECRETS.header}`, "x-api-key": SECRETS.header },
        traces: true,
        logs: true,
      },
    },
  });
  const vars = { OTEL_EXPORTER_OTLP_HEADERS: `x-tenant-token=${SECRETS.envHeader}` };

  function assertClean(r) {
    for (const [what, secret] of Object.entries(SECRETS)) {
      assert.ok(!r.stdout.includes(secret), `${what} secret in stdout:\n${r.stdout}`);
      assert.ok(!r.stderr.includes(secret), `${what} secret in stderr:\n${r.stderr}`);
    }
  }

  let receiver;
  let refusing;
  before(async () => {
    receiver = await startReceiver();
    refusing = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(403, { "content-length": "0" }).end());
    });
    await new Promise((resolve) => refusing.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    await receiver?.stop();
    refusing?.close();
  });

  for (const json of [false, true]) {
    test(`${json ? "--json" : "text"}: accepted and refused probes, secrets in headers, URL user info, gateway token, env headers`, async () => {
      for (const endpoint of [receiver.httpBase, `http://127.0.0.1:${refusing.address().port}`]) {
        const r = await doctor({ config: planted(endpoint), args: json ? ["--json", "--timeout", "3000"] : ["--timeout", "3000"], vars });
        assert.ok(r.code === 0 || r.code === 2, show(r));
        assertClean(r);
        const out = json ? JSON.parse(r.stdout) : undefined;
        const text = json ? JSON.stringify(out) : r.stdout;
        // The endpoint still shows, its user info masked; header names are fine, values are not.
        assert.match(text, /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1\/metrics/);
        if (json) {
          assert.equal(out.exitCode, r.code);
          assert.ok(out.checks.some((c) => c.id === "probe"));
          assert.equal(out.export.prometheus.bearerToken, "set");
        }
      }
      // The receiver saw the real credentials: they were used, only never printed.
      await receiver.sync();
      const sent = receiver.requests.at(-1);
      assert.equal(sent.headers["x-api-key"], SECRETS.header);
      assert.equal(sent.headers["x-tenant-token"], SECRETS.envHeader);
    });
  }

  test("a parse error on a line holding a token does not quote it", async () => {
    const text = `{\n  gateway: { auth: { token: "${SECRETS.gateway}" oops } },\n}\n`;
    for (const args of [[], ["--json"]]) {
      const r = await doctor({ config: text, args });
      assert.equal(r.code, 3, show(r));
      assertClean(r);
      assert.match(r.stdout, /openclaw\.json:2:\d+/);
    }
  });
});

test("OpenClaw 2026.9.6's install scanner finds nothing critical in bin/", async (t) => {
  const dist = path.join(OPENCLAW_9, "dist");
  const file = fs.existsSync(dist) && fs.readdirSync(dist).find((f) => /^scanner-.*\.mjs$/.test(f));
  if (!file) return t.skip("no .cache/e2e/openclaw/2026.9.6 (npm run setup:e2e)");
  const mod = await import(pathToFileURL(path.join(dist, file)).href);
  const scanSource = Object.values(mod).find((f) => typeof f === "function" && f.name === "scanSource");
  if (!scanSource) return t.skip("this build's scanner has no scanSource");
  for (const f of fs.readdirSync(path.join(ROOT, "bin"))) {
    const p = path.join(ROOT, "bin", f);
    const findings = scanSource(fs.readFileSync(p, "utf8"), p);
    assert.deepEqual(findings.filter((x) => x.severity !== "info"), [], f);
  }
});
