//! Escalations: raising one from the member file, the queue (with the
//! median response time per receiver for direction), one escalation with
//! its chain, and the receiver's moves. Each write is one transaction.

use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveTime, Utc};
use serde::Deserialize;

use crate::domain::escalation::{
    self as rules, Action, EscalationForm, Level, duration_fr, is_overdue,
};
use crate::domain::format::date_fr;
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::escalations::{
    self as store, ActError, Actor, EscalationRow, QueueFilter, QueueView, RaiseError, StatusFilter,
};
use crate::store::members::{self, Choice};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, encode_component};
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::members::Pager;
use crate::web::reasons::{
    ACTORS, EscalationLine, Refused, escalation_line, local_time, refused_page, status_class,
};

pub const PAGE_SIZE: i64 = 50;
const EXPORT_PATH: &str = "/escalades/export.csv";
/// The window of the response-time table, in days.
pub const RESPONSE_WINDOW_DAYS: u64 = 90;

/// `POST /membres/{id}/escalades`.
pub async fn raise(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<EscalationForm>,
) -> AppResult<Response> {
    user.require(&ACTORS)?;
    let scope = user.scope();
    let member = members::find(&state.pool, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = match form.parse() {
        Ok(d) => d,
        Err(errors) => {
            return refused_page(&state, &user, &member, Refused::Escalation(form, errors)).await;
        }
    };
    let mut tx = state.pool.begin().await?;
    match store::raise(&mut tx, scope, user.0.id, id, &draft, state.today()).await {
        Ok(_) => {}
        Err(RaiseError::NotFound) => return Err(AppError::NotFound),
        Err(RaiseError::Db(e)) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/membres/{id}?escalade=1#escalades")).into_response())
}

/// The queue's filters as typed in the query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub niveau: String,
    pub statut: String,
    pub district: String,
    pub page: String,
    /// `virgule` for the comma-separated CSV.
    pub format: Option<String>,
}

/// Status filter choices: (value, label). The empty value is the default.
const STATUSES: [(&str, &str); 7] = [
    ("", "À traiter (ouvertes et prises en charge)"),
    ("open", "Ouvertes"),
    ("acknowledged", "Prises en charge"),
    ("overdue", "En retard"),
    ("resolved", "Résolues"),
    ("escalated", "Escaladées au niveau supérieur"),
    ("all", "Toutes"),
];

impl QueueQuery {
    fn status(&self) -> StatusFilter {
        match self.statut.trim() {
            "open" => StatusFilter::Open,
            "acknowledged" => StatusFilter::Acknowledged,
            "overdue" => StatusFilter::Overdue,
            "resolved" => StatusFilter::Resolved,
            "escalated" => StatusFilter::Escalated,
            "all" => StatusFilter::All,
            _ => StatusFilter::Pending,
        }
    }

    /// The filters as the view reads them: level and district are
    /// direction's.
    fn filter(&self, view: QueueView) -> QueueFilter {
        let is_direction = view == QueueView::Network;
        QueueFilter {
            level: is_direction
                .then(|| Level::parse(self.niveau.trim()))
                .flatten(),
            status: self.status(),
            district_id: is_direction
                .then(|| self.district.trim().parse::<i64>().ok())
                .flatten(),
        }
    }

    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 100_000)
    }

    fn href(&self, page: i64) -> String {
        self.href_at("/escalades", page)
    }

    /// `path` with these filters (and the page number past the first).
    fn href_at(&self, path: &str, page: i64) -> String {
        let mut parts: Vec<String> = [
            ("niveau", &self.niveau),
            ("statut", &self.statut),
            ("district", &self.district),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v.trim())))
        .collect();
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            path.into()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }
}

/// A line of « Délai de réponse médian par personne ».
pub struct ResponseLine {
    pub name: String,
    pub count: i64,
    pub median: String,
    pub late: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "escalations/queue.html")]
pub struct QueuePage {
    layout: Layout,
    intro: &'static str,
    q: QueueQuery,
    lines: Vec<EscalationLine>,
    total: i64,
    pager: Pager,
    statuses: [(&'static str, &'static str); 7],
    levels: [Level; 3],
    /// Direction filters by level and district and sees the response times.
    is_direction: bool,
    districts: Vec<Choice>,
    responses: Vec<ResponseLine>,
    responses_since: String,
    csv_href: String,
    csv_comma_href: String,
}

impl QueuePage {
    fn selected(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }
}

/// `GET /escalades`.
pub async fn queue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QueueQuery>,
) -> AppResult<QueuePage> {
    let (view, intro, q) = queue_view(&user, q)?;
    let is_direction = view == QueueView::Network;
    let filter = q.filter(view);
    let today = state.today();
    let tz = state.config.time_zone;
    let page = q.page();
    let (rows, total) = store::queue(
        &state.pool,
        view,
        &filter,
        today,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let since_day = today - Days::new(RESPONSE_WINDOW_DAYS);
    let (districts, responses) = if is_direction {
        let since = since_day
            .and_time(NaiveTime::MIN)
            .and_local_timezone(tz)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        (
            members::district_choices(&state.pool, Scope::Network).await?,
            response_lines(store::first_responses(&state.pool, since, tz.name()).await?),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(QueuePage {
        layout: Layout::new("Escalades", &user.0, "/escalades"),
        intro,
        lines: rows.iter().map(|r| escalation_line(r, today, tz)).collect(),
        total,
        pager: Pager {
            page,
            pages,
            more: false,
            prev_href: (page > 1).then(|| q.href(page - 1)),
            next_href: (page < pages).then(|| q.href(page + 1)),
        },
        statuses: STATUSES,
        levels: Level::ALL,
        is_direction,
        districts,
        responses,
        responses_since: date_fr(since_day),
        csv_href: q.href_at(EXPORT_PATH, 1),
        csv_comma_href: csv::comma_href(&q.href_at(EXPORT_PATH, 1)),
        q,
    })
}

/// Whose queue the user sees, the page's introduction, and the filters
/// as that view reads them (a representative sees all of theirs unless
/// they chose a status).
fn queue_view(
    user: &CurrentUser,
    mut q: QueueQuery,
) -> AppResult<(QueueView, &'static str, QueueQuery)> {
    user.require(&ACTORS)?;
    let scope = user.scope();
    let (view, intro) = match (user.0.role, scope) {
        (Role::Direction, _) => (
            QueueView::Network,
            "Toutes les escalades du réseau. Les escalades en retard (sans réponse après 7 jours) \
             sont en tête.",
        ),
        (Role::DistrictManager, Scope::District(d)) => (
            QueueView::District(d),
            "Les escalades de niveau district pour les membres de votre district. Répondez \
             dans les 7 jours avec les actions prises.",
        ),
        (Role::Representative, _) => (
            QueueView::RaisedBy {
                user_id: user.0.id,
                scope,
            },
            "Les escalades que vous avez levées, et où elles en sont.",
        ),
        _ => return Err(AppError::Forbidden),
    };
    if matches!(view, QueueView::RaisedBy { .. }) && q.statut.trim().is_empty() {
        q.statut = "all".into();
    }
    Ok((view, intro, q))
}

/// `GET /escalades/export.csv`: the queue with the page's filters, whole,
/// streamed.
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QueueQuery>,
) -> AppResult<Response> {
    let (view, _, q) = queue_view(&user, q)?;
    let filter = q.filter(view);
    let today = state.today();
    let tz = state.config.time_zone;
    let header = [
        "Numéro",
        "Membre",
        "District",
        "Niveau",
        "Levée par",
        "Levée le",
        "Réponse attendue le",
        "Statut",
        "En retard",
        "Raison",
        "Texte",
        "Prise en charge par",
        "Prise en charge le",
        "Résolue par",
        "Résolue le",
        "Résolution",
        "Escalade d'origine",
    ];
    let encoder = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    let query = store::queue_query(view, &filter, today);
    Ok(csv::stream_query(
        state.pool.clone(),
        query,
        encoder,
        "escalades",
        move |r: EscalationRow| {
            let status = r.status();
            let when =
                |at: Option<chrono::DateTime<Utc>>| Cell::from(at.map(|at| csv_time(at, tz)));
            vec![
                Cell::Int(r.id),
                Cell::from(&r.member_name),
                Cell::from(&r.district_name),
                Cell::from(r.level().label()),
                Cell::from(&r.raised_by_name),
                when(Some(r.raised_at)),
                Cell::from(r.due_on.to_string()),
                Cell::from(status.label()),
                Cell::from(if is_overdue(status, r.due_on, today) {
                    "oui"
                } else {
                    "non"
                }),
                Cell::from(r.reason_label),
                Cell::from(r.body),
                Cell::from(r.acknowledged_by_name),
                when(r.acknowledged_at),
                Cell::from(r.resolved_by_name),
                when(r.resolved_at),
                Cell::from(r.resolution),
                Cell::from(r.parent_id.map(Cell::Int)),
            ]
        },
    ))
}

/// « 2026-11-24 14:05 », local time, as a spreadsheet reads it.
pub fn csv_time(at: chrono::DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Per receiver: how many first responses, their median delay, and how
/// many came after the due date.
fn response_lines(rows: Vec<store::FirstResponses>) -> Vec<ResponseLine> {
    rows.into_iter()
        .map(|r| ResponseLine {
            name: r.receiver_name,
            count: r.count,
            median: duration_fr(r.median_seconds),
            late: r.late,
        })
        .collect()
}

/// One escalation of a chain, ready to show.
pub struct EscalationView {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub district: String,
    pub level: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub overdue: bool,
    pub raised_by: String,
    pub raised_at: String,
    pub due_on: String,
    pub reason: Option<String>,
    pub body: String,
    pub acknowledged: Option<(String, String)>,
    pub resolved: Option<(String, String)>,
    pub resolution: Option<String>,
    pub parent_id: Option<i64>,
}

fn view(r: &EscalationRow, today: chrono::NaiveDate, tz: chrono_tz::Tz) -> EscalationView {
    let status = r.status();
    let who_when = |who: &Option<String>, at: Option<chrono::DateTime<Utc>>| {
        at.map(|at| (who.clone().unwrap_or_default(), local_time(at, tz)))
    };
    EscalationView {
        id: r.id,
        member_id: r.member_id,
        member_name: r.member_name.clone(),
        district: r.district_name.clone(),
        level: r.level().label(),
        status: status.label(),
        status_class: status_class(status),
        overdue: is_overdue(status, r.due_on, today),
        raised_by: r.raised_by_name.clone(),
        raised_at: local_time(r.raised_at, tz),
        due_on: date_fr(r.due_on),
        reason: r.reason_label.clone(),
        body: r.body.clone(),
        acknowledged: who_when(&r.acknowledged_by_name, r.acknowledged_at),
        resolved: who_when(&r.resolved_by_name, r.resolved_at),
        resolution: r.resolution.clone(),
        parent_id: r.parent_id,
    }
}

pub struct JournalLine {
    pub at: String,
    pub who: String,
    pub escalation_id: i64,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

/// The receiver's forms as typed, and why one was refused.
#[derive(Default)]
pub struct ActionPanel {
    pub error: Option<String>,
    pub resolution: String,
    pub resolution_error: Option<String>,
    pub escalate_body: String,
    pub escalate_error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "escalations/show.html")]
pub struct ShowPage {
    layout: Layout,
    e: EscalationView,
    chain: Vec<EscalationView>,
    /// The user receives this escalation: the actions are theirs.
    can_act: bool,
    can_acknowledge: bool,
    can_resolve: bool,
    next_level: Option<&'static str>,
    panel: ActionPanel,
    journal: Vec<JournalLine>,
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    row: EscalationRow,
    panel: ActionPanel,
) -> AppResult<ShowPage> {
    let today = state.today();
    let tz = state.config.time_zone;
    let level = row.level();
    let status = row.status();
    let can_act = level.received_by(user.0.role, user.0.district_id, row.district_id);
    let allowed = |a| can_act && rules::check(a, level, status).is_ok();
    let chain_rows = store::chain(&state.pool, row.id).await?;
    let ids: Vec<i64> = chain_rows.iter().map(|r| r.id).collect();
    let journal = store::audit_trail(&state.pool, &ids)
        .await?
        .into_iter()
        .map(|a| JournalLine {
            at: local_time(a.at, tz),
            who: a.actor_name.unwrap_or_else(|| "système".into()),
            escalation_id: a.entity_id,
            field: a.field,
            old_value: a.old_value.unwrap_or_default(),
            new_value: a.new_value.unwrap_or_default(),
        })
        .collect();
    Ok(ShowPage {
        layout: Layout::new(
            format!("Escalade · {}", row.member_name),
            &user.0,
            "/escalades",
        ),
        e: view(&row, today, tz),
        chain: chain_rows.iter().map(|r| view(r, today, tz)).collect(),
        can_act,
        can_acknowledge: allowed(Action::Acknowledge),
        can_resolve: allowed(Action::Resolve),
        next_level: allowed(Action::EscalateUp)
            .then(|| level.next().map(Level::label))
            .flatten(),
        panel,
        journal,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    fait: String,
}

/// `GET /escalades/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(sq): Query<ShowQuery>,
) -> AppResult<ShowPage> {
    user.require(&ACTORS)?;
    let row = store::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let panel = ActionPanel {
        notice: match sq.fait.as_str() {
            "prise-en-charge" => Some(crate::fr!(
                "Escalade de {} prise en charge.",
                row.member_name
            )),
            "resolue" => Some(crate::fr!("Escalade de {} résolue.", row.member_name)),
            "escaladee" => Some(crate::fr!(
                "Escalade de {} transmise au niveau supérieur : voici la nouvelle escalade, \
                 liée à la précédente.",
                row.member_name
            )),
            _ => None,
        },
        ..ActionPanel::default()
    };
    show_page(&state, &user, row, panel).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolveForm {
    resolution: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EscalateForm {
    body: String,
}

/// `POST /escalades/{id}/prise-en-charge`.
pub async fn acknowledge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    act(&state, &user, id, Action::Acknowledge, String::new()).await
}

/// `POST /escalades/{id}/resolution`.
pub async fn resolve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> AppResult<Response> {
    act(&state, &user, id, Action::Resolve, form.resolution).await
}

/// `POST /escalades/{id}/escalade`.
pub async fn escalate_up(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<EscalateForm>,
) -> AppResult<Response> {
    act(&state, &user, id, Action::EscalateUp, form.body).await
}

/// The receiver's move: out of scope 404, not the receiver 403, a
/// missing text 422, a move the status forbids 409 — each with the page
/// and a French message; otherwise one transaction and back to the page.
async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    action: Action,
    typed: String,
) -> AppResult<Response> {
    user.require(&ACTORS)?;
    let scope = user.scope();
    let row = store::find(&state.pool, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !row
        .level()
        .received_by(user.0.role, user.0.district_id, row.district_id)
    {
        return Err(AppError::Forbidden);
    }
    let mut panel = ActionPanel::default();
    if let Err(message) = rules::check(action, row.level(), row.status()) {
        panel.error = Some(message.to_string());
        let page = show_page(state, user, row, panel).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let text = match action {
        Action::Acknowledge => Ok(String::new()),
        Action::Resolve => rules::required_text(
            &typed,
            "Décrivez les actions prises pour résoudre cette escalade.",
        )
        .inspect_err(|e| panel.resolution_error = Some(e.clone())),
        Action::EscalateUp => rules::required_text(
            &typed,
            "Expliquez au niveau supérieur ce qui a été fait et ce qui est attendu.",
        )
        .inspect_err(|e| panel.escalate_error = Some(e.clone())),
    };
    match action {
        Action::Resolve => panel.resolution = typed,
        Action::EscalateUp => panel.escalate_body = typed,
        Action::Acknowledge => {}
    }
    let Ok(text) = text else {
        let page = show_page(state, user, row, panel).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let actor = Actor {
        id: user.0.id,
        role: user.0.role,
        district_id: user.0.district_id,
        scope,
    };
    let mut tx = state.pool.begin().await?;
    let result = store::act(&mut tx, actor, id, action, &text, state.today()).await;
    let child = match result {
        Ok(child) => child,
        Err(ActError::NotFound) => return Err(AppError::NotFound),
        Err(ActError::NotReceiver) => return Err(AppError::Forbidden),
        Err(ActError::Db(e)) => return Err(e.into()),
        Err(ActError::Refused(message)) => {
            drop(tx);
            panel.error = Some(message.to_string());
            // Show the escalation as it is now (someone may have acted).
            let row = store::find(&state.pool, scope, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let page = show_page(state, user, row, panel).await?;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
    };
    tx.commit().await?;
    let target = match (action, child) {
        (Action::EscalateUp, Some(child)) => format!("/escalades/{child}?fait=escaladee"),
        (Action::Resolve, _) => format!("/escalades/{id}?fait=resolue"),
        _ => format!("/escalades/{id}?fait=prise-en-charge"),
    };
    Ok(Redirect::to(&target).into_response())
}
