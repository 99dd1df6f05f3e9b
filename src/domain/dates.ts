/**
 * Calendar dates and instants, always in Asia/Jakarta (WIB, UTC+7).
 * A `LocalDate` is a `YYYY-MM-DD` string naming a Jakarta calendar day; an
 * installment due on a date is overdue from 00:00 WIB the next day.
 */
import { DateTime } from 'luxon';

/** The zone every due date and day count is expressed in. */
export const JAKARTA = 'Asia/Jakarta';

/** A Jakarta calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True when `s` is a valid `YYYY-MM-DD` calendar date. */
export function isLocalDate(s: string): s is LocalDate {
  return ISO_DATE.test(s) && DateTime.fromISO(s, { zone: JAKARTA }).isValid;
}

/**
 * Parses `dd/MM/yyyy` (Dompet Kilat's `birthDate`, `contractDate`) into a LocalDate.
 * @throws RangeError when the text is not a valid date in that format.
 */
export function fromDayMonthYear(s: string): LocalDate {
  const d = DateTime.fromFormat(s, 'dd/MM/yyyy', { zone: JAKARTA });
  if (!d.isValid) throw new RangeError(`"${s}" is not a dd/MM/yyyy date`);
  return d.toISODate()!;
}

/** Formats a LocalDate as `dd/MM/yyyy` (Dompet Kilat's wire format). */
export function toDayMonthYear(d: LocalDate): string {
  return DateTime.fromISO(d, { zone: JAKARTA }).toFormat('dd/MM/yyyy');
}

/** The Jakarta calendar date of an instant. */
export function jakartaDate(instant: Date): LocalDate {
  return DateTime.fromJSDate(instant).setZone(JAKARTA).toISODate()!;
}

/**
 * Parses an ISO-8601 instant with offset ("2021-10-25T15:20:16.921Z", "...+07:00").
 * A bare `YYYY-MM-DD` is read as 00:00 WIB that day.
 * @throws RangeError when unparseable.
 */
export function parseInstant(s: string): Date {
  const d = DateTime.fromISO(s, { zone: JAKARTA, setZone: false });
  if (!d.isValid) throw new RangeError(`"${s}" is not an ISO-8601 timestamp`);
  return d.toJSDate();
}

/** Formats an instant as ISO-8601 in WIB ("2026-11-21T09:00:00.000+07:00"). */
export function toJakartaIso(instant: Date): string {
  return DateTime.fromJSDate(instant).setZone(JAKARTA).toISO()!;
}

/** Adds whole days to a LocalDate. */
export function addDays(d: LocalDate, days: number): LocalDate {
  return DateTime.fromISO(d, { zone: JAKARTA }).plus({ days }).toISODate()!;
}

/** Adds calendar months to a LocalDate (end of month clamps: 31 Jan + 1 month = 28/29 Feb). */
export function addMonths(d: LocalDate, months: number): LocalDate {
  return DateTime.fromISO(d, { zone: JAKARTA }).plus({ months }).toISODate()!;
}

/** Whole calendar days from `a` to `b` (negative when `b` is earlier). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  const da = DateTime.fromISO(a, { zone: JAKARTA });
  const db = DateTime.fromISO(b, { zone: JAKARTA });
  return Math.round(db.diff(da, 'days').days);
}

/** Compares two LocalDates (lexicographic order is calendar order). */
export function compareDates(a: LocalDate, b: LocalDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
