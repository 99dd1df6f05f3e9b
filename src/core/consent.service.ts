/**
 * Consent persistence: grant (with account linking, which happens only under
 * a consent), pause, resume, revoke, expiry, data-life purge, and the
 * borrower's data-subject rights (export, erase). Every status change is a
 * ConsentEvent; ending a consent deletes the provider data cached under it.
 */
import type { Consent, PrismaClient } from '../generated/prisma/client';
import { type ConsentAction, type ConsentDomain, effectiveStatus, transition } from '../domain/consent';
import { maskNik } from '../domain/nik';
import type { ProviderCode } from '../domain/types';
import type { Clock } from '../providers/connector';
import { LinkMismatchError } from '../providers/connector';
import { ProviderAuthError, ProviderError } from '../providers/errors';
import { type Connectors, providerDefinition } from '../providers/registry';
import { LinkConflictError, linkAccounts } from './linking.service';

/** What a client asks for when a borrower grants consent. */
export interface GrantRequest {
  clientId: string;
  nik: string;
  fullName: string;
  providers: ProviderCode[];
  domains: ConsentDomain[];
  purpose: string;
  startsAt?: Date;
  expiresAt: Date;
  dataLifeSeconds: number;
  fetchIntervalSeconds?: number;
  /**
   * Accounts to link for the consented providers (omit those already linked), keyed by each provider's
   * `linkInputField` (the GraphQL `AccountLinkInput` fields): the provider's own link request.
   */
  accounts?: Readonly<Record<string, unknown>>;
}

/** A business rule a request broke; returned as `userErrors`, never thrown to the client. */
export class ConsentUserError extends Error {
  override readonly name = 'ConsentUserError';
  constructor(
    readonly code: string,
    message: string,
    readonly field: string[] = [],
  ) {
    super(message);
  }
}

/** Consent operations. */
export class ConsentService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly connectors: Connectors,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a consent and links the borrower's accounts for its providers.
   * @throws ConsentUserError on invalid terms, a NIK mismatch at a provider, or a provider without a linked or linkable account.
   */
  async grant(r: GrantRequest): Promise<Consent> {
    const now = this.clock.now();
    const startsAt = r.startsAt ?? now;
    if (!/^\d{15,16}$/.test(r.nik)) throw new ConsentUserError('INVALID_NIK', 'NIK must be 15 or 16 digits', ['borrower', 'nik']);
    if (!r.fullName.trim()) throw new ConsentUserError('INVALID_NAME', 'full name is required', ['borrower', 'fullName']);
    if (!r.providers.length) throw new ConsentUserError('NO_PROVIDERS', 'at least one provider is required', ['providers']);
    if (!r.domains.length) throw new ConsentUserError('NO_DOMAINS', 'at least one data domain is required', ['domains']);
    if (!r.purpose.trim()) throw new ConsentUserError('NO_PURPOSE', 'a purpose is required', ['purpose']);
    if (r.expiresAt <= startsAt || r.expiresAt <= now) throw new ConsentUserError('INVALID_PERIOD', 'expiresAt must be after startsAt and in the future', ['expiresAt']);
    if (!Number.isInteger(r.dataLifeSeconds) || r.dataLifeSeconds <= 0) throw new ConsentUserError('INVALID_DATA_LIFE', 'dataLifeSeconds must be a positive integer', ['dataLifeSeconds']);

    const existing = await this.prisma.borrower.findUnique({ where: { nik: r.nik }, include: { accounts: true } });
    const linked = new Set(existing?.accounts.map((a) => a.provider) ?? []);
    const link = new Map<ProviderCode, unknown>();
    const a = r.accounts ?? {};
    for (const p of r.providers) {
      const request = a[providerDefinition(p).linkInputField];
      if (request !== undefined && request !== null) link.set(p, request);
      else if (!linked.has(p)) throw new ConsentUserError('ACCOUNT_REQUIRED', `no ${p} account is linked; give one in accounts`, ['accounts']);
    }
    let borrowerId: string;
    try {
      borrowerId = await linkAccounts(this.prisma, this.connectors, { nik: r.nik, fullName: r.fullName, requests: link });
    } catch (e) {
      if (e instanceof LinkMismatchError) throw new ConsentUserError('ACCOUNT_MISMATCH', e.message, ['accounts']);
      if (e instanceof LinkConflictError) throw new ConsentUserError('ACCOUNT_CONFLICT', e.message, ['accounts']);
      if (e instanceof ProviderAuthError) throw new ConsentUserError('ACCOUNT_LOGIN_FAILED', `${e.provider} refused the account's login`, ['accounts']);
      if (e instanceof ProviderError) throw new ConsentUserError('PROVIDER_UNAVAILABLE', `${e.provider} could not be reached to link the account`, ['accounts']);
      throw e;
    }
    return this.prisma.consent.create({
      data: {
        borrowerId,
        clientId: r.clientId,
        providers: r.providers,
        domains: r.domains,
        purpose: r.purpose,
        startsAt,
        expiresAt: r.expiresAt,
        dataLifeSeconds: r.dataLifeSeconds,
        fetchIntervalSeconds: r.fetchIntervalSeconds ?? 0,
        status: startsAt > now ? 'PENDING' : 'ACTIVE',
        events: { create: { type: 'GRANTED', status: startsAt > now ? 'PENDING' : 'ACTIVE', actor: r.clientId } },
      },
    });
  }

  /**
   * Pauses, resumes or revokes one of the client's consents.
   * @throws ConsentUserError NOT_FOUND when the consent is not this client's; INVALID_TRANSITION when not allowed.
   */
  async change(clientId: string, consentId: string, action: ConsentAction, reason?: string): Promise<Consent> {
    const c = await this.prisma.consent.findFirst({ where: { id: consentId, clientId } });
    if (!c) throw new ConsentUserError('NOT_FOUND', 'no such consent', ['id']);
    const now = this.clock.now();
    const current = effectiveStatus(c, now);
    if (current === 'EXPIRED' && c.status !== 'EXPIRED') await this.end(c.id, 'EXPIRED', null, 'expired');
    const t = transition(current, action);
    if ('error' in t) throw new ConsentUserError('INVALID_TRANSITION', t.error, ['id']);
    if (t.status === 'REVOKED') return this.end(c.id, 'REVOKED', clientId, reason ?? null);
    return this.prisma.consent.update({
      where: { id: c.id },
      data: { status: t.status, events: { create: { type: action === 'PAUSE' ? 'PAUSED' : 'RESUMED', status: t.status, actor: clientId, reason } } },
    });
  }

  /**
   * Ends a live consent (REVOKED or EXPIRED) and deletes every snapshot cached under it, in one
   * transaction. The status change is conditional, so concurrent callers (two reads finding the same
   * consent past its expiry, on one instance or several) record the event once.
   */
  private async end(consentId: string, status: 'REVOKED' | 'EXPIRED', actor: string | null, reason: string | null): Promise<Consent> {
    return this.prisma.$transaction(async (tx) => {
      const changed = await tx.consent.updateMany({ where: { id: consentId, status: { in: ['PENDING', 'ACTIVE', 'PAUSED'] } }, data: { status } });
      if (changed.count === 1) {
        await tx.consentEvent.create({ data: { consentId, type: status, status, actor, reason } });
        await tx.providerSnapshot.deleteMany({ where: { consentId } });
      }
      return tx.consent.findUniqueOrThrow({ where: { id: consentId } });
    });
  }

  /** This client's consents from a borrower, oldest first. */
  listForClient(clientId: string, borrowerId: string): Promise<Consent[]> {
    return this.prisma.consent.findMany({ where: { borrowerId, clientId }, orderBy: { createdAt: 'asc' } });
  }

  /** The newest `first` access-log entries of a borrower. */
  accessLog(borrowerId: string, first: number) {
    return this.prisma.accessLog.findMany({ where: { borrowerId }, orderBy: { at: 'desc' }, take: first });
  }

  /**
   * Housekeeping, run periodically and at start: marks consents past `expiresAt`
   * EXPIRED (deleting their snapshots) and deletes snapshots older than their consent's data life.
   * @returns how many consents expired and snapshots were purged.
   */
  async sweep(): Promise<{ expired: number; purged: number }> {
    const now = this.clock.now();
    const due = await this.prisma.consent.findMany({ where: { status: { in: ['PENDING', 'ACTIVE', 'PAUSED'] }, expiresAt: { lte: now } }, select: { id: true } });
    for (const c of due) await this.end(c.id, 'EXPIRED', null, 'expiresAt reached');
    const snaps = await this.prisma.providerSnapshot.findMany({ select: { id: true, fetchedAt: true, consent: { select: { dataLifeSeconds: true } } } });
    const stale = snaps.filter((s) => s.fetchedAt.getTime() + s.consent.dataLifeSeconds * 1000 <= now.getTime()).map((s) => s.id);
    if (stale.length) await this.prisma.providerSnapshot.deleteMany({ where: { id: { in: stale } } });
    return { expired: due.length, purged: stale.length };
  }

  /** Expires one consent found past its expiry during a read (the guard calls this). */
  async expire(consentId: string): Promise<void> {
    await this.end(consentId, 'EXPIRED', null, 'expiresAt reached');
  }

  /**
   * What one API client holds about a borrower (UU PDP access right, as the client may answer it): the
   * borrower's identity (NIK masked to its first and last 4 digits unless `fullNik`), the accounts at the
   * providers the client's consents name (session credentials only flagged as present), the provider data
   * cached under the client's consents, the client's consents with their history, and the client's own
   * access-log entries. Nothing another client holds is included.
   * @throws Error when the borrower does not exist.
   */
  async exportForClient(clientId: string, borrowerId: string, opts: { fullNik: boolean }): Promise<Record<string, unknown>> {
    const b = await this.prisma.borrower.findUniqueOrThrow({
      where: { id: borrowerId },
      include: {
        accounts: { include: { snapshots: { where: { consent: { clientId } } } } },
        consents: { where: { clientId }, include: { events: { orderBy: { at: 'asc' } } }, orderBy: { createdAt: 'asc' } },
      },
    });
    const named = new Set(b.consents.flatMap((c) => c.providers));
    const access = await this.prisma.accessLog.findMany({ where: { borrowerId, clientId }, orderBy: { at: 'asc' } });
    return {
      exportedAt: this.clock.now().toISOString(),
      borrower: { id: b.id, nik: b.nik === null ? null : opts.fullNik ? b.nik : maskNik(b.nik), fullName: b.fullName, createdAt: b.createdAt, erasedAt: b.erasedAt },
      accounts: b.accounts
        .filter((a) => named.has(a.provider))
        .map((a) => ({
          provider: a.provider,
          providerAccountId: a.externalId,
          linkedAt: a.linkedAt,
          sessionCredentialStored: a.credentials !== null,
          cachedData: a.snapshots.map((s) => ({ domain: s.domain, fetchedAt: s.fetchedAt, consentId: s.consentId, data: s.payload })),
        })),
      consents: b.consents.map((c) => ({
        id: c.id,
        clientId: c.clientId,
        providers: c.providers,
        domains: c.domains,
        purpose: c.purpose,
        startsAt: c.startsAt,
        expiresAt: c.expiresAt,
        dataLifeSeconds: c.dataLifeSeconds,
        status: c.status,
        events: c.events.map((e) => ({ type: e.type, status: e.status, actor: e.actor, reason: e.reason, at: e.at })),
      })),
      accessLog: access.map((l) => ({ at: l.at, clientId: l.clientId, kind: l.kind, provider: l.provider, domain: l.domain, purpose: l.purpose })),
    };
  }

  /**
   * Erases what one API client holds about a borrower: its live consents are revoked (event
   * `CLIENT_ERASED`) and the provider data cached under any of its consents is deleted. Other clients'
   * consents and data, the borrower's identity and linked accounts are untouched; consent and access
   * history stay. Idempotent.
   * @returns when this client's copy was first erased.
   */
  async eraseForClient(clientId: string, borrowerId: string): Promise<Date> {
    return this.prisma.$transaction(async (tx) => {
      const prior = await tx.consentEvent.findFirst({ where: { type: 'CLIENT_ERASED', consent: { clientId, borrowerId } }, orderBy: { at: 'asc' } });
      const live = await tx.consent.findMany({ where: { clientId, borrowerId, status: { in: ['PENDING', 'ACTIVE', 'PAUSED'] } } });
      const now = this.clock.now();
      for (const c of live) {
        await tx.consent.update({ where: { id: c.id }, data: { status: 'REVOKED', events: { create: { type: 'CLIENT_ERASED', status: 'REVOKED', actor: clientId, at: now } } } });
      }
      await tx.providerSnapshot.deleteMany({ where: { consent: { clientId, borrowerId } } });
      return prior?.at ?? now;
    });
  }

  /**
   * Erases a borrower for every client (UU PDP erasure right; only the data subject may ask): deletes linked accounts, their
   * session credentials and all cached provider data, clears NIK and name, and
   * revokes live consents. Consent and access history stay, holding no
   * personal fields. Idempotent: erasing again changes nothing.
   * @returns when the borrower was erased (the first time).
   */
  async eraseBorrower(borrowerId: string, actor: string): Promise<Date> {
    return this.prisma.$transaction(async (tx) => {
      const b = await tx.borrower.findUniqueOrThrow({ where: { id: borrowerId } });
      if (b.erasedAt) return b.erasedAt;
      const now = this.clock.now();
      await tx.providerAccount.deleteMany({ where: { borrowerId } });
      const live = await tx.consent.findMany({ where: { borrowerId, status: { in: ['PENDING', 'ACTIVE', 'PAUSED'] } } });
      for (const c of live) {
        await tx.consent.update({ where: { id: c.id }, data: { status: 'REVOKED', events: { create: { type: 'BORROWER_ERASED', status: 'REVOKED', actor } } } });
      }
      await tx.borrower.update({ where: { id: borrowerId }, data: { nik: null, fullName: null, erasedAt: now } });
      return now;
    });
  }
}
