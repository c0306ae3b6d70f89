-- Seats held back, access marks, time zones and sales windows (issue #27).
-- Seats held back: an organiser keeps seats off sale with a reason (house seats,
-- production holds). A block is a row of its own; a hold refuses a blocked seat inside its
-- insert, and a block is only written by a transaction that runs alone (the writer lock on
-- PostgreSQL, the one writer on SQLite), so a seat is never both blocked and held.
create table inventory_blocks (
    seat_id blob primary key,
    event_id blob not null,
    reason text not null,
    blocked_by text not null,
    blocked_at integer not null
);
create index inventory_blocks_event on inventory_blocks (event_id);

-- Wheelchair spaces and their companion seats, marked by the organiser on the layout.
alter table catalog_seats add column access text
    check (access is null or access in ('wheelchair', 'companion'));

-- An event's IANA time zone (its dates are entered and shown in it; stored in UTC), and the
-- window in which its seats are on sale (either end open).
alter table catalog_events add column time_zone text not null default 'UTC';
alter table catalog_events add column sales_start integer;
alter table catalog_events add column sales_end integer;
