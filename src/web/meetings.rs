//! A group's meetings: the list (weekly meetings on the group's day, plus
//! added ones; add one, cancel one) and one sheet per meeting where the
//! members' lines are filled in, saved in one transaction with history.
//! A representative sees and fills only the lines of their own members;
//! adding and cancelling meetings is for the district manager and direction.
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use crate::domain::engagement::{self as eng, Attendance, LineInput, LineValues};
use crate::domain::format::date_fr;
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors};
use crate::store::groups::{self, Group};
use crate::store::meetings::{self, Added, LineSave, SaveError, SheetRow};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::confirm::{self, ConfirmPage};
use crate::web::error::{AppError, AppResult};
use crate::web::form::{Form, Path, Query};
use crate::web::groups::parse_id;
use crate::web::layout::Layout;

const READERS: &[Role] = &[Role::Representative, Role::DistrictManager, Role::Direction];
const ORGANISERS: &[Role] = &[Role::DistrictManager, Role::Direction];
const NAV: &str = "/groupes";
/// Weeks listed by default, and with « voir plus ».
const WEEKS: usize = 12;
const WEEKS_MORE: usize = 52;
/// How far a meeting may be added, back and ahead.
const DAYS_BACK: u64 = 730;
const DAYS_AHEAD: u64 = 366;

/// « mardi 24 nov. 2026 ».
pub fn day_label(d: NaiveDate) -> String {
    let wd = chrono::Datelike::weekday(&d).number_from_monday() as i16;
    match groups::weekday_label(wd) {
        Some(day) => format!("{day} {}", date_fr(d)),
        None => date_fr(d),
    }
}

/// The group, if the user may see its meetings: in their district, and for
/// a representative only if one of their members is in it. The
/// representative's id limits the lines. (The meeting import's rule too.)
pub(crate) async fn open_group(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
) -> AppResult<(Group, Option<i64>)> {
    user.require(READERS)?;
    let id = parse_id(raw)?;
    let (within, own) = match user.scope() {
        Scope::Network => (None, None),
        Scope::District(d) => (Some(d), None),
        Scope::Representative {
            user_id,
            district_id,
        } => (Some(district_id), Some(user_id)),
        Scope::Nothing => return Err(AppError::NotFound),
    };
    let group = groups::find(&state.pool, id, within)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(rep) = own
        && !meetings::has_members_in(&state.pool, group.id, rep).await?
    {
        return Err(AppError::NotFound);
    }
    Ok((group, own))
}

/// A date from the path; anything else is a page that does not exist.
fn parse_date(raw: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2200).contains(&chrono::Datelike::year(d)))
        .ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------- list

pub struct MeetingLine {
    pub iso: String,
    pub label: String,
    pub added: bool,
    pub cancelled: Option<String>,
    pub lines: i64,
    pub upcoming: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/list.html")]
pub struct ListPage {
    layout: Layout,
    group: Group,
    meetings: Vec<MeetingLine>,
    own_only: bool,
    can_organise: bool,
    weeks: usize,
    more: bool,
    add_value: String,
    add_error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    semaines: String,
    fait: String,
    date: String,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    own: Option<i64>,
    more: bool,
) -> AppResult<ListPage> {
    let today = state.today();
    let weeks = if more { WEEKS_MORE } else { WEEKS };
    let regular = group
        .meeting_day
        .map(|d| eng::regular_dates(d, today, weeks))
        .unwrap_or_default();
    let since = regular
        .last()
        .copied()
        .unwrap_or_else(|| today - Days::new(7 * weeks as u64));
    let stored = meetings::list(&state.pool, group.id, since, own).await?;
    let mut by_day: HashMap<NaiveDate, meetings::Meeting> =
        stored.into_iter().map(|m| (m.held_on, m)).collect();
    let mut days: Vec<NaiveDate> = regular.clone();
    days.extend(by_day.keys().filter(|d| !regular.contains(d)).copied());
    days.sort_unstable_by(|a, b| b.cmp(a));
    let tz = state.config.time_zone;
    let meetings = days
        .into_iter()
        .map(|d| {
            let stored = by_day.remove(&d);
            MeetingLine {
                iso: d.to_string(),
                label: day_label(d),
                added: stored.as_ref().is_some_and(|m| m.added),
                cancelled: stored.as_ref().and_then(|m| {
                    m.cancelled_at.map(|at| {
                        let when = date_fr(at.with_timezone(&tz).date_naive());
                        match &m.cancelled_by {
                            Some(who) => format!("annulée le {when} par {who}"),
                            None => format!("annulée le {when}"),
                        }
                    })
                }),
                lines: stored.as_ref().map_or(0, |m| m.lines),
                upcoming: d > today,
            }
        })
        .collect();
    Ok(ListPage {
        layout: Layout::new(format!("Rencontres — {}", group.name), &user.0, NAV),
        group,
        meetings,
        own_only: own.is_some(),
        can_organise: ORGANISERS.contains(&user.0.role),
        weeks,
        more,
        add_value: String::new(),
        add_error: None,
        notice: None,
    })
}

/// `GET /groupes/{id}/rencontres`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<ListPage> {
    let (group, own) = open_group(&state, &user, &raw).await?;
    let mut page = list_page(&state, &user, group, own, q.semaines == "52").await?;
    let day = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d")
        .ok()
        .map(date_fr);
    page.notice = match (q.fait.as_str(), day) {
        ("ajoutee", Some(d)) => Some(format!("La rencontre du {d} a été ajoutée.")),
        ("retablie", Some(d)) => Some(format!("La rencontre du {d} a de nouveau lieu.")),
        ("annulee", Some(d)) => Some(format!(
            "La rencontre du {d} est annulée : ses lignes ne comptent plus dans les chiffres des membres."
        )),
        _ => None,
    };
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    date: String,
}

/// `POST /groupes/{id}/rencontres`: adds a meeting on a date (or makes a
/// cancelled one take place again).
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(f): Form<AddForm>,
) -> AppResult<Response> {
    user.require(ORGANISERS)?;
    let (group, own) = open_group(&state, &user, &raw).await?;
    let today = state.today();
    let checked = v::date(&f.date, "La date de la rencontre").and_then(|d| {
        if d < today - Days::new(DAYS_BACK) {
            Err("Cette date est trop ancienne : deux ans en arrière au plus.".into())
        } else if d > today + Days::new(DAYS_AHEAD) {
            Err("Cette date est trop lointaine : un an à l'avance au plus.".into())
        } else {
            Ok(d)
        }
    });
    let day = match checked {
        Ok(d) => d,
        Err(m) => return refuse_add(&state, &user, group, own, &f.date, m).await,
    };
    let usual = group
        .meeting_day
        .is_some_and(|wd| eng::is_meeting_day(day, wd));
    let mut tx = state.pool.begin().await?;
    let outcome = meetings::add(&mut tx, group.id, day, !usual, user.0.id).await?;
    if outcome == Added::AlreadyThere || (usual && outcome == Added::Created && day <= today) {
        // A usual day already on the list: nothing to add.
        tx.rollback().await?;
        let m = format!(
            "Le groupe se rencontre déjà le {} : cette rencontre est sur la liste.",
            date_fr(day)
        );
        return refuse_add(&state, &user, group, own, &f.date, m).await;
    }
    tx.commit().await?;
    let done = if outcome == Added::Restored {
        "retablie"
    } else {
        "ajoutee"
    };
    Ok(Redirect::to(&format!(
        "/groupes/{}/rencontres?fait={done}&date={day}",
        group.id
    ))
    .into_response())
}

/// The list again with the add form's date and its message (422).
async fn refuse_add(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    own: Option<i64>,
    typed: &str,
    message: String,
) -> AppResult<Response> {
    let mut page = list_page(state, user, group, own, false).await?;
    page.add_value = typed.chars().take(40).collect();
    page.add_error = Some(message);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CancelForm {
    confirme: String,
}

/// `POST /groupes/{id}/rencontres/{date}/annulation`, after a confirmation.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw, raw_date)): Path<(String, String)>,
    Form(f): Form<CancelForm>,
) -> AppResult<Response> {
    user.require(ORGANISERS)?;
    let (group, own) = open_group(&state, &user, &raw).await?;
    let day = parse_date(&raw_date)?;
    let meeting = meetings::find(&state.pool, group.id, day, own).await?;
    if meeting.is_none() && !is_regular(&group, day) {
        return Err(AppError::NotFound);
    }
    let back = format!("/groupes/{}/rencontres", group.id);
    if !confirm::confirmed(&f.confirme) {
        let lines = meeting.as_ref().map_or(0, |m| m.lines);
        let mut page = ConfirmPage::new(
            Layout::new("Annuler une rencontre", &user.0, NAV),
            format!("Annuler la rencontre du {} ?", day_label(day)),
            format!("{back}/{day}/annulation"),
            "Oui, annuler la rencontre",
            back.clone(),
        )
        .says(format!(
            "La rencontre du groupe {} sera marquée comme annulée.",
            group.name
        ));
        if lines > 0 {
            page = page.says(format!(
                "Ses {lines} ligne(s) déjà saisie(s) sont gardées, mais ne compteront plus dans \
                 la présence et les références des membres."
            ));
        }
        page = page.says("Pour la rétablir, ajoutez de nouveau cette date à la liste.");
        return Ok(page.into_response());
    }
    let mut tx = state.pool.begin().await?;
    meetings::cancel(&mut tx, group.id, day, user.0.id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{back}?fait=annulee&date={day}")).into_response())
}

fn is_regular(group: &Group, day: NaiveDate) -> bool {
    group
        .meeting_day
        .is_some_and(|wd| eng::is_meeting_day(day, wd))
}

// ---------------------------------------------------------------- sheet

pub struct HistoryLine {
    pub when: String,
    pub who: String,
    pub changes: Vec<String>,
}

pub struct Row {
    pub member_id: i64,
    pub name: String,
    pub profession: String,
    pub current: bool,
    pub input: LineInput,
    pub version: i32,
    pub errors: FieldErrors,
    pub stale: bool,
    pub saved: Option<String>,
    pub history: Vec<HistoryLine>,
}

impl Row {
    /// The amounts and the note are folded unless they hold something.
    pub fn details_open(&self) -> bool {
        !self.input.given_value.trim().is_empty()
            || !self.input.received_value.trim().is_empty()
            || !self.input.thanks.trim().is_empty()
            || !self.input.note.trim().is_empty()
            || ["valeur-donnees", "valeur-recues", "merci", "note"]
                .iter()
                .any(|f| self.errors.get(f).is_some())
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    pub fn checked(&self, a: &Attendance) -> bool {
        self.input.attendance == a.as_str()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/sheet.html")]
pub struct SheetPage {
    layout: Layout,
    group: Group,
    day_label: String,
    iso: String,
    rows: Vec<Row>,
    own_only: bool,
    /// Why the sheet cannot be filled (cancelled, not yet held).
    closed: Option<String>,
    added: bool,
    alert: Option<String>,
    notice: Option<String>,
    attendances: [Attendance; 4],
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SheetQuery {
    enregistre: String,
}

/// What the sheet of `day` is: stored, a usual meeting day, or nothing.
async fn meeting_of(
    state: &AppState,
    group: &Group,
    day: NaiveDate,
    own: Option<i64>,
) -> AppResult<Option<Option<meetings::Meeting>>> {
    let stored = meetings::find(&state.pool, group.id, day, own).await?;
    let today = state.today();
    let valid = stored.is_some()
        || (is_regular(group, day) && day <= today && day >= today - Days::new(DAYS_BACK));
    Ok(valid.then_some(stored))
}

fn closed_reason(
    meeting: Option<&meetings::Meeting>,
    day: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    if meeting.is_some_and(|m| m.cancelled_at.is_some()) {
        Some("Cette rencontre a été annulée : sa feuille ne peut plus être modifiée.".into())
    } else if day > today {
        Some(
            "Cette rencontre n'a pas encore eu lieu : sa feuille se remplit le jour même ou après."
                .into(),
        )
    } else {
        None
    }
}

async fn sheet_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    day: NaiveDate,
    own: Option<i64>,
    typed: Option<Typed>,
) -> AppResult<SheetPage> {
    let meeting = meetings::find(&state.pool, group.id, day, own).await?;
    let rows = meetings::sheet(&state.pool, group.id, meeting.as_ref().map(|m| m.id), own).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.member_id).collect();
    let history = match &meeting {
        Some(m) => meetings::history(&state.pool, m.id, &ids).await?,
        None => Vec::new(),
    };
    let tz = state.config.time_zone;
    let stamp = |at: chrono::DateTime<chrono::Utc>| {
        let local = at.with_timezone(&tz);
        format!(
            "{} à {}",
            date_fr(local.date_naive()),
            local.format("%H h %M")
        )
    };
    let mut by_member: HashMap<i64, Vec<HistoryLine>> = HashMap::new();
    let mut previous: HashMap<i64, LineValues> = HashMap::new();
    for h in history {
        let changes = eng::changes(previous.get(&h.member_id), &h.values);
        previous.insert(h.member_id, h.values.clone());
        by_member.entry(h.member_id).or_default().push(HistoryLine {
            when: stamp(h.changed_at),
            who: h.changed_by.clone().unwrap_or_else(|| "—".into()),
            changes,
        });
    }
    let (mut typed_rows, alert) = match typed {
        Some(t) => (t.rows, t.alert),
        None => (HashMap::new(), None),
    };
    let rows = rows
        .into_iter()
        .map(|r: SheetRow| {
            let mut history = by_member.remove(&r.member_id).unwrap_or_default();
            history.reverse();
            let saved = r.line.as_ref().map(|l| {
                let who = l.updated_by.clone().unwrap_or_else(|| "—".into());
                format!("Saisi le {} par {who}", stamp(l.updated_at))
            });
            let stored_version = r.line.as_ref().map_or(0, |l| l.version);
            let (input, errors, stale) = match typed_rows.remove(&r.member_id) {
                Some(t) => (t.input, t.errors, t.stale),
                None => (
                    r.line
                        .as_ref()
                        .map(|l| LineInput::of(&l.values))
                        .unwrap_or_else(|| LineInput::of(&LineValues::default())),
                    FieldErrors::new(),
                    false,
                ),
            };
            Row {
                member_id: r.member_id,
                name: format!("{} {}", r.first_name, r.last_name),
                profession: r.profession,
                current: r.current,
                input,
                version: stored_version,
                errors,
                stale,
                saved,
                history,
            }
        })
        .collect();
    let closed = closed_reason(meeting.as_ref(), day, state.today());
    Ok(SheetPage {
        layout: Layout::new(
            format!("Rencontre du {} — {}", date_fr(day), group.name),
            &user.0,
            NAV,
        ),
        day_label: day_label(day),
        iso: day.to_string(),
        added: meeting.as_ref().is_some_and(|m| m.added),
        group,
        rows,
        own_only: own.is_some(),
        closed,
        alert,
        notice: None,
        attendances: Attendance::ALL,
    })
}

/// `GET /groupes/{id}/rencontres/{date}`.
pub async fn sheet(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw, raw_date)): Path<(String, String)>,
    Query(q): Query<SheetQuery>,
) -> AppResult<SheetPage> {
    let (group, own) = open_group(&state, &user, &raw).await?;
    let day = parse_date(&raw_date)?;
    if meeting_of(&state, &group, day, own).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let mut page = sheet_page(&state, &user, group, day, own, None).await?;
    if let Ok(n) = q.enregistre.trim().parse::<usize>() {
        page.notice = Some(match n {
            0 => "Rien n'a changé : la feuille était déjà à jour.".to_string(),
            1 => "Feuille enregistrée : 1 ligne mise à jour.".to_string(),
            n => format!("Feuille enregistrée : {n} lignes mises à jour."),
        });
    }
    Ok(page)
}

/// What was typed, to show back after a refusal.
struct TypedRow {
    input: LineInput,
    errors: FieldErrors,
    stale: bool,
}

struct Typed {
    rows: HashMap<i64, TypedRow>,
    alert: Option<String>,
}

/// The posted lines by member: what was typed, and the version opened.
type Posted = HashMap<i64, (LineInput, String)>;

/// The posted fields grouped by member: `presence-12` is field `presence`
/// of member 12; `version-12` the version the line was opened at.
fn group_fields(fields: Vec<(String, String)>) -> AppResult<(Vec<i64>, Posted)> {
    let mut order = Vec::new();
    let mut by_member: HashMap<i64, (LineInput, String)> = HashMap::new();
    for (name, value) in fields {
        let Some((field, id)) = name.rsplit_once('-') else {
            continue;
        };
        let Ok(id) = id.parse::<i64>() else {
            continue;
        };
        if !by_member.contains_key(&id) {
            order.push(id);
        }
        let entry = by_member.entry(id).or_default();
        if field == "version" {
            entry.1 = value;
        } else if !entry.0.set(field, value) {
            return Err(AppError::BadRequest(
                "Le formulaire envoyé contient un champ inconnu. Rechargez la page.".into(),
            ));
        }
    }
    Ok((order, by_member))
}

/// `POST /groupes/{id}/rencontres/{date}`: saves the sheet in one
/// transaction, or shows it back with the messages (nothing written).
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw, raw_date)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (group, own) = open_group(&state, &user, &raw).await?;
    let day = parse_date(&raw_date)?;
    let (order, mut posted) = group_fields(fields)?;
    // Every posted line must be one the user may fill: else it is not theirs.
    let stored = meetings::find(&state.pool, group.id, day, own).await?;
    let with_lines =
        meetings::sheet(&state.pool, group.id, stored.as_ref().map(|m| m.id), own).await?;
    let in_scope: std::collections::HashSet<i64> = with_lines.iter().map(|r| r.member_id).collect();
    if order.iter().any(|id| !in_scope.contains(id)) {
        return Err(AppError::NotFound);
    }
    let today = state.today();
    let refusal = if meeting_of(&state, &group, day, own).await?.is_none() {
        Some(format!(
            "Le {} n'est pas une rencontre de ce groupe : ajoutez d'abord cette date à la liste \
             des rencontres.",
            date_fr(day)
        ))
    } else {
        closed_reason(stored.as_ref(), day, today)
    };
    let mut typed: HashMap<i64, TypedRow> = HashMap::new();
    let mut saves = Vec::new();
    for id in &order {
        let Some((input, version)) = posted.remove(id) else {
            continue;
        };
        let version = version.trim().parse::<i32>().unwrap_or(-1);
        match input.parse() {
            Ok(values) => saves.push(LineSave {
                member_id: *id,
                version,
                values,
            }),
            Err(errors) => {
                typed.insert(
                    *id,
                    TypedRow {
                        input: input.clone(),
                        errors,
                        stale: false,
                    },
                );
            }
        }
        typed.entry(*id).or_insert(TypedRow {
            input,
            errors: FieldErrors::new(),
            stale: false,
        });
    }
    let bad = typed.values().filter(|t| !t.errors.is_empty()).count();
    let alert = if let Some(r) = refusal {
        Some(r)
    } else if order.is_empty() {
        Some("Aucune ligne n'a été envoyée : rechargez la page et recommencez.".into())
    } else if bad > 0 {
        let lines = if bad > 1 {
            format!("{bad} lignes à corriger")
        } else {
            "1 ligne à corriger".to_string()
        };
        Some(format!(
            "La feuille n'a pas été enregistrée : {lines}, voyez les messages à côté des champs."
        ))
    } else {
        None
    };
    if alert.is_some() {
        return refused(&state, &user, group, day, own, typed, alert).await;
    }
    let mut tx = state.pool.begin().await?;
    let (meeting_id, cancelled) =
        meetings::lock_or_create(&mut tx, group.id, day, user.0.id).await?;
    if cancelled {
        tx.rollback().await?;
        let alert = closed_reason(stored.as_ref(), day, today)
            .or_else(|| Some("Cette rencontre vient d'être annulée.".into()));
        return refused(&state, &user, group, day, own, typed, alert).await;
    }
    match meetings::save(&mut tx, meeting_id, day, user.0.id, &saves).await {
        Ok(written) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!(
                "/groupes/{}/rencontres/{day}?enregistre={written}",
                group.id
            ))
            .into_response())
        }
        Err(SaveError::Stale(ids)) => {
            tx.rollback().await?;
            for id in &ids {
                if let Some(t) = typed.get_mut(id) {
                    t.stale = true;
                }
            }
            let which = if ids.len() > 1 {
                format!("{} lignes ont été modifiées", ids.len())
            } else {
                "une ligne a été modifiée".to_string()
            };
            let alert = Some(format!(
                "La feuille n'a pas été enregistrée : {which} par quelqu'un d'autre pendant que \
                 vous remplissiez la feuille. Vérifiez-la (la version enregistrée est dans \
                 l'historique de la ligne), puis enregistrez de nouveau."
            ));
            refused_with(
                &state,
                &user,
                group,
                day,
                own,
                typed,
                alert,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    day: NaiveDate,
    own: Option<i64>,
    typed: HashMap<i64, TypedRow>,
    alert: Option<String>,
) -> AppResult<Response> {
    refused_with(
        state,
        user,
        group,
        day,
        own,
        typed,
        alert,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn refused_with(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    day: NaiveDate,
    own: Option<i64>,
    typed: HashMap<i64, TypedRow>,
    alert: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let page = sheet_page(
        state,
        user,
        group,
        day,
        own,
        Some(Typed { rows: typed, alert }),
    )
    .await?;
    Ok((status, page).into_response())
}
