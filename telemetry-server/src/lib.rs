//! The collection server of transparent telemetry.
//!
//! It serves the collector's signed upload config (`GET /config`), accepts uploads
//! (`POST /upload/<week>`) checked against the config version each report names,
//! keeping only what that config asks for and answering with a receipt of what was
//! kept and dropped, stores them durably (SQLite or PostgreSQL, [`store`]) before it
//! answers, publishes every accepted report once its UTC day is over
//! (`/data/<day>.ndjson`, [`publish`]) and draws charts from them (`/charts`). It
//! stores and logs no address, no user agent and sets no cookie. `docs/SERVER.md`
//! describes how to run it.
//!
//! The serving side is laid out one concern to a file: [`Settings`] (how it runs),
//! `app` (what every request can reach), `routes` (every route, in one place),
//! `handlers` (one file each for uploads, the config, the pages, the data, and health),
//! `outcome` (how an upload ends: its answer and its count), `response` (answers and
//! security headers), [`connections`] (accepting and serving connections: the head
//! deadline, the idle limit, the caps and the file-descriptor budget), `writer` (batched commits), `files` (published days held in memory), `lifecycle`
//! ([`Server`]: start-up, serving, shutdown) and `error` ([`StartError`]).

mod app;
pub mod configs;
pub mod connections;
mod error;
mod files;
mod handlers;
mod lifecycle;
pub mod limit;
pub mod metrics;
mod outcome;
pub mod publish;
pub mod rebuild;
mod response;
mod routes;
mod settings;
pub mod store;
pub mod validate;
mod writer;

pub use app::TODAY_VAR;
pub use error::StartError;
pub use lifecycle::Server;
pub use settings::Settings;
