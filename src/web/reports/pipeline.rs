//! `/rapports/a-venir`: renewals due in each of the next 12 months, by the
//! colour of their stage today and by the member's state; for the next two
//! months, where each stands in billing.
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;

use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart, count_label};
use crate::domain::formula::{Colour, State as MemberState};
use crate::domain::report::{Month, grid};
use crate::domain::scope::Scope;
use crate::domain::validation::format_money;
use crate::store::reports::{self, BillingRow, PipelineRow, ReportFilter};
use crate::store::timeline as timeline_store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, Dialect};
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::reports::{
    CsvLinks, FilterForm, REPORT_ROLES, ReportQuery, csv_file, month_of, refuse_csv, respond,
};

const PATH: &str = "/rapports/a-venir";
const CSV_PATH: &str = "/rapports/a-venir.csv";
/// How many months ahead the pipeline looks (this month included).
pub const MONTHS_AHEAD: i32 = 12;

/// Billing stages in the order a request moves, with their labels.
pub const BILLING_STAGES: [(&str, &str); 4] = [
    ("to_request", "À demander"),
    ("requested", "Demandée"),
    ("invoiced", "Facturée"),
    ("paid", "Payée (renouvelé)"),
];

/// The states and "none", in the order of the chart.
pub const STATE_LABELS: [&str; 5] = ["Flamme", "Vert", "Jaune", "Rouge", "Aucun état"];

pub struct Row {
    pub label: String,
    pub counts: Vec<i64>,
    pub total: i64,
}

pub struct BillingCell {
    pub members: i64,
    pub amount: Option<String>,
}

pub struct BillingLine {
    pub label: String,
    pub cells: Vec<BillingCell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/pipeline.html")]
pub struct PipelinePage {
    layout: Layout,
    form: FilterForm,
    colour_chart: BarChart,
    state_chart: BarChart,
    by_colour: Vec<Row>,
    by_state: Vec<Row>,
    billing: Vec<BillingLine>,
    stage_labels: Vec<&'static str>,
    csv_colour: CsvLinks,
    csv_state: CsvLinks,
    csv_billing: CsvLinks,
}

/// The months ahead, from the current one.
pub fn months_ahead(today: NaiveDate, n: i32) -> Vec<Month> {
    let first = Month::of(today);
    (0..n).map(|i| first.shift(i)).collect()
}

fn span(months: &[Month]) -> (NaiveDate, NaiveDate) {
    let first = months.first().copied().unwrap_or(Month::of(NaiveDate::MIN));
    let last = months.last().copied().unwrap_or(first);
    (first.first_day(), last.shift(1).first_day())
}

/// Counts per month and colour (red → green) and per state (then none).
pub fn split(months: &[Month], rows: &[PipelineRow]) -> (Vec<Vec<i64>>, Vec<Vec<i64>>) {
    let mut by_colour = Vec::new();
    let mut by_state = Vec::new();
    for r in rows {
        let Some(m) = month_of(Some(&r.month)) else {
            continue;
        };
        if !r.by_state {
            if let Some(c) = r.colour.as_deref().and_then(Colour::parse) {
                let i = Colour::ALL.iter().position(|x| *x == c).unwrap_or(0);
                by_colour.push((m, i, r.members));
            }
            continue;
        }
        let s = r
            .state
            .as_deref()
            .and_then(MemberState::parse)
            .and_then(|s| MemberState::ALL.iter().position(|x| *x == s))
            .unwrap_or(MemberState::ALL.len());
        by_state.push((m, s, r.members));
    }
    (
        grid(months, Colour::ALL.len(), &by_colour),
        grid(months, STATE_LABELS.len(), &by_state),
    )
}

/// Stacked bars per month; `series` gives the class and label of each part.
pub fn stacked_chart(
    id: &str,
    title: &str,
    months: &[Month],
    counts: &[Vec<i64>],
    series: Vec<Series>,
) -> BarChart {
    let bars = months
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (m, c))| BarInput {
            label: m.abbreviation().to_string(),
            sublabel: m.axis_year(i == 0),
            values: c.iter().map(|v| *v as f64).collect(),
            top_label: count_label(c.iter().sum::<i64>() as f64),
            muted: false,
        })
        .collect();
    let described: Vec<String> = months
        .iter()
        .zip(counts)
        .map(|(m, c)| {
            let parts: Vec<String> = series
                .iter()
                .zip(c)
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| format!("{} {n}", s.label.to_lowercase()))
                .collect();
            let sum: i64 = c.iter().sum();
            if parts.is_empty() {
                format!("{} : {sum}", m.label())
            } else {
                format!("{} : {sum} ({})", m.label(), parts.join(", "))
            }
        })
        .collect();
    bar_chart(
        id,
        title,
        &described.join(" ; "),
        series,
        bars,
        Axis::Counts,
    )
}

pub fn colour_series() -> Vec<Series> {
    Colour::ALL
        .iter()
        .map(|c| Series {
            class: c.as_str(),
            label: c.label().to_string(),
        })
        .collect()
}

fn state_series() -> Vec<Series> {
    let classes = [
        "state-flame",
        "state-green",
        "state-yellow",
        "state-red",
        "state-none",
    ];
    classes
        .iter()
        .zip(STATE_LABELS)
        .map(|(class, label)| Series {
            class,
            label: label.to_string(),
        })
        .collect()
}

fn rows(months: &[Month], counts: &[Vec<i64>]) -> Vec<Row> {
    months
        .iter()
        .zip(counts)
        .map(|(m, c)| Row {
            label: m.label(),
            counts: c.clone(),
            total: c.iter().sum(),
        })
        .collect()
}

/// Members and known amounts per month and billing stage.
fn billing_lines(months: &[Month], rows: &[BillingRow]) -> Vec<BillingLine> {
    months
        .iter()
        .map(|m| BillingLine {
            label: m.label(),
            cells: BILLING_STAGES
                .iter()
                .map(|(key, _)| {
                    let found = rows
                        .iter()
                        .find(|r| r.stage == *key && month_of(Some(&r.month)) == Some(*m));
                    BillingCell {
                        members: found.map_or(0, |r| r.members),
                        amount: found
                            .filter(|r| r.priced > 0)
                            .and_then(|r| r.amount_cents)
                            .map(format_money),
                    }
                })
                .collect(),
        })
        .collect()
}

async fn figures(
    state: &AppState,
    scope: Scope,
    filter: &ReportFilter,
    months: &[Month],
) -> AppResult<(Vec<Vec<i64>>, Vec<Vec<i64>>)> {
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let rows =
        reports::pipeline(&state.pool, scope, filter, &timelines, span(months), today).await?;
    Ok(split(months, &rows))
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&REPORT_ROLES)?;
    let today = state.today();
    let mut sel = q.select(today, user.scope());
    let refused = !sel.errors.is_empty();
    let months = months_ahead(today, MONTHS_AHEAD);
    let (by_colour, by_state) = figures(&state, user.scope(), &sel.filter, &months).await?;
    let soon = &months[..2.min(months.len())];
    let billing = reports::billing(&state.pool, user.scope(), &sel.filter, span(soon)).await?;
    let form = FilterForm::load(&state, &user, PATH, &q, &mut sel, false).await?;
    let page = PipelinePage {
        layout: Layout::new("À venir", &user.0, "/rapports"),
        colour_chart: stacked_chart(
            "couleurs",
            "Renouvellements à venir par mois, selon la couleur de l'étape aujourd'hui",
            &months,
            &by_colour,
            colour_series(),
        ),
        state_chart: stacked_chart(
            "etats",
            "Renouvellements à venir par mois, selon l'état de la personne",
            &months,
            &by_state,
            state_series(),
        ),
        by_colour: rows(&months, &by_colour),
        by_state: rows(&months, &by_state),
        billing: billing_lines(soon, &billing),
        stage_labels: BILLING_STAGES.iter().map(|(_, l)| *l).collect(),
        csv_colour: CsvLinks::new(CSV_PATH, "", &sel.query),
        csv_state: CsvLinks::new(CSV_PATH, "etat", &sel.query),
        csv_billing: CsvLinks::new(CSV_PATH, "facturation", &sel.query),
        form,
    };
    Ok(respond(page, refused))
}

/// By colour (default), `etat`, or `facturation` (one row per month and
/// billing stage, with the known amount).
pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&REPORT_ROLES)?;
    let today = state.today();
    let sel = q.select(today, user.scope());
    if !sel.errors.is_empty() {
        return Err(refuse_csv(&sel.errors));
    }
    let dialect = Dialect::from_param(q.format.as_deref());
    let months = months_ahead(today, MONTHS_AHEAD);
    let name = format!("a-venir-{}", months[0].key());
    if q.tableau.trim() == "facturation" {
        let soon = &months[..2];
        let rows = reports::billing(&state.pool, user.scope(), &sel.filter, span(soon)).await?;
        let mut out = Vec::new();
        for m in soon {
            for (key, label) in BILLING_STAGES {
                let found = rows
                    .iter()
                    .find(|r| r.stage == key && month_of(Some(&r.month)) == Some(*m));
                out.push(vec![
                    Cell::Text(m.key()),
                    Cell::Text(label.to_string()),
                    Cell::Int(found.map_or(0, |r| r.members)),
                    Cell::Int(found.map_or(0, |r| r.priced)),
                    found
                        .and_then(|r| r.amount_cents)
                        .map_or(Cell::Empty, |c| Cell::Decimal(c as f64 / 100.0, 2)),
                ]);
            }
        }
        return csv_file(
            dialect,
            &[
                "mois",
                "facturation",
                "membres",
                "avec montant",
                "montant ($)",
            ],
            out,
            &format!("{name}-facturation"),
        );
    }
    let (by_colour, by_state) = figures(&state, user.scope(), &sel.filter, &months).await?;
    let (header, counts, suffix): (Vec<&str>, _, _) = if q.tableau.trim() == "etat" {
        (
            vec![
                "mois",
                "flamme",
                "vert",
                "jaune",
                "rouge",
                "aucun état",
                "total",
            ],
            by_state,
            "etats",
        )
    } else {
        (
            vec!["mois", "rouge", "orange", "jaune", "vert", "total"],
            by_colour,
            "couleurs",
        )
    };
    let out = months
        .iter()
        .zip(counts)
        .map(|(m, c)| {
            let mut cells = vec![Cell::Text(m.key())];
            cells.extend(c.iter().map(|n| Cell::Int(*n)));
            cells.push(Cell::Int(c.iter().sum()));
            cells
        })
        .collect();
    csv_file(dialect, &header, out, &format!("{name}-{suffix}"))
}
