-- Catalog: events and their seat layout. Seat availability lives in inventory.
create schema if not exists catalog;

create table catalog.catalog_events (
    event_id uuid primary key,
    name text not null,
    description text not null,
    event_date bigint not null,               -- microseconds since the Unix epoch (UTC)
    venue text not null,
    max_capacity bigint not null check (max_capacity > 0),
    base_price_cents bigint not null check (base_price_cents > 0),
    currency text not null default 'USD',
    status text not null check (status in ('active', 'inactive')),
    created_at bigint not null,
    updated_at bigint
);
create index catalog_events_listing on catalog.catalog_events (status, event_date);

create table catalog.catalog_seats (
    seat_id uuid primary key,
    event_id uuid not null references catalog.catalog_events (event_id),
    section_code text not null,
    row_number bigint not null check (row_number > 0),
    seat_number bigint not null check (seat_number > 0),
    price_cents bigint not null check (price_cents > 0),
    -- One seat per place: regenerating a section is refused, never duplicated.
    unique (event_id, section_code, row_number, seat_number)
);
