-- The event applier stamps the cached loan lists holding a loan (payload @> '[{"providerLoanId": ...}]')
-- with every applied event: a GIN index keeps that from reading every cached payload.
CREATE INDEX "ProviderSnapshot_payload_idx" ON "ProviderSnapshot" USING GIN ("payload" jsonb_path_ops);
