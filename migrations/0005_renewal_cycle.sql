-- The renewal cycle (SPEC §2, §5): billing requests, renewals, departures,
-- the reasons catalogue, reasons recorded, escalations.

-- Departure: date and main reason (mandatory when lost).
CREATE TABLE reasons (
    id               bigserial PRIMARY KEY,
    category         text NOT NULL CHECK (category IN ('irrecoverable', 'recoverable', 'recoverable_followed')),
    label            text NOT NULL CHECK (length(btrim(label)) BETWEEN 1 AND 200),
    answer           text NOT NULL CHECK (length(btrim(answer)) BETWEEN 1 AND 2000),
    escalation_level text CHECK (escalation_level IN ('district', 'direction', 'customer_service')),
    position         integer NOT NULL,
    active           boolean NOT NULL DEFAULT true,
    UNIQUE (category, position)
);

ALTER TABLE members ADD COLUMN lost_on date;
ALTER TABLE members ADD COLUMN lost_reason_id bigint REFERENCES reasons (id);
ALTER TABLE members ADD CONSTRAINT members_lost_check
    CHECK ((status = 'lost') = (lost_on IS NOT NULL AND lost_reason_id IS NOT NULL));

-- A reason a member gave, with the answer tried.
CREATE TABLE member_reasons (
    id           bigserial PRIMARY KEY,
    member_id    bigint NOT NULL REFERENCES members (id),
    reason_id    bigint NOT NULL REFERENCES reasons (id),
    author_id    bigint NOT NULL REFERENCES users (id),
    at           timestamptz NOT NULL DEFAULT now(),
    answer_tried text NOT NULL DEFAULT '' CHECK (length(answer_tried) <= 4000),
    follow_up_id bigint REFERENCES follow_ups (id)
);
CREATE INDEX member_reasons_member_idx ON member_reasons (member_id, at DESC);

CREATE TABLE billing_requests (
    id               bigserial PRIMARY KEY,
    member_id        bigint NOT NULL REFERENCES members (id),
    cycle            integer NOT NULL,
    requested_by     bigint NOT NULL REFERENCES users (id),
    requested_at     timestamptz NOT NULL DEFAULT now(),
    decision         text NOT NULL CHECK (decision IN ('renew_same', 'change_formula', 'not_renewing')),
    new_formula      text CHECK (new_formula IN ('exclusive', 'regional', 'partner')),
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    amount_cents     bigint CHECK (amount_cents BETWEEN 0 AND 100000000),
    status           text NOT NULL DEFAULT 'requested'
                     CHECK (status IN ('requested', 'invoice_sent', 'received', 'paid', 'cancelled')),
    invoice_sent_at  timestamptz,
    invoice_sent_by  bigint REFERENCES users (id),
    received_at      timestamptz,
    received_by      bigint REFERENCES users (id),
    paid_at          timestamptz,
    paid_by          bigint REFERENCES users (id),
    CHECK ((decision = 'change_formula') = (new_formula IS NOT NULL))
);
-- One live request per member and cycle.
CREATE UNIQUE INDEX billing_requests_live_key ON billing_requests (member_id, cycle)
    WHERE status <> 'cancelled';
CREATE INDEX billing_requests_status_idx ON billing_requests (status, requested_at);

-- Each recorded renewal: the date moved one term, the formula perhaps changed.
CREATE TABLE renewals (
    id                 bigserial PRIMARY KEY,
    member_id          bigint NOT NULL REFERENCES members (id),
    recorded_by        bigint NOT NULL REFERENCES users (id),
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    previous_renewal   date NOT NULL,
    new_renewal        date NOT NULL CHECK (new_renewal > previous_renewal),
    previous_formula   text NOT NULL,
    new_formula        text NOT NULL,
    billing_request_id bigint REFERENCES billing_requests (id),
    cycle              integer NOT NULL
);
CREATE INDEX renewals_member_idx ON renewals (member_id, recorded_at DESC);
CREATE INDEX renewals_previous_idx ON renewals (previous_renewal);

CREATE TABLE escalations (
    id              bigserial PRIMARY KEY,
    member_id       bigint NOT NULL REFERENCES members (id),
    raised_by       bigint NOT NULL REFERENCES users (id),
    raised_at       timestamptz NOT NULL DEFAULT now(),
    level           text NOT NULL CHECK (level IN ('district', 'direction', 'customer_service')),
    reason_id       bigint REFERENCES reasons (id),
    body            text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
    -- Whoever receives it answers with the actions taken within 7 days.
    due_on          date NOT NULL,
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'acknowledged', 'resolved', 'escalated')),
    acknowledged_at timestamptz,
    acknowledged_by bigint REFERENCES users (id),
    resolution      text CHECK (length(resolution) <= 4000),
    resolved_at     timestamptz,
    resolved_by     bigint REFERENCES users (id),
    -- Escalating further opens a new escalation pointing at this one.
    parent_id       bigint REFERENCES escalations (id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX escalations_member_idx ON escalations (member_id, raised_at DESC);
CREATE INDEX escalations_queue_idx ON escalations (level, status, due_on);

-- The reasons catalogue (SPEC §5), in our own words. Direction may edit it.
INSERT INTO reasons (category, position, label, answer, escalation_level) VALUES
('irrecoverable', 1, 'Décès ou maladie grave',
 'Offrir nos condoléances ou notre soutien, puis voir qui prend la relève de l''entreprise : la personne qui reprend les affaires pourrait garder le siège.', NULL),
('irrecoverable', 2, 'Changement d''emploi ou de titre',
 'Demander une référence : un collègue qui le remplace au même endroit, ou quelqu''un de son nouvel emploi.', NULL),
('irrecoverable', 3, 'Entreprise fermée',
 'Fermer le dossier avec respect et noter la date de fermeture.', NULL),
('irrecoverable', 4, 'Groupe fermé',
 'Proposer une relocalisation dans un autre groupe du district.', NULL),
('irrecoverable', 5, 'Déménagement dans une région sans réseau',
 'Proposer un groupe B ou un siège régional, ou l''idée de démarrer un groupe dans sa nouvelle région.', NULL),
('recoverable', 1, 'Promesses non tenues (par nous ou un ancien réseau)',
 'Vérifier les faits, transmettre le dossier au service à la clientèle et en informer la direction.', 'customer_service'),
('recoverable', 2, 'Pas d''argent ou moins de moyens',
 'Proposer un plan de financement (paiements par carte) et consulter le gestionnaire ou la direction.', NULL),
('recoverable', 3, 'Plus de place dans le groupe voulu',
 'Il y a toujours de la place : proposer un groupe B ou un siège régional.', NULL),
('recoverable', 4, 'Pas de résultats ou pas de références',
 'Comprendre pourquoi (souvent une implication trop faible), apprendre à connaître son secteur, vérifier si le représentant avait été avisé et offrir la ressource marketing-plus.', NULL),
('recoverable', 5, 'Manque de temps',
 'Proposer le siège régional ou un groupe B pour l''instant : il garde son statut, ses crédits, son ancienneté et ses offres, et pourra revenir à un siège exclusif par formulaire de transfert.', NULL),
('recoverable', 6, 'Conflit d''horaire',
 'Chercher une autre heure de rencontre, une rencontre virtuelle ou un autre groupe ; en dernier recours, le régional ou un groupe B.', NULL),
('recoverable', 7, 'Pas à l''aise dans son groupe',
 'Offrir un transfert gratuit vers un autre groupe.', NULL),
('recoverable', 8, 'Insatisfait de notre service ou de notre personnel',
 'Remplir avec lui le formulaire du service à la clientèle.', 'customer_service'),
('recoverable', 9, 'Déménagement (région sans groupe)',
 'Proposer le siège régional, un groupe B ou le démarrage d''un groupe dans sa région.', NULL),
('recoverable_followed', 1, 'Trop de clients ou trop d''affaires',
 'Proposer le régional ou un groupe B : il garde ses privilèges tout en se libérant du temps.', NULL),
('recoverable_followed', 2, 'Membre d''un autre groupe d''affaires',
 'Offrir de racheter le reste de son contrat avec l''autre réseau en temps de membre, ou une promotion à voir avec la direction.', NULL),
('recoverable_followed', 3, 'Malaise avec un membre du CA ou la direction',
 'Le représentant en parle d''abord, puis le gestionnaire de district, puis le formulaire du service à la clientèle ; tout documenter.', 'district'),
('recoverable_followed', 4, 'Manque d''implication du groupe ou de son CA',
 'Aviser le gestionnaire de district, vérifier que les enseignements sont appliqués, proposer les outils de formation et aviser la direction.', 'district'),
('recoverable_followed', 5, 'Personnes négatives dans le groupe',
 'Le CA s''en occupe d''abord, puis le gestionnaire de district, et la direction au besoin ; tout documenter.', 'district');
