//! Deactivating a person, in one transaction: their sessions and unused
//! password links end, their members go to a representative of the same
//! district (or become orphans) with their open planned follow-ups, and
//! the escalations waiting for their answer find another receiver.
//!
//! Receivers are given by an escalation's level (domain::escalation:
//! district level → the managers of the member's district; direction and
//! customer service → direction). So when the last active manager of a
//! district leaves, that district's pending district-level escalations go
//! up to direction; and an escalation this person had taken in charge is
//! open again for the other receivers of its level.
use chrono::NaiveDate;
use sqlx::PgConnection;

use crate::domain::escalation::{Status, due_on};
use crate::domain::user::Role;
use crate::store::audit::{self, Change};
use crate::store::portfolios::{self, MoveError};
use crate::store::{password_links, users};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub members: u64,
    pub planned: u64,
    /// District-level escalations handed up to direction.
    pub escalated: u64,
    /// Escalations this person had taken in charge, open again.
    pub released: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DeactivateError {
    #[error("Vous ne pouvez pas désactiver votre propre compte.")]
    OwnAccount,
    #[error("Ce compte est déjà désactivé.")]
    AlreadyInactive,
    #[error("introuvable")]
    NotFound,
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The text of the escalation opened for direction.
const HANDED_UP: &str = "Escalade transmise à la direction : la personne qui gérait ce district \
     a été désactivée et le district n'a plus de gestionnaire actif.";

pub async fn deactivate(
    conn: &mut PgConnection,
    actor_id: i64,
    user_id: i64,
    target_rep: Option<i64>,
    today: NaiveDate,
) -> Result<Outcome, DeactivateError> {
    if actor_id == user_id {
        return Err(DeactivateError::OwnAccount);
    }
    let found: Option<(String, Option<i64>, bool)> =
        sqlx::query_as("SELECT role, district_id, active FROM users WHERE id = $1 FOR UPDATE")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    let (role, district_id, active) = found.ok_or(DeactivateError::NotFound)?;
    if !active {
        return Err(DeactivateError::AlreadyInactive);
    }
    users::set_active(conn, Some(actor_id), user_id, false).await?;
    password_links::revoke_all(conn, user_id).await?;
    let moved = portfolios::hand_over(conn, actor_id, user_id, district_id, target_rep).await?;
    let mut outcome = Outcome {
        members: moved.members,
        planned: moved.planned,
        ..Outcome::default()
    };
    if Role::parse(&role) == Some(Role::DistrictManager)
        && let Some(d) = district_id
    {
        outcome.escalated = hand_up_if_unmanaged(conn, actor_id, d, today).await?;
    }
    outcome.released = release_taken_in_charge(conn, actor_id, user_id).await?;
    audit::record(
        conn,
        Some(actor_id),
        Change {
            entity: "user",
            entity_id: user_id,
            field: "Désactivation",
            old_value: None,
            new_value: Some(format!(
                "{} membre(s) déplacé(s), {} relance(s) prévue(s), {} escalade(s) transmise(s), \
                 {} prise(s) en charge libérée(s)",
                outcome.members, outcome.planned, outcome.escalated, outcome.released
            )),
        },
    )
    .await?;
    Ok(outcome)
}

/// When no active manager is left in the district, its pending
/// district-level escalations go up to direction (the usual chain: the
/// parent is marked escalated, a direction-level child points at it).
async fn hand_up_if_unmanaged(
    conn: &mut PgConnection,
    actor_id: i64,
    district_id: i64,
    today: NaiveDate,
) -> Result<u64, sqlx::Error> {
    let managers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'district_manager' AND active \
         AND district_id = $1",
    )
    .bind(district_id)
    .fetch_one(&mut *conn)
    .await?;
    if managers > 0 {
        return Ok(0);
    }
    let n: i64 = sqlx::query_scalar(
        "WITH up AS ( \
           SELECT e.id, e.member_id, e.reason_id, e.status FROM escalations e \
           JOIN members m ON m.id = e.member_id \
           WHERE e.level = 'district' AND e.status IN ('open', 'acknowledged') \
             AND m.district_id = $1 FOR UPDATE OF e), \
         children AS ( \
           INSERT INTO escalations (member_id, raised_by, level, reason_id, body, due_on, parent_id) \
           SELECT member_id, $2, 'direction', reason_id, $3, $4, id FROM up RETURNING id), \
         parents AS ( \
           UPDATE escalations e SET status = 'escalated' FROM up WHERE e.id = up.id \
           RETURNING e.id), \
         logged AS ( \
           INSERT INTO audit_log (actor_id, entity, entity_id, field, old_value, new_value) \
           SELECT $2, 'escalation', id, 'Statut', \
                  CASE status WHEN 'open' THEN $5 ELSE $6 END, $7 FROM up \
           UNION ALL \
           SELECT $2, 'escalation', id, 'Escalade ouverte', NULL, 'Direction' FROM children \
           RETURNING 1) \
         SELECT (SELECT count(*) FROM parents) + 0 * (SELECT count(*) FROM logged)",
    )
    .bind(district_id)
    .bind(actor_id)
    .bind(HANDED_UP)
    .bind(due_on(today))
    .bind(Status::Open.label())
    .bind(Status::Acknowledged.label())
    .bind(Status::Escalated.label())
    .fetch_one(&mut *conn)
    .await?;
    Ok(n as u64)
}

/// Escalations this person had taken in charge and not yet answered are
/// open again: the other receivers of their level see them as waiting.
async fn release_taken_in_charge(
    conn: &mut PgConnection,
    actor_id: i64,
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "WITH released AS ( \
           UPDATE escalations SET status = 'open', acknowledged_at = NULL, acknowledged_by = NULL \
           WHERE acknowledged_by = $1 AND status = 'acknowledged' RETURNING id), \
         logged AS ( \
           INSERT INTO audit_log (actor_id, entity, entity_id, field, old_value, new_value) \
           SELECT $2, 'escalation', id, 'Statut', $3, $4 FROM released RETURNING 1) \
         SELECT (SELECT count(*) FROM released) + 0 * (SELECT count(*) FROM logged)",
    )
    .bind(user_id)
    .bind(actor_id)
    .bind(Status::Acknowledged.label())
    .bind(Status::Open.label())
    .fetch_one(&mut *conn)
    .await?;
    Ok(n as u64)
}
