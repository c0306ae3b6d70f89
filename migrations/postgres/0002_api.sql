-- Idempotency keys of state-changing POSTs (SPEC §3), kept 24 hours.
create schema if not exists api;

create table api.api_idempotency_keys (
    idempotency_key text primary key,
    fingerprint bytea not null,      -- sha256 of method, path and body
    status_code bigint,              -- null while the first request is running
    content_type text,
    body bytea,
    created_at bigint not null
);
create index api_idempotency_keys_age on api.api_idempotency_keys (created_at);
