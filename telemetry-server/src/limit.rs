//! Rate limiting that stores no address: each client address (an IPv4 address, also
//! when it arrives IPv4-mapped on a dual-stack listener, or an IPv6 /64) is hashed with a key drawn at random when the process starts and drawn
//! again every hour, and only the hash keys a token bucket in memory. When the key
//! changes every bucket is forgotten, so no table of the server's, in memory or on
//! disk, can say which address sent anything an hour ago.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the key is drawn again and every bucket forgotten.
pub const ROTATE: Duration = Duration::from_secs(3600);
/// The most buckets kept; past it they are all forgotten (a flood of addresses cannot
/// grow memory without bound).
pub const MAX_BUCKETS: usize = 100_000;

struct Buckets {
    key: RandomState,
    since: Instant,
    buckets: HashMap<u64, (f64, Instant)>,
}

/// What keys an address's bucket: an IPv4 address whole, whether it arrived as IPv4 or,
/// on a dual-stack listener, as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`); an
/// IPv6 address by its /64, the block one subscriber is usually given.
pub fn key_of(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_ipv6_mapped().octets(),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                octets
            }
        },
    }
}

/// Token buckets keyed by a rotating hash of the address.
pub struct Limiter {
    per_minute: u32,
    inner: Mutex<Buckets>,
}

impl Limiter {
    /// Allows `per_minute` uploads a minute from one address, in bursts of as many;
    /// 0 turns limiting off.
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute,
            inner: Mutex::new(Buckets {
                key: RandomState::new(),
                since: Instant::now(),
                buckets: HashMap::new(),
            }),
        }
    }

    /// Whether `addr` may upload now (takes a token if so).
    pub fn allow(&self, addr: IpAddr) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let prefix = key_of(addr);
        let now = Instant::now();
        let Ok(mut inner) = self.inner.lock() else {
            return true;
        };
        if now.duration_since(inner.since) >= ROTATE || inner.buckets.len() >= MAX_BUCKETS {
            inner.key = RandomState::new();
            inner.since = now;
            inner.buckets.clear();
        }
        let hash = inner.key.hash_one(prefix);
        let capacity = f64::from(self.per_minute);
        let (tokens, last) = inner.buckets.entry(hash).or_insert((capacity, now));
        let refill = now.duration_since(*last).as_secs_f64() * capacity / 60.0;
        *tokens = (*tokens + refill).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_the_limit_is_refused_and_others_are_not() {
        let limiter = Limiter::new(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "192.0.2.2".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(
            (0..5).map(|_| limiter.allow(a)).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert!(limiter.allow(b));
        assert!(Limiter::new(0).allow(a));
    }

    #[test]
    fn ipv4_mapped_addresses_are_keyed_whole_and_as_their_ipv4_selves() {
        let limiter = Limiter::new(1);
        let mapped = |text: &str| -> IpAddr { text.parse().unwrap_or(IpAddr::from([0; 4])) };
        assert!(limiter.allow(mapped("::ffff:127.0.0.1")));
        assert!(limiter.allow(mapped("::ffff:127.0.0.2")));
        assert!(limiter.allow(mapped("::ffff:127.200.1.1")));
        assert!(
            !limiter.allow(mapped("127.0.0.1")),
            "the same address either way"
        );
        assert_eq!(
            key_of(mapped("::ffff:192.0.2.7")),
            key_of(mapped("192.0.2.7"))
        );
    }

    #[test]
    fn one_ipv6_64_is_one_bucket() {
        let limiter = Limiter::new(1);
        let a: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8::ffff".parse().unwrap_or(IpAddr::from([0; 4]));
        assert!(limiter.allow(a));
        assert!(!limiter.allow(b));
    }
}
