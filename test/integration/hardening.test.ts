/**
 * GraphQL hardening over real HTTP: limits, masking, introspection and suggestions, CSRF, body size, batching,
 * rate limiting, and what an app run with NODE_ENV=production serves.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultExamples, defaultHardening, LEASE_SHARE, renderPlayground } from '../../src/app';
import { startStack, type Stack } from '../support/stack';

/** A token a page might carry (what `npm start` would have preset). */
const PAGE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLWFnZ3JlZ2F0b3IifQ.cHJvZHVjdGlvbi10ZXN0';

let dev: Stack;
let prod: Stack;
/** An app configured with NODE_ENV=production (its hardening and playground come from that alone). */
let production: Stack;
beforeAll(async () => {
  dev = await startStack({ seed: 41, borrowers: 4 });
  prod = await startStack({ seed: 41, borrowers: 4, hardening: { ...defaultHardening(true), costPerMinute: 400 } });
  const gid = Buffer.from(JSON.stringify(['Borrower', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
  production = await startStack({ seed: 41, borrowers: 2, env: { NODE_ENV: 'production' }, playgroundHtml: renderPlayground({ token: PAGE_TOKEN, examples: defaultExamples(gid) }) });
});
afterAll(async () => {
  await dev?.close();
  await prod?.close();
  await production?.close();
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

  it('answers a document over the token limit with HTTP 400 and GRAPHQL_VALIDATION_FAILED, not a 500', async () => {
    // 6002 tokens (the limit is 5000): the parser stops at the limit.
    const overLimit = `{ ${Array.from({ length: 6000 }, () => '__typename').join(' ')} }`;
    for (const s of [dev, production]) {
      const r = await s.gql(overLimit);
      expect(r.status).toBe(400);
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]).toMatchObject({ message: 'Syntax Error: Token limit of 5000 exceeded.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
    // Other syntax errors keep their own code.
    const broken = await dev.gql('{ borrowers(first: 1) { totalCount }');
    expect([broken.status, broken.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_PARSE_FAILED']);
    // 4998 tokens: under the limit, parsed and answered.
    const underLimit = await dev.gql(`{ ${Array.from({ length: 1666 }, () => 'a: __typename').join(' ')} }`);
    expect(underLimit.errors?.[0]?.message ?? '').not.toMatch(/token limit/i);
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
    // A new content hash with the corrupt payload, as any writer's would: the instance's copy of the payload
    // (src/core/snapshot-cache.ts) is then stale and the corrupt one is read.
    await dev.db.prisma.providerSnapshot.updateMany({ where: { domain: 'LOANS', account: { borrowerId: dev.borrowerIds[0]! } }, data: { payload: [{ principal: 'not money', installments: 7 }], contentHash: 'corrupted' } });
    const res = await fetch(`${dev.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.token()}`, 'x-request-id': 'req-mask-test' },
      // Another document than the first: this test corrupts the database behind the app's back, which no writer
      // announces, so the first document's answer (stored in the response cache) would still be served.
      body: JSON.stringify({ query: `query($id: ID!) { creditView(borrowerId: $id) { complete asOf } }`, variables: { id } }),
    });
    const body = (await res.json()) as any;
    expect(body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-mask-test' } });
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|stack|at \/|prisma|SELECT|not money/i);
    await dev.db.prisma.providerSnapshot.deleteMany();
  });
});

/** A consentRequestCreate input, its providers given. */
const grantInput = (providers: string) =>
  `{ nik: "3171000000000001", providers: ${providers}, domains: [LOANS], purpose: "typo", expiresAt: "2030-01-01T00:00:00Z", dataLifeSeconds: 60, redirectUri: "https://example.com/cb" }`;

/** Misspelt operations, each answered with an error graphql-js would decorate with a suggestion. */
const TYPOS: { name: string; query: string; variables?: Record<string, unknown>; code: string; error: RegExp }[] = [
  { name: 'field', query: `{ borower(id: "x") { id } }`, code: 'GRAPHQL_VALIDATION_FAILED', error: /Cannot query field "borower" on type "Query"/ },
  { name: 'argument', query: `{ borrowers(frist: 1) { totalCount } }`, code: 'GRAPHQL_VALIDATION_FAILED', error: /Unknown argument "frist" on field "Query.borrowers"/ },
  { name: 'type', query: `query T($n: Innt) { borrowers(first: 1) { totalCount } }`, code: 'GRAPHQL_VALIDATION_FAILED', error: /Unknown type "Innt"/ },
  { name: 'enum literal', query: `mutation { consentRequestCreate(input: ${grantInput('[CAIRN]')}) { userErrors { code } } }`, code: 'GRAPHQL_VALIDATION_FAILED', error: /Value "CAIRN" does not exist in "Provider" enum/ },
  {
    name: 'enum value in variables',
    query: `mutation G($providers: [Provider!]!) { consentRequestCreate(input: ${grantInput('$providers')}) { userErrors { code } } }`,
    variables: { providers: ['CAIRN'] },
    code: 'BAD_USER_INPUT',
    error: /Variable "\$providers" got invalid value "CAIRN" at "providers\[0\]"; Value "CAIRN" does not exist in "Provider" enum/,
  },
];

describe('production defaults', () => {
  it('turns introspection off', async () => {
    for (const s of [prod, production]) {
      const intro = await s.gql(`{ __schema { types { name } } }`);
      expect(intro.errors?.[0]?.message).toMatch(/introspection/i);
    }
    expect((await dev.gql(`{ __schema { queryType { name } } }`)).errors).toBeUndefined();
  });

  for (const t of TYPOS) {
    it(`answers a ${t.name} typo without any suggestion in production, with one in development`, async () => {
      for (const s of [production, prod]) {
        const r = await s.gql(t.query, t.variables);
        expect(r.status).toBe(400);
        expect(r.errors?.[0]?.extensions?.code).toBe(t.code);
        expect(r.errors?.[0]?.message).toMatch(t.error);
        for (const e of r.errors ?? []) expect(e.message).not.toMatch(/Did you mean|Suggestion|\?\s*$/);
        expect(JSON.stringify(r)).not.toMatch(/did you mean/i);
      }
      const d = await dev.gql(t.query, t.variables);
      expect(d.status).toBe(400);
      expect(d.errors?.[0]?.message).toMatch(t.error);
      expect(d.errors?.[0]?.message).toMatch(/Did you mean/);
    });
  }
});

describe('an app run with NODE_ENV=production', () => {
  it('serves GraphiQL without a token, even given a page that presets one', async () => {
    const res = await fetch(`${production.server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page.includes('Satu Kredit GraphiQL')).toBe(true);
    // (booleans: a failure would print the 9 MB page)
    expect(page.includes(PAGE_TOKEN), 'the token is in the page').toBe(false);
    expect(/Bearer /.test(page), 'a bearer header is in the page').toBe(false);
    // Outside production the page is served as given.
    expect(renderPlayground({ token: PAGE_TOKEN }).includes(PAGE_TOKEN)).toBe(true);
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
    expect(big.body.error).toMatch(/too large/);
    const batch = await post(dev, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(batch.status).toBe(400);
  });

  it('answers every oversized body with a 413 JSON reason, never a reset connection (/graphql and /webhooks)', async () => {
    const body = Buffer.alloc(5_000_000, 'x');
    const paths = ['/graphql', '/webhooks/dompetkilat/v1/loan/disburse'];
    for (const path of paths) {
      for (let i = 0; i < 20; i++) {
        // Half with content-length (refused before reading), half chunked (refused once 1 MB has arrived).
        const r = await rawPost(`${dev.server.url}${path}`, body, { 'content-type': 'application/json', authorization: `Bearer ${dev.token()}` }, i % 2 === 1);
        expect(r.status, `${path} send ${i}`).toBe(413);
        expect(r.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(r.body).error, `${path} send ${i}`).toMatch(/request body too large/);
      }
    }
    // The server still answers afterwards.
    expect((await dev.gql('{ __typename }')).status).toBe(200);
  });
});

/**
 * POSTs `body` with node's http module, with content-length or chunked in 64 KB writes; resolves with the
 * answer once it is complete (whether or not the server read the whole body), rejects on a connection error
 * before a complete answer.
 */
function rawPost(url: string, body: Buffer, headers: Record<string, string>, chunked: boolean): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => !answered && reject(e));
    });
    req.on('error', (e) => !answered && reject(e));
    if (!chunked) return void req.end(body);
    let at = 0;
    const write = () => {
      while (at < body.length) {
        const ok = req.write(body.subarray(at, at + 65_536));
        at += 65_536;
        if (!ok) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

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

describe('operation costs', () => {
  it('charges an operation its fields whichever borrower it names, and a request with refused variables never lowers that', async () => {
    // 21 fields. Costs are kept per document and the variables a cost reads (none here), not per borrower asked about.
    const query = `query($id: ID!) { borrower(id: $id) { id fullName createdAt accounts { provider linkedAt }
      creditView { asOf complete totalOutstanding { amount currency } totalOverdue { amount currency } providers { provider health errorCode loanCount } } } }`;
    const client = { authorization: `Bearer ${prod.token('estimate-client')}` };
    // First, the same document without its variable: refused (BAD_USER_INPUT), charged the minimum point.
    const bad = await post(prod, { query, variables: {} }, client);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    let answered = 0;
    let refused: Awaited<ReturnType<typeof post>> | null = null;
    while (!refused && answered < 100) {
      const id = Buffer.from(JSON.stringify(['Borrower', randomUUID()])).toString('base64url');
      const r = await post(prod, { query, variables: { id } }, client);
      if (r.status === 429) refused = r;
      else answered++;
    }
    expect(refused?.body.errors[0].message).toContain('over 400 cost points per minute (this operation costs 21)');
    // 399 points left after the refused request's 1; on a PostgreSQL server that request took a block of the shared
    // budget (LEASE_SHARE of it) of which it spent 1, so the client may be refused up to that block early.
    expect(answered).toBeLessThanOrEqual(Math.floor((400 - 1) / 21));
    expect(answered).toBeGreaterThanOrEqual(Math.floor((400 - Math.ceil(400 * LEASE_SHARE)) / 21));
  });
});

describe('GraphQL over WebSocket', () => {
  /** Runs one operation over graphql-ws and returns the errors it ended with (or the first result). */
  async function overWs(s: Stack, query: string, variables: Record<string, unknown> = {}) {
    const { createClient } = await import('graphql-ws');
    const { WebSocket } = await import('ws');
    const client = createClient({ url: `${s.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token()}` }, lazy: true, retryAttempts: 0 });
    try {
      return await new Promise<{ errors?: readonly { message: string; extensions?: Record<string, unknown> }[]; data?: unknown }>((resolve) => {
        client.subscribe({ query, variables }, { next: (v) => resolve(v as never), error: (e) => resolve({ errors: Array.isArray(e) ? e : [e as never] }), complete: () => undefined });
      });
    } finally {
      await client.dispose();
    }
  }
  const sub = (fields: string) => `subscription($id: ID!) { loanChanged(borrowerId: $id) { ${fields} } }`;
  const someId = () => Buffer.from(JSON.stringify(['Borrower', dev.borrowerIds[0]!])).toString('base64url');

  it('serves subscriptions only: a query or mutation is refused without running', async () => {
    const q = await overWs(dev, '{ borrowers(first: 1) { totalCount } }');
    expect(q.errors?.[0]?.message).toMatch(/only subscriptions are served over WebSocket/);
    expect(q.data).toBeUndefined();
  });

  it('applies the same limits and suggestion rules as HTTP', async () => {
    const aliases = await overWs(dev, sub(Array.from({ length: 20 }, (_, i) => `a${i}: kind`).join(' ')), { id: someId() });
    expect(aliases.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(aliases.errors)).toMatch(/alias/i);
    const tokens = await overWs(dev, sub(Array.from({ length: 6000 }, () => 'kind').join(' ')), { id: someId() });
    expect(tokens.errors?.[0]?.message).toMatch(/5000/);
    const typo = await overWs(production, sub('kinnd'), { id: someId() });
    expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "kinnd"/);
    expect(JSON.stringify(typo.errors)).not.toMatch(/Did you mean/);
    const introspection = await overWs(production, 'subscription { __schema { types { name } } }');
    expect(introspection.errors?.length).toBeGreaterThan(0);
  });
});
