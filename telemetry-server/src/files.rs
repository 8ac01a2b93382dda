//! Published day files held in memory: a day's file never changes once published, so
//! the most recently served ones are kept, up to [`HELD`] bytes (uncompressed and
//! gzip together), and a reader costs a lookup and a copy of a pointer.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::body::Bytes;

use crate::store::DayFile;

/// The most bytes of day files held.
pub const HELD: usize = 64 << 20;

/// A day's file, ready to serve.
#[derive(Clone, Debug)]
pub(crate) struct Served {
    /// Its bytes.
    pub body: Bytes,
    /// Its gzip.
    pub gzip: Bytes,
}

impl From<DayFile> for Served {
    fn from(file: DayFile) -> Served {
        Served {
            body: Bytes::from(file.body),
            gzip: Bytes::from(file.gzip),
        }
    }
}

/// The files held, the most recently served last.
#[derive(Default)]
pub(crate) struct Files {
    held: Mutex<(VecDeque<(String, Served)>, usize)>,
}

impl Files {
    /// The file of `day`, if it is held.
    pub fn get(&self, day: &str) -> Option<Served> {
        let mut held = self.held.lock().ok()?;
        let (files, _) = &mut *held;
        let at = files.iter().position(|(d, _)| d == day)?;
        let entry = files.remove(at)?;
        let served = entry.1.clone();
        files.push_back(entry);
        Some(served)
    }

    /// Holds the file of `day`, letting go of the least recently served beyond
    /// [`HELD`]; a file larger than that alone is served without being held.
    pub fn put(&self, day: &str, served: &Served) {
        let size = served.body.len() + served.gzip.len();
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        let (files, total) = &mut *held;
        if size > HELD || files.iter().any(|(d, _)| d == day) {
            return;
        }
        while *total + size > HELD {
            match files.pop_front() {
                Some((_, old)) => *total -= old.body.len() + old.gzip.len(),
                None => break,
            }
        }
        files.push_back((day.to_string(), served.clone()));
        *total += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: usize) -> Served {
        Served {
            body: Bytes::from(vec![b'a'; size]),
            gzip: Bytes::new(),
        }
    }

    #[test]
    fn the_least_recently_served_files_go_first_and_the_total_stays_bounded() {
        let files = Files::default();
        files.put("2026-12-01", &file(HELD / 2));
        files.put("2026-12-02", &file(HELD / 2));
        assert!(files.get("2026-12-01").is_some());
        files.put("2026-12-03", &file(HELD / 2));
        assert!(
            files.get("2026-12-02").is_none(),
            "the least recently served went"
        );
        assert!(files.get("2026-12-01").is_some());
        assert!(files.get("2026-12-03").is_some());
        files.put("2026-12-04", &file(HELD + 1));
        assert!(files.get("2026-12-04").is_none(), "too large to hold");
        assert!(files.get("2026-12-03").is_some());
    }
}
