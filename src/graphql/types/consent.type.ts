import type { ProviderCode } from '../../domain/types';
import type { ConsentDomain } from '../../domain/consent';
/** Consent, its history, access-log entries, and the consent mutations' inputs and payloads. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Consent, ConsentEvent, AccessLog } from '../../generated/prisma/client';
import { DateTimeScalar } from '../scalars';
import { Connection } from './connection.type';
import { AccessKindEnum, enumOf, ProviderEnum, UserErrorCodeEnum } from './enums';
import { Node } from './node.type';

export const ConsentStatusEnum = enumOf('PENDING', 'ACTIVE', 'PAUSED', 'REJECTED', 'REVOKED', 'EXPIRED');
registerEnumType(ConsentStatusEnum, {
  name: 'ConsentStatus',
  description: 'Consent lifecycle (Account Aggregator consent artefact). Only ACTIVE consents allow reads.',
  valuesConfig: {
    PENDING: { description: 'Requested by the client; waiting for the borrower to approve on the consent page (link valid 15 minutes).' },
    ACTIVE: { description: 'Approved by the borrower. Reads allowed from `startsAt`.' },
    PAUSED: { description: 'Suspended by the client; no reads until resumed.' },
    REJECTED: { description: 'Declined by the borrower on the consent page. Nothing was linked.' },
    REVOKED: { description: 'Withdrawn by the client or the borrower; a hard stop. Cached data under it is deleted.' },
    EXPIRED: { description: '`expiresAt` passed, or the consent link was not completed in time or was locked after 5 wrong codes. Cached data under it is deleted.' },
  },
});

export const ConsentDomainEnum = enumOf('LOANS', 'INSTALLMENTS', 'REPAYMENTS', 'DISBURSEMENTS', 'IDENTITY', 'CREDIT_SCORE', 'FUNDING');
registerEnumType(ConsentDomainEnum, {
  name: 'ConsentDomain',
  description: 'Kinds of data a consent covers.',
  valuesConfig: {
    LOANS: { description: "Loan headers and balances; the balances are worked out from the money paid (the provider's repayments, read for that), the same for every client." },
    INSTALLMENTS: { description: 'Installment schedules.' },
    REPAYMENTS: { description: 'Repayments themselves (list, last payment, payments this year, repayment account) and their settlement.' },
    DISBURSEMENTS: { description: 'Disbursements.' },
    IDENTITY: { description: 'Name and NIK (masked unless the client has identity:read).' },
    CREDIT_SCORE: { description: "A provider's credit score of the borrower, with its date (Finfra `user_credit_score`)." },
    FUNDING: { description: "The borrower's positions as a lender on a provider's funding side (Cairin's funding product)." },
  },
});

@ObjectType('ConsentEvent', { description: 'One change of a consent.' })
export class ConsentEventObject {
  constructor(private readonly e: ConsentEvent) {}

  @Field(() => String, { description: 'What happened: REQUESTED, OPENED, APPROVED, REJECTED, PAUSED, RESUMED, REVOKED, EXPIRED, LOCKED, CLIENT_ERASED or BORROWER_ERASED.' })
  get type(): string {
    return this.e.type;
  }

  @Field(() => ConsentStatusEnum, { description: 'Status after the change.' })
  get status(): string {
    return this.e.status;
  }

  @Field(() => String, { nullable: true, description: 'Client id that made the change, `borrower` for the borrower, null for system changes (expiry).' })
  get actor(): string | null {
    return this.e.actor;
  }

  @Field(() => String, { nullable: true, description: 'Why, when given.' })
  get reason(): string | null {
    return this.e.reason;
  }

  @Field(() => DateTimeScalar, { description: 'When it happened.' })
  get at(): Date {
    return this.e.at;
  }
}

@ObjectType('Consent', {
  implements: Node,
  description: "A borrower's permission for this API client to read some providers' data, for a purpose, until it expires. Revocable. A Node: `node(id:)` answers it by its id for the client that holds it.",
})
export class ConsentObject implements Node {
  readonly __typename = 'Consent';

  constructor(
    readonly c: Consent,
    /** Status in force now (time may have expired or started it). */
    private readonly effective: string,
  ) {}

  @Field(() => ID, {
    description:
      'The consent id, a UUID: also its Node id (`node(id:)`), the `consent_id` of the redirect from the consent page and the `data.consentId` of CONSENT_STATUS_CHANGED webhooks.',
  })
  get id(): string {
    return this.c.id;
  }

  @Field(() => ConsentStatusEnum, { description: 'Status in force now.' })
  get status(): string {
    return this.effective;
  }

  @Field(() => [ProviderEnum], { description: 'Providers whose accounts the consent covers.' })
  get providers(): string[] {
    return this.c.providers;
  }

  @Field(() => [ConsentDomainEnum], { description: 'Kinds of data the consent covers.' })
  get domains(): string[] {
    return this.c.domains;
  }

  @Field(() => String, { description: 'Why the client reads the data (shown to the borrower).' })
  get purpose(): string {
    return this.c.purpose;
  }

  @Field(() => DateTimeScalar, { description: 'When reads may begin.' })
  get startsAt(): Date {
    return this.c.startsAt;
  }

  @Field(() => DateTimeScalar, { description: 'When the consent ends.' })
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

  @Field(() => String, { description: 'What went wrong, in English, for people (do not parse it: use `code`).' })
  message!: string;

  @Field(() => UserErrorCodeEnum, { description: 'Stable code of the failure.' })
  code!: string;
}

@ObjectType('ConsentPayload', { description: 'What a consent status change (pause, resume, revoke) answers.' })
export class ConsentPayload {
  @Field(() => ConsentObject, { nullable: true, description: 'The consent with its new status; null when refused.' })
  consent!: ConsentObject | null;

  @Field(() => [UserError], { description: 'Why the change was refused (NOT_FOUND, INVALID_TRANSITION); empty on success.' })
  userErrors!: UserError[];
}

@InputType('ConsentRequestInput', { description: "What a client asks a borrower to consent to. The borrower approves or declines on the hosted consent page." })
export class ConsentRequestInput {
  @Field(() => String, { description: "The borrower's NIK (15-16 digits). The answer is the same whether or not we know it." })
  nik!: string;

  @Field(() => String, { nullable: true, description: "The borrower's name as the client knows it; kept only when the borrower is new to us." })
  fullName?: string | null;

  @Field(() => [ProviderEnum], { description: 'Providers whose accounts the borrower is asked to link.' })
  providers!: ProviderCode[];

  @Field(() => [ConsentDomainEnum], { description: 'Kinds of data asked for.' })
  domains!: ConsentDomain[];

  @Field(() => String, { description: 'Why the client reads the data, shown to the borrower (1-300 characters).' })
  purpose!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When reads may begin; defaults to the approval.' })
  startsAt?: Date | null;

  @Field(() => DateTimeScalar, { description: 'When the consent ends.' })
  expiresAt!: Date;

  @Field(() => Int, { description: 'How long fetched data may be kept, seconds.' })
  dataLifeSeconds!: number;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: 'Least time between provider fetches, seconds (0 = no limit).' })
  fetchIntervalSeconds?: number | null;

  @Field(() => String, { description: "Where the borrower's browser returns, with `consent_id`, `status` and `state`; must equal one registered for the client (API_CLIENTS)." })
  redirectUri!: string;

  @Field(() => String, { nullable: true, description: 'Opaque value returned unchanged on the redirect (at most 500 characters); use it against CSRF.' })
  state?: string | null;
}

@ObjectType('ConsentRequestPayload', { description: 'What `consentRequestCreate` answers: the PENDING consent and the link to send the borrower to.' })
export class ConsentRequestPayload {
  @Field(() => ConsentObject, { nullable: true, description: 'The PENDING consent.' })
  consent!: ConsentObject | null;

  @Field(() => String, { nullable: true, description: 'The single-use consent page link for the borrower, valid 15 minutes. Send the borrower there; do not open it yourself.' })
  consentUrl!: string | null;

  @Field(() => [UserError], { description: 'Why the request was refused; empty on success.' })
  userErrors!: UserError[];
}

export const AccessSourceEnum = { PROVIDER: 'PROVIDER', CACHE: 'CACHE' } as const;
registerEnumType(AccessSourceEnum, {
  name: 'AccessSource',
  description: 'Where the data of a provider read came from.',
  valuesConfig: {
    PROVIDER: { description: 'Read from the provider during the request.' },
    CACHE: { description: "Served from the copy cached under the client's consent (no provider call)." },
  },
});

@ObjectType('AccessLogEntry', { description: 'One read of borrower data: who, what, when and why.' })
export class AccessLogEntryObject {
  constructor(readonly e: AccessLog) {}

  @Field(() => DateTimeScalar, { description: 'When the read happened.' })
  get at(): Date {
    return this.e.at;
  }

  @Field(() => String, { description: 'Id of the API client that read (API_CLIENTS key, the token `sub`).' })
  get clientId(): string {
    return this.e.clientId;
  }

  @Field(() => AccessKindEnum, { description: 'PROVIDER_READ (provider data read, live or from the cache: see `source`) or API_READ (borrower data returned).' })
  get kind(): string {
    return this.e.kind;
  }

  @Field(() => AccessSourceEnum, { nullable: true, description: 'PROVIDER_READ: whether the data came from the provider or from the cache; null for API_READ (and entries older than this field).' })
  get source(): string | null {
    return this.e.source;
  }

  @Field(() => ProviderEnum, { nullable: true, description: "The provider whose data was read; null for a read not of one provider's data (e.g. identity, the loan change stream)." })
  get provider(): string | null {
    return this.e.provider;
  }

  @Field(() => ConsentDomainEnum, { description: 'The kind of data read (the consent domain that allowed it).' })
  get domain(): string {
    return this.e.domain;
  }

  @Field(() => String, { description: "The consent's purpose." })
  get purpose(): string {
    return this.e.purpose;
  }
}

@ObjectType('BorrowerDataErasePayload', { description: 'What `borrowerDataErase` answers.' })
export class BorrowerDataErasePayload {
  @Field(() => DateTimeScalar, { nullable: true, description: 'When this client\'s copy of the borrower\'s data was erased (the first erasure; repeated calls return the same time).' })
  erasedAt!: Date | null;

  @Field(() => [UserError], { description: 'Why nothing was erased (NOT_FOUND: the borrower never consented to this client); empty on success.' })
  userErrors!: UserError[];
}

export const { ConnectionType: ConsentConnection, Edge: ConsentEdge } = Connection('Consent', ConsentObject, 'consent');
export type ConsentConnection = InstanceType<typeof ConsentConnection>;
export const { ConnectionType: AccessLogEntryConnection, Edge: AccessLogEntryEdge } = Connection('AccessLogEntry', AccessLogEntryObject, 'access-log entry', 'access-log entries');
export type AccessLogEntryConnection = InstanceType<typeof AccessLogEntryConnection>;
