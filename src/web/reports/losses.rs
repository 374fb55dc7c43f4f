//! `/rapports/departs`: members lost in the period by reason category, by
//! reason and by month, and the recoverable ones to win back.
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono_tz::Tz;

use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart, count_label};
use crate::domain::escalation::ReasonCategory;
use crate::domain::format::date_fr;
use crate::domain::report::{Month, decimal_fr, share};
use crate::store::reports::{self, LossRow, RecoverableLoss};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, CsvEncoder, Dialect};
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::members::Pager;
use crate::web::reports::{
    CsvLinks, FilterForm, REPORT_ROLES, ReportQuery, Selection, csv_file, month_of, refuse_csv,
    respond,
};

const PATH: &str = "/rapports/departs";
const CSV_PATH: &str = "/rapports/departs.csv";
const PAGE_SIZE: i64 = 25;

pub struct ShareLine {
    pub name: String,
    pub category: String,
    pub lost: i64,
    pub share: String,
    /// Share in percent, rounded (for the `<meter>`).
    pub percent: f64,
}

pub struct MonthLine {
    pub label: String,
    pub by_category: [i64; 3],
    pub total: i64,
}

pub struct LossLine {
    pub id: i64,
    pub name: String,
    pub business: String,
    pub district: String,
    pub lost_on: String,
    pub reason: String,
    pub last_contact: String,
    pub representative: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/losses.html")]
pub struct LossesPage {
    layout: Layout,
    form: FilterForm,
    total: i64,
    categories: Vec<ShareLine>,
    reasons: Vec<ShareLine>,
    months: Vec<MonthLine>,
    chart: BarChart,
    recoverable: Vec<LossLine>,
    recoverable_total: i64,
    pager: Pager,
    csv_categories: CsvLinks,
    csv_reasons: CsvLinks,
    csv_months: CsvLinks,
    csv_recoverable: CsvLinks,
}

fn category_index(c: &str) -> usize {
    ReasonCategory::ALL
        .iter()
        .position(|x| x.as_str() == c)
        .unwrap_or(0)
}

fn category_label(c: &str) -> String {
    ReasonCategory::parse(c).map_or(c.to_string(), |x| x.label().to_string())
}

/// Lines with their share of `total`, largest first.
fn share_lines(rows: &[&LossRow], total: i64, name: impl Fn(&LossRow) -> String) -> Vec<ShareLine> {
    rows.iter()
        .map(|r| {
            let s = share(r.lost, total);
            ShareLine {
                name: name(r),
                category: category_label(&r.category),
                lost: r.lost,
                share: s.map_or("—".into(), |x| format!("{} %", decimal_fr(x, 1))),
                percent: s.map_or(0.0, f64::round),
            }
        })
        .collect()
}

struct Figures {
    total: i64,
    categories: Vec<ShareLine>,
    reasons: Vec<ShareLine>,
    months: Vec<(Month, [i64; 3])>,
}

fn figures(sel: &Selection, rows: &[LossRow]) -> Figures {
    let of = |dim: &str| rows.iter().filter(|r| r.dim == dim).collect::<Vec<_>>();
    let mut cats = of("category");
    cats.sort_by_key(|r| category_index(&r.category));
    let total: i64 = cats.iter().map(|r| r.lost).sum();
    let categories = share_lines(&cats, total, |r| category_label(&r.category));
    let reasons = share_lines(&of("reason"), total, |r| {
        r.label.clone().unwrap_or_default()
    });
    let months = sel
        .period
        .months()
        .into_iter()
        .map(|m| {
            let mut counts = [0i64; 3];
            for r in of("month") {
                if month_of(r.month.as_deref()) == Some(m) {
                    counts[category_index(&r.category)] += r.lost;
                }
            }
            (m, counts)
        })
        .collect();
    Figures {
        total,
        categories,
        reasons,
        months,
    }
}

fn chart(months: &[(Month, [i64; 3])]) -> BarChart {
    let bars = months
        .iter()
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
        .map(|(m, c)| {
            format!(
                "{} : {} départs ({} irrécupérables, {} récupérables, {} récupérables toujours suivis)",
                m.label(),
                c.iter().sum::<i64>(),
                c[0],
                c[1],
                c[2]
            )
        })
        .collect();
    bar_chart(
        "departs",
        "Départs par mois, selon la catégorie de la raison",
        &described.join(" ; "),
        ReasonCategory::ALL
            .iter()
            .map(|c| Series {
                class: match c {
                    ReasonCategory::Irrecoverable => "irrecoverable",
                    ReasonCategory::Recoverable => "recoverable",
                    ReasonCategory::RecoverableFollowed => "followed",
                },
                label: c.label().to_string(),
            })
            .collect(),
        bars,
        Axis::Counts,
    )
}

fn loss_line(r: &RecoverableLoss, tz: Tz) -> LossLine {
    LossLine {
        id: r.id,
        name: format!("{} {}", r.first_name, r.last_name),
        business: r.business_name.clone(),
        district: r.district_name.clone(),
        lost_on: date_fr(r.lost_on),
        reason: r.reason.clone(),
        last_contact: r.last_contact_at.map_or("jamais".into(), |at| {
            date_fr(at.with_timezone(&tz).date_naive())
        }),
        representative: r
            .representative_name
            .clone()
            .unwrap_or_else(|| "aucun·e".into()),
    }
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&REPORT_ROLES)?;
    let mut sel = q.select(state.today(), user.scope());
    let refused = !sel.errors.is_empty();
    let span = (sel.period.start(), sel.period.end());
    let rows = reports::losses(&state.pool, user.scope(), &sel.filter, span).await?;
    let f = figures(&sel, &rows);
    let page_no = q.page();
    let (list, recoverable_total) = reports::recoverable_losses(
        &state.pool,
        user.scope(),
        &sel.filter,
        span,
        PAGE_SIZE,
        (page_no - 1) * PAGE_SIZE,
    )
    .await?;
    let pages = (recoverable_total + PAGE_SIZE - 1) / PAGE_SIZE;
    let query = sel.query.clone();
    let href = |p: i64| format!("{PATH}?{query}&page={p}#a-recuperer");
    let tz = state.config.time_zone;
    let form = FilterForm::load(&state, &user, PATH, &q, &mut sel, true).await?;
    let page = LossesPage {
        layout: Layout::new("Départs", &user.0, "/rapports"),
        total: f.total,
        chart: chart(&f.months),
        months: f
            .months
            .iter()
            .map(|(m, c)| MonthLine {
                label: m.label(),
                by_category: *c,
                total: c.iter().sum(),
            })
            .collect(),
        categories: f.categories,
        reasons: f.reasons,
        recoverable: list.iter().map(|r| loss_line(r, tz)).collect(),
        recoverable_total,
        pager: Pager {
            page: page_no,
            pages,
            more: false,
            prev_href: (page_no > 1).then(|| href(page_no - 1)),
            next_href: (page_no < pages).then(|| href(page_no + 1)),
        },
        csv_categories: CsvLinks::new(CSV_PATH, "", &sel.query),
        csv_reasons: CsvLinks::new(CSV_PATH, "raison", &sel.query),
        csv_months: CsvLinks::new(CSV_PATH, "mois", &sel.query),
        csv_recoverable: CsvLinks::new(CSV_PATH, "a-recuperer", &sel.query),
        form,
    };
    Ok(respond(page, refused))
}

/// One of the page's tables: by category (default), `raison`, `mois`, or
/// the whole `a-recuperer` list (read a page at a time).
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
    let span = (sel.period.start(), sel.period.end());
    let name = format!("departs-{}_{}", sel.period.from.key(), sel.period.to.key());
    if q.tableau.trim() == "a-recuperer" {
        let tz = state.config.time_zone;
        let mut e = CsvEncoder::new(
            dialect,
            &[
                "membre",
                "entreprise",
                "district",
                "parti le",
                "raison",
                "dernier contact",
                "représentant·e",
            ],
        )?;
        let chunk = 1000;
        let mut offset = 0;
        loop {
            let (rows, _) = reports::recoverable_losses(
                &state.pool,
                user.scope(),
                &sel.filter,
                span,
                chunk,
                offset,
            )
            .await?;
            for r in &rows {
                let contact = r
                    .last_contact_at
                    .map(|at| at.with_timezone(&tz).date_naive().to_string());
                e.row([
                    Cell::Text(format!("{} {}", r.first_name, r.last_name)),
                    Cell::Text(r.business_name.clone()),
                    Cell::Text(r.district_name.clone()),
                    Cell::Text(r.lost_on.to_string()),
                    Cell::Text(r.reason.clone()),
                    contact.into(),
                    r.representative_name.clone().into(),
                ])?;
            }
            if (rows.len() as i64) < chunk {
                break;
            }
            offset += chunk;
        }
        return e.into_response(&format!("{name}-a-recuperer"));
    }
    let rows = reports::losses(&state.pool, user.scope(), &sel.filter, span).await?;
    let f = figures(&sel, &rows);
    let share_cell =
        |l: &ShareLine| share(l.lost, f.total).map_or(Cell::Empty, |x| Cell::Decimal(x, 1));
    match q.tableau.trim() {
        "raison" => csv_file(
            dialect,
            &["raison", "catégorie", "départs", "part"],
            f.reasons
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(l.name.clone()),
                        Cell::Text(l.category.clone()),
                        Cell::Int(l.lost),
                        share_cell(l),
                    ]
                })
                .collect(),
            &format!("{name}-raisons"),
        ),
        "mois" => csv_file(
            dialect,
            &[
                "mois",
                "irrécupérables",
                "récupérables",
                "récupérables toujours suivis",
                "total",
            ],
            f.months
                .iter()
                .map(|(m, c)| {
                    vec![
                        Cell::Text(m.key()),
                        Cell::Int(c[0]),
                        Cell::Int(c[1]),
                        Cell::Int(c[2]),
                        Cell::Int(c.iter().sum()),
                    ]
                })
                .collect(),
            &format!("{name}-mois"),
        ),
        _ => csv_file(
            dialect,
            &["catégorie", "départs", "part"],
            f.categories
                .iter()
                .map(|l| vec![Cell::Text(l.name.clone()), Cell::Int(l.lost), share_cell(l)])
                .collect(),
            &format!("{name}-categories"),
        ),
    }
}
