//! Reports under `/rapports`: the period and filters every report shares,
//! the index page, and the CSV plumbing. One file per report.
pub mod calibration;
pub mod follow_up;
pub mod losses;
pub mod pipeline;
pub mod retention;
pub mod team;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart};
use crate::domain::formula::Formula;
use crate::domain::report::{Month, Outcomes, Period, RetentionMonth, rate_fr};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::domain::validation::FieldErrors;
use crate::store::members::{self, Choice};
use crate::store::reports::ReportFilter;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, CsvEncoder, Dialect, comma_href};
use crate::web::error::{AppError, AppResult};
use crate::web::layout::Layout;

/// Who may read reports (each within their scope); billing may not.
pub const REPORT_ROLES: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

/// The period and filters as typed in the query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    pub du: String,
    pub au: String,
    pub district: String,
    pub groupe: String,
    pub formule: String,
    pub representant: String,
    pub page: String,
    /// Which table of the report a CSV holds.
    pub tableau: String,
    /// CSV dialect (`virgule` for comma-separated).
    pub format: Option<String>,
}

/// What a report runs on once the query is read.
pub struct Selection {
    pub period: Period,
    pub filter: ReportFilter,
    pub errors: FieldErrors,
    /// The query string of the period and filters actually used.
    pub query: String,
}

impl ReportQuery {
    /// Reads the period and filters; what is wrong gets a French message
    /// and is replaced by its default. Filters outside the user's scope
    /// simply find nothing (the scope applies in SQL).
    pub fn select(&self, today: NaiveDate, scope: Scope) -> Selection {
        let (period, mut errors) = Period::parse(&self.du, &self.au, today);
        let mut id = |raw: &str, field: &'static str, message: &str| -> Option<i64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(field, message);
                    None
                }
            }
        };
        let district_id = id(
            &self.district,
            "district",
            "Choisissez un district de la liste.",
        );
        let group_id = id(&self.groupe, "groupe", "Choisissez un groupe de la liste.");
        let representative_id = match scope {
            Scope::Representative { .. } => None,
            _ => id(
                &self.representant,
                "representant",
                "Choisissez un·e représentant·e de la liste.",
            ),
        };
        let formula = match self.formule.trim() {
            "" => None,
            raw => Formula::parse(raw).or_else(|| {
                errors.add("formule", "Choisissez une formule de la liste.");
                None
            }),
        };
        let filter = ReportFilter {
            district_id: if scope == Scope::Network {
                district_id
            } else {
                None
            },
            group_id,
            formula,
            representative_id,
        };
        let query = query_string(period, &filter);
        Selection {
            period,
            filter,
            errors,
            query,
        }
    }

    pub fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 100_000)
    }
}

/// `du=…&au=…` plus the filters in use.
pub fn query_string(period: Period, f: &ReportFilter) -> String {
    let mut parts = vec![
        format!("du={}", period.from.key()),
        format!("au={}", period.to.key()),
    ];
    if let Some(d) = f.district_id {
        parts.push(format!("district={d}"));
    }
    if let Some(g) = f.group_id {
        parts.push(format!("groupe={g}"));
    }
    if let Some(x) = f.formula {
        parts.push(format!("formule={}", x.as_str()));
    }
    if let Some(r) = f.representative_id {
        parts.push(format!("representant={r}"));
    }
    parts.join("&")
}

/// The filter form of a report, with the choices the user's scope offers.
pub struct FilterForm {
    pub action: &'static str,
    pub q: ReportQuery,
    pub errors: FieldErrors,
    pub period_label: String,
    /// Reports about the future (the pipeline) have no period.
    pub with_period: bool,
    pub districts: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub representatives: Vec<Choice>,
    pub show_district: bool,
    pub show_representative: bool,
    /// Direction without a district chosen: groups and representatives are
    /// offered once a district is chosen.
    pub pick_district_first: bool,
    /// The group, formula and representative filters are offered (the
    /// calibration reads only the period and the district).
    pub narrowing: bool,
}

impl FilterForm {
    pub async fn load(
        state: &AppState,
        user: &CurrentUser,
        action: &'static str,
        q: &ReportQuery,
        sel: &mut Selection,
        with_period: bool,
    ) -> AppResult<FilterForm> {
        Self::build(state, user, action, q, sel, with_period, true).await
    }

    /// The form of a report that reads only the period and the district
    /// (the calibration): the groups and people of a district, thousands
    /// in the largest networks, are not read at all.
    pub async fn load_period_and_district(
        state: &AppState,
        user: &CurrentUser,
        action: &'static str,
        q: &ReportQuery,
        sel: &mut Selection,
    ) -> AppResult<FilterForm> {
        Self::build(state, user, action, q, sel, true, false).await
    }

    async fn build(
        state: &AppState,
        user: &CurrentUser,
        action: &'static str,
        q: &ReportQuery,
        sel: &mut Selection,
        with_period: bool,
        narrowing: bool,
    ) -> AppResult<FilterForm> {
        let scope = user.scope();
        let show_district = scope == Scope::Network;
        let show_representative = !matches!(scope, Scope::Representative { .. });
        // An empty month shows the period in use; a refused one stays as typed.
        let mut q = q.clone();
        if q.du.trim().is_empty() {
            q.du = sel.period.from.key();
        }
        if q.au.trim().is_empty() {
            q.au = sel.period.to.key();
        }
        // The groups and people of the district in scope or chosen; for
        // the whole network only those already chosen (not 2,000 groups).
        let choices = if narrowing {
            members::filter_choices(
                &state.pool,
                scope,
                sel.filter.district_id,
                sel.filter.group_id,
                sel.filter.representative_id,
            )
            .await?
        } else {
            members::FilterChoices {
                districts: if show_district {
                    members::district_choices(&state.pool, scope).await?
                } else {
                    Vec::new()
                },
                ..members::FilterChoices::default()
            }
        };
        Ok(FilterForm {
            action,
            q,
            errors: std::mem::take(&mut sel.errors),
            period_label: sel.period.label(),
            with_period,
            districts: choices.districts,
            groups: choices.groups,
            representatives: choices.representatives,
            pick_district_first: show_district && sel.filter.district_id.is_none(),
            show_district,
            show_representative,
            narrowing,
        })
    }

    /// The `<option>` for `value` is the one typed.
    pub fn is(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }

    pub fn is_id(&self, id: &i64, current: &str) -> bool {
        id.to_string() == current.trim()
    }
}

/// The two CSV links of a table: Excel's and the comma-separated one.
pub struct CsvLinks {
    pub href: String,
    pub comma_href: String,
}

impl CsvLinks {
    pub fn new(path: &str, table: &str, query: &str) -> CsvLinks {
        let href = if table.is_empty() {
            format!("{path}?{query}")
        } else {
            format!("{path}?tableau={table}&{query}")
        };
        CsvLinks {
            comma_href: comma_href(&href),
            href,
        }
    }
}

/// A page drawn with the defaults after a refused query answers 422.
pub fn respond<T: IntoResponse>(page: T, refused: bool) -> Response {
    if refused {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page.into_response()
    }
}

/// A CSV asked for with a period or filter that does not read.
pub fn refuse_csv(errors: &FieldErrors) -> AppError {
    let text: Vec<&str> = errors.iter().map(|(_, m)| m.as_str()).collect();
    AppError::BadRequest(text.join(" "))
}

/// The retention CSV columns (one row per month or per group).
pub const RETENTION_HEADER: [&str; 5] = ["échus", "renouvelés", "perdus", "en attente", "taux"];

pub fn retention_cells(o: &Outcomes) -> Vec<Cell> {
    vec![
        Cell::Int(o.due()),
        Cell::Int(o.renewed),
        Cell::Int(o.lost),
        Cell::Int(o.pending),
        o.rate().map_or(Cell::Empty, |r| Cell::Decimal(r, 1)),
    ]
}

/// A one-table CSV file.
pub fn csv_file(
    dialect: Dialect,
    header: &[&str],
    rows: Vec<Vec<Cell>>,
    filename: &str,
) -> AppResult<Response> {
    let mut e = CsvEncoder::new(dialect, header)?;
    for r in rows {
        e.row(r)?;
    }
    e.into_response(filename)
}

/// The rate per month as bars (hatched when provisional), `—` when nothing
/// was due.
pub fn retention_chart(id: &str, months: &[RetentionMonth]) -> BarChart {
    let bars = months
        .iter()
        .enumerate()
        .map(|(i, m)| BarInput {
            label: m.month.abbreviation().to_string(),
            sublabel: m.month.axis_year(i == 0),
            values: vec![m.rate().unwrap_or(0.0)],
            // Whole percents: the table under the chart has the decimal.
            top_label: m.rate().map_or("—".into(), |r| format!("{r:.0} %")),
            muted: m.provisional,
        })
        .collect();
    let first = months.first().map(|m| m.month.label()).unwrap_or_default();
    let last = months.last().map(|m| m.month.label()).unwrap_or_default();
    let described: Vec<String> = months
        .iter()
        .map(|m| format!("{} : {}", m.month.label(), rate_fr(m.rate())))
        .collect();
    bar_chart(
        id,
        &format!("Taux de rétention par mois, de {first} à {last}"),
        &format!(
            "Membres renouvelés sur membres échus, mois par mois. {}. Les mois hachurés sont provisoires.",
            described.join(" ; ")
        ),
        vec![Series {
            class: "brand",
            label: "Taux de rétention".into(),
        }],
        bars,
        Axis::Percent,
    )
}

/// Month rows keyed `YYYY-MM` read back into months.
pub fn month_of(key: Option<&str>) -> Option<Month> {
    key.and_then(Month::parse)
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/index.html")]
pub struct IndexPage {
    layout: Layout,
    period: String,
    coverage: &'static str,
    /// The risk's calibration is offered (not to representatives).
    calibration: bool,
}

/// `/rapports`: what each report answers.
pub async fn index(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: CurrentUser,
) -> AppResult<IndexPage> {
    user.require(&REPORT_ROLES)?;
    Ok(IndexPage {
        layout: Layout::new("Rapports", &user.0, "/rapports"),
        period: Period::default_for(state.today()).label(),
        coverage: match user.scope() {
            Scope::Network => "tout le réseau, ou le district de votre choix",
            Scope::District(_) => "votre district",
            _ => "vos propres membres",
        },
        calibration: calibration::CALIBRATION_ROLES.contains(&user.0.role),
    })
}
