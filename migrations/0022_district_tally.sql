-- Active members per district, formula, term and renewal date (issue 10):
-- the district manager's home counted its district's members stage by
-- stage on their index, which grows with the district (16,000 members at
-- 100,000 in the network, 160,000 at a million). This tally holds at most
-- one row per renewal date, formula and term of the district, whatever
-- its size, as renewal_days (migration 0014) does for the network. Kept
-- by triggers in the same transaction as the write.
CREATE TABLE district_renewal_days (
    district_id  bigint NOT NULL,
    formula      text NOT NULL,
    term_months  integer NOT NULL,
    renewal_date date NOT NULL,
    active       integer NOT NULL,
    PRIMARY KEY (district_id, formula, term_months, renewal_date)
);

-- One row-level function for every write: the member's old row counted
-- out, its new row counted in. (A bulk load pauses it and rebuilds the
-- tally at the end, see derived_tables_rebuild.)
CREATE FUNCTION district_renewal_days_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO district_renewal_days AS t (district_id, formula, term_months, renewal_date, active)
    SELECT OLD.district_id, OLD.formula, OLD.term_months, OLD.renewal_date, -1
    WHERE TG_OP <> 'INSERT' AND OLD.status = 'active'
    UNION ALL
    SELECT NEW.district_id, NEW.formula, NEW.term_months, NEW.renewal_date, 1
    WHERE TG_OP <> 'DELETE' AND NEW.status = 'active'
    ON CONFLICT (district_id, formula, term_months, renewal_date)
        DO UPDATE SET active = t.active + EXCLUDED.active;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_district_days_rows AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION district_renewal_days_tally();
CREATE TRIGGER members_district_days_update
    AFTER UPDATE OF status, formula, term_months, renewal_date, district_id ON members
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.formula IS DISTINCT FROM NEW.formula
          OR OLD.term_months IS DISTINCT FROM NEW.term_months
          OR OLD.renewal_date IS DISTINCT FROM NEW.renewal_date
          OR OLD.district_id IS DISTINCT FROM NEW.district_id)
    EXECUTE FUNCTION district_renewal_days_tally();

INSERT INTO district_renewal_days (district_id, formula, term_months, renewal_date, active)
SELECT district_id, formula, term_months, renewal_date, count(*)
FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4;

ANALYZE district_renewal_days;
