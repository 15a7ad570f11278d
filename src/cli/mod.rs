//! The command line: parsing, logging set-up, and one function per command. Exit codes are
//! listed in [`ExitStatus`] and the README.

pub mod audit;
pub mod demo;
pub mod expiry;
pub mod run;
pub mod serve;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::calendar::Period;
use crate::capture::ReferenceKind;
use crate::config::Settings;
use crate::domain::time::parse_date;
use crate::report::Format;
use crate::store::Store;
use crate::store::reference::ReferenceData;
use crate::usecase::{ImportError, ShiftImportOptions, import_reference, import_shifts};

/// Recosting passes `tms recost` makes while reference data keeps changing under it.
const RECOST_PASSES_MAX: usize = 5;

/// What the process tells its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Ok = 0,
    /// Something unexpected failed (database, disk); nothing half-written is kept.
    Failure = 1,
    /// The command line or the settings are wrong.
    Usage = 2,
    /// The import finished but some rows were rejected (see the reject report).
    Rejected = 3,
    /// The input file was refused as a whole; nothing from it was imported.
    Refused = 4,
    /// Another process is running the pipeline; this one did nothing.
    AlreadyRunning = 5,
    /// Every step asked for had already been done; nothing ran.
    AlreadyDone = 6,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// tms: shifts in, every worked minute allocated to the people supported, charges and costs out.
#[derive(Debug, Parser)]
#[command(name = "tms", version, about, propagate_version = true)]
pub struct Cli {
    /// Settings file layered over config/default.toml (TMS_* variables override both).
    #[arg(long, global = true, env = "TMS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format; `auto` is text on a terminal and JSON otherwise.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
    /// Only warnings and errors in the log.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written to standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON lines otherwise.
    Auto,
    /// Readable lines.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update the database schema.
    Migrate,
    /// Import a CSV file: `shifts` or a reference kind (see docs/formats.md).
    Import {
        /// shifts, cost-centres, services, workers, base-rates, people, payers, arrangements,
        /// rate-card, pay-rules, budgets, bank-holidays, one-offs
        kind: String,
        /// The file to import.
        file: PathBuf,
    },
    /// Recost shifts marked as out of date (`--all`: every shift).
    Recost {
        /// Recost every stored shift, not only those marked out of date: after reference data
        /// was changed outside tms (by hand in the database).
        #[arg(long)]
        all: bool,
    },
    /// Reports: charges, allocation, rejects, unpriced, late changes.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Generate a synthetic provider, import it with the same commands a user runs, and summarise.
    Demo(demo::DemoArgs),
    /// Run the nightly pipeline (`nightly`) or one of its steps, under the run lease.
    Run(run::RunArgs),
    /// Work on partitions of pipeline steps (several processes, on one machine or many).
    Worker(run::WorkerArgs),
    /// Serve the API v1 and the phone page until stopped (Ctrl-C or SIGTERM), running the
    /// nightly pipeline on its schedule.
    Serve(serve::ServeArgs),
    /// Create, list and revoke API tokens, and make sign-in links.
    #[command(subcommand)]
    Token(serve::TokenCommand),
    /// Who changed a shift or a reference record, what and when, with before and after.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// One row per invoice line (docs/formats.md).
    Charges {
        /// First local date of the charges (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date_arg)]
        from: NaiveDate,
        /// Last local date of the charges, included (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date_arg)]
        to: NaiveDate,
        /// Only this person's charges (a person_id of the people file).
        #[arg(long)]
        person: Option<String>,
        /// How the report is written.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Allocated minutes and cost per person, and unallocated work per cost centre.
    Allocation {
        /// The month (YYYY-MM).
        #[arg(long)]
        period: Period,
        /// How the report is written.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Rejected shift rows still open, optionally of one file (`--all`: resolved ones too).
    Rejects {
        /// Only the rejects of the file imported under this name (shifts-2026-10.csv).
        #[arg(long)]
        file: Option<String>,
        /// Also rows resolved by a later accepted shift, with when and by what.
        #[arg(long)]
        all: bool,
        /// How the report is written.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// What changed in a closed period since it closed, per person and payer, shift and
    /// one-off item.
    LateChanges {
        /// YYYY-MM
        #[arg(long)]
        period: Period,
        /// How the report is written.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Time (and one-off items) that no rate applies to.
    Unpriced {
        /// First local date (YYYY-MM-DD); default: everything stored.
        #[arg(long, value_parser = parse_date_arg, default_value = "1900-01-01")]
        from: NaiveDate,
        /// Last local date, included (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date_arg, default_value = "2999-12-31")]
        to: NaiveDate,
        /// How the report is written.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

pub(crate) fn parse_date_arg(raw: &str) -> Result<NaiveDate, String> {
    parse_date(raw).map_err(|e| e.to_string())
}

/// Sets up logging to standard error.
pub fn init_logging(format: LogFormat, quiet: bool) {
    let default = if quiet {
        "warn,sqlx=error"
    } else {
        "info,sqlx=error"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TMS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.compact().init();
    }
}

/// Opens the configured database and brings its schema up to date. A failure names the
/// database (never its password) and the setting that chose it.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = &settings.database.url;
    Store::open_and_migrate(url, settings.database.max_connections)
        .await
        .with_context(|| {
            format!(
                "opening the database {} (check the setting database.url, or TMS_DATABASE__URL)",
                crate::store::redact_url(url)
            )
        })
}

/// Who the audit trail says made a change from this command line: `cli:USER`.
pub fn cli_actor() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|u| !u.is_empty()));
    match user {
        Some(user) => format!("cli:{user}"),
        None => "cli".to_owned(),
    }
}

/// Loads reference data as the engine needs it.
pub async fn reference(store: &Store, settings: &Settings) -> anyhow::Result<ReferenceData> {
    crate::usecase::reference::current(store, settings)
        .await
        .context("loading reference data")
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let settings = Settings::load(cli.config.as_deref())?;
    tracing::debug!(?settings, "settings loaded");
    match cli.command {
        Command::Migrate => {
            let store = open_store(&settings).await?;
            store.close().await;
            println!("database is up to date");
            Ok(ExitStatus::Ok)
        }
        Command::Import { kind, file } => {
            let store = open_store(&settings).await?;
            let status = import(&store, &settings, &kind, &file).await;
            store.close().await;
            status
        }
        Command::Recost { all } => {
            let store = open_store(&settings).await?;
            if all {
                let mut tx = store.begin().await?;
                crate::store::reference::mark_for_costing(&mut tx, None).await?;
                tx.commit().await?;
            }
            // Shifts costed while reference data changed stay marked: cost them again from the
            // new data, a few times at most while changes keep arriving.
            let mut counts = crate::ledger::RecostCounts::default();
            for _ in 0..RECOST_PASSES_MAX {
                let reference = reference(&store, &settings).await?;
                let pass = crate::ledger::recost_marked(&store, &reference).await?;
                counts.shifts += pass.shifts;
                counts.allocation_rows += pass.allocation_rows;
                counts.failed = pass.failed;
                counts.stale = pass.stale;
                if pass.stale == 0 {
                    break;
                }
            }
            if counts.stale > 0 {
                println!(
                    "{} shifts were costed while reference data kept changing; they stay marked",
                    counts.stale
                );
            }
            println!(
                "recosted {} shifts ({} allocation rows); {} could not be costed",
                counts.shifts, counts.allocation_rows, counts.failed
            );
            store.close().await;
            Ok(if counts.failed > 0 || counts.stale > 0 {
                ExitStatus::Rejected
            } else {
                ExitStatus::Ok
            })
        }
        Command::Report(report) => {
            let store = open_store(&settings).await?;
            let result = run_report(&store, &settings, report).await;
            store.close().await;
            result
        }
        Command::Demo(args) => demo::run(&settings, args).await,
        Command::Run(args) => run::run_command(&settings, args).await,
        Command::Worker(args) => run::worker_command(&settings, args).await,
        Command::Serve(args) => serve::serve(settings, args).await,
        Command::Token(command) => serve::token(settings, command).await,
        Command::Audit(command) => audit::audit(&settings, command).await,
    }
}

/// Imports one file of `kind`, printing a summary; the exit status says whether rows were lost.
pub async fn import(
    store: &Store,
    settings: &Settings,
    kind: &str,
    file: &Path,
) -> anyhow::Result<ExitStatus> {
    let outcome = if kind == "shifts" {
        let reference = reference(store, settings).await?;
        let options = ShiftImportOptions {
            approve: settings.import.auto_approve,
            output_dir: settings.paths.output_dir.clone(),
            job_run_id: None,
            scope: String::new(),
            actor: cli_actor(),
        };
        let bar = crate::progress::bar(None);
        let result = import_shifts(store, &reference, file, &options, &bar).await;
        bar.finish_and_clear();
        result.map(|summary| {
            let c = summary.counts;
            println!(
                "{}: {} rows; shifts: {} new, {} amended, {} unchanged, {} rejected ({} rows)",
                summary.file,
                c.rows_read,
                c.shifts_new,
                c.shifts_amended,
                c.shifts_unchanged,
                c.shifts_rejected,
                c.rows_rejected
            );
            if c.rows_read == 0 {
                println!(
                    "{}: the file has a header but no rows; nothing imported",
                    summary.file
                );
            }
            if let Some(path) = &summary.reject_report {
                println!("rejected rows: {}", path.display());
            }
            if c.rows_rejected > 0 {
                ExitStatus::Rejected
            } else {
                ExitStatus::Ok
            }
        })
    } else {
        let kind: ReferenceKind = match kind.parse() {
            Ok(k) => k,
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(ExitStatus::Usage);
            }
        };
        let result = import_reference(
            store,
            &cli_actor(),
            kind,
            file,
            settings.zone(),
            settings.band_rules().clone(),
            &settings.provider.bank_holiday_calendar,
        )
        .await;
        result.map(|s| {
            if s.rows == 0 {
                println!(
                    "{}: the file has a header but no rows; nothing imported",
                    s.file
                );
            }
            println!(
                "{} {}: {} rows; {} new, {} updated, {} removed, {} unchanged; {} shifts recosted",
                s.kind,
                s.file,
                s.rows,
                s.inserted,
                s.updated,
                s.deleted,
                s.unchanged,
                s.shifts_recosted
            );
            for note in &s.notes {
                println!("{}: {note}", s.file);
            }
            ExitStatus::Ok
        })
    };
    match outcome {
        Ok(status) => {
            // Gaps that leave money zero or missing: said after every import, exit code as is.
            let reference = reference(store, settings).await?;
            let today = settings.zone().local_date(chrono::Utc::now());
            for warning in crate::usecase::reference_warnings(store, &reference, today).await? {
                eprintln!("warning: {warning}");
            }
            Ok(status)
        }
        Err(ImportError::File(e)) => {
            eprintln!("error: {e}");
            Ok(ExitStatus::Refused)
        }
        Err(e @ ImportError::Refused { .. }) => {
            eprintln!("error: {e}");
            Ok(ExitStatus::Refused)
        }
        Err(e) => Err(e).with_context(|| format!("importing {}", file.display())),
    }
}

async fn run_report(
    store: &Store,
    settings: &Settings,
    report: ReportCommand,
) -> anyhow::Result<ExitStatus> {
    let (table, format) = match report {
        ReportCommand::Charges {
            from,
            to,
            person,
            format,
        } => {
            if to < from {
                eprintln!("error: --to {to} is before --from {from}");
                return Ok(ExitStatus::Usage);
            }
            let reference = reference(store, settings).await?;
            if let Some(person) = &person
                && !reference.people.iter().any(|p| p.as_str() == person)
            {
                eprintln!("error: --person {person}: no person with that id has been imported");
                return Ok(ExitStatus::Usage);
            }
            let (lines, _) =
                crate::report::charge_lines(store, &reference, from, to, person.as_deref()).await?;
            (crate::report::charges_table(&lines), format)
        }
        ReportCommand::Allocation { period, format } => {
            let rows = crate::report::allocation_totals(store, period).await?;
            (crate::report::allocation_table(period, &rows), format)
        }
        ReportCommand::Rejects { file, all, format } => {
            if let Some(file) = &file
                && !crate::store::reports::imported_under(store, file).await?
            {
                eprintln!("error: --file {file}: no file has been imported under that name");
                return Ok(ExitStatus::Usage);
            }
            (
                if all {
                    crate::report::all_rejects(store, file.as_deref(), settings.zone()).await?
                } else {
                    crate::report::rejects(store, file.as_deref()).await?
                },
                format,
            )
        }
        ReportCommand::LateChanges { period, format } => {
            let reference = reference(store, settings).await?;
            let Some(changes) =
                crate::report::closed::late_changes(store, &reference, period).await?
            else {
                eprintln!(
                    "error: {period} has not closed, so nothing has changed since: its charges are in `tms report charges` (a period closes runner.period_close_days days after its last day)"
                );
                return Ok(ExitStatus::Usage);
            };
            (crate::report::closed::late_changes_table(&changes), format)
        }
        ReportCommand::Unpriced { from, to, format } => {
            let reference = reference(store, settings).await?;
            (
                crate::report::unpriced(store, &reference, from, to).await?,
                format,
            )
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    table.write(format, &mut out)?;
    out.flush()?;
    Ok(ExitStatus::Ok)
}
