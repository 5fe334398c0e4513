//! The one ssh connection to an engine's host: an `ssh -M` ControlMaster wharf starts,
//! watches and starts again after it ends, and what to tell the user when it cannot log in.
//!
//! ssh's own failures all exit 255 and say why only in prose on stderr. wharf never reads
//! that prose to decide anything (it is shown as detail): the cause is found by asking the
//! way ssh decides: can the address be reached, does known_hosts hold a key for this host,
//! and does that key match the one the host shows.

use super::SshError;
use super::mux;
use super::spec::SshSpec;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What ssh may take to connect (its own `ConnectTimeout`, per address), and to log in
/// after that.
const SSH_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const LOGIN_TIMEOUT: Duration = Duration::from_secs(4);
/// Each probe of a failure's cause (the key scan gets a second more). Login and probes
/// together stay under the engine's 15 s connect timeout, so the cause is what the user
/// sees.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the control socket is tried while the master logs in: ssh creates it only
/// after authentication, and says so in no other way wharf could read.
const READY_POLL: Duration = Duration::from_millis(10);
/// The end of ssh's stderr kept to show with a failure.
const STDERR_LINES: usize = 8;

/// Starts and restarts the master for one `ssh://` engine.
pub struct Master {
    spec: SshSpec,
    running: tokio::sync::Mutex<Option<Running>>,
    started: std::sync::atomic::AtomicU64,
    lost_at: LostAt,
}

/// Which connection a session last saw go, and when; shared by the master and its sessions.
pub type LostAt = Arc<StdMutex<Loss>>;

#[derive(Default)]
pub struct Loss {
    /// The newest master (by [`Started::generation`]) a session saw go.
    pub generation: Option<u64>,
    pub at: Option<Instant>,
}

/// A running master's control socket.
pub struct Started {
    pub control: PathBuf,
    /// Counts the masters started for this engine: a session's loss is charged to the one
    /// it ran on, never to the one that replaced it.
    pub generation: u64,
}

struct Running {
    /// Killed when dropped, and when wharf dies (PR_SET_PDEATHSIG).
    child: Child,
    control: PathBuf,
    generation: u64,
    _dir: tempfile::TempDir,
}

impl Master {
    pub fn new(spec: SshSpec, lost_at: LostAt) -> Master {
        Master {
            spec,
            running: tokio::sync::Mutex::new(None),
            started: Default::default(),
            lost_at,
        }
    }

    /// The control socket of a running master, logging in first when none runs (at the
    /// first call, and after the connection was lost).
    pub async fn control(&self) -> Result<Started, SshError> {
        let mut running = self.running.lock().await;
        if let Some(r) = running.as_mut() {
            let lost = self
                .lost_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .generation
                .is_some_and(|g| g >= r.generation);
            match r.child.try_wait() {
                // A master whose sessions saw the connection go may still be on its way
                // out; it is not given another session.
                Ok(None) if !lost => {
                    return Ok(Started {
                        control: r.control.clone(),
                        generation: r.generation,
                    });
                }
                Ok(None) => {
                    let _ = r.child.start_kill();
                    let _ = tokio::time::timeout(PROBE_TIMEOUT, r.child.wait()).await;
                    tracing::info!(engine = %self.spec, "ssh connection lost; reconnecting");
                }
                status => {
                    tracing::info!(engine = %self.spec, ?status, "ssh connection ended; reconnecting");
                }
            }
        }
        *running = None;
        let started = self.start().await?;
        let control = Started {
            control: started.control.clone(),
            generation: started.generation,
        };
        *running = Some(started);
        Ok(control)
    }

    /// Process id of the running master, for tests that count processes.
    pub async fn pid(&self) -> Option<u32> {
        self.running
            .lock()
            .await
            .as_ref()
            .and_then(|r| r.child.id())
    }

    async fn start(&self) -> Result<Running, SshError> {
        let dir = control_dir().map_err(SshError::Setup)?;
        let control = dir.path().join("c");
        let mut command = Command::new("ssh");
        command
            .arg("-M")
            .arg("-S")
            .arg(&control)
            .args(["-N", "-T"])
            .args(MASTER_OPTIONS.iter().flat_map(|o| ["-o", o]))
            .arg("-o")
            .arg(format!("ConnectTimeout={}", SSH_CONNECT_TIMEOUT.as_secs()))
            .args(self.spec.destination_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: a terminal's Ctrl-C or Ctrl-Z meant for wharf does not
            // reach the connection in the middle of a call.
            .process_group(0);
        // SAFETY: the closure runs between fork and exec and makes one prctl(2) call, which
        // is async-signal-safe; it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(|| {
                rustix::process::set_parent_process_death_signal(Some(
                    rustix::process::Signal::TERM,
                ))
                .map_err(std::io::Error::from)
            });
        }
        let mut child = command.spawn().map_err(SshError::NoClient)?;
        let tail = Arc::new(StdMutex::new(VecDeque::new()));
        let mut stderr_done = None;
        if let Some(stderr) = child.stderr.take() {
            let tail = tail.clone();
            let engine = self.spec.to_string();
            stderr_done = Some(tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(engine = %engine, "ssh: {line}");
                    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                    if tail.len() == STDERR_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }));
        }
        let ready = async {
            loop {
                if mux::hello(&control).await.is_ok() {
                    return;
                }
                tokio::time::sleep(READY_POLL).await;
            }
        };
        let wait = tokio::time::timeout(SSH_CONNECT_TIMEOUT + LOGIN_TIMEOUT, async {
            tokio::select! {
                () = ready => None,
                status = child.wait() => Some(status),
            }
        });
        match wait.await {
            Ok(None) => {
                tracing::info!(engine = %self.spec, pid = child.id(), "ssh connection up");
                Ok(Running {
                    child,
                    control,
                    generation: self
                        .started
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                        + 1,
                    _dir: dir,
                })
            }
            Ok(Some(Ok(status))) if status.success() => {
                // A user's config that sends ssh to the background (ForkAfterAuthentication)
                // leaves a master wharf does not own: stop it.
                if mux::terminate(&control).await.is_ok() {
                    tracing::warn!(engine = %self.spec, "stopped an ssh master that went to the background");
                }
                Err(SshError::Backgrounded)
            }
            Ok(Some(status)) => {
                // The last lines of stderr: the pipe closes with the process.
                if let Some(done) = stderr_done {
                    let _ = tokio::time::timeout(PROBE_TIMEOUT, done).await;
                }
                let detail = last_line(&tail);
                let status = status.ok().and_then(|s| s.code());
                Err(self.diagnose(status, detail).await)
            }
            Err(_) => Err(SshError::LoginTimeout {
                destination: self.spec.to_string(),
                secs: (SSH_CONNECT_TIMEOUT + LOGIN_TIMEOUT).as_secs(),
            }),
        }
    }

    /// Why a master that exited did not log in.
    async fn diagnose(&self, status: Option<i32>, detail: String) -> SshError {
        if status != Some(255) {
            return SshError::Failed { status, detail };
        }
        let Some(config) = effective_config(&self.spec).await else {
            return SshError::Failed { status, detail };
        };
        let host = config.get("hostname").unwrap_or(&self.spec.host).to_owned();
        let port: u16 = config
            .get("port")
            .and_then(|p| p.parse().ok())
            .unwrap_or(22);
        let user = config.get("user").unwrap_or("").to_owned();
        let proxied = ["proxycommand", "proxyjump"]
            .iter()
            .any(|k| config.get(k).is_some_and(|v| v != "none"));
        if !proxied && let Err(cause) = reachable(&host, port).await {
            return SshError::Unreachable {
                address: format!("{host}:{port}"),
                cause,
            };
        }
        let name = match config.get("hostkeyalias") {
            Some(alias) if alias != "none" => alias.to_owned(),
            _ if port == 22 => host.clone(),
            _ => format!("[{host}]:{port}"),
        };
        let files: Vec<PathBuf> = config
            .all("userknownhostsfile")
            .into_iter()
            .chain(config.all("globalknownhostsfile"))
            .flat_map(|v| v.split_whitespace().map(PathBuf::from).collect::<Vec<_>>())
            .collect();
        let known = known_keys(&name, &files).await;
        let strict = config.get("stricthostkeychecking").unwrap_or("ask");
        let accepts_new = matches!(strict, "false" | "no" | "off" | "accept-new");
        if known.is_empty() && !accepts_new && config.get("knownhostscommand").is_none() {
            return SshError::HostKeyUnknown {
                name,
                host,
                port,
                files: files.iter().map(|f| f.display().to_string()).collect(),
            };
        }
        // Past a proxy, or with only a CA to check the host against, wharf cannot see
        // which key the host shows: say what ssh said rather than guess.
        let plain = known.plain();
        if proxied || plain.is_empty() {
            return SshError::Failed { status, detail };
        }
        let shown = scanned_keys(&host, port).await;
        match compare(&plain, &shown) {
            KeyMatch::Changed => SshError::HostKeyChanged { name },
            KeyMatch::Verified => SshError::AuthRefused {
                login: if user.is_empty() {
                    format!("{host}:{port}")
                } else {
                    format!("{user}@{host}:{port}")
                },
                detail,
            },
            KeyMatch::Unknown => SshError::Failed { status, detail },
        }
    }
}

/// Options of every master. Those a user's ssh config could set to stall or change a
/// headless connection are fixed; everything else (keys, agent, known_hosts, proxies,
/// ciphers) is the user's config, as for `ssh` on their terminal.
const MASTER_OPTIONS: &[&str] = &[
    "ControlMaster=yes",
    "ControlPersist=no",
    // Never wait for a password, a passphrase or a yes/no about a host key.
    "BatchMode=yes",
    // A dead link is noticed within 15 s, and the next call reconnects.
    "ServerAliveInterval=5",
    "ServerAliveCountMax=3",
    // The engine's host gets nothing it was not asked for.
    "ClearAllForwardings=yes",
    "ForwardAgent=no",
    "ForwardX11=no",
    "PermitLocalCommand=no",
    "RemoteCommand=none",
    "RequestTTY=no",
];

/// A new private directory for the control socket, short enough for a socket path.
fn control_dir() -> std::io::Result<tempfile::TempDir> {
    let tmp = std::env::temp_dir();
    // A Unix socket path holds 107 bytes; ssh adds a random suffix while it sets up.
    // ssh expands `%` sequences in the control path.
    let base = if tmp.as_os_str().len() > 60 || tmp.to_string_lossy().contains('%') {
        PathBuf::from("/tmp")
    } else {
        tmp
    };
    tempfile::Builder::new()
        .prefix("wharf-ssh-")
        .tempdir_in(base)
}

fn last_line(tail: &StdMutex<VecDeque<String>>) -> String {
    let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    tail.iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .cloned()
        .unwrap_or_default()
}

/// `ssh -G`: the options ssh would use for this destination after reading the user's config.
struct Config(Vec<(String, String)>);

impl Config {
    fn get(&self, key: &str) -> Option<&str> {
        self.all(key).into_iter().next()
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

async fn effective_config(spec: &SshSpec) -> Option<Config> {
    let out = tokio::time::timeout(
        PROBE_TIMEOUT,
        Command::new("ssh")
            .arg("-G")
            .args(spec.destination_args())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    out.status.success().then(|| {
        Config(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
                .collect(),
        )
    })
}

/// Whether a TCP connection to the ssh port opens; the reason when it does not.
async fn reachable(host: &str, port: u16) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

/// What known_hosts holds for a host: its keys, and whether a CA vouches for it.
#[derive(Default)]
struct Known {
    keys: HashSet<(String, String)>,
    certified: bool,
}

impl Known {
    fn is_empty(&self) -> bool {
        self.keys.is_empty() && !self.certified
    }

    fn plain(&self) -> HashSet<(String, String)> {
        self.keys.clone()
    }
}

/// What known_hosts holds for `name`; `ssh-keygen -F` reads hashed entries and wildcards
/// as ssh does.
async fn known_keys(name: &str, files: &[PathBuf]) -> Known {
    let mut known = Known::default();
    for file in files.iter().filter(|f| f.exists()) {
        let Ok(Ok(out)) = tokio::time::timeout(
            PROBE_TIMEOUT,
            Command::new("ssh-keygen")
                .arg("-F")
                .arg(name)
                .arg("-f")
                .arg(file)
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output(),
        )
        .await
        else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        known.certified |= text
            .lines()
            .any(|l| l.split_whitespace().next() == Some("@cert-authority"));
        known.keys.extend(key_lines(&text));
    }
    known
}

#[derive(Debug, PartialEq, Eq)]
enum KeyMatch {
    /// The host shows a key of a type known_hosts has, and it is none of those.
    Changed,
    /// Every type both sides have matches, and at least one does.
    Verified,
    /// No type in common, or the host showed nothing.
    Unknown,
}

/// The host's keys (`shown`) against known_hosts's (`known`), type by type: ssh checks
/// the key of the type it negotiated, so one stale type is a changed key even when
/// another type still matches.
fn compare(known: &HashSet<(String, String)>, shown: &HashSet<(String, String)>) -> KeyMatch {
    let mut verified = false;
    for (kind, key) in shown {
        let of_kind: Vec<&String> = known
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, v)| v)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        if !of_kind.contains(&key) {
            return KeyMatch::Changed;
        }
        verified = true;
    }
    if verified {
        KeyMatch::Verified
    } else {
        KeyMatch::Unknown
    }
}

/// The keys the host shows now.
async fn scanned_keys(host: &str, port: u16) -> HashSet<(String, String)> {
    let out = tokio::time::timeout(
        PROBE_TIMEOUT + Duration::from_secs(1),
        Command::new("ssh-keyscan")
            .args([
                "-T",
                &PROBE_TIMEOUT.as_secs().to_string(),
                "-p",
                &port.to_string(),
            ])
            .arg("--")
            .arg(host)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await;
    match out {
        Ok(Ok(out)) => key_lines(&String::from_utf8_lossy(&out.stdout)),
        _ => Default::default(),
    }
}

/// `type base64` of each line in known_hosts format (`[@marker] hosts type key [comment]`),
/// as `ssh-keygen -F` and `ssh-keyscan` print it. A revoked key or a CA's says nothing about
/// which key the host has.
fn key_lines(text: &str) -> HashSet<(String, String)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split_whitespace();
            if fields.next()?.starts_with('@') {
                return None;
            }
            Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_lines_give_type_and_key() {
        let text = "# Host [h]:2222 found: line 3\n\
                    [h]:2222 ssh-ed25519 AAAAkey1 comment\n\
                    |1|salt|hash ecdsa-sha2-nistp256 AAAAkey2\n\
                    @revoked [h]:2222 ssh-rsa AAAAold\n";
        let keys = key_lines(text);
        assert_eq!(keys.len(), 2);
        assert!(keys.contains(&("ssh-ed25519".into(), "AAAAkey1".into())));
        assert!(keys.contains(&("ecdsa-sha2-nistp256".into(), "AAAAkey2".into())));
    }

    #[test]
    fn one_stale_key_type_is_a_changed_key() {
        let set = |pairs: &[(&str, &str)]| -> HashSet<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let known = set(&[("ssh-ed25519", "old"), ("ssh-rsa", "r")]);
        let shown = set(&[("ssh-ed25519", "new"), ("ssh-rsa", "r")]);
        assert_eq!(compare(&known, &shown), KeyMatch::Changed);
        let shown = set(&[("ssh-ed25519", "old"), ("ecdsa", "e")]);
        assert_eq!(compare(&known, &shown), KeyMatch::Verified);
        assert_eq!(compare(&known, &set(&[("ecdsa", "e")])), KeyMatch::Unknown);
        assert_eq!(compare(&known, &set(&[])), KeyMatch::Unknown);
    }
}
