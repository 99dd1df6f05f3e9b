/**
 * The embedded database (no DATABASE_URL) runs in a process of its own: PGlite served over the PostgreSQL
 * protocol on a unix socket, reached by the API through one pg connection. Over real HTTP, with the app
 * opening its database from DATA_DIR as `npm start` does: the child is another live process, reads, the
 * consent flow and webhook intake work through it, a transaction on the one connection excludes every other
 * statement, close() ends the child and the data is there on re-open, a second process cannot open the same
 * directory, and a child killed with SIGKILL makes the API answer DATABASE_UNAVAILABLE (readyz 503), not hang.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, createLogger, type Database, DEFAULT_LAG_MINUTES, loadConfig, openDatabase, type RunningServer, signClientToken } from '../../src/app';
import { answerConsent, bankSettings, createSandboxBanks, linkRequests, sandboxProviderEnv, startSandbox, WebhookSender } from '../../src/sandbox';
import { until } from '../support/clock';
import { FINFRA_CALLBACK_KEY, JWT, TEST_REDIRECT_URI } from '../support/stack';

/** Each case that opens a database starts a process (PGlite's start, seconds; longer on a busy machine). */
const OPENS = 180_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The parent pid of `pid` (Linux), or undefined where /proc is not there. */
const parentOf = (pid: number) => {
  const f = `/proc/${pid}/status`;
  return existsSync(f) ? Number(/^PPid:\s*(\d+)/m.exec(readFileSync(f, 'utf8'))?.[1]) : undefined;
};

describe('embedded database in its own process', () => {
  let dataDir: string;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let banks: ReturnType<typeof createSandboxBanks>;
  let app: App | undefined;
  let server: RunningServer;
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false);
  const errors: { obj: object; msg: string }[] = [];
  const token = signClientToken(JWT, 'test-client', ['credit:read', 'payoff:read', 'consent:write']);

  async function startApp(): Promise<App> {
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      JWT_SECRET: JWT.secret,
      DATA_DIR: dataDir,
      ...sandboxProviderEnv(sandbox),
      FINFRA_CALLBACK_KEY,
      API_CLIENTS: JSON.stringify({ 'test-client': { displayName: 'Test app', redirectUris: [TEST_REDIRECT_URI] } }),
      OTP_SENDS_PER_NIK: '100000',
      OTP_SENDS_PER_IP: '100000',
    });
    // The app's own logger, with its errors kept: the child's unexpected exit is reported there.
    const spy = Object.assign(Object.create(log), { error: (obj: object, msg: string) => errors.push({ obj, msg }) });
    const a = await createApp(config, { log: spy, webhooks: { banks: bankSettings(banks, DEFAULT_LAG_MINUTES) }, scheduler: false });
    server = await a.start({ host: '127.0.0.1', port: 0 });
    return a;
  }
  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'satukredit-embedded-'));
    sandbox = await startSandbox({ seed: 5, borrowers: 4 });
    banks = createSandboxBanks();
    app = await startApp();
  }, OPENS);
  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
    await rm(dataDir, { recursive: true, force: true });
  }, OPENS);

  it('opens the data directory in a child process, not in the API process', () => {
    const db = app!.database;
    expect(db.kind).toBe('embedded');
    expect(db.url).toBeUndefined();
    expect(db.childPid).toBeTypeOf('number');
    expect(db.childPid).not.toBe(process.pid);
    expect(alive(db.childPid!)).toBe(true);
    const ppid = parentOf(db.childPid!);
    if (ppid !== undefined) expect(ppid).toBe(process.pid);
    expect(readFileSync(path.join(dataDir, 'satukredit-db.pid'), 'utf8').trim()).toBe(String(db.childPid));
  });

  it('serves GraphQL, the consent flow and webhook intake through it', async () => {
    const person = linkRequests(sandbox.dataset).find((r) => r.finfraUserId)!;
    const created = await gql(
      `mutation($input: ConsentRequestInput!) { consentRequestCreate(input: $input) { consentUrl userErrors { code } } }`,
      { input: { nik: person.nik, fullName: person.fullName, providers: person.providers, domains: ['LOANS', 'INSTALLMENTS', 'REPAYMENTS'], purpose: 'embedded process test', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), dataLifeSeconds: 3600, redirectUri: TEST_REDIRECT_URI } },
    );
    expect(created.body.errors).toBeUndefined();
    const outcome = await answerConsent({ consentUrl: created.body.data.consentRequestCreate.consentUrl, smsUrl: sandbox.sms.url, person, decision: 'APPROVE' });
    expect(outcome.status).toBe('ACTIVE');
    const list = await gql(`{ borrowers(first: 10) { edges { node { id loans { providerLoanId } } } } }`);
    expect(list.status).toBe(200);
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data.borrowers.edges).toHaveLength(1);

    // Webhook intake: concurrent copies of one event (one stored, each acknowledged), then applied by the worker.
    const loan = sandbox.dataset.finfra.find((u) => u.userId === person.finfraUserId)!.loans[0]!;
    const sender = new WebhookSender(server.url, FINFRA_CALLBACK_KEY, banks, () => new Date());
    const acks = await Promise.all(Array.from({ length: 6 }, () => sender.finfra('users', 'loan', 'REPAID', { loanUniqueId: loan.loanUniqueId, status: 'REPAID' })));
    expect(acks.map((a) => a.status)).toEqual(Array(6).fill(200));
    await app!.core.events.idle();
    const rows = await app!.database.prisma.webhookEvent.findMany({ where: { source: 'FINFRA' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.appliedAt).not.toBeNull();
  }, OPENS);

  it('runs a transaction on the one connection with every other statement waiting for it', async () => {
    const db = app!.database;
    const order: string[] = [];
    await db.sql.exec('CREATE TABLE IF NOT EXISTS embedded_probe (n int)');
    let started!: () => void;
    const inTx = new Promise<void>((r) => (started = r));
    const tx = db.sql.transaction(async (q) => {
      await q.exec('INSERT INTO embedded_probe VALUES (1)');
      started();
      await new Promise((r) => setTimeout(r, 300));
      await q.exec('INSERT INTO embedded_probe VALUES (2)');
      order.push('commit');
    });
    await inTx;
    // Outside the transaction: they run after it, so they see both rows (never one).
    const outside = [
      db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM embedded_probe').then((r) => (order.push('sql'), r[0]!.n)),
      db.work.query<{ n: number }>('SELECT count(*)::int AS n FROM embedded_probe').then((r) => (order.push('work'), r[0]!.n)),
      db.prisma.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM embedded_probe').then((r) => (order.push('prisma'), r[0]!.n)),
    ];
    await tx;
    expect(await Promise.all(outside)).toEqual([2, 2, 2]);
    expect(order[0]).toBe('commit');
    // A transaction that fails rolls back, and the connection serves on.
    await expect(db.sql.transaction(async (q) => {
      await q.exec('INSERT INTO embedded_probe VALUES (3)');
      throw new Error('no');
    })).rejects.toThrow('no');
    expect(await db.sql.query('SELECT count(*)::int AS n FROM embedded_probe')).toEqual([{ n: 2 }]);
    await db.sql.exec('DROP TABLE embedded_probe');
  });

  it('serves an in-memory database from a child process too when asked (inProcess: false)', async () => {
    const db = await openDatabase({ dataDir: 'memory://' }, { inProcess: false });
    try {
      expect(db.kind).toBe('embedded');
      expect(alive(db.childPid!)).toBe(true);
      expect(await db.prisma.borrower.count()).toBe(0);
    } finally {
      await db.close();
    }
    expect(alive(db.childPid!)).toBe(false);
  }, OPENS);

  it('refuses a second process on the same data directory', async () => {
    await expect(openDatabase({ dataDir })).rejects.toThrow(/open in another process \(pid \d+/);
  }, OPENS);

  it('close() ends the child; the data is there on re-open', async () => {
    const pid = app!.database.childPid!;
    await app!.close();
    app = undefined;
    expect(alive(pid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'satukredit-db.pid'))).toBe(false);
    const db: Database = await openDatabase({ dataDir });
    try {
      expect(db.childPid).not.toBe(pid);
      expect(await db.prisma.borrower.count()).toBe(1);
      expect(await db.prisma.webhookEvent.count({ where: { appliedAt: { not: null } } })).toBe(1);
    } finally {
      await db.close();
    }
    expect(alive(db.childPid!)).toBe(false);
  }, OPENS);

  it('answers DATABASE_UNAVAILABLE (readyz 503) when the child is killed, without hanging', async () => {
    app = await startApp();
    const pid = app.database.childPid!;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await gql(`{ borrowers(first: 1) { edges { node { id } } } }`)).body.errors).toBeUndefined();
    process.kill(pid, 'SIGKILL');
    await until(() => !alive(pid), 'the killed child to be gone');
    await until(() => errors.some((e) => /exited unexpectedly/.test(e.msg)), 'the exit to be logged');
    const t0 = Date.now();
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, database: 'unreachable' });
    // A read not asked before (an answer cached in memory needs no database).
    const read = await gql(`{ borrowers(first: 5) { edges { node { id fullName } } } }`);
    expect(read.status, JSON.stringify(read.body)).toBe(503);
    expect(read.body.errors?.length).toBeGreaterThan(0);
    expect(read.body.errors!.every((e) => e.extensions?.code === 'DATABASE_UNAVAILABLE')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    await app.close();
    app = undefined;
    // The killed process's lock and socket are stale: the next open takes them over.
    const db = await openDatabase({ dataDir });
    expect(await db.prisma.borrower.count()).toBe(1);
    await db.close();
  }, OPENS);
});
