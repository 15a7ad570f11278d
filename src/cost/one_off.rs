//! One-off items: an item charged once on a date (a fixed-price item of the rate card), priced in
//! the band of its whole date. An item the card has no fixed price for is left unpriced, for the
//! unpriced report to show.

use chrono::NaiveDate;

use super::engine::{EngineError, RatingContext};
use super::lines::{ChargeKey, ChargeLine};
use crate::domain::{PersonId, ServiceCode, Unit};

/// Prices one one-off item: its invoice line, or `None` when the card has no fixed price for the
/// service in the band of that date (for the person's payer, if one pays in full).
pub fn price_one_off(
    ctx: &RatingContext,
    person: PersonId,
    service: ServiceCode,
    date: NaiveDate,
) -> Result<Option<ChargeLine>, EngineError> {
    let band = ctx.bands.date_band(date, &ctx.holidays)?;
    let payer = ctx.full_payers.get(&person);
    let Some(choice) = ctx.rate_card.lookup(&service, band, 1, date, payer) else {
        return Ok(None);
    };
    if choice.unit != Unit::Fixed {
        return Ok(None);
    }
    let key = ChargeKey {
        person_id: person,
        date,
        service,
        band,
        ratio: 1,
        unit: Unit::Fixed,
        entry_rate: choice.entry_rate,
        divisor: choice.divisor,
    };
    Ok(Some(ChargeLine::new(key, 0, 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BankHolidays;
    use crate::cost::{RateCard, RateEntry};
    use crate::domain::{Band, Rate};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn fixed(band: Band, pounds: &str) -> RateEntry {
        RateEntry {
            service: ServiceCode::parse("KIT").unwrap(),
            unit: Unit::Fixed,
            band,
            ratio: 1,
            rate: Rate::parse_pounds(pounds).unwrap(),
            effective_from: day("2026-01-01"),
            effective_to: None,
            payer: None,
        }
    }

    fn ctx() -> RatingContext {
        RatingContext {
            holidays: BankHolidays::new("t", [(day("2026-12-28"), "Boxing Day".to_owned())]),
            rate_card: RateCard::new([
                fixed(Band::Day, "10.00"),
                fixed(Band::Weekend, "12.50"),
                fixed(Band::BankHoliday, "20.00"),
            ]),
            ..RatingContext::default()
        }
    }

    fn price(service: &str, date: &str) -> Result<Option<(Band, i64)>, EngineError> {
        Ok(price_one_off(
            &ctx(),
            PersonId::parse("P1").unwrap(),
            ServiceCode::parse(service).unwrap(),
            day(date),
        )?
        .map(|line| (line.key.band, line.amount.get())))
    }

    #[test]
    fn a_one_off_is_priced_in_the_band_of_its_whole_date() {
        assert_eq!(price("KIT", "2026-12-02").unwrap(), Some((Band::Day, 1000)));
        assert_eq!(
            price("KIT", "2026-12-05").unwrap(),
            Some((Band::Weekend, 1250))
        );
        assert_eq!(
            price("KIT", "2026-12-28").unwrap(),
            Some((Band::BankHoliday, 2000)),
            "a bank holiday on a Monday"
        );
    }

    #[test]
    fn a_service_without_a_fixed_price_is_unpriced() {
        assert_eq!(price("PC", "2026-12-02").unwrap(), None);
    }

    #[test]
    fn a_date_in_a_year_without_bank_holidays_is_an_error_not_a_day_rate() {
        assert!(matches!(
            price("KIT", "2031-03-04"),
            Err(EngineError::Calendar(_))
        ));
    }
}
