/**
 * Loan query and the loan's payoff quote. Thin: arguments in, a core service call, a GraphQL type out. The
 * loan's other consent-gated fields (schedule, repayments, disbursements, borrower) are on LoanObject itself
 * (src/graphql/types/loan.type.ts), resolved synchronously once the request knows the consent decision.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { fromGlobalId } from '../ids';
import { DateScalar } from '../scalars';
import { requireDomain } from '../types/loan-access';
import { LoanObject, PayoffQuoteObject } from '../types/loan.type';

import { isUuid } from '../../domain/ids';

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
  loan(@Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID) id: string): Promise<LoanObject | null> {
    return loadLoan(ctx, id, info);
  }

  @Authorized('payoff:read')
  @FieldResolver(() => PayoffQuoteObject, {
    nullable: true,
    description:
      "The amount that closes the loan if paid on `asOf` (Jakarta date, today or later, also past maturity): unpaid principal, interest due and accrued to that date under the provider's flat convention, late fees, pending money apart, and the date the quote is good through. Null for a loan that owes nothing (not ACTIVE). BAD_USER_INPUT for a date in the past. Needs `payoff:read` and a consent covering INSTALLMENTS.",
  })
  async payoffQuote(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => DateScalar) asOf: string): Promise<PayoffQuoteObject | null> {
    await requireDomain(ctx, l, 'INSTALLMENTS');
    const q = ctx.core.credit.payoffQuote(l.view, asOf, l.today);
    return q ? new PayoffQuoteObject(q) : null;
  }
}
