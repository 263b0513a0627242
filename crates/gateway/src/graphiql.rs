//! GraphiQL, served by the gateway itself: pinned production builds kept in the repository
//! (`assets/graphiql`, with their licences), so the page works without internet and runs exactly
//! the code that was reviewed. The page is locked down by a Content-Security-Policy that allows
//! scripts, styles and requests from this origin only (fonts are inlined in GraphiQL's CSS).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page's policy: nothing from another origin, no inline script, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; font-src data:; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The files of the page: name, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("init.js", "text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/init.js")),
    ("page.css", "text/css; charset=utf-8", include_bytes!("../assets/graphiql/page.css")),
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
];

const INDEX: &str = include_str!("../assets/graphiql/index.html");

/// `/` (the page) and `/graphiql/{file}` (its assets).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/graphiql/{file}", get(asset))
}

fn locked_down(mut res: Response) -> Response {
    let headers = res.headers_mut();
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

async fn index() -> Response {
    locked_down(
        ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], INDEX)
            .into_response(),
    )
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, media, bytes)) => locked_down(
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(media)),
                    (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
                ],
                *bytes,
            )
                .into_response(),
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
