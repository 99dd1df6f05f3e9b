/** Client webhooks (issue 13.9): endpoints, deliveries and their attempts, as a client sees its own. */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { deliveryStatus } from '../../core/client-webhooks';
import type { WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint } from '../../generated/prisma/client';
import { DateTimeScalar } from '../scalars';
import { Connection } from './connection.type';
import { UserError } from './consent.type';
import { enumOf } from './enums';

export const WebhookEventTypeEnum = enumOf('LOAN_UPDATED', 'PAYMENT_SETTLED', 'CONSENT_STATUS_CHANGED');
registerEnumType(WebhookEventTypeEnum, {
  name: 'WebhookEventType',
  description: 'What a client webhook announces. Sent only about borrowers whose consent to the client is ACTIVE (consent changes: the client\'s own consents).',
  valuesConfig: {
    LOAN_UPDATED: { description: "A loan changed by a provider or bank event: `data { loanId changes sequence }`, `changes` naming the Loan fields that changed (status, outstanding, installments, repayments, disbursements, daysPastDue). Needs a consent covering the loan's provider and LOANS." },
    PAYMENT_SETTLED: { description: "A bank settlement cleared a repayment: `data { loanId transactionId amount { amount currency } settledAt sequence }`, amount a decimal string of integer rupiah. Needs a consent covering the provider and REPAYMENTS." },
    CONSENT_STATUS_CHANGED: { description: 'One of the client\'s consents changed status: `data { consentId borrowerId status change at sequence }` (change: APPROVED, REJECTED, PAUSED, RESUMED, REVOKED, EXPIRED, CLIENT_ERASED, BORROWER_ERASED).' },
  },
});

export const WebhookDeliveryStatusEnum = enumOf('PENDING', 'DELIVERED', 'DEAD', 'CANCELLED');
registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: "A client webhook delivery's state.",
  valuesConfig: {
    PENDING: { description: 'An attempt is due now or later (new, retrying with backoff, or redelivery asked).' },
    DELIVERED: { description: 'The endpoint answered 2xx.' },
    DEAD: { description: 'No attempt succeeded within 24 h; `webhookDeliveryRedeliver` sends it again.' },
    CANCELLED: { description: 'The endpoint was deleted before it was delivered.' },
  },
});

export const WebhookAttemptOutcomeEnum = enumOf('SUCCEEDED', 'FAILED', 'TIMED_OUT');
registerEnumType(WebhookAttemptOutcomeEnum, {
  name: 'WebhookAttemptOutcome',
  description: 'How one POST to an endpoint ended.',
  valuesConfig: {
    SUCCEEDED: { description: 'A 2xx answer.' },
    FAILED: { description: 'Another status (redirects are not followed), or no connection.' },
    TIMED_OUT: { description: 'No answer within WEBHOOK_DELIVERY_TIMEOUT_MS (default 10 s).' },
  },
});

@ObjectType('WebhookEndpoint', { description: "An HTTPS endpoint the client registered; Satu Kredit POSTs the subscribed events to it, signed with its secret (header `Satu-Signature`, README \"Client webhooks\")." })
export class WebhookEndpointObject {
  constructor(readonly e: WebhookEndpoint) {}

  @Field(() => ID, { description: 'The endpoint id.' })
  get id(): string {
    return this.e.id;
  }

  @Field(() => String, { description: 'Where deliveries are POSTed.' })
  get url(): string {
    return this.e.url;
  }

  @Field(() => [WebhookEventTypeEnum], { description: 'The event types it receives.' })
  get events(): string[] {
    return this.e.events;
  }

  @Field(() => DateTimeScalar, { description: 'When it was registered.' })
  get createdAt(): Date {
    return this.e.createdAt;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was deleted (nothing is sent to it since); null while active.' })
  get disabledAt(): Date | null {
    return this.e.disabledAt;
  }
}

@ObjectType('WebhookDeliveryAttempt', { description: 'One POST of a delivery to its endpoint.' })
export class WebhookDeliveryAttemptObject {
  constructor(readonly a: WebhookDeliveryAttempt) {}

  @Field(() => Int, { description: '1-based attempt number.' })
  get number(): number {
    return this.a.number;
  }

  @Field(() => DateTimeScalar, { description: 'When it was sent (also the `t` of its signature).' })
  get at(): Date {
    return this.a.at;
  }

  @Field(() => WebhookAttemptOutcomeEnum, { description: 'How it ended.' })
  get outcome(): string {
    return this.a.outcome;
  }

  @Field(() => Int, { nullable: true, description: 'The HTTP status the endpoint answered; null when it did not answer.' })
  get statusCode(): number | null {
    return this.a.statusCode;
  }

  @Field(() => Int, { description: 'How long it took, milliseconds.' })
  get durationMs(): number {
    return this.a.durationMs;
  }

  @Field(() => String, { nullable: true, description: 'Why it failed (e.g. `HTTP 500`, `no answer within 10000 ms`, a connection error); null on success.' })
  get error(): string | null {
    return this.a.error;
  }

  @Field(() => Boolean, { description: 'Whether `webhookDeliveryRedeliver` asked for it.' })
  get redelivery(): boolean {
    return this.a.redelivery;
  }
}

@ObjectType('WebhookDelivery', { description: 'One event sent (or to be sent) to one endpoint, with every attempt.' })
export class WebhookDeliveryObject {
  constructor(readonly d: WebhookDelivery & { attemptLog?: WebhookDeliveryAttempt[] }) {}

  @Field(() => ID, { description: 'The delivery id (pass to `webhookDeliveryRedeliver`).' })
  get id(): string {
    return this.d.id;
  }

  @Field(() => ID, { description: 'The event id (payload `id`, header `Satu-Event-Id`): the same on every attempt; deduplicate on it.' })
  get eventId(): string {
    return this.d.eventId;
  }

  @Field(() => WebhookEventTypeEnum, { description: 'The event type.' })
  get eventType(): string {
    return this.d.type;
  }

  @Field(() => ID, { description: 'The endpoint it goes to.' })
  get endpointId(): string {
    return this.d.endpointId;
  }

  @Field(() => String, { description: 'Decimal integer: larger for a later change of the same resource (`data.loanId`, `data.consentId`); order events of one resource by it.' })
  get sequence(): string {
    return this.d.sequence.toString();
  }

  @Field(() => GraphQLJSONObject, { description: 'The JSON body sent: `{ id, type, occurredAt, data }`.' })
  get payload(): object {
    return this.d.payload as object;
  }

  @Field(() => WebhookDeliveryStatusEnum, { description: 'Where it stands.' })
  get status(): string {
    return deliveryStatus(this.d);
  }

  @Field(() => DateTimeScalar, { description: 'When the event occurred (the change committed).' })
  get occurredAt(): Date {
    return this.d.occurredAt;
  }

  @Field(() => Int, { description: 'Attempts so far.' })
  get attemptCount(): number {
    return this.d.attempts;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the next attempt is due (PENDING only).' })
  get nextAttemptAt(): Date | null {
    return this.d.nextAttemptAt;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When an attempt last succeeded.' })
  get deliveredAt(): Date | null {
    return this.d.deliveredAt;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When retries stopped (24 h without success).' })
  get deadAt(): Date | null {
    return this.d.deadAt;
  }

  @Field(() => [WebhookDeliveryAttemptObject], { description: 'Every attempt, oldest first.' })
  get attempts(): WebhookDeliveryAttemptObject[] {
    return (this.d.attemptLog ?? []).map((a) => new WebhookDeliveryAttemptObject(a));
  }
}

const deliveryConnection = Connection('WebhookDelivery', WebhookDeliveryObject, 'webhook delivery', 'webhook deliveries');
export const WebhookDeliveryEdge = deliveryConnection.Edge;
export const WebhookDeliveryConnection = deliveryConnection.ConnectionType;

@InputType('WebhookEndpointCreateInput', { description: 'An endpoint to register.' })
export class WebhookEndpointCreateInput {
  @Field(() => String, { description: 'An https URL (outside production also http to 127.0.0.1, localhost or [::1]); no user, password or fragment; at most 2048 characters.' })
  url!: string;

  @Field(() => [WebhookEventTypeEnum], { description: 'The event types to receive (at least one).' })
  events!: string[];
}

@ObjectType('WebhookEndpointCreatePayload', { description: 'What `webhookEndpointCreate` answers.' })
export class WebhookEndpointCreatePayload {
  @Field(() => WebhookEndpointObject, { nullable: true, description: 'The endpoint; null when refused.' })
  endpoint!: WebhookEndpointObject | null;

  @Field(() => String, { nullable: true, description: 'The signing secret (`whsec_...`), shown only here: keep it; the HMAC key of `Satu-Signature` is this whole string.' })
  secret!: string | null;

  @Field(() => [UserError], { description: 'Why it was refused (INVALID_URL, INVALID_EVENTS, TOO_MANY_ENDPOINTS); empty on success.' })
  userErrors!: UserError[];
}

@ObjectType('WebhookEndpointDeletePayload', { description: 'What `webhookEndpointDelete` answers.' })
export class WebhookEndpointDeletePayload {
  @Field(() => WebhookEndpointObject, { nullable: true, description: 'The endpoint, with `disabledAt` set; null when refused.' })
  endpoint!: WebhookEndpointObject | null;

  @Field(() => [UserError], { description: 'Why nothing was deleted (NOT_FOUND); empty on success.' })
  userErrors!: UserError[];
}

@ObjectType('WebhookDeliveryRedeliverPayload', { description: 'What `webhookDeliveryRedeliver` answers.' })
export class WebhookDeliveryRedeliverPayload {
  @Field(() => WebhookDeliveryObject, { nullable: true, description: 'The delivery, PENDING with its next attempt due now; null when refused.' })
  delivery!: WebhookDeliveryObject | null;

  @Field(() => [UserError], { description: 'Why nothing was sent (NOT_FOUND, ENDPOINT_DELETED); empty on success.' })
  userErrors!: UserError[];
}
