/**
 * Bank Indonesia SNAP (Standar Nasional Open API Pembayaran) conventions for
 * the bank leg of Cairin repayments: the bank POSTs a payment notification
 * signed over `METHOD:path:lowerhex(sha256(minified body)):X-TIMESTAMP`, either
 * SHA256withRSA (verified with the bank's public key) or HMAC-SHA512 with a
 * shared secret, and expects a 7-digit response code: HTTP status (3) +
 * service code (2) + case code (2), e.g. 2002500 for an accepted VA payment
 * notification (service code 25).
 */
import { createHash, createHmac, timingSafeEqual, verify as rsaVerify } from 'node:crypto';
import { z } from 'zod';

/** Banks whose settlement notifications we accept. */
export type SnapBank = 'BCA' | 'MANDIRI' | 'BRI' | 'BNI';
export const SNAP_BANKS: readonly SnapBank[] = ['BCA', 'MANDIRI', 'BRI', 'BNI'];

/** Per-bank configuration. */
export interface SnapBankConfig {
  bank: SnapBank;
  /** X-PARTNER-ID the bank sends. */
  partnerId: string;
  /** Two-digit SNAP service code of the payment notification (25 for VA payment). */
  serviceCode: string;
  /** How the bank signs: RSA public key (PEM) or HMAC-SHA512 shared secret. */
  signature: { kind: 'RSA'; publicKey: string } | { kind: 'HMAC'; secret: string };
  /** Expected settlement lag of this channel, minutes (a pending repayment older than this is flagged). */
  expectedLagMinutes: number;
}

/** `{ value: "270000.00", currency: "IDR" }` as SNAP writes amounts. */
export const SnapAmount = z.object({ value: z.string().regex(/^\d+\.\d{2}$/, 'expected a decimal with 2 places'), currency: z.literal('IDR') });

/** Body of a VA payment notification (the fields we read). */
export const SnapPaymentNotification = z.object({
  partnerServiceId: z.string().min(1),
  customerNo: z.string().min(1),
  virtualAccountNo: z.string().min(1),
  virtualAccountName: z.string().optional(),
  /** The payment request it settles: the provider's repayment reference (Cairin `txnId`). */
  paymentRequestId: z.string().min(1),
  paidAmount: SnapAmount,
  trxDateTime: z.string().datetime({ offset: true }),
  referenceNo: z.string().optional(),
});
export type SnapPaymentNotification = z.infer<typeof SnapPaymentNotification>;

/** Minifies a JSON body as SNAP requires before hashing. @throws SyntaxError when not JSON. */
export function minify(body: string): string {
  return JSON.stringify(JSON.parse(body));
}

/** The SNAP string-to-sign for a notification. */
export function stringToSign(method: string, path: string, body: string, timestamp: string): string {
  const digest = createHash('sha256').update(minify(body)).digest('hex').toLowerCase();
  return `${method.toUpperCase()}:${path}:${digest}:${timestamp}`;
}

/** Verifies X-SIGNATURE (base64) in constant time for HMAC; RSA via the bank's public key. */
export function verifySignature(cfg: SnapBankConfig['signature'], sts: string, signatureB64: string): boolean {
  let sig: Buffer;
  try {
    sig = Buffer.from(signatureB64, 'base64');
  } catch {
    return false;
  }
  if (cfg.kind === 'HMAC') {
    const expected = createHmac('sha512', cfg.secret).update(sts).digest();
    return sig.length === expected.length && timingSafeEqual(sig, expected);
  }
  try {
    return rsaVerify('sha256', Buffer.from(sts), cfg.publicKey, sig);
  } catch {
    return false;
  }
}

/** A SNAP response code: HTTP status + service code + case code. */
export function snapCode(httpStatus: number, serviceCode: string, caseCode: string): string {
  return `${httpStatus}${serviceCode.padStart(2, '0')}${caseCode.padStart(2, '0')}`;
}
