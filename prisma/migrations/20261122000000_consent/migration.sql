-- CreateEnum
CREATE TYPE "ConsentDomain" AS ENUM ('LOANS', 'INSTALLMENTS', 'REPAYMENTS', 'DISBURSEMENTS', 'IDENTITY');

-- CreateEnum
CREATE TYPE "ConsentStatus" AS ENUM ('PENDING', 'ACTIVE', 'PAUSED', 'REVOKED', 'EXPIRED');

-- AlterTable
ALTER TABLE "Borrower" ADD COLUMN     "erasedAt" TIMESTAMPTZ(3),
ALTER COLUMN "nik" DROP NOT NULL,
ALTER COLUMN "fullName" DROP NOT NULL;

-- CreateTable
CREATE TABLE "Consent" (
    "id" UUID NOT NULL,
    "borrowerId" UUID NOT NULL,
    "clientId" TEXT NOT NULL,
    "providers" "Provider"[],
    "domains" "ConsentDomain"[],
    "purpose" TEXT NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "dataLifeSeconds" INTEGER NOT NULL,
    "fetchIntervalSeconds" INTEGER NOT NULL DEFAULT 0,
    "status" "ConsentStatus" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Consent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsentEvent" (
    "id" UUID NOT NULL,
    "consentId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "status" "ConsentStatus" NOT NULL,
    "actor" TEXT,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessLog" (
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "clientId" TEXT NOT NULL,
    "borrowerId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "provider" "Provider",
    "domain" "ConsentDomain" NOT NULL,
    "purpose" TEXT NOT NULL,
    "consentId" UUID,
    "requestId" TEXT NOT NULL,

    CONSTRAINT "AccessLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProviderSnapshot" (
    "id" UUID NOT NULL,
    "consentId" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "domain" "ConsentDomain" NOT NULL,
    "payload" JSONB NOT NULL,
    "contentHash" TEXT NOT NULL,
    "fetchedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ProviderSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Consent_clientId_borrowerId_idx" ON "Consent"("clientId", "borrowerId");

-- CreateIndex
CREATE INDEX "Consent_borrowerId_idx" ON "Consent"("borrowerId");

-- CreateIndex
CREATE INDEX "ConsentEvent_consentId_at_idx" ON "ConsentEvent"("consentId", "at");

-- CreateIndex
CREATE INDEX "AccessLog_borrowerId_at_idx" ON "AccessLog"("borrowerId", "at");

-- CreateIndex
CREATE INDEX "ProviderSnapshot_fetchedAt_idx" ON "ProviderSnapshot"("fetchedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ProviderSnapshot_consentId_accountId_domain_key" ON "ProviderSnapshot"("consentId", "accountId", "domain");

-- AddForeignKey
ALTER TABLE "Consent" ADD CONSTRAINT "Consent_borrowerId_fkey" FOREIGN KEY ("borrowerId") REFERENCES "Borrower"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsentEvent" ADD CONSTRAINT "ConsentEvent_consentId_fkey" FOREIGN KEY ("consentId") REFERENCES "Consent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderSnapshot" ADD CONSTRAINT "ProviderSnapshot_consentId_fkey" FOREIGN KEY ("consentId") REFERENCES "Consent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderSnapshot" ADD CONSTRAINT "ProviderSnapshot_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "ProviderAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

