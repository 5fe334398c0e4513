//! `ssh://` engines, reached the way the docker CLI reaches them: the remote host's
//! `docker system dial-stdio` relays its engine's socket over an ssh session.
//!
//! Unlike the CLI, which starts an ssh process and logs in for every connection, wharf keeps
//! one logged-in ControlMaster per engine ([`master`]) and opens each HTTP connection as a
//! new session on it through the multiplexing protocol ([`mux`]): one ssh process and one
//! login whatever runs at once, streams included. HTTP connections are kept alive and
//! reused, so most calls open no session at all.

mod master;
mod mux;
mod spec;

pub use spec::SshSpec;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use master::Master;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;
use tokio::sync::Semaphore;

/// Sessions open at once on one connection: sshd's `MaxSessions` is 10 unless configured,
/// and a master past it is refused sessions.
const MAX_SESSIONS: usize = 8;
/// How long a new connection waits for a session while all are in use.
const SESSION_WAIT: Duration = Duration::from_secs(15);
/// How long the master may take to open a session (the server confirms the channel).
const SESSION_OPEN: Duration = Duration::from_secs(10);
/// How long a session wharf let go of may take to end by itself.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// Remote stderr kept to show with a failed session.
const STDERR_MAX: usize = 2048;

/// Why an ssh engine could not be used, told apart without reading ssh's messages.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error(
        "cannot run `ssh` (wharf reaches ssh:// engines with the system's OpenSSH client): {0}"
    )]
    NoClient(#[source] io::Error),
    #[error("cannot set up the ssh control socket: {0}")]
    Setup(#[source] io::Error),
    #[error("ssh cannot reach {address}: {cause}")]
    Unreachable { address: String, cause: String },
    #[error(
        "ssh: the host key of {name} is not in known_hosts ({}), and wharf runs ssh in batch \
         mode, which never asks. Check the host's fingerprint, then add it, for example \
         with `ssh-keyscan -p {port} {host} >> ~/.ssh/known_hosts`, or log in once with \
         `ssh` yourself",
        files.join(", ")
    )]
    HostKeyUnknown {
        name: String,
        host: String,
        port: u16,
        files: Vec<String>,
    },
    #[error(
        "ssh: the host key of {name} is not the one known_hosts holds: the host was \
         reinstalled, or something is in between. Check it, then replace the entry \
         (`ssh-keygen -R '{name}'`)"
    )]
    HostKeyChanged { name: String },
    #[error(
        "ssh: {login} refused the login. wharf runs ssh in batch mode: it uses ssh-agent's \
         keys and identity files without a passphrase, never a password{}",
        said(detail)
    )]
    AuthRefused { login: String, detail: String },
    #[error("ssh to {destination} did not log in within {secs} s")]
    LoginTimeout { destination: String, secs: u64 },
    #[error(
        "ssh went to the background after logging in (ForkAfterAuthentication in the ssh \
         config); wharf needs it in the foreground for this host"
    )]
    Backgrounded,
    #[error("the ssh master did not open a session within {} s", SESSION_OPEN.as_secs())]
    SessionTimeout,
    #[error("`{command}` on the remote host was killed before it answered")]
    Killed { command: String },
    #[error("ssh failed (exit status {}){}", status.map_or("none".into(), |s| s.to_string()), said(detail))]
    Failed { status: Option<i32>, detail: String },
    #[error(
        "ssh logged in, but the remote host has no `docker` command to relay its engine \
         (exit status 127); install the docker CLI there{}",
        said(detail)
    )]
    NoDocker { detail: String },
    #[error(
        "`{command}` on the remote host failed (exit status {status}){}",
        said(detail)
    )]
    DialFailed {
        command: String,
        status: u32,
        detail: String,
    },
    #[error("the ssh connection was lost; the next call connects again")]
    Lost,
    #[error("all {MAX_SESSIONS} ssh sessions to the engine stayed busy for {} s", SESSION_WAIT.as_secs())]
    Busy,
    #[error("{0}")]
    Mux(#[from] mux::MuxError),
}

fn said(detail: &str) -> String {
    let detail = detail.trim();
    if detail.is_empty() {
        String::new()
    } else {
        let cut = detail
            .char_indices()
            .nth(300)
            .map_or(detail.len(), |(i, _)| i);
        format!(" (ssh said: {})", &detail[..cut])
    }
}

impl SshError {
    /// Whether the user has to change something on their side (a key, known_hosts) before
    /// any retry can work.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            SshError::HostKeyUnknown { .. }
                | SshError::HostKeyChanged { .. }
                | SshError::AuthRefused { .. }
        )
    }
}

/// The HTTP client of one ssh engine.
#[derive(Clone)]
pub struct SshTransport {
    connector: Connector,
    client: Client<Connector, BollardBody>,
    /// For the requests made beside bollard (`raw.rs`), on the same sessions' budget.
    raw: Client<Connector, Full<Bytes>>,
}

/// Errors in the middle of a response reach wharf only as text: bollard turns a body's
/// error into a string. A session that saw its connection go says so here, and a failure
/// at that moment is taken to be that loss.
const LOSS_ECHO: Duration = Duration::from_secs(5);

/// bollard's request body type, which bollard does not name publicly.
trait HasBody {
    type Body;
}
impl<B> HasBody for hyper::Request<B> {
    type Body = B;
}
type BollardBody = <bollard::BollardRequest as HasBody>::Body;

impl SshTransport {
    pub fn new(spec: SshSpec) -> SshTransport {
        let lost_at = master::LostAt::default();
        let connector = Connector(Arc::new(Inner {
            lost_at: lost_at.clone(),
            command: spec.remote_command(),
            master: Master::new(spec, lost_at),
            sessions: Arc::new(Semaphore::new(MAX_SESSIONS)),
        }));
        // Idle connections hold sessions (and a dial-stdio each on the remote host): they
        // are let go after a while, which takes the pool's timer.
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(MAX_SESSIONS / 2);
        SshTransport {
            client: builder.build(connector.clone()),
            raw: builder.build(connector.clone()),
            connector,
        }
    }

    /// bollard's transport: `request` on a kept-alive connection, or a new session.
    pub async fn send(
        &self,
        request: bollard::BollardRequest,
    ) -> Result<hyper::Response<hyper::body::Incoming>, bollard::errors::Error> {
        Ok(self.client.request(request).await?)
    }

    /// A request made beside bollard; `request`'s URI is a path.
    pub async fn send_raw(
        &self,
        mut request: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        if let Ok(uri) = format!("http://docker{path}").parse() {
            *request.uri_mut() = uri;
        }
        self.raw.request(request).await
    }

    /// Whether a session saw the connection go just now.
    pub fn lost_just_now(&self) -> bool {
        let loss = self
            .connector
            .0
            .lost_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        loss.at.is_some_and(|t| t.elapsed() < LOSS_ECHO)
    }

    /// The ssh process behind the connection, while one runs.
    pub async fn master_pid(&self) -> Option<u32> {
        self.connector.0.master.pid().await
    }
}

#[derive(Clone)]
struct Connector(Arc<Inner>);

struct Inner {
    master: Master,
    lost_at: master::LostAt,
    command: String,
    sessions: Arc<Semaphore>,
}

impl Inner {
    async fn open(&self) -> Result<Channel, SshError> {
        let permit = tokio::time::timeout(SESSION_WAIT, self.sessions.clone().acquire_owned())
            .await
            .map_err(|_| SshError::Busy)?
            .expect("the semaphore is never closed");
        let open = |control: PathBuf| async move {
            tokio::time::timeout(SESSION_OPEN, mux::open(&control, &self.command))
                .await
                .map_err(|_| SshError::SessionTimeout)
        };
        let mut master = self.master.control().await?;
        let session = match open(master.control.clone()).await? {
            Ok(s) => s,
            // The master ended between the check and the session: log in again, once.
            Err(mux::MuxError::Gone(_)) => {
                lost(&self.lost_at, master.generation);
                master = self.master.control().await?;
                open(master.control.clone()).await?.map_err(|e| match e {
                    mux::MuxError::Gone(_) => SshError::Lost,
                    e => e.into(),
                })?
            }
            Err(e) => return Err(e.into()),
        };
        let (stdio, mut stderr, ended) = session.into_parts(master.control.clone());
        let (end_tx, end_rx) = tokio::sync::oneshot::channel();
        let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            // The session counts against sshd's MaxSessions until the master says it
            // ended, not when wharf let go of it.
            let _permit = permit;
            let detail = async {
                let mut kept = Vec::new();
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = stderr.read(&mut buf).await {
                    let room = STDERR_MAX.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
                String::from_utf8_lossy(&kept).into_owned()
            };
            let both = async { tokio::join!(ended, detail) };
            tokio::pin!(both);
            let (ended, detail) = tokio::select! {
                r = &mut both => r,
                _ = dropped_rx => {
                    // Our end of stdio is closed, so dial-stdio sees its input end and
                    // exits; one that does not is cut off by closing the control
                    // connection, which makes the master close the session.
                    match tokio::time::timeout(CLOSE_WAIT, &mut both).await {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                }
            };
            let _ = end_tx.send(End { ended, detail });
        });
        Ok(Channel {
            stdio,
            end: Some(end_rx),
            dropped: Some(dropped_tx),
            received: false,
            command: self.command.clone(),
            lost_at: self.lost_at.clone(),
            generation: master.generation,
        })
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Channel>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<Channel>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move {
            inner
                .open()
                .await
                .map(TokioIo::new)
                .map_err(io::Error::other)
        })
    }
}

struct End {
    ended: mux::Ended,
    detail: String,
}

/// One session's stdio as a byte stream. Its end is read from the master: a session whose
/// remote command failed before answering, or whose connection dropped, ends in an error
/// saying so rather than in a bare end of stream.
pub struct Channel {
    stdio: UnixStream,
    end: Option<tokio::sync::oneshot::Receiver<End>>,
    /// Tells the session's task that wharf let go of it.
    dropped: Option<tokio::sync::oneshot::Sender<()>>,
    received: bool,
    command: String,
    lost_at: master::LostAt,
    generation: u64,
}

/// Record that the connection of master `generation` went.
fn lost(lost_at: &master::LostAt, generation: u64) {
    let mut loss = lost_at.lock().unwrap_or_else(|e| e.into_inner());
    loss.generation = loss.generation.max(Some(generation));
    loss.at = Some(std::time::Instant::now());
}

impl Channel {
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(end) = self.end.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let end = ready!(Pin::new(end).poll(cx));
        self.end = None;
        let Ok(End { ended, detail }) = end else {
            // The session's task gave up on a master that never said how it ended.
            return Poll::Ready(Err(io::Error::other(SshError::Lost)));
        };
        let error = match ended {
            mux::Ended::Lost => {
                lost(&self.lost_at, self.generation);
                SshError::Lost
            }
            mux::Ended::Exited(0) => return Poll::Ready(Ok(())),
            _ if self.received => return Poll::Ready(Ok(())),
            mux::Ended::Killed => SshError::Killed {
                command: self.command.clone(),
            },
            mux::Ended::Exited(127) => SshError::NoDocker { detail },
            mux::Ended::Exited(status) => SshError::DialFailed {
                command: self.command.clone(),
                status,
                detail,
            },
        };
        Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionAborted, error)))
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Some(dropped) = self.dropped.take() {
            let _ = dropped.send(());
        }
    }
}

impl Connection for Channel {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for Channel {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stdio).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.received = true;
            return Poll::Ready(Ok(()));
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        this.poll_end(cx)
    }
}

impl AsyncWrite for Channel {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stdio).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdio).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdio).poll_shutdown(cx)
    }
}
