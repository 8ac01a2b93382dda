//! What the trend pages and the JSON API cost at scale, and what publishing a day costs.
//!
//! A config of one program with 1,000 counters (plain ones at rates 1, 0.5 and 0.1, a
//! family of labels, a histogram) and a sample rate of 0.5; `REPORTS` reports
//! (1,000,000 unless the environment says otherwise) made by the load generator over
//! 52 weeks on two threads, aggregated as the server aggregates them when it publishes,
//! indexed and their trends computed as its merge does. Then each request's whole
//! computation (the numbers and their JSON or HTML, as the handlers make them; not the
//! HTTP around them) is timed `ROUNDS` times: median and 99th percentile. A one-week
//! aggregate of the same reports is the baseline in the same run.
//! Publishing is timed on one day of 10,000 reports: the file, its digest and its
//! aggregate, as the daily merge makes them.
//!
//! `cargo bench -p transparent-telemetry-server --bench analytics`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig, StackConfig};
use telemetry_formats::date;
use telemetry_pages::render::{self, SERVER_LINKS};
use telemetry_pages::{Aggregate, ConfigRates, Indexed, decide, series};
use telemetry_server::configs::Configs;
use telemetry_server::publish;
use telemetry_server::store::{Db, NewReport};
use test_support::load::Maker;

const ROUNDS: usize = 200;
const WEEKS: u64 = 52;
/// Threads making reports.
const MAKERS: u64 = 2;

fn config() -> Config {
    let mut counters = Vec::new();
    for i in 0..980 {
        counters.push(CounterConfig {
            name: format!("kv/c{i}"),
            rate: [1.0, 0.5, 0.1][i % 3],
            expires: None,
        });
    }
    counters.push(CounterConfig {
        name: "kv/command:{get,set,del,scan,stat,other,list,put,move,copy}".into(),
        rate: 1.0,
        expires: None,
    });
    counters.push(CounterConfig {
        name: "kv/latency:{<1ms,<2ms,<5ms,<10ms,<20ms,<50ms,<100ms,<200ms,<500ms,>=500ms}".into(),
        rate: 1.0,
        expires: None,
    });
    Config {
        format: 1,
        version: 1,
        sample_rate: 0.5,
        programs: vec![ProgramConfig {
            name: "kv".into(),
            versions: ">=0.1.0, <1".into(),
            os: vec!["linux".into(), "macos".into()],
            arch: vec!["x86_64".into()],
            counters,
            stacks: vec![StackConfig {
                name: "kv/bug/corrupt".into(),
                depth: 3,
                rate: 1.0,
                expires: None,
            }],
        }],
    }
}

/// Median and 99th percentile of `f` over [`ROUNDS`] runs.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[ROUNDS / 2], times[ROUNDS * 99 / 100])
}

/// Publishing a day through the database, as the daily merge does it: the day's kept
/// reports are stored (in batches of 128, as the writer stores them), then
/// `publish_due` reads them back in publication order, makes the day and stores it with
/// its file in one transaction; only that is timed. Three days, each published once;
/// the median. On SQLite in a temporary directory, and on PostgreSQL when
/// `TELEMETRY_TEST_POSTGRES` names a server (`.ci/postgres` prints one), in a database
/// of its own, dropped after.
fn publishing_stored(kept: &[(String, u64)], configs: &Configs) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return println!("publishing through a database: no runtime: {e}"),
    };
    let dir =
        std::env::temp_dir().join(format!("telemetry-analytics-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return println!("publishing through a database: {}: {e}", dir.display());
    }
    let mut backends = vec![(
        "SQLite",
        format!("sqlite:{}", dir.join("bench.db").display()),
        None,
    )];
    let admin = std::env::var("TELEMETRY_TEST_POSTGRES").unwrap_or_default();
    if !admin.is_empty() {
        let name = format!("telemetry_bench_{}", std::process::id());
        match runtime.block_on(admin_sql(&admin, &format!("CREATE DATABASE {name}"))) {
            Ok(()) => {
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                backends.push(("PostgreSQL", format!("{base}/{name}"), Some(name)));
            }
            Err(e) => println!("PostgreSQL: cannot create a database on {admin}: {e}"),
        }
    }
    for (label, url, database) in backends {
        match runtime.block_on(publish_days(&url, kept, configs)) {
            Ok(mut times) => {
                times.sort();
                println!(
                    "publishing a day of {} stored reports on {label} (read back, made, \
                     stored in one transaction): median {} of {} (fastest {}, slowest {})",
                    kept.len(),
                    ms(times[times.len() / 2]),
                    times.len(),
                    ms(times[0]),
                    ms(times[times.len() - 1])
                );
            }
            Err(e) => println!("publishing on {label}: {e}"),
        }
        if let Some(name) = database
            && let Err(e) = runtime.block_on(admin_sql(&admin, &format!("DROP DATABASE {name}")))
        {
            println!("PostgreSQL: cannot drop the database {name}: {e}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stores `kept` as the reports of three days, one after the other, and times the
/// publication of each.
async fn publish_days(
    url: &str,
    kept: &[(String, u64)],
    configs: &Configs,
) -> Result<Vec<Duration>, String> {
    let db = Db::open(url).await.map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for round in 0..3usize {
        let day = format!("2026-11-{:02}", 10 + round);
        let next = format!("2026-11-{:02}", 11 + round);
        for (i, chunk) in kept.chunks(128).enumerate() {
            let batch: Vec<NewReport> = chunk
                .iter()
                .enumerate()
                .map(|(j, (line, config))| {
                    let n = i * 128 + j;
                    NewReport {
                        week: "2026-11-08".into(),
                        x: format!("{round}.{n}"),
                        digest: publish::sha256_hex(format!("{round} {n}").as_bytes()),
                        day: day.clone(),
                        config: *config,
                        kept: Some(line.clone()),
                        kept_digest: Some(publish::sha256_hex(line.as_bytes())),
                        receipt: "{}".into(),
                    }
                })
                .collect();
            db.store(&batch).await.map_err(|e| e.to_string())?;
        }
        let start = Instant::now();
        let done = publish::publish_due(&db, &next, configs)
            .await
            .map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        if done != [day.clone()] {
            db.close().await;
            return Err(format!("published {done:?}, not [{day:?}]"));
        }
    }
    db.close().await;
    Ok(times)
}

/// Runs one statement on the PostgreSQL server at `url`.
async fn admin_sql(url: &str, statement: &str) -> Result<(), String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query(statement)
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// One request's computation, returning the size of its answer.
type Request<'a> = Box<dyn FnMut() -> usize + 'a>;

fn requests(label: &str, weeks: &Indexed, configs: &BTreeMap<String, ConfigRates>) {
    let level = 0.95;
    let aggregate = weeks.aggregate();
    let cases: Vec<(&str, Request<'_>)> = vec![
        (
            "GET /api/v1/series (a counter at rate 0.1)",
            Box::new(|| {
                let s = series::series(aggregate, configs, "kv", "kv/c2", level);
                serde_json::to_string(&s).map_or(0, |t| t.len())
            }),
        ),
        (
            "GET /api/v1/series (a histogram, 10 buckets)",
            Box::new(|| {
                let s = series::series(aggregate, configs, "kv", "kv/latency", level);
                serde_json::to_string(&s).map_or(0, |t| t.len())
            }),
        ),
        (
            "GET /api/v1/participation",
            Box::new(|| {
                let p = series::participation(aggregate, "kv", level);
                serde_json::to_string(&p).map_or(0, |t| t.len())
            }),
        ),
        (
            "GET /trends?program= (every name's trend)",
            Box::new(|| {
                render::program_page(weeks, configs, "kv", level, &SERVER_LINKS, None, true)
                    .map_or(0, |t| t.len())
            }),
        ),
        (
            "GET /trends?program=&level=90",
            Box::new(|| {
                render::program_page(weeks, configs, "kv", 0.9, &SERVER_LINKS, None, true)
                    .map_or(0, |t| t.len())
            }),
        ),
        (
            "GET /trend?program=&counter= (a histogram)",
            Box::new(|| {
                render::counter_page(
                    aggregate,
                    configs,
                    "kv",
                    "kv/latency",
                    None,
                    level,
                    &SERVER_LINKS,
                )
                .map_or(0, |t| t.len())
            }),
        ),
        (
            "GET /decide?program=",
            Box::new(|| {
                decide::decide(weeks, configs, "kv", None, 0.01, level).map_or(0, |d| {
                    render::decide_page(&d, &SERVER_LINKS, &|_| String::new()).len()
                })
            }),
        ),
    ];
    for (name, mut f) in cases {
        let (median, p99) = time(&mut f);
        println!(
            "{label:>9} | {name:<44} | median {:>9} | p99 {:>9}",
            ms(median),
            ms(p99)
        );
    }
}

fn main() {
    let total: u64 = std::env::var("REPORTS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let config = config();
    let rates = ConfigRates::new(&config);
    let mut configs = Configs::new();
    configs.insert(
        1,
        (
            Arc::new(config.clone()),
            Arc::new(ConfigRates::new(&config)),
        ),
    );
    let by_key = BTreeMap::from([("1".to_string(), ConfigRates::new(&config))]);
    let end = date::day_of(date::now_secs());
    let mut maker = Maker::seeded(config.clone(), 7);

    // Publishing one day of 10,000 reports.
    let kept: Vec<(String, u64)> = (0..10_000)
        .map(|i| {
            let line = String::from_utf8(maker.report(end, i % 7).to_json()).unwrap_or_default();
            (line, 1)
        })
        .collect();
    let mut publishing: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            black_box(
                publish::day_file("2026-12-01", &kept, &configs)
                    .map(|(published, _)| published.bytes),
            )
            .ok();
            start.elapsed()
        })
        .collect();
    publishing.sort();
    let bytes: Vec<u8> = kept
        .iter()
        .flat_map(|(line, _)| line.bytes().chain(std::iter::once(b'\n')))
        .collect();
    let mut compressing: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            black_box(publish::gzip(&bytes).len());
            start.elapsed()
        })
        .collect();
    compressing.sort();
    // The level publishing uses against the smallest gzip makes, on the same bytes.
    let mut smallest = Vec::new();
    let mut compressing_best: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&bytes).ok();
            smallest = encoder.finish().unwrap_or_default();
            start.elapsed()
        })
        .collect();
    compressing_best.sort();
    println!(
        "publishing a day of 10,000 reports (file, digest, aggregate): median {} of 5, \
         of which compressing its {} bytes to {}: {} (at gzip's best level, to {}: {})",
        ms(publishing[2]),
        bytes.len(),
        publish::gzip(&bytes).len(),
        ms(compressing[2]),
        smallest.len(),
        ms(compressing_best[2])
    );
    publishing_stored(&kept, &configs);

    // 52 weeks of reports, aggregated as published: the weeks are shared among
    // [`MAKERS`] threads, each with its own load generator, and their aggregates merged
    // as the server merges the aggregates of the days it published.
    let start = Instant::now();
    let per_week = total / WEEKS;
    let made: Vec<(Aggregate, Aggregate)> = std::thread::scope(|scope| {
        let makers: Vec<_> = (0..MAKERS)
            .map(|t| {
                let (config, rates) = (config.clone(), &rates);
                scope.spawn(move || {
                    let mut maker = Maker::seeded(config, 11 + t);
                    let (mut weeks, mut first_week) = (Aggregate::new(), Aggregate::new());
                    for week in (t..WEEKS).step_by(MAKERS as usize) {
                        for _ in 0..per_week {
                            let report = maker.report(end - 7 * week, 0);
                            weeks.add(&report, rates);
                            if week == 0 {
                                first_week.add(&report, rates);
                            }
                        }
                    }
                    (weeks, first_week)
                })
            })
            .collect();
        makers
            .into_iter()
            .map(|maker| maker.join().expect("a report maker failed"))
            .collect()
    });
    let mut aggregate = Aggregate::new();
    let mut first_week = Aggregate::new();
    for (weeks, first) in &made {
        aggregate.merge(weeks);
        first_week.merge(first);
    }
    drop(made);
    println!(
        "{} reports over {} weeks, {} names: made and aggregated in {:.1} s",
        aggregate.n,
        aggregate.weeks.len(),
        series::names(&aggregate, "kv", &by_key).len(),
        start.elapsed().as_secs_f64()
    );
    let json = aggregate.to_json();
    let start = Instant::now();
    let again = Aggregate::from_json(&json).map(|a| a.n);
    println!(
        "the stored aggregates read back ({} bytes, {} reports): {:.0} ms, once per publication",
        json.len(),
        again.unwrap_or(0),
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let weeks = Indexed::with_trends(aggregate, &by_key);
    println!(
        "its names indexed and their trends computed: {:.0} ms, once per publication",
        start.elapsed().as_secs_f64() * 1e3
    );
    requests(
        "1 week",
        &Indexed::with_trends(first_week, &by_key),
        &by_key,
    );
    requests("52 weeks", &weeks, &by_key);
}
