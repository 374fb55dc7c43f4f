-- The homes' counts by stage and colour read the tallies of active
-- members per renewal date (renewal_days for the network,
-- district_renewal_days for a district; migrations 0014 and 0022), one
-- range of dates per formula, term and stage: 158 ranges, 6,500 rows for
-- the network at 100,000 members. Each range was a bitmap scan of the key
-- and then a visit of the table for the count; with the count in the key's
-- index the ranges are read on the index alone (4.3 → 1.9 ms for the
-- network's counts on the bench data).
ALTER TABLE renewal_days DROP CONSTRAINT renewal_days_pkey,
    ADD CONSTRAINT renewal_days_pkey PRIMARY KEY (formula, term_months, renewal_date)
        INCLUDE (active);
ALTER TABLE district_renewal_days DROP CONSTRAINT district_renewal_days_pkey,
    ADD CONSTRAINT district_renewal_days_pkey
        PRIMARY KEY (district_id, formula, term_months, renewal_date) INCLUDE (active);

-- An index-only read needs the table's pages marked all-visible, which
-- only a vacuum does; every write of a member rewrites a row of these
-- tallies. They are small (a few hundred pages at most): vacuumed after a
-- few hundred changes rather than after a fifth of their rows.
ALTER TABLE renewal_days SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);
ALTER TABLE district_renewal_days SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);
ALTER TABLE escalation_days SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);
ALTER TABLE billing_tallies SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);

-- The members and their follow-ups are read on covering indexes too (the
-- lists, the district's stages to do, the activity); each follow-up
-- rewrites its member's row. Vacuumed after 2 % of changes (2,000 at
-- 100,000 members) instead of 20 %, their index-only reads do not go back
-- to the table for most rows.
ALTER TABLE members SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE follow_ups SET (autovacuum_vacuum_insert_scale_factor = 0.02);
