/**
 * Finfra provider data that used to be dropped (issue 13.7): the borrower's type and KYC status read from the
 * Finfra sandbox over HTTP (IDENTITY), and the credit score of a `user_credit_score` callback, sent signed with
 * `finfra-auth-key` to the real webhook endpoint, stored, applied once, and read under CREDIT_SCORE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/app';
import { finfraCreditScoreData } from '../../src/sandbox';
import { jakartaDateOf, TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const clock = new TestClock(TEST_START);
let s: Stack;
/** John (borrower 0 of the dataset: Cairin, Finfra, Dompet Kilat), consented to test-client for every domain. */
let johnId: string;
let johnGid: string;

beforeAll(async () => {
  s = await startStack({ seed: 31, borrowers: 4, clock, link: false });
  johnId = (await s.grant(0)).borrowerId;
  johnGid = toGlobalId('Borrower', johnId);
});
afterAll(async () => {
  await s?.close();
});

const finfraUser = () => s.sandbox.dataset.finfra.find((u) => u.userId === s.requests[0]!.finfraUserId)!;
const SCORES = `query($id: ID!) { borrower(id: $id) { creditScores { provider score source scoredAt scoredOn receivedAt } } }`;
const storedScores = () => s.db.prisma.creditScore.findMany({ where: { providerUserId: finfraUser().userId } });
const storedEvents = () => s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'user_credit_score' } });

describe('Finfra borrower type and KYC status', () => {
  it('come from the Finfra sandbox over HTTP under IDENTITY, per provider', async () => {
    const before = s.calls.filter((c) => c.provider === 'FINFRA' && c.endpoint === 'GET /api/core/users/:userId').length;
    const r = await s.gql(`query($id: ID!) { borrower(id: $id) { providerProfiles { provider borrowerType kycStatus } } }`, { id: johnGid });
    expect(r.errors).toBeUndefined();
    const u = finfraUser();
    const finfra = r.data.borrower.providerProfiles.find((p: any) => p.provider === 'FINFRA');
    expect(finfra).toEqual({ provider: 'FINFRA', borrowerType: u.borrowerType, kycStatus: u.status });
    expect(finfra).toEqual({ provider: 'FINFRA', borrowerType: 'PERSONAL', kycStatus: 'APPROVED' });
    // Providers that give neither still answer, with nulls.
    for (const p of r.data.borrower.providerProfiles.filter((x: any) => x.provider !== 'FINFRA')) expect(p).toMatchObject({ borrowerType: null, kycStatus: null });
    // Read live from Finfra's borrower endpoint.
    expect(s.calls.filter((c) => c.provider === 'FINFRA' && c.endpoint === 'GET /api/core/users/:userId').length).toBeGreaterThan(before);
  });

  it('are refused without IDENTITY in the consent', async () => {
    const c = await s.grant(0, 'client-loans-only', { domains: ['LOANS'] });
    const r = await s.gql(`query($id: ID!) { borrower(id: $id) { providerProfiles { provider kycStatus } } }`, { id: toGlobalId('Borrower', c.borrowerId) }, s.token('client-loans-only', ['credit:read']));
    expect(r.data.borrower.providerProfiles).toEqual([]);
    const finfra = r.errors?.find((e) => e.extensions?.provider === 'FINFRA');
    expect(finfra?.extensions).toMatchObject({ code: 'CONSENT_REQUIRED', provider: 'FINFRA' });
    expect(finfra?.path).toEqual(['borrower', 'providerProfiles']);
  });
});

describe('Finfra user_credit_score callback', () => {
  it('is stored before it is acknowledged, applied, and shows in GraphQL with its date and source', async () => {
    const data = finfraCreditScoreData(finfraUser())!;
    expect(data).not.toBeNull();
    const ack = await s.sender.finfraCreditScore(data);
    expect(ack.status).toBe(200);
    expect(ack.response).toEqual({ received: true, duplicate: false });
    // Stored under its idempotency key before the 200 (the worker may already have applied it).
    expect(await storedEvents()).toHaveLength(1);
    await s.applier.idle();
    expect((await storedEvents())[0]!.outcome).toBe('APPLIED');

    const r = await s.gql(SCORES, { id: johnGid });
    expect(r.errors).toBeUndefined();
    const source = { afpi: 'AFPI', clik: 'CLIK', both: 'AFPI_CLIK' }[data.credit_source];
    expect(r.data.borrower.creditScores).toEqual([
      { provider: 'FINFRA', score: data.credit_score, source, scoredAt: expect.any(String), scoredOn: jakartaDateOf(new Date(data.scored_at)), receivedAt: expect.any(String) },
    ]);
    expect(Date.parse(r.data.borrower.creditScores[0].scoredAt)).toBe(Date.parse(data.scored_at));
    // The read is in the access log under CREDIT_SCORE.
    await s.app.core.accessLog.flush();
    expect(await s.db.prisma.accessLog.count({ where: { clientId: 'test-client', borrowerId: johnId, domain: 'CREDIT_SCORE', provider: 'FINFRA', kind: 'API_READ' } })).toBeGreaterThan(0);
  });

  it('applies a replayed callback once, and only a later score replaces the stored one', async () => {
    const first = (await storedScores())[0]!;
    const replay = await s.sender.replay();
    expect(replay.status).toBe(200);
    expect(replay.response).toEqual({ received: true, duplicate: true });
    await s.applier.idle();
    expect(await storedEvents()).toHaveLength(1);
    expect(await storedScores()).toEqual([first]);

    const u = finfraUser();
    const source = u.creditScore!.source;
    // A late callback with an older score: stored and applied, but the newer score stays.
    const older = await s.sender.finfraCreditScore({ userId: u.userId, credit_score: 401, credit_source: source, scored_at: '2020-01-01T09:00:00+07:00' });
    expect(older.status).toBe(200);
    await s.applier.idle();
    expect((await storedScores()).map((x) => x.score)).toEqual([first.score]);

    // The sandbox computes a new score now; its callback replaces the stored one (one row per provider, user and source).
    clock.advance(60_000);
    const fresh = (await (await fetch(`${s.sandbox.urls.finfra}/__sandbox/users/${u.userId}/credit-score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ score: 777 }) })).json()) as Parameters<Stack['sender']['finfraCreditScore']>[0];
    expect((await s.sender.finfraCreditScore(fresh)).status).toBe(200);
    await s.applier.idle();
    const rows = await storedScores();
    expect(rows.map((x) => [x.score, x.source])).toEqual([[777, first.source]]);
    const r = await s.gql(SCORES, { id: johnGid });
    expect(r.data.borrower.creditScores.map((x: any) => [x.score, x.scoredOn])).toEqual([[777, jakartaDateOf(clock.now())]]);
  });

  it('rejects malformed or unsigned callbacks with a 4xx and a reason, storing nothing', async () => {
    const u = finfraUser();
    const before = (await storedEvents()).length;
    const ok = { userId: u.userId, credit_score: 640, credit_source: 'clik', scored_at: '2026-11-20T10:00:00+07:00' };
    const noScore = await s.sender.finfra('users', 'user_credit_score', 'COMPLETED', { ...ok, credit_score: undefined });
    expect(noScore.status).toBe(400);
    expect(noScore.response).toMatchObject({ error: 'bad_request', message: expect.stringContaining('data.credit_score') });
    const badSource = await s.sender.finfra('users', 'user_credit_score', 'COMPLETED', { ...ok, credit_source: 'pefindo' });
    expect(badSource.status).toBe(400);
    expect((badSource.response as { message: string }).message).toContain('data.credit_source');
    const badDate = await s.sender.finfra('users', 'user_credit_score', 'COMPLETED', { ...ok, scored_at: '20/11/2026' });
    expect(badDate.status).toBe(400);
    const wrongPath = await s.sender.finfra('payment-gateway', 'user_credit_score', 'COMPLETED', ok);
    expect(wrongPath.status).toBe(400);
    const unsigned = await s.sender.finfra('users', 'user_credit_score', 'COMPLETED', ok, 'not-the-key');
    expect(unsigned.status).toBe(401);
    expect((await storedEvents()).length).toBe(before);
  });

  it('is refused, with the usual consent error, to a client whose consent lacks CREDIT_SCORE', async () => {
    const c = await s.grant(0, 'client-narrow', { domains: ['LOANS', 'IDENTITY'] });
    const r = await s.gql(SCORES, { id: toGlobalId('Borrower', c.borrowerId) }, s.token('client-narrow', ['credit:read']));
    expect(r.data.borrower.creditScores).toEqual([]);
    const finfra = r.errors?.find((e) => e.extensions?.provider === 'FINFRA');
    expect(finfra?.extensions).toMatchObject({ code: 'CONSENT_REQUIRED', provider: 'FINFRA' });
    expect(finfra?.path).toEqual(['borrower', 'creditScores']);
    expect(JSON.stringify(r)).not.toContain('777');
    await s.app.core.accessLog.flush();
    expect(await s.db.prisma.accessLog.count({ where: { clientId: 'client-narrow', domain: 'CREDIT_SCORE' } })).toBe(0);
  });

  it('accepts a user_verify callback (KYC result) without a ledger effect', async () => {
    const ack = await s.sender.finfraUserVerify(finfraUser().userId, 'APPROVED');
    expect(ack.status).toBe(200);
    await s.applier.idle();
    const [ev] = await s.db.prisma.webhookEvent.findMany({ where: { source: 'FINFRA', kind: 'user_verify' } });
    expect(ev?.outcome).toBe('RECORDED');
  });
});
