-- The district's team report: planned follow-ups missed (still open, or
-- closed after their date), per planner, for the members now in the
-- district (issue 10).
--
-- Read from the follow-ups themselves, a district's year joined the
-- network's 37,000 missed planned follow-ups of the year to the district's
-- 17,800 current cycles (13 ms of the report's 29). planned_missed_days
-- keeps them per district (the member's, as it is now), due date and
-- planner: a few thousand rows per district and year, read as one range.
-- A row trigger on the planned follow-ups adds or removes each one as it is
-- planned, kept, closed late or moved; a row trigger on the members moves
-- a member's rows with them to another district. Whether an open one is
-- missed yet depends on the day: the report reads the due dates before
-- today.
CREATE TABLE planned_missed_days (
    district_id bigint NOT NULL,
    due_date    date NOT NULL,
    planned_by  bigint NOT NULL,
    missed      integer NOT NULL,
    PRIMARY KEY (district_id, due_date, planned_by) INCLUDE (missed)
);
ALTER TABLE planned_missed_days SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);

CREATE FUNCTION planned_missed_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND (OLD.status = 'open' OR OLD.closed_on > OLD.due_date) THEN
        INSERT INTO planned_missed_days AS t (district_id, due_date, planned_by, missed)
        SELECT m.district_id, OLD.due_date, OLD.planned_by, -1 FROM members m
        WHERE m.id = OLD.member_id
        ON CONFLICT (district_id, due_date, planned_by)
            DO UPDATE SET missed = t.missed + EXCLUDED.missed;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND (NEW.status = 'open' OR NEW.closed_on > NEW.due_date) THEN
        INSERT INTO planned_missed_days AS t (district_id, due_date, planned_by, missed)
        SELECT m.district_id, NEW.due_date, NEW.planned_by, 1 FROM members m
        WHERE m.id = NEW.member_id
        ON CONFLICT (district_id, due_date, planned_by)
            DO UPDATE SET missed = t.missed + EXCLUDED.missed;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER planned_follow_ups_missed_rows AFTER INSERT OR DELETE ON planned_follow_ups
    FOR EACH ROW EXECUTE FUNCTION planned_missed_rows();
CREATE TRIGGER planned_follow_ups_missed_update
    AFTER UPDATE OF member_id, planned_by, due_date, status, closed_on ON planned_follow_ups
    FOR EACH ROW
    WHEN ((OLD.member_id, OLD.planned_by, OLD.due_date, OLD.status, OLD.closed_on)
          IS DISTINCT FROM (NEW.member_id, NEW.planned_by, NEW.due_date, NEW.status, NEW.closed_on))
    EXECUTE FUNCTION planned_missed_rows();

-- A member moved to another district takes their missed planned
-- follow-ups along. (A member with planned follow-ups cannot be deleted:
-- the planned follow-ups refer to them.)
CREATE FUNCTION members_planned_missed_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO planned_missed_days AS t (district_id, due_date, planned_by, missed)
    SELECT d.district_id, p.due_date, p.planned_by, d.sign * count(*)
    FROM planned_follow_ups p
    CROSS JOIN (VALUES (OLD.district_id, -1), (NEW.district_id, 1)) d (district_id, sign)
    WHERE p.member_id = NEW.id AND (p.status = 'open' OR p.closed_on > p.due_date)
    GROUP BY d.district_id, d.sign, p.due_date, p.planned_by
    ON CONFLICT (district_id, due_date, planned_by)
        DO UPDATE SET missed = t.missed + EXCLUDED.missed;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_planned_missed_moved AFTER UPDATE OF district_id ON members
    FOR EACH ROW WHEN (OLD.district_id IS DISTINCT FROM NEW.district_id)
    EXECUTE FUNCTION members_planned_missed_moved();

-- Every missed planned follow-up counted from scratch.
CREATE FUNCTION planned_missed_days_count() RETURNS void
LANGUAGE sql AS $$
    TRUNCATE planned_missed_days;
    INSERT INTO planned_missed_days (district_id, due_date, planned_by, missed)
    SELECT m.district_id, p.due_date, p.planned_by, count(*)
    FROM planned_follow_ups p JOIN members m ON m.id = p.member_id
    WHERE p.status = 'open' OR p.closed_on > p.due_date
    GROUP BY 1, 2, 3;
$$;

-- Migration 0037's rebuild (the bulk loader pauses these triggers), then
-- this tally.
ALTER FUNCTION derived_tables_rebuild() RENAME TO derived_tables_rebuild_0037;

CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derived_tables_rebuild_0037();
    PERFORM planned_missed_days_count();
END
$$;

-- What is there already.
SELECT planned_missed_days_count();
