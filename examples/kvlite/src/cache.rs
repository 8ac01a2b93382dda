//! A least-recently-used cache of values read from the data file.
//!
//! Every lookup is counted as `kvlite/cache:hit` or `kvlite/cache:miss`, and every
//! value pushed out to make room as `kvlite/cache/evictions`.

use std::collections::HashMap;

/// How many values a [`Store`](crate::Store) keeps in its cache.
pub const CACHE_CAPACITY: usize = 256;

/// Values recently read, at most `capacity` of them.
#[derive(Debug)]
pub(crate) struct Cache {
    capacity: usize,
    /// Ticks once per lookup or insertion; each slot remembers when it was last used.
    clock: u64,
    slots: HashMap<String, Slot>,
}

#[derive(Debug)]
struct Slot {
    value: String,
    used: u64,
}

impl Cache {
    /// An empty cache holding at most `capacity` values (none when 0).
    pub(crate) fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            clock: 0,
            slots: HashMap::new(),
        }
    }

    /// The cached value of `key`, counted as a hit or a miss.
    pub(crate) fn get(&mut self, key: &str) -> Option<String> {
        self.clock += 1;
        let lookups = telemetry::counter!(
            "kvlite/cache:{hit,miss}",
            description = "Cache lookups of Store::get, by outcome"
        );
        match self.slots.get_mut(key) {
            Some(slot) => {
                lookups.inc("hit");
                slot.used = self.clock;
                Some(slot.value.clone())
            }
            None => {
                lookups.inc("miss");
                None
            }
        }
    }

    /// Caches `value` for `key`, evicting the least recently used value when full.
    pub(crate) fn insert(&mut self, key: &str, value: String) {
        if self.capacity == 0 {
            return;
        }
        self.clock += 1;
        if !self.slots.contains_key(key) && self.slots.len() >= self.capacity {
            self.evict_oldest();
        }
        let used = self.clock;
        self.slots.insert(key.to_owned(), Slot { value, used });
    }

    /// Drops the cached value of `key`, if any.
    pub(crate) fn remove(&mut self, key: &str) {
        self.slots.remove(key);
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .slots
            .iter()
            .min_by_key(|(_, slot)| slot.used)
            .map(|(key, _)| key.clone());
        if let Some(key) = oldest {
            self.slots.remove(&key);
            telemetry::counter!(
                "kvlite/cache/evictions",
                description = "Cached values dropped to make room for newer ones"
            )
            .inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_value_is_evicted_first() {
        let mut cache = Cache::new(2);
        cache.insert("a", "1".into());
        cache.insert("b", "2".into());
        assert_eq!(cache.get("a").as_deref(), Some("1"));
        cache.insert("c", "3".into());
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a").as_deref(), Some("1"));
        assert_eq!(cache.get("c").as_deref(), Some("3"));
    }

    #[test]
    fn a_cache_of_capacity_zero_keeps_nothing() {
        let mut cache = Cache::new(0);
        cache.insert("a", "1".into());
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn replacing_a_cached_key_evicts_nothing() {
        let mut cache = Cache::new(1);
        cache.insert("a", "1".into());
        cache.insert("a", "2".into());
        assert_eq!(cache.get("a").as_deref(), Some("2"));
        cache.remove("a");
        assert_eq!(cache.get("a"), None);
    }
}
