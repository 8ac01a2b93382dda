//! `telemetry view [--addr 127.0.0.1:PORT]`: the user's side of the collector's public
//! charts, served to this machine only.
//!
//! ```text
//! /            what this machine counted: the charts of each weekly report, and of
//!              this week so far (its counter files), drawn by `telemetry_pages`
//! /sent        every uploaded copy (upload/<week>.json) with the collector's receipt
//! /style.css   the stylesheet of both ends
//! ```
//!
//! Every page is drawn afresh from the files at each request and nothing is ever
//! written: no report is made, no file set aside, in every mode, `off` included.

mod http;
mod pages;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use telemetry_formats::mode::Env;

use telemetry_command::{Context, Report};

use crate::app::error::CliError;

/// Where pages are served without `--addr`: a free port of 127.0.0.1.
const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// What the pages read from: the namespace, its directory and the environment.
pub(crate) struct Site {
    /// `<root>/<namespace>`, or `None` when there is no root.
    pub namespace_dir: Option<PathBuf>,
    /// The namespace's name.
    pub namespace: String,
    /// `DO_NOT_TRACK`, `TELEMETRY_MODE` and `TELEMETRY_DIR`, for the mode shown.
    pub env: Env,
}

/// The address `--addr` names, which must be on this machine (loopback).
fn address(text: Option<&str>) -> Result<SocketAddr, CliError> {
    let Some(text) = text else {
        return Ok(DEFAULT_ADDR);
    };
    let addr: SocketAddr = text.parse().map_err(|_| {
        CliError::usage(format!(
            "--addr is an IP address and a port, such as 127.0.0.1:8080, not {text:?}"
        ))
    })?;
    if !addr.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "--addr {addr} is not a loopback address: `telemetry view` shows this \
             machine's telemetry to this machine only (use 127.0.0.1:PORT or [::1]:PORT)"
        )));
    }
    Ok(addr)
}

/// Listens on `addr` (or a free port of 127.0.0.1), prints the address and serves
/// until the process is stopped.
pub(crate) fn run(context: &Context, addr: Option<&str>) -> Result<Report, CliError> {
    let addr = address(addr)?;
    let listener = TcpListener::bind(addr)
        .map_err(|e| CliError::Failed(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("cannot listen on {addr}: {e}")))?;
    let site = Site {
        namespace_dir: context.namespace_dir.clone(),
        namespace: context.namespace.clone(),
        env: context.env.clone(),
    };
    let mut stdout = std::io::stdout().lock();
    // Serving goes on even if nobody reads stdout any more.
    let _ = writeln!(
        stdout,
        "Serving your telemetry on http://{bound} (Ctrl-C to stop)"
    );
    let _ = stdout.flush();
    drop(stdout);
    http::serve(listener, bound, move |request| {
        pages::answer(&site, request)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_accepted() {
        assert_eq!(address(None).ok(), Some(DEFAULT_ADDR));
        assert_eq!(
            address(Some("127.0.0.1:8080")).ok(),
            Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert!(address(Some("[::1]:8080")).is_ok());
        for refused in [
            "0.0.0.0:8080",
            "192.168.1.2:80",
            "[::]:8080",
            "[::ffff:127.0.0.1]:80",
        ] {
            let message = address(Some(refused)).err().map(|e| e.to_string());
            assert!(
                message
                    .as_deref()
                    .is_some_and(|m| m.contains("is not a loopback address")),
                "{refused}: {message:?}"
            );
        }
        let message = address(Some("localhost")).err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "--addr is an IP address and a port, such as 127.0.0.1:8080, not \"localhost\" \
                 (run `telemetry help` for usage)"
            )
        );
    }
}
