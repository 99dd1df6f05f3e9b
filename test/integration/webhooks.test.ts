/**
 * Provider and bank events over real HTTP: verification, validation, idempotent
 * intake (replays and concurrent copies), out-of-order delivery, settlement
 * matching, derived installment status, arrears and payoff.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jakartaDateOf, TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

/** The one clock of this file: the stack's "now" and "today", the sandbox, the bank sender and the tests' own timestamps. */
const clock = new TestClock(TEST_START);
let s: Stack;
beforeAll(async () => {
  s = await startStack({ seed: 21, borrowers: 20, clock });
});
afterAll(async () => {
  await s?.close();
});

const LOAN = `query($id: ID!) { loan(id: $id) { providerLoanId status daysPastDue qualityClass
  outstanding { principal { amount } interest { amount } pending { amount } total { amount } }
  installments { seq status dueDate amountDue { amount } amountPaid { amount } pendingAmount { amount } }
  repayments { transactionId status channel settlementOverdue amount { amount } }
  reconciliationIssues { kind message } } }`;

async function loanIdOf(providerLoanId: string): Promise<string> {
  const r = await s.gql(`{ borrowers(first: 100) { edges { node { loans { id providerLoanId } } } } }`);
  for (const e of r.data.borrowers.edges) for (const l of e.node.loans) if (l.providerLoanId === providerLoanId) return l.id;
  throw new Error(`loan ${providerLoanId} not found`);
}
async function loan(providerLoanId: string) {
  const r = await s.gql(LOAN, { id: await loanIdOf(providerLoanId) });
  expect(r.errors).toBeUndefined();
  return r.data.loan;
}
const settle = () => s.applier.idle();

describe('Cairin repayment: DUE -> PENDING_SETTLEMENT -> PAID by sandbox events', () => {
  it('moves an installment through the bank settlement and logs the transition', async () => {
    const before = await loan('LN-0001');
    const target = before.installments.find((i: any) => i.status === 'DUE' || i.status === 'OVERDUE');
    expect(target).toBeTruthy();
    // 1. The borrower pays at BCA: Cairin shows the repayment as pending.
    const john = s.sandbox.dataset.cairin.find((a) => a.nik === '362638287638783')!;
    const pay = await (await fetch(`${s.sandbox.urls.cairin}/__sandbox/accounts/${john.accountId}/repay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loanId: 'LN-0001', bank: 'BCA' }) })).json() as { txnId: string; amount: number };
    const pending = await loan('LN-0001');
    const pi = pending.installments.find((i: any) => i.seq === target.seq);
    expect(pi.status).toBe('PENDING_SETTLEMENT');
    expect(pi.pendingAmount.amount).toBe(String(pay.amount));
    expect(pending.outstanding.pending.amount).toBe(String(pay.amount));
    expect(pending.outstanding.total.amount).toBe(before.outstanding.total.amount); // pending money is not deducted
    expect(pending.repayments.find((r: any) => r.transactionId === pay.txnId)).toMatchObject({ status: 'PENDING', channel: 'BCA' });

    // 2. BCA's SNAP payment notification (SHA256withRSA) confirms it.
    const ack = await s.sender.snapPayment('BCA', { paymentRequestId: pay.txnId, amount: pay.amount });
    expect(ack.status).toBe(200);
    expect(ack.response).toMatchObject({ responseCode: '2002500', responseMessage: 'Successful' });
    await settle();
    const paid = await loan('LN-0001');
    const done = paid.installments.find((i: any) => i.seq === target.seq);
    expect(done.status).toBe('PAID');
    expect(done.amountPaid.amount).toBe(target.amountDue.amount);
    expect(paid.repayments.find((r: any) => r.transactionId === pay.txnId).status).toBe('CLEARED');
    expect(BigInt(paid.outstanding.total.amount)).toBe(BigInt(before.outstanding.total.amount) - BigInt(pay.amount));
    expect(paid.outstanding.pending.amount).toBe('0');
    console.log(
      `LN-0001 installment ${target.seq} (due ${target.dueDate}, ${target.amountDue.amount} IDR): ${target.status} -> ${pi.status} (Cairin pending ${pay.txnId}) -> ${done.status} (BCA SNAP 2002500); outstanding ${before.outstanding.total.amount} -> ${paid.outstanding.total.amount}`,
    );

    // 3. The bank retries the same notification: acknowledged, nothing changes.
    const retry = await s.sender.replay();
    expect(retry.response).toMatchObject({ responseCode: '2002500' });
    await settle();
    expect(await s.db.prisma.settlement.count({ where: { reference: pay.txnId } })).toBe(1);
    expect((await loan('LN-0001')).outstanding.total.amount).toBe(paid.outstanding.total.amount);
  });
});

describe('payments summary (Plaid Liabilities and SLIK fields)', () => {
  it('gives the last cleared payment, principal and interest paid this Jakarta year, collectibility and the lender name', async () => {
    const id = await loanIdOf('LN-0001');
    const r = await s.gql(
      `query($id: ID!) { loan(id: $id) { status qualityClass collectibility arrears { qualityClass collectibility }
        installments { principal { amount } interest { amount } amountPaid { amount } }
        repayments { status amount { amount } paidAt }
        lastPayment { amount { amount currency } date } paidThisYear { year principal { amount } interest { amount } }
        borrower { creditView { asOf providers { provider lenderName } } } } }`,
      { id },
    );
    expect(r.errors).toBeUndefined();
    const l = r.data.loan;
    const john = s.sandbox.dataset.cairin.find((a) => a.nik === '362638287638783')!;
    const today: string = l.borrower.creditView.asOf;
    const jakarta = (iso: string) => new Date(Date.parse(iso) + 7 * 3600_000).toISOString().slice(0, 10);
    const cleared = l.repayments.filter((x: any) => x.status === 'CLEARED').sort((a: any, b: any) => Date.parse(b.paidAt) - Date.parse(a.paidAt));
    // The settlement test above cleared one Cairin repayment of this loan.
    expect(cleared.length).toBeGreaterThan(0);
    expect(l.lastPayment).toEqual({ amount: { amount: cleared[0].amount.amount, currency: 'IDR' }, date: jakarta(cleared[0].paidAt) });
    // Nothing is overpaid here, so the year's principal + interest is the money cleared with a payment date this year.
    const thisYear = cleared.filter((x: any) => jakarta(x.paidAt).slice(0, 4) === today.slice(0, 4)).reduce((t: bigint, x: any) => t + BigInt(x.amount.amount), 0n);
    expect(l.paidThisYear.year).toBe(Number(today.slice(0, 4)));
    expect(BigInt(l.paidThisYear.principal.amount) + BigInt(l.paidThisYear.interest.amount)).toBe(thisYear);
    const order = ['LANCAR', 'DALAM_PERHATIAN_KHUSUS', 'KURANG_LANCAR', 'DIRAGUKAN', 'MACET'];
    expect(l.collectibility).toBe(order.indexOf(l.qualityClass) + 1);
    expect(l.arrears.collectibility).toBe(l.collectibility);
    const names = Object.fromEntries(l.borrower.creditView.providers.map((p: any) => [p.provider, p.lenderName]));
    expect(names.CAIRIN).toBe('PT Idana Solusi Sejahtera');
    // Origination dates: Cairin appliedAt (loan list), Dompet Kilat contractDate, Finfra created_at, as Jakarta dates.
    const o = await s.gql(`query($id: ID!) { loan(id: $id) { originatedOn borrower { loans { provider providerLoanId originatedOn } } } }`, { id });
    expect(o.errors).toBeUndefined();
    const cairinLoan = john.loans.find((x) => x.loanId === 'LN-0001')!;
    expect(o.data.loan.originatedOn).toBe(jakarta(cairinLoan.appliedAt));
    const dk = s.sandbox.dataset.dompetKilat.find((b) => b.idNumber === '362638287638783')!;
    const byId = Object.fromEntries(o.data.loan.borrower.loans.map((x: any) => [x.providerLoanId, x.originatedOn]));
    const [d, m, y] = dk.loanData!.contractDate!.split('/');
    expect(byId[dk.loanData!.contractNo!]).toBe(`${y}-${m}-${d}`);
    for (const x of o.data.loan.borrower.loans) expect(x.originatedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('credit limits', () => {
  it('gives each provider account the limit its provider grants, what is left of it, and the total, from a live read and from the cache', async () => {
    const id = await loanIdOf('LN-0001');
    const q = `query($id: ID!) { loan(id: $id) { borrower { creditView { totalCreditLimit { amount currency } providers { provider creditLimit { amount } availableCredit { amount } freshness { source } } loans { provider outstanding { principal { amount } } } } } } }`;
    const john = s.sandbox.dataset.cairin.find((a) => a.nik === '362638287638783')!;
    const dk = s.sandbox.dataset.dompetKilat.find((b) => b.idNumber === '362638287638783')!;
    for (const round of ['live or cached', 'cached']) {
      const r = await s.gql(q, { id });
      expect(r.errors, round).toBeUndefined();
      const v = r.data.loan.borrower.creditView;
      const by = Object.fromEntries(v.providers.map((p: any) => [p.provider, p]));
      expect(by.CAIRIN.creditLimit).toEqual({ amount: String(john.approvedLimit) });
      expect(by.DOMPET_KILAT.creditLimit).toEqual({ amount: dk.plafons });
      expect(by.FINFRA.creditLimit).toBeNull();
      expect(by.FINFRA.availableCredit).toBeNull();
      for (const p of ['CAIRIN', 'DOMPET_KILAT']) {
        const used = v.loans.filter((l: any) => l.provider === p).reduce((t: bigint, l: any) => t + BigInt(l.outstanding.principal.amount), 0n);
        const limit = BigInt(by[p].creditLimit.amount);
        expect(by[p].availableCredit.amount).toBe(String(used >= limit ? 0n : limit - used));
      }
      expect(v.totalCreditLimit).toEqual({ amount: String(john.approvedLimit + BigInt(dk.plafons)), currency: 'IDR' });
    }
  });
});

describe('unmatched money', () => {
  it('lists events for unknown loans, settlements for unknown references and for other amounts, counts them in /metrics, and flags the loan', async () => {
    const ops = s.token('operator', ['ops:read']);
    const list = async () => {
      const r = await s.gql(`{ unmatchedMoney(first: 200) { kind provider providerLoanId reference amount { amount } expectedAmount { amount } bank at } }`, {}, ops);
      expect(r.errors).toBeUndefined();
      return r.data.unmatchedMoney as any[];
    };
    // 1. A Finfra payment for a loan no read has shown.
    const ghost = 'FL-GHOST-404';
    const ack = await s.sender.finfra('payment-gateway', 'va', 'PAID', { payment_id: 'PAY-GHOST-1', loanUniqueId: ghost, amount: 125000, bank_code: 'BNI', paid_at: clock.now().toISOString(), status: 'PAID', settled_at: clock.now().toISOString() });
    expect(ack.status).toBe(200);
    // 2. A bank settlement naming no repayment.
    expect((await s.sender.snapPayment('BRI', { paymentRequestId: 'TRX-NOBODY-1', amount: 77000 })).status).toBe(200);
    // 3. A settlement naming Cairin's pending repayment, for another amount.
    const john = s.sandbox.dataset.cairin.find((a) => a.nik === '362638287638783')!;
    const pay = (await (await fetch(`${s.sandbox.urls.cairin}/__sandbox/accounts/${john.accountId}/repay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loanId: 'LN-0001', bank: 'BCA' }) })).json()) as { txnId: string; amount: number };
    expect((await loan('LN-0001')).repayments.find((r: any) => r.transactionId === pay.txnId)?.status).toBe('PENDING');
    expect((await s.sender.snapPayment('BCA', { paymentRequestId: pay.txnId, amount: pay.amount - 1000 })).status).toBe(200);
    await settle();

    const entries = await list();
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'UNKNOWN_LOAN', provider: 'FINFRA', providerLoanId: ghost, reference: 'PAY-GHOST-1', amount: { amount: '125000' } }));
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'UNKNOWN_REFERENCE', reference: 'TRX-NOBODY-1', amount: { amount: '77000' }, bank: 'BRI' }));
    expect(entries).toContainEqual(
      expect.objectContaining({ kind: 'AMOUNT_MISMATCH', provider: 'CAIRIN', providerLoanId: 'LN-0001', reference: pay.txnId, amount: { amount: String(pay.amount - 1000) }, expectedAmount: { amount: String(pay.amount) } }),
    );
    // The loan says its repayment is still pending and why.
    const l = await loan('LN-0001');
    expect(l.repayments.find((r: any) => r.transactionId === pay.txnId)?.status).toBe('PENDING');
    // Once: the repayment is known both from Cairin's read and from the ledger (pending repayments a read shows are recorded).
    expect(l.reconciliationIssues.filter((i: any) => i.kind === 'SETTLEMENT_AMOUNT_MISMATCH')).toEqual([expect.objectContaining({ kind: 'SETTLEMENT_AMOUNT_MISMATCH' })]);
    const metrics = await (await fetch(`${s.server.url}/metrics`)).text();
    for (const kind of ['UNKNOWN_LOAN', 'UNKNOWN_REFERENCE', 'AMOUNT_MISMATCH']) expect(Number(new RegExp(`satukredit_unmatched_money\\{kind="${kind}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
    // Without ops:read, nothing.
    const refused = await s.gql(`{ unmatchedMoney { kind } }`);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A correct settlement then clears the repayment; the mismatch entry goes with it.
    expect((await s.sender.snapPayment('BCA', { paymentRequestId: pay.txnId, amount: pay.amount })).status).toBe(200);
    await settle();
    expect((await loan('LN-0001')).repayments.find((r: any) => r.transactionId === pay.txnId)?.status).toBe('CLEARED');
  });
});

describe('SNAP notification checks', () => {
  const base = { paymentRequestId: 'TRX-NOPE', amount: 100000 };
  it('accepts HMAC-SHA512 banks (BRI) as well as RSA banks', async () => {
    const r = await s.sender.snapPayment('BRI', base);
    expect(r.response).toMatchObject({ responseCode: '2002500' });
  });

  it('rejects a bad signature, a stale timestamp, an unknown partner and missing headers with SNAP codes', async () => {
    const ok = await s.sender.snapPayment('BNI', base);
    const tampered = await fetch(new URL(ok.path, s.server.url), { method: 'POST', headers: { 'content-type': 'application/json', ...ok.headers }, body: ok.body.replace('100000.00', '900000.00') });
    expect([tampered.status, ((await tampered.json()) as any).responseCode]).toEqual([401, '4012500']);
    const stale = await s.sender.snapPayment('BCA', { ...base, timestamp: new Date(clock.now().getTime() - 3600_000).toISOString().replace(/\.\d{3}Z$/, '+00:00') });
    expect([stale.status, (stale.response as any).responseCode]).toEqual([401, '4012500']);
    const wrongPartner = await fetch(new URL(ok.path, s.server.url), { method: 'POST', headers: { 'content-type': 'application/json', ...ok.headers, 'x-partner-id': 'SOMEONE' }, body: ok.body });
    expect(((await wrongPartner.json()) as any).responseCode).toBe('4012500');
    const missing = await fetch(new URL(ok.path, s.server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: ok.body });
    expect([missing.status, ((await missing.json()) as any).responseCode]).toEqual([400, '4002502']);
  });

  it('answers 409 when an X-EXTERNAL-ID is reused for a different payment the same day', async () => {
    const first = await s.sender.snapPayment('MANDIRI', { ...base, externalId: 'EXT-REUSED-1' });
    expect((first.response as any).responseCode).toBe('2002500');
    const other = await s.sender.snapPayment('MANDIRI', { paymentRequestId: 'TRX-OTHER', amount: 5000, externalId: 'EXT-REUSED-1' });
    expect([other.status, (other.response as any).responseCode]).toEqual([409, '4092500']);
  });
});

function finfraTarget() {
  for (const u of s.sandbox.dataset.finfra) {
    for (const l of u.loans) {
      if (l.status !== 'DISBURSED') continue;
      const open = l.installments.find((i) => i.paid === 0n && i.status !== 'PAID');
      if (open && !l.payments.some((p) => p.status === 'PENDING')) return { loan: l, inst: open };
    }
  }
  throw new Error('no Finfra loan with an unpaid installment');
}

describe('Finfra callbacks', () => {
  it('checks finfra-auth-key before anything else and rejects malformed bodies with a reason', async () => {
    const before = await s.db.prisma.webhookEvent.count();
    const bad = await s.sender.finfra('payment-gateway', 'va', 'PAID', { nonsense: true }, 'wrong-key');
    expect([bad.status, bad.response]).toEqual([401, { error: 'Unauthorized' }]);
    const malformed = await s.sender.finfra('payment-gateway', 'va', 'PAID', { payment_id: 'p', loanUniqueId: 'x', amount: 'lots' });
    expect(malformed.status).toBe(400);
    expect((malformed.response as any).message).toMatch(/^data\.amount: /);
    const wrongPath = await s.sender.finfra('users', 'va', 'PAID', {});
    expect(wrongPath.status).toBe(400);
    expect(await s.db.prisma.webhookEvent.count()).toBe(before);
  });

  it('applies a payment once however often and however concurrently it is delivered, and never moves back', async () => {
    const { loan: l, inst } = finfraTarget();
    const before = await loan(l.loanUniqueId);
    const amount = Number(inst.total);
    const data = { payment_id: `PAY-TEST-${l.loanUniqueId}`, loanUniqueId: l.loanUniqueId, amount, bank_code: 'BNI', paid_at: clock.now().toISOString() };
    // Delivered out of order: PAID (settled) first, then the older PENDING.
    const settledAt = clock.now().toISOString();
    const paidCopies = await Promise.all(Array.from({ length: 8 }, () => s.sender.finfra('payment-gateway', 'va', 'PAID', { ...data, status: 'PAID', settled_at: settledAt })));
    expect(paidCopies.every((c) => c.status === 200)).toBe(true);
    await s.sender.finfra('payment-gateway', 'va', 'PENDING', { ...data, status: 'PENDING', settled_at: null });
    await settle();
    expect(await s.db.prisma.webhookEvent.count({ where: { source: 'FINFRA', payload: { path: ['data', 'payment_id'], equals: data.payment_id } } })).toBe(2);
    const rows = await s.db.prisma.ledgerRepayment.findMany({ where: { externalId: data.payment_id } });
    expect(rows.map((r) => r.status)).toEqual(['CLEARED']);
    const after = await loan(l.loanUniqueId);
    expect(BigInt(after.outstanding.total.amount)).toBe(BigInt(before.outstanding.total.amount) - BigInt(amount));
    expect(after.installments.find((i: any) => i.seq === inst.number).status).toBe('PAID');
  });

  it('moves loan status forward only', async () => {
    const { loan: l } = finfraTarget();
    expect((await loan(l.loanUniqueId)).status).toBe('ACTIVE');
    await s.sender.finfra('users', 'loan', 'REPAID', { loanUniqueId: l.loanUniqueId, status: 'REPAID' });
    await settle();
    // Closed: PAID_OFF when the cleared money covers the debt, CLOSED_WITH_BALANCE otherwise (the test below).
    const closed = (await loan(l.loanUniqueId)).status;
    expect(['PAID_OFF', 'CLOSED_WITH_BALANCE']).toContain(closed);
    // A DISBURSED callback arriving after REPAID does not move the loan back to ACTIVE.
    await s.sender.finfra('users', 'loan', 'DISBURSED', { loanUniqueId: l.loanUniqueId, status: 'DISBURSED' });
    await settle();
    expect((await loan(l.loanUniqueId)).status).toBe(closed);
  });

  it('keeps the debt of a loan Finfra marks REPAID without the cleared money (CLOSED_WITH_BALANCE, STATUS_WITHOUT_PAYMENT)', async () => {
    const first = finfraTarget().loan.loanUniqueId;
    const l = s.sandbox.dataset.finfra.flatMap((u) => u.loans).find((x) => x.status === 'DISBURSED' && x.loanUniqueId !== first && x.installments.filter((i) => i.paid === 0n).length >= 2)!;
    expect(l).toBeTruthy();
    const before = await loan(l.loanUniqueId);
    expect(before.status).toBe('ACTIVE');
    await s.sender.finfra('users', 'loan', 'REPAID', { loanUniqueId: l.loanUniqueId, status: 'REPAID' });
    await settle();
    const after = await loan(l.loanUniqueId);
    expect(after.status).toBe('CLOSED_WITH_BALANCE');
    expect(after.outstanding.total.amount).toBe(before.outstanding.total.amount);
    expect(BigInt(after.outstanding.total.amount)).toBeGreaterThan(0n);
    expect(after.daysPastDue).toBe(before.daysPastDue);
    expect(after.qualityClass).toBe(before.qualityClass);
    expect(after.reconciliationIssues).toContainEqual(expect.objectContaining({ kind: 'STATUS_WITHOUT_PAYMENT' }));
  });
});

describe('Dompet Kilat callbacks', () => {
  const contract = 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH';
  const body = (over: Record<string, unknown> = {}) => ({
    transactionId: 'cb82f2ea-901d-49cc-97d3-34846d8d8e29',
    loanCode: contract,
    bankCode: 'BNI',
    paymentAccountNumber: '8808999966040139',
    status: 'active',
    loanAmount: 1000000,
    loanAmountPaid: 0,
    tenor: 2,
    tenorUnit: 'MONTH',
    numberOfPay: 0,
    histories: null,
    ...over,
  });

  it('answers with the documented envelope, rejects bad bodies and other IPs', async () => {
    const ok = await s.sender.dompetKilat('disbursement', body());
    expect([ok.status, ok.response]).toEqual([200, { status: '00', message: 'success', data: null }]);
    const bad = await s.sender.dompetKilat('repayment', body({ loanAmount: '1000000' }));
    expect(bad.status).toBe(400);
    expect(bad.response).toMatchObject({ status: '01', message: expect.stringMatching(/^loanAmount: /), data: null });
    const ips = s.webhookSettings.dompetKilatIps;
    s.webhookSettings.dompetKilatIps = ['10.0.0.9'];
    try {
      const denied = await s.sender.dompetKilat('repayment', body());
      expect([denied.status, (denied.response as any).status]).toEqual([403, '03']);
    } finally {
      s.webhookSettings.dompetKilatIps = ips;
    }
  });

  it("applies repayment histories to John's reconstructed schedule and flags provider totals that disagree", async () => {
    const h1 = { transactionTime: '2022-02-10T08:00:00.000Z', paymentAmount: 510000 };
    await s.sender.dompetKilat('repayment', body({ loanAmountPaid: 510000, numberOfPay: 1, histories: [h1] }));
    await s.sender.replay(); // at-least-once: the same callback again
    await settle();
    const l = await loan(contract);
    expect(l.installments.map((i: any) => [i.seq, i.status, i.amountPaid.amount])).toEqual([
      [1, 'PAID', '510000'],
      [2, 'OVERDUE', '0'],
    ]);
    expect(l.repayments).toHaveLength(1);
    expect(l.reconciliationIssues).toEqual([]);
    // A later callback whose totals disagree with its own histories.
    await s.sender.dompetKilat('repayment', body({ loanAmountPaid: 900000, numberOfPay: 1, histories: [h1] }));
    await settle();
    const flagged = await loan(contract);
    expect(flagged.reconciliationIssues.map((i: any) => i.kind)).toEqual(['PROVIDER_TOTAL_MISMATCH']);
  });
});

describe('settlement lag and recovery', () => {
  it("flags a pending repayment older than its channel's expected lag", async () => {
    const acct = s.sandbox.dataset.cairin.find((a) => a.nik !== '362638287638783' && a.loans.some((l) => l.status === 'active' && l.installments.some((i) => i.status === 'due' || i.status === 'overdue')))!;
    const loanId = acct.loans.find((l) => l.status === 'active' && l.installments.some((i) => i.status === 'due' || i.status === 'overdue'))!.loanId;
    const pay = (await (await fetch(`${s.sandbox.urls.cairin}/__sandbox/accounts/${acct.accountId}/repay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loanId, bank: 'BRI' }) })).json()) as { txnId: string };
    const now = await loan(loanId);
    expect(now.repayments.find((r: any) => r.transactionId === pay.txnId).settlementOverdue).toBe(false);
    const at = clock.now();
    clock.advance(61 * 60_000); // BRI's expected lag is 60 minutes
    try {
      const later = await loan(loanId);
      expect(later.repayments.find((r: any) => r.transactionId === pay.txnId)).toMatchObject({ status: 'PENDING', settlementOverdue: true });
    } finally {
      clock.set(at);
    }
  });

  it('applies events that were stored but not applied before a crash', async () => {
    const { loan: l } = finfraTarget();
    const ev = await s.db.prisma.webhookEvent.create({
      data: { source: 'FINFRA', kind: 'loan', idempotencyKey: 'crash-test', payload: { type: 'loan', status: 'REJECTED', data: { loanUniqueId: `${l.loanUniqueId}-X`, status: 'REJECTED' } } },
    });
    expect(await s.applier.recover()).toBeGreaterThanOrEqual(1);
    await settle();
    expect((await s.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: ev.id } })).outcome).toBe('APPLIED');
    expect(await s.db.prisma.ledgerLoanState.findUnique({ where: { provider_providerLoanId: { provider: 'FINFRA', providerLoanId: `${l.loanUniqueId}-X` } } })).toMatchObject({ status: 'REJECTED' });
  });
});

describe('arrears and payoff', () => {
  it('classifies arrears per OJK and gives the worst class and TWP90 on the credit view', async () => {
    const r = await s.gql(`{ borrowers(first: 100) { edges { node { creditView { worstQualityClass totalOverdue { amount } twp90 { percent } loans { daysPastDue qualityClass } } } } } }`);
    const cls = (d: number) => (d === 0 ? 'LANCAR' : d <= 30 ? 'DALAM_PERHATIAN_KHUSUS' : d <= 60 ? 'KURANG_LANCAR' : d <= 90 ? 'DIRAGUKAN' : 'MACET');
    const order = ['LANCAR', 'DALAM_PERHATIAN_KHUSUS', 'KURANG_LANCAR', 'DIRAGUKAN', 'MACET'];
    let late = 0;
    for (const e of r.data.borrowers.edges) {
      const v = e.node.creditView;
      for (const l of v.loans) expect(l.qualityClass).toBe(cls(l.daysPastDue));
      const worst = v.loans.reduce((w: number, l: any) => Math.max(w, order.indexOf(l.qualityClass)), 0);
      expect(v.worstQualityClass).toBe(order[worst]);
      if (worst > 0) late++;
    }
    expect(late).toBeGreaterThan(0);
  });

  it('gives the next payment not yet due apart from the arrears, per loan, per provider and across the credit view', async () => {
    const r = await s.gql(`{ borrowers(first: 20) { edges { node { creditView {
      asOf totalOverdue { amount }
      nextPaymentDue { dueDate amount { amount currency } loan { id } installment { seq dueDate amountDue { amount } outstanding { amount } } }
      arrears { amount { amount } principal { amount } interest { amount } oldestDueDate daysPastDue qualityClass }
      providers { provider overdue { amount { amount } daysPastDue oldestDueDate } }
      loans { id provider status daysPastDue overdueAmount { amount } installments { dueDate outstanding { amount } }
        arrears { amount { amount } principal { amount } interest { amount } oldestDueDate daysPastDue qualityClass } }
    } } } } }`);
    expect(r.errors).toBeUndefined();
    let sawNext = 0;
    let sawLate = 0;
    for (const e of r.data.borrowers.edges) {
      const v = e.node.creditView;
      const today = v.asOf;
      const big = (m: { amount: string }) => BigInt(m.amount);
      for (const l of v.loans) {
        const a = l.arrears;
        expect(a.amount.amount).toBe(l.overdueAmount.amount);
        expect(big(a.principal) + big(a.interest)).toBe(big(a.amount));
        expect(a.daysPastDue).toBe(l.daysPastDue);
        const late = (l.installments ?? []).filter((i: any) => i.dueDate < today && big(i.outstanding) > 0n);
        if ((l.status === 'ACTIVE' || l.status === 'CLOSED_WITH_BALANCE') && l.installments) expect(a.oldestDueDate).toBe(late.length ? late.map((i: any) => i.dueDate).sort()[0] : null);
        if (a.oldestDueDate) sawLate++;
      }
      // Across the view: amounts added up, the oldest due date, the largest DPD.
      expect(v.arrears.amount.amount).toBe(v.totalOverdue.amount);
      expect(big(v.arrears.principal)).toBe(v.loans.reduce((t: bigint, l: any) => t + big(l.arrears.principal), 0n));
      expect(v.arrears.daysPastDue).toBe(Math.max(0, ...v.loans.map((l: any) => l.daysPastDue)));
      const oldest = v.loans.map((l: any) => l.arrears.oldestDueDate).filter(Boolean).sort()[0] ?? null;
      expect(v.arrears.oldestDueDate).toBe(oldest);
      for (const p of v.providers) {
        const mine = v.loans.filter((l: any) => l.provider === p.provider);
        expect(p.overdue.amount.amount).toBe(mine.reduce((t: bigint, l: any) => t + big(l.arrears.amount), 0n).toString());
      }
      // The next payment is the earliest installment due today or later with something unpaid, never a late one.
      const upcoming = v.loans
        .filter((l: any) => l.status === 'ACTIVE' || l.status === 'CLOSED_WITH_BALANCE')
        .flatMap((l: any) => (l.installments ?? []).filter((i: any) => i.dueDate >= today && big(i.outstanding) > 0n).map((i: any) => i.dueDate))
        .sort();
      if (upcoming.length === 0) expect(v.nextPaymentDue).toBeNull();
      else {
        sawNext++;
        expect(v.nextPaymentDue.dueDate).toBe(upcoming[0]);
        expect(v.nextPaymentDue.dueDate >= today).toBe(true);
        expect(v.nextPaymentDue.amount).toEqual({ amount: v.nextPaymentDue.installment.outstanding.amount, currency: 'IDR' });
        expect(v.loans.some((l: any) => l.id === v.nextPaymentDue.loan.id)).toBe(true);
      }
    }
    expect(sawNext).toBeGreaterThan(0);
    expect(sawLate).toBeGreaterThan(0);
  });

  it('quotes a payoff for today and later, loans past maturity included, refuses past dates, and sums quotes on the credit view', async () => {
    const id = await loanIdOf('LN-0001');
    const today = s.today;
    expect(today).toBe(jakartaDateOf(clock.now())); // "today" and "now" come from the same clock
    const r = await s.gql(
      `query($id: ID!, $d: Date!) { loan(id: $id) { maturityDate outstanding { principal { amount } } payoffQuote(asOf: $d) { asOf goodThrough expiresOn principal { amount } interest { amount } lateFees { amount } total { amount } pending { amount } } borrower { creditView { payoffTotal(asOf: $d) { amount } loans { providerLoanId status maturityDate outstanding { total { amount } pending { amount } } payoffQuote(asOf: $d) { total { amount } pending { amount } } } } } } }`,
      { id, d: today },
    );
    expect(r.errors).toBeUndefined();
    const q = r.data.loan.payoffQuote;
    expect(q.asOf).toBe(today);
    expect(q.goodThrough).toBe(today);
    expect(q.expiresOn).toBe(today);
    // Interest paid ahead of its period (installment 2 settled early above) is credited back, so the quote can be below the outstanding.
    expect(BigInt(q.principal.amount)).toBeLessThanOrEqual(BigInt(r.data.loan.outstanding.principal.amount));
    expect(BigInt(q.principal.amount)).toBeGreaterThan(0n);
    expect(BigInt(q.total.amount)).toBe(BigInt(q.principal.amount) + BigInt(q.interest.amount) + BigInt(q.lateFees.amount));
    const loans = r.data.loan.borrower.creditView.loans;
    // Every loan that owes is quoted, those past maturity too (all their unpaid schedule is due: the quote is the outstanding).
    const owes = (l: any) => l.status === 'ACTIVE' || l.status === 'CLOSED_WITH_BALANCE';
    for (const l of loans) expect(l.payoffQuote === null).toBe(!owes(l));
    const late = loans.filter((l: any) => owes(l) && l.maturityDate < today);
    expect(late.length).toBeGreaterThan(0);
    for (const l of late) {
      expect(l.payoffQuote.total.amount).toBe(l.outstanding.total.amount);
      expect(l.payoffQuote.pending.amount).toBe(l.outstanding.pending.amount);
    }
    const sum = loans.reduce((a: bigint, l: any) => a + BigInt(l.payoffQuote?.total.amount ?? 0), 0n);
    expect(r.data.loan.borrower.creditView.payoffTotal.amount).toBe(sum.toString());
    // A date after maturity is quoted (the past-maturity loan owes what it owes on maturity, flat interest stops there).
    const far = await s.gql(`query($id: ID!, $d: Date!) { loan(id: $id) { payoffQuote(asOf: $d) { asOf total { amount } } } }`, { id, d: '2099-01-01' });
    expect(far.errors).toBeUndefined();
    expect(far.data.loan.payoffQuote.asOf).toBe('2099-01-01');
    const bad = await s.gql(`query($id: ID!, $d: Date!) { loan(id: $id) { payoffQuote(asOf: $d) { total { amount } } } }`, { id, d: '2020-01-01' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('subscriptions (graphql-ws)', () => {
  it("pushes a consented borrower's loan changes and refuses other clients", async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const wsUrl = `${s.server.url.replace('http', 'ws')}/graphql`;
    // A Finfra loan of a borrower with a fresh unpaid installment; read it once so the ledger knows its borrower.
    let target: { borrowerId: string; loanUniqueId: string; amount: number } | null = null;
    for (const u of s.sandbox.dataset.finfra) {
      const l = u.loans.find((x) => x.status === 'DISBURSED' && x.installments.some((i) => i.paid === 0n));
      if (!l) continue;
      const i = s.requests.findIndex((r) => r.finfraUserId === u.userId);
      target = { borrowerId: Buffer.from(JSON.stringify(['Borrower', s.borrowerIds[i]!])).toString('base64url'), loanUniqueId: l.loanUniqueId, amount: Number(l.installments.find((x) => x.paid === 0n)!.total) };
      break;
    }
    expect(target).not.toBeNull();
    await s.gql(`query($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id: target!.borrowerId });

    // The subscription is live once its stream subscribes to the core's publisher: wait for that, not for a while.
    const publisher = s.app.core.deps.publisher;
    const subscribe = publisher.subscribe.bind(publisher);
    let listening!: () => void;
    const subscribed = new Promise<void>((r) => (listening = r));
    const spy = vi.spyOn(publisher, 'subscribe').mockImplementation(() => {
      const stream = subscribe();
      listening();
      return stream;
    });
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token()}` }, lazy: true });
    const received: any[] = [];
    try {
      const done = new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { loanId provider providerLoanId kind at } }`, variables: { id: target!.borrowerId } },
          { next: (v) => { received.push(v); resolve(); }, error: reject, complete: () => undefined },
        );
      });
      await subscribed;
      spy.mockRestore();
      await s.sender.finfra('payment-gateway', 'va', 'PENDING', { payment_id: `PAY-SUB-${target!.loanUniqueId}`, loanUniqueId: target!.loanUniqueId, amount: target!.amount, bank_code: 'BCA', status: 'PENDING', paid_at: clock.now().toISOString(), settled_at: null });
      await settle();
      await done; // the push follows the applied change; a missing push fails on the test timeout
      expect(received[0].data.loanChanged).toMatchObject({ provider: 'FINFRA', providerLoanId: target!.loanUniqueId, kind: 'repayment' });
    } finally {
      spy.mockRestore();
      await client.dispose();
    }

    // A client with no consent from this borrower is refused; so is a connection without a token.
    const other = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token('stranger')}` }, lazy: true, retryAttempts: 0 });
    const refused = await new Promise<unknown>((resolve) => {
      other.subscribe({ query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { kind } }`, variables: { id: target!.borrowerId } }, { next: (v) => resolve(v), error: (e) => resolve(e), complete: () => resolve('completed') });
    });
    // graphql-ws delivers a refused subscribe as a result with errors and no data.
    expect(refused).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    expect((refused as { data?: unknown }).data ?? null).toBeNull();
    await other.dispose();
    const anon = createClient({ url: wsUrl, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    const closed = await new Promise<unknown>((resolve) => {
      anon.subscribe({ query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { kind } }`, variables: { id: target!.borrowerId } }, { next: () => resolve('pushed'), error: (e) => resolve(e), complete: () => resolve('completed') });
    });
    expect((closed as { code?: number }).code).toBe(4403);
    await anon.dispose();
  });
});
