-- In a split deployment a message gets its delivery position in the transaction that writes it
-- (crates/storage/src/outbox.rs), not afterwards from the relaying process: no second write of
-- every message, no relay round trip, no wake-up through that process (docs/performance.md,
-- "Positions given at write"). The one row holds the last position given; a writer updates it,
-- and the row lock it then holds until its commit makes positions become visible in order: the
-- next one is given only once the previous one's transaction is visible. `enabled` is set by the
-- processes of a split deployment when they start and cleared by a single process: one process
-- has no consumer reading positions and pays nothing for them.
create table outbox.outbox_positions (
    id integer primary key check (id = 1),
    enabled boolean not null,
    last bigint not null
);
insert into outbox.outbox_positions (id, enabled, last)
    select 1, false, coalesce(max(delivery_seq), 0) from outbox.outbox_messages;
