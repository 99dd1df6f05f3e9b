/**
 * The consent guard every provider read passes through (live call and cache
 * read alike). It loads the calling client's consents per borrower once per
 * request (DataLoader), decides each (borrower, provider, domain) read, expires
 * consents found past their expiry (deleting what was cached under them), and
 * records each allowed read in the access log.
 */
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { type ConsentDenial, type ConsentDomain, decide, effectiveStatus } from '../domain/consent';
import type { ProviderCode } from '../domain/types';
import type { Consent, PrismaClient } from '../generated/prisma/client';
import type { Clock } from '../providers/connector';
import type { ConsentService } from './consent.service';
import { consentDenials } from '../metrics';

/** A read refused for want of an ACTIVE consent; `extensions.code` is the denial. */
export class ConsentError extends GraphQLError {
  constructor(
    readonly denial: ConsentDenial,
    provider: ProviderCode | null,
    domain: ConsentDomain,
  ) {
    const what = provider ? `${provider} ${domain.toLowerCase()}` : domain.toLowerCase();
    const why = denial === 'CONSENT_REVOKED' ? 'was revoked' : denial === 'CONSENT_EXPIRED' ? 'has expired' : 'is not active';
    super(`the borrower's consent for ${what} ${why}`, { extensions: { code: denial, ...(provider ? { provider } : {}), domain } });
  }
}

/** Kinds of access-log entries. */
export type AccessKind = 'PROVIDER_READ' | 'API_READ';

interface AccessEntry {
  clientId: string;
  borrowerId: string;
  kind: AccessKind;
  provider: ProviderCode | null;
  domain: ConsentDomain;
  purpose: string;
  consentId: string;
  requestId: string;
  at: Date;
}

/** Per-request consent decisions and access recording. */
export class ConsentGuard {
  private readonly consents: DataLoader<string, Consent[]>;
  private readonly access = new Map<string, AccessEntry>();
  private readonly expired = new Set<string>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly service: ConsentService,
    readonly clientId: string,
    private readonly clock: Clock,
    private readonly requestId: string,
  ) {
    this.consents = new DataLoader(async (borrowerIds) => {
      const rows = await prisma.consent.findMany({ where: { clientId, borrowerId: { in: [...borrowerIds] } }, orderBy: { createdAt: 'asc' } });
      return borrowerIds.map((id) => rows.filter((r) => r.borrowerId === id));
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
   * @throws ConsentError (CONSENT_REQUIRED, CONSENT_REVOKED, CONSENT_EXPIRED).
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
      throw new ConsentError(d.denial, provider, domain);
    }
    const key = `${borrowerId}|${provider}|${domain}|${kind}`;
    if (!this.access.has(key)) {
      this.access.set(key, { clientId: this.clientId, borrowerId, kind, provider, domain, purpose: d.consent.purpose, consentId: d.consent.id, requestId: this.requestId, at: now });
    }
    return d.consent;
  }

  /** Writes the access entries of this request (called once when the response is sent). */
  async flush(): Promise<void> {
    if (!this.access.size) return;
    const data = [...this.access.values()];
    this.access.clear();
    await this.prisma.accessLog.createMany({ data });
  }
}
