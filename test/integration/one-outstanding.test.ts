/**
 * One outstanding per loan (issue 13.5): a client whose consent covers LOANS and INSTALLMENTS but not REPAYMENTS
 * (a refinancing partner) sees the same outstanding, installment status, days past due and payoff for every loan
 * as a client whose consent covers everything, before and after a repayment clears by a bank settlement; the
 * repayment list itself stays behind REPAYMENTS, in the API and in the data export. Real HTTP against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/app';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const clock = new TestClock(TEST_START);
let s: Stack;
/** John (linked at all three providers): borrower 0 of the seed-7 dataset. */
let john: string;

beforeAll(async () => {
  s = await startStack({ seed: 7, borrowers: 3, clock });
  john = toGlobalId('Borrower', s.borrowerIds[0]!);
  // The refinancing partner: loans and schedules, not repayments.
  await s.grant(0, 'refinancer', { domains: ['LOANS', 'INSTALLMENTS'] });
});
afterAll(async () => {
  await s?.close();
});

const VIEW = `query($id: ID!, $asOf: Date!, $maxAge: Int) { creditView(borrowerId: $id, maxAgeSeconds: $maxAge) {
  totalOutstanding { amount }
  loans { providerLoanId status daysPastDue qualityClass
    outstanding { principal { amount } interest { amount } pending { amount } total { amount } }
    installments { seq status amountPaid { amount } pendingAmount { amount } }
    payoffQuote(asOf: $asOf) { total { amount } } } } }`;

/** The view as a client sees it, loans by provider loan id. */
async function viewOf(clientId: string, maxAge?: number) {
  const r = await s.gql(VIEW, { id: john, asOf: s.today, maxAge }, s.token(clientId, ['credit:read', 'payoff:read']));
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.creditView;
}

describe('one outstanding per loan', () => {
  it('gives a client without REPAYMENTS the same balances as one with it, before and after a repayment clears', async () => {
    const all = await viewOf('test-client');
    const narrow = await viewOf('refinancer');
    expect(all.loans.length).toBeGreaterThan(0);
    expect(narrow).toEqual(all);

    // John pays an installment of LN-0001 at BCA; the bank's SNAP notification settles it.
    const account = s.sandbox.dataset.cairin.find((a) => a.nik === '362638287638783')!;
    const res = await fetch(`${s.sandbox.urls.cairin}/__sandbox/accounts/${account.accountId}/repay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ loanId: 'LN-0001', bank: 'BCA' }),
    });
    const pay = (await res.json()) as { txnId: string; amount: number };
    // Both clients read the providers again (the copies are 2 s old): the repayment is pending at Cairin.
    clock.advance(2000);
    const pendingAll = await viewOf('test-client', 0);
    expect(await viewOf('refinancer', 0)).toEqual(pendingAll);
    expect(pendingAll.loans.find((l: any) => l.providerLoanId === 'LN-0001').outstanding.pending.amount).toBe(String(pay.amount));
    expect((await s.sender.snapPayment('BCA', { paymentRequestId: pay.txnId, amount: pay.amount })).status).toBe(200);
    await s.applier.idle();

    const allAfter = await viewOf('test-client');
    const narrowAfter = await viewOf('refinancer');
    const before = all.loans.find((l: any) => l.providerLoanId === 'LN-0001');
    const after = allAfter.loans.find((l: any) => l.providerLoanId === 'LN-0001');
    expect(BigInt(after.outstanding.total.amount)).toBe(BigInt(before.outstanding.total.amount) - BigInt(pay.amount));
    expect(narrowAfter).toEqual(allAfter);
  });

  it('keeps the repayments themselves behind REPAYMENTS, in the API and in the data export', async () => {
    const r = await s.gql(`query($id: ID!) { borrower(id: $id) { loans { providerLoanId repayments { transactionId } } } }`, { id: john }, s.token('refinancer'));
    expect(r.errors?.length).toBeGreaterThan(0);
    expect(new Set(r.errors!.map((e: any) => e.extensions?.code))).toEqual(new Set(['CONSENT_REQUIRED']));

    const exported = await s.gql(`query($id: ID!) { borrowerDataExport(borrowerId: $id) }`, { id: john }, s.token('refinancer', ['credit:read', 'consent:write']));
    expect(exported.errors, JSON.stringify(exported.errors)).toBeUndefined();
    const domains = new Set(exported.data.borrowerDataExport.accounts.flatMap((a: any) => a.cachedData.map((c: any) => c.domain)));
    expect(domains.has('LOANS')).toBe(true);
    expect(domains.has('REPAYMENTS')).toBe(false);
  });
});
