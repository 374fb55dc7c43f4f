//! `/rapports/equipe`: per representative, their portfolio, the renewals
//! due and retained in the period, their follow-ups, the share of stages
//! followed up while current, the planned follow-ups missed and the
//! escalations raised; per receiver of escalations, how many they answered
//! and how fast (median, 90th percentile), and how many are late now.
use std::collections::HashMap;

use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::escalation::duration_fr;
use crate::domain::report::{Outcomes, decimal_fr, rate_fr, share};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::reports::{self, Dim, ReceiverRow, TeamCounts, pre_renewal_stages};
use crate::store::timeline as timeline_store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, Dialect};
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::reports::{
    CsvLinks, FilterForm, REPORT_ROLES, ReportQuery, Selection, csv_file, refuse_csv, respond,
};

const PATH: &str = "/rapports/equipe";
const CSV_PATH: &str = "/rapports/equipe.csv";

pub struct RepLine {
    pub name: String,
    pub district: String,
    pub counts: TeamCounts,
    pub due: Outcomes,
    pub rate: String,
    pub stage_share: Option<f64>,
    pub stage_share_text: String,
}

pub struct ReceiverLine {
    pub name: String,
    pub role: &'static str,
    pub answered: i64,
    pub median: String,
    pub p90: String,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub overdue: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/team.html")]
pub struct TeamPage {
    layout: Layout,
    form: FilterForm,
    reps: Vec<RepLine>,
    receivers: Vec<ReceiverLine>,
    /// Whole network, no district chosen: the table of representatives
    /// (300 at 100,000 members, 3,000 at a million) waits for a district;
    /// its CSV has them all.
    reps_withheld: bool,
    csv_reps: CsvLinks,
    csv_receivers: CsvLinks,
}

/// Midnight of `d` in the organisation's time zone.
fn midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || d.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

fn hours_text(h: Option<f64>) -> String {
    h.map_or("—".into(), |h| duration_fr((h * 3600.0).round() as i64))
}

/// The whole network, not narrowed to a district or a person.
fn whole_network(user: &CurrentUser, sel: &Selection) -> bool {
    user.scope() == Scope::Network
        && sel.filter.district_id.is_none()
        && sel.filter.group_id.is_none()
        && sel.filter.representative_id.is_none()
}

/// The representatives' lines and the receivers' (`with_reps` false: the
/// receivers only).
async fn figures(
    state: &AppState,
    user: &CurrentUser,
    sel: &Selection,
    with_reps: bool,
) -> AppResult<(Vec<RepLine>, Vec<ReceiverLine>)> {
    let (pool, scope, today) = (&state.pool, user.scope(), state.today());
    let span = (sel.period.start(), sel.period.end());
    let tz = state.config.time_zone;
    let receivers = reports::receivers(
        pool,
        scope,
        &sel.filter,
        (midnight(span.0, tz), midnight(span.1, tz)),
        today,
    )
    .await?;
    let receivers = receivers.into_iter().map(receiver_line).collect();
    if !with_reps {
        return Ok((Vec::new(), receivers));
    }
    let timelines = timeline_store::load(pool).await?;
    let stages = pre_renewal_stages(&timelines);
    let reps = reports::representatives(pool, scope, &sel.filter).await?;
    let counts = reports::team_counts(pool, scope, &sel.filter, &stages, span, today).await?;
    let retention = reports::retention(
        pool,
        scope,
        &sel.filter,
        span,
        today,
        &[Dim::Representative],
    )
    .await?;
    let counts: HashMap<i64, TeamCounts> = counts.into_iter().map(|c| (c.user_id, c)).collect();
    let due: HashMap<i64, Outcomes> = retention
        .iter()
        .filter_map(|r| {
            r.key_id.map(|id| {
                (
                    id,
                    Outcomes {
                        renewed: r.renewed,
                        lost: r.lost,
                        pending: r.pending,
                        upcoming: r.upcoming,
                    },
                )
            })
        })
        .collect();
    let rep_lines = reps
        .into_iter()
        .map(|r| {
            let c = counts.get(&r.id).cloned().unwrap_or(TeamCounts {
                user_id: r.id,
                ..TeamCounts::default()
            });
            let o = due.get(&r.id).copied().unwrap_or_default();
            let s = share(c.stages_followed, c.stages_expected);
            RepLine {
                name: r.display_name,
                district: r.district_name,
                rate: rate_fr(o.rate()),
                due: o,
                stage_share: s,
                stage_share_text: s.map_or("—".into(), |x| format!("{} %", decimal_fr(x, 0))),
                counts: c,
            }
        })
        .collect();
    Ok((rep_lines, receivers))
}

fn receiver_line(r: ReceiverRow) -> ReceiverLine {
    ReceiverLine {
        name: r.display_name,
        role: Role::parse(&r.role).map_or("", |x| x.label()),
        answered: r.answered,
        median: hours_text(r.median_hours),
        p90: hours_text(r.p90_hours),
        median_hours: r.median_hours,
        p90_hours: r.p90_hours,
        overdue: r.overdue,
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
    let withheld = whole_network(&user, &sel);
    let (reps, receivers) = figures(&state, &user, &sel, !withheld).await?;
    let form = FilterForm::load(&state, &user, PATH, &q, &mut sel, true).await?;
    let page = TeamPage {
        layout: Layout::new("Équipe", &user.0, "/rapports"),
        reps,
        receivers,
        reps_withheld: withheld,
        csv_reps: CsvLinks::new(CSV_PATH, "", &sel.query),
        csv_receivers: CsvLinks::new(CSV_PATH, "escalades", &sel.query),
        form,
    };
    Ok(respond(page, refused))
}

/// The representatives' table (default) or the receivers' (`escalades`).
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
    let escalations = q.tableau.trim() == "escalades";
    let (reps, receivers) = figures(&state, &user, &sel, !escalations).await?;
    let span = format!("{}_{}", sel.period.from.key(), sel.period.to.key());
    let hours = |h: Option<f64>| h.map_or(Cell::Empty, |x| Cell::Decimal(x, 1));
    if escalations {
        let rows = receivers
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.name.clone()),
                    Cell::Text(r.role.to_string()),
                    Cell::Int(r.answered),
                    hours(r.median_hours),
                    hours(r.p90_hours),
                    Cell::Int(r.overdue),
                ]
            })
            .collect();
        return csv_file(
            dialect,
            &[
                "destinataire",
                "rôle",
                "répondues",
                "délai médian (h)",
                "délai 90e centile (h)",
                "en retard",
            ],
            rows,
            &format!("equipe-escalades-{span}"),
        );
    }
    let rows = reps
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.name.clone()),
                Cell::Text(r.district.clone()),
                Cell::Int(r.counts.portfolio),
                Cell::Int(r.due.due()),
                Cell::Int(r.due.renewed),
                r.due.rate().map_or(Cell::Empty, |x| Cell::Decimal(x, 1)),
                Cell::Int(r.counts.follow_ups),
                r.stage_share.map_or(Cell::Empty, |x| Cell::Decimal(x, 1)),
                Cell::Int(r.counts.planned_missed),
                Cell::Int(r.counts.escalations),
            ]
        })
        .collect();
    csv_file(
        dialect,
        &[
            "représentant·e",
            "district",
            "membres actifs",
            "échus",
            "renouvelés",
            "taux",
            "suivis",
            "étapes suivies (%)",
            "relances manquées",
            "escalades",
        ],
        rows,
        &format!("equipe-{span}"),
    )
}
