import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween } from '../src/domain/dates';
import { applySchedule, type LedgerRepayment } from '../src/domain/ledger';
import { percent } from '../src/domain/money';
import { payoffQuote, PayoffRangeError, type PayoffInput } from '../src/domain/payoff';
import { cairinSchedule, dueDatesEvery, flatSchedule, scheduleFromTerms, totalFlatInterest, type PlannedInstallment } from '../src/domain/schedule';
import type { InterestRate } from '../src/domain/types';

const cleared = (id: string, amount: bigint): LedgerRepayment => ({
  id,
  amount,
  channel: 'BCA',
  paidAt: new Date('2026-01-30T02:00:00Z'),
  status: 'CLEARED',
  clearedAt: new Date('2026-01-30T03:00:00Z'),
  reference: 'VA-1',
});

// The Cairin brief's loan: 1,000,000 over 120 days at 24% a year -> 4 x (250,000 + 20,000).
const disbursedOn = '2026-01-01';
const planned = cairinSchedule(1_000_000n, percent('24'), 120, disbursedOn); // due 01-31, 03-02, 04-01, 05-01
const rate: InterestRate = { rate: percent('24'), period: 'YEAR' };
const maturityDate = planned.at(-1)!.dueDate;

function quote(asOf: string, paid: bigint, extra: Partial<PayoffInput> = {}) {
  const installments = applySchedule(planned, paid > 0n ? [cleared('p', paid)] : [], asOf).installments;
  return payoffQuote({ principal: 1_000_000n, rate, disbursedOn, maturityDate, installments, asOf, today: asOf, convention: 'FLAT_ACCRUED', ...extra });
}

describe('payoffQuote', () => {
  it('is the principal alone on the disbursement day', () => {
    expect(quote(disbursedOn, 0n)).toEqual({
      asOf: disbursedOn,
      goodThrough: disbursedOn,
      expiresOn: disbursedOn,
      convention: 'FLAT_ACCRUED',
      principal: 1_000_000n,
      interest: 0n,
      lateFees: 0n,
      total: 1_000_000n,
      pending: 0n,
    });
  });

  it('is principal + all interest on maturity when nothing was paid', () => {
    const q = quote(maturityDate, 0n);
    expect(q).toMatchObject({ principal: 1_000_000n, interest: 80_000n, lateFees: 0n, total: 1_080_000n });
  });

  it('reproduces the brief: halfway through period 2 after installment 1 is paid', () => {
    const asOf = addDays(planned[0]!.dueDate, 15); // 15 of 30 days into period 2
    const q = quote(asOf, 270_000n);
    expect(q.principal).toBe(750_000n);
    expect(q.interest).toBe((20_000n * 15n) / 30n);
    expect(q.total).toBe(760_000n);
    expect(q.expiresOn).toBe(asOf);
  });

  it('drops as installments are paid', () => {
    const asOf = '2026-04-01'; // installment 3's due date: 3 installments' interest owed
    const totals = [0n, 1n, 2n, 3n].map((k) => quote(asOf, 270_000n * k).total);
    expect(totals).toEqual([1_060_000n, 790_000n, 520_000n, 250_000n]);
    // A partial payment pays interest first.
    const partial = quote(asOf, 100_000n);
    expect(partial).toMatchObject({ principal: 920_000n, interest: 40_000n, total: 960_000n });
  });

  it('credits interest paid ahead for a period that has not run', () => {
    const asOf = addDays(planned[0]!.dueDate, 15);
    // Installments 1 and 2 fully paid: 540,000 paid, 1,000,000 + 20,000 + 10,000 accrued owed.
    const q = quote(asOf, 540_000n);
    expect(q).toMatchObject({ principal: 490_000n, interest: 0n, total: 490_000n });
  });

  it('adds late fees per day past due on the quote date', () => {
    const asOf = addDays(planned[0]!.dueDate, 10);
    const q = quote(asOf, 0n, { lateFeePerDay: 1_000n });
    expect(q.lateFees).toBe(10_000n);
    expect(q.total).toBe(1_000_000n + 20_000n + 6_667n + 10_000n); // 10 days of period 2: 1,000,000 x 24% x 10/360
    expect(() => quote(asOf, 0n, { lateFeePerDay: -1n })).toThrow(RangeError);
  });

  it('refuses past dates and dates before disbursement', () => {
    expect(() => quote('2026-02-10', 0n, { today: '2026-02-11' })).toThrow(PayoffRangeError);
    expect(() => quote('2025-12-31', 0n)).toThrow(PayoffRangeError);
    try {
      quote('2026-02-10', 0n, { today: '2026-02-11' });
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      expect((e as Error).name).toBe('PayoffRangeError');
    }
    expect(() => quote('2026-13-01', 0n)).toThrow(RangeError);
    // A future date is fine.
    expect(quote('2026-02-10', 0n, { today: '2026-02-01' }).asOf).toBe('2026-02-10');
  });

  it('quotes past maturity: all unpaid principal and scheduled interest, late fees accruing to asOf', () => {
    const after = addDays(maturityDate, 4);
    // One installment paid: three installments' principal and interest are owed, nothing more accrues (flat).
    const q = quote(after, 270_000n);
    expect(q).toMatchObject({ asOf: after, goodThrough: after, principal: 750_000n, interest: 60_000n, lateFees: 0n, total: 810_000n, pending: 0n });
    expect(quote(addDays(maturityDate, 400), 270_000n).total).toBe(810_000n);
    // With a late fee, the days run from the oldest unpaid due date (installment 2) to asOf.
    const fee = quote(after, 270_000n, { lateFeePerDay: 1_000n });
    expect(fee.lateFees).toBe(1_000n * BigInt(daysBetween(planned[1]!.dueDate, after)));
    expect(fee.total).toBe(810_000n + fee.lateFees);
  });

  it('shows pending money apart, never subtracted', () => {
    const withPending = applySchedule(planned, [cleared('p', 270_000n)], maturityDate).installments.map((i, k) => (k === 1 ? { ...i, pendingAmount: 270_000n } : i));
    const q = payoffQuote({ principal: 1_000_000n, rate, disbursedOn, maturityDate, installments: withPending, asOf: maturityDate, today: maturityDate, convention: 'FLAT_ACCRUED' });
    expect(q.pending).toBe(270_000n);
    expect(q.total).toBe(810_000n);
  });

  it('accrues a bullet loan by days on the flat monthly rate (Dompet Kilat style)', () => {
    const dkRate: InterestRate = { rate: percent('1.0'), period: 'MONTH' };
    const s = scheduleFromTerms(1_000_000n, dkRate, { value: 30, unit: 'DAY' }, '2022-01-11');
    const installments = applySchedule(s, [], '2022-01-26').installments;
    const q = payoffQuote({
      principal: 1_000_000n,
      rate: dkRate,
      disbursedOn: '2022-01-11',
      maturityDate: s[0]!.dueDate,
      installments,
      asOf: '2022-01-26',
      today: '2022-01-26',
      convention: 'FLAT_ACCRUED',
    });
    expect(q).toMatchObject({ principal: 1_000_000n, interest: 5_000n, total: 1_005_000n });
  });

  it('stays between the principal outstanding and what the schedule leaves unpaid (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 1000 }).map((x) => percent((x / 10).toFixed(1))),
        fc.constantFrom('DAY', 'MONTH', 'YEAR') as fc.Arbitrary<'DAY' | 'MONTH' | 'YEAR'>,
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom('WEEKLY', 'BIWEEKLY', 'MONTHLY') as fc.Arbitrary<'WEEKLY' | 'BIWEEKLY' | 'MONTHLY'>,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1.2, noNaN: true }),
        (principal, r, period, n, f, when, paidShare) => {
          const start = '2026-01-01';
          const dates = dueDatesEvery(start, f, n);
          const interestRate: InterestRate = { rate: r, period };
          const days = (f === 'WEEKLY' ? 7 : f === 'BIWEEKLY' ? 14 : 30) * n;
          const totalInterest = totalFlatInterest(principal, interestRate, { value: days, unit: 'DAY' });
          const s: PlannedInstallment[] = flatSchedule(principal, totalInterest, dates);
          const maturity = dates.at(-1)!;
          const span = Math.round(when * daysBetween(start, maturity));
          const asOf = addDays(start, span);
          const totalDue = principal + totalInterest;
          const paid = (totalDue * BigInt(Math.round(paidShare * 1000))) / 1000n;
          const installments = applySchedule(s, paid > 0n ? [cleared('x', paid)] : [], asOf).installments;
          const q = payoffQuote({ principal, rate: interestRate, disbursedOn: start, maturityDate: maturity, installments, asOf, today: asOf, convention: 'FLAT_ACCRUED' });
          const unpaid = installments.reduce((a, i) => a + i.amountDue - i.amountPaid, 0n);
          expect(q.total).toBe(q.principal + q.interest + q.lateFees);
          expect(q.interest >= 0n && q.principal >= 0n).toBe(true);
          expect(q.total <= unpaid).toBe(true);
          expect(q.principal <= principal).toBe(true);
          // Never less than what is owed net of everything paid, with interest only as accrued.
          const paidClamped = paid < totalDue ? paid : totalDue;
          const floor = principal > paidClamped ? principal - paidClamped : 0n;
          expect(q.total >= floor).toBe(true);
          if (asOf === maturity) expect(q.total).toBe(unpaid);
          if (asOf === start) expect(q.total).toBe(principal - (paidClamped < principal ? paidClamped : principal));
        },
      ),
    );
  });
});
