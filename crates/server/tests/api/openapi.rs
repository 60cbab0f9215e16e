//! The committed `openapi.json` is what the server serves, and it matches the server: every
//! documented operation is routed (under /1.0 and /v1 alike), and its IAM actions are exactly
//! the ones the server enforces.

use std::collections::BTreeSet;

use latchkey_core::authz::all_actions;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Auth, Backend, TestApp};

fn document() -> Value {
    serde_json::from_str(latchkey_server::startup::OPENAPI).unwrap()
}

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let served = app.get("/openapi.json", &Auth::None).await;
    assert_eq!(served.status, 200);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json"))
            .unwrap();
    assert_eq!(served.text, committed);
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{user}", "someone")
            .replace("{name}", "some")
            .replace("{group}", "some")
            .replace("{nic}", "lk0001-lk")
            .replace("{id}", "9167fb26-382b-11ee-895a-0050568ce122");
        let mut variants = vec![concrete.clone()];
        if let Some(rest) = concrete.strip_prefix("/1.0") {
            variants.push(format!("/v1{rest}"));
        }
        for (method, _) in item
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "parameters")
        {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for url in &variants {
                let reply = app.call(method.clone(), url, &Auth::None, None).await;
                assert!(
                    reply.status != 404 && reply.status != 405,
                    "{method} {url} is documented but not routed: {} {}",
                    reply.status,
                    reply.text
                );
            }
        }
    }
}

#[test]
fn documented_actions_are_exactly_the_enforced_ones() {
    let doc = document();
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        // `x-iam-action-other-accounts`: what a route needs to reach beyond the caller's account.
        .flat_map(|op| {
            ["x-iam-action", "x-iam-action-other-accounts"]
                .into_iter()
                .filter_map(|key| op.get(key).and_then(Value::as_str).map(str::to_owned))
        })
        .collect();
    let enforced: BTreeSet<String> = all_actions().map(|a| a.name.to_owned()).collect();
    assert_eq!(documented, enforced);
}
