-- The aggregator's checkpoint in parts (issue 24): one bytea value holds at
-- most 1 GB, and a libpq parameter less than 2 GB, and a country's state
-- passed both (5,200 agencies with events 1991-2099 made 1 GB, and every
-- minute's attempt failed). The state is now written as parts of at most
-- 64 MiB, in the same transaction as the header row of agg_checkpoint,
-- which says how many; its own `state` column stays empty.
CREATE UNLOGGED TABLE agg_checkpoint_part (
    part int   PRIMARY KEY CHECK (part >= 1),
    data bytea NOT NULL
);
ALTER TABLE agg_checkpoint_part ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE agg_checkpoint ADD COLUMN parts int NOT NULL DEFAULT 0;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongkai_aggregator') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON agg_checkpoint_part TO gongkai_aggregator;
    END IF;
END $$;
