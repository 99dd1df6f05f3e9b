/**
 * The response cache as an Apollo Server plugin: a read operation whose root fields are all cacheable
 * (`creditView`, `borrower`, `borrowers`) is answered from a stored answer of the same client and token scopes, document
 * (Apollo's query hash), operation name and variables when one is stored and valid; otherwise it is executed
 * and its answer stored when nothing forbids it (src/core/response-cache.ts has the rules). A stored answer
 * replays the access-log entries of the read that made it, with this request's id and time and CACHE as
 * source, so the access log keeps one entry per (request, borrower, provider, domain). Identical reads arriving
 * while one of them computes wait for its answer instead of computing it again (when an answer expires under
 * load, one request recomputes it, not every connection at once).
 *
 * Not cached: mutations and subscriptions; operations naming any other root field (`loan` reads the provider
 * live, `accessLog`, `consents`, `webhookEvents` and the export read data no tag covers); answers with errors;
 * reads that passed `maxAgeSeconds` or went to a provider.
 */
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import type { CachedAnswer, ResponseCache } from '../core/response-cache';
import { responseCacheLookups } from '../metrics';
import type { GraphQLContext } from './context';

/** Root fields whose answers may be stored. */
export const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['creditView', 'borrower', 'borrowers', '__typename']);

/** Whether an operation may be answered from (and stored in) the response cache. */
export function cacheableOperation(op: OperationDefinitionNode | undefined): boolean {
  return op?.operation === 'query' && op.selectionSet.selections.every((s) => s.kind === 'Field' && CACHEABLE_ROOT_FIELDS.has(s.name.value));
}

/**
 * HTTP bodies of stored answers, by the answer's `data` object (kept as long as the stored answer is): a hit's
 * body is the string made when the answer was stored, not a new JSON.stringify of the same object (14% of the
 * server's CPU on the warm credit view).
 */
const bodies = new WeakMap<object, string>();

/**
 * Apollo's `stringifyResult`: the body of a stored answer when `value` is one (only `data`, no errors or
 * extensions), else what Apollo writes by default (`JSON.stringify(value)` and a newline).
 */
export function stringifyResult(value: { data?: unknown; errors?: unknown; extensions?: unknown }): string {
  if (value.errors === undefined && value.extensions === undefined && value.data !== null && typeof value.data === 'object') {
    const body = bodies.get(value.data);
    if (body !== undefined) return body;
  }
  return `${JSON.stringify(value)}\n`;
}

/** The plugin serving and storing answers in `cache`. */
export function responseCachePlugin(cache: ResponseCache): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let key: string | null = null;
      let tracked = false;
      let settle: ((a: CachedAnswer<unknown> | undefined) => void) | null = null;
      return {
        async responseForOperation({ operation, queryHash, operationName, request, contextValue }) {
          if (!cacheableOperation(operation) || !cache.enabled) {
            responseCacheLookups.inc({ result: 'bypass' });
            return null;
          }
          const scope = contextValue.scope;
          // The client and its token's scopes (identity:read unmasks NIKs), the document, the operation and its variables.
          const k = `${scope.client.id}\n${[...scope.client.scopes].sort().join(' ')}\n${queryHash}\n${operationName ?? ''}\n${JSON.stringify(request.variables ?? {})}`;
          // Stored, or being computed by an identical read that started earlier (when many ask at once, one computes).
          const waiting = cache.get(k, scope.clock.now().getTime()) ?? (await cache.pending(k));
          if (waiting) {
            responseCacheLookups.inc({ result: 'hit' });
            scope.guard.replay(waiting.access);
            return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: waiting.value as Record<string, unknown> } } };
          }
          responseCacheLookups.inc({ result: 'miss' });
          key = k;
          if (!cache.pending(k)) settle = cache.lead(k);
          cache.track(scope.record);
          tracked = true;
          return null;
        },
        async willSendResponse({ response, contextValue }) {
          if (!tracked) return;
          const scope = contextValue.scope;
          cache.untrack(scope.record);
          let stored: CachedAnswer<unknown> | undefined;
          if (key !== null && response.body.kind === 'single') {
            const r = response.body.singleResult;
            if (r.data && !r.errors?.length && !contextValue.partial.list().length) {
              const answer: CachedAnswer<unknown> = { value: r.data, access: scope.guard.entries() };
              const json = JSON.stringify(r.data);
              if (cache.set(key, scope.record, answer, json.length, scope.clock.now().getTime())) {
                stored = answer;
                // What `stringifyResult` gives every hit: Apollo's own serialization of `{ data }`.
                bodies.set(r.data, `{"data":${json}}\n`);
              }
            }
          }
          settle?.(stored);
        },
        async didEncounterErrors() {
          // An answer with errors is not stored: identical reads waiting for it compute their own.
          settle?.(undefined);
        },
      };
    },
  };
}
