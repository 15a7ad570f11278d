//! `tms run` and `tms worker`: the nightly pipeline from the command line.

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;

use super::{ExitStatus, open_store, parse_date_arg};
use crate::calendar::Period;
use crate::calendar::schedule::business_date_of;
use crate::config::Settings;
use crate::pipeline::{
    Cadence, RunKey, RunOutcome, RunRequest, Step, catch_up_dates, forced, last_night_done, run,
};
use crate::store::Store;

/// Options of `tms run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// `nightly` (every step, in order) or one step: ingest, allocate, period-charges, report,
    /// send-outbox.
    pub target: String,
    /// The business date (default: yesterday in the provider's zone).
    #[arg(long, value_parser = parse_date_arg)]
    pub date: Option<NaiveDate>,
    /// The period of a period step (default: the latest closed by --date).
    #[arg(long)]
    pub period: Option<Period>,
    /// Compute everything on a copy of the database and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run these steps again even if done (with a single step, `--force` alone).
    #[arg(long, num_args = 0.., value_name = "STEP")]
    pub force: Option<Vec<String>>,
}

/// Options of `tms worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Stop after this many seconds with nothing to do (default: run until stopped).
    #[arg(long)]
    pub idle_exit: Option<u64>,
    /// How often to look for work, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
}

/// Yesterday in the provider's zone: the day a run at night processes.
pub fn default_business_date(settings: &Settings) -> anyhow::Result<NaiveDate> {
    Ok(business_date_of(Utc::now(), settings.zone().tz()))
}

/// `tms run ...`
pub async fn run_command(settings: &Settings, args: RunArgs) -> anyhow::Result<ExitStatus> {
    let date = match args.date {
        Some(date) => date,
        None => default_business_date(settings)?,
    };
    let (only, force) = if args.target == "nightly" {
        if args.period.is_some() {
            eprintln!("error: --period is for a single period step; nightly uses --date");
            return Ok(ExitStatus::Usage);
        }
        let mut force = Vec::new();
        match &args.force {
            Some(names) if names.is_empty() => {
                eprintln!("error: name the steps to run again, e.g. --force allocate");
                return Ok(ExitStatus::Usage);
            }
            Some(names) => {
                for name in names {
                    let Ok(step) = Step::from_name(name) else {
                        eprintln!("error: --force {name}: {}", known_steps());
                        return Ok(ExitStatus::Usage);
                    };
                    force.push(step);
                }
            }
            None => {}
        }
        (None, force)
    } else {
        let Ok(step) = Step::from_name(&args.target) else {
            eprintln!(
                "error: '{}' is not nightly or a step; {}",
                args.target,
                known_steps()
            );
            return Ok(ExitStatus::Usage);
        };
        let key = match (step.cadence(), args.period) {
            (Cadence::Period, Some(period)) => RunKey::Period(period),
            (Cadence::Period, None) => RunKey::Period(crate::pipeline::closed_period(
                date,
                settings.runner.period_close_days,
            )),
            (Cadence::Nightly, None) => RunKey::Date(date),
            (Cadence::Nightly, Some(_)) => {
                eprintln!("error: {step} runs per business date: use --date, not --period");
                return Ok(ExitStatus::Usage);
            }
        };
        let force = if args.force.is_some() {
            vec![step]
        } else {
            Vec::new()
        };
        (Some((step, key)), force)
    };
    // A step that issues documents is never run again: refused before anything is opened.
    if let Err(refused) = forced(&force) {
        eprintln!("error: {refused}");
        return Ok(ExitStatus::Usage);
    }
    let store = open_store(settings).await?;
    let dates = if args.date.is_none() && only.is_none() {
        missed_nights(&store, settings, date).await?
    } else {
        vec![date]
    };
    let mut status = ExitStatus::AlreadyDone;
    for (i, date) in dates.iter().enumerate() {
        if dates.len() > 1 {
            println!(
                "{}catching up: night {} of {} ({date})",
                if i > 0 { "\n" } else { "" },
                i + 1,
                dates.len()
            );
        }
        let request = RunRequest {
            business_date: *date,
            only,
            force: force.clone(),
            dry_run: args.dry_run,
        };
        let outcome = run(&store, settings, &request)
            .await
            .with_context(|| format!("running the pipeline for {date}"));
        let this = match outcome {
            Ok(outcome) => print_outcome(&outcome),
            Err(error) => {
                store.close().await;
                return Err(error);
            }
        };
        // The night's status, or for catch-up the first that is not "already done".
        if status == ExitStatus::AlreadyDone || this != ExitStatus::Ok {
            status = this;
        }
        if matches!(this, ExitStatus::Failure | ExitStatus::AlreadyRunning) {
            break;
        }
    }
    store.close().await;
    Ok(status)
}

/// Without `--date`, a run catches up the nights since the last one finished (at most
/// `runner.catch_up_days`), oldest first, ending with `yesterday`.
async fn missed_nights(
    store: &Store,
    settings: &Settings,
    yesterday: NaiveDate,
) -> anyhow::Result<Vec<NaiveDate>> {
    Ok(catch_up_dates(
        last_night_done(store).await?,
        yesterday,
        settings.runner.catch_up_days,
    ))
}

fn known_steps() -> String {
    format!("the steps are {}", crate::domain::step::step_names())
}

/// Prints how a run ended and gives its exit status.
pub fn print_outcome(outcome: &RunOutcome) -> ExitStatus {
    match outcome {
        RunOutcome::Done(report) | RunOutcome::Failed(report) => {
            if let Some(line) = &report.taken_over {
                println!("{line}");
            }
            for line in &report.replaced {
                println!("{line}");
            }
            print!("{}", report.text);
            if matches!(outcome, RunOutcome::Failed(_)) {
                ExitStatus::Failure
            } else {
                ExitStatus::Ok
            }
        }
        RunOutcome::AlreadyDone(report) => {
            println!(
                "already done: every step has run; nothing to do (use --force STEP to run one again)"
            );
            if let Some(text) = report {
                println!();
                print!("{text}");
            }
            ExitStatus::AlreadyDone
        }
        RunOutcome::AlreadyRunning { holder, until } => {
            println!(
                "already running: {holder} holds the run lease (until {} unless renewed); nothing done",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            );
            ExitStatus::AlreadyRunning
        }
    }
}

/// `tms worker`
pub async fn worker_command(settings: &Settings, args: WorkerArgs) -> anyhow::Result<ExitStatus> {
    let store = open_store(settings).await?;
    let counts = crate::pipeline::worker::run_worker(
        &store,
        settings,
        args.idle_exit.map(std::time::Duration::from_secs),
        std::time::Duration::from_millis(args.poll_ms.max(10)),
        crate::http::shutdown_signal(),
    )
    .await;
    store.close().await;
    let counts = counts?;
    println!(
        "worker stopped: {} partition(s) done, {} lost to another worker",
        counts.partitions, counts.lost
    );
    Ok(ExitStatus::Ok)
}
