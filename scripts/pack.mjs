#!/usr/bin/env node
// Packs what a release publishes, into a folder:
//   - the main package: no binary, the platform packages as optionalDependencies (the registry
//     path: npm picks the one platform package that fits);
//   - each npm/<platform> package that has a binary (this machine's build from the repo root);
//   - a bundle: the main package with this machine's .node beside index.js and no
//     optionalDependencies, for installs without a registry (a ClawHub-style tarball, or
//     unpacking into the extensions dir).
//   node scripts/pack.mjs [--out DIR] [--bundle-only]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, readRelease } from "./versions.mjs";

const BINARY = (platform) => `diagnostics-otel.${platform}.node`;

function npmPack(dir, out) {
  const name = execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], { cwd: dir, encoding: "utf8", timeout: 120000 });
  return path.join(out, name.trim().split("\n").at(-1));
}

function listing(tarball) {
  return execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
}

/** The main package as published: fails if a binary would ride along. */
export function packMain(out) {
  const tarball = npmPack(ROOT, out);
  const stray = listing(tarball).filter((f) => f.endsWith(".node"));
  if (stray.length) throw new Error(`main package would carry ${stray.join(", ")}`);
  return tarball;
}

/**
 * Each platform package that has a binary: this machine's fresh build from the repo root, else
 * one already in npm/<platform>/ (a cross build). Staged in a temp dir, so npm/ is never touched.
 */
export function packPlatforms(out) {
  const { platforms } = readRelease();
  const packed = {};
  for (const platform of platforms) {
    const dir = path.join(ROOT, "npm", platform);
    const binary = [path.join(ROOT, BINARY(platform)), path.join(dir, BINARY(platform))].find((f) => fs.existsSync(f));
    if (!binary) continue;
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), `diagnostics-otel-${platform}-`));
    try {
      for (const f of fs.readdirSync(dir).filter((f) => !f.endsWith(".node"))) fs.copyFileSync(path.join(dir, f), path.join(stage, f));
      fs.copyFileSync(binary, path.join(stage, BINARY(platform)));
      packed[platform] = npmPack(stage, out);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }
  return packed;
}

/** The self-contained tarball: main package + every .node built here, no optional deps. */
export function packBundle(out) {
  const { main } = readRelease();
  const binaries = fs.readdirSync(ROOT).filter((f) => /^diagnostics-otel\..+\.node$/.test(f));
  if (binaries.length === 0) throw new Error(`no diagnostics-otel.*.node in ${ROOT}: run \`npm run build\` first`);
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "diagnostics-otel-bundle-"));
  try {
    for (const f of [...main.files.filter((f) => !f.includes("*")), ...binaries]) {
      if (fs.existsSync(path.join(ROOT, f))) fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
    }
    const { optionalDependencies, devDependencies, scripts, ...manifest } = main;
    manifest.files = [...main.files, ...binaries];
    fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
    // Its own name: the main package's tarball would have the same one.
    const tarball = npmPack(stage, out).replace(/\.tgz$/, "-bundle.tgz");
    fs.renameSync(tarball.replace(/-bundle\.tgz$/, ".tgz"), tarball);
    const want = ["package/index.js", "package/openclaw.plugin.json", ...binaries.map((b) => `package/${b}`)];
    const have = listing(tarball);
    for (const f of want) if (!have.includes(f)) throw new Error(`${tarball} lacks ${f}`);
    return tarball;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--out");
  const out = path.resolve(i > 0 ? process.argv[i + 1] : path.join(ROOT, "dist"));
  fs.mkdirSync(out, { recursive: true });
  try {
    console.log(`bundle: ${packBundle(out)}`);
    if (!process.argv.includes("--bundle-only")) {
      console.log(`main: ${packMain(out)}`);
      for (const [p, t] of Object.entries(packPlatforms(out))) console.log(`${p}: ${t}`);
    }
  } catch (err) {
    console.error(`pack: ${err.message}`);
    process.exit(1);
  }
}
