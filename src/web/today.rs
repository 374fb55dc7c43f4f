//! "Aujourd'hui": the representative's day — stages to do, planned
//! follow-ups due, members whose state needs care, a touch list.
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::NaiveDate;
use std::collections::HashMap;

use crate::domain::follow_up::{Todo, order_todo};
use crate::domain::format::date_fr;
use crate::domain::timeline::CurrentStage;
use crate::domain::user::Role;
use crate::store::billing;
use crate::store::timeline as timeline_store;
use crate::store::today::{self as day, DayRow};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::billing::{RequestLine, request_line};
use crate::web::error::AppResult;
use crate::web::home::{ColourCount, colour_counts};
use crate::web::layout::Layout;
use crate::web::members::{MemberLine, line};
use crate::web::risk::RiskBadge;

/// How many members the touch list shows.
pub const TOUCH_COUNT: usize = 10;

/// How many stages to do « Aujourd'hui » shows unless asked for all of
/// them (a portfolio of 330 members can have 180 at once: the page showed
/// them all, 130 Kio of rows).
pub const TODO_SHOWN: usize = 50;

/// How many members in the red or yellow state it shows; the others are
/// in the member list filtered by state.
pub const CARE_SHOWN: usize = 30;

/// Active members whose current stage (`stages`, one per row) has no
/// follow-up yet, most urgent first (colour, then days until renewal).
pub fn undone<'a>(rows: &'a [DayRow], stages: &[Option<CurrentStage<'_>>]) -> Vec<&'a DayRow> {
    let mut todos: Vec<Todo> = rows
        .iter()
        .zip(stages)
        .filter_map(|(r, stage)| {
            let stage = stage.as_ref()?;
            (!r.stages_done.contains(&stage.def.key)).then(|| Todo {
                member_id: r.id,
                colour: stage.def.colour,
                days_until_renewal: stage.days_until_renewal,
                name: format!("{} {}", r.last_name, r.first_name),
            })
        })
        .collect();
    order_todo(&mut todos);
    let by_id: HashMap<i64, &DayRow> = rows.iter().map(|r| (r.id, r)).collect();
    todos
        .iter()
        .filter_map(|t| by_id.get(&t.member_id).copied())
        .collect()
}

/// A stage to do, with the member's renewal risk and its heaviest fact.
pub struct TodoLine {
    pub line: MemberLine,
    pub risk: Option<(RiskBadge, String)>,
}

pub struct DueLine {
    pub line: MemberLine,
    pub due: String,
    pub late: bool,
}

/// The representative's renewals due this month and what became of them.
pub struct MonthRenewals {
    pub month: String,
    pub renewed: i64,
    /// Not renewed nor lost yet (date passed or still to come).
    pub pending: i64,
    pub lost: i64,
}

/// One aggregate query over the month's due cycles (see the retention
/// report).
async fn month_renewals(
    state: &AppState,
    scope: crate::domain::scope::Scope,
    today: NaiveDate,
) -> AppResult<MonthRenewals> {
    use crate::domain::report::Month;
    use crate::store::reports::{self, Dim, ReportFilter};
    let month = Month::of(today);
    let rows = reports::retention(
        &state.pool,
        scope,
        &ReportFilter::default(),
        (month.first_day(), month.shift(1).first_day()),
        today,
        &[Dim::Month],
    )
    .await?;
    let sum = |f: fn(&reports::RetentionRow) -> i64| rows.iter().map(f).sum::<i64>();
    Ok(MonthRenewals {
        month: month.label(),
        renewed: sum(|r| r.renewed),
        pending: sum(|r| r.pending + r.upcoming),
        lost: sum(|r| r.lost),
    })
}

pub struct TouchLine {
    pub line: MemberLine,
    pub last_contact: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/today.html")]
pub struct TodayPage {
    layout: Layout,
    today: String,
    counts: Vec<ColourCount>,
    todo: Vec<TodoLine>,
    /// The stages to do are ordered by risk rather than urgency.
    by_risk: bool,
    /// Stages to do in all (the list may show fewer).
    todo_total: usize,
    /// The whole list was asked for (`?tout=1`).
    todo_all: bool,
    /// How many it shows unless asked for all ([`TODO_SHOWN`]).
    todo_shown: usize,
    due: Vec<DueLine>,
    care: Vec<MemberLine>,
    /// Members in the red state, in the yellow one (the list may show
    /// fewer).
    care_red: i64,
    care_yellow: i64,
    touch: Vec<TouchLine>,
    to_request: Vec<MemberLine>,
    to_confirm: Vec<RequestLine>,
    notice: Option<String>,
    this_month: MonthRenewals,
    /// Active members in the portfolio.
    portfolio: usize,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TodayQuery {
    suivi: Option<String>,
    recue: Option<String>,
    /// `1`: every stage to do, not only the most urgent.
    tout: String,
    /// The member the last action was about (named in its message).
    membre: String,
    /// `risque`: the stages to do ordered by renewal risk, highest first.
    ordre: String,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    crate::web::form::Query(q): crate::web::form::Query<TodayQuery>,
) -> AppResult<TodayPage> {
    user.require(&[Role::Representative])?;
    let scope = user.scope();
    let name = match q.membre.trim().parse::<i64>() {
        Ok(id) => crate::store::members::name_in_scope(&state.pool, scope, id).await?,
        Err(_) => None,
    };
    let notice = name.and_then(|name| {
        if q.suivi.is_some() {
            Some(crate::fr!("Suivi de {name} enregistré."))
        } else if q.recue.is_some() {
            Some(format!("Réception de la facture par {name} confirmée."))
        } else {
            None
        }
    });
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    crate::store::risk::refresh(
        &state.pool,
        scope,
        today,
        crate::store::risk::REFRESH_AT_MOST,
    )
    .await?;
    let rows = day::portfolio(&state.pool, scope).await?;
    let stages = day::stages(&rows, &timelines, today);
    let mut undone = undone(&rows, &stages);
    let by_risk = q.ordre.trim() == "risque";
    if by_risk {
        let ids: Vec<i64> = undone.iter().map(|r| r.id).collect();
        let scores = crate::store::risk::scores_of(&state.pool, &ids).await?;
        // Stable: equal scores keep the urgency order.
        undone.sort_by_key(|r| std::cmp::Reverse(scores.get(&r.id).copied().unwrap_or(0)));
    }
    let todo_total = undone.len();
    let todo_all = q.tout.trim() == "1";
    let shown = if todo_all { todo_total } else { TODO_SHOWN };
    undone.truncate(shown);
    // Open planned follow-ups due today or before, oldest first.
    let mut due: Vec<(&DayRow, NaiveDate)> = rows
        .iter()
        .filter_map(|r| Some((r, r.planned_on.filter(|d| *d <= today)?)))
        .collect();
    due.sort_by(|(a, da), (b, db)| {
        da.cmp(db)
            .then_with(|| a.last_name.cmp(&b.last_name))
            .then(a.id.cmp(&b.id))
    });
    // Members in the red state, then the yellow one, by renewal date.
    let mut care: Vec<&DayRow> = rows
        .iter()
        .filter(|r| matches!(r.state.as_deref(), Some("red" | "yellow")))
        .collect();
    care.sort_by_key(|r| (r.state.as_deref() != Some("red"), r.renewal_date, r.id));
    let care_red = care
        .iter()
        .filter(|r| r.state.as_deref() == Some("red"))
        .count() as i64;
    let care_yellow = care.len() as i64 - care_red;
    care.truncate(CARE_SHOWN);
    // The members not contacted for the longest time, never contacted first.
    let mut touch: Vec<&DayRow> = rows.iter().collect();
    touch.sort_by_key(|r| {
        (
            r.last_contact_at.is_some(),
            r.last_contact_at,
            r.renewal_date,
            r.id,
        )
    });
    touch.truncate(TOUCH_COUNT);
    // Members at or past the stage that asks for the billing request, with
    // no request sent for this cycle.
    // (By date: a late renewal's first stage does not hold this back.)
    let billing_due: Vec<&DayRow> = rows
        .iter()
        .zip(&stages)
        .filter(|(r, stage)| {
            let formula = r.stage_facts().formula();
            let by_date = if r.welcome_from.is_some() {
                timelines
                    .current(formula, r.renewal_date, r.term_months, today)
                    .map(|c| c.def)
            } else {
                stage.as_ref().map(|c| c.def)
            };
            by_date.is_some_and(|def| timelines.billing_due_at(formula, def))
        })
        .map(|(r, _)| r)
        .collect();
    let requested = day::live_requests(
        &state.pool,
        &billing_due
            .iter()
            .map(|r| (r.id, r.cycle))
            .collect::<Vec<_>>(),
    )
    .await?;
    let to_request: Vec<&DayRow> = billing_due
        .into_iter()
        .filter(|r| !requested.contains(&r.id))
        .collect();
    // The whole rows of the lines shown, and the risk of the stages to do.
    let mut ids: Vec<i64> = undone
        .iter()
        .chain(due.iter().map(|(r, _)| r))
        .chain(&care)
        .chain(&touch)
        .chain(&to_request)
        .map(|r| r.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let full = day::shown(&state.pool, scope, &ids).await?;
    let line_of = |r: &DayRow| full.get(&r.id).map(|m| line(m, &timelines, today));
    let todo_ids: Vec<i64> = undone.iter().map(|r| r.id).collect();
    let mut risks = crate::store::risk::of_members(&state.pool, &todo_ids).await?;
    let todo = undone
        .into_iter()
        .filter_map(|r| {
            Some(TodoLine {
                line: line_of(r)?,
                risk: risks.remove(&r.id).map(|k| {
                    (
                        RiskBadge::of(&k),
                        k.facts.first().map(|f| f.explained()).unwrap_or_default(),
                    )
                }),
            })
        })
        .collect();
    let due = due
        .into_iter()
        .filter_map(|(r, d)| {
            Some(DueLine {
                line: line_of(r)?,
                due: date_fr(d),
                late: d < today,
            })
        })
        .collect();
    let care = care.into_iter().filter_map(line_of).collect();
    let tz = state.config.time_zone;
    let touch = touch
        .into_iter()
        .filter_map(|r| {
            Some(TouchLine {
                line: line_of(r)?,
                last_contact: match r.last_contact_at {
                    None => "jamais contacté·e".into(),
                    Some(at) => {
                        let days = (today - at.with_timezone(&tz).date_naive()).num_days();
                        match days {
                            ..=0 => "contacté·e aujourd'hui".into(),
                            1 => "dernier contact hier".into(),
                            n => format!("dernier contact il y a {n} jours"),
                        }
                    }
                },
            })
        })
        .collect();
    let to_request = to_request.into_iter().filter_map(line_of).collect();
    let to_confirm = billing::to_confirm(&state.pool, scope)
        .await?
        .iter()
        .map(|r| request_line(r, tz))
        .collect();
    let counts = colour_counts(day::colour_counts(&stages));
    let this_month = month_renewals(&state, scope, today).await?;
    Ok(TodayPage {
        portfolio: rows.len(),
        this_month,
        layout: Layout::new("Aujourd'hui", &user.0, Role::Representative.home_path()),
        today: date_fr(today),
        counts,
        todo,
        todo_total,
        todo_all,
        todo_shown: TODO_SHOWN,
        by_risk,
        due,
        care,
        care_red,
        care_yellow,
        touch,
        to_request,
        to_confirm,
        notice,
    })
}
