// Every panel query of the generated dashboards, with Grafana's variables replaced by given
// values: what an e2e test evaluates against a real Prometheus, and what the unit test feeds to
// promtool. Works on the dashboard JSON (as written to dashboards/*.json), so it needs no Grafana.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARD_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The template variables every dashboard has, besides `datasource`. */
export const VARIABLES = ["job", "instance", "agent", "provider", "model", "channel"];

/** What "All" stands for, and Grafana's built-in intervals as a test would pick them. */
export const DEFAULT_VALUES = {
  job: ".*",
  instance: ".*",
  agent: ".*",
  provider: ".*",
  model: ".*",
  channel: ".*",
  __rate_interval: "1m",
  __interval: "15s",
  __range: "1h",
};

/** The generated dashboards on disk: [{ file, dashboard }], by file name. */
export function loadDashboards(dir = DASHBOARD_DIR) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) }));
}

/**
 * Replaces `$name`, `${name}` and `[[name]]` for every key of `values` (longest names first,
 * so `$__range` never eats `$__rate_interval`). Values are inserted as given: pass a regex
 * (`.*`, `gw-1|gw-2`) for the multi-value variables, which every query matches with `=~`.
 */
export function substitute(expr, values) {
  let out = expr;
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length)) {
    const v = String(values[name]);
    out = out.split(`\${${name}}`).join(v).split(`[[${name}]]`).join(v);
    out = out.replace(new RegExp(`\\$${name.replace(/[$]/g, "\\$&")}(?![A-Za-z0-9_])`, "g"), () => v);
  }
  return out;
}

/**
 * Every query of every panel (rows included, collapsed or not):
 * [{ dashboard: uid, title: dashboard title, panel: panel title, panelId, refId, instant, expr }].
 * `values` overrides DEFAULT_VALUES, e.g. { job: "openclaw", instance: "<service.instance.id>" }.
 */
export function panelQueries(dashboard, values = {}) {
  const vals = { ...DEFAULT_VALUES, ...values };
  const out = [];
  const visit = (panels) => {
    for (const p of panels ?? []) {
      if (p.type === "row") {
        visit(p.panels);
        continue;
      }
      for (const t of p.targets ?? []) {
        out.push({
          dashboard: dashboard.uid,
          title: dashboard.title,
          panel: p.title,
          panelId: p.id,
          refId: t.refId,
          instant: t.instant === true,
          expr: substitute(t.expr, vals),
        });
      }
    }
  };
  visit(dashboard.panels);
  return out;
}
