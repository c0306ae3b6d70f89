-- Idempotency keys of state-changing POSTs (SPEC §3), kept 24 hours.
create table api_idempotency_keys (
    idempotency_key text primary key,
    fingerprint blob not null,       -- sha256 of method, path and body
    status_code integer,             -- null while the first request is running
    content_type text,
    body blob,
    created_at integer not null
);
create index api_idempotency_keys_age on api_idempotency_keys (created_at);
