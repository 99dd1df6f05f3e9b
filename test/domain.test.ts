import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { creditTotals, daysPastDue, loanOutstanding, nextInstallment, nextPaymentDue, overdueAmount, principalOutstanding } from '../src/domain/credit';
import { arrears, collectibility, totalArrears } from '../src/domain/delinquency';
import { lastPayment, type LoanView, paidInYear } from '../src/domain/loan-view';
import { addDays, addMonths, daysBetween, fromDayMonthYear, isLocalDate, jakartaDate, parseInstant, toDayMonthYear, toJakartaIso } from '../src/domain/dates';
import * as luxon from 'luxon';
import { divRound, formatPercent, percent, toRupiah } from '../src/domain/money';
import { cairinSchedule, flatSchedule, scheduleFromTerms, splitEvenly } from '../src/domain/schedule';
import type { Loan } from '../src/domain/types';

describe('money', () => {
  it('reads wire amounts exactly and refuses fractions', () => {
    expect(toRupiah('1000000')).toBe(1_000_000n);
    expect(toRupiah('80000000.00')).toBe(80_000_000n);
    expect(toRupiah(270000)).toBe(270_000n);
    expect(() => toRupiah(0.5)).toThrow(RangeError);
    expect(() => toRupiah('12.5')).toThrow(RangeError);
    expect(() => toRupiah('1e6')).toThrow(RangeError);
  });
  it('keeps amounts beyond 2^53 exact', () => {
    expect(toRupiah('9007199254740993') + 1n).toBe(9_007_199_254_740_994n);
  });
  it('parses and prints percentages as exact fractions', () => {
    expect(percent('24')).toEqual({ num: 24n, den: 100n });
    expect(percent('1.0')).toEqual({ num: 10n, den: 1000n });
    expect(formatPercent(percent('2.5'))).toBe('2.5');
    expect(formatPercent(percent('24'))).toBe('24');
    expect(() => percent('-1')).toThrow(RangeError);
  });
  it('rounds half away from zero', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
  });
});

describe('dates (Asia/Jakarta)', () => {
  it('converts Dompet Kilat dd/MM/yyyy both ways', () => {
    expect(fromDayMonthYear('30/09/1999')).toBe('1999-09-30');
    expect(toDayMonthYear('2022-01-11')).toBe('11/01/2022');
    expect(() => fromDayMonthYear('31/02/2022')).toThrow(RangeError);
  });
  it("parses instants as luxon does in Asia/Jakarta, in the providers' usual form and in others (property)", () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const luxonInstant = (s: string): number | 'invalid' => {
      const d = luxon.DateTime.fromISO(s, { zone: 'Asia/Jakarta', setZone: false });
      return d.isValid ? d.toMillis() : 'invalid';
    };
    const ours = (s: string): number | 'invalid' => {
      try {
        return parseInstant(s).getTime();
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError);
        return 'invalid';
      }
    };
    fc.assert(
      fc.property(
        // Out-of-range parts on purpose (day 31 in 30-day months, 30 February, hour 24, minute 60, offset +15:00).
        fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }),
        fc.constantFrom('', '.000', '.5', '.123', '.123456'),
        fc.constantFrom('Z', '+07:00', '+00:00', '-03:30', '+14:00', '+15:00', '+07:60', '', '+0700'),
        (y, mo, d, h, mi, se, frac, zone) => {
          const s = `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(se)}${frac}${zone}`;
          expect([s, ours(s)]).toEqual([s, luxonInstant(s)]);
        },
      ),
      { numRuns: 3000 },
    );
    for (const s of ['2026-12-05', '2026-02-30T10:00:00Z', '2026-01-01T24:00:00Z', '2021-10-25T15:20:16.921Z', 'not a date', '']) expect([s, ours(s)]).toEqual([s, luxonInstant(s)]);
  });
  it('takes the Jakarta calendar day of an instant (UTC+7)', () => {
    expect(jakartaDate(new Date('2026-11-21T16:59:59Z'))).toBe('2026-11-21');
    expect(jakartaDate(new Date('2026-11-21T17:00:00Z'))).toBe('2026-11-22');
  });
  it('clamps month ends', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
  });
});

describe('schedules', () => {
  it("reproduces the Cairin brief's example: 1,000,000 over 120 days at 24% -> 4 x (250,000 + 20,000)", () => {
    const s = cairinSchedule(1_000_000n, percent('24'), 120, '2026-01-01');
    expect(s.map((i) => [i.principal, i.interest, i.amountDue])).toEqual(Array(4).fill([250_000n, 20_000n, 270_000n]));
    expect(s.at(-1)!.dueDate).toBe('2026-05-01');
  });
  it("reconstructs the Dompet Kilat seed loan: 1,000,000 over 2 MONTH at 1.0% a month", () => {
    const s = scheduleFromTerms(1_000_000n, { rate: percent('1.0'), period: 'MONTH' }, { value: 2, unit: 'MONTH' }, '2022-01-11');
    expect(s.map((i) => [i.dueDate, i.amountDue])).toEqual([
      ['2022-02-11', 510_000n],
      ['2022-03-11', 510_000n],
    ]);
  });
  it('puts the rounding remainder on the last installment', () => {
    expect(splitEvenly(1_000_000n, 3)).toEqual([333_333n, 333_333n, 333_334n]);
  });
  it('always sums to principal + interest (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.integer({ min: 1, max: 60 }), (p, i, n) => {
        const dates = Array.from({ length: n }, (_, k) => addMonths('2026-01-01', k + 1));
        const s = flatSchedule(p, i, dates);
        expect(s.reduce((a, x) => a + x.amountDue, 0n)).toBe(p + i);
        expect(s.every((x) => x.principal >= 0n && x.interest >= 0n)).toBe(true);
      }),
    );
  });
});

function loan(installments: Loan['installments'], status: Loan['status'] = 'ACTIVE'): Loan {
  return {
    provider: 'CAIRIN',
    accountId: 'a',
    providerLoanId: 'LN-1',
    type: 'INSTALLMENT',
    status,
    principal: 1_000_000n,
    rate: null,
    tenor: { value: 120, unit: 'DAY' },
    frequency: 'MONTHLY',
    disbursedOn: '2026-01-01',
    maturityDate: installments.at(-1)?.dueDate ?? null,
    installments,
    scheduleSource: 'PROVIDER',
  };
}
const inst = (seq: number, dueDate: string, amountPaid: bigint, status: Loan['installments'][number]['status']) => ({
  seq,
  dueDate,
  principal: 250_000n,
  interest: 20_000n,
  amountDue: 270_000n,
  amountPaid,
  status,
});

describe('balances', () => {
  const l = loan([inst(1, '2026-02-01', 270_000n, 'PAID'), inst(2, '2026-03-01', 100_000n, 'PARTIALLY_PAID'), inst(3, '2026-04-01', 0n, 'DUE'), inst(4, '2026-05-01', 0n, 'DUE')]);
  it('counts outstanding from unpaid installment amounts', () => {
    expect(loanOutstanding(l)).toBe(170_000n + 270_000n * 2n);
    expect(principalOutstanding(l)).toBe(250_000n - 80_000n + 500_000n);
  });
  it('is overdue from the day after the due date, in Jakarta days', () => {
    expect(overdueAmount(l, '2026-03-01')).toBe(0n);
    expect(overdueAmount(l, '2026-03-02')).toBe(170_000n);
    expect(daysPastDue(l, '2026-03-01')).toBe(0);
    expect(daysPastDue(l, '2026-03-31')).toBe(30);
  });
  it('picks the earliest unpaid installment as next', () => {
    expect(nextInstallment(l)?.seq).toBe(2);
  });
  it('owes nothing on loans that are not active', () => {
    expect(loanOutstanding({ ...l, status: 'PAID_OFF' })).toBe(0n);
    expect(loanOutstanding({ ...l, status: 'APPROVED' })).toBe(0n);
  });
  it('splits arrears into principal and interest (cleared money applied interest first) with the oldest unpaid due date', () => {
    // Installment 2 has 100,000 paid: its 20,000 interest is covered, 170,000 of principal is late.
    expect(arrears(l, '2026-03-01')).toEqual({ dpd: 0, class: 'LANCAR', overdueAmount: 0n, principal: 0n, interest: 0n, oldestDueDate: null });
    expect(arrears(l, '2026-04-02')).toEqual({ dpd: 32, class: 'KURANG_LANCAR', overdueAmount: 440_000n, principal: 170_000n + 250_000n, interest: 20_000n, oldestDueDate: '2026-03-01' });
    expect(arrears({ ...l, status: 'CLOSED' }, '2026-04-02')).toMatchObject({ overdueAmount: 0n, principal: 0n, interest: 0n, oldestDueDate: null });
    const other = loan([inst(1, '2026-02-15', 0n, 'DUE')]);
    expect(totalArrears([arrears(l, '2026-04-02'), arrears(other, '2026-04-02')])).toEqual({
      dpd: daysBetween('2026-02-15', '2026-04-02'),
      class: 'KURANG_LANCAR',
      overdueAmount: 440_000n + 270_000n,
      principal: 420_000n + 250_000n,
      interest: 40_000n,
      oldestDueDate: '2026-02-15',
    });
  });
  it('maps quality classes to OJK collectibility 1-5', () => {
    expect(['LANCAR', 'DALAM_PERHATIAN_KHUSUS', 'KURANG_LANCAR', 'DIRAGUKAN', 'MACET'].map((c) => collectibility(c as never))).toEqual([1, 2, 3, 4, 5]);
  });
  it('gives the last cleared payment and the principal and interest paid in the Jakarta year', () => {
    const planned = [inst(1, '2025-12-01', 0n, 'DUE'), inst(2, '2026-01-01', 0n, 'DUE'), inst(3, '2026-02-01', 0n, 'DUE')];
    const rep = (id: string, amount: bigint, paidAt: string, status: 'CLEARED' | 'PENDING' = 'CLEARED') => ({
      id, providerLoanId: 'LN-1', amount, channel: 'BCA' as const, status, paidAt: new Date(paidAt), clearedAt: status === 'CLEARED' ? new Date(paidAt) : null, settlementOverdue: false,
    });
    // 2025-12-31T17:30Z is already 2026-01-01 in Jakarta (UTC+7).
    const repayments = [rep('a', 270_000n, '2025-12-01T03:00:00Z'), rep('b', 100_000n, '2025-12-31T17:30:00Z'), rep('c', 50_000n, '2026-01-15T03:00:00Z'), rep('d', 270_000n, '2026-01-20T03:00:00Z', 'PENDING')];
    const view = { loan: loan(planned), repayments, derived: true } as unknown as LoanView;
    expect(lastPayment(view)).toEqual({ amount: 50_000n, date: '2026-01-15' });
    // 270,000 paid in 2025 covers installment 1; 150,000 in 2026 pays installment 2's 20,000 interest, then 130,000 principal.
    expect(paidInYear(view, '2026-03-01')).toEqual({ year: 2026, principal: 130_000n, interest: 20_000n });
    expect(paidInYear(view, '2025-12-20')).toEqual({ year: 2025, principal: 250_000n, interest: 20_000n });
    expect(paidInYear({ ...view, derived: false }, '2026-03-01')).toBeNull();
    expect(lastPayment({ ...view, repayments: [repayments[3]!] })).toBeNull();
  });
  it('gives as next payment the earliest installment not yet due, never a late one', () => {
    expect(nextPaymentDue(l, '2026-03-02')?.seq).toBe(3);
    expect(nextPaymentDue(l, '2026-03-01')?.seq).toBe(2); // due today is not late yet
    expect(nextPaymentDue(l, '2026-05-02')).toBeNull();
    expect(nextPaymentDue({ ...l, status: 'PAID_OFF' }, '2026-03-02')).toBeNull();
  });
  it('totals across loans and picks the earliest next installment', () => {
    const other = loan([inst(1, '2026-02-15', 0n, 'DUE')]);
    const t = creditTotals([l, other], '2026-03-02');
    expect(t.totalOutstanding).toBe(loanOutstanding(l) + 270_000n);
    expect(t.totalOverdue).toBe(170_000n + 270_000n);
    expect(t.next?.installment.dueDate).toBe('2026-02-15');
  });
});

describe('Jakarta dates without luxon on the read path', () => {
  it('agree with luxon in Asia/Jakarta for every day from 1999 to 2040, every month step and many instants', () => {
    const { DateTime } = luxon;
    const z = { zone: 'Asia/Jakarta' };
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2041, 0, 1); t += 86_400_000) {
      const d = new Date(t).toISOString().slice(0, 10);
      expect(isLocalDate(d)).toBe(true);
      expect(addDays(d, 1)).toBe(DateTime.fromISO(d, z).plus({ days: 1 }).toISODate());
      expect(addDays(d, -45)).toBe(DateTime.fromISO(d, z).plus({ days: -45 }).toISODate());
      if (d.endsWith('-28') || d.endsWith('-29') || d.endsWith('-30') || d.endsWith('-31') || d.endsWith('-01')) {
        for (const m of [1, 2, 3, 11, 12, 13, -1, -13]) expect(addMonths(d, m)).toBe(DateTime.fromISO(d, z).plus({ months: m }).toISODate());
      }
      expect(daysBetween('2020-02-29', d)).toBe(Math.round(DateTime.fromISO(d, z).diff(DateTime.fromISO('2020-02-29', z), 'days').days));
    }
    // Instants around every Jakarta midnight of a leap year, and a few odd milliseconds.
    for (let t = Date.UTC(2024, 0, 1) - 7 * 3600_000; t < Date.UTC(2025, 0, 1); t += 86_400_000) {
      for (const dt of [-1, 0, 1, 3600_000 * 12 + 123]) {
        const i = new Date(t + dt);
        expect(jakartaDate(i)).toBe(DateTime.fromJSDate(i).setZone('Asia/Jakarta').toISODate());
        expect(toJakartaIso(i)).toBe(DateTime.fromJSDate(i).setZone('Asia/Jakarta').toISO());
      }
    }
    for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '24-01-01', '2024-1-01']) expect(isLocalDate(bad)).toBe(false);
    expect(() => addDays('2023-02-29', 1)).toThrow(RangeError);
  });
});
