-- Members held in « Inscription (vérification) » by a late renewal, per
-- formula, term and renewal date, for the network and per district
-- (issue 10). The homes' counts by stage took them off their stage by date
-- and added them to the first stage, reading each of them on the partial
-- index of migration 0026: 3,740 at 100,000 members, 37,129 at a million
-- in the bench data (38 ms per visit of the direction's home). These
-- tallies hold at most one row per formula, term and date (and district),
-- whatever the size of the network. Kept by triggers in the same
-- transaction as the write.
--
-- Held: active, renewed late (welcome_from set, after the cycle began)
-- and no follow-up yet in the welcome stage. The pages' own test adds
-- « welcome_from <= today »: welcome_from is the day the late renewal was
-- recorded, never after the day a page is shown, so the tallies leave it
-- out.
CREATE FUNCTION member_is_held(status text, welcome_from date, stages_done text[],
                               renewal_date date, term_months integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT status = 'active' AND welcome_from IS NOT NULL
       AND NOT (stages_done @> '{welcome}'::text[])
       AND welcome_from > (renewal_date - make_interval(months => term_months))::date
$$;

CREATE TABLE held_days (
    formula      text NOT NULL,
    term_months  integer NOT NULL,
    renewal_date date NOT NULL,
    held         integer NOT NULL,
    PRIMARY KEY (formula, term_months, renewal_date) INCLUDE (held)
);

CREATE TABLE district_held_days (
    district_id  bigint NOT NULL,
    formula      text NOT NULL,
    term_months  integer NOT NULL,
    renewal_date date NOT NULL,
    held         integer NOT NULL,
    PRIMARY KEY (district_id, formula, term_months, renewal_date) INCLUDE (held)
);

ALTER TABLE held_days SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);
ALTER TABLE district_held_days SET (autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 200);

-- The member's old row counted out if it was held, its new row counted in
-- if it is (summed by key first: both may fall on the same key).
CREATE FUNCTION held_days_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'INSERT' OR NOT member_is_held(OLD.status, OLD.welcome_from, OLD.stages_done,
                                               OLD.renewal_date, OLD.term_months))
       AND (TG_OP = 'DELETE' OR NOT member_is_held(NEW.status, NEW.welcome_from,
                                                   NEW.stages_done, NEW.renewal_date,
                                                   NEW.term_months)) THEN
        RETURN NULL;
    END IF;
    WITH x (district_id, formula, term_months, renewal_date, n) AS (
        SELECT OLD.district_id, OLD.formula, OLD.term_months, OLD.renewal_date, -1
        WHERE TG_OP <> 'INSERT'
          AND member_is_held(OLD.status, OLD.welcome_from, OLD.stages_done, OLD.renewal_date,
                             OLD.term_months)
        UNION ALL
        SELECT NEW.district_id, NEW.formula, NEW.term_months, NEW.renewal_date, 1
        WHERE TG_OP <> 'DELETE'
          AND member_is_held(NEW.status, NEW.welcome_from, NEW.stages_done, NEW.renewal_date,
                             NEW.term_months)
    ), network AS (
        INSERT INTO held_days AS t (formula, term_months, renewal_date, held)
        SELECT formula, term_months, renewal_date, sum(n) FROM x GROUP BY 1, 2, 3
        ON CONFLICT (formula, term_months, renewal_date)
            DO UPDATE SET held = t.held + EXCLUDED.held
    )
    INSERT INTO district_held_days AS t (district_id, formula, term_months, renewal_date, held)
    SELECT district_id, formula, term_months, renewal_date, sum(n) FROM x GROUP BY 1, 2, 3, 4
    ON CONFLICT (district_id, formula, term_months, renewal_date)
        DO UPDATE SET held = t.held + EXCLUDED.held;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_held_days_rows AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION held_days_tally();
CREATE TRIGGER members_held_days_update
    AFTER UPDATE OF status, welcome_from, stages_done, renewal_date, term_months, formula,
                    district_id ON members
    FOR EACH ROW EXECUTE FUNCTION held_days_tally();

-- The bulk loader's rebuild learns these tallies too (the rebuild of
-- migration 0030 keeps its work under another name).
ALTER FUNCTION derived_tables_rebuild() RENAME TO derived_tables_rebuild_0030;

CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derived_tables_rebuild_0030();
    TRUNCATE held_days, district_held_days;
    INSERT INTO district_held_days (district_id, formula, term_months, renewal_date, held)
    SELECT district_id, formula, term_months, renewal_date, count(*)
    FROM members
    WHERE member_is_held(status, welcome_from, stages_done, renewal_date, term_months)
    GROUP BY 1, 2, 3, 4;
    INSERT INTO held_days (formula, term_months, renewal_date, held)
    SELECT formula, term_months, renewal_date, sum(held)
    FROM district_held_days GROUP BY 1, 2, 3;
END
$$;

INSERT INTO district_held_days (district_id, formula, term_months, renewal_date, held)
SELECT district_id, formula, term_months, renewal_date, count(*)
FROM members
WHERE member_is_held(status, welcome_from, stages_done, renewal_date, term_months)
GROUP BY 1, 2, 3, 4;
INSERT INTO held_days (formula, term_months, renewal_date, held)
SELECT formula, term_months, renewal_date, sum(held)
FROM district_held_days GROUP BY 1, 2, 3;

ANALYZE held_days;
ANALYZE district_held_days;
