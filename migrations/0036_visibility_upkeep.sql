-- The reports, the homes and the activity read the due cycles, planned
-- follow-ups, escalations, stage follow-ups, meeting lines and risk scores
-- on covering indexes (migrations 0015, 0019, 0021, 0024, 0033). Such a read
-- skips the table only on pages the visibility map marks all-visible,
-- which only a vacuum does, and every follow-up rewrites its member's
-- current cycle. With the default thresholds (a fifth of the table
-- changed, or a fifth inserted), a network of 100,000 members went weeks
-- between vacuums of these tables: measured on the bench data with none of
-- their pages all-visible, the district's team report ran its cycle joins
-- as bitmap scans of the table (5,700 pages per join, 85 ms of queries);
-- after a vacuum, 40 ms, and 18 → 57 requests a second under load.
-- Vacuumed after 2 % of their rows change or arrive (4,400 changes for the
-- cycles at 100,000 members), like the members and follow-ups (0031).
ALTER TABLE due_cycles SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE planned_follow_ups SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE stage_follow_ups SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE meeting_lines SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE member_risks SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE cycle_risks SET (autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02);
-- A few thousand rows: after 200 changes rather than a fifth of them.
ALTER TABLE escalations SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200, autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 200);
