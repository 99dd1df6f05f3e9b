/**
 * The sandbox's loopback SMS gateway: accepts `POST /messages` `{ to, text }` with
 * `authorization: Bearer <key>` (the API's SMS_GATEWAY_KEY) as a real gateway would,
 * and records every message, readable at `GET /__sandbox/sms?phone=<digits>` (newest
 * last) so tests and the demo can read one-time codes. It also plays the demo API clients'
 * redirect target: `GET /__sandbox/client/callback?consent_id=&status=&state=` shows what the
 * client received when the borrower's browser came back from the consent page.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded message. */
export interface SandboxSms {
  readonly to: string;
  readonly text: string;
  /** ISO-8601 instant it was received. */
  readonly at: string;
}

/** A running sandbox SMS gateway. */
export interface SandboxSmsGateway {
  readonly url: string;
  /** The bearer key it accepts. */
  readonly key: string;
  /** Messages sent to `phone` (all when omitted), oldest first. */
  messages(phone?: string): SandboxSms[];
  close(): Promise<void>;
}

/** Starts the gateway on a loopback port (0: any free port). */
export async function startSmsGateway(opts: { key: string; port?: number; now?: () => Date }): Promise<SandboxSmsGateway> {
  const now = opts.now ?? (() => new Date());
  const sent: SandboxSms[] = [];
  // Messages per phone too: the demo seeding reads a phone's messages twice per code, among thousands of phones.
  const byPhone = new Map<string, SandboxSms[]>();
  const read = (phone: string | null | undefined): SandboxSms[] => (phone ? [...(byPhone.get(phone) ?? [])] : [...sent]);
  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    if (req.method === 'GET' && url.pathname === '/__sandbox/sms') {
      const phone = url.searchParams.get('phone');
      return reply(res, 200, { messages: read(phone) });
    }
    if (req.method === 'GET' && url.pathname === '/__sandbox/client/callback') {
      const esc = (v: string | null) => (v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo client: consent outcome</title></head><body><h1>Demo client</h1><p>The borrower came back from the consent page.</p><dl><dt>consent_id</dt><dd id="consent-id">${esc(url.searchParams.get('consent_id'))}</dd><dt>status</dt><dd id="status">${esc(url.searchParams.get('status'))}</dd><dt>state</dt><dd id="state">${esc(url.searchParams.get('state'))}</dd></dl></body></html>`,
      );
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/messages') return reply(res, 404, { error: 'not_found' });
    if (req.headers.authorization !== `Bearer ${opts.key}`) return reply(res, 401, { error: 'unauthorized' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { to?: unknown; text?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return reply(res, 400, { error: 'bad_request', message: 'body is not JSON' });
      }
      if (typeof body.to !== 'string' || !/^\d{8,15}$/.test(body.to) || typeof body.text !== 'string' || !body.text) {
        return reply(res, 400, { error: 'bad_request', message: 'to (8-15 digits) and text are required' });
      }
      const m: SandboxSms = { to: body.to, text: body.text, at: now().toISOString() };
      sent.push(m);
      const mine = byPhone.get(m.to);
      if (mine) mine.push(m);
      else byPhone.set(m.to, [m]);
      return reply(res, 202, { accepted: true });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    key: opts.key,
    messages: (phone) => read(phone),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
