//! The authorisation matrix: every endpoint × every kind of caller, on a shift and a person that
//! belong to worker W1 and person A (cost centre CC1). "other" callers (another worker, another
//! cost centre's manager, another family) must get 404 or an answer without a byte of W1's data.
//! The matrix (`matrix.csv`) must list exactly the endpoints the app serves.
//!
//! Rows with a `people` value are writes that name that person — A (CC1), C (CC2) or Z9, who
//! does not exist — on every path that names people: API submit and amend, the upload, and the
//! phone page's record and correct forms. Each caller writes for their own worker: W3 (CC2) for
//! `other_worker` and `other_manager`, W1 (CC1) for everyone else, amending a fresh shift of that
//! worker. A person outside the caller's reach answers exactly as an unknown one (422). An
//! upload answers 200 whatever its rows; the matrix counts an upload whose row was rejected as
//! 422.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Method, StatusCode};

use crate::harness::{Api, CALLERS, shift};
use crate::on_both;
use crate::support::TestDb;

const MATRIX: &str = include_str!("matrix.csv");

struct Row {
    method: Method,
    path: String,
    /// The person a write names; `None` for the endpoint's usual request (W1's shift, person A).
    people: Option<String>,
    expected: HashMap<String, u16>,
}

/// The writes that name people, each of which the matrix covers naming A, C and Z9.
const NAMING: [(&str, &str); 5] = [
    ("POST", "/api/v1/shifts"),
    ("PUT", "/api/v1/shifts/{shift_id}"),
    ("POST", "/api/v1/imports/shifts"),
    ("POST", "/shifts"),
    ("POST", "/shifts/{shift_id}"),
];

fn matrix() -> Vec<Row> {
    let mut lines = MATRIX.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header[..3], ["method", "path", "people"], "matrix header");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "matrix row {line}");
            Row {
                method: cells[0].parse().expect("method"),
                path: cells[1].to_owned(),
                people: Some(cells[2]).filter(|p| !p.is_empty()).map(str::to_owned),
                expected: header[3..]
                    .iter()
                    .zip(&cells[3..])
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
    let naming: BTreeSet<(String, String, String)> = matrix()
        .into_iter()
        .filter_map(|r| Some((r.method.to_string(), r.path, r.people?)))
        .collect();
    let wanted: BTreeSet<(String, String, String)> = NAMING
        .iter()
        .flat_map(|(method, path)| {
            ["A", "C", "Z9"].map(|p| ((*method).to_owned(), (*path).to_owned(), p.to_owned()))
        })
        .collect();
    assert_eq!(
        naming, wanted,
        "every write that names people, naming A, C and Z9"
    );
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

/// A fresh shift of `worker` on its own day, so every case starts from the same state.
struct Fixture {
    worker: &'static str,
    shift_id: i64,
    etag: String,
    day: String,
    shift_ref: String,
}

/// The worker a caller writes for in the rows that name people, and the person of that worker's
/// own cost centre.
fn own_worker(caller: &str) -> (&'static str, &'static str) {
    if caller.starts_with("other_") && !caller.ends_with("family") {
        ("W3", "C")
    } else {
        ("W1", "A")
    }
}

async fn fresh_shift(api: &Api, n: usize, worker: &'static str, person: &str) -> Fixture {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        + chrono::Duration::days(n as i64 * 2);
    let day = day.format("%Y-%m-%d").to_string();
    let shift_ref = format!("MATRIX-{n}");
    let mut body = shift(
        Some(worker),
        &format!("{day}T09:00"),
        &format!("{day}T10:00"),
        &[person],
    );
    body["shift_ref"] = serde_json::Value::from(shift_ref.as_str());
    let created = api.submit("finance", &format!("fixture-{n}"), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    Fixture {
        worker,
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
    let worker = fixture.worker;
    let person = row.people.as_deref().unwrap_or("A");
    let id = fixture.shift_id.to_string();
    let path = row
        .path
        .replace("{shift_id}", &id)
        .replace("{code}", &"0".repeat(64))
        .replace("{worker_id}", worker)
        .replace("{shift_ref}", &fixture.shift_ref)
        .replace("{kind}", "people")
        .replace("{key}", "A");
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
                    Some(worker),
                    &format!("{other_day}T09:00"),
                    &format!("{other_day}T10:00"),
                    &[person],
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
                    &[person],
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
                "shift_ref,worker_id,start,end,service,people,miles,notes\nIMP-{n},{worker},{other_day}T11:00,{other_day}T12:00,PERSONAL_CARE,{person},,\n"
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
                ("seg0_people", person),
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
                ("seg0_people", person),
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
            let (worker, person) = match row.people {
                Some(_) => own_worker(caller),
                None => ("W1", "A"),
            };
            let fixture = fresh_shift(&api, n, worker, person).await;
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
            let mut status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if row.path == "/api/v1/imports/shifts" && status == 200 {
                let answer: serde_json::Value = serde_json::from_str(&text).expect("json");
                if answer["counts"]["rows_rejected"] != 0 {
                    status = 422;
                }
            }
            if status != *expected {
                failures.push(format!(
                    "{} {} {} as {caller}: expected {expected}, got {status}: {}",
                    row.method,
                    row.path,
                    row.people.as_deref().unwrap_or(""),
                    text.chars().take(200).collect::<String>()
                ));
            }
            let foreign =
                caller.starts_with("other_") || caller == "anonymous" || caller.ends_with("family");
            if foreign && row.path != "/api/v1/openapi.json" && row.path != "/assets/tms.css" {
                // An upload's rejects name the workers its own file named, so only the fixture's
                // reference counts as a leak there.
                // In the rows that name people, "other" callers write for W3 on a shift of their
                // own, so only W1's own words count as a leak there.
                let own_ref = if fixture.worker == "W1" {
                    fixture.shift_ref.as_str()
                } else {
                    "\"W1\""
                };
                let markers: &[&str] = if row.path == "/api/v1/imports/shifts" {
                    &[own_ref]
                } else {
                    &[own_ref, "\"W1\"", "Worker W1"]
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

/// Posts a page form as a signed-in caller: the status and the page.
async fn post_form(api: &Api, cookie: &str, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
    let response = api
        .client
        .post(format!("{}{path}", api.base))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(pairs).expect("form"))
        .send()
        .await
        .expect("form posted");
    let status = response.status().as_u16();
    (status, response.text().await.expect("page"))
}

/// A one-part shift form naming `person`.
fn shift_form<'a>(
    csrf: &'a str,
    key: &'a str,
    day: &'a str,
    person: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("key", key),
        ("version", "1"),
        ("date", day),
        ("segments", "1"),
        ("seg0_start", "09:00"),
        ("seg0_end", "10:00"),
        ("seg0_service", "PERSONAL_CARE"),
        ("seg0_people", person),
        ("action", "save"),
    ]
}

/// The answer to naming C, as it would read had it named Z9 instead.
fn as_unknown(text: &str) -> String {
    text.replace("'C'", "'Z9'")
        .replace("&#39;C&#39;", "&#39;Z9&#39;")
}

on_both!(a_person_outside_reach_reads_exactly_as_an_unknown_one);
async fn a_person_outside_reach_reads_exactly_as_an_unknown_one(db: &TestDb) {
    // C (CC2) is outside the reach of W1 and of CC1's manager; Z9 does not exist.
    let api = Api::start(db).await;
    // API submit, by the worker and by the manager for W1.
    for (caller, worker) in [("worker", None), ("manager", Some("W1"))] {
        let named = |person| {
            shift(
                worker,
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                &["A", person],
            )
        };
        let outside = api.submit(caller, "same-key", &named("C")).await;
        let unknown = api.submit(caller, "same-key", &named("Z9")).await;
        assert_eq!(
            outside.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{caller}: {}",
            outside.text
        );
        assert_eq!(outside.pointers(), ["/segments/0/people/1"], "{caller}");
        assert_eq!(unknown.json()["detail"], "unknown person 'Z9'", "{caller}");
        assert_eq!(outside.status, unknown.status, "{caller}");
        assert_eq!(
            outside.header("content-type"),
            unknown.header("content-type")
        );
        assert_eq!(as_unknown(&outside.text), unknown.text, "{caller}");
    }
    // API amend, by the worker.
    let created = api
        .submit(
            "worker",
            "k",
            &shift(None, "2026-10-07T09:00", "2026-10-07T10:00", &["A"]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["shift_id"].as_i64().expect("id");
    let amend = |person: &'static str| {
        let (api, etag) = (&api, created.header("etag"));
        async move {
            let body = shift(None, "2026-10-07T09:00", "2026-10-07T10:00", &[person]);
            api.send(
                "worker",
                Method::PUT,
                &format!("/api/v1/shifts/{id}"),
                &[("if-match", &etag)],
                Some(&body.to_string()),
            )
            .await
        }
    };
    let (outside, unknown) = (amend("C").await, amend("Z9").await);
    assert_eq!(
        outside.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        outside.text
    );
    assert_eq!(as_unknown(&outside.text), unknown.text);
    // Upload, by the manager: the row is rejected with the same field and reason.
    let upload = |person: &'static str| {
        let api = &api;
        async move {
            let response = api
                .client
                .post(format!("{}/api/v1/imports/shifts", api.base))
                .bearer_auth(&api.tokens["manager"])
                .header("content-type", "text/csv")
                .header("x-file-name", format!("naming-{person}.csv"))
                .body(format!(
                    "shift_ref,worker_id,start,end,service,people\nN1,W1,2026-10-08T09:00,2026-10-08T10:00,PERSONAL_CARE,A;{person}\n"
                ))
                .send()
                .await
                .expect("upload");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<serde_json::Value>().await.expect("json")
        }
    };
    let (outside, unknown) = (upload("C").await, upload("Z9").await);
    assert_eq!(outside["counts"], unknown["counts"]);
    assert_eq!(outside["counts"]["rows_rejected"], 1, "{outside}");
    let reject = |answer: &serde_json::Value, field: &str| {
        answer["rejects"][0][field]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(
        reject(&unknown, "reason"),
        "unknown person 'Z9'",
        "{unknown}"
    );
    assert_eq!(
        as_unknown(&reject(&outside, "reason")),
        reject(&unknown, "reason")
    );
    assert_eq!(reject(&outside, "field"), reject(&unknown, "field"));
    // The phone page: it offers only the worker's own cost centre's people, and a form naming
    // anyone else, recording or correcting, comes back as it does for an unknown person.
    let (cookie, csrf) = api.sign_in("worker").await;
    let new = new_shift_page(&api, &cookie).await;
    assert!(
        new.contains("Anne Ash") && new.contains("Ben Birch"),
        "{new}"
    );
    assert!(
        !new.contains("Cara Cedar"),
        "a person outside reach is not offered"
    );
    for path in ["/shifts".to_owned(), format!("/shifts/{id}")] {
        let (status, outside) = post_form(
            &api,
            &cookie,
            &path,
            &shift_form(&csrf, "page-key", "2026-10-09", "C"),
        )
        .await;
        let (_, unknown) = post_form(
            &api,
            &cookie,
            &path,
            &shift_form(&csrf, "page-key", "2026-10-09", "Z9"),
        )
        .await;
        assert_eq!(status, 422, "{path}: {outside}");
        assert!(
            unknown.contains("id=\"seg0_people-error\""),
            "{path}: the error is by the field"
        );
        assert!(unknown.contains("Unknown person"), "{path}: {unknown}");
        assert_eq!(as_unknown(&outside), unknown, "{path}");
    }
    assert_eq!(
        db.count("shift").await,
        1,
        "nothing naming C or Z9 was stored"
    );
    api.stop().await;
}

on_both!(extra_cost_centres_let_workers_and_teams_support_across_teams);
async fn extra_cost_centres_let_workers_and_teams_support_across_teams(db: &TestDb) {
    use tms::config::ExtraCostCentresEntry;
    // W1 (CC1) also supports CC2's people; CC2's workers and managers also support CC1's.
    let api = Api::start_with(db, |s| {
        s.access.extra_cost_centres = vec![
            ExtraCostCentresEntry {
                worker: Some("W1".into()),
                cost_centre: None,
                cost_centres: vec!["CC2".into()],
            },
            ExtraCostCentresEntry {
                worker: None,
                cost_centre: Some("CC2".into()),
                cost_centres: vec!["CC1".into()],
            },
        ];
    })
    .await;
    let day = |d: u32| format!("2026-10-{d:02}");
    let visit = |worker: Option<&str>, d: u32, people: &[&str]| {
        shift(
            worker,
            &format!("{}T09:00", day(d)),
            &format!("{}T10:00", day(d)),
            people,
        )
    };
    // W1 names C through their own extra, on the API and on the phone page, which offers C.
    let by_worker = api
        .submit("worker", "x1", &visit(None, 5, &["A", "C"]))
        .await;
    assert_eq!(by_worker.status, StatusCode::CREATED, "{}", by_worker.text);
    let (cookie, csrf) = api.sign_in("worker").await;
    let new = new_shift_page(&api, &cookie).await;
    assert!(new.contains("Cara Cedar"), "{new}");
    let (status, page) = post_form(
        &api,
        &cookie,
        "/shifts",
        &shift_form(&csrf, "x2", &day(6), "C"),
    )
    .await;
    assert_eq!(status, 303, "{page}");
    // W1's extra is W1's own: CC1's manager recording for W1 does not have it.
    let by_manager = api
        .submit("manager", "x3", &visit(Some("W1"), 7, &["C"]))
        .await;
    assert_eq!(
        by_manager.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        by_manager.text
    );
    assert_eq!(by_manager.json()["detail"], "unknown person 'C'");
    // CC2's extra covers its worker W3 and its manager, on the API and in an upload.
    let by_team_worker = api
        .submit("other_worker", "x4", &visit(None, 8, &["A"]))
        .await;
    assert_eq!(
        by_team_worker.status,
        StatusCode::CREATED,
        "{}",
        by_team_worker.text
    );
    let upload = |caller: &'static str, csv: String| {
        let api = &api;
        async move {
            api.client
                .post(format!("{}/api/v1/imports/shifts", api.base))
                .bearer_auth(&api.tokens[caller])
                .header("content-type", "text/csv")
                .header("x-file-name", format!("{caller}.csv"))
                .body(csv)
                .send()
                .await
                .expect("upload")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let header = "shift_ref,worker_id,start,end,service,people\n";
    let team = upload(
        "other_manager",
        format!(
            "{header}T1,W3,{0}T11:00,{0}T12:00,PERSONAL_CARE,A;C\n",
            day(8)
        ),
    )
    .await;
    assert_eq!(team["counts"]["shifts_new"], 1, "{team}");
    // CC1 has no extra: its manager's upload naming C for W1 is refused as for anyone unknown.
    let own = upload(
        "manager",
        format!(
            "{header}T2,W1,{0}T11:00,{0}T12:00,PERSONAL_CARE,C\n",
            day(9)
        ),
    )
    .await;
    assert_eq!(own["counts"]["rows_rejected"], 1, "{own}");
    assert_eq!(own["rejects"][0]["reason"], "unknown person 'C'", "{own}");
    api.stop().await;
}

/// The phone page's new-shift form as a signed-in caller sees it.
async fn new_shift_page(api: &Api, cookie: &str) -> String {
    api.client
        .get(format!("{}/shifts/new", api.base))
        .header("cookie", cookie)
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("page")
}
