//! A running `tms serve` app on a test database, with a token for each kind of caller.

use std::collections::HashMap;
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tms::cli::ExitStatus;
use tms::domain::{Role, Scope};
use tms::http::{AppState, Server};
use tms::store::access;

use crate::support::TestDb;

/// Who calls: a name for each token the tests use.
pub const CALLERS: [(&str, Role, &[&str]); 7] = [
    ("worker", Role::Worker, &["W1"]),
    ("other_worker", Role::Worker, &["W3"]),
    ("manager", Role::Manager, &["CC1"]),
    ("other_manager", Role::Manager, &["CC2"]),
    ("finance", Role::Finance, &[]),
    ("family", Role::Family, &["A"]),
    ("other_family", Role::Family, &["C"]),
];

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub tokens: HashMap<&'static str, String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }

    /// The JSON pointers named by a problem response.
    pub fn pointers(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["pointer"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Imports the API fixtures: two cost centres, workers W1 and W2 (CC1) and W3 (CC2), people A
/// and B (CC1) and C (CC2).
pub async fn load_api_reference(db: &TestDb) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api");
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        let status = db.import(kind, &folder.join(format!("{kind}.csv"))).await;
        assert_eq!(status, ExitStatus::Ok, "importing {kind}");
    }
}

impl Api {
    /// Loads the fixtures, creates the callers' tokens and starts the app on a free port.
    pub async fn start(db: &TestDb) -> Api {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: &TestDb, adjust: impl FnOnce(&mut tms::config::Settings)) -> Api {
        load_api_reference(db).await;
        let mut tokens = HashMap::new();
        for (name, role, subjects) in CALLERS {
            let subjects: Vec<String> = subjects.iter().map(|s| (*s).to_owned()).collect();
            let scope = Scope::new(role, &subjects).expect("scope");
            let (_, text) = access::create_token(&db.store, role, &scope, name, None)
                .await
                .expect("token");
            tokens.insert(name, text);
        }
        let mut settings = db.settings.clone();
        settings.server.rate_limit_per_second = 1_000_000;
        settings.server.rate_limit_burst = 1_000_000;
        settings.server.failed_auth_burst = 1_000_000;
        adjust(&mut settings);
        settings.reparse().expect("adjusted settings");
        let state = AppState::new(db.store.clone(), settings)
            .await
            .expect("app state");
        let server = Server::bind(state, "127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", server.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Api {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            tokens,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Sends a request as `caller` (a name from [`CALLERS`], or "" for no token).
    pub async fn send(
        &self,
        caller: &str,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = self.tokens.get(caller) {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("request sent");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    /// Signs `caller` in to the pages with their token: the session cookie and the forms' CSRF value.
    pub async fn sign_in(&self, caller: &str) -> (String, String) {
        let response = self
            .client
            .post(format!("{}/sign-in", self.base))
            .form(&[("token", self.tokens[caller].as_str())])
            .send()
            .await
            .expect("sign in");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{caller} signs in"
        );
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let secret = cookie
            .split_once('=')
            .map(|(_, s)| s.to_owned())
            .unwrap_or_default();
        let csrf = tms::domain::access::digest(&format!("csrf:{secret}"));
        (cookie, csrf)
    }

    /// Submits a shift as `caller` with an idempotency key.
    pub async fn submit(&self, caller: &str, key: &str, body: &Value) -> Reply {
        self.send(
            caller,
            Method::POST,
            "/api/v1/shifts",
            &[("idempotency-key", key)],
            Some(&body.to_string()),
        )
        .await
    }

    /// Stops the server, waiting for requests in flight.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }
}

/// A one-segment shift body.
pub fn shift(worker: Option<&str>, start: &str, end: &str, people: &[&str]) -> Value {
    let mut body = serde_json::json!({
        "segments": [{"start": start, "end": end, "service": "PERSONAL_CARE", "people": people}]
    });
    if let Some(worker) = worker {
        body["worker_id"] = Value::from(worker);
    }
    body
}
