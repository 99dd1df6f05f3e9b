-- CreateTable
CREATE TABLE "OneTimeCode" (
    "id" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "nikHash" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "usedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "OneTimeCode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OneTimeCode_subject_createdAt_idx" ON "OneTimeCode"("subject", "createdAt");

-- CreateIndex
CREATE INDEX "OneTimeCode_nikHash_createdAt_idx" ON "OneTimeCode"("nikHash", "createdAt");

-- CreateIndex
CREATE INDEX "OneTimeCode_ip_createdAt_idx" ON "OneTimeCode"("ip", "createdAt");

