-- Who answered the escalations raised in a period, and how fast (the
-- team report's receivers, the escalation queue's first responses): the
-- answered escalations of the period are read in the order they were
-- raised, with everything those figures use, from this index alone. They
-- read every escalation row of the table (30,000 in a network of a
-- million members) to keep half of them.
CREATE INDEX escalations_answered_idx ON escalations (raised_at)
    INCLUDE (acknowledged_at, resolved_at, acknowledged_by, resolved_by, district_id, due_on)
    WHERE COALESCE(acknowledged_at, resolved_at) IS NOT NULL;
