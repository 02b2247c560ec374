-- Issue 15: the advisory lock procedure of migration 0030, its three calls evaluated as PL/pgSQL expressions instead of
-- PERFORM statements. A PERFORM runs its SELECT through SPI — an executor started and ended for every call, three a
-- lock, two to three locks a whistle (the procedure was 5.5% of PostgreSQL's CPU at 300 whistles a second) — where an
-- assignment of a single function call is PL/pgSQL's simple-expression path: the call alone. Measured on the same
-- server (pgbench -M prepared, pipelined): a transaction of one CALL, as the code sends it, 8.5–16 µs above one of a
-- SELECT 1 before and 6–11 after (what is left is the call's set-up in each transaction); within one transaction,
-- 6.7 µs a further CALL before, about 2 after. The lock, its wait and the lock_timeout put back are as before; the
-- void lock functions are cast to text to be assigned.
CREATE OR REPLACE PROCEDURE whistle_advisory_lock(lock_key bigint, wait_ms integer, shared boolean)
LANGUAGE plpgsql AS $$
DECLARE
    previous text := current_setting('lock_timeout');
    done text;
BEGIN
    done := set_config('lock_timeout', wait_ms::text || 'ms', true);
    IF shared THEN
        done := pg_advisory_xact_lock_shared(lock_key)::text;
    ELSE
        done := pg_advisory_xact_lock(lock_key)::text;
    END IF;
    done := set_config('lock_timeout', previous, true);
END
$$;
