//! The district manager's view of representatives' activity, and the
//! reassignment of members.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, QueryBuilder};

use crate::store::audit::{self, Change};
use crate::store::timeline::{
    Months, Timelines, push_held_ranges, push_late_unwelcomed, push_stage_ranges,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RepresentativeActivity {
    pub id: i64,
    pub display_name: String,
    pub active_members: i64,
    pub follow_ups: i64,
    pub planned_missed: i64,
    pub red_state: i64,
}

/// Per active representative of the district: active members (from the
/// portfolio tally of migration 0015, not counted member by member),
/// follow-ups logged since `since` (corrections not counted), planned
/// follow-ups due in
/// [`from`, `today`) that were missed (still open, or closed after their
/// date), members in the red state now.
pub async fn by_representative(
    pool: &PgPool,
    district_id: i64,
    since: DateTime<Utc>,
    from: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<RepresentativeActivity>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.display_name, \
           (SELECT COALESCE(sum(c.active), 0) FROM portfolio_counts c \
              WHERE c.representative_id = u.id)::bigint AS active_members, \
           (SELECT count(*) FROM follow_ups f WHERE f.author_id = u.id \
              AND f.corrects_id IS NULL AND f.at >= $2) AS follow_ups, \
           (SELECT count(*) FROM planned_follow_ups p WHERE p.planned_by = u.id \
              AND p.due_date >= $3 AND p.due_date < $4 \
              AND (p.status = 'open' OR p.closed_on > p.due_date)) AS planned_missed, \
           (SELECT count(*) FROM members m WHERE m.representative_id = u.id \
              AND m.status = 'active' AND m.state = 'red') AS red_state \
         FROM users u WHERE u.role = 'representative' AND u.active AND u.district_id = $1 \
         ORDER BY u.display_name",
    )
    .bind(district_id)
    .bind(since)
    .bind(from)
    .bind(today)
    .fetch_all(pool)
    .await
}

/// Per representative of the district: active members whose current
/// stage has no follow-up yet in this cycle. Each stage is a range of
/// renewal dates per formula and term (`push_stage_ranges`), read on the
/// district's stage index with the stages each member has done. Nothing
/// of the district's members is loaded.
pub async fn undone_by_representative(
    pool: &PgPool,
    district_id: i64,
    timelines: &Timelines,
    today: NaiveDate,
) -> Result<HashMap<i64, i64>, sqlx::Error> {
    // One range scan per stage on the district's covering index, which
    // carries each member's stages done in the current cycle (migration
    // 0020): nothing else is read. (OFFSET 0 keeps the subquery a
    // lateral scan per range, instead of one merge over the district.)
    let mut qb = QueryBuilder::new(
        "SELECT m.representative_id, count(*) FROM (SELECT m.representative_id FROM ",
    );
    push_stage_ranges(&mut qb, timelines, today, Months::None);
    qb.push(
        " CROSS JOIN LATERAL (SELECT m.representative_id FROM members m \
         WHERE m.status = 'active' AND m.district_id = ",
    );
    qb.push_bind(district_id);
    qb.push(
        " AND m.formula = v.formula AND m.term_months = v.term_months \
         AND m.renewal_date >= v.date_from AND m.renewal_date < v.date_until \
         AND m.representative_id IS NOT NULL AND NOT (v.stage = ANY (m.stages_done)) \
         OFFSET 0) m",
    );
    // A member that a late renewal holds in the first stage has that stage
    // to do, even when the stage by date (counted above only if undone)
    // has a follow-up: those are added here, from the partial index of
    // migration 0026.
    qb.push(" UNION ALL SELECT m.representative_id FROM ");
    push_held_ranges(&mut qb, timelines, today, Months::None);
    qb.push(
        " CROSS JOIN LATERAL (SELECT m.representative_id FROM members m WHERE m.district_id = ",
    );
    qb.push_bind(district_id);
    push_late_unwelcomed(&mut qb, today);
    qb.push(
        " AND m.formula = h.formula AND m.term_months = h.term_months \
         AND m.renewal_date >= h.date_from AND m.renewal_date < h.date_until \
         AND m.representative_id IS NOT NULL AND h.stage = ANY (m.stages_done)) m",
    );
    qb.push(") m GROUP BY 1");
    let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().collect())
}

#[derive(Debug, thiserror::Error)]
pub enum ReassignError {
    #[error("Choisissez un·e représentant·e actif de votre district.")]
    UnknownRepresentative,
    #[error("Cochez au moins un membre.")]
    NothingChosen,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Gives members of `district_id` (and only those) to a representative of
/// the same district; one audit row per member. Returns how many moved.
pub async fn reassign(
    conn: &mut PgConnection,
    actor_id: i64,
    district_id: i64,
    member_ids: &[i64],
    representative_id: i64,
) -> Result<u64, ReassignError> {
    if member_ids.is_empty() {
        return Err(ReassignError::NothingChosen);
    }
    let rep: Option<String> = sqlx::query_scalar(
        "SELECT display_name FROM users WHERE id = $1 AND role = 'representative' AND active \
         AND district_id = $2",
    )
    .bind(representative_id)
    .bind(district_id)
    .fetch_optional(&mut *conn)
    .await?;
    let rep = rep.ok_or(ReassignError::UnknownRepresentative)?;
    let moved: Vec<(i64, Option<String>)> = sqlx::query_as(
        "WITH chosen AS ( \
           SELECT m.id, u.display_name AS old_name FROM members m \
           LEFT JOIN users u ON u.id = m.representative_id \
           WHERE m.id = ANY($1) AND m.district_id = $2 \
             AND m.representative_id IS DISTINCT FROM $3 FOR UPDATE OF m) \
         UPDATE members m SET representative_id = $3, version = m.version + 1, \
           updated_at = now() FROM chosen WHERE m.id = chosen.id \
         RETURNING m.id, chosen.old_name",
    )
    .bind(member_ids)
    .bind(district_id)
    .bind(representative_id)
    .fetch_all(&mut *conn)
    .await?;
    for (id, old) in &moved {
        audit::record(
            conn,
            Some(actor_id),
            Change {
                entity: "member",
                entity_id: *id,
                field: "Représentant·e",
                old_value: Some(old.clone().unwrap_or_default()),
                new_value: Some(rep.clone()),
            },
        )
        .await?;
    }
    Ok(moved.len() as u64)
}
