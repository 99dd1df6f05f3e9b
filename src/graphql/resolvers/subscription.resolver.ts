/**
 * `loanChanged(borrowerId)`: pushes ledger changes (repayments, settlements,
 * loan status) of one borrower's loans over graphql-ws, under the same rules as
 * queries: `credit:read`, an ACTIVE consent from the borrower at subscribe
 * time, and at every push a fresh consent check for that provider (a revoked
 * consent stops the pushes).
 */
import { GraphQLError } from 'graphql';
import { Arg, Field, ID, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import { ConsentGuard } from '../../consent/guard';
import type { LedgerChange } from '../../webhooks/ingest';
import type { GraphQLContext } from '../context';
import { expectGlobalId, toGlobalId } from '../ids';
import { DateTimeScalar } from '../scalars';
import { ProviderEnum } from '../types/enums';
import { requireScope } from './guard';

@ObjectType('LoanChange', { description: "A change to one of the borrower's loans, applied from a provider or bank event. Refetch the loan by `loanId` for its new state." })
export class LoanChangeObject {
  @Field(() => ID, { description: 'Global id of the changed Loan.' })
  loanId!: string;

  @Field(() => ProviderEnum)
  provider!: string;

  @Field(() => String)
  providerLoanId!: string;

  @Field(() => String, { description: 'What changed: repayment, settlement, loan (status), bnpl, disbursement.' })
  kind!: string;

  @Field(() => DateTimeScalar)
  at!: Date;
}

/** The borrower's account holding the loan, from the loans cached under this client's consents; null when not theirs. */
async function accountOfLoan(ctx: GraphQLContext, borrowerId: string, c: LedgerChange): Promise<string | null> {
  const snap = await ctx.prisma.providerSnapshot.findFirst({
    where: {
      domain: 'LOANS',
      consent: { clientId: ctx.client.id, borrowerId },
      account: { borrowerId, provider: c.provider },
      payload: { array_contains: [{ providerLoanId: c.providerLoanId }] },
    },
    select: { accountId: true },
  });
  return snap?.accountId ?? null;
}

async function* changesFor(ctx: GraphQLContext, borrowerId: string): AsyncGenerator<LoanChangeObject> {
  if (!ctx.applier) throw new GraphQLError('subscriptions are not available on this server');
  const queue: LedgerChange[] = [];
  let wake: (() => void) | null = null;
  const off = ctx.applier.onChange((c) => {
    queue.push(c);
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length) {
        const c = queue.shift()!;
        const accountId = await accountOfLoan(ctx, borrowerId, c);
        if (!accountId) continue;
        // Consent is checked afresh for every push: a revoked or expired consent stops them.
        const guard = new ConsentGuard(ctx.prisma, ctx.consents, ctx.client.id, ctx.clock, ctx.requestId);
        const domain = c.kind === 'repayment' || c.kind === 'settlement' ? 'REPAYMENTS' : 'LOANS';
        const allowed = await guard.allow(borrowerId, c.provider, domain, 'API_READ').then(() => true, () => false);
        await guard.flush();
        if (!allowed) continue;
        yield Object.assign(new LoanChangeObject(), { loanId: toGlobalId('Loan', accountId, c.providerLoanId), provider: c.provider, providerLoanId: c.providerLoanId, kind: c.kind, at: c.at });
      }
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  } finally {
    off();
  }
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => LoanChangeObject, {
    description: "Changes to a borrower's loans as provider and bank events are applied (graphql-ws at /graphql). Needs `credit:read` and an ACTIVE consent from the borrower.",
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      requireScope(ctx, 'credit:read');
      const [uuid] = expectGlobalId(args.borrowerId as string, 'Borrower', 'borrowerId');
      if (!uuid || !(await ctx.guard.visible(uuid))) throw new GraphQLError('no such borrower', { extensions: { code: 'NOT_FOUND' } });
      await ctx.guard.allow(uuid, null, 'LOANS', 'API_READ');
      await ctx.guard.flush();
      return changesFor(ctx, uuid);
    },
  })
  loanChanged(@Root() change: LoanChangeObject, @Arg('borrowerId', () => ID) _borrowerId: string): LoanChangeObject {
    return change;
  }
}
