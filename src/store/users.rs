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
    .map_err(|e| {
        if crate::store::violates(&e, "users_email_key") {
            CreateUserError::DuplicateEmail
        } else {
            CreateUserError::Db(e)
        }
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

/// Records a successful login (shown in the user list), in the login's
/// transaction.
pub async fn record_login(conn: &mut PgConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_login_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user list's filters.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub district_id: Option<i64>,
    pub active: Option<bool>,
    pub text: String,
}

/// One line of the user list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserLine {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub district_id: Option<i64>,
    pub district_name: Option<String>,
    pub active: bool,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Active members whose representative this person is.
    pub members: i64,
    pub version: i32,
}

impl UserLine {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

const LINE_SELECT: &str = "SELECT u.id, u.email, u.display_name, u.role, u.district_id, \
     d.name AS district_name, u.active, u.last_login_at, \
     (SELECT count(*) FROM members m WHERE m.representative_id = u.id \
        AND m.status = 'active') AS members, u.version \
     FROM users u LEFT JOIN districts d ON d.id = u.district_id";

/// `district`: a district manager sees the people of their district only.
fn push_user_where(
    qb: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    district: Option<i64>,
    f: &UserFilter,
) {
    qb.push(" WHERE true");
    if let Some(d) = district {
        qb.push(" AND u.district_id = ");
        qb.push_bind(d);
    }
    if let Some(role) = f.role {
        qb.push(" AND u.role = ");
        qb.push_bind(role.as_str());
    }
    if let Some(d) = f.district_id {
        qb.push(" AND u.district_id = ");
        qb.push_bind(d);
    }
    if let Some(active) = f.active {
        qb.push(" AND u.active = ");
        qb.push_bind(active);
    }
    let text = f.text.trim().to_lowercase();
    if !text.is_empty() {
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(" AND (lower(u.display_name) LIKE ");
        qb.push_bind(pattern.clone());
        qb.push(" OR lower(u.email) LIKE ");
        qb.push_bind(pattern);
        qb.push(")");
    }
}

/// A page of users (by name) and the number of matches.
pub async fn list(
    pool: &PgPool,
    district: Option<i64>,
    filter: &UserFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserLine>, i64), sqlx::Error> {
    let mut count = sqlx::QueryBuilder::new("SELECT count(*) FROM users u");
    push_user_where(&mut count, district, filter);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    let mut qb = sqlx::QueryBuilder::new(LINE_SELECT);
    push_user_where(&mut qb, district, filter);
    qb.push(" ORDER BY lower(u.display_name), u.id ");
    crate::store::push_limit(&mut qb, limit, Some(offset));
    let rows = qb.build_query_as().fetch_all(pool).await?;
    Ok((rows, total))
}

/// One user as the admin pages show it, if within `district` (when given).
pub async fn find_line(
    pool: &PgPool,
    district: Option<i64>,
    id: i64,
) -> Result<Option<UserLine>, sqlx::Error> {
    let mut qb = sqlx::QueryBuilder::new(LINE_SELECT);
    push_user_where(&mut qb, district, &UserFilter::default());
    qb.push(" AND u.id = ");
    qb.push_bind(id);
    qb.build_query_as().fetch_optional(pool).await
}

/// An active district, by id (the user form's choice).
pub async fn district_is_active(
    conn: &mut PgConnection,
    district_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<bool> = sqlx::query_scalar("SELECT active FROM districts WHERE id = $1")
        .bind(district_id)
        .fetch_optional(conn)
        .await?;
    Ok(found == Some(true))
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateUserError {
    #[error("champs invalides")]
    Invalid(crate::domain::validation::FieldErrors),
    #[error("modifié entre-temps")]
    Stale,
    #[error("introuvable")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Saves name, role and district as edited on `version` (audited field by
/// field). A person who still has members keeps the representative role
/// and their district: their portfolio is moved first.
pub async fn update(
    conn: &mut PgConnection,
    actor_id: i64,
    id: i64,
    version: i32,
    draft: &crate::domain::user::UserDraft,
) -> Result<(), UpdateUserError> {
    use crate::domain::validation::FieldErrors;
    #[derive(sqlx::FromRow)]
    struct Old {
        display_name: String,
        role: String,
        district_id: Option<i64>,
        district_name: Option<String>,
        version: i32,
        members: i64,
    }
    let old: Option<Old> = sqlx::query_as(
        "SELECT u.display_name, u.role, u.district_id, d.name AS district_name, u.version, \
         (SELECT count(*) FROM members m WHERE m.representative_id = u.id) AS members \
         FROM users u LEFT JOIN districts d ON d.id = u.district_id WHERE u.id = $1 \
         FOR UPDATE OF u",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let old = old.ok_or(UpdateUserError::NotFound)?;
    if old.version != version {
        return Err(UpdateUserError::Stale);
    }
    let mut e = FieldErrors::new();
    if let Some(d) = draft.district_id
        && !district_is_active(conn, d).await?
    {
        e.add(
            "district_id",
            "Choisissez un district actif parmi ceux proposés.",
        );
    }
    if old.members > 0 {
        let portfolio = format!(
            "Cette personne a encore {} membre{} : déplacez d'abord son portefeuille \
             (page « Portefeuilles »).",
            old.members,
            if old.members > 1 { "s" } else { "" }
        );
        if draft.role != Role::Representative {
            e.add("role", portfolio.clone());
        } else if draft.district_id != old.district_id {
            e.add("district_id", portfolio);
        }
    }
    if !e.is_empty() {
        return Err(UpdateUserError::Invalid(e));
    }
    let new_district: Option<String> = sqlx::query_scalar(
        "UPDATE users u SET display_name = $2, role = $3, district_id = $4, \
         version = u.version + 1, updated_at = now() WHERE u.id = $1 \
         RETURNING (SELECT name FROM districts WHERE id = $4)",
    )
    .bind(id)
    .bind(&draft.display_name)
    .bind(draft.role.as_str())
    .bind(draft.district_id)
    .fetch_one(&mut *conn)
    .await?;
    let role_label = |r: &str| {
        Role::parse(r)
            .map(|r| r.label().to_string())
            .unwrap_or_default()
    };
    let changes = [
        ("Nom", old.display_name, draft.display_name.clone()),
        (
            "Rôle",
            role_label(&old.role),
            draft.role.label().to_string(),
        ),
        (
            "District",
            old.district_name.unwrap_or_default(),
            new_district.unwrap_or_default(),
        ),
    ];
    for (field, before, after) in changes {
        if before != after {
            audit::record(
                conn,
                Some(actor_id),
                Change {
                    entity: "user",
                    entity_id: id,
                    field,
                    old_value: Some(before),
                    new_value: Some(after),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Replaces a password hash (audited, without the hash) and ends sessions:
/// every one of them, or all but `keep` (the session changing it).
pub async fn set_password(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    user_id: i64,
    password_hash: &str,
    keep: Option<&[u8]>,
    how: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(password_hash)
        .execute(&mut *conn)
        .await?;
    let ended = sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "user",
            entity_id: user_id,
            field: "Mot de passe",
            old_value: None,
            new_value: Some(how.to_string()),
        },
    )
    .await?;
    Ok(ended)
}

/// The password hash of an active user (to check the current password).
pub async fn password_hash(pool: &PgPool, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND active")
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// A stored hash no password matches: the account waits for its
/// set-password link.
pub const NO_PASSWORD: &str = "!";
