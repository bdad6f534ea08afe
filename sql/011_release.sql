-- Releases of the annual report (issue 14): `gongkai release` freezes an
-- agency's report for a year — its tables, the prose versions in force and the
-- rendered document — as release N, immutably. What was published stays
-- answerable byte for byte (?release=N); a correction dated in a released
-- year shows as changed_since_release until a new release supersedes (勘误).
CREATE TABLE report_release (
    id              bigserial   PRIMARY KEY,  -- order of releases, all agencies (the aggregator follows it)
    agency          text        NOT NULL CHECK (agency ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    year            int         NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    release         int         NOT NULL CHECK (release >= 1),
    draft           boolean     NOT NULL,     -- made before the year ended (--draft)
    case_rule       text        NOT NULL CHECK (case_rule IN ('filed', 'handled')),
    as_of_seq       bigint      NOT NULL,     -- agg_cursor.applied_seq of the tables
    tables          text        NOT NULL,     -- the report JSON as served then
    tables_sha256   text        NOT NULL,     -- of the tables' canonical form (render.h)
    prose_versions  int[]       NOT NULL,     -- versions of sections 1, 5, 6 (0: empty)
    document        bytea       NOT NULL,     -- the HTML document, byte for byte
    document_sha256 text        NOT NULL,
    released_by     text        NOT NULL,
    released_at     timestamptz NOT NULL DEFAULT now(),
    note            text        NOT NULL DEFAULT '',
    UNIQUE (agency, year, release)
);

CREATE FUNCTION report_release_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report_release is immutable: a release is corrected by a new one (% refused)', TG_OP;
END $$;
CREATE TRIGGER report_release_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON report_release
    FOR EACH STATEMENT EXECUTE FUNCTION report_release_immutable();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongkai_aggregator') THEN
        GRANT SELECT ON report_release TO gongkai_aggregator;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongkai_reader') THEN
        GRANT SELECT ON report_release TO gongkai_reader;
    END IF;
END $$;
