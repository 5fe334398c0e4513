//! Tool arguments, and the checks that run before any request: the registry's address,
//! repository names (the distribution grammar), references and platforms. A request built
//! from an unchecked name could walk to another API path; a precise error here also tells
//! the model what to fix.

use crate::url::{Url, normalize_authority};
use schemars::JsonSchema;
use serde::Deserialize;
use std::fmt;
use wharf_plugin_sdk::{ToolError, ToolResult};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// The distribution spec's limit on a whole repository name.
const MAX_NAME: usize = 255;
const MAX_TAG: usize = 128;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRepositoriesArgs {
    /// Registry `host[:port]` (HTTPS), or `http://host:port` for a plain-HTTP one.
    pub registry: String,
    /// Repositories per page (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The previous page's `next` cursor: continue after this repository.
    #[serde(default)]
    pub last: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTagsArgs {
    /// Registry `host[:port]` (HTTPS), `http://host:port` (plain HTTP), or `docker.io`.
    pub registry: String,
    /// Repository path without the registry, e.g. `library/nginx` or `team/app`.
    pub repository: String,
    /// Tags per page (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The previous page's `next` cursor: continue after this tag.
    #[serde(default)]
    pub last: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestArgs {
    /// Registry `host[:port]` (HTTPS), `http://host:port` (plain HTTP), or `docker.io`.
    pub registry: String,
    /// Repository path without the registry, e.g. `library/nginx` or `team/app`.
    pub repository: String,
    /// A tag (`1.27`) or a digest (`sha256:` and 64 hex digits).
    pub reference: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageConfigArgs {
    /// Registry `host[:port]` (HTTPS), `http://host:port` (plain HTTP), or `docker.io`.
    pub registry: String,
    /// Repository path without the registry, e.g. `library/nginx` or `team/app`.
    pub repository: String,
    /// A tag (`1.27`) or a digest (`sha256:` and 64 hex digits).
    pub reference: String,
    /// Multi-platform images: `os/arch[/variant]` like `linux/arm64`; default linux/amd64.
    #[serde(default)]
    pub platform: Option<String>,
}

/// A registry to talk to, checked.
#[derive(Debug, Clone)]
pub struct Registry {
    /// `scheme://host[:port]/`: where requests go.
    pub base: Url,
    /// How the user names it, and what `docker login` takes (`docker.io` for Docker Hub).
    pub name: String,
    pub docker_hub: bool,
}

/// Docker Hub's names; its API is served by `registry-1.docker.io`.
const HUB_NAMES: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];
const HUB_API: &str = "registry-1.docker.io";

impl Registry {
    pub fn parse(s: &str) -> ToolResult<Registry> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ToolError::invalid(
                "registry is empty: give host[:port] (e.g. ghcr.io, localhost:5000) or \
                 http://host:port",
            ));
        }
        let base = if s.contains("://") {
            let url = Url::parse(s).map_err(|e| ToolError::invalid(format!("registry: {e}")))?;
            // The API always lives at /v2/: a pasted `https://host/v2/` means the same.
            if !matches!(url.path(), "/" | "/v2" | "/v2/") {
                return Err(ToolError::invalid(format!(
                    "registry `{s}` has a path; give only scheme://host[:port]"
                )));
            }
            url.with_path("/").map_err(ToolError::invalid)?
        } else {
            if s.contains('/') {
                return Err(ToolError::invalid(format!(
                    "registry `{s}` must be host[:port] only; put the repository path in \
                     `repository`"
                )));
            }
            let authority =
                normalize_authority(s).map_err(|e| ToolError::invalid(format!("registry: {e}")))?;
            Url::parse(&format!("https://{authority}/")).map_err(ToolError::invalid)?
        };
        let authority = base.authority().to_owned();
        let docker_hub =
            base.scheme() == crate::url::Scheme::Https && HUB_NAMES.contains(&authority.as_str());
        if docker_hub {
            let base = Url::parse(&format!("https://{HUB_API}/")).map_err(ToolError::invalid)?;
            return Ok(Registry {
                base,
                name: "docker.io".into(),
                docker_hub,
            });
        }
        Ok(Registry {
            base,
            name: authority,
            docker_hub,
        })
    }

    /// `host[:port]` the requests go to; also the key the host looks a login up by.
    pub fn authority(&self) -> &str {
        self.base.authority()
    }

    /// A repository name checked against the distribution grammar; Docker Hub's official
    /// images get their implicit `library/`, as docker adds it.
    pub fn repository(&self, name: &str) -> ToolResult<String> {
        let bad = |why: String| ToolError::invalid(format!("repository `{name}` {why}"));
        if name.is_empty() {
            return Err(ToolError::invalid(
                "repository is empty: give its path, e.g. library/nginx",
            ));
        }
        if name.contains('@') {
            return Err(bad(
                "includes a digest; pass the digest as `reference`".into()
            ));
        }
        if name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
        {
            return Err(bad("includes a tag; pass the tag as `reference`".into()));
        }
        if name.contains('/')
            && let Some(first) = name.split('/').next()
            && (first == self.name
                || first == self.authority()
                || (self.docker_hub && HUB_NAMES.contains(&first)))
        {
            return Err(bad(format!(
                "starts with the registry `{first}`; give only the path after it"
            )));
        }
        for component in name.split('/') {
            check_component(component)
                .map_err(|why| bad(format!("has a path component `{component}` that {why}")))?;
        }
        let full = if self.docker_hub && !name.contains('/') {
            format!("library/{name}")
        } else {
            name.to_owned()
        };
        if full.len() > MAX_NAME {
            return Err(bad(format!("is longer than {MAX_NAME} characters")));
        }
        Ok(full)
    }
}

/// One path component: `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`.
fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("is empty (no leading, trailing or doubled `/`)".into());
    }
    if c.chars().any(|ch| ch.is_ascii_uppercase()) {
        return Err("has upper-case letters; repository names are lower case".into());
    }
    if let Some(ch) = c
        .chars()
        .find(|&ch| !(is_alnum(ch) || matches!(ch, '.' | '_' | '-')))
    {
        return Err(format!("has `{ch}`, which repository names cannot contain"));
    }
    let starts_and_ends = c.starts_with(is_alnum) && c.ends_with(is_alnum);
    if !starts_and_ends {
        return Err("does not start and end with a letter or digit".into());
    }
    for sep in c.split(is_alnum).filter(|s| !s.is_empty()) {
        if !(matches!(sep, "." | "_" | "__") || sep.chars().all(|ch| ch == '-')) {
            return Err(format!(
                "has the separator `{sep}`; letters and digits may only be joined by `.`, \
                 `_`, `__` or dashes"
            ));
        }
    }
    Ok(())
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// What a manifest is asked for by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    /// `sha256:` and 64 lower-case hex digits.
    Digest(String),
}

impl Reference {
    pub fn parse(s: &str) -> ToolResult<Reference> {
        let bad = |why: &str| ToolError::invalid(format!("reference `{s}` {why}"));
        if s.is_empty() {
            return Err(ToolError::invalid(
                "reference is empty: give a tag (e.g. latest) or a sha256 digest",
            ));
        }
        if s.starts_with('@') {
            return Err(bad("starts with `@`; give the digest alone (sha256:...)"));
        }
        if let Some((algorithm, _)) = s.split_once(':') {
            if algorithm == "sha256" {
                return check_digest(s)
                    .map(|()| Reference::Digest(s.to_owned()))
                    .map_err(|e| ToolError::invalid(format!("reference `{s}`: {e}")));
            }
            if matches!(algorithm, "sha384" | "sha512" | "blake3") {
                return Err(bad(
                    "uses a digest algorithm this tool does not read; only sha256",
                ));
            }
            return Err(bad(
                "is neither a tag nor a sha256 digest: a tag has no `:` (give `latest`, not \
                 `name:latest`)",
            ));
        }
        if s.len() > MAX_TAG {
            return Err(bad("is longer than the 128 characters a tag may have"));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("must start with a letter, digit or `_`"));
        }
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(bad(&format!(
                "has `{c}`; a tag may only hold letters, digits, `_`, `.` and `-`"
            )));
        }
        Ok(Reference::Tag(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Reference::Tag(s) | Reference::Digest(s) => s,
        }
    }

    pub fn digest(&self) -> Option<&str> {
        match self {
            Reference::Digest(d) => Some(d),
            Reference::Tag(_) => None,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `sha256:` and 64 lower-case hex digits. Digests from the network go through this too
/// before they become part of a URL.
pub fn check_digest(d: &str) -> Result<(), String> {
    let Some(hex) = d.strip_prefix("sha256:") else {
        return Err(format!("`{d}` is not a sha256 digest"));
    };
    if hex.len() != 64
        || !hex
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'a'..='f'))
    {
        return Err("a sha256 digest is `sha256:` and 64 lower-case hex digits".into());
    }
    Ok(())
}

/// `os/arch[/variant]`, as docker's `--platform` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(s: &str) -> ToolResult<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let valid = |p: &&str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(valid) {
            return Err(ToolError::invalid(format!(
                "platform `{s}` must be os/arch or os/arch/variant, e.g. linux/arm64 or \
                 linux/arm/v7"
            )));
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            architecture: parts[1].to_ascii_lowercase(),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Page size for the catalog and tag lists.
pub fn page_size(limit: Option<u32>) -> ToolResult<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(ToolError::invalid("limit must be at least 1")),
        Some(n) if n > MAX_LIMIT => Err(ToolError::invalid(format!(
            "limit is at most {MAX_LIMIT}; page with `last` for more"
        ))),
        Some(n) => Ok(n),
    }
}

/// A pagination cursor: an empty one means the first page.
pub fn cursor(last: Option<String>) -> ToolResult<Option<String>> {
    match last {
        Some(l) if l.is_empty() => Ok(None),
        Some(l) if l.len() > MAX_NAME || l.chars().any(char::is_control) => Err(
            ToolError::invalid("last must be a cursor from a previous page (a name or tag)"),
        ),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_plugin_sdk::ErrorKind;

    fn reg(s: &str) -> Registry {
        Registry::parse(s).expect(s)
    }

    fn invalid_message<T: fmt::Debug>(r: ToolResult<T>) -> String {
        let e = r.expect_err("should be refused");
        assert_eq!(e.kind, ErrorKind::InvalidArguments, "{}", e.message);
        e.message
    }

    #[test]
    fn registries_default_to_https_and_accept_base_urls() {
        let r = reg("Registry.Example.com:5000");
        assert_eq!(r.base.to_string(), "https://registry.example.com:5000/");
        assert_eq!(r.name, "registry.example.com:5000");
        assert!(!r.docker_hub);
        let r = reg("http://localhost:5000/");
        assert_eq!(r.base.to_string(), "http://localhost:5000/");
        assert_eq!(r.authority(), "localhost:5000");
        assert_eq!(
            reg("https://ghcr.io/v2/").base.to_string(),
            "https://ghcr.io/"
        );
        assert_eq!(reg("[::1]:5000").authority(), "[::1]:5000");
    }

    #[test]
    fn docker_hub_names_map_to_its_api_host() {
        for name in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            let r = reg(name);
            assert!(r.docker_hub, "{name}");
            assert_eq!(r.base.to_string(), "https://registry-1.docker.io/");
            assert_eq!(r.name, "docker.io");
        }
        assert!(!reg("docker.io:5000").docker_hub);
    }

    #[test]
    fn bad_registries_are_refused_precisely() {
        assert!(invalid_message(Registry::parse("")).contains("empty"));
        assert!(
            invalid_message(Registry::parse("docker.io/library/nginx"))
                .contains("put the repository path in `repository`")
        );
        assert!(invalid_message(Registry::parse("https://r.example/x")).contains("has a path"));
        assert!(invalid_message(Registry::parse("ftp://r.example")).contains("http"));
        assert!(invalid_message(Registry::parse("r.example:0")).contains("port"));
        assert!(invalid_message(Registry::parse("user@r.example")).contains("user info"));
    }

    #[test]
    fn repository_names_follow_the_distribution_grammar() {
        let r = reg("registry.example.com");
        for ok in [
            "app", "team/app", "a/b/c", "my.app", "my_app", "my__app", "my-app", "my---app", "0x",
        ] {
            assert_eq!(r.repository(ok).unwrap(), ok);
        }
        let cases = [
            ("", "empty"),
            ("Team/app", "upper-case"),
            ("team//app", "`` that is empty"),
            ("/app", "is empty"),
            ("app/", "is empty"),
            ("-app", "start and end"),
            ("app.", "start and end"),
            ("my..app", "separator `..`"),
            ("my___app", "separator `___`"),
            ("my._app", "separator `._`"),
            ("my app", "has ` `"),
            ("nginx:1.25", "pass the tag as `reference`"),
            ("nginx@sha256:ab", "pass the digest as `reference`"),
            ("registry.example.com/app", "starts with the registry"),
        ];
        for (name, why) in cases {
            let m = invalid_message(r.repository(name));
            assert!(m.contains(why), "{name}: {m}");
        }
        let long = "a".repeat(256);
        assert!(invalid_message(r.repository(&long)).contains("longer than 255"));
    }

    #[test]
    fn docker_hub_official_images_get_library() {
        let hub = reg("docker.io");
        assert_eq!(hub.repository("nginx").unwrap(), "library/nginx");
        assert_eq!(hub.repository("bitnami/redis").unwrap(), "bitnami/redis");
        assert!(
            invalid_message(hub.repository("docker.io/library/nginx"))
                .contains("starts with the registry")
        );
        assert_eq!(reg("ghcr.io").repository("nginx").unwrap(), "nginx");
    }

    #[test]
    fn references_are_tags_or_sha256_digests() {
        assert_eq!(
            Reference::parse("1.27-alpine_x").unwrap(),
            Reference::Tag("1.27-alpine_x".into())
        );
        assert_eq!(Reference::parse("_a").unwrap(), Reference::Tag("_a".into()));
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(Reference::parse(&d).unwrap().digest(), Some(d.as_str()));
        let cases = [
            ("", "empty"),
            ("-x", "must start"),
            (".x", "must start"),
            ("a/b", "has `/`"),
            ("nginx:latest", "a tag has no `:`"),
            ("sha256:abc", "64 lower-case hex"),
            ("sha512:abc", "only sha256"),
            ("@sha256:ab", "starts with `@`"),
        ];
        for (s, why) in cases {
            let m = invalid_message(Reference::parse(s));
            assert!(m.contains(why), "{s}: {m}");
        }
        let upper = format!("sha256:{}", "AB".repeat(32));
        assert!(invalid_message(Reference::parse(&upper)).contains("lower-case"));
        assert!(invalid_message(Reference::parse(&"t".repeat(129))).contains("128"));
        assert!(Reference::parse(&"t".repeat(128)).is_ok());
    }

    #[test]
    fn platforms_and_pages() {
        assert_eq!(
            Platform::parse("linux/arm/v7").unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            Platform::parse("Linux/AMD64").unwrap().to_string(),
            "linux/amd64"
        );
        for bad in ["linux", "linux/", "linux/arm/v7/x", "linux arm"] {
            assert!(
                invalid_message(Platform::parse(bad)).contains("os/arch"),
                "{bad}"
            );
        }
        assert_eq!(page_size(None).unwrap(), 100);
        assert_eq!(page_size(Some(1000)).unwrap(), 1000);
        assert!(invalid_message(page_size(Some(0))).contains("at least 1"));
        assert!(invalid_message(page_size(Some(1001))).contains("at most 1000"));
        assert_eq!(cursor(Some(String::new())).unwrap(), None);
        assert!(cursor(Some("a\nb".into())).is_err());
    }
}
