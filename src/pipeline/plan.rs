//! Step planning: which steps a run takes and under which keys (a business date, or the latest
//! period closed by it), which done steps may be run again on request, and which nights a run
//! catches up.

use std::fmt;

use chrono::NaiveDate;

use crate::calendar::Period;
use crate::domain::step::{Cadence, Step, StepInfo};
use crate::store::{Store, StoreError};

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

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub business_date: NaiveDate,
    /// Run only this step, under this key.
    pub only: Option<(Step, RunKey)>,
    /// Steps to run again even if done (see [`forced`]).
    pub force: Vec<Step>,
    /// Compute everything on a copy and write nothing (see [`super::dry_run`]).
    pub dry_run: bool,
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

/// The key `step` runs under on the night of `date`.
pub fn key_of(step: Step, date: NaiveDate, close_days: i64) -> RunKey {
    match step.cadence() {
        Cadence::Nightly => RunKey::Date(date),
        Cadence::Period => RunKey::Period(closed_period(date, close_days)),
    }
}

/// The keys the steps of a run for `date` work under.
pub fn plan(date: NaiveDate, close_days: i64) -> Vec<(Step, RunKey)> {
    Step::ALL
        .into_iter()
        .map(|step| (step, key_of(step, date, close_days)))
        .collect()
}

/// A done step that may not be run again: it issues documents, and an issued document is never
/// replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--force {step}: {step} issues documents, and a document once issued is never issued again; a done {step} cannot be run again"
)]
pub struct ForceRefused {
    pub step: Step,
}

/// The steps a run may run again on request: every step that issues no documents.
pub fn forceable() -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|step| !step.issues_documents())
        .collect()
}

/// `requested` as the steps to run again even if done, or the first that may not be: one that
/// issues documents.
pub fn forced(requested: &[Step]) -> Result<Vec<Step>, ForceRefused> {
    forced_by(requested, Step::info)
}

/// [`forced`], reading each step's metadata from `info`.
fn forced_by(
    requested: &[Step],
    info: impl Fn(Step) -> StepInfo,
) -> Result<Vec<Step>, ForceRefused> {
    for &step in requested {
        if info(step).issues_documents {
            return Err(ForceRefused { step });
        }
    }
    Ok(requested.to_vec())
}

/// The step whose completion ends a night.
const LAST_STEP: Step = Step::ALL[Step::ALL.len() - 1];

/// The latest business date whose night finished (its last step is done).
pub async fn last_night_done(store: &Store) -> Result<Option<NaiveDate>, StoreError> {
    Ok(crate::store::runs::last_done(store, LAST_STEP)
        .await?
        .and_then(|d| d.parse::<NaiveDate>().ok()))
}

/// The nights after `last_done` up to `yesterday`, keeping the newest `max` (at least one).
pub fn catch_up_dates(
    last_done: Option<NaiveDate>,
    yesterday: NaiveDate,
    max: u32,
) -> Vec<NaiveDate> {
    let first = match last_done {
        Some(last) if last < yesterday => last + chrono::Duration::days(1),
        _ => yesterday,
    };
    let earliest = yesterday - chrono::Duration::days(i64::from(max.max(1)) - 1);
    let mut dates = Vec::new();
    let mut date = first.max(earliest);
    while date <= yesterday {
        dates.push(date);
        date += chrono::Duration::days(1);
    }
    dates
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
            assert_eq!(Step::from_name(step.name()), Ok(step));
        }
    }

    #[test]
    fn a_step_that_issues_documents_is_never_forced() {
        // A step marked as issuing documents, as invoices will be.
        let issuing = |step: Step| StepInfo {
            issues_documents: step == Step::PeriodCharges,
            ..step.info()
        };
        assert_eq!(
            forced_by(&[Step::Allocate, Step::PeriodCharges], issuing),
            Err(ForceRefused {
                step: Step::PeriodCharges
            })
        );
        assert_eq!(
            forced_by(&[Step::Allocate, Step::SendOutbox], issuing),
            Ok(vec![Step::Allocate, Step::SendOutbox])
        );
        let message = ForceRefused {
            step: Step::PeriodCharges,
        }
        .to_string();
        assert!(
            message.starts_with("--force period-charges: period-charges issues documents")
                && message.contains("never issued again"),
            "{message}"
        );
    }

    #[test]
    fn every_step_that_issues_no_documents_may_be_forced() {
        let expected: Vec<Step> = Step::ALL
            .into_iter()
            .filter(|s| !s.info().issues_documents)
            .collect();
        assert_eq!(forceable(), expected);
        assert_eq!(forced(&forceable()), Ok(expected));
    }

    #[test]
    fn missed_nights_are_caught_up_oldest_first_within_the_limit() {
        let d = date;
        assert_eq!(
            catch_up_dates(Some(d("2026-11-27")), d("2026-11-30"), 7),
            [d("2026-11-28"), d("2026-11-29"), d("2026-11-30")]
        );
        assert_eq!(
            catch_up_dates(Some(d("2026-11-01")), d("2026-11-30"), 2),
            [d("2026-11-29"), d("2026-11-30")]
        );
        assert_eq!(catch_up_dates(None, d("2026-11-30"), 7), [d("2026-11-30")]);
        assert_eq!(
            catch_up_dates(Some(d("2026-11-30")), d("2026-11-30"), 7),
            [d("2026-11-30")]
        );
    }
}
