//! Extractors whose failures become French error pages: forms, path
//! parameters and query strings.
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::web::error::AppError;

pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The body is read once, checked for NUL characters, then parsed.
        let content_type = req.headers().get(axum::http::header::CONTENT_TYPE).cloned();
        // A GET form reads the query string: keep the method and address.
        let method = req.method().clone();
        let uri = req.uri().clone();
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::TooLarge);
            }
            Err(rejection) => {
                tracing::debug!(%rejection, "formulaire illisible");
                return Err(unreadable_form());
            }
        };
        if has_nul(&bytes) {
            return Err(AppError::BadRequest(
                "Le formulaire contient un caractère invisible interdit (NUL). Retapez le texte \
                 sans le copier-coller d'un autre logiciel, puis recommencez."
                    .into(),
            ));
        }
        let mut again = Request::new(axum::body::Body::from(bytes));
        *again.method_mut() = method;
        *again.uri_mut() = uri;
        if let Some(ct) = content_type {
            again
                .headers_mut()
                .insert(axum::http::header::CONTENT_TYPE, ct);
        }
        match axum::Form::<T>::from_request(again, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => {
                tracing::debug!(%rejection, "formulaire illisible");
                Err(unreadable_form())
            }
        }
    }
}

fn unreadable_form() -> AppError {
    AppError::BadRequest(
        "Le formulaire envoyé est incomplet ou illisible. Rechargez la page et recommencez.".into(),
    )
}

/// Path parameters; anything that is not what the route expects (`abc`,
/// `1.5`, a number too large for an id) is a page that does not exist: the
/// French 404, never axum's plain-text English 400.
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => {
                tracing::debug!(%rejection, "paramètre de chemin illisible");
                Err(AppError::NotFound)
            }
        }
    }
}

/// The query string; one that cannot be read (a NUL byte, text that is
/// not UTF-8, a value of the wrong kind) gets a French 400 page.
pub struct Query<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        if has_nul(raw.as_bytes()) {
            return Err(unreadable_query());
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => {
                tracing::debug!(%rejection, "paramètres d'adresse illisibles");
                Err(unreadable_query())
            }
        }
    }
}

fn unreadable_query() -> AppError {
    AppError::BadRequest(
        "L'adresse de cette page contient des paramètres illisibles. Revenez en arrière et \
         passez par les menus et les filtres de l'intranet."
            .into(),
    )
}

/// A NUL character, raw or percent-encoded: PostgreSQL refuses it in text,
/// and no form or link of the intranet ever sends it.
pub fn has_nul(raw: &[u8]) -> bool {
    raw.contains(&0)
        || raw
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn nul_characters_are_found_raw_or_encoded() {
        assert!(has_nul(b"q=%00"));
        assert!(has_nul(b"email=a\0b"));
        assert!(!has_nul(b"q=100%25&page=2"));
        assert!(!has_nul(b"q=%2000"));
    }
}
