-- Stored webhook events are applied by whichever instance claims them: a lease (leasedBy, leasedUntil)
-- taken with SELECT ... FOR UPDATE SKIP LOCKED; a failed try waits until availableAt (exponential
-- backoff); after the last try the event is dead-lettered (deadAt) until an operator replays it.
ALTER TABLE "WebhookEvent" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "WebhookEvent" ADD COLUMN "availableAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "WebhookEvent" ADD COLUMN "leasedBy" TEXT;
ALTER TABLE "WebhookEvent" ADD COLUMN "leasedUntil" TIMESTAMPTZ(3);
ALTER TABLE "WebhookEvent" ADD COLUMN "deadAt" TIMESTAMPTZ(3);

-- Events applied before this migration that ended FAILED are dead letters now (replayable).
UPDATE "WebhookEvent" SET "deadAt" = "appliedAt", "appliedAt" = NULL, "outcome" = 'DEAD' WHERE "outcome" = 'FAILED';

-- CreateIndex
CREATE INDEX "WebhookEvent_pending_idx" ON "WebhookEvent"("availableAt") WHERE "appliedAt" IS NULL AND "deadAt" IS NULL;
CREATE INDEX "WebhookEvent_deadAt_idx" ON "WebhookEvent"("deadAt");
