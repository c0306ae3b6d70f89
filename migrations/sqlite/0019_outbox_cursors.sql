-- Delivery between the processes of a split deployment goes through the database, not Kafka
-- (issue #30, docs/architecture.md "Delivery in a split deployment"). A split deployment runs on
-- PostgreSQL only; the tables exist here too so that both engines have one schema.
alter table outbox_messages add column delivery_seq integer;
create unique index outbox_messages_delivery on outbox_messages (delivery_seq)
    where delivery_seq is not null;

create table outbox_consumers (
    consumer text primary key,
    position integer not null,
    progressed_at integer not null,
    reconciled_to integer not null default 0
) without rowid;

create table outbox_consumer_retries (
    consumer text not null,
    delivery_seq integer not null,
    message_key text not null,
    attempts integer not null,
    next_attempt_at integer not null,
    last_error text,
    parked_at integer,
    primary key (consumer, delivery_seq)
) without rowid;
