//! Failed attempts counted in memory over a sliding window: staff sign-ins
//! (per username and per client address), enrolment codes and device
//! tokens (per client address). One type serves all three.
//!
//! A code or password takes a place before it is checked
//! ([`Limiter::reserve`]): failures and checks under way together stay
//! within the limit, so a burst sent at once gets no more checks than the
//! limit, and the rest wait for a place or, once the failures fill it, are
//! refused.
//!
//! Simple on purpose: one hub process serves one office, a restart forgets
//! the counts (an attacker gains a few guesses per restart), and nothing is
//! written to disk for a wrong guess. Hub processes sharing a PostgreSQL
//! database count apart: N processes behind one address allow N times the
//! tries. Addresses are per client IP, an IPv6
//! client per /64 (one host usually holds a whole /64, and would otherwise
//! get a fresh count with every address). Behind a reverse proxy, the
//! client's address is the one the proxy names in `X-Forwarded-For`, and
//! only when the proxy is one the office configured
//! ([`Limits::trusted_proxies`]).

use crate::rules::staff::normalize_username;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
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
    /// Reverse proxies (a TLS-terminating load balancer) whose
    /// `X-Forwarded-For` is believed. Without them, everyone behind a proxy
    /// would share its one address and its limits.
    pub trusted_proxies: Vec<IpAddr>,
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
            trusted_proxies: Vec::new(),
        }
    }
}

/// The `X-Forwarded-For` header: each proxy appends the address it was
/// reached from.
const FORWARDED_FOR: &str = "x-forwarded-for";

impl Limits {
    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|p| p.to_canonical() == ip)
    }

    /// The address a request is counted under: its peer's, or, when the
    /// peer is a trusted proxy, the last address in `X-Forwarded-For` that
    /// is not one. What comes before it was written by the client or a hop
    /// the hub does not trust; an entry that does not read as an address
    /// stops the walk at the last proxy.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        if !self.trusts(peer) {
            return client;
        }
        let lines: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .map(|v| v.to_str().unwrap_or(""))
            .collect();
        for hop in lines.iter().rev().flat_map(|l| l.rsplit(',')) {
            let hop = hop.trim();
            let Some(ip) = hop
                .parse::<IpAddr>()
                .ok()
                .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
            else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
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
        match ip.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
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
    counts: Mutex<HashMap<Key, Count>>,
    /// Woken whenever an attempt is settled: attempts waiting for a place
    /// look again.
    settled: Notify,
    pub limits: Limits,
}

/// What is counted under one key: failures within the window, and
/// attempts being checked.
#[derive(Default)]
struct Count {
    failures: Vec<Instant>,
    checking: usize,
}

impl Count {
    fn is_empty(&self) -> bool {
        self.failures.is_empty() && self.checking == 0
    }
}

/// What [`Limiter::try_reserve`] found.
enum Place {
    Taken,
    /// Failures and checks under way fill the limit: wait for one to end.
    Full,
    /// Failures alone fill it, for this long.
    Blocked(Duration),
}

/// An attempt being checked: it holds a place under each of its keys until
/// settled — [`Attempt::failed`] (a wrong guess, counted for the window) or
/// [`Attempt::passed`] (right, or refused for another reason). Dropped
/// unsettled (the client went away during the check), it counts as failed.
#[must_use = "an attempt holds its place until settled"]
pub struct Attempt {
    limiter: Arc<Limiter>,
    keys: Vec<Key>,
    settled: bool,
}

impl Attempt {
    pub fn failed(mut self) {
        self.settle(true);
    }

    pub fn passed(mut self) {
        self.settle(false);
    }

    fn settle(&mut self, failed: bool) {
        if !std::mem::replace(&mut self.settled, true) {
            self.limiter.settle(&self.keys, failed);
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        self.settle(true);
    }
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            counts: Mutex::new(HashMap::new()),
            settled: Notify::new(),
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

    /// The counts, with failures older than the window dropped from `keys`
    /// (from every key when the map has grown large).
    fn counts(&self, keys: &[Key]) -> MutexGuard<'_, HashMap<Key, Count>> {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let window = self.limits.window;
        let fresh = |count: &mut Count| count.failures.retain(|t| now.duration_since(*t) < window);
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, count| {
                fresh(count);
                !count.is_empty()
            });
        }
        for key in keys {
            if let Some(count) = map.get_mut(key) {
                fresh(count);
            }
        }
        map
    }

    /// How long until the oldest failure under `count` leaves the window.
    fn left(&self, count: &Count) -> Duration {
        let oldest = count.failures.first().copied().unwrap_or_else(Instant::now);
        self.limits.window.saturating_sub(oldest.elapsed())
    }

    /// A place to check an attempt under every one of `keys`, if there is
    /// one: failures and checks under way together stay within each key's
    /// limit. Taken under one lock with the look.
    fn try_reserve(&self, keys: &[Key]) -> Place {
        let mut map = self.counts(keys);
        let mut place = Place::Taken;
        for key in keys {
            let Some(count) = map.get(key) else {
                continue;
            };
            let limit = self.limit(key);
            if count.failures.len() >= limit {
                let left = self.left(count);
                place = match place {
                    Place::Blocked(wait) => Place::Blocked(wait.max(left)),
                    _ => Place::Blocked(left),
                };
            } else if count.failures.len() + count.checking >= limit {
                if let Place::Taken = place {
                    place = Place::Full;
                }
            }
        }
        if let Place::Taken = place {
            for key in keys {
                map.entry(key.clone()).or_default().checking += 1;
            }
        }
        place
    }

    /// Takes a place to check an attempt under `keys` before the check (a
    /// lookup, Argon2), or says how long until one may be made when their
    /// failures have reached a limit. While the places left are taken by
    /// checks under way, it waits for one to end: of attempts sent at once,
    /// no more than the limit are checked, and honest ones (a district's
    /// tablets enrolling at once through one address) wait their turn
    /// instead of being refused.
    pub async fn reserve(self: &Arc<Self>, keys: &[Key]) -> Result<Attempt, Duration> {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            // Registered before looking, so a check ending meanwhile wakes it.
            settled.as_mut().enable();
            match self.try_reserve(keys) {
                Place::Taken => {
                    return Ok(Attempt {
                        limiter: self.clone(),
                        keys: keys.to_vec(),
                        settled: false,
                    })
                }
                Place::Blocked(wait) => return Err(wait),
                Place::Full => settled.await,
            }
        }
    }

    fn settle(&self, keys: &[Key], failed: bool) {
        {
            let mut map = self.counts(keys);
            let now = Instant::now();
            for key in keys {
                if let Some(count) = map.get_mut(key) {
                    count.checking = count.checking.saturating_sub(1);
                    if failed {
                        count.failures.push(now);
                    }
                    if count.is_empty() {
                        map.remove(key);
                    }
                }
            }
        }
        self.settled.notify_waiters();
    }

    /// Counts a failure that took no check worth racing for (an unknown
    /// device token: 256 bits are not guessed), unless `keys` have reached
    /// their limits: then how long until they have not.
    pub fn count_failure(&self, keys: &[Key]) -> Result<(), Duration> {
        let mut map = self.counts(keys);
        let wait = keys
            .iter()
            .filter_map(|key| map.get(key).map(|count| (key, count)))
            .filter(|(key, count)| count.failures.len() >= self.limit(key))
            .map(|(_, count)| self.left(count))
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        let now = Instant::now();
        for key in keys {
            map.entry(key.clone()).or_default().failures.push(now);
        }
        Ok(())
    }

    /// Forgets a key's failures (a staff member who then signed in).
    pub fn forget(&self, key: &Key) {
        let mut map = self.counts(&[]);
        if let Some(count) = map.get_mut(key) {
            count.failures.clear();
            if count.is_empty() {
                map.remove(key);
            }
        }
    }
}

/// Seconds for a `Retry-After` header: whole seconds, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The client's address when the server was started with connect info
/// (`server::serve`), through a trusted proxy the address it names
/// ([`Limits::client_of`]); tests through the router alone have none,
/// unless they add a `ConnectInfo` to the request.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S> FromRequestParts<S> for ClientAddress
where
    S: Send + Sync,
    Arc<Limiter>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let limiter = Arc::<Limiter>::from_ref(state);
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| limiter.limits.client_of(c.0.ip(), &parts.headers)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wrong guess under `keys`, if a place was free: whether it was
    /// checked.
    fn wrong(limiter: &Limiter, keys: &[Key]) -> bool {
        match limiter.try_reserve(keys) {
            Place::Taken => {
                limiter.settle(keys, true);
                true
            }
            Place::Full | Place::Blocked(_) => false,
        }
    }

    #[test]
    fn each_kind_of_key_has_its_own_limit_and_a_forgotten_key_starts_again() {
        let limiter = Limiter::new(Limits {
            per_user: 2,
            enrol_per_address: 3,
            tokens_per_address: 1,
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 7].into();
        let user = Key::Username("an".into());
        assert!(wrong(&limiter, &[user.clone(), Key::enrol(ip)]));
        assert!(wrong(&limiter, &[user.clone(), Key::enrol(ip)]));
        assert!(!wrong(&limiter, std::slice::from_ref(&user)));
        assert!(wrong(&limiter, &[Key::enrol(ip)]), "3 allowed");
        assert!(limiter.count_failure(&[Key::token(ip)]).is_ok(), "separate");
        assert!(limiter.count_failure(&[Key::token(ip)]).is_err());
        let Place::Blocked(wait) = limiter.try_reserve(&[Key::enrol(ip)]) else {
            panic!("blocked");
        };
        assert!(wait <= limiter.limits.window && wait > Duration::from_secs(60));
        limiter.forget(&user);
        assert!(wrong(&limiter, &[user]));
    }

    #[test]
    fn a_passed_attempt_and_a_refused_one_count_nothing() {
        let limiter = Limiter::new(Limits {
            per_user: 2,
            per_address: 2,
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 9].into();
        assert!(matches!(
            limiter.try_reserve(&login_keys("an", Some(ip))),
            Place::Taken
        ));
        limiter.settle(&login_keys("an", Some(ip)), false);
        assert!(wrong(&limiter, &login_keys("an", None)));
        assert!(wrong(&limiter, &login_keys("an", None)));
        // "an" is blocked: the attempt is refused and its address not
        // counted, so another name from it still gets its two.
        assert!(!wrong(&limiter, &login_keys("an", Some(ip))));
        assert!(wrong(&limiter, &login_keys("binh", Some(ip))));
        assert!(wrong(&limiter, &login_keys("chi", Some(ip))));
        assert!(!wrong(&limiter, &login_keys("dung", Some(ip))));
    }

    #[test]
    fn places_taken_at_once_are_no_more_than_the_limit() {
        let limiter = Limiter::new(Limits {
            enrol_per_address: 30,
            ..Limits::default()
        });
        let key = Key::enrol([10, 0, 0, 8].into());
        let taken = std::thread::scope(|s| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..50)
                            .filter(|_| {
                                matches!(
                                    limiter.try_reserve(std::slice::from_ref(&key)),
                                    Place::Taken
                                )
                            })
                            .count()
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .sum::<usize>()
        });
        assert_eq!(taken, 30);
    }

    #[test]
    fn attempts_wait_for_a_place_honest_ones_all_pass_and_wrong_ones_stop_at_the_limit() {
        let limiter = Arc::new(Limiter::new(Limits {
            enrol_per_address: 3,
            ..Limits::default()
        }));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let burst = |right: bool| {
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let limiter = limiter.clone();
                    rt.spawn(async move {
                        let key = [Key::enrol([10, 0, 0, 1].into())];
                        let attempt = limiter.reserve(&key).await?;
                        tokio::task::yield_now().await;
                        if right {
                            attempt.passed();
                        } else {
                            attempt.failed();
                        }
                        Ok::<_, Duration>(())
                    })
                })
                .collect();
            tasks
                .into_iter()
                .map(|t| rt.block_on(t).unwrap())
                .filter(Result::is_ok)
                .count()
        };
        assert_eq!(burst(true), 20, "none refused");
        assert_eq!(burst(false), 3);
        // One dropped during its check counts as failed.
        let other = [Key::enrol([10, 0, 0, 2].into())];
        for _ in 0..3 {
            drop(rt.block_on(limiter.reserve(&other)).unwrap());
        }
        assert!(rt.block_on(limiter.reserve(&other)).is_err());
    }

    #[test]
    fn failures_older_than_the_window_no_longer_count() {
        let limiter = Limiter::new(Limits {
            tokens_per_address: 1,
            window: Duration::from_millis(30),
            ..Limits::default()
        });
        let ip: IpAddr = [10, 0, 0, 8].into();
        assert!(limiter.count_failure(&[Key::token(ip)]).is_ok());
        assert!(limiter.count_failure(&[Key::token(ip)]).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(limiter.count_failure(&[Key::token(ip)]).is_ok());
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
        assert!(wrong(&limiter, &login_keys("an", Some(ip))));
        assert!(wrong(&limiter, &login_keys("AN", Some(ip))));
        assert!(!wrong(&limiter, &login_keys("an", None)), "per username");
        assert!(wrong(&limiter, &login_keys("binh", Some(ip))));
        assert!(
            !wrong(&limiter, &login_keys("chi", Some(ip))),
            "per address"
        );
        limiter.forget(&login_keys("an", None)[0]);
        assert!(wrong(&limiter, &login_keys("an", None)));
    }

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
        let limits = Limits {
            trusted_proxies: vec!["10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap()],
            ..Limits::default()
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let client = |peer: &str, lines: &[&str]| {
            let mut headers = HeaderMap::new();
            for line in lines {
                headers.append(FORWARDED_FOR, line.parse().unwrap());
            }
            limits.client_of(ip(peer), &headers)
        };
        // From a trusted proxy: the last address it was not given by
        // another trusted proxy.
        assert_eq!(client("10.0.0.2", &["203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(
            client("::ffff:10.0.0.2", &["1.1.1.1, 203.0.113.7, 10.0.0.3"]),
            ip("203.0.113.7"),
            "a client's own entry is never believed"
        );
        assert_eq!(
            client("10.0.0.2", &["1.1.1.1", "203.0.113.7:4711"]),
            ip("203.0.113.7"),
            "several lines, a port"
        );
        assert_eq!(client("10.0.0.2", &[]), ip("10.0.0.2"), "no header");
        assert_eq!(
            client("10.0.0.2", &["1.1.1.1, not an address, 10.0.0.3"]),
            ip("10.0.0.3"),
            "garbage stops at the last proxy"
        );
        // From anyone else the header is ignored.
        assert_eq!(client("198.51.100.4", &["1.1.1.1"]), ip("198.51.100.4"));
        assert_eq!(
            Limits::default().client_of(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }
}
