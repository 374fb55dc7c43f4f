//! `/rapports/retention`: due, renewed, lost and pending per month, the
//! rate, and the same by district, formula, group and representative.
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;

use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart, count_label};
use crate::domain::formula::Formula;
use crate::domain::report::{Outcomes, RetentionMonth, rate_fr, retention_by_month, total};
use crate::domain::scope::Scope;
use crate::store::reports::{self, Dim, ReportFilter, RetentionRow};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, Dialect};
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::reports::{
    CsvLinks, FilterForm, REPORT_ROLES, RETENTION_HEADER, ReportQuery, Selection, csv_file,
    month_of, refuse_csv, respond, retention_cells, retention_chart,
};

const PATH: &str = "/rapports/retention";
const CSV_PATH: &str = "/rapports/retention.csv";

/// One line of a breakdown table.
pub struct Line {
    pub name: String,
    pub outcomes: Outcomes,
    pub rate: String,
}

pub struct Breakdown {
    pub title: &'static str,
    pub column: &'static str,
    pub lines: Vec<Line>,
    pub csv: CsvLinks,
    /// Not shown on the page for the whole network (thousands of groups
    /// and people): a district must be chosen first; the CSV has it all.
    pub withheld: bool,
}

pub struct MonthLine {
    pub label: String,
    pub outcomes: Outcomes,
    pub rate: String,
    pub provisional: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/retention.html")]
pub struct RetentionPage {
    layout: Layout,
    form: FilterForm,
    months: Vec<MonthLine>,
    total: Outcomes,
    total_rate: String,
    any_provisional: bool,
    rate_chart: BarChart,
    count_chart: BarChart,
    breakdowns: Vec<Breakdown>,
    csv: CsvLinks,
}

/// The tables a breakdown can be: its `tableau` key, title, first column.
const BREAKDOWNS: [(Dim, &str, &str, &str); 4] = [
    (Dim::District, "district", "Par district", "district"),
    (Dim::Formula, "formule", "Par formule", "formule"),
    (Dim::Group, "groupe", "Par groupe", "groupe"),
    (
        Dim::Representative,
        "representant",
        "Par représentant·e",
        "représentant·e",
    ),
];

fn outcomes(r: &RetentionRow) -> Outcomes {
    Outcomes {
        renewed: r.renewed,
        lost: r.lost,
        pending: r.pending,
        upcoming: r.upcoming,
    }
}

fn name_of(dim: Dim, r: &RetentionRow) -> String {
    match dim {
        Dim::Formula => r
            .formula
            .as_deref()
            .and_then(Formula::parse)
            .map_or("—".into(), |f| f.label().to_string()),
        Dim::Group if r.key_id.is_none() => "Sans groupe (régional ou partenaire)".into(),
        Dim::Representative if r.key_id.is_none() => "Sans représentant·e (orphelins)".into(),
        _ => r.name.clone().unwrap_or_else(|| "—".into()),
    }
}

/// Months of the period, and the rows of each breakdown (by name).
pub fn split(
    sel: &Selection,
    rows: &[RetentionRow],
    today: chrono::NaiveDate,
) -> (Vec<RetentionMonth>, Vec<(Dim, Vec<Line>)>) {
    let month_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.dim == Dim::Month.key())
        .filter_map(|r| month_of(r.month.as_deref()).map(|m| (m, outcomes(r))))
        .collect();
    let months = retention_by_month(sel.period, &month_rows, today);
    let breakdowns = BREAKDOWNS
        .iter()
        .map(|(dim, ..)| {
            let mut lines: Vec<Line> = rows
                .iter()
                .filter(|r| r.dim == dim.key())
                .map(|r| {
                    let o = outcomes(r);
                    Line {
                        name: name_of(*dim, r),
                        rate: rate_fr(o.rate()),
                        outcomes: o,
                    }
                })
                .filter(|l| l.outcomes.due() > 0)
                .collect();
            lines.sort_by_key(|l| l.name.to_lowercase());
            (*dim, lines)
        })
        .collect();
    (months, breakdowns)
}

async fn figures(
    state: &AppState,
    user: &CurrentUser,
    sel: &Selection,
    dims: &[Dim],
) -> AppResult<(Vec<RetentionMonth>, Vec<(Dim, Vec<Line>)>)> {
    let today = state.today();
    let rows = reports::retention(
        &state.pool,
        user.scope(),
        &sel.filter,
        (sel.period.start(), sel.period.end()),
        today,
        dims,
    )
    .await?;
    Ok(split(sel, &rows, today))
}

/// The whole network, not narrowed to a district, group or person: the
/// page then leaves out the tables by group and by representative (2,000
/// groups at 100,000 members, 20,000 at a million), which its CSV gives.
fn whole_network(user: &CurrentUser, f: &ReportFilter) -> bool {
    user.scope() == Scope::Network
        && f.district_id.is_none()
        && f.group_id.is_none()
        && f.representative_id.is_none()
}

fn withheld(dim: Dim) -> bool {
    matches!(dim, Dim::Group | Dim::Representative)
}

/// Renewed, lost and pending per month, stacked, the due count on top.
pub fn count_chart(id: &str, months: &[RetentionMonth]) -> BarChart {
    let bars = months
        .iter()
        .enumerate()
        .map(|(i, m)| BarInput {
            label: m.month.abbreviation().to_string(),
            sublabel: m.month.axis_year(i == 0),
            values: vec![
                m.outcomes.renewed as f64,
                m.outcomes.lost as f64,
                m.outcomes.pending as f64,
            ],
            top_label: count_label(m.outcomes.due() as f64),
            muted: false,
        })
        .collect();
    let described: Vec<String> = months
        .iter()
        .map(|m| {
            format!(
                "{} : {} échus, {} renouvelés, {} perdus, {} en attente",
                m.month.label(),
                m.outcomes.due(),
                m.outcomes.renewed,
                m.outcomes.lost,
                m.outcomes.pending
            )
        })
        .collect();
    bar_chart(
        id,
        "Membres échus par mois, selon ce qu'il en est advenu",
        &described.join(" ; "),
        vec![
            Series {
                class: "renewed",
                label: "Renouvelés".into(),
            },
            Series {
                class: "lost",
                label: "Perdus".into(),
            },
            Series {
                class: "pending",
                label: "En attente".into(),
            },
        ],
        bars,
        Axis::Counts,
    )
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&REPORT_ROLES)?;
    let mut sel = q.select(state.today(), user.scope());
    let refused = !sel.errors.is_empty();
    let whole = whole_network(&user, &sel.filter);
    let dims: Vec<Dim> = Dim::ALL
        .into_iter()
        .filter(|d| !(whole && withheld(*d)))
        .collect();
    let (months, breakdowns) = figures(&state, &user, &sel, &dims).await?;
    let form = FilterForm::load(&state, &user, PATH, &q, &mut sel, true).await?;
    let t = total(&months);
    let page = RetentionPage {
        layout: Layout::new("Rétention", &user.0, "/rapports"),
        total_rate: rate_fr(t.rate()),
        total: t,
        any_provisional: months.iter().any(|m| m.provisional),
        rate_chart: retention_chart("taux", &months),
        count_chart: count_chart("echus", &months),
        months: months
            .iter()
            .map(|m| MonthLine {
                label: m.month.label(),
                outcomes: m.outcomes,
                rate: rate_fr(m.rate()),
                provisional: m.provisional,
            })
            .collect(),
        breakdowns: breakdowns
            .into_iter()
            .zip(BREAKDOWNS)
            .map(|((dim, lines), (_, key, title, column))| Breakdown {
                title,
                column,
                lines,
                csv: CsvLinks::new(CSV_PATH, key, &sel.query),
                withheld: whole && withheld(dim),
            })
            .collect(),
        csv: CsvLinks::new(CSV_PATH, "", &sel.query),
        form,
    };
    Ok(respond(page, refused))
}

/// The month table (columns `mois`, `échus`, `renouvelés`, `perdus`,
/// `en attente`, `taux`), or a breakdown with `?tableau=`.
pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&REPORT_ROLES)?;
    let sel = q.select(state.today(), user.scope());
    if !sel.errors.is_empty() {
        return Err(refuse_csv(&sel.errors));
    }
    let dialect = Dialect::from_param(q.format.as_deref());
    let (months, breakdowns) = figures(&state, &user, &sel, &Dim::ALL).await?;
    let span = format!("{}_{}", sel.period.from.key(), sel.period.to.key());
    let wanted = BREAKDOWNS
        .iter()
        .zip(breakdowns)
        .find(|((_, key, ..), _)| *key == q.tableau.trim());
    match wanted {
        Some(((_, key, _, column), (_, lines))) => {
            let mut header = vec![*column];
            header.extend(RETENTION_HEADER);
            let rows = lines
                .iter()
                .map(|l| {
                    let mut cells = vec![Cell::Text(l.name.clone())];
                    cells.extend(retention_cells(&l.outcomes));
                    cells
                })
                .collect();
            csv_file(dialect, &header, rows, &format!("retention-{key}-{span}"))
        }
        None => {
            let mut header = vec!["mois"];
            header.extend(RETENTION_HEADER);
            let rows = months
                .iter()
                .map(|m| {
                    let mut cells = vec![Cell::Text(m.month.key())];
                    cells.extend(retention_cells(&m.outcomes));
                    cells
                })
                .collect();
            csv_file(dialect, &header, rows, &format!("retention-{span}"))
        }
    }
}
