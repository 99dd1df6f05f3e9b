-- CreateTable
CREATE TABLE "SyncRun" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),
    "lastAccountId" UUID,
    "accounts" INTEGER NOT NULL DEFAULT 0,
    "loansFetched" INTEGER NOT NULL DEFAULT 0,
    "loansChanged" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SyncRun_kind_finishedAt_idx" ON "SyncRun"("kind", "finishedAt");

