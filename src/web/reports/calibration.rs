//! `/rapports/calibration`: is the renewal risk right? For the renewals
//! due in a past period whose outcome is known, the members grouped by
//! the score they had 60 days before their renewal date (recomputed from
//! history as it stood then) and the share of each group who renewed.
//!
//! For direction (the network or a district) and district managers (their
//! district). Not for representatives: a portfolio holds a few dozen
//! renewals a year, too few to judge a formula once split in five groups,
//! and the past scores are kept by district.
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::{Days, NaiveDate};

use crate::domain::calibration::{self, FEW, RiskGroup};
use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart};
use crate::domain::format::date_fr;
use crate::domain::report::{Period, rate_fr};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::reports::ReportFilter;
use crate::store::risk as risk_store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::layout::Layout;
use crate::web::reports::{
    CsvLinks, FilterForm, ReportQuery, csv_file, query_string, refuse_csv, respond,
};

const PATH: &str = "/rapports/calibration";
const CSV_PATH: &str = "/rapports/calibration.csv";

/// Who may read the calibration (each within their scope).
pub const CALIBRATION_ROLES: [Role; 2] = [Role::DistrictManager, Role::Direction];

/// How many rounds of past scores a CSV computes at most before it is
/// written (each round computes up to `CALIBRATION_AT_MOST`).
const CSV_ROUNDS: usize = 40;

pub struct GroupLine {
    pub label: String,
    pub due: i64,
    pub renewed: i64,
    pub lost: i64,
    pub rate: String,
    pub few: bool,
}

impl GroupLine {
    fn of(g: &RiskGroup) -> GroupLine {
        GroupLine {
            label: format!("{} à {}", g.low, g.high),
            due: g.due,
            renewed: g.renewed,
            lost: g.lost(),
            rate: rate_fr(g.rate()),
            few: g.few(),
        }
    }
}

/// The renewals read: due between these two days, both included.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: NaiveDate,
    to: NaiveDate,
}

/// The period's renewals already due, or `None` for a period that has
/// not begun.
fn window(period: Period, today: NaiveDate) -> Option<Window> {
    let from = period.start();
    let last = period.end() - Days::new(1);
    (from <= today).then(|| Window {
        from,
        to: last.min(today),
    })
}

/// The district the figures cover (`None`: the network).
fn district_of(user: &CurrentUser, chosen: Option<i64>) -> AppResult<Option<i64>> {
    match user.scope() {
        Scope::Network => Ok(chosen),
        Scope::District(d) => Ok(Some(d)),
        _ => Err(AppError::Forbidden),
    }
}

fn groups_of(c: &risk_store::Calibration) -> Vec<RiskGroup> {
    c.groups
        .iter()
        .map(|g| RiskGroup {
            low: g.low,
            high: g.high,
            due: g.members,
            renewed: g.renewed,
        })
        .collect()
}

fn chart(groups: &[RiskGroup]) -> BarChart {
    let bars = groups
        .iter()
        .map(|g| BarInput {
            label: g.range(),
            // The count alone: « 114 échus » overlaps its neighbours.
            sublabel: g.due.to_string(),
            values: vec![g.rate().unwrap_or(0.0)],
            top_label: g.rate().map_or("—".into(), |r| format!("{r:.0} %")),
            muted: g.few(),
        })
        .collect();
    let described: Vec<String> = groups
        .iter()
        .map(|g| {
            format!(
                "{} : {} renouvelés sur {} échus ({})",
                g.label(),
                g.renewed,
                g.due,
                rate_fr(g.rate())
            )
        })
        .collect();
    let mut chart = bar_chart(
        "calibration",
        "Taux de renouvellement selon le risque 60 jours avant l'échéance",
        &format!(
            "{}. Les tranches hachurées comptent moins de {FEW} renouvellements.",
            described.join(" ; ")
        ),
        vec![Series {
            class: "brand",
            label: "Taux de renouvellement".into(),
        }],
        bars,
        Axis::Percent,
    );
    chart.muted_label = format!("Moins de {FEW} renouvellements : taux à lire avec prudence");
    chart
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/calibration.html")]
pub struct CalibrationPage {
    layout: Layout,
    form: FilterForm,
    /// The period has not begun: nothing to show but this.
    future: Option<String>,
    /// The period reaches past today: only what is due so far counts.
    until_today: Option<String>,
    lines: Vec<GroupLine>,
    total: GroupLine,
    chart: BarChart,
    reading: String,
    waiting: i64,
    csv: CsvLinks,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&CALIBRATION_ROLES)?;
    let today = state.today();
    let mut sel = q.select(today, user.scope());
    let refused = !sel.errors.is_empty();
    let district = district_of(&user, sel.filter.district_id)?;
    // Only the period and the district apply here: the links keep them.
    sel.filter = ReportFilter {
        district_id: sel.filter.district_id,
        ..ReportFilter::default()
    };
    sel.query = query_string(sel.period, &sel.filter);
    let w = window(sel.period, today);
    let figures = match w {
        Some(w) => Some(risk_store::calibration(&state.pool, district, w.from, w.to).await?),
        None => None,
    };
    let groups = figures.as_ref().map(groups_of).unwrap_or_else(|| {
        (0..5)
            .map(|i| RiskGroup {
                low: i * 20,
                high: if i == 4 { 100 } else { i * 20 + 19 },
                due: 0,
                renewed: 0,
            })
            .collect()
    });
    let future = w.is_none().then(|| {
        format!(
            "La période choisie ({}) n'a pas encore commencé : aucun renouvellement n'y est \
             encore échu. Choisissez des mois passés pour voir ce que le score annonçait.",
            sel.period.label()
        )
    });
    let until_today = w
        .filter(|w| w.to < sel.period.end() - Days::new(1))
        .map(|w| {
            format!(
                "La période n'est pas finie : seuls les renouvellements échus jusqu'au {} \
             comptent.",
                date_fr(w.to)
            )
        });
    let form = FilterForm::load_period_and_district(&state, &user, PATH, &q, &mut sel).await?;
    let page = CalibrationPage {
        layout: Layout::new("Calibration du risque", &user.0, "/rapports"),
        form,
        future,
        until_today,
        lines: groups.iter().map(GroupLine::of).collect(),
        total: GroupLine::of(&calibration::total(&groups)),
        chart: chart(&groups),
        reading: calibration::reading(&groups),
        waiting: figures.as_ref().map_or(0, |c| c.waiting),
        csv: CsvLinks::new(CSV_PATH, "", &sel.query),
    };
    Ok(respond(page, refused))
}

/// The five groups; the past scores still missing are computed first.
pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&CALIBRATION_ROLES)?;
    let today = state.today();
    let sel = q.select(today, user.scope());
    if !sel.errors.is_empty() {
        return Err(refuse_csv(&sel.errors));
    }
    let district = district_of(&user, sel.filter.district_id)?;
    let mut groups = Vec::new();
    if let Some(w) = window(sel.period, today) {
        for _ in 0..CSV_ROUNDS {
            let c = risk_store::calibration(&state.pool, district, w.from, w.to).await?;
            groups = groups_of(&c);
            if c.waiting == 0 {
                break;
            }
        }
    }
    let rows = groups
        .iter()
        .map(|g| {
            vec![
                Cell::Text(g.range()),
                Cell::Int(g.due),
                Cell::Int(g.renewed),
                Cell::Int(g.lost()),
                g.rate().map_or(Cell::Empty, |r| Cell::Decimal(r, 1)),
            ]
        })
        .collect();
    csv_file(
        Dialect::from_param(q.format.as_deref()),
        &["risque à 60 jours", "échus", "renouvelés", "perdus", "taux"],
        rows,
        &format!(
            "calibration-{}_{}",
            sel.period.from.key(),
            sel.period.to.key()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::Month;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn period(from: &str, to: &str) -> Period {
        Period {
            from: Month::parse(from).expect("mois"),
            to: Month::parse(to).expect("mois"),
        }
    }

    #[test]
    fn the_window_stops_at_today_and_a_future_period_has_none() {
        let today = day("2026-11-29");
        let w = window(period("2026-01", "2026-12"), today).expect("commencée");
        assert_eq!((w.from, w.to), (day("2026-01-01"), today));
        let w = window(period("2025-11", "2026-10"), today).expect("passée");
        assert_eq!(w.to, day("2026-10-31"));
        assert!(window(period("2026-12", "2027-03"), today).is_none());
    }
}
