-- Catalog: events and their seat layout. Seat availability lives in inventory.
create table catalog_events (
    event_id blob primary key,
    name text not null,
    description text not null,
    event_date integer not null,              -- microseconds since the Unix epoch (UTC)
    venue text not null,
    max_capacity integer not null check (max_capacity > 0),
    base_price_cents integer not null check (base_price_cents > 0),
    currency text not null default 'USD',
    status text not null check (status in ('active', 'inactive')),
    created_at integer not null,
    updated_at integer
);
create index catalog_events_listing on catalog_events (status, event_date);

create table catalog_seats (
    seat_id blob primary key,
    event_id blob not null references catalog_events (event_id),
    section_code text not null,
    row_number integer not null check (row_number > 0),
    seat_number integer not null check (seat_number > 0),
    price_cents integer not null check (price_cents > 0),
    -- One seat per place: regenerating a section is refused, never duplicated.
    unique (event_id, section_code, row_number, seat_number)
);
