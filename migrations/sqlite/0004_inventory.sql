-- Inventory: what can be sold, and who holds what.
-- Seats that have been held or generated, with their price for revenue figures. Whether a seat
-- is on sale is the catalog's fact and is asked at every hold.
create table inventory_seats (
    seat_id blob primary key,
    event_id blob not null,
    section_code text not null,
    row_number integer not null,
    seat_number integer not null,
    price_cents integer not null
);

create table inventory_reservations (
    reservation_id blob primary key,
    seat_id blob not null,
    event_id blob not null,
    customer_id text not null,
    status text not null check (status in ('active', 'expired', 'released', 'confirmed')),
    created_at integer not null,
    expires_at integer not null,
    ended_at integer
);
-- Invariant 1: at most one active hold or sale per seat. Every hold is granted by an insert that
-- this index may refuse, so two buyers can never both win a seat, whatever the interleaving.
create unique index inventory_reservations_one_per_seat
    on inventory_reservations (seat_id) where status in ('active', 'confirmed');
create index inventory_reservations_expiry on inventory_reservations (expires_at) where status = 'active';
create index inventory_reservations_customer on inventory_reservations (customer_id, event_id) where status = 'active';
create index inventory_reservations_event on inventory_reservations (event_id, status);
