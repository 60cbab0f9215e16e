//! Refused calls in the audit log: every 403 an authenticated caller is answered becomes an
//! `ACCESS_DENIED` record naming the refused actions (or Keystone's reason), the method and the
//! route template (core's `Directory::record_refusal`, which coalesces repeats). The extractors
//! that authenticate a caller [`remember`] it for the request; the error types mark their 403
//! answers with [`Refused`].

use std::cell::RefCell;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use latchkey_core::authz::Principal;
use latchkey_core::service::{Directory, Refusal};

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

/// Middleware: records the refusal when the answer is a 403 to an authenticated caller.
pub async fn record(State(directory): State<Arc<Directory>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let (res, who) = CALLER
        .scope(RefCell::new(None), async {
            let res = next.run(req).await;
            (res, CALLER.with(|caller| caller.borrow_mut().take()))
        })
        .await;
    if res.status() == StatusCode::FORBIDDEN
        && let Some(who) = who
    {
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
        directory.record_refusal(&who, refusal).await;
    }
    res
}
