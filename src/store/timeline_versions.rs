//! Saving edited timelines (issue 9, point 4): one transaction that
//! replaces the tables, keeps the whole new state as a version, and writes
//! the audit rows; the versions saved; and the preview's counts of active
//! members whose stage changes today, by renewal-date ranges.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::formula::{Colour, Formula};
use crate::domain::member::TERMS;
use crate::domain::timeline::StageDef;
use crate::domain::timeline_edit::{self, describe_changes};
use crate::store::audit::{self, Change};
use crate::store::timeline::{self, StageRow, Timelines};

/// The newest version: what the tables hold now.
pub async fn current_version(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM timeline_versions")
        .fetch_one(conn)
        .await
}

/// Keys a new stage of `formula` must not take: those of the table and of
/// every earlier version (old follow-ups carry them).
pub async fn taken_keys(pool: &PgPool, formula: Formula) -> Result<BTreeSet<String>, sqlx::Error> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT stage_key FROM timeline_stages WHERE formula = $1 \
         UNION SELECT stage_key FROM timeline_version_stages WHERE formula = $1",
    )
    .bind(formula.as_str())
    .fetch_all(pool)
    .await?;
    Ok(keys.into_iter().collect())
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Someone saved another version since the form was drawn.
    #[error("échéancier modifié entre-temps (version {0})")]
    Stale(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What is being saved: the whole new state, drawn from `base_version`.
pub struct Proposal<'a> {
    pub base_version: i64,
    pub timelines: &'a Timelines,
    pub note: &'a str,
    pub restored_from: Option<i64>,
}

/// Replaces what changed, stores the new state as a version and audits
/// it; `Ok(None)` when nothing differs (nothing written).
pub async fn save(
    conn: &mut PgConnection,
    actor: i64,
    proposal: &Proposal<'_>,
) -> Result<Option<i64>, SaveError> {
    // One saver at a time; readers are not blocked.
    sqlx::query("LOCK TABLE timeline_versions IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    let latest = current_version(conn).await?;
    if latest != proposal.base_version {
        return Err(SaveError::Stale(latest));
    }
    let old = timeline::load_in(conn).await?;
    let new = proposal.timelines;
    let changed: Vec<Formula> = Formula::ALL
        .into_iter()
        .filter(|&f| old.table(f) != new.table(f))
        .collect();
    let standing_changed = old.standing_actions != new.standing_actions;
    if changed.is_empty() && !standing_changed {
        return Ok(None);
    }
    for &formula in &changed {
        sqlx::query("DELETE FROM timeline_stages WHERE formula = $1")
            .bind(formula.as_str())
            .execute(&mut *conn)
            .await?;
        insert_stages(conn, "timeline_stages", None, formula, new.table(formula)).await?;
    }
    if standing_changed {
        sqlx::query("DELETE FROM standing_actions")
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO standing_actions (position, action) \
             SELECT n, a FROM unnest($1::text[]) WITH ORDINALITY AS s(a, n)",
        )
        .bind(&new.standing_actions)
        .execute(&mut *conn)
        .await?;
    }
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO timeline_versions (saved_by, note, restored_from) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(actor)
    .bind(proposal.note)
    .bind(proposal.restored_from)
    .fetch_one(&mut *conn)
    .await?;
    for formula in Formula::ALL {
        insert_stages(
            conn,
            "timeline_version_stages",
            Some(version),
            formula,
            new.table(formula),
        )
        .await?;
    }
    sqlx::query(
        "INSERT INTO timeline_version_standing (version_id, position, action) \
         SELECT $1, n, a FROM unnest($2::text[]) WITH ORDINALITY AS s(a, n)",
    )
    .bind(version)
    .bind(&new.standing_actions)
    .execute(&mut *conn)
    .await?;
    let from = Some(format!("version {latest}"));
    for &formula in &changed {
        let lines = describe_changes(old.table(formula), new.table(formula));
        let field = format!("Échéancier {}", formula.label().to_lowercase());
        audit_timeline(conn, actor, version, &field, from.clone(), lines.join("\n")).await?;
    }
    if standing_changed {
        let text = new.standing_actions.join("\n");
        audit_timeline(conn, actor, version, "Actions en tout temps", from, text).await?;
    }
    Ok(Some(version))
}

async fn audit_timeline(
    conn: &mut PgConnection,
    actor: i64,
    version: i64,
    field: &str,
    old_value: Option<String>,
    new_value: String,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "timeline",
            entity_id: version,
            field,
            old_value,
            new_value: Some(new_value),
        },
    )
    .await
}

/// Inserts a table's rows into `timeline_stages` (`version` `None`) or
/// into a version, in one statement.
async fn insert_stages(
    conn: &mut PgConnection,
    target: &str,
    version: Option<i64>,
    formula: Formula,
    table: &[StageDef],
) -> Result<(), sqlx::Error> {
    if table.is_empty() {
        return Ok(());
    }
    let mut qb = sqlx::QueryBuilder::new(match target {
        "timeline_stages" => "INSERT INTO timeline_stages (",
        _ => "INSERT INTO timeline_version_stages (version_id, ",
    });
    qb.push(
        "formula, stage_key, label, anchor, months, days, colour, position, action, \
         asks_billing_request) ",
    );
    qb.push_values(table, |mut b, d| {
        if let Some(v) = version {
            b.push_bind(v);
        }
        b.push_bind(formula.as_str())
            .push_bind(&d.key)
            .push_bind(&d.label)
            .push_bind(d.anchor.as_str())
            .push_bind(d.months)
            .push_bind(d.days)
            .push_bind(d.colour.as_str())
            .push_bind(d.position)
            .push_bind(&d.action)
            .push_bind(d.asks_billing_request);
    });
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

/// A saved version, for the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionSummary {
    pub id: i64,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
    pub note: String,
    pub restored_from: Option<i64>,
}

/// The newest versions first (at most `limit`), and how many there are.
pub async fn versions(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<VersionSummary>, i64), sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT v.id, v.saved_at, u.display_name AS saved_by, v.note, v.restored_from \
         FROM timeline_versions v LEFT JOIN users u ON u.id = v.saved_by \
         ORDER BY v.id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM timeline_versions")
        .fetch_one(pool)
        .await?;
    Ok((rows, total))
}

/// The timelines as a version saved them; `None` if there is no such version.
pub async fn load_version(pool: &PgPool, id: i64) -> Result<Option<Timelines>, sqlx::Error> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM timeline_versions WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let rows: Vec<StageRow> = sqlx::query_as(
        "SELECT formula, stage_key, label, anchor::text AS anchor, months, days, colour, \
         position, action, asks_billing_request FROM timeline_version_stages \
         WHERE version_id = $1 ORDER BY formula, position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let standing: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM timeline_version_standing WHERE version_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Some(Timelines::from_rows(
        timeline::decode_rows(rows)?,
        standing,
    )))
}

/// How many active members of a formula go from one stage to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveCount {
    pub formula: Formula,
    pub from_key: String,
    pub from_label: String,
    pub from_colour: Colour,
    pub to_key: String,
    pub to_label: String,
    pub to_colour: Colour,
    pub members: i64,
}

/// Active members whose stage today differs between `old` and `new`, by
/// formula and (from, to) stage. Each stage of a member is a range of
/// renewal dates for its formula and term, so the counts are index range
/// counts over the overlaps of the old and new ranges: one query, whatever
/// the number of members.
pub async fn count_moves(
    pool: &PgPool,
    old: &Timelines,
    new: &Timelines,
    today: NaiveDate,
) -> Result<Vec<MoveCount>, sqlx::Error> {
    let mut formulas: Vec<&str> = Vec::new();
    let mut terms: Vec<i32> = Vec::new();
    let mut froms: Vec<Option<NaiveDate>> = Vec::new();
    let mut untils: Vec<Option<NaiveDate>> = Vec::new();
    let mut pairs: Vec<(Formula, &StageDef, &StageDef)> = Vec::new();
    for formula in Formula::ALL {
        if old.table(formula) == new.table(formula) {
            continue;
        }
        for term in TERMS {
            for mv in
                timeline_edit::stage_moves(old.table(formula), new.table(formula), term, today)
            {
                formulas.push(formula.as_str());
                terms.push(term);
                froms.push(mv.from);
                untils.push(mv.until);
                pairs.push((formula, mv.from_stage, mv.to_stage));
            }
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.i, (SELECT count(*) FROM members m WHERE m.status = 'active' \
           AND m.formula = s.formula AND m.term_months = s.term \
           AND m.renewal_date >= coalesce(s.lo, '-infinity'::date) \
           AND m.renewal_date < coalesce(s.hi, 'infinity'::date)) \
         FROM unnest($1::text[], $2::int[], $3::date[], $4::date[]) \
           WITH ORDINALITY AS s(formula, term, lo, hi, i)",
    )
    .bind(&formulas)
    .bind(&terms)
    .bind(&froms)
    .bind(&untils)
    .fetch_all(pool)
    .await?;
    let mut totals: BTreeMap<(Formula, String, String), MoveCount> = BTreeMap::new();
    for (i, n) in counts {
        let Some(&(formula, from, to)) = usize::try_from(i - 1).ok().and_then(|i| pairs.get(i))
        else {
            continue;
        };
        if n == 0 {
            continue;
        }
        totals
            .entry((formula, from.key.clone(), to.key.clone()))
            .or_insert_with(|| MoveCount {
                formula,
                from_key: from.key.clone(),
                from_label: from.label.clone(),
                from_colour: from.colour,
                to_key: to.key.clone(),
                to_label: to.label.clone(),
                to_colour: to.colour,
                members: 0,
            })
            .members += n;
    }
    let mut out: Vec<MoveCount> = totals.into_values().collect();
    out.sort_by(|a, b| {
        (a.formula, std::cmp::Reverse(a.members), &a.from_label).cmp(&(
            b.formula,
            std::cmp::Reverse(b.members),
            &b.from_label,
        ))
    });
    Ok(out)
}
