/**
 * How the core reaches a borrower's phone: one-time codes go out through a
 * `Notifier`. Production sends them through an SMS or WhatsApp gateway
 * (src/notify/sms-gateway.ts, configured by SMS_GATEWAY_URL and SMS_GATEWAY_KEY);
 * the demo and tests use the provider sandbox's loopback gateway, which records
 * every message.
 */

/** Sends short text messages to phones. */
export interface Notifier {
  /**
   * Sends `text` to `phone` (digits with country code, e.g. `6281234567890`).
   * @throws Error when the gateway refuses or cannot be reached (the caller reports the send as failed).
   */
  send(phone: string, text: string): Promise<void>;
}
