/**
 * The composition root: `createApp(config, overrides?)` is the only place the
 * application is built (database, connectors, core services, event applier,
 * sync and scheduler, HTTP server). `satukredit` (src/cli.ts), the tests and the
 * benchmark all call it; tests and the bench pass overrides, never a copy of the
 * wiring. All configuration comes from the one validated `Config`.
 *
 * This module is also the public entry point for tests and the benchmark: what
 * they may use besides `createApp` is re-exported at the bottom.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JwtSettings } from './auth';
import { type Config, normalizeIp, SETTLEMENT_BANKS } from './config';
import { Core, DEFAULT_CODE_POLICY } from './core';
import { DEFAULT_EVENT_POLICY, type EventPolicy } from './core/events.service';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './core/client-webhooks';
import { type AccessLogPolicy, DEFAULT_ACCESS_LOG_POLICY } from './core/access-log';
import type { ResponseCachePolicy } from './core/response-cache';
import { ClientRegistry } from './core/client-registry';
import { DEFAULT_LAG_MINUTES, type LagMinutes } from './core/ledger.service';
import { Redis } from 'ioredis';
import { pgPublisher } from './core/pg-publisher';
import { redisPublisher } from './core/redis-publisher';
import { inProcessPublisher, type Publisher } from './core/publisher';
import { type Scheduler, startScheduler } from './core/scheduler';
import type { FreshnessPolicy } from './domain/freshness';
import type { ProviderCode } from './domain/types';
import { defaultHardening, type HardeningOptions } from './graphql/hardening';
import { presetsToken, renderPlayground } from './graphql/playground';
import { type RunningServer, startHttpServer } from './http/server';
import { createLogger, type Logger } from './logger';
import { recordProviderCall } from './metrics';
import { type Clock, type SessionStore, systemClock, type WebhookSettings } from './providers/connector';
import type { ProviderCallRecord, ResilienceOptions } from './providers/http';
import { type Connectors, createConnectors, PROVIDER_DEFINITIONS } from './providers/registry';
import type { SnapBankConfig } from './providers/registry';
import { noGateway, SmsGateway } from './notify/sms-gateway';
import { type Database, openDatabase } from './store/database';
import { pendingMigrations } from './store/migrate';
import { startTracing, type Tracing } from './tracing';

/** What tests, the benchmark and the CLI may replace. */
export interface AppOverrides {
  /** The clock every service reads (default: the system clock). */
  clock?: Clock;
  /** An open database to use instead of the one the configuration names; the caller keeps and closes it. */
  database?: Database;
  /** The logger (default: JSON lines at LOG_LEVEL). */
  log?: Logger;
  /**
   * GraphQL limits (default: `defaultHardening(NODE_ENV === 'production')` with GRAPHQL_COST_PER_MINUTE). Budgets
   * registered in API_CLIENTS (`costPerMinute`) apply either way, unless `clientCostPerMinute` names the client.
   */
  hardening?: HardeningOptions;
  /**
   * Receiver settings laid over the configuration's; `banks` only fills banks the configuration does not
   * set (the sandbox banks' keys in demo mode and tests).
   */
  webhooks?: Partial<WebhookSettings>;
  /** Called after every provider HTTP call, besides the metrics. */
  onProviderCall?: (c: ProviderCallRecord) => void;
  /**
   * The GraphQL IDE page served at GET /graphql to browsers, or a function giving it (told whether the app runs
   * in production, where `renderPlayground` must get `production: true`). In production a page that presets a
   * token is never served: the page without token or examples is served instead.
   */
  playgroundHtml?: string | ((env: { production: boolean }) => string);
  /** Run the sync jobs on their cron schedule (default true). */
  scheduler?: boolean;
  /** The change publisher (default: LISTEN/NOTIFY on a PostgreSQL server, in-process on the embedded database). */
  publisher?: Publisher;
  /** How stored webhook events are claimed and retried (default: DEFAULT_EVENT_POLICY). */
  eventPolicy?: Partial<EventPolicy>;
  /** Run the webhook event worker on start (default true; tests that apply events by hand turn it off). */
  eventWorker?: boolean;
  /** How client webhooks are attempted (default: DEFAULT_DELIVERY_POLICY with WEBHOOK_DELIVERY_TIMEOUT_MS, https only in production). */
  deliveryPolicy?: Partial<DeliveryPolicy>;
  /** Run the client webhook delivery worker on start (default true; tests that attempt deliveries by hand, `core.webhooks.idle()`, turn it off). */
  deliveryWorker?: boolean;
  /** How access-log entries are batched (default: DEFAULT_ACCESS_LOG_POLICY). */
  accessLogPolicy?: Partial<AccessLogPolicy>;
  /** Size and lifetime of the response cache (default: RESPONSE_CACHE_MB and RESPONSE_CACHE_TTL_MS). */
  responseCache?: Partial<ResponseCachePolicy>;
}

/** Background jobs of a running app. */
export interface AppJobs {
  /** Expires consents past their expiry and purges data past its data life; runs at start and every minute. */
  sweepConsents(): Promise<{ expired: number; purged: number }>;
  /** Applies stored events not applied yet (claimed like any other); runs at start. @returns how many were waiting. */
  recoverEvents(): Promise<number>;
  /** The cron scheduler of the sync jobs, once started (null when disabled or not started). */
  readonly scheduler: Scheduler | null;
}

/** The built application. */
export interface App {
  readonly config: Config;
  readonly database: Database;
  /** The application services. */
  readonly core: Core;
  readonly connectors: Connectors;
  readonly jwt: JwtSettings;
  readonly webhooks: WebhookSettings;
  readonly log: Logger;
  readonly jobs: AppJobs;
  /** OpenTelemetry traces (README, "Observability"): exported when the OTEL_* variables ask; shut down by `close()`. */
  readonly tracing: Tracing;
  /** The HTTP server's base URL. @throws Error before `start()`. */
  readonly url: string;
  /**
   * Starts the HTTP server on the configured host and port (or those given), then the background jobs.
   * @throws when the port cannot be bound, or when the app was already started.
   */
  start(listen?: { host?: string; port?: number }): Promise<RunningServer>;
  /** Stops the server, the jobs and the event applier, and closes the database it opened. */
  close(): Promise<void>;
}

/** Freshness policy from configuration. */
export function freshnessPolicy(cfg: Config): FreshnessPolicy {
  return {
    nearDueTtlSeconds: cfg.FRESHNESS_NEAR_DUE_TTL_SECONDS,
    ttlSeconds: cfg.FRESHNESS_TTL_SECONDS,
    daysBeforeDue: cfg.FRESHNESS_DAYS_BEFORE_DUE,
    daysAfterDue: cfg.FRESHNESS_DAYS_AFTER_DUE,
  };
}

/** Expected settlement lag per channel from SETTLEMENT_LAG_MINUTES_<BANK>, over the documented defaults. */
export function lagMinutes(cfg: Config): LagMinutes {
  const out: Record<string, number> = { ...DEFAULT_LAG_MINUTES };
  for (const k of Object.keys(DEFAULT_LAG_MINUTES)) {
    const v = cfg[`SETTLEMENT_LAG_MINUTES_${k as keyof LagMinutes}`];
    if (v !== undefined) out[k] = v;
  }
  return out as LagMinutes;
}

/**
 * Callback receiver settings from configuration; banks without a partner id and a key are not accepted.
 * @throws Error when SNAP_<BANK>_PUBLIC_KEY_FILE cannot be read.
 */
export function webhookSettings(cfg: Config): WebhookSettings {
  const lag = lagMinutes(cfg);
  const banks: WebhookSettings['banks'] = {};
  for (const bank of SETTLEMENT_BANKS) {
    const partnerId = cfg[`SNAP_${bank}_PARTNER_ID`];
    const file = cfg[`SNAP_${bank}_PUBLIC_KEY_FILE`];
    const publicKey = cfg[`SNAP_${bank}_PUBLIC_KEY`] ?? (file ? readFileSync(file, 'utf8') : undefined);
    const secret = cfg[`SNAP_${bank}_HMAC_SECRET`];
    if (!partnerId || (!publicKey && !secret)) continue;
    const signature: SnapBankConfig['signature'] = publicKey ? { kind: 'RSA', publicKey } : { kind: 'HMAC', secret: secret! };
    banks[bank] = { bank, partnerId, serviceCode: cfg[`SNAP_${bank}_SERVICE_CODE`], signature, expectedLagMinutes: lag[bank] };
  }
  return {
    finfraAuthKey: cfg.FINFRA_CALLBACK_KEY ?? null,
    // Spelled as the caller IP is (`normalizeIp`: `::ffff:1.2.3.4` is `1.2.3.4`), so either spelling matches.
    dompetKilatIps: cfg.DOMPETKILAT_CALLBACK_IPS.split(',').map((s) => s.trim()).filter(Boolean).map((s) => normalizeIp(s) ?? s),
    banks,
    timestampWindowSeconds: cfg.SNAP_TIMESTAMP_WINDOW_SECONDS,
  };
}

/**
 * Accounts' session credentials as every instance sees them. On a PostgreSQL server a renewal holds the
 * account's transaction-scoped advisory lock while it reads the stored session, renews it at the provider
 * if still needed, and stores the result: one renewal per account across instances. The embedded database
 * serves one process, whose connectors already renew once per account, so no lock is taken there (it would
 * hold PGlite's only connection during the provider call).
 */
function sessionStore(database: Database): SessionStore {
  const { prisma } = database;
  return {
    async renew(provider, externalId, fn) {
      if (database.kind !== 'server') {
        const row = await prisma.providerAccount.findFirst({ where: { provider, externalId } });
        const out = await fn((row?.credentials as object | null) ?? null);
        if (out.store) await prisma.providerAccount.updateMany({ where: { provider, externalId }, data: { credentials: out.store } });
        return out.result;
      }
      return prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`session:${provider}:${externalId}`}, 0))`;
          const row = await tx.providerAccount.findFirst({ where: { provider, externalId } });
          const out = await fn((row?.credentials as object | null) ?? null);
          if (out.store) await tx.providerAccount.updateMany({ where: { provider, externalId }, data: { credentials: out.store } });
          return out.result;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    },
  };
}

/**
 * The JWT settings: JWT_SECRET, or a random secret generated once and kept in
 * `<dataDir>/jwt-secret` (mode 0600) so tokens survive restarts.
 */
export async function jwtSettings(cfg: Config): Promise<JwtSettings> {
  let secret = cfg.JWT_SECRET;
  if (!secret) {
    const file = path.join(cfg.dataDir, 'jwt-secret');
    secret = await readFile(file, 'utf8').catch(() => undefined);
    if (!secret) {
      await mkdir(cfg.dataDir, { recursive: true });
      secret = randomBytes(48).toString('base64url');
      await writeFile(file, secret, { mode: 0o600 });
    }
    secret = secret.trim();
  }
  const publicKey = cfg.JWT_PUBLIC_KEY ?? (cfg.JWT_PUBLIC_KEY_FILE ? await readFile(cfg.JWT_PUBLIC_KEY_FILE, 'utf8') : undefined);
  return { secret, publicKey, issuer: cfg.JWT_ISSUER, audience: cfg.JWT_AUDIENCE };
}

/**
 * The playground page provider the server calls. In production a page that presets a token (a caller that
 * did not pass `production` to `renderPlayground`) is replaced by the bare page, and the mistake is logged once.
 */
function playgroundPage(page: AppOverrides['playgroundHtml'], production: boolean, log: Logger): (() => string) | undefined {
  if (page === undefined) return undefined;
  const get = typeof page === 'function' ? () => page({ production }) : () => page;
  if (!production) return get;
  let checked: { html: string; safe: string } | null = null;
  return () => {
    const html = get();
    if (checked?.html !== html) {
      const carries = presetsToken(html);
      if (carries) log.error('the playground page presets a token; in production it is served without token or examples');
      checked = { html, safe: carries ? renderPlayground({ production: true }) : html };
    }
    return checked.safe;
  };
}

/** Resilience settings of provider calls from configuration. */
function resilience(cfg: Config): ResilienceOptions {
  return {
    retries: cfg.PROVIDER_RETRIES,
    breakerThreshold: cfg.PROVIDER_BREAKER_THRESHOLD,
    halfOpenAfterMs: cfg.PROVIDER_BREAKER_HALF_OPEN_MS,
    concurrency: cfg.PROVIDER_CONCURRENCY,
  };
}

/**
 * GraphQL hardening: `override`, or the defaults with GRAPHQL_COST_PER_MINUTE; either way with the budgets of
 * clients registered with a `costPerMinute` in API_CLIENTS (those `override.clientCostPerMinute` names excepted).
 */
function hardeningOptions(cfg: Config, override?: HardeningOptions): HardeningOptions {
  const base = override ?? { ...defaultHardening(cfg.NODE_ENV === 'production'), costPerMinute: cfg.GRAPHQL_COST_PER_MINUTE };
  const registered = Object.entries(cfg.API_CLIENTS).flatMap(([id, c]) => (c.costPerMinute === undefined ? [] : [[id, c.costPerMinute] as const]));
  return { ...base, clientCostPerMinute: { ...Object.fromEntries(registered), ...base.clientCostPerMinute } };
}

/**
 * Builds the application from validated configuration. Nothing listens and no job runs until `start()`.
 * @throws Error naming missing provider configuration; when the database cannot be opened or migrated.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.LOG_LEVEL);
  // Everything that can fail on configuration alone comes before the database is opened.
  const jwt = await jwtSettings(config);
  const configured = webhookSettings(config);
  const webhooks: WebhookSettings = { ...configured, ...overrides.webhooks, banks: { ...overrides.webhooks?.banks, ...configured.banks } };
  const database = overrides.database ?? (await openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.dataDir }, { log }));
  const ownsDatabase = !overrides.database;
  const { prisma } = database;
  const onCall = (c: ProviderCallRecord) => {
    recordProviderCall(c);
    overrides.onProviderCall?.(c);
  };
  const providerEnv = {
    config,
    clock,
    onCall,
    // Cairin re-issues refresh tokens: keep the newest with the account.
    saveCredentials: async (provider: ProviderCode, externalId: string, credentials: object) => {
      await prisma.providerAccount.updateMany({ where: { provider, externalId }, data: { credentials } });
    },
    sessions: sessionStore(database),
  };
  let connectors: Connectors;
  let syncConnectors: Connectors;
  try {
    connectors = createConnectors({ ...providerEnv, resilience: resilience(config) });
    // Sync jobs read within each provider's rate limit (SYNC_RATE_LIMIT_*); API reads are limited per client instead.
    syncConnectors = Object.fromEntries(
      PROVIDER_DEFINITIONS.map((d) => [d.code, d.createConnector({ ...providerEnv, resilience: { ...resilience(config), ratePerSecond: Number(config[d.syncRateConfig]) } })]),
    ) as Connectors;
  } catch (e) {
    if (ownsDatabase) await database.close();
    throw e;
  }
  // Changes reach subscribers on every instance: LISTEN/NOTIFY on a PostgreSQL server, in process on the embedded database.
  // With REDIS_URL: subscriptions and budgets through Redis (one client for the budgets, two for the publisher).
  let sharedPublisher: Awaited<ReturnType<typeof pgPublisher>> | null = null;
  let redis: Redis | null = null;
  try {
    if (config.REDIS_URL) {
      redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
      redis.on('error', (e: Error) => log.warn({ err: e.message }, 'redis connection error'));
      await redis.connect();
    }
    if (!overrides.publisher && config.REDIS_URL) sharedPublisher = await redisPublisher(config.REDIS_URL, config.REDIS_KEY_PREFIX, log);
    else if (!overrides.publisher && database.kind === 'server' && database.url) sharedPublisher = await pgPublisher(database.url, log);
  } catch (e) {
    redis?.disconnect();
    if (ownsDatabase) await database.close();
    throw e;
  }
  const publisher = overrides.publisher ?? sharedPublisher ?? inProcessPublisher();
  const notifier = config.SMS_GATEWAY_URL && config.SMS_GATEWAY_KEY ? new SmsGateway({ url: config.SMS_GATEWAY_URL, key: config.SMS_GATEWAY_KEY, timeoutMs: config.PROVIDER_TIMEOUT_MS }) : noGateway;
  // One-time codes are keyed by OTP_SECRET, or by a key derived from the JWT secret (never the secret itself).
  const codeKey = config.OTP_SECRET ? Buffer.from(config.OTP_SECRET, 'utf8') : createHmac('sha256', jwt.secret).update('satukredit one-time codes').digest();
  // Client webhook secrets are encrypted at rest under WEBHOOK_SECRET_KEY, or a key derived from the JWT secret.
  const webhookSecretKey = config.WEBHOOK_SECRET_KEY ? Buffer.from(config.WEBHOOK_SECRET_KEY, 'utf8') : createHmac('sha256', jwt.secret).update('satukredit webhook secrets').digest();
  const core = new Core({ prisma, sql: database.sql, work: database.work, connectors, syncConnectors, clock, log, freshness: freshnessPolicy(config), lagMinutes: lagMinutes(config), publisher, notifier, codeKey, clients: new ClientRegistry(config.API_CLIENTS), publicUrl: () => config.PUBLIC_URL ?? server?.url ?? `http://${config.HOST}:${config.PORT}`,
    eventPolicy: { ...DEFAULT_EVENT_POLICY, ...overrides.eventPolicy },
    accessLogPolicy: { ...DEFAULT_ACCESS_LOG_POLICY, ...overrides.accessLogPolicy },
    responseCachePolicy: { maxBytes: Math.round(config.RESPONSE_CACHE_MB * 1024 * 1024), maxTtlMs: config.RESPONSE_CACHE_TTL_MS, ...overrides.responseCache },
    snapshotCachePolicy: { maxBytes: Math.round(config.SNAPSHOT_CACHE_MB * 1024 * 1024) },
    codePolicy: { ...DEFAULT_CODE_POLICY, sendsPerNik: config.OTP_SENDS_PER_NIK, sendsPerIp: config.OTP_SENDS_PER_IP },
    webhookSecretKey,
    deliveryPolicy: { ...DEFAULT_DELIVERY_POLICY, timeoutMs: config.WEBHOOK_DELIVERY_TIMEOUT_MS, httpsOnly: config.NODE_ENV === 'production', ...overrides.deliveryPolicy },
  });

  const production = config.NODE_ENV === 'production';
  const playgroundHtml = playgroundPage(overrides.playgroundHtml, production, log);

  let server: RunningServer | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  let scheduler: Scheduler | null = null;
  const jobs: AppJobs = {
    sweepConsents: () => core.consents.sweep(),
    recoverEvents: () => core.events.recover(),
    get scheduler() {
      return scheduler;
    },
  };
  const sweep = () =>
    jobs.sweepConsents().then(
      (r) => (r.expired || r.purged) && log.info(r, 'consent sweep'),
      (e: Error) => log.error({ err: e.message }, 'consent sweep failed'),
    );

  /** Readiness: database reachable, migrations applied, and each provider's circuit. */
  async function readiness() {
    let db = 'ok';
    let pending: string[] = [];
    try {
      pending = await pendingMigrations(database.sql);
    } catch {
      db = 'unreachable';
    }
    const providers = Object.fromEntries(Object.values(connectors).map((c) => [c.provider, { circuit: c.circuit }]));
    return { ready: db === 'ok' && pending.length === 0, database: db, pendingMigrations: pending, providers };
  }

  // Traces (src/tracing.ts) start last, when nothing can fail any more; close() shuts them down.
  const tracing = await startTracing(config, log);

  return {
    config,
    database,
    core,
    connectors,
    jwt,
    webhooks,
    log,
    jobs,
    tracing,
    get url() {
      if (!server) throw new Error('the app is not started');
      return server.url;
    },
    async start(listen = {}) {
      if (server) throw new Error('the app is already started');
      server = await startHttpServer(
        {
          core,
          jwt,
          log,
          webhooks,
          readiness,
          hardening: hardeningOptions(config, overrides.hardening),
          // On a PostgreSQL server every instance counts per-client GraphQL budgets in the same table.
          rateLimitStore: redis ? { redis, prefix: config.REDIS_KEY_PREFIX } : database.kind === 'server' && database.pool ? { pool: database.pool } : undefined,
          playgroundHtml,
          production,
          metrics: { token: config.METRICS_TOKEN },
          trustProxy: config.TRUST_PROXY,
          executor: config.GRAPHQL_EXECUTOR,
          admission: { concurrency: config.GRAPHQL_HEAVY_CONCURRENCY, work: config.GRAPHQL_HEAVY_WORK },
        },
        { host: listen.host ?? config.HOST, port: listen.port ?? config.PORT, metricsPort: config.METRICS_PORT },
      );
      await sweep();
      if (overrides.eventWorker !== false) core.events.start();
      const recovered = await jobs.recoverEvents();
      if (recovered) log.info({ recovered }, 'applying stored webhook events');
      // Client webhooks: every instance attempts due deliveries (claimed with a lease).
      if (overrides.deliveryWorker !== false) core.webhooks.start();
      sweeper = setInterval(sweep, 60_000);
      sweeper.unref();
      if (overrides.scheduler !== false) {
        scheduler = await startScheduler(database.kind === 'server' && database.url ? { databaseUrl: database.url } : { embedded: true }, core.sync, log, {
          backfill: config.SYNC_BACKFILL_CRON,
          dueRefresh: config.SYNC_DUE_REFRESH_CRON,
        });
      }
      return server;
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      await server?.close();
      await scheduler?.stop();
      await core.events.stop();
      await core.webhooks.stop();
      await core.accessLog.close();
      core.close();
      await tracing.shutdown();
      await sharedPublisher?.close();
      redis?.disconnect();
      if (ownsDatabase) await database.close();
    },
  };
}

// Public entry points for tests and the benchmark.
// The CLI's own modules (src/cli.ts reaches src/ only through this module): its examples and demo ids, error
// reports and the running server's control socket.
export { cliExamples, CREDIT_VIEW_QUERY, curlLine, demoAccountId, demoBorrowerGlobalId, demoBorrowerId, demoLoanGlobalId, type CliExample } from './cli-examples';
export { CliError, EXIT, explain, report, redactUrl } from './cli-errors';
export { DEMO_CLIENTS, demoConsentsOf, reserveDemoIds, seedDemoConsents, type SeedResult } from './cli-demo';
export { findServer, serveControl, syncOnServer } from './cli-control';
export type { SyncKind, SyncSummary } from './core/sync.service';
export type { SqlExecutor } from './store/migrate';
export { loadConfig, normalizeIp, parseTrustProxy, type Config, type TrustProxy } from './config';
export { tracingSettings, type Tracing, type TracingSettings } from './tracing';
export { deriveClientIp } from './http/client-ip';
export { signClientToken, verifyClientToken, SCOPES, type JwtSettings, type ApiClient } from './auth';
export { createLogger, type Logger } from './logger';
export { openDatabase, type Database } from './store/database';
export type { LedgerChange } from './core/publisher';
export { pgPublisher } from './core/pg-publisher';
export { saveSnapshots, snapshotHash, snapshotKey, type SnapshotWrite } from './store/snapshots';
export { listMigrations, migrate, MIGRATIONS_DIR, pendingMigrations } from './store/migrate';
export { defaultHardening, type HardeningOptions, LEASE_SHARE } from './graphql/hardening';
export { graphqlSchema, printedSchema, SCHEMA_FILE } from './graphql/schema';
export { CALLABLE, jitSchema } from './graphql/executor';
export { type AdmissionOptions, type AdmissionStats, operationWork } from './graphql/admission';
export { CONSENT_REVOKE_EXAMPLE, defaultExamples, presetsToken, renderPlayground } from './graphql/playground';
export { toGlobalId } from './graphql/ids';
export { MAX_OPERATION_LABELS, registry as metricsRegistry } from './metrics';
export { DEFAULT_LAG_MINUTES, type LagMinutes };
export { startScheduler, type Scheduler };
export type { Core };
export type { Clock, WebhookSettings };
export type { ProviderCallRecord, ResilienceOptions };
export type { RunningServer };
export { ProviderError, ProviderAuthError, ProviderTimeoutError, WireFormatError } from './providers/errors';
export { ClientRegistry, type RegisteredClient } from './core/client-registry';
export { DEFAULT_EVENT_POLICY, type EventPolicy };
export { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy };
export { checkEndpointUrl, nonPublicAddress, publicOnlyDispatcher, publicOnlyLookup, type ResolveAll, satuSignature, verifySatuSignature, CLIENT_WEBHOOK_EVENT_TYPES } from './core/client-webhooks';
