//! Login, logout, sessions and the current user.
use std::net::SocketAddr;

use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::user::Role;
use crate::password;
use crate::store::{sessions, users};
use crate::web::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;

pub const SESSION_COOKIE: &str = "renouvo_session";
/// The login throttle (README, « Sécurité »): within 15 minutes, 5 failures
/// for one account from one address close that address to that account;
/// 50 failures from one address (an office behind one router makes a few
/// mistakes a person; a guessing run makes hundreds) close the address;
/// from 10 failures on an account, from anywhere, each attempt on it waits
/// a few seconds, but its owner is never locked out from elsewhere.
pub const THROTTLE: users::ThrottlePolicy = users::ThrottlePolicy {
    window_minutes: 15,
    per_account_and_address: 5,
    per_address: 50,
    account_slowdown: 10,
};
/// The wait of an attempt on an account under attack.
pub const SLOW_DOWN: std::time::Duration = std::time::Duration::from_secs(2);

/// The logged-in user. Pages that take it redirect anonymous visitors to
/// the login page, remembering where they wanted to go.
pub struct CurrentUser(pub users::User);

impl CurrentUser {
    /// What part of the network this user may see.
    pub fn scope(&self) -> crate::domain::scope::Scope {
        crate::domain::scope::Scope::of(self.0.role, self.0.id, self.0.district_id)
    }

    /// Refuses the page unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

pub enum AuthRejection {
    Login(Redirect),
    Error(AppError),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Login(r) => r.into_response(),
            AuthRejection::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = session_token(&parts.headers) {
            let hash = password::token_hash(&token);
            let user = sessions::user_for(&state.pool, &hash, state.config.session_idle)
                .await
                .map_err(|e| AuthRejection::Error(e.into()))?;
            if let Some(user) = user {
                return Ok(CurrentUser(user));
            }
        }
        let wanted = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let target = if wanted == "/" {
            "/login".to_string()
        } else {
            format!("/login?next={}", encode_component(wanted))
        };
        Err(AuthRejection::Login(Redirect::to(&target)))
    }
}

/// The TCP peer's address, when the server was started with connect info.
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The session token from the `Cookie` header, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Percent-encodes a value for a query string.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Only a path on this site may follow a login (no open redirect).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.contains('\\')
        && !n.chars().any(char::is_control)
        && !n.starts_with("/login")
        && n.len() <= 2000;
    ok.then(|| n.to_string())
}

/// `path` with one more query parameter (before any `#fragment`).
pub fn with_param(path: &str, param: &str) -> String {
    let (base, fragment) = match path.split_once('#') {
        Some((b, f)) => (b, format!("#{f}")),
        None => (path, String::new()),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{param}{fragment}")
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<&'static str>,
    email_error: Option<&'static str>,
    password_error: Option<&'static str>,
    notice: Option<&'static str>,
    focus_password: bool,
}

impl LoginPage {
    fn new(email: String, next: String) -> LoginPage {
        LoginPage {
            layout: Layout::anonymous("Connexion"),
            email,
            next,
            error: None,
            email_error: None,
            password_error: None,
            notice: None,
            focus_password: false,
        }
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    deconnecte: Option<String>,
}

pub async fn login_page(Query(q): Query<LoginQuery>) -> LoginPage {
    let mut page = LoginPage::new(
        String::new(),
        safe_next(q.next.as_deref()).unwrap_or_default(),
    );
    if q.deconnecte.is_some() {
        page.notice = Some("Vous êtes déconnecté·e. À bientôt!");
    }
    page
}

/// The logs name an account without spelling out its address.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".into(),
    }
}

/// `GET /logout` (a typed address, an old bookmark): logging out takes a
/// form post, so this goes home, where the button is.
pub async fn logout_page() -> Redirect {
    Redirect::to("/")
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn client_address(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if state.config.trust_proxy
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return first.trim().chars().take(64).collect();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "inconnue".into())
}

pub async fn login_submit(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let email = form.email.trim().chars().take(254).collect::<String>();
    let next = safe_next(Some(&form.next)).unwrap_or_default();
    let mut page = LoginPage::new(email.clone(), next.clone());
    if email.is_empty() || form.password.is_empty() {
        if email.is_empty() {
            page.email_error = Some("Indiquez votre courriel.");
        }
        if form.password.is_empty() {
            page.password_error = Some("Indiquez votre mot de passe.");
        }
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let address = client_address(&state, &headers, peer);
    let admission = users::admit_attempt(&state.pool, &email, &address, THROTTLE).await?;
    let users::Admission::Admitted {
        attempt_id,
        slow_down,
    } = admission
    else {
        tracing::warn!(
            account = %mask_email(&email),
            %address,
            "connexion bloquée : trop d'échecs"
        );
        page.error = Some(
            "Trop de tentatives de connexion échouées. Par sécurité, attendez 15 minutes \
             avant de réessayer.",
        );
        return Ok((axum::http::StatusCode::TOO_MANY_REQUESTS, page).into_response());
    };
    if slow_down {
        tokio::time::sleep(SLOW_DOWN).await;
    }
    let found = users::find_for_login(&state.pool, &email).await?;
    let password_given = form.password.chars().take(200).collect::<String>();
    let user = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) => password::verify(&password_given, &hash).then_some(user),
        None => {
            password::verify_dummy(&password_given);
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let Some(user) = user.filter(|u| u.active) else {
        // The attempt was recorded as failed when it was admitted.
        tracing::warn!(account = %mask_email(&email), %address, "échec de connexion");
        page.focus_password = true;
        page.error = Some("Courriel ou mot de passe incorrect.");
        return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
    };
    // The attempt, the clean-up and the new session: one transaction.
    let mut tx = state.pool.begin().await?;
    users::record_success(&mut tx, attempt_id, &email).await?;
    sessions::purge_expired(&mut tx, state.config.session_idle).await?;
    let (token, hash) = password::new_token();
    sessions::create(&mut tx, user.id, &hash, state.config.session_max).await?;
    users::record_login(&mut tx, user.id).await?;
    tx.commit().await?;
    tracing::info!(user_id = user.id, "connexion");
    let target = if next.is_empty() {
        user.role.home_path().to_string()
    } else {
        next
    };
    let cookie = session_cookie(&state, &token, state.config.session_max.as_secs());
    Ok(see_other_with_cookie(&target, cookie))
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(token) = session_token(&headers) {
        sessions::delete(&state.pool, &password::token_hash(&token)).await?;
    }
    Ok(see_other_with_cookie(
        "/login?deconnecte=1",
        session_cookie(&state, "", 0),
    ))
}

pub(crate) fn session_cookie(state: &AppState, value: &str, max_age: u64) -> String {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub(crate) fn see_other_with_cookie(target: &str, cookie: String) -> Response {
    let mut resp = Redirect::to(target).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_site() {
        assert_eq!(safe_next(Some("/membres?x=1")), Some("/membres?x=1".into()));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "/login",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        let tok = "a".repeat(64);
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; {SESSION_COOKIE}={tok}")).unwrap(),
        );
        assert_eq!(session_token(&h), Some(tok));
    }
}
