-- Delivery between the processes of a split deployment goes through this database, not Kafka
-- (issue #30, docs/architecture.md "Delivery in a split deployment"). The relaying process gives
-- every message a delivery position once it is committed, in commit order per key; each
-- consumer reads the positions after its cursor and moves the cursor when it has handled them.
-- A message a consumer failed on waits in that consumer's retries (with the later messages of
-- its key behind it) while the consumer goes on with every other key; after MAX_ATTEMPTS it is
-- parked there for the operator. Kafka, when configured, is fed the same way: as one more
-- consumer, the public stream for other systems.
alter table outbox.outbox_messages add column delivery_seq bigint;
create unique index outbox_messages_delivery on outbox.outbox_messages (delivery_seq)
    where delivery_seq is not null;

create table outbox.outbox_consumers (
    consumer text primary key,
    position bigint not null,          -- the last delivery_seq it has passed
    progressed_at bigint not null,     -- microseconds since the Unix epoch (UTC)
    -- Up to where the reconciler has checked that every message passed was handled
    -- (crates/outbox/src/cursor.rs): one it finds unhandled goes back to the retries.
    reconciled_to bigint not null default 0
);

create table outbox.outbox_consumer_retries (
    consumer text not null,
    delivery_seq bigint not null,
    message_key text not null,
    attempts bigint not null,          -- 0: waiting behind an earlier message of its key
    next_attempt_at bigint not null,
    last_error text,
    parked_at bigint,
    primary key (consumer, delivery_seq)
);
