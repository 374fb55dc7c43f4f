-- The stages of each member's current cycle that got a follow-up, on the
-- member (issue 10). The district activity page counts, per
-- representative, the active members whose current stage has none: it
-- probed stage_follow_ups once per member of the district (16,000 probes,
-- most of the page's 100 ms). With the stages on the member, each stage's
-- range of renewal dates is read from one covering index and nothing else.
--
-- Kept by triggers in the same transaction as the write: a stage's first
-- follow-up in the member's cycle adds it; a new cycle (a renewal
-- recorded or undone) reads its stages again from stage_follow_ups.
-- Sorted, without duplicates, as stage_follow_ups gives them.
ALTER TABLE members ADD COLUMN stages_done text[] NOT NULL DEFAULT '{}';

UPDATE members m SET stages_done = s.keys
FROM (
    SELECT s.member_id, array_agg(s.stage_key ORDER BY s.stage_key) AS keys
    FROM stage_follow_ups s JOIN members m ON m.id = s.member_id AND s.cycle = m.cycle
    GROUP BY 1
) s
WHERE m.id = s.member_id;

CREATE FUNCTION members_stages_done_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members m
    SET stages_done = ARRAY(SELECT DISTINCT k FROM unnest(m.stages_done || NEW.stage_key) k ORDER BY k)
    WHERE m.id = NEW.member_id AND m.cycle = NEW.cycle AND NOT (NEW.stage_key = ANY (m.stages_done));
    RETURN NULL;
END
$$;

CREATE TRIGGER stage_follow_ups_members_done AFTER INSERT ON stage_follow_ups
    FOR EACH ROW EXECUTE FUNCTION members_stages_done_added();

CREATE FUNCTION members_stages_done_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.stages_done := ARRAY(SELECT s.stage_key FROM stage_follow_ups s
                             WHERE s.member_id = NEW.id AND s.cycle = NEW.cycle
                             ORDER BY s.stage_key);
    RETURN NEW;
END
$$;

CREATE TRIGGER members_stages_done_cycle BEFORE UPDATE OF cycle ON members
    FOR EACH ROW WHEN (OLD.cycle IS DISTINCT FROM NEW.cycle)
    EXECUTE FUNCTION members_stages_done_cycle();

-- A district's active members per stage range, with what the activity
-- page counts, from the index alone. It replaces the narrower index of
-- migration 0019 (same keys, same rows).
CREATE INDEX members_district_done_idx
    ON members (district_id, formula, term_months, renewal_date)
    INCLUDE (representative_id, stages_done)
    WHERE status = 'active';
DROP INDEX members_district_stage_idx;
