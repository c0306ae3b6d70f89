-- The hold limit counts a buyer's live holds of one event at every hold. With only
-- (customer_id, event_id) in the index, SQLite's planner preferred the (event_id, status) index
-- and counted through every active hold of the event: a hold cost grew with the sale (755 µs mean
-- on the writer in a 8,000-seat bench). With expires_at as the third column the count is a range
-- search over the buyer's own holds.
drop index inventory_reservations_customer;
create index inventory_reservations_customer
    on inventory_reservations (customer_id, event_id, expires_at) where status = 'active';
