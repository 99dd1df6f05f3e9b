-- The borrower-authorized consent flow: a consent is requested by a client (PENDING, no borrower yet),
-- approved (ACTIVE, accounts linked) or declined (REJECTED) by the borrower on the hosted page.
ALTER TYPE "ConsentStatus" ADD VALUE 'REJECTED';

-- A PENDING request names no borrower until the borrower approves, so a client learns nothing of a
-- borrower's existence before that.
ALTER TABLE "Consent" ALTER COLUMN "borrowerId" DROP NOT NULL;
-- When a PENDING request's link stops working (15 minutes after creation); null for approved consents.
ALTER TABLE "Consent" ADD COLUMN "requestExpiresAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "ConsentRequest" (
    "consentId" UUID NOT NULL,
    "handleHash" TEXT NOT NULL,
    "nik" TEXT,
    "fullName" TEXT,
    "redirectUri" TEXT NOT NULL,
    "state" TEXT,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "browserHash" TEXT,
    "startedAt" TIMESTAMPTZ(3),
    "deviceId" TEXT NOT NULL,
    "proofs" JSONB NOT NULL DEFAULT '{}',
    "failures" INTEGER NOT NULL DEFAULT 0,
    "completedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ConsentRequest_pkey" PRIMARY KEY ("consentId")
);

-- CreateIndex
CREATE UNIQUE INDEX "ConsentRequest_handleHash_key" ON "ConsentRequest"("handleHash");

-- AddForeignKey
ALTER TABLE "ConsentRequest" ADD CONSTRAINT "ConsentRequest_consentId_fkey" FOREIGN KEY ("consentId") REFERENCES "Consent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
