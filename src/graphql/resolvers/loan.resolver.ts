/** Loan query and relations. Thin: arguments in, a core service call, a GraphQL type out. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { fromGlobalId } from '../ids';
import { DateScalar } from '../scalars';
import { BorrowerObject } from '../types/borrower.type';
import { DisbursementObject, InstallmentObject, LoanObject, PayoffQuoteObject, RepaymentObject } from '../types/loan.type';

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

/** Checks the client's consent covers `domain` of the loan's provider. @throws ConsentDenied. */
function requireDomain(ctx: GraphQLContext, l: LoanObject, domain: 'REPAYMENTS' | 'DISBURSEMENTS' | 'INSTALLMENTS'): Promise<void> {
  return ctx.core.credit.requireDomain(ctx.scope, l.borrowerId, l.loan.provider, domain, domain === 'INSTALLMENTS' ? 'API_READ' : 'PROVIDER_READ');
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

  @FieldResolver(() => [InstallmentObject], { nullable: true, description: 'The installment schedule, by sequence. Needs a consent covering INSTALLMENTS; null with CONSENT_* otherwise.' })
  async installments(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<InstallmentObject[]> {
    await requireDomain(ctx, l, 'INSTALLMENTS');
    return l.schedule();
  }

  @FieldResolver(() => InstallmentObject, {
    nullable: true,
    description: 'The earliest-due installment with an unpaid amount (an overdue one comes first); null when nothing is owed. Needs a consent covering INSTALLMENTS.',
  })
  async nextInstallment(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<InstallmentObject | null> {
    await requireDomain(ctx, l, 'INSTALLMENTS');
    return l.next();
  }

  @FieldResolver(() => BorrowerObject)
  async borrower(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<BorrowerObject> {
    return new BorrowerObject(await ctx.core.borrowers.byId(ctx.scope, l.borrowerId));
  }

  @FieldResolver(() => [RepaymentObject], {
    nullable: true,
    description: 'Repayments of this loan, newest first (Cairin transaction history, Finfra `payments[]`). Dompet Kilat reports repayments by callback only, so its list is empty until the ledger receives them. Null with an error when the provider failed.',
  })
  async repayments(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<RepaymentObject[] | null> {
    await requireDomain(ctx, l, 'REPAYMENTS');
    const f = l.view.repaymentsFailure;
    if (f) throw new ProviderPartError(l.loan.provider, f.code as never, f.message);
    return l.view.repayments.map((r) => new RepaymentObject(r));
  }

  @Authorized('payoff:read')
  @FieldResolver(() => PayoffQuoteObject, {
    nullable: true,
    description:
      "The amount that closes the loan if paid on `asOf` (Jakarta date): outstanding principal, interest accrued to that date under the provider's flat convention, and fees, with the quote's validity. Null unless ACTIVE. BAD_USER_INPUT for a date in the past or beyond maturity. Needs `payoff:read`.",
  })
  async payoffQuote(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => DateScalar) asOf: string): Promise<PayoffQuoteObject | null> {
    await requireDomain(ctx, l, 'INSTALLMENTS');
    const q = ctx.core.credit.payoffQuote(l.view, asOf, l.today);
    return q ? new PayoffQuoteObject(q) : null;
  }

  @FieldResolver(() => [DisbursementObject], { nullable: true, description: 'Disbursements of this loan. Null with an error when the provider failed.' })
  async disbursements(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<DisbursementObject[] | null> {
    await requireDomain(ctx, l, 'DISBURSEMENTS');
    const f = l.view.disbursementsFailure;
    if (f) throw new ProviderPartError(l.loan.provider, f.code as never, f.message);
    return (l.view.disbursements ?? []).map((d) => new DisbursementObject(d));
  }
}
