/**
 * Test harness: a real provider sandbox on loopback, a real database (in-memory
 * PGlite by default; a fresh database on the PostgreSQL server when
 * TEST_DATABASE_URL names one), the real HTTP server, and a GraphQL client.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type App, createApp, type EventPolicy, createLogger, DEFAULT_LAG_MINUTES, type HardeningOptions, type JwtSettings, loadConfig, openDatabase, type Database, type ProviderCallRecord, type ResilienceOptions, type RunningServer, signClientToken, type WebhookSettings } from '../../src/app';
import { CONSENT_DOMAINS } from '../../src/domain/consent';
import { jakartaDate } from '../../src/domain/dates';
import type { ProviderCode } from '../../src/domain/types';
import { answerConsent, bankSettings, createSandboxBanks, linkRequests, sandboxProviderEnv, startSandbox, WebhookSender } from '../../src/sandbox';
import { TEST_START, TestClock } from './clock';

/**
 * Opens a fresh database: in-memory PGlite, or a new database created on the
 * server named by TEST_DATABASE_URL (dropped again by `close`).
 */
export async function openTestDatabase(): Promise<Database & { url?: string }> {
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) return openDatabase({ dataDir: 'memory://' });
  const name = `satukredit_test_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  return {
    ...db,
    /** The per-test database's URL (tests that start another process or a job queue use it). */
    url: url.toString(),
    async close() {
      await db.close();
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

/** The API clients the test stack registers (API_CLIENTS), each with TEST_REDIRECT_URI. */
export const TEST_CLIENTS = [
  'test-client',
  'client-a',
  'client-b',
  'client-narrow',
  'client-loans-only',
  'client-two-consents',
  'client-short',
  'client-concurrent',
  'client-other',
  'narrow-client',
  'aggregator',
  'refinancer',
  'playground-client',
  'demo-aggregator',
  'demo-refinancer',
] as const;
/** Where test clients' borrowers are sent back to (nothing listens there: the redirect is read, not followed). */
export const TEST_REDIRECT_URI = 'http://127.0.0.1:9/consent-callback';

export const JWT: JwtSettings = { secret: 'test-secret-test-secret-test-secret-0123', issuer: 'satukredit', audience: 'satukredit-api' };

/** A GraphQL answer. */
export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** The Finfra callback key the test stack's receivers expect (and its sender signs with). */
export const FINFRA_CALLBACK_KEY = 'finfra-test-callback-key-0123456789';

/**
 * Starts sandbox + database + the app (through `createApp`, as production does) and links every
 * generated borrower. Everything runs on one injected clock: a `TestClock` at TEST_START unless given.
 */
export async function startStack(
  opts: {
    seed?: number;
    borrowers?: number;
    timeoutMs?: number;
    resilience?: ResilienceOptions;
    link?: boolean;
    clock?: { now(): Date };
    log?: ReturnType<typeof createLogger>;
    playgroundHtml?: string;
    hardening?: HardeningOptions;
    /** Extra configuration variables (as in the environment). */
    env?: Record<string, string>;
    /** Run the webhook event worker (default true). */
    eventWorker?: boolean;
    /** Run the client webhook delivery worker (default true; off: tests attempt deliveries with `app.core.webhooks.idle()`). */
    deliveryWorker?: boolean;
    /** Event claiming and retry policy overrides. */
    eventPolicy?: Partial<EventPolicy>;
    /** How the access log batches (e.g. a long interval, to see entries still queued). */
    accessLogPolicy?: Parameters<typeof createApp>[1] extends infer O ? (O extends { accessLogPolicy?: infer P } ? P : never) : never;
    /**
     * Open this PostgreSQL database directly (migrated, never created or dropped) instead of a fresh one from
     * `openTestDatabase()`: a test that owns its server (test/support/pg-server.ts).
     */
    databaseUrl?: string;
  } = {},
) {
  const clock = opts.clock ?? new TestClock(TEST_START);
  const today = jakartaDate(clock.now());
  const sandbox = await startSandbox({ seed: opts.seed ?? 7, borrowers: opts.borrowers ?? 10, today, now: () => clock.now() });
  const db = opts.databaseUrl ? await openDatabase({ url: opts.databaseUrl }) : await openTestDatabase();
  const calls: ProviderCallRecord[] = [];
  const log = opts.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false);
  const r = opts.resilience ?? {};
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: JWT.secret,
    ...sandboxProviderEnv(sandbox),
    PROVIDER_TIMEOUT_MS: String(opts.timeoutMs ?? 2000),
    ...(r.retries !== undefined ? { PROVIDER_RETRIES: String(r.retries) } : {}),
    ...(r.breakerThreshold !== undefined ? { PROVIDER_BREAKER_THRESHOLD: String(r.breakerThreshold) } : {}),
    ...(r.halfOpenAfterMs !== undefined ? { PROVIDER_BREAKER_HALF_OPEN_MS: String(r.halfOpenAfterMs) } : {}),
    ...(r.concurrency !== undefined ? { PROVIDER_CONCURRENCY: String(r.concurrency) } : {}),
    FINFRA_CALLBACK_KEY,
    DOMPETKILAT_CALLBACK_IPS: '127.0.0.1,::1,::ffff:127.0.0.1',
    SNAP_TIMESTAMP_WINDOW_SECONDS: '300',
    API_CLIENTS: JSON.stringify(Object.fromEntries(TEST_CLIENTS.map((id) => [id, { displayName: `Test app ${id}`, redirectUris: [TEST_REDIRECT_URI] }]))),
    // Tests give many consents from one loopback IP and for the same NIKs; the limits have tests of their own.
    OTP_SENDS_PER_NIK: '100000',
    OTP_SENDS_PER_IP: '100000',
    ...opts.env,
  });
  const banks = createSandboxBanks();
  const app: App = await createApp(config, {
    clock,
    database: db,
    log,
    hardening: opts.hardening,
    playgroundHtml: opts.playgroundHtml,
    webhooks: { banks: bankSettings(banks, DEFAULT_LAG_MINUTES) },
    onProviderCall: (c) => calls.push(c),
    scheduler: false,
    eventWorker: opts.eventWorker,
    deliveryWorker: opts.deliveryWorker,
    eventPolicy: opts.eventPolicy,
    accessLogPolicy: opts.accessLogPolicy,
  });
  const consents = app.core.consents;
  const requests = linkRequests(sandbox.dataset);
  const borrowerIds: string[] = [];
  const server: RunningServer = await app.start({ host: '127.0.0.1', port: 0 });
  const webhookSettings: WebhookSettings = app.webhooks;
  const sender = new WebhookSender(server.url, FINFRA_CALLBACK_KEY, banks, () => clock.now());

  const token = (clientId = 'test-client', scopes: string[] = ['credit:read', 'payoff:read', 'consent:write']) => signClientToken(JWT, clientId, scopes);
  async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, bearer: string | null = token()): Promise<GqlResult<T>> {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GqlResult<T>;
    return { ...body, status: res.status };
  }
  /** Asks borrower `i` of the dataset for consent as `clientId` (all its providers and domains unless narrowed); returns the request's consentUrl. */
  async function requestConsent(i: number, clientId = 'test-client', narrow: { providers?: ProviderCode[]; domains?: (typeof CONSENT_DOMAINS)[number][]; dataLifeSeconds?: number; expiresAt?: Date; state?: string } = {}) {
    const r = requests[i]!;
    const res = await gql(
      `mutation($input: ConsentRequestInput!) { consentRequestCreate(input: $input) { consent { id status } consentUrl userErrors { code message } } }`,
      {
        input: {
          nik: r.nik,
          fullName: r.fullName,
          providers: narrow.providers ?? r.providers,
          domains: narrow.domains ?? [...CONSENT_DOMAINS],
          purpose: 'integration test',
          expiresAt: (narrow.expiresAt ?? new Date(clock.now().getTime() + 24 * 3600 * 1000)).toISOString(),
          dataLifeSeconds: narrow.dataLifeSeconds ?? 3600,
          redirectUri: TEST_REDIRECT_URI,
          state: narrow.state ?? `state-${i}`,
        },
      },
      token(clientId, ['consent:write']),
    );
    const p = res.data?.consentRequestCreate;
    if (!p?.consentUrl) throw new Error(`consentRequestCreate failed: ${JSON.stringify(res.errors ?? p?.userErrors)}`);
    return { consentId: p.consent.id as string, consentUrl: p.consentUrl as string };
  }

  /** A consent from borrower `i` to `clientId`, given through the consent page as the borrower would (request, codes, approve). */
  async function grant(i: number, clientId = 'test-client', narrow: { providers?: ProviderCode[]; domains?: (typeof CONSENT_DOMAINS)[number][]; dataLifeSeconds?: number; expiresAt?: Date } = {}) {
    const { consentUrl } = await requestConsent(i, clientId, narrow);
    const o = await answerConsent({ consentUrl, smsUrl: sandbox.sms.url, person: requests[i]!, decision: 'APPROVE' });
    if (o.status !== 'ACTIVE') throw new Error(`consent for borrower ${i} ended ${o.status}`);
    const c = await db.prisma.consent.findUniqueOrThrow({ where: { id: o.consentId } });
    return { ...c, borrowerId: c.borrowerId! };
  }
  if (opts.link !== false) for (let i = 0; i < requests.length; i++) borrowerIds.push((await grant(i)).borrowerId);

  return {
    app,
    clock,
    sandbox,
    db,
    connectors: app.connectors,
    server,
    requests,
    borrowerIds,
    consents,
    grant,
    requestConsent,
    /** The core's event applier (stores and applies webhook events). */
    applier: app.core.events,
    sender,
    webhookSettings,
    calls,
    today,
    token,
    gql,
    async close() {
      await app.close();
      await sandbox.close();
      await db.close();
    },
  };
}
