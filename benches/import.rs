//! Import and costing benchmarks: run with `cargo bench --bench import`.
//!
//! 1. Import: one file of `TMS_BENCH_ROWS` (default 1,000,000) segment rows from the synthetic
//!    provider at 2,500 people and 4,000 workers, with `tms import shifts` on a fresh SQLite
//!    database (parsing, validation, allocation, rating and storage), against `sqlite3 .import`
//!    of the same file into a plain table. Prints both rates, their ratio and tms's peak RSS.
//! 2. Charges: one month for 2,500 people and 4,000 workers; times allocating and rating every
//!    shift again (`tms recost --all`) and the month's charges report.
//!
//! Figures go in the README; nothing here asserts a time.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tms::demo::{DemoSpec, generate};

const PEOPLE: usize = 2_500;
const WORKERS: usize = 4_000;

fn tms(db: &Path, out: &Path, args: &[&str]) -> (f64, String, u64) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_tms"))
        .args(args)
        .env("TMS_DATABASE__URL", format!("sqlite://{}", db.display()))
        .env("TMS_PATHS__OUTPUT_DIR", out)
        .env("TMS_REPORT_PEAK_RSS", "1")
        .arg("-q")
        .output()
        .expect("run tms");
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.code().is_some_and(|c| c == 0 || c == 3),
        "tms {args:?} failed: {stderr}"
    );
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (
        seconds,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        peak,
    )
}

fn fresh(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    db
}

fn import_reference(db: &Path, out: &Path, files: &tms::demo::DemoFiles) {
    for (kind, path) in &files.reference {
        tms(
            db,
            out,
            &["import", kind, path.to_str().expect("utf-8 path")],
        );
    }
}

/// Joins the monthly files into one of at most `rows` data rows.
fn join_files(files: &[PathBuf], target: &Path, rows: u64) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(target).expect("create"));
    let mut written = 0;
    for (n, file) in files.iter().enumerate() {
        let mut lines = BufReader::new(std::fs::File::open(file).expect("open")).lines();
        let header = lines.next().expect("header").expect("read");
        if n == 0 {
            writeln!(out, "{header}").expect("write");
        }
        for line in lines {
            if written == rows {
                return written;
            }
            writeln!(out, "{}", line.expect("read")).expect("write");
            written += 1;
        }
    }
    written
}

fn sqlite3_import(dir: &Path, file: &Path) -> f64 {
    let db = fresh(dir, "baseline.db");
    let schema = "create table segment_rows (shift_ref text, worker_id text, start text, end text, service text, people text, miles text, notes text);";
    let started = Instant::now();
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg(schema)
        .arg(".mode csv")
        .arg(format!(".import --skip 1 {} segment_rows", file.display()))
        .status()
        .expect("sqlite3 is installed (apt-get install sqlite3)");
    assert!(status.success());
    started.elapsed().as_secs_f64()
}

/// SQLite's own time to write the ledger an import stored (shifts, audit rows, segments and
/// allocation rows, with their indexes), copied table to table inside the sqlite3 shell into a
/// fresh tms schema: the floor under any import that stores the same rows.
fn sqlite3_ledger_copy(dir: &Path, out: &Path, source: &Path) -> f64 {
    let db = fresh(dir, "floor.db");
    tms(&db, out, &["migrate"]);
    let script = format!(
        "pragma journal_mode = wal; pragma synchronous = normal; pragma cache_size = -65536;\n\
         attach '{}' as src;\n\
         begin;\n\
         insert into main.shift select * from src.shift order by shift_id;\n\
         insert into main.shift_audit select * from src.shift_audit order by shift_audit_id;\n\
         insert into main.segment select * from src.segment order by shift_id, segment_no;\n\
         insert into main.allocation select * from src.allocation order by allocation_id;\n\
         commit;\n",
        source.display()
    );
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sqlite3 is installed");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("script");
    assert!(child.wait().expect("sqlite3 runs").success());
    started.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows: u64 = std::env::var("TMS_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-import");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let out = dir.join("out");

    // 1. Import against sqlite3 .import.
    let months = u32::try_from(rows.div_ceil(250_000))
        .expect("few months")
        .max(1);
    let spec = DemoSpec {
        people: PEOPLE,
        workers: WORKERS,
        months,
        ..DemoSpec::default()
    };
    let files = generate(&spec, &dir.join("provider")).expect("generate provider");
    let big = dir.join("shifts-big.csv");
    let written = join_files(&files.shifts, &big, rows);
    let db = fresh(&dir, "tms.db");
    import_reference(&db, &out, &files);
    let (tms_seconds, summary, peak_kib) = tms(
        &db,
        &out,
        &["import", "shifts", big.to_str().expect("utf-8")],
    );
    let baseline = sqlite3_import(&dir, &big);
    let floor = sqlite3_ledger_copy(&dir, &out, &db);
    let (again_seconds, _, _) = tms(
        &db,
        &out,
        &["import", "shifts", big.to_str().expect("utf-8")],
    );
    let rate = |s: f64| written as f64 / s;
    println!(
        "import, {written} segment rows ({} MB), SQLite:",
        std::fs::metadata(&big).map_or(0, |m| m.len() / 1_000_000)
    );
    println!("  {}", summary.trim());
    println!(
        "  tms import shifts       {tms_seconds:>7.2} s  {:>9.0} rows/s  peak RSS {} MB",
        rate(tms_seconds),
        peak_kib / 1024
    );
    println!(
        "  sqlite3 .import         {baseline:>7.2} s  {:>9.0} rows/s",
        rate(baseline)
    );
    println!("  ratio                   {:>7.2}", tms_seconds / baseline);
    println!(
        "  sqlite3 copying the stored ledger (floor) {floor:>7.2} s  ratio {:.2}",
        floor / baseline
    );
    println!(
        "  re-import (unchanged)   {again_seconds:>7.2} s  {:>9.0} rows/s",
        rate(again_seconds)
    );

    // 2. One month: allocate and rate, then the charges report.
    let month = DemoSpec {
        people: PEOPLE,
        workers: WORKERS,
        months: 1,
        first_month: (2026, 10),
        ..DemoSpec::default()
    };
    let files = generate(&month, &dir.join("month")).expect("generate month");
    let db = fresh(&dir, "month.db");
    import_reference(&db, &out, &files);
    let (import_seconds, summary, _) = tms(
        &db,
        &out,
        &["import", "shifts", files.shifts[0].to_str().expect("utf-8")],
    );
    let (recost_seconds, recost, peak) = tms(&db, &out, &["recost", "--all"]);
    let (report_seconds, report, _) = tms(
        &db,
        &out,
        &[
            "report",
            "charges",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
        ],
    );
    println!(
        "charges, one month for {PEOPLE} people and {WORKERS} workers ({} segments):",
        files.segments
    );
    println!("  {}", summary.trim());
    println!("  import, allocate, rate  {import_seconds:>7.2} s");
    println!(
        "  allocate and rate again {recost_seconds:>7.2} s  ({}; peak RSS {} MB)",
        recost.trim(),
        peak / 1024
    );
    println!(
        "  charges report          {report_seconds:>7.2} s  ({} lines)",
        report.lines().count().saturating_sub(1)
    );
}
