-- An idempotency key's claim belongs to one process (owner) for a while (lease_until, micros):
-- a request with the same key and body after the lease has lapsed runs again instead of being
-- refused as "in progress" for a day (the first process died, or never finished). Rows written
-- before this migration have no lease, which counts as lapsed.
alter table api.api_idempotency_keys add column owner text;
alter table api.api_idempotency_keys add column lease_until bigint;
