//! Money: whole pence for amounts, hundredths of a penny for hourly rates, exact rational rounding.
//!
//! Amounts are stored and summed as integer pence. Rates carry up to four decimal places of a
//! pound, so they are held as integer hundredths of a penny ("centipence"). Every division that
//! can leave a fraction goes through [`div_round_half_away`], the single rounding rule of
//! docs/rules.md (half away from zero), applied once per line.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// Centipence in a penny: a rate's fixed scale is 1/100 p = £0.0001.
pub const CENTIPENCE_PER_PENNY: i64 = 100;

/// Why a money or rate string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not a number of pounds (write it like 24.00)")]
    NotANumber(String),
    #[error("'{0}' has more than {1} decimal places")]
    TooPrecise(String, u32),
    #[error("'{0}' is negative")]
    Negative(String),
    #[error("'{0}' is too large")]
    TooLarge(String),
    /// A sum or product of money left the range of 64-bit pence (about ±£92 quadrillion).
    #[error("{what} is out of range: money arithmetic overflowed")]
    Overflow { what: String },
}

impl MoneyError {
    /// An overflow of the quantity described by `what` ("the charges total for 2026-10").
    pub fn overflow(what: impl Into<String>) -> MoneyError {
        MoneyError::Overflow { what: what.into() }
    }
}

/// The largest rate a reference file may set: £10,000 an hour, a night or an item. Rates, base
/// pay and pay enhancements above it are refused on import (docs/formats.md, "Limits").
pub const RATE_MAX: Rate = Rate::from_centipence(10_000 * 100 * CENTIPENCE_PER_PENNY);

/// The largest flat amount a reference file may set per night or per week: £10,000 (a sleep-in
/// allowance, a weekly contribution).
pub const ALLOWANCE_MAX: Pence = Pence::new(10_000 * 100);

/// The largest budget a reference file may set for one period, and for the management costs and
/// contingency within it: £10,000,000.
pub const BUDGET_MAX: Pence = Pence::new(10_000_000 * 100);

/// An amount of money in whole pence. Negative values are credits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pence(i64);

impl Pence {
    pub const ZERO: Pence = Pence(0);

    pub const fn new(pence: i64) -> Self {
        Self(pence)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// Adds two amounts, refusing to wrap.
    pub fn checked_add(self, other: Pence) -> Result<Pence, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Pence)
            .ok_or_else(|| MoneyError::overflow("a sum of pence"))
    }

    /// Sums amounts, failing with an error naming `what` instead of wrapping. This is the only
    /// way amounts are totalled: `Pence` has no wrapping `Sum`.
    pub fn checked_sum(
        amounts: impl IntoIterator<Item = Pence>,
        what: &str,
    ) -> Result<Pence, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Pence::ZERO, |total, amount| {
                total.0.checked_add(amount.0).map(Pence)
            })
            .ok_or_else(|| MoneyError::overflow(what))
    }

    /// An exact wide result (from `i128` arithmetic) as pence, failing with an error naming
    /// `what` when it does not fit.
    pub fn from_wide(pence: i128, what: &str) -> Result<Pence, MoneyError> {
        i64::try_from(pence)
            .map(Pence)
            .map_err(|_| MoneyError::overflow(what))
    }

    /// Parses pounds with at most two decimal places (`24.00`, `-3.5`, `7`).
    pub fn parse_pounds(raw: &str) -> Result<Pence, MoneyError> {
        let scaled = parse_scaled(raw, 2)?;
        Ok(Pence(scaled))
    }

    /// The amount as a `Decimal` number of pounds, exactly.
    pub fn to_pounds(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

impl fmt::Display for Pence {
    /// Pounds with two decimal places and no currency sign, as the interchange formats use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_pounds())
    }
}

/// An hourly (or per-night, per-item) rate in hundredths of a penny: £24.1234 is 241_234.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(i64);

impl Rate {
    pub const ZERO: Rate = Rate(0);

    pub const fn from_centipence(centipence: i64) -> Self {
        Self(centipence)
    }

    pub const fn centipence(self) -> i64 {
        self.0
    }

    /// Parses a non-negative rate in pounds with at most four decimal places.
    pub fn parse_pounds(raw: &str) -> Result<Rate, MoneyError> {
        let scaled = parse_scaled(raw, 4)?;
        if scaled < 0 {
            return Err(MoneyError::Negative(raw.to_owned()));
        }
        Ok(Rate(scaled))
    }

    /// The rate as a `Decimal` number of pounds, exactly.
    pub fn to_pounds(self) -> Decimal {
        Decimal::new(self.0, 4)
    }

    /// Adds two rates (base pay plus a band enhancement), refusing to wrap.
    pub fn checked_add(self, other: Rate) -> Result<Rate, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Rate)
            .ok_or_else(|| MoneyError::overflow("a sum of rates"))
    }

    /// This rate divided by `divisor`, rounded half away from zero to four decimal places: the
    /// per-person rate shown on a line when C2 divided a one-to-one rate between `k` people.
    pub fn per_person(self, divisor: u32) -> Rate {
        assert!(divisor >= 1, "a rate divisor is at least 1");
        let rounded = div_round_half_away(i128::from(self.0), i128::from(divisor));
        Rate(i64::try_from(rounded).expect("a divided rate is no larger than the rate"))
    }
}

impl fmt::Display for Rate {
    /// Pounds with four decimal places, as the charges report shows rates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_pounds())
    }
}

/// Divides `numerator` by `denominator` (> 0) and rounds half away from zero.
///
/// This is the one rounding rule of docs/rules.md: `1.255` becomes `1.26` and `-1.255` becomes
/// `-1.26`; a value exactly on a whole number is never bumped.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0, "rounding needs a positive denominator");
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// Parses a decimal string into an integer scaled by `10^places`, refusing extra precision.
fn parse_scaled(raw: &str, places: u32) -> Result<i64, MoneyError> {
    let trimmed = raw.trim();
    let ok_chars = !trimmed.is_empty()
        && trimmed
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
    if !ok_chars {
        return Err(MoneyError::NotANumber(raw.to_owned()));
    }
    let value = Decimal::from_str(trimmed).map_err(|_| MoneyError::NotANumber(raw.to_owned()))?;
    if value.scale() > places {
        let normalized = value.normalize();
        if normalized.scale() > places {
            return Err(MoneyError::TooPrecise(raw.to_owned(), places));
        }
    }
    let scaled = value
        .checked_mul(Decimal::from(10_i64.pow(places)))
        .ok_or_else(|| MoneyError::TooLarge(raw.to_owned()))?;
    let whole = scaled.trunc();
    debug_assert_eq!(whole, scaled, "scale was checked above");
    i64::try_from(whole).map_err(|_| MoneyError::TooLarge(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero_and_never_bumps_exact_values() {
        assert_eq!(div_round_half_away(1255, 10), 126);
        assert_eq!(div_round_half_away(-1255, 10), -126);
        assert_eq!(div_round_half_away(1254, 10), 125);
        assert_eq!(div_round_half_away(1250, 10), 125);
        assert_eq!(div_round_half_away(1, 3), 0);
        assert_eq!(div_round_half_away(2, 3), 1);
    }

    #[test]
    fn money_and_rates_parse_exactly() {
        assert_eq!(Pence::parse_pounds("24.00"), Ok(Pence::new(2400)));
        assert_eq!(Pence::parse_pounds("-3.5"), Ok(Pence::new(-350)));
        assert_eq!(Pence::parse_pounds("7"), Ok(Pence::new(700)));
        assert!(matches!(
            Pence::parse_pounds("1.234"),
            Err(MoneyError::TooPrecise(..))
        ));
        assert!(matches!(
            Pence::parse_pounds("1e3"),
            Err(MoneyError::NotANumber(..))
        ));
        assert!(matches!(
            Pence::parse_pounds(""),
            Err(MoneyError::NotANumber(..))
        ));
        assert_eq!(
            Rate::parse_pounds("25.1"),
            Ok(Rate::from_centipence(251_000))
        );
        assert_eq!(
            Rate::parse_pounds("8.3333"),
            Ok(Rate::from_centipence(83_333))
        );
        assert!(matches!(
            Rate::parse_pounds("8.33333"),
            Err(MoneyError::TooPrecise(..))
        ));
        assert!(matches!(
            Rate::parse_pounds("-1"),
            Err(MoneyError::Negative(..))
        ));
    }

    #[test]
    fn sums_near_the_limit_fail_loudly_naming_what_overflowed() {
        let near = Pence::new(i64::MAX - 5);
        assert_eq!(
            Pence::checked_sum([near, Pence::new(5)], "the total"),
            Ok(Pence::new(i64::MAX))
        );
        let error = Pence::checked_sum([near, Pence::new(3), Pence::new(3)], "the October total")
            .expect_err("one penny past the largest amount");
        assert_eq!(error, MoneyError::overflow("the October total"));
        assert!(
            error
                .to_string()
                .contains("the October total is out of range")
        );
        // A credit brings it back in range only if it comes first: no partial sum may overflow.
        assert!(
            Pence::checked_sum([near, Pence::new(10), Pence::new(-10)], "t").is_err(),
            "a running total past the limit is refused even if later rows would bring it back"
        );
        assert!(Pence::checked_sum([Pence::new(i64::MIN), Pence::new(-1)], "t").is_err());
        assert!(near.checked_add(Pence::new(6)).is_err());
        assert_eq!(
            Pence::from_wide(i128::from(i64::MAX) + 1, "a line"),
            Err(MoneyError::overflow("a line"))
        );
        assert_eq!(Pence::from_wide(-7, "a line"), Ok(Pence::new(-7)));
    }

    #[test]
    fn the_reference_limits_are_the_documented_amounts() {
        assert_eq!(RATE_MAX.to_string(), "10000.0000");
        assert_eq!(ALLOWANCE_MAX.to_string(), "10000.00");
        assert_eq!(BUDGET_MAX.to_string(), "10000000.00");
    }

    proptest::proptest! {
        #[test]
        fn checked_sums_equal_plain_sums_in_range(
            amounts in proptest::collection::vec(-(1_i64 << 58)..(1_i64 << 58), 0..40)
        ) {
            // 40 amounts below 2^58 in size cannot leave the range of i64.
            let plain: i64 = amounts.iter().sum();
            let checked = Pence::checked_sum(amounts.iter().copied().map(Pence::new), "t");
            proptest::prop_assert_eq!(checked, Ok(Pence::new(plain)));
        }

        #[test]
        fn checked_sums_fail_exactly_when_a_running_total_leaves_the_range(
            amounts in proptest::collection::vec(proptest::num::i64::ANY, 0..6)
        ) {
            let mut wide = 0_i128;
            let mut fits = true;
            for a in &amounts {
                wide += i128::from(*a);
                fits &= i64::try_from(wide).is_ok();
            }
            let checked = Pence::checked_sum(amounts.iter().copied().map(Pence::new), "t");
            if fits {
                proptest::prop_assert_eq!(checked, Ok(Pence::new(i64::try_from(wide).unwrap())));
            } else {
                proptest::prop_assert_eq!(checked, Err(MoneyError::overflow("t")));
            }
        }
    }

    #[test]
    fn display_uses_fixed_places() {
        assert_eq!(Pence::new(126).to_string(), "1.26");
        assert_eq!(Pence::new(-5).to_string(), "-0.05");
        assert_eq!(Rate::from_centipence(80_000).to_string(), "8.0000");
        assert_eq!(
            Rate::from_centipence(251_000).per_person(3).to_string(),
            "8.3667"
        );
    }
}
