/**
 * The publisher of ledger changes: the event applier publishes, subscriptions
 * (and later client webhooks) listen. Behind this small interface so that a
 * cross-instance implementation (PostgreSQL LISTEN/NOTIFY or Redis) can replace
 * the in-process one without touching resolvers.
 */
import { createPubSub } from '@graphql-yoga/subscription';
import type { ProviderCode } from '../domain/types';

/** A change to one loan, applied from a provider or bank event. */
export interface LedgerChange {
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  /** What changed: repayment, settlement, loan (status), bnpl, disbursement. */
  readonly kind: string;
  /** When the change was applied to the ledger (the application's clock). */
  readonly at: Date;
  /** The stored webhook event that made the change (`webhookEvents`), so that each application is one notification. */
  readonly eventId?: string;
}

/** A change of one consent's status (requested, approved, declined, paused, resumed, revoked, expired). */
export interface ConsentChange {
  readonly consentId: string;
  /** The API client the consent was given to. */
  readonly clientId: string;
  /** The borrower who gave it (null while a consent request is not yet tied to a borrower). */
  readonly borrowerId?: string | null;
  /** Its status after the change (a ConsentStatus). */
  readonly status: string;
  /** The consent event's type, e.g. APPROVED, REJECTED, REVOKED, EXPIRED. */
  readonly type: string;
  readonly at: Date;
}

/** Publishes ledger and consent changes and streams them to subscribers. */
export interface Publisher {
  /** Publishes a ledger change to every current subscriber. */
  publish(change: LedgerChange): void;
  /** Every ledger change published from now on, until the iterator is returned. */
  subscribe(): AsyncIterable<LedgerChange>;
  /** Publishes a consent status change. */
  publishConsent(change: ConsentChange): void;
  /** Every consent change published from now on, until the iterator is returned. */
  consentChanges(): AsyncIterable<ConsentChange>;
  /**
   * Publishes ledger changes (in order) as part of a database transaction, delivered only if it commits (PostgreSQL
   * NOTIFY is transactional), so a change is never committed without its push, even if the instance dies
   * right after. Absent on publishers that cannot: callers `publish` after commit instead.
   */
  publishWithin?(tx: SqlRunner, changes: readonly LedgerChange[]): Promise<void>;
  /** Publishes response-cache invalidation tags (src/core/response-cache.ts) to every instance, this one included. */
  publishInvalidation(tags: readonly string[]): void;
  /** Every invalidation published from now on, until the iterator is returned. */
  invalidations(): AsyncIterable<readonly string[]>;
  /**
   * A number that changes each time the publisher's listening connection is (re)established, or null while
   * it is down: messages may have been missed across a change. In-process publishers always answer 0; the
   * response cache is only used where the publisher reaches every instance that writes.
   */
  epoch(): number | null;
}

/** What `publishWithin` runs its statement on: the applying transaction's executor (src/store/database.ts `SqlStore.transaction`). */
export interface SqlRunner {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

const TOPIC = 'ledger:change';
const CONSENT_TOPIC = 'consent:change';
const INVALIDATION_TOPIC = 'cache:invalidate';

/** The in-process publisher (`createPubSub` from @graphql-yoga/subscription): correct for one instance. */
export function inProcessPublisher(): Publisher {
  const pubsub = createPubSub<{ [TOPIC]: [LedgerChange]; [CONSENT_TOPIC]: [ConsentChange]; [INVALIDATION_TOPIC]: [readonly string[]] }>();
  return {
    publish: (change) => pubsub.publish(TOPIC, change),
    subscribe: () => pubsub.subscribe(TOPIC),
    publishConsent: (change) => pubsub.publish(CONSENT_TOPIC, change),
    consentChanges: () => pubsub.subscribe(CONSENT_TOPIC),
    publishInvalidation: (tags) => pubsub.publish(INVALIDATION_TOPIC, tags),
    invalidations: () => pubsub.subscribe(INVALIDATION_TOPIC),
    epoch: () => 0,
  };
}
