//! Asking the user through MCP elicitation before a destructive tool runs.

use crate::policy::{Answer, Confirm};
use rmcp::model::{ElicitRequestParams, ElicitationAction, ElicitationSchema};
use rmcp::service::{ElicitationMode, Peer, RoleServer};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a question may wait for its answer. A person may be away; the call's own
/// cancellation ends the wait sooner.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);

/// The client of one call, as the one to ask.
pub struct Elicit<'a> {
    pub peer: &'a Peer<RoleServer>,
    pub cancel: &'a CancellationToken,
}

impl Confirm for Elicit<'_> {
    async fn ask(&self, tool: &str, question: &str) -> Answer {
        if !self
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            return Answer::CannotAsk;
        }
        let schema = ElicitationSchema::builder()
            .bool_property("confirm", |b| {
                b.title("Run it")
                    .description(format!("Run `{tool}`"))
                    .with_default(true)
            })
            .build_unchecked();
        let request = ElicitRequestParams::FormElicitationParams {
            meta: None,
            message: question.to_owned(),
            requested_schema: schema,
        };
        let asked = self
            .peer
            .create_elicitation_with_timeout(request, Some(ANSWER_TIMEOUT));
        let result = tokio::select! {
            r = asked => r,
            _ = self.cancel.cancelled() => return Answer::No,
        };
        match result {
            // Accepting the form is the yes, unless the box was explicitly cleared.
            Ok(r) if r.action == ElicitationAction::Accept => {
                let cleared = r
                    .content
                    .as_ref()
                    .and_then(|c| c.get("confirm"))
                    .and_then(|c| c.as_bool())
                    == Some(false);
                if cleared { Answer::No } else { Answer::Yes }
            }
            Ok(_) => Answer::No,
            Err(e) => {
                tracing::warn!(tool, "cannot ask the user to confirm: {e}");
                Answer::CannotAsk
            }
        }
    }
}
