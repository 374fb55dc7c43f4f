-- Every table the triggers keep from members, renewals and follow-ups
-- (migrations 0007, 0009, 0014, 0015, 0022, and the members'
-- stages_done of 0020), rebuilt from scratch in one pass
-- per source table. The app never needs it: the triggers keep these
-- tables in the same transaction as each write. It serves a bulk load
-- (bench/generate.sql pauses the triggers, loads a million follow-ups and
-- calls it once, instead of a trigger firing for each of 100,000 members)
-- and a check (tests compare what the triggers kept with what it gives).
CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE stage_follow_ups, follow_up_monthly, renewal_days, district_renewal_days,
             due_months, due_cycles, portfolio_counts, renewal_day_states;

    INSERT INTO stage_follow_ups (member_id, cycle, stage_key, first_at, last_at, follow_ups)
    SELECT member_id, cycle, stage_key, min(at), max(at), count(*)
    FROM follow_ups
    WHERE stage_key IS NOT NULL AND corrects_id IS NULL
    GROUP BY member_id, cycle, stage_key;

    INSERT INTO follow_up_monthly (author_id, district_id, month, follow_ups)
    SELECT f.author_id, m.district_id,
           date_trunc('month', f.at AT TIME ZONE 'America/Toronto')::date, count(*)
    FROM follow_ups f JOIN members m ON m.id = f.member_id
    WHERE f.corrects_id IS NULL
    GROUP BY 1, 2, 3;

    INSERT INTO renewal_day_states (formula, term_months, renewal_date, state, active)
    SELECT formula, term_months, renewal_date, COALESCE(state, ''), count(*)
    FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4;

    INSERT INTO district_renewal_days (district_id, formula, term_months, renewal_date, active)
    SELECT district_id, formula, term_months, renewal_date, count(*)
    FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4;

    -- The same counts without the state, or without the district.
    INSERT INTO renewal_days (formula, term_months, renewal_date, active)
    SELECT formula, term_months, renewal_date, sum(active)
    FROM renewal_day_states GROUP BY 1, 2, 3;

    INSERT INTO portfolio_counts (representative_id, district_id, group_id, formula, active)
    SELECT representative_id, district_id, COALESCE(group_id, 0), formula, count(*)
    FROM members WHERE status = 'active' AND representative_id IS NOT NULL
    GROUP BY 1, 2, 3, 4;

    -- One row per cycle: each recorded renewal closes one, each member has
    -- a current one (renewal_id 0).
    INSERT INTO due_cycles (member_id, renewal_id, cycle, due_on, due_month, outcome, district_id,
                            group_id, formula, representative_id, stages, pre_followed,
                            last_at, last_id, last_state)
    WITH x AS (
        SELECT r.member_id, r.id AS renewal_id, r.cycle - 1 AS cycle, r.previous_renewal AS due_on,
               'renewed' AS outcome, m.district_id, m.group_id, r.previous_formula AS formula,
               m.representative_id
        FROM renewals r JOIN members m ON m.id = r.member_id
        UNION ALL
        SELECT m.id, 0, m.cycle, m.renewal_date, m.status, m.district_id, m.group_id, m.formula,
               m.representative_id
        FROM members m
    ),
    st AS (
        SELECT member_id, cycle, array_agg(stage_key ORDER BY stage_key) AS stages
        FROM stage_follow_ups GROUP BY 1, 2
    ),
    lf AS (
        SELECT DISTINCT ON (x.member_id, x.renewal_id) x.member_id, x.renewal_id,
               f.at, f.id, f.state
        FROM x JOIN follow_ups f ON f.member_id = x.member_id AND f.corrects_id IS NULL
            AND f.at < (x.due_on::timestamp AT TIME ZONE 'UTC')
        ORDER BY x.member_id, x.renewal_id, f.at DESC, f.id DESC
    )
    SELECT x.member_id, x.renewal_id, x.cycle, x.due_on, date_trunc('month', x.due_on)::date,
           x.outcome, x.district_id, x.group_id, x.formula, x.representative_id,
           COALESCE(st.stages, '{}'), pre_renewal_followed(x.formula, COALESCE(st.stages, '{}')),
           lf.at, lf.id, lf.state
    FROM x
    LEFT JOIN st ON st.member_id = x.member_id AND st.cycle = x.cycle
    LEFT JOIN lf ON lf.member_id = x.member_id AND lf.renewal_id = x.renewal_id;

    -- Per district, month and formula: the current cycles from due_cycles
    -- (active, orphans, lost) and the renewed ones.
    INSERT INTO due_months (district_id, month, formula, active, orphans, lost, renewed)
    SELECT district_id, due_month, formula,
           count(*) FILTER (WHERE renewal_id = 0 AND outcome = 'active'),
           count(*) FILTER (WHERE renewal_id = 0 AND outcome = 'active'
                            AND representative_id IS NULL),
           count(*) FILTER (WHERE renewal_id = 0 AND outcome = 'lost'),
           count(*) FILTER (WHERE renewal_id <> 0)
    FROM due_cycles GROUP BY 1, 2, 3;

    -- The stages done in each member's current cycle (only the rows that
    -- differ are written).
    UPDATE members m SET stages_done = x.keys
    FROM (
        SELECT m.id, COALESCE(array_agg(s.stage_key ORDER BY s.stage_key)
                              FILTER (WHERE s.stage_key IS NOT NULL), '{}') AS keys
        FROM members m
        LEFT JOIN stage_follow_ups s ON s.member_id = m.id AND s.cycle = m.cycle
        GROUP BY m.id
    ) x
    WHERE m.id = x.id AND m.stages_done IS DISTINCT FROM x.keys;
END
$$;
