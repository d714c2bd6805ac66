// Real peers for the TLS, proxy and credential tests: openssl (the machine's, else Debian's)
// makes a fresh PKI per run, and Debian's tinyproxy is the proxy. Both come from the cache
// (e2e/lib/deb.mjs), so nothing is installed on the system.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureDeb, run } from "../../e2e/lib/deb.mjs";
import { CACHE } from "../../e2e/lib/versions.mjs";

const tinyproxyDir = path.join(CACHE, "tinyproxy");
const opensslDir = path.join(CACHE, "openssl");

function openssl() {
  if (run("openssl", ["version"]).ok) return "openssl";
  const bin = path.join(opensslDir, "root/usr/bin/openssl");
  ensureDeb("openssl", opensslDir, () => run(bin, ["version"]).ok);
  return bin;
}

/**
 * A CA, a server certificate for 127.0.0.1 and localhost, a client certificate it signed, one
 * signed by another CA, and an expired one; P-256 keys. Returns the file paths.
 */
export function makePki() {
  const bin = openssl();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "otel-rs-pki-"));
  const f = (name) => path.join(dir, name);
  const must = (args) => {
    const r = run(bin, args, { cwd: dir });
    if (!r.ok) throw new Error(`openssl ${args.join(" ")}: ${r.out}`);
  };
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const ca = (name) => must(["req", "-x509", ...key, "-keyout", f(`${name}.key`), "-out", f(`${name}.pem`), "-days", "2", "-subj", `/CN=${name}`]);
  const leaf = (name, signer, days, ext) => {
    must(["req", ...key, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${name}`]);
    fs.writeFileSync(f(`${name}.ext`), ext);
    must(["x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${signer}.pem`), "-CAkey", f(`${signer}.key`), "-CAcreateserial", "-out", f(`${name}.pem`), "-days", String(days), "-extfile", f(`${name}.ext`)]);
  };
  ca("ca");
  ca("other-ca");
  const server = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
  const client = "extendedKeyUsage=clientAuth\n";
  leaf("server", "ca", 2, server);
  leaf("client", "ca", 2, client);
  leaf("stranger", "other-ca", 2, client);
  // -days -1: not after is a day before now.
  leaf("expired", "ca", -1, client);
  return { dir, ca: f("ca.pem"), otherCa: f("other-ca.pem"), server: [f("server.pem"), f("server.key")], client: [f("client.pem"), f("client.key")], stranger: [f("stranger.pem"), f("stranger.key")], expired: [f("expired.pem"), f("expired.key")], cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * tinyproxy on 127.0.0.1 (a free port), optionally requiring `auth` {user, password}. Resolves
 * when it listens; `connects()` lists the CONNECT and plain requests its log shows.
 */
export async function startTinyproxy({ auth } = {}) {
  const bin = path.join(tinyproxyDir, "root/usr/bin/tinyproxy");
  ensureDeb("tinyproxy-bin", tinyproxyDir, () => run(bin, ["-v"]).ok);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "otel-rs-proxy-"));
  const port = await new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const log = path.join(dir, "tinyproxy.log");
  const conf = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 30",
    `LogFile "${log}"`,
    "LogLevel Connect",
    "MaxClients 20",
    "Allow 127.0.0.1",
    "DisableViaHeader Yes",
    auth ? `BasicAuth ${auth.user} ${auth.password}` : "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "tinyproxy.conf"), conf + "\n");
  const proc = spawn(bin, ["-d", "-c", path.join(dir, "tinyproxy.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), resolve(true))).once("error", () => resolve(false));
    });
    if (up) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`tinyproxy did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "") + output;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    /** Request lines the proxy logged ("CONNECT 127.0.0.1:4318", "POST http://..."). */
    requests: () => [...text().matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g)].map((m) => m[1]),
    log: text,
    async stop() {
      proc.kill("SIGKILL");
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r() : proc.once("exit", r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
