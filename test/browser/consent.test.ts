/**
 * The borrower-authorized consent flow in a real browser: Debian's chromium driven by
 * playwright-core against the real stack (sandbox providers, SMS gateway, database, HTTP server).
 * The browser clicks the page's own buttons and submits its own forms; nothing is posted by hand.
 * One-time codes are read from the sandbox SMS gateway. The browser follows the page's real 303 to
 * the client's redirect URI (TEST_REDIRECT_URI, where nothing listens), which a stand-in for the
 * client's app answers, and the test reads the query the page sent the browser back with. Every
 * request that leaves loopback, or goes anywhere but the app and the client's redirect URI, is
 * refused and counted.
 *
 * The same flow over plain HTTP is test/integration/consent-flow.test.ts.
 *
 * Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it); without it the tests fail,
 * they do not skip. Screenshots are kept in docs/screenshots/consent-{id,en,borrower}.png.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerConsent } from '../../src/sandbox';
import { TestClock } from '../support/clock';
import { latestCode, smsCount } from '../support/page-client';
import { startStack, type Stack, TEST_REDIRECT_URI } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * As test/browser/playground.test.ts, plus: TEST_REDIRECT_URI's port, since 9 (discard) is on Chromium's
 * list of unsafe ports, which the browser refuses to navigate to (net::ERR_UNSAFE_PORT); and no autofill
 * server queries, which Chromium sends (through the context's proxy) for every page with a form.
 */
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  `--explicitly-allowed-ports=${new URL(TEST_REDIRECT_URI).port}`,
  '--disable-features=AutofillServerCommunication',
];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SHOTS = 'docs/screenshots';
const CLIENT = 'test-client';
const CLIENT_NAME = 'Test app test-client';
const CONSENT = `query($id: ID!) { consent(id: $id) { id status borrowerId history { type actor } } }`;
const VIEW = `query($id: ID!) { creditView(borrowerId: $id) { complete loans { provider providerLoanId } } }`;
/** A tiny PNG standing in for the KTP photo and the selfie (the sandbox Cairin checks only that both are given). */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

let s: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Requests that tried to leave loopback (all blocked). */
const offsite: string[] = [];
/** Cross-site-form refusals and server errors the pages answered. */
const refused: string[] = [];

/**
 * The client's app as the browser reaches it. Playwright never routes the request a redirect leads to
 * (so `page.route` cannot answer the page's 303 to TEST_REDIRECT_URI, and nothing listens on port 9), so
 * each browser context sends everything except the app server through this proxy: it answers the
 * client's redirect URI with a small page and refuses (and counts) anything else.
 */
let clientApp: http.Server;
let clientAppUrl: string;
/** Requests that reached the proxy for anything but the client's redirect URI. */
const strays: string[] = [];
/** The Referer of each request for the client's redirect URI (the consent link must not leak to the client). */
const callbackReferers: (string | null)[] = [];
function startClientApp(): Promise<void> {
  clientApp = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/', `http://${req.headers.host}`); // a proxied request names its absolute URL
    if (req.method === 'GET' && `${target.origin}${target.pathname}` === TEST_REDIRECT_URI) {
      callbackReferers.push(req.headers.referer ?? null);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>client</title><p id="back">back</p>');
      return;
    }
    strays.push(`${req.method} ${target.href}`);
    res.writeHead(502).end();
  });
  clientApp.on('connect', (req, socket) => {
    strays.push(`CONNECT ${req.url}`);
    socket.destroy();
  });
  return new Promise((resolve) =>
    clientApp.listen(0, '127.0.0.1', () => {
      clientAppUrl = `http://127.0.0.1:${(clientApp.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

const MISSING_CHROMIUM = existsSync(CHROMIUM)
  ? null
  : `Chromium is not installed at ${CHROMIUM}. The consent browser test needs it: run scripts/ensure-chromium.sh (apt-get install chromium) or set CHROMIUM_PATH.`;

beforeAll(async () => {
  if (MISSING_CHROMIUM) return; // each test fails with the reason
  s = await startStack({ seed: 11, borrowers: 6, link: false });
  await startClientApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  for (const seen of [offsite, strays, refused, callbackReferers]) seen.length = 0;
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
  await new Promise((r) => (clientApp ? clientApp.close(r) : r(undefined)));
});

/** A fresh browser (its own cookies): the app server directly, everything else through the client's app stand-in; nothing off loopback. */
async function openBrowser(): Promise<Page> {
  if (MISSING_CHROMIUM) throw new Error(MISSING_CHROMIUM);
  const context = await browser.newContext({
    viewport: { width: 800, height: 900 },
    serviceWorkers: 'block',
    proxy: { server: clientAppUrl, bypass: new URL(s.server.url).host },
  });
  contexts.push(context);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && !LOOPBACK.has(url.hostname)) {
      offsite.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.fallback();
  });
  context.on('response', (r) => {
    if (r.url().startsWith(s.server.url) && (r.status() === 403 || r.status() >= 500)) refused.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  const page = await context.newPage();
  return page;
}

/** Waits until the browser is back at the client's redirect URI and returns the query the page sent it back with. */
async function backAtClient(page: Page): Promise<Record<string, string>> {
  await page.waitForURL((u) => `${u.origin}${u.pathname}` === TEST_REDIRECT_URI);
  await page.locator('#back').waitFor(); // served by the client's app stand-in
  expect(callbackReferers.length).toBeGreaterThan(0);
  return Object.fromEntries(new URL(page.url()).searchParams);
}

/** Index of a dataset person with accounts at all three providers (not the seed person). */
const full = () => {
  const i = s.requests.findIndex((r, k) => k > 0 && r.cairin && r.finfraUserId && r.dompetKilatIdNumber);
  expect(i, 'a person with Cairin, Finfra and Dompet Kilat accounts').toBeGreaterThan(0);
  return i;
};
/** Index of a dataset person with a Finfra account (not the seed person). */
const withFinfra = () => {
  const i = s.requests.findIndex((r, k) => k > 0 && r.finfraUserId);
  expect(i, 'a person with a Finfra account').toBeGreaterThan(0);
  return i;
};

/**
 * Clicks a button that submits one of the page's forms and checks the server took the form (a page, or
 * a 303), so a refused form fails here, saying why, instead of as a missing element later.
 */
async function submit(page: Page, button: Locator): Promise<void> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(s.server.url));
  await button.click();
  const res = await answered;
  if (res.status() !== 200 && res.status() !== 303) {
    const body = await res.text().catch(() => '');
    throw new Error(`the browser's form POST ${new URL(res.url()).pathname} was answered ${res.status()} ${body.slice(0, 200)} (Origin: ${(await res.request().allHeaders()).origin ?? 'none'})`);
  }
}

/** Clicks the summary's start button and waits for the steps. */
async function start(page: Page): Promise<void> {
  await submit(page, page.getByRole('button', { name: 'Lanjutkan' }));
  await page.locator('section[data-provider], section[data-group]').first().waitFor();
}

/** Sends the code of group 0 from the page and reads it from the SMS gateway. */
async function sendCode(page: Page, phone: string): Promise<string> {
  const before = await smsCount(s.sandbox.sms.url, phone);
  const group = page.locator('section[data-group="0"]');
  await submit(page, group.getByRole('button', { name: 'Kirim kode' }));
  await group.locator('input[name="code"]').waitFor();
  return latestCode(s.sandbox.sms.url, phone, before);
}

/** Nothing left loopback or went astray, no form was refused, and the client never saw the consent link in a Referer. */
function nothingStrayed(): void {
  expect(offsite).toEqual([]);
  expect(strays).toEqual([]);
  expect(refused).toEqual([]);
  expect(callbackReferers.filter((r) => r?.includes('/consent/'))).toEqual([]);
}

describe('the consent page in a browser', () => {
  it('runs the whole flow: summary, Cairin login with liveness, one code for Finfra and Dompet Kilat, approve, redirect ACTIVE; the client then reads', async () => {
    const i = full();
    const r = s.requests[i]!;
    const { consentId, consentUrl } = await s.requestConsent(i, CLIENT, { state: 'browser-state-1' });
    const page = await openBrowser();

    const first = await page.goto(consentUrl);
    expect(first?.status()).toBe(200);
    await expect.poll(() => page.locator('h1').innerText()).toBe(`${CLIENT_NAME} meminta izin Anda untuk membaca data pinjaman Anda`);
    expect(await page.locator('main').innerText()).toContain('Cairin, Finfra, Dompet Kilat');
    // The stylesheet is served and applied (no CDN, no script).
    expect(await page.getByRole('button', { name: 'Lanjutkan' }).evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(11, 92, 171)');
    expect(await page.locator('script').count()).toBe(0);

    await start(page);
    // The phone on file is shown masked, never in full.
    const codeSection = page.locator('section[data-group="0"]');
    expect(await codeSection.getAttribute('data-providers')).toBe('FINFRA DOMPET_KILAT');
    expect(await codeSection.locator('h2').innerText()).toMatch(/^Finfra, Dompet Kilat: kode sekali pakai ke \+62 \d{3}\*+\d{4}$/);
    expect(await page.content()).not.toContain(r.phoneNumber);

    // Cairin: a new device, so the first login is answered with Cairin's liveness check.
    const cairin = page.locator('section[data-provider="CAIRIN"]');
    await cairin.locator('input[name="phoneNumber"]').fill(r.cairin!.phoneNumber);
    await cairin.locator('input[name="pin"]').fill(r.cairin!.pin);
    await submit(page, cairin.getByRole('button', { name: 'Masuk' }));
    await cairin.locator('input[name="ktpImage"]').waitFor();
    expect(await page.locator('.notice').innerText()).toBe('Lengkapi foto KTP dan swafoto, lalu masuk lagi.');
    await cairin.locator('input[name="phoneNumber"]').fill(r.cairin!.phoneNumber);
    await cairin.locator('input[name="pin"]').fill(r.cairin!.pin);
    await cairin.locator('input[name="ktpImage"]').setInputFiles({ name: 'ktp.png', mimeType: 'image/png', buffer: PNG_1PX });
    await cairin.locator('input[name="selfieImage"]').setInputFiles({ name: 'selfie.png', mimeType: 'image/png', buffer: PNG_1PX });
    await submit(page, cairin.getByRole('button', { name: 'Masuk' }));
    await cairin.locator('p.ok').waitFor();
    expect(await cairin.innerText()).toContain('✓ Terhubung');
    expect(await cairin.locator('input').count()).toBe(0);
    // Not every account is proven yet: no approve button.
    expect(await page.getByRole('button', { name: 'Setujui' }).count()).toBe(0);

    // Finfra and Dompet Kilat hold the same phone: one code proves both.
    const code = await sendCode(page, r.phoneNumber);
    expect(await page.locator('.notice').innerText()).toMatch(/^Kode telah dikirim ke \+62 \d{3}\*+\d{4}\.$/);
    await page.screenshot({ path: `${SHOTS}/consent-id.png`, fullPage: true });
    expect(statSync(`${SHOTS}/consent-id.png`).size).toBeGreaterThan(20_000);

    // The same step in English (the choice is kept in a cookie), then back to Bahasa Indonesia.
    await page.getByRole('link', { name: 'English' }).click();
    await page.locator('html[lang="en"]').waitFor();
    expect(new URL(page.url()).searchParams.get('lang')).toBe('en');
    expect(await page.locator('h1').innerText()).toBe(`${CLIENT_NAME} asks your permission to read your loan data`);
    expect(await cairin.innerText()).toContain('✓ Connected');
    expect(await codeSection.getByRole('button', { name: 'Send a new code' }).count()).toBe(1);
    expect(await codeSection.getByRole('button', { name: 'Check code' }).count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/consent-en.png`, fullPage: true });
    expect(statSync(`${SHOTS}/consent-en.png`).size).toBeGreaterThan(20_000);
    await page.goto(`${consentUrl}?lang=id`);
    await page.locator('html[lang="id"]').waitFor();

    await codeSection.locator('input[name="code"]').fill(code);
    await submit(page, codeSection.getByRole('button', { name: 'Periksa kode' }));
    await codeSection.locator('p.ok').waitFor();
    expect(await codeSection.innerText()).toContain('✓ Terhubung');

    await submit(page, page.getByRole('button', { name: 'Setujui' }));
    expect(await backAtClient(page)).toEqual({ consent_id: consentId, status: 'ACTIVE', state: 'browser-state-1' });

    // The client learns the borrower from its consent and reads the credit view.
    const c = (await s.gql(CONSENT, { id: consentId }, s.token(CLIENT))).data.consent;
    expect(c.status).toBe('ACTIVE');
    expect(c.history.map((h: { type: string }) => h.type)).toEqual(['REQUESTED', 'OPENED', 'APPROVED']);
    expect(c.borrowerId).toEqual(expect.any(String));
    const view = await s.gql(VIEW, { id: c.borrowerId }, s.token(CLIENT));
    expect(view.errors).toBeUndefined();
    expect(view.data.creditView.complete).toBe(true);
    expect(view.data.creditView.loans.length).toBeGreaterThan(0);
    expect(new Set(view.data.creditView.loans.map((l: { provider: string }) => l.provider))).toEqual(new Set(['CAIRIN', 'FINFRA', 'DOMPET_KILAT']));

    // The link was single-use: opening it again in this browser goes straight back to the client.
    await page.goto(consentUrl);
    expect(await backAtClient(page)).toEqual({ consent_id: consentId, status: 'ACTIVE', state: 'browser-state-1' });
    nothingStrayed();
  }, 60_000);

  it('declines from the first page: back at the client with REJECTED and the state', async () => {
    const i = withFinfra();
    const { consentId, consentUrl } = await s.requestConsent(i, 'client-b', { providers: ['FINFRA'], state: 'decline-state' });
    const page = await openBrowser();
    await page.goto(consentUrl);
    await page.getByRole('button', { name: 'Lanjutkan' }).waitFor();
    await submit(page, page.getByRole('button', { name: 'Tolak' }));
    expect(await backAtClient(page)).toEqual({ consent_id: consentId, status: 'REJECTED', state: 'decline-state' });
    expect((await s.gql(CONSENT, { id: consentId }, s.token('client-b'))).data.consent).toMatchObject({ status: 'REJECTED', borrowerId: null });
    nothingStrayed();
  }, 60_000);

  it('sends a browser opening an expired link (15 minutes) back to the client with EXPIRED', async () => {
    const i = withFinfra();
    const { consentId, consentUrl } = await s.requestConsent(i, 'client-b', { providers: ['FINFRA'], state: 'expired-state' });
    const page = await openBrowser();
    const clock = s.clock;
    if (!(clock instanceof TestClock)) throw new Error('the stack runs on a TestClock');
    const started = clock.now();
    try {
      clock.set(new Date(started.getTime() + 16 * 60_000));
      await page.goto(consentUrl);
      expect(await backAtClient(page)).toEqual({ consent_id: consentId, status: 'EXPIRED', state: 'expired-state' });
      expect((await s.gql(CONSENT, { id: consentId }, s.token('client-b'))).data.consent.status).toBe('EXPIRED');
    } finally {
      clock.set(started);
    }
    nothingStrayed();
  }, 60_000);

  it('binds the link to the browser that started it: another browser gets 410 "sudah dipakai"', async () => {
    const i = withFinfra();
    const { consentUrl } = await s.requestConsent(i, 'client-b', { providers: ['FINFRA'] });
    const a = await openBrowser();
    await a.goto(consentUrl);
    await start(a);

    const b = await openBrowser();
    const res = await b.goto(consentUrl);
    expect(res?.status()).toBe(410);
    expect(await b.locator('main').innerText()).toContain('Tautan ini sudah dipakai di peramban lain');
    expect(await b.getByRole('button').count()).toBe(0);
    // The browser that started it still has its steps.
    await a.reload();
    expect(await a.locator('section[data-group="0"]').count()).toBe(1);
    nothingStrayed();
  }, 60_000);

  it('locks the request after five wrong codes: back at the client with EXPIRED', async () => {
    const i = withFinfra();
    const r = s.requests[i]!;
    const { consentId, consentUrl } = await s.requestConsent(i, 'client-b', { providers: ['FINFRA'], state: 'locked-state' });
    const page = await openBrowser();
    await page.goto(consentUrl);
    await start(page);
    const code = await sendCode(page, r.phoneNumber);
    const group = page.locator('section[data-group="0"]');
    for (let k = 0; k < 4; k++) {
      await group.locator('input[name="code"]').fill(String((Number(code) + 1 + k) % 1_000_000).padStart(6, '0'));
      await submit(page, group.getByRole('button', { name: 'Periksa kode' }));
      await page.locator('.notice.error', { hasText: `Kode salah. Sisa ${4 - k} percobaan.` }).waitFor();
    }
    await group.locator('input[name="code"]').fill(String((Number(code) + 5) % 1_000_000).padStart(6, '0'));
    await submit(page, group.getByRole('button', { name: 'Periksa kode' }));
    expect(await backAtClient(page)).toEqual({ consent_id: consentId, status: 'EXPIRED', state: 'locked-state' });
    const c = (await s.gql(CONSENT, { id: consentId }, s.token('client-b'))).data.consent;
    expect(c).toMatchObject({ status: 'EXPIRED', borrowerId: null });
    expect(c.history.map((h: { type: string }) => h.type)).toContain('LOCKED');
    nothingStrayed();
  }, 60_000);
});

describe("the borrower's own page in a browser", () => {
  it('signs in with NIK and a code, lists the consent, withdraws it: the client is refused with no provider call', async () => {
    const i = full();
    const r = s.requests[i]!;
    // A consent of this test's own (it does not rely on the first test having run).
    const client = 'client-a';
    const { consentUrl } = await s.requestConsent(i, client, { providers: ['FINFRA', 'DOMPET_KILAT'] });
    const answered = await answerConsent({ consentUrl, smsUrl: s.sandbox.sms.url, person: r, decision: 'APPROVE' });
    expect(answered.status).toBe('ACTIVE');
    const consentId = answered.consentId;
    const borrowerId = (await s.gql(CONSENT, { id: consentId }, s.token(client))).data.consent.borrowerId as string;
    const read = await s.gql(VIEW, { id: borrowerId }, s.token(client));
    expect(read.errors).toBeUndefined();

    const page = await openBrowser();
    await page.goto(`${s.server.url}/consent`);
    await page.locator('input[name="nik"]').fill(r.nik);
    const before = await smsCount(s.sandbox.sms.url, r.phoneNumber);
    await submit(page, page.getByRole('button', { name: 'Kirim kode' }));
    await page.locator('input[name="code"]').waitFor();
    const code = await latestCode(s.sandbox.sms.url, r.phoneNumber, before);
    await page.locator('input[name="code"]').fill(code);
    await submit(page, page.getByRole('button', { name: 'Masuk' }));

    const mine = page.locator(`section[data-consent="${consentId}"]`);
    await mine.waitFor();
    expect(new URL(page.url()).pathname).toBe('/consent');
    expect(await mine.locator('h2').first().innerText()).toBe('Test app client-a Aktif');
    // The read above is in its access log.
    expect(await mine.locator('table').innerText()).toContain('dari penyedia');
    await page.screenshot({ path: `${SHOTS}/consent-borrower.png`, fullPage: true });
    expect(statSync(`${SHOTS}/consent-borrower.png`).size).toBeGreaterThan(20_000);

    await submit(page, mine.getByRole('button', { name: 'Cabut persetujuan' }));
    await page.locator('.notice', { hasText: 'Persetujuan dicabut.' }).waitFor();
    expect(await mine.locator('h2').first().innerText()).toBe('Test app client-a Dicabut');
    expect(await mine.getByRole('button', { name: 'Cabut persetujuan' }).count()).toBe(0);

    s.sandbox.resetStats();
    const after = await s.gql(VIEW, { id: borrowerId }, s.token(client));
    expect(after.errors?.map((e) => e.extensions?.code)).toContain('CONSENT_REVOKED');
    expect(s.sandbox.stats().total).toBe(0);
    const c = (await s.gql(CONSENT, { id: consentId }, s.token(client))).data.consent;
    expect(c.status).toBe('REVOKED');
    expect(c.history.at(-1)).toMatchObject({ type: 'REVOKED', actor: 'borrower' });
    nothingStrayed();
  }, 60_000);
});
