/**
 * Credit-view aggregation: reads every linked provider's loans for a borrower
 * through the request's loaders, keeping each provider's failure to its own
 * part so the others' data is still returned.
 */
import { jakartaDate } from '../domain/dates';
import type { Disbursement, Loan, ProviderCode, Repayment } from '../domain/types';
import { type Freshness, reviveDisbursements, reviveLoans, reviveRepayments, ttlSeconds } from '../domain/freshness';
import type { ProviderAccount } from '../generated/prisma/client';
import type { LoanView } from '../domain/loan-view';
import { loanViews, recordPendingRepayments } from './ledger.service';
import type { GraphQLContext } from '../graphql/context';
import { type ErrorCode, ProviderPartError, providerFailure } from '../graphql/errors';
import { accountRef } from '../loaders';
import { ConsentError } from '../consent/guard';
import { saveSnapshot } from '../store/snapshots';
import { cacheLookups } from '../metrics';

/** One provider's part of a borrower's credit picture. */
export interface ProviderPart {
  readonly provider: ProviderCode;
  /** Our ProviderAccount id. */
  readonly accountId: string;
  /** The provider's loans as the ledger sees them, or null when the read failed or was refused. */
  readonly loans: LoanView[] | null;
  /** Why the read failed (client-safe), or null. */
  readonly error: { code: ErrorCode | ConsentError['denial']; message: string } | null;
}

/** Jakarta calendar date of the request's clock. */
export function today(ctx: GraphQLContext): string {
  return jakartaDate(ctx.clock.now());
}

/** Linked accounts of a borrower at the providers this client's consents name. */
export async function consentedAccounts(ctx: GraphQLContext, borrowerId: string) {
  const [accounts, named] = await Promise.all([ctx.loaders.accountsOfBorrower.load(borrowerId), ctx.guard.providersNamed(borrowerId)]);
  return accounts.filter((a) => named.has(a.provider));
}

/**
 * Reads each consented provider's loans for a borrower, concurrently, through
 * the cache. A provider without an ACTIVE consent covering LOANS is not called
 * and nothing cached for it is served. Never throws for a provider or consent
 * failure: it is logged (codes and ids only) and returned in that provider's part.
 * @param maxAgeSeconds the client's freshness demand: cached data older than this is not served as fresh.
 */
export async function providerParts(ctx: GraphQLContext, borrowerId: string, maxAgeSeconds?: number | null): Promise<ProviderPart[]> {
  const accounts = await consentedAccounts(ctx, borrowerId);
  return Promise.all(accounts.map((a) => readAccount(ctx, borrowerId, a, maxAgeSeconds ?? null)));
}

/** One account's part: cache while fresh, else live; the last copy, marked stale, when the provider fails. */
async function readAccount(ctx: GraphQLContext, borrowerId: string, a: ProviderAccount, maxAge: number | null): Promise<ProviderPart> {
  const fail = (code: ProviderPart['error'] extends infer E ? (E extends { code: infer C } ? C : never) : never, message: string): ProviderPart => ({ provider: a.provider, accountId: a.id, loans: null, error: { code, message } });
  let consent;
  try {
    consent = await ctx.guard.allow(borrowerId, a.provider, 'LOANS', 'PROVIDER_READ');
  } catch (e) {
    if (e instanceof ConsentError) return fail(e.denial, e.message);
    throw e;
  }
  const repaymentsDenial = await ctx.guard.allow(borrowerId, a.provider, 'REPAYMENTS', 'PROVIDER_READ').then(
    () => null,
    (e: unknown) => (e instanceof ConsentError ? { code: e.denial, message: e.message } : { code: 'PROVIDER_UNAVAILABLE', message: String(e) }),
  );
  const disbursementsDenial = await ctx.guard.allow(borrowerId, a.provider, 'DISBURSEMENTS', 'PROVIDER_READ').then(
    () => null,
    (e: unknown) => (e instanceof ConsentError ? { code: e.denial, message: e.message } : { code: 'PROVIDER_UNAVAILABLE', message: String(e) }),
  );
  const now = ctx.clock.now();
  const today = jakartaDate(now);
  const snaps = await ctx.loaders.snapshots.load(`${consent.id}|${a.id}`);
  const loansSnap = snaps.find((x) => x.domain === 'LOANS');
  const repaySnap = snaps.find((x) => x.domain === 'REPAYMENTS');
  const disbSnap = snaps.find((x) => x.domain === 'DISBURSEMENTS');
  const cached =
    loansSnap && (repaymentsDenial || repaySnap) && (disbursementsDenial || disbSnap)
      ? {
          loans: reviveLoans(loansSnap.payload),
          repayments: repaymentsDenial ? null : reviveRepayments(repaySnap!.payload),
          disbursements: disbursementsDenial ? null : reviveDisbursements(disbSnap!.payload),
          fetchedAt: loansSnap.fetchedAt,
          eventAt: loansSnap.eventAt,
        }
      : null;
  const freshnessOf = (c: NonNullable<typeof cached>, stale: boolean): Freshness => {
    const last = c.eventAt && c.eventAt > c.fetchedAt ? c.eventAt : c.fetchedAt;
    return { fetchedAt: last, ageSeconds: Math.max(0, Math.floor((now.getTime() - c.fetchedAt.getTime()) / 1000)), source: last === c.eventAt ? 'WEBHOOK' : 'CACHE', stale };
  };
  type Failure = { code: string; message: string } | undefined;
  const build = async (loans: Loan[], repayments: Repayment[] | null, failure: Failure, disbursements: Disbursement[] | null, disbFailure: Failure, freshness: Freshness) =>
    (await loanViews(ctx, loans, repayments, failure)).map((v) => ({
      ...v,
      freshness,
      disbursements: disbursements?.filter((d) => d.providerLoanId === v.loan.providerLoanId),
      disbursementsFailure: disbFailure,
    }));

  if (cached) {
    const age = (now.getTime() - cached.fetchedAt.getTime()) / 1000;
    const limit = Math.min(ttlSeconds(cached.loans, cached.repayments, today, ctx.freshness), maxAge ?? Number.POSITIVE_INFINITY);
    if (age <= limit) {
      cacheLookups.inc({ provider: a.provider, result: 'hit' });
      return {
        provider: a.provider,
        accountId: a.id,
        loans: await build(cached.loans, cached.repayments, repaymentsDenial ?? undefined, cached.disbursements, disbursementsDenial ?? undefined, freshnessOf(cached, false)),
        error: null,
      };
    }
  }
  cacheLookups.inc({ provider: a.provider, result: 'miss' });
  const reads = ctx.loaders.reads[a.provider];
  try {
    const [loans, repayments, disbursements] = await Promise.all([
      reads.loans(accountRef(a)),
      repaymentsDenial ? null : readRepayments(ctx, borrowerId, a),
      disbursementsDenial ? null : reads.disbursements(accountRef(a)).then((rows) => ({ rows, failure: undefined }), (e: unknown) => ({ rows: null, failure: providerFailure(a.provider, e) })),
    ]);
    await saveSnapshot(ctx.prisma, { consentId: consent.id, accountId: a.id, domain: 'LOANS', data: loans, fetchedAt: now });
    await recordPendingRepayments(ctx, a.provider, repayments?.rows ?? null);
    if (repayments?.rows) await saveSnapshot(ctx.prisma, { consentId: consent.id, accountId: a.id, domain: 'REPAYMENTS', data: repayments.rows, fetchedAt: now });
    if (disbursements?.rows) await saveSnapshot(ctx.prisma, { consentId: consent.id, accountId: a.id, domain: 'DISBURSEMENTS', data: disbursements.rows, fetchedAt: now });
    const failure = repaymentsDenial ?? repayments?.failure;
    const live: Freshness = { fetchedAt: now, ageSeconds: 0, source: 'LIVE', stale: false };
    return {
      provider: a.provider,
      accountId: a.id,
      loans: await build(loans, repayments?.rows ?? null, failure, disbursements?.rows ?? null, disbursementsDenial ?? disbursements?.failure, live),
      error: null,
    };
  } catch (e) {
    const failure = providerFailure(a.provider, e);
    ctx.log.warn({ provider: a.provider, accountId: a.id, code: failure.code, err: (e as Error).message }, 'provider read failed');
    if (!cached) return fail(failure.code, failure.message);
    // The provider cannot answer: the last cached copy, marked stale, and the error saying why.
    const code = maxAge !== null ? 'FRESHNESS_NOT_MET' : failure.code;
    const message = maxAge !== null ? `${a.provider} could not be read and the cached copy is older than ${maxAge} s (${failure.message})` : `${failure.message}; serving the last cached copy`;
    return {
      provider: a.provider,
      accountId: a.id,
      loans: await build(cached.loans, cached.repayments, repaymentsDenial ?? undefined, cached.disbursements, disbursementsDenial ?? undefined, freshnessOf(cached, true)),
      error: { code: code as ErrorCode, message },
    };
  }
}

/**
 * The provider's repayments of an account when the consent covers REPAYMENTS;
 * otherwise (or when the read fails) null with the reason, so that loans are
 * still returned with the provider's own installment status.
 */
export async function readRepayments(
  ctx: GraphQLContext,
  borrowerId: string,
  a: ProviderAccount,
): Promise<{ rows: Repayment[] | null; failure?: { code: string; message: string } }> {
  try {
    await ctx.guard.allow(borrowerId, a.provider, 'REPAYMENTS', 'PROVIDER_READ');
  } catch (e) {
    if (e instanceof ConsentError) return { rows: null, failure: { code: e.denial, message: e.message } };
    throw e;
  }
  try {
    return { rows: await ctx.loaders.reads[a.provider].repayments(accountRef(a)) };
  } catch (e) {
    const f = providerFailure(a.provider, e);
    ctx.log.warn({ provider: a.provider, accountId: a.id, code: f.code, err: (e as Error).message }, 'provider read failed');
    return { rows: null, failure: f };
  }
}

/** Loan views of the parts that answered. */
export function loansOf(parts: readonly ProviderPart[]): LoanView[] {
  return parts.flatMap((p) => p.loans ?? []);
}

/** GraphQL errors for the parts that failed. */
export function partErrors(parts: readonly ProviderPart[]): ProviderPartError[] {
  return parts.filter((p) => p.error).map((p) => new ProviderPartError(p.provider, p.error!.code, p.error!.message));
}
