/**
 * Consent persistence: pause, resume, revoke, expiry, data-life purge, and the
 * data-subject rights (a client's export and erase of its copy; the borrower's
 * erase of everything). Consents come into being only through the borrower's
 * consent flow (ConsentRequestService). Every status change is a ConsentEvent
 * and is published (the consent-status subscription); ending a consent deletes
 * the provider data cached under it.
 */
import type { AccessLog, Consent, ConsentEvent, PrismaClient } from '../generated/prisma/client';
import { keysetPage, type Page, type PageWindow } from './paging';
import { type ConsentAction, covers, effectiveStatus, LIVE_STATUSES, transition } from '../domain/consent';
import { isUuid } from '../domain/ids';
import { isDatabaseUnavailable } from '../store/database';
import { maskNik } from '../domain/nik';
import type { Clock } from '../providers/connector';
import { NotFound } from './errors';
import { borrowerTag, clientTag, type Invalidation } from './response-cache';
import type { AccessLogWriter } from './access-log';
import type { Publisher } from './publisher';
import type { ClientWebhooks } from './client-webhooks';

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
    private readonly clock: Clock,
    private readonly publisher: Publisher,
    /** The access log's writer: flushed before the log is read, so this instance's own reads are listed. */
    private readonly accessLogWriter: AccessLogWriter,
    /** The response cache's invalidation: a consent change drops the client's and the borrower's stored answers. */
    private readonly invalidation: Invalidation,
    /** Client webhooks: a status change writes its CONSENT_STATUS_CHANGED deliveries in its own transaction. */
    private readonly webhooks?: ClientWebhooks,
  ) {}

  /**
   * Writes the client webhook deliveries (CONSENT_STATUS_CHANGED) of a status change inside the transaction making
   * it; `announce` (after commit) wakes this instance's delivery worker.
   * @returns how many deliveries were written.
   */
  async outbox(tx: Pick<PrismaClient, '$queryRawUnsafe'>, c: Pick<Consent, 'id' | 'clientId' | 'status' | 'borrowerId'>, type: string): Promise<number> {
    return this.webhooks ? this.webhooks.enqueueConsent(tx, c, type, this.clock.now()) : 0;
  }

  /**
   * Publishes a consent's status change (after its transaction committed). This instance's stored answers of
   * the client and the borrower are dropped at once; the other instances drop theirs when the change arrives.
   */
  announce(c: Pick<Consent, 'id' | 'clientId' | 'status' | 'borrowerId'>, type: string): void {
    this.invalidation.local([clientTag(c.clientId), ...(c.borrowerId ? [borrowerTag(c.borrowerId)] : [])]);
    this.publisher.publishConsent({ consentId: c.id, clientId: c.clientId, borrowerId: c.borrowerId, status: c.status, type, at: this.clock.now() });
    this.webhooks?.committed(1);
  }

  /** One of this client's consents by id, or null (another client's consent is not found either). */
  get(clientId: string, consentId: string): Promise<Consent | null> {
    if (!isUuid(consentId)) return Promise.resolve(null);
    return this.prisma.consent.findFirst({ where: { id: consentId, clientId } });
  }

  /**
   * The consent each time its status changes, from now on, while this client holds it (the
   * consent-status subscription). Ends when the consumer returns.
   * @throws NotFound when the consent is not this client's.
   */
  async watch(clientId: string, consentId: string): Promise<AsyncIterable<Consent>> {
    if (!(await this.get(clientId, consentId))) throw new NotFound('no such consent');
    const changes = this.publisher.consentChanges();
    const prisma = this.prisma;
    return (async function* () {
      for await (const ch of changes) {
        if (ch.consentId !== consentId || ch.clientId !== clientId) continue;
        // A change that cannot be read while the database is down is skipped; the subscription stays open.
        const c = await prisma.consent.findFirst({ where: { id: consentId, clientId } }).catch((e: unknown) => {
          if (isDatabaseUnavailable(e)) return null;
          throw e;
        });
        if (c) yield c;
      }
    })();
  }

  /** A consent's history, oldest first. */
  history(consentId: string): Promise<ConsentEvent[]> {
    return this.prisma.consentEvent.findMany({ where: { consentId }, orderBy: { at: 'asc' } });
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
    const type = action === 'PAUSE' ? 'PAUSED' : 'RESUMED';
    const changed = await this.prisma.$transaction(async (tx) => {
      const n = await tx.consent.updateMany({ where: { id: c.id, status: c.status }, data: { status: t.status } });
      if (n.count === 1) {
        await tx.consentEvent.create({ data: { consentId: c.id, type, status: t.status, actor: clientId, reason, at: this.clock.now() } });
        await this.outbox(tx, { ...c, status: t.status }, type);
      }
      return n.count === 1;
    });
    if (!changed) throw new ConsentUserError('INVALID_TRANSITION', 'the consent changed meanwhile; read it again', ['id']);
    const after = await this.prisma.consent.findUniqueOrThrow({ where: { id: c.id } });
    this.announce(after, type);
    return after;
  }

  /**
   * The borrower revokes one of their consents (from their own page), whichever client holds it.
   * @throws ConsentUserError NOT_FOUND when it is not the borrower's; INVALID_TRANSITION when it already ended.
   */
  async revokeByBorrower(borrowerId: string, consentId: string): Promise<Consent> {
    const c = isUuid(consentId) ? await this.prisma.consent.findFirst({ where: { id: consentId, borrowerId } }) : null;
    if (!c) throw new ConsentUserError('NOT_FOUND', 'no such consent', ['id']);
    const t = transition(effectiveStatus(c, this.clock.now()), 'REVOKE');
    if ('error' in t) throw new ConsentUserError('INVALID_TRANSITION', t.error, ['id']);
    return this.end(c.id, 'REVOKED', 'borrower', 'withdrawn by the borrower');
  }

  /**
   * Ends a live consent (REVOKED or EXPIRED) and deletes every snapshot cached under it, in one
   * transaction. The status change is conditional, so concurrent callers (two reads finding the same
   * consent past its expiry, on one instance or several) record the event once.
   */
  async end(consentId: string, status: 'REVOKED' | 'EXPIRED' | 'REJECTED', actor: string | null, reason: string | null, type: string = status): Promise<Consent> {
    const { consent, changed } = await this.prisma.$transaction(async (tx) => {
      const n = await tx.consent.updateMany({ where: { id: consentId, status: { in: [...LIVE_STATUSES] } }, data: { status, requestExpiresAt: null } });
      if (n.count === 1) {
        await tx.consentEvent.create({ data: { consentId, type, status, actor, reason, at: this.clock.now() } });
        await tx.providerSnapshot.deleteMany({ where: { consentId } });
        // A request that ends undecided forgets the NIK and name the client named.
        await tx.consentRequest.updateMany({ where: { consentId, completedAt: null }, data: { completedAt: this.clock.now(), nik: null, fullName: null, proofs: {} } });
      }
      const consent = await tx.consent.findUniqueOrThrow({ where: { id: consentId } });
      if (n.count === 1) await this.outbox(tx, consent, type);
      return { consent, changed: n.count === 1 };
    });
    if (changed) this.announce(consent, type);
    return consent;
  }

  /** Every consent a borrower gave, to any client, newest first, with history (the borrower's own page). */
  listForBorrower(borrowerId: string) {
    return this.prisma.consent.findMany({ where: { borrowerId }, include: { events: { orderBy: { at: 'asc' } } }, orderBy: { createdAt: 'desc' } });
  }

  /** The newest `first` access-log entries under one consent (this instance's queued entries written first). */
  async accessLogOfConsent(consentId: string, first: number) {
    await this.accessLogWriter.flush();
    return this.prisma.accessLog.findMany({ where: { consentId }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: first });
  }

  /** This client's consents from a borrower, oldest first. */
  listForClient(clientId: string, borrowerId: string): Promise<Consent[]> {
    return this.prisma.consent.findMany({ where: { borrowerId, clientId }, orderBy: { createdAt: 'asc' } });
  }

  /** A page of a borrower's access log, newest first (key: at, id; this instance's queued entries written first). */
  async accessLogPage(borrowerId: string, window: PageWindow): Promise<Page<AccessLog>> {
    await this.accessLogWriter.flush();
    return keysetPage<AccessLog>(
      {
        where: { borrowerId },
        fields: ['at', 'id'],
        order: 'desc',
        keyOf: (r) => [r.at, r.id],
        findMany: (args) => this.prisma.accessLog.findMany(args as Parameters<PrismaClient['accessLog']['findMany']>[0]),
        count: (args) => this.prisma.accessLog.count(args as Parameters<PrismaClient['accessLog']['count']>[0]),
      },
      window,
    );
  }

  /** The newest `first` access-log entries of a borrower (this instance's queued entries written first). */
  async accessLog(borrowerId: string, first: number) {
    await this.accessLogWriter.flush();
    return this.prisma.accessLog.findMany({ where: { borrowerId }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: first });
  }

  /**
   * Housekeeping, run periodically and at start: marks consents past `expiresAt`
   * EXPIRED (deleting their snapshots) and deletes snapshots older than their consent's data life.
   * @returns how many consents expired and snapshots were purged.
   */
  async sweep(): Promise<{ expired: number; purged: number }> {
    const now = this.clock.now();
    const due = await this.prisma.consent.findMany({
      where: { status: { in: [...LIVE_STATUSES] }, OR: [{ expiresAt: { lte: now } }, { status: 'PENDING', requestExpiresAt: { lte: now } }] },
      select: { id: true, expiresAt: true },
    });
    for (const c of due) await this.end(c.id, 'EXPIRED', null, c.expiresAt <= now ? 'expiresAt reached' : 'consent link not completed in time');
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
    const consentById = new Map(b.consents.map((c) => [c.id, c]));
    await this.accessLogWriter.flush();
    const access = await this.prisma.accessLog.findMany({ where: { borrowerId, clientId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
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
          // Only what the consent it is kept under covers: repayments are kept under every consent as the input of
          // the loans' balances (src/core/account-cache.ts), but belong to the client only under REPAYMENTS.
          cachedData: a.snapshots
            .filter((s) => {
              const c = consentById.get(s.consentId);
              return c !== undefined && covers(c, a.provider, s.domain);
            })
            .map((s) => ({ domain: s.domain, fetchedAt: s.fetchedAt, consentId: s.consentId, data: s.payload })),
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
      accessLog: access.map((l) => ({ at: l.at, clientId: l.clientId, kind: l.kind, source: l.source, provider: l.provider, domain: l.domain, purpose: l.purpose })),
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
    const ended: Consent[] = [];
    const at = await this.prisma.$transaction(async (tx) => {
      const prior = await tx.consentEvent.findFirst({ where: { type: 'CLIENT_ERASED', consent: { clientId, borrowerId } }, orderBy: { at: 'asc' } });
      const live = await tx.consent.findMany({ where: { clientId, borrowerId, status: { in: [...LIVE_STATUSES] } } });
      const now = this.clock.now();
      for (const c of live) {
        ended.push(await tx.consent.update({ where: { id: c.id }, data: { status: 'REVOKED', events: { create: { type: 'CLIENT_ERASED', status: 'REVOKED', actor: clientId, at: now } } } }));
        await this.outbox(tx, ended.at(-1)!, 'CLIENT_ERASED');
      }
      await tx.providerSnapshot.deleteMany({ where: { consent: { clientId, borrowerId } } });
      return prior?.at ?? now;
    });
    for (const c of ended) this.announce(c, 'CLIENT_ERASED');
    return at;
  }

  /**
   * Erases a borrower for every client (UU PDP erasure right; only the data subject may ask): deletes linked accounts, their
   * session credentials and all cached provider data, clears NIK and name, and
   * revokes live consents. Consent and access history stay, holding no
   * personal fields. Idempotent: erasing again changes nothing.
   * @returns when the borrower was erased (the first time).
   */
  async eraseBorrower(borrowerId: string, actor: string): Promise<Date> {
    const ended: Consent[] = [];
    const at = await this.prisma.$transaction(async (tx) => {
      const b = await tx.borrower.findUniqueOrThrow({ where: { id: borrowerId } });
      if (b.erasedAt) return b.erasedAt;
      const now = this.clock.now();
      await tx.providerAccount.deleteMany({ where: { borrowerId } });
      const live = await tx.consent.findMany({ where: { borrowerId, status: { in: [...LIVE_STATUSES] } } });
      for (const c of live) {
        ended.push(await tx.consent.update({ where: { id: c.id }, data: { status: 'REVOKED', events: { create: { type: 'BORROWER_ERASED', status: 'REVOKED', actor } } } }));
        await this.outbox(tx, ended.at(-1)!, 'BORROWER_ERASED');
      }
      await tx.borrower.update({ where: { id: borrowerId }, data: { nik: null, fullName: null, erasedAt: now } });
      return now;
    });
    for (const c of ended) this.announce(c, 'BORROWER_ERASED');
    return at;
  }
}
