//! Invoice lines (docs/rules.md C5): grouping charged time and the one rounding per line.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::engine::{AllocationRow, Charge};
use crate::domain::money::{MoneyError, div_round_half_away};
use crate::domain::{Band, Pence, PersonId, Rate, ServiceCode, Unit};

/// Minutes in an hour, the denominator of every hourly charge.
const MINUTES_PER_HOUR: i128 = 60;

/// The amount of one line, computed exactly and rounded once to pence, half away from zero.
///
/// `hour`: `entry_rate × minutes ÷ (60 × divisor)`. `night` and `fixed`: `entry_rate × units ÷
/// divisor`. Rates are in centipence, so the pence come from dividing by a further 100. The
/// product is exact in 128 bits; an amount beyond 64-bit pence is an error, never wrapped.
pub fn line_amount(
    unit: Unit,
    entry_rate: Rate,
    divisor: u32,
    minutes: i64,
    units: i64,
) -> Result<Pence, MoneyError> {
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
    Pence::from_wide(pence, "an invoice line's amount")
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
    /// Builds a line from its summed time and computes its amount; an amount out of range is
    /// an error naming the line.
    pub fn new(key: ChargeKey, minutes: i64, units: i64) -> Result<Self, MoneyError> {
        let amount =
            line_amount(key.unit, key.entry_rate, key.divisor, minutes, units).map_err(|_| {
                MoneyError::overflow(format!(
                    "the amount of the invoice line for {} on {} ({} {})",
                    key.person_id, key.date, key.service, key.band
                ))
            })?;
        Ok(Self {
            key,
            minutes,
            units,
            amount,
        })
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

/// Groups allocation rows into invoice lines (C5): `hour` rows sum their minutes, the `night` row
/// of each night counts one unit; unallocated, unpriced and fixed-price time makes no line.
/// Lines come out in key order.
pub fn group_lines<'a>(
    rows: impl IntoIterator<Item = &'a AllocationRow>,
) -> Result<Vec<ChargeLine>, MoneyError> {
    let mut grouped: BTreeMap<ChargeKey, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let Some(person_id) = row.person_id.clone() else {
            continue;
        };
        let (unit, entry_rate, divisor, minutes, units) = match row.charge {
            Charge::Hour {
                entry_rate,
                divisor,
            } => (Unit::Hour, entry_rate, divisor, row.minutes, 0),
            Charge::Night {
                entry_rate,
                divisor,
                units,
            } if units > 0 => (Unit::Night, entry_rate, divisor, 0, units),
            Charge::Night { .. } | Charge::Fixed | Charge::Unpriced | Charge::Nobody => continue,
        };
        let key = ChargeKey {
            person_id,
            date: row.local_date,
            service: row.service.clone(),
            band: row.band,
            ratio: row.ratio,
            unit,
            entry_rate,
            divisor,
        };
        let slot = grouped.entry(key).or_default();
        let overflow = || MoneyError::overflow("the time of an invoice line");
        slot.0 = slot.0.checked_add(minutes).ok_or_else(overflow)?;
        slot.1 = slot.1.checked_add(units).ok_or_else(overflow)?;
    }
    grouped
        .into_iter()
        .map(|(key, (minutes, units))| ChargeLine::new(key, minutes, units))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        Rate::parse_pounds(s).unwrap()
    }

    fn amount(unit: Unit, r: &str, divisor: u32, minutes: i64, units: i64) -> Pence {
        line_amount(unit, rate(r), divisor, minutes, units).expect("in range")
    }

    #[test]
    fn a_line_beyond_64_bit_pence_is_an_error_not_a_wrapped_amount() {
        let absurd = Rate::from_centipence(i64::MAX);
        assert_eq!(
            line_amount(Unit::Hour, absurd, 1, 12_000, 0),
            Err(MoneyError::overflow("an invoice line's amount"))
        );
        assert_eq!(
            line_amount(Unit::Night, absurd, 1, 0, 200),
            Err(MoneyError::overflow("an invoice line's amount"))
        );
        // The largest rate tms imports, charged for every minute of a century, still fits.
        let minutes = 100 * 366 * 24 * 60;
        assert!(line_amount(Unit::Hour, crate::domain::money::RATE_MAX, 1, minutes, 0).is_ok());
        let key = ChargeKey {
            person_id: PersonId::parse("P1").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 10, 6).unwrap(),
            service: ServiceCode::parse("PC").unwrap(),
            band: Band::Day,
            ratio: 1,
            unit: Unit::Fixed,
            entry_rate: absurd,
            divisor: 1,
        };
        let error = ChargeLine::new(key, 0, 200).expect_err("out of range");
        assert!(
            error.to_string().contains("P1 on 2026-10-06"),
            "the error names the line: {error}"
        );
    }

    #[test]
    fn c5_rounds_once_per_line_half_away_from_zero() {
        assert_eq!(amount(Unit::Hour, "25.10", 3, 9, 0), Pence::new(126));
        assert_eq!(amount(Unit::Hour, "25.00", 3, 60, 0), Pence::new(833));
        assert_eq!(amount(Unit::Hour, "27.50", 1, 30, 0), Pence::new(1375));
        assert_eq!(amount(Unit::Hour, "14.00", 1, 90, 0), Pence::new(2100));
        assert_eq!(amount(Unit::Night, "90.00", 2, 0, 1), Pence::new(4500));
        assert_eq!(amount(Unit::Fixed, "150.00", 1, 0, 2), Pence::new(30000));
    }
}
