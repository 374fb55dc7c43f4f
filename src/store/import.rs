//! Importing members: what the lines are checked against, looked up in
//! bulk within the importer's scope; the uploaded file, kept on the server
//! between the preview and the confirmation; and the write, in chunks.
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::formula::Formula;
use crate::domain::import::{
    Counts, Directory, DistrictRef, ExistingMember, GroupRef, Outcome, Plan, RepresentativeRef,
    SeatHolder,
};
use crate::domain::member::MemberDraft;
use crate::domain::scope::Scope;
use crate::store::members::push_scope;

/// How long an uploaded file waits for its confirmation.
pub const UPLOAD_LIFETIME_MINUTES: i32 = 120;
/// Files kept per person: uploading one more drops the oldest.
pub const UPLOADS_KEPT: i64 = 5;
/// Rows per statement: 21 binds a row at most stay far below PostgreSQL's
/// 65 535 binds.
const CHUNK: usize = 1000;

/// The district a scope is limited to (`None` = the whole network). Only
/// direction and district managers import; any other scope sees nothing.
fn district_filter(scope: Scope) -> Result<Option<i64>, ()> {
    match scope {
        Scope::Network => Ok(None),
        Scope::District(d) => Ok(Some(d)),
        Scope::Representative { .. } | Scope::Nothing => Err(()),
    }
}

/// Districts, groups and representatives the importer may name.
pub async fn directory(conn: &mut PgConnection, scope: Scope) -> Result<Directory, sqlx::Error> {
    let Ok(district) = district_filter(scope) else {
        return Ok(Directory::default());
    };
    let districts: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT id, name, active FROM districts WHERE ($1::bigint IS NULL OR id = $1) ORDER BY id",
    )
    .bind(district)
    .fetch_all(&mut *conn)
    .await?;
    let groups: Vec<(i64, i64, String, String, bool)> = sqlx::query_as(
        "SELECT id, district_id, name, kind::text, active FROM groups \
         WHERE ($1::bigint IS NULL OR district_id = $1) ORDER BY id",
    )
    .bind(district)
    .fetch_all(&mut *conn)
    .await?;
    let representatives: Vec<(i64, i64, String, bool)> = sqlx::query_as(
        "SELECT id, district_id, display_name, active FROM users \
         WHERE role = 'representative' AND district_id IS NOT NULL \
         AND ($1::bigint IS NULL OR district_id = $1) ORDER BY id",
    )
    .bind(district)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Directory {
        districts: districts
            .into_iter()
            .map(|(id, name, active)| DistrictRef { id, name, active })
            .collect(),
        groups: groups
            .into_iter()
            .map(|(id, district_id, name, kind, active)| GroupRef {
                id,
                district_id,
                name,
                kind,
                active,
            })
            .collect(),
        representatives: representatives
            .into_iter()
            .map(|(id, district_id, name, active)| RepresentativeRef {
                id,
                district_id,
                name,
                active,
            })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: i64,
    first_name: String,
    last_name: String,
    business_name: String,
    profession: String,
    email: String,
    phone: String,
    city: String,
    district_id: i64,
    group_id: Option<i64>,
    formula: String,
    representative_id: Option<i64>,
    join_date: chrono::NaiveDate,
    renewal_date: chrono::NaiveDate,
    term_months: i32,
    board_member: bool,
    gr_credits_cents: i64,
    notes: String,
    active: bool,
}

impl From<ExistingRow> for ExistingMember {
    fn from(r: ExistingRow) -> ExistingMember {
        ExistingMember {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            business_name: r.business_name,
            profession: r.profession,
            email: r.email,
            phone: r.phone,
            city: r.city,
            district_id: r.district_id,
            group_id: r.group_id,
            formula: Formula::parse(&r.formula).unwrap_or(Formula::Exclusive),
            representative_id: r.representative_id,
            join_date: r.join_date,
            renewal_date: r.renewal_date,
            term_months: r.term_months,
            board_member: r.board_member,
            gr_credits_cents: r.gr_credits_cents,
            notes: r.notes,
            active: r.active,
        }
    }
}

const EXISTING_COLUMNS: &str = "SELECT m.id, m.first_name, m.last_name, m.business_name, \
     m.profession, m.email, m.phone, m.city, m.district_id, m.group_id, m.formula, \
     m.representative_id, m.join_date, m.renewal_date, m.term_months, m.board_member, \
     m.gr_credits_cents, m.notes, m.status = 'active' AS active FROM members m WHERE ";

/// The members in scope the lines may be about: by email (lower case,
/// index on `lower(email)`), and by name among those without an email.
/// `lock` takes them `FOR UPDATE` (the confirmation).
pub async fn existing(
    conn: &mut PgConnection,
    scope: Scope,
    emails: &[String],
    names: &[(String, String)],
    lock: bool,
) -> Result<Vec<ExistingMember>, sqlx::Error> {
    if district_filter(scope).is_err() {
        return Ok(Vec::new());
    }
    let mut out: Vec<ExistingMember> = Vec::new();
    if !emails.is_empty() {
        let mut qb = QueryBuilder::new(EXISTING_COLUMNS);
        qb.push("m.email <> '' AND lower(m.email) = ANY(");
        qb.push_bind(emails);
        qb.push(")");
        push_scope(&mut qb, scope);
        qb.push(" ORDER BY m.id");
        if lock {
            qb.push(" FOR UPDATE");
        }
        let rows: Vec<ExistingRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
        out.extend(rows.into_iter().map(ExistingMember::from));
    }
    if !names.is_empty() {
        let (lasts, firsts): (Vec<String>, Vec<String>) = names.iter().cloned().unzip();
        let mut qb = QueryBuilder::new(EXISTING_COLUMNS);
        qb.push(
            "m.email = '' AND (lower(m.last_name), lower(m.first_name)) IN \
             (SELECT * FROM unnest(",
        );
        qb.push_bind(lasts);
        qb.push("::text[], ");
        qb.push_bind(firsts);
        qb.push("::text[]))");
        push_scope(&mut qb, scope);
        qb.push(" ORDER BY m.id");
        if lock {
            qb.push(" FOR UPDATE");
        }
        let rows: Vec<ExistingRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
        out.extend(rows.into_iter().map(ExistingMember::from));
    }
    Ok(out)
}

/// Active holders of the given exclusive seats (group, profession key),
/// whatever the importer's scope: a seat is taken for everyone.
pub async fn seat_holders(
    conn: &mut PgConnection,
    seats: &[(i64, String)],
) -> Result<Vec<SeatHolder>, sqlx::Error> {
    if seats.is_empty() {
        return Ok(Vec::new());
    }
    let (groups, keys): (Vec<i64>, Vec<String>) = seats.iter().cloned().unzip();
    let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT m.id, m.group_id, m.profession_key, m.first_name || ' ' || m.last_name \
         FROM members m WHERE m.status = 'active' AND m.formula = 'exclusive' \
         AND m.group_kind = 'A' AND (m.group_id, m.profession_key) IN \
         (SELECT * FROM unnest($1::bigint[], $2::text[]))",
    )
    .bind(groups)
    .bind(keys)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(member_id, group_id, profession_key, name)| SeatHolder {
            member_id,
            group_id,
            profession_key,
            name,
        })
        .collect())
}

// -- The uploaded file --------------------------------------------------------

pub struct Upload {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// Keeps an uploaded file for its uploader; returns the token that names
/// it (only its hash is stored). Expired files go at the same time.
pub async fn save_upload(
    pool: &PgPool,
    user_id: i64,
    file_name: &str,
    content: &[u8],
) -> Result<String, sqlx::Error> {
    let (token, hash) = crate::password::new_token();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM import_uploads WHERE expires_at < now()")
        .execute(&mut *tx)
        .await?;
    // A few files per person at most (one per open preview, say).
    sqlx::query(
        "DELETE FROM import_uploads WHERE user_id = $1 AND token_hash NOT IN \
         (SELECT token_hash FROM import_uploads WHERE user_id = $1 \
          ORDER BY created_at DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(UPLOADS_KEPT - 1)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO import_uploads (token_hash, user_id, file_name, content, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))",
    )
    .bind(hash)
    .bind(user_id)
    .bind(file_name)
    .bind(content)
    .bind(UPLOAD_LIFETIME_MINUTES)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The file behind `token`, if it is this user's and has not expired.
/// `lock` holds it until the end of the transaction: a second confirmation
/// of the same file waits, then finds it gone.
pub async fn load_upload(
    conn: &mut PgConnection,
    user_id: i64,
    token: &str,
    lock: bool,
) -> Result<Option<Upload>, sqlx::Error> {
    let sql = if lock {
        "SELECT file_name, content FROM import_uploads \
         WHERE token_hash = $1 AND user_id = $2 AND expires_at > now() FOR UPDATE"
    } else {
        "SELECT file_name, content FROM import_uploads \
         WHERE token_hash = $1 AND user_id = $2 AND expires_at > now()"
    };
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(sql)
        .bind(crate::password::token_hash(token))
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(file_name, content)| Upload { file_name, content }))
}

async fn delete_upload(conn: &mut PgConnection, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM import_uploads WHERE token_hash = $1")
        .bind(crate::password::token_hash(token))
        .execute(conn)
        .await?;
    Ok(())
}

// -- The write ------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The unique index refused a seat taken meanwhile.
    #[error("siège exclusif déjà occupé")]
    SeatTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn map_seat(e: sqlx::Error) -> WriteError {
    match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("members_exclusive_seat") => {
            WriteError::SeatTaken
        }
        _ => WriteError::Db(e),
    }
}

/// Who imports and from which file.
pub struct Importer<'a> {
    pub user_id: i64,
    pub district_id: Option<i64>,
    pub file_name: &'a str,
    /// The uploaded file's token: the file is deleted with the write.
    pub token: &'a str,
}

struct AuditRow {
    member_id: i64,
    field: String,
    old: Option<String>,
    new: Option<String>,
}

/// Writes the plan in the caller's transaction: the import record, the
/// new members, the updated ones, one audit row per member created and
/// per field changed. Returns the import's id.
pub async fn write(
    conn: &mut PgConnection,
    who: &Importer<'_>,
    plan: &Plan,
) -> Result<i64, WriteError> {
    let c: Counts = plan.counts;
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let import_id: i64 = sqlx::query_scalar(
        "INSERT INTO member_imports (user_id, district_id, file_name, lines, created, updated, \
         unchanged, refused) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(who.user_id)
    .bind(who.district_id)
    .bind(who.file_name)
    .bind(count(c.lines()))
    .bind(count(c.create))
    .bind(count(c.update))
    .bind(count(c.unchanged))
    .bind(count(c.refused))
    .fetch_one(&mut *conn)
    .await?;
    let tag = format!("importation n° {import_id}, {}", who.file_name);
    let mut audit: Vec<AuditRow> = Vec::new();

    let creates: Vec<(&MemberDraft, &Option<String>)> = plan
        .lines
        .iter()
        .filter_map(|l| match &l.outcome {
            Outcome::Create { draft, group_kind } => Some((draft, group_kind)),
            _ => None,
        })
        .collect();
    for chunk in creates.chunks(CHUNK) {
        let ids = insert_members(conn, chunk).await?;
        for ((draft, _), id) in chunk.iter().zip(ids) {
            audit.push(AuditRow {
                member_id: id,
                field: "created".into(),
                old: None,
                new: Some(format!("{} {} ({tag})", draft.first_name, draft.last_name)),
            });
        }
    }

    let updates: Vec<(i64, &MemberDraft, &Option<String>)> = plan
        .lines
        .iter()
        .filter_map(|l| match &l.outcome {
            Outcome::Update {
                member_id,
                draft,
                group_kind,
                changes,
            } => {
                audit.push(AuditRow {
                    member_id: *member_id,
                    field: "Importation".into(),
                    old: None,
                    new: Some(tag.clone()),
                });
                audit.extend(changes.iter().map(|ch| AuditRow {
                    member_id: *member_id,
                    field: ch.field.to_string(),
                    old: Some(ch.old.clone()),
                    new: Some(ch.new.clone()),
                }));
                Some((*member_id, draft, group_kind))
            }
            _ => None,
        })
        .collect();
    for chunk in updates.chunks(CHUNK) {
        update_members(conn, chunk).await?;
    }

    for chunk in audit.chunks(CHUNK * 5) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO audit_log (actor_id, entity, entity_id, field, old_value, new_value) ",
        );
        qb.push_values(chunk, |mut row, a| {
            row.push_bind(who.user_id)
                .push_bind("member")
                .push_bind(a.member_id)
                .push_bind(&a.field)
                .push_bind(&a.old)
                .push_bind(&a.new);
        });
        qb.build().execute(&mut *conn).await?;
    }
    crate::store::audit::record(
        conn,
        Some(who.user_id),
        crate::store::audit::Change {
            entity: "member_import",
            entity_id: import_id,
            field: "imported",
            old_value: None,
            new_value: Some(format!(
                "{} : {} créés, {} mis à jour, {} inchangés, {} refusés",
                who.file_name, c.create, c.update, c.unchanged, c.refused
            )),
        },
    )
    .await?;
    delete_upload(conn, who.token).await?;
    Ok(import_id)
}

async fn insert_members(
    conn: &mut PgConnection,
    chunk: &[(&MemberDraft, &Option<String>)],
) -> Result<Vec<i64>, WriteError> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "INSERT INTO members (first_name, last_name, business_name, profession, profession_key, \
         email, phone, city, district_id, group_id, group_kind, formula, representative_id, \
         join_date, renewal_date, term_months, board_member, gr_credits_cents, notes) ",
    );
    qb.push_values(chunk, |mut row, (d, kind)| {
        row.push_bind(&d.first_name)
            .push_bind(&d.last_name)
            .push_bind(&d.business_name)
            .push_bind(&d.profession)
            .push_bind(&d.profession_key)
            .push_bind(&d.email)
            .push_bind(&d.phone)
            .push_bind(&d.city)
            .push_bind(d.district_id)
            .push_bind(d.group_id)
            .push_bind(kind.as_deref())
            .push_unseparated("::char(1)")
            .push_bind(d.formula.as_str())
            .push_bind(d.representative_id)
            .push_bind(d.join_date)
            .push_bind(d.renewal_date)
            .push_bind(d.term_months)
            .push_bind(d.board_member)
            .push_bind(d.gr_credits_cents)
            .push_bind(&d.notes);
    });
    // Rows come back in the order of the VALUES list.
    qb.push(" RETURNING id");
    qb.build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(map_seat)
}

/// One `UPDATE … FROM (VALUES …)` for a chunk of members.
async fn update_members(
    conn: &mut PgConnection,
    chunk: &[(i64, &MemberDraft, &Option<String>)],
) -> Result<(), WriteError> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "UPDATE members m SET first_name = v.first_name, last_name = v.last_name, \
         business_name = v.business_name, profession = v.profession, \
         profession_key = v.profession_key, email = v.email, phone = v.phone, city = v.city, \
         district_id = v.district_id, group_id = v.group_id, \
         group_kind = v.group_kind::char(1), formula = v.formula, \
         representative_id = v.representative_id, join_date = v.join_date, \
         renewal_date = v.renewal_date, term_months = v.term_months, \
         board_member = v.board_member, gr_credits_cents = v.gr_credits_cents, notes = v.notes, \
         version = m.version + 1, updated_at = now() FROM (",
    );
    qb.push_values(chunk, |mut row, (id, d, kind)| {
        row.push_bind(*id)
            .push_bind(&d.first_name)
            .push_bind(&d.last_name)
            .push_bind(&d.business_name)
            .push_bind(&d.profession)
            .push_bind(&d.profession_key)
            .push_bind(&d.email)
            .push_bind(&d.phone)
            .push_bind(&d.city)
            .push_bind(d.district_id)
            .push_bind(d.group_id)
            .push_bind(kind.as_deref())
            .push_bind(d.formula.as_str())
            .push_bind(d.representative_id)
            .push_bind(d.join_date)
            .push_bind(d.renewal_date)
            .push_bind(d.term_months)
            .push_bind(d.board_member)
            .push_bind(d.gr_credits_cents)
            .push_bind(&d.notes);
    });
    qb.push(
        ") AS v (id, first_name, last_name, business_name, profession, profession_key, email, \
         phone, city, district_id, group_id, group_kind, formula, representative_id, join_date, \
         renewal_date, term_months, board_member, gr_credits_cents, notes) WHERE m.id = v.id",
    );
    qb.build().execute(&mut *conn).await.map_err(map_seat)?;
    Ok(())
}

/// A confirmed import, as the upload page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportRecord {
    pub id: i64,
    pub imported_at: chrono::DateTime<chrono::Utc>,
    pub user_name: String,
    pub file_name: String,
    pub lines: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub refused: i32,
}

/// The latest imports the user may see: all for direction, their
/// district's for a manager.
pub async fn recent(
    pool: &PgPool,
    scope: Scope,
    limit: i64,
) -> Result<Vec<ImportRecord>, sqlx::Error> {
    let Ok(district) = district_filter(scope) else {
        return Ok(Vec::new());
    };
    sqlx::query_as(
        "SELECT i.id, i.imported_at, u.display_name AS user_name, i.file_name, i.lines, \
         i.created, i.updated, i.unchanged, i.refused \
         FROM member_imports i JOIN users u ON u.id = i.user_id \
         WHERE ($1::bigint IS NULL OR i.district_id = $1) \
         ORDER BY i.imported_at DESC, i.id DESC LIMIT $2",
    )
    .bind(district)
    .bind(limit)
    .fetch_all(pool)
    .await
}
