// Debian packages as test tools: `apt-get download` + `dpkg -x` into the gitignored cache, so
// nothing is installed on the system and no service starts (Prometheus, tinyproxy, openssl).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 10 * 60 * 1000, ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}` };
}

/**
 * Unpacks package `name` into `dir/root` once (`dir/.stamp` names the .deb); `check()` says
 * whether the unpacked tool works and is called before and after.
 */
export function ensureDeb(name, dir, check) {
  const stamp = path.join(dir, ".stamp");
  if (fs.existsSync(stamp) && check()) return "cached";
  fs.rmSync(dir, { recursive: true, force: true });
  const dl = path.join(dir, "dl");
  fs.mkdirSync(dl, { recursive: true });
  let got = run("apt-get", ["download", name], { cwd: dl });
  if (!got.ok && process.getuid?.() === 0) {
    // A fresh machine may have no package lists yet.
    run("apt-get", ["update"], { cwd: dl });
    got = run("apt-get", ["download", name], { cwd: dl });
  }
  const deb = fs.readdirSync(dl).find((f) => f.startsWith(`${name}_`) && f.endsWith(".deb"));
  if (!got.ok || !deb) throw new Error(`apt-get download ${name} failed: ${got.out.trim().split("\n").slice(-3).join(" | ")}`);
  const x = run("dpkg", ["-x", path.join(dl, deb), path.join(dir, "root")]);
  if (!x.ok) throw new Error(`dpkg -x ${deb} failed: ${x.out}`);
  fs.rmSync(dl, { recursive: true, force: true });
  if (!check()) throw new Error(`${name} from ${deb} does not run`);
  fs.writeFileSync(stamp, deb);
  return deb;
}
