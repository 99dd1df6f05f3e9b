/**
 * Stored webhook events applied by any instance, exactly once: retries with backoff, dead letters listed,
 * counted and replayed by operators; on a PostgreSQL server, two instances on one database applying
 * conflicting and duplicate events, and the events of an instance that died applied by the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, createLogger, openDatabase, toGlobalId } from '../../src/app';
import { WebhookSender, createSandboxBanks } from '../../src/sandbox';
import { TEST_START, TestClock, until } from '../support/clock';
import { FINFRA_CALLBACK_KEY, startStack, type Stack } from '../support/stack';
import { watchSubscribe } from '../support/subscriptions';

const ON_SERVER = Boolean(process.env.TEST_DATABASE_URL);
let s: Stack;
const clock = new TestClock(TEST_START);

beforeAll(async () => {
  // The stack's own worker stays off: these tests drive application themselves (and, on a server, through a second instance).
  s = await startStack({ seed: 23, borrowers: 12, clock, eventWorker: false, eventPolicy: { backoffSeconds: 0, maxAttempts: 3 } });
});
afterAll(async () => {
  await s?.close();
});

const OPS = `query($status: WebhookEventStatus, $after: String) { webhookEvents(status: $status, first: 2, after: $after) { nodes { id source status attempts error } hasNextPage endCursor } }`;

describe('dead letters', () => {
  it('retries a failing event, dead-letters it after the last try, lists it for operators, counts it in /metrics and replays it', async () => {
    const bad = { type: 'loan', status: 'DISBURSED', data: { status: 'DISBURSED' } };
    const rows = await Promise.all(
      ['dead-1', 'dead-2', 'dead-3'].map((key) => s.db.prisma.webhookEvent.create({ data: { source: 'FINFRA', kind: 'loan', idempotencyKey: key, payload: bad } })),
    );
    await s.applier.drain();
    for (const r of rows) expect(await s.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: r.id } })).toMatchObject({ attempts: 3, outcome: 'DEAD', appliedAt: null });

    const ops = s.token('operator', ['ops:read', 'ops:write']);
    expect((await s.gql(OPS, { status: 'DEAD' }, s.token('reader', ['credit:read']))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const r1 = await s.gql(OPS, { status: 'DEAD' }, ops);
    if (!r1.data) throw new Error(JSON.stringify(r1.errors));
    const page1 = r1.data.webhookEvents;
    expect(page1.nodes).toHaveLength(2);
    expect(page1.hasNextPage).toBe(true);
    expect(page1.nodes[0]).toMatchObject({ source: 'FINFRA', status: 'DEAD', attempts: 3 });
    expect(page1.nodes[0].error).toEqual(expect.any(String));
    const page2 = (await s.gql(OPS, { status: 'DEAD', after: page1.endCursor }, ops)).data.webhookEvents;
    expect(page2.nodes).toHaveLength(1);
    expect(new Set([...page1.nodes, ...page2.nodes].map((n: { id: string }) => n.id))).toEqual(new Set(rows.map((r) => r.id)));

    const metrics = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(metrics).toMatch(/satukredit_webhook_dead_letters_total\{source="FINFRA"\} [3-9]/);
    expect(metrics).toMatch(/satukredit_webhook_events_backlog 0/);

    // The operator fixes what made it fail (here, the stored payload) and replays it: it is applied once.
    const { loan: l } = { loan: s.sandbox.dataset.finfra.flatMap((u) => u.loans)[0]! };
    await s.db.prisma.webhookEvent.update({ where: { id: rows[0]!.id }, data: { payload: { type: 'loan', status: 'REJECTED', data: { loanUniqueId: `${l.loanUniqueId}-R`, status: 'REJECTED' } } } });
    const replay = await s.gql(`mutation($id: ID!) { webhookEventReplay(id: $id) { event { id status attempts } errorCode } }`, { id: rows[0]!.id }, ops);
    expect(replay.data.webhookEventReplay).toMatchObject({ event: { id: rows[0]!.id, status: 'PENDING', attempts: 0 }, errorCode: null });
    expect((await s.gql(`mutation($id: ID!) { webhookEventReplay(id: $id) { errorCode } }`, { id: rows[0]!.id }, ops)).data.webhookEventReplay.errorCode).toBe('NOT_FOUND');
    await s.applier.drain();
    expect(await s.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: rows[0]!.id } })).toMatchObject({ outcome: 'APPLIED', deadAt: null, attempts: 1 });
    expect(await s.db.prisma.ledgerLoanState.findUnique({ where: { provider_providerLoanId: { provider: 'FINFRA', providerLoanId: `${l.loanUniqueId}-R` } } })).toMatchObject({ status: 'REJECTED' });
  });
});

describe.skipIf(!ON_SERVER)('two instances on one PostgreSQL database', () => {
  let b: App;
  let bDb: Awaited<ReturnType<typeof openDatabase>>;
  let toA: WebhookSender;
  let toB: WebhookSender;

  beforeAll(async () => {
    bDb = await openDatabase({ url: s.db.url! });
    b = await createApp(s.app.config, { clock: s.clock, database: bDb, log: createLogger('silent', false), scheduler: false, eventPolicy: { pollMs: 50 } });
    const bServer = await b.start({ host: '127.0.0.1', port: 0 });
    const banks = createSandboxBanks();
    toA = new WebhookSender(s.server.url, FINFRA_CALLBACK_KEY, banks, () => s.clock.now());
    toB = new WebhookSender(bServer.url, FINFRA_CALLBACK_KEY, banks, () => s.clock.now());
  });
  afterAll(async () => {
    await b?.close();
    await bDb?.close();
  });

  /** Finfra loans with an unpaid installment, as payment targets. */
  function targets(n: number) {
    const out: { loanUniqueId: string; amount: number }[] = [];
    for (const u of s.sandbox.dataset.finfra) {
      for (const l of u.loans) {
        const open = l.installments.find((i) => i.paid === 0n);
        if (l.status === 'DISBURSED' && open) out.push({ loanUniqueId: l.loanUniqueId, amount: Number(open.total) });
      }
    }
    expect(out.length).toBeGreaterThanOrEqual(n);
    return out.slice(0, n);
  }

  it('applies conflicting and duplicate events received by both instances exactly once, each repayment in its final state', async () => {
    const ts = targets(6);
    // Both instances claim and apply.
    s.applier.start();
    const sends: Promise<{ status: number }>[] = [];
    for (const [k, t] of ts.entries()) {
      const data = { payment_id: `PAY-PAIR-${k}`, loanUniqueId: t.loanUniqueId, amount: t.amount, bank_code: 'BCA', paid_at: s.clock.now().toISOString() };
      // PENDING on one instance, PAID on the other, at the same moment; the PAID copy also delivered twice.
      const [first, second] = k % 2 ? [toA, toB] : [toB, toA];
      sends.push(first.finfra('payment-gateway', 'va', 'PENDING', { ...data, status: 'PENDING', settled_at: null }));
      sends.push(second.finfra('payment-gateway', 'va', 'PAID', { ...data, status: 'PAID', settled_at: s.clock.now().toISOString() }));
      sends.push(first.finfra('payment-gateway', 'va', 'PAID', { ...data, status: 'PAID', settled_at: s.clock.now().toISOString() }));
    }
    const answers = await Promise.all(sends);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await until(async () => (await b.core.events.backlog()) === 0, 'every stored event applied', { tries: 1200, everyMs: 25 });
    await s.applier.stop();
    // Stored once per distinct callback (the repeated PAID copy is a duplicate): a PENDING and a PAID per payment.
    const events = (await s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'va' } })).filter((e) => JSON.stringify(e.payload).includes('PAY-PAIR-'));
    expect(events).toHaveLength(12);
    expect(events.every((e) => e.outcome === 'APPLIED' && e.appliedAt !== null && e.deadAt === null)).toBe(true);
    const reps = await s.db.prisma.ledgerRepayment.findMany({ where: { externalId: { startsWith: 'PAY-PAIR-' } } });
    expect(reps).toHaveLength(6);
    expect(reps.every((r) => r.status === 'CLEARED')).toBe(true);
  });

  it('pushes a change applied on one instance to a loanChanged subscription on the other', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const u = s.sandbox.dataset.finfra.find((x) => x.loans.some((l) => l.status === 'DISBURSED' && l.installments.some((i) => i.paid === 0n)))!;
    const l = u.loans.find((x) => x.status === 'DISBURSED' && x.installments.some((i) => i.paid === 0n))!;
    const i = s.requests.findIndex((r) => r.finfraUserId === u.userId);
    const borrowerId = toGlobalId('Borrower', s.borrowerIds[i]!);
    await s.gql(`query($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id: borrowerId });

    // B's subscription is live once its stream subscribed to B's publisher: wait for that signal.
    const watch = watchSubscribe(b.core.deps.publisher, 'subscribe');
    const client = createClient({ url: `${b.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token()}` }, lazy: true, retryAttempts: 0 });
    try {
      const pushed = new Promise<any>((resolve, reject) => {
        client.subscribe(
          { query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { provider providerLoanId kind } }`, variables: { id: borrowerId } },
          { next: (v) => resolve(v.data), error: reject, complete: () => undefined },
        );
      });
      await watch.subscribed;
      watch.restore();
      // Received and applied by A only (B's worker is held back).
      await b.core.events.stop();
      const amount = Number(l.installments.find((x) => x.paid === 0n)!.total);
      const sent = await toA.finfra('payment-gateway', 'va', 'PENDING', { payment_id: `PAY-PUSH-${l.loanUniqueId}`, loanUniqueId: l.loanUniqueId, amount, bank_code: 'BCA', status: 'PENDING', paid_at: s.clock.now().toISOString(), settled_at: null });
      expect(sent.status).toBe(200);
      await s.applier.drain();
      const got = await pushed; // a missing push fails on the test timeout
      expect(got.loanChanged).toMatchObject({ provider: 'FINFRA', providerLoanId: l.loanUniqueId, kind: 'repayment' });
    } finally {
      watch.restore();
      b.core.events.start();
      await client.dispose();
    }
  });

  it("renews an account's Cairin session once, whichever instances need it at the same moment", async () => {
    const i = s.requests.findIndex((r) => r.cairin);
    const id = toGlobalId('Borrower', s.borrowerIds[i]!);
    const VIEW = `query($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { providers { provider health } } }`;
    const onB = async () => {
      const res = await fetch(`${b.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token()}` }, body: JSON.stringify({ query: VIEW, variables: { id } }) });
      return (await res.json()) as { data: { creditView: { providers: { provider: string; health: string }[] } } };
    };
    const cairinOk = (v: { data: { creditView: { providers: { provider: string; health: string }[] } } }) => v.data.creditView.providers.find((p) => p.provider === 'CAIRIN')?.health;
    // Both instances hold a session for the account.
    expect(cairinOk((await s.gql(VIEW, { id })) as never)).toBe('OK');
    expect(cairinOk(await onB())).toBe('OK');
    const now = s.clock.now();
    try {
      // Every access token has expired; both instances read at once.
      clock.set(new Date(now.getTime() + 20 * 60_000));
      s.sandbox.resetStats();
      const [a1, b1, a2, b2] = await Promise.all([s.gql(VIEW, { id }), onB(), s.gql(VIEW, { id }), onB()]);
      for (const v of [a1, b1, a2, b2]) expect(cairinOk(v as never)).toBe('OK');
      expect(s.sandbox.cairin.stats().byEndpoint['POST /mobile/auth/refresh']).toBe(1);
    } finally {
      clock.set(now);
    }
  });

  it("applies the events of an instance that acknowledged them and died, once its lease lapses, without a restart", async () => {
    const ts = targets(9).slice(6);
    // A acknowledged these (stored), claimed them with a lease, and died before applying any. (B is held back
    // while that is set up, so the leases are A's.)
    await b.core.events.stop();
    const acked = await Promise.all(
      ts.map((t, k) =>
        toA.finfra('payment-gateway', 'va', 'PENDING', { payment_id: `PAY-DEAD-${k}`, loanUniqueId: t.loanUniqueId, amount: t.amount, bank_code: 'BRI', status: 'PENDING', paid_at: s.clock.now().toISOString(), settled_at: null }),
      ),
    );
    expect(acked.every((a) => a.status === 200)).toBe(true);
    await s.db.prisma.$executeRaw`UPDATE "WebhookEvent" SET "leasedBy" = 'instance-dead', "leasedUntil" = clock_timestamp() + interval '1 second', "attempts" = 1 WHERE "payload"::text LIKE '%PAY-DEAD-%' AND "appliedAt" IS NULL`;
    b.core.events.start();
    const mine = async () => (await s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'va' } })).filter((e) => JSON.stringify(e.payload).includes('PAY-DEAD-'));
    await until(async () => (await mine()).filter((e) => e.appliedAt !== null).length === ts.length, "the dead instance's events applied", { tries: 1200, everyMs: 25 });
    const applied = await mine();
    expect(applied.every((e) => e.outcome === 'APPLIED' && e.leasedBy === b.core.events.instanceId)).toBe(true);
    expect(await s.db.prisma.ledgerRepayment.count({ where: { externalId: { startsWith: 'PAY-DEAD-' }, status: 'PENDING' } })).toBe(ts.length);
  });
});
