-- Per-client GraphQL cost budgets shared by every instance on a PostgreSQL server: rate-limiter-flexible's
-- RateLimiterPostgres (src/graphql/hardening.ts) counts each client's points of the current minute here.
-- Its own schema (node_modules/rate-limiter-flexible/lib/RateLimiterPostgres.js): "key" is "<prefix>:<client id>",
-- "points" the points spent in the window, "expire" when the window ends (epoch milliseconds). Created here
-- rather than by the limiter at start-up (tableCreated: true): instances starting together race on
-- CREATE TABLE IF NOT EXISTS, and the errors the library does not absorb (42P07, 42710) would be thrown
-- from a promise nothing awaits. Unused on the embedded database, which counts in memory (one process).
CREATE TABLE "satukredit_rate_limit" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "satukredit_rate_limit_pkey" PRIMARY KEY ("key")
);
