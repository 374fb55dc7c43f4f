-- The load benchmark's data set (issue 10), in SQL only: run by bench/load
-- with psql on a freshly migrated, empty database that already holds the
-- direction account made by `renouvo user add`.
--
--   psql -v members=100000 -v today=2026-11-29 -v lambda=1.0 -f bench/generate.sql
--
-- What it makes, for N members (ratios as at N = 100,000):
-- * 10 districts, each with its district manager; the tenth (« Côte-Nord »)
--   is small (about 1,000 active members whatever N: the CSV export);
-- * one representative per ~333 members (300), spread over the districts in
--   proportion to their members; one billing account;
-- * groups of 25 to 40 exclusive seats (A or B groups, one profession per
--   seat, so the exclusive-seat index holds), regional members and partners;
-- * every term (6 to 36 months), renewal dates from about a year overdue
--   to two years ahead, 3 % orphans, 8 % lost members (date and reason over
--   the past 25 months), seniority up to ten terms;
-- * renewals recorded over the past 24 months (with their paid billing
--   requests), billing requests of the current cycle in every step,
--   cancelled ones, escalations (open, acknowledged, resolved, escalated),
--   reasons given;
-- * ~10 follow-ups per member (1,000,000), stage by stage: each follow-up
--   carries the cycle and the stage the member was in on that day (the
--   timeline tables are read, not copied), some stages left undone, some
--   planned follow-ups open and due, a few corrections;
-- * a representative with ~330 active members and, among them, a member
--   with exactly 50 follow-ups (the member page measured).
--
-- The tables the schema's triggers keep (stage_follow_ups, the tallies of
-- the homes and reports) are rebuilt once at the end, from what was loaded,
-- by derived_tables_rebuild() (migration 0023).
-- Pseudo-random draws are hashes of a row key: the same N and date give the
-- same data. The last query prints `key=value` lines read by bench/load.

\set ON_ERROR_STOP on
\timing on
SET client_min_messages = warning;
SET work_mem = '256MB';
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;
SET jit = off;

BEGIN;

-- A draw in [0, 1) from a key and a salt.
CREATE FUNCTION pg_temp.u(k bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashint8extended(k, salt) & 4503599627370495)::float8 / 4503599627370496.0 $$;

-- An integer in [0, m).
CREATE FUNCTION pg_temp.pick(k bigint, salt int, m int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT least(floor(pg_temp.u(k, salt) * m)::int, m - 1) $$;

-- A time of the working day (8 h to 18 h, Toronto) on date d.
CREATE FUNCTION pg_temp.work_time(d date, k bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (d + make_interval(secs => 28800 + floor(pg_temp.u(k, 77) * 36000)))
             AT TIME ZONE 'America/Toronto' $$;

-- Settings: N, today, the start of the 24 months of history (s) and of
-- the app's use (w, a little over two years), the size of the small district.
CREATE TEMP TABLE p AS
SELECT :members::bigint AS n,
       :'today'::date AS t,
       (:'today'::date - interval '24 months')::date AS s,
       :'today'::date - 760 AS w,
       least(1080, :members::bigint / 10) AS n_small,
       greatest(12, round(:members / 333.0))::int AS n_reps,
       :lambda::float8 AS lambda,
       (:'today'::date + time '18:00') AT TIME ZONE 'America/Toronto' AS t_end;

-- The reasons catalogue (seeded by the migrations), by id.
CREATE TEMP TABLE rs AS SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM reasons;

-- Bulk load. The indexes of the tables filled here that back no
-- constraint are dropped now and built again at the end (faster than
-- keeping them row by row; the unique ones check their rows when built),
-- and every trigger of these tables is paused: every foreign key is
-- checked at the end, one anti-join each, and the tables the schema's own
-- triggers keep are rebuilt from scratch (one pass per table instead of a
-- trigger firing for each of 100,000 members).
CREATE TEMP TABLE bulk_tables (t regclass);
INSERT INTO bulk_tables VALUES ('members'), ('follow_ups'), ('stage_follow_ups'),
  ('follow_up_monthly'), ('planned_follow_ups'), ('billing_requests'), ('renewals'),
  ('escalations'), ('member_reasons'), ('meetings'), ('meeting_lines');
CREATE TEMP TABLE saved_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN bulk_tables b ON b.t = i.indrelid
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT name FROM saved_indexes LOOP
    EXECUTE format('DROP INDEX %s', r.name);
  END LOOP;
  FOR r IN SELECT t FROM bulk_tables LOOP
    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER ALL', r.t);
  END LOOP;
END $$;

-- Word lists, as functions returning their i-th word (1-based): inlined
-- into the queries as constant arrays (a table of arrays would be
-- detoasted on every row).
CREATE FUNCTION pg_temp.first_name(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (ARRAY['Marie','Jean','Julie','Luc','Sophie','Marc','Isabelle','François','Nathalie',
  'Pierre','Catherine','Stéphane','Mélanie','Éric','Geneviève','Martin','Valérie','Patrick',
  'Caroline','Sylvain','Annie','Alexandre','Josée','Mathieu','Chantal','Simon','Karine',
  'Guillaume','Émilie','David','Audrey','Louis','Véronique','Philippe','Amélie','Jonathan',
  'Marie-Ève','Jean-François','Andrée-Anne','Olivier'])[i] $$;

-- 60, ordered by frequency: the draw favours the first ones (Tremblay ≈ 3 %).
CREATE FUNCTION pg_temp.last_name(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (ARRAY['Tremblay','Gagnon','Roy','Côté','Bouchard','Gauthier','Morin','Lavoie',
  'Fortin','Gagné','Ouellet','Pelletier','Bélanger','Lévesque','Bergeron','Leblanc','Paquette',
  'Girard','Simard','Boucher','Caron','Beaulieu','Cloutier','Dubé','Poirier','Fournier',
  'Lapointe','Leclerc','Lefebvre','Poulin','Thibault','St-Pierre','Nadeau','Martin','Landry',
  'Martel','Bédard','Grenier','Lessard','Bernier','Richard','Michaud','Hébert','Desjardins',
  'Couture','Turcotte','Lachance','Parent','Blais','Gosselin','Savard','Proulx','Beaudoin',
  'Demers','Perreault','Boudreau','Lemieux','Cyr','Perron','Dufour'])[i] $$;

-- 50 professions (at least 40: one seat each in the largest group), and
-- their seat keys (lower case, no accents: as src/domain/member.rs folds
-- these names).
CREATE FUNCTION pg_temp.profession(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (ARRAY['Notaire','Avocat·e','Comptable','Courtier immobilier',
  'Courtier d''assurances','Planificateur financier','Conseiller hypothécaire','Photographe',
  'Graphiste','Agence web','Imprimeur','Fleuriste','Traiteur','Restaurateur',
  'Chiropraticien·ne','Physiothérapeute','Dentiste','Optométriste','Massothérapeute',
  'Pharmacien·ne','Entrepreneur général','Électricien','Plombier','Couvreur','Paysagiste',
  'Nettoyage commercial','Déménagement','Concessionnaire automobile','Garage',
  'Agence de voyages','Informaticien·ne','Cybersécurité','Ressources humaines',
  'Coach d''affaires','Traducteur·rice','Évaluateur agréé','Inspecteur en bâtiment',
  'Designer d''intérieur','Architecte','Ingénieur·e','Vidéaste','Relations publiques',
  'Promotionnel','Mobilier de bureau','Sécurité','Hôtellerie','Salle de réception',
  'Esthéticienne','Coiffure','Vétérinaire'])[i] $$;

CREATE FUNCTION pg_temp.profession_key(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT translate(lower(pg_temp.profession(i)), 'àâäéèêëîïôöùûüç', 'aaaeeeeiioouuuc') $$;

CREATE FUNCTION pg_temp.business_word(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (ARRAY['inc.','et associés','conseil','services','groupe','solutions','& fils',
  'experts'])[i] $$;

CREATE FUNCTION pg_temp.group_word(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (ARRAY['Élan','Horizon','Synergie','Alliance','Leaders','Affaires','Réseau','Cap',
  'Pionniers','Sommet','Impact','Avenir','Essor','Connexion','Envol','Boussole'])[i] $$;

CREATE FUNCTION pg_temp.body(i int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (ARRAY['Appel pour prendre des nouvelles ; satisfait de ses références du mois.',
  'Rencontre au bureau du membre : on a revu ses objectifs de l''année.',
  'Courriel envoyé avec le bilan de présence et de références.',
  'Texto : confirme sa présence à la prochaine rencontre.',
  'Visite au commerce ; profil à compléter (photo et offre).',
  'Appel : hésite à renouveler, le budget est serré cette année.',
  'Discussion sur le passage au siège régional pour l''instant.',
  'Parle d''un deuxième siège pour son associée.',
  'Invité à l''événement VIP du district.',
  'Laissé un message ; rappeler en fin de semaine.',
  'Confirme qu''il renouvelle ; facture à envoyer.',
  'Facture reçue, paiement prévu la semaine prochaine.',
  'Malaise avec un membre du CA, à suivre avec le gestionnaire.',
  'Très content du groupe, a reçu trois références ce mois-ci.',
  'Peu présent ces derniers temps : conflit d''horaire le mardi.',
  'Relance au sujet du profil et des crédits GR.'])[i] $$;

-- Districts: weights of members out of 100 for the nine large ones; the
-- tenth is the small one.
CREATE TEMP TABLE dlist (no int, name text, weight int, cities text[]);
INSERT INTO dlist VALUES
  (1, 'Montréal', 18, ARRAY['Montréal','Westmount','Outremont','Verdun','Saint-Laurent']),
  (2, 'Capitale-Nationale', 14, ARRAY['Québec','Lévis','Sainte-Foy','Beauport','Charlesbourg']),
  (3, 'Montérégie', 13, ARRAY['Longueuil','Brossard','Saint-Jean-sur-Richelieu','Granby','Saint-Hyacinthe']),
  (4, 'Laval', 11, ARRAY['Laval','Chomedey','Sainte-Rose','Vimont']),
  (5, 'Laurentides', 10, ARRAY['Saint-Jérôme','Blainville','Mirabel','Sainte-Agathe']),
  (6, 'Lanaudière', 10, ARRAY['Joliette','Terrebonne','Repentigny','Mascouche']),
  (7, 'Estrie', 9, ARRAY['Sherbrooke','Magog','Coaticook','Lac-Mégantic']),
  (8, 'Outaouais', 8, ARRAY['Gatineau','Aylmer','Hull','Buckingham']),
  (9, 'Mauricie', 7, ARRAY['Trois-Rivières','Shawinigan','La Tuque']),
  (10, 'Côte-Nord', 0, ARRAY['Baie-Comeau','Sept-Îles','Forestville']);

INSERT INTO districts (name) SELECT name FROM dlist ORDER BY no;

-- Members, groups and representatives of each district.
CREATE TEMP TABLE dq AS
SELECT l.no AS dno, d.id AS district_id, l.name, l.cities, x.members,
       greatest(1, round(x.members * 0.65 / 32.5))::int AS n_groups,
       greatest(1, CASE WHEN l.no = 10 THEN 3
                        ELSE round((p.n_reps - 3) * l.weight / 100.0) END)::int AS n_reps
FROM dlist l JOIN districts d ON d.name = l.name CROSS JOIN p
CROSS JOIN LATERAL (SELECT CASE WHEN l.no = 10 THEN p.n_small
                                WHEN l.no = 1 THEN p.n - p.n_small - (
                                  SELECT sum(round((p.n - p.n_small) * o.weight / 100.0))
                                  FROM dlist o WHERE o.no BETWEEN 2 AND 9)
                                ELSE round((p.n - p.n_small) * l.weight / 100.0) END::int AS members) x;

-- Staff: billing, one manager per district, the representatives. The
-- password hash is the direction account's (made with `renouvo user add`).
CREATE TEMP TABLE hash AS
SELECT password_hash FROM users WHERE lower(email) = 'direction@bench.renouvo.ca';
DO $$ BEGIN
  IF (SELECT count(*) FROM hash) <> 1 THEN
    RAISE EXCEPTION 'compte direction@bench.renouvo.ca absent : créez-le avec renouvo user add';
  END IF;
END $$;

INSERT INTO users (email, display_name, role, district_id, password_hash)
SELECT 'facturation@bench.renouvo.ca', 'Service de facturation', 'billing', NULL, h.password_hash
FROM hash h;

INSERT INTO users (email, display_name, role, district_id, password_hash)
SELECT 'gestion' || q.dno || '@bench.renouvo.ca',
       pg_temp.first_name(1 + pg_temp.pick(q.dno, 1, 40)) || ' ' || pg_temp.last_name(1 + pg_temp.pick(q.dno, 2, 60)),
       'district_manager', q.district_id, h.password_hash
FROM dq q CROSS JOIN hash h ORDER BY q.dno;

INSERT INTO users (email, display_name, role, district_id, password_hash)
SELECT 'rep' || r.no || '@bench.renouvo.ca',
       pg_temp.first_name(1 + pg_temp.pick(r.no, 3, 40)) || ' ' || pg_temp.last_name(1 + pg_temp.pick(r.no, 4, 60))
         || ' (' || r.no || ')',
       'representative', q.district_id, h.password_hash
FROM (SELECT row_number() OVER (ORDER BY q.dno, l) AS no, q.dno
      FROM dq q CROSS JOIN LATERAL generate_series(1, q.n_reps) l) r
JOIN dq q ON q.dno = r.dno CROSS JOIN hash h ORDER BY r.no;

CREATE TEMP TABLE rep AS
SELECT u.id, q.dno, (row_number() OVER (PARTITION BY q.dno ORDER BY u.id) - 1)::int AS lno
FROM users u JOIN dq q ON q.district_id = u.district_id WHERE u.role = 'representative';
CREATE INDEX ON rep (dno, lno);

CREATE TEMP TABLE manager AS
SELECT u.id, q.dno, q.district_id FROM users u JOIN dq q ON q.district_id = u.district_id
WHERE u.role = 'district_manager';

-- Groups: 25 to 40 seats, 80 % A groups; each followed by one representative.
INSERT INTO groups (district_id, name, kind, meeting_day, meeting_time, created_at)
SELECT q.district_id,
       pg_temp.group_word(1 + pg_temp.pick(q.dno * 100000 + g, 5, 16)) || ' ' || q.cities[1 + pg_temp.pick(q.dno * 100000 + g, 6, array_length(q.cities, 1))] || ' ' || g,
       CASE WHEN pg_temp.u(q.dno * 100000 + g, 7) < 0.8 THEN 'A' ELSE 'B' END,
       1 + pg_temp.pick(q.dno * 100000 + g, 8, 5),
       (ARRAY[time '07:00', time '07:30', time '12:00', time '17:30'])[1 + pg_temp.pick(q.dno * 100000 + g, 9, 4)],
       p.w::timestamp AT TIME ZONE 'America/Toronto'
FROM dq q CROSS JOIN p CROSS JOIN LATERAL generate_series(1, q.n_groups) g
ORDER BY q.dno, g;

CREATE TEMP TABLE grp AS
SELECT g.id, g.kind, q.dno, q.district_id,
       (row_number() OVER (PARTITION BY q.dno ORDER BY g.id) - 1)::int AS lno,
       25 + pg_temp.pick(g.id, 10, 16) AS seats
FROM groups g JOIN dq q ON q.district_id = g.district_id;

-- One row per member to create: exclusive seats of every group, then the
-- regional members (70 %) and partners of each district.
CREATE TEMP TABLE slot AS
SELECT row_number() OVER (ORDER BY x.dno, x.group_id, x.seat, x.i) AS k, x.*
FROM (
  SELECT g.dno, g.id AS group_id, g.kind AS group_kind, 'exclusive' AS formula,
         s AS seat, 0 AS i, (SELECT r.id FROM rep r WHERE r.dno = g.dno AND r.lno = g.lno % q.n_reps) AS group_rep
  FROM grp g JOIN dq q ON q.dno = g.dno CROSS JOIN LATERAL generate_series(1, g.seats) s
  UNION ALL
  SELECT q.dno, NULL, NULL, NULL, NULL, i, NULL
  FROM dq q CROSS JOIN LATERAL generate_series(1, greatest(0, q.members
         - (SELECT coalesce(sum(g.seats), 0) FROM grp g WHERE g.dno = q.dno))::int) i
) x;
UPDATE slot SET formula = CASE WHEN pg_temp.u(k, 11) < 0.7 THEN 'regional' ELSE 'partner' END
WHERE formula IS NULL;

-- The members. Draws: term, lost or not, dates, seniority; then the number
-- of renewals recorded in the app (boundaries R − j·term within the last
-- 24 months and after joining): cycle = 1 + that number.
INSERT INTO members (first_name, last_name, business_name, profession, profession_key, email,
                     phone, city, district_id, group_id, group_kind, formula, representative_id,
                     join_date, renewal_date, term_months, board_member, gr_credits_cents, status,
                     notes, cycle, lost_on, lost_reason_id, created_at, updated_at)
SELECT c.first_name, c.last_name,
       CASE WHEN pg_temp.u(c.k, 13) < 0.7
            THEN c.last_name || ' ' || pg_temp.business_word(1 + pg_temp.pick(c.k, 14, 8)) ELSE '' END,
       pg_temp.profession(c.prof), pg_temp.profession_key(c.prof),
       translate(lower(replace(c.first_name || '.' || c.last_name, ' ', '-')),
                 'àâäéèêëîïôöùûüç', 'aaaeeeeiioouuuc') || '.' || c.k || '@exemple.ca',
       '514-555-' || lpad((c.k % 10000)::text, 4, '0'),
       q.cities[1 + pg_temp.pick(c.k, 15, array_length(q.cities, 1))],
       q.district_id, c.group_id, c.group_kind, c.formula,
       CASE WHEN pg_temp.u(c.k, 16) < 0.03 THEN NULL
            WHEN c.group_rep IS NOT NULL AND pg_temp.u(c.k, 17) < 0.95 THEN c.group_rep
            ELSE (SELECT r.id FROM rep r WHERE r.dno = c.dno AND r.lno = pg_temp.pick(c.k, 18, q.n_reps)) END,
       c.join_date, c.r, c.term, c.formula = 'exclusive' AND pg_temp.u(c.k, 19) < 0.1,
       CASE WHEN pg_temp.u(c.k, 20) < 0.2 THEN (5 + pg_temp.pick(c.k, 21, 46)) * 1000 ELSE 0 END,
       CASE WHEN c.lost THEN 'lost' ELSE 'active' END,
       CASE WHEN pg_temp.u(c.k, 22) < 0.05 THEN 'Préfère être joint le matin.' ELSE '' END,
       1 + (SELECT count(*) FROM generate_series(1, c.sen) j
            WHERE (c.r - make_interval(months => j * c.term))::date >= p.s),
       CASE WHEN c.lost THEN c.lost_on END,
       CASE WHEN c.lost THEN rs.ids[1 + pg_temp.pick(c.k, 23, rs.n)] END,
       greatest(c.join_date, p.w)::timestamp AT TIME ZONE 'America/Toronto',
       greatest(c.join_date, p.w)::timestamp AT TIME ZONE 'America/Toronto'
FROM (
  SELECT b.*, (b.r - make_interval(months => b.term * (1 + b.sen)))::date AS join_date
  FROM (
    SELECT a.*,
           CASE WHEN a.lost THEN a.lost_on + pg_temp.pick(a.k, 24, 41) - 20
                WHEN pg_temp.u(a.k, 25) < 0.04
                THEN p.t - 1 - floor(pg_temp.u(a.k, 26) ^ 2 * 365)::int
                ELSE p.t + pg_temp.pick(a.k, 26,
                       ((p.t + make_interval(months => least(a.term, 24)))::date - p.t) - 1) END AS r
    FROM (
      SELECT s.*,
             pg_temp.first_name(1 + pg_temp.pick(s.k, 27, 40)) AS first_name,
             pg_temp.last_name(1 + floor(pg_temp.u(s.k, 28) ^ 1.2 * 60)::int) AS last_name,
             coalesce(s.seat, 1 + pg_temp.pick(s.k, 29, 50)) AS prof,
             CASE WHEN s.formula = 'partner' THEN 12
                  ELSE (ARRAY[12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,24,24,6,18,36])
                       [1 + pg_temp.pick(s.k, 30, 21)] END AS term,
             pg_temp.u(s.k, 31) < 0.08 AS lost,
             p.t - pg_temp.pick(s.k, 32, 760) AS lost_on,
             floor(pg_temp.u(s.k, 33) ^ 1.6 * 10)::int AS sen
      FROM slot s CROSS JOIN p
    ) a CROSS JOIN p
  ) b
) c
JOIN dq q ON q.dno = c.dno CROSS JOIN p CROSS JOIN rs
ORDER BY pg_temp.u(c.k, 34);

-- Renewals recorded in the last 24 months: boundary B_j = R − j·term for
-- j = 1 … cycle − 1, from B_j to B_(j−1), new cycle = cycle − j + 1.
-- 90 % went through billing (a paid request of the old cycle), the others
-- were recorded by direction. A few regional members came from an
-- exclusive seat at their last renewal.
CREATE TEMP TABLE ren AS
SELECT m.id AS member_id, j, m.cycle - j + 1 AS new_cycle,
       (m.renewal_date - make_interval(months => j * m.term_months))::date AS previous_renewal,
       (m.renewal_date - make_interval(months => (j - 1) * m.term_months))::date AS new_renewal,
       CASE WHEN j = 1 AND m.formula = 'regional' AND pg_temp.u(m.id, 40) < 0.15
            THEN 'exclusive' ELSE m.formula END AS previous_formula,
       m.formula AS new_formula,
       coalesce(m.representative_id, mg.id) AS requester,
       pg_temp.u(m.id * 16 + j, 41) < 0.9 AS billed,
       least(pg_temp.work_time((m.renewal_date - make_interval(months => j * m.term_months))::date
                                 + pg_temp.pick(m.id * 16 + j, 42, 35) - 25, m.id * 16 + j),
             p.t::timestamp AT TIME ZONE 'America/Toronto') AS recorded_at,
       CASE m.formula WHEN 'exclusive' THEN 149500 WHEN 'regional' THEN 89500 ELSE 250000 END AS amount
FROM members m JOIN manager mg ON mg.district_id = m.district_id CROSS JOIN p
CROSS JOIN LATERAL generate_series(1, m.cycle - 1) j;

INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, decision, new_formula,
                              amount_cents, status, invoice_sent_at, invoice_sent_by, received_at,
                              received_by, paid_at, paid_by)
SELECT r.member_id, r.new_cycle - 1, r.requester, r.recorded_at - interval '20 days',
       CASE WHEN r.previous_formula <> r.new_formula THEN 'change_formula' ELSE 'renew_same' END,
       CASE WHEN r.previous_formula <> r.new_formula THEN r.new_formula END,
       r.amount, 'paid', r.recorded_at - interval '17 days', b.id,
       r.recorded_at - interval '14 days', r.requester, r.recorded_at, b.id
FROM ren r CROSS JOIN (SELECT id FROM users WHERE role = 'billing') b
WHERE r.billed ORDER BY r.recorded_at;

INSERT INTO renewals (member_id, recorded_by, recorded_at, previous_renewal, new_renewal,
                      previous_formula, new_formula, billing_request_id, cycle)
SELECT r.member_id, CASE WHEN r.billed THEN bu.id ELSE dir.id END, r.recorded_at,
       r.previous_renewal, r.new_renewal, r.previous_formula, r.new_formula, br.id, r.new_cycle
FROM ren r
CROSS JOIN (SELECT id FROM users WHERE role = 'billing') bu
CROSS JOIN (SELECT id FROM users WHERE lower(email) = 'direction@bench.renouvo.ca') dir
LEFT JOIN billing_requests br ON r.billed AND br.member_id = r.member_id
     AND br.cycle = r.new_cycle - 1 AND br.status = 'paid'
ORDER BY r.recorded_at;

-- A cycle that began with a renewal recorded after its date starts its
-- first stage on the day it was recorded (migration 0016), as the renewal
-- form does: until that stage has a follow-up, the member is held in it.
UPDATE members m SET welcome_from = r.recorded_on
FROM (SELECT DISTINCT ON (member_id) member_id, cycle, previous_renewal,
             (recorded_at AT TIME ZONE 'America/Toronto')::date AS recorded_on
      FROM renewals ORDER BY member_id, recorded_at DESC) r
WHERE r.member_id = m.id AND r.cycle = m.cycle AND m.status = 'active'
  AND r.recorded_on > r.previous_renewal;

-- Billing requests of the current cycle, for active members whose
-- billing stage has started (read from the timeline), in every step
-- according to the days left before the renewal date; a few were
-- cancelled and asked again. Lost members: a cancelled "not renewing".
CREATE TEMP TABLE cur AS
SELECT m.id AS member_id, m.cycle, m.formula, m.renewal_date - p.t AS days_left,
       coalesce(m.representative_id, mg.id) AS requester,
       least(pg_temp.work_time(st.start + pg_temp.pick(m.id, 50, 4), m.id),
             p.t::timestamp AT TIME ZONE 'America/Toronto') AS requested_at,
       pg_temp.u(m.id, 51) AS u_status, pg_temp.u(m.id, 52) AS u_decision
FROM members m JOIN manager mg ON mg.district_id = m.district_id CROSS JOIN p
CROSS JOIN LATERAL (
  SELECT (m.renewal_date + make_interval(months => ts.months))::date + ts.days AS start
  FROM timeline_stages ts
  WHERE ts.formula = m.formula AND ts.asks_billing_request AND ts.anchor = 'R'
  ORDER BY ts.position LIMIT 1
) st
WHERE m.status = 'active' AND st.start <= p.t;

INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, decision, new_formula,
                              amount_cents, status, invoice_sent_at, invoice_sent_by, received_at,
                              received_by)
SELECT c.member_id, c.cycle, c.requester, c.requested_at, c.decision,
       CASE WHEN c.decision = 'change_formula'
            THEN CASE c.formula WHEN 'exclusive' THEN 'regional' ELSE 'exclusive' END END,
       CASE c.decision WHEN 'not_renewing' THEN NULL
            ELSE CASE c.formula WHEN 'exclusive' THEN 149500 WHEN 'regional' THEN 89500 ELSE 250000 END END,
       c.status,
       CASE WHEN c.status IN ('invoice_sent', 'received') THEN least(c.requested_at + interval '3 days', p.t_end) END,
       CASE WHEN c.status IN ('invoice_sent', 'received') THEN b.id END,
       CASE WHEN c.status = 'received' THEN least(c.requested_at + interval '6 days', p.t_end) END,
       CASE WHEN c.status = 'received' THEN c.requester END
FROM (
  SELECT cur.*,
         CASE WHEN u_decision < 0.85 THEN 'renew_same'
              WHEN u_decision < 0.93 THEN 'change_formula' ELSE 'not_renewing' END AS decision,
         CASE WHEN days_left > 14 THEN CASE WHEN u_status < 0.75 THEN 'requested' END
              WHEN days_left > 7 THEN CASE WHEN u_status < 0.6 THEN 'invoice_sent'
                                           WHEN u_status < 0.85 THEN 'requested' END
              WHEN days_left >= 0 THEN CASE WHEN u_status < 0.35 THEN 'received'
                                            WHEN u_status < 0.75 THEN 'invoice_sent'
                                            WHEN u_status < 0.9 THEN 'requested' END
              ELSE CASE WHEN u_status < 0.3 THEN 'received' WHEN u_status < 0.6 THEN 'invoice_sent'
                        WHEN u_status < 0.8 THEN 'requested' END END AS status
  FROM cur
) c CROSS JOIN (SELECT id FROM users WHERE role = 'billing') b CROSS JOIN p
WHERE c.status IS NOT NULL
ORDER BY c.requested_at;

INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, decision, amount_cents,
                              status, note)
SELECT c.member_id, c.cycle, c.requester, c.requested_at - interval '2 days', 'renew_same',
       149500, 'cancelled', 'Demande faite en double, annulée.'
FROM cur c WHERE pg_temp.u(c.member_id, 53) < 0.04;

INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, decision, status, note)
SELECT m.id, m.cycle, coalesce(m.representative_id, mg.id),
       pg_temp.work_time(m.lost_on - 10, m.id), 'not_renewing', 'cancelled',
       'Ne renouvelle pas.'
FROM members m JOIN manager mg ON mg.district_id = m.district_id
WHERE m.status = 'lost' AND pg_temp.u(m.id, 54) < 0.4;

-- Follow-ups. Segments: the member's cycles in the app (j = 0 is the
-- current one, from P to today, or to the day they left); stage ranges:
-- each stage of the formula's timeline between its start and the next
-- stage's start, within the segment and the app's years of use.
CREATE TEMP TABLE seg AS
SELECT m.id AS member_id, m.formula, m.district_id, m.status, m.representative_id,
       j, m.cycle - j AS cycle,
       (m.renewal_date - make_interval(months => (j + 1) * m.term_months))::date AS sp,
       (m.renewal_date - make_interval(months => j * m.term_months))::date AS sr,
       greatest(m.join_date, p.w) AS lo,
       CASE WHEN j = 0 THEN coalesce(m.lost_on, p.t) + 1
            ELSE (m.renewal_date - make_interval(months => j * m.term_months))::date END AS hi
FROM members m CROSS JOIN p CROSS JOIN LATERAL generate_series(0, m.cycle - 1) j;

CREATE TEMP TABLE srange AS
SELECT s.member_id, s.district_id, s.status, s.representative_id, s.cycle, s.j,
       st.position, st.stage_key, st.label, st.colour,
       greatest(st.start, s.sp, s.lo) AS a, least(st.next_start, s.hi) AS b
FROM seg s
CROSS JOIN LATERAL (
  SELECT x.*, lead(x.start, 1, 'infinity'::date) OVER (ORDER BY x.position) AS next_start
  FROM (SELECT ts.position, ts.stage_key, ts.label, ts.colour,
               (CASE ts.anchor WHEN 'P' THEN s.sp ELSE s.sr END
                 + make_interval(months => ts.months))::date + ts.days AS start
        FROM timeline_stages ts WHERE ts.formula = s.formula) x
) st
WHERE greatest(st.start, s.sp, s.lo) < least(st.next_start, s.hi);

-- How many follow-ups in each stage range: floor(Exp(λ)), none for most
-- orphans (nobody follows them), the current stage done 4 times in 10.
INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, stage_label,
                        stage_colour, state, next_date)
SELECT f.member_id, f.author_id, f.at,
       (ARRAY['call','call','call','call','call','call','call','call','call','email','email',
              'email','email','meeting','meeting','meeting','sms','sms','visit','other'])[1 + pg_temp.pick(f.key, 60, 20)],
       pg_temp.body(1 + pg_temp.pick(f.key, 61, 16)),
       f.cycle, f.stage_key, f.label, f.colour,
       (ARRAY['green','green','green','green','green','green','green','green','green',
              'yellow','yellow','yellow','yellow','yellow','flame','flame','flame','red','red','red'])[1 + pg_temp.pick(f.key, 62, 20)],
       CASE WHEN pg_temp.u(f.key, 63) < 0.15 THEN f.at::date + 7 + pg_temp.pick(f.key, 64, 24) END
FROM (
  SELECT r.member_id, r.cycle, r.stage_key, r.label, r.colour,
         coalesce(r.representative_id, mg.id) AS author_id,
         (r.member_id * 4096 + r.cycle * 256 + r.position * 16 + g.n) AS key,
         pg_temp.work_time(r.a + pg_temp.pick(r.member_id * 4096 + r.cycle * 256 + r.position * 16 + g.n,
                                              65, (least(r.b, p.t + 1) - r.a)),
                           r.member_id * 4096 + r.cycle * 256 + r.position * 16 + g.n) AS at
  FROM srange r JOIN manager mg ON mg.district_id = r.district_id CROSS JOIN p
  CROSS JOIN LATERAL generate_series(1, CASE
      WHEN r.representative_id IS NULL AND pg_temp.u(r.member_id, 66) < 0.75 THEN 0
      WHEN r.j = 0 AND r.b > p.t AND r.status = 'active'
        THEN CASE WHEN pg_temp.u(r.member_id * 16 + r.position, 67) < 0.4 THEN 1 ELSE 0 END
      ELSE floor(-ln(1 - pg_temp.u(r.member_id * 4096 + r.cycle * 256 + r.position, 68)) * p.lambda)::int
    END) AS g(n)
  WHERE r.a <= p.t
) f
ORDER BY f.at;

-- A few corrections (new rows pointing at the one they correct).
INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, stage_label,
                        stage_colour, state, corrects_id)
SELECT f.member_id, f.author_id, f.at + interval '2 hours', f.channel,
       'Correction : ' || f.body, f.cycle, f.stage_key, f.stage_label, f.stage_colour, f.state, f.id
FROM follow_ups f WHERE pg_temp.u(f.id, 69) < 0.002 ORDER BY f.id;

-- The representative with about 330 active members (outside the small
-- district) and, among them, the member with exactly 50 follow-ups:
-- the one closest below 50, topped up in its current cycle.
CREATE TEMP TABLE chosen AS
SELECT m.representative_id AS rep_id
FROM members m JOIN dq q ON q.district_id = m.district_id
WHERE m.status = 'active' AND m.representative_id IS NOT NULL AND q.dno <> 10
GROUP BY 1 ORDER BY abs(count(*) - 330), 1 LIMIT 1;

ALTER TABLE chosen ADD COLUMN member_id bigint, ADD COLUMN had int;
UPDATE chosen c SET member_id = x.id, had = x.n
FROM (SELECT m.id, count(f.id)::int AS n
      FROM members m JOIN chosen c2 ON m.representative_id = c2.rep_id CROSS JOIN p
      LEFT JOIN follow_ups f ON f.member_id = m.id
      WHERE m.status = 'active' AND m.renewal_date >= p.t
      GROUP BY m.id HAVING count(f.id) <= 50 ORDER BY 2 DESC, 1 LIMIT 1) x;

INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, stage_label,
                        stage_colour, state)
SELECT m.id, m.representative_id, pg_temp.work_time(d.day, m.id * 64 + g.n), 'call',
       pg_temp.body(1 + pg_temp.pick(m.id * 64 + g.n, 70, 16)), m.cycle, st.stage_key, st.label,
       st.colour, 'green'
FROM chosen c JOIN members m ON m.id = c.member_id CROSS JOIN p
CROSS JOIN LATERAL generate_series(1, 50 - c.had) AS g(n)
CROSS JOIN LATERAL (
  SELECT x.lo + pg_temp.pick(m.id * 64 + g.n, 71, p.t - x.lo + 1) AS day
  FROM (SELECT greatest((m.renewal_date - make_interval(months => m.term_months))::date,
                        m.join_date, p.w) AS lo) x
) d
CROSS JOIN LATERAL (
  SELECT ts.stage_key, ts.label, ts.colour FROM timeline_stages ts
  WHERE ts.formula = m.formula
    AND (CASE ts.anchor WHEN 'P' THEN (m.renewal_date - make_interval(months => m.term_months))::date
              ELSE m.renewal_date END + make_interval(months => ts.months))::date + ts.days <= d.day
  ORDER BY ts.position DESC LIMIT 1
) st
ORDER BY 3;

-- After a renewal recorded late, the first follow-up of the new cycle is
-- the one that checks the registration (the member is held in that stage
-- until it has one), as the application files it; the few members with no
-- follow-up since stay held. Corrections follow their follow-up.
CREATE TEMP TABLE first_after_late AS
SELECT DISTINCT ON (m.id) f.id AS follow_up_id, ts.stage_key, ts.label, ts.colour
FROM members m
JOIN follow_ups f ON f.member_id = m.id AND f.cycle = m.cycle AND f.corrects_id IS NULL
 AND (f.at AT TIME ZONE 'America/Toronto')::date >= m.welcome_from
JOIN timeline_stages ts ON ts.formula = m.formula AND ts.stage_key = 'welcome'
WHERE m.welcome_from IS NOT NULL
ORDER BY m.id, f.at, f.id;

UPDATE follow_ups f SET stage_key = x.stage_key, stage_label = x.label, stage_colour = x.colour
FROM first_after_late x WHERE f.id = x.follow_up_id;
UPDATE follow_ups f SET stage_key = x.stage_key, stage_label = x.label, stage_colour = x.colour
FROM first_after_late x WHERE f.corrects_id = x.follow_up_id;

-- The member's last contact and state: those of its latest follow-up.
UPDATE members m SET last_contact_at = x.at, state = x.state
FROM (SELECT DISTINCT ON (member_id) member_id, at, state FROM follow_ups
      WHERE corrects_id IS NULL ORDER BY member_id, at DESC, id DESC) x
WHERE m.id = x.member_id;

-- Planned follow-ups: each follow-up with a next date planned one; it was
-- closed by the member's next follow-up, or is still open (the latest
-- one, if the member is active: often due already), or was closed when
-- the member left.
INSERT INTO planned_follow_ups (member_id, planned_by, from_follow_up_id, due_date, status,
                                closed_on, closed_by_follow_up_id, created_at)
SELECT f.member_id, f.author_id, f.id, f.next_date,
       CASE WHEN f.next_id IS NULL AND m.status = 'active' THEN 'open' ELSE 'done' END,
       CASE WHEN f.next_id IS NOT NULL THEN (f.next_at AT TIME ZONE 'America/Toronto')::date
            WHEN m.status = 'lost' THEN m.lost_on END,
       f.next_id, f.at
FROM (SELECT id, member_id, author_id, at, next_date,
             lead(id) OVER w AS next_id, lead(at) OVER w AS next_at
      FROM follow_ups WHERE corrects_id IS NULL
      WINDOW w AS (PARTITION BY member_id ORDER BY at, id)) f
JOIN members m ON m.id = f.member_id
WHERE f.next_date IS NOT NULL
ORDER BY f.at;

-- Reasons given by 8 % of the members, in the last year.
INSERT INTO member_reasons (member_id, reason_id, author_id, at, answer_tried)
SELECT m.id, r.id, coalesce(m.representative_id, mg.id),
       pg_temp.work_time(p.t - pg_temp.pick(m.id, 80, 365), m.id),
       CASE WHEN pg_temp.u(m.id, 81) < 0.6 THEN left(r.answer, 300) ELSE '' END
FROM members m JOIN manager mg ON mg.district_id = m.district_id CROSS JOIN p
CROSS JOIN rs JOIN reasons r ON r.id = rs.ids[1 + pg_temp.pick(m.id, 82, rs.n)]
WHERE pg_temp.u(m.id, 83) < 0.08
ORDER BY 4;

-- Escalations: 3 % of the members, over two years (more of them lately);
-- the recent ones still open or acknowledged, the older ones answered
-- (some late), a few escalated further to direction.
CREATE TEMP TABLE esc AS
SELECT m.id AS member_id, coalesce(m.representative_id, mg.id) AS raised_by,
       pg_temp.work_time(p.t - floor(pg_temp.u(m.id, 90) ^ 2 * 700)::int, m.id) AS raised_at,
       CASE WHEN pg_temp.u(m.id, 91) < 0.6 THEN 'district'
            WHEN pg_temp.u(m.id, 91) < 0.9 THEN 'direction' ELSE 'customer_service' END AS level,
       CASE WHEN pg_temp.u(m.id, 92) < 0.7
            THEN rs.ids[1 + pg_temp.pick(m.id, 93, rs.n)] END AS reason_id,
       mg.id AS manager_id, pg_temp.u(m.id, 94) AS u_status, pg_temp.u(m.id, 95) AS u_delay
FROM members m JOIN manager mg ON mg.district_id = m.district_id CROSS JOIN p CROSS JOIN rs
WHERE pg_temp.u(m.id, 96) < 0.03;

INSERT INTO escalations (member_id, raised_by, raised_at, level, reason_id, body, due_on, status,
                         acknowledged_at, acknowledged_by, resolution, resolved_at, resolved_by)
SELECT e.member_id, e.raised_by, e.raised_at, e.level, e.reason_id,
       'Le membre hésite à renouveler : ' || coalesce(r.label, 'voir les suivis') || '.',
       (e.raised_at AT TIME ZONE 'America/Toronto')::date + 7, e.status,
       CASE WHEN e.status IN ('acknowledged', 'escalated') OR (e.status = 'resolved' AND e.u_delay < 0.6)
            THEN least(e.raised_at + e.u_delay * interval '5 days', p.t_end) END,
       CASE WHEN e.status IN ('acknowledged', 'escalated') OR (e.status = 'resolved' AND e.u_delay < 0.6)
            THEN e.receiver END,
       CASE WHEN e.status = 'resolved' THEN 'Appel fait avec le membre ; entente trouvée, suivi au dossier.' END,
       CASE WHEN e.status = 'resolved' THEN least(e.raised_at + e.u_delay * interval '12 days', p.t_end) END,
       CASE WHEN e.status = 'resolved' THEN e.receiver END
FROM (
  SELECT esc.*,
         CASE WHEN esc.level = 'district' THEN esc.manager_id
              ELSE (SELECT id FROM users WHERE lower(email) = 'direction@bench.renouvo.ca') END AS receiver,
         CASE WHEN esc.raised_at > (SELECT t FROM p) - interval '30 days'
              THEN CASE WHEN u_status < 0.5 THEN 'open' WHEN u_status < 0.8 THEN 'acknowledged'
                        ELSE 'resolved' END
              ELSE CASE WHEN u_status < 0.05 THEN 'open' WHEN u_status < 0.1 THEN 'acknowledged'
                        WHEN u_status < 0.15 AND esc.level = 'district' THEN 'escalated'
                        ELSE 'resolved' END END AS status
  FROM esc
) e LEFT JOIN reasons r ON r.id = e.reason_id CROSS JOIN p
ORDER BY e.raised_at;

INSERT INTO escalations (member_id, raised_by, raised_at, level, reason_id, body, due_on, status,
                         resolution, resolved_at, resolved_by, parent_id)
SELECT e.member_id, e.acknowledged_by, e.acknowledged_at + interval '1 day', 'direction', e.reason_id,
       'Escaladé par le district : ' || e.body, (e.acknowledged_at AT TIME ZONE 'America/Toronto')::date + 8,
       'resolved', 'Rabais accordé par la direction.', e.acknowledged_at + interval '4 days', dir.id, e.id
FROM escalations e
CROSS JOIN (SELECT id FROM users WHERE lower(email) = 'direction@bench.renouvo.ca') dir
WHERE e.status = 'escalated';

-- Group meetings (issue 14): every group met each week on its meeting day
-- over the last 52 weeks, one meeting in 40 cancelled; each active member
-- holding a seat since before the meeting has a line. Attendance and
-- referrals differ from member to member (some drift away), so that the
-- engagement light and the renewal risk vary as they would.
INSERT INTO meetings (group_id, held_on, cancelled_at, created_at)
SELECT g.id, d.day,
       CASE WHEN pg_temp.u(g.id * 1000 + wk, 61) < 0.025 THEN d.day + time '20:00' END,
       d.day + time '20:00'
FROM groups g CROSS JOIN p CROSS JOIN LATERAL generate_series(0, 51) wk
CROSS JOIN LATERAL (
  SELECT (p.t - ((extract(isodow FROM p.t)::int - g.meeting_day + 7) % 7) - 7 * wk)::date AS day
) d
WHERE g.meeting_day IS NOT NULL;

INSERT INTO meeting_lines (meeting_id, member_id, held_on, attendance, referrals_given,
                           referrals_received, visitors, one_to_ones, thanks_cents, updated_at)
SELECT mt.id, m.id, mt.held_on, a.attendance,
       CASE WHEN a.attendance = 'absent' THEN 0 ELSE pg_temp.pick(k.k, 63, 3) END,
       CASE WHEN pg_temp.u(k.k, 64) < e.give THEN 1 + pg_temp.pick(k.k, 65, 2) ELSE 0 END,
       CASE WHEN pg_temp.u(k.k, 66) < 0.1 THEN 1 ELSE 0 END,
       pg_temp.pick(k.k, 67, 2),
       CASE WHEN pg_temp.u(k.k, 68) < 0.05 THEN 50000 + 1000 * pg_temp.pick(k.k, 69, 200) ELSE 0 END,
       mt.held_on + time '20:00'
FROM meetings mt
JOIN members m ON m.group_id = mt.group_id AND m.status = 'active' AND m.join_date <= mt.held_on
CROSS JOIN LATERAL (SELECT m.id * 1000 + (mt.held_on - date '2020-01-01') AS k) k
-- Each member's presence (50 to 98 %) and chance of a referral received
-- (10 to 45 % of meetings); one member in six drifts away over the year.
CROSS JOIN LATERAL (
  SELECT 0.50 + 0.48 * pg_temp.u(m.id, 70)
           - CASE WHEN pg_temp.u(m.id, 71) < 0.17
                  THEN 0.4 * (1 - ((SELECT t FROM p) - mt.held_on) / 364.0) ELSE 0 END AS present,
         0.10 + 0.35 * pg_temp.u(m.id, 72) AS give
) e
CROSS JOIN LATERAL (
  SELECT CASE WHEN pg_temp.u(k.k, 62) < e.present THEN
                CASE WHEN pg_temp.u(k.k, 73) < 0.05 THEN 'substitute' ELSE 'present' END
              WHEN pg_temp.u(k.k, 74) < 0.3 THEN 'excused'
              ELSE 'absent' END AS attendance
) a
WHERE mt.cancelled_at IS NULL;

-- End of the bulk load: the tables kept by triggers rebuilt, the indexes
-- again, the triggers on, and every foreign key of the filled tables
-- checked.
DO $$
DECLARE
  r record;
  bad bigint;
BEGIN
  PERFORM derived_tables_rebuild();
  FOR r IN SELECT def FROM saved_indexes LOOP
    EXECUTE r.def;
  END LOOP;
  FOR r IN SELECT t FROM bulk_tables LOOP
    EXECUTE format('ALTER TABLE %s ENABLE TRIGGER ALL', r.t);
  END LOOP;
  FOR r IN
    SELECT c.conname, c.conrelid::regclass AS tbl, c.confrelid::regclass AS ref,
           (SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY k.ord)
            FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols,
           (SELECT string_agg(format('r.%I', a.attname), ', ' ORDER BY k.ord)
            FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_cols
    FROM pg_constraint c JOIN bulk_tables b ON b.t = c.conrelid
    WHERE c.contype = 'f'
  LOOP
    EXECUTE format('SELECT count(*) FROM %s t WHERE (%s) IS NOT NULL AND NOT EXISTS '
                   '(SELECT 1 FROM %s r WHERE (%s) = (%s))',
                   r.tbl, r.cols, r.ref, r.ref_cols, r.cols) INTO bad;
    IF bad > 0 THEN
      RAISE EXCEPTION 'clé étrangère % de % : % lignes sans correspondance', r.conname, r.tbl, bad;
    END IF;
  END LOOP;
END $$;

COMMIT;

VACUUM ANALYZE;

-- Today's renewal risk of every active member (issue 14), in one pass, so
-- that the server starts with nothing to recompute.
SELECT risk_refresh(ARRAY(SELECT id FROM members WHERE status = 'active'), :'today'::date) AS risks_computed;
VACUUM ANALYZE member_risks;

-- The past scores of the calibration report's default period (the last 12
-- complete months, the whole network), as the server's upkeep would have
-- left them after a while: the report is measured as people read it once
-- it is filled, not while it fills.
SELECT cycle_risks_fill((date_trunc('month', :'today'::date) - interval '12 months')::date,
                        (date_trunc('month', :'today'::date) - interval '1 day')::date,
                        NULL, 10000000) AS past_scores_computed;
VACUUM ANALYZE cycle_risks;

-- For bench/load: key=value lines.
SELECT 'rep_email=' || u.email FROM chosen c JOIN users u ON u.id = c.rep_id
UNION ALL SELECT 'rep_members=' || count(*) FROM members m JOIN chosen c ON m.representative_id = c.rep_id WHERE m.status = 'active'
UNION ALL SELECT 'member50=' || c.member_id FROM chosen c
UNION ALL SELECT 'member50_follow_ups=' || count(*) FROM follow_ups f JOIN chosen c ON f.member_id = c.member_id
UNION ALL SELECT 'post_members=' || string_agg(m.id::text, ',' ORDER BY m.id)
  FROM members m JOIN chosen c ON m.representative_id = c.rep_id AND m.id <> c.member_id WHERE m.status = 'active'
UNION ALL SELECT 'small_district=' || q.district_id FROM dq q WHERE q.dno = 10
UNION ALL SELECT 'manager_email=gestion1@bench.renouvo.ca'
UNION ALL SELECT 'count_members=' || count(*) FROM members
UNION ALL SELECT 'count_active=' || count(*) FROM members WHERE status = 'active'
UNION ALL SELECT 'count_representatives=' || count(*) FROM users WHERE role = 'representative'
UNION ALL SELECT 'count_groups=' || count(*) FROM groups
UNION ALL SELECT 'count_follow_ups=' || count(*) FROM follow_ups
UNION ALL SELECT 'count_planned_open=' || count(*) FROM planned_follow_ups WHERE status = 'open'
UNION ALL SELECT 'count_renewals=' || count(*) FROM renewals
UNION ALL SELECT 'count_billing_requests=' || count(*) FROM billing_requests
UNION ALL SELECT 'count_escalations=' || count(*) FROM escalations
UNION ALL SELECT 'count_meeting_lines=' || count(*) FROM meeting_lines;
