/**
 * Provider data cached under a consent (ProviderSnapshot). Written after each
 * live provider read; deleted with the consent or when its data life runs out
 * (ConsentService). Payloads are JSON with bigint rupiah as decimal strings and
 * instants as ISO-8601.
 */
import { createHash } from 'node:crypto';
import type { ConsentDomain } from '../domain/consent';
import type { PrismaClient } from '../generated/prisma/client';

/** JSON text of domain data: bigint -> decimal string. */
export function snapshotJson(data: unknown): string {
  return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Stores (or replaces) what was fetched for (consent, account, domain). */
export async function saveSnapshot(
  prisma: PrismaClient,
  s: { consentId: string; accountId: string; domain: ConsentDomain; data: unknown; fetchedAt: Date },
): Promise<void> {
  const text = snapshotJson(s.data);
  const contentHash = createHash('sha256').update(text).digest('hex');
  const payload = JSON.parse(text) as object;
  await prisma.providerSnapshot.upsert({
    where: { consentId_accountId_domain: { consentId: s.consentId, accountId: s.accountId, domain: s.domain } },
    create: { consentId: s.consentId, accountId: s.accountId, domain: s.domain, payload, contentHash, fetchedAt: s.fetchedAt },
    // A fresh fetch already holds what earlier webhooks changed: clear their stamp.
    update: { payload, contentHash, fetchedAt: s.fetchedAt, eventAt: null },
  });
}
