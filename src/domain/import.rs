//! Importing members from a CSV file: bytes → rows → one outcome per line.
//!
//! Pure: the caller gives the file's bytes and what the database knows
//! (districts, groups and representatives in the importer's scope, the
//! members the lines may match, the holders of exclusive seats); nothing
//! here reads the clock or a connection.
//!
//! The file is the member list's export: the same columns (the computed
//! ones — days, stage, colours, state, status — are ignored), `;` or `,`
//! between cells, UTF-8 with or without a byte-order mark, or Windows-1252
//! as Excel saves it. Four more columns are understood when present
//! (« Durée (mois) », « Membre du CA », « Crédits GR », « Notes »); an
//! empty or absent one keeps the member's value.
//!
//! Every line goes through `MemberForm::parse`, so it gets the messages of
//! the member form. A line matches an existing member by email (any case),
//! or, without an email, by first and last name among the members without
//! one. Exporting then importing the same file changes nothing.
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::domain::formula::Formula;
use crate::domain::member::{MemberDraft, MemberForm, profession_key};
use crate::domain::validation::format_money;

/// Lines of members a file may hold (the header not counted).
pub const MAX_LINES: usize = 20_000;

/// How the file's bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (avec BOM)",
            Encoding::Windows1252 => "Windows-1252 (Excel)",
        }
    }
}

/// A column the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    LastName,
    FirstName,
    Business,
    Profession,
    Email,
    Phone,
    City,
    District,
    Group,
    Formula,
    Representative,
    JoinDate,
    RenewalDate,
    Term,
    Board,
    Credits,
    Notes,
}

impl Column {
    const ALL: [Column; 17] = [
        Column::LastName,
        Column::FirstName,
        Column::Business,
        Column::Profession,
        Column::Email,
        Column::Phone,
        Column::City,
        Column::District,
        Column::Group,
        Column::Formula,
        Column::Representative,
        Column::JoinDate,
        Column::RenewalDate,
        Column::Term,
        Column::Board,
        Column::Credits,
        Column::Notes,
    ];

    /// The header the export writes (and the preview names).
    pub fn label(self) -> &'static str {
        match self {
            Column::LastName => "Nom",
            Column::FirstName => "Prénom",
            Column::Business => "Entreprise",
            Column::Profession => "Profession",
            Column::Email => "Courriel",
            Column::Phone => "Téléphone",
            Column::City => "Ville",
            Column::District => "District",
            Column::Group => "Groupe",
            Column::Formula => "Formule",
            Column::Representative => "Représentant·e",
            Column::JoinDate => "Adhésion",
            Column::RenewalDate => "Renouvellement",
            Column::Term => "Durée (mois)",
            Column::Board => "Membre du CA",
            Column::Credits => "Crédits GR",
            Column::Notes => "Notes",
        }
    }

    /// Headers accepted for this column, folded (see `fold`).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::LastName => &["nom", "nomdefamille"],
            Column::FirstName => &["prenom"],
            Column::Business => &["entreprise"],
            Column::Profession => &["profession"],
            Column::Email => &["courriel", "email", "adressecourriel"],
            Column::Phone => &["telephone", "tel"],
            Column::City => &["ville"],
            Column::District => &["district"],
            Column::Group => &["groupe"],
            Column::Formula => &["formule"],
            Column::Representative => &["representante", "representant", "representants"],
            Column::JoinDate => &["adhesion", "datedadhesion"],
            Column::RenewalDate => &["renouvellement", "datederenouvellement"],
            Column::Term => &["dureemois", "duree", "dureeduterme", "dureedutermemois"],
            Column::Board => &["membreduca", "ca"],
            Column::Credits => &["creditsgr"],
            Column::Notes => &["notes"],
        }
    }

    /// The export's columns must all be there; the four others may not.
    fn required(self) -> bool {
        !matches!(
            self,
            Column::Term | Column::Board | Column::Credits | Column::Notes
        )
    }

    /// The column that shows a member form field's message.
    fn of_field(field: &str) -> Column {
        match field {
            "first_name" => Column::FirstName,
            "business_name" => Column::Business,
            "profession" => Column::Profession,
            "email" => Column::Email,
            "phone" => Column::Phone,
            "city" => Column::City,
            "district_id" => Column::District,
            "group_id" => Column::Group,
            "formula" => Column::Formula,
            "representative_id" => Column::Representative,
            "join_date" => Column::JoinDate,
            "renewal_date" => Column::RenewalDate,
            "term_months" => Column::Term,
            "board_member" => Column::Board,
            "gr_credits" => Column::Credits,
            "notes" => Column::Notes,
            _ => Column::LastName,
        }
    }
}

/// One line of the file as typed (cells trimmed, formula guards removed).
/// The four optional columns are `None` when absent or empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawMember {
    pub last_name: String,
    pub first_name: String,
    pub business_name: String,
    pub profession: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub district: String,
    pub group: String,
    pub formula: String,
    pub representative: String,
    pub join_date: String,
    pub renewal_date: String,
    pub term_months: Option<String>,
    pub board_member: Option<String>,
    pub gr_credits: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub member: RawMember,
}

/// The file read: how, and its rows.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub encoding: Encoding,
    pub separator: char,
    pub rows: Vec<RawRow>,
}

/// Why a whole file is refused (nothing of it is looked at further).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    Utf16,
    MissingColumns(Vec<&'static str>),
    TooManyLines(usize),
    NoLines,
    Unreadable(String),
}

impl FileError {
    pub fn message(&self) -> String {
        match self {
            FileError::Empty => "Le fichier est vide.".into(),
            FileError::Utf16 => "Ce fichier est en « texte Unicode » (UTF-16). Dans Excel, \
                 enregistrez-le plutôt au format « CSV (séparateur : point-virgule) » ou « CSV \
                 UTF-8 »."
                .into(),
            FileError::MissingColumns(cols) => format!(
                "Colonnes manquantes : {}. La première ligne du fichier doit reprendre les \
                 en-têtes de l'exportation de la liste des membres.",
                cols.join(", ")
            ),
            FileError::TooManyLines(n) => format!(
                "Le fichier compte {} lignes de membres : une importation en accepte {} au \
                 plus. Séparez-le en plusieurs fichiers.",
                group_thousands(*n),
                group_thousands(MAX_LINES)
            ),
            FileError::NoLines => "Le fichier n'a aucune ligne de membre sous ses en-têtes.".into(),
            FileError::Unreadable(why) => format!("Le fichier n'est pas un CSV lisible : {why}."),
        }
    }
}

fn group_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// Bytes as text: UTF-8 (its BOM dropped), or Windows-1252 when the bytes
/// are not valid UTF-8 (what Excel writes for « CSV (séparateur : …) »).
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), FileError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_string(), Encoding::Utf8Bom)),
            Err(_) => Ok((windows_1252(rest), Encoding::Windows1252)),
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_string(), Encoding::Utf8)),
        Err(_) => Ok((windows_1252(bytes), Encoding::Windows1252)),
    }
}

/// Windows-1252: Latin-1 except 0x80–0x9F (the five unassigned bytes stay
/// C1 controls, which the field checks then refuse as invisible).
fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// `;` or `,`: whichever the header line holds more of outside quotes.
fn separator(text: &str) -> u8 {
    let (mut semicolons, mut commas, mut quoted) = (0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if commas > semicolons { b',' } else { b';' }
}

/// Lower case, no accents, letters and digits only: « Représentant·e »
/// and « representant-e » are the same header.
fn fold(s: &str) -> String {
    profession_key(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// `fold` remembered: a file repeats the same few districts, groups,
/// representatives and formulas on thousands of lines.
#[derive(Default)]
struct FoldCache(std::cell::RefCell<HashMap<String, String>>);

impl FoldCache {
    fn get(&self, s: &str) -> String {
        if let Some(f) = self.0.borrow().get(s) {
            return f.clone();
        }
        let f = fold(s);
        self.0.borrow_mut().insert(s.to_string(), f.clone());
        f
    }
}

/// A cell as typed: trimmed, and without the apostrophe the export puts in
/// front of a text a spreadsheet would run as a formula.
fn clean_cell(raw: &str) -> String {
    let s = raw.trim_matches(|c: char| c == ' ' || c == '\u{a0}');
    let unguarded = s
        .strip_prefix('\'')
        .filter(|rest| rest.starts_with(['=', '+', '-', '@', '\t', '\r']))
        .unwrap_or(s);
    unguarded.trim().to_string()
}

/// Reads the file: encoding, separator, header, rows.
pub fn read(bytes: &[u8]) -> Result<ImportFile, FileError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    let (text, encoding) = decode(bytes)?;
    // The reader ends a record at the `\r` of a `\r\n` (what Excel and
    // Windows write) and would count the `\n` on the next record's line.
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    let sep = separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(FileError::Empty),
            Some(Err(e)) => return Err(FileError::Unreadable(e.to_string())),
            Some(Ok(r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Some(Ok(r)) => break r,
        }
    };
    let mut index: HashMap<Column, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let folded = fold(&clean_cell(h));
        if let Some(col) = Column::ALL
            .into_iter()
            .find(|c| c.aliases().contains(&folded.as_str()))
        {
            index.entry(col).or_insert(i);
        }
    }
    let missing: Vec<&'static str> = Column::ALL
        .into_iter()
        .filter(|c| c.required() && !index.contains_key(c))
        .map(Column::label)
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing));
    }
    let mut rows = Vec::new();
    let mut count = 0_usize;
    let mut lines = LineCounter::new(&text);
    for record in records {
        let record = record.map_err(|e| FileError::Unreadable(e.to_string()))?;
        let line = lines.line_of(&record);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > MAX_LINES {
            // Counted to the end so the message says how many there are.
            continue;
        }
        let cell = |c: Column| -> String {
            index
                .get(&c)
                .and_then(|&i| record.get(i))
                .map(clean_cell)
                .unwrap_or_default()
        };
        let optional = |c: Column| Some(cell(c)).filter(|s| !s.is_empty());
        rows.push(RawRow {
            line,
            member: RawMember {
                last_name: cell(Column::LastName),
                first_name: cell(Column::FirstName),
                business_name: cell(Column::Business),
                profession: cell(Column::Profession),
                email: cell(Column::Email),
                phone: cell(Column::Phone),
                city: cell(Column::City),
                district: cell(Column::District),
                group: cell(Column::Group),
                formula: cell(Column::Formula),
                representative: cell(Column::Representative),
                join_date: cell(Column::JoinDate),
                renewal_date: cell(Column::RenewalDate),
                term_months: optional(Column::Term),
                board_member: optional(Column::Board),
                gr_credits: optional(Column::Credits),
                notes: optional(Column::Notes),
            },
        });
    }
    if count > MAX_LINES {
        return Err(FileError::TooManyLines(count));
    }
    if rows.is_empty() {
        return Err(FileError::NoLines);
    }
    Ok(ImportFile {
        encoding,
        separator: char::from(sep),
        rows,
    })
}

impl ImportFile {
    /// What to look up to match the lines: emails (lower case), and the
    /// (last, first) names (lower case) of the lines without an email.
    pub fn match_keys(&self) -> (Vec<String>, Vec<(String, String)>) {
        let mut emails = HashSet::new();
        let mut names = HashSet::new();
        for r in &self.rows {
            let m = &r.member;
            if m.email.is_empty() {
                names.insert((m.last_name.to_lowercase(), m.first_name.to_lowercase()));
            } else {
                emails.insert(m.email.to_lowercase());
            }
        }
        (emails.into_iter().collect(), names.into_iter().collect())
    }
}

/// The exclusive seats (A group, profession key) the lines may claim, to
/// look up their holders.
pub fn claimable_seats(file: &ImportFile, dir: &Directory) -> Vec<(i64, String)> {
    let districts: HashMap<String, i64> = dir
        .districts
        .iter()
        .map(|d| (fold(&d.name), d.id))
        .collect();
    let groups: HashMap<(i64, String), &GroupRef> = dir
        .groups
        .iter()
        .map(|g| ((g.district_id, fold(&g.name)), g))
        .collect();
    let folds = FoldCache::default();
    let mut seats = HashSet::new();
    for r in &file.rows {
        let m = &r.member;
        let group = districts
            .get(&folds.get(&m.district))
            .and_then(|d| groups.get(&(*d, folds.get(group_name(&m.group)))));
        if let Some(g) = group.filter(|g| g.kind == "A") {
            seats.insert((g.id, profession_key(&m.profession)));
        }
    }
    seats.into_iter().collect()
}

/// A group's name without the « (A) » the form's lists add.
fn group_name(cell: &str) -> &str {
    ["(A)", "(B)", "(a)", "(b)"]
        .iter()
        .find_map(|k| cell.strip_suffix(k))
        .map_or(cell, str::trim)
}

// -- What the database knows ------------------------------------------------

#[derive(Debug, Clone)]
pub struct DistrictRef {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct GroupRef {
    pub id: i64,
    pub district_id: i64,
    pub name: String,
    /// `A` or `B`.
    pub kind: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct RepresentativeRef {
    pub id: i64,
    pub district_id: i64,
    pub name: String,
    pub active: bool,
}

/// Districts, groups and representatives in the importer's scope (inactive
/// ones included: a member may keep the one it has).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub districts: Vec<DistrictRef>,
    pub groups: Vec<GroupRef>,
    pub representatives: Vec<RepresentativeRef>,
}

/// A member a line may match (in the importer's scope).
#[derive(Debug, Clone)]
pub struct ExistingMember {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub business_name: String,
    pub profession: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub district_id: i64,
    pub group_id: Option<i64>,
    pub formula: Formula,
    pub representative_id: Option<i64>,
    pub join_date: NaiveDate,
    pub renewal_date: NaiveDate,
    pub term_months: i32,
    pub board_member: bool,
    pub gr_credits_cents: i64,
    pub notes: String,
    pub active: bool,
}

/// An active member holding an exclusive seat of an A group.
#[derive(Debug, Clone)]
pub struct SeatHolder {
    pub member_id: i64,
    pub group_id: i64,
    pub profession_key: String,
    pub name: String,
}

// -- The outcome of each line -----------------------------------------------

/// A field that changes, as the audit log and the preview show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Create {
        draft: MemberDraft,
        group_kind: Option<String>,
    },
    Update {
        member_id: i64,
        draft: MemberDraft,
        group_kind: Option<String>,
        changes: Vec<FieldChange>,
    },
    Unchanged {
        member_id: i64,
    },
    /// Column label and French message, in the order of the columns.
    Refused(Vec<(&'static str, String)>),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Create { .. } => "à créer",
            Outcome::Update { .. } => "à mettre à jour",
            Outcome::Unchanged { .. } => "inchangé",
            Outcome::Refused(_) => "refusé",
        }
    }

    /// A short CSS-friendly key.
    pub fn key(&self) -> &'static str {
        match self {
            Outcome::Create { .. } => "create",
            Outcome::Update { .. } => "update",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Refused(_) => "refused",
        }
    }

    /// One line of text: what changes, or why it is refused.
    pub fn detail(&self) -> String {
        match self {
            Outcome::Create { draft, .. } => {
                format!("{} · {}", draft.profession, draft.formula.label())
            }
            Outcome::Update { changes, .. } => changes
                .iter()
                .map(|c| format!("{} : {} → {}", c.field, shown(&c.old), shown(&c.new)))
                .collect::<Vec<_>>()
                .join(" ; "),
            Outcome::Unchanged { .. } => String::new(),
            Outcome::Refused(errors) => errors
                .iter()
                .map(|(col, msg)| format!("{col} : {msg}"))
                .collect::<Vec<_>>()
                .join(" ; "),
        }
    }
}

fn shown(v: &str) -> &str {
    if v.is_empty() { "(vide)" } else { v }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedLine {
    pub line: u64,
    /// « Prénom Nom » as typed.
    pub name: String,
    pub email: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Counts {
    pub fn lines(&self) -> usize {
        self.create + self.update + self.unchanged + self.refused
    }

    /// Whether confirming would write anything.
    pub fn writes(&self) -> bool {
        self.create + self.update > 0
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub lines: Vec<PlannedLine>,
    pub counts: Counts,
}

impl Plan {
    /// A digest of every outcome: the confirmation is refused if the plan
    /// computed again at that moment differs from the one shown.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for l in &self.lines {
            h.update(format!("{}|{:?}\n", l.line, l.outcome).as_bytes());
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// Lookups by folded name, built once per file.
struct Index<'a> {
    dir: &'a Directory,
    districts: HashMap<String, &'a DistrictRef>,
    groups: HashMap<(i64, String), &'a GroupRef>,
    groups_by_id: HashMap<i64, &'a GroupRef>,
    representatives_by_id: HashMap<i64, &'a RepresentativeRef>,
    representatives: HashMap<(i64, String), Vec<&'a RepresentativeRef>>,
    by_email: HashMap<String, Vec<&'a ExistingMember>>,
    by_name: HashMap<(String, String), Vec<&'a ExistingMember>>,
    folds: FoldCache,
    /// Each formula's folded label.
    formulas: Vec<(String, Formula)>,
}

impl<'a> Index<'a> {
    fn new(dir: &'a Directory, existing: &'a [ExistingMember]) -> Index<'a> {
        let mut representatives: HashMap<(i64, String), Vec<&RepresentativeRef>> = HashMap::new();
        for r in &dir.representatives {
            representatives
                .entry((r.district_id, fold(&r.name)))
                .or_default()
                .push(r);
        }
        let mut by_email: HashMap<String, Vec<&ExistingMember>> = HashMap::new();
        let mut by_name: HashMap<(String, String), Vec<&ExistingMember>> = HashMap::new();
        for m in existing {
            if m.email.is_empty() {
                by_name
                    .entry((m.last_name.to_lowercase(), m.first_name.to_lowercase()))
                    .or_default()
                    .push(m);
            } else {
                by_email.entry(m.email.to_lowercase()).or_default().push(m);
            }
        }
        Index {
            dir,
            districts: dir.districts.iter().map(|d| (fold(&d.name), d)).collect(),
            groups: dir
                .groups
                .iter()
                .map(|g| ((g.district_id, fold(&g.name)), g))
                .collect(),
            groups_by_id: dir.groups.iter().map(|g| (g.id, g)).collect(),
            representatives_by_id: dir.representatives.iter().map(|r| (r.id, r)).collect(),
            representatives,
            by_email,
            by_name,
            folds: FoldCache::default(),
            formulas: Formula::ALL
                .into_iter()
                .flat_map(|f| [(fold(f.label()), f), (f.as_str().to_string(), f)])
                .chain([
                    ("exclusif".to_string(), Formula::Exclusive),
                    ("partenaire".to_string(), Formula::Partner),
                ])
                .collect(),
        }
    }

    fn district_name(&self, id: i64) -> String {
        self.dir
            .districts
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    }

    fn group_name(&self, id: Option<i64>) -> String {
        id.and_then(|g| self.groups_by_id.get(&g))
            .map(|g| g.name.clone())
            .unwrap_or_default()
    }

    fn representative_name(&self, id: Option<i64>) -> String {
        id.and_then(|r| self.representatives_by_id.get(&r))
            .map(|r| r.name.clone())
            .unwrap_or_default()
    }

    /// The member this line is about, if any (`Err` when ambiguous).
    fn matching(&self, m: &RawMember) -> Result<Option<&'a ExistingMember>, String> {
        let same_name = |e: &&&ExistingMember| {
            e.last_name.to_lowercase() == m.last_name.to_lowercase()
                && e.first_name.to_lowercase() == m.first_name.to_lowercase()
        };
        let candidates = if m.email.is_empty() {
            self.by_name
                .get(&(m.last_name.to_lowercase(), m.first_name.to_lowercase()))
        } else {
            self.by_email.get(&m.email.to_lowercase())
        };
        match candidates.map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(*one)),
            Some(many) => {
                let named: Vec<&&ExistingMember> = many.iter().filter(same_name).collect();
                match named.as_slice() {
                    [one] => Ok(Some(**one)),
                    _ if m.email.is_empty() => Err(format!(
                        "{} membres sans courriel portent ce nom : ajoutez le courriel pour \
                         dire lequel.",
                        many.len()
                    )),
                    _ => Err(format!(
                        "{} membres ont ce courriel : impossible de savoir lequel cette ligne \
                         modifie.",
                        many.len()
                    )),
                }
            }
        }
    }
}

/// What a line resolves to before the member form's own checks.
struct Resolved {
    form: MemberForm,
    errors: Vec<(Column, String)>,
    group_kind: Option<String>,
}

fn resolve(ix: &Index<'_>, m: &RawMember, existing: Option<&ExistingMember>) -> Resolved {
    let mut errors: Vec<(Column, String)> = Vec::new();
    // District: by name in scope; an inactive one only if the member has it.
    let district = if m.district.is_empty() {
        errors.push((Column::District, "Le district est obligatoire.".into()));
        None
    } else {
        match ix.districts.get(&ix.folds.get(&m.district)) {
            Some(d) if d.active || existing.is_some_and(|e| e.district_id == d.id) => Some(d.id),
            Some(_) => {
                errors.push((
                    Column::District,
                    format!("Le district « {} » est désactivé.", m.district),
                ));
                None
            }
            None => {
                errors.push((
                    Column::District,
                    format!(
                        "District « {} » inconnu parmi ceux auxquels vous avez accès.",
                        m.district
                    ),
                ));
                None
            }
        }
    };
    let mut group_kind = None;
    let group = match (district, m.group.is_empty()) {
        (_, true) | (None, _) => None,
        (Some(d), false) => {
            // The form's lists write « Nom (A) »: accept it too.
            let found = ix
                .groups
                .get(&(d, ix.folds.get(&m.group)))
                .or_else(|| ix.groups.get(&(d, ix.folds.get(group_name(&m.group)))));
            match found {
                Some(g) if g.active || existing.is_some_and(|e| e.group_id == Some(g.id)) => {
                    group_kind = Some(g.kind.clone());
                    Some(g.id)
                }
                Some(_) => {
                    errors.push((
                        Column::Group,
                        format!("Le groupe « {} » est désactivé.", m.group),
                    ));
                    None
                }
                None => {
                    errors.push((
                        Column::Group,
                        format!("Groupe « {} » inconnu dans ce district.", m.group),
                    ));
                    None
                }
            }
        }
    };
    let representative = match (district, m.representative.is_empty()) {
        (_, true) | (None, _) => None,
        (Some(d), false) => {
            let all = ix
                .representatives
                .get(&(d, ix.folds.get(&m.representative)))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let current = existing
                .and_then(|e| e.representative_id)
                .filter(|id| all.iter().any(|r| r.id == *id));
            let active: Vec<i64> = all.iter().filter(|r| r.active).map(|r| r.id).collect();
            match (current, active.as_slice()) {
                (Some(id), _) => Some(id),
                (None, [one]) => Some(*one),
                (None, []) => {
                    errors.push((
                        Column::Representative,
                        format!(
                            "Représentant·e « {} » inconnu·e (ou inactif·ve) dans ce district.",
                            m.representative
                        ),
                    ));
                    None
                }
                (None, _) => {
                    errors.push((
                        Column::Representative,
                        format!(
                            "Plusieurs représentant·e·s s'appellent « {} » dans ce district.",
                            m.representative
                        ),
                    ));
                    None
                }
            }
        }
    };
    let formula = if m.formula.is_empty() {
        errors.push((Column::Formula, "La formule est obligatoire.".into()));
        String::new()
    } else {
        let f = ix.folds.get(&m.formula);
        let found = ix.formulas.iter().find(|(k, _)| *k == f).map(|(_, x)| *x);
        match found {
            Some(x) => x.as_str().to_string(),
            None => {
                errors.push((
                    Column::Formula,
                    format!(
                        "Formule « {} » inconnue (Siège exclusif, Siège régional ou Partenaire).",
                        m.formula
                    ),
                ));
                String::new()
            }
        }
    };
    let board_member = match m.board_member.as_deref().map(fold) {
        None => existing.is_some_and(|e| e.board_member),
        Some(v) if ["oui", "o", "x", "1", "vrai", "yes", "true"].contains(&v.as_str()) => true,
        Some(v) if ["non", "n", "0", "faux", "no", "false"].contains(&v.as_str()) => false,
        Some(_) => {
            errors.push((Column::Board, "Répondez « oui » ou « non ».".into()));
            false
        }
    };
    let id = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let form = MemberForm {
        first_name: m.first_name.clone(),
        last_name: m.last_name.clone(),
        business_name: m.business_name.clone(),
        profession: m.profession.clone(),
        email: m.email.clone(),
        phone: m.phone.clone(),
        city: m.city.clone(),
        district_id: id(district),
        group_id: id(group),
        formula,
        representative_id: id(representative),
        join_date: m.join_date.clone(),
        renewal_date: m.renewal_date.clone(),
        term_months: m
            .term_months
            .clone()
            .or_else(|| existing.map(|e| e.term_months.to_string()))
            .unwrap_or_default(),
        board_member: board_member.then(|| "on".to_string()),
        gr_credits: m
            .gr_credits
            .clone()
            .or_else(|| existing.map(|e| money_input(e.gr_credits_cents)))
            .unwrap_or_default(),
        notes: m
            .notes
            .clone()
            .or_else(|| existing.map(|e| e.notes.clone()))
            .unwrap_or_default(),
        version: String::new(),
    };
    Resolved {
        form,
        errors,
        group_kind,
    }
}

/// Cents as the form types them (`1234,50`).
fn money_input(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

/// The member's fields as the audit log shows them (the labels and values
/// of `store::members` snapshots, so both writers read the same).
fn audited(ix: &Index<'_>, d: &MemberDraft) -> [(&'static str, String); 17] {
    [
        ("Prénom", d.first_name.clone()),
        ("Nom", d.last_name.clone()),
        ("Entreprise", d.business_name.clone()),
        ("Profession", d.profession.clone()),
        ("Courriel", d.email.clone()),
        ("Téléphone", d.phone.clone()),
        ("Ville", d.city.clone()),
        ("District", ix.district_name(d.district_id)),
        ("Groupe", ix.group_name(d.group_id)),
        ("Formule", d.formula.label().to_string()),
        (
            "Représentant·e",
            ix.representative_name(d.representative_id),
        ),
        ("Date d'adhésion", d.join_date.to_string()),
        ("Date de renouvellement", d.renewal_date.to_string()),
        ("Durée du terme (mois)", d.term_months.to_string()),
        (
            "Membre du CA",
            if d.board_member { "oui" } else { "non" }.to_string(),
        ),
        ("Crédits GR", format_money(d.gr_credits_cents)),
        ("Notes", d.notes.clone()),
    ]
}

fn draft_of(e: &ExistingMember) -> MemberDraft {
    MemberDraft {
        first_name: e.first_name.clone(),
        last_name: e.last_name.clone(),
        business_name: e.business_name.clone(),
        profession: e.profession.clone(),
        profession_key: profession_key(&e.profession),
        email: e.email.clone(),
        phone: e.phone.clone(),
        city: e.city.clone(),
        district_id: e.district_id,
        group_id: e.group_id,
        formula: e.formula,
        representative_id: e.representative_id,
        join_date: e.join_date,
        renewal_date: e.renewal_date,
        term_months: e.term_months,
        board_member: e.board_member,
        gr_credits_cents: e.gr_credits_cents,
        notes: e.notes.clone(),
    }
}

fn refused(errors: Vec<(Column, String)>) -> Outcome {
    let mut errors = errors;
    errors.sort_by_key(|(c, _)| Column::ALL.iter().position(|x| x == c));
    let mut seen = HashSet::new();
    Outcome::Refused(
        errors
            .into_iter()
            .filter(|(c, _)| seen.insert(*c))
            .map(|(c, m)| (c.label(), m))
            .collect(),
    )
}

/// The outcome of every line of `file`, given what the database knows.
pub fn plan(
    file: &ImportFile,
    dir: &Directory,
    existing: &[ExistingMember],
    holders: &[SeatHolder],
) -> Plan {
    let ix = Index::new(dir, existing);
    // First pass: each line alone (and the same person twice).
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut lines: Vec<PlannedLine> = Vec::with_capacity(file.rows.len());
    let mut seats: Vec<Option<(i64, String)>> = Vec::with_capacity(file.rows.len());
    let mut matched: Vec<Option<&ExistingMember>> = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let m = &row.member;
        let (outcome, seat, found) = line_outcome(&ix, m, &mut seen, row.line);
        lines.push(PlannedLine {
            line: row.line,
            name: format!("{} {}", m.first_name, m.last_name)
                .trim()
                .to_string(),
            email: m.email.clone(),
            outcome,
        });
        seats.push(seat);
        matched.push(found);
    }
    // Seats left by members this file moves elsewhere are free for others.
    let mut leaving: HashSet<i64> = HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        if let (Some(e), Outcome::Update { .. }) = (matched[i], &line.outcome) {
            let before = (e.active && e.formula == Formula::Exclusive)
                .then_some(e.group_id)
                .flatten()
                .map(|g| (g, profession_key(&e.profession)));
            if before.is_some() && before != seats[i] {
                leaving.insert(e.id);
            }
        }
    }
    // Second pass, in file order: a seat taken in the database or by an
    // earlier line is refused.
    let held: HashMap<(i64, &str), &SeatHolder> = holders
        .iter()
        .map(|h| ((h.group_id, h.profession_key.as_str()), h))
        .collect();
    let mut claimed: HashMap<(i64, String), (u64, String)> = HashMap::new();
    for (i, line) in lines.iter_mut().enumerate() {
        let Some((group, key)) = seats[i].clone() else {
            continue;
        };
        if matches!(line.outcome, Outcome::Refused(_)) {
            continue;
        }
        let me = matched[i].map(|e| e.id);
        let profession = match &line.outcome {
            Outcome::Create { draft, .. } | Outcome::Update { draft, .. } => {
                draft.profession.clone()
            }
            _ => matched[i].map(|e| e.profession.clone()).unwrap_or_default(),
        };
        if let Some(h) = held.get(&(group, key.as_str()))
            && Some(h.member_id) != me
            && !leaving.contains(&h.member_id)
        {
            line.outcome = refused(vec![(
                Column::Profession,
                format!(
                    "La profession « {profession} » est déjà occupée dans ce groupe par {}.",
                    h.name
                ),
            )]);
            continue;
        }
        if let Some((other_line, other)) = claimed.get(&(group, key.clone())) {
            line.outcome = refused(vec![(
                Column::Profession,
                format!(
                    "La profession « {profession} » est déjà prise dans ce groupe par {other} \
                     (ligne {other_line} du fichier)."
                ),
            )]);
            continue;
        }
        claimed.insert((group, key), (line.line, line.name.clone()));
    }
    let mut counts = Counts::default();
    for l in &lines {
        match l.outcome {
            Outcome::Create { .. } => counts.create += 1,
            Outcome::Update { .. } => counts.update += 1,
            Outcome::Unchanged { .. } => counts.unchanged += 1,
            Outcome::Refused(_) => counts.refused += 1,
        }
    }
    Plan { lines, counts }
}

type LineResult<'a> = (Outcome, Option<(i64, String)>, Option<&'a ExistingMember>);

/// One line on its own: its outcome, the exclusive seat it will hold, and
/// the member it matched.
fn line_outcome<'a>(
    ix: &Index<'a>,
    m: &RawMember,
    seen: &mut HashMap<String, u64>,
    line: u64,
) -> LineResult<'a> {
    let existing = match ix.matching(m) {
        Ok(e) => e,
        Err(why) => return (refused(vec![(Column::Email, why)]), None, None),
    };
    // The same person twice: the same member, or the same new person.
    let who = match existing {
        Some(e) => format!("#{}", e.id),
        None => format!(
            "{}|{}|{}",
            m.email.to_lowercase(),
            m.last_name.to_lowercase(),
            m.first_name.to_lowercase()
        ),
    };
    if let Some(first) = seen.get(&who) {
        let why = format!("Cette personne figure déjà à la ligne {first} du fichier.");
        let col = if m.email.is_empty() {
            Column::LastName
        } else {
            Column::Email
        };
        return (refused(vec![(col, why)]), None, existing);
    }
    seen.insert(who, line);

    let r = resolve(ix, m, existing);
    let mut errors = r.errors;
    let draft = match r.form.parse() {
        Ok(d) if errors.is_empty() => Some(d),
        Ok(_) => None,
        Err(field_errors) => {
            for (field, msg) in field_errors.iter() {
                let col = Column::of_field(field);
                // The import's own message on a column comes first.
                if !errors.iter().any(|(c, _)| *c == col) {
                    errors.push((col, msg.clone()));
                }
            }
            None
        }
    };
    let Some(mut draft) = draft else {
        return (refused(errors), None, existing);
    };
    let active = existing.is_none_or(|e| e.active);
    let seat =
        (active && draft.formula == Formula::Exclusive && r.group_kind.as_deref() == Some("A"))
            .then_some(draft.group_id)
            .flatten()
            .map(|g| (g, draft.profession_key.clone()));
    let outcome = match existing {
        None => Outcome::Create {
            draft,
            group_kind: r.group_kind,
        },
        Some(e) => {
            // An email differing only in case is the same email.
            if e.email.to_lowercase() == draft.email {
                draft.email = e.email.clone();
            }
            let before = audited(ix, &draft_of(e));
            let after = audited(ix, &draft);
            let changes: Vec<FieldChange> = before
                .into_iter()
                .zip(after)
                .filter(|((_, old), (_, new))| old != new)
                .map(|((field, old), (_, new))| FieldChange { field, old, new })
                .collect();
            let ids_same = draft.district_id == e.district_id
                && draft.group_id == e.group_id
                && draft.representative_id == e.representative_id;
            if changes.is_empty() && ids_same {
                Outcome::Unchanged { member_id: e.id }
            } else {
                Outcome::Update {
                    member_id: e.id,
                    draft,
                    group_kind: r.group_kind,
                    changes,
                }
            }
        }
    };
    (outcome, seat, existing)
}

/// The line of the file each CSV record starts on, from the records' byte
/// offsets: the reader's own line count misses the blank lines it skips.
/// Records must be passed in order (the member and meeting imports).
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            bytes: text.as_bytes(),
            counted_to: 0,
            line: 1,
        }
    }

    pub fn line_of(&mut self, record: &csv::StringRecord) -> u64 {
        let mut start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(self.counted_to)
            .clamp(self.counted_to, self.bytes.len());
        while self.bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        self.line += self.bytes[self.counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.counted_to = start;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Nom;Prénom;Entreprise;Profession;Courriel;Téléphone;Ville;District;\
                          Groupe;Formule;Représentant·e;Adhésion;Renouvellement;\
                          Jours avant le renouvellement;Étape;Couleur de l'étape;État du membre;Statut";

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn file(lines: &[&str]) -> ImportFile {
        let text = format!("{HEADER}\n{}\n", lines.join("\n"));
        read(text.as_bytes()).unwrap()
    }

    fn directory() -> Directory {
        Directory {
            districts: vec![
                DistrictRef {
                    id: 1,
                    name: "Montréal".into(),
                    active: true,
                },
                DistrictRef {
                    id: 2,
                    name: "Laval".into(),
                    active: false,
                },
            ],
            groups: vec![
                GroupRef {
                    id: 10,
                    district_id: 1,
                    name: "Centre-ville".into(),
                    kind: "A".into(),
                    active: true,
                },
                GroupRef {
                    id: 11,
                    district_id: 1,
                    name: "Groupe B Est".into(),
                    kind: "B".into(),
                    active: true,
                },
            ],
            representatives: vec![RepresentativeRef {
                id: 100,
                district_id: 1,
                name: "Luc Roy".into(),
                active: true,
            }],
        }
    }

    fn existing() -> ExistingMember {
        ExistingMember {
            id: 7,
            first_name: "Marie".into(),
            last_name: "Tremblay".into(),
            business_name: "Études Tremblay".into(),
            profession: "Notaire".into(),
            email: "marie@exemple.ca".into(),
            phone: "514 555-0101".into(),
            city: "Montréal".into(),
            district_id: 1,
            group_id: Some(10),
            formula: Formula::Exclusive,
            representative_id: Some(100),
            join_date: d("2020-03-15"),
            renewal_date: d("2027-03-15"),
            term_months: 12,
            board_member: true,
            gr_credits_cents: 12_550,
            notes: "Préfère le courriel.".into(),
            active: true,
        }
    }

    const MARIE: &str = "Tremblay;Marie;Études Tremblay;Notaire;marie@exemple.ca;514 555-0101;\
                         Montréal;Montréal;Centre-ville;Siège exclusif;Luc Roy;2020-03-15;\
                         2027-03-15;106;3 mois avant;Jaune;Vert;actif";

    fn outcomes(f: &ImportFile, existing: &[ExistingMember]) -> Vec<Outcome> {
        let holders: Vec<SeatHolder> = existing
            .iter()
            .filter(|e| e.formula == Formula::Exclusive && e.group_id == Some(10))
            .map(|e| SeatHolder {
                member_id: e.id,
                group_id: 10,
                profession_key: profession_key(&e.profession),
                name: format!("{} {}", e.first_name, e.last_name),
            })
            .collect();
        plan(f, &directory(), existing, &holders)
            .lines
            .into_iter()
            .map(|l| l.outcome)
            .collect()
    }

    fn refusal(o: &Outcome) -> String {
        match o {
            Outcome::Refused(_) => o.detail(),
            other => panic!("ligne acceptée : {other:?}"),
        }
    }

    #[test]
    fn the_exported_line_of_a_member_is_unchanged() {
        let f = file(&[MARIE]);
        assert_eq!(f.separator, ';');
        assert_eq!(f.encoding, Encoding::Utf8);
        assert_eq!(
            outcomes(&f, &[existing()]),
            vec![Outcome::Unchanged { member_id: 7 }]
        );
    }

    #[test]
    fn a_changed_phone_is_an_update_listing_the_change() {
        let line = MARIE.replace("514 555-0101", "438 555-0199");
        let out = outcomes(&file(&[&line]), &[existing()]);
        match &out[0] {
            Outcome::Update {
                member_id, changes, ..
            } => {
                assert_eq!(*member_id, 7);
                assert_eq!(
                    changes,
                    &vec![FieldChange {
                        field: "Téléphone",
                        old: "514 555-0101".into(),
                        new: "438 555-0199".into(),
                    }]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_email_matches_whatever_its_case() {
        let line = MARIE.replace("marie@exemple.ca", "MARIE@Exemple.CA");
        assert_eq!(
            outcomes(&file(&[&line]), &[existing()]),
            vec![Outcome::Unchanged { member_id: 7 }]
        );
    }

    #[test]
    fn a_new_email_creates_a_member_with_the_form_defaults() {
        let line = MARIE
            .replace("marie@exemple.ca", "paul@exemple.ca")
            .replace("Notaire", "Avocat")
            .replace("Marie", "Paul");
        match &outcomes(&file(&[&line]), &[existing()])[0] {
            Outcome::Create { draft, group_kind } => {
                assert_eq!(draft.first_name, "Paul");
                assert_eq!(draft.term_months, 12);
                assert!(!draft.board_member);
                assert_eq!(draft.representative_id, Some(100));
                assert_eq!(group_kind.as_deref(), Some("A"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refusals_carry_the_member_form_messages() {
        let cases = [
            (
                MARIE.replace(";Marie;", ";;"),
                "Prénom : Le prénom est obligatoire.",
            ),
            (
                MARIE.replace("2020-03-15", "2020-13-45"),
                "Adhésion : « 2020-13-45 » n'est pas une date valide",
            ),
            (
                MARIE.replace("2027-03-15", "2019-01-01"),
                "Renouvellement : La date de renouvellement doit suivre la date d'adhésion.",
            ),
            (
                MARIE.replace(";Montréal;Centre", ";Québec;Centre"),
                "District : District « Québec » inconnu",
            ),
            (
                MARIE.replace("Centre-ville", "Nulle part"),
                "Groupe : Groupe « Nulle part » inconnu dans ce district.",
            ),
            (
                MARIE.replace("Luc Roy", "Inconnu Total"),
                "Représentant·e : Représentant·e « Inconnu Total » inconnu·e",
            ),
            (
                MARIE.replace("Siège exclusif", "Platine"),
                "Formule : Formule « Platine » inconnue",
            ),
            (
                MARIE.replace(";Montréal;Centre", ";Laval;Centre"),
                "District : Le district « Laval » est désactivé.",
            ),
            (
                MARIE.replace("Centre-ville", ""),
                "Groupe : Un siège exclusif demande un groupe.",
            ),
        ];
        for (line, expected) in cases {
            let out = outcomes(&file(&[&line]), &[]);
            let why = refusal(&out[0]);
            assert!(why.contains(expected), "{why} / {expected}");
        }
    }

    #[test]
    fn the_same_person_twice_is_refused_on_the_second_line() {
        let f = file(&[MARIE, MARIE]);
        let out = outcomes(&f, &[existing()]);
        assert_eq!(out[0], Outcome::Unchanged { member_id: 7 });
        assert!(refusal(&out[1]).contains("figure déjà à la ligne 2"));
        // Also for a new person.
        let out = outcomes(&f, &[]);
        assert!(matches!(out[0], Outcome::Create { .. }), "{:?}", out[0]);
        assert!(refusal(&out[1]).contains("ligne 2"));
    }

    #[test]
    fn a_seat_taken_in_the_database_or_earlier_in_the_file_is_refused() {
        let newcomer = MARIE
            .replace("marie@exemple.ca", "autre@exemple.ca")
            .replace("Marie", "Julie");
        let out = outcomes(&file(&[&newcomer]), &[existing()]);
        assert!(refusal(&out[0]).contains("déjà occupée dans ce groupe par Marie Tremblay"));

        let first = newcomer.replace("autre@", "a@").replace("Julie", "Anne");
        let out = outcomes(&file(&[&first, &newcomer]), &[]);
        assert!(matches!(out[0], Outcome::Create { .. }));
        assert!(refusal(&out[1]).contains("par Anne Tremblay (ligne 2 du fichier)"));
    }

    #[test]
    fn a_seat_left_by_a_member_of_the_same_file_is_free() {
        let moved = MARIE
            .replace("Siège exclusif", "Siège régional")
            .replace(";Centre-ville;", ";;");
        let newcomer = MARIE
            .replace("marie@exemple.ca", "autre@exemple.ca")
            .replace("Marie", "Julie");
        let out = outcomes(&file(&[&moved, &newcomer]), &[existing()]);
        assert!(matches!(out[0], Outcome::Update { .. }), "{:?}", out[0]);
        assert!(matches!(out[1], Outcome::Create { .. }), "{:?}", out[1]);
    }

    #[test]
    fn a_bom_and_accents_are_read() {
        let text = format!("\u{feff}{HEADER}\n{MARIE}\n");
        let f = read(text.as_bytes()).unwrap();
        assert_eq!(f.encoding, Encoding::Utf8Bom);
        assert_eq!(f.rows[0].member.business_name, "Études Tremblay");
        assert_eq!(f.rows[0].line, 2);
    }

    #[test]
    fn line_numbers_count_the_header_with_either_line_ending() {
        for eol in ["\n", "\r\n"] {
            let text = format!("{HEADER}{eol}{MARIE}{eol}{eol}{MARIE}{eol}");
            let f = read(text.as_bytes()).unwrap();
            let lines: Vec<u64> = f.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, vec![2, 4], "{eol:?}");
        }
    }

    #[test]
    fn windows_1252_is_read_when_the_bytes_are_not_utf8() {
        let text = format!("{HEADER}\n{MARIE}\n").replace("Représentant·e", "Représentant");
        let bytes: Vec<u8> = text
            .chars()
            .map(|c| match c {
                '’' => 0x92,
                c => u8::try_from(u32::from(c)).unwrap(),
            })
            .collect();
        let f = read(&bytes).unwrap();
        assert_eq!(f.encoding, Encoding::Windows1252);
        assert_eq!(f.rows[0].member.first_name, "Marie");
        assert_eq!(f.rows[0].member.business_name, "Études Tremblay");
        assert_eq!(windows_1252(&[0x80, 0x92, 0x9C, 0xE9]), "€’œé");
    }

    #[test]
    fn commas_and_quoted_fields_are_read() {
        let text = "Nom,Prénom,Entreprise,Profession,Courriel,Téléphone,Ville,District,Groupe,\
                    Formule,Représentant·e,Adhésion,Renouvellement\n\
                    Tremblay,Marie,\"Tremblay, notaires; associés\",Notaire,,\"514 555-0101\",\
                    Montréal,Montréal,Centre-ville,Siège exclusif,,2020-03-15,2027-03-15\n";
        let f = read(text.as_bytes()).unwrap();
        assert_eq!(f.separator, ',');
        assert_eq!(
            f.rows[0].member.business_name,
            "Tremblay, notaires; associés"
        );
        assert_eq!(f.rows[0].member.representative, "");
    }

    #[test]
    fn the_formula_guard_apostrophe_is_removed() {
        let line = MARIE
            .replace("Études Tremblay", "'=HYPERLINK(\"x\")")
            .replace("Montréal;Montréal", "'-Montréal;Montréal");
        let f = file(&[&line]);
        assert_eq!(f.rows[0].member.business_name, "=HYPERLINK(\"x\")");
        assert_eq!(f.rows[0].member.city, "-Montréal");
        assert_eq!(clean_cell("'Tis"), "'Tis");
    }

    #[test]
    fn missing_columns_are_named() {
        let err = read("Nom;Prénom;Courriel\nA;B;c@d.ca\n".as_bytes()).unwrap_err();
        let msg = err.message();
        assert!(
            msg.contains("Profession") && msg.contains("Renouvellement"),
            "{msg}"
        );
        assert!(!msg.contains("Prénom,"), "{msg}");
    }

    #[test]
    fn empty_files_and_utf16_are_refused() {
        assert_eq!(read(b"").unwrap_err(), FileError::Empty);
        assert_eq!(read(b"  \n").unwrap_err(), FileError::Empty);
        assert_eq!(read(&[0xFF, 0xFE, b'N', 0]).unwrap_err(), FileError::Utf16);
        assert_eq!(read(HEADER.as_bytes()).unwrap_err(), FileError::NoLines);
    }

    #[test]
    fn twenty_thousand_lines_pass_and_one_more_is_refused() {
        let body = format!("{MARIE}\n").repeat(MAX_LINES);
        let ok = read(format!("{HEADER}\n{body}").as_bytes()).unwrap();
        assert_eq!(ok.rows.len(), MAX_LINES);
        let err = read(format!("{HEADER}\n{body}{MARIE}\n").as_bytes()).unwrap_err();
        assert_eq!(err, FileError::TooManyLines(MAX_LINES + 1));
        assert!(err.message().contains("20\u{a0}001"));
    }

    #[test]
    fn optional_columns_keep_the_member_values_when_empty() {
        let header = format!("{HEADER};Durée (mois);Membre du CA;Crédits GR;Notes");
        let text = format!(
            "{header}\n{MARIE};;;;\n{}\n",
            MARIE.replace("marie@", "m2@")
        );
        let f = read(text.as_bytes()).unwrap();
        assert_eq!(f.rows[0].member.term_months, None);
        let out = outcomes(&f, &[existing()]);
        assert_eq!(out[0], Outcome::Unchanged { member_id: 7 });

        let text = format!("{header}\n{MARIE};24;non;0;\n");
        let out = outcomes(&read(text.as_bytes()).unwrap(), &[existing()]);
        let Outcome::Update { changes, .. } = &out[0] else {
            panic!("{:?}", out[0]);
        };
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            vec!["Durée du terme (mois)", "Membre du CA", "Crédits GR"]
        );
    }

    #[test]
    fn the_fingerprint_follows_the_outcomes() {
        let dir = directory();
        let a = plan(&file(&[MARIE]), &dir, &[existing()], &[]);
        let b = plan(&file(&[MARIE]), &dir, &[existing()], &[]);
        let c = plan(&file(&[MARIE]), &dir, &[], &[]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
