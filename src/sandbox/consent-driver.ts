/**
 * Plays the borrower on the hosted consent page over plain HTTP, as a browser without JavaScript
 * would: start, Cairin app login (with the liveness images when Cairin asks), one-time codes read
 * from the sandbox SMS gateway, then approve or decline. `npm start` seeds its demo consents with
 * it and tests use it; nothing here reaches the application other than over HTTP.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { SandboxLinkRequest } from './dataset';

/** How the borrower answers. */
export interface ConsentAnswer {
  /** The `consentUrl` a client received from `consentRequestCreate`. */
  readonly consentUrl: string;
  /** The sandbox SMS gateway's base URL (codes are read from its `GET /__sandbox/sms`). */
  readonly smsUrl: string;
  /** The sandbox person answering: phone for codes, Cairin login. */
  readonly person: Pick<SandboxLinkRequest, 'phoneNumber' | 'cairin'>;
  readonly decision: 'APPROVE' | 'DECLINE';
  /** A wrong PIN for Cairin, or wrong codes, to exercise refusals (default none). */
  readonly wrongCodes?: number;
  /**
   * The local address the borrower's browser connects from (default: the system's choice). The demo seeding gives
   * each borrower a loopback address of its own (`loopbackAddress`), as borrowers come from their own devices: the
   * API counts one-time-code sends per client IP. Used only towards a 127.x.y.z origin; where the address cannot be
   * bound, the default is used.
   */
  readonly clientAddress?: string;
}

/** Where the page sent the browser back to, and what it said. */
export interface ConsentOutcome {
  /** The redirect URI with consent_id, status and state. */
  readonly redirect: string;
  readonly consentId: string;
  readonly status: string;
  readonly state: string | null;
}

/** A tiny KTP photo and selfie (1×1 PNG); the sandbox Cairin checks only that both are given. */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/**
 * Keep-alive connections shared by every borrower this process plays (node:http rather than fetch: the demo
 * seeding sends tens of thousands of page requests, and undici's per-request cost was a visible share of it).
 * An idle connection is dropped after 4 s, before a Node server's 5 s keep-alive timeout closes it under us.
 */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 256, timeout: 4000 };
const AGENTS = { 'http:': new http.Agent(AGENT_OPTIONS), 'https:': new https.Agent(AGENT_OPTIONS) };

/** A file field of a multipart form. */
interface FilePart {
  readonly filename: string;
  readonly type: string;
  readonly data: Buffer;
}

/** A form body: urlencoded, or multipart (fields and files, in order). */
type Body = URLSearchParams | { readonly multipart: readonly (readonly [string, string | FilePart])[] };

/** An answer as the driver reads it. */
interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** Encodes a body and its content type. */
function encode(body: Body | undefined): { type?: string; data?: Buffer } {
  if (body === undefined) return {};
  if (body instanceof URLSearchParams) return { type: 'application/x-www-form-urlencoded;charset=UTF-8', data: Buffer.from(body.toString()) };
  const boundary = `----satukredit-driver-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, v] of body.multipart) {
    const head = typeof v === 'string' ? `content-disposition: form-data; name="${name}"\r\n\r\n` : `content-disposition: form-data; name="${name}"; filename="${v.filename}"\r\ncontent-type: ${v.type}\r\n\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\n${head}`), typeof v === 'string' ? Buffer.from(v) : v.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { type: `multipart/form-data; boundary=${boundary}`, data: Buffer.concat(chunks) };
}

/**
 * One HTTP exchange over the shared keep-alive agents; redirects are not followed. A request whose reused
 * connection the server had already closed (reset before any answer: the server never read it) is sent
 * again once on a new connection.
 */
function exchange(url: URL, method: string, headers: Record<string, string>, body?: Body, raw?: Buffer, localAddress?: string): Promise<Answer> {
  const { type, data } = raw ? { type: undefined, data: raw } : encode(body);
  const h: Record<string, string | number> = { ...headers };
  if (type) h['content-type'] = type;
  if (data || method === 'POST') h['content-length'] = data?.length ?? 0;
  const lib = url.protocol === 'https:' ? https : http;
  const once = (retry: boolean, from: string | undefined): Promise<Answer> =>
    new Promise((resolve, reject) => {
      let answered = false;
      const req = lib.request(url, { method, headers: h, agent: AGENTS[url.protocol as keyof typeof AGENTS], ...(from ? { localAddress: from } : {}) }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (from && (e.code === 'EADDRNOTAVAIL' || e.code === 'EINVAL')) {
          // This system has no such loopback address (only Linux routes all of 127.0.0.0/8): the default from now on.
          unbindable = true;
          resolve(once(retry, undefined));
        } else if (retry && !answered && req.reusedSocket && e.code === 'ECONNRESET') resolve(once(false, from));
        else reject(e);
      });
      req.end(data);
    });
  return once(true, unbindable || !/^127\.\d+\.\d+\.\d+$/.test(url.hostname) ? undefined : localAddress);
}

/** Set once binding a client address failed (EADDRNOTAVAIL): `clientAddress` is ignored from then on. */
let unbindable = false;

/**
 * A loopback address of its own for the `n`th borrower (0-based), 127.0.0.2 onwards: where the demo seeding's
 * borrowers connect from (`ConsentAnswer.clientAddress`).
 */
export function loopbackAddress(n: number): string {
  const k = (n % 16_000_000) + 2;
  return `127.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
}

class Browser {
  private jar = new Map<string, string>();

  constructor(
    private readonly origin: string,
    private readonly localAddress?: string,
  ) {}

  async page(path: string, init: { method?: string; body?: Body } = {}): Promise<{ status: number; html: string; location: string | null }> {
    const headers: Record<string, string> = { accept: 'text/html', origin: this.origin };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await exchange(new URL(path, this.origin), init.method ?? 'GET', headers, init.body, undefined, this.localAddress);
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const location = res.headers.location;
    return { status: res.status, html: res.text, location: typeof location === 'string' ? location : null };
  }
}

function outcome(location: string): ConsentOutcome {
  const u = new URL(location);
  return { redirect: location, consentId: u.searchParams.get('consent_id') ?? '', status: u.searchParams.get('status') ?? '', state: u.searchParams.get('state') };
}

/** The messages the sandbox SMS gateway holds for `phone`, oldest first. */
async function smsMessages(smsUrl: string, phone: string): Promise<{ text: string }[]> {
  const res = await exchange(new URL(`${smsUrl}/__sandbox/sms?phone=${encodeURIComponent(phone)}`), 'GET', { accept: 'application/json' });
  if (res.status !== 200) throw new Error(`SMS gateway answered ${res.status}`);
  return (JSON.parse(res.text) as { messages: { text: string }[] }).messages;
}

/** Reads the newest one-time code sent to `phone` after `after` messages, waiting for it to arrive. */
async function codeFor(smsUrl: string, phone: string, after: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const messages = await smsMessages(smsUrl, phone);
    if (messages.length > after) {
      const code = /\b(\d{6})\b/.exec(messages.at(-1)!.text)?.[1];
      if (code) return code;
    }
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`no code reached ${phone}`);
}

async function smsCount(smsUrl: string, phone: string): Promise<number> {
  return (await smsMessages(smsUrl, phone)).length;
}

/**
 * POSTs a JSON body (a client's GraphQL request) over the driver's keep-alive connections.
 * @returns the HTTP status and the parsed JSON answer (null when the answer is not JSON).
 */
export async function postJson(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await exchange(new URL(url), 'POST', { ...headers, 'content-type': 'application/json', accept: 'application/json' }, undefined, Buffer.from(JSON.stringify(body)));
  let json: unknown = null;
  try {
    json = JSON.parse(res.text);
  } catch {
    // not JSON: left null
  }
  return { status: res.status, json };
}

/**
 * Answers a consent request as the borrower.
 * @throws Error when the page does not behave as the flow says (an unexpected status or a step that does not complete).
 */
export async function answerConsent(a: ConsentAnswer): Promise<ConsentOutcome> {
  const url = new URL(a.consentUrl);
  const base = url.pathname;
  const b = new Browser(url.origin, a.clientAddress);
  const first = await b.page(base);
  if (first.status === 303 && first.location) return outcome(first.location);
  if (first.status !== 200) throw new Error(`consent page answered ${first.status}`);
  if (a.decision === 'DECLINE') {
    const d = await b.page(`${base}/decline`, { method: 'POST', body: new URLSearchParams() });
    if (d.status !== 303 || !d.location) throw new Error(`decline answered ${d.status}`);
    return outcome(d.location);
  }
  const started = await b.page(`${base}/start`, { method: 'POST', body: new URLSearchParams() });
  if (started.status !== 303) throw new Error(`start answered ${started.status}`);
  let html = (await b.page(base)).html;

  // Logins (Cairin): phone and PIN, then again with the images when Cairin asks for its liveness check.
  for (const m of [...html.matchAll(/<input type="hidden" name="provider" value="([A-Z_]+)">/g)]) {
    const provider = m[1]!;
    if (provider !== 'CAIRIN' || !a.person.cairin) throw new Error(`no login known for ${provider}`);
    const fields: [string, string | FilePart][] = [
      ['provider', provider],
      ['phoneNumber', a.person.cairin.phoneNumber],
      ['pin', a.person.cairin.pin],
    ];
    let r = await b.page(`${base}/login`, { method: 'POST', body: { multipart: fields } });
    if (r.html.includes('name="ktpImage"')) {
      const images: [string, FilePart][] = [
        ['ktpImage', { filename: 'ktp.png', type: 'image/png', data: PNG_1PX }],
        ['selfieImage', { filename: 'selfie.png', type: 'image/png', data: PNG_1PX }],
      ];
      r = await b.page(`${base}/login`, { method: 'POST', body: { multipart: [...fields, ...images] } });
    }
    if (r.status === 303 && r.location) return outcome(r.location);
    html = r.html;
  }

  // One-time codes, one per phone group.
  for (const m of [...html.matchAll(/<section data-group="(\d+)"/g)]) {
    const group = m[1]!;
    const before = await smsCount(a.smsUrl, a.person.phoneNumber);
    const sent = await b.page(`${base}/code/send`, { method: 'POST', body: new URLSearchParams({ group }) });
    if (sent.status === 303 && sent.location) return outcome(sent.location);
    const code = await codeFor(a.smsUrl, a.person.phoneNumber, before);
    for (let i = 0; i < (a.wrongCodes ?? 0); i++) {
      const wrong = String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
      const w = await b.page(`${base}/code/check`, { method: 'POST', body: new URLSearchParams({ group, code: wrong }) });
      if (w.status === 303 && w.location) return outcome(w.location);
    }
    const checked = await b.page(`${base}/code/check`, { method: 'POST', body: new URLSearchParams({ group, code }) });
    if (checked.status === 303 && checked.location) return outcome(checked.location);
    html = checked.html;
  }
  const approved = await b.page(`${base}/approve`, { method: 'POST', body: new URLSearchParams() });
  if (approved.status !== 303 || !approved.location) throw new Error(`approve answered ${approved.status}: ${/class="notice[^"]*"[^>]*>([^<]*)/.exec(approved.html)?.[1] ?? 'no notice'}`);
  return outcome(approved.location);
}
