//! Keyed rate limits whose key table stays bounded however many keys a client invents, and
//! the key one client address is limited by. The request limits (`http/edge.rs`) and the
//! sampling of anonymous refusals into the audit log (`audit/refusals.rs`) share it.
//!
//! The limiting itself is `governor`'s GCRA. What is Hangar's own is the bound: governor's
//! keyed state is a map that grows by one entry per new key, and the only way to shrink it,
//! `retain_recent`, walks the whole map. So the map is swept every [`SWEEP_EVERY`] checks
//! (amortised: a few entries per check), and once it holds [`MAX_KEYS`] it is swept at most
//! once a second; while it is still full, every key — a new one, and (governor cannot tell
//! which keys it holds) a known one too — shares one overflow key. A flood from many
//! addresses then costs a bounded map and a bounded amount of sweeping, and its requests
//! share one limit instead of each getting a fresh one. With request quotas a key goes
//! stale within a second, so filling the table takes 100,000 sources at once.
//!
//! An IPv6 client usually holds a whole /64 and can pick any address in it, so IPv6
//! addresses are limited by their /64 ([`source_of`]).

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};

/// Keys a limit holds before new ones share the overflow key.
pub const MAX_KEYS: usize = 100_000;
/// Keys not seen for their quota's period are dropped every this many checks.
pub const SWEEP_EVERY: u64 = 4096;
/// A full table is swept at most this often.
const FULL_SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The overflow key for address-keyed limits: `::1`, which [`source_of`] never returns
/// (an IPv6 key has its last 64 bits zero), so no client shares it by its address.
pub const OVERFLOW_SOURCE: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// The key a client address is limited by: an IPv4 address itself (also when written as an
/// IPv4-mapped IPv6 address), an IPv6 address's /64.
pub fn source_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// One keyed limit with a bounded key table.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    overflow: K,
    max_keys: usize,
    checks: AtomicU64,
    started: Instant,
    /// Milliseconds after `started` of the last sweep of a full table.
    last_full_sweep_ms: AtomicU64,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// `overflow`: the key every further key shares while the table is full.
    pub fn new(quota: Quota, overflow: K) -> Self {
        Self::with_max_keys(quota, overflow, MAX_KEYS)
    }

    fn with_max_keys(quota: Quota, overflow: K, max_keys: usize) -> Self {
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            overflow,
            max_keys,
            checks: AtomicU64::new(0),
            started: Instant::now(),
            last_full_sweep_ms: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when `key` (or, with the table full, the overflow key) is over its limit.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed);
        if checks % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        let key = if self.limiter.len() < self.max_keys || self.sweep_full_table() {
            key
        } else {
            &self.overflow
        };
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }

    /// Sweeps a full table unless that was done less than [`FULL_SWEEP_INTERVAL`] ago;
    /// whether it has room now.
    fn sweep_full_table(&self) -> bool {
        let now_ms = self.started.elapsed().as_millis() as u64;
        let last = self.last_full_sweep_ms.load(Ordering::Relaxed);
        let due =
            last == 0 || now_ms.saturating_sub(last) >= FULL_SWEEP_INTERVAL.as_millis() as u64;
        if due
            && self
                .last_full_sweep_ms
                .compare_exchange(last, now_ms.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.len() < self.max_keys
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn no_address_is_the_overflow_source() {
        for address in ["::1", "::", "::2", "::ffff:127.0.0.1", "127.0.0.1"] {
            assert_ne!(source_of(ip(address)), OVERFLOW_SOURCE, "{address}");
        }
    }

    #[test]
    fn ipv6_addresses_of_one_64_are_one_source() {
        assert_eq!(
            source_of(ip("2001:db8:1:2:aaaa::1")),
            source_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_eq!(source_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_ne!(
            source_of(ip("2001:db8:1:2::1")),
            source_of(ip("2001:db8:1:3::1"))
        );
        // IPv4 keeps every address, also written as IPv4-mapped IPv6.
        assert_eq!(source_of(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(source_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(source_of(ip("192.0.2.7")), source_of(ip("192.0.2.8")));
    }

    #[test]
    fn a_full_table_sends_new_keys_to_the_shared_overflow_key() {
        // One request a minute per key, no burst: a key's second check is refused.
        let quota = Quota::per_minute(NonZeroU32::new(1).unwrap());
        let limit = KeyedLimit::with_max_keys(quota, u32::MAX, 10);
        for key in 0..10 {
            assert!(limit.check(&key).is_ok(), "{key}");
        }
        assert_eq!(limit.len(), 10);
        // Full, and nothing is stale yet (the keys were seen just now): the next new key
        // takes the overflow key's one request, and the one after it is refused.
        assert!(limit.check(&100).is_ok());
        assert!(limit.check(&101).is_err());
        assert!(limit.check(&102).is_err());
        // The table did not grow past its bound plus the overflow key.
        assert!(limit.len() <= 11, "{}", limit.len());
    }

    #[test]
    fn a_key_over_its_burst_waits_and_others_do_not() {
        let quota = Quota::per_minute(NonZeroU32::new(20).unwrap())
            .allow_burst(NonZeroU32::new(5).unwrap());
        let limit = KeyedLimit::new(quota, ip("0.0.0.0"));
        let key = ip("192.0.2.1");
        for _ in 0..5 {
            assert!(limit.check(&key).is_ok());
        }
        let wait = limit.check(&key).unwrap_err();
        assert!(wait <= Duration::from_secs(3), "{wait:?}");
        assert!(limit.check(&ip("192.0.2.2")).is_ok());
    }
}
