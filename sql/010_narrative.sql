-- The annual report's prose (issue 14): sections 一 (总体情况), 五 (存在的
-- 主要问题及改进情况) and 六 (其他需要报告的事项), per agency and year, in
-- Markdown, written by the agency (`gongkai narrative set`, or PUT
-- /v1/reports/{agency}/{year}/narrative/{section}).
--
-- Versioned: each write is a new row with the next version; the newest is the
-- section's text, the older ones stay as its history (a release, 011, names
-- the versions it froze). Rows are never changed or removed.
CREATE TABLE report_narrative (
    agency     text        NOT NULL CHECK (agency ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    year       int         NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    section    smallint    NOT NULL CHECK (section IN (1, 5, 6)),
    version    int         NOT NULL CHECK (version >= 1),
    body       text        NOT NULL CHECK (octet_length(body) <= 65536),
    written_by text        NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency, year, section, version)
);

CREATE FUNCTION report_narrative_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report_narrative keeps every version (% refused)', TG_OP;
END $$;
CREATE TRIGGER report_narrative_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON report_narrative
    FOR EACH STATEMENT EXECUTE FUNCTION report_narrative_append_only();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongkai_aggregator') THEN
        -- The aggregator serves and takes the prose over HTTP (behind its tokens).
        GRANT SELECT, INSERT ON report_narrative TO gongkai_aggregator;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gongkai_reader') THEN
        GRANT SELECT ON report_narrative TO gongkai_reader;
    END IF;
END $$;
