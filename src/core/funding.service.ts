/**
 * Funding reads: a borrower's positions as a lender at the providers with a funding side (those whose reads
 * implement `fundingPositions`: Cairin). Each read passes the consent guard (an ACTIVE consent covering FUNDING
 * for that provider) and is served from the FUNDING snapshot cached under that consent while it is fresh, else
 * read live and cached; when the provider fails, the last copy is served marked stale. A refusal or failure
 * stays in that provider's part, so other parts are still returned.
 *
 * Freshness: a FUNDING snapshot serves for the policy's `ttlSeconds` (default 6 hours) and never past the
 * Jakarta midnight after its fetch (accrued benefit and maturity move with the date), or for less when the
 * client demands `maxAgeSeconds`. Written only here (the loan reads and sync jobs never read funding), next to
 * the response-cache invalidation of the account.
 */
import { nextJakartaMidnight } from '../domain/dates';
import type { Freshness, FreshnessPolicy } from '../domain/freshness';
import { type FundingPosition, reviveFundingPositions } from '../domain/funding';
import type { ProviderCode } from '../domain/types';
import type { ProviderAccount } from '../generated/prisma/client';
import type { SqlExecutor } from '../store/migrate';
import { saveSnapshots } from '../store/snapshots';
import { accountRef } from './account-cache';
import { checkMaxAge, type PartError } from './credit.service';
import { ConsentDenied, providerFailure } from './errors';
import { accountTag, type Invalidation } from './response-cache';
import type { RequestScope } from './scope';
import { isDatabaseUnavailable } from '../store/database';

/** One provider's funding part. */
export interface FundingPart {
  readonly provider: ProviderCode;
  /** Our ProviderAccount id. */
  readonly accountId: string;
  /** The positions, or null when the read was refused or failed with nothing cached. */
  readonly positions: FundingPosition[] | null;
  /** Why the read was refused or failed (client-safe), or null; set with a stale copy too. */
  readonly error: PartError | null;
  /** Freshness of the positions served, null when none were. */
  readonly freshness: Freshness | null;
}

/** Funding reads for API requests. */
export class FundingService {
  constructor(
    /** Where FUNDING snapshots are stored (plain SQL, src/store/snapshots.ts). */
    private readonly sql: SqlExecutor,
    private readonly freshness: FreshnessPolicy,
    /** A live read drops every stored answer that read the account, on every instance. */
    private readonly invalidation?: Invalidation,
  ) {}

  /**
   * The funding parts of a borrower: one per linked account, at a provider this client's consents name, whose
   * connector has a funding side. Computed once per request for the same borrower and freshness demand. Never
   * throws for a consent refusal or a provider failure (kept in that part).
   * @param maxAgeSeconds the client's freshness demand: cached positions older than this are read again.
   * @throws InvalidInput when maxAgeSeconds is negative; database errors.
   */
  async parts(scope: RequestScope, borrowerId: string, maxAgeSeconds?: number | null): Promise<FundingPart[]> {
    const maxAge = checkMaxAge(maxAgeSeconds);
    if (maxAge !== null) scope.record.dontStore();
    return scope.loaders.memo.get(`fundingParts|${borrowerId}|${maxAge}`, async () => {
      const [accounts, named] = await Promise.all([scope.loaders.accountsOfBorrower.load(borrowerId), scope.guard.providersNamed(borrowerId)]);
      const funded = accounts.filter((a) => named.has(a.provider) && scope.loaders.reads[a.provider]?.fundingPositions);
      return Promise.all(funded.map((a) => this.readPart(scope, a, maxAge)));
    });
  }

  /** The positions of the parts that answered, provider by provider in account order. */
  static positionsOf(parts: readonly FundingPart[]): FundingPosition[] {
    return parts.flatMap((p) => p.positions ?? []);
  }

  private async readPart(scope: RequestScope, a: ProviderAccount, maxAge: number | null): Promise<FundingPart> {
    const fail = (error: PartError): FundingPart => ({ provider: a.provider, accountId: a.id, positions: null, error, freshness: null });
    let consentId: string;
    try {
      consentId = (await scope.guard.allow(a.borrowerId, a.provider, 'FUNDING', 'PROVIDER_READ')).id;
    } catch (e) {
      if (e instanceof ConsentDenied) return fail({ code: e.denial, message: e.message });
      throw e;
    }
    const now = scope.clock.now();
    const snap = (await scope.loaders.snapshots.load(`${consentId}|${a.id}`)).find((s) => s.domain === 'FUNDING') ?? null;
    const cached = snap ? { positions: reviveFundingPositions(snap.payload), fetchedAt: snap.fetchedAt } : null;
    const serveCached = (stale: boolean, error: PartError | null): FundingPart => {
      const c = cached!;
      const ageMs = now.getTime() - c.fetchedAt.getTime();
      scope.record.tag(accountTag(a.id));
      // ageSeconds changes at each whole second after the fetch.
      scope.record.changesAt(c.fetchedAt.getTime() + (Math.floor(ageMs / 1000) + 1) * 1000);
      if (stale) scope.record.dontStore();
      scope.guard.source(a.borrowerId, a.provider, 'CACHE');
      return { provider: a.provider, accountId: a.id, positions: c.positions, error, freshness: { fetchedAt: c.fetchedAt, ageSeconds: Math.max(0, Math.floor(ageMs / 1000)), source: 'CACHE', stale } };
    };

    if (cached) {
      const limitMs = Math.min(this.freshness.ttlSeconds * 1000, nextJakartaMidnight(cached.fetchedAt) - cached.fetchedAt.getTime() - 1, (maxAge ?? Number.POSITIVE_INFINITY) * 1000);
      if (now.getTime() - cached.fetchedAt.getTime() <= limitMs) {
        scope.record.changesAt(cached.fetchedAt.getTime() + limitMs + 1);
        return serveCached(false, null);
      }
    }
    // A provider call is made (whatever it answers).
    scope.guard.source(a.borrowerId, a.provider, 'PROVIDER');
    scope.record.dontStore();
    try {
      const positions = await scope.loaders.reads[a.provider].fundingPositions!(accountRef(a));
      await saveSnapshots(this.sql, [{ consentId, accountId: a.id, domain: 'FUNDING', data: positions, fetchedAt: now }]);
      this.invalidation?.tags([accountTag(a.id)], scope.record);
      return { provider: a.provider, accountId: a.id, positions, error: null, freshness: { fetchedAt: now, ageSeconds: 0, source: 'LIVE', stale: false } };
    } catch (e) {
      if (isDatabaseUnavailable(e)) throw e;
      const failure = providerFailure(a.provider, e);
      scope.log.warn({ provider: a.provider, accountId: a.id, domain: 'FUNDING', code: failure.code, err: (e as Error).message }, 'provider read failed');
      if (!cached) return fail(failure);
      const error: PartError =
        maxAge !== null
          ? { code: 'FRESHNESS_NOT_MET', message: `${a.provider} could not be read and the cached copy is older than ${maxAge} s (${failure.message})` }
          : { code: failure.code, message: `${failure.message}; serving the last cached copy` };
      return serveCached(true, error);
    }
  }
}
