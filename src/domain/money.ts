/**
 * Money in Satu Kredit is integer rupiah held as `bigint`. There is no sen
 * (IDR has no minor unit in practice), no float and no 32-bit int anywhere
 * on the money path.
 */

/** ISO 4217 code. Only IDR is issued by the three providers. */
export type CurrencyCode = 'IDR';

/** An exact amount in integer rupiah. */
export interface Money {
  /** Integer rupiah. */
  readonly amount: bigint;
  readonly currency: CurrencyCode;
}

/** Builds IDR money from integer rupiah. Throws RangeError when given a non-integer number. */
export function idr(amount: bigint | number): Money {
  return { amount: toRupiah(amount), currency: 'IDR' };
}

/**
 * Converts a provider's wire amount to integer rupiah.
 * Accepts bigint, safe integer numbers (JSON ints) and decimal-digit strings
 * ("1000000", as Dompet Kilat sends `loanData.amount`). A string with ".00"
 * is accepted only when the fraction is zero.
 * @throws RangeError on fractions, unsafe integers, or non-numeric strings.
 */
export function toRupiah(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`amount ${value} is not a safe integer of rupiah`);
    return BigInt(value);
  }
  const m = /^\s*(-?\d+)(?:\.(0+))?\s*$/.exec(value);
  if (!m || m[1] === undefined) throw new RangeError(`amount "${value}" is not an integer rupiah string`);
  return BigInt(m[1]);
}

/** Sums integer rupiah amounts. */
export function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/** The larger of two amounts. */
export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/**
 * Integer division rounding half away from zero (for interest on integer rupiah).
 * @throws RangeError when the divisor is zero.
 */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const neg = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (2n * d);
  return neg ? -q : q;
}

/**
 * A rate as an exact fraction, to avoid floating point in interest math.
 * `percent` strings like "24", "1.0", "0.8" become {num, den} of a per-unit fraction.
 * @throws RangeError on a malformed or negative rate.
 */
export interface Rate {
  /** Numerator of the rate as a fraction of 1 (24% -> 24/100). */
  readonly num: bigint;
  readonly den: bigint;
}

/** Parses a percentage ("24", "1.0", 0.8) into an exact fraction of 1. */
export function percent(value: string | number): Rate {
  const s = typeof value === 'number' ? String(value) : value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m || m[1] === undefined) throw new RangeError(`rate "${value}" is not a non-negative decimal percentage`);
  const frac = m[2] ?? '';
  const num = BigInt(m[1] + frac);
  const den = 100n * 10n ** BigInt(frac.length);
  return { num, den };
}

/** Formats a rate as a decimal percentage string ("24", "1.5"). */
export function formatPercent(rate: Rate): string {
  // percentage = num * 100 / den, printed with up to 6 decimals, trailing zeros cut.
  const scaled = divRound(rate.num * 100n * 1_000_000n, rate.den);
  const whole = scaled / 1_000_000n;
  const frac = (scaled % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}
