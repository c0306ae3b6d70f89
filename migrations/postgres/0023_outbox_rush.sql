-- A split deployment's rush (crates/outbox/src/rush.rs): a process serving many buyers at once
-- writes the database's clock here a few times a second, and the process issuing tickets holds
-- them back while the mark is fresh, as one process holds its deferrable events back in a rush.
create table outbox.outbox_rush (
    id integer primary key check (id = 1),
    busy_at bigint not null            -- microseconds since the Unix epoch (the database's clock)
);
insert into outbox.outbox_rush (id, busy_at) values (1, 0);
