/**
 * Provider callbacks that used to be stored and dropped (issue 13.7), and the loan's condition date (13.6), over
 * real HTTP: signed callbacks sent to the real webhook endpoints, applied by the event worker, read back through
 * GraphQL.
 * - Finfra `bnpl` (installment status): recorded per installment, shown as `providerReport`, never taken as
 *   payment (a PAID report without cleared money raises INSTALLMENT_STATUS_WITHOUT_PAYMENT and keeps the unpaid
 *   amount; with the cleared repayment the installment is PAID and the issue is gone); replays apply once; an
 *   older report never overrides a newer one.
 * - Dompet Kilat disbursement callback: recorded once per `transactionId` and listed in `Loan.disbursements`.
 * - `Loan.conditionSince`: the provider's date for the status, the covering payment's date, or the event's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FinfraLoanRecord } from '../../src/sandbox';
import { jakartaDateOf, TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const clock = new TestClock(TEST_START);
let s: Stack;
beforeAll(async () => {
  s = await startStack({ seed: 21, borrowers: 20, clock });
});
afterAll(async () => {
  await s?.close();
});

const LOAN = `query($id: ID!) { loan(id: $id) { providerLoanId status conditionSince disbursedOn originatedOn
  outstanding { total { amount } }
  installments { seq status dueDate amountDue { amount } amountPaid { amount } providerReport { status reportedAt amountPaid { amount } } }
  repayments { transactionId status paidAt amount { amount } }
  disbursements { transactionId amount { amount } channel status disbursedAt }
  reconciliationIssues { kind message amount { amount } } } }`;

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
/** An instant as GraphQL's DateTime gives it (Jakarta offset) -> ISO UTC, for comparison. */
const utc = (v: string) => new Date(v).toISOString();
/** A provider report with its time in UTC. */
const report = (r: any) => r && { ...r, reportedAt: utc(r.reportedAt) };

/** Finfra BNPL loans disbursed, with no pending payment, whose oldest not fully paid installment has nothing paid. */
function bnplTargets(): { loan: FinfraLoanRecord; inst: FinfraLoanRecord['installments'][number] }[] {
  const out: { loan: FinfraLoanRecord; inst: FinfraLoanRecord['installments'][number] }[] = [];
  for (const u of s.sandbox.dataset.finfra) {
    for (const l of u.loans) {
      if (l.loanType !== 'BNPL' || l.status !== 'DISBURSED' || l.payments.some((p) => p.status === 'PENDING')) continue;
      const first = [...l.installments].sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.number - b.number)).find((i) => i.paid < i.total);
      if (first && first.paid === 0n && l.installments.filter((i) => i.paid < i.total).length >= 2) out.push({ loan: l, inst: first });
    }
  }
  return out;
}

describe('Finfra bnpl callbacks: installment status', () => {
  it('records the reported status, flags PAID without cleared money and keeps the debt; the cleared repayment makes it PAID', async () => {
    const [target] = bnplTargets();
    expect(target).toBeTruthy();
    const { loan: l, inst } = target!;
    const before = await loan(l.loanUniqueId);
    const b = before.installments.find((i: any) => i.seq === inst.number);
    expect(b.status).not.toBe('PAID');
    expect(b.providerReport).toBeNull();

    // Finfra says the installment is PAID; no money has cleared for it.
    const t2 = new Date(clock.now().getTime() - 60_000).toISOString();
    const data = { loanUniqueId: l.loanUniqueId, installment_number: inst.number, status: 'PAID', paid_amount: Number(inst.total), updated_at: t2 };
    const ack = await s.sender.finfra('users', 'bnpl', 'PAID', data);
    expect([ack.status, ack.response]).toEqual([200, { received: true, duplicate: false }]);
    await settle();
    const flagged = await loan(l.loanUniqueId);
    const f = flagged.installments.find((i: any) => i.seq === inst.number);
    expect(report(f.providerReport)).toEqual({ status: 'PAID', reportedAt: t2, amountPaid: { amount: String(inst.total) } });
    expect(f.status).toBe(b.status); // derived from cleared money, unchanged
    expect(f.amountPaid.amount).toBe(b.amountPaid.amount);
    expect(flagged.outstanding.total.amount).toBe(before.outstanding.total.amount); // the debt is not hidden
    const issue = flagged.reconciliationIssues.find((i: any) => i.kind === 'INSTALLMENT_STATUS_WITHOUT_PAYMENT');
    expect(issue).toMatchObject({ amount: { amount: String(inst.total) } });
    expect(issue.message).toContain(`installment ${inst.number}`);

    // The same callback again (at-least-once delivery): acknowledged as a duplicate, applied once.
    const again = await s.sender.replay();
    expect(again.response).toEqual({ received: true, duplicate: true });
    // An older report (UNPAID, a minute earlier) arriving late changes nothing.
    const t1 = new Date(Date.parse(t2) - 60_000).toISOString();
    await s.sender.finfra('users', 'bnpl', 'UNPAID', { ...data, status: 'UNPAID', paid_amount: 0, updated_at: t1 });
    await settle();
    const rows = await s.db.prisma.ledgerInstallmentState.findMany({ where: { providerLoanId: l.loanUniqueId } });
    expect(rows.map((r) => [r.seq, r.status, r.paidAmount, r.reportedAt.toISOString()])).toEqual([[inst.number, 'PAID', inst.total, t2]]);
    const same = await loan(l.loanUniqueId);
    expect(same.installments.find((i: any) => i.seq === inst.number).providerReport.status).toBe('PAID');
    expect(same.reconciliationIssues.filter((i: any) => i.kind === 'INSTALLMENT_STATUS_WITHOUT_PAYMENT')).toHaveLength(1);

    // The money clears (Finfra VA payment, settled): provider report and ledger agree.
    const at = clock.now().toISOString();
    const pay = await s.sender.finfra('payment-gateway', 'va', 'PAID', { payment_id: `PAY-BNPL-${l.loanUniqueId}`, loanUniqueId: l.loanUniqueId, amount: Number(inst.total), bank_code: 'BCA', paid_at: at, status: 'PAID', settled_at: at });
    expect(pay.status).toBe(200);
    await settle();
    const paid = await loan(l.loanUniqueId);
    const p = paid.installments.find((i: any) => i.seq === inst.number);
    expect(p.status).toBe('PAID');
    expect(p.amountPaid.amount).toBe(String(inst.total));
    expect(paid.reconciliationIssues.filter((i: any) => i.kind === 'INSTALLMENT_STATUS_WITHOUT_PAYMENT')).toEqual([]);
    expect(BigInt(paid.outstanding.total.amount)).toBe(BigInt(before.outstanding.total.amount) - inst.total);
  });

  it('takes the time of receipt when the callback gives none, and a later report replaces an earlier one', async () => {
    const [, target] = bnplTargets();
    expect(target).toBeTruthy();
    const { loan: l, inst } = target!;
    const ack = await s.sender.finfra('users', 'bnpl', 'OVERDUE', { loanUniqueId: l.loanUniqueId, installment_number: inst.number, status: 'OVERDUE' });
    expect(ack.status).toBe(200);
    await settle();
    const [ev] = await s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'bnpl', payload: { path: ['data', 'loanUniqueId'], equals: l.loanUniqueId } } });
    expect(ev!.outcome).toBe('APPLIED');
    const a = (await loan(l.loanUniqueId)).installments.find((i: any) => i.seq === inst.number);
    expect(report(a.providerReport)).toEqual({ status: 'OVERDUE', reportedAt: ev!.receivedAt.toISOString(), amountPaid: null });
    // An OVERDUE report claims no payment: no issue.
    expect((await loan(l.loanUniqueId)).reconciliationIssues.filter((i: any) => i.kind === 'INSTALLMENT_STATUS_WITHOUT_PAYMENT')).toEqual([]);
    // PARTIAL with a paid amount, later than the receipt time above: replaces it, and is flagged (no cleared money).
    const later = new Date(ev!.receivedAt.getTime() + 3600_000).toISOString();
    await s.sender.finfra('users', 'bnpl', 'PARTIAL', { loanUniqueId: l.loanUniqueId, installment_number: inst.number, status: 'PARTIAL', paid_amount: 1000, updated_at: later });
    await settle();
    const v = await loan(l.loanUniqueId);
    expect(report(v.installments.find((i: any) => i.seq === inst.number).providerReport)).toEqual({ status: 'PARTIALLY_PAID', reportedAt: later, amountPaid: { amount: '1000' } });
    expect(v.reconciliationIssues.filter((i: any) => i.kind === 'INSTALLMENT_STATUS_WITHOUT_PAYMENT').map((i: any) => i.amount.amount)).toEqual(['1000']);
  });

  it('refuses a bnpl callback with a malformed time', async () => {
    const [target] = bnplTargets();
    const bad = await s.sender.finfra('users', 'bnpl', 'PAID', { loanUniqueId: target!.loan.loanUniqueId, installment_number: 1, status: 'PAID', updated_at: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.response).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/updated_at/) });
  });
});

describe('Dompet Kilat disbursement callbacks', () => {
  it('records the disbursement once, listed in Loan.disbursements', async () => {
    const dk = s.sandbox.dataset.dompetKilat.find((b) => b.idNumber === '362638287638783')!;
    const contract = dk.loanData!.contractNo!;
    const body = {
      transactionId: 'dk-disb-0001',
      loanCode: contract,
      bankCode: 'BNI',
      paymentAccountNumber: '8808999966040139',
      status: 'active',
      loanAmount: Number(dk.loanData!.amount),
      loanAmountPaid: 0,
      tenor: dk.loanData!.tenor,
      tenorUnit: 'MONTH',
      numberOfPay: 0,
      histories: null,
    };
    const before = await loan(contract);
    expect(before.disbursements).toEqual([]);
    const ack = await s.sender.dompetKilat('disbursement', body);
    expect([ack.status, ack.response]).toEqual([200, { status: '00', message: 'success', data: null }]);
    await s.sender.replay();
    // The same transaction reported again in another body (a resend with totals): still one disbursement.
    await s.sender.dompetKilat('disbursement', { ...body, numberOfPay: undefined, loanAmountPaid: undefined });
    await settle();
    const rows = await s.db.prisma.ledgerDisbursement.findMany({ where: { providerLoanId: contract } });
    expect(rows).toHaveLength(1);
    const [ev] = await s.db.prisma.webhookEvent.findMany({ where: { source: 'DOMPET_KILAT', kind: 'disbursement' }, orderBy: { receivedAt: 'asc' } });
    const after = await loan(contract);
    expect(after.disbursements.map((d: any) => ({ ...d, disbursedAt: utc(d.disbursedAt) }))).toEqual([{ transactionId: 'dk-disb-0001', amount: { amount: dk.loanData!.amount }, channel: 'BNI', status: 'COMPLETED', disbursedAt: ev!.receivedAt.toISOString() }]);
    // ACTIVE since the contract date the provider gives (disbursedOn), not the callback's day.
    expect(after.status).toBe('ACTIVE');
    expect(after.conditionSince).toBe(after.disbursedOn);
    // The repayment callback path records no disbursement.
    await s.sender.dompetKilat('repayment', { ...body, transactionId: 'dk-repay-0001' });
    await settle();
    expect(await s.db.prisma.ledgerDisbursement.count({ where: { providerLoanId: contract } })).toBe(1);
  });
});

describe('Loan.conditionSince', () => {
  it('dates ACTIVE by disbursement, PAID_OFF by the covering payment, and a provider closing by its event', async () => {
    const loans = s.sandbox.dataset.finfra.flatMap((u) => u.loans);
    // ACTIVE: Finfra `disbursed_at` (Jakarta date).
    const active = loans.find((l) => l.status === 'DISBURSED' && l.disbursedAt && l.installments.some((i) => i.paid < i.total) && !bnplTargets().some((t) => t.loan === l))!;
    const a = await loan(active.loanUniqueId);
    expect(a.status).toBe('ACTIVE');
    expect(a.conditionSince).toBe(jakartaDateOf(new Date(active.disbursedAt!)));

    // PAID_OFF by cleared money: the payment date of the cleared repayment that completed the schedule.
    const repaid = loans.find((l) => l.status === 'REPAID' && l.installments.length > 0)!;
    const r = await loan(repaid.loanUniqueId);
    expect(r.status).toBe('PAID_OFF');
    const due = r.installments.reduce((t: bigint, i: any) => t + BigInt(i.amountDue.amount), 0n);
    let running = 0n;
    let covering: string | null = null;
    for (const x of r.repayments.filter((x: any) => x.status === 'CLEARED').sort((p: any, q: any) => Date.parse(p.paidAt) - Date.parse(q.paidAt))) {
      running += BigInt(x.amount.amount);
      if (running >= due) {
        covering = x.paidAt;
        break;
      }
    }
    expect(covering).not.toBeNull();
    expect(r.conditionSince).toBe(jakartaDateOf(new Date(covering!)));

    // Finfra marks a loan with unpaid installments REPAID: CLOSED_WITH_BALANCE since the day the callback came.
    const owing = loans.find((l) => l.status === 'DISBURSED' && l !== active && !bnplTargets().some((t) => t.loan === l) && l.installments.filter((i) => i.paid === 0n).length >= 2)!;
    await s.sender.finfra('users', 'loan', 'REPAID', { loanUniqueId: owing.loanUniqueId, status: 'REPAID' });
    await settle();
    const [ev] = await s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'loan', payload: { path: ['data', 'loanUniqueId'], equals: owing.loanUniqueId } } });
    const c = await loan(owing.loanUniqueId);
    expect(c.status).toBe('CLOSED_WITH_BALANCE');
    expect(c.conditionSince).toBe(jakartaDateOf(ev!.receivedAt));
    const state = await s.db.prisma.ledgerLoanState.findUnique({ where: { provider_providerLoanId: { provider: 'FINFRA', providerLoanId: owing.loanUniqueId } } });
    expect(state!.statusAt!.toISOString()).toBe(ev!.receivedAt.toISOString());
    // The same status reported again later keeps the first report's time; an older status changes nothing.
    await s.sender.finfra('users', 'loan', 'DISBURSED', { loanUniqueId: owing.loanUniqueId, status: 'DISBURSED' });
    await settle();
    const kept = await s.db.prisma.ledgerLoanState.findUnique({ where: { provider_providerLoanId: { provider: 'FINFRA', providerLoanId: owing.loanUniqueId } } });
    expect([kept!.status, kept!.statusAt!.toISOString()]).toEqual(['PAID_OFF', ev!.receivedAt.toISOString()]);
  });
});
