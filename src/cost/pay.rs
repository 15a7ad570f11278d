//! Pay rules (docs/rules.md K1): a worker's base rates over time, band enhancements on top of
//! them, and the flat sleep-in allowance. Configuration, separate from charge rates.

use chrono::NaiveDate;

use crate::domain::money::MoneyError;
use crate::domain::reference::FROM_THE_BEGINNING;
use crate::domain::{Band, Pence, Rate};

/// One entry of a worker's base-rate history: the hourly rate from a date, to a date or
/// open-ended (both inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseRate {
    pub rate: Rate,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

/// A worker's base hourly rates over time (docs/rules.md K1), in date order. Pay for a piece of
/// time uses the rate in force on its local date; a date no entry covers has no base rate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseRates {
    entries: Vec<BaseRate>,
}

impl BaseRates {
    /// A history of the given entries, kept in date order (checked free of overlaps at import).
    pub fn new(entries: impl IntoIterator<Item = BaseRate>) -> Self {
        let mut entries: Vec<BaseRate> = entries.into_iter().collect();
        entries.sort_by_key(|e| e.effective_from);
        Self { entries }
    }

    /// One rate in force on every date.
    pub fn flat(rate: Rate) -> Self {
        Self::new([BaseRate {
            rate,
            effective_from: FROM_THE_BEGINNING,
            effective_to: None,
        }])
    }

    /// The entries, in date order.
    pub fn entries(&self) -> &[BaseRate] {
        &self.entries
    }

    /// The entry in force on `date`, if any.
    pub fn entry_on(&self, date: NaiveDate) -> Option<&BaseRate> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.effective_from <= date)
            .filter(|e| e.effective_to.is_none_or(|to| date <= to))
    }

    /// The rate in force on `date`, if any.
    pub fn on(&self, date: NaiveDate) -> Option<Rate> {
        self.entry_on(date).map(|e| e.rate)
    }

    /// The dates from the beginning on that no entry covers, as inclusive ranges; the last is
    /// open-ended (`None`) when the history ends.
    pub fn gaps(&self) -> Vec<(NaiveDate, Option<NaiveDate>)> {
        let mut gaps = Vec::new();
        // The first date not covered yet; `None` once an open-ended entry covers the rest.
        let mut uncovered = Some(FROM_THE_BEGINNING);
        for entry in &self.entries {
            let Some(start) = uncovered else { break };
            if entry.effective_from > start {
                gaps.push((start, entry.effective_from.pred_opt()));
            }
            uncovered = entry
                .effective_to
                .and_then(|to| to.succ_opt())
                .map(|after| after.max(start));
        }
        if let Some(start) = uncovered {
            gaps.push((start, None));
        }
        gaps
    }
}

/// An hourly amount added to the base rate for minutes in `band`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enhancement {
    pub band: Band,
    pub amount: Rate,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

/// The flat amount paid for one sleep-in; `band` narrows it (e.g. a higher bank-holiday
/// allowance), `None` applies to every band without its own amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SleepInAllowance {
    pub band: Option<Band>,
    pub amount: Pence,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

fn effective(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && to.is_none_or(|to| date <= to)
}

/// All pay rules in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PayRules {
    pub enhancements: Vec<Enhancement>,
    pub sleep_in_allowances: Vec<SleepInAllowance>,
}

impl PayRules {
    /// The hourly pay for a minute: base rate plus the band's enhancement on that date; an error
    /// if the sum leaves the range of a rate.
    pub fn hourly_pay(
        &self,
        base_rate: Rate,
        band: Band,
        date: NaiveDate,
    ) -> Result<Rate, MoneyError> {
        let enhancement = self
            .enhancements
            .iter()
            .find(|e| e.band == band && effective(e.effective_from, e.effective_to, date))
            .map_or(Rate::ZERO, |e| e.amount);
        base_rate
            .checked_add(enhancement)
            .map_err(|_| MoneyError::overflow(format!("the hourly pay for {band} time on {date}")))
    }

    /// The sleep-in allowance for a night whose first minute is in `band` on `date`; zero when
    /// none is configured.
    pub fn sleep_in_allowance(&self, band: Band, date: NaiveDate) -> Pence {
        let in_force = |a: &&SleepInAllowance| effective(a.effective_from, a.effective_to, date);
        let banded = self
            .sleep_in_allowances
            .iter()
            .filter(in_force)
            .find(|a| a.band == Some(band));
        let general = || {
            self.sleep_in_allowances
                .iter()
                .filter(in_force)
                .find(|a| a.band.is_none())
        };
        banded.or_else(general).map_or(Pence::ZERO, |a| a.amount)
    }

    /// Pairs of rules of the same kind and band whose dates overlap (refused at import).
    pub fn clashes(&self) -> Vec<String> {
        let overlaps =
            |f1: NaiveDate, t1: Option<NaiveDate>, f2: NaiveDate, t2: Option<NaiveDate>| {
                !(t1.is_some_and(|t| t < f2) || t2.is_some_and(|t| t < f1))
            };
        let mut out = Vec::new();
        for (i, a) in self.enhancements.iter().enumerate() {
            for b in &self.enhancements[i + 1..] {
                if a.band == b.band
                    && overlaps(
                        a.effective_from,
                        a.effective_to,
                        b.effective_from,
                        b.effective_to,
                    )
                {
                    out.push(format!(
                        "two enhancements for band {} overlap from {}",
                        a.band,
                        a.effective_from.max(b.effective_from)
                    ));
                }
            }
        }
        for (i, a) in self.sleep_in_allowances.iter().enumerate() {
            for b in &self.sleep_in_allowances[i + 1..] {
                if a.band == b.band
                    && overlaps(
                        a.effective_from,
                        a.effective_to,
                        b.effective_from,
                        b.effective_to,
                    )
                {
                    let band = a.band.map_or("any band", Band::as_str);
                    out.push(format!(
                        "two sleep-in allowances for {band} overlap from {}",
                        a.effective_from.max(b.effective_from)
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn pay_is_base_plus_the_bands_enhancement() {
        let rules = PayRules {
            enhancements: vec![Enhancement {
                band: Band::Night,
                amount: Rate::parse_pounds("1.50").unwrap(),
                effective_from: d("2026-01-01"),
                effective_to: None,
            }],
            sleep_in_allowances: vec![
                SleepInAllowance {
                    band: None,
                    amount: Pence::new(4000),
                    effective_from: d("2026-01-01"),
                    effective_to: None,
                },
                SleepInAllowance {
                    band: Some(Band::BankHoliday),
                    amount: Pence::new(6000),
                    effective_from: d("2026-01-01"),
                    effective_to: None,
                },
            ],
        };
        let base = Rate::parse_pounds("12.60").unwrap();
        assert_eq!(
            rules
                .hourly_pay(base, Band::Night, d("2026-10-06"))
                .unwrap()
                .to_string(),
            "14.1000"
        );
        assert_eq!(
            rules
                .hourly_pay(base, Band::Day, d("2026-10-06"))
                .unwrap()
                .to_string(),
            "12.6000"
        );
        assert_eq!(
            rules
                .hourly_pay(base, Band::Night, d("2025-10-06"))
                .unwrap()
                .to_string(),
            "12.6000"
        );
        assert_eq!(
            rules.sleep_in_allowance(Band::Night, d("2026-10-06")),
            Pence::new(4000)
        );
        assert_eq!(
            rules.sleep_in_allowance(Band::BankHoliday, d("2026-10-06")),
            Pence::new(6000)
        );
        assert_eq!(
            rules.sleep_in_allowance(Band::Night, d("2025-10-06")),
            Pence::ZERO
        );
        assert!(rules.clashes().is_empty());
        assert!(
            rules
                .hourly_pay(
                    Rate::from_centipence(i64::MAX),
                    Band::Night,
                    d("2026-10-06")
                )
                .is_err(),
            "base pay plus an enhancement beyond range is an error, not a wrapped rate"
        );
    }

    #[test]
    fn a_base_rate_is_the_one_in_force_on_the_date_and_gaps_are_found() {
        let rate = |r: &str| Rate::parse_pounds(r).unwrap();
        assert_eq!(
            BaseRates::flat(rate("12.60")).on(d("1999-01-01")),
            Some(rate("12.60"))
        );
        assert!(BaseRates::flat(rate("12.60")).gaps().is_empty());
        // Given out of order: a rise on 1 November, then the worker leaves on 31 December and
        // comes back on 1 March with a gap between.
        let history = BaseRates::new([
            BaseRate {
                rate: rate("13.00"),
                effective_from: d("2027-03-01"),
                effective_to: None,
            },
            BaseRate {
                rate: rate("12.60"),
                effective_from: FROM_THE_BEGINNING,
                effective_to: Some(d("2026-10-31")),
            },
            BaseRate {
                rate: rate("12.80"),
                effective_from: d("2026-11-01"),
                effective_to: Some(d("2026-12-31")),
            },
        ]);
        assert_eq!(history.on(d("2026-10-31")), Some(rate("12.60")));
        assert_eq!(history.on(d("2026-11-01")), Some(rate("12.80")));
        assert_eq!(history.on(d("2026-12-31")), Some(rate("12.80")));
        assert_eq!(history.on(d("2027-01-01")), None, "between the entries");
        assert_eq!(history.on(d("2027-02-28")), None);
        assert_eq!(history.on(d("2027-03-01")), Some(rate("13.00")));
        assert_eq!(
            history.gaps(),
            vec![(d("2027-01-01"), Some(d("2027-02-28")))]
        );
        let late_start = BaseRates::new([BaseRate {
            rate: rate("12.60"),
            effective_from: d("2026-11-01"),
            effective_to: Some(d("2026-11-30")),
        }]);
        assert_eq!(
            late_start.gaps(),
            vec![
                (FROM_THE_BEGINNING, Some(d("2026-10-31"))),
                (d("2026-12-01"), None)
            ]
        );
        assert_eq!(
            BaseRates::default().gaps(),
            vec![(FROM_THE_BEGINNING, None)],
            "no history at all: no date has a rate"
        );
    }
}
