/**
 * Admission of heavy operations (src/graphql/admission.ts; GRAPHQL_HEAVY_CONCURRENCY, GRAPHQL_HEAVY_WORK): the work
 * estimate, and a server that executes at most the configured number of heavy operations at once while light ones
 * pass, over real HTTP against the sandbox, each answer the same as when it runs alone.
 */
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHardening, graphqlSchema, loadConfig, operationWork } from '../../src/app';
import { TEST_START, TestClock } from '../support/clock';
import { JWT, startStack, type Stack } from '../support/stack';

// Read live (maxAgeSeconds: 0): each execution waits for the providers, so executions not held apart overlap.
const PAGE = `query Page($first: Int!) { borrowers(first: $first) { edges { node { id
  loans(maxAgeSeconds: 0) { providerLoanId status principal { amount } outstanding { total { amount } } installments { seq dueDate status amountDue { amount } } } } } } }`;
const VIEW = `query View($id: ID!) { creditView(borrowerId: $id) { totalOutstanding { amount } loans { providerLoanId } } }`;

describe('the work estimate', () => {
  it('counts one point per field and a page selection once per item asked for', async () => {
    const schema = await graphqlSchema();
    const work = (q: string, v: Record<string, unknown> = {}) => operationWork(schema, parse(q), undefined, v);
    // id 1, node 1 + 1, edges 1 + 2, borrowers 1 + first x 3.
    expect(work('{ borrowers(first: 1) { edges { node { id } } } }')).toBe(4);
    expect(work('{ borrowers(first: 50) { edges { node { id } } } }')).toBe(151);
    expect(work('query($n: Int!) { borrowers(first: $n) { edges { node { id } } } }', { n: 20 })).toBe(61);
    // A list without page arguments counts once, whatever its length will be.
    expect(work('query($id: ID!) { creditView(borrowerId: $id) { loans { providerLoanId } } }', { id: 'x' })).toBe(3);
    // Invalid variables: no estimate (execution answers the error).
    expect(work('query($n: Int!) { borrowers(first: $n) { edges { node { id } } } }', {})).toBe(0);
  });

  it('is configured by GRAPHQL_HEAVY_CONCURRENCY and GRAPHQL_HEAVY_WORK', () => {
    const c = loadConfig({ JWT_SECRET: JWT.secret });
    expect([c.GRAPHQL_HEAVY_CONCURRENCY, c.GRAPHQL_HEAVY_WORK]).toEqual([2, 2000]);
    expect(() => loadConfig({ JWT_SECRET: JWT.secret, GRAPHQL_HEAVY_CONCURRENCY: '-1' })).toThrow(/GRAPHQL_HEAVY_CONCURRENCY/);
    expect(() => loadConfig({ JWT_SECRET: JWT.secret, GRAPHQL_HEAVY_WORK: '0' })).toThrow(/GRAPHQL_HEAVY_WORK/);
  });
});

describe('a server admitting one heavy operation at a time', () => {
  const clock = new TestClock(TEST_START);
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      clock,
      seed: 5,
      borrowers: 12,
      hardening: { ...defaultHardening(false), costPerMinute: 1_000_000_000 },
      // No stored answers: identical pages would otherwise wait for the first one's answer instead of executing.
      env: { GRAPHQL_HEAVY_CONCURRENCY: '1', GRAPHQL_HEAVY_WORK: '100', RESPONSE_CACHE_MB: '0' },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('executes concurrent heavy pages one after another, each answered as when alone, and lets light reads pass', async () => {
    const schema = await graphqlSchema();
    expect(operationWork(schema, parse(PAGE), undefined, { first: 10 })).toBeGreaterThanOrEqual(100);
    expect(operationWork(schema, parse(VIEW), undefined, { id: 'x' })).toBeLessThan(100);
    const alone = await s.gql(PAGE, { first: 10 });
    expect(alone.errors).toBeUndefined();
    expect(alone.data.borrowers.edges).toHaveLength(10);
    const before = s.server.admission();
    expect(before).toMatchObject({ admitted: 1, running: 0, waiting: 0, maxRunning: 1 });

    const ids = alone.data.borrowers.edges.map((e: any) => e.node.id as string);
    // Providers answering after 20 ms: an execution waits on the network, where others would start meanwhile.
    const servers = [s.sandbox.cairin, s.sandbox.finfra, s.sandbox.dompetKilat];
    for (const srv of servers) srv.setLatency({ minMs: 20 });
    clock.advance(1000); // the copies the first page stored are a second old: maxAgeSeconds 0 reads live again
    s.sandbox.resetStats();
    const [pages, views] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, () => s.gql(PAGE, { first: 10 }))),
      Promise.all(ids.slice(0, 4).map((id: string) => s.gql(VIEW, { id }))),
    ]).finally(() => {
      for (const srv of servers) srv.setLatency(null);
    });
    expect(s.sandbox.stats().total).toBeGreaterThan(0);
    for (const p of pages) expect(p).toEqual(alone);
    for (const v of views) {
      expect(v.errors).toBeUndefined();
      expect(v.data.creditView.loans.length).toBeGreaterThan(0);
    }
    // Six heavy pages admitted, never two at once; the credit views were not counted.
    expect(s.server.admission()).toEqual({ admitted: 7, running: 0, waiting: 0, maxRunning: 1 });
  });

  it('estimates the same document by the page size each request asks for', async () => {
    const before = s.server.admission().admitted;
    expect((await s.gql(PAGE, { first: 2 })).data.borrowers.edges).toHaveLength(2); // 35 points: light
    expect(s.server.admission().admitted).toBe(before);
    expect((await s.gql(PAGE, { first: 10 })).data.borrowers.edges).toHaveLength(10);
    expect((await s.gql(PAGE, { first: 2 })).data.borrowers.edges).toHaveLength(2);
    expect(s.server.admission().admitted).toBe(before + 1);
  });
});
