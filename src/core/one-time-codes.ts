/**
 * One-time codes: 6 digits, valid 5 minutes, stored only as an HMAC, sent
 * through the `Notifier`. Five wrong codes lock the subject (a consent request,
 * a borrower's sign-in); sends are limited per NIK and per client IP. Every
 * count is read from PostgreSQL, so limits and locks hold however many
 * instances serve the borrower. A send is one statement (the lock and both
 * limits read, and the code stored only if they allow it), a check one to read
 * the lock and the current code and one to use it: the consent flow sends and
 * checks a code for every phone it proves, and each statement is a round trip.
 */
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client';
import type { Clock } from '../providers/connector';
import { TooManyRequests } from './errors';
import type { Notifier } from './notifier';

/** Limits of one-time codes. */
export interface OneTimeCodePolicy {
  /** How long a code is valid, seconds (5 minutes). */
  readonly ttlSeconds: number;
  /** Wrong codes that lock a subject (5). */
  readonly maxAttempts: number;
  /** Sends allowed per NIK, and per client IP, within `windowSeconds`. */
  readonly sendsPerNik: number;
  readonly sendsPerIp: number;
  readonly windowSeconds: number;
}

/** The documented defaults: 5 minutes, 5 tries, 5 sends per NIK and 20 per IP in 15 minutes. */
export const DEFAULT_CODE_POLICY: OneTimeCodePolicy = { ttlSeconds: 300, maxAttempts: 5, sendsPerNik: 5, sendsPerIp: 20, windowSeconds: 900 };

/** What checking a code found. */
export type CodeCheck =
  | { readonly outcome: 'ACCEPTED' }
  /** Wrong code; `triesLeft` before the subject locks. */
  | { readonly outcome: 'WRONG'; readonly triesLeft: number }
  /** No code sent, or the last one expired or was used: send a new one. */
  | { readonly outcome: 'EXPIRED' }
  /** Too many wrong codes: the subject takes no more codes. */
  | { readonly outcome: 'LOCKED' };

/** Issues and checks one-time codes. */
export class OneTimeCodes {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly notifier: Notifier,
    /** HMAC key for codes and NIKs (OTP_SECRET, or derived from the JWT secret). */
    private readonly key: Buffer,
    private readonly clock: Clock,
    readonly policy: OneTimeCodePolicy = DEFAULT_CODE_POLICY,
  ) {}

  private hmac(...parts: string[]): string {
    return createHmac('sha256', this.key).update(parts.join('\u0000')).digest('hex');
  }

  /** Whether the subject is locked (its wrong codes reached the limit). */
  async locked(subject: string): Promise<boolean> {
    const r = await this.prisma.oneTimeCode.aggregate({ where: { subject }, _sum: { attempts: true } });
    return (r._sum.attempts ?? 0) >= this.policy.maxAttempts;
  }

  /**
   * Sends a new code for `subject` to `phone` (an earlier unused code of the subject stops being valid).
   * @param message the text to send, given the code.
   * @returns when the code expires.
   * @throws TooManyRequests when the subject is locked, or the NIK or IP used up its sends in the window; Error when the notifier fails.
   */
  async send(r: { subject: string; nik: string; phone: string; ip: string; message: (code: string) => string }): Promise<{ expiresAt: Date }> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - this.policy.windowSeconds * 1000);
    const nikHash = this.hmac('nik', r.nik);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + this.policy.ttlSeconds * 1000);
    const p = this.policy;
    // One statement: the subject's wrong tries and the NIK's and IP's sends in the window are read, and only when
    // none is at its limit are the subject's unused codes retired and the new one stored (all in one snapshot).
    const [lim] = await this.prisma.$queryRaw<{ attempts: number; byNik: number; byIp: number }[]>`
      WITH lim AS (
        SELECT (SELECT coalesce(sum("attempts"), 0) FROM "OneTimeCode" WHERE "subject" = ${r.subject})::int AS "attempts",
               (SELECT count(*) FROM "OneTimeCode" WHERE "nikHash" = ${nikHash} AND "createdAt" > ${since}::timestamptz)::int AS "byNik",
               (SELECT count(*) FROM "OneTimeCode" WHERE "ip" = ${r.ip} AND "createdAt" > ${since}::timestamptz)::int AS "byIp"
      ), ok AS (
        SELECT "attempts" < ${p.maxAttempts}::int AND "byNik" < ${p.sendsPerNik}::int AND "byIp" < ${p.sendsPerIp}::int AS ok FROM lim
      ), retired AS (
        UPDATE "OneTimeCode" SET "usedAt" = ${now}::timestamptz WHERE "subject" = ${r.subject} AND "usedAt" IS NULL AND (SELECT ok FROM ok)
      ), stored AS (
        INSERT INTO "OneTimeCode" ("id", "subject", "codeHash", "nikHash", "ip", "expiresAt", "attempts", "createdAt")
        SELECT ${randomUUID()}::uuid, ${r.subject}, ${this.hmac('code', r.subject, code)}, ${nikHash}, ${r.ip}, ${expiresAt}::timestamptz, 0, ${now}::timestamptz FROM ok WHERE ok
      )
      SELECT "attempts", "byNik", "byIp" FROM lim`;
    if (lim!.attempts >= p.maxAttempts) throw new TooManyRequests('too many wrong codes: this request is locked', p.windowSeconds);
    if (lim!.byNik >= p.sendsPerNik || lim!.byIp >= p.sendsPerIp) throw new TooManyRequests('too many codes sent; try again later', p.windowSeconds);
    await this.notifier.send(r.phone, r.message(code));
    return { expiresAt };
  }

  /** Checks a code for `subject`; an accepted code cannot be used again. */
  async check(subject: string, code: string): Promise<CodeCheck> {
    const now = this.clock.now();
    // The subject's wrong tries and its current (newest unused) code, in one statement.
    const [row] = await this.prisma.$queryRaw<{ attempts: number; id: string | null; codeHash: string | null; expiresAt: Date | null }[]>`
      SELECT (SELECT coalesce(sum("attempts"), 0) FROM "OneTimeCode" WHERE "subject" = ${subject})::int AS "attempts", c."id"::text AS "id", c."codeHash", c."expiresAt"
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (SELECT "id", "codeHash", "expiresAt" FROM "OneTimeCode" WHERE "subject" = ${subject} AND "usedAt" IS NULL ORDER BY "createdAt" DESC LIMIT 1) AS c ON true`;
    if (row!.attempts >= this.policy.maxAttempts) return { outcome: 'LOCKED' };
    const current = row!.id !== null && row!.codeHash !== null && row!.expiresAt !== null ? { id: row!.id, codeHash: row!.codeHash, expiresAt: new Date(row!.expiresAt) } : null;
    if (!current || current.expiresAt <= now) return { outcome: 'EXPIRED' };
    const given = Buffer.from(this.hmac('code', subject, /^\d{6}$/.test(code) ? code : '-'), 'hex');
    if (timingSafeEqual(given, Buffer.from(current.codeHash, 'hex'))) {
      const used = await this.prisma.oneTimeCode.updateMany({ where: { id: current.id, usedAt: null }, data: { usedAt: now } });
      return used.count === 1 ? { outcome: 'ACCEPTED' } : { outcome: 'EXPIRED' };
    }
    await this.prisma.oneTimeCode.update({ where: { id: current.id }, data: { attempts: { increment: 1 } } });
    const r = await this.prisma.oneTimeCode.aggregate({ where: { subject }, _sum: { attempts: true } });
    const left = this.policy.maxAttempts - (r._sum.attempts ?? 0);
    return left <= 0 ? { outcome: 'LOCKED' } : { outcome: 'WRONG', triesLeft: left };
  }
}
