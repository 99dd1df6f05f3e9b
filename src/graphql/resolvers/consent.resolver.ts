/** Consent management, the access log, and data-subject rights (export, erase). */
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConsentUserError } from '../../core/consent.service';
import { type ConsentAction, effectiveStatus } from '../../domain/consent';
import { pageOfArray } from '../../core/paging';
import type { AccessLog, Consent } from '../../generated/prisma/client';
import type { GraphQLContext } from '../context';
import { expectGlobalId, toGlobalId } from '../ids';
import {
  AccessLogEntryConnection,
  AccessLogEntryObject,
  BorrowerDataErasePayload,
  ConsentConnection,
  ConsentEventObject,
  ConsentObject,
  ConsentPayload,
  ConsentRequestInput,
  ConsentRequestPayload,
  type UserError,
} from '../types/consent.type';
import { BadUserInputError } from '../errors';
import { type ConnectionSpec, pageArgDocs, pageWindow, toConnection } from '../types/connection.type';

const BORROWER_ID_DOC = 'Global id of the borrower (Borrower.id).';
const CONSENT_PAGE: ConnectionSpec = { tag: 'Consent', key: ['date', 'uuid'], defaultSize: 20, maxSize: 100 };
const CONSENT_PAGE_DOCS = pageArgDocs(CONSENT_PAGE);
const ACCESS_PAGE: ConnectionSpec = { tag: 'AccessLogEntry', key: ['date', 'bigint'], defaultSize: 100, maxSize: 500 };
const ACCESS_PAGE_DOCS = pageArgDocs(ACCESS_PAGE);
const CONSENT_ID_DOC = 'The consent id (Consent.id, the `consent_id` of the redirect).';
const REASON_DOC = 'Why, in a few words; kept in the consent history (ConsentEvent.reason).';

function consentObject(ctx: GraphQLContext, c: Consent): ConsentObject {
  return new ConsentObject(c, effectiveStatus(c, ctx.scope.clock.now()));
}

function userError(e: unknown): UserError {
  if (e instanceof ConsentUserError) return { field: e.field, message: e.message, code: e.code };
  throw e;
}

/** The borrower's uuid when this client holds (or held) a consent from them; null otherwise. */
async function visibleBorrower(ctx: GraphQLContext, id: string, argName = 'borrowerId'): Promise<string | null> {
  const [uuid] = expectGlobalId(id, 'Borrower', argName);
  return uuid && (await ctx.core.borrowers.isVisible(ctx.scope, uuid)) ? uuid : null;
}

@Resolver()
export class ConsentResolver {
  @Authorized('credit:read', 'consent:write')
  @Query(() => [ConsentObject], {
    description: "This client's consents from a borrower, oldest first, with their status now. Needs `credit:read` or `consent:write`.",
    deprecationReason: 'Use consentsConnection',
  })
  async consents(@Ctx() ctx: GraphQLContext, @Arg('borrowerId', () => ID, { description: BORROWER_ID_DOC }) borrowerId: string): Promise<ConsentObject[]> {
    const uuid = await visibleBorrower(ctx, borrowerId);
    if (!uuid) return [];
    return (await ctx.core.consents.listForClient(ctx.scope.client.id, uuid)).map((c) => consentObject(ctx, c));
  }

  @Authorized('credit:read', 'consent:write')
  @Query(() => ConsentConnection, {
    description:
      "This client's consents from a borrower, oldest requested first, with their status now, as a Relay connection (empty when the borrower never consented to this client). Needs `credit:read` or `consent:write`.",
  })
  async consentsConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('borrowerId', () => ID, { description: BORROWER_ID_DOC }) borrowerId: string,
    @Arg('first', () => Int, { nullable: true, description: CONSENT_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: CONSENT_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: CONSENT_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: CONSENT_PAGE_DOCS.before }) before: string | null,
  ): Promise<ConsentConnection> {
    const window = pageWindow(CONSENT_PAGE, { first, after, last, before });
    const uuid = await visibleBorrower(ctx, borrowerId);
    const rows = uuid ? await ctx.core.consents.listForClient(ctx.scope.client.id, uuid) : [];
    const key = (c: Consent) => [c.createdAt, c.id];
    return toConnection(CONSENT_PAGE, pageOfArray(rows, key, 'asc', window), key, (c) => consentObject(ctx, c));
  }

  @Authorized('credit:read', 'consent:write')
  @Query(() => [AccessLogEntryObject], {
    description: "Who read this borrower's data, what, when and why (newest first). Available to any client the borrower consented to. Needs `credit:read` or `consent:write`. `first` 1..500 (default 100).",
    deprecationReason: 'Use accessLogConnection',
  })
  async accessLog(
    @Ctx() ctx: GraphQLContext,
    @Arg('borrowerId', () => ID, { description: BORROWER_ID_DOC }) borrowerId: string,
    @Arg('first', () => Int, { defaultValue: 100, description: 'How many entries, newest first, 1..500.' }) first: number,
  ): Promise<AccessLogEntryObject[]> {
    if (first < 1 || first > 500) throw new BadUserInputError('"first" must be between 1 and 500', 'first');
    const uuid = await visibleBorrower(ctx, borrowerId);
    if (!uuid) return [];
    return (await ctx.core.consents.accessLog(uuid, first)).map((r) => new AccessLogEntryObject(r));
  }

  @Authorized('credit:read', 'consent:write')
  @Query(() => AccessLogEntryConnection, {
    description:
      "Who read this borrower's data, what, when and why, newest first, as a Relay connection: every client's reads (the access log is the borrower's), empty when the borrower never consented to this client. Needs `credit:read` or `consent:write`.",
  })
  async accessLogConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('borrowerId', () => ID, { description: BORROWER_ID_DOC }) borrowerId: string,
    @Arg('first', () => Int, { nullable: true, description: ACCESS_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: ACCESS_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: ACCESS_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: ACCESS_PAGE_DOCS.before }) before: string | null,
  ): Promise<AccessLogEntryConnection> {
    const window = pageWindow(ACCESS_PAGE, { first, after, last, before });
    const uuid = await visibleBorrower(ctx, borrowerId);
    const page = uuid ? await ctx.core.consents.accessLogPage(uuid, window) : { rows: [], totalCount: 0, hasNextPage: false, hasPreviousPage: false };
    return toConnection(ACCESS_PAGE, page, (r: AccessLog) => [r.at, r.id], (r) => new AccessLogEntryObject(r));
  }

  @Authorized('consent:write')
  @Query(() => GraphQLJSONObject, {
    nullable: true,
    description:
      "What this client holds about a borrower (UU PDP access right): identity (NIK masked to its first and last 4 digits unless the client has `identity:read`), the linked accounts at the providers its consents name (session credentials only flagged as present), provider data cached under its consents, its consents with their history, and its own access-log entries; nothing another client holds. Null when the borrower did not consent to this client. Needs `consent:write`.",
  })
  async borrowerDataExport(@Ctx() ctx: GraphQLContext, @Arg('borrowerId', () => ID, { description: BORROWER_ID_DOC }) borrowerId: string): Promise<Record<string, unknown> | null> {
    const uuid = await visibleBorrower(ctx, borrowerId);
    return uuid ? ctx.core.consents.exportForClient(ctx.scope.client.id, uuid, { fullNik: ctx.scope.client.scopes.has('identity:read') }) : null;
  }

  @Authorized('consent:write')
  @Mutation(() => ConsentRequestPayload, {
    description:
      "Asks a borrower for consent. Answers a PENDING consent and a single-use `consentUrl` (valid 15 minutes) to send the borrower to: on that page the borrower proves each provider account (Cairin app login; a one-time code to the phone Finfra or Dompet Kilat holds for the NIK) and approves (ACTIVE, accounts linked) or declines (REJECTED). The borrower's browser then returns to `redirectUri` with `consent_id`, `status` and `state`; the outcome is also in `consent(id)` and `consentStatusChanged(id)`. The answer is the same whether or not the NIK is known. `redirectUri` must be registered for the client (API_CLIENTS). Needs `consent:write`.",
  })
  async consentRequestCreate(@Ctx() ctx: GraphQLContext, @Arg('input', () => ConsentRequestInput, { description: 'Who is asked, for which providers and data, why and for how long.' }) input: ConsentRequestInput): Promise<ConsentRequestPayload> {
    try {
      const r = await ctx.core.consentRequests.create({ ...input, clientId: ctx.scope.client.id });
      return { consent: consentObject(ctx, r.consent), consentUrl: r.consentUrl, userErrors: [] };
    } catch (e) {
      return { consent: null, consentUrl: null, userErrors: [userError(e)] };
    }
  }

  @Authorized('credit:read', 'consent:write')
  @Query(() => ConsentObject, { nullable: true, description: "One of this client's consents by id, with its status now; null when it is not this client's. Needs `credit:read` or `consent:write`." })
  async consent(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: CONSENT_ID_DOC }) id: string): Promise<ConsentObject | null> {
    const c = await ctx.core.consents.get(ctx.scope.client.id, id);
    return c ? consentObject(ctx, c) : null;
  }

  private async change(ctx: GraphQLContext, id: string, action: ConsentAction, reason?: string): Promise<ConsentPayload> {
    try {
      return { consent: consentObject(ctx, await ctx.core.consents.change(ctx.scope.client.id, id, action, reason)), userErrors: [] };
    } catch (e) {
      return { consent: null, userErrors: [userError(e)] };
    }
  }

  @Authorized('consent:write')
  @Mutation(() => ConsentPayload, { description: 'Pauses an ACTIVE consent: no reads until resumed. Needs `consent:write`.' })
  consentPause(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: CONSENT_ID_DOC }) id: string, @Arg('reason', () => String, { nullable: true, description: REASON_DOC }) reason?: string): Promise<ConsentPayload> {
    return this.change(ctx, id, 'PAUSE', reason);
  }

  @Authorized('consent:write')
  @Mutation(() => ConsentPayload, { description: 'Resumes a PAUSED consent. Needs `consent:write`.' })
  consentResume(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: CONSENT_ID_DOC }) id: string): Promise<ConsentPayload> {
    return this.change(ctx, id, 'RESUME');
  }

  @Authorized('consent:write')
  @Mutation(() => ConsentPayload, {
    description: 'Revokes a consent: a hard stop. The next read makes no provider call, and provider data cached under it is deleted now. Needs `consent:write`.',
  })
  consentRevoke(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: CONSENT_ID_DOC }) id: string, @Arg('reason', () => String, { nullable: true, description: REASON_DOC }) reason?: string): Promise<ConsentPayload> {
    return this.change(ctx, id, 'REVOKE', reason);
  }

  @Authorized('consent:write')
  @Mutation(() => BorrowerDataErasePayload, {
    description:
      'Erases what this client holds about a borrower: its live consents are revoked (event CLIENT_ERASED) and the provider data cached under its consents is deleted; other clients\' consents and data, and the borrower\'s identity and linked accounts, are untouched (only the borrower can erase everything). Consent and access history stay. Idempotent: `erasedAt` is when this client\'s copy was first erased. Needs `consent:write`.',
  })
  async borrowerDataErase(@Ctx() ctx: GraphQLContext, @Arg('borrowerId', () => ID, { description: BORROWER_ID_DOC }) borrowerId: string): Promise<BorrowerDataErasePayload> {
    const uuid = await visibleBorrower(ctx, borrowerId);
    if (!uuid) return { erasedAt: null, userErrors: [{ field: ['borrowerId'], message: 'no such borrower', code: 'NOT_FOUND' }] };
    return { erasedAt: await ctx.core.consents.eraseForClient(ctx.scope.client.id, uuid), userErrors: [] };
  }
}

@Resolver(() => ConsentObject)
export class ConsentFieldsResolver {
  @FieldResolver(() => ID, { nullable: true, description: 'Global id of the borrower who approved; null until the borrower approves (and for a declined or lapsed request).' })
  borrowerId(@Root() c: ConsentObject): string | null {
    return c.c.borrowerId ? toGlobalId('Borrower', c.c.borrowerId) : null;
  }

  @FieldResolver(() => [ConsentEventObject], { description: 'Every change of the consent, oldest first (requested, opened, approved or declined, paused, resumed, revoked, expired).' })
  async history(@Root() c: ConsentObject, @Ctx() ctx: GraphQLContext): Promise<ConsentEventObject[]> {
    return (await ctx.core.consents.history(c.c.id)).map((e) => new ConsentEventObject(e));
  }
}
