//! What people install without a Rust toolchain, made from the build the tests already
//! have: the Claude Desktop bundle, the container image, and a start-up whose plugin cache
//! cannot be written. `scripts/dist` makes the same artifacts from the static release build
//! and runs the same checks on them.

#[path = "support/mod.rs"]
mod support;

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use support::{
    Cleanup, docker, require_docker, require_python_sdk, run_fixture, unique, wharf_bin,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn require_release_tools() {
    require_python_sdk();
    let prefix = std::env::var_os("WHARF_MCPB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"))
                .join("wharf-ci/npm")
        });
    assert!(
        prefix.join("node_modules/.bin/mcpb").exists(),
        "this test needs @anthropic-ai/mcpb under {} (.ci/run installs it)",
        prefix.display()
    );
}

/// The test build without its debug info: what a release holds, at a tenth of the size, so
/// packing and `docker build` do not spend a minute moving 700 MB.
fn stripped_wharf() -> &'static Path {
    static STRIPPED: OnceLock<PathBuf> = OnceLock::new();
    STRIPPED.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wharf-stripped");
        let status = Command::new("strip")
            .args(["--strip-debug", "-o"])
            .arg(&out)
            .arg(wharf_bin())
            .status()
            .expect("strip (binutils) runs");
        assert!(status.success(), "strip failed");
        out
    })
}

/// `scripts/release.py ARGS`, which must succeed; its stdout.
fn release(args: &[&OsStr]) -> String {
    let out = Command::new("python3")
        .arg(repo().join("scripts/release.py"))
        .args(args)
        .output()
        .expect("python3 runs");
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success(),
        "release.py {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The bundle is packed from what wharf serves, `mcpb validate` accepts it (and refuses it
/// once broken), and unpacked as Claude Desktop unpacks it, with mcpb's own substitution of
/// the manifest's command line, it serves exactly the tools its manifest lists and
/// `list_containers` against the real engine.
#[test]
fn the_bundle_validates_and_serves_what_its_manifest_lists() {
    require_docker();
    require_release_tools();
    let mut cleanup = Cleanup::default();
    let seen = cleanup.container(&unique("bundle"));
    run_fixture(&seen, &[], &["true"]);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("wharf.mcpb");
    release(&[
        "pack".as_ref(),
        stripped_wharf().as_os_str(),
        bundle.as_os_str(),
    ]);
    let served = release(&["check".as_ref(), bundle.as_os_str()]);
    assert!(served.contains(&seen), "{served}");
    release(&["reject-invalid".as_ref(), bundle.as_os_str()]);
}

/// The image runs as an unprivileged user with the plugins precompiled at build time: over
/// `docker run -i` it serves `list_containers` through the Python SDK without compiling.
#[test]
fn the_image_serves_over_docker_run_without_compiling() {
    require_docker();
    require_release_tools();
    let mut cleanup = Cleanup::default();
    let image = cleanup.image(&format!("{}:test", unique("image")));
    let built = Command::new("bash")
        .arg(repo().join("scripts/image"))
        .arg(stripped_wharf())
        .arg(&image)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&built);
    assert!(built.status.success(), "{stdout}\n{stderr}");
    let user = docker(&["image", "inspect", "-f", "{{.Config.User}}", &image]);
    assert_eq!(user.trim(), "65532:65532");

    let seen = cleanup.container(&unique("imaged"));
    run_fixture(&seen, &[], &["true"]);
    let server = cleanup.container(&unique("server"));
    let sock = Path::new("/var/run/docker.sock");
    let gid = std::fs::metadata(sock).unwrap().gid().to_string();
    let out = Command::new("python3")
        .arg(repo().join("scripts/release.py"))
        .args(["serve", "docker", "run", "-i", "--rm", "--name", &server])
        .args(["--label", "wharf.test=1", "-e", "WHARF_LOG=wharf=debug"])
        .args(["-v", "/var/run/docker.sock:/var/run/docker.sock"])
        .args(["--group-add", &gid, &image])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&seen), "{stdout}");
    assert!(
        stderr.contains("loaded a precompiled plugin"),
        "the image's cache was not used:\n{stderr}"
    );
    assert!(
        !stderr.contains("compiling plugins in memory"),
        "the image compiled at start:\n{stderr}"
    );
}

/// `wharf` started as `env`, with `args`.
fn wharf(args: &[&str], env: &[(&str, &OsStr)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(wharf_bin())
        .args(args)
        .env("HOME", home.path())
        .env("WHARF_CONFIG", home.path().join("none.toml"))
        .env_remove("XDG_CACHE_HOME")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(home.path())
        .output()
        .unwrap()
}

/// A cache that cannot be written (beneath a regular file nothing can be made, whoever
/// runs the test, root included) does not stop a start: the plugins are compiled in memory
/// and wharf says so once, not once a plugin.
#[test]
fn a_start_whose_cache_cannot_be_written_serves_and_says_so_once() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let cache = file.path().join("wharf");
    let out = wharf(&["tools"], &[("WHARF_CACHE_DIR", cache.as_os_str())]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("list_containers"), "{stdout}");
    assert_eq!(
        stderr.matches("compiling plugins in memory").count(),
        1,
        "{stderr}"
    );

    let out = wharf(&["precompile", "--cache", cache.to_str().unwrap()], &[]);
    let (_, stderr) = texts(&out);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("cannot write to the cache"), "{stderr}");
}

/// `wharf precompile` compiles every built-in plugin, off-by-default ones too, once; a start
/// from that cache then loads each plugin it serves from it and writes nothing.
#[test]
fn precompile_fills_the_cache_a_start_then_only_reads() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = wharf(&["precompile", "--cache", cache.to_str().unwrap()], &[]);
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let compiled = stderr.matches("wharf: precompiled ").count();
    assert!(stderr.contains("precompiled swarm"), "{stderr}");
    let artifacts = || {
        let mut files: Vec<(String, i64)> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    m.mtime_nsec() + m.mtime() * 1_000_000_000,
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = artifacts();
    assert_eq!(before.len(), compiled, "{before:?}\n{stderr}");

    let again = wharf(&["precompile", "--cache", cache.to_str().unwrap()], &[]);
    let (_, stderr) = texts(&again);
    assert!(again.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("was already precompiled").count(),
        compiled,
        "{stderr}"
    );

    let start = wharf(
        &["tools"],
        &[
            ("WHARF_CACHE_DIR", cache.as_os_str()),
            ("WHARF_LOG", "wharf=debug".as_ref()),
        ],
    );
    let (stdout, stderr) = texts(&start);
    assert!(start.status.success(), "{stderr}");
    assert!(stdout.contains("list_containers"));
    // Every built-in plugin but the off-by-default swarm is served.
    assert_eq!(
        stderr.matches("loaded a precompiled plugin").count(),
        compiled - 1,
        "{stderr}"
    );
    assert_eq!(
        artifacts(),
        before,
        "a start from a filled cache wrote to it"
    );
}

/// Launchers that set only the environment (a bundle's manifest) turn read-only mode on
/// and off with `WHARF_READ_ONLY`, spelled as people spell booleans; `false` beside
/// `--no-destructive` is no conflict.
#[test]
fn read_only_mode_is_taken_from_the_environment() {
    // The suite's shared cache: ten starts need not compile ten times.
    let cache = support::cache_dir();
    let listed = |args: &[&str], value: Option<&str>| {
        let mut env: Vec<(&str, &OsStr)> = vec![("WHARF_CACHE_DIR", cache.as_os_str())];
        env.extend(value.map(|v| ("WHARF_READ_ONLY", OsStr::new(v))));
        let out = wharf(args, &env);
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{args:?} {value:?}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let mut names: Vec<String> = v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let full = listed(&["tools", "--json"], None);
    let read_only = listed(&["--read-only", "tools", "--json"], None);
    assert!(read_only.len() < full.len());
    for on in ["true", "1", "yes"] {
        assert_eq!(listed(&["tools", "--json"], Some(on)), read_only, "{on}");
    }
    for off in ["false", "0", "no"] {
        assert_eq!(listed(&["tools", "--json"], Some(off)), full, "{off}");
    }
    let no_destructive = listed(&["--no-destructive", "tools", "--json"], None);
    assert_eq!(
        listed(&["--no-destructive", "tools", "--json"], Some("false")),
        no_destructive
    );
    let both = wharf(
        &["--no-destructive", "tools"],
        &[("WHARF_READ_ONLY", "true".as_ref())],
    );
    let (_, stderr) = texts(&both);
    assert!(!both.status.success());
    assert!(stderr.contains("exclude each other"), "{stderr}");
}
