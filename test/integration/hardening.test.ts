/** GraphQL hardening over real HTTP: limits, masking, introspection, CSRF, body size, batching, rate limiting. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHardening } from '../../src/app';
import { startStack, type Stack } from '../support/stack';

let dev: Stack;
let prod: Stack;
beforeAll(async () => {
  dev = await startStack({ seed: 41, borrowers: 4 });
  prod = await startStack({ seed: 41, borrowers: 4, hardening: { ...defaultHardening(true), costPerMinute: 400 } });
});
afterAll(async () => {
  await dev?.close();
  await prod?.close();
});

async function post(s: Stack, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token()}`, ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as any };
}

describe('query limits', () => {
  it('rejects queries that are too deep, too aliased, too long or too costly', async () => {
    // 14 levels (the limit is 12); 20 aliases of a real field (the limit is 15; armor does not count __typename).
    const deep = `{ borrowers(first: 1) { edges { node { loans { borrower { loans { borrower { loans { borrower { loans { borrower { loans { borrower { id } } } } } } } } } } } } } }`;
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: borrowers(first: 1) { totalCount }`).join(' ')} }`;
    const tokens = `{ ${Array.from({ length: 3000 }, () => '__typename').join(' ')} }`;
    for (const q of [deep, aliases, tokens]) {
      const r = await dev.gql(q);
      expect(r.status).toBe(400);
      expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect((await dev.gql(`{ borrowers(first: 50) { edges { node { loans { installments { seq } } } } } }`)).errors).toBeUndefined();
  });
});

describe('bad variables', () => {
  it('answers a missing or mistyped variable with BAD_USER_INPUT and HTTP 400, not an internal error', async () => {
    const missing = await dev.gql('query Q($borrowerId: ID!) { creditView(borrowerId: $borrowerId) { asOf } }', {});
    expect([missing.status, missing.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_USER_INPUT']);
    const mistyped = await dev.gql('query Q($n: Int!) { borrowers(first: $n) { totalCount } }', { n: 'ten' });
    expect([mistyped.status, mistyped.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_USER_INPUT']);
  });
});

describe('errors are masked', () => {
  it('hides internal errors behind INTERNAL_SERVER_ERROR and the request id', async () => {
    const id = Buffer.from(JSON.stringify(['Borrower', dev.borrowerIds[0]!])).toString('base64url');
    await dev.gql(`query($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id });
    await dev.db.prisma.providerSnapshot.updateMany({ where: { domain: 'LOANS', account: { borrowerId: dev.borrowerIds[0]! } }, data: { payload: [{ principal: 'not money', installments: 7 }] } });
    const res = await fetch(`${dev.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.token()}`, 'x-request-id': 'req-mask-test' },
      body: JSON.stringify({ query: `query($id: ID!) { creditView(borrowerId: $id) { complete } }`, variables: { id } }),
    });
    const body = (await res.json()) as any;
    expect(body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-mask-test' } });
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|stack|at \/|prisma|SELECT|not money/i);
    await dev.db.prisma.providerSnapshot.deleteMany();
  });
});

describe('production defaults', () => {
  it('turns introspection and field suggestions off', async () => {
    const intro = await prod.gql(`{ __schema { types { name } } }`);
    expect(intro.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await prod.gql(`{ borower(id: "x") { id } }`);
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const devTypo = await dev.gql(`{ borower(id: "x") { id } }`);
    expect(devTypo.errors?.[0]?.message).toMatch(/Did you mean/);
    expect((await dev.gql(`{ __schema { queryType { name } } }`)).errors).toBeUndefined();
  });
});

describe('HTTP surface', () => {
  it('prevents CSRF: a simple GET without a preflight header is refused', async () => {
    const res = await fetch(`${dev.server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { authorization: `Bearer ${dev.token()}` } });
    expect(res.status).toBe(400);
    const ok = await fetch(`${dev.server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { authorization: `Bearer ${dev.token()}`, 'apollo-require-preflight': 'true' } });
    expect(ok.status).toBe(200);
  });

  it('limits the request body size and refuses batched requests', async () => {
    const big = await post(dev, { query: `{ __typename }`, variables: { pad: 'x'.repeat(1_100_000) } });
    expect(big.status).toBe(413);
    const batch = await post(dev, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(batch.status).toBe(400);
  });
});

describe('per-client rate limiting', () => {
  it('answers RATE_LIMITED with HTTP 429 and Retry-After once a client spends its cost budget, without affecting others', async () => {
    const q = { query: `{ borrowers(first: 5) { edges { node { id createdAt accounts { provider linkedAt } } } } }` };
    let limited: Awaited<ReturnType<typeof post>> | null = null;
    for (let i = 0; i < 100 && !limited; i++) {
      const r = await post(prod, q);
      if (r.status === 429) limited = r;
    }
    expect(limited).not.toBeNull();
    expect(limited!.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const other = await post(prod, q, { authorization: `Bearer ${prod.token('another-client')}` });
    expect(other.status).toBe(200);
  });
});
