-- « Suivi », « À venir » and « Départs » at network scale (issue 10).
--
-- due_month_effects: the due cycles per district, month, formula, number
-- of pre-renewal stages followed, last state before the due date, and
-- outcome: what the follow-up effect report counts, about 12,000 rows for
-- the network's year at 100,000 members instead of 70,000 cycles. Kept
-- from due_cycles by a row trigger (whatever writes a cycle: a refresh, a
-- follow-up, a timeline saved), except while derived_tables_rebuild()
-- fills due_cycles in one pass and then this tally.
--
-- due_month_states: the active members per district, month of their
-- renewal date, formula and state (the pipeline's counts by state), kept
-- by a row trigger on members like the tallies of migration 0014.
CREATE TABLE due_month_effects (
    district_id  bigint NOT NULL,
    month        date NOT NULL,
    formula      text NOT NULL,
    pre_followed integer NOT NULL,
    -- '' when the member had no follow-up before the due date.
    last_state   text NOT NULL,
    outcome      text NOT NULL,
    cycles       integer NOT NULL,
    PRIMARY KEY (district_id, month, formula, pre_followed, last_state, outcome)
);
CREATE INDEX due_month_effects_month_idx ON due_month_effects (month)
    INCLUDE (formula, pre_followed, last_state, outcome, cycles);

CREATE FUNCTION due_month_effects_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO due_month_effects AS t (district_id, month, formula, pre_followed, last_state,
                                            outcome, cycles)
        VALUES (OLD.district_id, OLD.due_month, OLD.formula, OLD.pre_followed,
                COALESCE(OLD.last_state, ''), OLD.outcome, -1)
        ON CONFLICT (district_id, month, formula, pre_followed, last_state, outcome)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO due_month_effects AS t (district_id, month, formula, pre_followed, last_state,
                                            outcome, cycles)
        VALUES (NEW.district_id, NEW.due_month, NEW.formula, NEW.pre_followed,
                COALESCE(NEW.last_state, ''), NEW.outcome, 1)
        ON CONFLICT (district_id, month, formula, pre_followed, last_state, outcome)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER due_cycles_effects_rows AFTER INSERT OR DELETE ON due_cycles
    FOR EACH ROW
    WHEN (current_setting('renouvo.rebuilding', true) IS DISTINCT FROM 'yes')
    EXECUTE FUNCTION due_month_effects_rows();
CREATE TRIGGER due_cycles_effects_update
    AFTER UPDATE OF district_id, due_month, formula, pre_followed, last_state, outcome
    ON due_cycles FOR EACH ROW
    WHEN ((OLD.district_id, OLD.due_month, OLD.formula, OLD.pre_followed, OLD.last_state,
           OLD.outcome)
          IS DISTINCT FROM (NEW.district_id, NEW.due_month, NEW.formula, NEW.pre_followed,
                            NEW.last_state, NEW.outcome)
          AND current_setting('renouvo.rebuilding', true) IS DISTINCT FROM 'yes')
    EXECUTE FUNCTION due_month_effects_rows();

CREATE TABLE due_month_states (
    district_id bigint NOT NULL,
    month       date NOT NULL,
    formula     text NOT NULL,
    -- '' for no state.
    state       text NOT NULL,
    active      integer NOT NULL,
    PRIMARY KEY (district_id, month, formula, state)
);
CREATE INDEX due_month_states_month_idx ON due_month_states (month)
    INCLUDE (formula, state, active);

CREATE FUNCTION due_month_states_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        INSERT INTO due_month_states AS t (district_id, month, formula, state, active)
        VALUES (OLD.district_id, date_trunc('month', OLD.renewal_date)::date, OLD.formula,
                COALESCE(OLD.state, ''), -1)
        ON CONFLICT (district_id, month, formula, state)
            DO UPDATE SET active = t.active + EXCLUDED.active;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active' THEN
        INSERT INTO due_month_states AS t (district_id, month, formula, state, active)
        VALUES (NEW.district_id, date_trunc('month', NEW.renewal_date)::date, NEW.formula,
                COALESCE(NEW.state, ''), 1)
        ON CONFLICT (district_id, month, formula, state)
            DO UPDATE SET active = t.active + EXCLUDED.active;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_due_month_states_rows AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION due_month_states_rows();
-- A follow-up changes the member's state: one row moves.
CREATE TRIGGER members_due_month_states_update
    AFTER UPDATE OF status, formula, renewal_date, district_id, state ON members
    FOR EACH ROW
    WHEN ((OLD.status, OLD.formula, date_trunc('month', OLD.renewal_date), OLD.district_id,
           OLD.state)
          IS DISTINCT FROM (NEW.status, NEW.formula, date_trunc('month', NEW.renewal_date),
                            NEW.district_id, NEW.state))
    EXECUTE FUNCTION due_month_states_rows();

-- lost_months: the members lost per district, month of departure,
-- formula and reason (the departures report's counts by category, reason
-- and month, and how many may be won back), kept by a row trigger on
-- members. The list of those who may be won back reads the most recent
-- departures first on an index and stops at its page.
CREATE TABLE lost_months (
    district_id bigint NOT NULL,
    month       date NOT NULL,
    formula     text NOT NULL,
    reason_id   bigint NOT NULL,
    lost        integer NOT NULL,
    PRIMARY KEY (district_id, month, formula, reason_id)
);
CREATE INDEX lost_months_month_idx ON lost_months (month) INCLUDE (formula, reason_id, lost);

CREATE FUNCTION lost_months_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'lost' AND OLD.lost_on IS NOT NULL
       AND OLD.lost_reason_id IS NOT NULL THEN
        INSERT INTO lost_months AS t (district_id, month, formula, reason_id, lost)
        VALUES (OLD.district_id, date_trunc('month', OLD.lost_on)::date, OLD.formula,
                OLD.lost_reason_id, -1)
        ON CONFLICT (district_id, month, formula, reason_id)
            DO UPDATE SET lost = t.lost + EXCLUDED.lost;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'lost' AND NEW.lost_on IS NOT NULL
       AND NEW.lost_reason_id IS NOT NULL THEN
        INSERT INTO lost_months AS t (district_id, month, formula, reason_id, lost)
        VALUES (NEW.district_id, date_trunc('month', NEW.lost_on)::date, NEW.formula,
                NEW.lost_reason_id, 1)
        ON CONFLICT (district_id, month, formula, reason_id)
            DO UPDATE SET lost = t.lost + EXCLUDED.lost;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_lost_months_rows AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION lost_months_rows();
CREATE TRIGGER members_lost_months_update
    AFTER UPDATE OF status, lost_on, lost_reason_id, district_id, formula ON members
    FOR EACH ROW
    WHEN ((OLD.status, OLD.lost_on, OLD.lost_reason_id, OLD.district_id, OLD.formula)
          IS DISTINCT FROM (NEW.status, NEW.lost_on, NEW.lost_reason_id, NEW.district_id,
                            NEW.formula))
    EXECUTE FUNCTION lost_months_rows();

CREATE INDEX members_lost_recent_idx ON members (lost_on, id) WHERE status = 'lost';
CREATE INDEX members_district_lost_idx ON members (district_id, lost_on, id)
    WHERE status = 'lost';

-- Migration 0024's rebuild, with the three tallies.
CREATE OR REPLACE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The cycles are inserted below in one pass: their tally by month is
    -- filled after them, not row by row by its trigger.
    PERFORM set_config('renouvo.rebuilding', 'yes', true);
    TRUNCATE stage_follow_ups, follow_up_monthly, renewal_days, district_renewal_days,
             due_months, due_cycles, portfolio_counts, renewal_day_states, due_month_billing,
             due_month_effects, due_month_states, lost_months;

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
                            last_at, last_id, last_state, billing_stage, billing_cents)
    WITH x AS (
        SELECT r.member_id, r.id AS renewal_id, r.cycle - 1 AS cycle, r.previous_renewal AS due_on,
               'renewed' AS outcome, m.district_id, m.group_id, r.previous_formula AS formula,
               m.representative_id, r.billing_request_id
        FROM renewals r JOIN members m ON m.id = r.member_id
        UNION ALL
        SELECT m.id, 0, m.cycle, m.renewal_date, m.status, m.district_id, m.group_id, m.formula,
               m.representative_id, NULL
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
           lf.at, lf.id, lf.state,
           CASE WHEN x.outcome = 'lost' THEN NULL WHEN x.outcome = 'renewed' THEN 'paid'
                WHEN b.id IS NULL THEN 'to_request' WHEN b.status = 'requested' THEN 'requested'
                WHEN b.status = 'paid' THEN 'paid' ELSE 'invoiced' END,
           CASE WHEN x.outcome = 'renewed' THEN rb.amount_cents
                WHEN x.outcome = 'active' THEN b.amount_cents END
    FROM x
    LEFT JOIN st ON st.member_id = x.member_id AND st.cycle = x.cycle
    LEFT JOIN lf ON lf.member_id = x.member_id AND lf.renewal_id = x.renewal_id
    -- One live request per member and cycle (billing_requests_live_key).
    LEFT JOIN billing_requests b ON x.outcome = 'active' AND b.member_id = x.member_id
        AND b.cycle = x.cycle AND b.status <> 'cancelled'
    LEFT JOIN billing_requests rb ON rb.id = x.billing_request_id;

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

    -- And per billing step.
    INSERT INTO due_month_billing (district_id, month, formula, stage, members, priced,
                                   amount_cents)
    SELECT district_id, due_month, formula, billing_stage, count(*), count(billing_cents),
           COALESCE(sum(billing_cents), 0)
    FROM due_cycles WHERE billing_stage IS NOT NULL GROUP BY 1, 2, 3, 4;

    -- Per district, month, formula, stages followed, last state and
    -- outcome; and the active members per district, month, formula and
    -- state.
    INSERT INTO due_month_effects (district_id, month, formula, pre_followed, last_state,
                                   outcome, cycles)
    SELECT district_id, due_month, formula, pre_followed, COALESCE(last_state, ''), outcome,
           count(*)
    FROM due_cycles GROUP BY 1, 2, 3, 4, 5, 6;

    INSERT INTO due_month_states (district_id, month, formula, state, active)
    SELECT district_id, date_trunc('month', renewal_date)::date, formula, COALESCE(state, ''),
           count(*)
    FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4;

    INSERT INTO lost_months (district_id, month, formula, reason_id, lost)
    SELECT district_id, date_trunc('month', lost_on)::date, formula, lost_reason_id, count(*)
    FROM members
    WHERE status = 'lost' AND lost_on IS NOT NULL AND lost_reason_id IS NOT NULL
    GROUP BY 1, 2, 3, 4;
    PERFORM set_config('renouvo.rebuilding', 'no', true);

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

-- What is there already.
INSERT INTO due_month_effects (district_id, month, formula, pre_followed, last_state, outcome,
                               cycles)
SELECT district_id, due_month, formula, pre_followed, COALESCE(last_state, ''), outcome, count(*)
FROM due_cycles GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO due_month_states (district_id, month, formula, state, active)
SELECT district_id, date_trunc('month', renewal_date)::date, formula, COALESCE(state, ''), count(*)
FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4;

INSERT INTO lost_months (district_id, month, formula, reason_id, lost)
SELECT district_id, date_trunc('month', lost_on)::date, formula, lost_reason_id, count(*)
FROM members
WHERE status = 'lost' AND lost_on IS NOT NULL AND lost_reason_id IS NOT NULL
GROUP BY 1, 2, 3, 4;
