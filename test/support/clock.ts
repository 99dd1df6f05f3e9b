/**
 * Time for tests: an injected clock that moves only when a test moves it, and
 * a bounded poll for conditions that become true asynchronously.
 *
 * No test reads the wall clock: a run that crosses 00:00 WIB, a slow machine or
 * a clock step must not change any outcome.
 */

/** 2026-11-25 10:00 WIB: the instant every stack and sandbox starts at unless a test says otherwise. */
export const TEST_START = new Date('2026-11-25T03:00:00.000Z');

/** The Jakarta calendar date (UTC+7, no daylight saving) of an instant, `YYYY-MM-DD`. */
export function jakartaDateOf(d: Date): string {
  return new Date(d.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

/** Jakarta date of TEST_START: "today" for a stack on the default clock. */
export const TEST_TODAY = jakartaDateOf(TEST_START); // '2026-11-25'

/** A clock that stands still until advanced or set. Satisfies `{ now(): Date }`. */
export class TestClock {
  private t: number;

  constructor(start: Date) {
    this.t = start.getTime();
  }

  /** The current instant (a fresh Date each call). Bound: `{ now: clock.now }` works too. */
  readonly now = (): Date => new Date(this.t);

  /** Moves the clock forward by `ms` milliseconds (negative values are refused). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`TestClock.advance: ${ms} is not a non-negative number of milliseconds`);
    this.t += ms;
  }

  /** Puts the clock at `d` (a test restoring the instant it started from). */
  set(d: Date): void {
    this.t = d.getTime();
  }
}

// Captured at load, before any test installs fake timers: polling must keep real spacing.
const realSetTimeout = globalThis.setTimeout;
const pause = (ms: number) => new Promise<void>((r) => realSetTimeout(r, ms));

/** T without its falsy members. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Re-evaluates `cond` until it holds, at most `tries` times, `everyMs` apart.
 * A positive barrier: it never proves that something did not happen.
 * @returns the first truthy value of `cond`.
 * @throws naming `what` when the condition never held.
 */
export async function until<T>(cond: () => T | Promise<T>, what: string, opts: { tries?: number; everyMs?: number } = {}): Promise<Truthy<T>> {
  const tries = opts.tries ?? 200;
  const everyMs = opts.everyMs ?? 25;
  for (let i = 0; i < tries; i++) {
    const v = await cond();
    if (v) return v as Truthy<T>;
    await pause(everyMs);
  }
  throw new Error(`until: ${what} did not hold after ${tries} tries`);
}
