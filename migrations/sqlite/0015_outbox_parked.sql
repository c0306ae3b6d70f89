-- A message a consumer failed on MAX_ATTEMPTS times (crates/outbox/src/relay.rs) is parked: taken
-- out of the relay's queue (published_at is set too, so the queue's index and queries stay as
-- they are) with its last error, counted in /metrics and listed at GET /admin/outbox/parked,
-- where an operator can put it back once the cause is fixed. Never retried for ever.
alter table outbox_messages add column parked_at integer;
create index outbox_messages_parked on outbox_messages (parked_at) where parked_at is not null;
