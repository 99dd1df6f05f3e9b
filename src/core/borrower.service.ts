/**
 * Borrowers as one API client may see them: only those who consented to it
 * (any consent, current or past), paged oldest linked first.
 */
import type { ConsentDomain } from '../domain/consent';
import { maskNik } from '../domain/nik';
import { isUuid } from '../domain/ids';
import type { Borrower, PrismaClient } from '../generated/prisma/client';
import { keysetPage, type Page, type PageWindow } from './paging';
import type { RequestScope } from './scope';

/** Borrower reads. */
export class BorrowerService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * A page of the borrowers who consented to the scope's client, oldest linked first (key: createdAt, id).
   * The page's rows prime the request's borrower loader.
   */
  async page(scope: RequestScope, window: PageWindow): Promise<Page<Borrower>> {
    const p = await keysetPage<Borrower>(
      {
        where: { consents: { some: { clientId: scope.client.id } } },
        fields: ['createdAt', 'id'],
        order: 'asc',
        keyOf: (r) => [r.createdAt, r.id],
        findMany: (args) => this.prisma.borrower.findMany(args as Parameters<PrismaClient['borrower']['findMany']>[0]),
        count: (args) => this.prisma.borrower.count(args as Parameters<PrismaClient['borrower']['count']>[0]),
      },
      window,
    );
    for (const r of p.rows) scope.loaders.borrower.prime(r.id, r);
    return p;
  }

  /**
   * The borrower with this id when the scope's client holds (or held) a consent from them; null
   * otherwise (unknown and not consented are indistinguishable to the client).
   */
  async visible(scope: RequestScope, borrowerId: string): Promise<Borrower | null> {
    if (!isUuid(borrowerId) || !(await scope.guard.visible(borrowerId))) return null;
    return scope.loaders.borrower.load(borrowerId);
  }

  /** Whether the client may know the borrower exists (holds or held a consent from them). */
  async isVisible(scope: RequestScope, borrowerId: string): Promise<boolean> {
    return isUuid(borrowerId) && scope.guard.visible(borrowerId);
  }

  /**
   * A borrower's identity (NIK and name) under an ACTIVE consent covering IDENTITY; the NIK masked to
   * its first and last 4 digits unless the client holds `identity:read`. Nulls after erasure.
   * @throws ConsentDenied when no ACTIVE consent covers IDENTITY.
   */
  async identity(scope: RequestScope, b: Borrower): Promise<{ nik: string | null; fullName: string | null }> {
    const domain: ConsentDomain = 'IDENTITY';
    await scope.guard.allow(b.id, null, domain, 'API_READ');
    return { nik: b.nik === null ? null : scope.client.scopes.has('identity:read') ? b.nik : maskNik(b.nik), fullName: b.fullName };
  }

  /** The borrower row by id within a request (a loan's or view's borrower). @throws Error when it vanished. */
  async byId(scope: RequestScope, borrowerId: string): Promise<Borrower> {
    const row = await scope.loaders.borrower.load(borrowerId);
    if (!row) throw new Error(`borrower ${borrowerId} vanished during the request`);
    return row;
  }
}
