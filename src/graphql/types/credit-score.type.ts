/** A provider's credit score of a borrower and the borrower's profile at a provider (borrower type, KYC status). */
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { BorrowerProfile, StoredCreditScore } from '../../core/credit-score.service';
import { BORROWER_TYPES, CREDIT_SCORE_SOURCES, KYC_STATUSES, scoredOn } from '../../domain/credit-score';
import { DateScalar, DateTimeScalar } from '../scalars';
import { enumOf, ProviderEnum } from './enums';

export const BorrowerTypeEnum = enumOf(...BORROWER_TYPES);
registerEnumType(BorrowerTypeEnum, {
  name: 'BorrowerType',
  description: 'Who the borrower is at a provider (Finfra `borrower_type`); it decides the KYC documents the provider asks for.',
  valuesConfig: {
    PERSONAL: { description: 'A natural person (KYC: national identity card KTP and biometric verification).' },
    BUSINESS: { description: 'A registered legal entity (KYC: business registration documents and director identity verification).' },
  },
});

export const KycStatusEnum = enumOf(...KYC_STATUSES);
registerEnumType(KycStatusEnum, {
  name: 'KycStatus',
  description: "Where the borrower stands in the provider's KYC (Know Your Customer) onboarding (Finfra borrower `status`).",
  valuesConfig: {
    PENDING: { description: 'Created at the provider; KYC not yet started.' },
    VERIFIED: { description: 'KYC documents submitted and under review.' },
    APPROVED: { description: 'KYC passed: the borrower can receive loans.' },
    REJECTED: { description: 'KYC verification refused.' },
    BLOCKED: { description: 'Suspended from the platform: no loans until unblocked.' },
  },
});

export const CreditScoreSourceEnum = enumOf(...CREDIT_SCORE_SOURCES);
registerEnumType(CreditScoreSourceEnum, {
  name: 'CreditScoreSource',
  description: 'The credit data a score was computed from (Finfra `credit_source` / `credit-source`: afpi, clik, both).',
  valuesConfig: {
    AFPI: { description: "AFPI's fintech lending data centre (Finfra `afpi`)." },
    CLIK: { description: 'The credit bureau PT CLIK (Finfra `clik`).' },
    AFPI_CLIK: { description: 'Both AFPI and CLIK (Finfra `both`).' },
  },
});

@ObjectType('CreditScore', { description: "A provider's credit score of the borrower, the latest it sent per source (Finfra `user_credit_score` callback)." })
export class CreditScoreObject {
  @Field(() => ProviderEnum, { description: 'The provider that scored the borrower.' })
  readonly provider: string;

  @Field(() => Int, { description: 'The score as the provider gives it, an integer (Finfra `credit_score`; the provider documents no scale).' })
  readonly score: number;

  @Field(() => CreditScoreSourceEnum, { description: 'The credit data the score was computed from (Finfra `credit_source`).' })
  readonly source: string;

  @Field(() => DateTimeScalar, { description: 'When the provider computed the score (Finfra `scored_at`), an instant.' })
  readonly scoredAt: Date;

  @Field(() => DateScalar, { description: 'The Asia/Jakarta calendar date of `scoredAt`.' })
  readonly scoredOn: string;

  @Field(() => DateTimeScalar, { description: "When Satu Kredit stored the score from the provider's callback." })
  readonly receivedAt: Date;

  constructor(s: StoredCreditScore) {
    this.provider = s.provider;
    this.score = s.score;
    this.source = s.source;
    this.scoredAt = s.scoredAt;
    this.scoredOn = scoredOn(s);
    this.receivedAt = s.receivedAt;
  }
}

@ObjectType('ProviderProfile', { description: "The borrower as one provider knows them: type and KYC status, read live from the provider." })
export class ProviderProfileObject {
  @Field(() => ProviderEnum, { description: 'The provider this profile is from.' })
  readonly provider: string;

  @Field(() => BorrowerTypeEnum, { nullable: true, description: 'Natural person or legal entity (Finfra `borrower_type`); null where the provider gives none.' })
  readonly borrowerType: string | null;

  @Field(() => KycStatusEnum, { nullable: true, description: "The borrower's KYC status at the provider (Finfra borrower `status`); null where the provider gives none." })
  readonly kycStatus: string | null;

  constructor(p: BorrowerProfile) {
    this.provider = p.provider;
    this.borrowerType = p.borrowerType;
    this.kycStatus = p.kycStatus;
  }
}
