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

use crate::domain::billing::{BillingForm, Decision, Status, Step};
use crate::domain::format::date_fr;
use crate::domain::formula::Formula;
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors, format_money};
use crate::store::billing::{
    self, BillingError, PaymentPreview, QueueFilter, QueueTotals, RequestRow,
};
use crate::store::members::{self, Choice, ListTotal};
use crate::store::renewals::{self, RenewalError};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, encode_component, safe_next, with_param};
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::members::{
    FileForms, MAX_PAGE, PAGE_SIZE, Pager, category_label, count_fr, member_file, refused,
};
use crate::web::renewals::{departure_date, departure_page, renewal_sentences};

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
    /// The amount, or « sans montant » when asked without one.
    pub amount: String,
    pub has_amount: bool,
    pub note: String,
    pub status: Status,
    pub requested: String,
    pub requested_by: String,
    pub discounts: String,
    pub can_send: bool,
    pub can_pay: bool,
    pub can_confirm: bool,
    pub can_cancel: bool,
    /// A « ne renouvelle pas » request waiting for its end: the departure,
    /// or another decision.
    pub can_close: bool,
    /// The reason the member gave last, to suggest for the departure.
    pub suggested_reason: Option<i64>,
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
        amount: r
            .amount_cents
            .map_or_else(|| "sans montant".to_string(), format_money),
        has_amount: r.amount_cents.is_some(),
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
        can_close: status == Status::Requested
            && decision == Some(crate::domain::billing::Decision::NotRenewing),
        suggested_reason: None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    statut: String,
    fait: String,
    page: String,
    /// Searched in the member's name, business, profession, email.
    q: String,
    district: String,
    decision: String,
    /// The member the last action was about (named in its message).
    membre: String,
    /// `virgule` for the comma-separated CSV.
    format: Option<String>,
}

/// The decisions one can filter on, with their labels.
const DECISIONS: [(&str, &str); 3] = [
    ("renew_same", "Renouvelle tel quel"),
    ("change_formula", "Change de formule"),
    ("not_renewing", "Ne renouvelle pas"),
];

impl QueueQuery {
    /// The requests the tab and its filters show.
    fn filter(&self) -> QueueFilter {
        const OPEN: [Status; 3] = [Status::Requested, Status::InvoiceSent, Status::Received];
        let (statuses, not_renewing): (&[Status], Option<bool>) = match self.statut.trim() {
            "payees" => (&[Status::Paid], None),
            "annulees" => (&[Status::Cancelled], None),
            "toutes" => (&Status::ALL, None),
            "sans-facture" => (&OPEN, Some(true)),
            _ => (&OPEN, Some(false)),
        };
        QueueFilter {
            statuses: statuses.to_vec(),
            not_renewing,
            district_id: self.district.trim().parse().ok(),
            decision: DECISIONS
                .iter()
                .find(|(k, _)| *k == self.decision.trim())
                .map(|(k, _)| *k),
            text: self.q.trim().chars().take(100).collect(),
            to_send_first: not_renewing == Some(false),
        }
    }

    /// `base` with the tab, its filters and `page`.
    fn href(&self, base: &str, page: Option<i64>) -> String {
        let mut parts: Vec<String> = [
            ("statut", &self.statut),
            ("q", &self.q),
            ("district", &self.district),
            ("decision", &self.decision),
        ]
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

    fn filtered(&self) -> bool {
        !(self.q.trim().is_empty()
            && self.district.trim().is_empty()
            && self.decision.trim().is_empty())
    }
}

/// `GET /facturation/export.csv`: the whole tab, streamed.
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<QueueQuery>,
) -> AppResult<Response> {
    user.require(&INVOICERS)?;
    let filter = q.filter();
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
        billing::queue_query(&filter),
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
    /// « 1 234 demandes ».
    total: String,
    /// « 12 345,00 $ au total, 3 sans montant ».
    amounts: String,
    pager: Pager,
    filter: String,
    q: QueueQuery,
    filtered: bool,
    districts: Vec<Choice>,
    decisions: [(&'static str, &'static str); 3],
    /// « À traiter »: the invoices to send come first.
    to_send_first: bool,
    csv_href: String,
    csv_comma_href: String,
    error: Option<String>,
    notice: Option<String>,
    links_to_members: bool,
    /// The reasons a departure can give (when a line can be closed).
    reasons: Vec<(i64, String, &'static str)>,
    today_iso: String,
    /// This page's address, to come back to after closing a request.
    here: String,
}

impl QueuePage {
    fn selected(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }
}

/// « 12 345,00 $ au total » and how many requests have no amount.
fn amounts_fr(t: &QueueTotals) -> String {
    if t.count == 0 {
        return String::new();
    }
    let known = t.count - t.without_amount;
    let sum = format!("{} au total", format_money(t.amount_cents));
    match (known, t.without_amount) {
        (_, 0) => sum,
        (0, 1) => "Demande sans montant".to_string(),
        (0, _) => "Aucune de ces demandes n'a de montant".to_string(),
        (_, 1) => format!("{sum}, plus 1 demande sans montant"),
        (_, n) => format!("{sum}, plus {n} demandes sans montant"),
    }
}

async fn queue_page(
    state: &AppState,
    user: &CurrentUser,
    q: QueueQuery,
    page: i64,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<QueuePage> {
    user.require(&INVOICERS)?;
    let filter = q.filter();
    let tz = state.config.time_zone;
    let (rows, totals) =
        billing::queue(&state.pool, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let total = ListTotal {
        count: totals.count,
        capped: false,
    };
    let pager = Pager::counted(page, total, |p| q.href("/facturation", Some(p)));
    let csv_href = q.href("/facturation/export.csv", None);
    let mut lines: Vec<RequestLine> = rows.iter().map(|r| request_line(r, tz)).collect();
    let closable: Vec<i64> = lines
        .iter()
        .filter(|l| l.can_close)
        .map(|l| l.member_id)
        .collect();
    let reasons = if closable.is_empty() {
        Vec::new()
    } else {
        let last = billing::last_reasons(&state.pool, &closable).await?;
        for l in lines.iter_mut().filter(|l| l.can_close) {
            l.suggested_reason = last.get(&l.member_id).copied();
        }
        let all: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, label, category FROM reasons WHERE active ORDER BY category, position",
        )
        .fetch_all(&state.pool)
        .await?;
        all.into_iter()
            .map(|(i, l, c)| (i, l, category_label(&c)))
            .collect()
    };
    Ok(QueuePage {
        layout: Layout::new("Facturation", &user.0, "/facturation"),
        lines,
        reasons,
        today_iso: state.today().to_string(),
        here: q.href("/facturation", Some(page)),
        total: count_fr(total, "aucune demande", "demande", "demandes"),
        amounts: amounts_fr(&totals),
        pager,
        filter: q.statut.trim().to_string(),
        filtered: q.filtered(),
        districts: members::district_choices(&state.pool, Scope::Network).await?,
        decisions: DECISIONS,
        to_send_first: filter.to_send_first,
        csv_comma_href: csv::comma_href(&csv_href),
        csv_href,
        q,
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
        // Billing and direction see every request: the network is their scope.
        Ok(id) => members::name_in_scope(&state.pool, Scope::Network, id).await?,
        Err(_) => None,
    };
    let notice = name.and_then(|name| match q.fait.as_str() {
        "depart" => Some(crate::fr!(
            "Départ de {name} enregistré : sa demande « ne renouvelle pas » est close."
        )),
        "envoyee" => Some(crate::fr!("Facture de {name} marquée comme envoyée.")),
        "payee" => Some(crate::fr!(
            "Paiement de {name} enregistré : son renouvellement est inscrit au dossier."
        )),
        _ => None,
    });
    let page = q.page.trim().parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE);
    queue_page(&state, &user, q, page, None, notice).await
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
    /// `oui` once the payment's consequences were shown.
    confirme: String,
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
    if step == Step::MarkPaid && !confirmed(&form.confirme) {
        let p = billing::payment_preview(&state.pool, request_id)
            .await?
            .ok_or(AppError::NotFound)?;
        // A request that cannot be paid gets the store's refusal below.
        if p.renews
            && matches!(
                Status::parse(&p.status),
                Some(Status::InvoiceSent | Status::Received)
            )
        {
            return Ok(payment_page(&user, request_id, &p, &form, state.today()).into_response());
        }
    }
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
                let page = queue_page(&state, &user, QueueQuery::default(), 1, Some(message), None)
                    .await?;
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

/// « Paiement reçu » asks first: the member, the renewal it records.
fn payment_page(
    user: &CurrentUser,
    request_id: i64,
    p: &PaymentPreview,
    form: &StepForm,
    today: chrono::NaiveDate,
) -> ConfirmPage {
    let name = &p.member_name;
    let back = safe_next(Some(&form.retour)).unwrap_or_else(|| "/facturation".to_string());
    let mut page = ConfirmPage::new(
        Layout::new(crate::fr!("Paiement de {name}"), &user.0, "/facturation"),
        crate::fr!("Enregistrer le paiement de {name} ?"),
        format!("/facturation/{request_id}/payee"),
        "Oui, le paiement est reçu",
        back,
    )
    .says(crate::fr!(
        "Le paiement de {name} sera inscrit et son renouvellement enregistré du même coup."
    ));
    for line in renewal_sentences(name, p.renewal_date, p.term_months, today) {
        page = page.says(line);
    }
    if let Some(new) = p.new_formula.as_deref().and_then(Formula::parse) {
        let old = Formula::parse(&p.formula).map_or("—", Formula::label);
        page = page.says(format!(
            "Sa formule passera de « {old} » à « {} ».",
            new.label()
        ));
    }
    if !form.retour.is_empty() {
        page = page.keeps("retour", form.retour.clone());
    }
    page
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CloseForm {
    lost_on: String,
    reason_id: String,
    confirme: String,
    /// Where to go back to (a page of this site).
    retour: String,
}

/// Who may close a « ne renouvelle pas » request with the departure:
/// billing and direction (network-wide), the member's representative and
/// district manager (in scope).
fn closing_scope(user: &CurrentUser) -> AppResult<Scope> {
    match user.0.role {
        Role::Billing | Role::Direction => Ok(Scope::Network),
        Role::Representative | Role::DistrictManager => Ok(user.scope()),
    }
}

/// `POST /facturation/{id}/depart`: a « ne renouvelle pas » request ends
/// with the member's departure (the request is then closed).
pub async fn close_with_departure(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> AppResult<Response> {
    let scope = closing_scope(&user)?;
    let from_queue = INVOICERS.contains(&user.0.role);
    let today = state.today();
    let mut errors = FieldErrors::new();
    let lost_on = errors.take("lost_on", departure_date(&form.lost_on, today));
    let reason = errors.take(
        "reason_id",
        v::optional_id(&form.reason_id)
            .and_then(|r| r.ok_or_else(|| "La raison principale est obligatoire.".to_string())),
    );
    let mut tx = state.pool.begin().await?;
    let member_id = match billing::not_renewing_member(&mut tx, scope, id).await {
        Ok(m) => m,
        Err(BillingError::NotFound) => return Err(AppError::NotFound),
        Err(BillingError::Db(e)) => return Err(e.into()),
        Err(BillingError::Refused(message)) => {
            drop(tx);
            // From the member file, the refusal is shown there.
            let member = if from_queue {
                None
            } else {
                billing::member_of_request(&state.pool, scope, id).await?
            };
            return close_refused(&state, &user, from_queue, member, message).await;
        }
    };
    let (Some(lost_on), Some(reason)) = (lost_on, reason) else {
        drop(tx);
        let message = errors
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if from_queue {
            return close_refused(&state, &user, true, None, message).await;
        }
        return refused(
            &state,
            &user,
            member_id,
            FileForms {
                lost_on: form.lost_on.clone(),
                lost_reason: form.reason_id.clone(),
                lost_errors: errors,
                ..FileForms::default()
            },
        )
        .await;
    };
    let back = safe_next(Some(&form.retour)).unwrap_or_else(|| {
        if from_queue {
            "/facturation?statut=sans-facture".to_string()
        } else {
            format!("/membres/{member_id}#facturation")
        }
    });
    if !confirmed(&form.confirme) {
        drop(tx);
        let page = departure_page(
            &state,
            &user,
            scope,
            member_id,
            lost_on,
            reason,
            format!("/facturation/{id}/depart"),
            back,
        )
        .await?;
        return Ok(page);
    }
    match renewals::depart(&mut tx, scope, user.0.id, member_id, lost_on, reason).await {
        Ok(()) => {
            tx.commit().await?;
            let target = if from_queue {
                format!("/facturation?statut=sans-facture&fait=depart&membre={member_id}")
            } else {
                format!("/membres/{member_id}?perdu=1#facturation")
            };
            Ok(Redirect::to(&target).into_response())
        }
        Err(RenewalError::NotFound) => Err(AppError::NotFound),
        Err(RenewalError::Db(e)) => Err(e.into()),
        Err(e) => {
            drop(tx);
            close_refused(&state, &user, from_queue, Some(member_id), e.to_string()).await
        }
    }
}

/// A refused end of request: the queue (billing) or the member file.
async fn close_refused(
    state: &AppState,
    user: &CurrentUser,
    from_queue: bool,
    member_id: Option<i64>,
    message: String,
) -> AppResult<Response> {
    match member_id {
        Some(id) if !from_queue => {
            refused(
                state,
                user,
                id,
                FileForms {
                    cycle_error: Some(message),
                    ..FileForms::default()
                },
            )
            .await
        }
        _ => {
            let q = QueueQuery {
                statut: "sans-facture".into(),
                ..QueueQuery::default()
            };
            let page = queue_page(state, user, q, 1, Some(message), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    new_formula: String,
}

/// `POST /facturation/{id}/decision`: the member renews after all; the
/// « ne renouvelle pas » request becomes an invoice to send.
pub async fn change_decision(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> AppResult<Response> {
    user.require(&REQUESTERS)?;
    let decision = Decision::from_parts(
        form.decision.trim(),
        Some(form.new_formula.trim()).filter(|f| !f.is_empty()),
    );
    let mut tx = state.pool.begin().await?;
    let result = match decision {
        Some(d) => billing::change_decision(&mut tx, user.scope(), user.0.id, id, d).await,
        None => Err(BillingError::Refused(
            "Choisissez la nouvelle décision (et la nouvelle formule si elle change).".into(),
        )),
    };
    match result {
        Ok(member_id) => {
            tx.commit().await?;
            Ok(
                Redirect::to(&format!("/membres/{member_id}?decision=1#facturation"))
                    .into_response(),
            )
        }
        Err(BillingError::NotFound) => Err(AppError::NotFound),
        Err(BillingError::Db(e)) => Err(e.into()),
        Err(BillingError::Refused(message)) => {
            drop(tx);
            let member_id = billing::member_of_request(&state.pool, user.scope(), id)
                .await?
                .ok_or(AppError::NotFound)?;
            refused(
                &state,
                &user,
                member_id,
                FileForms {
                    cycle_error: Some(message),
                    ..FileForms::default()
                },
            )
            .await
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
