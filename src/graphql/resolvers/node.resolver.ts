/**
 * Relay `node(id:)` refetch. Each type answers under the same rules as the field that shows it: a borrower the
 * client may see, a loan under a consent covering its provider (LOANS), a repayment or disbursement under a consent
 * covering its provider and REPAYMENTS or DISBURSEMENTS (else the CONSENT_* error, never the data), a consent of
 * this client only.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Query, Resolver } from 'type-graphql';
import { effectiveStatus } from '../../domain/consent';
import { isUuid } from '../../domain/ids';
import type { GraphQLContext } from '../context';
import { fromGlobalId, toGlobalId } from '../ids';
import { ConsentObject } from '../types/consent.type';
import type { DisbursementObject, RepaymentObject } from '../types/loan.type';
import { Node } from '../types/node.type';
import { loadBorrower } from './borrower.resolver';
import { loadLoan, loanRepaymentList } from './loan.resolver';

@Resolver()
export class NodeResolver {
  @Authorized('credit:read')
  @Query(() => Node, {
    nullable: true,
    description:
      "Any object by its id (Borrower, Loan, Repayment, Disbursement, Consent); null when unknown or not this client's. Answered under the same consent as the field that shows the object: a repayment needs a consent covering its provider and REPAYMENTS, a disbursement DISBURSEMENTS (else a CONSENT_* error and null). Needs `credit:read`.",
  })
  async node(@Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID, { description: 'The object\'s id (its `id` field).' }) id: string): Promise<Node | null> {
    if (isUuid(id)) {
      const c = await ctx.core.consents.get(ctx.scope.client.id, id);
      return c ? new ConsentObject(c, effectiveStatus(c, ctx.scope.clock.now())) : null;
    }
    const g = fromGlobalId(id);
    if (!g) return null;
    switch (g.type) {
      case 'Borrower':
        return loadBorrower(ctx, id);
      case 'Loan':
        return loadLoan(ctx, id, info);
      case 'Repayment':
      case 'Disbursement': {
        if (g.parts.length !== 3) return null;
        const [accountId, providerLoanId, transactionId] = g.parts as [string, string, string];
        // No partial error for the loan's provider here: a failing provider fails its repayments below.
        const loan = await loadLoan(ctx, toGlobalId('Loan', accountId, providerLoanId));
        if (!loan) return null;
        const items: (RepaymentObject | DisbursementObject)[] =
          g.type === 'Repayment' ? await loanRepaymentList(ctx, loan) : await loan.disbursements.call(loan, {}, ctx);
        return items.find((x) => x.transactionId === transactionId) ?? null;
      }
    }
  }
}
