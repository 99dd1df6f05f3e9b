-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Provider" AS ENUM ('CAIRIN', 'FINFRA', 'DOMPET_KILAT');

-- CreateTable
CREATE TABLE "Borrower" (
    "id" UUID NOT NULL,
    "nik" TEXT NOT NULL,
    "fullName" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Borrower_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProviderAccount" (
    "id" UUID NOT NULL,
    "borrowerId" UUID NOT NULL,
    "provider" "Provider" NOT NULL,
    "externalId" TEXT NOT NULL,
    "credentials" JSONB,
    "linkedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProviderAccount_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Borrower_nik_key" ON "Borrower"("nik");

-- CreateIndex
CREATE INDEX "Borrower_createdAt_id_idx" ON "Borrower"("createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ProviderAccount_provider_externalId_key" ON "ProviderAccount"("provider", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "ProviderAccount_borrowerId_provider_key" ON "ProviderAccount"("borrowerId", "provider");

-- AddForeignKey
ALTER TABLE "ProviderAccount" ADD CONSTRAINT "ProviderAccount_borrowerId_fkey" FOREIGN KEY ("borrowerId") REFERENCES "Borrower"("id") ON DELETE CASCADE ON UPDATE CASCADE;

