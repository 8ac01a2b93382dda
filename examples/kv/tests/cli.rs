//! The `kv` binary as a user runs it: exact output, exact counts, exit statuses.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use test_support::TempDir;

/// Runs `kv` with `args` and returns what it did. Telemetry is off for the process
/// (`TELEMETRY_MODE=off`), so every count it prints is this process's alone.
fn kv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kv"))
        .args(args)
        .env("TELEMETRY_MODE", "off")
        .output()
        .expect("kv runs")
}

/// Runs `kv --dir DIR` with `args`.
fn kv_in(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_str().expect("temporary paths are UTF-8");
    let mut all = vec!["--dir", dir];
    all.extend_from_slice(args);
    kv(&all)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The lines of the section that starts with `heading`, up to the next blank line.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|line| *line != heading)
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect()
}

/// "What this run counted", each line trimmed: `<value>  <name>`.
fn counted(text: &str) -> Vec<&str> {
    section(text, "What this run counted (kept in memory only):")
        .into_iter()
        .map(str::trim_start)
        .collect()
}

/// The value "What this run counted" shows for `name`, 0 when it is not listed.
fn value_of(text: &str, name: &str) -> u64 {
    counted(text)
        .iter()
        .find_map(|line| {
            let (value, rest) = line.split_once("  ")?;
            (rest == name).then(|| value.parse().expect("a number"))
        })
        .unwrap_or(0)
}

/// The registry table's row for `name`: name, kind, value, site, description.
fn registry_row(text: &str, name: &str) -> [String; 5] {
    let rows = section(
        text,
        "Every counter this program can report (the registry):",
    );
    let row = rows
        .iter()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells[0] == name)
        .unwrap_or_else(|| panic!("`{name}` is not in the registry table:\n{text}"));
    [
        row[0].to_owned(),
        row[1].to_owned(),
        row[2].to_owned(),
        row[3].to_owned(),
        row[4..].join(" "),
    ]
}

/// The 1-based line of `source` that holds `text`.
fn line_of(source: &str, text: &str) -> usize {
    source
        .lines()
        .position(|line| line.contains(text))
        .expect("the text is in the source")
        + 1
}

#[test]
fn demo_counts_exactly_what_its_script_did() {
    let output = kv(&["demo"]);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");

    let lines = counted(&out);
    for expected in [
        "3  kvlite/cache:hit",
        "5  kvlite/cache:miss",
        "8  kv/command:get",
        "4  kv/command:set",
        "1  kv/command:demo",
        "8  kvlite/store/Store/get",
        "7  kvlite/store/Store/set",
        "1  kvlite/store/Store/open",
        "25  kvlite/record/parse",
        "256  kvlite/store/bytes-written",
    ] {
        assert!(lines.contains(&expected), "no line `{expected}` in:\n{out}");
    }
    let chains: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|line| line.contains("kvlite/bug/corrupt-record"))
        .collect();
    assert_eq!(
        chains,
        [
            "1  kvlite/bug/corrupt-record <- kvlite/record/parse <- kvlite/store/Store/compact <- kv/commands/compact <- kv/commands/demo",
            "1  kvlite/bug/corrupt-record <- kvlite/record/parse <- kvlite/store/Store/get <- kv/commands/get <- kv/commands/demo",
            "1  kvlite/bug/corrupt-record <- kvlite/record/parse <- kvlite/store/Store/list <- kv/commands/list <- kv/commands/demo",
        ]
    );
    assert!(
        lines.iter().all(|line| !line.starts_with("0 ")),
        "zeros are not listed"
    );
}

#[test]
fn demo_times_every_command_of_its_script_once() {
    let output = kv(&["demo"]);
    let out = stdout(&output);
    assert!(out.contains("\nRan 17 commands, then removed "), "{out}");
    let buckets = ["<1ms", "<5ms", "<20ms", "<100ms", "<500ms", ">=500ms"];
    let timed: u64 = buckets
        .iter()
        .map(|bucket| value_of(&out, &format!("kv/command-latency:{bucket}")))
        .sum();
    assert_eq!(timed, 17);
    let commands = ["set", "get", "del", "list", "import", "compact"];
    let run: u64 = commands
        .iter()
        .map(|command| value_of(&out, &format!("kv/command:{command}")))
        .sum();
    assert_eq!(run, 17);
}

#[test]
fn demo_skips_the_corrupt_record_and_removes_its_directory() {
    let out = stdout(&kv(&["demo"]));
    let transcript: Vec<&str> = out.lines().collect();
    let first_get = transcript
        .iter()
        .position(|line| *line == "  $ kv get delta")
        .expect("the script reads delta");
    assert_eq!(transcript[first_get + 1], "    4");
    assert!(transcript[first_get + 2].starts_with("    kv: warning: skipped 1 corrupt record in "));
    assert!(out.contains(
        "    compacted: 8 lines -> 4 records, 169 -> 87 bytes, 1 corrupt line dropped\n"
    ));
    assert!(out.contains("  $ kv get omega\n    kv: no such key: omega (exit status 1)\n"));

    let dir = transcript[0]
        .strip_prefix("A scripted session in ")
        .and_then(|rest| rest.strip_suffix(':'))
        .expect("the transcript names its directory");
    assert!(dir.contains("kv-demo-"), "{dir}");
    assert!(!Path::new(dir).exists(), "{dir} was left behind");
}

#[test]
fn the_registry_lists_counters_of_code_that_never_ran_at_zero() {
    let out = stdout(&kv(&["demo"]));
    let store_source = include_str!("../../kvlite/src/store.rs");
    let verify_line = line_of(store_source, "pub fn verify(");
    assert_eq!(
        registry_row(&out, "kvlite/store/Store/verify"),
        [
            "kvlite/store/Store/verify".to_owned(),
            "basic".to_owned(),
            "0".to_owned(),
            format!("src/store.rs:{verify_line}"),
            "Checks every line of the data file without changing anything.".to_owned(),
        ]
    );
    let [_, kind, value, _, _] = registry_row(&out, "kvlite/cache/evictions");
    assert_eq!((kind.as_str(), value.as_str()), ("basic", "0"));
    let [_, kind, value, _, description] = registry_row(&out, "kvlite/bug/corrupt-record");
    assert_eq!((kind.as_str(), value.as_str()), ("stack", "3"));
    assert!(description.starts_with("Data file lines that failed their checksum"));

    let commands_source = include_str!("../src/commands.rs");
    let counters_line = line_of(commands_source, "pub(crate) fn counters()");
    assert_eq!(
        registry_row(&out, "kv/commands/counters"),
        [
            "kv/commands/counters".to_owned(),
            "basic".to_owned(),
            "0".to_owned(),
            format!("src/commands.rs:{counters_line}"),
            "Lists every counter kv can report, with its value in this process.".to_owned(),
        ]
    );
    let [_, kind, value, _, _] = registry_row(&out, "kv/command:other");
    assert_eq!((kind.as_str(), value.as_str()), ("label", "0"));
    let [_, kind, value, _, _] = registry_row(&out, "kv/command-latency:>=500ms");
    assert_eq!((kind.as_str(), value.as_str()), ("bucket", "0"));
    let [_, kind, value, site, _] = registry_row(&out, "telemetry/stack/chains-over-limit");
    assert_eq!((kind.as_str(), value.as_str()), ("basic", "0"));
    assert!(site.starts_with("src/health.rs:"), "{site}");
    assert!(
        out.ends_with(" counters declared, none in conflict.\n"),
        "{out}"
    );
}

#[test]
fn counters_shows_only_itself_counted_and_every_counter_declared() {
    let output = kv(&["counters"]);
    assert!(output.status.success());
    let out = stdout(&output);
    assert_eq!(
        counted(&out),
        ["1  kv/command:counters", "1  kv/commands/counters"]
    );
    let table = section(
        &out,
        "Every counter this program can report (the registry):",
    );
    let declared: usize = out
        .lines()
        .find_map(|line| line.strip_suffix(" counters declared, none in conflict."))
        .and_then(|n| n.parse().ok())
        .expect("the table ends with the number of declarations");
    assert_eq!(
        table.len(),
        1 + declared + 1,
        "a header, one row per declaration, and their number:\n{out}"
    );
    assert!(
        declared >= 38,
        "kv's and kvlite's counters and the runtime's own"
    );
    let latency: Vec<&str> = table
        .iter()
        .filter_map(|row| row.split_whitespace().next())
        .filter(|name| name.starts_with("kv/command-latency:"))
        .collect();
    assert_eq!(
        latency,
        ["<1ms", "<5ms", "<20ms", "<100ms", "<500ms", ">=500ms"]
            .map(|b| format!("kv/command-latency:{b}")),
        "buckets are listed in the order of their bounds"
    );
}

#[test]
fn a_value_set_in_one_run_is_read_in_the_next() {
    let dir = TempDir::new("kv-round-trip");
    let set = kv_in(dir.path(), &["set", "greeting", "hello, world"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(stdout(&set), "");

    let get = kv_in(dir.path(), &["get", "greeting"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(stdout(&get), "hello, world\n");
    assert_eq!(stderr(&get), "");

    assert!(kv_in(dir.path(), &["set", "answer", "42"]).status.success());
    assert_eq!(
        stdout(&kv_in(dir.path(), &["list"])),
        "answer=42\ngreeting=hello, world\n"
    );
    assert!(kv_in(dir.path(), &["del", "answer"]).status.success());
    assert_eq!(
        stdout(&kv_in(dir.path(), &["list"])),
        "greeting=hello, world\n"
    );
    assert!(dir.join("data.kv").is_file());
}

#[test]
fn compacting_one_record_says_one_line_and_one_record() {
    let dir = TempDir::new("kv-compact-one");
    assert!(kv_in(dir.path(), &["set", "k", "v"]).status.success());
    let size = fs::metadata(dir.join("data.kv")).unwrap().len();
    let compact = kv_in(dir.path(), &["compact"]);
    assert!(compact.status.success(), "{}", stderr(&compact));
    assert_eq!(
        stdout(&compact),
        format!("compacted: 1 line -> 1 record, {size} -> {size} bytes, 0 corrupt lines dropped\n")
    );
}

#[test]
fn import_stores_every_pair_or_nothing() {
    let dir = TempDir::new("kv-import");
    fs::create_dir_all(dir.path()).unwrap();
    let good = dir.join("good.txt");
    fs::write(&good, "# pairs\na = 1\nb=2=two\n\n").unwrap();
    let bad = dir.join("bad.txt");
    fs::write(&bad, "c=3\nno equals sign\n").unwrap();

    let imported = kv_in(dir.path(), &["import", good.to_str().unwrap()]);
    assert_eq!(stdout(&imported), "imported 2 keys\n");
    let refused = kv_in(dir.path(), &["import", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(3));
    assert_eq!(
        stderr(&refused),
        format!(
            "kv: {}:2: expected key=value; nothing imported\n",
            bad.display()
        )
    );
    assert_eq!(stdout(&kv_in(dir.path(), &["list"])), "a=1\nb=2=two\n");
}

#[test]
fn a_corrupt_line_in_the_data_file_is_skipped_with_a_warning() {
    let dir = TempDir::new("kv-corrupt");
    assert!(kv_in(dir.path(), &["set", "a", "1"]).status.success());
    assert!(kv_in(dir.path(), &["set", "b", "2"]).status.success());
    let data = dir.join("data.kv");
    let text = fs::read_to_string(&data).unwrap();
    fs::write(&data, text.replacen("\ta\t1\t", "\ta\t7\t", 1)).unwrap();

    let list = kv_in(dir.path(), &["list"]);
    assert!(list.status.success());
    assert_eq!(stdout(&list), "b=2\n");
    assert_eq!(
        stderr(&list),
        format!(
            "kv: warning: skipped 2 corrupt records in {}\n",
            data.display()
        ),
        "one when the store was opened, one when `list` read the file"
    );
}

#[test]
fn a_missing_key_is_a_one_line_error_with_exit_status_1() {
    let dir = TempDir::new("kv-missing");
    let output = kv_in(dir.path(), &["get", "nope"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "kv: no such key: nope\n");
    assert_eq!(kv_in(dir.path(), &["del", "nope"]).status.code(), Some(1));
}

#[test]
fn bad_usage_is_a_one_line_error_with_exit_status_2() {
    let output = kv(&["bogus"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "kv: unknown command `bogus`; expected set, get, del, list, import, compact, demo, \
         counters or telemetry (see `kv help`)\n"
    );
    for args in [&[][..], &["get"], &["set", "k"], &["list", "x"], &["--dir"]] {
        let output = kv(args);
        assert_eq!(output.status.code(), Some(2), "kv {args:?}");
        assert_eq!(stderr(&output).lines().count(), 1, "kv {args:?}");
    }
}

#[test]
fn help_prints_the_usage_and_succeeds() {
    let output = kv(&["help"]);
    assert!(output.status.success());
    assert!(stdout(&output).starts_with("Usage: kv [--dir DIR] COMMAND [ARGS]\n"));
    assert!(stdout(&output).contains("Exit status: 0 success, 1 key not found, 2 bad usage"));
}

#[test]
fn two_demo_runs_add_up_in_this_weeks_counter_file() {
    let home = TempDir::new("kv-weekly-file");
    let run = || {
        let output = Command::new(env!("CARGO_BIN_EXE_kv"))
            .arg("demo")
            .env_remove("TELEMETRY_MODE")
            .env_remove("DO_NOT_TRACK")
            .env("TELEMETRY_DIR", home.path())
            .output()
            .expect("kv runs");
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let first = run();
    assert!(first.contains("\n    3  kvlite/cache:hit\n"), "{first}");
    let second = run();
    assert!(second.contains("\n    6  kvlite/cache:hit\n"), "{second}");
    assert!(
        second.contains("Counted this week by every kv process"),
        "{second}"
    );
    let local = home.join("default").join("local");
    let files: Vec<String> = fs::read_dir(&local)
        .expect("the local directory exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".v1.count"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("kv@0.1.0-"), "{files:?}");
}
