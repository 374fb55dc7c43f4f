-- The renewal risk (issue 14, points 4 to 6): a score from 0 to 100 per
-- active member, the sum of plain factors whose points direction can read
-- (risk_weights), each with the figure that explains it.
--
-- One function computes it from history as it stood on any date
-- (risk_compute): today's score for the lists, the score 60 days before a
-- past renewal date for the calibration report. Both are kept in tables
-- (member_risks, cycle_risks) that every write concerning a member marks
-- as to be recomputed in the same transaction; the pages recompute what is
-- marked (and what was computed on another day) before they read, so a
-- page never shows a score older than the last write or than today.

-- ------------------------------------------------------------ the weights

CREATE TABLE risk_weights (
    factor    text PRIMARY KEY,
    position  integer NOT NULL UNIQUE,
    -- The points the factor adds (negative: it protects). For a factor
    -- with a scale, the most it can add.
    points    integer NOT NULL CHECK (points BETWEEN -100 AND 100),
    -- The rule, in French, as the formula page shows it.
    rule      text NOT NULL CHECK (length(rule) BETWEEN 1 AND 400)
);

INSERT INTO risk_weights (factor, position, points, rule) VALUES
('base', 1, 15, 'Point de départ de tout membre actif.'),
('attendance', 2, 30, 'Présence sur 6 mois sous 80 % : de 0 point à 80 % jusqu''à 30 points à 30 % et moins (proportionnel entre les deux). Compté à partir de 6 rencontres consignées (seuil du feu d''engagement).'),
('attendance_down', 3, 10, 'Présence en baisse d''au moins 15 points par rapport aux 6 mois d''avant.'),
('no_referral', 4, 20, 'Aucune référence reçue depuis 4 mois ou plus (membre dont la présence est consignée).'),
('not_tracked', 5, 10, 'Membre d''un groupe dont la présence est trop peu consignée pour en juger.'),
('state_red', 6, 25, 'État « Rouge » au dernier suivi.'),
('state_yellow', 7, 12, 'État « Jaune » au dernier suivi.'),
('state_flame', 8, -15, 'État « Flamme » au dernier suivi.'),
('no_contact', 9, 10, 'Aucun suivi depuis plus de 90 jours.'),
('stages_missed', 10, 15, 'Étapes du cycle passées sans suivi : 5 points par étape, jusqu''à 15.'),
('planned_missed', 11, 8, 'Relance prévue dont la date est passée.'),
('reason_irrecoverable', 12, 35, 'Raison irrécupérable consignée dans le cycle.'),
('reason_recoverable', 13, 10, 'Raison récupérable consignée dans le cycle.'),
('not_renewing', 14, 40, 'Demande de facturation « ne renouvelle pas » dans le cycle.'),
('escalation_open', 15, 10, 'Escalade ouverte.'),
('escalation_overdue', 16, 5, 'Escalade sans réponse après 7 jours.'),
('billing_missing', 17, 10, 'Aucune demande de facturation à 14 jours ou moins du renouvellement.'),
('invoice_unpaid', 18, 10, 'Facture envoyée depuis 21 jours ou plus et non payée.'),
('new_member', 19, 10, 'Premier renouvellement (membre arrivé dans ce cycle).'),
('senior', 20, -10, 'Membre depuis 5 ans ou plus.'),
('regional', 21, 5, 'Siège régional : pas de groupe chaque semaine.'),
('board_member', 22, -5, 'Membre du CA de son groupe.');

-- Histories read by date for one member.
CREATE INDEX planned_follow_ups_member_idx ON planned_follow_ups (member_id, due_date);

-- ------------------------------------------------------------ the computation

-- The factors of each (member, date, renewal date) triple: one row per
-- factor that counts, with its points, the figure that explains it (a
-- percent, a number of days, months or stages) and a label (a stage or a
-- reason). The member's renewal date is given rather than read, so that
-- the score before a past renewal uses the date then due. With
-- `p_current`, everything written so far counts (a server running on a
-- fixed date for a demonstration still sees the follow-up just logged);
-- without, only what was written by the end of each date.
CREATE FUNCTION risk_compute(p_ids bigint[], p_as_of date[], p_due date[], p_current boolean)
RETURNS TABLE (member_id bigint, as_of date, factor text, points integer, figure integer, label text)
LANGUAGE sql STABLE AS $$
WITH input AS (
    SELECT i.member_id, i.as_of, i.due,
           (i.due - make_interval(months => m.term_months))::date AS began,
           CASE WHEN p_current THEN 'infinity'::timestamptz
                ELSE (i.as_of + 1)::timestamptz END AS until,
           m.formula, m.group_id, m.join_date, m.board_member
    FROM unnest(p_ids, p_as_of, p_due) AS i (member_id, as_of, due)
    JOIN members m ON m.id = i.member_id
),
th AS (
    SELECT COALESCE((SELECT min_meetings FROM engagement_thresholds LIMIT 1), 6) AS min_meetings
),
eng AS (
    SELECT i.member_id, i.as_of, e.*
    FROM input i
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE l.held_on > (i.as_of - interval '6 months')::date) AS r_meetings,
               count(*) FILTER (WHERE l.held_on > (i.as_of - interval '6 months')::date
                                  AND l.attendance = 'excused') AS r_excused,
               count(*) FILTER (WHERE l.held_on > (i.as_of - interval '6 months')::date
                                  AND l.attendance IN ('present', 'substitute')) AS r_attended,
               count(*) FILTER (WHERE l.held_on <= (i.as_of - interval '6 months')::date) AS b_meetings,
               count(*) FILTER (WHERE l.held_on <= (i.as_of - interval '6 months')::date
                                  AND l.attendance = 'excused') AS b_excused,
               count(*) FILTER (WHERE l.held_on <= (i.as_of - interval '6 months')::date
                                  AND l.attendance IN ('present', 'substitute')) AS b_attended,
               max(l.held_on) FILTER (WHERE l.referrals_received > 0) AS last_received
        FROM meeting_lines l
        JOIN meetings mt ON mt.id = l.meeting_id AND mt.cancelled_at IS NULL
        WHERE l.member_id = i.member_id
          AND l.held_on > (i.as_of - interval '12 months')::date
          AND l.held_on <= i.as_of
    ) e
),
rates AS (
    SELECT e.*,
           CASE WHEN e.r_meetings - e.r_excused > 0
                THEN (e.r_attended * 200 + (e.r_meetings - e.r_excused))
                     / (2 * (e.r_meetings - e.r_excused)) END AS r_pct,
           CASE WHEN e.b_meetings - e.b_excused > 0
                THEN (e.b_attended * 200 + (e.b_meetings - e.b_excused))
                     / (2 * (e.b_meetings - e.b_excused)) END AS b_pct
    FROM eng e
),
last_fu AS (
    SELECT i.member_id, i.as_of, f.state, f.at
    FROM input i
    CROSS JOIN LATERAL (
        SELECT f.state, f.at FROM follow_ups f
        WHERE f.member_id = i.member_id AND f.at < i.until
        ORDER BY f.at DESC LIMIT 1
    ) f
),
spans AS (
    SELECT i.member_id, i.as_of, i.until, i.join_date, s.stage_key, s.label, s.position, st.starts,
           lead(st.starts) OVER (PARTITION BY i.member_id, i.as_of ORDER BY s.position) AS ends
    FROM input i
    JOIN timeline_stages s ON s.formula = i.formula
    CROSS JOIN LATERAL (
        SELECT CASE s.anchor
                   WHEN 'P' THEN (i.began + make_interval(months => s.months))::date + s.days
                   ELSE (i.due + make_interval(months => s.months))::date + s.days
               END AS starts
    ) st
),
missed AS (
    SELECT sp.member_id, sp.as_of, count(*)::integer AS n,
           (array_agg(sp.label ORDER BY sp.position DESC))[1] AS latest
    FROM spans sp
    WHERE sp.ends <= sp.as_of AND sp.starts >= sp.join_date
      AND NOT EXISTS (
          SELECT 1 FROM follow_ups f
          WHERE f.member_id = sp.member_id AND f.stage_key = sp.stage_key
            AND f.at >= sp.starts::timestamptz AND f.at < sp.until)
    GROUP BY 1, 2
),
planned AS (
    SELECT i.member_id, i.as_of, max(i.as_of - p.due_date) AS late
    FROM input i
    JOIN planned_follow_ups p ON p.member_id = i.member_id
    WHERE p.due_date < i.as_of AND p.created_at < i.until
      AND (p.closed_on IS NULL OR (NOT p_current AND p.closed_on > i.as_of))
    GROUP BY 1, 2
),
reason AS (
    SELECT DISTINCT ON (i.member_id, i.as_of) i.member_id, i.as_of, r.category, r.label
    FROM input i
    JOIN member_reasons mr ON mr.member_id = i.member_id
         AND mr.at >= i.began::timestamptz AND mr.at < i.until
    JOIN reasons r ON r.id = mr.reason_id
    ORDER BY i.member_id, i.as_of, (r.category = 'irrecoverable') DESC, mr.at DESC
),
esc AS (
    SELECT i.member_id, i.as_of, count(*)::integer AS open_n,
           count(*) FILTER (WHERE e.due_on < i.as_of
                              AND (e.acknowledged_at IS NULL OR e.acknowledged_at >= i.until))::integer
               AS overdue_n
    FROM input i
    JOIN escalations e ON e.member_id = i.member_id
    WHERE e.raised_at < i.until AND e.status <> 'escalated'
      AND (e.resolved_at IS NULL OR e.resolved_at >= i.until)
    GROUP BY 1, 2
),
bill AS (
    SELECT i.member_id, i.as_of,
           bool_or(b.decision = 'not_renewing') AS not_renewing,
           count(*) FILTER (WHERE b.decision <> 'not_renewing') AS asked,
           max(i.as_of - (b.invoice_sent_at)::date)
               FILTER (WHERE b.invoice_sent_at < i.until
                         AND (b.paid_at IS NULL OR b.paid_at >= i.until)) AS unpaid_days
    FROM input i
    JOIN billing_requests b ON b.member_id = i.member_id
         AND b.requested_at >= i.began::timestamptz AND b.requested_at < i.until
         AND b.status <> 'cancelled'
    GROUP BY 1, 2
),
facts (member_id, as_of, factor, figure, label, scale) AS (
    SELECT i.member_id, i.as_of, 'base', NULL::integer, NULL::text, 1.0 FROM input i
    UNION ALL
    SELECT r.member_id, r.as_of, 'attendance', r.r_pct::integer, NULL,
           LEAST(1.0, (80 - r.r_pct) / 50.0)
    FROM rates r, th
    WHERE r.r_meetings >= th.min_meetings AND r.r_pct < 80
    UNION ALL
    SELECT r.member_id, r.as_of, 'attendance_down', (r.b_pct - r.r_pct)::integer, NULL, 1.0
    FROM rates r, th
    WHERE r.r_meetings >= th.min_meetings AND r.b_meetings >= th.min_meetings
      AND r.b_pct - r.r_pct >= 15
    UNION ALL
    SELECT r.member_id, r.as_of, 'no_referral',
           CASE WHEN r.last_received IS NULL THEN NULL
                ELSE ((r.as_of - r.last_received) / 30)::integer END,
           NULL, 1.0
    FROM rates r, th
    WHERE r.r_meetings >= th.min_meetings
      AND (r.last_received IS NULL
           OR r.last_received <= (r.as_of - interval '4 months')::date)
    UNION ALL
    SELECT r.member_id, r.as_of, 'not_tracked', r.r_meetings::integer, NULL, 1.0
    FROM rates r JOIN input i USING (member_id, as_of), th
    WHERE i.group_id IS NOT NULL AND r.r_meetings < th.min_meetings
    UNION ALL
    SELECT f.member_id, f.as_of, 'state_' || f.state, NULL, NULL, 1.0
    FROM last_fu f WHERE f.state IN ('red', 'yellow', 'flame')
    UNION ALL
    SELECT i.member_id, i.as_of, 'no_contact',
           (i.as_of - (f.at)::date)::integer, NULL, 1.0
    FROM input i LEFT JOIN last_fu f USING (member_id, as_of)
    WHERE f.at IS NULL OR f.at < (i.as_of - 90)::timestamptz
    UNION ALL
    SELECT m.member_id, m.as_of, 'stages_missed', m.n, m.latest, LEAST(1.0, m.n / 3.0)
    FROM missed m
    UNION ALL
    SELECT p.member_id, p.as_of, 'planned_missed', p.late, NULL, 1.0 FROM planned p
    UNION ALL
    SELECT r.member_id, r.as_of,
           CASE WHEN r.category = 'irrecoverable' THEN 'reason_irrecoverable'
                ELSE 'reason_recoverable' END,
           NULL, r.label, 1.0
    FROM reason r
    UNION ALL
    SELECT b.member_id, b.as_of, 'not_renewing', NULL, NULL, 1.0 FROM bill b WHERE b.not_renewing
    UNION ALL
    SELECT e.member_id, e.as_of, 'escalation_open', e.open_n, NULL, 1.0 FROM esc e
    UNION ALL
    SELECT e.member_id, e.as_of, 'escalation_overdue', e.overdue_n, NULL, 1.0
    FROM esc e WHERE e.overdue_n > 0
    UNION ALL
    SELECT i.member_id, i.as_of, 'billing_missing', (i.due - i.as_of)::integer, NULL, 1.0
    FROM input i LEFT JOIN bill b USING (member_id, as_of)
    WHERE i.as_of >= i.due - 14 AND COALESCE(b.asked, 0) = 0 AND NOT COALESCE(b.not_renewing, false)
    UNION ALL
    SELECT b.member_id, b.as_of, 'invoice_unpaid', b.unpaid_days::integer, NULL, 1.0
    FROM bill b WHERE b.unpaid_days >= 21
    UNION ALL
    SELECT i.member_id, i.as_of, 'new_member', NULL, NULL, 1.0
    FROM input i WHERE i.join_date > i.began - 31
    UNION ALL
    SELECT i.member_id, i.as_of, 'senior',
           extract(year FROM age(i.as_of, i.join_date))::integer, NULL, 1.0
    FROM input i WHERE i.join_date <= (i.as_of - interval '5 years')::date
    UNION ALL
    SELECT i.member_id, i.as_of, 'regional', NULL, NULL, 1.0 FROM input i WHERE i.formula = 'regional'
    UNION ALL
    SELECT i.member_id, i.as_of, 'board_member', NULL, NULL, 1.0 FROM input i WHERE i.board_member
)
SELECT f.member_id, f.as_of, f.factor, round(w.points * f.scale)::integer, f.figure, f.label
FROM facts f
JOIN risk_weights w ON w.factor = f.factor
WHERE round(w.points * f.scale) <> 0
$$;

-- ------------------------------------------------------------ today's scores

-- One row per member. `computed_on` is the day the score was computed for;
-- '-infinity' once something about the member changed: the pages
-- recompute such rows (and those of another day) before reading, found by
-- two range scans of a small index (`< today`, `> today`). The factors are kept in
-- the order of their weight (largest first), the base left out.
CREATE TABLE member_risks (
    member_id         bigint PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    district_id       bigint NOT NULL,
    representative_id bigint,
    group_id          bigint,
    active            boolean NOT NULL,
    score             smallint NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    factors           text[] NOT NULL DEFAULT '{}',
    points            integer[] NOT NULL DEFAULT '{}',
    figures           integer[] NOT NULL DEFAULT '{}',
    labels            text[] NOT NULL DEFAULT '{}',
    computed_on       date NOT NULL DEFAULT '-infinity'
);

CREATE INDEX member_risks_network ON member_risks (score DESC, member_id) WHERE active;
CREATE INDEX member_risks_district ON member_risks (district_id, score DESC, member_id) WHERE active;
CREATE INDEX member_risks_representative ON member_risks (representative_id, score DESC, member_id)
    WHERE active;
CREATE INDEX member_risks_group ON member_risks (group_id, score DESC, member_id) WHERE active;
CREATE INDEX member_risks_to_compute ON member_risks (computed_on) WHERE active;
ALTER TABLE member_risks SET (autovacuum_vacuum_scale_factor = 0.02,
                              autovacuum_analyze_scale_factor = 0.02);

-- How many active members have each score, by district and by
-- representative (0: none), kept by a trigger on member_risks: the counts
-- by level of a list are a sum of at most 101 rows per district.
CREATE TABLE risk_district_scores (
    district_id bigint NOT NULL,
    score       smallint NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (district_id, score)
);
CREATE TABLE risk_representative_scores (
    representative_id bigint NOT NULL,
    score             smallint NOT NULL,
    n                 bigint NOT NULL,
    PRIMARY KEY (representative_id, score)
);
ALTER TABLE risk_district_scores SET (autovacuum_vacuum_scale_factor = 0.0,
                                      autovacuum_vacuum_threshold = 500);
ALTER TABLE risk_representative_scores SET (autovacuum_vacuum_scale_factor = 0.0,
                                            autovacuum_vacuum_threshold = 500);

-- The net change of a statement on member_risks, in a fixed order (two
-- transactions never wait on each other's rows in opposite orders).
CREATE FUNCTION risk_scores_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT district_id, representative_id, score, -1 AS d FROM old_rows WHERE active
        UNION ALL
        SELECT district_id, representative_id, score, 1 FROM new_rows WHERE active
    ), by_district AS (
        SELECT district_id, score, sum(d) AS d FROM delta GROUP BY 1, 2 HAVING sum(d) <> 0
    )
    INSERT INTO risk_district_scores AS t (district_id, score, n)
    SELECT district_id, score, d FROM by_district ORDER BY district_id, score
    ON CONFLICT (district_id, score) DO UPDATE SET n = t.n + EXCLUDED.n;
    WITH delta AS (
        SELECT COALESCE(representative_id, 0) AS representative_id, score, -1 AS d
        FROM old_rows WHERE active
        UNION ALL
        SELECT COALESCE(representative_id, 0), score, 1 FROM new_rows WHERE active
    ), by_rep AS (
        SELECT representative_id, score, sum(d) AS d FROM delta GROUP BY 1, 2 HAVING sum(d) <> 0
    )
    INSERT INTO risk_representative_scores AS t (representative_id, score, n)
    SELECT representative_id, score, d FROM by_rep ORDER BY representative_id, score
    ON CONFLICT (representative_id, score) DO UPDATE SET n = t.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

-- The transition tables exist only for the events that have them.
CREATE FUNCTION risk_scores_tally_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO risk_district_scores AS t (district_id, score, n)
    SELECT district_id, score, count(*) FROM new_rows WHERE active
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (district_id, score) DO UPDATE SET n = t.n + EXCLUDED.n;
    INSERT INTO risk_representative_scores AS t (representative_id, score, n)
    SELECT COALESCE(representative_id, 0), score, count(*) FROM new_rows WHERE active
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (representative_id, score) DO UPDATE SET n = t.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION risk_scores_tally_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO risk_district_scores AS t (district_id, score, n)
    SELECT district_id, score, -count(*) FROM old_rows WHERE active
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (district_id, score) DO UPDATE SET n = t.n + EXCLUDED.n;
    INSERT INTO risk_representative_scores AS t (representative_id, score, n)
    SELECT COALESCE(representative_id, 0), score, -count(*) FROM old_rows WHERE active
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (representative_id, score) DO UPDATE SET n = t.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_risks_tally_updated AFTER UPDATE ON member_risks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_scores_tally();
CREATE TRIGGER member_risks_tally_inserted AFTER INSERT ON member_risks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_scores_tally_inserted();
CREATE TRIGGER member_risks_tally_deleted AFTER DELETE ON member_risks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_scores_tally_deleted();

-- Recomputes the given members' scores as of `p_today`.
CREATE FUNCTION risk_refresh(p_ids bigint[], p_today date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
    v_dues date[];
    v_done integer;
BEGIN
    SELECT array_agg(m.id ORDER BY m.id), array_agg(m.renewal_date ORDER BY m.id)
    INTO v_ids, v_dues
    FROM members m WHERE m.id = ANY (p_ids) AND m.status = 'active';
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    WITH f AS (
        SELECT * FROM risk_compute(v_ids, array_fill(p_today, ARRAY[cardinality(v_ids)]), v_dues, true)
    ), agg AS (
        SELECT f.member_id,
               GREATEST(0, LEAST(100, sum(f.points)))::smallint AS score,
               COALESCE(array_agg(f.factor ORDER BY abs(f.points) DESC, f.factor)
                        FILTER (WHERE f.factor <> 'base'), '{}') AS factors,
               COALESCE(array_agg(f.points ORDER BY abs(f.points) DESC, f.factor)
                        FILTER (WHERE f.factor <> 'base'), '{}') AS points,
               COALESCE(array_agg(f.figure ORDER BY abs(f.points) DESC, f.factor)
                        FILTER (WHERE f.factor <> 'base'), '{}') AS figures,
               COALESCE(array_agg(f.label ORDER BY abs(f.points) DESC, f.factor)
                        FILTER (WHERE f.factor <> 'base'), '{}') AS labels
        FROM f GROUP BY f.member_id
    )
    UPDATE member_risks r
    SET score = a.score, factors = a.factors, points = a.points, figures = a.figures,
        labels = a.labels, computed_on = p_today
    FROM agg a
    WHERE r.member_id = a.member_id;
    GET DIAGNOSTICS v_done = ROW_COUNT;
    RETURN v_done;
END
$$;

-- Recomputes up to `p_limit` scores not computed for `p_today`, in a
-- district or a portfolio (or the whole network), skipping rows another
-- transaction is recomputing. Returns how many it recomputed.
CREATE FUNCTION risk_refresh_due(p_today date, p_district bigint, p_representative bigint,
                                 p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    v_ids := ARRAY(
        SELECT r.member_id FROM member_risks r
        WHERE r.active
          AND (r.computed_on < p_today OR r.computed_on > p_today)
          AND (p_district IS NULL OR r.district_id = p_district)
          AND (p_representative IS NULL OR r.representative_id = p_representative)
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED);
    IF cardinality(v_ids) = 0 THEN
        RETURN 0;
    END IF;
    RETURN risk_refresh(v_ids, p_today);
END
$$;

-- A plan made once for any date and scope walks the whole table (the
-- generic plan of `computed_on < $1 OR computed_on > $1` cannot know that
-- no row matches): these two are planned for their actual arguments.
ALTER FUNCTION risk_refresh(bigint[], date) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION risk_refresh_due(date, bigint, bigint, integer) SET plan_cache_mode = force_custom_plan;

-- ------------------------------------------------------------ past scores

-- The score each member had 60 days before a renewal date (the
-- calibration report). A row is removed when history before that day
-- changes; the report computes what is missing.
CREATE TABLE cycle_risks (
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    due_on    date NOT NULL,
    score     smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
    PRIMARY KEY (member_id, due_on)
);

-- Computes the missing past scores of the cycles due in [p_from, p_to]
-- whose outcome is known, up to p_limit of them. Returns how many.
CREATE FUNCTION cycle_risks_fill(p_from date, p_to date, p_district bigint, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
    v_dues date[];
    v_done integer;
BEGIN
    SELECT array_agg(d.member_id), array_agg(d.due_on)
    INTO v_ids, v_dues
    FROM (
        SELECT d.member_id, d.due_on FROM due_cycles d
        WHERE d.due_on BETWEEN p_from AND p_to AND d.outcome IN ('renewed', 'lost')
          AND (p_district IS NULL OR d.district_id = p_district)
          AND NOT EXISTS (SELECT 1 FROM cycle_risks c
                          WHERE c.member_id = d.member_id AND c.due_on = d.due_on)
        ORDER BY d.due_on, d.member_id
        LIMIT p_limit
    ) d;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    INSERT INTO cycle_risks (member_id, due_on, score)
    SELECT f.member_id, f.as_of + 60, GREATEST(0, LEAST(100, sum(f.points)))
    FROM risk_compute(v_ids, ARRAY(SELECT d - 60 FROM unnest(v_dues) d), v_dues, false) f
    GROUP BY f.member_id, f.as_of
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_done = ROW_COUNT;
    RETURN v_done;
END
$$;

ALTER FUNCTION cycle_risks_fill(date, date, bigint, integer) SET plan_cache_mode = force_custom_plan;

-- ------------------------------------------------------------ marking

CREATE FUNCTION risk_mark(p_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE member_risks SET computed_on = '-infinity'
    WHERE member_id = ANY (p_ids) AND computed_on <> '-infinity';
$$;

-- History written with a date on or before 60 days ahead of a past
-- renewal date changes the score that cycle had.
CREATE FUNCTION cycle_risks_forget(p_ids bigint[], p_since date[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM cycle_risks c
    USING unnest(p_ids, p_since) AS x (member_id, since)
    WHERE c.member_id = x.member_id AND c.due_on - 60 >= x.since;
$$;

CREATE FUNCTION members_risk_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_risks (member_id, district_id, representative_id, group_id, active)
    SELECT n.id, n.district_id, n.representative_id, n.group_id, n.status = 'active'
    FROM new_rows n
    ON CONFLICT (member_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION members_risk_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE member_risks r
    SET district_id = n.district_id, representative_id = n.representative_id,
        group_id = n.group_id, active = (n.status = 'active'), computed_on = '-infinity'
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE r.member_id = n.id
      AND (n.district_id, n.representative_id, n.group_id, n.status, n.renewal_date,
           n.term_months, n.formula, n.join_date, n.board_member, n.state)
          IS DISTINCT FROM
          (o.district_id, o.representative_id, o.group_id, o.status, o.renewal_date,
           o.term_months, o.formula, o.join_date, o.board_member, o.state);
    -- What the past scores read of the member itself.
    DELETE FROM cycle_risks c
    USING new_rows n JOIN old_rows o ON o.id = n.id
    WHERE c.member_id = n.id
      AND (n.term_months, n.formula, n.join_date, n.board_member, n.group_id)
          IS DISTINCT FROM (o.term_months, o.formula, o.join_date, o.board_member, o.group_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER members_risk_inserted AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION members_risk_inserted();
CREATE TRIGGER members_risk_updated AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION members_risk_updated();

-- A history row of a member (follow-up, planned follow-up, reason,
-- escalation, billing request, meeting line): its member's score is to be
-- recomputed, and so are the past scores it comes before. TG_ARGV[0] is the
-- column holding the row's date.
CREATE FUNCTION risk_history_written() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
    v_since date[];
BEGIN
    EXECUTE format(
        'SELECT array_agg(member_id), array_agg(since) FROM '
        '(SELECT member_id, min((%I)::date) AS since FROM new_rows GROUP BY member_id) x',
        TG_ARGV[0])
    INTO v_ids, v_since;
    IF v_ids IS NOT NULL THEN
        PERFORM risk_mark(v_ids);
        PERFORM cycle_risks_forget(v_ids, v_since);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER follow_ups_risk AFTER INSERT ON follow_ups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('at');
CREATE TRIGGER planned_follow_ups_risk_inserted AFTER INSERT ON planned_follow_ups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('created_at');
CREATE TRIGGER planned_follow_ups_risk_updated AFTER UPDATE ON planned_follow_ups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('closed_on');
CREATE TRIGGER member_reasons_risk AFTER INSERT ON member_reasons
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('at');
CREATE TRIGGER escalations_risk_inserted AFTER INSERT ON escalations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('raised_at');
CREATE TRIGGER escalations_risk_updated AFTER UPDATE ON escalations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('due_on');
CREATE TRIGGER billing_requests_risk_inserted AFTER INSERT ON billing_requests
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('requested_at');
CREATE TRIGGER billing_requests_risk_updated AFTER UPDATE ON billing_requests
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('requested_at');
CREATE TRIGGER meeting_lines_risk_inserted AFTER INSERT ON meeting_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('held_on');
CREATE TRIGGER meeting_lines_risk_updated AFTER UPDATE ON meeting_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION risk_history_written('held_on');

-- A meeting cancelled or restored: the figures of everyone on its sheet.
CREATE FUNCTION meetings_risk_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
    v_since date[];
BEGIN
    SELECT array_agg(l.member_id), array_agg(l.held_on)
    INTO v_ids, v_since
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    JOIN meeting_lines l ON l.meeting_id = n.id
    WHERE n.cancelled_at IS DISTINCT FROM o.cancelled_at;
    IF v_ids IS NOT NULL THEN
        PERFORM risk_mark(v_ids);
        PERFORM cycle_risks_forget(v_ids, v_since);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER meetings_risk_updated AFTER UPDATE ON meetings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION meetings_risk_updated();

-- What every score reads (the timelines, the engagement light's minimum
-- of meetings): every score is to be recomputed.
CREATE FUNCTION risk_mark_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE member_risks SET computed_on = '-infinity' WHERE active AND computed_on <> '-infinity';
    TRUNCATE cycle_risks;
    RETURN NULL;
END
$$;

CREATE TRIGGER timeline_stages_risk AFTER INSERT OR UPDATE OR DELETE ON timeline_stages
    FOR EACH STATEMENT EXECUTE FUNCTION risk_mark_all();
CREATE TRIGGER engagement_thresholds_risk AFTER UPDATE OF min_meetings ON engagement_thresholds
    FOR EACH STATEMENT EXECUTE FUNCTION risk_mark_all();

-- ------------------------------------------------------------ the rebuild

-- The bulk loader (which pauses the triggers) and the rebuild test: one
-- row per member, every score to be computed, no past score kept.
ALTER FUNCTION derived_tables_rebuild() RENAME TO derived_tables_rebuild_0032;

CREATE FUNCTION derived_tables_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derived_tables_rebuild_0032();
    TRUNCATE member_risks, cycle_risks, risk_district_scores, risk_representative_scores;
    -- (The inserted rows are counted by the trigger, when it is on; a
    -- bulk load that paused it counts them here.)
    INSERT INTO member_risks (member_id, district_id, representative_id, group_id, active)
    SELECT id, district_id, representative_id, group_id, status = 'active' FROM members;
    IF NOT EXISTS (SELECT 1 FROM risk_district_scores) THEN
        INSERT INTO risk_district_scores (district_id, score, n)
        SELECT district_id, score, count(*) FROM member_risks WHERE active GROUP BY 1, 2;
        INSERT INTO risk_representative_scores (representative_id, score, n)
        SELECT COALESCE(representative_id, 0), score, count(*) FROM member_risks
        WHERE active GROUP BY 1, 2;
    END IF;
END
$$;

INSERT INTO member_risks (member_id, district_id, representative_id, group_id, active)
SELECT id, district_id, representative_id, group_id, status = 'active' FROM members;
