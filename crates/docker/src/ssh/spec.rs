//! `ssh://[user@]host[:port][/socket]` as the docker CLI reads it.

use crate::endpoint::EndpointError;
use std::fmt;

/// Where an ssh engine is: the login, and the engine's socket on the remote host when it is
/// not the remote docker CLI's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSpec {
    pub user: Option<String>,
    /// A name or address; an IPv6 address without its brackets.
    pub host: String,
    pub port: Option<u16>,
    /// The remote engine's socket (`/run/user/1000/docker.sock`), passed to the remote
    /// docker CLI as `--host unix://PATH`.
    pub socket: Option<String>,
}

impl SshSpec {
    /// `address` (`ssh://...`) checked the way the docker CLI checks it, and more strictly
    /// where ssh itself would read a part as an option or the remote shell as syntax.
    pub fn parse(address: &str) -> Result<SshSpec, EndpointError> {
        let invalid =
            |why: &str| EndpointError::Invalid(format!("Docker endpoint `{address}`: {why}"));
        let rest = address
            .strip_prefix("ssh://")
            .ok_or_else(|| invalid("not an ssh:// address"))?;
        if rest.contains(['?', '#']) {
            return Err(invalid("an ssh:// address takes no query or fragment"));
        }
        let (authority, socket) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let socket = match socket {
            None | Some("/") => None,
            Some(path) => {
                // The path reaches the remote shell inside a command line: only characters
                // that need no quoting there.
                let plain = path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b));
                if !plain || path.split('/').any(|part| part == "..") {
                    return Err(invalid(
                        "the remote socket path may hold letters, digits and / . _ - + only",
                    ));
                }
                Some(path.trim_end_matches('/').to_owned())
            }
        };
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(user), hostport),
            None => (None, authority),
        };
        let user = match user {
            Some(u) if u.contains('%') => {
                return Err(invalid(
                    "the user name has a `%`: give it as ssh would read it, unescaped",
                ));
            }
            Some(u) if u.contains(':') => {
                return Err(invalid(
                    "a password in the address is not supported: wharf runs ssh in batch \
                     mode, so use a key (in ssh-agent, or an IdentityFile without a passphrase)",
                ));
            }
            Some("") => return Err(invalid("the user before `@` is empty")),
            Some(u) if u.starts_with('-') || !u.bytes().all(is_name_byte) => {
                return Err(invalid("the user name has characters ssh would misread"));
            }
            Some(u) => Some(u.to_owned()),
            None => None,
        };
        let bad_port = || invalid("the port is not a number from 1 to 65535");
        let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
            let (host, after) = inner
                .split_once(']')
                .ok_or_else(|| invalid("an IPv6 address needs its closing `]`"))?;
            // A zone (`fe80::1%eth0`) names an interface of this machine.
            let (address, zone) = host.split_once('%').unwrap_or((host, ""));
            let zone_ok = zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if address.parse::<std::net::Ipv6Addr>().is_err() || !zone_ok {
                return Err(invalid("not an IPv6 address between `[` and `]`"));
            }
            match after {
                "" => (host, None),
                p => {
                    let p = p
                        .strip_prefix(':')
                        .ok_or_else(|| invalid("`]` must be followed by `:PORT` or nothing"))?;
                    (host, Some(port(p).ok_or_else(bad_port)?))
                }
            }
        } else {
            if hostport.matches(':').count() > 1 {
                return Err(invalid("an IPv6 address goes between `[` and `]`"));
            }
            let (host, port) = match hostport.split_once(':') {
                Some((host, p)) => (host, Some(port(p).ok_or_else(bad_port)?)),
                None => (hostport, None),
            };
            if host.starts_with('-') || !host.bytes().all(is_name_byte) {
                return Err(invalid(
                    "the host name has characters ssh would misread (an IPv6 address goes \
                     between `[` and `]`)",
                ));
            }
            (host, port)
        };
        if host.is_empty() {
            return Err(invalid("it names no host"));
        }
        Ok(SshSpec {
            user,
            host: host.to_owned(),
            port,
            socket,
        })
    }

    /// The arguments that name the login to `ssh`, ending with the host after `--`, so
    /// nothing in the address is read as an option.
    pub fn destination_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(user) = &self.user {
            args.extend(["-l".to_owned(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        args.extend(["--".to_owned(), self.host.clone()]);
        args
    }

    /// The command the remote host runs for each connection: the docker CLI relaying its
    /// engine's socket over stdin and stdout.
    pub fn remote_command(&self) -> String {
        match &self.socket {
            Some(path) => format!("docker --host unix://{path} system dial-stdio"),
            None => "docker system dial-stdio".to_owned(),
        }
    }
}

/// Bytes a host or user name may hold: what DNS names, IPv4 addresses and Unix user names
/// use.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-".contains(&b)
}

fn port(p: &str) -> Option<u16> {
    p.parse::<u16>().ok().filter(|p| *p != 0)
}

impl fmt::Display for SshSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(socket) = &self.socket {
            f.write_str(socket)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(a: &str) -> SshSpec {
        SshSpec::parse(a).unwrap_or_else(|e| panic!("{a}: {e}"))
    }

    fn refused(a: &str) -> String {
        SshSpec::parse(a).unwrap_err().to_string()
    }

    #[test]
    fn addresses_the_docker_cli_takes() {
        let s = ok("ssh://me@box.lan:2222");
        assert_eq!(s.user.as_deref(), Some("me"));
        assert_eq!(s.host, "box.lan");
        assert_eq!(s.port, Some(2222));
        assert_eq!(s.socket, None);
        assert_eq!(
            s.destination_args(),
            ["-l", "me", "-p", "2222", "--", "box.lan"]
        );
        assert_eq!(s.remote_command(), "docker system dial-stdio");
        assert_eq!(ok("ssh://box").destination_args(), ["--", "box"]);
        let v6 = ok("ssh://root@[fd00::1]:22/run/user/1000/docker.sock");
        assert_eq!(v6.host, "fd00::1");
        assert_eq!(
            v6.remote_command(),
            "docker --host unix:///run/user/1000/docker.sock system dial-stdio"
        );
        assert_eq!(
            v6.to_string(),
            "ssh://root@[fd00::1]:22/run/user/1000/docker.sock"
        );
        assert_eq!(ok("ssh://box/").to_string(), "ssh://box");
    }

    #[test]
    fn what_ssh_or_the_remote_shell_would_misread_is_refused() {
        assert!(refused("ssh://me:secret@box").contains("password"));
        assert!(refused("ssh://-oProxyCommand=x").contains("host name"));
        assert!(refused("ssh://-l@box").contains("user name"));
        assert!(refused("ssh://box/x;reboot").contains("socket path"));
        assert!(refused("ssh://box/x y").contains("socket path"));
        assert!(refused("ssh://box/../etc").contains("socket path"));
        assert!(refused("ssh://box?x=1").contains("query"));
        assert!(refused("ssh://box:0").contains("port"));
        assert!(refused("ssh://box:ssh").contains("port"));
        assert!(refused("ssh://").contains("no host"));
        assert!(refused("ssh://me@").contains("no host"));
        assert!(refused("ssh://@box").contains("empty"));
        assert!(refused("ssh://[::1").contains("`]`"));
        assert!(refused("ssh://b$x").contains("host name"));
        assert!(refused("ssh://fd00::1").contains("IPv6 address goes"));
        assert!(refused("ssh://[::1]22").contains("followed by"));
        assert!(refused("ssh://[::g]").contains("not an IPv6"));
        assert!(refused("ssh://me%40corp@box").contains("`%`"));
        assert_eq!(ok("ssh://[fe80::1%eth0]:22").host, "fe80::1%eth0");
    }
}
