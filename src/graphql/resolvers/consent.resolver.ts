/** Consent management, the access log, and data-subject rights (export, erase). */
import { GraphQLError } from 'graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ConsentUserError } from '../../consent/consent.service';
import { type ConsentAction, effectiveStatus } from '../../domain/consent';
import type { Consent } from '../../generated/prisma/client';
import type { GraphQLContext } from '../context';
import { expectGlobalId } from '../ids';
import {
  AccessLogEntryObject,
  BorrowerDataErasePayload,
  ConsentGrantInput,
  ConsentObject,
  ConsentPayload,
  type UserError,
} from '../types/consent.type';
import { requireScope } from './guard';

function consentObject(ctx: GraphQLContext, c: Consent): ConsentObject {
  return new ConsentObject(c, effectiveStatus(c, ctx.clock.now()));
}

function userError(e: unknown): UserError {
  if (e instanceof ConsentUserError) return { field: e.field, message: e.message, code: e.code };
  throw e;
}

/** The borrower's uuid when this client holds (or held) a consent from them; null otherwise. */
async function visibleBorrower(ctx: GraphQLContext, id: string, argName = 'borrowerId'): Promise<string | null> {
  const [uuid] = expectGlobalId(id, 'Borrower', argName);
  if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid)) return null;
  return (await ctx.guard.visible(uuid)) ? uuid : null;
}

@Resolver()
export class ConsentResolver {
  @Query(() => [ConsentObject], { description: "This client's consents from a borrower, oldest first, with their status now. Needs `credit:read` or `consent:write`." })
  async consents(@Ctx() ctx: GraphQLContext, @Arg('borrowerId', () => ID) borrowerId: string): Promise<ConsentObject[]> {
    if (!ctx.client.scopes.has('consent:write')) requireScope(ctx, 'credit:read');
    const uuid = await visibleBorrower(ctx, borrowerId);
    if (!uuid) return [];
    const rows = await ctx.prisma.consent.findMany({ where: { borrowerId: uuid, clientId: ctx.client.id }, orderBy: { createdAt: 'asc' } });
    return rows.map((c) => consentObject(ctx, c));
  }

  @Query(() => [AccessLogEntryObject], {
    description: "Who read this borrower's data, what, when and why (newest first). Available to any client the borrower consented to. Needs `credit:read` or `consent:write`. `first` 1..500 (default 100).",
  })
  async accessLog(
    @Ctx() ctx: GraphQLContext,
    @Arg('borrowerId', () => ID) borrowerId: string,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
  ): Promise<AccessLogEntryObject[]> {
    if (!ctx.client.scopes.has('consent:write')) requireScope(ctx, 'credit:read');
    if (first < 1 || first > 500) throw new GraphQLError('"first" must be between 1 and 500', { extensions: { code: 'BAD_USER_INPUT', argumentName: 'first' } });
    const uuid = await visibleBorrower(ctx, borrowerId);
    if (!uuid) return [];
    const rows = await ctx.prisma.accessLog.findMany({ where: { borrowerId: uuid }, orderBy: { at: 'desc' }, take: first });
    return rows.map((r) => new AccessLogEntryObject(r));
  }

  @Query(() => GraphQLJSONObject, {
    nullable: true,
    description:
      "Everything Satu Kredit stores about a borrower (UU PDP access right): identity, linked accounts (session credentials only flagged as present), cached provider data, consents with history, access log. Null when the borrower did not consent to this client. Needs `consent:write`.",
  })
  async borrowerDataExport(@Ctx() ctx: GraphQLContext, @Arg('borrowerId', () => ID) borrowerId: string): Promise<Record<string, unknown> | null> {
    requireScope(ctx, 'consent:write');
    const uuid = await visibleBorrower(ctx, borrowerId);
    return uuid ? ctx.consents.exportBorrower(uuid) : null;
  }

  @Mutation(() => ConsentPayload, {
    description:
      "Records a borrower's consent to this client and links the borrower's accounts at the consented providers (linking happens only here, under a consent). Each account is verified with its provider (same NIK; Cairin's own login). Needs `consent:write`.",
  })
  async consentGrant(@Ctx() ctx: GraphQLContext, @Arg('input', () => ConsentGrantInput) input: ConsentGrantInput): Promise<ConsentPayload> {
    requireScope(ctx, 'consent:write');
    try {
      const c = await ctx.consents.grant({
        clientId: ctx.client.id,
        nik: input.borrower.nik,
        fullName: input.borrower.fullName,
        providers: input.providers,
        domains: input.domains,
        purpose: input.purpose,
        startsAt: input.startsAt,
        expiresAt: input.expiresAt,
        dataLifeSeconds: input.dataLifeSeconds,
        fetchIntervalSeconds: input.fetchIntervalSeconds,
        accounts: input.accounts
          ? { cairin: input.accounts.cairin ? { ...input.accounts.cairin } : undefined, finfraUserId: input.accounts.finfraUserId ?? undefined, dompetKilatIdNumber: input.accounts.dompetKilatIdNumber ?? undefined }
          : undefined,
      });
      return { consent: consentObject(ctx, c), userErrors: [] };
    } catch (e) {
      return { consent: null, userErrors: [userError(e)] };
    }
  }

  private async change(ctx: GraphQLContext, id: string, action: ConsentAction, reason?: string): Promise<ConsentPayload> {
    requireScope(ctx, 'consent:write');
    try {
      return { consent: consentObject(ctx, await ctx.consents.change(ctx.client.id, id, action, reason)), userErrors: [] };
    } catch (e) {
      return { consent: null, userErrors: [userError(e)] };
    }
  }

  @Mutation(() => ConsentPayload, { description: 'Pauses an ACTIVE consent: no reads until resumed. Needs `consent:write`.' })
  consentPause(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String, { nullable: true }) reason?: string): Promise<ConsentPayload> {
    return this.change(ctx, id, 'PAUSE', reason);
  }

  @Mutation(() => ConsentPayload, { description: 'Resumes a PAUSED consent. Needs `consent:write`.' })
  consentResume(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ConsentPayload> {
    return this.change(ctx, id, 'RESUME');
  }

  @Mutation(() => ConsentPayload, {
    description: 'Revokes a consent: a hard stop. The next read makes no provider call, and provider data cached under it is deleted now. Needs `consent:write`.',
  })
  consentRevoke(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('reason', () => String, { nullable: true }) reason?: string): Promise<ConsentPayload> {
    return this.change(ctx, id, 'REVOKE', reason);
  }

  @Mutation(() => BorrowerDataErasePayload, {
    description:
      'Erases a borrower (UU PDP erasure right): linked accounts, session credentials, cached provider data, NIK and name are deleted and live consents revoked; consent and access history stay without personal fields. Idempotent. Needs `consent:write`.',
  })
  async borrowerDataErase(@Ctx() ctx: GraphQLContext, @Arg('borrowerId', () => ID) borrowerId: string): Promise<BorrowerDataErasePayload> {
    requireScope(ctx, 'consent:write');
    const uuid = await visibleBorrower(ctx, borrowerId);
    if (!uuid) return { erasedAt: null, userErrors: [{ field: ['borrowerId'], message: 'no such borrower', code: 'NOT_FOUND' }] };
    return { erasedAt: await ctx.consents.eraseBorrower(uuid, ctx.client.id), userErrors: [] };
  }
}
