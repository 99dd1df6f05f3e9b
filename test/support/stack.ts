/**
 * Test harness: a real provider sandbox on loopback, a real database (in-memory
 * PGlite by default; a fresh database on the PostgreSQL server when
 * TEST_DATABASE_URL names one), the real HTTP server, and a GraphQL client.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createConnectors } from '../../src/app';
import { signClientToken, type JwtSettings } from '../../src/auth';
import { jakartaDate } from '../../src/domain/dates';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { ConsentService } from '../../src/consent/consent.service';
import { CONSENT_DOMAINS } from '../../src/domain/consent';
import { PROVIDERS } from '../../src/domain/types';
import { openDatabase, type Database } from '../../src/store/database';
import { linkRequests, startSandbox } from '../../src/sandbox';
import type { ProviderCallRecord, ResilienceOptions } from '../../src/providers/http';
import { bankSettings, createSandboxBanks, WebhookSender } from '../../src/sandbox/events';
import { EventApplier } from '../../src/webhooks/ingest';
import { DEFAULT_LAG_MINUTES } from '../../src/services/ledger.service';
import type { WebhookSettings } from '../../src/webhooks/settings';
import type { HardeningOptions } from '../../src/graphql/hardening';
import { recordProviderCall } from '../../src/metrics';

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

export const JWT: JwtSettings = { secret: 'test-secret-test-secret-test-secret-0123', issuer: 'satukredit', audience: 'satukredit-api' };

/** A GraphQL answer. */
export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** Starts sandbox + database + server and links every generated borrower. */
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
  } = {},
) {
  const clock = opts.clock ?? { now: () => new Date() };

  const today = jakartaDate(new Date());
  const sandbox = await startSandbox({ seed: opts.seed ?? 7, borrowers: opts.borrowers ?? 10, today, now: () => clock.now() });
  const db = await openTestDatabase();
  const calls: ProviderCallRecord[] = [];
  const log = opts.log ?? createLogger('silent', false);
  const connectors = createConnectors(
    {
      cairinBaseUrl: sandbox.urls.cairin,
      finfraBaseUrl: sandbox.urls.finfra,
      finfraClientId: sandbox.finfraClient.clientId,
      finfraClientSecret: sandbox.finfraClient.clientSecret,
      dompetKilatBaseUrl: sandbox.urls.dompetKilat,
      timeoutMs: opts.timeoutMs ?? 2000,
      resilience: opts.resilience,
    },
    db.prisma,
    {
      onCall: (c) => {
        calls.push(c);
        recordProviderCall(c);
      },
      clock,
    },
  );
  const consents = new ConsentService(db.prisma, connectors, clock);
  const requests = linkRequests(sandbox.dataset);
  const borrowerIds: string[] = [];
  /** Grants `clientId` a consent from borrower `i` of the dataset (all its providers and domains unless narrowed). */
  async function grant(i: number, clientId = 'test-client', narrow: { providers?: ('CAIRIN' | 'FINFRA' | 'DOMPET_KILAT')[]; domains?: (typeof CONSENT_DOMAINS)[number][]; dataLifeSeconds?: number; expiresAt?: Date } = {}) {
    const r = requests[i]!;
    const has = PROVIDERS.filter((p) => (p === 'CAIRIN' ? r.cairin : p === 'FINFRA' ? r.finfraUserId : r.dompetKilatIdNumber));
    return consents.grant({
      clientId,
      nik: r.nik,
      fullName: r.fullName,
      providers: narrow.providers ?? has,
      domains: narrow.domains ?? [...CONSENT_DOMAINS],
      purpose: 'integration test',
      expiresAt: narrow.expiresAt ?? new Date(clock.now().getTime() + 24 * 3600 * 1000),
      dataLifeSeconds: narrow.dataLifeSeconds ?? 3600,
      accounts: { cairin: r.cairin, finfraUserId: r.finfraUserId, dompetKilatIdNumber: r.dompetKilatIdNumber },
    });
  }
  if (opts.link !== false) for (let i = 0; i < requests.length; i++) borrowerIds.push((await grant(i)).borrowerId);
  const banks = createSandboxBanks();
  const webhookSettings: WebhookSettings = {
    finfraAuthKey: 'finfra-test-callback-key-0123456789',
    dompetKilatIps: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
    banks: bankSettings(banks, DEFAULT_LAG_MINUTES),
    timestampWindowSeconds: 300,
  };
  const applier = new EventApplier(db.prisma, log);
  const server: RunningServer = await startServer(
    { prisma: db.prisma, sql: db.sql, connectors, jwt: JWT, clock, log, consents, webhooks: { settings: webhookSettings, applier }, lagMinutes: DEFAULT_LAG_MINUTES, playgroundHtml: opts.playgroundHtml, hardening: opts.hardening },
    { host: '127.0.0.1', port: 0 },
  );
  const sender = new WebhookSender(server.url, webhookSettings.finfraAuthKey!, banks, () => clock.now());

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
  return {
    sandbox,
    db,
    connectors,
    server,
    requests,
    borrowerIds,
    consents,
    grant,
    applier,
    sender,
    webhookSettings,
    calls,
    today,
    token,
    gql,
    async close() {
      await server.close();
      await applier.idle();
      await sandbox.close();
      await db.close();
    },
  };
}
