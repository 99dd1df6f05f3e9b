/** Client webhooks (issue 13.9): a client registers endpoints, reads its delivery log and asks for redeliveries. Thin: each field is one call to `core.webhooks`. */
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { WebhookUserError } from '../../core/client-webhooks';
import { isUuid } from '../../domain/ids';
import type { GraphQLContext } from '../context';
import { type ConnectionSpec, pageArgDocs, pageWindow, toConnection } from '../types/connection.type';

const DELIVERY_PAGE: ConnectionSpec = { tag: 'WebhookDelivery', key: ['date', 'bigint', 'uuid'], defaultSize: 20, maxSize: 100 };
const DELIVERY_PAGE_DOCS = pageArgDocs(DELIVERY_PAGE);
import {
  WebhookDeliveryConnection,
  WebhookDeliveryObject,
  WebhookDeliveryRedeliverPayload,
  WebhookEndpointCreateInput,
  WebhookEndpointCreatePayload,
  WebhookEndpointDeletePayload,
  WebhookEndpointObject,
} from '../types/client-webhook.type';
import type { UserError } from '../types/consent.type';

function userError(e: unknown): UserError {
  if (e instanceof WebhookUserError) return { field: e.field, message: e.message, code: e.code };
  throw e;
}

@Resolver()
export class ClientWebhookResolver {
  @Authorized('webhook:write')
  @Mutation(() => WebhookEndpointCreatePayload, {
    description:
      'Registers an HTTPS endpoint for client webhooks and returns its signing secret, shown only here. Events about borrowers whose consent to this client is ACTIVE are POSTed to it, signed (`Satu-Signature`), at least once, retried with backoff for 24 h (README "Client webhooks"). At most 16 endpoints per client. Needs `webhook:write`.',
  })
  async webhookEndpointCreate(@Ctx() ctx: GraphQLContext, @Arg('input', () => WebhookEndpointCreateInput, { description: 'The URL and the event types.' }) input: WebhookEndpointCreateInput): Promise<WebhookEndpointCreatePayload> {
    try {
      const { endpoint, secret } = await ctx.core.webhooks.createEndpoint(ctx.scope.client.id, input.url, input.events);
      return { endpoint: new WebhookEndpointObject(endpoint), secret, userErrors: [] };
    } catch (e) {
      return { endpoint: null, secret: null, userErrors: [userError(e)] };
    }
  }

  @Authorized('webhook:read', 'webhook:write')
  @Query(() => [WebhookEndpointObject], { description: "This client's webhook endpoints (deleted ones left out), oldest first. Needs `webhook:read` or `webhook:write`." })
  async webhookEndpoints(@Ctx() ctx: GraphQLContext): Promise<WebhookEndpointObject[]> {
    return (await ctx.core.webhooks.endpoints(ctx.scope.client.id)).map((e) => new WebhookEndpointObject(e));
  }

  @Authorized('webhook:write')
  @Mutation(() => WebhookEndpointDeletePayload, { description: 'Deletes one of this client\'s endpoints: nothing more is sent to it (pending deliveries are CANCELLED); its delivery log stays readable. Needs `webhook:write`.' })
  async webhookEndpointDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: 'The endpoint id (WebhookEndpoint.id).' }) id: string): Promise<WebhookEndpointDeletePayload> {
    try {
      return { endpoint: new WebhookEndpointObject(await ctx.core.webhooks.deleteEndpoint(ctx.scope.client.id, id)), userErrors: [] };
    } catch (e) {
      return { endpoint: null, userErrors: [userError(e)] };
    }
  }

  @Authorized('webhook:read', 'webhook:write')
  @Query(() => WebhookDeliveryConnection, {
    description: "The delivery log of one of this client's endpoints, newest first, each delivery with every attempt (status code, duration, error). An endpoint that is not this client's has an empty log. Needs `webhook:read` or `webhook:write`.",
  })
  async webhookDeliveries(
    @Ctx() ctx: GraphQLContext,
    @Arg('endpointId', () => ID, { description: 'The endpoint id (WebhookEndpoint.id).' }) endpointId: string,
    @Arg('first', () => Int, { nullable: true, description: DELIVERY_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: DELIVERY_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: DELIVERY_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: DELIVERY_PAGE_DOCS.before }) before: string | null,
  ): Promise<InstanceType<typeof WebhookDeliveryConnection>> {
    const window = pageWindow(DELIVERY_PAGE, { first, after, last, before });
    const page = isUuid(endpointId) ? await ctx.core.webhooks.deliveries(ctx.scope.client.id, endpointId, window) : null;
    return toConnection(DELIVERY_PAGE, page ?? { rows: [], totalCount: 0, hasNextPage: false, hasPreviousPage: false }, (r) => [r.createdAt, r.sequence, r.id], (r) => new WebhookDeliveryObject(r));
  }

  @Authorized('webhook:write')
  @Mutation(() => WebhookDeliveryRedeliverPayload, {
    description: 'Sends one of this client\'s deliveries again now, whatever its state: a new attempt (a new entry in its log, `redelivery: true`) with the same event id and body, retried with backoff for 24 h if it fails. Needs `webhook:write`.',
  })
  async webhookDeliveryRedeliver(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: 'The delivery id.' }) id: string): Promise<WebhookDeliveryRedeliverPayload> {
    try {
      return { delivery: new WebhookDeliveryObject(await ctx.core.webhooks.redeliver(ctx.scope.client.id, id)), userErrors: [] };
    } catch (e) {
      return { delivery: null, userErrors: [userError(e)] };
    }
  }
}
