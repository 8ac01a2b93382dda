//! The handlers, one file per part of the server a client or a reader meets. The
//! routes that lead to them are all in [`crate::routes`].

pub(crate) mod api;
pub(crate) mod config;
pub(crate) mod data;
pub(crate) mod health;
pub(crate) mod pages;
pub(crate) mod trends;
pub(crate) mod upload;
