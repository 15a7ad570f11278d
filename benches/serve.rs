//! Load benchmark of shift submission over HTTP: run with `cargo bench --bench serve`.
//!
//! Starts `tms serve` as its own process on loopback against a fresh database, then 32 clients
//! (one worker token each) submit one-segment shifts back to back for `TMS_BENCH_SECONDS`
//! (default 15) after a short warm-up. Prints submissions per second and p50/p99 latency, and
//! checks that every acknowledged shift is stored. SQLite always; PostgreSQL too when
//! `TMS_BENCH_DATABASE_URL` names a server (a fresh database is created on it).
//!
//! Figures go in the README; nothing here asserts a time.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;

const CLIENTS: usize = 32;
const PEOPLE: usize = 64;

fn tms(url: &str, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tms"))
        .args(args)
        .arg("-q")
        .env("TMS_DATABASE__URL", url)
        .env("TMS_PATHS__DATA_DIR", dir.join("data"))
        .env("TMS_PATHS__OUTPUT_DIR", dir.join("out"))
        .output()
        .expect("run tms");
    assert!(
        output.status.success(),
        "tms {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write_reference(dir: &Path) {
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).expect("write");
    write(
        "cost-centres.csv",
        "cost_centre,name,region\nCC1,Bench House,North\n".into(),
    );
    write(
        "services.csv",
        "service,name,pay_element\nPERSONAL_CARE,Personal care,contact\n".into(),
    );
    let mut workers =
        String::from("worker_id,name,payroll_number,cost_centre,base_rate,date_of_birth\n");
    for w in 0..CLIENTS {
        workers.push_str(&format!("B{w:02},Worker {w},P{w:04},CC1,12.60,\n"));
    }
    write("workers.csv", workers);
    let mut people =
        String::from("person_id,name,cost_centre,document_format,contact_name,contact_email\n");
    for p in 0..PEOPLE {
        people.push_str(&format!(
            "Q{p:02},Person {p},CC1,standard,Family {p},f{p}@example.org\n"
        ));
    }
    write("people.csv", people);
    let mut card = String::from("service,unit,band,ratio,rate,effective_from,effective_to,payer\n");
    for band in ["day", "night", "weekend", "bank_holiday"] {
        for (ratio, rate) in [(1, "24.00"), (2, "14.00")] {
            card.push_str(&format!(
                "PERSONAL_CARE,hour,{band},{ratio},{rate},2020-01-01,,\n"
            ));
        }
    }
    write("rate-card.csv", card);
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(url: &str, dir: &Path) -> (Serving, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tms"))
        .args(["serve", "--listen", "127.0.0.1:0", "-q"])
        .env("TMS_DATABASE__URL", url)
        .env("TMS_DATABASE__MAX_CONNECTIONS", "16")
        .env("TMS_PATHS__DATA_DIR", dir.join("data"))
        .env("TMS_PATHS__OUTPUT_DIR", dir.join("out"))
        .env("TMS_SERVER__RATE_LIMIT_PER_SECOND", "1000000")
        .env("TMS_SERVER__RATE_LIMIT_BURST", "1000000")
        .env("TMS_RUNNER__IN_SERVE", "false")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start tms serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("address line");
    let address = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_owned();
    (Serving(child), address)
}

struct Run {
    /// Acknowledged while measuring.
    acknowledged: u64,
    /// Acknowledged at any time, warm-up included.
    every_ack: u64,
    errors: u64,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

async fn load(base: &str, tokens: &[String], seconds: u64) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (c, token) in tokens.iter().enumerate() {
        let (client, token, base) = (client.clone(), token.clone(), base.to_owned());
        let (measuring, stop) = (measuring.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut acknowledged, mut errors, mut every_ack) = (0_u64, 0_u64, 0_u64);
            let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
                .expect("date")
                .and_hms_opt(0, 0, 0)
                .expect("time");
            let mut n: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let begin = start + chrono::Duration::hours(n);
                let end = begin + chrono::Duration::minutes(45);
                let people = if n % 3 == 0 {
                    vec![format!("Q{:02}", c * 2), format!("Q{:02}", c * 2 + 1)]
                } else {
                    vec![format!("Q{:02}", c * 2)]
                };
                let body = serde_json::json!({"segments": [{
                    "start": begin.format("%Y-%m-%dT%H:%M").to_string(),
                    "end": end.format("%Y-%m-%dT%H:%M").to_string(),
                    "service": "PERSONAL_CARE",
                    "people": people,
                }]});
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/api/v1/shifts"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("bench-{n}"))
                    .json(&body)
                    .send()
                    .await;
                let ok = match response {
                    Ok(r) => {
                        let created = r.status() == reqwest::StatusCode::CREATED;
                        let _ = r.bytes().await;
                        created
                    }
                    Err(_) => false,
                };
                let took = sent.elapsed();
                n += 1;
                every_ack += u64::from(ok);
                if measuring.load(Ordering::Relaxed) {
                    latencies.push(took);
                    if ok {
                        acknowledged += 1;
                    } else {
                        errors += 1;
                    }
                }
            }
            (latencies, acknowledged, errors, every_ack)
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::Relaxed);
    let began = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = began.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut run = Run {
        acknowledged: 0,
        every_ack: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed,
    };
    for task in tasks {
        let (latencies, acknowledged, errors, every_ack) = task.await.expect("client");
        run.every_ack += every_ack;
        run.latencies.extend(latencies);
        run.acknowledged += acknowledged;
        run.errors += errors;
    }
    run.latencies.sort();
    run
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn stored_shifts(url: &str) -> i64 {
    let store = tms::store::Store::open(url, 2).await.expect("open");
    let count = match &store {
        tms::store::Store::Sqlite(pool) => sqlx::query_scalar("select count(*) from shift")
            .fetch_one(pool)
            .await
            .expect("count"),
        tms::store::Store::Postgres(pool) => sqlx::query_scalar("select count(*) from shift")
            .fetch_one(pool)
            .await
            .expect("count"),
    };
    store.close().await;
    count
}

async fn bench(label: &str, url: &str, seconds: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    write_reference(dir.path());
    tms(url, dir.path(), &["migrate"]);
    for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
        let file = dir.path().join(format!("{kind}.csv"));
        tms(
            url,
            dir.path(),
            &["import", kind, file.to_str().expect("path")],
        );
    }
    let tokens: Vec<String> = (0..CLIENTS)
        .map(|w| {
            let out = tms(
                url,
                dir.path(),
                &[
                    "token",
                    "create",
                    "--role",
                    "worker",
                    "--subject",
                    &format!("B{w:02}"),
                ],
            );
            out.lines()
                .find(|l| l.starts_with("tms_"))
                .expect("token line")
                .to_owned()
        })
        .collect();
    let (_server, base) = serve(url, dir.path());
    let run = load(&base, &tokens, seconds).await;
    let rate = run.acknowledged as f64 / run.elapsed.as_secs_f64();
    let stored = stored_shifts(url).await;
    let check = if stored == run.every_ack as i64 {
        "every acknowledged shift is stored".to_owned()
    } else {
        format!("MISMATCH: {} acknowledged, {stored} stored", run.every_ack)
    };
    println!(
        "{label}: {CLIENTS} clients, {:.1} s: {} submissions acknowledged ({rate:.0}/s), {} errors; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {check}",
        run.elapsed.as_secs_f64(),
        run.acknowledged,
        run.errors,
        percentile(&run.latencies, 0.50),
        percentile(&run.latencies, 0.99),
        percentile(&run.latencies, 1.0),
    );
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("TMS_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench("SQLite", &sqlite, seconds).await;
    if let Ok(server) = std::env::var("TMS_BENCH_DATABASE_URL") {
        let name = format!("tms_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        let cut = server.rfind('/').expect("a database URL has a path");
        let url = format!("{}/{name}", &server[..cut]);
        bench("PostgreSQL", &url, seconds).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database {name} with (force)"
        )))
        .execute(&mut admin)
        .await
        .ok();
    } else {
        println!("PostgreSQL: not run; set TMS_BENCH_DATABASE_URL=postgres://user@host:port/db");
    }
}
