//! The run report: gathered from the night's step records, stored in `run_report` and queued by
//! email to finance, by the report step when a night is done and by the run when a step fails.
//! [`super::summary`] renders its text.

use chrono::{DateTime, NaiveDate, Utc};

use super::error::PipelineError;
use super::plan::closed_period;
use super::run::StepContext;
use super::summary;
use crate::config::Settings;
use crate::delivery::email::{Transport, message_id, send_due};
use crate::domain::step::Step;
use crate::store::Store;
use crate::store::runs::{JobRun, JobStatus, OutboxMessage, enqueue_in, job_runs_for};

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

/// `allocate 2026-11-30: replacing the run done at ...`: what a forced step replaces.
pub(super) fn describe_replaced(done: &JobRun) -> String {
    let finished = done
        .finished_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    format!(
        "{} {}: replacing the run done at {finished} ({})",
        done.step,
        done.run_key,
        summary::counts_text(&done.totals)
    )
}

/// The night's step records (its date's and its closed period's) and their report.
pub(super) async fn night_report(
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
pub(super) async fn queue_report_in(
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
        status: crate::store::runs::OutboxStatus::Pending,
        attempts: 0,
    };
    enqueue_in(tx, &message).await?;
    Ok(())
}

/// Stores and emails a failed run's report, then tries the outbox so finance hears of it.
pub(super) async fn failure_report(
    context: &StepContext<'_>,
    step: Step,
) -> Result<String, PipelineError> {
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
