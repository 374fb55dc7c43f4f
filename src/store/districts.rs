//! Districts: the territories of the network. Only direction manages them;
//! every write records its audit rows in the caller's transaction.
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::store::audit::{self, Change};

pub const NAME_MAX: usize = 120;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct District {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub version: i32,
}

/// A row of the districts list, with its counts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DistrictSummary {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub groups: i64,
    pub active_groups: i64,
    pub active_members: i64,
    pub managers: i64,
    pub representatives: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DistrictError {
    #[error("Un district porte déjà ce nom.")]
    DuplicateName,
    #[error("district introuvable")]
    NotFound,
    /// Someone else saved the district since the form was opened.
    #[error("le district a changé entre-temps")]
    Stale,
    /// Deactivation refused: the district still has this many active groups.
    #[error("le district a encore {0} groupe(s) actif(s)")]
    HasActiveGroups(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn map_write_error(e: sqlx::Error) -> DistrictError {
    match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("districts_name_key") => {
            DistrictError::DuplicateName
        }
        _ => DistrictError::Db(e),
    }
}

pub async fn list(pool: &PgPool) -> Result<Vec<DistrictSummary>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, d.name, d.active, \
           (SELECT count(*) FROM groups g WHERE g.district_id = d.id) AS groups, \
           (SELECT count(*) FROM groups g WHERE g.district_id = d.id AND g.active) \
             AS active_groups, \
           (SELECT count(*) FROM members m \
             WHERE m.district_id = d.id AND m.status = 'active') AS active_members, \
           (SELECT count(*) FROM users u WHERE u.district_id = d.id AND u.active \
             AND u.role = 'district_manager') AS managers, \
           (SELECT count(*) FROM users u WHERE u.district_id = d.id AND u.active \
             AND u.role = 'representative') AS representatives \
         FROM districts d ORDER BY d.active DESC, lower(d.name), d.id",
    )
    .fetch_all(pool)
    .await
}

pub async fn find<'e>(conn: impl PgExecutor<'e>, id: i64) -> Result<Option<District>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, active, version FROM districts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The districts a group may be placed in: the active ones, plus `keep`
/// (a group's current district, even if it was deactivated since).
pub async fn choices(pool: &PgPool, keep: Option<i64>) -> Result<Vec<District>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, active, version FROM districts WHERE active OR id = $1 \
         ORDER BY lower(name), id",
    )
    .bind(keep)
    .fetch_all(pool)
    .await
}

/// Every district, for a list filter.
pub async fn all(pool: &PgPool) -> Result<Vec<District>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, active, version FROM districts ORDER BY lower(name), id")
        .fetch_all(pool)
        .await
}

pub async fn create(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    name: &str,
) -> Result<i64, DistrictError> {
    let id: i64 = sqlx::query_scalar("INSERT INTO districts (name) VALUES ($1) RETURNING id")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(map_write_error)?;
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "district",
            entity_id: id,
            field: "created",
            old_value: None,
            new_value: Some(name.to_string()),
        },
    )
    .await?;
    Ok(id)
}

pub async fn rename(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    id: i64,
    version: i32,
    name: &str,
) -> Result<(), DistrictError> {
    let current: Option<(String, i32)> =
        sqlx::query_as("SELECT name, version FROM districts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (old, current_version) = current.ok_or(DistrictError::NotFound)?;
    if current_version != version {
        return Err(DistrictError::Stale);
    }
    sqlx::query("UPDATE districts SET name = $2, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(&mut *conn)
        .await
        .map_err(map_write_error)?;
    if old != name {
        audit::record(
            conn,
            actor_id,
            Change {
                entity: "district",
                entity_id: id,
                field: "name",
                old_value: Some(old),
                new_value: Some(name.to_string()),
            },
        )
        .await?;
    }
    Ok(())
}

/// How many active groups a district still has (it cannot be deactivated
/// while there are any).
pub async fn active_groups<'e>(conn: impl PgExecutor<'e>, id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM groups WHERE district_id = $1 AND active")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Activates or deactivates a district; a district with active groups
/// cannot be deactivated. Returns whether anything changed.
pub async fn set_active(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    id: i64,
    active: bool,
) -> Result<bool, DistrictError> {
    let old: Option<bool> =
        sqlx::query_scalar("SELECT active FROM districts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let old = old.ok_or(DistrictError::NotFound)?;
    if old == active {
        return Ok(false);
    }
    if !active {
        // The lock on the district makes a concurrent group creation wait
        // on the foreign key check, so this count stays true.
        let groups: i64 =
            sqlx::query_scalar("SELECT count(*) FROM groups WHERE district_id = $1 AND active")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        if groups > 0 {
            return Err(DistrictError::HasActiveGroups(groups));
        }
    }
    sqlx::query("UPDATE districts SET active = $2 WHERE id = $1")
        .bind(id)
        .bind(active)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "district",
            entity_id: id,
            field: "active",
            old_value: Some(old.to_string()),
            new_value: Some(active.to_string()),
        },
    )
    .await?;
    Ok(true)
}
