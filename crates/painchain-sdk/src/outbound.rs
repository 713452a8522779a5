//! Where connectors may connect to (server-side request forgery).
//!
//! URLs in an integration's config (GitHub's `apiUrl`, a GitLab host, ...)
//! come from whoever may create integrations. On a server shared by several
//! tenants, a connector fetching them would let a tenant make the server
//! call its own internal network (cloud metadata at 169.254.169.254, the
//! database, admin ports) with the integration's credentials. So, when the
//! policy is *restricted*:
//!
//! - URLs must be `https`;
//! - hosts must not be, or resolve to, loopback, private, link-local,
//!   CGNAT, unique-local, multicast or unspecified addresses;
//! - unless the operator allowlists the host name or an address range
//!   (`PAINCHAIN_OUTBOUND_ALLOW=ghe.corp.example,10.20.0.0/16`).
//!
//! The address check runs at connection time, in the HTTP client's DNS
//! resolver ([`OutboundPolicy::client_builder`]): the client connects only
//! to addresses that passed, so DNS rebinding (a name that resolves to a
//! public address when saved and to 127.0.0.1 when fetched) can't bypass it.
//! Redirects are checked hop by hop. An *open* policy (the single-tenant
//! free tier) allows everything: local clusters, self-hosted services and
//! test fakes over plain http.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use ipnet::IpNet;
use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    Url,
};

/// A refused destination. The message names the host only (never what it
/// answered), so it is safe to show as an integration's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}: only https URLs are allowed on this server")]
    NotHttps(String),
    #[error("{0}: internal addresses are not allowed on this server (the operator can allow it with PAINCHAIN_OUTBOUND_ALLOW)")]
    Internal(String),
    #[error("invalid URL {0:?}")]
    BadUrl(String),
    #[error("PAINCHAIN_OUTBOUND_ALLOW: {0:?} is neither a host name nor an address range")]
    BadAllow(String),
}

/// An allowlist entry: a host name (any address it resolves to, and plain
/// http) or an address range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    Host(String),
    Net(IpNet),
}

impl Allow {
    /// Parses a comma-separated list (`PAINCHAIN_OUTBOUND_ALLOW`).
    pub fn parse_list(s: &str) -> Result<Vec<Allow>, OutboundError> {
        s.split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(Allow::parse)
            .collect()
    }

    pub fn parse(e: &str) -> Result<Allow, OutboundError> {
        if let Ok(net) = e.parse::<IpNet>() {
            return Ok(Allow::Net(net));
        }
        if let Ok(ip) = e.parse::<IpAddr>() {
            return Ok(Allow::Net(IpNet::from(ip)));
        }
        let host = e.trim_end_matches('.').to_ascii_lowercase();
        let ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
        if ok {
            Ok(Allow::Host(host))
        } else {
            Err(OutboundError::BadAllow(e.to_string()))
        }
    }
}

/// The policy every connector's outbound HTTP goes through. Cheap to clone;
/// clones share the restricted switch.
#[derive(Debug, Clone)]
pub struct OutboundPolicy {
    restricted: Arc<AtomicBool>,
    allow: Arc<Vec<Allow>>,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        OutboundPolicy::open()
    }
}

impl OutboundPolicy {
    /// Anything goes (single tenant).
    pub fn open() -> Self {
        OutboundPolicy {
            restricted: Arc::new(AtomicBool::new(false)),
            allow: Arc::new(Vec::new()),
        }
    }

    /// https and public addresses only, but for `allow`.
    pub fn restricted(allow: Vec<Allow>) -> Self {
        OutboundPolicy {
            restricted: Arc::new(AtomicBool::new(true)),
            allow: Arc::new(allow),
        }
    }

    /// The switch its owner flips when the server becomes (or stops being)
    /// shared by several tenants.
    pub fn switch(&self) -> Arc<AtomicBool> {
        self.restricted.clone()
    }

    pub fn is_restricted(&self) -> bool {
        self.restricted.load(Ordering::Relaxed)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.allow
            .iter()
            .any(|a| matches!(a, Allow::Host(h) if *h == host))
    }

    /// Whether connecting to `ip` for `host` is allowed.
    pub fn addr_allowed(&self, host: &str, ip: IpAddr) -> bool {
        !self.is_restricted()
            || is_public(ip)
            || self.host_allowed(host)
            || self
                .allow
                .iter()
                .any(|a| matches!(a, Allow::Net(n) if n.contains(&canonical(ip))))
    }

    /// Checks what can be checked without resolving: the scheme, and the
    /// host when it is an address literal (which no resolver sees).
    pub fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        if !self.is_restricted() {
            return Ok(());
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => {
                self.check_literal(&ip.to_string(), IpAddr::V4(ip))?;
                ip.to_string()
            }
            Some(url::Host::Ipv6(ip)) => {
                self.check_literal(&ip.to_string(), IpAddr::V6(ip))?;
                ip.to_string()
            }
            None => return Err(OutboundError::BadUrl(url.to_string())),
        };
        if url.scheme() != "https" && !self.host_allowed(&host) {
            return Err(OutboundError::NotHttps(host));
        }
        Ok(())
    }

    fn check_literal(&self, host: &str, ip: IpAddr) -> Result<(), OutboundError> {
        if self.addr_allowed(host, ip) {
            Ok(())
        } else {
            Err(OutboundError::Internal(host.to_string()))
        }
    }

    /// Parses and checks a URL given as text.
    pub fn check_str(&self, url: &str) -> Result<Url, OutboundError> {
        let u = Url::parse(url).map_err(|_| OutboundError::BadUrl(url.to_string()))?;
        self.check_url(&u)?;
        Ok(u)
    }

    /// A `reqwest` client builder enforcing this policy: addresses checked
    /// in the resolver (at connection time), redirects checked hop by hop,
    /// and no environment proxy while restricted (a proxy would resolve
    /// and connect on our behalf, unchecked).
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let for_redirects = self.clone();
        let mut b = reqwest::Client::builder()
            .dns_resolver(Arc::new(PolicyResolver {
                policy: self.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 10 {
                    return attempt.error("too many redirects");
                }
                match for_redirects.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            }));
        if self.is_restricted() {
            b = b.no_proxy();
        }
        b
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Globally routable unicast: not loopback, private, link-local, CGNAT,
/// unique-local, multicast, broadcast, documentation or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64/10 CGNAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18/15 benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x64 && s[1] == 0xff9b)) // NAT64 reaches IPv4 space
        }
    }
}

/// Resolves with the system resolver, then keeps only allowed addresses:
/// the client connects to exactly what was checked.
struct PolicyResolver {
    policy: OutboundPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            type BoxError = Box<dyn std::error::Error + Send + Sync>;
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Box::new(e) as BoxError)?;
            let addrs: Vec<SocketAddr> = found
                .filter(|a| policy.addr_allowed(&host, a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(OutboundError::Internal(host)) as BoxError);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["140.82.112.6", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn restricted_urls() {
        let p = OutboundPolicy::restricted(vec![]);
        assert!(p.check_str("https://api.github.com/").is_ok());
        assert!(matches!(
            p.check_str("http://api.github.com/"),
            Err(OutboundError::NotHttps(_))
        ));
        for u in [
            "https://127.0.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]:8080/",
            "https://[::ffff:10.0.0.1]/",
            "https://2130706433/", // 127.0.0.1 as one number
        ] {
            assert!(
                matches!(p.check_str(u), Err(OutboundError::Internal(_))),
                "{u}"
            );
        }
        let open = OutboundPolicy::open();
        assert!(open.check_str("http://127.0.0.1:9/").is_ok());
    }

    #[test]
    fn allowlist() {
        let allow = Allow::parse_list("ghe.corp.example, 10.20.0.0/16,192.168.1.5").unwrap();
        let p = OutboundPolicy::restricted(allow);
        assert!(p.check_str("http://ghe.corp.example/api/v3").is_ok());
        assert!(p.addr_allowed("ghe.corp.example", "10.9.9.9".parse().unwrap()));
        assert!(p.addr_allowed("x", "10.20.3.4".parse().unwrap()));
        assert!(p.addr_allowed("x", "192.168.1.5".parse().unwrap()));
        assert!(!p.addr_allowed("x", "192.168.1.6".parse().unwrap()));
        assert!(Allow::parse_list("a b/c").is_err());
    }

    #[tokio::test]
    async fn the_resolver_refuses_internal_names_at_connection_time() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = OutboundPolicy::restricted(vec![]);
        let client = p.client_builder().build().unwrap();
        // `localhost` passes the URL check (a name, https) but resolves to
        // loopback: refused before any connection.
        let err = client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert!(
            format!("{err:?}").contains("Internal(\"localhost\")"),
            "{err:?}"
        );
        // The switch: the same policy opened (one tenant again) connects.
        p.switch().store(false, Ordering::Relaxed);
        let accept = tokio::spawn(async move { listener.accept().await.is_ok() });
        let _ = client
            .get(format!("http://localhost:{port}/"))
            .timeout(std::time::Duration::from_millis(300))
            .send()
            .await;
        assert!(accept.await.unwrap());
    }
}
