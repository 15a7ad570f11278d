//! Rejected rows that a later file fixes: the rejects report lists the open ones, and `--all`
//! every one with when and by what it was resolved.

use tms::cli::ExitStatus;
use tms::report::Format;

use crate::fixtures::{load_rules_reference, render, rules_fixtures};
use crate::on_both;
use crate::support::TestDb;

/// The (shift_ref, resolved_by, whether resolved) of every reject, open or not, in report order.
async fn all(db: &TestDb) -> Vec<(String, String, bool)> {
    let table = tms::report::all_rejects(&db.store, None, db.settings.zone())
        .await
        .expect("the report");
    assert_eq!(
        table.headers,
        [
            "file",
            "row",
            "worker_id",
            "shift_ref",
            "field",
            "reason",
            "resolved",
            "resolved_by"
        ]
    );
    let csv = render(&table, Format::Csv);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            (r[3].to_owned(), r[7].to_owned(), !r[6].is_empty())
        })
        .collect()
}

/// The shift references of the open rejects, in report order.
async fn open(db: &TestDb) -> Vec<String> {
    let table = tms::report::rejects(&db.store, None)
        .await
        .expect("the report");
    assert_eq!(
        table.headers,
        ["file", "row", "worker_id", "shift_ref", "field", "reason"],
        "the open rejects keep the report's columns"
    );
    let csv = render(&table, Format::Csv);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| r.expect("a row")[3].to_owned())
        .collect()
}

const HEADER: &str = "shift_ref,worker_id,start,end,service,people,miles,notes\n";
/// Example 8a as it should have been written: after W2's waking night, at a time that happens
/// once.
const FIXED_8A: &str = "EX8a,W2,2026-10-25T09:00,2026-10-25T10:00,PERSONAL_CARE,A,,\n";

on_both!(a_reject_is_resolved_when_its_shift_is_accepted_later);
async fn a_reject_is_resolved_when_its_shift_is_accepted_later(db: &TestDb) {
    load_rules_reference(db).await;
    let shifts = rules_fixtures().join("shifts.csv");
    assert_eq!(db.import("shifts", &shifts).await, ExitStatus::Rejected);
    assert_eq!(open(db).await, ["EX8a", "EX8b"]);

    // A corrected file is accepted: 8a's reject is resolved by it, 8b's stays open.
    let status = db
        .import_text("shifts", "shifts-fixed.csv", &format!("{HEADER}{FIXED_8A}"))
        .await;
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(open(db).await, ["EX8b"]);
    assert_eq!(
        all(db).await,
        [
            ("EX8a".to_owned(), "shifts-fixed.csv".to_owned(), true),
            ("EX8b".to_owned(), String::new(), false),
        ]
    );

    // The bad file imported again rejects 8a again: a reject after the acceptance is open.
    assert_eq!(db.import("shifts", &shifts).await, ExitStatus::Rejected);
    assert_eq!(open(db).await, ["EX8a", "EX8b"]);

    // A later file holding the corrected shift as stored accepts it unchanged, which resolves
    // it all the same.
    let status = db
        .import_text(
            "shifts",
            "shifts-fixed-again.csv",
            &format!(
                "{HEADER}{FIXED_8A}N1,W4,2026-10-26T09:00,2026-10-26T10:00,PERSONAL_CARE,A,,\n"
            ),
        )
        .await;
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(open(db).await, ["EX8b"]);
    let resolved_by: Vec<String> = all(db)
        .await
        .into_iter()
        .filter(|(shift_ref, _, resolved)| shift_ref == "EX8a" && *resolved)
        .map(|(_, by, _)| by)
        .collect();
    assert_eq!(resolved_by, ["shifts-fixed-again.csv"]);
}
