// Types of the plugin entry (index.js). Hand-written; the addon's own types are generated
// into native.d.ts by `npm run build`.

export interface ServiceContext {
  config: { diagnostics?: { enabled?: boolean; otel?: Record<string, unknown> } } & Record<string, unknown>;
  logger?: {
    debug?: (msg: string) => void;
    info?: (msg: string) => void;
    warn?: (msg: string) => void;
    error?: (msg: string) => void;
  };
  stateDir?: string;
  workspaceDir?: string;
}

export interface Service {
  id: "diagnostics-otel";
  reload: { configPrefixes: string[] };
  start(ctx: ServiceContext): Promise<void>;
  stop(ctx?: ServiceContext): Promise<void>;
}

export interface PluginApi {
  runtime?: { version?: string };
  /** The runtime config: `plugins.entries["diagnostics-otel"].config.prometheus` is read from it. */
  config?: Record<string, unknown>;
  pluginConfig?: PluginConfig;
  registerService(service: Service): void;
  /** OpenClaw 2026.9+: the Prometheus route is registered when the exposition is enabled. */
  registerHttpRoute?(route: {
    path: string;
    auth: "gateway" | "plugin";
    match?: "exact" | "prefix";
    gatewayRuntimeScopeSurface?: "write-default" | "trusted-operator";
    handler: (req: unknown, res: unknown) => Promise<boolean | void> | boolean | void;
  }): void;
}

/** `plugins.entries["diagnostics-otel"].config` (README: Configuration; docs/prometheus.md). */
export interface PluginConfig {
  prometheus?: {
    enabled?: boolean;
    route?: boolean;
    port?: number;
    host?: string;
    bearerToken?: string;
    bearerTokenFile?: string;
    maxSeries?: number;
  };
  /** Wins over OTEL_RESOURCE_ATTRIBUTES. */
  resourceAttributes?: Record<string, string | number | boolean>;
  unknownParents?: "nearest" | "new-trace";
  /** OTLP headers re-read before each export (`name: value` lines or a JSON object). */
  headersFile?: string;
  /** A command printing OTLP headers as a JSON object, cached for headersHelperTtlMs. */
  headersHelper?: string;
  headersHelperTtlMs?: number;
  headersHelperTimeoutMs?: number;
}

export interface Settled {
  ok: boolean;
  error?: string;
  elapsedMs: number;
}

export interface Status {
  running: boolean;
  summary: string;
  received: number;
  recorded: number;
  malformed: number;
  /** Values and span times outside their plausibility bounds (docs/metrics.md), skipped. */
  implausible: number;
  ignored: number;
  dropped: number;
  late: number;
  /** Metrics export. */
  exportsOk: number;
  exportsFailed: number;
  /** Periodic exports skipped while the collector's backoff (Retry-After) ran; cumulative data waits. */
  exportsDeferred: number;
  state: HealthState;
  stateSinceUnixMs?: number;
  /** Why metrics export is degraded or failing; cleared on recovery (lastError keeps the history). */
  cause?: string;
  lastSuccessUnixMs?: number;
  lastFailureUnixMs?: number;
  lastError?: string;
  /** Span export, when traces are on. */
  traces?: SignalStatus;
  /** Log record export, when logs are on. */
  logs?: SignalStatus;
}

/** starting: nothing sent yet; degraded: 1-2 failed exports in a row; failing: 3 or more. */
export type HealthState = "starting" | "healthy" | "degraded" | "failing";

export interface SignalStatus {
  destination: string;
  /** Items the collector accepted. */
  exported: number;
  /** Items lost, all causes: droppedQueueFull + rejected + lostAtStop. */
  dropped: number;
  /** Items the bounded batch queue refused (full while the collector was slow or away). */
  droppedQueueFull: number;
  /** Items the collector refused for good (4xx other than 408/429, TLS, unknown errors). */
  rejected: number;
  /** Items still unsent when the stop deadline came. */
  lostAtStop: number;
  /** Export attempts that sent a held batch again after a retryable failure. */
  retries: number;
  /** Spans the sampler left out (traces only). */
  sampledOut: number;
  state: HealthState;
  stateSinceUnixMs?: number;
  cause?: string;
  exportsOk: number;
  exportsFailed: number;
  lastSuccessUnixMs?: number;
  lastFailureUnixMs?: number;
  lastError?: string;
}

declare const plugin: {
  id: "diagnostics-otel";
  name: string;
  description: string;
  configSchema: Record<string, unknown>;
  register(api: PluginApi): void;
};
export default plugin;

/** Record everything received so far and export it now. */
export function flush(timeoutMs?: number): Promise<Settled>;
/** Counters and export health of the running generation, or undefined when stopped. */
export function status(): Status | undefined;

/** A batch of the compact hand-off being written (src/event/compact.rs): reused slot columns. */
export interface CompactBatch {
  tags: Uint8Array;
  vals: Float64Array;
  slot: number;
  texts: string[];
  ids: Map<string, number>;
  chars: number;
}
/** One event type's encoder: writes `slots` slots for an event into a batch. */
export interface CompactEncoder {
  index: number;
  slots: number;
  encode(event: object, batch: CompactBatch, header: number): void;
}
/** The addon's projection (JSON, `NativeGeneration.projection`) as one encoder per event type. */
export function compileProjection(json: string): Map<string, CompactEncoder>;
