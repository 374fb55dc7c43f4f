-- Network-wide tallies for the homes (issue 10): counting 100,000 members
-- by stage, district and month on every request cost the direction's home
-- hundreds of milliseconds. These two small tables are kept by triggers in
-- the same transaction as the write (whoever writes: the app, an import,
-- the demo, a bench), so they are never stale.
--
-- renewal_days: active members per formula, term and renewal date. A
-- stage is a range of renewal dates per formula and term, so the network's
-- stage counts read at most formulas × terms × days rows (about 10,000,
-- however many members there are).
CREATE TABLE renewal_days (
    formula      text NOT NULL,
    term_months  integer NOT NULL,
    renewal_date date NOT NULL,
    active       integer NOT NULL,
    PRIMARY KEY (formula, term_months, renewal_date)
);

-- due_months: per district, formula and month of a renewal date, the cycles
-- due then as the retention report counts them: renewed (a recorded
-- renewal's previous date), lost (a lost member's renewal date), and the
-- active members whose renewal date falls in that month (pending once it
-- has passed), orphans among them.
CREATE TABLE due_months (
    district_id bigint NOT NULL REFERENCES districts (id),
    month       date NOT NULL CHECK (month = date_trunc('month', month)::date),
    formula     text NOT NULL,
    active      integer NOT NULL DEFAULT 0,
    orphans     integer NOT NULL DEFAULT 0,
    lost        integer NOT NULL DEFAULT 0,
    renewed     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (district_id, month, formula)
);

-- Adds (sign 1) or removes (sign -1) one member's share of the tallies.
-- (No CHECK (n >= 0) on the counts: an upsert checks the row it would
-- insert, -1, before it finds the row to update.)
CREATE FUNCTION tally_member(m members, sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO renewal_days AS t (formula, term_months, renewal_date, active)
    SELECT m.formula, m.term_months, m.renewal_date, sign WHERE m.status = 'active'
    ON CONFLICT (formula, term_months, renewal_date)
        DO UPDATE SET active = t.active + EXCLUDED.active;
    INSERT INTO due_months AS t (district_id, month, formula, active, orphans, lost)
    SELECT m.district_id, date_trunc('month', m.renewal_date)::date, m.formula,
           CASE WHEN m.status = 'active' THEN sign ELSE 0 END,
           CASE WHEN m.status = 'active' AND m.representative_id IS NULL THEN sign ELSE 0 END,
           CASE WHEN m.status = 'lost' THEN sign ELSE 0 END
    ON CONFLICT (district_id, month, formula)
        DO UPDATE SET active = t.active + EXCLUDED.active,
                      orphans = t.orphans + EXCLUDED.orphans,
                      lost = t.lost + EXCLUDED.lost;
$$;

-- A member's recorded renewals counted in (sign 1) or out of (sign -1) a
-- district (renewals follow the member's current district, as in the
-- retention report).
CREATE FUNCTION tally_member_renewals(member bigint, district bigint, sign integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO due_months AS t (district_id, month, formula, renewed)
    SELECT district, date_trunc('month', r.previous_renewal)::date, r.previous_formula,
           sign * count(*)
    FROM renewals r WHERE r.member_id = member
    GROUP BY 2, 3
    ON CONFLICT (district_id, month, formula)
        DO UPDATE SET renewed = t.renewed + EXCLUDED.renewed;
$$;

CREATE FUNCTION members_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM tally_member(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM tally_member(NEW, 1);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.district_id <> NEW.district_id THEN
        PERFORM tally_member_renewals(NEW.id, OLD.district_id, -1);
        PERFORM tally_member_renewals(NEW.id, NEW.district_id, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_tally_rows AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION members_tally();
-- Only the columns the tallies read: a follow-up (state, last contact)
-- or a contact detail changes nothing here and costs nothing.
CREATE TRIGGER members_tally_update
    AFTER UPDATE OF status, formula, term_months, renewal_date, district_id, representative_id
    ON members FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.formula IS DISTINCT FROM NEW.formula
          OR OLD.term_months IS DISTINCT FROM NEW.term_months
          OR OLD.renewal_date IS DISTINCT FROM NEW.renewal_date
          OR OLD.district_id IS DISTINCT FROM NEW.district_id
          OR (OLD.representative_id IS NULL) <> (NEW.representative_id IS NULL))
    EXECUTE FUNCTION members_tally();

CREATE FUNCTION renewals_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r renewals;
    sign integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        r := NEW;
        sign := 1;
    ELSE
        r := OLD;
        sign := -1;
    END IF;
    INSERT INTO due_months AS t (district_id, month, formula, renewed)
    SELECT m.district_id, date_trunc('month', r.previous_renewal)::date, r.previous_formula, sign
    FROM members m WHERE m.id = r.member_id
    ON CONFLICT (district_id, month, formula)
        DO UPDATE SET renewed = t.renewed + EXCLUDED.renewed;
    RETURN NULL;
END
$$;

CREATE TRIGGER renewals_tally AFTER INSERT OR DELETE ON renewals
    FOR EACH ROW EXECUTE FUNCTION renewals_tally();

-- What is there already.
INSERT INTO renewal_days (formula, term_months, renewal_date, active)
SELECT formula, term_months, renewal_date, count(*)
FROM members WHERE status = 'active'
GROUP BY 1, 2, 3;

INSERT INTO due_months AS t (district_id, month, formula, active, orphans, lost, renewed)
SELECT district_id, month, formula, sum(active), sum(orphans), sum(lost), sum(renewed)
FROM (
    SELECT district_id, date_trunc('month', renewal_date)::date AS month, formula,
           count(*) FILTER (WHERE status = 'active') AS active,
           count(*) FILTER (WHERE status = 'active' AND representative_id IS NULL) AS orphans,
           count(*) FILTER (WHERE status = 'lost') AS lost,
           0 AS renewed
    FROM members GROUP BY 1, 2, 3
    UNION ALL
    SELECT m.district_id, date_trunc('month', r.previous_renewal)::date, r.previous_formula,
           0, 0, 0, count(*)
    FROM renewals r JOIN members m ON m.id = r.member_id GROUP BY 1, 2, 3
) x
GROUP BY 1, 2, 3;
