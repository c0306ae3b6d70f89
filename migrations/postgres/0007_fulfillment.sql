-- Fulfillment: one ticket per seat of a completed order.
create schema if not exists fulfillment;

create table fulfillment.fulfillment_tickets (
    ticket_id uuid primary key,
    order_id uuid not null,
    event_id uuid not null,
    event_name text not null,
    venue text not null,
    event_date bigint not null,
    seat_id uuid not null,
    section_code text not null,
    row_number bigint not null,
    seat_number bigint not null,
    price_cents bigint not null,
    currency text not null,
    holder text not null,
    user_id text,
    guest_token text,
    customer_email text,
    status text not null check (status in ('issued', 'checked_in', 'void')),
    qr text not null,
    issued_at bigint not null,
    checked_in_at bigint,
    -- Exactly one ticket per seat of an order, however often order-completed is delivered.
    unique (order_id, seat_id)
);
-- Invariant 1, seen from the door: a seat has at most one valid ticket.
create unique index fulfillment_tickets_one_valid_per_seat
    on fulfillment.fulfillment_tickets (seat_id) where status in ('issued', 'checked_in');
