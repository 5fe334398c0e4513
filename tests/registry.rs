//! Pull and push end to end, against a real registry (`docker-registry` on 127.0.0.1), with
//! and without htpasswd auth, through an MCP client that records progress notifications.

#[path = "support/mod.rs"]
mod support;

use base64::Engine as _;
use rmcp::model::ProgressNotificationParam;
use serde_json::json;
use support::{
    Cleanup, FIXTURE, LocalRegistry, REGISTRY_PASSWORD, REGISTRY_USER, Wharf, docker,
    require_docker, unique,
};

/// Progress for one call: present, and growing with every notification as MCP requires.
fn assert_growing(what: &str, progress: &[ProgressNotificationParam]) {
    assert!(!progress.is_empty(), "{what}: no progress notifications");
    for pair in progress.windows(2) {
        assert!(
            pair[1].progress > pair[0].progress,
            "{what}: progress went from {} to {}",
            pair[0].progress,
            pair[1].progress
        );
    }
}

#[tokio::test]
async fn build_push_pull_and_run_through_a_registry() {
    require_docker();
    let registry = LocalRegistry::start(false);
    let mut cleanup = Cleanup::default();
    let reference = cleanup.image(&format!("{}/{}:v1", registry.host, unique("app")));
    let greeting = unique("hello from wharf");
    let w = Wharf::start().await;

    let (built, progress) = w
        .ok_with_progress(
            "build_image",
            json!({
                // The random layer is large enough that the pull below reports its bytes
                // as they arrive: a tiny layer is often done before the engine says how
                // big it is.
                "dockerfile": format!(
                    "FROM {FIXTURE}\nCOPY greeting.txt /greeting.txt\n\
                     RUN head -c 4000000 /dev/urandom > /blob\nCMD [\"cat\", \"/greeting.txt\"]\n"
                ),
                "files": {"greeting.txt": greeting},
                "tags": [reference],
                "labels": {"wharf.test": "1"},
            }),
        )
        .await;
    assert!(
        built.starts_with("built ") && built.ends_with(&format!("in 5 steps, tagged {reference}")),
        "{built}"
    );
    assert_growing("build", &progress);
    // FROM, COPY, RUN, CMD, and the LABEL the labels argument adds.
    assert_eq!(progress.last().unwrap().total, Some(5.0));
    // Only the latest report is kept for a client that lags (runtime/context.rs), so a
    // quick step may be skipped; each report names its step.
    assert!(
        progress.iter().all(|p| p
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Step ") && m.contains("/5 : "))),
        "{progress:?}"
    );

    let (pushed, progress) = w
        .ok_with_progress("push_image", json!({"reference": reference}))
        .await;
    assert!(
        pushed.starts_with(&format!("pushed {reference} (digest sha256:")),
        "{pushed}"
    );
    assert_growing("push", &progress);

    let removed = w.ok("remove_image", json!({"image": reference})).await;
    assert!(
        removed.contains(&format!("untagged {reference}")),
        "{removed}"
    );

    let (pulled, progress) = w
        .ok_with_progress("pull_image", json!({"reference": reference}))
        .await;
    assert!(
        pulled.starts_with(&format!(
            "pulled {reference}: Downloaded newer image for {reference} (digest sha256:"
        )),
        "{pulled}"
    );
    assert_growing("pull", &progress);
    assert!(
        progress.iter().any(|p| p.total.is_some_and(|t| t > 0.0)),
        "a pull reports bytes: {progress:?}"
    );

    let name = cleanup.container(&unique("pulled"));
    let out = docker(&[
        "run",
        "--name",
        &name,
        "--label",
        "wharf.test=1",
        &reference,
    ]);
    assert_eq!(out, greeting);

    // Pulling what is already there is a quick no-op.
    let again = w.ok("pull_image", json!({"reference": reference})).await;
    assert!(again.contains("Image is up to date"), "{again}");
    let missing = w
        .err(
            "pull_image",
            json!({"reference": format!("{}/does-not-exist:v1", registry.host)}),
        )
        .await;
    assert!(missing.contains("not found"), "{missing}");
}

#[tokio::test]
async fn an_authenticated_registry_uses_configured_credentials_and_never_echoes_them() {
    require_docker();
    let registry = LocalRegistry::start(true);
    let mut cleanup = Cleanup::default();
    let reference = cleanup.image(&format!("{}/{}:v1", registry.host, unique("private")));
    docker(&["tag", FIXTURE, &reference]);

    // No credentials anywhere: a refusal that says how to fix it.
    let w = Wharf::start().await;
    let refused = w.err("push_image", json!({"reference": reference})).await;
    assert!(
        refused.starts_with(&format!(
            "denied: registry {} refused access",
            registry.host
        )) && refused.contains("no credentials are configured for it"),
        "{refused}"
    );
    drop(w);

    // The user's Docker config, as `docker login` writes it.
    let docker_config = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}"));
    std::fs::write(
        docker_config.path().join("config.json"),
        json!({"auths": {format!("http://{}", registry.host): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    let config_dir = docker_config.path().to_str().unwrap();
    let w = Wharf::start_env(&[], None, &[("DOCKER_CONFIG", config_dir)]).await;
    let pushed = w.ok("push_image", json!({"reference": reference})).await;
    assert!(
        pushed.starts_with(&format!("pushed {reference}")),
        "{pushed}"
    );
    drop(w);

    // wharf's own config, with a wrong password from the environment: a clear refusal that
    // names where the credentials came from and shows no secret.
    let wrong = "wrong-password-4711";
    let config = format!(
        "[registries.\"{}\"]\nusername = \"{REGISTRY_USER}\"\npassword_env = \"WHARF_TEST_REGISTRY_PASSWORD\"\n",
        registry.host
    );
    let w = Wharf::start_env(
        &[],
        Some(&config),
        &[("WHARF_TEST_REGISTRY_PASSWORD", wrong)],
    )
    .await;
    let refused = w.err("pull_image", json!({"reference": reference})).await;
    assert!(
        refused.starts_with(&format!(
            "denied: registry {} refused access",
            registry.host
        )) && refused.contains("in wharf.toml were refused"),
        "{refused}"
    );
    assert!(!refused.contains(wrong), "{refused}");
    drop(w);

    // The right password, from wharf's config: pull works.
    docker(&["rmi", &reference]);
    let w = Wharf::start_env(
        &[],
        Some(&config),
        &[("WHARF_TEST_REGISTRY_PASSWORD", REGISTRY_PASSWORD)],
    )
    .await;
    let pulled = w.ok("pull_image", json!({"reference": reference})).await;
    assert!(pulled.contains("Downloaded newer image"), "{pulled}");
}

/// The registry plugin (built beside the default plugins, never embedded) loaded as a
/// team's plugin would be: a plugin directory, and config granting `http` to one host.
#[tokio::test]
async fn the_registry_plugin_reads_a_registry_only_through_its_granted_host() {
    require_docker();
    for auth in [false, true] {
        let registry = LocalRegistry::start(auth);
        let mut cleanup = Cleanup::default();
        let repo = unique("catalog");
        let reference = cleanup.image(&format!("{}/{repo}:v1", registry.host));
        docker(&["tag", FIXTURE, &reference]);

        let plugins = tempfile::tempdir().unwrap();
        std::fs::copy(
            env!("WHARF_REGISTRY_PLUGIN_WASM"),
            plugins.path().join("registry.wasm"),
        )
        .unwrap();
        // A login goes over plain HTTP only to a host granted as `http://`.
        let grant = format!(
            "[plugin.registry]\ngrants = [\"http\"]\nhttp_hosts = [\"http://{}\"]\n",
            registry.host
        );
        let login = format!(
            "[registries.\"{}\"]\nusername = \"{REGISTRY_USER}\"\npassword = \"{REGISTRY_PASSWORD}\"\n",
            registry.host
        );
        let config = format!("{grant}{login}");
        let dir = plugins.path().to_str().unwrap();
        let w = Wharf::start_env(&["--plugin-dir", dir], Some(&config), &[]).await;
        let pushed = w.ok("push_image", json!({"reference": reference})).await;
        assert!(
            pushed.starts_with(&format!("pushed {reference}")),
            "{pushed}"
        );
        let digest = docker(&[
            "inspect",
            "--format",
            "{{index .RepoDigests 0}}",
            &reference,
        ]);
        let digest = digest.rsplit('@').next().unwrap().to_owned();

        let base = format!("http://{}", registry.host);
        let repos = w
            .ok("registry_list_repositories", json!({"registry": base}))
            .await;
        assert!(repos.contains(&repo), "{repos}");
        let tags = w
            .ok(
                "registry_list_tags",
                json!({"registry": base, "repository": repo}),
            )
            .await;
        assert!(tags.contains("v1"), "{tags}");
        let manifest = w
            .ok(
                "registry_get_manifest",
                json!({"registry": base, "repository": repo, "reference": "v1"}),
            )
            .await;
        assert!(manifest.contains(&digest), "{digest} not in {manifest}");
        let config_text = w
            .ok(
                "registry_get_image_config",
                json!({"registry": base, "repository": repo, "reference": digest}),
            )
            .await;
        assert!(
            config_text.contains("org.wharf.fixture-version"),
            "{config_text}"
        );

        // Any other host is refused by the host before a connection is made.
        let refused = w
            .err(
                "registry_list_tags",
                json!({"registry": "http://127.0.0.1:9", "repository": repo}),
            )
            .await;
        assert!(refused.contains("http_hosts"), "{refused}");
        drop(w);

        if auth {
            // No login in the config: the registry refuses, and the answer says what to do.
            let w = Wharf::start_env(&["--plugin-dir", dir], Some(&grant), &[]).await;
            let refused = w
                .err(
                    "registry_list_tags",
                    json!({"registry": base, "repository": repo}),
                )
                .await;
            assert!(refused.contains("docker login"), "{refused}");
            assert!(!refused.contains(REGISTRY_PASSWORD), "{refused}");
        }
    }
}
