-- Waitlist: people waiting for a sold-out event, and the seats offered to them.
-- The facts of an event the waitlist needs when it hands a seat over (inside inventory's
-- transaction, where asking the catalog is not possible), kept from the first join, and whether
-- hand-overs are paused (the event was deactivated).
create table waitlist_events (
    event_id blob primary key,
    event_name text not null,
    currency text not null,
    is_active integer not null check (is_active in (0, 1))
);

create table waitlist_entries (
    entry_id blob primary key,
    seq integer not null unique,          -- first come, first served (ties of registered_at)
    event_id blob not null,
    email text not null,
    email_key text not null,              -- lower-case e-mail: one active entry per person
    status text not null check (status in ('pending', 'assigned', 'completed', 'expired', 'left', 'cancelled')),
    registered_at integer not null,
    seat_id blob,                         -- the offer, once assigned
    order_id blob,
    reservation_id blob,
    assigned_at integer,
    expires_at integer,
    ended_at integer
);
-- RN-01: one waiting or offered entry per e-mail and event; finished entries may join again.
create unique index waitlist_entries_one_active
    on waitlist_entries (event_id, email_key) where status in ('pending', 'assigned');
create index waitlist_entries_queue on waitlist_entries (event_id, status, seq);
create index waitlist_entries_by_reservation on waitlist_entries (reservation_id) where reservation_id is not null;
create index waitlist_entries_by_order on waitlist_entries (order_id) where order_id is not null;
