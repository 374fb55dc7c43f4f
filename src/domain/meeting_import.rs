//! Importing a group's meeting figures from a CSV file: bytes → rows → one
//! outcome per line (a new line, a change of a saved line, unchanged, or
//! refused with its reasons in French).
//!
//! Pure: the caller gives the file's bytes, today, the group, who imports,
//! and what the database holds (the members the lines name, the group's
//! stored meetings and saved lines on the file's dates).
//!
//! One row per member and meeting date. The member is found by email (as
//! the member import does, whatever its case) or by member number (the
//! number in the member page's address); both may be given and must then
//! agree. The figures go through the meeting sheet's own checks
//! (`LineInput::parse`), so an imported line is refused exactly where a
//! typed one would be. A figure column left out of the file keeps the
//! saved value (or the sheet's default for a new line); an empty cell is 0,
//! or « unknown » for the two business values, as an empty box on the sheet.
use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use sha2::{Digest, Sha256};

use crate::domain::engagement::{self as eng, Attendance, LineInput, LineValues};
use crate::domain::format::date_fr;
use crate::domain::member::profession_key;
use crate::domain::validation as v;

/// Lines a file may hold (the header not counted): two years of weekly
/// meetings for a hundred members.
pub const MAX_LINES: usize = 10_000;
/// How far back a meeting may be imported (the sheet's own limit).
pub const DAYS_BACK: u64 = 730;

/// A column the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Date,
    Number,
    Email,
    Attendance,
    Given,
    GivenValue,
    Received,
    ReceivedValue,
    Visitors,
    OneToOnes,
    Thanks,
    Note,
}

impl Column {
    pub const ALL: [Column; 12] = [
        Column::Date,
        Column::Number,
        Column::Email,
        Column::Attendance,
        Column::Given,
        Column::GivenValue,
        Column::Received,
        Column::ReceivedValue,
        Column::Visitors,
        Column::OneToOnes,
        Column::Thanks,
        Column::Note,
    ];

    /// The header as the upload page writes it.
    pub fn label(self) -> &'static str {
        match self {
            Column::Date => "Date",
            Column::Number => "N° de membre",
            Column::Email => "Courriel",
            Column::Attendance => "Présence",
            Column::Given => "Références données",
            Column::GivenValue => "Valeur données",
            Column::Received => "Références reçues",
            Column::ReceivedValue => "Valeur reçues",
            Column::Visitors => "Visiteurs",
            Column::OneToOnes => "Tête-à-tête",
            Column::Thanks => "Remerciements",
            Column::Note => "Note",
        }
    }

    /// Headers accepted for this column, folded (see `fold`).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Date => &["date", "daterencontre", "datedelarencontre"],
            Column::Number => &[
                "ndemembre",
                "nmembre",
                "nodemembre",
                "nomembre",
                "numerodemembre",
                "numeromembre",
                "numero",
                "no",
                "id",
            ],
            Column::Email => &["courriel", "email", "adressecourriel"],
            Column::Attendance => &["presence", "participation"],
            Column::Given => &["referencesdonnees", "refdonnees", "donnees"],
            Column::GivenValue => &[
                "valeurdonnees",
                "valeurdonnee",
                "valeurdesreferencesdonnees",
                "valeurreferencesdonnees",
            ],
            Column::Received => &["referencesrecues", "refrecues", "recues"],
            Column::ReceivedValue => &[
                "valeurrecues",
                "valeurrecue",
                "valeurdesreferencesrecues",
                "valeurreferencesrecues",
            ],
            Column::Visitors => &["visiteurs", "visiteur"],
            Column::OneToOnes => &["teteatete", "teteatetes", "tat"],
            Column::Thanks => &[
                "remerciements",
                "remerciement",
                "merci",
                "mercipouraffairesrecues",
            ],
            Column::Note => &["note", "notes", "commentaire"],
        }
    }

    /// The column that shows a sheet field's message.
    fn of_field(field: &str) -> Column {
        match field {
            "presence" => Column::Attendance,
            "donnees" => Column::Given,
            "valeur-donnees" => Column::GivenValue,
            "recues" => Column::Received,
            "valeur-recues" => Column::ReceivedValue,
            "visiteurs" => Column::Visitors,
            "tete-a-tete" => Column::OneToOnes,
            "merci" => Column::Thanks,
            _ => Column::Note,
        }
    }
}

/// One row of the file as typed (cells trimmed). A figure column absent
/// from the file is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawLine {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub date: String,
    pub number: String,
    pub email: String,
    pub attendance: String,
    pub given: Option<String>,
    pub given_value: Option<String>,
    pub received: Option<String>,
    pub received_value: Option<String>,
    pub visitors: Option<String>,
    pub one_to_ones: Option<String>,
    pub thanks: Option<String>,
    pub note: Option<String>,
}

/// The file read: with or without a byte-order mark, its separator, rows.
#[derive(Debug, Clone)]
pub struct MeetingFile {
    pub bom: bool,
    pub separator: char,
    pub rows: Vec<RawLine>,
}

impl MeetingFile {
    pub fn encoding_label(&self) -> &'static str {
        if self.bom {
            "UTF-8 (avec BOM)"
        } else {
            "UTF-8"
        }
    }

    pub fn separator_label(&self) -> &'static str {
        if self.separator == ',' {
            "virgule"
        } else {
            "point-virgule"
        }
    }

    /// The member numbers and emails (lower case) the lines name.
    pub fn keys(&self) -> (Vec<i64>, Vec<String>) {
        let mut ids = HashSet::new();
        let mut emails = HashSet::new();
        for r in &self.rows {
            if let Ok(id) = r.number.parse::<i64>() {
                ids.insert(id);
            }
            if !r.email.is_empty() {
                emails.insert(r.email.to_lowercase());
            }
        }
        (ids.into_iter().collect(), emails.into_iter().collect())
    }

    /// The valid dates the lines name (to look up meetings and lines).
    pub fn dates(&self) -> Vec<NaiveDate> {
        let set: HashSet<NaiveDate> = self
            .rows
            .iter()
            .filter_map(|r| v::date(&r.date, "La date").ok())
            .collect();
        let mut out: Vec<NaiveDate> = set.into_iter().collect();
        out.sort_unstable();
        out
    }
}

/// Why a whole file is refused (nothing of it is looked at further).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    Utf16,
    Binary,
    NotUtf8 { line: u64 },
    MissingColumns(Vec<&'static str>),
    NoMemberColumn,
    TooManyLines(usize),
    NoLines,
    Unreadable(String),
}

impl FileError {
    pub fn message(&self) -> String {
        match self {
            FileError::Empty => "Le fichier est vide.".into(),
            FileError::Utf16 => "Ce fichier est en « texte Unicode » (UTF-16). Dans Excel, \
                 enregistrez-le plutôt au format « CSV UTF-8 »."
                .into(),
            FileError::Binary => "Ce fichier contient des octets nuls : ce n'est pas un texte \
                 CSV (un classeur Excel .xlsx, peut-être ?). Enregistrez-le au format « CSV \
                 UTF-8 » puis envoyez ce fichier-là."
                .into(),
            FileError::NotUtf8 { line } => format!(
                "Ce fichier n'est pas en UTF-8 (premier caractère illisible à la ligne {line}). \
                 Dans Excel, choisissez « CSV UTF-8 (délimité par des virgules) » au moment \
                 d'enregistrer."
            ),
            FileError::MissingColumns(cols) => format!(
                "Colonnes manquantes : {}. La première ligne du fichier doit donner les \
                 en-têtes des colonnes (voir le format attendu plus bas).",
                cols.join(", ")
            ),
            FileError::NoMemberColumn => "Le fichier doit avoir une colonne « Courriel » ou « N° \
                 de membre » (ou les deux) pour dire de quel membre parle chaque ligne."
                .into(),
            FileError::TooManyLines(n) => format!(
                "Le fichier compte {} lignes : une importation en accepte {} au plus. Séparez-le \
                 en plusieurs fichiers (par période, par exemple).",
                thousands(*n),
                thousands(MAX_LINES)
            ),
            FileError::NoLines => "Le fichier n'a aucune ligne sous ses en-têtes.".into(),
            FileError::Unreadable(why) => format!("Le fichier n'est pas un CSV lisible : {why}."),
        }
    }
}

/// « 10 000 », grouped the French way.
pub fn thousands(n: usize) -> String {
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

/// Bytes as text: UTF-8 only, its byte-order mark dropped.
fn decode(bytes: &[u8]) -> Result<(&str, bool), FileError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    if bytes.contains(&0) {
        return Err(FileError::Binary);
    }
    let (rest, bom) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    match std::str::from_utf8(rest) {
        Ok(s) => Ok((s, bom)),
        Err(e) => {
            let line = 1 + rest[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            Err(FileError::NotUtf8 { line })
        }
    }
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

/// Lower case, no accents, letters and digits only: « Tête-à-tête » and
/// « tete a tete » are the same header.
fn fold(s: &str) -> String {
    profession_key(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// A cell as typed: trimmed, and without the apostrophe a spreadsheet
/// export puts in front of a text it would otherwise run as a formula.
fn clean_cell(raw: &str) -> String {
    let s = raw.trim_matches(|c: char| c == ' ' || c == '\u{a0}');
    let unguarded = s
        .strip_prefix('\'')
        .filter(|rest| rest.starts_with(['=', '+', '-', '@']))
        .unwrap_or(s);
    unguarded.trim().to_string()
}

/// Reads the file: encoding, separator, header, rows.
pub fn read(bytes: &[u8]) -> Result<MeetingFile, FileError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    let (text, bom) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let text = text.replace("\r\n", "\n");
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
    let missing: Vec<&'static str> = [Column::Date, Column::Attendance]
        .into_iter()
        .filter(|c| !index.contains_key(c))
        .map(Column::label)
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing));
    }
    if !index.contains_key(&Column::Email) && !index.contains_key(&Column::Number) {
        return Err(FileError::NoMemberColumn);
    }
    let mut rows = Vec::new();
    let mut count = 0_usize;
    let mut lines = crate::domain::import::LineCounter::new(&text);
    for record in records {
        let record = record.map_err(|e| FileError::Unreadable(e.to_string()))?;
        let line = lines.line_of(&record);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > MAX_LINES {
            continue; // counted to the end so the message says how many
        }
        let optional = |c: Column| -> Option<String> {
            index
                .get(&c)
                .map(|&i| record.get(i).map(clean_cell).unwrap_or_default())
        };
        let cell = |c: Column| optional(c).unwrap_or_default();
        rows.push(RawLine {
            line,
            date: cell(Column::Date),
            number: cell(Column::Number),
            email: cell(Column::Email),
            attendance: cell(Column::Attendance),
            given: optional(Column::Given),
            given_value: optional(Column::GivenValue),
            received: optional(Column::Received),
            received_value: optional(Column::ReceivedValue),
            visitors: optional(Column::Visitors),
            one_to_ones: optional(Column::OneToOnes),
            thanks: optional(Column::Thanks),
            note: optional(Column::Note),
        });
    }
    if count > MAX_LINES {
        return Err(FileError::TooManyLines(count));
    }
    if rows.is_empty() {
        return Err(FileError::NoLines);
    }
    Ok(MeetingFile {
        bom,
        separator: char::from(sep),
        rows,
    })
}

/// The attendance a cell names: the sheet's labels (« Présence »,
/// « Absence motivée »…), the adjectives (« présent », « excusée »…), or
/// the stored codes.
pub fn attendance(cell: &str) -> Option<Attendance> {
    let f = fold(cell);
    let words: [(&[&str], Attendance); 4] = [
        (
            &["present", "presente", "presence", "p"],
            Attendance::Present,
        ),
        (&["absent", "absente", "absence", "a"], Attendance::Absent),
        (
            &[
                "excuse",
                "excusee",
                "excused",
                "absencemotivee",
                "motive",
                "motivee",
                "e",
            ],
            Attendance::Excused,
        ),
        (
            &[
                "remplace",
                "remplacee",
                "remplacement",
                "substitute",
                "substitut",
                "r",
            ],
            Attendance::Substitute,
        ),
    ];
    words
        .into_iter()
        .find(|(w, _)| w.contains(&f.as_str()))
        .map(|(_, a)| a)
}

// -- What the database knows ------------------------------------------------

/// The group the file is for.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub id: i64,
    /// 1 = lundi … 7 = dimanche; `None`: no usual day.
    pub meeting_day: Option<i16>,
}

/// Who imports: a representative fills only their own members' lines;
/// only the district manager and direction add meetings.
#[derive(Debug, Clone, Copy)]
pub struct Importer {
    pub representative: Option<i64>,
    pub may_add_meetings: bool,
}

/// A member a line may name (the group's district only).
#[derive(Debug, Clone)]
pub struct MemberRef {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub group_id: Option<i64>,
    pub representative_id: Option<i64>,
}

impl MemberRef {
    fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A meeting row of the group on one of the file's dates.
#[derive(Debug, Clone)]
pub struct StoredMeeting {
    pub held_on: NaiveDate,
    pub cancelled: bool,
}

/// A saved line of the group on one of the file's dates.
#[derive(Debug, Clone)]
pub struct StoredLine {
    pub member_id: i64,
    pub held_on: NaiveDate,
    pub version: i32,
    pub values: LineValues,
}

#[derive(Debug, Clone, Default)]
pub struct Known {
    pub members: Vec<MemberRef>,
    pub meetings: Vec<StoredMeeting>,
    pub lines: Vec<StoredLine>,
}

// -- The outcome of each line -----------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    New {
        member_id: i64,
        held_on: NaiveDate,
        values: LineValues,
    },
    Change {
        member_id: i64,
        held_on: NaiveDate,
        /// The saved line's version the change was planned against.
        version: i32,
        values: LineValues,
        changes: Vec<String>,
    },
    Unchanged {
        member_id: i64,
        held_on: NaiveDate,
    },
    /// Column label and French message, in the order of the columns.
    Refused(Vec<(&'static str, String)>),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::New { .. } => "nouvelle ligne",
            Outcome::Change { .. } => "modification",
            Outcome::Unchanged { .. } => "inchangée",
            Outcome::Refused(_) => "refusée",
        }
    }

    /// A short CSS-friendly key (the member import's).
    pub fn key(&self) -> &'static str {
        match self {
            Outcome::New { .. } => "create",
            Outcome::Change { .. } => "update",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Refused(_) => "refused",
        }
    }

    /// What the line does, or why it is refused, one item a field.
    pub fn details(&self) -> Vec<String> {
        match self {
            Outcome::New { values, .. } => vec![summary(values)],
            Outcome::Change { changes, .. } => changes.clone(),
            Outcome::Unchanged { .. } => vec!["Identique à la ligne déjà enregistrée.".into()],
            Outcome::Refused(errors) => errors
                .iter()
                .map(|(col, msg)| format!("{col} : {msg}"))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedLine {
    pub line: u64,
    /// The member's name when found, else what the line typed.
    pub member: String,
    /// The date as typed.
    pub date: String,
    /// The meeting is not stored and falls on another day than the group's
    /// usual one: confirming adds it.
    pub adds_meeting: bool,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub refused: usize,
    pub meetings_added: usize,
}

impl Counts {
    pub fn lines(&self) -> usize {
        self.new + self.changed + self.unchanged + self.refused
    }

    /// Whether confirming would write anything.
    pub fn writes(&self) -> bool {
        self.new + self.changed > 0
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
            h.update(format!("{}|{}|{:?}\n", l.line, l.adds_meeting, l.outcome).as_bytes());
        }
        hex::encode(&h.finalize()[..16])
    }

    /// The dates whose meeting confirming adds.
    pub fn added_meetings(&self) -> Vec<NaiveDate> {
        let mut out: Vec<NaiveDate> = self
            .lines
            .iter()
            .filter(|l| l.adds_meeting)
            .filter_map(|l| match l.outcome {
                Outcome::New { held_on, .. } => Some(held_on),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Lookups built once per file.
struct Index<'a> {
    group: &'a GroupInfo,
    who: Importer,
    today: NaiveDate,
    by_id: HashMap<i64, &'a MemberRef>,
    by_email: HashMap<String, Vec<&'a MemberRef>>,
    meetings: HashMap<NaiveDate, &'a StoredMeeting>,
    lines: HashMap<(i64, NaiveDate), &'a StoredLine>,
}

impl<'a> Index<'a> {
    fn new(group: &'a GroupInfo, who: Importer, today: NaiveDate, known: &'a Known) -> Self {
        let mut by_email: HashMap<String, Vec<&MemberRef>> = HashMap::new();
        for m in &known.members {
            if !m.email.is_empty() {
                by_email.entry(m.email.to_lowercase()).or_default().push(m);
            }
        }
        Index {
            group,
            who,
            today,
            by_id: known.members.iter().map(|m| (m.id, m)).collect(),
            by_email,
            meetings: known.meetings.iter().map(|m| (m.held_on, m)).collect(),
            lines: known
                .lines
                .iter()
                .map(|l| ((l.member_id, l.held_on), l))
                .collect(),
        }
    }

    /// Whether the member may have a line at the group's meeting of `day`:
    /// in the group, or already holding a line at it (as the sheet lists).
    fn in_group(&self, m: &MemberRef, day: Option<NaiveDate>) -> bool {
        m.group_id == Some(self.group.id)
            || day.is_some_and(|d| self.lines.contains_key(&(m.id, d)))
    }

    /// A representative sees their own members and the group's; anyone
    /// else of the district is « unknown » to them.
    fn visible(&self, m: &MemberRef, day: Option<NaiveDate>) -> bool {
        match self.who.representative {
            None => true,
            Some(rep) => m.representative_id == Some(rep) || self.in_group(m, day),
        }
    }

    fn usual_day(&self, d: NaiveDate) -> bool {
        self.group
            .meeting_day
            .is_some_and(|wd| eng::is_meeting_day(d, wd))
    }

    /// The meeting of the line's date: the date, whether confirming adds
    /// the meeting, or why the date is refused.
    fn meeting(&self, raw: &str) -> Result<(NaiveDate, bool), String> {
        let d = v::date(raw, "La date")?;
        if d > self.today {
            return Err(format!(
                "Le {} est dans le futur : les chiffres d'une rencontre s'importent le jour \
                 même ou après.",
                date_fr(d)
            ));
        }
        match self.meetings.get(&d) {
            Some(m) if m.cancelled => Err(format!(
                "La rencontre du {} a été annulée : ses lignes ne s'importent pas.",
                date_fr(d)
            )),
            Some(_) => Ok((d, false)),
            None if d < self.today - Days::new(DAYS_BACK) => Err(format!(
                "Le {} est trop ancien : deux ans en arrière au plus.",
                date_fr(d)
            )),
            None if self.usual_day(d) => Ok((d, false)),
            None if self.who.may_add_meetings => Ok((d, true)),
            None => Err(format!(
                "Le {} n'est pas le jour de rencontre du groupe et aucune rencontre n'a été \
                 ajoutée ce jour-là : seule la gestion du district ou la direction peut en \
                 ajouter une.",
                date_fr(d)
            )),
        }
    }

    /// The member the line names, or why it is refused (with the column).
    fn member(
        &self,
        l: &RawLine,
        day: Option<NaiveDate>,
    ) -> Result<&'a MemberRef, (Column, String)> {
        if l.number.is_empty() && l.email.is_empty() {
            return Err((
                Column::Email,
                "Indiquez le courriel du membre ou son numéro.".into(),
            ));
        }
        let unknown = |col: Column, what: String| {
            (
                col,
                format!("Membre inconnu : {what} dans le district de ce groupe."),
            )
        };
        let by_number = if l.number.is_empty() {
            None
        } else {
            let id = l
                .number
                .trim_start_matches('#')
                .parse::<i64>()
                .map_err(|_| {
                    (
                        Column::Number,
                        format!("« {} » n'est pas un numéro de membre.", short(&l.number)),
                    )
                })?;
            let m = self
                .by_id
                .get(&id)
                .filter(|m| self.visible(m, day))
                .ok_or_else(|| unknown(Column::Number, format!("aucun membre n° {id}")))?;
            Some(*m)
        };
        if l.email.is_empty() {
            return by_number.ok_or_else(|| unknown(Column::Number, "aucun numéro".into()));
        }
        let all: Vec<&MemberRef> = self
            .by_email
            .get(&l.email.to_lowercase())
            .map(|v| v.iter().copied().filter(|m| self.visible(m, day)).collect())
            .unwrap_or_default();
        if let Some(m) = by_number {
            return if all.iter().any(|x| x.id == m.id) {
                Ok(m)
            } else {
                Err((
                    Column::Email,
                    format!(
                        "Ce courriel n'est pas celui du membre n° {} ({}).",
                        m.id,
                        m.name()
                    ),
                ))
            };
        }
        let mine: Vec<&MemberRef> = all
            .iter()
            .copied()
            .filter(|m| self.in_group(m, day))
            .collect();
        match (all.as_slice(), mine.as_slice()) {
            ([], _) => Err(unknown(
                Column::Email,
                format!("aucun membre n'a le courriel « {} »", short(&l.email)),
            )),
            ([one], _) | (_, [one]) => Ok(*one),
            _ => Err((
                Column::Email,
                format!(
                    "{} membres ont ce courriel : ajoutez la colonne « N° de membre » pour dire \
                     lequel.",
                    all.len()
                ),
            )),
        }
    }
}

/// A typed value shown in a message, cut if long.
fn short(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The line's figures as the sheet would receive them: absent columns
/// keep the saved line's value (or the sheet's default).
fn input_of(l: &RawLine, saved: Option<&LineValues>) -> LineInput {
    let base = LineInput::of(saved.unwrap_or(&LineValues::default()));
    let pick = |cell: &Option<String>, kept: &str| cell.clone().unwrap_or_else(|| kept.into());
    LineInput {
        attendance: attendance(&l.attendance)
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| l.attendance.clone()),
        given: pick(&l.given, &base.given),
        given_value: pick(&l.given_value, &base.given_value),
        received: pick(&l.received, &base.received),
        received_value: pick(&l.received_value, &base.received_value),
        visitors: pick(&l.visitors, &base.visitors),
        one_to_ones: pick(&l.one_to_ones, &base.one_to_ones),
        thanks: pick(&l.thanks, &base.thanks),
        note: pick(&l.note, &base.note),
    }
}

/// A new line in one sentence: « Présence · 1 donnée(s) (2 500,00 $),
/// 0 reçue(s) · 0 visiteur(s), 1 tête-à-tête · merci 150,00 $ ».
pub fn summary(l: &LineValues) -> String {
    let valued = |n: i32, cents: Option<i64>, what: &str| match cents {
        Some(c) => format!("{n} {what} ({})", v::format_money(c)),
        None => format!("{n} {what}"),
    };
    let mut parts = vec![
        l.attendance.label().to_string(),
        format!(
            "{}, {}",
            valued(l.referrals_given, l.given_value_cents, "donnée(s)"),
            valued(l.referrals_received, l.received_value_cents, "reçue(s)")
        ),
        format!("{} visiteur(s), {} tête-à-tête", l.visitors, l.one_to_ones),
    ];
    if l.thanks_cents > 0 {
        parts.push(format!("merci {}", v::format_money(l.thanks_cents)));
    }
    if !l.note.is_empty() {
        parts.push(format!("note « {} »", short(&l.note)));
    }
    parts.join(" · ")
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
    file: &MeetingFile,
    today: NaiveDate,
    group: &GroupInfo,
    who: Importer,
    known: &Known,
) -> Plan {
    let ix = Index::new(group, who, today, known);
    let mut seen: HashMap<(i64, NaiveDate), u64> = HashMap::new();
    let mut lines = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        lines.push(line_outcome(&ix, row, &mut seen));
    }
    let mut counts = Counts::default();
    for l in &lines {
        match l.outcome {
            Outcome::New { .. } => counts.new += 1,
            Outcome::Change { .. } => counts.changed += 1,
            Outcome::Unchanged { .. } => counts.unchanged += 1,
            Outcome::Refused(_) => counts.refused += 1,
        }
    }
    let mut plan = Plan { lines, counts };
    plan.counts.meetings_added = plan.added_meetings().len();
    plan
}

fn line_outcome(
    ix: &Index<'_>,
    row: &RawLine,
    seen: &mut HashMap<(i64, NaiveDate), u64>,
) -> PlannedLine {
    let mut errors: Vec<(Column, String)> = Vec::new();
    let meeting = ix
        .meeting(&row.date)
        .map_err(|m| errors.push((Column::Date, m)))
        .ok();
    let day = meeting.map(|(d, _)| d);
    let member = match ix.member(row, day) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let typed = if row.email.is_empty() {
        format!("n° {}", short(&row.number))
    } else {
        short(&row.email)
    };
    let mut planned = PlannedLine {
        line: row.line,
        member: member.map_or(typed, |m| m.name()),
        date: short(&row.date),
        adds_meeting: false,
        outcome: Outcome::Refused(Vec::new()),
    };
    if let Some(m) = member {
        if !ix.in_group(m, day) {
            errors.push((
                Column::Email,
                format!("{} n'est pas membre de ce groupe.", m.name()),
            ));
        } else if let Some(rep) = ix.who.representative
            && m.representative_id != Some(rep)
        {
            errors.push((
                Column::Email,
                format!(
                    "{} est suivi·e par un·e autre représentant·e : vous importez seulement les \
                     lignes de vos membres.",
                    m.name()
                ),
            ));
        }
    }
    if row.attendance.is_empty() {
        errors.push((Column::Attendance, "La présence est obligatoire.".into()));
    } else if attendance(&row.attendance).is_none() {
        errors.push((
            Column::Attendance,
            format!(
                "« {} » n'est pas une présence connue : présent, absent, excusé ou remplacé.",
                short(&row.attendance)
            ),
        ));
    }
    let saved = match (member, day) {
        (Some(m), Some(d)) => ix.lines.get(&(m.id, d)).copied(),
        _ => None,
    };
    let values = match input_of(row, saved.map(|s| &s.values)).parse() {
        Ok(values) => Some(values),
        Err(field_errors) => {
            for (field, msg) in field_errors.iter() {
                let col = Column::of_field(field);
                if !errors.iter().any(|(c, _)| *c == col) {
                    errors.push((col, msg.clone()));
                }
            }
            None
        }
    };
    let (Some(m), Some((d, adds)), Some(values)) = (member, meeting, values) else {
        planned.outcome = refused(errors);
        return planned;
    };
    if !errors.is_empty() {
        planned.outcome = refused(errors);
        return planned;
    }
    if let Some(first) = seen.get(&(m.id, d)) {
        planned.outcome = refused(vec![(
            Column::Date,
            format!(
                "{} a déjà une ligne du {} à la ligne {first} du fichier.",
                m.name(),
                date_fr(d)
            ),
        )]);
        return planned;
    }
    seen.insert((m.id, d), row.line);
    planned.adds_meeting = adds;
    planned.outcome = match saved {
        None => Outcome::New {
            member_id: m.id,
            held_on: d,
            values,
        },
        Some(s) if s.values == values => Outcome::Unchanged {
            member_id: m.id,
            held_on: d,
        },
        Some(s) => Outcome::Change {
            member_id: m.id,
            held_on: d,
            version: s.version,
            changes: eng::changes(Some(&s.values), &values),
            values,
        },
    };
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Date;Courriel;Présence;Références données;Valeur données;\
                          Références reçues;Valeur reçues;Visiteurs;Tête-à-tête;Remerciements;Note";

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn file(lines: &[&str]) -> MeetingFile {
        let text = format!("{HEADER}\n{}\n", lines.join("\n"));
        read(text.as_bytes()).expect("fichier lisible")
    }

    fn member(id: i64, email: &str, group: Option<i64>, rep: i64) -> MemberRef {
        MemberRef {
            id,
            first_name: format!("Prénom{id}"),
            last_name: "Test".into(),
            email: email.into(),
            group_id: group,
            representative_id: Some(rep),
        }
    }

    fn known() -> Known {
        Known {
            members: vec![
                member(1, "anne@ex.ca", Some(10), 100),
                member(2, "bruno@ex.ca", Some(10), 100),
                member(3, "carl@ex.ca", Some(10), 200),
                member(4, "denis@ex.ca", Some(11), 100),
            ],
            meetings: vec![
                StoredMeeting {
                    held_on: d("2026-11-17"),
                    cancelled: false,
                },
                StoredMeeting {
                    held_on: d("2026-11-10"),
                    cancelled: true,
                },
            ],
            lines: vec![StoredLine {
                member_id: 1,
                held_on: d("2026-11-17"),
                version: 2,
                values: LineValues {
                    referrals_received: 1,
                    ..LineValues::default()
                },
            }],
        }
    }

    /// Group 10 meets on Tuesdays; today is Tuesday 2026-11-24.
    fn outcomes(f: &MeetingFile, who: Importer) -> Vec<Outcome> {
        let group = GroupInfo {
            id: 10,
            meeting_day: Some(2),
        };
        plan(f, d("2026-11-24"), &group, who, &known())
            .lines
            .into_iter()
            .map(|l| l.outcome)
            .collect()
    }

    const MANAGER: Importer = Importer {
        representative: None,
        may_add_meetings: true,
    };

    fn refusal(o: &Outcome) -> String {
        match o {
            Outcome::Refused(e) => e.iter().map(|(c, m)| format!("{c} : {m}")).collect(),
            other => panic!("refus attendu, obtenu {other:?}"),
        }
    }

    #[test]
    fn new_changed_and_unchanged_lines_are_told_apart() {
        let f = file(&[
            "2026-11-24;anne@ex.ca;présent;1;;0;;0;0;;",
            "2026-11-17;ANNE@ex.ca;Présence;0;;1;;0;0;;",
            "2026-11-17;bruno@ex.ca;excusée;;;;;;;;",
        ]);
        let o = outcomes(&f, MANAGER);
        assert!(matches!(o[0], Outcome::New { member_id: 1, .. }));
        assert!(matches!(o[1], Outcome::Unchanged { member_id: 1, .. }));
        match &o[2] {
            Outcome::New { values, .. } => assert_eq!(values.attendance, Attendance::Excused),
            other => panic!("{other:?}"),
        }
        let f = file(&["2026-11-17;anne@ex.ca;absent;0;;3;;0;0;;"]);
        match &outcomes(&f, MANAGER)[0] {
            Outcome::Change {
                version, changes, ..
            } => {
                assert_eq!(*version, 2);
                assert_eq!(
                    changes,
                    &vec![
                        "Participation : Présence → Absence".to_string(),
                        "Références reçues : 1 → 3".to_string()
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_absent_column_keeps_the_saved_value() {
        let text = "Date,Courriel,Présence\n2026-11-17,anne@ex.ca,présent\n";
        let f = read(text.as_bytes()).expect("lisible");
        assert_eq!(f.separator, ',');
        assert!(matches!(
            outcomes(&f, MANAGER)[0],
            Outcome::Unchanged { .. }
        ));
    }

    #[test]
    fn each_refusal_says_why_in_french() {
        let f = file(&[
            "2026-11-24;inconnu@ex.ca;présent;;;;;;;;",
            "2026-11-24;denis@ex.ca;présent;;;;;;;;",
            "24 novembre;anne@ex.ca;présent;;;;;;;;",
            "2026-12-01;anne@ex.ca;présent;;;;;;;;",
            "2026-11-10;anne@ex.ca;présent;;;;;;;;",
            "2026-11-24;anne@ex.ca;présent;-1;;99;;;;;",
            "2026-11-24;bruno@ex.ca;parti;;;;;;;;",
            "2026-11-24;bruno@ex.ca;présent;;;;;;;;",
            "2026-11-24;bruno@ex.ca;absent;;;;;;;;",
        ]);
        let o = outcomes(&f, MANAGER);
        assert!(refusal(&o[0]).contains("Membre inconnu"));
        assert!(refusal(&o[1]).contains("n'est pas membre de ce groupe"));
        assert!(refusal(&o[2]).contains("n'est pas une date valide"));
        assert!(refusal(&o[3]).contains("dans le futur"));
        assert!(refusal(&o[4]).contains("a été annulée"));
        let figures = refusal(&o[5]);
        assert!(figures.contains("Références données : Ce nombre ne peut pas être négatif."));
        assert!(figures.contains("Références reçues : 99 références"));
        assert!(refusal(&o[6]).contains("n'est pas une présence connue"));
        assert!(matches!(o[7], Outcome::New { .. }));
        assert!(refusal(&o[8]).contains("a déjà une ligne du 24 nov. 2026 à la ligne 9"));
    }

    #[test]
    fn another_day_adds_the_meeting_for_a_manager_only() {
        let f = file(&["2026-11-20;anne@ex.ca;présent;;;;;;;;"]);
        let group = GroupInfo {
            id: 10,
            meeting_day: Some(2),
        };
        let p = plan(&f, d("2026-11-24"), &group, MANAGER, &known());
        assert!(p.lines[0].adds_meeting);
        assert_eq!(p.counts.meetings_added, 1);
        let rep = Importer {
            representative: Some(100),
            may_add_meetings: false,
        };
        assert!(refusal(&outcomes(&f, rep)[0]).contains("seule la gestion du district"));
    }

    #[test]
    fn a_representative_imports_only_their_members() {
        let rep = Importer {
            representative: Some(100),
            may_add_meetings: false,
        };
        let f = file(&[
            "2026-11-24;carl@ex.ca;présent;;;;;;;;",
            "2026-11-24;bruno@ex.ca;présent;;;;;;;;",
        ]);
        let o = outcomes(&f, rep);
        assert!(refusal(&o[0]).contains("suivi·e par un·e autre représentant·e"));
        assert!(matches!(o[1], Outcome::New { member_id: 2, .. }));
    }

    #[test]
    fn the_number_and_the_email_must_agree() {
        let text = "Date;N° de membre;Courriel;Présence\n\
                    2026-11-24;2;;présent\n2026-11-24;1;bruno@ex.ca;présent\n2026-11-24;x;;p\n";
        let f = read(text.as_bytes()).expect("lisible");
        let o = outcomes(&f, MANAGER);
        assert!(matches!(o[0], Outcome::New { member_id: 2, .. }));
        assert!(refusal(&o[1]).contains("n'est pas celui du membre n° 1"));
        assert!(refusal(&o[2]).contains("n'est pas un numéro de membre"));
    }

    #[test]
    fn unreadable_files_get_a_clear_message() {
        assert_eq!(read(b"  \n").unwrap_err(), FileError::Empty);
        assert_eq!(read(b"Date;\0Courriel").unwrap_err(), FileError::Binary);
        let latin1 = b"Date;Courriel;Pr\xe9sence\n";
        assert_eq!(read(latin1).unwrap_err(), FileError::NotUtf8 { line: 1 });
        assert_eq!(read(b"\xff\xfeD\0").unwrap_err(), FileError::Utf16);
        let missing = read("Courriel;Visiteurs\nx;1\n".as_bytes()).unwrap_err();
        assert!(
            missing
                .message()
                .contains("Colonnes manquantes : Date, Présence")
        );
        assert_eq!(
            read("Date;Présence\n2026-11-24;p\n".as_bytes()).unwrap_err(),
            FileError::NoMemberColumn
        );
        assert_eq!(read(HEADER.as_bytes()).unwrap_err(), FileError::NoLines);
    }

    #[test]
    fn ten_thousand_lines_pass_and_one_more_is_refused() {
        let line = "2026-11-24;anne@ex.ca;présent;;;;;;;;\n";
        let text = format!("{HEADER}\n{}", line.repeat(MAX_LINES));
        assert_eq!(
            read(text.as_bytes()).expect("lisible").rows.len(),
            MAX_LINES
        );
        let more = format!("{text}{line}");
        let e = read(more.as_bytes()).unwrap_err();
        assert_eq!(e, FileError::TooManyLines(MAX_LINES + 1));
        assert!(e.message().contains("10\u{a0}001 lignes"));
    }

    #[test]
    fn a_bom_and_windows_line_ends_are_read_with_line_numbers() {
        let text = format!("\u{feff}{HEADER}\r\n\r\n2026-11-24;anne@ex.ca;présent;;;;;;;;\r\n");
        let f = read(text.as_bytes()).expect("lisible");
        assert!(f.bom);
        assert_eq!(f.rows[0].line, 3);
        assert_eq!(f.rows[0].attendance, "présent");
    }

    #[test]
    fn a_new_line_is_summed_up_with_its_values_and_note() {
        let l = LineValues {
            attendance: Attendance::Substitute,
            referrals_given: 1,
            given_value_cents: Some(250_000),
            visitors: 2,
            thanks_cents: 15_050,
            note: "Son associée".into(),
            ..LineValues::default()
        };
        assert_eq!(
            summary(&l),
            "Remplacement · 1 donnée(s) (2\u{a0}500,00\u{a0}$), 0 reçue(s) · 2 visiteur(s), \
             0 tête-à-tête · merci 150,50\u{a0}$ · note « Son associée »"
        );
    }

    #[test]
    fn attendance_words_of_the_sheet_and_the_adjectives_are_understood() {
        assert_eq!(attendance("Absence motivée"), Some(Attendance::Excused));
        assert_eq!(attendance("Excusé"), Some(Attendance::Excused));
        assert_eq!(attendance("remplacée"), Some(Attendance::Substitute));
        assert_eq!(attendance("Remplacement"), Some(Attendance::Substitute));
        assert_eq!(attendance("ABSENTE"), Some(Attendance::Absent));
        assert_eq!(attendance("present"), Some(Attendance::Present));
        assert_eq!(attendance("peut-être"), None);
    }
}
