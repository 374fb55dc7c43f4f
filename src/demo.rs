//! Demo data for `serve --demo`: created only on a database without users.
use sqlx::PgPool;

use crate::domain::user::{Email, Role};
use crate::password;
use crate::store::users::{self, NewUser};

/// The password of every demo account (printed on the console).
pub const DEMO_PASSWORD: &str = "demo-renouvo";

pub struct DemoLogin {
    pub email: String,
    pub role: Role,
}

const DISTRICTS: [&str; 3] = ["Montréal", "Capitale-Nationale", "Montérégie"];

/// (email, display name, role, district index)
const DEMO_USERS: [(&str, &str, Role, Option<usize>); 4] = [
    (
        "direction@demo.renouvo.ca",
        "Hélène Bouchard",
        Role::Direction,
        None,
    ),
    (
        "gestion.montreal@demo.renouvo.ca",
        "Marc-André Gagnon",
        Role::DistrictManager,
        Some(0),
    ),
    (
        "rep.montreal@demo.renouvo.ca",
        "Sophie Lavoie",
        Role::Representative,
        Some(0),
    ),
    (
        "facturation@demo.renouvo.ca",
        "Julie Pelletier",
        Role::Billing,
        None,
    ),
];

/// Seeds the demo when the database has no user; returns the logins created.
pub async fn seed(pool: &PgPool) -> anyhow::Result<Option<Vec<DemoLogin>>> {
    if users::count(pool).await? > 0 {
        return Ok(None);
    }
    let hash = tokio::task::spawn_blocking(|| password::hash(DEMO_PASSWORD)).await??;
    let mut tx = pool.begin().await?;
    let mut district_ids = Vec::new();
    for name in DISTRICTS {
        let id: i64 = sqlx::query_scalar("INSERT INTO districts (name) VALUES ($1) RETURNING id")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        district_ids.push(id);
    }
    let mut logins = Vec::new();
    for (email, name, role, district) in DEMO_USERS {
        let email = Email::parse(email).map_err(anyhow::Error::msg)?;
        let new = NewUser {
            email: email.clone(),
            display_name: name.to_string(),
            role,
            district_id: district.and_then(|i| district_ids.get(i).copied()),
            password_hash: hash.clone(),
        };
        users::create(&mut tx, None, &new).await?;
        logins.push(DemoLogin {
            email: email.as_str().to_string(),
            role,
        });
    }
    tx.commit().await?;
    Ok(Some(logins))
}
