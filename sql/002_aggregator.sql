-- The aggregator's state in PostgreSQL: how far it has applied the log, and
-- the counters the report tables derive from (written in the same
-- transaction, so they always match agg_cursor.applied_seq).
CREATE TABLE agg_cursor (
    id          int         PRIMARY KEY CHECK (id = 1),
    applied_seq bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agg_cursor (id, applied_seq) VALUES (1, 0);

-- One counter per agency, year and metric (see lib/tables.h for the metric
-- names and how the report rows derive from them).
CREATE TABLE agg_metric (
    agency text   NOT NULL,
    year   int    NOT NULL,
    metric text   NOT NULL,
    value  bigint NOT NULL,
    PRIMARY KEY (agency, year, metric)
);
