-- Issue 13.6/13.7: per-installment states reported by provider events (Finfra `bnpl`), disbursements learned
-- from events (Dompet Kilat `/v1/loan/disburse`), and when a loan's event-reported status took effect.

-- AlterTable
ALTER TABLE "LedgerLoanState" ADD COLUMN "statusAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "LedgerInstallmentState" (
    "provider" "Provider" NOT NULL,
    "providerLoanId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "paidAmount" BIGINT,
    "reportedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LedgerInstallmentState_pkey" PRIMARY KEY ("provider","providerLoanId","seq")
);

-- CreateTable
CREATE TABLE "LedgerDisbursement" (
    "id" UUID NOT NULL,
    "provider" "Provider" NOT NULL,
    "providerLoanId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "disbursedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LedgerDisbursement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "LedgerDisbursement_provider_externalId_key" ON "LedgerDisbursement"("provider", "externalId");

-- CreateIndex
CREATE INDEX "LedgerDisbursement_provider_providerLoanId_idx" ON "LedgerDisbursement"("provider", "providerLoanId");
