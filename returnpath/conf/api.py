"""Settings of the api work (imported at the end of returnpath.settings)."""

import environ

_env = environ.Env()

# Body limits, checked on the Content-Length header and again while reading, before parsing.
RETURNPATH_API_MAX_BODY_BYTES = _env.int("RETURNPATH_API_MAX_BODY_BYTES", default=64 * 1024)
RETURNPATH_API_MAX_BATCH_BODY_BYTES = _env.int("RETURNPATH_API_MAX_BATCH_BODY_BYTES", default=2 * 1024 * 1024)
RETURNPATH_API_BATCH_MAX_ORDERS = 1000
# A batch job (decision 034) settles its orders in chunks of this many, each chunk one
# transaction with its answers: fewer commits than one per order, short locks, answers readable early.
RETURNPATH_API_BATCH_CHUNK = _env.int("RETURNPATH_API_BATCH_CHUNK", default=500)
# New people's orders of a batch are written in bulk (decision 062); off: one order at a time.
RETURNPATH_API_BATCH_BULK = _env.bool("RETURNPATH_API_BATCH_BULK", default=True)

# Per-client throttling (ApiClient.throttle_rate; this when it is unreadable) and per address
# for requests without a valid token. Counted in the shared cache (Redis when REDIS_URL is set).
RETURNPATH_API_DEFAULT_THROTTLE = _env.str("RETURNPATH_API_DEFAULT_THROTTLE", default="600/min")
RETURNPATH_API_ANON_THROTTLE = _env.str("RETURNPATH_API_ANON_THROTTLE", default="120/min")

# Idempotency-Key: how long an answer is replayed, and (SQLite only; PostgreSQL ties the key to
# the request's session, decision 031) after how long a request still "in flight" is abandoned.
RETURNPATH_API_IDEMPOTENCY_TTL_HOURS = _env.int("RETURNPATH_API_IDEMPOTENCY_TTL_HOURS", default=24)
RETURNPATH_API_IDEMPOTENCY_LEASE_SECONDS = _env.int("RETURNPATH_API_IDEMPOTENCY_LEASE_SECONDS", default=120)
