//! The authorisation matrix: every endpoint × every kind of caller, on a shift and a person that
//! belong to worker W1 and person A (cost centre CC1). "other" callers (another worker, another
//! cost centre's manager, another family) must get 404 or an answer without a byte of W1's data.
//! The matrix (`matrix.csv`) must list exactly the endpoints the app serves.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Method, StatusCode};

use crate::harness::{Api, CALLERS, shift};
use crate::on_both;
use crate::support::TestDb;

const MATRIX: &str = include_str!("matrix.csv");

struct Row {
    method: Method,
    path: String,
    expected: HashMap<String, u16>,
}

fn matrix() -> Vec<Row> {
    let mut lines = MATRIX.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "matrix row {line}");
            Row {
                method: cells[0].parse().expect("method"),
                path: cells[1].to_owned(),
                expected: header[2..]
                    .iter()
                    .zip(&cells[2..])
                    .map(|(caller, code)| ((*caller).to_owned(), code.parse().expect("status")))
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn the_matrix_lists_every_endpoint_the_app_serves() {
    let served: BTreeSet<(String, String)> = tms::http::endpoints()
        .into_iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    let listed: BTreeSet<(String, String)> = matrix()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "endpoints missing from matrix.csv: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "matrix.csv lists endpoints the app does not serve: {extra:?}"
    );
    let callers: BTreeSet<&str> = CALLERS.iter().map(|c| c.0).chain(["anonymous"]).collect();
    for row in matrix() {
        let columns: BTreeSet<&str> = row.expected.keys().map(String::as_str).collect();
        assert_eq!(columns, callers, "{} {}", row.method, row.path);
    }
}

#[test]
fn the_openapi_description_lists_every_api_endpoint() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/api/openapi.json")).expect("openapi json");
    let described: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|m| ["get", "post", "put", "delete", "patch"].contains(&m.as_str()))
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let api: BTreeSet<(String, String)> = tms::http::endpoints()
        .into_iter()
        .filter(|e| e.path.starts_with("/api/"))
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    assert_eq!(described, api);
}

/// A fresh shift of W1 on its own day, so every case starts from the same state.
struct Fixture {
    shift_id: i64,
    etag: String,
    day: String,
    shift_ref: String,
}

async fn fresh_shift(api: &Api, n: usize) -> Fixture {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        + chrono::Duration::days(n as i64 * 2);
    let day = day.format("%Y-%m-%d").to_string();
    let shift_ref = format!("MATRIX-{n}");
    let mut body = shift(
        Some("W1"),
        &format!("{day}T09:00"),
        &format!("{day}T10:00"),
        &["A"],
    );
    body["shift_ref"] = serde_json::Value::from(shift_ref.as_str());
    let created = api.submit("finance", &format!("fixture-{n}"), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    Fixture {
        shift_id: created.json()["shift_id"].as_i64().expect("id"),
        etag: created.header("etag"),
        day,
        shift_ref,
    }
}

/// The request an endpoint gets in the matrix: path, headers and body (JSON, CSV or a form).
fn request_for(
    row: &Row,
    fixture: &Fixture,
    n: usize,
    csrf: &str,
    token: &str,
) -> (String, Vec<(String, String)>, Option<String>) {
    let id = fixture.shift_id.to_string();
    let path = row
        .path
        .replace("{shift_id}", &id)
        .replace("{code}", &"0".repeat(64));
    let json = |v: serde_json::Value| Some(v.to_string());
    let day = &fixture.day;
    let other_day = {
        let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("day")
            + chrono::Duration::days(1);
        d.format("%Y-%m-%d").to_string()
    };
    let form = |pairs: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = vec![("csrf".into(), csrf.into())];
        all.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Some(serde_urlencoded::to_string(&all).expect("form"))
    };
    let form_headers = vec![(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let json_headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    match (row.method.as_str(), row.path.as_str()) {
        ("POST", "/api/v1/shifts") => {
            let mut headers = json_headers;
            headers.push(("idempotency-key".into(), format!("matrix-{n}")));
            (
                path,
                headers,
                json(shift(
                    Some("W1"),
                    &format!("{other_day}T09:00"),
                    &format!("{other_day}T10:00"),
                    &["A"],
                )),
            )
        }
        ("PUT", _) => {
            let mut headers = json_headers;
            headers.push(("if-match".into(), fixture.etag.clone()));
            (
                path,
                headers,
                json(shift(
                    None,
                    &format!("{day}T09:00"),
                    &format!("{day}T10:30"),
                    &["A"],
                )),
            )
        }
        ("POST", p) if p.ends_with("/reject") => (
            path,
            json_headers,
            json(serde_json::json!({"reason": "not on the rota"})),
        ),
        ("POST", "/api/v1/imports/shifts") => (
            path,
            vec![("content-type".into(), "text/csv".into())],
            Some(format!(
                "shift_ref,worker_id,start,end,service,people,miles,notes\nIMP-{n},W1,{other_day}T11:00,{other_day}T12:00,PERSONAL_CARE,A,,\n"
            )),
        ),
        ("GET", "/api/v1/reports/charges") => (
            format!("{path}?from=2026-01-01&to=2026-12-31&person_id=A"),
            vec![],
            None,
        ),
        ("GET", "/api/v1/reports/allocation") => (format!("{path}?period=2026-01"), vec![], None),
        ("POST", "/sign-in") => (
            path,
            form_headers,
            Some(serde_urlencoded::to_string([("token", token)]).expect("form")),
        ),
        ("POST", "/shifts") => (
            path,
            form_headers,
            form(&[
                ("key", &format!("page-{n}")),
                ("date", &other_day),
                ("segments", "1"),
                ("seg0_start", "13:00"),
                ("seg0_end", "14:00"),
                ("seg0_service", "PERSONAL_CARE"),
                ("seg0_people", "A"),
                ("action", "save"),
            ]),
        ),
        ("POST", "/shifts/{shift_id}") => (
            path,
            form_headers,
            form(&[
                ("version", "1"),
                ("date", day),
                ("segments", "1"),
                ("seg0_start", "09:00"),
                ("seg0_end", "10:15"),
                ("seg0_service", "PERSONAL_CARE"),
                ("seg0_people", "A"),
                ("action", "save"),
            ]),
        ),
        ("POST", "/approvals/{shift_id}") => (
            path,
            form_headers,
            form(&[("version", "1"), ("action", "approve")]),
        ),
        ("POST", _) if !row.path.starts_with("/api/") => (path, form_headers, form(&[])),
        ("POST", _) => (path, json_headers, None),
        _ => (path, vec![], None),
    }
}

on_both!(every_endpoint_answers_every_caller_as_the_matrix_says);
async fn every_endpoint_answers_every_caller_as_the_matrix_says(db: &TestDb) {
    let api = Api::start(db).await;
    let mut sessions: HashMap<String, (String, String)> = HashMap::new();
    for (caller, _, _) in CALLERS {
        sessions.insert(caller.to_owned(), api.sign_in(caller).await);
    }
    let mut failures = Vec::new();
    let mut n = 0;
    for row in matrix() {
        for (caller, expected) in &row.expected {
            n += 1;
            let fixture = fresh_shift(&api, n).await;
            let (cookie, csrf) = if row.path == "/sign-out" && caller != "anonymous" {
                // Signing out ends the session, so this case gets one of its own.
                api.sign_in(caller).await
            } else {
                sessions.get(caller).cloned().unwrap_or_default()
            };
            let token = api.tokens.get(caller.as_str()).cloned().unwrap_or_default();
            let (path, headers, body) = request_for(&row, &fixture, n, &csrf, &token);
            let mut request = api
                .client
                .request(row.method.clone(), format!("{}{path}", api.base));
            if row.path.starts_with("/api/") {
                if !token.is_empty() {
                    request = request.bearer_auth(&token);
                }
            } else if !cookie.is_empty() {
                request = request.header("cookie", &cookie);
            }
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_str());
            }
            if let Some(body) = body {
                request = request.body(body);
            }
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status != *expected {
                failures.push(format!(
                    "{} {} as {caller}: expected {expected}, got {status}: {}",
                    row.method,
                    row.path,
                    text.chars().take(200).collect::<String>()
                ));
            }
            let foreign =
                caller.starts_with("other_") || caller == "anonymous" || caller.ends_with("family");
            if foreign && row.path != "/api/v1/openapi.json" && row.path != "/assets/tms.css" {
                // An upload's rejects name the workers its own file named, so only the fixture's
                // reference counts as a leak there.
                let markers: &[&str] = if row.path == "/api/v1/imports/shifts" {
                    &[fixture.shift_ref.as_str()]
                } else {
                    &[fixture.shift_ref.as_str(), "\"W1\"", "Worker W1"]
                };
                for marker in markers {
                    if text.contains(marker) {
                        failures.push(format!(
                            "{} {} as {caller}: the answer gives away {marker}",
                            row.method, row.path
                        ));
                    }
                }
            }
            if caller.starts_with("other_")
                && row.path == "/api/v1/reports/allocation"
                && text.contains("\"A\"")
            {
                failures.push(format!("allocation as {caller} shows person A"));
            }
        }
    }
    // Revoked and expired tokens are refused like no token at all.
    for (label, expired) in [("revoked", false), ("expired", true)] {
        let scope = tms::domain::Scope::new(tms::domain::Role::Finance, &[]).expect("scope");
        let expires = expired.then(|| chrono::Utc::now() - chrono::Duration::minutes(1));
        let (record, text) = tms::store::access::create_token(
            &db.store,
            tms::domain::Role::Finance,
            &scope,
            label,
            expires,
        )
        .await
        .expect("token");
        if !expired {
            assert!(
                tms::store::access::revoke_token(&db.store, &record.token_id)
                    .await
                    .expect("revoke")
            );
        }
        let response = api
            .client
            .get(format!("{}/api/v1/shifts", api.base))
            .bearer_auth(&text)
            .send()
            .await
            .expect("request");
        if response.status() != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{label} token: expected 401, got {}",
                response.status()
            ));
        }
        let signed_in = api
            .client
            .post(format!("{}/sign-in", api.base))
            .form(&[("token", text.as_str())])
            .send()
            .await
            .expect("request");
        if signed_in.status() != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{label} token signs in to the pages: {}",
                signed_in.status()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    api.stop().await;
}
