//! A registry client: GET requests with authentication (answering 401s once) and redirects
//! (followed here, since the host follows none), over a [`Transport`] so that all of it runs
//! in native unit tests against a scripted fake.

use crate::args::Registry;
use crate::auth::{self, Auth};
use crate::errors;
use crate::url::Url;
use std::cell::RefCell;
use wharf_plugin_sdk::http::{HttpError, Request, Response};
use wharf_plugin_sdk::{ToolError, ToolResult};

/// Manifests, configs, catalogs and tag lists are small JSON (a 1000-tag page is ~20 KiB);
/// the cap keeps a broken or hostile registry from filling the plugin's memory.
pub const MAX_BODY: u32 = 4 << 20;
pub const TIMEOUT_MS: u32 = 30_000;
/// As docker and most HTTP clients: enough for a registry's blob store and CDN hops.
const MAX_REDIRECTS: usize = 5;

/// Sends one HTTP request. The host does it in the plugin; tests script it.
pub trait Transport {
    fn send(&self, request: &Request) -> Result<Response, HttpError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: &Request) -> Result<Response, HttpError> {
        (**self).send(request)
    }
}

/// The host's `wharf:http/outgoing`.
pub struct HostTransport;

impl Transport for HostTransport {
    fn send(&self, request: &Request) -> Result<Response, HttpError> {
        wharf_plugin_sdk::http::send(request)
    }
}

/// The first value of a response header; the host gives names in lower case, but a test or
/// another host might not.
pub fn header<'r>(resp: &'r Response, name: &str) -> Option<&'r str> {
    header_values(resp, name).next()
}

pub fn header_values<'r>(resp: &'r Response, name: &str) -> impl Iterator<Item = &'r str> {
    resp.headers
        .iter()
        .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub struct Client<'a, T> {
    transport: T,
    registry: Registry,
    /// Kept across the requests of one call: a token for the repository serves the
    /// manifest, the index entry and the config blob alike.
    auth: RefCell<Auth>,
    cancelled: Option<&'a dyn Fn() -> bool>,
}

impl<'a, T: Transport> Client<'a, T> {
    pub fn new(transport: T, registry: Registry) -> Self {
        Client {
            transport,
            registry,
            auth: RefCell::new(Auth::Anonymous),
            cancelled: None,
        }
    }

    /// Stop before the next request once this says the client cancelled.
    pub fn cancel_with(mut self, cancelled: &'a dyn Fn() -> bool) -> Self {
        self.cancelled = Some(cancelled);
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// GET `path` (from `/v2/`) on the registry and return a 2xx answer; anything else is an
    /// error that says what to do. `scope` is the token scope to ask for when the registry's
    /// challenge names none; `what` names the object in messages.
    pub fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        scope: &str,
        what: &str,
    ) -> ToolResult<Response> {
        let mut url = self
            .registry
            .base
            .with_path(path)
            .map_err(|e| ToolError::failed(format!("bad request path: {e}")))?;
        let mut redirects = 0;
        let mut answered_challenge = false;
        loop {
            if self.cancelled.is_some_and(|c| c()) {
                return Err(ToolError::cancelled());
            }
            let on_registry = url.same_origin(&self.registry.base);
            let request = self.request(&url, accept, on_registry);
            let resp = self
                .transport
                .send(&request)
                .map_err(|e| errors::transport(e, &url, &self.registry))?;
            match resp.status {
                200..=299 => return Ok(resp),
                301 | 302 | 303 | 307 | 308 => {
                    redirects += 1;
                    if redirects > MAX_REDIRECTS {
                        return Err(ToolError::failed(format!(
                            "more than {MAX_REDIRECTS} redirects fetching {what}; last to {url}"
                        )));
                    }
                    url = next_location(&url, &resp)?;
                }
                401 if on_registry && !answered_challenge => {
                    answered_challenge = true;
                    let auth = auth::respond(&self.transport, &self.registry, &resp, scope, what)?;
                    *self.auth.borrow_mut() = auth;
                }
                401 if on_registry => return Err(self.refused(&resp, what)),
                _ => return Err(errors::status(&resp, &url, &self.registry, what)),
            }
        }
    }

    /// The login (host-added Basic, or our Bearer token) only ever goes to the registry's
    /// own origin: a redirect to a blob store or CDN gets neither, as its signed URL is
    /// its authorisation.
    fn request(&self, url: &Url, accept: Option<&str>, on_registry: bool) -> Request {
        let mut headers = Vec::new();
        if let Some(accept) = accept {
            headers.push(("accept".to_owned(), accept.to_owned()));
        }
        let mut credentials_for = None;
        if on_registry {
            match &*self.auth.borrow() {
                Auth::Anonymous => {}
                Auth::Basic => credentials_for = Some(self.registry.authority().to_owned()),
                Auth::Bearer(token) => {
                    headers.push(("authorization".to_owned(), format!("Bearer {token}")));
                }
            }
        }
        Request {
            method: "GET".into(),
            url: url.to_string(),
            headers,
            body: Vec::new(),
            credentials_for,
            max_body: MAX_BODY,
            timeout_ms: TIMEOUT_MS,
        }
    }

    fn refused(&self, resp: &Response, what: &str) -> ToolError {
        let scope_too_narrow = header_values(resp, "www-authenticate")
            .flat_map(auth::parse_challenges)
            .any(|c| c.param("error") == Some("insufficient_scope"));
        if scope_too_narrow && matches!(&*self.auth.borrow(), Auth::Bearer(_)) {
            errors::insufficient_scope(&self.registry, what)
        } else {
            errors::refused(&self.registry, &self.registry.name, what)
        }
    }
}

fn next_location(from: &Url, resp: &Response) -> ToolResult<Url> {
    let location = header(resp, "location").ok_or_else(|| {
        ToolError::failed(format!(
            "{} answered {} without a Location to follow",
            from.authority(),
            resp.status
        ))
    })?;
    from.join(location).map_err(|e| {
        ToolError::failed(format!(
            "{} redirected to an unusable location: {e}",
            from.authority()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fake, reply};
    use wharf_plugin_sdk::ErrorKind;
    use wharf_plugin_sdk::http::ErrorKind as HttpErrorKind;

    const MANIFEST: &str = "https://reg.example/v2/team/app/manifests/1";
    const SCOPE: &str = "repository:team/app:pull";

    fn client<'a>(fake: &'a Fake) -> Client<'a, &'a Fake> {
        Client::new(fake, Registry::parse("reg.example").unwrap())
    }

    fn get(c: &Client<'_, &Fake>) -> ToolResult<Response> {
        c.get(
            "/v2/team/app/manifests/1",
            Some("application/json"),
            SCOPE,
            "manifest team/app:1",
        )
    }

    fn auth_header(r: &Request) -> Option<&str> {
        r.headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn anonymous_success_sends_no_credentials() {
        let fake = Fake::new().on(MANIFEST, reply(200, &[], "{}"));
        let r = get(&client(&fake)).unwrap();
        assert_eq!(r.body, b"{}");
        let sent = fake.done();
        assert_eq!(sent[0].credentials_for, None);
        assert_eq!(auth_header(&sent[0]), None);
        assert_eq!(sent[0].max_body, MAX_BODY);
        assert_eq!(sent[0].timeout_ms, TIMEOUT_MS);
        assert_eq!(sent[0].method, "GET");
    }

    #[test]
    fn basic_challenge_retries_once_with_the_hosts_login() {
        let fake = Fake::new()
            .on(
                MANIFEST,
                reply(
                    401,
                    &[("www-authenticate", r#"Basic realm="Registry""#)],
                    "",
                ),
            )
            .on(MANIFEST, reply(200, &[], "ok"))
            .on(MANIFEST, reply(200, &[], "again"));
        let c = client(&fake);
        assert_eq!(get(&c).unwrap().body, b"ok");
        // The login is remembered for the call's next request: no second 401 round.
        assert_eq!(get(&c).unwrap().body, b"again");
        let sent = fake.done();
        assert_eq!(sent[0].credentials_for, None);
        assert_eq!(sent[1].credentials_for.as_deref(), Some("reg.example"));
        assert_eq!(sent[2].credentials_for.as_deref(), Some("reg.example"));
        assert_eq!(
            auth_header(&sent[1]),
            None,
            "the host adds the Basic header"
        );
    }

    #[test]
    fn basic_refused_twice_says_docker_login() {
        let challenge = [("www-authenticate", r#"Basic realm="Registry""#)];
        let fake = Fake::new()
            .on(MANIFEST, reply(401, &challenge, ""))
            .on(MANIFEST, reply(401, &challenge, ""));
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(
            e.message.contains("Run `docker login reg.example`"),
            "{}",
            e.message
        );
        assert_eq!(fake.done().len(), 2, "exactly one retry");
    }

    #[test]
    fn bearer_challenge_fetches_a_token_and_retries() {
        let challenge = r#"Bearer realm="https://auth.example/token",service="reg.example",scope="repository:team/app:pull""#;
        let token_url =
            "https://auth.example/token?service=reg.example&scope=repository%3Ateam%2Fapp%3Apull";
        let fake = Fake::new()
            .on(MANIFEST, reply(401, &[("WWW-Authenticate", challenge)], ""))
            .on(token_url, reply(200, &[], r#"{"token":"tok"}"#))
            .on(MANIFEST, reply(200, &[], "ok"));
        assert_eq!(get(&client(&fake)).unwrap().body, b"ok");
        let sent = fake.done();
        // The token request carries the user's login (added by the host), the retry the token.
        assert_eq!(sent[1].credentials_for.as_deref(), Some("reg.example"));
        assert_eq!(auth_header(&sent[1]), None);
        assert_eq!(auth_header(&sent[2]), Some("Bearer tok"));
        assert_eq!(sent[2].credentials_for, None);
    }

    #[test]
    fn bearer_without_scope_asks_for_the_default_and_reads_access_token() {
        let fake = Fake::new()
            .on(
                MANIFEST,
                reply(
                    401,
                    &[("www-authenticate", "Bearer realm=https://auth.example/t")],
                    "",
                ),
            )
            .on(
                "https://auth.example/t?scope=repository%3Ateam%2Fapp%3Apull",
                reply(200, &[], r#"{"access_token":"oauth"}"#),
            )
            .on(MANIFEST, reply(200, &[], "ok"));
        get(&client(&fake)).unwrap();
        assert_eq!(auth_header(&fake.done()[2]), Some("Bearer oauth"));
    }

    #[test]
    fn token_service_refusing_the_login_is_denied() {
        let fake = Fake::new()
            .on(
                MANIFEST,
                reply(
                    401,
                    &[(
                        "www-authenticate",
                        r#"Bearer realm="https://auth.example/t""#,
                    )],
                    "",
                ),
            )
            .on(
                "https://auth.example/t?scope=repository%3Ateam%2Fapp%3Apull",
                reply(401, &[], r#"{"details":"incorrect username or password"}"#),
            );
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(
            e.message
                .starts_with("the token service auth.example refused"),
            "{}",
            e.message
        );
        assert!(e.message.contains("docker login reg.example"));
    }

    #[test]
    fn bearer_token_refused_by_the_registry() {
        let challenge = r#"Bearer realm="https://auth.example/t",scope="repository:team/app:pull""#;
        let denied = r#"Bearer realm="https://auth.example/t",scope="repository:team/app:pull",error="insufficient_scope""#;
        let token = "https://auth.example/t?scope=repository%3Ateam%2Fapp%3Apull";
        let fake = Fake::new()
            .on(MANIFEST, reply(401, &[("www-authenticate", challenge)], ""))
            .on(token, reply(200, &[], r#"{"token":"anon"}"#))
            .on(MANIFEST, reply(401, &[("www-authenticate", denied)], ""));
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(
            e.message.contains("does not exist, or it is private"),
            "{}",
            e.message
        );
        fake.done();

        let fake = Fake::new()
            .on(MANIFEST, reply(401, &[("www-authenticate", challenge)], ""))
            .on(token, reply(200, &[], r#"{"token":"t"}"#))
            .on(MANIFEST, reply(401, &[("www-authenticate", challenge)], ""));
        let e = get(&client(&fake)).unwrap_err();
        assert!(
            e.message.contains("rejected the login wharf holds"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_or_missing_challenges_are_errors() {
        let fake = Fake::new().on(MANIFEST, reply(401, &[], ""));
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(e.message.contains("without saying how"));
        let fake = Fake::new().on(
            MANIFEST,
            reply(401, &[("www-authenticate", "Negotiate")], ""),
        );
        let e = get(&client(&fake)).unwrap_err();
        assert!(e.message.contains("negotiate"), "{}", e.message);
    }

    #[test]
    fn redirects_are_followed_and_relative_locations_resolved() {
        let fake = Fake::new()
            .on(MANIFEST, reply(307, &[("location", "../other/1")], ""))
            .on(
                "https://reg.example/v2/team/app/other/1",
                reply(302, &[("location", "/v2/final")], ""),
            )
            .on("https://reg.example/v2/final", reply(200, &[], "ok"));
        assert_eq!(get(&client(&fake)).unwrap().body, b"ok");
        fake.done();
    }

    #[test]
    fn credentials_never_follow_a_redirect_to_another_host() {
        let blob = "https://reg.example/v2/team/app/blobs/sha256:aa";
        let cdn = "https://cdn.example/blob?sig=x";
        let challenge = r#"Bearer realm="https://auth.example/t""#;
        let fake = Fake::new()
            .on(blob, reply(401, &[("www-authenticate", challenge)], ""))
            .on(
                "https://auth.example/t?scope=repository%3Ateam%2Fapp%3Apull",
                reply(200, &[], r#"{"token":"secret"}"#),
            )
            .on(blob, reply(307, &[("location", cdn)], ""))
            .on(
                cdn,
                reply(301, &[("location", "https://reg.example:443/back")], ""),
            )
            .on("https://reg.example:443/back", reply(200, &[], "data"));
        let c = client(&fake);
        let r = c
            .get("/v2/team/app/blobs/sha256:aa", None, SCOPE, "blob")
            .unwrap();
        assert_eq!(r.body, b"data");
        let sent = fake.done();
        assert_eq!(auth_header(&sent[2]), Some("Bearer secret"));
        assert_eq!(auth_header(&sent[3]), None, "no token to the CDN");
        assert_eq!(sent[3].credentials_for, None);
        // Back on the registry's origin the token is sent again.
        assert_eq!(auth_header(&sent[4]), Some("Bearer secret"));

        // Basic: the host-added login stays on the registry too, also across schemes.
        let fake = Fake::new()
            .on(
                MANIFEST,
                reply(401, &[("www-authenticate", "Basic realm=r")], ""),
            )
            .on(
                MANIFEST,
                reply(
                    302,
                    &[("location", "http://reg.example/v2/team/app/manifests/1")],
                    "",
                ),
            )
            .on(
                "http://reg.example/v2/team/app/manifests/1",
                reply(200, &[], "ok"),
            );
        get(&client(&fake)).unwrap();
        let sent = fake.done();
        assert_eq!(sent[1].credentials_for.as_deref(), Some("reg.example"));
        assert_eq!(sent[2].credentials_for, None);
    }

    #[test]
    fn a_401_off_the_registry_is_not_answered_with_credentials() {
        let fake = Fake::new()
            .on(
                MANIFEST,
                reply(307, &[("location", "https://cdn.example/x")], ""),
            )
            .on(
                "https://cdn.example/x",
                reply(401, &[("www-authenticate", "Basic realm=cdn")], ""),
            );
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(
            e.message.starts_with("cdn.example refused"),
            "{}",
            e.message
        );
        assert_eq!(fake.done().len(), 2);
    }

    #[test]
    fn redirect_limits_and_bad_locations() {
        let mut fake = Fake::new();
        for _ in 0..6 {
            fake = fake.on(MANIFEST, reply(302, &[("location", MANIFEST)], ""));
        }
        let e = get(&client(&fake)).unwrap_err();
        assert!(
            e.message.starts_with("more than 5 redirects"),
            "{}",
            e.message
        );
        assert_eq!(fake.done().len(), 6);

        let fake = Fake::new().on(MANIFEST, reply(302, &[], ""));
        assert!(
            get(&client(&fake))
                .unwrap_err()
                .message
                .contains("without a Location")
        );
        let fake = Fake::new().on(MANIFEST, reply(302, &[("location", "ftp://x/y")], ""));
        assert!(
            get(&client(&fake))
                .unwrap_err()
                .message
                .contains("unusable location")
        );
    }

    #[test]
    fn host_errors_and_statuses_are_mapped() {
        let fake = Fake::new().on(
            MANIFEST,
            Err(HttpError {
                kind: HttpErrorKind::Denied,
                message: "not granted".into(),
            }),
        );
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Denied);
        assert!(
            e.message
                .contains("http_hosts in [plugin.registry] of wharf.toml")
        );
        let fake = Fake::new().on(
            MANIFEST,
            reply(
                404,
                &[],
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        );
        let e = get(&client(&fake)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(
            e.message,
            "manifest team/app:1 not found in reg.example: MANIFEST_UNKNOWN (manifest unknown)"
        );
    }

    #[test]
    fn cancellation_stops_before_the_next_request() {
        let yes = || true;
        let fake = Fake::new();
        let c = client(&fake).cancel_with(&yes);
        assert_eq!(get(&c).unwrap_err().kind, ErrorKind::Cancelled);
        assert!(fake.done().is_empty());
    }
}
