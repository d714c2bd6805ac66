// The official docs shipped in openclaw@2026.9.6 are the contract dashboards are written
// against: every metric and span they name must be in our generated catalogs (docs/metrics.md,
// docs/spans.md, which catalog tests keep equal to the code), or have a row in
// docs/differences.md saying why not.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";
import { setup } from "./setup.mjs";
import { openclawDir, ROOT } from "./lib/versions.mjs";

const OFFICIAL_DOCS = path.join(openclawDir("2026.9.6"), "node_modules/openclaw/docs/gateway/opentelemetry");
const NAME = /`((?:openclaw|gen_ai)\.[a-z0-9_.]+)`/g;

/** Lines of a Markdown file's `## heading` section. */
function section(file, heading) {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  assert.ok(start >= 0, `${file} has no "## ${heading}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Backticked names at the start of top-level list items and table rows (not their attributes). */
function leadingNames(lines) {
  const out = new Set();
  for (const l of lines) {
    const head = l.match(/^(?:- |\| )(.*)$/)?.[1];
    if (!head) continue;
    // "- `a`, `b`, `c`" names several; anything after the first non-name text is attributes.
    const lead = head.match(/^(?:`[^`]+`(?:,\s*|\s*$))+/)?.[0] ?? head.match(/^`[^`]+`/)?.[0] ?? "";
    for (const m of lead.matchAll(NAME)) out.add(m[1]);
  }
  return out;
}

const ourNames = (file) => leadingNames(fs.readFileSync(path.join(ROOT, "docs", file), "utf8").split("\n"));
const differenceRows = () => fs.readFileSync(path.join(ROOT, "docs/differences.md"), "utf8").split("\n").filter((l) => l.startsWith("|"));

before(() => setup({ log: (m) => console.log(m) }));

/** Names the official docs list in a section that neither our catalog nor a differences row has. */
function unexplained(officialFile, heading, ourFile, atLeast) {
  const official = leadingNames(section(path.join(OFFICIAL_DOCS, officialFile), heading));
  assert.ok(official.size >= atLeast, `only ${official.size} names parsed: ${[...official]}`);
  const ours = ourNames(ourFile);
  const rows = differenceRows();
  return [...official].filter((n) => !ours.has(n) && !rows.some((r) => r.includes(`\`${n}\``)));
}

test("every metric named in the official docs is exported or has a differences row", () => {
  assert.deepEqual(unexplained("model-calls-and-metrics.md", "Exported metrics", "metrics.md", 60), []);
});

test("every span named in the official docs is exported or has a differences row", () => {
  assert.deepEqual(unexplained("spans-and-events.md", "Exported spans", "spans.md", 15), []);
});

test("the check notices a name that is neither exported nor explained", () => {
  const ours = ourNames("spans.md");
  assert.ok(ours.has("openclaw.run") && !ours.has("openclaw.not.a.span"));
  assert.ok(!differenceRows().some((r) => r.includes("`openclaw.not.a.span`")));
});
