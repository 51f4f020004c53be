//! Login and registration throttling: who the client is, and how often it may try.
//!
//! The counting is `governor`'s keyed GCRA limiter (a token bucket per key, refilled
//! continuously). This module adds what the service needs around it:
//!
//! - [`Rate`]: a rate as the configuration spells it (`5/min`, `30/hour`, `10/s`), whose
//!   burst equals its count;
//! - [`client_ip`]: the client's address, from `X-Forwarded-For` / `Forwarded` only when the
//!   TCP peer is a trusted proxy, with the right-most address that is not itself a proxy;
//! - [`client_key`]: an IPv4 client is its address, an IPv6 client its /64 (one host
//!   usually owns a whole /64, so single addresses would give it billions of budgets);
//! - [`KeyedLimiter`]: a bounded key table. Keys whose bucket is full again are swept
//!   (`retain_recent`) once a minute and whenever a new key takes the table past its
//!   maximum; when it is still (90%) full of live keys, every key is forgotten at once
//!   rather than new keys refused, so a flood of distinct keys can never lock out everyone (`docs/decisions.md` says why that is the
//!   safe side). The limiter is per process.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName};
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;

/// A rate: `count` attempts per `period`, with a burst of `count`.
///
/// Parsed from `COUNT/UNIT` where the unit is `s` (`sec`, `second`), `min` (`minute`),
/// `hour` (`h`) or `day` (`d`), e.g. `5/min`, `30/hour`, `10/s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: NonZeroU32,
    period: Duration,
}

impl Rate {
    /// `count` attempts per `period` (a zero period counts as one second).
    pub fn new(count: NonZeroU32, period: Duration) -> Self {
        Self { count, period: if period.is_zero() { Duration::from_secs(1) } else { period } }
    }

    /// Attempts per period, which is also the burst.
    pub fn count(&self) -> NonZeroU32 {
        self.count
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The governor quota: a burst of `count`, one attempt back every `period / count`.
    pub fn quota(&self) -> Quota {
        let interval = (self.period / self.count.get()).max(Duration::from_nanos(1));
        Quota::with_period(interval).map_or_else(|| Quota::per_second(self.count), |q| q.allow_burst(self.count))
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.period.as_secs() {
            86_400 => "day".to_owned(),
            3600 => "hour".to_owned(),
            60 => "min".to_owned(),
            1 => "s".to_owned(),
            _ => format!("{}s", self.period.as_secs_f64()),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Why a rate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a rate: write COUNT/UNIT with a count of at least 1 and a unit of s, min, hour or day (e.g. 5/min)"
)]
pub struct InvalidRate(String);

impl FromStr for Rate {
    type Err = InvalidRate;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidRate(raw.to_owned());
        let (count, unit) = raw.trim().split_once('/').ok_or_else(invalid)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| invalid())?;
        let seconds = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            _ => return Err(invalid()),
        };
        Ok(Self::new(count, Duration::from_secs(seconds)))
    }
}

/// The throttling settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Wrong passwords per client and account (tenant and email); default `5/min`.
    pub login_per_account: Rate,
    /// Login attempts per client, whatever the account and outcome; default `60/min`.
    pub login_per_client: Rate,
    /// Registrations per client; default `10/hour`.
    pub register_per_client: Rate,
    /// Most keys one limiter remembers (default 100,000; at least 1).
    pub max_keys: usize,
    /// Proxies whose forwarded header is believed (default none).
    pub trusted_proxies: Vec<IpNet>,
    /// Which header those proxies write (default `X-Forwarded-For`).
    pub forwarded_header: ForwardedHeader,
}

/// The one header trusted proxies record the client in. Only that one is read: a proxy that
/// writes one and passes the other through from the client would otherwise let the client
/// name itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client`.
    Forwarded,
}

impl FromStr for ForwardedHeader {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!("`{other}` is not `x-forwarded-for` or `forwarded`")),
        }
    }
}

impl ThrottleConfig {
    /// The default login rate per client and account.
    pub const DEFAULT_LOGIN_PER_ACCOUNT: &'static str = "5/min";
    /// The default login rate per client.
    pub const DEFAULT_LOGIN_PER_CLIENT: &'static str = "60/min";
    /// The default registration rate per client.
    pub const DEFAULT_REGISTER_PER_CLIENT: &'static str = "10/hour";
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        Self {
            login_per_account: Rate::new(NonZeroU32::MIN.saturating_add(4), minute),
            login_per_client: Rate::new(NonZeroU32::MIN.saturating_add(59), minute),
            register_per_client: Rate::new(NonZeroU32::MIN.saturating_add(9), Duration::from_secs(3600)),
            max_keys: 100_000,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::default(),
        }
    }
}

/// The verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Refused; retry after this many seconds (at least 1).
    Limited {
        /// Seconds until the key has an attempt again.
        retry_after_secs: u64,
    },
}

type Inner<K, C> = RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A keyed limiter with a bounded key table; see the module documentation.
pub struct KeyedLimiter<K: Hash + Eq + Clone, C: Clock + Clone = DefaultClock> {
    quota: Quota,
    clock: C,
    max_keys: usize,
    limiter: RwLock<Inner<K, C>>,
    last_sweep: Mutex<C::Instant>,
    /// For limiters that count failures only ([`KeyedLimiter::count_failure`]): the keys
    /// past their rate, until when. Bounded like the key table.
    refused_until: Mutex<HashMap<K, C::Instant>>,
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> std::fmt::Debug for KeyedLimiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter").field("quota", &self.quota).field("max_keys", &self.max_keys).finish()
    }
}

/// How often keys whose bucket is full again are dropped, when the table is not full.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// `rate` per key, remembering at most `max_keys` keys, on the monotonic clock.
    pub fn new(rate: Rate, max_keys: usize) -> Self {
        Self::with_clock(rate, max_keys, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedLimiter<K, C> {
    /// Like [`KeyedLimiter::new`], on `clock` (tests use a fake one).
    pub fn with_clock(rate: Rate, max_keys: usize, clock: C) -> Self {
        let quota = rate.quota();
        let limiter = RateLimiter::dashmap_with_clock(quota, clock.clone());
        let now = clock.now();
        Self {
            quota,
            clock,
            max_keys: max_keys.max(1),
            limiter: RwLock::new(limiter),
            last_sweep: Mutex::new(now),
            refused_until: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for `key`.
    pub fn check(&self, key: &K) -> Verdict {
        let verdict = self.count(key).map_or(Verdict::Allowed, |until| self.limited_until(until));
        self.housekeeping();
        verdict
    }

    /// Counts a failed attempt for `key` (a wrong password). Past the rate, the key is
    /// refused by [`KeyedLimiter::refusal`] until a failure would be allowed again, so that
    /// only failures spend the budget and a right password is never what runs it out.
    pub fn count_failure(&self, key: &K) -> Verdict {
        let verdict = match self.count(key) {
            None => Verdict::Allowed,
            Some(until) => {
                if let Ok(mut refused) = self.refused_until.lock() {
                    if refused.len() >= self.max_keys {
                        let now = self.clock.now();
                        refused.retain(|_, until| *until > now);
                        if refused.len() >= self.max_keys {
                            // As for the key table: forget rather than refuse wholesale.
                            refused.clear();
                        }
                    }
                    refused.insert(key.clone(), until);
                }
                self.limited_until(until)
            }
        };
        self.housekeeping();
        verdict
    }

    /// Whether `key` is refused now for failures past its rate; counts nothing.
    pub fn refusal(&self, key: &K) -> Verdict {
        let Ok(mut refused) = self.refused_until.lock() else {
            return Verdict::Allowed;
        };
        match refused.get(key).copied() {
            Some(until) if until > self.clock.now() => self.limited_until(until),
            Some(_) => {
                refused.remove(key);
                Verdict::Allowed
            }
            None => Verdict::Allowed,
        }
    }

    /// Takes one from `key`'s bucket; `Some(when the next is allowed)` when it is empty.
    fn count(&self, key: &K) -> Option<C::Instant> {
        // Only a panic while the table was being replaced poisons the lock; refusing would
        // lock everyone out, so let the attempt through (the hasher still bounds it).
        let limiter = self.limiter.read().ok()?;
        limiter.check_key(key).err().map(|not_until| not_until.earliest_possible())
    }

    fn limited_until(&self, until: C::Instant) -> Verdict {
        let wait = Duration::from(until.duration_since(self.clock.now()));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Verdict::Limited { retry_after_secs: secs.max(1) }
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.limiter.read().map(|l| l.len()).unwrap_or(0)
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sweeps keys whose bucket is full again once a minute, and whenever a new key took
    /// the table past its maximum; when the sweep leaves it more than 90% full of live keys,
    /// forgets every key. (The 10% of room makes the sweeps' cost amortised: a full sweep
    /// then comes at most once per tenth of the table's worth of new keys.)
    fn housekeeping(&self) {
        let now = self.clock.now();
        let over = self.len() > self.max_keys;
        let due = self.last_sweep.lock().is_ok_and(|last| now.duration_since(*last) >= SWEEP_EVERY.into());
        if !over && !due {
            return;
        }
        let Ok(mut limiter) = self.limiter.write() else {
            return;
        };
        if let Ok(mut last) = self.last_sweep.lock() {
            *last = now;
        }
        limiter.retain_recent();
        if over && limiter.len() > self.max_keys - self.max_keys / 10 {
            tracing::warn!(
                max_keys = self.max_keys,
                "rate limiter table full of live keys: forgetting every key rather than refusing new ones"
            );
            *limiter = RateLimiter::dashmap_with_clock(self.quota, self.clock.clone());
        } else {
            limiter.shrink_to_fit();
        }
    }
}

/// The key a client is counted under: an IPv4 address as it is (an IPv4-mapped IPv6
/// address as its IPv4 address), an IPv6 address as its /64 network.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !(u128::MAX >> 64);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// The client's address: the TCP `peer`, unless the peer is one of the `trusted` proxies;
/// then the right-most address of `X-Forwarded-For` (or, when the request has none, of
/// `Forwarded`'s `for=`) that is not itself a trusted proxy. An entry that is not an
/// address (`unknown`, an obfuscated name) stops the walk: the proxy that wrote it is the
/// client then. `None` only when the peer is unknown.
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
    header: ForwardedHeader,
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(headers, header);
    let mut client = peer;
    for entry in chain.iter().rev() {
        let Some(ip) = entry else {
            break;
        };
        client = *ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// The addresses the proxies recorded, left (first hop) to right (last hop); `None` for an
/// entry that is not an address.
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let lines = |name: &HeaderName| -> Vec<String> {
        headers.get_all(name).filter_map(|value| value.to_str().ok().map(str::to_owned)).collect()
    };
    if header == ForwardedHeader::XForwardedFor {
        return lines(&X_FORWARDED_FOR).iter().flat_map(|line| line.split(',')).map(parse_node).collect();
    }
    lines(&FORWARDED)
        .iter()
        .flat_map(|line| line.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value))
            })
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]:80`, `"[::1]:80"`: the address; anything else `None`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = raw.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.parse().ok())
}

/// Parses a comma-separated CIDR list (`10.0.0.0/8, 192.168.1.7, ::1`); a bare address is
/// a single-host network.
///
/// # Errors
///
/// The entry that is neither a network nor an address.
pub fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{entry}` is not a CIDR network like 10.0.0.0/8 or an address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use actix_web::http::header::HeaderValue;
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn rate(raw: &str) -> Rate {
        raw.parse().unwrap()
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn rates_parse_from_count_slash_unit() {
        assert_eq!(rate("5/min"), Rate::new(NonZeroU32::new(5).unwrap(), Duration::from_secs(60)));
        assert_eq!(rate(" 30 / hour "), Rate::new(NonZeroU32::new(30).unwrap(), Duration::from_secs(3600)));
        assert_eq!(rate("10/s").period(), Duration::from_secs(1));
        assert_eq!(rate("2/day").period(), Duration::from_secs(86_400));
        assert_eq!(rate("5/min").to_string(), "5/min");
        for bad in ["", "5", "0/min", "-1/min", "five/min", "5/week", "5/", "/min"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_defaults_are_the_documented_rates() {
        let config = ThrottleConfig::default();
        assert_eq!(config.login_per_account, rate(ThrottleConfig::DEFAULT_LOGIN_PER_ACCOUNT));
        assert_eq!(config.login_per_client, rate(ThrottleConfig::DEFAULT_LOGIN_PER_CLIENT));
        assert_eq!(config.register_per_client, rate(ThrottleConfig::DEFAULT_REGISTER_PER_CLIENT));
    }

    #[test]
    fn a_key_gets_its_burst_then_one_attempt_back_per_interval() {
        let clock = FakeRelativeClock::default();
        let limiter = KeyedLimiter::with_clock(rate("2/min"), 10, clock.clone());
        assert_eq!(limiter.check(&"a"), Verdict::Allowed);
        assert_eq!(limiter.check(&"a"), Verdict::Allowed);
        assert_eq!(limiter.check(&"a"), Verdict::Limited { retry_after_secs: 30 });
        assert_eq!(limiter.check(&"b"), Verdict::Allowed);
        clock.advance(Duration::from_secs(20));
        assert_eq!(limiter.check(&"a"), Verdict::Limited { retry_after_secs: 10 });
        clock.advance(Duration::from_secs(10));
        assert_eq!(limiter.check(&"a"), Verdict::Allowed);
    }

    #[test]
    fn a_full_table_sweeps_keys_whose_bucket_refilled() {
        let clock = FakeRelativeClock::default();
        let limiter = KeyedLimiter::with_clock(rate("5/min"), 2, clock.clone());
        assert_eq!(limiter.check(&"a"), Verdict::Allowed);
        clock.advance(Duration::from_secs(59));
        assert_eq!(limiter.check(&"b"), Verdict::Allowed);
        clock.advance(Duration::from_secs(2));
        // "a" refilled and is swept; "b" is still live and keeps its count.
        assert_eq!(limiter.check(&"c"), Verdict::Allowed);
        assert_eq!(limiter.len(), 2);
        for _ in 0..4 {
            assert_eq!(limiter.check(&"c"), Verdict::Allowed);
        }
        assert!(matches!(limiter.check(&"c"), Verdict::Limited { .. }));
    }

    #[test]
    fn a_table_full_of_live_keys_forgets_them_instead_of_refusing_new_keys() {
        let clock = FakeRelativeClock::default();
        let limiter = KeyedLimiter::with_clock(rate("1/hour"), 3, clock);
        for key in 0..3 {
            assert_eq!(limiter.check(&key), Verdict::Allowed);
        }
        assert!(matches!(limiter.check(&0), Verdict::Limited { .. }));
        for key in 3..1000 {
            assert_eq!(limiter.check(&key), Verdict::Allowed, "new key {key} refused");
            assert!(limiter.len() <= 3);
        }
    }

    #[test]
    fn ipv6_clients_in_one_slash_64_share_a_key() {
        let one = client_key(ip("2001:db8:1:2:aaaa::1"));
        let same = client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = client_key(ip("2001:db8:1:3::1"));
        assert_eq!(one, same);
        assert_eq!(one, ip("2001:db8:1:2::"));
        assert_ne!(one, other);
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_ne!(client_key(ip("203.0.113.7")), client_key(ip("203.0.113.8")));
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.1"), ("forwarded", "for=198.51.100.2")]);
        assert_eq!(
            client_ip(Some(ip("203.0.113.7")), &spoofed, &trusted, ForwardedHeader::XForwardedFor),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(client_ip(Some(ip("10.0.0.1")), &spoofed, &[], ForwardedHeader::Forwarded), Some(ip("10.0.0.1")));
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;

    #[test]
    fn only_the_configured_forwarded_header_is_read() {
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        let peer = Some(ip("10.0.0.1"));
        // The proxy writes `Forwarded` and passes the client's own `X-Forwarded-For` through.
        let both = headers(&[("x-forwarded-for", "203.0.113.99"), ("forwarded", "for=198.51.100.9")]);
        assert_eq!(client_ip(peer, &both, &trusted, ForwardedHeader::Forwarded), Some(ip("198.51.100.9")));
        assert_eq!(client_ip(peer, &both, &trusted, XFF), Some(ip("203.0.113.99")));
        let only_forwarded = headers(&[("forwarded", "for=198.51.100.9")]);
        assert_eq!(client_ip(peer, &only_forwarded, &trusted, XFF), peer);
        assert_eq!("Forwarded".parse::<ForwardedHeader>(), Ok(ForwardedHeader::Forwarded));
        assert!("via".parse::<ForwardedHeader>().is_err());
    }

    #[test]
    fn the_right_most_address_that_is_not_a_trusted_proxy_is_the_client() {
        let trusted = parse_trusted_proxies("10.0.0.0/8, 192.168.1.7").unwrap();
        let peer = Some(ip("10.0.0.1"));
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.9"), ("x-forwarded-for", "192.168.1.7")]);
        assert_eq!(client_ip(peer, &chain, &trusted, XFF), Some(ip("198.51.100.9")));
        let forwarded = headers(&[("forwarded", "for=1.1.1.1, for=\"[2001:db8::1]:4711\";proto=https, for=10.1.1.1")]);
        assert_eq!(client_ip(peer, &forwarded, &trusted, ForwardedHeader::Forwarded), Some(ip("2001:db8::1")));
        let all_proxies = headers(&[("x-forwarded-for", "10.9.9.9, 10.8.8.8")]);
        assert_eq!(client_ip(peer, &all_proxies, &trusted, XFF), Some(ip("10.9.9.9")));
        let unknown = headers(&[("x-forwarded-for", "1.1.1.1, unknown, 10.8.8.8")]);
        assert_eq!(client_ip(peer, &unknown, &trusted, XFF), Some(ip("10.8.8.8")));
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted, XFF), peer);
        let with_port = headers(&[("x-forwarded-for", "198.51.100.9:5678")]);
        assert_eq!(client_ip(peer, &with_port, &trusted, XFF), Some(ip("198.51.100.9")));
    }

    #[test]
    fn trusted_proxies_parse_as_cidr_lists() {
        let nets = parse_trusted_proxies(" 10.0.0.0/8 ,::1, 2001:db8::/32,").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&ip("::1")));
        assert!(parse_trusted_proxies("").unwrap().is_empty());
        assert!(parse_trusted_proxies("10.0.0.0/33").unwrap_err().contains("10.0.0.0/33"));
        assert!(parse_trusted_proxies("proxy.local").is_err());
    }
}
