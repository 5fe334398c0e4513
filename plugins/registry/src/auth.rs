//! Answering a registry's 401: parsing `WWW-Authenticate`, and either asking the host to add
//! the user's login (Basic) or fetching a Bearer token from the registry's token service.
//! The plugin never sees a password: the host adds it when `credentials-for` names the
//! registry.

use crate::args::Registry;
use crate::client::{MAX_BODY, TIMEOUT_MS, Transport, header_values};
use crate::errors;
use crate::url::{Scheme, Url};
use serde::Deserialize;
use wharf_plugin_sdk::http::{Request, Response};
use wharf_plugin_sdk::{ErrorKind, ToolError, ToolResult};

/// How requests to the registry authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    Anonymous,
    /// The host adds `Authorization: Basic` with the login it holds for the registry.
    Basic,
    Bearer(String),
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// Lower case: schemes are case-insensitive.
    pub scheme: String,
    /// Parameter names in lower case, values unquoted.
    pub params: Vec<(String, String)>,
    /// The `token68` form some schemes use instead of parameters.
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every challenge of a `WWW-Authenticate` value (RFC 9110 section 11.6.1): several may
/// share one header, separated by the same commas that separate parameters, and quoted
/// values may hold commas and escaped quotes. Anything unparsable is skipped, never fatal.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut c = Cursor {
        s: header.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    loop {
        c.skip(|b| is_space(b) || b == b',');
        if c.done() {
            break;
        }
        let scheme = c.take(is_tchar);
        if scheme.is_empty() {
            c.i += 1;
            continue;
        }
        let mut challenge = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            ..Challenge::default()
        };
        c.skip(is_space);
        if let Some(t) = c.token68() {
            challenge.token68 = Some(t);
        } else {
            c.params(&mut challenge.params);
        }
        out.push(challenge);
    }
    out
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip(&mut self, f: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
    }

    fn take(&mut self, f: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        self.skip(f);
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// `token68` if that is all there is before the next comma or the end.
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        let mut t = self.take(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        if t.is_empty() {
            return None;
        }
        t.push_str(&self.take(|b| b == b'='));
        self.skip(is_space);
        if self.done() || self.peek() == Some(b',') {
            Some(t)
        } else {
            self.i = start;
            None
        }
    }

    /// `name = value` pairs, until something that is not one (the next challenge's scheme).
    fn params(&mut self, params: &mut Vec<(String, String)>) {
        loop {
            let start = self.i;
            self.skip(|b| is_space(b) || b == b',');
            let name = self.take(is_tchar);
            self.skip(is_space);
            if name.is_empty() || self.peek() != Some(b'=') {
                self.i = start;
                return;
            }
            self.i += 1;
            self.skip(is_space);
            let value = if self.peek() == Some(b'"') {
                self.quoted()
            } else {
                // Lenient: some servers send URLs unquoted, which are not RFC tokens.
                self.take(|b| !is_space(b) && b != b',')
            };
            params.push((name.to_ascii_lowercase(), value));
        }
    }

    /// A quoted string, opening quote at the cursor; `\x` stands for `x`.
    fn quoted(&mut self) -> String {
        self.i += 1;
        let mut v = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        v.push(escaped);
                        self.i += 1;
                    }
                }
                _ => v.push(b),
            }
        }
        String::from_utf8_lossy(&v).into_owned()
    }
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Work out how to answer a 401 from the registry: Bearer (fetching a token) if offered,
/// else Basic.
pub fn respond<T: Transport>(
    transport: &T,
    registry: &Registry,
    unauthorized: &Response,
    default_scope: &str,
    what: &str,
) -> ToolResult<Auth> {
    let challenges: Vec<Challenge> = header_values(unauthorized, "www-authenticate")
        .flat_map(parse_challenges)
        .collect();
    if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
        return fetch_token(transport, registry, bearer, default_scope, what).map(Auth::Bearer);
    }
    if challenges.iter().any(|c| c.scheme == "basic") {
        return Ok(Auth::Basic);
    }
    match challenges.first() {
        None => Err(ToolError::new(
            ErrorKind::Denied,
            format!(
                "{} asks for authentication (401) without saying how (no WWW-Authenticate \
                 header)",
                registry.name
            ),
        )),
        Some(c) => Err(ToolError::failed(format!(
            "{} asks for {} authentication, which this plugin does not speak (only Basic and \
             Bearer)",
            registry.name, c.scheme
        ))),
    }
}

/// The token request for a Bearer challenge: the realm with `service` and `scope` added.
pub fn token_url(challenge: &Challenge, default_scope: &str) -> ToolResult<Url> {
    let realm = challenge
        .param("realm")
        .ok_or_else(|| ToolError::failed("the registry's Bearer challenge names no realm"))?;
    let realm = Url::parse(realm)
        .map_err(|e| ToolError::failed(format!("the registry's token realm: {e}")))?;
    let mut params = Vec::new();
    if let Some(service) = challenge.param("service") {
        params.push(("service", service));
    }
    let scope = challenge
        .param("scope")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(default_scope);
    // Several scopes are space-separated in a challenge but separate parameters in the
    // token request.
    params.extend(scope.split_whitespace().map(|s| ("scope", s)));
    Ok(realm.with_query(&params))
}

fn fetch_token<T: Transport>(
    transport: &T,
    registry: &Registry,
    challenge: &Challenge,
    default_scope: &str,
    what: &str,
) -> ToolResult<String> {
    let url = token_url(challenge, default_scope)?;
    // The login would cross the network in clear over plain HTTP; that is only acceptable
    // when the registry itself is plain HTTP (a local test registry), where it does anyway.
    let login = url.scheme() == Scheme::Https || registry.base.scheme() == Scheme::Http;
    let request = Request {
        method: "GET".into(),
        url: url.to_string(),
        headers: vec![("accept".into(), "application/json".into())],
        body: Vec::new(),
        credentials_for: login.then(|| registry.authority().to_owned()),
        max_body: MAX_BODY,
        timeout_ms: TIMEOUT_MS,
    };
    let response = transport
        .send(&request)
        .map_err(|e| errors::transport(e, &url, registry))?;
    match response.status {
        200..=299 => parse_token(&response.body),
        401 | 403 => Err(errors::refused(
            registry,
            &format!("the token service {}", url.authority()),
            what,
        )),
        _ => Err(errors::status(
            &response,
            &url,
            registry,
            "a token from the registry's token service",
        )),
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// The token of a token service's answer (`token`, or OAuth2's `access_token`).
pub fn parse_token(body: &[u8]) -> ToolResult<String> {
    let r: TokenResponse = serde_json::from_slice(body).map_err(|e| {
        ToolError::failed(format!(
            "the token service's answer is not the expected JSON: {e}"
        ))
    })?;
    let token = [r.token, r.access_token]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
        .ok_or_else(|| ToolError::failed("the token service's answer holds no token"))?;
    // It goes into a header: anything but visible ASCII would corrupt the request.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ToolError::failed(
            "the token service's token has characters a header cannot carry",
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(scheme: &str, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            token68: None,
        }
    }

    #[test]
    fn parses_docker_hub_bearer_challenge() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
        assert_eq!(
            parse_challenges(h),
            vec![ch(
                "bearer",
                &[
                    ("realm", "https://auth.docker.io/token"),
                    ("service", "registry.docker.io"),
                    ("scope", "repository:library/nginx:pull"),
                ]
            )]
        );
    }

    #[test]
    fn scheme_and_names_are_case_insensitive_values_are_not() {
        let h = r#"BASIC Realm="Registry Realm""#;
        assert_eq!(
            parse_challenges(h),
            vec![ch("basic", &[("realm", "Registry Realm")])]
        );
    }

    #[test]
    fn quoted_strings_keep_commas_and_escaped_quotes() {
        let h = r#"Bearer realm="https://a.example/t",scope="repository:a:pull,push",error="say \"no\", twice\\""#;
        let c = &parse_challenges(h)[0];
        assert_eq!(c.param("scope"), Some("repository:a:pull,push"));
        assert_eq!(c.param("error"), Some(r#"say "no", twice\"#));
        assert_eq!(c.params.len(), 3);
    }

    #[test]
    fn several_challenges_in_one_header() {
        let h =
            r#"Basic realm="r, one", Bearer realm = "https://a.example/t" , service=reg.example"#;
        assert_eq!(
            parse_challenges(h),
            vec![
                ch("basic", &[("realm", "r, one")]),
                ch(
                    "bearer",
                    &[("realm", "https://a.example/t"), ("service", "reg.example")]
                ),
            ]
        );
        let h = "Negotiate YWJj+/==, Basic, Bearer realm=https://a.example/t";
        let cs = parse_challenges(h);
        assert_eq!(cs.len(), 3, "{cs:?}");
        assert_eq!(cs[0].scheme, "negotiate");
        assert_eq!(cs[0].token68.as_deref(), Some("YWJj+/=="));
        assert_eq!(cs[1], ch("basic", &[]));
        assert_eq!(cs[2].param("realm"), Some("https://a.example/t"));
    }

    #[test]
    fn garbage_is_skipped_not_fatal() {
        assert!(parse_challenges("").is_empty());
        assert!(parse_challenges(" , ,").is_empty());
        let cs = parse_challenges(r#"= Basic realm="unterminated"#);
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].param("realm"), Some("unterminated"));
    }

    #[test]
    fn token_url_carries_service_and_scopes() {
        let c = ch(
            "bearer",
            &[
                ("realm", "https://auth.example/token"),
                ("service", "reg.example"),
                ("scope", "repository:a:pull repository:b:pull"),
            ],
        );
        assert_eq!(
            token_url(&c, "unused").unwrap().to_string(),
            "https://auth.example/token?service=reg.example&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull"
        );
        let c = ch("bearer", &[("realm", "https://auth.example/token")]);
        assert_eq!(
            token_url(&c, "registry:catalog:*").unwrap().to_string(),
            "https://auth.example/token?scope=registry%3Acatalog%3A%2A"
        );
        assert!(token_url(&ch("bearer", &[]), "x").is_err());
        assert!(token_url(&ch("bearer", &[("realm", "/relative")]), "x").is_err());
    }

    #[test]
    fn token_answers() {
        assert_eq!(
            parse_token(br#"{"token":"t1","expires_in":300}"#).unwrap(),
            "t1"
        );
        assert_eq!(parse_token(br#"{"access_token":"t2"}"#).unwrap(), "t2");
        assert_eq!(
            parse_token(br#"{"token":"","access_token":"t3"}"#).unwrap(),
            "t3"
        );
        assert!(parse_token(br#"{}"#).is_err());
        assert!(parse_token(b"<html>").is_err());
        assert!(parse_token(br#"{"token":"a\r\nX-Evil: 1"}"#).is_err());
    }
}
