/**
 * The consent guard every provider read passes through (live call and cache
 * read alike). It loads the calling client's consents per borrower once per
 * request (DataLoader), decides each (borrower, provider, domain) read, expires
 * consents found past their expiry (deleting what was cached under them), and
 * records each allowed read in the access log.
 */
import DataLoader from 'dataloader';
import { type ConsentDomain, decide, effectiveStatus } from '../domain/consent';
import type { ProviderCode } from '../domain/types';
import type { Consent } from '../generated/prisma/client';
import type { SqlExecutor } from '../store/migrate';
import { consentsOfClient } from '../store/reads';
import type { Clock } from '../providers/connector';
import type { ConsentService } from './consent.service';
import { ConsentDenied } from './errors';
import { consentDenials } from '../metrics';
import type { AccessEntry, AccessKind, AccessLogWriter, AccessSource } from './access-log';
import { borrowerTag, type ReadRecord } from './response-cache';

export type { AccessKind } from './access-log';

/** Per-request consent decisions and access recording. */
export class ConsentGuard {
  private readonly consents: DataLoader<string, Consent[]>;
  private readonly access = new Map<string, AccessEntry>();
  private readonly expired = new Set<string>();

  /** @param sql where the client's consents are read (plain SQL, src/store/reads.ts): once per request and borrower, uncached. */
  constructor(
    sql: SqlExecutor,
    private readonly writer: AccessLogWriter,
    private readonly service: ConsentService,
    readonly clientId: string,
    private readonly clock: Clock,
    private readonly requestId: string,
    /** Where what the decisions depended on is recorded (the borrower's tag; when a consent's status moves with time). */
    private readonly record: ReadRecord,
  ) {
    this.consents = new DataLoader(async (borrowerIds) => {
      const rows = await consentsOfClient(sql, clientId, borrowerIds);
      const now = this.clock.now().getTime();
      for (const id of borrowerIds) record.tag(borrowerTag(id));
      for (const c of rows) for (const t of [c.startsAt, c.expiresAt, c.requestExpiresAt]) if (t && t.getTime() > now) record.changesAt(t.getTime());
      const by = new Map<string, Consent[]>();
      for (const r of rows) if (r.borrowerId) by.set(r.borrowerId, [...(by.get(r.borrowerId) ?? []), r]);
      return borrowerIds.map((id) => by.get(id) ?? []);
    });
  }

  /** Whether this client may know the borrower exists (it holds or held a consent from them). */
  async visible(borrowerId: string): Promise<boolean> {
    return (await this.consents.load(borrowerId)).length > 0;
  }

  /** Providers named by any of this client's consents for the borrower. */
  async providersNamed(borrowerId: string): Promise<Set<ProviderCode>> {
    return new Set((await this.consents.load(borrowerId)).flatMap((c) => c.providers));
  }

  /**
   * Allows a read of `domain` data (from `provider`, or borrower-level when null)
   * and records it, or throws.
   * @returns the ACTIVE consent that covers the read.
   * @throws ConsentDenied (CONSENT_REQUIRED, CONSENT_REVOKED, CONSENT_EXPIRED).
   */
  async allow(borrowerId: string, provider: ProviderCode | null, domain: ConsentDomain, kind: AccessKind): Promise<Consent> {
    const consents = await this.consents.load(borrowerId);
    const now = this.clock.now();
    for (const c of consents) {
      if (effectiveStatus(c, now) === 'EXPIRED' && c.status !== 'EXPIRED' && !this.expired.has(c.id)) {
        this.expired.add(c.id);
        await this.service.expire(c.id);
      }
    }
    const d = decide(consents, provider, domain, now);
    if ('denial' in d) {
      consentDenials.inc({ domain, code: d.denial });
      throw new ConsentDenied(d.denial, provider, domain);
    }
    const key = `${borrowerId}|${provider}|${domain}|${kind}`;
    if (!this.access.has(key)) {
      this.access.set(key, { clientId: this.clientId, borrowerId, kind, provider, domain, purpose: d.consent.purpose, consentId: d.consent.id, requestId: this.requestId, at: now, source: null });
    }
    return d.consent;
  }

  /** Whether `allow` would pass, without throwing (the read is recorded when it does). */
  async permits(borrowerId: string, provider: ProviderCode | null, domain: ConsentDomain, kind: AccessKind): Promise<boolean> {
    return this.allow(borrowerId, provider, domain, kind).then(
      () => true,
      (e: unknown) => {
        if (e instanceof ConsentDenied) return false;
        throw e;
      },
    );
  }

  /** Records where the data of this request's provider reads of (borrower, provider) came from: the provider or the cache. */
  source(borrowerId: string, provider: ProviderCode, source: AccessSource): void {
    for (const e of this.access.values()) if (e.kind === 'PROVIDER_READ' && e.borrowerId === borrowerId && e.provider === provider) e.source = source;
  }

  /** The access entries recorded so far (what a stored answer replays on each hit). */
  entries(): AccessEntry[] {
    return [...this.access.values()];
  }

  /**
   * Records the access entries of a stored answer served to this request: this request's id and time, and
   * CACHE as the source of provider reads (no provider was called).
   */
  replay(entries: readonly AccessEntry[]): void {
    const at = this.clock.now();
    for (const e of entries) {
      const key = `${e.borrowerId}|${e.provider}|${e.domain}|${e.kind}`;
      this.access.set(key, { ...e, requestId: this.requestId, at, source: e.kind === 'PROVIDER_READ' ? 'CACHE' : e.source });
    }
  }

  /**
   * Hands the access entries of this request to the access-log writer (called once when the response is sent;
   * written within 100 ms).
   * @returns a promise to wait for before the response is sent when the writer is behind (backpressure, see
   *   `AccessLogWriter.add`); nothing otherwise.
   */
  flush(): void | Promise<void> {
    if (!this.access.size) return;
    const data: AccessEntry[] = [...this.access.values()];
    this.access.clear();
    return this.writer.add(data);
  }
}
