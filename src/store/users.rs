//! Users and login attempts.
use sqlx::{PgConnection, PgPool};

use crate::domain::user::{Email, Role};
use crate::store::audit::{self, Change};

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub district_id: Option<i64>,
    pub district_name: Option<String>,
    pub active: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub district_id: Option<i64>,
    pub district_name: Option<String>,
    pub active: bool,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User, sqlx::Error> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| sqlx::Error::Decode(format!("rôle inconnu {}", self.role).into()))?;
        Ok(User {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            role,
            district_id: self.district_id,
            district_name: self.district_name,
            active: self.active,
        })
    }
}

/// The columns of `UserRow`, for queries joining `users u` and `districts d`.
macro_rules! user_columns {
    () => {
        "u.id, u.email, u.display_name, u.role, u.district_id, d.name AS district_name, u.active"
    };
}
pub(crate) use user_columns;

pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub district_id: Option<i64>,
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("Un compte existe déjà avec ce courriel.")]
    DuplicateEmail,
    #[error("Ce rôle demande un district.")]
    MissingDistrict,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a user and audits it, in the caller's transaction.
pub async fn create(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    new: &NewUser,
) -> Result<i64, CreateUserError> {
    if new.role.needs_district() && new.district_id.is_none() {
        return Err(CreateUserError::MissingDistrict);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, display_name, role, district_id, password_hash) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(new.email.as_str())
    .bind(&new.display_name)
    .bind(new.role.as_str())
    .bind(new.district_id)
    .bind(&new.password_hash)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("users_email_key") => {
            CreateUserError::DuplicateEmail
        }
        _ => CreateUserError::Db(e),
    })?;
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "user",
            entity_id: id,
            field: "created",
            old_value: None,
            new_value: Some(format!("{} ({})", new.email.as_str(), new.role.as_str())),
        },
    )
    .await?;
    Ok(id)
}

/// What the login check needs: the user and their password hash.
pub async fn find_for_login(
    pool: &PgPool,
    email: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        ", u.password_hash FROM users u \
         LEFT JOIN districts d ON d.id = u.district_id WHERE lower(u.email) = lower($1)"
    );
    let row: Option<Row> = sqlx::query_as(sql).bind(email).fetch_optional(pool).await?;
    row.map(|r| Ok((r.user.into_user()?, r.password_hash)))
        .transpose()
}

pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(pool)
        .await
}

pub async fn set_active(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    user_id: i64,
    active: bool,
) -> Result<bool, sqlx::Error> {
    let old: Option<bool> = sqlx::query_scalar(
        "WITH old AS (SELECT id, active FROM users WHERE id = $1 FOR UPDATE) \
         UPDATE users u SET active = $2, updated_at = now() FROM old \
         WHERE u.id = old.id RETURNING old.active",
    )
    .bind(user_id)
    .bind(active)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(old) = old else { return Ok(false) };
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
    }
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "user",
            entity_id: user_id,
            field: "active",
            old_value: Some(old.to_string()),
            new_value: Some(active.to_string()),
        },
    )
    .await?;
    Ok(true)
}

pub async fn district_id_by_name(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM districts WHERE lower(name) = lower($1)")
        .bind(name.trim())
        .fetch_optional(conn)
        .await
}

/// The login throttle's limits (README, « Sécurité »).
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub window_minutes: i32,
    /// Failures for one account from one address before that address is
    /// refused for that account.
    pub per_account_and_address: i64,
    /// Failures from one address, all accounts together.
    pub per_address: i64,
    /// Failures for one account from anywhere before each new attempt on
    /// it is slowed down (never refused: the owner can still get in).
    pub account_slowdown: i64,
}

/// What the throttle decided about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Evaluate the password; the attempt is already recorded as failed
    /// (id), and becomes a success with `record_success`.
    Admitted {
        attempt_id: i64,
        slow_down: bool,
    },
    Refused,
}

/// Decides and records an attempt in one short transaction, serialised
/// per account and per address by advisory locks, so that a burst of
/// concurrent attempts cannot all be evaluated before any is counted.
pub async fn admit_attempt(
    pool: &PgPool,
    email: &str,
    address: &str,
    policy: ThrottlePolicy,
) -> Result<Admission, sqlx::Error> {
    let email = email.trim().chars().take(254).collect::<String>();
    let mut tx = pool.begin().await?;
    // Account first, then address: never the other way, so no deadlock.
    sqlx::query("SELECT pg_advisory_xact_lock(7101, hashtext(lower($1)))")
        .bind(&email)
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock(7102, hashtext($1))")
        .bind(address)
        .execute(&mut *tx)
        .await?;
    let (pair, by_address, by_account): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
           count(*) FILTER (WHERE lower(email) = lower($1) AND address = $2), \
           count(*) FILTER (WHERE address = $2), \
           count(*) FILTER (WHERE lower(email) = lower($1)) \
         FROM login_attempts \
         WHERE NOT succeeded AND attempted_at > now() - make_interval(mins => $3) \
           AND (lower(email) = lower($1) OR address = $2)",
    )
    .bind(&email)
    .bind(address)
    .bind(policy.window_minutes)
    .fetch_one(&mut *tx)
    .await?;
    if pair >= policy.per_account_and_address || by_address >= policy.per_address {
        tx.rollback().await?;
        return Ok(Admission::Refused);
    }
    let attempt_id: i64 = sqlx::query_scalar(
        "INSERT INTO login_attempts (email, address, succeeded) VALUES ($1, $2, false) \
         RETURNING id",
    )
    .bind(&email)
    .bind(address)
    .fetch_one(&mut *tx)
    .await?;
    // Keep the table small: old attempts are of no use.
    sqlx::query("DELETE FROM login_attempts WHERE attempted_at < now() - interval '1 day'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Admission::Admitted {
        attempt_id,
        slow_down: by_account >= policy.account_slowdown,
    })
}

/// The admitted attempt succeeded: it is marked so, and the account's
/// failures are forgotten (in the caller's transaction, with the session).
pub async fn record_success(
    tx: &mut PgConnection,
    attempt_id: i64,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_attempts SET succeeded = true WHERE id = $1")
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM login_attempts WHERE lower(email) = lower($1) AND NOT succeeded")
        .bind(email.trim())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
