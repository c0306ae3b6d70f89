-- Exports read an event's tickets page by page in id order (attendees.csv).
create index fulfillment_tickets_by_event on fulfillment.fulfillment_tickets (event_id, ticket_id);
