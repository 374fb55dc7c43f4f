//! Group meetings and the members' lines at them. A meeting row exists
//! once a regular meeting is filled in or cancelled, or a meeting is added
//! on another date. Lines are scoped in SQL: a representative reads and
//! writes only the lines of their own members.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::domain::engagement::{Attendance, Attended, LineValues};
use crate::store::audit::{self, Change};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meeting {
    pub id: i64,
    pub group_id: i64,
    pub held_on: NaiveDate,
    pub added: bool,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<String>,
    /// Lines saved (the representative's own members only, for them).
    pub lines: i64,
}

// The lines counted for a representative are those of their members.
// For a list of meetings, their members are read once as a hashed set
// (a join inside the count read their whole portfolio again for each
// meeting: 7.7 ms for twelve at a million members, 1.6 now); for one
// meeting, each line's member is looked up by its key (0.2 ms, where
// reading the portfolio of 354 members took 0.6).
macro_rules! meeting_select {
    ($representatives_lines:literal) => {
        concat!(
            "SELECT mt.id, mt.group_id, mt.held_on, mt.added, mt.cancelled_at, \
               cu.display_name AS cancelled_by, \
               (SELECT count(*) FROM meeting_lines l WHERE l.meeting_id = mt.id \
                   AND ($3::bigint IS NULL OR ",
            $representatives_lines,
            ")) AS lines \
             FROM meetings mt LEFT JOIN users cu ON cu.id = mt.cancelled_by "
        )
    };
}

/// The group's stored meetings on or after `since` (added ones in the
/// future included), newest first.
pub async fn list(
    pool: &PgPool,
    group_id: i64,
    since: NaiveDate,
    representative: Option<i64>,
) -> Result<Vec<Meeting>, sqlx::Error> {
    sqlx::query_as(concat!(
        meeting_select!(
            "l.member_id IN (SELECT m.id FROM members m WHERE m.representative_id = $3)"
        ),
        "WHERE mt.group_id = $1 AND mt.held_on >= $2 ORDER BY mt.held_on DESC"
    ))
    .bind(group_id)
    .bind(since)
    .bind(representative)
    .fetch_all(pool)
    .await
}

pub async fn find<'e>(
    conn: impl PgExecutor<'e>,
    group_id: i64,
    held_on: NaiveDate,
    representative: Option<i64>,
) -> Result<Option<Meeting>, sqlx::Error> {
    sqlx::query_as(concat!(
        meeting_select!(
            "(SELECT m.representative_id FROM members m WHERE m.id = l.member_id) = $3"
        ),
        "WHERE mt.group_id = $1 AND mt.held_on = $2"
    ))
    .bind(group_id)
    .bind(held_on)
    .bind(representative)
    .fetch_optional(conn)
    .await
}

/// Whether the representative has a member (any status) in the group.
pub async fn has_members_in(
    pool: &PgPool,
    group_id: i64,
    representative: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM members WHERE group_id = $1 AND representative_id = $2)",
    )
    .bind(group_id)
    .bind(representative)
    .fetch_one(pool)
    .await
}

/// The meeting's row, written if missing, locked until the end of the
/// transaction. Returns its id and whether it is cancelled.
pub async fn lock_or_create(
    conn: &mut PgConnection,
    group_id: i64,
    held_on: NaiveDate,
    actor: i64,
) -> Result<(i64, bool), sqlx::Error> {
    sqlx::query(
        "INSERT INTO meetings (group_id, held_on, created_by) VALUES ($1, $2, $3) \
         ON CONFLICT (group_id, held_on) DO NOTHING",
    )
    .bind(group_id)
    .bind(held_on)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    sqlx::query_as(
        "SELECT id, cancelled_at IS NOT NULL FROM meetings \
         WHERE group_id = $1 AND held_on = $2 FOR UPDATE",
    )
    .bind(group_id)
    .bind(held_on)
    .fetch_one(conn)
    .await
}

/// What adding a meeting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Created,
    /// It had been cancelled: it takes place again.
    Restored,
    /// A meeting already takes place that day.
    AlreadyThere,
}

/// Adds a meeting on `held_on` (`added`: not the group's usual day), or
/// restores a cancelled one.
pub async fn add(
    conn: &mut PgConnection,
    group_id: i64,
    held_on: NaiveDate,
    added: bool,
    actor: i64,
) -> Result<Added, sqlx::Error> {
    let existing: Option<(i64, bool)> = sqlx::query_as(
        "SELECT id, cancelled_at IS NOT NULL FROM meetings \
         WHERE group_id = $1 AND held_on = $2 FOR UPDATE",
    )
    .bind(group_id)
    .bind(held_on)
    .fetch_optional(&mut *conn)
    .await?;
    let (id, outcome) = match existing {
        Some((_, false)) => return Ok(Added::AlreadyThere),
        Some((id, true)) => {
            sqlx::query(
                "UPDATE meetings SET cancelled_at = NULL, cancelled_by = NULL WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
            (id, Added::Restored)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO meetings (group_id, held_on, added, created_by) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(group_id)
            .bind(held_on)
            .bind(added)
            .bind(actor)
            .fetch_one(&mut *conn)
            .await?;
            (id, Added::Created)
        }
    };
    let field = if outcome == Added::Restored {
        "restored"
    } else {
        "created"
    };
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "meeting",
            entity_id: id,
            field,
            old_value: None,
            new_value: Some(held_on.to_string()),
        },
    )
    .await?;
    Ok(outcome)
}

/// Cancels the meeting of `held_on` (written if it was a regular one not
/// stored yet). Its lines are kept but no longer counted. False if it was
/// already cancelled.
pub async fn cancel(
    conn: &mut PgConnection,
    group_id: i64,
    held_on: NaiveDate,
    actor: i64,
) -> Result<bool, sqlx::Error> {
    let (id, cancelled) = lock_or_create(conn, group_id, held_on, actor).await?;
    if cancelled {
        return Ok(false);
    }
    sqlx::query("UPDATE meetings SET cancelled_at = now(), cancelled_by = $2 WHERE id = $1")
        .bind(id)
        .bind(actor)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "meeting",
            entity_id: id,
            field: "cancelled",
            old_value: None,
            new_value: Some(held_on.to_string()),
        },
    )
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------- lines

#[derive(sqlx::FromRow)]
struct LineRow {
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

impl LineRow {
    fn values(self) -> Result<LineValues, sqlx::Error> {
        Ok(LineValues {
            attendance: attendance(&self.attendance)?,
            referrals_given: self.referrals_given,
            given_value_cents: self.given_value_cents,
            referrals_received: self.referrals_received,
            received_value_cents: self.received_value_cents,
            visitors: self.visitors,
            one_to_ones: self.one_to_ones,
            thanks_cents: self.thanks_cents,
            note: self.note,
        })
    }
}

fn attendance(s: &str) -> Result<Attendance, sqlx::Error> {
    Attendance::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("présence inconnue {s}").into()))
}

/// A row of the meeting's sheet: a member and their saved line, if any.
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub member_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub profession: String,
    /// Still an active member of this group (else: shown for the record).
    pub current: bool,
    pub line: Option<SavedLine>,
}

#[derive(Debug, Clone)]
pub struct SavedLine {
    pub values: LineValues,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SheetSql {
    member_id: i64,
    first_name: String,
    last_name: String,
    profession: String,
    current: bool,
    version: Option<i32>,
    updated_at: Option<DateTime<Utc>>,
    updated_by: Option<String>,
    #[sqlx(flatten)]
    line: OptionalLine,
}

#[derive(sqlx::FromRow)]
struct OptionalLine {
    attendance: Option<String>,
    referrals_given: Option<i32>,
    given_value_cents: Option<i64>,
    referrals_received: Option<i32>,
    received_value_cents: Option<i64>,
    visitors: Option<i32>,
    one_to_ones: Option<i32>,
    thanks_cents: Option<i64>,
    note: Option<String>,
}

/// The sheet of a meeting: the group's active members and whoever has a
/// line at it, limited to `representative`'s members when given.
/// `meeting_id` is `None` for a regular meeting not stored yet.
pub async fn sheet(
    pool: &PgPool,
    group_id: i64,
    meeting_id: Option<i64>,
    representative: Option<i64>,
) -> Result<Vec<SheetRow>, sqlx::Error> {
    let rows: Vec<SheetSql> = sqlx::query_as(
        "WITH ids AS ( \
           SELECT id FROM members WHERE group_id = $1 AND status = 'active' \
           UNION SELECT member_id FROM meeting_lines WHERE meeting_id = $2) \
         SELECT m.id AS member_id, m.first_name, m.last_name, m.profession, \
           (m.group_id IS NOT DISTINCT FROM $1 AND m.status = 'active') AS current, \
           l.version, l.updated_at, u.display_name AS updated_by, \
           l.attendance, l.referrals_given, l.given_value_cents, l.referrals_received, \
           l.received_value_cents, l.visitors, l.one_to_ones, l.thanks_cents, l.note \
         FROM ids JOIN members m ON m.id = ids.id \
         LEFT JOIN meeting_lines l ON l.meeting_id = $2 AND l.member_id = m.id \
         LEFT JOIN users u ON u.id = l.updated_by \
         WHERE ($3::bigint IS NULL OR m.representative_id = $3) \
         ORDER BY lower(m.last_name), lower(m.first_name), m.id",
    )
    .bind(group_id)
    .bind(meeting_id)
    .bind(representative)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let line = match (r.version, r.updated_at, r.line.attendance) {
                (Some(version), Some(updated_at), Some(a)) => Some(SavedLine {
                    values: LineValues {
                        attendance: attendance(&a)?,
                        referrals_given: r.line.referrals_given.unwrap_or(0),
                        given_value_cents: r.line.given_value_cents,
                        referrals_received: r.line.referrals_received.unwrap_or(0),
                        received_value_cents: r.line.received_value_cents,
                        visitors: r.line.visitors.unwrap_or(0),
                        one_to_ones: r.line.one_to_ones.unwrap_or(0),
                        thanks_cents: r.line.thanks_cents.unwrap_or(0),
                        note: r.line.note.unwrap_or_default(),
                    },
                    version,
                    updated_at,
                    updated_by: r.updated_by,
                }),
                _ => None,
            };
            Ok(SheetRow {
                member_id: r.member_id,
                first_name: r.first_name,
                last_name: r.last_name,
                profession: r.profession,
                current: r.current,
                line,
            })
        })
        .collect()
}

/// A line to save: the member, the version the form was opened at (0: no
/// line yet), and the values typed.
#[derive(Debug, Clone)]
pub struct LineSave {
    pub member_id: i64,
    pub version: i32,
    pub values: LineValues,
}

/// Why a sheet was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// These members' lines were saved by someone else meanwhile.
    #[error("lignes modifiées entre-temps")]
    Stale(Vec<i64>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Saves the lines of a meeting (locked by [`lock_or_create`] in the same
/// transaction): new lines are inserted, changed ones updated, each save
/// appended to the history; unchanged lines are left alone. Nothing is
/// written if any line changed since the form was opened. Returns how many
/// lines were written.
pub async fn save(
    conn: &mut PgConnection,
    meeting_id: i64,
    held_on: NaiveDate,
    actor: i64,
    lines: &[LineSave],
) -> Result<usize, SaveError> {
    let ids: Vec<i64> = lines.iter().map(|l| l.member_id).collect();
    let stored: Vec<(i64, i32, LineRow)> = sqlx::query_as::<_, StoredSql>(
        "SELECT member_id, version, attendance, referrals_given, given_value_cents, \
           referrals_received, received_value_cents, visitors, one_to_ones, thanks_cents, note \
         FROM meeting_lines WHERE meeting_id = $1 AND member_id = ANY($2) FOR UPDATE",
    )
    .bind(meeting_id)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|s| (s.member_id, s.version, s.line))
    .collect();
    let mut current = std::collections::HashMap::new();
    for (member, version, row) in stored {
        current.insert(member, (version, row.values()?));
    }
    let stale: Vec<i64> = lines
        .iter()
        .filter(|l| current.get(&l.member_id).map_or(0, |(v, _)| *v) != l.version)
        .map(|l| l.member_id)
        .collect();
    if !stale.is_empty() {
        return Err(SaveError::Stale(stale));
    }
    let changed: Vec<&LineSave> = lines
        .iter()
        .filter(|l| {
            !current
                .get(&l.member_id)
                .is_some_and(|(_, v)| *v == l.values)
        })
        .collect();
    if !changed.is_empty() {
        write_lines(conn, meeting_id, held_on, actor, &changed).await?;
    }
    Ok(changed.len())
}

#[derive(sqlx::FromRow)]
struct StoredSql {
    member_id: i64,
    version: i32,
    #[sqlx(flatten)]
    line: LineRow,
}

/// Writes the changed lines of a sheet and their history, in one
/// statement (the lines passed as arrays, not one statement per member).
async fn write_lines(
    conn: &mut PgConnection,
    meeting_id: i64,
    held_on: NaiveDate,
    actor: i64,
    lines: &[&LineSave],
) -> Result<(), sqlx::Error> {
    let column = |f: &dyn Fn(&LineValues) -> Option<i64>| -> Vec<Option<i64>> {
        lines.iter().map(|l| f(&l.values)).collect()
    };
    let members: Vec<i64> = lines.iter().map(|l| l.member_id).collect();
    let attendance: Vec<&str> = lines.iter().map(|l| l.values.attendance.as_str()).collect();
    let notes: Vec<&str> = lines.iter().map(|l| l.values.note.as_str()).collect();
    sqlx::query(
        "WITH saved AS ( \
           INSERT INTO meeting_lines (meeting_id, member_id, held_on, attendance, \
             referrals_given, given_value_cents, referrals_received, received_value_cents, \
             visitors, one_to_ones, thanks_cents, note, updated_by) \
           SELECT $1, x.member_id, $2, x.attendance, x.given, x.given_value, x.received, \
             x.received_value, x.visitors, x.one_to_ones, x.thanks, x.note, $3 \
           FROM unnest($4::bigint[], $5::text[], $6::int[], $7::bigint[], $8::int[], \
                       $9::bigint[], $10::int[], $11::int[], $12::bigint[], $13::text[]) \
             AS x(member_id, attendance, given, given_value, received, received_value, \
                  visitors, one_to_ones, thanks, note) \
           ON CONFLICT (meeting_id, member_id) DO UPDATE SET \
             attendance = EXCLUDED.attendance, referrals_given = EXCLUDED.referrals_given, \
             given_value_cents = EXCLUDED.given_value_cents, \
             referrals_received = EXCLUDED.referrals_received, \
             received_value_cents = EXCLUDED.received_value_cents, \
             visitors = EXCLUDED.visitors, one_to_ones = EXCLUDED.one_to_ones, \
             thanks_cents = EXCLUDED.thanks_cents, note = EXCLUDED.note, \
             updated_by = EXCLUDED.updated_by, updated_at = now(), \
             version = meeting_lines.version + 1 \
           RETURNING * ) \
         INSERT INTO meeting_line_history (meeting_id, member_id, version, attendance, \
           referrals_given, given_value_cents, referrals_received, received_value_cents, \
           visitors, one_to_ones, thanks_cents, note, changed_by, changed_at) \
         SELECT meeting_id, member_id, version, attendance, referrals_given, \
           given_value_cents, referrals_received, received_value_cents, visitors, \
           one_to_ones, thanks_cents, note, updated_by, updated_at FROM saved",
    )
    .bind(meeting_id)
    .bind(held_on)
    .bind(actor)
    .bind(&members)
    .bind(&attendance)
    .bind(column(&|v| Some(i64::from(v.referrals_given))))
    .bind(column(&|v| v.given_value_cents))
    .bind(column(&|v| Some(i64::from(v.referrals_received))))
    .bind(column(&|v| v.received_value_cents))
    .bind(column(&|v| Some(i64::from(v.visitors))))
    .bind(column(&|v| Some(i64::from(v.one_to_ones))))
    .bind(column(&|v| Some(v.thanks_cents)))
    .bind(&notes)
    .execute(conn)
    .await?;
    Ok(())
}

/// One saved version of a line.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub member_id: i64,
    pub version: i32,
    pub values: LineValues,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct HistorySql {
    member_id: i64,
    version: i32,
    changed_by: Option<String>,
    changed_at: DateTime<Utc>,
    #[sqlx(flatten)]
    line: LineRow,
}

/// Every saved version of the meeting's lines of `members`, oldest first.
pub async fn history(
    pool: &PgPool,
    meeting_id: i64,
    members: &[i64],
) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let rows: Vec<HistorySql> = sqlx::query_as(
        "SELECT h.member_id, h.version, u.display_name AS changed_by, h.changed_at, \
           h.attendance, h.referrals_given, h.given_value_cents, h.referrals_received, \
           h.received_value_cents, h.visitors, h.one_to_ones, h.thanks_cents, h.note \
         FROM meeting_line_history h LEFT JOIN users u ON u.id = h.changed_by \
         WHERE h.meeting_id = $1 AND h.member_id = ANY($2) \
         ORDER BY h.member_id, h.version, h.id",
    )
    .bind(meeting_id)
    .bind(members)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(HistoryEntry {
                member_id: r.member_id,
                version: r.version,
                changed_by: r.changed_by,
                changed_at: r.changed_at,
                values: r.line.values()?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- figures

#[derive(sqlx::FromRow)]
struct AttendedSql {
    held_on: NaiveDate,
    attendance: String,
    referrals_given: i32,
    referrals_received: i32,
    visitors: i32,
    one_to_ones: i32,
}

/// A member's lines in `(after, until]` at meetings not cancelled: one
/// range of the `(member_id, held_on)` index (about 52 lines a year).
pub async fn member_lines(
    pool: &PgPool,
    member_id: i64,
    after: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<Attended>, sqlx::Error> {
    let rows: Vec<AttendedSql> = sqlx::query_as(
        "SELECT l.held_on, l.attendance, l.referrals_given, l.referrals_received, \
           l.visitors, l.one_to_ones \
         FROM meeting_lines l JOIN meetings mt ON mt.id = l.meeting_id \
         WHERE l.member_id = $1 AND l.held_on > $2 AND l.held_on <= $3 \
           AND mt.cancelled_at IS NULL",
    )
    .bind(member_id)
    .bind(after)
    .bind(until)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Attended {
                held_on: r.held_on,
                attendance: attendance(&r.attendance)?,
                given: r.referrals_given,
                received: r.referrals_received,
                visitors: r.visitors,
                one_to_ones: r.one_to_ones,
            })
        })
        .collect()
}
