//! A scripted [`Transport`] for unit tests: each request must go to the URL the script
//! expects next, and gets the scripted answer.

use crate::client::Transport;
use std::cell::RefCell;
use std::collections::VecDeque;
use wharf_plugin_sdk::http::{HttpError, Request, Response};

type Reply = Result<Response, HttpError>;

#[derive(Default)]
pub struct Fake {
    script: RefCell<VecDeque<(String, Reply)>>,
    sent: RefCell<Vec<Request>>,
}

impl Fake {
    pub fn new() -> Self {
        Self::default()
    }

    /// Expect a request to exactly `url` next, and answer it with `reply`.
    pub fn on(self, url: &str, reply: Reply) -> Self {
        self.script.borrow_mut().push_back((url.to_owned(), reply));
        self
    }

    /// The requests sent, once the whole script has been used.
    pub fn done(&self) -> Vec<Request> {
        let left: Vec<String> = self
            .script
            .borrow()
            .iter()
            .map(|(u, _)| u.clone())
            .collect();
        assert!(left.is_empty(), "requests never sent: {left:?}");
        self.sent.borrow().clone()
    }
}

impl Transport for Fake {
    fn send(&self, request: &Request) -> Reply {
        self.sent.borrow_mut().push(request.clone());
        let (url, reply) = self
            .script
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request to {}", request.url));
        assert_eq!(
            request.url, url,
            "request went elsewhere than the script says"
        );
        reply
    }
}

pub fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Reply {
    Ok(Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
    })
}
