-- Tallies of the two queues (issue 10), kept by triggers in the same
-- transaction as the write, so that a queue's figures and the homes'
-- columns of escalations read a few rows whatever the size of the
-- network.
--
-- Billing requests per district, status and decision: the billing
-- queue's figures for a tab (how many requests, the sum of the known
-- amounts, how many without one) summed every request of the tab, 7,000
-- open ones at 100,000 members, 70,000 at a million, and every paid one
-- of the network for « Payées ». The queue reads this tally unless a
-- search needs the requests themselves.
CREATE TABLE billing_tallies (
    district_id  bigint NOT NULL,
    status       text NOT NULL,
    decision     text NOT NULL,
    requests     integer NOT NULL,
    priced       integer NOT NULL,
    amount_cents bigint NOT NULL,
    PRIMARY KEY (district_id, status, decision)
);

-- A request's old row counted out, its new row counted in, in the
-- district of its member.
CREATE FUNCTION billing_tallies_request() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Summed by key first: a new amount leaves the request under the
    -- same key, counted out and in by one row.
    INSERT INTO billing_tallies AS t (district_id, status, decision, requests, priced,
                                      amount_cents)
    SELECT district_id, status, decision, sum(requests), sum(priced), sum(amount_cents)
    FROM (
        SELECT m.district_id, OLD.status, OLD.decision, -1 AS requests,
               -(OLD.amount_cents IS NOT NULL)::int AS priced,
               -COALESCE(OLD.amount_cents, 0) AS amount_cents
        FROM members m WHERE TG_OP <> 'INSERT' AND m.id = OLD.member_id
        UNION ALL
        SELECT m.district_id, NEW.status, NEW.decision, 1, (NEW.amount_cents IS NOT NULL)::int,
               COALESCE(NEW.amount_cents, 0)
        FROM members m WHERE TG_OP <> 'DELETE' AND m.id = NEW.member_id
    ) AS x (district_id, status, decision, requests, priced, amount_cents)
    GROUP BY 1, 2, 3
    ON CONFLICT (district_id, status, decision) DO UPDATE
        SET requests = t.requests + EXCLUDED.requests,
            priced = t.priced + EXCLUDED.priced,
            amount_cents = t.amount_cents + EXCLUDED.amount_cents;
    RETURN NULL;
END
$$;

CREATE TRIGGER billing_requests_tally_rows AFTER INSERT OR DELETE ON billing_requests
    FOR EACH ROW EXECUTE FUNCTION billing_tallies_request();
CREATE TRIGGER billing_requests_tally_update
    AFTER UPDATE OF status, decision, amount_cents, member_id ON billing_requests
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.decision IS DISTINCT FROM NEW.decision
          OR OLD.amount_cents IS DISTINCT FROM NEW.amount_cents
          OR OLD.member_id IS DISTINCT FROM NEW.member_id)
    EXECUTE FUNCTION billing_tallies_request();

-- A member who changes district takes their requests along.
CREATE FUNCTION billing_tallies_member_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_tallies AS t (district_id, status, decision, requests, priced,
                                      amount_cents)
    SELECT d.district_id, b.status, b.decision, d.sign * count(*),
           d.sign * count(b.amount_cents), d.sign * COALESCE(sum(b.amount_cents), 0)
    FROM billing_requests b
    CROSS JOIN (VALUES (OLD.district_id, -1), (NEW.district_id, 1)) AS d(district_id, sign)
    WHERE b.member_id = NEW.id
    GROUP BY d.district_id, d.sign, b.status, b.decision
    ON CONFLICT (district_id, status, decision) DO UPDATE
        SET requests = t.requests + EXCLUDED.requests,
            priced = t.priced + EXCLUDED.priced,
            amount_cents = t.amount_cents + EXCLUDED.amount_cents;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_billing_tally_moved AFTER UPDATE OF district_id ON members
    FOR EACH ROW WHEN (OLD.district_id IS DISTINCT FROM NEW.district_id)
    EXECUTE FUNCTION billing_tallies_member_moved();

-- Escalations per district (of their member), level, status and due
-- date: the homes' columns « escalades en attente / en retard » per
-- district joined every waiting escalation to its member, and the queue's
-- count read every escalation of its tab; both grow with the network.
-- One row per district, level, status and due date instead.
CREATE TABLE escalation_days (
    district_id bigint NOT NULL,
    level       text NOT NULL,
    status      text NOT NULL,
    due_on      date NOT NULL,
    escalations integer NOT NULL,
    -- Every reading asks for some statuses (waiting: open, acknowledged).
    PRIMARY KEY (status, district_id, level, due_on)
);

CREATE FUNCTION escalation_days_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO escalation_days AS t (district_id, level, status, due_on, escalations)
    SELECT district_id, level, status, due_on, sum(n)
    FROM (
        SELECT m.district_id, OLD.level, OLD.status, OLD.due_on, -1 AS n
        FROM members m WHERE TG_OP <> 'INSERT' AND m.id = OLD.member_id
        UNION ALL
        SELECT m.district_id, NEW.level, NEW.status, NEW.due_on, 1
        FROM members m WHERE TG_OP <> 'DELETE' AND m.id = NEW.member_id
    ) AS x (district_id, level, status, due_on, n)
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (status, district_id, level, due_on) DO UPDATE
        SET escalations = t.escalations + EXCLUDED.escalations;
    RETURN NULL;
END
$$;

CREATE TRIGGER escalations_tally_rows AFTER INSERT OR DELETE ON escalations
    FOR EACH ROW EXECUTE FUNCTION escalation_days_row();
CREATE TRIGGER escalations_tally_update
    AFTER UPDATE OF level, status, due_on, member_id ON escalations
    FOR EACH ROW
    WHEN (OLD.level IS DISTINCT FROM NEW.level
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.due_on IS DISTINCT FROM NEW.due_on
          OR OLD.member_id IS DISTINCT FROM NEW.member_id)
    EXECUTE FUNCTION escalation_days_row();

CREATE FUNCTION escalation_days_member_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO escalation_days AS t (district_id, level, status, due_on, escalations)
    SELECT d.district_id, e.level, e.status, e.due_on, d.sign * count(*)
    FROM escalations e
    CROSS JOIN (VALUES (OLD.district_id, -1), (NEW.district_id, 1)) AS d(district_id, sign)
    WHERE e.member_id = NEW.id
    GROUP BY d.district_id, d.sign, e.level, e.status, e.due_on
    ON CONFLICT (status, district_id, level, due_on) DO UPDATE
        SET escalations = t.escalations + EXCLUDED.escalations;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_escalation_tally_moved AFTER UPDATE OF district_id ON members
    FOR EACH ROW WHEN (OLD.district_id IS DISTINCT FROM NEW.district_id)
    EXECUTE FUNCTION escalation_days_member_moved();

-- The bulk loader's rebuild (migration 0025) learns the new tallies: the
-- function of 0025 keeps its work under another name and the rebuild
-- calls it, then fills these tables.
ALTER FUNCTION derived_tables_rebuild() RENAME TO derived_tables_rebuild_0025;

CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derived_tables_rebuild_0025();
    TRUNCATE billing_tallies, escalation_days;
    INSERT INTO billing_tallies (district_id, status, decision, requests, priced, amount_cents)
    SELECT m.district_id, b.status, b.decision, count(*), count(b.amount_cents),
           COALESCE(sum(b.amount_cents), 0)
    FROM billing_requests b JOIN members m ON m.id = b.member_id
    GROUP BY 1, 2, 3;
    INSERT INTO escalation_days (district_id, level, status, due_on, escalations)
    SELECT m.district_id, e.level, e.status, e.due_on, count(*)
    FROM escalations e JOIN members m ON m.id = e.member_id
    GROUP BY 1, 2, 3, 4;
END
$$;

INSERT INTO billing_tallies (district_id, status, decision, requests, priced, amount_cents)
SELECT m.district_id, b.status, b.decision, count(*), count(b.amount_cents),
       COALESCE(sum(b.amount_cents), 0)
FROM billing_requests b JOIN members m ON m.id = b.member_id
GROUP BY 1, 2, 3;

INSERT INTO escalation_days (district_id, level, status, due_on, escalations)
SELECT m.district_id, e.level, e.status, e.due_on, count(*)
FROM escalations e JOIN members m ON m.id = e.member_id
GROUP BY 1, 2, 3, 4;

ANALYZE billing_tallies;
ANALYZE escalation_days;
