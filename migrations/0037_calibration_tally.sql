-- The calibration report at network scale (issue 10).
--
-- The report groups the renewals due in a period whose outcome is known by
-- the score the member had 60 days before (cycle_risks, migration 0033),
-- and says how many have no past score yet. Read from the cycles, a year
-- of the network is a join of 67,000 cycles with 67,000 past scores on
-- every display (96 ms; 18 requests a second under load).
-- calibration_months keeps the same figures per district, month due,
-- group of score (0–19, 20–39 … 80–100 as 0 … 4; -1 while the cycle has no
-- past score) and outcome: about 1,300 rows for the network's year.
--
-- It holds, at every moment, the due cycles whose outcome is renewed or
-- lost, each in the group of its past score joined on member and due date
-- (as the report's join reads them): a statement trigger on the past
-- scores moves the cycles between -1 and their group (scores computed by
-- the batches, dropped when history before the day changes, all dropped
-- when the timelines change) and a row trigger on the cycles adds or
-- removes theirs (a renewal recorded or undone, a member lost, moved to
-- another district).
CREATE TABLE calibration_months (
    district_id bigint NOT NULL,
    month       date NOT NULL,
    bucket      smallint NOT NULL CHECK (bucket BETWEEN -1 AND 4),
    renewed     boolean NOT NULL,
    cycles      integer NOT NULL,
    PRIMARY KEY (district_id, month, bucket, renewed) INCLUDE (cycles)
);
CREATE INDEX calibration_months_month_idx ON calibration_months (month)
    INCLUDE (bucket, renewed, cycles);
ALTER TABLE calibration_months SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);

-- Scores inserted: their cycles leave -1 for their group; deleted: back.
CREATE FUNCTION cycle_risks_calibration() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
        SELECT p.district_id, p.due_month, v.bucket, p.renewed, sum(v.n)
        FROM (SELECT d.district_id, d.due_month, LEAST(n.score / 20, 4) AS scored,
                     d.outcome = 'renewed' AS renewed
              FROM new_rows n
              JOIN due_cycles d ON d.member_id = n.member_id AND d.due_on = n.due_on
              WHERE d.outcome IN ('renewed', 'lost')) p
        CROSS JOIN LATERAL (VALUES (p.scored, 1), (-1, -1)) v (bucket, n)
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (district_id, month, bucket, renewed)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
    ELSE
        INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
        SELECT p.district_id, p.due_month, v.bucket, p.renewed, sum(v.n)
        FROM (SELECT d.district_id, d.due_month, LEAST(o.score / 20, 4) AS scored,
                     d.outcome = 'renewed' AS renewed
              FROM old_rows o
              JOIN due_cycles d ON d.member_id = o.member_id AND d.due_on = o.due_on
              WHERE d.outcome IN ('renewed', 'lost')) p
        CROSS JOIN LATERAL (VALUES (p.scored, -1), (-1, 1)) v (bucket, n)
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

-- Every due cycle of a known outcome, in the group of its past score.
CREATE FUNCTION calibration_months_count() RETURNS void
LANGUAGE sql AS $$
    TRUNCATE calibration_months;
    INSERT INTO calibration_months (district_id, month, bucket, renewed, cycles)
    SELECT d.district_id, d.due_month,
           CASE WHEN c.score IS NULL THEN -1 ELSE LEAST(c.score / 20, 4) END,
           d.outcome = 'renewed', count(*)
    FROM due_cycles d
    LEFT JOIN cycle_risks c ON c.member_id = d.member_id AND c.due_on = d.due_on
    WHERE d.outcome IN ('renewed', 'lost')
    GROUP BY 1, 2, 3, 4;
$$;

-- The timelines changed (every past score dropped): every cycle back to -1.
CREATE FUNCTION cycle_risks_calibration_cleared() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM calibration_months_count();
    RETURN NULL;
END
$$;

CREATE TRIGGER cycle_risks_calibration_truncated AFTER TRUNCATE ON cycle_risks
    FOR EACH STATEMENT EXECUTE FUNCTION cycle_risks_calibration_cleared();

CREATE FUNCTION due_cycles_calibration() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_bucket integer;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.outcome IN ('renewed', 'lost') THEN
        v_bucket := COALESCE((SELECT LEAST(c.score / 20, 4) FROM cycle_risks c
                              WHERE c.member_id = OLD.member_id AND c.due_on = OLD.due_on), -1);
        INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
        VALUES (OLD.district_id, OLD.due_month, v_bucket, OLD.outcome = 'renewed', -1)
        ON CONFLICT (district_id, month, bucket, renewed)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.outcome IN ('renewed', 'lost') THEN
        v_bucket := COALESCE((SELECT LEAST(c.score / 20, 4) FROM cycle_risks c
                              WHERE c.member_id = NEW.member_id AND c.due_on = NEW.due_on), -1);
        INSERT INTO calibration_months AS t (district_id, month, bucket, renewed, cycles)
        VALUES (NEW.district_id, NEW.due_month, v_bucket, NEW.outcome = 'renewed', 1)
        ON CONFLICT (district_id, month, bucket, renewed)
            DO UPDATE SET cycles = t.cycles + EXCLUDED.cycles;
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
    PERFORM calibration_months_count();
END
$$;

-- What is there already.
SELECT calibration_months_count();
