//! `telemetry manifest`, run for real: on the kv example as built by this workspace
//! (debug, stripped, not executable, truncated, patched), on programs without
//! telemetry, and on ELF, Mach-O, PE and COFF files made here with the records
//! encoded by hand as `docs/MANIFEST.md` describes them.
//!
//! The kv binary is the one `cargo test --workspace` (or `cargo test -p
//! transparent-telemetry-cli -p kv`) builds next to the `telemetry` binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, Object as _, ObjectSection, SectionKind};
use telemetry_cli::manifest::{Manifest, read_binary};
use test_support::TempDir;

/// Files of a test's directory.
trait Files {
    /// Writes `bytes` to the file `name` and returns its path.
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf;
}

impl Files for TempDir {
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }
}

/// The kv example binary of this build (a debug build).
fn kv() -> PathBuf {
    let kv = Path::new(env!("CARGO_BIN_EXE_telemetry"))
        .with_file_name(format!("kv{}", std::env::consts::EXE_SUFFIX));
    assert!(
        kv.is_file(),
        "{} is missing: build it first with `cargo build -p kv` (`cargo test --workspace` \
         and `cargo test -p transparent-telemetry-cli -p kv` do)",
        kv.display()
    );
    kv
}

/// Runs `telemetry ARGS`.
fn telemetry(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs `telemetry manifest PATH EXTRA…`, expects exit status 0 and nothing on
/// stderr, and returns stdout.
fn manifest_ok(path: &Path, extra: &[&str]) -> String {
    let mut args = vec![Path::new("manifest"), path];
    args.extend(extra.iter().map(Path::new));
    let output = telemetry(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{path:?} {extra:?}: {}",
        stderr(&output)
    );
    assert_eq!(stderr(&output), "", "{path:?} {extra:?}");
    stdout(&output)
}

/// Runs `telemetry manifest PATH EXTRA…` and expects `status`, nothing on stdout
/// unless it is 1, and a `telemetry: ` message without a panic on stderr unless it
/// is 0 or 1. Returns the output.
fn manifest_fails(path: &Path, extra: &[&str], status: i32) -> Output {
    let mut args = vec![Path::new("manifest"), path];
    args.extend(extra.iter().map(Path::new));
    let output = telemetry(&args);
    assert_eq!(
        output.status.code(),
        Some(status),
        "{path:?} {extra:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    if status != 1 {
        assert_eq!(stdout(&output), "", "{path:?}");
        let err = stderr(&output);
        assert!(err.starts_with("telemetry: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    output
}

// ---------------------------------------------------------------------------------
// records and object files made by hand
// ---------------------------------------------------------------------------------

/// A record of format `version`, as `docs/MANIFEST.md` lays it out, from its strings
/// (a counter's name first): a counter's name comes first in version 1, and last,
/// after the list, from version 2 on; a program's strings stay in order.
fn record_of(
    version: u16,
    kind: u16,
    (line, arg, origin): (u32, u32, u8),
    strings: &[&str],
    list: &[u8],
) -> Vec<u8> {
    let string = |body: &mut Vec<u8>, text: &str| {
        body.extend_from_slice(&(text.len() as u32).to_le_bytes());
        body.extend_from_slice(text.as_bytes());
    };
    let name_last = version >= 2 && kind != 16;
    let mut body = Vec::new();
    let skip = usize::from(name_last);
    for text in &strings[skip..] {
        string(&mut body, text);
    }
    body.extend_from_slice(list);
    if name_last {
        string(&mut body, strings[0]);
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"TTMR");
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(24 + body.len() as u32).to_le_bytes());
    out.extend_from_slice(&line.to_le_bytes());
    out.extend_from_slice(&arg.to_le_bytes());
    out.extend_from_slice(&[origin, 0, 0, 0]);
    out.extend_from_slice(&body);
    out
}

/// A record of the format the macros write now, version 2: a counter's strings are its
/// name, description, crate, file, unit and expiry ("" for none).
fn record(kind: u16, line: u32, arg: u32, origin: u8, strings: &[&str], list: &[u8]) -> Vec<u8> {
    record_of(2, kind, (line, arg, origin), strings, list)
}

/// A basic counter's record, its name written by the author.
fn basic(name: &str, file: &str, line: u32) -> Vec<u8> {
    let description = format!("Counts {name}");
    let strings = [name, &description, "app", file, "", ""];
    record(0, line, 0, 1, &strings, &0u32.to_le_bytes())
}

/// A stack counter's record.
fn stack(name: &str, file: &str, line: u32, depth: u32) -> Vec<u8> {
    let strings = [name, "", "app", file, "", ""];
    record(1, line, depth, 1, &strings, &0u32.to_le_bytes())
}

/// A histogram bucket's record.
fn bucket(name: &str, index: u32, bounds: &[u64]) -> Vec<u8> {
    let mut list = (bounds.len() as u32).to_le_bytes().to_vec();
    for bound in bounds {
        list.extend_from_slice(&bound.to_le_bytes());
    }
    let strings = [name, "Latency", "app", "src/main.rs", "ms", ""];
    record(2, 7, index, 1, &strings, &list)
}

/// The program's record.
fn program(name: &str, version: &str) -> Vec<u8> {
    record(16, 0, 0, 2, &[name, version], &0u32.to_le_bytes())
}

/// Records one after another, with zero bytes between them as a linker may leave.
fn section(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in records {
        out.extend_from_slice(record);
        out.extend_from_slice(&[0, 0, 0]);
    }
    out
}

/// An object file of `format` for `arch` holding `data` in section `name` of
/// `segment` (Mach-O only).
fn object_file(
    format: BinaryFormat,
    arch: Architecture,
    segment: &str,
    name: &str,
    data: &[u8],
) -> Vec<u8> {
    let mut object = Object::new(format, arch, Endianness::Little);
    let id = object.add_section(
        segment.as_bytes().to_vec(),
        name.as_bytes().to_vec(),
        SectionKind::ReadOnlyData,
    );
    object.append_section_data(id, data, 1);
    object.write().unwrap()
}

fn elf(data: &[u8]) -> Vec<u8> {
    object_file(
        BinaryFormat::Elf,
        Architecture::X86_64,
        "",
        "telemetry_manifest",
        data,
    )
}

fn macho(arch: Architecture, data: &[u8]) -> Vec<u8> {
    object_file(BinaryFormat::MachO, arch, "__DATA", "__tmanifest", data)
}

/// A Mach-O universal binary of `slices`, each `(CPU type, Mach-O file)`.
fn universal(slices: &[(u32, Vec<u8>)]) -> Vec<u8> {
    const ALIGN: usize = 1 << 12;
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    let mut offset = ALIGN;
    for (cpu, data) in slices {
        for field in [*cpu, 0, offset as u32, data.len() as u32, 12] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        offset += data.len().div_ceil(ALIGN) * ALIGN;
    }
    for (_, data) in slices {
        out.resize(out.len().div_ceil(ALIGN) * ALIGN, 0);
        out.extend_from_slice(data);
    }
    out
}

/// A PE image (x86-64) whose only section is `.tmanif`, holding `data`.
fn pe_image(data: &[u8]) -> Vec<u8> {
    use object::pe;
    use object::write::pe::{NtHeaders, Writer};
    let mut out = Vec::new();
    let mut writer = Writer::new(true, 0x1000, 0x200, &mut out);
    writer.reserve_dos_header_and_stub();
    writer.reserve_nt_headers(pe::IMAGE_NUMBEROF_DIRECTORY_ENTRIES);
    writer.reserve_section_headers(1);
    let len = data.len() as u32;
    let range = writer.reserve_section(
        *b".tmanif\0",
        pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ,
        len,
        len,
    );
    writer.write_dos_header_and_stub().unwrap();
    writer.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE,
        major_linker_version: 14,
        minor_linker_version: 0,
        address_of_entry_point: 0,
        image_base: 0x1_4000_0000,
        major_operating_system_version: 6,
        minor_operating_system_version: 0,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 6,
        minor_subsystem_version: 0,
        subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
        dll_characteristics: pe::IMAGE_DLLCHARACTERISTICS_NX_COMPAT,
        size_of_stack_reserve: 0x10_0000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x10_0000,
        size_of_heap_commit: 0x1000,
    });
    writer.write_section_headers();
    writer.write_section(range.file_offset, data);
    out
}

/// The records of a small program: a counter, a stack counter, a histogram's two
/// buckets and the program's name and version.
fn small_program() -> Vec<u8> {
    section(&[
        basic("app/open", "src/main.rs", 3),
        stack("app/bug", "src/lib.rs", 9, 4),
        bucket("app/latency:<5ms", 0, &[5]),
        bucket("app/latency:>=5ms", 1, &[5]),
        program("app", "1.2.3"),
    ])
}

/// What `telemetry manifest` prints for [`small_program`].
fn small_program_json() -> String {
    let manifest = Manifest::from_records(
        telemetry_formats::manifest::record::decode_all(&small_program()).unwrap(),
    );
    assert_eq!(manifest.counters.len(), 4);
    manifest.to_json()
}

// ---------------------------------------------------------------------------------
// the kv example
// ---------------------------------------------------------------------------------

#[test]
fn the_kv_binary_lists_every_counter_of_both_crates_sorted() {
    let json = manifest_ok(&kv(), &[]);
    assert!(
        json.starts_with(
            "{\n  \"manifest_format\": 1,\n  \"program\": { \"name\": \"kv\", \"version\": \""
        ),
        "{json}"
    );
    for expected in [
        // Never called by kv, but declared by a library it links.
        "\"name\": \"kvlite/store/Store/verify\",\n      \"kind\": \"basic\",",
        "\"name\": \"kvlite/cache:hit\",\n      \"kind\": \"label\",",
        "\"crate\": \"kvlite\",",
        "\"name\": \"kv/command-latency:<1ms\",\n      \"kind\": \"bucket\",\n      \"bounds\": [1, 5, 20, 100, 500],\n      \"unit\": \"ms\",",
        "\"name_derived\": true",
        // `#[counted(expires = "2027-06-30")]`.
        "\"name\": \"kv/commands/import\",\n      \"kind\": \"basic\",\n      \"expires\": \"2027-06-30\",",
    ] {
        assert!(json.contains(expected), "{expected} not in\n{json}");
    }
    let names: Vec<&str> = json
        .lines()
        .filter_map(|l| l.strip_prefix("      \"name\": \"")?.strip_suffix("\","))
        .collect();
    // By name, a histogram's buckets by bound.
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| telemetry_rules::bucket::cmp_names(a, b));
    assert_eq!(names, sorted);
    let at = |name: &str| names.iter().position(|n| *n == name);
    assert!(at("kv/command-latency:<5ms") < at("kv/command-latency:<100ms"));
    assert!(at("kv/command-latency:<500ms") < at("kv/command-latency:>=500ms"));
    // The library reads the same.
    assert_eq!(read_binary(&kv()).unwrap().to_json(), json);
}

#[test]
fn a_stripped_copy_has_the_same_manifest() {
    let dir = TempDir::new("manifest");
    let copy = dir.join("kv-stripped");
    fs::copy(kv(), &copy).unwrap();
    let status = Command::new("strip")
        .arg(&copy)
        .status()
        .unwrap_or_else(|e| panic!("`strip` (binutils) is needed by this test: {e}"));
    assert!(status.success());
    let data = fs::read(&copy).unwrap();
    let stripped = object::File::parse(&*data).unwrap();
    assert!(stripped.symbols().next().is_none(), "strip left symbols");
    assert!(data.len() < fs::metadata(kv()).unwrap().len() as usize);
    assert_eq!(manifest_ok(&copy, &[]), manifest_ok(&kv(), &[]));
}

#[cfg(unix)]
#[test]
fn a_copy_that_is_not_executable_has_the_same_manifest() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("manifest");
    let copy = dir.join("kv-not-executable");
    fs::copy(kv(), &copy).unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(manifest_ok(&copy, &[]), manifest_ok(&kv(), &[]));
}

#[test]
fn markdown_is_a_table_with_one_row_per_counter() {
    let md = manifest_ok(&kv(), &["--format", "md"]);
    assert!(md.starts_with("# Counters of kv "), "{md}");
    assert!(
        md.contains("| Counter | Kind | Description | Declared in |\n| --- | --- | --- | --- |\n"),
        "{md}"
    );
    assert!(
        md.contains("\n| `kvlite/store/Store/verify` | basic | "),
        "{md}"
    );
    let json = manifest_ok(&kv(), &["--format=json"]);
    let rows = md.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, json.matches("\"name_derived\"").count());
}

// ---------------------------------------------------------------------------------
// --check
// ---------------------------------------------------------------------------------

#[test]
fn check_finds_a_fresh_manifest_up_to_date() {
    let dir = TempDir::new("manifest");
    let committed = dir.file("kv-manifest.json", manifest_ok(&kv(), &[]).as_bytes());
    let out = manifest_ok(&kv(), &["--check", committed.to_str().unwrap()]);
    assert!(out.contains("is up to date"), "{out}");
}

#[test]
fn check_names_the_counter_added_since_the_file_was_written() {
    let dir = TempDir::new("manifest");
    let mut older = read_binary(&kv()).unwrap();
    let at = older
        .counters
        .iter()
        .position(|c| c.name == "kvlite/store/Store/verify")
        .unwrap();
    older.counters.remove(at);
    let committed = dir.file("kv-manifest.json", older.to_json().as_bytes());
    let output = manifest_fails(&kv(), &["--check", committed.to_str().unwrap()], 1);
    let out = stdout(&output);
    assert!(
        out.contains("is stale: 1 counter added, 0 removed, 0 changed\n"),
        "{out}"
    );
    assert!(
        out.contains("\n  added    kvlite/store/Store/verify (basic, kvlite src/store.rs:"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Regenerate it with:\n  telemetry manifest {} > {}\n",
            kv().display(),
            committed.display()
        )),
        "{out}"
    );
    assert_eq!(stderr(&output), "");
}

#[test]
fn check_names_the_field_that_changed() {
    let dir = TempDir::new("manifest");
    let mut older = read_binary(&kv()).unwrap();
    let counter = older
        .counters
        .iter_mut()
        .find(|c| c.name == "kvlite/cache:hit")
        .unwrap();
    counter.description = "An older description".to_string();
    counter.line += 2;
    older.program = Some(("kv".to_string(), "0.0.1".to_string()));
    let committed = dir.file("kv-manifest.json", older.to_json().as_bytes());
    let out = stdout(&manifest_fails(
        &kv(),
        &["--check", committed.to_str().unwrap()],
        1,
    ));
    assert!(
        out.contains("0 counters added, 0 removed, 1 changed, and the program\n"),
        "{out}"
    );
    assert!(
        out.contains("\n  changed  kvlite/cache:hit: description \"An older description\" -> \""),
        "{out}"
    );
    assert!(out.contains("; line "), "{out}");
    assert!(out.contains("\n  program  kv 0.0.1 -> kv "), "{out}");
}

#[test]
fn check_refuses_a_file_that_is_not_a_manifest() {
    let dir = TempDir::new("manifest");
    let not_json = dir.file("notes.json", b"[1, 2");
    let err = stderr(&manifest_fails(
        &kv(),
        &["--check", not_json.to_str().unwrap()],
        3,
    ));
    assert!(err.contains("is not a manifest written by `telemetry manifest`: it is not JSON"));
    let newer = manifest_ok(&kv(), &[]).replace("\"manifest_format\": 1", "\"manifest_format\": 2");
    let newer = dir.file("newer.json", newer.as_bytes());
    let err = stderr(&manifest_fails(
        &kv(),
        &["--check", newer.to_str().unwrap()],
        3,
    ));
    assert!(err.contains("its manifest_format is 2"), "{err}");
    let missing = dir.join("missing.json");
    let err = stderr(&manifest_fails(
        &kv(),
        &["--check", missing.to_str().unwrap()],
        3,
    ));
    assert!(err.contains("cannot read "), "{err}");
}

// ---------------------------------------------------------------------------------
// files that are not what they should be
// ---------------------------------------------------------------------------------

#[test]
fn a_text_file_or_a_missing_file_is_exit_3() {
    let dir = TempDir::new("manifest");
    let text = dir.file("notes.txt", b"These are notes, not a program.\n");
    let err = stderr(&manifest_fails(&text, &[], 3));
    assert!(
        err.contains("is not an executable: it is neither ELF, Mach-O nor PE"),
        "{err}"
    );
    let err = stderr(&manifest_fails(&dir.join("missing"), &[], 3));
    assert!(err.contains("cannot read "), "{err}");
}

#[test]
fn a_truncated_copy_of_kv_is_exit_3() {
    let dir = TempDir::new("manifest");
    let data = fs::read(kv()).unwrap();
    let cut = dir.file("kv-cut", &data[..10 * 1024]);
    let err = stderr(&manifest_fails(&cut, &[], 3));
    assert!(
        err.contains("is truncated or damaged: its ELF headers"),
        "{err}"
    );
}

#[test]
fn truncated_mach_o_and_pe_files_are_exit_3() {
    // Their headers come first, so only the section's place tells they are cut.
    let dir = TempDir::new("manifest");
    for (name, data) in [
        ("app.o", macho(Architecture::Aarch64, &small_program())),
        ("app.exe", pe_image(&small_program())),
    ] {
        let (offset, _) = {
            let file = object::File::parse(&*data).unwrap();
            let section = file
                .sections()
                .find(|s| s.name().is_ok_and(|n| n == "__tmanifest" || n == ".tmanif"))
                .unwrap();
            section.file_range().unwrap()
        };
        let cut = dir.file(name, &data[..offset as usize + 10]);
        let err = stderr(&manifest_fails(&cut, &[], 3));
        assert!(
            err.contains("is truncated or damaged: its section "),
            "{err}"
        );
        assert!(err.contains("but the file has "), "{err}");
    }
}

#[test]
fn a_program_without_telemetry_is_exit_4() {
    let program = ["/bin/true", "/usr/bin/true", "/usr/bin/env"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .expect("one of /bin/true, /usr/bin/true, /usr/bin/env exists");
    let err = stderr(&manifest_fails(program, &[], 4));
    assert!(
        err.contains("has no counter registry: it does not use telemetry"),
        "{err}"
    );
}

#[test]
fn a_registry_with_no_counter_is_exit_4() {
    let dir = TempDir::new("manifest");
    let only_program = dir.file("app.o", &elf(&section(&[program("app", "1.0.0")])));
    let err = stderr(&manifest_fails(&only_program, &[], 4));
    assert!(
        err.contains("(app 1.0.0) has no counter in its registry"),
        "{err}"
    );
    let empty = dir.file("empty.o", &elf(&[]));
    manifest_fails(&empty, &[], 4);
}

#[test]
fn a_newer_record_format_is_exit_5() {
    let dir = TempDir::new("manifest");
    let mut data = fs::read(kv()).unwrap();
    let start = {
        let file = object::File::parse(&*data).unwrap();
        let section = file.section_by_name("telemetry_manifest").unwrap();
        let (offset, size) = section.file_range().unwrap();
        let bytes = &data[offset as usize..(offset + size) as usize];
        offset as usize + bytes.iter().position(|&b| b != 0).unwrap()
    };
    assert_eq!(&data[start..start + 4], b"TTMR");
    data[start + 4..start + 6].copy_from_slice(&3u16.to_le_bytes());
    let patched = dir.file("kv-newer", &data);
    let err = stderr(&manifest_fails(&patched, &[], 5));
    assert!(
        err.contains("written in manifest record format 3, newer than the format 2"),
        "{err}"
    );
}

#[test]
fn expiries_are_listed_and_version_1_records_still_read() {
    let dir = TempDir::new("manifest");
    let no_list = 0u32.to_le_bytes();
    let records = section(&[
        // As telemetry 0.1's macros wrote them: no expiry field.
        record_of(
            1,
            0,
            (3, 0, 1),
            &["app/old", "", "app", "src/a.rs", ""],
            &no_list,
        ),
        record(
            0,
            4,
            0,
            1,
            &["app/until", "", "app", "src/a.rs", "", "2027-06-30"],
            &no_list,
        ),
        record(
            1,
            5,
            8,
            1,
            &["app/bug", "", "app", "src/a.rs", "", "2026-01-31"],
            &no_list,
        ),
        program("app", "1.2.3"),
    ]);
    let path = dir.file("app.o", &elf(&records));
    let json = manifest_ok(&path, &[]);
    let manifest = Manifest::parse_json(&json).unwrap();
    let expiries: Vec<(&str, Option<&str>)> = manifest
        .counters
        .iter()
        .map(|c| (c.name.as_str(), c.expires.as_deref()))
        .collect();
    assert_eq!(
        expiries,
        [
            ("app/bug", Some("2026-01-31")),
            ("app/old", None),
            ("app/until", Some("2027-06-30"))
        ]
    );
    assert!(
        json.contains(
            "\"kind\": \"stack\",\n      \"depth\": 8,\n      \"expires\": \"2026-01-31\",\n"
        ),
        "{json}"
    );
    let table = manifest_ok(&path, &["--format", "md"]);
    assert!(
        table.contains("| `app/until` | basic, expires 2027-06-30 |"),
        "{table}"
    );
    // A version 2 record with a date that is not one is damaged.
    let bad = section(&[record(
        0,
        4,
        0,
        1,
        &["app/until", "", "app", "src/a.rs", "", "2027-02-30"],
        &no_list,
    )]);
    let err = stderr(&manifest_fails(&dir.file("bad.o", &elf(&bad)), &[], 3));
    assert!(
        err.contains("\"2027-02-30\" is not a YYYY-MM-DD date"),
        "{err}"
    );
}

#[test]
fn damaged_records_are_exit_3() {
    let dir = TempDir::new("manifest");
    let mut records = small_program();
    records.truncate(records.len() - 10);
    let damaged = dir.file("app.o", &elf(&records));
    let err = stderr(&manifest_fails(&damaged, &[], 3));
    assert!(err.contains("malformed counter registry at byte "), "{err}");
}

#[test]
fn conflicting_declarations_are_exit_6_with_every_site() {
    let dir = TempDir::new("manifest");
    let records = section(&[
        basic("app/x", "src/a.rs", 3),
        stack("app/x", "src/b.rs", 9, 4),
        basic("app/fine", "src/a.rs", 5),
    ]);
    let conflicting = dir.file("app.o", &elf(&records));
    let err = stderr(&manifest_fails(&conflicting, &[], 6));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "telemetry: {} declares 1 counter name in ways that cannot share one counter:",
                conflicting.display()
            )
            .as_str(),
            "counter `app/x` is declared by conflicting sites:",
            "  app src/a.rs:3 (basic)",
            "  app src/b.rs:9 (stack, depth 4)",
        ],
        "{err}"
    );
}

// ---------------------------------------------------------------------------------
// every object format
// ---------------------------------------------------------------------------------

#[test]
fn elf_mach_o_pe_and_coff_files_are_all_read() {
    let dir = TempDir::new("manifest");
    let expected = small_program_json();
    let records = small_program();
    for (name, data) in [
        ("app-elf.o", elf(&records)),
        ("app-macho.o", macho(Architecture::Aarch64, &records)),
        ("app-macho-x86.o", macho(Architecture::X86_64, &records)),
        ("app.exe", pe_image(&records)),
        (
            "app-coff.obj",
            object_file(
                BinaryFormat::Coff,
                Architecture::X86_64,
                "",
                ".tmanif",
                &records,
            ),
        ),
    ] {
        let path = dir.file(name, &data);
        assert_eq!(manifest_ok(&path, &[]), expected, "{name}");
    }
}

#[test]
fn a_section_of_the_wrong_format_is_not_the_registry() {
    let dir = TempDir::new("manifest");
    let records = small_program();
    for (name, data) in [
        // The PE name in an ELF file and in a Mach-O file, the Mach-O name in another
        // segment.
        (
            "elf.o",
            object_file(
                BinaryFormat::Elf,
                Architecture::X86_64,
                "",
                ".tmanif",
                &records,
            ),
        ),
        (
            "macho.o",
            object_file(
                BinaryFormat::MachO,
                Architecture::X86_64,
                "__DATA",
                ".tmanif",
                &records,
            ),
        ),
        (
            "text.o",
            object_file(
                BinaryFormat::MachO,
                Architecture::X86_64,
                "__TEXT",
                "__tmanifest",
                &records,
            ),
        ),
    ] {
        manifest_fails(&dir.file(name, &data), &[], 4);
    }
}

#[test]
fn a_universal_binary_lists_the_counters_of_every_architecture() {
    const CPU_TYPE_X86_64: u32 = 0x0100_0007;
    const CPU_TYPE_ARM64: u32 = 0x0100_000c;
    let dir = TempDir::new("manifest");
    let x86 = section(&[
        basic("app/open", "src/main.rs", 3),
        basic("app/x86-only", "src/simd.rs", 4),
        program("app", "1.2.3"),
    ]);
    let arm = section(&[
        basic("app/open", "src/main.rs", 3),
        basic("app/arm-only", "src/simd.rs", 8),
        program("app", "1.2.3"),
    ]);
    let fat = universal(&[
        (CPU_TYPE_X86_64, macho(Architecture::X86_64, &x86)),
        (CPU_TYPE_ARM64, macho(Architecture::Aarch64, &arm)),
    ]);
    let path = dir.file("app-universal", &fat);
    let manifest = read_binary(&path).unwrap();
    let names: Vec<&str> = manifest.counters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["app/arm-only", "app/open", "app/x86-only"]);
    assert_eq!(manifest_ok(&path, &[]), manifest.to_json());
    let cut = dir.file("app-universal-cut", &fat[..fat.len() - 100]);
    let err = stderr(&manifest_fails(&cut, &[], 3));
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn usage_mistakes_are_exit_2() {
    for args in [
        &["manifest"][..],
        &["manifest", "a", "b"],
        &["manifest", "a", "--format", "xml"],
        &["manifest", "a", "--format", "md", "--check", "f.json"],
    ] {
        let args: Vec<&Path> = args.iter().map(Path::new).collect();
        let output = telemetry(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
}

#[test]
fn help_documents_the_manifest_exit_statuses() {
    let out = stdout(&telemetry(&[Path::new("help"), Path::new("manifest")]));
    assert!(
        out.starts_with("Usage: telemetry manifest BINARY [--format json|md] [--check FILE]\n"),
        "{out}"
    );
    for status in [
        "0 printed",
        "1 FILE is stale",
        "2 usage",
        "3 BINARY",
        "4 BINARY",
        "5 its",
        "6 it",
    ] {
        assert!(out.contains(status), "{status} in {out}");
    }
}
