-- The calibration report at network scale (issue 10).
--
-- The report groups the renewals due in a period whose outcome is known by
-- the score the member had 60 days before (cycle_risks, migration 0033).
-- Read from the cycles, a year of the network is a join of 67,000 cycles
-- with 67,000 past scores on every display (96 ms; 18 requests a second
-- under load). calibration_months keeps the same figures per district,
-- month due, group of score (0–19, 20–39 … 80–100 as 0 … 4) and outcome:
-- at most a few thousand rows. The cycles still without a past score are
-- the cycles of due_month_effects (renewed or lost) less these.
--
-- It holds, at every moment, the count of the pairs (due cycle whose
-- outcome is renewed or lost, its past score) joined on member and due
-- date, as the report's own join reads them: a statement trigger on the
-- past scores (inserted by the batches, deleted when history before the
-- day changes, emptied when the timelines change) and a row trigger on the
-- cycles (a renewal recorded or undone, a member lost, moved to another
-- district) each add what their change adds to the join.
CREATE TABLE calibration_months (
    district_id bigint NOT NULL,
    month       date NOT NULL,
    bucket      smallint NOT NULL CHECK (bucket BETWEEN 0 AND 4),
    renewed     boolean NOT NULL,
    cycles      integer NOT NULL,
    PRIMARY KEY (district_id, month, bucket, renewed) INCLUDE (cycles)
);
CREATE INDEX calibration_months_month_idx ON calibration_months (month)
    INCLUDE (bucket, renewed, cycles);
ALTER TABLE calibration_months SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);

CREATE FUNCTION cycle_risks_calibration() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
        SELECT d.district_id, d.due_month, LEAST(n.score / 20, 4), d.outcome = 'renewed', count(*)
        FROM new_rows n
        JOIN due_cycles d ON d.member_id = n.member_id AND d.due_on = n.due_on
        WHERE d.outcome IN ('renewed', 'lost')
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (district_id, month, bucket, renewed)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
    ELSE
        INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
        SELECT d.district_id, d.due_month, LEAST(o.score / 20, 4), d.outcome = 'renewed',
               -count(*)
        FROM old_rows o
        JOIN due_cycles d ON d.member_id = o.member_id AND d.due_on = o.due_on
        WHERE d.outcome IN ('renewed', 'lost')
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (district_id, month, bucket, renewed)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER cycle_risks_calibration_inserted AFTER INSERT ON cycle_risks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cycle_risks_calibration();
CREATE TRIGGER cycle_risks_calibration_deleted AFTER DELETE ON cycle_risks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cycle_risks_calibration();

CREATE FUNCTION cycle_risks_calibration_cleared() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE calibration_months;
    RETURN NULL;
END
$$;

CREATE TRIGGER cycle_risks_calibration_truncated AFTER TRUNCATE ON cycle_risks
    FOR EACH STATEMENT EXECUTE FUNCTION cycle_risks_calibration_cleared();

CREATE FUNCTION due_cycles_calibration() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_score smallint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.outcome IN ('renewed', 'lost') THEN
        SELECT c.score INTO v_score FROM cycle_risks c
        WHERE c.member_id = OLD.member_id AND c.due_on = OLD.due_on;
        IF FOUND THEN
            INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
            VALUES (OLD.district_id, OLD.due_month, LEAST(v_score / 20, 4),
                    OLD.outcome = 'renewed', -1)
            ON CONFLICT (district_id, month, bucket, renewed)
                DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.outcome IN ('renewed', 'lost') THEN
        SELECT c.score INTO v_score FROM cycle_risks c
        WHERE c.member_id = NEW.member_id AND c.due_on = NEW.due_on;
        IF FOUND THEN
            INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
            VALUES (NEW.district_id, NEW.due_month, LEAST(v_score / 20, 4),
                    NEW.outcome = 'renewed', 1)
            ON CONFLICT (district_id, month, bucket, renewed)
                DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- (derived_tables_rebuild() fills the cycles in one pass, then this tally.)
CREATE TRIGGER due_cycles_calibration_rows AFTER INSERT OR DELETE ON due_cycles
    FOR EACH ROW
    WHEN (current_setting('renouvo.rebuilding', true) IS DISTINCT FROM 'yes')
    EXECUTE FUNCTION due_cycles_calibration();
CREATE TRIGGER due_cycles_calibration_update
    AFTER UPDATE OF district_id, due_on, due_month, outcome ON due_cycles
    FOR EACH ROW
    WHEN ((OLD.district_id, OLD.due_on, OLD.due_month, OLD.outcome)
          IS DISTINCT FROM (NEW.district_id, NEW.due_on, NEW.due_month, NEW.outcome)
          AND current_setting('renouvo.rebuilding', true) IS DISTINCT FROM 'yes')
    EXECUTE FUNCTION due_cycles_calibration();

-- Migration 0033's rebuild, then this tally from the join.
ALTER FUNCTION derived_tables_rebuild() RENAME TO derived_tables_rebuild_0033;

CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derived_tables_rebuild_0033();
    TRUNCATE calibration_months;
    INSERT INTO calibration_months (district_id, month, bucket, renewed, cycles)
    SELECT d.district_id, d.due_month, LEAST(c.score / 20, 4), d.outcome = 'renewed', count(*)
    FROM cycle_risks c
    JOIN due_cycles d ON d.member_id = c.member_id AND d.due_on = c.due_on
    WHERE d.outcome IN ('renewed', 'lost')
    GROUP BY 1, 2, 3, 4;
END
$$;

-- What is there already.
INSERT INTO calibration_months (district_id, month, bucket, renewed, cycles)
SELECT d.district_id, d.due_month, LEAST(c.score / 20, 4), d.outcome = 'renewed', count(*)
FROM cycle_risks c
JOIN due_cycles d ON d.member_id = c.member_id AND d.due_on = c.due_on
WHERE d.outcome IN ('renewed', 'lost')
GROUP BY 1, 2, 3, 4;
