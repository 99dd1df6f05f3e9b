/**
 * Loan query and the loan's payoff quote. Thin: arguments in, a core service call, a GraphQL type out. The
 * loan's other consent-gated fields (schedule, repayments, disbursements, borrower) are on LoanObject itself
 * (src/graphql/types/loan.type.ts), resolved synchronously once the request knows the consent decision.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { pageOfArray } from '../../core/paging';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { fromGlobalId } from '../ids';
import { DateScalar } from '../scalars';
import { requireDomain } from '../types/loan-access';
import { type ConnectionSpec, pageArgDocs, pageWindow, toConnection } from '../types/connection.type';
import { LoanObject, PayoffQuoteObject, RepaymentConnection, type RepaymentObject } from '../types/loan.type';

import { isUuid } from '../../domain/ids';

const REPAYMENT_PAGE: ConnectionSpec = { tag: 'Repayment', key: ['date', 'string'], defaultSize: 50, maxSize: 100 };
const REPAYMENT_PAGE_DOCS = pageArgDocs(REPAYMENT_PAGE);

/**
 * The loan's repayments, as its `repayments` field gives them (consent covering REPAYMENTS; the provider's failure).
 * @throws ConsentDenied without a consent covering REPAYMENTS; ProviderPartError when the provider's repayments could not be read.
 */
export async function loanRepaymentList(ctx: GraphQLContext, l: LoanObject): Promise<RepaymentObject[]> {
  return l.repayments.call(l, {}, ctx);
}

/**
 * Loads a loan by its global id; null when unknown or when this client holds no
 * consent from its borrower for that provider.
 * @throws ConsentDenied when the consent is not ACTIVE; ProviderFailure when the provider failed with nothing cached.
 */
export async function loadLoan(ctx: GraphQLContext, id: string, info?: GraphQLResolveInfo): Promise<LoanObject | null> {
  const g = fromGlobalId(id);
  if (!g || g.type !== 'Loan' || g.parts.length !== 2 || !isUuid(g.parts[0]!)) return null;
  const r = await ctx.core.credit.loan(ctx.scope, g.parts[0]!, g.parts[1]!);
  if (r?.error && info) ctx.partial.report(info, new ProviderPartError(r.view.loan.provider, r.error.code, r.error.message));
  return r ? new LoanObject(r.view, r.borrowerId, r.today) : null;
}

@Resolver(() => LoanObject)
export class LoanResolver {
  @Authorized('credit:read')
  @Query(() => LoanObject, {
    nullable: true,
    description:
      'One loan by global id, read live from its provider; null when unknown. A failing provider yields an error with its `extensions.code`, with the last cached copy (freshness.stale true) when there is one. Needs `credit:read`.',
  })
  loan(@Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID, { description: 'Global id of the loan (Loan.id).' }) id: string): Promise<LoanObject | null> {
    return loadLoan(ctx, id, info);
  }

  @FieldResolver(() => RepaymentConnection, {
    nullable: true,
    description:
      'Repayments of this loan, newest first (by when the borrower paid, then transaction id), as a Relay connection (Cairin transaction history, Finfra `payments[]`; Dompet Kilat reports repayments by callback only, so its list is empty until the ledger receives them). Needs a consent covering REPAYMENTS: null with CONSENT_* otherwise; null with an error when the provider failed.',
  })
  async repaymentsConnection(
    @Root() l: LoanObject,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: REPAYMENT_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: REPAYMENT_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: REPAYMENT_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: REPAYMENT_PAGE_DOCS.before }) before: string | null,
  ): Promise<RepaymentConnection> {
    const window = pageWindow(REPAYMENT_PAGE, { first, after, last, before });
    const rows = await loanRepaymentList(ctx, l);
    const key = (r: RepaymentObject) => [r.paidAt, r.transactionId];
    return toConnection(REPAYMENT_PAGE, pageOfArray(rows, key, 'desc', window), key, (r) => r);
  }

  @Authorized('payoff:read')
  @FieldResolver(() => PayoffQuoteObject, {
    nullable: true,
    description:
      "The amount that closes the loan if paid on `asOf` (Jakarta date, today or later, also past maturity): unpaid principal, interest due and accrued to that date under the provider's flat convention, late fees, pending money apart, and the date the quote is good through. Null for a loan that owes nothing (not ACTIVE). BAD_USER_INPUT for a date in the past. Needs `payoff:read` and a consent covering INSTALLMENTS.",
  })
  async payoffQuote(
    @Root() l: LoanObject,
    @Ctx() ctx: GraphQLContext,
    @Arg('asOf', () => DateScalar, { description: 'The Jakarta date the payoff would be paid: today or later.' }) asOf: string,
  ): Promise<PayoffQuoteObject | null> {
    await requireDomain(ctx, l, 'INSTALLMENTS');
    const q = ctx.core.credit.payoffQuote(l.view, asOf, l.today);
    return q ? new PayoffQuoteObject(q) : null;
  }
}
