// The release as npm sees it: per-platform packages in the napi-rs layout, versions in
// lockstep, a main package without a binary, and index.js finding the binary the way each
// install path leaves it (beside itself, in the platform package, or nowhere).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { drift, platformOf, readRelease, ROOT, setVersion } from "../scripts/versions.mjs";
import { messageFlow } from "./support/events.mjs";
import { ctxFor, makeHost, makeLogger, register } from "./support/host.mjs";
import { latest, pointWith } from "./support/receiver.mjs";
import { runOnce } from "./support/fixture.mjs";

const { main, packages } = readRelease();
// What each napi platform tag must declare to npm (os, cpu, libc), written out independently.
const EXPECTED = {
  "darwin-x64": ["darwin", "x64", undefined],
  "darwin-arm64": ["darwin", "arm64", undefined],
  "linux-x64-gnu": ["linux", "x64", "glibc"],
  "linux-arm64-gnu": ["linux", "arm64", "glibc"],
  "linux-x64-musl": ["linux", "x64", "musl"],
  "linux-arm64-musl": ["linux", "arm64", "musl"],
  "win32-x64-msvc": ["win32", "x64", undefined],
  "win32-arm64-msvc": ["win32", "arm64", undefined],
};

describe("platform packages", () => {
  test("every OpenClaw platform has a package, named and constrained for npm's platform pick", () => {
    assert.deepEqual(packages.map((p) => p.platform).sort(), Object.keys(EXPECTED).sort());
    for (const { platform, json } of packages) {
      const [os_, cpu, libc] = EXPECTED[platform];
      assert.ok(json, `npm/${platform}/package.json`);
      assert.equal(json.name, `${main.name}-${platform}`);
      assert.deepEqual(json.os, [os_], platform);
      assert.deepEqual(json.cpu, [cpu], platform);
      assert.deepEqual(json.libc, libc && [libc], platform);
      assert.equal(json.main, `diagnostics-otel.${platform}.node`);
      assert.deepEqual(json.files, [json.main], `${platform} carries only its binary`);
      assert.equal(json.license, main.license);
    }
  });

  test("napi target triples map to the platform tags index.js looks for", () => {
    assert.equal(platformOf("aarch64-unknown-linux-musl"), "linux-arm64-musl");
    assert.equal(platformOf("x86_64-pc-windows-msvc"), "win32-x64-msvc");
    assert.equal(platformOf("aarch64-apple-darwin"), "darwin-arm64");
  });

  test("versions are in lockstep, and the check catches a drifted one", () => {
    assert.deepEqual(drift(), []);
    assert.equal(main.optionalDependencies[`${main.name}-linux-arm64-gnu`], main.version);
    // A copy of the release with one platform package behind and one optional dep loosened.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "versions-"));
    try {
      for (const f of ["package.json", "Cargo.toml", "Cargo.lock"]) fs.copyFileSync(path.join(ROOT, f), path.join(tmp, f));
      fs.cpSync(path.join(ROOT, "npm"), path.join(tmp, "npm"), { recursive: true, filter: (f) => !f.endsWith(".node") });
      const pkgFile = path.join(tmp, "npm/darwin-arm64/package.json");
      fs.writeFileSync(pkgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(pkgFile, "utf8")), version: "0.0.9" }));
      const mainFile = path.join(tmp, "package.json");
      const m = JSON.parse(fs.readFileSync(mainFile, "utf8"));
      m.optionalDependencies[`${main.name}-win32-x64-msvc`] = `^${main.version}`;
      fs.writeFileSync(mainFile, JSON.stringify(m));
      const found = drift(tmp);
      assert.equal(found.length, 2, found.join("\n"));
      assert.match(found.join("\n"), /npm\/darwin-arm64 version 0\.0\.9/);
      assert.match(found.join("\n"), /win32-x64-msvc is \^/);
      // --set brings everything, the crate included, to one version.
      setVersion("1.2.3", tmp);
      assert.deepEqual(drift(tmp), []);
      assert.match(fs.readFileSync(path.join(tmp, "Cargo.toml"), "utf8"), /^version = "1\.2\.3"$/m);
      assert.match(fs.readFileSync(path.join(tmp, "Cargo.lock"), "utf8"), new RegExp(`name = "${main.name}"\\nversion = "1\\.2\\.3"`));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("the main package publishes no binary", () => {
    const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--silent"], { cwd: ROOT, encoding: "utf8" }));
    const files = packed.files.map((f) => f.path);
    assert.deepEqual(files.filter((f) => f.endsWith(".node")), []);
    for (const f of ["index.js", "index.d.ts", "openclaw.plugin.json", "package.json"]) assert.ok(files.includes(f), f);
  });
});

describe("index.js finds the binary", () => {
  const flow = messageFlow({ input: 7, output: 3 });

  test("in the platform package npm installed (no .node beside index.js)", async () => {
    const run = await runOnce({ otel: {}, trusted: true, events: flow, binary: "package" });
    assert.equal(run.flushed.ok, true, run.flushed.error);
    const tokens = latest(run.requests, "openclaw.tokens");
    assert.equal(pointWith(tokens, { "openclaw.token": "input" })?.value, 7);
    assert.equal(pointWith(tokens, { "openclaw.token": "output" })?.value, 3);
  });

  test("nowhere: one error naming platform, libc and the package to install; the host carries on", async () => {
    const host = await makeHost("2026.9.6", { binary: "none" });
    const logger = makeLogger();
    try {
      const [service] = register(host.plugin);
      await service.start(ctxFor({ enabled: true, endpoint: "http://127.0.0.1:9" }, { logger }));
      for (const e of flow) host.bus.emit(e, { trusted: true });
      assert.equal(host.bus.listenerCount(), 0, "nothing subscribed without a binary");
      await service.stop();
      assert.deepEqual((await host.plugin.flush(1000)).ok, false);
      const errors = logger.lines.filter((l) => l.level === "error");
      assert.equal(errors.length, 1, JSON.stringify(logger.lines));
      const tag = `${process.platform}-${process.arch}`;
      const libc = { linux: " \\((glibc [0-9.]+|musl)\\)" }[process.platform] ?? "";
      const abi = { linux: "-(gnu|musl)", win32: "-msvc" }[process.platform] ?? "";
      assert.match(errors[0].message, new RegExp(`^diagnostics-otel: not exporting: no native binary for ${tag}${libc}: `));
      assert.match(errors[0].message, new RegExp(`install ${main.name}-${tag}${abi}@${main.version.replaceAll(".", "\\.")} `));
      assert.doesNotMatch(errors[0].message, /MODULE_NOT_FOUND|Require stack/);
    } finally {
      host.cleanup();
    }
  });
});
