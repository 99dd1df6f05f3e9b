/**
 * The per-request GraphQL context: the verified API client, this request's
 * DataLoaders, the clock, and the collector of partial (per-provider) errors.
 */
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import type { ApiClient } from '../auth';
import type { Clock } from '../providers/connector';
import type { RequestLoaders } from '../loaders';
import type { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { ConsentGuard } from '../consent/guard';
import type { ConsentService } from '../consent/consent.service';

/** Errors for a provider's part of a field whose other parts were still returned. */
export class PartialErrors {
  private readonly errors = new Map<string, GraphQLError>();

  /** Records `error` at the resolver's path (once per path and provider). */
  report(info: GraphQLResolveInfo, error: GraphQLError): void {
    const path: (string | number)[] = [];
    for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) path.unshift(p.key);
    const key = `${path.join('.')}|${String(error.extensions.provider)}`;
    if (!this.errors.has(key)) this.errors.set(key, new GraphQLError(error.message, { path, extensions: error.extensions }));
  }

  /** The recorded errors, in report order. */
  list(): GraphQLError[] {
    return [...this.errors.values()];
  }
}

/** Context of one GraphQL request. */
export interface GraphQLContext {
  readonly client: ApiClient;
  readonly loaders: RequestLoaders;
  readonly prisma: PrismaClient;
  readonly clock: Clock;
  readonly requestId: string;
  readonly log: Logger;
  readonly partial: PartialErrors;
  /** Consent decisions of this request (every provider read passes it). */
  readonly guard: ConsentGuard;
  readonly consents: ConsentService;
  /** Cache lifetimes (see domain/freshness.ts). */
  readonly freshness: import('../domain/freshness').FreshnessPolicy;
  /** The ledger's event applier (subscriptions listen to it). */
  readonly applier?: import('../webhooks/ingest').EventApplier;
  /** Expected settlement lag per bank channel, minutes. */
  readonly lagMinutes: Readonly<Record<'BCA' | 'MANDIRI' | 'BRI' | 'BNI' | 'OTHER', number>>;
}
