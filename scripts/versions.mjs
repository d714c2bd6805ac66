#!/usr/bin/env node
// Keeps every version of the release in lockstep with package.json's: the per-platform packages
// in npm/, the main package's optionalDependencies (exactly one per napi target, at exactly its
// own version, and named in openclaw.install.requiredPlatformPackages), and the crate. `--check` only reports drift (exit 1); `--set X` moves everything
// to X first.
//   node scripts/versions.mjs [--check | --set 1.2.3]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readJson = (f) => JSON.parse(fs.readFileSync(f, "utf8"));
const writeJson = (f, v) => fs.writeFileSync(f, JSON.stringify(v, null, 2) + "\n");

// napi-rs names: rust target triple -> npm platform suffix.
const ARCH = { x86_64: "x64", aarch64: "arm64", i686: "ia32", armv7: "arm" };
const OS = { apple: "darwin", linux: "linux", windows: "win32" };

/** The npm platform tag napi-rs gives a rust target ("aarch64-unknown-linux-musl" -> "linux-arm64-musl"). */
export function platformOf(triple) {
  const [arch, , sys, abi] = triple.split("-");
  const os = OS[sys === "darwin" ? "apple" : sys] ?? OS[triple.split("-")[1]];
  const tag = `${os}-${ARCH[arch] ?? arch}`;
  if (os === "darwin") return tag;
  return `${tag}-${abi}`;
}

/** Everything the release consists of, read from disk. */
export function readRelease(root = ROOT) {
  const main = readJson(path.join(root, "package.json"));
  const platforms = main.napi.targets.map(platformOf);
  const packages = platforms.map((p) => ({ platform: p, file: path.join(root, "npm", p, "package.json") }));
  for (const p of packages) p.json = fs.existsSync(p.file) ? readJson(p.file) : undefined;
  const cargo = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8");
  const crateVersion = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(cargo)?.[1];
  return { main, platforms, packages, crateVersion };
}

/** Every way the release drifted from package.json's version, as sentences. */
export function drift(root = ROOT) {
  const { main, packages, crateVersion } = readRelease(root);
  const v = main.version;
  const out = [];
  if (crateVersion !== v) out.push(`Cargo.toml version ${crateVersion} != package.json ${v}`);
  const wanted = Object.fromEntries(packages.map((p) => [`${main.name}-${p.platform}`, v]));
  const have = main.optionalDependencies ?? {};
  for (const [name, want] of Object.entries(wanted)) {
    if (have[name] !== want) out.push(`optionalDependencies.${name} is ${have[name] ?? "missing"}, want exactly ${want}`);
  }
  for (const name of Object.keys(have)) if (!(name in wanted)) out.push(`optionalDependencies.${name} names no napi target`);
  // OpenClaw 2026.9 retries (then rolls back) an install that lost a platform package to npm.
  const required = main.openclaw?.install?.requiredPlatformPackages ?? [];
  if (JSON.stringify([...required].sort()) !== JSON.stringify(Object.keys(wanted).sort())) {
    out.push("openclaw.install.requiredPlatformPackages must list exactly the platform packages");
  }
  for (const p of packages) {
    if (!p.json) out.push(`npm/${p.platform}/package.json is missing (npx napi create-npm-dirs)`);
    else if (p.json.version !== v) out.push(`npm/${p.platform} version ${p.json.version} != ${v}`);
  }
  return out;
}

export function setVersion(v, root = ROOT) {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)) throw new Error(`not a semver version: ${v}`);
  const { main, packages } = readRelease(root);
  main.version = v;
  main.optionalDependencies = Object.fromEntries(packages.map((p) => [`${main.name}-${p.platform}`, v]));
  main.openclaw = { ...main.openclaw, install: { ...main.openclaw?.install, requiredPlatformPackages: Object.keys(main.optionalDependencies) } };
  writeJson(path.join(root, "package.json"), main);
  for (const p of packages) {
    if (!p.json) continue;
    p.json.version = v;
    writeJson(p.file, p.json);
  }
  const cargoFile = path.join(root, "Cargo.toml");
  const cargo = fs.readFileSync(cargoFile, "utf8");
  fs.writeFileSync(cargoFile, cargo.replace(/^(\[package\][^[]*?^version\s*=\s*)"[^"]+"/m, `$1"${v}"`));
  // Cargo.lock records the crate's own version too; cargo rewrites it at the next build.
  const lockFile = path.join(root, "Cargo.lock");
  if (fs.existsSync(lockFile)) {
    const lock = fs.readFileSync(lockFile, "utf8");
    fs.writeFileSync(lockFile, lock.replace(new RegExp(`(name = "${main.name}"\\nversion = )"[^"]+"`), `$1"${v}"`));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--set");
  if (i > 0) setVersion(process.argv[i + 1] ?? "");
  const problems = drift();
  for (const p of problems) console.error(`version drift: ${p}`);
  if (problems.length === 0) console.log(`versions in lockstep at ${readRelease().main.version}`);
  process.exit(problems.length ? 1 : 0);
}
