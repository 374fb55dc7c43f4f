-- « À venir » at network scale (issue 10): where the cycles due in the
-- next two months stand in billing was worked out per cycle, each looking
-- up its billing request (13,000 index probes for the network at 100,000
-- members, ten times as many at a million).
--
-- Each due cycle now carries its billing step and amount (kept by the
-- same refresh as the rest of the row, and by a trigger on
-- billing_requests), and due_month_billing tallies them per district,
-- month, formula and step in the same transaction as the write: the
-- network's or a district's table reads a few hundred rows whatever the
-- size of the network. A group or a representative reads its own cycles.
ALTER TABLE due_cycles
    -- NULL for a lost cycle; paid (renewed, or its request paid),
    -- to_request, requested or invoiced.
    ADD COLUMN billing_stage text,
    -- The amount of the request: the one the renewal paid, or the live
    -- request of an open cycle.
    ADD COLUMN billing_cents bigint;

CREATE TABLE due_month_billing (
    district_id  bigint NOT NULL,
    month        date NOT NULL,
    formula      text NOT NULL,
    stage        text NOT NULL,
    members      integer NOT NULL DEFAULT 0,
    -- How many have an amount, and its sum.
    priced       integer NOT NULL DEFAULT 0,
    amount_cents bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (district_id, month, formula, stage)
);

-- Adds (sign 1) or removes (sign -1) the given members' cycles from the
-- billing tally, as due_cycles holds them now.
CREATE FUNCTION due_month_billing_tally(ids bigint[], sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO due_month_billing AS t (district_id, month, formula, stage, members, priced,
                                        amount_cents)
    SELECT c.district_id, c.due_month, c.formula, c.billing_stage, sign * count(*),
           sign * count(c.billing_cents), sign * COALESCE(sum(c.billing_cents), 0)
    FROM due_cycles c
    WHERE c.member_id IN (SELECT unnest(ids)) AND c.billing_stage IS NOT NULL
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (district_id, month, formula, stage)
        DO UPDATE SET members = t.members + EXCLUDED.members,
                      priced = t.priced + EXCLUDED.priced,
                      amount_cents = t.amount_cents + EXCLUDED.amount_cents;
$$;

-- Migration 0015's refresh, with the billing step of each cycle (as
-- store::reports::billing looked it up) and the billing tally.
CREATE OR REPLACE FUNCTION due_cycles_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    SELECT due_month_billing_tally(ids, -1);
    DELETE FROM due_cycles WHERE member_id IN (SELECT unnest(ids));
    INSERT INTO due_cycles (member_id, renewal_id, cycle, due_on, due_month, outcome, district_id,
                            group_id, formula, representative_id, stages, pre_followed,
                            last_at, last_id, last_state, billing_stage, billing_cents)
    SELECT x.member_id, x.renewal_id, x.cycle, x.due_on, date_trunc('month', x.due_on)::date,
           x.outcome, x.district_id, x.group_id, x.formula, x.representative_id,
           COALESCE(st.stages, '{}'), pre_renewal_followed(x.formula, COALESCE(st.stages, '{}')),
           lf.at, lf.id, lf.state,
           CASE WHEN x.outcome = 'lost' THEN NULL WHEN x.outcome = 'renewed' THEN 'paid'
                WHEN b.id IS NULL THEN 'to_request' WHEN b.status = 'requested' THEN 'requested'
                WHEN b.status = 'paid' THEN 'paid' ELSE 'invoiced' END,
           CASE WHEN x.outcome = 'renewed' THEN rb.amount_cents
                WHEN x.outcome = 'active' THEN b.amount_cents END
    FROM (
        SELECT r.member_id, r.id AS renewal_id, r.cycle - 1 AS cycle, r.previous_renewal AS due_on,
               'renewed' AS outcome, m.district_id, m.group_id, r.previous_formula AS formula,
               m.representative_id, r.billing_request_id
        FROM renewals r JOIN members m ON m.id = r.member_id
        WHERE r.member_id IN (SELECT unnest(ids))
        UNION ALL
        SELECT m.id, 0, m.cycle, m.renewal_date, m.status, m.district_id, m.group_id, m.formula,
               m.representative_id, NULL
        FROM members m WHERE m.id IN (SELECT unnest(ids))
    ) x
    LEFT JOIN LATERAL (
        SELECT array_agg(s.stage_key ORDER BY s.stage_key) AS stages FROM stage_follow_ups s
        WHERE s.member_id = x.member_id AND s.cycle = x.cycle
    ) st ON true
    LEFT JOIN LATERAL (
        SELECT f.at, f.id, f.state FROM follow_ups f
        WHERE f.member_id = x.member_id AND f.corrects_id IS NULL
          AND f.at < (x.due_on::timestamp AT TIME ZONE 'UTC')
        ORDER BY f.at DESC, f.id DESC LIMIT 1
    ) lf ON true
    LEFT JOIN LATERAL (
        SELECT b.id, b.status, b.amount_cents FROM billing_requests b
        WHERE x.outcome = 'active' AND b.member_id = x.member_id AND b.cycle = x.cycle
          AND b.status <> 'cancelled'
        LIMIT 1
    ) b ON true
    LEFT JOIN billing_requests rb ON rb.id = x.billing_request_id;
    SELECT due_month_billing_tally(ids, 1);
$$;

-- A billing request asked for, moved a step, priced or cancelled: its
-- member's cycles counted again (a member has a handful).
CREATE FUNCTION due_cycles_billing_requests() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT DISTINCT member_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT DISTINCT member_id FROM old_rows));
    ELSE
        PERFORM due_cycles_refresh(ARRAY(
            SELECT o.member_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.member_id, o.cycle, o.status, o.amount_cents)
                  IS DISTINCT FROM (n.member_id, n.cycle, n.status, n.amount_cents)
            UNION
            SELECT n.member_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.member_id, o.cycle, o.status, o.amount_cents)
                  IS DISTINCT FROM (n.member_id, n.cycle, n.status, n.amount_cents)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER billing_requests_due_cycles_insert AFTER INSERT ON billing_requests
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_billing_requests();
CREATE TRIGGER billing_requests_due_cycles_delete AFTER DELETE ON billing_requests
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_billing_requests();
CREATE TRIGGER billing_requests_due_cycles_update AFTER UPDATE ON billing_requests
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION due_cycles_billing_requests();

-- derived_tables_rebuild() learns the billing steps and their tally in
-- migration 0025, which redefines it with the month tallies.

-- What is there already.
UPDATE due_cycles c
SET billing_stage = CASE WHEN c.outcome = 'renewed' THEN 'paid'
                         WHEN b.id IS NULL THEN 'to_request'
                         WHEN b.status = 'requested' THEN 'requested'
                         WHEN b.status = 'paid' THEN 'paid' ELSE 'invoiced' END,
    billing_cents = CASE WHEN c.outcome = 'renewed' THEN rb.amount_cents ELSE b.amount_cents END
FROM due_cycles c2
LEFT JOIN billing_requests b ON c2.outcome = 'active' AND b.member_id = c2.member_id
    AND b.cycle = c2.cycle AND b.status <> 'cancelled'
LEFT JOIN renewals r ON c2.outcome = 'renewed' AND r.id = c2.renewal_id
LEFT JOIN billing_requests rb ON rb.id = r.billing_request_id
WHERE c2.outcome <> 'lost' AND c.member_id = c2.member_id AND c.renewal_id = c2.renewal_id;

INSERT INTO due_month_billing (district_id, month, formula, stage, members, priced, amount_cents)
SELECT district_id, due_month, formula, billing_stage, count(*), count(billing_cents),
       COALESCE(sum(billing_cents), 0)
FROM due_cycles WHERE billing_stage IS NOT NULL GROUP BY 1, 2, 3, 4;

-- Members removed: their cycles leave the billing tally too (migration
-- 0015 deleted them directly).
CREATE OR REPLACE FUNCTION due_cycles_members_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM due_cycles_refresh(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM due_cycles_refresh(ARRAY(SELECT id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;
