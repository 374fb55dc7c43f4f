//! Groups: the list, the read-only group page, and the create / edit
//! forms (direction everywhere, district managers in their district).
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveTime;
use serde::Deserialize;

use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors};
use crate::store::districts;
use crate::store::groups::{
    self, Group, GroupDraft, GroupError, GroupKind, GroupMember, ProfessionHeld, SeatClash,
};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;

const READERS: &[Role] = &[Role::Representative, Role::DistrictManager, Role::Direction];
const EDITORS: &[Role] = &[Role::DistrictManager, Role::Direction];
const NAV: &str = "/groupes";

pub const STALE_MESSAGE: &str = "Ce groupe a été modifié par quelqu'un d'autre pendant que vous \
                                 l'éditiez. Rechargez la page.";
pub const SEAT_CLASH_MESSAGE: &str = "Ce groupe ne peut pas devenir un groupe A : au moins deux \
     de ses membres exclusifs actifs exercent la même profession, alors qu'un groupe A n'offre \
     qu'un siège par profession.";

/// An id from the path; anything else is a page that does not exist.
pub(crate) fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

/// The district the user is limited to (`None`: the whole network).
fn within(user: &CurrentUser) -> AppResult<Option<i64>> {
    match user.scope() {
        Scope::Network => Ok(None),
        Scope::District(d) | Scope::Representative { district_id: d, .. } => Ok(Some(d)),
        Scope::Nothing => Err(AppError::NotFound),
    }
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// « 3 membres actifs », « 1 membre actif ».
pub(crate) fn count_of(n: i64, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The wanted state of an activation button (`oui` / `non`); a form
/// without it toggles.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivationForm {
    active: String,
    /// `oui` once the deactivation's consequences were shown.
    confirme: String,
}

impl ActivationForm {
    pub(crate) fn confirmed(&self) -> bool {
        crate::web::confirm::confirmed(&self.confirme)
    }

    pub(crate) fn target(&self, current: bool) -> bool {
        match self.active.trim() {
            "oui" => true,
            "non" => false,
            _ => !current,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    fait: String,
    district: String,
}

/// The message after an action on the group named `name`.
fn done_notice(key: &str, name: &str) -> Option<String> {
    match key {
        "cree" => Some(format!("Le groupe {name} a été créé.")),
        "modifie" => Some(format!(
            "Les modifications du groupe {name} ont été enregistrées."
        )),
        "active" => Some(format!("Le groupe {name} a été réactivé.")),
        "desactive" => Some(format!("Le groupe {name} a été désactivé.")),
        _ => None,
    }
}

// ---------------------------------------------------------------- list

#[derive(Template, WebTemplate)]
#[template(path = "groups/list.html")]
pub struct GroupListPage {
    layout: Layout,
    groups: Vec<Group>,
    /// The district filter (direction only).
    filter: Option<Vec<Choice>>,
    filtered: bool,
    can_create: bool,
    csv_href: String,
    csv_comma_href: String,
}

/// The district filter of the list: direction's choice; others are
/// limited to their district anyway.
fn district_filter(user: &CurrentUser, raw: &str) -> AppResult<(Option<i64>, Option<i64>)> {
    let limit = within(user)?;
    let wanted = limit
        .is_none()
        .then(|| v::optional_id(raw).ok().flatten())
        .flatten();
    Ok((limit, wanted))
}

/// The CSV of the list with its district filter.
fn export_href(district: Option<i64>) -> String {
    match district {
        Some(d) => format!("{EXPORT_PATH}?district={d}"),
        None => EXPORT_PATH.to_string(),
    }
}

const EXPORT_PATH: &str = "/groupes/export.csv";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    district: String,
    /// `virgule` for the comma-separated CSV.
    format: Option<String>,
}

/// `GET /groupes/export.csv`: the groups the user may see (one row per
/// group: a few hundred at most, as on the page).
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    user.require(READERS)?;
    let (limit, district) = district_filter(&user, &q.district)?;
    let list = groups::list(&state.pool, limit, district).await?;
    let header = [
        "Groupe",
        "District",
        "Type",
        "Jour de rencontre",
        "Heure",
        "État",
        "Membres actifs",
    ];
    let mut out = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    for g in list {
        out.row([
            Cell::from(g.name),
            Cell::from(g.district_name),
            Cell::from(g.kind.as_str()),
            Cell::from(g.meeting_day.and_then(groups::weekday_label)),
            Cell::from(g.meeting_time.map(|t| t.format("%H:%M").to_string())),
            Cell::from(if g.active { "actif" } else { "inactif" }),
            Cell::Int(g.active_members),
        ])?;
    }
    out.into_response("groupes")
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<GroupListPage> {
    user.require(READERS)?;
    let (limit, wanted) = district_filter(&user, &q.district)?;
    let (district, filter) = if limit.is_none() {
        let choices = districts::all(&state.pool)
            .await?
            .into_iter()
            .map(|d| Choice {
                selected: Some(d.id) == wanted,
                value: d.id.to_string(),
                label: if d.active {
                    d.name
                } else {
                    format!("{} (inactif)", d.name)
                },
            })
            .collect();
        (wanted, Some(choices))
    } else {
        (None, None)
    };
    let groups = groups::list(&state.pool, limit, district).await?;
    Ok(GroupListPage {
        layout: Layout::new("Groupes", &user.0, NAV),
        groups,
        filter,
        filtered: district.is_some(),
        can_create: EDITORS.contains(&user.0.role),
        csv_href: export_href(district),
        csv_comma_href: csv::comma_href(&export_href(district)),
    })
}

// ---------------------------------------------------------------- page

#[derive(Template, WebTemplate)]
#[template(path = "groups/show.html")]
pub struct GroupPage {
    layout: Layout,
    group: Group,
    members: Vec<GroupMember>,
    professions: Vec<ProfessionHeld>,
    /// A representative sees only their own members listed.
    own_members_only: bool,
    /// The meetings link (a representative: only with members here).
    show_meetings: bool,
    can_edit: bool,
    notice: Option<String>,
    alert: Option<String>,
}

async fn group_page(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    notice: Option<String>,
    alert: Option<String>,
) -> AppResult<GroupPage> {
    let own = match user.scope() {
        Scope::Representative { user_id, .. } => Some(user_id),
        _ => None,
    };
    let members = groups::members(&state.pool, group.id, own).await?;
    let professions = groups::professions_held(&state.pool, group.id).await?;
    let show_meetings = own.is_none() || !members.is_empty();
    Ok(GroupPage {
        show_meetings,
        layout: Layout::new(group.name.clone(), &user.0, NAV),
        group,
        members,
        professions,
        own_members_only: own.is_some(),
        can_edit: EDITORS.contains(&user.0.role),
        notice,
        alert,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Query(q): Query<DoneQuery>,
) -> AppResult<GroupPage> {
    user.require(READERS)?;
    let id = parse_id(&raw)?;
    let group = groups::find(&state.pool, id, within(&user)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = done_notice(&q.fait, &group.name);
    group_page(&state, &user, group, notice, None).await
}

// ---------------------------------------------------------------- form

/// The group form as typed (kept as is to show it back with the errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GroupForm {
    pub district_id: String,
    pub name: String,
    pub kind: String,
    pub meeting_day: String,
    pub meeting_time: String,
    pub active: Option<String>,
    pub version: String,
}

/// The form's fields that need no database to check.
#[derive(Debug, Clone, PartialEq)]
struct ParsedGroup {
    district_id: Option<i64>,
    name: String,
    kind: GroupKind,
    meeting_day: i16,
    meeting_time: Option<NaiveTime>,
    active: bool,
}

impl GroupForm {
    fn of(group: &Group) -> GroupForm {
        GroupForm {
            district_id: group.district_id.to_string(),
            name: group.name.clone(),
            kind: group.kind.as_str().to_string(),
            meeting_day: group.meeting_day.map(|d| d.to_string()).unwrap_or_default(),
            meeting_time: group
                .meeting_time
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default(),
            active: group.active.then(|| "on".to_string()),
            version: group.version.to_string(),
        }
    }

    /// Parses what it can; `district_chosen` is false when the district is
    /// fixed by the user's role (the field is then not on the form).
    fn parse(&self, e: &mut FieldErrors, district_chosen: bool) -> Option<ParsedGroup> {
        let district_id = if district_chosen {
            e.take(
                "district_id",
                v::optional_id(&self.district_id)
                    .and_then(|d| d.ok_or_else(|| "Choisissez le district.".to_string()))
                    .map(Some),
            )
        } else {
            Some(None)
        };
        let name = e.take(
            "name",
            v::required(&self.name, "Le nom du groupe", groups::NAME_MAX),
        );
        let kind = e.take(
            "kind",
            GroupKind::parse(self.kind.trim())
                .ok_or_else(|| "Choisissez le type de groupe (A ou B).".to_string()),
        );
        let meeting_day = e.take("meeting_day", parse_day(&self.meeting_day));
        let meeting_time = e.take("meeting_time", parse_time(&self.meeting_time));
        Some(ParsedGroup {
            district_id: district_id?,
            name: name?,
            kind: kind?,
            meeting_day: meeting_day?,
            meeting_time: meeting_time?,
            active: self.active.is_some(),
        })
    }

    fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

fn parse_day(raw: &str) -> Result<i16, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("Choisissez le jour de la rencontre.".into());
    }
    s.parse::<i16>()
        .ok()
        .filter(|d| groups::weekday_label(*d).is_some())
        .ok_or_else(|| "Ce jour n'est pas valide : choisissez un jour de la liste.".into())
}

/// `07:00` (what `<input type=time>` sends), `7:00`, `7 h 00`, `7h` or
/// `07:00:00`; empty gives `None`.
fn parse_time(raw: &str) -> Result<Option<NaiveTime>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut norm: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == 'h' || c == 'H' { ':' } else { c })
        .collect();
    if norm.ends_with(':') {
        norm.push_str("00");
    }
    let shape_ok = norm.len() <= 8 && norm.chars().all(|c| c.is_ascii_digit() || c == ':');
    shape_ok
        .then(|| {
            NaiveTime::parse_from_str(&norm, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(&norm, "%H:%M:%S"))
                .ok()
        })
        .flatten()
        .map(Some)
        .ok_or_else(|| {
            let shown: String = s.chars().take(20).collect();
            format!("« {shown} » n'est pas une heure valide (exemple : 07:00).")
        })
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/form.html")]
pub struct GroupFormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel_href: String,
    form: GroupForm,
    errors: FieldErrors,
    alert: Option<String>,
    /// The district select, or the district's name when it is fixed.
    districts: Vec<Choice>,
    fixed_district: Option<String>,
    kinds: Vec<Choice>,
    days: Vec<Choice>,
}

/// Where the form is going: a new group, or an existing one.
enum Target<'a> {
    New,
    Existing(&'a Group),
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    target: Target<'_>,
    form: GroupForm,
    errors: FieldErrors,
    alert: Option<String>,
) -> AppResult<GroupFormPage> {
    let (heading, action, cancel_href, keep) = match target {
        Target::New => (
            "Nouveau groupe".to_string(),
            "/groupes/nouveau".to_string(),
            "/groupes".to_string(),
            None,
        ),
        Target::Existing(g) => (
            format!("Modifier le groupe {}", g.name),
            format!("/groupes/{}/modifier", g.id),
            format!("/groupes/{}", g.id),
            Some(g.district_id),
        ),
    };
    let (districts, fixed_district) = match user.scope() {
        Scope::Network => {
            let list = districts::choices(&state.pool, keep).await?;
            let chosen = form.district_id.trim();
            let choices = list
                .into_iter()
                .map(|d| Choice {
                    selected: chosen == d.id.to_string(),
                    value: d.id.to_string(),
                    label: if d.active {
                        d.name
                    } else {
                        format!("{} (inactif)", d.name)
                    },
                })
                .collect();
            (choices, None)
        }
        _ => (
            Vec::new(),
            Some(user.0.district_name.clone().unwrap_or_default()),
        ),
    };
    let kinds = GroupKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().to_string(),
            label: k.label().to_string(),
            selected: form.kind.trim() == k.as_str(),
        })
        .collect();
    let days = groups::WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let value = (i + 1).to_string();
            Choice {
                selected: form.meeting_day.trim() == value,
                value,
                label: day.to_string(),
            }
        })
        .collect();
    Ok(GroupFormPage {
        layout: Layout::new(heading.clone(), &user.0, NAV),
        heading,
        action,
        cancel_href,
        form,
        errors,
        alert,
        districts,
        fixed_district,
        kinds,
        days,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<GroupFormPage> {
    user.require(EDITORS)?;
    let form = GroupForm {
        kind: GroupKind::A.as_str().to_string(),
        active: Some("on".to_string()),
        ..GroupForm::default()
    };
    form_page(&state, &user, Target::New, form, FieldErrors::new(), None).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<GroupFormPage> {
    user.require(EDITORS)?;
    let id = parse_id(&raw)?;
    let group = groups::find(&state.pool, id, within(&user)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = GroupForm::of(&group);
    form_page(
        &state,
        &user,
        Target::Existing(&group),
        form,
        FieldErrors::new(),
        None,
    )
    .await
}

/// Why a save did not happen: messages by field, and maybe a stale version.
#[derive(Default)]
struct Refusal {
    errors: FieldErrors,
    stale: bool,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        if self.stale {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// The district the group goes to: the manager's own, or the one chosen
/// by direction (which must exist, and be active unless it is `current`).
/// Returns it with whether it is active; locks it until the end of `tx`.
async fn resolve_district(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    chosen: Option<i64>,
    current: Option<i64>,
    e: &mut FieldErrors,
) -> AppResult<Option<(i64, bool)>> {
    let (id, fixed) = match (user.scope(), chosen) {
        (Scope::District(own), _) => (own, true),
        (Scope::Network, Some(id)) => (id, false),
        _ => return Ok(None),
    };
    match groups::lock_district(conn, id).await? {
        None => {
            e.add("district_id", "Ce district n'existe pas.");
            Ok(None)
        }
        Some(false) if !fixed && Some(id) != current => {
            e.add(
                "district_id",
                "Ce district est désactivé : choisissez un district actif.",
            );
            Ok(None)
        }
        Some(active) => Ok(Some((id, active))),
    }
}

fn seat_clash_message(clashes: &[SeatClash]) -> String {
    if clashes.is_empty() {
        return SEAT_CLASH_MESSAGE.to_string();
    }
    let detail = clashes
        .iter()
        .map(|c| format!("« {} » ({})", c.profession, c.names))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{SEAT_CLASH_MESSAGE} À régler d'abord : {detail}.")
}

/// Checks the form against the database and saves it in `tx`; on success
/// returns the group's id (the caller commits).
async fn check_and_save(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    before: Option<&Group>,
    form: &GroupForm,
) -> AppResult<Result<i64, Refusal>> {
    let mut r = Refusal::default();
    if let Some(b) = before
        && form.version() != Some(b.version)
    {
        r.stale = true;
    }
    let parsed = form.parse(&mut r.errors, user.scope() == Scope::Network);
    let district = match &parsed {
        Some(p) => {
            resolve_district(
                conn,
                user,
                p.district_id,
                before.map(|b| b.district_id),
                &mut r.errors,
            )
            .await?
        }
        None => None,
    };
    let (Some(p), Some((district_id, district_active))) = (parsed, district) else {
        return Ok(Err(r));
    };
    if r.stale {
        return Ok(Err(r));
    }
    let draft = GroupDraft {
        district_id,
        name: p.name,
        kind: p.kind,
        meeting_day: p.meeting_day,
        meeting_time: p.meeting_time,
        active: p.active,
    };
    if draft.active && !district_active {
        r.errors.add(
            "active",
            "Le district de ce groupe est désactivé : le groupe ne peut pas être actif.",
        );
    }
    if let Some(b) = before {
        if draft.district_id != b.district_id && groups::member_count(conn, b.id).await? > 0 {
            r.errors.add(
                "district_id",
                "Ce groupe a des membres : il ne peut pas changer de district.",
            );
        }
        if b.active && !draft.active && b.active_members > 0 {
            r.errors.add(
                "active",
                format!(
                    "Ce groupe compte encore {} : il ne peut pas être désactivé.",
                    count_of(b.active_members, "membre actif", "membres actifs")
                ),
            );
        }
        if b.kind == GroupKind::B && draft.kind == GroupKind::A {
            let clashes = groups::seat_clashes(conn, b.id).await?;
            if !clashes.is_empty() {
                r.errors.add("kind", seat_clash_message(&clashes));
            }
        }
    }
    if !r.errors.is_empty() {
        return Ok(Err(r));
    }
    let actor = Some(user.0.id);
    let saved = match before {
        None => groups::create(conn, actor, &draft).await,
        Some(b) => groups::update(conn, actor, b, &draft).await.map(|()| b.id),
    };
    match saved {
        Ok(id) => Ok(Ok(id)),
        Err(GroupError::DuplicateName) => {
            r.errors
                .add("name", "Un groupe de ce district porte déjà ce nom.");
            Ok(Err(r))
        }
        Err(GroupError::SeatClash) => {
            r.errors.add("kind", SEAT_CLASH_MESSAGE);
            Ok(Err(r))
        }
        Err(GroupError::UnknownDistrict) => {
            r.errors.add("district_id", "Ce district n'existe pas.");
            Ok(Err(r))
        }
        Err(GroupError::Stale) => {
            r.stale = true;
            Ok(Err(r))
        }
        Err(GroupError::Db(e)) => Err(e.into()),
    }
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    target: Target<'_>,
    form: GroupForm,
    r: Refusal,
) -> AppResult<Response> {
    let status = r.status();
    let alert = r.stale.then(|| STALE_MESSAGE.to_string());
    let page = form_page(state, user, target, form, r.errors, alert).await?;
    Ok((status, page).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<GroupForm>,
) -> AppResult<Response> {
    user.require(EDITORS)?;
    let mut tx = state.pool.begin().await?;
    match check_and_save(&mut tx, &user, None, &form).await? {
        Ok(id) => {
            tx.commit().await?;
            tracing::info!(group_id = id, "groupe créé");
            Ok(Redirect::to(&format!("/groupes/{id}?fait=cree")).into_response())
        }
        Err(r) => {
            drop(tx);
            refused(&state, &user, Target::New, form, r).await
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<GroupForm>,
) -> AppResult<Response> {
    user.require(EDITORS)?;
    let id = parse_id(&raw)?;
    let mut tx = state.pool.begin().await?;
    let before = groups::find_for_update(&mut tx, id, within(&user)?)
        .await?
        .ok_or(AppError::NotFound)?;
    match check_and_save(&mut tx, &user, Some(&before), &form).await? {
        Ok(_) => {
            tx.commit().await?;
            tracing::info!(group_id = id, "groupe modifié");
            Ok(Redirect::to(&format!("/groupes/{id}?fait=modifie")).into_response())
        }
        Err(r) if r.stale => {
            drop(tx);
            // Their version was read (locked) above: show it, keep what
            // was typed, and let a second save go on top of it.
            let alert = format!(
                "Quelqu'un d'autre a enregistré ce groupe pendant que vous le modifiiez : \
                 il s'appelle maintenant « {} » ({}, réunion : {}). Rien de votre saisie n'a \
                 été enregistré ; elle est conservée ci-dessous. Enregistrez de nouveau pour \
                 l'appliquer par-dessus cette version.",
                before.name,
                before.kind.label(),
                before.meeting()
            );
            let form = GroupForm {
                version: before.version.to_string(),
                ..form
            };
            let status = r.status();
            let page = form_page(
                &state,
                &user,
                Target::Existing(&before),
                form,
                r.errors,
                Some(alert),
            )
            .await?;
            Ok((status, page).into_response())
        }
        Err(r) => {
            drop(tx);
            refused(&state, &user, Target::Existing(&before), form, r).await
        }
    }
}

pub async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<ActivationForm>,
) -> AppResult<Response> {
    user.require(EDITORS)?;
    let id = parse_id(&raw)?;
    let mut tx = state.pool.begin().await?;
    let before = groups::find_for_update(&mut tx, id, within(&user)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let active = form.target(before.active);
    if active == before.active {
        return Ok(Redirect::to(&format!("/groupes/{id}")).into_response());
    }
    let refusal = if active {
        match groups::lock_district(&mut tx, before.district_id).await? {
            Some(true) => None,
            _ => Some(
                "Le district de ce groupe est désactivé : réactivez d'abord le district."
                    .to_string(),
            ),
        }
    } else if before.active_members > 0 {
        Some(format!(
            "Ce groupe compte encore {} : il ne peut pas être désactivé. Changez d'abord \
             ces membres de groupe ou enregistrez leur départ.",
            count_of(before.active_members, "membre actif", "membres actifs")
        ))
    } else {
        None
    };
    if let Some(message) = refusal {
        drop(tx);
        let page = group_page(&state, &user, before, None, Some(message)).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    if !active && !form.confirmed() {
        drop(tx);
        let name = &before.name;
        let page = crate::web::confirm::ConfirmPage::new(
            Layout::new(format!("Désactiver {name}"), &user.0, NAV),
            format!("Désactiver le groupe {name} ?"),
            format!("/groupes/{id}/activation"),
            "Oui, désactiver le groupe",
            format!("/groupes/{id}"),
        )
        .says(format!(
            "Le groupe {name} ne sera plus proposé pour les membres ni pour les \
             nouveaux sièges. Son historique reste consultable, et il peut être réactivé \
             plus tard."
        ))
        .keeps("active", "non");
        return Ok(page.into_response());
    }
    groups::set_active(&mut tx, Some(user.0.id), &before, active)
        .await
        .map_err(|e| match e {
            GroupError::Db(e) => AppError::Db(e),
            other => AppError::Internal(anyhow::anyhow!(other)),
        })?;
    tx.commit().await?;
    let done = if active { "active" } else { "desactive" };
    Ok(Redirect::to(&format!("/groupes/{id}?fait={done}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> GroupForm {
        GroupForm {
            district_id: "3".into(),
            name: "  Les Bâtisseurs ".into(),
            kind: "A".into(),
            meeting_day: "2".into(),
            meeting_time: "07:00".into(),
            active: Some("on".into()),
            version: "1".into(),
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let mut e = FieldErrors::new();
        let p = form().parse(&mut e, true).unwrap();
        assert!(e.is_empty());
        assert_eq!(p.name, "Les Bâtisseurs");
        assert_eq!(p.district_id, Some(3));
        assert_eq!(p.kind, GroupKind::A);
        assert_eq!(p.meeting_day, 2);
        assert_eq!(p.meeting_time, NaiveTime::from_hms_opt(7, 0, 0));
        assert!(p.active);
    }

    #[test]
    fn each_faulty_field_gets_its_message() {
        let mut f = form();
        f.name = " ".into();
        f.kind = "C".into();
        f.meeting_day = "8".into();
        f.meeting_time = "25:99".into();
        f.district_id = "abc".into();
        let mut e = FieldErrors::new();
        assert!(f.parse(&mut e, true).is_none());
        assert_eq!(e.get("name"), Some("Le nom du groupe est obligatoire."));
        assert!(e.get("kind").is_some());
        assert!(e.get("meeting_day").is_some());
        assert!(e.get("meeting_time").unwrap().contains("25:99"));
        assert!(e.get("district_id").is_some());
        // A fixed district is not read from the form.
        let mut e = FieldErrors::new();
        let mut f = form();
        f.district_id = "abc".into();
        assert_eq!(f.parse(&mut e, false).unwrap().district_id, None);
    }

    #[test]
    fn times_in_several_shapes() {
        let t = |h, m| Ok(NaiveTime::from_hms_opt(h, m, 0));
        assert_eq!(parse_time("07:00"), t(7, 0));
        assert_eq!(parse_time("7 h 30"), t(7, 30));
        assert_eq!(parse_time("18h"), t(18, 0));
        assert_eq!(parse_time("12:15:00"), t(12, 15));
        assert_eq!(parse_time(""), Ok(None));
        for bad in ["25:00", "midi", "7:60", "-1:00", "7:00 pm"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn activation_follows_the_button_or_toggles() {
        let f = |s: &str| ActivationForm {
            active: s.into(),
            confirme: String::new(),
        };
        assert!(f("oui").target(true));
        assert!(!f("non").target(true));
        assert!(f("").target(false));
        assert!(!f("").target(true));
    }
}
