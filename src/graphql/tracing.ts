/**
 * The span of a GraphQL operation over HTTP (src/tracing.ts): `traceOperation` opens it around Apollo's handling
 * of the request, so the provider calls its resolvers make are its children; `tracingPlugin` names it once the
 * operation is known and adds the client and the operation. Never the query text, variables or results.
 */
import type { ApolloServerPlugin, HTTPGraphQLResponse } from '@apollo/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { annotateActiveSpan, inSpan } from '../tracing';
import type { GraphQLContext } from './context';

/** Longest operation name put in a span name (names are client-chosen). */
const MAX_NAME = 100;

/** The span name of an operation: `graphql <operation name|anonymous>`. */
export function operationSpanName(operationName: string | null | undefined): string {
  return `graphql ${operationName ? operationName.slice(0, MAX_NAME) : 'anonymous'}`;
}

/**
 * Runs `handle` (Apollo's `executeHTTPGraphQLRequest`) inside the operation's span, a root span carrying the
 * request id (`satukredit.request_id`, the `x-request-id` answered) and the HTTP status answered.
 */
export function traceOperation(requestId: string, handle: () => Promise<HTTPGraphQLResponse>): Promise<HTTPGraphQLResponse> {
  return inSpan(
    operationSpanName(null),
    { 'satukredit.request_id': requestId },
    async (span) => {
      const result = await handle();
      const status = result.status ?? 200;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    },
    { kind: SpanKind.SERVER, root: true },
  );
}

/**
 * Names the active operation span and adds the client id (`satukredit.client_id`), the operation's name and type
 * (`graphql.operation.name`, `graphql.operation.type`) and how many errors it answered (`graphql.error_count`).
 * Outside an operation span (graphql-ws) it does nothing.
 */
export const tracingPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart({ contextValue }) {
    const clientId = contextValue.scope?.client.id;
    if (clientId) annotateActiveSpan({ 'satukredit.client_id': clientId });
    return {
      async didResolveOperation({ operationName, operation }) {
        annotateActiveSpan({ 'graphql.operation.name': operationName?.slice(0, MAX_NAME) ?? 'anonymous', 'graphql.operation.type': operation?.operation }, operationSpanName(operationName));
      },
      async willSendResponse({ response, errors }) {
        const body = response.body.kind === 'single' ? response.body.singleResult : null;
        const count = body?.errors?.length ?? errors?.length ?? 0;
        if (count) annotateActiveSpan({ 'graphql.error_count': count });
      },
    };
  },
};
