//! Invoice lines (rules.md C5): grouping charged time and the one rounding per line.

use chrono::NaiveDate;

use crate::domain::money::div_round_half_away;
use crate::domain::{Band, Pence, PersonId, Rate, ServiceCode, Unit};

/// Minutes in an hour, the denominator of every hourly charge.
const MINUTES_PER_HOUR: i128 = 60;

/// The amount of one line, computed exactly and rounded once to pence, half away from zero.
///
/// `hour`: `entry_rate × minutes ÷ (60 × divisor)`. `night` and `fixed`: `entry_rate × units ÷
/// divisor`. Rates are in centipence, so the pence come from dividing by a further 100.
pub fn line_amount(unit: Unit, entry_rate: Rate, divisor: u32, minutes: i64, units: i64) -> Pence {
    assert!(divisor >= 1, "a divisor is at least 1");
    let rate = i128::from(entry_rate.centipence());
    let centipence_per_penny = i128::from(crate::domain::money::CENTIPENCE_PER_PENNY);
    let (numerator, denominator) = match unit {
        Unit::Hour => (
            rate * i128::from(minutes),
            MINUTES_PER_HOUR * i128::from(divisor) * centipence_per_penny,
        ),
        Unit::Night | Unit::Fixed => (
            rate * i128::from(units),
            i128::from(divisor) * centipence_per_penny,
        ),
    };
    let pence = div_round_half_away(numerator, denominator);
    Pence::new(i64::try_from(pence).expect("a line amount fits in i64 pence"))
}

/// What makes two pieces of charged time the same invoice line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChargeKey {
    pub person_id: PersonId,
    pub date: NaiveDate,
    pub service: ServiceCode,
    pub band: Band,
    pub ratio: u32,
    pub unit: Unit,
    pub entry_rate: Rate,
    pub divisor: u32,
}

/// One invoice line: its key, the time or units in it and its rounded amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeLine {
    pub key: ChargeKey,
    /// Minutes of support in the line; reported as 0 for `night` and `fixed` units.
    pub minutes: i64,
    /// Nights or one-off items in the line; 0 for `hour`.
    pub units: i64,
    pub amount: Pence,
}

impl ChargeLine {
    /// Builds a line from its summed time and computes its amount.
    pub fn new(key: ChargeKey, minutes: i64, units: i64) -> Self {
        let amount = line_amount(key.unit, key.entry_rate, key.divisor, minutes, units);
        Self {
            key,
            minutes,
            units,
            amount,
        }
    }

    /// The per-person hourly (or per-unit) rate shown on the line, to four decimal places.
    pub fn rate(&self) -> Rate {
        self.key.entry_rate.per_person(self.key.divisor)
    }

    /// Minutes as shown in the charges report: 0 for `night` and `fixed` lines.
    pub fn reported_minutes(&self) -> i64 {
        if self.key.unit == Unit::Hour {
            self.minutes
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        Rate::parse_pounds(s).unwrap()
    }

    #[test]
    fn c5_rounds_once_per_line_half_away_from_zero() {
        assert_eq!(
            line_amount(Unit::Hour, rate("25.10"), 3, 9, 0),
            Pence::new(126)
        );
        assert_eq!(
            line_amount(Unit::Hour, rate("25.00"), 3, 60, 0),
            Pence::new(833)
        );
        assert_eq!(
            line_amount(Unit::Hour, rate("27.50"), 1, 30, 0),
            Pence::new(1375)
        );
        assert_eq!(
            line_amount(Unit::Hour, rate("14.00"), 1, 90, 0),
            Pence::new(2100)
        );
        assert_eq!(
            line_amount(Unit::Night, rate("90.00"), 2, 0, 1),
            Pence::new(4500)
        );
        assert_eq!(
            line_amount(Unit::Fixed, rate("150.00"), 1, 0, 2),
            Pence::new(30000)
        );
    }
}
