-- Notification: every message, its delivery status and attempts.
create schema if not exists notification;

create table notification.notification_messages (
    message_id uuid primary key,
    dedup_key text not null unique,      -- one message per order's tickets, per lapsed hold
    kind text not null,                  -- tickets | hold_expired
    recipient text not null,
    subject text not null,
    raw bytea not null,                  -- the RFC 5322 message, attachments included
    status text not null check (status in ('pending', 'sent', 'failed', 'skipped')),
    attempts bigint not null,
    next_attempt_at bigint not null,
    last_error text,
    created_at bigint not null,
    sent_at bigint
);
create index notification_messages_due on notification.notification_messages (next_attempt_at) where status = 'pending';
create index notification_messages_recipient on notification.notification_messages (recipient);
