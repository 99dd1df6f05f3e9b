import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../src/domain/dates';
import { arrears, compareQualityClass, QUALITY_CLASSES, qualityClass, twp90, worstClass, type QualityClass } from '../src/domain/delinquency';
import {
  advanceLoanStatus,
  advanceRepayment,
  applySchedule,
  dedupeRepayments,
  LOAN_LIFECYCLE,
  loanBalances,
  matchSettlement,
  reconcile,
  REPAYMENT_STATE_ORDER,
  settlementOverdue,
  validateScheduleAgainstTerms,
  type LedgerRepayment,
  type RepaymentState,
  type SettlementConfirmation,
} from '../src/domain/ledger';
import { formatPercent, percent } from '../src/domain/money';
import {
  bulletSchedule,
  cairinSchedule,
  dueDatesEvery,
  flatInterest,
  flatSchedule,
  scheduleFromTerms,
  totalFlatInterest,
  type PlannedInstallment,
} from '../src/domain/schedule';
import type { BankChannel, Frequency, Installment, Loan, LoanStatus, RatePeriod, Repayment, TenorUnit } from '../src/domain/types';
import { buildLoanView } from '../src/domain/loan-view';

// ---------------------------------------------------------------------------
// helpers and arbitraries
// ---------------------------------------------------------------------------

let counter = 0;
function rep(amount: bigint, status: RepaymentState = 'CLEARED', extra: Partial<LedgerRepayment> = {}): LedgerRepayment {
  counter += 1;
  return {
    id: `tx-${counter}`,
    amount,
    channel: 'BCA',
    paidAt: new Date('2026-01-15T02:00:00Z'),
    status,
    clearedAt: status === 'CLEARED' ? new Date('2026-01-15T03:00:00Z') : null,
    reference: '8808999966040139',
    ...extra,
  };
}

const sumDue = (s: readonly PlannedInstallment[]) => s.reduce((a, i) => a + i.amountDue, 0n);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** Percent strings "0" .. "100" with up to 4 decimals. */
const percentString = fc.integer({ min: 0, max: 1_000_000 }).chain((tenThousandths) =>
  fc.integer({ min: 0, max: 4 }).map((decimals) => {
    const scale = 10 ** (4 - decimals);
    const v = Math.floor(tenThousandths / scale);
    const whole = Math.floor(v / 10 ** decimals);
    const frac = String(v % 10 ** decimals).padStart(decimals, '0');
    return decimals === 0 ? `${whole}` : `${whole}.${frac}`;
  }),
);
const principalArb = fc.bigInt({ min: 1n, max: 10n ** 12n });
const dateArb = fc.integer({ min: 0, max: 365 * 30 }).map((d) => addDays('2000-01-01', d));
const frequencyArb = fc.constantFrom<Frequency>('WEEKLY', 'BIWEEKLY', 'MONTHLY');
const periodArb = fc.constantFrom<RatePeriod>('DAY', 'MONTH', 'YEAR');
const channelArb = fc.constantFrom<BankChannel>('BCA', 'MANDIRI', 'BRI', 'BNI', 'OTHER');
const stateArb = fc.constantFrom<RepaymentState>('PENDING', 'CLEARED', 'FAILED');

const plannedArb: fc.Arbitrary<PlannedInstallment[]> = fc
  .record({
    p: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    i: fc.bigInt({ min: 0n, max: 10n ** 8n }),
    n: fc.integer({ min: 1, max: 12 }),
    start: dateArb,
    f: frequencyArb,
  })
  .map(({ p, i, n, start, f }) => flatSchedule(p, i, dueDatesEvery(start, f, n)));

const repaymentsArb = fc.array(
  fc.record({
    id: fc.string({ minLength: 1, maxLength: 6 }),
    amount: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    channel: channelArb,
    paidAt: fc.integer({ min: 0, max: 10 ** 6 }).map((m) => new Date(Date.UTC(2026, 0, 1) + m * 60_000)),
    status: stateArb,
    reference: fc.constantFrom('VA-1', 'VA-2'),
  }),
  { maxLength: 8 },
).map((rs) => rs.map((r): LedgerRepayment => ({ ...r, clearedAt: r.status === 'CLEARED' ? r.paidAt : null })));

// ---------------------------------------------------------------------------
// schedules add up and reconcile clean
// ---------------------------------------------------------------------------

describe('schedules reconcile against their terms (property)', () => {
  it('flatSchedule over dueDatesEvery, for any terms, rate and frequency', () => {
    fc.assert(
      fc.property(principalArb, percentString, periodArb, fc.integer({ min: 1, max: 60 }), frequencyArb, dateArb, (principal, pct, period, n, f, start) => {
        const unit: TenorUnit = f === 'MONTHLY' ? 'MONTH' : 'WEEK';
        const tenor = { value: f === 'BIWEEKLY' ? n * 2 : n, unit };
        const interest = totalFlatInterest(principal, { rate: percent(pct), period }, tenor);
        const s = flatSchedule(principal, interest, dueDatesEvery(start, f, n));
        expect(s).toHaveLength(n);
        expect(sumDue(s)).toBe(principal + interest);
        expect(reconcile(s, [], { principal, totalInterest: interest })).toEqual([]);
      }),
    );
  });

  it('cairinSchedule, for any principal, tenor and annual rate', () => {
    fc.assert(
      fc.property(principalArb, percentString, fc.integer({ min: 1, max: 60 * 30 + 29 }), dateArb, (principal, pct, tenorDays, start) => {
        const rate = percent(pct);
        const s = cairinSchedule(principal, rate, tenorDays, start);
        const interest = flatInterest(principal, rate, BigInt(s.length), 12n);
        expect(s.length).toBe(Math.max(1, Math.floor(tenorDays / 30)));
        expect(sumDue(s)).toBe(principal + interest);
        expect(reconcile(s, [], { principal, totalInterest: interest })).toEqual([]);
      }),
    );
  });

  it('bulletSchedule and scheduleFromTerms, for any unit and rate period', () => {
    fc.assert(
      fc.property(
        principalArb,
        percentString,
        periodArb,
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom<TenorUnit>('DAY', 'WEEK', 'MONTH'),
        dateArb,
        (principal, pct, period, value, unit, start) => {
          const rate = { rate: percent(pct), period };
          const interest = totalFlatInterest(principal, rate, { value, unit });
          const bullet = bulletSchedule(principal, interest, addDays(start, value));
          expect(bullet).toHaveLength(1);
          expect(reconcile(bullet, [], { principal, totalInterest: interest })).toEqual([]);
          const fromTerms = scheduleFromTerms(principal, rate, { value, unit }, start);
          expect(sumDue(fromTerms)).toBe(principal + interest);
          expect(reconcile(fromTerms, [], { principal, totalInterest: interest })).toEqual([]);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------
// allocation
// ---------------------------------------------------------------------------

describe('applySchedule', () => {
  it('never allocates more cleared money than received, oldest first (property)', () => {
    fc.assert(
      fc.property(plannedArb, repaymentsArb, dateArb, (planned, repayments, today) => {
        const r = applySchedule(planned, repayments, today);
        const unique = dedupeRepayments(repayments);
        const cleared = unique.filter((x) => x.status === 'CLEARED').reduce((a, x) => a + x.amount, 0n);
        const pending = unique.filter((x) => x.status === 'PENDING').reduce((a, x) => a + x.amount, 0n);
        const totalDue = sumDue(planned);
        const paid = r.installments.reduce((a, i) => a + i.amountPaid, 0n);
        const pend = r.installments.reduce((a, i) => a + i.pendingAmount, 0n);
        expect(r.cleared).toBe(cleared);
        expect(r.pending).toBe(pending);
        expect(paid).toBe(min(cleared, totalDue));
        expect(r.overpayment).toBe(cleared - paid);
        expect(pend).toBe(min(pending, totalDue - paid));
        expect(r.pendingExcess).toBe(pending - pend);
        for (const i of r.installments) {
          expect(i.amountPaid >= 0n && i.pendingAmount >= 0n).toBe(true);
          expect(i.amountPaid + i.pendingAmount <= i.amountDue).toBe(true);
          expect(i.status === 'PAID').toBe(i.amountPaid === i.amountDue);
          if (i.status === 'PENDING_SETTLEMENT') expect(i.amountPaid + i.pendingAmount).toBe(i.amountDue);
        }
        // Waterfall: once an installment is not fully paid, no later one has cleared money.
        const firstOpen = r.installments.findIndex((i) => i.amountPaid < i.amountDue);
        if (firstOpen >= 0) expect(r.installments.slice(firstOpen + 1).every((i) => i.amountPaid === 0n)).toBe(true);
        // Due-date order.
        for (let k = 1; k < r.installments.length; k++) expect(r.installments[k - 1]!.dueDate <= r.installments[k]!.dueDate).toBe(true);
      }),
    );
  });

  it('dedupes by id: applying the same repayments twice changes nothing (property)', () => {
    fc.assert(
      fc.property(plannedArb, repaymentsArb, dateArb, (planned, repayments, today) => {
        const once = applySchedule(planned, repayments, today);
        expect(applySchedule(planned, [...repayments, ...repayments], today)).toEqual(once);
        expect(applySchedule(planned, [...repayments, ...[...repayments].reverse()], today)).toEqual(once);
      }),
    );
  });

  it('does not depend on the order distinct repayments arrive in (property)', () => {
    fc.assert(
      fc.property(
        plannedArb,
        repaymentsArb.map(dedupeRepayments).chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }))),
        dateArb,
        (planned, [repayments, permuted], today) => {
          expect(applySchedule(planned, permuted, today)).toEqual(applySchedule(planned, repayments, today));
        },
      ),
    );
  });

  it('keeps the most advanced copy of a repayment delivered twice out of order', () => {
    const planned = flatSchedule(100_000n, 0n, ['2026-02-01']);
    const cleared = rep(100_000n, 'CLEARED', { id: 'X' });
    const stale = { ...cleared, status: 'PENDING' as const, clearedAt: null };
    expect(applySchedule(planned, [cleared, stale], '2026-01-20').installments[0]!.status).toBe('PAID');
    expect(applySchedule(planned, [stale, cleared], '2026-01-20').installments[0]!.status).toBe('PAID');
    const failed = { ...cleared, status: 'FAILED' as const };
    expect(applySchedule(planned, [failed, stale], '2026-01-20').installments[0]!.status).toBe('DUE');
  });

  it('goes DUE -> PENDING_SETTLEMENT -> PAID for one installment as the bank confirms', () => {
    const planned = cairinSchedule(1_000_000n, percent('24'), 120, '2026-01-01');
    const today = '2026-01-31'; // installment 1's due date
    const before = applySchedule(planned, [], today);
    expect(before.installments[0]).toMatchObject({ status: 'DUE', amountPaid: 0n, pendingAmount: 0n });

    const paid = rep(270_000n, 'PENDING', { id: 'BCA-1', paidAt: new Date('2026-01-31T01:55:00Z') });
    const pending = applySchedule(planned, [paid], today);
    expect(pending.installments[0]).toMatchObject({ status: 'PENDING_SETTLEMENT', amountPaid: 0n, pendingAmount: 270_000n });
    expect(pending.installments[1]).toMatchObject({ status: 'DUE', pendingAmount: 0n });
    // Still pending the next morning: shown as pending settlement, but nothing counts as paid.
    expect(applySchedule(planned, [paid], '2026-02-01').installments[0]!.status).toBe('PENDING_SETTLEMENT');
    const balancesPending = loanBalances(pending.installments, [paid]);
    expect(balancesPending).toEqual({ principal: 1_000_000n, interest: 80_000n, lateFees: 0n, pending: 270_000n, total: 1_080_000n });

    const confirmed = { ...paid, status: advanceRepayment(paid.status, 'CLEARED'), clearedAt: new Date('2026-01-31T03:00:00Z') };
    const after = applySchedule(planned, [paid, confirmed], today);
    expect(after.installments[0]).toMatchObject({ status: 'PAID', amountPaid: 270_000n, pendingAmount: 0n });
    expect(loanBalances(after.installments, [paid, confirmed])).toEqual({
      principal: 750_000n,
      interest: 60_000n,
      lateFees: 0n,
      pending: 0n,
      total: 810_000n,
    });
  });

  it('derives PARTIALLY_PAID, OVERDUE, and partial pending', () => {
    const planned = cairinSchedule(1_000_000n, percent('24'), 120, '2026-01-01'); // due 01-31, 03-02, 04-01, 05-01
    const r = applySchedule(planned, [rep(370_000n), rep(50_000n, 'PENDING'), rep(999n, 'FAILED')], '2026-03-10');
    expect(r.installments.map((i) => [i.status, i.amountPaid, i.pendingAmount])).toEqual([
      ['PAID', 270_000n, 0n],
      ['OVERDUE', 100_000n, 50_000n],
      ['DUE', 0n, 0n],
      ['DUE', 0n, 0n],
    ]);
    const early = applySchedule(planned, [rep(370_000n)], '2026-02-10');
    expect(early.installments[1]!.status).toBe('PARTIALLY_PAID');
    // Interest first within an installment: 100,000 on installment 2 pays its 20,000 interest, then 80,000 principal.
    expect(loanBalances(early.installments, [])).toMatchObject({ principal: 1_000_000n - 250_000n - 80_000n, interest: 40_000n });
    expect(loanBalances(early.installments, [], { lateFees: 5_000n }).total).toBe(670_000n + 40_000n + 5_000n);
    expect(() => loanBalances(early.installments, [], { lateFees: -1n })).toThrow(RangeError);
  });

  it('reports overpayment and rejects negative amounts', () => {
    const planned = flatSchedule(100_000n, 10_000n, ['2026-02-01']);
    const r = applySchedule(planned, [rep(100_000n), rep(30_000n), rep(5_000n, 'PENDING')], '2026-01-20');
    expect(r.overpayment).toBe(20_000n);
    expect(r.pendingExcess).toBe(5_000n);
    expect(r.installments[0]!.status).toBe('PAID');
    expect(() => applySchedule(planned, [rep(-1n)], '2026-01-20')).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// settlement
// ---------------------------------------------------------------------------

describe('settlement', () => {
  const settlement = (extra: Partial<SettlementConfirmation> = {}): SettlementConfirmation => ({
    reference: 'REF-77',
    amount: 270_000n,
    account: '8808999966040139',
    channel: 'BCA',
    settledAt: new Date('2026-01-15T04:00:00Z'),
    externalId: 'BCA-SETTLE-1',
    ...extra,
  });

  it('matches on amount and reference or account, exactly one', () => {
    const a = rep(270_000n, 'PENDING', { id: 'A' });
    const b = rep(100_000n, 'PENDING', { id: 'B' });
    expect(matchSettlement([a, b], settlement())).toEqual({ kind: 'match', match: a });
    const byRef = rep(270_000n, 'PENDING', { id: 'C', reference: 'REF-77' });
    expect(matchSettlement([byRef, b], settlement())).toEqual({ kind: 'match', match: byRef });
    expect(matchSettlement([a, byRef], settlement())).toEqual({ kind: 'ambiguous', candidates: [a, byRef] });
  });

  it('does not match a different amount, account, channel, or a non-pending repayment', () => {
    expect(matchSettlement([rep(270_001n, 'PENDING')], settlement())).toEqual({ kind: 'none' });
    expect(matchSettlement([rep(270_000n, 'PENDING', { reference: 'VA-OTHER' })], settlement())).toEqual({ kind: 'none' });
    expect(matchSettlement([rep(270_000n, 'PENDING', { channel: 'BRI' })], settlement())).toEqual({ kind: 'none' });
    expect(matchSettlement([rep(270_000n, 'PENDING', { channel: 'OTHER' })], settlement()).kind).toBe('match');
    expect(matchSettlement([rep(270_000n, 'CLEARED'), rep(270_000n, 'FAILED')], settlement())).toEqual({ kind: 'none' });
    expect(matchSettlement([], settlement())).toEqual({ kind: 'none' });
  });

  it("flags a repayment pending longer than its channel's lag", () => {
    const lags: Record<BankChannel, number> = { BCA: 15, MANDIRI: 60, BRI: 120, BNI: 240, OTHER: 1440 };
    const paidAt = new Date('2026-01-15T02:00:00Z');
    const at = (minutes: number) => new Date(paidAt.getTime() + minutes * 60_000);
    const bca = rep(1n, 'PENDING', { paidAt, channel: 'BCA' });
    expect(settlementOverdue(bca, lags, at(15))).toBe(false);
    expect(settlementOverdue(bca, lags, at(16))).toBe(true);
    expect(settlementOverdue({ ...bca, channel: 'BNI' }, lags, at(16))).toBe(false);
    expect(settlementOverdue({ ...bca, status: 'CLEARED' }, lags, at(1000))).toBe(false);
    expect(() => settlementOverdue(bca, { ...lags, BCA: -1 }, at(1))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// monotonic states
// ---------------------------------------------------------------------------

function foldAll<S>(advance: (a: S, b: S) => S, first: S, rest: readonly S[]): S {
  return rest.reduce(advance, first);
}

describe('monotonic states', () => {
  it('repayments end in the maximal state whatever the arrival order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(stateArb, { minLength: 1, maxLength: 10 }).chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))),
        ([events, permuted]) => {
          const maxState = events.reduce((m, s) => (REPAYMENT_STATE_ORDER.indexOf(s) > REPAYMENT_STATE_ORDER.indexOf(m) ? s : m));
          expect(foldAll(advanceRepayment, events[0]!, events.slice(1))).toBe(maxState);
          expect(foldAll(advanceRepayment, permuted[0]!, permuted.slice(1))).toBe(maxState);
          expect(foldAll(advanceRepayment, 'PENDING', permuted)).toBe(maxState);
        },
      ),
    );
  });

  it('never moves a repayment back; FAILED is terminal', () => {
    expect(advanceRepayment('CLEARED', 'PENDING')).toBe('CLEARED');
    expect(advanceRepayment('PENDING', 'CLEARED')).toBe('CLEARED');
    expect(advanceRepayment('FAILED', 'CLEARED')).toBe('FAILED');
    expect(advanceRepayment('FAILED', 'PENDING')).toBe('FAILED');
  });

  it('loans end in the last state of their path whatever the arrival order (property)', () => {
    const paths: LoanStatus[][] = [
      ['PENDING', 'SIGNING', 'APPROVED', 'ACTIVE', 'PAID_OFF'],
      ['PENDING', 'SIGNING', 'APPROVED', 'ACTIVE', 'CLOSED'],
      ['PENDING', 'SIGNING', 'REJECTED'],
      ['PENDING', 'REJECTED'],
      ['PENDING', 'SIGNING', 'APPROVED', 'REJECTED'],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...paths).chain((path) =>
          fc.tuple(fc.constant(path), fc.shuffledSubarray(path, { minLength: path.length, maxLength: path.length }), fc.array(fc.constantFrom(...path))),
        ),
        ([path, shuffled, duplicates]) => {
          const events = [...shuffled, ...duplicates];
          expect(foldAll(advanceLoanStatus, events[0]!, events.slice(1))).toBe(path.at(-1));
        },
      ),
    );
  });

  it('keeps REJECTED against stale pre-ACTIVE events and PAID_OFF against CLOSED', () => {
    expect(advanceLoanStatus('REJECTED', 'APPROVED')).toBe('REJECTED');
    expect(advanceLoanStatus('REJECTED', 'PENDING')).toBe('REJECTED');
    expect(advanceLoanStatus('ACTIVE', 'REJECTED')).toBe('ACTIVE');
    expect(advanceLoanStatus('PAID_OFF', 'ACTIVE')).toBe('PAID_OFF');
    expect(advanceLoanStatus('PAID_OFF', 'CLOSED')).toBe('PAID_OFF');
    expect(advanceLoanStatus('CLOSED', 'PAID_OFF')).toBe('PAID_OFF');
    expect(LOAN_LIFECYCLE).toHaveLength(7);
  });
});

// ---------------------------------------------------------------------------
// reconciliation issues
// ---------------------------------------------------------------------------

describe('reconcile', () => {
  const planned = cairinSchedule(1_000_000n, percent('24'), 120, '2026-01-01');
  const terms = { principal: 1_000_000n, totalInterest: 80_000n };

  it('is clean for a consistent ledger', () => {
    expect(reconcile(planned, [rep(270_000n), rep(270_000n, 'PENDING')], terms)).toEqual([]);
  });

  it('finds a schedule that does not add up to the terms', () => {
    const issues = validateScheduleAgainstTerms(planned, 1_000_000n, 90_000n);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ kind: 'SCHEDULE_SUM_MISMATCH', expected: 1_090_000n, actual: 1_080_000n, interest: { expected: 90_000n, actual: 80_000n } });
    expect(reconcile(planned, [], { principal: 900_000n, totalInterest: 80_000n }).map((i) => i.kind)).toEqual(['SCHEDULE_SUM_MISMATCH']);
  });

  it('finds an installment whose split does not add up to its amount due', () => {
    const broken = planned.map((i) => (i.seq === 2 ? { ...i, amountDue: 275_000n } : i));
    const issues = reconcile(broken, [], terms);
    expect(issues.map((i) => i.kind)).toEqual(['SCHEDULE_SUM_MISMATCH', 'INSTALLMENT_SPLIT_MISMATCH']);
    expect(issues[1]).toMatchObject({ seq: 2, expected: 270_000n, actual: 275_000n });
  });

  it('finds money with no installment to go to, and overpayment', () => {
    const noSchedule = reconcile([], [rep(50_000n, 'PENDING', { id: 'P' })]);
    expect(noSchedule).toMatchObject([{ kind: 'PAYMENT_WITHOUT_INSTALLMENT', repaymentId: 'P', amount: 50_000n, status: 'PENDING' }]);

    const all = rep(1_080_000n, 'CLEARED', { id: 'ALL', paidAt: new Date('2026-04-01T00:00:00Z') });
    const extra = rep(270_000n, 'CLEARED', { id: 'EXTRA', paidAt: new Date('2026-04-02T00:00:00Z') });
    const issues = reconcile(planned, [extra, all, all], terms);
    expect(issues.map((i) => i.kind)).toEqual(['PAYMENT_WITHOUT_INSTALLMENT', 'OVERPAYMENT']);
    expect(issues[0]).toMatchObject({ repaymentId: 'EXTRA', amount: 270_000n });
    expect(issues[1]).toMatchObject({ expected: 1_080_000n, actual: 1_350_000n, amount: 270_000n });
    expect(issues.every((i) => i.message.length > 0)).toBe(true);

    // Straddling the end of the schedule is an overpayment, not a payment without installment.
    expect(reconcile(planned, [rep(1_000_000n), rep(100_000n)], terms).map((i) => i.kind)).toEqual(['OVERPAYMENT']);
  });

  it("checks a provider's stated totals (Dompet Kilat loanAmountPaid / numberOfPay)", () => {
    const dk = scheduleFromTerms(1_000_000n, { rate: percent('1.0'), period: 'MONTH' }, { value: 2, unit: 'MONTH' }, '2022-01-11');
    const histories = [rep(250_000n, 'CLEARED', { id: 'LC1635132008@2021-10-25T15:20:16.921Z' })];
    expect(reconcile(dk, histories, undefined, { amountPaid: 250_000n, numberOfPay: 1 })).toEqual([]);
    const issues = reconcile(dk, histories, undefined, { amountPaid: 500_000n, numberOfPay: 2 });
    expect(issues).toMatchObject([
      { kind: 'PROVIDER_TOTAL_MISMATCH', field: 'amountPaid', expected: 500_000n, actual: 250_000n },
      { kind: 'PROVIDER_TOTAL_MISMATCH', field: 'numberOfPay', expected: 2n, actual: 1n },
    ]);
  });
});

// ---------------------------------------------------------------------------
// delinquency
// ---------------------------------------------------------------------------

function loan(installments: Installment[], status: LoanStatus = 'ACTIVE'): Loan {
  return {
    provider: 'CAIRIN',
    accountId: 'a',
    providerLoanId: `LN-${installments.length}`,
    type: 'INSTALLMENT',
    status,
    principal: 0n,
    rate: null,
    tenor: { value: 120, unit: 'DAY' },
    frequency: null,
    disbursedOn: '2026-01-01',
    maturityDate: installments.at(-1)?.dueDate ?? null,
    installments,
    scheduleSource: 'PROVIDER',
  };
}
const due = (seq: number, dueDate: string, amountDue: bigint, amountPaid = 0n): Installment => ({
  seq,
  dueDate,
  principal: amountDue,
  interest: 0n,
  amountDue,
  amountPaid,
  status: amountPaid === amountDue ? 'PAID' : 'DUE',
});

describe('delinquency (POJK 10/2022)', () => {
  it('classes days past due at the boundaries', () => {
    const cases: [number, QualityClass][] = [
      [0, 'LANCAR'],
      [1, 'DALAM_PERHATIAN_KHUSUS'],
      [30, 'DALAM_PERHATIAN_KHUSUS'],
      [31, 'KURANG_LANCAR'],
      [60, 'KURANG_LANCAR'],
      [61, 'DIRAGUKAN'],
      [90, 'DIRAGUKAN'],
      [91, 'MACET'],
      [10_000, 'MACET'],
    ];
    for (const [dpd, cls] of cases) expect(qualityClass(dpd), `dpd ${dpd}`).toBe(cls);
    expect(() => qualityClass(-1)).toThrow(RangeError);
    expect(() => qualityClass(1.5)).toThrow(RangeError);
  });

  it('never gets better as days past due grow (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(compareQualityClass(qualityClass(lo), qualityClass(hi))).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('picks the worst class', () => {
    expect(worstClass([])).toBe('LANCAR');
    expect(worstClass(['KURANG_LANCAR', 'LANCAR', 'DIRAGUKAN', 'DALAM_PERHATIAN_KHUSUS'])).toBe('DIRAGUKAN');
    expect(worstClass(QUALITY_CLASSES)).toBe('MACET');
  });

  it('summarizes arrears of one loan', () => {
    const l = loan([due(1, '2026-02-01', 270_000n, 270_000n), due(2, '2026-03-01', 270_000n, 100_000n), due(3, '2026-04-01', 270_000n)]);
    expect(arrears(l, '2026-03-01')).toMatchObject({ dpd: 0, class: 'LANCAR', overdueAmount: 0n, oldestDueDate: null });
    expect(arrears(l, '2026-03-02')).toMatchObject({ dpd: 1, class: 'DALAM_PERHATIAN_KHUSUS', overdueAmount: 170_000n, oldestDueDate: '2026-03-01' });
    expect(arrears(l, '2026-06-01')).toMatchObject({ dpd: 92, class: 'MACET', overdueAmount: 170_000n + 270_000n });
    expect(arrears({ ...l, status: 'PAID_OFF' }, '2026-06-01')).toEqual({ dpd: 0, class: 'LANCAR', overdueAmount: 0n, principal: 0n, interest: 0n, oldestDueDate: null });
    // A loan the provider closed over an unpaid schedule still owes: its arrears count.
    expect(arrears({ ...l, status: 'CLOSED_WITH_BALANCE' }, '2026-06-01')).toMatchObject({ dpd: 92, class: 'MACET', overdueAmount: 440_000n });
  });

  it('computes TWP90 as the share of outstanding more than 90 days late', () => {
    const today = '2026-06-01';
    const macet = loan([due(1, '2026-02-01', 300_000n)]); // 120 days late
    const diragukan = loan([due(1, '2026-03-03', 200_000n)]); // 90 days late: not in TWP90
    const current = loan([due(1, '2026-06-15', 500_000n)]);
    const paidOff = loan([due(1, '2026-01-01', 999_000n)], 'PAID_OFF');
    const t = twp90([macet, diragukan, current, paidOff], today);
    expect(arrears(diragukan, today).dpd).toBe(90);
    expect(t.outstandingOver90).toBe(300_000n);
    expect(t.totalOutstanding).toBe(1_000_000n);
    expect(t.share).toEqual({ num: 300_000n, den: 1_000_000n });
    expect(formatPercent(t.share!)).toBe('30');
    expect(twp90([], today)).toEqual({ outstandingOver90: 0n, totalOutstanding: 0n, share: null });
    expect(twp90([paidOff], today).share).toBeNull();
  });
});

describe('closed loans never hide debt', () => {
  const lag = { BCA: 60, MANDIRI: 60, BRI: 60, BNI: 60, OTHER: 60 } as const;
  const schedule = [due(1, '2026-02-01', 270_000n), due(2, '2026-03-01', 270_000n)];
  const paid = (id: string, amount: bigint): Repayment => ({ id, providerLoanId: 'LN-2', amount, channel: 'BCA', status: 'CLEARED', paidAt: new Date('2026-01-30T03:00:00Z'), clearedAt: new Date('2026-01-30T04:00:00Z') });
  const view = (status: LoanStatus, repayments: Repayment[], reported: LoanStatus | null = null) =>
    buildLoanView({
      loan: { ...loan(schedule, status), principal: 500_000n },
      providerRepayments: repayments,
      eventRepayments: [],
      settlements: [],
      reported: reported ? { status: reported, amountPaid: null, numberOfPay: null } : null,
      today: '2026-06-01',
      now: new Date('2026-06-01T03:00:00Z'),
      lagMinutes: lag,
    });

  it('keeps the unpaid amount, DPD and class of a loan the provider closed, with CLOSED_WITH_BALANCE', () => {
    const v = view('CLOSED', [paid('t1', 270_000n)]);
    expect(v.loan.status).toBe('CLOSED_WITH_BALANCE');
    expect(v.balances.total).toBe(270_000n);
    expect(v.arrears).toMatchObject({ dpd: 92, class: 'MACET', overdueAmount: 270_000n });
    expect(v.issues).toContainEqual(expect.objectContaining({ kind: 'CLOSED_WITH_BALANCE', amount: 270_000n }));
  });

  it('gives STATUS_WITHOUT_PAYMENT when the provider (or its event) says repaid without the cleared money', () => {
    for (const v of [view('PAID_OFF', []), view('ACTIVE', [], 'PAID_OFF')]) {
      expect(v.loan.status).toBe('CLOSED_WITH_BALANCE');
      expect(v.balances.total).toBe(540_000n);
      expect(v.issues).toContainEqual(expect.objectContaining({ kind: 'STATUS_WITHOUT_PAYMENT', amount: 540_000n }));
    }
  });

  it('lets only cleared money make a loan paid', () => {
    const v = view('CLOSED', [paid('t1', 270_000n), paid('t2', 270_000n)]);
    expect(v.loan.status).toBe('CLOSED');
    expect(v.balances.total).toBe(0n);
    expect(v.issues.map((i) => i.kind)).not.toContain('CLOSED_WITH_BALANCE');
    expect(view('ACTIVE', [paid('t1', 270_000n), paid('t2', 270_000n)]).loan.status).toBe('PAID_OFF');
  });
});
