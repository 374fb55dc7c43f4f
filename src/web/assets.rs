//! Static files, built into the binary so it runs from any folder.
use axum::http::header;
use axum::response::IntoResponse;

use crate::web::layout::{APP_CSS, FAVICON_SVG};

const CACHE_LONG: &str = "public, max-age=31536000, immutable";

pub async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_LONG),
        ],
        APP_CSS,
    )
}

pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}
