//! The DuckDB query of docs/SERVER.md ("The data in DuckDB"), run as written on a
//! server's published `/data/*.ndjson` by the `duckdb` Python package, gives the
//! numbers the JSON API gives.
//!
//! `.ci/run` installs the package into a virtual environment, `target/duckdb-venv`,
//! which the test uses (or the Python `TELEMETRY_TEST_PYTHON` names); in CI its
//! absence fails the test. Run by hand without it, the test says it skipped and why.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

const DAY_ONE: &str = "2026-12-01";
const DAY_TWO: &str = "2026-12-02";
const DAY_THREE: &str = "2026-12-03";
const WEEK: &str = "2026-11-28";

/// The variable naming a Python interpreter that has `duckdb`.
const PYTHON_VAR: &str = "TELEMETRY_TEST_PYTHON";

/// The documented query: the `sql` block of the section on DuckDB.
fn documented_query() -> String {
    let doc = include_str!("../../docs/SERVER.md");
    let at = doc
        .find("### The data in DuckDB")
        .expect("docs/SERVER.md has the DuckDB section");
    doc[at..]
        .split("```sql\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has its query")
        .to_string()
}

/// A Python with `duckdb`, or why there is none.
fn python() -> Result<String, String> {
    // The variable, else the environment `.ci/run` makes, else the system's Python.
    let venv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/duckdb-venv/bin/python"
    );
    let python = std::env::var(PYTHON_VAR).unwrap_or_else(|_| {
        if std::path::Path::new(venv).exists() {
            venv.into()
        } else {
            "python3".into()
        }
    });
    let probe = Command::new(&python)
        .args(["-c", "import duckdb; print(duckdb.__version__)"])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if probe.status.success() {
        Ok(python)
    } else {
        Err(format!(
            "{python} has no duckdb module ({}); `.ci/run` installs it, or set {PYTHON_VAR}",
            String::from_utf8_lossy(&probe.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        ))
    }
}

#[test]
fn the_documented_duckdb_query_reproduces_the_apis_numbers() {
    let python = match python() {
        Ok(p) => p,
        Err(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "in CI the DuckDB test must run: {why}"
            );
            eprintln!("SKIPPED the_documented_duckdb_query_reproduces_the_apis_numbers: {why}");
            return;
        }
    };
    let collector = Collector::new(test_config(1));
    let db = format!("sqlite:{}", collector.dir.join("server.db").display());
    // Two days of uploads of one week; kv/rare (rate 0.5) only where x <= 0.5.
    let mut expected_carrying = 0;
    for (day, range) in [(DAY_ONE, 1..=12u64), (DAY_TWO, 13..=30)] {
        let server = ServerProcess::start(&db, &collector.signed, day, &[]);
        for i in range {
            let x = i as f64 / 31.0;
            let mut counters = vec![("kv/command:get", 1)];
            if x <= 0.5 {
                counters.push(("kv/rare", i));
                expected_carrying += 1;
            }
            let sent = report(WEEK, x, &counters, &[]);
            assert_eq!(server.upload(&sent).status, 200);
        }
    }
    let server = ServerProcess::start(&db, &collector.signed, DAY_THREE, &[]);
    // The researcher's side: every published day's file, into data/.
    let index: Value =
        serde_json::from_slice(&server.get("/data/index.json").body).expect("the index");
    let work = TempDir::new("duckdb");
    let data = work.join("data");
    std::fs::create_dir_all(&data).expect("data/");
    let mut files = 0;
    for day in index["days"].as_array().expect("days") {
        let file = day["file"].as_str().expect("a file name");
        let body = server.get(&format!("/data/{file}"));
        assert_eq!(body.status, 200);
        std::fs::write(data.join(file), &body.body).expect("the day is saved");
        files += 1;
    }
    assert_eq!(files, 2, "two days published");
    let run = Command::new(&python)
        .current_dir(&work)
        .args([
            "-c",
            "import duckdb, json, sys\n\
             print(json.dumps(duckdb.sql(sys.argv[1]).fetchall()))",
            &documented_query(),
        ])
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "the query fails: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows: Value = serde_json::from_slice(&run.stdout).expect("rows as JSON");
    let api: Value =
        serde_json::from_slice(&server.get("/api/v1/series?program=kv&counter=kv/rare").body)
            .expect("the API's answer");
    let week = &api["weeks"][0];
    assert_eq!(week["carrying"], expected_carrying);
    assert_eq!(
        rows,
        serde_json::json!([[
            WEEK,
            week["reports"].clone(),
            week["carrying"].clone(),
            week["estimate"].clone()
        ]]),
        "DuckDB's [week, reports, carrying, estimate] against the API's {week}"
    );
    assert_eq!(week["reports"], 30);
}
