/** Loan query and relations (borrower, repayments, disbursements). */
import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { GraphQLError } from 'graphql';
import { PayoffRangeError, payoffQuote, type PayoffQuote } from '../../domain/payoff';
import { readRepayments } from '../../services/credit.service';
import { loanViews, recordPendingRepayments } from '../../services/ledger.service';
import { DateScalar } from '../scalars';
import { accountRef } from '../../loaders';
import { today } from '../../services/credit.service';
import type { GraphQLContext } from '../context';
import { type ErrorCode, ProviderPartError, providerFailure } from '../errors';
import { fromGlobalId } from '../ids';
import { BorrowerObject } from '../types/borrower.type';
import { DisbursementObject, InstallmentObject, LoanObject, PayoffQuoteObject, RepaymentObject } from '../types/loan.type';
import { borrowerObject } from './borrower.resolver';
import { requireScope } from './guard';
import type { ProviderAccount } from '../../generated/prisma/client';
import type { ProviderCode } from '../../domain/types';

/**
 * A payoff quote for an ACTIVE loan on `asOf`; null for loans that owe nothing.
 * @throws GraphQLError BAD_USER_INPUT when asOf is before today or after maturity.
 */
export function quoteFor(l: LoanObject, asOf: string, todayDate: string): PayoffQuote | null {
  const loan = l.loan;
  if (loan.status !== 'ACTIVE' || !loan.rate || !loan.disbursedOn || !loan.maturityDate) return null;
  try {
    return payoffQuote({
      principal: loan.principal,
      rate: loan.rate,
      disbursedOn: loan.disbursedOn,
      maturityDate: loan.maturityDate,
      installments: loan.installments,
      asOf,
      today: todayDate,
      convention: 'FLAT_ACCRUED',
    });
  } catch (e) {
    if (e instanceof PayoffRangeError) throw new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', argumentName: 'asOf' } });
    throw e;
  }
}

/** Runs a provider read; a failure becomes a field error carrying the provider's code. */
async function providerRead<T>(provider: ProviderCode, ctx: GraphQLContext, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const f = providerFailure(provider, e);
    ctx.log.warn({ provider, code: f.code, err: (e as Error).message }, 'provider read failed');
    throw new ProviderPartError(provider, f.code, f.message);
  }
}

/**
 * Loads a loan by its global id; null when unknown or when this client holds no
 * consent from its borrower for that provider.
 * @throws ConsentError when the consent is not ACTIVE (no provider call is made); ProviderPartError on provider failure.
 */
export async function loadLoan(ctx: GraphQLContext, id: string): Promise<LoanObject | null> {
  const g = fromGlobalId(id);
  if (!g || g.type !== 'Loan' || g.parts.length !== 2) return null;
  const [accountId, loanId] = g.parts as [string, string];
  if (!/^[0-9a-f-]{36}$/i.test(accountId)) return null;
  const account: ProviderAccount | null = await ctx.loaders.account.load(accountId);
  if (!account || !(await ctx.guard.providersNamed(account.borrowerId)).has(account.provider)) return null;
  await ctx.guard.allow(account.borrowerId, account.provider, 'LOANS', 'PROVIDER_READ');
  const [loan, repayments] = await Promise.all([
    providerRead(account.provider, ctx, () => ctx.loaders.reads[account.provider].loan(accountRef(account), loanId)),
    readRepayments(ctx, account.borrowerId, account),
  ]);
  if (!loan) return null;
  await recordPendingRepayments(ctx, account.provider, repayments.rows);
  const [view] = await loanViews(ctx, [loan], repayments.rows, repayments.failure);
  return new LoanObject(view!, account.borrowerId, today(ctx));
}

/** The loan's account, after checking the client's consent covers `domain` at its provider. */
async function consentedAccount(ctx: GraphQLContext, l: LoanObject, domain: 'REPAYMENTS' | 'DISBURSEMENTS' | 'INSTALLMENTS') {
  await ctx.guard.allow(l.borrowerId, l.loan.provider, domain, domain === 'INSTALLMENTS' ? 'API_READ' : 'PROVIDER_READ');
  return ctx.loaders.account.load(l.loan.accountId);
}

@Resolver(() => LoanObject)
export class LoanResolver {
  @Query(() => LoanObject, { nullable: true, description: 'One loan by global id; null when unknown. A failing provider yields an error with its `extensions.code`. Needs `credit:read`.' })
  async loan(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<LoanObject | null> {
    requireScope(ctx, 'credit:read');
    return loadLoan(ctx, id);
  }

  @FieldResolver(() => [InstallmentObject], { nullable: true, description: 'The installment schedule, by sequence. Needs a consent covering INSTALLMENTS; null with CONSENT_* otherwise.' })
  async installments(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<InstallmentObject[]> {
    await consentedAccount(ctx, l, 'INSTALLMENTS');
    return l.schedule();
  }

  @FieldResolver(() => InstallmentObject, {
    nullable: true,
    description: 'The earliest-due installment with an unpaid amount (an overdue one comes first); null when nothing is owed. Needs a consent covering INSTALLMENTS.',
  })
  async nextInstallment(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<InstallmentObject | null> {
    await consentedAccount(ctx, l, 'INSTALLMENTS');
    return l.next();
  }

  @FieldResolver(() => BorrowerObject)
  async borrower(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<BorrowerObject> {
    const row = await ctx.loaders.borrower.load(l.borrowerId);
    if (!row) throw new Error(`borrower of loan vanished during the request`);
    return borrowerObject(ctx, row);
  }

  @FieldResolver(() => [RepaymentObject], {
    nullable: true,
    description: 'Repayments of this loan, newest first (Cairin transaction history, Finfra `payments[]`). Dompet Kilat reports repayments by callback only, so its list is empty until the ledger receives them. Null with an error when the provider failed.',
  })
  async repayments(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<RepaymentObject[] | null> {
    await consentedAccount(ctx, l, 'REPAYMENTS');
    const f = l.view.repaymentsFailure;
    if (f) throw new ProviderPartError(l.loan.provider, f.code as ErrorCode, f.message);
    return l.view.repayments.map((r) => new RepaymentObject(r));
  }

  @Authorized('payoff:read')
  @FieldResolver(() => PayoffQuoteObject, {
    nullable: true,
    description:
      "The amount that closes the loan if paid on `asOf` (Jakarta date): outstanding principal, interest accrued to that date under the provider's flat convention, and fees, with the quote's validity. Null unless ACTIVE. BAD_USER_INPUT for a date in the past or beyond maturity. Needs `payoff:read`.",
  })
  async payoffQuote(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => DateScalar) asOf: string): Promise<PayoffQuoteObject | null> {
    await consentedAccount(ctx, l, 'INSTALLMENTS');
    const q = quoteFor(l, asOf, today(ctx));
    return q ? new PayoffQuoteObject(q) : null;
  }

  @FieldResolver(() => [DisbursementObject], { nullable: true, description: 'Disbursements of this loan. Null with an error when the provider failed.' })
  async disbursements(@Root() l: LoanObject, @Ctx() ctx: GraphQLContext): Promise<DisbursementObject[] | null> {
    const account = await consentedAccount(ctx, l, 'DISBURSEMENTS');
    const f = l.view.disbursementsFailure;
    if (f) throw new ProviderPartError(l.loan.provider, f.code as ErrorCode, f.message);
    // Views read through the credit view carry their (live or cached) disbursements; a single-loan read fetches them.
    const rows = l.view.disbursements ?? (account ? await providerRead(account.provider, ctx, () => ctx.loaders.reads[account.provider].disbursements(accountRef(account))) : []);
    return rows.filter((d) => d.providerLoanId === l.loan.providerLoanId).map((d) => new DisbursementObject(d));
  }
}
