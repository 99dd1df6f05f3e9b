/**
 * The scope of one API request (or one subscription): who asks, on which clock,
 * with this request's DataLoaders and consent guard. Created per request by
 * `Core.openScope`; never shared between requests (a shared loader cache would
 * leak one client's data to another).
 */
import type { ApiClient } from '../auth';
import type { Logger } from '../logger';
import type { Clock } from '../providers/connector';
import type { ConsentGuard } from './consent-guard';
import type { RequestLoaders } from './loaders';
import type { ReadRecord } from './response-cache';

/** One request's view of the core. */
export interface RequestScope {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly requestId: string;
  readonly log: Logger;
  readonly loaders: RequestLoaders;
  /** Consent decisions of this request (every provider read passes it). */
  readonly guard: ConsentGuard;
  /**
   * What this request's answer depends on (tags, the instants it changes at), for the response cache
   * (src/core/response-cache.ts). Code that reads data no tag covers, or must not be answered from a copy,
   * calls `record.dontStore()`.
   */
  readonly record: ReadRecord;
}
