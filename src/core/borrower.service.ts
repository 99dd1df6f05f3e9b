/**
 * Borrowers as one API client may see them: only those who consented to it
 * (any consent, current or past), paged oldest linked first.
 */
import type { ConsentDomain } from '../domain/consent';
import { maskNik } from '../domain/nik';
import { isUuid } from '../domain/ids';
import type { Borrower, PrismaClient } from '../generated/prisma/client';
import { InvalidInput } from './errors';
import type { RequestScope } from './scope';

/** Largest page `page` serves. */
export const MAX_PAGE = 100;

/** One page of borrowers, each with its opaque cursor. */
export interface BorrowerPage {
  readonly edges: readonly { readonly cursor: string; readonly node: Borrower }[];
  readonly totalCount: number;
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

function encodeCursor(row: Borrower): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new InvalidInput('"after" is not a cursor from this connection', 'after');
  }
}



/** Borrower reads. */
export class BorrowerService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * A page of the borrowers who consented to the scope's client.
   * @throws InvalidInput when `first` is outside 1..100 or `after` is not a cursor of this connection.
   */
  async page(scope: RequestScope, first: number, after: string | null): Promise<BorrowerPage> {
    if (first < 1 || first > MAX_PAGE) throw new InvalidInput(`"first" must be between 1 and ${MAX_PAGE}`, 'first');
    const mine = { consents: { some: { clientId: scope.client.id } } };
    const c = after ? decodeCursor(after) : null;
    const where = c ? { AND: [mine, { OR: [{ createdAt: { gt: c.createdAt } }, { createdAt: c.createdAt, id: { gt: c.id } }] }] } : mine;
    const [rows, totalCount] = await Promise.all([
      this.prisma.borrower.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: first + 1 }),
      this.prisma.borrower.count({ where: mine }),
    ]);
    const page = rows.slice(0, first);
    for (const r of page) scope.loaders.borrower.prime(r.id, r);
    return { edges: page.map((node) => ({ cursor: encodeCursor(node), node })), totalCount, hasNextPage: rows.length > first, hasPreviousPage: after !== null };
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
