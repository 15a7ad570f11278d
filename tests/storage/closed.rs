//! Closed periods through the nightly pipeline: a period closes `runner.period_close_days` after
//! its last day, its files are never written again, and every later change to its dates — a
//! shift added, amended, withdrawn or recosted, a one-off item added — is reported against the
//! totals it closed with, per person and payer, night after night.

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;
use tms::cli::ExitStatus;
use tms::config::Settings;
use tms::domain::Pence;
use tms::pipeline::{RunOutcome, RunRequest, Step};
use tms::report::Format;
use tms::store::Store;

use crate::fixtures::{load_rules_reference, render, rules_fixtures};
use crate::on_both;
use crate::support::TestDb;

/// The test's settings, every folder inside its own, with the default close delay.
fn settings(db: &TestDb) -> Settings {
    let mut settings = db.settings.clone();
    settings.runner.inbox_dir = db.dir().join("inbox");
    settings.email.outbox_dir = db.dir().join("out/outbox");
    settings.runner.settle_seconds = 0;
    std::fs::create_dir_all(&settings.runner.inbox_dir).expect("inbox");
    settings
}

async fn night(db: &TestDb, settings: &Settings, date: &str, force: &[Step]) -> String {
    let outcome = tms::pipeline::run(
        &db.store,
        settings,
        &RunRequest {
            business_date: date.parse().expect("date"),
            only: None,
            force: force.to_vec(),
            dry_run: false,
        },
    )
    .await
    .expect("the night runs");
    match outcome {
        RunOutcome::Done(report) => report.text,
        other => panic!("the night of {date} did not finish: {other:?}"),
    }
}

async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .expect(sql);
        }
        Store::Postgres(pool) => {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .expect(sql);
        }
    }
}

async fn warnings(db: &TestDb, step: Step, key: &str) -> Vec<String> {
    tms::store::runs::job_run(&db.store, step, key)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("{step} {key} ran"))
        .warnings
}

/// Each person's total in a charges CSV, in pence.
fn totals_by_person(charges_csv: &str) -> BTreeMap<String, i64> {
    let mut totals = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(charges_csv.as_bytes());
    for record in reader.records() {
        let record = record.expect("a row");
        let amount = Pence::parse_pounds(&record[7]).expect("an amount").get();
        *totals.entry(record[0].to_owned()).or_insert(0) += amount;
    }
    totals
}

/// The late-changes report's rows, each as `person|payer|item|worker|shift|date|service|change|closed|now|difference`.
fn late_rows(csv_text: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "period",
            "person_id",
            "payer_id",
            "item",
            "worker_id",
            "shift_ref",
            "date",
            "service",
            "change",
            "closed",
            "now",
            "difference"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            assert_eq!(&r[0], "2026-10");
            r.iter().skip(1).collect::<Vec<_>>().join("|")
        })
        .collect()
}

on_both!(a_closed_period_keeps_its_files_and_reports_late_changes);
async fn a_closed_period_keeps_its_files_and_reports_late_changes(db: &TestDb) {
    let settings = settings(db);
    assert_eq!(
        settings.runner.period_close_days, 5,
        "periods close five days after they end by default"
    );
    load_rules_reference(db).await;
    for (kind, text) in [
        (
            "payers",
            "payer_id,name,kind\nLA1,Northshire Council,local_authority\nFAM-A,Alan Ash,person\n",
        ),
        (
            "arrangements",
            "person_id,payer_id,arrangement,share_percent,weekly_amount\nA,LA1,full,,\nA,FAM-A,contribution,,10.00\n",
        ),
    ] {
        let status = db.import_text(kind, &format!("{kind}.csv"), text).await;
        assert_eq!(status, ExitStatus::Ok, "importing {kind}");
    }
    let status = db
        .import("shifts", &rules_fixtures().join("shifts.csv"))
        .await;
    assert_eq!(
        status,
        ExitStatus::Rejected,
        "examples 8a and 8b are rejected"
    );

    // The night of 31 October closes September: October waits five days for late timesheets.
    let october = db.settings.paths.output_dir.join("periods/2026-10");
    night(db, &settings, "2026-10-31", &[]).await;
    assert!(
        tms::store::runs::job_run(&db.store, Step::PeriodCharges, "2026-09")
            .await
            .expect("read")
            .is_some(),
        "September closed on 31 October"
    );
    assert!(!october.exists(), "October is still open on 31 October");

    let report = night(db, &settings, "2026-11-05", &[]).await;
    assert!(report.contains("period-charges 2026-10"), "{report}");
    let charges_file = std::fs::read(october.join("charges.csv")).expect("charges.csv");
    let allocation_file = std::fs::read(october.join("allocation.csv")).expect("allocation.csv");
    let closed = totals_by_person(std::str::from_utf8(&charges_file).expect("utf-8"));
    let record = tms::store::closed::closed_period(&db.store, "2026-10")
        .await
        .expect("read")
        .expect("October is recorded as closed");
    assert_eq!(record.how, "closed");
    assert_eq!(
        record.amount_pence.get(),
        closed.values().sum::<i64>(),
        "the closed total is the period file's"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("  late-changes 2026-11-05") && l.ends_with(" periods 2")),
        "{report}"
    );
    assert!(!report.contains("changed in closed period"), "{report}");

    // Late changes: a shift added and one amended, a rate rise recosting another, one withdrawn,
    // and a one-off item.
    let status = db
        .import_text(
            "shifts",
            "shifts-late.csv",
            "shift_ref,worker_id,start,end,service,people,miles,notes\n\
             L1,W1,2026-10-20T09:00,2026-10-20T10:00,PERSONAL_CARE,A,,\n\
             EX3,W1,2026-10-23T21:00,2026-10-24T00:00,PERSONAL_CARE,D,,\n",
        )
        .await;
    assert_eq!(status, ExitStatus::Ok);
    for (kind, text) in [
        (
            "services",
            "service,name,pay_element\nASSESSMENT,Assessment visit,admin\n",
        ),
        (
            "rate-card",
            "service,unit,band,ratio,rate,effective_from,effective_to,payer\n\
             WAKING_NIGHT,hour,weekend,1,25.00,2025-01-01,,\n\
             ASSESSMENT,fixed,day,1,50.00,2025-01-01,,\n",
        ),
        (
            "one-offs",
            "person_id,service,date\nC,ASSESSMENT,2026-10-15\n",
        ),
    ] {
        let status = db
            .import_text(kind, &format!("{kind}-late.csv"), text)
            .await;
        assert_eq!(status, ExitStatus::Ok, "importing {kind}");
    }
    // As a manager's withdrawal records it.
    execute(
        &db.store,
        "update shift set status = 'withdrawn', version = version + 1 where shift_ref = 'EX2'",
    )
    .await;

    let report = night(db, &settings, "2026-11-06", &[]).await;
    // L1 +£24.00 (A), EX3 −£27.00 (D loses Saturday's weekend hour), EX4 +£11.00 (E: 11 weekend
    // hours at £1.00 more), EX2 −£21.00 each (A and B), the one-off +£50.00 (C).
    let net = 2_400 - 2_700 + 1_100 - 2_100 - 2_100 + 5_000;
    assert_eq!(net, 1_600);
    let expected = "4 shifts and 1 one-off item changed in closed period 2026-10: +£16.00 against what it closed with; tms report late-changes --period 2026-10 lists them";
    assert_eq!(
        warnings(db, Step::LateChanges, "2026-11-06").await,
        [expected]
    );
    assert!(
        report.contains(&format!("  - late-changes: {expected}")),
        "{report}"
    );
    assert!(
        report.lines().any(|l| l.starts_with("  late-changes 2026-11-06")
            && l.contains("one offs changed 1, people changed 5, periods 2, periods changed 1, shifts changed 4, net change £16.00")),
        "{report}"
    );
    assert_eq!(
        std::fs::read(october.join("charges.csv")).expect("charges.csv"),
        charges_file,
        "the closed period's charges file is as it was"
    );
    assert_eq!(
        std::fs::read(october.join("allocation.csv")).expect("allocation.csv"),
        allocation_file
    );

    // The report lists per person and payer what was closed, what it is now, and each shift and
    // item behind it.
    let reference = db.reference().await;
    let changes = tms::report::closed::late_changes(
        &db.store,
        &reference,
        "2026-10".parse().expect("period"),
    )
    .await
    .expect("the report")
    .expect("October has closed");
    let table = tms::report::closed::late_changes_table(&changes);
    let rows = late_rows(&render(&table, Format::Csv));
    let pounds = |pence: i64| Pence::new(pence).to_string();
    // A pays a contribution of £10.00 a week: 1000 × 31 ÷ 7 = 4428.57, £44.29 for October, and
    // the council the rest; the contribution is unchanged, so only the council's share moves.
    let contribution = 4_429;
    let council_closed = closed["A"] - contribution;
    assert_eq!(
        rows,
        [
            format!(
                "A|LA1|payer|||||changed|{}|{}|3.00",
                pounds(council_closed),
                pounds(council_closed + 300)
            ),
            "A||shift|W1|EX2|2026-10-06||withdrawn|21.00|0.00|-21.00".to_owned(),
            "A||shift|W1|L1|2026-10-20||added|0.00|24.00|24.00".to_owned(),
            format!(
                "B||payer|||||changed|{}|{}|-21.00",
                pounds(closed["B"]),
                pounds(closed["B"] - 2_100)
            ),
            "B||shift|W1|EX2|2026-10-06||withdrawn|21.00|0.00|-21.00".to_owned(),
            format!(
                "C||payer|||||changed|{}|{}|50.00",
                pounds(closed["C"]),
                pounds(closed["C"] + 5_000)
            ),
            "C||one-off|||2026-10-15|ASSESSMENT|added|0.00|50.00|50.00".to_owned(),
            format!(
                "D||payer|||||changed|{}|{}|-27.00",
                pounds(closed["D"]),
                pounds(closed["D"] - 2_700)
            ),
            "D||shift|W1|EX3|2026-10-23||amended|103.00|76.00|-27.00".to_owned(),
            format!(
                "E||payer|||||changed|{}|{}|11.00",
                pounds(closed["E"]),
                pounds(closed["E"] + 1_100)
            ),
            "E||shift|W2|EX4|2026-10-24||recosted|264.00|275.00|11.00".to_owned(),
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&render(&table, Format::Json)).expect("json");
    assert_eq!(json[0]["difference"], "3.00");
    assert_eq!(json[0]["payer_id"], "LA1");

    // Forcing the period step again rewrites nothing and says so.
    night(db, &settings, "2026-11-06", &[Step::PeriodCharges]).await;
    let kept = warnings(db, Step::PeriodCharges, "2026-10").await;
    assert!(
        kept.len() == 1
            && kept[0].starts_with("2026-10 closed at")
            && kept[0].contains("its files are kept as they were"),
        "{kept:?}"
    );
    assert_eq!(
        std::fs::read(october.join("charges.csv")).expect("charges.csv"),
        charges_file,
        "a forced period step leaves the closed files as they were"
    );
    // And the changes are reported again each night until they are dealt with.
    night(db, &settings, "2026-11-07", &[]).await;
    assert_eq!(
        warnings(db, Step::LateChanges, "2026-11-07").await,
        [expected]
    );

    // A period whose files were written before closed totals were kept takes its totals on the
    // first night it is checked, and reports changes from there.
    for table in [
        "closed_period_total",
        "closed_period_shift",
        "closed_period_one_off",
        "closed_period",
    ] {
        execute(
            &db.store,
            &format!("delete from {table} where period = '2026-10'"),
        )
        .await;
    }
    night(db, &settings, "2026-11-08", &[]).await;
    let adopted = warnings(db, Step::LateChanges, "2026-11-08").await;
    assert_eq!(adopted.len(), 1, "{adopted:?}");
    assert!(
        adopted[0].starts_with("2026-10 closed before closed totals were kept"),
        "{adopted:?}"
    );
    let record = tms::store::closed::closed_period(&db.store, "2026-10")
        .await
        .expect("read")
        .expect("October's totals are taken");
    assert_eq!(record.how, "adopted");
    assert_eq!(
        record.amount_pence.get(),
        closed.values().sum::<i64>() + net,
        "taken as the charges stood that night"
    );
    night(db, &settings, "2026-11-09", &[]).await;
    assert!(
        warnings(db, Step::LateChanges, "2026-11-09")
            .await
            .is_empty(),
        "nothing changed since the totals were taken"
    );
}

on_both!(a_period_closes_with_each_payers_share);
async fn a_period_closes_with_each_payers_share(db: &TestDb) {
    let mut settings = settings(db);
    settings.runner.period_close_days = 0;
    load_rules_reference(db).await;
    for (kind, text) in [
        (
            "payers",
            "payer_id,name,kind\nLA10,Tenshire Council,local_authority\nLA9,Nineshire Council,local_authority\n",
        ),
        (
            "arrangements",
            "person_id,payer_id,arrangement,share_percent,weekly_amount\nB,LA9,percentage,50,\nB,LA10,percentage,50,\n",
        ),
    ] {
        assert_eq!(
            db.import_text(kind, &format!("{kind}.csv"), text).await,
            ExitStatus::Ok
        );
    }
    db.import("shifts", &rules_fixtures().join("shifts.csv"))
        .await;
    night(db, &settings, "2026-10-31", &[]).await;
    let closed = tms::store::closed::load(&db.store, "2026-10")
        .await
        .expect("read")
        .expect("closed");
    let charges = std::fs::read_to_string(
        db.settings
            .paths
            .output_dir
            .join("periods/2026-10/charges.csv"),
    )
    .expect("charges.csv");
    let by_person = totals_by_person(&charges);
    let shares: Vec<(String, String, i64)> = closed
        .totals
        .iter()
        .map(|t| {
            (
                t.person_id.clone(),
                t.payer_id.clone(),
                t.amount_pence.get(),
            )
        })
        .collect();
    // B's charges split half and half, the odd penny (if any) to LA10, first in byte order.
    let b = by_person["B"];
    let expected_b = [
        ("B".to_owned(), "LA10".to_owned(), b - b / 2),
        ("B".to_owned(), "LA9".to_owned(), b / 2),
    ];
    assert_eq!(
        shares
            .iter()
            .filter(|s| s.0 == "B")
            .cloned()
            .collect::<Vec<_>>(),
        expected_b
    );
    // Everyone else has no payer: their whole charges, uncovered.
    for (person, total) in &by_person {
        if person != "B" {
            assert!(
                shares.contains(&(person.clone(), String::new(), *total)),
                "{person}: {shares:?}"
            );
        }
    }
    assert_eq!(
        shares.iter().map(|s| s.2).sum::<i64>(),
        by_person.values().sum::<i64>()
    );
    // Each shift's own charges to each person, as closed: the 1:3 hour of example 1 is £8.00
    // for each of A, B and C.
    let ex1: Vec<(String, i64)> = closed
        .shifts
        .iter()
        .filter(|s| s.row.shift_ref == "EX1")
        .map(|s| (s.row.person_id.clone(), s.row.amount_pence.get()))
        .collect();
    assert_eq!(
        ex1,
        [("A".into(), 800), ("B".into(), 800), ("C".into(), 800)]
    );
}
