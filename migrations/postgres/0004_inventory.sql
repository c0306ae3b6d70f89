-- Inventory: what can be sold, and who holds what.
create schema if not exists inventory;

-- Seats that have been held or generated, with their price for revenue figures. Whether a seat
-- is on sale is the catalog's fact and is asked at every hold.
create table inventory.inventory_seats (
    seat_id uuid primary key,
    event_id uuid not null,
    section_code text not null,
    row_number bigint not null,
    seat_number bigint not null,
    price_cents bigint not null
);

create table inventory.inventory_reservations (
    reservation_id uuid primary key,
    seat_id uuid not null,
    event_id uuid not null,
    customer_id text not null,
    status text not null check (status in ('active', 'expired', 'released', 'confirmed')),
    created_at bigint not null,
    expires_at bigint not null,
    ended_at bigint
);
-- Invariant 1: at most one active hold or sale per seat. Every hold is granted by an insert that
-- this index may refuse, so two buyers can never both win a seat, whatever the interleaving.
create unique index inventory_reservations_one_per_seat
    on inventory.inventory_reservations (seat_id) where status in ('active', 'confirmed');
create index inventory_reservations_expiry on inventory.inventory_reservations (expires_at) where status = 'active';
create index inventory_reservations_customer on inventory.inventory_reservations (customer_id, event_id) where status = 'active';
create index inventory_reservations_event on inventory.inventory_reservations (event_id, status);
