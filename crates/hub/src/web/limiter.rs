//! Failed attempts counted in memory over a sliding window: staff sign-ins
//! (per username and per client address), enrolment codes and device
//! tokens (per client address). One type serves all three.
//!
//! Simple on purpose: one hub process serves one office, a restart forgets
//! the counts (an attacker gains a few guesses per restart), and nothing is
//! written to disk for a wrong guess. Hub processes sharing a PostgreSQL
//! database count apart: N processes behind one address allow N times the
//! tries. Addresses are per client IP, an IPv6
//! client per /64 (one host usually holds a whole /64, and would otherwise
//! get a fresh count with every address).

use crate::rules::staff::normalize_username;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failed sign-ins allowed per username within `window`.
    pub per_user: usize,
    /// Failed sign-ins allowed per client address within `window` (an
    /// office shares one address).
    pub per_address: usize,
    /// Wrong enrolment codes allowed per client address within `window`.
    pub enrol_per_address: usize,
    /// Unknown or missing device tokens allowed per client address within
    /// `window` (a commune's tablets may share one address).
    pub tokens_per_address: usize,
    pub window: Duration,
    /// Every wrong password or code waits this long: guessing gets slow
    /// even under the limit.
    pub failure_delay: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_address: 30,
            enrol_per_address: 10,
            tokens_per_address: 30,
            window: Duration::from_secs(15 * 60),
            failure_delay: Duration::from_secs(1),
        }
    }
}

/// What a count is kept for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// Sign-ins of one staff username (normalised).
    Username(String),
    /// Sign-ins from one client address.
    Login(IpAddr),
    /// Enrolment codes from one client address.
    Enrol(IpAddr),
    /// Device tokens from one client address.
    Token(IpAddr),
}

impl Key {
    /// The counting key of an address: IPv4 whole, IPv6 by its /64.
    fn address(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
            },
            v4 => v4,
        }
    }

    pub fn login(ip: IpAddr) -> Self {
        Key::Login(Self::address(ip))
    }

    pub fn enrol(ip: IpAddr) -> Self {
        Key::Enrol(Self::address(ip))
    }

    pub fn token(ip: IpAddr) -> Self {
        Key::Token(Self::address(ip))
    }
}

/// What a sign-in's failures are counted under: its username and, when
/// known, the client's address.
pub fn login_keys(username: &str, address: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key::Username(normalize_username(username))];
    keys.extend(address.map(Key::login));
    keys
}

/// Above this many keys, stale ones are swept before a new one is added,
/// so a flood of addresses or names cannot grow the map without bound.
const SWEEP_ABOVE: usize = 10_000;

pub struct Limiter {
    failures: Mutex<HashMap<Key, Vec<Instant>>>,
    pub limits: Limits,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            limits,
        }
    }

    fn limit(&self, key: &Key) -> usize {
        match key {
            Key::Username(_) => self.limits.per_user,
            Key::Login(_) => self.limits.per_address,
            Key::Enrol(_) => self.limits.enrol_per_address,
            Key::Token(_) => self.limits.tokens_per_address,
        }
    }

    /// How long until an attempt counted under `keys` may be made again,
    /// if any of them has reached its limit.
    pub fn blocked_for(&self, keys: &[Key]) -> Option<Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let window = self.limits.window;
        let mut wait = None;
        for key in keys {
            let Some(times) = map.get_mut(key) else {
                continue;
            };
            times.retain(|t| now.duration_since(*t) < window);
            if times.len() >= self.limit(key) {
                let oldest = times.first().copied().unwrap_or(now);
                let left = window.saturating_sub(now.duration_since(oldest));
                wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
            }
            if times.is_empty() {
                map.remove(key);
            }
        }
        wait
    }

    pub fn record_failure(&self, keys: &[Key]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > SWEEP_ABOVE {
            let window = self.limits.window;
            map.retain(|_, times| {
                times.retain(|t| now.duration_since(*t) < window);
                !times.is_empty()
            });
        }
        for key in keys {
            map.entry(key.clone()).or_default().push(now);
        }
    }

    /// Forgets a key's failures (a staff member who then signed in).
    pub fn forget(&self, key: &Key) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

/// Seconds for a `Retry-After` header: whole seconds, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The client's address when the server was started with connect info
/// (`server::serve`); tests through the router alone have none, unless
/// they add a `ConnectInfo` to the request.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_key_has_its_own_limit_and_a_forgotten_key_starts_again() {
        let limiter = Limiter::new(Limits {
            per_user: 2,
            enrol_per_address: 3,
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 7].into();
        let user = Key::Username("an".into());
        limiter.record_failure(&[user.clone(), Key::enrol(ip)]);
        assert!(limiter.blocked_for(std::slice::from_ref(&user)).is_none());
        limiter.record_failure(&[user.clone(), Key::enrol(ip)]);
        assert!(limiter.blocked_for(std::slice::from_ref(&user)).is_some());
        assert!(
            limiter.blocked_for(&[Key::enrol(ip)]).is_none(),
            "3 allowed"
        );
        assert!(limiter.blocked_for(&[Key::token(ip)]).is_none(), "separate");
        limiter.record_failure(&[Key::enrol(ip)]);
        let wait = limiter.blocked_for(&[Key::enrol(ip)]).unwrap();
        assert!(wait <= limiter.limits.window && wait > Duration::from_secs(60));
        limiter.forget(&user);
        assert!(limiter.blocked_for(&[user]).is_none());
    }

    #[test]
    fn failures_older_than_the_window_no_longer_count() {
        let limiter = Limiter::new(Limits {
            tokens_per_address: 1,
            window: Duration::from_millis(30),
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 8].into();
        limiter.record_failure(&[Key::token(ip)]);
        assert!(limiter.blocked_for(&[Key::token(ip)]).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(limiter.blocked_for(&[Key::token(ip)]).is_none());
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64_and_a_mapped_ipv4_as_itself() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Key::enrol(a), Key::enrol(b));
        assert_ne!(Key::enrol(a), Key::enrol(c));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(Key::token(mapped), Key::token([10, 0, 0, 7].into()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn the_limiter_blocks_a_username_after_its_failures_and_forgets_on_success() {
        let limiter = Limiter::new(Limits {
            per_user: 2,
            per_address: 3,
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 7].into();
        limiter.record_failure(&login_keys("an", Some(ip)));
        assert!(limiter.blocked_for(&login_keys("an", Some(ip))).is_none());
        limiter.record_failure(&login_keys("AN", Some(ip)));
        assert!(
            limiter.blocked_for(&login_keys("an", None)).is_some(),
            "per username"
        );
        assert!(limiter.blocked_for(&login_keys("binh", Some(ip))).is_none());
        limiter.record_failure(&login_keys("binh", Some(ip)));
        assert!(
            limiter.blocked_for(&login_keys("chi", Some(ip))).is_some(),
            "per address"
        );
        limiter.forget(&login_keys("an", None)[0]);
        assert!(limiter.blocked_for(&login_keys("an", None)).is_none());
    }
}
