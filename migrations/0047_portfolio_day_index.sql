-- « Aujourd'hui » decides what to show from a few facts of each active
-- member of the portfolio (stage by date, stages done, state, last
-- contact, names for the order) and reads whole rows only for the lines it
-- shows (`store::today`). Those facts are carried by this index, so the
-- portfolio is read from the index alone: 354 members in 0.6 ms instead of
-- their 342 table pages plus a score, a group name and a billing request
-- looked up for each (4,292 pages, 4.5 ms; BENCHMARKS.md).
--
-- It serves every read of a representative's active members, so the older
-- index on (representative_id, last_contact_at), kept for the touch list
-- that the page now draws from these facts, is dropped: a follow-up still
-- writes one index entry of this kind, not two.
CREATE INDEX members_portfolio_day_idx ON members (representative_id)
    INCLUDE (id, formula, term_months, renewal_date, welcome_from, stages_done, state,
             last_contact_at, cycle, last_name, first_name)
    WHERE status = 'active';
DROP INDEX members_last_contact_idx;
