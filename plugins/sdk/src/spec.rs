//! The short syntaxes `docker run`, `docker service create` and compose files share:
//! restart policies, durations, published ports and `-v` volumes. Each is parsed here once,
//! into a typed value; every plugin maps the value to its own Engine API JSON (a
//! container's PortBindings and a service's EndpointSpec differ, the syntax does not).

use crate::{ToolError, ToolResult};
use serde_json::{Value, json};
use std::fmt;
use std::net::IpAddr;

/// Short syntax that does not parse: the text as written and what is wrong with it.
/// [`SyntaxError::at`] names the argument or compose key it came from; crates with their own
/// error type (the compose spec's) take `input` and `why` apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub input: String,
    pub why: String,
}

impl SyntaxError {
    fn new(input: &str, why: impl Into<String>) -> Self {
        SyntaxError {
            input: input.to_owned(),
            why: why.into(),
        }
    }

    /// As a tool error naming `field` (`ports`, `services.web.ports[0]`).
    pub fn at(self, field: &str) -> ToolError {
        ToolError::invalid(format!("{field}: {self}"))
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.input, self.why)
    }
}

/// Docker's RestartPolicy from `no|always|unless-stopped|on-failure[:N]`.
///
/// `no` is sent as `"no"`, as `docker run --restart no` and `docker compose` send it: the
/// engine reads `""` the same way, but `"no"` is what inspecting a CLI-made container shows,
/// so wharf's containers look like everyone else's.
pub fn restart_policy(s: &str, field: &str) -> ToolResult<Value> {
    let (name, retries) = match s.split_once(':') {
        Some(("on-failure", n)) => (
            "on-failure",
            n.parse::<u32>().map_err(|_| {
                ToolError::invalid(format!(
                    "{field}: `{s}`: the retry count after on-failure: must be a number"
                ))
            })?,
        ),
        None if matches!(s, "no" | "always" | "unless-stopped" | "on-failure") => (s, 0),
        _ => {
            return Err(ToolError::invalid(format!(
                "{field}: `{s}` is not no, always, unless-stopped, on-failure or on-failure:N"
            )));
        }
    };
    Ok(json!({"Name": name, "MaximumRetryCount": retries}))
}

/// A duration (`10s`, `1m30s`, `500ms`) in nanoseconds, the unit of every Engine API
/// duration (healthchecks, update delays, restart windows).
///
/// The engine decodes these into Go's int64 `time.Duration`: a longer one is refused here,
/// rather than sent and rejected by the engine (or cut short without a word).
pub fn parse_duration(s: &str, field: &str) -> ToolResult<i64> {
    let d = humantime::parse_duration(s.trim()).map_err(|_| {
        ToolError::invalid(format!(
            "{field}: `{s}` is not a duration like 10s, 1m30s or 500ms"
        ))
    })?;
    i64::try_from(d.as_nanos())
        .map_err(|_| ToolError::invalid(format!("{field}: `{s}` is too long")))
}

/// An inclusive range of ports; a single port is a range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn single(port: u16) -> Self {
        PortRange {
            start: port,
            end: port,
        }
    }

    pub fn is_single(&self) -> bool {
        self.start == self.end
    }

    /// Ports after the first.
    fn span(&self) -> u16 {
        // Saturating: the fields are public, and a range built by hand may be backwards.
        self.end.saturating_sub(self.start)
    }

    fn parse(s: &str, input: &str) -> Result<PortRange, SyntaxError> {
        let port = |p: &str| {
            p.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(|| {
                SyntaxError::new(input, "has a port that is not a number from 1 to 65535")
            })
        };
        let (start, end) = match s.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => (port(s)?, port(s)?),
        };
        if start > end {
            return Err(SyntaxError::new(
                input,
                "has a port range that ends before it starts",
            ));
        }
        Ok(PortRange { start, end })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// A published port in the short syntax `docker run -p` and compose files share:
/// `[ip:][host[-range]:]container[-range][/protocol]`, the ip possibly `[v6]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub host_ip: Option<String>,
    /// None: the engine picks a host port (or none is published, without an ip either).
    pub host: Option<PortRange>,
    pub container: PortRange,
    /// tcp, udp or sctp, lowercase.
    pub protocol: String,
}

/// One container port of a [`PortSpec`] and the host port (or range) it is published on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    pub container: u16,
    /// `8080`, or `8000-8010` when one container port takes any free port of a host range.
    pub host: Option<String>,
}

impl PortSpec {
    pub fn parse(s: &str) -> Result<PortSpec, SyntaxError> {
        let bad = |why: &str| SyntaxError::new(s, why);
        let (rest, protocol) = match s.rsplit_once('/') {
            Some((r, p)) => (r, p.to_ascii_lowercase()),
            None => (s, "tcp".to_owned()),
        };
        if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
            return Err(bad("has an unknown protocol (tcp, udp or sctp)"));
        }
        let (host_ip, ports) = if let Some(r) = rest.strip_prefix('[') {
            let (ip, r) = r
                .split_once("]:")
                .ok_or_else(|| bad("has an unclosed [ipv6]"))?;
            (Some(ip), r)
        } else {
            match rest.split(':').collect::<Vec<_>>().as_slice() {
                [_] | [_, _] => (None, rest),
                [ip, _, _] => (Some(*ip), &rest[ip.len() + 1..]),
                _ => {
                    return Err(bad(
                        "is not [ip:][host_port:]container_port[/protocol] (an IPv6 address \
                         goes in brackets)",
                    ));
                }
            }
        };
        let host_ip = host_ip.filter(|ip| !ip.is_empty());
        if let Some(ip) = host_ip
            && ip.parse::<IpAddr>().is_err()
        {
            return Err(bad("has a host address that is not an IP address"));
        }
        let (host, container) = match ports.split_once(':') {
            Some((h, c)) if !h.is_empty() => (Some(PortRange::parse(h, s)?), c),
            Some((_, c)) => (None, c),
            None => (None, ports),
        };
        let container = PortRange::parse(container, s)?;
        // Docker's rule: ranges pair port by port, except that one container port may take
        // any free port of a host range.
        if let Some(h) = host
            && h.span() != container.span()
            && !container.is_single()
        {
            return Err(bad("has host and container port ranges of different sizes"));
        }
        Ok(PortSpec {
            host_ip: host_ip.map(str::to_owned),
            host,
            container,
            protocol,
        })
    }

    /// Each container port with the host port it is published on, as docker pairs them.
    pub fn bindings(&self) -> Vec<PortBinding> {
        (0..=self.container.span())
            .map(|i| PortBinding {
                container: self.container.start + i,
                host: self.host.map(|h| {
                    if self.container.is_single() {
                        h.to_string()
                    } else {
                        (h.start + i).to_string()
                    }
                }),
            })
            .collect()
    }
}

/// Mount options the engine accepts after a `-v` target: access, SELinux label, copy,
/// propagation and consistency modes.
const VOLUME_MODES: &[&str] = &[
    "ro",
    "rw",
    "z",
    "Z",
    "nocopy",
    "shared",
    "slave",
    "private",
    "rshared",
    "rslave",
    "rprivate",
    "consistent",
    "cached",
    "delegated",
];

/// A volume in the short syntax `docker run -v` and compose files share:
/// `[source:]target[:mode,...]`. What the source may be (a name, an absolute or relative
/// path) is each caller's rule: `docker run` and compose differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    /// None: an anonymous volume.
    pub source: Option<String>,
    /// Absolute.
    pub target: String,
    pub modes: Vec<String>,
}

impl VolumeSpec {
    pub fn parse(s: &str) -> Result<VolumeSpec, SyntaxError> {
        let bad = |why: &str| SyntaxError::new(s, why);
        let (source, target, modes) = match s.split(':').collect::<Vec<_>>().as_slice() {
            [target] => (None, *target, None),
            [source, target] => (Some(*source), *target, None),
            [source, target, modes] => (Some(*source), *target, Some(*modes)),
            _ => {
                return Err(bad(
                    "is not source:target[:mode] or an absolute target path",
                ));
            }
        };
        if !target.starts_with('/') {
            return Err(bad(
                "is not source:target[:mode] or an absolute target path (the target must \
                 be absolute)",
            ));
        }
        if source == Some("") {
            return Err(bad("has an empty source"));
        }
        let modes: Vec<String> = modes
            .map(|m| m.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(m) = modes.iter().find(|m| !VOLUME_MODES.contains(&m.as_str())) {
            return Err(bad(&format!(
                "has an unknown mode `{m}` (ro, rw, z, Z, nocopy, a propagation or a \
                 consistency mode)"
            )));
        }
        Ok(VolumeSpec {
            source: source.map(str::to_owned),
            target: target.to_owned(),
            modes,
        })
    }

    pub fn read_only(&self) -> bool {
        self.modes.iter().any(|m| m == "ro")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_no_is_sent_as_no_like_the_docker_cli() {
        assert_eq!(
            restart_policy("no", "restart").unwrap(),
            json!({"Name": "no", "MaximumRetryCount": 0})
        );
        assert_eq!(
            restart_policy("on-failure:3", "restart").unwrap(),
            json!({"Name": "on-failure", "MaximumRetryCount": 3})
        );
        assert_eq!(
            restart_policy("always", "restart").unwrap()["Name"],
            "always"
        );
        assert_eq!(
            restart_policy("unless-stopped", "restart").unwrap()["Name"],
            "unless-stopped"
        );
        assert_eq!(
            restart_policy("on-failure", "restart").unwrap()["MaximumRetryCount"],
            0
        );
    }

    #[test]
    fn restart_errors_name_the_callers_field() {
        let e = restart_policy("sometimes", "services.web.restart").unwrap_err();
        assert!(
            e.message.starts_with("services.web.restart: `sometimes`"),
            "{}",
            e.message
        );
        let e = restart_policy("on-failure:x", "restart").unwrap_err();
        assert!(
            e.message.starts_with("restart: `on-failure:x`"),
            "{}",
            e.message
        );
        assert!(restart_policy("always:3", "restart").is_err());
    }

    #[test]
    fn durations_are_nanoseconds() {
        assert_eq!(parse_duration("1m30s", "x").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration(" 500ms ", "x").unwrap(), 500_000_000);
        let e = parse_duration("soon", "update_config.delay").unwrap_err();
        assert!(
            e.message.starts_with("update_config.delay: `soon`"),
            "{}",
            e.message
        );
        // Past Go's int64 nanoseconds (about 292 years).
        assert!(parse_duration("300years", "x").is_err());
    }

    #[test]
    fn ports_parse_like_docker_run() {
        let p = PortSpec::parse("8080:80").unwrap();
        assert_eq!(
            (p.host, p.container, p.protocol.as_str()),
            (Some(PortRange::single(8080)), PortRange::single(80), "tcp")
        );
        let p = PortSpec::parse("127.0.0.1:8080:80/UDP").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.protocol, "udp");
        let p = PortSpec::parse("[::1]:8080:80").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        let p = PortSpec::parse("80").unwrap();
        assert_eq!((p.host, p.host_ip), (None, None));
        let p = PortSpec::parse("127.0.0.1::80").unwrap();
        assert_eq!((p.host, p.host_ip.as_deref()), (None, Some("127.0.0.1")));
        for bad in [
            "80/xyz",
            "0:80",
            "a:b:c:d",
            "99999",
            "localhost:80:80",
            "[::1:80",
            "",
        ] {
            assert!(PortSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_ranges_pair_as_docker_pairs_them() {
        let p = PortSpec::parse("127.0.0.1:9000-9001:8000-8001/udp").unwrap();
        assert_eq!(
            p.bindings(),
            [
                PortBinding {
                    container: 8000,
                    host: Some("9000".into())
                },
                PortBinding {
                    container: 8001,
                    host: Some("9001".into())
                },
            ]
        );
        // One container port takes any free port of the host range.
        let p = PortSpec::parse("9000-9010:80").unwrap();
        assert_eq!(
            p.bindings(),
            [PortBinding {
                container: 80,
                host: Some("9000-9010".into())
            }]
        );
        let unpublished = PortSpec::parse("3000-3001").unwrap().bindings();
        assert_eq!(
            unpublished.iter().map(|b| b.container).collect::<Vec<_>>(),
            [3000, 3001]
        );
        assert!(unpublished.iter().all(|b| b.host.is_none()));
        let e = PortSpec::parse("8080:80-81").unwrap_err();
        assert!(e.why.contains("different sizes"), "{e}");
        assert!(PortSpec::parse("9001-9000:80").is_err());
        assert_eq!(
            PortSpec::parse("1-2:3-5").unwrap_err().at("ports").message,
            "ports: `1-2:3-5` has host and container port ranges of different sizes"
        );
    }

    #[test]
    fn volumes_parse_like_docker_run() {
        let v = VolumeSpec::parse("/data").unwrap();
        assert_eq!((v.source, v.target.as_str()), (None, "/data"));
        let v = VolumeSpec::parse("db:/data").unwrap();
        assert_eq!(v.source.as_deref(), Some("db"));
        assert!(!v.read_only());
        let v = VolumeSpec::parse("./conf:/etc/app:ro,z").unwrap();
        assert_eq!(v.source.as_deref(), Some("./conf"));
        assert!(v.read_only());
        assert_eq!(v.modes, ["ro", "z"]);
        for bad in ["db:data", "data", "/a:/b:bogus", ":/data", "a:/b:ro:x"] {
            assert!(VolumeSpec::parse(bad).is_err(), "{bad}");
        }
        let e = VolumeSpec::parse("/a:/b:bogus").unwrap_err().at("volumes");
        assert!(
            e.message
                .starts_with("volumes: `/a:/b:bogus` has an unknown mode `bogus`"),
            "{}",
            e.message
        );
    }
}
