-- Members held in their first stage by a late renewal (migration 0016):
-- the renewal was recorded after its date and « Inscription
-- (vérification) » has no follow-up yet in the new cycle. Until it has,
-- that stage stays their current one, whatever the date says, and every
-- count or filter by stage corrects its count by date with these members.
-- They are few (each is a task on someone's day); these indexes find them
-- per formula, term and renewal date (in list order) without reading the
-- others (nor, for a list's filters, the table): across the network, in
-- one district, in one portfolio. The queries state the same conditions,
-- with the same written key.
CREATE INDEX members_late_unwelcomed_idx
    ON members (formula, term_months, renewal_date, id)
    INCLUDE (district_id, group_id, representative_id, state, welcome_from, stages_done)
    WHERE status = 'active' AND welcome_from IS NOT NULL
      AND NOT (stages_done @> '{welcome}'::text[]);
CREATE INDEX members_late_unwelcomed_district_idx
    ON members (district_id, formula, term_months, renewal_date, id)
    INCLUDE (group_id, representative_id, state, welcome_from, stages_done)
    WHERE status = 'active' AND welcome_from IS NOT NULL
      AND NOT (stages_done @> '{welcome}'::text[]);
CREATE INDEX members_late_unwelcomed_representative_idx
    ON members (representative_id, formula, term_months, renewal_date, id)
    INCLUDE (group_id, state, welcome_from, stages_done)
    WHERE status = 'active' AND welcome_from IS NOT NULL
      AND NOT (stages_done @> '{welcome}'::text[]);
