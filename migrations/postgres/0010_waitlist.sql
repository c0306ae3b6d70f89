-- Waitlist: people waiting for a sold-out event, and the seats offered to them.
create schema if not exists waitlist;

-- The facts of an event the waitlist needs when it hands a seat over (inside inventory's
-- transaction, where asking the catalog is not possible), kept from the first join, and whether
-- hand-overs are paused (the event was deactivated).
create table waitlist.waitlist_events (
    event_id uuid primary key,
    event_name text not null,
    currency text not null,
    is_active boolean not null
);

create table waitlist.waitlist_entries (
    entry_id uuid primary key,
    seq bigint not null unique,           -- first come, first served (ties of registered_at)
    event_id uuid not null,
    email text not null,
    email_key text not null,              -- lower-case e-mail: one active entry per person
    status text not null check (status in ('pending', 'assigned', 'completed', 'expired', 'left', 'cancelled')),
    registered_at bigint not null,
    seat_id uuid,                         -- the offer, once assigned
    order_id uuid,
    reservation_id uuid,
    assigned_at bigint,
    expires_at bigint,
    ended_at bigint
);
-- RN-01: one waiting or offered entry per e-mail and event; finished entries may join again.
create unique index waitlist_entries_one_active
    on waitlist.waitlist_entries (event_id, email_key) where status in ('pending', 'assigned');
create index waitlist_entries_queue on waitlist.waitlist_entries (event_id, status, seq);
create index waitlist_entries_by_reservation on waitlist.waitlist_entries (reservation_id) where reservation_id is not null;
create index waitlist_entries_by_order on waitlist.waitlist_entries (order_id) where order_id is not null;
