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
}

/** Publishes ledger changes and streams them to subscribers. */
export interface Publisher {
  /** Publishes a change to every current subscriber. */
  publish(change: LedgerChange): void;
  /** Every change published from now on, until the iterator is returned. */
  subscribe(): AsyncIterable<LedgerChange>;
}

const TOPIC = 'ledger:change';

/** The in-process publisher (`createPubSub` from @graphql-yoga/subscription): correct for one instance. */
export function inProcessPublisher(): Publisher {
  const pubsub = createPubSub<{ [TOPIC]: [LedgerChange] }>();
  return {
    publish: (change) => pubsub.publish(TOPIC, change),
    subscribe: () => pubsub.subscribe(TOPIC),
  };
}
