//! The run loop: takes the run lease (or a dead holder's), keeps it renewed, and takes each
//! planned step in turn, skipping what is done, resuming what is not, and recording each step's
//! end with its report in the transaction that writes its last effects.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use tracing::Instrument;

use super::error::PipelineError;
use super::plan::{RunKey, RunRequest, forced, plan};
use super::report::{RunReport, describe_replaced, failure_report, night_report, queue_report_in};
use super::{allocate, dry_run, holder, ingest, late_changes, period, send};
use crate::config::Settings;
use crate::domain::step::{Partitioning, Step, StepReport};
use crate::store::runs::{
    JobStatus, Lease, LeaseClaim, NIGHTLY_LEASE, acquire_lease, finish_job_run_in, job_run,
    latest_run_report, release_lease, renew_lease, start_job_run, take_over_lease,
};
use crate::store::{Store, StoreError};

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
    /// The step is forced to run again after it was done: what the done run recorded is redone
    /// rather than taken as this attempt's own (see `ingest`).
    pub replacing: bool,
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

/// Runs the pipeline (or one step) for a business date. Forcing a step that issues documents
/// is refused before anything runs.
pub async fn run(
    store: &Store,
    settings: &Settings,
    request: &RunRequest,
) -> Result<RunOutcome, PipelineError> {
    forced(&request.force)?;
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
    forced(&request.force)?;
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
        let done = job_run(store, *step, &key.to_string())
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
        let existing = job_run(store, step, &key_text).await?;
        let replacing = existing
            .as_ref()
            .is_some_and(|r| r.status == JobStatus::Done);
        if let Some(done) = existing.as_ref().filter(|r| r.status == JobStatus::Done) {
            if !forced {
                tracing::info!(step = step.name(), key = %key_text, "already done; skipped");
                continue;
            }
            replaced.push(describe_replaced(done));
            match step.partitioning() {
                Partitioning::ByCostCentre => {
                    crate::store::runs::reset_partitions(store, step, &key_text).await?;
                }
                Partitioning::Whole => {}
            }
        }
        let Some(job_run_id) =
            start_job_run(store, lease, step, &key_text, forced, Utc::now()).await?
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
            replacing,
        };
        let span = tracing::info_span!("step", step = step.name(), key = %key_text);
        let result = run_and_record(&context, step, job_run_id)
            .instrument(span.clone())
            .await;
        match result {
            Ok(report) => {
                span.in_scope(|| tracing::info!(totals = ?report.totals, "step done"));
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
                        &StepReport::empty(step),
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

/// What a step hands back: its report, and the periods it closes, which are recorded in the
/// transaction that marks it done.
pub(crate) struct StepOutput {
    pub report: StepReport,
    pub closings: Vec<crate::store::closed::Closing>,
}

impl From<StepReport> for StepOutput {
    fn from(report: StepReport) -> StepOutput {
        StepOutput {
            report,
            closings: Vec::new(),
        }
    }
}

/// Runs a step and records it done, with the report step's effects and the periods the step
/// closes, in one transaction.
async fn run_and_record(
    context: &StepContext<'_>,
    step: Step,
    job_run_id: i64,
) -> Result<StepReport, PipelineError> {
    let output = run_step(context, step).await?;
    let mut tx = context.store.begin().await?;
    if step == Step::Report {
        queue_report_in(&mut tx, context).await?;
    }
    for closing in &output.closings {
        crate::store::closed::record_in(&mut tx, closing).await?;
    }
    finish_job_run_in(
        &mut tx,
        context.lease,
        job_run_id,
        JobStatus::Done,
        &output.report,
        None,
        Utc::now(),
    )
    .await?;
    crate::failpoint::hit("step.before_done");
    tx.commit().await?;
    crate::failpoint::hit("step.done");
    Ok(output.report)
}

async fn run_step(context: &StepContext<'_>, step: Step) -> Result<StepOutput, PipelineError> {
    context.check_lease()?;
    Ok(match step {
        Step::Ingest => ingest::run(context).await?.into(),
        Step::Allocate => allocate::run(context).await?.into(),
        Step::PeriodCharges => period::run(context).await?,
        Step::LateChanges => late_changes::run(context).await?,
        // Its effect is written with its record: see `run_and_record`.
        Step::Report => StepReport::empty(step).into(),
        Step::SendOutbox => send::run(context).await?.into(),
    })
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
