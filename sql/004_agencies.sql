-- The agency registry: display names and the hierarchy that roll-ups follow
-- (本级政府 and its departments). Events may name agencies that are not
-- registered; they report under their code and roll up nowhere.
CREATE TABLE agency (
    code       text        PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name       text        NOT NULL CHECK (name <> ''),
    parent     text        REFERENCES agency (code) DEFERRABLE INITIALLY DEFERRED,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (parent IS NULL OR parent <> code)
);

-- A hierarchy, not a graph: refuse a parent that is the agency's own descendant.
CREATE FUNCTION agency_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent IS NOT NULL AND EXISTS (
        WITH RECURSIVE up(code) AS (
            SELECT NEW.parent
            UNION
            SELECT a.parent FROM agency a JOIN up ON a.code = up.code WHERE a.parent IS NOT NULL)
        SELECT 1 FROM up WHERE code = NEW.code) THEN
        RAISE EXCEPTION 'agency %: parent % would make a cycle', NEW.code, NEW.parent;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER agency_no_cycle BEFORE INSERT OR UPDATE ON agency
    FOR EACH ROW EXECUTE FUNCTION agency_no_cycle();

-- The aggregator reloads the registry when this number moves (every change).
CREATE TABLE agency_version (id int PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
INSERT INTO agency_version VALUES (1, 0);
CREATE FUNCTION agency_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE agency_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER agency_bump AFTER INSERT OR UPDATE OR DELETE ON agency
    FOR EACH STATEMENT EXECUTE FUNCTION agency_bump();
