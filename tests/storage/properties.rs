//! Random shift files through storage: what the reports read back from either database equals
//! what the pure engine computes for the same shifts, whatever the row order.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tms::allocate::{SegmentDraft, ShiftDraft, TICKS_PER_MINUTE};
use tms::cli::ExitStatus;
use tms::cost::{cost_shift, group_lines};
use tms::domain::{Interval, PersonId, ServiceCode, ShiftRef, WorkerId};
use tms::report::{Format, allocation_totals, charge_lines, charges_table};

use crate::fixtures::{load_rules_reference, render};
use crate::on_both;
use crate::support::TestDb;

const HEADER: &str = "shift_ref,worker_id,start,end,service,people,miles,notes\n";
const SERVICES: [&str; 5] = [
    "PERSONAL_CARE",
    "WAKING_NIGHT",
    "SLEEP_IN",
    "SLEEP_IN_AWAKE",
    "TRAVEL",
];
const PEOPLE: [&str; 5] = ["A", "B", "C", "D", "E"];

/// Random shifts for W1–W4 in October 2026 (both sides of the clock change), written in UTC so
/// no row is ambiguous; segments of a worker never overlap.
fn random_shifts(rng: &mut ChaCha8Rng, round: usize) -> Vec<ShiftDraft> {
    let mut shifts = Vec::new();
    for worker in 1..=4 {
        let mut at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()
            + Duration::minutes(rng.random_range(0..600))
            + Duration::days(8 * round as i64);
        for n in 0..rng.random_range(3..8) {
            let mut segments = Vec::new();
            for _ in 0..rng.random_range(1..4) {
                let start = at + Duration::minutes(rng.random_range(0..90));
                let end = start + Duration::minutes(rng.random_range(5..600));
                let k = rng.random_range(0..4);
                let mut people: Vec<PersonId> = PEOPLE
                    .choose_multiple(rng, k)
                    .map(|p| PersonId::parse(p).unwrap())
                    .collect();
                people.sort();
                let service = if people.is_empty() {
                    "TRAVEL"
                } else {
                    SERVICES[rng.random_range(0..4)]
                };
                segments.push(SegmentDraft {
                    interval: Interval::new(start, end).unwrap(),
                    service: ServiceCode::parse(service).unwrap(),
                    people,
                });
                at = end;
            }
            shifts.push(ShiftDraft {
                worker_id: WorkerId::parse(&format!("W{worker}")).unwrap(),
                shift_ref: ShiftRef::parse(&format!("R{round}-{n}")).unwrap(),
                segments,
            });
            at += Duration::minutes(rng.random_range(30..900));
        }
    }
    shifts
}

/// The shifts as CSV rows in a random order.
fn shuffled_csv(shifts: &[ShiftDraft], rng: &mut ChaCha8Rng) -> String {
    let mut rows = Vec::new();
    for shift in shifts {
        for s in &shift.segments {
            let people: Vec<&str> = s.people.iter().map(PersonId::as_str).collect();
            rows.push(format!(
                "{},{},{}Z,{}Z,{},{},,\n",
                shift.shift_ref,
                shift.worker_id,
                s.interval.start.format("%Y-%m-%dT%H:%M"),
                s.interval.end.format("%Y-%m-%dT%H:%M"),
                s.service,
                people.join(";")
            ));
        }
    }
    rows.shuffle(rng);
    let mut csv = HEADER.to_owned();
    rows.iter().for_each(|r| csv.push_str(r));
    csv
}

async fn random_files_cost_the_same_through_storage(db: &TestDb) {
    load_rules_reference(db).await;
    let reference = db.reference().await;
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_025);
    let mut all = Vec::new();
    for round in 0..3 {
        let shifts = random_shifts(&mut rng, round);
        let csv = shuffled_csv(&shifts, &mut rng);
        assert_eq!(
            db.import_text("shifts", &format!("round{round}.csv"), &csv)
                .await,
            ExitStatus::Ok,
            "{csv}"
        );
        let again = shuffled_csv(&shifts, &mut rng);
        assert_eq!(
            db.import_text("shifts", &format!("round{round}-again.csv"), &again)
                .await,
            ExitStatus::Ok
        );
        all.extend(shifts);

        // What the engine says, costed straight from the drafts.
        let mut rows = Vec::new();
        let mut expected_totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for shift in &all {
            let worker = &reference.workers[&shift.worker_id];
            let costed = cost_shift(&reference.ctx, shift, worker).unwrap();
            for row in &costed.rows {
                let key = row.person_id.as_ref().map_or_else(
                    || format!("UNALLOCATED:{}", worker.cost_centre),
                    |p| p.to_string(),
                );
                let total = expected_totals.entry(key).or_default();
                total.0 += row.allocated_ticks;
                total.1 += row.pay.get();
            }
            rows.extend(costed.rows);
        }
        let expected = render(
            &charges_table(&group_lines(&rows).expect("amounts in range")),
            Format::Csv,
        );

        // What storage reads back.
        let from = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let (lines, _) = charge_lines(&db.store, &reference, from, to, None)
            .await
            .unwrap();
        assert_eq!(
            render(&charges_table(&lines), Format::Csv),
            expected,
            "round {round}"
        );

        let mut stored: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for period in ["2026-09", "2026-10", "2026-11", "2026-12"] {
            for total in allocation_totals(&db.store, period.parse().unwrap())
                .await
                .unwrap()
            {
                let entry = stored.entry(total.person_id).or_default();
                entry.0 += total.ticks;
                entry.1 += total.pay_pence;
            }
        }
        assert_eq!(
            stored, expected_totals,
            "round {round}: allocated time and pay per person"
        );
        let worked: i64 = all.iter().map(ShiftDraft::worked_minutes).sum();
        assert_eq!(
            stored.values().map(|t| t.0).sum::<i64>(),
            worked * TICKS_PER_MINUTE,
            "allocated + unallocated = worked"
        );
    }
    let mut summary = String::new();
    let _ = write!(summary, "{} shifts", all.len());
    assert_eq!(
        db.count("shift").await,
        all.len() as i64,
        "{summary}: re-imports in another order added nothing"
    );
    assert_eq!(
        db.count("shift_audit").await,
        all.len() as i64,
        "{summary}: and amended nothing"
    );
}
on_both!(random_files_cost_the_same_through_storage);
