//! Portfolios (SPEC §1): a district manager (own district) or the
//! direction moves members from one representative to another inside a
//! district — a whole portfolio, or members checked in the filtered list
//! (the same filters as `/membres`, the same scoped query).
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::members::{self, Choice};
use crate::store::portfolios::{self, Holder, MoveError, Moved, Source};
use crate::store::timeline as timeline_store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::members::{ListQuery, MemberLine, PAGE_SIZE, Pager, line, members_count_fr};

const MOVERS: [Role; 2] = [Role::DistrictManager, Role::Direction];
const BASE: &str = "/portefeuilles";

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/page.html")]
pub struct PortfolioPage {
    layout: Layout,
    q: ListQuery,
    retour: String,
    lines: Vec<MemberLine>,
    total: String,
    pager: Pager,
    districts: Vec<Choice>,
    groups: Vec<Choice>,
    representatives: Vec<Choice>,
    holders: Vec<Holder>,
    stages: Vec<(String, String)>,
    show_district: bool,
    notice: Option<String>,
    /// A refused move: the message and which form it belongs to.
    alert_all: Option<String>,
    alert_selection: Option<String>,
    chosen: Vec<i64>,
    chosen_rep: String,
    chosen_from: String,
}

impl PortfolioPage {
    fn selected(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }

    fn is_chosen(&self, id: &i64) -> bool {
        self.chosen.contains(id)
    }

    /// « Plus de filtres » opens when one of its own filters is in use
    /// (here the representative is among the first filters, not in it).
    fn more_filters_in_use(&self) -> bool {
        let q = &self.q;
        [
            &q.district,
            &q.groupe,
            &q.couleur,
            &q.etape,
            &q.formule,
            &q.statut,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// What the page's own addresses add to the member filters: after a move,
/// how many members went to whom.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    deplaces: Option<u64>,
    vers: String,
}

/// The notice after a move; `to` is the receiving representative's name
/// when it is known.
fn moved_notice(n: u64, to: Option<&str>) -> String {
    let members = if n == 1 {
        "1 membre a été confié".to_string()
    } else {
        format!("{n} membres ont été confiés")
    };
    let them = if n == 1 { "le" } else { "les" };
    match to {
        Some(name) => format!(
            "{members} à {name}, qui {them} voit dès maintenant dans «\u{a0}Aujourd'hui\u{a0}»."
        ),
        None => format!(
            "{members} à une autre personne, qui {them} voit dès maintenant dans \
             «\u{a0}Aujourd'hui\u{a0}»."
        ),
    }
}

async fn portfolio_page(
    state: &AppState,
    user: &CurrentUser,
    q: ListQuery,
    notice: Option<String>,
) -> AppResult<PortfolioPage> {
    user.require(&MOVERS)?;
    let scope = user.scope();
    if matches!(scope, Scope::Nothing) {
        return Err(AppError::Forbidden);
    }
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let page = q.page();
    let (rows, total) = members::list(
        &state.pool,
        scope,
        &timelines,
        today,
        &q.filter(),
        q.sort(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let network = matches!(scope, Scope::Network);
    let here = q.href(BASE, Some(page));
    Ok(PortfolioPage {
        layout: Layout::new("Portefeuilles", &user.0, "/membres"),
        retour: here
            .strip_prefix(BASE)
            .unwrap_or("")
            .trim_start_matches('?')
            .to_string(),
        lines: rows.iter().map(|r| line(r, &timelines, today)).collect(),
        total: members_count_fr(total),
        pager: Pager::counted(page, total, |p| q.href(BASE, Some(p))),
        districts: if network {
            members::district_choices(&state.pool, scope).await?
        } else {
            Vec::new()
        },
        groups: members::group_choices(&state.pool, scope).await?,
        representatives: members::representative_choices(&state.pool, scope).await?,
        holders: portfolios::holders(&state.pool, scope).await?,
        stages: timelines.stage_choices(),
        show_district: network,
        notice,
        alert_all: None,
        alert_selection: None,
        chosen: Vec::new(),
        chosen_rep: String::new(),
        chosen_from: String::new(),
        q,
    })
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
    Query(done): Query<Done>,
) -> AppResult<PortfolioPage> {
    let mut page = portfolio_page(&state, &user, q, None).await?;
    if let Some(n) = done.deplaces {
        let to = page
            .representatives
            .iter()
            .find(|r| r.id.to_string() == done.vers.trim())
            .map(|r| r.name.as_str());
        page.notice = Some(moved_notice(n, to));
    }
    Ok(page)
}

/// The filters a form came from (`retour`), read again as a query string.
fn filters_of(retour: &str) -> ListQuery {
    format!("{BASE}?{retour}")
        .parse::<Uri>()
        .ok()
        .and_then(|uri| axum::extract::Query::<ListQuery>::try_from_uri(&uri).ok())
        .map(|axum::extract::Query(q)| q)
        .unwrap_or_default()
}

/// After a move: back to the same filters and page, with the count and
/// who received the members.
fn back(q: &ListQuery, moved: Moved, to: i64) -> Response {
    let href = q.href(BASE, Some(q.page()));
    let sep = if href.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{href}{sep}deplaces={}&vers={to}", moved.members)).into_response()
}

fn parse_rep(raw: &str) -> Result<i64, MoveError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| MoveError::UnknownRepresentative)
}

async fn do_move(
    state: &AppState,
    user: &CurrentUser,
    source: Source<'_>,
    target: &str,
) -> AppResult<Result<(Moved, i64), MoveError>> {
    user.require(&MOVERS)?;
    let target = match parse_rep(target) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let mut tx = state.pool.begin().await?;
    match portfolios::move_members(&mut tx, user.0.id, user.scope(), source, target).await {
        Ok(moved) => {
            tx.commit().await?;
            tracing::info!(
                by = user.0.id,
                to = target,
                moved.members,
                "portefeuille déplacé"
            );
            Ok(Ok((moved, target)))
        }
        Err(MoveError::NotFound) => Err(AppError::NotFound),
        Err(MoveError::Db(e)) => Err(e.into()),
        Err(e) => Ok(Err(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AllForm {
    from_id: String,
    representative_id: String,
    retour: String,
}

/// `POST /portefeuilles/tout`: every member of one representative.
pub async fn move_all(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<AllForm>,
) -> AppResult<Response> {
    user.require(&MOVERS)?;
    let q = filters_of(&f.retour);
    let result = match f.from_id.trim().parse::<i64>() {
        Ok(from) => do_move(&state, &user, Source::AllOf(from), &f.representative_id).await?,
        Err(_) => Err(MoveError::EmptyPortfolio),
    };
    match result {
        Ok((moved, to)) => Ok(back(&q, moved, to)),
        Err(e) => {
            let mut page = portfolio_page(&state, &user, q, None).await?;
            page.alert_all = Some(e.to_string());
            page.chosen_from = f.from_id;
            page.chosen_rep = f.representative_id;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /portefeuilles/selection`: `member_id` repeated (one per checked
/// box), `representative_id`, and the filters to come back to.
pub async fn move_selection(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    user.require(&MOVERS)?;
    let mut ids: Vec<i64> = Vec::new();
    let (mut rep, mut retour) = (String::new(), String::new());
    for (k, v) in pairs {
        match k.as_str() {
            "member_id" => ids.push(v.trim().parse().map_err(|_| AppError::NotFound)?),
            "representative_id" => rep = v,
            "retour" => retour = v,
            _ => {}
        }
    }
    if ids.len() > 1000 {
        return Err(AppError::BadRequest(
            "Trop de membres cochés à la fois.".into(),
        ));
    }
    let q = filters_of(&retour);
    match do_move(&state, &user, Source::Members(&ids), &rep).await? {
        Ok((moved, to)) => Ok(back(&q, moved, to)),
        Err(e) => {
            let mut page = portfolio_page(&state, &user, q, None).await?;
            page.alert_selection = Some(e.to_string());
            page.chosen = ids;
            page.chosen_rep = rep;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
