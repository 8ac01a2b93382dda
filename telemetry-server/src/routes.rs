//! Every route the server answers, registered here and only here, with the layers
//! around them: compression for what is read, the body limit for uploads, the
//! security headers on every answer, and the time limits: an upload's body must arrive
//! within the request time limit (408 beyond: the client was slow), and every answer is
//! made within it once the request is in (503 with `Retry-After` beyond: the server was
//! slow, the client tries again later).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;

use crate::app::App;
use crate::handlers::{api, config, data, health, pages, trends, upload};
use crate::response::{busy, security_headers, text};

/// When an upload's body was all in: the upload handler sets it as it starts.
#[derive(Clone, Default)]
pub(crate) struct BodyIn(pub Arc<OnceLock<Instant>>);

/// The time limits of a request: `limit` for its body, then `limit` for the answer.
async fn deadlines(State(limit): State<Duration>, mut request: Request, next: Next) -> Response {
    let body_in = BodyIn::default();
    request.extensions_mut().insert(body_in.clone());
    let has_body = request.method() == axum::http::Method::POST;
    let start = Instant::now();
    let answer = next.run(request);
    let mut answer = std::pin::pin!(answer);
    let mut deadline = start + limit;
    loop {
        tokio::select! {
            response = &mut answer => return response,
            _ = tokio::time::sleep_until(deadline.into()) => {
                match body_in.0.get() {
                    Some(arrived) if *arrived + limit > deadline => deadline = *arrived + limit,
                    Some(_) => return busy(),
                    None if has_body => {
                        return text(
                            StatusCode::REQUEST_TIMEOUT,
                            "the request did not arrive in time\n".into(),
                        );
                    }
                    None => return busy(),
                }
            }
        }
    }
}

/// The router of `app`.
pub(crate) fn routes(app: Arc<App>) -> Router {
    let max_body = app.settings.max_body;
    let timeout = app.settings.request_timeout;
    let uploads = Router::new()
        .route("/upload/{week}", post(upload::upload))
        .layer(DefaultBodyLimit::max(max_body));
    // Stored compressed already, and served in ranges of the stored bytes.
    let day_files = Router::new().route("/data/{file}", get(data::data_file));
    Router::new()
        .route("/config", get(config::config))
        .route("/", get(pages::home))
        .route("/charts", get(pages::charts))
        .route("/counters", get(pages::counters))
        .route("/trends", get(trends::trends))
        .route("/trend", get(trends::trend))
        .route("/decide", get(trends::decide))
        .route("/api/v1/series", get(api::series))
        .route("/api/v1/participation", get(api::participation))
        .route("/api/{*rest}", get(api::unknown))
        .route("/data/", get(data::data_index))
        .route("/data/index.json", get(data::data_index_json))
        .route("/privacy", get(pages::privacy))
        .route("/style.css", get(pages::style))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .fallback(pages::not_found)
        .layer(CompressionLayer::new())
        .merge(uploads)
        .merge(day_files)
        .layer(axum::middleware::map_response(security_headers))
        .layer(middleware::from_fn_with_state(timeout, deadlines))
        .with_state(app)
}
