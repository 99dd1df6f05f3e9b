/**
 * The borrower-authorized consent flow over real HTTP, against the sandbox and a real database:
 * a client asks (consentRequestCreate), the borrower answers on the hosted page (no JavaScript),
 * the client learns the outcome from the redirect, consent(id) and the status subscription; the
 * borrower's own page lists, revokes and erases. The browser test (test/browser/consent.test.ts)
 * drives the same pages in Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/app';
import { answerConsent } from '../../src/sandbox';
import { TEST_START, TestClock } from '../support/clock';
import { latestCode, PageClient, smsCount } from '../support/page-client';
import { startStack, type Stack, TEST_REDIRECT_URI } from '../support/stack';
import { watchSubscribe } from '../support/subscriptions';

const clock = new TestClock(TEST_START);
let s: Stack;
const A = 'client-a';
const B = 'client-b';
const CREATE = `mutation($input: ConsentRequestInput!) { consentRequestCreate(input: $input) { consent { id status borrowerId providers domains } consentUrl userErrors { field code message } } }`;
const CONSENT = `query($id: ID!) { consent(id: $id) { id status borrowerId history { type status actor } } }`;
const VIEW = `query($id: ID!) { creditView(borrowerId: $id) { complete loans { provider providerLoanId } } }`;

beforeAll(async () => {
  s = await startStack({ seed: 11, borrowers: 8, link: false, clock });
});
afterAll(async () => {
  await s?.close();
});

/** Index of a dataset person with accounts at all three providers. */
const full = () => s.requests.findIndex((r, k) => k > 0 && r.cairin && r.finfraUserId && r.dompetKilatIdNumber);

function input(i: number, over: Record<string, unknown> = {}) {
  const r = s.requests[i]!;
  return {
    nik: r.nik,
    fullName: r.fullName,
    providers: r.providers,
    domains: ['LOANS', 'INSTALLMENTS', 'REPAYMENTS'],
    purpose: 'Refinancing offer for your loans',
    expiresAt: new Date(clock.now().getTime() + 7 * 86_400_000).toISOString(),
    dataLifeSeconds: 86_400,
    redirectUri: TEST_REDIRECT_URI,
    state: 'xyz-123',
    ...over,
  };
}

async function create(client: string, inp: Record<string, unknown>) {
  const r = await s.gql(CREATE, { input: inp }, s.token(client, ['consent:write', 'credit:read', 'payoff:read']));
  return r.data.consentRequestCreate as { consent: { id: string; status: string; borrowerId: string | null } | null; consentUrl: string | null; userErrors: { code: string; field: string[] }[] };
}

describe('the hosted consent page', () => {
  it('runs the whole flow: page in id and en, Cairin login with liveness, one code for Finfra and Dompet Kilat, approve, redirect, then reads', async () => {
    const i = full();
    const r = s.requests[i]!;
    const asked = await create(A, input(i));
    expect(asked.userErrors).toEqual([]);
    expect(asked.consent).toMatchObject({ status: 'PENDING', borrowerId: null });
    const url = new URL(asked.consentUrl!);
    expect(url.pathname).toMatch(/^\/consent\/[A-Za-z0-9_-]{43}$/);

    const page = new PageClient(url.origin);
    const id = await page.request(url.pathname);
    expect(id.status).toBe(200);
    expect(id.html).toContain('Test app client-a meminta izin Anda');
    expect(id.html).toContain('Refinancing offer for your loans');
    expect(id.html).toContain('Jadwal cicilan setiap pinjaman');
    expect(id.html).not.toContain('<script');
    const en = await page.request(`${url.pathname}?lang=en`);
    expect(en.html).toContain('Test app client-a asks your permission to read your loan data');
    expect(en.html).toContain('The installment schedule of each loan');
    await page.request(`${url.pathname}?lang=id`);

    expect((await page.request(`${url.pathname}/start`, {})).status).toBe(303);
    const steps = await page.request(url.pathname);
    expect(steps.html).toContain('name="pin"');
    // The phone on file is shown masked, never in full.
    expect(steps.html).not.toContain(r.phoneNumber);
    expect(steps.html).toMatch(/\+62 \d{3}\*+\d{4}/);

    // Cairin: a new device, so Cairin asks for its liveness check; the images go to Cairin only.
    const login = () => {
      const f = new FormData();
      f.set('provider', 'CAIRIN');
      f.set('phoneNumber', r.cairin!.phoneNumber);
      f.set('pin', r.cairin!.pin);
      return f;
    };
    const first = await page.request(`${url.pathname}/login`, login());
    expect(first.html).toContain('name="ktpImage"');
    const withImages = login();
    withImages.set('ktpImage', new Blob([Buffer.from('ktp-photo')], { type: 'image/jpeg' }), 'ktp.jpg');
    withImages.set('selfieImage', new Blob([Buffer.from('selfie-photo')], { type: 'image/jpeg' }), 'selfie.jpg');
    const cairin = await page.request(`${url.pathname}/login`, withImages);
    expect(cairin.html).toMatch(/data-provider="CAIRIN"><h2>Cairin<\/h2><p class="ok">/);

    // Finfra and Dompet Kilat hold the same phone: one code proves both.
    const before = await smsCount(s.sandbox.sms.url, r.phoneNumber);
    const sent = await page.request(`${url.pathname}/code/send`, { group: '0' });
    expect(PageClient.notice(sent.html)).toMatch(/Kode telah dikirim ke \+62/);
    const code = await latestCode(s.sandbox.sms.url, r.phoneNumber, before);
    const checked = await page.request(`${url.pathname}/code/check`, { group: '0', code });
    expect(checked.html).toContain('data-providers="FINFRA DOMPET_KILAT"><h2>Finfra, Dompet Kilat</h2><p class="ok">');
    expect(checked.html).toContain(`action="${url.pathname}/approve"`);

    const approved = await page.request(`${url.pathname}/approve`, {});
    expect(approved.status).toBe(303);
    const back = new URL(approved.location!);
    expect(`${back.origin}${back.pathname}`).toBe(TEST_REDIRECT_URI);
    expect(Object.fromEntries(back.searchParams)).toEqual({ consent_id: asked.consent!.id, status: 'ACTIVE', state: 'xyz-123' });

    const c = (await s.gql(CONSENT, { id: asked.consent!.id }, s.token(A))).data.consent;
    expect(c.status).toBe('ACTIVE');
    expect(c.history.map((h: { type: string }) => h.type)).toEqual(['REQUESTED', 'OPENED', 'APPROVED']);
    expect(c.history[2].actor).toBe('borrower');
    const view = await s.gql(VIEW, { id: c.borrowerId }, s.token(A));
    expect(view.errors).toBeUndefined();
    expect(view.data.creditView.complete).toBe(true);
    expect(new Set(view.data.creditView.loans.map((l: { provider: string }) => l.provider)).size).toBe(3);
    // Nothing of the liveness images or the PIN is stored.
    const stored = JSON.stringify(await s.db.prisma.consentRequest.findMany()) + JSON.stringify(await s.db.prisma.providerAccount.findMany());
    expect(stored).not.toContain(Buffer.from('ktp-photo').toString('base64'));
    expect(stored).not.toContain(r.cairin!.pin);
    // The link was single-use: reopening it in this browser goes back to the client; another browser is refused.
    expect((await page.request(url.pathname)).status).toBe(303);
    expect((await new PageClient(url.origin).request(url.pathname)).status).toBe(410);
  });

  it('answers the same for a NIK we do not know, and the client sees no borrower before approval', async () => {
    const known = await create(B, input(full()));
    const unknown = await create(B, input(full(), { nik: '3171999999999999', fullName: 'Nobody' }));
    for (const a of [known, unknown]) {
      expect(a.userErrors).toEqual([]);
      expect(a.consent).toMatchObject({ status: 'PENDING', borrowerId: null });
      expect(a.consentUrl).toMatch(/\/consent\/[A-Za-z0-9_-]{43}$/);
    }
    expect(Object.keys(known.consent!).sort()).toEqual(Object.keys(unknown.consent!).sort());
    const list = await s.gql(`{ borrowers(first: 50) { totalCount } }`, {}, s.token(B));
    expect(list.data.borrowers.totalCount).toBe(0);
  });

  it('declines: REJECTED, redirected with the state, nothing linked, the borrower still invisible', async () => {
    const i = s.requests.findIndex((r, k) => k > 1 && r.finfraUserId);
    const accountsBefore = await s.db.prisma.providerAccount.count();
    const asked = await create(B, input(i, { providers: ['FINFRA'], state: 'decline-state' }));
    const o = await answerConsent({ consentUrl: asked.consentUrl!, smsUrl: s.sandbox.sms.url, person: s.requests[i]!, decision: 'DECLINE' });
    expect(o).toMatchObject({ consentId: asked.consent!.id, status: 'REJECTED', state: 'decline-state' });
    expect((await s.gql(CONSENT, { id: asked.consent!.id }, s.token(B))).data.consent).toMatchObject({ status: 'REJECTED', borrowerId: null });
    expect(await s.db.prisma.providerAccount.count()).toBe(accountsBefore);
    expect((await s.gql(`{ borrowers(first: 50) { totalCount } }`, {}, s.token(B))).data.borrowers.totalCount).toBe(0);
  });

  it('expires a link not completed in 15 minutes and sends the browser back with EXPIRED', async () => {
    const asked = await create(B, input(full()));
    const url = new URL(asked.consentUrl!);
    const page = new PageClient(url.origin);
    await page.request(`${url.pathname}/start`, {});
    const started = clock.now();
    try {
      clock.set(new Date(started.getTime() + 15 * 60_000 + 1000));
      const r = await page.request(url.pathname);
      expect(r.status).toBe(303);
      expect(new URL(r.location!).searchParams.get('status')).toBe('EXPIRED');
      expect((await s.gql(CONSENT, { id: asked.consent!.id }, s.token(B))).data.consent.status).toBe('EXPIRED');
      // Approving after expiry links nothing.
      expect(new URL((await page.request(`${url.pathname}/approve`, {})).location!).searchParams.get('status')).toBe('EXPIRED');
    } finally {
      clock.set(started);
    }
  });

  it('locks the request after five wrong codes (EXPIRED, event LOCKED)', async () => {
    const i = s.requests.findIndex((r, k) => k > 2 && r.finfraUserId);
    const asked = await create(B, input(i, { providers: ['FINFRA'] }));
    const o = await answerConsent({ consentUrl: asked.consentUrl!, smsUrl: s.sandbox.sms.url, person: s.requests[i]!, decision: 'APPROVE', wrongCodes: 5 });
    expect(o.status).toBe('EXPIRED');
    const c = (await s.gql(CONSENT, { id: asked.consent!.id }, s.token(B))).data.consent;
    expect(c.history.map((h: { type: string }) => h.type)).toContain('LOCKED');
  });

  it("refuses a Cairin login of another person's account (same NIK required)", async () => {
    const i = full();
    const other = s.requests.find((r, k) => k !== i && r.cairin)!;
    const asked = await create(B, input(i, { providers: ['CAIRIN'] }));
    const url = new URL(asked.consentUrl!);
    const page = new PageClient(url.origin);
    await page.request(`${url.pathname}/start`, {});
    const f = new FormData();
    f.set('provider', 'CAIRIN');
    f.set('phoneNumber', other.cairin!.phoneNumber);
    f.set('pin', other.cairin!.pin);
    f.set('ktpImage', new Blob([Buffer.from('k')]), 'k.jpg');
    f.set('selfieImage', new Blob([Buffer.from('s')]), 's.jpg');
    const r = await page.request(`${url.pathname}/login`, f);
    expect(PageClient.notice(r.html)).toContain('tidak terdaftar atas NIK');
    expect(r.html).not.toContain(`action="${url.pathname}/approve"`);
  });

  it('checks the request: registered client and redirect URI, NIK, period; consent:write; no consentGrant', async () => {
    const i = full();
    expect((await create(B, input(i, { redirectUri: 'https://evil.example/cb' }))).userErrors[0]).toMatchObject({ code: 'REDIRECT_URI_NOT_REGISTERED', field: ['redirectUri'] });
    expect((await create('client-unregistered', input(i))).userErrors[0]!.code).toBe('CLIENT_NOT_REGISTERED');
    expect((await create(B, input(i, { nik: '12' }))).userErrors[0]!.code).toBe('INVALID_NIK');
    expect((await create(B, input(i, { expiresAt: new Date(clock.now().getTime() - 1000).toISOString() }))).userErrors[0]!.code).toBe('INVALID_PERIOD');
    const forbidden = await s.gql(CREATE, { input: input(i) }, s.token(B, ['credit:read']));
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const grant = await s.gql(`mutation { consentGrant(input: {}) { consent { id } } }`, {}, s.token(B));
    expect(grant.status).toBe(400);
    expect(grant.errors?.[0]?.message).toMatch(/Cannot query field "consentGrant"/);
  });
});

describe('the consent-status subscription', () => {
  it('pushes the outcome to the requesting client when the borrower approves', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const i = s.requests.findIndex((r, k) => k > 3 && r.finfraUserId);
    const asked = await create(B, input(i, { providers: ['FINFRA'] }));
    // Another client cannot watch it.
    const other = createClient({ url: `${s.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token(A)}` }, lazy: true, retryAttempts: 0 });
    const refused = await new Promise<unknown>((resolve) => {
      other.subscribe({ query: `subscription($id: ID!) { consentStatusChanged(id: $id) { status } }`, variables: { id: asked.consent!.id } }, { next: resolve, error: resolve, complete: () => resolve('complete') });
    });
    expect(JSON.stringify(refused)).toContain('NOT_FOUND');
    await other.dispose();

    // The stream is live once the core subscribed to the publisher's consent changes: wait for that signal.
    const watch = watchSubscribe(s.app.core.deps.publisher, 'consentChanges');
    const client = createClient({ url: `${s.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${s.token(B)}` }, lazy: true, retryAttempts: 0 });
    try {
      const pushed = new Promise<any>((resolve, reject) => {
        client.subscribe(
          { query: `subscription($id: ID!) { consentStatusChanged(id: $id) { id status borrowerId } }`, variables: { id: asked.consent!.id } },
          { next: (v) => (v.data as any)?.consentStatusChanged?.status === 'ACTIVE' && resolve(v.data), error: reject, complete: () => undefined },
        );
      });
      await watch.subscribed;
      watch.restore();
      expect((await answerConsent({ consentUrl: asked.consentUrl!, smsUrl: s.sandbox.sms.url, person: s.requests[i]!, decision: 'APPROVE' })).status).toBe('ACTIVE');
      const got = await pushed; // a missing push fails on the test timeout
      expect(got.consentStatusChanged).toMatchObject({ id: asked.consent!.id, status: 'ACTIVE' });
      expect(got.consentStatusChanged.borrowerId).toEqual(expect.any(String));
    } finally {
      watch.restore();
      await client.dispose();
    }
  });
});

describe('two clients', () => {
  it('a second client that knows a linked borrower\'s NIK gets no data and no sign of the borrower without the borrower approving', async () => {
    const i = full();
    // Client A holds an ACTIVE consent from borrower i (first test); B asks for the same NIK.
    const aConsents = await s.db.prisma.consent.findMany({ where: { clientId: A, status: 'ACTIVE' } });
    expect(aConsents.length).toBeGreaterThan(0);
    const borrowerId = aConsents[0]!.borrowerId!;
    const global = toGlobalId('Borrower', borrowerId);
    const asked = await create(B, input(i));
    expect(asked.consent!.borrowerId).toBeNull();
    s.sandbox.resetStats();
    expect((await s.gql(`query($id: ID!) { borrower(id: $id) { id } }`, { id: global }, s.token(B))).data.borrower).toBeNull();
    // The borrower's credit view answers exactly as for an id that exists nowhere.
    const view = await s.gql(VIEW, { id: global }, s.token(B));
    expect(view.data?.creditView ?? null).toBeNull();
    const unknown = await s.gql(VIEW, { id: toGlobalId('Borrower', '00000000-0000-4000-8000-000000000000') }, s.token(B));
    expect({ ...unknown, errors: unknown.errors?.map((e) => ({ ...e, extensions: { ...e.extensions, requestId: undefined } })) }).toEqual({
      ...view,
      errors: view.errors?.map((e) => ({ ...e, extensions: { ...e.extensions, requestId: undefined } })),
    });
    expect((await s.gql(`query($id: ID!) { consents(borrowerId: $id) { id } }`, { id: global }, s.token(B))).data.consents).toEqual([]);
    expect((await s.gql(`query($id: ID!) { borrowerDataExport(borrowerId: $id) }`, { id: global }, s.token(B))).data.borrowerDataExport).toBeNull();
    expect(s.sandbox.stats().total).toBe(0);
  });
});

describe("the borrower's own page", () => {
  it('signs in with NIK and code, lists consents across clients with their access log, revokes one (zero provider calls next) and erases everything', async () => {
    const i = full();
    const r = s.requests[i]!;
    // A second client gets a consent too, so the page lists two clients.
    const asked = await create(B, input(i, { providers: ['FINFRA', 'DOMPET_KILAT'] }));
    expect((await answerConsent({ consentUrl: asked.consentUrl!, smsUrl: s.sandbox.sms.url, person: r, decision: 'APPROVE' })).status).toBe('ACTIVE');
    const aConsent = (await s.db.prisma.consent.findFirst({ where: { clientId: A, status: 'ACTIVE', borrower: { nik: r.nik } } }))!;
    const global = toGlobalId('Borrower', aConsent.borrowerId!);
    await s.gql(VIEW, { id: global }, s.token(A));

    const page = new PageClient(s.server.url);
    expect((await page.request('/consent')).html).toContain('name="nik"');
    const before = await smsCount(s.sandbox.sms.url, r.phoneNumber);
    const sent = await page.request('/consent/signin/code', { nik: r.nik });
    expect(sent.html).toContain('name="code"');
    // Unknown NIKs get the same page.
    const unknown = await new PageClient(s.server.url).request('/consent/signin/code', { nik: '3171999999999999' });
    expect(unknown.html.replace(/value="\d+"/, '')).toBe(sent.html.replace(/value="\d+"/, ''));
    const code = await latestCode(s.sandbox.sms.url, r.phoneNumber, before);
    const wrong = await page.request('/consent/signin', { nik: r.nik, code: code === '000000' ? '111111' : '000000' });
    expect(wrong.html).toContain('Kode salah');
    const signedIn = await page.request('/consent/signin', { nik: r.nik, code });
    expect(signedIn.status).toBe(303);
    const overview = await page.request('/consent?lang=en');
    expect(overview.html).toContain('Test app client-a');
    expect(overview.html).toContain('Test app client-b');
    expect(overview.html).toMatch(new RegExp(`data-consent="${aConsent.id}"[\\s\\S]*?from the provider`));

    const revoked = await page.request('/consent/revoke', { consentId: aConsent.id });
    expect(PageClient.notice(revoked.html)).toContain('Consent withdrawn');
    s.sandbox.resetStats();
    const after = await s.gql(VIEW, { id: global }, s.token(A));
    expect(after.errors?.some((e) => e.extensions?.code === 'CONSENT_REVOKED')).toBe(true);
    expect(s.sandbox.stats().total).toBe(0);
    expect((await s.gql(CONSENT, { id: aConsent.id }, s.token(A))).data.consent.history.at(-1)).toMatchObject({ type: 'REVOKED', actor: 'borrower' });

    // Erasing everything ends every client's consent and the borrower's identity.
    expect((await page.request('/consent/erase', {})).html).toContain('name="confirm"');
    const erased = await page.request('/consent/erase', { confirm: 'yes' });
    expect(PageClient.notice(erased.html)).toContain('erased');
    expect(await s.db.prisma.consent.count({ where: { borrowerId: aConsent.borrowerId, status: { in: ['ACTIVE', 'PAUSED', 'PENDING'] } } })).toBe(0);
    expect(await s.db.prisma.borrower.findUnique({ where: { id: aConsent.borrowerId! } })).toMatchObject({ nik: null, fullName: null });
    expect(await s.db.prisma.providerAccount.count({ where: { borrowerId: aConsent.borrowerId! } })).toBe(0);
    expect((await page.request('/consent')).html).toContain('name="nik"');
  });

  it('refuses a form posted from another site', async () => {
    const res = await fetch(`${s.server.url}/consent/signin/code`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'nik=1' });
    expect(res.status).toBe(403);
  });
});
