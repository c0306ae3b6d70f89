-- Payment: attempts to pay orders.
create schema if not exists payment;

create table payment.payment_payments (
    payment_id uuid primary key,
    order_id uuid not null,
    customer_id text not null,
    reservation_id uuid,
    amount_cents bigint not null,
    currency text not null,
    payment_method text not null,
    status text not null check (status in ('processing', 'succeeded', 'failed')),
    transaction_id text,
    error_code text,
    error_message text,
    failure_reason text,
    provider_response text,
    is_simulated boolean not null,
    created_at bigint not null,
    processed_at bigint
);
-- Invariant 2: an order has at most one payment in flight or succeeded, so it is charged once.
create unique index payment_payments_one_live_per_order
    on payment.payment_payments (order_id) where status in ('processing', 'succeeded');
create index payment_payments_by_order on payment.payment_payments (order_id, created_at);
