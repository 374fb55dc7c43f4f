-- A renewal recorded after its date: the new cycle's first stage
-- (« Inscription (vérification) ») counts from the day it was recorded and
-- stays a task until followed up. NULL when recorded on time.
ALTER TABLE members ADD COLUMN welcome_from date;

-- What a renewal replaced besides the date and formula, so that direction
-- can undo one recorded by mistake (the renewal row is then deleted; the
-- tallies follow through their triggers, the audit log keeps the trace):
-- the group left with a formula change, and the late start above.
ALTER TABLE renewals ADD COLUMN previous_group_id bigint REFERENCES groups (id);
ALTER TABLE renewals ADD COLUMN previous_group_kind char(1);
ALTER TABLE renewals ADD COLUMN previous_welcome_from date;
