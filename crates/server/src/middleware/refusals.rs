//! Refused calls in the audit log: every 403 an authenticated caller is answered becomes an
//! `ACCESS_DENIED` record naming the refused actions (or Keystone's reason), the method and the
//! route template (core's `Directory::record_refusal`, which coalesces repeats). The extractors
//! that authenticate a caller [`remember`] it for the request; the error types mark their 403
//! answers with [`Refused`].

use std::cell::RefCell;

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use latchkey_core::authz::Principal;
use latchkey_core::service::Refusal;

tokio::task_local! {
    static CALLER: RefCell<Option<Principal>>;
}

/// What a 403 answer refused: a response extension set by the API's error types.
#[derive(Debug, Clone, Default)]
pub struct Refused {
    pub actions: Vec<String>,
    /// Why, when no action names it.
    pub reason: Option<String>,
}

/// Remembers who the request authenticated as, in case its answer is a refusal.
pub fn remember(who: Principal) {
    let _ = CALLER.try_with(|caller| *caller.borrow_mut() = Some(who));
}

/// Runs `serve` noting who it authenticates; gives its answer and that caller.
pub(super) async fn watching<F: Future<Output = Response>>(
    serve: F,
) -> (Response, Option<Principal>) {
    CALLER
        .scope(RefCell::new(None), async {
            let res = serve.await;
            (res, CALLER.with(|caller| caller.borrow_mut().take()))
        })
        .await
}

/// The refusal to record when `res` is a 403 to an authenticated caller.
pub(super) fn refusal_of(
    who: Option<Principal>,
    method: &Method,
    route: Option<&MatchedPath>,
    res: &Response,
) -> Option<(Principal, Refusal)> {
    if res.status() != StatusCode::FORBIDDEN {
        return None;
    }
    let who = who?;
    let refused = res
        .extensions()
        .get::<Refused>()
        .cloned()
        .unwrap_or_default();
    let refusal = Refusal {
        actions: refused.actions,
        reason: refused.reason,
        method: method.as_str().to_owned(),
        route: route.map(|r| r.as_str().to_owned()),
    };
    Some((who, refusal))
}
