/**
 * GraphQL `Loan` and its parts. Wraps a normalized domain `Loan`; every amount
 * is integer rupiah as `Money`, every date a Jakarta `Date`.
 */
import { Authorized, Field, ID, Int, ObjectType } from 'type-graphql';
import {
  daysPastDue,
  installmentOutstanding,
  loanOutstanding,
  nextInstallment,
  overdueAmount,
  principalOutstanding,
} from '../../domain/credit';
import type { LocalDate } from '../../domain/dates';
import { formatPercent } from '../../domain/money';
import type { Disbursement, Installment, Loan, Repayment } from '../../domain/types';
import { toGlobalId } from '../ids';
import { DateScalar, DateTimeScalar } from '../scalars';
import {
  BankChannelEnum,
  DisbursementStatusEnum,
  FrequencyEnum,
  InstallmentStatusEnum,
  LoanStatusEnum,
  LoanTypeEnum,
  ProviderEnum,
  RatePeriodEnum,
  RepaymentStatusEnum,
  ScheduleSourceEnum,
  TenorUnitEnum,
} from './enums';
import { MoneyObject } from './money.type';
import { Node } from './node.type';

@ObjectType('InterestRate', { description: 'A flat interest rate as the provider quotes it.' })
export class InterestRateObject {
  @Field(() => String, { description: 'Percentage as a decimal string ("24" = 24%). Cairin `annualRatePct`, Finfra `interest_rate`, Dompet Kilat `references.interest`.' })
  percent!: string;

  @Field(() => RatePeriodEnum, { description: 'YEAR for Cairin, MONTH for Finfra and Dompet Kilat.' })
  period!: string;
}

@ObjectType('Tenor', { description: 'Length of a loan with its unit (Cairin `tenorDays`, Finfra `tenor`+`tenor_unit`/frequency, Dompet Kilat `tenor`+`unit`).' })
export class TenorObject {
  @Field(() => Int)
  value!: number;

  @Field(() => TenorUnitEnum)
  unit!: string;
}

@ObjectType('Installment', { description: 'One scheduled payment (Cairin `installments[]`, Finfra `installments[]`, reconstructed for Dompet Kilat).' })
export class InstallmentObject {
  constructor(private readonly i: Installment) {}

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

  @Field(() => MoneyObject, { description: 'Cleared money applied to this installment (`amountPaid`, `paid_amount`).' })
  get amountPaid(): MoneyObject {
    return MoneyObject.of(this.i.amountPaid);
  }

  @Field(() => MoneyObject, { description: 'Still owed on this installment: amountDue - amountPaid.' })
  get outstanding(): MoneyObject {
    return MoneyObject.of(installmentOutstanding(this.i));
  }

  @Field(() => InstallmentStatusEnum)
  get status(): string {
    return this.i.status;
  }
}

@ObjectType('Repayment', { description: 'Money received from the borrower (Cairin history rows of type repayment, Finfra `payments[]`).' })
export class RepaymentObject {
  constructor(private readonly r: Repayment) {}

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
}

@ObjectType('Disbursement', { description: 'Money sent to the borrower (Cairin `disbursement`/history, Finfra `disbursement`).' })
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

@ObjectType('Loan', { implements: Node, description: 'One credit agreement at one provider, normalized.' })
export class LoanObject implements Node {
  readonly __typename = 'Loan';

  constructor(
    readonly loan: Loan,
    readonly borrowerId: string,
    /** Jakarta "today" the derived figures (overdue, DPD) are computed for. */
    readonly today: LocalDate,
  ) {}

  @Field(() => ID)
  get id(): string {
    return toGlobalId('Loan', this.loan.accountId, this.loan.providerLoanId);
  }

  @Field(() => ProviderEnum)
  get provider(): string {
    return this.loan.provider;
  }

  @Field(() => String, { description: "The provider's loan id: Cairin `loanId`, Finfra `loanUniqueId`, Dompet Kilat `contractNo`." })
  get providerLoanId(): string {
    return this.loan.providerLoanId;
  }

  @Field(() => LoanTypeEnum)
  get type(): string {
    return this.loan.type;
  }

  @Field(() => LoanStatusEnum)
  get status(): string {
    return this.loan.status;
  }

  @Field(() => MoneyObject, { description: 'Amount lent (Cairin `principal`, Finfra `amount`, Dompet Kilat `loanData.amount`).' })
  get principal(): MoneyObject {
    return MoneyObject.of(this.loan.principal);
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Still owed (principal and scheduled interest) from the schedule and cleared payments; zero unless ACTIVE. Needs `payoff:read`.' })
  get outstanding(): MoneyObject {
    return MoneyObject.of(loanOutstanding(this.loan));
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Outstanding principal only (payments are applied to interest first). Needs `payoff:read`.' })
  get outstandingPrincipal(): MoneyObject {
    return MoneyObject.of(principalOutstanding(this.loan));
  }

  @Field(() => MoneyObject, { description: 'Unpaid amount of installments past their due date.' })
  get overdueAmount(): MoneyObject {
    return MoneyObject.of(overdueAmount(this.loan, this.today));
  }

  @Field(() => Int, { description: "Days past due: Jakarta calendar days since the oldest unpaid installment's due date (0 when none is late)." })
  get daysPastDue(): number {
    return daysPastDue(this.loan, this.today);
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
