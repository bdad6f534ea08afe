-- Least privilege: one group role per service, and one for readers.
--
--   gongkai_intake      appends to event_log and rejection; reads them back
--                       at start. No UPDATE, DELETE or TRUNCATE: the log is
--                       append-only for the one program that writes it (and
--                       the trigger of 001 refuses those for everyone else).
--   gongkai_aggregator  reads event_log and the agency registry (004); reads
--                       and writes only its own tables (agg_metric, agg_cursor).
--   gongkai_reader      reads the report views, the counters behind them and
--                       the agency registry; writes nothing. For dashboards
--                       and BI tools.
--
-- The registry (agency) is written by `gongkai agency`, run as the owner.
--
-- They are NOLOGIN group roles: a deployment creates its own login users,
-- with whatever authentication it uses (scram password, certificate, peer),
-- and grants one of these to each, e.g.
--     CREATE ROLE intake_svc LOGIN PASSWORD '...' IN ROLE gongkai_intake;
-- so no password lives in a migration. Roles belong to the cluster, not the
-- database: a second database in the same cluster reuses them, hence the
-- guarded CREATE. Running this needs CREATEROLE (the migrating owner).
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['gongkai_intake', 'gongkai_aggregator', 'gongkai_reader'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- made by an earlier database of this cluster (or concurrently)
        END;
    END LOOP;
END $$;

-- Tables grant nothing to PUBLIC by default; these are the only grants.
GRANT SELECT, INSERT ON event_log, rejection TO gongkai_intake;
GRANT USAGE ON SEQUENCE rejection_id_seq TO gongkai_intake;

GRANT SELECT ON event_log, agency, agency_version TO gongkai_aggregator;
GRANT SELECT, INSERT, UPDATE, DELETE ON agg_metric, agg_cursor TO gongkai_aggregator;

GRANT SELECT ON agg_metric, agg_cursor, agency, agency_version TO gongkai_reader;
GRANT SELECT ON report_years, report_application_rows, report_applications,
                report_active_disclosure_rows, report_active_disclosure,
                report_reviews_litigation TO gongkai_reader;
