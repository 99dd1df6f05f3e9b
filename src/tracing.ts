/**
 * Traces for operators: OpenTelemetry spans exported over OTLP/HTTP when the OTEL_* variables ask for them
 * (README, "Observability"), nothing otherwise.
 *
 * Spans are made with `@opentelemetry/api` where the work happens, never by auto-instrumentation:
 * - `graphql <operation name|anonymous>`: one per GraphQL operation over HTTP (src/http/server.ts, src/graphql/tracing.ts);
 * - `<PROVIDER> <endpoint template>`: one per provider HTTP exchange (src/providers/http.ts), a child of the operation
 *   (or sync run, or nothing) that made it;
 * - `webhook.apply`: one per try at applying a stored webhook event (src/core/events.service.ts), a root span.
 * Attributes carry ids, codes and route templates only: no URLs with ids or NIKs, no bodies, no tokens.
 *
 * While tracing is off the SDK is not even loaded: the API's global tracer is its no-op tracer, so a span costs
 * one small object. The SDK registers process-wide globals (tracer provider, context manager), so only one
 * app per process traces at a time; `shutdown` releases them.
 */
import { type Attributes, context, diag, type DiagLogger, DiagLogLevel, ProxyTracerProvider, type Span, type SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Config } from './config';
import type { Logger } from './logger';

/** The instrumentation scope of every span the application makes. */
export const TRACER_NAME = 'satukredit';

/** What tracing needs from configuration: the OTEL_* variables (src/config.ts). */
export type TracingConfig = Pick<
  Config,
  | 'OTEL_SDK_DISABLED'
  | 'OTEL_TRACES_EXPORTER'
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_PROTOCOL'
  | 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
  | 'OTEL_SERVICE_NAME'
  | 'OTEL_TRACES_SAMPLER'
  | 'OTEL_TRACES_SAMPLER_ARG'
>;

/** Where and how spans are exported, when tracing is on. */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (`.../v1/traces`). */
  readonly endpoint: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly serviceName: string;
  readonly sampler: Config['OTEL_TRACES_SAMPLER'];
  /** The ratio of the `*traceidratio` samplers. */
  readonly ratio: number;
}

/** The default OTLP/HTTP endpoint (a collector on this host). */
const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/**
 * Whether and where to export traces. On when OTEL_SDK_DISABLED is not `true`, OTEL_TRACES_EXPORTER is not `none`,
 * and OTEL_TRACES_EXPORTER is `otlp` or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT is set.
 * The traces URL is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`,
 * else http://localhost:4318/v1/traces; the protocol OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else
 * OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.
 * @returns null when tracing is off.
 */
export function tracingSettings(cfg: TracingConfig): TracingSettings | null {
  if (cfg.OTEL_SDK_DISABLED || cfg.OTEL_TRACES_EXPORTER === 'none') return null;
  const tracesUrl = cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const baseUrl = cfg.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (cfg.OTEL_TRACES_EXPORTER !== 'otlp' && !tracesUrl && !baseUrl) return null;
  return {
    endpoint: tracesUrl ?? `${(baseUrl ?? DEFAULT_OTLP_ENDPOINT).replace(/\/+$/, '')}/v1/traces`,
    protocol: cfg.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? cfg.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: cfg.OTEL_SERVICE_NAME,
    sampler: cfg.OTEL_TRACES_SAMPLER,
    ratio: cfg.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}

/** Tracing as started by `startTracing`. */
export interface Tracing {
  /** Whether spans are exported (false: the no-op API, nothing recorded). */
  readonly enabled: boolean;
  /** Exports every ended span not exported yet (a no-op while off). */
  flush(): Promise<void>;
  /** Exports what is left, stops the SDK and releases the API's globals; idempotent. Never throws (failures are logged). */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => undefined, shutdown: async () => undefined };

/** Whether an app of this process is tracing (the SDK's globals are taken). */
let running = false;

/** OpenTelemetry's own diagnostics (export failures, mostly) in our log, warnings and errors only. */
function diagLogger(log: Logger): DiagLogger {
  const warn = (message: string, ...args: unknown[]) => log.warn({ detail: args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ').slice(0, 500) || undefined }, `opentelemetry: ${message}`);
  const none = () => undefined;
  return { error: warn, warn, info: none, debug: none, verbose: none };
}

/**
 * Starts exporting traces when the configuration asks for it (`tracingSettings`); otherwise loads nothing and
 * returns a handle whose methods do nothing. Only one app per process traces: a second one asking while the
 * first still runs is refused with a warning (it runs untraced).
 */
export async function startTracing(cfg: TracingConfig, log: Logger): Promise<Tracing> {
  const settings = tracingSettings(cfg);
  if (!settings) return OFF;
  if (running) {
    log.warn('tracing already runs for another app of this process; this one is not traced');
    return OFF;
  }
  running = true;
  try {
    // Loaded only when tracing is on: the SDK and its exporters cost nothing to an app that does not trace.
    const [{ NodeSDK }, sdkTrace, exporter] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/sdk-trace'),
      settings.protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
    const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = sdkTrace;
    const root = {
      always_on: () => new AlwaysOnSampler(),
      always_off: () => new AlwaysOffSampler(),
      traceidratio: () => new TraceIdRatioBasedSampler(settings.ratio),
    };
    const sampler = settings.sampler.startsWith('parentbased_')
      ? new ParentBasedSampler({ root: root[settings.sampler.slice('parentbased_'.length) as keyof typeof root]() })
      : root[settings.sampler as keyof typeof root]();
    // Headers, timeout and compression of the exporter, and OTEL_BSP_* of its batch span processor, are read from
    // the environment by the SDK as usual; the URL is ours.
    const sdk = new NodeSDK({
      serviceName: settings.serviceName,
      sampler,
      traceExporter: new exporter.OTLPTraceExporter({ url: settings.endpoint }),
      // Traces only: no metrics (Prometheus has them at /metrics), no log records, no auto-instrumentation, and no
      // trace context sent to or taken from anyone (providers and API clients are outside our trace).
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
      textMapPropagator: null,
    });
    sdk.start();
    diag.setLogger(diagLogger(log), DiagLogLevel.WARN);
    log.info({ endpoint: settings.endpoint, protocol: settings.protocol, serviceName: settings.serviceName, sampler: settings.sampler }, 'tracing on');
    let stopping: Promise<void> | null = null;
    return {
      enabled: true,
      async flush() {
        // The SDK's tracer provider, registered behind the API's proxy.
        const global = trace.getTracerProvider();
        const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
        await (provider as { forceFlush?: () => Promise<void> }).forceFlush?.();
      },
      shutdown() {
        stopping ??= sdk
          .shutdown()
          .catch((e: Error) => log.warn({ err: e.message }, 'tracing shutdown failed'))
          .finally(() => {
            // The next app of this process (tests) may register its own.
            trace.disable();
            context.disable();
            diag.disable();
            running = false;
          });
        return stopping;
      },
    };
  } catch (e) {
    running = false;
    throw e;
  }
}

/**
 * Runs `fn` inside a new span made active (spans started inside are its children), ends it when `fn` settles, and
 * marks it failed (exception type and message) when `fn` throws. `root`: start a new trace whatever is active.
 * While tracing is off the span is the API's no-op span.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, opts: { kind?: SpanKind; root?: boolean } = {}): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes, kind: opts.kind, root: opts.root }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      span.recordException({ name: err.name, message: err.message });
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.name });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Adds `attributes` to the active span (and renames it when `name` is given); nothing when none is active. */
export function annotateActiveSpan(attributes: Attributes, name?: string): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.setAttributes(attributes);
  if (name !== undefined) span.updateName(name);
}
