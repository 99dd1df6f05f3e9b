/**
 * Credit reads: a borrower's credit view across providers, one loan by id,
 * schedules and payoff. Each linked provider's part is read through the
 * account cache (fresh cache, else a live read that refreshes it, else the
 * last copy marked stale), keeping a provider's failure to its own part so
 * the others' data is still returned.
 */
import { jakartaDate, type LocalDate, nextJakartaMidnight } from '../domain/dates';
import { accountTag, loanTag } from './response-cache';
import type { ConsentDomain } from '../domain/consent';
import { type Freshness, type FreshnessPolicy, ttlSeconds } from '../domain/freshness';
import { type LoanView, mergeDisbursements } from '../domain/loan-view';
import { type PayoffQuote, PayoffRangeError, payoffQuote } from '../domain/payoff';
import { OWING_STATUSES, type ProviderCode } from '../domain/types';
import type { Consent, ProviderAccount } from '../generated/prisma/client';
import { cacheLookups } from '../metrics';
import { AccountCache, type AccountData, freshnessOf } from './account-cache';
import type { AccessKind } from './consent-guard';
import { ConsentDenied, InvalidInput, ProviderFailure, type ProviderFailureCode, providerFailure } from './errors';
import { type LagMinutes, loanViews } from './ledger.service';
import { ALLOWED, type ConsentDecision, decisionKey } from './loaders';
import type { RequestScope } from './scope';
import { isDatabaseError, isDatabaseUnavailable } from '../store/database';
import { snapshotKey } from '../store/snapshots';

/** Why a provider's part failed: a consent denial or a provider failure. */
export interface PartError {
  readonly code: ProviderFailureCode | ConsentDenied['denial'];
  readonly message: string;
}

/** One provider's part of a borrower's credit picture. */
export interface ProviderPart {
  readonly provider: ProviderCode;
  /** Our ProviderAccount id. */
  readonly accountId: string;
  /** The provider's loans as the ledger sees them, or null when the read failed or was refused. */
  readonly loans: LoanView[] | null;
  /** Why the read failed (client-safe), or null. */
  readonly error: PartError | null;
  /** The credit limit the provider grants the account (integer rupiah); null when it gives none or nothing was served. */
  readonly creditLimit: bigint | null;
  /** How fresh the served data is (also when the provider holds no loan for the account); null when nothing was served. */
  readonly freshness: Freshness | null;
}

/** A borrower's credit view: every consented provider's part, computed for one Jakarta day. */
export interface CreditView {
  readonly borrowerId: string;
  readonly parts: readonly ProviderPart[];
  /** Jakarta date the figures are computed for. */
  readonly today: LocalDate;
}

/** A loan read by id, with the borrower it belongs to. */
export interface LoanRead {
  readonly view: LoanView;
  readonly borrowerId: string;
  readonly today: LocalDate;
  /** Why the provider could not be read when the last cached copy (marked stale) is served instead. */
  readonly error: PartError | null;
}

/** Loan views of the parts that answered. */
export function loansOf(parts: readonly ProviderPart[]): LoanView[] {
  return parts.flatMap((p) => p.loans ?? []);
}

/**
 * Validates a client's freshness demand.
 * @throws InvalidInput when negative.
 */
export function checkMaxAge(v: number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (v < 0) throw new InvalidInput('"maxAgeSeconds" must be 0 or more', 'maxAgeSeconds');
  return v;
}

/** Credit reads for API requests. */
export class CreditService {
  constructor(
    private readonly cache: AccountCache,
    private readonly freshness: FreshnessPolicy,
    private readonly lagMinutes: LagMinutes,
  ) {}

  /** Jakarta calendar date of the scope's clock. */
  today(scope: RequestScope): LocalDate {
    const now = scope.clock.now();
    scope.record.changesAt(nextJakartaMidnight(now));
    return jakartaDate(now);
  }

  /** Linked accounts of a borrower at the providers this client's consents name. */
  async consentedAccounts(scope: RequestScope, borrowerId: string): Promise<ProviderAccount[]> {
    const [accounts, named] = await Promise.all([scope.loaders.accountsOfBorrower.load(borrowerId), scope.guard.providersNamed(borrowerId)]);
    return accounts.filter((a) => named.has(a.provider));
  }

  /**
   * Reads each consented provider's loans for a borrower, concurrently, through the cache. A
   * provider without an ACTIVE consent covering LOANS is not called and nothing cached for it is
   * served. Never throws for a provider or consent failure: it is returned in that provider's part.
   * @param maxAgeSeconds the client's freshness demand: cached data older than this is not served as fresh.
   * @throws InvalidInput when maxAgeSeconds is negative.
   */
  async providerParts(scope: RequestScope, borrowerId: string, maxAgeSeconds?: number | null): Promise<ProviderPart[]> {
    const maxAge = checkMaxAge(maxAgeSeconds);
    // A freshness demand is the client asking for a read not served from a stored answer.
    if (maxAge !== null) scope.record.dontStore();
    // Once per request for the same borrower and freshness demand (Borrower.loans and Borrower.creditView read
    // the same parts): the same consents, accounts and snapshots would give the same answer. The parts are shared:
    // callers never modify them.
    return scope.loaders.memo.get(`providerParts|${borrowerId}|${maxAge}`, async () => {
      const accounts = await this.consentedAccounts(scope, borrowerId);
      return Promise.all(accounts.map((a) => this.readPart(scope, a, maxAge)));
    });
  }

  /**
   * The borrower's credit view, computed once per request for the same borrower and freshness demand (the same
   * object is returned to every field asking). @throws InvalidInput when maxAgeSeconds is negative.
   */
  async creditView(scope: RequestScope, borrowerId: string, maxAgeSeconds?: number | null): Promise<CreditView> {
    const maxAge = checkMaxAge(maxAgeSeconds);
    return scope.loaders.memo.get(`creditView|${borrowerId}|${maxAge}`, async (): Promise<CreditView> => ({
      borrowerId,
      parts: await this.providerParts(scope, borrowerId, maxAge),
      today: this.today(scope),
    }));
  }

  /**
   * One loan by its account and provider loan id: the account is read live through the account cache
   * (which refreshes every snapshot the consent covers), the last cached copy marked stale when the
   * provider fails.
   * @returns null when unknown, or when this client's consents do not name the account's provider.
   * @throws ConsentDenied when the consent is not ACTIVE (no provider call is made); ProviderFailure when the provider failed with nothing cached.
   */
  async loan(scope: RequestScope, accountId: string, providerLoanId: string): Promise<LoanRead | null> {
    // loan(id) reads the provider live on every request: never answered from a stored answer.
    scope.record.dontStore();
    const account = await scope.loaders.account.load(accountId);
    if (!account || !(await scope.guard.providersNamed(account.borrowerId)).has(account.provider)) return null;
    const part = await this.readPart(scope, account, null, true);
    if (!part.loans) {
      const e = part.error!;
      if (e.code.startsWith('CONSENT_')) throw new ConsentDenied(e.code as ConsentDenied['denial'], account.provider, 'LOANS');
      throw new ProviderFailure(account.provider, e.code as ProviderFailureCode, e.message);
    }
    const view = part.loans.find((v) => v.loan.providerLoanId === providerLoanId);
    return view ? { view, borrowerId: account.borrowerId, today: this.today(scope), error: part.error } : null;
  }

  /**
   * Checks that the client's consent covers `domain` of a loan's provider (recording the read).
   * @throws ConsentDenied when it does not.
   */
  async requireDomain(scope: RequestScope, borrowerId: string, provider: ProviderCode, domain: ConsentDomain, kind: AccessKind = 'API_READ'): Promise<void> {
    await scope.guard.allow(borrowerId, provider, domain, kind);
  }

  /** The loan views of a credit view whose schedules this client may read (consent covering INSTALLMENTS). */
  async readableSchedules(scope: RequestScope, v: CreditView): Promise<LoanView[]> {
    const parts = await Promise.all(v.parts.map(async (p) => (p.loans && (await scope.guard.permits(v.borrowerId, p.provider, 'INSTALLMENTS', 'API_READ')) ? p.loans : [])));
    return parts.flat();
  }

  /**
   * A payoff quote on `asOf` for a loan that owes (ACTIVE or CLOSED_WITH_BALANCE), also one past its maturity or
   * in arrears (`payoffQuote` in src/domain/payoff.ts); null for a loan that owes nothing or whose terms (rate, disbursement
   * and maturity dates) the provider does not give.
   * @throws InvalidInput when asOf is before today (or before the disbursement).
   */
  payoffQuote(view: LoanView, asOf: LocalDate, today: LocalDate): PayoffQuote | null {
    const loan = view.loan;
    if (!OWING_STATUSES.has(loan.status) || !loan.rate || !loan.disbursedOn || !loan.maturityDate) return null;
    try {
      return payoffQuote({ principal: loan.principal, rate: loan.rate, disbursedOn: loan.disbursedOn, maturityDate: loan.maturityDate, installments: loan.installments, asOf, today, convention: 'FLAT_ACCRUED' });
    } catch (e) {
      if (e instanceof PayoffRangeError) throw new InvalidInput(e.message, 'asOf');
      throw e;
    }
  }

  /**
   * Sum of the payoff quotes (`payoffQuote`) on `asOf` over the loans whose schedules this client may read:
   * the same figures `Loan.payoffQuote` gives, added up.
   * @throws InvalidInput when asOf is in the past.
   */
  async payoffTotal(scope: RequestScope, v: CreditView, asOf: LocalDate): Promise<bigint> {
    let total = 0n;
    for (const view of await this.readableSchedules(scope, v)) total += this.payoffQuote(view, asOf, v.today)?.total ?? 0n;
    return total;
  }

  /**
   * One account's part: cache while fresh, else live; the last copy, marked stale, when the provider fails.
   * @param live read the provider whatever the cache holds (loan(id)); the cache is the fallback only.
   */
  private async readPart(scope: RequestScope, a: ProviderAccount, maxAge: number | null, live = false): Promise<ProviderPart> {
    const fail = (error: PartError): ProviderPart => ({ provider: a.provider, accountId: a.id, loans: null, error, creditLimit: null, freshness: null });
    const borrowerId = a.borrowerId;
    // The consent allowing each domain (a client may hold several; each domain's cache lives under its own).
    const allowing = (domain: ConsentDomain) =>
      scope.guard.allow(borrowerId, a.provider, domain, 'PROVIDER_READ').then(
        (consent) => ({ consent, denial: undefined }),
        (e: unknown) => {
          if (e instanceof ConsentDenied) return { consent: null, denial: { code: e.denial, message: e.message } as PartError };
          throw e;
        },
      );
    const loansConsent = await allowing('LOANS');
    if (!loansConsent.consent) return fail(loansConsent.denial!);
    const consent = loansConsent.consent;
    const [repaymentsAllowed, disbursementsAllowed] = await Promise.all([allowing('REPAYMENTS'), allowing('DISBURSEMENTS')]);
    const repaymentsDenial = repaymentsAllowed.denial;
    const disbursementsDenial = disbursementsAllowed.denial;
    // The loan fields reading repayments and disbursements ask the guard the same (PROVIDER_READ) question: they
    // take these decisions from the request's memo instead of asking again for each loan.
    for (const [domain, d] of [['REPAYMENTS', repaymentsAllowed], ['DISBURSEMENTS', disbursementsAllowed]] as const) {
      scope.loaders.memo.set<ConsentDecision>(decisionKey(borrowerId, a.provider, domain, 'PROVIDER_READ'), d.consent ? ALLOWED : { allowed: false, denial: d.denial!.code as ConsentDenied['denial'] });
    }
    const now = scope.clock.now();
    const snapshotsOf = (c: Consent | null) => (c ? scope.loaders.snapshots.load(`${c.id}|${a.id}`) : Promise.resolve(null));
    // The repayments are read under the LOANS consent when REPAYMENTS is not allowed: they are the input of every
    // loan's balances, so that all clients allowed to see a loan's outstanding see the same figure (issue 13.5);
    // the list itself stays behind REPAYMENTS (`repaymentsDenial` below, the loan fields' own checks).
    const [loanSnaps, repaymentSnaps, disbursementSnaps] = await Promise.all([snapshotsOf(consent), snapshotsOf(repaymentsAllowed.consent ?? consent), snapshotsOf(disbursementsAllowed.consent)]);
    const cached = this.cache.cached({ LOANS: loanSnaps!, REPAYMENTS: repaymentSnaps, DISBURSEMENTS: disbursementSnaps });
    const consents = [...new Map([consent, repaymentsAllowed.consent, disbursementsAllowed.consent].filter((c): c is Consent => c !== null).map((c) => [c.id, c])).values()];
    const build = async (d: AccountData, freshness: Freshness): Promise<LoanView[]> => {
      // The answer depends on this account's cached data and on each loan's ledger; a cached part's age
      // (ageSeconds) changes at each whole second after its fetch.
      scope.record.tag(accountTag(a.id));
      for (const l of d.loans) scope.record.tag(loanTag(a.provider, l.providerLoanId));
      if (freshness.source !== 'LIVE') scope.record.changesAt(d.fetchedAt.getTime() + (Math.floor((now.getTime() - d.fetchedAt.getTime()) / 1000) + 1) * 1000);
      else scope.record.dontStore();
      if (freshness.stale) scope.record.dontStore();
      const views = await loanViews(scope, this.lagMinutes, d.loans, d.repayments.rows, repaymentsDenial ?? d.repayments.failure);
      const disbursements = disbursementsDenial ? null : d.disbursements.rows;
      const disbursementsFailure = disbursementsDenial ?? d.disbursements.failure;
      // The provider's disbursements merged with those events reported (Dompet Kilat callbacks), by id.
      return views.map((v) => ({ ...v, freshness, disbursements: disbursements ? mergeDisbursements(disbursements.filter((x) => x.providerLoanId === v.loan.providerLoanId), v.eventDisbursements) : undefined, disbursementsFailure }));
    };

    if (cached && !live) {
      const age = (now.getTime() - cached.fetchedAt.getTime()) / 1000;
      const limit = Math.min(ttlSeconds(cached.loans, cached.repayments.rows, jakartaDate(now), this.freshness), maxAge ?? Number.POSITIVE_INFINITY);
      if (age <= limit) {
        // Past the limit this part is read live instead.
        scope.record.changesAt(cached.fetchedAt.getTime() + limit * 1000 + 1);
        cacheLookups.inc({ provider: a.provider, result: 'hit' });
        scope.guard.source(borrowerId, a.provider, 'CACHE');
        const freshness = freshnessOf(cached, now, 'CACHE', false);
        return { provider: a.provider, accountId: a.id, loans: await build(cached, freshness), error: null, creditLimit: cached.creditLimit, freshness };
      }
    }
    cacheLookups.inc({ provider: a.provider, result: 'miss' });
    // A provider call is made (whatever it answers): the access log says so; a stale copy served instead says CACHE.
    scope.guard.source(borrowerId, a.provider, 'PROVIDER');
    try {
      // What this read found stored, so that unchanged snapshots are not written again in full.
      const known = new Map([...loanSnaps!, ...(repaymentSnaps ?? []), ...(disbursementSnaps ?? [])].map((s) => [snapshotKey(s.consentId, s.accountId, s.domain), s.contentHash]));
      const live = await this.cache.refresh(a, consents, scope.loaders.reads[a.provider], now, scope.record, known);
      const freshness = freshnessOf(live, now, 'LIVE', false);
      return { provider: a.provider, accountId: a.id, loans: await build(live, freshness), error: null, creditLimit: live.creditLimit, freshness };
    } catch (e) {
      // The database failing while the read is stored (unreachable, or refusing a statement) is not the provider's
      // fault: the request fails as such (a deadlock was reported as PROVIDER_UNAVAILABLE).
      if (isDatabaseUnavailable(e) || isDatabaseError(e)) throw e;
      const failure = providerFailure(a.provider, e);
      scope.log.warn({ provider: a.provider, accountId: a.id, code: failure.code, err: (e as Error).message }, 'provider read failed');
      if (!cached) return fail(failure);
      scope.guard.source(borrowerId, a.provider, 'CACHE');
      // The provider cannot answer: the last cached copy, marked stale, and the error saying why.
      const error: PartError =
        maxAge !== null
          ? { code: 'FRESHNESS_NOT_MET', message: `${a.provider} could not be read and the cached copy is older than ${maxAge} s (${failure.message})` }
          : { code: failure.code, message: `${failure.message}; serving the last cached copy` };
      const freshness = freshnessOf(cached, now, 'CACHE', true);
      return { provider: a.provider, accountId: a.id, loans: await build(cached, freshness), error, creditLimit: cached.creditLimit, freshness };
    }
  }
}

