//! Reference data: idempotent re-import, audited updates, whole-file refusal, rate-card clashes,
//! payer overrides, arrangements and bank-holiday calendars.

use chrono::NaiveDate;
use tms::cli::ExitStatus;
use tms::domain::{Band, CostCentreId, Pence, Rate, WorkerId};
use tms::report::{Format, charge_lines, charges_table};
use tms::store::reference::load_table;
use tms::store::rows::{OrEmpty, SleepInAllowanceRow, WorkerRow};

use crate::fixtures::{load_rules_reference, render, rules_fixtures};
use crate::on_both;
use crate::support::TestDb;

const SHIFTS: &str = "shift_ref,worker_id,start,end,service,people\n";
const CARD: &str = "service,unit,band,ratio,rate,effective_from,effective_to,payer\n";

async fn charges(db: &TestDb) -> String {
    let reference = db.reference().await;
    let (lines, _) = charge_lines(
        &db.store,
        &reference,
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2028, 12, 31).unwrap(),
        None,
    )
    .await
    .unwrap();
    render(&charges_table(&lines), Format::Csv)
}

async fn audit_actions(db: &TestDb, kind: &str) -> Vec<(String, String)> {
    let sql = "select record_key, action from reference_audit where kind = $1 order by reference_audit_id";
    match &db.store {
        tms::store::Store::Sqlite(p) => sqlx::query_as(sql).bind(kind).fetch_all(p).await.unwrap(),
        tms::store::Store::Postgres(p) => {
            sqlx::query_as(sql).bind(kind).fetch_all(p).await.unwrap()
        }
    }
}

async fn reimport_is_idempotent_and_changes_are_audited(db: &TestDb) {
    load_rules_reference(db).await;
    let audits = db.count("reference_audit").await;
    load_rules_reference(db).await;
    assert_eq!(
        db.count("reference_audit").await,
        audits,
        "the same files again change nothing"
    );

    db.import_text(
        "shifts",
        "s.csv",
        &format!("{SHIFTS}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A\n"),
    )
    .await;
    let workers = std::fs::read_to_string(rules_fixtures().join("workers.csv"))
        .unwrap()
        .replace(
            "W1,Sam Jones,P0001,CC1,12.60",
            "W1,Sam Jones,P0001,CC1,13.20",
        );
    assert_eq!(
        db.import_text("workers", "workers-v2.csv", &workers).await,
        ExitStatus::Ok
    );
    let actions = audit_actions(db, "workers").await;
    assert_eq!(
        actions.last().unwrap(),
        &("W1".to_owned(), "update".to_owned())
    );
    assert_eq!(
        actions.iter().filter(|a| a.1 == "update").count(),
        1,
        "only the changed row is updated"
    );
    let cost = render(
        &tms::report::allocation_table(
            "2026-10".parse().unwrap(),
            &tms::report::allocation_totals(&db.store, "2026-10".parse().unwrap())
                .await
                .unwrap(),
        ),
        Format::Csv,
    );
    assert!(
        cost.contains("A,2026-10,60.0000,12.60"),
        "a workers file's new base rate applies from the day of the import, so October keeps \
         its pay: {cost}"
    );
}
on_both!(reimport_is_idempotent_and_changes_are_audited);

async fn a_bad_reference_file_is_refused_whole(db: &TestDb) {
    load_rules_reference(db).await;
    let people = "person_id,name,cost_centre,document_format,contact_name,contact_email\n\
                  F,Fay Fir,CC1,standard,Fred Fir,fred@example.org\n\
                  G,Gus Gum,NOWHERE,standard,Gail Gum,gail@example.org\n\
                  H,Hal Hazel,CC1,braille,Hana Hazel,hana@example.org\n";
    assert_eq!(
        db.import_text("people", "people-bad.csv", people).await,
        ExitStatus::Refused
    );
    assert_eq!(
        db.count("person").await,
        5,
        "not even the good row F is written"
    );
    assert_eq!(
        db.import_text("people", "people-empty.csv", "").await,
        ExitStatus::Refused
    );
    assert_eq!(
        db.import_text("nonsense", "x.csv", "a\n").await,
        ExitStatus::Usage
    );
}
on_both!(a_bad_reference_file_is_refused_whole);

async fn overlapping_rate_card_entries_are_refused(db: &TestDb) {
    load_rules_reference(db).await;
    let clash_in_file = format!(
        "{CARD}COMMUNITY,hour,day,1,20.00,2026-01-01,2026-06-30,\nCOMMUNITY,hour,day,1,21.00,2026-06-01,,\n"
    );
    assert_eq!(
        db.import_text("rate-card", "clash.csv", &clash_in_file)
            .await,
        ExitStatus::Refused
    );
    let clash_with_stored = format!("{CARD}PERSONAL_CARE,hour,day,2,15.00,2024-06-01,,\n");
    assert_eq!(
        db.import_text("rate-card", "clash2.csv", &clash_with_stored)
            .await,
        ExitStatus::Refused,
        "a new open-ended entry may not start before the stored one"
    );
    assert_eq!(db.count("rate_card_entry").await, 9);
    let next_year = format!(
        "{CARD}PERSONAL_CARE,hour,day,1,24.00,2025-01-01,2026-10-31,\nPERSONAL_CARE,hour,day,1,25.00,2026-11-01,,\n"
    );
    assert_eq!(
        db.import_text("rate-card", "rise.csv", &next_year).await,
        ExitStatus::Ok,
        "closing the old entry in the same file still works"
    );
    db.import_text("shifts", "s.csv", &format!("{SHIFTS}S1,W1,2026-10-30T09:00,2026-10-30T10:00,PERSONAL_CARE,A\nS2,W1,2026-11-02T09:00,2026-11-02T10:00,PERSONAL_CARE,A\n")).await;
    let report = charges(db).await;
    assert!(
        report.contains("A,2026-10-30,PERSONAL_CARE,day,1,24.0000,60,24.00"),
        "{report}"
    );
    assert!(
        report.contains("A,2026-11-02,PERSONAL_CARE,day,1,25.0000,60,25.00"),
        "{report}"
    );
}
on_both!(overlapping_rate_card_entries_are_refused);

async fn a_single_full_payer_gets_its_own_rates(db: &TestDb) {
    load_rules_reference(db).await;
    db.import_text("payers", "payers.csv", "payer_id,name,kind\nLA1,Northshire Council,local_authority\nFAM-B,Beth Birch,representative\n").await;
    db.import_text(
        "rate-card",
        "la.csv",
        &format!("{CARD}PERSONAL_CARE,hour,day,1,22.50,2025-01-01,,LA1\n"),
    )
    .await;
    let arrangements = "person_id,payer_id,arrangement,share_percent,weekly_amount\nA,LA1,full,,\nB,LA1,percentage,60,\nB,FAM-B,percentage,40,\n";
    assert_eq!(
        db.import_text("arrangements", "arr.csv", arrangements)
            .await,
        ExitStatus::Ok
    );
    db.import_text("shifts", "s.csv", &format!("{SHIFTS}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A\nS2,W2,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,B\n")).await;
    let report = charges(db).await;
    assert!(
        report.contains("A,2026-10-06,PERSONAL_CARE,day,1,22.5000,60,22.50"),
        "A's council has its own rate: {report}"
    );
    assert!(
        report.contains("B,2026-10-06,PERSONAL_CARE,day,1,24.0000,60,24.00"),
        "B is split between payers, so the default card: {report}"
    );

    let bad = "person_id,payer_id,arrangement,share_percent,weekly_amount\nB,LA1,percentage,60,\nB,FAM-B,percentage,30,\n";
    assert_eq!(
        db.import_text("arrangements", "arr-bad.csv", bad).await,
        ExitStatus::Refused,
        "shares must add up to 100%"
    );
    // Replacing A's arrangement with a split drops the council rate on recosting.
    let split = "person_id,payer_id,arrangement,share_percent,weekly_amount\nA,LA1,percentage,50,\nA,FAM-B,percentage,50,\n";
    assert_eq!(
        db.import_text("arrangements", "arr-a.csv", split).await,
        ExitStatus::Ok
    );
    assert!(
        charges(db)
            .await
            .contains("A,2026-10-06,PERSONAL_CARE,day,1,24.0000,60,24.00")
    );
    assert!(
        audit_actions(db, "arrangements")
            .await
            .iter()
            .any(|(key, action)| key == "A|LA1" && action == "update")
    );
}
on_both!(a_single_full_payer_gets_its_own_rates);

async fn gov_uk_bank_holidays_extend_the_calendar(db: &TestDb) {
    load_rules_reference(db).await;
    let shift = format!("{SHIFTS}Y28,W1,2028-05-29T09:00,2028-05-29T10:00,PERSONAL_CARE,A\n");
    assert_eq!(
        db.import_text("shifts", "2028.csv", &shift).await,
        ExitStatus::Rejected,
        "2028 is not in the shipped calendar"
    );
    let json = r#"{"england-and-wales":{"division":"england-and-wales","events":[
        {"title":"New Year’s Day","date":"2028-01-03","notes":"Substitute day","bunting":true},
        {"title":"Spring bank holiday","date":"2028-05-29","notes":"","bunting":true}]}}"#;
    assert_eq!(
        db.import_text("bank-holidays", "bank-holidays.json", json)
            .await,
        ExitStatus::Ok
    );
    assert_eq!(
        db.import_text("shifts", "2028.csv", &shift).await,
        ExitStatus::Ok
    );
    assert!(
        charges(db)
            .await
            .contains("A,2028-05-29,PERSONAL_CARE,bank_holiday,1,36.0000,60,36.00")
    );
}
on_both!(gov_uk_bank_holidays_extend_the_calendar);

async fn after_json(db: &TestDb, kind: &str, key: &str) -> Vec<String> {
    let sql = "select after_json from reference_audit where kind = $1 and record_key = $2 \
               order by reference_audit_id";
    match &db.store {
        tms::store::Store::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(kind)
            .bind(key)
            .fetch_all(p)
            .await
            .unwrap(),
        tms::store::Store::Postgres(p) => sqlx::query_scalar(sql)
            .bind(kind)
            .bind(key)
            .fetch_all(p)
            .await
            .unwrap(),
    }
}

/// Reference rows are written and read back column by column: what a file set is what the
/// engine loads, and each audit record shows every column of the row as stored.
async fn reference_rows_read_back_as_written_and_audited_by_column(db: &TestDb) {
    load_rules_reference(db).await;
    let workers = load_table::<WorkerRow>(&db.store).await.unwrap();
    assert_eq!(workers.len(), 4);
    assert_eq!(
        workers[2],
        WorkerRow {
            worker_id: WorkerId::parse("W3").unwrap(),
            name: "Jo Smith".into(),
            payroll_number: "P0003".into(),
            cost_centre_id: CostCentreId::parse("CC1").unwrap(),
            base_rate_centipence: Rate::parse_pounds("12.80").unwrap(),
            date_of_birth: None,
        }
    );
    assert_eq!(
        workers[0].date_of_birth,
        NaiveDate::from_ymd_opt(1990, 5, 1)
    );
    assert_eq!(
        after_json(db, "workers", "W3").await,
        [
            r#"{"worker_id":"W3","name":"Jo Smith","payroll_number":"P0003","cost_centre_id":"CC1","base_rate_centipence":"128000","date_of_birth":null}"#
        ]
    );
    assert_eq!(
        after_json(db, "rate-card", "SLEEP_IN|day|1||2025-01-01").await,
        [
            r#"{"service_code":"SLEEP_IN","band":"day","ratio":"1","payer_id":"","effective_from":"2025-01-01","effective_to":null,"unit":"night","rate_centipence":"900000"}"#
        ]
    );

    // An allowance for any band is stored with an empty band and read back as none; the same
    // file again changes nothing.
    let rules = "rule,band,amount,effective_from,effective_to\n\
                 sleep_in_allowance,,35.00,2025-01-01,\n\
                 sleep_in_allowance,weekend,40.00,2025-01-01,2025-12-31\n";
    assert_eq!(
        db.import_text("pay-rules", "pay-rules.csv", rules).await,
        ExitStatus::Ok
    );
    let audits = db.count("reference_audit").await;
    assert_eq!(
        db.import_text("pay-rules", "pay-rules-again.csv", rules)
            .await,
        ExitStatus::Ok
    );
    assert_eq!(db.count("reference_audit").await, audits);
    let allowances = load_table::<SleepInAllowanceRow>(&db.store).await.unwrap();
    assert_eq!(
        allowances,
        [
            SleepInAllowanceRow {
                band: OrEmpty(None),
                effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                effective_to: None,
                amount_pence: Pence::new(3_500),
            },
            SleepInAllowanceRow {
                band: OrEmpty(Some(Band::Weekend)),
                effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                effective_to: NaiveDate::from_ymd_opt(2025, 12, 31),
                amount_pence: Pence::new(4_000),
            },
        ]
    );
    assert_eq!(
        after_json(db, "pay-rules", "|2025-01-01").await,
        [r#"{"band":"","effective_from":"2025-01-01","effective_to":null,"amount_pence":"3500"}"#]
    );
}
on_both!(reference_rows_read_back_as_written_and_audited_by_column);
