-- A country's registry (issue 24): the cycle check of 004 ran once per row,
-- and PL/pgSQL kept the plan it made while the table was small (sequential
-- scans), so loading 100,000 agencies in one statement took over five
-- minutes. The same check runs once per statement now, over the rows the
-- statement wrote (transition tables): from each, walk up the parents; a
-- walk that comes back to where it started is a cycle. UNION (not ALL) ends
-- every walk, a cycle's included, since (start, code) pairs repeat.
DROP TRIGGER agency_no_cycle ON agency;
DROP FUNCTION agency_no_cycle();

CREATE FUNCTION agency_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    WITH RECURSIVE up(start, code) AS (
        SELECT n.code, n.parent FROM written n WHERE n.parent IS NOT NULL
        UNION
        SELECT up.start, a.parent FROM up JOIN agency a ON a.code = up.code
         WHERE a.parent IS NOT NULL)
    SELECT start INTO bad FROM up WHERE code = start LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'agency %: its parent would make a cycle', bad;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER agency_no_cycle_insert AFTER INSERT ON agency
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION agency_no_cycle();
CREATE TRIGGER agency_no_cycle_update AFTER UPDATE ON agency
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION agency_no_cycle();
