//! The schedule `tms serve` runs the pipeline on: at `runner.schedule` in the provider's zone,
//! every due business date oldest first, catching up nights missed while the machine was off.

use chrono::Utc;

use super::plan::{RunRequest, last_night_done};
use super::run::{RunOutcome, run};
use crate::calendar::schedule::due_dates;
use crate::config::Settings;
use crate::store::Store;

/// Sleeps until the next run time (waking at least every five minutes, so a suspended machine
/// or a changed clock is noticed), then runs every due business date, oldest first, until
/// `stop` changes.
pub async fn run_on_schedule(
    store: Store,
    settings: Settings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let schedule = settings.schedule();
    tracing::info!(schedule = schedule.pattern(), zone = %schedule.zone(), "nightly schedule on");
    // After a failed night, wait for the next scheduled time rather than retrying every few
    // minutes (and mailing finance each time).
    let mut retry_after: Option<chrono::DateTime<Utc>> = None;
    loop {
        let now = Utc::now();
        let held_back = retry_after.is_some_and(|at| now < at);
        let last_done = match last_night_done(&store).await {
            Ok(last) => last,
            Err(error) => {
                tracing::warn!(%error, "cannot read the last run; trying again in a minute");
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(std::time::Duration::from_secs(60)) => continue,
                }
            }
        };
        let due = if held_back {
            Vec::new()
        } else {
            retry_after = None;
            due_dates(schedule, now, last_done, settings.runner.catch_up_days)
        };
        for date in due {
            if *stop.borrow() {
                return;
            }
            let request = RunRequest {
                business_date: date,
                only: None,
                force: Vec::new(),
                dry_run: false,
            };
            match run(&store, &settings, &request).await {
                Ok(RunOutcome::Done(_)) => tracing::info!(%date, "scheduled run done"),
                Ok(RunOutcome::Failed(_)) => {
                    tracing::error!(%date, "scheduled run failed; see the run report")
                }
                Ok(RunOutcome::AlreadyDone(_)) => {}
                Ok(RunOutcome::AlreadyRunning { holder, .. }) => {
                    tracing::info!(%date, %holder, "another process is running the pipeline");
                    break;
                }
                Err(error) => {
                    tracing::error!(%date, error = %format!("{error:#}"), "scheduled run stopped; tried again at the next scheduled time");
                    retry_after = schedule.next_after(Utc::now());
                    break;
                }
            }
        }
        let next = schedule.next_after(Utc::now());
        let wait = next
            .map(|n| (n - Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(std::time::Duration::from_secs(300))
            .min(std::time::Duration::from_secs(300))
            .max(std::time::Duration::from_secs(1));
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
