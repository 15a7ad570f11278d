//! Shifts through the API: idempotent submission, versioned amendments, decisions, validation
//! and the reports that follow from them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Api, shift};
use crate::on_both;
use crate::support::TestDb;

on_both!(one_key_retried_a_hundred_times_makes_one_shift);
async fn one_key_retried_a_hundred_times_makes_one_shift(db: &TestDb) {
    let api = std::sync::Arc::new(Api::start(db).await);
    let body = shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A", "B"]);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (api, body) = (api.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            api.submit("worker", "visit-1", &body).await
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("task"));
    }
    let first = &replies[0];
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    for reply in &replies {
        assert_eq!(reply.status, first.status);
        assert_eq!(
            reply.text, first.text,
            "every retry gets the first response"
        );
        assert_eq!(reply.header("etag"), first.header("etag"));
        assert_eq!(reply.header("location"), first.header("location"));
    }
    let replayed = replies
        .iter()
        .filter(|r| r.header("idempotent-replayed") == "true")
        .count();
    assert_eq!(replayed, 99, "all but one are replays");
    assert_eq!(db.count("shift").await, 1);
    assert_eq!(db.count("idempotency_key").await, 1);
    assert_eq!(first.json()["status"], "submitted");
    assert_eq!(first.json()["minutes"], 60);

    // The same key with another body is refused; the shift is untouched.
    let other = shift(None, "2026-10-06T11:00", "2026-10-06T12:00", &["A"]);
    let reused = api.submit("worker", "visit-1", &other).await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reused.text
    );
    assert_eq!(reused.header("content-type"), "application/problem+json");
    assert_eq!(db.count("shift").await, 1);
    // The same key from another caller is another shift.
    let other_caller = api
        .submit(
            "manager",
            "visit-1",
            &shift(Some("W2"), "2026-10-06T09:00", "2026-10-06T10:00", &["A"]),
        )
        .await;
    assert_eq!(
        other_caller.status,
        StatusCode::CREATED,
        "{}",
        other_caller.text
    );
    assert_eq!(db.count("shift").await, 2);
    std::sync::Arc::into_inner(api)
        .expect("one owner")
        .stop()
        .await;
}

on_both!(amendments_need_the_current_version);
async fn amendments_need_the_current_version(db: &TestDb) {
    let api = Api::start(db).await;
    let created = api
        .submit(
            "worker",
            "k1",
            &shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A"]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["shift_id"].as_i64().expect("id");
    let path = format!("/api/v1/shifts/{id}");
    let read = api.send("worker", Method::GET, &path, &[], None).await;
    assert_eq!(read.status, StatusCode::OK);
    let etag = read.header("etag");
    assert_eq!(etag, format!("\"{id}.1\""));

    let longer = shift(None, "2026-10-06T09:00", "2026-10-06T10:30", &["A"]).to_string();
    let missing = api
        .send("worker", Method::PUT, &path, &[], Some(&longer))
        .await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    let wrong = api
        .send(
            "worker",
            Method::PUT,
            &path,
            &[("if-match", &format!("\"{id}.7\""))],
            Some(&longer),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        wrong.text
    );
    assert_eq!(wrong.json()["current_version"], 1);

    let amended = api
        .send(
            "worker",
            Method::PUT,
            &path,
            &[("if-match", &etag)],
            Some(&longer),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.text);
    assert_eq!(amended.header("etag"), format!("\"{id}.2\""));
    assert_eq!(amended.json()["minutes"], 90);
    // The old tag no longer works: a lost update is refused, not applied.
    let stale = api
        .send(
            "worker",
            Method::PUT,
            &path,
            &[("if-match", &etag)],
            Some(&longer),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    // Each change is audited with who made it.
    assert_eq!(db.count("shift_audit").await, 2);
    // The worker and the reference cannot change.
    let moved = json!({"worker_id": "W2", "segments": [{"start": "2026-10-06T09:00", "end": "2026-10-06T10:00", "service": "PERSONAL_CARE", "people": ["A"]}]});
    let moved = api
        .send(
            "manager",
            Method::PUT,
            &path,
            &[("if-match", &format!("\"{id}.2\""))],
            Some(&moved.to_string()),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        moved.text
    );
    assert_eq!(moved.pointers(), ["/worker_id"]);
    api.stop().await;
}

on_both!(managers_approve_and_only_approved_shifts_are_charged);
async fn managers_approve_and_only_approved_shifts_are_charged(db: &TestDb) {
    let api = Api::start(db).await;
    let created = api
        .submit(
            "worker",
            "k1",
            &shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A", "B"]),
        )
        .await;
    let id = created.json()["shift_id"].as_i64().expect("id");
    let charges = "/api/v1/reports/charges?from=2026-10-01&to=2026-10-31&format=json";
    let before = api.send("finance", Method::GET, charges, &[], None).await;
    assert_eq!(before.json(), json!([]), "a submitted shift is not charged");

    let approve = format!("/api/v1/shifts/{id}/approve");
    let by_worker = api.send("worker", Method::POST, &approve, &[], None).await;
    assert_eq!(by_worker.status, StatusCode::FORBIDDEN);
    let approved = api.send("manager", Method::POST, &approve, &[], None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.json()["status"], "approved");
    let again = api.send("manager", Method::POST, &approve, &[], None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let after = api.send("finance", Method::GET, charges, &[], None).await;
    let lines = after.json();
    assert_eq!(lines.as_array().map(Vec::len), Some(2), "{lines}");
    assert_eq!(lines[0]["person_id"], "A");
    assert_eq!(lines[0]["amount"], "14.00");
    let csv = api
        .send(
            "manager",
            Method::GET,
            "/api/v1/reports/charges?from=2026-10-01&to=2026-10-31",
            &[("accept", "text/csv")],
            None,
        )
        .await;
    assert!(
        csv.text
            .starts_with("person_id,date,service,band,ratio,rate,minutes,amount\n"),
        "{}",
        csv.text
    );
    let family = api.send("family", Method::GET, charges, &[], None).await;
    assert_eq!(
        family.json().as_array().map(Vec::len),
        Some(1),
        "a family sees its own person only"
    );

    // A worker cannot withdraw an approved shift; a manager can.
    let path = format!("/api/v1/shifts/{id}");
    let withdraw = api.send("worker", Method::DELETE, &path, &[], None).await;
    assert_eq!(withdraw.status, StatusCode::CONFLICT);
    let withdrawn = api.send("manager", Method::DELETE, &path, &[], None).await;
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    let gone = api.send("finance", Method::GET, charges, &[], None).await;
    assert_eq!(gone.json(), json!([]));

    // A rejection needs a reason; the worker sees it, corrects the shift, and it is submitted again.
    let second = api
        .submit(
            "worker",
            "k2",
            &shift(None, "2026-10-07T09:00", "2026-10-07T10:00", &["A"]),
        )
        .await;
    let id2 = second.json()["shift_id"].as_i64().expect("id");
    let reject = format!("/api/v1/shifts/{id2}/reject");
    let no_reason = api
        .send("manager", Method::POST, &reject, &[], Some("{}"))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.pointers(), ["/reason"]);
    let rejected = api
        .send(
            "manager",
            Method::POST,
            &reject,
            &[],
            Some(r#"{"reason":"Ben was not there on Tuesday"}"#),
        )
        .await;
    assert_eq!(rejected.json()["status"], "rejected");
    let listed = api
        .send(
            "worker",
            Method::GET,
            "/api/v1/shifts?status=rejected",
            &[],
            None,
        )
        .await;
    assert_eq!(
        listed.json()["shifts"][0]["decision_reason"],
        "Ben was not there on Tuesday"
    );
    let etag = rejected.header("etag");
    let fixed = shift(None, "2026-10-07T09:00", "2026-10-07T09:45", &["A"]).to_string();
    let corrected = api
        .send(
            "worker",
            Method::PUT,
            &format!("/api/v1/shifts/{id2}"),
            &[("if-match", &etag)],
            Some(&fixed),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.text);
    assert_eq!(corrected.json()["status"], "submitted");
    assert_eq!(corrected.json()["decision_reason"], "");
    api.stop().await;
}

on_both!(auto_approve_stores_api_shifts_as_approved);
async fn auto_approve_stores_api_shifts_as_approved(db: &TestDb) {
    let api = Api::start_with(db, |s| s.api.auto_approve = true).await;
    let created = api
        .submit(
            "worker",
            "k",
            &shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A"]),
        )
        .await;
    assert_eq!(created.json()["status"], "approved");
    api.stop().await;
}

on_both!(the_status_filter_takes_exactly_the_four_statuses);
async fn the_status_filter_takes_exactly_the_four_statuses(db: &TestDb) {
    let api = Api::start(db).await;
    let first = api
        .submit(
            "worker",
            "k1",
            &shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A"]),
        )
        .await;
    let approved_id = first.json()["shift_id"].as_i64().expect("id");
    let approve = format!("/api/v1/shifts/{approved_id}/approve");
    let approved = api.send("manager", Method::POST, &approve, &[], None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let second = api
        .submit(
            "worker",
            "k2",
            &shift(None, "2026-10-07T09:00", "2026-10-07T10:00", &["A"]),
        )
        .await;
    let submitted_id = second.json()["shift_id"].as_i64().expect("id");
    let ids = |status: &str| {
        let api = &api;
        let path = format!("/api/v1/shifts?status={status}");
        async move {
            let listed = api.send("manager", Method::GET, &path, &[], None).await;
            assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
            let shifts = listed.json()["shifts"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            shifts
                .iter()
                .map(|s| (s["shift_id"].as_i64().expect("id"), s["status"].to_string()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids("approved").await,
        [(approved_id, "\"approved\"".to_owned())]
    );
    assert_eq!(
        ids("submitted").await,
        [(submitted_id, "\"submitted\"".to_owned())]
    );
    assert_eq!(ids("withdrawn").await, []);
    // Only the stored words themselves: no other case, no spaces, no other word.
    for status in ["Approved", "approved%20", "%20approved", "done", ""] {
        let path = format!("/api/v1/shifts?status={status}");
        let refused = api.send("manager", Method::GET, &path, &[], None).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "status={status}");
        assert_eq!(refused.pointers(), ["?status"], "status={status}");
    }
    api.stop().await;
}

/// Every way a shift can be invalid, with the field the problem must name.
fn invalid_cases() -> Vec<(&'static str, serde_json::Value, &'static str)> {
    let seg = |start: &str, end: &str, people: serde_json::Value| json!({"start": start, "end": end, "service": "PERSONAL_CARE", "people": people});
    let one = |segment: serde_json::Value| json!({ "segments": [segment] });
    let mut notes = seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["A"]));
    notes["notes"] = json!("x".repeat(2_001));
    let mut miles = seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["A"]));
    miles["miles"] = json!("-1");
    let mut service = seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["A"]));
    service["service"] = json!("GARDENING");
    vec![
        ("no segments", json!({"segments": []}), "/segments"),
        (
            "bad start",
            one(seg("06/10/2026 09:00", "2026-10-06T10:00", json!(["A"]))),
            "/segments/0/start",
        ),
        (
            "seconds",
            one(seg("2026-10-06T09:00:30", "2026-10-06T10:00", json!(["A"]))),
            "/segments/0/start",
        ),
        (
            "end before start",
            one(seg("2026-10-06T10:00", "2026-10-06T09:00", json!(["A"]))),
            "/segments/0/end",
        ),
        (
            "empty segment",
            one(seg("2026-10-06T10:00", "2026-10-06T10:00", json!(["A"]))),
            "/segments/0/end",
        ),
        (
            "nonexistent local time",
            one(seg("2026-03-29T01:30", "2026-03-29T03:00", json!(["A"]))),
            "/segments/0/start",
        ),
        (
            "ambiguous local time",
            one(seg("2026-10-25T01:30", "2026-10-25T03:00", json!(["A"]))),
            "/segments/0/start",
        ),
        (
            "segment over 26 hours",
            one(seg("2026-10-06T09:00", "2026-10-07T12:00", json!(["A"]))),
            "/segments/0/end",
        ),
        (
            "unknown person",
            one(seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["Z"]))),
            "/segments/0/people/0",
        ),
        (
            "person twice",
            one(seg(
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                json!(["A", "A"]),
            )),
            "/segments/0/people/1",
        ),
        (
            "person of another cost centre",
            one(seg(
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                json!(["A", "B", "C"]),
            )),
            "/segments/0/people/2",
        ),
        (
            "two people in one element",
            one(seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["A;B"]))),
            "/segments/0/people/0",
        ),
        (
            "empty person",
            one(seg("2026-10-06T09:00", "2026-10-06T10:00", json!([""]))),
            "/segments/0/people/0",
        ),
        (
            "empty person after a good one",
            one(seg(
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                json!(["A", " "]),
            )),
            "/segments/0/people/1",
        ),
        (
            "look-alike id (Cyrillic A)",
            one(seg(
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                json!(["B", "\u{0410}"]),
            )),
            "/segments/0/people/1",
        ),
        (
            "id with a zero-width space",
            one(seg(
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                json!(["A\u{200b}"]),
            )),
            "/segments/0/people/0",
        ),
        ("unknown service", one(service), "/segments/0/service"),
        ("negative miles", one(miles), "/segments/0/miles"),
        ("notes too long", one(notes), "/segments/0/notes"),
        (
            "overlapping segments",
            json!({"segments": [seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["A"])), seg("2026-10-06T09:30", "2026-10-06T11:00", json!(["A"]))]}),
            "/segments/1/start",
        ),
        (
            "span over 48 hours",
            json!({"segments": [seg("2026-10-06T09:00", "2026-10-07T09:00", json!(["A"])), seg("2026-10-07T10:00", "2026-10-08T09:01", json!(["A"]))]}),
            "/segments/1/end",
        ),
        (
            "overlaps a stored shift",
            one(seg("2026-10-05T09:30", "2026-10-05T10:30", json!(["A"]))),
            "/segments/0/start",
        ),
        (
            "bad shift_ref",
            json!({"shift_ref": "has space", "segments": [seg("2026-10-06T09:00", "2026-10-06T10:00", json!(["A"]))]}),
            "/shift_ref",
        ),
    ]
}

on_both!(every_validation_error_names_its_field);
async fn every_validation_error_names_its_field(db: &TestDb) {
    let api = Api::start(db).await;
    let stored = api
        .submit(
            "worker",
            "stored",
            &shift(None, "2026-10-05T09:00", "2026-10-05T10:00", &["A"]),
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.text);
    for (i, (case, body, pointer)) in invalid_cases().into_iter().enumerate() {
        let reply = api.submit("worker", &format!("bad-{i}"), &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {}",
            reply.text
        );
        assert_eq!(
            reply.header("content-type"),
            "application/problem+json",
            "{case}"
        );
        assert_eq!(reply.pointers(), [pointer], "{case}: {}", reply.text);
        let detail = reply.json()["detail"].as_str().unwrap_or("").to_owned();
        assert!(!detail.is_empty(), "{case}: the problem says what is wrong");
        if case == "overlaps a stored shift" {
            assert!(
                detail.starts_with("You already have a shift from 09:00 to 10:00 that day (api-"),
                "{case}: the clash is said in plain words: {detail}"
            );
        }
    }
    // Every field of one segment at fault is named, not only the first.
    let mut everything = json!({"start": "06/10/2026 09:00", "end": "2026-10-06T10:00",
        "service": "GARDENING", "people": ["A"], "miles": "-1"});
    let all = api
        .submit(
            "worker",
            "all-at-once",
            &json!({"segments": [everything.take()]}),
        )
        .await;
    assert_eq!(all.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", all.text);
    assert_eq!(
        all.pointers(),
        [
            "/segments/0/start",
            "/segments/0/service",
            "/segments/0/miles"
        ],
        "{}",
        all.text
    );
    // A manager naming a worker outside their cost centres gets the unknown-worker answer.
    let foreign = api
        .submit(
            "manager",
            "m1",
            &shift(Some("W3"), "2026-10-06T09:00", "2026-10-06T10:00", &["C"]),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.pointers(), ["/worker_id"]);
    let unknown = api
        .submit(
            "manager",
            "m2",
            &shift(Some("W9"), "2026-10-06T09:00", "2026-10-06T10:00", &["A"]),
        )
        .await;
    assert_eq!(unknown.status, foreign.status);
    assert_eq!(foreign.json()["detail"], "unknown worker 'W3'");
    assert_eq!(
        unknown.json()["detail"],
        "unknown worker 'W9'",
        "an unknown worker and another manager's worker read the same"
    );
    // Malformed requests.
    let broken = api
        .send(
            "worker",
            Method::POST,
            "/api/v1/shifts",
            &[("idempotency-key", "x")],
            Some("{not json"),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    let unknown_field = api
        .send(
            "worker",
            Method::POST,
            "/api/v1/shifts",
            &[("idempotency-key", "y")],
            Some(r#"{"segments":[],"colour":"red"}"#),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    let no_key = api
        .send(
            "worker",
            Method::POST,
            "/api/v1/shifts",
            &[],
            Some(&shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A"]).to_string()),
        )
        .await;
    assert_eq!(no_key.status, StatusCode::BAD_REQUEST);
    let huge = format!(r#"{{"segments":[],"shift_ref":"{}"}}"#, "x".repeat(300_000));
    let too_big = api
        .send(
            "worker",
            Method::POST,
            "/api/v1/shifts",
            &[("idempotency-key", "z")],
            Some(&huge),
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(db.count("shift").await, 1, "nothing invalid was stored");
    api.stop().await;
}

on_both!(a_clash_says_which_shift_in_plain_words);
async fn a_clash_says_which_shift_in_plain_words(db: &TestDb) {
    let api = Api::start(db).await;
    let with_ref = |shift_ref: &str, body: serde_json::Value| {
        let mut body = body;
        body["shift_ref"] = json!(shift_ref);
        body
    };
    for (key, body) in [
        (
            "s1",
            with_ref(
                "S1",
                shift(None, "2026-10-12T09:00", "2026-10-12T11:00", &["A"]),
            ),
        ),
        (
            "s2",
            with_ref(
                "S2",
                shift(None, "2026-10-13T22:00", "2026-10-14T07:00", &["A"]),
            ),
        ),
    ] {
        let stored = api.submit("worker", key, &body).await;
        assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.text);
    }
    let refused = |reply: &crate::harness::Reply, pointer: &str, words: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        let problem = reply.json();
        assert_eq!(
            problem["title"], "The shift overlaps another",
            "{}",
            reply.text
        );
        assert_eq!(problem["detail"], words, "{}", reply.text);
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{}", reply.text);
        assert_eq!(problem["errors"][0]["reason"], words, "{}", reply.text);
    };
    // The worker's own clash, on the same day.
    let same_day = api
        .submit(
            "worker",
            "c1",
            &shift(None, "2026-10-12T10:00", "2026-10-12T12:00", &["A"]),
        )
        .await;
    refused(
        &same_day,
        "/segments/0/start",
        "You already have a shift from 09:00 to 11:00 that day (S1)",
    );
    // A manager recording for the worker hears the worker's name.
    let for_worker = api
        .submit(
            "manager",
            "c2",
            &shift(Some("W1"), "2026-10-12T10:30", "2026-10-12T12:00", &["A"]),
        )
        .await;
    refused(
        &for_worker,
        "/segments/0/start",
        "Sam Jones (W1) already has a shift from 09:00 to 11:00 that day (S1)",
    );
    // A night shift across midnight, met by the second part of a shift the next morning.
    let morning = json!({"segments": [
        {"start": "2026-10-14T05:00", "end": "2026-10-14T05:30", "service": "PERSONAL_CARE", "people": []},
        {"start": "2026-10-14T06:00", "end": "2026-10-14T08:00", "service": "PERSONAL_CARE", "people": ["A"]}]});
    let night = api.submit("worker", "c3", &morning).await;
    refused(
        &night,
        "/segments/0/start",
        "You already have a shift from 22:00 on Tue 13 Oct to 07:00 on Wed 14 Oct (S2)",
    );
    let later = json!({"segments": [
        {"start": "2026-10-12T07:00", "end": "2026-10-12T08:00", "service": "PERSONAL_CARE", "people": []},
        {"start": "2026-10-12T08:30", "end": "2026-10-12T09:30", "service": "PERSONAL_CARE", "people": ["A"]}]});
    let second_part = api.submit("worker", "c4", &later).await;
    refused(
        &second_part,
        "/segments/1/start",
        "You already have a shift from 09:00 to 11:00 that day (S1)",
    );
    // A part starting the day before names the other shift's day.
    let day_before = api
        .submit(
            "worker",
            "c5",
            &shift(None, "2026-10-11T23:00", "2026-10-12T10:00", &["A"]),
        )
        .await;
    refused(
        &day_before,
        "/segments/0/start",
        "You already have a shift from 09:00 to 11:00 on Mon 12 Oct (S1)",
    );
    // An amendment that moves a shift onto another says the same.
    let free = api
        .submit(
            "worker",
            "c6",
            &shift(None, "2026-10-15T09:00", "2026-10-15T10:00", &["A"]),
        )
        .await;
    assert_eq!(free.status, StatusCode::CREATED, "{}", free.text);
    let id = free.json()["shift_id"].as_i64().expect("id");
    let moved = api
        .send(
            "worker",
            Method::PUT,
            &format!("/api/v1/shifts/{id}"),
            &[("if-match", &free.header("etag"))],
            Some(&shift(None, "2026-10-12T08:00", "2026-10-12T09:30", &["A"]).to_string()),
        )
        .await;
    refused(
        &moved,
        "/segments/0/start",
        "You already have a shift from 09:00 to 11:00 that day (S1)",
    );
    assert_eq!(db.count("shift").await, 3, "no clashing shift was stored");
    api.stop().await;
}

/// Uploads `csv` under `name` as `caller`, answering with the status and the JSON body.
async fn upload_csv(
    api: &Api,
    caller: &str,
    name: &str,
    csv: &'static str,
) -> (StatusCode, serde_json::Value) {
    let response = api
        .client
        .post(format!("{}/api/v1/imports/shifts", api.base))
        .bearer_auth(&api.tokens[caller])
        .header("content-type", "text/csv")
        .header("x-file-name", name)
        .body(csv)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    (
        status,
        response.json::<serde_json::Value>().await.expect("json"),
    )
}

on_both!(a_bulk_upload_is_a_csv_import);
async fn a_bulk_upload_is_a_csv_import(db: &TestDb) {
    let api = Api::start(db).await;
    let csv = "shift_ref,worker_id,start,end,service,people,miles,notes\n\
               U1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;B,,\n\
               U2,W3,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,C,,\n\
               U3,W2,2026-10-06T09:00,2026-10-06T08:00,PERSONAL_CARE,A,,\n";
    let upload = |caller: &'static str| upload_csv(&api, caller, "monday.csv", csv);
    let (status, result) = upload("manager").await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["counts"]["shifts_new"], 1, "{result}");
    assert_eq!(result["counts"]["shifts_rejected"], 2);
    let reasons: Vec<String> = result["rejects"]
        .as_array()
        .expect("rejects")
        .iter()
        .map(|r| format!("{} {}", r["shift_ref"], r["reason"]))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("U2") && r.contains("unknown worker 'W3'")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("U3") && r.contains("not after start")),
        "{reasons:?}"
    );
    // The same file again changes nothing.
    let (_, again) = upload("manager").await;
    assert_eq!(db.count("shift").await, 1, "{again}");
    let (status, _) = upload("worker").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.stop().await;
}

on_both!(an_api_submission_resolves_the_rejects_of_its_shift);
async fn an_api_submission_resolves_the_rejects_of_its_shift(db: &TestDb) {
    let api = Api::start(db).await;
    let csv = "shift_ref,worker_id,start,end,service,people,miles,notes\n\
               U1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;B,,\n\
               U3,W2,2026-10-06T09:00,2026-10-06T08:00,PERSONAL_CARE,A,,\n";
    let (status, result) = upload_csv(&api, "manager", "monday.csv", csv).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let open = |table: tms::report::Table| -> Vec<String> {
        table.rows.iter().map(|r| format!("{:?}", r[3])).collect()
    };
    let rejects = tms::report::rejects(&db.store, None).await.expect("report");
    assert_eq!(open(rejects), [r#"Text("U3")"#]);

    // The manager records the corrected shift through the API, under the same reference.
    let mut body = shift(Some("W2"), "2026-10-06T09:00", "2026-10-06T10:00", &["A"]);
    body["shift_ref"] = json!("U3");
    let reply = api.submit("manager", "u3-corrected", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let rejects = tms::report::rejects(&db.store, None).await.expect("report");
    assert!(rejects.rows.is_empty(), "{:?}", rejects.rows);
    let all = tms::report::all_rejects(&db.store, None, db.settings.zone())
        .await
        .expect("report");
    assert_eq!(all.rows.len(), 1);
    assert_eq!(all.rows[0][3], tms::report::Cell::text("U3"));
    assert_eq!(
        all.rows[0][7],
        tms::report::Cell::text("manager:CC1"),
        "resolved by whoever submitted the shift"
    );
    assert!(
        matches!(&all.rows[0][6], tms::report::Cell::Plain(at) if at.starts_with("20")),
        "{:?}",
        all.rows[0][6]
    );
    api.stop().await;
}

on_both!(an_upload_answers_for_its_own_import_only);
async fn an_upload_answers_for_its_own_import_only(db: &TestDb) {
    let api = Api::start(db).await;
    let csv = "shift_ref,worker_id,start,end,service,people,miles,notes\n\
               U1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;B,,\n\
               U2,W3,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,C,,\n\
               U3,W2,2026-10-06T09:00,2026-10-06T08:00,PERSONAL_CARE,A,,\n";
    let upload = |caller: &'static str, body: &'static str| {
        let api = &api;
        async move {
            let (status, result) = upload_csv(api, caller, "shifts-2026-10.csv", body).await;
            assert_eq!(status, StatusCode::OK, "{result}");
            result
        }
    };
    let refs = |result: &serde_json::Value| -> Vec<String> {
        result["rejects"]
            .as_array()
            .expect("rejects")
            .iter()
            .map(|r| r["shift_ref"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let first = upload("finance", csv).await;
    assert_eq!(first["counts"]["shifts_new"], 2, "{first}");
    assert_eq!(refs(&first), ["U3"]);

    // The same bytes from a narrower scope are an import of their own: the other cost centre's
    // manager sees only W3, so U1 and U3 read as unknown workers there, and finance's import
    // keeps its record and its reject.
    let narrower = upload("other_manager", csv).await;
    assert_eq!(narrower["counts"]["shifts_unchanged"], 1, "{narrower}");
    assert_eq!(refs(&narrower), ["U1", "U3"]);
    assert_eq!(db.count("import_file").await, 2);
    assert_eq!(
        db.count("shift_reject").await,
        3,
        "finance's reject is kept"
    );
    let again = upload("finance", csv).await;
    assert_eq!(
        refs(&again),
        ["U3"],
        "finance's import still has its own rejects only"
    );

    // A different file under the same name answers with its own rejects, not the others'.
    let other = "shift_ref,worker_id,start,end,service,people,miles,notes\n\
                 V1,W2,2026-10-07T09:00,2026-10-07T10:00,PERSONAL_CARE,A,,\n";
    let clean = upload("manager", other).await;
    assert_eq!(clean["counts"]["shifts_new"], 1, "{clean}");
    assert_eq!(refs(&clean), Vec::<String>::new());
    let reports = std::fs::read_dir(db.settings.paths.output_dir.join("rejects"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(reports, 2, "one reject report per import with rejects");
    api.stop().await;
}

on_both!(each_token_is_rate_limited);
async fn each_token_is_rate_limited(db: &TestDb) {
    let api = Api::start_with(db, |s| {
        s.server.rate_limit_per_second = 1;
        s.server.rate_limit_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            api.send("worker", Method::GET, "/api/v1/me", &[], None)
                .await,
        );
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes, [200, 200, 200, 429]);
    assert!(
        statuses[3]
            .header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s >= 1)
    );
    assert_eq!(
        statuses[3].header("content-type"),
        "application/problem+json"
    );
    // Another token has its own allowance.
    let other = api
        .send("manager", Method::GET, "/api/v1/me", &[], None)
        .await;
    assert_eq!(other.status, StatusCode::OK);
    api.stop().await;
}

on_both!(secrets_are_stored_only_as_digests_and_keys_are_forgotten);
async fn secrets_are_stored_only_as_digests_and_keys_are_forgotten(db: &TestDb) {
    let api = Api::start(db).await;
    let created = api
        .submit(
            "worker",
            "k",
            &shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A"]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let (cookie, _) = api.sign_in("worker").await;
    let session_secret = cookie.split_once('=').expect("cookie").1.to_owned();
    let token_secret = api.tokens["worker"]
        .rsplit('_')
        .next()
        .expect("secret")
        .to_owned();
    let dump = |table: &'static str| {
        let sql = format!("select * from {table}");
        let store = db.store.clone();
        async move {
            let rows: Vec<String> = match &store {
                tms::store::Store::Sqlite(pool) => {
                    use sqlx::Row;
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(pool)
                        .await
                        .expect("rows")
                        .iter()
                        .flat_map(|r| {
                            (0..r.len())
                                .filter_map(|i| r.try_get::<String, _>(i).ok())
                                .collect::<Vec<_>>()
                        })
                        .collect()
                }
                tms::store::Store::Postgres(pool) => {
                    use sqlx::Row;
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(pool)
                        .await
                        .expect("rows")
                        .iter()
                        .flat_map(|r| {
                            (0..r.len())
                                .filter_map(|i| r.try_get::<String, _>(i).ok())
                                .collect::<Vec<_>>()
                        })
                        .collect()
                }
            };
            rows
        }
    };
    let mut stored = dump("api_token").await;
    stored.extend(dump("web_session").await);
    assert!(stored.iter().any(|v| v.len() == 64), "digests are stored");
    for secret in [&token_secret, &session_secret] {
        assert!(
            !stored.iter().any(|v| v.contains(secret.as_str())),
            "a secret is stored as it is"
        );
    }
    // Keys older than the retention are forgotten; a retry after that is a new request.
    assert_eq!(db.count("idempotency_key").await, 1);
    let pruned = tms::store::shift_records::prune_responses(
        &db.store,
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .expect("prune");
    assert_eq!(pruned, 1);
    assert_eq!(db.count("idempotency_key").await, 0);
    api.stop().await;
}
