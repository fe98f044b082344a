-- A group of appends whose batches all name their expected version is
-- written in one round trip, without reading the streams first
-- (shared/eventstore/pgstore/optimistic.go): it assumes each stream is at
-- the version its writer expected and inserts from there. A stream that has
-- moved on refuses the insert through events_stream; this check, run under
-- the counters lock, catches the other way to be wrong, a stream that is
-- not yet at the expected version, which the unique index cannot see.
-- SQLSTATE CF001 tells the store to plan the group again under the lock.
CREATE FUNCTION events_expect_versions(streams TEXT[], versions BIGINT[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(streams, versions) AS x(stream_id, version)
        WHERE NOT EXISTS (SELECT 1 FROM events e
            WHERE e.stream_id = x.stream_id AND e.stream_version = x.version)) THEN
        RAISE EXCEPTION 'a stream is not at the version its writer expected'
            USING ERRCODE = 'CF001';
    END IF;
END
$$;
