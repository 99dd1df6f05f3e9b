/**
 * The per-request GraphQL context: the request's core scope (verified API
 * client, clock, loaders, consent guard), the core services, and the collector
 * of partial (per-provider) errors.
 */
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import type { Core, RequestScope } from '../core';

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

/** Context of one GraphQL request or subscription. */
export interface GraphQLContext {
  /** This request's core scope: client, clock, request id, log, loaders, consent guard. */
  readonly scope: RequestScope;
  /** The application services. */
  readonly core: Core;
  readonly partial: PartialErrors;
}
