/**
 * One HTTP client per provider, in the manner of apollographql/datasource-rest:
 * a base class with a small hook (`mapErrorAnswer`) that the provider's
 * `client.ts` fills in. It owns timeouts, JSON parsing, wire-schema validation,
 * HTTP-status mapping to typed errors, call records without bodies, and bearer
 * auth: a request that names a `TokenManager` is sent with its token and, on a
 * 401, retried once with a renewed token (one renewal however many wait).
 */
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  ConsecutiveBreaker,
  CircuitState,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from 'cockatiel';
import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import pThrottle from 'p-throttle';
import { Agent, request } from 'undici';
import type { z } from 'zod';
import type { ProviderCode } from '../domain/types';
import { ProviderAuthError, ProviderError, ProviderRejectedError, ProviderTimeoutError, WireFormatError } from './errors';

/** Fault-tolerance settings of one provider's client (configuration; defaults documented in README). */
export interface ResilienceOptions {
  /** Retries after the first attempt, for idempotent reads only. Default 2. */
  retries?: number;
  /** First backoff delay, ms (exponential with decorrelated jitter, capped at 1 s). Default 100. */
  backoffMs?: number;
  /** Consecutive failures that open the circuit. Default 5. */
  breakerThreshold?: number;
  /** How long the circuit stays open before a trial call, ms. Default 10 000. */
  halfOpenAfterMs?: number;
  /** Concurrent calls to the provider. Default 16. */
  concurrency?: number;
  /** Calls allowed to wait for a slot. Default 512. */
  queue?: number;
  /** Most calls per second to the provider (its rate limit); unlimited when unset. */
  ratePerSecond?: number;
}

/** Whether a failure is the provider's (counts against the circuit, may be retried). */
function providerFault(e: Error): boolean {
  return e instanceof ProviderError && !(e instanceof ProviderRejectedError) && !(e instanceof ProviderAuthError);
}

/** Whether a failed idempotent read is worth retrying: timeouts, connection failures, 5xx and 429. */
function retryable(e: Error): boolean {
  if (!(e instanceof ProviderError) || e instanceof WireFormatError || e instanceof ProviderRejectedError || e instanceof ProviderAuthError) return false;
  return e instanceof ProviderTimeoutError || e.status === undefined || e.status >= 500 || e.status === 429;
}

/** Options shared by every provider client. */
export interface HttpClientOptions {
  /** Base URL of the provider (the sandbox in tests and demo). */
  baseUrl: string;
  /** Per-call timeout, milliseconds. */
  timeoutMs: number;
  /** Called once per provider call with the endpoint template, HTTP status (0 when none) and duration. */
  onCall?: (call: ProviderCallRecord) => void;
  resilience?: ResilienceOptions;
}

/** What is recorded about each provider call (no bodies, no ids, no tokens). */
export interface ProviderCallRecord {
  provider: ProviderCode;
  endpoint: string;
  status: number;
  durationMs: number;
}

/** One request: `endpoint` is the route template used for errors and metrics. */
export interface RequestSpec<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  endpoint: string;
  schema: S;
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number>;
  /** Bearer token source; omitted for unauthenticated calls (token endpoints, Dompet Kilat). */
  token?: TokenManager;
  /** Safe to retry (reads). Default: true for GET, false otherwise. */
  idempotent?: boolean;
}

/** A non-2xx answer whose body the subclass may inspect. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
}

/** Base provider client. */
export abstract class ProviderHttpClient {
  private readPolicy!: IPolicy;
  private writePolicy!: IPolicy;
  private breaker!: ReturnType<typeof circuitBreaker>;
  /** The concurrency limit: held only while a request is on the wire (`send`), never while waiting for a token. */
  private limit!: ReturnType<typeof bulkhead>;
  private readonly gate: (() => Promise<void>) | null;

  constructor(
    readonly provider: ProviderCode,
    protected readonly opts: HttpClientOptions,
  ) {
    const rate = opts.resilience?.ratePerSecond;
    this.gate = rate ? pThrottle({ limit: rate, interval: 1000 })(async () => undefined) : null;
    this.resetResilience();
  }

  /**
   * Builds fresh policies (closes the circuit): a circuit breaker, retries outside it for reads, and the
   * concurrency limit (bulkhead) around each exchange on the wire.
   *
   * The bulkhead is taken after the bearer token is in hand, not around the whole attempt: a token renewal is
   * itself a call to the provider, so calls that held a slot while waiting for the renewal left it no slot once
   * `concurrency` of them waited (a deadlock, never undone: seen when 200 concurrent reads met an expired token).
   */
  resetResilience(): void {
    const r = this.opts.resilience ?? {};
    this.limit = bulkhead(r.concurrency ?? 16, r.queue ?? 512);
    this.breaker = circuitBreaker(handleWhen(providerFault), { halfOpenAfter: r.halfOpenAfterMs ?? 10_000, breaker: new ConsecutiveBreaker(r.breakerThreshold ?? 5) });
    const retries = retry(handleWhen(retryable), { maxAttempts: r.retries ?? 2, backoff: new ExponentialBackoff({ initialDelay: r.backoffMs ?? 100, maxDelay: 1000 }) });
    this.writePolicy = this.breaker;
    this.readPolicy = wrap(retries, this.breaker);
  }

  /** The provider's circuit: closed (healthy), open (failing fast), half-open (trying one call). */
  get circuit(): 'closed' | 'open' | 'half-open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /**
   * Maps a non-2xx answer to an error, or returns a value to treat as the result
   * (e.g. `null` for a 404 the caller expects). Default: typed ProviderError.
   */
  protected mapErrorAnswer(answer: ErrorAnswer, spec: RequestSpec<z.ZodType>): unknown {
    throw this.errorFor(answer, spec);
  }

  /** The typed error for a non-2xx answer (used by `mapErrorAnswer`). */
  protected errorFor(answer: ErrorAnswer, spec: RequestSpec<z.ZodType>): ProviderError {
    const { status } = answer;
    if (status === 401 || status === 403) return new ProviderAuthError(this.provider, spec.endpoint, `HTTP ${status}`, status);
    if (status === 429) return new ProviderError(this.provider, spec.endpoint, 'PROVIDER_UNAVAILABLE', 'rate limited (HTTP 429)', status);
    return new ProviderError(this.provider, spec.endpoint, 'PROVIDER_UNAVAILABLE', `HTTP ${status}`, status);
  }

  /**
   * Sends the request and returns the body parsed by `spec.schema`.
   * @throws ProviderTimeoutError, WireFormatError, ProviderAuthError or ProviderError.
   */
  protected async request<S extends z.ZodType>(spec: RequestSpec<S>): Promise<z.infer<S>> {
    const policy = spec.idempotent ?? spec.method === 'GET' ? this.readPolicy : this.writePolicy;
    // The caller's trace context, taken now: a call queued behind the concurrency limit runs later from another's.
    const caller = context.active();
    try {
      return await policy.execute(() => this.attempt(spec, caller));
    } catch (e) {
      if (e instanceof BrokenCircuitError) throw new ProviderError(this.provider, spec.endpoint, 'PROVIDER_UNAVAILABLE', 'circuit open after repeated failures');
      if (e instanceof BulkheadRejectedError) throw new ProviderError(this.provider, spec.endpoint, 'PROVIDER_UNAVAILABLE', 'too many calls waiting');
      throw e;
    }
  }

  /** One attempt: bearer token, send, one retry after a 401 with a renewed token. Tokens are awaited outside the concurrency limit. */
  private async attempt<S extends z.ZodType>(spec: RequestSpec<S>, caller: Context): Promise<z.infer<S>> {
    const token = spec.token ? await spec.token.get() : undefined;
    const first = await this.limit.execute(() => this.send(spec, token, caller));
    if ('ok' in first) return first.ok;
    if (first.answer.status === 401 && spec.token && token !== undefined) {
      const fresh = await spec.token.renewAfterRejection(token);
      const second = await this.limit.execute(() => this.send(spec, fresh, caller));
      if ('ok' in second) return second.ok;
      return this.mapErrorAnswer(second.answer, spec) as z.infer<S>;
    }
    return this.mapErrorAnswer(first.answer, spec) as z.infer<S>;
  }

  private async send<S extends z.ZodType>(spec: RequestSpec<S>, token: string | undefined, caller: Context): Promise<{ ok: z.infer<S> } | { answer: ErrorAnswer }> {
    if (this.gate) await this.gate();
    const span = providerSpan(this.provider, spec, caller);
    let failure: unknown;
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const url = new URL(spec.path, this.opts.baseUrl);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, String(v));
    const started = performance.now();
    let status = 0;
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, {
          method: spec.method,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal,
          dispatcher: providerAgent,
        });
      } catch (e) {
        if (signal.aborted) throw new ProviderTimeoutError(this.provider, spec.endpoint, this.opts.timeoutMs);
        throw new ProviderError(this.provider, spec.endpoint, 'PROVIDER_UNAVAILABLE', 'connection failed', undefined, { cause: e });
      }
      status = res.statusCode;
      const ok = status >= 200 && status < 300;
      let text: string;
      try {
        text = await res.body.text();
      } catch (e) {
        if (signal.aborted) throw new ProviderTimeoutError(this.provider, spec.endpoint, this.opts.timeoutMs);
        throw new ProviderError(this.provider, spec.endpoint, 'PROVIDER_UNAVAILABLE', 'connection dropped while reading', status, { cause: e });
      }
      let body: unknown;
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch {
        if (!ok) return { answer: { status, body: undefined } };
        throw new WireFormatError(this.provider, spec.endpoint, '(body)', 'is not JSON');
      }
      if (!ok) return { answer: { status, body } };
      return { ok: parseWire(this.provider, spec.endpoint, spec.schema, body) };
    } catch (e) {
      failure = e;
      throw e;
    } finally {
      this.opts.onCall?.({ provider: this.provider, endpoint: spec.endpoint, status, durationMs: performance.now() - started });
      endProviderSpan(span, status, failure);
    }
  }
}

/**
 * The connection pool of every provider call (keep-alive, per origin). Calls go through undici's `request`,
 * not `fetch`: fetch's WHATWG streams and objects cost about twice the CPU per call (a loopback measurement:
 * 170-220 µs with `request` against 350-510 µs with `fetch`), and a cold credit view makes five or six calls.
 */
const providerAgent = new Agent({ keepAliveTimeout: 4_000 });

/**
 * The span of one provider HTTP exchange (src/tracing.ts), a child of the caller's span: `<PROVIDER> <endpoint
 * template>` with the provider, the endpoint template and the method; never the URL (ids, NIKs), bodies or tokens.
 * While tracing is off this is the API's no-op span.
 */
function providerSpan(provider: ProviderCode, spec: RequestSpec<z.ZodType>, caller: Context): Span {
  const attributes = { 'satukredit.provider': provider, 'satukredit.provider.endpoint': spec.endpoint, 'http.request.method': spec.method };
  return trace.getTracer('satukredit').startSpan(`${provider} ${spec.endpoint}`, { kind: SpanKind.CLIENT, attributes }, caller);
}

/** Ends a provider span with the HTTP status (0: none) and, for a 4xx/5xx, no answer or a refused body, an error status. */
function endProviderSpan(span: Span, status: number, failure: unknown): void {
  if (status) span.setAttribute('http.response.status_code', status);
  if (failure || status >= 400) {
    const type = failure instanceof Error ? failure.name : String(status);
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure instanceof Error ? failure.message : `HTTP ${status}` });
  }
  span.end();
}

/**
 * Validates a provider body against its wire schema.
 * @throws WireFormatError naming the first offending field.
 */
export function parseWire<S extends z.ZodType>(provider: ProviderCode, endpoint: string, schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : '(body)';
  throw new WireFormatError(provider, endpoint, field, issue.message);
}

/** A token with its expiry. */
export interface Token {
  value: string;
  /** Epoch milliseconds after which the provider rejects it. */
  expiresAt: number;
}

/**
 * Keeps one token fresh: serves the cached token until `skewMs` before expiry,
 * then obtains a new one, with at most one obtain in flight however many
 * callers wait (they all share its result).
 */
export class TokenManager {
  private current: Token | null = null;
  private inflight: Promise<Token> | null = null;

  /**
   * @param obtain gets a new token; receives the previous token (for refresh-token flows), null on first use.
   * @param skewMs refresh this long before expiry.
   */
  constructor(
    private readonly obtain: (previous: Token | null) => Promise<Token>,
    private readonly now: () => number = Date.now,
    private readonly skewMs = 30_000,
  ) {}

  /** Installs a token obtained elsewhere (e.g. at account linking). */
  seed(token: Token): void {
    this.current = token;
  }

  /** A token valid for at least `skewMs`. */
  async get(): Promise<string> {
    const t = this.current;
    if (t && t.expiresAt - this.skewMs > this.now()) return t.value;
    return (await this.renew()).value;
  }

  /**
   * Marks `rejected` as unusable (the provider answered 401 with it) and
   * returns a fresh token; concurrent callers that saw the same rejected token
   * share one renewal.
   */
  async renewAfterRejection(rejected: string): Promise<string> {
    if (this.current && this.current.value !== rejected) return this.current.value;
    if (this.current?.value === rejected) this.current = { ...this.current, expiresAt: 0 };
    return (await this.renew()).value;
  }

  private renew(): Promise<Token> {
    if (!this.inflight) {
      const previous = this.current;
      this.inflight = this.obtain(previous)
        .then((t) => {
          this.current = t;
          return t;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }
}
