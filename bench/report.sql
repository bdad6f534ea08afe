-- One agency's report for one year, computed in SQL from event_log alone
-- (event_log.event is jsonb): what a dashboard would otherwise run on every
-- poll. The rules are those of lib/rules/tables.c: the latest event (highest seq)
-- of each kind wins for each entity, and every count is by the Beijing date.
-- pgbench variables: :agencies (-D); an agency and a year are drawn per run.
\set a random(0, :agencies - 1)
\set y random(2019, 2023)
WITH ev AS (
    SELECT seq, type, event,
           extract(year FROM occurred_at AT TIME ZONE 'Asia/Shanghai')::int AS yr
      FROM event_log
     WHERE agency = 'b' || lpad(:a::text, 4, '0')
),
latest AS (  -- the latest event of each type for each entity
    SELECT DISTINCT ON (type, coalesce(event->>'application_id', event->>'document_id',
                        event->>'item_id', event->>'case_id', event->>'procurement_id'))
           type, event, yr,
           coalesce(event->>'application_id', event->>'document_id', event->>'item_id',
                    event->>'case_id', event->>'procurement_id') AS id
      FROM ev
     WHERE type NOT IN ('decision_made', 'fee_collected')
     ORDER BY type, id, seq DESC
),
app AS (     -- section 三: applications by applicant; answers by outcome
    SELECT r.event->>'applicant' AS applicant, r.yr AS ry, s.event->>'outcome' AS outcome, s.yr AS sy
      FROM latest r LEFT JOIN latest s ON s.type = 'application_resolved' AND s.id = r.id
     WHERE r.type = 'application_received'
),
app_cols AS (
    SELECT applicant,
           count(*) FILTER (WHERE ry = :y) AS received,
           count(*) FILTER (WHERE ry < :y) - count(*) FILTER (WHERE sy < :y) AS carried_over,
           count(*) FILTER (WHERE sy = :y) AS total_processed,
           count(*) FILTER (WHERE ry <= :y) - count(*) FILTER (WHERE sy <= :y) AS carried_forward
      FROM app GROUP BY applicant
),
app_outcomes AS (
    SELECT outcome, jsonb_object_agg(applicant, n) AS cols
      FROM (SELECT outcome, applicant, count(*) AS n FROM app WHERE sy = :y GROUP BY 1, 2) x
     GROUP BY outcome
),
doc AS (     -- section 二: documents (kind of the latest event; out of force at repeal or lapse)
    SELECT id, (array_agg(event->>'document_kind' ORDER BY yr DESC))[1] AS kind,
           max(yr) FILTER (WHERE type = 'document_issued') AS issued,
           max(yr) FILTER (WHERE type = 'document_published') AS published,
           max(yr) FILTER (WHERE type = 'document_repealed') AS repealed,
           min(yr) FILTER (WHERE type IN ('document_repealed', 'document_lapsed')) AS out_yr
      FROM latest WHERE type LIKE 'document_%' GROUP BY id
),
item AS (
    SELECT id, (array_agg(event->>'item_kind') FILTER (WHERE type = 'catalog_item_added'))[1] AS kind,
           max(yr) FILTER (WHERE type = 'catalog_item_added') AS added,
           max(yr) FILTER (WHERE type = 'catalog_item_removed') AS removed
      FROM latest WHERE type LIKE 'catalog_item_%' GROUP BY id
),
cases AS (   -- section 四 (filed rule): by the year filed, decided that year or pending
    SELECT CASE WHEN f.type = 'review_filed' THEN 'review'
                WHEN f.event->>'route' = 'direct' THEN 'litigation_direct'
                ELSE 'litigation_after_review' END AS row_key,
           CASE WHEN d.yr = f.yr THEN d.event->>'result' ELSE 'pending' END AS col
      FROM latest f
      LEFT JOIN latest d ON d.id = f.id AND d.type IN ('review_decided', 'lawsuit_decided')
     WHERE f.type IN ('review_filed', 'lawsuit_filed') AND f.yr = :y
       AND coalesce((f.event->>'as_review_body')::boolean, false) = false
)
SELECT jsonb_build_object(
    'applications', (SELECT jsonb_object_agg(applicant, to_jsonb(c) - 'applicant') FROM app_cols c),
    'outcomes', (SELECT jsonb_object_agg(outcome, cols) FROM app_outcomes),
    'documents', (SELECT jsonb_object_agg(kind, j) FROM (
                      SELECT kind, jsonb_build_object(
                          'issued', count(*) FILTER (WHERE issued = :y),
                          'published', count(*) FILTER (WHERE published = :y),
                          'repealed', count(*) FILTER (WHERE repealed = :y),
                          'in_force', count(*) FILTER (WHERE issued <= :y AND (out_yr IS NULL OR out_yr > :y))) AS j
                        FROM doc GROUP BY kind) d),
    'items', (SELECT jsonb_object_agg(kind, jsonb_build_array(prev, chg)) FROM (
                  SELECT kind, count(*) FILTER (WHERE added < :y AND (removed IS NULL OR removed >= :y)) AS prev,
                         count(*) FILTER (WHERE added = :y) - count(*) FILTER (WHERE removed = :y AND added < :y) AS chg
                    FROM item GROUP BY kind) i),
    'decisions', (SELECT jsonb_object_agg(k, n) FROM (
                      SELECT event->>'decision_kind' AS k, sum(coalesce((event->>'count')::bigint, 1)) AS n
                        FROM ev WHERE type = 'decision_made' AND yr = :y GROUP BY 1) d),
    'fee_fen', (SELECT coalesce(sum((event->>'amount_fen')::bigint), 0) FROM ev
                 WHERE type = 'fee_collected' AND yr = :y),
    'procurement', (SELECT jsonb_build_array(count(*), coalesce(sum((event->>'amount_fen')::bigint), 0))
                      FROM latest WHERE type = 'procurement_awarded' AND yr = :y),
    'cases', (SELECT jsonb_object_agg(row_key || '.' || col, n) FROM (
                  SELECT row_key, col, count(*) AS n FROM cases GROUP BY 1, 2) c));
