/**
 * Credit-view aggregation: reads every linked provider's loans for a borrower
 * through the request's loaders, keeping each provider's failure to its own
 * part so the others' data is still returned.
 */
import { jakartaDate } from '../domain/dates';
import type { ProviderCode, Repayment } from '../domain/types';
import type { ProviderAccount } from '../generated/prisma/client';
import type { LoanView } from '../domain/loan-view';
import { loanViews } from './ledger.service';
import type { GraphQLContext } from '../graphql/context';
import { type ErrorCode, ProviderPartError, providerFailure } from '../graphql/errors';
import { accountRef } from '../loaders';
import { ConsentError } from '../consent/guard';
import { saveSnapshot } from '../store/snapshots';

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
 * Reads each consented provider's loans for a borrower, concurrently. A
 * provider without an ACTIVE consent covering LOANS is not called at all.
 * Never throws for a provider or consent failure: it is logged (codes and ids
 * only) and returned in that provider's part. Each live read is cached as a
 * snapshot under the consent that allowed it.
 */
export async function providerParts(ctx: GraphQLContext, borrowerId: string): Promise<ProviderPart[]> {
  const accounts = await consentedAccounts(ctx, borrowerId);
  return Promise.all(
    accounts.map(async (a): Promise<ProviderPart> => {
      try {
        const consent = await ctx.guard.allow(borrowerId, a.provider, 'LOANS', 'PROVIDER_READ');
        const reads = ctx.loaders.reads[a.provider];
        // Repayments feed the derived installment status only when the consent covers them.
        const [loans, repayments] = await Promise.all([reads.loans(accountRef(a)), readRepayments(ctx, borrowerId, a)]);
        await saveSnapshot(ctx.prisma, { consentId: consent.id, accountId: a.id, domain: 'LOANS', data: loans, fetchedAt: ctx.clock.now() });
        return { provider: a.provider, accountId: a.id, loans: await loanViews(ctx, loans, repayments.rows, repayments.failure), error: null };
      } catch (e) {
        if (e instanceof ConsentError) return { provider: a.provider, accountId: a.id, loans: null, error: { code: e.denial, message: e.message } };
        const failure = providerFailure(a.provider, e);
        ctx.log.warn({ provider: a.provider, accountId: a.id, code: failure.code, err: (e as Error).message }, 'provider read failed');
        return { provider: a.provider, accountId: a.id, loans: null, error: failure };
      }
    }),
  );
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
