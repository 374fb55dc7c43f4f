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

#[cfg(test)]
mod tests {
    use super::APP_CSS;

    /// A block left open (a merge that dropped a `}`) silently moves every
    /// later rule into a media query; the stylesheet must close each block.
    #[test]
    fn every_block_of_the_stylesheet_is_closed() {
        let mut depth = 0i32;
        let mut rest = APP_CSS;
        while let Some(start) = rest.find("/*") {
            depth += braces(&rest[..start]);
            assert!(depth >= 0, "une accolade fermante de trop");
            let end = rest[start..].find("*/").expect("commentaire fermé");
            rest = &rest[start + end + 2..];
        }
        depth += braces(rest);
        assert_eq!(depth, 0, "un bloc de app.css n'est pas fermé");
    }

    fn braces(css: &str) -> i32 {
        let mut depth = 0;
        for c in css.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
        }
        depth
    }
}
