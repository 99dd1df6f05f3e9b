/**
 * Examples that run: every GraphQL operation shown in README.md and docs/*.md (and those `npm start` prints,
 * `cliExamples` of src/cli-examples.ts) is checked against schema/schema.graphql, then run over HTTP on a stack seeded with the
 * demo data `npm start` uses (sandbox seed 42, 60 borrowers, the demo clients' consents given through the
 * consent flow as `npm start` gives them), one fresh stack per document, operations in document order. An
 * operation answers without GraphQL errors unless its shown answer shows errors (then the same codes), and a shown
 * answer is the real one: same keys and JSON types recursively, same values except ids made at run time (the
 * demo's stable Borrower and Loan ids are compared too).
 * The convention for writing examples is in test/support/doc-examples.ts and docs/developer.md.
 *
 * The stack's clock stands at DOC_INSTANT: the day the docs' answers are stated for (the sandbox generates its
 * schedules relative to "today", so amounts and dates move with the day the demo runs).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, type GraphQLSchema, Kind, NoDeprecatedCustomRule, type OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliExamples, defaultExamples, demoAccountId, demoBorrowerId, reserveDemoIds, seedDemoConsents, toGlobalId } from '../../src/app';
import { DEMO_LOAN, sandboxAccounts } from '../../src/sandbox';
import { TestClock } from '../support/clock';
import { answerDifferences, docSteps, type DocOperation, type DocStep, fillQuery, fillVariables } from '../support/doc-examples';
import { JWT, startStack, type Stack, TEST_REDIRECT_URI } from '../support/stack';

/** 2026-12-05 10:00 WIB: "today" of the answers shown in the docs. */
const DOC_INSTANT = new Date('2026-12-05T03:00:00.000Z');
/** The demo data of `npm start` (SANDBOX_SEED, SANDBOX_BORROWERS defaults). */
const DEMO_SEED = 42;
const DEMO_BORROWERS = 60;
/** The demo clients and their scopes, as `npm start` prints their tokens. */
const DEMO_SCOPES = ['credit:read', 'payoff:read', 'consent:write'];

const ROOT = path.resolve(__dirname, '../..');
/** Documents whose fences are examples: README.md and docs/*.md (docs/benchmarks.md shows measurements, not examples). */
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'benchmarks.md').sort().map((f) => `docs/${f}`)];

const parsed = new Map(DOCS.map((f) => [f, docSteps(f, readFileSync(path.join(ROOT, f), 'utf8'))]));
const steps = new Map<string, DocStep[]>([...parsed].map(([f, p]) => [f, p.steps]));
const schema: GraphQLSchema = buildSchema(readFileSync(path.join(ROOT, 'schema/schema.graphql'), 'utf8'));

/**
 * A stack with the demo's data: the sandbox generated as `npm start` generates it, and the demo consents given
 * as `npm start` gives them, with its code (src/cli-demo.ts, seedDemoConsents): every borrower consents to demo-aggregator for all
 * providers and domains, every third to demo-refinancer for LOANS, INSTALLMENTS and IDENTITY; the seed borrower
 * John first, the others 8 at a time, each through the hosted consent page; before that each borrower's rows are
 * reserved under the demo's stable ids (reserveDemoIds), so Borrower and Loan ids are the demo's.
 */
async function startDemoStack(): Promise<Stack> {
  const s = await startStack({ seed: DEMO_SEED, borrowers: DEMO_BORROWERS, link: false, clock: new TestClock(DOC_INSTANT) });
  const people = sandboxAccounts(s.sandbox.dataset);
  const seeder = await seedDemoConsents({
    apiUrl: s.server.url,
    requests: s.requests,
    smsUrl: s.sandbox.sms.url,
    redirectUri: TEST_REDIRECT_URI,
    jwt: JWT,
    held: async () => [],
    reserve: (i) => reserveDemoIds(s.db.sql, DEMO_SEED, people[i]!),
    now: s.clock.now(),
  });
  await seeder.first();
  const done = await seeder.rest();
  if (done.done !== s.requests.length) throw new Error(`demo seeding stopped at ${done.done} of ${s.requests.length}`);
  return s;
}

/** The ids only the running stack knows, by the placeholder names of the convention. */
function resolver(s: Stack, captured: Map<string, string>) {
  const people = sandboxAccounts(s.sandbox.dataset);
  return async (name: string): Promise<string> => {
    let m = /^Borrower id of (.+)$/.exec(name);
    if (m) {
      const found = people.filter((p) => p.fullName === m![1]);
      if (found.length !== 1) throw new Error(`<${name}>: ${found.length} demo borrowers are named "${m[1]}"`);
      const b = await s.db.prisma.borrower.findUnique({ where: { nik: found[0]!.nik } });
      if (!b) throw new Error(`<${name}>: not linked in the demo`);
      return toGlobalId('Borrower', b.id);
    }
    m = /^Loan id of (.+)$/.exec(name);
    if (m) {
      const loanId = m[1]!;
      const holders = people.flatMap((p) => p.accounts.filter((a) => a.loans.includes(loanId)));
      if (holders.length !== 1) throw new Error(`<${name}>: ${holders.length} demo accounts hold a loan ${loanId}`);
      const acct = await s.db.prisma.providerAccount.findFirst({ where: { provider: holders[0]!.provider, externalId: holders[0]!.externalId } });
      if (!acct) throw new Error(`<${name}>: the account is not linked in the demo`);
      return toGlobalId('Loan', acct.id, loanId);
    }
    if (name === 'redirect URI') return TEST_REDIRECT_URI;
    const c = captured.get(name);
    if (c) return c;
    throw new Error(`<${name}>: no such placeholder (Borrower id of NAME, Loan id of LOAN, redirect URI, Consent id, Webhook endpoint id)`);
  };
}

/** The demo's stable ids (raw and global): an answer that shows one must show the real one. */
function stableIds(s: Stack): Set<string> {
  const ids = new Set<string>();
  for (const p of sandboxAccounts(s.sandbox.dataset)) {
    const b = demoBorrowerId(DEMO_SEED, p.nik);
    ids.add(b).add(toGlobalId('Borrower', b));
    for (const a of p.accounts) {
      const id = demoAccountId(DEMO_SEED, a.provider, a.externalId);
      ids.add(id);
      for (const l of a.loans) ids.add(toGlobalId('Loan', id, l));
    }
  }
  return ids;
}

/** Fills `"<...>"` placeholders, which may need the database. */
async function fill(op: DocOperation, resolve: (name: string) => Promise<string>) {
  const names = [...op.query.matchAll(/"<([^">]+)>"/g)].map((m) => m[1]!);
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      const m = /^<([^>]+)>$/.exec(v);
      if (m) names.push(m[1]!);
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(op.variables);
  const values = new Map<string, string>();
  for (const n of names) values.set(n, await resolve(n));
  const get = (n: string) => values.get(n)!;
  return { query: fillQuery(op.query, get), variables: fillVariables(op.variables, get) as Record<string, unknown> };
}

/** Ids a later example of the same document may name. */
function capture(data: any, captured: Map<string, string>) {
  const consent = data?.consentRequestCreate?.consent?.id;
  if (typeof consent === 'string') captured.set('Consent id', consent);
  const endpoint = data?.webhookEndpointCreate?.endpoint?.id;
  if (typeof endpoint === 'string') captured.set('Webhook endpoint id', endpoint);
}

function operationOf(query: string): OperationDefinitionNode {
  const ops = parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1) throw new Error(`one operation per example, found ${ops.length}`);
  return ops[0]!;
}

/** Posts an operation and returns the answer as the server sent it. */
async function post(s: Stack, op: DocOperation, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${s.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token(op.client, op.scopes ? [...op.scopes] : DEMO_SCOPES)}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** Runs a subscription until the server has it live (or it fails): an example subscription is accepted and subscribed. */
async function subscribe(s: Stack, op: DocOperation, query: string, variables: Record<string, unknown>): Promise<void> {
  const { createClient } = await import('graphql-ws');
  const WebSocket = (await import('ws')).default;
  const { watchSubscribe } = await import('../support/subscriptions');
  const field = (operationOf(query).selectionSet.selections[0] as { name: { value: string } }).name.value;
  const watch = watchSubscribe(s.app.core.deps.publisher, field === 'consentStatusChanged' ? 'consentChanges' : 'subscribe');
  const ws = createClient({ url: `${s.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token(op.client, op.scopes ? [...op.scopes] : DEMO_SCOPES)}` }, lazy: false, retryAttempts: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      watch.subscribed.then(resolve, reject);
      ws.subscribe({ query, variables }, { next: (v) => (v.errors ? reject(new Error(JSON.stringify(v.errors))) : undefined), error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))), complete: () => undefined });
    });
  } finally {
    watch.restore();
    await ws.dispose();
  }
}

const operations = [...steps.entries()].flatMap(([, list]) => list.filter((x): x is DocOperation => x.kind === 'operation'));

describe('documentation examples: how fences are read and answers compared', () => {
  it('pairs an operation with the variables and answer fences after it, and refuses an unlabelled answer', () => {
    const md = ['```graphql client=demo-refinancer scopes=webhook:write', 'query Q($id: ID!) { node(id: $id) { id } }', '```', 'text', '```json variables', '{ "id": "<Borrower id of John>" }', '```', '```json answer partial', '{ "data": { "node": null } }', '```', '```json', '{ "data": {} }', '```'].join('\n');
    const { steps: got, problems } = docSteps('x.md', md);
    expect(got).toEqual([{ kind: 'operation', where: 'x.md:1', query: 'query Q($id: ID!) { node(id: $id) { id } }', variables: { id: '<Borrower id of John>' }, client: 'demo-refinancer', scopes: ['webhook:write'], answer: { value: { data: { node: null } }, partial: true, shapeOnly: false, where: 'x.md:8' } }]);
    expect(problems).toEqual([expect.stringMatching(/^x\.md:11: a `json` fence that looks like a GraphQL answer/)]);
  });

  it('reads curl requests and fired events from sh fences', () => {
    const md = ['```sh', `curl -s http://127.0.0.1:4000/graphql --data '{"query":"{ __typename }"}'`, '```', '```sh', `npx satukredit fire -u <events url> finfra '{"route":"users","type":"bnpl","status":"PAID","data":{}}'`, '```'].join('\n');
    const { steps: got } = docSteps('y.md', md);
    expect(got.map((x) => x.kind)).toEqual(['operation', 'fire']);
    expect((got[0] as DocOperation).query).toBe('{ __typename }');
  });

  it('compares keys, JSON types and values; run-time ids by type, stable ids exactly', () => {
    const strict = { partial: false, shapeOnly: false };
    expect(answerDifferences({ a: 1, b: ['x'] }, { a: 1, b: ['x'] }, strict)).toEqual([]);
    expect(answerDifferences({ a: 1 }, { a: '1' }, strict)).toEqual(['$.a: shown number 1, real string "1"']);
    expect(answerDifferences({ a: 1 }, { a: 1, b: 2 }, strict)).toEqual(['$.b: in the real answer (2), not shown']);
    expect(answerDifferences({ a: [1] }, { a: [1, 2] }, strict)).toEqual(['$.a: shown 1 elements, real 2']);
    expect(answerDifferences({ a: [1] }, { a: [1, 2] }, { partial: true, shapeOnly: false })).toEqual([]);
    expect(answerDifferences({ a: 'x', n: 1 }, { a: 'y', n: 2 }, { partial: false, shapeOnly: true })).toEqual([]);
    const [u1, u2] = ['0b7e4d52-8a1c-4f3e-b6d9-5c2a7e9f1d04', '3f0c8e2a-5b7d-4c1e-9a64-2d8b7e1f0c35'];
    expect(answerDifferences({ id: u1, other: u1 }, { id: u2, other: u2 }, strict)).toEqual([]);
    expect(answerDifferences({ id: u1 }, { id: u2 }, { ...strict, stable: new Set([u1]) })).toEqual([`$.id: shown "${u1}", real "${u2}"`]);
  });
});

describe('documentation examples: the convention', () => {
  it.each(DOCS)('%s labels its examples as the convention says', (f) => {
    expect(parsed.get(f)!.problems).toEqual([]);
  });

  it('finds the examples of every guide', () => {
    for (const f of ['README.md', 'docs/aggregator.md', 'docs/developer.md', 'docs/refinancing.md', 'docs/errors.md']) {
      expect(steps.get(f)?.some((x) => x.kind === 'operation'), `${f} shows GraphQL operations`).toBe(true);
    }
  });

  it.each(operations.map((o) => [o.where, o] as const))('%s is valid against schema/schema.graphql and uses no deprecated field', (_where, op) => {
    const doc = parse(op.query);
    const errors = validate(schema, doc, [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message);
    expect(errors, `${op.where}: ${errors.join('; ')}`).toEqual([]);
  });
});

for (const [file, list] of steps) {
  if (!list.some((x) => x.kind === 'operation')) continue;
  // DOC_EXAMPLES_ONLY=<file>: run the examples of that document alone (while writing it).
  if (process.env.DOC_EXAMPLES_ONLY && process.env.DOC_EXAMPLES_ONLY !== file) continue;
  describe(`documentation examples on the demo data: ${file}`, () => {
    let s: Stack;
    const captured = new Map<string, string>();
    beforeAll(async () => {
      s = await startDemoStack();
    }, 300_000);
    afterAll(async () => {
      await s?.close();
    });

    for (const step of list) {
      if (step.kind === 'fire') {
        it(`${step.where} fires its provider events`, async () => {
          for (const e of step.events) {
            const sent = e.provider === 'finfra' ? await s.sender.finfra(e.body.route, e.body.type, e.body.status, e.body.data) : await s.sender.dompetKilat(e.body.kind, e.body.body);
            expect(sent.status, `${step.where}: ${JSON.stringify(sent)}`).toBeLessThan(300);
          }
          await s.app.core.events.idle();
        });
        continue;
      }
      const op = step;
      it(`${op.where} runs${op.answer ? ` and answers as ${op.answer.where} shows` : ''}`, async () => {
        const { query, variables } = await fill(op, resolver(s, captured));
        if (operationOf(query).operation === 'subscription') {
          await subscribe(s, op, query, variables);
          return;
        }
        const real = await post(s, op, query, variables);
        capture(real.data, captured);
        // DOC_EXAMPLES_DUMP=<dir>: each real answer is written there (to paste into the docs).
        if (process.env.DOC_EXAMPLES_DUMP) writeFileSync(path.join(process.env.DOC_EXAMPLES_DUMP, `${op.where.replace(/[/:]/g, '_')}.json`), `${JSON.stringify(real, null, 2)}\n`);
        const shown = op.answer?.value as { errors?: { extensions?: { code?: string } }[] } | undefined;
        const shownCodes = (shown?.errors ?? []).map((e) => e.extensions?.code);
        const realCodes = (real.errors ?? []).map((e) => e.extensions?.code);
        expect(realCodes, `${op.where}: errors ${JSON.stringify(real.errors)}`).toEqual(shownCodes);
        if (op.answer) {
          const diff = answerDifferences(op.answer.value, real, { ...op.answer, stable: stableIds(s) });
          expect(diff, `${op.answer.where} differs from the real answer:\n${diff.join('\n')}\nreal: ${JSON.stringify(real, null, 2)}`).toEqual([]);
        }
      });
    }
  });
}

describe('documentation examples: the operations npm start prints', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startDemoStack();
  }, 300_000);
  afterAll(async () => {
    await s?.close();
  });

  it('run on the demo data without errors', async () => {
    const john = await s.db.prisma.borrower.findUniqueOrThrow({ where: { nik: s.requests[0]!.nik } });
    const examples = cliExamples({ borrowerId: toGlobalId('Borrower', john.id) });
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) {
      expect(validate(schema, parse(ex.query), [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message), ex.name).toEqual([]);
      const op: DocOperation = { kind: 'operation', where: `npm start: ${ex.name}`, query: ex.query, variables: { ...ex.variables }, client: ex.clientId, scopes: null, answer: null };
      const real = await post(s, op, ex.query, op.variables);
      expect(real.errors, `${ex.name}: ${JSON.stringify(real.errors)}`).toBeUndefined();
      expect(real.data, ex.name).toBeTruthy();
    }
  });

  it("the playground's saved examples (npm start's GraphiQL tabs) run on the demo data without errors", async () => {
    const john = await s.db.prisma.borrower.findUniqueOrThrow({ where: { nik: s.requests[0]!.nik } });
    const account = await s.db.prisma.providerAccount.findFirstOrThrow({ where: { borrowerId: john.id, provider: DEMO_LOAN.provider } });
    const examples = defaultExamples(toGlobalId('Borrower', john.id), toGlobalId('Loan', account.id, DEMO_LOAN.providerLoanId), '2026-12-05');
    expect(examples.length).toBeGreaterThan(2);
    for (const ex of examples) {
      expect(validate(schema, parse(ex.query), [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message), ex.name).toEqual([]);
      const op: DocOperation = { kind: 'operation', where: `playground: ${ex.name}`, query: ex.query, variables: { ...(ex.variables ?? {}) }, client: 'demo-aggregator', scopes: null, answer: null };
      const real = await post(s, op, ex.query, op.variables);
      expect(real.errors, `${ex.name}: ${JSON.stringify(real.errors)}`).toBeUndefined();
      expect(real.data, ex.name).toBeTruthy();
    }
  });
});
