-- Seats held back (issue #27): an organiser keeps seats off sale with a reason (house seats,
-- production holds). A block is a row of its own; a hold refuses a blocked seat inside its
-- insert, and a block is only written by a transaction that runs alone (the writer lock on
-- PostgreSQL, the one writer on SQLite), so a seat is never both blocked and held.
create table inventory.inventory_blocks (
    seat_id uuid primary key,
    event_id uuid not null,
    reason text not null,
    blocked_by text not null,
    blocked_at bigint not null
);
create index inventory_blocks_event on inventory.inventory_blocks (event_id);

-- Wheelchair spaces and their companion seats, marked by the organiser on the layout.
alter table catalog.catalog_seats add column access text
    check (access is null or access in ('wheelchair', 'companion'));
