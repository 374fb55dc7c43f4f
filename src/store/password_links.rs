//! One-time links to choose a password. Like sessions, only the SHA-256 of
//! the token is stored; a link is valid for a while and used once.
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::password;
use crate::store::audit::{self, Change};

/// How long a link stays valid.
pub const VALID_HOURS: i32 = 72;

/// A new link for `user_id` (any earlier unused link of theirs stops
/// working). Returns the token to put in the address and its expiry.
pub async fn issue(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    user_id: i64,
) -> Result<(String, DateTime<Utc>), sqlx::Error> {
    sqlx::query("DELETE FROM password_links WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let (token, hash) = password::new_token();
    let expires_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO password_links (token_hash, user_id, created_by, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(hours => $4)) RETURNING expires_at",
    )
    .bind(&hash)
    .bind(user_id)
    .bind(actor_id)
    .bind(VALID_HOURS)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "user",
            entity_id: user_id,
            field: "Lien de mot de passe",
            old_value: None,
            new_value: Some(format!("valide {VALID_HOURS} heures")),
        },
    )
    .await?;
    Ok((token, expires_at))
}

/// Who a valid link is for: unused, not expired, account active.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkOwner {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub expires_at: DateTime<Utc>,
}

/// A link still usable (`l` the link, `u` its user).
macro_rules! valid {
    () => {
        "l.used_at IS NULL AND l.expires_at > now() AND u.active"
    };
}

pub async fn find_valid(pool: &PgPool, token: &str) -> Result<Option<LinkOwner>, sqlx::Error> {
    let sql = concat!(
        "SELECT u.id AS user_id, u.email, u.display_name, l.expires_at \
         FROM password_links l JOIN users u ON u.id = l.user_id \
         WHERE l.token_hash = $1 AND ",
        valid!()
    );
    sqlx::query_as(sql)
        .bind(password::token_hash(token))
        .fetch_optional(pool)
        .await
}

/// Marks a valid link used and says whose it was; `None` when it was not
/// valid (already used — perhaps a second ago in another tab —, expired,
/// unknown, or the account deactivated).
pub async fn consume(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<LinkOwner>, sqlx::Error> {
    let sql = concat!(
        "UPDATE password_links l SET used_at = now() FROM users u \
         WHERE u.id = l.user_id AND l.token_hash = $1 AND ",
        valid!(),
        " RETURNING u.id AS user_id, u.email, u.display_name, l.expires_at"
    );
    sqlx::query_as(sql)
        .bind(password::token_hash(token))
        .fetch_optional(conn)
        .await
}

/// Ends every unused link of a user (deactivation).
pub async fn revoke_all(conn: &mut PgConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_links WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
