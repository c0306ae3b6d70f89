-- Ordering: carts (draft orders) and orders.
create schema if not exists ordering;

create table ordering.ordering_orders (
    order_id uuid primary key,
    user_id text,
    guest_token text,
    state text not null check (state in ('draft', 'pending', 'completed', 'cancelled')),
    currency text not null,
    total_cents bigint not null,          -- kept equal to the sum of the items (invariant 2)
    created_at bigint not null,
    updated_at bigint not null,
    paid_at bigint,
    cancelled_at bigint,
    customer_email text,                  -- a signed-in buyer's e-mail, where the tickets go
    check (user_id is not null or guest_token is not null)
);
-- One cart per buyer: by user id when there is one, else by guest token.
create unique index ordering_orders_one_draft_per_user
    on ordering.ordering_orders (user_id) where state = 'draft' and user_id is not null;
create unique index ordering_orders_one_draft_per_guest
    on ordering.ordering_orders (guest_token) where state = 'draft' and user_id is null;
create index ordering_orders_by_user on ordering.ordering_orders (user_id, created_at);
create index ordering_orders_by_guest on ordering.ordering_orders (guest_token, created_at);

create table ordering.ordering_order_items (
    item_id uuid primary key,
    order_id uuid not null references ordering.ordering_orders (order_id),
    seat_id uuid not null,
    reservation_id uuid not null,
    price_cents bigint not null check (price_cents > 0),
    event_id uuid not null,
    event_name text not null,
    section_code text not null,
    row_number bigint not null,
    seat_number bigint not null,
    position bigint not null,
    unique (order_id, seat_id)            -- a seat at most once per order
);
create index ordering_order_items_reservation on ordering.ordering_order_items (reservation_id);
