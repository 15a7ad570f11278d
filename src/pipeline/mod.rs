//! The nightly pipeline: steps recorded in `job_run`, run under one fenced lease, on a schedule
//! or from the system scheduler, and spread over `tms worker` processes where a step is split
//! into partitions.
//!
//! A run for business date D goes through [`Step::ALL`] in order. Nightly steps run under the
//! key D; period steps under the latest period closed by D. A step already done is skipped, a
//! failed or interrupted one is resumed, and `--force` runs a done one again. Every step is
//! idempotent, so a run killed at any point finishes the job when started again.

pub mod allocate;
pub mod dry_run;
pub mod holder;
pub mod ingest;
pub mod period;
pub mod summary;
pub mod worker;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use tracing::Instrument;

use crate::calendar::Period;
use crate::config::Settings;
use crate::delivery::email::{EmailError, Transport, message_id, send_due};
use crate::store::runs::{
    JobRun, JobStatus, Lease, LeaseClaim, NIGHTLY_LEASE, OutboxMessage, OutboxStatus, StepTotals,
    acquire_lease, enqueue_in, finish_job_run_in, job_run, job_runs_for, latest_run_report,
    release_lease, renew_lease, start_job_run, take_over_lease,
};
use crate::store::{Store, StoreError};

/// A step of the pipeline. Later stages (budget check, invoices and statements, direct debit,
/// payroll) join this list as period steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Step {
    /// Import the CSV files waiting in the inbox.
    Ingest,
    /// Allocate and rate shifts whose costs are out of date, partition by partition.
    Allocate,
    /// Write the closed period's charges and allocation reports.
    PeriodCharges,
    /// Store the run report and queue it for finance.
    Report,
    /// Send the email outbox.
    SendOutbox,
}

/// How often a step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// Every night, keyed by the business date.
    Nightly,
    /// Once per period, when it has closed, keyed by the period.
    Period,
}

impl Step {
    /// Every step, in the order a run takes them.
    pub const ALL: [Step; 5] = [
        Step::Ingest,
        Step::Allocate,
        Step::PeriodCharges,
        Step::Report,
        Step::SendOutbox,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Step::Ingest => "ingest",
            Step::Allocate => "allocate",
            Step::PeriodCharges => "period-charges",
            Step::Report => "report",
            Step::SendOutbox => "send-outbox",
        }
    }

    pub const fn cadence(self) -> Cadence {
        match self {
            Step::PeriodCharges => Cadence::Period,
            _ => Cadence::Nightly,
        }
    }

    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a step runs under: a business date or a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKey {
    Date(NaiveDate),
    Period(Period),
}

impl fmt::Display for RunKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunKey::Date(d) => write!(f, "{d}"),
            RunKey::Period(p) => write!(f, "{p}"),
        }
    }
}

/// The latest period whose last day is at least `close_days` before `date`.
pub fn closed_period(date: NaiveDate, close_days: i64) -> Period {
    let latest = date - chrono::Duration::days(close_days.max(0));
    let containing = Period::containing(latest);
    if latest == containing.last_day() {
        containing
    } else {
        Period::containing(containing.first_day() - chrono::Duration::days(1))
    }
}

/// The keys the steps of a run for `date` work under.
pub fn plan(date: NaiveDate, close_days: i64) -> Vec<(Step, RunKey)> {
    let period = closed_period(date, close_days);
    Step::ALL
        .into_iter()
        .map(|step| match step.cadence() {
            Cadence::Nightly => (step, RunKey::Date(date)),
            Cadence::Period => (step, RunKey::Period(period)),
        })
        .collect()
}

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub business_date: NaiveDate,
    /// Run only this step, under this key.
    pub only: Option<(Step, RunKey)>,
    /// Steps to run again even if done.
    pub force: Vec<Step>,
    /// Compute everything on a copy and write nothing (see [`dry_run`]).
    pub dry_run: bool,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Step(String),
    /// A money total left the range of 64-bit pence; the step fails rather than record it.
    #[error(transparent)]
    Money(#[from] crate::domain::money::MoneyError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl PipelineError {
    /// Maps a file error to one naming the file.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
        move |source| PipelineError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug)]
pub enum RunOutcome {
    /// Every step is done; the report says what ran.
    Done(RunReport),
    /// A step failed; the report names it. Running again resumes it.
    Failed(RunReport),
    /// Every step had already been done: nothing ran. The stored report, if any.
    AlreadyDone(Option<String>),
    /// Another run holds the lease.
    AlreadyRunning {
        holder: String,
        until: DateTime<Utc>,
    },
}

/// The end of a run, as printed, stored and emailed.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub business_date: NaiveDate,
    pub text: String,
    /// Done steps run again on request, each with what it replaced.
    pub replaced: Vec<String>,
    /// The run lease, taken over from a process that had died holding it.
    pub taken_over: Option<String>,
}

/// What a step can see while it runs.
pub struct StepContext<'a> {
    pub store: &'a Store,
    pub settings: &'a Settings,
    pub lease: &'a Lease,
    pub business_date: NaiveDate,
    pub key: RunKey,
    pub job_run_id: i64,
    pub dry_run: bool,
    pub lost: &'a AtomicBool,
    /// When this run started, for the report.
    pub started_at: DateTime<Utc>,
}

impl StepContext<'_> {
    /// Fails once the lease has been taken over: the step stops before writing more.
    pub fn check_lease(&self) -> Result<(), PipelineError> {
        if self.lost.load(Ordering::SeqCst) {
            Err(StoreError::LeaseLost(self.lease.name.clone()).into())
        } else {
            Ok(())
        }
    }
}

/// How long the run lease and partition claims last without renewal.
pub fn lease_ttl(settings: &Settings) -> chrono::Duration {
    chrono::Duration::seconds(settings.runner.lease_seconds.max(5))
}

/// A name for this process in leases and claims: host, process id and a random part.
pub fn holder_name() -> String {
    format!(
        "{}:{}:{:08x}",
        holder::host_name(),
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Runs the pipeline (or one step) for a business date.
pub async fn run(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
) -> Result<RunOutcome, PipelineError> {
    if request.dry_run {
        return dry_run::run(store, settings, request).await;
    }
    let span = tracing::info_span!("run", business_date = %request.business_date);
    run_on(store, settings, request).instrument(span).await
}

pub(crate) async fn run_on(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
) -> Result<RunOutcome, PipelineError> {
    let date = request.business_date;
    let steps = match request.only {
        Some(only) => vec![only],
        None => plan(date, settings.runner.period_close_days),
    };
    let ttl = lease_ttl(settings);
    let holder = holder_name();
    let me = holder::this_process();
    let (lease, taken_over) = match acquire_lease(
        store,
        NIGHTLY_LEASE,
        &holder,
        &me,
        ttl,
        Utc::now(),
    )
    .await?
    {
        LeaseClaim::Acquired(lease) => (lease, None),
        LeaseClaim::Held {
            holder: held_by,
            expires_at,
            token,
            process,
        } => {
            // A holder that died on this machine (killed, or the power cut mid-run) is taken
            // over at once; any other holder is waited for.
            let taken = if holder::is_dead_here(&process) {
                take_over_lease(store, NIGHTLY_LEASE, &holder, &me, ttl, token, Utc::now()).await?
            } else {
                None
            };
            let Some(lease) = taken else {
                return Ok(if all_done(store, &steps, &request.force).await? {
                    RunOutcome::AlreadyDone(latest_run_report(store, &date.to_string()).await?)
                } else {
                    RunOutcome::AlreadyRunning {
                        holder: held_by,
                        until: expires_at,
                    }
                });
            };
            tracing::warn!(holder = %held_by, pid = process.pid, "the run lease's holder is no longer running; lease taken over");
            let note = format!(
                "the run lease was held by {held_by}, whose process {} is no longer running: taken over",
                process.pid
            );
            (lease, Some(note))
        }
    };
    tracing::info!(token = lease.token, "run lease taken");
    let lost = Arc::new(AtomicBool::new(false));
    // Stopped however the run ends, a panic included: a dead run must not keep its lease.
    let heartbeat = AbortOnDrop(tokio::spawn(keep_lease(
        store.clone(),
        lease.clone(),
        ttl,
        lost.clone(),
    )));
    let result = run_steps(store, settings, request, &steps, &lease, &lost).await;
    drop(heartbeat);
    let released = release_lease(store, &lease).await;
    let mut outcome = result?;
    released?;
    if let RunOutcome::Done(report) | RunOutcome::Failed(report) = &mut outcome {
        report.taken_over = taken_over;
    }
    Ok(outcome)
}

async fn all_done(
    store: &Store,
    steps: &[(Step, RunKey)],
    force: &[Step],
) -> Result<bool, StoreError> {
    if !force.is_empty() {
        return Ok(false);
    }
    for (step, key) in steps {
        let done = job_run(store, step.name(), &key.to_string())
            .await?
            .is_some_and(|r| r.status == JobStatus::Done);
        if !done {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews the lease at a third of its life; flags it lost if another run took it over.
async fn keep_lease(store: Store, lease: Lease, ttl: chrono::Duration, lost: Arc<AtomicBool>) {
    let period = (ttl / 3)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(5));
    loop {
        tokio::time::sleep(period).await;
        match renew_lease(&store, &lease, ttl, Utc::now()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!("the run lease was taken over; stopping");
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(error) => tracing::warn!(%error, "cannot renew the run lease; retrying"),
        }
    }
}

async fn run_steps(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
    steps: &[(Step, RunKey)],
    lease: &Lease,
    lost: &AtomicBool,
) -> Result<RunOutcome, PipelineError> {
    let date = request.business_date;
    let started_at = Utc::now();
    let mut replaced = Vec::new();
    let mut ran_any = false;
    for &(step, key) in steps {
        let key_text = key.to_string();
        let forced = request.force.contains(&step);
        let existing = job_run(store, step.name(), &key_text).await?;
        if let Some(done) = existing.as_ref().filter(|r| r.status == JobStatus::Done) {
            if !forced {
                tracing::info!(step = step.name(), key = %key_text, "already done; skipped");
                continue;
            }
            replaced.push(describe_replaced(done));
            if step == Step::Allocate {
                crate::store::runs::reset_partitions(store, step.name(), &key_text).await?;
            }
        }
        let Some(job_run_id) =
            start_job_run(store, lease, step.name(), &key_text, forced, Utc::now()).await?
        else {
            continue;
        };
        ran_any = true;
        crate::failpoint::hit("step.started");
        let context = StepContext {
            store,
            settings,
            lease,
            business_date: date,
            key,
            job_run_id,
            dry_run: request.dry_run,
            lost,
            started_at,
        };
        let span = tracing::info_span!("step", step = step.name(), key = %key_text);
        let result = run_and_record(&context, step, job_run_id)
            .instrument(span.clone())
            .await;
        match result {
            Ok(totals) => {
                span.in_scope(|| tracing::info!(counts = ?totals.counts, amount_pence = totals.amount_pence, "step done"));
            }
            Err(PipelineError::Store(StoreError::LeaseLost(lease_name))) => {
                // Another run has taken over: it owns the step and its report now.
                span.in_scope(|| {
                    tracing::error!("the run lease was lost; stopping without writing")
                });
                return Err(StoreError::LeaseLost(lease_name).into());
            }
            Err(error) => {
                let message = error.to_string();
                span.in_scope(|| tracing::error!(error = %message, "step failed"));
                // If the database itself is failing, recording the failure may fail too: the
                // step then stays `running` and the next run resumes it all the same.
                let recorded = async {
                    let mut tx = store.begin().await?;
                    finish_job_run_in(
                        &mut tx,
                        lease,
                        job_run_id,
                        JobStatus::Failed,
                        &StepTotals::default(),
                        Some(&message),
                        Utc::now(),
                    )
                    .await?;
                    tx.commit().await
                }
                .await;
                if let Err(also) = recorded {
                    tracing::error!(error = %also, "cannot record the failure");
                    return Err(error);
                }
                let report = failure_report(&context, step).await?;
                return Ok(RunOutcome::Failed(RunReport {
                    business_date: date,
                    text: report,
                    replaced,
                    taken_over: None,
                }));
            }
        }
    }
    if !ran_any {
        return Ok(RunOutcome::AlreadyDone(
            latest_run_report(store, &date.to_string()).await?,
        ));
    }
    let reported = steps.iter().any(|(step, _)| *step == Step::Report);
    let text = if reported {
        latest_run_report(store, &date.to_string())
            .await?
            .unwrap_or_default()
    } else {
        // A single step: where the night stands now, not stored or sent.
        night_report(store, settings, date, JobStatus::Done, request.dry_run)
            .await?
            .1
    };
    Ok(RunOutcome::Done(RunReport {
        business_date: date,
        text,
        replaced,
        taken_over: None,
    }))
}

fn describe_replaced(done: &JobRun) -> String {
    let finished = done
        .finished_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    format!(
        "{} {}: replacing the run done at {finished} ({})",
        done.step,
        done.run_key,
        summary::counts_text(&done.counts, done.amount_pence)
    )
}

/// Runs a step and records it done, with the report step's effects, in one transaction.
async fn run_and_record(
    context: &StepContext<'_>,
    step: Step,
    job_run_id: i64,
) -> Result<StepTotals, PipelineError> {
    let totals = run_step(context, step).await?;
    let mut tx = context.store.begin().await?;
    if step == Step::Report {
        queue_report_in(&mut tx, context).await?;
    }
    finish_job_run_in(
        &mut tx,
        context.lease,
        job_run_id,
        JobStatus::Done,
        &totals,
        None,
        Utc::now(),
    )
    .await?;
    crate::failpoint::hit("step.before_done");
    tx.commit().await?;
    crate::failpoint::hit("step.done");
    Ok(totals)
}

async fn run_step(context: &StepContext<'_>, step: Step) -> Result<StepTotals, PipelineError> {
    context.check_lease()?;
    match step {
        Step::Ingest => ingest::run(context).await,
        Step::Allocate => allocate::run(context).await,
        Step::PeriodCharges => period::run(context).await,
        Step::Report => Ok(StepTotals::default()),
        Step::SendOutbox => send_outbox(context).await,
    }
}

async fn send_outbox(context: &StepContext<'_>) -> Result<StepTotals, PipelineError> {
    let transport = if context.dry_run {
        Transport::Discard
    } else {
        Transport::from_settings(&context.settings.email)?
    };
    let counts = send_due(
        context.store,
        &transport,
        &context.settings.email,
        Some(context.job_run_id),
        Utc::now,
    )
    .await?;
    // Counted from the outbox, so a step resumed after a crash counts what it sent before.
    let taken = crate::store::runs::outbox_sent_by(context.store, context.job_run_id).await?;
    let mut totals = StepTotals::default();
    for status in [
        OutboxStatus::Sent,
        OutboxStatus::Failed,
        OutboxStatus::Unknown,
    ] {
        totals.counts.insert(
            status.as_str().into(),
            taken.get(&status).copied().unwrap_or(0),
        );
    }
    totals
        .counts
        .insert("deferred".into(), counts.deferred as i64);
    if counts.deferred > 0 {
        totals.warnings.push(format!(
            "{} message(s) could not be sent and wait for the next run",
            counts.deferred
        ));
    }
    let troubled = totals.counts["failed"] + totals.counts["unknown"];
    if troubled > 0 {
        totals.warnings.push(format!(
            "{troubled} message(s) failed or may not have been delivered: see the outbox"
        ));
    }
    Ok(totals)
}

/// The night's step records (its date's and its closed period's) and their report.
async fn night_report(
    store: &Store,
    settings: &Settings,
    date: NaiveDate,
    outcome: JobStatus,
    dry_run: bool,
) -> Result<(Vec<JobRun>, String), PipelineError> {
    let period = closed_period(date, settings.runner.period_close_days);
    let mut runs = job_runs_for(store, &date.to_string(), &period.to_string()).await?;
    // A period's steps belong to the night they ran, not to every night until the next one.
    let night_began = runs
        .iter()
        .filter(|r| r.run_key == date.to_string())
        .map(|r| r.started_at)
        .min();
    runs.retain(|r| {
        r.run_key == date.to_string()
            || night_began.is_some_and(|began| r.finished_at.is_none_or(|f| f >= began))
    });
    let text = summary::render(&summary::ReportInput {
        business_date: date,
        outcome,
        runs: &runs,
        dry_run,
    });
    Ok((runs, text))
}

/// Stores a report and queues it for finance as message `kind.key`, in `tx`.
async fn record_report_in(
    tx: &mut crate::store::Tx,
    context: &StepContext<'_>,
    outcome: JobStatus,
    (kind, key): (&str, &str),
    runs: &[JobRun],
    text: &str,
) -> Result<(), PipelineError> {
    let date = context.business_date;
    let now = Utc::now();
    crate::store::runs::store_run_report_in(
        tx,
        &date.to_string(),
        outcome,
        context.started_at,
        now,
        text,
    )
    .await?;
    queue_email_in(
        tx,
        context.settings,
        kind,
        key,
        &summary::subject(date, outcome, runs),
        text,
        now,
    )
    .await
}

/// The report step's effect: the summary of every step so far, stored and queued for finance
/// in the transaction that marks the step done.
async fn queue_report_in(
    tx: &mut crate::store::Tx,
    context: &StepContext<'_>,
) -> Result<(), PipelineError> {
    let date = context.business_date;
    let (runs, text) = night_report(
        context.store,
        context.settings,
        date,
        JobStatus::Done,
        context.dry_run,
    )
    .await?;
    let key = date.to_string();
    record_report_in(
        tx,
        context,
        JobStatus::Done,
        ("run-report", &key),
        &runs,
        &text,
    )
    .await
}

async fn queue_email_in(
    tx: &mut crate::store::Tx,
    settings: &Settings,
    kind: &str,
    key: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), PipelineError> {
    if settings.runner.report_to.is_empty() {
        return Ok(());
    }
    let message = OutboxMessage {
        message_id: message_id(kind, key, &settings.email.message_id_domain),
        kind: kind.to_owned(),
        recipients: settings.runner.report_to.join(";"),
        subject: subject.to_owned(),
        body: body.to_owned(),
        created_at: now,
        status: OutboxStatus::Pending,
        attempts: 0,
    };
    enqueue_in(tx, &message).await?;
    Ok(())
}

/// Stores and emails a failed run's report, then tries the outbox so finance hears of it.
async fn failure_report(context: &StepContext<'_>, step: Step) -> Result<String, PipelineError> {
    let date = context.business_date;
    let (runs, text) = night_report(
        context.store,
        context.settings,
        date,
        JobStatus::Failed,
        context.dry_run,
    )
    .await?;
    // One failure email per night and step: retries that fail again do not repeat it.
    let key = format!("{date}.{}", step.name());
    let mut tx = context.store.begin().await?;
    record_report_in(
        &mut tx,
        context,
        JobStatus::Failed,
        ("run-failed", &key),
        &runs,
        &text,
    )
    .await?;
    tx.commit().await?;
    if !context.dry_run
        && let Ok(transport) = Transport::from_settings(&context.settings.email)
        && let Err(error) = send_due(
            context.store,
            &transport,
            &context.settings.email,
            None,
            Utc::now,
        )
        .await
    {
        tracing::warn!(%error, "the failure report could not be sent");
    }
    Ok(text)
}

/// Reference data as it stands now (an ingest may just have changed it).
pub(crate) async fn load_reference(
    store: &Store,
    settings: &Settings,
) -> Result<crate::store::reference::ReferenceData, PipelineError> {
    Ok(crate::usecase::reference::current(store, settings).await?)
}

/// Invoice lines of every person between two local dates, as the charges report has them.
pub(crate) async fn charges_between(
    store: &Store,
    reference: &crate::store::reference::ReferenceData,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<crate::cost::ChargeLine>, PipelineError> {
    let (lines, _) = crate::report::charge_lines(store, reference, from, to, None)
        .await
        .map_err(|e| PipelineError::Step(e.to_string()))?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn a_period_closes_on_its_last_day() {
        assert_eq!(closed_period(date("2026-11-30"), 0).to_string(), "2026-11");
        assert_eq!(closed_period(date("2026-11-29"), 0).to_string(), "2026-10");
        assert_eq!(closed_period(date("2026-12-01"), 0).to_string(), "2026-11");
        assert_eq!(closed_period(date("2026-03-01"), 0).to_string(), "2026-02");
    }

    #[test]
    fn close_days_hold_a_period_open_for_late_timesheets() {
        assert_eq!(closed_period(date("2026-12-02"), 3).to_string(), "2026-10");
        assert_eq!(closed_period(date("2026-12-03"), 3).to_string(), "2026-11");
    }

    #[test]
    fn the_plan_keys_nightly_steps_by_date_and_period_steps_by_period() {
        let steps = plan(date("2026-12-01"), 0);
        assert_eq!(steps.len(), Step::ALL.len());
        assert_eq!(steps[0], (Step::Ingest, RunKey::Date(date("2026-12-01"))));
        assert!(steps.contains(&(
            Step::PeriodCharges,
            RunKey::Period("2026-11".parse().expect("period"))
        )));
        assert_eq!(steps.last().map(|s| s.0), Some(Step::SendOutbox));
    }

    #[test]
    fn step_names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
    }
}
