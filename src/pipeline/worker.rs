//! Partition work, shared by a run and `tms worker`: claim an open partition (`SKIP LOCKED` on
//! PostgreSQL), do it with every write fenced by the claim's token, and mark it done. A worker
//! that stalls past its claim loses it to another; its next write fails instead of doubling up.

use chrono::Utc;
use tracing::Instrument;

use super::{PipelineError, Step};
use crate::config::Settings;
use crate::ledger::{RecostScope, recost_scoped};
use crate::store::Store;
use crate::store::reference::ReferenceData;
use crate::store::runs::{PartitionClaim, claim_partition, complete_partition};

/// Does one claimed partition with `reference` as it stands, and marks it done.
pub async fn work(
    store: &Store,
    reference: &ReferenceData,
    claim: &PartitionClaim,
    ttl: chrono::Duration,
) -> Result<(), PipelineError> {
    let span = tracing::info_span!(
        "partition",
        step = %claim.step,
        key = %claim.run_key,
        partition = %claim.partition_key
    );
    work_in(store, reference, claim, ttl).instrument(span).await
}

async fn work_in(
    store: &Store,
    reference: &ReferenceData,
    claim: &PartitionClaim,
    ttl: chrono::Duration,
) -> Result<(), PipelineError> {
    let result = match claim.step {
        Step::Allocate => {
            let mut share = super::allocate::partition_share(&claim.planned)?;
            let mut warnings = claim.planned.warnings.clone();
            let counts = recost_scoped(
                store,
                reference,
                &RecostScope {
                    cost_centre: Some(&claim.partition_key),
                    fence: Some((claim, ttl)),
                },
            )
            .await?;
            share.failed = counts.failed as i64;
            if counts.failed > 0 {
                warnings.push(format!(
                    "{} shift(s) could not be costed and stay marked (see tms report unpriced and the log)",
                    counts.failed
                ));
            }
            if counts.stale > 0 {
                warnings.push(format!(
                    "{} shift(s) were costed while reference data changed; they stay marked for the next run",
                    counts.stale
                ));
            }
            super::allocate::partition_report(share, warnings)
        }
        Step::Ingest
        | Step::PeriodCharges
        | Step::LateChanges
        | Step::Report
        | Step::SendOutbox => {
            return Err(PipelineError::Step(format!(
                "{} is not split into partitions, yet a partition of it was claimed",
                claim.step
            )));
        }
    };
    crate::failpoint::hit("partition.before_complete");
    complete_partition(store, claim, &result).await?;
    tracing::info!("partition done");
    Ok(())
}

/// What a worker did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerCounts {
    pub partitions: u64,
    /// Partitions lost to another worker mid-way (their work was not committed twice).
    pub lost: u64,
}

/// `tms worker`: claims and works partitions until `stop` resolves, or until there has been
/// nothing to do for `idle_exit`, if given.
pub async fn run_worker(
    store: &Store,
    settings: &Settings,
    idle_exit: Option<std::time::Duration>,
    poll: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
) -> Result<WorkerCounts, PipelineError> {
    let me = super::holder_name();
    let ttl = super::lease_ttl(settings);
    let mut counts = WorkerCounts::default();
    let mut idle_since = std::time::Instant::now();
    tracing::info!(worker = %me, "worker started");
    tokio::pin!(stop);
    loop {
        let claim = tokio::select! {
            () = &mut stop => break,
            claim = claim_partition(store, &me, ttl, Utc::now()) => claim?,
        };
        match claim {
            Some(claim) => {
                // Reference data is read afresh for each claim: it may have changed since the
                // last night's partitions.
                let reference = super::load_reference(store, settings).await?;
                match work(store, &reference, &claim, ttl).await {
                    Ok(()) => counts.partitions += 1,
                    Err(PipelineError::Store(crate::store::StoreError::ClaimLost(what))) => {
                        tracing::warn!(partition = %what, "claim lost to another worker");
                        counts.lost += 1;
                    }
                    Err(e) => return Err(e),
                }
                idle_since = std::time::Instant::now();
            }
            None => {
                if idle_exit.is_some_and(|limit| idle_since.elapsed() >= limit) {
                    break;
                }
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
    tracing::info!(
        partitions = counts.partitions,
        lost = counts.lost,
        "worker stopped"
    );
    Ok(counts)
}
