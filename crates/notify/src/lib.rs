//! # supportdesk-notify
//!
//! What leaves the service: [`HttpWebhookSender`], the [`WebhookSender`] that posts signed
//! deliveries with `reqwest`: a timeout per attempt, no redirects followed, at most
//! [`MAX_RESPONSE_BYTES`] of a response read, and the SSRF rules: loopback, private,
//! link-local and other non-public addresses are refused at registration and again at
//! delivery, after DNS resolution (the client's resolver drops them, so a name that
//! resolves differently the second time gains nothing), unless the operator allows them.

mod mail;

pub use mail::{SandboxedRenderer, SmtpMailer};

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use supportdesk_app::{SendOutcome, WebhookRequest, WebhookSender, WebhookUrl};

/// How much of a response body is read before the connection is dropped.
pub const MAX_RESPONSE_BYTES: usize = 4096;

/// The sender's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderSettings {
    /// How long one attempt may take, connect to last byte read (10 seconds).
    pub timeout: Duration,
    /// Whether private, loopback and link-local destinations are allowed
    /// (`SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE`, for tests and closed networks).
    pub allow_private: bool,
}

impl Default for SenderSettings {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(10), allow_private: false }
    }
}

/// Whether `ip` is a public unicast address a webhook may go to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            // IPv4-compatible (`::a.b.c.d`, deprecated but still routed by some stacks).
            if segments[..6].iter().all(|s| *s == 0) && !v6.is_loopback() && !v6.is_unspecified() {
                if let Some(v4) = v6.to_ipv4() {
                    return is_public(IpAddr::V4(v4));
                }
            }
            let first = segments[0];
            // 6to4 (2002::/16) and Teredo (2001::/32) tunnel to IPv4 addresses of their own
            // choosing: refused, as relays could reach private networks.
            if first == 0x2002 || (first == 0x2001 && segments[1] == 0) {
                return false;
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || (first & 0xffc0) == 0xfec0
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b))
        }
    }
}

/// Resolves names for the client and drops the addresses the SSRF rules refuse.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Posts webhook deliveries over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpWebhookSender {
    client: reqwest::Client,
    settings: SenderSettings,
}

impl HttpWebhookSender {
    /// A sender with its own connection pool.
    ///
    /// # Errors
    ///
    /// When the TLS backend cannot be set up.
    pub fn new(settings: SenderSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the webhook's host itself, past the guarded resolver.
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private }))
            .user_agent(concat!("supportdesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, settings })
    }

    /// Refuses a URL whose host is a literal address the rules refuse (names are checked
    /// by the resolver).
    fn check_literal(&self, url: &Url) -> Result<(), String> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err("the URL names no host".into()),
        };
        if self.settings.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(format!("{ip} is not a public address (loopback, private and link-local addresses are refused)"))
        }
    }
}

/// The error and its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn check_destination(&self, url: &WebhookUrl) -> Result<(), String> {
        let parsed = Url::parse(url.as_str()).map_err(|e| format!("is not a valid URL: {e}"))?;
        self.check_literal(&parsed)?;
        let Some(url::Host::Domain(host)) = parsed.host() else { return Ok(()) };
        let port = parsed.port_or_known_default().unwrap_or(443);
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("the host {host} does not resolve"))?
            .collect();
        if found.is_empty() {
            return Err(format!("the host {host} does not resolve"));
        }
        match found.iter().find(|a| !self.settings.allow_private && !is_public(a.ip())) {
            Some(private) => Err(format!(
                "the host {host} resolves to {}, which is not a public address (loopback, private and link-local \
                 addresses are refused)",
                private.ip()
            )),
            None => Ok(()),
        }
    }

    async fn send(&self, request: &WebhookRequest) -> SendOutcome {
        let started = Instant::now();
        let failed = |error: String| SendOutcome { status: None, duration: started.elapsed(), error: Some(error) };
        let url = match Url::parse(request.url.as_str()) {
            Ok(url) => url,
            Err(e) => return failed(format!("invalid URL: {e}")),
        };
        if let Err(refused) = self.check_literal(&url) {
            return failed(refused);
        }
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &request.id)
            .header("webhook-timestamp", request.timestamp.to_string())
            .header("webhook-signature", &request.signature)
            .body(request.body.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return failed(format!("timed out after {} s", self.settings.timeout.as_secs()))
            }
            Err(e) => return failed(chain(&e)),
        };
        let status = response.status();
        // Read a few KiB at most: the body is only for the delivery log's error.
        let mut body = Vec::new();
        while body.len() < MAX_RESPONSE_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(MAX_RESPONSE_BYTES);
        let error = if status.is_success() {
            None
        } else if status.is_redirection() {
            Some(format!("HTTP {}: redirects are not followed", status.as_u16()))
        } else {
            let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            Some(format!("HTTP {}: {}", status.as_u16(), text.trim()))
        };
        SendOutcome { status: Some(status.as_u16()), duration: started.elapsed(), error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_link_local_and_reserved_addresses_are_not_public() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
            "::7f00:1",
            "::a00:1",
            "2002:c0a8:101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            let ip: IpAddr = refused.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
            assert!(!is_public(ip), "{refused}");
        }
        for allowed in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"] {
            let ip: IpAddr = allowed.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
            assert!(is_public(ip), "{allowed}");
        }
    }
}
