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

pub mod limit;
pub mod load;
pub mod metrics;
pub mod publish;
pub mod rebuild;
pub mod server;
mod site;
pub mod store;
pub mod validate;

pub use server::{Server, Settings, StartError};
