-- Seats whose hold ran out in a cart (issue #28): the cart line goes (its hold no longer
-- reserves the seat), and this row remembers it so the cart can say what happened and offer
-- to hold the same seats again. Written by ordering's consumer of `reservation-expired`.
create table ordering.ordering_lapsed_lines (
    order_id uuid not null,
    seat_id uuid not null,
    event_id uuid not null,
    section_code text not null,
    row_number bigint not null,
    seat_number bigint not null,
    lapsed_at bigint not null,
    primary key (order_id, seat_id)
);

-- One extension of a hold by the hold time, where the event allows it (issue #28).
alter table catalog.catalog_events add column hold_extension boolean not null default false;
alter table inventory.inventory_reservations add column extended boolean not null default false;
