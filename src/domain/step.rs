//! The steps of the nightly pipeline as every layer names them: what each step is (its key in
//! `job_run`, its cadence, how it is split, whether it issues documents) and the totals it
//! reports, as typed values. The store records them; the pipeline runs and reports them.

use std::fmt;
use std::str::FromStr;

use super::Pence;

/// A step of the pipeline. Later stages (budget check, invoices and statements, direct debit,
/// payroll) join this list as period steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Import the CSV files waiting in the inbox.
    Ingest,
    /// Allocate and rate shifts whose costs are out of date, partition by partition.
    Allocate,
    /// Write the closed period's charges and allocation reports, and record what it closed with.
    PeriodCharges,
    /// Compare every closed period with what it closed with, and warn of changes since.
    LateChanges,
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

/// How a step's work is split between the run and `tms worker` processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partitioning {
    /// The run does the whole step itself.
    Whole,
    /// One partition per cost centre, claimed by the run or by workers.
    ByCostCentre,
}

/// Everything the pipeline knows about a step, from [`Step::info`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepInfo {
    pub step: Step,
    /// Its name on the command line, in `job_run` and in the report.
    pub name: &'static str,
    pub cadence: Cadence,
    pub partitioning: Partitioning,
    /// It issues documents (invoices, statements): once issued they are never replaced, so a
    /// done step of this kind is never run again on request.
    pub issues_documents: bool,
    /// Shown in the run report when done. The report step and the steps after it are shown
    /// only when they fail: the report is written before they finish.
    pub reported_when_done: bool,
    /// The totals it reports, all zero.
    pub totals: StepTotals,
}

impl Step {
    /// Every step, in the order a run takes them.
    pub const ALL: [Step; 6] = [
        Step::Ingest,
        Step::Allocate,
        Step::PeriodCharges,
        Step::LateChanges,
        Step::Report,
        Step::SendOutbox,
    ];

    /// What the step is: the one table of step metadata.
    pub const fn info(self) -> StepInfo {
        match self {
            Step::Ingest => StepInfo {
                step: self,
                name: "ingest",
                cadence: Cadence::Nightly,
                partitioning: Partitioning::Whole,
                issues_documents: false,
                reported_when_done: true,
                totals: StepTotals::Ingest(IngestCounts::ZERO),
            },
            Step::Allocate => StepInfo {
                step: self,
                name: "allocate",
                cadence: Cadence::Nightly,
                partitioning: Partitioning::ByCostCentre,
                issues_documents: false,
                reported_when_done: true,
                totals: StepTotals::Allocate {
                    counts: AllocateCounts::ZERO,
                    charges_month_to_date: Pence::ZERO,
                },
            },
            Step::PeriodCharges => StepInfo {
                step: self,
                name: "period-charges",
                cadence: Cadence::Period,
                partitioning: Partitioning::Whole,
                issues_documents: false,
                reported_when_done: true,
                totals: StepTotals::PeriodCharges {
                    counts: PeriodChargesCounts::ZERO,
                    charges: Pence::ZERO,
                },
            },
            Step::LateChanges => StepInfo {
                step: self,
                name: "late-changes",
                cadence: Cadence::Nightly,
                partitioning: Partitioning::Whole,
                issues_documents: false,
                reported_when_done: true,
                totals: StepTotals::LateChanges {
                    counts: LateChangesCounts::ZERO,
                    net_change: Pence::ZERO,
                },
            },
            Step::Report => StepInfo {
                step: self,
                name: "report",
                cadence: Cadence::Nightly,
                partitioning: Partitioning::Whole,
                issues_documents: false,
                reported_when_done: false,
                totals: StepTotals::Report,
            },
            Step::SendOutbox => StepInfo {
                step: self,
                name: "send-outbox",
                cadence: Cadence::Nightly,
                partitioning: Partitioning::Whole,
                issues_documents: false,
                reported_when_done: false,
                totals: StepTotals::SendOutbox(SendOutboxCounts::ZERO),
            },
        }
    }

    pub const fn name(self) -> &'static str {
        self.info().name
    }

    pub const fn cadence(self) -> Cadence {
        self.info().cadence
    }

    pub const fn partitioning(self) -> Partitioning {
        self.info().partitioning
    }

    pub const fn issues_documents(self) -> bool {
        self.info().issues_documents
    }

    /// The step named `name`; any other name is an error naming it.
    pub fn from_name(name: &str) -> Result<Step, UnknownStep> {
        Step::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownStep(name.to_owned()))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Step {
    type Err = UnknownStep;

    fn from_str(name: &str) -> Result<Step, UnknownStep> {
        Step::from_name(name)
    }
}

/// A name that is not a step's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{:?} is not a step; the steps are {}", .0, step_names())]
pub struct UnknownStep(pub String);

/// `ingest, allocate, ...`: every step's name, in run order.
pub fn step_names() -> String {
    let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
    names.join(", ")
}

/// Counts a step reports, each a whole number under the name it is stored and shown by
/// (`files_refused`, shown as "files refused").
macro_rules! step_counts {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: i64,)*
        }

        impl $name {
            pub const ZERO: $name = $name { $($field: 0,)* };

            /// Each count with its stored name.
            pub fn counts(&self) -> Vec<(&'static str, i64)> {
                vec![$((stringify!($field), self.$field),)*]
            }

            /// The count stored under `name`, if this step reports one.
            fn count_mut(&mut self, name: &str) -> Option<&mut i64> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// Adds another set of the same counts (a partition's share) to these.
            pub fn absorb(&mut self, other: &$name) {
                $(self.$field += other.$field;)*
            }
        }
    };
}

step_counts! {
    /// What the ingest step did with the inbox.
    IngestCounts {
        /// Files looked at.
        files,
        /// Files with the same bytes as one imported before.
        files_duplicate,
        /// Files refused whole.
        files_refused,
        /// Rows of imported reference files.
        reference_rows,
        /// Rows of shift files.
        rows_read,
        rows_rejected,
        shifts_amended,
        shifts_new,
        shifts_rejected,
        shifts_unchanged,
    }
}

step_counts! {
    /// What the allocate step did, over all its partitions.
    AllocateCounts {
        /// Invoice lines of the month to the business date.
        charge_lines_month_to_date,
        /// Shifts that could not be costed.
        failed,
        partitions,
        /// Shifts whose costs were out of date.
        shifts,
    }
}

step_counts! {
    /// What the period-charges step wrote.
    PeriodChargesCounts {
        charge_lines,
        people,
    }
}

step_counts! {
    /// What the late-changes step found in the closed periods.
    LateChangesCounts {
        /// One-off items whose charges changed.
        one_offs_changed,
        /// People whose charges, or their division between payers, changed.
        people_changed,
        /// Closed periods checked.
        periods,
        /// Closed periods whose charges changed.
        periods_changed,
        /// Shifts whose charges changed.
        shifts_changed,
    }
}

step_counts! {
    /// What the send-outbox step did with the outbox.
    SendOutboxCounts {
        /// Messages that could not be sent and wait for the next run.
        deferred,
        failed,
        sent,
        /// Messages whose sending was cut off, so that whether they left is unknown.
        unknown,
    }
}

/// The totals a step reports: its counts and, for the steps that total money, the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepTotals {
    Ingest(IngestCounts),
    Allocate {
        counts: AllocateCounts,
        charges_month_to_date: Pence,
    },
    PeriodCharges {
        counts: PeriodChargesCounts,
        charges: Pence,
    },
    LateChanges {
        counts: LateChangesCounts,
        /// The charges of the closed periods now, less what they closed with.
        net_change: Pence,
    },
    Report,
    SendOutbox(SendOutboxCounts),
}

/// Why stored totals do not fit their step.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TotalsError {
    #[error("{step} reports no count {name:?}")]
    UnknownCount { step: Step, name: String },
    #[error("{step} reports no money total, yet one of {amount} pence is stored")]
    UnexpectedAmount { step: Step, amount: i64 },
}

impl StepTotals {
    /// The step these totals belong to.
    pub const fn step(&self) -> Step {
        match self {
            StepTotals::Ingest(_) => Step::Ingest,
            StepTotals::Allocate { .. } => Step::Allocate,
            StepTotals::PeriodCharges { .. } => Step::PeriodCharges,
            StepTotals::LateChanges { .. } => Step::LateChanges,
            StepTotals::Report => Step::Report,
            StepTotals::SendOutbox(_) => Step::SendOutbox,
        }
    }

    /// Each count with its stored name.
    pub fn counts(&self) -> Vec<(&'static str, i64)> {
        match self {
            StepTotals::Ingest(counts) => counts.counts(),
            StepTotals::Allocate { counts, .. } => counts.counts(),
            StepTotals::PeriodCharges { counts, .. } => counts.counts(),
            StepTotals::LateChanges { counts, .. } => counts.counts(),
            StepTotals::Report => Vec::new(),
            StepTotals::SendOutbox(counts) => counts.counts(),
        }
    }

    /// The money total and how the report names it, for the steps that total money.
    pub fn money(&self) -> Option<(&'static str, Pence)> {
        match self {
            StepTotals::Allocate {
                charges_month_to_date,
                ..
            } => Some(("charges month to date", *charges_month_to_date)),
            StepTotals::PeriodCharges { charges, .. } => Some(("charges", *charges)),
            StepTotals::LateChanges { net_change, .. } => Some(("net change", *net_change)),
            StepTotals::Ingest(_) | StepTotals::Report | StepTotals::SendOutbox(_) => None,
        }
    }

    /// The money total, zero for steps that total none.
    pub fn amount(&self) -> Pence {
        self.money().map_or(Pence::ZERO, |(_, amount)| amount)
    }

    /// Totals of `step` from their stored parts: each count by name (a count not stored is
    /// zero) and the amount. A name the step does not report, or an amount for a step that
    /// totals no money, is an error.
    pub fn from_parts<'a>(
        step: Step,
        counts: impl IntoIterator<Item = (&'a str, i64)>,
        amount: Pence,
    ) -> Result<StepTotals, TotalsError> {
        let mut totals = step.info().totals;
        for (name, value) in counts {
            let slot = match &mut totals {
                StepTotals::Ingest(c) => c.count_mut(name),
                StepTotals::Allocate { counts, .. } => counts.count_mut(name),
                StepTotals::PeriodCharges { counts, .. } => counts.count_mut(name),
                StepTotals::LateChanges { counts, .. } => counts.count_mut(name),
                StepTotals::Report => None,
                StepTotals::SendOutbox(c) => c.count_mut(name),
            };
            let Some(slot) = slot else {
                return Err(TotalsError::UnknownCount {
                    step,
                    name: name.to_owned(),
                });
            };
            *slot = value;
        }
        match &mut totals {
            StepTotals::Allocate {
                charges_month_to_date: money,
                ..
            }
            | StepTotals::PeriodCharges { charges: money, .. }
            | StepTotals::LateChanges {
                net_change: money, ..
            } => *money = amount,
            StepTotals::Ingest(_) | StepTotals::Report | StepTotals::SendOutbox(_) => {
                if amount != Pence::ZERO {
                    return Err(TotalsError::UnexpectedAmount {
                        step,
                        amount: amount.get(),
                    });
                }
            }
        }
        Ok(totals)
    }
}

/// What a finished step (or a partition of one) reports: its totals and its warnings, one line
/// each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    pub totals: StepTotals,
    pub warnings: Vec<String>,
}

impl StepReport {
    /// Zero totals and no warnings: a step that found nothing to do, or that failed.
    pub const fn empty(step: Step) -> StepReport {
        StepReport {
            totals: step.info().totals,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_round_trip_and_others_are_named_in_the_error() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Ok(step));
            assert_eq!(step.info().step, step);
            assert_eq!(step.info().totals.step(), step);
        }
        let error = Step::from_name("invoices").expect_err("not a step");
        assert_eq!(error, UnknownStep("invoices".into()));
        assert!(
            error
                .to_string()
                .starts_with("\"invoices\" is not a step; the steps are ingest, ")
        );
        for step in Step::ALL {
            assert!(error.to_string().contains(step.name()), "{error}");
        }
    }

    #[test]
    fn stored_counts_are_read_by_name_and_strangers_refused() {
        let totals = StepTotals::from_parts(
            Step::Allocate,
            [("shifts", 12), ("partitions", 3)],
            Pence::new(4_500),
        )
        .expect("allocate's counts");
        assert_eq!(
            totals,
            StepTotals::Allocate {
                counts: AllocateCounts {
                    shifts: 12,
                    partitions: 3,
                    ..AllocateCounts::ZERO
                },
                charges_month_to_date: Pence::new(4_500),
            }
        );
        assert_eq!(
            totals.money(),
            Some(("charges month to date", Pence::new(4_500)))
        );
        assert_eq!(
            StepTotals::from_parts(Step::SendOutbox, [("shifts", 1)], Pence::ZERO),
            Err(TotalsError::UnknownCount {
                step: Step::SendOutbox,
                name: "shifts".into()
            })
        );
        assert_eq!(
            StepTotals::from_parts(Step::Ingest, [], Pence::new(1)),
            Err(TotalsError::UnexpectedAmount {
                step: Step::Ingest,
                amount: 1
            })
        );
    }
}
