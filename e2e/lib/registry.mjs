// A real npm registry (verdaccio) on 127.0.0.1 for install tests: its own storage, no uplinks
// (only what a test publishes exists; nothing is proxied to the public registry), one user
// created over the registry API whose token lives in a run-dir npmrc, never in ~/.npmrc.
// The process carries procs.mjs markers, so stop() and the exit sweep find it.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "./gateway.mjs";
import { RUN_VAR, installExitSweep, runCommand, sleep, spawnDetached, stopMarked } from "./procs.mjs";
import { VERDACCIO, verdaccioEntry } from "../setup.mjs";
import { nodeBin } from "./versions.mjs";

const MAX_BODY = "64mb"; // the platform tarball is ~10 MB; npm publish sends it base64 in JSON

/** The parent environment minus npm_* settings (the user's registry, token or userconfig). */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_OPTIONS"));
}

function configYaml({ storage, htpasswd, port }) {
  // JSON is YAML: no hand-written quoting.
  return JSON.stringify({
    storage,
    auth: { htpasswd: { file: htpasswd, max_users: 1 } },
    uplinks: {},
    packages: { "**": { access: "$all", publish: "$authenticated", unpublish: "$authenticated" } },
    max_body_size: MAX_BODY,
    listen: `127.0.0.1:${port}`,
    log: { type: "stdout", format: "json", level: "http" },
    web: { enable: false },
    // npm audit calls would be forwarded upstream by the audit middleware: keep it off.
    middlewares: { audit: { enabled: false } },
  }, null, 2) + "\n";
}

/**
 * Starts verdaccio in `dir` (wiped first) and resolves once it answers /-/ping and a user
 * exists. The handle's `env` is what an npm client needs to publish to it or install from it.
 */
export async function startRegistry({ dir, readyTimeoutMs = 60000, log = () => {} }) {
  if (!fs.existsSync(verdaccioEntry())) throw new Error(`verdaccio not installed: run \`node e2e/setup.mjs\``);
  installExitSweep();
  fs.rmSync(dir, { recursive: true, force: true });
  const storage = path.join(dir, "storage");
  fs.mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const configFile = path.join(dir, "config.yaml");
  fs.writeFileSync(configFile, configYaml({ storage, htpasswd: path.join(dir, "htpasswd"), port }));
  const logFile = path.join(dir, "verdaccio.log");

  const runId = crypto.randomUUID();
  const t0 = Date.now();
  const { exitCode } = spawnDetached(path.join(nodeBin(VERDACCIO.node), "node"), [verdaccioEntry(), "--config", configFile], {
    env: { ...cleanEnv(), HOME: dir, [RUN_VAR]: runId },
    cwd: dir,
    logFile,
  });
  const stop = async () => {
    const report = await stopMarked(RUN_VAR, runId, { graceMs: 5000 });
    log(`[e2e] registry: stopped (${report.killed.length ? `SIGKILLed ${report.killed.join(", ")}` : "clean"})`);
    return report;
  };

  try {
    const deadline = t0 + readyTimeoutMs;
    for (;;) {
      if (exitCode() !== undefined) throw new Error(`verdaccio exited (${exitCode()}) before ready:\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`verdaccio not answering /-/ping within ${readyTimeoutMs} ms`);
      const ok = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (ok) break;
      await sleep(200);
    }
    const readyMs = Date.now() - t0;
    // What `npm adduser` does: PUT the user document; verdaccio answers with a token.
    const user = "e2e-publisher";
    const res = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: user, password: crypto.randomBytes(16).toString("hex"), type: "user", roles: [] }),
      signal: AbortSignal.timeout(10000),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 201 || typeof body.token !== "string") throw new Error(`verdaccio adduser answered ${res.status}: ${body.error ?? ""}`);
    const npmrc = path.join(dir, "npmrc");
    fs.writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${body.token}\n`, { mode: 0o600 });
    // npm reads this userconfig instead of ~/.npmrc; its cache stays in the run dir too.
    const env = { ...cleanEnv(), npm_config_userconfig: npmrc, npm_config_cache: path.join(dir, "npm-cache"), npm_config_registry: url, npm_config_update_notifier: "false", npm_config_audit: "false", npm_config_fund: "false" };

    return {
      url,
      port,
      dir,
      logFile,
      readyMs,
      env,
      /** `npm publish <tgz>` to this registry; resolves with the npm output, throws on failure. */
      async publish(tarball, { timeoutMs = 120000 } = {}) {
        const r = await runCommand("npm", ["publish", tarball, "--registry", url, "--access", "public", "--ignore-scripts"], { env, cwd: dir, timeoutMs });
        if (r.code !== 0) throw new Error(`npm publish ${path.basename(tarball)} exited ${r.code}: ${(r.stderr || r.stdout).slice(-2000)}`);
        return r;
      },
      /** Every request verdaccio logged, in order: {method, url, userAgent, npmCommand}. */
      requests() {
        const out = [];
        for (const line of fs.readFileSync(logFile, "utf8").split("\n")) {
          if (!line.startsWith("{")) continue;
          let rec;
          try {
            rec = JSON.parse(line);
          } catch {
            continue;
          }
          // The "requested" line comes once per request with its headers (the status lines that
          // follow may repeat, the first saying 200 before a 404).
          const req = rec.sub === "in" ? rec.req : undefined;
          if (req?.method) out.push({ method: req.method, url: req.url, userAgent: req.headers?.["user-agent"], npmCommand: req.headers?.["npm-command"] });
        }
        return out;
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
