-- Who answered the escalations raised in a period, and how fast (the
-- team report's receivers, the escalation queue's first responses): the
-- answered escalations of the period are read in the order they were
-- raised, with everything those figures use, from this index alone. They
-- read every escalation row of the table (30,000 in a network of a
-- million members) to keep half of them.
CREATE INDEX escalations_answered_idx ON escalations (raised_at)
    INCLUDE (acknowledged_at, resolved_at, acknowledged_by, resolved_by, district_id, due_on)
    WHERE COALESCE(acknowledged_at, resolved_at) IS NOT NULL;

-- The escalations waiting past their due date, counted per receiving role
-- and district (the same report): the queue's index carries what that
-- count needs, so it no longer reads each waiting escalation's row.
DROP INDEX escalations_pending_due_idx;
CREATE INDEX escalations_pending_due_idx ON escalations (due_on, id) INCLUDE (level, district_id)
    WHERE status IN ('open', 'acknowledged');
