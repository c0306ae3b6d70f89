-- Refunds (issue #27): a paid order may be given back in whole or seat by seat. Payment records
-- each refund (one in flight per order); ordering marks the refunded lines and moves the order
-- to `partially_refunded` or `refunded`; fulfillment voids the refunded seats' tickets.
create table payment_refunds (
    refund_id blob primary key,           -- also the provider's idempotency reference
    payment_id blob not null,
    order_id blob not null,
    seats text not null,                  -- JSON: [{seatId, reservationId, price}]
    amount_cents integer not null check (amount_cents >= 0),  -- 0: a comp ticket cancelled
    currency text not null,
    reason text not null,
    requested_by text not null,
    status text not null check (status in ('processing', 'succeeded', 'failed')),
    provider_reference text,
    error_code text,
    error_message text,
    created_at integer not null,
    processed_at integer
);
-- One refund in flight per order: two at once could give the same seat back twice.
create unique index payment_refunds_one_processing_per_order
    on payment_refunds (order_id) where status = 'processing';
create index payment_refunds_by_order on payment_refunds (order_id, created_at);
create index payment_refunds_processing on payment_refunds (created_at) where status = 'processing';

-- The order's state gains `partially_refunded` and `refunded`, an order a buyer's name (box
-- office), and a line may cost nothing (a comp ticket). SQLite cannot change a CHECK in
-- place: both ordering tables are rebuilt, the lines first pointing at the new orders table, so
-- that no foreign key ever names a table that is gone (renaming a parent rewrites its children's
-- references to the new name).
create table ordering_orders_new (
    order_id blob primary key,
    user_id text,
    guest_token text,
    state text not null check (state in ('draft', 'pending', 'completed', 'cancelled',
                                         'partially_refunded', 'refunded')),
    currency text not null,
    total_cents integer not null,         -- kept equal to the sum of the items (invariant 2)
    created_at integer not null,
    updated_at integer not null,
    paid_at integer,
    cancelled_at integer,
    customer_email text,                  -- a signed-in buyer's e-mail, where the tickets go
    refunded_cents integer not null default 0,
    refunded_at integer,
    buyer_name text,                      -- a box-office buyer's name, as the organiser wrote it
    check (user_id is not null or guest_token is not null)
);
insert into ordering_orders_new (order_id, user_id, guest_token, state, currency, total_cents,
                                 created_at, updated_at, paid_at, cancelled_at, customer_email)
    select order_id, user_id, guest_token, state, currency, total_cents,
           created_at, updated_at, paid_at, cancelled_at, customer_email
    from ordering_orders;
create table ordering_order_items_new (
    item_id blob primary key,
    order_id blob not null references ordering_orders_new (order_id),
    seat_id blob not null,
    reservation_id blob not null,
    price_cents integer not null check (price_cents >= 0),  -- 0: a box office's comp ticket
    event_id blob not null,
    event_name text not null,
    section_code text not null,
    row_number integer not null,
    seat_number integer not null,
    position integer not null,
    refund_id blob,                       -- the refund that gave the seat back (payment's)
    refunded_at integer,
    unique (order_id, seat_id)            -- a seat at most once per order
);
insert into ordering_order_items_new (item_id, order_id, seat_id, reservation_id, price_cents,
                                      event_id, event_name, section_code, row_number, seat_number,
                                      position)
    select item_id, order_id, seat_id, reservation_id, price_cents, event_id, event_name,
           section_code, row_number, seat_number, position
    from ordering_order_items;
drop table ordering_order_items;
drop table ordering_orders;
alter table ordering_orders_new rename to ordering_orders;
alter table ordering_order_items_new rename to ordering_order_items;
create unique index ordering_orders_one_draft_per_user
    on ordering_orders (user_id) where state = 'draft' and user_id is not null;
create unique index ordering_orders_one_draft_per_guest
    on ordering_orders (guest_token) where state = 'draft' and user_id is null;
create index ordering_orders_by_user on ordering_orders (user_id, created_at);
create index ordering_orders_by_guest on ordering_orders (guest_token, created_at);
create index ordering_orders_by_email on ordering_orders (customer_email);
create index ordering_orders_by_state on ordering_orders (state, order_id);
create index ordering_orders_by_buyer_name on ordering_orders (lower(buyer_name));
create index ordering_order_items_reservation on ordering_order_items (reservation_id);
create index ordering_order_items_by_event on ordering_order_items (event_id, order_id);

-- A refunded seat's ticket is void, and stays void if it is issued after the refund.
alter table fulfillment_tickets add column void_reason text;
create table fulfillment_voided_seats (
    order_id blob not null,
    seat_id blob not null,
    reason text not null,
    voided_at integer not null,
    primary key (order_id, seat_id)
);
