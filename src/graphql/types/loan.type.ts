/**
 * GraphQL `Loan` and its parts. Wraps a normalized domain `Loan`; every amount
 * is integer rupiah as `Money`, every date a Jakarta `Date`.
 *
 * A credit view resolves tens of thousands of fields, so the loan's types are plain data: each object is
 * built once with its field values as own properties (money as `MoneyObject`s), and its fields resolve with
 * graphql-js's default resolver (type-graphql's `simpleResolvers`, or `simple` on the field). type-graphql makes
 * its own resolver, whatever the option says, for a field declared on a getter or a method: only plain
 * properties get the default one. The option also means no type-graphql middleware, `@Authorized` included,
 * so it is only on types and fields without `@Authorized`.
 *
 * The scope-restricted fields of the loan and its installments (`payoff:read`) are properties holding a
 * shared function (`payoffField`): graphql-js's default resolver calls a function-valued property with the
 * field's arguments, the request's context and info, and the function checks the request's scopes with
 * `checkScopes`, the check `@Authorized` makes through the schema's authChecker (the same FORBIDDEN error),
 * when the field resolves, synchronously. `@Authorized` would run type-graphql's asynchronous middleware chain,
 * several promises per field, for each of the thousands of installment amounts of a credit view.
 *
 * The loan's consent-gated fields (schedule, next installment, repayments, repayment account, disbursements) and its borrower are
 * function-valued properties too (`LoanField`): they take the consent decision and the borrower object from
 * the request's memo (src/graphql/types/loan-access.ts), synchronously once the request knows them. Only
 * `payoffQuote` (an argument, `@Authorized`) stays a type-graphql field resolver (LoanResolver).
 *
 * Every function-valued field is marked `@Extensions({ callable: true })`: the compiled executor
 * (src/graphql/executor.ts) calls only marked fields' functions, and reads every other field as a plain property.
 *
 * A `LoanObject` is made once per loan view and request (`CreditViewObject` keeps them), so a loan that
 * appears under both `Borrower.loans` and `Borrower.creditView.loans` is one object, its schedule, repayments
 * and disbursements made once.
 */
import { Extensions, Field, ID, Int, ObjectType } from 'type-graphql';
import { installmentOutstanding, nextInstallment } from '../../domain/credit';
import { type Arrears, collectibility } from '../../domain/delinquency';
import type { LoanBalances, ReconciliationIssue, ReportedInstallmentState } from '../../domain/ledger';
import { lastPayment, type LoanView, paidInYear, type RepaymentView, type ViewInstallment } from '../../domain/loan-view';
import type { PayoffQuote } from '../../domain/payoff';
import type { Freshness } from '../../domain/freshness';
import type { LocalDate } from '../../domain/dates';
import { formatPercent } from '../../domain/money';
import type { Disbursement, Installment } from '../../domain/types';
import type { GraphQLContext } from '../context';
import { checkScopes, ProviderPartError } from '../errors';
import { toGlobalId } from '../ids';
import { DateScalar, DateTimeScalar } from '../scalars';
import {
  BankChannelEnum,
  DisbursementStatusEnum,
  FrequencyEnum,
  InstallmentStatusEnum,
  LoanStatusEnum,
  LoanTypeEnum,
  FreshnessSourceEnum,
  ProviderEnum,
  QualityClassEnum,
  RatePeriodEnum,
  ReconciliationIssueKindEnum,
  RepaymentStatusEnum,
  ScheduleSourceEnum,
  TenorUnitEnum,
} from './enums';
import { BorrowerObject } from './borrower.type';
import { after, borrowerById, requireDomain } from './loan-access';
import { MoneyObject } from './money.type';
import { RepaymentAccountObject } from './repayment-account.type';
import { Node } from './node.type';
import { Connection } from './connection.type';

/** Scopes of the payoff figures (outstanding amounts, amounts paid). */
const PAYOFF: readonly string[] = ['payoff:read'];

/**
 * A field restricted to `payoff:read`, as graphql-js's default resolver calls a function-valued property:
 * `(args, context, info)` with `this` the object. The value, or a rejected promise when refused.
 */
export type PayoffField<T> = (this: unknown, args: unknown, ctx: GraphQLContext) => T | Promise<never>;

/**
 * A `payoff:read` field whose value `value(object)` gives: checks the request's scopes when the field resolves
 * (what `@Authorized('payoff:read')` does), then computes the value, synchronously.
 * @returns the value; a promise rejected with ForbiddenError (FORBIDDEN) when the request's token does not hold
 *   `payoff:read`. Refused asynchronously, as `@Authorized` refuses: these fields are non-null, and graphql-js
 *   stops resolving an object's other fields when a non-null one throws synchronously, so a synchronous throw
 *   would drop the other fields' errors and access records that a refusal leaves in place.
 */
function payoffField<O, T>(value: (o: O) => T): PayoffField<T> {
  return function (this: unknown, _args: unknown, ctx: GraphQLContext): T | Promise<never> {
    try {
      checkScopes(ctx.scope.client.scopes, PAYOFF);
    } catch (e) {
      return Promise.reject(e);
    }
    return value(this as O);
  };
}

const installmentAmountPaid = payoffField((o: InstallmentObject) => MoneyObject.of(o.i.amountPaid));
const installmentOutstandingAmount = payoffField((o: InstallmentObject) => MoneyObject.of(installmentOutstanding(o.i)));
const installmentPendingAmount = payoffField((o: InstallmentObject) => MoneyObject.of(o.i.pendingAmount ?? 0n));
const reportAmountPaid = payoffField((o: InstallmentReportObject) => (o.r.paidAmount === null ? null : MoneyObject.of(o.r.paidAmount)));
const loanOutstandingBalance = payoffField((o: LoanObject) => new OutstandingBalanceObject(o.view.balances));
const loanOverdueAmount = payoffField((o: LoanObject) => MoneyObject.of(o.view.arrears.overdueAmount));
const arrearsAmount = payoffField((o: ArrearsObject) => MoneyObject.of(o.a.overdueAmount));
const arrearsPrincipal = payoffField((o: ArrearsObject) => MoneyObject.of(o.a.principal));
const arrearsInterest = payoffField((o: ArrearsObject) => MoneyObject.of(o.a.interest));

@ObjectType('Arrears', {
  simpleResolvers: true,
  description:
    'What is past due (src/domain/delinquency.ts): installments unpaid after their due date (late from the day after it, Jakarta), from cleared money only. Of one loan, one provider or the whole credit view (amounts added up, the oldest due date, the largest DPD).',
})
export class ArrearsObject {
  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Unpaid amount of installments past their due date (principal + interest). Needs `payoff:read`.' })
  readonly amount: PayoffField<MoneyObject> = arrearsAmount;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Of amount, unpaid principal (cleared money applied interest first within each installment). Needs `payoff:read`.' })
  readonly principal: PayoffField<MoneyObject> = arrearsPrincipal;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Of amount, unpaid scheduled interest. Needs `payoff:read`.' })
  readonly interest: PayoffField<MoneyObject> = arrearsInterest;

  @Field(() => DateScalar, { simple: true, nullable: true, description: 'Due date (Jakarta) of the oldest installment unpaid past its due date; null when nothing is late.' })
  readonly oldestDueDate: LocalDate | null;

  @Field(() => Int, { simple: true, description: 'Days past due: Jakarta calendar days from oldestDueDate to today (0 when nothing is late); across loans, the largest.' })
  readonly daysPastDue: number;

  @Field(() => QualityClassEnum, { simple: true, description: 'OJK quality class of daysPastDue (POJK 10/2022).' })
  readonly qualityClass: string;

  @Field(() => Int, { simple: true, description: 'OJK collectibility (kolektibilitas) 1-5 of qualityClass, as SLIK reports it: 1 LANCAR ... 5 MACET.' })
  readonly collectibility: number;

  constructor(readonly a: Arrears) {
    this.oldestDueDate = a.oldestDueDate;
    this.daysPastDue = a.dpd;
    this.qualityClass = a.class;
    this.collectibility = collectibility(a.class);
  }
}

@ObjectType('InterestRate', { simpleResolvers: true, description: 'A flat interest rate as the provider quotes it.' })
export class InterestRateObject {
  @Field(() => String, { description: 'Percentage as a decimal string ("24" = 24%). Cairin `annualRatePct`, Finfra `interest_rate`, Dompet Kilat `references.interest`.' })
  percent!: string;

  @Field(() => RatePeriodEnum, { description: 'YEAR for Cairin, MONTH for Finfra and Dompet Kilat.' })
  period!: string;
}

@ObjectType('Tenor', { simpleResolvers: true, description: 'Length of a loan with its unit (Cairin `tenorDays`, Finfra `tenor`+`tenor_unit`/frequency, Dompet Kilat `tenor`+`unit`).' })
export class TenorObject {
  @Field(() => Int, { description: 'How many units.' })
  value!: number;

  @Field(() => TenorUnitEnum, { description: 'The unit of value.' })
  unit!: string;
}

@ObjectType('InstallmentReport', { description: "An installment's state as the provider last reported it by event (Finfra `bnpl` callback). Shown beside the installment, never taken as payment: only cleared money pays an installment; a report counting more as paid than cleared money pays raises INSTALLMENT_STATUS_WITHOUT_PAYMENT." })
export class InstallmentReportObject {
  @Field(() => InstallmentStatusEnum, { simple: true, description: 'The status the provider reported (Finfra `bnpl` `status`: UNPAID -> DUE, PARTIAL -> PARTIALLY_PAID, PAID, OVERDUE).' })
  readonly status: string;

  @Field(() => DateTimeScalar, { simple: true, description: "The report's time: Finfra `updated_at` when the callback gives it, else when Satu Kredit received the callback." })
  readonly reportedAt: Date;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, nullable: true, description: 'Amount the provider says was paid on the installment (Finfra `paid_amount`), integer rupiah; null when it gave none. Not cleared money: never counted in amountPaid. Needs `payoff:read`.' })
  readonly amountPaid: PayoffField<MoneyObject | null> = reportAmountPaid;

  /** @param r the provider's latest report of the installment. */
  constructor(readonly r: ReportedInstallmentState) {
    this.status = r.status;
    this.reportedAt = r.reportedAt;
  }
}

@ObjectType('Installment', { description: 'One scheduled payment (Cairin `installments[]`, Finfra `installments[]`, reconstructed for Dompet Kilat). Status and paid amount are derived from the ledger.' })
export class InstallmentObject {
  @Field(() => Int, { simple: true, description: '1-based sequence number (`seq`, `installment_number`).' })
  readonly seq: number;

  @Field(() => DateScalar, { simple: true, description: 'Due date, Jakarta calendar date.' })
  readonly dueDate: LocalDate;

  @Field(() => MoneyObject, { simple: true, description: 'Principal part.' })
  readonly principal: MoneyObject;

  @Field(() => MoneyObject, { simple: true, description: 'Interest part.' })
  readonly interest: MoneyObject;

  @Field(() => MoneyObject, { simple: true, description: 'Amount due: principal + interest (`amountDue`, `total_amount`).' })
  readonly amountDue: MoneyObject;

  @Field(() => InstallmentStatusEnum, { simple: true, description: 'Derived from cleared money and the due date (Jakarta), not the provider\'s word (see providerReport).' })
  readonly status: string;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Cleared money applied to this installment (`amountPaid`, `paid_amount`). Needs `payoff:read` (with amountDue it gives the outstanding).' })
  readonly amountPaid: PayoffField<MoneyObject> = installmentAmountPaid;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Still owed on this installment: amountDue - amountPaid. Needs `payoff:read`.' })
  readonly outstanding: PayoffField<MoneyObject> = installmentOutstandingAmount;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Money received for this installment but not yet confirmed by bank settlement. Needs `payoff:read`.' })
  readonly pendingAmount: PayoffField<MoneyObject> = installmentPendingAmount;

  @Field(() => InstallmentReportObject, {
    simple: true,
    nullable: true,
    description:
      "The provider's latest event report of this installment (Finfra `bnpl` callback: status, time, paid amount); null when it sent none. `status` and `amountPaid` above stay derived from cleared money.",
  })
  readonly providerReport: InstallmentReportObject | null;

  /** @param i the derived installment (amounts integer rupiah), with the provider's latest event report of it. */
  constructor(readonly i: ViewInstallment) {
    this.providerReport = i.reported ? new InstallmentReportObject(i.reported) : null;
    this.seq = i.seq;
    this.dueDate = i.dueDate;
    this.principal = MoneyObject.of(i.principal);
    this.interest = MoneyObject.of(i.interest);
    this.amountDue = MoneyObject.of(i.amountDue);
    this.status = i.status;
  }
}

@ObjectType('Repayment', {
  implements: Node,
  simpleResolvers: true,
  description:
    'Money received from the borrower (Cairin history rows of type repayment, Finfra `payments[]`, Dompet Kilat repayment callbacks). A Node: `node(id:)` answers it under a consent covering the provider and REPAYMENTS.',
})
export class RepaymentObject implements Node {
  readonly __typename = 'Repayment';

  @Field(() => ID, { description: 'Opaque global id of the repayment (its loan and transaction id); pass to `node(id:)`.' })
  readonly id: string;

  @Field(() => String, { description: "Provider's transaction id (Cairin `txnId`, Finfra `payment_id`, Dompet Kilat `transactionId`)." })
  readonly transactionId: string;

  @Field(() => MoneyObject, { description: 'Amount paid: `{ amount: String (integer rupiah), currency }` (Cairin `amount`, Finfra `amount`, Dompet Kilat `amount`).' })
  readonly amount: MoneyObject;

  @Field(() => BankChannelEnum, { description: 'The bank the money came through (OTHER when the provider names none of the listed banks).' })
  readonly channel: string;

  @Field(() => RepaymentStatusEnum, { description: 'PENDING until the bank settlement (SNAP payment notification) confirms it, then CLEARED; FAILED when rejected.' })
  readonly status: string;

  @Field(() => DateTimeScalar, { description: 'When the borrower paid.' })
  readonly paidAt: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the bank settlement confirmed it; null while PENDING.' })
  readonly clearedAt: Date | null;

  @Field(() => Boolean, { description: "PENDING for longer than its bank channel's expected settlement lag (configuration, per bank)." })
  readonly settlementOverdue: boolean;

  /** @param accountId, providerLoanId the loan's keys (its global id's parts). */
  constructor(r: RepaymentView, accountId: string, providerLoanId: string) {
    this.id = toGlobalId('Repayment', accountId, providerLoanId, r.id);
    this.transactionId = r.id;
    this.amount = MoneyObject.of(r.amount);
    this.channel = r.channel;
    this.status = r.status;
    this.paidAt = r.paidAt;
    this.clearedAt = r.clearedAt;
    this.settlementOverdue = r.settlementOverdue;
  }
}

@ObjectType('LastPayment', { simpleResolvers: true, description: "The loan's latest cleared repayment (Plaid Liabilities last_payment_amount and last_payment_date)." })
export class LastPaymentObject {
  @Field(() => MoneyObject, { description: 'Amount of that repayment.' })
  readonly amount: MoneyObject;

  @Field(() => DateScalar, { description: 'Jakarta date the borrower paid it.' })
  readonly date: LocalDate;

  constructor(amount: bigint, date: LocalDate) {
    this.amount = MoneyObject.of(amount);
    this.date = date;
  }
}

@ObjectType('PaidInYear', {
  simpleResolvers: true,
  description: 'Principal and interest that cleared repayments paid in one Jakarta calendar year, by the date the borrower paid (Plaid Liabilities ytd_principal_paid and ytd_interest_paid).',
})
export class PaidInYearObject {
  @Field(() => Int, { description: 'The calendar year (Asia/Jakarta).' })
  readonly year: number;

  @Field(() => MoneyObject, { description: 'Principal paid in that year (money applied oldest installment first, interest first within each).' })
  readonly principal: MoneyObject;

  @Field(() => MoneyObject, { description: 'Interest paid in that year.' })
  readonly interest: MoneyObject;

  constructor(year: number, principal: bigint, interest: bigint) {
    this.year = year;
    this.principal = MoneyObject.of(principal);
    this.interest = MoneyObject.of(interest);
  }
}

@ObjectType('Disbursement', {
  implements: Node,
  simpleResolvers: true,
  description:
    'Money sent to the borrower (Cairin `disbursement`/history, Finfra `disbursement`, Dompet Kilat disbursement callbacks). A Node: `node(id:)` answers it under a consent covering the provider and DISBURSEMENTS.',
})
export class DisbursementObject implements Node {
  readonly __typename = 'Disbursement';

  @Field(() => ID, { description: 'Opaque global id of the disbursement (its loan and transaction id); pass to `node(id:)`.' })
  readonly id: string;

  @Field(() => String, { description: "Provider's transaction id (Cairin history `txnId`, Dompet Kilat `transactionId`; Finfra gives none: `<loanUniqueId>:disbursement`, one per loan)." })
  readonly transactionId: string;

  @Field(() => MoneyObject, { description: 'Amount sent: `{ amount: String (integer rupiah), currency }`.' })
  readonly amount: MoneyObject;

  @Field(() => BankChannelEnum, { description: 'The bank the money went through (OTHER when the provider names none of the listed banks).' })
  readonly channel: string;

  @Field(() => DisbursementStatusEnum, { description: 'Where the transfer stands.' })
  readonly status: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the money was sent (Cairin `ts`, Finfra `disbursed_at`; Dompet Kilat: when Satu Kredit received the disbursement callback, which carries no time); null when unknown.' })
  readonly disbursedAt: Date | null;

  /** @param accountId, providerLoanId the loan's keys (its global id's parts). */
  constructor(d: Disbursement, accountId: string, providerLoanId: string) {
    this.id = toGlobalId('Disbursement', accountId, providerLoanId, d.id);
    this.transactionId = d.id;
    this.amount = MoneyObject.of(d.amount);
    this.channel = d.channel;
    this.status = d.status;
    this.disbursedAt = d.disbursedAt;
  }
}

@ObjectType('Freshness', { simpleResolvers: true, description: 'How fresh provider data is: when it was fetched, from where, and whether it is stale.' })
export class FreshnessObject {
  @Field(() => DateTimeScalar, { description: 'When the data was last fetched from the provider or changed by an event.' })
  readonly fetchedAt: Date;

  @Field(() => Int, { description: 'Seconds since the provider was last read.' })
  readonly ageSeconds: number;

  @Field(() => FreshnessSourceEnum, { description: 'Where the data came from: read live, the fresh cached copy, or the cached copy updated by events.' })
  readonly source: string;

  @Field(() => Boolean, { description: 'True when served although older than the freshness policy or the requested maxAgeSeconds, because the provider could not answer.' })
  readonly stale: boolean;

  constructor(f: Freshness) {
    this.fetchedAt = f.fetchedAt;
    this.ageSeconds = f.ageSeconds;
    this.source = f.source;
    this.stale = f.stale;
  }
}

@ObjectType('OutstandingBalance', { simpleResolvers: true, description: 'What is still owed on a loan, split. Counts cleared money only; pending (unsettled) money is shown separately and not deducted.' })
export class OutstandingBalanceObject {
  @Field(() => MoneyObject, { description: 'Unpaid principal (payments are applied to interest first within each installment).' })
  readonly principal: MoneyObject;

  @Field(() => MoneyObject, { description: 'Unpaid scheduled interest.' })
  readonly interest: MoneyObject;

  @Field(() => MoneyObject, { description: 'Late fees owed (none of the three providers reports late fees; zero until one does).' })
  readonly lateFees: MoneyObject;

  @Field(() => MoneyObject, { description: 'Repayments received but not yet confirmed by bank settlement (not deducted from total).' })
  readonly pending: MoneyObject;

  @Field(() => MoneyObject, { description: 'principal + interest + lateFees.' })
  readonly total: MoneyObject;

  constructor(b: LoanBalances) {
    this.principal = MoneyObject.of(b.principal);
    this.interest = MoneyObject.of(b.interest);
    this.lateFees = MoneyObject.of(b.lateFees);
    this.pending = MoneyObject.of(b.pending);
    this.total = MoneyObject.of(b.total);
  }
}

@ObjectType('ReconciliationIssue', { simpleResolvers: true, description: "A place where the provider's schedule, the payments and the running balance do not agree." })
export class ReconciliationIssueObject {
  @Field(() => ReconciliationIssueKindEnum, { description: 'What disagrees (see the values).' })
  readonly kind: string;

  @Field(() => String, { description: 'The discrepancy in English with its figures, for people (do not parse it).' })
  readonly message: string;

  @Field(() => MoneyObject, { nullable: true, description: 'The amount at issue, integer rupiah (see the kind); null when the issue is not an amount.' })
  readonly amount: MoneyObject | null;

  constructor(i: ReconciliationIssue) {
    this.kind = i.kind;
    this.message = i.message;
    this.amount =
      'amount' in i
        ? MoneyObject.of(i.amount)
        : i.kind !== 'PROVIDER_TOTAL_MISMATCH' || i.field === 'amountPaid'
          ? MoneyObject.of(i.expected > i.actual ? i.expected - i.actual : i.actual - i.expected)
          : null;
  }
}

@ObjectType('PayoffQuote', {
  simpleResolvers: true,
  description:
    "The amount that closes the loan if paid on `asOf` (src/domain/payoff.ts, FLAT_ACCRUED): the unpaid principal, interest due and accrued to `asOf` under the provider's flat convention, and late fees, with money awaiting bank settlement shown apart. Integer rupiah.",
})
export class PayoffQuoteObject {
  @Field(() => DateScalar, { description: 'Jakarta date the quote is for (the day the payoff would be paid).' })
  readonly asOf: string;

  @Field(() => DateScalar, { description: 'Last Jakarta date the quote is good for: the day it is quoted for, as interest and late fees accrue daily.' })
  readonly goodThrough: string;

  @Field(() => DateScalar, { description: 'The same date as goodThrough.', deprecationReason: 'Use goodThrough (the same date).' })
  readonly expiresOn: string;

  @Field(() => MoneyObject, { description: 'Unpaid principal of the schedule (cleared money applied interest first within each installment; interest paid ahead of its period credited).' })
  readonly principal: MoneyObject;

  @Field(() => MoneyObject, {
    description:
      "Interest owed on asOf under the provider's flat convention: unpaid interest of installments due by asOf, plus the current period pro rata by days; after maturity, all unpaid scheduled interest (flat interest stops at maturity).",
  })
  readonly interest: MoneyObject;

  @Field(() => MoneyObject, { description: 'Late fees owed on asOf. None of the three providers reports late fees today, so this is 0.' })
  readonly lateFees: MoneyObject;

  @Field(() => MoneyObject, { description: 'principal + interest + lateFees: the amount that closes the loan on asOf.' })
  readonly total: MoneyObject;

  @Field(() => MoneyObject, { description: 'Money received for the loan but not yet confirmed by bank settlement: not subtracted from total; once it clears, the payoff falls by it.' })
  readonly pending: MoneyObject;

  constructor(q: PayoffQuote) {
    this.asOf = q.asOf;
    this.goodThrough = q.goodThrough;
    this.expiresOn = q.expiresOn;
    this.principal = MoneyObject.of(q.principal);
    this.interest = MoneyObject.of(q.interest);
    this.lateFees = MoneyObject.of(q.lateFees);
    this.total = MoneyObject.of(q.total);
    this.pending = MoneyObject.of(q.pending);
  }
}

/**
 * A field of the loan that needs the request (its consent decisions, its borrower objects), as graphql-js's
 * default resolver calls a function-valued property: `(args, context, info)` with `this` the loan.
 */
export type LoanField<T> = (this: LoanObject, args: unknown, ctx: GraphQLContext) => T | Promise<T>;

const loanInstallments: LoanField<InstallmentObject[]> = function (_args, ctx) {
  return after(requireDomain(ctx, this, 'INSTALLMENTS'), () => this.schedule());
};

const loanNextInstallment: LoanField<InstallmentObject | null> = function (_args, ctx) {
  return after(requireDomain(ctx, this, 'INSTALLMENTS'), () => this.next());
};

const loanRepayments: LoanField<RepaymentObject[]> = function (_args, ctx) {
  return after(requireDomain(ctx, this, 'REPAYMENTS'), () => {
    const f = this.view.repaymentsFailure;
    if (f) throw new ProviderPartError(this.loan.provider, f.code as never, f.message);
    return this.repaymentObjects();
  });
};

const loanDisbursements: LoanField<DisbursementObject[]> = function (_args, ctx) {
  return after(requireDomain(ctx, this, 'DISBURSEMENTS'), () => {
    const f = this.view.disbursementsFailure;
    if (f) throw new ProviderPartError(this.loan.provider, f.code as never, f.message);
    return this.disbursementObjects();
  });
};

const loanLastPayment: LoanField<LastPaymentObject | null> = function (_args, ctx) {
  return after(requireDomain(ctx, this, 'REPAYMENTS'), () => {
    const p = lastPayment(this.view);
    return p ? new LastPaymentObject(p.amount, p.date) : null;
  });
};

const loanRepaymentAccount: LoanField<RepaymentAccountObject | null> = function (_args, ctx) {
  // Read with the loan (LOANS), shown behind REPAYMENTS: the same gate, decision and access record as `repayments`.
  return after(requireDomain(ctx, this, 'REPAYMENTS'), () => {
    const a = this.loan.repaymentAccount;
    return a ? new RepaymentAccountObject(a) : null;
  });
};

const loanPaidThisYear: LoanField<PaidInYearObject | null> = function (_args, ctx) {
  return after(requireDomain(ctx, this, 'REPAYMENTS'), () => {
    const p = paidInYear(this.view, this.today);
    return p ? new PaidInYearObject(p.year, p.principal, p.interest) : null;
  });
};

const loanArrears: LoanField<ArrearsObject> = function () {
  return new ArrearsObject(this.view.arrears);
};

const loanBorrower: LoanField<BorrowerObject> = function (_args, ctx) {
  if (this.borrowerObject) return this.borrowerObject;
  const b = borrowerById(ctx, this.borrowerId);
  if (!(b instanceof Promise)) this.borrowerObject = b;
  return b;
};

@ObjectType('Loan', { implements: Node, description: 'One credit agreement at one provider, normalized and reconciled against the ledger.' })
export class LoanObject implements Node {
  readonly __typename = 'Loan';
  readonly loan: LoanView['loan'];
  // Made on first use (a LoanObject serves every place its loan appears in a request).
  private installmentObjects?: InstallmentObject[];
  private nextObject?: InstallmentObject | null;
  private repaymentList?: RepaymentObject[];
  private disbursementList?: DisbursementObject[];
  /** The loan's borrower object in this request, once known (see `borrowerById`). */
  borrowerObject?: BorrowerObject;
  /** Domains already allowed for this loan in this request (`LoanRef.allowedDomains`, kept by `requireDomain`). */
  allowedDomains = 0;

  @Field(() => ID, { simple: true, description: 'Opaque global id of the loan (pass to `loan(id:)` or `node(id:)`).' })
  readonly id: string;

  @Field(() => ProviderEnum, { simple: true, description: 'The provider the loan is at.' })
  readonly provider: string;

  @Field(() => String, { simple: true, description: "The provider's loan id: Cairin `loanId`, Finfra `loanUniqueId`, Dompet Kilat `contractNo` (its callbacks' `loanCode`)." })
  readonly providerLoanId: string;

  @Field(() => LoanTypeEnum, { simple: true, description: 'Single payment or installments (Finfra `type`; Cairin loans are installment loans; Dompet Kilat by `unit`).' })
  readonly type: string;

  @Field(() => LoanStatusEnum, {
    simple: true,
    description:
      "The provider's status, moved forward by events (never back) and to PAID_OFF when cleared money covers the schedule. CLOSED_WITH_BALANCE when the provider closed the loan or marked it repaid while cleared money does not cover the schedule: it still owes (outstanding, days past due and quality class as for ACTIVE), with a reconciliation issue saying why.",
  })
  readonly status: string;

  @Field(() => MoneyObject, { simple: true, description: 'Amount lent (Cairin `principal`, Finfra `amount`, Dompet Kilat `loanData.amount`).' })
  readonly principal: MoneyObject;

  @Field(() => Int, { simple: true, description: "Days past due: Jakarta calendar days since the oldest unpaid installment's due date (0 when none is late)." })
  readonly daysPastDue: number;

  @Field(() => QualityClassEnum, { simple: true, description: 'OJK quality class from days past due (POJK 10/2022).' })
  readonly qualityClass: string;

  @Field(() => Int, { simple: true, description: 'OJK collectibility (kolektibilitas) 1-5 of qualityClass, as SLIK reports it beside the P2P quality class: 1 LANCAR, 2 DALAM_PERHATIAN_KHUSUS, 3 KURANG_LANCAR, 4 DIRAGUKAN, 5 MACET.' })
  readonly collectibility: number;

  @Field(() => [ReconciliationIssueObject], { simple: true, description: 'Mismatches between schedule, payments and running balance found by the ledger.' })
  readonly reconciliationIssues: ReconciliationIssueObject[];

  @Field(() => InterestRateObject, { simple: true, nullable: true, description: 'The flat interest rate as the provider quotes it; null when it gives none.' })
  readonly rate: InterestRateObject | null;

  @Field(() => TenorObject, { simple: true, description: 'Length of the loan with its unit.' })
  readonly tenor: TenorObject;

  @Field(() => FrequencyEnum, { simple: true, nullable: true, description: 'Installment frequency; null for single-payment loans.' })
  readonly frequency: string | null;

  @Field(() => DateScalar, { simple: true, nullable: true, description: 'Date the money was disbursed (Jakarta); null before disbursement.' })
  readonly disbursedOn: LocalDate | null;

  @Field(() => DateScalar, { simple: true, nullable: true, description: 'Due date of the last installment.' })
  readonly maturityDate: LocalDate | null;

  @Field(() => DateScalar, {
    simple: true,
    nullable: true,
    description:
      "Jakarta date the credit agreement was made (SLIK's origination date): Dompet Kilat `loanData.contractDate`, Finfra `created_at` and Cairin `appliedAt` of the loan list; null when the provider gives none (or the loan was cached before it was read).",
  })
  readonly originatedOn: LocalDate | null;

  @Field(() => DateScalar, {
    simple: true,
    nullable: true,
    description:
      "Jakarta date the loan's current `status` took effect (SLIK's tanggal kondisi beside the condition). First that applies: ACTIVE -> disbursedOn (Cairin disbursement `ts`, Finfra `disbursed_at`, Dompet Kilat `contractDate`); PENDING -> originatedOn; PAID_OFF by cleared money -> the payment date of the cleared repayment that completed the schedule; else the day the provider's event reporting the status was received (Finfra `loan` callback, Dompet Kilat callbacks, which carry no status time; for CLOSED_WITH_BALANCE the CLOSED or repaid report). Null when neither the provider's data nor an event dates it (e.g. a loan read CLOSED or REJECTED).",
  })
  readonly conditionSince: LocalDate | null;

  @Field(() => ScheduleSourceEnum, { simple: true, description: 'Whether the installments are the provider\'s own or rebuilt from the terms.' })
  readonly scheduleSource: string;

  @Field(() => FreshnessObject, { simple: true, description: 'When and from where this loan was read, and whether it is stale.' })
  readonly freshness: FreshnessObject;

  @Extensions({ callable: true })
  @Field(() => OutstandingBalanceObject, { simple: true, description: 'Still owed, split into principal, interest, late fees, and pending money. Zero unless the loan owes (ACTIVE or CLOSED_WITH_BALANCE). Needs `payoff:read`.' })
  readonly outstanding: PayoffField<OutstandingBalanceObject> = loanOutstandingBalance;

  @Extensions({ callable: true })
  @Field(() => MoneyObject, { simple: true, description: 'Unpaid amount of installments past their due date. Needs `payoff:read`.' })
  readonly overdueAmount: PayoffField<MoneyObject> = loanOverdueAmount;

  @Extensions({ callable: true })
  @Field(() => ArrearsObject, { simple: true, description: "What is past due on this loan: amount split into principal and interest, the oldest unpaid due date, days past due. Zero unless the loan owes (ACTIVE or CLOSED_WITH_BALANCE)." })
  readonly arrears: LoanField<ArrearsObject> = loanArrears;

  @Extensions({ callable: true })
  @Field(() => [InstallmentObject], { simple: true, nullable: true, description: 'The installment schedule, by sequence. Needs a consent covering INSTALLMENTS; null with CONSENT_* otherwise.' })
  readonly installments: LoanField<InstallmentObject[]> = loanInstallments;

  @Extensions({ callable: true })
  @Field(() => InstallmentObject, {
    simple: true,
    nullable: true,
    description: 'The earliest-due installment with an unpaid amount (an overdue one comes first); null when nothing is owed. Needs a consent covering INSTALLMENTS.',
  })
  readonly nextInstallment: LoanField<InstallmentObject | null> = loanNextInstallment;

  @Extensions({ callable: true })
  @Field(() => BorrowerObject, { simple: true, description: 'The borrower the loan belongs to.' })
  readonly borrower: LoanField<BorrowerObject> = loanBorrower;

  @Extensions({ callable: true })
  @Field(() => [RepaymentObject], {
    simple: true,
    nullable: true,
    description: 'Repayments of this loan, newest first (Cairin transaction history, Finfra `payments[]`). Dompet Kilat reports repayments by callback only, so its list is empty until the ledger receives them. Null with an error when the provider failed. Needs a consent covering REPAYMENTS.',
    deprecationReason: 'Use repaymentsConnection',
  })
  readonly repayments: LoanField<RepaymentObject[]> = loanRepayments;

  @Extensions({ callable: true })
  @Field(() => LastPaymentObject, {
    simple: true,
    nullable: true,
    description: 'The latest cleared repayment (amount and Jakarta date); null when none has cleared. Needs a consent covering REPAYMENTS.',
  })
  readonly lastPayment: LoanField<LastPaymentObject | null> = loanLastPayment;

  @Extensions({ callable: true })
  @Field(() => PaidInYearObject, {
    simple: true,
    nullable: true,
    description:
      "Principal and interest paid this Jakarta calendar year (year to date) by cleared repayments; null when the installments are the provider's own (its repayments could not be read). Needs a consent covering REPAYMENTS.",
  })
  readonly paidThisYear: LoanField<PaidInYearObject | null> = loanPaidThisYear;

  @Extensions({ callable: true })
  @Field(() => RepaymentAccountObject, {
    simple: true,
    nullable: true,
    description:
      'The account the borrower pays this loan into: bank and number masked to its last 4 digits (Dompet Kilat `bankCode` and `paymentAccountNumber` of the loan). Null when the provider gives none (Cairin, Finfra, a Dompet Kilat loan not yet contracted, or a loan cached before it was read). Needs a consent covering REPAYMENTS; null with CONSENT_* otherwise.',
  })
  readonly repaymentAccount: LoanField<RepaymentAccountObject | null> = loanRepaymentAccount;

  @Extensions({ callable: true })
  @Field(() => [DisbursementObject], { simple: true, nullable: true, description: 'Disbursements of this loan (a loan has one or none: not a growing list). Null with an error when the provider failed. Needs a consent covering DISBURSEMENTS.' })
  readonly disbursements: LoanField<DisbursementObject[]> = loanDisbursements;

  constructor(
    readonly view: LoanView,
    readonly borrowerId: string,
    /** Jakarta "today" the derived figures (overdue, DPD) are computed for. */
    readonly today: LocalDate,
  ) {
    const loan = view.loan;
    this.loan = loan;
    this.id = toGlobalId('Loan', loan.accountId, loan.providerLoanId);
    this.provider = loan.provider;
    this.providerLoanId = loan.providerLoanId;
    this.type = loan.type;
    this.status = loan.status;
    this.principal = MoneyObject.of(loan.principal);
    this.daysPastDue = view.arrears.dpd;
    this.qualityClass = view.arrears.class;
    this.collectibility = collectibility(view.arrears.class);
    this.reconciliationIssues = view.issues.map((i) => new ReconciliationIssueObject(i));
    this.rate = loan.rate ? Object.assign(new InterestRateObject(), { percent: formatPercent(loan.rate.rate), period: loan.rate.period }) : null;
    this.tenor = Object.assign(new TenorObject(), loan.tenor);
    this.frequency = loan.frequency;
    this.disbursedOn = loan.disbursedOn;
    this.maturityDate = loan.maturityDate;
    this.originatedOn = loan.originatedOn ?? null;
    this.conditionSince = view.conditionSince ?? null;
    this.scheduleSource = loan.scheduleSource;
    this.freshness = new FreshnessObject(view.freshness ?? { fetchedAt: new Date(), ageSeconds: 0, source: 'LIVE', stale: false });
  }

  /** The installment schedule, by sequence (the `installments` field, behind the INSTALLMENTS consent domain). Made once; callers do not modify it. */
  schedule(): InstallmentObject[] {
    return (this.installmentObjects ??= this.loan.installments.map((i) => new InstallmentObject(i)));
  }

  /** The installment object of `i`: the one of `schedule()` when `i` is one of this loan's installments, else a new one. */
  installmentObject(i: Installment): InstallmentObject {
    return this.schedule().find((o) => o.i === i) ?? new InstallmentObject(i);
  }

  /** The next installment owed (the `nextInstallment` field, behind the INSTALLMENTS consent domain). */
  next(): InstallmentObject | null {
    if (this.nextObject !== undefined) return this.nextObject;
    const i = nextInstallment(this.loan);
    return (this.nextObject = i ? this.installmentObject(i) : null);
  }

  /** This loan's repayments, newest first (the `repayments` field, behind the REPAYMENTS consent domain). Made once. */
  repaymentObjects(): RepaymentObject[] {
    return (this.repaymentList ??= this.view.repayments.map((r) => new RepaymentObject(r, this.loan.accountId, this.loan.providerLoanId)));
  }

  /** This loan's disbursements (the `disbursements` field, behind the DISBURSEMENTS consent domain). Made once. */
  disbursementObjects(): DisbursementObject[] {
    return (this.disbursementList ??= (this.view.disbursements ?? []).map((d) => new DisbursementObject(d, this.loan.accountId, this.loan.providerLoanId)));
  }
}

export const { ConnectionType: LoanConnection, Edge: LoanEdge } = Connection('Loan', LoanObject, 'loan');
export type LoanConnection = InstanceType<typeof LoanConnection>;
export const { ConnectionType: RepaymentConnection, Edge: RepaymentEdge } = Connection('Repayment', RepaymentObject, 'repayment');
export type RepaymentConnection = InstanceType<typeof RepaymentConnection>;
