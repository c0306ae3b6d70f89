-- A split deployment's rush (migrations/postgres/0023_outbox_rush.sql). A split deployment runs
-- on PostgreSQL only; the table exists here too so that both engines have one schema.
create table outbox_rush (
    id integer primary key check (id = 1),
    busy_at integer not null
);
insert into outbox_rush (id, busy_at) values (1, 0);
