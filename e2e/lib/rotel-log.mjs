// Reads rotel's `--debug-log metrics --debug-log-verbosity detailed` text: the latest value of
// every (metric, attributes) number point it printed. Cumulative sums: the latest is the total.
export function parseRotelMetrics(text) {
  const latest = new Map();
  const names = new Set();
  let metric;
  let point;
  let inAttrs = false;
  const flush = () => {
    if (metric && point && point.value !== undefined) {
      const key = `${metric}|${JSON.stringify(Object.entries(point.attrs).sort())}`;
      latest.set(key, { name: metric, attrs: point.attrs, value: point.value });
    }
    point = undefined;
  };
  for (const line of text.split("\n")) {
    let m;
    if ((m = /^\s*-> Name: (\S+)/.exec(line))) {
      flush();
      metric = m[1];
      names.add(metric);
      inAttrs = false;
    } else if (/^(NumberDataPoints|HistogramDataPoints) #/.test(line)) {
      flush();
      point = { attrs: {} };
      inAttrs = false;
    } else if (/^Data point attributes:/.test(line)) {
      inAttrs = true;
    } else if (inAttrs && point && (m = /^\s*-> ([^:]+): \w+\((.*)\)$/.exec(line))) {
      point.attrs[m[1]] = m[2];
    } else if (point && (m = /^Value: (\S+)/.exec(line))) {
      inAttrs = false;
      point.value = Number(m[1]);
    } else if (/^(Metric #|ResourceMetrics #|ScopeMetrics #)/.test(line)) {
      flush();
      inAttrs = false;
    } else if (!/^\s*->/.test(line)) {
      inAttrs = false;
    }
  }
  flush();
  return { names, points: [...latest.values()] };
}
