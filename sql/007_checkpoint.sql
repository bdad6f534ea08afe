-- The aggregator's checkpoint: its whole memory (entity ledger, metrics and
-- the timeliness state of applications) at one applied seq, so that a
-- restart loads it and replays only the log after it instead of the whole
-- log. One row, replaced in place; written by
-- the aggregator in its own transaction, from a copy of committed state, so
-- seq ≤ agg_cursor.applied_seq always (a checkpoint past the cursor, or of
-- another format, is ignored and the log replayed from the start).
--
-- UNLOGGED: a checkpoint is a cache of what the log already says, so it
-- needs no WAL. Written with WAL, its tens of megabytes would sit in front of
-- intake's next COMMIT, which must flush the WAL up to its own record: every
-- checkpoint would stall acknowledgements by the time it takes to flush
-- them. PostgreSQL empties an unlogged table after a crash of its own; the
-- aggregator then simply replays the whole log once.
CREATE UNLOGGED TABLE agg_checkpoint (
    id         int         PRIMARY KEY CHECK (id = 1),
    seq        bigint      NOT NULL,
    format     int         NOT NULL,  -- layout of state (aggregator/follow.c CHECKPOINT_FORMAT)
    state      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Dense binary: compressing tens of megabytes would cost seconds and save little.
ALTER TABLE agg_checkpoint ALTER COLUMN state SET STORAGE EXTERNAL;

-- The aggregator's role (sql/005_roles.sql, on branches that have it) writes
-- its checkpoint like its other tables.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongkai_aggregator') THEN
        GRANT SELECT, INSERT, UPDATE ON agg_checkpoint TO gongkai_aggregator;
    END IF;
END $$;
