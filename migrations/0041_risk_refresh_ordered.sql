-- The scores waiting to be recomputed, found along their index at any
-- network size (issue 10).
--
-- Each page of risks first recomputes what waits in its scope
-- (risk_refresh_due). Its read, `active AND (computed_on < today OR
-- computed_on > today)`, was estimated from the column's statistics, in
-- which the 8 % of members who left (`-infinity`, never recomputed) count
-- as waiting: 73,673 rows expected at 1,000,000 members, enough for the
-- planner to prefer walking the table until it has found its batch. It
-- found none, and read all 1,000,000 rows on every page: 162 ms, and the
-- direction's home and its list of risks fell to 9 requests a second.
-- Each side of the test is now its own read in date order: walking the
-- index of active members' dates from either end is the cheapest way to
-- the first rows in that order whatever the estimate, and it stops at
-- once when nothing waits.
CREATE OR REPLACE FUNCTION risk_refresh_due(p_today date, p_district bigint, p_representative bigint,
                                            p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    v_ids := ARRAY(
        SELECT r.member_id FROM member_risks r
        WHERE r.active AND r.computed_on < p_today
          AND (p_district IS NULL OR r.district_id = p_district)
          AND (p_representative IS NULL OR r.representative_id = p_representative)
        ORDER BY r.computed_on
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED);
    IF cardinality(v_ids) < p_limit THEN
        v_ids := v_ids || ARRAY(
            SELECT r.member_id FROM member_risks r
            WHERE r.active AND r.computed_on > p_today
              AND (p_district IS NULL OR r.district_id = p_district)
              AND (p_representative IS NULL OR r.representative_id = p_representative)
            ORDER BY r.computed_on DESC
            LIMIT p_limit - cardinality(v_ids)
            FOR UPDATE SKIP LOCKED);
    END IF;
    IF cardinality(v_ids) = 0 THEN
        RETURN 0;
    END IF;
    RETURN risk_refresh(v_ids, p_today);
END
$$;

ALTER FUNCTION risk_refresh_due(date, bigint, bigint, integer) SET plan_cache_mode = force_custom_plan;
