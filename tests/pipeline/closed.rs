//! Closed periods through the `tms` binary with the default close delay: October closes on the
//! night of 5 November, its files stay as they were when a shift of it is amended later, and the
//! run report and `tms report late-changes` show the change against what October closed with.

use crate::harness::{Env, demo_files};
use crate::on_both;
use crate::support::Backend;

fn text(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The sum of a charges CSV's `amount` column, in pence.
fn total_pence(charges_csv: &str) -> i64 {
    let mut reader = csv::Reader::from_reader(charges_csv.as_bytes());
    let at = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|h| h == "amount")
        .expect("an amount column");
    reader
        .records()
        .map(|r| {
            tms::domain::Pence::parse_pounds(&r.expect("a row")[at])
                .expect("an amount")
                .get()
        })
        .sum()
}

/// A stored one-row shift of the October file with a whole hour or more, and that row with its
/// end half an hour earlier: (worker, shift_ref, header, amended row).
async fn a_shift_to_shorten(env: &Env) -> (String, String, String, String) {
    let file = &demo_files().shifts[0];
    let mut reader = csv::Reader::from_path(file).expect("the October shifts");
    let header = reader.headers().expect("a header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (worker, shift_ref, start, end) = (
        column("worker_id"),
        column("shift_ref"),
        column("start"),
        column("end"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let format = "%Y-%m-%dT%H:%M";
    for row in &rows {
        let same_shift = rows
            .iter()
            .filter(|r| r[worker] == row[worker] && r[shift_ref] == row[shift_ref])
            .count();
        let (Ok(from), Ok(to)) = (
            chrono::NaiveDateTime::parse_from_str(&row[start], format),
            chrono::NaiveDateTime::parse_from_str(&row[end], format),
        ) else {
            continue;
        };
        if same_shift != 1
            || &row[column("service")] != "PERSONAL_CARE"
            || row[column("people")].is_empty()
            || (to - from) < chrono::Duration::minutes(60)
            || from.date() != to.date()
            || from.format("%Y-%m").to_string() != "2026-10"
            || from.format("%d").to_string() == "25"
        {
            continue;
        }
        let stored = env
            .texts(&format!(
                "select status from shift where worker_id = '{}' and shift_ref = '{}'",
                &row[worker], &row[shift_ref]
            ))
            .await;
        if stored != ["approved"] {
            continue;
        }
        let mut amended: Vec<String> = row.iter().map(str::to_owned).collect();
        amended[end] = (to - chrono::Duration::minutes(30))
            .format(format)
            .to_string();
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(&header).expect("header");
        let header_line = String::from_utf8(out.into_inner().expect("flush")).expect("utf-8");
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(&amended).expect("row");
        let row_line = String::from_utf8(out.into_inner().expect("flush")).expect("utf-8");
        return (
            row[worker].to_owned(),
            row[shift_ref].to_owned(),
            header_line,
            row_line,
        );
    }
    panic!("the October file has a one-row shift of an hour or more");
}

async fn a_late_change_is_reported_and_the_closed_files_stay(backend: Backend) {
    let Some(mut env) = Env::fresh(backend) else {
        return;
    };
    // The default delay: a period closes five days after its last day.
    env.extra_env
        .push(("TMS_RUNNER__PERIOD_CLOSE_DAYS".into(), "5".into()));
    let files = demo_files();
    env.drop_in_inbox(&files.reference);
    env.drop_in_inbox(&files.shifts[..1]);
    let first = env.tms(&["run", "nightly", "--date", "2026-10-31"]).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(
        !env.path("out/periods/2026-10").exists(),
        "October is open until five days after its end: {}",
        text(&first)
    );
    let open = env
        .tms(&["report", "late-changes", "--period", "2026-10"])
        .await;
    assert_eq!(open.status.code(), Some(2), "{}", text(&open));
    assert!(
        text(&open).contains("2026-10 has not closed"),
        "{}",
        text(&open)
    );

    let closing = env.tms(&["run", "nightly", "--date", "2026-11-05"]).await;
    assert_eq!(closing.status.code(), Some(0), "{}", text(&closing));
    assert!(
        text(&closing).contains("period-charges 2026-10"),
        "{}",
        text(&closing)
    );
    let charges_path = env.path("out/periods/2026-10/charges.csv");
    let closed_file = std::fs::read_to_string(&charges_path).expect("charges.csv");
    let unchanged = env
        .tms(&["report", "late-changes", "--period", "2026-10"])
        .await;
    assert_eq!(unchanged.status.code(), Some(0), "{}", text(&unchanged));
    assert_eq!(
        String::from_utf8_lossy(&unchanged.stdout).lines().count(),
        1,
        "nothing changed yet: the header alone"
    );

    // A shift of October is shortened after October closed.
    let (worker, shift_ref, header, row) = a_shift_to_shorten(&env).await;
    let late = env.path("late").join("shifts-late.csv");
    std::fs::create_dir_all(late.parent().expect("folder")).expect("folder");
    std::fs::write(&late, format!("{header}{row}")).expect("late file");
    env.drop_in_inbox(&[late]);
    let night = env.tms(&["run", "nightly", "--date", "2026-11-06"]).await;
    let out = text(&night);
    assert_eq!(night.status.code(), Some(0), "{out}");
    assert_eq!(
        std::fs::read_to_string(&charges_path).expect("charges.csv"),
        closed_file,
        "the closed period's file is as it was"
    );
    let now = env
        .tms(&[
            "report",
            "charges",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
        ])
        .await;
    let net = total_pence(&String::from_utf8_lossy(&now.stdout)) - total_pence(&closed_file);
    assert!(net < 0, "half an hour less is charged: {net}");
    let expected = format!(
        "  - late-changes: 1 shift changed in closed period 2026-10: {} against what it closed with; tms report late-changes --period 2026-10 lists them",
        tms::pipeline::late_changes::signed_pounds(tms::domain::Pence::new(net))
    );
    assert!(out.contains(&expected), "{expected}\n{out}");

    let report = env
        .tms(&[
            "report",
            "late-changes",
            "--period",
            "2026-10",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(report.status.code(), Some(0), "{}", text(&report));
    let rows: serde_json::Value = serde_json::from_slice(&report.stdout).expect("json");
    let rows = rows.as_array().expect("an array");
    let shift_rows: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["item"] == "shift").collect();
    assert!(!shift_rows.is_empty(), "{rows:?}");
    for r in &shift_rows {
        assert_eq!(r["worker_id"], worker.as_str());
        assert_eq!(r["shift_ref"], shift_ref.as_str());
        assert_eq!(r["change"], "amended");
    }
    let pence = |v: &serde_json::Value| {
        tms::domain::Pence::parse_pounds(v.as_str().expect("pounds"))
            .expect("an amount")
            .get()
    };
    let payer_net: i64 = rows
        .iter()
        .filter(|r| r["item"] == "payer")
        .map(|r| pence(&r["difference"]))
        .sum();
    assert_eq!(
        payer_net, net,
        "the payers' differences add up to the change"
    );
    for r in rows {
        assert_eq!(
            pence(&r["now"]) - pence(&r["closed"]),
            pence(&r["difference"])
        );
    }
}
on_both!(a_late_change_is_reported_and_the_closed_files_stay);
