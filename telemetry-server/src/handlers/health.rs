//! For the operator: `GET /healthz` and `GET /metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::response::text;

/// `ok` when the database answers.
pub(crate) async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.db.counts().await {
        Ok(_) => text(StatusCode::OK, "ok\n".into()),
        Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
}

/// This process's counts, as Prometheus text.
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut response = app.metrics.render(&app.open.turned).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
