/**
 * Plays the borrower on the hosted consent page over plain HTTP, as a browser without JavaScript
 * would: start, Cairin app login (with the liveness images when Cairin asks), one-time codes read
 * from the sandbox SMS gateway, then approve or decline. `npm start` seeds its demo consents with
 * it and tests use it; nothing here reaches the application other than over HTTP.
 */
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

class Browser {
  private jar = new Map<string, string>();

  constructor(private readonly origin: string) {}

  async send(path: string, init: { method?: string; body?: URLSearchParams | FormData } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', origin: this.origin };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(new URL(path, this.origin), { method: init.method ?? 'GET', body: init.body, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  }

  async page(path: string, init: { method?: string; body?: URLSearchParams | FormData } = {}): Promise<{ status: number; html: string; location: string | null }> {
    const res = await this.send(path, init);
    return { status: res.status, html: await res.text(), location: res.headers.get('location') };
  }
}

function outcome(location: string): ConsentOutcome {
  const u = new URL(location);
  return { redirect: location, consentId: u.searchParams.get('consent_id') ?? '', status: u.searchParams.get('status') ?? '', state: u.searchParams.get('state') };
}

/** Reads the newest one-time code sent to `phone` after `after` messages, waiting for it to arrive. */
async function codeFor(smsUrl: string, phone: string, after: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const r = (await (await fetch(`${smsUrl}/__sandbox/sms?phone=${encodeURIComponent(phone)}`)).json()) as { messages: { text: string }[] };
    if (r.messages.length > after) {
      const code = /\b(\d{6})\b/.exec(r.messages.at(-1)!.text)?.[1];
      if (code) return code;
    }
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`no code reached ${phone}`);
}

async function smsCount(smsUrl: string, phone: string): Promise<number> {
  const r = (await (await fetch(`${smsUrl}/__sandbox/sms?phone=${encodeURIComponent(phone)}`)).json()) as { messages: unknown[] };
  return r.messages.length;
}

/**
 * Answers a consent request as the borrower.
 * @throws Error when the page does not behave as the flow says (an unexpected status or a step that does not complete).
 */
export async function answerConsent(a: ConsentAnswer): Promise<ConsentOutcome> {
  const url = new URL(a.consentUrl);
  const base = url.pathname;
  const b = new Browser(url.origin);
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
    const form = () => {
      const f = new FormData();
      f.set('provider', provider);
      f.set('phoneNumber', a.person.cairin!.phoneNumber);
      f.set('pin', a.person.cairin!.pin);
      return f;
    };
    let r = await b.page(`${base}/login`, { method: 'POST', body: form() });
    if (r.html.includes('name="ktpImage"')) {
      const f = form();
      f.set('ktpImage', new Blob([PNG_1PX], { type: 'image/png' }), 'ktp.png');
      f.set('selfieImage', new Blob([PNG_1PX], { type: 'image/png' }), 'selfie.png');
      r = await b.page(`${base}/login`, { method: 'POST', body: f });
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
