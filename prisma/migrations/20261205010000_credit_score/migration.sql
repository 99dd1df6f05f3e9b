-- A provider's credit score of a borrower (Finfra `user_credit_score` callbacks, issue 13.7): the latest per
-- (provider, provider user id, source); a later "scoredAt" replaces an earlier one. Read under consent domain CREDIT_SCORE.
CREATE TABLE "CreditScore" (
    "id" UUID NOT NULL,
    "provider" "Provider" NOT NULL,
    "providerUserId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "score" INTEGER NOT NULL,
    "scoredAt" TIMESTAMPTZ(3) NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CreditScore_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CreditScore_provider_providerUserId_source_key" ON "CreditScore"("provider", "providerUserId", "source");
