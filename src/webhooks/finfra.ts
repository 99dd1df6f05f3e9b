/**
 * Finfra callbacks: `POST /api/core/ftm/users/{callbackTitle}/status` (user_created,
 * user_verify, user_credit_score, loan, bnpl) and `POST /api/core/payment-gateway/{kind}/status`
 * (invoice and VA payments), mounted under /webhooks/finfra. The `finfra-auth-key`
 * header is checked in constant time before anything else.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { FinfraCallback, FinfraLoanStatus } from '../providers/finfra/wire';

const isoInstant = z.string().datetime({ offset: true });

/** `data` of a `loan` callback. */
export const FinfraLoanEventData = z.object({ loanUniqueId: z.string().min(1), status: FinfraLoanStatus });
export type FinfraLoanEvent = z.infer<typeof FinfraLoanEventData>;

/** `data` of a `bnpl` callback (installment status). */
export const FinfraBnplEventData = z.object({
  loanUniqueId: z.string().min(1),
  installment_number: z.number().int().positive(),
  status: z.enum(['UNPAID', 'PARTIAL', 'PAID', 'OVERDUE']),
  paid_amount: z.number().int().nonnegative().optional(),
});

/** `data` of a payment-gateway (invoice / VA) callback. */
export const FinfraPaymentEventData = z.object({
  payment_id: z.string().min(1),
  loanUniqueId: z.string().min(1),
  amount: z.number().int().positive(),
  bank_code: z.string().min(1),
  status: z.enum(['PENDING', 'PAID', 'FAILED']),
  paid_at: isoInstant,
  settled_at: isoInstant.nullable().optional(),
});
export type FinfraPaymentEvent = z.infer<typeof FinfraPaymentEventData>;

/** `data` of user_* callbacks: we only need the user id (no personal fields are kept). */
export const FinfraUserEventData = z.object({ userId: z.string().min(1) });

/** Constant-time comparison of the `finfra-auth-key` header with the configured key. */
export function finfraKeyMatches(given: string | undefined, expected: string | null): boolean {
  if (!expected || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers so the time does not depend on where they differ.
  const same = timingSafeEqual(Buffer.concat([a, Buffer.alloc(Math.max(0, b.length - a.length))]).subarray(0, b.length), b);
  return same && a.length === b.length;
}

/**
 * Validates a Finfra callback body for the route it arrived on.
 * @returns the parsed body and a minimized payload to store, or the reason it is invalid.
 */
export function parseFinfraCallback(route: 'users' | 'payment-gateway', body: unknown): { ok: { type: string; status: string; data: Record<string, unknown> } } | { error: string } {
  const env = FinfraCallback.safeParse(body);
  if (!env.success) return { error: reason(env.error) };
  const { type } = env.data;
  const expectRoute = type === 'invoice' || type === 'va' ? 'payment-gateway' : 'users';
  if (expectRoute !== route) return { error: `type "${type}" is not sent to this path` };
  const schema = type === 'loan' ? FinfraLoanEventData : type === 'bnpl' ? FinfraBnplEventData : type === 'invoice' || type === 'va' ? FinfraPaymentEventData : FinfraUserEventData;
  const data = schema.safeParse(env.data.data);
  if (!data.success) return { error: reason(data.error, 'data') };
  return { ok: { type, status: env.data.status, data: data.data } };
}

/** First zod issue as "path: message" (never the offending value). */
export function reason(e: z.ZodError, prefix?: string): string {
  const i = e.issues[0]!;
  const path = [prefix, ...i.path].filter((x) => x !== undefined && x !== '').join('.');
  return `${path || '(body)'}: ${i.message}`;
}
