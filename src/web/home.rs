//! The home page of the district manager and of direction: members by
//! stage and colour (each a link to the filtered list), orphans, open
//! escalations overdue first, the next six months of renewals and the
//! last twelve months of retention (small charts), and for direction the
//! same per district with a link to each report.
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use chrono::NaiveDate;

use crate::domain::chart::BarChart;
use crate::domain::escalation::Level;
use crate::domain::format::date_fr;
use crate::domain::formula::{Colour, Formula};
use crate::domain::report::{Outcomes, Period, rate_fr};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::escalations::{self, QueueFilter, QueueView, StatusFilter};
use crate::store::reports::{Dim, PipelineRow, ReportFilter};
use crate::store::timeline::{self as timeline_store, Timelines};
use crate::store::{dashboard, members};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::members::{MemberLine, line};
use crate::web::reports::pipeline::{colour_series, months_ahead, split, stacked_chart};
use crate::web::reports::retention::split as retention_split;
use crate::web::reports::{Selection, query_string, retention_chart};

/// How many urgent members the home page lists.
pub const URGENT_COUNT: i64 = 20;
/// How many members at highest renewal risk a home shows.
pub const RISKIEST_COUNT: i64 = 8;
/// How many open escalations the home page lists.
pub const ESCALATION_COUNT: i64 = 5;
/// Months of renewals ahead shown on the home page.
pub const MONTHS_AHEAD: i32 = 6;

/// `/` sends each user to their role's home.
pub async fn root(CurrentUser(user): CurrentUser) -> Redirect {
    Redirect::to(user.role.home_path())
}

pub struct ColourCount {
    pub colour: Colour,
    pub count: i64,
    pub meaning: &'static str,
}

/// Counts with the words that explain each colour.
pub fn colour_counts(counts: Vec<(Colour, i64)>) -> Vec<ColourCount> {
    counts
        .into_iter()
        .map(|(colour, count)| ColourCount {
            colour,
            count,
            meaning: meaning(colour),
        })
        .collect()
}

fn meaning(c: Colour) -> &'static str {
    match c {
        Colour::Red => "critique",
        Colour::Orange => "passe bientôt au rouge",
        Colour::Yellow => "attention particulière",
        Colour::Green => "sans urgence",
    }
}

/// Active members in one stage (across formulas), in timeline order.
pub struct StageCount {
    pub key: String,
    pub label: String,
    pub colour: Colour,
    pub count: i64,
}

/// Active members of a formula in a stage (`None`: past the timeline).
pub type StageRow = (String, Option<String>, i64);

/// The rows of [`dashboard::staged_by_month`] summed two ways: per formula
/// and stage (every month), and per month ahead and colour (the rows due
/// in the window), as `stage_counts` and `upcoming_by_colour` give them.
pub fn stages_and_months(rows: &[dashboard::StagedMonth]) -> (Vec<StageRow>, Vec<PipelineRow>) {
    let mut stages: Vec<StageRow> = Vec::new();
    let mut months: Vec<PipelineRow> = Vec::new();
    for r in rows {
        match stages
            .iter_mut()
            .find(|(f, s, _)| *f == r.formula && *s == r.stage)
        {
            Some(line) => line.2 += r.n,
            None => stages.push((r.formula.clone(), r.stage.clone(), r.n)),
        }
        let Some(month) = r.month else { continue };
        let month = month.format("%Y-%m").to_string();
        match months
            .iter_mut()
            .find(|p| p.month == month && p.colour == r.colour)
        {
            Some(p) => p.members += r.n,
            None => months.push(PipelineRow {
                month,
                colour: r.colour.clone(),
                state: None,
                by_state: false,
                members: r.n,
            }),
        }
    }
    (stages, months)
}

/// Stage and colour counts from (formula, stage key, count) rows; a stage
/// takes the colour it has in the first formula's table that has it.
pub fn stage_and_colour_counts(
    rows: &[StageRow],
    timelines: &Timelines,
) -> (Vec<StageCount>, Vec<(Colour, i64)>) {
    let mut stages: Vec<StageCount> = timelines
        .stage_choices()
        .into_iter()
        .filter_map(|(key, label)| {
            let colour = Formula::ALL
                .iter()
                .find_map(|f| timelines.table(*f).iter().find(|d| d.key == key))
                .map(|d| d.colour)?;
            Some(StageCount {
                key,
                label,
                colour,
                count: 0,
            })
        })
        .collect();
    let mut colours: Vec<(Colour, i64)> = Colour::ALL.iter().map(|c| (*c, 0)).collect();
    for (formula, key, count) in rows {
        let (Some(formula), Some(key)) = (Formula::parse(formula), key) else {
            continue;
        };
        if let Some(s) = stages.iter_mut().find(|s| s.key == *key) {
            s.count += count;
        }
        let colour = timelines
            .table(formula)
            .iter()
            .find(|d| d.key == *key)
            .map(|d| d.colour);
        if let Some(c) = colours.iter_mut().find(|(c, _)| Some(*c) == colour) {
            c.1 += count;
        }
    }
    (stages, colours)
}

pub struct EscalationLine {
    pub id: i64,
    pub member: String,
    pub level: &'static str,
    pub district: String,
    pub due: String,
    pub overdue: bool,
}

pub struct DistrictRow {
    pub id: i64,
    pub name: String,
    pub active: i64,
    pub orphans: i64,
    pub retention: String,
    pub escalations_pending: i64,
    pub escalations_late: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
pub struct HomePage {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
    counts: Vec<ColourCount>,
    stages: Vec<StageCount>,
    orphans: i64,
    escalations: Vec<EscalationLine>,
    /// Escalations waiting for this user's answer, and how many are late.
    pending_escalations: i64,
    late_escalations: i64,
    renewals_chart: BarChart,
    renewals_total: Vec<(String, i64)>,
    retention_chart: BarChart,
    retention_total: String,
    retention_period: String,
    districts: Vec<DistrictRow>,
    urgent: Vec<MemberLine>,
    /// The members at highest renewal risk, with what weighs most.
    riskiest: Vec<crate::web::risk::RiskLine>,
    show_representative: bool,
    show_district: bool,
}

async fn home(
    state: &AppState,
    user: &CurrentUser,
    role: Role,
    heading: &'static str,
    intro: &'static str,
) -> AppResult<HomePage> {
    user.require(&[role])?;
    let (pool, scope, today) = (&state.pool, user.scope(), state.today());
    let timelines = timeline_store::load(pool).await?;
    // The stages and colours of today, and the next months of renewals
    // stacked by today's colour, from one statement.
    let months = months_ahead(today, MONTHS_AHEAD);
    let (first, last) = (months[0], months[months.len() - 1]);
    let staged = dashboard::staged_by_month(
        pool,
        scope,
        &timelines,
        (first.first_day(), last.shift(1).first_day()),
        today,
    )
    .await?;
    let (stage_rows, pipeline) = stages_and_months(&staged);
    let (stages, colours) = stage_and_colour_counts(&stage_rows, &timelines);
    let view = match scope {
        Scope::District(d) => QueueView::District(d),
        _ => QueueView::Network,
    };
    let (pending_escalations, late_escalations) =
        escalations::pending_counts(pool, view, today).await?;
    let pending = QueueFilter {
        status: StatusFilter::Pending,
        ..QueueFilter::default()
    };
    let open = escalations::queue_page(pool, view, &pending, today, ESCALATION_COUNT, 0).await?;
    let districts = dashboard::districts(pool, scope, today).await?;
    let orphans = districts.iter().map(|d| d.orphans).sum();
    let (by_colour, _) = split(&months, &pipeline);
    // The last 12 complete months of retention, and per district.
    let period = Period::default_for(today);
    // Complete months only: read from the tallies kept on write.
    let retention_rows =
        dashboard::tallied_retention(pool, scope, (period.start(), period.end())).await?;
    let sel = Selection {
        period,
        filter: ReportFilter::default(),
        errors: Default::default(),
        query: query_string(period, &ReportFilter::default()),
    };
    let (retention_months, _) = retention_split(&sel, &retention_rows, today);
    let mut total = Outcomes::default();
    for m in &retention_months {
        total.add(m.outcomes);
    }
    let district_rate = |id: i64| {
        retention_rows
            .iter()
            .find(|r| r.dim == Dim::District.key() && r.key_id == Some(id))
            .map(|r| {
                Outcomes {
                    renewed: r.renewed,
                    lost: r.lost,
                    pending: r.pending,
                    upcoming: r.upcoming,
                }
                .rate()
            })
            .unwrap_or(None)
    };
    let urgent = members::most_urgent(pool, scope, &timelines, today, URGENT_COUNT)
        .await?
        .iter()
        .map(|r| line(r, &timelines, today))
        .collect();
    crate::web::risk::fresh(state, scope, today).await?;
    let riskiest = crate::store::risk::list(
        pool,
        scope,
        &crate::store::risk::RiskFilter::default(),
        RISKIEST_COUNT,
        0,
    )
    .await?
    .iter()
    .map(|r| crate::web::risk::risk_line(r, &timelines, today))
    .collect();
    Ok(HomePage {
        layout: Layout::new(heading, &user.0, role.home_path()),
        heading,
        intro,
        counts: colour_counts(colours),
        stages,
        orphans,
        escalations: open.iter().map(|e| escalation_line(e, today)).collect(),
        pending_escalations,
        late_escalations,
        renewals_chart: stacked_chart(
            "a-venir",
            "Renouvellements des six prochains mois, selon la couleur de l'étape aujourd'hui",
            &months,
            &by_colour,
            colour_series(),
        ),
        renewals_total: months
            .iter()
            .zip(&by_colour)
            .map(|(m, c)| (m.label(), c.iter().sum()))
            .collect(),
        retention_chart: retention_chart("retention", &retention_months),
        retention_total: rate_fr(total.rate()),
        retention_period: period.label(),
        districts: if role == Role::Direction {
            districts
                .iter()
                .map(|d| DistrictRow {
                    id: d.id,
                    name: d.name.clone(),
                    active: d.active,
                    orphans: d.orphans,
                    retention: rate_fr(district_rate(d.id)),
                    escalations_pending: d.escalations_pending,
                    escalations_late: d.escalations_late,
                })
                .collect()
        } else {
            Vec::new()
        },
        urgent,
        riskiest,
        show_representative: role != Role::Representative,
        show_district: role == Role::Direction,
    })
}

fn escalation_line(e: &escalations::EscalationRow, today: NaiveDate) -> EscalationLine {
    let level: Level = e.level();
    EscalationLine {
        id: e.id,
        member: e.member_name.clone(),
        level: level.label(),
        district: e.district_name.clone(),
        due: date_fr(e.due_on),
        overdue: e.due_on < today,
    }
}

pub async fn district_manager(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<HomePage> {
    home(
        &state,
        &user,
        Role::DistrictManager,
        "Mon district",
        "Les membres actifs de votre district selon l'étape de leur renouvellement, ce qui s'en vient et ce qui a été retenu.",
    )
    .await
}

pub async fn direction(State(state): State<AppState>, user: CurrentUser) -> AppResult<HomePage> {
    home(
        &state,
        &user,
        Role::Direction,
        "Direction",
        "Tout le réseau : les renouvellements par étape et par couleur, ce qui s'en vient, la rétention et chaque district.",
    )
    .await
}
