-- The district activity page counts each representative's planned
-- follow-ups missed in the last 30 days: on the index of all due dates it
-- read every planned follow-up of the network in the window, once per
-- representative.
CREATE INDEX planned_follow_ups_planner_idx ON planned_follow_ups (planned_by, due_date);

-- A member's billing requests (the member page): only a partial index on
-- live requests existed, so the page read every request of the network.
CREATE INDEX billing_requests_member_idx ON billing_requests (member_id, requested_at DESC);

-- Counts by stage of a district's or a portfolio's active members: each
-- stage is a range of renewal dates per formula and term, read from these
-- indexes alone.
CREATE INDEX members_district_stage_idx ON members (district_id, formula, term_months, renewal_date)
    WHERE status = 'active';
CREATE INDEX members_representative_stage_idx
    ON members (representative_id, formula, term_months, renewal_date)
    WHERE status = 'active';
