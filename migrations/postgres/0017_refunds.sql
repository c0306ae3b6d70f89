-- Refunds (issue #27): a paid order may be given back in whole or seat by seat. Payment records
-- each refund (one in flight per order); ordering marks the refunded lines and moves the order
-- to `partially_refunded` or `refunded`; fulfillment voids the refunded seats' tickets.
create table payment.payment_refunds (
    refund_id uuid primary key,           -- also the provider's idempotency reference
    payment_id uuid not null,
    order_id uuid not null,
    seats text not null,                  -- JSON: [{seatId, reservationId, price}]
    amount_cents bigint not null check (amount_cents >= 0),  -- 0: a comp ticket cancelled
    currency text not null,
    reason text not null,
    requested_by text not null,
    status text not null check (status in ('processing', 'succeeded', 'failed')),
    provider_reference text,
    error_code text,
    error_message text,
    created_at bigint not null,
    processed_at bigint
);
-- One refund in flight per order: two at once could give the same seat back twice.
create unique index payment_refunds_one_processing_per_order
    on payment.payment_refunds (order_id) where status = 'processing';
create index payment_refunds_by_order on payment.payment_refunds (order_id, created_at);
create index payment_refunds_processing on payment.payment_refunds (created_at) where status = 'processing';

-- The order's state gains `partially_refunded` and `refunded`.
alter table ordering.ordering_orders drop constraint ordering_orders_state_check;
alter table ordering.ordering_orders add constraint ordering_orders_state_check
    check (state in ('draft', 'pending', 'completed', 'cancelled', 'partially_refunded', 'refunded'));
alter table ordering.ordering_orders add column refunded_cents bigint not null default 0;
alter table ordering.ordering_orders add column refunded_at bigint;
-- A box-office buyer's name, as the organiser wrote it.
alter table ordering.ordering_orders add column buyer_name text;
create index ordering_orders_by_buyer_name on ordering.ordering_orders (lower(buyer_name));
-- A line may cost nothing: a box office's comp ticket.
alter table ordering.ordering_order_items drop constraint ordering_order_items_price_cents_check;
alter table ordering.ordering_order_items add constraint ordering_order_items_price_cents_check
    check (price_cents >= 0);

alter table ordering.ordering_order_items add column refund_id uuid;
alter table ordering.ordering_order_items add column refunded_at bigint;

-- A refunded seat's ticket is void, and stays void if it is issued after the refund.
alter table fulfillment.fulfillment_tickets add column void_reason text;
create table fulfillment.fulfillment_voided_seats (
    order_id uuid not null,
    seat_id uuid not null,
    reason text not null,
    voided_at bigint not null,
    primary key (order_id, seat_id)
);
