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
