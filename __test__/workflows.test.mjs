// The GitHub Actions workflows: actionlint (with shellcheck on the run: scripts) finds nothing,
// the build matrix covers every napi target, and a release checks itself, then publishes the
// platform packages before the main package. Tools come from .venv (npm run setup:py).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const win = process.platform === "win32";
const venvTool = (name) => path.join(root, ".venv", win ? "Scripts" : "bin", win ? `${name}.exe` : name);
const workflowDir = path.join(root, ".github", "workflows");

function tool(name) {
  const file = venvTool(name);
  if (!fs.existsSync(file)) {
    assert.fail(`${name} not found at ${file}: run \`npm run setup:py\` (installs __test__/support/requirements.txt into .venv)`);
  }
  return file;
}

function workflowFiles() {
  return fs.readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f)).sort();
}

/** A workflow as GitHub reads it: BaseLoader keeps `on` a key and every scalar a string. */
function loadWorkflow(name) {
  const code = "import json, sys, yaml; print(json.dumps(yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.BaseLoader)))";
  const r = spawnSync(tool("python"), ["-c", code, path.join(workflowDir, name)], { encoding: "utf8" });
  assert.equal(r.status, 0, `reading ${name} with PyYAML failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

test("actionlint reports nothing in .github/workflows", () => {
  const files = workflowFiles();
  assert.ok(files.includes("ci.yml") && files.includes("release.yml"), `workflows: ${files.join(", ")}`);
  const actionlint = tool("actionlint");
  const args = ["-format", "{{json .}}", "-shellcheck", tool("shellcheck"), "-pyflakes=", ...files.map((f) => path.join(".github", "workflows", f))];
  const r = spawnSync(actionlint, args, { cwd: root, encoding: "utf8" });
  // 0: clean, 1: findings; anything else is actionlint failing to run.
  assert.ok(r.status === 0 || r.status === 1, `actionlint exited ${r.status ?? r.signal}:\n${r.stderr}${r.error ?? ""}`);
  const findings = r.stdout.trim() ? JSON.parse(r.stdout) : [];
  const report = findings.map((f) => `${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n${f.snippet}`).join("\n");
  assert.equal(findings.length, 0, `actionlint found ${findings.length} problem(s):\n${report}`);
  assert.equal(r.status, 0, r.stderr);
});

test("the build matrix covers every napi target and release publishes platform packages first", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const ci = loadWorkflow("ci.yml");
  const release = loadWorkflow("release.yml");

  assert.ok("workflow_call" in ci.on, "ci.yml must be callable from release.yml");
  const include = ci.jobs.build.strategy.matrix.include;
  const targets = include.map((e) => e.target);
  assert.deepEqual([...targets].sort(), [...pkg.napi.targets].sort(), "one build per napi target, no more");
  for (const e of include) {
    assert.ok(e.os, `${e.target} has a runner`);
    assert.ok(e.build.split(/\s+/).some((a) => a === e.target || a.startsWith(`${e.target}.`)), `${e.target} builds its own target: ${e.build}`);
    if (e.target.endsWith("-linux-gnu")) assert.match(e.build, /-linux-gnu\.2\.17 -x\b/, `${e.target} links against glibc 2.17`);
  }
  const upload = ci.jobs.build.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
  assert.equal(upload?.with?.name, "bindings-${{ matrix.target }}");

  assert.deepEqual(release.on.push.tags, ["v*"]);
  const [buildJob] = Object.entries(release.jobs).find(([, j]) => j.uses === "./.github/workflows/ci.yml") ?? [];
  assert.ok(buildJob, "release builds through ci.yml");
  const publish = release.jobs.publish;
  assert.ok([publish.needs].flat().includes(buildJob), "publish waits for the build");
  assert.equal(publish.permissions?.["id-token"], "write", "provenance needs the OIDC token");

  const steps = publish.steps;
  const at = (pred, what) => {
    const i = steps.findIndex(pred);
    assert.ok(i >= 0, `publish has a step that ${what}`);
    return i;
  };
  const run = (s) => s.run ?? "";
  const download = at((s) => s.uses?.startsWith("actions/download-artifact@") && s.with?.pattern === "bindings-*", "downloads bindings-*");
  const artifacts = at((s) => /\bnapi artifacts\b/.test(run(s)), "runs napi artifacts");
  const versions = at((s) => run(s).includes("scripts/versions.mjs --check") && run(s).includes("GITHUB_REF_NAME"), "checks tag and versions");
  const noBinary = at((s) => /npm pack --dry-run/.test(run(s)) && run(s).includes(".node"), "checks the main package for .node files");
  const publishes = steps.flatMap((s, i) => (/\bnpm publish\b/.test(run(s)) ? [i] : []));
  const platform = publishes.filter((i) => /npm\/\*/.test(run(steps[i])));
  const main = publishes.filter((i) => !platform.includes(i) && !steps[i]["working-directory"] && !/\bcd\b/.test(run(steps[i])));
  assert.ok(platform.length > 0 && main.length === 1, `one platform-package publish and one main publish, got steps ${publishes}`);
  assert.ok(Math.max(...platform) < main[0], "platform packages are published before the main package");
  assert.equal(main[0], publishes.at(-1), "the main package is published last");
  for (const [name, i] of Object.entries({ download, artifacts, versions, noBinary })) {
    assert.ok(i < Math.min(...publishes), `${name} comes before anything is published`);
  }
  assert.ok(download < artifacts, "napi artifacts runs on the downloaded binaries");
  for (const i of publishes) {
    assert.match(run(steps[i]), /--provenance --access public/);
    assert.equal(steps[i].env?.NODE_AUTH_TOKEN, "${{ secrets.NPM_TOKEN }}");
  }
});
