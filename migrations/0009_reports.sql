-- Reports (issue 8): each report is a few aggregate queries on indexed
-- columns. The plans at 100,000 members and 1,000,000 follow-ups showed
-- scans where these indexes now serve.

-- Lost members by the renewal date they left on (retention) and by the
-- date they left (losses).
CREATE INDEX members_lost_renewal_idx ON members (renewal_date) WHERE status = 'lost';
CREATE INDEX members_lost_on_idx ON members (lost_on) WHERE status = 'lost';

-- Planned follow-ups missed in a period (open or closed late), escalations
-- raised in a period.
CREATE INDEX planned_follow_ups_due_all_idx ON planned_follow_ups (due_date);
CREATE INDEX escalations_raised_idx ON escalations (raised_at);

-- The last follow-up before a due date, read from the index alone.
CREATE INDEX follow_ups_member_state_idx ON follow_ups (member_id, at DESC)
    INCLUDE (state) WHERE corrects_id IS NULL;

-- Follow-ups logged per author, month and member district: the team
-- report reads a few rows per representative instead of every follow-up
-- of the period. Kept by a statement-level trigger in the same
-- transaction as the follow-ups (corrections are not new contacts).
CREATE TABLE follow_up_monthly (
    author_id   bigint NOT NULL REFERENCES users (id),
    district_id bigint NOT NULL REFERENCES districts (id),
    month       date NOT NULL CHECK (month = date_trunc('month', month)::date),
    follow_ups  integer NOT NULL CHECK (follow_ups > 0),
    PRIMARY KEY (author_id, month, district_id)
);
CREATE INDEX follow_up_monthly_district_idx ON follow_up_monthly (district_id, month);

CREATE FUNCTION follow_up_monthly_summarise() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO follow_up_monthly AS s (author_id, district_id, month, follow_ups)
    SELECT n.author_id, m.district_id,
           date_trunc('month', n.at AT TIME ZONE 'America/Toronto')::date, count(*)
    FROM new_rows n JOIN members m ON m.id = n.member_id
    WHERE n.corrects_id IS NULL
    GROUP BY 1, 2, 3
    ON CONFLICT (author_id, month, district_id) DO UPDATE
        SET follow_ups = s.follow_ups + EXCLUDED.follow_ups;
    RETURN NULL;
END
$$;

CREATE TRIGGER follow_ups_monthly_summary
    AFTER INSERT ON follow_ups
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION follow_up_monthly_summarise();

INSERT INTO follow_up_monthly (author_id, district_id, month, follow_ups)
SELECT f.author_id, m.district_id,
       date_trunc('month', f.at AT TIME ZONE 'America/Toronto')::date, count(*)
FROM follow_ups f JOIN members m ON m.id = f.member_id
WHERE f.corrects_id IS NULL
GROUP BY 1, 2, 3;
