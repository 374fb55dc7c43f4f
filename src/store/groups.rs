//! Groups (chapters): weekly meetings in a district, kind A (exclusive
//! seats) or B. Every read takes the district the user is limited to
//! (`within`, `None` for the whole network) and filters in SQL.
use chrono::{NaiveTime, Timelike};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::domain::formula::Formula;
use crate::store::audit::{self, Change};

pub const NAME_MAX: usize = 120;

/// Days of the week as stored (1 = lundi … 7 = dimanche).
pub const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// A regular group: one exclusive seat per profession.
    A,
    B,
}

impl GroupKind {
    pub const ALL: [GroupKind; 2] = [GroupKind::A, GroupKind::B];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::A => "A",
            GroupKind::B => "B",
        }
    }

    pub fn parse(s: &str) -> Option<GroupKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::A => "Groupe A (sièges exclusifs)",
            GroupKind::B => "Groupe B",
        }
    }

    pub fn has_exclusive_seats(self) -> bool {
        self == GroupKind::A
    }
}

/// « mardi » for 2; `None` outside 1..=7.
pub fn weekday_label(day: i16) -> Option<&'static str> {
    usize::try_from(day)
        .ok()
        .and_then(|d| d.checked_sub(1))
        .and_then(|i| WEEKDAYS.get(i))
        .copied()
}

/// « 7 h 00 », the Québec way of writing a time.
pub fn time_label(t: NaiveTime) -> String {
    format!("{} h {:02}", t.hour(), t.minute())
}

/// « mardi, 7 h 00 », or what is known of it.
pub fn meeting_label(day: Option<i16>, time: Option<NaiveTime>) -> String {
    match (day.and_then(weekday_label), time) {
        (Some(d), Some(t)) => format!("{d}, {}", time_label(t)),
        (Some(d), None) => d.to_string(),
        (None, Some(t)) => time_label(t),
        (None, None) => "—".to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: i64,
    pub district_id: i64,
    pub district_name: String,
    pub district_active: bool,
    pub name: String,
    pub kind: GroupKind,
    pub meeting_day: Option<i16>,
    pub meeting_time: Option<NaiveTime>,
    pub active: bool,
    pub version: i32,
    pub active_members: i64,
}

impl Group {
    pub fn meeting(&self) -> String {
        meeting_label(self.meeting_day, self.meeting_time)
    }
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    district_id: i64,
    district_name: String,
    district_active: bool,
    name: String,
    kind: String,
    meeting_day: Option<i16>,
    meeting_time: Option<NaiveTime>,
    active: bool,
    version: i32,
    active_members: i64,
}

impl GroupRow {
    fn into_group(self) -> Result<Group, sqlx::Error> {
        let kind = GroupKind::parse(self.kind.trim()).ok_or_else(|| {
            sqlx::Error::Decode(format!("type de groupe inconnu {}", self.kind).into())
        })?;
        Ok(Group {
            id: self.id,
            district_id: self.district_id,
            district_name: self.district_name,
            district_active: self.district_active,
            name: self.name,
            kind,
            meeting_day: self.meeting_day,
            meeting_time: self.meeting_time,
            active: self.active,
            version: self.version,
            active_members: self.active_members,
        })
    }
}

macro_rules! group_select {
    () => {
        "SELECT g.id, g.district_id, d.name AS district_name, d.active AS district_active, \
           g.name, g.kind, g.meeting_day, g.meeting_time, g.active, g.version, \
           (SELECT count(*) FROM members m WHERE m.group_id = g.id AND m.status = 'active') \
             AS active_members \
         FROM groups g JOIN districts d ON d.id = g.district_id "
    };
}

/// The groups the user may see, optionally of one district only.
pub async fn list(
    pool: &PgPool,
    within: Option<i64>,
    district: Option<i64>,
) -> Result<Vec<Group>, sqlx::Error> {
    let sql = concat!(
        group_select!(),
        "WHERE ($1::bigint IS NULL OR g.district_id = $1) \
           AND ($2::bigint IS NULL OR g.district_id = $2) \
         ORDER BY lower(d.name), d.id, g.active DESC, lower(g.name), g.id"
    );
    let rows: Vec<GroupRow> = sqlx::query_as(sql)
        .bind(within)
        .bind(district)
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(GroupRow::into_group).collect()
}

/// One group, if it exists and is within the user's district.
pub async fn find<'e>(
    conn: impl PgExecutor<'e>,
    id: i64,
    within: Option<i64>,
) -> Result<Option<Group>, sqlx::Error> {
    let sql = concat!(
        group_select!(),
        "WHERE g.id = $1 AND ($2::bigint IS NULL OR g.district_id = $2)"
    );
    let row: Option<GroupRow> = sqlx::query_as(sql)
        .bind(id)
        .bind(within)
        .fetch_optional(conn)
        .await?;
    row.map(GroupRow::into_group).transpose()
}

/// Same as [`find`], locking the group row until the transaction ends.
pub async fn find_for_update(
    conn: &mut PgConnection,
    id: i64,
    within: Option<i64>,
) -> Result<Option<Group>, sqlx::Error> {
    let sql = concat!(
        group_select!(),
        "WHERE g.id = $1 AND ($2::bigint IS NULL OR g.district_id = $2) FOR UPDATE OF g"
    );
    let row: Option<GroupRow> = sqlx::query_as(sql)
        .bind(id)
        .bind(within)
        .fetch_optional(conn)
        .await?;
    row.map(GroupRow::into_group).transpose()
}

/// An active member of a group, as the group page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupMember {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub profession: String,
    pub formula: String,
}

impl GroupMember {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn formula_label(&self) -> &'static str {
        Formula::parse(&self.formula).map_or("—", Formula::label)
    }
}

/// The active members of a group; only those of `representative` if given.
pub async fn members(
    pool: &PgPool,
    group_id: i64,
    representative: Option<i64>,
) -> Result<Vec<GroupMember>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.first_name, m.last_name, m.profession, m.formula FROM members m \
         WHERE m.group_id = $1 AND m.status = 'active' \
           AND ($2::bigint IS NULL OR m.representative_id = $2) \
         ORDER BY lower(m.last_name), lower(m.first_name), m.id",
    )
    .bind(group_id)
    .bind(representative)
    .fetch_all(pool)
    .await
}

/// A profession held in a group, and by how many active members.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfessionHeld {
    pub profession: String,
    pub holders: i64,
}

/// The professions held by the group's active members, sorted (one entry
/// per seat key, so « Notaire » and « notaire » are one).
pub async fn professions_held(
    pool: &PgPool,
    group_id: i64,
) -> Result<Vec<ProfessionHeld>, sqlx::Error> {
    sqlx::query_as(
        "SELECT min(m.profession) AS profession, count(*) AS holders FROM members m \
         WHERE m.group_id = $1 AND m.status = 'active' \
         GROUP BY m.profession_key ORDER BY m.profession_key",
    )
    .bind(group_id)
    .fetch_all(pool)
    .await
}

/// A profession held by more than one active exclusive member: it would
/// break the one-seat-per-profession rule of a group A.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatClash {
    pub profession: String,
    pub names: String,
}

pub async fn seat_clashes(
    conn: &mut PgConnection,
    group_id: i64,
) -> Result<Vec<SeatClash>, sqlx::Error> {
    sqlx::query_as(
        "SELECT min(m.profession) AS profession, \
           string_agg(m.first_name || ' ' || m.last_name, ', ' \
             ORDER BY lower(m.last_name), lower(m.first_name)) AS names \
         FROM members m \
         WHERE m.group_id = $1 AND m.status = 'active' AND m.formula = 'exclusive' \
         GROUP BY m.profession_key HAVING count(*) > 1 ORDER BY m.profession_key",
    )
    .bind(group_id)
    .fetch_all(conn)
    .await
}

/// Members of any status in the group (they keep their group's district).
pub async fn member_count(conn: &mut PgConnection, group_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM members WHERE group_id = $1")
        .bind(group_id)
        .fetch_one(conn)
        .await
}

/// Whether the district is active, holding a share lock so that it cannot
/// be deactivated before the transaction ends. `None` if it does not exist.
pub async fn lock_district(
    conn: &mut PgConnection,
    district_id: i64,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar("SELECT active FROM districts WHERE id = $1 FOR SHARE")
        .bind(district_id)
        .fetch_optional(conn)
        .await
}

/// A group as a valid form describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDraft {
    pub district_id: i64,
    pub name: String,
    pub kind: GroupKind,
    pub meeting_day: i16,
    pub meeting_time: Option<NaiveTime>,
    pub active: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("Un groupe de ce district porte déjà ce nom.")]
    DuplicateName,
    /// Two active exclusive members share a profession (kind B → A).
    #[error("deux membres exclusifs actifs partagent une profession")]
    SeatClash,
    #[error("district inconnu")]
    UnknownDistrict,
    /// The group changed since the form was opened.
    #[error("le groupe a changé depuis l'ouverture du formulaire")]
    Stale,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn map_write_error(e: sqlx::Error) -> GroupError {
    match &e {
        sqlx::Error::Database(db) => match db.constraint() {
            Some("groups_name_key") => GroupError::DuplicateName,
            Some("members_exclusive_seat") => GroupError::SeatClash,
            _ if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {
                GroupError::UnknownDistrict
            }
            _ => GroupError::Db(e),
        },
        _ => GroupError::Db(e),
    }
}

fn time_value(t: Option<NaiveTime>) -> Option<String> {
    t.map(|t| t.format("%H:%M").to_string())
}

/// The audited fields of a group and their stored values, as text.
fn audited_fields(
    district_id: i64,
    name: &str,
    kind: GroupKind,
    day: Option<i16>,
    time: Option<NaiveTime>,
    active: bool,
) -> [(&'static str, Option<String>); 6] {
    [
        ("district_id", Some(district_id.to_string())),
        ("name", Some(name.to_string())),
        ("kind", Some(kind.as_str().to_string())),
        ("meeting_day", day.map(|d| d.to_string())),
        ("meeting_time", time_value(time)),
        ("active", Some(active.to_string())),
    ]
}

pub async fn create(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    draft: &GroupDraft,
) -> Result<i64, GroupError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind, meeting_day, meeting_time, active) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(draft.district_id)
    .bind(&draft.name)
    .bind(draft.kind.as_str())
    .bind(draft.meeting_day)
    .bind(draft.meeting_time)
    .bind(draft.active)
    .fetch_one(&mut *conn)
    .await
    .map_err(map_write_error)?;
    let fields = audited_fields(
        draft.district_id,
        &draft.name,
        draft.kind,
        Some(draft.meeting_day),
        draft.meeting_time,
        draft.active,
    );
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "group",
            entity_id: id,
            field: "created",
            old_value: None,
            new_value: Some(
                fields
                    .iter()
                    .map(|(f, v)| format!("{f}={}", v.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        },
    )
    .await?;
    Ok(id)
}

/// Saves `draft` over `before` if nobody changed the group since `before`
/// was read at its version; one audit row per changed field.
pub async fn update(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    before: &Group,
    draft: &GroupDraft,
) -> Result<(), GroupError> {
    let updated = sqlx::query(
        "UPDATE groups SET district_id = $3, name = $4, kind = $5, meeting_day = $6, \
           meeting_time = $7, active = $8, version = version + 1 \
         WHERE id = $1 AND version = $2",
    )
    .bind(before.id)
    .bind(before.version)
    .bind(draft.district_id)
    .bind(&draft.name)
    .bind(draft.kind.as_str())
    .bind(draft.meeting_day)
    .bind(draft.meeting_time)
    .bind(draft.active)
    .execute(&mut *conn)
    .await
    .map_err(map_write_error)?;
    if updated.rows_affected() == 0 {
        return Err(GroupError::Stale);
    }
    let old = audited_fields(
        before.district_id,
        &before.name,
        before.kind,
        before.meeting_day,
        before.meeting_time,
        before.active,
    );
    let new = audited_fields(
        draft.district_id,
        &draft.name,
        draft.kind,
        Some(draft.meeting_day),
        draft.meeting_time,
        draft.active,
    );
    for ((field, old_value), (_, new_value)) in old.into_iter().zip(new) {
        if old_value != new_value {
            audit::record(
                conn,
                actor_id,
                Change {
                    entity: "group",
                    entity_id: before.id,
                    field,
                    old_value,
                    new_value,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Activates or deactivates a group read (and locked) as `before`.
pub async fn set_active(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    before: &Group,
    active: bool,
) -> Result<(), GroupError> {
    sqlx::query("UPDATE groups SET active = $2, version = version + 1 WHERE id = $1")
        .bind(before.id)
        .bind(active)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor_id,
        Change {
            entity: "group",
            entity_id: before.id,
            field: "active",
            old_value: Some(before.active.to_string()),
            new_value: Some(active.to_string()),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_reads_in_french() {
        let seven = NaiveTime::from_hms_opt(7, 0, 0);
        assert_eq!(meeting_label(Some(2), seven), "mardi, 7 h 00");
        assert_eq!(
            meeting_label(Some(7), NaiveTime::from_hms_opt(18, 5, 0)),
            "dimanche, 18 h 05"
        );
        assert_eq!(meeting_label(Some(1), None), "lundi");
        assert_eq!(meeting_label(None, None), "—");
        assert_eq!(weekday_label(0), None);
        assert_eq!(weekday_label(8), None);
    }

    #[test]
    fn kind_round_trips() {
        for k in GroupKind::ALL {
            assert_eq!(GroupKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(GroupKind::parse("a"), None);
        assert_eq!(GroupKind::A.label(), "Groupe A (sièges exclusifs)");
    }
}
