//! The pipeline's steps, each on its own, with no plugin and no engine contacted.

use super::*;
use crate::engine::fake::Fake;
use crate::registry::engine_argument;

fn def(name: &str, read_only: bool) -> ToolDef {
    ToolDef::for_tests(name, read_only, false)
}

/// Two engines, `prod` read-only; never contacted.
fn engines() -> Engines {
    let at = |name: &str, read_only: bool| {
        Arc::new(Fake::named(name, read_only)) as Arc<dyn DockerEngine>
    };
    Engines::new(vec![at("local", false), at("prod", true)], 0)
}

#[test]
fn routing_takes_the_engine_argument_out_and_refuses_an_unknown_engine() {
    let engines = engines();
    let mut args = serde_json::json!({ "container": "web", engine_argument::NAME: "prod" });
    let engine = route(&engines, true, "stop_container", &mut args)
        .unwrap()
        .unwrap();
    assert_eq!(engine.name(), "prod");
    assert_eq!(args, serde_json::json!({ "container": "web" }));

    let mut args = serde_json::json!({});
    let engine = route(&engines, true, "list_containers", &mut args)
        .unwrap()
        .unwrap();
    assert_eq!(engine.name(), "local");

    let mut args = serde_json::json!({ engine_argument::NAME: "staging" });
    let e = route(&engines, true, "list_containers", &mut args).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid arguments for `list_containers`: engine: no engine `staging` is configured \
         (known: `local`, `prod`)"
    );
    // A tool that does not reach Docker is routed nowhere.
    assert!(
        route(
            &engines,
            false,
            "compose_config",
            &mut serde_json::json!({})
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn a_tool_that_changes_state_does_not_run_on_a_read_only_engine() {
    let engines = engines();
    let prod = engines.get("prod");
    let local = engines.get("local");
    let e = engine_allows(prod, &def("stop_container", false)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "denied: engine `prod` is read-only and `stop_container` changes state"
    );
    engine_allows(prod, &def("list_containers", true)).unwrap();
    engine_allows(local, &def("stop_container", false)).unwrap();
    engine_allows(None, &def("compose_config", false)).unwrap();
}

struct Answers(Answer);

impl Confirm for Answers {
    async fn ask(&self, _tool: &str, _question: &str) -> Answer {
        self.0
    }
}

#[tokio::test]
async fn confirmation_answers_become_a_run_or_a_typed_refusal() {
    let asking = ConfirmPolicy::default();
    let proceed: ConfirmPolicy =
        toml::from_str("without_elicitation = \"proceed\"").expect("a confirm policy");
    let q = || Some("Remove container web?".to_owned());
    let ask = |a| Answers(a);
    assert!(
        confirmed(&asking, &ask(Answer::Yes), "t", q())
            .await
            .is_ok()
    );
    assert!(matches!(
        confirmed(&asking, &ask(Answer::No), "t", q()).await,
        Err(RegistryError::Declined(_))
    ));
    assert!(matches!(
        confirmed(&asking, &ask(Answer::CannotAsk), "t", q()).await,
        Err(RegistryError::Unconfirmed(_))
    ));
    assert!(
        confirmed(&proceed, &ask(Answer::CannotAsk), "t", q())
            .await
            .is_ok()
    );
    match confirmed(&asking, &ask(Answer::Pending), "t", q()).await {
        Err(RegistryError::AwaitingConfirmation { question, .. }) => {
            assert_eq!(question, "Remove container web?")
        }
        other => panic!("expected the question back, got {other:?}"),
    }
    // No question, nothing asked: even a client that would say no is not consulted.
    assert!(
        confirmed(&asking, &ask(Answer::No), "t", None)
            .await
            .is_ok()
    );
}

#[test]
fn the_audit_records_refusals_failures_and_runs_but_not_a_pending_confirmation() {
    let out = || Output {
        text: "ok".into(),
        structured: None,
    };
    assert!(matches!(audit_outcome(&Ok(out()), ""), Some(Outcome::Ok)));
    let malformed = Err(RegistryError::MalformedResult {
        plugin: "p".into(),
        tool: "t".into(),
        problems: "x".into(),
        text: "ran".into(),
    });
    assert!(matches!(audit_outcome(&malformed, "e"), Some(Outcome::Ok)));
    let declined = Err(RegistryError::Declined("t".into()));
    assert!(matches!(
        audit_outcome(&declined, "cancelled"),
        Some(Outcome::Refused("cancelled"))
    ));
    let failed = Err(RegistryError::UnknownTool("t".into()));
    assert!(matches!(
        audit_outcome(&failed, "unknown"),
        Some(Outcome::Failed("unknown"))
    ));
    let pending = Err(RegistryError::AwaitingConfirmation {
        tool: "t".into(),
        question: "?".into(),
    });
    assert!(audit_outcome(&pending, "").is_none());
}
