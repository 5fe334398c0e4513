//! The little of URLs a registry client needs: absolute http(s) URLs, resolving a redirect's
//! `Location`, comparing origins (credentials must stay on the registry's), and query
//! strings. A full URL crate would cost more wasm than the whole plugin.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// An absolute `http` or `https` URL without user info or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: Scheme,
    /// `host[:port]`, host in lower case.
    authority: String,
    /// Path and query; starts with `/`.
    path: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, String> {
        let (scheme, rest) = split_scheme(s)
            .ok_or_else(|| format!("`{s}` is not an absolute http:// or https:// URL"))?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = normalize_authority(&rest[..end])?;
        let tail = strip_fragment(&rest[end..]);
        let path = if tail.starts_with('/') {
            tail.to_owned()
        } else {
            format!("/{tail}")
        };
        check_path(&path)?;
        Ok(Url {
            scheme,
            authority,
            path,
        })
    }

    /// The URL of `scheme://authority` followed by `path` (which starts with `/`).
    pub fn with_path(&self, path: &str) -> Result<Url, String> {
        check_path(path)?;
        Ok(Url {
            scheme: self.scheme,
            authority: self.authority.clone(),
            path: path.to_owned(),
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host[:port]` as written, host in lower case.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Path and query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Resolve a redirect's `Location` (absolute, scheme-relative, absolute-path or relative
    /// reference) against this URL, as RFC 3986 section 5.2 does.
    pub fn join(&self, location: &str) -> Result<Url, String> {
        let loc = location.trim();
        if loc.is_empty() {
            return Err("empty Location".into());
        }
        if split_scheme(loc).is_some() {
            return Url::parse(loc);
        }
        if has_other_scheme(loc) {
            return Err(format!("Location `{loc}` is not an http(s) URL"));
        }
        if loc.starts_with("//") {
            return Url::parse(&format!("{}:{loc}", self.scheme.as_str()));
        }
        let loc = strip_fragment(loc);
        let path = if loc.starts_with('/') {
            with_clean_path(loc)
        } else if loc.starts_with('?') || loc.is_empty() {
            format!("{}{loc}", self.path_only())
        } else {
            let base = self.path_only();
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            with_clean_path(&format!("{dir}{loc}"))
        };
        self.with_path(&path)
    }

    /// Same scheme, host and port (an omitted port is the scheme's default).
    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host_port() == other.host_port()
    }

    fn host_port(&self) -> (&str, u16) {
        let a = self.authority.as_str();
        // The port is after the last colon, unless that colon is inside an IPv6 literal.
        match a.rfind(':') {
            Some(i) if !a[i..].contains(']') => match a[i + 1..].parse() {
                Ok(port) => (&a[..i], port),
                Err(_) => (a, self.scheme.default_port()),
            },
            _ => (a, self.scheme.default_port()),
        }
    }

    fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("/")
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let (_, query) = self.path.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
    }

    /// This URL with the parameters appended to its query, values percent-encoded.
    pub fn with_query(&self, params: &[(&str, &str)]) -> Url {
        let mut path = self.path.clone();
        for (k, v) in params {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str(&encode(k));
            path.push('=');
            path.push_str(&encode(v));
        }
        Url {
            path,
            ..self.clone()
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority,
            self.path
        )
    }
}

fn split_scheme(s: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.eq_ignore_ascii_case("https") {
        Some((Scheme::Https, rest))
    } else if scheme.eq_ignore_ascii_case("http") {
        Some((Scheme::Http, rest))
    } else {
        None
    }
}

/// `ftp:...`, `mailto:...`: a scheme before any `/`, `?` or `#`.
fn has_other_scheme(s: &str) -> bool {
    let head = &s[..s.find(['/', '?', '#']).unwrap_or(s.len())];
    head.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn strip_fragment(s: &str) -> &str {
    s.split('#').next().unwrap_or("")
}

/// `host[:port]` checked and with the host in lower case. User info is refused: a URL
/// that smuggles a login past the host's credential store is not one to follow.
pub fn normalize_authority(a: &str) -> Result<String, String> {
    if a.is_empty() {
        return Err("no host".into());
    }
    if a.contains('@') {
        return Err(format!(
            "`{a}` has user info; logins come from `docker login`"
        ));
    }
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{a}`: unclosed IPv6 literal"))?;
        if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!("`{a}`: invalid IPv6 literal"));
        }
        match after {
            "" => (&a[..inside.len() + 2], None),
            p => match p.strip_prefix(':') {
                Some(port) => (&a[..inside.len() + 2], Some(port)),
                None => return Err(format!("`{a}`: unexpected text after the IPv6 literal")),
            },
        }
    } else {
        match a.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        }
    };
    if !host.starts_with('[') {
        if host.is_empty() {
            return Err(format!("`{a}` has no host"));
        }
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return Err(format!("`{a}`: `{bad}` cannot appear in a host name"));
        }
    }
    if let Some(port) = port
        && !(port.len() <= 5
            && !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p > 0))
    {
        return Err(format!("`{a}`: port must be a number from 1 to 65535"));
    }
    Ok(a.to_ascii_lowercase())
}

fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must start with /"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{path}` has spaces or control characters"));
    }
    Ok(())
}

/// The path part with `.` and `..` segments resolved, query kept as is.
fn with_clean_path(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        // `a/..` and `a/.` name a directory: keep the trailing slash.
        if last && matches!(*seg, "." | "..") {
            out.push("");
        }
    }
    let mut s = format!("/{}", out.join("/"));
    if let Some(q) = query {
        s.push('?');
        s.push_str(q);
    }
    s
}

/// Percent-encode a query component: everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect(s)
    }

    #[test]
    fn parses_absolute_urls() {
        let u = url("HTTPS://Registry.Example.com:5000/v2/?n=1#frag");
        assert_eq!(u.to_string(), "https://registry.example.com:5000/v2/?n=1");
        assert_eq!(url("http://[::1]:5000").to_string(), "http://[::1]:5000/");
        assert!(Url::parse("ftp://x/").is_err());
        assert!(Url::parse("registry.example.com/v2/").is_err());
        assert!(Url::parse("https://user:pw@evil/").is_err());
        assert!(Url::parse("https://host:99999/").is_err());
        assert!(Url::parse("https://ho st/").is_err());
    }

    #[test]
    fn joins_locations_like_rfc3986() {
        let base = url("https://reg.example/v2/app/blobs/sha256:ab?x=1");
        assert_eq!(
            base.join("https://cdn.example/b?sig=1")
                .unwrap()
                .to_string(),
            "https://cdn.example/b?sig=1"
        );
        assert_eq!(
            base.join("//cdn.example/b").unwrap().to_string(),
            "https://cdn.example/b"
        );
        assert_eq!(
            base.join("/v2/other").unwrap().to_string(),
            "https://reg.example/v2/other"
        );
        assert_eq!(
            base.join("../x/./y#f").unwrap().to_string(),
            "https://reg.example/v2/app/x/y"
        );
        assert_eq!(
            base.join("?y=2").unwrap().to_string(),
            "https://reg.example/v2/app/blobs/sha256:ab?y=2"
        );
        assert_eq!(
            base.join("../../../../..").unwrap().to_string(),
            "https://reg.example/"
        );
        assert!(base.join("mailto:x@y").is_err());
        assert!(base.join("  ").is_err());
    }

    #[test]
    fn origins_compare_scheme_host_and_effective_port() {
        let a = url("https://reg.example/v2/");
        assert!(a.same_origin(&url("https://REG.example:443/other")));
        assert!(!a.same_origin(&url("http://reg.example/v2/")));
        assert!(!a.same_origin(&url("https://reg.example:5000/v2/")));
        assert!(!a.same_origin(&url("https://reg.example.evil/v2/")));
        assert!(url("http://[::1]:80/").same_origin(&url("http://[::1]/")));
    }

    #[test]
    fn query_round_trip() {
        let u = url("https://auth.example/token?x=1")
            .with_query(&[("service", "reg example"), ("scope", "repository:a/b:pull")]);
        assert_eq!(
            u.to_string(),
            "https://auth.example/token?x=1&service=reg%20example&scope=repository%3Aa%2Fb%3Apull"
        );
        assert_eq!(u.query("scope").as_deref(), Some("repository:a/b:pull"));
        assert_eq!(u.query("missing"), None);
        assert_eq!(decode("a%2Fb%2"), "a/b%2");
    }
}
