//! Three `latchkey serve` processes on one PostgreSQL database, killed with SIGKILL in the middle
//! of a load of PAT creations and deletions, and started again: every change the cluster
//! committed has its audit record and its event and every one it did not has neither (a crash
//! leaves all three or none), and once restarted the nodes agree on every credential again.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use latchkey_client::model::AuditFilter;
use latchkey_client::{Client, Credentials, Secret};
use latchkey_server::testing::PostgresDatabase;
use serde_json::json;
use support::{free_port, latchkey};
use tokio::sync::Mutex;

const PASSWORD: &str = "cluster password 1";
const ADMIN: &str = "lk0001-lk/admin";

/// One node: a `latchkey serve` process on a port of its own, sharing the database and the hash
/// key (the data directory) with the others.
struct Node {
    child: Option<Child>,
    port: u16,
    database: String,
    data: std::path::PathBuf,
}

impl Node {
    async fn start(database: &str, data: &std::path::Path) -> Self {
        let mut node = Node {
            child: None,
            port: free_port(),
            database: database.to_owned(),
            data: data.to_owned(),
        };
        node.spawn().await;
        node
    }

    async fn spawn(&mut self) {
        let child = latchkey()
            .arg("serve")
            .env("LATCHKEY_DATABASE_URL", &self.database)
            .env("LATCHKEY_DATA_DIR", &self.data)
            .env("LATCHKEY_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("LATCHKEY_ADMIN_PASSWORD", PASSWORD)
            .env("LATCHKEY_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let http = reqwest::Client::new();
        while http
            .get(format!("{}/healthz", self.base()))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "node did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn admin(&self, pat: &str) -> Client {
        Client::new(self.base(), Credentials::Pat(Secret::new(pat.to_owned()))).unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the writers learnt: the value of each PAT whose creation was answered, and the names
/// whose deletion was answered.
#[derive(Default)]
struct Outcome {
    created: BTreeMap<String, String>,
    deleted: BTreeSet<String>,
}

/// Creates PATs and deletes every other one through `base` until `stop`; connection errors (the
/// node killed under it) are expected and leave the outcome of that request unknown.
async fn write(
    base: String,
    admin: String,
    prefix: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Outcome>>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut i = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let name = format!("{prefix}-{i}");
        i += 1;
        let created = http
            .post(format!("{base}/1.0/me/identity/user/admin/token"))
            .bearer_auth(&admin)
            .json(&json!({ "name": name, "description": "load" }))
            .send()
            .await;
        let Ok(created) = created else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        if created.status() != 200 {
            continue;
        }
        let Ok(body) = created.json::<serde_json::Value>().await else {
            continue;
        };
        let value = body["token"].as_str().unwrap().to_owned();
        seen.lock().await.created.insert(name.clone(), value);
        if i.is_multiple_of(2) {
            let deleted = http
                .delete(format!("{base}/1.0/me/identity/user/admin/token/{name}"))
                .bearer_auth(&admin)
                .send()
                .await;
            if deleted.is_ok_and(|r| r.status() == 200) {
                seen.lock().await.deleted.insert(name);
            }
        }
    }
}

/// The status `GET /1.0/me` answers `pat` on `node`.
async fn status_of(http: &reqwest::Client, node: &Node, pat: &str) -> u16 {
    http.get(format!("{}/1.0/me", node.base()))
        .bearer_auth(pat)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_killed_mid_load_lose_no_change_record_or_event_and_agree_again() {
    let db = PostgresDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    let mut nodes = vec![Node::start(db.url(), data.path()).await];
    nodes.push(Node::start(db.url(), data.path()).await);
    nodes.push(Node::start(db.url(), data.path()).await);
    let http = reqwest::Client::new();
    let admin = http
        .post(format!(
            "{}/1.0/me/identity/user/admin/token",
            nodes[0].base()
        ))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({ "name": "operator", "description": "the test's" }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Writers on node 0 and node 1; node 1 is killed first, then node 0.
    let seen = Arc::new(Mutex::new(Outcome::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (n, node) in nodes.iter().enumerate().take(2) {
        for w in 0..2 {
            writers.push(tokio::spawn(write(
                node.base(),
                admin.clone(),
                format!("n{n}w{w}"),
                Arc::clone(&stop),
                Arc::clone(&seen),
            )));
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nodes[1].kill();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    nodes[1].spawn().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    nodes[0].kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    nodes[0].spawn().await;

    // What the store holds, read through node 2 (never killed).
    let reader = nodes[2].admin(&admin);
    let live: BTreeSet<String> = reader
        .list_pats("admin")
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n != "operator")
        .collect();
    let names_in = |kind: &str, records: &[latchkey_client::model::AuditRecord]| {
        records
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                r.type_details().unwrap()["tokenName"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .filter(|n| n != "operator")
            .collect::<Vec<_>>()
    };
    let filter = AuditFilter {
        types: vec!["TOKEN_CREATED".into(), "TOKEN_DELETED".into()],
        ..AuditFilter::default()
    };
    let records = reader.audit_log(&filter, None).await.unwrap();
    let created: BTreeSet<String> = names_in("TOKEN_CREATED", &records).into_iter().collect();
    let deleted_list = names_in("TOKEN_DELETED", &records);
    let deleted: BTreeSet<String> = deleted_list.iter().cloned().collect();
    assert_eq!(deleted.len(), deleted_list.len(), "one record per deletion");
    let seen = seen.lock().await;
    assert!(
        seen.created.len() > 20,
        "the load ran: {} created",
        seen.created.len()
    );

    // All three or none: a PAT exists exactly when it was recorded as created and not deleted;
    // every answered change is recorded.
    let expected_live: BTreeSet<String> = created.difference(&deleted).cloned().collect();
    assert_eq!(live, expected_live);
    assert!(deleted.is_subset(&created));
    for name in seen.created.keys() {
        assert!(
            created.contains(name),
            "{name} was answered but not recorded"
        );
    }
    for name in &seen.deleted {
        assert!(
            deleted.contains(name),
            "{name}'s deletion was answered but not recorded"
        );
    }
    // Every deletion has its revocation event. The feed stops below an id a killed node had
    // taken and never committed until the reading node gives that hole up (5 s): read it again
    // until then.
    let count_events = || async {
        let mut events = 0;
        let mut cursor = 0;
        loop {
            let page = reader.revocations(Some(cursor)).await.unwrap();
            if page.events.is_empty() {
                return events;
            }
            events += page.events.iter().filter(|e| e.kind == "pat").count();
            cursor = page.cursor;
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut events = count_events().await;
    while events < deleted.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        events = count_events().await;
    }
    assert_eq!(events, deleted.len(), "one event per deletion");
    println!(
        "{} creations and {} deletions answered; {} created, {} deleted, {} live in the store",
        seen.created.len(),
        seen.deleted.len(),
        created.len(),
        deleted.len(),
        live.len()
    );

    // The nodes agree on every PAT whose value the writers learnt, the restarted ones too.
    for (name, value) in &seen.created {
        let want = if live.contains(name) { 200 } else { 401 };
        for (n, node) in nodes.iter().enumerate() {
            assert_eq!(
                status_of(&http, node, value).await,
                want,
                "{name} on node {n}"
            );
        }
    }
    // And the restarted nodes follow new revocations again: cached on every node, deleted on
    // one, refused on the others.
    let client = nodes[1].admin(&admin);
    let fresh = client
        .create_pat(
            "admin",
            "after-restart",
            "after the restart",
            latchkey_client::model::Expiry::Never,
        )
        .await
        .unwrap();
    let value = fresh.token.expose().to_owned();
    for node in &nodes {
        assert_eq!(status_of(&http, node, &value).await, 200);
    }
    client.delete_pat("admin", "after-restart").await.unwrap();
    for node in [&nodes[0], &nodes[2]] {
        let start = Instant::now();
        while status_of(&http, node, &value).await != 401 {
            assert!(start.elapsed() < Duration::from_secs(3), "still accepted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
