#!/usr/bin/env node
// Packs what a release publishes, into a folder:
//   - the main package: no binary, the platform packages as optionalDependencies (the registry
//     path: npm picks the one platform package that fits);
//   - each npm/<platform> package that has a binary (this machine's build from the repo root);
//   - a bundle: the main package with this machine's .node beside index.js and no
//     optionalDependencies, for installs without a registry (a ClawHub-style tarball, or
//     unpacking into the extensions dir).
//   node scripts/pack.mjs [--out DIR] [--bundle-only | --main-only]
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

/**
 * A package.json as users get it: no scripts or devDependencies (npm resolves devDependencies
 * even with --omit=dev, and a private registry may not have our build tools).
 */
function publishedManifest(main) {
  const { devDependencies, scripts, ...manifest } = main;
  return manifest;
}

/** Copies `files` and a package.json into a temp dir, packs it into `out`; returns the tarball. */
function packStaged(out, manifest, files) {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "diagnostics-otel-pack-"));
  try {
    // cpSync: `files` also names folders (bin/).
    for (const f of files) if (fs.existsSync(path.join(ROOT, f))) fs.cpSync(path.join(ROOT, f), path.join(stage, f), { recursive: true });
    fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
    return npmPack(stage, out);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** The main package as published: fails if a binary would ride along. */
export function packMain(out) {
  const { main } = readRelease();
  const tarball = packStaged(out, publishedManifest(main), main.files);
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
  const { optionalDependencies, ...manifest } = publishedManifest(main);
  manifest.files = [...main.files, ...binaries];
  // The binary is inside: OpenClaw 2026.9 must not wait for a platform package.
  if (manifest.openclaw?.install) {
    const { requiredPlatformPackages, ...install } = manifest.openclaw.install;
    manifest.openclaw = { ...manifest.openclaw, install };
    if (Object.keys(install).length === 0) delete manifest.openclaw.install;
  }
  // Its own name: the main package's tarball would have the same one.
  const packed = packStaged(out, manifest, manifest.files);
  const tarball = packed.replace(/\.tgz$/, "-bundle.tgz");
  fs.renameSync(packed, tarball);
  const have = listing(tarball);
  for (const f of ["package/index.js", "package/openclaw.plugin.json", "package/bin/openclaw-diagnostics-otel.mjs", ...binaries.map((b) => `package/${b}`)]) {
    if (!have.includes(f)) throw new Error(`${tarball} lacks ${f}`);
  }
  return tarball;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--out");
  const out = path.resolve(i > 0 ? process.argv[i + 1] : path.join(ROOT, "dist"));
  fs.mkdirSync(out, { recursive: true });
  try {
    if (process.argv.includes("--main-only")) {
      console.log(`main: ${packMain(out)}`);
      process.exit(0);
    }
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
