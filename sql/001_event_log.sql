-- The event log: every accepted event, once, numbered in commit order.
--
-- seq is assigned by gongkai-intake, the log's only writer (it holds an
-- advisory lock while connected): head + 1, head + 2, ... inside the batch's
-- transaction, so the numbers are gap-free and in commit order, and a failed
-- transaction consumes none. A bigserial would be neither.
CREATE TABLE event_log (
    seq          bigint      PRIMARY KEY CHECK (seq > 0),
    event_id     text        NOT NULL UNIQUE,
    type         text        NOT NULL,
    agency       text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    digest       bigint      NOT NULL,  -- hash of body: same event_id + other digest = conflict
    body         bytea       NOT NULL,  -- canonical gongkai.v1.Event (proto/gongkai.proto)
    event        jsonb       NOT NULL,  -- the same event as JSON, for people and plain SQL
    peer         text        NOT NULL,  -- where it came from (address / routing id)
    identity     text,                  -- authenticated publisher key name, when CURVE is on
    committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_log_agency ON event_log (agency, seq);

-- Append-only: facts are corrected by newer events, never by UPDATE or DELETE.
CREATE FUNCTION event_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_append_only();

-- What intake refused, and why: listed by `gongkai rejects`.
CREATE TABLE rejection (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    peer      text        NOT NULL,
    identity  text,
    event_id  text,
    code      text        NOT NULL,
    message   text        NOT NULL,
    raw       bytea       NOT NULL     -- what was sent, first 4096 bytes
);
CREATE INDEX rejection_at ON rejection (at DESC, id DESC);
