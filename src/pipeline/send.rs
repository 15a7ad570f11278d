//! The send-outbox step: sends the queued email (the run report among it) and counts what left,
//! what failed and what waits for the next run.

use crate::store::runs::OutboxStatus;
use chrono::Utc;

use super::error::PipelineError;
use super::run::StepContext;
use crate::delivery::email::{Transport, send_due};
use crate::domain::step::{SendOutboxCounts, StepReport, StepTotals};

pub async fn run(context: &StepContext<'_>) -> Result<StepReport, PipelineError> {
    let transport = if context.dry_run {
        Transport::Discard
    } else {
        Transport::from_settings(&context.settings.email)?
    };
    let sent_now = send_due(
        context.store,
        &transport,
        &context.settings.email,
        Some(context.job_run_id),
        Utc::now,
    )
    .await?;
    // Counted from the outbox, so a step resumed after a crash counts what it sent before.
    let taken = crate::store::runs::outbox_sent_by(context.store, context.job_run_id).await?;
    let taken = |status: OutboxStatus| taken.get(&status).copied().unwrap_or(0);
    let counts = SendOutboxCounts {
        deferred: sent_now.deferred as i64,
        failed: taken(OutboxStatus::Failed),
        sent: taken(OutboxStatus::Sent),
        unknown: taken(OutboxStatus::Unknown),
    };
    let mut warnings = Vec::new();
    if counts.deferred > 0 {
        warnings.push(format!(
            "{} message(s) could not be sent and wait for the next run",
            counts.deferred
        ));
    }
    let troubled = counts.failed + counts.unknown;
    if troubled > 0 {
        warnings.push(format!(
            "{troubled} message(s) failed or may not have been delivered: see the outbox"
        ));
    }
    Ok(StepReport {
        totals: StepTotals::SendOutbox(counts),
        warnings,
    })
}
