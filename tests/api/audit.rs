//! The audit trails over the API: a shift submitted, corrected and approved through the API
//! shows each change with who made it and the shift before and after, oldest first; care notes
//! only when asked for; reference records likewise; finance alone may read them.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::harness::{Api, shift};
use crate::on_both;
use crate::support::TestDb;

on_both!(a_shifts_changes_show_who_made_them_with_before_and_after);
async fn a_shifts_changes_show_who_made_them_with_before_and_after(db: &TestDb) {
    let api = Api::start(db).await;
    let mut body = shift(None, "2026-10-06T09:00", "2026-10-06T10:00", &["A"]);
    body["segments"][0]["notes"] = Value::from("was upset after the call from her son");
    let created = api.submit("worker", "audit-1", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["shift_id"].as_i64().expect("id");
    let shift_ref = created.json()["shift_ref"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let path = format!("/api/v1/shifts/{id}");
    let mut longer = shift(None, "2026-10-06T09:00", "2026-10-06T10:30", &["A", "B"]);
    longer["segments"][0]["notes"] = body["segments"][0]["notes"].clone();
    let amended = api
        .send(
            "worker",
            Method::PUT,
            &path,
            &[("if-match", &created.header("etag"))],
            Some(&longer.to_string()),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.text);
    let approved = api
        .send(
            "manager",
            Method::POST,
            &format!("{path}/approve"),
            &[],
            None,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);

    let audit_path = format!("/api/v1/audit/shifts/W1/{shift_ref}");
    let reply = api
        .send("finance", Method::GET, &audit_path, &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let trail = reply.json();
    assert_eq!(trail["shift_id"], id);
    let changes = trail["changes"].as_array().expect("changes");
    let summary: Vec<(i64, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["version"].as_i64().expect("version"),
                c["action"].as_str().expect("action"),
                c["by"].as_str().expect("by"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "create", "worker:W1"),
            (2, "amend", "worker:W1"),
            (3, "approve", "manager:CC1"),
        ],
        "oldest first, each with who made it"
    );
    assert_eq!(changes[0]["before"], Value::Null, "nothing before a create");
    assert_eq!(changes[0]["after"]["status"], "submitted");
    // The amendment: the shift as it stood, and as it stands after.
    let before = &changes[1]["before"]["segments"][0];
    let after = &changes[1]["after"]["segments"][0];
    assert_eq!(before["end"], "2026-10-06T10:00+01:00");
    assert_eq!(before["people"], serde_json::json!(["A"]));
    assert_eq!(after["end"], "2026-10-06T10:30+01:00");
    assert_eq!(after["people"], serde_json::json!(["A", "B"]));
    // The decision changes the status alone.
    assert_eq!(changes[2]["before"]["status"], "submitted");
    assert_eq!(changes[2]["after"]["status"], "approved");
    assert_eq!(
        changes[2]["before"]["segments"], changes[2]["after"]["segments"],
        "an approval leaves the segments as they were"
    );
    assert_eq!(
        changes[2]["after"]["segments"],
        changes[1]["after"]["segments"]
    );
    // Care notes are kept, but shown only when asked for.
    assert!(!reply.text.contains("upset"), "{}", reply.text);
    assert!(after.get("notes").is_none(), "{after}");
    let with_notes = api
        .send(
            "finance",
            Method::GET,
            &format!("{audit_path}?notes=true"),
            &[],
            None,
        )
        .await;
    assert_eq!(with_notes.status, StatusCode::OK, "{}", with_notes.text);
    assert_eq!(
        with_notes.json()["changes"][1]["before"]["segments"][0]["notes"],
        "was upset after the call from her son"
    );

    // Finance alone reads the trail; a shift that does not exist is not found.
    for caller in ["worker", "manager", "family"] {
        let refused = api.send(caller, Method::GET, &audit_path, &[], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{caller}");
        assert!(!refused.text.contains("W1"), "{}", refused.text);
    }
    let missing = api
        .send(
            "finance",
            Method::GET,
            "/api/v1/audit/shifts/W1/NOPE",
            &[],
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    api.stop().await;
}

on_both!(a_reference_records_changes_show_the_record_before_and_after);
async fn a_reference_records_changes_show_the_record_before_and_after(db: &TestDb) {
    let api = Api::start(db).await;
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api");
    let people = std::fs::read_to_string(folder.join("people.csv")).expect("people fixture");
    let renamed = people.replacen(",standard,", ",large_print,", 1);
    assert_ne!(renamed, people, "the fixture's first person changes format");
    let first = renamed
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("a first person")
        .to_owned();
    db.import_text("people", "people-2.csv", &renamed).await;

    let path = format!("/api/v1/audit/reference/people/{first}");
    let reply = api.send("finance", Method::GET, &path, &[], None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let changes = reply.json()["changes"].as_array().expect("changes").clone();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0]["action"], "insert");
    assert_eq!(changes[0]["before"], Value::Null);
    assert_eq!(changes[1]["action"], "update");
    assert_eq!(changes[1]["file"], "people-2.csv");
    assert_eq!(changes[1]["before"]["document_format"], "standard");
    assert_eq!(changes[1]["after"]["document_format"], "large_print");
    assert!(
        changes[1]["by"].as_str().expect("by").starts_with("cli"),
        "{changes:?}"
    );

    let not_a_kind = api
        .send(
            "finance",
            Method::GET,
            "/api/v1/audit/reference/nonsense/A",
            &[],
            None,
        )
        .await;
    assert_eq!(not_a_kind.status, StatusCode::BAD_REQUEST);
    let no_key = api
        .send(
            "finance",
            Method::GET,
            "/api/v1/audit/reference/people/Z9",
            &[],
            None,
        )
        .await;
    assert_eq!(no_key.status, StatusCode::NOT_FOUND);
    let manager = api.send("manager", Method::GET, &path, &[], None).await;
    assert_eq!(manager.status, StatusCode::FORBIDDEN);
    api.stop().await;
}
