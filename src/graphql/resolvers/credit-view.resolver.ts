/** Credit view query and its relations. Thin: arguments in, a core service call, a GraphQL type out. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { DateScalar } from '../scalars';
import { BorrowerObject } from '../types/borrower.type';
import { CreditViewObject, NextPaymentObject, ScheduledPaymentObject } from '../types/credit-view.type';
import { MoneyObject } from '../types/money.type';
import { borrowerById } from '../types/loan-access';
import { loadBorrower, reportParts } from './borrower.resolver';

@Resolver(() => CreditViewObject)
export class CreditViewResolver {
  @Authorized('credit:read')
  @Query(() => CreditViewObject, {
    nullable: true,
    description: "A borrower's credit across providers: totals, next installment due, loans and per-provider status. Null when the borrower is unknown. Needs `credit:read`.",
  })
  async creditView(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('borrowerId', () => ID, { description: 'Global id of the borrower (Borrower.id).' }) borrowerId: string,
    @Arg('maxAgeSeconds', () => Int, {
      nullable: true,
      description: 'Serve provider data no older than this many seconds (see Borrower.loansConnection). Default: the freshness policy.',
    })
    maxAgeSeconds?: number | null,
  ): Promise<CreditViewObject | null> {
    const b = await loadBorrower(ctx, borrowerId, 'borrowerId');
    return b ? CreditViewObject.of(reportParts(ctx, info, await ctx.core.credit.creditView(ctx.scope, b.row.id, maxAgeSeconds))) : null;
  }

  @FieldResolver(() => ScheduledPaymentObject, {
    nullable: true,
    description: 'The earliest-due installment with an unpaid amount across the loans whose schedules this client may read (consent covering INSTALLMENTS): an overdue one comes first.',
    deprecationReason: 'It mixes what is late with what is next: use nextPaymentDue (the earliest installment not yet due) and arrears (what is past due).',
  })
  async nextInstallmentDue(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext): Promise<ScheduledPaymentObject | null> {
    return v.nextAcross(await ctx.core.credit.readableSchedules(ctx.scope, v.view));
  }

  @FieldResolver(() => NextPaymentObject, {
    nullable: true,
    description:
      'The next payment not yet due: the earliest installment due today or later (Jakarta) with an unpaid amount, across the loans whose schedules this client may read (consent covering INSTALLMENTS); null when none is ahead. What is already late is in arrears.',
  })
  async nextPaymentDue(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext): Promise<NextPaymentObject | null> {
    return v.nextPaymentAcross(await ctx.core.credit.readableSchedules(ctx.scope, v.view));
  }

  @Authorized('payoff:read')
  @FieldResolver(() => MoneyObject, {
    description:
      "Sum of Loan.payoffQuote(asOf).total over the loans whose schedules this client may read (the quotes themselves, added up; loans past maturity included). BAD_USER_INPUT when asOf is in the past. Needs `payoff:read`.",
  })
  async payoffTotal(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => DateScalar, { description: 'The Jakarta date the payoffs would be paid: today or later.' }) asOf: string): Promise<MoneyObject> {
    return MoneyObject.of(await ctx.core.credit.payoffTotal(ctx.scope, v.view, asOf));
  }

  @FieldResolver(() => BorrowerObject, { description: 'The borrower whose credit view it is.' })
  borrower(@Root() v: CreditViewObject, @Ctx() ctx: GraphQLContext): BorrowerObject | Promise<BorrowerObject> {
    return borrowerById(ctx, v.borrowerId);
  }
}
