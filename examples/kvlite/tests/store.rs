//! The store end to end, in real directories: persistence, the cache, corruption,
//! compaction, and exactly what each is counted as.

use std::fs;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use kvlite::{DATA_FILE, Error, Store, VerifyReport};
use test_support::TempDir;

/// A fresh directory for one test, removed when the test ends, holding the store.
struct StoreDir(TempDir);

impl StoreDir {
    fn new(test: &str) -> StoreDir {
        StoreDir(TempDir::new(&format!("kvlite-{test}")))
    }

    fn data_file(&self) -> PathBuf {
        self.0.join(DATA_FILE)
    }
}

/// Every test holds this lock: counters are process-wide, so tests that compare
/// counter values must not run beside tests that change them.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn value(name: &str) -> u64 {
    telemetry::registry()
        .get(name)
        .unwrap_or_else(|| panic!("`{name}` is not in the registry"))
        .get()
}

/// Flips one bit of the value of the last record in the data file.
fn corrupt_last_record(dir: &StoreDir) {
    let path = dir.data_file();
    let mut bytes = fs::read(&path).unwrap();
    let last_tab = bytes.iter().rposition(|&b| b == b'\t').unwrap();
    bytes[last_tab - 1] ^= 1;
    fs::write(&path, bytes).unwrap();
}

/// Reads a key the way an application would: the frame the corrupt-record chain ends at.
#[telemetry::counted]
fn read_after_corruption(store: &mut Store, key: &str) -> Option<String> {
    store.get(key).unwrap()
}

#[test]
fn values_survive_reopening_the_store() {
    let _serial = serial();
    let dir = StoreDir::new("reopen");
    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("alpha", "1").unwrap();
    store.set("beta", "two\twords\nand a line").unwrap();
    store.set("alpha", "3").unwrap();
    drop(store);

    let mut store = Store::open(dir.0.path()).unwrap();
    assert_eq!(store.get("alpha").unwrap().as_deref(), Some("3"));
    assert_eq!(
        store.get("beta").unwrap().as_deref(),
        Some("two\twords\nand a line")
    );
    assert_eq!(store.len(), 2);
    assert_eq!(
        fs::read_to_string(dir.data_file()).unwrap().lines().count(),
        3
    );
}

#[test]
fn the_first_read_misses_the_cache_and_the_next_hits_until_the_key_is_set_again() {
    let _serial = serial();
    let dir = StoreDir::new("cache");
    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("k", "1").unwrap();
    let (hits, misses) = (value("kvlite/cache:hit"), value("kvlite/cache:miss"));

    assert_eq!(store.get("k").unwrap().as_deref(), Some("1"));
    assert_eq!(store.get("k").unwrap().as_deref(), Some("1"));
    assert_eq!(store.get("k").unwrap().as_deref(), Some("1"));
    store.set("k", "2").unwrap();
    assert_eq!(store.get("k").unwrap().as_deref(), Some("2"));
    assert_eq!(store.get("absent").unwrap(), None);

    assert_eq!(value("kvlite/cache:hit") - hits, 2);
    assert_eq!(value("kvlite/cache:miss") - misses, 3);
}

#[test]
fn bytes_written_counts_every_byte_appended() {
    let _serial = serial();
    let dir = StoreDir::new("bytes");
    let before = value("kvlite/store/bytes-written");
    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("alpha", "1").unwrap();
    assert!(store.delete("alpha").unwrap());
    assert!(
        !store.delete("alpha").unwrap(),
        "deleting an absent key writes nothing"
    );

    let size = fs::metadata(dir.data_file()).unwrap().len();
    assert_eq!(size, "set\talpha\t1\t00791e44\n".len() as u64 + 19);
    assert_eq!(value("kvlite/store/bytes-written") - before, size);
}

#[test]
fn a_corrupt_newest_record_is_skipped_and_the_one_before_it_decides() {
    let _serial = serial();
    let dir = StoreDir::new("fallback");
    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("delta", "4").unwrap();
    store.set("delta", "40").unwrap();
    corrupt_last_record(&dir);

    assert_eq!(
        read_after_corruption(&mut store, "delta").as_deref(),
        Some("4")
    );
    assert_eq!(store.corrupt_lines_seen(), 1);
    let stack = telemetry::stack_counter!("kvlite/bug/corrupt-record", depth = 8);
    let chains: Vec<(&str, u64)> = stack
        .chains()
        .filter(|chain| chain.name().ends_with("/read-after-corruption"))
        .map(|chain| (chain.name(), chain.get()))
        .collect();
    assert_eq!(
        chains,
        [(
            "kvlite/bug/corrupt-record\nkvlite/record/parse\nkvlite/store/Store/get\nstore/read-after-corruption",
            1
        )]
    );

    let reopened = Store::open(dir.0.path()).unwrap();
    assert_eq!(reopened.corrupt_lines_seen(), 1);
    assert_eq!(reopened.len(), 1);
}

#[test]
fn an_append_after_a_torn_last_line_starts_a_line_of_its_own() {
    let _serial = serial();
    let dir = StoreDir::new("torn");
    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("a", "1").unwrap();
    drop(store);
    let mut bytes = fs::read(dir.data_file()).unwrap();
    bytes.extend_from_slice(b"set\tb\t2\t1f"); // a crash in the middle of a write
    fs::write(dir.data_file(), bytes).unwrap();

    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("c", "3").unwrap();
    drop(store);

    let mut store = Store::open(dir.0.path()).unwrap();
    assert_eq!(store.corrupt_lines_seen(), 1);
    let all = store.list().unwrap();
    assert_eq!(all, [("a".into(), "1".into()), ("c".into(), "3".into())]);
}

#[test]
fn compaction_keeps_one_record_per_live_key_and_drops_corrupt_lines() {
    let _serial = serial();
    let dir = StoreDir::new("compact");
    let mut store = Store::open(dir.0.path()).unwrap();
    for (key, value) in [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")] {
        store.set(key, value).unwrap();
    }
    assert!(store.delete("b").unwrap());
    store.set("d", "5").unwrap();
    corrupt_last_record(&dir);

    let stats = store.compact().unwrap();

    assert_eq!(stats.lines_before, 6);
    assert_eq!(stats.records_after, 2);
    assert_eq!(stats.corrupt_dropped, 1);
    assert_eq!(
        stats.bytes_after,
        fs::metadata(dir.data_file()).unwrap().len()
    );
    assert_eq!(store.get("a").unwrap().as_deref(), Some("3"));
    assert_eq!(store.get("d").unwrap(), None);
    store.set("e", "6").unwrap();
    let reopened = Store::open(dir.0.path()).unwrap();
    assert_eq!((reopened.len(), reopened.corrupt_lines_seen()), (3, 0));
}

#[test]
fn verify_reports_corrupt_lines_and_changes_nothing() {
    let _serial = serial();
    let dir = StoreDir::new("verify");
    let mut store = Store::open(dir.0.path()).unwrap();
    store.set("a", "1").unwrap();
    store.set("b", "2").unwrap();
    corrupt_last_record(&dir);
    let before = fs::read(dir.data_file()).unwrap();

    let report = store.verify().unwrap();

    let expected = VerifyReport {
        records: 1,
        corrupt: 1,
        torn_tail: false,
    };
    assert_eq!(report, expected);
    assert_eq!(fs::read(dir.data_file()).unwrap(), before);
}

#[test]
fn an_empty_key_is_refused() {
    let _serial = serial();
    let dir = StoreDir::new("empty-key");
    let mut store = Store::open(dir.0.path()).unwrap();
    assert!(matches!(store.set("", "x"), Err(Error::EmptyKey)));
    assert_eq!(store.get("").unwrap(), None);
}

#[test]
fn an_unusable_directory_is_an_error_naming_the_path() {
    let _serial = serial();
    let dir = StoreDir::new("not-a-dir");
    let path = dir.0.join("store");
    fs::write(&path, "a file, not a directory").unwrap();
    let error = Store::open(&path).unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("cannot "), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
}
