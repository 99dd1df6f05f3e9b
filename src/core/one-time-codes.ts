/**
 * One-time codes: 6 digits, valid 5 minutes, stored only as an HMAC, sent
 * through the `Notifier`. Five wrong codes lock the subject (a consent request,
 * a borrower's sign-in); sends are limited per NIK and per client IP. Every
 * count is read from PostgreSQL, so limits and locks hold however many
 * instances serve the borrower.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
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
    if (await this.locked(r.subject)) throw new TooManyRequests('too many wrong codes: this request is locked', this.policy.windowSeconds);
    const since = new Date(now.getTime() - this.policy.windowSeconds * 1000);
    const nikHash = this.hmac('nik', r.nik);
    const [byNik, byIp] = await Promise.all([
      this.prisma.oneTimeCode.count({ where: { nikHash, createdAt: { gt: since } } }),
      this.prisma.oneTimeCode.count({ where: { ip: r.ip, createdAt: { gt: since } } }),
    ]);
    if (byNik >= this.policy.sendsPerNik || byIp >= this.policy.sendsPerIp) {
      throw new TooManyRequests('too many codes sent; try again later', this.policy.windowSeconds);
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + this.policy.ttlSeconds * 1000);
    await this.prisma.$transaction([
      this.prisma.oneTimeCode.updateMany({ where: { subject: r.subject, usedAt: null }, data: { usedAt: now } }),
      this.prisma.oneTimeCode.create({ data: { subject: r.subject, codeHash: this.hmac('code', r.subject, code), nikHash, ip: r.ip, expiresAt, createdAt: now } }),
    ]);
    await this.notifier.send(r.phone, r.message(code));
    return { expiresAt };
  }

  /** Checks a code for `subject`; an accepted code cannot be used again. */
  async check(subject: string, code: string): Promise<CodeCheck> {
    if (await this.locked(subject)) return { outcome: 'LOCKED' };
    const now = this.clock.now();
    const current = await this.prisma.oneTimeCode.findFirst({ where: { subject, usedAt: null }, orderBy: { createdAt: 'desc' } });
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
