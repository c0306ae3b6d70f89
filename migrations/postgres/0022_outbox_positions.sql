-- In a split deployment a message gets its delivery position in the transaction that writes it,
-- not afterwards from the relaying process: no relay round trip, no wake-up through that process
-- (docs/performance.md, "Positions given at commit"). The one row holds the last position given.
-- A deferred trigger gives the transaction's messages theirs when it commits, in the order they
-- were written; the row lock it takes is released only after the commit is visible, so the next
-- transaction's positions follow only once these can be read: a consumer reading up to the
-- highest position it sees finds no gap that fills later, and messages of one key (written by
-- transactions that exclude each other) keep their order. The lock is held inside `COMMIT` only,
-- never across a round trip to the application. `enabled` is set by the processes of a split
-- deployment when they start and cleared by a single process, which has no consumer reading
-- positions (its relay hands messages over and marks them itself).
create table outbox.outbox_positions (
    id integer primary key check (id = 1),
    enabled boolean not null,
    last bigint not null
);
insert into outbox.outbox_positions (id, enabled, last)
    select 1, false, coalesce(max(delivery_seq), 0) from outbox.outbox_messages;

create function outbox.position_message() returns trigger language plpgsql as $$
declare
    given bigint;
begin
    update outbox.outbox_positions set last = last + 1 where enabled returning last into given;
    if found then
        -- Positioned counts as relayed: the consumers read it by its position.
        update outbox.outbox_messages set delivery_seq = given, published_at = new.occurred_at
            where seq = new.seq;
    end if;
    return null;
end
$$;

-- The trigger itself (`outbox_messages_position`, a deferred constraint trigger running the
-- function above) exists only while positions are on: `storage::position_at_commit` creates it
-- and drops it, so that a single process pays nothing for positions it never reads.
