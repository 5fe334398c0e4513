//! Asking the user through MCP elicitation before a destructive tool runs.
//!
//! Up to MCP 2025-11-25 the server sends the client an `elicitation/create` request while
//! the call waits. From 2026-07-28 servers may not send requests: the call ends with an
//! `InputRequiredResult` carrying the question, and the client calls again with the user's
//! answer and the echoed `requestState`.

use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
    InputRequest, InputRequests, InputRequiredResult, InputResponses,
};
use rmcp::service::{ElicitationMode, Peer, RoleServer};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wharf_core::policy::{Answer, Confirm};

/// How long a question may wait for its answer. A person may be away; the call's own
/// cancellation ends the wait sooner.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);

/// The key of the confirmation in `inputRequests` and `inputResponses`.
const INPUT_KEY: &str = "wharf-confirm";

/// The client of one call, as the one to ask.
pub struct Elicit<'a> {
    pub peer: &'a Peer<RoleServer>,
    pub cancel: &'a CancellationToken,
    /// Set for a client on MCP 2026-07-28 or later: the question travels in the result.
    pub rounds: Option<Rounds<'a>>,
}

/// A multi-round-trip call: whether the client can ask, and what it sent back.
pub struct Rounds<'a> {
    pub can_ask: bool,
    pub responses: Option<&'a InputResponses>,
    pub state: Option<&'a str>,
}

impl Confirm for Elicit<'_> {
    async fn ask(&self, tool: &str, question: &str) -> Answer {
        match &self.rounds {
            Some(rounds) => answer_from_retry(rounds, question),
            None => self.ask_now(tool, question).await,
        }
    }
}

impl Elicit<'_> {
    async fn ask_now(&self, tool: &str, question: &str) -> Answer {
        if !self
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            return Answer::CannotAsk;
        }
        let asked = self
            .peer
            .create_elicitation_with_timeout(form(question), Some(ANSWER_TIMEOUT));
        let result = tokio::select! {
            r = asked => r,
            _ = self.cancel.cancelled() => return Answer::No,
        };
        match result {
            Ok(r) => answer(&r),
            Err(e) => {
                tracing::warn!(tool, "cannot ask the user to confirm: {e}");
                Answer::CannotAsk
            }
        }
    }
}

/// The user's answer if this retry carries one for this very question, else ask.
fn answer_from_retry(rounds: &Rounds<'_>, question: &str) -> Answer {
    if !rounds.can_ask {
        return Answer::CannotAsk;
    }
    // The state binds the answer to the question, and so to the tool and its arguments: a
    // retry with other arguments is asked again.
    let reply = rounds
        .responses
        .and_then(|r| r.get(INPUT_KEY))
        .filter(|_| rounds.state == Some(state_of(question).as_str()));
    match reply.map(|v| serde_json::from_value::<ElicitResult>(v.clone())) {
        Some(Ok(result)) => answer(&result),
        // An answer that is not an elicitation result is no "yes".
        Some(Err(_)) => Answer::No,
        None => Answer::Pending,
    }
}

/// The result that hands `question` to the client to ask its user.
pub fn input_required(question: &str) -> InputRequiredResult {
    let mut requests = InputRequests::new();
    requests.insert(
        INPUT_KEY.to_owned(),
        InputRequest::Elicitation(ElicitRequest::new(form(question))),
    );
    InputRequiredResult::new(Some(requests), Some(state_of(question)))
}

fn state_of(question: &str) -> String {
    Sha256::digest(question.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn form(question: &str) -> ElicitRequestParams {
    let schema = ElicitationSchema::builder()
        .bool_property("confirm", |b| b.title("Run it").with_default(true))
        .build_unchecked();
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question.to_owned(),
        requested_schema: schema,
    }
}

/// Accepting the form is the yes, unless its box was explicitly cleared.
fn answer(r: &ElicitResult) -> Answer {
    if r.action != ElicitationAction::Accept {
        return Answer::No;
    }
    let cleared = r
        .content
        .as_ref()
        .and_then(|c| c.get("confirm"))
        .and_then(|c| c.as_bool())
        == Some(false);
    if cleared { Answer::No } else { Answer::Yes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_retry_is_answered_only_for_the_question_it_was_asked() {
        let q = "Allow wharf to run `remove_container`?";
        let yes = InputResponses::from([(INPUT_KEY.to_owned(), json!({"action": "accept"}))]);
        let no = InputResponses::from([(INPUT_KEY.to_owned(), json!({"action": "decline"}))]);
        let state = state_of(q);
        fn retry<'a>(responses: Option<&'a InputResponses>, state: Option<&'a str>) -> Rounds<'a> {
            Rounds {
                can_ask: true,
                responses,
                state,
            }
        }
        assert_eq!(answer_from_retry(&retry(None, None), q), Answer::Pending);
        assert_eq!(
            answer_from_retry(&retry(Some(&yes), Some(&state)), q),
            Answer::Yes
        );
        assert_eq!(
            answer_from_retry(&retry(Some(&no), Some(&state)), q),
            Answer::No
        );
        assert_eq!(
            answer_from_retry(&retry(Some(&yes), Some(&state)), "another question"),
            Answer::Pending
        );
        let unable = Rounds {
            can_ask: false,
            responses: Some(&yes),
            state: Some(&state),
        };
        assert_eq!(answer_from_retry(&unable, q), Answer::CannotAsk);
        let result = input_required(q);
        assert_eq!(result.request_state.as_deref(), Some(state.as_str()));
    }
}
