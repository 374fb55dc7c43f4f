//! The two years before the current cycle: each earlier renewal date of a
//! member inside the window is a decision drawn from how that cycle went.
//!
//! The representative follows the pre-renewal stages of the cycle (each
//! with their diligence, or hardly at all in a cycle they let slide); the
//! chance to renew then grows with the share of stages followed, from a
//! base that differs by district. A renewal is recorded by billing (on
//! time, or late), most after a paid billing request; a member who does
//! not renew leaves with a date and a main reason of the catalogue, and
//! stays in the cycle they did not renew. Reports read these rows as they
//! read the app's: nothing here writes a figure.
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::{
    CatalogueReason, Escalation, FollowUp, GivenReason, PlannedMember, Planner, Renewal,
    asks_billing, earlier_state, local_date, table, weekday_within,
};
use crate::demo::names;
use crate::demo::{minus_days, plus_days};
use crate::domain::escalation as rules;
use crate::domain::timeline::{self, StageDef, add_months, previous_renewal};

/// How far back the history goes.
const WINDOW_MONTHS: i32 = 24;
/// Out of a hundred, by district: the chance to renew when no stage of
/// the cycle was followed. Montréal keeps its members best.
const BASE_RENEWAL: [u64; 3] = [72, 64, 56];
/// Out of a hundred: what following every pre-renewal stage adds.
const FOLLOW_UP_EFFECT: u64 = 32;
/// Out of a hundred cycles: one the representative let slide.
const NEGLECTED: u64 = 22;
/// Out of a hundred renewed cycles: a paid billing request recorded it.
const PAID_REQUESTS: u64 = 85;
/// Out of a hundred departures: a request was sent, then cancelled.
const CANCELLED_REQUESTS: u64 = 35;
/// Out of a hundred followed cycles: an escalation (renewed / lost).
const ESCALATED: (u64, u64) = (4, 18);

/// What became of one earlier cycle.
struct Cycle {
    due: NaiveDate,
    number: i32,
    /// Its follow-ups, oldest first.
    follow_ups: Vec<usize>,
}

/// Plans the earlier cycles of every member (and moves those who left
/// onto their departure). `main_rep`'s members now in the billing stage
/// are the demo's showcase: they stay.
pub(super) fn plan(
    p: &mut Planner,
    members: &mut [PlannedMember],
    reasons: &[CatalogueReason],
    main_rep: usize,
) {
    let start = add_months(p.today, -WINDOW_MONTHS);
    for (i, m) in members.iter_mut().enumerate() {
        let showcase = m.status == "active"
            && m.representative == Some(main_rep)
            && asks_billing(p.timelines, m, p.today);
        member(p, i, m, reasons, start, showcase);
    }
}

/// The renewal dates of the member's earlier cycles inside the window,
/// oldest first, each one term after the other (as the app moves them);
/// a departure's own date comes last.
fn due_dates(m: &PlannedMember, start: NaiveDate) -> Vec<NaiveDate> {
    let mut dues = Vec::new();
    if m.status == "lost" {
        dues.push(m.renewal_date);
    }
    let mut next = m.renewal_date;
    loop {
        let d = previous_renewal(next, m.term_months);
        if d <= m.join_date || d < start || add_months(d, m.term_months) != next {
            break;
        }
        dues.push(d);
        next = d;
    }
    dues.reverse();
    dues
}

fn member(
    p: &mut Planner,
    i: usize,
    m: &mut PlannedMember,
    reasons: &[CatalogueReason],
    start: NaiveDate,
    showcase: bool,
) {
    let table = table(p.timelines, m);
    let dues = due_dates(m, start);
    if table.is_empty() || dues.is_empty() {
        return;
    }
    let author = match m.representative {
        Some(r) => Some(r),
        None if p.rng.chance(super::ORPHANS_FOLLOWED) => p.roles.reps[m.district].first().copied(),
        None => None,
    };
    let forced_loss = m.status == "lost";
    let mut number = 1;
    let mut since: Option<NaiveDate> = None;
    for (k, &due) in dues.iter().enumerate() {
        // Which pre-renewal stages got their follow-up, and on which day.
        let attention = match author {
            None => 0,
            Some(_) if p.rng.chance(NEGLECTED) => p.rng.range(0, 35),
            Some(a) => super::diligence(a),
        };
        let (stages, days) = follow_up_days(p, m, table, due, since, attention);
        let share = (FOLLOW_UP_EFFECT * days.len() as u64)
            .checked_div(stages)
            .unwrap_or(0);
        let chance = BASE_RENEWAL[m.district.min(BASE_RENEWAL.len() - 1)] + share;
        let last = forced_loss && k + 1 == dues.len();
        let renews = !last && (showcase || p.rng.chance(chance.min(97)));
        let cycle = Cycle {
            due,
            number,
            follow_ups: write_follow_ups(p, i, m, table, due, number, author, &days, renews),
        };
        if let Some(a) = author
            && Some(a) == m.representative
            && !cycle.follow_ups.is_empty()
            && p.rng.chance(if renews { ESCALATED.0 } else { ESCALATED.1 })
        {
            escalate(p, i, m, table, &cycle, reasons);
        }
        if renews {
            let recorded = renew(p, i, m, table, &cycle, author);
            since = Some(recorded);
            number += 1;
        } else {
            depart(p, i, m, table, &cycle, author, reasons);
            return;
        }
    }
    m.cycle = number;
    m.cycle_since = since;
}

/// The days of contact of the cycle ending at `due`: one per pre-renewal
/// stage followed (`attention` out of a hundred). Also returns how many
/// stages could have been followed (those after the join, the tool's
/// start and the previous renewal's recording).
fn follow_up_days(
    p: &mut Planner,
    m: &PlannedMember,
    table: &[StageDef],
    due: NaiveDate,
    since: Option<NaiveDate>,
    attention: u64,
) -> (u64, Vec<NaiveDate>) {
    let floor = minus_days(p.today, super::IN_USE_DAYS)
        .max(m.join_date)
        .max(since.map_or(NaiveDate::MIN, |d| plus_days(d, 1)));
    let mut stages = 0;
    let mut days = Vec::new();
    for s in timeline::cycle(table, due, m.term_months, due) {
        let Some(end) = s.end else { continue };
        if s.start >= due {
            continue; // the renewal day itself: not a pre-renewal stage
        }
        let first = s.start.max(floor);
        let last = minus_days(end.min(due), 1);
        if last < first {
            continue;
        }
        stages += 1;
        if p.rng.chance(attention) {
            days.push(p.day_within(first, last));
        }
    }
    (stages, days)
}

/// The follow-ups on `days`, in the cycle `number` ending at `due`; their
/// states tell how it went (mostly good before a renewal, worrying before
/// a departure).
#[allow(clippy::too_many_arguments)]
fn write_follow_ups(
    p: &mut Planner,
    i: usize,
    m: &PlannedMember,
    table: &[StageDef],
    due: NaiveDate,
    number: i32,
    author: Option<usize>,
    days: &[NaiveDate],
    renews: bool,
) -> Vec<usize> {
    let Some(author) = author else {
        return Vec::new();
    };
    let last_state = if renews {
        p.rng
            .weighted(&[("green", 50), ("flame", 30), ("yellow", 20)])
    } else {
        p.rng.weighted(&[("red", 55), ("yellow", 45)])
    };
    let feminine = names::FIRST_NAMES[..names::FEMININE_FIRST_NAMES].contains(&m.first_name);
    let mut ids = Vec::with_capacity(days.len());
    let mut previous_at: Option<DateTime<Utc>> = None;
    let mut previous_text = "";
    for (k, &day) in days.iter().enumerate() {
        let at = match previous_at {
            Some(prev) => p.moment_after(prev, day),
            None => p.moment(day),
        };
        previous_at = Some(at);
        let state = if k + 1 == days.len() {
            last_state
        } else {
            earlier_state(&mut p.rng, last_state)
        };
        let key = stage_at(table, m, due, local_date(at))
            .map(|s| s.key.clone())
            .unwrap_or_default();
        let (channel, text) = p.text(m.formula, state, &key, false, previous_text);
        previous_text = text;
        let f = FollowUp::new(i, author, at, channel, super::agree(text, feminine), state);
        ids.push(push_follow_up(p, m, table, due, number, f));
    }
    ids
}

fn stage_at<'t>(
    table: &'t [StageDef],
    m: &PlannedMember,
    due: NaiveDate,
    day: NaiveDate,
) -> Option<&'t StageDef> {
    timeline::current_stage(table, due, m.term_months, day).map(|s| s.def)
}

/// Adds a follow-up of an earlier cycle, with the stage of its moment in
/// that cycle (what the app stored then).
fn push_follow_up(
    p: &mut Planner,
    m: &PlannedMember,
    table: &[StageDef],
    due: NaiveDate,
    number: i32,
    mut f: FollowUp,
) -> usize {
    if let Some(s) = stage_at(table, m, due, local_date(f.at)) {
        f.stage_key = s.key.clone();
        f.stage_label = s.label.clone();
        f.stage_colour = s.colour.as_str();
    }
    f.cycle = number;
    p.out.follow_ups.push(f);
    p.out.follow_ups.len() - 1
}

/// Records the renewal of `cycle` (billing, on time or late, after the
/// last follow-up), most often through a paid request; returns its day.
fn renew(
    p: &mut Planner,
    i: usize,
    m: &PlannedMember,
    table: &[StageDef],
    cycle: &Cycle,
    author: Option<usize>,
) -> NaiveDate {
    let due = cycle.due;
    let offset = match p.rng.below(100) {
        0..65 => -(p.rng.range(0, 5) as i64),
        65..88 => p.rng.range(1, 20) as i64,
        _ => p.rng.range(21, 60) as i64,
    };
    let last_contact = cycle.follow_ups.last().map(|&f| p.out.follow_ups[f].at);
    let mut day = (due + TimeDelta::days(offset)).min(p.today);
    day = weekday_within(day, minus_days(day, 3), p.today);
    if let Some(at) = last_contact {
        day = day.max(plus_days(local_date(at), 1)).min(p.today);
    }
    let recorded_at = match last_contact {
        Some(at) => p.moment_after(at, day),
        None => p.moment(day),
    };
    let billing = if p.rng.chance(PAID_REQUESTS) {
        paid_request(p, i, m, table, cycle, author, recorded_at)
    } else {
        None
    };
    p.out.renewals.push(Renewal {
        member: i,
        recorded_by: p.roles.billing,
        recorded_at,
        previous_renewal: due,
        new_renewal: add_months(due, m.term_months),
        previous_formula: m.formula,
        new_formula: m.formula,
        cycle: cycle.number + 1,
        billing,
    });
    local_date(recorded_at)
}

/// The request sent in the billing stage of `cycle`, invoiced, perhaps
/// confirmed, and paid the moment the renewal was recorded.
fn paid_request(
    p: &mut Planner,
    i: usize,
    m: &PlannedMember,
    table: &[StageDef],
    cycle: &Cycle,
    author: Option<usize>,
    paid_at: DateTime<Utc>,
) -> Option<usize> {
    let requester = author.or_else(|| p.roles.reps[m.district].first().copied())?;
    let stage = table.iter().find(|d| d.asks_billing_request)?;
    let start = timeline::stage_start(stage, cycle.due, m.term_months);
    let day = weekday_within(plus_days(start, p.rng.range(0, 3)), start, cycle.due);
    let requested_at = p.moment(day);
    let sent_day = plus_days(day, p.rng.range(2, 6));
    let sent = p.moment_after(requested_at, sent_day);
    if sent >= paid_at {
        return None;
    }
    let received = if p.rng.chance(50) {
        let at = sent + TimeDelta::hours(p.rng.range(20, 90) as i64);
        (at < paid_at).then_some((at, requester))
    } else {
        None
    };
    let note = if p.rng.chance(20) {
        p.rng.pick(&names::BILLING_NOTES).to_string()
    } else {
        String::new()
    };
    p.out.billing.push(super::Billing {
        member: i,
        cycle: cycle.number,
        requested_by: requester,
        requested_at,
        decision: "renew_same",
        new_formula: None,
        note,
        amount_cents: Some(super::price_cents(m.formula, m)),
        status: "paid",
        invoice_sent: Some((sent, p.roles.billing)),
        received,
        paid: Some((paid_at, p.roles.billing)),
    });
    Some(p.out.billing.len() - 1)
}

/// The member leaves at the end of `cycle`: a day near the renewal date, a
/// main reason of one of the three categories (given in a last
/// conversation when it is one to work on), sometimes a request cancelled.
fn depart(
    p: &mut Planner,
    i: usize,
    m: &mut PlannedMember,
    table: &[StageDef],
    cycle: &Cycle,
    author: Option<usize>,
    reasons: &[CatalogueReason],
) {
    let category = p.rng.weighted(&[
        ("irrecoverable", 30),
        ("recoverable", 45),
        ("recoverable_followed", 25),
    ]);
    let pool: Vec<&CatalogueReason> = reasons.iter().filter(|r| r.category == category).collect();
    let last_contact = cycle.follow_ups.last().map(|&f| p.out.follow_ups[f].at);
    let mut lost_on = plus_days(cycle.due, p.rng.range(0, 40)).min(p.today);
    if let Some(at) = last_contact {
        lost_on = lost_on.max(local_date(at)).min(p.today);
    }
    if let (Some(a), Some(at), false) = (author, last_contact, pool.is_empty())
        && category != "irrecoverable"
    {
        let reason = *p.rng.pick(&pool);
        let said = p.moment_after(at, lost_on);
        give_reason(p, i, m, table, cycle, a, reason, said);
        m.lost_reason_id = Some(reason.id);
    } else if !pool.is_empty() {
        m.lost_reason_id = Some(p.rng.pick(&pool).id);
    }
    if let Some(requester) = author
        && p.rng.chance(CANCELLED_REQUESTS)
        && let Some(stage) = table.iter().find(|d| d.asks_billing_request)
    {
        let start = timeline::stage_start(stage, cycle.due, m.term_months);
        if start < lost_on && start <= p.today {
            let requested_at = p.moment(weekday_within(start, start, lost_on));
            p.out.billing.push(super::Billing {
                member: i,
                cycle: cycle.number,
                requested_by: requester,
                requested_at,
                decision: "renew_same",
                new_formula: None,
                note: String::new(),
                amount_cents: None,
                status: "cancelled",
                invoice_sent: None,
                received: None,
                paid: None,
            });
        }
    }
    // They keep the state of their last follow-up, as in the app.
    let last_state = p
        .out
        .follow_ups
        .iter()
        .rev()
        .find(|f| f.member == i)
        .map(|f| f.state);
    m.status = "lost";
    m.renewal_date = cycle.due;
    m.cycle = cycle.number;
    m.cycle_since = None;
    m.lost_on = Some(lost_on);
    m.state = last_state;
    m.board_member = false;
}

/// A reason given in an earlier cycle: its follow-up (the app's text, the
/// stage of that cycle) and the reason row linked to it.
#[allow(clippy::too_many_arguments)]
fn give_reason(
    p: &mut Planner,
    i: usize,
    m: &PlannedMember,
    table: &[StageDef],
    cycle: &Cycle,
    author: usize,
    reason: &CatalogueReason,
    at: DateTime<Utc>,
) -> &'static str {
    let tried = names::ANSWERS_TRIED
        .iter()
        .find(|(label, _)| *label == reason.label)
        .map_or(names::ANSWER_TRIED_OTHERWISE, |(_, t)| *t);
    let body = rules::reason_follow_up_text(&reason.label, &reason.answer, tried);
    let state = cycle
        .follow_ups
        .last()
        .map_or("yellow", |&f| p.out.follow_ups[f].state);
    let f = FollowUp::new(i, author, at, "other", body, state);
    let follow_up = push_follow_up(p, m, table, cycle.due, cycle.number, f);
    p.out.reasons.push(GivenReason {
        member: i,
        reason_id: reason.id,
        author,
        at,
        answer_tried: tried,
        follow_up,
    });
    tried
}

/// An escalation raised in an earlier cycle from a reason that asks for
/// one, answered by its receiver, quickly or slowly (the Montérégie
/// manager is the slow one), and resolved.
fn escalate(
    p: &mut Planner,
    i: usize,
    m: &PlannedMember,
    table: &[StageDef],
    cycle: &Cycle,
    reasons: &[CatalogueReason],
) {
    let usable: Vec<&CatalogueReason> = reasons
        .iter()
        .filter(|r| r.escalation_level.is_some())
        .collect();
    let (Some(&from), false) = (
        cycle
            .follow_ups
            .get(p.rng.below(cycle.follow_ups.len() as u64) as usize),
        usable.is_empty(),
    ) else {
        return;
    };
    let reason = *p.rng.pick(&usable);
    let level: &'static str = match reason.escalation_level.as_deref() {
        Some("district") => "district",
        Some("direction") => "direction",
        _ => "customer_service",
    };
    let author = p.out.follow_ups[from].author;
    let at = p.out.follow_ups[from].at + TimeDelta::minutes(p.rng.range(10, 40) as i64);
    // Answered and resolved before today, within the cycle.
    let raised_day = local_date(at);
    if plus_days(raised_day, 30) > p.today || raised_day >= cycle.due {
        return;
    }
    let tried = give_reason(p, i, m, table, cycle, author, reason, at);
    let receiver = if level == "district" {
        p.roles.managers[m.district]
    } else {
        p.roles.direction
    };
    let slow = if level == "district" && m.district == 2 {
        p.rng.chance(70)
    } else {
        p.rng.chance(20)
    };
    let raised_at = at + TimeDelta::minutes(2);
    // Answered in business hours: the same or next day, or a week or two later.
    let after = if slow {
        p.rng.range(5, 13)
    } else {
        p.rng.range(0, 1)
    };
    let acknowledged_at = p.moment_after(raised_at, plus_days(raised_day, after));
    let resolved_day = plus_days(local_date(acknowledged_at), p.rng.range(0, 5));
    let resolved_at = p.moment_after(acknowledged_at, resolved_day);
    let text = if level == "district" {
        names::DISTRICT_RESOLUTION
    } else {
        names::SERVICE_RESOLUTION
    };
    p.out.escalations.push(Escalation {
        member: i,
        raised_by: author,
        raised_at,
        level,
        reason_id: Some(reason.id),
        body: rules::reason_escalation_text(&reason.label, tried),
        due_on: rules::due_on(raised_day),
        status: "resolved",
        acknowledged: Some((acknowledged_at, receiver)),
        resolved: Some((resolved_at, receiver, text)),
        parent: None,
    });
}
