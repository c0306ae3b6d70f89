-- The hold limit counts a buyer's live holds of one event at every hold; expires_at as the third
-- column makes it a range search over the buyer's own holds (the same index as on SQLite, where
-- the two-column one lost to the (event_id, status) index and counted every active hold).
drop index inventory.inventory_reservations_customer;
create index inventory_reservations_customer
    on inventory.inventory_reservations (customer_id, event_id, expires_at) where status = 'active';
