//! The compose plugin end to end: a project read from files under the allowed roots (only
//! through `read-files`), interpolated, merged and shown; mistakes named.

#[path = "support/mod.rs"]
mod support;

use serde_json::json;
use support::Wharf;

const BASE: &str = "services:
  web:
    image: nginx:${TAG:-1}
    ports: ['${PORT:-80}:80']
    depends_on:
      db:
        condition: service_healthy
    colour: blue
  db:
    image: postgres:16
    volumes: ['data:/var/lib/postgresql/data']
volumes:
  data: {}
";

#[tokio::test]
async fn compose_config_shows_the_normalised_project() {
    let w = Wharf::start().await;
    let dir = w.dir.path();
    std::fs::write(dir.join("compose.yaml"), BASE).unwrap();
    std::fs::write(
        dir.join("compose.override.yaml"),
        "services:\n  web:\n    deploy:\n      replicas: 2\n",
    )
    .unwrap();
    std::fs::write(dir.join(".env"), "TAG=from-dotenv\nPORT=8080\n").unwrap();

    let out = w
        .ok("compose_config", json!({ "project_name": "shop" }))
        .await;
    assert!(out.starts_with("project shop: 2 services"), "{out}");
    assert!(
        out.contains("- web: nginx:from-dotenv; x2; ports 8080->80/tcp; after db (healthy)"),
        "{out}"
    );
    assert!(out.contains("volumes: shop_data"), "{out}");
    assert!(
        out.contains("warning: services.web.colour: unknown or unsupported key"),
        "{out}"
    );

    // Variables given in the call win over .env.
    let out = w
        .ok(
            "compose_config",
            json!({ "project_name": "shop", "env": { "TAG": "given" } }),
        )
        .await;
    assert!(out.contains("nginx:given"), "{out}");

    // Inline YAML, and a broken file named with its line.
    let out = w
        .ok(
            "compose_config",
            json!({ "yaml": "services:\n  one:\n    image: busybox\n", "project_name": "p" }),
        )
        .await;
    assert!(out.starts_with("project p: 1 services"), "{out}");
    std::fs::write(
        dir.join("broken.yaml"),
        "services:\n  web:\n    image: [oops\n",
    )
    .unwrap();
    let err = w
        .err("compose_config", json!({ "files": ["broken.yaml"] }))
        .await;
    assert!(err.contains("broken.yaml") && err.contains("line"), "{err}");
    let err = w
        .err(
            "compose_config",
            json!({ "yaml": "services:\n  web:\n    image: x\n    depends_on: [db]\n" }),
        )
        .await;
    assert!(
        err.contains("services.web.depends_on: refers to undefined service db"),
        "{err}"
    );

    // Only the allowed roots are readable.
    let err = w
        .err("compose_config", json!({ "project_dir": "/etc" }))
        .await;
    assert!(err.contains("outside the allowed roots"), "{err}");
    std::fs::create_dir(dir.join("empty")).unwrap();
    let err = w
        .err("compose_config", json!({ "project_dir": "empty" }))
        .await;
    assert!(
        err.contains("no compose file in") && err.contains("compose.yaml"),
        "{err}"
    );
}
