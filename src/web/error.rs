//! One error type for the web layer. A user never sees a panic or a raw
//! database error: they get a French page, and the log says what happened.
use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or outside the user's scope (we do not reveal which).
    #[error("page introuvable")]
    NotFound,
    /// The user's role may not use this page.
    #[error("accès refusé")]
    Forbidden,
    /// A request the forms of this site never send (forged, malformed).
    #[error("requête invalide : {0}")]
    BadRequest(String),
    /// A cross-site form post.
    #[error("formulaire venant d'un autre site")]
    CrossSite,
    #[error("requête trop volumineuse")]
    TooLarge,
    #[error("méthode non permise")]
    MethodNotAllowed,
    /// The database is restarting or unreachable.
    #[error("base de données indisponible")]
    Unavailable,
    #[error("base de données : {0}")]
    Db(#[from] sqlx::Error),
    #[error("erreur interne : {0}")]
    Internal(#[from] anyhow::Error),
}

#[derive(Template, WebTemplate)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::CrossSite => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn page(&self) -> ErrorPage {
        let (title, message) = match self {
            AppError::NotFound => (
                "Page introuvable",
                "Cette page n'existe pas ou ne vous est pas accessible.".to_string(),
            ),
            AppError::Forbidden => (
                "Accès refusé",
                "Votre rôle ne donne pas accès à cette page.".to_string(),
            ),
            AppError::BadRequest(why) => ("Requête invalide", why.clone()),
            AppError::CrossSite => (
                "Formulaire refusé",
                "Ce formulaire ne vient pas de l'intranet : il a été refusé. \
                 Rechargez la page et recommencez."
                    .to_string(),
            ),
            AppError::MethodNotAllowed => (
                "Action impossible",
                "Cette adresse ne s'utilise pas de cette façon. Passez par les pages de \
                 l'intranet."
                    .to_string(),
            ),
            AppError::TooLarge => (
                "Envoi trop volumineux",
                "Les données envoyées sont trop volumineuses.".to_string(),
            ),
            AppError::Unavailable => unavailable_text(),
            AppError::Db(e) if is_unavailable(e) => unavailable_text(),
            AppError::Db(_) | AppError::Internal(_) => (
                "Erreur du serveur",
                "Une erreur est survenue de notre côté ; rien n'a été enregistré. \
                 Réessayez dans un instant."
                    .to_string(),
            ),
        };
        ErrorPage {
            status: self.status().as_u16(),
            title,
            message,
        }
    }
}

/// The database could not be reached (restarting, connections refused),
/// as opposed to a query it refused.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // Class 08: connection lost; class 57: the server is shutting down,
        // starting or recovering (e.g. 57P01, 57P03).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57")),
        _ => false,
    }
}

fn unavailable_text() -> (&'static str, String) {
    (
        "Base de données momentanément indisponible",
        "La base de données redémarre. Réessayez dans quelques secondes : ce qui a déjà \
         été enregistré est conservé."
            .to_string(),
    )
}

/// While the embedded database restarts, pages answer at once with a 503
/// instead of waiting for a connection (static files still come).
pub async fn database_guard(
    axum::extract::State(state): axum::extract::State<crate::web::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if state.config.database.is_available() || req.uri().path().starts_with("/static/") {
        return next.run(req).await;
    }
    let mut response = AppError::Unavailable.into_response();
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("5"),
    );
    response
}

/// What an error page said, kept on the response so that a later layer can
/// draw it again inside the logged-in layout (navigation included).
#[derive(Clone)]
pub struct ErrorShown {
    pub title: &'static str,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Unavailable => tracing::warn!("base de données indisponible : 503"),
            AppError::Db(e) => tracing::error!(error = %e, "erreur de base de données"),
            AppError::Internal(e) => tracing::error!(error = ?e, "erreur interne"),
            other => tracing::debug!(error = %other, "requête refusée"),
        }
        let page = self.page();
        let shown = ErrorShown {
            title: page.title,
            message: page.message.clone(),
        };
        let mut response = (self.status(), page).into_response();
        response.extensions_mut().insert(shown);
        response
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "errors/error_in_layout.html")]
pub struct ErrorInLayout {
    pub layout: crate::web::layout::Layout,
    pub status: u16,
    pub message: String,
}

/// Error pages seen by a logged-in user keep the navigation bar, so they
/// can go on from there.
pub async fn with_navigation(
    axum::extract::State(state): axum::extract::State<crate::web::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let token = crate::web::auth::session_token(req.headers());
    let response = next.run(req).await;
    let (Some(shown), Some(token)) = (response.extensions().get::<ErrorShown>().cloned(), token)
    else {
        return response;
    };
    let hash = crate::password::token_hash(&token);
    let user =
        crate::store::sessions::user_for(&state.pool, &hash, state.config.session_idle).await;
    match user {
        Ok(Some(user)) => {
            let status = response.status();
            let page = ErrorInLayout {
                layout: crate::web::layout::Layout::new(shown.title, &user, ""),
                status: status.as_u16(),
                message: shown.message,
            };
            (status, page).into_response()
        }
        _ => response,
    }
}

pub type AppResult<T> = Result<T, AppError>;
