-- Reports at 100,000 members and 1,000,000 follow-ups (issues 8 and 10).
-- Retention, the follow-up effect and the team report count renewal
-- cycles: each recorded renewal closes one (due on its previous renewal
-- date), and each member has a current one (due on their renewal date,
-- lost or still open). Putting those together used to join renewals to
-- members and, per cycle, look up the stages followed and the last
-- follow-up before the due date: two correlated subqueries per cycle,
-- 70,000 cycles for the network's year.
--
-- due_cycles holds one row per cycle with everything the reports filter,
-- group and count by, so that a report is one range scan on an index.
-- Triggers keep it in the same transaction as the write (follow-up,
-- renewal, departure, any change of a member's dates, district, group,
-- representative or formula), whoever writes (the app, an import, the
-- demo, a bench).
CREATE TABLE due_cycles (
    member_id         bigint NOT NULL,
    -- The recorded renewal that closed the cycle; 0 for the member's
    -- current cycle.
    renewal_id        bigint NOT NULL,
    cycle             integer NOT NULL,
    due_on            date NOT NULL,
    due_month         date NOT NULL,
    -- renewed, lost, or active (pending once due_on has passed).
    outcome           text NOT NULL CHECK (outcome IN ('renewed', 'lost', 'active')),
    -- The member's current district, group and representative (as the
    -- reports have always counted them); the formula of the cycle.
    district_id       bigint NOT NULL,
    group_id          bigint,
    formula           text NOT NULL,
    representative_id bigint,
    -- Stage keys that got a follow-up while current in this cycle (sorted,
    -- as stage_follow_ups has them): which of them are pre-renewal stages
    -- is decided when the report is read, so editing a timeline needs no
    -- recount.
    stages            text[] NOT NULL DEFAULT '{}',
    -- How many of them are pre-renewal stages of the cycle's formula
    -- (anchored on the renewal date, before it) in today's timelines:
    -- counted again when a timeline is saved.
    pre_followed      integer NOT NULL DEFAULT 0,
    -- The member's last follow-up (not a correction) before the due date:
    -- strictly before midnight UTC of due_on, as the reports compared a
    -- timestamp with a date in the app's UTC sessions; the latest id wins
    -- a tie.
    last_at           timestamptz,
    last_id           bigint,
    last_state        text,
    PRIMARY KEY (member_id, renewal_id)
);

-- The network's and a district's reports read a range of due dates from
-- the index alone; a portfolio or a group reads its own few rows.
CREATE INDEX due_cycles_due_idx ON due_cycles (due_on)
    INCLUDE (due_month, outcome, district_id, group_id, formula, representative_id,
             pre_followed, last_state);
CREATE INDEX due_cycles_district_idx ON due_cycles (district_id, due_on)
    INCLUDE (due_month, outcome, group_id, formula, representative_id, pre_followed, last_state);
-- A member's current cycle stands for the member where a report counts
-- rows of theirs (planned follow-ups, escalations) by district, group,
-- formula or representative: a district's members from the index alone.
CREATE INDEX due_cycles_current_idx ON due_cycles (district_id)
    INCLUDE (member_id, group_id, formula, representative_id) WHERE renewal_id = 0;
CREATE INDEX due_cycles_representative_idx ON due_cycles (representative_id, due_on);
CREATE INDEX due_cycles_group_idx ON due_cycles (group_id, due_on) WHERE group_id IS NOT NULL;

-- How many of `stages` are pre-renewal stages of `formula` (the stages
-- the follow-up effect and the team report count, as
-- store::reports::pre_renewal_stages reads them from the same table).
CREATE FUNCTION pre_renewal_followed(formula text, stages text[]) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM timeline_stages ts
    WHERE ts.formula = $1 AND ts.stage_key = ANY ($2)
      AND ts.anchor = 'R' AND (ts.months < 0 OR ts.days < 0);
$$;

-- Recomputes every cycle of the given members from members, renewals,
-- stage_follow_ups and follow_ups (on their indexes; the ids are joined,
-- not searched in an array, so a bulk load hashes them).
CREATE FUNCTION due_cycles_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM due_cycles WHERE member_id IN (SELECT unnest(ids));
    INSERT INTO due_cycles (member_id, renewal_id, cycle, due_on, due_month, outcome, district_id,
                            group_id, formula, representative_id, stages, pre_followed,
                            last_at, last_id, last_state)
    SELECT x.member_id, x.renewal_id, x.cycle, x.due_on, date_trunc('month', x.due_on)::date,
           x.outcome, x.district_id, x.group_id, x.formula, x.representative_id,
           COALESCE(st.stages, '{}'), pre_renewal_followed(x.formula, COALESCE(st.stages, '{}')),
           lf.at, lf.id, lf.state
    FROM (
        SELECT r.member_id, r.id AS renewal_id, r.cycle - 1 AS cycle, r.previous_renewal AS due_on,
               'renewed' AS outcome, m.district_id, m.group_id, r.previous_formula AS formula,
               m.representative_id
        FROM renewals r JOIN members m ON m.id = r.member_id
        WHERE r.member_id IN (SELECT unnest(ids))
        UNION ALL
        SELECT m.id, 0, m.cycle, m.renewal_date, m.status, m.district_id, m.group_id, m.formula,
               m.representative_id
        FROM members m WHERE m.id IN (SELECT unnest(ids))
    ) x
    LEFT JOIN LATERAL (
        SELECT array_agg(s.stage_key ORDER BY s.stage_key) AS stages FROM stage_follow_ups s
        WHERE s.member_id = x.member_id AND s.cycle = x.cycle
    ) st ON true
    LEFT JOIN LATERAL (
        SELECT f.at, f.id, f.state FROM follow_ups f
        WHERE f.member_id = x.member_id AND f.corrects_id IS NULL
          AND f.at < (x.due_on::timestamp AT TIME ZONE 'UTC')
        ORDER BY f.at DESC, f.id DESC LIMIT 1
    ) lf ON true;
$$;

CREATE FUNCTION due_cycles_members_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT id FROM new_rows));
    ELSE
        DELETE FROM due_cycles WHERE member_id IN (SELECT id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_due_cycles_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_members_rows();
CREATE TRIGGER members_due_cycles_delete AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_members_rows();

CREATE FUNCTION due_cycles_member_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM due_cycles_refresh(ARRAY[OLD.id, NEW.id]);
    RETURN NULL;
END
$$;

-- Only the columns a cycle reads: a follow-up's state and last contact,
-- or a contact detail, change nothing here and cost nothing.
CREATE TRIGGER members_due_cycles_update
    AFTER UPDATE OF id, status, cycle, renewal_date, formula, district_id, group_id,
        representative_id
    ON members FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.cycle IS DISTINCT FROM NEW.cycle
          OR OLD.renewal_date IS DISTINCT FROM NEW.renewal_date
          OR OLD.formula IS DISTINCT FROM NEW.formula
          OR OLD.district_id IS DISTINCT FROM NEW.district_id
          OR OLD.group_id IS DISTINCT FROM NEW.group_id
          OR OLD.representative_id IS DISTINCT FROM NEW.representative_id)
    EXECUTE FUNCTION due_cycles_member_update();

-- Renewals recorded or undone, many at once or one by one.
CREATE FUNCTION due_cycles_renewals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT DISTINCT member_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT DISTINCT member_id FROM old_rows));
    ELSE
        PERFORM due_cycles_refresh(ARRAY(SELECT member_id FROM old_rows
                                         UNION SELECT member_id FROM new_rows));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER renewals_due_cycles_insert AFTER INSERT ON renewals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_renewals();
CREATE TRIGGER renewals_due_cycles_delete AFTER DELETE ON renewals
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_renewals();
CREATE TRIGGER renewals_due_cycles_update AFTER UPDATE ON renewals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_renewals();

-- New follow-ups only add to what a cycle has: their stage to the stages
-- of their cycle, and they become the last follow-up of any cycle due
-- after them if they are later than the one it had. Read from the new
-- rows alone (hash joins when a bulk load inserts a million at once).
CREATE FUNCTION due_cycles_follow_ups_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH n AS (
        SELECT id, member_id, cycle, stage_key, at, state FROM new_rows WHERE corrects_id IS NULL
    ),
    touched AS (
        SELECT c.member_id, c.renewal_id, c.cycle, c.stages, c.last_at, c.last_id,
               (c.due_on::timestamp AT TIME ZONE 'UTC') AS due_at
        FROM due_cycles c WHERE c.member_id IN (SELECT member_id FROM n)
    ),
    keys AS (
        SELECT member_id, cycle, array_agg(DISTINCT stage_key) AS keys FROM n
        WHERE stage_key IS NOT NULL GROUP BY 1, 2
    ),
    latest AS (
        SELECT DISTINCT ON (t.member_id, t.renewal_id) t.member_id, t.renewal_id,
               n.at, n.id, n.state
        FROM touched t JOIN n ON n.member_id = t.member_id AND n.at < t.due_at
        ORDER BY t.member_id, t.renewal_id, n.at DESC, n.id DESC
    ),
    changed AS (
        SELECT t.member_id, t.renewal_id,
               CASE WHEN k.keys IS NULL OR k.keys <@ t.stages THEN t.stages
                    ELSE ARRAY(SELECT DISTINCT x FROM unnest(t.stages || k.keys) x ORDER BY x)
               END AS stages,
               l.at IS NOT NULL AND (t.last_at IS NULL OR (l.at, l.id) > (t.last_at, t.last_id))
                   AS newer,
               l.at, l.id, l.state
        FROM touched t
        LEFT JOIN keys k ON k.member_id = t.member_id AND k.cycle = t.cycle
        LEFT JOIN latest l ON l.member_id = t.member_id AND l.renewal_id = t.renewal_id
        WHERE (k.keys IS NOT NULL AND NOT k.keys <@ t.stages) OR l.at IS NOT NULL
    )
    UPDATE due_cycles c
    SET stages = ch.stages,
        pre_followed = pre_renewal_followed(c.formula, ch.stages),
        last_at = CASE WHEN ch.newer THEN ch.at ELSE c.last_at END,
        last_id = CASE WHEN ch.newer THEN ch.id ELSE c.last_id END,
        last_state = CASE WHEN ch.newer THEN ch.state ELSE c.last_state END
    FROM changed ch
    WHERE c.member_id = ch.member_id AND c.renewal_id = ch.renewal_id
      AND (ch.newer OR ch.stages <> c.stages);
    RETURN NULL;
END
$$;

CREATE TRIGGER follow_ups_due_cycles_insert AFTER INSERT ON follow_ups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_follow_ups_inserted();

-- Follow-ups are never rewritten (a correction is a new row); should one
-- be changed or removed all the same, its members are counted again.
CREATE FUNCTION due_cycles_follow_ups_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT DISTINCT member_id FROM old_rows));
    ELSE
        PERFORM due_cycles_refresh(ARRAY(SELECT member_id FROM old_rows
                                         UNION SELECT member_id FROM new_rows));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER follow_ups_due_cycles_update AFTER UPDATE ON follow_ups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_follow_ups_changed();
CREATE TRIGGER follow_ups_due_cycles_delete AFTER DELETE ON follow_ups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_follow_ups_changed();

-- What is there already (set-based: one pass per source table).
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
    SELECT DISTINCT ON (x.member_id, x.renewal_id) x.member_id, x.renewal_id, f.at, f.id, f.state
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

-- A timeline saved (its rows deleted and inserted again, in one
-- transaction): the pre-renewal stages followed are counted again once,
-- at commit, and only the cycles whose count changes are written.
CREATE FUNCTION due_cycles_timelines_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('renouvo.pre_followed_recounted', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('renouvo.pre_followed_recounted', 'yes', true);
        UPDATE due_cycles c SET pre_followed = pre_renewal_followed(c.formula, c.stages)
        WHERE c.pre_followed <> pre_renewal_followed(c.formula, c.stages);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER timeline_stages_due_cycles
    AFTER INSERT OR UPDATE OR DELETE ON timeline_stages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION due_cycles_timelines_changed();

-- Active members per representative, district, group and formula (about
-- 3,000 rows at 100,000 members): the team report's portfolios.
CREATE TABLE portfolio_counts (
    representative_id bigint NOT NULL,
    district_id       bigint NOT NULL,
    group_id          bigint NOT NULL,  -- 0: no group
    formula           text NOT NULL,
    active            integer NOT NULL,
    PRIMARY KEY (representative_id, district_id, group_id, formula)
);

CREATE FUNCTION portfolio_counts_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO portfolio_counts AS t (representative_id, district_id, group_id, formula, active)
        SELECT representative_id, district_id, COALESCE(group_id, 0), formula, count(*)
        FROM new_rows WHERE status = 'active' AND representative_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (representative_id, district_id, group_id, formula)
            DO UPDATE SET active = t.active + EXCLUDED.active;
    ELSE
        INSERT INTO portfolio_counts AS t (representative_id, district_id, group_id, formula, active)
        SELECT representative_id, district_id, COALESCE(group_id, 0), formula, -count(*)
        FROM old_rows WHERE status = 'active' AND representative_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (representative_id, district_id, group_id, formula)
            DO UPDATE SET active = t.active + EXCLUDED.active;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_portfolio_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION portfolio_counts_rows();
CREATE TRIGGER members_portfolio_delete AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION portfolio_counts_rows();

CREATE FUNCTION portfolio_counts_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_counts AS t (representative_id, district_id, group_id, formula, active)
    SELECT OLD.representative_id, OLD.district_id, COALESCE(OLD.group_id, 0), OLD.formula, -1
    WHERE OLD.status = 'active' AND OLD.representative_id IS NOT NULL
    UNION ALL
    SELECT NEW.representative_id, NEW.district_id, COALESCE(NEW.group_id, 0), NEW.formula, 1
    WHERE NEW.status = 'active' AND NEW.representative_id IS NOT NULL
    ON CONFLICT (representative_id, district_id, group_id, formula)
        DO UPDATE SET active = t.active + EXCLUDED.active;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_portfolio_update
    AFTER UPDATE OF status, representative_id, district_id, group_id, formula ON members
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.representative_id IS DISTINCT FROM NEW.representative_id
          OR OLD.district_id IS DISTINCT FROM NEW.district_id
          OR OLD.group_id IS DISTINCT FROM NEW.group_id
          OR OLD.formula IS DISTINCT FROM NEW.formula)
    EXECUTE FUNCTION portfolio_counts_update();

INSERT INTO portfolio_counts (representative_id, district_id, group_id, formula, active)
SELECT representative_id, district_id, COALESCE(group_id, 0), formula, count(*)
FROM members WHERE status = 'active' AND representative_id IS NOT NULL
GROUP BY 1, 2, 3, 4;

-- Active members per formula, term, renewal date and state: the
-- network's pipeline by colour and state reads at most a few tens of
-- thousands of rows (the state is '' when none is noted).
CREATE TABLE renewal_day_states (
    formula      text NOT NULL,
    term_months  integer NOT NULL,
    renewal_date date NOT NULL,
    state        text NOT NULL,
    active       integer NOT NULL,
    PRIMARY KEY (renewal_date, formula, term_months, state)
);

CREATE FUNCTION renewal_day_states_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO renewal_day_states AS t (formula, term_months, renewal_date, state, active)
        SELECT formula, term_months, renewal_date, COALESCE(state, ''), count(*)
        FROM new_rows WHERE status = 'active' GROUP BY 1, 2, 3, 4
        ON CONFLICT (renewal_date, formula, term_months, state)
            DO UPDATE SET active = t.active + EXCLUDED.active;
    ELSE
        INSERT INTO renewal_day_states AS t (formula, term_months, renewal_date, state, active)
        SELECT formula, term_months, renewal_date, COALESCE(state, ''), -count(*)
        FROM old_rows WHERE status = 'active' GROUP BY 1, 2, 3, 4
        ON CONFLICT (renewal_date, formula, term_months, state)
            DO UPDATE SET active = t.active + EXCLUDED.active;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_day_states_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION renewal_day_states_rows();
CREATE TRIGGER members_day_states_delete AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION renewal_day_states_rows();

CREATE FUNCTION renewal_day_states_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO renewal_day_states AS t (formula, term_months, renewal_date, state, active)
    SELECT OLD.formula, OLD.term_months, OLD.renewal_date, COALESCE(OLD.state, ''), -1
    WHERE OLD.status = 'active'
    UNION ALL
    SELECT NEW.formula, NEW.term_months, NEW.renewal_date, COALESCE(NEW.state, ''), 1
    WHERE NEW.status = 'active'
    ON CONFLICT (renewal_date, formula, term_months, state)
        DO UPDATE SET active = t.active + EXCLUDED.active;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_day_states_update
    AFTER UPDATE OF status, formula, term_months, renewal_date, state ON members
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.formula IS DISTINCT FROM NEW.formula
          OR OLD.term_months IS DISTINCT FROM NEW.term_months
          OR OLD.renewal_date IS DISTINCT FROM NEW.renewal_date
          OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION renewal_day_states_update();

INSERT INTO renewal_day_states (formula, term_months, renewal_date, state, active)
SELECT formula, term_months, renewal_date, COALESCE(state, ''), count(*)
FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4;

-- Planned follow-ups missed (still open, or closed after their date) in a
-- period, from the index alone.
CREATE INDEX planned_follow_ups_missed_idx ON planned_follow_ups (due_date)
    INCLUDE (planned_by, member_id) WHERE status = 'open' OR closed_on > due_date;

ANALYZE due_cycles;
ANALYZE portfolio_counts;
ANALYZE renewal_day_states;
