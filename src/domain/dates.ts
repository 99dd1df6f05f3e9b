/**
 * Calendar dates and instants, always in Asia/Jakarta (WIB, UTC+7).
 * A `LocalDate` is a `YYYY-MM-DD` string naming a Jakarta calendar day; an
 * installment due on a date is overdue from 00:00 WIB the next day.
 *
 * Asia/Jakarta has been a fixed UTC+7 with no daylight saving since 1964, so the functions every read
 * calls (day arithmetic, the Jakarta date of an instant, formatting) are plain UTC arithmetic shifted by
 * 7 hours; luxon stays for parsing providers' other formats, on a fixed UTC+7 zone (its IANA zone asks
 * `Intl` for the offset of every value, which was 3% of a cold credit view's CPU). `test/domain.test.ts`
 * checks them against luxon's Asia/Jakarta over many dates since 1970.
 */
import { DateTime, FixedOffsetZone } from 'luxon';

/** The zone every due date and day count is expressed in. */
export const JAKARTA = 'Asia/Jakarta';

/** WIB as luxon's fixed UTC+7 zone: Asia/Jakarta's offset since 1964, without a lookup per value. */
const WIB = FixedOffsetZone.instance(7 * 60);

/** A Jakarta calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** WIB's offset from UTC, milliseconds (UTC+7, no daylight saving). */
const WIB_OFFSET_MS = 7 * 3600 * 1000;
const DAY_MS = 86_400_000;

/** Midnight UTC of a `YYYY-MM-DD` date's day number (ms), or NaN when the text is not a real date. */
function utcDay(s: string): number {
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  const t = Date.UTC(y, m - 1, d);
  const back = new Date(t);
  return back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d ? t : Number.NaN;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));
const pad4 = (n: number) => (n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : String(n));

/** `YYYY-MM-DD` of the UTC calendar day containing `t` (ms). */
function utcIsoDate(t: number): LocalDate {
  const d = new Date(t);
  return `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** The UTC day number of a LocalDate. @throws RangeError when it is not a valid date. */
function dayOf(d: LocalDate): number {
  const t = ISO_DATE.test(d) ? utcDay(d) : Number.NaN;
  if (Number.isNaN(t)) throw new RangeError(`"${d}" is not a YYYY-MM-DD date`);
  return t;
}

/** The number written by the ASCII digits of `s` from `from` to `to` (exclusive), or -1 when one is not a digit. */
function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Days in month `m` (1..12) of year `y` (proleptic Gregorian, as `Date.UTC`). */
function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * True when `s` is a valid `YYYY-MM-DD` calendar date. Years 0000-0099 are not (as before: `Date.UTC` reads
 * them as 19xx). Checked digit by digit, without allocating: every `Date` field of an answer is checked.
 */
export function isLocalDate(s: string): s is LocalDate {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digitsAt(s, 0, 4);
  const m = digitsAt(s, 5, 7);
  const d = digitsAt(s, 8, 10);
  return y >= 100 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/**
 * Parses `dd/MM/yyyy` (Dompet Kilat's `birthDate`, `contractDate`) into a LocalDate.
 * @throws RangeError when the text is not a valid date in that format.
 */
export function fromDayMonthYear(s: string): LocalDate {
  const d = DateTime.fromFormat(s, 'dd/MM/yyyy', { zone: WIB });
  if (!d.isValid) throw new RangeError(`"${s}" is not a dd/MM/yyyy date`);
  return d.toISODate()!;
}

/** Formats a LocalDate as `dd/MM/yyyy` (Dompet Kilat's wire format). */
export function toDayMonthYear(d: LocalDate): string {
  return DateTime.fromISO(d, { zone: WIB }).toFormat('dd/MM/yyyy');
}

/** The Jakarta calendar date of an instant. */
export function jakartaDate(instant: Date): LocalDate {
  return utcIsoDate(instant.getTime() + WIB_OFFSET_MS);
}

/** The instant (epoch ms) of the next Jakarta midnight after `instant`: when `jakartaDate` changes. */
export function nextJakartaMidnight(instant: Date): number {
  const day = 86_400_000;
  return Math.floor((instant.getTime() + WIB_OFFSET_MS) / day) * day + day - WIB_OFFSET_MS;
}

/**
 * Parses an ISO-8601 instant with offset ("2021-10-25T15:20:16.921Z", "...+07:00").
 * A bare `YYYY-MM-DD` is read as 00:00 WIB that day.
 * @throws RangeError when unparseable.
 */
export function parseInstant(s: string): Date {
  // The providers' usual form, `YYYY-MM-DDTHH:mm:ss[.sss](Z|±HH:mm)`, is ECMAScript's own date-time string
  // format, which `Date` reads exactly; anything else (a bare date, no offset, other fractions) goes to luxon.
  // `Date` rolls 30 February over into March and reads 24:00 as the next day: only real dates and times go this way.
  if (RFC3339_MS.test(s) && isLocalDate(s.slice(0, 10)) && digitsAt(s, 11, 13) <= 23 && (s.endsWith('Z') || digitsAt(s, s.length - 5, s.length - 3) <= 14)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return new Date(t);
  }
  const d = DateTime.fromISO(s, { zone: WIB, setZone: false });
  if (!d.isValid) throw new RangeError(`"${s}" is not an ISO-8601 timestamp`);
  return d.toJSDate();
}

/** Timestamps `Date.parse` reads as the ECMAScript date-time string format (fractions of exactly three digits). */
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Formats an instant as ISO-8601 in WIB ("2026-11-21T09:00:00.000+07:00"). */
export function toJakartaIso(instant: Date): string {
  const w = new Date(instant.getTime() + WIB_OFFSET_MS);
  return `${utcIsoDate(w.getTime())}T${pad2(w.getUTCHours())}:${pad2(w.getUTCMinutes())}:${pad2(w.getUTCSeconds())}.${pad3(w.getUTCMilliseconds())}+07:00`;
}

/**
 * Adds whole days to a LocalDate.
 * @throws RangeError when `d` is not a valid date.
 */
export function addDays(d: LocalDate, days: number): LocalDate {
  return utcIsoDate(dayOf(d) + days * DAY_MS);
}

/**
 * Adds calendar months to a LocalDate (end of month clamps: 31 Jan + 1 month = 28/29 Feb).
 * @throws RangeError when `d` is not a valid date.
 */
export function addMonths(d: LocalDate, months: number): LocalDate {
  const t = new Date(dayOf(d));
  const total = t.getUTCFullYear() * 12 + t.getUTCMonth() + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return utcIsoDate(Date.UTC(y, m, Math.min(t.getUTCDate(), last)));
}

/**
 * Whole calendar days from `a` to `b` (negative when `b` is earlier).
 * @throws RangeError when either is not a valid date.
 */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round((dayOf(b) - dayOf(a)) / DAY_MS);
}

/** Compares two LocalDates (lexicographic order is calendar order). */
export function compareDates(a: LocalDate, b: LocalDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
