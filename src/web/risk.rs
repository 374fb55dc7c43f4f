//! « Membres à risque » (`/risque`): the active members in scope by
//! renewal risk, highest first, each with the facts that weigh most; its
//! CSV; the formula page (`/risque/formule`). The risk badge the other
//! pages show is built here too.
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;

use crate::domain::formula::Formula;
use crate::domain::risk::{Band, Fact, Risk};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::members;
use crate::store::risk::{self as risk_store, RiskFilter, RiskRow};
use crate::store::timeline::{self as timeline_store, Timelines};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, encode_component};
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::AppResult;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::members::{MemberLine, Pager, line};

/// Who sees scores: everyone who sees members.
pub const READERS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

pub const PAGE_SIZE: i64 = 50;
/// The deepest page offered (50 × 400 = 20 000 members; filters narrow).
pub const MAX_PAGE: i64 = 400;

/// A score as a badge: the number, its band, a bar.
#[derive(Debug, Clone)]
pub struct RiskBadge {
    pub score: i16,
    pub band: Band,
}

impl RiskBadge {
    pub fn of(risk: &Risk) -> RiskBadge {
        RiskBadge {
            score: risk.score,
            band: risk.band(),
        }
    }
}

/// One explained fact, for a template.
pub struct FactLine {
    pub sentence: String,
    pub points: String,
    pub protects: bool,
}

pub fn fact_lines(facts: &[Fact]) -> Vec<FactLine> {
    facts
        .iter()
        .map(|f| FactLine {
            sentence: f.sentence(),
            points: f.points_text(),
            protects: f.protects(),
        })
        .collect()
}

pub struct RiskLine {
    pub member: MemberLine,
    pub badge: RiskBadge,
    pub facts: Vec<FactLine>,
}

pub fn risk_line(row: &RiskRow, timelines: &Timelines, today: NaiveDate) -> RiskLine {
    let risk = row.risk();
    RiskLine {
        member: line(&row.member, timelines, today),
        badge: RiskBadge::of(&risk),
        facts: fact_lines(risk.explanation()),
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RiskQuery {
    pub niveau: String,
    pub district: String,
    pub representant: String,
    pub groupe: String,
    pub formule: String,
    pub page: String,
    /// CSV dialect (`virgule` for comma-separated).
    pub format: Option<String>,
}

impl RiskQuery {
    fn filter(&self) -> RiskFilter {
        let id = |s: &str| s.trim().parse::<i64>().ok();
        RiskFilter {
            band: Band::parse(self.niveau.trim()),
            district: id(&self.district),
            representative: id(&self.representant),
            group: id(&self.groupe),
            formula: Formula::parse(self.formule.trim()),
        }
    }

    fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, MAX_PAGE)
    }

    /// The query string of these filters, with another page number.
    pub fn href(&self, base: &str, page: Option<i64>) -> String {
        let pairs = [
            ("niveau", &self.niveau),
            ("district", &self.district),
            ("representant", &self.representant),
            ("groupe", &self.groupe),
            ("formule", &self.formule),
        ];
        let mut parts: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v.trim())))
            .collect();
        if let Some(p) = page.filter(|p| *p > 1) {
            parts.push(format!("page={p}"));
        }
        if parts.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }

    pub fn selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "niveau" => &self.niveau,
            "district" => &self.district,
            "representant" => &self.representant,
            "groupe" => &self.groupe,
            "formule" => &self.formule,
            _ => return false,
        };
        current.trim() == value
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "risk/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: RiskQuery,
    pub lines: Vec<RiskLine>,
    pub pager: Pager,
    pub high: i64,
    pub medium: i64,
    /// Scores still waiting to be recomputed (the first page of a day on
    /// a large network): the page says so.
    pub waiting: i64,
    pub districts: Vec<members::Choice>,
    pub groups: Vec<members::Choice>,
    pub representatives: Vec<members::Choice>,
    pub show_district: bool,
    pub show_representative: bool,
    pub csv_href: String,
    pub csv_comma_href: String,
    pub bands: [Band; 3],
    pub formulas: [Formula; 3],
}

/// Recomputes what waits in scope (bounded), and says how many still wait.
pub async fn fresh(state: &AppState, scope: Scope, today: NaiveDate) -> AppResult<i64> {
    let n = risk_store::refresh(&state.pool, scope, today, risk_store::REFRESH_AT_MOST).await?;
    if n < risk_store::REFRESH_AT_MOST {
        return Ok(0);
    }
    Ok(risk_store::waiting(&state.pool, scope, today).await?)
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<RiskQuery>,
) -> AppResult<ListPage> {
    user.require(&READERS)?;
    let scope = user.scope();
    let today = state.today();
    let waiting = fresh(&state, scope, today).await?;
    let timelines = timeline_store::load(&state.pool).await?;
    let page = q.page();
    let filter = q.filter();
    // One row more than the page: whether there is a next one.
    let mut rows = risk_store::list(
        &state.pool,
        scope,
        &filter,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let (high, medium) = risk_store::band_counts(&state.pool, scope).await?;
    let choices = members::filter_choices(
        &state.pool,
        scope,
        filter.district,
        filter.group,
        filter.representative,
    )
    .await?;
    let pager = Pager {
        page,
        pages: if more { page + 1 } else { page },
        more,
        prev_href: (page > 1).then(|| q.href("/risque", Some(page - 1))),
        next_href: (more && page < MAX_PAGE).then(|| q.href("/risque", Some(page + 1))),
    };
    Ok(ListPage {
        layout: Layout::new("Membres à risque", &user.0, "/risque"),
        lines: rows
            .iter()
            .map(|r| risk_line(r, &timelines, today))
            .collect(),
        pager,
        high,
        medium,
        waiting,
        districts: choices.districts,
        groups: choices.groups,
        representatives: choices.representatives,
        show_district: matches!(scope, Scope::Network),
        show_representative: !matches!(scope, Scope::Representative { .. }),
        csv_href: q.href("/risque/export.csv", None),
        csv_comma_href: csv::comma_href(&q.href("/risque/export.csv", None)),
        bands: Band::ALL,
        formulas: Formula::ALL,
        q,
    })
}

/// The filtered list as CSV, every member in scope, streamed.
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<RiskQuery>,
) -> AppResult<Response> {
    user.require(&READERS)?;
    let scope = user.scope();
    let today = state.today();
    fresh(&state, scope, today).await?;
    let timelines = timeline_store::load(&state.pool).await?;
    let query = risk_store::list_query(scope, &q.filter(), i64::MAX, 0);
    let header = [
        "Nom",
        "Prénom",
        "Entreprise",
        "Profession",
        "District",
        "Groupe",
        "Formule",
        "Représentant·e",
        "Renouvellement",
        "Étape",
        "État du membre",
        "Risque (0 à 100)",
        "Niveau de risque",
        "Explication",
    ];
    let encoder = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    Ok(csv::stream_query(
        state.pool.clone(),
        query,
        encoder,
        "membres-a-risque",
        move |r: RiskRow| {
            let risk = r.risk();
            let m = &r.member;
            let l = line(m, &timelines, today);
            vec![
                Cell::from(&m.last_name),
                Cell::from(&m.first_name),
                Cell::from(&m.business_name),
                Cell::from(&m.profession),
                Cell::from(&m.district_name),
                Cell::from(m.group_name.as_ref()),
                Cell::from(m.formula().label()),
                Cell::from(m.representative_name.as_ref()),
                Cell::from(m.renewal_date.to_string()),
                Cell::from(l.stage.map(|(_, label)| label).unwrap_or_default()),
                Cell::from(l.state.map(|s| s.label()).unwrap_or("")),
                Cell::Int(i64::from(risk.score)),
                Cell::from(risk.band().word()),
                Cell::from(risk.summary()),
            ]
        },
    ))
}

pub struct WeightLine {
    pub rule: String,
    pub points: String,
    pub protects: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "risk/formula.html")]
pub struct FormulaPage {
    pub layout: Layout,
    pub weights: Vec<WeightLine>,
    pub bands: Vec<(Band, String)>,
    /// The calibration report is the reader's to open (not a representative's).
    pub calibration: bool,
}

/// The formula, read from the table the score is computed with.
pub async fn formula(State(state): State<AppState>, user: CurrentUser) -> AppResult<FormulaPage> {
    user.require(&READERS)?;
    let weights = risk_store::weights(&state.pool)
        .await?
        .into_iter()
        .map(|w| {
            let n = w.points.abs();
            let unit = if n > 1 { "points" } else { "point" };
            WeightLine {
                rule: w.rule,
                points: if w.points < 0 {
                    format!("−{n} {unit}")
                } else {
                    format!("+{n} {unit}")
                },
                protects: w.points < 0,
            }
        })
        .collect();
    Ok(FormulaPage {
        layout: Layout::new("Calcul du risque", &user.0, "/risque"),
        weights,
        bands: Band::ALL.iter().map(|b| (*b, b.span())).collect(),
        calibration: crate::web::reports::calibration::CALIBRATION_ROLES.contains(&user.0.role),
    })
}
