//! The allocate step: allocates and rates every shift whose costs are out of date (a changed
//! rate card, worker or arrangement marks them). The work is split into one partition per cost
//! centre; the run works on partitions itself unless `runner.local_partitions` is off, and
//! `tms worker` processes anywhere can take the rest.

use chrono::Utc;

use super::{PipelineError, StepContext, worker};
use crate::calendar::Period;
use crate::domain::step::{AllocateCounts, Step, StepReport, StepTotals};
use crate::store::runs::{claim_partition, ensure_partitions, open_partitions, partition_results};
use crate::store::shifts::shifts_to_cost_by_centre;

/// How often the run looks for partitions finished by workers.
const POLL: std::time::Duration = std::time::Duration::from_millis(200);

pub async fn run(context: &StepContext<'_>) -> Result<StepReport, PipelineError> {
    let store = context.store;
    let step = Step::Allocate;
    let key = context.key.to_string();
    let planned: Vec<(String, StepReport)> = shifts_to_cost_by_centre(store)
        .await?
        .into_iter()
        .map(|(centre, shifts)| {
            let share = AllocateCounts {
                shifts,
                ..AllocateCounts::ZERO
            };
            (centre, partition_report(share, Vec::new()))
        })
        .collect();
    ensure_partitions(store, step, &key, &planned).await?;
    crate::failpoint::hit("allocate.partitioned");
    let ttl = super::lease_ttl(context.settings);
    let me = super::holder_name();
    // One read of reference data serves every partition this run works and the charges total.
    let reference = super::load_reference(store, context.settings).await?;
    let bar = crate::progress::bar(Some(planned.len() as u64));
    bar.set_message("allocating and rating, by cost centre");
    loop {
        context.check_lease()?;
        if context.settings.runner.local_partitions
            && let Some(claim) = claim_partition(store, &me, ttl, Utc::now()).await?
        {
            match worker::work(store, &reference, &claim, ttl).await {
                Ok(()) => bar.inc(1),
                // A worker took it over after this run stalled; the worker finishes it.
                Err(PipelineError::Store(crate::store::StoreError::ClaimLost(what))) => {
                    tracing::warn!(partition = %what, "partition taken over by a worker");
                }
                Err(e) => return Err(e),
            }
            continue;
        }
        if open_partitions(store, step, &key).await? == 0 {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    bar.finish_and_clear();
    let results = partition_results(store, step, &key).await?;
    let mut counts = AllocateCounts {
        partitions: results.len() as i64,
        ..AllocateCounts::ZERO
    };
    let mut warnings = Vec::new();
    for (centre, result) in results {
        counts.absorb(&partition_share(&result)?);
        warnings.extend(result.warnings.into_iter().map(|w| {
            format!(
                "cost centre {}: {w}",
                if centre.is_empty() { "(none)" } else { &centre }
            )
        }));
    }
    let month = Period::containing(context.business_date);
    let lines =
        super::charges_between(store, &reference, month.first_day(), context.business_date).await?;
    let what = format!("the charges for {month} to {}", context.business_date);
    let charges_month_to_date =
        crate::domain::Pence::checked_sum(lines.iter().map(|l| l.amount), &what)?;
    counts.charge_lines_month_to_date = lines.len() as i64;
    Ok(StepReport {
        totals: StepTotals::Allocate {
            counts,
            charges_month_to_date,
        },
        warnings,
    })
}

/// A partition's share of the step's report: its counts, no money.
pub(super) fn partition_report(share: AllocateCounts, warnings: Vec<String>) -> StepReport {
    StepReport {
        totals: StepTotals::Allocate {
            counts: share,
            charges_month_to_date: crate::domain::Pence::ZERO,
        },
        warnings,
    }
}

/// The counts of a partition's share.
pub(super) fn partition_share(report: &StepReport) -> Result<AllocateCounts, PipelineError> {
    match report.totals {
        StepTotals::Allocate { counts, .. } => Ok(counts),
        other => Err(PipelineError::Step(format!(
            "a partition of allocate holds the totals of {}",
            other.step()
        ))),
    }
}
