//! The fixed material the demo draws from: districts, groups, staff,
//! names, professions, business names and cities (all fictional).
use crate::domain::user::Role;

pub const DISTRICTS: [&str; 3] = ["Montréal", "Capitale-Nationale", "Montérégie"];

/// A staff account: email, display name, role, district index.
pub type StaffSpec = (&'static str, &'static str, Role, Option<usize>);

/// The four accounts printed first: one login per role.
pub const MAIN_USERS: [StaffSpec; 4] = [
    (
        "direction@demo.renouvo.ca",
        "Hélène Bouchard",
        Role::Direction,
        None,
    ),
    (
        "gestion.montreal@demo.renouvo.ca",
        "Marc-André Gagnon",
        Role::DistrictManager,
        Some(0),
    ),
    (
        "rep.montreal@demo.renouvo.ca",
        "Sophie Lavoie",
        Role::Representative,
        Some(0),
    ),
    (
        "facturation@demo.renouvo.ca",
        "Julie Pelletier",
        Role::Billing,
        None,
    ),
];

/// The rest of the staff, district by district (manager, then representatives).
pub const OTHER_USERS: [StaffSpec; 9] = [
    (
        "mathieu.roy@demo.renouvo.ca",
        "Mathieu Roy",
        Role::Representative,
        Some(0),
    ),
    (
        "karine.ouellet@demo.renouvo.ca",
        "Karine Ouellet",
        Role::Representative,
        Some(0),
    ),
    (
        "gestion.capitale@demo.renouvo.ca",
        "Geneviève Tremblay",
        Role::DistrictManager,
        Some(1),
    ),
    (
        "francois.bergeron@demo.renouvo.ca",
        "François Bergeron",
        Role::Representative,
        Some(1),
    ),
    (
        "annie.simard@demo.renouvo.ca",
        "Annie Simard",
        Role::Representative,
        Some(1),
    ),
    (
        "gestion.monteregie@demo.renouvo.ca",
        "Stéphane Côté",
        Role::DistrictManager,
        Some(2),
    ),
    (
        "valerie.gauthier@demo.renouvo.ca",
        "Valérie Gauthier",
        Role::Representative,
        Some(2),
    ),
    (
        "louis.fortin@demo.renouvo.ca",
        "Louis Fortin",
        Role::Representative,
        Some(2),
    ),
    (
        "eric.poulin@demo.renouvo.ca",
        "Éric Poulin",
        Role::Representative,
        Some(2),
    ),
];

pub struct GroupSpec {
    pub district: usize,
    pub name: &'static str,
    /// `'A'` (exclusive seats) or `'B'`.
    pub kind: char,
    /// 1 = lundi … 7 = dimanche.
    pub day: i16,
    pub time: (u32, u32),
    /// Where its members' businesses are.
    pub cities: &'static [&'static str],
}

const fn group(
    district: usize,
    name: &'static str,
    kind: char,
    day: i16,
    time: (u32, u32),
    cities: &'static [&'static str],
) -> GroupSpec {
    GroupSpec {
        district,
        name,
        kind,
        day,
        time,
        cities,
    }
}

pub const GROUPS: [GroupSpec; 16] = [
    group(
        0,
        "Montréal Centre-Ville Affaires",
        'A',
        2,
        (7, 0),
        &["Montréal"],
    ),
    group(0, "Plateau Connexions", 'A', 3, (7, 30), &["Montréal"]),
    group(0, "Laval Élite", 'A', 4, (7, 0), &["Laval"]),
    group(
        0,
        "Ouest-de-l'Île Performance",
        'A',
        3,
        (7, 0),
        &["Pointe-Claire", "Dorval", "Kirkland", "Beaconsfield"],
    ),
    group(0, "Rosemont Réseau Pro", 'A', 4, (12, 0), &["Montréal"]),
    group(
        0,
        "Montréal Midi Réseautage",
        'B',
        3,
        (12, 0),
        &["Montréal", "Laval", "Mont-Royal"],
    ),
    group(1, "Québec Vieux-Port Affaires", 'A', 2, (7, 0), &["Québec"]),
    group(1, "Lévis Synergie", 'A', 3, (7, 0), &["Lévis"]),
    group(
        1,
        "Sainte-Foy Ambition",
        'A',
        4,
        (7, 30),
        &["Québec", "L'Ancienne-Lorette"],
    ),
    group(
        1,
        "Beauport Entrepreneurs",
        'A',
        2,
        (7, 30),
        &["Beauport", "Québec"],
    ),
    group(
        1,
        "Capitale Midi Contacts",
        'B',
        4,
        (12, 0),
        &["Québec", "Lévis", "Saint-Augustin-de-Desmaures"],
    ),
    group(2, "Longueuil Leaders", 'A', 2, (7, 30), &["Longueuil"]),
    group(
        2,
        "Brossard Excellence",
        'A',
        3,
        (7, 0),
        &["Brossard", "La Prairie", "Candiac"],
    ),
    group(
        2,
        "Rive-Sud Croissance",
        'A',
        4,
        (7, 0),
        &["Boucherville", "Saint-Bruno-de-Montarville", "Longueuil"],
    ),
    group(
        2,
        "Saint-Jean Alliance",
        'A',
        5,
        (7, 0),
        &["Saint-Jean-sur-Richelieu", "Chambly"],
    ),
    group(
        2,
        "Montérégie Réseau Express",
        'B',
        2,
        (12, 0),
        &["Longueuil", "Brossard", "Saint-Hyacinthe", "Chambly"],
    ),
];

/// Cities of regional members and partners, by district (repeats weigh).
pub const DISTRICT_CITIES: [&[&str]; 3] = [
    &[
        "Montréal",
        "Montréal",
        "Montréal",
        "Laval",
        "Laval",
        "Pointe-Claire",
        "Dorval",
        "Mont-Royal",
        "Westmount",
    ],
    &[
        "Québec",
        "Québec",
        "Québec",
        "Lévis",
        "Lévis",
        "Beauport",
        "L'Ancienne-Lorette",
        "Saint-Augustin-de-Desmaures",
    ],
    &[
        "Longueuil",
        "Longueuil",
        "Brossard",
        "Saint-Jean-sur-Richelieu",
        "Boucherville",
        "Chambly",
        "Saint-Hyacinthe",
        "Châteauguay",
        "Vaudreuil-Dorion",
    ],
];

/// Area codes of a city (Laval dials 450 although it is in the Montréal district).
pub fn area_codes(district: usize, city: &str) -> &'static [&'static str] {
    match (district, city) {
        (_, "Laval") => &["450", "579"],
        (0, _) => &["514", "438"],
        (1, _) => &["418", "581"],
        _ => &["450", "579"],
    }
}

pub const FIRST_NAMES: [&str; 46] = [
    "Marie",
    "Julie",
    "Isabelle",
    "Nathalie",
    "Catherine",
    "Geneviève",
    "Émilie",
    "Mélanie",
    "Sophie",
    "Valérie",
    "Josée",
    "Chantal",
    "Annie",
    "Karine",
    "Stéphanie",
    "Audrey",
    "Caroline",
    "Marie-Ève",
    "Véronique",
    "Amélie",
    "Manon",
    "Jean",
    "Pierre",
    "Marc",
    "Luc",
    "Martin",
    "Sylvain",
    "Stéphane",
    "Éric",
    "François",
    "Mathieu",
    "Simon",
    "Alexandre",
    "Guillaume",
    "Philippe",
    "Jean-François",
    "Marc-André",
    "Louis",
    "Patrick",
    "Sébastien",
    "Maxime",
    "Yves",
    "Nicolas",
    "Olivier",
    "Benoît",
    "Jonathan",
];

pub const LAST_NAMES: [&str; 66] = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
    "Poirier",
    "Fournier",
    "Lapointe",
    "Leclerc",
    "Lefebvre",
    "Poulin",
    "Thibault",
    "St-Pierre",
    "Nadeau",
    "Martin",
    "Landry",
    "Martel",
    "Bédard",
    "Grenier",
    "Lessard",
    "Bernier",
    "Richard",
    "Michaud",
    "Hébert",
    "Desjardins",
    "Couture",
    "Turcotte",
    "Lachance",
    "Parent",
    "Blais",
    "Gosselin",
    "Savard",
    "Proulx",
    "Beaudoin",
    "Demers",
    "Perron",
    "Boudreau",
    "Charbonneau",
    "Langlois",
    "Vachon",
    "Rioux",
    "Tessier",
    "Dufour",
    "Lemieux",
    "Mercier",
    "Giroux",
    "Fontaine",
];

/// A profession and business names for it: `{nom}`, `{prenom}` and
/// `{ville}` are the member's last name, first name and city.
pub type Profession = (&'static str, &'static [&'static str]);

/// Professions of exclusive and regional members (one seat each in an A group).
pub const PROFESSIONS: [Profession; 50] = [
    ("Notaire", &["{nom} Notaires inc.", "Étude notariale {nom}"]),
    (
        "Avocat·e en droit des affaires",
        &["{nom} Avocats", "Cabinet {nom} & Associés"],
    ),
    (
        "Comptable professionnel agréé (CPA)",
        &["{nom} CPA inc.", "Groupe comptable {nom}"],
    ),
    (
        "Courtier immobilier",
        &[
            "Équipe {nom} Immobilier",
            "{prenom} {nom}, courtier immobilier",
        ],
    ),
    (
        "Courtier hypothécaire",
        &["Solutions hypothécaires {nom}", "Hypothèques {ville}"],
    ),
    (
        "Conseiller en sécurité financière",
        &["{nom} Services financiers", "Sécurité financière {nom}"],
    ),
    (
        "Planificatrice financière",
        &["{nom} Planification financière", "Patrimoine {nom}"],
    ),
    (
        "Photographe",
        &[
            "Studio Lumière",
            "{prenom} {nom} Photographie",
            "Studio {nom}",
        ],
    ),
    (
        "Graphiste",
        &["{nom} Design graphique", "Atelier Typo {ville}"],
    ),
    (
        "Imprimeur",
        &["Imprimerie {nom} inc.", "Impressions {ville} Express"],
    ),
    (
        "Électricien",
        &[
            "Électrique {nom} inc.",
            "Les Installations électriques {nom}",
        ],
    ),
    (
        "Plombier",
        &["Plomberie {nom} inc.", "{nom} Plomberie & Chauffage"],
    ),
    (
        "Entrepreneur général",
        &["Construction {nom} inc.", "Rénovations {nom}"],
    ),
    (
        "Paysagiste",
        &["Les Jardins {nom}", "Aménagements paysagers {ville}"],
    ),
    (
        "Chiropraticien",
        &["Clinique chiropratique {nom}", "Chiropratique {ville}"],
    ),
    (
        "Dentiste",
        &["Centre dentaire {nom}", "Clinique dentaire {ville}"],
    ),
    (
        "Massothérapeute",
        &["Massothérapie {prenom} {nom}", "Espace Détente {ville}"],
    ),
    (
        "Agent de voyages",
        &["Voyages {nom}", "Évasion Voyages {ville}"],
    ),
    ("Traiteur", &["Traiteur {nom}", "Les Délices de {prenom}"]),
    ("Fleuriste", &["Fleuriste {nom}", "Atelier floral {ville}"]),
    (
        "Informaticien",
        &["{nom} Informatique", "Soutien TI {ville}"],
    ),
    ("Développeur web", &["{nom} Web", "Studio numérique {nom}"]),
    (
        "Assureur de dommages",
        &["{nom} Assurances inc.", "Cabinet d'assurances {nom}"],
    ),
    (
        "Designer d'intérieur",
        &["{nom} Design intérieur", "Atelier {prenom} Design"],
    ),
    (
        "Nettoyage commercial",
        &["Entretien {nom} inc.", "Nettoyage Pro {ville}"],
    ),
    (
        "Déménagement",
        &["Déménagement {nom}", "Déménagements {ville} Express"],
    ),
    (
        "Concessionnaire automobile",
        &["Autos {nom} inc.", "{ville} Automobiles"],
    ),
    (
        "Coach d'affaires",
        &["{prenom} {nom} Coaching", "Coaching d'affaires {nom}"],
    ),
    ("Recruteur", &["Recrutement {nom}", "Talents {ville}"]),
    (
        "Ostéopathe",
        &["Clinique d'ostéopathie {nom}", "Ostéopathie {ville}"],
    ),
    (
        "Optométriste",
        &["Lunetterie {nom}", "Clinique visuelle {ville}"],
    ),
    (
        "Vétérinaire",
        &["Hôpital vétérinaire {ville}", "Clinique vétérinaire {nom}"],
    ),
    ("Menuisier", &["Ébénisterie {nom}", "Menuiserie {nom} inc."]),
    ("Toiturier", &["Toitures {nom} inc.", "Couvreurs {ville}"]),
    (
        "Huissier",
        &["{nom} Huissiers de justice", "Huissiers {ville}"],
    ),
    (
        "Traductrice",
        &["Traductions {nom}", "{prenom} {nom}, traductrice agréée"],
    ),
    (
        "Comptabilité / tenue de livres",
        &["Tenue de livres {nom}", "{nom} Comptabilité"],
    ),
    (
        "Physiothérapeute",
        &["Physio {ville}", "Clinique de physiothérapie {nom}"],
    ),
    (
        "Agence de marketing",
        &["{nom} Marketing", "Agence Impact {ville}"],
    ),
    ("Vidéaste", &["Productions {nom}", "{prenom} {nom} Vidéo"]),
    (
        "Peintre en bâtiment",
        &["Peinture {nom}", "Les Peintres {ville}"],
    ),
    (
        "Inspecteur en bâtiment",
        &["Inspection {nom}", "Inspections {ville}"],
    ),
    (
        "Chauffage et climatisation",
        &["Climatisation {nom}", "{nom} Thermopompes"],
    ),
    ("Serrurier", &["Serrurerie {nom}", "Clé-Minute {ville}"]),
    ("Évaluateur agréé", &["{nom} Évaluation immobilière"]),
    (
        "Esthéticienne",
        &["Institut de beauté {prenom}", "Esthétique {nom}"],
    ),
    ("Nutritionniste", &["Nutrition {prenom} {nom}"]),
    (
        "Ressources humaines (conseil)",
        &["{nom} RH", "Solutions RH {ville}"],
    ),
    (
        "Organisation d'événements",
        &["Événements {nom}", "Fêtes & Cie {ville}"],
    ),
    (
        "Gestion immobilière",
        &["Gestion immobilière {nom}", "Immeubles {nom} inc."],
    ),
];

/// What partners (corporate memberships) do.
pub const PARTNER_PROFESSIONS: [Profession; 10] = [
    (
        "Institution financière",
        &[
            "Caisse des entrepreneurs de {ville}",
            "Groupe financier {nom}",
        ],
    ),
    ("Télécommunications", &["Télécom {ville} Affaires"]),
    ("Assurance collective", &["{nom} Assurances collectives"]),
    (
        "Hôtellerie et salles de réunion",
        &["Hôtel {ville} Centre", "Auberge {nom}"],
    ),
    (
        "Média régional",
        &["Le Journal d'affaires de {ville}", "Radio {ville} Affaires"],
    ),
    ("Fournitures de bureau", &["Bureau Plus {ville}"]),
    ("Transport et logistique", &["Transport {nom} inc."]),
    (
        "Services de paie",
        &["Paie {ville}", "{nom} Solutions de paie"],
    ),
    (
        "Formation en entreprise",
        &["Institut {nom}", "Formation Pro {ville}"],
    ),
    ("Cabinet comptable", &["{nom} & Associés S.E.N.C.R.L."]),
];

/// Short notes some members carry.
pub const NOTES: [&str; 10] = [
    "Intéressé·e par un deuxième siège.",
    "Préfère être joint·e par texto.",
    "Ambassadeur·rice du groupe.",
    "A demandé un plan de paiement l'an dernier.",
    "Très actif·ve en références : à remercier au prochain déjeuner.",
    "Absent·e à plusieurs rencontres cet automne.",
    "Souhaite visiter d'autres groupes.",
    "Vacances prévues en février.",
    "Nouveau local depuis le printemps.",
    "A recommandé deux nouveaux membres.",
];

/// How many of `FIRST_NAMES` come first and are feminine (the follow-up
/// texts agree with the member: « satisfaite », « elle »).
pub const FEMININE_FIRST_NAMES: usize = 21;

/// Who a follow-up text fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fits {
    Anyone,
    /// Speaks of the member's group: exclusive seats only.
    Group,
    /// Speaks of the partnership: partners only.
    Partner,
}

/// A follow-up as a representative writes it: channel, who it fits, text.
/// In the text `{il}` becomes « il » or « elle », `{e}` the feminine
/// ending and `{le}` « le » or « la ».
pub type FollowUpText = (&'static str, Fits, &'static str);

/// Follow-ups with a member in the flame or green state.
pub const GOOD_NEWS: [FollowUpText; 16] = [
    (
        "call",
        Fits::Group,
        "Appel de courtoisie : satisfait{e} de son groupe, {il} a reçu deux références ce mois-ci.",
    ),
    (
        "meeting",
        Fits::Group,
        "Rencontre au café : veut augmenter sa visibilité, on regarde l'option d'un deuxième siège.",
    ),
    (
        "call",
        Fits::Anyone,
        "Très content{e} des retombées : un contrat signé grâce à une référence du réseau. Compte renouveler.",
    ),
    (
        "email",
        Fits::Anyone,
        "Lien envoyé pour laisser un avis sur nos pages : c'était fait le jour même. Remerciements envoyés.",
    ),
    (
        "call",
        Fits::Group,
        "Bon appel. Aimerait présenter son entreprise à une prochaine rencontre du groupe; date à fixer avec le CA.",
    ),
    (
        "visit",
        Fits::Anyone,
        "Visite à son bureau : belle équipe, notre affiche est bien en vue. Aucun irritant.",
    ),
    (
        "sms",
        Fits::Anyone,
        "Texto après le 5 à 7 de réseautage : {il} a beaucoup aimé et compte revenir avec un collègue.",
    ),
    (
        "call",
        Fits::Anyone,
        "Me recommande une collègue qui pourrait se joindre au réseau; coordonnées transmises au gestionnaire.",
    ),
    (
        "meeting",
        Fits::Group,
        "Dîner ensemble : les affaires vont bien, {il} aimerait siéger au CA l'an prochain.",
    ),
    (
        "call",
        Fits::Anyone,
        "Profil revu ensemble (photo, description, offres). Très satisfait{e} du service.",
    ),
    (
        "email",
        Fits::Anyone,
        "A ajouté une offre dans la section des offres du réseau après l'infolettre. Bon signe.",
    ),
    (
        "call",
        Fits::Anyone,
        "Appel rapide : tout va bien, trois références données ce trimestre.",
    ),
    (
        "call",
        Fits::Anyone,
        "Présent{e} à deux événements ce mois-ci; très engagé{e} et en parle en bien.",
    ),
    (
        "meeting",
        Fits::Anyone,
        "Rencontre bilan : voit clairement le rendement de son investissement. Aucune hésitation pour la suite.",
    ),
    (
        "call",
        Fits::Partner,
        "Partenariat apprécié : l'annonce aux groupes a amené quatre demandes de soumission.",
    ),
    (
        "meeting",
        Fits::Partner,
        "Rencontre stratégie : on prépare une commandite pour le salon des marchands du printemps.",
    ),
];

/// Follow-ups with a hesitant member (yellow).
pub const HESITATIONS: [FollowUpText; 9] = [
    (
        "call",
        Fits::Anyone,
        "Trouve que les références tardent à venir. On a ciblé trois membres à rencontrer en tête-à-tête.",
    ),
    (
        "call",
        Fits::Group,
        "Moins présent{e} aux rencontres depuis l'automne (horaire chargé). Rappelé l'option de la rencontre virtuelle.",
    ),
    (
        "email",
        Fits::Anyone,
        "Courriel resté sans réponse; je {le} rappelle la semaine prochaine.",
    ),
    (
        "meeting",
        Fits::Anyone,
        "Hésite à renouveler : veut d'abord voir ses résultats des prochains mois. On refait le point bientôt.",
    ),
    (
        "call",
        Fits::Group,
        "Budget serré cette année; se demande si le siège régional suffirait. Comparaison des formules envoyée.",
    ),
    (
        "sms",
        Fits::Group,
        "Texto pour confirmer sa présence jeudi : pas sûr{e} de pouvoir venir.",
    ),
    (
        "call",
        Fits::Anyone,
        "Pas encore de référence reçue. Jumelé{e} à un courtier de la région pour un premier café.",
    ),
    (
        "visit",
        Fits::Anyone,
        "Visite : aime le réseau mais manque de temps pour s'impliquer. À suivre de près.",
    ),
    (
        "call",
        Fits::Partner,
        "Se demande si le partenariat rapporte assez; on mesure les retombées de l'offre en ligne d'ici le prochain appel.",
    ),
];

/// Follow-ups with a member about to leave (red).
pub const WORRIES: [FollowUpText; 8] = [
    (
        "call",
        Fits::Anyone,
        "Appel difficile : déçu{e} du peu de références, parle de ne pas renouveler. Gestionnaire avisé.",
    ),
    ("call", Fits::Anyone, "Deux messages laissés, aucun retour."),
    (
        "meeting",
        Fits::Group,
        "Mal à l'aise dans son groupe; on évalue un transfert vers un autre groupe du district.",
    ),
    (
        "email",
        Fits::Anyone,
        "Répond que le budget n'y est plus pour l'instant. Je propose un plan de paiement par carte.",
    ),
    (
        "call",
        Fits::Anyone,
        "Insatisfait{e} : une promesse faite à l'inscription n'aurait pas été tenue. Je vérifie les faits.",
    ),
    (
        "sms",
        Fits::Group,
        "Texto sans réponse; a manqué les trois dernières rencontres.",
    ),
    (
        "call",
        Fits::Anyone,
        "Songe à se joindre à un autre réseau d'affaires. On en reparle avant sa date de renouvellement.",
    ),
    (
        "call",
        Fits::Partner,
        "Trouve la visibilité du partenariat insuffisante; je prépare une proposition avec la direction.",
    ),
];

/// Follow-ups that belong to one stage (by `stage_key`), for a member who
/// is not about to leave.
pub const STAGE_TEXTS: [(&str, FollowUpText); 12] = [
    (
        "welcome",
        (
            "call",
            Fits::Anyone,
            "Inscription vérifiée : facture payée, date de renouvellement confirmée au dossier.",
        ),
    ),
    (
        "welcome",
        (
            "email",
            Fits::Anyone,
            "Mot de bienvenue envoyé avec le lien pour compléter son profil (photo et description à ajouter).",
        ),
    ),
    (
        "welcome",
        (
            "call",
            Fits::Anyone,
            "Réinscription bien enregistrée. Profil complet, rien à corriger.",
        ),
    ),
    (
        "after_1m",
        (
            "call",
            Fits::Group,
            "Premier mois : content{e} de l'accueil du groupe, déjà deux tête-à-tête de faits.",
        ),
    ),
    (
        "after_1m",
        (
            "call",
            Fits::Anyone,
            "Un mois plus tard : se sent bien accueilli{e}. Aidé{e} à terminer son profil.",
        ),
    ),
    (
        "before_3w",
        (
            "call",
            Fits::Anyone,
            "Décision confirmée et coordonnées vérifiées : demande de facturation envoyée.",
        ),
    ),
    (
        "before_1m",
        (
            "email",
            Fits::Partner,
            "Renseignements confirmés par courriel; la facture partira d'ici quelques jours.",
        ),
    ),
    (
        "before_2w",
        (
            "call",
            Fits::Anyone,
            "Facture bien reçue; paiera par carte d'ici la fin de la semaine.",
        ),
    ),
    (
        "before_2w",
        (
            "call",
            Fits::Anyone,
            "Question sur le montant (crédits GR) : calcul expliqué, tout est clair.",
        ),
    ),
    (
        "before_1w",
        (
            "sms",
            Fits::Anyone,
            "Texto de rappel pour le paiement : confirme que ce sera fait vendredi.",
        ),
    ),
    (
        "renewal_day",
        (
            "call",
            Fits::Anyone,
            "Jour du renouvellement : paiement en attente, s'engage à payer lundi.",
        ),
    ),
    (
        "renewal_day",
        (
            "email",
            Fits::Anyone,
            "Rappel envoyé : facture échue, {il} dit l'avoir transmise à sa comptable.",
        ),
    ),
];

/// What a representative tried, by reason of the catalogue (its label).
pub const ANSWERS_TRIED: [(&str, &str); 14] = [
    (
        "Promesses non tenues (par nous ou un ancien réseau)",
        "Faits vérifiés avec l'ancien représentant; dossier transmis au service à la clientèle.",
    ),
    (
        "Pas d'argent ou moins de moyens",
        "Proposé de payer en trois versements par carte; en parle à son associé·e.",
    ),
    (
        "Plus de place dans le groupe voulu",
        "Proposé le groupe B du mardi en attendant qu'un siège se libère.",
    ),
    (
        "Pas de résultats ou pas de références",
        "Revu son implication ensemble; offert la ressource marketing-plus et deux jumelages.",
    ),
    (
        "Manque de temps",
        "Présenté le siège régional : garde ses crédits et son ancienneté. Y réfléchit.",
    ),
    (
        "Conflit d'horaire",
        "Proposé la rencontre virtuelle du jeudi midi; va l'essayer deux fois.",
    ),
    (
        "Pas à l'aise dans son groupe",
        "Offert un transfert gratuit; veut visiter deux groupes avant de décider.",
    ),
    (
        "Insatisfait de notre service ou de notre personnel",
        "Formulaire du service à la clientèle rempli ensemble au téléphone.",
    ),
    (
        "Déménagement (région sans groupe)",
        "Présenté le siège régional; garde ses contacts actuels.",
    ),
    (
        "Trop de clients ou trop d'affaires",
        "Proposé le régional pour se libérer du temps sans perdre ses privilèges.",
    ),
    (
        "Membre d'un autre groupe d'affaires",
        "Offert de racheter le reste de son contrat en temps de membre; réponse attendue.",
    ),
    (
        "Malaise avec un membre du CA ou la direction",
        "Discuté avec le membre; dossier transmis au gestionnaire de district comme prévu.",
    ),
    (
        "Manque d'implication du groupe ou de son CA",
        "Gestionnaire avisé; on propose les outils de formation au CA du groupe.",
    ),
    (
        "Personnes négatives dans le groupe",
        "Le CA est informé; suivi avec le gestionnaire de district.",
    ),
];

/// When a reason is not in `ANSWERS_TRIED` (a catalogue edited by direction).
pub const ANSWER_TRIED_OTHERWISE: &str = "Réponse du catalogue présentée; y réfléchit.";

/// Notes on billing requests.
pub const BILLING_NOTES: [&str; 4] = [
    "Paiement par carte, en deux versements.",
    "Facture au nom de l'entreprise, à l'attention de la comptabilité.",
    "Nouvelle adresse de facturation : voir la fiche.",
    "Envoyer la facture en copie à son adjointe.",
];

/// How escalations ended or went further.
pub const DISTRICT_RESOLUTION: &str = "Rencontre à trois avec le membre et le président du CA : \
    malentendu réglé, le membre reste dans son groupe. Suivi dans un mois.";
pub const SERVICE_RESOLUTION: &str = "Service à la clientèle : appel au membre, faits confirmés. \
    Crédit de 100 $ appliqué à son prochain renouvellement; le membre est satisfait.";
pub const ESCALATED_TO_DIRECTION: &str = "Malgré la rencontre avec le CA, la situation persiste. \
    Je demande l'avis de la direction avant la date de renouvellement du membre.";
