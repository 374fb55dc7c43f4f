//! Billing requests: created by the representative, moved along by billing;
//! the payment records the renewal in the same transaction.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::billing::{BillingDraft, Decision, Status, Step, apply};
use crate::domain::formula::Formula;
use crate::domain::scope::Scope;
use crate::store::audit::{self, Change};
use crate::store::members::push_scope;
use crate::store::renewals::{self, RenewalError};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("introuvable")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<RenewalError> for BillingError {
    fn from(e: RenewalError) -> Self {
        match e {
            RenewalError::NotFound => BillingError::NotFound,
            RenewalError::Refused(m) => BillingError::Refused(m),
            e @ RenewalError::DepartureBeforeJoining(_) => BillingError::Refused(e.to_string()),
            RenewalError::Db(e) => BillingError::Db(e),
        }
    }
}

/// Creates the billing request of the member's current cycle.
pub async fn create(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    member_id: i64,
    draft: &BillingDraft,
) -> Result<i64, BillingError> {
    let mut qb = QueryBuilder::new("SELECT m.status, m.cycle FROM members m WHERE m.id = ");
    qb.push_bind(member_id);
    push_scope(&mut qb, scope);
    qb.push(" FOR UPDATE");
    let (status, cycle): (String, i32) = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(BillingError::NotFound)?;
    if status != "active" {
        return Err(BillingError::Refused(
            "Ce membre est perdu : pas de demande de facturation.".into(),
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO billing_requests (member_id, cycle, requested_by, decision, new_formula, \
         note, amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(member_id)
    .bind(cycle)
    .bind(actor)
    .bind(draft.decision.key())
    .bind(draft.decision.new_formula().map(Formula::as_str))
    .bind(&draft.note)
    .bind(draft.amount_cents)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("billing_requests_live_key") => {
            BillingError::Refused(
                "Une demande de facturation existe déjà pour ce renouvellement.".into(),
            )
        }
        _ => BillingError::Db(e),
    })?;
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "member",
            entity_id: member_id,
            field: "Demande de facturation",
            old_value: None,
            new_value: Some(draft.decision.label()),
        },
    )
    .await?;
    Ok(id)
}

/// Moves a request one step. `scope` limits which members' requests the
/// actor may touch (billing and direction: the network). Paying records the
/// renewal (with the formula change) in the same transaction. Gives the
/// new status and the member's id.
pub async fn advance(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    request_id: i64,
    step: Step,
    today: NaiveDate,
) -> Result<(Status, i64), BillingError> {
    let mut qb = QueryBuilder::new(
        "SELECT b.member_id, b.status, b.decision, b.new_formula, b.cycle = m.cycle, \
         m.status = 'active' FROM billing_requests b \
         JOIN members m ON m.id = b.member_id WHERE b.id = ",
    );
    qb.push_bind(request_id);
    push_scope(&mut qb, scope);
    // The member too: its cycle must not move under the payment.
    qb.push(" FOR UPDATE OF b, m");
    type Row = (i64, String, String, Option<String>, bool, bool);
    let (member_id, status, decision, new_formula, same_cycle, active): Row = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(BillingError::NotFound)?;
    // A payment renews the cycle its request was made for, once: a cycle
    // already renewed another way (direction recorded it while the invoice
    // was out) only gets its payment noted; a member who has left is
    // reactivated first.
    if step == Step::MarkPaid && !active {
        return Err(BillingError::Refused(
            "Ce membre a quitté le réseau : enregistrez d'abord sa réactivation, puis \
             son paiement."
                .into(),
        ));
    }
    let status = Status::parse(&status).ok_or(BillingError::NotFound)?;
    let decision =
        Decision::from_parts(&decision, new_formula.as_deref()).ok_or(BillingError::NotFound)?;
    let next = apply(status, decision, step).map_err(|m| BillingError::Refused(m.into()))?;
    // Each step dates itself and says who did it.
    let sql = match step {
        Step::SendInvoice => {
            "UPDATE billing_requests SET status = $2, invoice_sent_at = now(), \
             invoice_sent_by = $3 WHERE id = $1"
        }
        Step::ConfirmReceived => {
            "UPDATE billing_requests SET status = $2, received_at = now(), received_by = $3 \
             WHERE id = $1"
        }
        Step::MarkPaid => {
            "UPDATE billing_requests SET status = $2, paid_at = now(), paid_by = $3 WHERE id = $1"
        }
        Step::Cancel => "UPDATE billing_requests SET status = $2 WHERE id = $1 AND $3 > 0",
    };
    sqlx::query(sql)
        .bind(request_id)
        .bind(next.as_str())
        .bind(actor)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "member",
            entity_id: member_id,
            field: "Demande de facturation",
            old_value: Some(status.label().to_string()),
            new_value: Some(next.label().to_string()),
        },
    )
    .await?;
    if next == Status::Paid && same_cycle {
        // Billing and direction act network-wide: the member is theirs to renew.
        renewals::record(
            conn,
            Scope::Network,
            actor,
            member_id,
            decision.new_formula(),
            Some(request_id),
            today,
        )
        .await?;
    }
    Ok((next, member_id))
}

/// What paying a request will do: the member, the dates and formulas.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentPreview {
    pub member_name: String,
    pub renewal_date: NaiveDate,
    pub term_months: i32,
    pub formula: String,
    pub status: String,
    pub decision: String,
    pub new_formula: Option<String>,
    /// Paying would renew the member: the request is of the member's
    /// current cycle and the member is active.
    pub renews: bool,
}

pub async fn payment_preview(
    pool: &PgPool,
    request_id: i64,
) -> Result<Option<PaymentPreview>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.first_name || ' ' || m.last_name AS member_name, m.renewal_date, \
         m.term_months, m.formula, b.status, b.decision, b.new_formula, \
         (b.cycle = m.cycle AND m.status = 'active') AS renews \
         FROM billing_requests b JOIN members m ON m.id = b.member_id WHERE b.id = $1",
    )
    .bind(request_id)
    .fetch_optional(pool)
    .await
}

/// The reason each member gave last (member → reason), for the members of
/// a page: one query.
pub async fn last_reasons(
    pool: &PgPool,
    member_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT ON (member_id) member_id, reason_id FROM member_reasons \
         WHERE member_id = ANY($1) ORDER BY member_id, at DESC, id DESC",
    )
    .bind(member_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The member of an open « ne renouvelle pas » request (locked), to close
/// it with the member's departure.
pub async fn not_renewing_member(
    conn: &mut PgConnection,
    scope: Scope,
    request_id: i64,
) -> Result<i64, BillingError> {
    let mut qb = QueryBuilder::new(
        "SELECT b.member_id, b.status, b.decision FROM billing_requests b \
         JOIN members m ON m.id = b.member_id WHERE b.id = ",
    );
    qb.push_bind(request_id);
    push_scope(&mut qb, scope);
    qb.push(" FOR UPDATE OF b");
    let (member_id, status, decision): (i64, String, String) = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(BillingError::NotFound)?;
    if decision != Decision::NotRenewing.key() || status != Status::Requested.as_str() {
        return Err(BillingError::Refused(
            "Cette demande n'est plus une demande « ne renouvelle pas » en attente : \
             rien à clore."
                .into(),
        ));
    }
    Ok(member_id)
}

/// The member a request is about, if the request is in scope.
pub async fn member_of_request(
    pool: &PgPool,
    scope: Scope,
    request_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT b.member_id FROM billing_requests b JOIN members m ON m.id = b.member_id \
         WHERE b.id = ",
    );
    qb.push_bind(request_id);
    push_scope(&mut qb, scope);
    qb.build_query_scalar().fetch_optional(pool).await
}

/// The representative changes an open « ne renouvelle pas » request's
/// decision (the member renews after all): the request becomes an invoice
/// to send. Gives the member's id.
pub async fn change_decision(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    request_id: i64,
    decision: Decision,
) -> Result<i64, BillingError> {
    let member_id = not_renewing_member(conn, scope, request_id).await?;
    if decision == Decision::NotRenewing {
        return Err(BillingError::Refused(
            "Choisissez la nouvelle décision : le membre renouvelle, tel quel ou avec une \
             autre formule."
                .into(),
        ));
    }
    sqlx::query("UPDATE billing_requests SET decision = $2, new_formula = $3 WHERE id = $1")
        .bind(request_id)
        .bind(decision.key())
        .bind(decision.new_formula().map(Formula::as_str))
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "member",
            entity_id: member_id,
            field: "Décision de renouvellement",
            old_value: Some(Decision::NotRenewing.label()),
            new_value: Some(decision.label()),
        },
    )
    .await?;
    Ok(member_id)
}

/// A request as billing sees it: no follow-up text, only what invoicing needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub business_name: String,
    pub formula: String,
    pub district_name: String,
    pub decision: String,
    pub new_formula: Option<String>,
    pub amount_cents: Option<i64>,
    pub note: String,
    pub status: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub board_member: bool,
    pub gr_credits_cents: i64,
    pub cycle: i32,
    pub member_cycle: i32,
}

impl RequestRow {
    pub fn decision(&self) -> Option<Decision> {
        Decision::from_parts(&self.decision, self.new_formula.as_deref())
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Requested)
    }
}

macro_rules! request_select {
    () => {
        "SELECT b.id, b.member_id, m.first_name || ' ' || m.last_name AS member_name, \
         m.business_name, m.formula, d.name AS district_name, b.decision, b.new_formula, \
         b.amount_cents, b.note, b.status, b.requested_at, u.display_name AS requested_by, \
         m.board_member, m.gr_credits_cents, b.cycle, m.cycle AS member_cycle \
         FROM billing_requests b JOIN members m ON m.id = b.member_id \
         JOIN districts d ON d.id = m.district_id JOIN users u ON u.id = b.requested_by "
    };
}

/// Which requests a tab of the billing queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub statuses: Vec<Status>,
    /// Keep only (true) or leave out (false) the members who do not renew.
    pub not_renewing: Option<bool>,
    pub district_id: Option<i64>,
    /// A decision key (`renew_same`, `change_formula`, `not_renewing`).
    pub decision: Option<&'static str>,
    /// Searched in the member's name, business, profession and email.
    pub text: String,
    /// « À traiter »: the invoices still to send first, then those waiting
    /// for payment, each oldest first.
    pub to_send_first: bool,
}

/// The tab's figures: how many requests, the sum of the known amounts and
/// how many were asked without an amount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueTotals {
    pub count: i64,
    pub amount_cents: i64,
    pub without_amount: i64,
}

/// ` WHERE …` of the queue. Statuses go in as literals (they come from the
/// enum, never from the request) so that the planner can use the partial
/// index of open requests (migration 0017).
fn push_queue_where(qb: &mut QueryBuilder<Postgres>, f: &QueueFilter) {
    push_tab_where(qb, f, "b", "m");
    // The member list's search (migration 0042's searched text).
    crate::store::members::push_text_search(qb, &f.text);
}

/// ` WHERE …` of the tab (statuses, decision, district) on the requests
/// (alias `request`, their members `member`) or on their tally.
fn push_tab_where(qb: &mut QueryBuilder<Postgres>, f: &QueueFilter, request: &str, member: &str) {
    qb.push(format!(" WHERE {request}.status IN ("));
    if f.statuses.is_empty() {
        qb.push("NULL");
    }
    for (i, s) in f.statuses.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push("'").push(s.as_str()).push("'");
    }
    qb.push(")");
    match f.not_renewing {
        Some(true) => {
            qb.push(format!(" AND {request}.decision = 'not_renewing'"));
        }
        Some(false) => {
            qb.push(format!(" AND {request}.decision <> 'not_renewing'"));
        }
        None => {}
    }
    if let Some(decision) = f.decision {
        qb.push(format!(" AND {request}.decision = "));
        qb.push_bind(decision);
    }
    if let Some(d) = f.district_id {
        qb.push(format!(" AND {member}.district_id = "));
        qb.push_bind(d);
    }
}

fn push_queue_order(qb: &mut QueryBuilder<Postgres>, f: &QueueFilter) {
    if f.to_send_first {
        qb.push(" ORDER BY (b.status <> 'requested'), b.requested_at, b.id");
    } else {
        qb.push(" ORDER BY b.requested_at, b.id");
    }
}

/// A page of the billing queue (one query for the page, one aggregate for
/// the tab's figures; no query per row).
pub async fn queue(
    pool: &PgPool,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<RequestRow>, QueueTotals), sqlx::Error> {
    let mut qb = QueryBuilder::new(request_select!());
    push_queue_where(&mut qb, f);
    push_queue_order(&mut qb, f);
    crate::store::push_limit(&mut qb, limit, Some(offset));
    let rows = qb.build_query_as().fetch_all(pool).await?;
    // The tab's figures: from the tally kept per district, status and
    // decision (migration 0030), a few rows whatever the size of the
    // network; a search counts the requests it finds.
    let qb = &mut if f.text.trim().is_empty() {
        let mut qb = QueryBuilder::new(
            "SELECT COALESCE(sum(t.requests), 0)::bigint AS count, \
             COALESCE(sum(t.amount_cents), 0)::bigint AS amount_cents, \
             COALESCE(sum(t.requests - t.priced), 0)::bigint AS without_amount \
             FROM billing_tallies t",
        );
        push_tab_where(&mut qb, f, "t", "t");
        qb
    } else {
        let mut qb = QueryBuilder::new(
            "SELECT count(*) AS count, COALESCE(sum(b.amount_cents), 0)::bigint AS amount_cents, \
             count(*) FILTER (WHERE b.amount_cents IS NULL) AS without_amount \
             FROM billing_requests b JOIN members m ON m.id = b.member_id",
        );
        push_queue_where(&mut qb, f);
        qb
    };
    let totals = qb.build_query_as().fetch_one(pool).await?;
    Ok((rows, totals))
}

/// The whole tab of [`queue`] without pages, for the CSV export that
/// streams it.
pub fn queue_query(f: &QueueFilter) -> QueryBuilder<Postgres> {
    let mut qb = QueryBuilder::new(request_select!());
    push_queue_where(&mut qb, f);
    push_queue_order(&mut qb, f);
    qb
}

/// A member's requests, newest first.
pub async fn for_member(pool: &PgPool, member_id: i64) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        request_select!(),
        "WHERE b.member_id = $1 ORDER BY b.requested_at DESC, b.id DESC"
    ))
    .bind(member_id)
    .fetch_all(pool)
    .await
}

/// Requests of the members in scope whose invoice went out: the
/// representative confirms the member received it.
pub async fn to_confirm(pool: &PgPool, scope: Scope) -> Result<Vec<RequestRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(concat!(
        request_select!(),
        "WHERE b.status = 'invoice_sent'"
    ));
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY b.invoice_sent_at");
    qb.build_query_as().fetch_all(pool).await
}
