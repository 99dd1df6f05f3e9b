/**
 * HTTP server: GraphQL at /graphql (Apollo Server 5 through its
 * `executeHTTPGraphQLRequest`, so other routes can live beside it), the
 * webhooks, the consent pages (/consent), /healthz, /readyz and /metrics (on the main port or a port of its
 * own, optionally behind a bearer token). Requests carry an `x-request-id`
 * (generated when absent) that errors and logs share.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { type DocumentNode, getOperationAST, GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate } from 'graphql';
import { type ApiClient, type JwtSettings, verifyClientToken } from '../auth';
import { type Core, CoreError } from '../core';
import { type GraphQLContext, PartialErrors } from '../graphql/context';
import { DATABASE_RETRY_AFTER_SECONDS, formatError, UnauthenticatedError } from '../graphql/errors';
import { defaultHardening, hardening, type HardeningOptions, type LimiterStore } from '../graphql/hardening';
import { graphqlSchema } from '../graphql/schema';
import { type AdmissionOptions, type AdmissionStats, admissionGate, DEFAULT_ADMISSION } from '../graphql/admission';
import { createJitExecutor, type GraphQLExecutorKind, jitGateway } from '../graphql/executor';
import { traceOperation, tracingPlugin } from '../graphql/tracing';
import { responseCachePlugin, stringifyResult } from '../graphql/response-cache';
import type { Logger } from '../logger';
import { isDatabaseUnavailable } from '../store/database';
import { graphqlDuration, graphqlRequests, operationLabel, registry } from '../metrics';
import type { WebhookSettings } from '../providers/connector';
import { handleWebhook } from '../webhooks/routes';
import { handleConsentPage } from '../consent-page/routes';
import type { TrustProxy } from '../config';
import { deriveClientIp } from './client-ip';

/** What the HTTP server serves, built by `createApp` (src/app.ts). */
export interface ServerDeps {
  readonly core: Core;
  readonly jwt: JwtSettings;
  readonly log: Logger;
  /** Receiver settings of provider and bank callbacks. */
  readonly webhooks: WebhookSettings;
  /** Readiness report (database, migrations, provider circuits); `ready` false answers 503. */
  readonly readiness: () => Promise<{ ready: boolean } & Record<string, unknown>>;
  /** GraphQL limits, introspection, suggestions, batching and rate limiting; defaultHardening(false) when unset. */
  readonly hardening?: HardeningOptions;
  /** Where per-client GraphQL budgets are counted, shared by every instance (Redis, or the PostgreSQL server's pool); in memory when unset. */
  readonly rateLimitStore?: LimiterStore;
  /** HTML of the GraphQL IDE served at GET /graphql to browsers (Accept: text/html), or a function giving it; none when unset. */
  readonly playgroundHtml?: string | (() => string);
  /** NODE_ENV=production: no /metrics on the main port unless a metrics token guards it. */
  readonly production?: boolean;
  /** /metrics settings: the bearer token it requires (METRICS_TOKEN); none when unset. */
  readonly metrics?: { readonly token?: string };
  /** Proxies trusted to report the client's address in X-Forwarded-For (TRUST_PROXY); none when unset. */
  readonly trustProxy?: TrustProxy;
  /** What executes queries and mutations over HTTP (GRAPHQL_EXECUTOR, src/graphql/executor.ts); `jit` when unset. */
  readonly executor?: GraphQLExecutorKind;
  /** Admission of heavy operations (GRAPHQL_HEAVY_CONCURRENCY, GRAPHQL_HEAVY_WORK; src/graphql/admission.ts); DEFAULT_ADMISSION when unset. */
  readonly admission?: AdmissionOptions;
}

/** Where the server listens. */
export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** A port of its own (on `host`) serving only /metrics (METRICS_PORT); 0 picks a free port. Unset: none. */
  metricsPort?: number;
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly http: http.Server;
  /** Base URL of the metrics listener (`${metricsUrl}/metrics`) when it has its own port. */
  readonly metricsUrl?: string;
  /** What the admission gate of heavy operations has done (src/graphql/admission.ts). */
  admission(): AdmissionStats;
  /** Stops accepting, lets in-flight requests finish, stops Apollo. Idempotent: a second call waits for the first. */
  close(): Promise<void>;
}

/** Largest request body accepted, bytes. */
const MAX_BODY = 1_000_000;
/**
 * How much of a body over MAX_BODY is read and thrown away after the 413 answer, bytes. Reading the rest keeps
 * the connection usable and lets the answer reach a client still sending (a socket closed with unread data
 * resets the connection, and a reset can discard an answer not yet delivered); past this the connection is closed.
 */
const MAX_DISCARD = 16 * MAX_BODY;

/** A request body over MAX_BODY (answered 413 with this JSON reason). */
class BodyTooLarge extends Error {
  readonly status = 413;
  constructor() {
    super(`request body too large (limit ${MAX_BODY} bytes)`);
  }
}

/**
 * Appends per-provider partial errors collected during execution to the
 * response, and queues the request's access-log entries for the batch writer.
 */
const partialErrorsPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        // Queued for the access log's batch writer (src/core/access-log.ts), written within 100 ms; when the
        // writer is behind, the response waits for it (the log is never kept complete by dropping entries).
        await contextValue.scope?.guard.flush();
        if (response.body.kind !== 'single') return;
        const extra = contextValue.partial?.list() ?? [];
        const r = response.body.singleResult;
        if (extra.length) r.errors = [...(r.errors ?? []), ...extra.map((e) => e.toJSON())];
        // Masked internal errors (and an unreachable database) carry the request id the logs carry.
        if (r.errors && contextValue.scope?.requestId) {
          r.errors = r.errors.map((e) => (e.extensions?.code === 'INTERNAL_SERVER_ERROR' || e.extensions?.code === 'DATABASE_UNAVAILABLE' ? { ...e, extensions: { ...e.extensions, requestId: contextValue.scope.requestId } } : e));
        }
      },
      async didEncounterErrors({ errors, contextValue }) {
        for (const e of errors) {
          const code = e.extensions?.code;
          if ((code === undefined || code === 'INTERNAL_SERVER_ERROR') && !(e.originalError instanceof CoreError)) {
            if (isDatabaseUnavailable(e.originalError)) contextValue.scope?.log.warn({ err: e.originalError?.message, path: e.path }, 'database unavailable');
            else contextValue.scope?.log.error({ err: e.originalError?.message ?? e.message, path: e.path }, 'internal error');
          }
        }
      },
    };
  },
};

/** Reads and discards the rest of a refused body, up to MAX_DISCARD bytes; then closes the connection. */
/** The path of a request as logs show it: no query, and a consent link's handle (a bearer secret) replaced. */
function loggedPath(url: string | undefined): string {
  return (url ?? '').split('?')[0]!.replace(/^\/consent\/[A-Za-z0-9_-]{43}/, '/consent/{handle}');
}

function discardRest(req: http.IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

/**
 * The request body as text.
 * @throws BodyTooLarge when it is (or says it is) over MAX_BODY: the rest is then read and discarded
 *   (`discardRest`) while the 413 is answered; never by breaking off the read, which destroys the socket.
 */
function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > MAX_BODY) {
      discardRest(req);
      return reject(new BodyTooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      done();
      chunks.length = 0;
      discardRest(req);
      reject(new BodyTooLarge());
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const onClose = () => {
      done();
      reject(new Error('request aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Whether `authorization` is `Bearer <token>` (constant time over digests). */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/** Whether a GraphQL response body carries errors and every one of them is DATABASE_UNAVAILABLE. */
function onlyDatabaseUnavailable(body: string): boolean {
  // Apollo writes `errors` first (orderExecutionResultFields): an answer without errors is not scanned (a
  // large answer took milliseconds to search).
  if (!body.startsWith('{"errors"') || !body.includes('"DATABASE_UNAVAILABLE"')) return false;
  try {
    const errors = (JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] }).errors;
    return Array.isArray(errors) && errors.length > 0 && errors.every((e) => e?.extensions?.code === 'DATABASE_UNAVAILABLE');
  } catch {
    return false;
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Starts the server on host:port (port 0 picks a free port). Background jobs are not its business
 * (`createApp` runs them).
 * @throws when the port cannot be bound.
 */
export async function startHttpServer(deps: ServerDeps, opts: ListenOptions): Promise<RunningServer> {
  const httpServer = http.createServer();
  const schema = await graphqlSchema();
  const metricsToken = deps.metrics?.token;
  // METRICS_PORT: served there only. Otherwise on the main port, in production only behind METRICS_TOKEN.
  const metricsOnMainPort = opts.metricsPort === undefined && (metricsToken !== undefined || !deps.production);

  async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (metricsToken !== undefined && !bearerMatches(req.headers.authorization, metricsToken)) {
      return sendJson(res, 401, { error: 'unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>' }, { 'www-authenticate': 'Bearer realm="metrics"' });
    }
    // The backlog is shared by every instance: measured from the database at scrape time.
    await deps.core.events.backlog().catch(() => undefined);
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(await registry.metrics());
  }

  /** The per-request (or per-subscription) context of a verified client. */
  function contextFor(client: ApiClient, requestId: string, log: Logger): GraphQLContext {
    return { scope: deps.core.openScope(client, requestId, log.child({ clientId: client.id })), core: deps.core, partial: new PartialErrors() };
  }

  const hard = hardening(schema, deps.hardening ?? defaultHardening(false), deps.rateLimitStore);
  /** The verified client of a graphql-ws connection (bearer in connectionParams.authorization), or null. */
  const wsClient = (params: unknown): ApiClient | null => {
    const auth = String((params as Record<string, unknown> | undefined)?.authorization ?? '');
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) return null;
    try {
      return verifyClientToken(deps.jwt, m[1]!);
    } catch {
      return null;
    }
  };
  /** An error answered over graphql-ws, formatted as over HTTP (codes kept, suggestions stripped in production). */
  const wsError = (e: GraphQLError, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'): GraphQLError => {
    const json = e.toJSON();
    const f = hard.formatError(formatError({ ...json, extensions: { ...json.extensions, code } }, e), e);
    return new GraphQLError(f.message, { extensions: f.extensions });
  };
  // GraphQL subscriptions over graphql-ws on the same path; the bearer token comes in connectionParams.authorization.
  // Only subscriptions are served here, under the same parser limit, validation rules (graphql-armor's limits
  // included) and introspection setting as HTTP; queries and mutations go over HTTP.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer(
    {
      schema,
      onConnect: (c) => wsClient(c.connectionParams) !== null,
      onSubscribe: (c, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query, hard.parseOptions);
        } catch (e) {
          return [wsError(e instanceof GraphQLError ? e : new GraphQLError('Syntax Error'), 'GRAPHQL_PARSE_FAILED')];
        }
        const op = getOperationAST(document, payload.operationName);
        if (!op || op.operation !== 'subscription') {
          return [new GraphQLError('only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        const rules = [...specifiedRules, ...hard.validationRules, ...(hard.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
        const errors = validate(schema, document, rules);
        if (errors.length) return errors.map((e) => wsError(e, 'GRAPHQL_VALIDATION_FAILED'));
        const client = wsClient(c.connectionParams)!;
        const requestId = randomUUID();
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: contextFor(client, requestId, deps.log.child({ requestId, transport: 'ws' })),
        };
      },
    },
    wsServer,
  );

  const metricsPlugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName, errors }) {
          const operation = operationLabel(operationName);
          const body = response.body.kind === 'single' ? response.body.singleResult : null;
          const failed = (errors?.length ?? 0) > 0 || (body?.errors?.length ?? 0) > 0;
          graphqlRequests.inc({ operation, outcome: !failed ? 'success' : body?.data ? 'partial' : 'error' });
          graphqlDuration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };

  // Execution through Apollo's gateway interface (which then supplies the schema), so that heavy operations pass the
  // admission gate on either executor: GRAPHQL_EXECUTOR=jit compiles operations, graphql-js never does.
  const gate = admissionGate(schema, deps.admission ?? DEFAULT_ADMISSION);
  const executor = createJitExecutor(schema, { gate, ...((deps.executor ?? 'jit') === 'jit' ? {} : { compileAfter: Number.POSITIVE_INFINITY }) });
  const apollo = new ApolloServer<GraphQLContext>({
    gateway: jitGateway(schema, executor),
    includeStacktraceInErrorResponses: false,
    // The CLI owns shutdown order (server, then sandbox, then database).
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    introspection: hard.introspection,
    allowBatchedHttpRequests: hard.allowBatchedHttpRequests,
    validationRules: hard.validationRules,
    parseOptions: hard.parseOptions,
    formatError: (formatted, error) => hard.formatError(formatError(formatted, error), error),
    // A stored answer's body is made once, when it is stored (src/graphql/response-cache.ts).
    stringifyResult,
    // No cache hints are used (responses are per client and consent, never shared): Apollo's cache-control
    // plugin, on by default, would only wrap every field resolver to compute a policy nobody reads.
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), responseCachePlugin(deps.core.responses), partialErrorsPlugin, metricsPlugin, tracingPlugin, ...hard.plugins],
  });
  await apollo.start();

  httpServer.on('request', (req, res) => {
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();
    res.setHeader('x-request-id', requestId);
    const log = deps.log.child({ requestId });
    const started = performance.now();
    const meta: { clientId?: string } = {};
    // The client's address (TRUST_PROXY): logged, the caller IP of webhooks, the per-IP one-time-code limit.
    const ip = deriveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trustProxy ?? { kind: 'none' });
    res.once('finish', () => {
      log.info({ method: req.method, path: loggedPath(req.url), status: res.statusCode, ms: Math.round(performance.now() - started), clientId: meta.clientId, ip }, 'request completed');
    });
    handle(req, res, requestId, log, meta, ip).catch((e: Error & { status?: number }) => {
      if (e.status) log.warn({ err: e.message, status: e.status }, 'request refused');
      else log.error({ err: e.message }, 'request failed');
      if (!res.headersSent) sendJson(res, e.status ?? 500, { error: e.status ? e.message : 'internal error', requestId });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, log: Logger, meta: { clientId?: string }, ip: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      const r = await deps.readiness();
      return sendJson(res, r.ready ? 200 : 503, r);
    }
    if (url.pathname === '/metrics') return metricsOnMainPort ? serveMetrics(req, res) : sendJson(res, 404, { error: 'not found' });
    if (url.pathname.startsWith('/webhooks/')) {
      const raw = req.method === 'POST' ? await readBody(req) : '';
      const handled = await handleWebhook(req, res, url.pathname, raw, { settings: deps.webhooks, events: deps.core.events, clock: deps.core.deps.clock, requestId, ip }, log);
      if (!handled) sendJson(res, 404, { error: 'not found' });
      return;
    }
    if (url.pathname === '/consent' || url.pathname.startsWith('/consent/')) {
      await handleConsentPage(req, res, url, { core: deps.core, log, secureCookies: () => deps.core.deps.publicUrl().startsWith('https:'), clientIp: () => ip });
      return;
    }
    if (url.pathname !== '/graphql') return sendJson(res, 404, { error: 'not found' });
    if (req.method === 'GET' && deps.playgroundHtml && (req.headers.accept ?? '').includes('text/html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(typeof deps.playgroundHtml === 'function' ? deps.playgroundHtml() : deps.playgroundHtml);
      return;
    }

    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body: unknown = raw;
    if (req.method === 'POST' && (headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        return sendJson(res, 400, { errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      }
    }
    // One span per operation (src/graphql/tracing.ts): the provider calls its resolvers make are its children.
    const result = await traceOperation(requestId, () => apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => {
        const auth = headers.get('authorization') ?? '';
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        if (!m) throw new UnauthenticatedError('missing bearer token');
        let client;
        try {
          client = verifyClientToken(deps.jwt, m[1]!);
        } catch (e) {
          throw new UnauthenticatedError((e as Error).message);
        }
        meta.clientId = client.id;
        const ctx = contextFor(client, requestId, log);
        return ctx;
      },
    }));
    for (const [k, v] of result.headers) res.setHeader(k, v);
    res.statusCode = result.status ?? 200;
    // Nothing went wrong but the database (down, restarting): 503 with Retry-After, so clients and balancers retry later.
    if (result.body.kind === 'complete' && onlyDatabaseUnavailable(result.body.string)) {
      res.statusCode = 503;
      res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    }
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  // /metrics on a port of its own (METRICS_PORT): nothing else is served there.
  const metricsServer =
    opts.metricsPort === undefined
      ? null
      : http.createServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return sendJson(res, 404, { error: 'not found' });
          serveMetrics(req, res).catch((e: Error) => {
            deps.log.error({ err: e.message }, 'metrics request failed');
            if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
            else res.end();
          });
        });
  const listen = (server: http.Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const urlOf = (server: http.Server) => {
    const addr = server.address() as AddressInfo;
    return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  };
  await listen(httpServer, opts.port);
  if (metricsServer) {
    try {
      await listen(metricsServer, opts.metricsPort!);
    } catch (e) {
      await wsCleanup.dispose();
      wsServer.close();
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
      throw e;
    }
  }
  let closing: Promise<void> | null = null;
  return {
    url: urlOf(httpServer),
    http: httpServer,
    ...(metricsServer ? { metricsUrl: urlOf(metricsServer) } : {}),
    admission: () => gate.stats(),
    close() {
      closing ??= (async () => {
        await wsCleanup.dispose();
        wsServer.close();
        await apollo.stop();
        if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
        if (metricsServer?.listening) await new Promise<void>((r) => metricsServer.close(() => r()));
      })();
      return closing;
    },
  };
}

