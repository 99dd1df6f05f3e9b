/**
 * The contract every provider connector implements. A connector turns one
 * provider's wire format into normalized domain types; nothing provider-shaped
 * crosses this boundary.
 *
 * Reads are opened per GraphQL request (`openReads()`), backed by DataLoaders
 * created for that request only, so that many resolvers asking for the same
 * account's data make the fewest provider calls the provider's endpoints allow
 * and no cached answer ever outlives the request (a shared cache would leak one
 * API client's data to another).
 *
 * Example:
 *   const reads = connector.openReads();
 *   const [loans, repayments] = await Promise.all([reads.loans(acct), reads.repayments(acct)]);
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config';
import type { LedgerEvent } from '../domain/events';
import type { FundingPosition } from '../domain/funding';
import type { Disbursement, Loan, ProviderBorrower, ProviderCode, Repayment } from '../domain/types';
import type { ProviderCallRecord, ResilienceOptions } from './http';
import type { SnapBank, SnapBankConfig } from './snap/wire';

/** A linked account at one provider, as stored in `ProviderAccount`. */
export interface AccountRef {
  /** Our ProviderAccount id. */
  readonly id: string;
  readonly provider: ProviderCode;
  /** Provider's identifier (Cairin accountId, Finfra userId, Dompet Kilat idNumber). */
  readonly externalId: string;
  /** Connector-private credentials (Cairin session), null for providers without per-account auth. */
  readonly credentials: unknown;
}

/**
 * Per-request reads of one provider. Every method may throw a `ProviderError`
 * (see ./errors.ts); callers turn it into a per-provider GraphQL error.
 */
export interface ProviderReads {
  /** The borrower as the provider knows them, minimized; null when the provider no longer has the account. */
  profile(account: AccountRef): Promise<ProviderBorrower | null>;
  /** Every loan of the account, each with its installment schedule. */
  loans(account: AccountRef): Promise<Loan[]>;
  /**
   * The credit limit the provider grants the account, integer rupiah, or null when the provider gives none
   * (Cairin `limit.approvedLimit` of the loan list, Dompet Kilat `plafons` of the borrower record; Finfra none).
   * Read with the loans (the same provider call where there is one).
   */
  creditLimit(account: AccountRef): Promise<bigint | null>;
  /** Repayments of the account (all loans), newest first. */
  repayments(account: AccountRef): Promise<Repayment[]>;
  /** Disbursements of the account (all loans), newest first. */
  disbursements(account: AccountRef): Promise<Disbursement[]>;
  /**
   * The account's positions as a lender on the provider's funding side (Cairin `GET /mobile/funding/portfolio`),
   * in the provider's order. Only providers with a funding side implement it (Cairin); absent elsewhere.
   */
  fundingPositions?(account: AccountRef): Promise<FundingPosition[]>;
}

/** What linking stores for a verified account (ProviderAccount.externalId and .credentials). */
export interface LinkedAccount {
  readonly externalId: string;
  /** Connector-private session (Cairin), or undefined. */
  readonly credentials?: object;
}

/** Thrown by `link` when the provider account does not belong to the NIK being linked, or does not exist. */
export class LinkMismatchError extends Error {
  override readonly name = 'LinkMismatchError';
}

/**
 * Thrown by `link` when the provider accepted the borrower's login but needs one more proof first:
 * LIVENESS (Cairin's one-time KTP photo and selfie on a new device). The borrower gives it and logs in again.
 */
export class LinkStepRequired extends Error {
  override readonly name = 'LinkStepRequired';
  constructor(readonly step: 'LIVENESS') {
    super(`the provider needs ${step} before the account can be linked`);
  }
}

/** A provider connector: configuration-bound, process-wide (token caches live here), reads per request. */
export interface ProviderConnector {
  readonly provider: ProviderCode;
  /** Opens a request-scoped read session with fresh DataLoaders. */
  openReads(): ProviderReads;
  /**
   * Verifies that the account the borrower names belongs to `nik` (Finfra and Dompet Kilat: the provider
   * holds the same NIK; Cairin: the borrower's own login succeeds) and returns what to store.
   * @param request the provider's link request, from the consent page: the borrower's login form (LOGIN providers),
   *   or the `linkRequest` that `phoneOnFile` gave once the borrower proved the phone (IDENTITY_MATCH providers).
   * @throws LinkMismatchError when it does not belong to the NIK; ProviderAuthError when the login is refused; ProviderError on failure.
   */
  link(nik: string, request: unknown): Promise<LinkedAccount>;
  /**
   * The phone number this provider holds for a NIK, with the link request that names the account (for
   * providers whose accounts are proven by a one-time code sent to that phone: `linkProof` IDENTITY_MATCH);
   * null when the provider has no account for the NIK, or proves accounts by the borrower's login instead.
   * @throws ProviderError on provider failure.
   */
  phoneOnFile(nik: string): Promise<{ readonly phone: string; readonly linkRequest: unknown } | null>;
  /** State of the provider's circuit breaker (`closed`, `open`, `half-open`), for readiness. */
  readonly circuit: string;
  /** Closes the circuit and starts fresh retry and concurrency policies (an operator's reset; tests between cases). */
  resetResilience(): void;
}

/** What a provider factory is given: the validated configuration and the process's hooks. */
export interface ProviderEnvironment {
  readonly config: Config;
  readonly clock: Clock;
  /** Resilience settings (retries, breaker, concurrency, rate) for this connector. */
  readonly resilience: ResilienceOptions;
  /** Called after every provider HTTP call (metrics, tests). */
  readonly onCall?: (c: ProviderCallRecord) => void;
  /** Persists re-issued session credentials of a linked account (by the provider's account id). */
  readonly saveCredentials: (provider: ProviderCode, externalId: string, credentials: object) => Promise<void>;
  /** Where every instance keeps accounts' session credentials; renewals of one account take turns through it. */
  readonly sessions?: SessionStore;
}

/**
 * The session credentials of linked accounts as every instance sees them (ProviderAccount.credentials).
 * `renew` runs `fn` while holding the account's session lock (an advisory lock on a PostgreSQL server, so
 * one renewal per account across instances), with the credentials stored now (maybe renewed meanwhile by
 * another instance), and stores what `fn` returns before releasing the lock.
 */
export interface SessionStore {
  renew<T>(provider: ProviderCode, externalId: string, fn: (stored: object | null) => Promise<{ result: T; store?: object }>): Promise<T>;
}

/** Receiver settings of provider and bank callbacks (configuration; see README "Webhooks"). */
export interface WebhookSettings {
  /** Expected `finfra-auth-key` header value (FINFRA_CALLBACK_KEY). Finfra callbacks are refused when unset. */
  finfraAuthKey: string | null;
  /** IPs Dompet Kilat calls from (DOMPETKILAT_CALLBACK_IPS); others get status "03". */
  dompetKilatIps: readonly string[];
  /** Per-bank SNAP settings; a bank without settings is refused. */
  banks: Partial<Record<SnapBank, SnapBankConfig>>;
  /** Largest accepted |now - X-TIMESTAMP|, seconds. */
  timestampWindowSeconds: number;
}

/** A callback request as the webhook route received it. */
export interface CallbackRequest {
  readonly method: string;
  /** Full request path, e.g. `/webhooks/finfra/api/core/payment-gateway/va/status`. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The caller's IP address (socket address). */
  readonly ip: string;
  /** Raw body text (signatures are computed over it). */
  readonly raw: string;
  /** The receiving instant on the application's clock (timestamp windows are checked against it). */
  readonly now: Date;
}

/** An HTTP answer in the sender's own envelope. */
export interface CallbackReply {
  readonly status: number;
  readonly body: unknown;
}

/** What a callback route made of a request: refuse it, or store it as an event and answer. */
export type CallbackOutcome =
  | { readonly reject: CallbackReply; readonly reason: string }
  | {
      readonly event: { readonly source: string; readonly kind: string; readonly idempotencyKey: string; readonly payload: object };
      /** The acknowledgement once the event is stored (a duplicate is acknowledged too). */
      accepted(duplicate: boolean): CallbackReply;
      /** The answer when the key was already stored with a different payload; undefined: acknowledge anyway. */
      conflict?(storedPayload: unknown): CallbackReply | undefined;
    };

/** One callback endpoint of a provider or bank, mounted under /webhooks. */
export interface CallbackRoute {
  /** Event source (stored with the event and used as the metric label), e.g. the provider code. */
  readonly source: string;
  /** Matches the path; returns the event kind for metrics, or null when not this route. */
  match(path: string): string | null;
  /**
   * Verifies (signature, key or IP, in constant time) and validates the request against the wire schema.
   * Never throws for bad input: a rejection carries the status and a reason without the offending values.
   */
  handle(req: CallbackRequest, settings: WebhookSettings): CallbackOutcome;
}

/** A source of callbacks and the ledger events its stored callbacks mean. */
export interface CallbackSource {
  /** The callback routes (each reads its receiver settings per request). */
  readonly callbacks: readonly CallbackRoute[];
  /** Whether an event stored with this `source` label belongs to this definition. */
  owns(source: string): boolean;
  /**
   * The ledger events a stored callback means (pure), and the change kind subscribers see
   * (`repayment`, `settlement`, `loan`, `bnpl`, `disbursement`, ...).
   * `receivedAt` is when the callback was stored (`WebhookEvent.receivedAt`): the time of events whose
   * callback carries none.
   * @throws Error when the stored payload does not parse (it was validated before it was stored).
   */
  ledgerEvents(ev: { source: string; kind: string; payload: unknown; receivedAt?: Date }): { kind: string; events: LedgerEvent[] };
}

/** Everything the application needs to know of one provider; registered in ./registry.ts. */
export interface ProviderDefinition extends CallbackSource {
  readonly code: ProviderCode;
  /** One line naming the provider for API documentation (the GraphQL `Provider` enum value's description). */
  readonly description: string;
  /**
   * How linking proves the account is the borrower's: IDENTITY_MATCH (the provider holds the same NIK; checked
   * first, without side effects at the provider) or LOGIN (the borrower's own login; run last).
   */
  readonly linkProof: 'IDENTITY_MATCH' | 'LOGIN';
  /** Configuration keys this provider needs for reads; `createConnector` throws naming the missing ones. */
  readonly requiredConfig: readonly (keyof Config)[];
  /** Configuration key of this provider's request rate for the sync jobs, requests per second. */
  readonly syncRateConfig: keyof Config;
  /** Builds the connector. @throws Error naming missing configuration. */
  createConnector(env: ProviderEnvironment): ProviderConnector;
}

/** Supplies "today" in Asia/Jakarta and "now"; injected so tests and the sandbox share a clock. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };
