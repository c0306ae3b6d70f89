-- The back office (issue #27). Exports read an event's tickets (attendees.csv) and its orders'
-- lines (orders.csv) page by page in id order; looking orders up finds them by e-mail address
-- and by state, newest first.
create index fulfillment_tickets_by_event on fulfillment_tickets (event_id, ticket_id);
create index ordering_order_items_by_event on ordering_order_items (event_id, order_id);
create index ordering_orders_by_email on ordering_orders (customer_email);
create index ordering_orders_by_state on ordering_orders (state, order_id);
