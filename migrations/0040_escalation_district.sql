-- Escalations carry their member's district (as it is now), for the
-- district's team report (issue 10).
--
-- Its three escalation figures (raised per representative, answered per
-- receiver with the delays, waiting past their date) joined every
-- escalation of the period to the district's 17,800 current cycles to
-- keep those of the district's members: three hash joins, 10 ms of the
-- report's 25 at 100,000 members. With the district on the row, each is a
-- range of one index. The district is set when the escalation is written
-- and follows the member when they move, by triggers; the bulk loader,
-- which pauses them, has it set by derived_tables_rebuild().
ALTER TABLE escalations ADD COLUMN district_id bigint;
UPDATE escalations e SET district_id = m.district_id FROM members m WHERE m.id = e.member_id;
CREATE INDEX escalations_district_raised_idx ON escalations (district_id, raised_at);

CREATE FUNCTION escalations_district() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.district_id := (SELECT m.district_id FROM members m WHERE m.id = NEW.member_id);
    RETURN NEW;
END
$$;

CREATE TRIGGER escalations_district BEFORE INSERT OR UPDATE OF member_id ON escalations
    FOR EACH ROW EXECUTE FUNCTION escalations_district();

CREATE FUNCTION members_escalations_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE escalations SET district_id = NEW.district_id WHERE member_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_escalations_moved AFTER UPDATE OF district_id ON members
    FOR EACH ROW WHEN (OLD.district_id IS DISTINCT FROM NEW.district_id)
    EXECUTE FUNCTION members_escalations_moved();

-- Migration 0039's rebuild, then the escalations' districts.
ALTER FUNCTION derived_tables_rebuild() RENAME TO derived_tables_rebuild_0039;

CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derived_tables_rebuild_0039();
    UPDATE escalations e SET district_id = m.district_id
    FROM members m
    WHERE m.id = e.member_id AND e.district_id IS DISTINCT FROM m.district_id;
END
$$;
