import type { ProviderCode } from '../../domain/types';
/** Consent, its history, access-log entries, and the consent mutations' inputs and payloads. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Consent, ConsentEvent, AccessLog } from '../../generated/prisma/client';
import { DateTimeScalar } from '../scalars';
import { enumOf, ProviderEnum } from './enums';

export const ConsentStatusEnum = enumOf('PENDING', 'ACTIVE', 'PAUSED', 'REVOKED', 'EXPIRED');
registerEnumType(ConsentStatusEnum, {
  name: 'ConsentStatus',
  description: 'Consent lifecycle (Account Aggregator consent artefact). Only ACTIVE consents allow reads.',
  valuesConfig: {
    PENDING: { description: 'Granted, starting at `startsAt` in the future.' },
    ACTIVE: { description: 'Reads allowed.' },
    PAUSED: { description: 'Suspended by the client; no reads until resumed.' },
    REVOKED: { description: 'Withdrawn; a hard stop. Cached data under it is deleted.' },
    EXPIRED: { description: '`expiresAt` passed. Cached data under it is deleted.' },
  },
});

export const ConsentDomainEnum = enumOf('LOANS', 'INSTALLMENTS', 'REPAYMENTS', 'DISBURSEMENTS', 'IDENTITY');
registerEnumType(ConsentDomainEnum, {
  name: 'ConsentDomain',
  description: 'Kinds of data a consent covers.',
  valuesConfig: {
    LOANS: { description: 'Loan headers and balances.' },
    INSTALLMENTS: { description: 'Installment schedules.' },
    REPAYMENTS: { description: 'Repayments and their settlement.' },
    DISBURSEMENTS: { description: 'Disbursements.' },
    IDENTITY: { description: 'Name and NIK (masked unless the client has identity:read).' },
  },
});

@ObjectType('ConsentEvent', { description: 'One change of a consent.' })
export class ConsentEventObject {
  constructor(private readonly e: ConsentEvent) {}

  @Field(() => String, { description: 'GRANTED, PAUSED, RESUMED, REVOKED, EXPIRED or BORROWER_ERASED.' })
  get type(): string {
    return this.e.type;
  }

  @Field(() => ConsentStatusEnum, { description: 'Status after the change.' })
  get status(): string {
    return this.e.status;
  }

  @Field(() => String, { nullable: true, description: 'Client that made the change; null for system changes (expiry).' })
  get actor(): string | null {
    return this.e.actor;
  }

  @Field(() => String, { nullable: true })
  get reason(): string | null {
    return this.e.reason;
  }

  @Field(() => DateTimeScalar)
  get at(): Date {
    return this.e.at;
  }
}

@ObjectType('Consent', { description: "A borrower's permission for this API client to read some providers' data, for a purpose, until it expires. Revocable." })
export class ConsentObject {
  constructor(
    readonly c: Consent,
    /** Status in force now (time may have expired or started it). */
    private readonly effective: string,
  ) {}

  @Field(() => ID)
  get id(): string {
    return this.c.id;
  }

  @Field(() => ConsentStatusEnum, { description: 'Status in force now.' })
  get status(): string {
    return this.effective;
  }

  @Field(() => [ProviderEnum])
  get providers(): string[] {
    return this.c.providers;
  }

  @Field(() => [ConsentDomainEnum])
  get domains(): string[] {
    return this.c.domains;
  }

  @Field(() => String, { description: 'Why the client reads the data (shown to the borrower).' })
  get purpose(): string {
    return this.c.purpose;
  }

  @Field(() => DateTimeScalar)
  get startsAt(): Date {
    return this.c.startsAt;
  }

  @Field(() => DateTimeScalar)
  get expiresAt(): Date {
    return this.c.expiresAt;
  }

  @Field(() => Int, { description: 'How long data fetched under this consent may be kept, seconds.' })
  get dataLifeSeconds(): number {
    return this.c.dataLifeSeconds;
  }

  @Field(() => Int, { description: 'Least time between provider fetches, seconds (0 = no limit).' })
  get fetchIntervalSeconds(): number {
    return this.c.fetchIntervalSeconds;
  }
}

@ObjectType('UserError', { description: 'A business-rule failure of a mutation.' })
export class UserError {
  @Field(() => [String], { description: 'Path to the offending input field.' })
  field!: string[];

  @Field(() => String)
  message!: string;

  @Field(() => String, { description: 'Stable code, e.g. NOT_FOUND, INVALID_TRANSITION, ACCOUNT_MISMATCH.' })
  code!: string;
}

@ObjectType('ConsentPayload')
export class ConsentPayload {
  @Field(() => ConsentObject, { nullable: true })
  consent!: ConsentObject | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType('BorrowerIdentityInput', { description: 'Who is consenting.' })
export class BorrowerIdentityInput {
  @Field(() => String, { description: 'NIK (15-16 digits).' })
  nik!: string;

  @Field(() => String)
  fullName!: string;
}

@InputType('CairinAccountInput', { description: "The borrower's own Cairin login, used once to link; the PIN and images are never stored." })
export class CairinAccountInput {
  @Field(() => String)
  phoneNumber!: string;

  @Field(() => String)
  pin!: string;

  @Field(() => String)
  deviceId!: string;

  @Field(() => String, { nullable: true, description: 'Base64 KTP photo, only if Cairin asks for its one-time liveness check.' })
  ktpImage?: string;

  @Field(() => String, { nullable: true, description: 'Base64 selfie, only if Cairin asks for its one-time liveness check.' })
  selfieImage?: string;
}

@InputType('AccountLinkInput', { description: "The borrower's accounts to link, for the consented providers not linked yet." })
export class AccountLinkInput {
  @Field(() => CairinAccountInput, { nullable: true })
  cairin?: CairinAccountInput;

  @Field(() => String, { nullable: true, description: 'Finfra userId; must hold the same NIK.' })
  finfraUserId?: string;

  @Field(() => String, { nullable: true, description: 'Dompet Kilat idNumber; must hold the same NIK.' })
  dompetKilatIdNumber?: string;
}

@InputType('ConsentGrantInput')
export class ConsentGrantInput {
  @Field(() => BorrowerIdentityInput)
  borrower!: BorrowerIdentityInput;

  @Field(() => [ProviderEnum])
  providers!: ProviderCode[];

  @Field(() => [ConsentDomainEnum])
  domains!: ('LOANS' | 'INSTALLMENTS' | 'REPAYMENTS' | 'DISBURSEMENTS' | 'IDENTITY')[];

  @Field(() => String)
  purpose!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Defaults to now.' })
  startsAt?: Date;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;

  @Field(() => Int, { description: 'How long fetched data may be kept, seconds.' })
  dataLifeSeconds!: number;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  fetchIntervalSeconds?: number;

  @Field(() => AccountLinkInput, { nullable: true })
  accounts?: AccountLinkInput;
}

@ObjectType('AccessLogEntry', { description: 'One read of borrower data: who, what, when and why.' })
export class AccessLogEntryObject {
  constructor(readonly e: AccessLog) {}

  @Field(() => DateTimeScalar)
  get at(): Date {
    return this.e.at;
  }

  @Field(() => String, { description: 'API client id.' })
  get clientId(): string {
    return this.e.clientId;
  }

  @Field(() => String, { description: 'PROVIDER_READ (a provider call was allowed) or API_READ (borrower data returned).' })
  get kind(): string {
    return this.e.kind;
  }

  @Field(() => ProviderEnum, { nullable: true })
  get provider(): string | null {
    return this.e.provider;
  }

  @Field(() => ConsentDomainEnum)
  get domain(): string {
    return this.e.domain;
  }

  @Field(() => String, { description: "The consent's purpose." })
  get purpose(): string {
    return this.e.purpose;
  }
}

@ObjectType('BorrowerDataErasePayload')
export class BorrowerDataErasePayload {
  @Field(() => DateTimeScalar, { nullable: true, description: 'When this client\'s copy of the borrower\'s data was erased (the first erasure; repeated calls return the same time).' })
  erasedAt!: Date | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
