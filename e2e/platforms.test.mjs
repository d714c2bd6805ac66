// Every platform binary this machine can build, built, checked from its own headers and run
// where it can run (scripts/platforms.mjs). In `npm test`: the host build's static checks and
// linux-arm64-gnu (glibc 2.17, wire tests under qemu). With PLATFORMS=all
// (`npm run test:platforms`): every other target too. A toolchain that cannot be had here is
// a printed skip, never a pass.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { checkBuffer, inspect } from "../scripts/binary-check.mjs";
import { GLIBC_FLOOR, MACOS_MIN, ROOT, TARGETS, crossCheck, runPlatform, table } from "../scripts/platforms.mjs";

const ALL = process.env.PLATFORMS === "all";
const HOST_BINARY = path.join(ROOT, "diagnostics-otel.linux-x64-gnu.node");
const MINUTES = 60 * 1000;

/** A copy of `buf` with every occurrence of `from` (same length) replaced by `to`. */
function replaceAll(buf, from, to) {
  assert.equal(from.length, to.length);
  const out = Buffer.from(buf);
  let n = 0;
  for (let i = out.indexOf(from); i >= 0; i = out.indexOf(from, i + 1), n++) out.write(to, i, "latin1");
  assert.ok(n > 0, `${from} not found in the binary`);
  return out;
}

/** Prints the table row and the per-file results, so a run's log carries them. */
function report(t, row) {
  const lines = [table([row])];
  for (const f of row.run?.files ?? []) {
    const again = f.retried ? ` (passed on a rerun; first run failed: ${f.retried.failed.join(" | ")}, ${f.retried.log})` : "";
    const counts = Number.isNaN(f.tests) ? `exit ${f.code}` : `${f.pass}/${f.tests}`;
    lines.push(`  ${f.file}: ${f.ok ? "pass" : "FAIL"} ${counts} in ${f.seconds.toFixed(0)} s${f.excluded?.length ? ` (excluded "${f.excluded.join('", "')}": ${f.excludedWhy})` : ""}${f.ok ? again : ` [${f.failed.join(" | ")}] ${f.log}`}`);
  }
  if (row.run?.driver) lines.push(`  wine driver: ${JSON.stringify({ ok: row.run.driver.ok, exports: row.run.driver.exports, tokens: row.run.driver.tokens, error: row.run.driver.error })}`);
  if (row.check) lines.push(`  ${JSON.stringify(row.check.facts)}; ${row.check.cross}`);
  for (const l of lines.join("\n").split("\n")) t.diagnostic(l);
}

/** Common assertions: it built, its checks passed, and, if it ran, every run passed. */
function assertRow(row) {
  assert.equal(row.error, undefined, row.error);
  assert.equal(row.buildError, undefined, `build failed (${row.log}):\n${row.buildError}`);
  assert.ok(row.check, "no static check ran");
  assert.deepEqual(row.check.problems, [], `static checks of ${row.file}`);
  assert.ok(row.size > 0);
}

async function platformTest(t, platform) {
  const row = await runPlatform(platform);
  if (row.skipped) {
    t.skip(`${platform}: ${row.skipped}`);
    return undefined;
  }
  report(t, row);
  assertRow(row);
  return row;
}

test("linux-x64-gnu host build (repo root): format, napi symbol and libraries pass; the glibc floor check catches it", (t) => {
  if (!fs.existsSync(HOST_BINARY)) return t.skip(`no ${HOST_BINARY}: run npm run build first`);
  const buf = fs.readFileSync(HOST_BINARY);
  const plain = checkBuffer(buf, "linux-x64-gnu");
  assert.deepEqual(plain.problems, [], "format, architecture, napi_register_module_v1, dynamic libraries");
  assert.equal(plain.facts.arch, "x64");
  // Negative control: a plain `cargo build` on Debian 12 needs newer glibc symbols (2.34:
  // dlopen & co. moved into libc), so the floor check must refuse it.
  const floor = checkBuffer(buf, "linux-x64-gnu", { glibcFloor: GLIBC_FLOOR });
  assert.equal(floor.ok, false, `a plain cargo build passed the ${GLIBC_FLOOR} floor: ${plain.facts.glibcMax}`);
  assert.match(floor.problems.join("\n"), new RegExp(`needs GLIBC_${plain.facts.glibcMax.replaceAll(".", "\\.")} > ${GLIBC_FLOOR.replaceAll(".", "\\.")} \\(\\d+ symbols: `));
  t.diagnostic(`host build: ${JSON.stringify(plain.facts)}; floor check: ${floor.problems.join("; ")}`);
  const cross = crossCheck(HOST_BINARY, plain.info);
  t.diagnostic(cross.note);
  assert.notEqual(cross.agrees, false, cross.note);

  // Each check must be able to fail: the same binary with one fact changed.
  const arm = Buffer.from(buf);
  arm.writeUInt16LE(183, 18); // e_machine: aarch64
  assert.match(checkBuffer(arm, "linux-x64-gnu").problems.join(), /architecture arm64, want x64/);
  const unregistered = replaceAll(buf, "napi_register_module_v1\0", "napi_register_module_v0\0");
  assert.match(checkBuffer(unregistered, "linux-x64-gnu").problems.join(), /napi_register_module_v1 is not exported/);
  const lib = plain.facts.needed.find((l) => l.startsWith("lib"));
  const stranger = `libX${lib.slice(4)}`;
  assert.match(checkBuffer(replaceAll(buf, `${lib}\0`, `${stranger}\0`), "linux-x64-gnu").problems.join(), new RegExp(`unexpected dynamic libraries: ${stranger.replaceAll(".", "\\.")}`));
  assert.match(checkBuffer(buf, "darwin-x64").problems.join(), /format elf, want macho/);
  assert.match(checkBuffer(Buffer.alloc(4096, 0x41), "linux-x64-gnu").problems.join(), /unreadable: unknown magic/);
});

test(
  "linux-arm64-gnu: cross-built against glibc 2.17, static checks, Node wire tests under qemu",
  { timeout: 25 * MINUTES },
  async (t) => {
    const started = Date.now();
    const row = await platformTest(t, "linux-arm64-gnu");
    if (!row) return;
    assert.equal(row.check.facts.glibcMax, GLIBC_FLOOR);
    assert.equal(row.run.loaded?.arch, "arm64", `index.js under qemu did not load the arm64 binary: ${row.run.probe ?? JSON.stringify(row.run.loaded)}`);
    assert.ok(row.run.loaded.exports.includes("NativeGeneration"));
    const failed = row.run.files.filter((f) => !f.ok);
    assert.deepEqual(failed.map((f) => `${f.file}: ${f.failed.join(" | ") || `exit ${f.code}`} (${f.log})`), [], "wire test files under qemu");
    t.diagnostic(`linux-arm64-gnu leg: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  },
);

// The other targets: only with PLATFORMS=all (a few minutes each).
const others = Object.keys(TARGETS).filter((p) => p !== "linux-arm64-gnu");
const titles = {
  "linux-x64-gnu": "linux-x64-gnu: built against glibc 2.17 with zig, static checks, Node wire tests natively",
  "linux-x64-musl": "linux-x64-musl: built with zig, static checks (no musl Node to run it here)",
  "linux-arm64-musl": "linux-arm64-musl: built with zig, static checks (no musl Node to run it here)",
  "darwin-x64": `darwin-x64: built with zig for macOS ${MACOS_MIN}, static checks (no macOS here)`,
  "darwin-arm64": `darwin-arm64: built with zig for macOS ${MACOS_MIN}, static checks (no macOS here)`,
  "win32-x64-gnu": "win32-x64-gnu: built with mingw against node.exe, static checks, loads and exports under wine",
  "win32-x64-msvc": "win32-x64-msvc: cannot be built here",
  "win32-arm64-msvc": "win32-arm64-msvc: cannot be built here",
};

for (const platform of others) {
  const skip = ALL ? false : "set PLATFORMS=all (npm run test:platforms) to build and check this target";
  test(titles[platform] ?? platform, { skip, timeout: 30 * MINUTES }, async (t) => {
    if (TARGETS[platform].how === "none") {
      return t.skip(TARGETS[platform].why);
    }
    const row = await platformTest(t, platform);
    if (!row) return;
    const buf = fs.readFileSync(row.file);
    if (platform === "linux-x64-gnu") {
      assert.equal(row.check.facts.glibcMax, GLIBC_FLOOR);
      assert.deepEqual(row.run.files.filter((f) => !f.ok).map((f) => `${f.file}: ${f.failed.join(" | ")} (${f.log})`), [], "wire tests with the glibc-2.17 build");
    }
    if (platform.includes("musl")) {
      assert.deepEqual(inspect(buf).glibcVersions, [], "a musl binary asks for no glibc symbol version");
    }
    if (platform.startsWith("darwin")) {
      assert.equal(row.check.facts.minos, MACOS_MIN);
      // The minimum-OS check must be able to fail: minos 15.0 in a copy.
      const info = inspect(buf);
      assert.ok(info.minos);
      const newer = Buffer.from(buf);
      newer.writeUInt32LE(15 << 16, loadCommand(buf, 0x32) + 12); // LC_BUILD_VERSION minos
      assert.match(checkBuffer(newer, platform, { macosMin: MACOS_MIN }).problems.join(), /minimum macOS 15\.0 > 11\.0/);
      if (platform === "darwin-arm64") {
        assert.equal(row.check.facts.signed, true, "ad-hoc signed (arm64 macOS loads nothing unsigned)");
        const unsigned = Buffer.from(buf);
        unsigned.writeUInt32LE(0x7fff, loadCommand(buf, 0x1d)); // LC_CODE_SIGNATURE -> an unknown command
        assert.match(checkBuffer(unsigned, platform).problems.join(), /no LC_CODE_SIGNATURE/);
      }
    }
    if (platform === "win32-x64-gnu") {
      assert.ok(row.check.facts.nodeImports > 0, "imports napi functions from node.exe");
      // The library list must be able to fail: one import renamed in a copy.
      const ws = inspect(buf).needed.find((n) => /^ws2_32\.dll$/i.test(n));
      const renamed = replaceAll(buf, `${ws}\0`, `${ws.replace(/2_/, "X_")}\0`);
      assert.match(checkBuffer(renamed, platform).problems.join(), /unexpected dynamic libraries: .*WSX_32\.dll/i);
      // And the node.exe check: a node.exe missing one napi function.
      const fewer = new Set(inspect(buf).imports.get("node.exe").slice(1));
      assert.match(checkBuffer(buf, platform, { hostExports: fewer }).problems.join(), /node\.exe does not export napi_/);
      const d = row.run.driver;
      assert.ok(d, "the wine driver ran");
      assert.equal(d.error, undefined, d.error);
      assert.deepEqual(d.exports, ["NativeGeneration"]);
      assert.deepEqual(d.tokens, { input: 7, output: 3 }, "the metric the wine process exported, decoded on the Linux side");
    }
  });
}

/** Offset of the first load command `cmd` in a 64-bit Mach-O (for the mutations above). */
function loadCommand(buf, cmd) {
  for (let i = 0, o = 32, n = buf.readUInt32LE(16); i < n; i++, o += buf.readUInt32LE(o + 4)) {
    if (buf.readUInt32LE(o) === cmd) return o;
  }
  throw new Error(`no load command 0x${cmd.toString(16)}`);
}
