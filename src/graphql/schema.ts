/**
 * Builds the executable schema from the type-graphql classes and prints the
 * SDL that is committed as schema/schema.graphql (a test fails on drift).
 */
import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'type-graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { BorrowerResolver } from './resolvers/borrower.resolver';
import { CreditViewResolver } from './resolvers/credit-view.resolver';
import { BorrowerCreditScoreResolver } from './resolvers/credit-score.resolver';
import { FundingResolver } from './resolvers/funding.resolver';
import { LoanResolver } from './resolvers/loan.resolver';
import { NodeResolver } from './resolvers/node.resolver';
import { ConsentFieldsResolver, ConsentResolver } from './resolvers/consent.resolver';
import { OpsResolver } from './resolvers/ops.resolver';
import { ClientWebhookResolver } from './resolvers/client-webhook.resolver';
import { SubscriptionResolver } from './resolvers/subscription.resolver';
import type { GraphQLContext } from './context';
import { checkScopes } from './errors';
import { DateScalar, DateTimeScalar } from './scalars';
import { BorrowerObject } from './types/borrower.type';
import { LoanObject } from './types/loan.type';

/** Where the committed SDL lives. */
export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/schema.graphql');

let cached: GraphQLSchema | null = null;

/** The executable schema (built once per process). */
export async function graphqlSchema(): Promise<GraphQLSchema> {
  cached ??= await buildSchema({
    resolvers: [BorrowerResolver, BorrowerCreditScoreResolver, FundingResolver, CreditViewResolver, LoanResolver, NodeResolver, ConsentResolver, ConsentFieldsResolver, OpsResolver, ClientWebhookResolver, SubscriptionResolver],
    // `@Authorized('a', 'b')` on a field: the token must carry any of the named scopes, else FORBIDDEN.
    authChecker: ({ context }: { context: GraphQLContext }, scopes: string[]) => checkScopes(context.scope.client.scopes, scopes),
    orphanedTypes: [BorrowerObject, LoanObject],
    scalarsMap: [
      { type: Date, scalar: DateTimeScalar },
    ],
    validate: false,
    // type-graphql requires a PubSub; `loanChanged` streams from the core's publisher through its own `subscribe`.
    pubSub: createPubSub(),
  });
  void DateScalar;
  // type-graphql takes no description for the root types.
  cached.getQueryType()!.description = 'Reads: borrowers, their credit views and loans, consents and the access log (scope `credit:read` and others as each field says), client webhooks and operator views.';
  cached.getMutationType()!.description = 'Changes: consent requests and status changes, data-subject erasure, client webhook endpoints and redeliveries, operator replays.';
  cached.getSubscriptionType()!.description = 'Streams over graphql-ws at /graphql: loan changes and consent status changes.';
  return cached;
}

/** The SDL as committed: sorted, with descriptions. */
export async function printedSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await graphqlSchema()))}\n`;
}
