//! docs/rules.md's worked examples 1–8, imported as CSV and read back through the reports.

use chrono::NaiveDate;
use tms::calendar::Period;
use tms::cli::ExitStatus;
use tms::report::{Format, allocation_table, allocation_totals, charge_lines, charges_table};

use crate::fixtures::{load_rules_reference, render};
use crate::on_both;
use crate::support::TestDb;

const HEADER: &str = "shift_ref,worker_id,start,end,service,people,miles,notes\n";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Imports the example reference data and the given shift rows; returns the charges report CSV
/// for `from..=to`.
async fn charges_for(db: &TestDb, rows: &str, from: &str, to: &str) -> String {
    load_rules_reference(db).await;
    let status = db
        .import_text("shifts", "shifts.csv", &format!("{HEADER}{rows}"))
        .await;
    assert_eq!(status, ExitStatus::Ok, "all example shifts are accepted");
    let reference = db.reference().await;
    let (lines, _) = charge_lines(&db.store, &reference, date(from), date(to), None)
        .await
        .unwrap();
    render(&charges_table(&lines), Format::Csv)
}

async fn allocation_for(db: &TestDb, period: &str) -> String {
    let period: Period = period.parse().unwrap();
    let rows = allocation_totals(&db.store, period).await.unwrap();
    render(&allocation_table(period, &rows), Format::Csv)
}

const REPORT: &str = "person_id,date,service,band,ratio,rate,minutes,amount\n";

async fn example_1_three_people_share_a_one_to_one_rate(db: &TestDb) {
    let csv = charges_for(
        db,
        "EX1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A;B;C,,\n",
        "2026-10-06",
        "2026-10-06",
    )
    .await;
    let expected = "A,2026-10-06,PERSONAL_CARE,day,3,8.0000,60,8.00\n\
                    B,2026-10-06,PERSONAL_CARE,day,3,8.0000,60,8.00\n\
                    C,2026-10-06,PERSONAL_CARE,day,3,8.0000,60,8.00\n";
    assert_eq!(csv, format!("{REPORT}{expected}"));
    let allocation = allocation_for(db, "2026-10").await;
    for person in ["A", "B", "C"] {
        assert!(
            allocation.contains(&format!("{person},2026-10,20.0000,")),
            "{person} gets 20 minutes: {allocation}"
        );
    }
}
on_both!(example_1_three_people_share_a_one_to_one_rate);

async fn example_2_ratio_two_entry(db: &TestDb) {
    let csv = charges_for(
        db,
        "EX2,W1,2026-10-06T10:00,2026-10-06T11:30,PERSONAL_CARE,A;B,,\n",
        "2026-10-06",
        "2026-10-06",
    )
    .await;
    let expected = "A,2026-10-06,PERSONAL_CARE,day,2,14.0000,90,21.00\nB,2026-10-06,PERSONAL_CARE,day,2,14.0000,90,21.00\n";
    assert_eq!(csv, format!("{REPORT}{expected}"));
    let allocation = allocation_for(db, "2026-10").await;
    assert!(
        allocation.contains("A,2026-10,45.0000,") && allocation.contains("B,2026-10,45.0000,"),
        "{allocation}"
    );
}
on_both!(example_2_ratio_two_entry);

async fn example_3_evening_into_saturday(db: &TestDb) {
    let csv = charges_for(
        db,
        "EX3,W1,2026-10-23T21:00,2026-10-24T01:00,PERSONAL_CARE,D,,\n",
        "2026-10-01",
        "2026-10-31",
    )
    .await;
    let expected = "D,2026-10-23,PERSONAL_CARE,day,1,24.0000,60,24.00\n\
                    D,2026-10-23,PERSONAL_CARE,night,1,26.0000,120,52.00\n\
                    D,2026-10-24,PERSONAL_CARE,weekend,1,27.0000,60,27.00\n";
    assert_eq!(csv, format!("{REPORT}{expected}"));
}
on_both!(example_3_evening_into_saturday);

async fn example_4_clocks_go_back(db: &TestDb) {
    let csv = charges_for(
        db,
        "EX4,W2,2026-10-24T22:00,2026-10-25T08:00,WAKING_NIGHT,E,,\n",
        "2026-10-01",
        "2026-10-31",
    )
    .await;
    let expected = "E,2026-10-24,WAKING_NIGHT,weekend,1,24.0000,120,48.00\nE,2026-10-25,WAKING_NIGHT,weekend,1,24.0000,540,216.00\n";
    assert_eq!(csv, format!("{REPORT}{expected}"));
    assert!(
        allocation_for(db, "2026-10")
            .await
            .contains("E,2026-10,660.0000,")
    );
}
on_both!(example_4_clocks_go_back);

async fn example_5_sleep_in_with_awake_period(db: &TestDb) {
    let rows = "EX5,W3,2026-10-07T23:00,2026-10-08T02:00,SLEEP_IN,A;B,,\n\
                EX5,W3,2026-10-08T02:00,2026-10-08T02:45,SLEEP_IN_AWAKE,A,,\n\
                EX5,W3,2026-10-08T02:45,2026-10-08T07:00,SLEEP_IN,A;B,,\n";
    let csv = charges_for(db, rows, "2026-10-01", "2026-10-31").await;
    let expected = "A,2026-10-07,SLEEP_IN,night,2,45.0000,0,45.00\n\
                    A,2026-10-08,SLEEP_IN_AWAKE,night,1,20.0000,45,15.00\n\
                    B,2026-10-07,SLEEP_IN,night,2,45.0000,0,45.00\n";
    assert_eq!(csv, format!("{REPORT}{expected}"));
}
on_both!(example_5_sleep_in_with_awake_period);

async fn example_6_travel_and_a_break(db: &TestDb) {
    let rows = "EX6,W4,2026-10-09T09:00,2026-10-09T10:00,PERSONAL_CARE,A,,\n\
                EX6,W4,2026-10-09T10:00,2026-10-09T10:20,TRAVEL,,3.5,\n\
                EX6,W4,2026-10-09T10:50,2026-10-09T11:50,PERSONAL_CARE,B,,\n";
    charges_for(db, rows, "2026-10-01", "2026-10-31").await;
    // W4 earns 12.71/h: 60 minutes is 12.71, 20 minutes of travel is 4.2366.. = 4.24.
    let expected = "person_id,period,allocated_minutes,cost\n\
                    A,2026-10,60.0000,12.71\n\
                    B,2026-10,60.0000,12.71\n\
                    UNALLOCATED:CC1,2026-10,20.0000,4.24\n";
    assert_eq!(allocation_for(db, "2026-10").await, expected);
    assert_eq!(
        db.count("segment").await,
        3,
        "the 30-minute gap is an unpaid break, not a segment"
    );
}
on_both!(example_6_travel_and_a_break);

async fn example_7_substitute_boxing_day(db: &TestDb) {
    let csv = charges_for(
        db,
        "EX7,W2,2026-12-28T08:00,2026-12-28T09:00,PERSONAL_CARE,A,,\n",
        "2026-12-01",
        "2026-12-31",
    )
    .await;
    assert_eq!(
        csv,
        format!("{REPORT}A,2026-12-28,PERSONAL_CARE,bank_holiday,1,36.0000,60,36.00\n")
    );
}
on_both!(example_7_substitute_boxing_day);

async fn example_8_ambiguous_and_nonexistent_times(db: &TestDb) {
    load_rules_reference(db).await;
    let rows = "EX8a,W2,2026-10-25T01:30,2026-10-25T02:30,PERSONAL_CARE,A,,\n\
                EX8b,W2,2026-03-29T01:30,2026-03-29T03:00,PERSONAL_CARE,A,,\n\
                EX8c,W4,2026-10-25T01:30+00:00,2026-10-25T02:00+00:00,PERSONAL_CARE,A,,\n";
    let status = db
        .import_text("shifts", "ex8.csv", &format!("{HEADER}{rows}"))
        .await;
    assert_eq!(status, ExitStatus::Rejected);
    let rejects = render(
        &tms::report::rejects(&db.store, Some("ex8.csv"))
            .await
            .unwrap(),
        Format::Csv,
    );
    assert!(
        rejects.contains("ex8.csv,2,W2,EX8a,start,'2026-10-25T01:30' is ambiguous"),
        "{rejects}"
    );
    assert!(
        rejects.contains("ex8.csv,3,W2,EX8b,start,'2026-03-29T01:30' does not exist"),
        "{rejects}"
    );
    assert_eq!(
        rejects.lines().count(),
        3,
        "only the two rows without an offset are rejected"
    );
    assert_eq!(
        db.count("shift").await,
        1,
        "the time with an offset is accepted"
    );
}
on_both!(example_8_ambiguous_and_nonexistent_times);
