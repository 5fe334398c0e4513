//! Turning what went wrong on the way to a registry into tool errors a model can act on:
//! the kind says what happened, the message says what to do about it.

use crate::args::Registry;
use crate::client::{TIMEOUT_MS, header};
use crate::sanitize::clean;
use crate::url::{Scheme, Url};
use serde::Deserialize;
use wharf_plugin_sdk::http::{ErrorKind as HttpErrorKind, HttpError, Response};
use wharf_plugin_sdk::{ErrorKind, ToolError};

/// A request the host did not complete.
pub fn transport(e: HttpError, url: &Url, registry: &Registry) -> ToolError {
    let host = url.authority();
    let detail = if e.message.is_empty() {
        String::new()
    } else {
        format!(" ({})", clean(&e.message, 200))
    };
    match e.kind {
        HttpErrorKind::Denied => {
            let hub = if registry.docker_hub {
                "; Docker Hub needs registry-1.docker.io, auth.docker.io and, for blobs, \
                 production.cloudflare.docker.com"
            } else {
                ""
            };
            ToolError::new(
                ErrorKind::Denied,
                format!(
                    "wharf does not let the registry plugin reach {host}: add \"{host}\" to \
                     http_hosts in [plugin.registry] of wharf.toml{hub}{detail}"
                ),
            )
        }
        HttpErrorKind::Unreachable => {
            let hint = if url.scheme() == Scheme::Https && url.same_origin(&registry.base) {
                format!("; a registry that speaks plain HTTP is given as http://{host}")
            } else {
                String::new()
            };
            ToolError::new(
                ErrorKind::Unavailable,
                format!("cannot reach {host}{detail}{hint}"),
            )
        }
        HttpErrorKind::Timeout => ToolError::new(
            ErrorKind::Timeout,
            format!(
                "{host} did not answer within {} s{detail}",
                TIMEOUT_MS / 1000
            ),
        ),
        HttpErrorKind::TooLarge => ToolError::failed(format!(
            "{host}'s answer is larger than the 4 MiB this tool reads{detail}"
        )),
        HttpErrorKind::Invalid => ToolError::failed(format!(
            "the host refused the request to {host} as malformed{detail}"
        )),
    }
}

/// An HTTP status that is neither success, redirect nor an answerable 401. `what` names
/// what was asked for ("manifest library/nginx:1.27").
pub fn status(resp: &Response, url: &Url, registry: &Registry, what: &str) -> ToolError {
    let who = if url.same_origin(&registry.base) {
        registry.name.as_str()
    } else {
        url.authority()
    };
    let code = resp.status;
    let said = summary(&resp.body)
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    match code {
        404 => ToolError::not_found(format!("{what} not found in {who}{said}")),
        401 | 403 => ToolError::new(
            ErrorKind::Denied,
            format!(
                "{who} refused access to {what} ({code}){said}; if it needs a login, run \
                 `docker login {}`",
                registry.name
            ),
        ),
        429 => {
            let after = header(resp, "retry-after")
                .map(|s| format!("; retry after {}", clean(s, 40)))
                .unwrap_or_else(|| "; try again later".into());
            ToolError::new(
                ErrorKind::Unavailable,
                format!("{who} is rate limiting requests (429){said}{after}"),
            )
        }
        400 => ToolError::invalid(format!("{who} rejected the request for {what} (400){said}")),
        500..=599 => ToolError::failed(format!(
            "{who} failed with HTTP {code} while serving {what}{said}"
        )),
        _ => ToolError::failed(format!("{who} answered HTTP {code} for {what}{said}")),
    }
}

/// The second 401: the registry (or its token service, `who`) does not accept what the host
/// sent for the user, or the host has no login for it.
pub fn refused(registry: &Registry, who: &str, what: &str) -> ToolError {
    let name = &registry.name;
    ToolError::new(
        ErrorKind::Denied,
        format!(
            "{who} refused access to {what}: it rejected the login wharf holds for {name}, or \
             wharf has none. Run `docker login {name}` (wharf reads the Docker config) and try \
             again"
        ),
    )
}

/// A 401 after a token of the right scope was fetched and shown: the registry says the
/// token does not cover what was asked, which is how registries answer for a repository
/// that does not exist as well as for one the login may not read.
pub fn insufficient_scope(registry: &Registry, what: &str) -> ToolError {
    ToolError::new(
        ErrorKind::Denied,
        format!(
            "{} refused access to {what}: it does not exist, or it is private and the login \
             wharf holds (if any) may not read it; `docker login {}` with an account that can",
            registry.name, registry.name
        ),
    )
}

#[derive(Deserialize)]
struct Errors {
    errors: Vec<RegistryError>,
}

#[derive(Deserialize)]
struct RegistryError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The registry's own account of an error: its `{"errors":[{"code","message"}]}`, or a
/// short plain-text body. HTML error pages say nothing a model needs.
pub fn summary(body: &[u8]) -> Option<String> {
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        let parts: Vec<String> = e
            .errors
            .iter()
            .take(3)
            .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
                (false, false) => format!("{} ({})", e.code, e.message),
                (false, true) => e.code.clone(),
                _ => e.message.clone(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        return (!parts.is_empty()).then(|| clean(&parts.join("; "), 300));
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') || text.starts_with('{') {
        return None;
    }
    Some(clean(text, 200))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        Registry::parse("reg.example").unwrap()
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn at(path: &str) -> Url {
        Url::parse(&format!("https://reg.example{path}")).unwrap()
    }

    #[test]
    fn registry_error_json_is_summarised() {
        let body = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"9"}}]}"#;
        let e = status(
            &resp(404, &[], body),
            &at("/v2/a/manifests/9"),
            &reg(),
            "manifest a:9",
        );
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(
            e.message,
            "manifest a:9 not found in reg.example: MANIFEST_UNKNOWN (manifest unknown)"
        );
        assert_eq!(summary(b"<html><body>404</body></html>"), None);
        assert_eq!(summary(b"  not\nhere \x07 "), Some("not here".into()));
        assert_eq!(summary(br#"{"errors":[]}"#), None);
        assert_eq!(
            summary(&[b'x'; 500]).map(|s| s.len()),
            Some(200 + '…'.len_utf8())
        );
    }

    #[test]
    fn statuses_map_to_kinds() {
        let r = reg();
        let u = at("/v2/_catalog");
        let limited = status(
            &resp(
                429,
                &[("retry-after", "60")],
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
            ),
            &u,
            &r,
            "the catalog",
        );
        assert_eq!(limited.kind, ErrorKind::Unavailable);
        assert!(
            limited.message.contains("rate limiting"),
            "{}",
            limited.message
        );
        assert!(
            limited
                .message
                .contains("TOOMANYREQUESTS (slow down); retry after 60")
        );
        let server = status(&resp(503, &[], "busy"), &u, &r, "the catalog");
        assert_eq!(server.kind, ErrorKind::Failed);
        assert_eq!(
            server.message,
            "reg.example failed with HTTP 503 while serving the catalog: busy"
        );
        assert_eq!(
            status(&resp(403, &[], ""), &u, &r, "x").kind,
            ErrorKind::Denied
        );
        assert_eq!(
            status(&resp(400, &[], ""), &u, &r, "x").kind,
            ErrorKind::InvalidArguments
        );
        let cdn = Url::parse("https://cdn.example/blob").unwrap();
        assert!(
            status(&resp(500, &[], ""), &cdn, &r, "x")
                .message
                .starts_with("cdn.example failed")
        );
    }

    #[test]
    fn host_denial_names_the_setting() {
        let e = transport(
            HttpError {
                kind: HttpErrorKind::Denied,
                message: String::new(),
            },
            &Url::parse("https://auth.example/token").unwrap(),
            &reg(),
        );
        assert_eq!(e.kind, ErrorKind::Denied);
        assert_eq!(
            e.message,
            "wharf does not let the registry plugin reach auth.example: add \"auth.example\" \
             to http_hosts in [plugin.registry] of wharf.toml"
        );
        let unreachable = transport(
            HttpError {
                kind: HttpErrorKind::Unreachable,
                message: "tls handshake".into(),
            },
            &at("/v2/"),
            &reg(),
        );
        assert_eq!(unreachable.kind, ErrorKind::Unavailable);
        assert!(unreachable.message.contains("(tls handshake)"));
        assert!(unreachable.message.contains("http://reg.example"));
    }
}
