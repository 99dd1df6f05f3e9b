/**
 * The application core: services that know nothing of GraphQL, HTTP or webhook
 * routing. Built once by `createApp` (src/app.ts); each API request opens a
 * `RequestScope` with its own loaders and consent guard.
 */
import { UnmatchedMoneyReport } from './unmatched-money';
import { unmatchedMoneySource } from '../metrics';
import type { ApiClient } from '../auth';
import type { FreshnessPolicy } from '../domain/freshness';
import type { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { SqlStore } from '../store/database';
import type { Clock } from '../providers/connector';
import type { Connectors } from '../providers/registry';
import { AccessLogWriter, type AccessLogPolicy } from './access-log';
import { AccountCache } from './account-cache';
import type { ClientRegistry } from './client-registry';
import { BorrowerPortal } from './borrower-portal.service';
import { BorrowerService } from './borrower.service';
import { ConsentRequestService } from './consent-request.service';
import { ConsentGuard } from './consent-guard';
import { ConsentService } from './consent.service';
import { CreditService } from './credit.service';
import { CreditScoreService } from './credit-score.service';
import { FundingService } from './funding.service';
import { EventApplier, type EventPolicy } from './events.service';
import { ClientWebhooks, DEFAULT_DELIVERY_POLICY, type DeliveryPolicy, SecretBox } from './client-webhooks';
import type { LagMinutes } from './ledger.service';
import { LoanChanges } from './loan-changes';
import { DEFAULT_SNAPSHOT_CACHE_POLICY, SnapshotCache, type SnapshotCachePolicy } from './snapshot-cache';
import { createRequestLoaders, type RequestLoaders } from './loaders';
import type { Notifier } from './notifier';
import { OneTimeCodes, type OneTimeCodePolicy } from './one-time-codes';
import type { Publisher } from './publisher';
import type { RequestScope } from './scope';
import { SyncService } from './sync.service';
import { clientTag, DEFAULT_RESPONSE_CACHE_POLICY, Invalidation, ReadRecord, ResponseCache, type ResponseCachePolicy } from './response-cache';

/** What the core is built from. */
export interface CoreDeps {
  readonly prisma: PrismaClient;
  /** Plain SQL on the request path's connections (webhook intake). */
  readonly sql: SqlStore;
  /** Plain SQL on background connections (the event applier). */
  readonly work: SqlStore;
  /** Connectors for API reads. */
  readonly connectors: Connectors;
  /** Connectors for the sync jobs (each provider's sync rate limit applied). */
  readonly syncConnectors: Connectors;
  readonly clock: Clock;
  readonly log: Logger;
  readonly freshness: FreshnessPolicy;
  readonly lagMinutes: LagMinutes;
  readonly publisher: Publisher;
  /** Where one-time codes go out (an SMS gateway). */
  readonly notifier: Notifier;
  /** HMAC key of one-time codes and NIK hashes. */
  readonly codeKey: Buffer;
  /** Registered API clients (display names, redirect URIs). */
  readonly clients: ClientRegistry;
  /** The API's public base URL, for consent links (PUBLIC_URL, or where the server listens). */
  readonly publicUrl: () => string;
  /** How stored webhook events are claimed and retried (default: DEFAULT_EVENT_POLICY). */
  readonly eventPolicy?: EventPolicy;
  /** How access-log entries are batched (default: DEFAULT_ACCESS_LOG_POLICY). */
  readonly accessLogPolicy?: AccessLogPolicy;
  /** Limits of one-time codes (defaults: DEFAULT_CODE_POLICY). */
  readonly codePolicy?: OneTimeCodePolicy;
  /** Size and lifetime of the response cache (default: DEFAULT_RESPONSE_CACHE_POLICY; maxBytes 0 turns it off). */
  readonly responseCachePolicy?: ResponseCachePolicy;
  /** Size of the in-process copies of snapshot payloads (default: DEFAULT_SNAPSHOT_CACHE_POLICY; maxBytes 0 turns them off). */
  readonly snapshotCachePolicy?: SnapshotCachePolicy;
  /** Key that encrypts client webhook endpoints' signing secrets at rest (WEBHOOK_SECRET_KEY, or derived from the JWT secret). */
  readonly webhookSecretKey: Buffer;
  /** How client webhooks are attempted (default: DEFAULT_DELIVERY_POLICY). */
  readonly deliveryPolicy?: DeliveryPolicy;
}

/** The application services. */
export class Core {
  readonly cache: AccountCache;
  readonly credit: CreditService;
  /** Credit scores (CREDIT_SCORE) and provider profiles (IDENTITY) of a borrower. */
  readonly creditScores: CreditScoreService;
  /** A borrower's funding positions (lender side) at providers with a funding side. */
  readonly funding: FundingService;
  readonly borrowers: BorrowerService;
  readonly consents: ConsentService;
  readonly events: EventApplier;
  /** Client webhooks: endpoints, the outbox written with each change, the delivery worker and its log. */
  readonly webhooks: ClientWebhooks;
  readonly sync: SyncService;
  readonly changes: LoanChanges;
  readonly codes: OneTimeCodes;
  readonly consentRequests: ConsentRequestService;
  readonly portal: BorrowerPortal;
  /** Writes every request's access-log entries in batches (closed by the app's graceful shutdown). */
  readonly accessLog: AccessLogWriter;
  /** Whole answers of read operations, dropped by the writers' invalidations (src/core/response-cache.ts). */
  readonly responses: ResponseCache;
  /** How writers invalidate the response cache here and on the other instances. */
  readonly invalidation: Invalidation;
  /** This process's copies of snapshot payloads, checked against each row's content hash on every read. */
  readonly snapshots: SnapshotCache;
  /** Money that arrived against nothing we know (operators' list and `/metrics`). */
  readonly unmatched: UnmatchedMoneyReport;
  private readonly stopListening = new AbortController();

  constructor(readonly deps: CoreDeps) {
    const { prisma, clock, log } = deps;
    this.accessLog = new AccessLogWriter(deps.sql, log, deps.accessLogPolicy);
    this.responses = new ResponseCache(deps.responseCachePolicy ?? DEFAULT_RESPONSE_CACHE_POLICY, () => deps.publisher.epoch());
    this.invalidation = new Invalidation(this.responses, deps.publisher);
    this.snapshots = new SnapshotCache(deps.snapshotCachePolicy ?? DEFAULT_SNAPSHOT_CACHE_POLICY);
    this.invalidation.listen(log, this.stopListening.signal);
    this.cache = new AccountCache(deps.sql, log, this.invalidation);
    this.credit = new CreditService(this.cache, deps.freshness, deps.lagMinutes);
    this.creditScores = new CreditScoreService(deps.sql, this.credit);
    this.funding = new FundingService(deps.sql, deps.freshness, this.invalidation);
    this.borrowers = new BorrowerService(prisma);
    this.webhooks = new ClientWebhooks(prisma, deps.work, clock, log, new SecretBox(deps.webhookSecretKey), deps.deliveryPolicy ?? DEFAULT_DELIVERY_POLICY);
    this.consents = new ConsentService(prisma, clock, deps.publisher, this.accessLog, this.invalidation, this.webhooks);
    this.events = new EventApplier(prisma, deps.sql, deps.work, deps.publisher, clock, log, deps.eventPolicy, this.invalidation, this.webhooks);
    this.sync = new SyncService(prisma, this.cache, deps.syncConnectors, clock, log, deps.freshness);
    this.codes = new OneTimeCodes(prisma, deps.notifier, deps.codeKey, clock, deps.codePolicy);
    this.consentRequests = new ConsentRequestService(prisma, deps.connectors, this.consents, this.codes, deps.clients, clock, deps.publicUrl);
    this.portal = new BorrowerPortal(prisma, deps.connectors, this.consents, this.codes, deps.clients, clock, deps.codeKey, log);
    this.unmatched = new UnmatchedMoneyReport(deps.sql);
    unmatchedMoneySource(() => this.unmatched.counts());
    this.changes = new LoanChanges(prisma, deps.publisher, (scope) => this.guard(scope.client, scope.requestId, new ReadRecord()));
  }

  /** Opens the scope of one request (or subscription) of a verified client. */
  openScope(client: ApiClient, requestId: string, log: Logger): RequestScope {
    const record = new ReadRecord();
    // Every answer depends on the client's consents (a consent change invalidates this tag).
    record.tag(clientTag(client.id));
    let loaders: RequestLoaders | undefined;
    const { sql, connectors } = this.deps;
    const snapshots = this.snapshots;
    return {
      client,
      clock: this.deps.clock,
      requestId,
      log,
      // Made on first use: an answer served from the response cache needs none.
      get loaders() {
        return (loaders ??= createRequestLoaders(sql, connectors, snapshots));
      },
      guard: this.guard(client, requestId, record),
      record,
    };
  }

  /** Stops applying other instances' invalidations (the app's shutdown). */
  close(): void {
    this.stopListening.abort();
    this.responses.clear();
  }

  private guard(client: ApiClient, requestId: string, record: ReadRecord): ConsentGuard {
    return new ConsentGuard(this.deps.sql, this.accessLog, this.consents, client.id, this.deps.clock, requestId, record);
  }
}

export type { RequestScope };
export { ConsentDenied, CoreError, InvalidInput, NotFound, ProviderFailure, TooManyRequests } from './errors';
export { DEFAULT_CODE_POLICY } from './one-time-codes';
