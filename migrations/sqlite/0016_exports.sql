-- Exports read an event's tickets (attendees.csv) and its orders' lines (orders.csv) page by
-- page in id order.
create index fulfillment_tickets_by_event on fulfillment_tickets (event_id, ticket_id);
create index ordering_order_items_by_event on ordering_order_items (event_id, order_id);
