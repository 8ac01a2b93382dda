//! The `telemetry` binary, run for real in a fresh directory per test.
//!
//! Every run gets `--dir` and an environment without `DO_NOT_TRACK`, `TELEMETRY_MODE`
//! and `TELEMETRY_DIR` unless a test sets them. Counter files are written byte by byte
//! by [`encode`], following the layout documented in
//! `telemetry-formats/src/file/format.rs`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use telemetry_formats::date;
use test_support::TempDir;

/// The namespace directories of a test's telemetry root.
trait Root {
    /// `<root>/default`.
    fn namespace(&self) -> PathBuf;
    /// `<root>/default/local`, created.
    fn local(&self) -> PathBuf;
}

impl Root for TempDir {
    fn namespace(&self) -> PathBuf {
        self.join("default")
    }

    fn local(&self) -> PathBuf {
        let local = self.namespace().join("local");
        fs::create_dir_all(&local).unwrap();
        local
    }
}

/// Runs `telemetry --dir <root> ARGS` with the given variables set and the other
/// telemetry variables removed.
fn run_env(root: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_telemetry"));
    command.arg("--dir").arg(root).args(args);
    for var in ["DO_NOT_TRACK", "TELEMETRY_MODE", "TELEMETRY_DIR"] {
        command.env_remove(var);
    }
    command.env("RUST_BACKTRACE", "1");
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn run(root: &Path, args: &[&str]) -> Output {
    run_env(root, args, &[])
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs and expects success with nothing on stderr; returns stdout.
fn ok(root: &Path, args: &[&str]) -> String {
    let output = run(root, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    assert_eq!(stderr(&output), "", "{args:?}");
    stdout(&output)
}

/// Every path under `dir`, relative, directories ending in `/`, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.push(format!("{relative}/"));
                walk(base, &path, out);
            } else {
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Today, or tomorrow if the day changed while the test ran.
fn today_or_tomorrow() -> [String; 2] {
    let today = date::day_of(date::now_secs());
    [date::format(today), date::format(today + 1)]
}

// ---------------------------------------------------------------------------------
// A test-only encoder of counter files, written from docs/FORMAT.md rather than
// reusing the runtime's, so these tests also prove the reader accepts the documented
// layout:
//
//   0 magic "TTCOUNT\0" | 8 version u32 LE | 12 byte-order mark 0x01020304 | 16 header
//   length H | 20 buckets B | 24 limit u64 | 32 begin u64 | 40 end u64 | 48 metadata
//   length M u32 | 52 reserved | 56 metadata | H bucket heads u32 × B | records from
//   round8(H + 4B): count u64, next u32, name length u32, name padded to 8.
// ---------------------------------------------------------------------------------

const PAGE: usize = 16 * 1024;
const BUCKETS: u32 = 8;

fn round8(n: usize) -> usize {
    (n + 7) & !7
}

fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// What a file says about itself.
struct Meta<'a> {
    program: &'a str,
    version: &'a str,
    begin: &'a str,
    end: &'a str,
}

const KV: Meta<'static> = Meta {
    program: "kv",
    version: "0.1.0",
    begin: "2026-11-19",
    end: "2026-11-26",
};

/// The bytes of a valid counter file holding `counters`.
fn encode(meta: &Meta, counters: &[(&str, u64)]) -> Vec<u8> {
    let text = format!(
        "program: {}\nversion: {}\ntoolchain: 1.95.0\nos: linux\narch: x86_64\n",
        meta.program, meta.version
    );
    let header_len = round8(56 + text.len());
    let records_start = round8(header_len + 4 * BUCKETS as usize);
    let mut limit = records_start;
    let mut records = Vec::new();
    for &(name, value) in counters {
        records.push((limit, name, value));
        limit += 16 + round8(name.len());
    }
    assert!(limit < PAGE - 8, "the test encoder fills one page at most");
    let mut bytes = vec![0u8; PAGE];
    let put32 = |bytes: &mut Vec<u8>, at: usize, v: u32| {
        bytes[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    };
    let put64 = |bytes: &mut Vec<u8>, at: usize, v: u64| {
        bytes[at..at + 8].copy_from_slice(&v.to_ne_bytes());
    };
    let secs = |day: &str| date::parse(day).unwrap() * date::DAY;
    bytes[..8].copy_from_slice(b"TTCOUNT\0");
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    put32(&mut bytes, 12, 0x0102_0304);
    put32(&mut bytes, 16, header_len as u32);
    put32(&mut bytes, 20, BUCKETS);
    put64(&mut bytes, 24, limit as u64);
    put64(&mut bytes, 32, secs(meta.begin));
    put64(&mut bytes, 40, secs(meta.end));
    put32(&mut bytes, 48, text.len() as u32);
    bytes[56..56 + text.len()].copy_from_slice(text.as_bytes());
    for (at, name, value) in records {
        let head = header_len + 4 * (fnv1a32(name.as_bytes()) & (BUCKETS - 1)) as usize;
        let previous = u32::from_ne_bytes(bytes[head..head + 4].try_into().unwrap());
        put64(&mut bytes, at, value);
        put32(&mut bytes, at + 8, previous);
        put32(&mut bytes, at + 12, name.len() as u32);
        bytes[at + 16..at + 16 + name.len()].copy_from_slice(name.as_bytes());
        put32(&mut bytes, head, at as u32);
    }
    bytes
}

/// A file written by a newer format: version field 2.
fn future_version(bytes: &[u8]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    bytes
}

const KV_FILE: &str = "kv@0.1.0-1.95.0-linux-x86_64-2026-11-19.v1.count";
const CHAIN: &str = "kvlite/bug/corrupt-record\nkvlite/record/parse\nkv/commands/get";

/// The kv file of the tests: a chain, plain counters, and one needing CSV quotes.
fn kv_counters() -> Vec<(&'static str, u64)> {
    vec![
        ("kv/command:get", 8),
        (CHAIN, 1),
        ("kv/odd,\"name\"", 2),
        ("kv/command:set", 4),
    ]
}

fn write_kv_file(local: &Path) -> usize {
    let bytes = encode(&KV, &kv_counters());
    fs::write(local.join(KV_FILE), &bytes).unwrap();
    bytes.len()
}

// ---------------------------------------------------------------------------------
// on, off, local
// ---------------------------------------------------------------------------------

#[test]
fn each_mode_command_writes_exactly_the_mode_and_todays_date() {
    for mode in ["on", "off", "local"] {
        let root = TempDir::new("cli");
        let out = ok(root.path(), &[mode]);
        let written = fs::read_to_string(root.namespace().join("mode")).unwrap();
        let expected = today_or_tomorrow().map(|day| format!("{mode} {day}\n"));
        assert!(expected.contains(&written), "{mode}: {written:?}");
        assert!(out.contains(&format!("Telemetry is now {mode}")), "{out}");
    }
}

#[test]
fn off_in_an_empty_directory_creates_only_the_mode_file() {
    let root = TempDir::new("cli");
    assert_eq!(tree(root.path()), Vec::<String>::new());
    ok(root.path(), &["off"]);
    assert_eq!(tree(root.path()), ["default/", "default/mode"]);
}

#[test]
fn on_and_local_create_no_local_directory_either() {
    for mode in ["on", "local"] {
        let root = TempDir::new("cli");
        ok(root.path(), &[mode]);
        assert_eq!(tree(root.path()), ["default/", "default/mode"], "{mode}");
    }
}

#[test]
fn choosing_the_same_mode_again_keeps_the_original_date() {
    let root = TempDir::new("cli");
    fs::create_dir_all(root.namespace()).unwrap();
    let mode_file = root.namespace().join("mode");
    fs::write(&mode_file, "on 2020-01-02\n").unwrap();
    let out = ok(root.path(), &["on"]);
    assert_eq!(fs::read_to_string(&mode_file).unwrap(), "on 2020-01-02\n");
    assert!(out.contains("already on"), "{out}");
    assert!(out.contains("chosen 2020-01-02"), "{out}");

    // A different mode is a new choice, with a new date.
    let out = ok(root.path(), &["local"]);
    let written = fs::read_to_string(&mode_file).unwrap();
    assert!(written.starts_with("local 20") && written != "local 2020-01-02\n");
    assert!(out.contains("it was on, chosen 2020-01-02"), "{out}");
}

#[test]
fn on_says_what_will_be_uploaded_and_where_the_copies_are() {
    let root = TempDir::new("cli");
    let out = ok(root.path(), &["on"]);
    assert!(
        out.contains("only weeks that began after today, and only what the collector's signed config asks for"),
        "{out}"
    );
    let upload = root.path().join("default").join("upload");
    assert!(
        out.contains(&format!("Every byte sent is kept in {}", upload.display())),
        "{out}"
    );
    assert!(!out.contains("not implemented"), "{out}");
}

#[test]
fn mode_commands_note_environment_overrides() {
    let root = TempDir::new("cli");
    let output = run_env(
        root.path(),
        &["on"],
        &[("TELEMETRY_MODE", "off"), ("DO_NOT_TRACK", "1")],
    );
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(
        out.contains("Note: DO_NOT_TRACK=1 is set: telemetry is off"),
        "{out}"
    );
    assert!(
        out.contains("Note: TELEMETRY_MODE=off is set: mode off"),
        "{out}"
    );

    let out = ok(root.path(), &["local"]);
    assert!(!out.contains("Note:"), "{out}");
}

#[test]
fn the_namespace_flag_chooses_the_directory() {
    let root = TempDir::new("cli");
    ok(root.path(), &["--namespace", "acme", "off"]);
    assert_eq!(tree(root.path()), ["acme/", "acme/mode"]);
}

#[test]
fn a_mode_file_that_cannot_be_written_is_an_operational_error() {
    let root = TempDir::new("cli");
    let not_a_dir = root.path().join("file");
    fs::write(&not_a_dir, "").unwrap();
    let output = run(&not_a_dir, &["off"]);
    assert_eq!(output.status.code(), Some(1));
    assert_one_error_line(&output);
}

// ---------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------

/// The line of `out` that starts with `label`.
fn line<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{out}"))
}

/// The line of `out` that holds `text`.
fn containing<'a>(out: &'a str, text: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in:\n{out}"))
}

#[test]
fn status_shows_mode_files_and_disk_use() {
    let root = TempDir::new("cli");
    let local = root.local();
    fs::write(root.namespace().join("mode"), "local 2026-11-22\n").unwrap();
    fs::write(local.join("weekday"), "4\n").unwrap();
    let size = write_kv_file(&local);
    fs::write(local.join("x.v1.count.bad"), "garbage").unwrap();

    let out = ok(root.path(), &["status"]);
    let dir = root.namespace();
    assert_eq!(line(&out, "Namespace:"), "Namespace:     default");
    assert_eq!(
        line(&out, "Directory:"),
        format!("Directory:     {}", dir.display())
    );
    assert_eq!(line(&out, "Mode:"), "Mode:          local");
    assert_eq!(
        line(&out, "Decided by:"),
        "Decided by:    mode file, chosen 2026-11-22"
    );
    assert_eq!(
        line(&out, "Mode file:"),
        format!(
            "Mode file:     local, chosen 2026-11-22 ({})",
            dir.join("mode").display()
        )
    );
    assert!(line(&out, "Week:").starts_with("Week:          Thursday to Thursday"));
    assert_eq!(
        line(&out, "Counter files:"),
        format!("Counter files: 1, {size} bytes")
    );
    let row = containing(&out, KV_FILE);
    assert!(
        row.contains(&format!("kv 0.1.0  2026-11-19..2026-11-26  {KV_FILE}")),
        "{row}"
    );
    assert_eq!(line(&out, "Set aside:"), "Set aside:     1, 7 bytes");
    let bad = containing(&out, "x.v1.count.bad");
    assert!(bad.contains("x.v1.count.bad"), "{bad}");
    assert!(bad.contains("not a telemetry counter file"), "{bad}");
    let total = 17 + 2 + size + 7;
    assert_eq!(
        line(&out, "Disk use:"),
        format!("Disk use:      {total} bytes in 4 files")
    );
    assert_eq!(
        line(&out, "Disk cap:"),
        "Disk cap:      reports 366 days after their week; counter files left unreported \
         8 weeks after their week ended; set-aside files after 28 days, and all but the \
         newest 4; temporary files after 60 minutes"
    );
    assert_eq!(line(&out, "Filesystem:"), "Filesystem:    local");
    assert_eq!(line(&out, "Reports:"), "Reports:       none");
    assert_eq!(
        line(&out, "Overrides:"),
        "Overrides:     none (DO_NOT_TRACK, TELEMETRY_MODE and TELEMETRY_DIR are not set)"
    );
}

#[test]
fn status_says_why_a_directory_others_may_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let root = TempDir::new("cli");
    fs::create_dir_all(root.namespace()).unwrap();
    fs::write(root.namespace().join("mode"), "on 2026-11-22\n").unwrap();
    fs::set_permissions(root.namespace(), fs::Permissions::from_mode(0o777)).unwrap();
    let out = ok(root.path(), &["status"]);
    assert_eq!(line(&out, "Mode:"), "Mode:          off");
    assert_eq!(
        line(&out, "Decided by:"),
        format!(
            "Decided by:    {} is not trusted: group or others may write it (mode 777); \
             `chmod go-w` it, so off",
            root.namespace().display()
        )
    );
}

#[test]
fn status_names_the_override_that_decides_the_mode() {
    let root = TempDir::new("cli");
    ok(root.path(), &["on"]);
    let output = run_env(root.path(), &["status"], &[("TELEMETRY_MODE", "off")]);
    let out = stdout(&output);
    assert_eq!(line(&out, "Mode:"), "Mode:          off");
    assert_eq!(
        line(&out, "Decided by:"),
        "Decided by:    TELEMETRY_MODE=off (this process only)"
    );
    assert!(line(&out, "Mode file:").starts_with("Mode file:     on, chosen "));
    assert!(line(&out, "Overrides:").contains("TELEMETRY_MODE=off is set"));

    let output = run_env(root.path(), &["status"], &[("DO_NOT_TRACK", "1")]);
    let out = stdout(&output);
    assert_eq!(
        line(&out, "Decided by:"),
        "Decided by:    DO_NOT_TRACK is set"
    );

    let output = run_env(root.path(), &["status"], &[("TELEMETRY_DIR", "/elsewhere")]);
    let out = stdout(&output);
    assert!(
        out.contains(
            "TELEMETRY_DIR=/elsewhere is set: processes that see it use that directory, not --dir"
        ),
        "{out}"
    );
}

#[test]
fn status_of_a_fresh_install_is_the_default() {
    let root = TempDir::new("cli");
    let out = ok(root.path(), &["status"]);
    assert_eq!(line(&out, "Mode:"), "Mode:          local");
    assert_eq!(
        line(&out, "Decided by:"),
        "Decided by:    default of a fresh install"
    );
    assert!(line(&out, "Directory:").ends_with("(does not exist: no data)"));
    assert!(line(&out, "Mode file:").starts_with("Mode file:     none"));
    assert!(line(&out, "Week:").contains("not chosen yet"));
    assert_eq!(line(&out, "Counter files:"), "Counter files: none");
    assert_eq!(line(&out, "Disk use:"), "Disk use:      0 bytes in 0 files");
    assert_eq!(
        tree(root.path()),
        Vec::<String>::new(),
        "status writes nothing"
    );
}

// ---------------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------------

#[test]
fn show_prints_every_counter_sorted_with_chains_as_arrows() {
    let root = TempDir::new("cli");
    let local = root.local();
    write_kv_file(&local);
    let other = Meta {
        program: "aaa",
        version: "2.0",
        begin: "2026-11-12",
        end: "2026-11-19",
    };
    fs::write(
        local.join("aaa@2.0-1.95.0-linux-x86_64-2026-11-12.v1.count"),
        encode(&other, &[("aaa/zero", 0)]),
    )
    .unwrap();
    let out = ok(root.path(), &["show"]);
    assert_eq!(
        out,
        format!(
            "Counter files in {}:

aaa@2.0-1.95.0-linux-x86_64-2026-11-12.v1.count
  aaa 2.0, toolchain 1.95.0, linux x86_64, week 2026-11-12..2026-11-19, 1 counter
  0  aaa/zero

{KV_FILE}
  kv 0.1.0, toolchain 1.95.0, linux x86_64, week 2026-11-19..2026-11-26, 4 counters
  8  kv/command:get
  4  kv/command:set
  2  kv/odd,\"name\"
  1  kvlite/bug/corrupt-record <- kvlite/record/parse <- kv/commands/get
",
            local.display()
        )
    );
}

/// Writes one file of every unreadable sort; returns their names and what `show`
/// must say about each.
fn write_broken_files(local: &Path) -> Vec<(&'static str, String)> {
    let valid = encode(&KV, &kv_counters());
    let files: Vec<(&str, Vec<u8>, String)> = vec![
        ("empty.v1.count", Vec::new(), "empty file (0 bytes)".into()),
        (
            "foreign.v1.count",
            b"hello, I am a text file\n".to_vec(),
            "not a telemetry counter file (unknown magic bytes)".into(),
        ),
        (
            "future.v1.count",
            future_version(&valid),
            "counter file format version 2, newer than the version 1 this program reads".into(),
        ),
        (
            "truncated.v1.count",
            valid[..100].to_vec(),
            "truncated counter file: its header needs".into(),
        ),
        (
            "zz.v1.count.bad",
            b"\x00\x01\x02".to_vec(),
            "not a telemetry counter file (unknown magic bytes)".into(),
        ),
    ];
    files
        .into_iter()
        .map(|(name, bytes, message)| {
            fs::write(local.join(name), bytes).unwrap();
            (name, message)
        })
        .collect()
}

#[test]
fn show_explains_every_unreadable_file_instead_of_failing() {
    let root = TempDir::new("cli");
    let local = root.local();
    write_kv_file(&local);
    let broken = write_broken_files(&local);
    let out = ok(root.path(), &["show"]);
    for (name, message) in &broken {
        let at = out
            .find(&format!("\n{name}"))
            .unwrap_or_else(|| panic!("{name}:\n{out}"));
        let next = out[at + 1..].lines().nth(1).unwrap();
        assert!(next.starts_with("  unreadable ("), "{name}: {next}");
        assert!(next.contains(message.as_str()), "{name}: {next}");
    }
    assert!(
        out.contains("zz.v1.count.bad  (set aside by a program"),
        "{out}"
    );
    assert!(
        out.contains("  8  kv/command:get"),
        "the good file is still shown"
    );
}

#[test]
fn show_json_is_a_stable_document_of_files_and_errors() {
    let root = TempDir::new("cli");
    let local = root.local();
    write_kv_file(&local);
    fs::write(local.join("x.v1.count"), "").unwrap();
    let out = ok(root.path(), &["show", "--json"]);
    let path = |name: &str| local.join(name).display().to_string();
    assert_eq!(
        out,
        format!(
            r#"[
  {{
    "path": "{}",
    "set_aside": false,
    "program": "kv",
    "version": "0.1.0",
    "toolchain": "1.95.0",
    "os": "linux",
    "arch": "x86_64",
    "begin": "2026-11-19",
    "end": "2026-11-26",
    "counters": [
      {{"name": "kv/command:get", "value": 8}},
      {{"name": "kv/command:set", "value": 4}},
      {{"name": "kv/odd,\"name\"", "value": 2}},
      {{"name": "kvlite/bug/corrupt-record\nkvlite/record/parse\nkv/commands/get", "value": 1}}
    ]
  }},
  {{
    "path": "{}",
    "set_aside": false,
    "error": "empty file (0 bytes)"
  }}
]
"#,
            path(KV_FILE),
            path("x.v1.count")
        )
    );
}

#[test]
fn show_json_of_no_files_is_an_empty_array() {
    let root = TempDir::new("cli");
    assert_eq!(ok(root.path(), &["show", "--json"]), "[]\n");
}

// ---------------------------------------------------------------------------------
// csv
// ---------------------------------------------------------------------------------

#[test]
fn csv_has_one_quoted_row_per_counter() {
    let root = TempDir::new("cli");
    write_kv_file(&root.local());
    let prefix = format!("{KV_FILE},kv,0.1.0,1.95.0,linux,x86_64,2026-11-19,2026-11-26");
    assert_eq!(
        ok(root.path(), &["csv"]),
        format!(
            "file,program,version,toolchain,os,arch,week_begin,week_end,counter,value
{prefix},kv/command:get,8
{prefix},kv/command:set,4
{prefix},\"kv/odd,\"\"name\"\"\",2
{prefix},\"kvlite/bug/corrupt-record\nkvlite/record/parse\nkv/commands/get\",1
"
        )
    );
}

#[test]
fn csv_skips_unreadable_files_with_a_note_on_stderr() {
    let root = TempDir::new("cli");
    let local = root.local();
    write_kv_file(&local);
    let broken = write_broken_files(&local);
    let output = run(root.path(), &["csv"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).matches(KV_FILE).count(), 4);
    let notes = stderr(&output);
    assert_eq!(notes.lines().count(), broken.len(), "{notes}");
    for (name, _) in &broken {
        assert!(
            notes.contains(&format!("telemetry: skipped {name}: ")),
            "{notes}"
        );
    }
}

// ---------------------------------------------------------------------------------
// clean
// ---------------------------------------------------------------------------------

#[test]
fn clean_deletes_exactly_the_data_files() {
    let root = TempDir::new("cli");
    let local = root.local();
    ok(root.path(), &["local"]);
    fs::write(local.join("weekday"), "4\n").unwrap();
    let size = write_kv_file(&local);
    write_broken_files(&local);
    fs::write(local.join("notes.txt"), "mine").unwrap();
    let old_tmp = local.join(".kv.v1.count.1.2.tmp");
    fs::write(&old_tmp, "12345").unwrap();
    fs::File::options()
        .write(true)
        .open(&old_tmp)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    fs::write(local.join(".kv.v1.count.3.4.tmp"), "new").unwrap();

    let out = ok(root.path(), &["clean"]);
    assert_eq!(
        tree(root.path()),
        [
            "default/",
            "default/local/",
            "default/local/.kv.v1.count.3.4.tmp",
            "default/local/notes.txt",
            "default/local/weekday",
            "default/mode",
        ]
    );
    let deleted = 24 + 2 * size + 100 + 3 + 5;
    assert!(
        out.contains(&format!("Deleted 7 files, {deleted} bytes.")),
        "{out}"
    );
    assert!(out.contains(&format!("  {size}  {KV_FILE}\n")), "{out}");
    assert!(
        out.contains("Kept 1 temporary file(s) less than a minute old"),
        "{out}"
    );
    assert!(out.contains("Left 1 other file(s) alone"), "{out}");
    assert!(
        out.contains("Kept the mode file and the weekday file."),
        "{out}"
    );

    let again = ok(root.path(), &["clean"]);
    assert!(again.contains("Nothing to delete"), "{again}");
}

// ---------------------------------------------------------------------------------
// no data, errors, help
// ---------------------------------------------------------------------------------

#[test]
fn a_directory_that_does_not_exist_has_no_data_and_is_not_created() {
    let root = TempDir::new("cli");
    let missing = root.path().join("missing");
    assert!(ok(&missing, &["show"]).starts_with("No data: "));
    assert_eq!(
        ok(&missing, &["csv"]),
        "file,program,version,toolchain,os,arch,week_begin,week_end,counter,value\n"
    );
    assert!(ok(&missing, &["clean"]).starts_with("No data: "));
    assert!(ok(&missing, &["status"]).contains("does not exist: no data"));
    assert!(!missing.exists());
}

/// Exactly one line on stderr, `telemetry: …`, with no sign of a panic.
fn assert_one_error_line(output: &Output) {
    let err = stderr(output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("telemetry: ") && err.ends_with('\n'),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert_eq!(stdout(output), "");
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let root = TempDir::new("cli");
    let cases: [(&[&str], &str); 7] = [
        (&["frobnicate"], "unknown command \"frobnicate\""),
        (&["show", "--verbose"], "unknown flag \"--verbose\""),
        (&["show", "-x"], "unknown flag \"-x\""),
        (&["show", "--namespace"], "--namespace needs a value"),
        (&["show", "extra"], "unexpected argument \"extra\""),
        (&["status", "--json"], "--json is only for `show`"),
        (
            &["on", "--namespace", "Not/Valid"],
            "namespace \"Not/Valid\"",
        ),
    ];
    for (args, message) in cases {
        let output = run(root.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_one_error_line(&output);
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(tree(root.path()), Vec::<String>::new());
}

#[test]
fn an_unreadable_directory_is_an_operational_error() {
    let root = TempDir::new("cli");
    let file = root.path().join("file");
    fs::write(&file, "").unwrap();
    for command in ["status", "show", "csv", "clean"] {
        let output = run(&file, &[command]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert_one_error_line(&output);
        assert!(
            stderr(&output).contains("cannot read directory"),
            "{command}"
        );
    }
}

#[test]
fn help_documents_commands_and_exit_statuses() {
    let root = TempDir::new("cli");
    for args in [&[][..], &["help"], &["--help"], &["-h"]] {
        let out = ok(root.path(), args);
        assert!(out.starts_with("telemetry: choose"), "{args:?}");
        for command in ["on", "off", "local", "status", "show", "csv", "clean"] {
            assert!(out.contains(&format!("  telemetry {command}")), "{command}");
        }
        assert!(out.contains("Exit status: 0 success, 1 the command failed"));
        assert!(out.contains("2 usage error"));
    }
    let out = ok(root.path(), &["show", "--help"]);
    assert!(out.starts_with("Usage: telemetry show [--json]"), "{out}");
    assert_eq!(ok(root.path(), &["help", "show"]), out);
}

#[test]
fn version_prints_the_package_version() {
    let root = TempDir::new("cli");
    assert_eq!(
        ok(root.path(), &["--version"]),
        format!("telemetry {}\n", env!("CARGO_PKG_VERSION"))
    );
}

// ---------------------------------------------------------------------------------
// reports
// ---------------------------------------------------------------------------------

/// A report of week 2026-11-26 with two counters and a chain.
fn a_report() -> telemetry_formats::report::Report {
    let counters = [("kv/command:get", 8), ("kv/command:set", 4)];
    test_support::kv_report("2026-11-26", 0.25, "", &counters, &[(CHAIN, 1)])
}

#[test]
fn reports_lists_each_week_and_prints_them_whole_as_json() {
    let root = TempDir::new("cli");
    let local = root.local();
    let report = a_report();
    let bytes = report.to_json();
    fs::write(local.join("2026-11-26.json"), &bytes).unwrap();
    let out = ok(root.path(), &["reports"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("week"), "{out}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row[..6],
        [
            "2026-11-26",
            "kv",
            "0.1.0",
            "2",
            "1",
            &bytes.len().to_string()
        ]
    );
    let json = ok(root.path(), &["reports", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = telemetry_formats::report::Report::parse(parsed[0].to_string().as_bytes()).unwrap();
    assert_eq!(first, report);
}

#[test]
fn an_unreadable_report_is_named_on_stderr_and_fails_the_command() {
    let root = TempDir::new("cli");
    let local = root.local();
    fs::write(local.join("2026-11-26.json"), b"{\"format\": 9}").unwrap();
    let output = run(root.path(), &["reports"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("report format 9, newer than the format 1"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn clean_deletes_reports_too() {
    let root = TempDir::new("cli");
    let local = root.local();
    fs::write(local.join("2026-11-26.json"), a_report().to_json()).unwrap();
    ok(root.path(), &["clean"]);
    assert!(!local.join("2026-11-26.json").exists());
}
