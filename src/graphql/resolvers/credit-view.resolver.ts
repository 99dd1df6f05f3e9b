/** Credit view query and its borrower relation. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { quoteFor } from './loan.resolver';
import { LoanObject } from '../types/loan.type';
import { MoneyObject } from '../types/money.type';
import { DateScalar } from '../scalars';
import type { GraphQLContext } from '../context';
import { BorrowerObject } from '../types/borrower.type';
import { CreditViewObject, ScheduledPaymentObject } from '../types/credit-view.type';
import { borrowerObject, creditViewFor, loadBorrower } from './borrower.resolver';
import { requireScope } from './guard';

@Resolver(() => CreditViewObject)
export class CreditViewResolver {
  @Query(() => CreditViewObject, {
    nullable: true,
    description: "A borrower's credit across providers: totals, next installment due, loans and per-provider status. Null when the borrower is unknown. Needs `credit:read`.",
  })
  async creditView(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('borrowerId', () => ID) borrowerId: string,
    @Arg('maxAgeSeconds', () => Int, {
      nullable: true,
      description: 'Serve provider data no older than this many seconds (see Borrower.loans). Default: the freshness policy.',
    })
    maxAgeSeconds?: number | null,
  ): Promise<CreditViewObject | null> {
    requireScope(ctx, 'credit:read');
    const b = await loadBorrower(ctx, borrowerId, 'borrowerId');
    return b ? creditViewFor(ctx, info, b.row.id, maxAgeSeconds) : null;
  }

  @FieldResolver(() => ScheduledPaymentObject, {
    nullable: true,
    description: 'The earliest next installment across the loans whose schedules this client may read (consent covering INSTALLMENTS).',
  })
  async nextInstallmentDue(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext): Promise<ScheduledPaymentObject | null> {
    const readable = await Promise.all(
      v.parts.map(async (p) => {
        if (!p.loans) return [];
        const ok = await ctx.guard.allow(v.borrowerId, p.provider, 'INSTALLMENTS', 'API_READ').then(() => true, () => false);
        return ok ? p.loans : [];
      }),
    );
    return v.nextAcross(readable.flat());
  }

  @Authorized('payoff:read')
  @FieldResolver(() => MoneyObject, {
    description:
      "Sum of Loan.payoffQuote(asOf).total over the ACTIVE loans whose schedules this client may read; a loan already past maturity counts its whole outstanding. BAD_USER_INPUT when asOf is in the past or beyond a loan's maturity that is still ahead. Needs `payoff:read`.",
  })
  async payoffTotal(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => DateScalar) asOf: string): Promise<MoneyObject> {
    let total = 0n;
    for (const p of v.parts) {
      if (!p.loans) continue;
      const ok = await ctx.guard.allow(v.borrowerId, p.provider, 'INSTALLMENTS', 'API_READ').then(() => true, () => false);
      if (!ok) continue;
      for (const view of p.loans) {
        // A loan already past maturity owes its whole outstanding now (flat interest stops at the schedule's end).
        if (view.loan.status === 'ACTIVE' && view.loan.maturityDate && view.loan.maturityDate < asOf && asOf >= v.todayDate) total += view.balances.total;
        else total += quoteFor(new LoanObject(view, v.borrowerId, v.todayDate), asOf, v.todayDate)?.total ?? 0n;
      }
    }
    return MoneyObject.of(total);
  }

  @FieldResolver(() => BorrowerObject)
  async borrower(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext): Promise<BorrowerObject> {
    const row = await ctx.loaders.borrower.load(v.borrowerId);
    if (!row) throw new Error(`borrower ${v.borrowerId} vanished during the request`);
    return borrowerObject(ctx, row);
  }
}
