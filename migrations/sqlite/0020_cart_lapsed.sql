-- Seats whose hold ran out in a cart (issue #28): the cart line goes (its hold no longer
-- reserves the seat), and this row remembers it so the cart can say what happened and offer
-- to hold the same seats again. Written by ordering's consumer of `reservation-expired`.
create table ordering_lapsed_lines (
    order_id blob not null,
    seat_id blob not null,
    event_id blob not null,
    section_code text not null,
    row_number integer not null,
    seat_number integer not null,
    lapsed_at integer not null,
    primary key (order_id, seat_id)
);

-- One extension of a hold by the hold time, where the event allows it (issue #28).
alter table catalog_events add column hold_extension integer not null default 0;
alter table inventory_reservations add column extended integer not null default 0;
