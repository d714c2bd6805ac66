// Hot reload of diagnostics.otel in a real gateway: a sidecar-style atomic rewrite of
// openclaw.json while the gateway runs. 2026.2.19 restarts the whole process; 2026.9.6
// restarts only our service (reload.configPrefixes). What the receiver decoded must show the
// old generation flushed, the new one took over alone, and exact counts per generation.
//   node --test --test-concurrency=1 e2e/reload.test.mjs   (E2E_VERSIONS limits versions)
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { metricsOf, startReceiver } from "../__test__/support/receiver.mjs";
import { packPlugin, startGateway } from "./lib/gateway.mjs";
import { startMockModel } from "./lib/mock-model.mjs";
import { sleep } from "./lib/procs.mjs";
import {
  gatewayPids, logRecords, requestsOfService, rewriteConfigAtomic, serviceNamesOf, serviceRuns,
  socketCount, socketsTo, stampArrivals, startTimesOf, threadNames, until, waitForLogCount,
} from "./lib/reload.mjs";
import { counterSum, expectedFromServed, pricesFromConfig } from "./lib/scenario.mjs";
import { setup } from "./setup.mjs";
import { CACHE } from "./lib/versions.mjs";

const VERSIONS = (process.env.E2E_VERSIONS ?? "2026.2.19,2026.9.6").split(",").filter(Boolean);
const log = (m) => console.log(m);
const STARTUP = /diagnostics-otel: exporting metrics/;
// gen-a's interval is far longer than its life, so turn 1 can reach the receiver only through
// the final flush at reload; with a 1 s interval a lost final flush would go unnoticed.
const A = { serviceName: "gen-a", flushIntervalMs: 600000 };
const B = { serviceName: "gen-b", flushIntervalMs: 2000 };
const LOOP = 20;
const LOOP_NAMES = ["gen-x", "gen-y"];
// A counter every generation exports from its first collection on (our own lifecycle events).
const LIFECYCLE = "openclaw.telemetry.exporter.events";
const TOKEN_TYPES = ["input", "output", "cache_read", "cache_write", "prompt", "total"];
// Each generation owns 3+ named threads (otel-rs-io, otel-rs-record, otel-rs-spans) and
// keep-alive sockets to the receiver, so a per-generation leak adds >= 38 threads and >= 19 sockets over 19
// reloads. Node's own pools may add a couple lazily; 3 stays far below any such leak.
const THREAD_TOLERANCE = 3;
const SOCKET_TOLERANCE = 3;
const SETTLE_MS = 3000;

let tarball;
before(() => {
  setup({ log });
  const packDir = path.join(CACHE, "pack-reload");
  fs.rmSync(packDir, { recursive: true, force: true });
  tarball = packPlugin(packDir);
});

function tokensOf(requests) {
  return Object.fromEntries(TOKEN_TYPES.map((t) => [t, counterSum(requests, "openclaw.tokens", { "openclaw.token": t })]));
}

function assertCost(requests, expected) {
  assert.ok(expected.costUsd > 0.001, String(expected.costUsd));
  const cost = counterSum(requests, "openclaw.cost.usd");
  assert.ok(Math.abs(cost - expected.costUsd) <= 1e-12 + 1e-9 * expected.costUsd, `exported ${cost}, expected ${expected.costUsd}`);
}

function measure(pid, receiverPort) {
  const names = threadNames(pid);
  return {
    threads: Object.values(names).reduce((s, n) => s + n, 0),
    pluginThreads: Object.entries(names).filter(([k]) => k.startsWith("otel-rs")).reduce((s, [, n]) => s + n, 0),
    threadNames: names,
    sockets: socketCount(pid),
    socketsToReceiver: socketsTo(pid, receiverPort),
  };
}

async function healthy(gw) {
  return gw.call("health", {}, { timeoutMs: 10000 }).then(() => true, () => false);
}

async function runReload(version) {
  const started = [];
  const cleanup = async () => {
    for (const s of started.reverse()) await s().catch(() => {});
  };
  const t0 = Date.now();
  try {
    const mock = await startMockModel();
    started.push(() => mock.stop());
    const receiver = stampArrivals(await startReceiver());
    started.push(() => receiver.stop());
    const receiverPort = Number(new URL(receiver.httpBase).port);
    const gw = await startGateway({
      version, tarball, mockBaseUrl: mock.baseUrl, label: `reload-${version}`, log,
      otel: { enabled: true, endpoint: receiver.httpBase, ...A },
    });
    started.push(() => gw.stop());
    await waitForLogCount(gw, STARTUP, 1, 60000);
    const pidsBefore = gw.pids();
    const gatewayBefore = gatewayPids(pidsBefore);

    await gw.chatTurn("turn before reload", `reload-1-${gw.runId.slice(0, 8)}`);
    const servedBefore = mock.served.length;
    const reqsBeforeWrite = receiver.requests.length;
    const writtenAt = Date.now();
    rewriteConfigAtomic(gw.configPath, (c) => Object.assign(c.diagnostics.otel, B));
    await waitForLogCount(gw, STARTUP, 2, 180000);
    const reloadMs = Date.now() - writtenAt;
    await until(() => healthy(gw), 120000, "health after reload");
    const pidsAfter = gw.pids();
    const gatewayAfter = gatewayPids(pidsAfter);
    log(`[reload] ${version}: startup line of gen-b ${reloadMs} ms after the write; pids ${pidsBefore} -> ${pidsAfter}`);

    await gw.chatTurn("turn after reload", `reload-2-${gw.runId.slice(0, 8)}`);
    const prices = pricesFromConfig(gw.configPath);
    const expectedA = expectedFromServed(mock.served.slice(0, servedBefore), prices);
    const expectedB = expectedFromServed(mock.served.slice(servedBefore), prices);
    let waitB;
    try {
      await receiver.waitFor((reqs) => tokensOf(requestsOfService(reqs, B.serviceName)).total === expectedB.tokens.total, 30000);
      // Enough gen-b metrics requests to measure their spacing.
      await receiver.waitFor((reqs) => requestsOfService(reqs, B.serviceName).filter((r) => r.path === "/v1/metrics").length >= 6, 30000);
    } catch (err) {
      waitB = err.message;
    }
    const phase1 = receiver.requests.slice();

    let loop;
    if (version === "2026.9.6") {
      loop = { samples: {}, reloads: [] };
      for (let k = 1; k <= LOOP; k++) {
        const name = LOOP_NAMES[(k - 1) % 2];
        const from = receiver.requests.length;
        const t = Date.now();
        rewriteConfigAtomic(gw.configPath, (c) => Object.assign(c.diagnostics.otel, { serviceName: name, flushIntervalMs: 1000 }));
        await waitForLogCount(gw, STARTUP, 2 + k, 60000);
        // Each generation exports at least once before the next reload, so every one is seen.
        await receiver.waitFor((reqs) => reqs.slice(from).some((r) => serviceNamesOf(r)[0] === name), 15000);
        loop.reloads.push(Date.now() - t);
        if (k === 1 || k === LOOP) {
          await sleep(SETTLE_MS);
          loop.samples[k] = measure(gatewayAfter[0], receiverPort);
          log(`[reload] ${version}: after reload ${k}: ${JSON.stringify(loop.samples[k])}`);
        }
      }
      // A few more intervals: a leftover generation would export again in this window.
      await sleep(4000);
      // Resolved to gateway pids now: /proc/<pid>/comm is gone once the gateway stops.
      loop.gatewayEnd = gatewayPids(gw.pids());
    }

    const logs = logRecords(gw.logFile);
    const stopReport = await gw.stop();
    const leftover = gw.pids();
    fs.writeFileSync(path.join(gw.dir, "otlp-requests.jsonl"), receiver.requests.map((r) => JSON.stringify(r)).join("\n") + "\n");
    fs.writeFileSync(path.join(gw.dir, "mock-served.json"), JSON.stringify({ served: mock.served, unexpected: mock.unexpected }, null, 1));
    const run = {
      version, gw, mock, receiver, pidsBefore, pidsAfter, gatewayBefore, gatewayAfter, servedBefore,
      reqsBeforeWrite, writtenAt, reloadMs, phase1, expectedA, expectedB, waitB, loop, logs,
      stopReport, leftover, wallMs: Date.now() - t0, cleanup,
    };
    log(`[reload] ${version}: ${receiver.requests.length} requests, wall ${(run.wallMs / 1000).toFixed(1)} s`);
    return run;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

for (const version of VERSIONS) {
  describe(`OpenClaw ${version}: hot reload of diagnostics.otel`, { timeout: 8 * 60 * 1000 }, () => {
    let run;
    let genA;
    let genB;
    before(async () => {
      run = await runReload(version);
      genA = requestsOfService(run.phase1, A.serviceName);
      genB = requestsOfService(run.phase1, B.serviceName);
      log(`[reload] ${version}: gen-a ${genA.length} requests, tokens ${JSON.stringify(tokensOf(genA))} expected ${JSON.stringify(run.expectedA.tokens)}`);
      log(`[reload] ${version}: gen-b ${genB.length} requests, tokens ${JSON.stringify(tokensOf(genB))} expected ${JSON.stringify(run.expectedB.tokens)}`);
    });
    after(async () => {
      await run?.cleanup();
    });

    test("one mock reply per turn: one before and one after the reload", () => {
      assert.equal(run.servedBefore, 1);
      assert.equal(run.mock.served.length, 2, JSON.stringify(run.mock.served));
      assert.deepEqual(run.mock.unexpected, []);
    });

    if (version === "2026.2.19") {
      test("the gateway restarted as a new process (new pid, old one gone)", () => {
        assert.equal(run.gatewayBefore.length, 1, `gateway pids before: ${run.pidsBefore}`);
        assert.equal(run.gatewayAfter.length, 1, `gateway pids after: ${run.pidsAfter}`);
        const [oldPid, newPid] = [run.gatewayBefore[0], run.gatewayAfter[0]];
        assert.notEqual(newPid, oldPid);
        assert.ok(!run.pidsAfter.includes(oldPid), `old gateway ${oldPid} still alive`);
        const msgs = run.logs.map((r) => r.msg);
        assert.ok(msgs.some((m) => /config change requires gateway restart \(.*diagnostics\.otel\.serviceName/.test(m)), "no restart decision in the log");
        assert.ok(msgs.some((m) => m.includes(`full process restart (spawned pid ${newPid})`)), `log does not name ${newPid} as the spawned gateway`);
      });
    } else {
      test("only our service restarted: same gateway pid, a hot reload in the log, no restart", () => {
        assert.equal(run.gatewayBefore.length, 1, `gateway pids before: ${run.pidsBefore}`);
        assert.deepEqual(run.gatewayAfter, run.gatewayBefore);
        if (run.loop) assert.deepEqual(run.loop.gatewayEnd, run.gatewayBefore, "gateway pid changed during the reload loop");
        const msgs = run.logs.map((r) => r.msg);
        assert.ok(msgs.some((m) => /config hot reload applied \(.*diagnostics\.otel\.serviceName/.test(m)), "no hot reload in the log");
        // The messages 2026.9.6 logs when it restarts the gateway instead of one service.
        const restarts = msgs.filter((m) => /config change requires gateway restart|restart mode:|SIGUSR1|in-process restart/.test(m));
        assert.deepEqual(restarts, []);
      });
    }

    test("one startup line per generation, naming the new service.name and interval", () => {
      const lines = run.logs.filter((r) => STARTUP.test(r.msg)).map((r) => r.msg);
      assert.equal(lines.length, 2 + (run.loop ? LOOP : 0), lines.join("\n"));
      assert.match(lines[0], /every 600s .*\(service\.name=gen-a,/);
      assert.match(lines[1], /every 2s .*\(service\.name=gen-b,/);
      if (run.loop) {
        for (let k = 1; k <= LOOP; k++) assert.match(lines[1 + k], new RegExp(`every 1s .*\\(service\\.name=${LOOP_NAMES[(k - 1) % 2]},`), `reload ${k}`);
      }
      const bad = run.logs.map((r) => r.msg).filter((m) => /diagnostics-otel: (not exporting|start failed|stop:)/.test(m) || (/diagnostics-otel/.test(m) && /export.*(fail|error|timed out)/i.test(m)));
      assert.deepEqual(bad, []);
    });

    test("gen-a's final export, sent at the reload, carries turn 1 exactly", () => {
      // Not vacuous: before the write no gen-a request carried turn 1's tokens.
      const early = requestsOfService(run.phase1.slice(0, run.reqsBeforeWrite), A.serviceName);
      assert.ok(!(tokensOf(early).total > 0), `gen-a exported turn 1 before the reload (${early.length} requests): the flush is not tested`);
      const late = genA.filter((r) => r.receivedAt >= run.writtenAt);
      assert.ok(late.length >= 1, "no gen-a request after the config write: the old generation was not flushed");
      assert.deepEqual(tokensOf(genA), run.expectedA.tokens);
      assert.ok(run.expectedA.tokens.total > 0);
      assertCost(genA, run.expectedA);
    });

    test("gen-b counts turn 2 exactly, under service.name gen-b", () => {
      assert.equal(run.waitB, undefined, run.waitB);
      assert.deepEqual(tokensOf(genB), run.expectedB.tokens);
      assertCost(genB, run.expectedB);
      // Turn 1 is not re-exported by the new generation.
      assert.notDeepEqual(run.expectedB.tokens, run.expectedA.tokens);
      for (const m of metricsOf(genB)) assert.equal(m.resource["service.name"], B.serviceName);
    });

    test("no overlap: every gen-a request precedes every gen-b request; one start time per generation", () => {
      const seq = (runs) => runs.map((r) => `${r.name}x${r.requests.length}`).join(" ");
      const runs = serviceRuns(run.phase1);
      assert.deepEqual(runs.map((r) => r.name), ["gen-a", "gen-b"], `service.name sequence: ${seq(runs)}`);
      // Up to the stop (and through the reload loop on 2026.9.6), gen-a never exports again.
      const all = serviceRuns(run.receiver.requests);
      assert.equal(all.filter((r) => r.name === A.serviceName).length, 1, `service.name sequence: ${seq(all)}`);
      assert.ok(run.receiver.requests.every((r) => serviceNamesOf(r).length === 1), "a request mixes resources");
      const lastA = genA.at(-1).receivedAt;
      assert.ok(genB.every((r) => r.receivedAt >= lastA));
      for (const [name, reqs] of [["gen-a", genA], ["gen-b", genB]]) {
        for (const metric of ["openclaw.tokens", LIFECYCLE]) {
          const starts = startTimesOf(reqs, metric);
          assert.equal(starts.size, 1, `${name} ${metric}: start times ${[...starts]}`);
        }
      }
      const [a] = startTimesOf(genA, "openclaw.tokens");
      const [b] = startTimesOf(genB, "openclaw.tokens");
      assert.ok(BigInt(b) > BigInt(a), `gen-b start ${b} not after gen-a start ${a}`);
    });

    test("gen-b exports every ~2 s", () => {
      const metricsB = genB.filter((r) => r.path === "/v1/metrics");
      const gaps = metricsB.slice(1).map((r, i) => r.receivedAt - metricsB[i].receivedAt);
      log(`[reload] ${version}: gen-b gaps ms ${gaps.join(", ")}`);
      assert.ok(gaps.length >= 4, `${gaps.length} gaps`);
      const sorted = [...gaps].sort((x, y) => x - y);
      const median = sorted[Math.floor(sorted.length / 2)];
      assert.ok(median >= 1800 && median <= 2300, `median gap ${median} ms`);
      assert.ok(sorted[0] >= 1500, `shortest gap ${sorted[0]} ms`);
    });

    if (version === "2026.9.6") {
      test(`${LOOP} reloads: threads and sockets of the gateway do not grow`, () => {
        const [first, last] = [run.loop.samples[1], run.loop.samples[LOOP]];
        log(`[reload] threads after reload 1: ${first.threads} (otel-rs ${first.pluginThreads}), after ${LOOP}: ${last.threads} (otel-rs ${last.pluginThreads})`);
        log(`[reload] sockets after reload 1: ${first.sockets} (to receiver ${first.socketsToReceiver}), after ${LOOP}: ${last.sockets} (to receiver ${last.socketsToReceiver})`);
        assert.equal(last.pluginThreads, first.pluginThreads, "plugin threads grew");
        assert.ok(last.threads <= first.threads + THREAD_TOLERANCE, `threads ${first.threads} -> ${last.threads}`);
        // One keep-alive connection per exporting signal at most (metrics and spans here).
        assert.ok(last.socketsToReceiver <= 2, `${last.socketsToReceiver} connections to the receiver`);
        assert.ok(last.sockets <= first.sockets + SOCKET_TOLERANCE, `sockets ${first.sockets} -> ${last.sockets}`);
      });

      test(`${LOOP} reloads: generations never interleave; only the last exports at the end`, () => {
        const reqs = run.receiver.requests.slice(run.phase1.length);
        const runs = serviceRuns(reqs);
        const want = Array.from({ length: LOOP }, (_, i) => LOOP_NAMES[i % 2]);
        // The loop began while gen-b was exporting: its final request(s) may lead.
        const names = runs.map((r) => r.name);
        if (names[0] === B.serviceName) names.shift();
        assert.deepEqual(names, want, `service.name runs: ${runs.map((r) => `${r.name}x${r.requests.length}`).join(" ")}`);
        const starts = runs.filter((r) => r.name !== B.serviceName).map((r) => startTimesOf(r.requests, LIFECYCLE));
        for (const [i, s] of starts.entries()) assert.equal(s.size, 1, `generation ${i + 1}: ${[...s]}`);
        assert.equal(new Set(starts.map((s) => [...s][0])).size, LOOP, "two generations share a start time");
        const tail = reqs.slice(-3);
        assert.equal(tail.length, 3);
        for (const r of tail) assert.deepEqual(serviceNamesOf(r), [want.at(-1)]);
        assert.equal(startTimesOf(tail, LIFECYCLE).size, 1, "more than one generation in the last requests");
        log(`[reload] reload loop: ms per reload ${run.loop.reloads.join(", ")}`);
      });
    }

    test("SIGTERM stops the gateway cleanly and nothing is left behind", () => {
      assert.deepEqual(run.stopReport.killed, [], "needed SIGKILL");
      assert.deepEqual(run.leftover, []);
    });
  });
}
