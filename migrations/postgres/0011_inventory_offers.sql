-- Holds created by the waitlist's hand-over (an offered seat) are marked, so that deactivating an
-- event is not blocked by them: deactivation withdraws offers instead.
alter table inventory.inventory_reservations add column is_offer boolean not null default false;
