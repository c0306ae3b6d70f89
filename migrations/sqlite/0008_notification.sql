-- Notification: every message, its delivery status and attempts.
create table notification_messages (
    message_id blob primary key,
    dedup_key text not null unique,      -- one message per order's tickets, per lapsed hold
    kind text not null,                  -- tickets | hold_expired
    recipient text not null,
    subject text not null,
    raw blob not null,                   -- the RFC 5322 message, attachments included
    status text not null check (status in ('pending', 'sent', 'failed', 'skipped')),
    attempts integer not null,
    next_attempt_at integer not null,
    last_error text,
    created_at integer not null,
    sent_at integer
);
create index notification_messages_due on notification_messages (next_attempt_at) where status = 'pending';
create index notification_messages_recipient on notification_messages (recipient);
