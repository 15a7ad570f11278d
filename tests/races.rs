//! Writers at the same time, through the real `tms` binary: imports racing imports, imports racing
//! the API, two servers on one database, and reference changes landing while shifts are costed.
//! Each case checks that every worker's live shifts are disjoint, that nothing is lost, and that
//! the charges equal a sequential run's. Deterministic cases hold one writer at a pause point
//! (`TMS_FAILPOINT_PAUSE`) while another commits; the race harness lets writers run freely.
//!
//! Runs on SQLite, and on PostgreSQL when `TMS_TEST_DATABASE_URL` names a server. A longer soak:
//! `TMS_RACE_ROUNDS=200 TMS_RACE_WRITERS=6 cargo test --release --test races -- --nocapture`.

pub mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;

use crate::support::{Backend, TestDatabase};

const MONTH_FROM: &str = "2026-10-01";
const MONTH_TO: &str = "2026-10-31";
const WORKERS: usize = 12;
const DAYS: u32 = 31;
/// Longest a held writer may take to reach its pause point.
const PAUSE_WAIT: Duration = Duration::from_secs(120);

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh database with the provider's reference data, and a folder for files and output.
struct Env {
    db: TestDatabase,
}

impl Env {
    fn new(backend: Backend) -> Option<Env> {
        let env = Env {
            db: TestDatabase::new(backend)?,
        };
        env.write_reference();
        for kind in ["cost-centres", "services", "workers", "people", "rate-card"] {
            env.ok(&["import", kind, &env.file(&format!("{kind}.csv"))]);
        }
        Some(env)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.db.path(name)
    }

    fn file(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).expect("write file");
        self.file(name)
    }

    fn write_reference(&self) {
        self.write(
            "cost-centres.csv",
            "cost_centre,name,region\nCC1,Maple House,North\n",
        );
        self.write(
            "services.csv",
            "service,name,pay_element\nPERSONAL_CARE,Personal care,contact\n",
        );
        let mut workers =
            String::from("worker_id,name,payroll_number,cost_centre,base_rate,date_of_birth\n");
        let mut people =
            String::from("person_id,name,cost_centre,document_format,contact_name,contact_email\n");
        for w in 0..WORKERS {
            workers.push_str(&format!(
                "W{w:02},Worker {w},P{w:04},CC1,12.60,1990-01-01\n"
            ));
            people.push_str(&format!(
                "P{w:02},Person {w},CC1,standard,Contact {w},c{w}@example.org\n"
            ));
        }
        self.write("workers.csv", &workers);
        self.write("people.csv", &people);
        self.write(
            "rate-card.csv",
            &rate_card(&["24.00", "26.00", "27.00", "36.00"]),
        );
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tms"));
        command
            .args(args)
            .env("TMS_DATABASE__URL", self.db.url())
            .env("TMS_PATHS__OUTPUT_DIR", self.path("out"))
            .env("TMS_PATHS__DATA_DIR", self.path("data"))
            .env("TMS_RUNNER__IN_SERVE", "false")
            .env("TMS_API__AUTO_APPROVE", "true")
            .env("TMS_SERVER__RATE_LIMIT_PER_SECOND", "100000")
            .env("TMS_SERVER__RATE_LIMIT_BURST", "100000")
            .env_remove("TMS_CONFIG")
            .env_remove("TMS_FAILPOINTS")
            .env_remove("TMS_FAILPOINT_PAUSE");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tms")
    }

    /// Runs tms and expects success.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "tms {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts tms held at `point` (its `n`-th pass) until [`Held::release`].
    fn held(&self, point: &str, n: u32, args: &[&str]) -> Held {
        let gate = self.path(&format!("gate-{}", COUNTER.fetch_add(1, Ordering::SeqCst)));
        std::fs::create_dir_all(&gate).expect("gate folder");
        let child = self
            .command(args)
            .env("TMS_FAILPOINT_PAUSE", format!("{point}:{n}"))
            .env("TMS_FAILPOINT_GATE", &gate)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tms");
        let held = Held {
            child: Some(child),
            gate,
            point: point.to_owned(),
        };
        held.wait_paused();
        held
    }

    fn charges(&self) -> String {
        self.ok(&[
            "report", "charges", "--from", MONTH_FROM, "--to", MONTH_TO, "--format", "csv",
        ])
    }

    fn finance_token(&self) -> String {
        let out = self.ok(&["token", "create", "--role", "finance"]);
        out.split_whitespace()
            .find(|w| w.starts_with("tms_"))
            .expect("the token is printed")
            .to_owned()
    }

    /// Starts `tms serve` on a free port and returns it with its base URL.
    fn serve(&self, extra_env: &[(&str, String)]) -> (Child, String) {
        let mut command = self.command(&["serve", "--listen", "127.0.0.1:0"]);
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tms serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("tms serve says where it listens")
                .expect("read line");
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (child, base)
    }

    async fn sql_count(&self, sql: &str) -> i64 {
        if self.db.backend() == Backend::Sqlite {
            let pool = sqlx::SqlitePool::connect(self.db.url())
                .await
                .expect("connect");
            let n = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                .fetch_one(&pool)
                .await
                .expect("count");
            pool.close().await;
            n
        } else {
            let pool = sqlx::PgPool::connect(self.db.url()).await.expect("connect");
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                .fetch_one(&pool)
                .await
                .expect("count");
            pool.close().await;
            n
        }
    }

    /// Pairs of live shifts of one worker whose segments overlap: must be none.
    async fn overlapping_pairs(&self) -> i64 {
        self.sql_count(
            "select count(*) from segment a \
             join segment b on b.worker_id = a.worker_id and b.shift_id > a.shift_id \
              and b.start_utc < a.end_utc and a.start_utc < b.end_utc \
             join shift sa on sa.shift_id = a.shift_id and sa.status in ('submitted', 'approved') \
             join shift sb on sb.shift_id = b.shift_id and sb.status in ('submitted', 'approved')",
        )
        .await
    }

    async fn live_shifts(&self) -> i64 {
        self.sql_count("select count(*) from shift where status in ('submitted', 'approved')")
            .await
    }

    async fn marked_shifts(&self) -> i64 {
        self.sql_count("select count(*) from shift where needs_costing = true")
            .await
    }
}

/// A tms process held at a pause point.
struct Held {
    child: Option<Child>,
    gate: PathBuf,
    point: String,
}

impl Held {
    fn wait_paused(&self) {
        let paused = self.gate.join(format!("{}.paused", self.point));
        let started = Instant::now();
        while !paused.exists() {
            assert!(
                started.elapsed() < PAUSE_WAIT,
                "tms never reached {}",
                self.point
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Lets the process go on and waits for it to finish.
    fn release(mut self) -> Output {
        std::fs::write(self.gate.join(format!("{}.go", self.point)), b"").expect("open the gate");
        self.child
            .take()
            .expect("running")
            .wait_with_output()
            .expect("wait for tms")
    }

    /// Lets a long-running process (a server) go on.
    fn open(&self) {
        std::fs::write(self.gate.join(format!("{}.go", self.point)), b"").expect("open the gate");
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn rate_card(rates: &[&str; 4]) -> String {
    let mut card = String::from("service,unit,band,ratio,rate,effective_from,effective_to,payer\n");
    for (band, rate) in ["day", "night", "weekend", "bank_holiday"]
        .iter()
        .zip(rates)
    {
        card.push_str(&format!(
            "PERSONAL_CARE,hour,{band},1,{rate},2025-01-01,,\n"
        ));
        card.push_str(&format!(
            "PERSONAL_CARE,hour,{band},2,{rate},2025-01-01,,\n"
        ));
    }
    card
}

/// The shifts every writer of a case records: per worker and day, a morning visit to one person
/// and an evening visit shared by two, all under refs starting with `prefix`.
fn slots() -> Vec<(String, String, String, String)> {
    let mut slots = Vec::new();
    for w in 0..WORKERS {
        for day in 1..=DAYS {
            let date = format!("2026-10-{day:02}");
            let partner = (w + 1) % WORKERS;
            slots.push((
                format!("W{w:02}"),
                format!("{date}T09:00"),
                format!("{date}T12:30"),
                format!("P{w:02}"),
            ));
            slots.push((
                format!("W{w:02}"),
                format!("{date}T18:00"),
                format!("{date}T21:15"),
                format!("P{w:02};P{partner:02}"),
            ));
        }
    }
    slots
}

fn shift_file(prefix: &str) -> String {
    let mut file = String::from("shift_ref,worker_id,start,end,service,people,miles,notes\n");
    for (i, (worker, start, end, people)) in slots().iter().enumerate() {
        file.push_str(&format!(
            "{prefix}{i},{worker},{start},{end},PERSONAL_CARE,{people},,\n"
        ));
    }
    file
}

/// The charges of one clean import of the case's shifts, with `rates` on the card.
fn clean_charges(backend: Backend, rates: &[&str; 4]) -> String {
    let env = Env::new(backend).expect("backend available");
    env.write("rate-card-new.csv", &rate_card(rates));
    env.ok(&["import", "rate-card", &env.file("rate-card-new.csv")]);
    env.write("shifts-clean.csv", &shift_file("C"));
    let out = env.run(&["import", "shifts", &env.file("shifts-clean.csv")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    env.charges()
}

const BASE_RATES: [&str; 4] = ["24.00", "26.00", "27.00", "36.00"];
const NEW_RATES: [&str; 4] = ["25.50", "27.75", "28.10", "38.00"];

/// F1: an import held after costing while a second import of the same shifts (new refs) commits.
/// The held one loses every shift, naming the other's, and the charges equal one import.
async fn second_import_loses_inside_its_write(backend: Backend) {
    let Some(env) = Env::new(backend) else { return };
    let a = env.write("shifts-a.csv", &shift_file("A"));
    let b = env.write("shifts-b.csv", &shift_file("B"));
    let held = env.held("batch.before_begin", 1, &["import", "shifts", &a]);
    let second = env.run(&["import", "shifts", &b]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let first = held.release();
    assert_eq!(
        first.status.code(),
        Some(3),
        "the held import rejects: {}",
        text(&first)
    );
    let summary = String::from_utf8_lossy(&first.stdout);
    assert!(
        summary.contains(&format!(
            "0 new, 0 amended, 0 unchanged, {} rejected",
            slots().len()
        )),
        "{summary}"
    );

    assert_eq!(env.overlapping_pairs().await, 0);
    assert_eq!(env.live_shifts().await, slots().len() as i64);
    let rejects = env.ok(&["report", "rejects", "--format", "csv"]);
    assert!(
        rejects.contains("overlaps shift 'B0' of worker 'W00'"),
        "a lost shift names the one that beat it:\n{}",
        &rejects[..rejects.len().min(2_000)]
    );
    assert_eq!(env.charges(), clean_charges(backend, &BASE_RATES));
}
on_both!(second_import_loses_inside_its_write, worker_threads = 4);

/// F1 with the API: shifts acknowledged by the API while an import is held are kept, and the
/// import's shifts in the same slots are rejected.
async fn api_submissions_beat_a_held_import(backend: Backend) {
    let Some(env) = Env::new(backend) else { return };
    let token = env.finance_token();
    let (mut server, base) = env.serve(&[]);
    let a = env.write("shifts-a.csv", &shift_file("A"));
    let held = env.held("batch.before_begin", 1, &["import", "shifts", &a]);
    let client = reqwest::Client::new();
    let submitted: Vec<_> = slots().into_iter().step_by(7).collect();
    for (i, (worker, start, end, people)) in submitted.iter().enumerate() {
        let reply = submit(
            &client,
            &base,
            &token,
            &format!("api-{i}"),
            worker,
            start,
            end,
            people,
        )
        .await;
        assert_eq!(reply.0, 201, "{}", reply.1);
    }
    let import = held.release();
    assert_eq!(import.status.code(), Some(3), "{}", text(&import));
    let summary = String::from_utf8_lossy(&import.stdout);
    assert!(
        summary.contains(&format!("{} new", slots().len() - submitted.len()))
            && summary.contains(&format!("{} rejected", submitted.len())),
        "{summary}"
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(env.overlapping_pairs().await, 0);
    assert_eq!(env.live_shifts().await, slots().len() as i64);
    assert_eq!(env.charges(), clean_charges(backend, &BASE_RATES));
}
on_both!(api_submissions_beat_a_held_import, worker_threads = 4);

#[allow(clippy::too_many_arguments)]
async fn submit(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    worker: &str,
    start: &str,
    end: &str,
    people: &str,
) -> (u16, String) {
    let body = serde_json::json!({
        "worker_id": worker,
        "shift_ref": key,
        "segments": [{
            "start": start, "end": end, "service": "PERSONAL_CARE",
            "people": people.split(';').collect::<Vec<_>>(),
        }],
    });
    let reply = client
        .post(format!("{base}/api/v1/shifts"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = reply.status().as_u16();
    (status, reply.text().await.unwrap_or_default())
}

/// F1 across servers: two `tms serve` processes on one database take the same slots at once;
/// each slot is acknowledged exactly once, and the others are refused as overlaps.
async fn two_servers_take_each_slot_once(backend: Backend) {
    let Some(env) = Env::new(backend) else { return };
    let token = env.finance_token();
    let (mut one, base_one) = env.serve(&[]);
    let (mut two, base_two) = env.serve(&[]);
    let client = reqwest::Client::new();
    let slots: Vec<_> = slots().into_iter().take(120).collect();
    let mut tasks = Vec::new();
    for (i, slot) in slots.iter().cloned().enumerate() {
        for (side, base) in [("one", base_one.clone()), ("two", base_two.clone())] {
            let (client, token, slot) = (client.clone(), token.clone(), slot.clone());
            tasks.push(tokio::spawn(async move {
                let (worker, start, end, people) = slot;
                submit(
                    &client,
                    &base,
                    &token,
                    &format!("{side}-{i}"),
                    &worker,
                    &start,
                    &end,
                    &people,
                )
                .await
            }));
        }
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            201 => created += 1,
            409 | 422 => assert!(body.contains("overlap"), "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    for server in [&mut one, &mut two] {
        let _ = server.kill();
        let _ = server.wait();
    }
    assert_eq!(created, slots.len(), "each slot acknowledged once");
    assert_eq!(env.overlapping_pairs().await, 0);
    assert_eq!(env.live_shifts().await, slots.len() as i64);
}
on_both!(two_servers_take_each_slot_once, worker_threads = 4);

/// F2: a rate-card change commits while an import holds costs computed at the old rates. The
/// import's shifts are stored marked, and `tms recost` (not `--all`) brings the charges to a
/// clean run's at the new rates.
async fn rate_change_during_import_is_recosted(backend: Backend) {
    let Some(env) = Env::new(backend) else { return };
    let a = env.write("shifts-a.csv", &shift_file("A"));
    let held = env.held("batch.before_begin", 1, &["import", "shifts", &a]);
    env.write("rate-card-new.csv", &rate_card(&NEW_RATES));
    env.ok(&["import", "rate-card", &env.file("rate-card-new.csv")]);
    let import = held.release();
    assert_eq!(import.status.code(), Some(0), "{}", text(&import));
    assert!(
        env.marked_shifts().await > 0,
        "the stale shifts are marked in their write"
    );
    env.ok(&["recost"]);
    assert_eq!(env.marked_shifts().await, 0);
    assert_eq!(env.charges(), clean_charges(backend, &NEW_RATES));
}
on_both!(rate_change_during_import_is_recosted, worker_threads = 4);

/// F2 through the API: a submission costed at the old rates, held in the shift writer while the
/// rate card changes, is stored marked; `tms recost` then equals `tms recost --all`.
async fn rate_change_during_api_write_is_recosted(backend: Backend) {
    let Some(env) = Env::new(backend) else { return };
    let token = env.finance_token();
    let gate = env.path("serve-gate");
    std::fs::create_dir_all(&gate).expect("gate");
    let (mut server, base) = env.serve(&[
        ("TMS_FAILPOINT_PAUSE", "changes.before_begin:1".to_owned()),
        ("TMS_FAILPOINT_GATE", gate.display().to_string()),
    ]);
    let client = reqwest::Client::new();
    let first = tokio::spawn({
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            submit(
                &client,
                &base,
                &token,
                "held-0",
                "W00",
                "2026-10-05T09:00",
                "2026-10-05T12:00",
                "P00",
            )
            .await
        }
    });
    let held = Held {
        child: None,
        gate,
        point: "changes.before_begin".into(),
    };
    held.wait_paused();
    env.write("rate-card-new.csv", &rate_card(&NEW_RATES));
    env.ok(&["import", "rate-card", &env.file("rate-card-new.csv")]);
    held.open();
    let (status, body) = first.await.expect("task");
    assert_eq!(status, 201, "{body}");
    // Load after the change, some of it costed from a reference cache that may still be old.
    for (i, (worker, start, end, people)) in
        slots().into_iter().skip(40).step_by(5).take(40).enumerate()
    {
        let (status, body) = submit(
            &client,
            &base,
            &token,
            &format!("load-{i}"),
            &worker,
            &start,
            &end,
            &people,
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        env.marked_shifts().await >= 1,
        "the held submission is marked"
    );
    env.ok(&["recost"]);
    let after_recost = env.charges();
    env.ok(&["recost", "--all"]);
    assert_eq!(after_recost, env.charges(), "recost alone is enough");
}
on_both!(rate_change_during_api_write_is_recosted, worker_threads = 4);

/// The race harness: rounds of writers started together through the real binary — imports of
/// the same shifts under different refs, a rate-card change, and API submissions — with no
/// pause points. After each round: no overlapping live shifts, every slot stored once, and after
/// `tms recost` the charges equal a sequential run's at the final rates.
async fn race_harness(backend: Backend) {
    let rounds: usize = std::env::var("TMS_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let writers: usize = std::env::var("TMS_RACE_WRITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut expected = None;
    for round in 0..rounds {
        let Some(env) = Env::new(backend) else { return };
        let expected = expected.get_or_insert_with(|| clean_charges(backend, &NEW_RATES));
        let token = env.finance_token();
        let (mut server, base) = env.serve(&[]);
        let files: Vec<String> = (0..writers)
            .map(|k| env.write(&format!("shifts-{k}.csv"), &shift_file(&format!("R{k}-"))))
            .collect();
        env.write("rate-card-new.csv", &rate_card(&NEW_RATES));
        let mut imports: Vec<Child> = files
            .iter()
            .map(|file| {
                env.command(&["import", "shifts", file])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start import")
            })
            .collect();
        imports.push(
            env.command(&["import", "rate-card", &env.file("rate-card-new.csv")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start rate-card import"),
        );
        let client = reqwest::Client::new();
        let mut acknowledged = 0;
        for (i, (worker, start, end, people)) in slots().into_iter().step_by(11).enumerate() {
            let (status, body) = submit(
                &client,
                &base,
                &token,
                &format!("race-{round}-{i}"),
                &worker,
                &start,
                &end,
                &people,
            )
            .await;
            match status {
                201 => acknowledged += 1,
                409 | 422 => assert!(body.contains("overlap"), "{body}"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        for mut child in imports {
            let status = child.wait().expect("wait");
            assert!(
                matches!(status.code(), Some(0 | 3)),
                "a writer failed: {status:?}"
            );
        }
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(env.overlapping_pairs().await, 0, "round {round}");
        assert_eq!(
            env.live_shifts().await,
            slots().len() as i64,
            "round {round}"
        );
        env.ok(&["recost"]);
        assert_eq!(
            &env.charges(),
            expected,
            "round {round} ({acknowledged} by the API)"
        );
        eprintln!("race round {round}: ok ({writers} imports, {acknowledged} API shifts kept)");
    }
}
on_both!(race_harness, worker_threads = 4);
