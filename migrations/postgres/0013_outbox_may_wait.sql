-- Events whose consumers may get them later while the server is in a rush (the relay's rush
-- policy, crates/outbox/src/relay.rs): 1 for such events, 0 for all others. The relay reads the
-- others through their own index while it defers, without stepping over the waiting ones.
alter table outbox.outbox_messages add column may_wait integer not null default 0;
create index outbox_messages_pending_urgent on outbox.outbox_messages (seq)
    where published_at is null and may_wait = 0;
