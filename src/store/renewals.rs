//! Renewals (the date moves one term, a new cycle starts), departures and
//! reactivations. Each runs in the caller's transaction with audit rows.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, QueryBuilder};

use crate::domain::formula::Formula;
use crate::domain::scope::Scope;
use crate::domain::timeline::add_months;
use crate::store::audit::{self, Change};
use crate::store::members::{push_scope, seat_holder, seat_taken};

#[derive(Debug, thiserror::Error)]
pub enum RenewalError {
    #[error("introuvable")]
    NotFound,
    /// Refused, with the reason in French.
    #[error("{0}")]
    Refused(String),
    /// A departure dated before the member joined (the date they joined).
    #[error(
        "La date de départ ne peut pas précéder l'adhésion du membre ({}).",
        crate::domain::format::date_fr(*.0)
    )]
    DepartureBeforeJoining(NaiveDate),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

struct Locked {
    formula: String,
    renewal_date: NaiveDate,
    term_months: i32,
    status: String,
    cycle: i32,
    group_id: Option<i64>,
    group_kind: Option<String>,
    profession: String,
    profession_key: String,
    join_date: NaiveDate,
    welcome_from: Option<NaiveDate>,
}

async fn lock(
    conn: &mut PgConnection,
    scope: Scope,
    member_id: i64,
) -> Result<Locked, RenewalError> {
    let mut qb = QueryBuilder::new(
        "SELECT m.formula, m.renewal_date, m.term_months, m.status, m.cycle, m.group_id, \
         m.group_kind::text, m.profession, m.profession_key, m.join_date, m.welcome_from \
         FROM members m WHERE m.id = ",
    );
    qb.push_bind(member_id);
    push_scope(&mut qb, scope);
    qb.push(" FOR UPDATE");
    #[allow(clippy::type_complexity)]
    let row: Option<(
        String,
        NaiveDate,
        i32,
        String,
        i32,
        Option<i64>,
        Option<String>,
        String,
        String,
        NaiveDate,
        Option<NaiveDate>,
    )> = qb.build_query_as().fetch_optional(&mut *conn).await?;
    let r = row.ok_or(RenewalError::NotFound)?;
    Ok(Locked {
        formula: r.0,
        renewal_date: r.1,
        term_months: r.2,
        status: r.3,
        cycle: r.4,
        group_id: r.5,
        group_kind: r.6,
        profession: r.7,
        profession_key: r.8,
        join_date: r.9,
        welcome_from: r.10,
    })
}

async fn note(
    conn: &mut PgConnection,
    actor: i64,
    member_id: i64,
    field: &str,
    old: Option<String>,
    new: Option<String>,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "member",
            entity_id: member_id,
            field,
            old_value: old,
            new_value: new,
        },
    )
    .await
}

/// Records a renewal: the renewal date moves one term forward (the previous
/// one is kept in `renewals`), an optional formula change applies (seniority
/// and credits stay), and a new cycle starts (`welcome`). Recorded after
/// its date (`today` later than the date it replaces), the new cycle's first
/// stage counts from today (see `LateStart`).
pub async fn record(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    member_id: i64,
    new_formula: Option<Formula>,
    billing_request_id: Option<i64>,
    today: NaiveDate,
) -> Result<NaiveDate, RenewalError> {
    let m = lock(conn, scope, member_id).await?;
    if m.status != "active" {
        return Err(RenewalError::Refused(
            "Ce membre est perdu : réactivez-le avant d'enregistrer un renouvellement.".into(),
        ));
    }
    let formula = new_formula
        .map(|f| f.as_str().to_string())
        .unwrap_or_else(|| m.formula.clone());
    if formula == "exclusive" && m.group_id.is_none() {
        return Err(RenewalError::Refused(
            "Un siège exclusif demande un groupe : modifiez la fiche d'abord.".into(),
        ));
    }
    let next = add_months(m.renewal_date, m.term_months);
    let cycle = m.cycle + 1;
    let leaves_group = formula != "exclusive";
    let welcome_from = (today > m.renewal_date).then_some(today);
    sqlx::query(
        "UPDATE members SET renewal_date = $2, formula = $3, cycle = $4, \
         group_id = CASE WHEN $5 THEN NULL ELSE group_id END, \
         group_kind = CASE WHEN $5 THEN NULL ELSE group_kind END, \
         welcome_from = $6, version = version + 1, updated_at = now() WHERE id = $1",
    )
    .bind(member_id)
    .bind(next)
    .bind(&formula)
    .bind(cycle)
    .bind(leaves_group)
    .bind(welcome_from)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO renewals (member_id, recorded_by, previous_renewal, new_renewal, \
         previous_formula, new_formula, billing_request_id, cycle, previous_group_id, \
         previous_group_kind, previous_welcome_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(member_id)
    .bind(actor)
    .bind(m.renewal_date)
    .bind(next)
    .bind(&m.formula)
    .bind(&formula)
    .bind(billing_request_id)
    .bind(cycle)
    .bind(m.group_id)
    .bind(&m.group_kind)
    .bind(m.welcome_from)
    .execute(&mut *conn)
    .await?;
    let label = |f: &str| Formula::parse(f).map_or(f.to_string(), |x| x.label().to_string());
    note(
        conn,
        actor,
        member_id,
        "Renouvellement enregistré",
        Some(m.renewal_date.to_string()),
        Some(next.to_string()),
    )
    .await?;
    if formula != m.formula {
        note(
            conn,
            actor,
            member_id,
            "Formule",
            Some(label(&m.formula)),
            Some(label(&formula)),
        )
        .await?;
    }
    Ok(next)
}

/// Records a departure: status lost, date, main reason; the seat is freed
/// (the unique index covers active members only), open planned follow-ups
/// are closed and a billing request not yet invoiced is cancelled.
pub async fn depart(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    member_id: i64,
    lost_on: NaiveDate,
    reason_id: i64,
) -> Result<(), RenewalError> {
    let m = lock(conn, scope, member_id).await?;
    if m.status == "lost" {
        return Err(RenewalError::Refused("Ce membre est déjà perdu.".into()));
    }
    if lost_on < m.join_date {
        return Err(RenewalError::DepartureBeforeJoining(m.join_date));
    }
    let reason: Option<String> =
        sqlx::query_scalar("SELECT label FROM reasons WHERE id = $1 AND active")
            .bind(reason_id)
            .fetch_optional(&mut *conn)
            .await?;
    let reason = reason.ok_or_else(|| {
        RenewalError::Refused("Choisissez la raison principale dans la liste.".into())
    })?;
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = $2, lost_reason_id = $3, \
         version = version + 1, updated_at = now() WHERE id = $1",
    )
    .bind(member_id)
    .bind(lost_on)
    .bind(reason_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE planned_follow_ups SET status = 'done', closed_on = $2 \
         WHERE member_id = $1 AND status = 'open'",
    )
    .bind(member_id)
    .bind(lost_on)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE billing_requests SET status = 'cancelled' WHERE member_id = $1 \
         AND status = 'requested'",
    )
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    note(
        conn,
        actor,
        member_id,
        "Membre perdu",
        None,
        Some(format!("{lost_on} — {reason}")),
    )
    .await?;
    Ok(())
}

/// Brings a lost member back with a new renewal date (a new cycle); an
/// exclusive seat must still be free.
pub async fn reactivate(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    member_id: i64,
    renewal_date: NaiveDate,
) -> Result<(), RenewalError> {
    let m = lock(conn, scope, member_id).await?;
    if m.status != "lost" {
        return Err(RenewalError::Refused("Ce membre est déjà actif.".into()));
    }
    if m.formula == "exclusive" && m.group_kind.as_deref() == Some("A") {
        let holder = seat_holder(conn, m.group_id, &m.profession_key, Some(member_id)).await?;
        if let Some(h) = holder {
            return Err(RenewalError::Refused(seat_taken(&m.profession, Some(&h))));
        }
    }
    let join: NaiveDate = sqlx::query_scalar("SELECT join_date FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_one(&mut *conn)
        .await?;
    if renewal_date <= join {
        return Err(RenewalError::Refused(
            "La date de renouvellement doit suivre la date d'adhésion.".into(),
        ));
    }
    sqlx::query(
        "UPDATE members SET status = 'active', lost_on = NULL, lost_reason_id = NULL, welcome_from = NULL, \
         renewal_date = $2, cycle = cycle + 1, version = version + 1, updated_at = now() \
         WHERE id = $1",
    )
    .bind(member_id)
    .bind(renewal_date)
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("members_exclusive_seat") => {
            RenewalError::Refused(seat_taken(&m.profession, None))
        }
        _ => RenewalError::Db(e),
    })?;
    note(
        conn,
        actor,
        member_id,
        "Membre réactivé",
        Some(m.renewal_date.to_string()),
        Some(renewal_date.to_string()),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RenewalRow {
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub previous_renewal: NaiveDate,
    pub new_renewal: NaiveDate,
    pub previous_formula: String,
    pub new_formula: String,
}

pub async fn history(pool: &PgPool, member_id: i64) -> Result<Vec<RenewalRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.recorded_at, u.display_name AS recorded_by, r.previous_renewal, \
         r.new_renewal, r.previous_formula, r.new_formula FROM renewals r \
         JOIN users u ON u.id = r.recorded_by WHERE r.member_id = $1 \
         ORDER BY r.recorded_at DESC, r.id DESC",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await
}

/// The renewal that started a member's current cycle, with what undoing it
/// would bring back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LastRenewal {
    pub id: i64,
    pub recorded_at: DateTime<Utc>,
    pub previous_renewal: NaiveDate,
    pub new_renewal: NaiveDate,
    pub previous_formula: String,
    pub new_formula: String,
    pub previous_group_id: Option<i64>,
    pub previous_group_kind: Option<String>,
    pub previous_welcome_from: Option<NaiveDate>,
    pub billing_request_id: Option<i64>,
    /// The request's step before the payment (`received` or `invoice_sent`).
    pub request_back_to: Option<String>,
}

const LAST_RENEWAL: &str = "SELECT r.id, r.recorded_at, r.previous_renewal, r.new_renewal, \
     r.previous_formula, r.new_formula, r.previous_group_id, \
     r.previous_group_kind::text AS previous_group_kind, r.previous_welcome_from, \
     r.billing_request_id, \
     CASE WHEN b.id IS NULL THEN NULL WHEN b.received_at IS NOT NULL THEN 'received' \
          ELSE 'invoice_sent' END AS request_back_to \
     FROM renewals r JOIN members m ON m.id = r.member_id AND r.cycle = m.cycle \
     LEFT JOIN billing_requests b ON b.id = r.billing_request_id \
     WHERE m.status = 'active' AND r.member_id = ";

/// The renewal that started the member's current cycle, if the member is
/// active and in scope.
pub async fn last_renewal(
    pool: &PgPool,
    scope: Scope,
    member_id: i64,
) -> Result<Option<LastRenewal>, sqlx::Error> {
    let mut qb = QueryBuilder::new(LAST_RENEWAL);
    qb.push_bind(member_id);
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY r.id DESC LIMIT 1");
    qb.build_query_as().fetch_optional(pool).await
}

/// Undoes a renewal recorded by mistake (direction): the previous date,
/// formula, group and cycle come back, the billing request returns to its
/// step before the payment, the renewal row goes (the tallies follow), and
/// the audit log keeps the trace. Refused once anything was recorded on the
/// new cycle (a follow-up, a billing request, a reason, an escalation).
pub async fn undo(
    conn: &mut PgConnection,
    scope: Scope,
    actor: i64,
    member_id: i64,
) -> Result<LastRenewal, RenewalError> {
    let m = lock(conn, scope, member_id).await?;
    let mut qb = QueryBuilder::new(LAST_RENEWAL);
    qb.push_bind(member_id);
    qb.push(" ORDER BY r.id DESC LIMIT 1 FOR UPDATE OF r");
    let last: LastRenewal = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            RenewalError::Refused(
                "Aucun renouvellement à annuler : le cycle en cours ne vient pas d'un \
                 renouvellement enregistré."
                    .into(),
            )
        })?;
    let recorded_since: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM follow_ups WHERE member_id = $1 AND cycle = $2) \
         OR EXISTS (SELECT 1 FROM billing_requests WHERE member_id = $1 AND cycle = $2) \
         OR EXISTS (SELECT 1 FROM member_reasons WHERE member_id = $1 AND at >= $3) \
         OR EXISTS (SELECT 1 FROM escalations WHERE member_id = $1 AND raised_at >= $3)",
    )
    .bind(member_id)
    .bind(m.cycle)
    .bind(last.recorded_at)
    .fetch_one(&mut *conn)
    .await?;
    if recorded_since {
        return Err(RenewalError::Refused(
            "Ce renouvellement ne peut plus être annulé : un suivi, une demande de \
             facturation, une raison ou une escalade a déjà été consigné dans le nouveau \
             cycle."
                .into(),
        ));
    }
    // The group left with a formula change comes back with the formula.
    let (group_id, group_kind) = if m.group_id.is_none() && last.previous_formula == "exclusive" {
        (last.previous_group_id, last.previous_group_kind.clone())
    } else {
        (m.group_id, m.group_kind.clone())
    };
    if last.previous_formula == "exclusive" && group_kind.as_deref() == Some("A") {
        let holder = seat_holder(conn, group_id, &m.profession_key, Some(member_id)).await?;
        if let Some(h) = holder {
            return Err(RenewalError::Refused(format!(
                "Ce renouvellement ne peut pas être annulé : le siège exclusif a été repris. {}",
                seat_taken(&m.profession, Some(&h))
            )));
        }
    }
    sqlx::query(
        "UPDATE members SET renewal_date = $2, formula = $3, cycle = cycle - 1, \
         group_id = $4, group_kind = $5::char(1), welcome_from = $6, version = version + 1, \
         updated_at = now() WHERE id = $1",
    )
    .bind(member_id)
    .bind(last.previous_renewal)
    .bind(&last.previous_formula)
    .bind(group_id)
    .bind(&group_kind)
    .bind(last.previous_welcome_from)
    .execute(&mut *conn)
    .await?;
    if let (Some(request), Some(back)) = (last.billing_request_id, &last.request_back_to) {
        sqlx::query(
            "UPDATE billing_requests SET status = $2, paid_at = NULL, paid_by = NULL \
             WHERE id = $1",
        )
        .bind(request)
        .bind(back)
        .execute(&mut *conn)
        .await?;
        let label = |s: &str| {
            crate::domain::billing::Status::parse(s).map_or(s.to_string(), |x| x.label().into())
        };
        note(
            conn,
            actor,
            member_id,
            "Demande de facturation",
            Some(label("paid")),
            Some(label(back)),
        )
        .await?;
    }
    sqlx::query("DELETE FROM renewals WHERE id = $1")
        .bind(last.id)
        .execute(&mut *conn)
        .await?;
    note(
        conn,
        actor,
        member_id,
        "Renouvellement annulé",
        Some(last.new_renewal.to_string()),
        Some(last.previous_renewal.to_string()),
    )
    .await?;
    if last.previous_formula != last.new_formula {
        let label = |f: &str| Formula::parse(f).map_or(f.to_string(), |x| x.label().to_string());
        note(
            conn,
            actor,
            member_id,
            "Formule",
            Some(label(&last.new_formula)),
            Some(label(&last.previous_formula)),
        )
        .await?;
    }
    Ok(last)
}

/// The departure of a lost member: date and main reason.
pub async fn departure(
    pool: &PgPool,
    member_id: i64,
) -> Result<Option<(NaiveDate, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.lost_on, r.label FROM members m JOIN reasons r ON r.id = m.lost_reason_id \
         WHERE m.id = $1 AND m.status = 'lost'",
    )
    .bind(member_id)
    .fetch_optional(pool)
    .await
}
