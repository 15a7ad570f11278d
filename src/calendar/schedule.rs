//! When the nightly pipeline is due: a cron pattern read in the provider's zone, DST-safe, with
//! missed nights caught up.
//!
//! The pattern is matched against wall-clock time in the provider's zone, and every scheduled
//! wall-clock time runs exactly once:
//! - a time that happens once runs at that instant;
//! - a time that happens twice, when the clocks go back, runs at the first of the two instants
//!   (the repeated hour after the change has no runs of its own);
//! - a time that never happens, when the clocks go forward, runs at the first instant after the
//!   gap; several such times on one day, and a scheduled time at the end of the gap, are one run.
//!
//! For "0 2 * * *" in Europe/London that is 02:00 UTC in winter and 01:00 UTC in summer; for
//! "30 1 * * *" it is 01:00 UTC on the spring-forward day (02:00 BST, just after the gap) and
//! 00:30 UTC (01:30 BST) on the autumn day.
//!
//! The module is pure: it reads no clock and does no I/O, so `now` is always a parameter.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// The longest run of wall-clock time a clock change can skip. Real gaps are an hour or less;
/// the bound only stops the search for the end of a gap.
const MAX_GAP_MINUTES: u32 = 24 * 60;

/// Why a schedule could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The pattern is not a 5-field cron pattern.
    #[error("schedule {pattern:?}: {reason}")]
    Pattern { pattern: String, reason: String },
}

/// A cron pattern (5 fields: minute hour day-of-month month day-of-week) read as wall-clock
/// time in `zone`.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
    pattern: String,
}

impl Schedule {
    /// Reads a 5-field cron pattern (minute hour day-of-month month day-of-week). Seconds, years
    /// and `@` nicknames are refused.
    pub fn parse(pattern: &str, zone: Tz) -> Result<Schedule, ScheduleError> {
        let text = pattern.trim();
        let error = |reason: String| ScheduleError::Pattern {
            pattern: pattern.to_owned(),
            reason,
        };
        let fields = text.split_whitespace().count();
        if fields != 5 {
            return Err(error(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {fields}"
            )));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(text)
            .map_err(|e| error(e.to_string()))?;
        Ok(Schedule {
            cron,
            zone,
            pattern: text.to_owned(),
        })
    }

    /// The pattern as given, without surrounding spaces.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The zone the pattern is read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first scheduled instant strictly after `after`.
    ///
    /// `None` only when the pattern never matches again (e.g. "0 0 30 2 *").
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Wall-clock times before the wall clock of `after` all run at or before it. Those from
        // there on run after it, except in the repeated hour when `after` is in its second pass:
        // they ran in the first pass and are stepped over below (at most an hour of them).
        let mut cursor = after.with_timezone(&self.zone).naive_local();
        let mut inclusive = true;
        loop {
            let wall = self.cron.find_next_occurrence(&cursor, inclusive).ok()?;
            inclusive = false;
            cursor = wall;
            if let Some(at) = self.instant_of(wall)
                && at > after
            {
                return Some(at);
            }
        }
    }

    /// Scheduled instants in (`from`, `to`], oldest first (at most `limit` of the newest).
    ///
    /// The walk starts at `to` and goes back, stopping at `from` or after `limit` instants, so
    /// its work is bounded by `limit` (plus at most a day's matches around a clock change),
    /// however old `from` is.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut found = Vec::new();
        if limit == 0 || from >= to {
            return found;
        }
        self.walk_back(to, |at| {
            if at <= from {
                return false;
            }
            found.push(at);
            found.len() < limit
        });
        found.reverse();
        found
    }

    /// Calls `visit` with each distinct scheduled instant at or before `to`, newest first, until
    /// it returns `false` or the pattern has no earlier match.
    fn walk_back(&self, to: DateTime<Utc>, mut visit: impl FnMut(DateTime<Utc>) -> bool) {
        let local = to.with_timezone(&self.zone).naive_local();
        // In the second pass of a repeated hour, the rest of that hour ran in the first pass,
        // before `to`: start the walk from its end. Wall-clock times past `to` are skipped below.
        let start = match self.zone.from_local_datetime(&local) {
            chrono::LocalResult::Ambiguous(earlier, later) => local + (later - earlier),
            _ => local,
        };
        let mut cursor = start;
        let mut inclusive = true;
        let mut newest_seen: Option<DateTime<Utc>> = None;
        while let Ok(wall) = self.cron.find_previous_occurrence(&cursor, inclusive) {
            inclusive = false;
            cursor = wall;
            let Some(at) = self.instant_of(wall) else {
                continue;
            };
            // Times that land on one instant (a gap) are one run.
            if at > to || newest_seen.is_some_and(|seen| at >= seen) {
                continue;
            }
            newest_seen = Some(at);
            if !visit(at) {
                return;
            }
        }
    }

    /// The instant a scheduled wall-clock time runs at: the first of two when it happens twice,
    /// the end of the gap when it never happens.
    fn instant_of(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.zone.from_local_datetime(&wall).earliest() {
            Some(at) => Some(at.with_timezone(&Utc)),
            None => self.end_of_gap(wall),
        }
    }

    /// The first instant after the gap that `wall` falls in.
    fn end_of_gap(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        let exists = |w: NaiveDateTime| self.zone.from_local_datetime(&w).earliest();
        let mut minute = wall;
        for _ in 0..MAX_GAP_MINUTES {
            minute = minute.checked_add_signed(TimeDelta::minutes(1))?;
            let Some(mut first) = exists(minute) else {
                continue;
            };
            // A gap can end between whole minutes (some historical offsets did): step back to
            // its first second. The minute before is in the gap, so this takes at most 59 steps.
            let mut second = minute;
            while let Some(earlier) = second
                .checked_sub_signed(TimeDelta::seconds(1))
                .and_then(|w| exists(w).map(|at| (w, at)))
            {
                (second, first) = earlier;
            }
            return Some(first.with_timezone(&Utc));
        }
        None
    }
}

/// The business date a run at `at` processes: the local calendar day before the run's local date
/// (a 02:00 run on 1 December processes 30 November).
pub fn business_date_of(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    let local = at.with_timezone(&zone).date_naive();
    local.pred_opt().unwrap_or(local)
}

/// Business dates due at `now`, oldest first: the business date of every scheduled run at or
/// before `now` that is later than `last_done`, keeping only the newest `max_catch_up`
/// (at least 1). With no `last_done` (a new installation) only the latest run's date is due.
/// Dates are distinct (two runs on one local day, e.g. an ambiguous autumn time, give one date).
///
/// The walk goes back from `now` and stops at `last_done` or once `max_catch_up` dates are found.
pub fn due_dates(
    schedule: &Schedule,
    now: DateTime<Utc>,
    last_done: Option<NaiveDate>,
    max_catch_up: u32,
) -> Vec<NaiveDate> {
    let keep = match last_done {
        Some(_) => usize::try_from(max_catch_up.max(1)).unwrap_or(usize::MAX),
        None => 1,
    };
    let mut dates: Vec<NaiveDate> = Vec::new();
    schedule.walk_back(now, |at| {
        let date = business_date_of(at, schedule.zone);
        if last_done.is_some_and(|done| date <= done) {
            return false;
        }
        // Newest first, so a repeated date is always the last one pushed.
        if dates.last() != Some(&date) {
            dates.push(date);
        }
        dates.len() < keep
    });
    dates.reverse();
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    /// An instant written in UTC.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn london(pattern: &str) -> Schedule {
        Schedule::parse(pattern, London).unwrap()
    }

    // Europe/London in 2026: clocks go forward on Sunday 29 March at 01:00 GMT (01:00 UTC) to
    // 02:00 BST, so 01:00-01:59 local does not exist; they go back on Sunday 25 October at
    // 02:00 BST (01:00 UTC) to 01:00 GMT, so 01:00-01:59 local happens twice.

    #[test]
    fn parse_keeps_pattern_and_zone() {
        let s = Schedule::parse("  0 2 * * *  ", London).unwrap();
        assert_eq!(s.pattern(), "0 2 * * *");
        assert_eq!(s.zone(), London);
    }

    #[test]
    fn bad_pattern_gives_an_error_naming_it() {
        for bad in [
            "61 2 * * *",
            "0 24 * * *",
            "0 2 * *",
            "0 0 2 * * *",
            "0 2 * * * 2026",
            "@daily",
            "",
            "x 2 * * *",
        ] {
            let err = Schedule::parse(bad, London).unwrap_err();
            let ScheduleError::Pattern { pattern, reason } = &err;
            assert_eq!(pattern, bad);
            assert!(!reason.is_empty());
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("schedule {bad:?}: ")),
                "{text} should name {bad:?}"
            );
        }
    }

    #[test]
    fn two_am_is_two_utc_in_winter_and_one_utc_in_summer() {
        let s = london("0 2 * * *");
        assert_eq!(
            s.next_after(utc(2026, 1, 14, 12, 0, 0)),
            Some(utc(2026, 1, 15, 2, 0, 0))
        );
        assert_eq!(
            s.next_after(utc(2026, 7, 14, 12, 0, 0)),
            Some(utc(2026, 7, 15, 1, 0, 0))
        );
    }

    #[test]
    fn next_after_is_strictly_after() {
        let s = london("0 2 * * *");
        assert_eq!(
            s.next_after(utc(2026, 1, 15, 2, 0, 0)),
            Some(utc(2026, 1, 16, 2, 0, 0))
        );
        let just_before = utc(2026, 1, 15, 1, 59, 59) + TimeDelta::milliseconds(999);
        assert_eq!(s.next_after(just_before), Some(utc(2026, 1, 15, 2, 0, 0)));
        let just_after = utc(2026, 1, 15, 2, 0, 0) + TimeDelta::milliseconds(1);
        assert_eq!(s.next_after(just_after), Some(utc(2026, 1, 16, 2, 0, 0)));
    }

    #[test]
    fn spring_forward_two_am_runs_at_one_utc() {
        let s = london("0 2 * * *");
        // 28 March 02:00 GMT, 29 March 02:00 BST (the first instant after the gap), 30 March 02:00 BST.
        assert_eq!(
            s.next_after(utc(2026, 3, 28, 2, 0, 0)),
            Some(utc(2026, 3, 29, 1, 0, 0))
        );
        assert_eq!(
            s.between(utc(2026, 3, 27, 12, 0, 0), utc(2026, 3, 30, 12, 0, 0), 10),
            vec![
                utc(2026, 3, 28, 2, 0, 0),
                utc(2026, 3, 29, 1, 0, 0),
                utc(2026, 3, 30, 1, 0, 0),
            ]
        );
    }

    #[test]
    fn spring_forward_missing_time_runs_once_after_the_gap() {
        let s = london("30 1 * * *");
        // 01:30 on 29 March does not exist: it runs at 02:00 BST = 01:00 UTC.
        assert_eq!(
            s.next_after(utc(2026, 3, 28, 12, 0, 0)),
            Some(utc(2026, 3, 29, 1, 0, 0))
        );
        assert_eq!(
            s.next_after(utc(2026, 3, 29, 0, 59, 59)),
            Some(utc(2026, 3, 29, 1, 0, 0))
        );
        // Once only: the next run is 30 March 01:30 BST = 00:30 UTC.
        assert_eq!(
            s.next_after(utc(2026, 3, 29, 1, 0, 0)),
            Some(utc(2026, 3, 30, 0, 30, 0))
        );
        assert_eq!(
            s.between(utc(2026, 3, 27, 12, 0, 0), utc(2026, 3, 30, 12, 0, 0), 10),
            vec![
                utc(2026, 3, 28, 1, 30, 0),
                utc(2026, 3, 29, 1, 0, 0),
                utc(2026, 3, 30, 0, 30, 0),
            ]
        );
    }

    #[test]
    fn spring_forward_times_in_the_gap_collapse_into_one_run() {
        // 00:40 GMT; then 01:00, 01:20, 01:40 (missing) and 02:00 BST all run at 01:00 UTC;
        // then 02:20 BST = 01:20 UTC.
        let s = london("*/20 * * * *");
        assert_eq!(
            s.between(utc(2026, 3, 29, 0, 30, 0), utc(2026, 3, 29, 1, 30, 0), 10),
            vec![
                utc(2026, 3, 29, 0, 40, 0),
                utc(2026, 3, 29, 1, 0, 0),
                utc(2026, 3, 29, 1, 20, 0),
            ]
        );
        assert_eq!(
            s.next_after(utc(2026, 3, 29, 0, 40, 0)),
            Some(utc(2026, 3, 29, 1, 0, 0))
        );
        assert_eq!(
            s.next_after(utc(2026, 3, 29, 1, 0, 0)),
            Some(utc(2026, 3, 29, 1, 20, 0))
        );
        // Two missing times and nothing scheduled at the end of the gap: still one run.
        let s = london("0,30 1 * * *");
        assert_eq!(
            s.between(utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 29, 12, 0, 0), 10),
            vec![utc(2026, 3, 29, 1, 0, 0)]
        );
    }

    #[test]
    fn autumn_repeated_time_runs_once_at_the_first_instant() {
        let s = london("30 1 * * *");
        // 01:30 happens at 00:30 UTC (BST) and 01:30 UTC (GMT): only the first runs.
        assert_eq!(
            s.next_after(utc(2026, 10, 24, 12, 0, 0)),
            Some(utc(2026, 10, 25, 0, 30, 0))
        );
        assert_eq!(
            s.next_after(utc(2026, 10, 25, 0, 30, 0)),
            Some(utc(2026, 10, 26, 1, 30, 0))
        );
        // From inside the repeated hour, second pass (01:10 GMT = 01:10 UTC).
        assert_eq!(
            s.next_after(utc(2026, 10, 25, 1, 10, 0)),
            Some(utc(2026, 10, 26, 1, 30, 0))
        );
        // From inside the repeated hour, first pass (01:10 BST = 00:10 UTC).
        assert_eq!(
            s.next_after(utc(2026, 10, 25, 0, 10, 0)),
            Some(utc(2026, 10, 25, 0, 30, 0))
        );
        assert_eq!(
            s.between(utc(2026, 10, 23, 12, 0, 0), utc(2026, 10, 26, 12, 0, 0), 10),
            vec![
                utc(2026, 10, 24, 0, 30, 0),
                utc(2026, 10, 25, 0, 30, 0),
                utc(2026, 10, 26, 1, 30, 0),
            ]
        );
    }

    #[test]
    fn autumn_between_ending_inside_the_repeated_hour() {
        let s = london("30 1 * * *");
        let from = utc(2026, 10, 24, 12, 0, 0);
        // `to` at 01:10 GMT (second pass, wall clock before 01:30): the 00:30 UTC run is in.
        assert_eq!(
            s.between(from, utc(2026, 10, 25, 1, 10, 0), 10),
            vec![utc(2026, 10, 25, 0, 30, 0)]
        );
        // `to` at 01:45 GMT (second pass, wall clock after 01:30): still exactly one run.
        assert_eq!(
            s.between(from, utc(2026, 10, 25, 1, 45, 0), 10),
            vec![utc(2026, 10, 25, 0, 30, 0)]
        );
        // `to` at 01:45 BST (first pass).
        assert_eq!(
            s.between(from, utc(2026, 10, 25, 0, 45, 0), 10),
            vec![utc(2026, 10, 25, 0, 30, 0)]
        );
        // `to` just before the run.
        assert!(s.between(from, utc(2026, 10, 25, 0, 29, 59), 10).is_empty());
    }

    #[test]
    fn autumn_two_am_runs_once_in_gmt() {
        let s = london("0 2 * * *");
        // 24 October 02:00 BST, 25 October 02:00 GMT (after the change), 26 October 02:00 GMT.
        assert_eq!(
            s.next_after(utc(2026, 10, 24, 1, 0, 0)),
            Some(utc(2026, 10, 25, 2, 0, 0))
        );
        assert_eq!(
            s.between(utc(2026, 10, 23, 12, 0, 0), utc(2026, 10, 26, 12, 0, 0), 10),
            vec![
                utc(2026, 10, 24, 1, 0, 0),
                utc(2026, 10, 25, 2, 0, 0),
                utc(2026, 10, 26, 2, 0, 0),
            ]
        );
    }

    #[test]
    fn autumn_interval_pattern_runs_only_in_the_first_pass() {
        // 01:00 and 01:30 BST (00:00 and 00:30 UTC); nothing in the repeated GMT hour.
        let s = london("0,30 1 * * *");
        assert_eq!(
            s.between(utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 25, 12, 0, 0), 10),
            vec![utc(2026, 10, 25, 0, 0, 0), utc(2026, 10, 25, 0, 30, 0)]
        );
    }

    #[test]
    fn between_is_half_open_and_respects_limit() {
        let s = london("0 2 * * *");
        let from = utc(2026, 1, 10, 2, 0, 0);
        let to = utc(2026, 1, 13, 2, 0, 0);
        assert_eq!(
            s.between(from, to, 10),
            vec![
                utc(2026, 1, 11, 2, 0, 0),
                utc(2026, 1, 12, 2, 0, 0),
                utc(2026, 1, 13, 2, 0, 0),
            ]
        );
        assert_eq!(
            s.between(from, to, 2),
            vec![utc(2026, 1, 12, 2, 0, 0), utc(2026, 1, 13, 2, 0, 0)]
        );
        assert!(s.between(from, to, 0).is_empty());
        assert!(s.between(to, from, 10).is_empty());
        assert!(s.between(to, to, 10).is_empty());
    }

    #[test]
    fn between_with_a_very_old_from_takes_only_the_newest() {
        let s = london("0 2 * * *");
        assert_eq!(
            s.between(utc(1990, 1, 1, 0, 0, 0), utc(2026, 3, 30, 10, 0, 0), 3),
            vec![
                utc(2026, 3, 28, 2, 0, 0),
                utc(2026, 3, 29, 1, 0, 0),
                utc(2026, 3, 30, 1, 0, 0),
            ]
        );
        let every_minute = london("* * * * *");
        assert_eq!(
            every_minute.between(utc(1990, 1, 1, 0, 0, 0), utc(2026, 1, 15, 10, 0, 30), 3),
            vec![
                utc(2026, 1, 15, 9, 58, 0),
                utc(2026, 1, 15, 9, 59, 0),
                utc(2026, 1, 15, 10, 0, 0),
            ]
        );
    }

    #[test]
    fn a_pattern_that_never_matches_ends() {
        let s = london("0 0 30 2 *");
        assert_eq!(s.next_after(utc(2026, 1, 1, 0, 0, 0)), None);
        assert!(
            s.between(utc(2000, 1, 1, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0), 10)
                .is_empty()
        );
        assert_eq!(due_dates(&s, utc(2026, 1, 1, 0, 0, 0), None, 7), vec![]);
    }

    #[test]
    fn business_date_is_the_local_day_before() {
        assert_eq!(
            business_date_of(utc(2026, 12, 1, 2, 0, 0), London),
            date(2026, 11, 30)
        );
        assert_eq!(
            business_date_of(utc(2026, 1, 1, 2, 0, 0), London),
            date(2025, 12, 31)
        );
        assert_eq!(
            business_date_of(utc(2026, 3, 29, 1, 0, 0), London),
            date(2026, 3, 28)
        );
        // 23:30 UTC on 30 June is 00:30 BST on 1 July.
        assert_eq!(
            business_date_of(utc(2026, 6, 30, 23, 30, 0), London),
            date(2026, 6, 30)
        );
        assert_eq!(
            business_date_of(utc(2026, 10, 25, 0, 30, 0), London),
            date(2026, 10, 24)
        );
    }

    #[test]
    fn missed_nights_are_caught_up_across_spring_forward() {
        let now = utc(2026, 3, 30, 10, 0, 0);
        // Runs 29 March 01:00 UTC (02:00 BST) and 30 March 01:00 UTC; 28 March 02:00 UTC
        // processed the 27th, which is done.
        assert_eq!(
            due_dates(&london("0 2 * * *"), now, Some(date(2026, 3, 27)), 7),
            vec![date(2026, 3, 28), date(2026, 3, 29)]
        );
        // Runs 29 March 01:00 UTC (after the gap) and 30 March 00:30 UTC.
        assert_eq!(
            due_dates(&london("30 1 * * *"), now, Some(date(2026, 3, 27)), 7),
            vec![date(2026, 3, 28), date(2026, 3, 29)]
        );
    }

    #[test]
    fn missed_nights_are_caught_up_across_fall_back() {
        let now = utc(2026, 10, 26, 10, 0, 0);
        // Runs 25 October 02:00 UTC (GMT) and 26 October 02:00 UTC; 24 October 01:00 UTC
        // processed the 23rd, which is done.
        assert_eq!(
            due_dates(&london("0 2 * * *"), now, Some(date(2026, 10, 23)), 7),
            vec![date(2026, 10, 24), date(2026, 10, 25)]
        );
        // Runs 25 October 00:30 UTC (first 01:30) and 26 October 01:30 UTC.
        assert_eq!(
            due_dates(&london("30 1 * * *"), now, Some(date(2026, 10, 23)), 7),
            vec![date(2026, 10, 24), date(2026, 10, 25)]
        );
    }

    #[test]
    fn nothing_due_when_the_last_run_is_done() {
        let s = london("0 2 * * *");
        let now = utc(2026, 3, 30, 10, 0, 0);
        assert_eq!(due_dates(&s, now, Some(date(2026, 3, 29)), 7), vec![]);
        // A date done ahead of the schedule.
        assert_eq!(due_dates(&s, now, Some(date(2026, 4, 2)), 7), vec![]);
        let now = utc(2026, 10, 26, 10, 0, 0);
        assert_eq!(due_dates(&s, now, Some(date(2026, 10, 25)), 7), vec![]);
    }

    #[test]
    fn todays_run_is_not_due_just_before_its_time() {
        let s = london("0 2 * * *");
        // Summer: today's run is 01:00 UTC.
        assert_eq!(
            due_dates(&s, utc(2026, 3, 30, 0, 59, 59), Some(date(2026, 3, 28)), 7),
            vec![]
        );
        assert_eq!(
            due_dates(&s, utc(2026, 3, 30, 1, 0, 0), Some(date(2026, 3, 28)), 7),
            vec![date(2026, 3, 29)]
        );
        // Winter: today's run is 02:00 UTC.
        assert_eq!(
            due_dates(&s, utc(2026, 1, 15, 1, 59, 59), Some(date(2026, 1, 13)), 7),
            vec![]
        );
        assert_eq!(
            due_dates(&s, utc(2026, 1, 15, 2, 0, 0), Some(date(2026, 1, 13)), 7),
            vec![date(2026, 1, 14)]
        );
        // On the spring-forward day "30 1 * * *" runs at 01:00 UTC, not 01:30 UTC.
        let s = london("30 1 * * *");
        assert_eq!(
            due_dates(&s, utc(2026, 3, 29, 0, 59, 59), Some(date(2026, 3, 27)), 7),
            vec![]
        );
        assert_eq!(
            due_dates(&s, utc(2026, 3, 29, 1, 0, 0), Some(date(2026, 3, 27)), 7),
            vec![date(2026, 3, 28)]
        );
    }

    #[test]
    fn catch_up_keeps_only_the_newest_max_catch_up() {
        let s = london("0 2 * * *");
        let now = utc(2026, 1, 15, 10, 0, 0);
        // Runs 2-15 January at 02:00 UTC process 1-14 January; 1 January is done.
        assert_eq!(
            due_dates(&s, now, Some(date(2026, 1, 1)), 3),
            vec![date(2026, 1, 12), date(2026, 1, 13), date(2026, 1, 14)]
        );
        assert_eq!(due_dates(&s, now, Some(date(2026, 1, 1)), 13).len(), 13);
        assert_eq!(due_dates(&s, now, Some(date(2026, 1, 1)), 100).len(), 13);
        // Zero is read as one.
        assert_eq!(
            due_dates(&s, now, Some(date(2026, 1, 1)), 0),
            vec![date(2026, 1, 14)]
        );
        // A very old last date costs no more than the cap.
        assert_eq!(
            due_dates(&s, now, Some(date(1990, 1, 1)), 2),
            vec![date(2026, 1, 13), date(2026, 1, 14)]
        );
    }

    #[test]
    fn new_installation_gets_only_the_latest_date() {
        let s = london("0 2 * * *");
        assert_eq!(
            due_dates(&s, utc(2026, 3, 30, 10, 0, 0), None, 7),
            vec![date(2026, 3, 29)]
        );
        // Before today's 01:00 UTC run, the latest run was 29 March 01:00 UTC.
        assert_eq!(
            due_dates(&s, utc(2026, 3, 30, 0, 30, 0), None, 7),
            vec![date(2026, 3, 28)]
        );
    }

    #[test]
    fn two_runs_on_one_local_day_give_one_date() {
        let s = london("0 2,14 * * *");
        let now = utc(2026, 1, 15, 15, 0, 0);
        assert_eq!(
            due_dates(&s, now, Some(date(2026, 1, 12)), 7),
            vec![date(2026, 1, 13), date(2026, 1, 14)]
        );
        // The cap counts dates, not runs.
        assert_eq!(
            due_dates(&s, now, Some(date(2026, 1, 1)), 2),
            vec![date(2026, 1, 13), date(2026, 1, 14)]
        );
        // 01:00 and 01:30 BST on 25 October (00:00 and 00:30 UTC) both process 24 October.
        let s = london("0,30 1 * * *");
        assert_eq!(
            due_dates(&s, utc(2026, 10, 25, 12, 0, 0), Some(date(2026, 10, 23)), 7),
            vec![date(2026, 10, 24)]
        );
    }
}
