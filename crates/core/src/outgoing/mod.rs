//! The `http` capability (`wharf:http/outgoing`): a plugin's HTTP requests, sent only to the
//! hosts its `http_hosts` grant names, with the registry logins the host holds added on
//! request so the plugin never sees a password. Redirects are not followed: a plugin that
//! follows one sends a new request, checked like any other.
//!
//! The checks are here; carrying a request that passed them is the embedder's
//! [`Network`]: the real one in the `wharf` binary, none (or a scripted one) in the mock
//! host, so a plugin's test is refused exactly what wharf refuses.

use crate::credentials::CredentialStore;
use crate::runtime::bindings::wharf::http::outgoing::{self as o, ErrorKind, HttpError};
use crate::runtime::state::CallState;
use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Uri};
use std::time::Duration;
use wasmtime::component::HasData;

/// Past this a request is refused, whatever the plugin asks: a call has its own deadline
/// too, but a plugin should not hold a connection open for that long.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest body a plugin may ask to receive: it lands in the plugin's memory.
const MAX_BODY: u32 = 32 << 20;
/// Token services remembered per call.
const MAX_REALMS: usize = 16;

/// Where a granted request goes: `host:port`, over TLS when `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub host: String,
    pub port: u16,
    pub https: bool,
}

/// Why a request that the policy let through got no answer.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("{0}")]
    Unreachable(String),
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// The host's name led only to addresses a grant by name does not reach.
    #[error("{0}")]
    Refused(String),
}

/// Whether a host granted by *name* may be reached at `ip`. Not at a loopback or
/// unspecified address (services on the machine that listen on loopback only) nor at a
/// link-local one (169.254.169.254 is a cloud's metadata service, handing out the machine's
/// credentials): a name whose DNS answers one of those would take a plugin where its grant
/// never said. Nor at the metadata services that live outside link-local space. A
/// registry on the local network keeps its name. A grant of the address itself
/// (`127.0.0.1:5000`) admits that address.
pub fn reachable_by_name(ip: std::net::IpAddr) -> bool {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    // Alibaba Cloud's metadata service, and AWS's over IPv6.
    const METADATA: [IpAddr; 2] = [
        IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    ];
    if METADATA.contains(&ip) {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                // "This network", 0.0.0.0/8: connecting there reaches the machine itself.
                || v4.octets()[0] == 0)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => reachable_by_name(IpAddr::V4(v4)),
            None => {
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unicast_link_local())
            }
        },
    }
}

/// What carries the http capability's requests once the policy has let them through.
#[async_trait]
pub trait Network: Send + Sync {
    /// Send `request` (origin-form URI, `Host` set) to `to` and read its answer, refusing a
    /// body past `limit` bytes. Deadlines are the caller's.
    async fn exchange(
        &self,
        to: &Destination,
        request: http::Request<Bytes>,
        limit: usize,
    ) -> Result<http::Response<Vec<u8>>, NetworkError>;
}

/// No way out: every granted request fails as unreachable. The default until the embedder
/// provides one; the mock host's unless a test scripts one.
pub struct NoNetwork;

#[async_trait]
impl Network for NoNetwork {
    async fn exchange(
        &self,
        to: &Destination,
        _: http::Request<Bytes>,
        _: usize,
    ) -> Result<http::Response<Vec<u8>>, NetworkError> {
        Err(NetworkError::Unreachable(format!(
            "cannot reach {}:{}: this host has no network for plugins",
            to.host, to.port
        )))
    }
}

/// The capability's view of a call.
pub struct HttpHost<'a> {
    plugin: &'a str,
    hosts: &'a [String],
    credentials: &'a CredentialStore,
    network: &'a dyn Network,
    /// Read-only mode: requests that may change state (anything but GET and HEAD) are
    /// refused, as Docker writes are.
    read_only: bool,
    /// A dry run: the same, since it changes nothing.
    dry_run: bool,
    /// Token services the call's registries named in their 401 answers: where a
    /// registry's login may go besides the registry itself.
    realms: &'a mut Vec<Realm>,
}

/// A token service (`WWW-Authenticate: Bearer realm="..."`) a registry announced in an
/// answer the host itself received during this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realm {
    /// The registry that answered, `host:port`, over HTTPS or not.
    registry: (String, u16),
    https: bool,
    /// The realm without its query: scheme, authority, path.
    url: String,
}

/// Marker for `add_to_linker`.
pub struct HttpData;

impl HasData for HttpData {
    type Data<'a> = HttpHost<'a>;
}

impl HttpData {
    pub fn view(s: &mut CallState) -> HttpHost<'_> {
        HttpHost {
            plugin: &s.plugin,
            hosts: &s.http_hosts,
            credentials: &s.services.credentials,
            network: &*s.services.network,
            read_only: s.services.read_only,
            dry_run: s.hooks.dry_run,
            realms: &mut s.realms,
        }
    }
}

fn error(kind: ErrorKind, message: impl Into<String>) -> HttpError {
    HttpError {
        kind,
        message: message.into(),
    }
}

/// One `http_hosts` entry: `host`, `host:port`, either after `https://` or `http://`.
///
/// Without a port an entry grants the scheme's default port only (443, 80): a host granted
/// for its registry does not open every service on it (a Docker API on 2375, say). Without
/// a scheme it grants both, but a login the host holds goes over HTTPS only; an entry that
/// names `http://` says plain HTTP is meant, logins included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostGrant {
    /// `Some(true)` for `https://`, `Some(false)` for `http://`.
    https: Option<bool>,
    host: String,
    port: Option<u16>,
}

/// An `http_hosts` entry that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "http_hosts entry `{0}` is not `host`, `host:port`, `https://host[:port]` or \
     `http://host[:port]`"
)]
pub struct BadHostGrant(pub String);

impl std::str::FromStr for HostGrant {
    type Err = BadHostGrant;

    fn from_str(entry: &str) -> Result<Self, BadHostGrant> {
        let bad = || BadHostGrant(entry.to_owned());
        let trimmed = entry.trim().to_ascii_lowercase();
        let (https, rest) = if let Some(rest) = trimmed.strip_prefix("https://") {
            (Some(true), rest)
        } else if let Some(rest) = trimmed.strip_prefix("http://") {
            (Some(false), rest)
        } else {
            (None, trimmed.as_str())
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad());
        }
        let (host, port) = match rest.rsplit_once(':') {
            // An IPv6 literal's colons are inside brackets.
            Some((h, p)) if !p.contains(']') => (h, Some(p.parse::<u16>().map_err(|_| bad())?)),
            _ => (rest, None),
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(HostGrant {
            https,
            host: host.to_owned(),
            port,
        })
    }
}

impl HostGrant {
    fn admits(&self, https: bool, host: &str, port: u16) -> bool {
        self.host == host
            && self.https.is_none_or(|h| h == https)
            && self.port.unwrap_or(default_port(https)) == port
    }
}

fn default_port(https: bool) -> u16 {
    if https { 443 } else { 80 }
}

/// The entries of `hosts` that admit a request over `https` (or not) to `host:port`.
fn admitting<'h>(
    hosts: &'h [String],
    https: bool,
    host: &'h str,
    port: u16,
) -> impl Iterator<Item = HostGrant> + 'h {
    hosts
        .iter()
        .filter_map(|entry| entry.parse::<HostGrant>().ok())
        .filter(move |g| g.admits(https, host, port))
}

/// Whether `hosts` admits a request over `https` (or not) to `host:port`.
pub fn admitted(hosts: &[String], https: bool, host: &str, port: u16) -> bool {
    admitting(hosts, https, host, port).next().is_some()
}

/// Whether an entry admitting `http://host:port` names `http://`: plain HTTP meant, logins
/// and token services included.
fn plain_http_meant(hosts: &[String], host: &str, port: u16) -> bool {
    admitting(hosts, false, host, port).any(|g| g.https == Some(false))
}

/// `host[:port]` of an authority, the port defaulted by the scheme.
fn split_authority(authority: &str, https: bool) -> (String, u16) {
    let default = default_port(https);
    match authority
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
    {
        Some((h, p)) => (h.to_ascii_lowercase(), p.parse().unwrap_or(default)),
        None => (authority.to_ascii_lowercase(), default),
    }
}

impl HttpHost<'_> {
    fn refusal(&self, what: &str) -> HttpError {
        error(
            ErrorKind::Denied,
            format!(
                "plugin `{}` may not reach {what}: add it to http_hosts in [plugin.{}] of \
                 wharf.toml (granted: {})",
                self.plugin,
                self.plugin,
                if self.hosts.is_empty() {
                    "none".to_owned()
                } else {
                    self.hosts.join(", ")
                }
            ),
        )
    }

    async fn send(&mut self, req: o::Request) -> Result<o::Response, HttpError> {
        let uri: Uri = req.url.parse().map_err(|e| {
            error(
                ErrorKind::Invalid,
                format!("`{}` is not a URL: {e}", req.url),
            )
        })?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(error(
                    ErrorKind::Invalid,
                    format!("`{}` is not an absolute http:// or https:// URL", req.url),
                ));
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| error(ErrorKind::Invalid, format!("`{}` names no host", req.url)))?;
        if authority.as_str().contains('@') {
            return Err(error(
                ErrorKind::Invalid,
                "credentials in the URL are refused; the host adds logins it holds",
            ));
        }
        let (host, port) = split_authority(authority.as_str(), https);
        if !admitted(self.hosts, https, &host, port) {
            let scheme = if https { "https" } else { "http" };
            return Err(self.refusal(&format!("{scheme}://{host}:{port}")));
        }
        let method: Method = match req.method.to_ascii_uppercase().as_str() {
            m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE") => m
                .parse()
                .map_err(|_| error(ErrorKind::Invalid, "bad method"))?,
            other => {
                return Err(error(
                    ErrorKind::Invalid,
                    format!("method `{other}` is not one of GET, HEAD, POST, PUT, PATCH, DELETE"),
                ));
            }
        };
        if (self.read_only || self.dry_run) && method != Method::GET && method != Method::HEAD {
            let why = match self.read_only {
                true => "wharf is in read-only mode",
                false => "a dry run changes nothing",
            };
            return Err(error(
                ErrorKind::Denied,
                format!("{why}: the http capability sends GET and HEAD only, not {method}"),
            ));
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let mut builder = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, authority.as_str())
            .header(
                http::header::USER_AGENT,
                concat!("wharf/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in &req.headers {
            if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            if rewrites_the_request(name) {
                return Err(error(
                    ErrorKind::Invalid,
                    format!(
                        "header `{name}` is refused: it asks a server or proxy to take the \
                         request for another host, scheme or method than the one checked"
                    ),
                ));
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(registry) = &req.credentials_for {
            let (rhost, rport) = split_authority(registry, https);
            // A login goes to its own registry, or to a token service that registry named
            // to this host in this call; never to another host the plugin may reach.
            let own = same_registry(&rhost, &host) && rport == port;
            let realm = without_query(&uri);
            let announced = self.realms.iter().any(|r| {
                // The registry's port as the registry was reached, not as this URL is.
                let (_, registry_port) = split_authority(registry, r.https);
                same_registry(&r.registry.0, &rhost)
                    && r.registry.1 == registry_port
                    && r.url == realm
            });
            if !own && !announced {
                return Err(error(
                    ErrorKind::Denied,
                    format!(
                        "the login for {registry} goes only to {registry} and the token \
                         service it names, not to {host}:{port}"
                    ),
                ));
            }
            if !https && !plain_http_meant(self.hosts, &host, port) {
                return Err(error(
                    ErrorKind::Denied,
                    format!(
                        "the login for {registry} is sent over HTTPS only; to send it over plain \
                         HTTP, grant `http://{host}:{port}` in http_hosts of [plugin.{}]",
                        self.plugin
                    ),
                ));
            }
            let found = self
                .credentials
                .for_registry(registry)
                .await
                .map_err(|e| error(ErrorKind::Invalid, e.message))?;
            if let Some(found) = found {
                let user = found.auth.username.unwrap_or_default();
                let password = found.auth.password.unwrap_or_default();
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                builder = builder.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
            }
        }
        let request = builder
            .body(Bytes::from(req.body))
            .map_err(|e| error(ErrorKind::Invalid, format!("the request is malformed: {e}")))?;
        let timeout = Duration::from_millis(u64::from(req.timeout_ms)).min(MAX_TIMEOUT);
        let limit = req.max_body.min(MAX_BODY) as usize;
        let to = Destination {
            host: host.clone(),
            port,
            https,
        };
        let exchange = async {
            let response =
                self.network
                    .exchange(&to, request, limit)
                    .await
                    .map_err(|e| match e {
                        NetworkError::Unreachable(m) => error(ErrorKind::Unreachable, m),
                        NetworkError::TooLarge(limit) => error(
                            ErrorKind::TooLarge,
                            format!("the response from {host} is larger than {limit} bytes"),
                        ),
                        NetworkError::Refused(m) => error(ErrorKind::Denied, m),
                    })?;
            let (parts, body) = response.into_parts();
            // Only an answer no one on the path could have written names where a login may
            // go: over HTTPS, or from a host granted as plain HTTP on purpose.
            let trusted = https || plain_http_meant(self.hosts, &host, port);
            if parts.status == http::StatusCode::UNAUTHORIZED && trusted {
                let announced = parts
                    .headers
                    .get_all(http::header::WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .filter_map(bearer_realm);
                for url in announced {
                    let realm = Realm {
                        registry: (host.clone(), port),
                        https,
                        url,
                    };
                    // A registry names one or two; the cap keeps a hostile one from
                    // growing the host's memory with every answer.
                    if !self.realms.contains(&realm) && self.realms.len() < MAX_REALMS {
                        self.realms.push(realm);
                    }
                }
            }
            Ok(o::Response {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(error(
                ErrorKind::Timeout,
                format!(
                    "{host}:{port} did not answer within {} ms",
                    timeout.as_millis()
                ),
            )),
        }
    }
}

/// Docker Hub answers under several names; a login for one is a login for all.
fn same_registry(a: &str, b: &str) -> bool {
    let hub = |h: &str| {
        matches!(
            h,
            "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
        )
    };
    a == b || (hub(a) && hub(b))
}

/// `scheme://authority/path` of a URI: a token service is named without the query its
/// client adds.
fn without_query(uri: &Uri) -> String {
    format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or_default(),
        uri.authority()
            .map_or("", |a| a.as_str())
            .to_ascii_lowercase(),
        uri.path()
    )
}

/// The `name=value` parameters of a challenge (RFC 9110 auth-param), values unquoted: a
/// `realm="..."` inside another parameter's quoted value is not the realm.
fn auth_params(params: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let Some((name, after)) = rest.split_once('=') else {
            break;
        };
        let name = name.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let Some(end) = end else {
                break;
            };
            (value, &quoted[end..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        out.push((name, value));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// Headers that ask a server or a proxy in front of it to act for another host, scheme or
/// method: with them a plugin could make a registry name the plugin's own server as its
/// token service, or turn a GET into a DELETE past read-only mode.
fn rewrites_the_request(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "forwarded"
        || name.starts_with("x-forwarded-")
        || matches!(
            name.as_str(),
            "x-original-host"
                | "x-original-url"
                | "x-rewrite-url"
                | "x-host"
                | "x-http-method-override"
                | "x-http-method"
                | "x-method-override"
        )
        || (name.starts_with("x-") && name.ends_with("-override-base-url"))
}

/// The realm of a `Bearer` challenge, as an absolute http(s) URL without its query.
fn bearer_realm(challenge: &str) -> Option<String> {
    let (scheme, params) = challenge.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let realm = auth_params(params)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("realm"))?
        .1;
    let uri: Uri = realm.parse().ok()?;
    matches!(uri.scheme_str(), Some("http" | "https")).then(|| without_query(&uri))
}

impl o::Host for HttpHost<'_> {
    async fn send(
        &mut self,
        request: o::Request,
    ) -> wasmtime::Result<Result<o::Response, HttpError>> {
        Ok(HttpHost::send(self, request).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_never_leads_to_the_machine_itself_or_a_metadata_service() {
        for refused in [
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "::1",
            "::",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "100.100.100.200",
            "fd00:ec2::254",
            "::ffff:100.100.100.200",
        ] {
            assert!(!reachable_by_name(refused.parse().unwrap()), "{refused}");
        }
        for reached in [
            "1.1.1.1",
            "10.1.2.3",
            "192.168.1.5",
            "fd00::1",
            "fd00:ec2::253",
            "100.100.100.201",
            "2606:4700::1111",
        ] {
            assert!(reachable_by_name(reached.parse().unwrap()), "{reached}");
        }
    }

    fn admitted(hosts: &[&str], https: bool, host: &str, port: u16) -> bool {
        let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        super::admitted(&hosts, https, host, port)
    }

    #[test]
    fn a_grant_without_a_port_admits_the_default_port_only() {
        let hosts = ["127.0.0.1:5000", "Registry.Example.com"];
        assert!(admitted(&hosts, false, "127.0.0.1", 5000));
        assert!(admitted(&hosts, true, "127.0.0.1", 5000));
        assert!(!admitted(&hosts, false, "127.0.0.1", 5001));
        assert!(admitted(&hosts, true, "registry.example.com", 443));
        assert!(admitted(&hosts, false, "registry.example.com", 80));
        // Granted for its registry, a host does not open its Docker API.
        assert!(!admitted(&["127.0.0.1"], false, "127.0.0.1", 2375));
        assert!(!admitted(&hosts, true, "registry.example.com", 8443));
        assert!(!admitted(&hosts, true, "evil.example.com", 443));
        assert!(!admitted(&[], false, "127.0.0.1", 80));
    }

    #[test]
    fn a_scheme_in_a_grant_admits_that_scheme_only() {
        assert!(admitted(&["https://r.example"], true, "r.example", 443));
        assert!(!admitted(&["https://r.example"], false, "r.example", 80));
        assert!(admitted(
            &["http://127.0.0.1:5000"],
            false,
            "127.0.0.1",
            5000
        ));
        assert!(!admitted(
            &["http://127.0.0.1:5000"],
            true,
            "127.0.0.1",
            5000
        ));
        assert!(admitted(&["http://[::1]:5000"], false, "[::1]", 5000));
    }

    #[test]
    fn unreadable_grants_are_errors_naming_the_entry() {
        for bad in [
            "", "ftp://x", "x/path", "user@x", "x:port", "x:99999", "https://",
        ] {
            let e = bad.parse::<HostGrant>().unwrap_err();
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
        assert_eq!(
            "HTTP://R.example:5000/".parse::<HostGrant>().unwrap(),
            HostGrant {
                https: Some(false),
                host: "r.example".into(),
                port: Some(5000)
            }
        );
    }

    #[test]
    fn bearer_challenges_name_their_realm() {
        assert_eq!(
            bearer_realm(
                r#"Bearer realm="https://auth.docker.io/token?x=1",service="registry.docker.io""#
            )
            .as_deref(),
            Some("https://auth.docker.io/token")
        );
        assert_eq!(bearer_realm(r#"Basic realm="Registry""#), None);
        // Only the parameter named realm, not one that contains the words.
        assert_eq!(
            bearer_realm(
                r#"Bearer service="x realm=\"https://evil.example/t\"",xrealm="https://evil.example/u",realm="https://auth.example/token""#
            )
            .as_deref(),
            Some("https://auth.example/token")
        );
        assert_eq!(
            bearer_realm(r#"Bearer xrealm="https://evil.example/u""#),
            None
        );
        assert_eq!(bearer_realm(r#"Bearer realm="file:///etc/passwd""#), None);
        assert_eq!(bearer_realm("Bearer"), None);
    }

    #[test]
    fn headers_that_redirect_or_rewrite_a_request_are_named() {
        for h in [
            "Forwarded",
            "X-Forwarded-Host",
            "x-forwarded-proto",
            "X-HTTP-Method-Override",
            "X-Artifactory-Override-Base-Url",
        ] {
            assert!(rewrites_the_request(h), "{h}");
        }
        for h in ["accept", "authorization", "x-request-id"] {
            assert!(!rewrites_the_request(h), "{h}");
        }
    }

    #[test]
    fn docker_hub_is_one_registry_under_its_names() {
        assert!(same_registry("docker.io", "registry-1.docker.io"));
        assert!(!same_registry("docker.io", "docker.io.evil.example"));
        assert!(!same_registry("a.example", "b.example"));
    }

    #[test]
    fn authorities_split_with_scheme_defaults() {
        assert_eq!(
            split_authority("Example.com", true),
            ("example.com".into(), 443)
        );
        assert_eq!(
            split_authority("example.com:8080", false),
            ("example.com".into(), 8080)
        );
        assert_eq!(
            split_authority("example.com", false),
            ("example.com".into(), 80)
        );
    }
    /// A registry on HTTPS whose token service is elsewhere; it records what it was sent.
    #[derive(Default)]
    struct TokenRegistry {
        sent: std::sync::Mutex<Vec<(String, Option<String>)>>,
    }

    #[async_trait]
    impl Network for TokenRegistry {
        async fn exchange(
            &self,
            to: &Destination,
            request: http::Request<Bytes>,
            _: usize,
        ) -> Result<http::Response<Vec<u8>>, NetworkError> {
            let login = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_owned());
            self.sent
                .lock()
                .unwrap()
                .push((format!("{}{}", to.host, request.uri()), login));
            let answer = http::Response::builder();
            Ok(match to.host.as_str() {
                "registry.example" | "evil.example" => answer.status(401).header(
                    "www-authenticate",
                    r#"Bearer realm="https://auth.example/token",service="registry.example""#,
                ),
                _ => answer.status(200),
            }
            .body(Vec::new())
            .unwrap())
        }
    }

    fn get(url: &str, login: Option<&str>) -> o::Request {
        o::Request {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            credentials_for: login.map(str::to_owned),
            max_body: 1024,
            timeout_ms: 1000,
        }
    }

    /// The token flow: a registry's login goes to the token service the registry named in
    /// its own 401, and to nothing else, even a service another host named.
    #[tokio::test]
    async fn a_login_follows_only_the_token_service_its_registry_named() {
        let network = TokenRegistry::default();
        let credentials = CredentialStore::new(std::collections::BTreeMap::from([(
            "registry.example".to_owned(),
            crate::credentials::Login {
                username: "alice".into(),
                password: Some("s3cret".into()),
                password_env: None,
            },
        )]));
        let hosts = ["registry.example", "auth.example", "evil.example"].map(str::to_owned);
        let mut realms = Vec::new();
        let mut host = HttpHost {
            plugin: "t",
            hosts: &hosts,
            credentials: &credentials,
            network: &network,
            read_only: false,
            dry_run: false,
            realms: &mut realms,
        };
        let token = "https://auth.example/token?scope=repository:x:pull";
        // Before any registry named it, the token service gets no login.
        let e = host
            .send(get(token, Some("registry.example")))
            .await
            .unwrap_err();
        assert!(
            e.message.contains("goes only to registry.example"),
            "{}",
            e.message
        );
        // Another granted host naming it does not make it the registry's.
        host.send(get("https://evil.example/v2/", None))
            .await
            .unwrap();
        assert!(
            host.send(get(token, Some("registry.example")))
                .await
                .is_err()
        );
        // Its answer over plain HTTP, which anyone on the path could have written, does not.
        host.send(get("http://registry.example/v2/", None))
            .await
            .unwrap();
        assert!(
            host.send(get(token, Some("registry.example")))
                .await
                .is_err()
        );
        // A header asking a proxy to answer for another host is refused outright.
        let mut forwarded = get("https://registry.example/v2/", None);
        forwarded
            .headers
            .push(("X-Forwarded-Host".into(), "evil.example".into()));
        let e = host.send(forwarded).await.unwrap_err();
        assert!(
            e.message.contains("`X-Forwarded-Host` is refused"),
            "{}",
            e.message
        );
        // The registry itself names it: the login follows, to that path only.
        let r = host
            .send(get("https://registry.example/v2/", None))
            .await
            .unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(
            host.send(get(token, Some("registry.example")))
                .await
                .unwrap()
                .status,
            200
        );
        let elsewhere = "https://auth.example/other";
        assert!(
            host.send(get(elsewhere, Some("registry.example")))
                .await
                .is_err()
        );

        let sent = network.sent.lock().unwrap().clone();
        let with_login: Vec<_> = sent.iter().filter(|(_, l)| l.is_some()).collect();
        assert_eq!(with_login.len(), 1, "{sent:?}");
        assert!(
            with_login[0].0.starts_with("auth.example/token?"),
            "{sent:?}"
        );
        // "alice:s3cret"
        assert_eq!(with_login[0].1.as_deref(), Some("Basic YWxpY2U6czNjcmV0"));
    }
}
