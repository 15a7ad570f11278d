//! Bank-holiday calendars: a set of dates plus the years they cover, read from CSV or GOV.UK JSON.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

/// The calendar cannot answer for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "{date} is outside the bank-holiday calendar '{calendar}', which covers {covered}; import that year's bank holidays"
    )]
    OutOfRange {
        calendar: String,
        date: NaiveDate,
        covered: String,
    },
}

/// The bank holidays of one calendar (e.g. `england-and-wales`) and the years it covers.
///
/// A year is covered when the calendar lists at least one of its dates: every UK calendar has
/// several bank holidays a year, so a year with none is a year nobody loaded (docs/rules.md B1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BankHolidays {
    name: String,
    dates: BTreeMap<NaiveDate, String>,
    years: BTreeSet<i32>,
}

impl BankHolidays {
    /// Builds a calendar from `(date, name)` pairs.
    pub fn new(name: &str, dates: impl IntoIterator<Item = (NaiveDate, String)>) -> Self {
        let dates: BTreeMap<NaiveDate, String> = dates.into_iter().collect();
        let years = dates.keys().map(|d| d.year()).collect();
        Self {
            name: name.to_owned(),
            dates,
            years,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `date` is a bank holiday; an error for a year the calendar does not cover.
    pub fn is_holiday(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.years.contains(&date.year()) {
            return Err(CalendarError::OutOfRange {
                calendar: self.name.clone(),
                date,
                covered: self.covered_years(),
            });
        }
        Ok(self.dates.contains_key(&date))
    }

    /// The covered years, e.g. `2025–2027`, or `no years` when empty.
    pub fn covered_years(&self) -> String {
        let years: Vec<i32> = self.years.iter().copied().collect();
        match (years.first(), years.last()) {
            (Some(first), Some(last)) if years.len() as i32 == last - first + 1 => {
                if first == last {
                    first.to_string()
                } else {
                    format!("{first}–{last}")
                }
            }
            (Some(_), Some(_)) => years
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            _ => "no years".to_owned(),
        }
    }

    /// Every holiday with its name, in date order.
    pub fn iter(&self) -> impl Iterator<Item = (NaiveDate, &str)> {
        self.dates.iter().map(|(d, n)| (*d, n.as_str()))
    }
}

/// Why a GOV.UK `bank-holidays.json` document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GovUkError {
    #[error("not GOV.UK bank-holidays JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "the file has no division '{0}' (GOV.UK uses england-and-wales, scotland, northern-ireland)"
    )]
    NoDivision(String),
    #[error("event {index} of '{division}' has a bad date '{date}'")]
    BadDate {
        division: String,
        index: usize,
        date: String,
    },
}

#[derive(serde::Deserialize)]
struct GovUkDivision {
    events: Vec<GovUkEvent>,
}

#[derive(serde::Deserialize)]
struct GovUkEvent {
    title: String,
    date: String,
}

/// Reads the dates of every division in GOV.UK's `bank-holidays.json`
/// (`{"england-and-wales": {"division": .., "events": [{"title", "date", ..}]}, ..}`).
pub fn parse_gov_uk_json(json: &str) -> Result<Vec<(String, NaiveDate, String)>, GovUkError> {
    let divisions: BTreeMap<String, GovUkDivision> = serde_json::from_str(json)?;
    let mut out = Vec::new();
    for (division, body) in divisions {
        for (index, event) in body.events.into_iter().enumerate() {
            let date =
                crate::domain::time::parse_date(&event.date).map_err(|_| GovUkError::BadDate {
                    division: division.clone(),
                    index,
                    date: event.date.clone(),
                })?;
            out.push((division.clone(), date, event.title));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_outside_covered_years_are_errors_not_ordinary_days() {
        let cal = BankHolidays::new(
            "england-and-wales",
            [(d("2026-12-28"), "Boxing Day".to_owned())],
        );
        assert_eq!(cal.is_holiday(d("2026-12-28")), Ok(true));
        assert_eq!(cal.is_holiday(d("2026-12-29")), Ok(false));
        assert!(matches!(
            cal.is_holiday(d("2027-01-01")),
            Err(CalendarError::OutOfRange { .. })
        ));
    }

    #[test]
    fn gov_uk_json_is_read_per_division() {
        let json = r#"{"england-and-wales":{"division":"england-and-wales","events":[
            {"title":"Boxing Day","date":"2026-12-28","notes":"Substitute day","bunting":true}]},
            "scotland":{"division":"scotland","events":[{"title":"St Andrew's Day","date":"2026-11-30","notes":"","bunting":true}]}}"#;
        let rows = parse_gov_uk_json(json).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            (
                "england-and-wales".to_owned(),
                d("2026-12-28"),
                "Boxing Day".to_owned()
            )
        );
        assert!(parse_gov_uk_json("[1,2]").is_err());
    }
}
