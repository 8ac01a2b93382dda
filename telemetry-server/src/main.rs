//! `telemetry-server`: the collection server's command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use telemetry_server::{Server, Settings, load, rebuild};

const USAGE: &str = "\
usage:
  telemetry-server serve --config SIGNED-CONFIG [--db sqlite:PATH | --db postgres://…]
                         [--addr HOST:PORT] [--manifest MANIFEST]… [--max-body BYTES]
                         [--rate-limit PER-MINUTE] [--request-timeout SECONDS] [--site NAME]
  telemetry-server rebuild [--db URL]
  telemetry-server load --url URL --config SIGNED-CONFIG [--reports N] [--connections N]
                        [--seconds LIMIT]

serve     serves the signed config, accepts uploads, publishes reports and charts
          (defaults: --db sqlite:telemetry-server.db, --addr 127.0.0.1:8700,
          --max-body 102400, --rate-limit 60 (0 for none), --request-timeout 10)
rebuild   recomputes every published day from the stored reports and compares
load      sends realistic reports to a server and prints reports/s and latencies
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("telemetry-server: {message}");
            ExitCode::from(2)
        }
    }
}

/// `--name value` options after the command word.
struct Options<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [String], known: &[&str]) -> Result<Options<'a>, String> {
        let mut pairs = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--help" || arg == "-h" {
                return Err(USAGE.trim_end().to_string());
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (arg.as_str(), None),
            };
            if !known.contains(&name) {
                return Err(format!("unknown argument {arg:?}\n{USAGE}"));
            }
            let value = match inline {
                Some(v) => v,
                None => rest
                    .next()
                    .map(String::as_str)
                    .ok_or_else(|| format!("{name} needs a value"))?,
            };
            pairs.push((name, value));
        }
        Ok(Options { pairs })
    }

    fn one(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    fn all(&self, name: &str) -> Vec<&'a str> {
        self.pairs
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .collect()
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.one(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name} {v:?} is not a number")),
        }
    }
}

/// A database address fit to print: no user name or password.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://…@{}", &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err(USAGE.trim_end().to_string());
    };
    match command.as_str() {
        "serve" => {
            let options = Options::parse(
                rest,
                &[
                    "--config",
                    "--db",
                    "--addr",
                    "--manifest",
                    "--max-body",
                    "--rate-limit",
                    "--request-timeout",
                    "--site",
                ],
            )?;
            let config = options
                .one("--config")
                .ok_or("serve needs --config SIGNED-CONFIG (made by `telemetry config sign`)")?;
            let mut settings = Settings::new(PathBuf::from(config));
            if let Some(db) = options.one("--db") {
                settings.db = db.to_string();
            }
            if let Some(addr) = options.one("--addr") {
                settings.addr = addr.parse::<SocketAddr>().map_err(|_| {
                    format!("--addr {addr:?} is not HOST:PORT (an IP address and a port)")
                })?;
            }
            settings.manifests = options
                .all("--manifest")
                .into_iter()
                .map(PathBuf::from)
                .collect();
            settings.max_body = options.number("--max-body", settings.max_body)?;
            settings.rate_limit = options.number("--rate-limit", settings.rate_limit)?;
            let secs = options.number("--request-timeout", settings.request_timeout.as_secs())?;
            if secs == 0 {
                return Err("--request-timeout is at least 1 second".into());
            }
            settings.request_timeout = Duration::from_secs(secs);
            if let Some(site) = options.one("--site") {
                settings.site = site.to_string();
            }
            let db = redacted(&settings.db);
            runtime()?.block_on(async {
                let server = Server::bind(settings).await.map_err(|e| e.to_string())?;
                let addr = server
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                println!(
                    "telemetry-server: listening on http://{addr} ({db}, config version {})",
                    server.config_version()
                );
                server
                    .run(shutdown_signal())
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(ExitCode::SUCCESS)
            })
        }
        "rebuild" => {
            let options = Options::parse(rest, &["--db"])?;
            let db = options.one("--db").unwrap_or("sqlite:telemetry-server.db");
            runtime()?.block_on(async {
                let outcome = rebuild::rebuild(db).await.map_err(|e| e.to_string())?;
                for line in &outcome.lines {
                    println!("{line}");
                }
                Ok(if outcome.differed == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            })
        }
        "load" => {
            let options = Options::parse(
                rest,
                &[
                    "--url",
                    "--config",
                    "--reports",
                    "--connections",
                    "--seconds",
                ],
            )?;
            let url = options
                .one("--url")
                .ok_or("load needs --url http://HOST:PORT")?;
            let config = options
                .one("--config")
                .ok_or("load needs --config SIGNED-CONFIG")?;
            let plan = load::Plan {
                url: url.to_string(),
                config: PathBuf::from(config),
                reports: options.number("--reports", 50_000)?,
                connections: options.number("--connections", 32)?,
                limit: Duration::from_secs(options.number("--seconds", 300)?),
            };
            runtime()?.block_on(async {
                let result = load::run(&plan).await?;
                println!("{result}");
                Ok(if result.failed == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            })
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_printed_database_address_holds_no_credentials() {
        assert_eq!(
            redacted("postgres://app:s3cret@db.internal:5432/telemetry"),
            "postgres://…@db.internal:5432/telemetry"
        );
        assert_eq!(
            redacted("sqlite:telemetry-server.db"),
            "sqlite:telemetry-server.db"
        );
        assert_eq!(redacted("postgres://db/x"), "postgres://db/x");
    }
}
