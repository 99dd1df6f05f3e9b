/**
 * Relay connections (issue 14.4): every list that grows pages forward (`first`/`after`) and backward
 * (`last`/`before`) by opaque cursor, with exact page info and total count, and refuses bad paging arguments with
 * BAD_USER_INPUT; the deprecated list fields beside them answer as before. And `node(id:)` for the Node types
 * Consent, Repayment and Disbursement, under the consent that covers them. Over real HTTP against the sandbox and a
 * real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';
import { watchSubscribe } from '../support/subscriptions';

const clock = new TestClock(TEST_START);
let s: Stack;
/** The client whose borrowers, consents and access log are paged. */
const C = 'client-a';
/** Borrower (dataset index) with Cairin and Finfra accounts: several consents to C, loans at two providers. */
let rich: number;
let richId: string;

const token = (client = C) => s.token(client, ['credit:read', 'payoff:read', 'consent:write']);
const gid = (type: string, ...parts: string[]) => Buffer.from(JSON.stringify([type, ...parts])).toString('base64url');

interface Conn<N> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: N }[];
}

/**
 * Reads a whole connection page by page, forward (`first`, `after` = endCursor) or backward (`last`, `before` =
 * startCursor), checking each page's info; returns the nodes in list order.
 * @param read one page's connection for the arguments given.
 */
async function walk<N>(read: (args: Record<string, unknown>) => Promise<Conn<N>>, size: number, dir: 'forward' | 'backward'): Promise<N[]> {
  const pages: N[][] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const c: Conn<N> = await read(dir === 'forward' ? { first: size, after: cursor } : { last: size, before: cursor });
    expect(c.edges.length).toBeLessThanOrEqual(size);
    expect(c.pageInfo.startCursor).toBe(c.edges[0]?.cursor ?? null);
    expect(c.pageInfo.endCursor).toBe(c.edges.at(-1)?.cursor ?? null);
    const nodes = c.edges.map((e) => e.node);
    if (dir === 'forward') {
      pages.push(nodes);
      expect(c.pageInfo.hasPreviousPage).toBe(cursor !== null);
      if (!c.pageInfo.hasNextPage) break;
      cursor = c.pageInfo.endCursor;
    } else {
      pages.unshift(nodes);
      expect(c.pageInfo.hasNextPage).toBe(cursor !== null);
      if (!c.pageInfo.hasPreviousPage) break;
      cursor = c.pageInfo.startCursor;
    }
  }
  return pages.flat();
}

beforeAll(async () => {
  s = await startStack({ seed: 31, borrowers: 8, link: false, clock });
  rich = s.requests.findIndex((r) => r.cairin && r.finfraUserId);
  expect(rich).toBeGreaterThanOrEqual(0);
  // Five borrowers consent to C; the rich one three times (three consents).
  const others = s.requests.map((_, i) => i).filter((i) => i !== rich).slice(0, 4);
  const first = await s.grant(rich, C);
  richId = gid('Borrower', first.borrowerId);
  for (const i of others) await s.grant(i, C);
  await s.grant(rich, C, { providers: ['FINFRA'], domains: ['LOANS'] });
  await s.grant(rich, C);
}, 120_000);
afterAll(async () => {
  await s?.close();
});

describe('Relay connections', () => {
  it("pages the client's borrowers forward and backward, the same list both ways", async () => {
    const read = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($first: Int, $after: String, $last: Int, $before: String) { borrowers(first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`,
          args,
          token(),
        )
      ).data.borrowers as Conn<{ id: string }>;
    const all = await read({ first: 100 });
    expect(all.totalCount).toBe(5);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const ids = all.edges.map((e) => e.node.id);
    expect(new Set(ids).size).toBe(5);
    expect((await walk(read, 2, 'forward')).map((n) => n.id)).toEqual(ids);
    expect((await walk(read, 2, 'backward')).map((n) => n.id)).toEqual(ids);
    // The last two, and the page between two cursors.
    expect((await read({ last: 2 })).edges.map((e) => e.node.id)).toEqual(ids.slice(3));
    const between = await read({ first: 10, after: all.edges[0]!.cursor, before: all.edges[3]!.cursor });
    expect(between.edges.map((e) => e.node.id)).toEqual(ids.slice(1, 3));
    expect(between.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    // Neither first nor last: the default page from the start.
    expect((await read({})).edges.map((e) => e.node.id)).toEqual(ids);
  });

  it("pages a borrower's consents, oldest first, as the deprecated list gives them", async () => {
    const list = (await s.gql(`query($id: ID!) { consents(borrowerId: $id) { id status providers } }`, { id: richId }, token())).data.consents;
    expect(list).toHaveLength(3);
    const read = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { consentsConnection(borrowerId: $id, first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id status providers } } } }`,
          { id: richId, ...args },
          token(),
        )
      ).data.consentsConnection as Conn<unknown>;
    expect((await read({})).totalCount).toBe(3);
    expect(await walk(read, 2, 'forward')).toEqual(list);
    expect(await walk(read, 1, 'backward')).toEqual(list);
    // Another client sees none of them.
    const other = await s.gql(`query($id: ID!) { consentsConnection(borrowerId: $id) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, { id: richId }, token('client-other'));
    expect(other.data.consentsConnection).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
  });

  it("pages a borrower's access log, newest first, as the deprecated list gives it", async () => {
    // Reads that write the log: each credit view records provider and API reads.
    for (let k = 0; k < 3; k++) expect((await s.gql(`query($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { complete } }`, { id: richId }, token())).errors).toBeUndefined();
    const FIELDS = 'at clientId kind source provider domain purpose';
    const list = (await s.gql(`query($id: ID!) { accessLog(borrowerId: $id, first: 500) { ${FIELDS} } }`, { id: richId }, token())).data.accessLog;
    expect(list.length).toBeGreaterThan(6);
    expect(list.every((e: any) => e.kind === 'PROVIDER_READ' || e.kind === 'API_READ')).toBe(true);
    const read = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { accessLogConnection(borrowerId: $id, first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${FIELDS} } } } }`,
          { id: richId, ...args },
          token(),
        )
      ).data.accessLogConnection as Conn<unknown>;
    const whole = await read({ first: 500 });
    expect(whole.totalCount).toBe(list.length);
    const nodes = whole.edges.map((e) => e.node);
    // The same entries as the deprecated list (which leaves the order of entries of one instant open), newest first.
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sorted(nodes)).toEqual(sorted(list));
    expect(nodes.map((n: any) => n.at)).toEqual(list.map((e: any) => e.at));
    expect(await walk(read, 4, 'forward')).toEqual(nodes);
    expect(await walk(read, 5, 'backward')).toEqual(nodes);
  });

  it("pages a borrower's loans and a loan's repayments, forward and backward", async () => {
    const LOAN = 'id provider providerLoanId';
    const q = await s.gql(`query($id: ID!) { borrower(id: $id) { loans { ${LOAN} repayments { id transactionId paidAt amount { amount currency } } } } }`, { id: richId }, token());
    expect(q.errors).toBeUndefined();
    const loans = q.data.borrower.loans as { id: string; provider: string; providerLoanId: string; repayments: { transactionId: string; paidAt: string }[] }[];
    expect(new Set(loans.map((l) => l.provider)).size).toBeGreaterThan(1);
    const ordered = [...loans].sort((a, b) => (a.provider === b.provider ? (a.providerLoanId < b.providerLoanId ? -1 : 1) : a.provider < b.provider ? -1 : 1)).map(({ repayments: _, ...l }) => l);
    const readLoans = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { borrower(id: $id) { loansConnection(first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${LOAN} } } } } }`,
          { id: richId, ...args },
          token(),
        )
      ).data.borrower.loansConnection as Conn<unknown>;
    expect((await readLoans({})).totalCount).toBe(loans.length);
    expect(await walk(readLoans, 2, 'forward')).toEqual(ordered);
    expect(await walk(readLoans, 3, 'backward')).toEqual(ordered);

    const loan = loans.reduce((a, b) => (b.repayments.length > a.repayments.length ? b : a));
    expect(loan.repayments.length).toBeGreaterThan(1);
    const readRepayments = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { loan(id: $id) { repaymentsConnection(first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id transactionId paidAt amount { amount currency } } } } } }`,
          { id: loan.id, ...args },
          token(),
        )
      ).data.loan.repaymentsConnection as Conn<unknown>;
    expect((await readRepayments({})).totalCount).toBe(loan.repayments.length);
    expect(await walk(readRepayments, 1, 'forward')).toEqual(loan.repayments);
    expect(await walk(readRepayments, 2, 'backward')).toEqual(loan.repayments);
  });

  it("pages operators' stored webhook events, newest received first, both ways", async () => {
    const base = clock.now().getTime();
    const rows = await Promise.all(
      [0, 1, 2, 3, 4].map((k) =>
        s.db.prisma.webhookEvent.create({
          data: { source: 'FINFRA', kind: 'user_created', idempotencyKey: `connections-${k}`, payload: { type: 'user_created' }, receivedAt: new Date(base - (k % 3) * 60_000) },
        }),
      ),
    );
    const ops = s.token('operator', ['ops:read']);
    const read = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($first: Int, $after: String, $last: Int, $before: String) { webhookEventsConnection(first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id receivedAt } } } }`,
          args,
          ops,
        )
      ).data.webhookEventsConnection as Conn<{ id: string; receivedAt: string }>;
    const whole = await read({ first: 200 });
    const nodes = whole.edges.map((e) => e.node);
    expect(whole.totalCount).toBe(nodes.length);
    expect(new Set(nodes.map((n) => n.id))).toEqual(new Set(rows.map((r) => r.id)));
    const times = nodes.map((n) => Date.parse(n.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(await walk(read, 2, 'forward')).toEqual(nodes);
    expect(await walk(read, 2, 'backward')).toEqual(nodes);
    expect((await s.gql(`{ webhookEventsConnection { totalCount } }`, {}, token())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses bad paging arguments with BAD_USER_INPUT naming the argument', async () => {
    const consentsPage = await s.gql(`query($id: ID!) { consentsConnection(borrowerId: $id, first: 1) { pageInfo { endCursor } } }`, { id: richId }, token());
    const consentCursor = consentsPage.data.consentsConnection.pageInfo.endCursor as string;
    const cases: [string, Record<string, unknown>, string][] = [
      ['borrowers(first: $first, last: $last)', { first: 1, last: 1 }, 'last'],
      ['borrowers(first: $first)', { first: -1 }, 'first'],
      ['borrowers(first: $first)', { first: 101 }, 'first'],
      ['borrowers(last: $last)', { last: -5 }, 'last'],
      ['borrowers(after: $after)', { after: 'not-a-cursor' }, 'after'],
      ['borrowers(before: $before)', { before: Buffer.from('["Borrower","yesterday","x"]').toString('base64url') }, 'before'],
      // A cursor of another connection.
      ['borrowers(after: $after)', { after: consentCursor }, 'after'],
      ['accessLogConnection(borrowerId: $id, first: $first)', { first: 501 }, 'first'],
      ['consentsConnection(borrowerId: $id, after: $after)', { after: 'Zm9v' }, 'after'],
    ];
    for (const [field, args, arg] of cases) {
      const types: Record<string, string> = { id: 'ID!', first: 'Int', after: 'String', last: 'Int', before: 'String' };
      const vars = { ...(field.includes('$id') ? { id: richId } : {}), ...args };
      const decl = Object.keys(vars).map((k) => `$${k}: ${types[k]}`).join(', ');
      const r = await s.gql(`query(${decl}) { x: ${field} { totalCount } }`, vars, token());
      expect(r.data?.x ?? null, field).toBeNull();
      expect(r.errors?.map((e) => e.extensions), `${field} ${JSON.stringify(args)}`).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', argumentName: arg })]);
    }
    const loans = await s.gql(`query($id: ID!) { borrower(id: $id) { loansConnection(first: 1, last: 1) { totalCount } } }`, { id: richId }, token());
    expect(loans.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'last' });
    // first: 0 is a page of nothing, with the count and whether items follow.
    const none = await s.gql(`{ borrowers(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, {}, token());
    expect(none.data.borrowers).toEqual({ totalCount: 5, edges: [], pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });
});

describe('node(id:) for Consent, Repayment and Disbursement', () => {
  it('refetches each by its id, with the fields the list shows', async () => {
    const q = await s.gql(
      `query($id: ID!) { consents(borrowerId: $id) { id status purpose }
        borrower(id: $id) { loans { id repayments { id transactionId amount { amount } status } disbursements { id transactionId amount { amount } status } } } }`,
      { id: richId },
      token(),
    );
    expect(q.errors).toBeUndefined();
    const consent = q.data.consents[0];
    const repayment = q.data.borrower.loans.flatMap((l: any) => l.repayments)[0];
    const disbursement = q.data.borrower.loans.flatMap((l: any) => l.disbursements)[0];
    expect(repayment && disbursement).toBeTruthy();
    const r = await s.gql(
      `query($c: ID!, $r: ID!, $d: ID!) {
        c: node(id: $c) { __typename id ... on Consent { status purpose } }
        r: node(id: $r) { __typename id ... on Repayment { transactionId amount { amount } status } }
        d: node(id: $d) { __typename id ... on Disbursement { transactionId amount { amount } status } } }`,
      { c: consent.id, r: repayment.id, d: disbursement.id },
      token(),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ c: { __typename: 'Consent', ...consent }, r: { __typename: 'Repayment', ...repayment }, d: { __typename: 'Disbursement', ...disbursement } });
    // Unknown ids of these types: null.
    const [, accountId, providerLoanId] = JSON.parse(Buffer.from(q.data.borrower.loans[0].id, 'base64url').toString()) as string[];
    const unknown = await s.gql(
      `query($r: ID!, $c: ID!) { r: node(id: $r) { id } c: node(id: $c) { id } }`,
      { r: gid('Repayment', accountId!, providerLoanId!, 'no-such-transaction'), c: '00000000-0000-4000-8000-000000000000' },
      token(),
    );
    expect(unknown.data).toEqual({ r: null, c: null });
  });

  it("never answers what the caller's consent does not cover", async () => {
    const full = await s.gql(`query($id: ID!) { borrower(id: $id) { loans { provider repayments { id transactionId } disbursements { id } } } consents(borrowerId: $id) { id } }`, { id: richId }, token());
    const finfra = full.data.borrower.loans.filter((l: any) => l.provider === 'FINFRA');
    const repayment = finfra.flatMap((l: any) => l.repayments)[0] ?? full.data.borrower.loans.flatMap((l: any) => l.repayments)[0];
    const disbursement = full.data.borrower.loans.flatMap((l: any) => l.disbursements)[0];
    const consentId = full.data.consents[0].id;
    const ask = (t: string) =>
      s.gql(
        `query($r: ID!, $d: ID!, $c: ID!) { r: node(id: $r) { id ... on Repayment { transactionId amount { amount } } } d: node(id: $d) { id } c: node(id: $c) { id } }`,
        { r: repayment.id, d: disbursement.id, c: consentId },
        t,
      );
    // A client whose consent from the borrower covers loans only: the loan is readable, its repayments are not.
    await s.grant(rich, 'client-loans-only', { domains: ['LOANS'] });
    const narrow = await ask(token('client-loans-only'));
    expect(narrow.data).toEqual({ r: null, d: null, c: null });
    expect(new Set(narrow.errors!.map((e) => e.extensions!.code))).toEqual(new Set(['CONSENT_REQUIRED']));
    expect(JSON.stringify(narrow)).not.toContain(repayment.transactionId);
    // A client the borrower never consented to: nothing, not even an error saying it exists.
    const stranger = await ask(token('client-other'));
    expect(stranger.errors).toBeUndefined();
    expect(stranger.data).toEqual({ r: null, d: null, c: null });
    // After revocation, the client that read them gets nothing either.
    const consents = (await s.gql(`query($id: ID!) { consents(borrowerId: $id) { id status } }`, { id: richId }, token('client-loans-only'))).data.consents;
    await s.gql(`mutation($c: ID!) { consentRevoke(id: $c) { consent { status } } }`, { c: consents[0].id }, token('client-loans-only'));
    const revoked = await s.gql(`query($r: ID!) { r: node(id: $r) { id ... on Repayment { transactionId } } }`, { r: repayment.id }, token('client-loans-only'));
    expect(revoked.data.r).toBeNull();
    expect(JSON.stringify(revoked)).not.toContain(repayment.transactionId);
  });
});

describe('LoanChange.changeKind', () => {
  it('names the change as an enum beside the deprecated lowercase kind', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const user = s.sandbox.dataset.finfra.find((u) => u.userId === s.requests[rich]!.finfraUserId)!;
    const l = user.loans.find((x) => x.status === 'DISBURSED' && x.installments.some((i) => i.paid === 0n));
    expect(l).toBeTruthy();
    await s.gql(`query($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id: richId }, token());
    const watch = watchSubscribe(s.app.core.deps.publisher, 'subscribe');
    const client = createClient({ url: `${s.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token()}` }, lazy: true });
    try {
      const pushed = new Promise<any>((resolve, reject) => {
        client.subscribe(
          { query: `subscription($id: ID!) { loanChanged(borrowerId: $id) { providerLoanId kind changeKind } }`, variables: { id: richId } },
          { next: resolve, error: reject, complete: () => undefined },
        );
      });
      await watch.subscribed;
      watch.restore();
      const amount = Number(l!.installments.find((x) => x.paid === 0n)!.total);
      await s.sender.finfra('payment-gateway', 'va', 'PENDING', {
        payment_id: `PAY-CONN-${l!.loanUniqueId}`,
        loanUniqueId: l!.loanUniqueId,
        amount,
        bank_code: 'BCA',
        status: 'PENDING',
        paid_at: clock.now().toISOString(),
        settled_at: null,
      });
      await s.applier.idle();
      expect((await pushed).data.loanChanged).toEqual({ providerLoanId: l!.loanUniqueId, kind: 'repayment', changeKind: 'REPAYMENT' });
    } finally {
      watch.restore();
      await client.dispose();
    }
  });
});

describe('webhookDeliveries', () => {
  it("pages an endpoint's deliveries, newest first, both ways", async () => {
    const t = s.token(C, ['credit:read', 'consent:write', 'webhook:write']);
    const created = await s.gql(
      `mutation($input: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $input) { endpoint { id } userErrors { code } } }`,
      { input: { url: 'http://127.0.0.1:9/connections-hook', events: ['CONSENT_STATUS_CHANGED'] } },
      t,
    );
    expect(created.data.webhookEndpointCreate.userErrors).toEqual([]);
    const endpointId = created.data.webhookEndpointCreate.endpoint.id as string;
    // Each status change of one of C's consents is one delivery to the endpoint (six, all at one instant of the test clock).
    const consent = (await s.gql(`query($id: ID!) { consents(borrowerId: $id) { id status } }`, { id: richId }, t)).data.consents.find((c: any) => c.status === 'ACTIVE');
    for (let k = 0; k < 3; k++) {
      expect((await s.gql(`mutation($c: ID!) { consentPause(id: $c) { userErrors { code } } }`, { c: consent.id }, t)).data.consentPause.userErrors).toEqual([]);
      expect((await s.gql(`mutation($c: ID!) { consentResume(id: $c) { userErrors { code } } }`, { c: consent.id }, t)).data.consentResume.userErrors).toEqual([]);
    }
    const read = async (args: Record<string, unknown>) =>
      (
        await s.gql(
          `query($e: ID!, $first: Int, $after: String, $last: Int, $before: String) { webhookDeliveries(endpointId: $e, first: $first, after: $after, last: $last, before: $before) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id sequence eventType } } } }`,
          { e: endpointId, ...args },
          t,
        )
      ).data.webhookDeliveries as Conn<{ id: string; sequence: string }>;
    const whole = await read({ first: 100 });
    expect(whole.totalCount).toBe(6);
    const nodes = whole.edges.map((e) => e.node);
    const seqs = nodes.map((n) => BigInt(n.sequence));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(await walk(read, 4, 'forward')).toEqual(nodes);
    expect(await walk(read, 4, 'backward')).toEqual(nodes);
  });
});
