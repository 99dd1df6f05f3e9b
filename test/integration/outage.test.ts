/**
 * A database outage under load: the PostgreSQL server stops (sessions ended, new connections refused) while
 * webhooks and reads keep coming, then starts again, and the same app, never restarted, serves again.
 *
 * While it is down: every webhook is answered 503 with a reason and the request id (the sender keeps it and
 * retries), none is acknowledged unstored; every read answers 503 DATABASE_UNAVAILABLE with Retry-After and no
 * internals; /readyz says the database is unreachable. Afterwards: reads, intake and application work again
 * (the pool, Prisma's adapter, the event worker's polling and the LISTEN/NOTIFY publisher all reconnect by
 * themselves), every event ever acknowledged is stored and applied, the senders' retries of the refused ones
 * are applied once, and no connection stays checked out by a transaction the outage cut.
 *
 * A PostgreSQL-server test (`npm run test:pg`), but on a private server it starts itself
 * (test/support/pg-server.ts), never the shared one: it stops and starts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, toGlobalId } from '../../src/app';
import { until } from '../support/clock';
import { type PgServer, pgServerUnavailable, startPgServer } from '../support/pg-server';
import { type Stack, startStack } from '../support/stack';

const ON_SERVER = Boolean(process.env.TEST_DATABASE_URL);
const cannot = ON_SERVER ? pgServerUnavailable() : null;

type Phase = 'up' | 'stopping' | 'down' | 'starting' | 'back';
interface Answer {
  readonly what: 'webhook' | 'read';
  /** The phase when the request was sent and when its answer came. */
  readonly sent: Phase;
  readonly answered: Phase;
  readonly status: number;
  readonly body: any;
  readonly retryAfter?: string | null;
  readonly paymentId?: string;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const VIEW = `query($id: ID!) { creditView(borrowerId: $id) { complete providers { provider health } } }`;
const LIST = `{ borrowers(first: 3) { edges { node { id fullName } } } }`;

describe.skipIf(!ON_SERVER || cannot !== null)(cannot ? `database outage (skipped: ${cannot})` : 'database outage', () => {
  let pg: PgServer;
  let s: Stack;

  beforeAll(async () => {
    pg = await startPgServer();
    // Short leases and polls: events whose application the outage cut are taken up again soon after.
    s = await startStack({ databaseUrl: pg.url, seed: 23, borrowers: 8, log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false), eventPolicy: { pollMs: 100, leaseSeconds: 2 } });
  });
  afterAll(async () => {
    await s?.close();
    await pg?.close();
  });

  /** Finfra loans with an unpaid installment, with the borrower holding each. */
  function finfraTargets() {
    const out: { loanUniqueId: string; amount: number; borrower: string }[] = [];
    for (const u of s.sandbox.dataset.finfra) {
      const i = s.requests.findIndex((r) => r.finfraUserId === u.userId);
      if (i < 0) continue;
      for (const l of u.loans) {
        const open = l.installments.find((x) => x.paid === 0n);
        if (l.status === 'DISBURSED' && open) out.push({ loanUniqueId: l.loanUniqueId, amount: Number(open.total), borrower: toGlobalId('Borrower', s.borrowerIds[i]!) });
      }
    }
    return out;
  }

  /** A Finfra VA payment callback (PENDING) for `t`, as the sandbox's Finfra sends it. */
  const pay = (t: { loanUniqueId: string; amount: number }, paymentId: string) =>
    s.sender.finfra('payment-gateway', 'va', 'PENDING', { payment_id: paymentId, loanUniqueId: t.loanUniqueId, amount: t.amount, bank_code: 'BCA', status: 'PENDING', paid_at: s.clock.now().toISOString(), settled_at: null });

  /** A GraphQL read over HTTP, with the Retry-After header. */
  async function read(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${s.server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token()}` }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  }
  const readOk = (a: { status: number; body: any }) => a.status === 200 && !a.body?.errors && a.body?.data != null;
  const readUnavailable = (a: { status: number; body: any; retryAfter?: string | null }) =>
    a.status === 503 &&
    Number(a.retryAfter) > 0 &&
    Array.isArray(a.body?.errors) &&
    a.body.errors.length > 0 &&
    a.body.errors.every((e: any) => e.extensions?.code === 'DATABASE_UNAVAILABLE');

  /** Stored Finfra VA events whose payment id starts with `prefix`, by payment id. */
  async function storedEvents(prefix: string) {
    const rows = await s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'va' } });
    const out = new Map<string, (typeof rows)[number][]>();
    for (const r of rows) {
      const id = (r.payload as { data?: { payment_id?: string } }).data?.payment_id;
      if (id?.startsWith(prefix)) out.set(id, [...(out.get(id) ?? []), r]);
    }
    return out;
  }

  it('answers 503 for what it cannot store or read while PostgreSQL is down, acknowledges nothing unstored, and recovers without a restart', async () => {
    const all = finfraTargets();
    expect(all.length).toBeGreaterThanOrEqual(3);
    // One loan for the subscription (nothing else pays it), the others for the load.
    const [watched, ...load] = all;
    const borrower = all[1]!.borrower;
    // Warm: every read the load makes has its provider data cached, and one of each answers before the outage.
    expect(readOk(await read(VIEW, { id: borrower }))).toBe(true);
    expect(readOk(await read(LIST))).toBe(true);
    // The watched loan's borrower read once too: a change is pushed for loans the client has read (cached) only.
    expect(readOk(await read(VIEW, { id: watched!.borrower }))).toBe(true);

    // A subscriber of the watched loan's borrower, live before the outage (a first change reaches it).
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const pushes: { providerLoanId: string }[] = [];
    const ws = createClient({ url: `${s.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token()}` }, lazy: true, retryAttempts: 0 });
    let pushSeq = 0;
    const pushOnce = async () => {
      const r = await pay(watched!, `PAY-PUSH-${pushSeq++}`);
      return r.status;
    };
    try {
      ws.subscribe(
        { query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { provider providerLoanId kind } }`, variables: { id: watched!.borrower } },
        { next: (v) => void pushes.push((v.data as { loanChanged: { providerLoanId: string } }).loanChanged), error: () => undefined, complete: () => undefined },
      );
      await until(
        async () => {
          if (pushes.some((p) => p.providerLoanId === watched!.loanUniqueId)) return true;
          await pushOnce();
          return false;
        },
        'a change pushed to the subscriber before the outage',
        { tries: 100, everyMs: 100 },
      );

      // The load: webhook senders and readers that never stop until told, each answer kept with its phase.
      let phase: Phase = 'up';
      let loading = true;
      let seq = 0;
      const answers: Answer[] = [];
      const sender = async () => {
        while (loading) {
          const n = seq++;
          const paymentId = `PAY-OUT-${n}`;
          const sent = phase;
          const r = await pay(load[n % load.length]!, paymentId);
          answers.push({ what: 'webhook', sent, answered: phase, status: r.status, body: r.response, paymentId });
          await pause(10);
        }
      };
      const reader = async (k: number) => {
        for (let n = 0; loading; n++) {
          const sent = phase;
          const r = (n + k) % 2 ? await read(VIEW, { id: borrower }) : await read(LIST);
          answers.push({ what: 'read', sent, answered: phase, ...r });
          await pause(10);
        }
      };
      const running = Promise.all([sender(), sender(), sender(), reader(0), reader(1)]);
      const count = (what: Answer['what'], p: Phase) => answers.filter((a) => a.what === what && a.sent === p && a.answered === p).length;
      try {
        await until(() => count('webhook', 'up') >= 6 && count('read', 'up') >= 4, 'answers before the outage', { tries: 400 });

        // A transaction in flight when the server stops (its ROLLBACK then fails too): its connection must come back.
        const cut = s.db.prisma.$transaction(async (tx) => void (await tx.$executeRaw`SELECT pg_sleep(60)`), { timeout: 120_000 }).then(
          () => 'committed',
          () => 'failed',
        );
        await pause(100);

        phase = 'stopping';
        await pg.stop('fast');
        phase = 'down';
        expect(await cut).toBe('failed');
        await until(() => count('webhook', 'down') >= 8 && count('read', 'down') >= 6, 'answers while the database is down', { tries: 800 });
        const ready = await fetch(`${s.server.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ ready: false, database: 'unreachable' });
        // The refusal a sender gets: a reason, the request id, and when to retry.
        const refused = await pay(load[0]!, 'PAY-OUT-PROBE');
        const again = await fetch(new URL(refused.path, s.server.url), { method: 'POST', headers: { 'content-type': 'application/json', ...refused.headers }, body: refused.body });
        expect(again.status).toBe(503);
        expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await again.json()).toEqual({ error: expect.stringContaining('could not be stored'), requestId: again.headers.get('x-request-id') });
        answers.push({ what: 'webhook', sent: 'down', answered: 'down', status: refused.status, body: refused.response, paymentId: 'PAY-OUT-PROBE' });

        phase = 'starting';
        await pg.start();
        phase = 'back';
        // The same app serves again: a read, /readyz, and new webhooks acknowledged.
        await until(async () => readOk(await read(VIEW, { id: borrower })), 'a read answered after the restart', { tries: 400, everyMs: 50 });
        await until(async () => (await fetch(`${s.server.url}/readyz`)).status === 200, '/readyz ready after the restart', { tries: 400, everyMs: 50 });
        await until(() => answers.filter((a) => a.what === 'webhook' && a.sent === 'back' && a.status === 200).length >= 6, 'webhooks acknowledged after the restart', { tries: 400 });
        await until(() => answers.filter((a) => a.what === 'read' && a.sent === 'back' && readOk(a)).length >= 4, 'reads answered after the restart', { tries: 400 });
      } finally {
        loading = false;
        await running;
      }

      // Every answer was an acknowledgement or a 503 (never a 500, never an answer lost); every read data or DATABASE_UNAVAILABLE.
      const hooks = answers.filter((a) => a.what === 'webhook');
      const reads = answers.filter((a) => a.what === 'read');
      expect(hooks.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      expect(reads.filter((a) => !readOk(a) && !readUnavailable(a))).toEqual([]);
      // While it was down: nothing acknowledged, every read DATABASE_UNAVAILABLE without internals.
      const down = answers.filter((a) => a.sent === 'down' && a.answered === 'down');
      expect(down.filter((a) => a.what === 'webhook' && a.status !== 503)).toEqual([]);
      for (const a of down.filter((x) => x.what === 'webhook')) expect(a.body).toEqual({ error: expect.any(String), requestId: expect.any(String) });
      expect(down.filter((a) => a.what === 'read' && !readUnavailable(a))).toEqual([]);
      for (const a of down.filter((x) => x.what === 'read')) {
        const text = JSON.stringify(a.body);
        expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|prisma|invocation|postgres|terminat/i);
        for (const e of a.body.errors) expect(e.extensions.requestId).toEqual(expect.any(String));
      }

      // Every acknowledged event is stored, and applied once the worker (polling again) reaches it.
      const acked = new Set(hooks.filter((a) => a.status === 200).map((a) => a.paymentId!));
      const refused = new Set(hooks.filter((a) => a.status === 503).map((a) => a.paymentId!));
      expect(refused.size).toBeGreaterThan(0);
      const stored = await storedEvents('PAY-OUT-');
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
      // The senders retry what was refused (the same body, so the same idempotency key): each is acknowledged now.
      for (const id of refused) {
        if (acked.has(id)) continue;
        const n = id === 'PAY-OUT-PROBE' ? 0 : Number(id.slice('PAY-OUT-'.length));
        const r = await pay(load[n % load.length]!, id);
        expect(r.status).toBe(200);
      }
      const sent = new Set([...acked, ...refused]);
      await until(
        async () => {
          const rows = await storedEvents('PAY-OUT-');
          return [...sent].every((id) => rows.get(id)?.every((e) => e.appliedAt !== null));
        },
        'every acknowledged and retried event applied',
        { tries: 600, everyMs: 50 },
      );
      // Stored once per payment, and in the ledger once per payment.
      const rows = await storedEvents('PAY-OUT-');
      expect([...rows.values()].filter((r) => r.length !== 1)).toEqual([]);
      expect(new Set(rows.keys())).toEqual(sent);
      const repayments = await s.db.prisma.ledgerRepayment.findMany({ where: { externalId: { startsWith: 'PAY-OUT-' } } });
      expect(repayments.map((r) => r.externalId).sort()).toEqual([...sent].sort());
      expect(rows.get('PAY-OUT-PROBE')?.[0]?.outcome).toBe('APPLIED');

      // The worker polls again: an event stored without waking it (as another instance's would be) is applied.
      const template = rows.get([...sent][0]!)![0]!;
      const polled = await s.db.prisma.webhookEvent.create({
        data: { source: template.source, kind: template.kind, idempotencyKey: 'outage-polled', payload: { ...(template.payload as object), data: { ...(template.payload as { data: object }).data, payment_id: 'PAY-POLL-1' } } },
      });
      await until(async () => (await s.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: polled.id } })).appliedAt !== null, 'an event found by polling applied', { tries: 400, everyMs: 50 });
      expect(await s.db.prisma.ledgerRepayment.count({ where: { externalId: 'PAY-POLL-1' } })).toBe(1);

      // The publisher's listening connection is back: a change to the watched loan reaches the subscriber again.
      pushes.length = 0;
      await until(
        async () => {
          if (pushes.some((p) => p.providerLoanId === watched!.loanUniqueId)) return true;
          expect(await pushOnce()).toBe(200);
          return false;
        },
        'a change pushed to the subscriber after the restart',
        { tries: 200, everyMs: 150 },
      );

      // No connection stays checked out by a transaction the outage cut (the pool would run dry outage after outage).
      const pool = s.db.pool!;
      await until(() => pool.totalCount === pool.idleCount, 'every pooled connection idle again', { tries: 400 });
    } finally {
      await ws.dispose();
    }
  }, 180_000);
});
