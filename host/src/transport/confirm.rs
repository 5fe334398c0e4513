//! Asking the user through MCP elicitation before a destructive tool runs.
//!
//! Up to MCP 2025-11-25 the server sends the client an `elicitation/create` request while
//! the call waits. From 2026-07-28 servers may not send requests: the call ends with an
//! `InputRequiredResult` carrying the question, and the client calls again with the user's
//! answer and the echoed `requestState`.
//!
//! The client holds that state between the rounds, so wharf trusts none of it: the state is
//! a one-time ticket, an HMAC under a key this process drew at start over a random nonce and
//! the question (and so the tool and its arguments). A state cannot be made without the key,
//! works for its own question only, is gone once used, and expires with the question.

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
    InputRequest, InputRequests, InputRequiredResult, InputResponses,
};
use rmcp::service::{ElicitationMode, Peer, RoleServer};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wharf_core::policy::{Answer, Confirm};

/// How long a question may wait for its answer. A person may be away; the call's own
/// cancellation ends the wait sooner.
pub(super) const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);

/// The key of the confirmation in `inputRequests` and `inputResponses`.
const INPUT_KEY: &str = "wharf-confirm";

/// Questions waiting for their answer at once; past this the oldest is forgotten (its
/// retry is asked again), so clients that never come back cannot grow the host's memory.
const MAX_OPEN: usize = 4096;

/// The `requestState` tickets this server issued and that were not used yet. One per
/// process, shared by every session: a retry may come on another connection.
pub struct Tickets {
    key: hmac::Key,
    random: SystemRandom,
    lifetime: Duration,
    /// Nonce of each open ticket, with when it was issued.
    open: Mutex<HashMap<[u8; 16], Instant>>,
}

/// The operating system gave no randomness for the tickets' key.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw a key for confirmation tickets: the system gave no randomness")]
pub struct NoRandomness;

impl Tickets {
    pub fn new(lifetime: Duration) -> Result<Tickets, NoRandomness> {
        let random = SystemRandom::new();
        Ok(Tickets {
            key: hmac::Key::generate(hmac::HMAC_SHA256, &random).map_err(|_| NoRandomness)?,
            random,
            lifetime,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A new ticket for `question`.
    fn issue(&self, question: &str) -> String {
        let mut nonce = [0u8; 16];
        // SystemRandom fails only without an OS source, which `new` already drew from; an
        // all-zero nonce would still be unforgeable, only less unique.
        let _ = self.random.fill(&mut nonce);
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, issued| now.duration_since(*issued) < self.lifetime);
        if open.len() >= MAX_OPEN
            && let Some(oldest) = open.iter().min_by_key(|(_, t)| **t).map(|(n, _)| *n)
        {
            open.remove(&oldest);
        }
        open.insert(nonce, now);
        format!(
            "v1.{}.{}",
            hex(&nonce),
            hex(self.tag(&nonce, question).as_ref())
        )
    }

    /// Whether `state` is an open ticket of this server for `question`; using it closes it.
    fn redeem(&self, state: &str, question: &str) -> bool {
        let Some((nonce, tag)) = parse(state) else {
            return false;
        };
        if hmac::verify(&self.key, &signed(&nonce, question), &tag).is_err() {
            return false;
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        match open.remove(&nonce) {
            Some(issued) => issued.elapsed() < self.lifetime,
            None => false,
        }
    }

    fn tag(&self, nonce: &[u8; 16], question: &str) -> hmac::Tag {
        hmac::sign(&self.key, &signed(nonce, question))
    }
}

/// What a ticket's tag covers: its nonce, then the question.
fn signed(nonce: &[u8; 16], question: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + question.len());
    m.extend_from_slice(nonce);
    m.extend_from_slice(question.as_bytes());
    m
}

/// `v1.NONCE.TAG`, both hex: the nonce and the tag's bytes.
fn parse(state: &str) -> Option<([u8; 16], Vec<u8>)> {
    let mut parts = state.strip_prefix("v1.")?.split('.');
    let (nonce, tag) = (parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let nonce = unhex(nonce)?.try_into().ok()?;
    Some((nonce, unhex(tag)?))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The client of one call, as the one to ask.
pub struct Elicit<'a> {
    pub peer: &'a Peer<RoleServer>,
    pub cancel: &'a CancellationToken,
    /// Set for a client on MCP 2026-07-28 or later: the question travels in the result.
    pub rounds: Option<Rounds<'a>>,
}

/// A multi-round-trip call: whether the client can ask, and what it sent back.
pub struct Rounds<'a> {
    pub tickets: &'a Tickets,
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
    let Some(reply) = rounds.responses.and_then(|r| r.get(INPUT_KEY)) else {
        return Answer::Pending;
    };
    // An answer counts only with a ticket issued for this very question (tool and
    // arguments), once; anything else is asked again, with a new ticket.
    let Some(state) = rounds.state else {
        return Answer::Pending;
    };
    if !rounds.tickets.redeem(state, question) {
        tracing::warn!(
            "a confirmation came back with a requestState wharf did not issue for this \
             question, or already used, or expired: asking again"
        );
        return Answer::Pending;
    }
    match serde_json::from_value::<ElicitResult>(reply.clone()) {
        Ok(result) => answer(&result),
        // An answer that is not an elicitation result is no "yes".
        Err(_) => Answer::No,
    }
}

/// The result that hands `question` to the client to ask its user, with a new ticket.
pub fn input_required(tickets: &Tickets, question: &str) -> InputRequiredResult {
    let mut requests = InputRequests::new();
    requests.insert(
        INPUT_KEY.to_owned(),
        InputRequest::Elicitation(ElicitRequest::new(form(question))),
    );
    InputRequiredResult::new(Some(requests), Some(tickets.issue(question)))
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

    const Q: &str = "Allow wharf to run `remove_container`?";

    fn yes() -> InputResponses {
        InputResponses::from([(INPUT_KEY.to_owned(), json!({"action": "accept"}))])
    }

    fn retry<'a>(
        tickets: &'a Tickets,
        responses: Option<&'a InputResponses>,
        state: Option<&'a str>,
    ) -> Rounds<'a> {
        Rounds {
            tickets,
            can_ask: true,
            responses,
            state,
        }
    }

    fn ticket(tickets: &Tickets, question: &str) -> String {
        input_required(tickets, question).request_state.unwrap()
    }

    #[test]
    fn a_retry_is_answered_only_for_the_question_it_was_asked() {
        let tickets = Tickets::new(Duration::from_secs(600)).unwrap();
        let no = InputResponses::from([(INPUT_KEY.to_owned(), json!({"action": "decline"}))]);
        let yes = yes();
        assert_eq!(
            answer_from_retry(&retry(&tickets, None, None), Q),
            Answer::Pending
        );
        let state = ticket(&tickets, Q);
        assert_eq!(
            answer_from_retry(&retry(&tickets, Some(&yes), Some(&state)), Q),
            Answer::Yes
        );
        let state = ticket(&tickets, Q);
        assert_eq!(
            answer_from_retry(&retry(&tickets, Some(&no), Some(&state)), Q),
            Answer::No
        );
        let state = ticket(&tickets, Q);
        assert_eq!(
            answer_from_retry(
                &retry(&tickets, Some(&yes), Some(&state)),
                "another question"
            ),
            Answer::Pending
        );
        let unable = Rounds {
            can_ask: false,
            ..retry(&tickets, Some(&yes), Some(&state))
        };
        assert_eq!(answer_from_retry(&unable, Q), Answer::CannotAsk);
    }

    #[test]
    fn a_state_can_be_neither_made_nor_used_twice_nor_kept() {
        let tickets = Tickets::new(Duration::from_secs(600)).unwrap();
        let yes = yes();
        let answered =
            |state: &str| answer_from_retry(&retry(&tickets, Some(&yes), Some(state)), Q);
        // Made by the client: the question's digest (what wharf accepted before), a
        // ticket's form with a made-up tag, another server's ticket, garbage.
        let digest: String =
            hex(ring::digest::digest(&ring::digest::SHA256, Q.as_bytes()).as_ref());
        assert_eq!(answered(&digest), Answer::Pending);
        let issued = ticket(&tickets, Q);
        let (nonce, _) = issued.rsplit_once('.').unwrap();
        assert_eq!(
            answered(&format!("{nonce}.{}", "00".repeat(32))),
            Answer::Pending
        );
        let elsewhere = Tickets::new(Duration::from_secs(600)).unwrap();
        assert_eq!(answered(&ticket(&elsewhere, Q)), Answer::Pending);
        for junk in ["", "v1.", "v1.zz.zz", "v1.00.00.00", &"f".repeat(10_000)] {
            assert_eq!(answered(junk), Answer::Pending, "{junk:.20}");
        }
        // Used once, then replayed.
        assert_eq!(answered(&issued), Answer::Yes);
        assert_eq!(answered(&issued), Answer::Pending);
        // Kept past its lifetime.
        let brief = Tickets::new(Duration::ZERO).unwrap();
        let state = ticket(&brief, Q);
        assert_eq!(
            answer_from_retry(&retry(&brief, Some(&yes), Some(&state)), Q),
            Answer::Pending
        );
    }

    #[test]
    fn clients_that_never_come_back_do_not_grow_the_open_tickets() {
        let tickets = Tickets::new(Duration::from_secs(600)).unwrap();
        let first = ticket(&tickets, Q);
        for _ in 0..MAX_OPEN {
            ticket(&tickets, Q);
        }
        assert_eq!(tickets.open.lock().unwrap().len(), MAX_OPEN);
        let yes = yes();
        assert_eq!(
            answer_from_retry(&retry(&tickets, Some(&yes), Some(&first)), Q),
            Answer::Pending,
            "the oldest ticket was forgotten"
        );
    }
}
