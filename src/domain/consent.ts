/**
 * Consent rules (pure). A consent is asked for by one API client and given by
 * the borrower on the hosted consent page, for some providers and data
 * domains, for a purpose, from `startsAt` until `expiresAt` (the Account
 * Aggregator consent artefact). States: PENDING (asked, waiting for the
 * borrower), ACTIVE (approved), PAUSED, REJECTED (declined by the borrower),
 * REVOKED, EXPIRED. Only the borrower's approval makes a consent ACTIVE; a
 * PENDING request whose link lapses (`requestExpiresAt`) becomes EXPIRED, and
 * any live consent becomes EXPIRED at `expiresAt`. An ACTIVE consent allows
 * reads from `startsAt` on.
 */
import type { ProviderCode } from './types';

export type ConsentStatus = 'PENDING' | 'ACTIVE' | 'PAUSED' | 'REJECTED' | 'REVOKED' | 'EXPIRED';
/** Statuses that can still change (the others are final). */
export const LIVE_STATUSES = ['PENDING', 'ACTIVE', 'PAUSED'] as const;
/**
 * Kinds of data a consent covers: LOANS (loan headers, balances, credit limit), INSTALLMENTS (schedules),
 * REPAYMENTS (repayments, their settlement, the repayment account), DISBURSEMENTS, IDENTITY (name and NIK),
 * CREDIT_SCORE (a provider's credit score of the borrower, Finfra `user_credit_score`), FUNDING (the borrower's
 * positions as a lender on a provider's funding side, Cairin's funding product).
 */
export type ConsentDomain = 'LOANS' | 'INSTALLMENTS' | 'REPAYMENTS' | 'DISBURSEMENTS' | 'IDENTITY' | 'CREDIT_SCORE' | 'FUNDING';
export const CONSENT_DOMAINS: readonly ConsentDomain[] = ['LOANS', 'INSTALLMENTS', 'REPAYMENTS', 'DISBURSEMENTS', 'IDENTITY', 'CREDIT_SCORE', 'FUNDING'];

/** The parts of a consent the rules look at. */
export interface ConsentTerms {
  readonly status: ConsentStatus;
  readonly providers: readonly ProviderCode[];
  readonly domains: readonly ConsentDomain[];
  readonly startsAt: Date;
  readonly expiresAt: Date;
  /** When a PENDING request's link lapses (null once decided). */
  readonly requestExpiresAt?: Date | null;
}

/** The status in force at `now`: time moves live statuses to EXPIRED (a PENDING request also when its link lapses). */
export function effectiveStatus(c: Pick<ConsentTerms, 'status' | 'startsAt' | 'expiresAt' | 'requestExpiresAt'>, now: Date): ConsentStatus {
  if (c.status === 'REJECTED' || c.status === 'REVOKED' || c.status === 'EXPIRED') return c.status;
  if (now.getTime() >= c.expiresAt.getTime()) return 'EXPIRED';
  if (c.status === 'PENDING' && c.requestExpiresAt && now.getTime() >= c.requestExpiresAt.getTime()) return 'EXPIRED';
  return c.status;
}

/** Whether the consent allows reads at `now`: ACTIVE and started. */
export function allowsReads(c: Pick<ConsentTerms, 'status' | 'startsAt' | 'expiresAt' | 'requestExpiresAt'>, now: Date): boolean {
  return effectiveStatus(c, now) === 'ACTIVE' && now.getTime() >= c.startsAt.getTime();
}

/** Whether the consent names this provider and domain (whatever its status). */
export function covers(c: Pick<ConsentTerms, 'providers' | 'domains'>, provider: ProviderCode | null, domain: ConsentDomain): boolean {
  return (provider === null || c.providers.includes(provider)) && c.domains.includes(domain);
}

/** A change a client can ask for. */
export type ConsentAction = 'PAUSE' | 'RESUME' | 'REVOKE';

/**
 * The status after `action`, or an error message when the action is not
 * allowed from the effective status (e.g. resuming a revoked consent).
 */
export function transition(current: ConsentStatus, action: ConsentAction): { status: ConsentStatus } | { error: string } {
  switch (action) {
    case 'PAUSE':
      return current === 'ACTIVE' ? { status: 'PAUSED' } : { error: `a ${current} consent cannot be paused` };
    case 'RESUME':
      return current === 'PAUSED' ? { status: 'ACTIVE' } : { error: `a ${current} consent cannot be resumed` };
    case 'REVOKE':
      return current === 'ACTIVE' || current === 'PAUSED' || current === 'PENDING' ? { status: 'REVOKED' } : { error: `a ${current} consent cannot be revoked` };
  }
}

/** The code a read gets when no ACTIVE consent covers it: the most telling of the client's consents. */
export type ConsentDenial = 'CONSENT_REQUIRED' | 'CONSENT_REVOKED' | 'CONSENT_EXPIRED';

/**
 * Decides a read of (provider, domain) at `now` from the client's consents for the borrower.
 * @returns the ACTIVE covering consent, or the denial code: CONSENT_REVOKED / CONSENT_EXPIRED when
 * the covering consents ended that way, CONSENT_REQUIRED otherwise (none, pending, declined, paused, not started, other scope).
 */
export function decide<C extends ConsentTerms>(consents: readonly C[], provider: ProviderCode | null, domain: ConsentDomain, now: Date): { consent: C } | { denial: ConsentDenial } {
  const covering = consents.filter((c) => covers(c, provider, domain));
  const active = covering.find((c) => allowsReads(c, now));
  if (active) return { consent: active };
  const statuses = new Set(covering.map((c) => effectiveStatus(c, now)));
  if (statuses.has('PAUSED') || statuses.has('PENDING') || statuses.has('ACTIVE') || statuses.has('REJECTED') || statuses.size === 0) return { denial: 'CONSENT_REQUIRED' };
  return { denial: statuses.has('REVOKED') ? 'CONSENT_REVOKED' : 'CONSENT_EXPIRED' };
}
