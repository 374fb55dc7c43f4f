//! Importing a group's meeting figures: what the lines are checked against
//! (members of the group's district, the group's meetings and lines on the
//! file's dates), the uploaded file kept between the preview and the
//! confirmation, and the write — through the meeting sheet's own save, so
//! an imported line is versioned and kept in the history like a typed one.
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::engagement::{Attendance, LineValues};
use crate::domain::meeting_import::{Counts, MemberRef, Outcome, Plan, StoredLine, StoredMeeting};
use crate::store::audit::{self, Change};
use crate::store::import::{UPLOAD_LIFETIME_MINUTES, UPLOADS_KEPT};
use crate::store::meetings::{self, LineSave, SaveError};

#[derive(sqlx::FromRow)]
struct MemberSql {
    id: i64,
    first_name: String,
    last_name: String,
    email: String,
    group_id: Option<i64>,
    representative_id: Option<i64>,
}

/// Members of `district` the file names by number or email (any case).
pub async fn members(
    conn: &mut PgConnection,
    district: i64,
    ids: &[i64],
    emails: &[String],
) -> Result<Vec<MemberRef>, sqlx::Error> {
    let rows: Vec<MemberSql> = sqlx::query_as(
        "SELECT id, first_name, last_name, email, group_id, representative_id FROM members \
         WHERE district_id = $1 \
           AND (id = ANY($2) OR (email <> '' AND lower(email) = ANY($3))) \
         ORDER BY id",
    )
    .bind(district)
    .bind(ids)
    .bind(emails)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MemberRef {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            group_id: r.group_id,
            representative_id: r.representative_id,
        })
        .collect())
}

/// The group's meeting rows on `dates`.
pub async fn meetings_on(
    conn: &mut PgConnection,
    group: i64,
    dates: &[NaiveDate],
) -> Result<Vec<StoredMeeting>, sqlx::Error> {
    let rows: Vec<(NaiveDate, bool)> = sqlx::query_as(
        "SELECT held_on, cancelled_at IS NOT NULL FROM meetings \
         WHERE group_id = $1 AND held_on = ANY($2)",
    )
    .bind(group)
    .bind(dates)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(held_on, cancelled)| StoredMeeting { held_on, cancelled })
        .collect())
}

#[derive(sqlx::FromRow)]
struct LineSql {
    member_id: i64,
    held_on: NaiveDate,
    version: i32,
    attendance: String,
    referrals_given: i32,
    given_value_cents: Option<i64>,
    referrals_received: i32,
    received_value_cents: Option<i64>,
    visitors: i32,
    one_to_ones: i32,
    thanks_cents: i64,
    note: String,
}

/// The group's saved lines on `dates` (any member: the plan only reads
/// those of the members it matched).
pub async fn lines_on(
    conn: &mut PgConnection,
    group: i64,
    dates: &[NaiveDate],
) -> Result<Vec<StoredLine>, sqlx::Error> {
    let rows: Vec<LineSql> = sqlx::query_as(
        "SELECT l.member_id, l.held_on, l.version, l.attendance, l.referrals_given, \
           l.given_value_cents, l.referrals_received, l.received_value_cents, l.visitors, \
           l.one_to_ones, l.thanks_cents, l.note \
         FROM meetings mt JOIN meeting_lines l ON l.meeting_id = mt.id \
         WHERE mt.group_id = $1 AND mt.held_on = ANY($2)",
    )
    .bind(group)
    .bind(dates)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let attendance = Attendance::parse(&r.attendance).ok_or_else(|| {
                sqlx::Error::Decode(format!("présence inconnue {}", r.attendance).into())
            })?;
            Ok(StoredLine {
                member_id: r.member_id,
                held_on: r.held_on,
                version: r.version,
                values: LineValues {
                    attendance,
                    referrals_given: r.referrals_given,
                    given_value_cents: r.given_value_cents,
                    referrals_received: r.referrals_received,
                    received_value_cents: r.received_value_cents,
                    visitors: r.visitors,
                    one_to_ones: r.one_to_ones,
                    thanks_cents: r.thanks_cents,
                    note: r.note,
                },
            })
        })
        .collect()
}

// -- The uploaded file --------------------------------------------------------

pub struct Upload {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// Keeps an uploaded file for its uploader and group; returns the token
/// that names it (only its hash is stored). Expired files go at the same
/// time; a person keeps a few files at most, as with the member import.
pub async fn save_upload(
    pool: &PgPool,
    user_id: i64,
    group_id: i64,
    file_name: &str,
    content: &[u8],
) -> Result<String, sqlx::Error> {
    let (token, hash) = crate::password::new_token();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM meeting_import_uploads WHERE expires_at < now()")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM meeting_import_uploads WHERE user_id = $1 AND token_hash NOT IN \
         (SELECT token_hash FROM meeting_import_uploads WHERE user_id = $1 \
          ORDER BY created_at DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(UPLOADS_KEPT - 1)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO meeting_import_uploads \
           (token_hash, user_id, group_id, file_name, content, expires_at) \
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))",
    )
    .bind(hash)
    .bind(user_id)
    .bind(group_id)
    .bind(file_name)
    .bind(content)
    .bind(UPLOAD_LIFETIME_MINUTES)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The file behind `token`, if it is this user's, for this group, and has
/// not expired. `lock` holds it until the end of the transaction: a second
/// confirmation of the same file waits, then finds it gone.
pub async fn load_upload(
    conn: &mut PgConnection,
    user_id: i64,
    group_id: i64,
    token: &str,
    lock: bool,
) -> Result<Option<Upload>, sqlx::Error> {
    let sql = if lock {
        "SELECT file_name, content FROM meeting_import_uploads \
         WHERE token_hash = $1 AND user_id = $2 AND group_id = $3 AND expires_at > now() \
         FOR UPDATE"
    } else {
        "SELECT file_name, content FROM meeting_import_uploads \
         WHERE token_hash = $1 AND user_id = $2 AND group_id = $3 AND expires_at > now()"
    };
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(sql)
        .bind(crate::password::token_hash(token))
        .bind(user_id)
        .bind(group_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(file_name, content)| Upload { file_name, content }))
}

// -- The write ------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A meeting was cancelled or a line saved by someone else between the
    /// plan and the write: nothing is written.
    #[error("rencontres ou lignes modifiées entre-temps")]
    Changed,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<SaveError> for WriteError {
    fn from(e: SaveError) -> WriteError {
        match e {
            SaveError::Stale(_) => WriteError::Changed,
            SaveError::Db(e) => WriteError::Db(e),
        }
    }
}

/// Who imports, into which group, from which file.
pub struct Importer<'a> {
    pub user_id: i64,
    pub group_id: i64,
    pub file_name: &'a str,
    /// The uploaded file's token: the file is deleted with the write.
    pub token: &'a str,
}

/// The lines of one meeting to write, and whether the meeting is added.
#[derive(Default)]
struct Day {
    adds: bool,
    lines: Vec<LineSave>,
}

/// Writes the plan in the caller's transaction, meeting by meeting, with
/// the sheet's save (versions checked, history appended), adds the
/// meetings the plan adds, and records the import. Returns its id.
pub async fn write(
    conn: &mut PgConnection,
    who: &Importer<'_>,
    plan: &Plan,
) -> Result<i64, WriteError> {
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for l in &plan.lines {
        let (held_on, save) = match &l.outcome {
            Outcome::New {
                member_id,
                held_on,
                values,
            } => (*held_on, (*member_id, 0, values)),
            Outcome::Change {
                member_id,
                held_on,
                version,
                values,
                ..
            } => (*held_on, (*member_id, *version, values)),
            Outcome::Unchanged { .. } | Outcome::Refused(_) => continue,
        };
        let day = days.entry(held_on).or_default();
        day.adds |= l.adds_meeting;
        day.lines.push(LineSave {
            member_id: save.0,
            version: save.1,
            values: save.2.clone(),
        });
    }
    for (held_on, day) in &days {
        if day.adds {
            let stored = meetings::find(&mut *conn, who.group_id, *held_on, None).await?;
            if stored.is_some() {
                // Added or cancelled by someone else since the preview.
                return Err(WriteError::Changed);
            }
            meetings::add(conn, who.group_id, *held_on, true, who.user_id).await?;
        }
        let (meeting_id, cancelled) =
            meetings::lock_or_create(conn, who.group_id, *held_on, who.user_id).await?;
        if cancelled {
            return Err(WriteError::Changed);
        }
        meetings::save(conn, meeting_id, *held_on, who.user_id, &day.lines).await?;
    }
    let id = record(conn, who, plan.counts).await?;
    sqlx::query("DELETE FROM meeting_import_uploads WHERE token_hash = $1")
        .bind(crate::password::token_hash(who.token))
        .execute(conn)
        .await?;
    Ok(id)
}

async fn record(
    conn: &mut PgConnection,
    who: &Importer<'_>,
    c: Counts,
) -> Result<i64, sqlx::Error> {
    let n = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO meeting_imports (user_id, group_id, file_name, lines, created, updated, \
           unchanged, refused, meetings_added) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(who.user_id)
    .bind(who.group_id)
    .bind(who.file_name)
    .bind(n(c.lines()))
    .bind(n(c.new))
    .bind(n(c.changed))
    .bind(n(c.unchanged))
    .bind(n(c.refused))
    .bind(n(c.meetings_added))
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        Some(who.user_id),
        Change {
            entity: "meeting_import",
            entity_id: id,
            field: "imported",
            old_value: None,
            new_value: Some(format!(
                "groupe n° {} — {} : {} nouvelles lignes, {} modifiées, {} inchangées, {} \
                 refusées, {} rencontres ajoutées",
                who.group_id,
                who.file_name,
                c.new,
                c.changed,
                c.unchanged,
                c.refused,
                c.meetings_added
            )),
        },
    )
    .await?;
    Ok(id)
}

/// A confirmed import, as the upload page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportRecord {
    pub id: i64,
    pub imported_at: DateTime<Utc>,
    pub user_name: String,
    pub file_name: String,
    pub lines: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub refused: i32,
    pub meetings_added: i32,
}

/// The group's latest imports; a representative sees only their own.
pub async fn recent(
    pool: &PgPool,
    group_id: i64,
    only_by: Option<i64>,
    limit: i64,
) -> Result<Vec<ImportRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.imported_at, u.display_name AS user_name, i.file_name, i.lines, \
           i.created, i.updated, i.unchanged, i.refused, i.meetings_added \
         FROM meeting_imports i JOIN users u ON u.id = i.user_id \
         WHERE i.group_id = $1 AND ($2::bigint IS NULL OR i.user_id = $2) \
         ORDER BY i.imported_at DESC, i.id DESC LIMIT $3",
    )
    .bind(group_id)
    .bind(only_by)
    .bind(limit)
    .fetch_all(pool)
    .await
}
