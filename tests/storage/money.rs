//! Money out of range: reference rows with absurd rates or amounts are refused naming the row and
//! the field, and totals of stored amounts that leave 64-bit pence fail loudly instead of wrapping.

use chrono::NaiveDate;
use sqlx::AssertSqlSafe;
use tms::capture::ReferenceKind;
use tms::cli::ExitStatus;
use tms::domain::Pence;
use tms::domain::money::MoneyError;
use tms::pipeline::{RunKey, RunOutcome, RunRequest, Step};
use tms::report::{ReportError, allocation_totals, charge_lines};
use tms::store::Store;
use tms::usecase::{ImportError, import_reference};

use crate::fixtures::{load_rules_reference, rules_fixtures};
use crate::on_both;
use crate::support::TestDb;

/// Imports `contents` as a reference file of `kind`, returning the refusal's problem list.
async fn refusal(db: &TestDb, kind: ReferenceKind, name: &str, contents: &str) -> String {
    let path = db.write(name, contents);
    let result = import_reference(
        &db.store,
        "cli:test",
        kind,
        &path,
        db.settings.zone(),
        db.settings.band_rules().clone(),
        &db.settings.provider.bank_holiday_calendar,
    )
    .await;
    match result {
        Err(ImportError::Refused { file, list, .. }) => {
            assert_eq!(file, name);
            list
        }
        other => panic!("{name} should be refused whole, got {other:?}"),
    }
}

async fn execute(db: &TestDb, sql: &str) {
    match &db.store {
        Store::Sqlite(pool) => sqlx::query(AssertSqlSafe(sql.to_owned()))
            .execute(pool)
            .await
            .map(drop),
        Store::Postgres(pool) => sqlx::query(AssertSqlSafe(sql.to_owned()))
            .execute(pool)
            .await
            .map(drop),
    }
    .expect(sql);
}

async fn absurd_rates_and_amounts_are_refused_naming_row_and_field(db: &TestDb) {
    load_rules_reference(db).await;
    let entries = db.count("rate_card_entry").await;

    let card = "service,unit,band,ratio,rate,effective_from,effective_to,payer\n\
                WAKING_NIGHT,hour,night,1,23.00,2027-01-01,,\n\
                WAKING_NIGHT,hour,bank_holiday,1,922337203685477.5807,2027-01-01,,\n\
                SLEEP_IN,night,weekend,1,10000.0001,2027-01-01,,\n\
                SLEEP_IN,night,bank_holiday,1,10000.0000,2027-01-01,,\n";
    let list = refusal(db, ReferenceKind::RateCard, "rate-card-absurd.csv", card).await;
    assert!(
        list.contains(
            "row 3, rate: rate 922337203685477.5807 is above the limit of £10000.0000 an hour"
        ),
        "{list}"
    );
    assert!(
        list.contains("row 4, rate: rate 10000.0001 is above the limit of £10000.0000 a night"),
        "{list}"
    );
    assert!(
        !list.contains("row 2") && !list.contains("row 5"),
        "a sane rate and one exactly at the limit are fine: {list}"
    );
    assert_eq!(
        db.count("rate_card_entry").await,
        entries,
        "nothing from the file is written"
    );

    let workers = "worker_id,name,payroll_number,cost_centre,base_rate\n\
                   W9,Pat Lee,P0009,CC1,12.60\n\
                   W10,Lee Pat,P0010,CC1,50000\n";
    let list = refusal(db, ReferenceKind::Workers, "workers-absurd.csv", workers).await;
    assert!(
        list.contains(
            "row 3, base_rate: base_rate 50000 is above the limit of £10000.0000 an hour"
        ),
        "{list}"
    );

    let rules = "rule,band,amount,effective_from\n\
                 enhancement,night,20000,2027-01-01\n\
                 sleep_in_allowance,,10000.01,2027-01-01\n\
                 sleep_in_allowance,weekend,-5,2027-01-01\n";
    let list = refusal(db, ReferenceKind::PayRules, "pay-rules-absurd.csv", rules).await;
    assert!(
        list.contains("row 2, amount: amount 20000 is above the limit of £10000.0000 an hour"),
        "{list}"
    );
    assert!(
        list.contains("row 3, amount: amount 10000.01 is above the limit of £10000.00 a night"),
        "{list}"
    );
    assert!(
        list.contains("row 4, amount: amount -5 is negative"),
        "{list}"
    );

    let budgets = "person_id,period_start,period_end,amount,management_costs,contingency\n\
                   A,2027-04-01,2028-03-31,10000000.01,,\n\
                   B,2027-04-01,2028-03-31,52000,-1,\n\
                   C,2027-04-01,2028-03-31,10000000.00,,10000000.00\n";
    let list = refusal(db, ReferenceKind::Budgets, "budgets-absurd.csv", budgets).await;
    assert!(
        list.contains(
            "row 2, amount: amount 10000000.01 is above the limit of £10000000.00 a period"
        ),
        "{list}"
    );
    assert!(
        list.contains("row 3, management_costs: management_costs -1 is negative"),
        "{list}"
    );
    assert!(!list.contains("row 4"), "at the limit is fine: {list}");
    assert_eq!(db.count("budget").await, 0);
}
on_both!(absurd_rates_and_amounts_are_refused_naming_row_and_field);

/// Stored amounts beyond what an import now allows (written before the limits, or by hand) make
/// reports and pipeline totals fail with an error naming the total, never a wrapped figure.
async fn totals_beyond_64_bit_pence_fail_loudly(db: &TestDb) {
    load_rules_reference(db).await;
    db.import("shifts", &rules_fixtures().join("shifts.csv"))
        .await;
    let october: tms::calendar::Period = "2026-10".parse().unwrap();
    let (from, to) = (october.first_day(), october.last_day());

    // Every priced row charges 10^18 pence: each invoice line fits, their total does not.
    execute(
        db,
        "update allocation set entry_rate_centipence = 1000000000000000000, minutes = 6000 \
         where charge_unit = 'hour'",
    )
    .await;
    let reference = db.reference().await;
    let (lines, _) = charge_lines(&db.store, &reference, from, to, None)
        .await
        .expect("every line is in range");
    assert!(lines.len() >= 10, "{} lines", lines.len());
    let plain: i128 = lines.iter().map(|l| i128::from(l.amount.get())).sum();
    assert!(plain > i128::from(i64::MAX), "the total is out of range");
    assert_eq!(
        Pence::checked_sum(lines.iter().map(|l| l.amount), "the October charges"),
        Err(MoneyError::overflow("the October charges"))
    );

    let outcome = tms::pipeline::run(
        &db.store,
        &db.settings,
        &RunRequest {
            business_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            only: Some((Step::PeriodCharges, RunKey::Period(october))),
            force: Vec::new(),
            dry_run: false,
        },
    )
    .await
    .expect("the run reports its failure");
    assert!(
        matches!(outcome, RunOutcome::Failed(_)),
        "the period step fails: {outcome:?}"
    );
    let record = tms::store::runs::job_run(&db.store, Step::PeriodCharges, "2026-10")
        .await
        .expect("read")
        .expect("the step is recorded");
    assert_eq!(
        record.error.as_deref(),
        Some("the charges for 2026-10 is out of range: money arithmetic overflowed"),
        "the step's error names the total"
    );
    let folder = db.settings.paths.output_dir.join("periods/2026-10");
    assert!(
        !folder.join("charges.csv").exists() && !folder.join("allocation.csv").exists(),
        "nothing is written for a period whose total is out of range"
    );

    // A line whose own amount is out of range names the line.
    execute(
        db,
        "update allocation set entry_rate_centipence = 9223372036854775807, minutes = 12000 \
         where charge_unit = 'hour' and person_id = 'D'",
    )
    .await;
    let error = charge_lines(&db.store, &reference, from, to, None)
        .await
        .expect_err("the line is out of range");
    assert!(
        matches!(&error, ReportError::Money(_))
            && error
                .to_string()
                .contains("the invoice line for D on 2026-10-2"),
        "{error}"
    );

    // The database refuses to sum pay past 64 bits; the report names what overflowed.
    execute(db, "update allocation set pay_pence = 9223372036854775807").await;
    let error = allocation_totals(&db.store, october)
        .await
        .expect_err("the pay total is out of range");
    assert!(
        matches!(&error, ReportError::Money(_)),
        "a typed overflow, not a database error: {error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the allocated time or pay for 2026-10 is out of range: money arithmetic overflowed"
    );
}
on_both!(totals_beyond_64_bit_pence_fail_loudly);

/// Percentage shares written outside tms, beyond any real total: the check of a person's shares
/// must refuse the file naming the person, not overflow while adding them up.
async fn stored_shares_beyond_range_refuse_the_file_instead_of_overflowing(db: &TestDb) {
    load_rules_reference(db).await;
    let payers = "payer_id,name,kind\nLA1,Northshire Council,local_authority\n\
                  FAM-B,Beth Birch,representative\n";
    assert_eq!(
        db.import_text("payers", "payers.csv", payers).await,
        ExitStatus::Ok
    );
    let split = "person_id,payer_id,arrangement,share_percent,weekly_amount\n\
                 B,LA1,percentage,60,\nB,FAM-B,percentage,40,\n";
    assert_eq!(
        db.import_text("arrangements", "arr-b.csv", split).await,
        ExitStatus::Ok
    );
    execute(
        db,
        "update arrangement set share_basis_points = 9223372036854775000 where person_id = 'B'",
    )
    .await;
    let list = refusal(
        db,
        ReferenceKind::Arrangements,
        "arr-a.csv",
        "person_id,payer_id,arrangement,share_percent,weekly_amount\nA,LA1,full,,\n",
    )
    .await;
    assert!(
        list.contains("person B's percentage shares add up to"),
        "{list}"
    );
    assert!(!list.contains("person A"), "{list}");
    assert_eq!(db.count("arrangement").await, 2, "nothing is written");
}
on_both!(stored_shares_beyond_range_refuse_the_file_instead_of_overflowing);
