/**
 * With REDIS_URL, subscriptions across instances and the per-client GraphQL budget go through Redis:
 * two instances on one PostgreSQL database and one Redis (127.0.0.1:6379 on these machines), each with
 * its own key prefix per run. PostgreSQL-server only (`npm run test:pg`).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, createLogger, openDatabase, toGlobalId } from '../../src/app';
import { createSandboxBanks, WebhookSender } from '../../src/sandbox';
import { FINFRA_CALLBACK_KEY, startStack, type Stack, TEST_CLIENTS, TEST_REDIRECT_URI } from '../support/stack';
import { watchSubscribe } from '../support/subscriptions';

const ON_SERVER = Boolean(process.env.TEST_DATABASE_URL);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe.skipIf(!ON_SERVER)('two instances sharing Redis', () => {
  let s: Stack;
  let b: App;
  let bDb: Awaited<ReturnType<typeof openDatabase>>;
  // client-narrow gets a budget of 20 points a minute; the others keep the default.
  const clients = Object.fromEntries(TEST_CLIENTS.map((id) => [id, { displayName: `Test app ${id}`, redirectUris: [TEST_REDIRECT_URI], ...(id === 'client-narrow' ? { costPerMinute: 20 } : {}) }]));
  const env = { REDIS_URL, REDIS_KEY_PREFIX: `satukredit-test-${randomBytes(4).toString('hex')}:`, API_CLIENTS: JSON.stringify(clients) };

  beforeAll(async () => {
    s = await startStack({ seed: 29, borrowers: 8, env, eventWorker: false });
    bDb = await openDatabase({ url: s.db.url! });
    b = await createApp(s.app.config, { clock: s.clock, database: bDb, log: createLogger('silent', false), scheduler: false });
    await b.start({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await b?.close();
    await bDb?.close();
    await s?.close();
  });

  it('pushes a change applied on one instance to a subscription on the other through Redis', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const u = s.sandbox.dataset.finfra.find((x) => x.loans.some((l) => l.status === 'DISBURSED' && l.installments.some((i) => i.paid === 0n)))!;
    const l = u.loans.find((x) => x.status === 'DISBURSED' && x.installments.some((i) => i.paid === 0n))!;
    const i = s.requests.findIndex((r) => r.finfraUserId === u.userId);
    const borrowerId = toGlobalId('Borrower', s.borrowerIds[i]!);
    await s.gql(`query($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id: borrowerId }, s.token('test-client', ['credit:read']));
    const watch = watchSubscribe(b.core.deps.publisher, 'subscribe');
    const client = createClient({ url: `${b.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token('test-client', ['credit:read'])}` }, lazy: true, retryAttempts: 0 });
    try {
      const pushed = new Promise<any>((resolve, reject) => {
        client.subscribe({ query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { providerLoanId kind } }`, variables: { id: borrowerId } }, { next: (v) => resolve(v.data), error: reject, complete: () => undefined });
      });
      await watch.subscribed;
      watch.restore();
      const toA = new WebhookSender(s.server.url, FINFRA_CALLBACK_KEY, createSandboxBanks(), () => s.clock.now());
      const amount = Number(l.installments.find((x) => x.paid === 0n)!.total);
      expect((await toA.finfra('payment-gateway', 'va', 'PENDING', { payment_id: `PAY-REDIS-${l.loanUniqueId}`, loanUniqueId: l.loanUniqueId, amount, bank_code: 'BCA', status: 'PENDING', paid_at: s.clock.now().toISOString(), settled_at: null })).status).toBe(200);
      await s.applier.drain();
      expect((await pushed).loanChanged).toMatchObject({ providerLoanId: l.loanUniqueId, kind: 'repayment' });
    } finally {
      watch.restore();
      await client.dispose();
    }
  });

  it('counts one budget per client across both instances in Redis', async () => {
    const query = '{ borrowers(first: 1) { totalCount } }'; // costs 2
    let answered = 0;
    let refused: Response | null = null;
    for (let k = 0; k < 40 && !refused; k++) {
      const res = await fetch(`${k % 2 ? b.url : s.server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token('client-narrow', ['credit:read'])}` }, body: JSON.stringify({ query }) });
      if (res.status === 429) refused = res;
      else answered++;
    }
    expect(answered).toBe(10);
    expect(refused?.headers.get('retry-after')).toBeTruthy();
    const other = await fetch(`${b.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token('client-other', ['credit:read'])}` }, body: JSON.stringify({ query }) });
    expect(other.status).toBe(200);
    // Counted in Redis, under this deployment's prefix (not in the PostgreSQL table).
    const { Redis } = await import('ioredis');
    const r = new Redis(REDIS_URL);
    try {
      expect((await r.keys(`${env.REDIS_KEY_PREFIX}*client-narrow*`)).length).toBeGreaterThan(0);
    } finally {
      r.disconnect();
    }
    expect(await s.db.sql.query(`SELECT key FROM satukredit_rate_limit WHERE key LIKE '%client-narrow%'`)).toEqual([]);
  });
});
