//! What the server's tests share: a collector's key and signed config, a server
//! process on a loopback port (killed when dropped), and the databases to run every
//! test on: each storage test is declared once per backend ([`on_each_backend!`]),
//! SQLite always run, PostgreSQL ignored with its reason unless asked for (`.ci/run`
//! starts a server and runs them).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig, StackConfig};
use telemetry_formats::report::Report;
use telemetry_formats::signature;
pub use test_support::TempDir;
pub use test_support::http::{self, Response};

/// The variable naming a PostgreSQL server the tests may create databases on.
pub const POSTGRES_VAR: &str = "TELEMETRY_TEST_POSTGRES";

/// A database for one test: a fresh SQLite file, or a fresh PostgreSQL database
/// dropped at the end.
pub struct Database {
    pub url: String,
    pub name: &'static str,
    admin: Option<(String, String)>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((admin, db)) = &self.admin {
            let _ = postgres_admin(admin, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
    }
}

fn postgres_admin(admin: &str, statement: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        let _ = conn.close().await;
        Ok(())
    })
}

/// A database backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file: always run.
    Sqlite,
    /// A fresh database on the PostgreSQL server `TELEMETRY_TEST_POSTGRES` names: these
    /// tests are ignored by a plain `cargo test`, with the reason shown, and run by CI
    /// (`.ci/run` starts a server and runs them with `--ignored`).
    Postgres,
}

/// Declares the test `$name` twice, each calling `$name(backend)`: `$name::sqlite`,
/// and `$name::postgres`, ignored unless asked for.
#[macro_export]
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite)
                }

                #[test]
                #[ignore = "PostgreSQL: set TELEMETRY_TEST_POSTGRES and pass --ignored (.ci/run does)"]
                fn postgres() {
                    super::$name($crate::common::Backend::Postgres)
                }
            }
        )*
    };
}

/// A fresh database of `backend` for one test, in `dir` for SQLite. PostgreSQL needs
/// `TELEMETRY_TEST_POSTGRES` (`.ci/postgres` prints one): without it the test fails
/// saying so, as it only runs when asked for.
pub fn databases(dir: &Path, backend: Backend) -> Vec<Database> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    match backend {
        Backend::Sqlite => vec![Database {
            url: format!("sqlite:{}", dir.join("server.db").display()),
            name: "sqlite",
            admin: None,
        }],
        Backend::Postgres => {
            let admin = std::env::var(POSTGRES_VAR).unwrap_or_default();
            assert!(
                !admin.is_empty(),
                "{POSTGRES_VAR} is not set: the PostgreSQL tests need a server \
                 (`{POSTGRES_VAR}=\"$(.ci/postgres)\"`)"
            );
            let db = format!(
                "telemetry_test_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            postgres_admin(&admin, &format!("CREATE DATABASE {db}"))
                .unwrap_or_else(|e| panic!("cannot create a test database on {admin}: {e}"));
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            vec![Database {
                url: format!("{base}/{db}"),
                name: "postgres",
                admin: Some((admin.clone(), db)),
            }]
        }
    }
}

/// A collector's key pair and a config signed with it.
pub struct Collector {
    pub dir: TempDir,
    pub secret: String,
    pub key: String,
    pub config: Config,
    pub signed: PathBuf,
}

/// The config the tests use: program `kv` 0.1 to 0.x on linux/macos x86_64, a few
/// counters (one family, one at rate 0.5, one expired), a stack counter of depth 2.
pub fn test_config(version: u64) -> Config {
    Config {
        format: 1,
        version,
        sample_rate: 1.0,
        programs: vec![ProgramConfig {
            name: "kv".into(),
            versions: ">=0.1.0, <1".into(),
            os: vec!["linux".into(), "macos".into()],
            arch: vec!["x86_64".into()],
            counters: vec![
                CounterConfig {
                    name: "kv/command:{get,set,other}".into(),
                    rate: 1.0,
                    expires: None,
                },
                CounterConfig {
                    name: "kv/commands/get".into(),
                    rate: 1.0,
                    expires: None,
                },
                CounterConfig {
                    name: "kv/latency:{<1ms,<10ms,>=10ms}".into(),
                    rate: 1.0,
                    expires: None,
                },
                CounterConfig {
                    name: "kv/rare".into(),
                    rate: 0.5,
                    expires: None,
                },
                CounterConfig {
                    name: "kv/old".into(),
                    rate: 1.0,
                    expires: Some("2020-01-01".into()),
                },
            ],
            stacks: vec![StackConfig {
                name: "kv/bug/corrupt".into(),
                depth: 2,
                rate: 1.0,
                expires: None,
            }],
        }],
    }
}

impl Collector {
    /// A new key and `config` signed with it.
    pub fn new(config: Config) -> Collector {
        let dir = TempDir::new("collector");
        let (secret, key) = signature::keygen().expect("a key pair");
        let signed = dir.join("signed-config.json");
        let collector = Collector {
            dir,
            secret,
            key: key.to_string(),
            config: config.clone(),
            signed,
        };
        collector.sign(&config, &collector.signed);
        collector
    }

    /// Signs `config` into `path`.
    pub fn sign(&self, config: &Config, path: &Path) {
        let bytes = signature::sign(&config.to_json(), &self.secret).expect("signing works");
        std::fs::write(path, bytes).expect("the signed config is written");
    }
}

/// A report of `kv` 0.1.0 on linux x86_64 for `week`, naming config version 1.
pub fn report(week: &str, x: f64, counters: &[(&str, u64)], stacks: &[(&str, u64)]) -> Report {
    test_support::kv_report(week, x, "1", counters, stacks)
}

/// A server process.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    pub stderr: PathBuf,
}

/// The server binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_telemetry-server")
}

impl ServerProcess {
    /// Starts `telemetry-server serve` on a free loopback port with `today` fixed, and
    /// waits until it listens.
    pub fn start(db: &str, signed: &Path, today: &str, extra: &[&str]) -> ServerProcess {
        Self::try_start(db, signed, today, extra)
            .unwrap_or_else(|e| panic!("the server starts: {e}"))
    }

    /// As [`ServerProcess::start`], with the server's complaint as an error.
    pub fn try_start(
        db: &str,
        signed: &Path,
        today: &str,
        extra: &[&str],
    ) -> Result<ServerProcess, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let stderr = std::env::temp_dir().join(format!(
            "telemetry-server-stderr-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = Command::new(binary())
            .args(["serve", "--db", db, "--addr", "127.0.0.1:0", "--config"])
            .arg(signed)
            // Every upload shows on /metrics at once (64 by default), unless `extra` says.
            .args(["--metrics-step", "1"])
            .args(extra)
            .env("TELEMETRY_SERVER_TODAY", today)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok());
        match (read, addr) {
            (Ok(_), Some(addr)) => Ok(ServerProcess {
                child,
                addr,
                stderr,
            }),
            _ => {
                let _ = child.wait();
                let complaint = std::fs::read_to_string(&stderr).unwrap_or_default();
                let _ = std::fs::remove_file(&stderr);
                Err(complaint)
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The most memory it has held so far (`VmHWM` in `/proc/<pid>/status`), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .expect("VmHWM in the status")
    }

    /// Kills the server with SIGKILL and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it with SIGTERM (a clean shutdown) and waits; returns whether it exited 0.
    pub fn terminate(mut self) -> bool {
        // SAFETY: `kill` with a pid we own and a valid signal number has no memory effects.
        unsafe {
            libc_kill(self.child.id() as i32, 15);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Response {
        http::get(self.addr, path)
    }

    pub fn post(&self, path: &str, body: &[u8]) -> Response {
        http::post_json(self.addr, path, body)
    }

    pub fn upload(&self, report: &Report) -> Response {
        self.post(&format!("/upload/{}", report.week), &report.to_json())
    }

    /// The value of a counter on `/metrics`.
    pub fn metric(&self, name: &str) -> u64 {
        let text = self.get("/metrics").text();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in\n{text}"))
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
    }
}

/// A connection to `to` from the local address `from` (any loopback address works on
/// Linux: all of 127.0.0.0/8 is this machine), made as the load generator makes its
/// own, but with no read timeout: a test decides how long it waits.
pub fn connect_from(from: std::net::IpAddr, to: SocketAddr) -> std::net::TcpStream {
    let stream = test_support::load::connect(&to.to_string(), Some(from))
        .unwrap_or_else(|e| panic!("connect {from} → {to}: {e}"));
    stream.set_read_timeout(None).expect("no read timeout");
    stream
}

/// The number one SQL query on the database at `url` answers.
pub fn number(url: &str, query: &str) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let answer = if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            sqlx::query_scalar::<_, i64>(query)
                .fetch_one(&mut conn)
                .await
        } else {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            sqlx::query_scalar::<_, i64>(query)
                .fetch_one(&mut conn)
                .await
        };
        answer.unwrap_or_else(|e| panic!("{query}: {e}"))
    })
}

/// Runs one SQL statement on the database at `url` (SQLite or PostgreSQL), as another
/// program on the same database would.
pub fn execute(url: &str, statement: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            sqlx::query(statement)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
            let _ = conn.close().await;
        } else {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            sqlx::query(statement)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
            let _ = conn.close().await;
        }
    });
}
