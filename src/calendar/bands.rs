//! The band of each minute (docs/rules.md B1) and the split of an interval into runs of one local date
//! and one band, at local midnight and at every band boundary, clock changes included.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

use super::holidays::{BankHolidays, CalendarError};
use crate::domain::{Band, Interval, LocalZone};

/// The configurable part of B1: the night window and the precedence of the special bands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandRules {
    /// Night starts at this local time (default 22:00)...
    pub night_start: NaiveTime,
    /// ...and ends at this one (default 07:00); a window may wrap past midnight or not.
    pub night_end: NaiveTime,
    /// The special bands in order of precedence; `day` is always last and never listed.
    pub precedence: Vec<Band>,
}

impl Default for BandRules {
    fn default() -> Self {
        Self {
            night_start: NaiveTime::from_hms_opt(22, 0, 0).expect("valid time"),
            night_end: NaiveTime::from_hms_opt(7, 0, 0).expect("valid time"),
            precedence: vec![Band::BankHoliday, Band::Weekend, Band::Night],
        }
    }
}

/// Why band rules from configuration are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandRulesError {
    #[error(
        "band precedence must list bank_holiday, weekend and night once each (day is always last), got {0:?}"
    )]
    Precedence(Vec<Band>),
    #[error("the night window is empty: it starts and ends at {0}")]
    EmptyNight(NaiveTime),
}

impl BandRules {
    /// Checks a configured set of rules.
    pub fn new(
        night_start: NaiveTime,
        night_end: NaiveTime,
        precedence: Vec<Band>,
    ) -> Result<Self, BandRulesError> {
        let mut sorted = precedence.clone();
        sorted.sort();
        if sorted != [Band::BankHoliday, Band::Night, Band::Weekend] {
            return Err(BandRulesError::Precedence(precedence));
        }
        if night_start == night_end {
            return Err(BandRulesError::EmptyNight(night_start));
        }
        Ok(Self {
            night_start,
            night_end,
            precedence,
        })
    }

    fn is_night(&self, time: NaiveTime) -> bool {
        if self.night_start > self.night_end {
            time >= self.night_start || time < self.night_end
        } else {
            time >= self.night_start && time < self.night_end
        }
    }

    /// The band of the minute that starts at local wall time `wall`.
    pub fn band_at(
        &self,
        wall: NaiveDateTime,
        holidays: &BankHolidays,
    ) -> Result<Band, CalendarError> {
        self.band_on(wall.date(), Some(wall.time()), holidays)
    }

    /// The band of a whole local date, for items charged once a day (one-off items): the first of
    /// bank holiday and weekend that applies in the precedence order, else day. Night is a time of
    /// day, so it never applies to a whole date.
    pub fn date_band(
        &self,
        date: NaiveDate,
        holidays: &BankHolidays,
    ) -> Result<Band, CalendarError> {
        self.band_on(date, None, holidays)
    }

    /// The first band in precedence order that applies on `date` (at `time`, when given).
    fn band_on(
        &self,
        date: NaiveDate,
        time: Option<NaiveTime>,
        holidays: &BankHolidays,
    ) -> Result<Band, CalendarError> {
        let is_holiday = holidays.is_holiday(date)?;
        for &band in &self.precedence {
            let applies = match band {
                Band::BankHoliday => is_holiday,
                Band::Weekend => matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
                Band::Night => time.is_some_and(|t| self.is_night(t)),
                Band::Day => true,
            };
            if applies {
                return Ok(band);
            }
        }
        Ok(Band::Day)
    }

    /// Local wall times at which a band can change within a day, in order.
    fn boundaries(&self) -> [NaiveTime; 3] {
        let mut times = [NaiveTime::MIN, self.night_end, self.night_start];
        times.sort();
        times
    }
}

/// A stretch of an interval within one local date and one band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandRun {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local_date: NaiveDate,
    pub band: Band,
}

impl BandRun {
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// Splits `interval` at local midnight and at band boundaries. Adjacent stretches with the same
/// date and band are merged, so the result is the fewest runs that give exact lines (C5).
pub fn band_runs(
    interval: Interval,
    zone: LocalZone,
    rules: &BandRules,
    holidays: &BankHolidays,
) -> Result<Vec<BandRun>, CalendarError> {
    const RUNS_PER_INTERVAL_MAX: usize = 64;
    let mut runs: Vec<BandRun> = Vec::with_capacity(2);
    let mut at = interval.start;
    while at < interval.end {
        assert!(
            runs.len() < RUNS_PER_INTERVAL_MAX,
            "an interval longer than the segment limit reached the engine"
        );
        let wall = zone.local(at);
        let band = rules.band_at(wall, holidays)?;
        let next = next_boundary(zone, rules, at, wall).min(interval.end);
        debug_assert!(next > at, "band boundaries move forward");
        match runs.last_mut() {
            Some(last) if last.local_date == wall.date() && last.band == band => last.end = next,
            _ => runs.push(BandRun {
                start: at,
                end: next,
                local_date: wall.date(),
                band,
            }),
        }
        at = next;
    }
    debug_assert_eq!(
        runs.iter().map(BandRun::minutes).sum::<i64>(),
        interval.minutes()
    );
    Ok(runs)
}

/// The first instant after `at` at which the local date or band may change.
fn next_boundary(
    zone: LocalZone,
    rules: &BandRules,
    at: DateTime<Utc>,
    wall: NaiveDateTime,
) -> DateTime<Utc> {
    let today = wall.date();
    let tomorrow = today
        .succ_opt()
        .expect("dates stay far from chrono's limits");
    let mut best: Option<DateTime<Utc>> = None;
    for date in [today, tomorrow] {
        for time in rules.boundaries() {
            let candidate = zone.first_instant_at_or_after(date.and_time(time));
            if candidate > at && best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
    }
    best.expect("tomorrow's midnight is always after now")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn calendar() -> BankHolidays {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        BankHolidays::new(
            "test",
            [
                (d("2026-08-31"), "Summer".to_owned()),
                (d("2026-12-28"), "Boxing Day".to_owned()),
            ],
        )
    }

    fn iv(zone: LocalZone, from: &str, to: &str) -> Interval {
        Interval::new(
            zone.parse_instant(from).unwrap(),
            zone.parse_instant(to).unwrap(),
        )
        .unwrap()
    }

    fn summary(runs: &[BandRun]) -> Vec<(String, &'static str, i64)> {
        runs.iter()
            .map(|r| (r.local_date.to_string(), r.band.as_str(), r.minutes()))
            .collect()
    }

    #[test]
    fn worked_example_3_splits_at_night_and_midnight() {
        let z = LocalZone::default();
        let runs = band_runs(
            iv(z, "2026-10-23T21:00", "2026-10-24T01:00"),
            z,
            &BandRules::default(),
            &calendar(),
        )
        .unwrap();
        assert_eq!(
            summary(&runs),
            vec![
                ("2026-10-23".into(), "day", 60),
                ("2026-10-23".into(), "night", 120),
                ("2026-10-24".into(), "weekend", 60)
            ]
        );
    }

    #[test]
    fn worked_example_4_autumn_night_is_eleven_hours() {
        let z = LocalZone::default();
        let runs = band_runs(
            iv(z, "2026-10-24T22:00", "2026-10-25T08:00"),
            z,
            &BandRules::default(),
            &calendar(),
        )
        .unwrap();
        assert_eq!(
            summary(&runs),
            vec![
                ("2026-10-24".into(), "weekend", 120),
                ("2026-10-25".into(), "weekend", 540)
            ]
        );
    }

    #[test]
    fn spring_night_is_nine_hours() {
        let z = LocalZone::default();
        let cal = BankHolidays::new(
            "t",
            [(
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                "New Year".to_owned(),
            )],
        );
        let runs = band_runs(
            iv(z, "2026-03-26T22:00", "2026-03-27T08:00"),
            z,
            &BandRules::default(),
            &cal,
        )
        .unwrap();
        assert_eq!(
            summary(&runs),
            vec![
                ("2026-03-26".into(), "night", 120),
                ("2026-03-27".into(), "night", 420),
                ("2026-03-27".into(), "day", 60)
            ]
        );
        let runs = band_runs(
            iv(z, "2026-03-28T22:00", "2026-03-29T08:00"),
            z,
            &BandRules::default(),
            &cal,
        )
        .unwrap();
        assert_eq!(runs.iter().map(BandRun::minutes).sum::<i64>(), 540);
    }

    #[test]
    fn precedence_is_configurable_and_holidays_win_by_default() {
        let z = LocalZone::default();
        let wall = z.local(
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 28, 23, 0, 0)
                .unwrap(),
        );
        assert_eq!(
            BandRules::default().band_at(wall, &calendar()),
            Ok(Band::BankHoliday)
        );
        let night_first = BandRules::new(
            BandRules::default().night_start,
            BandRules::default().night_end,
            vec![Band::Night, Band::BankHoliday, Band::Weekend],
        )
        .unwrap();
        assert_eq!(night_first.band_at(wall, &calendar()), Ok(Band::Night));
        assert!(BandRules::new(wall.time(), wall.time(), vec![]).is_err());
    }

    #[test]
    fn uncovered_years_are_refused() {
        let z = LocalZone::default();
        let err = band_runs(
            iv(z, "2030-01-02T09:00", "2030-01-02T10:00"),
            z,
            &BandRules::default(),
            &calendar(),
        );
        assert!(matches!(err, Err(CalendarError::OutOfRange { .. })));
    }

    #[test]
    fn a_whole_date_takes_holiday_then_weekend_and_never_night() {
        let rules = BandRules::default();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let band = |date: &str| rules.date_band(d(date), &calendar()).unwrap();
        assert_eq!(band("2026-08-31"), Band::BankHoliday);
        assert_eq!(band("2026-08-29"), Band::Weekend);
        assert_eq!(band("2026-09-01"), Band::Day);
        assert!(
            rules.date_band(d("2031-01-06"), &calendar()).is_err(),
            "a year with no bank holidays loaded is an error, not an ordinary day"
        );
    }
}
