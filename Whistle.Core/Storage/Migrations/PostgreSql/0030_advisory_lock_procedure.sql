-- The transaction-scoped advisory lock the PostgreSQL dialect takes before an exclusive (or shared) section, under a
-- lock_timeout for the wait only (issue 15). It was an anonymous DO block in every command that took it: PostgreSQL
-- compiled the block's PL/pgSQL and planned its three statements anew each time (12–13% of the server's CPU at 150
-- whistles a second, four blocks a whistle). A procedure is compiled once per connection and its plans cached; CALL
-- returns no result set, so the statements after it keep their results first, as with the block.
CREATE OR REPLACE PROCEDURE whistle_advisory_lock(lock_key bigint, wait_ms integer, shared boolean)
LANGUAGE plpgsql AS $$
DECLARE
    previous text := current_setting('lock_timeout');
BEGIN
    PERFORM set_config('lock_timeout', wait_ms::text || 'ms', true);
    IF shared THEN
        PERFORM pg_advisory_xact_lock_shared(lock_key);
    ELSE
        PERFORM pg_advisory_xact_lock(lock_key);
    END IF;
    PERFORM set_config('lock_timeout', previous, true);
END
$$;
