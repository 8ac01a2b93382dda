//! The collection server as a client and a reader of its public pages meet it, on
//! every backend: uploads, receipts, idempotence, publication, rebuild, the config.

mod common;

use common::*;
use telemetry_formats::report::Report;

const TODAY: &str = "2026-12-01";
const TOMORROW: &str = "2026-12-02";
const WEEK: &str = "2026-11-28";

fn receipt(response: &Response) -> serde_json::Value {
    assert_eq!(response.status, 200, "{}", response.text());
    serde_json::from_slice(&response.body).expect("the receipt is JSON")
}

fn an_upload_keeps_what_the_config_asks_for_and_says_what_it_dropped(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = ServerProcess::start(&db.url, &collector.signed, TODAY, &[]);
        let sent = report(
            WEEK,
            0.75,
            &[
                ("kv/command:get", 4),
                ("kv/commands/get", 4),
                ("kv/secret", 9),
                ("kv/rare", 2),
                ("kv/old", 1),
                ("kv/latency:<1ms", 1 << 41),
            ],
            &[("kv/bug/corrupt\nkv/commands/get\nkv/a\nkv/b", 1)],
        );
        let answer = server.upload(&sent);
        let r = receipt(&answer);
        assert_eq!(r["stored"], true, "{}", db.name);
        assert_eq!(r["config"], 1);
        assert_eq!(
            r["kept"],
            serde_json::json!({"programs": 1, "counters": 2, "stacks": 1})
        );
        let dropped: Vec<(String, String)> = r["dropped"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap_or("").to_string(),
                    d["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            dropped,
            [
                (
                    "kv/latency:<1ms".to_string(),
                    "value-out-of-bounds".to_string()
                ),
                ("kv/old".into(), "expired".into()),
                ("kv/rare".into(), "sampled-out".into()),
                ("kv/secret".into(), "not-in-config".into()),
            ],
            "{}",
            db.name
        );
        // The same bytes again: the same receipt, stored once.
        let again = server.upload(&sent);
        assert_eq!(again.body, answer.body, "{}", db.name);
        // Other bytes under the same week and x: a conflict.
        let mut other = sent.clone();
        other.programs[0]
            .counters
            .insert("kv/command:get".into(), 5);
        let conflict = server.upload(&other);
        assert_eq!(conflict.status, 409, "{}", db.name);
        assert_eq!(server.metric("telemetry_reports_accepted_total"), 1);
        assert_eq!(server.metric("telemetry_reports_duplicate_total"), 1);
        assert_eq!(server.metric("telemetry_reports_conflict_total"), 1);
        assert_eq!(
            server.metric("telemetry_dropped_total{reason=\"not-in-config\"}"),
            1
        );
        assert!(server.terminate(), "{}: a clean shutdown", db.name);

        // The next day the report is public, as kept: the chain cut to depth 2, none
        // of what was dropped anywhere on the server.
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let data = server.get(&format!("/data/{TODAY}.ndjson"));
        assert_eq!(data.status, 200, "{}: {}", db.name, data.text());
        let lines: Vec<Report> = data
            .text()
            .lines()
            .map(|l| Report::parse(l.as_bytes()).expect("each line is a report"))
            .collect();
        assert_eq!(lines.len(), 1);
        let kept = &lines[0].programs[0];
        assert_eq!(
            kept.counters.keys().collect::<Vec<_>>(),
            ["kv/command:get", "kv/commands/get"]
        );
        assert_eq!(
            kept.stacks.keys().collect::<Vec<_>>(),
            ["kv/bug/corrupt\nkv/commands/get\nkv/a"]
        );
        for page in [
            "/",
            "/charts",
            "/counters",
            "/data/",
            &format!("/data/{TODAY}.ndjson"),
        ] {
            let text = server.get(page).text();
            for absent in ["kv/secret", "kv/rare", "kv/old"] {
                assert!(!text.contains(absent), "{}: {absent} on {page}", db.name);
            }
        }
        // One of each, said as one.
        let home = server.get("/").text();
        assert!(
            home.contains(&format!(
                "1 report published over 1 day, the latest on {TODAY}."
            )),
            "{}: {home}",
            db.name
        );
        // The index states the file's size and digest.
        let index: serde_json::Value =
            serde_json::from_slice(&server.get("/data/index.json").body).expect("JSON");
        assert_eq!(index["days"][0]["day"], TODAY);
        assert_eq!(index["days"][0]["reports"], 1);
        assert_eq!(index["days"][0]["bytes"], data.body.len());
        assert_eq!(
            index["days"][0]["sha256"],
            telemetry_server::publish::sha256_hex(&data.body)
        );
        // Today's reports are not public before the day is over.
        assert_eq!(server.get(&format!("/data/{TOMORROW}.ndjson")).status, 404);
        drop(server);

        let rebuilt = std::process::Command::new(binary())
            .args(["rebuild", "--db", &db.url])
            .output()
            .expect("rebuild runs");
        let out = String::from_utf8_lossy(&rebuilt.stdout);
        assert!(rebuilt.status.success(), "{}: {out}", db.name);
        assert!(
            out.starts_with(&format!("{TODAY}: same (1 report, ")),
            "{out}"
        );
    }
}

fn the_public_file_is_ordered_by_digest_not_by_arrival(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = ServerProcess::start(&db.url, &collector.signed, TODAY, &[]);
        for i in 1..=20u64 {
            let r = report(WEEK, i as f64 / 32.0, &[("kv/command:get", i)], &[]);
            assert_eq!(server.upload(&r).status, 200);
        }
        drop(server);
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let text = server.get(&format!("/data/{TODAY}.ndjson")).text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20, "{}", db.name);
        let digests: Vec<String> = lines
            .iter()
            .map(|l| telemetry_server::publish::sha256_hex(l.as_bytes()))
            .collect();
        let mut sorted = digests.clone();
        sorted.sort();
        assert_eq!(digests, sorted, "{}: lines in digest order", db.name);
        let counts: Vec<u64> = lines
            .iter()
            .map(|l| Report::parse(l.as_bytes()).expect("a report").programs[0].counters["kv/command:get"])
            .collect();
        assert_ne!(
            counts,
            (1..=20).collect::<Vec<_>>(),
            "{}: not arrival order",
            db.name
        );
        // The charts count all twenty reports, and the label chart has one bar.
        let charts = server.get("/charts").text();
        assert!(charts.contains("<p>20 reports"), "{charts}");
    }
}

fn the_config_is_served_with_an_etag_and_never_rolled_back(backend: Backend) {
    let collector = Collector::new(test_config(2));
    for db in databases(&collector.dir, backend) {
        let server = ServerProcess::start(&db.url, &collector.signed, TODAY, &[]);
        let config = server.get("/config");
        assert_eq!(config.status, 200);
        assert_eq!(
            config.body,
            std::fs::read(&collector.signed).expect("signed config")
        );
        let etag = config.header("etag").expect("an ETag").to_string();
        assert!(
            config
                .header("cache-control")
                .is_some_and(|c| c.contains("max-age"))
        );
        let again = http::request(
            server.addr,
            "GET",
            "/config",
            &[("If-None-Match", &etag)],
            b"",
        );
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        drop(server);

        // An older version than one served: refused, with the reason.
        let older = collector.dir.join(format!("older-{}.json", db.name));
        collector.sign(&test_config(1), &older);
        let refused = ServerProcess::try_start(&db.url, &older, TODAY, &[])
            .err()
            .unwrap_or_default();
        assert!(
            refused.contains("older than version 2"),
            "{}: {refused}",
            db.name
        );
        // The same version with other contents: refused.
        let mut changed = test_config(2);
        changed.sample_rate = 0.5;
        let other = collector.dir.join(format!("other-{}.json", db.name));
        collector.sign(&changed, &other);
        let refused = ServerProcess::try_start(&db.url, &other, TODAY, &[])
            .err()
            .unwrap_or_default();
        assert!(
            refused.contains("served before with other contents"),
            "{}: {refused}",
            db.name
        );
        // A newer version is served, and reports naming the older one still validate
        // against it.
        let newer = collector.dir.join(format!("newer-{}.json", db.name));
        let mut three = test_config(3);
        three.programs[0]
            .counters
            .retain(|c| c.name != "kv/commands/get");
        collector.sign(&three, &newer);
        let server = ServerProcess::start(&db.url, &newer, TODAY, &[]);
        let mut old = report(WEEK, 0.5, &[("kv/commands/get", 1)], &[]);
        old.config = "2".into();
        assert_eq!(
            receipt(&server.upload(&old))["kept"]["counters"],
            1,
            "{}",
            db.name
        );
        let mut new = report(WEEK, 0.6, &[("kv/commands/get", 1)], &[]);
        new.config = "3".into();
        let r = receipt(&server.upload(&new));
        assert_eq!(r["stored"], false, "{}", db.name);
        assert_eq!(r["dropped"][0]["reason"], "not-in-config");
        let mut unknown = report(WEEK, 0.7, &[("kv/commands/get", 1)], &[]);
        unknown.config = "9".into();
        let refused = server.upload(&unknown);
        assert_eq!(refused.status, 422);
        assert!(
            refused
                .text()
                .contains("config version 9 was never served here")
        );
    }
}

#[test]
fn nothing_of_the_sender_is_stored_or_logged() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("privacy");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(&db, &collector.signed, TODAY, &[]);
    let agent = "agent-6b1f0e-of-a-curious-client";
    let body = report(WEEK, 0.5, &[("kv/command:get", 1)], &[]).to_json();
    let answer = http::request(
        server.addr,
        "POST",
        &format!("/upload/{WEEK}"),
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", agent),
            ("X-Forwarded-For", "203.0.113.77"),
            ("Cookie", "session=c00kie-9"),
        ],
        &body,
    );
    assert_eq!(answer.status, 200);
    assert!(answer.header("set-cookie").is_none());
    let stderr = server.stderr();
    assert!(server.terminate());
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the directory") {
        stored.extend(std::fs::read(entry.expect("an entry").path()).expect("a file"));
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("kv/command:get"), "the report is stored");
    for secret in [agent, "203.0.113.77", "127.0.0.1", "c00kie-9"] {
        assert!(!stored.contains(secret), "{secret} stored");
        assert!(!stderr.contains(secret), "{secret} logged");
    }
}

/// The `"x":` value of a published line, as written.
fn x_text(line: &str) -> &str {
    let rest = &line[line.find("\"x\":").expect("an x") + 4..];
    rest[..rest.find([',', '}']).expect("the end of x")].trim()
}

fn every_x_is_published_exactly_as_it_was_sent(backend: Backend) {
    let collector = Collector::new(test_config(1));
    let mut rng = test_support::Rng(0x0dd5_eed5_1234_5678);
    // Random doubles in (0, 1) of every magnitude, short decimals, and the edges.
    let mut xs: Vec<f64> = Vec::new();
    for _ in 0..200 {
        xs.push(rng.unit());
    }
    for _ in 0..60 {
        let scale = 10f64.powi(-(rng.below(300) as i32));
        xs.push(rng.unit() * scale);
    }
    xs.extend((1..40).map(|i| format!("0.{i}").parse::<f64>().expect("a decimal")));
    xs.extend([
        f64::MIN_POSITIVE,
        5e-324,
        1.0 - f64::EPSILON / 2.0,
        0.1 + 0.2,
    ]);
    xs.retain(|x| *x > 0.0 && *x < 1.0);
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    for db in databases(&collector.dir, backend) {
        let server =
            ServerProcess::start(&db.url, &collector.signed, TODAY, &["--rate-limit", "0"]);
        let mut sent = std::collections::BTreeMap::new();
        for x in &xs {
            let body = report(WEEK, *x, &[("kv/command:get", 1)], &[]).to_json();
            // The text the client sent: the shortest decimal that reads back as x.
            let text = serde_json::to_string(x).expect("a number");
            assert!(
                String::from_utf8_lossy(&body).contains(&format!("\"x\": {text},")),
                "{text}"
            );
            assert_eq!(server.post(&format!("/upload/{WEEK}"), &body).status, 200);
            sent.insert(x.to_bits(), text);
        }
        drop(server);
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let data = server.get(&format!("/data/{TODAY}.ndjson")).text();
        let mut published = std::collections::BTreeMap::new();
        for line in data.lines() {
            let x = Report::parse(line.as_bytes()).expect("a report").x;
            published.insert(x.to_bits(), x_text(line).to_string());
        }
        // The same numbers, bit for bit, written the same way.
        assert_eq!(published.len(), xs.len(), "{}", db.name);
        for (bits, text) in &sent {
            assert_eq!(
                published.get(bits),
                Some(text),
                "{}: x = {text} published as {:?}",
                db.name,
                published.get(bits)
            );
        }
    }
}

fn a_published_day_is_served_as_stored_with_etag_ranges_and_gzip(backend: Backend) {
    use std::io::Read;
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server =
            ServerProcess::start(&db.url, &collector.signed, TODAY, &["--rate-limit", "0"]);
        for i in 1..=30u64 {
            let r = report(WEEK, i as f64 / 64.0, &[("kv/command:get", i)], &[]);
            assert_eq!(server.upload(&r).status, 200);
        }
        drop(server);
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let path = format!("/data/{TODAY}.ndjson");
        let whole = server.get(&path);
        assert_eq!(whole.status, 200, "{}", db.name);
        assert_eq!(whole.text().lines().count(), 30);
        let etag = whole.header("etag").expect("an ETag").to_string();
        assert_eq!(
            etag,
            format!("\"{}\"", telemetry_server::publish::sha256_hex(&whole.body))
        );
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        assert!(whole.header("content-encoding").is_none());

        // A day published by a server that did not store files gets its file.
        drop(server);
        execute(&db.url, "UPDATE published SET body = NULL, gzip = NULL");
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        assert_eq!(server.get(&path).body, whole.body, "{}", db.name);

        // The file is made once, when the day is published: with every stored report
        // of that day gone, and after a restart, it is served the same.
        drop(server);
        execute(
            &db.url,
            &format!("DELETE FROM reports WHERE day = '{TODAY}'"),
        );
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        assert_eq!(server.get(&path).body, whole.body, "{}", db.name);

        let get = |headers: &[(&str, &str)]| http::request(server.addr, "GET", &path, headers, b"");
        let fresh = get(&[("If-None-Match", &etag)]);
        assert_eq!(fresh.status, 304);
        assert!(fresh.body.is_empty());
        assert_eq!(get(&[("If-None-Match", "\"other\"")]).status, 200);

        let total = whole.body.len();
        let part = get(&[("Range", "bytes=10-99")]);
        assert_eq!(part.status, 206);
        assert_eq!(part.body, whole.body[10..100]);
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes 10-99/{total}").as_str())
        );
        let tail = get(&[("Range", "bytes=-25")]);
        assert_eq!(tail.status, 206);
        assert_eq!(tail.body, whole.body[total - 25..]);
        let beyond = get(&[("Range", &format!("bytes={total}-"))]);
        assert_eq!(beyond.status, 416);
        assert_eq!(
            beyond.header("content-range"),
            Some(format!("bytes */{total}").as_str())
        );
        // A range of another version of the file (If-Range): the whole file.
        let other = get(&[("Range", "bytes=0-9"), ("If-Range", "\"other\"")]);
        assert_eq!((other.status, other.body.len()), (200, total));

        let zipped = get(&[("Accept-Encoding", "gzip")]);
        assert_eq!(zipped.status, 200);
        assert_eq!(zipped.header("content-encoding"), Some("gzip"));
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped.body[..])
            .read_to_end(&mut unzipped)
            .expect("gzip");
        assert_eq!(unzipped, whole.body);
        assert!(zipped.body.len() < total);
        let refused = get(&[("Accept-Encoding", "gzip;q=0, identity")]);
        assert!(refused.header("content-encoding").is_none());
        assert_eq!(refused.body, whole.body);
    }
}

fn a_report_never_lands_in_a_day_already_published_by_a_server_ahead_of_it(backend: Backend) {
    let collector = Collector::new(test_config(1));
    const AFTER: &str = "2026-12-03";
    for db in databases(&collector.dir, backend) {
        // A server whose clock says TODAY stores a report in TODAY.
        let behind =
            ServerProcess::start(&db.url, &collector.signed, TODAY, &["--rate-limit", "0"]);
        let first = report(WEEK, 0.25, &[("kv/command:get", 1)], &[]);
        assert_eq!(behind.upload(&first).status, 200);
        // Another on the same database, already in TOMORROW, publishes TODAY.
        let ahead = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let path = format!("/data/{TODAY}.ndjson");
        let published = ahead.get(&path);
        assert_eq!(published.status, 200, "{}", db.name);
        // The one behind still takes reports: they go to the first day not published.
        let second = report(WEEK, 0.5, &[("kv/command:set", 2)], &[]);
        assert_eq!(behind.upload(&second).status, 200, "{}", db.name);
        let again = ahead.get(&path);
        assert_eq!(
            (again.status, again.body == published.body),
            (200, true),
            "{}: {}",
            db.name,
            again.text()
        );
        drop((behind, ahead));
        let later = ServerProcess::start(&db.url, &collector.signed, AFTER, &[]);
        assert_eq!(later.get(&path).body, published.body);
        let next = later.get(&format!("/data/{TOMORROW}.ndjson"));
        assert_eq!(next.status, 200, "{}: {}", db.name, next.text());
        let next = next.text();
        let lines: Vec<Report> = next
            .lines()
            .map(|l| Report::parse(l.as_bytes()).expect("a report"))
            .collect();
        assert_eq!(lines.len(), 1, "{}: {next}", db.name);
        assert_eq!(lines[0].x, 0.5);
        drop(later);
        let rebuilt = std::process::Command::new(binary())
            .args(["rebuild", "--db", &db.url])
            .output()
            .expect("rebuild runs");
        let out = String::from_utf8_lossy(&rebuilt.stdout);
        assert!(rebuilt.status.success(), "{}: {out}", db.name);
        assert_eq!(out.matches(": same (").count(), 2, "{out}");
    }
}

/// A write lock on the database at `url`, held by another connection until
/// [`WriteLock::release`], as another program (a backup, a migration) would hold it:
/// readers still read.
struct WriteLock {
    runtime: tokio::runtime::Runtime,
    conn: Locked,
}

enum Locked {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    fn take(url: &str) -> WriteLock {
        use sqlx::Connection;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let conn = runtime.block_on(async {
            if url.starts_with("sqlite:") {
                let mut conn = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .expect("the write lock");
                Locked::Sqlite(conn)
            } else {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
                sqlx::query("BEGIN")
                    .execute(&mut conn)
                    .await
                    .expect("BEGIN");
                sqlx::query("LOCK TABLE reports IN EXCLUSIVE MODE")
                    .execute(&mut conn)
                    .await
                    .expect("the write lock");
                Locked::Postgres(conn)
            }
        });
        WriteLock { runtime, conn }
    }

    fn release(self) {
        let WriteLock { runtime, conn } = self;
        runtime.block_on(async {
            match conn {
                Locked::Sqlite(mut c) => sqlx::query("ROLLBACK").execute(&mut c).await.map(drop),
                Locked::Postgres(mut c) => sqlx::query("ROLLBACK").execute(&mut c).await.map(drop),
            }
            .expect("the lock is released");
        });
    }
}

fn a_locked_database_answers_503_and_the_client_sends_the_week_on_a_later_run(backend: Backend) {
    use telemetry_formats::date;
    use telemetry_upload::{Options, Target, Week};
    let collector = Collector::new(test_config(1));
    let now = date::now_secs();
    let today = date::day_of(now);
    for db in databases(&collector.dir, backend) {
        let server = ServerProcess::start(
            &db.url,
            &collector.signed,
            &date::format(today),
            &["--request-timeout", "2"],
        );
        // A client whose week ended yesterday, in mode on for a month.
        let home = TempDir::new("locked-client");
        let ns = home.join("default");
        std::fs::create_dir_all(ns.join("local")).expect("the namespace");
        std::fs::write(
            ns.join("mode"),
            format!("on {}\n", date::format(today - 30)),
        )
        .expect("the mode");
        std::fs::write(
            ns.join("local").join("weekday"),
            format!("{}\n", date::weekday(today - 1)),
        )
        .expect("the weekday");
        let week = date::format(today - 1);
        let local = test_support::kv_report(&week, 0.375, "", &[("kv/command:get", 5)], &[]);
        std::fs::write(
            ns.join("local").join(format!("{week}.json")),
            local.to_json(),
        )
        .expect("the week's report");
        let target =
            Target::new(&format!("http://{}", server.addr), &collector.key).expect("a target");
        let env = telemetry_formats::mode::Env::default();

        let lock = WriteLock::take(&db.url);
        assert_eq!(
            server.get("/healthz").status,
            200,
            "{}: reads go on",
            db.name
        );
        let first = telemetry_upload::run(&ns, &target, &env, &Options::now());
        let (sent_week, state, _) = first.weeks.first().expect("the week is due");
        assert_eq!(sent_week, &week);
        match state {
            Week::Retry(why, next) => {
                assert!(why.contains("503"), "{}: {why}", db.name);
                // The server's Retry-After (300 s), not the client's day of back-off.
                assert!(*next <= date::now_secs() + 300, "{}: {next}", db.name);
            }
            other => panic!("{}: {other:?}", db.name),
        }
        let upload_dir = ns.join("upload");
        assert!(!upload_dir.join(format!("{week}.rejected.json")).exists());
        lock.release();

        let later = Options {
            now: date::now_secs() + 301,
            ..Options::now()
        };
        let second = telemetry_upload::run(&ns, &target, &env, &later);
        match &second.weeks.first().expect("the week is due again").1 {
            Week::Uploaded(receipt) => {
                let receipt: serde_json::Value =
                    serde_json::from_slice(receipt).expect("a receipt");
                assert_eq!(receipt["stored"], true, "{}: {receipt}", db.name);
            }
            other => panic!("{}: {other:?}", db.name),
        }
        assert!(upload_dir.join(format!("{week}.json")).exists());
        assert_eq!(
            number(&db.url, "SELECT COUNT(*) FROM reports"),
            1,
            "{}",
            db.name
        );
        assert_eq!(server.metric("telemetry_reports_refused_total"), 0);
    }
}

fn neither_the_published_line_nor_metrics_follow_the_size_that_was_sent(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server =
            ServerProcess::start(&db.url, &collector.signed, TODAY, &["--metrics-step", "4"]);
        let counters = [("kv/command:get", 7), ("kv/commands/get", 7)];
        // The same counts, once compact and once as a client that pads its body sends
        // them: indented, then 20,000 spaces.
        let plain = {
            let value: serde_json::Value =
                serde_json::from_slice(&report(WEEK, 0.25, &counters, &[]).to_json())
                    .expect("JSON");
            serde_json::to_vec(&value).expect("JSON")
        };
        let padded = {
            let value: serde_json::Value =
                serde_json::from_slice(&report(WEEK, 0.75, &counters, &[]).to_json())
                    .expect("JSON");
            let mut text = serde_json::to_string_pretty(&value).expect("JSON");
            text.push_str(&" ".repeat(20_000));
            text.into_bytes()
        };
        assert!(padded.len() >= plain.len() + 20_000);
        let path = format!("/upload/{WEEK}");
        assert_eq!(server.post(&path, &plain).status, 200, "{}", db.name);
        assert_eq!(server.post(&path, &padded).status, 200, "{}", db.name);
        assert_eq!(
            server.upload(&report(WEEK, 0.5, &counters, &[])).status,
            200
        );
        // Three uploads: /metrics has not moved, and never counts bytes.
        let metrics = server.get("/metrics").text();
        assert_eq!(server.metric("telemetry_reports_accepted_total"), 0);
        assert!(!metrics.contains("bytes"), "{metrics}");
        assert_eq!(
            server.upload(&report(WEEK, 0.125, &counters, &[])).status,
            200
        );
        assert_eq!(server.metric("telemetry_reports_accepted_total"), 4);
        drop(server);

        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let day = server.get(&format!("/data/{TODAY}.ndjson"));
        assert_eq!(day.status, 200, "{}", day.text());
        let text = day.text();
        let line_of = |x: &str| -> String {
            text.lines()
                .find(|l| l.contains(&format!("\"x\":{x},")))
                .unwrap_or_else(|| panic!("no line with x {x} in {text}"))
                .to_string()
        };
        let (compact, from_padded) = (line_of("0.25"), line_of("0.75"));
        assert_eq!(compact.len(), from_padded.len(), "{}", db.name);
        assert_eq!(compact.replace("0.25", "0.75"), from_padded, "{}", db.name);
    }
}

#[test]
fn the_first_run_keeps_its_database_in_the_data_directory_and_logs_counts_only() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    let collector = Collector::new(test_config(1));
    let home = TempDir::new("first-run");
    let cwd = home.join("repository");
    std::fs::create_dir_all(&cwd).expect("a working directory");
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--log-interval",
            "1",
            "--config",
        ])
        .arg(&collector.signed)
        .current_dir(&cwd)
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env("TELEMETRY_SERVER_TODAY", TODAY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("its output");
    let (lines, said) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| -> String {
        said.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no {what}"))
    };
    let first = next("first line");
    let db = home.join(".local/share/telemetry-server/telemetry-server.db");
    assert!(
        first.contains(&format!("(sqlite:{},", db.display())),
        "{first}"
    );
    assert!(db.exists());
    let addr: std::net::SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .expect("the address");
    let mut later = vec![next("the limits")];
    let body = report(WEEK, 0.5, &[("kv/command:get", 1)], &[]).to_json();
    let answer = http::request(
        addr,
        "POST",
        &format!("/upload/{WEEK}"),
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", "distinctive-agent-4711"),
            ("X-Forwarded-For", "198.51.100.77"),
        ],
        &body,
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !later
        .iter()
        .any(|l| l.contains(": 1 accepted, 0 sent again"))
    {
        assert!(
            Instant::now() < deadline,
            "no summary of the upload in {later:#?}"
        );
        if let Ok(line) = said.recv_timeout(Duration::from_secs(1)) {
            later.push(line);
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("it stops");
    assert!(status.success(), "{status}");
    let _ = reader.join();
    later.extend(said.try_iter());
    let last = later.last().cloned().unwrap_or_default();
    assert_eq!(
        last,
        "telemetry-server: stopped; since it started: 1 accepted, 0 sent again, 0 refused, \
         0 not stored, 0 connections turned away"
    );
    for line in &later {
        for secret in [
            "127.0.0.1",
            "198.51.100.77",
            "distinctive-agent",
            "User-Agent",
        ] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }
    let left: Vec<_> = std::fs::read_dir(&cwd).expect("the directory").collect();
    assert!(
        left.is_empty(),
        "nothing in the working directory: {left:?}"
    );
}

/// `/counters` shows each description as a reader should see it: the `` `code` `` spans
/// descriptions are written with become `<code>`, never raw backticks.
#[test]
fn counters_show_descriptions_with_code_spans_not_backticks() {
    let manifest =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/kv-manifest.json");
    let json = std::fs::read_to_string(&manifest).expect("kv's manifest");
    let kv = telemetry_formats::manifest::Manifest::parse_json(&json).expect("a manifest");
    // The config `telemetry config init` makes of it, as the README's collector has.
    let collector =
        Collector::new(telemetry_formats::config::Config::from_manifests(&[kv]).expect("a config"));
    let manifest = manifest.to_str().expect("a UTF-8 path");
    let db = databases(&collector.dir, Backend::Sqlite).remove(0);
    let server = ServerProcess::start(&db.url, &collector.signed, TODAY, &["--manifest", manifest]);
    let page = server.get("/counters");
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(
        text.contains("<td>Stores every <code>key=value</code> line of a file.</td>"),
        "{text}"
    );
    assert!(!text.contains('`'), "a raw backtick on /counters: {text}");
}

on_each_backend!(
    an_upload_keeps_what_the_config_asks_for_and_says_what_it_dropped,
    the_public_file_is_ordered_by_digest_not_by_arrival,
    the_config_is_served_with_an_etag_and_never_rolled_back,
    every_x_is_published_exactly_as_it_was_sent,
    a_published_day_is_served_as_stored_with_etag_ranges_and_gzip,
    a_report_never_lands_in_a_day_already_published_by_a_server_ahead_of_it,
    a_locked_database_answers_503_and_the_client_sends_the_week_on_a_later_run,
    neither_the_published_line_nor_metrics_follow_the_size_that_was_sent,
);
