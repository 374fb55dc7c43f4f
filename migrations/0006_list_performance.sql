-- Lists at 100,000 members (benches/member_list.rs): the default order
-- walks an index, stage ranges and counts stay on an index restricted to
-- active members, and the text search uses trigrams.

CREATE INDEX members_active_renewal_idx ON members (renewal_date, id) WHERE status = 'active';

DROP INDEX members_stage_idx;
CREATE INDEX members_stage_idx ON members (formula, renewal_date)
    INCLUDE (term_months) WHERE status = 'active';

CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- The same expression as the search in src/store/members.rs.
CREATE INDEX members_search_idx ON members USING gin (
    (lower(first_name || ' ' || last_name || ' ' || business_name || ' ' || profession || ' ' || email))
    gin_trgm_ops
);
