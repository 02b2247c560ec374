-- Issue 15: an outbox body over about 2 KB (the dispatcher's WhistleEventsRecorded, ~3.1 KB: a whistle's duties and
-- their events) was compressed with pglz at its insert — pglz_compress 2.2% of PostgreSQL's CPU at 300 whistles a
-- second — and decompressed when the relay read it. LZ4 compresses such a body to the same size (~1.2 KB a row in a
-- table of them) at a fraction of the cost: 20–24 µs an insert with pglz, 5–12 with lz4, measured on the same server
-- (pgbench, 20 inserts a transaction); kept inline and uncompressed (toast_tuple_target 8160) it cost as much as
-- pglz, in heap pages and WAL. Only new values are written with lz4. A server built without lz4 (PostgreSQL 14 and
-- later know the method; `default_toast_compression` lists it when built in) keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE outbox ALTER COLUMN body SET COMPRESSION lz4;
    END IF;
END
$$;
