//! `/rapports/suivi`: does following the timeline pay? For the renewals
//! due in the period, retention by how many pre-renewal stages got a
//! follow-up while current (all, some, none), and by the state of the
//! member's last follow-up before the due date.
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;

use crate::domain::chart::{Axis, BarChart, BarInput, Series, bar_chart};
use crate::domain::formula::{Formula, State as MemberState};
use crate::domain::report::{Coverage, Outcomes, rate_fr};
use crate::store::reports::{self, FollowUpEffectRow, pre_renewal_stages};
use crate::store::timeline as timeline_store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{Cell, Dialect};
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::reports::{
    CsvLinks, FilterForm, REPORT_ROLES, RETENTION_HEADER, ReportQuery, Selection, csv_file,
    refuse_csv, respond, retention_cells,
};

const PATH: &str = "/rapports/suivi";
const CSV_PATH: &str = "/rapports/suivi.csv";

pub struct Group {
    pub label: String,
    pub outcomes: Outcomes,
    pub rate: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/follow_up.html")]
pub struct FollowUpPage {
    layout: Layout,
    form: FilterForm,
    by_coverage: Vec<Group>,
    by_state: Vec<Group>,
    coverage_chart: BarChart,
    state_chart: BarChart,
    stage_counts: String,
    csv_coverage: CsvLinks,
    csv_state: CsvLinks,
}

/// Outcomes by coverage (all, some, none) and by last state (flame, green,
/// yellow, red, then no follow-up), given each formula's stage count.
pub fn groups(
    rows: &[FollowUpEffectRow],
    stages: &[(Formula, Vec<String>)],
) -> (Vec<Outcomes>, Vec<Outcomes>) {
    let mut coverage = vec![Outcomes::default(); Coverage::ALL.len()];
    let mut by_state = vec![Outcomes::default(); MemberState::ALL.len() + 1];
    for r in rows {
        let expected = stages
            .iter()
            .find(|(f, _)| Some(*f) == Formula::parse(&r.formula))
            .map_or(0, |(_, keys)| keys.len() as i64);
        let o = match r.outcome.as_str() {
            "renewed" => Outcomes {
                renewed: r.members,
                ..Outcomes::default()
            },
            "lost" => Outcomes {
                lost: r.members,
                ..Outcomes::default()
            },
            _ => Outcomes {
                pending: r.members,
                ..Outcomes::default()
            },
        };
        let c = Coverage::of(r.followed, expected);
        let ci = Coverage::ALL.iter().position(|x| *x == c).unwrap_or(2);
        coverage[ci].add(o);
        let si = r
            .last_state
            .as_deref()
            .and_then(MemberState::parse)
            .and_then(|s| MemberState::ALL.iter().position(|x| *x == s))
            .unwrap_or(MemberState::ALL.len());
        by_state[si].add(o);
    }
    (coverage, by_state)
}

fn coverage_labels() -> Vec<String> {
    Coverage::ALL
        .iter()
        .map(|c| c.label().to_string())
        .collect()
}

fn state_labels() -> Vec<String> {
    let mut v: Vec<String> = MemberState::ALL
        .iter()
        .map(|s| s.label().to_string())
        .collect();
    v.push("Aucun suivi avant l'échéance".into());
    v
}

fn rate_chart(
    id: &str,
    title: &str,
    (labels, short): (&[String], &[&str]),
    groups: &[Outcomes],
) -> BarChart {
    let bars = short
        .iter()
        .zip(groups)
        .map(|(l, o)| BarInput {
            label: l.to_string(),
            sublabel: format!("{} échus", o.due()),
            values: vec![o.rate().unwrap_or(0.0)],
            top_label: o.rate().map_or("—".into(), |r| format!("{r:.0} %")),
            muted: false,
        })
        .collect();
    let described: Vec<String> = labels
        .iter()
        .zip(groups)
        .map(|(l, o)| format!("{l} : {} sur {} échus", rate_fr(o.rate()), o.due()))
        .collect();
    bar_chart(
        id,
        title,
        &described.join(" ; "),
        vec![Series {
            class: "brand",
            label: "Taux de rétention".into(),
        }],
        bars,
        Axis::Percent,
    )
}

fn lines(labels: Vec<String>, groups: &[Outcomes]) -> Vec<Group> {
    labels
        .into_iter()
        .zip(groups)
        .map(|(label, o)| Group {
            label,
            outcomes: *o,
            rate: rate_fr(o.rate()),
        })
        .collect()
}

async fn figures(
    state: &AppState,
    user: &CurrentUser,
    sel: &Selection,
) -> AppResult<(Vec<Outcomes>, Vec<Outcomes>, Vec<(Formula, Vec<String>)>)> {
    let timelines = timeline_store::load(&state.pool).await?;
    let stages = pre_renewal_stages(&timelines);
    let rows = reports::follow_up_effect(
        &state.pool,
        user.scope(),
        &sel.filter,
        (sel.period.start(), sel.period.end()),
        state.today(),
    )
    .await?;
    let (c, s) = groups(&rows, &stages);
    Ok((c, s, stages))
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&REPORT_ROLES)?;
    let mut sel = q.select(state.today(), user.scope());
    let refused = !sel.errors.is_empty();
    let (coverage, by_state, stages) = figures(&state, &user, &sel).await?;
    let form = FilterForm::load(&state, &user, PATH, &q, &mut sel, true).await?;
    let stage_counts = stages
        .iter()
        .map(|(f, keys)| format!("{} : {}", f.label().to_lowercase(), keys.len()))
        .collect::<Vec<_>>()
        .join(", ");
    let page = FollowUpPage {
        layout: Layout::new("Effet des suivis", &user.0, "/rapports"),
        coverage_chart: rate_chart(
            "couverture",
            "Taux de rétention selon les étapes suivies avant l'échéance",
            (&coverage_labels(), &["Toutes", "Certaines", "Aucune"]),
            &coverage,
        ),
        state_chart: rate_chart(
            "dernier-etat",
            "Taux de rétention selon l'état noté au dernier suivi avant l'échéance",
            (
                &state_labels(),
                &["Flamme", "Vert", "Jaune", "Rouge", "Aucun suivi"],
            ),
            &by_state,
        ),
        by_coverage: lines(coverage_labels(), &coverage),
        by_state: lines(state_labels(), &by_state),
        stage_counts,
        csv_coverage: CsvLinks::new(CSV_PATH, "", &sel.query),
        csv_state: CsvLinks::new(CSV_PATH, "etat", &sel.query),
        form,
    };
    Ok(respond(page, refused))
}

/// By coverage (default) or `etat`.
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
    let (coverage, by_state, _) = figures(&state, &user, &sel).await?;
    let span = format!("{}_{}", sel.period.from.key(), sel.period.to.key());
    let (first, labels, groups, suffix) = if q.tableau.trim() == "etat" {
        ("dernier état", state_labels(), by_state, "etats")
    } else {
        ("étapes suivies", coverage_labels(), coverage, "etapes")
    };
    let mut header = vec![first];
    header.extend(RETENTION_HEADER);
    let rows = labels
        .into_iter()
        .zip(&groups)
        .map(|(l, o)| {
            let mut cells = vec![Cell::Text(l)];
            cells.extend(retention_cells(o));
            cells
        })
        .collect();
    csv_file(dialect, &header, rows, &format!("suivi-{suffix}-{span}"))
}
