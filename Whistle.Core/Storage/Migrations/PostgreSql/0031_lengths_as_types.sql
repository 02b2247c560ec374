-- Issue 15: a bounded text column's length is its type, varchar(n) — as the shared scripts already write it — and no
-- longer a CHECK (char_length(c) <= n). PostgreSQL keeps a CHECK as stored text: every INSERT and UPDATE of a table read
-- each of the table's CHECKs back into an expression tree and prepared it, every time (stringToNode under
-- ExecConstraints: 9% of the server's CPU at 150 whistles a second, docs/benchmarks/2026-12-02-commands.md), where a
-- varchar's length is checked in the statement's plan, cached with it. The same limits: varchar(n) counts characters as
-- char_length does, and refuses a longer value (SQLSTATE 22001) — except that PostgreSQL cuts trailing spaces beyond the
-- length instead (the code trims what it stores). Every table with such a CHECK is rewritten once, under its lock.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.conrelid::regclass::text AS tbl,
               string_agg(format('DROP CONSTRAINT %I', c.conname), ', ' ORDER BY c.conname) AS drops,
               string_agg(format('ALTER COLUMN %s TYPE varchar(%s)', m[1], m[2]), ', ' ORDER BY c.conname) AS alters
        FROM pg_constraint c
        CROSS JOIN LATERAL regexp_match(pg_get_constraintdef(c.oid), '^CHECK \(\(char_length\(("?\w+"?)\) <= (\d+)\)\)$') AS m
        WHERE c.contype = 'c' AND m[1] IS NOT NULL
          AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
        GROUP BY c.conrelid
        ORDER BY 1
    LOOP
        EXECUTE format('ALTER TABLE %s %s, %s', t.tbl, t.drops, t.alters);
    END LOOP;
END
$$;
