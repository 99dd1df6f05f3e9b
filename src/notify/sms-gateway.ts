/**
 * The SMS (or WhatsApp) gateway the one-time codes go out through: `POST {SMS_GATEWAY_URL}/messages`
 * with `authorization: Bearer {SMS_GATEWAY_KEY}` and `{ "to": "<digits with country code>", "text": "..." }`;
 * any 2xx is accepted. The provider sandbox runs a loopback gateway speaking the same (src/sandbox/sms.ts).
 */
import type { Notifier } from '../core/notifier';

/** Gateway settings. */
export interface SmsGatewaySettings {
  /** Base URL, e.g. `https://sms.example.co.id/v1`. */
  readonly url: string;
  /** API key sent as a bearer token. */
  readonly key: string;
  /** Per-message timeout, milliseconds. */
  readonly timeoutMs: number;
}

/** A `Notifier` over an HTTP SMS gateway. */
export class SmsGateway implements Notifier {
  constructor(private readonly s: SmsGatewaySettings) {}

  /** @throws Error naming the HTTP status (not the message) when the gateway refuses or cannot be reached. */
  async send(phone: string, text: string): Promise<void> {
    const res = await fetch(new URL('messages', this.s.url.endsWith('/') ? this.s.url : `${this.s.url}/`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.s.key}` },
      body: JSON.stringify({ to: phone, text }),
      signal: AbortSignal.timeout(this.s.timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`SMS gateway answered HTTP ${res.status}`);
  }
}

/** A `Notifier` for a deployment without a gateway: every send fails, saying so. */
export const noGateway: Notifier = {
  async send() {
    throw new Error('no SMS gateway is configured (SMS_GATEWAY_URL, SMS_GATEWAY_KEY)');
  },
};
