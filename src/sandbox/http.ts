/**
 * Shared HTTP machinery of the provider sandbox: a tiny router over node:http,
 * per-endpoint request counters, latency injection, fault injection and the
 * `/__sandbox/` control surface every provider server exposes.
 *
 * Endpoint keys are `"<METHOD> <route template>"`, the template naming path
 * parameters with `:name` ("POST /mobile/loan/detail",
 * "GET /api/core/loans/details/:uniqueId", "GET /v1/borrower/:idNumber") — the
 * same names our provider clients use for their metrics. Requests matching no
 * route count under `"<METHOD> (unmatched)"`. Control requests are never
 * counted, delayed or faulted.
 *
 * Order of a provider request: count -> latency -> guard (e.g. IP allow-list)
 * -> fault -> handler.
 *
 * `GET /openapi.json` (and any other path a server lists in `openApiDocuments`)
 * answers the provider's committed OpenAPI document from docs/openapi/ (written
 * by `npm run openapi:emit`); like control requests it is never counted,
 * delayed, guarded or faulted.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ProviderCode } from '../domain/types';
import { mulberry32 } from './dataset';

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** Request counters of one server (or the sum over servers). */
export interface SandboxStats {
  /** Provider requests received (control requests excluded). */
  total: number;
  /** Count per endpoint key ("POST /mobile/loan/detail"). */
  byEndpoint: Record<string, number>;
}

/** Artificial delay before each provider request is handled, milliseconds, uniform in [minMs, maxMs]. */
export const LatencySpec = z
  .object({
    minMs: z.number().int().nonnegative(),
    maxMs: z.number().int().nonnegative().optional(),
  })
  .refine((l) => l.maxMs === undefined || l.maxMs >= l.minMs, { message: 'maxMs must be >= minMs' });
/** Latency injection setting; `maxMs` defaults to `minMs`. */
export type LatencySpec = z.infer<typeof LatencySpec>;

/**
 * One fault rule.
 * - `status`: answer HTTP `status` (default 503) with the provider's error body, without running the handler.
 * - `timeout`: never answer; the socket is held until the client gives up or the server closes.
 * - `malformed`: run the handler, then answer HTTP 200 with either a truncated, non-JSON body
 *   (`mode: "invalid_json"`, default) or the real JSON minus its first top-level field
 *   (`mode: "missing_fields"`), which every wire schema requires.
 * - `expired_token`: treat the bearer as expired (the provider's 401 body). Applies only to
 *   authenticated routes; Dompet Kilat, which has no tokens, answers its IP allow-list rejection (403).
 * - `rate_limit`: HTTP 429 with `Retry-After: retryAfterSeconds` (default 1) and the provider's error body.
 *
 * Scope: `endpoints` lists endpoint keys ("POST /mobile/loan/detail") or bare route templates
 * ("/mobile/loan/detail", any method); omitted = every provider endpoint. Frequency: `count`
 * fires on the next N matching requests then the rule is dropped; `rate` (0..1) fires each
 * matching request with that probability (seeded PRNG); both = at most `count` firings at
 * `rate`; neither = every matching request until cleared. The first rule that fires wins.
 */
export const FaultSpec = z.object({
  kind: z.enum(['status', 'timeout', 'malformed', 'expired_token', 'rate_limit']),
  endpoints: z.array(z.string().min(1)).optional(),
  count: z.number().int().positive().optional(),
  rate: z.number().min(0).max(1).optional(),
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  mode: z.enum(['invalid_json', 'missing_fields']).optional(),
});
/** A fault injection rule (see the `FaultSpec` schema). */
export type FaultSpec = z.infer<typeof FaultSpec>;

/** Body of `PUT /__sandbox/faults`: a list of rules or `{ faults: [...] }`. */
export const FaultsBody = z.union([z.array(FaultSpec), z.object({ faults: z.array(FaultSpec) })]);

/** Runtime control of one provider server. */
export interface SandboxServerHandle {
  /** Which provider this server imitates. */
  readonly provider: ProviderCode;
  /** Base URL, e.g. "http://127.0.0.1:41873" (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Request counters since start or the last reset. */
  stats(): SandboxStats;
  resetStats(): void;
  /** Sets (or with null, removes) latency injection. */
  setLatency(latency: LatencySpec | null): void;
  /** Replaces every fault rule. */
  setFaults(faults: FaultSpec[]): void;
  /** Appends one fault rule. */
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Current fault rules with what remains of their counts. */
  faults(): FaultSpec[];
  /**
   * Holds every provider request from now on after it is counted, before it is handled, until the
   * returned function is called (a test keeps a request in flight for as long as it needs).
   */
  hold(): () => void;
  /** Provider requests waiting in a hold now. */
  held(): number;
  /** Provider requests being handled now, and the most at once since start or the last `resetStats`. */
  inFlight(): { now: number; peak: number };
  /** Stops listening and drops open connections (including held `timeout` requests). */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

/** HTTP methods the sandbox routes. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A parsed request handed to a route handler. */
export interface SandboxRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path parameters by name. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** Remote IP as the socket reports it ("127.0.0.1", "::1", "::ffff:127.0.0.1"). */
  ip: string;
  /** Endpoint key of the matched route. */
  endpoint: string;
  /** The injected clock's current instant. */
  now: Date;
}

/** A handler's answer. `body` is serialized as JSON unless `raw` is set. */
export interface SandboxReply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** A route. `auth` marks routes that need a bearer token (where `expired_token` faults apply). */
export interface Route {
  method: HttpMethod;
  /** Path template with `:param` segments. */
  template: string;
  auth?: boolean;
  handle(req: SandboxRequest): SandboxReply | Promise<SandboxReply>;
}

/** How a provider words its errors. */
export interface ProviderStyle {
  /** Error body for an HTTP status (faults, unknown routes, unreadable bodies). */
  errorBody(status: number, message: string): unknown;
  /** The provider's answer to an expired bearer token (or its auth rejection). */
  expiredToken(req: SandboxRequest): SandboxReply;
}

/** Options of `startHttpServer`. */
export interface HttpServerOptions {
  provider: ProviderCode;
  routes: Route[];
  style: ProviderStyle;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) = ephemeral. */
  port?: number;
  latency?: LatencySpec | null;
  faults?: FaultSpec[];
  /** Seed of the PRNG used for latency jitter and fault rates. */
  seed?: number;
  now?: () => Date;
  /** Runs before faults and handlers; a reply short-circuits (Dompet Kilat's IP allow-list). */
  guard?: (req: SandboxRequest) => SandboxReply | null;
  /** Extra provider-specific control routes, mounted under `/__sandbox`. */
  controlRoutes?: Route[];
  /** Largest accepted request body, bytes (default 5 MiB: KTP/selfie images travel as base64). */
  maxBodyBytes?: number;
  /** OpenAPI documents to serve: request path ("/openapi.json") -> file name under docs/openapi ("cairin.json"). */
  openApiDocuments?: Readonly<Record<string, string>>;
}

/**
 * The committed OpenAPI documents (docs/openapi/), resolved from this file: the CLI bundle (dist/app/cli.mjs)
 * sits two directories below the repository root, as src/sandbox/http.ts does.
 */
const OPENAPI_DIR = resolvePath(dirname(fileURLToPath(import.meta.url)), '../../docs/openapi');

/** Answers a committed OpenAPI document as stored (404 in the provider's error wording when it was never generated). */
async function openApiReply(file: string, style: ProviderStyle): Promise<SandboxReply> {
  try {
    return { status: 200, raw: await readFile(join(OPENAPI_DIR, file), 'utf8'), headers: { 'content-type': 'application/json; charset=utf-8' } };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { status: 404, body: style.errorBody(404, `OpenAPI document ${file} not generated; run npm run openapi:emit`) };
  }
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  key: string;
}

function compile(route: Route): CompiledRoute {
  return { route, segments: route.template.split('/').filter(Boolean), key: `${route.method} ${route.template}` };
}

function match(routes: readonly CompiledRoute[], method: string, path: string): { c: CompiledRoute; params: Record<string, string> } | null {
  const parts = path.split('/').filter(Boolean);
  for (const c of routes) {
    if (c.route.method !== method || c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i]!;
      const part = parts[i]!;
      if (seg.startsWith(':')) {
        try {
          params[seg.slice(1)] = decodeURIComponent(part);
        } catch {
          ok = false;
          break;
        }
      } else if (seg !== part) {
        ok = false;
        break;
      }
    }
    if (ok) return { c, params };
  }
  return null;
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

interface FaultState {
  spec: FaultSpec;
  remaining: number | null;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: SandboxReply): void {
  if (res.headersSent || res.destroyed) return;
  const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const headers: Record<string, string> = { ...reply.headers };
  if (text.length > 0 && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}

/** A truncated JSON text: a strict prefix of an object's JSON is never valid JSON. */
function truncatedJson(body: unknown): string {
  const text = JSON.stringify(body ?? {});
  if (!text.startsWith('{') && !text.startsWith('[')) return '{"';
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}

/** The body minus its first top-level field (every wire schema requires the first field). */
function withoutFirstField(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const entries = Object.entries(body as Record<string, unknown>);
  return Object.fromEntries(entries.slice(1));
}

function endpointMatches(spec: FaultSpec, key: string, template: string): boolean {
  if (!spec.endpoints || spec.endpoints.length === 0) return true;
  return spec.endpoints.some((e) => (e.includes(' ') ? e === key : e === template));
}

/**
 * Starts one provider server.
 * @returns a handle once the server listens.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<SandboxServerHandle> {
  const routes = opts.routes.map(compile);
  const control = [...controlRoutesFor(), ...(opts.controlRoutes ?? [])].map((r) => compile({ ...r, template: `/__sandbox${r.template}` }));
  const random = mulberry32((opts.seed ?? 1) ^ 0x5eed);
  const now = opts.now ?? (() => new Date());
  const maxBody = opts.maxBodyBytes ?? 5 * 1024 * 1024;
  let counts = new Map<string, number>();
  let total = 0;
  let latency: LatencySpec | null = opts.latency ? LatencySpec.parse(opts.latency) : null;
  let faults: FaultState[] = [];
  let gate: Promise<void> | null = null;
  let waiting = 0;
  let active = 0;
  let peak = 0;

  const setFaults = (list: FaultSpec[]) => {
    faults = list.map((f) => {
      const spec = FaultSpec.parse(f);
      return { spec, remaining: spec.count ?? null };
    });
  };
  setFaults(opts.faults ?? []);

  const handle: SandboxServerHandle = {
    provider: opts.provider,
    url: '',
    port: 0,
    stats: () => ({ total, byEndpoint: Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) }),
    resetStats: () => {
      counts = new Map();
      total = 0;
      peak = active;
    },
    setLatency: (l) => {
      latency = l ? LatencySpec.parse(l) : null;
    },
    setFaults,
    addFault: (f) => {
      const spec = FaultSpec.parse(f);
      faults.push({ spec, remaining: spec.count ?? null });
    },
    clearFaults: () => {
      faults = [];
    },
    faults: () => faults.map((f) => (f.remaining === null ? { ...f.spec } : { ...f.spec, count: f.remaining })),
    hold: () => {
      let release!: () => void;
      const g = new Promise<void>((r) => (release = r));
      gate = g;
      return () => {
        if (gate === g) gate = null;
        release();
      };
    },
    held: () => waiting,
    inFlight: () => ({ now: active, peak }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };

  /** Picks the fault to apply to this request, consuming its count. */
  const pickFault = (key: string, template: string, auth: boolean): FaultSpec | null => {
    for (const f of faults) {
      if (!endpointMatches(f.spec, key, template)) continue;
      if (f.spec.kind === 'expired_token' && !auth) continue;
      if (f.remaining !== null && f.remaining <= 0) continue;
      if (f.spec.rate !== undefined && !(random() < f.spec.rate)) continue;
      if (f.remaining !== null) f.remaining--;
      faults = faults.filter((x) => x.remaining === null || x.remaining > 0);
      return f.spec;
    }
    return null;
  };

  function controlRoutesFor(): Route[] {
    const bad = (message: string): SandboxReply => ({ status: 400, body: { error: 'bad_request', message } });
    return [
      { method: 'GET', template: '/stats', handle: () => ({ status: 200, body: handle.stats() }) },
      {
        method: 'POST',
        template: '/stats/reset',
        handle: () => {
          handle.resetStats();
          return { status: 204 };
        },
      },
      { method: 'GET', template: '/faults', handle: () => ({ status: 200, body: { faults: handle.faults() } }) },
      {
        method: 'PUT',
        template: '/faults',
        handle: (req) => {
          const p = FaultsBody.safeParse(req.body);
          if (!p.success) return bad(p.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
          setFaults(Array.isArray(p.data) ? p.data : p.data.faults);
          return { status: 200, body: { faults: handle.faults() } };
        },
      },
      {
        method: 'DELETE',
        template: '/faults',
        handle: () => {
          handle.clearFaults();
          return { status: 204 };
        },
      },
      { method: 'GET', template: '/latency', handle: () => ({ status: 200, body: { latency } }) },
      {
        method: 'PUT',
        template: '/latency',
        handle: (req) => {
          if (req.body === null || (typeof req.body === 'object' && Object.keys(req.body as object).length === 0)) {
            handle.setLatency(null);
            return { status: 200, body: { latency } };
          }
          const p = LatencySpec.safeParse(req.body);
          if (!p.success) return bad(p.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
          handle.setLatency(p.data);
          return { status: 200, body: { latency } };
        },
      },
    ];
  }

  const server: Server = createServer((req, res) => {
    void serve(req, res).catch((e: unknown) => {
      send(res, { status: 500, body: opts.style.errorBody(500, `sandbox error: ${(e as Error).message}`) });
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const path = url.pathname;
    const ip = req.socket.remoteAddress ?? '';
    const document = method === 'GET' ? opts.openApiDocuments?.[path] : undefined;
    if (document !== undefined) return send(res, await openApiReply(document, opts.style));
    const isControl = path === '/__sandbox' || path.startsWith('/__sandbox/');
    const m = match(isControl ? control : routes, method, path);

    if (!isControl) {
      const key = m ? m.c.key : `${method} (unmatched)`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
      active++;
      peak = Math.max(peak, active);
      let done = false;
      const finished = () => {
        if (!done) active--;
        done = true;
      };
      res.once('finish', finished);
      res.once('close', finished);
      if (gate) {
        waiting++;
        await gate;
        waiting--;
      }
    }

    let text: string;
    try {
      text = await readBody(req, maxBody);
    } catch (e) {
      if (e instanceof BodyTooLarge) return send(res, { status: 413, body: opts.style.errorBody(413, 'request body too large') });
      throw e;
    }
    let body: unknown;
    let bodyError = false;
    if (text.trim().length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        bodyError = true;
      }
    }
    const sreq: SandboxRequest = { method, path, params: m?.params ?? {}, query: url.searchParams, headers: req.headers, body, ip, endpoint: m?.c.key ?? '', now: now() };

    if (isControl) {
      if (!m) return send(res, { status: 404, body: { error: 'not_found', message: `no control route ${method} ${path}` } });
      if (bodyError) return send(res, { status: 400, body: { error: 'bad_request', message: 'body is not JSON' } });
      return send(res, await m.c.route.handle(sreq));
    }

    if (latency) {
      const max = latency.maxMs ?? latency.minMs;
      const ms = latency.minMs + Math.floor(random() * (max - latency.minMs + 1));
      if (ms > 0) await sleep(ms);
      sreq.now = now();
    }

    if (opts.guard) {
      const g = opts.guard(sreq);
      if (g) return send(res, g);
    }

    if (!m) return send(res, { status: 404, body: opts.style.errorBody(404, `no route ${method} ${path}`) });

    const fault = pickFault(m.c.key, m.c.route.template, m.c.route.auth === true);
    if (fault) {
      switch (fault.kind) {
        case 'timeout':
          // Hold the socket: no answer until the client aborts or the server closes.
          return;
        case 'status': {
          const status = fault.status ?? 503;
          return send(res, { status, body: opts.style.errorBody(status, `injected fault: HTTP ${status}`) });
        }
        case 'rate_limit': {
          const retry = fault.retryAfterSeconds ?? 1;
          return send(res, { status: 429, headers: { 'retry-after': String(retry) }, body: opts.style.errorBody(429, `rate limit exceeded; retry after ${retry} s`) });
        }
        case 'expired_token':
          return send(res, opts.style.expiredToken(sreq));
        case 'malformed':
          break;
      }
    }

    if (bodyError) return send(res, { status: 400, body: opts.style.errorBody(400, 'request body is not valid JSON') });
    const reply = await m.c.route.handle(sreq);
    if (fault?.kind === 'malformed') {
      if (fault.mode === 'missing_fields') return send(res, { status: 200, body: withoutFirstField(reply.body) });
      return send(res, { status: 200, raw: truncatedJson(reply.body), headers: { 'content-type': 'application/json; charset=utf-8' } });
    }
    return send(res, reply);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  Object.assign(handle, { url: `http://${urlHost}:${addr.port}`, port: addr.port });
  return handle;
}

/** Sums counters of several servers (endpoint keys are distinct across providers: their paths differ). */
export function mergeStats(all: readonly SandboxStats[]): SandboxStats {
  const byEndpoint: Record<string, number> = {};
  let total = 0;
  for (const s of all) {
    total += s.total;
    for (const [k, v] of Object.entries(s.byEndpoint)) byEndpoint[k] = (byEndpoint[k] ?? 0) + v;
  }
  return { total, byEndpoint };
}

/** The bearer token of a request, or null. */
export function bearerOf(req: SandboxRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** JSON-safe integer rupiah (all sandbox amounts are below 2^53). */
export function rupiahJson(amount: bigint): number {
  return Number(amount);
}
