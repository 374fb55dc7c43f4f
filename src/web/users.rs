//! Users (SPEC §1): the direction creates, edits, deactivates and
//! reactivates accounts and hands out one-time links to choose a password;
//! a district manager reads the people of their district.
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::format::date_fr;
use crate::domain::scope::Scope;
use crate::domain::user::{Role, UserDraft, UserForm};
use crate::domain::validation::FieldErrors;
use crate::store::audit;
use crate::store::deactivation::{self, DeactivateError, Outcome};
use crate::store::members::{self, Choice};
use crate::store::password_links;
use crate::store::portfolios::MoveError;
use crate::store::users::{
    self, CreateUserError, NO_PASSWORD, NewUser, UpdateUserError, UserFilter, UserLine,
};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, encode_component};
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::groups::parse_id;
use crate::web::layout::Layout;
use crate::web::members::{Conflict, ConflictLine, Pager, local_time};

pub const PAGE_SIZE: i64 = 50;
/// Who reads the list: direction (everyone), managers (their district).
const READERS: [Role; 2] = [Role::DistrictManager, Role::Direction];
/// Who changes accounts.
const ADMINS: [Role; 1] = [Role::Direction];
const NAV: &str = "/utilisateurs";

/// The district a reader is limited to (`None`: the whole network).
fn within(user: &CurrentUser) -> AppResult<Option<i64>> {
    user.require(&READERS)?;
    match user.0.role {
        Role::Direction => Ok(None),
        _ => user.scope().district().map(Some).ok_or(AppError::Forbidden),
    }
}

/// The list's filters as typed (kept to refill the form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserQuery {
    pub role: String,
    pub district: String,
    pub actif: String,
    pub q: String,
    pub page: String,
    pub format: Option<String>,
    pub fait: String,
    pub membres: String,
    /// After a deactivation: who received the members.
    pub vers: String,
    /// The account the action was about (named in its message).
    pub compte: String,
}

impl UserQuery {
    fn filter(&self) -> UserFilter {
        UserFilter {
            role: Role::parse(self.role.trim()),
            district_id: self.district.trim().parse().ok(),
            active: match self.actif.trim() {
                "oui" => Some(true),
                "non" => Some(false),
                _ => None,
            },
            text: self.q.trim().chars().take(100).collect(),
        }
    }

    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 100_000)
    }

    fn href(&self, base: &str, page: Option<i64>) -> String {
        let pairs = [
            ("role", &self.role),
            ("district", &self.district),
            ("actif", &self.actif),
            ("q", &self.q),
        ];
        let mut parts: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v.trim())))
            .collect();
        if let Some(p) = page.filter(|p| *p > 1) {
            parts.push(format!("page={p}"));
        }
        if parts.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }

    /// The notice after an action; `to` is who received the members of a
    /// deactivated person (`None`: they became orphans).
    /// `who` is the person the action was about.
    fn notice(&self, to: Option<&str>, who: Option<&str>) -> Option<String> {
        let moved: u64 = self.membres.trim().parse().unwrap_or(0);
        let account = who.map_or("Le compte".to_string(), |w| crate::fr!("Le compte de {w}"));
        match self.fait.as_str() {
            "modifie" => Some(match who {
                Some(w) => crate::fr!("Les changements du compte de {w} ont été enregistrés."),
                None => "Les changements ont été enregistrés.".into(),
            }),
            "reactive" => Some(format!(
                "{account} est réactivé : la personne peut se connecter avec son mot de passe \
                 (ou demandez-lui d'en choisir un nouveau avec un lien)."
            )),
            "desactive" => {
                let closed = format!("{account} est désactivé et ses sessions sont fermées.");
                let portfolios = "depuis la page «\u{a0}Portefeuilles\u{a0}»";
                Some(match (moved, to) {
                    (0, _) => closed,
                    (1, Some(name)) => format!("{closed} Son membre est confié à {name}."),
                    (n, Some(name)) => format!(
                        "{closed} Ses {n} membres (anciens membres compris) sont confiés à {name}."
                    ),
                    (1, None) => format!(
                        "{closed} Son membre est désormais orphelin : confiez-le {portfolios}."
                    ),
                    (n, None) => format!(
                        "{closed} Ses {n} membres (anciens membres compris) sont désormais \
                         orphelins : confiez-les {portfolios}."
                    ),
                })
            }
            _ => None,
        }
    }
}

/// A line of the list, ready to show.
pub struct UserRowView {
    pub u: UserLine,
    pub role_label: &'static str,
    pub last_login: String,
    pub is_representative: bool,
}

fn local_login(at: Option<DateTime<Utc>>, tz: chrono_tz::Tz) -> String {
    match at {
        Some(at) => {
            let local = at.with_timezone(&tz);
            format!(
                "{} à {}",
                date_fr(local.date_naive()),
                local.format("%-H h %M")
            )
        }
        None => "jamais".into(),
    }
}

fn view(u: UserLine, tz: chrono_tz::Tz) -> UserRowView {
    let role = u.role();
    UserRowView {
        role_label: role.map(Role::label).unwrap_or(""),
        last_login: local_login(u.last_login_at, tz),
        is_representative: role == Some(Role::Representative),
        u,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "users/list.html")]
pub struct ListPage {
    layout: Layout,
    q: UserQuery,
    lines: Vec<UserRowView>,
    total: i64,
    pager: Pager,
    csv_href: String,
    csv_comma_href: String,
    can_admin: bool,
    districts: Vec<Choice>,
    roles: [Role; 4],
    notice: Option<String>,
    /// The reader's own id (nobody deactivates their own account).
    me: i64,
}

impl ListPage {
    fn selected(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<UserQuery>,
) -> AppResult<ListPage> {
    let district = within(&user)?;
    let page = q.page();
    let (rows, total) = users::list(
        &state.pool,
        district,
        &q.filter(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let tz = state.config.time_zone;
    let receiver = match q.vers.trim().parse::<i64>() {
        Ok(id) if q.fait == "desactive" => users::find_line(&state.pool, district, id)
            .await?
            .map(|u| u.display_name),
        _ => None,
    };
    let who = match q.compte.trim().parse::<i64>() {
        Ok(id) if !q.fait.is_empty() => users::find_line(&state.pool, district, id)
            .await?
            .map(|u| u.display_name),
        _ => None,
    };
    Ok(ListPage {
        layout: Layout::new("Utilisateurs", &user.0, NAV),
        lines: rows.into_iter().map(|u| view(u, tz)).collect(),
        total,
        pager: Pager {
            page,
            pages,
            more: false,
            prev_href: (page > 1).then(|| q.href(NAV, Some(page - 1))),
            next_href: (page < pages).then(|| q.href(NAV, Some(page + 1))),
        },
        csv_href: q.href("/utilisateurs/export.csv", None),
        csv_comma_href: csv::comma_href(&q.href("/utilisateurs/export.csv", None)),
        can_admin: ADMINS.contains(&user.0.role),
        districts: if district.is_none() {
            members::district_choices(&state.pool, Scope::Network).await?
        } else {
            Vec::new()
        },
        roles: Role::ALL,
        notice: q.notice(receiver.as_deref(), who.as_deref()),
        me: user.0.id,
        q,
    })
}

/// The filtered list as CSV (the shared encoder, both dialects).
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<UserQuery>,
) -> AppResult<Response> {
    let district = within(&user)?;
    let header = [
        "Nom",
        "Courriel",
        "Rôle",
        "District",
        "Actif",
        "Dernière connexion",
        "Membres en portefeuille",
    ];
    let mut out = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    let tz = state.config.time_zone;
    let filter = q.filter();
    // Page by page: the export never holds more than one page of rows.
    let mut offset = 0;
    loop {
        let (rows, _) = users::list(&state.pool, district, &filter, 1000, offset).await?;
        let n = rows.len() as i64;
        for u in rows {
            let last = u
                .last_login_at
                .map(|at| at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string());
            out.row([
                Cell::from(&u.display_name),
                Cell::from(&u.email),
                Cell::from(u.role().map(Role::label).unwrap_or("")),
                Cell::from(u.district_name.as_ref()),
                Cell::from(if u.active { "oui" } else { "non" }),
                Cell::from(last),
                Cell::Int(u.members),
            ])?;
        }
        if n < 1000 {
            break;
        }
        offset += n;
    }
    out.into_response("utilisateurs")
}

// ---------------------------------------------------------------- forms

#[derive(Template, WebTemplate)]
#[template(path = "users/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    /// `None` when creating.
    editing: Option<UserLine>,
    f: UserForm,
    errors: FieldErrors,
    /// Someone else saved first: their version next to what was typed.
    conflict: Option<Conflict>,
    alert: Option<String>,
    districts: Vec<Choice>,
    roles: [Role; 4],
    is_self: bool,
}

impl FormPage {
    fn is(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    editing: Option<UserLine>,
    f: UserForm,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let (heading, action) = match &editing {
        Some(u) => (
            format!("Modifier {}", u.display_name),
            format!("/utilisateurs/{}/modifier", u.id),
        ),
        None => (
            "Nouvelle personne".to_string(),
            "/utilisateurs/nouveau".to_string(),
        ),
    };
    Ok(FormPage {
        layout: Layout::new(heading.clone(), &user.0, NAV),
        heading,
        action,
        is_self: editing.as_ref().is_some_and(|u| u.id == user.0.id),
        editing,
        f,
        errors,
        conflict: None,
        alert: None,
        districts: members::district_choices(&state.pool, Scope::Network).await?,
        roles: Role::ALL,
    })
}

fn refused(page: FormPage, status: StatusCode) -> Response {
    (status, page).into_response()
}

pub async fn new_form(State(state): State<AppState>, user: CurrentUser) -> AppResult<FormPage> {
    user.require(&ADMINS)?;
    let f = UserForm {
        role: Role::Representative.as_str().into(),
        ..UserForm::default()
    };
    form_page(&state, &user, None, f, FieldErrors::new()).await
}

/// The page showing a fresh set-password link, to pass on to its owner.
#[derive(Template, WebTemplate)]
#[template(path = "users/link.html")]
pub struct LinkPage {
    layout: Layout,
    heading: String,
    name: String,
    email: String,
    link: String,
    expires: String,
    created: bool,
}

/// The link as an absolute address when the request says which host it
/// reached (the direction copies it into a message).
fn link_address(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let path = format!("/mot-de-passe/{token}");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    match host {
        Some(host) => {
            let scheme = if state.config.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}{path}")
        }
        None => path,
    }
}

fn expiry(state: &AppState, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&state.config.time_zone);
    format!(
        "{} à {}",
        date_fr(local.date_naive()),
        local.format("%-H h %M")
    )
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    user.require(&ADMINS)?;
    let draft = match f.parse(true) {
        Ok(d) => d,
        Err(errors) => {
            let page = form_page(&state, &user, None, f, errors).await?;
            return Ok(refused(page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let UserDraft {
        email: Some(email),
        display_name,
        role,
        district_id,
    } = draft
    else {
        return Err(AppError::BadRequest("Le courriel manque.".into()));
    };
    let mut tx = state.pool.begin().await?;
    let mut errors = FieldErrors::new();
    if let Some(d) = district_id
        && !users::district_is_active(&mut tx, d).await?
    {
        errors.add(
            "district_id",
            "Choisissez un district actif parmi ceux proposés.",
        );
    }
    if errors.is_empty() {
        let new = NewUser {
            email: email.clone(),
            display_name: display_name.clone(),
            role,
            district_id,
            password_hash: NO_PASSWORD.into(),
        };
        match users::create(&mut tx, Some(user.0.id), &new).await {
            Ok(id) => {
                let (token, expires_at) =
                    password_links::issue(&mut tx, Some(user.0.id), id).await?;
                tx.commit().await?;
                tracing::info!(user_id = id, by = user.0.id, "compte créé");
                return Ok(LinkPage {
                    layout: Layout::new("Compte créé", &user.0, NAV),
                    heading: format!("Compte créé pour {display_name}"),
                    name: display_name,
                    email: email.as_str().to_string(),
                    link: link_address(&state, &headers, &token),
                    expires: expiry(&state, expires_at),
                    created: true,
                }
                .into_response());
            }
            Err(CreateUserError::DuplicateEmail) => errors.add(
                "email",
                "Un compte existe déjà avec ce courriel : retrouvez-le dans la liste.",
            ),
            Err(CreateUserError::MissingDistrict) => {
                errors.add("district_id", "Ce rôle demande un district.")
            }
            Err(CreateUserError::Db(e)) => return Err(e.into()),
        }
    }
    drop(tx);
    let page = form_page(&state, &user, None, f, errors).await?;
    Ok(refused(page, StatusCode::UNPROCESSABLE_ENTITY))
}

async fn find(state: &AppState, raw_id: &str) -> AppResult<UserLine> {
    let id = parse_id(raw_id)?;
    users::find_line(&state.pool, None, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The fields where the saved account and the typed one differ, in words.
fn conflict_lines(theirs: &UserForm, yours: &UserForm, districts: &[Choice]) -> Vec<ConflictLine> {
    let role = |r: &str| {
        Role::parse(r.trim()).map_or_else(|| r.trim().to_string(), |r| r.label().to_string())
    };
    let district = |d: &str| {
        districts
            .iter()
            .find(|c| c.id.to_string() == d.trim())
            .map_or_else(|| "aucun".to_string(), |c| c.name.clone())
    };
    [
        (
            "Nom affiché",
            theirs.display_name.trim().to_string(),
            yours.display_name.trim().to_string(),
        ),
        ("Rôle", role(&theirs.role), role(&yours.role)),
        (
            "District",
            district(&theirs.district_id),
            district(&yours.district_id),
        ),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(label, theirs, yours)| ConflictLine {
        label,
        theirs,
        yours,
    })
    .collect()
}

fn form_of(u: &UserLine) -> UserForm {
    UserForm {
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: u.role.clone(),
        district_id: u.district_id.map(|d| d.to_string()).unwrap_or_default(),
        version: u.version.to_string(),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<FormPage> {
    user.require(&ADMINS)?;
    let u = find(&state, &id).await?;
    let f = form_of(&u);
    form_page(&state, &user, Some(u), f, FieldErrors::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(mut f): Form<UserForm>,
) -> AppResult<Response> {
    user.require(&ADMINS)?;
    let u = find(&state, &id).await?;
    f.email = u.email.clone();
    let (errors, stale) = match (f.parse(false), f.version()) {
        (Ok(draft), Some(version)) => {
            let mut tx = state.pool.begin().await?;
            match users::update(&mut tx, user.0.id, u.id, version, &draft).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!(
                        "/utilisateurs?fait=modifie&compte={}",
                        u.id
                    ))
                    .into_response());
                }
                Err(UpdateUserError::Invalid(e)) => (e, false),
                Err(UpdateUserError::Stale) => (FieldErrors::new(), true),
                Err(UpdateUserError::NotFound) => return Err(AppError::NotFound),
                Err(UpdateUserError::Db(e)) => return Err(e.into()),
            }
        }
        (Ok(_), None) => {
            return Err(AppError::BadRequest(
                "Le formulaire ne dit pas quelle version du compte il modifie.".into(),
            ));
        }
        (Err(e), _) => (e, false),
    };
    if stale {
        // Their version, read now; the typed values stay in the form, which
        // now carries their version so that saving again goes on top of it.
        let current = find(&state, &id).await?;
        let theirs = form_of(&current);
        let districts = members::district_choices(&state.pool, Scope::Network).await?;
        let last = audit::last_change(&state.pool, "user", current.id).await?;
        let conflict = Conflict {
            by: last
                .as_ref()
                .and_then(|(by, _)| by.clone())
                .unwrap_or_else(|| "Quelqu'un d'autre".into()),
            at: last
                .map(|(_, at)| local_time(at, state.config.time_zone))
                .unwrap_or_default(),
            lines: conflict_lines(&theirs, &f, &districts),
        };
        let f = UserForm {
            version: current.version.to_string(),
            ..f
        };
        let mut page = form_page(&state, &user, Some(current), f, errors).await?;
        page.conflict = Some(conflict);
        return Ok(refused(page, StatusCode::CONFLICT));
    }
    let page = form_page(&state, &user, Some(u), f, errors).await?;
    Ok(refused(page, StatusCode::UNPROCESSABLE_ENTITY))
}

// ------------------------------------------------------- (de)activation

#[derive(Template, WebTemplate)]
#[template(path = "users/deactivate.html")]
pub struct DeactivatePage {
    layout: Layout,
    u: UserLine,
    role_label: &'static str,
    representatives: Vec<Choice>,
    chosen: String,
    alert: Option<String>,
    is_self: bool,
    /// What the page says will happen depends on the person's role.
    is_representative: bool,
    is_manager: bool,
    is_direction: bool,
}

async fn deactivate_page(
    state: &AppState,
    user: &CurrentUser,
    u: UserLine,
    chosen: String,
    alert: Option<String>,
) -> AppResult<DeactivatePage> {
    let representatives = match u.district_id {
        Some(d) => members::representative_choices(&state.pool, Scope::District(d))
            .await?
            .into_iter()
            .filter(|c| c.id != u.id)
            .collect(),
        None => Vec::new(),
    };
    Ok(DeactivatePage {
        layout: Layout::new(format!("Désactiver {}", u.display_name), &user.0, NAV),
        role_label: u.role().map(Role::label).unwrap_or(""),
        is_self: u.id == user.0.id,
        is_representative: u.role() == Some(Role::Representative),
        is_manager: u.role() == Some(Role::DistrictManager),
        is_direction: u.role() == Some(Role::Direction),
        representatives,
        chosen,
        alert,
        u,
    })
}

pub async fn deactivate_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    user.require(&ADMINS)?;
    let u = find(&state, &id).await?;
    if !u.active {
        return Ok(Redirect::to(&format!("/utilisateurs/{}/modifier", u.id)).into_response());
    }
    Ok(deactivate_page(&state, &user, u, String::new(), None)
        .await?
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeactivateForm {
    /// A representative's id, or empty for orphans.
    representative_id: String,
    /// `oui` from the deactivation page, which says what will happen.
    confirme: String,
}

pub async fn deactivate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<DeactivateForm>,
) -> AppResult<Response> {
    user.require(&ADMINS)?;
    let u = find(&state, &id).await?;
    if !crate::web::confirm::confirmed(&f.confirme) {
        // Not from the page that says what happens: show it first.
        let page = deactivate_page(&state, &user, u, f.representative_id.clone(), None);
        return Ok(page.await?.into_response());
    }
    let target = match f.representative_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let alert = MoveError::UnknownRepresentative.to_string();
                let page = deactivate_page(&state, &user, u, f.representative_id, Some(alert));
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page.await?).into_response());
            }
        },
    };
    let mut tx = state.pool.begin().await?;
    let result = deactivation::deactivate(&mut tx, user.0.id, u.id, target, state.today()).await;
    let alert = match result {
        Ok(Outcome { members, .. }) => {
            tx.commit().await?;
            tracing::info!(user_id = u.id, by = user.0.id, members, "compte désactivé");
            let to = target.map(|t| format!("&vers={t}")).unwrap_or_default();
            return Ok(Redirect::to(&format!(
                "/utilisateurs?fait=desactive&membres={members}{to}&compte={}",
                u.id
            ))
            .into_response());
        }
        Err(DeactivateError::NotFound) => return Err(AppError::NotFound),
        Err(DeactivateError::Db(e) | DeactivateError::Move(MoveError::Db(e))) => {
            return Err(e.into());
        }
        Err(e) => e.to_string(),
    };
    drop(tx);
    let page = deactivate_page(&state, &user, u, f.representative_id, Some(alert)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn reactivate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    user.require(&ADMINS)?;
    let u = find(&state, &id).await?;
    if !u.active {
        let mut tx = state.pool.begin().await?;
        users::set_active(&mut tx, Some(user.0.id), u.id, true).await?;
        tx.commit().await?;
    }
    Ok(Redirect::to(&format!("/utilisateurs?fait=reactive&compte={}", u.id)).into_response())
}

/// A new one-time link: the old password stops working and every session
/// of that person ends.
pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    user.require(&ADMINS)?;
    let u = find(&state, &id).await?;
    if !u.active {
        let f = form_of(&u);
        let mut page = form_page(&state, &user, Some(u), f, FieldErrors::new()).await?;
        page.alert = Some(
            "Ce compte est désactivé : réactivez-le avant de lui donner un lien pour choisir \
             un mot de passe."
                .into(),
        );
        return Ok(refused(page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let mut tx = state.pool.begin().await?;
    users::set_password(
        &mut tx,
        Some(user.0.id),
        u.id,
        NO_PASSWORD,
        None,
        "réinitialisé (nouveau lien)",
    )
    .await?;
    let (token, expires_at) = password_links::issue(&mut tx, Some(user.0.id), u.id).await?;
    tx.commit().await?;
    tracing::info!(user_id = u.id, by = user.0.id, "mot de passe réinitialisé");
    Ok(LinkPage {
        layout: Layout::new("Nouveau lien", &user.0, NAV),
        heading: format!("Nouveau lien pour {}", u.display_name),
        name: u.display_name,
        email: u.email,
        link: link_address(&state, &headers, &token),
        expires: expiry(&state, expires_at),
        created: false,
    }
    .into_response())
}
