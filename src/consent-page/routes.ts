/**
 * HTTP routes of the hosted consent page and the borrower's own page:
 *
 *   GET  /consent/style.css                the pages' stylesheet
 *   GET  /consent/{handle}                 the consent request (summary, steps, approve/decline)
 *   POST /consent/{handle}/start           binds the single-use link to this browser (cookie sk_flow)
 *   POST /consent/{handle}/login           multipart: provider, phoneNumber, pin [, ktpImage, selfieImage]
 *   POST /consent/{handle}/code/send       group
 *   POST /consent/{handle}/code/check      group, code
 *   POST /consent/{handle}/approve | /decline   -> 303 to the client's redirectUri (consent_id, status, state)
 *   GET  /consent                          the borrower's page (sign-in, or their consents)
 *   POST /consent/signin/code | /consent/signin | /consent/revoke | /consent/erase | /consent/signout
 *
 * Forms are urlencoded (the login form multipart, for the liveness images); cookies are HttpOnly and
 * SameSite=Lax, and a POST whose Origin is another site is refused 403. Pages carry a strict CSP
 * and are never cached. `?lang=en|id` switches the language (kept in a cookie).
 */
import type http from 'node:http';
import busboy from 'busboy';
import type { Core } from '../core';
import type { FlowState } from '../core/consent-request.service';
import { ConsentUserError } from '../core/consent.service';
import { PROVIDER_CODES, type ProviderCode } from '../domain/types';
import type { Logger } from '../logger';
import { type Lang, pickLang } from './i18n';
import { renderErased, renderFlow, renderOverview, renderSignIn } from './render';
import { STYLE_CSS } from './style';

/** What the routes need. */
export interface ConsentPageDeps {
  readonly core: Core;
  readonly log: Logger;
  /** Whether cookies get `Secure` (the public URL is https). */
  readonly secureCookies: () => boolean;
  /** The client's IP one-time-code sends are limited by (the socket peer, or the client behind trusted proxies: TRUST_PROXY). */
  readonly clientIp: (req: http.IncomingMessage) => string;
}

/** Largest urlencoded form accepted, bytes. */
const FORM_LIMIT = 16 * 1024;
/** Largest liveness image accepted, bytes (each of two). */
const IMAGE_LIMIT = 5 * 1024 * 1024;

const HANDLE = /^\/consent\/([A-Za-z0-9_-]{43})(\/(start|login|code\/send|code\/check|approve|decline))?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function cookies(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function cookie(name: string, value: string, opts: { path: string; maxAge?: number; secure: boolean }): string {
  return `${name}=${encodeURIComponent(value)}; Path=${opts.path}; HttpOnly; SameSite=Lax${opts.secure ? '; Secure' : ''}${opts.maxAge !== undefined ? `; Max-Age=${opts.maxAge}` : ''}`;
}

const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Same-origin form posts carry their real Origin (no-referrer would make it "null"); other sites, the
  // client's redirect URI included, get no Referer, so a consent link never leaks through one.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

function html(res: http.ServerResponse, status: number, body: string, setCookies: string[] = []): void {
  res.writeHead(status, { ...HEADERS, 'content-type': 'text/html; charset=utf-8', ...(setCookies.length ? { 'set-cookie': setCookies } : {}) });
  res.end(body);
}

function seeOther(res: http.ServerResponse, location: string, setCookies: string[] = []): void {
  res.writeHead(303, { ...HEADERS, location, ...(setCookies.length ? { 'set-cookie': setCookies } : {}) });
  res.end();
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new HttpError(415, 'forms are application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > FORM_LIMIT) throw new HttpError(413, 'form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Reads the multipart login form: its fields, and the images base64-encoded (never written anywhere). */
function readMultipart(req: http.IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: IMAGE_LIMIT, files: 2, fields: 10, fieldSize: 1024 } });
    } catch {
      reject(new HttpError(415, 'the login form is multipart/form-data'));
      return;
    }
    const out: Record<string, string> = {};
    let failed: HttpError | null = null;
    bb.on('field', (name, value) => {
      out[name] = value;
    });
    bb.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed = new HttpError(413, 'image too large (at most 5 MB)');
      });
      stream.on('end', () => {
        if (chunks.length && (name === 'ktpImage' || name === 'selfieImage')) out[name] = Buffer.concat(chunks).toString('base64');
      });
    });
    bb.on('error', () => reject(new HttpError(400, 'malformed form')));
    bb.on('close', () => (failed ? reject(failed) : resolve(out)));
    req.pipe(bb);
  });
}

/** A POST from a page of another site (its Origin names another host) is refused. */
function sameOrigin(req: http.IncomingMessage): boolean {
  // Browsers that send Fetch Metadata say where the form came from; others are judged by Origin.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return origin !== 'null';
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Serves the consent pages.
 * @returns false when the path is not one of them (the caller answers 404).
 */
export async function handleConsentPage(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deps: ConsentPageDeps): Promise<boolean> {
  const path = url.pathname;
  if (path !== '/consent' && !path.startsWith('/consent/')) return false;
  if (path === '/consent/style.css' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
    res.end(STYLE_CSS);
    return true;
  }
  const jar = cookies(req);
  const lang: Lang = pickLang(url.searchParams.get('lang'), jar.sk_lang);
  const secure = deps.secureCookies();
  const langCookie = url.searchParams.has('lang') ? [cookie('sk_lang', lang, { path: '/consent', maxAge: 365 * 86400, secure })] : [];
  try {
    if (req.method === 'POST' && !sameOrigin(req)) throw new HttpError(403, 'cross-site form refused');
    const m = HANDLE.exec(path);
    if (m) {
      await flow(req, res, m[1]!, m[3] ?? '', lang, langCookie, jar, deps);
      return true;
    }
    if (['/consent', '/consent/signin/code', '/consent/signin', '/consent/revoke', '/consent/erase', '/consent/signout'].includes(path)) {
      await borrowerPage(req, res, path, lang, langCookie, jar, deps);
      return true;
    }
    html(res, 404, renderFlow(lang, path, { kind: 'NOT_FOUND' }), langCookie);
    return true;
  } catch (e) {
    if (e instanceof HttpError) {
      if (!res.headersSent) {
        res.writeHead(e.status, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end(e.message);
      }
      req.resume();
      return true;
    }
    throw e;
  }
}

async function flow(req: http.IncomingMessage, res: http.ServerResponse, handle: string, action: string, lang: Lang, langCookie: string[], jar: Record<string, string>, deps: ConsentPageDeps): Promise<void> {
  const svc = deps.core.consentRequests;
  const base = `/consent/${handle}`;
  const secret = jar.sk_flow;
  const show = (s: FlowState, extra: string[] = []) => {
    if (s.kind === 'ENDED') return seeOther(res, s.redirect, [...langCookie, ...extra]);
    const status = s.kind === 'NOT_FOUND' ? 404 : s.kind === 'USED' ? 410 : 200;
    return html(res, status, renderFlow(lang, base, s), [...langCookie, ...extra]);
  };
  if (req.method === 'GET' && action === '') return show(await svc.view(handle, secret));
  if (req.method !== 'POST' || action === '') throw new HttpError(405, 'method not allowed');
  switch (action) {
    case 'start': {
      await readForm(req);
      const r = await svc.start(handle);
      if ('state' in r) return show(r.state);
      return seeOther(res, base, [...langCookie, cookie('sk_flow', r.secret, { path: base, maxAge: 20 * 60, secure: deps.secureCookies() })]);
    }
    case 'login': {
      const f = await readMultipart(req);
      const provider = f.provider as ProviderCode;
      if (!PROVIDER_CODES.includes(provider) || !f.phoneNumber || !f.pin) throw new HttpError(400, 'provider, phoneNumber and pin are required');
      return show(await svc.login(handle, secret, provider, { phoneNumber: f.phoneNumber, pin: f.pin, ktpImage: f.ktpImage, selfieImage: f.selfieImage }));
    }
    case 'code/send': {
      const f = await readForm(req);
      return show(await svc.sendCode(handle, secret, Number(f.get('group') ?? -1), deps.clientIp(req) || 'unknown'));
    }
    case 'code/check': {
      const f = await readForm(req);
      return show(await svc.checkCode(handle, secret, Number(f.get('group') ?? -1), f.get('code') ?? ''));
    }
    case 'approve':
      await readForm(req);
      return show(await svc.approve(handle, secret));
    case 'decline':
      await readForm(req);
      return show(await svc.decline(handle, secret));
  }
}

async function borrowerPage(req: http.IncomingMessage, res: http.ServerResponse, path: string, lang: Lang, langCookie: string[], jar: Record<string, string>, deps: ConsentPageDeps): Promise<void> {
  const portal = deps.core.portal;
  const secure = deps.secureCookies();
  const borrowerId = await portal.borrowerOf(jar.sk_borrower);
  if (req.method === 'GET') {
    if (path !== '/consent') throw new HttpError(405, 'method not allowed');
    if (!borrowerId) return html(res, 200, renderSignIn(lang, {}), langCookie);
    return html(res, 200, renderOverview(lang, await portal.overview(borrowerId)), langCookie);
  }
  if (req.method !== 'POST') throw new HttpError(405, 'method not allowed');
  const f = await readForm(req);
  switch (path) {
    case '/consent/signin/code': {
      const nik = (f.get('nik') ?? '').trim();
      portal.requestCode(nik, deps.clientIp(req) || 'unknown');
      return html(res, 200, renderSignIn(lang, { nik, sent: true }), langCookie);
    }
    case '/consent/signin': {
      const nik = (f.get('nik') ?? '').trim();
      const r = await portal.signIn(nik, f.get('code') ?? '');
      if ('error' in r) return html(res, 200, renderSignIn(lang, { nik, sent: true, failed: true }), langCookie);
      return seeOther(res, '/consent', [...langCookie, cookie('sk_borrower', r.session, { path: '/consent', secure })]);
    }
    case '/consent/signout':
      return seeOther(res, '/consent', [cookie('sk_borrower', '', { path: '/consent', maxAge: 0, secure })]);
  }
  if (!borrowerId) return seeOther(res, '/consent');
  if (path === '/consent/revoke') {
    try {
      await portal.revoke(borrowerId, f.get('consentId') ?? '');
    } catch (e) {
      if (!(e instanceof ConsentUserError)) throw e;
    }
    return html(res, 200, renderOverview(lang, await portal.overview(borrowerId), 'revoked'), langCookie);
  }
  // /consent/erase
  if (f.get('confirm') !== 'yes') return html(res, 200, renderOverview(lang, await portal.overview(borrowerId)), langCookie);
  await portal.erase(borrowerId);
  return html(res, 200, renderErased(lang), [...langCookie, cookie('sk_borrower', '', { path: '/consent', maxAge: 0, secure })]);
}
