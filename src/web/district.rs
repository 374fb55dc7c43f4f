//! The district manager's view of the team: each representative's activity
//! over the last 30 days, and the orphan members to reassign.
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveTime};
use serde::Deserialize;

use crate::domain::user::Role;
use crate::store::activity::{self, ReassignError, RepresentativeActivity};
use crate::store::members::{self, Choice, MemberFilter, RepresentativeFilter, Sort};
use crate::store::timeline as timeline_store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::members::{MemberLine, line};

/// The window of the activity figures, in days.
pub const WINDOW_DAYS: u64 = 30;

pub struct ActivityLine {
    pub rep: RepresentativeActivity,
    pub undone: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "district/activity.html")]
pub struct ActivityPage {
    layout: Layout,
    lines: Vec<ActivityLine>,
    orphans: Vec<MemberLine>,
    orphans_total: String,
    /// More orphans than the page lists (the rest are in « Portefeuilles »).
    orphans_more: bool,
    representatives: Vec<Choice>,
    error: Option<String>,
    chosen: Vec<i64>,
    chosen_rep: String,
    notice: Option<String>,
    csv_href: String,
    csv_comma_href: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivityQuery {
    confies: Option<u64>,
}

const EXPORT_PATH: &str = "/district/activite/export.csv";

/// The team table: each active representative of the manager's district
/// How many orphan members the activity page lists (most urgent first).
const ORPHANS_SHOWN: i64 = 100;

/// over the last [`WINDOW_DAYS`] days, and the stages left undone now.
async fn team_lines(state: &AppState, user: &CurrentUser) -> AppResult<Vec<ActivityLine>> {
    user.require(&[Role::DistrictManager])?;
    let scope = user.scope();
    let district_id = scope.district().ok_or(AppError::Forbidden)?;
    let today = state.today();
    let tz = state.config.time_zone;
    let from = today - Days::new(WINDOW_DAYS);
    let since = from
        .and_time(NaiveTime::MIN)
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    let timelines = timeline_store::load(&state.pool).await?;
    let reps = activity::by_representative(&state.pool, district_id, since, from, today).await?;
    // Stages left undone right now, per representative.
    let undone_by_rep =
        activity::undone_by_representative(&state.pool, district_id, &timelines, today).await?;
    Ok(reps
        .into_iter()
        .map(|rep| ActivityLine {
            undone: undone_by_rep.get(&rep.id).copied().unwrap_or(0),
            rep,
        })
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    /// `virgule` for the comma-separated CSV.
    format: Option<String>,
}

/// `GET /district/activite/export.csv`: the team table (one line per
/// representative of the district, so a few dozen at most).
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let lines = team_lines(&state, &user).await?;
    let today = state.today();
    let from = today - Days::new(WINDOW_DAYS);
    let header = [
        "Représentant·e",
        "Membres actifs",
        "Suivis consignés",
        "Relances manquées",
        "Étapes sans suivi",
        "État du membre : rouge",
        "Du",
        "Au",
    ];
    let mut out = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    for l in lines {
        out.row([
            Cell::from(l.rep.display_name),
            Cell::Int(l.rep.active_members),
            Cell::Int(l.rep.follow_ups),
            Cell::Int(l.rep.planned_missed),
            Cell::Int(l.undone),
            Cell::Int(l.rep.red_state),
            Cell::from(from.to_string()),
            Cell::from(today.to_string()),
        ])?;
    }
    out.into_response("activite-equipe")
}

async fn activity_page(
    state: &AppState,
    user: &CurrentUser,
    error: Option<String>,
    chosen: Vec<i64>,
    chosen_rep: String,
    notice: Option<String>,
) -> AppResult<ActivityPage> {
    let lines = team_lines(state, user).await?;
    let scope = user.scope();
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let filter = MemberFilter {
        representative: RepresentativeFilter::Orphans,
        ..MemberFilter::default()
    };
    let (orphans, orphans_total) = members::list(
        &state.pool,
        scope,
        &timelines,
        today,
        &filter,
        Sort::Renewal,
        ORPHANS_SHOWN,
        0,
    )
    .await?;
    Ok(ActivityPage {
        layout: Layout::new("Activité de l'équipe", &user.0, "/district/activite"),
        lines,
        csv_href: EXPORT_PATH.to_string(),
        csv_comma_href: csv::comma_href(EXPORT_PATH),
        orphans: orphans.iter().map(|r| line(r, &timelines, today)).collect(),
        orphans_more: orphans_total.count > ORPHANS_SHOWN,
        orphans_total: if orphans_total.capped {
            format!(
                "plus de {}",
                crate::domain::chart::count_label(orphans_total.count as f64)
            )
        } else {
            orphans_total.count.to_string()
        },
        representatives: members::representative_choices(&state.pool, scope).await?,
        error,
        chosen,
        chosen_rep,
        notice,
    })
}

impl ActivityPage {
    fn is_chosen(&self, id: &i64) -> bool {
        self.chosen.contains(id)
    }
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ActivityQuery>,
) -> AppResult<ActivityPage> {
    let notice = q.confies.map(|n| match n {
        1 => "1 membre a été confié.".to_string(),
        n => format!("{n} membres ont été confiés."),
    });
    activity_page(&state, &user, None, Vec::new(), String::new(), notice).await
}

/// `member_id` repeated (one per checked box) and `representative_id`.
pub async fn reassign(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    user.require(&[Role::DistrictManager])?;
    let district_id = user.scope().district().ok_or(AppError::Forbidden)?;
    let mut ids: Vec<i64> = Vec::new();
    let mut rep_raw = String::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "member_id" => ids.push(
                v.trim()
                    .parse()
                    .map_err(|_| AppError::BadRequest("Membre inconnu.".into()))?,
            ),
            "representative_id" => rep_raw = v.clone(),
            _ => {}
        }
    }
    let refuse = |message: String, ids: Vec<i64>, rep: String| {
        let state = state.clone();
        let user = &user;
        async move {
            let page = activity_page(&state, user, Some(message), ids, rep, None).await?;
            Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    };
    let Ok(rep_id) = rep_raw.trim().parse::<i64>() else {
        return refuse(
            ReassignError::UnknownRepresentative.to_string(),
            ids,
            rep_raw,
        )
        .await;
    };
    let mut tx = state.pool.begin().await?;
    match activity::reassign(&mut tx, user.0.id, district_id, &ids, rep_id).await {
        Ok(n) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/district/activite?confies={n}")).into_response())
        }
        Err(ReassignError::Db(e)) => Err(e.into()),
        Err(e) => {
            drop(tx);
            refuse(e.to_string(), ids, rep_raw).await
        }
    }
}
