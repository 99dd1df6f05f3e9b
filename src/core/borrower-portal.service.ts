/**
 * The borrower's own page (GET /consent): the data subject signs in with their NIK and a one-time
 * code sent to a phone on file at one of their linked providers, sees every consent they gave, to
 * every client, with the access log of each, revokes any of them (UU PDP: consent may be withdrawn
 * at any time), and may erase everything held about them, for every client. Sessions are sealed
 * cookies (AES-256-GCM), so any instance serves any step.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { effectiveStatus } from '../domain/consent';
import { normalizePhone } from '../domain/phone';
import type { ProviderCode } from '../domain/types';
import type { AccessLog, PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { Clock } from '../providers/connector';
import { type Connectors, providerDefinition } from '../providers/registry';
import type { ClientRegistry } from './client-registry';
import type { ConsentService } from './consent.service';
import type { OneTimeCodes } from './one-time-codes';

/** How long a borrower's page session lasts, seconds (30 minutes). */
export const PORTAL_SESSION_SECONDS = 30 * 60;

/** One consent as its borrower sees it. */
export interface BorrowerConsentView {
  readonly id: string;
  readonly clientName: string;
  readonly purpose: string;
  readonly providers: readonly ProviderCode[];
  readonly domains: readonly string[];
  /** Status in force now. */
  readonly status: string;
  readonly startsAt: Date;
  readonly expiresAt: Date;
  readonly dataLifeSeconds: number;
  readonly history: readonly { type: string; status: string; at: Date }[];
  /** The newest reads under this consent (at most 20). */
  readonly accessLog: readonly AccessLog[];
  /** Whether the borrower can still revoke it. */
  readonly revocable: boolean;
}

/** What a sign-in with a code found. */
export type SignInResult = { readonly session: string } | { readonly error: 'WRONG' | 'EXPIRED' | 'LOCKED'; readonly triesLeft?: number };

/** The borrower's page operations. */
export class BorrowerPortal {
  private readonly sealKey: Buffer;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly connectors: Connectors,
    private readonly consents: ConsentService,
    private readonly codes: OneTimeCodes,
    private readonly clients: ClientRegistry,
    private readonly clock: Clock,
    codeKey: Buffer,
    private readonly log: Logger,
  ) {
    this.sealKey = createHmac('sha256', codeKey).update('satukredit borrower page sessions').digest();
  }

  private subject(nik: string): string {
    return `borrower-signin:${createHmac('sha256', this.sealKey).update(nik).digest('hex').slice(0, 32)}`;
  }

  /**
   * Sends a sign-in code to a phone on file at one of the borrower's linked providers, in the background:
   * the answer is the same, and as quick, whether or not we know the NIK or hold a phone for it.
   * @returns a promise of the delivery (tests may await it; the page does not).
   */
  requestCode(nik: string, ip: string): { delivered: Promise<boolean> } {
    const delivered = (async () => {
      if (!/^\d{15,16}$/.test(nik)) return false;
      const b = await this.prisma.borrower.findUnique({ where: { nik }, include: { accounts: true } });
      if (!b || b.erasedAt) return false;
      for (const a of b.accounts) {
        if (providerDefinition(a.provider).linkProof === 'LOGIN') continue;
        const on = await this.connectors[a.provider].phoneOnFile(nik).catch(() => null);
        if (!on) continue;
        await this.codes.send({
          subject: this.subject(nik),
          nik,
          phone: normalizePhone(on.phone),
          ip,
          message: (code) => `Kode masuk Satu Kredit: ${code}. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun.`,
        });
        return true;
      }
      return false;
    })().catch((e: Error) => {
      this.log.warn({ err: e.message }, 'borrower sign-in code not sent');
      return false;
    });
    return { delivered };
  }

  /** Checks a sign-in code; accepted, returns a sealed session for the cookie. */
  async signIn(nik: string, code: string): Promise<SignInResult> {
    if (!/^\d{15,16}$/.test(nik)) return { error: 'EXPIRED' };
    const r = await this.codes.check(this.subject(nik), code.trim());
    if (r.outcome === 'WRONG') return { error: 'WRONG', triesLeft: r.triesLeft };
    if (r.outcome !== 'ACCEPTED') return { error: r.outcome };
    const b = await this.prisma.borrower.findUnique({ where: { nik } });
    if (!b || b.erasedAt) return { error: 'EXPIRED' };
    return { session: this.seal({ b: b.id, exp: this.clock.now().getTime() + PORTAL_SESSION_SECONDS * 1000 }) };
  }

  /** The borrower id of a sealed session, or null when it is invalid, expired, or the borrower was erased. */
  async borrowerOf(session: string | undefined): Promise<string | null> {
    const s = session ? this.unseal(session) : null;
    if (!s || s.exp <= this.clock.now().getTime()) return null;
    const b = await this.prisma.borrower.findUnique({ where: { id: s.b } });
    return b && !b.erasedAt ? b.id : null;
  }

  /** Every consent the borrower gave, newest first, with history and access log. */
  async overview(borrowerId: string): Promise<BorrowerConsentView[]> {
    const now = this.clock.now();
    const rows = await this.consents.listForBorrower(borrowerId);
    return Promise.all(
      rows.map(async (c) => {
        const status = effectiveStatus(c, now);
        return {
          id: c.id,
          clientName: this.clients.get(c.clientId)?.displayName ?? c.clientId,
          purpose: c.purpose,
          providers: c.providers,
          domains: c.domains,
          status,
          startsAt: c.startsAt,
          expiresAt: c.expiresAt,
          dataLifeSeconds: c.dataLifeSeconds,
          history: c.events.map((e) => ({ type: e.type, status: e.status, at: e.at })),
          accessLog: await this.consents.accessLogOfConsent(c.id, 20),
          revocable: status === 'ACTIVE' || status === 'PAUSED' || status === 'PENDING',
        };
      }),
    );
  }

  /** The borrower withdraws one consent. @throws ConsentUserError NOT_FOUND / INVALID_TRANSITION. */
  revoke(borrowerId: string, consentId: string) {
    return this.consents.revokeByBorrower(borrowerId, consentId);
  }

  /** The borrower erases everything held about them, for every client (only the data subject may). */
  erase(borrowerId: string): Promise<Date> {
    return this.consents.eraseBorrower(borrowerId, 'borrower');
  }

  private seal(v: { b: string; exp: number }): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([c.update(JSON.stringify(v), 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
  }

  private unseal(token: string): { b: string; exp: number } | null {
    try {
      const raw = Buffer.from(token, 'base64url');
      const d = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      const v = JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as { b?: unknown; exp?: unknown };
      return typeof v.b === 'string' && typeof v.exp === 'number' ? { b: v.b, exp: v.exp } : null;
    } catch {
      return null;
    }
  }
}
