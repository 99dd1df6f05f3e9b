/**
 * GRAPHQL_EXECUTOR (src/graphql/executor.ts): the compiled executor (`jit`, the default) answers exactly as
 * graphql-js. Two apps on one database, sandbox and clock, one on each executor, get the same requests; their
 * answers (HTTP status and JSON body) must be deep-equal: data, scalars, abstract types, errors with their codes,
 * paths and locations, partial data with nulls bubbled up, variable errors, and operations the compiled executor
 * leaves to graphql-js.
 */
import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, CALLABLE, createApp, createLogger, defaultHardening, jitSchema, loadConfig, signClientToken } from '../../src/app';
import { sandboxProviderEnv } from '../../src/sandbox';
import { TEST_START, TestClock } from '../support/clock';
import { JWT, startStack, type Stack } from '../support/stack';

const MONEY = 'amount currency';
const INSTALLMENT = `seq dueDate status principal { ${MONEY} } interest { ${MONEY} } amountDue { ${MONEY} } amountPaid { ${MONEY} } pendingAmount { ${MONEY} } outstanding { ${MONEY} }`;
const ARREARS = `amount { ${MONEY} } principal { ${MONEY} } interest { ${MONEY} } oldestDueDate daysPastDue qualityClass collectibility`;
const LOAN = `id provider providerLoanId type status scheduleSource frequency disbursedOn maturityDate daysPastDue qualityClass collectibility
  principal { ${MONEY} } overdueAmount { ${MONEY} }
  arrears { ${ARREARS} }
  lastPayment { amount { ${MONEY} } date }
  paidThisYear { year principal { ${MONEY} } interest { ${MONEY} } }
  outstanding { principal { ${MONEY} } interest { ${MONEY} } lateFees { ${MONEY} } pending { ${MONEY} } total { ${MONEY} } }
  reconciliationIssues { kind message amount { ${MONEY} } }
  rate { percent period } tenor { value unit } freshness { fetchedAt source }
  installments { ${INSTALLMENT} } nextInstallment { ${INSTALLMENT} }
  repayments { transactionId channel status paidAt clearedAt settlementOverdue amount { ${MONEY} } }
  disbursements { transactionId channel status disbursedAt amount { ${MONEY} } }
  borrower { id fullName }`;
const EVERYTHING = `query All($first: Int!, $max: Int) {
  borrowers(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      __typename id nik fullName createdAt
      accounts { provider linkedAt }
      loans(maxAgeSeconds: $max) { ${LOAN} }
      creditView(maxAgeSeconds: $max) {
        asOf complete totalOutstanding { ${MONEY} } totalPending { ${MONEY} } totalOverdue { ${MONEY} } worstQualityClass
        twp90 { percent outstandingOver90 { ${MONEY} } }
        totalCreditLimit { ${MONEY} }
        arrears { ${ARREARS} }
        nextInstallmentDue { loan { id providerLoanId } installment { ${INSTALLMENT} } }
        nextPaymentDue { dueDate amount { ${MONEY} } loan { id } installment { seq } }
        providers { provider health errorCode loanCount lenderName outstanding { ${MONEY} } creditLimit { ${MONEY} } availableCredit { ${MONEY} } overdue { ${ARREARS} } freshness { fetchedAt source stale } }
        loans { ${LOAN} }
        borrower { id fullName }
      }
    } }
  }
}`;

const clock = new TestClock(TEST_START);
// Cost limits of their own (a test of them lives in hardening.test.ts): these queries run many times per minute.
const hardening = { ...defaultHardening(false), costPerMinute: 1_000_000_000 };
let s: Stack;
let js: App;
let jsUrl: string;

beforeAll(async () => {
  // Response cache off: both apps answer every read by executing it (an answer stored by one is never the other's).
  s = await startStack({ seed: 11, borrowers: 6, clock, hardening, env: { RESPONSE_CACHE_MB: '0' } });
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: JWT.secret,
    ...sandboxProviderEnv(s.sandbox),
    PROVIDER_TIMEOUT_MS: '2000',
    API_CLIENTS: JSON.stringify({ 'test-client': { displayName: 'Test app test-client', redirectUris: ['http://127.0.0.1:9/consent-callback'] } }),
    RESPONSE_CACHE_MB: '0',
    GRAPHQL_EXECUTOR: 'graphql-js',
  });
  js = await createApp(config, { clock, database: s.db, log: createLogger('silent', false), hardening, scheduler: false, eventWorker: false });
  jsUrl = (await js.start({ host: '127.0.0.1', port: 0 })).url;
});
afterAll(async () => {
  await js?.close();
  await s?.close();
});

type Answer = { status: number; body: any };

async function ask(url: string, query: string, variables: Record<string, unknown>, token: string, operationName?: string): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables, ...(operationName ? { operationName } : {}) }),
  });
  const body = (await res.json()) as any;
  // Masked internal errors carry their request's id (different per request).
  for (const e of body.errors ?? []) delete e.extensions?.requestId;
  return { status: res.status, body };
}

/**
 * The answers of the graphql-js app and of the default (jit) app, asserted deep-equal; the jit one is returned. The
 * jit app is asked twice: it compiles an operation on its second execution (the first runs on graphql-js).
 */
async function same(query: string, variables: Record<string, unknown> = {}, opts: { token?: string; operationName?: string } = {}): Promise<Answer> {
  const token = opts.token ?? s.token();
  const expected = await ask(jsUrl, query, variables, token, opts.operationName);
  expect(await ask(s.server.url, query, variables, token, opts.operationName)).toEqual(expected);
  const compiled = await ask(s.server.url, query, variables, token, opts.operationName);
  expect(compiled).toEqual(expected);
  return compiled;
}

describe('the compiled executor answers as graphql-js', () => {
  it('is the default executor', () => {
    expect(loadConfig({ JWT_SECRET: JWT.secret }).GRAPHQL_EXECUTOR).toBe('jit');
    expect(() => loadConfig({ JWT_SECRET: JWT.secret, GRAPHQL_EXECUTOR: 'fast' })).toThrow(/GRAPHQL_EXECUTOR/);
  });

  it('answers borrowers with every nested field identically: scalars (Date, DateTime, money strings), lists, function-valued fields', async () => {
    // Each app's first read fetches from the providers (freshness.source LIVE), later ones read what is stored (CACHE).
    await ask(jsUrl, EVERYTHING, { first: 6, max: null }, s.token());
    await ask(s.server.url, EVERYTHING, { first: 6, max: null }, s.token());
    const r = await same(EVERYTHING, { first: 6, max: null });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.borrowers.edges).toHaveLength(6);
    const loan = r.body.data.borrowers.edges.flatMap((e: any) => e.node.loans).find((l: any) => l.installments?.length);
    expect(loan.installments[0].dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(loan.freshness.fetchedAt).toMatch(/\+07:00$/);
    expect(loan.outstanding.total.amount).toMatch(/^\d+$/);
    // The function-valued fields (marked callable) are called by the compiled executor: their answers are there.
    const loans = r.body.data.borrowers.edges.flatMap((e: any) => e.node.loans);
    expect(loans.every((l: any) => /^\d+$/.test(l.arrears.amount.amount) && l.borrower.id)).toBe(true);
    expect(loans.some((l: any) => l.lastPayment?.amount.amount)).toBe(true);
    expect(loans.some((l: any) => l.paidThisYear?.principal.amount)).toBe(true);
    const views = r.body.data.borrowers.edges.map((e: any) => e.node.creditView);
    expect(views.some((v: any) => v.nextPaymentDue?.amount.amount)).toBe(true);
    expect(views.some((v: any) => v.providers.some((p: any) => p.creditLimit?.amount && p.overdue?.amount.amount))).toBe(true);
  });

  it('calls only the fields marked callable, and refuses a marked field that has a resolver', () => {
    const money = new GraphQLObjectType({ name: 'M', fields: { amount: { type: GraphQLString } } });
    const fn = function (this: { v: string }) {
      return { amount: this.v };
    };
    const query = new GraphQLObjectType({
      name: 'Query',
      fields: {
        marked: { type: money, extensions: { [CALLABLE]: true }, resolve: undefined },
        plain: { type: money },
      },
    });
    const compiled = compileQuery(jitSchema(new GraphQLSchema({ query })), parse('{ marked { amount } plain { amount } }'));
    if (!isCompiledQuery(compiled)) throw new Error('not compiled');
    expect(compiled.query({ v: '7', marked: fn, plain: { amount: '8' } }, {}, {})).toEqual({ data: { marked: { amount: '7' }, plain: { amount: '8' } } });
    const withResolver = new GraphQLObjectType({ name: 'Query', fields: { x: { type: money, extensions: { [CALLABLE]: true }, resolve: () => null } } });
    expect(() => jitSchema(new GraphQLSchema({ query: withResolver }))).toThrow(/Query\.x is marked callable/);
  });

  it('resolves the Node interface, fragments, aliases and @skip/@include alike', async () => {
    const first = (await same(`{ borrowers(first: 2) { edges { node { id loans { id } } } } }`)).body.data.borrowers.edges;
    const borrowerId = first[0].node.id;
    const loanId = first[0].node.loans[0].id;
    const q = `query Q($b: ID!, $l: ID!, $yes: Boolean!, $no: Boolean!) {
      b: node(id: $b) { __typename id ...B }
      l: node(id: $l) { __typename id ... on Loan { providerLoanId status borrower { id } } }
      again: node(id: $l) { ... on Borrower { fullName } ... on Loan { __typename provider @include(if: $yes) type @skip(if: $yes) } }
      skipped: borrowers(first: 1) @include(if: $no) { totalCount }
      __typename
    }
    fragment B on Borrower { fullName accounts { provider } }`;
    const r = await same(q, { b: borrowerId, l: loanId, yes: true, no: false });
    expect(r.body.data.b.__typename).toBe('Borrower');
    expect(r.body.data.l.__typename).toBe('Loan');
    expect(r.body.data).not.toHaveProperty('skipped');
    // An unknown id is null; a malformed one is BAD_USER_INPUT at its path.
    await same(`{ node(id: "not-an-id") { id } borrower(id: "not-an-id") { id } }`);
  });

  it('reports errors with the same codes, paths and locations, and bubbles nulls the same way (partial data)', async () => {
    // Without payoff:read the outstanding figures are FORBIDDEN; they are non-null, so the null bubbles up to the
    // nullable `borrower` (the other root field is still answered).
    const noPayoff = signClientToken(JWT, 'test-client', ['credit:read']);
    const id = (await same(`{ borrowers(first: 1) { edges { node { id } } } }`)).body.data.borrowers.edges[0].node.id;
    const r = await same(`query($id: ID!) { total: borrowers(first: 3) { totalCount } b: borrower(id: $id) { id loans { id outstanding { total { amount } } } } }`, { id }, { token: noPayoff });
    expect(r.body.errors?.length).toBeGreaterThan(0);
    expect(r.body.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, path: ['b', 'loans', 0, 'outstanding'], locations: [expect.any(Object)] });
    expect(r.body.data).toEqual({ total: { totalCount: 6 }, b: null });
    // Without credit:read: the root field is refused.
    await same(`{ borrowers(first: 1) { totalCount } }`, {}, { token: signClientToken(JWT, 'test-client', ['payoff:read']) });
    // A mutation refused without consent:write.
    await same(`mutation { borrowerDataErase(borrowerId: "x") { erasedAt userErrors { code message } } }`, {}, { token: noPayoff });
    // Argument errors in resolvers.
    await same(`{ borrowers(first: 500) { totalCount } }`);
  });

  it('answers a failing provider part alike: the field null with its error, the rest returned', async () => {
    const ids = (await same(`{ borrowers(first: 6) { edges { node { loans { id provider } } } } }`)).body.data.borrowers.edges.flatMap((e: any) => e.node.loans);
    const cairin = ids.find((l: any) => l.provider === 'CAIRIN');
    expect(cairin).toBeDefined();
    clock.advance(1000); // cached provider data is now 1 s old: maxAgeSeconds 0 reads live
    s.sandbox.cairin.setFaults([{ kind: 'status', status: 500, endpoints: ['GET /mobile/transaction/history'] }]);
    try {
      const r = await same(`query($id: ID!) { loan(id: $id) { providerLoanId repayments { transactionId } } }`, { id: cairin.id });
      expect(r.body.data.loan.repayments).toBeNull();
      expect(r.body.errors?.[0]).toMatchObject({ path: ['loan', 'repayments'], extensions: { code: 'PROVIDER_UNAVAILABLE', provider: 'CAIRIN' } });
    } finally {
      s.sandbox.cairin.clearFaults();
    }
  });

  it('answers variable errors, unknown operations and introspection as graphql-js (left to it)', async () => {
    const q = `query($first: Int!) { borrowers(first: $first) { totalCount } }`;
    const bad = await same(q, { first: 'ten' });
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    await same(q, {});
    await same(q, { first: null });
    // Two operations: each is compiled on its own; an unknown name is graphql-js's error.
    const two = `query A { borrowers(first: 1) { totalCount } } query B { b: borrowers(first: 2) { edges { node { id } } } }`;
    await same(two, {}, { operationName: 'A' });
    await same(two, {}, { operationName: 'B' });
    await same(two, {}, { operationName: 'C' });
    await same(two, {});
    await same(`{ __schema { queryType { name } subscriptionType { name } } __type(name: "Loan") { name kind interfaces { name } fields { name type { kind name ofType { kind name } } } } }`);
  });

  it('leaves to graphql-js an operation graphql-jit would answer differently: @include on a nullable variable given null', async () => {
    // graphql-jit compiles it but reads the explicit null as false (skips the field); graphql-js refuses the null.
    const q = `query($f: Boolean = true) { borrowers(first: 1) @include(if: $f) { totalCount } __typename }`;
    const r = await same(q, { f: null });
    expect(r.body.data ?? null).toBeNull();
    expect(r.body.errors).toHaveLength(1);
    await same(q, {});
    await same(q, { f: false });
  });
});
