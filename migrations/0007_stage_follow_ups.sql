-- Which stages of each cycle got a follow-up while they were current
-- (SPEC §3: a stage is done once a follow-up is logged in it). Kept on
-- write so that the to-do list, the activity page and the reports read a
-- few rows per member instead of scanning every follow-up ever logged.
--
-- A statement-level trigger keeps it in the same transaction as the
-- follow-up, whoever writes it (the app, the demo, an import, a bench).
-- Follow-ups are append-only (a correction is a new row), so inserts are
-- the only event; a correction does not count as another contact.

CREATE TABLE stage_follow_ups (
    member_id   bigint NOT NULL REFERENCES members (id),
    cycle       integer NOT NULL,
    stage_key   text NOT NULL,
    first_at    timestamptz NOT NULL,
    last_at     timestamptz NOT NULL,
    follow_ups  integer NOT NULL CHECK (follow_ups > 0),
    PRIMARY KEY (member_id, cycle, stage_key)
);

CREATE FUNCTION stage_follow_ups_summarise() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stage_follow_ups AS s (member_id, cycle, stage_key, first_at, last_at, follow_ups)
    SELECT member_id, cycle, stage_key, min(at), max(at), count(*)
    FROM new_rows
    WHERE stage_key IS NOT NULL AND corrects_id IS NULL
    GROUP BY member_id, cycle, stage_key
    ON CONFLICT (member_id, cycle, stage_key) DO UPDATE
        SET first_at = least(s.first_at, EXCLUDED.first_at),
            last_at = greatest(s.last_at, EXCLUDED.last_at),
            follow_ups = s.follow_ups + EXCLUDED.follow_ups;
    RETURN NULL;
END
$$;

CREATE TRIGGER follow_ups_stage_summary
    AFTER INSERT ON follow_ups
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION stage_follow_ups_summarise();

INSERT INTO stage_follow_ups (member_id, cycle, stage_key, first_at, last_at, follow_ups)
SELECT member_id, cycle, stage_key, min(at), max(at), count(*)
FROM follow_ups
WHERE stage_key IS NOT NULL AND corrects_id IS NULL
GROUP BY member_id, cycle, stage_key;
