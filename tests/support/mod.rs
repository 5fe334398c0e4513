//! Shared by the end-to-end tests: a real `wharf serve` driven by rmcp's MCP client, and
//! Docker objects that carry unique names and are removed when the test ends.
#![allow(dead_code)]

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, ClientConfig, ClientRequest,
    ContentBlock, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability,
    ProgressNotificationParam, ProgressToken, ServerResult,
};
use rmcp::service::{
    NotificationContext, PeerRequestOptions, RequestContext, RequestHandle, RunningService,
};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Built by tests/fixtures/build-images.sh (which .ci/run runs).
pub const FIXTURE: &str = "wharf-fixture/busybox:latest";

/// Fail loudly, never skip, when there is no engine or no fixture image.
pub fn require_docker() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let info = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output();
        match info {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "these tests need a running Docker engine, and `docker info` failed: {}\n\
                 start dockerd (or run .ci/run, which does)",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("these tests need the docker CLI and a running engine: {e}"),
        }
        let image = Command::new("docker")
            .args(["image", "inspect", FIXTURE])
            .output()
            .unwrap();
        assert!(
            image.status.success(),
            "the fixture image {FIXTURE} is missing: run tests/fixtures/build-images.sh"
        );
    });
}

/// A name no other test (or person) uses: `wharf-test-<pid>-<n>-<what>`.
pub fn unique(what: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "wharf-test-{}-{}-{what}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes the named containers (with their anonymous volumes), then networks, volumes and
/// image references,
/// when dropped, test passed or not. Missing objects are fine: the test may have removed them.
#[derive(Default)]
pub struct Cleanup {
    containers: Vec<String>,
    networks: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
    image_labels: Vec<String>,
    projects: Vec<String>,
}

impl Cleanup {
    pub fn container(&mut self, name: &str) -> String {
        self.containers.push(name.to_owned());
        name.to_owned()
    }

    pub fn network(&mut self, name: &str) -> String {
        self.networks.push(name.to_owned());
        name.to_owned()
    }

    pub fn volume(&mut self, name: &str) -> String {
        self.volumes.push(name.to_owned());
        name.to_owned()
    }

    pub fn image(&mut self, reference: &str) -> String {
        self.images.push(reference.to_owned());
        reference.to_owned()
    }

    /// Everything labelled as compose project `name`: containers, networks, volumes, images.
    pub fn project(&mut self, name: &str) -> String {
        self.projects.push(name.to_owned());
        name.to_owned()
    }

    /// Untagged images carrying this `key=value` label (left by rebuilds) are pruned.
    pub fn image_label(&mut self, label: &str) -> String {
        self.image_labels.push(label.to_owned());
        label.to_owned()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for project in &self.projects {
            let filter = format!("label=com.docker.compose.project={project}");
            for (list, remove) in [
                (
                    ["ps", "-aq", "--filter"].as_slice(),
                    ["rm", "-f", "-v"].as_slice(),
                ),
                (
                    ["network", "ls", "-q", "--filter"].as_slice(),
                    ["network", "rm"].as_slice(),
                ),
                (
                    ["volume", "ls", "-q", "--filter"].as_slice(),
                    ["volume", "rm", "-f"].as_slice(),
                ),
                (
                    ["images", "-q", "--filter"].as_slice(),
                    ["rmi", "-f"].as_slice(),
                ),
            ] {
                let Ok(out) = Command::new("docker").args(list).arg(&filter).output() else {
                    continue;
                };
                let ids = String::from_utf8_lossy(&out.stdout);
                let ids: Vec<&str> = ids.split_whitespace().collect();
                if !ids.is_empty() {
                    let _ = Command::new("docker").args(remove).args(&ids).output();
                }
            }
        }
        for (what, names) in [
            (["rm", "-f", "-v"].as_slice(), &self.containers),
            (["network", "rm"].as_slice(), &self.networks),
            (["volume", "rm", "-f"].as_slice(), &self.volumes),
            (["rmi", "-f"].as_slice(), &self.images),
        ] {
            if !names.is_empty() {
                let _ = Command::new("docker").args(what).args(names).output();
            }
        }
        for label in &self.image_labels {
            let _ = Command::new("docker")
                .args([
                    "image",
                    "prune",
                    "-f",
                    "--filter",
                    &format!("label={label}"),
                ])
                .output();
        }
    }
}

/// Fail loudly, never skip, without the Python MCP SDK.
pub fn require_python_sdk() {
    let probe = Command::new("python3").args(["-c", "import mcp"]).output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "this test needs the Python MCP SDK: pip install mcp (.ci/run installs it)"
    );
}

/// Start a detached container of the fixture image, labelled as a test's.
pub fn run_fixture(name: &str, extra: &[&str], cmd: &[&str]) {
    let mut args = vec!["run", "-d", "--name", name, "--label", "wharf.test=1"];
    args.extend_from_slice(extra);
    args.push(FIXTURE);
    args.extend_from_slice(cmd);
    docker(&args);
}

/// `wharf` on the command line, isolated from the user's config like the server.
pub fn wharf_cli(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(wharf_bin());
    cmd.current_dir(dir)
        .env("WHARF_CONFIG", dir.join("none.toml"))
        .env("WHARF_CACHE_DIR", cache_dir());
    cmd
}

/// Containers whose command holds `marker`: a build's intermediate containers.
pub fn containers_running(marker: &str) -> Vec<String> {
    docker(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}"])
        .lines()
        .filter(|l| l.contains(marker))
        .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The test client: records the progress notifications the server sends, and answers its
/// confirmation questions like a user who says yes (or as a test sets).
#[derive(Clone)]
pub struct Recorder {
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    /// The confirmation questions asked, in order.
    pub questions: Arc<Mutex<Vec<String>>>,
    /// How the user answers; `None`: the client does not support elicitation at all.
    pub answer: Option<ElicitationAction>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            progress: Arc::default(),
            questions: Arc::default(),
            answer: Some(ElicitationAction::Accept),
        }
    }
}

impl Recorder {
    pub fn answering(answer: Option<ElicitationAction>) -> Recorder {
        Recorder {
            answer,
            ..Recorder::default()
        }
    }

    /// The questions asked so far.
    pub fn asked(&self) -> Vec<String> {
        self.questions.lock().unwrap().clone()
    }
}

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, rmcp::ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.questions.lock().unwrap().push(message);
        }
        Ok(ElicitResult::new(
            self.answer.clone().unwrap_or(ElicitationAction::Decline),
        ))
    }

    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        if self.answer.is_some() {
            info.capabilities.elicitation = Some(ElicitationCapability::default());
        }
        info
    }
}

pub struct Wharf {
    pub client: RunningService<RoleClient, Recorder>,
    pub recorder: Recorder,
    /// The allowed root, and the server's working directory.
    pub dir: tempfile::TempDir,
}

pub fn wharf_bin() -> &'static str {
    env!("CARGO_BIN_EXE_wharf")
}

/// Where precompiled plugins are cached across test processes.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("wharf-cache")
}

impl Wharf {
    pub async fn start() -> Wharf {
        Self::start_with(&[], None).await
    }

    /// Start with extra arguments and optionally a config file's text.
    pub async fn start_with(args: &[&str], config: Option<&str>) -> Wharf {
        Self::start_env(args, config, &[]).await
    }

    /// Start with extra arguments, a config file's text and environment variables.
    pub async fn start_env(args: &[&str], config: Option<&str>, env: &[(&str, &str)]) -> Wharf {
        Self::start_client(args, config, env, Recorder::default()).await
    }

    /// Start with everything `start_env` takes and the test client to drive it.
    pub async fn start_client(
        args: &[&str],
        config: Option<&str>,
        env: &[(&str, &str)],
        recorder: Recorder,
    ) -> Wharf {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("wharf.toml");
        if let Some(c) = config {
            std::fs::write(&config_path, c).unwrap();
        }
        let mut cmd = tokio::process::Command::new(wharf_bin());
        cmd.arg("serve")
            .arg("--allowed-root")
            .arg(dir.path())
            .args(args)
            .current_dir(dir.path())
            // Never the user's own config.
            .env("WHARF_CONFIG", &config_path)
            .env("WHARF_CACHE_DIR", cache_dir())
            .env("WHARF_LOG", "wharf=warn")
            // Never the user's registry credentials either.
            .env("DOCKER_CONFIG", dir.path().join("no-docker-config"))
            .envs(env.iter().copied());
        let transport = TokioChildProcess::new(cmd).expect("spawn wharf serve");
        let client = recorder
            .clone()
            .serve(transport)
            .await
            .expect("MCP initialize with wharf");
        Wharf {
            client,
            recorder,
            dir,
        }
    }

    /// Send a call without waiting for it: the handle cancels it or awaits its result.
    pub async fn start_call(&self, tool: &str, args: Value) -> RequestHandle<RoleClient> {
        let Value::Object(args) = args else {
            panic!("arguments must be an object")
        };
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(
            CallToolRequestParams::new(tool.to_owned()).with_arguments(args),
        ));
        self.client
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await
            .unwrap_or_else(|e| panic!("{tool}: cannot send: {e}"))
    }

    /// Call and expect success; the text, and the progress notifications of the call.
    pub async fn ok_with_progress(
        &self,
        tool: &str,
        args: Value,
    ) -> (String, Vec<ProgressNotificationParam>) {
        let handle = self.start_call(tool, args).await;
        let token = handle.progress_token.clone();
        let result = match handle.await_response().await {
            Ok(ServerResult::CallToolResult(r)) => r,
            other => panic!("{tool}: unexpected answer {other:?}"),
        };
        let t = unfenced(&text(&result));
        assert_ne!(result.is_error, Some(true), "{tool} failed: {t}");
        (t, self.progress_of(&token))
    }

    /// The progress notifications received so far for `token`.
    pub fn progress_of(&self, token: &ProgressToken) -> Vec<ProgressNotificationParam> {
        self.recorder
            .progress
            .lock()
            .unwrap()
            .iter()
            .filter(|p| &p.progress_token == token)
            .cloned()
            .collect()
    }

    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let Value::Object(args) = args else {
            panic!("arguments must be an object")
        };
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error: {e}"))
    }

    /// Call and expect success; the text, fences checked and their codes removed.
    pub async fn ok(&self, tool: &str, args: Value) -> String {
        let r = self.call(tool, args).await;
        let t = unfenced(&text(&r));
        assert_ne!(r.is_error, Some(true), "{tool} failed: {t}");
        t
    }

    /// Call and expect a tool error; its text, fences checked and their codes removed.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let r = self.call(tool, args).await;
        let t = unfenced(&text(&r));
        assert_eq!(
            r.is_error,
            Some(true),
            "{tool} should have failed, said: {t}"
        );
        t
    }
}

pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text with the fences' random codes removed, so assertions can spell the fences out:
/// `<<<untrusted logs 0123abcd…: …>>>` becomes `<<<untrusted logs: …>>>`. Checks that each
/// fence's begin and end carry the same code.
pub fn unfenced(text: &str) -> String {
    let open = regex::Regex::new(r"<<<untrusted (\w+) ([0-9a-f]{16}):").unwrap();
    for c in open.captures_iter(text) {
        let end = format!("<<<end {} {}>>>", &c[1], &c[2]);
        assert!(
            text.contains(&end),
            "fence {} is not closed by {end}: {text}",
            &c[2]
        );
    }
    let codes = regex::Regex::new(r"(<<<(?:untrusted|end) \w+) [0-9a-f]{16}").unwrap();
    codes.replace_all(text, "$1").into_owned()
}

/// A local registry (`docker-registry serve`) on a free 127.0.0.1 port, optionally behind
/// htpasswd auth, with its storage in a temporary directory; stopped when dropped.
pub struct LocalRegistry {
    pub host: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

/// The test registry's user and password. Its bcrypt hash (cost 4, so that every request the
/// registry checks stays fast) is below.
pub const REGISTRY_USER: &str = "wharf";
pub const REGISTRY_PASSWORD: &str = "wharf-test-password";
const REGISTRY_HTPASSWD: &str =
    "wharf:$2y$04$6vh7/tl5X4InXhXO2lxc0e634Rx.gd6UOMlaI873I8jKfPscuqK16\n";

impl LocalRegistry {
    pub fn start(auth: bool) -> LocalRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {host}\n",
            dir.path().join("data").display()
        );
        if auth {
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, REGISTRY_HTPASSWD).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: wharf-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect(
                "docker-registry is not installed: run `bash .ci/run` once, or \
                 `apt-get install docker-registry`",
            );
        let registry = LocalRegistry {
            host,
            child,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(&registry.host).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "docker-registry did not listen on {} within 20s",
                registry.host
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        registry
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
