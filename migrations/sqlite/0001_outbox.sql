-- Outbox: events written in the same transaction as the state change that caused them.
create table outbox_messages (
    seq integer primary key autoincrement,   -- commit order, used by the relay
    message_id blob not null unique,
    topic text not null,
    message_key text not null,
    payload text not null,                   -- JSON, includes messageId and occurredAt
    occurred_at integer not null,            -- microseconds since the Unix epoch (UTC)
    published_at integer,                    -- null until every subscriber has handled it
    attempts integer not null default 0,
    next_attempt_at integer not null,
    last_error text
);
create index outbox_messages_pending on outbox_messages (seq) where published_at is null;

-- Which consumer has handled which message: redeliveries are ignored.
create table outbox_processed (
    consumer text not null,
    message_id blob not null,
    primary key (consumer, message_id)
) without rowid;
