// rotel (PyPI: its wheel carries rotel-agent, an OTLP collector written in Rust) as an
// independent receiver, behind a recording pass-through proxy so the harness sees the status
// rotel answered to every request the plugin sent.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { freePort } from "./gateway.mjs";
import { sleep } from "./procs.mjs";
import { VENV_PYTHON } from "./versions.mjs";

export function rotelAgentPath() {
  const dir = execFileSync(VENV_PYTHON, ["-c", "import os, rotel; print(os.path.dirname(rotel.__file__))"], { encoding: "utf8", timeout: 30000 }).trim();
  const bin = path.join(dir, "rotel-agent");
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing: run \`node e2e/setup.mjs\``);
  return bin;
}

async function waitPort(port, timeoutMs, isAlive) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) return false;
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

/** Starts rotel-agent on loopback ports with detailed metric debug logs and no real exporter. */
export async function startRotel(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const logFile = path.join(dir, "rotel.log");
  const out = fs.openSync(logFile, "a");
  const bin = rotelAgentPath();
  const args = [
    "start",
    "--otlp-http-endpoint", `127.0.0.1:${httpPort}`,
    "--otlp-grpc-endpoint", `127.0.0.1:${grpcPort}`,
    "--debug-log", "metrics",
    "--debug-log-verbosity", "detailed",
    "--exporter", "blackhole",
    "--pid-file", path.join(dir, "rotel-agent.pid"),
  ];
  const proc = spawn(bin, args, { stdio: ["ignore", out, out], env: { ...process.env, NO_COLOR: "1" } });
  fs.closeSync(out);
  let exited;
  proc.once("exit", (code, sig) => (exited = code ?? sig ?? "exited"));
  const log = () => fs.readFileSync(logFile, "utf8");
  if (!(await waitPort(httpPort, 30000, () => exited === undefined))) {
    proc.kill("SIGKILL");
    throw new Error(`rotel-agent did not listen on ${httpPort} (exit ${exited}):\n${log().slice(-3000)}`);
  }
  return {
    httpPort,
    grpcPort,
    command: `${bin} ${args.join(" ")}`,
    logFile,
    log,
    async stop() {
      if (exited !== undefined) return;
      proc.kill("SIGTERM");
      for (let i = 0; i < 50 && exited === undefined; i++) await sleep(100);
      if (exited === undefined) proc.kill("SIGKILL");
      for (let i = 0; i < 50 && exited === undefined; i++) await sleep(100);
    },
  };
}

/** A loopback HTTP proxy to 127.0.0.1:targetPort recording each request and rotel's answer. */
export async function startRecordingProxy(targetPort) {
  const exchanges = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const rec = { path: req.url, contentType: req.headers["content-type"], bytes: body.length, at: Date.now() };
      const headers = { ...req.headers, host: `127.0.0.1:${targetPort}`, "content-length": String(body.length) };
      const up = http.request({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers, timeout: 10000 }, (upRes) => {
        const back = [];
        upRes.on("data", (c) => back.push(c));
        upRes.on("end", () => {
          rec.status = upRes.statusCode;
          rec.responseType = upRes.headers["content-type"];
          rec.responseBody = Buffer.concat(back);
          exchanges.push(rec);
          res.writeHead(upRes.statusCode, upRes.headers);
          res.end(rec.responseBody);
        });
      });
      up.on("timeout", () => up.destroy(new Error("upstream timeout")));
      up.on("error", (err) => {
        rec.status = 0;
        rec.error = String(err.message);
        exchanges.push(rec);
        res.writeHead(502).end();
      });
      up.end(body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    port: server.address().port,
    exchanges,
    stop: () => new Promise((r) => (server.closeAllConnections?.(), server.close(() => r()))),
  };
}
