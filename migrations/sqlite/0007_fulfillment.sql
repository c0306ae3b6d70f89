-- Fulfillment: one ticket per seat of a completed order.
create table fulfillment_tickets (
    ticket_id blob primary key,
    order_id blob not null,
    event_id blob not null,
    event_name text not null,
    venue text not null,
    event_date integer not null,
    seat_id blob not null,
    section_code text not null,
    row_number integer not null,
    seat_number integer not null,
    price_cents integer not null,
    currency text not null,
    holder text not null,
    user_id text,
    guest_token text,
    customer_email text,
    status text not null check (status in ('issued', 'checked_in', 'void')),
    qr text not null,
    issued_at integer not null,
    checked_in_at integer,
    -- Exactly one ticket per seat of an order, however often order-completed is delivered.
    unique (order_id, seat_id)
);
-- Invariant 1, seen from the door: a seat has at most one valid ticket.
create unique index fulfillment_tickets_one_valid_per_seat
    on fulfillment_tickets (seat_id) where status in ('issued', 'checked_in');
