//! `wharf serve --http`: MCP over Streamable HTTP with a bearer token, Host and Origin
//! checks, independent sessions, progress, and a graceful stop on SIGTERM.

#[path = "support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{Cleanup, FIXTURE, require_docker, unique};

/// A `wharf serve --http 127.0.0.1:0` process, killed when dropped.
struct HttpWharf {
    child: Child,
    /// `http://127.0.0.1:PORT/mcp`
    url: String,
    /// What wharf printed to stderr up to the address line.
    banner: Vec<String>,
    _dir: tempfile::TempDir,
}

impl HttpWharf {
    fn start(token: Option<&str>) -> HttpWharf {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(support::wharf_bin());
        cmd.args(["serve", "--http", "127.0.0.1:0", "--allowed-root"])
            .arg(dir.path())
            .current_dir(dir.path())
            .env("WHARF_CONFIG", dir.path().join("none.toml"))
            .env("WHARF_CACHE_DIR", support::cache_dir())
            .env("WHARF_LOG", "wharf=warn")
            .env("DOCKER_CONFIG", dir.path().join("no-docker-config"))
            .env_remove("WHARF_HTTP_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(t) = token {
            cmd.env("WHARF_HTTP_TOKEN", t);
        }
        let mut child = cmd.spawn().expect("spawn wharf serve --http");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        let url = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("wharf did not say where it listens: {banner:?}"));
            if let Some(url) = line.strip_prefix("wharf: serving MCP at ") {
                break url.to_owned();
            }
            banner.push(line);
        };
        HttpWharf {
            child,
            url,
            banner,
            _dir: dir,
        }
    }

    fn authority(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .trim_end_matches("/mcp")
    }

    /// POST an `initialize` with these extra headers; the response's status code.
    fn initialize_status(&self, path: &str, headers: &[(&str, &str)]) -> u16 {
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
             Connection: close\r\n",
            body.len()
        );
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {}\r\n", self.authority()));
        }
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        let mut stream = TcpStream::connect(self.authority()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut status = [0u8; 12];
        stream.read_exact(&mut status).unwrap();
        let line = String::from_utf8_lossy(&status);
        line[9..12]
            .parse()
            .unwrap_or_else(|_| panic!("not an HTTP status line: {line}"))
    }
}

impl Drop for HttpWharf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn only_requests_with_the_token_and_a_trusted_host_and_origin_get_through() {
    let w = HttpWharf::start(Some("s3cret-token"));
    let bearer = ("Authorization", "Bearer s3cret-token");
    assert_eq!(w.initialize_status("/mcp", &[bearer]), 200);
    assert_eq!(w.initialize_status("/mcp", &[]), 401, "no token");
    assert_eq!(
        w.initialize_status("/mcp", &[("Authorization", "Bearer s3cret-tokeN")]),
        401,
        "wrong token"
    );
    assert_eq!(
        w.initialize_status("/mcp", &[bearer, ("Origin", "http://evil.example")]),
        403,
        "a web page's origin"
    );
    assert_eq!(
        w.initialize_status("/mcp", &[bearer, ("Host", "evil.example")]),
        403,
        "a rebound DNS name"
    );
    assert_eq!(w.initialize_status("/other", &[bearer]), 404);
}

/// An empty `[http] token` would match the empty bearer of `Authorization: Bearer `, and
/// let anyone in; wharf refuses to start with one, saying why, before it listens.
#[test]
fn an_empty_configured_token_is_refused_at_start() {
    for empty in ["", "   "] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("wharf.toml");
        std::fs::write(&config, format!("[http]\ntoken = \"{empty}\"\n")).unwrap();
        let mut child = Command::new(support::wharf_bin())
            .args(["serve", "--http", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env("WHARF_CONFIG", &config)
            .env("WHARF_CACHE_DIR", support::cache_dir())
            .env_remove("WHARF_HTTP_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Its stderr closes when it exits: the event waited for, with a deadline.
        let mut pipe = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            let _ = tx.send(text);
        });
        let Ok(stderr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("wharf kept running with an empty token");
        };
        let status = child.wait().unwrap();
        assert!(!status.success(), "{stderr}");
        assert!(stderr.contains("the token is empty"), "{stderr}");
        assert!(!stderr.contains("serving MCP at"), "{stderr}");
    }
}

#[test]
fn without_a_configured_token_one_is_generated_and_printed_once() {
    let w = HttpWharf::start(None);
    let token = w
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("Authorization: Bearer "))
        .unwrap_or_else(|| panic!("no token printed: {:?}", w.banner))
        .to_owned();
    assert_eq!(token.len(), 64, "{token}");
    let bearer = format!("Bearer {token}");
    assert_eq!(
        w.initialize_status("/mcp", &[("Authorization", &bearer)]),
        200
    );
    assert_eq!(w.initialize_status("/mcp", &[]), 401);
}

#[test]
fn the_python_sdk_works_over_http_with_progress_and_many_sessions() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let tag = cleanup.image(&format!("{}:1", unique("http-build")));
    let w = HttpWharf::start(Some("py-token"));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/interop/python_http.py"
    );
    let out = Command::new("python3")
        .args([script, &w.url, "py-token", &tag, FIXTURE])
        .output()
        .expect("python3 (with the mcp SDK; .ci/run installs it)");
    assert!(
        out.status.success(),
        "the Python SDK's HTTP client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("python mcp sdk over http: ok"));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_gracefully() {
    let mut w = HttpWharf::start(Some("t"));
    assert_eq!(
        w.initialize_status("/mcp", &[("Authorization", "Bearer t")]),
        200
    );
    let pid = i32::try_from(w.child.id()).unwrap();
    // SAFETY: kill(2) on a child process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = w.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "wharf did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        TcpStream::connect(w.authority()).is_err(),
        "still listening"
    );
}

#[test]
fn destructive_calls_are_confirmed_through_the_python_sdk_over_http() {
    require_docker();
    let mut cleanup = Cleanup::default();
    let remove_me = cleanup.container(&unique("http-confirm-yes"));
    let keep_me = cleanup.container(&unique("http-confirm-no"));
    support::run_fixture(&remove_me, &[], &["sleep", "300"]);
    support::run_fixture(&keep_me, &[], &["sleep", "300"]);
    let w = HttpWharf::start(Some("py-token"));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/interop/python_confirm.py"
    );
    let out = Command::new("python3")
        .args([script, &w.url, "py-token", &remove_me, &keep_me])
        .output()
        .expect("python3 (with the mcp SDK; .ci/run installs it)");
    assert!(
        out.status.success(),
        "confirmation through the Python SDK failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(support::docker(&["ps", "-aq", "--filter", &format!("name=^{remove_me}$")]).is_empty());
    assert_eq!(
        support::docker(&["inspect", "-f", "{{.State.Running}}", &keep_me]),
        "true"
    );
}

/// rmcp's own Streamable HTTP client: a wrong token is refused; in one session a build
/// reports progress and is cancelled, which stops the engine's build, while a second
/// session is served throughout and the first goes on after its cancel.
#[tokio::test(flavor = "multi_thread")]
async fn rmcp_client_over_http_cancels_in_one_session_without_touching_another() {
    use rmcp::ServiceExt;
    use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
    use rmcp::service::PeerRequestOptions;
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    use serde_json::json;

    require_docker();
    let mut cleanup = Cleanup::default();
    let label = cleanup.image_label(&format!("wharf.test.http-cancel={}", unique("c")));
    let marker = unique("http-cancel-marker");
    let w = HttpWharf::start(Some("rmcp-token"));
    let connect = |token: &str| {
        let config =
            StreamableHttpClientTransportConfig::with_uri(w.url.clone()).auth_header(token);
        support::Recorder::default().serve(StreamableHttpClientTransport::from_config(config))
    };
    assert!(
        connect("not-the-token").await.is_err(),
        "a wrong token was let in"
    );
    let a = connect("rmcp-token").await.expect("session A");
    let b = connect("rmcp-token").await.expect("session B");
    assert!(a.list_all_tools().await.unwrap().len() > 40);

    // A cheap call that answers "No images.": proof a session is served.
    let no_images = || {
        CallToolRequestParams::new("list_images").with_arguments(
            json!({"reference": "wharf-test-none"})
                .as_object()
                .unwrap()
                .clone(),
        )
    };
    let (key, value) = label.split_once('=').unwrap();
    let params = CallToolRequestParams::new("build_image").with_arguments(
        json!({
            "dockerfile": format!("FROM {FIXTURE}\nRUN echo {marker}; sleep 120\n"),
            "no_cache": true,
            "labels": {key: value},
        })
        .as_object()
        .unwrap()
        .clone(),
    );
    let build = a
        .send_cancellable_request(
            ClientRequest::CallToolRequest(CallToolRequest::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while support::containers_running(&marker).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the build's RUN container never appeared"
        );
        // Session B is served while A's build runs.
        let listed = b.call_tool(no_images()).await.unwrap();
        assert_ne!(listed.is_error, Some(true));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let progress: Vec<_> = a
        .service()
        .progress
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.progress_token == build.progress_token)
        .cloned()
        .collect();
    assert!(
        progress
            .iter()
            .any(|p| p.message.as_deref().is_some_and(|m| m.starts_with("Step "))),
        "no build progress over HTTP: {progress:?}"
    );

    build.cancel(Some("test".into())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !support::containers_running(&marker).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the engine still runs the build 30 s after the cancel over HTTP"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for (name, session) in [("A", &a), ("B", &b)] {
        let listed = session
            .call_tool(no_images())
            .await
            .unwrap_or_else(|e| panic!("session {name} after the cancel: {e}"));
        assert_eq!(support::text(&listed), "No images.", "session {name}");
    }
    a.cancel().await.unwrap();
    b.cancel().await.unwrap();
}
