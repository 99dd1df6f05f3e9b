-- Where a provider read's data came from: PROVIDER (read live) or CACHE (the cached copy); null for API_READ
-- entries and for entries written before this column existed.
ALTER TABLE "AccessLog" ADD COLUMN "source" TEXT;
