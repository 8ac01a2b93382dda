//! Every route the server answers, registered here and only here, with the layers
//! around them: compression for what is read, the body limit for uploads, the
//! security headers on every answer, and the time limit on every request.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::app::App;
use crate::handlers::{api, config, data, health, pages, trends, upload};
use crate::response::security_headers;

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
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(app)
}
