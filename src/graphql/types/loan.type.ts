/**
 * GraphQL `Loan` and its parts. Wraps a normalized domain `Loan`; every amount
 * is integer rupiah as `Money`, every date a Jakarta `Date`.
 *
 * Types marked `simpleResolvers: true` (here, `Money` and `ScheduledPayment`) resolve their fields with
 * graphql-js's default resolver instead of type-graphql's wrapper: a credit view resolves thousands of them.
 * type-graphql then runs no middleware on those fields, `@Authorized` included, so the option is only on
 * types without `@Authorized` fields (their parent field carries the scope check where one is needed).
 */
import { Authorized, Field, ID, Int, ObjectType } from 'type-graphql';
import { installmentOutstanding, nextInstallment } from '../../domain/credit';
import type { LoanBalances, ReconciliationIssue } from '../../domain/ledger';
import type { LoanView, RepaymentView } from '../../domain/loan-view';
import type { PayoffQuote } from '../../domain/payoff';
import type { Freshness } from '../../domain/freshness';
import type { LocalDate } from '../../domain/dates';
import { formatPercent } from '../../domain/money';
import type { Disbursement, Installment } from '../../domain/types';
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
  RepaymentStatusEnum,
  ScheduleSourceEnum,
  TenorUnitEnum,
} from './enums';
import { MoneyObject } from './money.type';
import { Node } from './node.type';

@ObjectType('InterestRate', { simpleResolvers: true, description: 'A flat interest rate as the provider quotes it.' })
export class InterestRateObject {
  @Field(() => String, { description: 'Percentage as a decimal string ("24" = 24%). Cairin `annualRatePct`, Finfra `interest_rate`, Dompet Kilat `references.interest`.' })
  percent!: string;

  @Field(() => RatePeriodEnum, { description: 'YEAR for Cairin, MONTH for Finfra and Dompet Kilat.' })
  period!: string;
}

@ObjectType('Tenor', { simpleResolvers: true, description: 'Length of a loan with its unit (Cairin `tenorDays`, Finfra `tenor`+`tenor_unit`/frequency, Dompet Kilat `tenor`+`unit`).' })
export class TenorObject {
  @Field(() => Int)
  value!: number;

  @Field(() => TenorUnitEnum)
  unit!: string;
}

@ObjectType('Installment', { description: 'One scheduled payment (Cairin `installments[]`, Finfra `installments[]`, reconstructed for Dompet Kilat). Status and paid amount are derived from the ledger.' })
export class InstallmentObject {
  constructor(private readonly i: Installment & { pendingAmount?: bigint }) {}

  @Field(() => Int, { description: '1-based sequence number (`seq`, `installment_number`).' })
  get seq(): number {
    return this.i.seq;
  }

  @Field(() => DateScalar, { description: 'Due date, Jakarta calendar date.' })
  get dueDate(): LocalDate {
    return this.i.dueDate;
  }

  @Field(() => MoneyObject, { description: 'Principal part.' })
  get principal(): MoneyObject {
    return MoneyObject.of(this.i.principal);
  }

  @Field(() => MoneyObject, { description: 'Interest part.' })
  get interest(): MoneyObject {
    return MoneyObject.of(this.i.interest);
  }

  @Field(() => MoneyObject, { description: 'Amount due: principal + interest (`amountDue`, `total_amount`).' })
  get amountDue(): MoneyObject {
    return MoneyObject.of(this.i.amountDue);
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Cleared money applied to this installment (`amountPaid`, `paid_amount`). Needs `payoff:read` (with amountDue it gives the outstanding).' })
  get amountPaid(): MoneyObject {
    return MoneyObject.of(this.i.amountPaid);
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Still owed on this installment: amountDue - amountPaid. Needs `payoff:read`.' })
  get outstanding(): MoneyObject {
    return MoneyObject.of(installmentOutstanding(this.i));
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Money received for this installment but not yet confirmed by bank settlement. Needs `payoff:read`.' })
  get pendingAmount(): MoneyObject {
    return MoneyObject.of(this.i.pendingAmount ?? 0n);
  }

  @Field(() => InstallmentStatusEnum)
  get status(): string {
    return this.i.status;
  }
}

@ObjectType('Repayment', { simpleResolvers: true, description: 'Money received from the borrower (Cairin history rows of type repayment, Finfra `payments[]`).' })
export class RepaymentObject {
  constructor(private readonly r: RepaymentView) {}

  @Field(() => String, { description: "Provider's transaction id (`txnId`, `payment_id`)." })
  get transactionId(): string {
    return this.r.id;
  }

  @Field(() => MoneyObject)
  get amount(): MoneyObject {
    return MoneyObject.of(this.r.amount);
  }

  @Field(() => BankChannelEnum)
  get channel(): string {
    return this.r.channel;
  }

  @Field(() => RepaymentStatusEnum)
  get status(): string {
    return this.r.status;
  }

  @Field(() => DateTimeScalar, { description: 'When the borrower paid.' })
  get paidAt(): Date {
    return this.r.paidAt;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the bank settlement confirmed it; null while PENDING.' })
  get clearedAt(): Date | null {
    return this.r.clearedAt;
  }

  @Field(() => Boolean, { description: "PENDING for longer than its bank channel's expected settlement lag (configuration, per bank)." })
  get settlementOverdue(): boolean {
    return this.r.settlementOverdue;
  }
}

@ObjectType('Disbursement', { simpleResolvers: true, description: 'Money sent to the borrower (Cairin `disbursement`/history, Finfra `disbursement`).' })
export class DisbursementObject {
  constructor(private readonly d: Disbursement) {}

  @Field(() => String, { description: "Provider's transaction id." })
  get transactionId(): string {
    return this.d.id;
  }

  @Field(() => MoneyObject)
  get amount(): MoneyObject {
    return MoneyObject.of(this.d.amount);
  }

  @Field(() => BankChannelEnum)
  get channel(): string {
    return this.d.channel;
  }

  @Field(() => DisbursementStatusEnum)
  get status(): string {
    return this.d.status;
  }

  @Field(() => DateTimeScalar, { nullable: true })
  get disbursedAt(): Date | null {
    return this.d.disbursedAt;
  }
}

@ObjectType('Freshness', { simpleResolvers: true, description: 'How fresh provider data is: when it was fetched, from where, and whether it is stale.' })
export class FreshnessObject {
  constructor(private readonly f: Freshness) {}

  @Field(() => DateTimeScalar, { description: 'When the data was last fetched from the provider or changed by an event.' })
  get fetchedAt(): Date {
    return this.f.fetchedAt;
  }

  @Field(() => Int, { description: 'Seconds since the provider was last read.' })
  get ageSeconds(): number {
    return this.f.ageSeconds;
  }

  @Field(() => FreshnessSourceEnum)
  get source(): string {
    return this.f.source;
  }

  @Field(() => Boolean, { description: 'True when served although older than the freshness policy or the requested maxAgeSeconds, because the provider could not answer.' })
  get stale(): boolean {
    return this.f.stale;
  }
}

@ObjectType('OutstandingBalance', { simpleResolvers: true, description: 'What is still owed on a loan, split. Counts cleared money only; pending (unsettled) money is shown separately and not deducted.' })
export class OutstandingBalanceObject {
  constructor(private readonly b: LoanBalances) {}

  @Field(() => MoneyObject, { description: 'Unpaid principal (payments are applied to interest first within each installment).' })
  get principal(): MoneyObject {
    return MoneyObject.of(this.b.principal);
  }

  @Field(() => MoneyObject, { description: 'Unpaid scheduled interest.' })
  get interest(): MoneyObject {
    return MoneyObject.of(this.b.interest);
  }

  @Field(() => MoneyObject, { description: 'Late fees owed (none of the three providers reports late fees; zero until one does).' })
  get lateFees(): MoneyObject {
    return MoneyObject.of(this.b.lateFees);
  }

  @Field(() => MoneyObject, { description: 'Repayments received but not yet confirmed by bank settlement (not deducted from total).' })
  get pending(): MoneyObject {
    return MoneyObject.of(this.b.pending);
  }

  @Field(() => MoneyObject, { description: 'principal + interest + lateFees.' })
  get total(): MoneyObject {
    return MoneyObject.of(this.b.total);
  }
}

@ObjectType('ReconciliationIssue', { simpleResolvers: true, description: "A place where the provider's schedule, the payments and the running balance do not agree." })
export class ReconciliationIssueObject {
  constructor(private readonly i: ReconciliationIssue) {}

  @Field(() => String, { description: 'SCHEDULE_SUM_MISMATCH, INSTALLMENT_SPLIT_MISMATCH, PAYMENT_WITHOUT_INSTALLMENT, OVERPAYMENT or PROVIDER_TOTAL_MISMATCH.' })
  get kind(): string {
    return this.i.kind;
  }

  @Field(() => String)
  get message(): string {
    return this.i.message;
  }

  @Field(() => MoneyObject, { nullable: true, description: 'The amount at issue, when there is one.' })
  get amount(): MoneyObject | null {
    const i = this.i;
    if ('amount' in i) return MoneyObject.of(i.amount);
    if (i.kind !== 'PROVIDER_TOTAL_MISMATCH' || i.field === 'amountPaid') return MoneyObject.of(i.expected > i.actual ? i.expected - i.actual : i.actual - i.expected);
    return null;
  }
}

@ObjectType('PayoffQuote', { simpleResolvers: true, description: 'The amount that closes the loan if paid on `asOf`, with its breakdown.' })
export class PayoffQuoteObject {
  constructor(private readonly q: PayoffQuote) {}

  @Field(() => DateScalar, { description: 'Jakarta date the quote is for.' })
  get asOf(): string {
    return this.q.asOf;
  }

  @Field(() => DateScalar, { description: 'Last Jakarta date the quote is valid (the day it is quoted for: interest accrues daily).' })
  get expiresOn(): string {
    return this.q.expiresOn;
  }

  @Field(() => MoneyObject, { description: 'Outstanding principal.' })
  get principal(): MoneyObject {
    return MoneyObject.of(this.q.principal);
  }

  @Field(() => MoneyObject, { description: "Interest accrued to asOf under the provider's flat convention (unpaid interest of installments due by asOf, plus the current period pro-rata by days)." })
  get interest(): MoneyObject {
    return MoneyObject.of(this.q.interest);
  }

  @Field(() => MoneyObject)
  get lateFees(): MoneyObject {
    return MoneyObject.of(this.q.lateFees);
  }

  @Field(() => MoneyObject, { description: 'principal + interest + lateFees.' })
  get total(): MoneyObject {
    return MoneyObject.of(this.q.total);
  }
}

@ObjectType('Loan', { implements: Node, description: 'One credit agreement at one provider, normalized and reconciled against the ledger.' })
export class LoanObject implements Node {
  readonly __typename = 'Loan';
  readonly loan: LoanView['loan'];

  constructor(
    readonly view: LoanView,
    readonly borrowerId: string,
    /** Jakarta "today" the derived figures (overdue, DPD) are computed for. */
    readonly today: LocalDate,
  ) {
    this.loan = view.loan;
  }

  @Field(() => ID)
  get id(): string {
    return toGlobalId('Loan', this.loan.accountId, this.loan.providerLoanId);
  }

  @Field(() => ProviderEnum)
  get provider(): string {
    return this.loan.provider;
  }

  @Field(() => String, { description: "The provider's loan id: Cairin `loanId`, Finfra `loanUniqueId`, Dompet Kilat `contractNo` (its callbacks' `loanCode`)." })
  get providerLoanId(): string {
    return this.loan.providerLoanId;
  }

  @Field(() => LoanTypeEnum)
  get type(): string {
    return this.loan.type;
  }

  @Field(() => LoanStatusEnum, { description: "The provider's status, moved forward by events (never back) and to PAID_OFF when cleared money covers the schedule." })
  get status(): string {
    return this.loan.status;
  }

  @Field(() => MoneyObject, { description: 'Amount lent (Cairin `principal`, Finfra `amount`, Dompet Kilat `loanData.amount`).' })
  get principal(): MoneyObject {
    return MoneyObject.of(this.loan.principal);
  }

  @Authorized('payoff:read')
  @Field(() => OutstandingBalanceObject, { description: 'Still owed, split into principal, interest, late fees, and pending money. Zero unless ACTIVE. Needs `payoff:read`.' })
  get outstanding(): OutstandingBalanceObject {
    return new OutstandingBalanceObject(this.view.balances);
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Unpaid amount of installments past their due date. Needs `payoff:read`.' })
  get overdueAmount(): MoneyObject {
    return MoneyObject.of(this.view.arrears.overdueAmount);
  }

  @Field(() => Int, { description: "Days past due: Jakarta calendar days since the oldest unpaid installment's due date (0 when none is late)." })
  get daysPastDue(): number {
    return this.view.arrears.dpd;
  }

  @Field(() => QualityClassEnum, { description: 'OJK quality class from days past due (POJK 10/2022).' })
  get qualityClass(): string {
    return this.view.arrears.class;
  }

  @Field(() => [ReconciliationIssueObject], { description: 'Mismatches between schedule, payments and running balance found by the ledger.' })
  get reconciliationIssues(): ReconciliationIssueObject[] {
    return this.view.issues.map((i) => new ReconciliationIssueObject(i));
  }

  @Field(() => InterestRateObject, { nullable: true })
  get rate(): InterestRateObject | null {
    if (!this.loan.rate) return null;
    return Object.assign(new InterestRateObject(), { percent: formatPercent(this.loan.rate.rate), period: this.loan.rate.period });
  }

  @Field(() => TenorObject)
  get tenor(): TenorObject {
    return Object.assign(new TenorObject(), this.loan.tenor);
  }

  @Field(() => FrequencyEnum, { nullable: true, description: 'Installment frequency; null for single-payment loans.' })
  get frequency(): string | null {
    return this.loan.frequency;
  }

  @Field(() => DateScalar, { nullable: true, description: 'Date the money was disbursed (Jakarta); null before disbursement.' })
  get disbursedOn(): LocalDate | null {
    return this.loan.disbursedOn;
  }

  @Field(() => DateScalar, { nullable: true, description: 'Due date of the last installment.' })
  get maturityDate(): LocalDate | null {
    return this.loan.maturityDate;
  }

  @Field(() => ScheduleSourceEnum)
  get scheduleSource(): string {
    return this.loan.scheduleSource;
  }

  @Field(() => FreshnessObject, { description: 'When and from where this loan was read, and whether it is stale.' })
  get freshness(): FreshnessObject {
    return new FreshnessObject(this.view.freshness ?? { fetchedAt: new Date(), ageSeconds: 0, source: 'LIVE', stale: false });
  }

  /** The installment schedule (exposed by LoanResolver behind the INSTALLMENTS consent domain). */
  schedule(): InstallmentObject[] {
    return this.loan.installments.map((i) => new InstallmentObject(i));
  }

  /** The next installment owed (exposed by LoanResolver behind the INSTALLMENTS consent domain). */
  next(): InstallmentObject | null {
    const i = nextInstallment(this.loan);
    return i ? new InstallmentObject(i) : null;
  }
}
