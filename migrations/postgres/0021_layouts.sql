-- Venue layouts beyond rectangles and price categories (issue #28).
-- A category is a price band of an event with its colour on the map; a seat belongs to at
-- most one (seats laid out before categories existed belong to none, as before).
create table catalog.catalog_categories (
    event_id uuid not null references catalog.catalog_events (event_id),
    name text not null,
    colour text not null,
    price_cents bigint not null check (price_cents > 0),
    position bigint not null,
    primary key (event_id, name)
);

-- Where a seat stands, in seat widths (neighbours in a row are 1 apart), when its section was
-- placed, curved or imported; absent for sections laid out as plain rectangles.
alter table catalog.catalog_seats add column category text;
alter table catalog.catalog_seats add column x double precision;
alter table catalog.catalog_seats add column y double precision;

-- Where the stage is in those units (absent: above the seats, in the middle).
alter table catalog.catalog_events add column stage_x double precision;
alter table catalog.catalog_events add column stage_y double precision;
