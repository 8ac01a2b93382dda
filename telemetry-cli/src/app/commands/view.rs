//! `telemetry view [--addr 127.0.0.1:PORT]`: the user's side of the collector's public
//! charts, served to this machine only.
//!
//! ```text
//! /            what this machine counted: the charts of each weekly report, and of
//!              this week so far (its counter files), drawn by `telemetry_pages`
//! /sent        every uploaded copy (upload/<week>.json) with the collector's receipt
//! /style.css   the stylesheet of both ends
//! /view.json   which namespace this view serves, and its process id
//! ```
//!
//! Every page is drawn afresh from the files at each request and nothing is ever
//! written: no report is made, no file set aside, in every mode, `off` included.
//!
//! Without `--addr` it listens on 127.0.0.1:8701, or the next free port up to 8710
//! (then any free port): the address stays the same from one run to the next, and a
//! second `telemetry view` of the same namespace finds the first (by its `/view.json`
//! on those ports) and says where it is instead of serving a second copy.

mod http;
mod pages;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use telemetry_formats::mode::Env;

use telemetry_command::{Context, Report};

use crate::app::error::CliError;

/// Where pages are served without `--addr`: 127.0.0.1:8701, or one of the next
/// [`DEFAULT_PORTS`] − 1 ports when it is taken.
const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8701);
/// How many ports from [`DEFAULT_ADDR`]'s are tried before any free port.
const DEFAULT_PORTS: u16 = 10;

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

/// What `/view.json` says: the namespace served, and by which process.
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    namespace: String,
    dir: Option<String>,
    pid: u32,
}

impl Identity {
    fn json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&serde_json::json!({
            "view": 1,
            "namespace": self.namespace,
            "dir": self.dir,
            "pid": self.pid,
        }))
        .unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    fn parse(bytes: &[u8]) -> Option<Identity> {
        let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        (value.get("view")?.as_u64()? == 1).then_some(())?;
        Some(Identity {
            namespace: value.get("namespace")?.as_str()?.to_string(),
            dir: value.get("dir")?.as_str().map(String::from),
            pid: u32::try_from(value.get("pid")?.as_u64()?).ok()?,
        })
    }
}

/// The identity of a `telemetry view` listening at `addr`, if one does (asked with a
/// short time limit: whatever else listens there is not waited for).
fn probe(addr: SocketAddr) -> Option<Identity> {
    let limit = Duration::from_secs(1);
    let mut stream = TcpStream::connect_timeout(&addr, limit).ok()?;
    stream.set_read_timeout(Some(limit)).ok()?;
    stream.set_write_timeout(Some(limit)).ok()?;
    let request = format!("GET /view.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    answer
        .starts_with(b"HTTP/1.1 200 ")
        .then(|| Identity::parse(&answer[split + 4..]))?
}

/// Listens on `addr`, or without `--addr` on the default ports (or a free one), unless
/// a `telemetry view` of this namespace already serves there: prints the address and
/// serves until the process is stopped, or says where the other one is.
pub(crate) fn run(context: &Context, addr: Option<&str>) -> Result<Report, CliError> {
    let explicit = addr.is_some();
    let addr = address(addr)?;
    let ours = Identity {
        namespace: context.namespace.clone(),
        dir: context
            .namespace_dir
            .as_ref()
            .map(|d| d.display().to_string()),
        pid: std::process::id(),
    };
    let candidates: Vec<SocketAddr> = if explicit {
        vec![addr]
    } else {
        (0..DEFAULT_PORTS)
            .map(|i| SocketAddr::new(addr.ip(), addr.port() + i))
            .collect()
    };
    // A view of this namespace on one of them: say so, serve nothing.
    for candidate in &candidates {
        if let Some(other) = probe(*candidate)
            && other.namespace == ours.namespace
            && other.dir == ours.dir
        {
            return Ok(Report::text(format!(
                "telemetry view is already serving this telemetry on http://{candidate} \
                 (process {}): open that address, or stop that process first.\n",
                other.pid
            )));
        }
    }
    let mut listener = None;
    for candidate in &candidates {
        match TcpListener::bind(candidate) {
            Ok(bound) => {
                listener = Some(bound);
                break;
            }
            Err(e) if explicit => {
                return Err(CliError::Failed(format!(
                    "cannot listen on {candidate}: {e}"
                )));
            }
            Err(_) => {}
        }
    }
    let listener = match listener {
        Some(listener) => listener,
        // Every default port is taken: any free one.
        None => TcpListener::bind(SocketAddr::new(addr.ip(), 0))
            .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", addr.ip())))?,
    };
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
    let identity = ours.json();
    http::serve(listener, bound, move |request| {
        if request.path == "/view.json" {
            return http::Response {
                status: 200,
                content_type: "application/json",
                body: identity.clone(),
            };
        }
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
