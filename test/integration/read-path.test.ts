/**
 * GraphQL read path over real HTTP, against the provider sandbox and a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const MONEY = 'amount currency';
const INSTALLMENT = `seq dueDate status principal { ${MONEY} } interest { ${MONEY} } amountDue { ${MONEY} } amountPaid { ${MONEY} } pendingAmount { ${MONEY} } outstanding { ${MONEY} }`;
const LOAN = `id provider providerLoanId type status scheduleSource frequency disbursedOn maturityDate daysPastDue qualityClass
  principal { ${MONEY} } overdueAmount { ${MONEY} }
  outstanding { principal { ${MONEY} } interest { ${MONEY} } lateFees { ${MONEY} } pending { ${MONEY} } total { ${MONEY} } }
  reconciliationIssues { kind message amount { ${MONEY} } }
  rate { percent period } tenor { value unit }
  installments { ${INSTALLMENT} } nextInstallment { ${INSTALLMENT} }
  repayments { transactionId channel status paidAt clearedAt settlementOverdue amount { ${MONEY} } }
  disbursements { transactionId channel status disbursedAt amount { ${MONEY} } }
  borrower { id }`;
const EVERYTHING = `query All($first: Int!, $max: Int) {
  borrowers(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id nik fullName createdAt
      accounts { provider linkedAt }
      loans(maxAgeSeconds: $max) { ${LOAN} }
      creditView(maxAgeSeconds: $max) {
        asOf complete totalOutstanding { ${MONEY} } totalPending { ${MONEY} } totalOverdue { ${MONEY} } worstQualityClass
        twp90 { percent outstandingOver90 { ${MONEY} } }
        nextInstallmentDue { loan { id providerLoanId } installment { ${INSTALLMENT} } }
        providers { provider health errorCode loanCount outstanding { ${MONEY} } }
        loans { ${LOAN} }
        borrower { id fullName }
      }
    } }
  }
}`;

/**
 * Stands still unless moved: data read "now" is 0 s old, which satisfies maxAgeSeconds: 0. Tests that
 * demand a live read move it a second on first.
 */
const clock = new TestClock(TEST_START);
let s: Stack;
beforeAll(async () => {
  // These tests count provider calls and fail providers on purpose; none is about the circuit breaker. On a loaded
  // machine a few 1.5-s timeouts in the 50-borrower query are retried (and counted apart), and must not open a circuit
  // that would fail the reads after them: the breaker is out of reach here, as in test/integration/freshness.test.ts.
  s = await startStack({ seed: 11, borrowers: 50, timeoutMs: 1500, clock, resilience: { breakerThreshold: 1000 } });
});
afterAll(async () => {
  await s?.close();
});

describe('request batching', () => {
  it('answers 50 borrowers with every nested field in the fewest provider calls', async () => {
    clock.advance(1000); // anything cached so far is now 1 s old: maxAgeSeconds 0 reads live
    s.sandbox.resetStats();
    const before = s.calls.length;
    const r = await s.gql(EVERYTHING, { first: 50, max: 0 });
    expect(r.errors).toBeUndefined();
    expect(r.data.borrowers.edges).toHaveLength(50);

    // Minimum the providers' endpoints allow (tokens are warm from linking, so no auth calls):
    //   Dompet Kilat: 1 GET /v1/borrower/:idNumber per linked account (profile and loan terms in one record)
    //   Finfra:       1 GET /api/core/loans/:userId per account + 1 GET /api/core/loans/details/:uniqueId per loan
    //                 (details carry the schedule, payments and disbursement; there is no batch endpoint)
    //   Cairin:       1 GET /mobile/loan/list per account + 1 POST /mobile/loan/detail per loan
    //                 + ceil(transactions / 100) (at least 1) GET /mobile/transaction/history pages per account
    const d = s.sandbox.dataset;
    const dk = d.dompetKilat.length;
    const finfra = d.finfra.reduce((n, u) => n + 1 + u.loans.length, 0);
    const cairin = d.cairin.reduce((n, a) => n + 1 + a.loans.length + Math.max(1, Math.ceil(a.transactions.length / 100)), 0);
    const expected = dk + finfra + cairin;
    const stats = s.sandbox.stats();
    console.log(
      `50 borrowers, every nested field: ${stats.total} provider calls (expected minimum ${expected} = Dompet Kilat ${dk} + Finfra ${finfra} + Cairin ${cairin})`,
      JSON.stringify(stats.byEndpoint),
    );
    // A call that timed out or failed on a loaded machine is retried: that retry is an extra call the
    // providers' endpoints did not require. Count attempts that failed (status 0 or 5xx) separately.
    const retried = s.calls.slice(before).filter((c) => c.status === 0 || c.status >= 500).length;
    if (retried) console.log(`${retried} attempt(s) failed transiently and were retried`);
    expect(stats.total - retried).toBe(expected);
    expect(stats.byEndpoint['POST /api/auth/token/v2'] ?? 0).toBe(0);
    expect(stats.byEndpoint['POST /mobile/auth/refresh'] ?? 0).toBe(0);
  });

  it('reads each provider once per request however often a field repeats', async () => {
    const john = s.borrowerIds[0]!;
    const id = (await s.gql(`{ borrowers(first: 1) { edges { node { id } } } }`)).data.borrowers.edges[0].node.id;
    clock.advance(1000); // the previous test's copies are now 1 s old: maxAgeSeconds 0 reads live
    s.sandbox.resetStats();
    const q = `query($id: ID!) { a: creditView(borrowerId: $id, maxAgeSeconds: 0) { totalOutstanding { amount } } b: creditView(borrowerId: $id, maxAgeSeconds: 0) { loans { id } }
      borrower(id: $id) { loans(maxAgeSeconds: 0) { id repayments { transactionId } } creditView(maxAgeSeconds: 0) { complete } } }`;
    const r = await s.gql(q, { id });
    expect(r.errors).toBeUndefined();
    const p = s.sandbox.dataset.people.find((x) => x.nik === '362638287638783')!;
    expect(john).toBeTruthy();
    const cairin = s.sandbox.dataset.cairin.find((a) => a.nik === p.nik)!;
    const finfra = s.sandbox.dataset.finfra.find((u) => u.idNumber === p.nik)!;
    expect(s.sandbox.stats().total).toBe(1 + (1 + finfra.loans.length) + (2 + cairin.loans.length));
  });
});

describe('seed examples', () => {
  it("shows John's Dompet Kilat loan reconstructed from the documented terms and his Cairin LN loan", async () => {
    const r = await s.gql(`{ borrowers(first: 1) { edges { node { nik fullName loans { provider providerLoanId type status scheduleSource
      principal { amount currency } rate { percent period } tenor { value unit } installments { seq dueDate amountDue { amount } principal { amount } interest { amount } } } } } } }`);
    expect(r.errors).toBeUndefined();
    const john = r.data.borrowers.edges[0].node;
    expect(john.fullName).toBe('John');
    expect(john.nik).toBe('3626*******8783');
    const dk = john.loans.find((l: any) => l.provider === 'DOMPET_KILAT');
    expect(dk).toMatchObject({
      providerLoanId: 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH',
      scheduleSource: 'RECONSTRUCTED',
      principal: { amount: '1000000', currency: 'IDR' },
      rate: { percent: '1', period: 'MONTH' },
      tenor: { value: 2, unit: 'MONTH' },
    });
    expect(dk.installments.map((i: any) => [i.dueDate, i.amountDue.amount])).toEqual([
      ['2022-02-11', '510000'],
      ['2022-03-11', '510000'],
    ]);
    const ln = john.loans.find((l: any) => l.providerLoanId === 'LN-0001');
    expect(ln).toMatchObject({ provider: 'CAIRIN', type: 'INSTALLMENT', principal: { amount: '1000000' }, rate: { percent: '24', period: 'YEAR' }, tenor: { value: 120, unit: 'DAY' } });
    expect(ln.installments.map((i: any) => [i.amountDue.amount, i.principal.amount, i.interest.amount])).toEqual(Array(4).fill(['270000', '250000', '20000']));
  });

  it('totals outstanding across providers as exact decimal strings', async () => {
    const r = await s.gql(`{ borrowers(first: 1) { edges { node { loans { outstanding { total { amount } } } creditView { totalOutstanding { amount currency } complete providers { provider health } } } } } }`);
    const node = r.data.borrowers.edges[0].node;
    const sum = node.loans.reduce((a: bigint, l: any) => a + BigInt(l.outstanding.total.amount), 0n);
    expect(node.creditView.totalOutstanding).toEqual({ amount: sum.toString(), currency: 'IDR' });
    expect(node.creditView.complete).toBe(true);
    expect(node.creditView.providers.map((p: any) => p.provider).sort()).toEqual(['CAIRIN', 'DOMPET_KILAT', 'FINFRA']);
  });
});

describe('lookups and pagination', () => {
  it('pages through borrowers with cursors and no overlap', async () => {
    const a = await s.gql(`{ borrowers(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`);
    const b = await s.gql(`query($after: String) { borrowers(first: 40, after: $after) { pageInfo { hasNextPage hasPreviousPage } edges { node { id } } } }`, {
      after: a.data.borrowers.pageInfo.endCursor,
    });
    expect(a.data.borrowers.totalCount).toBe(50);
    expect(a.data.borrowers.pageInfo.hasNextPage).toBe(true);
    expect(b.data.borrowers.edges).toHaveLength(30);
    expect(b.data.borrowers.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true });
    const ids = new Set([...a.data.borrowers.edges, ...b.data.borrowers.edges].map((e: any) => e.node.id));
    expect(ids.size).toBe(50);
  });

  it('refetches loans and borrowers by global id, and answers null for unknown ids', async () => {
    const r = await s.gql(`{ borrowers(first: 3) { edges { node { id loans { id providerLoanId outstanding { total { amount } } } } } } }`);
    const node = r.data.borrowers.edges[0].node;
    const loan = node.loans[0];
    const byLoan = await s.gql(`query($id: ID!) { loan(id: $id) { id providerLoanId outstanding { total { amount } } borrower { id } } n: node(id: $id) { id ... on Loan { providerLoanId } } }`, { id: loan.id });
    expect(byLoan.data.loan).toEqual({ id: loan.id, providerLoanId: loan.providerLoanId, outstanding: loan.outstanding, borrower: { id: node.id } });
    expect(byLoan.data.n).toEqual({ id: loan.id, providerLoanId: loan.providerLoanId });
    const byNode = await s.gql(`query($id: ID!) { node(id: $id) { __typename id } }`, { id: node.id });
    expect(byNode.data.node).toEqual({ __typename: 'Borrower', id: node.id });
    const unknown = Buffer.from(JSON.stringify(['Borrower', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    expect((await s.gql(`query($id: ID!) { borrower(id: $id) { id } }`, { id: unknown })).data.borrower).toBeNull();
    const bad = await s.gql(`{ borrower(id: "not-an-id") { id } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const page = await s.gql(`{ borrowers(first: 500) { totalCount } }`);
    expect(page.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('authentication', () => {
  it('rejects missing and forged tokens with HTTP 401 UNAUTHENTICATED', async () => {
    const none = await s.gql(`{ borrowers(first: 1) { totalCount } }`, {}, null);
    expect(none.status).toBe(401);
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = s.token().slice(0, -3) + 'abc';
    const bad = await s.gql(`{ borrowers(first: 1) { totalCount } }`, {}, forged);
    expect(bad.status).toBe(401);
    expect(bad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers FORBIDDEN without credit:read', async () => {
    const r = await s.gql(`{ borrowers(first: 1) { totalCount } }`, {}, s.token('c', ['payoff:read']));
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(r.data?.borrowers ?? null).toBeNull();
  });
});

describe('a failing provider does not fail the query', () => {
  const Q = `query($id: ID!) { creditView(borrowerId: $id) { complete totalOutstanding { amount }
    providers { provider health errorCode loanCount } loans { provider providerLoanId } } }`;
  async function johnId() {
    return (await s.gql(`{ borrowers(first: 1) { edges { node { id } } } }`)).data.borrowers.edges[0].node.id as string;
  }
  const cases = [
    { kind: 'status', fault: { kind: 'status', status: 503 } as const, code: 'PROVIDER_UNAVAILABLE' },
    { kind: 'timeout', fault: { kind: 'timeout' } as const, code: 'PROVIDER_TIMEOUT' },
    { kind: 'malformed body', fault: { kind: 'malformed', mode: 'missing_fields' } as const, code: 'PROVIDER_BAD_RESPONSE' },
    { kind: 'invalid JSON', fault: { kind: 'malformed', mode: 'invalid_json' } as const, code: 'PROVIDER_BAD_RESPONSE' },
    { kind: 'rate limit', fault: { kind: 'rate_limit' } as const, code: 'PROVIDER_UNAVAILABLE' },
  ];
  for (const c of cases) {
    it(`returns the other providers' loans when Cairin fails with ${c.kind}`, async () => {
      const id = await johnId();
      s.connectors.CAIRIN.resetResilience();
      await s.db.prisma.providerSnapshot.deleteMany(); // nothing cached: the failing provider's part is an error, not a stale copy
      s.sandbox.cairin.setFaults([c.fault]);
      try {
        const r = await s.gql(Q, { id });
        expect(r.status).toBe(200);
        const v = r.data.creditView;
        expect(v.complete).toBe(false);
        expect(v.providers.find((p: any) => p.provider === 'CAIRIN')).toEqual({ provider: 'CAIRIN', health: 'UNAVAILABLE', errorCode: c.code, loanCount: null });
        expect(v.providers.filter((p: any) => p.health === 'OK').map((p: any) => p.provider).sort()).toEqual(['DOMPET_KILAT', 'FINFRA']);
        expect(v.loans.some((l: any) => l.provider === 'FINFRA')).toBe(true);
        expect(v.loans.some((l: any) => l.provider === 'CAIRIN')).toBe(false);
        const err = r.errors?.find((e) => e.extensions?.provider === 'CAIRIN');
        expect(err?.extensions?.code).toBe(c.code);
        expect(err?.path).toEqual(['creditView']);
        expect(JSON.stringify(r.errors)).not.toMatch(/mobile\/loan|stack|at Object/);
      } finally {
        s.sandbox.cairin.clearFaults();
        s.connectors.CAIRIN.resetResilience();
      }
    });
  }

  it('errors only the repayments field of a loan whose provider fails', async () => {
    const id = await johnId();
    const loans = (await s.gql(`query($id: ID!) { borrower(id: $id) { loans { id provider } } }`, { id })).data.borrower.loans;
    const cairinLoan = loans.find((l: any) => l.provider === 'CAIRIN');
    s.connectors.CAIRIN.resetResilience();
    s.sandbox.cairin.setFaults([{ kind: 'status', status: 500, endpoints: ['GET /mobile/transaction/history'] }]);
    try {
      const r = await s.gql(`query($id: ID!) { loan(id: $id) { providerLoanId repayments { transactionId } } }`, { id: cairinLoan.id });
      expect(r.data.loan.providerLoanId).toBe('LN-0001');
      expect(r.data.loan.repayments).toBeNull();
      expect(r.errors?.[0]).toMatchObject({ path: ['loan', 'repayments'], extensions: { code: 'PROVIDER_UNAVAILABLE', provider: 'CAIRIN' } });
    } finally {
      s.sandbox.cairin.clearFaults();
    }
  });
});
