-- The renewal timeline (SPEC §3): one table of stages per formula, seeded
-- here and editable by direction afterwards. A stage starts at its anchor
-- (P = previous renewal, R = next renewal) + `months` calendar months
-- (clamped to the month's end) + `days`; offsets are signed. The
-- calculation itself lives in src/domain/timeline.rs, whose test fixture
-- mirrors these rows (a unit test reads this file and compares).

CREATE TABLE timeline_stages (
  formula   text NOT NULL CHECK (formula IN ('exclusive','regional','partner')),
  stage_key text NOT NULL,
  label     text NOT NULL,
  anchor    char(1) NOT NULL CHECK (anchor IN ('P','R')),
  months    integer NOT NULL,
  days      integer NOT NULL,
  colour    text NOT NULL CHECK (colour IN ('red','orange','yellow','green')),
  position  integer NOT NULL,
  action    text NOT NULL CHECK (length(action) BETWEEN 1 AND 4000),
  asks_billing_request boolean NOT NULL DEFAULT false,
  PRIMARY KEY (formula, stage_key),
  UNIQUE (formula, position)
);

-- Actions that apply at any time, whatever the formula or stage (green).
CREATE TABLE standing_actions (
  id serial PRIMARY KEY,
  position integer NOT NULL UNIQUE,
  action text NOT NULL
);

-- Exclusive seats.
INSERT INTO timeline_stages
  (formula, stage_key, label, anchor, months, days, colour, position, action, asks_billing_request)
VALUES
  ('exclusive', 'welcome', 'Inscription (vérification)', 'P', 0, 0, 'red', 1,
'• Vérifier que l’inscription (ou la réinscription) est bien enregistrée dans l’intranet.
• S’assurer que la facture est payée.
• Contrôler la date de renouvellement inscrite au dossier.
• Voir à ce que le profil du membre soit complet.', false),
  ('exclusive', 'after_1m', '1 mois après', 'P', 1, 0, 'yellow', 2,
'• Appeler le membre pour prendre de ses nouvelles : est-il satisfait de son premier mois?
• Vérifier que son profil est complet; sinon, l’aider à le terminer.', false),
  ('exclusive', 'after_3m', '3 à 6 mois après', 'P', 3, 0, 'green', 3,
'• Planifier une rencontre pour explorer avec lui les occasions d’affaires qu’il recherche.
• L’inviter à laisser un avis sur nos pages de réseaux sociaux.
• Vérifier qu’il reçoit bien nos communications (courriels, infolettre).', false),
  ('exclusive', 'before_6m', '6 à 4 mois avant', 'R', -6, 0, 'green', 4,
'• Lui demander si un deuxième siège pourrait l’intéresser.
• Voir s’il connaît quelqu’un qu’il aimerait recommander au réseau.
• Lui présenter les possibilités de passer à une formule supérieure.
• Lui parler de la promotion en cours, s’il y en a une.', false),
  ('exclusive', 'before_3m', '3 mois avant', 'R', -3, 0, 'yellow', 5,
'• Analyser sa présence aux rencontres du groupe.
• Faire le bilan des références qu’il a données et reçues.
• Évaluer son implication dans le groupe.', false),
  ('exclusive', 'before_2m', '2 mois avant', 'R', -2, 0, 'yellow', 6,
'• Faire une dernière analyse de son dossier.
• Trouver une façon de lui apporter des références pour qu’il voie le rendement de son investissement.
• Savoir s’il a l’intention de renouveler.', false),
  ('exclusive', 'before_1m', '1 mois avant', 'R', -1, 0, 'orange', 7,
'• Relire le dossier et les suivis précédents; consulter le CA du groupe.
• Vérifier les rabais possibles : crédits GR, rabais de membre du CA.
• Rappeler qu’un membre du CA doit renouveler pour garder son poste.
• Régler les engagements en suspens (facture, profil, formation).', false),
  ('exclusive', 'before_3w', '3 semaines avant', 'R', 0, -21, 'orange', 8,
'• Confirmer avec le membre ses renseignements et sa décision.
• Envoyer la demande de facturation : la facture part dans les 14 jours.', true),
  ('exclusive', 'before_2w', '2 semaines avant', 'R', 0, -14, 'red', 9,
'• Le membre reçoit sa facture : confirmer qu’il l’a bien reçue.
• Répondre à ses questions sur le montant ou le paiement.', false),
  ('exclusive', 'before_1w', '1 semaine avant', 'R', 0, -7, 'red', 10,
'• Vérifier si le renouvellement est payé.
• Sinon, relancer le membre et noter la date de paiement promise.', false),
  ('exclusive', 'renewal_day', 'Inscription', 'R', 0, 0, 'red', 11,
'• S’assurer que le renouvellement est enregistré dans l’intranet.
• Vérifier que la facture est payée.
• Confirmer la nouvelle date de renouvellement.
• Voir à ce que le profil du membre soit complet.', false);

-- Regional seats: the exclusive stages and colours, with their own texts
-- (before_6m and before_1m differ: regional members have no group).
INSERT INTO timeline_stages
  (formula, stage_key, label, anchor, months, days, colour, position, action, asks_billing_request)
VALUES
  ('regional', 'welcome', 'Inscription (vérification)', 'P', 0, 0, 'red', 1,
'• Vérifier que l’inscription (ou la réinscription) est bien enregistrée dans l’intranet.
• S’assurer que la facture est payée.
• Contrôler la date de renouvellement inscrite au dossier.
• Voir à ce que le profil du membre soit complet.', false),
  ('regional', 'after_1m', '1 mois après', 'P', 1, 0, 'yellow', 2,
'• Appeler le membre pour prendre de ses nouvelles : est-il satisfait de son premier mois?
• Vérifier que son profil est complet; sinon, l’aider à le terminer.', false),
  ('regional', 'after_3m', '3 à 6 mois après', 'P', 3, 0, 'green', 3,
'• Planifier une rencontre pour explorer avec lui les occasions d’affaires qu’il recherche.
• L’inviter à laisser un avis sur nos pages de réseaux sociaux.
• Vérifier qu’il reçoit bien nos communications (courriels, infolettre).', false),
  ('regional', 'before_6m', '6 à 4 mois avant', 'R', -6, 0, 'green', 4,
'• Voir s’il est prêt à passer à un siège exclusif ou à se joindre à un groupe B.
• Voir s’il connaît quelqu’un qu’il aimerait recommander au réseau.
• Lui parler de la promotion en cours, s’il y en a une.', false),
  ('regional', 'before_3m', '3 mois avant', 'R', -3, 0, 'yellow', 5,
'• Analyser sa présence aux activités du réseau.
• Faire le bilan des références qu’il a données et reçues.
• Évaluer son implication dans le réseau.', false),
  ('regional', 'before_2m', '2 mois avant', 'R', -2, 0, 'yellow', 6,
'• Faire une dernière analyse de son dossier.
• Trouver une façon de lui apporter des références pour qu’il voie le rendement de son investissement.
• Savoir s’il a l’intention de renouveler.', false),
  ('regional', 'before_1m', '1 mois avant', 'R', -1, 0, 'orange', 7,
'• Relire le dossier et les suivis précédents.
• Vérifier les rabais possibles : crédits GR, promotions.
• Régler les engagements en suspens (facture, profil, formation).
• L’inciter à se joindre au moins à un groupe B (2 mois de plus).', false),
  ('regional', 'before_3w', '3 semaines avant', 'R', 0, -21, 'orange', 8,
'• Confirmer avec le membre ses renseignements et sa décision.
• Envoyer la demande de facturation : la facture part dans les 14 jours.', true),
  ('regional', 'before_2w', '2 semaines avant', 'R', 0, -14, 'red', 9,
'• Le membre reçoit sa facture : confirmer qu’il l’a bien reçue.
• Répondre à ses questions sur le montant ou le paiement.', false),
  ('regional', 'before_1w', '1 semaine avant', 'R', 0, -7, 'red', 10,
'• Vérifier si le renouvellement est payé.
• Sinon, relancer le membre et noter la date de paiement promise.', false),
  ('regional', 'renewal_day', 'Inscription', 'R', 0, 0, 'red', 11,
'• S’assurer que le renouvellement est enregistré dans l’intranet.
• Vérifier que la facture est payée.
• Confirmer la nouvelle date de renouvellement.
• Voir à ce que le profil du membre soit complet.', false);

-- Partners.
INSERT INTO timeline_stages
  (formula, stage_key, label, anchor, months, days, colour, position, action, asks_billing_request)
VALUES
  ('partner', 'welcome', 'Inscription (vérification)', 'P', 0, 0, 'red', 1,
'• Vérifier que l’inscription (ou la réinscription) du partenaire est bien enregistrée dans l’intranet.
• S’assurer que la facture est payée.
• Contrôler la date de renouvellement inscrite au dossier.
• Voir à ce que ses profils soient complets.', false),
  ('partner', 'after_1m', '1 mois après', 'P', 1, 0, 'yellow', 2,
'• Vérifier que les profils du partenaire sont complets.
• Prendre de ses nouvelles : est-il satisfait du partenariat jusqu’ici?', false),
  ('partner', 'growth', '11 à 6 mois avant', 'P', 2, 0, 'yellow', 3,
'• Bâtir avec lui une stratégie pour faire grandir son adhésion corporative.
• Présenter l’offre en ligne et le rendement qu’il peut en attendre.
• Annoncer le partenariat aux groupes.
• Lui proposer un événement VIP, une commandite ou une place au salon des marchands.', false),
  ('partner', 'before_3m', '3 mois avant', 'R', -3, 0, 'yellow', 4,
'• Analyser sa présence, les références échangées et son implication.
• Se demander s’il tire le maximum de son partenariat, et sinon, comment l’y aider.', false),
  ('partner', 'before_2m', '2 mois avant', 'R', -2, 0, 'yellow', 5,
'• Faire une dernière analyse de son dossier.
• Savoir s’il a l’intention de renouveler.', false),
  ('partner', 'before_45d', '1 ½ mois avant', 'R', -1, -15, 'red', 6,
'• Relire le dossier et les suivis précédents.
• Vérifier ses crédits et les promotions offertes.
• Lui proposer de bonifier son partenariat.', false),
  ('partner', 'before_1m', '1 mois avant', 'R', -1, 0, 'red', 7,
'• Confirmer sa décision.
• Envoyer la demande de facturation : la facture part environ un mois avant le renouvellement.', true),
  ('partner', 'before_2w', '2 semaines avant', 'R', 0, -14, 'red', 8,
'• Confirmer que le partenaire a bien reçu sa facture.
• Répondre à ses questions sur le montant ou le paiement.', false),
  ('partner', 'before_1w', '1 semaine avant', 'R', 0, -7, 'red', 9,
'• Vérifier si le renouvellement est payé.
• Sinon, relancer le partenaire et noter la date de paiement promise.', false),
  ('partner', 'renewal_day', 'Inscription', 'R', 0, 0, 'red', 10,
'• S’assurer que le renouvellement est enregistré dans l’intranet.
• Vérifier que la facture est payée.
• Confirmer la nouvelle date de renouvellement.
• Voir à ce que ses profils soient complets.', false);

INSERT INTO standing_actions (position, action) VALUES
  (1, 'Inviter le membre dans les groupes et sur les pages du réseau dans les médias sociaux, et lui expliquer ce qu’il gagne à y être actif.'),
  (2, 'L’encourager à participer aux événements et à visiter d’autres groupes.'),
  (3, 'Lui proposer de s’impliquer davantage : siéger au CA, devenir ambassadeur, passer à une formule supérieure.'),
  (4, 'Le jumeler à des occasions d’affaires et lui transmettre des références.'),
  (5, 'Lui suggérer d’ajouter ses offres dans la section des offres du réseau.');
