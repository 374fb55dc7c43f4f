//! Every route of the intranet, in one place, with its guard.
pub mod assets;
pub mod auth;
pub mod billing;
pub mod confirm;
pub mod csv;
pub mod engagement;
pub mod error;
pub mod follow_ups;
pub mod form;
pub mod home;
pub mod layout;
pub mod meeting_import;
pub mod meetings;
pub mod members;
pub mod renewals;
pub mod security;
pub mod today;
// -- escalations and reasons modules (below) --
pub mod escalations;
pub mod reasons;
// -- districts and groups modules (below) --
pub mod district;
pub mod districts;
pub mod groups;
// -- catalogue and timelines modules (below) --
pub mod catalogue;
pub mod engagement_light;
pub mod timelines;
// -- import module (below) --
pub mod import;
// -- reports modules (below) --
pub mod reports;
// -- renewal risk module (below) --
pub mod risk;
// -- users, portfolios and contact details modules (below) --
pub mod account;
pub mod contacts;
pub mod password_links;
pub mod portfolios;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::routing::{get, post};
use sqlx::PgPool;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::WebConfig;
use error::AppError;

/// A request body larger than this is refused (forms are far smaller; the
/// limit leaves room for a long text to get a French message by its field).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<WebConfig>,
}

impl AppState {
    /// Today in the organisation's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        if let Some(fixed) = self.config.today {
            return fixed;
        }
        chrono::Utc::now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }
}

pub fn router(state: AppState) -> Router {
    // Guards: every page handler takes `CurrentUser` (login required) and
    // calls `require(&[roles])` where the page belongs to some roles only.
    let pages = Router::new()
        .route("/", get(home::root))
        .route("/aujourdhui", get(today::page)) // representative
        .route("/district", get(home::district_manager)) // district_manager
        .route("/district/activite", get(district::page)) // district_manager
        .route("/district/reassigner", post(district::reassign)) // district_manager
        .route("/direction", get(home::direction)) // direction
        .route("/facturation", get(billing::queue)) // billing, direction
        .route("/facturation/{id}/envoyee", post(billing::send_invoice)) // billing, direction
        .route("/facturation/{id}/payee", post(billing::mark_paid)) // billing, direction
        .route("/facturation/{id}/recue", post(billing::confirm_received)) // all but billing, in scope
        .route("/facturation/{id}/annulee", post(billing::cancel)) // all but billing, in scope
        .route(
            "/facturation/{id}/depart",
            post(billing::close_with_departure),
        ) // billing, direction; representative and district_manager in scope
        .route("/facturation/{id}/decision", post(billing::change_decision)) // all but billing, in scope
        // Members: scope filtered in SQL; writes for managers and direction.
        .route("/membres", get(members::list)) // all but billing
        .route("/membres/export.csv", get(members::export_csv)) // all but billing
        .route(
            "/membres/nouveau",
            get(members::new_form).post(members::create),
        ) // district_manager, direction
        .route("/membres/{id}", get(members::show)) // all but billing, in scope
        .route("/membres/{id}/suivis", post(follow_ups::log)) // all but billing, in scope
        .route(
            "/membres/{id}/suivis/{follow_up_id}/correction",
            post(follow_ups::correct),
        ) // all but billing, in scope
        .route("/membres/{id}/relance", post(follow_ups::reschedule)) // all but billing, in scope
        .route("/membres/{id}/facturation", post(billing::create)) // all but billing, in scope
        .route("/membres/{id}/renouvellement", post(renewals::record)) // direction
        .route(
            "/membres/{id}/renouvellement/annulation",
            post(renewals::undo),
        ) // direction
        .route("/membres/{id}/depart", post(renewals::depart)) // all but billing, in scope
        .route("/membres/{id}/reactivation", post(renewals::reactivate)) // district_manager, direction, in scope
        .route(
            "/membres/{id}/modifier",
            get(members::edit_form).post(members::update),
        ) // district_manager, direction, in scope
        // -- escalations and reasons routes (below) --
        .route("/membres/{id}/raisons", post(reasons::record)) // representative (own members), district_manager (district), direction; in scope
        .route("/membres/{id}/escalades", post(escalations::raise)) // representative (own members), district_manager (district), direction; in scope
        .route("/escalades", get(escalations::queue)) // direction (all), district_manager (district level, own district), representative (raised by them, read-only)
        .route("/escalades/{id}", get(escalations::show)) // representative, district_manager, direction; in scope (actions for the receiver)
        .route(
            "/escalades/{id}/prise-en-charge",
            post(escalations::acknowledge),
        ) // receiver: district_manager of the member's district (level district), direction
        .route("/escalades/{id}/resolution", post(escalations::resolve)) // receiver: district_manager (level district, own district), direction
        .route("/escalades/{id}/escalade", post(escalations::escalate_up)) // receiver: district_manager (level district, own district), direction
        // -- districts and groups routes (below) --
        .route("/districts", get(districts::list)) // direction
        .route(
            "/districts/nouveau",
            get(districts::new_form).post(districts::create),
        ) // direction
        .route(
            "/districts/{id}/modifier",
            get(districts::edit_form).post(districts::update),
        ) // direction
        .route("/districts/{id}/activation", post(districts::set_active)) // direction
        .route("/groupes", get(groups::list)) // representative, district_manager, direction; in scope
        .route(
            "/groupes/nouveau",
            get(groups::new_form).post(groups::create),
        ) // district_manager (own district), direction
        .route("/groupes/{id}", get(groups::show)) // representative, district_manager, direction; in scope
        .route(
            "/groupes/{id}/modifier",
            get(groups::edit_form).post(groups::update),
        ) // district_manager (own district), direction; in scope
        .route("/groupes/{id}/activation", post(groups::set_active)) // district_manager (own district), direction; in scope
        .route(
            "/groupes/{id}/rencontres",
            get(meetings::list).post(meetings::add),
        ) // GET: representative (groups with their members), district_manager, direction; POST (add a meeting): district_manager, direction; in scope
        .route(
            "/groupes/{id}/rencontres/{date}",
            get(meetings::sheet).post(meetings::save),
        ) // representative (their members' lines), district_manager, direction; in scope
        .route(
            "/groupes/{id}/rencontres/{date}/annulation",
            post(meetings::cancel),
        ) // district_manager, direction; in scope (asks to confirm first)
        // -- meeting import routes --
        .route(
            "/groupes/{id}/rencontres/import",
            get(meeting_import::upload_page).post(meeting_import::upload),
        ) // representative (groups with their members; their members' lines only), district_manager, direction; in scope
        .route(
            "/groupes/{id}/rencontres/import/{token}",
            get(meeting_import::preview).post(meeting_import::confirm),
        ) // same; the uploader's own file for this group only
        .route(
            "/groupes/{id}/rencontres/import/{token}/rapport.csv",
            get(meeting_import::report_csv),
        ) // same; the uploader's own file for this group only
        // -- catalogue and timelines routes (below) --
        .route("/raisons", get(catalogue::list)) // direction
        .route(
            "/raisons/nouvelle",
            get(catalogue::new_form).post(catalogue::create),
        ) // direction
        .route(
            "/raisons/{id}/modifier",
            get(catalogue::edit_form).post(catalogue::update),
        ) // direction
        .route("/raisons/{id}/deplacer", post(catalogue::move_reason)) // direction
        .route("/raisons/{id}/activation", post(catalogue::set_active)) // direction
        .route("/raisons/{id}/suppression", post(catalogue::delete)) // direction
        .route("/echeanciers", get(timelines::overview)) // direction
        .route("/echeanciers/versions", get(timelines::versions)) // direction
        .route(
            "/echeanciers/versions/{id}",
            get(timelines::restore_preview).post(timelines::restore),
        ) // direction
        .route(
            "/echeanciers/{section}",
            get(timelines::edit_form).post(timelines::submit),
        ) // direction
        .route(
            "/seuils-engagement",
            get(engagement_light::show).post(engagement_light::save),
        ) // direction
        // -- renewal risk routes --
        .route("/risque", get(risk::list)) // representative, district_manager, direction (scope in SQL)
        .route("/risque/export.csv", get(risk::export_csv)) // same
        .route("/risque/formule", get(risk::formula)) // same
        .route("/rapports/calibration", get(reports::calibration::page)) // district_manager, direction (district in SQL)
        .route("/rapports/calibration.csv", get(reports::calibration::csv)) // same
        // -- import routes --
        .route(
            "/membres/import",
            get(import::upload_page)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(import::UPLOAD_LIMIT)),
        ) // district_manager (own district), direction
        .route(
            "/membres/import/{token}",
            get(import::preview).post(import::confirm),
        ) // district_manager, direction; the uploader's own file only
        .route(
            "/membres/import/{token}/rapport.csv",
            get(import::report_csv),
        ) // district_manager, direction; the uploader's own file only
        // -- reports routes (below) --
        .route("/rapports", get(reports::index)) // representative, district_manager, direction
        .route("/rapports/retention", get(reports::retention::page)) // same; scope in SQL
        .route("/rapports/retention.csv", get(reports::retention::csv)) // same
        .route("/rapports/departs", get(reports::losses::page)) // same
        .route("/rapports/departs.csv", get(reports::losses::csv)) // same
        .route("/rapports/a-venir", get(reports::pipeline::page)) // same
        .route("/rapports/a-venir.csv", get(reports::pipeline::csv)) // same
        .route("/rapports/suivi", get(reports::follow_up::page)) // same
        .route("/rapports/suivi.csv", get(reports::follow_up::csv)) // same
        .route("/rapports/equipe", get(reports::team::page)) // same
        .route("/rapports/equipe.csv", get(reports::team::csv)) // same
        // -- CSV export routes --
        // Same guards and scope as the page each one exports.
        .route("/escalades/export.csv", get(escalations::export_csv)) // direction (all), district_manager (district level, own district), representative (raised by them)
        .route("/facturation/export.csv", get(billing::export_csv)) // billing, direction
        .route("/district/activite/export.csv", get(district::export_csv)) // district_manager
        .route("/groupes/export.csv", get(groups::export_csv)) // representative, district_manager, direction; in scope
        .route("/districts/export.csv", get(districts::export_csv)) // direction
        // -- users, portfolios and contact details routes (below) --
        .route("/utilisateurs", get(users::list)) // direction (all), district_manager (own district, read-only)
        .route("/utilisateurs/export.csv", get(users::export_csv)) // direction, district_manager (own district)
        .route(
            "/utilisateurs/nouveau",
            get(users::new_form).post(users::create),
        ) // direction
        .route(
            "/utilisateurs/{id}/modifier",
            get(users::edit_form).post(users::update),
        ) // direction
        .route(
            "/utilisateurs/{id}/desactivation",
            get(users::deactivate_form).post(users::deactivate),
        ) // direction (not oneself)
        .route("/utilisateurs/{id}/reactivation", post(users::reactivate)) // direction
        .route(
            "/utilisateurs/{id}/mot-de-passe",
            post(users::reset_password),
        ) // direction
        .route(
            "/mot-de-passe/{token}",
            get(password_links::page).post(password_links::choose),
        ) // anyone holding a valid one-time link
        .route("/compte", get(account::page)) // everyone logged in
        .route("/compte/mot-de-passe", post(account::change_password)) // everyone logged in
        .route("/portefeuilles", get(portfolios::page)) // district_manager (own district), direction
        .route("/portefeuilles/tout", post(portfolios::move_all)) // district_manager (own district), direction
        .route("/portefeuilles/selection", post(portfolios::move_selection)) // district_manager (own district), direction
        .route(
            "/membres/{id}/coordonnees",
            get(contacts::form).post(contacts::save),
        ) // representative (own members), district_manager, direction; in scope
        .route("/login", get(auth::login_page).post(auth::login_submit)) // anyone
        .route("/logout", get(auth::logout_page).post(auth::logout)) // anyone
        .route("/healthz", get(healthz)) // anyone
        .route("/static/app.css", get(assets::app_css))
        .route("/static/favicon.svg", get(assets::favicon))
        .route("/favicon.ico", get(assets::favicon))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);

    pages
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::with_navigation,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::database_guard,
        ))
        .layer(middleware::from_fn(security::refuse_cross_site))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            security::CONTENT_SECURITY_POLICY,
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        // Pages hold personal data: never kept in a cache (the Back button
        // after logout must not show them). Static files set their own.
        .layer(security_header(header::CACHE_CONTROL, "no-store"))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// A form's address opened as a page (a reload after an error, a bookmark):
/// go to the page the form belongs to instead of a bare 405.
async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        return AppError::MethodNotAllowed.into_response();
    }
    let parts: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let target = match parts.as_slice() {
        ["membres", id, ..] => format!("/membres/{id}"),
        ["escalades", id, ..] => format!("/escalades/{id}"),
        ["groupes", id, ..] => format!("/groupes/{id}"),
        ["facturation", ..] => "/facturation".to_string(),
        ["district", ..] => "/district/activite".to_string(),
        ["districts", ..] => "/districts".to_string(),
        ["utilisateurs", ..] => "/utilisateurs".to_string(),
        ["portefeuilles", ..] => "/portefeuilles".to_string(),
        ["compte", ..] => "/compte".to_string(),
        ["raisons", ..] => "/raisons".to_string(),
        ["echeanciers", ..] => "/echeanciers".to_string(),
        ["seuils-engagement", ..] => "/seuils-engagement".to_string(),
        _ => "/".to_string(),
    };
    Redirect::to(&target).into_response()
}

/// Liveness and readiness: answers 200 only when the database answers.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "healthz : base de données injoignable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "base de données injoignable",
            )
        }
    }
}
