//! The store: an append-only data file, an index of it, and a cache in front.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::cache::{CACHE_CAPACITY, Cache};
use crate::index::{Index, Op};
use crate::record::{self, Record};
use crate::scan::{self, Span};
use crate::{Error, Result};

/// The name of the data file inside a store's directory.
pub const DATA_FILE: &str = "data.kv";

/// A persistent key-value store kept in one directory.
///
/// Writes append one line to the data file; reads find the key's newest record through
/// an in-memory index and keep the value in a small cache. [`compact`](Store::compact)
/// rewrites the file with only the live records. One process at a time may use a
/// directory: there is no locking.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    /// The data file, opened for reading and appending.
    file: File,
    /// The data file's length as this store last knew it.
    len: u64,
    /// The file ends in a line cut short: the next append starts a new line first.
    torn_tail: bool,
    index: Index,
    cache: Cache,
    corrupt_seen: u64,
}

/// What [`Store::compact`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactStats {
    /// Lines in the data file before, corrupt ones included.
    pub lines_before: u64,
    /// Records in the data file after: one per live key.
    pub records_after: u64,
    /// Corrupt lines dropped.
    pub corrupt_dropped: u64,
    /// Size of the data file before, in bytes.
    pub bytes_before: u64,
    /// Size of the data file after, in bytes.
    pub bytes_after: u64,
}

/// What [`Store::verify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Lines that are valid records.
    pub records: u64,
    /// Lines that failed their checksum or are not records.
    pub corrupt: u64,
    /// The last line was cut short (it is also counted in `corrupt`).
    pub torn_tail: bool,
}

impl Store {
    /// Opens the store kept in `dir`, creating the directory and its data file if needed.
    ///
    /// Reads the data file once to index every key's records; corrupt lines are skipped.
    #[telemetry::counted]
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
        let path = dir.join(DATA_FILE);
        let file = open_data_file(&path)?;
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        let (index, corrupt_seen) = Index::build(&bytes);
        Ok(Store {
            file,
            len: bytes.len() as u64,
            torn_tail: scan::has_torn_tail(&bytes),
            index,
            cache: Cache::new(CACHE_CAPACITY),
            corrupt_seen,
            path,
        })
    }

    /// Returns the value of `key`: from the cache, or else from the data file.
    ///
    /// When the key's newest record is corrupt, it is skipped and the record before it
    /// decides, as if the corrupt one had never been written.
    #[telemetry::counted]
    pub fn get(&mut self, key: &str) -> Result<Option<String>> {
        if let Some(value) = self.cache.get(key) {
            return Ok(Some(value));
        }
        while let Some(entry) = self.index.latest(key) {
            let line = self.read_line(entry.span)?;
            match record::parse(&line) {
                Ok(Record::Set { key: found, value }) if found == key => {
                    self.cache.insert(key, value.clone());
                    return Ok(Some(value));
                }
                Ok(Record::Delete { key: found }) if found == key => return Ok(None),
                Ok(_) => {}
                Err(_) => self.corrupt_seen += 1,
            }
            self.index.forget_latest(key);
        }
        Ok(None)
    }

    /// Sets `key` to `value` by appending one record to the data file.
    #[telemetry::counted]
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        let record = Record::Set {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        self.append(&record, Op::Set)?;
        self.cache.remove(key);
        Ok(())
    }

    /// Deletes `key` by appending a deletion record; returns false, writing nothing,
    /// when the key has no value.
    #[telemetry::counted]
    pub fn delete(&mut self, key: &str) -> Result<bool> {
        if !self.index.is_live(key) {
            return Ok(false);
        }
        self.append(
            &Record::Delete {
                key: key.to_owned(),
            },
            Op::Delete,
        )?;
        self.cache.remove(key);
        Ok(true)
    }

    /// Lists every key with a value, sorted by key, as the data file holds them now.
    #[telemetry::counted]
    pub fn list(&mut self) -> Result<Vec<(String, String)>> {
        let bytes = self.read_all()?;
        let replay = scan::replay(&bytes);
        self.corrupt_seen += replay.corrupt;
        Ok(replay.values.into_iter().collect())
    }

    /// Rewrites the data file with one record per live key, dropping overwritten,
    /// deleted and corrupt records.
    ///
    /// The new file is written beside the old one, synced, then renamed over it, so a
    /// crash leaves one complete file or the other.
    #[telemetry::counted]
    pub fn compact(&mut self) -> Result<CompactStats> {
        let bytes = self.read_all()?;
        let replay = scan::replay(&bytes);
        let mut out = Vec::with_capacity(bytes.len());
        let mut index = Index::default();
        for (key, value) in replay.values {
            let line = Record::Set {
                key: key.clone(),
                value,
            }
            .encode();
            let span = Span {
                offset: out.len() as u64,
                len: line.len(),
            };
            index.push(key, Op::Set, span);
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        let records_after = index.live_len() as u64;
        self.replace_data_file(&out)?;
        self.index = index;
        self.len = out.len() as u64;
        self.torn_tail = false;
        self.corrupt_seen += replay.corrupt;
        Ok(CompactStats {
            lines_before: replay.records + replay.corrupt,
            records_after,
            corrupt_dropped: replay.corrupt,
            bytes_before: bytes.len() as u64,
            bytes_after: out.len() as u64,
        })
    }

    /// Checks every line of the data file without changing anything.
    #[telemetry::counted]
    pub fn verify(&self) -> Result<VerifyReport> {
        let bytes = self.read_all()?;
        let replay = scan::replay(&bytes);
        Ok(VerifyReport {
            records: replay.records,
            corrupt: replay.corrupt,
            torn_tail: scan::has_torn_tail(&bytes),
        })
    }

    /// The number of keys with a value.
    pub fn len(&self) -> usize {
        self.index.live_len()
    }

    /// True when no key has a value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The data file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many corrupt lines this store has skipped since it was opened (each time a
    /// line is read counts: opening, a `get`, a `list`, a `compact`).
    pub fn corrupt_lines_seen(&self) -> u64 {
        self.corrupt_seen
    }

    fn append(&mut self, record: &Record, op: Op) -> Result<()> {
        let line = record.encode();
        let mut bytes = Vec::with_capacity(line.len() + 2);
        if self.torn_tail {
            bytes.push(b'\n');
        }
        let span = Span {
            offset: self.len + bytes.len() as u64,
            len: line.len(),
        };
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .map_err(Error::io("write", &self.path))?;
        bytes_written(bytes.len());
        self.len += bytes.len() as u64;
        self.torn_tail = false;
        self.index.push(record.key().to_owned(), op, span);
        Ok(())
    }

    /// The bytes at `span`; fewer when the file has since been cut short.
    fn read_line(&self, span: Span) -> Result<Vec<u8>> {
        let mut file = &self.file;
        let mut line = Vec::with_capacity(span.len);
        file.seek(SeekFrom::Start(span.offset))
            .and_then(|_| file.take(span.len as u64).read_to_end(&mut line))
            .map_err(Error::io("read", &self.path))?;
        Ok(line)
    }

    fn read_all(&self) -> Result<Vec<u8>> {
        fs::read(&self.path).map_err(Error::io("read", &self.path))
    }

    fn replace_data_file(&mut self, contents: &[u8]) -> Result<()> {
        let fresh = self.path.with_extension("kv.compacting");
        File::create(&fresh)
            .and_then(|mut file| {
                file.write_all(contents)?;
                file.sync_all()
            })
            .map_err(Error::io("write", &fresh))?;
        fs::rename(&fresh, &self.path).map_err(Error::io("replace", &self.path))?;
        bytes_written(contents.len());
        self.file = open_data_file(&self.path)?;
        Ok(())
    }
}

fn open_data_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(Error::io("open", path))
}

fn bytes_written(n: usize) {
    telemetry::counter!(
        "kvlite/store/bytes-written",
        description = "Bytes written to data files, by appends and compactions"
    )
    .add(n as u64);
}
