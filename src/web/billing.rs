//! Billing requests: the representative sends one from the member file;
//! billing marks the invoice sent and paid; the representative confirms
//! the member received it. Paying records the renewal.
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::billing::{BillingForm, Status, Step};
use crate::domain::format::date_fr;
use crate::domain::formula::Formula;
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::domain::validation::format_money;
use crate::store::billing::{self, BillingError, RequestRow};
use crate::store::members;
use crate::web::AppState;
use crate::web::auth::{CurrentUser, encode_component, safe_next, with_param};
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::members::{FileForms, MAX_PAGE, PAGE_SIZE, Pager, count_fr, member_file, refused};

/// Who invoices: billing, and direction (who sees everything).
const INVOICERS: [Role; 2] = [Role::Billing, Role::Direction];
/// Who asks for invoices and confirms receipt, within their scope.
const REQUESTERS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

/// A request as shown in lists.
pub struct RequestLine {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub business_name: String,
    pub formula: &'static str,
    pub district: String,
    pub decision: String,
    pub amount: String,
    pub note: String,
    pub status: Status,
    pub requested: String,
    pub requested_by: String,
    pub discounts: String,
    pub can_send: bool,
    pub can_pay: bool,
    pub can_confirm: bool,
    pub can_cancel: bool,
}

pub fn request_line(r: &RequestRow, tz: chrono_tz::Tz) -> RequestLine {
    let status = r.status();
    let decision = r.decision();
    let mut discounts = Vec::new();
    if r.board_member {
        discounts.push("membre du CA".to_string());
    }
    if r.gr_credits_cents > 0 {
        discounts.push(format!("crédits GR : {}", format_money(r.gr_credits_cents)));
    }
    RequestLine {
        id: r.id,
        member_id: r.member_id,
        member_name: r.member_name.clone(),
        business_name: r.business_name.clone(),
        formula: Formula::parse(&r.formula).map_or("—", Formula::label),
        district: r.district_name.clone(),
        decision: decision.map(|d| d.label()).unwrap_or_default(),
        amount: r.amount_cents.map(format_money).unwrap_or_default(),
        note: r.note.clone(),
        status,
        requested: date_fr(r.requested_at.with_timezone(&tz).date_naive()),
        requested_by: r.requested_by.clone(),
        discounts: discounts.join(", "),
        can_send: status == Status::Requested
            && decision != Some(crate::domain::billing::Decision::NotRenewing),
        can_pay: matches!(status, Status::InvoiceSent | Status::Received),
        can_confirm: status == Status::InvoiceSent,
        can_cancel: status == Status::Requested,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    statut: String,
    fait: String,
    page: String,
    /// The member the last action was about (named in its message).
    membre: String,
    /// `virgule` for the comma-separated CSV.
    format: Option<String>,
}

/// The statuses of a tab of the queue, and whether it keeps (`true`) or
/// leaves out (`false`) the members who do not renew.
fn tab(filter: &str) -> (&'static [Status], Option<bool>) {
    const OPEN: [Status; 3] = [Status::Requested, Status::InvoiceSent, Status::Received];
    match filter {
        "payees" => (&[Status::Paid], None),
        "annulees" => (&[Status::Cancelled], None),
        "toutes" => (&Status::ALL, None),
        "sans-facture" => (&OPEN, Some(true)),
        _ => (&OPEN, Some(false)),
    }
}

/// The CSV of a tab (`statut` as on the page, or none).
fn export_href(filter: &str) -> String {
    if filter.is_empty() {
        "/facturation/export.csv".to_string()
    } else {
        format!(
            "/facturation/export.csv?statut={}",
            encode_component(filter)
        )
    }
}

/// `GET /facturation/export.csv`: the whole tab, streamed.
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QueueQuery>,
) -> AppResult<Response> {
    user.require(&INVOICERS)?;
    let (statuses, not_renewing) = tab(q.statut.trim());
    let tz = state.config.time_zone;
    let header = [
        "Numéro",
        "Membre",
        "Entreprise",
        "Formule",
        "District",
        "Décision",
        "Montant ($)",
        "Note",
        "Statut",
        "Demandée le",
        "Demandée par",
        "Membre du CA",
        "Crédits GR ($)",
    ];
    let encoder = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    let dollars = |cents: i64| Cell::Decimal(cents as f64 / 100.0, 2);
    Ok(csv::stream_query(
        state.pool.clone(),
        billing::queue_query(statuses, not_renewing),
        encoder,
        "facturation",
        move |r: RequestRow| {
            vec![
                Cell::Int(r.id),
                Cell::from(&r.member_name),
                Cell::from(&r.business_name),
                Cell::from(Formula::parse(&r.formula).map(Formula::label)),
                Cell::from(&r.district_name),
                Cell::from(r.decision().map(|d| d.label())),
                Cell::from(r.amount_cents.map(dollars)),
                Cell::from(&r.note),
                Cell::from(r.status().label()),
                Cell::from(r.requested_at.with_timezone(&tz).date_naive().to_string()),
                Cell::from(&r.requested_by),
                Cell::from(if r.board_member { "oui" } else { "non" }),
                dollars(r.gr_credits_cents),
            ]
        },
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/queue.html")]
pub struct QueuePage {
    layout: Layout,
    lines: Vec<RequestLine>,
    /// « 1 234 demandes » (or « plus de … »).
    total: String,
    pager: Pager,
    filter: String,
    csv_href: String,
    csv_comma_href: String,
    error: Option<String>,
    notice: Option<String>,
    links_to_members: bool,
}

async fn queue_page(
    state: &AppState,
    user: &CurrentUser,
    filter: &str,
    page: i64,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<QueuePage> {
    user.require(&INVOICERS)?;
    let (statuses, not_renewing) = tab(filter);
    let tz = state.config.time_zone;
    let (rows, total) = billing::queue(
        &state.pool,
        statuses,
        not_renewing,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let href = |p: i64| {
        let mut parts = Vec::new();
        if !filter.is_empty() {
            parts.push(format!("statut={}", encode_component(filter)));
        }
        if p > 1 {
            parts.push(format!("page={p}"));
        }
        if parts.is_empty() {
            "/facturation".to_string()
        } else {
            format!("/facturation?{}", parts.join("&"))
        }
    };
    Ok(QueuePage {
        layout: Layout::new("Facturation", &user.0, "/facturation"),
        lines: rows.iter().map(|r| request_line(r, tz)).collect(),
        total: count_fr(total, "aucune demande", "demande", "demandes"),
        pager: Pager::counted(page, total, href),
        filter: filter.to_string(),
        csv_href: export_href(filter),
        csv_comma_href: csv::comma_href(&export_href(filter)),
        error,
        notice,
        links_to_members: user.0.role == Role::Direction,
    })
}

pub async fn queue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QueueQuery>,
) -> AppResult<QueuePage> {
    user.require(&INVOICERS)?;
    let name = match q.membre.trim().parse::<i64>() {
        Ok(id) => members::name_in_scope(&state.pool, user.scope(), id).await?,
        Err(_) => None,
    };
    let notice = name.and_then(|name| match q.fait.as_str() {
        "envoyee" => Some(format!("Facture de {name} marquée comme envoyée.")),
        "payee" => Some(format!(
            "Paiement de {name} enregistré : son renouvellement est inscrit au dossier."
        )),
        _ => None,
    });
    let page = q.page.trim().parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE);
    queue_page(&state, &user, q.statut.trim(), page, None, notice).await
}

/// Creates the billing request from the member file.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<BillingForm>,
) -> AppResult<Response> {
    user.require(&REQUESTERS)?;
    let member = members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = match form.parse(member.row.formula()) {
        Ok(d) => d,
        Err(errors) => {
            return refused(
                &state,
                &user,
                id,
                FileForms {
                    billing: form,
                    billing_errors: errors,
                    ..FileForms::default()
                },
            )
            .await;
        }
    };
    let mut tx = state.pool.begin().await?;
    match billing::create(&mut tx, user.scope(), user.0.id, id, &draft).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/membres/{id}?facturation=1#facturation")).into_response())
        }
        Err(BillingError::Refused(message)) => {
            drop(tx);
            refused(
                &state,
                &user,
                id,
                FileForms {
                    billing: form,
                    cycle_error: Some(message),
                    ..FileForms::default()
                },
            )
            .await
        }
        Err(BillingError::NotFound) => Err(AppError::NotFound),
        Err(BillingError::Db(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    /// Where to go back to (a page of this site).
    retour: String,
}

async fn step(
    state: AppState,
    user: CurrentUser,
    request_id: i64,
    step: Step,
    form: StepForm,
) -> AppResult<Response> {
    let invoicing = matches!(step, Step::SendInvoice | Step::MarkPaid);
    let scope = if invoicing {
        user.require(&INVOICERS)?;
        Scope::Network
    } else {
        user.require(&REQUESTERS)?;
        user.scope()
    };
    let mut tx = state.pool.begin().await?;
    let result = billing::advance(&mut tx, scope, user.0.id, request_id, step, state.today()).await;
    match result {
        Ok((_, member_id)) => {
            tx.commit().await?;
            let notice = match step {
                Step::SendInvoice => "envoyee",
                Step::MarkPaid => "payee",
                Step::ConfirmReceived => "recue",
                Step::Cancel => "annulee",
            };
            let target = safe_next(Some(&form.retour))
                .map(|back| with_param(&back, &format!("{notice}&membre={member_id}")))
                .unwrap_or_else(|| format!("/facturation?fait={notice}&membre={member_id}"));
            Ok(Redirect::to(&target).into_response())
        }
        Err(BillingError::NotFound) => Err(AppError::NotFound),
        Err(BillingError::Db(e)) => Err(e.into()),
        Err(BillingError::Refused(message)) => {
            drop(tx);
            if invoicing {
                let page = queue_page(&state, &user, "", 1, Some(message), None).await?;
                Ok((StatusCode::CONFLICT, page).into_response())
            } else {
                let member_id: Option<i64> =
                    sqlx::query_scalar("SELECT member_id FROM billing_requests WHERE id = $1")
                        .bind(request_id)
                        .fetch_optional(&state.pool)
                        .await?;
                let member_id = member_id.ok_or(AppError::NotFound)?;
                let panel = FileForms {
                    cycle_error: Some(message),
                    ..FileForms::default()
                };
                let page = member_file(&state, &user, member_id, panel).await?;
                Ok((StatusCode::CONFLICT, page).into_response())
            }
        }
    }
}

pub async fn send_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> AppResult<Response> {
    step(state, user, id, Step::SendInvoice, form).await
}

pub async fn mark_paid(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> AppResult<Response> {
    step(state, user, id, Step::MarkPaid, form).await
}

pub async fn confirm_received(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> AppResult<Response> {
    step(state, user, id, Step::ConfirmReceived, form).await
}

pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> AppResult<Response> {
    step(state, user, id, Step::Cancel, form).await
}
