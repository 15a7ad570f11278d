//! Shift import: idempotency, amendments with audit, row order, every rejection reason, awkward
//! CSV and files refused as a whole.

use chrono::NaiveDate;
use tms::cli::ExitStatus;
use tms::report::{Format, charge_lines, charges_table};

use crate::fixtures::{load_rules_reference, render};
use crate::on_both;
use crate::support::TestDb;

const HEADER: &str = "shift_ref,worker_id,start,end,service,people,miles,notes\n";

async fn charges(db: &TestDb) -> String {
    let reference = db.reference().await;
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
    let (lines, _) = charge_lines(&db.store, &reference, from, to, None)
        .await
        .unwrap();
    render(&charges_table(&lines), Format::Csv)
}

async fn rejects(db: &TestDb, file: &str) -> String {
    render(
        &tms::report::rejects(&db.store, Some(file)).await.unwrap(),
        Format::Csv,
    )
}

async fn table_counts(db: &TestDb) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "shift",
        "segment",
        "allocation",
        "shift_audit",
        "shift_reject",
        "import_file",
    ] {
        counts.push(db.count(table).await);
    }
    counts
}

const TWO_SHIFTS: &str = "S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;B,,\n\
                          S2,W2,2026-10-06T09:00,2026-10-06T10:30,PERSONAL_CARE,C,,\"lunch, then park\"\n\
                          S1,W1,2026-10-06T10:00,2026-10-06T10:15,TRAVEL,,2.5,\n";

async fn reimporting_the_same_file_changes_nothing(db: &TestDb) {
    load_rules_reference(db).await;
    assert_eq!(
        db.import_text("shifts", "day.csv", &format!("{HEADER}{TWO_SHIFTS}"))
            .await,
        ExitStatus::Ok
    );
    let before = (table_counts(db).await, charges(db).await);
    assert_eq!(
        db.import_text("shifts", "day.csv", &format!("{HEADER}{TWO_SHIFTS}"))
            .await,
        ExitStatus::Ok
    );
    assert_eq!((table_counts(db).await, charges(db).await), before);
    assert_eq!(
        before.0[..4],
        [2, 3, 4, 2],
        "2 shifts, 3 segments, 4 allocation rows, 2 audit rows"
    );
}
on_both!(reimporting_the_same_file_changes_nothing);

async fn row_order_does_not_matter(db: &TestDb) {
    load_rules_reference(db).await;
    let shuffled: Vec<&str> = TWO_SHIFTS.lines().rev().collect();
    assert_eq!(
        db.import_text("shifts", "a.csv", &format!("{HEADER}{TWO_SHIFTS}"))
            .await,
        ExitStatus::Ok
    );
    let first = charges(db).await;
    assert_eq!(
        db.import_text(
            "shifts",
            "b.csv",
            &format!("{HEADER}{}\n", shuffled.join("\n"))
        )
        .await,
        ExitStatus::Ok
    );
    assert_eq!(
        charges(db).await,
        first,
        "the same shifts in another order are unchanged"
    );
    assert_eq!(
        db.count("shift_audit").await,
        2,
        "no amendment was recorded"
    );
}
on_both!(row_order_does_not_matter);

async fn a_changed_shift_is_an_audited_amendment(db: &TestDb) {
    load_rules_reference(db).await;
    db.import_text("shifts", "v1.csv", &format!("{HEADER}{TWO_SHIFTS}"))
        .await;
    let amended = TWO_SHIFTS.replace(
        "2026-10-06T10:30,PERSONAL_CARE,C",
        "2026-10-06T11:00,PERSONAL_CARE,C",
    );
    assert_eq!(
        db.import_text("shifts", "v2.csv", &format!("{HEADER}{amended}"))
            .await,
        ExitStatus::Ok
    );
    assert_eq!(
        db.count("shift").await,
        2,
        "an amendment is never a duplicate"
    );
    assert_eq!(db.count("shift_audit").await, 3, "create, create, amend");
    let report = charges(db).await;
    assert!(
        report.contains("C,2026-10-06,PERSONAL_CARE,day,1,24.0000,120,48.00"),
        "{report}"
    );
    let version: i64 = match &db.store {
        tms::store::Store::Sqlite(p) => {
            sqlx::query_scalar("select version from shift where shift_ref = 'S2'")
                .fetch_one(p)
                .await
                .unwrap()
        }
        tms::store::Store::Postgres(p) => {
            sqlx::query_scalar("select version from shift where shift_ref = 'S2'")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(version, 2);

    // A rejected amendment leaves the stored version as it was.
    let broken = format!(
        "{HEADER}S2,W2,2026-10-06T09:00,2026-10-06T12:00,PERSONAL_CARE,C,,\nS2,W2,2026-10-06T11:00,2026-10-06T13:00,PERSONAL_CARE,C,,\n"
    );
    assert_eq!(
        db.import_text("shifts", "v3.csv", &broken).await,
        ExitStatus::Rejected
    );
    assert_eq!(charges(db).await, report);
    assert_eq!(db.count("shift_audit").await, 3);
}
on_both!(a_changed_shift_is_an_audited_amendment);

/// One shift per rejection reason, each beside a good shift that must be kept.
async fn every_rejection_reason_is_named(db: &TestDb) {
    load_rules_reference(db).await;
    db.import_text(
        "shifts",
        "stored.csv",
        &format!("{HEADER}ST,W3,2026-10-10T09:00,2026-10-10T12:00,PERSONAL_CARE,A,,\n"),
    )
    .await;
    let cases: &[(&str, &str, &str)] = &[
        (
            "R01,W9,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,,",
            "worker_id",
            "unknown worker 'W9'",
        ),
        (
            "R02,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,Z,,",
            "people",
            "unknown person 'Z'",
        ),
        (
            "R03,W1,2026-10-06T09:00,2026-10-06T10:00,GARDENING,A,,",
            "service",
            "unknown service 'GARDENING'",
        ),
        (
            "R04,W1,2026-10-06T10:00,2026-10-06T10:00,PERSONAL_CARE,A,,",
            "end",
            "is not after start",
        ),
        (
            "R05,W1,2026-10-06T11:00,2026-10-06T10:00,PERSONAL_CARE,A,,",
            "end",
            "is not after start",
        ),
        (
            "R06,W1,2026-10-06T09:00:30,2026-10-06T10:00,PERSONAL_CARE,A,,",
            "start",
            "seconds other than :00",
        ),
        (
            "R07,W1,2026-10-25T01:15,2026-10-25T03:00,PERSONAL_CARE,A,,",
            "start",
            "ambiguous",
        ),
        (
            "R08,W1,2026-03-29T01:15,2026-03-29T03:00,PERSONAL_CARE,A,,",
            "start",
            "does not exist",
        ),
        (
            "R09,W1,06/10/2026 09:00,2026-10-06T10:00,PERSONAL_CARE,A,,",
            "start",
            "is not a time like",
        ),
        (
            "R10,W1,2026-10-06T24:00,2026-10-07T01:00,PERSONAL_CARE,A,,",
            "start",
            "is not a time like",
        ),
        (
            "R11,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;A,,",
            "people",
            "listed twice",
        ),
        (
            "R12,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,-3,",
            "miles",
            "zero or more",
        ),
        (
            "R13,W1,2030-01-07T09:00,2030-01-07T10:00,PERSONAL_CARE,A,,",
            "start",
            "outside the bank-holiday calendar",
        ),
        (
            "R14,W1,2026-10-01T09:00,2026-10-02T12:00,PERSONAL_CARE,A,,",
            "end",
            "the most is 1560",
        ),
        (
            "R15,W3,2026-10-10T11:00,2026-10-10T13:00,PERSONAL_CARE,A,,",
            "start",
            "overlaps shift 'ST'",
        ),
        (
            "R16,W1,2026-10-12T09:00,2026-10-12T10:00,PERSONAL_CARE,A,,",
            "",
            "",
        ),
        (
            "R17,W1,2026-10-12T09:30,2026-10-12T10:30,PERSONAL_CARE,B,,",
            "start",
            "overlaps shift 'R16'",
        ),
        (
            "R18,W1,2026-10-13T09:00,2026-10-13T10:00,PERSONAL_CARE,A,,\nR18,W1,2026-10-13T09:30,2026-10-13T11:00,PERSONAL_CARE,A,,",
            "start",
            "overlap",
        ),
        (
            "R19,W1,2026-10-14T09:00,2026-10-14T10:00,PERSONAL_CARE,A,extra",
            "row",
            "fields but the header has",
        ),
        (
            "R20,W1,2026-10-15T09:00,2026-10-15T10:00,PERSONAL_CARE,A;B;C;D;E;A2;A3;A4;A5;A6;A7;A8;A9,,",
            "people",
            "unknown person",
        ),
        (
            "R21,W4,2026-10-21T08:00,2026-10-21T09:00,PERSONAL_CARE,A,,\nR21,W4,2026-10-23T08:00,2026-10-23T08:01,PERSONAL_CARE,A,,",
            "end",
            "spans 2881 minutes from its first start to its last end; the most is 2880 (48 hours)",
        ),
        (
            ",W1,2026-10-16T09:00,2026-10-16T10:00,PERSONAL_CARE,A,,",
            "shift_ref",
            "shift_ref is empty",
        ),
    ];
    let good = "OK1,W2,2026-10-20T09:00,2026-10-20T10:00,PERSONAL_CARE,A,,\n";
    let body: String = cases.iter().map(|(row, _, _)| format!("{row}\n")).collect();
    assert_eq!(
        db.import_text("shifts", "bad.csv", &format!("{HEADER}{good}{body}"))
            .await,
        ExitStatus::Rejected
    );
    let report = rejects(db, "bad.csv").await;
    for (row, field, reason) in cases.iter().filter(|c| !c.1.is_empty()) {
        let shift_ref = row.split(',').next().unwrap();
        let found = report
            .lines()
            .any(|l| l.contains(&format!(",{shift_ref},{field},")) && l.contains(reason));
        assert!(
            found,
            "{shift_ref}: expected {field} / {reason} in\n{report}"
        );
    }
    let stored = stored_refs(db).await;
    assert_eq!(
        stored,
        ["OK1", "R16", "ST"],
        "good shifts are kept, every bad one is rejected whole"
    );
    let reports: Vec<_> = std::fs::read_dir(db.settings.paths.output_dir.join("rejects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "one report, named after its import: {reports:?}"
    );
    let report_name = reports[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        report_name.starts_with("import-") && report_name.ends_with("-bad.csv.rejects.csv"),
        "{report_name}"
    );
    let file = std::fs::read_to_string(&reports[0]).unwrap();
    assert!(file.starts_with("file,row,worker_id,shift_ref,field,reason\n"));
    assert_eq!(
        file.lines().count(),
        report.lines().count(),
        "the reject file lists the same rows"
    );
}
on_both!(every_rejection_reason_is_named);

async fn awkward_csv_is_read(db: &TestDb) {
    load_rules_reference(db).await;
    let text = "\u{feff}notes,people,service,end,start,worker_id,shift_ref\r\n\"tea, biscuits and a \"\"chat\"\"\",A,PERSONAL_CARE,2026-10-06T10:00,2026-10-06T09:00,W1,Q1\r\n";
    assert_eq!(
        db.import_text("shifts", "bom.csv", text).await,
        ExitStatus::Ok
    );
    assert!(
        charges(db)
            .await
            .contains("A,2026-10-06,PERSONAL_CARE,day,1,24.0000,60,24.00")
    );
    let notes: String = match &db.store {
        tms::store::Store::Sqlite(p) => sqlx::query_scalar("select notes from segment")
            .fetch_one(p)
            .await
            .unwrap(),
        tms::store::Store::Postgres(p) => sqlx::query_scalar("select notes from segment")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert_eq!(notes, "tea, biscuits and a \"chat\"");
}
on_both!(awkward_csv_is_read);

async fn files_refused_whole_import_nothing(db: &TestDb) {
    load_rules_reference(db).await;
    assert_eq!(
        db.import_text("shifts", "empty.csv", "").await,
        ExitStatus::Refused
    );
    assert_eq!(
        db.import_text("shifts", "header.csv", HEADER).await,
        ExitStatus::Ok,
        "a header-only file imports nothing and says so"
    );
    assert_eq!(
        db.import_text(
            "shifts",
            "noheader.csv",
            "S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,,\n"
        )
        .await,
        ExitStatus::Refused
    );
    let extra = "shift_ref,worker_id,start,end,service,people,colour\nS1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,red\n";
    assert_eq!(
        db.import_text("shifts", "extra.csv", extra).await,
        ExitStatus::Refused
    );
    assert_eq!(db.count("shift").await, 0);
}
on_both!(files_refused_whole_import_nothing);

async fn unpriced_time_is_reported_not_charged(db: &TestDb) {
    load_rules_reference(db).await;
    // TRAVEL has no rate: with a person on it, it is unpriced.
    db.import_text(
        "shifts",
        "u.csv",
        &format!("{HEADER}U1,W1,2026-10-06T09:00,2026-10-06T09:40,TRAVEL,A,,\n"),
    )
    .await;
    assert_eq!(
        charges(db).await.lines().count(),
        1,
        "no charge line, not even a zero one"
    );
    let reference = db.reference().await;
    let from = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
    let unpriced = render(
        &tms::report::unpriced(&db.store, &reference, from, to)
            .await
            .unwrap(),
        Format::Csv,
    );
    assert!(
        unpriced.contains("A,2026-10-06,TRAVEL,day,1,40,W1,U1"),
        "{unpriced}"
    );

    // Adding a rate prices it: the rate-card import recosts the stored shift.
    db.import_text("rate-card", "travel.csv", "service,unit,band,ratio,rate,effective_from,effective_to,payer\nTRAVEL,hour,day,1,18.00,2026-01-01,,\n").await;
    assert!(
        charges(db)
            .await
            .contains("A,2026-10-06,TRAVEL,day,1,18.0000,40,12.00")
    );
}
on_both!(unpriced_time_is_reported_not_charged);

/// Stored overlaps are found over a shift's whole span (up to 48 hours back) but decided by its
/// segments: time in a stored shift's break is free, time in any of its segments is not.
async fn stored_overlaps_are_decided_by_segments_across_the_span(db: &TestDb) {
    load_rules_reference(db).await;
    let stored = format!(
        "{HEADER}G1,W1,2026-10-14T08:00,2026-10-14T09:00,PERSONAL_CARE,A,,\n\
         G1,W1,2026-10-14T17:00,2026-10-14T18:00,PERSONAL_CARE,A,,\n\
         L1,W2,2026-10-15T00:00,2026-10-16T02:00,PERSONAL_CARE,A,,\n\
         L1,W2,2026-10-16T03:00,2026-10-16T20:00,PERSONAL_CARE,A,,\n"
    );
    assert_eq!(
        db.import_text("shifts", "stored.csv", &stored).await,
        ExitStatus::Ok
    );
    let later = format!(
        "{HEADER}G2,W1,2026-10-14T12:00,2026-10-14T13:00,PERSONAL_CARE,B,,\n\
         G3,W1,2026-10-14T17:30,2026-10-14T18:30,PERSONAL_CARE,B,,\n\
         L2,W2,2026-10-16T19:00,2026-10-16T21:00,PERSONAL_CARE,B,,\n\
         L3,W2,2026-10-16T02:00,2026-10-16T03:00,PERSONAL_CARE,B,,\n"
    );
    assert_eq!(
        db.import_text("shifts", "later.csv", &later).await,
        ExitStatus::Rejected
    );
    let report = rejects(db, "later.csv").await;
    assert!(
        report.contains("G3,start,overlaps shift 'G1' of worker 'W1'"),
        "{report}"
    );
    assert!(
        report.contains("L2,start,overlaps shift 'L1' of worker 'W2'"),
        "43 hours after the stored shift began: {report}"
    );
    assert!(
        !report.contains("G2") && !report.contains("L3"),
        "breaks are free: {report}"
    );
    assert_eq!(db.count("shift").await, 4);
}
on_both!(stored_overlaps_are_decided_by_segments_across_the_span);

/// The reject report written at import time, wherever the import put it.
fn reject_file(db: &TestDb) -> String {
    let folder = db.settings.paths.output_dir.join("rejects");
    let files: Vec<_> = std::fs::read_dir(&folder)
        .expect("the rejects folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "one reject report: {files:?}");
    std::fs::read_to_string(&files[0]).expect("read the reject report")
}

async fn the_reject_report_guards_spreadsheet_formulas(db: &TestDb) {
    load_rules_reference(db).await;
    let file = format!(
        "{HEADER}=HYPERLINK(\"http://x\"),W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;Z,,\n\
         -2+3,W1,2026-10-06T11:00,2026-10-06T12:00,PERSONAL_CARE,Q,,\n\
         S3,@W9,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,,\n\
         +S4,W2,2026-10-06T09:00,2026-10-06T08:00,PERSONAL_CARE,A,,\n\
         OK1,W3,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,B,,\n"
    );
    assert_eq!(
        db.import_text("shifts", "formulas.csv", &file).await,
        ExitStatus::Rejected
    );
    let written = reject_file(db);
    for guarded in [
        ",\"'=HYPERLINK(\"\"http://x\"\")\",",
        ",'-2+3,",
        ",'@W9,",
        ",'+S4,",
    ] {
        assert!(written.contains(guarded), "{guarded} in\n{written}");
    }
    for line in written.lines().skip(1) {
        for cell in line.split(',') {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "an unguarded cell {cell:?} in {line}"
            );
        }
    }
    assert_eq!(
        written,
        rejects(db, "formulas.csv").await,
        "the file written at import time is the rejects report, guarded the same way"
    );
}
on_both!(the_reject_report_guards_spreadsheet_formulas);

async fn a_stray_quote_rejects_the_row_that_swallowed_others(db: &TestDb) {
    load_rules_reference(db).await;
    // Line 3's note opens a quote that line 5's note closes: without the check, S3 and S4 would
    // vanish into S2's note and S2 would be stored.
    let file = format!(
        "{HEADER}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,,fine\n\
         S2,W2,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,B,,\"Called GP\n\
         S3,W3,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,C,,\n\
         S4,W4,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,D,,\"ok\"\n\
         S5,W1,2026-10-06T11:00,2026-10-06T12:00,PERSONAL_CARE,A,,\n\
         S6,W1\n\
         S7,W9,2026-10-06T13:00,2026-10-06T14:00,PERSONAL_CARE,A,,\n"
    );
    assert_eq!(
        db.import_text("shifts", "quote.csv", &file).await,
        ExitStatus::Rejected
    );
    let report = rejects(db, "quote.csv").await;
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 4, "{report}");
    assert!(
        lines[1].starts_with("quote.csv,3,W2,S2,row,")
            && lines[1].contains("line break in its notes value")
            && lines[1].contains("lines 3–5"),
        "the swallowing row, by its row and the lines it spans: {report}"
    );
    assert!(
        lines[2].starts_with("quote.csv,5,W1,S6,row,")
            && lines[2].contains("has 2 fields but the header has 8 (line 7)"),
        "rows after it are named by row and line: {report}"
    );
    assert!(
        lines[3].starts_with("quote.csv,6,W9,S7,worker_id,unknown worker 'W9' (line 8)"),
        "{report}"
    );
    let stored = stored_refs(db).await;
    assert_eq!(stored, ["S1", "S5"]);

    // In a reference file a quoted value may run over lines (an address); a later row's
    // problem names its line.
    let payers = db.write(
        "payers.csv",
        "payer_id,name,kind,address\n\
         LA1,Leeds City Council,local_authority,\"Civic Hall\nLeeds\"\n\
         P2,Pat,martian,\n",
    );
    let refused = tms::usecase::import_reference(
        &db.store,
        "cli:test",
        tms::capture::ReferenceKind::Payers,
        &payers,
        db.settings.zone(),
        db.settings.band_rules().clone(),
        &db.settings.provider.bank_holiday_calendar,
    )
    .await;
    let Err(tms::usecase::ImportError::Refused { count, list, .. }) = refused else {
        panic!("the bad row refuses the file: {refused:?}");
    };
    assert_eq!(count, 1, "{list}");
    assert!(
        list.trim_start().starts_with("row 3, kind:") && list.ends_with("(line 4)"),
        "{list}"
    );
}
on_both!(a_stray_quote_rejects_the_row_that_swallowed_others);

/// The shift_refs stored, in order.
async fn stored_refs(db: &TestDb) -> Vec<String> {
    const SQL: &str = "select shift_ref from shift order by shift_ref";
    match &db.store {
        tms::store::Store::Sqlite(p) => sqlx::query_scalar(SQL).fetch_all(p).await.unwrap(),
        tms::store::Store::Postgres(p) => sqlx::query_scalar(SQL).fetch_all(p).await.unwrap(),
    }
}

/// An import's record is running from when it opens until its counts are recorded, and it reads
/// back as such; a stored shift's status reads back as the shift's status.
async fn import_and_shift_statuses_read_back_as_stored(db: &TestDb) {
    use tms::domain::{ImportStatus, ShiftStatus};
    use tms::store::runs::earlier_import;
    use tms::store::shifts::{ImportCounts, finish_import, open_import_file};

    let id = open_import_file(&db.store, "shifts", "s.csv", "abc123", None, "")
        .await
        .unwrap();
    let running = earlier_import(&db.store, "shifts", "abc123")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        (running.import_file_id, running.status),
        (id, ImportStatus::Running)
    );
    let counts = ImportCounts {
        rows_read: 3,
        shifts_new: 2,
        ..ImportCounts::default()
    };
    finish_import(&db.store, id, &counts).await.unwrap();
    let done = earlier_import(&db.store, "shifts", "abc123")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(done.status, ImportStatus::Done);
    assert_eq!(done.counts(), counts);
    // Opening the same content again runs it again under the same record.
    let again = open_import_file(&db.store, "shifts", "s-again.csv", "abc123", None, "")
        .await
        .unwrap();
    assert_eq!(again, id);
    let reopened = earlier_import(&db.store, "shifts", "abc123")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(reopened.status, ImportStatus::Running);

    load_rules_reference(db).await;
    let file = format!("{HEADER}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,,\n");
    assert_eq!(
        db.import_text("shifts", "one.csv", &file).await,
        ExitStatus::Ok
    );
    let listed = tms::store::shift_records::list_shifts(
        &db.store,
        &tms::store::shift_records::ShiftFilter {
            status: Some(ShiftStatus::Approved),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1, "a CSV shift is stored approved");
    assert_eq!(listed[0].header.status, ShiftStatus::Approved);
    assert_eq!(listed[0].to_json(db.settings.zone())["status"], "approved");
    let waiting = tms::store::shift_records::list_shifts(
        &db.store,
        &tms::store::shift_records::ShiftFilter {
            status: Some(ShiftStatus::Submitted),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(waiting.is_empty());
}
on_both!(import_and_shift_statuses_read_back_as_stored);
