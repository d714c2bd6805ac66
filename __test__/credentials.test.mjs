// Headers on the wire: the documented precedence (config over per-signal env over generic env,
// rotating sources over both), and credentials that rotate without a restart against a
// receiver that refuses the old token. Asserted from what the receiver decoded and saw.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { messageFlow } from "./support/events.mjs";
import { withPlugin } from "./support/fixture.mjs";
import { sleep } from "./support/host.mjs";
import { latest, pointWith, startReceiver } from "./support/receiver.mjs";

const TOKENS = { "openclaw.token": "input", "openclaw.model": "mock-1" };

/** Starts the plugin against `receiver` (traces off), runs `fn({host, logger, lines})`, stops. */
function running(receiver, { otel = {}, env = {}, plugin } = {}, fn) {
  const opts = { receiver, plugin, env, otel: { traces: false, flushIntervalMs: 60000, ...otel } };
  return withPlugin(opts, ({ host, logger }) => fn({ host, logger, lines: () => logger.lines.map((l) => `${l.level}: ${l.message}`) }));
}

const metricRequests = (receiver, from = 0) => receiver.requests.slice(from).filter((r) => r.path.includes("etrics"));

describe("header precedence, as README's table says", () => {
  const env = {
    OTEL_EXPORTER_OTLP_HEADERS: "x-team=env-generic,x-generic-only=g",
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-team=env-signal,x-signal-only=s",
  };
  for (const protocol of ["http/protobuf", "grpc"]) {
    test(`${protocol}: config over OTEL_EXPORTER_OTLP_METRICS_HEADERS over OTEL_EXPORTER_OTLP_HEADERS, per name`, async () => {
      const receiver = await startReceiver();
      try {
        for (const [headers, team] of [[{ "X-Team": "config" }, "config"], [undefined, "env-signal"]]) {
          const from = receiver.requests.length;
          await running(receiver, { otel: { protocol, headers }, env }, async ({ host }) => {
            host.bus.emit(messageFlow()[5]);
            await host.plugin.flush(5000);
          });
          await receiver.sync();
          const got = metricRequests(receiver, from).at(-1)?.headers ?? {};
          assert.equal(got["x-team"], team, JSON.stringify(got));
          // The exporter crate alone would read only the per-signal variable: both count.
          assert.equal(got["x-generic-only"], "g");
          assert.equal(got["x-signal-only"], "s");
        }
      } finally {
        await receiver.stop();
      }
    });
  }
});

describe("rotating credentials: export recovers within one interval, no value is ever printed", () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "otel-rs-cred-"));
  const OLD = "tok-0ld-4d1f7a";
  const NEW = "tok-n3w-9c2e5b";

  /** Exports every second; rotates the receiver's token, then the credential; measures. */
  async function rotate({ protocol, plugin, dir, swap }) {
    const receiver = await startReceiver({ token: OLD });
    try {
      return await running(receiver, { otel: { protocol, flushIntervalMs: 1000, headers: { authorization: "Bearer static-s3cret-zz" } }, plugin }, async ({ host, logger, lines }) => {
        host.bus.emit(messageFlow()[5]);
        await receiver.waitFor((rs) => rs.some((r) => r.mode === "ok"), 8000);
        await receiver.setToken(NEW);
        const from = receiver.requests.length;
        await receiver.waitFor((rs) => rs.slice(from).some((r) => r.mode === "unauthorized"), 8000);
        const rotatedAt = Date.now();
        const swappedAt = receiver.requests.length;
        swap(dir);
        const okAgain = await receiver.waitFor((rs) => rs.slice(from).some((r) => r.mode === "ok"), 8000);
        const recoveredMs = Date.now() - rotatedAt;
        const firstOk = okAgain.slice(from).find((r) => r.mode === "ok");
        // Exports refused after the credential changed: at most one already on its way.
        const refusedAfter = okAgain.slice(swappedAt, okAgain.indexOf(firstOk)).length;
        await sleep(1200); // relayed log lines
        return { receiver, recoveredMs, refusedAfter, firstOk, lines: lines(), warns: logger.lines.filter((l) => l.level === "warn").map((l) => l.message), status: host.plugin.status() };
      });
    } finally {
      await receiver.stop();
    }
  }

  function assertQuiet(r) {
    for (const l of r.lines) {
      for (const secret of [OLD, NEW, "static-s3cret-zz"]) assert.ok(!l.includes(secret), l);
    }
  }

  for (const protocol of ["http/protobuf", "grpc"]) {
    test(`headersFile (${protocol}): re-read before each export, over the static header`, async () => {
      const dir = tmp();
      const file = path.join(dir, "otel-headers");
      fs.writeFileSync(file, `# mounted secret\nauthorization: Bearer ${OLD}\n`);
      try {
        const r = await rotate({
          protocol,
          dir,
          plugin: { headersFile: file },
          swap: () => {
            // As Kubernetes updates a mounted secret: a new file renamed over the old one.
            fs.writeFileSync(`${file}.new`, `authorization=Bearer ${NEW}\n`);
            fs.renameSync(`${file}.new`, file);
          },
        });
        assert.equal(r.firstOk.headers.authorization, `Bearer ${NEW}`);
        assert.ok(r.refusedAfter <= 1, `${r.refusedAfter} exports refused after the rotation: recovery must come at the next one`);
        assert.ok(r.warns.some((m) => /metrics export to .* failed: rejected: unauthorized/.test(m)), r.lines.join("\n"));
        assert.ok(r.lines.some((l) => /info: .*recovered after \d+ failed attempt/.test(l)), r.lines.join("\n"));
        assert.ok(r.lines.some((l) => l.includes("headersFile") && l.endsWith("changed: sending header(s) authorization")), r.lines.join("\n"));
        assert.ok(r.lines.some((l) => /exporting metrics .*headers from headersFile/.test(l)), r.lines.join("\n"));
        assert.equal(pointWith(latest([r.firstOk], "openclaw.tokens"), TOKENS)?.value, 120, "the cumulative total survived the refused exports");
        assertQuiet(r);
        console.log(`headersFile ${protocol}: recovered ${r.recoveredMs} ms after the credential changed (${r.refusedAfter} refused in between)`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test(`headersHelper (${protocol}): cached for its TTL, run again at once after a refusal`, async () => {
      const dir = tmp();
      const token = path.join(dir, "token");
      const runs = path.join(dir, "runs");
      fs.writeFileSync(token, OLD);
      const helper = path.join(dir, "otel-headers-helper.sh");
      fs.writeFileSync(helper, `#!/bin/sh\necho run >> "${runs}"\nprintf '{"authorization": "Bearer %s"}' "$(cat "${token}")"\n`, { mode: 0o755 });
      try {
        const r = await rotate({ protocol, dir, plugin: { headersHelper: helper, headersHelperTtlMs: 3600000 }, swap: () => fs.writeFileSync(token, NEW) });
        assert.equal(r.firstOk.headers.authorization, `Bearer ${NEW}`);
        assert.ok(r.refusedAfter <= 1, `${r.refusedAfter} exports refused after the rotation: recovery must come at the next one`);
        const ran = fs.readFileSync(runs, "utf8").trim().split("\n").length;
        const exports = r.receiver.requests.length;
        // Once at start and once per refusal (at most one a second): not once per export.
        assert.ok(ran >= 2 && ran < exports, `helper ran ${ran} times for ${exports} exports`);
        assert.ok(r.lines.some((l) => /exporting metrics .*headers from headersHelper \S+ \(cached 3600s\)/.test(l)), r.lines.join("\n"));
        assertQuiet(r);
        console.log(`headersHelper ${protocol}: recovered ${r.recoveredMs} ms after the credential changed (${r.refusedAfter} refused in between); helper ran ${ran} times for ${exports} exports`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test("a helper that fails or hangs: one warning each, exports go on with the static headers", async () => {
    const receiver = await startReceiver();
    try {
      for (const [helper, why] of [
        ["exit 3", /headersHelper exit \(cached 300s\) exited with status 3; sending no rotating headers/],
        ["sleep 30", /headersHelper sleep \(cached 300s\) timed out after 300 ms/],
        ["echo Bearer s3cret-0nly", /headersHelper echo \(cached 300s\) line 1 has no ':' or '='/],
      ]) {
        const from = receiver.requests.length;
        const r = await running(receiver, { plugin: { headersHelper: helper, headersHelperTimeoutMs: 300 }, otel: { headers: { "x-team": "a" } } }, async ({ host, logger, lines }) => {
          host.bus.emit(messageFlow()[5]);
          await host.plugin.flush(5000);
          await sleep(1200);
          return { lines: lines(), warns: logger.lines.filter((l) => l.level === "warn").map((l) => l.message) };
        });
        await receiver.sync();
        assert.equal(r.warns.length, 1, r.lines.join("\n"));
        assert.match(r.warns[0], why);
        assert.ok(r.lines.every((l) => !l.includes("s3cret-0nly")), r.lines.join("\n"));
        assert.equal(metricRequests(receiver, from).at(-1)?.headers["x-team"], "a");
      }
    } finally {
      await receiver.stop();
    }
  });
});
