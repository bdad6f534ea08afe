-- Views that mirror the three tables of the annual report, one row per
-- agency, year and row key, computed in SQL from agg_metric (the counters the
-- aggregator commits with its cursor). They are what a BI tool reads; the
-- derivation is the same as lib/tables.c tables_report(), and a system test
-- checks that both agree cell by cell.
--
--   report_applications        section 三 (columns: the six applicant kinds, total)
--   report_active_disclosure   section 二 (columns that do not apply are NULL)
--   report_reviews_litigation  section 四, both case rules
--
-- Years: from an agency's first year with a counter to the later of its last
-- one and the current year (Beijing time).

-- Sum of the counters of an agency matching a LIKE pattern over years y1..y2.
CREATE FUNCTION gk_sum(a text, y1 int, y2 int, pattern text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(value), 0)::bigint FROM agg_metric
     WHERE agency = a AND year BETWEEN y1 AND y2 AND metric LIKE pattern
$$;

-- Integer fen as 万元 with two decimals, rounded half up: 6021700000 → 6021.70.
CREATE FUNCTION gk_wan_yuan(fen bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT ((fen + 5000) / 1000000)::text || '.' || lpad((((fen + 5000) / 10000) % 100)::text, 2, '0')
$$;

CREATE FUNCTION gk_template(y int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN y <= 2020 THEN '2019' ELSE '2021' END
$$;

-- One cell of section 三; col is an applicant kind, or '%' for the total.
CREATE FUNCTION gk_app(a text, y int, row_key text, col text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE row_key
        WHEN 'received' THEN gk_sum(a, y, y, 'app.received.' || col)
        WHEN 'carried_over' THEN gk_sum(a, 1990, y - 1, 'app.received.' || col)
                               - gk_sum(a, 1990, y - 1, 'app.resolved.%.' || col)
        WHEN 'carried_forward' THEN gk_sum(a, 1990, y, 'app.received.' || col)
                                  - gk_sum(a, 1990, y, 'app.resolved.%.' || col)
        WHEN 'total_processed' THEN gk_sum(a, y, y, 'app.resolved.%.' || col)
        WHEN 'other' THEN gk_sum(a, y, y, 'app.resolved.other.%.' || col)
        ELSE gk_sum(a, y, y, 'app.resolved.' || row_key || '.' || col)
    END
$$;

CREATE VIEW report_years AS
SELECT s.agency, y.year
  FROM (SELECT agency, min(year) AS lo,
               greatest(max(year), extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int) AS hi
          FROM agg_metric GROUP BY agency) s,
       generate_series(s.lo, s.hi) AS y(year);

CREATE VIEW report_application_rows (template, ord, row_key) AS VALUES
    ('2019', 1, 'received'),
    ('2019', 2, 'carried_over'),
    ('2019', 3, 'disclosed'),
    ('2019', 4, 'partially_disclosed'),
    ('2019', 5, 'withheld.state_secret'),
    ('2019', 6, 'withheld.prohibited_by_law'),
    ('2019', 7, 'withheld.security_stability'),
    ('2019', 8, 'withheld.third_party_rights'),
    ('2019', 9, 'withheld.internal_affairs'),
    ('2019', 10, 'withheld.process_information'),
    ('2019', 11, 'withheld.enforcement_case_file'),
    ('2019', 12, 'withheld.administrative_query'),
    ('2019', 13, 'unavailable.not_held'),
    ('2019', 14, 'unavailable.needs_creation'),
    ('2019', 15, 'unavailable.still_unclear'),
    ('2019', 16, 'not_processed.petition_complaint'),
    ('2019', 17, 'not_processed.duplicate'),
    ('2019', 18, 'not_processed.publication'),
    ('2019', 19, 'not_processed.excessive'),
    ('2019', 20, 'not_processed.confirmation'),
    ('2019', 21, 'other'),
    ('2019', 22, 'total_processed'),
    ('2019', 23, 'carried_forward'),
    ('2021', 1, 'received'),
    ('2021', 2, 'carried_over'),
    ('2021', 3, 'disclosed'),
    ('2021', 4, 'partially_disclosed'),
    ('2021', 5, 'withheld.state_secret'),
    ('2021', 6, 'withheld.prohibited_by_law'),
    ('2021', 7, 'withheld.security_stability'),
    ('2021', 8, 'withheld.third_party_rights'),
    ('2021', 9, 'withheld.internal_affairs'),
    ('2021', 10, 'withheld.process_information'),
    ('2021', 11, 'withheld.enforcement_case_file'),
    ('2021', 12, 'withheld.administrative_query'),
    ('2021', 13, 'unavailable.not_held'),
    ('2021', 14, 'unavailable.needs_creation'),
    ('2021', 15, 'unavailable.still_unclear'),
    ('2021', 16, 'not_processed.petition_complaint'),
    ('2021', 17, 'not_processed.duplicate'),
    ('2021', 18, 'not_processed.publication'),
    ('2021', 19, 'not_processed.excessive'),
    ('2021', 20, 'not_processed.confirmation'),
    ('2021', 21, 'other.no_correction'),
    ('2021', 22, 'other.fee_unpaid'),
    ('2021', 23, 'other.other'),
    ('2021', 24, 'total_processed'),
    ('2021', 25, 'carried_forward');

CREATE VIEW report_applications AS
SELECT ry.agency, ry.year, k.template, k.ord, k.row_key,
       gk_app(ry.agency, ry.year, k.row_key, 'natural_person') AS natural_person,
       gk_app(ry.agency, ry.year, k.row_key, 'commercial_enterprise') AS commercial_enterprise,
       gk_app(ry.agency, ry.year, k.row_key, 'research_institution') AS research_institution,
       gk_app(ry.agency, ry.year, k.row_key, 'social_welfare_org') AS social_welfare_org,
       gk_app(ry.agency, ry.year, k.row_key, 'legal_service_org') AS legal_service_org,
       gk_app(ry.agency, ry.year, k.row_key, 'other_org') AS other_org,
       gk_app(ry.agency, ry.year, k.row_key, '%') AS total
  FROM report_years ry
  JOIN report_application_rows k ON k.template = gk_template(ry.year);

CREATE VIEW report_active_disclosure_rows (template, ord, row_key) AS VALUES
    ('2019', 1, 'rule'),
    ('2019', 2, 'normative'),
    ('2019', 3, 'licensing'),
    ('2019', 4, 'other_service'),
    ('2019', 5, 'penalty'),
    ('2019', 6, 'enforcement'),
    ('2019', 7, 'fee'),
    ('2019', 8, 'procurement'),
    ('2021', 1, 'rule'),
    ('2021', 2, 'normative'),
    ('2021', 3, 'licensing'),
    ('2021', 4, 'penalty'),
    ('2021', 5, 'enforcement'),
    ('2021', 6, 'fee');

CREATE VIEW report_active_disclosure AS
SELECT ry.agency, ry.year, k.template, k.ord, k.row_key,
       CASE WHEN k.row_key IN ('rule', 'normative')
            THEN gk_sum(ry.agency, ry.year, ry.year, 'doc.' || k.row_key || '.issued') END AS issued,
       CASE WHEN k.template = '2019' AND k.row_key IN ('rule', 'normative')
            THEN gk_sum(ry.agency, ry.year, ry.year, 'doc.' || k.row_key || '.published') END AS published,
       CASE WHEN k.template = '2019' AND k.row_key IN ('rule', 'normative')
            THEN gk_sum(ry.agency, 1990, ry.year, 'doc.' || k.row_key || '.published_delta') END AS total_published,
       CASE WHEN k.template = '2021' AND k.row_key IN ('rule', 'normative')
            THEN gk_sum(ry.agency, ry.year, ry.year, 'doc.' || k.row_key || '.repealed') END AS repealed,
       CASE WHEN k.template = '2021' AND k.row_key IN ('rule', 'normative')
            THEN gk_sum(ry.agency, 1990, ry.year, 'doc.' || k.row_key || '.in_force_delta') END AS in_force,
       CASE WHEN k.template = '2019' AND k.row_key IN ('licensing', 'other_service', 'penalty', 'enforcement', 'fee')
            THEN gk_sum(ry.agency, 1990, ry.year - 1, 'item.' || k.row_key || '.in_force_delta') END AS items_prev_year,
       CASE WHEN k.template = '2019' AND k.row_key IN ('licensing', 'other_service', 'penalty', 'enforcement', 'fee')
            THEN gk_sum(ry.agency, ry.year, ry.year, 'item.' || k.row_key || '.in_force_delta') END AS items_change,
       CASE WHEN k.row_key IN ('licensing', 'other_service', 'penalty', 'enforcement')
            THEN gk_sum(ry.agency, ry.year, ry.year, 'decision.' || k.row_key) END AS decisions,
       CASE WHEN k.row_key = 'procurement'
            THEN gk_sum(ry.agency, ry.year, ry.year, 'procurement.projects') END AS projects,
       CASE WHEN k.row_key = 'procurement'
            THEN gk_wan_yuan(gk_sum(ry.agency, ry.year, ry.year, 'procurement.amount_fen'))
            WHEN k.template = '2021' AND k.row_key = 'fee'
            THEN gk_wan_yuan(gk_sum(ry.agency, ry.year, ry.year, 'fee.amount_fen')) END AS amount_wan_yuan
  FROM report_years ry
  JOIN report_active_disclosure_rows k ON k.template = gk_template(ry.year);

CREATE VIEW report_reviews_litigation AS
SELECT ry.agency, ry.year, r.ord, r.row_key, cr.case_rule,
       v.upheld, v.corrected, v.other, v.pending, v.upheld + v.corrected + v.other + v.pending AS total
  FROM report_years ry
 CROSS JOIN (VALUES (1, 'review'), (2, 'litigation_direct'), (3, 'litigation_after_review')) r(ord, row_key)
 CROSS JOIN (VALUES ('filed'), ('handled')) cr(case_rule)
 CROSS JOIN LATERAL (
    SELECT gk_sum(ry.agency, ry.year, ry.year, 'case.' || r.row_key || CASE cr.case_rule WHEN 'filed' THEN '.filed.upheld' ELSE '.decided.upheld' END) AS upheld,
           gk_sum(ry.agency, ry.year, ry.year, 'case.' || r.row_key || CASE cr.case_rule WHEN 'filed' THEN '.filed.corrected' ELSE '.decided.corrected' END) AS corrected,
           gk_sum(ry.agency, ry.year, ry.year, 'case.' || r.row_key || CASE cr.case_rule WHEN 'filed' THEN '.filed.other' ELSE '.decided.other' END) AS other,
           CASE cr.case_rule WHEN 'filed' THEN gk_sum(ry.agency, ry.year, ry.year, 'case.' || r.row_key || '.filed.pending')
                ELSE gk_sum(ry.agency, 1990, ry.year, 'case.' || r.row_key || '.pending_delta') END AS pending
 ) v;
