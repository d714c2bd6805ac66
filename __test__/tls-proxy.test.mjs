// Export the way companies run collectors: a receiver that wants a client certificate signed
// by a CA this test makes (openssl), and a real proxy (Debian's tinyproxy). What is asserted is
// decoded from what reached the receiver, and what the operator was told.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { messageFlow } from "./support/events.mjs";
import { withPlugin } from "./support/fixture.mjs";
import { sleep } from "./support/host.mjs";
import { latest, pointWith, spansOf, startReceiver } from "./support/receiver.mjs";
import { makePki, startTinyproxy } from "./support/tools.mjs";

const TOKENS = { "openclaw.token": "input", "openclaw.model": "mock-1" };

/**
 * One generation against `receiver`: start with `otel` and `env`, feed a turn, flush, wait for
 * the relayed log lines, stop. Returns what the operator saw and what the receiver decoded.
 */
function exportOnce(receiver, { otel = {}, env = {} } = {}) {
  return withPlugin({ receiver, otel: { flushIntervalMs: 60000, ...otel }, env }, async ({ host, logger, service }) => {
    for (const e of messageFlow()) host.bus.emit(e);
    const flushed = await host.plugin.flush(8000);
    await sleep(1200); // log lines are relayed once a second
    const status = host.plugin.status();
    await service.stop();
    await receiver.sync();
    const lines = logger.lines.map((l) => `${l.level}: ${l.message}`);
    return { flushed, status, lines, warns: logger.lines.filter((l) => l.level === "warn").map((l) => l.message) };
  });
}

function inputTokens(receiver) {
  return pointWith(latest(receiver.requests, "openclaw.tokens"), TOKENS)?.value;
}

describe("mTLS: a receiver that requires a client certificate", () => {
  let pki;
  let receiver;
  before(async () => {
    pki = makePki();
    receiver = await startReceiver({ tls: { cert: pki.server[0], key: pki.server[1], clientCa: pki.ca } });
  });
  after(async () => {
    await receiver?.stop();
    pki?.cleanup();
  });
  const mtls = (p = pki) => ({
    OTEL_EXPORTER_OTLP_CERTIFICATE: p.ca,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: p.client[0],
    OTEL_EXPORTER_OTLP_CLIENT_KEY: p.client[1],
  });

  for (const protocol of ["http/protobuf", "http/json", "grpc"]) {
    test(`the right CA and client certificate export over ${protocol}`, async () => {
      const before = receiver.requests.length;
      const r = await exportOnce(receiver, { otel: { protocol }, env: mtls() });
      const got = receiver.requests.slice(before);
      assert.ok(got.length > 0, r.lines.join("\n"));
      assert.equal(got[0].transport, protocol === "grpc" ? "grpc" : "http");
      if (protocol !== "grpc") assert.match(got[0].contentType, protocol === "http/json" ? /json/ : /protobuf/);
      assert.equal(pointWith(latest(got, "openclaw.tokens"), TOKENS)?.value, 120);
      assert.deepEqual(r.warns, []);
      const startup = r.lines.find((l) => l.includes("exporting"));
      // The paths are printed, but these temporary ones look secret-shaped to the funnel.
      assert.match(startup ?? "", /to https:\/\/127\.0\.0\.1:\d+\S* \(TLS: CA \S+, client certificate \S+\)/, r.lines.join("\n"));
    });
  }

  const refused = [
    {
      what: "a CA that did not sign the collector's certificate",
      env: (p) => ({ ...mtls(p), OTEL_EXPORTER_OTLP_CERTIFICATE: p.otherCa }),
      cause: /not signed by a trusted CA \(OTEL_EXPORTER_OTLP_CERTIFICATE\)/,
    },
    {
      what: "no client certificate",
      env: (p) => ({ OTEL_EXPORTER_OTLP_CERTIFICATE: p.ca }),
      cause: /requires a client certificate|refused our client certificate, or wants one/,
      server: /PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/,
    },
    {
      what: "an expired client certificate",
      env: (p) => ({ ...mtls(p), OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: p.expired[0], OTEL_EXPORTER_OTLP_CLIENT_KEY: p.expired[1] }),
      cause: /our client certificate expired/,
      server: /CERTIFICATE_VERIFY_FAILED/,
      // Said at start too: over gRPC the refusal itself does not say why.
      start: /OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE "\S+" expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC; the collector will refuse it/,
    },
    {
      what: "a client certificate from a CA the collector does not know",
      env: (p) => ({ ...mtls(p), OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: p.stranger[0], OTEL_EXPORTER_OTLP_CLIENT_KEY: p.stranger[1] }),
      cause: /does not trust our client certificate/,
      server: /CERTIFICATE_VERIFY_FAILED/,
    },
  ];
  for (const c of refused) {
    for (const protocol of ["http/protobuf", "grpc"]) {
      test(`${c.what} (${protocol}): a warning naming the cause, nothing exported, nothing crashes`, async () => {
        const before = receiver.requests.length;
        const rejectedBefore = receiver.tlsRejected.length;
        const r = await exportOnce(receiver, { otel: { protocol }, env: c.env(pki) });
        assert.equal(receiver.requests.length, before, "nothing got through");
        const warn = r.warns.find((m) => m.includes("metrics export to"));
        assert.ok(warn, r.lines.join("\n"));
        if (protocol === "grpc" && c.server) {
          // grpc-core refuses a client certificate by closing the connection, without a TLS
          // alert, so the client can only say what it probably means.
          assert.match(warn, /failed: (tls \(the collector closed the TLS connection: it may want a client certificate|connection failed)/);
        } else {
          assert.match(warn, /failed: tls/);
          assert.match(warn, c.cause);
        }
        assert.ok(r.status.exportsFailed >= 1);
        if (c.start) assert.ok(r.warns.some((m) => c.start.test(m)), r.lines.join("\n"));
        if (c.server && protocol !== "grpc") assert.match(receiver.tlsRejected.slice(rejectedBefore).join(" "), c.server);
      });
    }
  }

  test("an incomplete or unreadable set: one warning naming the variable, that signal stays off", async () => {
    const before = receiver.requests.length;
    let r = await exportOnce(receiver, {
      otel: { traces: true },
      env: {
        OTEL_EXPORTER_OTLP_CERTIFICATE: pki.ca,
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: pki.client[0],
        OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: pki.client[0],
        OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: pki.client[1],
      },
    });
    assert.equal(r.warns.length, 1, r.lines.join("\n"));
    assert.ok(spansOf(receiver.requests.slice(before)).some((s) => s.name === "openclaw.model.usage"), "traces, with their complete pair, still export");
    assert.match(r.warns[0], /OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE is set but OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY or OTEL_EXPORTER_OTLP_CLIENT_KEY is not.*not exporting metrics$/);
    assert.ok(!r.lines.some((l) => l.includes("metrics via OTLP")), r.lines.join("\n"));
    assert.equal(receiver.requests.slice(before).filter((q) => q.path.includes("metrics")).length, 0);
    const count = receiver.requests.length;
    r = await exportOnce(receiver, { otel: { traces: false }, env: { ...mtls(), OTEL_EXPORTER_OTLP_CLIENT_KEY: `${pki.dir}/missing.key` } });
    assert.equal(receiver.requests.length, count);
    assert.equal(r.warns.length, 2, r.lines.join("\n"));
    assert.ok(r.warns.some((m) => /OTEL_EXPORTER_OTLP_CLIENT_KEY "(\/tmp\/\S+\/missing\.key|\[redacted\])" could not be read .*not exporting metrics$/.test(m)), r.lines.join("\n"));
    assert.ok(r.warns.some((m) => /not exporting: no signal has a usable TLS setup/.test(m)), r.lines.join("\n"));
  });
});

describe("proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY through a real tinyproxy", () => {
  let pki;
  let plain;
  let secure;
  let proxy;
  let guarded;
  const AUTH = { user: "otel", password: "pr0xy-Pa55" };
  before(async () => {
    pki = makePki();
    plain = await startReceiver();
    secure = await startReceiver({ tls: { cert: pki.server[0], key: pki.server[1], clientCa: pki.ca } });
    proxy = await startTinyproxy();
    guarded = await startTinyproxy({ auth: AUTH });
  });
  after(async () => {
    for (const x of [plain, secure, proxy, guarded]) await x?.stop();
    pki?.cleanup();
  });
  const mtls = () => ({
    OTEL_EXPORTER_OTLP_CERTIFICATE: pki.ca,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pki.client[0],
    OTEL_EXPORTER_OTLP_CLIENT_KEY: pki.client[1],
  });
  const seen = (p, from) => p.requests().slice(from);

  const cases = [
    { what: "plain http/protobuf, HTTP_PROXY: absolute-form requests", receiver: () => plain, protocol: "http/protobuf", env: () => ({ HTTP_PROXY: proxy.url }), line: (r) => `POST ${r.httpBase}/v1/metrics` },
    { what: "https with mTLS, https_proxy: a CONNECT tunnel", receiver: () => secure, protocol: "http/protobuf", env: () => ({ https_proxy: proxy.url, ...mtls() }), line: (r) => `CONNECT 127.0.0.1:${r.ports.http}` },
    { what: "plain grpc, HTTP_PROXY: a CONNECT tunnel (HTTP/2 needs one)", receiver: () => plain, protocol: "grpc", env: () => ({ HTTP_PROXY: proxy.url }), line: (r) => `CONNECT 127.0.0.1:${r.ports.grpc}` },
    { what: "grpc with mTLS, HTTPS_PROXY: a CONNECT tunnel", receiver: () => secure, protocol: "grpc", env: () => ({ HTTPS_PROXY: proxy.url, ...mtls() }), line: (r) => `CONNECT 127.0.0.1:${r.ports.grpc}` },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const receiver = c.receiver();
      const from = proxy.requests().length;
      const before = receiver.requests.length;
      const r = await exportOnce(receiver, { otel: { protocol: c.protocol, traces: false }, env: c.env() });
      assert.deepEqual(r.warns, []);
      assert.equal(pointWith(latest(receiver.requests.slice(before), "openclaw.tokens"), TOKENS)?.value, 120, r.lines.join("\n"));
      assert.ok(seen(proxy, from).includes(c.line(receiver)), `proxy saw: ${seen(proxy, from).join(", ")}`);
      assert.match(r.lines.find((l) => l.includes("exporting")) ?? "", new RegExp(`via proxy http://127\\.0\\.0\\.1:${proxy.port}`));
    });
  }

  test("NO_PROXY: listed hosts go direct", async () => {
    const from = proxy.requests().length;
    const before = plain.requests.length;
    const r = await exportOnce(plain, { otel: { traces: false }, env: { HTTP_PROXY: proxy.url, NO_PROXY: "collector.internal,127.0.0.1" } });
    assert.equal(pointWith(latest(plain.requests.slice(before), "openclaw.tokens"), TOKENS)?.value, 120);
    assert.deepEqual(seen(proxy, from), []);
    assert.ok(!r.lines.some((l) => l.includes("via proxy")), r.lines.join("\n"));
  });

  test("proxy credentials: used, never printed; wrong ones get a warning naming the proxy", async () => {
    const withAuth = (password) => `http://${AUTH.user}:${password}@127.0.0.1:${guarded.port}`;
    for (const [receiver, protocol, env] of [
      [plain, "http/protobuf", { HTTP_PROXY: withAuth(AUTH.password) }],
      [secure, "http/protobuf", { HTTPS_PROXY: withAuth(AUTH.password), ...mtls() }],
      [plain, "grpc", { HTTP_PROXY: withAuth(AUTH.password) }],
    ]) {
      const from = guarded.requests().length;
      const before = receiver.requests.length;
      const r = await exportOnce(receiver, { otel: { protocol, traces: false }, env });
      assert.equal(pointWith(latest(receiver.requests.slice(before), "openclaw.tokens"), TOKENS)?.value, 120, `${protocol}: ${r.lines.join("\n")}`);
      assert.ok(seen(guarded, from).length > 0);
      assert.ok(r.lines.some((l) => l.includes(`via proxy http://***@127.0.0.1:${guarded.port}`)), r.lines.join("\n"));
      assert.ok(r.lines.every((l) => !l.includes(AUTH.password)));
    }
    for (const [receiver, protocol, env] of [
      [plain, "http/protobuf", { HTTP_PROXY: withAuth("wrong-Pa55w0rd") }],
      [secure, "http/protobuf", { HTTPS_PROXY: withAuth("wrong-Pa55w0rd"), ...mtls() }],
    ]) {
      const before = receiver.requests.length;
      const r = await exportOnce(receiver, { otel: { protocol, traces: false }, env });
      assert.equal(receiver.requests.length, before);
      const warn = r.warns.find((m) => m.includes("metrics export to"));
      assert.ok(warn, r.lines.join("\n"));
      assert.match(warn, new RegExp(`to ${receiver.httpBase}/v1/metrics failed: proxy: (authentication required|tunnel refused|connection failed \\(wrong proxy credentials)`));
      assert.match(warn, new RegExp(`via proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${guarded.port}`));
      assert.ok(r.lines.every((l) => !l.includes("wrong-Pa55w0rd")), r.lines.join("\n"));
    }
  });
});
