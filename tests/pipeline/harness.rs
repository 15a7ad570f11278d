//! A provider on disk for pipeline tests: a database (SQLite file or PostgreSQL database), an
//! inbox, output and outbox folders, and the `tms` binary pointed at them. Environments can be
//! cloned cheaply (a file copy, or `CREATE DATABASE ... TEMPLATE`), and their whole state read
//! back for comparison.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection};

use crate::support::{Backend, TestDatabase};

/// One provider's database and folders.
pub(crate) struct Env {
    db: TestDatabase,
    pub(crate) extra_env: Vec<(String, String)>,
}

impl Env {
    /// An empty provider, or `None` when the backend is not available.
    pub(crate) fn fresh(backend: Backend) -> Option<Env> {
        let db = TestDatabase::new(backend)?;
        for folder in ["inbox", "out", "outbox", "data"] {
            std::fs::create_dir_all(db.path(folder)).expect("folder");
        }
        Some(Env {
            db,
            extra_env: Vec::new(),
        })
    }

    /// A copy of this provider: database and folders. No process may be using `self`.
    pub(crate) fn copy(&self) -> Env {
        Env {
            db: self.db.copy(),
            extra_env: self.extra_env.clone(),
        }
    }

    /// The database's URL.
    pub(crate) fn url(&self) -> &str {
        self.db.url()
    }

    pub(crate) fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The provider's folder.
    pub(crate) fn dir(&self) -> &Path {
        self.db.dir()
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.db.path(name)
    }

    /// `tms ARGS` against this provider.
    pub(crate) fn command(&self, args: &[&str]) -> tokio::process::Command {
        self.command_via(&[], args)
    }

    /// `tms ARGS` against this provider, started by `wrapper` (a program and its arguments,
    /// given the binary and ARGS after them); directly when `wrapper` is empty.
    pub(crate) fn command_via(&self, wrapper: &[&str], args: &[&str]) -> tokio::process::Command {
        let tms = env!("CARGO_BIN_EXE_tms");
        let mut command = match wrapper.split_first() {
            None => tokio::process::Command::new(tms),
            Some((program, first)) => {
                let mut command = tokio::process::Command::new(program);
                command.args(first).arg(tms);
                command
            }
        };
        command
            .args(args)
            .env_remove("TMS_CONFIG")
            .env_remove("TMS_FAILPOINTS")
            .env_remove("TMS_FAILPOINT_TRACE")
            .env("TMS_LOG", "warn")
            .env("TMS_DATABASE__URL", self.db.url())
            .env("TMS_PATHS__DATA_DIR", self.path("data"))
            .env("TMS_PATHS__OUTPUT_DIR", self.path("out"))
            .env("TMS_RUNNER__INBOX_DIR", self.path("inbox"))
            .env("TMS_RUNNER__SETTLE_SECONDS", "0")
            // Each case's nights close the month that ends on them (`extra_env` may set the
            // default delay back).
            .env("TMS_RUNNER__PERIOD_CLOSE_DAYS", "0")
            .env("TMS_RUNNER__REPORT_TO", "finance@example.org")
            .env("TMS_EMAIL__OUTBOX_DIR", self.path("outbox"))
            .env("TMS_EMAIL__TRANSPORT", "file")
            .kill_on_drop(true);
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        command
    }

    /// Runs `tms ARGS` to the end.
    pub(crate) async fn tms(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().await.expect("run tms")
    }

    /// Copies files into the inbox.
    pub(crate) fn drop_in_inbox(&self, files: &[PathBuf]) {
        for file in files {
            std::fs::copy(
                file,
                self.path("inbox").join(file.file_name().expect("name")),
            )
            .expect("copy into the inbox");
        }
    }

    /// Runs SQL statements.
    pub(crate) async fn execute(&self, sql: &str) {
        match self.backend() {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(self.db.url())
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut conn)
                    .await
                    .expect(sql);
                conn.close().await.ok();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(self.db.url())
                    .await
                    .expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut conn)
                    .await
                    .expect(sql);
                conn.close().await.ok();
            }
        }
    }

    /// Text rows of a query whose one column is text.
    pub(crate) async fn texts(&self, sql: &str) -> Vec<String> {
        match self.backend() {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(self.db.url())
                    .await
                    .expect("connect");
                let rows: Vec<Option<String>> = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut conn)
                    .await
                    .expect(sql);
                conn.close().await.ok();
                rows.into_iter().map(Option::unwrap_or_default).collect()
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(self.db.url())
                    .await
                    .expect("connect");
                let rows: Vec<Option<String>> = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut conn)
                    .await
                    .expect(sql);
                conn.close().await.ok();
                rows.into_iter().map(Option::unwrap_or_default).collect()
            }
        }
    }

    /// Lets the run lease and partition claims go, as their expiry would after a killed run.
    pub(crate) async fn expire_lease(&self) {
        self.execute("update run_lease set expires_at = 0").await;
        self.execute("update work_partition set lease_expires_at = 0")
            .await;
    }

    /// Everything a run leaves behind that must not depend on crashes: business rows by their
    /// business keys (not generated ids), step outcomes, the outbox, and the files written.
    pub(crate) async fn state(&self) -> String {
        let b = |sqlite: &str, pg: &str| match self.backend() {
            Backend::Sqlite => sqlite.to_owned(),
            Backend::Postgres => pg.to_owned(),
        };
        let flag = b("s.needs_costing", "s.needs_costing::int");
        let queries = [
            format!("select s.worker_id || '|' || s.shift_ref || '|' || s.version || '|' || s.status || '|' || s.content_hash || '|' || {flag} from shift s order by 1"),
            "select s.worker_id || '|' || s.shift_ref || '|' || a.row_no || '|' || a.local_date || '|' || a.band || '|' || coalesce(a.person_id, '-') || '|' || a.minutes || '|' || a.allocated_ticks || '|' || a.pay_pence || '|' || coalesce(a.entry_rate_centipence, -1) || '|' || a.cost_centre_id from allocation a join shift s on s.shift_id = a.shift_id order by 1".to_owned(),
            "select kind || '|' || file_name || '|' || sha256 || '|' || status || '|' || rows_read || '|' || shifts_new || '|' || shifts_amended || '|' || shifts_unchanged || '|' || rows_rejected from import_file order by 1".to_owned(),
            "select file_name || '|' || kind || '|' || outcome || '|' || rows_read || '|' || shifts_new || '|' || rows_rejected || '|' || detail from ingest_file order by 1".to_owned(),
            "select step || '|' || run_key || '|' || status || '|' || counts || '|' || amount_pence || '|' || warnings || '|' || coalesce(error, '') from job_run order by 1".to_owned(),
            "select message_id || '|' || status || '|' || recipients || '|' || subject from outbox order by 1".to_owned(),
            "select business_date || '|' || outcome from run_report order by 1".to_owned(),
            "select partition_key || '|' || status || '|' || completions || '|' || result from work_partition order by 1".to_owned(),
        ];
        let mut out = String::new();
        for sql in &queries {
            for row in self.texts(sql).await {
                out.push_str(&row);
                out.push('\n');
            }
            out.push_str("--\n");
        }
        for (path, digest) in files_of(self.dir()) {
            if path.starts_with("tms.db") || path.starts_with("data/") {
                continue;
            }
            // Messages hold the report, which says how many attempts a step took.
            let digest = if path.starts_with("outbox/") {
                String::new()
            } else {
                digest
            };
            out.push_str(&format!("{path} {digest}\n"));
        }
        out
    }

    /// Row count and content digest of every table.
    pub(crate) async fn checksums(&self) -> BTreeMap<String, String> {
        let tables = match self.backend() {
            Backend::Sqlite => self.texts("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").await,
            Backend::Postgres => self.texts("select table_name::text from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1").await,
        };
        let mut sums = BTreeMap::new();
        for table in tables {
            let sql = match self.backend() {
                Backend::Sqlite => {
                    let columns = self
                        .texts(&format!(
                            "select name from pragma_table_info('{table}') order by cid"
                        ))
                        .await;
                    let row = columns
                        .iter()
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect::<Vec<_>>()
                        .join(" || ',' || ");
                    format!("select {row} from \"{table}\" order by 1")
                }
                Backend::Postgres => format!("select x::text from \"{table}\" x order by 1"),
            };
            let rows = self.texts(&sql).await;
            let mut hasher = Sha256::new();
            for row in &rows {
                hasher.update(row.as_bytes());
                hasher.update(b"\n");
            }
            sums.insert(
                table,
                format!("{} rows {:x}", rows.len(), hasher.finalize()),
            );
        }
        sums
    }
}

/// Every file under `root` (relative path, sha256), sorted.
pub(crate) fn files_of(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string();
                let digest = format!("{:x}", Sha256::digest(std::fs::read(&path).expect("read")));
                out.push((rel, digest));
            }
        }
    }
    out.sort();
    out
}

/// The demo provider's files for `months` months from 2026-10, written once per test binary.
pub(crate) fn demo_files() -> &'static DemoFiles {
    static FILES: std::sync::OnceLock<DemoFiles> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("tms-pipeline-demo-{}", std::process::id()));
        let files = tms::demo::generate(
            &tms::demo::DemoSpec {
                seed: 7,
                people: 10,
                workers: 16,
                first_month: (2026, 10),
                months: 2,
            },
            &dir,
        )
        .expect("demo files");
        DemoFiles {
            reference: files.reference.into_iter().map(|(_, p)| p).collect(),
            shifts: files.shifts,
        }
    })
}

pub(crate) struct DemoFiles {
    pub(crate) reference: Vec<PathBuf>,
    pub(crate) shifts: Vec<PathBuf>,
}
