/**
 * Credit scores and provider profiles of a borrower.
 *
 * Credit scores arrive by provider callbacks only (Finfra `user_credit_score`): the event applier writes them
 * (`writeCreditScores`, called from the ledger writes in one transaction with the event's "applied" mark) into
 * `CreditScore`, the latest per (provider, provider user id, source). Reads return the scores of the borrower's
 * linked accounts whose provider an ACTIVE consent covering CREDIT_SCORE names (consent guard, access log).
 *
 * Profiles (borrower type, KYC status) are read live from each consented provider under IDENTITY.
 *
 * Neither is kept by the response cache (no writer invalidates a tag for them): answers holding them are not stored.
 */
import DataLoader from 'dataloader';
import { randomUUID } from 'node:crypto';
import type { ConsentDenial } from '../domain/consent';
import type { BorrowerType, CreditScore, CreditScoreSource, KycStatus } from '../domain/credit-score';
import type { CreditScoreEvent } from '../domain/events';
import type { ProviderCode } from '../domain/types';
import { isDatabaseUnavailable } from '../store/database';
import type { SqlExecutor } from '../store/migrate';
import { accountRef } from './account-cache';
import type { CreditService } from './credit.service';
import { ConsentDenied, type ProviderFailureCode, providerFailure } from './errors';
import type { RequestScope } from './scope';

/** A borrower's profile at one provider: who they are there and where their KYC stands. */
export interface BorrowerProfile {
  readonly provider: ProviderCode;
  /** Natural person or legal entity; null where the provider gives none. */
  readonly borrowerType: BorrowerType | null;
  /** KYC status at the provider; null where the provider gives none. */
  readonly kycStatus: KycStatus | null;
}

/** Why one provider's part of a list was left out: a consent denial or a provider failure (client-safe message). */
export interface PartFailure {
  readonly provider: ProviderCode;
  readonly code: ConsentDenial | ProviderFailureCode;
  readonly message: string;
}

/** What a per-provider list read gives: the items of the providers that answered, and why the others did not. */
export interface PartsOf<T> {
  readonly items: T[];
  readonly failures: PartFailure[];
}

/**
 * Writes credit-score events inside the event applier's transaction, in one statement. Several events for one
 * (provider, user, source) are merged first (the latest `scoredAt` wins; on a tie the first); a stored score is
 * replaced only by a strictly later `scoredAt` (`supersedes`), so replays and late older callbacks change nothing.
 * The row's key is unique (provider, providerUserId, source), so concurrent writers of one key serialize on it.
 * @throws the database's error (the caller's transaction rolls back).
 */
export async function writeCreditScores(tx: SqlExecutor, events: readonly CreditScoreEvent[]): Promise<void> {
  const rows = new Map<string, CreditScoreEvent>();
  for (const e of events) {
    const key = `${e.provider}\u0000${e.providerUserId}\u0000${e.source}`;
    const cur = rows.get(key);
    if (!cur || e.scoredAt.getTime() > cur.scoredAt.getTime()) rows.set(key, e);
  }
  if (!rows.size) return;
  const r = [...rows.values()];
  await tx.query(
    `INSERT INTO "CreditScore" ("id", "provider", "providerUserId", "source", "score", "scoredAt", "receivedAt")
     SELECT id, provider::"Provider", "providerUserId", source, score, "scoredAt", clock_timestamp()
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) AS t(id, provider, "providerUserId", source, score, "scoredAt")
     ON CONFLICT ("provider", "providerUserId", "source") DO UPDATE SET
       "score" = EXCLUDED."score", "scoredAt" = EXCLUDED."scoredAt", "receivedAt" = EXCLUDED."receivedAt"
     WHERE EXCLUDED."scoredAt" > "CreditScore"."scoredAt"`,
    [r.map(() => randomUUID()), r.map((e) => e.provider), r.map((e) => e.providerUserId), r.map((e) => e.source), r.map((e) => e.score), r.map((e) => e.scoredAt.toISOString())],
  );
}

/** A stored score with when Satu Kredit stored it. */
export interface StoredCreditScore extends CreditScore {
  /** When the score was written from the provider's callback (database time). */
  readonly receivedAt: Date;
}

/** Stored scores of the given (provider, provider user id) accounts, newest `scoredAt` first. */
async function scoresOf(sql: SqlExecutor, accounts: readonly { provider: string; externalId: string }[]): Promise<StoredCreditScore[]> {
  return sql.query<StoredCreditScore>(
    `SELECT c."provider"::text AS "provider", c."providerUserId", c."score", c."source", c."scoredAt", c."receivedAt"
     FROM "CreditScore" c JOIN unnest($1::text[], $2::text[]) AS k(provider, uid) ON c."provider" = k.provider::"Provider" AND c."providerUserId" = k.uid
     ORDER BY c."scoredAt" DESC, c."source" ASC`,
    [accounts.map((a) => a.provider), accounts.map((a) => a.externalId)],
  );
}

/** Reads of credit scores and provider profiles for API requests. */
export class CreditScoreService {
  constructor(
    private readonly sql: SqlExecutor,
    private readonly credit: CreditService,
  ) {}

  /**
   * The credit scores of a borrower's linked accounts, newest first, from every provider the client's consents
   * name and an ACTIVE consent covering CREDIT_SCORE allows (each allowed read is in the access log as API_READ);
   * a provider not allowed is a failure with the denial code, and none of its scores is returned.
   * @throws the database's error.
   */
  async scores(scope: RequestScope, borrowerId: string): Promise<PartsOf<StoredCreditScore>> {
    // No writer invalidates a response-cache tag for scores: an answer holding them is not stored.
    scope.record.dontStore();
    const accounts = await this.credit.consentedAccounts(scope, borrowerId);
    const failures: PartFailure[] = [];
    const allowed: typeof accounts = [];
    for (const a of accounts) {
      try {
        await scope.guard.allow(borrowerId, a.provider, 'CREDIT_SCORE', 'API_READ');
        allowed.push(a);
      } catch (e) {
        if (!(e instanceof ConsentDenied)) throw e;
        if (!failures.some((f) => f.provider === a.provider)) failures.push({ provider: a.provider, code: e.denial, message: e.message });
      }
    }
    if (!allowed.length) return { items: [], failures };
    // One query per request for every borrower asked (borrowers(first: 50) { creditScores }).
    const loader = scope.loaders.memo.get('creditScores|loader', () =>
      new DataLoader<string, StoredCreditScore[]>(async (keys) => {
        const pairs = keys.map((k) => {
          const i = k.indexOf('|');
          return { provider: k.slice(0, i), externalId: k.slice(i + 1) };
        });
        const rows = await scoresOf(this.sql, pairs);
        return keys.map((k) => rows.filter((r) => `${r.provider}|${r.providerUserId}` === k));
      }),
    );
    const lists = await loader.loadMany(allowed.map((a) => `${a.provider}|${a.externalId}`));
    const items = lists.flatMap((l) => {
      if (l instanceof Error) throw l;
      return l;
    });
    items.sort((x, y) => y.scoredAt.getTime() - x.scoredAt.getTime() || x.provider.localeCompare(y.provider) || x.source.localeCompare(y.source));
    return { items, failures };
  }

  /**
   * The borrower's profile at each provider the client's consents name and an ACTIVE consent covering IDENTITY
   * allows, read live from the provider (a PROVIDER_READ in the access log). A provider not allowed, failing, or
   * no longer holding the account is a failure (or left out), the others are still returned.
   * @throws the database's error.
   */
  async profiles(scope: RequestScope, borrowerId: string): Promise<PartsOf<BorrowerProfile>> {
    // A live read: never answered from a stored answer.
    scope.record.dontStore();
    const accounts = await this.credit.consentedAccounts(scope, borrowerId);
    const parts = await Promise.all(
      accounts.map(async (a): Promise<BorrowerProfile | PartFailure | null> => {
        try {
          await scope.guard.allow(borrowerId, a.provider, 'IDENTITY', 'PROVIDER_READ');
        } catch (e) {
          if (!(e instanceof ConsentDenied)) throw e;
          return { provider: a.provider, code: e.denial, message: e.message };
        }
        scope.guard.source(borrowerId, a.provider, 'PROVIDER');
        try {
          const p = await scope.loaders.reads[a.provider].profile(accountRef(a));
          return p ? { provider: a.provider, borrowerType: p.borrowerType ?? null, kycStatus: p.kycStatus ?? null } : null;
        } catch (e) {
          if (isDatabaseUnavailable(e)) throw e;
          const f = providerFailure(a.provider, e);
          scope.log.warn({ provider: a.provider, accountId: a.id, code: f.code, err: (e as Error).message }, 'provider profile read failed');
          return { provider: a.provider, ...f };
        }
      }),
    );
    const items: BorrowerProfile[] = [];
    const failures: PartFailure[] = [];
    for (const p of parts) if (p) ('code' in p ? failures : items).push(p as never);
    return { items, failures };
  }
}

export type { CreditScoreSource };
