// Drives a real OpenClaw gateway for end-to-end runs: an isolated home per run, our plugin
// installed from the packed tarball the way a user would, a config that points the model at
// the mock and diagnostics.otel at our receiver, `openclaw gateway run`, turns through the
// CLI, and a stop that leaves no process behind.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { MODEL_ID } from "./mock-model.mjs";
import { RUN_VAR, commOf, findMarked, installExitSweep, runCommand, sleep, spawnDetached, stopMarked } from "./procs.mjs";
import { packBundle } from "../../scripts/pack.mjs";
import { CACHE, OPENCLAW, nodeBin, openclawEntry } from "./versions.mjs";

export const PLUGIN_ID = "diagnostics-otel";
export const PROVIDER = "mock";
// USD per million tokens, as OpenClaw's model `cost` takes them. Unround on purpose.
export const PRICES = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
export const CONTEXT_WINDOW = 128000;

/**
 * Packs the plugin as a tarball user gets it: the self-contained bundle (this machine's .node
 * beside index.js, no optional dependencies) into destDir; returns the tarball path.
 */
export function packPlugin(destDir) {
  fs.mkdirSync(destDir, { recursive: true });
  return packBundle(destDir);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** The parent environment minus anything that would leak the user's OpenClaw or OTel setup. */
function baseEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OPENCLAW_(?!E2E_)|OTEL_|NODE_OPTIONS$|npm_)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** Parses the JSON document a CLI printed, skipping banners and warnings around it. */
export function parseCliJson(text) {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^[{[]/.test(lines[i])) continue;
    for (let j = lines.length; j > i; j--) {
      try {
        return JSON.parse(lines.slice(i, j).join("\n"));
      } catch {
        // try a shorter span
      }
    }
  }
  throw new Error(`no JSON in CLI output: ${text.slice(0, 2000)}`);
}

function deepMerge(a, b) {
  if (!a || typeof a !== "object" || Array.isArray(a) || !b || typeof b !== "object" || Array.isArray(b)) return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? deepMerge(a[k], v) : v;
  return out;
}

function baseConfig({ version, port, token, logFile, catalogRefresh = version !== "2026.2.19" }) {
  return {
    gateway: { mode: "local", port, bind: "loopback", auth: { mode: "token", token } },
    discovery: { mdns: { mode: "off" } },
    logging: { file: logFile },
    // No calls to the npm registry or the model catalog from inside the test gateway.
    update: { checkOnStart: false },
    ...(catalogRefresh ? { models: { catalogRefresh: { enabled: false } } } : {}),
  };
}

function fullConfig({ version, mockBaseUrl, workspace, otel, pluginConfig, catalogRefresh = version !== "2026.2.19" }) {
  return {
    models: {
      mode: "merge",
      providers: {
        [PROVIDER]: {
          baseUrl: mockBaseUrl,
          apiKey: "mock-key",
          api: "openai-completions",
          models: [{
            id: MODEL_ID, name: "Mock model", reasoning: false, input: ["text"],
            cost: PRICES, contextWindow: CONTEXT_WINDOW, maxTokens: 4096,
          }],
        },
      },
      ...(catalogRefresh ? { catalogRefresh: { enabled: false } } : {}),
    },
    agents: { defaults: { model: { primary: `${PROVIDER}/${MODEL_ID}` }, workspace } },
    plugins: { entries: { [PLUGIN_ID]: { enabled: true, ...(pluginConfig ? { config: pluginConfig } : {}) } } },
    diagnostics: { enabled: true, otel },
  };
}

/** The gateway's JSON log as {at (ms since epoch), msg}, in file order. */
export function logRecords(logFile) {
  let text = "";
  try {
    text = fs.readFileSync(logFile, "utf8");
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line);
      const msg = Object.keys(rec).filter((k) => /^\d+$/.test(k)).map((k) => (typeof rec[k] === "string" ? rec[k] : JSON.stringify(rec[k]))).join(" ");
      out.push({ at: Date.parse(rec.time ?? rec._meta?.date), msg });
    } catch {
      out.push({ at: NaN, msg: line });
    }
  }
  return out;
}

/**
 * Starts a gateway of the given version and resolves once it answers `health`. The returned
 * handle must be stopped (stop() is idempotent); an exit hook kills leftovers regardless.
 */
export async function startGateway({
  version,
  tarball,
  mockBaseUrl,
  otel,
  // plugins.entries["diagnostics-otel"].config (the Prometheus exposition).
  pluginConfig,
  install = version === "2026.2.19" ? "extensions-dir" : "cli",
  readyTimeoutMs = 240000,
  label = version,
  log = () => {},
  // A host outside OPENCLAW (compare.test.mjs: 2026.4.15), shaped like an OPENCLAW entry.
  spec: extraSpec,
  // More openclaw.json, merged last (agents.test.mjs: a second agent).
  config: extraConfig,
  // install "registry" (registry.test.mjs): {url, npmEnv, install}. The CLI and every npm it
  // runs get npm_config_registry=url plus npmEnv; `install({cli, env, dir, stateDir, configPath})`
  // installs the plugin (the version's own way) and returns how.
  registry,
}) {
  const spec = extraSpec ?? OPENCLAW[version];
  if (!spec) throw new Error(`unknown OpenClaw version ${version}`);
  if (!fs.existsSync(openclawEntry(version))) throw new Error(`openclaw ${version} not installed: run \`node e2e/setup.mjs\``);
  installExitSweep();

  // The previous run of this version stays on disk until now, for post-mortems.
  const dir = path.join(CACHE, "runs", label);
  fs.rmSync(dir, { recursive: true, force: true });
  const home = path.join(dir, "home");
  const stateDir = path.join(home, ".openclaw");
  const configPath = path.join(stateDir, "openclaw.json");
  const logFile = path.join(dir, "logs", "openclaw.log");
  const outFile = path.join(dir, "gateway.out");
  const workspace = path.join(dir, "workspace");
  for (const d of [stateDir, path.join(dir, "tmp"), path.join(dir, "logs"), workspace]) fs.mkdirSync(d, { recursive: true });

  const runId = crypto.randomUUID();
  const port = await freePort();
  const token = crypto.randomBytes(16).toString("hex");
  const env = {
    ...baseEnv(),
    PATH: `${nodeBin(spec.node)}${path.delimiter}${process.env.PATH}`,
    HOME: home,
    OPENCLAW_HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    TMPDIR: path.join(dir, "tmp"),
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    [RUN_VAR]: runId,
    ...(registry ? { npm_config_registry: registry.url, ...registry.npmEnv } : {}),
  };
  const node = path.join(nodeBin(spec.node), "node");
  const cli = (args, { timeoutMs = 120000 } = {}) => runCommand(node, [openclawEntry(version), ...args], { env, cwd: dir, timeoutMs });
  const writeConfig = (cfg) => fs.writeFileSync(configPath, JSON.stringify(cfg, null, 2) + "\n");

  // Install before the config names the plugin: 2026.9.6 otherwise tries to fetch the
  // official plugin from ClawHub for the configured-but-missing id.
  // Hosts without models.catalogRefresh reject the key (2026.2.19, 2026.4.15).
  const catalogRefresh = spec.catalogRefresh ?? version !== "2026.2.19";
  writeConfig(baseConfig({ version, port, token, logFile, catalogRefresh }));
  let installMethod;
  let installMs;
  const extract = () => {
    const target = path.join(stateDir, "extensions", PLUGIN_ID);
    fs.mkdirSync(target, { recursive: true });
    execFileSync("tar", ["xzf", tarball, "-C", target, "--strip-components=1"]);
  };
  if (install === "none") {
    // compare.test.mjs: the host's bundled plugin of this id runs instead of ours.
    installMethod = "none (bundled plugin)";
  } else if (install === "registry") {
    // No fallback to the tarball: a failed install from the registry is what the test is about.
    const t = Date.now();
    installMethod = await registry.install({ cli, env, dir, stateDir, configPath });
    installMs = Date.now() - t;
    installMethod += ` from ${registry.url} (${installMs} ms)`;
  } else if (install === "cli") {
    const r = await cli(["plugins", "install", tarball, "--force", "--accept-capabilities"], { timeoutMs: 180000 });
    fs.writeFileSync(path.join(dir, "plugins-install.out"), `exit ${r.code} in ${r.ms} ms\n${r.stdout}\n--- stderr\n${r.stderr}`);
    if (r.code === 0) {
      installMethod = `openclaw plugins install (${r.ms} ms)`;
    } else {
      extract();
      installMethod = `extensions dir (plugins install exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").at(-1)})`;
    }
  } else {
    extract();
    installMethod = "extensions dir";
  }
  log(`[e2e] ${version}: plugin installed via ${installMethod}`);
  const current = JSON.parse(fs.readFileSync(configPath, "utf8"));
  const full = deepMerge(current, fullConfig({ version, mockBaseUrl, workspace, otel, pluginConfig, catalogRefresh }));
  writeConfig(extraConfig ? deepMerge(full, extraConfig) : full);

  const t0 = Date.now();
  const { exitCode } = spawnDetached(node, [openclawEntry(version), "gateway", "run", "--port", String(port)], { env, cwd: dir, logFile: outFile });

  const alive = () => findMarked(RUN_VAR, runId);
  const tail = (n = 40) => {
    try {
      return fs.readFileSync(outFile, "utf8").split("\n").slice(-n).join("\n");
    } catch {
      return "";
    }
  };
  let stopped = false;
  const gw = {
    version,
    node: spec.node,
    dir,
    env,
    port,
    token,
    runId,
    configPath,
    logFile,
    outFile,
    installMethod,
    installMs,
    startedAt: t0,
    cli,
    pids: alive,
    tail,
    /**
     * Calls a gateway RPC through `openclaw gateway call`; returns the parsed JSON reply. A
     * connection the gateway closed before the handshake finished (a busy 2-core machine: the
     * gateway logs "handshake timeout") is retried twice; every call we make is idempotent
     * (chat.send carries an idempotency key).
     */
    async call(method, params = {}, { timeoutMs = 30000 } = {}) {
      for (let attempt = 1; ; attempt++) {
        const r = await cli([
          "gateway", "call", method, "--params", JSON.stringify(params), "--json",
          "--token", token, "--url", `ws://127.0.0.1:${port}`, "--timeout", String(timeoutMs),
        ], { timeoutMs: timeoutMs + 60000 });
        if (r.code === 0) return parseCliJson(r.stdout);
        const text = `${r.stderr.slice(-2000)} ${r.stdout.slice(-2000)}`;
        if (attempt < 3 && /gateway connect failed: Error: gateway closed/.test(text)) {
          log(`[e2e] ${version}: gateway call ${method}: connection closed before the handshake; retrying (${attempt})`);
          await sleep(2000);
          continue;
        }
        throw new Error(`gateway call ${method} exited ${r.code}: ${text}`);
      }
    },
    /** One webchat turn (chat.send), waited for with agent.wait. Emits model.usage on both versions. */
    async chatTurn(message, key, { sessionKey = "main", timeoutMs = 90000 } = {}) {
      const t = Date.now();
      const sent = await gw.call("chat.send", { sessionKey, message, idempotencyKey: key });
      const waited = await gw.call("agent.wait", { runId: sent.runId ?? key, timeoutMs }, { timeoutMs: timeoutMs + 5000 });
      if (waited.status !== "ok") throw new Error(`chat turn ${key}: agent.wait said ${JSON.stringify(waited)}`);
      return { via: "chat.send", sent, waited, ms: Date.now() - t };
    },
    /** One `openclaw agent` turn (blocks until the reply); `agent` adds `--agent <id>`. */
    async agentTurn(message, { timeoutS = 120, agent } = {}) {
      const args = ["agent", ...(agent ? ["--agent", agent] : []), "--message", message, "--json", "--timeout", String(timeoutS)];
      const r = await cli(args, { timeoutMs: (timeoutS + 60) * 1000 });
      if (r.code !== 0) throw new Error(`openclaw agent exited ${r.code}: ${r.stderr.slice(-2000)}`);
      const result = parseCliJson(r.stdout);
      if (result.status !== "ok") throw new Error(`openclaw agent: ${JSON.stringify(result).slice(0, 2000)}`);
      return { via: "openclaw agent", result, ms: r.ms };
    },
    /** Every message of the gateway's JSON log file, as plain strings. */
    logMessages() {
      return logRecords(logFile).map((r) => r.msg);
    },
    async waitForLog(re, timeoutMs = 60000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = gw.logMessages().find((m) => re.test(m));
        if (hit) return hit;
        if (alive().length === 0) break;
        await sleep(250);
      }
      throw new Error(`${version}: no log line matching ${re} within ${timeoutMs} ms; gateway output:\n${tail()}`);
    },
    /** SIGTERM the gateway (a clean shutdown runs the plugin's stop), then the rest; SIGKILL last. */
    async stop({ graceMs = 20000 } = {}) {
      if (stopped) return { termed: [], killed: [] };
      stopped = true;
      const first = (pids) => {
        const gateways = pids.filter((p) => commOf(p)?.startsWith("openclaw-gatewa"));
        return gateways.length ? gateways : pids;
      };
      const report = await stopMarked(RUN_VAR, runId, { graceMs, first });
      log(`[e2e] ${version}: stopped (${report.killed.length ? `SIGKILLed ${report.killed.join(", ")}` : "clean"})`);
      return report;
    },
  };

  try {
    const deadline = t0 + readyTimeoutMs;
    let healthy;
    while (Date.now() < deadline) {
      if (alive().length === 0) throw new Error(`gateway exited (${exitCode()}) before ready:\n${tail()}`);
      if (await canConnect(port)) {
        try {
          healthy = await gw.call("health", {}, { timeoutMs: 10000 });
          break;
        } catch (err) {
          log(`[e2e] ${version}: not healthy yet: ${String(err.message).slice(0, 200)}`);
        }
      }
      await sleep(500);
    }
    if (!healthy) throw new Error(`gateway not ready within ${readyTimeoutMs} ms:\n${tail()}`);
    gw.readyMs = Date.now() - t0;
    log(`[e2e] ${version}: gateway ready on 127.0.0.1:${port} in ${(gw.readyMs / 1000).toFixed(1)} s (pids ${alive().join(", ")})`);
    return gw;
  } catch (err) {
    await gw.stop().catch(() => {});
    throw err;
  }
}
