-- CreateTable
CREATE TABLE "WebhookEvent" (
    "id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "appliedAt" TIMESTAMPTZ(3),
    "outcome" TEXT,
    "error" TEXT,

    CONSTRAINT "WebhookEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LedgerRepayment" (
    "id" UUID NOT NULL,
    "provider" "Provider" NOT NULL,
    "providerLoanId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "channel" TEXT NOT NULL,
    "reference" TEXT,
    "status" TEXT NOT NULL,
    "paidAt" TIMESTAMPTZ(3) NOT NULL,
    "clearedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LedgerRepayment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LedgerLoanState" (
    "provider" "Provider" NOT NULL,
    "providerLoanId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reportedPaid" BIGINT,
    "reportedNumberOfPay" INTEGER,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LedgerLoanState_pkey" PRIMARY KEY ("provider","providerLoanId")
);

-- CreateTable
CREATE TABLE "Settlement" (
    "id" UUID NOT NULL,
    "bank" TEXT NOT NULL,
    "partnerId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "settledAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Settlement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookEvent_appliedAt_idx" ON "WebhookEvent"("appliedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookEvent_source_idempotencyKey_key" ON "WebhookEvent"("source", "idempotencyKey");

-- CreateIndex
CREATE INDEX "LedgerRepayment_provider_providerLoanId_idx" ON "LedgerRepayment"("provider", "providerLoanId");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerRepayment_provider_externalId_key" ON "LedgerRepayment"("provider", "externalId");

-- CreateIndex
CREATE INDEX "Settlement_reference_idx" ON "Settlement"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "Settlement_bank_partnerId_day_externalId_key" ON "Settlement"("bank", "partnerId", "day", "externalId");

