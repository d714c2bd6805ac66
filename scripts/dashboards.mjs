#!/usr/bin/env node
// The Grafana dashboards in dashboards/*.json, described once here and rendered into Grafana's
// dashboard JSON model (10+, schemaVersion 39). One dashboard serves a Prometheus fed by the OTLP
// receiver (job = service.name, instance = service.instance.id) and one scraping the plugin's
// exposition with honor_labels: true (the same names, job and instance on every series).
//
// Metric names and labels come from docs/prometheus.md (generated from the catalog): `sel()`
// refuses a metric or a label that is not there, and adds a variable's matcher
// (openclaw_agent=~"$agent", ...) exactly where the metric carries that label.
//   node scripts/dashboards.mjs            writes dashboards/*.json
//   node scripts/dashboards.mjs --check    exits 1 when the files on disk differ
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const OUT_DIR = path.join(ROOT, "dashboards");
export const GENERATOR = "scripts/dashboards.mjs";
export { panelQueries, loadDashboards, substitute, VARIABLES, DEFAULT_VALUES } from "../dashboards/queries.mjs";

// ---------------------------------------------------------------------------------------------
// Names and labels, from docs/prometheus.md's table.

/** Series name -> Set of labels (job and instance included), from the doc's table. */
export function readPrometheusTable(file = path.join(ROOT, "docs/prometheus.md")) {
  const series = new Map();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    // | OTLP name | unit | Prometheus series | labels |
    if (cells.length < 6 || !cells[1].startsWith("`")) continue;
    const names = [...cells[3].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const labels = new Set([...cells[4].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    for (const n of names) series.set(n, labels);
  }
  if (series.size === 0) throw new Error(`${file}: no metric table found`);
  return series;
}

/**
 * Series Prometheus makes itself: `target_info` (the resource; from the OTLP receiver or our
 * exposition) and the scrape's own series, whose job and instance are the scrape target's.
 */
export const SYNTHETIC = {
  target_info: new Set(["job", "instance"]),
  up: new Set(["job", "instance"]),
  scrape_samples_scraped: new Set(["job", "instance"]),
  scrape_duration_seconds: new Set(["job", "instance"]),
};

const TABLE = readPrometheusTable();
const labelsOf = (metric) => TABLE.get(metric) ?? SYNTHETIC[metric];

/** Template variable -> the label it filters, per metric family (GenAI semconv names its own). */
function variableLabel(variable, metric) {
  const genAi = metric.startsWith("gen_ai_");
  return {
    agent: genAi ? null : "openclaw_agent",
    provider: genAi ? "gen_ai_provider_name" : "openclaw_provider",
    model: genAi ? "gen_ai_request_model" : "openclaw_model",
    channel: genAi ? null : "openclaw_channel",
  }[variable];
}

/**
 * A vector selector: `metric{job=~"$job", instance=~"$instance", <variables the metric has>,
 * <extra>}`. `extra` is matcher text (`openclaw_token="total"`, may be several, comma-separated);
 * `except` lists variables not to apply, where a panel's series never carry that label even
 * though other series of the metric do (each use says why).
 */
export function sel(metric, extra = "", { except = [] } = {}) {
  const labels = labelsOf(metric);
  if (!labels) throw new Error(`${metric} is not in docs/prometheus.md`);
  const m = ['job=~"$job"', 'instance=~"$instance"'];
  for (const v of ["agent", "provider", "model", "channel"]) {
    const label = variableLabel(v, metric);
    if (label && labels.has(label) && !except.includes(v)) m.push(`${label}=~"$${v}"`);
  }
  for (const part of extra ? extra.split(/,\s*(?=[a-zA-Z_])/) : []) {
    const label = part.match(/^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/)?.[1];
    if (!label || !labels.has(label)) throw new Error(`${metric} has no label ${label ?? part}`);
    m.push(part.trim());
  }
  return `${metric}{${m.join(", ")}}`;
}

/** The scrape target's own series: its job is the scrape job's name, its instance host:port. */
function scrapeSel(metric) {
  return `${metric}{job=~"$job"}`;
}

const RI = "$__rate_interval";
const rate = (s) => `rate(${s}[${RI}])`;
/**
 * What a counter grew by within `w`. increase() alone misses a series born inside the window
 * (its first sample is already the first event's value, say a turn's 2,820 tokens), and a
 * gateway's series are born at its first event and again at each restart (a new instance). A
 * series that did not exist `w` ago counts with its whole value, as the alerts do.
 */
const grown = (s, w) => `((${s} unless ${s} offset ${w}) or increase(${s}[${w}]))`;
const incRange = (s) => grown(s, "$__range");
/** histogram_quantile over a histogram's _bucket series, grouped by `by` (le added). */
const quantile = (q, bucketSel, by = []) => `histogram_quantile(${q}, sum by (${["le", ...by].join(", ")}) (${rate(bucketSel)}))`;
/** The mean of a histogram's observations in the interval: rate(_sum) / rate(_count). */
const mean = (base, extra, by, opts) =>
  `sum by (${by.join(", ")}) (${rate(sel(`${base}_sum`, extra, opts))}) / sum by (${by.join(", ")}) (${rate(sel(`${base}_count`, extra, opts))})`;

// ---------------------------------------------------------------------------------------------
// Panels. A panel is { title, type, unit, description?, w, h, targets: [{ expr, legend }], ... };
// `row(title)` starts a new row. Layout flows left to right, 24 columns wide.

const q = (expr, legend = "", extra = {}) => ({ expr, legend, ...extra });
const ts = (title, unit, targets, opts = {}) => ({ type: "timeseries", title, unit, targets, w: 12, h: 8, ...opts });
const stat = (title, unit, targets, opts = {}) => ({ type: "stat", title, unit, targets, w: 4, h: 4, instant: true, ...opts });
const bars = (title, unit, targets, opts = {}) => ({ type: "bargauge", title, unit, targets, w: 12, h: 8, instant: true, ...opts });
const row = (title) => ({ type: "row", title });

const PM = "{{openclaw_provider}}/{{openclaw_model}}";

// --- 1. Overview -----------------------------------------------------------------------------
const TOKENS = "openclaw_tokens_total";
const COST = "openclaw_cost_usd_total";
const RUN = "openclaw_run_duration_ms_milliseconds";
const CALL = "openclaw_model_call_duration_ms_milliseconds";
const TTFB = "openclaw_model_call_time_to_first_byte_ms_milliseconds";
const FAILOVER = "openclaw_model_failover_total";
// run.completed (OpenClaw 2026.9+) feeds the run histogram with openclaw_outcome and without
// openclaw_agent; model.usage feeds it with openclaw_agent and without an outcome.
const RUN_COMPLETED = { except: ["agent"] };

const gatewaysReporting = stat(
  "Gateways reporting",
  "short",
  [q(`count(count by (job, instance) (${sel("target_info")})) or vector(0)`)],
  {
    instant: true,
    description:
      "Distinct job/instance pairs with a current target_info series: the resource, written on every OTLP push and every scrape, so an idle gateway counts too.",
  },
);

const overview = {
  uid: "openclaw-overview",
  title: "OpenClaw / Overview",
  tags: ["openclaw", "diagnostics-otel"],
  description: "Tokens, cost, runs, model calls, errors and failovers.",
  panels: [
    row("Over the time range"),
    stat("Tokens", "short", [q(`sum(${incRange(sel(TOKENS, 'openclaw_token="total"'))}) or vector(0)`)], {
      description: "All tokens reported (openclaw_token=\"total\") over the dashboard's time range.",
    }),
    stat("Cost", "currencyUSD", [q(`sum(${incRange(sel(COST))}) or vector(0)`)], {
      description: "Estimated model cost in USD over the dashboard's time range.",
      decimals: 2,
    }),
    stat("Model calls", "short", [q(`sum(${incRange(sel(`${CALL}_count`))}) or vector(0)`)]),
    stat(
      "Model-call error ratio",
      "percentunit",
      [q(`(sum(${incRange(sel(`${CALL}_count`, 'openclaw_errorCategory!=""'))}) or vector(0)) / sum(${incRange(sel(`${CALL}_count`))})`)],
      { description: "Model calls that ended in model.call.error (they carry openclaw_errorCategory) over all model calls." },
    ),
    stat("Failovers", "short", [q(`sum(${incRange(sel(FAILOVER))}) or vector(0)`)]),
    gatewaysReporting,

    row("Tokens and cost"),
    ts("Tokens/s by type", "short", [q(`sum by (openclaw_token) (${rate(sel(TOKENS, 'openclaw_token=~"input|output|cache_read|cache_write"'))})`, "{{openclaw_token}}")], {
      stack: true,
      description: "Input, output, cache read and cache write tokens per second, stacked (the total and prompt types overlap these and are left out).",
    }),
    ts("Tokens/s by model", "short", [q(`sum by (openclaw_provider, openclaw_model) (${rate(sel(TOKENS, 'openclaw_token="total"'))})`, PM)], { stack: true }),
    ts("Cost per hour by model", "currencyUSD", [q(`sum by (openclaw_provider, openclaw_model) (${rate(sel(COST))}) * 3600`, PM)], { w: 8, stack: true }),
    ts("Cost per hour by provider", "currencyUSD", [q(`sum by (openclaw_provider) (${rate(sel(COST))}) * 3600`, "{{openclaw_provider}}")], { w: 8, stack: true }),
    ts("Cost per hour by agent", "currencyUSD", [q(`sum by (openclaw_agent) (${rate(sel(COST))}) * 3600`, "{{openclaw_agent}}")], { w: 8, stack: true }),
    ts("Cost per day by model", "currencyUSD", [q(`sum by (openclaw_provider, openclaw_model) (${grown(sel(COST), "1d")})`, PM)], {
      stack: true,
      bars: true,
      interval: "1d",
      description: "Each bar: the cost over the day before it (one point a day). Pick a range of a week or more.",
    }),
    bars("Cost over the range by agent and model", "currencyUSD", [q(`sum by (openclaw_agent, openclaw_provider, openclaw_model) (${incRange(sel(COST))})`, `{{openclaw_agent}} · ${PM}`)]),

    row("Runs"),
    ts("Runs/s by outcome", "ops", [q(`sum by (openclaw_outcome) (${rate(sel(`${RUN}_count`, 'openclaw_outcome!=""', RUN_COMPLETED))})`, "{{openclaw_outcome}}")], {
      w: 8,
      stack: true,
      description: "Completed runs by outcome (completed, aborted, blocked, error), from run.completed (OpenClaw 2026.9+). Not filtered by $agent: run.completed carries no agent.",
    }),
    ts(
      "Run duration",
      "ms",
      [q(quantile(0.5, sel(`${RUN}_bucket`)), "p50"), q(quantile(0.95, sel(`${RUN}_bucket`)), "p95")],
      { w: 8, description: "Agent run duration quantiles (buckets up to one hour)." },
    ),
    ts("Run attempts/s", "ops", [q(`sum by (openclaw_attempt) (${rate(sel("openclaw_run_attempt_total"))})`, "attempt {{openclaw_attempt}}")], {
      w: 8,
      stack: true,
      description: "Run attempts by attempt number: attempts past 1 are retries.",
    }),

    row("Model calls"),
    ts(
      "Model-call latency",
      "ms",
      [
        q(quantile(0.5, sel(`${CALL}_bucket`), ["openclaw_provider", "openclaw_model"]), `p50 ${PM}`),
        q(quantile(0.95, sel(`${CALL}_bucket`), ["openclaw_provider", "openclaw_model"]), `p95 ${PM}`),
      ],
      { description: "openclaw.model_call.duration_ms quantiles. Its buckets end at 10 s: a quantile above that shows as 10 s (the panel beside it uses the GenAI histogram, buckets to 82 s)." },
    ),
    ts(
      "Model-call duration (GenAI semconv)",
      "s",
      [
        q(quantile(0.5, sel("gen_ai_client_operation_duration_seconds_bucket"), ["gen_ai_provider_name", "gen_ai_request_model"]), "p50 {{gen_ai_provider_name}}/{{gen_ai_request_model}}"),
        q(quantile(0.95, sel("gen_ai_client_operation_duration_seconds_bucket"), ["gen_ai_provider_name", "gen_ai_request_model"]), "p95 {{gen_ai_provider_name}}/{{gen_ai_request_model}}"),
      ],
      { description: "gen_ai.client.operation.duration quantiles (buckets 0.01 s to 81.92 s)." },
    ),
    ts(
      "Time to first byte",
      "ms",
      [
        q(quantile(0.5, sel(`${TTFB}_bucket`), ["openclaw_provider", "openclaw_model"]), `p50 ${PM}`),
        q(quantile(0.95, sel(`${TTFB}_bucket`), ["openclaw_provider", "openclaw_model"]), `p95 ${PM}`),
      ],
      { description: "Time before the first streamed response event (buckets end at 10 s)." },
    ),
    ts("Model calls/s by model", "ops", [q(`sum by (openclaw_provider, openclaw_model) (${rate(sel(`${CALL}_count`))})`, PM)], { stack: true }),

    row("Errors and failovers"),
    ts(
      "Errors/s",
      "ops",
      [
        q(`sum by (openclaw_errorCategory) (${rate(sel(`${CALL}_count`, 'openclaw_errorCategory!=""'))})`, "model call: {{openclaw_errorCategory}}"),
        q(`sum by (openclaw_provider, openclaw_model) (${rate(sel(`${RUN}_count`, 'openclaw_outcome="error"', RUN_COMPLETED))})`, `run error: ${PM}`),
      ],
      { w: 8, stack: true, description: "Model-call errors by error category, and runs that completed with outcome error (run.completed carries no agent)." },
    ),
    ts(
      "Model-call error ratio",
      "percentunit",
      [
        q(
          `sum by (openclaw_provider, openclaw_model) (${rate(sel(`${CALL}_count`, 'openclaw_errorCategory!=""'))}) / sum by (openclaw_provider, openclaw_model) (${rate(sel(`${CALL}_count`))})`,
          PM,
        ),
      ],
      { w: 8, max: 1 },
    ),
    ts(
      "Failovers/s",
      "ops",
      [
        q(
          `sum by (openclaw_provider, openclaw_model, openclaw_failover_to_provider, openclaw_failover_to_model, openclaw_failover_reason) (${rate(sel(FAILOVER))})`,
          `${PM} → {{openclaw_failover_to_provider}}/{{openclaw_failover_to_model}} ({{openclaw_failover_reason}})`,
        ),
      ],
      { w: 8, stack: true },
    ),
  ],
};

// --- 2. Sessions and queues ------------------------------------------------------------------
const DEPTH = "openclaw_queue_depth";
const WAIT = "openclaw_queue_wait_ms_milliseconds";
// The depth histogram's lane series (queue.lane.*) carry no channel; message.queued's carry
// channel and source; heartbeats' carry openclaw_channel="heartbeat".
const LANE_DEPTH = { except: ["channel"] };

const sessions = {
  uid: "openclaw-sessions",
  title: "OpenClaw / Sessions and queues",
  tags: ["openclaw", "diagnostics-otel"],
  description: "Session states, stuck sessions and recovery, command-queue lanes, messages.",
  panels: [
    row("Over the time range"),
    stat("Turns created", "short", [q(`sum(${incRange(sel("openclaw_session_turn_created_total"))}) or vector(0)`)], { w: 6 }),
    stat("Stuck-session reports", "short", [q(`sum(${incRange(sel("openclaw_session_stuck_total"))}) or vector(0)`)], {
      w: 6,
      thresholds: [{ color: "green", value: null }, { color: "red", value: 1 }],
    }),
    stat("Messages processed", "short", [q(`sum(${incRange(sel("openclaw_message_processed_total"))}) or vector(0)`)], { w: 6 }),
    stat("Messages with errors", "short", [q(`sum(${incRange(sel("openclaw_message_processed_total", 'openclaw_outcome="error"'))}) or vector(0)`)], {
      w: 6,
      thresholds: [{ color: "green", value: null }, { color: "red", value: 1 }],
    }),

    row("Sessions"),
    ts("Session state transitions/s", "ops", [q(`sum by (openclaw_state) (${rate(sel("openclaw_session_state_total"))})`, "{{openclaw_state}}")], {
      stack: true,
      description: "Transitions into each state (idle, processing, waiting, ...): the metric counts transitions, not sessions in a state.",
    }),
    bars("Session state transitions over the range", "short", [
      q(`sum by (openclaw_state, openclaw_reason) (${incRange(sel("openclaw_session_state_total"))})`, "{{openclaw_state}} {{openclaw_reason}}"),
    ]),
    ts("Stuck sessions/s", "ops", [q(`sum by (openclaw_state) (${rate(sel("openclaw_session_stuck_total"))})`, "{{openclaw_state}}")], {
      w: 8,
      stack: true,
      description: "session.stuck reports by the state the session was stuck in.",
    }),
    ts(
      "Stuck-session age",
      "ms",
      [
        q(quantile(0.5, sel("openclaw_session_stuck_age_ms_milliseconds_bucket"), ["openclaw_state"]), "p50 {{openclaw_state}}"),
        q(quantile(0.95, sel("openclaw_session_stuck_age_ms_milliseconds_bucket"), ["openclaw_state"]), "p95 {{openclaw_state}}"),
      ],
      { w: 8 },
    ),
    ts(
      "Session recovery/s",
      "ops",
      [
        q(`sum by (openclaw_action) (${rate(sel("openclaw_session_recovery_requested_total"))})`, "requested {{openclaw_action}}"),
        q(`sum by (openclaw_action, openclaw_status) (${rate(sel("openclaw_session_recovery_completed_total"))})`, "completed {{openclaw_action}} {{openclaw_status}}"),
      ],
      { w: 8 },
    ),
    ts(
      "Turns created/s",
      "ops",
      [q(`sum by (openclaw_agent, openclaw_channel, openclaw_trigger) (${rate(sel("openclaw_session_turn_created_total"))})`, "{{openclaw_agent}} {{openclaw_channel}} {{openclaw_trigger}}")],
      { w: 24, stack: true },
    ),

    row("Queues and lanes"),
    ts(
      "Lane enqueue and dequeue/s",
      "ops",
      [
        q(`sum by (openclaw_lane) (${rate(sel("openclaw_queue_lane_enqueue_total"))})`, "{{openclaw_lane}} enqueue"),
        q(`sum by (openclaw_lane) (${rate(sel("openclaw_queue_lane_dequeue_total"))})`, "{{openclaw_lane}} dequeue"),
      ],
      { description: "Command-queue lanes by kind (session, main, cron, ...)." },
    ),
    ts(
      "Queue wait by lane",
      "ms",
      [
        q(quantile(0.5, sel(`${WAIT}_bucket`), ["openclaw_lane"]), "p50 {{openclaw_lane}}"),
        q(quantile(0.95, sel(`${WAIT}_bucket`), ["openclaw_lane"]), "p95 {{openclaw_lane}}"),
      ],
      { description: "Time a command waited in its lane before it ran (buckets end at 10 s)." },
    ),
    ts(
      "Lane depth",
      "short",
      [
        q(mean(DEPTH, 'openclaw_lane!=""', ["openclaw_lane"], LANE_DEPTH), "mean {{openclaw_lane}}"),
        q(quantile(0.95, sel(`${DEPTH}_bucket`, 'openclaw_lane!=""', LANE_DEPTH), ["openclaw_lane"]), "p95 {{openclaw_lane}}"),
      ],
      { w: 8, description: "Lane size seen at each enqueue and dequeue. The lowest buckets are 0, 5, 10: the p95 of a small depth is interpolated, the mean is exact." },
    ),
    ts("Queued at heartbeat", "short", [q(mean(DEPTH, 'openclaw_channel="heartbeat"', ["job", "instance"], LANE_DEPTH), "{{instance}}")], {
      w: 8,
      description: "Work queued across the gateway, as each diagnostic heartbeat reports it (mean of the heartbeats in the interval).",
    }),
    ts(
      "Message queue depth",
      "short",
      [q(mean(DEPTH, 'openclaw_lane="", openclaw_channel!~"heartbeat|liveness"', ["openclaw_channel"]), "{{openclaw_channel}}")],
      { w: 8, description: "Queue depth when a message is queued (message.queued), mean per channel." },
    ),

    row("Messages"),
    ts("Messages queued/s", "ops", [q(`sum by (openclaw_channel, openclaw_source) (${rate(sel("openclaw_message_queued_total"))})`, "{{openclaw_channel}} {{openclaw_source}}")], {
      w: 8,
      stack: true,
    }),
    ts("Messages processed/s", "ops", [q(`sum by (openclaw_channel, openclaw_outcome) (${rate(sel("openclaw_message_processed_total"))})`, "{{openclaw_channel}} {{openclaw_outcome}}")], {
      w: 8,
      stack: true,
    }),
    ts(
      "Message processing duration",
      "ms",
      [
        q(quantile(0.5, sel("openclaw_message_duration_ms_milliseconds_bucket"), ["openclaw_channel"]), "p50 {{openclaw_channel}}"),
        q(quantile(0.95, sel("openclaw_message_duration_ms_milliseconds_bucket"), ["openclaw_channel"]), "p95 {{openclaw_channel}}"),
      ],
      { w: 8, description: "From receipt to the end of processing, the model run included (buckets up to one hour)." },
    ),
  ],
};

// --- 3. Gateway health -----------------------------------------------------------------------
const EL = "openclaw_gateway_event_loop_delay_max_ms_milliseconds";
const GC = "openclaw_gc_duration_ms_milliseconds";
const GI = ["job", "instance"];
// Memory: each diagnostic.memory.sample is one observation of each histogram; its buckets stop at
// 10,000 (bytes), so every sample lands in +Inf and quantiles say nothing. The mean of the
// samples in the interval (rate(_sum) / rate(_count)) is the value. Pressure events observe the
// same histograms with openclaw_memory_level set; samples have no level.
const MEMORY = [
  ["rss", "openclaw_memory_rss_bytes"],
  ["heap used", "openclaw_memory_heap_used_bytes"],
  ["heap total", "openclaw_memory_heap_total_bytes"],
  ["external", "openclaw_memory_external_bytes"],
  ["array buffers", "openclaw_memory_array_buffers_bytes"],
];
const rpcLatency = (title, base, what) =>
  ts(title, "ms", [q(quantile(0.95, sel(`${base}_bucket`), ["openclaw_gateway_rpc_method"]), "{{openclaw_gateway_rpc_method}}")], {
    w: 6,
    description: `p95 by RPC method: ${what}`,
  });

const gateway = {
  uid: "openclaw-gateway",
  title: "OpenClaw / Gateway health",
  tags: ["openclaw", "diagnostics-otel"],
  description: "Event loop, memory, RPC latency and rate, garbage collection.",
  panels: [
    row("Event loop"),
    ts(
      "Event-loop delay (max per observation window)",
      "ms",
      [
        q(mean(EL, "", GI), "mean {{instance}}"),
        q(quantile(0.99, sel(`${EL}_bucket`), GI), "p99 {{instance}}"),
        q(quantile(1, sel(`${EL}_bucket`), GI), "max {{instance}}"),
      ],
      {
        w: 16,
        description:
          "Each gateway.event_loop.sample reports the worst delay of its window. p99 and max are bucket-interpolated (buckets 0, 5, 10, 25, 50, 75, 100, 250 ms, ...); max is the upper bound of the highest bucket hit.",
      },
    ),
    ts("Liveness warnings/s", "ops", [q(`sum by (openclaw_liveness_reason) (${rate(sel("openclaw_liveness_warning_total"))})`, "{{openclaw_liveness_reason}}")], {
      w: 8,
      stack: true,
      description: "diagnostic.liveness.warning events by reason (event-loop delay, utilization, CPU).",
    }),

    row("Memory"),
    ts(
      "Memory",
      "bytes",
      MEMORY.map(([name, base]) => q(mean(base, 'openclaw_memory_level=""', GI), `${name} {{instance}}`)),
      {
        w: 16,
        description:
          "Mean of the diagnostic memory samples in each interval (rate(_sum) / rate(_count)). The histograms' buckets end at 10,000 bytes, so quantiles are meaningless here. Gaps: the interval held no sample; widen $__rate_interval's scrape interval in the data source to the sampling period.",
      },
    ),
    ts("Memory pressure events/s", "ops", [q(`sum by (openclaw_memory_level, openclaw_memory_reason) (${rate(sel("openclaw_memory_pressure_total"))})`, "{{openclaw_memory_level}} {{openclaw_memory_reason}}")], {
      w: 8,
      stack: true,
    }),

    row("RPC"),
    ts("RPC requests/s by method", "reqps", [q(`sum by (openclaw_gateway_rpc_method) (${rate(sel("openclaw_gateway_rpc_requests_total"))})`, "{{openclaw_gateway_rpc_method}}")], {
      stack: true,
      description: "Authenticated Gateway WebSocket requests received.",
    }),
    ts("RPC outcomes/s", "ops", [q(`sum by (openclaw_gateway_rpc_phase, openclaw_gateway_rpc_outcome) (${rate(sel("openclaw_gateway_rpc_outcomes_total"))})`, "{{openclaw_gateway_rpc_phase}} {{openclaw_gateway_rpc_outcome}}")], {
      stack: true,
    }),
    rpcLatency("RPC first response", "openclaw_gateway_rpc_first_response_ms_milliseconds", "receipt to the first response sent."),
    rpcLatency("RPC handler", "openclaw_gateway_rpc_handler_ms_milliseconds", "the handler, until it returns or throws."),
    rpcLatency("RPC admission", "openclaw_gateway_rpc_admission_ms_milliseconds", "receipt to handler invocation."),
    rpcLatency("RPC queue wait", "openclaw_gateway_rpc_queue_wait_ms_milliseconds", "the operator start queue or worker frame queue."),

    row("Garbage collection"),
    ts("Time in GC", "percentunit", [q(`sum by (job, instance) (${rate(sel(`${GC}_sum`))}) / 1000`, "{{instance}}")], {
      w: 8,
      description: "Share of wall time the isolate spent in garbage collection (GC milliseconds per second / 1000).",
    }),
    ts(
      "GC pause",
      "ms",
      [q(quantile(0.5, sel(`${GC}_bucket`), GI), "p50 {{instance}}"), q(quantile(0.99, sel(`${GC}_bucket`), GI), "p99 {{instance}}")],
      { w: 8 },
    ),
    ts("GCs/s", "ops", [q(`sum by (job, instance) (${rate(sel(`${GC}_count`))})`, "{{instance}}")], { w: 8 }),

    row("Payloads"),
    ts(
      "Large payloads/s",
      "ops",
      [q(`sum by (openclaw_payload_surface, openclaw_payload_action) (${rate(sel("openclaw_payload_large_total"))})`, "{{openclaw_payload_surface}} {{openclaw_payload_action}}")],
      { w: 24, stack: true, description: "Oversized payload diagnostics by surface and action." },
    ),
  ],
};

// --- 4. Telemetry health ---------------------------------------------------------------------
const DROPPED = "openclaw_telemetry_dropped_total";
// Label sets as the scrape's series cap counts them: one per counter series (_total) and one per
// histogram (_count); openclaw_telemetry_dropped is never capped.
const CAPPED_SERIES = '{__name__=~"(openclaw|gen_ai)_.+_(total|count)", __name__!="openclaw_telemetry_dropped_total", job=~"$job", instance=~"$instance"}';
const OVERFLOW = '{otel_metric_overflow="true", job=~"$job", instance=~"$instance"}';

const telemetry = {
  uid: "openclaw-telemetry",
  title: "OpenClaw / Telemetry health",
  tags: ["openclaw", "diagnostics-otel"],
  description: "Is telemetry arriving, and what it lost: drops, exporter events, cardinality overflow, scrape targets.",
  panels: [
    row("Now and over the time range"),
    { ...gatewaysReporting, w: 6 },
    stat("Telemetry dropped", "short", [q(`sum(${incRange(sel(DROPPED))}) or vector(0)`)], {
      w: 6,
      thresholds: [{ color: "green", value: null }, { color: "red", value: 1 }],
      description: "Events, spans, log records and scrape series this plugin lost over the range (openclaw.telemetry.dropped).",
    }),
    stat("Series-cap drops", "short", [q(`sum(${incRange(sel(DROPPED, 'openclaw_signal="prometheus", openclaw_reason="series_limit"'))}) or vector(0)`)], {
      w: 6,
      thresholds: [{ color: "green", value: null }, { color: "red", value: 1 }],
      description: "Series the scrape exposition refused at its cap (prometheus.maxSeries, 2048 by default) over the range: some label leaks cardinality.",
    }),
    stat("Overflow series", "short", [q(`count(${OVERFLOW}) or vector(0)`)], {
      w: 6,
      thresholds: [{ color: "green", value: null }, { color: "red", value: 1 }],
      description: "Series the OpenTelemetry SDK merged into otel_metric_overflow=\"true\" after an instrument hit its cardinality limit.",
    }),

    row("Arrival"),
    ts("Seconds since last report", "s", [q(`time() - max by (job, instance) (timestamp(${sel("target_info")}))`, "{{job}} {{instance}}")], {
      description: "Age of each gateway's latest target_info sample (written on every OTLP push or scrape); it climbs until the series goes stale.",
    }),
    ts("Series per gateway", "short", [q(`count by (job, instance) (${CAPPED_SERIES})`, "{{job}} {{instance}}")], {
      description: "Label sets the gateway exports (one per counter series and per histogram), as the scrape's series cap counts them.",
    }),

    row("Loss"),
    ts("Telemetry dropped/s", "ops", [q(`sum by (openclaw_signal, openclaw_reason) (${rate(sel(DROPPED))})`, "{{openclaw_signal}} {{openclaw_reason}}")], {
      stack: true,
      description:
        "signal events: recording_queue_full, implausible; traces and logs: queue_full, rejected; prometheus: series_limit (the scrape series cap). Only reasons that occurred are exported.",
    }),
    ts("Diagnostic async queue drops/s", "ops", [q(`sum by (openclaw_diagnostic_async_queue_drop_class) (${rate(sel("openclaw_diagnostic_async_queue_dropped_total"))})`, "{{openclaw_diagnostic_async_queue_drop_class}}")], {
      description: "Events the gateway's own diagnostic queue dropped before any plugin saw them.",
    }),
    ts(
      "Exporter events/s",
      "ops",
      [
        q(
          `sum by (openclaw_exporter, openclaw_signal, openclaw_status, openclaw_reason) (${rate(sel("openclaw_telemetry_exporter_events_total"))})`,
          "{{openclaw_exporter}} {{openclaw_signal}} {{openclaw_status}} {{openclaw_reason}}",
        ),
      ],
      { description: "telemetry.exporter events: exporters started, failures, drops, by signal, status and reason." },
    ),
    bars("Exporter events over the range", "short", [
      q(`sum by (openclaw_signal, openclaw_status, openclaw_reason) (${incRange(sel("openclaw_telemetry_exporter_events_total"))})`, "{{openclaw_signal}} {{openclaw_status}} {{openclaw_reason}}"),
    ]),

    row("Cardinality"),
    ts("Overflow series by metric", "short", [q(`count by (__name__) (${OVERFLOW})`, "{{__name__}}")], {
      w: 24,
      description: "Per metric, the series the OpenTelemetry SDK merged into one otel_metric_overflow=\"true\" series. Any series here means lost attribute detail.",
    }),

    row("Scrape targets"),
    stat("Scrape targets up", "short", [q(scrapeSel("up"), "{{job}} {{instance}}")], {
      w: 8,
      h: 8,
      mappings: [{ type: "value", options: { 0: { text: "down", color: "red" }, 1: { text: "up", color: "green" } } }],
      thresholds: [{ color: "red", value: null }, { color: "green", value: 1 }],
      description:
        "Only when Prometheus scrapes the exposition. up carries the scrape target's labels (job = the scrape job's name, instance = host:port), so it is filtered by $job only: name the scrape job like service.name (openclaw) for the filter to match.",
    }),
    ts("Samples per scrape", "short", [q(scrapeSel("scrape_samples_scraped"), "{{job}} {{instance}}")], { w: 8 }),
    ts("Scrape duration", "s", [q(scrapeSel("scrape_duration_seconds"), "{{job}} {{instance}}")], { w: 8 }),
  ],
};

export const DASHBOARDS = [
  ["openclaw-overview.json", overview],
  ["openclaw-sessions.json", sessions],
  ["openclaw-gateway.json", gateway],
  ["openclaw-telemetry.json", telemetry],
];

// ---------------------------------------------------------------------------------------------
// Rendering into Grafana's dashboard JSON model.

const DS = { type: "prometheus", uid: "${datasource}" };

function variables() {
  const vq = (name, label, query) => ({
    name,
    label,
    type: "query",
    datasource: DS,
    definition: query,
    query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    options: [],
    regex: "",
    sort: 1,
    hide: 0,
    skipUrlSync: false,
  });
  const gw = 'job=~"$job", instance=~"$instance"';
  return [
    {
      name: "datasource",
      label: "Data source",
      type: "datasource",
      query: "prometheus",
      // Import dashboard replaces ${DS_PROMETHEUS} with the data source picked in its prompt; a
      // provisioned file keeps the placeholder, which matches nothing, so Grafana takes the default.
      current: { selected: false, text: "${DS_PROMETHEUS}", value: "${DS_PROMETHEUS}" },
      options: [],
      refresh: 1,
      regex: "",
      includeAll: false,
      multi: false,
      hide: 0,
      skipUrlSync: false,
    },
    vq("job", "Job", "label_values(target_info, job)"),
    vq("instance", "Instance", 'label_values(target_info{job=~"$job"}, instance)'),
    vq("agent", "Agent", `label_values(openclaw_tokens_total{${gw}}, openclaw_agent)`),
    vq("provider", "Provider", `label_values(openclaw_tokens_total{${gw}, openclaw_agent=~"$agent"}, openclaw_provider)`),
    vq("model", "Model", `label_values(openclaw_tokens_total{${gw}, openclaw_agent=~"$agent", openclaw_provider=~"$provider"}, openclaw_model)`),
    vq("channel", "Channel", `label_values({__name__=~"openclaw_tokens_total|openclaw_message_processed_total", ${gw}}, openclaw_channel)`),
  ];
}

function fieldConfig(p) {
  const defaults = {
    unit: p.unit,
    color: { mode: p.type === "timeseries" ? "palette-classic" : "thresholds" },
    thresholds: { mode: "absolute", steps: p.thresholds ?? [{ color: "green", value: null }] },
    mappings: p.mappings ?? [],
  };
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  if (p.type === "timeseries") {
    defaults.min = 0;
    if (p.max !== undefined) defaults.max = p.max;
    defaults.custom = {
      drawStyle: p.bars ? "bars" : "line",
      lineWidth: 1,
      fillOpacity: p.bars ? 80 : p.stack ? 25 : 10,
      gradientMode: "none",
      showPoints: "never",
      pointSize: 4,
      spanNulls: false,
      axisPlacement: "auto",
      axisLabel: "",
      axisSoftMin: 0,
      stacking: { mode: p.stack ? "normal" : "none", group: "A" },
      thresholdsStyle: { mode: "off" },
    };
  }
  return { defaults, overrides: [] };
}

function options(p) {
  if (p.type === "timeseries") {
    return {
      legend: { showLegend: true, displayMode: "list", placement: "bottom", calcs: [] },
      tooltip: { mode: "multi", sort: "desc" },
    };
  }
  const reduceOptions = { values: false, calcs: ["lastNotNull"], fields: "" };
  if (p.type === "stat") {
    return { reduceOptions, orientation: "auto", textMode: "auto", colorMode: "value", graphMode: "none", justifyMode: "auto", wideLayout: true, showPercentChange: false };
  }
  return { reduceOptions, orientation: "horizontal", displayMode: "gradient", valueMode: "color", showUnfilled: true, namePlacement: "auto", sizing: "auto", minVizHeight: 16, minVizWidth: 8, maxVizHeight: 300 };
}

function renderPanel(p, id, gridPos) {
  const targets = p.targets.map((t, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DS,
    editorMode: "code",
    expr: t.expr,
    legendFormat: t.legend || "__auto",
    range: !p.instant,
    instant: !!p.instant,
    ...(p.instant && p.type === "bargauge" ? { format: "time_series" } : {}),
  }));
  const panel = { id, type: p.type, title: p.title };
  if (p.description) panel.description = p.description;
  Object.assign(panel, { datasource: DS, gridPos, fieldConfig: fieldConfig(p), options: options(p), targets });
  if (p.interval) panel.interval = p.interval;
  return panel;
}

/** The dashboard JSON: panels laid out in rows, flowing left to right at 24 columns. */
export function renderDashboard(d) {
  const panels = [];
  let id = 1;
  let x = 0;
  let y = 0;
  let rowH = 0;
  const newline = () => {
    y += rowH;
    x = 0;
    rowH = 0;
  };
  for (const p of d.panels) {
    if (p.type === "row") {
      if (x > 0) newline();
      panels.push({ id: id++, type: "row", title: p.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    if (x + p.w > 24) newline();
    panels.push(renderPanel(p, id++, { h: p.h, w: p.w, x, y }));
    x += p.w;
    rowH = Math.max(rowH, p.h);
  }
  return {
    __inputs: [{ name: "DS_PROMETHEUS", label: "Prometheus", description: "The Prometheus that holds the gateways' metrics", type: "datasource", pluginId: "prometheus", pluginName: "Prometheus" }],
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: "10.0.0" },
      { type: "datasource", id: "prometheus", name: "Prometheus", version: "1.0.0" },
      { type: "panel", id: "timeseries", name: "Time series", version: "" },
      { type: "panel", id: "stat", name: "Stat", version: "" },
      { type: "panel", id: "bargauge", name: "Bar gauge", version: "" },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    description: `${d.description} Generated by ${GENERATOR} (openclaw-diagnostics-otel-rs); do not edit, run \`node ${GENERATOR}\`.`,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [{ title: "OpenClaw", type: "dashboards", tags: ["openclaw"], asDropdown: true, includeVars: true, keepTime: true, icon: "external link", targetBlank: false, tooltip: "", url: "" }],
    panels,
    refresh: "30s",
    schemaVersion: 39,
    tags: d.tags,
    templating: { list: variables() },
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    timezone: "",
    title: d.title,
    uid: d.uid,
    version: 1,
    weekStart: "",
  };
}

/** { "openclaw-overview.json": "<text>", ... }: exactly what the files hold. */
export function render() {
  return Object.fromEntries(DASHBOARDS.map(([file, d]) => [file, JSON.stringify(renderDashboard(d), null, 2) + "\n"]));
}

/** Files whose content on disk differs from the generator's (missing files included). */
export function drift(dir = OUT_DIR) {
  const want = render();
  const bad = [];
  for (const [file, text] of Object.entries(want)) {
    const f = path.join(dir, file);
    if (!fs.existsSync(f) || fs.readFileSync(f, "utf8") !== text) bad.push(file);
  }
  const extra = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json") && !(f in want)) : [];
  return [...bad, ...extra.map((f) => `${f} (not generated)`)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--check")) {
    const bad = drift();
    if (bad.length > 0) {
      console.error(`dashboards differ from ${GENERATOR}: ${bad.join(", ")}; run \`node ${GENERATOR}\``);
      process.exit(1);
    }
    console.log(`dashboards: ${DASHBOARDS.length} files match ${GENERATOR}`);
  } else {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    for (const [file, text] of Object.entries(render())) fs.writeFileSync(path.join(OUT_DIR, file), text);
    console.log(`dashboards: wrote ${Object.keys(render()).map((f) => `dashboards/${f}`).join(", ")}`);
  }
}
