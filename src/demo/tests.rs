//! Tests of the demo generator: formats, determinism, timelines and the dates that matter.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::*;
use crate::domain::LocalZone;

/// A shift's or segment's `[start, end)` with what it belongs to.
type Span<T> = (DateTime<Utc>, DateTime<Utc>, T);

/// One written shift row, read back.
#[derive(Clone, Debug)]
struct Row {
    file: String,
    row: u64,
    shift_ref: String,
    worker_id: String,
    start: String,
    end: String,
    service: String,
    people: String,
    miles: String,
    notes: String,
}

fn read_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn read_shifts(files: &DemoFiles) -> Vec<Row> {
    let mut out = Vec::new();
    for path in &files.shifts {
        let (header, rows) = read_table(path);
        assert_eq!(header, rows::SHIFT_HEADER);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (i, f) in rows.into_iter().enumerate() {
            out.push(Row {
                file: name.clone(),
                row: i as u64 + 2,
                shift_ref: f[0].clone(),
                worker_id: f[1].clone(),
                start: f[2].clone(),
                end: f[3].clone(),
                service: f[4].clone(),
                people: f[5].clone(),
                miles: f[6].clone(),
                notes: f[7].clone(),
            });
        }
    }
    out
}

fn ids(files: &DemoFiles, kind: &str) -> HashSet<String> {
    let path = &files.reference.iter().find(|(k, _)| *k == kind).unwrap().1;
    read_table(path)
        .1
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

fn default_demo() -> (tempfile::TempDir, DemoFiles) {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&DemoSpec::default(), dir.path()).unwrap();
    (dir, files)
}

/// The `(worker_id, shift_ref)` keys tms should reject.
fn rejected(files: &DemoFiles) -> HashSet<(String, String)> {
    files
        .bad_rows
        .iter()
        .filter(|b| b.rejected)
        .map(|b| (b.worker_id.clone(), b.shift_ref.clone()))
        .collect()
}

fn instant(text: &str) -> DateTime<Utc> {
    LocalZone::default()
        .parse_instant(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The columns formats.md gives each kind (required and optional, in the order written there).
fn documented_columns() -> HashMap<String, Vec<String>> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/formats.md"))
            .unwrap();
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .flat_map(|t| t.split(','))
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let mut out = HashMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() >= 4 && cells[1].starts_with('`') {
            let kind = cells[1].trim_matches('`').to_owned();
            out.insert(kind, ticked(cells[2]));
        }
        if line.starts_with("`shift_ref,") {
            out.insert("shifts".to_owned(), ticked(line));
        }
    }
    out
}

#[test]
fn files_exist_with_exactly_the_documented_headers_in_import_order() {
    let (_dir, files) = default_demo();
    let documented = documented_columns();
    let kinds: Vec<&str> = files.reference.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            "cost-centres",
            "services",
            "payers",
            "workers",
            "people",
            "arrangements",
            "rate-card",
            "pay-rules",
            "budgets",
            "one-offs"
        ]
    );
    for (kind, path) in &files.reference {
        let (header, rows) = read_table(path);
        assert_eq!(
            &header,
            documented
                .get(*kind)
                .unwrap_or_else(|| panic!("{kind} not in formats.md")),
            "{kind}"
        );
        assert!(!rows.is_empty(), "{kind} has rows");
    }
    let names: Vec<String> = files
        .shifts
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "shifts-2026-08.csv",
            "shifts-2026-09.csv",
            "shifts-2026-10.csv"
        ]
    );
    for path in &files.shifts {
        assert_eq!(read_table(path).0, documented["shifts"]);
    }
}

#[test]
fn generation_is_deterministic_for_a_seed() {
    let spec = DemoSpec {
        seed: 7,
        people: 14,
        workers: 24,
        first_month: (2026, 10),
        months: 1,
    };
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let first = generate(&spec, a.path()).unwrap();
    let second = generate(&spec, b.path()).unwrap();
    let other = generate(&DemoSpec { seed: 8, ..spec }, c.path()).unwrap();
    assert_eq!(
        (first.segments, first.shift_count),
        (second.segments, second.shift_count)
    );
    let mut differs = false;
    for ((_, p1), (_, p3)) in first.reference.iter().zip(&other.reference) {
        let name = p1.file_name().unwrap();
        assert_eq!(
            std::fs::read(p1).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
            "{name:?}"
        );
        differs |= std::fs::read(p1).unwrap() != std::fs::read(p3).unwrap();
    }
    for (p1, p3) in first.shifts.iter().zip(&other.shifts) {
        let name = p1.file_name().unwrap();
        assert_eq!(
            std::fs::read(p1).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
            "{name:?}"
        );
        differs |= std::fs::read(p1).unwrap() != std::fs::read(p3).unwrap();
    }
    assert!(differs, "another seed gives another provider");
}

#[test]
fn valid_shifts_are_well_formed_and_never_overlap_for_a_worker() {
    let (_dir, files) = default_demo();
    let (people, workers, services) = (
        ids(&files, "people"),
        ids(&files, "workers"),
        ids(&files, "services"),
    );
    let rejected = rejected(&files);
    let mut shifts: BTreeMap<(String, String), Vec<Span<Row>>> = BTreeMap::new();
    let mut file_of: HashMap<(String, String), String> = HashMap::new();
    let rows = read_shifts(&files);
    assert_eq!(rows.len() as u64, files.segments);
    for row in rows {
        let key = (row.worker_id.clone(), row.shift_ref.clone());
        if rejected.contains(&key) {
            continue;
        }
        let (start, end) = (instant(&row.start), instant(&row.end));
        assert!(start < end, "{row:?}");
        assert!((end - start).num_minutes() <= 26 * 60, "{row:?}");
        assert!(workers.contains(&row.worker_id), "{row:?}");
        assert!(services.contains(&row.service), "{row:?}");
        let who: Vec<&str> = if row.people.is_empty() {
            Vec::new()
        } else {
            row.people.split(';').collect()
        };
        assert!(
            who.len() <= 12 && who.iter().all(|p| people.contains(*p)),
            "{row:?}"
        );
        assert_eq!(
            who.iter().collect::<HashSet<_>>().len(),
            who.len(),
            "{row:?}"
        );
        let file = file_of
            .entry(key.clone())
            .or_insert_with(|| row.file.clone());
        assert_eq!(*file, row.file, "a shift's rows are in one file");
        shifts.entry(key).or_default().push((start, end, row));
    }
    assert_eq!(shifts.len() as u64, files.shift_count);
    let mut by_worker: BTreeMap<String, Vec<Span<String>>> = BTreeMap::new();
    for ((worker, shift_ref), mut segments) in shifts {
        assert!(segments.len() <= 96);
        segments.sort_by_key(|s| s.0);
        for pair in segments.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "segments of {worker}/{shift_ref} overlap"
            );
        }
        let (start, end) = (segments[0].0, segments.iter().map(|s| s.1).max().unwrap());
        by_worker
            .entry(worker)
            .or_default()
            .push((start, end, shift_ref));
    }
    for (worker, mut spans) in by_worker {
        spans.sort();
        for pair in spans.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "{worker}: {} overlaps {}",
                pair[0].2,
                pair[1].2
            );
        }
    }
}

#[test]
fn bad_rows_are_written_where_and_as_reported() {
    let (_dir, files) = default_demo();
    let rows = read_shifts(&files);
    let zone = LocalZone::default();
    let kinds: HashSet<BadKind> = files.bad_rows.iter().map(|b| b.kind).collect();
    assert_eq!(kinds.len(), 7, "{:?}", files.bad_rows);
    let services = ids(&files, "services");
    let people = ids(&files, "people");
    for bad in &files.bad_rows {
        let name = bad.file.file_name().unwrap().to_string_lossy().into_owned();
        let expected_file = if bad.kind == BadKind::Ambiguous {
            "shifts-2026-10.csv"
        } else {
            "shifts-2026-08.csv"
        };
        assert_eq!(name, expected_file, "{bad:?}");
        let row = rows
            .iter()
            .find(|r| r.file == name && r.row == bad.row)
            .unwrap();
        assert_eq!(
            (&row.worker_id, &row.shift_ref),
            (&bad.worker_id, &bad.shift_ref)
        );
        let same_shift = rows
            .iter()
            .filter(|r| r.worker_id == bad.worker_id && r.shift_ref == bad.shift_ref)
            .count();
        match bad.kind {
            BadKind::Ambiguous => {
                assert_eq!(row.start, "2026-10-25T01:30");
                assert_eq!(
                    zone.parse_instant(&row.start).unwrap_err().to_string(),
                    bad.reason
                );
            }
            BadKind::Seconds => {
                assert!(
                    row.start.ends_with(":30") && row.start.len() == 19,
                    "{}",
                    row.start
                );
                assert_eq!(
                    zone.parse_instant(&row.start).unwrap_err().to_string(),
                    bad.reason
                );
            }
            BadKind::EndBeforeStart => {
                assert!(instant(&row.end) < instant(&row.start));
                assert_eq!(
                    bad.reason,
                    format!("end '{}' is not after start '{}'", row.end, row.start)
                );
            }
            BadKind::UnknownPerson => {
                assert!(!people.contains(&row.people) && bad.reason.contains(&row.people))
            }
            BadKind::UnknownService => {
                assert!(!services.contains(&row.service) && bad.reason.contains(&row.service))
            }
            BadKind::Overlap => {
                let other = rows
                    .iter()
                    .filter(|r| {
                        r.worker_id == bad.worker_id
                            && r.shift_ref != bad.shift_ref
                            && r.row < bad.row
                    })
                    .find(|r| {
                        instant(&r.start) < instant(&row.end)
                            && instant(&row.start) < instant(&r.end)
                    })
                    .expect("an earlier shift of the worker overlaps it");
                assert_eq!(
                    bad.reason,
                    format!(
                        "overlaps shift '{}' of worker '{}'",
                        other.shift_ref, bad.worker_id
                    )
                );
            }
            BadKind::SplitRows => {
                assert!(!bad.rejected);
                let numbers: Vec<u64> = rows
                    .iter()
                    .filter(|r| r.worker_id == bad.worker_id && r.shift_ref == bad.shift_ref)
                    .map(|r| r.row)
                    .collect();
                assert!(
                    numbers.len() >= 3 && numbers[1] - numbers[0] > 1_000,
                    "{numbers:?}"
                );
            }
        }
        if bad.kind != BadKind::SplitRows {
            assert!(bad.rejected);
            assert_eq!(same_shift, 1, "a rejected bad shift is one row");
        }
    }
}

#[test]
fn demo_has_shared_support_sleep_ins_travel_and_the_dates_that_matter() {
    let (_dir, files) = default_demo();
    let rows = read_shifts(&files);
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let ratio = |r: &Row| {
        if r.people.is_empty() {
            0
        } else {
            r.people.split(';').count()
        }
    };
    assert!(count(&|r| ratio(r) == 2) > 100, "1:2 support");
    assert!(count(&|r| ratio(r) == 3) > 100, "1:3 support");
    assert!(
        count(&|r| r.service == "TRAVEL" && r.people.is_empty() && !r.miles.is_empty()) > 100,
        "travel with miles"
    );
    assert!(count(&|r| r.service == "HANDOVER" && r.people.is_empty()) > 100);
    assert!(count(&|r| !r.notes.is_empty()) > 20, "notes");
    assert!(
        count(&|r| r.start.starts_with("2026-08-31")) > 20,
        "the August bank holiday"
    );
    assert!(count(&|r| r.service == "PCP_FACILITATION") > 0);

    let mut shifts: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        shifts
            .entry((&r.worker_id, &r.shift_ref))
            .or_default()
            .push(r);
    }
    let sleep_with_awake = shifts.values().filter(|s| {
        let services: Vec<&str> = s.iter().map(|r| r.service.as_str()).collect();
        services
            .windows(3)
            .any(|w| w == ["SLEEP_IN", "SLEEP_IN_AWAKE", "SLEEP_IN"])
    });
    assert!(
        sleep_with_awake.count() > 5,
        "sleep-ins split by an awake period"
    );
    let with_gap = shifts.values().filter(|s| {
        s.windows(2)
            .any(|w| instant(&w[0].end) < instant(&w[1].start))
    });
    assert!(with_gap.count() > 100, "unpaid breaks");
    let travel_between = shifts.values().filter(|s| {
        s.windows(3).any(|w| {
            !w[0].people.is_empty()
                && w[1].service == "TRAVEL"
                && !w[2].people.is_empty()
                && w[0].people != w[2].people
        })
    });
    assert!(
        travel_between.count() > 50,
        "travel between visits in one shift"
    );

    // Nights across the clocks going back: written with valid local times, 11 real hours.
    let clock_change = rows.iter().filter(|r| {
        r.start == "2026-10-24T22:00" && r.end == "2026-10-25T08:00" && r.service == "WAKING_NIGHT"
    });
    let nights: Vec<&Row> = clock_change.collect();
    assert!(
        !nights.is_empty(),
        "a waking night across the October change"
    );
    for night in nights {
        assert_eq!(
            (instant(&night.end) - instant(&night.start)).num_minutes(),
            660
        );
    }
    assert!(
        rows.iter()
            .any(|r| r.service == "SLEEP_IN" && r.start == "2026-10-24T23:00")
    );
    let rejected = rejected(&files);
    for r in rows
        .iter()
        .filter(|r| !rejected.contains(&(r.worker_id.clone(), r.shift_ref.clone())))
    {
        for t in [&r.start, &r.end] {
            assert!(
                !t.starts_with("2026-10-25T01:") || t.len() > 16,
                "{t} has no offset in the repeated hour"
            );
        }
    }
}

#[test]
fn reference_data_is_consistent() {
    let (_dir, files) = default_demo();
    let table =
        |kind: &str| read_table(&files.reference.iter().find(|(k, _)| *k == kind).unwrap().1).1;
    let cost_centres: HashSet<String> = table("cost-centres")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let workers = table("workers");
    assert_eq!(workers.len(), 80);
    for w in &workers {
        let rate: f64 = w[4].parse().unwrap();
        assert!((12.71..=14.50).contains(&rate), "{w:?}");
        assert!(w[5].as_str() <= "2005-08-01", "21 or over: {w:?}");
        assert!(cost_centres.contains(&w[3]));
    }
    let payroll: HashSet<&String> = workers.iter().map(|w| &w[2]).collect();
    assert_eq!(payroll.len(), workers.len(), "payroll numbers are unique");
    let people = table("people");
    assert_eq!(people.len(), 50);
    let formats: HashSet<&str> = people.iter().map(|p| p[3].as_str()).collect();
    assert!(
        formats.contains("standard")
            && formats.contains("large_print")
            && formats.contains("easy_read"),
        "{formats:?}"
    );

    let payers: HashMap<String, String> = table("payers")
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    let mut by_person: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for a in table("arrangements") {
        assert!(payers.contains_key(&a[1]), "{a:?}");
        by_person.entry(a[0].clone()).or_default().push(a);
    }
    assert_eq!(by_person.len(), 50, "everyone is paid for");
    let mut kinds = HashSet::new();
    for (person, rows) in &by_person {
        let kind = |k: &str| rows.iter().filter(|r| r[2] == k).count();
        kinds.extend(rows.iter().map(|r| r[2].clone()));
        if kind("percentage") > 0 {
            let total: f64 = rows.iter().map(|r| r[3].parse::<f64>().unwrap()).sum();
            assert_eq!((total, rows.len()), (100.0, kind("percentage")), "{person}");
        } else if kind("contribution") > 0 {
            assert_eq!(
                (kind("contribution"), kind("full"), rows.len()),
                (1, 1, 2),
                "{person}"
            );
        } else {
            assert_eq!((kind("full"), rows.len()), (1, 1), "{person}");
        }
    }
    assert_eq!(
        kinds.len(),
        3,
        "full, percentage and contribution all appear"
    );
    let payer_kinds: HashSet<&String> = payers.values().collect();
    for k in ["local_authority", "person", "nhs"] {
        assert!(payer_kinds.contains(&k.to_owned()), "{k}");
    }

    let card = table("rate-card");
    for (service, unit, band, ratio, rate) in [
        ("PERSONAL_CARE", "hour", "day", "1", "24.00"),
        ("PERSONAL_CARE", "hour", "night", "1", "26.00"),
        ("PERSONAL_CARE", "hour", "weekend", "1", "27.00"),
        ("PERSONAL_CARE", "hour", "bank_holiday", "1", "36.00"),
        ("PERSONAL_CARE", "hour", "day", "2", "14.00"),
        ("WAKING_NIGHT", "hour", "day", "1", "22.00"),
        ("WAKING_NIGHT", "hour", "weekend", "1", "24.00"),
        ("SLEEP_IN", "night", "day", "1", "90.00"),
        ("SLEEP_IN_AWAKE", "hour", "day", "1", "20.00"),
        ("PCP_FACILITATION", "fixed", "day", "1", "150.00"),
    ] {
        let found = card.iter().any(|r| {
            r[..5] == [service, unit, band, ratio, rate]
                && r[5] == "2026-04-01"
                && r[6].is_empty()
                && r[7].is_empty()
        });
        assert!(found, "{service} {band} {ratio}");
    }
    assert!(
        !card
            .iter()
            .any(|r| r[0] == "PERSONAL_CARE" && r[3] == "3" && r[7].is_empty()),
        "no 1:3 entry (worked example 1)"
    );
    let overrides: Vec<&Vec<String>> = card.iter().filter(|r| !r[7].is_empty()).collect();
    assert!(
        !overrides.is_empty()
            && overrides
                .iter()
                .all(|r| payers.get(&r[7]).is_some_and(|k| k == "local_authority"))
    );
    for service in ["TRAVEL", "HANDOVER"] {
        assert!(
            !card.iter().any(|r| r[0] == service),
            "{service} needs no rate"
        );
    }

    let budgets = table("budgets");
    assert_eq!(budgets.len(), 50);
    for b in &budgets {
        assert_eq!((b[1].as_str(), b[2].as_str()), ("2026-04-01", "2027-03-31"));
        let (amount, management, contingency): (f64, f64, f64) = (
            b[3].parse().unwrap(),
            b[4].parse().unwrap(),
            b[5].parse().unwrap(),
        );
        assert!(
            amount >= 1_000.0
                && management > 0.0
                && contingency > 0.0
                && management + contingency < amount,
            "{b:?}"
        );
    }
    let rules = table("pay-rules");
    for band in ["night", "weekend", "bank_holiday"] {
        assert!(rules.iter().any(|r| r[0] == "enhancement" && r[1] == band));
    }
    assert!(rules.iter().any(|r| r[0] == "sleep_in_allowance"));
    let one_offs = table("one-offs");
    assert!(one_offs.iter().all(|r| r[1] == "PCP_FACILITATION"));
}

#[test]
fn default_is_a_few_thousand_shifts_a_month_all_staffed() {
    let (_dir, files) = default_demo();
    assert_eq!(files.unstaffed_shifts, 0);
    let per_month = files.shift_count / 3;
    assert!(
        (2_000..10_000).contains(&per_month),
        "{per_month} shifts a month"
    );
}

#[test]
fn bad_specs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for spec in [
        DemoSpec {
            first_month: (2026, 13),
            ..DemoSpec::default()
        },
        DemoSpec {
            people: 0,
            ..DemoSpec::default()
        },
        DemoSpec {
            workers: 0,
            ..DemoSpec::default()
        },
        DemoSpec {
            months: 0,
            ..DemoSpec::default()
        },
    ] {
        assert!(
            matches!(generate(&spec, dir.path()), Err(DemoError::Spec(_))),
            "{spec:?}"
        );
    }
}

#[test]
fn tiny_and_spring_specs_still_write_valid_files() {
    // A handful of people, and a month with the clocks going forward.
    let dir = tempfile::tempdir().unwrap();
    let spec = DemoSpec {
        seed: 3,
        people: 3,
        workers: 2,
        first_month: (2027, 3),
        months: 1,
    };
    let files = generate(&spec, dir.path()).unwrap();
    let rejected = rejected(&files);
    for row in read_shifts(&files)
        .iter()
        .filter(|r| !rejected.contains(&(r.worker_id.clone(), r.shift_ref.clone())))
    {
        assert!(instant(&row.start) < instant(&row.end), "{row:?}");
    }
    let budgets = read_table(
        &files
            .reference
            .iter()
            .find(|(k, _)| *k == "budgets")
            .unwrap()
            .1,
    )
    .1;
    assert_eq!(
        budgets[0][1], "2026-04-01",
        "March 2027 is in the 2026/27 financial year"
    );
}

/// `cargo test --release --lib demo::tests::million_rows -- --ignored --nocapture`
#[test]
#[ignore = "timing run: about a million segment rows"]
fn million_rows() {
    let dir = tempfile::tempdir().unwrap();
    for spec in [
        DemoSpec {
            people: 2_500,
            workers: 4_000,
            months: 1,
            ..DemoSpec::default()
        },
        DemoSpec {
            people: 2_500,
            workers: 4_000,
            months: 4,
            ..DemoSpec::default()
        },
    ] {
        let started = std::time::Instant::now();
        let files = generate(&spec, dir.path()).unwrap();
        let elapsed = started.elapsed();
        let bytes: u64 = files
            .shifts
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        println!(
            "{} people, {} workers, {} months: {} segments, {} shifts, {} unstaffed, {} MB in {:.2?}",
            spec.people,
            spec.workers,
            spec.months,
            files.segments,
            files.shift_count,
            files.unstaffed_shifts,
            bytes / 1_000_000,
            elapsed
        );
    }
}
