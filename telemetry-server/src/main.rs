//! `telemetry-server`: the collection server's command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use telemetry_server::store::StoreError;
use telemetry_server::{Server, Settings, StartError, rebuild};

const USAGE: &str = "\
usage:
  telemetry-server serve --config SIGNED-CONFIG [--db sqlite:PATH | --db postgres://…]
                         [--addr HOST:PORT] [--manifest MANIFEST]… [--max-body BYTES]
                         [--rate-limit PER-MINUTE] [--request-timeout SECONDS]
                         [--head-timeout SECONDS] [--idle-timeout SECONDS]
                         [--max-connections N] [--max-connections-per-address N]
                         [--log-interval SECONDS] [--metrics-step N] [--site NAME]
  telemetry-server rebuild [--db URL]

serve     serves the signed config, accepts uploads, publishes reports and charts
          (defaults: --db sqlite:$XDG_DATA_HOME/telemetry-server/telemetry-server.db,
          --addr 127.0.0.1:8700, --max-body 102400, --rate-limit 60 (0 for none),
          --request-timeout 10, --head-timeout 10, --idle-timeout 5,
          --max-connections 4096, --max-connections-per-address 32, --log-interval 3600,
          --metrics-step 64)
rebuild   recomputes every published day from the stored reports and compares
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("telemetry-server: {failure}");
            ExitCode::from(2)
        }
    }
}

/// Why the command failed.
enum Failure {
    /// The command line is wrong (or `--help`): what to say.
    Usage(String),
    /// The server could not start, or stopped serving.
    Start(StartError),
    /// The database refused (`rebuild`).
    Store(StoreError),
    /// No asynchronous runtime could be made.
    Runtime(std::io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Usage(text) => f.write_str(text),
            Failure::Start(e) => e.fmt(f),
            Failure::Store(e) => e.fmt(f),
            Failure::Runtime(e) => write!(f, "cannot start: {e}"),
        }
    }
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Failure {
        Failure::Start(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e)
    }
}

fn usage(text: impl Into<String>) -> Failure {
    Failure::Usage(text.into())
}

/// `--name value` options after the command word.
struct Options<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [String], known: &[&str]) -> Result<Options<'a>, Failure> {
        let mut pairs = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--help" || arg == "-h" {
                return Err(usage(USAGE.trim_end()));
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (arg.as_str(), None),
            };
            if !known.contains(&name) {
                return Err(usage(format!("unknown argument {arg:?}\n{USAGE}")));
            }
            let value = match inline {
                Some(v) => v,
                None => rest
                    .next()
                    .map(String::as_str)
                    .ok_or_else(|| usage(format!("{name} needs a value")))?,
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

    /// A number of seconds, at least one.
    fn seconds(&self, name: &str, default: Duration) -> Result<Duration, Failure> {
        let secs = self.number(name, default.as_secs())?;
        if secs == 0 {
            return Err(usage(format!("{name} is at least 1 second")));
        }
        Ok(Duration::from_secs(secs))
    }

    /// A count, at least one.
    fn at_least_one(&self, name: &str, default: usize) -> Result<usize, Failure> {
        match self.number(name, default)? {
            0 => Err(usage(format!("{name} is at least 1"))),
            n => Ok(n),
        }
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, Failure> {
        match self.one(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| usage(format!("{name} {v:?} is not a number"))),
        }
    }
}

/// Writes a line to stdout; a closed or full stdout loses the line, never the server.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The default database: `telemetry-server.db` in the XDG data directory
/// (`$XDG_DATA_HOME/telemetry-server/`, else `~/.local/share/telemetry-server/`), made if
/// missing. Never the current directory, which is often a repository.
fn default_db() -> Result<String, Failure> {
    let base = match std::env::var_os("XDG_DATA_HOME") {
        Some(dir) if PathBuf::from(&dir).is_absolute() => PathBuf::from(dir),
        _ => match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => PathBuf::from(home).join(".local").join("share"),
            _ => {
                return Err(usage(
                    "neither XDG_DATA_HOME nor HOME is set: name the database with --db sqlite:PATH",
                ));
            }
        },
    };
    let dir = base.join("telemetry-server");
    std::fs::create_dir_all(&dir).map_err(|e| {
        usage(format!(
            "cannot make {} for the database ({e}): name another with --db sqlite:PATH",
            dir.display()
        ))
    })?;
    Ok(format!(
        "sqlite:{}",
        dir.join("telemetry-server.db").display()
    ))
}

/// A database address fit to print: no user name or password.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://…@{}", &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)
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

fn run(args: &[String]) -> Result<ExitCode, Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(usage(USAGE.trim_end()));
    };
    // `telemetry-server serve --help` is a question, not a mistake: the usage, exit 0.
    if matches!(command.as_str(), "serve" | "rebuild")
        && rest.iter().any(|a| a == "--help" || a == "-h")
    {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
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
                    "--head-timeout",
                    "--idle-timeout",
                    "--max-connections",
                    "--max-connections-per-address",
                    "--log-interval",
                    "--metrics-step",
                    "--site",
                ],
            )?;
            let config = options.one("--config").ok_or_else(|| {
                usage("serve needs --config SIGNED-CONFIG (made by `telemetry config sign`)")
            })?;
            let mut settings = Settings::new(PathBuf::from(config));
            settings.db = match options.one("--db") {
                Some(db) => db.to_string(),
                None => default_db()?,
            };
            if let Some(addr) = options.one("--addr") {
                settings.addr = addr.parse::<SocketAddr>().map_err(|_| {
                    usage(format!(
                        "--addr {addr:?} is not HOST:PORT (an IP address and a port)"
                    ))
                })?;
            }
            settings.manifests = options
                .all("--manifest")
                .into_iter()
                .map(PathBuf::from)
                .collect();
            settings.max_body = options.number("--max-body", settings.max_body)?;
            settings.rate_limit = options.number("--rate-limit", settings.rate_limit)?;
            settings.request_timeout =
                options.seconds("--request-timeout", settings.request_timeout)?;
            settings.head_timeout = options.seconds("--head-timeout", settings.head_timeout)?;
            settings.idle_timeout = options.seconds("--idle-timeout", settings.idle_timeout)?;
            settings.log_interval = options.seconds("--log-interval", settings.log_interval)?;
            settings.metrics_step = options.number("--metrics-step", settings.metrics_step)?;
            if settings.metrics_step == 0 {
                return Err(usage("--metrics-step is at least 1"));
            }
            settings.max_connections =
                options.at_least_one("--max-connections", settings.max_connections)?;
            settings.max_connections_per_address = options.at_least_one(
                "--max-connections-per-address",
                settings.max_connections_per_address,
            )?;
            if let Some(site) = options.one("--site") {
                settings.site = site.to_string();
            }
            let db = redacted(&settings.db);
            runtime()?.block_on(async {
                let server = Server::bind(settings).await?;
                let addr = server
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                say(&format!(
                    "telemetry-server: listening on http://{addr} ({db}, config version {})",
                    server.config_version()
                ));
                let limits = server.connection_limits();
                let fds = server
                    .fd_limit()
                    .map(|n| format!(", within {n} open files"))
                    .unwrap_or_default();
                say(&format!(
                    "telemetry-server: at most {} connections, {} from one address{fds}; \
                     request heads within {} s, idle connections closed after {} s",
                    limits.total,
                    limits.per_address,
                    limits.head.as_secs(),
                    limits.idle.as_secs()
                ));
                server.run(shutdown_signal()).await?;
                Ok(ExitCode::SUCCESS)
            })
        }
        "rebuild" => {
            let options = Options::parse(rest, &["--db"])?;
            let db = match options.one("--db") {
                Some(db) => db.to_string(),
                None => default_db()?,
            };
            runtime()?.block_on(async {
                let outcome = rebuild::rebuild(&db).await?;
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
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(usage(format!("unknown command {other:?}\n{USAGE}"))),
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
