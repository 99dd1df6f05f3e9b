/**
 * GraphQL `RepaymentAccount`: the account a borrower pays a loan into (Plaid Liabilities' payment account), shown
 * on `Loan.repaymentAccount` behind the REPAYMENTS consent domain. Plain data (`simpleResolvers`): made only when
 * that field resolves. The number is masked before it reaches us (the connector masks it at parse time), so no
 * full account number exists to leak.
 */
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import type { RepaymentAccount } from '../../domain/types';
import { BankChannelEnum, enumOf } from './enums';

/** The domain's `RepaymentAccountKind` as a GraphQL enum. */
export const RepaymentAccountKindEnum = enumOf('VIRTUAL_ACCOUNT', 'BANK_ACCOUNT');
registerEnumType(RepaymentAccountKindEnum, {
  name: 'RepaymentAccountKind',
  description: 'Kind of account a borrower pays a loan into.',
  valuesConfig: {
    VIRTUAL_ACCOUNT: { description: 'A virtual account the lender\'s bank issued for the loan or borrower (Dompet Kilat `paymentAccountNumber`, "No VA untuk repayment").' },
    BANK_ACCOUNT: { description: 'An ordinary bank account of the lender. No provider gives one today.' },
  },
});

@ObjectType('RepaymentAccount', {
  simpleResolvers: true,
  description:
    'The account the borrower pays the loan into (Plaid Liabilities payment account): the bank and the number masked to its last 4 digits. Dompet Kilat gives it (`bankCode`, `paymentAccountNumber` of the loan); Cairin and Finfra reads give none.',
})
export class RepaymentAccountObject {
  @Field(() => RepaymentAccountKindEnum, { description: 'VIRTUAL_ACCOUNT for Dompet Kilat.' })
  readonly kind: string;

  @Field(() => BankChannelEnum, { description: "The bank (Dompet Kilat `bankCode`); OTHER when the provider's code is none of BCA, MANDIRI, BRI, BNI, then providerBankCode says which." })
  readonly bank: string;

  @Field(() => String, { nullable: true, description: 'The provider\'s own bank code as it sent it, upper-cased (e.g. "BNI", "PERMATA"); null when it sent none.' })
  readonly providerBankCode: string | null;

  @Field(() => String, {
    description:
      'The account number with every character but the last 4 replaced by "*" (e.g. "************0139"); entirely masked when shorter than 8 characters. The full number is never stored or returned.',
  })
  readonly accountNumberMasked: string;

  /** @param a the domain repayment account (number already masked). */
  constructor(a: RepaymentAccount) {
    this.kind = a.kind;
    this.bank = a.bank;
    this.providerBankCode = a.providerBankCode;
    this.accountNumberMasked = a.accountNumberMasked;
  }
}
