/**
 * Per-client GraphQL cost budgets: one budget per client however many instances serve it (on a PostgreSQL
 * server the instances count in one table), a client's own budget registered in API_CLIENTS, and per-instance
 * limits while the shared table cannot be reached. The rest of rate limiting (429, Retry-After, other clients
 * unaffected on one instance) is in hardening.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, createLogger, LEASE_SHARE, loadConfig } from '../../src/app';
import { startStack, TEST_CLIENTS, TEST_REDIRECT_URI, type Stack } from '../support/stack';

/** GRAPHQL_COST_PER_MINUTE of these tests. */
const BUDGET = 20;
/** The operation every call sends, and its cost (one point per selected field: `borrowers`, `totalCount`). */
const QUERY = '{ borrowers(first: 1) { totalCount } }';
const COST = 2;
/** A budget large enough to be taken from the shared table in blocks (see costLimiter). */
const LEASED = 1000;

/** API_CLIENTS: the stack's test clients, plus clients registered with a budget of their own. */
function apiClients(budgets: Record<string, number>): string {
  const registry: Record<string, { displayName: string; redirectUris: string[]; costPerMinute?: number }> = {};
  for (const id of TEST_CLIENTS) registry[id] = { displayName: `Test app ${id}`, redirectUris: [TEST_REDIRECT_URI] };
  for (const [id, costPerMinute] of Object.entries(budgets)) registry[id] = { displayName: `Test app ${id}`, redirectUris: [TEST_REDIRECT_URI], costPerMinute };
  return JSON.stringify(registry);
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** Sends QUERY to the instance at `baseUrl` as `clientId`. */
async function call(s: Stack, baseUrl: string, clientId: string): Promise<Answer> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token(clientId, ['credit:read'])}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'] };
}

/**
 * Calls as `clientId`, the i-th call to `baseUrls[i % n]`, until one is refused (or `max` calls).
 * @returns how many calls were answered before the first refusal, and that refusal.
 */
async function spend(s: Stack, baseUrls: string[], clientId: string, max = 100): Promise<{ answered: number; refused: Answer | null }> {
  for (let i = 0; i < max; i++) {
    const a = await call(s, baseUrls[i % baseUrls.length]!, clientId);
    if (a.status === 429) return { answered: i, refused: a };
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.errors).toBeUndefined();
  }
  return { answered: max, refused: null };
}

/** Checks a refusal: HTTP 429, RATE_LIMITED naming the budget, Retry-After within the minute. */
function expectRefused(a: Answer | null, budget: number): void {
  expect(a).not.toBeNull();
  expect(a!.status).toBe(429);
  expect(a!.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(a!.body.errors?.[0]?.message).toContain(`over ${budget} cost points per minute (this operation costs ${COST})`);
  const retryAfter = Number(a!.retryAfter);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('GraphQL cost budget configuration', () => {
  it('defaults to 200000 cost points per minute; API_CLIENTS budgets must be positive integers', () => {
    expect(loadConfig({}).GRAPHQL_COST_PER_MINUTE).toBe(200_000);
    expect(loadConfig({ GRAPHQL_COST_PER_MINUTE: '5000' }).GRAPHQL_COST_PER_MINUTE).toBe(5000);
    expect(() => loadConfig({ GRAPHQL_COST_PER_MINUTE: '0' })).toThrow(/GRAPHQL_COST_PER_MINUTE/);
    const client = (costPerMinute: unknown) => JSON.stringify({ app: { displayName: 'App', redirectUris: ['https://app.example/cb'], costPerMinute } });
    expect(loadConfig({ API_CLIENTS: client(5000) }).API_CLIENTS.app?.costPerMinute).toBe(5000);
    for (const bad of [0, -1, 1.5, '5000']) expect(() => loadConfig({ API_CLIENTS: client(bad) })).toThrow(/API_CLIENTS: app\.costPerMinute/);
  });
});

describe('budgets registered per client', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ seed: 43, borrowers: 1, link: false, env: { GRAPHQL_COST_PER_MINUTE: String(BUDGET), API_CLIENTS: apiClients({ 'client-generous': 3 * BUDGET, 'client-strict': 3 * COST }) } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("a client's costPerMinute in API_CLIENTS replaces GRAPHQL_COST_PER_MINUTE for that client only", async () => {
    const standard = await spend(s, [s.server.url], 'client-a');
    expect(standard.answered).toBe(BUDGET / COST);
    expectRefused(standard.refused, BUDGET);
    const generous = await spend(s, [s.server.url], 'client-generous');
    expect(generous.answered).toBe((3 * BUDGET) / COST);
    expectRefused(generous.refused, 3 * BUDGET);
    const strict = await spend(s, [s.server.url], 'client-strict');
    expect(strict.answered).toBe(3);
    expectRefused(strict.refused, 3 * COST);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('one budget per client across instances (PostgreSQL server)', () => {
  let s: Stack;
  /** A second instance of the API on the same database (its own pool, as another process would have). */
  let second: App;
  let both: string[];
  beforeAll(async () => {
    s = await startStack({ seed: 44, borrowers: 1, link: false, env: { GRAPHQL_COST_PER_MINUTE: String(BUDGET), API_CLIENTS: apiClients({ 'client-generous': 3 * BUDGET, 'client-leased': LEASED }) } });
    second = await createApp({ ...s.app.config, DATABASE_URL: s.db.url! }, { clock: s.clock, log: createLogger('silent', false), scheduler: false });
    const server = await second.start({ host: '127.0.0.1', port: 0 });
    both = [s.server.url, server.url];
  });
  afterAll(async () => {
    await second?.close();
    await s?.close();
  });

  it('refuses a client once its calls over both instances together spend the one budget; another client is unaffected', async () => {
    // Two budgets of their own would answer 2 * BUDGET / COST calls; one shared budget answers half of that.
    const { answered, refused } = await spend(s, both, 'client-a');
    expect(answered).toBe(BUDGET / COST);
    expectRefused(refused, BUDGET);
    // Refused on both instances now, whichever answered the refusal.
    for (const url of both) expect((await call(s, url, 'client-a')).status).toBe(429);
    // The points are counted in the shared table (the refused calls count too, as in memory).
    const rows = await s.db.sql.query<{ points: number }>(`SELECT points FROM satukredit_rate_limit WHERE key = 'graphql-cost:client-a'`);
    expect(rows[0]?.points).toBeGreaterThan(BUDGET);
    // Another client still has its whole budget, on either instance.
    for (const url of both) expect((await call(s, url, 'client-b')).status).toBe(200);
  });

  it("a client's registered costPerMinute is its one budget across instances", async () => {
    const { answered, refused } = await spend(s, both, 'client-generous');
    expect(answered).toBe((3 * BUDGET) / COST);
    expectRefused(refused, 3 * BUDGET);
  });

  it('takes a large budget from the table in blocks, never letting a client over it', async () => {
    // Blocks of LEASE_SHARE of the budget (here 20 points, 10 calls): each instance asks the table once per block.
    const { answered, refused } = await spend(s, both, 'client-leased', LEASED);
    expectRefused(refused, LEASED);
    // Never over the budget; early by at most one block per instance (taken, not yet spent).
    const block = Math.ceil(LEASED * LEASE_SHARE);
    expect(answered).toBeLessThanOrEqual(LEASED / COST);
    expect(answered).toBeGreaterThanOrEqual((LEASED - both.length * block) / COST);
  });

  it('limits each instance on its own while the shared table cannot be reached', async () => {
    await s.db.sql.exec('ALTER TABLE satukredit_rate_limit RENAME TO satukredit_rate_limit_away');
    try {
      // Each instance counts the client in memory, with the same budget.
      for (const url of both) {
        const { answered, refused } = await spend(s, [url], 'client-concurrent');
        expect(answered).toBe(BUDGET / COST);
        expectRefused(refused, BUDGET);
      }
    } finally {
      await s.db.sql.exec('ALTER TABLE satukredit_rate_limit_away RENAME TO satukredit_rate_limit');
    }
    // With the table back, a client is counted there again, once for both instances.
    const { answered } = await spend(s, both, 'client-other');
    expect(answered).toBe(BUDGET / COST);
  });
});
