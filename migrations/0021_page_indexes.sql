-- Indexes for pages measured by bench/load (issue 10).
--
-- The member list sorted by name (« tri=nom »): the index on names did not
-- end with the id that breaks ties, so each page sorted every active
-- member of the network (23 ms for page 40 at 100,000 members). With it,
-- a page walks the index up to its rows.
CREATE INDEX members_active_name_idx ON members (lower(last_name), lower(first_name), id)
    WHERE status = 'active';

-- The district activity page, per representative: follow-ups logged in
-- the last 30 days and members in the red state, counted from the index
-- alone instead of visiting each row.
CREATE INDEX follow_ups_author_contacts_idx ON follow_ups (author_id, at) WHERE corrects_id IS NULL;
CREATE INDEX members_red_state_idx ON members (representative_id)
    WHERE status = 'active' AND state = 'red';

-- The member list filtered by stage or colour: each stage is a range of
-- renewal dates per formula and term, walked in renewal order on this
-- index and merged (store::members::push_staged_from). It replaces the
-- index of migration 0006 on (formula, renewal_date), which had the term
-- only as an included column.
CREATE INDEX members_stage_term_idx ON members (formula, term_months, renewal_date, id)
    WHERE status = 'active';
DROP INDEX members_stage_idx;

-- The escalation queue « À traiter » (open or taken in charge), by due
-- date: a page walks this index instead of sorting every escalation
-- waiting for an answer (7,000 at a million members).
CREATE INDEX escalations_pending_due_idx ON escalations (due_on, id)
    WHERE status IN ('open', 'acknowledged');
