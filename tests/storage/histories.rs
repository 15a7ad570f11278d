//! Reference data over time and the gaps that leave money missing: a price rise or pay-rule change
//! closes the open entry the day before, true overlaps are refused saying what to send, base rates
//! are date-effective (from a base-rates file, or from the day a workers file changes them), a
//! full payer's card applies beside a contribution, and the warnings every import prints.

use chrono::{NaiveDate, Utc};
use tms::capture::ReferenceKind;
use tms::domain::LocalZone;
use tms::report::{Format, allocation_table, allocation_totals, charge_lines, charges_table};
use tms::store::reference::load_table;
use tms::store::rows::{BaseRateRow, RateCardEntryRow};
use tms::usecase::{ImportError, ReferenceSummary, import_reference, reference_warnings};

use crate::fixtures::{load_rules_reference, render};
use crate::on_both;
use crate::support::TestDb;

const SHIFTS: &str = "shift_ref,worker_id,start,end,service,people\n";
const CARD: &str = "service,unit,band,ratio,rate,effective_from,effective_to,payer\n";
const BASE_RATES: &str = "worker_id,base_rate,effective_from,effective_to\n";
const PAY_RULES: &str = "rule,band,amount,effective_from,effective_to\n";

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

async fn import(
    db: &TestDb,
    kind: ReferenceKind,
    name: &str,
    contents: &str,
) -> Result<ReferenceSummary, ImportError> {
    let path = db.write(name, contents);
    import_reference(
        &db.store,
        "cli:test",
        kind,
        &path,
        db.settings.zone(),
        db.settings.band_rules().clone(),
        &db.settings.provider.bank_holiday_calendar,
    )
    .await
}

async fn imported(
    db: &TestDb,
    kind: ReferenceKind,
    name: &str,
    contents: &str,
) -> ReferenceSummary {
    import(db, kind, name, contents)
        .await
        .unwrap_or_else(|e| panic!("{name} imports: {e}"))
}

/// The problems a refused file lists.
async fn refused(db: &TestDb, kind: ReferenceKind, name: &str, contents: &str) -> String {
    match import(db, kind, name, contents).await {
        Err(ImportError::Refused { list, .. }) => list,
        other => panic!("{name} should be refused whole, got {other:?}"),
    }
}

async fn charges(db: &TestDb) -> String {
    let (lines, _) = charge_lines(
        &db.store,
        &db.reference().await,
        date("2025-01-01"),
        date("2028-12-31"),
        None,
    )
    .await
    .unwrap();
    render(&charges_table(&lines), Format::Csv)
}

async fn allocation(db: &TestDb, period: &str) -> String {
    let period = period.parse().unwrap();
    let rows = allocation_totals(&db.store, period).await.unwrap();
    render(&allocation_table(period, &rows), Format::Csv)
}

async fn audit(db: &TestDb, kind: &str) -> Vec<(String, String, Option<String>)> {
    let sql = "select record_key, action, after_json from reference_audit where kind = $1 \
               order by reference_audit_id";
    match &db.store {
        tms::store::Store::Sqlite(p) => sqlx::query_as(sql).bind(kind).fetch_all(p).await.unwrap(),
        tms::store::Store::Postgres(p) => {
            sqlx::query_as(sql).bind(kind).fetch_all(p).await.unwrap()
        }
    }
}

async fn warnings(db: &TestDb, on: NaiveDate) -> Vec<String> {
    reference_warnings(&db.store, &db.reference().await, on)
        .await
        .expect("warnings")
}

async fn a_price_rise_closes_the_open_entry_the_day_before(db: &TestDb) {
    load_rules_reference(db).await;
    let shifts = format!(
        "{SHIFTS}S1,W1,2026-10-30T09:00,2026-10-30T10:00,PERSONAL_CARE,A\n\
         S2,W1,2026-11-02T09:00,2026-11-02T10:00,PERSONAL_CARE,A\n"
    );
    db.import_text("shifts", "s.csv", &shifts).await;
    assert!(
        charges(db)
            .await
            .contains("A,2026-11-02,PERSONAL_CARE,day,1,24.0000,60,24.00")
    );

    // The new price alone, as a user sends it: accepted, the old entry closed the day before.
    let rise = format!("{CARD}PERSONAL_CARE,hour,day,1,25.00,2026-11-01,,\n");
    let summary = imported(db, ReferenceKind::RateCard, "rise.csv", &rise).await;
    assert_eq!((summary.inserted, summary.updated), (1, 0));
    assert_eq!(
        summary.notes,
        [
            "rate card PERSONAL_CARE day ratio 1 (the default card): the stored entry from \
          2025-01-01 now ends on 2026-10-31, the day before the new entry from 2026-11-01"
        ]
    );
    assert_eq!(summary.shifts_recosted, 2, "costed shifts are recosted");
    let report = charges(db).await;
    assert!(
        report.contains("A,2026-10-30,PERSONAL_CARE,day,1,24.0000,60,24.00"),
        "the day before the rise keeps the old price: {report}"
    );
    assert!(
        report.contains("A,2026-11-02,PERSONAL_CARE,day,1,25.0000,60,25.00"),
        "{report}"
    );
    let card = load_table::<RateCardEntryRow>(&db.store).await.unwrap();
    let old = card
        .iter()
        .find(|e| {
            e.service_code.as_str() == "PERSONAL_CARE"
                && e.ratio == 1
                && e.band.as_str() == "day"
                && e.effective_from == date("2025-01-01")
        })
        .unwrap();
    assert_eq!(old.effective_to, Some(date("2026-10-31")));

    // The audit trail records the closing as an update with the row after it.
    let trail = audit(db, "rate-card").await;
    let closing = trail
        .iter()
        .find(|(key, action, _)| key == "PERSONAL_CARE|day|1||2025-01-01" && action == "update")
        .expect("the closing is audited");
    assert!(
        closing
            .2
            .as_deref()
            .unwrap()
            .contains(r#""effective_to":"2026-10-31""#),
        "{closing:?}"
    );
    assert!(
        trail
            .iter()
            .any(|(key, action, _)| key == "PERSONAL_CARE|day|1||2026-11-01" && action == "insert")
    );

    // Sending the same file again, the whole card as it always was (the old entry open-ended),
    // or the old entry with its end date, changes nothing.
    let audits = db.count("reference_audit").await;
    let again = imported(db, ReferenceKind::RateCard, "rise-again.csv", &rise).await;
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 1));
    let fixture =
        std::fs::read_to_string(crate::fixtures::rules_fixtures().join("rate-card.csv")).unwrap();
    let whole = imported(
        db,
        ReferenceKind::RateCard,
        "rate-card.csv",
        &format!("{fixture}PERSONAL_CARE,hour,day,1,25.00,2026-11-01,,\n"),
    )
    .await;
    assert_eq!((whole.inserted, whole.updated), (0, 0), "{:?}", whole.notes);
    let closed = format!("{CARD}PERSONAL_CARE,hour,day,1,24.00,2025-01-01,2026-10-31,\n");
    imported(db, ReferenceKind::RateCard, "closed.csv", &closed).await;
    assert_eq!(db.count("reference_audit").await, audits);
}
on_both!(a_price_rise_closes_the_open_entry_the_day_before);

async fn true_overlaps_are_refused_saying_what_to_send(db: &TestDb) {
    load_rules_reference(db).await;
    let entries = db.count("rate_card_entry").await;
    let in_file = format!(
        "{CARD}COMMUNITY,hour,day,1,20.00,2026-01-01,2026-06-30,\n\
         COMMUNITY,hour,day,1,21.00,2026-06-01,,\n"
    );
    assert_eq!(
        refused(db, ReferenceKind::RateCard, "clash.csv", &in_file).await,
        "  rate card COMMUNITY day ratio 1 (the default card): rows 2 (2026-01-01 to 2026-06-30) \
         and 3 (from 2026-06-01, open-ended) overlap: end row 2 on 2026-05-31 at the latest, or \
         start row 3 on 2026-07-01"
    );
    let backdated = format!("{CARD}PERSONAL_CARE,hour,day,1,23.00,2024-06-01,,\n");
    assert_eq!(
        refused(db, ReferenceKind::RateCard, "backdated.csv", &backdated).await,
        "  rate card PERSONAL_CARE day ratio 1 (the default card): row 2 starts on 2024-06-01 \
         with no end date, before the stored entry from 2025-01-01, open-ended; a new entry \
         closes only an earlier one: give row 2 effective_to 2024-12-31, or send the stored \
         entry from 2025-01-01 again in the same file"
    );
    assert_eq!(
        db.count("rate_card_entry").await,
        entries,
        "nothing written"
    );
    // Doing what the message says is accepted.
    let fixed = format!("{CARD}PERSONAL_CARE,hour,day,1,23.00,2024-06-01,2024-12-31,\n");
    imported(db, ReferenceKind::RateCard, "fixed.csv", &fixed).await;

    // An entry starting inside a closed stored one.
    let rise = format!("{CARD}PERSONAL_CARE,hour,day,1,25.00,2026-11-01,,\n");
    imported(db, ReferenceKind::RateCard, "rise.csv", &rise).await;
    let inside = format!("{CARD}PERSONAL_CARE,hour,day,1,24.50,2026-06-01,2026-12-31,\n");
    let list = refused(db, ReferenceKind::RateCard, "inside.csv", &inside).await;
    assert!(
        list.contains(
            "row 2 starts on 2026-06-01, inside the stored entry 2025-01-01 to 2026-10-31: start \
             row 2 on 2026-11-01, or send the stored entry from 2025-01-01 again with \
             effective_to 2026-05-31"
        ),
        "{list}"
    );
    assert!(
        list.contains(
            "row 2 (2026-06-01 to 2026-12-31) overlaps the stored entry from 2026-11-01, \
             open-ended: end row 2 on 2026-10-31 at the latest"
        ),
        "{list}"
    );
    // A payer's entries are a history of their own.
    db.import_text(
        "payers",
        "payers.csv",
        "payer_id,name,kind\nLA1,Northshire Council,local_authority\n",
    )
    .await;
    let payer = format!("{CARD}PERSONAL_CARE,hour,day,1,22.50,2026-06-01,,LA1\n");
    imported(db, ReferenceKind::RateCard, "la1.csv", &payer).await;

    // Pay rules: two allowances for any band that overlap.
    let rules = format!(
        "{PAY_RULES}sleep_in_allowance,,45.00,2026-01-01,2026-12-31\n\
         sleep_in_allowance,,50.00,2026-10-01,\n"
    );
    assert_eq!(
        refused(db, ReferenceKind::PayRules, "rules.csv", &rules).await,
        "  the sleep-in allowance for any band: rows 2 (2026-01-01 to 2026-12-31) and 3 (from \
         2026-10-01, open-ended) overlap: end row 2 on 2026-09-30 at the latest, or start row 3 \
         on 2027-01-01"
    );
}
on_both!(true_overlaps_are_refused_saying_what_to_send);

async fn a_pay_rule_change_closes_the_old_rule(db: &TestDb) {
    load_rules_reference(db).await;
    let shifts = format!(
        "{SHIFTS}N1,W1,2026-10-27T22:00,2026-10-27T23:00,PERSONAL_CARE,A\n\
         N2,W1,2026-11-03T22:00,2026-11-03T23:00,PERSONAL_CARE,A\n"
    );
    db.import_text("shifts", "s.csv", &shifts).await;
    let first = format!("{PAY_RULES}enhancement,night,1.50,2025-01-01,\n");
    imported(db, ReferenceKind::PayRules, "pay-rules.csv", &first).await;
    let rise = format!("{PAY_RULES}enhancement,night,2.00,2026-11-01,\n");
    let summary = imported(db, ReferenceKind::PayRules, "pay-rules-2.csv", &rise).await;
    assert_eq!(
        summary.notes,
        [
            "the night enhancement: the stored entry from 2025-01-01 now ends on 2026-10-31, the \
          day before the new entry from 2026-11-01"
        ]
    );
    assert!(
        allocation(db, "2026-10")
            .await
            .contains("A,2026-10,60.0000,14.10"),
        "October keeps 12.60 + 1.50"
    );
    assert!(
        allocation(db, "2026-11")
            .await
            .contains("A,2026-11,60.0000,14.60"),
        "November pays 12.60 + 2.00"
    );
}
on_both!(a_pay_rule_change_closes_the_old_rule);

async fn base_rates_are_date_effective_and_recost_only_later_shifts(db: &TestDb) {
    load_rules_reference(db).await;
    let shifts = format!(
        "{SHIFTS}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A\n\
         S2,W1,2026-11-02T09:00,2026-11-02T10:00,PERSONAL_CARE,A\n\
         S3,W3,2026-11-02T09:00,2026-11-02T10:00,PERSONAL_CARE,B\n"
    );
    db.import_text("shifts", "s.csv", &shifts).await;
    let rise = format!("{BASE_RATES}W1,13.00,2026-11-01,\n");
    let summary = imported(db, ReferenceKind::BaseRates, "base-rates.csv", &rise).await;
    assert_eq!(
        summary.shifts_recosted, 1,
        "only W1's shift on or after the rise"
    );
    assert_eq!(
        summary.notes,
        [
            "the base rate of worker W1: the stored entry from 1900-01-01 now ends on 2026-10-31, \
          the day before the new entry from 2026-11-01"
        ]
    );
    assert!(
        allocation(db, "2026-10")
            .await
            .contains("A,2026-10,60.0000,12.60")
    );
    let november = allocation(db, "2026-11").await;
    assert!(november.contains("A,2026-11,60.0000,13.00"), "{november}");
    assert!(november.contains("B,2026-11,60.0000,12.80"), "{november}");
    let trail: Vec<(String, String)> = audit(db, "base-rates")
        .await
        .into_iter()
        .map(|(key, action, _)| (key, action))
        .collect();
    assert!(
        trail.contains(&("W1|1900-01-01".into(), "update".into())),
        "{trail:?}"
    );
    assert!(
        trail.contains(&("W1|2026-11-01".into(), "insert".into())),
        "{trail:?}"
    );

    assert_eq!(
        refused(
            db,
            ReferenceKind::BaseRates,
            "base-rates-bad.csv",
            &format!("{BASE_RATES}W9,13.00,2026-11-01,\nW1,abc,2026-12-01,\n")
        )
        .await,
        "  row 2, worker_id: unknown worker 'W9'\n  row 3, base_rate: base_rate: 'abc' is not a number of pounds (write it like 24.00)"
    );

    // W3 leaves at the end of October: the shift after it pays nothing, and the warnings say so.
    let leaves = format!("{BASE_RATES}W3,12.80,1900-01-01,2026-10-31\n");
    imported(
        db,
        ReferenceKind::BaseRates,
        "base-rates-leaver.csv",
        &leaves,
    )
    .await;
    assert!(
        allocation(db, "2026-11")
            .await
            .contains("B,2026-11,60.0000,0.00")
    );
    let said = warnings(db, date("2026-11-30")).await;
    assert!(
        said.iter().any(|w| w
            == "base rates: 1 worker(s) have shifts on dates with no base rate in force, and \
                that time pays £0.00: W3 (1 shift(s), 2026-11-02 to 2026-11-02); import \
                base-rates rows covering those dates"),
        "{said:?}"
    );
}
on_both!(base_rates_are_date_effective_and_recost_only_later_shifts);

async fn a_workers_file_changes_pay_from_the_day_of_the_import(db: &TestDb) {
    load_rules_reference(db).await;
    let today = LocalZone::default().local_date(Utc::now());
    db.import_text(
        "shifts",
        "s.csv",
        &format!("{SHIFTS}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A\n"),
    )
    .await;
    let workers = std::fs::read_to_string(crate::fixtures::rules_fixtures().join("workers.csv"))
        .unwrap()
        .replace(
            "W1,Sam Jones,P0001,CC1,12.60",
            "W1,Sam Jones,P0001,CC1,13.20",
        );
    let summary = imported(db, ReferenceKind::Workers, "workers-v2.csv", &workers).await;
    assert_eq!((summary.inserted, summary.updated), (0, 1));
    assert_eq!(
        summary.notes,
        [format!(
            "worker W1: base rate 12.6000 -> 13.2000 from {today}, the day of this import; pay \
             for earlier dates is unchanged (a base-rates file sets other dates)"
        )]
    );
    assert_eq!(summary.shifts_recosted, 0, "no shift of W1 from today on");
    assert!(
        allocation(db, "2026-10")
            .await
            .contains("A,2026-10,60.0000,12.60"),
        "time before the change keeps its pay"
    );
    let history: Vec<(String, NaiveDate, Option<NaiveDate>, String)> =
        load_table::<BaseRateRow>(&db.store)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.worker_id.as_str() == "W1")
            .map(|r| {
                (
                    r.worker_id.to_string(),
                    r.effective_from,
                    r.effective_to,
                    r.base_rate_centipence.to_string(),
                )
            })
            .collect();
    assert_eq!(
        history,
        [
            (
                "W1".to_owned(),
                date("1900-01-01"),
                today.pred_opt(),
                "12.6000".to_owned()
            ),
            ("W1".to_owned(), today, None, "13.2000".to_owned()),
        ]
    );
    // The same file again changes nothing; time from today is paid at the new rate.
    let audits = db.count("reference_audit").await;
    imported(db, ReferenceKind::Workers, "workers-v2-again.csv", &workers).await;
    assert_eq!(db.count("reference_audit").await, audits);
    db.import_text(
        "shifts",
        "today.csv",
        &format!("{SHIFTS}T1,W1,{today}T09:00,{today}T10:00,PERSONAL_CARE,A\n"),
    )
    .await;
    let period = today.format("%Y-%m").to_string();
    assert!(
        allocation(db, &period)
            .await
            .contains(&format!("A,{period},60.0000,13.20"))
    );
}
on_both!(a_workers_file_changes_pay_from_the_day_of_the_import);

async fn a_full_payer_beside_a_contribution_gets_its_own_rates(db: &TestDb) {
    load_rules_reference(db).await;
    db.import_text(
        "payers",
        "payers.csv",
        "payer_id,name,kind\nLA1,Northshire Council,local_authority\nFAM-C,Colin Cedar,representative\n",
    )
    .await;
    imported(
        db,
        ReferenceKind::RateCard,
        "la1.csv",
        &format!("{CARD}PERSONAL_CARE,hour,day,1,22.50,2025-01-01,,LA1\n"),
    )
    .await;
    let arrangements = "person_id,payer_id,arrangement,share_percent,weekly_amount\n\
                        C,LA1,full,,\nC,FAM-C,contribution,,20.00\n\
                        D,LA1,percentage,70,\nD,FAM-C,percentage,30,\n";
    imported(
        db,
        ReferenceKind::Arrangements,
        "arrangements.csv",
        arrangements,
    )
    .await;
    db.import_text(
        "shifts",
        "s.csv",
        &format!(
            "{SHIFTS}S1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,C\n\
             S2,W2,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,D\n"
        ),
    )
    .await;
    let report = charges(db).await;
    assert!(
        report.contains("C,2026-10-06,PERSONAL_CARE,day,1,22.5000,60,22.50"),
        "the council's contracted rate covers the package C contributes to: {report}"
    );
    assert!(
        report.contains("D,2026-10-06,PERSONAL_CARE,day,1,24.0000,60,24.00"),
        "shares by percentage use the default card: {report}"
    );
}
on_both!(a_full_payer_beside_a_contribution_gets_its_own_rates);

async fn gaps_that_leave_money_missing_are_warned(db: &TestDb) {
    load_rules_reference(db).await;
    let night = date("2026-10-31");
    assert_eq!(
        warnings(db, night).await,
        [
            "pay rules: no enhancement is in force on 2026-10-31 for night, weekend or \
             bank_holiday time, so PERSONAL_CARE, SLEEP_IN_AWAKE, TRAVEL, WAKING_NIGHT pay the \
             base rate alone then; import pay-rules enhancement rows for those bands (an amount \
             of 0.00 records that none is paid)",
            "pay rules: no sleep-in allowance is in force on 2026-10-31, so a night of SLEEP_IN \
             pays the worker £0.00; import a pay-rules sleep_in_allowance row",
        ]
    );
    // Travel with a person on it has no rate on the card; one-offs need a fixed price.
    db.import_text(
        "shifts",
        "s.csv",
        &format!(
            "{SHIFTS}U1,W1,2026-10-06T12:00,2026-10-06T12:40,TRAVEL,A\n\
             U2,W2,2026-10-09T12:00,2026-10-09T12:25,TRAVEL,B\n"
        ),
    )
    .await;
    db.import_text(
        "one-offs",
        "one-offs.csv",
        "person_id,service,date,description\nA,TRAVEL,2026-10-17,Taxi\n",
    )
    .await;
    let rules = format!(
        "{PAY_RULES}enhancement,night,1.50,2025-01-01,\nenhancement,weekend,1.00,2025-01-01,\n\
         enhancement,bank_holiday,6.00,2025-01-01,\nsleep_in_allowance,,45.00,2025-01-01,\n"
    );
    imported(db, ReferenceKind::PayRules, "pay-rules.csv", &rules).await;
    assert_eq!(
        warnings(db, night).await,
        [
            "unpriced: 65 minute(s) of approved time from 2026-10-06 to 2026-10-09 have no rate and \
          are not charged (TRAVEL 65; 2 people: A, B), and 1 one-off item(s) have no fixed \
          price; add rates to the rate card, and see tms report unpriced --from 2026-10-06 --to \
          2026-10-09"
        ]
    );
    // Rules that have ended by the date are gaps again.
    assert_eq!(warnings(db, date("2024-12-31")).await.len(), 3);
    imported(
        db,
        ReferenceKind::RateCard,
        "travel.csv",
        &format!("{CARD}TRAVEL,hour,day,1,18.00,2025-01-01,,\nTRAVEL,fixed,weekend,1,30.00,2025-01-01,,\n"),
    )
    .await;
    assert_eq!(
        warnings(db, night).await,
        Vec::<String>::new(),
        "recosted: nothing unpriced is left"
    );
}
on_both!(gaps_that_leave_money_missing_are_warned);

/// A database from before base rates had dates: each stored worker's rate becomes their rate
/// from the beginning when it is upgraded, so no stored cost changes.
async fn workers_stored_before_the_upgrade_keep_their_rate_from_the_beginning(
    backend: crate::support::Backend,
) {
    use std::str::FromStr;
    let Some(database) = crate::support::TestDatabase::new(backend) else {
        return;
    };
    let before = [
        "insert into cost_centre (cost_centre_id, name) values ('CC1', 'Maple House')",
        "insert into worker (worker_id, name, payroll_number, cost_centre_id, \
         base_rate_centipence) values ('W1', 'Sam Jones', 'P0001', 'CC1', 126000)",
    ];
    // The schema as it was before base rates had dates (migration 6), with a worker in it.
    macro_rules! before_base_rate_history {
        ($pool:expr, $migrations:literal) => {{
            let pool = $pool;
            sqlx::migrate!($migrations).run_to(6, &pool).await.unwrap();
            for sql in before {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }};
    }
    match backend {
        crate::support::Backend::Sqlite => before_base_rate_history!(
            sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::from_str(database.url())
                    .unwrap()
                    .create_if_missing(true),
            )
            .await
            .unwrap(),
            "./migrations/sqlite"
        ),
        crate::support::Backend::Postgres => before_base_rate_history!(
            sqlx::PgPool::connect(database.url()).await.unwrap(),
            "./migrations/postgres"
        ),
    }
    let store = tms::store::Store::open_and_migrate(database.url(), 2)
        .await
        .unwrap();
    let history = load_table::<BaseRateRow>(&store).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].worker_id.as_str(), "W1");
    assert_eq!(history[0].effective_from, date("1900-01-01"));
    assert_eq!(history[0].effective_to, None);
    assert_eq!(history[0].base_rate_centipence.to_string(), "12.6000");
    store.close().await;
}
on_both!(workers_stored_before_the_upgrade_keep_their_rate_from_the_beginning);
