//! Two years of use on top of the demo members, so that every page and
//! report has something to show: earlier cycles renewed or lost as their
//! follow-ups went (see `past`), follow-ups stage by stage in the current
//! cycle (a few stages left undone, as in real life), planned follow-ups
//! (open, done, done late), billing requests matching each member's stage,
//! reasons given and escalations.
//!
//! Planned first, purely (the same members, timelines, catalogue and today
//! give the same history, from a seed of its own so that the members stay
//! those of `SEED`), then written with multi-row inserts in the seeding
//! transaction. No audit rows: this is history, not actions.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::America::Toronto;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::names::{self, Fits, FollowUpText};
use super::{PlannedMember, Rng, SEED, minus_days, plus_days, representatives_by_district, staff};
use crate::domain::escalation as rules;
use crate::domain::formula::Formula;
use crate::domain::timeline::{self, Position, StageDef};
use crate::domain::user::Role;
use crate::store::timeline::Timelines;

mod past;

/// The history's own draws.
const HISTORY_SEED: u64 = SEED ^ 0x4849_5354_4F52_5900;
/// The team has used the tool for a little over two years: nothing older
/// is logged.
const IN_USE_DAYS: u64 = 760;
/// Out of a hundred: the current stage already done.
const CURRENT_STAGE_DONE: u64 = 40;
/// Out of a hundred: orphans someone still follows (the district's first
/// representative).
const ORPHANS_FOLLOWED: u64 = 25;
/// Out of a hundred: members without a state yet who were contacted
/// anyway (the others were never contacted).
const STATELESS_CONTACTED: u64 = 70;
/// Out of a hundred contacted members: an open planned follow-up.
const OPEN_PLANS: u64 = 15;
/// Out of a hundred pairs of successive follow-ups: the first planned the second.
const CLOSED_PLANS: u64 = 20;
/// Out of a hundred active members: a reason recorded.
const REASONS_PER_HUNDRED: usize = 8;
/// The main representative's showcase: members in the billing stage (two
/// of them without a request), planned follow-ups due today or late.
const SHOWCASE_BILLING: usize = 3;
const SHOWCASE_UNREQUESTED: usize = 2;
const SHOWCASE_DUE: (usize, usize) = (2, 4);

/// A reason of the catalogue (`reasons`, seeded by a migration).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct CatalogueReason {
    pub id: i64,
    pub category: String,
    pub label: String,
    pub answer: String,
    pub escalation_level: Option<String>,
    pub active: bool,
}

/// The planned history. Members are indices into the planned members,
/// people into `staff()`, follow-ups into `follow_ups`.
#[derive(Debug, Default)]
pub(super) struct History {
    pub follow_ups: Vec<FollowUp>,
    pub plans: Vec<Plan>,
    pub billing: Vec<Billing>,
    pub renewals: Vec<Renewal>,
    pub reasons: Vec<GivenReason>,
    pub escalations: Vec<Escalation>,
}

#[derive(Debug)]
pub(super) struct FollowUp {
    pub member: usize,
    pub author: usize,
    pub at: DateTime<Utc>,
    pub channel: &'static str,
    pub body: String,
    /// The member's cycle at that moment.
    pub cycle: i32,
    pub stage_key: String,
    pub stage_label: String,
    pub stage_colour: &'static str,
    pub state: &'static str,
    pub next_date: Option<NaiveDate>,
}

impl FollowUp {
    /// A follow-up whose stage is still to be filled in.
    fn new(
        member: usize,
        author: usize,
        at: DateTime<Utc>,
        channel: &'static str,
        body: String,
        state: &'static str,
    ) -> FollowUp {
        FollowUp {
            member,
            author,
            at,
            channel,
            body,
            cycle: 1,
            stage_key: String::new(),
            stage_label: String::new(),
            stage_colour: "green",
            state,
            next_date: None,
        }
    }
}

#[derive(Debug)]
pub(super) struct Plan {
    pub member: usize,
    pub planned_by: usize,
    /// The follow-up that planned it (its `next_date` is `due`).
    pub from: usize,
    pub due: NaiveDate,
    /// Closed on that day by that follow-up; `None` while open.
    pub closed: Option<(NaiveDate, usize)>,
}

#[derive(Debug)]
pub(super) struct Billing {
    pub member: usize,
    pub cycle: i32,
    pub requested_by: usize,
    pub requested_at: DateTime<Utc>,
    pub decision: &'static str,
    pub new_formula: Option<&'static str>,
    pub note: String,
    /// Known once the invoice is out.
    pub amount_cents: Option<i64>,
    pub status: &'static str,
    pub invoice_sent: Option<(DateTime<Utc>, usize)>,
    pub received: Option<(DateTime<Utc>, usize)>,
    pub paid: Option<(DateTime<Utc>, usize)>,
}

#[derive(Debug)]
pub(super) struct Renewal {
    pub member: usize,
    pub recorded_by: usize,
    pub recorded_at: DateTime<Utc>,
    pub previous_renewal: NaiveDate,
    pub new_renewal: NaiveDate,
    pub previous_formula: &'static str,
    pub new_formula: &'static str,
    /// The cycle it started.
    pub cycle: i32,
    /// The paid request that recorded it (index into `billing`).
    pub billing: Option<usize>,
}

#[derive(Debug)]
pub(super) struct GivenReason {
    pub member: usize,
    pub reason_id: i64,
    pub author: usize,
    pub at: DateTime<Utc>,
    pub answer_tried: &'static str,
    pub follow_up: usize,
}

#[derive(Debug)]
pub(super) struct Escalation {
    pub member: usize,
    pub raised_by: usize,
    pub raised_at: DateTime<Utc>,
    pub level: &'static str,
    pub reason_id: Option<i64>,
    pub body: String,
    pub due_on: NaiveDate,
    pub status: &'static str,
    pub acknowledged: Option<(DateTime<Utc>, usize)>,
    pub resolved: Option<(DateTime<Utc>, usize, &'static str)>,
    /// Index of the escalation this one came from (listed before it).
    pub parent: Option<usize>,
}

/// Who does what among the staff (indices into `staff()`).
struct Roles {
    direction: usize,
    billing: usize,
    /// Each district's manager (direction when a district has none).
    managers: Vec<usize>,
    /// Each district's representatives.
    reps: Vec<Vec<usize>>,
    /// rep.montreal: the first representative of the first district.
    main_rep: usize,
}

fn roles() -> Roles {
    let reps = representatives_by_district();
    let mut direction = None;
    let mut billing = None;
    let mut managers = vec![None; names::DISTRICTS.len()];
    for (i, (_, _, role, district)) in staff().enumerate() {
        match (role, district) {
            (Role::Direction, _) => {
                direction.get_or_insert(i);
            }
            (Role::Billing, _) => {
                billing.get_or_insert(i);
            }
            (Role::DistrictManager, Some(d)) => {
                managers[*d].get_or_insert(i);
            }
            _ => {}
        }
    }
    let direction = direction.unwrap_or(0);
    Roles {
        direction,
        billing: billing.unwrap_or(direction),
        managers: managers
            .into_iter()
            .map(|m| m.unwrap_or(direction))
            .collect(),
        main_rep: reps[0][0],
        reps,
    }
}

/// How diligent a representative is: out of a hundred stages begun, how
/// many get their follow-up (76 to 92, the same every time).
fn diligence(person: usize) -> u64 {
    let email = staff().nth(person).map_or("", |s| s.0);
    76 + email.bytes().map(u64::from).sum::<u64>() % 17
}

/// What the planner knows of a member it contacted.
struct Contact {
    author: usize,
    state: &'static str,
    /// Their follow-ups (not the reasons'), oldest first.
    follow_ups: Vec<usize>,
    not_renewing: bool,
    open_plan: Option<usize>,
}

struct Planner<'a> {
    rng: Rng,
    today: NaiveDate,
    timelines: &'a Timelines,
    roles: Roles,
    out: History,
    contacts: Vec<Option<Contact>>,
    /// Billing-stage members of the main representative left without a request.
    unrequested: usize,
}

/// Plans the history of `members` on `today`. Members without a state who
/// were contacted get the state of their latest follow-up; a few members
/// of the main representative are moved into the billing stage when too
/// few are there (their renewal and join dates shift together).
pub(super) fn plan(
    members: &mut [PlannedMember],
    timelines: &Timelines,
    reasons: &[CatalogueReason],
    today: NaiveDate,
) -> History {
    let reasons: Vec<CatalogueReason> = reasons.iter().filter(|r| r.active).cloned().collect();
    let reasons = reasons.as_slice();
    let roles = roles();
    fill_the_billing_stage(members, timelines, today, roles.main_rep);
    let main_rep = roles.main_rep;
    let mut p = Planner {
        rng: Rng(HISTORY_SEED),
        today,
        timelines,
        roles,
        out: History::default(),
        contacts: Vec::with_capacity(members.len()),
        unrequested: 0,
    };
    past::plan(&mut p, members, reasons, main_rep);
    for (i, m) in members.iter_mut().enumerate() {
        let contact = p.member(i, m);
        if let Some(c) = &contact {
            m.state = Some(c.state);
        }
        p.contacts.push(contact);
    }
    // Members nobody contacted in this cycle keep the state of their last
    // follow-up of an earlier one.
    let mut latest: Vec<Option<(DateTime<Utc>, &'static str)>> = vec![None; members.len()];
    for f in &p.out.follow_ups {
        if latest[f.member].is_none_or(|(at, _)| at < f.at) {
            latest[f.member] = Some((f.at, f.state));
        }
    }
    for (i, m) in members.iter_mut().enumerate() {
        if p.contacts[i].is_none()
            && let Some((_, state)) = latest[i]
        {
            m.state = Some(state);
        }
    }
    p.main_rep_plans_due(members);
    p.escalations(members, reasons);
    p.reasons(members, reasons);
    p.out
}

/// The formula's stage table.
fn table<'t>(timelines: &'t Timelines, m: &PlannedMember) -> &'t [StageDef] {
    Formula::parse(m.formula).map_or(&[], |f| timelines.table(f))
}

fn asks_billing(timelines: &Timelines, m: &PlannedMember, today: NaiveDate) -> bool {
    timeline::current_stage(table(timelines, m), m.renewal_date, m.term_months, today)
        .is_some_and(|c| c.def.asks_billing_request)
}

/// Makes sure the main representative has `SHOWCASE_BILLING` exclusive or
/// regional members in the stage that asks for the billing request, by
/// bringing the renewal of some far-off ones closer.
fn fill_the_billing_stage(
    members: &mut [PlannedMember],
    timelines: &Timelines,
    today: NaiveDate,
    rep: usize,
) {
    let eligible = |m: &PlannedMember| {
        m.status == "active" && m.representative == Some(rep) && m.formula != "partner"
    };
    let mut have = members
        .iter()
        .filter(|m| eligible(m) && asks_billing(timelines, m, today))
        .count();
    let mut next_day = 15;
    for m in members.iter_mut() {
        if have >= SHOWCASE_BILLING {
            break;
        }
        if !eligible(m) || m.renewal_date <= plus_days(today, 120) {
            continue;
        }
        for day in next_day..next_day + 14 {
            let mut moved = m.clone();
            moved.renewal_date = plus_days(today, day);
            let shift = (m.renewal_date - moved.renewal_date).num_days().max(0) as u64;
            // Same seniority; joined at the latest at the start of the term.
            moved.join_date = minus_days(m.join_date, shift).min(timeline::previous_renewal(
                moved.renewal_date,
                moved.term_months,
            ));
            if asks_billing(timelines, &moved, today) {
                *m = moved;
                have += 1;
                next_day = day + 1;
                break;
            }
        }
    }
}

/// `date` at `minutes` past midnight in Québec, as UTC.
fn local(date: NaiveDate, minutes: u64) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt((minutes / 60) as u32 % 24, (minutes % 60) as u32, 0)
        .unwrap_or(NaiveTime::MIN);
    date.and_time(time)
        .and_local_timezone(Toronto)
        .earliest()
        .map_or_else(|| date.and_time(time).and_utc(), |t| t.with_timezone(&Utc))
}

/// The day in Québec.
fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Toronto).date_naive()
}

/// `d`, moved off the weekend when [first, last] allows it: a stage that
/// begins on a weekend is handled early in the week (Monday to Wednesday),
/// or else the Friday before.
fn weekday_within(d: NaiveDate, first: NaiveDate, last: NaiveDate) -> NaiveDate {
    let to_monday = match d.weekday() {
        Weekday::Sat => 2,
        Weekday::Sun => 1,
        _ => return d,
    };
    let spread = i64::from(d.ordinal() % 3);
    let to_friday = to_monday - 3;
    for s in [to_monday + spread, to_monday, to_friday] {
        let c = d + TimeDelta::days(s);
        if first <= c && c <= last {
            return c;
        }
    }
    d
}

/// The last draw of a state for an earlier follow-up: mostly the final
/// state, sometimes where it came from.
fn earlier_state(rng: &mut Rng, last: &'static str) -> &'static str {
    let choices: &[(&'static str, u32)] = match last {
        "flame" => &[("flame", 60), ("green", 40)],
        "green" => &[("green", 70), ("flame", 10), ("yellow", 20)],
        "yellow" => &[("yellow", 55), ("green", 40), ("red", 5)],
        _ => &[("red", 45), ("yellow", 40), ("green", 15)],
    };
    rng.weighted(choices)
}

/// A text agreeing with the member (see `names::FollowUpText`).
fn agree(text: &str, feminine: bool) -> String {
    let (il, e, le) = if feminine {
        ("elle", "e", "la")
    } else {
        ("il", "", "le")
    };
    text.replace("{il}", il)
        .replace("{e}", e)
        .replace("{le}", le)
}

fn fits(f: Fits, formula: &str) -> bool {
    match f {
        Fits::Anyone => true,
        Fits::Group => formula == "exclusive",
        Fits::Partner => formula == "partner",
    }
}

/// The invoiced price of a term of `formula` (the demo's price list, in
/// cents), less the member's credits.
fn price_cents(formula: &str, m: &PlannedMember) -> i64 {
    let year = match formula {
        "exclusive" => 149_500,
        "regional" => 89_500,
        _ => 59_500,
    };
    (year * i64::from(m.term_months) / 12 - m.gr_credits_cents).max(0)
}

/// The billing request being planned for a member.
struct Request {
    at: DateTime<Utc>,
    decision: &'static str,
    sent: Option<DateTime<Utc>>,
}

impl Planner<'_> {
    /// A business-hours moment on `date` (early morning if it is today).
    fn moment(&mut self, date: NaiveDate) -> DateTime<Utc> {
        let (from, to) = if date >= self.today {
            (8 * 60, 9 * 60 + 30)
        } else {
            (8 * 60 + 30, 17 * 60)
        };
        local(date, self.rng.range(from, to))
    }

    /// A moment on `date` after `previous`.
    fn moment_after(&mut self, previous: DateTime<Utc>, date: NaiveDate) -> DateTime<Utc> {
        let t = self.moment(date);
        if t > previous {
            t
        } else {
            previous + TimeDelta::minutes(self.rng.range(20, 150) as i64)
        }
    }

    /// A day of [first, last], early days likelier (people act when a stage
    /// begins), off the weekend when possible.
    fn day_within(&mut self, first: NaiveDate, last: NaiveDate) -> NaiveDate {
        let span = (last - first).num_days().max(0) as u64 + 1;
        let offset = self.rng.below(span).min(self.rng.below(span));
        weekday_within(plus_days(first, offset), first, last)
    }

    /// Adds a follow-up of member `index` with the stage of its moment
    /// (what the app stores when it is logged).
    fn follow_up(&mut self, m: &PlannedMember, mut f: FollowUp) -> usize {
        let stage = timeline::current_stage(
            table(self.timelines, m),
            m.renewal_date,
            m.term_months,
            local_date(f.at),
        );
        if let Some(s) = stage {
            f.stage_key = s.def.key.clone();
            f.stage_label = s.def.label.clone();
            f.stage_colour = s.def.colour.as_str();
        }
        f.cycle = m.cycle;
        self.out.follow_ups.push(f);
        self.out.follow_ups.len() - 1
    }

    /// Plans one member's follow-ups, planned follow-ups and billing
    /// request; `None` when nobody has contacted them.
    fn member(&mut self, index: usize, m: &PlannedMember) -> Option<Contact> {
        if m.status != "active" {
            return None;
        }
        let table = table(self.timelines, m);
        if table.is_empty() {
            return None;
        }
        let author = match m.representative {
            Some(r) => r,
            None if self.rng.chance(ORPHANS_FOLLOWED) => *self.roles.reps[m.district].first()?,
            None => return None,
        };
        let state = match m.state {
            Some(s) => s,
            None if self.rng.chance(STATELESS_CONTACTED) => {
                self.rng
                    .weighted(&[("green", 45), ("yellow", 30), ("flame", 15), ("red", 10)])
            }
            None => return None,
        };

        // The days of contact: most stages begun get one.
        let today = self.today;
        let diligence = diligence(author);
        let mut days = Vec::new();
        let cycle = timeline::cycle(table, m.renewal_date, m.term_months, today);
        // Not before the tool, nor before this cycle's renewal was recorded.
        let in_use_since =
            minus_days(today, IN_USE_DAYS).max(m.cycle_since.unwrap_or(NaiveDate::MIN));
        for c in &cycle {
            let last = match (c.position, c.end) {
                (Position::Upcoming, _) => break,
                (Position::Past, Some(end)) => end.pred_opt().unwrap_or(end),
                _ => today,
            };
            let first = c.start.max(in_use_since);
            if last < first {
                continue; // a zero-length stage (six-month terms), or before the tool
            }
            let chance = if c.position == Position::Current {
                CURRENT_STAGE_DONE
            } else {
                diligence
            };
            if !self.rng.chance(chance) {
                continue;
            }
            days.push(self.day_within(first, last));
            if c.position == Position::Past && (last - first).num_days() > 45 && self.rng.chance(25)
            {
                days.push(self.day_within(first, last));
            }
        }
        if days.is_empty() {
            // A state comes from a follow-up: at least one, in the current stage.
            let c = cycle.iter().find(|c| c.position == Position::Current)?;
            days.push(self.day_within(c.start.max(in_use_since), today));
        }
        days.sort();
        let mut moments: Vec<DateTime<Utc>> = Vec::with_capacity(days.len());
        for d in days {
            let at = match moments.last() {
                Some(&prev) => self.moment_after(prev, d),
                None => self.moment(d),
            };
            moments.push(at);
        }
        let stage_keys: Vec<String> = moments
            .iter()
            .map(|&at| {
                timeline::current_stage(table, m.renewal_date, m.term_months, local_date(at))
                    .map(|s| s.def.key.clone())
                    .unwrap_or_default()
            })
            .collect();

        let request = self.billing(index, m, author, state, &moments, &stage_keys);

        // The follow-ups themselves.
        let feminine = names::FIRST_NAMES[..names::FEMININE_FIRST_NAMES].contains(&m.first_name);
        let billing_key = table
            .iter()
            .find(|d| d.asks_billing_request)
            .map(|d| d.key.as_str());
        let mut ids = Vec::with_capacity(moments.len());
        let mut previous_text = "";
        for (k, (&at, key)) in moments.iter().zip(&stage_keys).enumerate() {
            let fu_state = if k + 1 == moments.len() {
                state
            } else {
                earlier_state(&mut self.rng, state)
            };
            // Texts tied to the billing steps only where they happened.
            let stage_ok = if Some(key.as_str()) == billing_key {
                request
                    .as_ref()
                    .is_some_and(|r| r.decision != "not_renewing" && r.at >= at)
            } else if matches!(key.as_str(), "before_2w" | "before_1w" | "renewal_day") {
                request
                    .as_ref()
                    .and_then(|r| r.sent)
                    .is_some_and(|sent| sent <= at)
            } else {
                true
            };
            let (channel, text) = self.text(m.formula, fu_state, key, stage_ok, previous_text);
            previous_text = text;
            let body = agree(text, feminine);
            let f = FollowUp::new(index, author, at, channel, body, fu_state);
            let id = self.follow_up(m, f);
            ids.push(id);
        }

        // Planned follow-ups: some between two follow-ups (kept, or late),
        // some still open.
        for pair in ids.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (from, to) = (
                local_date(self.out.follow_ups[a].at),
                local_date(self.out.follow_ups[b].at),
            );
            let gap = (to - from).num_days() as u64;
            if gap < 2 || !self.rng.chance(CLOSED_PLANS) {
                continue;
            }
            let due = if gap >= 3 && self.rng.chance(35) {
                plus_days(from, self.rng.range(1, gap - 1)) // missed: done late
            } else {
                plus_days(to, self.rng.range(0, 3))
            };
            self.plan_follow_up(index, author, a, due, Some((to, b)));
        }
        let last = *ids.last()?;
        let mut open_plan = None;
        if self.rng.chance(OPEN_PLANS) {
            let last_day = local_date(self.out.follow_ups[last].at);
            let roll = self.rng.below(100);
            let mut due = if roll < 10 {
                today
            } else if roll < 30 {
                minus_days(today, self.rng.range(1, 10))
            } else {
                plus_days(today, self.rng.range(1, 21))
            };
            if due <= last_day {
                due = plus_days(today, self.rng.range(1, 21));
            }
            open_plan = Some(self.plan_follow_up(index, author, last, due, None));
        }
        Some(Contact {
            author,
            state,
            follow_ups: ids,
            not_renewing: request.is_some_and(|r| r.decision == "not_renewing"),
            open_plan,
        })
    }

    fn plan_follow_up(
        &mut self,
        member: usize,
        planned_by: usize,
        from: usize,
        due: NaiveDate,
        closed: Option<(NaiveDate, usize)>,
    ) -> usize {
        self.out.follow_ups[from].next_date = Some(due);
        self.out.plans.push(Plan {
            member,
            planned_by,
            from,
            due,
            closed,
        });
        self.out.plans.len() - 1
    }

    /// A follow-up text for a member of `formula` in `state`, in stage
    /// `key` (a text of the stage itself when `stage_ok`), not `previous`.
    fn text(
        &mut self,
        formula: &str,
        state: &str,
        key: &str,
        stage_ok: bool,
        previous: &str,
    ) -> (&'static str, &'static str) {
        let stage: Vec<&FollowUpText> = if stage_ok && state != "red" {
            names::STAGE_TEXTS
                .iter()
                .filter(|(k, t)| *k == key && fits(t.1, formula))
                .map(|(_, t)| t)
                .collect()
        } else {
            Vec::new()
        };
        let general: &[FollowUpText] = match state {
            "flame" | "green" => &names::GOOD_NEWS,
            "yellow" => &names::HESITATIONS,
            _ => &names::WORRIES,
        };
        let general: Vec<&FollowUpText> = general.iter().filter(|t| fits(t.1, formula)).collect();
        let list = if !stage.is_empty() && self.rng.chance(60) {
            stage
        } else {
            general
        };
        let mut t = *self.rng.pick(&list);
        if t.2 == previous && list.len() > 1 {
            t = *self.rng.pick(&list);
        }
        (t.0, t.2)
    }

    /// The billing request of a member whose stage asks for it or is later
    /// (most have one, with the status their stage implies).
    fn billing(
        &mut self,
        index: usize,
        m: &PlannedMember,
        author: usize,
        state: &'static str,
        moments: &[DateTime<Utc>],
        stage_keys: &[String],
    ) -> Option<Request> {
        let today = self.today;
        let table = table(self.timelines, m);
        let billing = table.iter().find(|d| d.asks_billing_request)?;
        let current = timeline::current_stage(table, m.renewal_date, m.term_months, today)?;
        if current.def.position < billing.position {
            return None;
        }
        let in_stage = current.def.key == billing.key;
        if in_stage
            && m.representative == Some(self.roles.main_rep)
            && m.formula != "partner"
            && self.unrequested < SHOWCASE_UNREQUESTED
        {
            // « Demandes de facturation à envoyer » on the main demo account.
            self.unrequested += 1;
            return None;
        }
        if self.rng.chance(if in_stage { 20 } else { 8 }) {
            return None;
        }
        let requested_at = match stage_keys.iter().position(|k| *k == billing.key) {
            Some(k) => moments[k] + TimeDelta::minutes(self.rng.range(4, 25) as i64),
            None => {
                let start = timeline::stage_start(billing, m.renewal_date, m.term_months);
                let day = plus_days(start, self.rng.range(0, 3)).min(today);
                let day = weekday_within(day, start, today);
                self.moment(day)
            }
        };
        let decision = self.rng.weighted(match state {
            "red" => &[
                ("renew_same", 35),
                ("change_formula", 20),
                ("not_renewing", 45),
            ],
            "yellow" => &[
                ("renew_same", 75),
                ("change_formula", 20),
                ("not_renewing", 5),
            ],
            _ => &[
                ("renew_same", 93),
                ("change_formula", 7),
                ("not_renewing", 0),
            ],
        });
        let new_formula = (decision == "change_formula").then(|| match m.formula {
            "exclusive" => self.rng.weighted(&[("regional", 85), ("partner", 15)]),
            "regional" => "partner",
            _ => "regional",
        });
        // How far the request went: the invoice leaves within two weeks,
        // the representative confirms the member received it; a payment
        // would have renewed the member, so none is paid yet.
        let request_day = local_date(requested_at);
        let steps = if decision == "not_renewing" {
            0
        } else if in_stage {
            usize::from(m.formula == "partner" && (today - request_day).num_days() >= 7)
        } else {
            let received = match current.def.key.as_str() {
                "before_2w" => 20,
                "before_1w" => 55,
                _ => 50,
            };
            1 + usize::from(self.rng.chance(received))
        };
        let mut invoice_sent = None;
        let mut received = None;
        if steps >= 1 {
            let day = plus_days(request_day, self.rng.range(2, 6)).min(today);
            let at = self.moment_after(requested_at, day);
            invoice_sent = Some((at, self.roles.billing));
            if steps >= 2 {
                let day = plus_days(day, self.rng.range(1, 4)).min(today);
                received = Some((self.moment_after(at, day), author));
            }
        }
        let note = match (decision, new_formula) {
            ("not_renewing", _) => "Ne renouvelle pas : raison notée au dossier.".to_string(),
            (_, Some("regional")) => "Passe au siège régional au renouvellement.".to_string(),
            (_, Some(_)) => "Devient partenaire au renouvellement.".to_string(),
            _ if m.board_member && self.rng.chance(70) => {
                "Membre du CA : appliquer le rabais.".to_string()
            }
            _ if m.gr_credits_cents > 0 && self.rng.chance(60) => {
                "Appliquer ses crédits GR.".to_string()
            }
            _ if self.rng.chance(25) => self.rng.pick(&names::BILLING_NOTES).to_string(),
            _ => String::new(),
        };
        let status = ["requested", "invoice_sent", "received"][steps];
        let amount_cents = invoice_sent.map(|_| price_cents(new_formula.unwrap_or(m.formula), m));
        self.out.billing.push(Billing {
            member: index,
            cycle: m.cycle,
            requested_by: author,
            requested_at,
            decision,
            new_formula,
            note,
            amount_cents,
            status,
            invoice_sent,
            received,
            paid: None,
        });
        Some(Request {
            at: requested_at,
            decision,
            sent: invoice_sent.map(|(at, _)| at),
        })
    }

    /// Gives the main representative 2 to 4 planned follow-ups due today or
    /// late, so that « Aujourd'hui » shows some.
    fn main_rep_plans_due(&mut self, members: &[PlannedMember]) {
        let today = self.today;
        let rep = self.roles.main_rep;
        let theirs: Vec<usize> = (0..members.len())
            .filter(|&i| members[i].representative == Some(rep) && self.contacts[i].is_some())
            .collect();
        let due_now = |p: &Planner, i: usize| {
            p.contacts[i]
                .as_ref()
                .and_then(|c| c.open_plan)
                .is_some_and(|k| p.out.plans[k].due <= today)
        };
        let mut count = theirs.iter().filter(|&&i| due_now(self, i)).count();
        for &i in &theirs {
            if count >= SHOWCASE_DUE.0 {
                break;
            }
            let Some(c) = &self.contacts[i] else { continue };
            if c.open_plan.is_some() {
                continue;
            }
            let (author, last) = (c.author, *c.follow_ups.last().unwrap_or(&usize::MAX));
            let Some(f) = self.out.follow_ups.get(last) else {
                continue;
            };
            let due = minus_days(today, count as u64 * 2);
            if local_date(f.at) >= due {
                continue;
            }
            let k = self.plan_follow_up(i, author, last, due, None);
            if let Some(c) = self.contacts[i].as_mut() {
                c.open_plan = Some(k);
            }
            count += 1;
        }
        for &i in theirs.iter().rev() {
            if count <= SHOWCASE_DUE.1 {
                break;
            }
            if due_now(self, i)
                && let Some(k) = self.contacts[i].as_ref().and_then(|c| c.open_plan)
            {
                let due = plus_days(today, self.rng.range(2, 10));
                self.out.plans[k].due = due;
                let from = self.out.plans[k].from;
                self.out.follow_ups[from].next_date = Some(due);
                count -= 1;
            }
        }
    }

    /// Records `reason` for member `i` at `at`: the follow-up in the
    /// history (with the stage of the moment) and the reason linked to it.
    fn give_reason(
        &mut self,
        members: &[PlannedMember],
        i: usize,
        reason: &CatalogueReason,
        at: DateTime<Utc>,
    ) -> Option<&'static str> {
        let c = self.contacts[i].as_ref()?;
        let (author, state) = (c.author, c.state);
        let tried = names::ANSWERS_TRIED
            .iter()
            .find(|(label, _)| *label == reason.label)
            .map_or(names::ANSWER_TRIED_OTHERWISE, |(_, t)| *t);
        let body = rules::reason_follow_up_text(&reason.label, &reason.answer, tried);
        let f = FollowUp::new(i, author, at, "other", body, state);
        let follow_up = self.follow_up(&members[i], f);
        self.out.reasons.push(GivenReason {
            member: i,
            reason_id: reason.id,
            author,
            at,
            answer_tried: tried,
            follow_up,
        });
        Some(tried)
    }

    /// About six escalations, each opened by a reason that calls for one:
    /// open (one overdue), taken in charge, resolved, and one handed from
    /// the district to direction.
    fn escalations(&mut self, members: &[PlannedMember], reasons: &[CatalogueReason]) {
        let today = self.today;
        for slot in &SLOTS {
            let level_reasons: Vec<&CatalogueReason> = reasons
                .iter()
                .filter(|r| r.escalation_level.as_deref() == Some(slot.level))
                .collect();
            if level_reasons.is_empty() {
                continue;
            }
            let raised_day = minus_days(today, slot.days_ago);
            let Some(i) = self.escalation_member(members, slot, raised_day) else {
                continue;
            };
            let reason = *self.rng.pick(&level_reasons);
            let raised_at = self.moment(raised_day);
            let Some(tried) = self.give_reason(members, i, reason, raised_at) else {
                continue;
            };
            let raised_by = self.contacts[i].as_ref().map_or(0, |c| c.author);
            let receiver = if slot.level == "district" {
                self.roles.managers[members[i].district]
            } else {
                self.roles.direction
            };
            let mut e = Escalation {
                member: i,
                raised_by,
                raised_at: raised_at + TimeDelta::minutes(2),
                level: slot.level,
                reason_id: Some(reason.id),
                body: rules::reason_escalation_text(&reason.label, tried),
                due_on: rules::due_on(raised_day),
                status: "open",
                acknowledged: None,
                resolved: None,
                parent: None,
            };
            let mut child = None;
            match slot.outcome {
                Outcome::Open => {}
                Outcome::Acknowledged(after) => {
                    e.status = "acknowledged";
                    e.acknowledged = Some((self.moment(plus_days(raised_day, after)), receiver));
                }
                Outcome::Resolved {
                    acknowledged,
                    after,
                } => {
                    e.status = "resolved";
                    if let Some(a) = acknowledged {
                        e.acknowledged = Some((self.moment(plus_days(raised_day, a)), receiver));
                    }
                    let text = if slot.level == "district" {
                        names::DISTRICT_RESOLUTION
                    } else {
                        names::SERVICE_RESOLUTION
                    };
                    e.resolved = Some((self.moment(plus_days(raised_day, after)), receiver, text));
                }
                Outcome::EscalatedUp {
                    acknowledged,
                    child_days_ago,
                } => {
                    e.status = "escalated";
                    e.acknowledged =
                        Some((self.moment(plus_days(raised_day, acknowledged)), receiver));
                    let day = minus_days(today, child_days_ago);
                    child = Some(Escalation {
                        member: i,
                        raised_by: receiver,
                        raised_at: self.moment(day),
                        level: "direction",
                        reason_id: Some(reason.id),
                        body: names::ESCALATED_TO_DIRECTION.to_string(),
                        due_on: rules::due_on(day),
                        status: "open",
                        acknowledged: None,
                        resolved: None,
                        parent: None,
                    });
                }
            }
            self.out.escalations.push(e);
            if let Some(mut c) = child {
                c.parent = Some(self.out.escalations.len() - 1);
                self.out.escalations.push(c);
            }
        }
    }

    /// A member for an escalation slot: followed by their own
    /// representative, yellow or red, in the current cycle on the day it
    /// was raised, not escalated already; the slot's wishes (district,
    /// main representative) are dropped one by one if nobody fits.
    fn escalation_member(
        &mut self,
        members: &[PlannedMember],
        slot: &Slot,
        raised_day: NaiveDate,
    ) -> Option<usize> {
        let taken: Vec<usize> = self.out.reasons.iter().map(|r| r.member).collect();
        let main_rep = self.roles.main_rep;
        let fits = |i: usize, strict: u8| {
            let m = &members[i];
            let Some(c) = &self.contacts[i] else {
                return false;
            };
            m.representative == Some(c.author)
                && matches!(c.state, "yellow" | "red")
                && timeline::previous_renewal(m.renewal_date, m.term_months) <= raised_day
                && !taken.contains(&i)
                && (strict < 1 || slot.district.is_none_or(|d| d == m.district))
                && (strict < 2 || !slot.main_rep || c.author == main_rep)
        };
        let candidates = [2, 1, 0]
            .into_iter()
            .map(|strict| {
                (0..members.len())
                    .filter(|&i| fits(i, strict))
                    .collect::<Vec<_>>()
            })
            .find(|c| !c.is_empty())?;
        Some(*self.rng.pick(&candidates))
    }

    /// Reasons given by about 8 % of active members: every member not
    /// renewing, then hesitant or unhappy ones, in the conversation of
    /// their latest follow-up.
    fn reasons(&mut self, members: &[PlannedMember], reasons: &[CatalogueReason]) {
        let usable: Vec<&CatalogueReason> = reasons
            .iter()
            .filter(|r| r.category != "irrecoverable" && r.escalation_level.is_none())
            .collect();
        if usable.is_empty() {
            return;
        }
        let active = members.iter().filter(|m| m.status == "active").count();
        let target = (active * REASONS_PER_HUNDRED).div_ceil(100);
        // Reasons of earlier cycles and departures (see `past`) do not
        // count here.
        let mut chosen: Vec<usize> = self
            .out
            .reasons
            .iter()
            .filter(|r| {
                let m = &members[r.member];
                m.status == "active" && self.out.follow_ups[r.follow_up].cycle == m.cycle
            })
            .map(|r| r.member)
            .collect();
        let leaving: Vec<usize> = (0..members.len())
            .filter(|&i| self.contacts[i].as_ref().is_some_and(|c| c.not_renewing))
            .collect();
        let mut others: Vec<usize> = (0..members.len())
            .filter(|&i| {
                self.contacts[i]
                    .as_ref()
                    .is_some_and(|c| matches!(c.state, "yellow" | "red") && !c.not_renewing)
            })
            .collect();
        self.rng.shuffle(&mut others);
        for (i, must) in leaving
            .into_iter()
            .map(|i| (i, true))
            .chain(others.into_iter().map(|i| (i, false)))
        {
            if !must && chosen.len() >= target {
                break;
            }
            if chosen.contains(&i) {
                continue;
            }
            let Some(&last) = self.contacts[i].as_ref().and_then(|c| c.follow_ups.last()) else {
                continue;
            };
            let at =
                self.out.follow_ups[last].at + TimeDelta::minutes(self.rng.range(5, 20) as i64);
            let reason = *self.rng.pick(&usable);
            self.give_reason(members, i, reason, at);
            chosen.push(i);
        }
    }
}

/// How an escalation of the demo ended (days after it was raised).
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Open,
    Acknowledged(u64),
    Resolved {
        acknowledged: Option<u64>,
        after: u64,
    },
    /// Taken in charge, then handed to direction (open there).
    EscalatedUp {
        acknowledged: u64,
        child_days_ago: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    level: &'static str,
    /// A district index, if the slot wants one.
    district: Option<usize>,
    /// Raised by the main demo representative.
    main_rep: bool,
    days_ago: u64,
    outcome: Outcome,
}

const SLOTS: [Slot; 6] = [
    // Overdue: raised ten days ago, due after seven.
    Slot {
        level: "district",
        district: Some(0),
        main_rep: true,
        days_ago: 10,
        outcome: Outcome::Open,
    },
    Slot {
        level: "district",
        district: Some(0),
        main_rep: false,
        days_ago: 5,
        outcome: Outcome::Acknowledged(1),
    },
    Slot {
        level: "district",
        district: Some(1),
        main_rep: false,
        days_ago: 45,
        outcome: Outcome::Resolved {
            acknowledged: Some(1),
            after: 6,
        },
    },
    Slot {
        level: "customer_service",
        district: Some(2),
        main_rep: false,
        days_ago: 3,
        outcome: Outcome::Open,
    },
    Slot {
        level: "customer_service",
        district: None,
        main_rep: false,
        days_ago: 70,
        outcome: Outcome::Resolved {
            acknowledged: None,
            after: 8,
        },
    },
    Slot {
        level: "district",
        district: Some(0),
        main_rep: true,
        days_ago: 14,
        outcome: Outcome::EscalatedUp {
            acknowledged: 1,
            child_days_ago: 6,
        },
    },
];

/// Rows per insert: the widest table has 15 binds a row, so 2 000 rows
/// stay well below PostgreSQL's 65 535 binds.
const CHUNK: usize = 2000;

/// Writes the planned history. `members` and `users` are the ids of the
/// planned members and of `staff()`, in order.
pub(super) async fn insert(
    conn: &mut PgConnection,
    h: &History,
    members: &[i64],
    users: &[i64],
) -> Result<(), sqlx::Error> {
    // Follow-ups in the order they happened (ids grow with time).
    let mut order: Vec<usize> = (0..h.follow_ups.len()).collect();
    order.sort_by_key(|&i| (h.follow_ups[i].at, i));
    let mut fu_ids = vec![0_i64; h.follow_ups.len()];
    for chunk in order.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, \
             stage_label, stage_colour, state, next_date) ",
        );
        qb.push_values(chunk, |mut row, &i| {
            let f = &h.follow_ups[i];
            row.push_bind(members[f.member])
                .push_bind(users[f.author])
                .push_bind(f.at)
                .push_bind(f.channel)
                .push_bind(&f.body)
                .push_bind(f.cycle)
                .push_bind(&f.stage_key)
                .push_bind(&f.stage_label)
                .push_bind(f.stage_colour)
                .push_bind(f.state)
                .push_bind(f.next_date);
        });
        qb.push(" RETURNING id");
        let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        for (&i, id) in chunk.iter().zip(ids) {
            fu_ids[i] = id;
        }
    }
    for chunk in h.plans.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO planned_follow_ups (member_id, planned_by, from_follow_up_id, due_date, \
             status, closed_on, closed_by_follow_up_id, created_at) ",
        );
        qb.push_values(chunk, |mut row, p| {
            row.push_bind(members[p.member])
                .push_bind(users[p.planned_by])
                .push_bind(fu_ids[p.from])
                .push_bind(p.due)
                .push_bind(if p.closed.is_some() { "done" } else { "open" })
                .push_bind(p.closed.map(|(day, _)| day))
                .push_bind(p.closed.map(|(_, by)| fu_ids[by]))
                .push_bind(h.follow_ups[p.from].at);
        });
        qb.build().execute(&mut *conn).await?;
    }
    let mut billing_ids = Vec::with_capacity(h.billing.len());
    for chunk in h.billing.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, \
             decision, new_formula, note, status, invoice_sent_at, invoice_sent_by, \
             received_at, received_by, paid_at, paid_by, amount_cents) ",
        );
        qb.push_values(chunk, |mut row, b| {
            row.push_bind(members[b.member])
                .push_bind(b.cycle)
                .push_bind(users[b.requested_by])
                .push_bind(b.requested_at)
                .push_bind(b.decision)
                .push_bind(b.new_formula)
                .push_bind(&b.note)
                .push_bind(b.status)
                .push_bind(b.invoice_sent.map(|(at, _)| at))
                .push_bind(b.invoice_sent.map(|(_, by)| users[by]))
                .push_bind(b.received.map(|(at, _)| at))
                .push_bind(b.received.map(|(_, by)| users[by]))
                .push_bind(b.paid.map(|(at, _)| at))
                .push_bind(b.paid.map(|(_, by)| users[by]))
                .push_bind(b.amount_cents);
        });
        qb.push(" RETURNING id");
        let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        billing_ids.extend(ids);
    }
    for chunk in h.renewals.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO renewals (member_id, recorded_by, recorded_at, previous_renewal, \
             new_renewal, previous_formula, new_formula, cycle, billing_request_id) ",
        );
        qb.push_values(chunk, |mut row, r| {
            row.push_bind(members[r.member])
                .push_bind(users[r.recorded_by])
                .push_bind(r.recorded_at)
                .push_bind(r.previous_renewal)
                .push_bind(r.new_renewal)
                .push_bind(r.previous_formula)
                .push_bind(r.new_formula)
                .push_bind(r.cycle)
                .push_bind(r.billing.and_then(|b| billing_ids.get(b).copied()));
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in h.reasons.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO member_reasons (member_id, reason_id, author_id, at, answer_tried, \
             follow_up_id) ",
        );
        qb.push_values(chunk, |mut row, r| {
            row.push_bind(members[r.member])
                .push_bind(r.reason_id)
                .push_bind(users[r.author])
                .push_bind(r.at)
                .push_bind(r.answer_tried)
                .push_bind(fu_ids[r.follow_up]);
        });
        qb.build().execute(&mut *conn).await?;
    }
    // Escalations: those opened from another after it (a handful: one by one).
    let mut esc_ids = vec![0_i64; h.escalations.len()];
    for (i, e) in h.escalations.iter().enumerate() {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO escalations (member_id, raised_by, raised_at, level, reason_id, body, \
             due_on, status, acknowledged_at, acknowledged_by, resolution, resolved_at, \
             resolved_by, parent_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(members[e.member])
        .bind(users[e.raised_by])
        .bind(e.raised_at)
        .bind(e.level)
        .bind(e.reason_id)
        .bind(&e.body)
        .bind(e.due_on)
        .bind(e.status)
        .bind(e.acknowledged.map(|(at, _)| at))
        .bind(e.acknowledged.map(|(_, by)| users[by]))
        .bind(e.resolved.map(|(_, _, text)| text))
        .bind(e.resolved.map(|(at, _, _)| at))
        .bind(e.resolved.map(|(_, by, _)| users[by]))
        .bind(e.parent.map(|p| esc_ids[p]))
        .fetch_one(&mut *conn)
        .await?;
        esc_ids[i] = id;
    }
    // A cycle that began with a renewal recorded after its date starts
    // its first stage on the day it was recorded (see `LateStart`), as the
    // renewal form does.
    sqlx::query(
        "UPDATE members m SET welcome_from = r.recorded_on \
         FROM (SELECT DISTINCT ON (member_id) member_id, cycle, previous_renewal, \
               (recorded_at AT TIME ZONE 'America/Toronto')::date AS recorded_on \
               FROM renewals ORDER BY member_id, recorded_at DESC) r \
         WHERE r.member_id = m.id AND r.cycle = m.cycle AND m.status = 'active' \
           AND r.recorded_on > r.previous_renewal",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE members m SET last_contact_at = f.at \
         FROM (SELECT member_id, max(at) AS at FROM follow_ups GROUP BY member_id) f \
         WHERE f.member_id = m.id",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feminine_first_names_come_first() {
        let n = names::FEMININE_FIRST_NAMES;
        assert_eq!(names::FIRST_NAMES[n - 1], "Manon");
        assert_eq!(names::FIRST_NAMES[n], "Jean");
    }

    #[test]
    fn every_text_agrees_with_the_member() {
        let texts = names::GOOD_NEWS
            .iter()
            .chain(&names::HESITATIONS)
            .chain(&names::WORRIES)
            .chain(names::STAGE_TEXTS.iter().map(|(_, t)| t));
        for (channel, _, text) in texts {
            assert!(
                ["call", "meeting", "email", "sms", "visit"].contains(channel),
                "{channel}"
            );
            for feminine in [false, true] {
                let s = agree(text, feminine);
                assert!(!s.contains(['{', '}']), "{s}");
                assert!(s.chars().count() <= 4000);
            }
        }
        assert_eq!(
            agree("Satisfait{e}, {il} dit que je {le} rappelle.", true),
            "Satisfaite, elle dit que je la rappelle."
        );
    }

    #[test]
    fn every_answer_tried_names_a_reason_of_the_catalogue() {
        let migration = include_str!("../../migrations/0005_renewal_cycle.sql");
        for (label, _) in names::ANSWERS_TRIED {
            assert!(
                migration.contains(&format!("'{}'", label.replace('\'', "''"))),
                "{label}"
            );
        }
    }

    #[test]
    fn weekends_move_into_the_week_when_the_stage_allows() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        // Saturday 28 and Sunday 29 November 2026.
        for d in [28, 29] {
            let moved = weekday_within(day(d), day(20), day(30) + TimeDelta::days(10));
            assert!(!matches!(moved.weekday(), Weekday::Sat | Weekday::Sun));
            assert!(moved > day(d));
            // A stage ending that weekend: the Friday before.
            assert_eq!(weekday_within(day(d), day(20), day(29)), day(27));
        }
        // Nowhere to go: unchanged.
        assert_eq!(weekday_within(day(29), day(29), day(29)), day(29));
        assert_eq!(weekday_within(day(25), day(20), day(30)), day(25));
    }
}
