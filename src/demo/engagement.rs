//! A year of weekly meetings for the demo's groups, and each member's
//! line at them. The link to renewal is plausible, not certain: most
//! members who later left, and members in a red or yellow state close to
//! their renewal, come less often and receive fewer referrals in the
//! months before; some leave without warning, and some who hesitated
//! before a renewal came less and renewed anyway. The calibration report
//! reads these lines (with the follow-ups' states) as the app's: nothing
//! here writes a figure. The meetings of the holiday weeks are cancelled;
//! this week's is left to fill in.
use chrono::{Datelike, NaiveDate};
use sqlx::PgConnection;

use super::{PlannedMember, Rng, names};
use crate::domain::engagement::{Attendance, regular_dates};

const SEED: u64 = 0x5EED_2026_0014;
/// The draws of who departs without warning and who hesitates (apart from
/// the lines' own draws).
const MOOD_SEED: u64 = SEED ^ 0x4D4F_4F44;
const WEEKS: usize = 52;
/// Out of a hundred departures: the member kept coming until the last
/// month (a business sold, a move), with nothing to warn of it.
const ABRUPT_DEPARTURES: u64 = 20;
/// Out of a hundred renewals recorded in the year: the member hesitated,
/// came less in the four months before the renewal date, and renewed.
const HESITATIONS: u64 = 20;

/// What the lines of a member follow besides their usual level.
#[derive(Debug, Clone, Default)]
struct Mood {
    /// Leaves without drifting away first.
    abrupt: bool,
    /// Renewal dates they hesitated before (and renewed).
    hesitated: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct DemoMeeting {
    pub group: usize,
    pub held_on: NaiveDate,
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct DemoLine {
    pub meeting: usize,
    pub member: usize,
    pub attendance: Attendance,
    pub given: i32,
    pub received: i32,
    pub received_value_cents: Option<i64>,
    pub visitors: i32,
    pub one_to_ones: i32,
    pub thanks_cents: i64,
}

/// The week between Christmas and New Year's Day: no meeting.
fn holiday(d: NaiveDate) -> bool {
    (d.month() == 12 && d.day() >= 24) || (d.month() == 1 && d.day() <= 2)
}

/// How engaged a member is on `day`, 0 (gone) to 100: lower in the months
/// before a departure, or before a renewal they hesitate about.
fn engagement(m: &PlannedMember, mood: &Mood, day: NaiveDate, today: NaiveDate, base: i64) -> i64 {
    if let Some(lost) = m.lost_on.filter(|_| m.status == "lost") {
        let months_left = (lost - day).num_days() / 30;
        return if months_left < 0 {
            0
        } else if mood.abrupt {
            if months_left == 0 { 45.min(base) } else { base }
        } else {
            (25 + 12 * months_left).min(base)
        };
    }
    for due in &mood.hesitated {
        let months_before = (*due - day).num_days() / 30;
        if (0..4).contains(&months_before) && day <= *due {
            return (45 + 10 * months_before).min(base);
        }
    }
    let worried = matches!(m.state, Some("red") | Some("yellow"));
    let to_renewal = (m.renewal_date - today).num_days();
    if worried && to_renewal < 150 {
        // Drifting away over the last five months.
        let months_ago = (today - day).num_days() / 30;
        let floor = if m.state == Some("red") { 30 } else { 50 };
        return (floor + 10 * months_ago).min(base);
    }
    base
}

/// Who leaves without warning, and which of the renewals recorded
/// (`renewed[i]`: member i's earlier renewal dates) came after a
/// hesitation.
fn moods(members: &[PlannedMember], renewed: &[Vec<NaiveDate>], today: NaiveDate) -> Vec<Mood> {
    let mut rng = Rng(MOOD_SEED);
    let year_ago = today - chrono::Days::new(7 * WEEKS as u64);
    members
        .iter()
        .enumerate()
        .map(|(i, m)| Mood {
            abrupt: m.status == "lost" && rng.chance(ABRUPT_DEPARTURES),
            hesitated: renewed
                .get(i)
                .into_iter()
                .flatten()
                .filter(|d| **d > year_ago && rng.chance(HESITATIONS))
                .copied()
                .collect(),
        })
        .collect()
}

/// The meetings and lines of the last 52 weeks.
pub(super) fn plan(
    members: &[PlannedMember],
    renewed: &[Vec<NaiveDate>],
    today: NaiveDate,
) -> (Vec<DemoMeeting>, Vec<DemoLine>) {
    let moods = moods(members, renewed, today);
    let mut rng = Rng(SEED);
    let mut meetings = Vec::new();
    let mut lines = Vec::new();
    // Each member's usual level: most are steady, a few less involved.
    let bases: Vec<i64> = members
        .iter()
        .map(|_| *rng.pick(&[96, 92, 90, 88, 85, 80, 72]))
        .collect();
    for (g, spec) in names::GROUPS.iter().enumerate() {
        let days = regular_dates(spec.day, today, WEEKS);
        for day in days.into_iter().rev() {
            // This week's meeting waits for its sheet.
            if (today - day).num_days() < 7 {
                continue;
            }
            let cancelled = holiday(day);
            let index = meetings.len();
            meetings.push(DemoMeeting {
                group: g,
                held_on: day,
                cancelled,
            });
            if cancelled {
                continue;
            }
            for (i, m) in members.iter().enumerate() {
                if m.group != Some(g) || m.join_date > day {
                    continue;
                }
                let level = engagement(m, &moods[i], day, today, bases[i]);
                if level == 0 {
                    continue;
                }
                lines.push(line(&mut rng, index, i, level));
            }
        }
    }
    (meetings, lines)
}

fn line(rng: &mut Rng, meeting: usize, member: usize, level: i64) -> DemoLine {
    let level = level.clamp(0, 100) as u64;
    let attendance = if rng.chance(level) {
        if rng.chance(6) {
            Attendance::Substitute
        } else {
            Attendance::Present
        }
    } else if rng.chance(35) {
        Attendance::Excused
    } else {
        Attendance::Absent
    };
    let here = matches!(attendance, Attendance::Present | Attendance::Substitute);
    // Referrals follow involvement: roughly one every two meetings for the
    // most engaged, one in ten for those drifting away.
    let odds = if here { level.saturating_sub(40) } else { 0 };
    let received = i32::from(rng.chance(odds)) + i32::from(rng.chance(odds / 6));
    let given = i32::from(rng.chance(odds * 9 / 10)) + i32::from(rng.chance(odds / 8));
    let received_value_cents =
        (received > 0 && rng.chance(60)).then(|| rng.range(2, 60) as i64 * 10_000);
    let thanks_cents = if here && rng.chance(odds / 5) {
        rng.range(3, 80) as i64 * 5_000
    } else {
        0
    };
    DemoLine {
        meeting,
        member,
        attendance,
        given,
        received,
        received_value_cents,
        visitors: i32::from(here && rng.chance(odds / 8)),
        one_to_ones: i32::from(here && rng.chance(odds * 2 / 3)),
        thanks_cents,
    }
}

/// Writes the meetings and lines (a few statements: the demo stays quick),
/// each line saved once by the member's representative, with its history.
pub(super) async fn insert(
    conn: &mut PgConnection,
    meetings: &[DemoMeeting],
    lines: &[DemoLine],
    group_ids: &[i64],
    member_ids: &[i64],
    savers: &[Option<i64>],
) -> Result<(), sqlx::Error> {
    let meeting_ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO meetings (group_id, held_on, cancelled_at, created_at) \
         SELECT g, d, CASE WHEN c THEN (d - 5)::timestamp AT TIME ZONE 'America/Toronto' END, \
                (d + time '20:00') AT TIME ZONE 'America/Toronto' \
         FROM unnest($1::bigint[], $2::date[], $3::bool[]) WITH ORDINALITY AS t(g, d, c, n) \
         ORDER BY n RETURNING id",
    )
    .bind(
        meetings
            .iter()
            .map(|m| group_ids[m.group])
            .collect::<Vec<_>>(),
    )
    .bind(meetings.iter().map(|m| m.held_on).collect::<Vec<_>>())
    .bind(meetings.iter().map(|m| m.cancelled).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    for chunk in lines.chunks(20_000) {
        sqlx::query(
            "INSERT INTO meeting_lines (meeting_id, member_id, held_on, attendance, \
               referrals_given, referrals_received, received_value_cents, visitors, \
               one_to_ones, thanks_cents, updated_by, updated_at) \
             SELECT u.mt, u.mb, d.held_on, u.att, u.gv, u.rc, u.rv, u.vi, u.oo, u.th, u.saver, \
               (d.held_on + time '21:00') AT TIME ZONE 'America/Toronto' \
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[], \
                         $6::bigint[], $7::int[], $8::int[], $9::bigint[], $10::bigint[]) \
               AS u(mt, mb, att, gv, rc, rv, vi, oo, th, saver) \
             JOIN meetings d ON d.id = u.mt",
        )
        .bind(
            chunk
                .iter()
                .map(|l| meeting_ids[l.meeting])
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|l| member_ids[l.member])
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|l| l.attendance.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(chunk.iter().map(|l| l.given).collect::<Vec<_>>())
        .bind(chunk.iter().map(|l| l.received).collect::<Vec<_>>())
        .bind(
            chunk
                .iter()
                .map(|l| l.received_value_cents)
                .collect::<Vec<_>>(),
        )
        .bind(chunk.iter().map(|l| l.visitors).collect::<Vec<_>>())
        .bind(chunk.iter().map(|l| l.one_to_ones).collect::<Vec<_>>())
        .bind(chunk.iter().map(|l| l.thanks_cents).collect::<Vec<_>>())
        .bind(chunk.iter().map(|l| savers[l.member]).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO meeting_line_history (meeting_id, member_id, version, attendance, \
           referrals_given, given_value_cents, referrals_received, received_value_cents, \
           visitors, one_to_ones, thanks_cents, note, changed_by, changed_at) \
         SELECT meeting_id, member_id, version, attendance, referrals_given, \
           given_value_cents, referrals_received, received_value_cents, visitors, \
           one_to_ones, thanks_cents, note, updated_by, updated_at \
         FROM meeting_lines ORDER BY held_on, meeting_id, member_id",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
    }

    #[test]
    fn the_year_of_meetings_is_the_same_every_time() {
        let members = super::super::plan_members(today());
        let renewed = vec![vec![today() - chrono::Days::new(60)]; members.len()];
        let a = plan(&members, &renewed, today());
        let b = plan(&members, &renewed, today());
        assert_eq!(a, b);
        assert!(a.0.iter().any(|m| m.cancelled), "the holiday week");
        assert!(a.1.len() > 5_000, "{} lines", a.1.len());
        // No line after a departure, none before joining.
        for l in &a.1 {
            let m = &members[l.member];
            let day = a.0[l.meeting].held_on;
            assert!(m.join_date <= day);
            assert!(m.status != "lost" || m.lost_on.is_none_or(|lost| day <= lost));
        }
    }
}
