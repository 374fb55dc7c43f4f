//! Shared set-up for the meetings and engagement tests: the accounts
//! world with a group A in district A (two members of rep_a1, one of
//! rep_a2), a group in district B, the sheet's form and its lines.
use sqlx::PgPool;

use super::accounts::{self, World};
use super::actions::Browser;
use super::builders::{MemberBuilder, insert_group};

/// 2026-11-24, the world's today, is a Tuesday: the groups' meeting day.
pub const MEETING: &str = "2026-11-24";

pub struct Club {
    pub w: World,
    pub group: i64,
    /// rep_a1's members in `group`.
    pub anne: i64,
    pub bruno: i64,
    /// rep_a2's member in `group`.
    pub carl: i64,
    /// A group of district B, with rep_b's member.
    pub group_b: i64,
}

async fn seated(pool: &PgPool, district: i64, group: i64, name: &str, job: &str, rep: i64) -> i64 {
    MemberBuilder::new(district)
        .name(name, "Test")
        .profession(job)
        .exclusive_in(group, "A")
        .rep(rep)
        .joined("2024-01-10")
        .renewing("2027-02-10")
        .insert(pool)
        .await
}

pub async fn club() -> Club {
    let w = accounts::world().await;
    let pool = &w.app.pool;
    let group = insert_group(pool, w.district_a, "Capitale Affaires", "A").await;
    let anne = seated(pool, w.district_a, group, "Anne", "Notaire", w.rep_a1).await;
    let bruno = seated(pool, w.district_a, group, "Bruno", "Plombier", w.rep_a1).await;
    let carl = seated(pool, w.district_a, group, "Carl", "Dentiste", w.rep_a2).await;
    let group_b = insert_group(pool, w.district_b, "Rive-Sud Affaires", "A").await;
    seated(pool, w.district_b, group_b, "Denis", "Notaire", w.rep_b).await;
    Club {
        w,
        group,
        anne,
        bruno,
        carl,
        group_b,
    }
}

/// The sheet's fields for `members` as the page sends them untouched
/// (« Présence », zeros), with `changes` (field, member, value) applied
/// and each line at `version`.
pub fn sheet(members: &[(i64, i32)], changes: &[(&str, i64, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (id, version) in members {
        out.push((format!("version-{id}"), version.to_string()));
        for (field, default) in [
            ("presence", "present"),
            ("donnees", "0"),
            ("valeur-donnees", ""),
            ("recues", "0"),
            ("valeur-recues", ""),
            ("visiteurs", "0"),
            ("tete-a-tete", "0"),
            ("merci", ""),
            ("note", ""),
        ] {
            let value = changes
                .iter()
                .find(|(f, m, _)| *f == field && m == id)
                .map_or(default, |(_, _, v)| *v);
            out.push((format!("{field}-{id}"), value.to_string()));
        }
    }
    out
}

/// Posts the sheet of `group` on `day`.
pub async fn save_sheet(
    b: &Browser<'_>,
    group: i64,
    day: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(&format!("/groupes/{group}/rencontres/{day}"), &pairs)
        .await
}

/// A line written straight into the database (a meeting row is created
/// if needed): for figures worked out by hand.
pub async fn insert_line(
    pool: &PgPool,
    group: i64,
    member: i64,
    day: &str,
    attendance: &str,
    received: i32,
) {
    let day = super::builders::date(day);
    let meeting: i64 = sqlx::query_scalar(
        "INSERT INTO meetings (group_id, held_on) VALUES ($1, $2) \
         ON CONFLICT (group_id, held_on) DO UPDATE SET added = meetings.added RETURNING id",
    )
    .bind(group)
    .bind(day)
    .fetch_one(pool)
    .await
    .expect("rencontre");
    sqlx::query(
        "INSERT INTO meeting_lines (meeting_id, member_id, held_on, attendance, \
         referrals_received, referrals_given) VALUES ($1, $2, $3, $4, $5, 1)",
    )
    .bind(meeting)
    .bind(member)
    .bind(day)
    .bind(attendance)
    .bind(received)
    .execute(pool)
    .await
    .expect("ligne");
}
