//! The nightly pipeline: steps recorded in `job_run`, run under one fenced lease, on a schedule
//! or from the system scheduler, and spread over `tms worker` processes where a step is split
//! into partitions.
//!
//! A run for business date D goes through [`Step::ALL`] in order. Nightly steps run under the
//! key D; period steps under the latest period closed by D. A step already done is skipped, a
//! failed or interrupted one is resumed, and `--force` runs a done one again (never one that
//! issues documents). Every step is idempotent, so a run killed at any point finishes the job
//! when started again.
//!
//! - [`plan`](mod@plan): which steps a run takes, under which keys, and which may be forced;
//! - [`run`](mod@run): the run loop under the lease, each step recorded as it ends;
//! - [`report`] and [`summary`]: the run report, stored, queued and rendered;
//! - [`scheduler`]: the schedule `tms serve` runs the pipeline on;
//! - the steps: [`ingest`], [`allocate`] (with [`worker`] for its partitions), [`period`],
//!   [`late_changes`], [`send`]; [`dry_run`] runs them all on a copy.
//!
//! What each step is — its name, cadence, partitions, whether it issues documents and the
//! totals it reports — is [`Step::info`], in `domain`, where the store reads it too.

pub mod allocate;
pub mod dry_run;
pub mod error;
pub mod holder;
pub mod ingest;
pub mod late_changes;
pub mod period;
pub mod plan;
pub mod report;
pub mod run;
pub mod scheduler;
pub mod send;
pub mod summary;
pub mod worker;

pub use crate::domain::step::{
    Cadence, Partitioning, Step, StepInfo, StepReport, StepTotals, UnknownStep,
};
pub use error::PipelineError;
pub use plan::{
    ForceRefused, RunKey, RunRequest, catch_up_dates, closed_period, forceable, forced,
    last_night_done, plan,
};
pub use report::RunReport;
pub use run::{RunOutcome, StepContext, holder_name, lease_ttl, run};
pub use scheduler::run_on_schedule;

pub(crate) use run::{charges_between, load_reference};
