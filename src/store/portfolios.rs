//! Portfolios: moving members from one representative to another inside a
//! district. Their open planned follow-ups move with them (the new
//! representative owns them from now on); one audit row per member, all
//! written by set-based statements (a portfolio can hold hundreds).
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::domain::scope::Scope;
use crate::store::members::push_scope;

/// Which members move.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Members chosen one by one (checked in a list).
    Members(&'a [i64]),
    /// Every member of this representative.
    AllOf(i64),
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("Choisissez un·e représentant·e actif parmi les personnes proposées.")]
    UnknownRepresentative,
    #[error(
        "{name} travaille dans un autre district que ces membres : on déplace des membres \
         d'un·e représentant·e à l'autre à l'intérieur d'un même district seulement."
    )]
    OtherDistrict { name: String },
    #[error("Cochez au moins un membre à déplacer.")]
    NothingChosen,
    #[error("Cette personne n'a aucun membre à déplacer.")]
    EmptyPortfolio,
    #[error("Choisissez une autre personne que celle qui a déjà ces membres.")]
    SameRepresentative,
    /// A chosen member is outside the user's scope (or does not exist).
    #[error("membre introuvable")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What a move changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moved {
    pub members: u64,
    pub planned: u64,
}

/// The receiving representative: active, of that role.
struct Target {
    id: i64,
    name: String,
    district_id: i64,
}

fn push_source(qb: &mut QueryBuilder<Postgres>, source: Source<'_>, scope: Scope) {
    match source {
        Source::Members(ids) => {
            qb.push(" WHERE m.id = ANY(");
            qb.push_bind(ids.to_vec());
            qb.push(")");
        }
        Source::AllOf(rep) => {
            qb.push(" WHERE m.representative_id = ");
            qb.push_bind(rep);
        }
    }
    push_scope(qb, scope);
}

/// Moves members in `scope` to `target_id`, a representative of their
/// district. Every chosen member must be in scope (else `NotFound`) and
/// in the target's district (else refused, nothing moved).
pub async fn move_members(
    conn: &mut PgConnection,
    actor_id: i64,
    scope: Scope,
    source: Source<'_>,
    target_id: i64,
) -> Result<Moved, MoveError> {
    let target: Option<(String, i64)> = sqlx::query_as(
        "SELECT display_name, district_id FROM users \
         WHERE id = $1 AND role = 'representative' AND active AND district_id IS NOT NULL \
         FOR SHARE",
    )
    .bind(target_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (name, district_id) = target.ok_or(MoveError::UnknownRepresentative)?;
    if scope.district().is_some_and(|d| d != district_id) {
        return Err(MoveError::OtherDistrict { name });
    }
    let mut wanted = None;
    match source {
        Source::AllOf(from) if from == target_id => return Err(MoveError::SameRepresentative),
        Source::Members([]) => return Err(MoveError::NothingChosen),
        Source::Members(ids) => {
            let mut unique = ids.to_vec();
            unique.sort_unstable();
            unique.dedup();
            wanted = Some(unique.len() as i64);
        }
        Source::AllOf(_) => {}
    }
    // Lock the members first, then check them all before moving any.
    let mut check = QueryBuilder::new("SELECT count(*), count(*) FILTER (WHERE x.district_id <> ");
    check.push_bind(district_id);
    check.push(") FROM (SELECT m.id, m.district_id FROM members m");
    push_source(&mut check, source, scope);
    check.push(" FOR UPDATE) x");
    let (found, elsewhere): (i64, i64) = check.build_query_as().fetch_one(&mut *conn).await?;
    if wanted.is_some_and(|w| w != found) {
        return Err(MoveError::NotFound);
    }
    if found == 0 {
        return Err(MoveError::EmptyPortfolio);
    }
    if elsewhere > 0 {
        return Err(MoveError::OtherDistrict { name });
    }
    let target = Target {
        id: target_id,
        name,
        district_id,
    };
    Ok(reassign(conn, actor_id, source, scope, Some(&target)).await?)
}

/// Gives every member of `from` in `district_id` to `target_id` (a
/// representative of that district), or leaves them without a
/// representative when `target_id` is `None`. Used when `from` is
/// deactivated; members of `from` outside the district (if any) become
/// orphans too.
pub async fn hand_over(
    conn: &mut PgConnection,
    actor_id: i64,
    from: i64,
    district_id: Option<i64>,
    target_id: Option<i64>,
) -> Result<Moved, MoveError> {
    let mut moved = Moved::default();
    if let (Some(target_id), Some(district_id)) = (target_id, district_id) {
        if target_id == from {
            return Err(MoveError::SameRepresentative);
        }
        let name: Option<String> = sqlx::query_scalar(
            "SELECT display_name FROM users WHERE id = $1 AND role = 'representative' \
             AND active AND district_id = $2 FOR SHARE",
        )
        .bind(target_id)
        .bind(district_id)
        .fetch_optional(&mut *conn)
        .await?;
        let name = name.ok_or(MoveError::UnknownRepresentative)?;
        let target = Target {
            id: target_id,
            name,
            district_id,
        };
        moved = reassign(
            conn,
            actor_id,
            Source::AllOf(from),
            Scope::District(district_id),
            Some(&target),
        )
        .await?;
    } else if target_id.is_some() {
        return Err(MoveError::UnknownRepresentative);
    }
    // Whatever is left (no target chosen, or members of another district).
    let orphaned = reassign(conn, actor_id, Source::AllOf(from), Scope::Network, None).await?;
    moved.members += orphaned.members;
    Ok(moved)
}

/// One statement: the members move, their open planned follow-ups follow
/// them (when they have a new representative), one audit row per member.
async fn reassign(
    conn: &mut PgConnection,
    actor_id: i64,
    source: Source<'_>,
    scope: Scope,
    target: Option<&Target>,
) -> Result<Moved, sqlx::Error> {
    let target_id = target.map(|t| t.id);
    let mut qb = QueryBuilder::new(
        "WITH chosen AS (SELECT m.id, old.display_name AS old_name FROM members m \
         LEFT JOIN users old ON old.id = m.representative_id",
    );
    push_source(&mut qb, source, scope);
    if let Some(t) = target {
        qb.push(" AND m.district_id = ");
        qb.push_bind(t.district_id);
    }
    qb.push(" AND m.representative_id IS DISTINCT FROM ");
    qb.push_bind(target_id);
    qb.push(" FOR UPDATE OF m), moved AS (UPDATE members m SET representative_id = ");
    qb.push_bind(target_id);
    qb.push(
        ", version = m.version + 1, updated_at = now() FROM chosen WHERE m.id = chosen.id \
         RETURNING m.id, chosen.old_name), plans AS (UPDATE planned_follow_ups p SET planned_by = ",
    );
    // An orphan's planned follow-up stays with whoever planned it until
    // the member gets a representative.
    qb.push_bind(target_id);
    qb.push(" FROM moved WHERE p.member_id = moved.id AND p.status = 'open' AND ");
    qb.push_bind(target_id);
    qb.push(
        "::bigint IS NOT NULL RETURNING p.id), logged AS (INSERT INTO audit_log \
         (actor_id, entity, entity_id, field, old_value, new_value) SELECT ",
    );
    qb.push_bind(actor_id);
    qb.push(", 'member', moved.id, 'Représentant·e', COALESCE(moved.old_name, ''), ");
    qb.push_bind(target.map(|t| t.name.clone()).unwrap_or_default());
    qb.push(
        " FROM moved RETURNING 1) SELECT (SELECT count(*) FROM moved), \
         (SELECT count(*) FROM plans), (SELECT count(*) FROM logged)",
    );
    let (members, planned, _logged): (i64, i64, i64) =
        qb.build_query_as().fetch_one(&mut *conn).await?;
    Ok(Moved {
        members: members as u64,
        planned: planned as u64,
    })
}

/// A representative who holds (or may receive) members, with how many
/// active members they have: the "move everything from" choice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub id: i64,
    pub name: String,
    pub district_name: String,
    pub active: bool,
    pub members: i64,
}

/// Representatives of the scope's district (all districts for the
/// network) who are active or still hold members.
pub async fn holders(pool: &sqlx::PgPool, scope: Scope) -> Result<Vec<Holder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.display_name AS name, d.name AS district_name, u.active, \
           (SELECT count(*) FROM members m WHERE m.representative_id = u.id \
              AND m.status = 'active') AS members \
         FROM users u JOIN districts d ON d.id = u.district_id \
         WHERE u.role = 'representative' AND ($1::bigint IS NULL OR u.district_id = $1) \
           AND (u.active OR EXISTS (SELECT 1 FROM members m WHERE m.representative_id = u.id)) \
         ORDER BY d.name, u.display_name, u.id",
    )
    .bind(scope.district())
    .fetch_all(pool)
    .await
}
