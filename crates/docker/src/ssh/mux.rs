//! The passenger side of ssh(1)'s connection multiplexing (openssh's PROTOCOL.mux): a new
//! session on a running ControlMaster, its stdio handed over as file descriptors, so every
//! session shares the master's one connection and login, and no ssh process starts for it.

use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::UnixStream;

const HELLO: u32 = 0x0000_0001;
const NEW_SESSION: u32 = 0x1000_0002;
const TERMINATE: u32 = 0x1000_0005;
const PERMISSION_DENIED: u32 = 0x8000_0002;
const FAILURE: u32 = 0x8000_0003;
const EXIT_MESSAGE: u32 = 0x8000_0004;
const SESSION_OPENED: u32 = 0x8000_0006;
const VERSION: u32 = 4;
/// No escape character: the session carries binary HTTP, never a `~.`.
const NO_ESCAPE: u32 = 0xffff_ffff;
/// The master's messages are a few words; anything larger is not the mux protocol.
const MAX_MESSAGE: u32 = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum MuxError {
    /// The control socket does not answer: the master is gone.
    #[error("the ssh master's control socket: {0}")]
    Gone(#[source] io::Error),
    /// This process could not make or hand over a session's sockets (out of file
    /// descriptors...): nothing is wrong with the connection.
    #[error("cannot set up an ssh session: {0}")]
    Local(#[source] io::Error),
    #[error("the ssh master refused a session: {0}")]
    Refused(String),
    #[error("the ssh master spoke no multiplexing protocol wharf knows: {0}")]
    Protocol(String),
}

/// One open session: the remote command's stdin and stdout, its stderr, and the control
/// connection that reports how it ended.
pub struct Session {
    pub stdio: UnixStream,
    pub stderr: UnixStream,
    control: UnixStream,
    id: u32,
}

/// How a session ended, as the master reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The remote command's exit status.
    Exited(u32),
    /// No exit status, and the master still answers: the remote command was killed by a
    /// signal (ssh passes only exit statuses on to a passenger).
    Killed,
    /// No exit status, and the master is gone with its connection.
    Lost,
}

/// Whether a master listens at `control`: a connection and the greeting.
pub async fn hello(control: &Path) -> Result<UnixStream, MuxError> {
    let mut socket = UnixStream::connect(control).await.map_err(MuxError::Gone)?;
    let mut hello = Message::new(HELLO);
    hello.u32(VERSION);
    socket
        .write_all(&hello.finish())
        .await
        .map_err(MuxError::Gone)?;
    let mut answer = read(&mut socket).await?;
    match answer.u32()? {
        HELLO => {}
        other => {
            return Err(MuxError::Protocol(format!(
                "message {other:#x} before hello"
            )));
        }
    }
    match answer.u32()? {
        VERSION => Ok(socket),
        v => Err(MuxError::Protocol(format!(
            "version {v}, wharf speaks {VERSION}"
        ))),
    }
}

/// Ask the master at `control` to exit.
pub async fn terminate(control: &Path) -> Result<(), MuxError> {
    let mut socket = hello(control).await?;
    let mut m = Message::new(TERMINATE);
    m.u32(1);
    socket.write_all(&m.finish()).await.map_err(MuxError::Gone)
}

/// Run `command` on the master's host in a new session.
pub async fn open(control: &Path, command: &str) -> Result<Session, MuxError> {
    let mut socket = hello(control).await?;
    let request_id = 1;
    let mut m = Message::new(NEW_SESSION);
    m.u32(request_id);
    m.string(""); // reserved
    m.u32(0); // want a tty
    m.u32(0); // X11 forwarding
    m.u32(0); // agent forwarding
    m.u32(0); // subsystem
    m.u32(NO_ESCAPE);
    m.string(""); // terminal type
    m.string(command);
    socket
        .write_all(&m.finish())
        .await
        .map_err(MuxError::Gone)?;

    // The remote command's stdin and stdout are one end of a socket pair; its stderr the
    // end of another. The master holds its copies; ours are dropped once they are sent.
    let (stdio, stdio_theirs) = UnixStream::pair().map_err(MuxError::Local)?;
    let (stderr, stderr_theirs) = UnixStream::pair().map_err(MuxError::Local)?;
    for fd in [&stdio_theirs, &stdio_theirs, &stderr_theirs] {
        send_fd(&socket, fd).await.map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => MuxError::Gone(e),
            _ => MuxError::Local(e),
        })?;
    }
    drop((stdio_theirs, stderr_theirs));

    let mut answer = read(&mut socket).await?;
    let kind = answer.u32()?;
    let rid = answer.u32()?;
    if rid != request_id {
        return Err(MuxError::Protocol(format!("answer to request {rid}")));
    }
    match kind {
        SESSION_OPENED => Ok(Session {
            stdio,
            stderr,
            id: answer.u32()?,
            control: socket,
        }),
        PERMISSION_DENIED | FAILURE => Err(MuxError::Refused(answer.string()?)),
        other => Err(MuxError::Protocol(format!(
            "message {other:#x} to a new session"
        ))),
    }
}

impl Session {
    /// Split off the control connection: waiting on it yields how the session ended. The
    /// connection is held until the master closes it, never dropped at the exit status:
    /// the master discards what it has not yet written to stdio when its passenger goes.
    pub fn into_parts(
        self,
        control_path: PathBuf,
    ) -> (UnixStream, UnixStream, impl Future<Output = Ended> + Send) {
        let Session {
            stdio,
            stderr,
            mut control,
            id,
        } = self;
        let ended = async move {
            let mut status = None;
            while let Ok(mut m) = read(&mut control).await {
                match (m.u32(), m.u32(), m.u32()) {
                    (Ok(EXIT_MESSAGE), Ok(session), Ok(code)) if session == id => {
                        status = Some(code);
                    }
                    // A tty was never asked for; nothing else is sent to a passenger.
                    _ => {}
                }
            }
            match status {
                Some(code) => Ended::Exited(code),
                None if hello(&control_path).await.is_ok() => Ended::Killed,
                None => Ended::Lost,
            }
        };
        (stdio, stderr, ended)
    }
}

/// Hand `fd` to the master as ssh does: one byte carrying it as SCM_RIGHTS.
async fn send_fd(socket: &UnixStream, fd: &UnixStream) -> io::Result<()> {
    socket
        .async_io(Interest::WRITABLE, || {
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
            let mut control = SendAncillaryBuffer::new(&mut space);
            let fds = [fd.as_fd()];
            control.push(SendAncillaryMessage::ScmRights(&fds));
            match sendmsg(
                socket,
                &[IoSlice::new(&[0])],
                &mut control,
                SendFlags::NOSIGNAL,
            )? {
                1 => Ok(()),
                _ => Err(io::Error::new(io::ErrorKind::WriteZero, "fd not sent")),
            }
        })
        .await
}

async fn read(socket: &mut UnixStream) -> Result<Reader, MuxError> {
    let len = socket.read_u32().await.map_err(MuxError::Gone)?;
    if !(4..=MAX_MESSAGE).contains(&len) {
        return Err(MuxError::Protocol(format!("a message of {len} bytes")));
    }
    let mut body = vec![0; len as usize];
    socket.read_exact(&mut body).await.map_err(MuxError::Gone)?;
    Ok(Reader { body, at: 0 })
}

/// A message being written: SSH wire format, a length first.
struct Message(Vec<u8>);

impl Message {
    fn new(kind: u32) -> Message {
        let mut m = Message(vec![0; 4]);
        m.u32(kind);
        m
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        let len = (self.0.len() - 4) as u32;
        self.0[..4].copy_from_slice(&len.to_be_bytes());
        self.0
    }
}

struct Reader {
    body: Vec<u8>,
    at: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Result<&[u8], MuxError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.body.len())
            .ok_or_else(|| MuxError::Protocol("a truncated message".into()))?;
        let bytes = &self.body[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn u32(&mut self) -> Result<u32, MuxError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, MuxError> {
        let len = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_length_prefixed_ssh_wire_format() {
        let mut m = Message::new(NEW_SESSION);
        m.u32(7);
        m.string("ab");
        assert_eq!(
            m.finish(),
            [
                0, 0, 0, 14, 0x10, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 2, b'a', b'b'
            ]
        );
    }

    #[test]
    fn a_truncated_message_is_an_error_not_a_panic() {
        let mut r = Reader {
            body: vec![0, 0, 0, 9, b'x'],
            at: 0,
        };
        assert!(matches!(r.string(), Err(MuxError::Protocol(_))));
        let mut r = Reader {
            body: vec![0, 0],
            at: 0,
        };
        assert!(r.u32().is_err());
    }
}
