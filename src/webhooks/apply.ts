/**
 * Applies a stored event to the ledger. Idempotent and order-safe: repayments
 * are upserted by their provider id with status only moving forward; loan
 * status only moves forward; settlements are unique per bank/partner/day/id.
 */
import { jakartaDate, parseInstant } from '../domain/dates';
import { advanceLoanStatus, advanceRepayment } from '../domain/ledger';
import { toRupiah } from '../domain/money';
import type { LoanStatus, ProviderCode, RepaymentStatus } from '../domain/types';
import type { PrismaClient, WebhookEvent } from '../generated/prisma/client';
import { channel } from '../providers/finfra/map';
import { LOAN_STATUS as FINFRA_LOAN_STATUS } from '../providers/finfra/map';
import type { DkCallback } from '../providers/dompetkilat/wire';
import type { LedgerChange } from './ingest';
import type { FinfraLoanEvent, FinfraPaymentEvent } from './finfra';
import type { SnapPaymentNotification } from './snap';

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** Dompet Kilat callback `status` -> our loan status. */
export const DK_LOAN_STATUS: Record<DkCallback['status'], LoanStatus> = { active: 'ACTIVE', completed: 'PAID_OFF', rejected: 'REJECTED', closed: 'CLOSED' };

/** Upserts a repayment; its status only moves forward and the first clearing time is kept. */
async function upsertRepayment(
  tx: Tx,
  r: { provider: ProviderCode; providerLoanId: string; externalId: string; amount: bigint; channel: string; reference: string | null; status: RepaymentStatus; paidAt: Date; clearedAt: Date | null },
): Promise<void> {
  const cur = await tx.ledgerRepayment.findUnique({ where: { provider_externalId: { provider: r.provider, externalId: r.externalId } } });
  if (!cur) {
    await tx.ledgerRepayment.create({ data: r });
    return;
  }
  const status = advanceRepayment(cur.status as RepaymentStatus, r.status);
  await tx.ledgerRepayment.update({ where: { id: cur.id }, data: { status, clearedAt: cur.clearedAt ?? (status === 'CLEARED' ? r.clearedAt : null) } });
}

/** Moves a loan's event-reported status forward (never back), with reported totals when given. */
async function advanceLoan(tx: Tx, provider: ProviderCode, providerLoanId: string, status: LoanStatus, totals: { reportedPaid?: bigint; reportedNumberOfPay?: number } = {}): Promise<void> {
  const cur = await tx.ledgerLoanState.findUnique({ where: { provider_providerLoanId: { provider, providerLoanId } } });
  if (!cur) {
    await tx.ledgerLoanState.create({ data: { provider, providerLoanId, status, ...totals } });
    return;
  }
  const next = advanceLoanStatus(cur.status as LoanStatus, status);
  // Reported totals are cumulative: keep the largest seen, so an older callback arriving late changes nothing.
  const reportedPaid = totals.reportedPaid === undefined ? cur.reportedPaid : cur.reportedPaid === null || totals.reportedPaid > cur.reportedPaid ? totals.reportedPaid : cur.reportedPaid;
  const reportedNumberOfPay =
    totals.reportedNumberOfPay === undefined ? cur.reportedNumberOfPay : Math.max(cur.reportedNumberOfPay ?? 0, totals.reportedNumberOfPay);
  await tx.ledgerLoanState.update({ where: { provider_providerLoanId: { provider, providerLoanId } }, data: { status: next, reportedPaid, reportedNumberOfPay } });
}

/**
 * Applies one event.
 * @returns RECORDED when it has no ledger effect (user_* callbacks), APPLIED otherwise, with the loans it changed.
 */
export async function applyEvent(prisma: PrismaClient, ev: WebhookEvent): Promise<{ outcome: 'APPLIED' | 'RECORDED'; changes: LedgerChange[] }> {
  const at = new Date();
  if (ev.source === 'FINFRA') {
    const body = ev.payload as { type: string; status: string; data: unknown };
    if (body.type === 'loan' || body.type === 'bnpl') {
      const d = body.data as FinfraLoanEvent;
      if (body.type === 'loan') await advanceLoan(prisma, 'FINFRA', d.loanUniqueId, FINFRA_LOAN_STATUS[d.status as keyof typeof FINFRA_LOAN_STATUS]);
      return { outcome: body.type === 'loan' ? 'APPLIED' : 'RECORDED', changes: [{ provider: 'FINFRA', providerLoanId: d.loanUniqueId, kind: body.type, at }] };
    }
    if (body.type === 'va' || body.type === 'invoice') {
      const d = body.data as FinfraPaymentEvent;
      await prisma.$transaction(async (tx) => {
        await upsertRepayment(tx, {
          provider: 'FINFRA',
          providerLoanId: d.loanUniqueId,
          externalId: d.payment_id,
          amount: BigInt(d.amount),
          channel: channel(d.bank_code),
          reference: d.payment_id,
          status: d.status === 'PAID' ? 'CLEARED' : d.status === 'FAILED' ? 'FAILED' : 'PENDING',
          paidAt: parseInstant(d.paid_at),
          clearedAt: d.settled_at ? parseInstant(d.settled_at) : d.status === 'PAID' ? parseInstant(d.paid_at) : null,
        });
      });
      return { outcome: 'APPLIED', changes: [{ provider: 'FINFRA', providerLoanId: d.loanUniqueId, kind: 'repayment', at }] };
    }
    return { outcome: 'RECORDED', changes: [] };
  }
  if (ev.source === 'DOMPET_KILAT') {
    const d = ev.payload as DkCallback;
    await prisma.$transaction(async (tx) => {
      for (const h of d.histories ?? []) {
        const paidAt = parseInstant(h.transactionTime);
        await upsertRepayment(tx, {
          provider: 'DOMPET_KILAT',
          providerLoanId: d.loanCode,
          // Histories carry no id: a payment is its loan, time and amount.
          externalId: `${d.loanCode}:${paidAt.toISOString()}:${h.paymentAmount}`,
          amount: BigInt(h.paymentAmount),
          channel: channel(d.bankCode),
          reference: d.paymentAccountNumber,
          status: 'CLEARED',
          paidAt,
          clearedAt: paidAt,
        });
      }
      await advanceLoan(tx, 'DOMPET_KILAT', d.loanCode, DK_LOAN_STATUS[d.status], {
        reportedPaid: d.loanAmountPaid === undefined ? undefined : BigInt(d.loanAmountPaid),
        reportedNumberOfPay: d.numberOfPay,
      });
    });
    return { outcome: 'APPLIED', changes: [{ provider: 'DOMPET_KILAT', providerLoanId: d.loanCode, kind: ev.kind, at }] };
  }
  if (ev.source.startsWith('SNAP_')) {
    const p = ev.payload as { partnerId: string; externalId: string; timestamp: string; body: SnapPaymentNotification };
    const bank = ev.source.slice(5);
    const settledAt = parseInstant(p.body.trxDateTime);
    const data = {
      bank,
      partnerId: p.partnerId,
      externalId: p.externalId,
      day: jakartaDate(parseInstant(p.timestamp)),
      reference: p.body.paymentRequestId,
      account: p.body.virtualAccountNo,
      amount: toRupiah(p.body.paidAmount.value),
      settledAt,
    };
    await prisma.settlement.upsert({
      where: { bank_partnerId_day_externalId: { bank, partnerId: data.partnerId, day: data.day, externalId: data.externalId } },
      create: data,
      update: {},
    });
    // The repayment it settles may be one we hold from an event; reads match the rest by reference.
    const held = await prisma.ledgerRepayment.findFirst({ where: { externalId: data.reference, amount: data.amount } });
    if (held && held.status === 'PENDING') await prisma.ledgerRepayment.update({ where: { id: held.id }, data: { status: 'CLEARED', clearedAt: settledAt } });
    return { outcome: 'APPLIED', changes: [{ provider: held?.provider ?? 'CAIRIN', providerLoanId: held?.providerLoanId ?? data.reference, kind: 'settlement', at }] };
  }
  return { outcome: 'RECORDED', changes: [] };
}
