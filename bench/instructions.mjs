// Instructions per event, by event type: deterministic where timings are not (valgrind's
// callgrind counts instructions; the same binary and input give the same count whatever else
// the machine does). Each type's count is (I(N) - I(0)) / N for bench/instructions.rs, which
// records N copies of that type's event from the recorded 2026.9.6 turn through a running
// generation (metrics and traces on) and exports them once.
//
//   npm run bench:instructions [-- --n 500] [-- --types model.usage,session.state]
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixture = path.join(root, "__test__/fixtures/chat-tool-turn-2026.9.6.jsonl");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg("n", 500));
const recorded = fs.readFileSync(fixture, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).evt.type);
const types = arg("types", "") ? arg("types").split(",") : [...new Set(recorded)];

execFileSync("cargo", ["build", "--release", "--example", "instructions", "--no-default-features"], { cwd: root, stdio: "inherit" });
const binary = path.join(root, "target/release/examples/instructions");

function instructions(type, n) {
  const run = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", binary, fixture, type, String(n)], { encoding: "utf8" });
  const collected = /Collected : (\d+)/.exec(run.stderr);
  const summary = new RegExp(`${type.replace(/\./g, "\\.")}: (.*)`).exec(run.stderr);
  if (run.status !== 0 || !collected) throw new Error(`callgrind failed for ${type} (${n}):\n${run.stderr.slice(-2000)}`);
  return { count: Number(collected[1]), summary: summary?.[1] ?? "" };
}

const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
const rows = [];
for (const type of types) {
  const base = instructions(type, 0);
  const full = instructions(type, N);
  rows.push({ type, perEvent: (full.count - base.count) / N, summary: full.summary });
  console.error(`# ${type}: ${Math.round((full.count - base.count) / N)} instructions/event (${full.summary})`);
}
rows.sort((a, b) => b.perEvent - a.perEvent);
const fmt = (x) => Math.round(x).toLocaleString("en-US");
console.log(`Instructions per event (callgrind, N=${N}, commit ${commit}; metrics and traces on, one export at stop)\n`);
console.log("| event type | instructions / event | what the run recorded |");
console.log("| --- | --- | --- |");
for (const r of rows) console.log(`| \`${r.type}\` | ${fmt(r.perEvent)} | ${r.summary} |`);
