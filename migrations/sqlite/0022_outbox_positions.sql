-- Positions given at write (migrations/postgres/0022_outbox_positions.sql). A split deployment
-- runs on PostgreSQL only; the table exists here too so that both engines have one schema.
create table outbox_positions (
    id integer primary key check (id = 1),
    enabled integer not null,
    last integer not null
);
insert into outbox_positions (id, enabled, last)
    select 1, 0, coalesce(max(delivery_seq), 0) from outbox_messages;
