//! `tms serve` as its own process on loopback, protecting itself: big bodies refused before they
//! are read (the server's memory measured from `/proc`), uploads over their limit refused once the
//! caller is known, slow headers cut off, failed authentications limited per client address,
//! sign-in posts from other sites refused, and `Cache-Control: no-store` on personal data. Each
//! server is stopped with SIGTERM and must exit cleanly. Every case runs on SQLite and on
//! PostgreSQL.

pub mod support;

#[path = "api/harness.rs"]
pub mod harness;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tms::domain::{Role, Scope};
use tms::store::access;

use crate::support::TestDb;

/// Longest `tms serve` may take to say where it listens, and to stop after SIGTERM.
const START_DEADLINE: Duration = Duration::from_secs(60);
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// The big unauthenticated posts: 60 MB each, four at once.
const BIG_POST_BYTES: usize = 60_000_000;
/// How much the server's resident memory may grow while refusing them.
const MEMORY_GROWTH_MAX_KB: u64 = 24 * 1024;

/// A running `tms serve`, killed when dropped (also when the test panics).
struct Served {
    child: Child,
    address: SocketAddr,
    base: String,
    log: PathBuf,
}

impl Served {
    /// Starts `tms serve` on the test database with `env` on top of the test settings.
    fn start(db: &TestDb, env: &[(&str, &str)]) -> Served {
        let dir = db.dir();
        let log = dir.join(format!("serve-{}.log", std::process::id()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_tms"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("TMS_DATABASE__URL", &db.settings.database.url)
            .env("TMS_PATHS__DATA_DIR", dir.join("data"))
            .env("TMS_PATHS__OUTPUT_DIR", dir.join("out"))
            .env("TMS_RUNNER__IN_SERVE", "false")
            .env("TMS_SERVER__RATE_LIMIT_PER_SECOND", "1000000")
            .env("TMS_SERVER__RATE_LIMIT_BURST", "1000000")
            .env_remove("TMS_CONFIG")
            .env_remove("TMS_SERVER__PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("server log"));
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start tms serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            sender.send(lines.next().and_then(Result::ok)).ok();
            for _ in lines {}
        });
        let first = receiver.recv_timeout(START_DEADLINE).ok().flatten();
        let Some(base) = first
            .as_deref()
            .and_then(|l| l.strip_prefix("tms serve: listening on "))
            .map(|b| b.trim().to_owned())
        else {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "tms serve did not say where it listens (first line {first:?}):\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let address = base
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .expect("a socket address");
        Served {
            child,
            address,
            base,
            log,
        }
    }

    /// The server's resident memory now and at its peak, in kB (`VmRSS`, `VmHWM`).
    fn memory_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc status:\n{status}"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Sends SIGTERM; the server must stop accepting, finish and exit 0 promptly, even with
    /// idle connections from the test's clients still open.
    fn stop(mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "SIGTERM sent");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for tms serve") {
                break status;
            }
            assert!(
                started.elapsed() < STOP_DEADLINE,
                "tms serve still running {} s after SIGTERM:\n{}",
                STOP_DEADLINE.as_secs(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "tms serve exited with {status}");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
        }
        self.child.wait().ok();
    }
}

/// Imports the API fixtures and creates a token for each of `callers` (role and subjects).
async fn tokens(db: &TestDb, callers: &[(Role, &str)]) -> Vec<(String, String)> {
    harness::load_api_reference(db).await;
    let mut made = Vec::new();
    for (role, subject) in callers {
        let subjects: Vec<String> = [*subject]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| (*s).to_owned())
            .collect();
        let scope = Scope::new(*role, &subjects).expect("scope");
        let (record, text) = access::create_token(&db.store, *role, &scope, "limits", None)
            .await
            .expect("token");
        made.push((record.token_id, text));
    }
    made
}

fn client(from: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .build()
        .expect("client")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Posts `size` body bytes to `path` over a fresh connection, writing on another thread while
/// reading the answer here, as a client that does not wait for the server would. Returns the
/// answer's status (0 if the connection closed without one) and how many body bytes the server
/// took before it stopped reading.
fn raw_post(
    address: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    size: usize,
    chunked: bool,
) -> (u16, usize) {
    let stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let mut writer = stream.try_clone().expect("clone the connection");
    writer
        .set_write_timeout(Some(Duration::from_secs(60)))
        .expect("write timeout");
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {address}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {size}\r\n\r\n"));
    }
    let sender = std::thread::spawn(move || {
        if writer.write_all(head.as_bytes()).is_err() {
            return 0;
        }
        let piece = vec![b'a'; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            let n = piece.len().min(size - sent);
            let written = if chunked {
                writer
                    .write_all(format!("{n:x}\r\n").as_bytes())
                    .and_then(|()| writer.write_all(&piece[..n]))
                    .and_then(|()| writer.write_all(b"\r\n"))
            } else {
                writer.write_all(&piece[..n])
            };
            if written.is_err() {
                return sent;
            }
            sent += n;
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").ok();
        }
        sent
    });
    let status = read_status(&stream);
    let sent = sender.join().expect("sender");
    stream.shutdown(Shutdown::Both).ok();
    (status, sent)
}

/// The status code of the answer on `stream`, or 0 if it closed first.
fn read_status(mut stream: &TcpStream) -> u16 {
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !seen.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return 0,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&seen)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// How long the server keeps a connection open that sends a request's headers a byte at a time
/// (`slowly`) or nothing at all; gives up at 30 s.
fn seconds_until_closed(address: SocketAddr, slowly: bool) -> f64 {
    let mut stream = TcpStream::connect(address).expect("connect");
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    if slowly {
        let mut writer = stream.try_clone().expect("clone the connection");
        std::thread::spawn(move || {
            if writer
                .write_all(b"GET /sign-in HTTP/1.1\r\nHost: tms\r\nX-Slow: ")
                .is_err()
            {
                return;
            }
            for _ in 0..300 {
                std::thread::sleep(Duration::from_millis(100));
                if writer.write_all(b"a").is_err() {
                    return;
                }
            }
        });
    }
    let mut buffer = [0_u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    started.elapsed().as_secs_f64()
}

on_both!(big_posts_are_refused_before_they_are_read);
async fn big_posts_are_refused_before_they_are_read(db: &TestDb) {
    let made = tokens(db, &[(Role::Worker, "W1")]).await;
    let worker = made[0].1.clone();
    let served = Served::start(db, &[]);
    let http = client(None);
    let warm = http
        .get(format!("{}/sign-in", served.base))
        .send()
        .await
        .expect("warm up");
    assert_eq!(warm.status(), StatusCode::OK);
    let (rss_before, peak_before) = served.memory_kb();

    // Four 60 MB posts at once without a token: two uploads, two sign-in forms, with and
    // without a declared length.
    let address = served.address;
    let posts = [
        ("/api/v1/imports/shifts", "text/csv", false, 401),
        ("/api/v1/imports/shifts", "text/csv", true, 401),
        ("/sign-in", "application/x-www-form-urlencoded", false, 413),
        ("/sign-in", "application/x-www-form-urlencoded", true, 413),
    ];
    let answers: Vec<(u16, usize)> = tokio::task::spawn_blocking(move || {
        let running: Vec<_> = posts
            .iter()
            .map(|&(path, kind, chunked, _)| {
                std::thread::spawn(move || {
                    raw_post(
                        address,
                        path,
                        &[("Content-Type", kind)],
                        BIG_POST_BYTES,
                        chunked,
                    )
                })
            })
            .collect();
        running
            .into_iter()
            .map(|t| t.join().expect("post"))
            .collect()
    })
    .await
    .expect("posts");
    for ((path, _, chunked, expected), (status, taken)) in posts.iter().zip(&answers) {
        assert_eq!(
            status, expected,
            "60 MB to {path} (chunked: {chunked}) is refused"
        );
        assert!(
            *taken < BIG_POST_BYTES / 2,
            "the server stopped reading {path} (chunked: {chunked}) early; it took {taken} bytes"
        );
    }
    let (rss_after, peak_after) = served.memory_kb();
    assert!(
        peak_after.saturating_sub(peak_before) < MEMORY_GROWTH_MAX_KB
            && rss_after.saturating_sub(rss_before) < MEMORY_GROWTH_MAX_KB,
        "refusing 4 x 60 MB took memory: resident {rss_before} -> {rss_after} kB, peak {peak_before} -> {peak_after} kB"
    );

    // A sign-in form over 64 KiB is refused with a reason; one just under is read.
    let form = |bytes: usize| format!("token={}", "x".repeat(bytes - "token=".len()));
    let too_big = http
        .post(format!("{}/sign-in", served.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(64 * 1024 + 1))
        .send()
        .await
        .expect("post");
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        header(&too_big, "connection"),
        "close",
        "the unread body ends the connection"
    );
    let text = too_big.text().await.expect("body");
    assert!(text.contains("server.form_limit_bytes"), "{text}");
    let under = http
        .post(format!("{}/sign-in", served.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(64 * 1024))
        .send()
        .await
        .expect("post");
    assert_eq!(under.status(), StatusCode::UNAUTHORIZED, "a bad code");
    // JSON keeps its own, larger limit.
    let json = |bytes: usize| {
        let head = r#"{"segments":[],"shift_ref":""#;
        format!("{head}{}\"}}", "x".repeat(bytes - head.len() - 2))
    };
    for (bytes, expected) in [
        (256 * 1024 + 1, StatusCode::PAYLOAD_TOO_LARGE),
        (100 * 1024, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let answer = http
            .post(format!("{}/api/v1/shifts", served.base))
            .bearer_auth(&worker)
            .header("idempotency-key", format!("big-{bytes}"))
            .header("content-type", "application/json")
            .body(json(bytes))
            .send()
            .await
            .expect("post");
        assert_eq!(answer.status(), expected, "{bytes} bytes of JSON");
    }
    served.stop();
}

on_both!(uploads_over_the_limit_are_refused_once_the_caller_is_known);
async fn uploads_over_the_limit_are_refused_once_the_caller_is_known(db: &TestDb) {
    let made = tokens(db, &[(Role::Manager, "CC1"), (Role::Worker, "W1")]).await;
    let (manager, worker) = (made[0].1.clone(), made[1].1.clone());
    let served = Served::start(db, &[("TMS_SERVER__UPLOAD_LIMIT_BYTES", "1048576")]);
    let address = served.address;
    // Well over the limit, and over what the kernel's socket buffers take in unread.
    let over = BIG_POST_BYTES;
    let cases = [
        (manager.clone(), false, 413),
        (manager.clone(), true, 413),
        (worker.clone(), false, 403),
        (worker.clone(), true, 403),
    ];
    let answers: Vec<(u16, usize)> = tokio::task::spawn_blocking(move || {
        cases
            .iter()
            .map(|(token, chunked, _)| {
                let bearer = format!("Bearer {token}");
                raw_post(
                    address,
                    "/api/v1/imports/shifts",
                    &[("Content-Type", "text/csv"), ("Authorization", &bearer)],
                    over,
                    *chunked,
                )
            })
            .collect()
    })
    .await
    .expect("uploads");
    let expected = [413, 413, 403, 403];
    for (n, ((status, taken), expected)) in answers.iter().zip(expected).enumerate() {
        assert_eq!(*status, expected, "upload case {n}");
        assert!(
            *taken < over / 2,
            "upload case {n}: the server took {taken} bytes before refusing"
        );
    }
    // Nothing of the refused uploads is kept or imported.
    let uploads = db.dir().join("data/uploads");
    let kept: Vec<_> = std::fs::read_dir(&uploads)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(kept.is_empty(), "refused uploads left {kept:?}");
    assert_eq!(db.count("shift").await, 0);

    // An upload within the limit is imported, and its answer is not cached.
    let csv = "shift_ref,worker_id,start,end,service,people,miles,notes\n\
               L1,W1,2026-10-06T09:00,2026-10-06T10:00,PERSONAL_CARE,A,,\n";
    let http = client(None);
    let done = http
        .post(format!("{}/api/v1/imports/shifts", served.base))
        .bearer_auth(&manager)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("upload");
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(header(&done, "cache-control"), "no-store");
    let counts = done.json::<serde_json::Value>().await.expect("json");
    assert_eq!(counts["counts"]["shifts_new"], 1, "{counts}");
    assert_eq!(db.count("shift").await, 1);
    let leftovers: Vec<_> = walk(&uploads)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".receiving"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    served.stop();
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

on_both!(slow_headers_are_cut_off);
async fn slow_headers_are_cut_off(db: &TestDb) {
    let served = Served::start(db, &[("TMS_SERVER__HEADER_READ_TIMEOUT_SECONDS", "1")]);
    let address = served.address;
    let (slow, idle) = tokio::task::spawn_blocking(move || {
        let slow = std::thread::spawn(move || seconds_until_closed(address, true));
        let idle = std::thread::spawn(move || seconds_until_closed(address, false));
        (slow.join().expect("slow"), idle.join().expect("idle"))
    })
    .await
    .expect("connections");
    for (what, seconds) in [("sending headers slowly", slow), ("sending nothing", idle)] {
        assert!(
            (0.9..5.0).contains(&seconds),
            "a connection {what} was closed after {seconds:.1} s; the timeout is 1 s"
        );
    }
    // Requests that send their headers at once are served as usual.
    let answer = client(None)
        .get(format!("{}/sign-in", served.base))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), StatusCode::OK);
    served.stop();
}

on_both!(failed_authentications_are_limited_per_client_address);
async fn failed_authentications_are_limited_per_client_address(db: &TestDb) {
    let made = tokens(db, &[(Role::Worker, "W1"), (Role::Manager, "CC1")]).await;
    let (worker, manager) = (made[0].1.clone(), made[1].1.clone());
    let served = Served::start(
        db,
        &[
            ("TMS_SERVER__FAILED_AUTH_PER_MINUTE", "1"),
            ("TMS_SERVER__FAILED_AUTH_BURST", "3"),
        ],
    );
    let from = |last: u8| client(Some(IpAddr::from([127, 0, 0, last])));
    let me = |http: &reqwest::Client, token: &str| {
        http.get(format!("{}/api/v1/me", served.base))
            .bearer_auth(token)
            .send()
    };
    let bad =
        "tms_0000000000000000_0000000000000000000000000000000000000000000000000000000000000000";

    // One address: three bad tokens are 401, the next failure is 429 with Retry-After.
    let a = from(2);
    for n in 0..3 {
        let answer = me(&a, bad).await.expect("request");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "bad token {n}");
    }
    let limited = me(&a, bad).await.expect("request");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        header(&limited, "retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s >= 1),
        "Retry-After: {:?}",
        header(&limited, "retry-after")
    );
    assert_eq!(header(&limited, "content-type"), "application/problem+json");
    // Bad sign-in codes and sign-in links from there are limited too.
    let code = a
        .post(format!("{}/sign-in", served.base))
        .form(&[("token", bad)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(code.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!header(&code, "retry-after").is_empty());
    let link = a
        .post(format!("{}/sign-in/{}", served.base, "0".repeat(64)))
        .send()
        .await
        .expect("link");
    assert_eq!(link.status(), StatusCode::TOO_MANY_REQUESTS);
    // A valid token works from that address all the same, and from another one.
    let own = me(&a, &worker).await.expect("request");
    assert_eq!(own.status(), StatusCode::OK);
    let b = from(1);
    let other = me(&b, &manager).await.expect("request");
    assert_eq!(other.status(), StatusCode::OK);
    // Another address has its own allowance.
    let elsewhere = me(&b, bad).await.expect("request");
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
    // Requests that succeed are not counted against their address.
    let c = from(3);
    for _ in 0..10 {
        assert_eq!(
            me(&c, &worker).await.expect("request").status(),
            StatusCode::OK
        );
    }
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(me(&c, bad).await.expect("request").status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    let log = served.log_text();
    assert!(
        !log.contains(&worker[worker.len() - 20..]),
        "a token reached the log"
    );
    served.stop();
}

on_both!(sign_in_posts_from_other_sites_are_refused);
async fn sign_in_posts_from_other_sites_are_refused(db: &TestDb) {
    let made = tokens(db, &[(Role::Worker, "W1")]).await;
    let (token_id, worker) = made[0].clone();
    let served = Served::start(
        db,
        &[("TMS_SERVER__PUBLIC_URL", "https://tms.example.org/")],
    );
    let http = client(None);
    let sign_in = |headers: &[(&str, &str)]| {
        let mut request = http
            .post(format!("{}/sign-in", served.base))
            .form(&[("token", worker.as_str())]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("referer", "https://evil.example/page")],
        &[("origin", "null")],
        &[("origin", "https://tms.example.org.evil.example")],
        &[
            ("origin", "https://evil.example"),
            ("referer", "https://tms.example.org/sign-in"),
        ],
    ] {
        let answer = sign_in(headers).await.expect("sign in");
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(
            header(&answer, "set-cookie").is_empty(),
            "{headers:?} got a session"
        );
    }
    let own = served.base.clone();
    let own_referer = format!("{own}/sign-in");
    for headers in [
        &[("origin", own.as_str())][..],
        &[("referer", own_referer.as_str())],
        &[("origin", "https://tms.example.org")],
        &[],
    ] {
        let answer = sign_in(headers).await.expect("sign in");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{headers:?}");
        assert!(header(&answer, "set-cookie").starts_with("tms_session="));
    }
    // A one-time link posted from another site is refused and still works afterwards.
    let code = access::create_sign_in_link(&db.store, &token_id, chrono::Duration::minutes(30))
        .await
        .expect("link")
        .expect("a live token");
    let link = format!("{}/sign-in/{code}", served.base);
    let foreign = http
        .post(&link)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("link");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let ours = http
        .post(&link)
        .header("origin", own.as_str())
        .send()
        .await
        .expect("link");
    assert_eq!(ours.status(), StatusCode::SEE_OTHER);
    served.stop();
}

on_both!(personal_data_is_never_cached);
async fn personal_data_is_never_cached(db: &TestDb) {
    let made = tokens(db, &[(Role::Worker, "W1"), (Role::Manager, "CC1")]).await;
    let (worker, manager) = (made[0].1.clone(), made[1].1.clone());
    let served = Served::start(db, &[]);
    let http = client(None);
    let base = &served.base;
    let created = http
        .post(format!("{base}/api/v1/shifts"))
        .bearer_auth(&worker)
        .header("idempotency-key", "cache-1")
        .json(&harness::shift(
            None,
            "2026-10-06T09:00",
            "2026-10-06T10:00",
            &["A"],
        ))
        .send()
        .await
        .expect("submit");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(header(&created, "cache-control"), "no-store");
    let id = created.json::<serde_json::Value>().await.expect("json")["shift_id"]
        .as_i64()
        .expect("id");
    let reads = [
        (&worker, format!("/api/v1/shifts/{id}")),
        (&worker, "/api/v1/shifts".to_owned()),
        (&worker, "/api/v1/me".to_owned()),
        (
            &manager,
            "/api/v1/reports/charges?from=2026-10-01&to=2026-10-31".to_owned(),
        ),
        (
            &manager,
            "/api/v1/reports/allocation?period=2026-10".to_owned(),
        ),
        (&worker, "/api/v1/shifts/999999".to_owned()),
    ];
    for (token, path) in reads {
        let answer = http
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("read");
        assert_eq!(header(&answer, "cache-control"), "no-store", "{path}");
    }
    // Pages after sign-in, and the sign-in that sets the session cookie.
    let signed_in = http
        .post(format!("{base}/sign-in"))
        .form(&[("token", worker.as_str())])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&signed_in, "cache-control"), "no-store");
    let cookie = header(&signed_in, "set-cookie")
        .split(';')
        .next()
        .expect("a cookie")
        .to_owned();
    for path in ["/shifts", "/shifts/new", "/", &format!("/shifts/{id}/edit")] {
        let page = http
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("page");
        assert!(page.status().as_u16() < 400, "{path}: {}", page.status());
        assert_eq!(header(&page, "cache-control"), "no-store", "{path}");
    }
    // The stylesheet, which holds nothing personal, may still be cached.
    let css = http
        .get(format!("{base}/assets/tms.css"))
        .send()
        .await
        .expect("css");
    assert_eq!(header(&css, "cache-control"), "max-age=3600");
    served.stop();
}
